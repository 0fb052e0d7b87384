/**
 * LbModel: the target-neutral load-balancer model every target renders from
 * (HAProxy, NetScaler, nftables, ...). Every element carries provenance: the
 * object and field that produced it. Strings in here have already passed their
 * field's allowlist; targets still derive their own names from the parts.
 */
import type {Diagnostic, HTTPCORSFilter} from '../cluster/types.js'
import type {GatewayApiState} from './gateway.js'

export interface Provenance {
  /** kind/namespace/name */
  object: string
  field: string
}

export type VipSource = 'annotation' | 'status' | 'spec' | 'flag' | 'pool'

export interface Vip {
  address: string
  family: 4 | 6
  source: VipSource
  /** Objects served on this VIP (kind/namespace/name), sorted. */
  owners: string[]
}

/** tls: TLS passed through to members, routed by the ClientHello's SNI name (Gateway API TLSRoutes); routes use host only. */
export type FrontendProtocol = 'http' | 'https' | 'tcp' | 'udp' | 'tls'

export interface Route {
  /** Lower-case host; '*.example.com' for wildcards; '' matches any host. */
  host: string
  path: string
  pathType: 'Exact' | 'Prefix'
  /** Pool id (with a split: the backend the rule names). */
  pool: string
  /** On an HTTP frontend: answer with a redirect to HTTPS instead of proxying. */
  redirectHttps: boolean
  /** What the route does besides choosing `pool` (split, header rules, redirect, rewrite, timeout); absent: nothing. */
  policy?: RoutePolicy
  /** Request conditions besides host and path (Gateway API matches); absent: none. */
  conditions?: RouteConditions
  /**
   * How a '*.' host matches: 'label' (Ingress: exactly one more label; the default) or 'suffix' (Gateway API: one or
   * more labels, the longest wildcard first).
   */
  wildcard?: 'label' | 'suffix'
  /** Gateway API's tie-break after every match criterion (oldest route, namespace/name, rule and match index): lower first. */
  order?: number
  /** A route attached through a ListenerSet (its key): it claims hosts and paths no earlier than that ListenerSet. */
  through?: string
  provenance: Provenance
}

/**
 * Gateway API request conditions: every one must hold. method: an upper-case HTTP method; headers: a header with
 * this name (lower case) and exactly this value; query: the first query parameter with this name (case-sensitive)
 * has exactly this value.
 */
export interface RouteConditions {
  method?: string
  headers: Array<{name: string; value: string}>
  query: Array<{name: string; value: string}>
}

/** Every pool a frontend sends to: its routes', its default and the default's split. */
export function frontendPools(f: Frontend): string[] {
  // Loops, not flatMap: this runs over every route of every frontend, several times a render.
  const out = new Set<string>()
  for (const r of f.routes) {
    if (r.policy?.fail) continue
    out.add(r.pool)
    const split = r.policy?.split?.backends
    if (split) for (const b of split) if (b.pool !== r.pool) out.add(b.pool)
  }
  if (f.defaultPool) out.add(f.defaultPool)
  if (f.defaultSplit) for (const b of f.defaultSplit.backends) out.add(b.pool)
  return [...out]
}

/** Every pool a route may send a request to: its own and its split's. */
export function routePools(r: Pick<Route, 'pool' | 'policy'>): string[] {
  if (r.policy?.fail) return []
  return [r.pool, ...(r.policy?.split?.backends.map((b) => b.pool).filter((p) => p !== r.pool) ?? [])]
}

/** Header rules in order: remove, then set (replace every value), then add (one more value). */
export interface HeaderRules {
  set: Array<{name: string; value: string}>
  add: Array<{name: string; value: string}>
  remove: string[]
}

/** A path replacement: the whole path, or the part the route's Prefix matched. */
export type PathReplace = {kind: 'full'; value: string} | {kind: 'prefix'; value: string}

/**
 * A route's L7 policy (vipctl.io/* on the Ingress; Gateway API filters later). Each part carries the field it
 * came from. Order at run time: redirect (answers, nothing else runs), else request header rules, rewrite,
 * backend choice (split), and the response header rules on the way back.
 */
