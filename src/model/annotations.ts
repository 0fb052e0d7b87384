/**
 * The vipctl.io/* annotations: one table with each key's allowlist. Nothing
 * else under vipctl.io/ is read; an unknown key is reported. There are no
 * snippet annotations, on purpose (see the security notes in the README).
 */
import {canonicalIp, canonicalNetwork} from './ip.js'
import {PROTECTED_HEADERS, allow, canonicalHost} from './grammar.js'
import type {HeaderRules, LbMethod, PathReplace, RetryCondition} from './types.js'
import {parseDuration} from '../core/duration.js'

export const PREFIX = 'vipctl.io/'

type Parser<T> = (raw: string) => T | undefined

const port: Parser<number> = (s) => (/^[0-9]{1,5}$/.test(s) && +s >= 1 && +s <= 65535 ? +s : undefined)
const bool: Parser<boolean> = (s) => (s === 'true' ? true : s === 'false' ? false : undefined)
/** A duration: "500ms", "5s", "2m", "1h", "1m30s" (whole numbers) -> milliseconds, 1 ms to 24 h (what both targets can write). */
const duration: Parser<number> = (s) => {
  const ms = parseDuration(s, {units: ['ms', 's', 'm', 'h'], maxDigits: 8})
  return ms !== undefined && ms >= 1 && ms <= 86_400_000 ? ms : undefined
}

const int = (lo: number, hi: number): Parser<number> => (s) => (/^[0-9]{1,7}$/.test(s) && +s >= lo && +s <= hi ? +s : undefined)

/** A route path for a redirect or rewrite: the path grammar, one trailing "/" dropped (so "/v2/" and "/v2" are one). */
const routePath: Parser<string> = (s) => (allow.path(s) ? (s.length > 1 ? s.replace(/\/+$/, '') || '/' : s) : undefined)
const hostName: Parser<string> = (s) => {
  const h = canonicalHost(s)
  return allow.host(h) && !h.startsWith('*.') ? h : undefined
}

/**
 * Header rules, one per line: "set NAME: VALUE", "add NAME: VALUE" or "remove NAME"; at most 32. Names are
 * compared case-insensitively; framing, hop-by-hop and Host headers are refused (PROTECTED_HEADERS).
 */
export const parseHeaderRules: Parser<HeaderRules> = (raw) => {
  const rules: HeaderRules = {set: [], add: [], remove: []}
  const lines = raw.split('\n').map((l) => l.trim()).filter((l) => l !== '')
  if (lines.length === 0 || lines.length > 32) return undefined
  for (const l of lines) {
    const m = /^(set|add|remove) ([^:\s]+)(?:: ?(.*))?$/.exec(l)
    if (!m || !allow.headerName(m[2]!) || PROTECTED_HEADERS.has(m[2]!.toLowerCase())) return undefined
    const name = m[2]!
    if (m[1] === 'remove') {
      if (m[3] !== undefined) return undefined
      rules.remove.push(name)
      continue
    }
    const value = (m[3] ?? '').trim()
    if (m[3] === undefined || !allow.headerValue(value)) return undefined
    // Two "set" rules for one header: the second would silently win; refused instead.
    if (m[1] === 'set' && rules.set.some((x) => x.name.toLowerCase() === name.toLowerCase())) return undefined
    rules[m[1] as 'set' | 'add'].push({name, value})
  }
  return rules
}

/** "key=value" pairs separated by spaces, each key at most once and from `keys`. */
function pairs(raw: string, keys: readonly string[]): Map<string, string> | undefined {
  const out = new Map<string, string>()
  for (const part of raw.trim().split(/ +/)) {
    const eq = part.indexOf('=')
    const k = part.slice(0, eq)
    if (eq <= 0 || !keys.includes(k) || out.has(k)) return undefined
    out.set(k, part.slice(eq + 1))
  }
  return out.size > 0 ? out : undefined
}

