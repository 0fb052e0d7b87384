/**
 * Snapshot -> LbModel. Pure and deterministic: the same snapshot and options
 * give the same model, element for element, in the same order.
 */
import {ipFamily} from '../core/address.js'
import {createHash} from 'node:crypto'
import {MANAGED_BY_LABEL, DERIVED_MANAGER, SERVICE_NAME_LABEL, podSource, resolveIn, selectorMatches, templateSource, workloadsFor, type ContainerSource} from '../cluster/derive.js'
import type {Diagnostic, EndpointSlice, Gateway, Ingress, IngressBackend, ListenerSet, Pod, Service, ServicePort, Snapshot, Workload} from '../cluster/types.js'
import {objectKey} from '../cluster/types.js'
import {catalogEntry} from '../core/catalog.js'
import {ANNOTATIONS, CITRIX, CITRIX_KEYS, CITRIX_LB_METHODS, KNOWN_KEYS, PREFIX, parseIp, parsePort, type AnnotationName} from './annotations.js'
import {compareDecisions, conditionsKey, describeConditions, pathMatches} from './routing.js'
import {GatewayApiBuilder, explicitGatewayVips, ourGateways, type GatewayHost} from './gateway.js'
import {MONITOR_LIMITS, PROTECTED_HEADERS, allow, canonicalHost} from './grammar.js'
import {foreignController, foreignSslRedirect, foreignVerdict} from './foreign.js'
import {validateCa, validateTls, type TlsResult} from './tls.js'
import {isLinkLocal4, canonicalIp, canonicalNetwork, cidrContains, fmtAddr, intToIpv4, isUnicast, networkContains, parseCidr, sortByAddress, usableRange, type Cidr, type Network} from './ip.js'
import {frontendPools, type Frontend, type FrontendProtocol, type LbMethod, type LbModel, type Member, type ModelOptions, type Monitor, type Pool, type Provenance, type Route, type RoutePolicy, type Vip, type VipSource} from './types.js'

/** vipctl.io/* keys that apply to Services (their pools) only: on an Ingress they do nothing, and check says so. */
const SERVICE_KEYS: ReadonlySet<string> = new Set(
  (['lbMethod', 'sessionCookie', 'timeoutConnect', 'timeoutServer', 'timeoutTunnel', 'checkStatus', 'backendProtocol', 'backendCa', 'backendServerName', 'proxyProtocol', 'maxConnections', 'retries', 'retryOn', 'memberWeights'] as const).map((k) => ANNOTATIONS[k].key),
)
/** Listener keys: on an Ingress or a LoadBalancer Service of ours. */
const LISTENER_KEYS: ReadonlySet<string> = new Set([ANNOTATIONS.acceptProxy.key, ANNOTATIONS.timeoutClient.key])
/** vipctl.io/* keys that shape an Ingress's routes: on a Service they do nothing, and check says so. */
const ROUTE_KEYS: ReadonlySet<string> = new Set((['trafficSplit', 'requestHeaders', 'responseHeaders', 'hsts', 'redirect', 'rewrite', 'timeoutRequest', 'allowSourceRanges', 'denySourceRanges'] as const).map((k) => ANNOTATIONS[k].key))

export const CONTROLLER_NAME = 'vipctl.io/ingress-controller'
export const DEFAULT_CLASS = 'vipctl'
export const LB_CLASS = 'vipctl.io/lb'
const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class'
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class'

/** Builds the model; never throws for bad objects (they become diagnostics). */
export function buildModel(snap: Snapshot, opts: ModelOptions = {}): LbModel {
  return new Builder(snap, opts).build()
}

/** The routing module's order between two routes of one frontend (negative: `a` is tried first). */
function compareDecisionsOf(a: Route, b: Route): number {
  const d = (r: Route) => ({host: r.host, match: {path: r.path, pathType: r.pathType}, ...(r.conditions ? {conditions: r.conditions} : {}), ...(r.order !== undefined ? {order: r.order} : {})})
  return compareDecisions(d(a), d(b))
}

/** Which Ingresses are ours: see the README ("Which objects vipctl serves"). */
/**
 * The Ingress classes vipctl serves: --ingress-class (and then the class-less Ingresses too when that class is
 * the input's default class), else the IngressClasses whose controller is vipctl's (class-less ones when one of
 * them is the only default), else the class "vipctl".
 */
export function ingressClassesOf(snap: Snapshot, opts: ModelOptions): {ours: Set<string>; defaultIsOurs: boolean} {
  const defaults = defaultClasses(snap)
  if (opts.ingressClass) return {ours: new Set([opts.ingressClass]), defaultIsOurs: defaults.length === 1 && defaults[0]!.metadata.name === opts.ingressClass}
  const ourClasses = snap.ingressClasses.filter((c) => c.spec.controller === CONTROLLER_NAME)
  if (ourClasses.length === 0) return {ours: new Set([DEFAULT_CLASS]), defaultIsOurs: false}
  return {
    ours: new Set(ourClasses.map((c) => c.metadata.name)),
    defaultIsOurs: defaults.length === 1 && defaults[0]!.spec.controller === CONTROLLER_NAME,
  }
}

/** IngressClasses marked default (ingressclass.kubernetes.io/is-default-class: "true"). */
export function defaultClasses(snap: Snapshot): Snapshot['ingressClasses'] {
  return snap.ingressClasses.filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')
}

/** The class an Ingress names (spec.ingressClassName, else the legacy kubernetes.io/ingress.class annotation). */
export function classOf(ing: Ingress): string | undefined {
  return ing.spec.ingressClassName ?? ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION]
}

/** Why vipctl does not serve an Ingress (for one not ours), in words. */
export function whyNotOurs(ing: Ingress, snap: Snapshot, opts: ModelOptions): string {
  const cls = classOf(ing)
  const names = [...ingressClassesOf(snap, opts).ours]
  const ours = `${names.length === 1 ? 'class' : 'classes'} ${names.join(', ')}`
  const hint = opts.ingressClass ? '' : ' (pass --ingress-class to serve another)'
  if (cls !== undefined) {
    const c = snap.ingressClasses.find((x) => x.metadata.name === cls)
    return `class ${cls}${c?.spec.controller ? ` belongs to controller ${c.spec.controller}` : ''}; vipctl serves ${ours}`
  }
  const defaults = defaultClasses(snap)
  if (defaults.length === 0) return `no ingress class, and the input marks no IngressClass as default; vipctl serves ${ours}${hint}`
  if (defaults.length > 1) return `no ingress class, and ${defaults.length} IngressClasses are marked default (${defaults.map((d) => d.metadata.name).join(', ')}): none applies`
  return `no ingress class, and the default class is ${defaults[0]!.metadata.name} (controller ${defaults[0]!.spec.controller ?? 'unknown'}); vipctl serves ${ours}`
}

export function ingressIsOurs(ing: Ingress, classes: {ours: Set<string>; defaultIsOurs: boolean}): boolean {
  const cls = classOf(ing)
  return cls === undefined ? classes.defaultIsOurs : classes.ours.has(cls)
}

export function serviceIsOurs(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && (svc.spec.loadBalancerClass === LB_CLASS || svc.metadata.annotations?.[ANNOTATIONS.vip.key] !== undefined || svc.metadata.annotations?.[CITRIX.serviceFrontendIp] !== undefined)
}

/**
 * Objects in the order their claims are decided: oldest creationTimestamp
 * first; objects without one (offline manifests) after those with one; then
 * namespace/name. Stable and total, so the same input always decides alike.
 */
export function claimOrder<T extends {metadata: {name: string; namespace?: string; creationTimestamp?: string}}>(objects: T[]): T[] {
  const time = (o: T) => {
    const t = o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : NaN
    return Number.isFinite(t) ? t : Number.POSITIVE_INFINITY
  }
  return objects
    .map((o) => ({o, t: time(o), k: `${o.metadata.namespace ?? ''}/${o.metadata.name}`}))
    .sort((a, b) => (a.t === b.t ? 0 : a.t < b.t ? -1 : 1) || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.o)
}

/** Sorts routes as the proxy must try them: exact hosts, then wildcards, then any; longest path first; Exact before Prefix. */
export function sortRoutes(routes: Route[]): Route[] {
  const hostRank = (h: string) => (h === '' ? 2 : h.startsWith('*.') ? 1 : 0)
  return routes.sort(
    (a, b) =>
      hostRank(a.host) - hostRank(b.host) ||
      b.host.length - a.host.length ||
      a.host.localeCompare(b.host) ||
      b.path.length - a.path.length ||
      a.path.localeCompare(b.path) ||
      (a.pathType === b.pathType ? 0 : a.pathType === 'Exact' ? -1 : 1),
  )
}

class Builder implements GatewayHost {
  private readonly diagnostics: Diagnostic[] = []
  private readonly pools = new Map<string, Pool>()
  private readonly frontends = new Map<string, Frontend>()
  private readonly vips = new Map<string, Vip>()
  private readonly servicesByKey: Map<string, Service>
  /** namespace/service -> its EndpointSlices; namespace -> Pods; namespace/name -> Secret: no scans per pool. */
  private readonly slicesByService = new Map<string, EndpointSlice[]>()
  private readonly podsByNamespace = new Map<string, Pod[]>()
  /** namespace -> its workloads, in snapshot order (workloadsFor reads only a Service's own namespace). */
  private readonly workloadsByNamespace = new Map<string | undefined, Snapshot['workloads']>()
  private readonly secretsByKey: Map<string, Snapshot['secrets'][number]>
  /** kind/namespace/name -> place in the one claim order (oldest first), for route keys claimed in any order. */
  private readonly claimRank = new Map<string, number>()
  /** frontend key -> host|path|pathType -> route, for duplicate detection in O(1). */
  private readonly routeIndex = new Map<Frontend, Map<string, Route>>()
  /** Each VIP's owners as a set, for the duplicate check (Vip.owners is sorted when the model is returned). */
  private readonly vipOwners = new Map<Vip, Set<string>>()
  private readonly pool?: Cidr
  /** --vip-allow, parsed (modelOptions validated it); undefined: any address. */
  private readonly vipAllow?: Network[]