export interface RoutePolicy {
  /** Weighted backends (weights 0-1000; 0 takes no new requests); pool ids. Absent: all to Route.pool. */
  /** Weighted backends; a backendRef's own request header modifiers apply after the rule's, to its requests only. */
  split?: {backends: Array<{pool: string; weight: number; requestHeaders?: HeaderRules}>; provenance: Provenance}
  requestHeaders?: HeaderRules & {provenance: Provenance}
  responseHeaders?: HeaderRules & {provenance: Provenance}
  /** Answer with a redirect: each part absent keeps the request's. */
  redirect?: {scheme?: 'http' | 'https'; host?: string; port?: number; path?: PathReplace; code: 301 | 302 | 303 | 307 | 308; provenance: Provenance}
  rewrite?: {host?: string; path?: PathReplace; provenance: Provenance}
  /** How long a member has to answer this route's requests (ms): the backend wait, not a whole-exchange deadline. */
  timeoutMs?: {value: number; provenance: Provenance}
  /** Cross-origin resource sharing: the proxy answers preflights and adds the CORS headers (src/model/routing.ts corsResponse). */
  cors?: Cors & {provenance: Provenance}
  /**
   * Who may reach the route, by the connection's source address (the PROXY protocol's where the listener accepts it):
   * canonical networks; a source in `deny`, or not in a non-empty `allow`, is answered 403 before anything else the
   * route does. Never from a request header.
   */
  access?: {allow: string[]; deny: string[]; provenance: Provenance}
  /**
   * The rule cannot be served as written (Gateway API: every backend invalid, a filter vipctl cannot apply): it
   * answers 500 and does nothing else, rather than fall through to another rule. Its Route.pool is ''. Code 404: a
   * Gateway listener's fence (its hosts are never answered by a less specific listener's routes).
   */
  fail?: {reason: string; provenance: Provenance; code?: 404 | 500}
}

/** CORS as the routing module applies it: the Gateway API filter's fields (origins lower-cased). */
export type Cors = HTTPCORSFilter

export interface TlsCert {
  /** namespace/name of the kubernetes.io/tls Secret. */
  secret: string
  hosts: string[]
  provenance: Provenance
}

export interface Frontend {
  /** Derived id: `<protocol>_<vip>_<port>` with the VIP's separators replaced. */
  id: string
  address: string
  port: number
  protocol: FrontendProtocol
  /**
   * Listener settings, decided by the oldest object on the VIP:port (a newer one that disagrees gets a finding):
   * acceptProxy: connections come from a load balancer that sends the PROXY protocol header (v1 or v2), whose
   * source address is the client's; clientTimeoutMs: how long a client may stay silent (default 60 s).
   */
  listener?: {acceptProxy?: boolean; clientTimeoutMs?: number; provenance: Provenance}
  /** Sorted most specific first (see sortRoutes). */
  routes: Route[]
  defaultPool?: string
  /** A Gateway TCP/UDP listener's frontend: the route that holds it (the oldest attached; newer ones get nothing). */
  defaultRoute?: string
  /** TCP/UDP: the connections split across pools by weight (a TCPRoute's backendRefs); defaultPool is the heaviest. */
  defaultSplit?: {backends: Array<{pool: string; weight: number}>; provenance: Provenance}
  certificates: TlsCert[]
  /** protocol tls: the proxy terminates TLS with `certificates` and routes the clear stream by SNI (else passes it through). */
  terminate?: boolean
  /** Clients speak HTTP/2 here (gRPC: a GRPCRoute is attached), also in clear (prior knowledge); the first route that asked. */
  http2?: Provenance
  /**
   * HTTPS frontends of Gateway listeners: each listener served here (key: owner object and listener name) with its
   * hostname. The listener the TLS SNI selects must be the one the Host header belongs to, else 421 (routing.ts
   * misdirected): a connection set up for one listener's certificate never carries another listener's requests.
   */
  tlsListeners?: Array<{key: string; hostname?: string}>
  provenance: Provenance[]
}

export interface Member {
  address: string
  port: number
  /** Share of new connections relative to the pool's other members, 1-256 (default 1). */
  weight?: number
  ready: boolean
  serving: boolean
  terminating: boolean
  node?: string
  pod?: string
  /** Derived offline from Pods rather than read from an EndpointSlice. */
  derived: boolean
}

export type Monitor =
  /** tls: the check speaks HTTPS, without verifying the certificate (as the kubelet's HTTPS probes do). */
  /**
   * expect: accepted status range (default 200-399: the kubelet's success range); headers: the probe's
   * httpHeaders and host, sent with the check.
   */
  | {kind: 'http'; path: string; port?: number; tls?: boolean; expect?: {min: number; max: number}; headers?: Array<{name: string; value: string}>; intervalMs: number; timeoutMs: number; rise: number; fall: number; provenance?: Provenance}
  | {kind: 'tcp'; port?: number; intervalMs: number; timeoutMs: number; rise: number; fall: number; provenance?: Provenance}

/** When a request is retried: no connection, an empty or no response in time, or one of these statuses. */
export type RetryCondition = 'connect-failure' | 'empty-response' | 'response-timeout' | 401 | 403 | 404 | 408 | 425 | 500 | 501 | 502 | 503 | 504

