/**
 * The subset of Kubernetes objects vipctl reads, shared by the offline and live
 * sources. These are our own types (not client-node's) so that offline commands
 * never load the Kubernetes client.
 */

/** Where an object came from: a manifest (file, document, line) or the API server. */
import type {Diagnostic, Origin} from '../core/diagnostic.js'
export type {Origin} from '../core/diagnostic.js'

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  creationTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

export interface KObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
}

export interface ServicePort {
  name?: string
  protocol?: 'TCP' | 'UDP' | 'SCTP'
  port: number
  targetPort?: number | string
  nodePort?: number
  appProtocol?: string
}

export interface Service extends KObject {
  kind: 'Service'
  spec: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName'
    clusterIP?: string
    clusterIPs?: string[]
    selector?: Record<string, string>
    ports?: ServicePort[]
    loadBalancerIP?: string
    loadBalancerClass?: string
    loadBalancerSourceRanges?: string[]
    externalName?: string
    publishNotReadyAddresses?: boolean
    sessionAffinity?: 'None' | 'ClientIP'
    sessionAffinityConfig?: {clientIP?: {timeoutSeconds?: number}}
  }
  status?: {loadBalancer?: {ingress?: Array<{ip?: string; hostname?: string}>}}
}

export interface EndpointSlice extends KObject {
  kind: 'EndpointSlice'
  addressType: 'IPv4' | 'IPv6' | 'FQDN'
  endpoints?: Array<{
    addresses: string[]
    conditions?: {ready?: boolean; serving?: boolean; terminating?: boolean}
    nodeName?: string
    zone?: string
    targetRef?: {kind?: string; name?: string; namespace?: string}
  }>
  ports?: Array<{name?: string; port?: number; protocol?: string; appProtocol?: string}>
}

export interface IngressBackend {
  service?: {name: string; port?: {name?: string; number?: number}}
  resource?: {apiGroup?: string; kind: string; name: string}
}

export interface HTTPIngressPath {
  path?: string
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific'
  backend: IngressBackend
}

export interface Ingress extends KObject {
  kind: 'Ingress'
  spec: {
    ingressClassName?: string
    defaultBackend?: IngressBackend
    tls?: Array<{hosts?: string[]; secretName?: string}>
    rules?: Array<{host?: string; http?: {paths: HTTPIngressPath[]}}>
  }
  status?: {loadBalancer?: {ingress?: Array<{ip?: string; hostname?: string}>}}
}

export interface IngressClass extends KObject {
  kind: 'IngressClass'
  spec: {controller?: string; parameters?: unknown}
}

export interface Probe {
  httpGet?: {path?: string; port: number | string; scheme?: 'HTTP' | 'HTTPS'; host?: string; httpHeaders?: Array<{name: string; value: string}>}
  exec?: Record<string, unknown>
  grpc?: {port: number; service?: string}
  tcpSocket?: {port: number | string}
  periodSeconds?: number
  timeoutSeconds?: number
  successThreshold?: number
  failureThreshold?: number
}

export interface Container {
  name: string
  image?: string
  ports?: Array<{name?: string; containerPort: number; protocol?: string}>
  readinessProbe?: Probe
}

export interface PodCondition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
}

export interface Pod extends KObject {
  kind: 'Pod'
  spec: {nodeName?: string; containers: Container[]}
  status?: {
    phase?: string
    podIP?: string
    podIPs?: Array<{ip: string}>
    hostIP?: string
    conditions?: PodCondition[]
  }
}

/** Kinds whose pod template says which Pods will exist (the expected endpoints of a Service selecting them). */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'] as const
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number]

/**
 * A workload as vipctl reads it: its pod template (labels, containers with ports and readiness probes) and how
 * many Pods it asks for. Read from manifests and, live, from the API; only these fields are kept.
 */
export interface Workload extends KObject {
  kind: WorkloadKind
  /**
   * Pods asked for: spec.replicas (default 1) for Deployment, StatefulSet, ReplicaSet and ReplicationController;
   * spec.parallelism (default 1) for Job and CronJob; undefined for DaemonSet (one per Node that runs it).
   */
  replicas?: number
  template: {labels: Record<string, string>; containers: Container[]}
  /** Where the template's containers are, e.g. spec.template.spec.containers (findings name fields under it). */
  containersField: string
  /** The owning workload (a Deployment's ReplicaSet, a CronJob's Job): its Pods are counted once, under the owner. */
  owner?: {kind: string; name: string}
}

