/**
 * The status an implementation owes, written by the one node that holds the Lease (src/sync/lease.ts):
 * GatewayClass Accepted and supportedFeatures, Gateway Accepted/Programmed with addresses and per-listener
 * supportedKinds, attachedRoutes and conditions (and attachedListenerSets), ListenerSet conditions and listeners, each
 * route kind's status.parents entries and BackendTLSPolicy status.ancestors entries with our controllerName (other
 * controllers' entries kept as they are), and status.loadBalancer of the Ingresses and LoadBalancer Services
 * vipctl serves. Every condition carries observedGeneration; lastTransitionTime moves only when a condition's
 * status changes. An object whose status already says what is owed is not written; every write replaces the
 * status subresource of the version read (a conflict waits for the next round, never overwrites a newer object).
 */
import type {RestClient} from '../core/kube-rest.js'
import {oneLine} from '../errors.js'
import type {LbModel} from '../model/types.js'
import type {Condition, ListenerState} from '../model/gateway.js'
import {GATEWAY_CONTROLLER} from '../model/gateway.js'
import {LB_CLASS} from '../model/build.js'
import type {RawObject} from './reflector.js'
import type {Logger} from './runtime.js'

/** The Gateway API features vipctl claims on its GatewayClass (status.supportedFeatures), by the spec's names, sorted (the spec). */
export const SUPPORTED_FEATURES = [
  'BackendTLSPolicy',
  'GRPCRoute',
  'GRPCRouteNamedRouteRule',
  'Gateway',
  'GatewayAddressEmpty',
  'GatewayHTTPListenerIsolation',
  'GatewayHTTPSListenerDetectMisdirectedRequests',
  'GatewayPort8080',
  'GatewayStaticAddresses',
  'HTTPRoute',
  'HTTPRoute303RedirectStatusCode',
  'HTTPRoute307RedirectStatusCode',
  'HTTPRoute308RedirectStatusCode',
  'HTTPRouteBackendProtocolH2C',
  'HTTPRouteBackendProtocolWebSocket',
  'HTTPRouteBackendRequestHeaderModification',
  'HTTPRouteBackendTimeout',
  'HTTPRouteCORS',
  'HTTPRouteDestinationPortMatching',
  'HTTPRouteHostRewrite',
  'HTTPRouteMethodMatching',
  'HTTPRouteNamedRouteRule',
  'HTTPRouteParentRefPort',
  'HTTPRoutePathRedirect',
  'HTTPRoutePathRewrite',
  'HTTPRoutePortRedirect',
  'HTTPRouteQueryParamMatching',
  'HTTPRouteRequestTimeout',
  'HTTPRouteResponseHeaderModification',
  'HTTPRouteSchemeRedirect',
  'ListenerSet',
  'ReferenceGrant',
  'TCPRoute',
  'TLSRoute',
  'TLSRouteModeTerminate',
] as const

/** The objects as the reflectors hold them (namespace/name -> raw object), by resource. */
export type Stores = Partial<Record<'gatewayclasses' | 'gateways' | 'listenersets' | RoutePlural | 'backendtlspolicies' | 'ingresses' | 'services', Map<string, RawObject>>>

/** Route kinds and their resources. */
const ROUTES = [
  ['httproutes', 'HTTPRoute'],
  ['grpcroutes', 'GRPCRoute'],
  ['tcproutes', 'TCPRoute'],
  ['tlsroutes', 'TLSRoute'],
  ['udproutes', 'UDPRoute'],
] as const
type RoutePlural = (typeof ROUTES)[number][0]

export interface StatusResult {
  written: string[]
  conflicts: string[]
  failed: Array<{object: string; error: string}>
}

type Raw = RawObject & {status?: Record<string, unknown>; spec?: Record<string, unknown>}

const G = '/apis/gateway.networking.k8s.io/v1'