function pathReplace(p: Map<string, string>): PathReplace | undefined | null {
  if (p.has('path') && p.has('prefix')) return null
  const full = p.get('path')
  const prefix = p.get('prefix')
  if (full !== undefined) return routePath(full) === undefined ? null : {kind: 'full', value: routePath(full)!}
  if (prefix !== undefined) return routePath(prefix) === undefined ? null : {kind: 'prefix', value: routePath(prefix)!}
  return undefined
}

export interface RedirectSpec {
  scheme?: 'http' | 'https'
  host?: string
  port?: number
  path?: PathReplace
  code: 301 | 302 | 303 | 307 | 308
}

/** "scheme=https host=H port=N path=/p|prefix=/p code=301|302|303|307|308": at least one part besides code; code 302 by default. */
export const parseRedirect: Parser<RedirectSpec> = (raw) => {
  const p = pairs(raw, ['scheme', 'host', 'port', 'path', 'prefix', 'code'])
  if (!p) return undefined
  const scheme = p.get('scheme')
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') return undefined
  const host = p.has('host') ? hostName(p.get('host')!) : undefined
  if (p.has('host') && host === undefined) return undefined
  const portN = p.has('port') ? port(p.get('port')!) : undefined
  if (p.has('port') && portN === undefined) return undefined
  const path = pathReplace(p)
  if (path === null) return undefined
  const code = p.has('code') ? Number(p.get('code')) : 302
  if (![301, 302, 303, 307, 308].includes(code) || (p.has('code') && !/^[0-9]{3}$/.test(p.get('code')!))) return undefined
  if (scheme === undefined && host === undefined && portN === undefined && path === undefined) return undefined
  return {...(scheme ? {scheme} : {}), ...(host ? {host} : {}), ...(portN ? {port: portN} : {}), ...(path ? {path} : {}), code: code as RedirectSpec['code']}
}

/** "host=H path=/p|prefix=/p": at least one. */
export const parseRewrite: Parser<{host?: string; path?: PathReplace}> = (raw) => {
  const p = pairs(raw, ['host', 'path', 'prefix'])
  if (!p) return undefined
  const host = p.has('host') ? hostName(p.get('host')!) : undefined
  if (p.has('host') && host === undefined) return undefined
  const path = pathReplace(p)
  if (path === null) return undefined
  return {...(host ? {host} : {}), ...(path ? {path} : {})}
}

/** "CIDR,CIDR": 1-64 IPv4 or IPv6 networks (a bare address is a /32 or /128), canonical (host bits cleared), each once. */
export const parseSourceRanges: Parser<string[]> = (raw) => {
  const out: string[] = []
  for (const part of raw.split(',').map((x) => x.trim())) {
    const n = canonicalNetwork(part)
    if (!n || out.includes(n.text)) return undefined
    out.push(n.text)
  }
  return out.length >= 1 && out.length <= 64 ? out : undefined
}

/** "svc=weight,svc=weight": 2-16 Service names (each once) with weights 0-1000, at least one above 0. */
export const parseSplit: Parser<Array<{service: string; weight: number}>> = (raw) => {
  const out: Array<{service: string; weight: number}> = []
  for (const part of raw.split(',').map((x) => x.trim())) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)=([0-9]{1,4})$/.exec(part)
    if (!m || m[1]!.length > 63 || +m[3]! > 1000 || out.some((o) => o.service === m[1])) return undefined
    out.push({service: m[1]!, weight: +m[3]!})
  }
  return out.length >= 2 && out.length <= 16 && out.some((o) => o.weight > 0) ? out : undefined
}

/** HSTS: "max-age=SECONDS" with optional "; includeSubDomains" and "; preload" (the Strict-Transport-Security value). */
export const parseHsts: Parser<string> = (raw) => {
  const parts = raw.split(';').map((x) => x.trim())
  const m = /^max-age=([0-9]{1,9})$/.exec(parts[0] ?? '')
  if (!m) return undefined
  const rest = parts.slice(1)
  if (rest.some((x) => x !== 'includeSubDomains' && x !== 'preload') || new Set(rest).size !== rest.length) return undefined
  return [`max-age=${Number(m[1])}`, ...rest].join('; ')
}

