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