export interface Node extends KObject {
  kind: 'Node'
  status?: {addresses?: Array<{type: string; address: string}>}
}

/**
 * Secret material, kept only where a later stage (TLS files for the proxy)
 * needs it. It redacts itself everywhere it could leak: JSON, util.inspect,
 * string conversion.
 */
export class SecretBytes {
  readonly #value: Buffer
  constructor(value: Buffer) {
    this.#value = value
  }
  /** The only way to the bytes; call it where they are written to a key file. */
  reveal(): Buffer {
    return this.#value
  }
  get length(): number {
    return this.#value.length
  }
  toJSON(): string {
    return '<redacted>'
  }
  toString(): string {
    return '<redacted>'
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'SecretBytes<redacted>'
  }
}

/** A Secret without its data: type, key names and sizes only (plus TLS material held redacted). */
export interface SecretMeta extends KObject {
  kind: 'Secret'
  type: string
  /** Data key -> length in bytes. Never the values. */
  keys: Record<string, number>
  /** For kubernetes.io/tls: the certificate and key, redacted in every output. */
  tls?: {cert: SecretBytes; key: SecretBytes}
  /** ca.crt when present (a CA bundle for verifying backends); checked by the model (validateCa) before use. */
  ca?: SecretBytes
}

/** A reference from a Gateway API object to another object (parentRefs, backendRefs, certificateRefs). */
export interface ObjectRef {
  /** API group ('' is the core group). */
  group: string
  kind: string
  name: string
  namespace?: string
}

/** GatewayClass (gateway.networking.k8s.io, cluster-scoped): ours when controllerName is vipctl.io/gateway-controller. */
export interface GatewayClass extends KObject {
  kind: 'GatewayClass'
  spec: {controllerName: string; description?: string}
}

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | (string & {})

export interface GatewayListener {
  name: string
  /** Lower case; '*.example.com' for a wildcard (suffix: any number of labels). */
  hostname?: string
  port: number
  protocol: ListenerProtocol
  tls?: {mode: 'Terminate' | 'Passthrough'; certificateRefs: ObjectRef[]; options?: Record<string, string>}
  allowedRoutes: {
    namespaces: {from: 'Same' | 'All' | 'Selector' | 'None'; selector?: LabelSelector}
    /** Absent: the kinds the listener's protocol carries. */
    kinds?: Array<{group: string; kind: string}>
  }
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[]}>
}

/** Gateway (gateway.networking.k8s.io): listeners on addresses, for the routes that attach to them. */
export interface Gateway extends KObject {
  kind: 'Gateway'
  metadata: ObjectMeta & {generation?: number}
  spec: {
    gatewayClassName: string
    listeners: GatewayListener[]
    /** Requested addresses; an entry without value asks vipctl to assign one of the type (the VIP pool). */
    addresses?: Array<{type: string; value?: string}>
    /** Which namespaces' ListenerSets may add listeners (absent: none). */
    allowedListeners?: {namespaces: {from: 'Same' | 'All' | 'Selector' | 'None'; selector?: LabelSelector}}
    /** Fields read only to be reported (infrastructure, tls, defaultScope). */
    unsupported?: string[]
  }
  status?: {addresses?: Array<{type?: string; value: string}>}
}

export interface HTTPHeaderMatch {
  type: 'Exact' | 'RegularExpression'
  name: string
  value: string
}

export interface HTTPRouteMatch {
  path: {type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string}
  headers: HTTPHeaderMatch[]
  queryParams: HTTPHeaderMatch[]
  method?: string
}

export interface HTTPHeaderFilter {
  set: Array<{name: string; value: string}>
  add: Array<{name: string; value: string}>
  remove: string[]
}

export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch'
  replaceFullPath?: string
  replacePrefixMatch?: string
}

export type HTTPRouteFilter =
  | {type: 'RequestHeaderModifier'; requestHeaderModifier: HTTPHeaderFilter}
  | {type: 'ResponseHeaderModifier'; responseHeaderModifier: HTTPHeaderFilter}
  | {type: 'RequestRedirect'; requestRedirect: {scheme?: 'http' | 'https'; hostname?: string; path?: HTTPPathModifier; port?: number; statusCode: 301 | 302 | 303 | 307 | 308}}
  | {type: 'URLRewrite'; urlRewrite: {hostname?: string; path?: HTTPPathModifier}}
  | {type: 'CORS'; cors: HTTPCORSFilter}
  /** Kept only to be reported: vipctl cannot serve them (the rule answers 500 rather than run without them). */
  | {type: 'RequestMirror' | 'ExtensionRef' | (string & {})}

