/**
 * Allowlists for every string field that reaches a proxy config, a netfilter
 * rule or a runtime-API command. The schemas already enforce Kubernetes
 * grammars; these are the stricter rules for what we put into config, checked
 * again here because the model is the last common point before every target.
 */

/** Paths: the set ingress-nginx settled on after CVE-2021-25745, plus "~". */
const PATH = /^\/[A-Za-z0-9._~\-/]*$/
const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

export const allow = {
  path: (s: string): boolean => s.length <= 1024 && PATH.test(s) && !s.split('/').some((seg) => seg === '..'),
  host: (s: string): boolean => s.length <= 253 && HOST.test(s),
  name: (s: string): boolean => s.length <= 253 && K8S_NAME.test(s),
  /** Probe paths go into `http-check send`: same grammar as routes, plus a query string of safe characters. */
  probePath: (s: string): boolean => s.length <= 1024 && /^\/[A-Za-z0-9._~\-/]*(\?[A-Za-z0-9._~\-=&]*)?$/.test(s),
} as const