const RETRY_WORDS: Record<string, RetryCondition> = {'connect-failure': 'connect-failure', 'empty-response': 'empty-response', 'response-timeout': 'response-timeout'}
const RETRY_STATUSES = [401, 403, 404, 408, 425, 500, 501, 502, 503, 504]
/** Comma-separated: connect-failure, empty-response, response-timeout, or one of the statuses 401 403 404 408 425 500-504. */
export const parseRetryOn: Parser<RetryCondition[]> = (raw) => {
  const out: RetryCondition[] = []
  for (const w of raw.split(',').map((x) => x.trim())) {
    const c = RETRY_WORDS[w] ?? (/^[0-9]{3}$/.test(w) && RETRY_STATUSES.includes(+w) ? (+w as RetryCondition) : undefined)
    if (c === undefined || out.includes(c)) return undefined
    out.push(c)
  }
  return out.length > 0 ? out : undefined
}

/** "ADDRESS=WEIGHT" or "POD=WEIGHT", comma-separated; weights 1-256; addresses canonical. */
export const parseMemberWeights: Parser<Map<string, number>> = (raw) => {
  const out = new Map<string, number>()
  for (const part of raw.split(',').map((x) => x.trim())) {
    const eq = part.lastIndexOf('=')
    if (eq <= 0) return undefined
    const key = part.slice(0, eq)
    const w = int(1, 256)(part.slice(eq + 1))
    const k = canonicalIp(key) ?? (allow.name(key) ? key : undefined)
    if (w === undefined || k === undefined || out.has(k)) return undefined
    out.set(k, w)
  }
  return out.size > 0 ? out : undefined
}

