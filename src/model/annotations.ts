/**
 * The vipctl.io/* annotations: one table with each key's allowlist. Nothing
 * else under vipctl.io/ is read; an unknown key is reported. There are no
 * snippet annotations, on purpose (see the security notes in the README).
 */
import {canonicalIp} from './ip.js'
import type {LbMethod} from './types.js'

export const PREFIX = 'vipctl.io/'

type Parser<T> = (raw: string) => T | undefined

const port: Parser<number> = (s) => (/^[0-9]{1,5}$/.test(s) && +s >= 1 && +s <= 65535 ? +s : undefined)
const bool: Parser<boolean> = (s) => (s === 'true' ? true : s === 'false' ? false : undefined)
/** A duration: "500ms", "5s", "2m", "1h" -> milliseconds, 1 ms to 24 h (what both targets can write). */
const duration: Parser<number> = (s) => {
  const m = /^([0-9]{1,8})(ms|s|m|h)$/.exec(s)
  if (!m) return undefined
  const ms = Number(m[1]) * {ms: 1, s: 1000, m: 60_000, h: 3_600_000}[m[2] as 'ms' | 's' | 'm' | 'h']
  return ms >= 1 && ms <= 86_400_000 ? ms : undefined
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