/** Conditions as owed, keeping lastTransitionTime where the status of a condition type did not change. */
export function withTransitions(want: Condition[], have: unknown, now: string): Array<Condition & {lastTransitionTime: string}> {
  const old = Array.isArray(have) ? (have as Array<{type?: string; status?: string; lastTransitionTime?: string}>) : []
  return want.map((c) => {
    const o = old.find((x) => x.type === c.type)
    return {...c, lastTransitionTime: o && o.status === c.status && typeof o.lastTransitionTime === 'string' ? o.lastTransitionTime : now}
  })
}

/**
 * Entries as owed (route parents, policy ancestors): other controllers' stay where they are, ours are replaced in
 * place (matched by `keyOf`) or dropped, new ones of ours are appended; at most `max` (the API's limit).
 */
function mergeEntries<T extends {controllerName?: string}>(old: T[], ours: T[], keyOf: (e: T) => string, max: number): T[] {
  const left = new Map(ours.map((e) => [keyOf(e), e]))
  const out: T[] = []
  for (const e of old) {
    if (e.controllerName !== GATEWAY_CONTROLLER) out.push(e)
    else if (left.has(keyOf(e))) {
      out.push(left.get(keyOf(e))!)
      left.delete(keyOf(e))
    }
  }
  return [...out, ...left.values()].slice(0, max)
}

/** Deep equality of JSON values with object keys in any order. */
function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => (Array.isArray(v) ? v.map(norm) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, norm((v as Record<string, unknown>)[k])])) : v)
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b))
}

/** Listener status entries as owed (a Gateway's or a ListenerSet's), keeping each condition's transition time. */
function listenerStatus(listeners: ListenerState[], have: unknown, at: string): unknown[] {
  const old = Array.isArray(have) ? (have as Array<{name?: string; conditions?: unknown}>) : []
  return listeners.map((l) => ({name: l.name, supportedKinds: l.supportedKinds, attachedRoutes: l.attachedRoutes, conditions: withTransitions(l.conditions, old.find((x) => x.name === l.name)?.conditions, at)}))
}

export class StatusWriter {
  constructor(
    private readonly client: RestClient,
    private readonly log: Logger,
  ) {}