  constructor(
    readonly snap: Snapshot,
    private readonly opts: ModelOptions,
  ) {
    this.servicesByKey = new Map(snap.services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
    this.secretsByKey = new Map(snap.secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
    for (const slice of snap.endpointSlices) {
      const key = `${slice.metadata.namespace}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`
      const list = this.slicesByService.get(key) ?? []
      list.push(slice)
      this.slicesByService.set(key, list)
    }
    for (const pod of snap.pods) {
      const list = this.podsByNamespace.get(pod.metadata.namespace ?? 'default') ?? []
      list.push(pod)
      this.podsByNamespace.set(pod.metadata.namespace ?? 'default', list)
    }
    for (const w of snap.workloads) {
      const list = this.workloadsByNamespace.get(w.metadata.namespace)
      if (list) list.push(w)
      else this.workloadsByNamespace.set(w.metadata.namespace, [w])
    }
    if (opts.vipPool) this.pool = parseCidr(opts.vipPool)
    if (opts.vipAllow) this.vipAllow = opts.vipAllow.map((c) => canonicalNetwork(c)).filter((n): n is Network => n !== undefined)
  }

  build(): LbModel {
    const classes = ingressClassesOf(this.snap, this.opts)
    // Claims are made oldest first (creationTimestamp, then namespace/name), as Gateway API decides conflicts:
    // a later object never takes a host, path, default backend or VIP:port that an older one serves.
    // A LoadBalancer restricted to source ranges is not served open: vipctl does not apply the ranges yet.
    const services = claimOrder(this.snap.services.filter(serviceIsOurs)).filter((s) => this.checkAnnotations(s) && this.sourceRangesServable(s))
    // An Ingress whose annotations ask another controller for access control or raw configuration is not served.
    const ingresses = claimOrder(this.snap.ingresses.filter((i) => ingressIsOurs(i, classes))).filter((i) => this.checkAnnotations(i))

    // Explicit VIPs first, so pool allocation can avoid them.
    const needVip: Array<Ingress | Service | Gateway> = []
    const vipOf = new Map<string, {address: string; source: VipSource}>()
    for (const o of [...ingresses, ...services]) {
      const v = this.explicitVip(o)
      if (v) vipOf.set(objectKey(o), v)
      else needVip.push(o)
    }
    const gateways = ourGateways(this)
    const gatewayVips = new Map<string, Array<{address: string; source: VipSource}>>()
    for (const g of gateways) {
      const v = explicitGatewayVips(this, g, this.annotation(g as unknown as Ingress, 'vip'), this.opts.vip)
      if (v) gatewayVips.set(objectKey(g), v)
      else needVip.push(g)
    }
    for (const vs of gatewayVips.values()) for (const v of vs) vipOf.set(`\u0000${v.address}`, v)
    this.allocate(needVip, vipOf)
    for (const g of gateways) if (!gatewayVips.has(objectKey(g)) && vipOf.has(objectKey(g))) gatewayVips.set(objectKey(g), [vipOf.get(objectKey(g))!])

    // An object without a usable VIP is still read whole: every other finding of it is reported too.
    // One claim order across kinds: an older LoadBalancer Service keeps its VIP:port against a newer Ingress or
    // Gateway, and the reverse; route keys go to the older object whatever the order they are added in (addRoute).
    const gatewayApiBuilder = new GatewayApiBuilder(this)
    // ListenerSets claim their VIP:ports by their own age (never before their Gateway: then right after it).
    const claimants = claimOrder<Ingress | Service | Gateway | ListenerSet>([...ingresses, ...services, ...gateways, ...gatewayApiBuilder.listenerSets()])
    claimOrder<{kind: string; metadata: Ingress['metadata']}>([...claimants, ...this.snap.httpRoutes, ...this.snap.grpcRoutes, ...this.snap.tlsRoutes]).forEach((o, i) => this.claimRank.set(objectKey(o), i))
    for (const o of claimants)
      if (o.kind === 'Ingress') this.addIngress(o, vipOf.get(objectKey(o)))
      else if (o.kind === 'Service') this.addLoadBalancer(o, vipOf.get(objectKey(o)))
      else if (o.kind === 'ListenerSet') gatewayApiBuilder.serveSet(o)
      else gatewayApiBuilder.serve(o, gatewayVips.get(objectKey(o)) ?? [])
    const gatewayApi = gatewayApiBuilder.finish()

    const frontends = sortByAddress([...this.frontends.values()], (f) => f.address, (a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))
    for (const f of frontends) {
      sortRoutes(f.routes)
      // Certificates stay in claim order (oldest first): the first crt-list line is the default certificate.
    }
    // Only pools something routes to.
    const used = new Set<string>()
    for (const f of frontends) for (const p of frontendPools(f)) used.add(p)
    for (const v of this.vips.values()) v.owners.sort()
    return {
      vips: sortByAddress([...this.vips.values()], (v) => v.address),
      frontends,
      pools: [...this.pools.values()].filter((p) => used.has(p.id)).sort((a, b) => a.id.localeCompare(b.id)),
      diagnostics: [...this.snap.diagnostics, ...this.diagnostics],
      ...(gatewayApi.classes.length + gatewayApi.gateways.length + gatewayApi.routes.length > 0 ? {gatewayApi} : {}),
    }
  }

  service(ns: string, name: string): Service | undefined {
    return this.servicesByKey.get(`${ns}/${name}`)
  }

  poolsOf(ns: string, service: string): Pool[] {
    return [...this.pools.values()].filter((p) => p.namespace === ns && p.service === service)
  }

  claimOrder<T extends {kind: string; metadata: {name: string; namespace?: string; creationTimestamp?: string}}>(objects: T[]): T[] {
    return claimOrder(objects)
  }

  tlsProblem(ns: string, name: string, owner: string, field: string): string | undefined {
    const secret = this.secretsByKey.get(`${ns}/${name}`)
    if (!secret) return `Secret ${ns}/${name} not found`
    if (secret.type !== 'kubernetes.io/tls' || !('tls.crt' in secret.keys) || !('tls.key' in secret.keys)) return `Secret ${ns}/${name} is not a kubernetes.io/tls Secret with tls.crt and tls.key`
    if (secret.tls) {
      const v = this.tls(`${ns}/${name}`, secret.tls)
      if (!v.ok) return `Secret ${ns}/${name} is unusable: ${v.problem}`
      for (const note of v.material.notes) this.diag('VIP2014', owner, field, `Secret ${ns}/${name}: ${note}`)
    }
    return undefined
  }

  /** HTTPS frontend -> TLS host -> the object (kind/ns/name) whose certificate serves it. */
  private readonly tlsHostOwners = new Map<Frontend, Map<string, string>>()

  /** Each TLS Secret is validated once per build, however many Ingresses use it. */
  private readonly tlsChecked = new Map<string, TlsResult>()

  private tls(secretKey: string, material: {cert: {reveal(): Buffer}; key: {reveal(): Buffer}}): TlsResult {
    let v = this.tlsChecked.get(secretKey)
    if (!v) {
      v = validateTls(material.cert.reveal(), material.key.reveal())
      this.tlsChecked.set(secretKey, v)
    }
    return v
  }

  diag(code: string, object: string, field: string | undefined, message: string): void {
    this.diagnostics.push({severity: catalogEntry(code).severity, code, object, field, message, origin: this.snap.origins.get(object)})
  }

  private annotation<K extends AnnotationName>(o: Ingress | Service, name: K): ReturnType<(typeof ANNOTATIONS)[K]['parse']> | undefined {
    const a = ANNOTATIONS[name]
    const raw = o.metadata.annotations?.[a.key]
    if (raw === undefined) return undefined
    const v = a.parse(raw)
    if (v === undefined) this.diag('VIP2006', objectKey(o), `metadata.annotations[${a.key}]`, `must be ${a.expect}`)
    return v as ReturnType<(typeof ANNOTATIONS)[K]['parse']> | undefined
  }

  private sourceRangesServable(svc: Service): boolean {
    const ann = svc.metadata.annotations?.['service.beta.kubernetes.io/load-balancer-source-ranges']
    if (!svc.spec.loadBalancerSourceRanges?.length && !ann) return true
    this.diag('VIP2024', objectKey(svc), svc.spec.loadBalancerSourceRanges?.length ? 'spec.loadBalancerSourceRanges' : 'metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]', 'source ranges restrict who may connect, and vipctl does not apply them yet; serving the Service without them would open it, so it is not served')
    return false
  }

  /** Reports annotations vipctl does not read as written; false when the object must not be served (VIP2021, VIP2022). */
  private checkAnnotations(o: Ingress | Service): boolean {
    let serve = true
    for (const [k, value] of Object.entries(o.metadata.annotations ?? {})) {
      const field = `metadata.annotations[${k}]`
      if (k.startsWith(PREFIX) && !KNOWN_KEYS.has(k)) this.diag('VIP2012', objectKey(o), field, `unknown annotation ${k}`)
      if (o.kind === 'Ingress' && SERVICE_KEYS.has(k)) this.diag('VIP2012', objectKey(o), field, `${k} applies to Services; on an Ingress it has no effect (set it on the backend Service)`)
      if (o.kind === 'Service' && ROUTE_KEYS.has(k)) this.diag('VIP2012', objectKey(o), field, `${k} applies to Ingresses; on a Service it has no effect`)
      if (o.kind === 'Service' && LISTENER_KEYS.has(k) && !serviceIsOurs(o)) this.diag('VIP2012', objectKey(o), field, `${k} is a listener setting: it applies on an IngressClass (for its Ingresses) or on a LoadBalancer Service vipctl serves; on this Service it has no effect`)
      if ((k.startsWith('ingress.citrix.com/') || k.startsWith('service.citrix.com/')) && !CITRIX_KEYS.has(k))
        this.diag('VIP2013', objectKey(o), field, `${k} is a NetScaler controller annotation vipctl does not support; it is ignored`)
      if (o.kind !== 'Ingress') continue
      const v = foreignVerdict(k, value)
      if (!v) continue
      const who = `${k} (${foreignController(k)})`
      if (v.kind === 'honoured') this.diag('VIP2019', objectKey(o), field, `${who}: ${v.by}`)
      else if (v.kind === 'not-honoured') this.diag('VIP2020', objectKey(o), field, `${who}: not honoured by vipctl${v.hint ? ` (${v.hint})` : ''}`)
      else if (v.kind === 'access') {
        this.diag('VIP2021', objectKey(o), field, `${who}: ${v.what}, which vipctl cannot apply; serving the Ingress without it would open its routes, so it is not served`)
        serve = false
      } else if (v.kind === 'leave-out') {
        this.diag('VIP2023', objectKey(o), field, `${who}: ${v.why}`)
        serve = false
      } else {
        this.diag('VIP2022', objectKey(o), field, `${who}: raw proxy configuration, which vipctl never pastes; the Ingress is not served`)
        serve = false
      }
    }
    return serve
  }

  /** A NetScaler controller annotation, checked like ours; undefined when absent or invalid (then reported). */
  private citrix<T>(o: Ingress | Service, key: string, parse: (raw: string) => T | undefined, expect: string): T | undefined {
    const raw = o.metadata.annotations?.[key]
    if (raw === undefined) return undefined
    const v = parse(raw)
    if (v === undefined) this.diag('VIP2006', objectKey(o), `metadata.annotations[${key}]`, `must be ${expect}`)
    return v
  }

  private explicitVip(o: Ingress | Service): {address: string; source: VipSource} | undefined {
    const ann = this.annotation(o, 'vip') ?? this.citrix(o, o.kind === 'Service' ? CITRIX.serviceFrontendIp : CITRIX.frontendIp, parseIp, 'an IPv4 or IPv6 address')
    if (ann) return {address: ann, source: 'annotation'}
    // Every address in canonical form: two spellings of one address are one VIP.
    const canonical = (raw: string, source: VipSource, field: string) => {
      const address = canonicalIp(raw)
      if (address === undefined) this.diag('VIP2003', objectKey(o), field, `${raw.slice(0, 45)} is not an IP address`)
      return address === undefined ? undefined : {address, source}
    }
    const st = o.status?.loadBalancer?.ingress?.find((i) => i.ip)?.ip
    if (st) return canonical(st, 'status', 'status.loadBalancer.ingress[].ip')
    if (o.kind === 'Service' && o.spec.loadBalancerIP) return canonical(o.spec.loadBalancerIP, 'spec', 'spec.loadBalancerIP')
    if (this.opts.vip) return canonical(this.opts.vip, 'flag', '--vip')
    return undefined
  }

  /** Deterministic allocation: hash of kind/ns/name picks a start, linear probing skips addresses in use. */
  private allocate(need: Array<Ingress | Service | Gateway>, vipOf: Map<string, {address: string; source: VipSource}>): void {
    if (need.length === 0) return
    if (!this.pool) {
      for (const o of need) this.diag('VIP2005', objectKey(o), undefined, 'no VIP: no vipctl.io/vip annotation, load-balancer status, --vip or --vip-pool')
      return
    }
    const taken = new Set([...vipOf.values()].map((v) => v.address))
    const {first, count} = usableRange(this.pool)
    for (const o of [...need].sort((a, b) => objectKey(a).localeCompare(objectKey(b)))) {
      const start = createHash('sha256').update(objectKey(o)).digest().readUInt32BE(0) % count
      let chosen: string | undefined
      for (let i = 0; i < count; i++) {
        const ip = intToIpv4(first + ((start + i) % count))
        if (!taken.has(ip)) {
          chosen = ip
          break
        }
      }
      if (!chosen) {
        this.diag('VIP2005', objectKey(o), undefined, `no VIP: --vip-pool ${this.pool.text} is exhausted`)
        continue
      }
      taken.add(chosen)
      vipOf.set(objectKey(o), {address: chosen, source: 'pool'})
    }
  }

  /** An address the operator gave: --vip, or one of --vip-pool (what sync writes back to status). */
  private operatorVip(address: string): boolean {
    if (this.opts.vip !== undefined && canonicalIp(this.opts.vip) === address) return true
    return this.pool !== undefined && cidrContains(this.pool, address)
  }

  useVip(address: string, source: VipSource, owner: string): boolean {
    // The field the VIP came from, for the finding's FIELD column.
    const gateway = owner.startsWith('Gateway/')
    const field = source === 'annotation' ? 'metadata.annotations' : source === 'status' ? (gateway ? 'status.addresses' : 'status.loadBalancer.ingress[].ip') : source === 'spec' ? (gateway ? 'spec.addresses' : 'spec.loadBalancerIP') : undefined
    if (!isUnicast(address)) {
      this.diag('VIP2003', owner, field, `VIP ${address} is not a unicast address a VIP can be (link-local, multicast and unspecified addresses cannot)`)
      return false
    }
    if (isLinkLocal4(address)) {
      this.diag('VIP2003', owner, field, `VIP ${address} is a link-local address (169.254.0.0/16, where cloud metadata services answer); the object is not served`)
      return false
    }
    // The operator's --vip-allow: what an object may name as its VIP. The operator's own --vip and pool always are.
    if (this.vipAllow && (source === 'annotation' || source === 'spec' || source === 'status') && !this.operatorVip(address) && !this.vipAllow.some((n) => networkContains(n, address))) {
      this.diag('VIP2003', owner, field, `VIP ${address} is outside --vip-allow (${this.vipAllow.map((n) => n.text).join(', ')}): the object is not served`)
      return false
    }
    let v = this.vips.get(address)
    if (!v) {
      v = {address, family: ipFamily(address) === 6 ? 6 : 4, source, owners: []}
      this.vips.set(address, v)
      this.vipOwners.set(v, new Set())
    }
    // Owners are sorted once, in build(): a VIP shared by thousands of objects is not re-sorted per object.
    const owners = this.vipOwners.get(v)!
    if (!owners.has(owner)) {
      owners.add(owner)
      v.owners.push(owner)
    }
    return true
  }

  frontend(address: string, port: number, protocol: FrontendProtocol, prov: Provenance, terminate = false): Frontend | undefined {
    // TCP and UDP ports are separate on an address: only claims of the same transport can conflict.
    const key = `${address}|${port}|${protocol === 'udp' ? 'udp' : 'tcp'}`
    const existing = this.frontends.get(key)
    if (existing) {
      // TLS passed through and TLS terminated cannot share a port (the first bytes decide either way).
      if (existing.protocol !== protocol || protocol === 'tcp' || protocol === 'udp' || (existing.terminate ?? false) !== terminate) {
        this.diag('VIP2007', prov.object, prov.field, `${fmtAddr(address, port)} is already served as ${existing.protocol}${existing.protocol === 'tls' ? (existing.terminate ? ' (terminated)' : ' (passed through)') : ''} by ${existing.provenance[0]?.object}`)
        return undefined
      }
      existing.provenance.push(prov)
      return existing
    }
    const f: Frontend = {
      id: `${protocol}_${address.replace(/[.:]/g, '-')}_${port}`,
      address,
      port,
      protocol,
      routes: [],
      certificates: [],
      ...(terminate ? {terminate} : {}),
      provenance: [prov],
    }
    this.frontends.set(key, f)
    return f
  }

  private addIngress(ing: Ingress, vipGiven: {address: string; source: VipSource} | undefined): void {
    const key = objectKey(ing)
    const ns = ing.metadata.namespace ?? 'default'
    const vip = vipGiven && this.useVip(vipGiven.address, vipGiven.source, key) ? vipGiven : undefined
    const httpPort = this.annotation(ing, 'httpPort') ?? this.citrix(ing, CITRIX.insecurePort, parsePort, 'a port number 1-65535') ?? 80
    const httpsPort = this.annotation(ing, 'httpsPort') ?? this.citrix(ing, CITRIX.securePort, parsePort, 'a port number 1-65535') ?? 443
    const termination = this.citrix(ing, CITRIX.insecureTermination, (s) => (['allow', 'redirect', 'disallow'].includes(s) ? s : undefined), 'allow, redirect or disallow')
    if (termination === 'disallow') this.diag('VIP2013', key, `metadata.annotations[${CITRIX.insecureTermination}]`, 'disallow is not supported: vipctl redirects plain HTTP to HTTPS instead')
    const sslRedirect = this.annotation(ing, 'sslRedirect') ?? foreignSslRedirect(ing.metadata.annotations) ?? (termination === undefined ? true : termination !== 'allow')
    this.citrixLbMethods(ing)
    const pol = this.routePolicyOf(ing)
    if (!pol) {
      // Not served (VIP2025 said why); its backends are still checked.
      for (const r of ing.spec.rules ?? []) for (const [pi, p] of (r.http?.paths ?? []).entries()) this.poolFor(ns, p.backend, key, `spec.rules[].http.paths[${pi}].backend`)
      if (ing.spec.defaultBackend) this.poolFor(ns, ing.spec.defaultBackend, key, 'spec.defaultBackend')
      return
    }

    // TLS: hosts -> secret.
    const tlsHosts = new Set<string>()
    const certs: Frontend['certificates'] = []
    ;(ing.spec.tls ?? []).forEach((t, i) => {
      const field = `spec.tls[${i}].secretName`
      if (!t.secretName) return
      const secret = this.secretsByKey.get(`${ns}/${t.secretName}`)
      if (!secret) return this.diag('VIP2004', key, field, `Secret ${ns}/${t.secretName} not found`)
      if (secret.type !== 'kubernetes.io/tls' || !('tls.crt' in secret.keys) || !('tls.key' in secret.keys))
        return this.diag('VIP2004', key, field, `Secret ${ns}/${t.secretName} is not a kubernetes.io/tls Secret with tls.crt and tls.key`)
      // Checked as the proxy will load it, so one tenant's Secret can never make a target refuse the whole config.
      if (secret.tls) {
        const v = this.tls(`${ns}/${t.secretName}`, secret.tls)
        if (!v.ok) return this.diag('VIP2004', key, field, `Secret ${ns}/${t.secretName} is unusable: ${v.problem}; its hosts are not served over TLS`)
        for (const note of v.material.notes) this.diag('VIP2014', key, field, `Secret ${ns}/${t.secretName}: ${note}`)
      }
      const hosts: string[] = []
      for (const [hi, raw] of (t.hosts ?? []).entries()) {
        const h = canonicalHost(raw)
        if (!allow.host(h)) {
          this.diag('VIP2003', key, `spec.tls[${i}].hosts[${hi}]`, 'host is not allowed')
          continue
        }
        if (!hosts.includes(h)) hosts.push(h)
        tlsHosts.add(h)
      }
      certs.push({secret: `${ns}/${t.secretName}`, hosts: hosts.sort(), provenance: {object: key, field}})
    })

    const routes: Array<Omit<Route, 'redirectHttps'>> = []
    ;(ing.spec.rules ?? []).forEach((rule, ri) => {
      const host = canonicalHost(rule.host ?? '')
      if (host !== '' && !allow.host(host)) return this.diag('VIP2003', key, `spec.rules[${ri}].host`, 'host is not allowed')
      ;(rule.http?.paths ?? []).forEach((p, pi) => {
        const field = `spec.rules[${ri}].http.paths[${pi}]`
        let pathType = p.pathType
        if (pathType === 'ImplementationSpecific') {
          this.diag('VIP2009', key, `${field}.pathType`, `path ${p.path ?? '/'} is matched as a literal Prefix`)
          pathType = 'Prefix'
        }
        const path = p.path ?? '/'
        if (!allow.path(path))
          return this.diag('VIP2003', key, `${field}.path`, path.length > 1024 ? `path is ${path.length} characters; at most 1,024` : 'path must match ^/[A-Za-z0-9._~-/]*$ without "." or ".." segments (requests for those are refused with 400: the rule could never match)')
        const pool = this.poolFor(ns, p.backend, key, `${field}.backend`)
        if (!pool) return
        const split = pol.split?.some((x) => x.service === p.backend.service?.name) ? this.splitFor(ns, p.backend, pol.split, key) : undefined
        const policy: RoutePolicy = exactPathKept({...pol.common, ...(split ? {split} : {})}, pathType, path, (name, message) => this.diag('VIP2006', key, `metadata.annotations[${ANNOTATIONS[name].key}]`, message))
        routes.push({host, path: normalizePrefix(path, pathType), pathType, pool: pool.id, ...(Object.keys(policy).length > 0 ? {policy} : {}), provenance: {object: key, field}})
      })
    })

    if (!vip) {
      // Not served (VIP2005/VIP2003 said why); its default backend is still checked.
      if (ing.spec.defaultBackend) this.poolFor(ns, ing.spec.defaultBackend, key, 'spec.defaultBackend')
      return
    }
    if (pol.hsts && certs.length === 0) this.diag('VIP2006', key, `metadata.annotations[${ANNOTATIONS.hsts.key}]`, 'the Ingress has no TLS (spec.tls): HSTS is sent on HTTPS responses only, so it has no effect')
    if (pol.split) {
      const used = new Set((ing.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend.service?.name)))
      if (!pol.split.some((x) => used.has(x.service))) this.diag('VIP2006', key, `metadata.annotations[${ANNOTATIONS.trafficSplit.key}]`, `no path of this Ingress routes to ${pol.split.map((x) => x.service).join(' or ')}; the split has no effect`)
    }
    const http = this.listen(this.frontend(vip.address, httpPort, 'http', {object: key, field: 'spec.rules'}), pol.listener, key)
    const https = certs.length > 0 ? this.listen(this.frontend(vip.address, httpsPort, 'https', {object: key, field: 'spec.tls'}), pol.listener, key) : undefined
    const redirect = (host: string) => sslRedirect && https !== undefined && host !== '' && coveredBy(host, tlsHosts)
    for (const f of [http, https]) {
      if (!f) continue
      for (const r of routes) {
        let policy = f === https && pol.hsts ? withHsts(r.policy, pol.hsts, key) : r.policy
        // A redirect that changes nothing on this listener would send the client back to the same URL, forever.
        const rd = policy?.redirect
        // Same scheme, host and port, and a path this route matches again (none given, the prefix replaced by itself,
        // or a fixed path under the rule): some request would be sent back to itself, forever.
        const samePlace = rd && (rd.scheme ?? f.protocol) === f.protocol && (rd.host === undefined || rd.host === r.host) && (rd.port === undefined || rd.port === f.port)
        const loops =
          rd &&
          (!rd.path ||
            (rd.path.kind === 'prefix' && r.pathType === 'Prefix' && rd.path.value === r.path) ||
            (rd.path.kind === 'full' && (r.pathType === 'Exact' ? r.path === rd.path.value : pathMatches({path: r.path, pathType: 'Prefix'}, rd.path.value))))
        if (rd && samePlace && loops) {
          this.diag('VIP2006', key, rd.provenance.field, `on ${f.protocol.toUpperCase()} ${fmtAddr(f.address, f.port)} the redirect for ${r.host || '*'}${r.path} would send ${rd.path ? 'some requests' : 'every request'} back to the same URL (a loop): not made there`)
          const {redirect: _drop, ...rest} = policy!
          policy = Object.keys(rest).length > 0 ? rest : undefined
        }
        this.addRoute(f, {...r, redirectHttps: f === http && redirect(r.host), ...(policy ? {policy} : {}), ...(policy === undefined && r.policy ? {policy: undefined} : {})})
      }
    }
    if (https) {
      // A TLS host belongs to the oldest object that claims it on this frontend: a newer object's Secret is never
      // served for it (a proxy picks the first certificate listed for a name).
      for (const c of certs) {
        const mine = c.hosts.filter((h) => {
          const owner = this.claimTlsHost(https, h, key)
          if (owner) {
            this.diag('VIP2017', key, c.provenance.field, `TLS host ${h} on ${fmtAddr(https.address, https.port)} is already served with the Secret of ${owner}, which keeps it (the oldest claim wins, then namespace/name order)`)
            return false
          }
          return true
        })
        if (c.hosts.length > 0 && mine.length === 0) continue
        https.certificates.push({...c, hosts: mine})
      }
    }
    if (ing.spec.defaultBackend && pol.common.access) {
      // The default backend answers what no rule matches, for every object on the VIP: it cannot be restricted by one.
      this.poolFor(ns, ing.spec.defaultBackend, key, 'spec.defaultBackend')
      this.diag('VIP2025', key, 'spec.defaultBackend', `source ranges (${pol.common.access.provenance.field}) cannot restrict a default backend, which answers every request no rule matches on the VIP: it is not served (give it a rule with path / instead)`)
    } else if (ing.spec.defaultBackend) {
      // Route keys hold for the Ingress's rules; the default backend answers for the whole VIP and takes none of them.
      const keys = (['requestHeaders', 'responseHeaders', 'redirect', 'rewrite', 'timeoutRequest', 'hsts'] as const).filter((k) => ing.metadata.annotations?.[ANNOTATIONS[k].key] !== undefined)
      if (keys.length) this.diag('VIP2006', key, 'spec.defaultBackend', `${keys.map((k) => ANNOTATIONS[k].key).join(', ')} apply to this Ingress's rules, not to requests that reach spec.defaultBackend (it answers for the whole VIP): give it a rule for / to have them`)
      const pool = this.poolFor(ns, ing.spec.defaultBackend, key, 'spec.defaultBackend')
      for (const f of [http, https]) {
        if (!f || !pool) continue
        if (f.defaultPool && f.defaultPool !== pool.id) this.diag('VIP2008', key, 'spec.defaultBackend', `${fmtAddr(f.address, f.port)} already has default backend ${f.defaultPool}`)
        else f.defaultPool = pool.id
      }
    }
  }

  /**
   * Gateway API precedence lets a route with more conditions take requests from one with fewer on the same host and
   * path. Within a namespace that is the team's design; a route of another namespace doing it to an older route is
   * said (VIP6008), as it takes that route's traffic for the requests its conditions select.
   */
  private conditionsTakeFromOlder(f: Frontend, r: Route): void {
    const nsOf = (o: string) => o.split('/')[1]
    const victim = f.routes.find((x) => x !== r && x.host === r.host && x.path === r.path && x.pathType === r.pathType && (x.wildcard ?? '') === (r.wildcard ?? '') && !x.policy?.fail && nsOf(x.provenance.object) !== nsOf(r.provenance.object) && this.rankOf(x) < this.rankOf(r) && compareDecisionsOf(r, x) < 0)
    if (victim)
      this.diag('VIP6008', r.provenance.object, r.provenance.field, `${r.host || '*'}${r.path} (${r.pathType}) is also routed by the older ${victim.provenance.object}; requests with ${describeConditions(r.conditions)} go to this route instead (more specific matches win in Gateway API)`)
  }

  /** A route's place in the claim order: its object's, and never before the ListenerSet it came through. */
  private rankOf(r: Route): number {
    const rank = (o: string) => this.claimRank.get(o) ?? Number.MAX_SAFE_INTEGER
    return Math.max(rank(r.provenance.object), r.through !== undefined ? rank(r.through) : -1)
  }

  claimTlsHost(f: Frontend, host: string, owner: string): string | undefined {
    const owners = this.tlsHostOwners.get(f) ?? new Map<string, string>()
    this.tlsHostOwners.set(f, owners)
    const held = owners.get(host)
    if (held !== undefined && held !== owner) return held
    owners.set(host, owner)
    return undefined
  }

  addFence(f: Frontend, r: Route): void {
    const index = this.routeIndex.get(f) ?? new Map<string, Route>()
    this.routeIndex.set(f, index)
    const key = `${r.host}|${r.path}|${r.pathType}|${r.wildcard ?? ''}|${conditionsKey(r.conditions)}`
    if (index.has(key)) return
    index.set(key, r)
    f.routes.push(r)
  }

  addRoute(f: Frontend, r: Route): void {
    const index = this.routeIndex.get(f) ?? new Map<string, Route>()
    this.routeIndex.set(f, index)
    const key = `${r.host}|${r.path}|${r.pathType}|${r.wildcard ?? ''}|${conditionsKey(r.conditions)}`
    const clash = index.get(key)
    if (!clash) {
      index.set(key, r)
      f.routes.push(r)
      if (r.conditions) this.conditionsTakeFromOlder(f, r)
      return
    }
    // The older object keeps the key, whichever was added first (Ingresses before HTTPRoutes in a build).
    const [keep, lose] = this.rankOf(r) < this.rankOf(clash) ? [r, clash] : [clash, r]
    if (keep === r) {
      index.set(key, r)
      f.routes[f.routes.indexOf(clash)] = r
    }
    if (keep.pool !== lose.pool || policyShape(keep.policy) !== policyShape(lose.policy))
      this.diag('VIP2010', lose.provenance.object, lose.provenance.field, `${lose.host || '*'}${lose.path} (${lose.pathType}${lose.conditions ? `, ${describeConditions(lose.conditions)}` : ''}) is already routed by ${keep.provenance.object}, which keeps it (the oldest claim wins, then namespace/name order)`)
  }

  private addLoadBalancer(svc: Service, vipGiven: {address: string; source: VipSource} | undefined): void {
    const key = objectKey(svc)
    const vip = vipGiven && this.useVip(vipGiven.address, vipGiven.source, key) ? vipGiven : undefined
    ;(svc.spec.ports ?? []).forEach((sp, i) => {
      const protocol = sp.protocol === 'UDP' ? 'udp' : sp.protocol === 'SCTP' ? undefined : 'tcp'
      if (!protocol) return this.diag('VIP2003', key, `spec.ports[${i}].protocol`, 'SCTP is not supported')
      if (!vip) return
      const f = this.listen(this.frontend(vip.address, sp.port, protocol, {object: key, field: `spec.ports[${i}]`}), this.listenerOf(svc), key)
      if (f) f.defaultPool = this.pool_(svc, sp, {object: key, field: `spec.ports[${i}]`}).id
    })
  }

  /**
   * The listener settings an object asks for (vipctl.io/accept-proxy, vipctl.io/timeout-client); undefined when none.
   */
  private listenerOf(o: Ingress | Service): Frontend['listener'] {
    const acceptProxy = this.annotation(o, 'acceptProxy')
    const clientTimeoutMs = this.annotation(o, 'timeoutClient')
    if (!acceptProxy && clientTimeoutMs === undefined) return undefined
    return {...(acceptProxy ? {acceptProxy} : {}), ...(clientTimeoutMs !== undefined ? {clientTimeoutMs} : {}), provenance: {object: objectKey(o), field: 'metadata.annotations'}}
  }

  /**
   * An Ingress's listener settings come from its IngressClass (cluster-scoped, the operator's): a VIP:port is
   * shared by every Ingress on it, so no tenant's Ingress may set how it accepts connections. The same keys on an
   * Ingress are reported (VIP2012) and have no effect.
   */
  private classListener(ing: Ingress): Frontend['listener'] {
    for (const k of LISTENER_KEYS)
      if (ing.metadata.annotations?.[k] !== undefined)
        this.diag('VIP2012', objectKey(ing), `metadata.annotations[${k}]`, `${k} is a listener setting, shared by every Ingress on the VIP:port: set it on the IngressClass (the operator's); on an Ingress it has no effect`)
    const name = classOf(ing) ?? (defaultClasses(this.snap).length === 1 ? defaultClasses(this.snap)[0]!.metadata.name : undefined)
    const cls = this.snap.ingressClasses.find((c) => c.metadata.name === name)
    if (!cls) return undefined
    // Read like an object's own keys (an invalid value is a finding on the IngressClass).
    return this.listenerOf(cls as unknown as Ingress)
  }

  /**
   * Listener settings belong to the VIP:port: the first (oldest) object on it decides them. A newer object that
   * asks otherwise gets a finding; when the PROXY protocol setting differs its clients could not be understood,
   * so it is not served there (VIP2026); a different client timeout is only reported (VIP2027).
   */
  private listen(f: Frontend | undefined, want: Frontend['listener'], owner: string): Frontend | undefined {
    if (!f) return undefined
    if (f.provenance[0]!.object === owner && f.provenance.filter((p) => p.object === owner).length === f.provenance.length) {
      if (want) f.listener = want
      return f
    }
    const have = f.listener
    const by = f.provenance[0]!.object
    if (Boolean(have?.acceptProxy) !== Boolean(want?.acceptProxy)) {
      this.diag('VIP2026', owner, `metadata.annotations[${ANNOTATIONS.acceptProxy.key}]`, `${fmtAddr(f.address, f.port)} ${have?.acceptProxy ? 'expects' : 'does not expect'} the PROXY protocol (decided by ${by}, the oldest object on it); this object asks otherwise and is not served there`)
      f.provenance = f.provenance.filter((p) => p.object !== owner)
      return undefined
    }
    if (have?.clientTimeoutMs !== want?.clientTimeoutMs)
      this.diag('VIP2027', owner, `metadata.annotations[${ANNOTATIONS.timeoutClient.key}]`, `${fmtAddr(f.address, f.port)} keeps the client timeout of ${by} (${have?.clientTimeoutMs !== undefined ? `${have.clientTimeoutMs} ms` : 'the default 60 s'}), the oldest object on it`)
    return f
  }

  /**
   * An Ingress's route policy from its vipctl.io/* keys. undefined when one of them is invalid: serving the routes
   * without a header rule, redirect or split they ask for could expose what they protect, so the Ingress is not
   * served (VIP2025, one finding per key).
   */
  private routePolicyOf(ing: Ingress): {common: Omit<RoutePolicy, 'split'>; split?: Array<{service: string; weight: number}>; hsts?: string; listener: Frontend['listener']} | undefined {
    const key = objectKey(ing)
    let ok = true
    const read = <K extends AnnotationName>(name: K): ReturnType<(typeof ANNOTATIONS)[K]['parse']> | undefined => {
      const a = ANNOTATIONS[name]
      const raw = ing.metadata.annotations?.[a.key]
      if (raw === undefined) return undefined
      const v = a.parse(raw)
      if (v === undefined) {
        ok = false
        this.diag('VIP2025', key, `metadata.annotations[${a.key}]`, `must be ${a.expect}; the Ingress is not served`)
      }
      return v as ReturnType<(typeof ANNOTATIONS)[K]['parse']> | undefined
    }
    const prov = (name: AnnotationName): Provenance => ({object: key, field: `metadata.annotations[${ANNOTATIONS[name].key}]`})
    const split = read('trafficSplit')
    const req = read('requestHeaders')
    const res = read('responseHeaders')
    const hsts = read('hsts')
    const redirect = read('redirect')
    const rewrite = read('rewrite')
    const timeout = read('timeoutRequest')
    const allowRanges = read('allowSourceRanges')
    const denyRanges = read('denySourceRanges')
    const listener = this.classListener(ing)
    if (!ok) return undefined
    const common: Omit<RoutePolicy, 'split'> = {
      ...(req ? {requestHeaders: {...req, provenance: prov('requestHeaders')}} : {}),
      ...(res ? {responseHeaders: {...res, provenance: prov('responseHeaders')}} : {}),
      ...(redirect ? {redirect: {...redirect, provenance: prov('redirect')}} : {}),
      ...(rewrite ? {rewrite: {...rewrite, provenance: prov('rewrite')}} : {}),
      ...(timeout !== undefined ? {timeoutMs: {value: timeout, provenance: prov('timeoutRequest')}} : {}),
      ...(allowRanges || denyRanges ? {access: {allow: allowRanges ?? [], deny: denyRanges ?? [], provenance: prov(allowRanges ? 'allowSourceRanges' : 'denySourceRanges')}} : {}),
    }
    if (redirect && (split || rewrite || req))
      this.diag('VIP2006', key, prov('redirect').field, 'a redirect answers the request itself: the split, rewrite and request header rules of this Ingress never run')
    return {common, ...(split ? {split} : {}), ...(hsts ? {hsts} : {}), listener}
  }

  /** The weighted pools of a split for one path: each listed Service on the path's port (number or name); a missing one is reported and its share goes to the others. */
  private splitFor(ns: string, b: IngressBackend, split: Array<{service: string; weight: number}>, owner: string): RoutePolicy['split'] {
    const field = `metadata.annotations[${ANNOTATIONS.trafficSplit.key}]`
    const backends: Array<{pool: string; weight: number}> = []
    for (const x of split) {
      if (!this.servicesByKey.has(`${ns}/${x.service}`)) {
        this.diag('VIP2001', owner, field, `Service ${ns}/${x.service} not found; its share goes to the others`)
        continue
      }
      const pool = this.poolFor(ns, {service: {name: x.service, port: b.service!.port}}, owner, field)
      if (pool && !backends.some((y) => y.pool === pool.id)) backends.push({pool: pool.id, weight: x.weight})
    }
    // Kept even when one backend remains: "web=0,canary=100" sends everything to the canary, not to the rule's web.
    if (!backends.some((x) => x.weight > 0)) return undefined
    return {backends, provenance: {object: owner, field}}
  }

  /** Resolves an Ingress backend to a pool, or reports why it cannot. */
  poolFor(ns: string, b: IngressBackend, owner: string, field: string, protocol?: 'TCP' | 'UDP'): Pool | undefined {
    if (!b.service) {
      this.diag('VIP2001', owner, field, 'resource backends are not supported; use a Service backend')
      return undefined
    }
    const svc = this.servicesByKey.get(`${ns}/${b.service.name}`)
    if (!svc) {
      this.diag('VIP2001', owner, `${field}.service.name`, `Service ${ns}/${b.service.name} not found`)
      return undefined
    }
    const want = b.service.port
    if (svc.spec.type === 'ExternalName') return this.externalPool(svc, want, owner, field)
    // A port number may be served over TCP and UDP: `protocol` picks one (the first of that number otherwise).
    const sp = (svc.spec.ports ?? []).find((p) => (want?.name !== undefined ? p.name === want.name : p.port === want?.number) && (protocol === undefined || (p.protocol ?? 'TCP') === protocol))
    if (!sp) {
      const what = want?.name !== undefined ? `named ${want.name}` : `${want?.number ?? '(none given)'}`
      this.diag('VIP2002', owner, `${field}.service.port`, `Service ${ns}/${svc.metadata.name} has no port ${what}`)
      return undefined
    }
    return this.pool_(svc, sp, {object: owner, field})
  }

  /**
   * An ExternalName Service as a backend: the proxy resolves spec.externalName
   * itself (HAProxy resolvers, NetScaler domain-based servers). The port is the
   * backend's port number, or the Service port it names (a CNAME keeps the port).
   */
  private externalPool(svc: Service, want: {name?: string; number?: number} | undefined, owner: string, field: string): Pool | undefined {
    const ns = svc.metadata.namespace ?? 'default'
    const key = objectKey(svc)
    const name = canonicalHost(svc.spec.externalName ?? '')
    if (!allow.host(name) || name.startsWith('*.')) {
      this.diag('VIP2003', key, 'spec.externalName', 'an ExternalName backend needs a DNS name (no wildcard) the proxy can resolve; the routes to it are left out')
      return undefined
    }
    // The proxy would connect to itself or to an address no Service vouches for (169.254.169.254 is a cloud's metadata service).
    // Numeric forms (127.1, 2130706433, 0x7f000001) are addresses to some resolvers: a name's last label is never numeric.
    if (ipFamily(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || /(^|\.)(0x[0-9a-f]+|[0-9]+)$/.test(name)) {
      this.diag('VIP2003', key, 'spec.externalName', `${name} is an IP address or localhost, not a DNS name: the proxy would connect to whatever that is from the node; the routes to it are left out (for an IP, use a Service without selector and an EndpointSlice)`)
      return undefined
    }
    const port = want?.name !== undefined ? (svc.spec.ports ?? []).find((p) => p.name === want.name)?.port : want?.number
    if (port === undefined) {
      this.diag('VIP2002', owner, `${field}.service.port`, `Service ${ns}/${svc.metadata.name} is an ExternalName Service with no port ${want?.name !== undefined ? `named ${want.name}` : '(none given)'}; give the backend a port number`)
      return undefined
    }
    const id = `${ns}/${svc.metadata.name}/${port}`
    const existing = this.pools.get(id)
    if (existing) {
      if (!existing.provenance.some((p) => p.object === owner && p.field === field)) existing.provenance.push({object: owner, field})
      return existing
    }
    const pool: Pool = {
      id,
      namespace: ns,
      service: svc.metadata.name,
      port,
      protocol: 'TCP',
      lbMethod: 'roundrobin',
      monitor: {kind: 'tcp', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, provenance: {object: key, field: 'spec.externalName'}},
      members: [],
      expected: [],
      external: {name, port},
      provenance: [{object: owner, field}],
    }
    this.diag('VIP2016', key, 'spec.externalName', `backend ${name}:${port} is resolved by HAProxy through DNS at run time (the node's resolv.conf)${port === 443 ? ', spoken to with TLS, its certificate verified against the system CAs for that name' : ''}; NetScaler resolves it with a domain-based server (VIP3005 says what the appliance needs)`)
    this.pools.set(id, pool)
    return pool
  }

  /** ingress.citrix.com/lbvserver: '{"<service>": {"lbmethod": "LEASTCONNECTION"}}' for this Ingress's Services (vipctl.io/lb-method on the Service wins). */
  private citrixLbMethods(ing: Ingress): void {
    const field = `metadata.annotations[${CITRIX.lbvserver}]`
    const parsed = this.citrix(
      ing,
      CITRIX.lbvserver,
      (raw) => {
        try {
          const v = JSON.parse(raw) as unknown
          return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
        } catch {
          return undefined
        }
      },
      'JSON keyed by Service name, e.g. {"web":{"lbmethod":"LEASTCONNECTION"}}',
    )
    if (!parsed) return
    const ns = ing.metadata.namespace ?? 'default'
    for (const [svcName, conf] of Object.entries(parsed)) {
      const opts = (conf && typeof conf === 'object' ? conf : {}) as Record<string, unknown>
      for (const [k, v] of Object.entries(opts)) {
        if (k.toLowerCase() !== 'lbmethod') {
          this.diag('VIP2013', objectKey(ing), field, `${svcName}.${k} is not supported; only lbmethod is`)
          continue
        }
        const m = CITRIX_LB_METHODS[String(v).toUpperCase()]
        if (!m) {
          this.diag('VIP2013', objectKey(ing), field, `${svcName}.lbmethod ${JSON.stringify(v)} is not supported (ROUNDROBIN, LEASTCONNECTION, SOURCEIPHASH)`)
          continue
        }
        if (!this.servicesByKey.has(`${ns}/${svcName}`)) {
          this.diag('VIP2013', objectKey(ing), field, `${svcName}: no Service of that name in namespace ${ns}; this entry has no effect`)
          continue
        }
        this.citrixLb.set(`${ns}/${svcName}`, m)
        // Pools made before this Ingress was read (another Ingress routes to the Service too).
        const svc = this.servicesByKey.get(`${ns}/${svcName}`)
        if (svc && svc.metadata.annotations?.[ANNOTATIONS.lbMethod.key] === undefined) for (const p of this.pools.values()) if (p.namespace === ns && p.service === svcName) p.lbMethod = m
      }
    }
  }

  private readonly citrixLb = new Map<string, LbMethod>()
  /** namespace -> "key\u0000value" -> the namespace's Pods with that label, in snapshot order; made on first use. */
  private readonly podsByLabel = new Map<string, Map<string, Pod[]>>()

  /**
   * The Pods of a namespace a selector matches, in snapshot order: those with one of its labels, then checked with
   * selectorMatches (the same Pods as filtering the whole namespace, without reading it once per Service).
   */
  private podsSelected(ns: string, selector: Record<string, string> | undefined): Pod[] {
    const first = selector ? Object.entries(selector)[0] : undefined
    if (!first) return []
    let index = this.podsByLabel.get(ns)
    if (!index) {
      index = new Map()
      for (const p of this.podsByNamespace.get(ns) ?? [])
        for (const [k, v] of Object.entries(p.metadata.labels ?? {})) {
          const key = `${k}\u0000${v}`
          const list = index.get(key)
          if (list) list.push(p)
          else index.set(key, [p])
        }
      this.podsByLabel.set(ns, index)
    }
    return (index.get(`${first[0]}\u0000${first[1]}`) ?? []).filter((p) => selectorMatches(selector, p.metadata.labels))
  }
  private readonly annotationsChecked = new Set<Service>()

  private pool_(svc: Service, sp: ServicePort, prov: Provenance): Pool {
    const ns = svc.metadata.namespace ?? 'default'
    const id = `${ns}/${svc.metadata.name}/${sp.port}${sp.protocol === 'UDP' ? '/UDP' : ''}`
    const existing = this.pools.get(id)
    if (existing) {
      if (!existing.provenance.some((p) => p.object === prov.object && p.field === prov.field)) existing.provenance.push(prov)
      return existing
    }
    const pods = this.podsSelected(ns, svc.spec.selector)
    const workloads = workloadsFor(svc, this.workloadsByNamespace.get(svc.metadata.namespace) ?? [])
    const sources = healthSources(pods, workloads)
    // A backend Service's own vipctl.io/* keys are checked once (LoadBalancer Services of ours already were).
    if (!serviceIsOurs(svc) && !this.annotationsChecked.has(svc)) {
      this.annotationsChecked.add(svc)
      this.checkAnnotations(svc)
    }
    const pool: Pool = {
      id,
      namespace: ns,
      service: svc.metadata.name,
      port: sp.port,
      portName: sp.name,
      protocol: sp.protocol === 'UDP' ? 'UDP' : 'TCP',
      lbMethod: this.annotation(svc, 'lbMethod') ?? this.citrixLb.get(`${ns}/${svc.metadata.name}`) ?? 'roundrobin',
      ...this.timeoutsOf(svc),
      ...this.backendOf(svc),
      ...(this.annotation(svc, 'sessionCookie') !== undefined ? {cookie: {name: this.annotation(svc, 'sessionCookie')!, provenance: {object: objectKey(svc), field: `metadata.annotations[${ANNOTATIONS.sessionCookie.key}]`}}} : {}),
      // Core Kubernetes, honoured as kube-proxy does: the same client stays on one member until it is idle this long.
      ...(svc.spec.sessionAffinity === 'ClientIP'
        ? {persistence: {kind: 'source' as const, timeoutSeconds: svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800, provenance: {object: objectKey(svc), field: 'spec.sessionAffinity'}}}
        : {}),
      monitor: this.expectStatus(svc, monitorFor(svc, sp, sources, (code, object, field, message) => this.diag(code, object, field, message))),
      members: this.membersOf(svc, sp),
      expected: workloads.map((w) => ({
        workload: objectKey(w),
        ...(w.replicas !== undefined ? {replicas: w.replicas} : this.snap.nodes.length > 0 ? {nodes: this.snap.nodes.length} : {}),
        ...(resolveIn(w.template.containers, sp.targetPort, sp.port) !== undefined ? {targetPort: resolveIn(w.template.containers, sp.targetPort, sp.port)} : {}),
      })),
      provenance: [prov],
    }
    // The port's appProtocol kubernetes.io/h2c: HTTP/2 in clear towards members (Kubernetes' standard name; an annotation wins).
    if (!pool.backendProtocol && sp.appProtocol === 'kubernetes.io/h2c') pool.backendProtocol = {kind: 'h2c', provenance: {object: objectKey(svc), field: `spec.ports[${(svc.spec.ports ?? []).indexOf(sp)}].appProtocol`}}
    this.pools.set(id, pool)
    return pool
  }

  private timeoutsOf(svc: Service): Pick<Pool, 'timeouts'> {
    const connectMs = this.annotation(svc, 'timeoutConnect')
    const serverMs = this.annotation(svc, 'timeoutServer')
    const tunnelMs = this.annotation(svc, 'timeoutTunnel')
    if (connectMs === undefined && serverMs === undefined && tunnelMs === undefined) return {}
    return {timeouts: {...(connectMs !== undefined ? {connectMs} : {}), ...(serverMs !== undefined ? {serverMs} : {}), ...(tunnelMs !== undefined ? {tunnelMs} : {}), provenance: {object: objectKey(svc), field: 'metadata.annotations'}}}
  }

  /** The statuses an HTTP check accepts (vipctl.io/check-status); on a TCP check the key has no effect, and check says so. */
  private expectStatus(svc: Service, m: Monitor): Monitor {
    const expect = this.annotation(svc, 'checkStatus')
    if (!expect) return m
    if (m.kind !== 'http') {
      this.diag('VIP2006', objectKey(svc), `metadata.annotations[${ANNOTATIONS.checkStatus.key}]`, 'the health check is a TCP connect (no HTTP readiness probe on the serving container); the statuses have no effect')
      return m
    }
    return {...m, expect}
  }

  /** How the proxy talks to a Service's members: protocol, PROXY header, connection limit, retries (vipctl.io/*). */
  private backendOf(svc: Service): Pick<Pool, 'backendProtocol' | 'proxyProtocol' | 'maxConnections' | 'retries'> {
    const key = objectKey(svc)
    const ns = svc.metadata.namespace ?? 'default'
    const prov = (name: AnnotationName): Provenance => ({object: key, field: `metadata.annotations[${ANNOTATIONS[name].key}]`})
    const out: Pick<Pool, 'backendProtocol' | 'proxyProtocol' | 'maxConnections' | 'retries'> = {}
    const proto = this.annotation(svc, 'backendProtocol')
    const caName = this.annotation(svc, 'backendCa')
    const serverName = this.annotation(svc, 'backendServerName')
    if (proto === 'h2c') out.backendProtocol = {kind: 'h2c', provenance: prov('backendProtocol')}
    if (proto === 'https') {
      let ca: {secret: string; pem: string} | undefined
      if (caName) {
        const secret = this.secretsByKey.get(`${ns}/${caName}`)
        const v = secret?.ca ? validateCa(secret.ca.reveal()) : undefined
        if (!secret) this.diag('VIP2004', key, prov('backendCa').field, `Secret ${ns}/${caName} not found; members' certificates are verified against the system CAs`)
        else if (!v) this.diag('VIP2004', key, prov('backendCa').field, `Secret ${ns}/${caName} has no ca.crt; members' certificates are verified against the system CAs`)
        else if (!v.ok) this.diag('VIP2004', key, prov('backendCa').field, `Secret ${ns}/${caName}: ${v.problem}; members' certificates are verified against the system CAs`)
        else ca = {secret: `${ns}/${caName}`, pem: v.pem}
      }
      out.backendProtocol = {kind: 'https', ...(ca ? {ca} : {}), ...(serverName ? {serverName} : {}), provenance: prov('backendProtocol')}
    } else if (caName !== undefined || serverName !== undefined) {
      this.diag('VIP2006', key, prov(caName !== undefined ? 'backendCa' : 'backendServerName').field, `only used with ${ANNOTATIONS.backendProtocol.key}: https; it has no effect`)
    }
    const pp = this.annotation(svc, 'proxyProtocol')
    if (pp) out.proxyProtocol = {version: pp, provenance: prov('proxyProtocol')}
    const maxconn = this.annotation(svc, 'maxConnections')
    if (maxconn !== undefined) out.maxConnections = {value: maxconn, provenance: prov('maxConnections')}
    const count = this.annotation(svc, 'retries')
    const on = this.annotation(svc, 'retryOn')
    if (count !== undefined && count > 0) out.retries = {count, on: on ?? ['connect-failure'], provenance: prov('retries')}
    else if (on !== undefined) this.diag('VIP2006', key, prov('retryOn').field, `has no effect without ${ANNOTATIONS.retries.key} above 0`)
    return out
  }

  private membersOf(svc: Service, sp: ServicePort): Member[] {
    const weights = this.annotation(svc, 'memberWeights')
    return endpointMembers(svc, sp, this.slicesByService.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? [], weights, (code, object, field, message) => this.diag(code, object, field, message))
  }
}

/** Health monitor from the readiness probe of the container serving the target port; TCP otherwise. */
/**
 * Health monitor from the readiness probe of the container serving the target
 * port; TCP otherwise. Timing values outside MONITOR_LIMITS (what every target
 * can express) are clamped and reported; a probe path outside the grammar or a
 * non-HTTP scheme falls back to a TCP check and is reported.
 */
export function monitorFor(svc: Service, sp: ServicePort, sources: ContainerSource[], report: (code: string, object: string, field: string, message: string) => void = () => {}): Monitor {
  const defaults = {intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3}
  const key = objectKey(svc)
  for (const src of sources) {
    const target = resolveIn(src.containers, sp.targetPort, sp.port)
    if (target === undefined) continue
    const at = src.object
    // The container serving the port: the one declaring it; when none does (ports are optional), one declaring none.
    const declared = src.containers.some((c) => (c.ports ?? []).some((p) => p.containerPort === target))
    for (const [ci, c] of src.containers.entries()) {
      const serves = declared ? (c.ports ?? []).some((p) => p.containerPort === target) : (c.ports ?? []).length === 0
      if (!serves && sp.targetPort !== undefined) continue
      const probe = c.readinessProbe
      const field = `${src.field}[${ci}].readinessProbe`
      const clamp = (what: keyof typeof MONITOR_LIMITS, value: number, from: string) => {
        const [lo, hi] = MONITOR_LIMITS[what]
        if (value >= lo && value <= hi) return value
        const used = Math.min(hi, Math.max(lo, value))
        report('VIP2015', at, `${field}.${from}`, `${value} is outside what the proxies accept (${lo}-${hi}${what.endsWith('Ms') ? ' ms' : ''}); ${used} is used`)
        return used
      }
      // The probe's timing: Kubernetes' own defaults where it says nothing, except that the proxy checks every 2 s
      // (faster than the kubelet's 10 s), and always more slowly than one check may take.
      const timing = (p: NonNullable<typeof probe>) => {
        const timeoutMs = clamp('timeoutMs', (p.timeoutSeconds ?? 1) * 1000, 'timeoutSeconds')
        return {
          intervalMs: clamp('intervalMs', p.periodSeconds !== undefined ? p.periodSeconds * 1000 : Math.max(defaults.intervalMs, timeoutMs + 1000), 'periodSeconds'),
          timeoutMs,
          rise: clamp('rise', p.successThreshold && p.successThreshold > 1 ? p.successThreshold : defaults.rise, 'successThreshold'),
          fall: clamp('fall', p.failureThreshold ?? defaults.fall, 'failureThreshold'),
        }
      }
      if (probe?.exec || probe?.grpc) {
        report('VIP2018', at, `${field}.${probe.exec ? 'exec' : 'grpc'}`, `${probe.exec ? 'a command run in the container' : 'a gRPC health check'} cannot be run by the proxy; it checks the serving port ${target} with a TCP connect`)
        continue
      }
      if (probe?.tcpSocket && !probe.httpGet) {
        const tport = typeof probe.tcpSocket.port === 'number' ? probe.tcpSocket.port : (c.ports ?? []).find((p) => p.name === probe.tcpSocket!.port)?.containerPort
        if (tport !== target) report('VIP2018', at, `${field}.tcpSocket.port`, `the probe connects to port ${tport ?? String(probe.tcpSocket.port)}; the proxy checks the serving port ${target} with a TCP connect`)
        // A TCP probe of the serving port is the proxy's own check: its timing carries over.
        else return {kind: 'tcp', ...timing(probe), provenance: {object: at, field}}
      }
      if (!probe?.httpGet) continue
      const port = typeof probe.httpGet.port === 'number' ? probe.httpGet.port : (c.ports ?? []).find((p) => p.name === probe.httpGet!.port)?.containerPort
      if (port === undefined) {
        report('VIP2018', at, `${field}.httpGet.port`, `no container port is named ${String(probe.httpGet.port)}; the proxy checks the serving port ${target} with a TCP connect`)
        continue
      }
      const path = probe.httpGet.path ?? '/'
      if (!allow.probePath(path)) {
        report('VIP2003', at, `${field}.httpGet.path`, 'probe path is not allowed (^/[A-Za-z0-9._~-/]*, an optional ?query of [A-Za-z0-9._~-=&]); a TCP check is used')
        continue
      }
      if (probe.httpGet.host)
        report('VIP2018', at, `${field}.httpGet.host`, `the probe connects to ${String(probe.httpGet.host).slice(0, 64)}; the proxy checks each member itself (send a Host header with httpHeaders instead)`)
      // The probe's headers go with the check (a Host header included); one outside the header grammar is left out.
      const headers: Array<{name: string; value: string}> = []
      for (const [hi, h] of (probe.httpGet.httpHeaders ?? []).entries()) {
        const value = String(h.value ?? '').trim()
        if (!allow.headerName(String(h.name ?? '')) || !allow.headerValue(value) || (PROTECTED_HEADERS.has(String(h.name).toLowerCase()) && String(h.name).toLowerCase() !== 'host')) {
          report('VIP2003', at, `${field}.httpGet.httpHeaders[${hi}]`, 'header name or value is not allowed (names: letters, digits, "-", "_"; values: visible ASCII without quotes, backslash, %, $ or #); the check is sent without it')
          continue
        }
        if (headers.length >= 16) {
          report('VIP2015', at, `${field}.httpGet.httpHeaders[${hi}]`, 'at most 16 probe headers are sent; this one is left out')
          continue
        }
        headers.push({name: String(h.name), value})
      }
      const extra = headers.length > 0 ? {headers} : {}
      // HTTPS probes are checked over TLS, the certificate not verified: what the kubelet does.
      if (probe.httpGet.scheme === 'HTTPS') return {kind: 'http', path, port: port === target ? undefined : port, tls: true, ...extra, ...timing(probe), provenance: {object: at, field}}
      return {kind: 'http', path, port: port === target ? undefined : port, ...extra, ...timing(probe), provenance: {object: at, field}}
    }
  }
  return {kind: 'tcp', ...defaults, provenance: {object: key, field: 'spec.ports'}}
}

/**
 * A prefix replacement (rewrite or redirect prefix=) replaces what a Prefix rule matched; on an Exact rule there is
 * nothing to replace: that route keeps its path (said once per route), in every target and in trace alike.
 */
function exactPathKept(p: RoutePolicy, pathType: 'Exact' | 'Prefix', path: string, report: (name: 'rewrite' | 'redirect', message: string) => void): RoutePolicy {
  if (pathType !== 'Exact') return p
  const out = {...p}
  if (p.rewrite?.path?.kind === 'prefix') {
    report('rewrite', `prefix= replaces what a Prefix rule matched; the Exact path ${path} keeps its path`)
    const {path: _drop, ...rest} = p.rewrite
    if (rest.host) out.rewrite = rest
    else delete out.rewrite
  }
  if (p.redirect?.path?.kind === 'prefix') {
    const {path: _drop, ...rest} = p.redirect
    // Without a scheme, host or port left, the redirect would send the client to the same URL: none is made.
    const changes = rest.scheme !== undefined || rest.host !== undefined || rest.port !== undefined
    report('redirect', `prefix= replaces what a Prefix rule matched; the Exact path ${path} ${changes ? 'is redirected with its path kept' : 'is not redirected (nothing else would change: the client would come back to the same URL)'}`)
    if (changes) out.redirect = rest
    else delete out.redirect
  }
  return out
}

/** A member's weight from vipctl.io/member-weights: by address, else by Pod name; none when neither is listed. */
/**
 * Where a Service's health check comes from: its Pods when the input has them, else the templates of the
 * workloads that will make them. The model build and sync's Pod-change rule (src/sync/incremental.ts) use it.
 */
export function healthSources(pods: Pod[], workloads: Workload[]): ContainerSource[] {
  return pods.length > 0 ? pods.map(podSource) : workloads.map(templateSource)
}

/**
 * A Service port's members from its EndpointSlices (in snapshot order; a later slice's endpoint wins for one
 * address and port), sorted by address: the one reading of EndpointSlices, for the model build and for sync's
 * endpoint-only patch (src/sync/incremental.ts). `weights`: vipctl.io/member-weights as parsed. An address that
 * is not a unicast IP is left out and reported (VIP2011 on the slice).
 */
export function endpointMembers(svc: Service, sp: ServicePort, slices: EndpointSlice[], weights: Map<string, number> | undefined, report: (code: string, object: string, field: string, message: string) => void): Member[] {
  const byAddr = new Map<string, Member>()
  for (const slice of slices) {
    if (slice.addressType === 'FQDN') continue
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? ''))?.port
    if (port === undefined) continue
    const derived = slice.metadata.labels?.[MANAGED_BY_LABEL] === DERIVED_MANAGER
    for (const ep of slice.endpoints ?? []) {
      for (const raw of ep.addresses) {
        const address = canonicalIp(raw)
        if (address === undefined || !isUnicast(address)) {
          report('VIP2011', objectKey(slice), 'endpoints.addresses', `${raw.slice(0, 45)} is not a unicast IP`)
          continue
        }
        const ready = ep.conditions?.ready ?? true
        byAddr.set(`${address}|${port}`, {
          address,
          port,
          ready,
          serving: ep.conditions?.serving ?? ready,
          terminating: ep.conditions?.terminating ?? false,
          node: ep.nodeName,
          pod: ep.targetRef?.kind === 'Pod' ? ep.targetRef.name : undefined,
          derived,
          ...weightOf(weights, address, ep.targetRef?.kind === 'Pod' ? ep.targetRef.name : undefined),
        })
      }
    }
  }
  return sortByAddress([...byAddr.values()], (m) => m.address, (a, b) => a.port - b.port)
}

