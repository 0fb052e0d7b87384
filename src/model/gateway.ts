/**
 * Gateway API -> the load-balancer model. Gateways of our GatewayClass become VIPs and frontends (one per address
 * and listener port), HTTPRoutes attach to their listeners as the spec defines, and each route rule's matches
 * become Routes of the one model: conditions, filters and weights go into the same RoutePolicy every target and
 * `check trace` derive from (src/model/routing.ts decides). Nothing is served beside the model.
 *
 * What an implementation owes in status is computed here too (GatewayApiState): the conditions, reasons and
 * attached-route counts `inspect`, `check` and (later) the status writer show, each with the spec's reason names.
 */
import type {BackendTLSPolicy, Gateway, GatewayListener, GRPCRoute, GRPCRouteMatch, GRPCRouteRule, HTTPRoute, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, IngressBackend, LabelSelector, ListenerSet, ParentRef, Snapshot, TCPRoute, TLSRoute, UDPRoute} from '../cluster/types.js'
import {objectKey} from '../cluster/types.js'
import {selectorMatches} from '../cluster/derive.js'
import {allow, PROTECTED_HEADERS} from './grammar.js'
import {canonicalIp, fmtAddr} from './ip.js'
import {validateCa} from './tls.js'
import type {Frontend, FrontendProtocol, HeaderRules, PathReplace, Pool, Provenance, Route, RouteConditions, RoutePolicy, VipSource} from './types.js'
import {GATEWAY_DURATION, parseDuration} from '../core/duration.js'

export const GATEWAY_CONTROLLER = 'vipctl.io/gateway-controller'
/** The GatewayClass name that is ours when the input has no GatewayClass of our controller. */
export const DEFAULT_GATEWAY_CLASS = 'vipctl'
const G = 'gateway.networking.k8s.io'
/** The longest timer HAProxy takes (2^31-1 ms). */
const MAX_TIMEOUT_MS = 2_147_483_647

/** A status condition as the spec writes it (observedGeneration is the object's metadata.generation). */
export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason: string
  message: string
  observedGeneration?: number
}

export interface ListenerState {
  name: string
  port: number
  protocol: string
  hostname?: string
  supportedKinds: Array<{group: string; kind: string}>
  attachedRoutes: number
  conditions: Condition[]
  /** Frontend ids the listener is served on (one per Gateway address). */
  frontends: string[]
}

export interface GatewayState {
  /** Gateway/namespace/name */
  object: string
  className: string
  generation?: number
  addresses: string[]
  /** Addresses the Gateway names that cannot be used (each said with VIP2003): Programmed=False, AddressNotUsable. */
  unusableAddresses?: string[]
  conditions: Condition[]
  listeners: ListenerState[]
  /** ListenerSets attached (Accepted=True). */
  attachedListenerSets: number
}

/** A ListenerSet's status (its listeners are served on its parent Gateway's addresses). */
export interface ListenerSetState {
  /** ListenerSet/namespace/name */
  object: string
  /** The parent: Gateway/namespace/name. */
  gateway: string
  generation?: number
  conditions: Condition[]
  listeners: ListenerState[]
}

export interface RouteParentState {
  parentRef: {group: string; kind: string; namespace: string; name: string; sectionName?: string; port?: number}
  controllerName: string
  conditions: Condition[]
}

export interface RouteState {
  /** HTTPRoute/, GRPCRoute/, TCPRoute/, TLSRoute/ or UDPRoute/namespace/name */
  object: string
  generation?: number
  hostnames: string[]
  parents: RouteParentState[]
}

/** A policy's status (BackendTLSPolicy): its conditions for each Gateway whose routes send to its targets. */
export interface PolicyState {
  /** BackendTLSPolicy/namespace/name */
  object: string
  generation?: number
  ancestors: Array<{ancestorRef: {group: string; kind: string; namespace: string; name: string}; controllerName: string; conditions: Condition[]}>
}

/** What vipctl owes the Gateway API objects of its classes: the status of each, as the spec defines it. */
export interface GatewayApiState {
  classes: Array<{name: string; controllerName: string; ours: boolean; conditions: Condition[]; generation?: number}>
  gateways: GatewayState[]
  listenerSets: ListenerSetState[]
  routes: RouteState[]
  policies: PolicyState[]
}

/** What gateway.ts needs of the model builder (src/model/build.ts implements it). */
export interface GatewayHost {
  readonly snap: Snapshot
  diag(code: string, object: string, field: string | undefined, message: string): void
  useVip(address: string, source: VipSource, owner: string): boolean
  /** The frontend for address:port (terminate: a TLS listener that terminates); undefined (said) when it is taken otherwise. */
  frontend(address: string, port: number, protocol: FrontendProtocol, prov: Provenance, terminate?: boolean): Frontend | undefined
  addRoute(f: Frontend, r: Route): void
  /** Adds a route only when its key is free, silently (a listener's fence: its own routes come first). */
  addFence(f: Frontend, r: Route): void
  /**
   * Claims TLS host `host` on HTTPS frontend `f` for `owner` (claims are made oldest first): undefined when it is
   * owner's now, else the object that keeps it (an older Ingress or Gateway with its own Secret for that name).
   */
  claimTlsHost(f: Frontend, host: string, owner: string): string | undefined
  poolFor(ns: string, b: IngressBackend, owner: string, field: string, protocol?: 'TCP' | 'UDP'): Pool | undefined
  /** Why a TLS Secret cannot be served (undefined: it can); findings on its content are reported to `owner`. */
  tlsProblem(ns: string, name: string, owner: string, field: string): string | undefined
  /** Services by namespace/name. */
  service(ns: string, name: string): Snapshot['services'][number] | undefined
  /** The pools made so far for a Service's ports. */
  poolsOf(ns: string, service: string): Pool[]
  /** Claim order: oldest first, then namespace/name. */
  claimOrder<T extends {kind: string; metadata: {name: string; namespace?: string; creationTimestamp?: string}}>(objects: T[]): T[]
}

/** The GatewayClass names vipctl serves: those whose controllerName is ours, else "vipctl". */
export function gatewayClassesOf(snap: Snapshot): Set<string> {
  const mine = snap.gatewayClasses.filter((c) => c.spec.controllerName === GATEWAY_CONTROLLER)
  // A class of ours that names parameters is not accepted (vipctl takes none): its Gateways are not served.
  const ours = mine.filter((c) => (c.spec as {parametersRef?: unknown}).parametersRef === undefined).map((c) => c.metadata.name)
  if (mine.length > 0) return new Set(ours)
  return snap.gatewayClasses.some((c) => c.metadata.name === DEFAULT_GATEWAY_CLASS) ? new Set() : new Set([DEFAULT_GATEWAY_CLASS])
}

/** The kinds a listener protocol carries (that vipctl serves). */
function kindsFor(l: GatewayListener): Array<{group: string; kind: string}> {
  if (l.protocol === 'HTTP' || l.protocol === 'HTTPS') return [{group: G, kind: 'HTTPRoute'}, {group: G, kind: 'GRPCRoute'}]
  if (l.protocol === 'TCP') return [{group: G, kind: 'TCPRoute'}]
  if (l.protocol === 'UDP') return [{group: G, kind: 'UDPRoute'}]
  // TLS passed through, or terminated: either way routed by SNI to TLSRoutes.
  if (l.protocol === 'TLS') return [{group: G, kind: 'TLSRoute'}]
  return []
}

const cond = (type: string, ok: boolean, reason: string, message: string, generation?: number): Condition => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message,
  ...(generation !== undefined ? {observedGeneration: generation} : {}),
})

/** A Gateway API duration (GEP-2257: "1h30m", "500ms"; whole numbers, units h m s ms) in ms; undefined when it is not one. */
export function durationMs(s: string): number | undefined {
  return parseDuration(s, GATEWAY_DURATION)
}

/**
 * The hostnames a route serves on a listener (Gateway API hostname intersection); [] when none intersect. '' stands
 * for "any host". A '*.' name matches one or more labels.
 */
export function intersectHostnames(listener: string | undefined, route: string[]): string[] {
  if (route.length === 0) return [listener ?? '']
  if (!listener) return [...route]
  const under = (h: string, wildcard: string) => h.endsWith(wildcard.slice(1)) && h.length > wildcard.length - 1
  const out: string[] = []
  for (const r of route) {
    let h: string | undefined
    if (r === listener) h = r
    else if (listener.startsWith('*.') && !r.startsWith('*.')) h = under(r, listener) ? r : undefined
    else if (!listener.startsWith('*.') && r.startsWith('*.')) h = under(listener, r) ? listener : undefined
    else if (listener.startsWith('*.') && r.startsWith('*.')) h = under(r.slice(2), listener) ? r : under(listener.slice(2), r) ? listener : undefined
    if (h !== undefined && !out.includes(h)) out.push(h)
  }
  return out
}

interface ListenerRuntime {
  /** The Gateway whose addresses serve the listener (its own, or the parent of the ListenerSet that declares it). */
  gateway: Gateway
  /** Where the listener is declared (findings and status go there). */
  owner: ListenerOwner
  spec: GatewayListener
  index: number
  state: ListenerState
  /** Frontends the listener is served on; empty when it is not (its conditions say why). */
  frontends: Frontend[]
  /** Whether routes may attach (the listener is accepted). */
  accepting: boolean
}

/** Gateways of our classes with the VIP each names itself (undefined: it needs one from the pool). */
export function ourGateways(host: GatewayHost): Gateway[] {
  const classes = gatewayClassesOf(host.snap)
  return host.claimOrder(host.snap.gateways.filter((g) => classes.has(g.spec.gatewayClassName)))
}

/**
 * The addresses a Gateway asks for: spec.addresses of type IPAddress, else vipctl.io/vip, else the address in its
 * status (what a previous sync gave it), else --vip. undefined: none named (then the VIP pool). [] when it asks for
 * an address vipctl cannot give (Hostname, NamedAddress): reported, not served.
 */
export function explicitGatewayVips(host: GatewayHost, gw: Gateway, annotationVip: string | undefined, flagVip: string | undefined): Array<{address: string; source: VipSource}> | undefined {
  const key = objectKey(gw)
  const requested = gw.spec.addresses ?? []
  // An address type vipctl cannot serve: the Gateway is not served, whatever the other entries ask.
  const other = requested.findIndex((a) => a.type !== 'IPAddress')
  if (other >= 0) {
    host.diag('VIP6004', key, `spec.addresses[${other}].type`, `address type ${requested[other]!.type} is not supported (vipctl serves IPAddress): the Gateway is not served (Accepted=False, reason UnsupportedAddress)`)
    return []
  }
  // Entries of type IPAddress without a value ask for an address to be assigned: when no entry names one, the
  // Gateway takes its address as if it requested none (annotation, status, --vip, then the pool).
  const named = requested.filter((a) => !(a.type === 'IPAddress' && !a.value))
  if (requested.length > 0 && named.length === 0) return assignedGatewayVip(gw, annotationVip, flagVip)
  if (named.length) {
    const out: Array<{address: string; source: VipSource}> = []
    for (const [i, a] of requested.entries()) {
      if (!a.value) {
        host.diag('VIP6005', key, `spec.addresses[${i}].value`, 'an address to be assigned beside addresses named in full: vipctl serves the named ones only')
        continue
      }
      const ip = canonicalIp(a.value)
      if (ip === undefined) {
        host.diag('VIP6004', key, `spec.addresses[${i}].value`, `${a.value.slice(0, 60)} is not an IP address: the Gateway is not served (Accepted=False, reason UnsupportedAddress)`)
        return []
      }
      if (!out.some((x) => x.address === ip)) out.push({address: ip, source: 'spec'})
    }
    return out
  }
  return assignedGatewayVip(gw, annotationVip, flagVip)
}

