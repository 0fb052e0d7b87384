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
  /** The Ingress is meant for something vipctl does not do, and serving it would take another Ingress's traffic (a canary). */
  | {kind: 'leave-out'; why: string}

interface Controller {
  name: string
  prefix: string
  /** Keys (or key prefixes ending in "*") that restrict access, with what they restrict. */
  access: Array<[string, string]>
  snippets: string[]
  /** Keys whose value makes the Ingress something vipctl must not serve as a normal one. */
  leaveOut?: Record<string, (value: string) => string | undefined>
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

function haproxyTech(prefix: string): Controller {
  return {
    name: 'HAProxy Kubernetes Ingress Controller',
    prefix,
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
  }
}

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
    // ingress-nginx reads booleans as Go's strconv.ParseBool does.
    leaveOut: {canary: (v) => (nginxTrue(v) ? 'a canary Ingress takes a share of another Ingress\'s traffic, and vipctl never lets one object change another\'s routes (split on the main Ingress with vipctl.io/traffic-split instead); served as a normal Ingress it would compete for the same hosts and paths, so it is left out' : undefined)},
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

      'server-alias': 'only the hosts in spec.rules are served; list the aliases there',
      'canary-weight': 'part of a canary, left out with it (VIP2023)',
      'canary-by-header': 'part of a canary, left out with it (VIP2023)',
      'canary-by-header-value': 'part of a canary, left out with it (VIP2023)',
      'canary-by-cookie': 'part of a canary, left out with it (VIP2023)',
      'ssl-passthrough': 'vipctl terminates TLS with the Ingress\'s Secret; for passthrough use a LoadBalancer Service (TCP)',
    },
  },
  haproxyTech('haproxy.org/'),
  // The same controller reads haproxy.com/ as an alias.
  haproxyTech('haproxy.com/'),
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
    // The generic prefix HAProxy Technologies' controller, Traefik 1.x and others read.
    name: 'ingress.kubernetes.io (HAProxy, Traefik 1.x)',
    prefix: 'ingress.kubernetes.io/',
    access: [
      ['auth-*', 'authentication'],
      ['whitelist*', 'an IP allow list'],
      ['allow-list', 'an IP allow list'],
      ['deny-list', 'an IP deny list'],
      ['blacklist', 'an IP deny list'],
      ['rate-limit*', 'a rate limit'],
      ['limit-*', 'a rate or connection limit'],
      ['client-ca', 'client-certificate verification'],
    ],
    snippets: ['config-snippet', 'backend-config-snippet', 'frontend-config-snippet'],
    honoured: {'ssl-redirect': sslRedirect},
    hints: {'rewrite-target': REWRITE_HINT, 'load-balance': LB_HINT},
  },
  {
    name: 'Traefik',
    prefix: 'traefik.ingress.kubernetes.io/',
    // A middleware may be anything: basic or forward authentication, an IP allow list, a rate limit.
    access: [
      ['router.middlewares', 'Traefik middlewares (authentication, IP allow lists and rate limits among them)'],
      ['router.tls.options', 'Traefik TLS options (they may require client certificates)'],
      ['whitelist-source-range', 'an IP allow list (Traefik 1.x)'],
      ['rate-limit', 'a rate limit (Traefik 1.x)'],
      ['auth-*', 'authentication (Traefik 1.x)'],
    ],
    snippets: [],
    honoured: {},
    hints: {
      'router.priority': 'vipctl orders routes as Kubernetes defines (longest path first, Exact before Prefix)',
      'router.tls': 'vipctl serves HTTPS for the hosts in spec.tls, with their Secret',
      'router.entrypoints': 'vipctl serves HTTP on vipctl.io/http-port (80) and HTTPS on vipctl.io/https-port (443)',
    },
  },
  {
    name: 'NGINX Ingress Controller (nginx.org)',
    prefix: 'nginx.org/',
    access: [
      ['basic-auth-*', 'authentication'],
      ['jwt-*', 'JWT authentication'],
      ['ssl-services', 'TLS to the backends'],
      ['limit-req-*', 'a rate limit'],
      ['policies', 'NGINX policies (access control, rate limits and authentication among them)'],
    ],
    snippets: ['server-snippets', 'location-snippets'],
    honoured: {},
    hints: {'lb-method': LB_HINT, 'rewrites': REWRITE_HINT},
  },
  {
    name: 'NGINX Plus (nginx.com)',
    prefix: 'nginx.com/',
    access: [['jwt-*', 'JWT authentication'], ['limit-*', 'a rate limit']],
    snippets: [],
    honoured: {},
    hints: {'sticky-cookie-services': AFFINITY_HINT},
  },
  {
    name: 'F5 NGINX App Protect',
    prefix: 'appprotect.f5.com/',
    access: [['*', 'a web application firewall policy']],
    snippets: [],
    honoured: {},
    hints: {},
  },
  {
    name: 'AWS Load Balancer Controller',
    prefix: 'alb.ingress.kubernetes.io/',
    access: [
      ['auth-*', 'authentication'],
      ['inbound-cidrs', 'an IP allow list'],
      ['waf-acl-id', 'a web application firewall'],
      ['wafv2-acl-arn', 'a web application firewall'],
      ['shield-advanced-protection', 'DDoS protection'],
      ['mutual-authentication', 'client-certificate verification'],
      ['scheme', 'who may reach it (internal or internet-facing)'],
      ['security-groups', 'security groups'],
    ],
    snippets: [],
    honoured: {},
    hints: {},
  },
  {
    name: 'Kong',
    prefix: 'konghq.com/',
    // Kong plugins include authentication, IP restriction and rate limiting.
    access: [['plugins', 'Kong plugins (authentication, IP restriction and rate limiting among them)']],
    snippets: [],
    honoured: {},
    hints: {},
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
  const leave = c.leaveOut?.[k]?.(value)
  if (leave) return {kind: 'leave-out', why: leave}
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
  for (const k of ['nginx.ingress.kubernetes.io/ssl-redirect', 'haproxy.org/ssl-redirect', 'haproxy.com/ssl-redirect', 'ingress.kubernetes.io/ssl-redirect', 'haproxy-ingress.github.io/ssl-redirect']) {
    const v = a[k]?.trim()
    if (v === 'true' || v === 'false') return v === 'true'
  }
  return undefined
}

/** A boolean annotation as ingress-nginx reads it (Go's strconv.ParseBool true spellings). */
export function nginxTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v.trim())
}