/** Cross-origin resource sharing (Gateway API HTTPCORSFilter): origins as `scheme://host[:port]`, `*` in the host a left wildcard. */
export interface HTTPCORSFilter {
  allowOrigins: string[]
  allowCredentials: boolean
  /** Methods, or ['*']. */
  allowMethods: string[]
  /** Header names, or ['*']. */
  allowHeaders: string[]
  exposeHeaders: string[]
  /** Seconds a preflight may be cached (default 5). */
  maxAge: number
}

export interface HTTPBackendRef extends ObjectRef {
  port?: number
  weight: number
  filters: HTTPRouteFilter[]
}

export interface HTTPRouteRule {
  name?: string
  matches: HTTPRouteMatch[]
  filters: HTTPRouteFilter[]
  backendRefs: HTTPBackendRef[]
  timeouts?: {request?: string; backendRequest?: string}
  /** Fields read only to be reported (retry, sessionPersistence). */
  unsupported?: string[]
}

export interface ParentRef extends ObjectRef {
  sectionName?: string
  port?: number
}

/** HTTPRoute (gateway.networking.k8s.io): HTTP rules attached to Gateway listeners. */
export interface HTTPRoute extends KObject {
  kind: 'HTTPRoute'
  metadata: ObjectMeta & {generation?: number}
  spec: {parentRefs: ParentRef[]; hostnames: string[]; rules: HTTPRouteRule[]}
}

/** TCPRoute (gateway.networking.k8s.io/v1): a TCP listener's connections to weighted backends (one rule). */
export interface TCPRoute extends KObject {
  kind: 'TCPRoute'
  metadata: ObjectMeta & {generation?: number}
  spec: {parentRefs: ParentRef[]; rules: Array<{name?: string; backendRefs: Array<ObjectRef & {port?: number; weight: number}>}>}
}

/** TLSRoute (gateway.networking.k8s.io/v1): TLS connections by SNI hostname to weighted backends (one rule), passed through. */
export interface TLSRoute extends KObject {
  kind: 'TLSRoute'
  metadata: ObjectMeta & {generation?: number}
  spec: {parentRefs: ParentRef[]; hostnames: string[]; rules: Array<{name?: string; backendRefs: Array<ObjectRef & {port?: number; weight: number}>}>}
}

/**
 * BackendTLSPolicy (gateway.networking.k8s.io/v1): how the proxy speaks TLS to a Service's members: the CA
 * (ConfigMaps' ca.crt, or the system's) and the name to verify and send as SNI.
 */
export interface BackendTLSPolicy extends KObject {
  kind: 'BackendTLSPolicy'
  metadata: ObjectMeta & {generation?: number}
  spec: {
    targetRefs: Array<{group: string; kind: string; name: string; sectionName?: string}>
    validation: {caCertificateRefs: ObjectRef[]; wellKnownCACertificates?: 'System'; hostname: string; subjectAltNames?: unknown[]}
    options?: Record<string, string>
  }
}

/** A ConfigMap: only its ca.crt is kept (a public CA bundle a BackendTLSPolicy names); the other keys are dropped. */
export interface ConfigMapCa extends KObject {
  kind: 'ConfigMap'
  caCrt?: string
}

/** ReferenceGrant (gateway.networking.k8s.io): lets objects of `from` refer to objects of `to` in its namespace. */
export interface ReferenceGrant extends KObject {
  kind: 'ReferenceGrant'
  spec: {from: Array<{group: string; kind: string; namespace: string}>; to: Array<{group: string; kind: string; name?: string}>}
}

export interface GRPCRouteMatch {
  /** A gRPC service and/or method ("/service/method" on the wire); absent: every method of every service. */
  method?: {type: 'Exact' | 'RegularExpression'; service?: string; method?: string}
  headers: HTTPHeaderMatch[]
}