export const ANNOTATIONS = {
  /** The VIP an Ingress or LoadBalancer Service is served on. */
  vip: {key: 'vipctl.io/vip', parse: ((s) => canonicalIp(s)) as Parser<string>, expect: 'an IPv4 or IPv6 address'},
  /** Load-balancing method of a Service's pools. */
  lbMethod: {
    key: 'vipctl.io/lb-method',
    parse: ((s) => (['roundrobin', 'leastconn', 'source'].includes(s) ? (s as LbMethod) : undefined)) as Parser<LbMethod>,
    expect: 'roundrobin, leastconn or source',
  },
  /** HTTP port of an Ingress's frontend (default 80). */
  httpPort: {key: 'vipctl.io/http-port', parse: port, expect: 'a port number 1-65535'},
  /** HTTPS port of an Ingress's frontend (default 443). */
  httpsPort: {key: 'vipctl.io/https-port', parse: port, expect: 'a port number 1-65535'},
  /** Redirect HTTP to HTTPS for the Ingress's TLS hosts (default true). */
  sslRedirect: {key: 'vipctl.io/ssl-redirect', parse: bool, expect: 'true or false'},
  /** Service: keep an HTTP client on one member with a cookie of this name, which the proxy inserts. */
  sessionCookie: {key: 'vipctl.io/session-cookie', parse: ((s) => (/^[A-Za-z0-9_-]{1,64}$/.test(s) ? s : undefined)) as Parser<string>, expect: 'a cookie name: 1-64 letters, digits, "_" and "-"'},
  /** Service: how long the proxy waits to connect to a member (default 5s). */
  timeoutConnect: {key: 'vipctl.io/timeout-connect', parse: duration, expect: 'a duration from 1ms to 24h, e.g. 500ms, 5s, 2m'},
  /** Service: how long a member may stay silent in a response (default 60s). */
  timeoutServer: {key: 'vipctl.io/timeout-server', parse: duration, expect: 'a duration from 1ms to 24h, e.g. 30s, 5m'},
  /** Service: how long an upgraded connection (WebSocket) or a TCP stream may stay idle (default 1h). */
  timeoutTunnel: {key: 'vipctl.io/timeout-tunnel', parse: duration, expect: 'a duration from 1ms to 24h, e.g. 10m, 1h'},
  /** Service: how the proxy speaks to members: http (HTTP/1.1, default), h2c (HTTP/2 without TLS) or https. */
  backendProtocol: {key: 'vipctl.io/backend-protocol', parse: ((s) => (['http', 'h2c', 'https'].includes(s) ? s : undefined)) as Parser<'http' | 'h2c' | 'https'>, expect: 'http, h2c or https'},
  /** Service: with https, a Secret (same namespace) whose ca.crt verifies members' certificates (default: the system CAs). */
  backendCa: {key: 'vipctl.io/backend-ca', parse: ((s) => (allow.name(s) ? s : undefined)) as Parser<string>, expect: 'the name of a Secret in the same namespace holding ca.crt'},
  /** Service: with https, the name sent as SNI and required in members' certificates. */
  backendServerName: {key: 'vipctl.io/backend-server-name', parse: hostName, expect: 'a host name'},
  /** Service: send the PROXY protocol header (v1 text or v2 binary) to members. */
  proxyProtocol: {key: 'vipctl.io/proxy-protocol', parse: ((s) => (s === 'v1' ? 1 : s === 'v2' ? 2 : undefined)) as Parser<1 | 2>, expect: 'v1 or v2'},
  /** Service: at most this many concurrent connections per member; more wait in the queue (timeout 30s). */
  maxConnections: {key: 'vipctl.io/max-connections', parse: int(1, 1_000_000), expect: 'a number 1-1000000'},
  /** Service: retry a failed request this many times, on another member when there is one (default 0 with retry-on unset). */
  retries: {key: 'vipctl.io/retries', parse: int(0, 10), expect: 'a number 0-10'},
  /** Service: what counts as failed for vipctl.io/retries (default connect-failure). */
  retryOn: {key: 'vipctl.io/retry-on', parse: parseRetryOn, expect: 'comma-separated connect-failure, empty-response, response-timeout, 401, 403, 404, 408, 425, 500, 501, 502, 503, 504'},
  /** Service: the statuses its HTTP health check accepts (default 200-399, the kubelet's), e.g. "200" or "200-299". */
  checkStatus: {
    key: 'vipctl.io/check-status',
    parse: ((s) => {
      const m = /^([1-5][0-9]{2})(?:-([1-5][0-9]{2}))?$/.exec(s)
      if (!m) return undefined
      const min = Number(m[1])
      const max = Number(m[2] ?? m[1])
      return min <= max ? {min, max} : undefined
    }) as Parser<{min: number; max: number}>,
    expect: 'a status or a range of statuses from 100 to 599, e.g. 200 or 200-299',
  },
  /** Service: members' relative weights by address or Pod name, e.g. "10.0.0.5=3,web-1=1" (others 1). */
  memberWeights: {key: 'vipctl.io/member-weights', parse: parseMemberWeights, expect: 'comma-separated ADDRESS=WEIGHT or POD=WEIGHT, weights 1-256'},
  /** Ingress: split each path whose backend is one of these Services among them by weight, e.g. "web=90,web-canary=10". */
  trafficSplit: {key: 'vipctl.io/traffic-split', parse: parseSplit, expect: 'SERVICE=WEIGHT pairs separated by commas (2-16 Services, weights 0-1000, one above 0)'},
  /** Ingress: header rules on requests to its routes, one per line: "set NAME: VALUE", "add NAME: VALUE", "remove NAME". */
  requestHeaders: {key: 'vipctl.io/request-headers', parse: parseHeaderRules, expect: 'lines of "set NAME: VALUE", "add NAME: VALUE" or "remove NAME" (at most 32; not Host, Content-Length, Transfer-Encoding or hop-by-hop headers; values of visible ASCII and spaces without quotes, backslash, %, $ or #)'},
  /** Ingress: header rules on its routes' responses, same form as request-headers. */
  responseHeaders: {key: 'vipctl.io/response-headers', parse: parseHeaderRules, expect: 'lines of "set NAME: VALUE", "add NAME: VALUE" or "remove NAME" (at most 32; not Content-Length, Transfer-Encoding or hop-by-hop headers; values of visible ASCII and spaces without quotes, backslash, %, $ or #)'},
  /** Ingress: Strict-Transport-Security on HTTPS responses of its routes. */
  hsts: {key: 'vipctl.io/hsts', parse: parseHsts, expect: '"max-age=SECONDS" with optional "; includeSubDomains" and "; preload"'},
  /** Ingress: answer its routes with a redirect (each part absent keeps the request's; code 302 by default). */
  redirect: {key: 'vipctl.io/redirect', parse: parseRedirect, expect: 'space-separated scheme=http|https host=HOST port=PORT path=/PATH|prefix=/PATH code=301|302|303|307|308'},
  /** Ingress: rewrite the Host header and/or the path before proxying (prefix= replaces the part the rule's Prefix matched). */
  rewrite: {key: 'vipctl.io/rewrite', parse: parseRewrite, expect: 'space-separated host=HOST path=/PATH|prefix=/PATH'},
  /** Ingress: how long a member has to answer its routes' requests (overrides the Service's timeout-server). */
  timeoutRequest: {key: 'vipctl.io/timeout-request', parse: duration, expect: 'a duration from 1ms to 24h, e.g. 15s'},
  /** Ingress: only clients from these networks reach its routes (others get 403); the connection's source address. */
  allowSourceRanges: {key: 'vipctl.io/allow-source-ranges', parse: parseSourceRanges, expect: 'comma-separated networks (IPv4 or IPv6 CIDRs or addresses, at most 64), e.g. 10.0.0.0/8,192.0.2.0/24'},
  /** Ingress: clients from these networks get 403 on its routes (checked before allow-source-ranges). */
  denySourceRanges: {key: 'vipctl.io/deny-source-ranges', parse: parseSourceRanges, expect: 'comma-separated networks (IPv4 or IPv6 CIDRs or addresses, at most 64), e.g. 203.0.113.0/24'},
  /** Ingress or LoadBalancer Service: its listeners accept the PROXY protocol (v1 or v2) from an upstream load balancer. */
  acceptProxy: {key: 'vipctl.io/accept-proxy', parse: bool, expect: 'true or false'},
  /** Ingress or LoadBalancer Service: how long a client may stay silent on its listeners (default 60s). */
  timeoutClient: {key: 'vipctl.io/timeout-client', parse: duration, expect: 'a duration from 1ms to 24h, e.g. 30s'},
} as const

export const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.values(ANNOTATIONS).map((a) => a.key))

export type AnnotationName = keyof typeof ANNOTATIONS

/**
 * NetScaler ingress controller annotations read for compatibility, so that
 * Ingresses written for it work unchanged (vipctl.io/* wins when both are set).
 * Any other ingress.citrix.com/* or service.citrix.com/* key is reported (VIP2013).
 */
export const CITRIX = {
  frontendIp: 'ingress.citrix.com/frontend-ip',
  serviceFrontendIp: 'service.citrix.com/frontend-ip',
  securePort: 'ingress.citrix.com/secure-port',
  insecurePort: 'ingress.citrix.com/insecure-port',
  insecureTermination: 'ingress.citrix.com/insecure-termination',
  lbvserver: 'ingress.citrix.com/lbvserver',
} as const

export const CITRIX_KEYS: ReadonlySet<string> = new Set(Object.values(CITRIX))

export const CITRIX_LB_METHODS: Record<string, LbMethod> = {ROUNDROBIN: 'roundrobin', LEASTCONNECTION: 'leastconn', SOURCEIPHASH: 'source'}

/** An IP address in canonical form (see canonicalIp). */
export const parseIp: Parser<string> = (s) => canonicalIp(s)
export const parsePort = port