/** The address of a Gateway that names none: vipctl.io/vip, else its status, else --vip; undefined: the VIP pool. */
function assignedGatewayVip(gw: Gateway, annotationVip: string | undefined, flagVip: string | undefined): Array<{address: string; source: VipSource}> | undefined {
  if (annotationVip) return [{address: annotationVip, source: 'annotation'}]
  const st = gw.status?.addresses?.find((a) => (a.type ?? 'IPAddress') === 'IPAddress' && canonicalIp(a.value) !== undefined)
  if (st) return [{address: canonicalIp(st.value)!, source: 'status'}]
  if (flagVip) {
    const ip = canonicalIp(flagVip)
    return ip ? [{address: ip, source: 'flag'}] : undefined
  }
  return undefined
}

/**
 * The Gateway API part of a model build, in three steps so that Gateways take their VIP:ports in the one claim
 * order with Ingresses and LoadBalancer Services: construct (classes, kinds not served), serve(gateway) for each
 * Gateway of ours in claim order, then finish() (HTTPRoutes attach; conditions that depend on them).
 */
export class GatewayApiBuilder {
  private readonly state: GatewayApiState = {classes: [], gateways: [], listenerSets: [], routes: [], policies: []}
  private readonly listeners = new Map<string, ListenerRuntime[]>()
  /** Gateway key -> what its ListenerSets need, once it is served. */
  private readonly served = new Map<string, GatewayContext>()
  /** Gateway key -> ListenerSets older than it, served right after it. */
  private readonly waiting = new Map<string, ListenerSet[]>()

  constructor(private readonly host: GatewayHost) {
    const snap = host.snap
    const classes = gatewayClassesOf(snap)
    for (const c of snap.gatewayClasses) {
      const ours = classes.has(c.metadata.name) || c.spec.controllerName === GATEWAY_CONTROLLER
      const generation = (c.metadata as {generation?: number}).generation
      // vipctl takes no parameters: a class that names some is not accepted (InvalidParameters), never served without them.
      const params = (c.spec as {parametersRef?: unknown}).parametersRef !== undefined
      if (ours && params) host.diag('VIP6004', objectKey(c), 'spec.parametersRef', 'vipctl takes no GatewayClass parameters: the class is not accepted (Accepted=False, reason InvalidParameters)')
      this.state.classes.push({name: c.metadata.name, controllerName: c.spec.controllerName, ours: ours && !params, conditions: ours ? [params ? cond('Accepted', false, 'InvalidParameters', 'vipctl takes no parameters', generation) : cond('Accepted', true, 'Accepted', 'vipctl serves this class', generation)] : [], ...(generation !== undefined ? {generation} : {})})
    }
    for (const gw of snap.gateways)
      if (!classes.has(gw.spec.gatewayClassName)) {
        const c = snap.gatewayClasses.find((x) => x.metadata.name === gw.spec.gatewayClassName)
        host.diag('VIP6003', objectKey(gw), 'spec.gatewayClassName', `class ${gw.spec.gatewayClassName}${c ? ` belongs to controller ${c.spec.controllerName}` : ' is not in the input'}; vipctl serves ${[...classes].join(', ') || `GatewayClasses with controllerName ${GATEWAY_CONTROLLER}`}`)
      }
    // ListenerSets whose parent is not a Gateway of ours: said (those of ours are served with their Gateway).
    const ours = new Set(snap.gateways.filter((g) => classes.has(g.spec.gatewayClassName)).map((g) => objectKey(g)))
    for (const s of snap.listenerSets) {
      const parent = parentOfSet(s)
      if (parent !== undefined && ours.has(parent)) continue
      const gw = parent === undefined ? undefined : snap.gateways.find((g) => objectKey(g) === parent)
      host.diag('VIP6009', objectKey(s), 'spec.parentRef', parent === undefined ? `${s.spec.parentRef.group}/${s.spec.parentRef.kind} is not a Gateway: the ListenerSet is not served` : gw ? `${parent} is of class ${gw.spec.gatewayClassName}, not served by vipctl: its controller serves this ListenerSet` : `${parent} is not in the input: the ListenerSet is not served`)
    }
  }

  /** Serves one Gateway of ours on its VIPs (its listeners' frontends, certificates and conditions). */
  serve(gw: Gateway, vips: Array<{address: string; source: VipSource}>): void {
    const gs = serveGateway(this.host, gw, vips)
    const key = objectKey(gw)
    this.listeners.set(key, gs.runtime)
    this.state.gateways.push(gs.state)
    this.served.set(key, gs.ctx)
    // ListenerSets older than their Gateway claim right after it (never before the Gateway exists for them).
    for (const set of this.waiting.get(key) ?? []) this.serveSet(set)
    this.waiting.delete(key)
  }

  /** The ListenerSets whose parent is a Gateway of ours (the others were said): each is a claimant in its own right. */
  listenerSets(): ListenerSet[] {
    const ours = new Set(ourGateways(this.host).map((g) => objectKey(g)))
    return this.host.snap.listenerSets.filter((s) => ours.has(parentOfSet(s) ?? ''))
  }

  /** Serves a ListenerSet of a Gateway of ours, in its place in the claim order (after its Gateway). */
  serveSet(set: ListenerSet): void {
    const parent = parentOfSet(set)!
    const ctx = this.served.get(parent)
    if (!ctx) {
      this.waiting.set(parent, [...(this.waiting.get(parent) ?? []), set])
      return
    }
    const r = serveListenerSet(this.host, ctx, set)
    this.listeners.set(objectKey(set), r.runtime)
    this.state.listenerSets.push(r.state)
  }

  /** Attaches the HTTPRoutes (oldest first) and returns the status vipctl owes. */
  finish(): GatewayApiState {
    // The accepted listeners on each frontend (of every Gateway sharing the VIP:port).
    const byFrontend = new Map<string, ListenerRuntime[]>()
    for (const ls of this.listeners.values()) for (const l of ls) for (const f of l.frontends) byFrontend.set(f.id, [...(byFrontend.get(f.id) ?? []), l])
    // HTTPRoutes and GRPCRoutes in one claim order: precedence ties go to the older, and of an HTTPRoute and a
    // GRPCRoute sharing a host on a listener the older keeps it.
    const claims: ListenerClaims = new Map()
    const grpcPools = new Map<Pool, Provenance>()
    // Pool id -> the Gateways (Gateway/ns/name) whose routes send to it: a BackendTLSPolicy's ancestors.
    const poolGateways = new Map<string, Set<string>>()
    this.host.claimOrder<HTTPRoute | GRPCRoute>([...this.host.snap.httpRoutes, ...this.host.snap.grpcRoutes]).forEach((route, routeIndex) => {
      const rs = attachRoute(this.host, route, routeIndex, this.listeners, byFrontend, claims, grpcPools, poolGateways)
      if (rs.parents.length > 0) this.state.routes.push(rs)
    })
    // TCP/UDP frontend id -> the route that holds it (the oldest attached), for this build.
    const heldTcp = new Map<string, string>()
    this.host.claimOrder<TCPRoute | TLSRoute | UDPRoute>([...this.host.snap.tcpRoutes, ...this.host.snap.tlsRoutes, ...this.host.snap.udpRoutes]).forEach((route) => {
      const rs = attachTcpRoute(this.host, route, this.listeners, byFrontend, heldTcp, poolGateways)
      if (rs.parents.length > 0) this.state.routes.push(rs)
    })
    // Fences: the hosts of a listener with a hostname, where a less specific listener of the same Gateway shares the
    // VIP:port, answer 404 when none of its own routes matches, rather than fall to that listener's routes.
    for (const [fid, ls] of byFrontend)
      for (const l of ls) {
        const h = l.spec.hostname
        // Against the less specific listeners of the same object only: a newer Gateway on the address never fences an
        // older one's hosts, and a ListenerSet never fences its Gateway's (or another ListenerSet's) listeners.
        if (!h || !ls.some((o) => o !== l && o.owner === l.owner && specificity(o.spec.hostname) < specificity(h) && (!o.spec.hostname || hostWithin(h, o.spec.hostname)))) continue
        const f = l.frontends.find((x) => x.id === fid)!
        if (f.protocol !== 'http' && f.protocol !== 'https' && f.protocol !== 'tls') continue
        const prov = {object: objectKey(l.owner), field: `spec.listeners[${l.index}]`}
        this.host.addFence(f, {host: h, path: '/', pathType: 'Prefix', pool: '', redirectHttps: false, ...(h.startsWith('*.') ? {wildcard: 'suffix' as const} : {}), order: Number.MAX_SAFE_INTEGER, policy: {fail: {code: 404, reason: `no route of listener ${l.spec.name} matches (its hosts are never served by a less specific listener)`, provenance: prov}}, provenance: prov})
      }
    this.state.policies = applyBackendTLSPolicies(this.host, poolGateways)
    // gRPC is HTTP/2: members of the Services GRPCRoutes send to are spoken to with HTTP/2 (in clear unless TLS is set),
    // unless HTTPRoutes or Ingresses use the port too: a GRPCRoute never changes how other routes reach a Service.
    for (const [pool, provenance] of grpcPools) {
      const others = [...new Set(pool.provenance.map((p) => p.object).filter((o) => o.startsWith('HTTPRoute/') || o.startsWith('Ingress/')))]
      if (pool.backendProtocol?.kind === 'h2c') continue
      if (others.length > 0) {
        this.host.diag('VIP6010', provenance.object, provenance.field, `Service port ${pool.id} is also used by ${others.slice(0, 3).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''}, which speak${others.length === 1 ? 's' : ''} HTTP/1.1 to its members: gRPC calls reach them over HTTP/1.1 and fail (mark the port appProtocol kubernetes.io/h2c, or use a port of its own)`)
        continue
      }
      if (!pool.backendProtocol) pool.backendProtocol = {kind: 'h2c', provenance}
      else pool.backendProtocol.http2 = true
    }
    // Gateway conditions that depend on the listeners (attached counts are final now).
    for (const g of this.state.gateways) {
      // Some listener not accepted: Accepted keeps its status with reason ListenersNotValid (False when none is).
      const acc = g.conditions.find((c) => c.type === 'Accepted')!
      const invalid = g.listeners.filter((l) => l.conditions.some((c) => c.type === 'Accepted' && c.status === 'False'))
      if (acc.status === 'True' && invalid.length > 0) {
        acc.reason = 'ListenersNotValid'
        acc.message = `listener${invalid.length === 1 ? '' : 's'} ${invalid.map((l) => l.name).join(', ')} not accepted`
        if (invalid.length === g.listeners.length) acc.status = 'False'
      }
      const programmed = g.listeners.some((l) => l.frontends.length > 0)
      const accepted = g.conditions.find((c) => c.type === 'Accepted')!.status === 'True'
      const unusable = g.unusableAddresses ?? []
      const ok = accepted && programmed && g.addresses.length > 0 && unusable.length === 0
      // An address the Gateway names that cannot be used: not Programmed (AddressNotUsable), the others still served.
      const [reason, message] = ok
        ? ['Programmed', `served on ${g.addresses.join(', ')}`]
        : unusable.length > 0 && accepted
          ? ['AddressNotUsable', `${unusable.join(', ')} cannot be used (see the findings on the Gateway)${g.addresses.length ? `; served on ${g.addresses.join(', ')}` : ''}`]
          : g.addresses.length === 0
            ? ['AddressNotAssigned', 'no address: see the findings on the Gateway']
            : ['Invalid', 'no listener is served']
      if (!g.conditions.some((c) => c.type === 'Programmed')) g.conditions.push(cond('Programmed', ok, reason, message, g.generation))
    }
    this.state.gateways.sort((a, b) => a.object.localeCompare(b.object))
    this.state.listenerSets.sort((a, b) => a.object.localeCompare(b.object))
    return this.state
  }
}

/** Who declares a listener: the Gateway itself or a ListenerSet attached to it. */
type ListenerOwner = Gateway | ListenerSet

