/**
 * Annotations of other ingress controllers (ingress-nginx, HAProxy Technologies',
 * HAProxy Ingress, Traefik) on Ingresses vipctl serves: each key gets a verdict.
 *
 *  - honoured: vipctl does what the key asks; the finding says which vipctl
 *    setting does it (VIP2019, info);
 *  - not honoured: the Ingress is served without it (VIP2020, warning);
 *  - access: the key restricts who may reach the routes (authentication, IP
 *    allow and deny lists, client certificates, rate limits, WAF): serving
 *    without it would open them, so the Ingress is not served (VIP2021, error);
 *  - snippet: raw proxy configuration, which vipctl never pastes; the Ingress
 *    is not served (VIP2022, error).
 *
 * NetScaler's keys (ingress.citrix.com/*) are read by the model itself
 * (src/model/annotations.ts) and reported there (VIP2013).
 */

export type ForeignVerdict =
  | {kind: 'honoured'; by: string}
  | {kind: 'not-honoured'; hint?: string}
  | {kind: 'access'; what: string}
  | {kind: 'snippet'}

interface Controller {
  name: string
  prefix: string
  /** Keys (or key prefixes ending in "*") that restrict access, with what they restrict. */
  access: Array<[string, string]>
  snippets: string[]
  /** Keys vipctl honours: the verdict for a value (undefined when the value is not one vipctl can honour). */
  honoured: Record<string, (value: string) => ForeignVerdict | undefined>
  /** A vipctl setting that does what a key does, for the not-honoured message. */
  hints: Record<string, string>
}

const sslRedirect = (value: string): ForeignVerdict | undefined =>
  value === 'true'
    ? {kind: 'honoured', by: 'vipctl redirects HTTP to HTTPS for the TLS hosts (vipctl.io/ssl-redirect: "true", the default)'}
    : value === 'false'
      ? {kind: 'honoured', by: 'vipctl serves the TLS hosts over plain HTTP too (vipctl.io/ssl-redirect: "false")'}
      : undefined

const LB_HINT = 'set vipctl.io/lb-method (roundrobin, leastconn, source) on the backend Service'
const AFFINITY_HINT = 'session persistence comes with the L7 policy work; until then requests are balanced per connection'
const REWRITE_HINT = 'the backend receives the path as the client sent it'