export type LbMethod = 'roundrobin' | 'leastconn' | 'source'

export interface Pool {
  /** Derived id `<namespace>/<service>/<port>` (`/UDP` appended for UDP ports); targets turn it into their own names. */
  id: string
  namespace: string
  service: string
  /** The Service port number. */
  port: number
  portName?: string
  protocol: 'TCP' | 'UDP'
  lbMethod: LbMethod
  monitor: Monitor
  members: Member[]
  /**
   * Keeps a client on one member: by source address (Service spec.sessionAffinity: ClientIP) for
   * `timeoutSeconds` after its last connection. Undefined: every connection is balanced anew.
   */
  persistence?: {kind: 'source'; timeoutSeconds: number; provenance: Provenance}
  /** HTTP clients kept on one member by a cookie the proxy inserts (vipctl.io/session-cookie); TCP traffic is not affected. */
  cookie?: {name: string; provenance: Provenance}
  /**
   * Backend timeouts in ms from vipctl.io/timeout-* on the Service; each absent one is the default
   * (connect 5 s, server 60 s, tunnel 1 h: haproxy.cfg's defaults section, NetScaler's -svrTimeout 60).
   */
  timeouts?: {connectMs?: number; serverMs?: number; tunnelMs?: number; provenance: Provenance}
  /**
   * How the proxy speaks to members: HTTP/1.1 (default), h2c (HTTP/2 without TLS), or HTTPS, the member's
   * certificate verified against `ca` (a Secret's ca.crt: namespace/name and the checked, public PEM) or the system CAs, with SNI and host
   * name check for `serverName` when given. vipctl.io/backend-protocol, -backend-ca, -backend-server-name.
   */
  /** h2c: HTTP/2 in clear; https: TLS, verified (ca, else the system CAs) for serverName, HTTP/2 by ALPN when http2 (gRPC). */
  backendProtocol?: {kind: 'h2c'; provenance: Provenance} | {kind: 'https'; ca?: {secret: string; pem: string}; serverName?: string; http2?: boolean; provenance: Provenance}
  /** PROXY protocol header sent to members on each connection (vipctl.io/proxy-protocol). */
  proxyProtocol?: {version: 1 | 2; provenance: Provenance}
  /** At most this many concurrent connections per member; more wait in a queue (vipctl.io/max-connections). */
  maxConnections?: {value: number; provenance: Provenance}
  /** Retries of a failed request on another member (vipctl.io/retries, vipctl.io/retry-on). */
  retries?: {count: number; on: RetryCondition[]; provenance: Provenance}
  /**
   * Workloads whose pod template the Service selects: the endpoints to expect (offline input holds Deployments,
   * not Pods; live, Pods may not be running yet). Never rendered as servers: they have no address.
   */
  expected: ExpectedMembers[]
  /**
   * The pool cannot be spoken to as its policy asks (a BackendTLSPolicy vipctl cannot apply): every target answers
   * its requests 503 and closes its connections, never sends them without the TLS asked for.
   */
  unservable?: {reason: string; provenance: Provenance}
  /** An ExternalName Service: the proxy resolves `name` itself and connects to `port`; no members. */
  external?: {name: string; port: number}
  provenance: Provenance[]
}

/** Pods a workload asks for that would serve a pool. */
export interface ExpectedMembers {
  /** kind/namespace/name of the workload. */
  workload: string
  /** Pods it asks for (spec.replicas or parallelism); undefined for a DaemonSet: one per Node. */
  replicas?: number
  /** Nodes in the input (a DaemonSet's count when known). */
  nodes?: number
  /** The container port the Service port resolves to in the template; undefined when it does not resolve. */
  targetPort?: number
}

export interface LbModel {
  vips: Vip[]
  frontends: Frontend[]
  pools: Pool[]
  diagnostics: Diagnostic[]
  /** Gateway API: what vipctl owes the GatewayClasses, Gateways and HTTPRoutes of its classes (absent without any). */
  gatewayApi?: GatewayApiState
}

export interface ModelOptions {
  /** Only Ingresses of this class are ours (overrides IngressClass discovery). */
  ingressClass?: string
  /** VIP for anything that names none itself. */
  vip?: string
  /** CIDR to allocate VIPs from, deterministically. */
  vipPool?: string
  /**
   * CIDRs the VIPs objects name themselves must lie in (annotation, spec, status, Gateway addresses); undefined: any.
   * `vip` and addresses of `vipPool` are the operator's and always allowed.
   */
  vipAllow?: string[]
}