/**
 * Serves a Gateway of ours: its addresses and its own listeners. The ListenerSets it admits (spec.allowedListeners)
 * come later (serveListenerSet), each at its own place in the claim order, merged in the spec's precedence: the
 * Gateway's listeners, then ListenerSets oldest first (then namespace/name). A ListenerSet's listener that conflicts
 * with one before it is not served (Conflicted).
 */
function serveGateway(host: GatewayHost, gw: Gateway, vips: Array<{address: string; source: VipSource}>): {state: GatewayState; runtime: ListenerRuntime[]; ctx: GatewayContext} {
  const key = objectKey(gw)
  const gen = gw.metadata.generation
  const state: GatewayState = {object: key, className: gw.spec.gatewayClassName, ...(gen !== undefined ? {generation: gen} : {}), addresses: [], conditions: [], listeners: [], attachedListenerSets: 0}
  const runtime = new Map<string, ListenerRuntime[]>([[key, []]])
  let accepted = true
  for (const field of gw.spec.unsupported ?? []) {
    if (field === 'spec.tls') {
      // Client certificate validation restricts who may connect: serving without it would open the Gateway.
      host.diag('VIP6005', key, field, 'frontend client-certificate validation and backend client certificates are not supported: serving without them would open the Gateway, so it is not served (Accepted=False, reason UnsupportedValue)')
      accepted = false
    } else host.diag('VIP6005', key, field, `${field} is not supported by vipctl and has no effect`)
  }
  const addresses = accepted ? vips.filter((v) => host.useVip(v.address, v.source, key)) : []
  // Addresses named in spec that cannot be served: UnsupportedAddress; none named and none assigned: AddressNotAssigned.
  const named = (gw.spec.addresses ?? []).some((a) => !(a.type === 'IPAddress' && !a.value))
  // (No address and none named: the allocation has said VIP2005.)
  state.addresses = addresses.map((a) => a.address)
  const unusable = accepted ? vips.filter((v) => !addresses.includes(v)).map((v) => v.address) : []
  if (unusable.length) state.unusableAddresses = unusable
  const gwAccepted = accepted && !(named && vips.length === 0)
  state.conditions.push(cond('Accepted', gwAccepted, accepted ? (named && vips.length === 0 ? 'UnsupportedAddress' : 'Accepted') : 'UnsupportedValue', accepted ? 'accepted by vipctl' : 'see the findings on the Gateway', gen))

  // The Gateway's own listeners: those on one port must agree on the transport kind (HTTP and HTTPS cannot share
  // one, nor TLS passed through and TLS terminated: mixed modes on a port are not supported).
  // UDP and the TCP-based protocols are separate port spaces: a UDP and a TCP listener on one port are distinct (the
  // spec's "a mixture of TCP and UDP Protocol Listeners").
  const byPort = new Map<string, Set<string>>()
  for (const l of gw.spec.listeners) byPort.set(portKey(l), new Set([...(byPort.get(portKey(l)) ?? []), transportOf(l)]))
  const served: GatewayListener[] = []
  gw.spec.listeners.forEach((l, i) => {
    const protocols = byPort.get(portKey(l))!
    const conflict = protocols.size > 1 ? {reason: 'ProtocolConflict', message: `port ${l.port} has listeners of protocols ${[...protocols].sort().join(' and ')}; none of them is served`} : undefined
    const rt = serveListener(host, gw, gw, l, i, addresses, conflict)
    state.listeners.push(rt.state)
    runtime.get(key)!.push(rt)
    if (!conflict) served.push(l)
  })

  return {state, runtime: runtime.get(key)!, ctx: {gw, state, addresses, served, accepted: gwAccepted}}
}

/** A served Gateway as its ListenerSets need it: its addresses, whether it is accepted, the listeners served so far. */
interface GatewayContext {
  gw: Gateway
  state: GatewayState
  addresses: Array<{address: string; source: VipSource}>
  /** Listeners in merge precedence (the Gateway's, then earlier ListenerSets'), for the conflict rules. */
  served: GatewayListener[]
  accepted: boolean
}

/**
 * One ListenerSet of a served Gateway, at its own place in the claim order (never earlier than its Gateway's): its
 * listeners on the Gateway's addresses, after the Gateway's and older ListenerSets' in the spec's merge precedence.
 */
function serveListenerSet(host: GatewayHost, ctx: GatewayContext, set: ListenerSet): {state: ListenerSetState; runtime: ListenerRuntime[]} {
  const {gw, state} = ctx
  const ns = gw.metadata.namespace ?? 'default'
  const skey = objectKey(set)
  const sns = set.metadata.namespace ?? 'default'
  const sgen = set.metadata.generation
  const ss: ListenerSetState = {object: skey, gateway: state.object, ...(sgen !== undefined ? {generation: sgen} : {}), conditions: [], listeners: []}
  const both = (reason: string, message: string) => ss.conditions.push(cond('Accepted', false, reason, message, sgen), cond('Programmed', false, reason, message, sgen))
  // Routes that name a ListenerSet not accepted are ours to answer (NoMatchingParent): its listeners are none.
  if (!ctx.accepted) {
    host.diag('VIP6009', skey, 'spec.parentRef', `Gateway ${ns}/${gw.metadata.name} is not accepted: the ListenerSet is not served (Accepted=False, reason ParentNotAccepted)`)
    both('ParentNotAccepted', 'the parent Gateway is not accepted')
    return {state: ss, runtime: []}
  }
  if (!listenerSetAllowed(host, gw, sns)) {
    const from = gw.spec.allowedListeners?.namespaces.from ?? 'None'
    host.diag('VIP6009', skey, 'spec.parentRef', `Gateway ${ns}/${gw.metadata.name} does not admit ListenerSets from namespace ${sns} (its spec.allowedListeners.namespaces.from is ${from}): the ListenerSet is not served (Accepted=False, reason NotAllowed)`)
    both('NotAllowed', `Gateway ${ns}/${gw.metadata.name} does not allow ListenerSets from namespace ${sns}`)
    return {state: ss, runtime: []}
  }
  const rts: ListenerRuntime[] = []
  set.spec.listeners.forEach((l, i) => {
    // The spec's merge: a listener conflicts with one of higher precedence on its port (another protocol, or the same hostname).
    const before = ctx.served.find((o) => portKey(o) === portKey(l) && transportOf(o) !== transportOf(l))
    const same = ctx.served.find((o) => o.port === l.port && o.protocol === l.protocol && (o.hostname ?? '') === (l.hostname ?? ''))
    const conflict = before
      ? {reason: 'ProtocolConflict', message: `port ${l.port} is already served with protocol ${transportOf(before)} by listener ${before.name}`}
      : same
        ? {reason: 'HostnameConflict', message: `port ${l.port} ${l.protocol}${l.hostname ? ` for ${l.hostname}` : ''} is already served by listener ${same.name}`}
        : undefined
    const rt = serveListener(host, set, gw, l, i, ctx.addresses, conflict)
    ss.listeners.push(rt.state)
    rts.push(rt)
    if (!conflict) ctx.served.push(l)
  })
  // Valid: accepted with every reference resolved (a listener whose certificate is not permitted makes the set invalid
  // when it is the only one, as the suite's ListenerSetReferenceGrant expects).
  const valid = rts.filter((r) => r.accepting && !r.state.conditions.some((c) => c.type === 'ResolvedRefs' && c.status === 'False'))
  if (valid.length === 0) both('ListenersNotValid', 'no listener of the ListenerSet is valid (see its listeners)')
  else {
    ss.conditions.push(cond('Accepted', true, valid.length === rts.length ? 'Accepted' : 'ListenersNotValid', valid.length === rts.length ? 'accepted' : `listener${rts.length - valid.length === 1 ? '' : 's'} ${rts.filter((r) => !valid.includes(r)).map((r) => r.spec.name).join(', ')} not valid`, sgen))
    const programmed = rts.some((r) => r.frontends.length > 0)
    ss.conditions.push(cond('Programmed', programmed, programmed ? 'Programmed' : 'Invalid', programmed ? `served on ${state.addresses.join(', ')}` : 'no listener is served', sgen))
    state.attachedListenerSets++
  }
  return {state: ss, runtime: rts}
}

/** What a listener's port carries: its protocol, and for TLS the mode ("TLS Passthrough" and "TLS Terminate" cannot share a port). */
/** A listener's port space: its port and layer-4 protocol (UDP, or TCP for every other protocol). */
function portKey(l: GatewayListener): string {
  return `${l.port}/${l.protocol === 'UDP' ? 'UDP' : 'TCP'}`
}

function transportOf(l: GatewayListener): string {
  return l.protocol === 'TLS' ? `TLS ${l.tls?.mode ?? 'Terminate'}` : l.protocol
}

/** The Gateway (Gateway/ns/name) a ListenerSet names as its parent; undefined when its parentRef is not a Gateway. */
function parentOfSet(s: ListenerSet): string | undefined {
  const p = s.spec.parentRef
  return p.group === G && p.kind === 'Gateway' ? `Gateway/${p.namespace ?? s.metadata.namespace ?? 'default'}/${p.name}` : undefined
}