const CONTROLLERS: Controller[] = [
  {
    name: 'ingress-nginx',
    prefix: 'nginx.ingress.kubernetes.io/',
    access: [
      ['auth-*', 'authentication'],
      ['whitelist-source-range', 'an IP allow list'],
      ['allowlist-source-range', 'an IP allow list'],
      ['denylist-source-range', 'an IP deny list'],
      ['limit-*', 'a rate or connection limit'],
      ['global-rate-limit*', 'a rate limit'],
      ['enable-modsecurity', 'a web application firewall'],
      ['enable-owasp-core-rules', 'a web application firewall'],
      ['satisfy', 'an authentication policy'],
    ],
    snippets: ['configuration-snippet', 'server-snippet', 'auth-snippet', 'stream-snippet', 'modsecurity-snippet'],
    honoured: {
      'ssl-redirect': sslRedirect,
      'force-ssl-redirect': (v) => (v === 'true' ? {kind: 'honoured', by: 'vipctl redirects HTTP to HTTPS for the TLS hosts (vipctl.io/ssl-redirect: "true")'} : v === 'false' ? {kind: 'honoured', by: 'no forced redirect (the default)'} : undefined),
      'load-balance': (v) => (v === 'round_robin' ? {kind: 'honoured', by: 'vipctl balances round-robin (vipctl.io/lb-method: roundrobin, the default)'} : undefined),
      'use-regex': (v) => (v === 'false' ? {kind: 'honoured', by: 'paths are matched as Kubernetes defines them (no regular expressions)'} : undefined),
    },
    hints: {
      'load-balance': LB_HINT,
      affinity: AFFINITY_HINT,
      'affinity-mode': AFFINITY_HINT,
      'rewrite-target': REWRITE_HINT,
      'use-regex': 'paths are matched as Kubernetes defines them (Prefix or Exact), never as regular expressions',
      'backend-protocol': 'vipctl speaks HTTP to the backend; HTTPS and gRPC backends come with the L7 policy work',
      canary: 'the canary Ingress gets no share of the traffic: the older Ingress keeps its hosts and paths',
      'server-alias': 'only the hosts in spec.rules are served; list the aliases there',
      'ssl-passthrough': 'vipctl terminates TLS with the Ingress\'s Secret; for passthrough use a LoadBalancer Service (TCP)',
    },
  },
  {
    name: 'HAProxy Kubernetes Ingress Controller',
    prefix: 'haproxy.org/',
    access: [
      ['auth-*', 'authentication'],
      ['allow-list', 'an IP allow list'],
      ['whitelist', 'an IP allow list'],
      ['deny-list', 'an IP deny list'],
      ['blacklist', 'an IP deny list'],
      ['rate-limit-*', 'a rate limit'],
      ['client-ca', 'client-certificate verification'],
      ['client-crt-optional', 'client-certificate verification'],
    ],
    snippets: ['backend-config-snippet', 'frontend-config-snippet', 'global-config-snippet', 'route-acl'],
    honoured: {'ssl-redirect': sslRedirect},
    hints: {'load-balance': LB_HINT, 'cookie-persistence': AFFINITY_HINT, 'path-rewrite': REWRITE_HINT},
  },
  {
    name: 'HAProxy Ingress',
    prefix: 'haproxy-ingress.github.io/',
    access: [
      ['auth-*', 'authentication'],
      ['oauth*', 'authentication'],
      ['allowlist-source-range', 'an IP allow list'],
      ['whitelist-source-range', 'an IP allow list'],
      ['denylist-source-range', 'an IP deny list'],
      ['limit-*', 'a rate or connection limit'],
      ['waf*', 'a web application firewall'],
    ],
    snippets: ['config-backend', 'config-frontend', 'config-defaults', 'config-global', 'config-sections', 'config-tcp', 'config-tcp-service', 'config-proxy'],
    honoured: {'ssl-redirect': sslRedirect},
    hints: {'balance-algorithm': LB_HINT, affinity: AFFINITY_HINT, 'rewrite-target': REWRITE_HINT},
  },
  {
    name: 'Traefik',
    prefix: 'traefik.ingress.kubernetes.io/',
    // A middleware may be anything: basic or forward authentication, an IP allow list, a rate limit.
    access: [['router.middlewares', 'Traefik middlewares (authentication, IP allow lists and rate limits among them)']],
    snippets: [],
    honoured: {},
    hints: {
      'router.priority': 'vipctl orders routes as Kubernetes defines (longest path first, Exact before Prefix)',
      'router.tls': 'vipctl serves HTTPS for the hosts in spec.tls, with their Secret',
      'router.entrypoints': 'vipctl serves HTTP on vipctl.io/http-port (80) and HTTPS on vipctl.io/https-port (443)',
    },
  },
]

function matches(pattern: string, key: string): boolean {
  return pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern
}

/** The controller a key belongs to, or undefined for keys of no controller this table knows. */
export function foreignController(key: string): string | undefined {
  return CONTROLLERS.find((c) => key.startsWith(c.prefix))?.name
}

/** The verdict for one annotation; undefined when the key belongs to no controller this table knows. */
export function foreignVerdict(key: string, value: string): ForeignVerdict | undefined {
  const c = CONTROLLERS.find((x) => key.startsWith(x.prefix))
  if (!c) return undefined
  const k = key.slice(c.prefix.length)
  if (c.snippets.includes(k)) return {kind: 'snippet'}
  const access = c.access.find(([p]) => matches(p, k))
  if (access) return {kind: 'access', what: access[1]}
  const honoured = c.honoured[k]?.(value.trim())
  if (honoured) return honoured
  return {kind: 'not-honoured', ...(c.hints[k] ? {hint: c.hints[k]} : {})}
}

/**
 * The HTTP-to-HTTPS redirect other controllers' keys ask for (ingress-nginx's ssl-redirect and
 * force-ssl-redirect, HAProxy's ssl-redirect); undefined when none says. vipctl.io/ssl-redirect wins over these.
 */
export function foreignSslRedirect(annotations: Record<string, string> | undefined): boolean | undefined {
  const a = annotations ?? {}
  if (a['nginx.ingress.kubernetes.io/force-ssl-redirect'] === 'true') return true
  for (const k of ['nginx.ingress.kubernetes.io/ssl-redirect', 'haproxy.org/ssl-redirect', 'haproxy-ingress.github.io/ssl-redirect']) {
    const v = a[k]?.trim()
    if (v === 'true' || v === 'false') return v === 'true'
  }
  return undefined
}
