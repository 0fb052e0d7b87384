/**
 * LbModel: the target-neutral load-balancer model every target renders from
 * (HAProxy, NetScaler, nftables, ...). Every element carries provenance: the
 * object and field that produced it. Strings in here have already passed their
 * field's allowlist; targets still derive their own names from the parts.
 */
import type {Diagnostic} from '../cluster/types.js'

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

export type FrontendProtocol = 'http' | 'https' | 'tcp' | 'udp'

export interface Route {
  /** Lower-case host; '*.example.com' for wildcards; '' matches any host. */
  host: string
  path: string
  pathType: 'Exact' | 'Prefix'
  /** Pool id. */
  pool: string
  /** On an HTTP frontend: answer with a redirect to HTTPS instead of proxying. */
  redirectHttps: boolean
  provenance: Provenance
}

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
  /** Sorted most specific first (see sortRoutes). */
  routes: Route[]
  defaultPool?: string
  certificates: TlsCert[]
  provenance: Provenance[]
}

export interface Member {
  address: string
  port: number
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
  | {kind: 'http'; path: string; port?: number; tls?: boolean; intervalMs: number; timeoutMs: number; rise: number; fall: number; provenance?: Provenance}
  | {kind: 'tcp'; port?: number; intervalMs: number; timeoutMs: number; rise: number; fall: number; provenance?: Provenance}

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
   * Workloads whose pod template the Service selects: the endpoints to expect (offline input holds Deployments,
   * not Pods; live, Pods may not be running yet). Never rendered as servers: they have no address.
   */
  expected: ExpectedMembers[]
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
}

export interface ModelOptions {
  /** Only Ingresses of this class are ours (overrides IngressClass discovery). */
  ingressClass?: string
  /** VIP for anything that names none itself. */
  vip?: string
  /** CIDR to allocate VIPs from, deterministically. */
  vipPool?: string
}