/** Whether a Gateway's spec.allowedListeners admits ListenerSets of namespace `ns` (absent: none). */
function listenerSetAllowed(host: GatewayHost, gw: Gateway, ns: string): boolean {
  const a = gw.spec.allowedListeners?.namespaces
  if (!a || a.from === 'None') return false
  if (a.from === 'All') return true
  if (a.from === 'Same') return ns === (gw.metadata.namespace ?? 'default')
  const n = host.snap.namespaces.find((x) => x.metadata.name === ns)
  return n !== undefined && a.selector !== undefined && labelSelectorMatches(a.selector, {...(n.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns})
}

/**
 * One listener of a Gateway or of a ListenerSet attached to it (`gw`): its conditions, certificates (Secrets of the
 * owner's namespace, or another by a ReferenceGrant from the owner's kind) and frontends on the Gateway's addresses.
 */
function serveListener(host: GatewayHost, owner: ListenerOwner, gw: Gateway, l: GatewayListener, i: number, addresses: Array<{address: string}>, conflict: {reason: string; message: string} | undefined): ListenerRuntime {
  const key = objectKey(owner)
  const ns = owner.metadata.namespace ?? 'default'
  const gen = owner.metadata.generation
  const field = `spec.listeners[${i}]`
  const supported = kindsFor(l)
  const ls: ListenerState = {name: l.name, port: l.port, protocol: l.protocol, ...(l.hostname ? {hostname: l.hostname} : {}), supportedKinds: [], attachedRoutes: 0, conditions: [], frontends: []}
  const rt: ListenerRuntime = {gateway: gw, owner, spec: l, index: i, state: ls, frontends: [], accepting: false}
  const fail = (type: string, reason: string, message: string) => ls.conditions.push(cond(type, false, reason, message, gen))
  // The hostname passes the model's host grammar (labels of at most 63) like every host that reaches a target.
  if (l.hostname !== undefined && !allow.host(l.hostname)) {
    host.diag('VIP2003', key, `${field}.hostname`, `listener ${l.name}: hostname is not allowed (labels of at most 63 characters); the listener is not served`)
    fail('Accepted', 'UnsupportedValue', 'hostname not allowed')
    fail('Programmed', 'Invalid', 'not served')
    return rt
  }
  if (supported.length === 0) {
    host.diag('VIP6006', key, `${field}.protocol`, `listener ${l.name}: protocol ${l.protocol}${l.protocol === 'TLS' ? ` with mode ${l.tls?.mode}` : ''} is not served by vipctl (it serves HTTP, HTTPS, TCP, UDP, and TLS passed through or terminated)`)
    fail('Accepted', 'UnsupportedProtocol', `vipctl does not serve ${l.protocol} listeners`)
    fail('Programmed', 'Invalid', 'not served')
    return rt
  }
  // Route kinds: those of allowedRoutes.kinds vipctl serves for the protocol (others: ResolvedRefs=False, InvalidRouteKinds).
  const asked = l.allowedRoutes.kinds
  const kinds = asked === undefined ? supported : asked.filter((k) => supported.some((s) => s.group === k.group && s.kind === k.kind))
  ls.supportedKinds = kinds
  let resolved = true
  if (asked !== undefined && kinds.length !== asked.length) {
    const bad = asked.filter((k) => !kinds.includes(k)).map((k) => `${k.group}/${k.kind}`)
    host.diag('VIP6004', key, `${field}.allowedRoutes.kinds`, `listener ${l.name}: route kinds ${bad.join(', ')} are not served on ${l.protocol} (ResolvedRefs=False, reason InvalidRouteKinds)`)
    fail('ResolvedRefs', 'InvalidRouteKinds', `not served on ${l.protocol}: ${bad.join(', ')}`)
    resolved = false
  }
  if (conflict) {
    host.diag('VIP6004', key, `${field}.${conflict.reason === 'ProtocolConflict' ? 'protocol' : 'hostname'}`, `listener ${l.name}: ${conflict.message} (Conflicted=True, reason ${conflict.reason})`)
    ls.conditions.push(cond('Conflicted', true, conflict.reason, conflict.message, gen))
    // A conflicted listener carries no route kind (the suite's TLSRouteListenerMixedTerminationNotSupported).
    ls.supportedKinds = []
    fail('Accepted', conflict.reason, conflict.message)
    fail('Programmed', conflict.reason, 'not served')
    return rt
  }
  // TLS: each certificateRef a Secret in reach (a ReferenceGrant for another namespace) that the proxy can load.
  const certs: Array<{secret: string; field: string}> = []
  const terminates = l.protocol === 'HTTPS' || (l.protocol === 'TLS' && l.tls?.mode === 'Terminate')
  if (terminates) {
    for (const [ci, ref] of (l.tls?.certificateRefs ?? []).entries()) {
      const cf = `${field}.tls.certificateRefs[${ci}]`
      const refNs = ref.namespace ?? ns
      if (ref.group !== '' || ref.kind !== 'Secret') {
        host.diag('VIP6004', key, cf, `listener ${l.name}: certificateRef ${ref.group}/${ref.kind} is not a Secret (ResolvedRefs=False, reason InvalidCertificateRef)`)
        resolved = false
        continue
      }
      if (refNs !== ns && !granted(host.snap, {group: G, kind: owner.kind, namespace: ns}, {group: '', kind: 'Secret', namespace: refNs, name: ref.name})) {
        host.diag('VIP6004', key, cf, `listener ${l.name}: Secret ${refNs}/${ref.name} is in another namespace and no ReferenceGrant there allows it (ResolvedRefs=False, reason RefNotPermitted)`)
        ls.conditions.push(cond('ResolvedRefs', false, 'RefNotPermitted', `Secret ${refNs}/${ref.name}: no ReferenceGrant`, gen))
        resolved = false
        continue
      }
      const problem = host.tlsProblem(refNs, ref.name, key, cf)
      if (problem) {
        host.diag('VIP6004', key, cf, `listener ${l.name}: ${problem} (ResolvedRefs=False, reason InvalidCertificateRef)`)
        resolved = false
        continue
      }
      certs.push({secret: `${refNs}/${ref.name}`, field: cf})
    }
    if (l.tls?.options && Object.keys(l.tls.options).length) host.diag('VIP6005', key, `${field}.tls.options`, `listener ${l.name}: TLS options are not supported and have no effect`)
    if (certs.length === 0 && !ls.conditions.some((c) => c.type === 'ResolvedRefs')) ls.conditions.push(cond('ResolvedRefs', false, 'InvalidCertificateRef', 'no usable certificate', gen))
  }
  if (resolved && !ls.conditions.some((c) => c.type === 'ResolvedRefs')) ls.conditions.push(cond('ResolvedRefs', true, 'ResolvedRefs', 'all references resolved', gen))
  ls.conditions.push(cond('Conflicted', false, 'NoConflicts', 'no conflicts', gen))
  ls.conditions.push(cond('Accepted', true, 'Accepted', 'accepted', gen))
  rt.accepting = true
  if (terminates && certs.length === 0) {
    ls.conditions.push(cond('Programmed', false, 'Invalid', 'no usable certificate: the listener is not served', gen))
    return rt
  }
  const protocol: FrontendProtocol = l.protocol === 'HTTPS' ? 'https' : l.protocol === 'TCP' ? 'tcp' : l.protocol === 'UDP' ? 'udp' : l.protocol === 'TLS' ? 'tls' : 'http'
  for (const a of addresses) {
    const f = host.frontend(a.address, l.port, protocol, {object: key, field}, l.protocol === 'TLS' && terminates)
    if (!f) continue
    // A TLS host belongs to the oldest object serving it on this VIP:port (an Ingress's spec.tls or a listener's
    // hostname): a newer Gateway's certificate is never served for another's name (a proxy picks the first listed).
    const keeper = protocol === 'https' && l.hostname ? host.claimTlsHost(f, l.hostname.toLowerCase(), key) : undefined
    if (keeper) host.diag('VIP2017', key, `${field}.hostname`, `listener ${l.name}: TLS host ${l.hostname} on ${fmtAddr(a.address, l.port)} is already served with the Secret of ${keeper}, which keeps it (the oldest claim wins, then namespace/name order)`)
    else
      for (const c of certs) {
        // A listener without a hostname serves its certificate as the default; with one, for that name.
        const hosts = l.hostname ? [l.hostname] : []
        if (!f.certificates.some((x) => x.secret === c.secret && x.hosts.join() === hosts.join())) f.certificates.push({secret: c.secret, hosts, provenance: {object: key, field: c.field}})
      }
    // The Gateway's own listeners only: a ListenerSet never changes which listener a host belongs to for requests
    // of the Gateway's (as for listener isolation).
    if (protocol === 'https' && (owner as unknown) === gw) {
      const lkey = `${key}#${l.name}`
      f.tlsListeners ??= []
      if (!f.tlsListeners.some((x) => x.key === lkey)) f.tlsListeners.push({key: lkey, ...(l.hostname ? {hostname: l.hostname} : {})})
    }
    rt.frontends.push(f)
    ls.frontends.push(f.id)
  }
  ls.conditions.push(rt.frontends.length > 0 ? cond('Programmed', true, 'Programmed', `served on ${rt.frontends.map((f) => f.id).join(', ')}`, gen) : cond('Programmed', false, 'Invalid', 'not served: see the findings on the Gateway', gen))
  return rt
}

/** Whether a ReferenceGrant in the target's namespace lets `from` refer to the target. */
function granted(snap: Snapshot, from: {group: string; kind: string; namespace: string}, to: {group: string; kind: string; namespace: string; name: string}): boolean {
  return snap.referenceGrants.some(
    (g) =>
      (g.metadata.namespace ?? 'default') === to.namespace &&
      g.spec.from.some((f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace) &&
      g.spec.to.some((t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === to.name)),
  )
}

function namespaceAllowed(host: GatewayHost, l: GatewayListener, gatewayNs: string, routeNs: string): boolean {
  const from = l.allowedRoutes.namespaces.from
  if (from === 'All') return true
  if (from === 'Same') return routeNs === gatewayNs
  if (from === 'None') return false
  const ns = host.snap.namespaces.find((n) => n.metadata.name === routeNs)
  return ns !== undefined && labelSelectorMatches(l.allowedRoutes.namespaces.selector!, {...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': routeNs})
}

function labelSelectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  if (sel.matchLabels && !selectorMatches(sel.matchLabels, labels)) return false
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels
    const inValues = has && (e.values ?? []).includes(labels[e.key]!)
    if (e.operator === 'In' && !inValues) return false
    if (e.operator === 'NotIn' && inValues) return false
    if (e.operator === 'Exists' && !has) return false
    if (e.operator === 'DoesNotExist' && has) return false
  }
  return true
}

/** How specific a listener hostname is: none 0, a wildcard 1 + its labels, an exact name above every wildcard. */
function specificity(hostname: string | undefined): number {
  if (!hostname) return 0
  return hostname.startsWith('*.') ? hostname.split('.').length : 1000
}

/**
 * Listener isolation: the listener of the same object on frontend `f` with a more specific hostname than `l`'s that
 * covers host `h` (its routes serve `h` there, never `l`'s); undefined when there is none.
 */
function moreSpecificListener(byFrontend: Map<string, ListenerRuntime[]>, f: Frontend, l: ListenerRuntime, h: string): ListenerRuntime | undefined {
  return (byFrontend.get(f.id) ?? []).find((o) => o !== l && o.owner === l.owner && specificity(o.spec.hostname) > specificity(l.spec.hostname) && hostWithin(h, o.spec.hostname!))
}

/** Whether every host `h` stands for ('' any, '*.x' under x) is matched by the listener hostname `owner`. */
function hostWithin(h: string, owner: string): boolean {
  if (h === '') return false
  if (!owner.startsWith('*.')) return h === owner
  const suffix = owner.slice(1)
  return h === owner || (h.startsWith('*.') ? h.slice(1).endsWith(suffix) : h.endsWith(suffix) && h.length > suffix.length)
}

/** Notes that a Gateway's routes send to a pool (a BackendTLSPolicy on the pool reports to that Gateway). */
function usedBy(poolGateways: Map<string, Set<string>>, pool: string, gw: Gateway): void {
  poolGateways.set(pool, new Set([...(poolGateways.get(pool) ?? []), objectKey(gw)]))
}

/** The routes of each kind attached to a listener, with the hosts they serve there (for the HTTPRoute/GRPCRoute rule). */
type ListenerClaims = Map<ListenerRuntime, Array<{kind: string; route: string; hosts: string[]}>>

/**
 * Whether two routes' hosts on a listener ('' any, '*.x' a suffix) clash for the HTTPRoute/GRPCRoute rule. A route
 * without hostnames clashes only with another without: beside routes that name hosts it keeps the hosts nobody
 * names (theirs win by host precedence), so an old catch-all never locks the other kind out of a whole listener.
 */
function hostsOverlap(a: string[], b: string[]): boolean {
  return a.some((x) => b.some((y) => (x === '' || y === '' ? x === y : intersectHostnames(x, [y]).length > 0)))
}

/**
 * The listeners a parentRef names: a Gateway's own, or a ListenerSet's. undefined when the parent is not ours (a
 * mesh Service, another controller's Gateway, an object not in the input: said, except the first).
 */
function parentListeners(host: GatewayHost, key: string, ns: string, p: ParentRef, field: string, listeners: Map<string, ListenerRuntime[]>): ListenerRuntime[] | undefined {
  if (p.group !== G || (p.kind !== 'Gateway' && p.kind !== 'ListenerSet')) return undefined // another kind of parent (a Service: mesh): not ours
  const pns = p.namespace ?? ns
  const ls = listeners.get(`${p.kind}/${pns}/${p.name}`)
  if (ls) return ls
  if (p.kind === 'Gateway') {
    const gw = host.snap.gateways.find((g) => g.metadata.name === p.name && (g.metadata.namespace ?? 'default') === pns)
    if (!gw) host.diag('VIP6001', key, field, `Gateway ${pns}/${p.name} is not in the input: the route is not attached to it`)
    // A Gateway of another class: its controller writes the route's status; check says whose it is.
    else host.diag('VIP6003', key, field, `Gateway ${pns}/${p.name} is of class ${gw.spec.gatewayClassName}, not served by vipctl: its controller attaches this route, not vipctl`)
    return undefined
  }
  const set = host.snap.listenerSets.find((s) => s.metadata.name === p.name && (s.metadata.namespace ?? 'default') === pns)
  if (!set) host.diag('VIP6001', key, field, `ListenerSet ${pns}/${p.name} is not in the input: the route is not attached to it`)
  else host.diag('VIP6003', key, field, `ListenerSet ${pns}/${p.name} belongs to ${parentOfSet(set) ?? 'no Gateway'}, not served by vipctl: the route is not attached to it by vipctl`)
  return undefined
}

function parentState(ns: string, p: ParentRef): RouteParentState {
  return {parentRef: {group: G, kind: p.kind, namespace: p.namespace ?? ns, name: p.name, ...(p.sectionName !== undefined ? {sectionName: p.sectionName} : {}), ...(p.port !== undefined ? {port: p.port} : {})}, controllerName: GATEWAY_CONTROLLER, conditions: []}
}

/** An HTTPRoute or GRPCRoute onto the listeners its parentRefs select, its rules into routes of the model. */
function attachRoute(host: GatewayHost, route: HTTPRoute | GRPCRoute, routeIndex: number, listeners: Map<string, ListenerRuntime[]>, byFrontend: Map<string, ListenerRuntime[]>, claims: ListenerClaims, grpcPools: Map<Pool, Provenance>, poolGateways: Map<string, Set<string>>): RouteState {
  const key = objectKey(route)
  const ns = route.metadata.namespace ?? 'default'
  const gen = route.metadata.generation
  // Route hostnames pass the model's host grammar (labels of at most 63): one that does not is left out, said.
  const hostnames = servableHostnames(host, key, route.spec.hostnames)
  const unusable = route.spec.hostnames.length > 0 && hostnames.length === 0
  const rs: RouteState = {object: key, ...(gen !== undefined ? {generation: gen} : {}), hostnames, parents: []}
  const attached = new Map<RouteParentState, ListenerRuntime[]>()
  route.spec.parentRefs.forEach((p, pi) => {
    const field = `spec.parentRefs[${pi}]`
    const ls = parentListeners(host, key, ns, p, field, listeners)
    if (!ls) return
    const parent = parentState(ns, p)
    rs.parents.push(parent)
    const result = unusable ? {listeners: [], reason: 'NoMatchingListenerHostname', why: 'no hostname of the route can be served'} : attachToParent(host, {kind: route.kind, metadata: route.metadata, spec: {hostnames}}, p, ls)
    // HTTPRoute and GRPCRoute on one listener with a host in common: the older route keeps the listener (the spec).
    const other = route.kind === 'HTTPRoute' ? 'GRPCRoute' : 'HTTPRoute'
    const taken = result.listeners.map((l) => ({l, by: (claims.get(l) ?? []).find((c) => c.kind === other && hostsOverlap(c.hosts, intersectHostnames(l.spec.hostname, hostnames)))}))
    for (const t of taken) if (t.by) host.diag('VIP6001', key, field, `listener ${t.l.spec.name} already carries the older ${t.by.route} for a host this route names: the listener keeps that route (an HTTPRoute and a GRPCRoute never share a host on a listener)`)
    const free = taken.filter((t) => !t.by).map((t) => t.l)
    if (free.length === 0) {
      const reason = result.listeners.length === 0 ? result.reason : 'NotAllowedByListeners'
      const why = result.listeners.length === 0 ? result.why : `every listener it selects already carries an older ${other} for the same hosts`
      if (result.listeners.length === 0) host.diag('VIP6001', key, field, `not attached to ${p.kind} ${p.namespace ?? ns}/${p.name}: ${why} (Accepted=False, reason ${reason})`)
      parent.conditions.push(cond('Accepted', false, reason, why, gen))
    } else parent.conditions.push(cond('Accepted', true, 'Accepted', `attached to ${free.map((l) => l.spec.name).join(', ')}`, gen))
    attached.set(parent, free)
    for (const l of free) claims.set(l, [...(claims.get(l) ?? []), {kind: route.kind, route: key, hosts: intersectHostnames(l.spec.hostname, hostnames)}])
  })
  if (rs.parents.length === 0) return rs
  const mine = new Set([...attached.values()].flat())
  for (const l of mine) l.state.attachedRoutes++
  // Rules -> routes on every frontend of every listener the route attached to, with the hostnames it serves there.
  const refs = resolveRules(host, route, routeIndex)
  if (route.kind === 'GRPCRoute' && [...attached.values()].some((ls) => ls.length > 0)) for (const [pool, prov] of refs.pools) if (!grpcPools.has(pool)) grpcPools.set(pool, prov)
  for (const l of new Set([...attached.values()].flat())) for (const pool of refs.pools.keys()) usedBy(poolGateways, pool.id, l.gateway)
  for (const parent of rs.parents) {
    parent.conditions.push(refs.resolved ? cond('ResolvedRefs', true, 'ResolvedRefs', 'all references resolved', gen) : cond('ResolvedRefs', false, refs.reason!, refs.message!, gen))
    if (refs.dropped > 0) parent.conditions.push(cond('PartiallyInvalid', true, 'UnsupportedValue', `${refs.dropped} match${refs.dropped === 1 ? ' is' : 'es are'} not served (see the findings)`, gen))
    for (const l of attached.get(parent) ?? []) {
      const hosts = intersectHostnames(l.spec.hostname, hostnames)
      for (const f of l.frontends) {
        if (route.kind === 'GRPCRoute') f.http2 ??= {object: key, field: 'spec.parentRefs'}
        // Listener isolation: a request goes to the most specific listener whose hostname matches it; a host that a
        // more specific listener on this VIP:port covers is never served by this listener's routes.
        const served = hosts.filter((h) => {
          // Listeners of one object only: another Gateway sharing the address, or a ListenerSet (another tenant's,
          // perhaps), never takes hosts from this listener's routes; those compete by route precedence, oldest first.
          const owner = moreSpecificListener(byFrontend, f, l, h)
          // The route serves the host through that listener too: nothing to say.
          if (owner && !mine.has(owner)) host.diag('VIP6001', key, `spec.hostnames`, `${h || '(any host)'} on ${f.id} belongs to listener ${owner.spec.name} of ${objectKey(owner.owner)} (a more specific hostname than listener ${l.spec.name}'s): this route does not serve it there`)
          return !owner
        })
        const through = l.owner.kind === 'ListenerSet' ? {through: objectKey(l.owner)} : {}
        for (const h of served) for (const r of refs.routes) host.addRoute(f, {...r, host: h, ...(h.startsWith('*.') ? {wildcard: 'suffix' as const} : {}), ...through})
      }
    }
  }
  return rs
}

function attachToParent(host: GatewayHost, route: {kind: string; metadata: {namespace?: string}; spec: {hostnames?: string[]}}, p: ParentRef, ls: ListenerRuntime[]): {listeners: ListenerRuntime[]; reason: string; why: string} {
  const ns = route.metadata.namespace ?? 'default'
  if (ls.length === 0) return {listeners: [], reason: 'NoMatchingParent', why: `${p.kind} ${p.namespace ?? ns}/${p.name} is not accepted (see its findings)`}
  const named = ls.filter((l) => (p.sectionName === undefined || l.spec.name === p.sectionName) && (p.port === undefined || l.spec.port === p.port))
  if (named.length === 0) return {listeners: [], reason: 'NoMatchingParent', why: `no listener${p.sectionName !== undefined ? ` named ${p.sectionName}` : ''}${p.port !== undefined ? ` on port ${p.port}` : ''}`}
  const accepting = named.filter((l) => l.accepting)
  if (accepting.length === 0) return {listeners: [], reason: 'NoMatchingParent', why: `listener ${named.map((l) => l.spec.name).join(', ')} is not accepted (see the ${p.kind}'s findings)`}
  const kindOk = accepting.filter((l) => l.state.supportedKinds.some((k) => k.group === G && k.kind === route.kind))
  if (kindOk.length === 0) return {listeners: [], reason: 'NotAllowedByListeners', why: `listener ${accepting.map((l) => l.spec.name).join(', ')} does not allow ${route.kind}s`}
  // "Same" is the namespace of the object that declares the listener (a ListenerSet's own, not its Gateway's).
  const nsOk = kindOk.filter((l) => namespaceAllowed(host, l.spec, l.owner.metadata.namespace ?? 'default', ns))
  if (nsOk.length === 0)
    return {listeners: [], reason: 'NotAllowedByListeners', why: `listener ${kindOk.map((l) => `${l.spec.name} (routes from ${l.spec.allowedRoutes.namespaces.from === 'Selector' ? 'namespaces its selector matches' : l.spec.allowedRoutes.namespaces.from === 'Same' ? `namespace ${l.owner.metadata.namespace ?? 'default'} only` : 'no namespace'})`).join(', ')} does not allow routes from namespace ${ns}`}
  if (route.kind === 'TCPRoute' || route.kind === 'UDPRoute') return {listeners: nsOk, reason: 'Accepted', why: ''}
  const hostnames = route.spec.hostnames ?? []
  const hostOk = nsOk.filter((l) => intersectHostnames(l.spec.hostname, hostnames).length > 0)
  if (hostOk.length === 0) return {listeners: [], reason: 'NoMatchingListenerHostname', why: `no hostname of the route (${hostnames.join(', ')}) intersects the listener hostname${nsOk.length > 1 ? 's' : ''} ${nsOk.map((l) => l.spec.hostname ?? '(any)').join(', ')}`}
  return {listeners: hostOk, reason: 'Accepted', why: ''}
}

/**
 * One backendRef of a route in namespace `ns`: a Service of the same namespace (or another, by a ReferenceGrant
 * for routes of `kind`) with the port, as a pool; else the spec's reason (InvalidKind, RefNotPermitted,
 * BackendNotFound) and a message. The one check for every route kind.
 */
function resolveBackendRef(host: GatewayHost, kind: string, routeKey: string, ns: string, b: {group: string; kind: string; name: string; namespace?: string; port?: number}, field: string): {pool: Pool} | {reason: string; message: string} {
  if (b.group !== '' || b.kind !== 'Service') return {reason: 'InvalidKind', message: `${b.group ? `${b.group}/` : ''}${b.kind} ${b.name} is not a Service`}
  const bns = b.namespace ?? ns
  if (bns !== ns && !granted(host.snap, {group: G, kind, namespace: ns}, {group: '', kind: 'Service', namespace: bns, name: b.name}))
    return {reason: 'RefNotPermitted', message: `Service ${bns}/${b.name} is in another namespace and no ReferenceGrant there allows it`}
  const svc = host.service(bns, b.name)
  if (!svc) return {reason: 'BackendNotFound', message: `Service ${bns}/${b.name} not found`}
  // UDPRoutes go to a Service's UDP ports, every other route kind to its TCP ports.
  const protocol = kind === 'UDPRoute' ? 'UDP' : 'TCP'
  if (svc.spec.type === 'ExternalName' && protocol === 'UDP') return {reason: 'BackendNotFound', message: `Service ${bns}/${b.name} is an ExternalName Service, which vipctl serves over TCP only`}
  if (svc.spec.type !== 'ExternalName' && !(svc.spec.ports ?? []).some((p) => p.port === b.port && (p.protocol ?? 'TCP') === protocol)) return {reason: 'BackendNotFound', message: `Service ${bns}/${b.name} has no ${protocol} port ${b.port}`}
  // HTTP kinds: the port's appProtocol must be one vipctl speaks to members (the spec: else UnsupportedProtocol).
  const sp = (svc.spec.ports ?? []).find((p) => p.port === b.port && (p.protocol ?? 'TCP') === protocol)
  const ap = sp?.appProtocol?.toLowerCase()
  if ((kind === 'HTTPRoute' || kind === 'GRPCRoute') && ap !== undefined && !HTTP_APP_PROTOCOLS.has(ap)) {
    const tls = TLS_APP_PROTOCOLS.has(ap) && host.snap.backendTLSPolicies.some((p) => (p.metadata.namespace ?? 'default') === bns && p.spec.targetRefs.some((t) => t.group === '' && t.kind === 'Service' && t.name === b.name && (t.sectionName === undefined || t.sectionName === sp?.name)))
    if (!tls) return {reason: 'UnsupportedProtocol', message: `Service ${bns}/${b.name} port ${b.port} has appProtocol ${sp!.appProtocol}, which vipctl does not speak to members${TLS_APP_PROTOCOLS.has(ap) ? ' without a BackendTLSPolicy on the port' : ''}`}
  }
  const pool = host.poolFor(bns, {service: {name: b.name, port: {number: b.port}}}, routeKey, field, protocol)
  return pool ? {pool} : {reason: 'BackendNotFound', message: `Service ${bns}/${b.name} port ${b.port} cannot be served`}
}

/** appProtocol values (lower case) of a Service port that HTTPRoute and GRPCRoute backends may carry. */
const HTTP_APP_PROTOCOLS = new Set(['http', 'h2c', 'http2', 'grpc', 'kubernetes.io/h2c', 'kubernetes.io/ws', 'tcp'])
/** appProtocol values that need TLS towards members: served only with a BackendTLSPolicy on the port. */
const TLS_APP_PROTOCOLS = new Set(['https', 'tls', 'kubernetes.io/wss'])

/** A route's hostnames that pass the model's host grammar (labels of at most 63); each other one is said and not served. */
function servableHostnames(host: GatewayHost, key: string, hostnames: string[]): string[] {
  return hostnames.filter((h, i) => {
    if (allow.host(h)) return true
    host.diag('VIP2003', key, `spec.hostnames[${i}]`, 'hostname is not allowed (labels of at most 63 characters); it is not served')
    return false
  })
}

/**
 * A TCPRoute: its one rule's backends, on every TCP listener it attaches to (the first TCPRoute on a listener, by
 * age, takes its connections), split by weight across its valid backends; a route with no valid backend leaves the listener without one (its connections are
 * closed), never another route's backend.
 */
function attachTcpRoute(host: GatewayHost, route: TCPRoute | TLSRoute | UDPRoute, listeners: Map<string, ListenerRuntime[]>, byFrontend: Map<string, ListenerRuntime[]>, heldTcp: Map<string, string>, poolGateways: Map<string, Set<string>>): RouteState {
  const key = objectKey(route)
  const ns = route.metadata.namespace ?? 'default'
  const gen = route.metadata.generation
  const tls = route.kind === 'TLSRoute'
  const hostnames = tls ? servableHostnames(host, key, route.spec.hostnames) : []
  const rs: RouteState = {object: key, ...(gen !== undefined ? {generation: gen} : {}), hostnames, parents: []}
  // The backends: the valid backendRefs with weight (each checked as for HTTPRoutes), split by weight when several.
  let pool: Pool | undefined
  let unresolved: {reason: string; message: string} | undefined
  const split: Array<{pool: string; weight: number}> = []
  const invalid: Array<{field: string; message: string; reason: string}> = []
  const poolById = new Map<string, Pool>()
  const refs = route.spec.rules[0]?.backendRefs ?? []
  const what = route.kind === 'UDPRoute' ? 'datagrams' : 'connections'
  for (const [bi, b] of refs.entries()) {
    const bf = `spec.rules[0].backendRefs[${bi}]`
    const r = resolveBackendRef(host, route.kind, key, ns, b, bf)
    if ('reason' in r) {
      invalid.push({field: bf, ...r})
      unresolved ??= r
      continue
    }
    if (b.weight === 0) continue
    poolById.set(r.pool.id, r.pool)
    const same = split.find((x) => x.pool === r.pool.id)
    if (same) same.weight += b.weight
    else split.push({pool: r.pool.id, weight: b.weight})
  }
  for (const x of invalid) host.diag('VIP6002', key, x.field, `${x.message} (ResolvedRefs=False, reason ${x.reason}); ${split.length > 0 ? `its share of the ${what} goes to the valid backends` : `with no valid backend the route's ${what} are dropped`}`)
  if (split.length === 0 && invalid.length === 0 && refs.length > 0) host.diag('VIP6011', key, 'spec.rules[0].backendRefs', `every backendRef has weight 0: the route's ${what} are dropped`)
  // The heaviest backend stands for the route where a target cannot split (NetScaler's TCP content switching).
  const heaviest = split.reduce<{pool: string; weight: number} | undefined>((m, b) => (m === undefined || b.weight > m.weight ? b : m), undefined)
  pool = heaviest ? poolById.get(heaviest.pool) : undefined
  const splitProv = {object: key, field: 'spec.rules[0].backendRefs'}
  const weighted = split.length > 1 ? {split: {backends: split, provenance: splitProv}} : {}
  route.spec.parentRefs.forEach((p, pi) => {
    const field = `spec.parentRefs[${pi}]`
    const ls = parentListeners(host, key, ns, p, field, listeners)
    if (!ls) return
    const parent = parentState(ns, p)
    rs.parents.push(parent)
    const result = hostnames.length === 0 && tls ? {listeners: [], reason: 'NoMatchingListenerHostname', why: 'no hostname of the route can be served'} : attachToParent(host, {kind: route.kind, metadata: route.metadata, spec: {hostnames}}, p, ls)
    if (tls && result.listeners.length > 0) {
      // TLS passthrough: one route per SNI hostname the route serves on the listener (the oldest keeps a name).
      parent.conditions.push(cond('Accepted', true, 'Accepted', `attached to ${result.listeners.map((l) => l.spec.name).join(', ')}`, gen))
      for (const l of result.listeners) {
        l.state.attachedRoutes++
        for (const b of split) usedBy(poolGateways, b.pool, l.gateway)
        for (const f of l.frontends)
          for (const h of intersectHostnames(l.spec.hostname, hostnames)) {
            // A name a more specific TLS listener on this VIP:port covers belongs to that listener's routes.
            const owner = moreSpecificListener(byFrontend, f, l, h)
            if (owner) {
              if (!result.listeners.includes(owner)) host.diag('VIP6001', key, 'spec.hostnames', `${h} on ${f.id} belongs to listener ${owner.spec.name} of ${objectKey(owner.owner)}: this route does not serve it there`)
            }
            // Without a valid backend the route still holds its names: their connections are closed, never another's.
            else host.addRoute(f, {host: h, path: '/', pathType: 'Prefix', pool: pool?.id ?? '', redirectHttps: false, ...(h.startsWith('*.') ? {wildcard: 'suffix' as const} : {}), ...(pool ? (split.length > 1 ? {policy: weighted} : {}) : {policy: {fail: {reason: 'no valid backendRef', provenance: splitProv}}}), ...(l.owner.kind === 'ListenerSet' ? {through: objectKey(l.owner)} : {}), provenance: {object: key, field: 'spec.hostnames'}})
          }
      }
      parent.conditions.push(unresolved ? cond('ResolvedRefs', false, unresolved.reason, unresolved.message, gen) : cond('ResolvedRefs', true, 'ResolvedRefs', 'all references resolved', gen))
      return
    }
    // A TCP or UDP listener carries one route's traffic: the oldest keeps it, with or without a valid backend (then its
    // connections close). A newer one is accepted and counted (the spec) but receives nothing, said.
    if (result.listeners.length === 0) {
      host.diag('VIP6001', key, field, `not attached to ${p.kind} ${p.namespace ?? ns}/${p.name}: ${result.why} (Accepted=False, reason ${result.reason})`)
      parent.conditions.push(cond('Accepted', false, result.reason, result.why, gen))
    } else {
      parent.conditions.push(cond('Accepted', true, 'Accepted', `attached to ${result.listeners.map((l) => l.spec.name).join(', ')}`, gen))
      for (const l of result.listeners) {
        l.state.attachedRoutes++
        const holder = l.frontends.map((f) => heldTcp.get(f.id)).find((h) => h !== undefined && h !== key)
        if (holder) {
          host.diag('VIP6001', key, field, `listener ${l.spec.name} of ${objectKey(l.owner)} already carries the older ${holder}, which receives its ${route.kind === 'UDPRoute' ? 'datagrams' : 'connections'}: this route receives none there`)
          continue
        }
        for (const b of split) usedBy(poolGateways, b.pool, l.gateway)
        for (const f of l.frontends) {
          heldTcp.set(f.id, key)
          f.defaultRoute = key
          if (pool) f.defaultPool = pool.id
          if (split.length > 1) f.defaultSplit = {backends: split, provenance: splitProv}
        }
      }
    }
    parent.conditions.push(unresolved ? cond('ResolvedRefs', false, unresolved.reason, unresolved.message, gen) : cond('ResolvedRefs', true, 'ResolvedRefs', 'all references resolved', gen))
  })
  return rs
}

type RuleRoute = Omit<Route, 'host'>

/**
 * A route's rules as model routes (host filled in per listener): one per match, with conditions, filters as the
 * route policy, weights as the split. A rule that cannot be served as written answers 500 (policy.fail).
 */
function resolveRules(host: GatewayHost, route: HTTPRoute | GRPCRoute, routeIndex: number): {routes: RuleRoute[]; resolved: boolean; reason?: string; message?: string; dropped: number; pools: Map<Pool, Provenance>} {
  const key = objectKey(route)
  const ns = route.metadata.namespace ?? 'default'
  const routes: RuleRoute[] = []
  const pools = new Map<Pool, Provenance>()
  let unresolved: {reason: string; message: string} | undefined
  let dropped = 0
  ;(route.spec.rules as Array<HTTPRouteRule | GRPCRouteRule>).forEach((rule, ri) => {
    const field = `spec.rules[${ri}]`
    const prov: Provenance = {object: key, field}
    let failure: string | undefined
    const failWith = (why: string) => (failure ??= why)
    // Backends -> pools (each checked: kind, ReferenceGrant, Service and port).
    const backends: Array<{pool: string; weight: number; requestHeaders?: HeaderRules}> = []
    let invalidWeight = 0
    rule.backendRefs.forEach((b, bi) => {
      const bf = `${field}.backendRefs[${bi}]`
      // A backendRef's own filters: request header modifiers apply to the requests sent to it (after the rule's);
      // any other filter makes the rule answer 500 rather than skip it.
      let requestHeaders: HeaderRules | undefined
      for (const [fi, f] of b.filters.entries()) {
        if (f.type !== 'RequestHeaderModifier') {
          host.diag('VIP6005', key, `${bf}.filters[${fi}]`, `${f.type} on a backendRef is not supported: the rule answers 500 rather than skip it`)
          failWith(`a backendRef has a ${f.type} filter vipctl does not apply`)
          return
        }
        const one: RoutePolicy = {}
        applyFilter(host, key, `${bf}.filters[${fi}]`, f, one, failWith)
        if (one.requestHeaders) requestHeaders = mergeHeaderRules(requestHeaders, one.requestHeaders)
      }
      // An empty modifier changes nothing: the backend is as if it had none.
      if (requestHeaders && requestHeaders.set.length + requestHeaders.add.length + requestHeaders.remove.length === 0) requestHeaders = undefined
      const r = resolveBackendRef(host, route.kind, key, ns, b, bf)
      if ('reason' in r) {
        host.diag('VIP6002', key, bf, `${r.message} (ResolvedRefs=False, reason ${r.reason}); its share of the rule's requests is answered 500`)
        unresolved ??= r
        invalidWeight += b.weight
        return
      }
      const pool = r.pool
      if (!pools.has(pool)) pools.set(pool, {object: key, field: bf})
      // Two backendRefs to one Service port are one backend, unless their header modifiers differ.
      const same = backends.find((x) => x.pool === pool.id && JSON.stringify(x.requestHeaders) === JSON.stringify(requestHeaders))
      if (same) same.weight += b.weight
      else backends.push({pool: pool.id, weight: b.weight, ...(requestHeaders ? {requestHeaders} : {})})
    })
    const policy: RoutePolicy = {}
    for (const [fi, f] of rule.filters.entries()) applyFilter(host, key, `${field}.filters[${fi}]`, f, policy, failWith)
    for (const u of rule.unsupported ?? []) host.diag('VIP6005', key, `${field}.${u}`, route.kind === 'GRPCRoute' && u !== 'sessionPersistence' ? `${u} is not a GRPCRoute field (the API server drops it); the rule is served without it` : `${u} is not supported yet; the rule is served without it`)
    const timeouts = 'timeouts' in rule ? rule.timeouts : undefined
    const timeout = timeouts?.backendRequest ?? timeouts?.request
    if (timeout !== undefined) {
      const ms = durationMs(timeout)
      const tfield = `${field}.timeouts.${timeouts?.backendRequest !== undefined ? 'backendRequest' : 'request'}`
      // HAProxy's timers stop at 2^31-1 ms (24.8 days): a longer wait is that one, said.
      if (ms !== undefined && ms > MAX_TIMEOUT_MS) host.diag('VIP2015', key, tfield, `${timeout} is longer than a proxy timer can wait; ${MAX_TIMEOUT_MS} ms (24.8 days) is used`)
      if (ms !== undefined && ms > 0) policy.timeoutMs = {value: Math.min(ms, MAX_TIMEOUT_MS), provenance: {object: key, field: tfield}}
      if (timeouts?.backendRequest === undefined && ms) host.diag('VIP6007', key, `${field}.timeouts.request`, `applied as the wait for a member's response (${ms} ms), not as a deadline for the whole exchange`)
      if (timeouts?.backendRequest !== undefined && timeouts.request !== undefined) host.diag('VIP6007', key, `${field}.timeouts.request`, `not applied: backendRequest (${timeouts.backendRequest}) is the member wait; vipctl has no deadline for the whole exchange`)
    }
    // A redirect is answered by the proxy: the rule's other filters would apply to nothing (said, never dropped in silence).
    if (policy.redirect && !failure) {
      const unused = (['requestHeaders', 'responseHeaders', 'cors', 'timeoutMs'] as const).filter((k) => policy[k] !== undefined)
      for (const k of unused) {
        host.diag('VIP6005', key, policy[k]!.provenance.field, `${k === 'cors' ? 'CORS' : k === 'timeoutMs' ? 'the timeout' : k === 'requestHeaders' ? 'the request header modifier' : 'the response header modifier'} has no effect on a rule that redirects (the proxy answers the redirect itself)`)
        delete policy[k]
      }
    }
    if (!policy.redirect && !failure) {
      const live = backends.filter((b) => b.weight > 0)
      if (rule.backendRefs.length === 0) failWith('the rule has no backendRefs')
      else if (live.length === 0) {
        if (backends.length > 0 && invalidWeight === 0) host.diag('VIP6011', key, `${field}.backendRefs`, 'every backendRef has weight 0: the rule answers 500')
        failWith(backends.length === 0 ? 'no backendRef of the rule can be resolved' : 'every backendRef of the rule has weight 0')
      }
      else if (invalidWeight > 0)
        host.diag('VIP6002', key, `${field}.backendRefs`, `the share of invalid backendRefs (weight ${invalidWeight}) goes to the valid ones instead of being answered 500`)
      if (live.length > 1 || (live.length === 1 && backends.length > 1) || live.some((b) => b.requestHeaders)) policy.split = {backends, provenance: {object: key, field: `${field}.backendRefs`}}
    }
    const pool = failure ? '' : policy.redirect ? (backends[0]?.pool ?? '') : backends.find((b) => b.weight > 0)?.pool ?? ''
    const finalPolicy: RoutePolicy = failure ? {fail: {reason: failure, provenance: prov}} : policy
    ;(rule.matches as Array<HTTPRouteMatch | GRPCRouteMatch>).forEach((m, mi) => {
      const mf = `${field}.matches[${mi}]`
      const matched = route.kind === 'GRPCRoute' ? grpcMatchOf(host, key, mf, m as GRPCRouteMatch) : matchOf(host, key, mf, m as HTTPRouteMatch)
      if (!matched) return void dropped++
      const order = routeIndex * 1_000_000 + ri * 1000 + mi
      routes.push({path: matched.path, pathType: matched.pathType, pool, redirectHttps: false, ...(Object.keys(finalPolicy).length ? {policy: finalPolicy} : {}), ...(matched.conditions ? {conditions: matched.conditions} : {}), order, provenance: {object: key, field: mf}})
    })
  })
  return {routes, resolved: unresolved === undefined, ...(unresolved ? unresolved : {}), dropped, pools}
}

/** One match as host-less route parts; undefined (reported) when vipctl cannot serve it as written. */
function matchOf(host: GatewayHost, key: string, field: string, m: HTTPRouteMatch): {path: string; pathType: 'Exact' | 'Prefix'; conditions?: RouteConditions} | undefined {
  const unsupported = (f: string, what: string) => {
    host.diag('VIP6005', key, f, `${what} is not supported yet: this match is not served`)
    return undefined
  }
  if (m.path.type === 'RegularExpression') return unsupported(`${field}.path.type`, 'a RegularExpression path match')
  if (!allow.path(m.path.value)) {
    host.diag('VIP2003', key, `${field}.path.value`, 'path must match ^/[A-Za-z0-9._~-/]*$ without "." or ".." segments: this match is not served')
    return undefined
  }
  const pathType = m.path.type === 'Exact' ? 'Exact' : 'Prefix'
  const path = pathType === 'Prefix' && m.path.value.length > 1 && m.path.value.endsWith('/') ? m.path.value.replace(/\/+$/, '') || '/' : m.path.value
  const headers = headerConditions(host, key, field, m.headers)
  if (!headers) return undefined
  const query: RouteConditions['query'] = []
  for (const [i, q] of m.queryParams.entries()) {
    if (q.type !== 'Exact') return unsupported(`${field}.queryParams[${i}].type`, 'a RegularExpression query parameter match')
    if (!allow.headerName(q.name) || !allow.queryValue(q.value)) {
      host.diag('VIP2003', key, `${field}.queryParams[${i}]`, 'query parameter name or value outside what vipctl writes (names: letters, digits, "-", "_"; values: letters, digits, "._~-%+"): this match is not served')
      return undefined
    }
    query.push({name: q.name, value: q.value})
  }
  const conditions = m.method || headers.length || query.length ? {conditions: {...(m.method ? {method: m.method} : {}), headers, query}} : {}
  return {path, pathType, ...conditions}
}

/** A match's header conditions (names lower-cased); undefined (said) when one cannot be served as written. */
function headerConditions(host: GatewayHost, key: string, field: string, list: HTTPRouteMatch['headers']): RouteConditions['headers'] | undefined {
  const headers: RouteConditions['headers'] = []
  for (const [i, h] of list.entries()) {
    if (h.type !== 'Exact') {
      host.diag('VIP6005', key, `${field}.headers[${i}].type`, 'a RegularExpression header match is not supported yet: this match is not served')
      return undefined
    }
    if (!allow.headerName(h.name) || !allow.headerValue(h.value)) {
      host.diag('VIP2003', key, `${field}.headers[${i}]`, 'header name or value outside what vipctl writes (names: letters, digits, "-", "_"; values: printable ASCII without % " \\ $ #, no edge spaces): this match is not served')
      return undefined
    }
    headers.push({name: h.name.toLowerCase(), value: h.value})
  }
  return headers
}

/**
 * One GRPCRoute match as host-less route parts: gRPC calls are POSTs to "/<service>/<method>", so service and method
 * is an Exact path, a service alone a path prefix (whole elements), no method match every path. A method without its
 * service, or a RegularExpression, is reported and not served.
 */
function grpcMatchOf(host: GatewayHost, key: string, field: string, m: GRPCRouteMatch): {path: string; pathType: 'Exact' | 'Prefix'; conditions?: RouteConditions} | undefined {
  const headers = headerConditions(host, key, field, m.headers)
  if (!headers) return undefined
  const conditions = headers.length ? {conditions: {headers, query: []}} : {}
  const mm = m.method
  if (!mm) return {path: '/', pathType: 'Prefix', ...conditions}
  const not = (f: string, what: string) => {
    host.diag('VIP6005', key, `${field}.method${f}`, `${what} is not supported: this match is not served`)
    return undefined
  }
  if (mm.type === 'RegularExpression') return not('.type', 'a RegularExpression method match')
  if (!mm.service) return not('.method', 'a method match without a service (implementation-specific in the spec)')
  const path = mm.method ? `/${mm.service}/${mm.method}` : `/${mm.service}`
  if (!allow.path(path)) {
    host.diag('VIP2003', key, `${field}.method`, 'service or method outside what vipctl writes: this match is not served')
    return undefined
  }
  return {path, pathType: mm.method ? 'Exact' : 'Prefix', ...conditions}
}

function headerRules(host: GatewayHost, key: string, field: string, h: {set: Array<{name: string; value: string}>; add: Array<{name: string; value: string}>; remove: string[]}, fail: (why: string) => void): HeaderRules | undefined {
  const names = [...h.set.map((x) => x.name), ...h.add.map((x) => x.name), ...h.remove]
  const badName = names.find((n) => !allow.headerName(n) || PROTECTED_HEADERS.has(n.toLowerCase()))
  const badValue = [...h.set, ...h.add].find((x) => !allow.headerValue(x.value))
  if (badName !== undefined || badValue !== undefined) {
    host.diag('VIP2003', key, field, badName !== undefined ? `header ${badName.slice(0, 64)} cannot be changed by a rule (framing, hop-by-hop and Host headers are protected; names are letters, digits, "-", "_"): the rule answers 500` : `a header value is outside what vipctl writes (printable ASCII without % " \\ $ #, no edge spaces, at most 512): the rule answers 500`)
    fail('a header modifier vipctl cannot write')
    return undefined
  }
  return {set: h.set, add: h.add, remove: h.remove}
}

function pathReplace(p: {type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; replaceFullPath?: string; replacePrefixMatch?: string} | undefined): PathReplace | undefined | false {
  if (!p) return undefined
  // The spec's table: a prefix replacement's trailing "/" is not doubled ("/xyz/" for prefix "/foo" turns
  // "/foo/bar" into "/xyz/bar"), and an empty replacement is "/".
  const value = p.type === 'ReplaceFullPath' ? p.replaceFullPath! : p.replacePrefixMatch!.replace(/\/+$/, '') || '/'
  if (!allow.path(value)) return false
  return p.type === 'ReplaceFullPath' ? {kind: 'full', value} : {kind: 'prefix', value}
}

/** Two header modifiers' lists joined (rendered as every remove, then every set, then every add). */
function mergeHeaderRules(a: HeaderRules | undefined, b: HeaderRules): HeaderRules {
  if (!a) return {set: b.set, add: b.add, remove: b.remove}
  return {set: [...a.set, ...b.set], add: [...a.add, ...b.add], remove: [...a.remove, ...b.remove]}
}

function applyFilter(host: GatewayHost, key: string, field: string, f: HTTPRouteFilter, policy: RoutePolicy, fail: (why: string) => void): void {
  const prov = {object: key, field}
  switch (f.type) {
    case 'RequestHeaderModifier':
    case 'ResponseHeaderModifier': {
      const [name, to] = f.type === 'RequestHeaderModifier' ? (['requestHeaderModifier', 'requestHeaders'] as const) : (['responseHeaderModifier', 'responseHeaders'] as const)
      const h = headerRules(host, key, `${field}.${name}`, (f as unknown as Record<string, HeaderRules>)[name]!, fail)
      if (h) policy[to] = {...h, provenance: prov}
      return
    }
    case 'RequestRedirect': {
      const r = (f as Extract<HTTPRouteFilter, {type: 'RequestRedirect'}>).requestRedirect
      const path = pathReplace(r.path)
      if (path === false || (r.hostname !== undefined && !allow.host(r.hostname))) {
        host.diag('VIP2003', key, `${field}.requestRedirect`, 'the redirect path or hostname is outside what vipctl writes: the rule answers 500')
        return fail('a redirect vipctl cannot write')
      }
      policy.redirect = {...(r.scheme ? {scheme: r.scheme} : {}), ...(r.hostname ? {host: r.hostname} : {}), ...(r.port !== undefined ? {port: r.port} : {}), ...(path ? {path} : {}), code: r.statusCode, provenance: prov}
      return
    }
    case 'URLRewrite': {
      const r = (f as Extract<HTTPRouteFilter, {type: 'URLRewrite'}>).urlRewrite
      const path = pathReplace(r.path)
      if (path === false || (r.hostname !== undefined && !allow.host(r.hostname))) {
        host.diag('VIP2003', key, `${field}.urlRewrite`, 'the rewrite path or hostname is outside what vipctl writes: the rule answers 500')
        return fail('a rewrite vipctl cannot write')
      }
      policy.rewrite = {...(r.hostname ? {host: r.hostname} : {}), ...(path ? {path} : {}), provenance: prov}
      return
    }
    case 'CORS': {
      const c = (f as Extract<HTTPRouteFilter, {type: 'CORS'}>).cors
      // Header names go into the proxy's answers: the model's header grammar (or "*").
      const bad = [...c.allowHeaders, ...c.exposeHeaders].find((h) => h !== '*' && !allow.headerName(h))
      if (bad !== undefined) {
        host.diag('VIP2003', key, `${field}.cors`, `header name ${bad.slice(0, 64)} is outside what vipctl writes (letters, digits, "-", "_"): the rule answers 500`)
        return fail('a CORS header name vipctl cannot write')
      }
      policy.cors = {allowOrigins: c.allowOrigins.map((o) => o.toLowerCase()), allowCredentials: c.allowCredentials, allowMethods: c.allowMethods, allowHeaders: c.allowHeaders, exposeHeaders: c.exposeHeaders, maxAge: c.maxAge, provenance: prov}
      return
    }
    default:
      host.diag('VIP6005', key, `${field}.type`, `filter ${f.type} is not supported: the rule answers 500 rather than run without it`)
      fail(`filter ${f.type} is not supported`)
  }
}

/**
 * BackendTLSPolicies: the proxy speaks TLS to the targeted Service's members (one port with sectionName, the port's
 * name), verifies their certificate against the ConfigMaps' ca.crt (or the system CAs) for `hostname`, and sends it
 * as SNI. On a Service port, a policy that names the port (sectionName) wins over one that names the whole Service;
 * between policies of the same kind the oldest wins (the newer: Accepted=False, Conflicted). A Service's own
 * vipctl.io/backend-* annotations keep precedence (said). A policy that cannot be applied as written (an unusable
 * CA, subjectAltNames, an ExternalName target) fails closed: its target ports answer 503, never plaintext or a looser
 * check. Returns each policy's status for the Gateways whose routes send to its targets (its ancestors).
 */
/** What a BackendTLSPolicy asks, checked once: its status reasons, the CA to use (none: the system CAs), or why it fails closed. */
interface PolicyVerdict {
  accepted: [boolean, string, string]
  resolved: [boolean, string, string]
  ca?: {secret: string; pem: string}
  fail?: {field: string; why: string}
}

function applyBackendTLSPolicies(host: GatewayHost, poolGateways: Map<string, Set<string>>): PolicyState[] {
  const done = new Map<string, string>()
  const out: PolicyState[] = []
  const ordered = host.claimOrder(host.snap.backendTLSPolicies)
  // Targets by specificity: every policy's port targets (sectionName) first, then the whole-Service ones.
  const targetsOf = new Map<BackendTLSPolicy, Array<{pool: Pool; field: string; section: boolean}>>()
  const verdicts = new Map<BackendTLSPolicy, PolicyVerdict>()
  for (const pol of ordered) {
    const key = objectKey(pol)
    const ns = pol.metadata.namespace ?? 'default'
    const v = pol.spec.validation
    const targets: Array<{pool: Pool; field: string; section: boolean}> = []
    for (const [ti, t] of pol.spec.targetRefs.entries()) {
      const field = `spec.targetRefs[${ti}]`
      if (t.group !== '' || t.kind !== 'Service') {
        host.diag('VIP6004', key, field, `${t.kind} is not a Service: not applied to it`)
        continue
      }
      const pools = host.poolsOf(ns, t.name).filter((p) => t.sectionName === undefined || p.portName === t.sectionName)
      if (pools.length === 0) {
        const svc = host.service(ns, t.name)
        if (!svc) host.diag('VIP6004', key, field, `Service ${ns}/${t.name} not found: the policy applies to nothing there`)
        else if (t.sectionName !== undefined && !(svc.spec.ports ?? []).some((p) => p.name === t.sectionName)) host.diag('VIP6004', key, `${field}.sectionName`, `Service ${ns}/${t.name} has no port named ${t.sectionName}: the policy applies to nothing there`)
      }
      for (const pool of pools) targets.push({pool, field, section: t.sectionName !== undefined})
    }
    targetsOf.set(pol, targets)
    // What the policy asks, checked once: the reasons its status carries.
    const ok: [boolean, string, string] = [true, 'ResolvedRefs', 'all references resolved']
    let verdict: PolicyVerdict = {accepted: [true, 'Accepted', 'applied'], resolved: ok}
    if (v.subjectAltNames?.length) verdict = {accepted: [false, 'Invalid', 'subjectAltNames are not supported'], resolved: ok, fail: {field: 'spec.validation.subjectAltNames', why: 'subjectAltNames are not supported yet'}}
    // The name goes into both targets' configs (SNI, verification): the model's host grammar, like every host.
    else if (!allow.host(v.hostname) || v.hostname.startsWith('*.')) verdict = {accepted: [false, 'Invalid', 'hostname not allowed'], resolved: ok, fail: {field: 'spec.validation.hostname', why: 'the hostname is not allowed (labels of at most 63 characters, no wildcard)'}}
    else if (v.caCertificateRefs.length > 0) {
      const ref = v.caCertificateRefs[0]!
      if (ref.group !== '' || ref.kind !== 'ConfigMap') verdict = {accepted: [false, 'NoValidCACertificate', 'no usable CA certificate'], resolved: [false, 'InvalidKind', `${ref.kind} is not a ConfigMap`], fail: {field: 'spec.validation.caCertificateRefs[0]', why: `${ref.kind} is not a ConfigMap (reason InvalidKind)`}}
      else {
        const cm = host.snap.configMaps.find((c) => c.metadata.name === ref.name && (c.metadata.namespace ?? 'default') === ns)
        const checked = cm?.caCrt !== undefined ? validateCa(Buffer.from(cm.caCrt, 'utf8')) : undefined
        if (!checked?.ok) {
          const why = `ConfigMap ${ns}/${ref.name} ${!cm ? 'not found' : cm.caCrt === undefined ? 'has no ca.crt' : `ca.crt: ${(checked as {problem: string}).problem}`}`
          verdict = {accepted: [false, 'NoValidCACertificate', why], resolved: [false, 'InvalidCACertificateRef', why], fail: {field: 'spec.validation.caCertificateRefs[0]', why: `${why} (reason InvalidCACertificateRef)`}}
        } else {
          // "configmap_" cannot begin a Kubernetes name with an underscore in it: never the name of a Secret's CA.
          verdict.ca = {secret: `${ns}/configmap_${ref.name}`, pem: checked.pem}
        }
      }
    }
    verdicts.set(pol, verdict)
  }
  const applied = new Map<BackendTLSPolicy, number>()
  const conflicted = new Map<BackendTLSPolicy, string>()
  for (const section of [true, false])
    for (const pol of ordered) {
      const key = objectKey(pol)
      const ns = pol.metadata.namespace ?? 'default'
      const v = pol.spec.validation
      const verdict = verdicts.get(pol)!
      for (const {pool, field} of targetsOf.get(pol)!.filter((t) => t.section === section)) {
        const owner = done.get(pool.id)
        if (owner) {
          host.diag('VIP6004', key, field, `Service port ${pool.id} already has ${owner}, which is applied there (${section ? 'older' : 'older or naming the port'}; Accepted=False, reason Conflicted)`)
          conflicted.set(pol, owner)
          continue
        }
        if (pool.backendProtocol && !pool.backendProtocol.provenance.object.startsWith('BackendTLSPolicy/')) {
          host.diag('VIP6005', key, field, `Service ${pool.namespace}/${pool.service} sets its backend protocol with ${pool.backendProtocol.provenance.field}, which is kept`)
          continue
        }
        done.set(pool.id, key)
        applied.set(pol, (applied.get(pol) ?? 0) + 1)
        // A policy that cannot be applied as written fails closed: the port answers 503, never plaintext or a looser check.
        if (verdict.fail) {
          host.diag('VIP6004', key, verdict.fail.field, `${verdict.fail.why}: requests to ${pool.id} are answered 503 (never sent without the TLS the policy asks for)`)
          pool.unservable = {reason: `BackendTLSPolicy ${ns}/${pol.metadata.name}: ${verdict.fail.why}`, provenance: {object: key, field: verdict.fail.field}}
          continue
        }
        if (pool.external) {
          // An ExternalName backend is verified against the public CAs for its own name; a policy cannot be honoured there.
          pool.unservable = {reason: `BackendTLSPolicy ${ns}/${pol.metadata.name} cannot be applied to ExternalName Service ${pool.namespace}/${pool.service}`, provenance: {object: key, field}}
          host.diag('VIP6004', key, field, `Service ${pool.namespace}/${pool.service} is an ExternalName Service, whose name is verified against the public CAs: the policy cannot be applied and requests to it are answered 503`)
          continue
        }
        pool.backendProtocol = {kind: 'https', ...(verdict.ca ? {ca: verdict.ca} : {}), serverName: v.hostname, provenance: {object: key, field: 'spec.validation'}}
      }
    }
  for (const pol of ordered) {
    const key = objectKey(pol)
    const gen = pol.metadata.generation
    const verdict = verdicts.get(pol)!
    if (pol.spec.options && Object.keys(pol.spec.options).length) host.diag('VIP6005', key, 'spec.options', 'options are not supported and have no effect')
    if (pol.spec.validation.caCertificateRefs.length > 1) host.diag('VIP6005', key, 'spec.validation.caCertificateRefs', 'only the first CA reference is used')
    const targets = targetsOf.get(pol)!
    const accepted: [boolean, string, string] = !verdict.accepted[0] ? verdict.accepted : targets.length === 0 ? [false, 'TargetNotFound', 'no target Service port found'] : !applied.has(pol) && conflicted.has(pol) ? [false, 'Conflicted', `${conflicted.get(pol)} applies to its targets`] : verdict.accepted
    const ancestors = [...new Set(targets.flatMap((t) => [...(poolGateways.get(t.pool.id) ?? [])]))].sort()
    out.push({
      object: key,
      ...(gen !== undefined ? {generation: gen} : {}),
      ancestors: ancestors.map((g) => {
        const [, gns, gname] = g.split('/') as [string, string, string]
        return {ancestorRef: {group: G, kind: 'Gateway', namespace: gns, name: gname}, controllerName: GATEWAY_CONTROLLER, conditions: [cond('Accepted', accepted[0], accepted[1], accepted[2], gen), cond('ResolvedRefs', verdict.resolved[0], verdict.resolved[1], verdict.resolved[2], gen)]}
      }),
    })
  }
  return out
}


/** The rules of a route vipctl serves, for trace and inspect: "rule 0 (3 matches)". */
export function describeRule(rule: HTTPRouteRule, i: number): string {
  return `${rule.name ?? `rule ${i}`} (${rule.matches.length} match${rule.matches.length === 1 ? '' : 'es'})`
}