  /**
   * Writes what the model owes; `now` is the lastTransitionTime of conditions that change; `stillLeader` is asked
   * before every write (a node that lost the Lease mid-way writes nothing more); removeStale: false keeps our
   * entries on routes the model no longer owes (a writer that does not see every namespace). Never throws.
   */
  async write(model: LbModel, stores: Stores, now: Date, stillLeader: () => boolean = () => true, opts: {removeStale?: boolean} = {}): Promise<StatusResult> {
    const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z')
    const out: StatusResult = {written: [], conflicts: [], failed: []}
    const put = async (object: string, path: string, raw: Raw, status: Record<string, unknown>) => {
      if (same(raw.status ?? {}, status)) return
      if (!stillLeader()) return
      try {
        const res = await this.client.send!('PUT', path, {}, {...raw, status}, 'application/json')
        if (res.status === 200 || res.status === 201) out.written.push(object)
        else if (res.status === 409 || res.status === 404) out.conflicts.push(object)
        else out.failed.push({object, error: `HTTP ${res.status}${typeof (res.body as {message?: unknown})?.message === 'string' ? `: ${oneLine((res.body as {message: string}).message).slice(0, 200)}` : ''}`})
      } catch (error) {
        out.failed.push({object, error: oneLine((error as Error).message)})
      }
    }
    const api = model.gatewayApi
    // Every class of our controller gets its status (a class not accepted says why); others are not ours to write.
    for (const c of api?.classes.filter((x) => x.controllerName === GATEWAY_CONTROLLER || x.ours) ?? []) {
      const raw = stores.gatewayclasses?.get(`/${c.name}`) as Raw | undefined
      if (!raw) continue
      const status = {...(raw.status ?? {}), conditions: withTransitions(c.conditions, raw.status?.conditions, at), supportedFeatures: SUPPORTED_FEATURES.map((name) => ({name}))}
      await put(`GatewayClass/${c.name}`, `${G}/gatewayclasses/${encodeURIComponent(c.name)}/status`, raw, status)
    }
    for (const g of api?.gateways ?? []) {
      const [, ns, name] = g.object.split('/') as [string, string, string]
      const raw = stores.gateways?.get(`${ns}/${name}`) as Raw | undefined
      if (!raw) continue
      const status = {
        ...(raw.status ?? {}),
        addresses: g.addresses.map((value) => ({type: 'IPAddress', value})),
        conditions: withTransitions(g.conditions, raw.status?.conditions, at),
        listeners: listenerStatus(g.listeners, raw.status?.listeners, at),
        attachedListenerSets: g.attachedListenerSets,
      }
      await put(g.object, `${G}/namespaces/${encodeURIComponent(ns)}/gateways/${encodeURIComponent(name)}/status`, raw, status)
    }
    for (const l of api?.listenerSets ?? []) {
      const [, ns, name] = l.object.split('/') as [string, string, string]
      const raw = stores.listenersets?.get(`${ns}/${name}`) as Raw | undefined
      if (!raw) continue
      const status = {...(raw.status ?? {}), conditions: withTransitions(l.conditions, raw.status?.conditions, at), listeners: listenerStatus(l.listeners, raw.status?.listeners, at)}
      await put(l.object, `${G}/namespaces/${encodeURIComponent(ns)}/listenersets/${encodeURIComponent(name)}/status`, raw, status)
    }
    for (const r of api?.routes ?? []) {
      const [kind, ns, name] = r.object.split('/') as [string, string, string]
      const plural = ROUTES.find(([, k]) => k === kind)![0]
      const raw = stores[plural]?.get(`${ns}/${name}`) as Raw | undefined
      if (!raw) continue
      const oldParents = Array.isArray(raw.status?.parents) ? (raw.status.parents as Array<{controllerName?: string; parentRef?: Record<string, unknown>; conditions?: unknown}>) : []
      const refKey = (p: Record<string, unknown> | undefined) => JSON.stringify([p?.kind ?? 'Gateway', p?.namespace ?? ns, p?.name, p?.sectionName ?? null, p?.port ?? null])
      const ours = r.parents.map((p) => ({
        parentRef: {group: p.parentRef.group, kind: p.parentRef.kind, namespace: p.parentRef.namespace, name: p.parentRef.name, ...(p.parentRef.sectionName !== undefined ? {sectionName: p.parentRef.sectionName} : {}), ...(p.parentRef.port !== undefined ? {port: p.parentRef.port} : {})},
        controllerName: GATEWAY_CONTROLLER,
        conditions: withTransitions(p.conditions, oldParents.find((x) => x.controllerName === GATEWAY_CONTROLLER && refKey(x.parentRef) === refKey(p.parentRef as unknown as Record<string, unknown>))?.conditions, at),
      }))
      await put(r.object, `${G}/namespaces/${encodeURIComponent(ns)}/${plural}/${encodeURIComponent(name)}/status`, raw, {...(raw.status ?? {}), parents: mergeEntries<{controllerName?: string; parentRef?: Record<string, unknown>}>(oldParents, ours, (e) => refKey(e.parentRef), 32)})
    }
    // BackendTLSPolicies: our ancestor entries (one per Gateway of ours whose routes reach a target) replace the ones we
    // wrote; other controllers' stay; a policy no longer reaching a Gateway of ours loses ours (when stale removal runs).
    const policies = new Map((api?.policies ?? []).map((p) => [p.object, p]))
    for (const [key, o] of stores.backendtlspolicies ?? []) {
      const raw = o as Raw
      const [ns, name] = key.split('/') as [string, string]
      const p = policies.get(`BackendTLSPolicy/${ns}/${name}`)
      const old = Array.isArray(raw.status?.ancestors) ? (raw.status.ancestors as Array<{controllerName?: string; ancestorRef?: Record<string, unknown>; conditions?: unknown}>) : []
      if ((!p || p.ancestors.length === 0) && (opts.removeStale === false || !old.some((a) => a.controllerName === GATEWAY_CONTROLLER))) continue
      const refKey = (r: Record<string, unknown> | undefined) => JSON.stringify([r?.kind ?? 'Gateway', r?.namespace ?? ns, r?.name])
      const ours = (p?.ancestors ?? []).map((a) => ({ancestorRef: a.ancestorRef, controllerName: GATEWAY_CONTROLLER, conditions: withTransitions(a.conditions, old.find((x) => x.controllerName === GATEWAY_CONTROLLER && refKey(x.ancestorRef) === refKey(a.ancestorRef))?.conditions, at)}))
      await put(`BackendTLSPolicy/${ns}/${name}`, `${G}/namespaces/${encodeURIComponent(ns)}/backendtlspolicies/${encodeURIComponent(name)}/status`, raw, {...(raw.status ?? {}), ancestors: mergeEntries<{controllerName?: string; ancestorRef?: Record<string, unknown>}>(old, ours, (e) => refKey(e.ancestorRef), 16)})
    }
    // Routes that no longer have a parent of ours: the entries we wrote before are removed (the spec asks for it).
    // Only by a writer that sees every namespace: one limited to some (-n) cannot tell a Gateway it does not see
    // from one that is gone.
    const owed = new Set((api?.routes ?? []).map((r) => r.object))
    if (opts.removeStale !== false) for (const [plural, kind] of ROUTES)
      for (const [key, o] of stores[plural] ?? []) {
        const raw = o as Raw
        const parents = Array.isArray(raw.status?.parents) ? (raw.status.parents as Array<{controllerName?: string}>) : []
        const [ns, name] = key.split('/') as [string, string]
        if (owed.has(`${kind}/${ns}/${name}`) || !parents.some((p) => p.controllerName === GATEWAY_CONTROLLER)) continue
        await put(`${kind}/${ns}/${name}`, `${G}/namespaces/${encodeURIComponent(ns)}/${plural}/${encodeURIComponent(name)}/status`, raw, {...(raw.status ?? {}), parents: parents.filter((p) => p.controllerName !== GATEWAY_CONTROLLER)})
      }
    // status.loadBalancer of the Ingresses and LoadBalancer Services served on a VIP.
    const vipsOf = new Map<string, string[]>()
    for (const v of model.vips) for (const o of v.owners) vipsOf.set(o, [...(vipsOf.get(o) ?? []), v.address])
    for (const [object, addresses] of vipsOf) {
      const [kind, ns, name] = object.split('/') as [string, string, string]
      if (kind !== 'Ingress' && kind !== 'Service') continue
      const raw = (kind === 'Ingress' ? stores.ingresses : stores.services)?.get(`${ns}/${name}`) as Raw | undefined
      if (!raw) continue
      // A LoadBalancer Service of another class is that controller's to describe, even with our VIP annotation.
      const lbClass = (raw.spec as {loadBalancerClass?: unknown} | undefined)?.loadBalancerClass
      if (kind === 'Service' && lbClass !== undefined && lbClass !== LB_CLASS) continue
      // Compared by address: the API server adds fields of its own (ipMode) that are not ours to undo.
      const have = ((raw.status?.loadBalancer as {ingress?: Array<{ip?: string}>} | undefined)?.ingress ?? []).map((x) => x.ip ?? '')
      if (same(have, addresses)) continue
      const lb = {ingress: addresses.map((ip) => ({ip}))}
      const path = kind === 'Ingress' ? `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/ingresses/${encodeURIComponent(name)}/status` : `/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(name)}/status`
      await put(object, path, raw, {...(raw.status ?? {}), loadBalancer: lb})
    }
    if (out.written.length) this.log.info('status written', {objects: out.written.length})
    for (const f of out.failed) this.log.warn('status not written', f)
    return out
  }
}