export interface GRPCRouteRule {
  name?: string
  matches: GRPCRouteMatch[]
  /** Header modifiers (RequestMirror and ExtensionRef are kept only to be reported). */
  filters: HTTPRouteFilter[]
  backendRefs: HTTPBackendRef[]
  /** Fields read only to be reported (sessionPersistence). */
  unsupported?: string[]
}

/** GRPCRoute (gateway.networking.k8s.io/v1): gRPC requests by service and method, over HTTP/2, to weighted backends. */
export interface GRPCRoute extends KObject {
  kind: 'GRPCRoute'
  metadata: ObjectMeta & {generation?: number}
  spec: {parentRefs: ParentRef[]; hostnames: string[]; rules: GRPCRouteRule[]}
}

/** UDPRoute (gateway.networking.k8s.io/v1): a UDP listener's datagrams to weighted backends (one rule). */
export interface UDPRoute extends KObject {
  kind: 'UDPRoute'
  metadata: ObjectMeta & {generation?: number}
  spec: {parentRefs: ParentRef[]; rules: Array<{name?: string; backendRefs: Array<ObjectRef & {port?: number; weight: number}>}>}
}

/** ListenerSet (gateway.networking.k8s.io/v1): listeners added to a Gateway whose spec.allowedListeners admits them. */
export interface ListenerSet extends KObject {
  kind: 'ListenerSet'
  metadata: ObjectMeta & {generation?: number}
  spec: {parentRef: ObjectRef; listeners: GatewayListener[]}
}

/** A Namespace: only its labels are read (Gateway listeners select route namespaces by them). */
export interface Namespace extends KObject {
  kind: 'Namespace'
}

export type GatewayApiObject = GatewayClass | Gateway | ListenerSet | HTTPRoute | GRPCRoute | TCPRoute | TLSRoute | UDPRoute | ReferenceGrant | BackendTLSPolicy

export type AnyObject = Service | EndpointSlice | Ingress | IngressClass | Pod | Node | SecretMeta | Workload | Namespace | ConfigMapCa | GatewayApiObject

export type {Diagnostic, Severity} from '../core/diagnostic.js'

/** Everything one read of a cluster (live or offline) produced. */
export interface Snapshot {
  source: {kind: 'offline'; files: string[]} | {kind: 'live'; context: string; server: string}
  services: Service[]
  endpointSlices: EndpointSlice[]
  ingresses: Ingress[]
  ingressClasses: IngressClass[]
  pods: Pod[]
  nodes: Node[]
  secrets: SecretMeta[]
  workloads: Workload[]
  /** Namespaces (labels only; live: read when a Gateway listener selects route namespaces by label). */
  namespaces: Namespace[]
  /** Gateway API objects (gateway.networking.k8s.io). */
  gatewayClasses: GatewayClass[]
  gateways: Gateway[]
  listenerSets: ListenerSet[]
  httpRoutes: HTTPRoute[]
  grpcRoutes: GRPCRoute[]
  tcpRoutes: TCPRoute[]
  tlsRoutes: TLSRoute[]
  udpRoutes: UDPRoute[]
  backendTLSPolicies: BackendTLSPolicy[]
  /** ConfigMaps with a ca.crt (the CA bundles BackendTLSPolicies name; live: read by name). */
  configMaps: ConfigMapCa[]
  referenceGrants: ReferenceGrant[]
  /** Objects of kinds vipctl does not read, skipped without a finding: "apiVersion/kind" -> count. */
  skipped: Map<string, number>
  /** Where each object came from, keyed by objectKey(). */
  origins: Map<string, Origin>
  diagnostics: Diagnostic[]
}

/** kind/namespace/name, the key used in diagnostics and origins. */
export function objectKey(o: {kind: string; metadata: {name: string; namespace?: string}}): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`
}

export function emptySnapshot(source: Snapshot['source']): Snapshot {
  return {
    source,
    services: [],
    endpointSlices: [],
    ingresses: [],
    ingressClasses: [],
    pods: [],
    nodes: [],
    secrets: [],
    workloads: [],
    namespaces: [],
    gatewayClasses: [],
    gateways: [],
    listenerSets: [],
    httpRoutes: [],
    grpcRoutes: [],
    tcpRoutes: [],
    tlsRoutes: [],
    udpRoutes: [],
    backendTLSPolicies: [],
    configMaps: [],
    referenceGrants: [],
    skipped: new Map(),
    origins: new Map(),
    diagnostics: [],
  }
}