function weightOf(weights: Map<string, number> | undefined, address: string, pod: string | undefined): {weight?: number} {
  const w = weights?.get(address) ?? (pod !== undefined ? weights?.get(pod) : undefined)
  return w !== undefined ? {weight: w} : {}
}

/** The Strict-Transport-Security header added to a route's response rules (HTTPS frontends only). */
function withHsts(policy: RoutePolicy | undefined, value: string, owner: string): RoutePolicy {
  const prov = {object: owner, field: `metadata.annotations[${ANNOTATIONS.hsts.key}]`}
  const rh = policy?.responseHeaders ?? {set: [], add: [], remove: [], provenance: prov}
  return {...policy, responseHeaders: {...rh, set: [...rh.set.filter((h) => h.name.toLowerCase() !== 'strict-transport-security'), {name: 'Strict-Transport-Security', value}]}}
}

/** A policy without provenance, to compare what two objects ask for one route. */
export function policyShape(p: RoutePolicy | undefined): string {
  return JSON.stringify(p ?? {}, (k, v) => (k === 'provenance' ? undefined : v))
}

function normalizePrefix(path: string, type: 'Exact' | 'Prefix'): string {
  // Kubernetes: a trailing slash is ignored for Prefix matching ("/foo/" == "/foo").
  return type === 'Prefix' && path.length > 1 ? path.replace(/\/+$/, '') || '/' : path
}

function coveredBy(host: string, tlsHosts: Set<string>): boolean {
  if (tlsHosts.has(host)) return true
  const dot = host.indexOf('.')
  return dot > 0 && tlsHosts.has(`*${host.slice(dot)}`)
}

export {fmtAddr} from './ip.js'

/** True when the pool was allocated from --vip-pool and the address is inside it (used by check). */
export function inPool(cidr: string, ip: string): boolean {
  return cidrContains(parseCidr(cidr), ip)
}
