/**
 * `vipctl inspect ...`: views of a Snapshot and its LbModel as rows. Pure:
 * everything here takes loaded data and returns a ListResult.
 */
import {DERIVED_MANAGER, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, workloadsFor} from '../cluster/derive.js'
import {matchesSelector, type Requirement} from '../cluster/selector.js'
import type {Diagnostic, EndpointSlice, GatewayListener, Ingress, Service, Snapshot} from '../cluster/types.js'
import {objectKey} from '../cluster/types.js'
import {buildModel, fmtAddr, ingressClassesOf, ingressIsOurs, serviceIsOurs} from '../model/build.js'
import {frontendPools, type LbModel, type ModelOptions} from '../model/types.js'
import {describeConditions} from '../model/routing.js'
import type {ListenerState} from '../model/gateway.js'
import {sortByAddress} from '../model/ip.js'
import type {ListResult} from '../output/render.js'
import {DataError} from '../errors.js'
import {printableShort} from '../core/printable.js'

export interface InspectOptions {
  /** Namespace to show; undefined = all. */
  namespace?: string
  selector?: Requirement[]
  model: ModelOptions
}

export interface InspectOutput<T> {
  result: ListResult<T>
  diagnostics: Diagnostic[]
  /** kubectl's plural for the rows, in "not found" errors (services, ingresses...). */
  resource: string
  /** Whether a name argument names the row; default: the part of result.name after its first "/". */
  matches?: (row: T, name: string) => boolean
}

/**
 * The rows the name arguments name (all of them without names), and the error
 * for names that name none: `services "x" not found` (DataError, exit 65, like
 * an unknown namespace). With several namespaces a name picks every namespace's.
 */
export function pickNames<T>(out: InspectOutput<T>, names: readonly string[]): {result: ListResult<T>; missing?: DataError} {
  if (names.length === 0) return {result: out.result}
  const r = out.result
  const matches = out.matches ?? ((row: T, n: string) => {
    const id = r.name(row)
    return id.slice(id.indexOf('/') + 1) === n
  })
  const wanted = [...new Set(names)]
  const missing = wanted.filter((n) => !r.items.some((row) => matches(row, n)))
  return {
    result: {...r, items: r.items.filter((row) => wanted.some((n) => matches(row, n)))},
    ...(missing.length ? {missing: new DataError(missing.map((n) => `${out.resource} "${printableShort(n, 80)}" not found`).join('; '))} : {}),
  }
}

function visible(o: {metadata: {namespace?: string; labels?: Record<string, string>}}, opts: InspectOptions): boolean {
  if (opts.namespace !== undefined && o.metadata.namespace !== opts.namespace) return false
  return !opts.selector || matchesSelector(opts.selector, o.metadata.labels)
}

const list = (xs: string[], none = '<none>') => (xs.length ? xs.join(',') : none)
/** A cell of one line per entry (the renderer makes each printable, so an entry cannot add lines). */
const lines = (xs: string[], none = '<none>'): string | string[] => (xs.length ? xs : none)

// ---------------------------------------------------------------- services

export interface ServiceEndpoint {
  address: string
  ports: number[]
  ready: boolean
  pod?: string
  node?: string
  derived: boolean
}

export interface ServiceRow {
  namespace: string
  name: string
  type: string
  clusterIP: string
  /** VIPs this Service is reachable on: its own (LoadBalancer) or those of Ingresses routing to it. */
  vips: string[]
  ports: Array<{name?: string; port: number; protocol: string; targetPort: string}>
  endpoints: {ready: number; total: number; addresses: ServiceEndpoint[]}
  /** Ingresses (namespace/name) that route to this Service. */
  ingresses: string[]
  /** Served by vipctl: a LoadBalancer of our class, or a backend of one of our Ingresses. */
  served: boolean
  /** Workloads whose pod template the selector matches: the endpoints to expect (e.g. offline input without Pods). */
  expected: Array<{workload: string; replicas?: number}>
}

export function serviceRows(snap: Snapshot, model: LbModel, opts: InspectOptions): ServiceRow[] {
  const index = serviceIndex(snap, model, opts)
  return snap.services.filter((s) => visible(s, opts)).map((svc) => serviceRow(svc, snap, model, index))
}

/**
 * What each Service's row looks up, keyed once for the whole list ("namespace/name" of the Service; owner keys
 * of the VIPs): a row costs what its own objects cost, not a scan of every VIP, Ingress and EndpointSlice.
 */
interface ServiceIndex {
  classes: ReturnType<typeof ingressClassesOf>
  ingressesByBackend: Map<string, Ingress[]>
  /** VIP positions in model.vips by owner, so a row lists its VIPs in the model's order. */
  vipsByOwner: Map<string, number[]>
  slicesByService: Map<string, EndpointSlice[]>
  pooled: Set<string>
}

function serviceIndex(snap: Snapshot, model: LbModel, opts: InspectOptions): ServiceIndex {
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k)
    if (list) list.push(v)
    else m.set(k, [v])
  }
  const ingressesByBackend = new Map<string, Ingress[]>()
  for (const i of snap.ingresses) for (const name of new Set(backendsOf(i))) push(ingressesByBackend, `${i.metadata.namespace}/${name}`, i)
  const vipsByOwner = new Map<string, number[]>()
  model.vips.forEach((v, n) => {
    for (const o of new Set(v.owners)) push(vipsByOwner, o, n)
  })
  const slicesByService = new Map<string, EndpointSlice[]>()
  for (const sl of snap.endpointSlices) {
    const svc = sl.metadata.labels?.[SERVICE_NAME_LABEL]
    if (svc !== undefined) push(slicesByService, `${sl.metadata.namespace}/${svc}`, sl)
  }
  return {classes: ingressClassesOf(snap, opts.model), ingressesByBackend, vipsByOwner, slicesByService, pooled: new Set(model.pools.map((p) => `${p.namespace}/${p.service}`))}
}

function serviceRow(svc: Service, snap: Snapshot, model: LbModel, index: ServiceIndex): ServiceRow {
  const ns = svc.metadata.namespace ?? 'default'
  const key = objectKey(svc)
  // Keyed by the Ingress's own namespace: only Ingresses of the Service's namespace route to it.
  const routing = index.ingressesByBackend.get(`${ns}/${svc.metadata.name}`) ?? []
  const ingresses = routing.map((i) => `${ns}/${i.metadata.name}`)
  const positions = new Set<number>()
  for (const o of [key, ...ingresses.map((i) => `Ingress/${i}`)]) for (const n of index.vipsByOwner.get(o) ?? []) positions.add(n)
  const vips = [...positions].sort((a, b) => a - b).map((n) => model.vips[n]!.address)
  const byAddr = new Map<string, ServiceEndpoint>()
  for (const s of index.slicesByService.get(`${ns}/${svc.metadata.name}`) ?? []) {
    const ports = (s.ports ?? []).map((p) => p.port).filter((p): p is number => p !== undefined)
    for (const ep of s.endpoints ?? [])
      for (const address of ep.addresses) {
        const prev = byAddr.get(address)
        const ready = ep.conditions?.ready ?? true
        byAddr.set(address, {
          address,
          ports: [...new Set([...(prev?.ports ?? []), ...ports])].sort((a, b) => a - b),
          ready: (prev?.ready ?? true) && ready,
          pod: ep.targetRef?.kind === 'Pod' ? ep.targetRef.name : undefined,
          node: ep.nodeName,
          derived: s.metadata.labels?.[MANAGED_BY_LABEL] === DERIVED_MANAGER,
        })
      }
  }
  const addresses = sortByAddress([...byAddr.values()], (a) => a.address)
  return {
    namespace: ns,
    name: svc.metadata.name,
    type: svc.spec.type ?? 'ClusterIP',
    clusterIP: svc.spec.clusterIP ?? '',
    vips,
    ports: (svc.spec.ports ?? []).map((p) => ({
      ...(p.name ? {name: p.name} : {}),
      port: p.port,
      protocol: p.protocol ?? 'TCP',
      targetPort: String(p.targetPort ?? p.port),
    })),
    endpoints: {ready: addresses.filter((a) => a.ready).length, total: addresses.length, addresses},
    ingresses: routing.filter((i) => ingressIsOurs(i, index.classes)).map((i) => `${ns}/${i.metadata.name}`),
    served: serviceIsOurs(svc) || index.pooled.has(`${ns}/${svc.metadata.name}`),
    expected: svc.spec.selector ? workloadsFor(svc, snap.workloads).map((w) => ({workload: objectKey(w), ...(w.replicas !== undefined ? {replicas: w.replicas} : {})})) : [],
  }
}

function backendsOf(i: Ingress): string[] {
  const names = (i.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend.service?.name))
  if (i.spec.defaultBackend?.service) names.push(i.spec.defaultBackend.service.name)
  return names.filter((n): n is string => n !== undefined)
}

export function inspectServices(snap: Snapshot, opts: InspectOptions): InspectOutput<ServiceRow> {
  const model = buildModel(snap, opts.model)
  const items = serviceRows(snap, model, opts)
  return {
    resource: 'services',
    diagnostics: model.diagnostics,
    result: {
      type: 'list',
      kind: 'Service',
      items,
      name: (r) => `service/${r.name}`,
      empty: emptyMessage(opts),
      columns: [
        {header: 'NAMESPACE', min: 12, get: (r) => r.namespace},
        {header: 'NAME', min: 20, get: (r) => r.name},
        {header: 'TYPE', wide: true, get: (r) => r.type},
        {header: 'CLUSTER-IP', wide: true, get: (r) => r.clusterIP || '<none>'},
        {header: 'VIP', get: (r) => list(r.vips)},
        {header: 'PORTS', get: (r) => list(r.ports.map((p) => `${p.port}/${p.protocol}`))},
        {header: 'TARGET-PORTS', wide: true, get: (r) => list(r.ports.map((p) => `${p.port}->${p.targetPort}`))},
        {
          header: 'ENDPOINTS',
          fixed: true,
          // Endpoints still to come are shown as such ("0/0, expect 3"), never as a plain 0/0.
          get: (r) => `${r.endpoints.ready}/${r.endpoints.total}${r.endpoints.total === 0 && r.expected.length > 0 ? `, expect ${r.expected.some((e) => e.replicas === undefined) && snap.nodes.length === 0 ? 'one per Node' : r.expected.reduce((n, e) => n + (e.replicas ?? snap.nodes.length), 0)}` : ''}`,
          style: (r, t, c) => (r.endpoints.total === 0 && r.expected.some((e) => e.replicas !== 0) ? c.yellow(t) : r.endpoints.total === 0 || r.endpoints.ready === 0 ? c.red(t) : r.endpoints.ready < r.endpoints.total ? c.yellow(t) : c.green(t)),
        },
        {header: 'WORKLOADS', wide: true, get: (r) => list(r.expected.map((e) => `${e.workload.split('/')[0]!.toLowerCase()}/${e.workload.split('/')[2]!}${e.replicas !== undefined ? `(${e.replicas})` : ''}`))},
        {header: 'ADDRESSES', wide: true, get: (r) => list(r.endpoints.addresses.map((a) => (a.ready ? a.address : `${a.address}(not ready)`)))},
        {header: 'INGRESSES', get: (r) => list(r.ingresses.map((i) => i.split('/')[1]!))},
      ],
    },
  }
}

// ---------------------------------------------------------------- ingresses

export interface IngressRow {
  namespace: string
  name: string
  class: string
  served: boolean
  hosts: string[]
  rules: Array<{host: string; path: string; pathType: string; service: string; port: string}>
  defaultBackend?: string
  tls: Array<{secretName: string; hosts: string[]}>
  vips: string[]
}

export function inspectIngresses(snap: Snapshot, opts: InspectOptions): InspectOutput<IngressRow> {
  const model = buildModel(snap, opts.model)
  const classes = ingressClassesOf(snap, opts.model)
  const items: IngressRow[] = snap.ingresses
    .filter((i) => visible(i, opts))
    .map((i) => {
      const key = objectKey(i)
      const backend = (b: Ingress['spec']['defaultBackend']) =>
        b?.service ? `${b.service.name}:${b.service.port?.name ?? b.service.port?.number ?? ''}` : '<resource>'
      const rules = (i.spec.rules ?? []).flatMap((r) =>
        (r.http?.paths ?? []).map((p) => ({
          host: r.host ?? '*',
          path: p.path ?? '/',
          pathType: p.pathType,
          service: p.backend.service?.name ?? '<resource>',
          port: String(p.backend.service?.port?.name ?? p.backend.service?.port?.number ?? ''),
        })),
      )
      return {
        namespace: i.metadata.namespace ?? 'default',
        name: i.metadata.name,
        class: i.spec.ingressClassName ?? i.metadata.annotations?.['kubernetes.io/ingress.class'] ?? '<default>',
        served: ingressIsOurs(i, classes),
        hosts: [...new Set((i.spec.rules ?? []).map((r) => r.host ?? '*'))],
        rules,
        ...(i.spec.defaultBackend ? {defaultBackend: backend(i.spec.defaultBackend)} : {}),
        tls: (i.spec.tls ?? []).map((t) => ({secretName: t.secretName ?? '', hosts: t.hosts ?? []})),
        vips: model.vips.filter((v) => v.owners.includes(key)).map((v) => v.address),
      }
    })
  return {
    resource: 'ingresses',
    diagnostics: model.diagnostics,
    result: {
      type: 'list',
      kind: 'Ingress',
      items,
      name: (r) => `ingress.networking.k8s.io/${r.name}`,
      empty: emptyMessage(opts),
      columns: [
        {header: 'NAMESPACE', min: 12, get: (r) => r.namespace},
        {header: 'NAME', min: 20, get: (r) => r.name},
        {header: 'CLASS', get: (r) => r.class, style: (r, t, c) => (r.served ? t : c.dim(t))},
        {header: 'HOSTS', get: (r) => lines(r.hosts)},
        {
          header: 'PATHS',
          wide: true,
          // One path per line: an Ingress with many rules stays readable.
          get: (r) =>
            lines([
              ...r.rules.map((x) => `${x.host === '*' ? '' : x.host}${x.path}${x.pathType === 'Exact' ? ' (exact)' : ''} -> ${x.service}:${x.port}`),
              ...(r.defaultBackend ? [`(default) -> ${r.defaultBackend}`] : []),
            ]),
        },
        {header: 'TLS', get: (r) => list(r.tls.map((t) => t.secretName))},
        {header: 'TLS-HOSTS', wide: true, get: (r) => list(r.tls.flatMap((t) => t.hosts))},
        {header: 'VIP', get: (r) => list(r.vips)},
      ],
    },
  }
}

// ---------------------------------------------------------------- gateways (Gateway API)

export interface GatewayRow {
  namespace: string
  name: string
  class: string
  /** Of a GatewayClass vipctl serves. */
  served: boolean
  addresses: string[]
  /** The Accepted and Programmed conditions (True, or their reason); '' for a Gateway of another class. */
  accepted: string
  programmed: string
  /** The Gateway's conditions as vipctl owes them (type, status, reason, message). */
  conditions: Array<{type: string; status: string; reason: string; message: string}>
  /** The Gateway's listeners, then those of the ListenerSets that name it (listenerSet: namespace/name). */
  listeners: Array<{name: string; listenerSet?: string; protocol: string; port: number; hostname?: string; attachedRoutes: number; status: string; frontends: string[]; conditions: Array<{type: string; status: string; reason: string; message: string}>}>
  /** ListenerSets that name the Gateway: namespace/name and Accepted (True, or its reason). */
  listenerSets: Array<{name: string; accepted: string}>
}

/** Gateways with class, addresses, Programmed, and each listener with its attached routes and conditions (kubectl get gateway, and more). */
export function inspectGateways(snap: Snapshot, opts: InspectOptions): InspectOutput<GatewayRow> {
  const model = buildModel(snap, opts.model)
  const states = new Map((model.gatewayApi?.gateways ?? []).map((g) => [g.object, g]))
  const sets = model.gatewayApi?.listenerSets ?? []
  const items: GatewayRow[] = snap.gateways
    .filter((g) => visible(g, opts))
    .map((g) => {
      const st = states.get(objectKey(g))
      const programmed = st?.conditions.find((c) => c.type === 'Programmed')
      const acc = st?.conditions.find((c) => c.type === 'Accepted')
      const brief = (cs: Array<{type: string; status: string; reason: string; message: string}>) => cs.map(({type, status, reason, message}) => ({type, status, reason, message}))
      return {
        accepted: acc ? (acc.status === 'True' && acc.reason === 'Accepted' ? 'True' : `${acc.status} (${acc.reason})`) : '',
        conditions: brief(st?.conditions ?? []),
        namespace: g.metadata.namespace ?? 'default',
        name: g.metadata.name,
        class: g.spec.gatewayClassName,
        served: st !== undefined,
        addresses: st?.addresses ?? [],
        programmed: programmed ? (programmed.status === 'True' ? 'True' : `False (${programmed.reason})`) : '',
        listenerSets: sets.filter((x) => x.gateway === objectKey(g)).map((x) => {
          const a = x.conditions.find((c) => c.type === 'Accepted')
          return {name: x.object.slice('ListenerSet/'.length), accepted: a ? (a.status === 'True' ? 'True' : a.reason) : ''}
        }),
        listeners: [
          ...g.spec.listeners.map((l, i) => ({l, ls: st?.listeners[i]})),
          ...snap.listenerSets.filter((x) => sets.some((y) => y.object === objectKey(x) && y.gateway === objectKey(g))).flatMap((x) => x.spec.listeners.map((l, i) => ({l, set: `${x.metadata.namespace ?? 'default'}/${x.metadata.name}`, ls: sets.find((y) => y.object === objectKey(x))!.listeners[i]}))),
        ].map(({l, ls, set}: {l: GatewayListener; ls?: ListenerState; set?: string}) => {
          const bad = ls?.conditions.filter((c) => (c.type === 'Conflicted' ? c.status === 'True' : c.status === 'False')) ?? []
          return {
            name: l.name,
            ...(set ? {listenerSet: set} : {}),
            protocol: l.protocol,
            port: l.port,
            ...(l.hostname ? {hostname: l.hostname} : {}),
            attachedRoutes: ls?.attachedRoutes ?? 0,
            status: !ls ? '' : bad.length ? bad.map((c) => `${c.type}: ${c.reason}`).join(', ') : 'Programmed',
            frontends: ls?.frontends ?? [],
            conditions: brief(ls?.conditions ?? []),
          }
        }),
      }
    })
  return {
    resource: 'gateways',
    diagnostics: model.diagnostics,
    result: {
      type: 'list',
      kind: 'Gateway',
      items,
      name: (r) => `gateway.gateway.networking.k8s.io/${r.name}`,
      empty: emptyMessage(opts),
      columns: [
        {header: 'NAMESPACE', min: 12, get: (r) => r.namespace},
        {header: 'NAME', min: 20, get: (r) => r.name},
        {header: 'CLASS', get: (r) => r.class, style: (r, t, c) => (r.served ? t : c.dim(t))},
        {header: 'ADDRESS', get: (r) => list(r.addresses)},
        {header: 'ACCEPTED', wide: true, get: (r) => r.accepted || '<not ours>'},
        {header: 'PROGRAMMED', fixed: true, get: (r) => r.programmed || '<not ours>'},
        {header: 'LISTENERS', get: (r) => lines(r.listeners.map((l) => `${l.listenerSet ? `${l.listenerSet}:` : ''}${l.name} ${l.protocol}/${l.port}${l.hostname ? ` ${l.hostname}` : ''} routes=${l.attachedRoutes}${l.status && l.status !== 'Programmed' ? ` (${l.status})` : ''}`))},
        // One line per listener, beside its LISTENERS line ("-": not served).
        {header: 'FRONTENDS', wide: true, get: (r) => lines(r.listeners.map((l) => l.frontends.join(',') || '-'))},
      ],
    },
  }
}

// ---------------------------------------------------------------- routes (Gateway API)

export interface RouteRow {
  kind: 'HTTPRoute' | 'GRPCRoute' | 'TCPRoute' | 'TLSRoute' | 'UDPRoute'
  namespace: string
  name: string
  hostnames: string[]
  /** Each parent of ours: gateway (namespace/name[/section], "listenerset/" before a ListenerSet's), Accepted (True or its reason), ResolvedRefs, and the conditions. */
  parents: Array<{gateway: string; accepted: string; resolvedRefs: string; conditions?: Array<{type: string; status: string; reason: string; message: string}>}>
  /** What vipctl programs for the route: one line per rule match (match -> backends, or what it answers). */
  rules: string[]
}

/** A route parent's condition of a type: 'True', or its reason; '' when absent. */
function verdict(type: string, p: {conditions: Array<{type: string; status: string; reason: string}>}): string {
  const c = p.conditions.find((x) => x.type === type)
  return c ? (c.status === 'True' ? 'True' : c.reason) : ''
}

/** HTTPRoutes, GRPCRoutes, TCP/TLS/UDP routes with their parents' Accepted and ResolvedRefs, and what vipctl programs for each match (or TCP listener). */
export function inspectRoutes(snap: Snapshot, opts: InspectOptions): InspectOutput<RouteRow> {
  const model = buildModel(snap, opts.model)
  const states = new Map((model.gatewayApi?.routes ?? []).map((r) => [r.object, r]))
  const parentName = (p: {kind: string; namespace: string; name: string; sectionName?: string}) => `${p.kind === 'ListenerSet' ? 'listenerset/' : ''}${p.namespace}/${p.name}${p.sectionName ? `/${p.sectionName}` : ''}`
  const tcp: RouteRow[] = [...snap.tcpRoutes, ...snap.tlsRoutes, ...snap.udpRoutes]
    .filter((r) => visible(r, opts))
    .map((r) => {
      const st = states.get(objectKey(r))
      // What the model serves: the TCP frontends of the listeners it is attached to, and their backend.
      const rules = (st?.parents ?? [])
        .filter((p) => verdict('Accepted', p) === 'True')
        .flatMap((p) => {
          const ref = `${p.parentRef.kind}/${p.parentRef.namespace}/${p.parentRef.name}`
          const listeners = p.parentRef.kind === 'ListenerSet' ? model.gatewayApi?.listenerSets.find((x) => x.object === ref)?.listeners : model.gatewayApi?.gateways.find((x) => x.object === ref)?.listeners
          return (listeners ?? []).filter((l) => ['TCP', 'TLS', 'UDP'].includes(l.protocol) && (!p.parentRef.sectionName || l.name === p.parentRef.sectionName)).flatMap((l) => l.frontends)
        })
        .map((id) => model.frontends.find((f) => f.id === id))
        .filter((f): f is NonNullable<typeof f> => f !== undefined)
        .flatMap((f) =>
          r.kind === 'TLSRoute'
            ? f.routes.filter((x) => x.provenance.object === objectKey(r)).map((x) => `tls ${fmtAddr(f.address, f.port)} sni ${x.host} -> ${x.policy?.fail ? '(no backend: connections closed)' : x.policy?.split ? x.policy.split.backends.map((b) => `${b.pool}=${b.weight}`).join(',') : x.pool}`)
            : f.defaultRoute !== undefined && f.defaultRoute !== objectKey(r)
              ? [`${f.protocol} ${fmtAddr(f.address, f.port)} -> (held by the older ${f.defaultRoute}: receives nothing)`]
              : [`${f.protocol} ${fmtAddr(f.address, f.port)} -> ${f.defaultSplit ? f.defaultSplit.backends.map((b) => `${b.pool}=${b.weight}`).join(',') : (f.defaultPool ?? '(no backend: connections closed)')}`],
        )
      return {kind: r.kind, namespace: r.metadata.namespace ?? 'default', name: r.metadata.name, hostnames: r.kind === 'TLSRoute' ? r.spec.hostnames : [], parents: (st?.parents ?? []).map((p) => ({gateway: parentName(p.parentRef), accepted: verdict('Accepted', p), resolvedRefs: verdict('ResolvedRefs', p)})), rules: [...new Set(rules)]}
    })
  const items: RouteRow[] = [...snap.httpRoutes, ...snap.grpcRoutes]
    .filter((r) => visible(r, opts))
    .map((r) => {
      const key = objectKey(r)
      const st = states.get(key)
      // What the model serves for this route: its decisions on every frontend, once per match.
      // Sorted by rule and match index (numbers, not text), then frontend.
      const served = new Map<string, {order: number[]; text: string}>()
      for (const f of model.frontends)
        for (const route of f.routes.filter((x) => x.provenance.object === key)) {
          const cond = route.conditions ? ` [${describeConditions(route.conditions)}]` : ''
          const what = route.policy?.fail ? `${route.policy.fail.code ?? 500} (${route.policy.fail.reason})` : route.policy?.redirect ? `redirect ${route.policy.redirect.code}` : route.policy?.split ? route.policy.split.backends.map((b) => `${b.pool}=${b.weight}`).join(',') : route.pool
          const idx = [...route.provenance.field.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]))
          served.set(`${route.provenance.field}|${route.host}|${f.id}`, {order: [...idx, f.port], text: `${route.host || '*'}${route.path}${route.pathType === 'Exact' ? ' (exact)' : ''}${cond} on :${f.port} -> ${what}`})
        }
      const byOrder = (a: {order: number[]; text: string}, b: {order: number[]; text: string}) => {
        for (let i = 0; i < Math.max(a.order.length, b.order.length); i++) if ((a.order[i] ?? -1) !== (b.order[i] ?? -1)) return (a.order[i] ?? -1) - (b.order[i] ?? -1)
        return a.text.localeCompare(b.text)
      }
      return {
        kind: r.kind,
        namespace: r.metadata.namespace ?? 'default',
        name: r.metadata.name,
        hostnames: r.spec.hostnames,
        parents: (st?.parents ?? []).map((p) => ({gateway: parentName(p.parentRef), accepted: verdict('Accepted', p), resolvedRefs: verdict('ResolvedRefs', p), conditions: p.conditions.map(({type, status, reason, message}) => ({type, status, reason, message}))})),
        rules: [...new Set([...served.values()].sort(byOrder).map((v) => v.text))],
      }
    })
  return {
    resource: 'routes',
    // A route by name, or kind/name (httproute/web) when kinds share a name.
    matches: (r, n) => r.name === n || `${r.kind.toLowerCase()}/${r.name}` === n,
    diagnostics: model.diagnostics,
    result: {
      type: 'list',
      kind: 'Route',
      items: [...items, ...tcp],
      name: (r) => `${r.kind.toLowerCase()}.gateway.networking.k8s.io/${r.name}`,
      empty: emptyMessage(opts),
      columns: [
        {header: 'NAMESPACE', min: 12, get: (r) => r.namespace},
        {header: 'NAME', min: 20, get: (r) => (r.kind === 'HTTPRoute' ? r.name : `${r.kind.toLowerCase()}/${r.name}`)},
        {header: 'HOSTNAMES', get: (r) => (r.kind === 'TCPRoute' || r.kind === 'UDPRoute' ? '-' : list(r.hostnames, '*'))},
        {header: 'PARENTS', get: (r) => lines(r.parents.map((p) => `${p.gateway}: ${p.accepted === 'True' ? 'Accepted' : p.accepted}${p.resolvedRefs && p.resolvedRefs !== 'True' ? `, ${p.resolvedRefs}` : ''}`), '<none of ours>')},
        // How many rule matches vipctl programs (one per match and frontend); what they are in -o wide.
        {header: 'RULES', fixed: true, get: (r) => String(r.rules.length)},
        {header: 'PROGRAMMED', wide: true, get: (r) => lines(r.rules)},
      ],
    },
  }
}

// ---------------------------------------------------------------- endpoints

export interface EndpointsRow {
  namespace: string
  name: string
  service: string
  addressType: string
  ports: Array<{name: string; port?: number; protocol: string}>
  endpoints: Array<{address: string; ready: boolean; serving: boolean; terminating: boolean; pod?: string; node?: string}>
  derived: boolean
}

export function inspectEndpoints(snap: Snapshot, opts: InspectOptions): InspectOutput<EndpointsRow> {
  const items: EndpointsRow[] = snap.endpointSlices
    .filter((s) => visible(s, opts))
    .map((s) => ({
      namespace: s.metadata.namespace ?? 'default',
      name: s.metadata.name,
      service: s.metadata.labels?.[SERVICE_NAME_LABEL] ?? '',
      addressType: s.addressType,
      ports: (s.ports ?? []).map((p) => ({name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP'})),
      endpoints: (s.endpoints ?? []).flatMap((e) =>
        e.addresses.map((address) => ({
          address,
          ready: e.conditions?.ready ?? true,
          serving: e.conditions?.serving ?? e.conditions?.ready ?? true,
          terminating: e.conditions?.terminating ?? false,
          ...(e.targetRef?.kind === 'Pod' && e.targetRef.name ? {pod: e.targetRef.name} : {}),
          ...(e.nodeName ? {node: e.nodeName} : {}),
        })),
      ),
      derived: s.metadata.labels?.[MANAGED_BY_LABEL] === DERIVED_MANAGER,
    }))
  return {
    resource: 'endpointslices',
    diagnostics: snap.diagnostics,
    result: {
      type: 'list',
      kind: 'EndpointSlice',
      items,
      name: (r) => `endpointslice.discovery.k8s.io/${r.name}`,
      empty: emptyMessage(opts),
      columns: [
        {header: 'NAMESPACE', min: 12, get: (r) => r.namespace},
        {header: 'NAME', min: 20, get: (r) => r.name},
        {header: 'SERVICE', min: 20, get: (r) => r.service || '<none>'},
        {header: 'ADDRESSTYPE', wide: true, get: (r) => r.addressType},
        {header: 'PORTS', get: (r) => list(r.ports.map((p) => String(p.port ?? '*')))},
        {header: 'ENDPOINTS', get: (r) => list(r.endpoints.map((e) => e.address))},
        {
          header: 'READY',
          fixed: true,
          get: (r) => `${r.endpoints.filter((e) => e.ready).length}/${r.endpoints.length}`,
          style: (r, t, c) => (r.endpoints.every((e) => e.ready) && r.endpoints.length ? c.green(t) : c.yellow(t)),
        },
        {header: 'PODS', wide: true, get: (r) => list(r.endpoints.map((e) => e.pod ?? '?'))},
        {header: 'SOURCE', wide: true, get: (r) => (r.derived ? 'derived' : 'slice')},
      ],
    },
  }
}

// ---------------------------------------------------------------- vips

export interface VipRow {
  vip: string
  port: number
  protocol: string
  source: string
  /** host/path -> namespace/service:port, or the Service for L4. */
  serves: string[]
  owners: string[]
  members: {ready: number; total: number}
}

export function inspectVips(snap: Snapshot, opts: InspectOptions): InspectOutput<VipRow> {
  const model = buildModel(snap, opts.model)
  const pools = new Map(model.pools.map((p) => [p.id, p]))
  // -l keeps a VIP:port when an object behind it has matching labels: one that defines it (OWNERS: an Ingress,
  // LoadBalancer Service, Gateway, ListenerSet or route) or a Service it sends traffic to.
  const labels = opts.selector ? objectLabels(snap) : undefined
  const behind = (f: LbModel['frontends'][number]) => [...f.provenance.map((p) => p.object), ...frontendPools(f).map((id) => `Service/${id.split('/').slice(0, 2).join('/')}`)]
  const items: VipRow[] = model.frontends
    .filter((f) => opts.namespace === undefined || f.provenance.some((p) => p.object.split('/')[1] === opts.namespace))
    .filter((f) => !opts.selector || behind(f).some((key) => labels!.has(key) && matchesSelector(opts.selector!, labels!.get(key))))
    .map((f) => {
      const vip = model.vips.find((v) => v.address === f.address)!
      const poolIds = frontendPools(f)
      const members = poolIds.flatMap((id) => pools.get(id)?.members ?? [])
      const showPool = (id: string) => {
        const [ns, svc, port] = id.split('/')
        return `${ns}/${svc}:${port}`
      }
      return {
        vip: f.address,
        port: f.port,
        protocol: f.protocol,
        source: vip.source,
        serves: [
          ...f.routes.map((r) => {
            const to = r.redirectHttps ? 'https' : r.policy?.redirect ? `redirect(${r.policy.redirect.code})` : r.policy?.split ? r.policy.split.backends.map((b) => `${showPool(b.pool)}=${b.weight}`).join('+') : showPool(r.pool)
            return `${r.host || '*'}${r.path}${r.pathType === 'Exact' ? '(exact)' : ''}->${to}`
          }),
          ...(f.defaultPool ? [`default->${showPool(f.defaultPool)}`] : []),
        ],
        owners: [...new Set(f.provenance.map((p) => p.object))].sort(),
        members: {ready: members.filter((m) => m.ready).length, total: members.length},
      }
    })
  return {
    resource: 'vips',
    // A VIP names every port of its address: 192.0.2.10 or 192.0.2.10:80 ([2001:db8::1]:80 for IPv6).
    matches: (r, n) => r.vip === n || fmtAddr(r.vip, r.port) === n,
    diagnostics: model.diagnostics,
    result: {
      type: 'list',
      kind: 'Vip',
      items,
      name: (r) => `vip/${fmtAddr(r.vip, r.port)}`,
      empty: opts.selector ? emptyMessage(opts) : 'No VIPs: no Ingress or LoadBalancer Service served by vipctl has a VIP (see vipctl inspect ingresses)',
      columns: [
        {header: 'VIP', fixed: true, get: (r) => fmtAddr(r.vip, r.port)},
        {header: 'PROTOCOL', fixed: true, get: (r) => r.protocol.toUpperCase()},
        {header: 'SOURCE', get: (r) => r.source},
        {header: 'ROUTES', fixed: true, get: (r) => String(r.serves.length)},
        {header: 'SERVES', wide: true, get: (r) => lines(r.serves)},
        {header: 'OWNERS', get: (r) => list(r.owners.map((o) => o.split('/').slice(1).join('/')))},
        {
          header: 'MEMBERS',
          fixed: true,
          get: (r) => `${r.members.ready}/${r.members.total}`,
          style: (r, t, c) => (r.members.ready === 0 ? c.red(t) : r.members.ready < r.members.total ? c.yellow(t) : c.green(t)),
        },
      ],
    },
  }
}

/** The labels of the objects that can be behind a VIP:port, by objectKey (the keys of frontend provenance). */
function objectLabels(snap: Snapshot): Map<string, Record<string, string> | undefined> {
  const all = [...snap.services, ...snap.ingresses, ...snap.gateways, ...snap.listenerSets, ...snap.httpRoutes, ...snap.grpcRoutes, ...snap.tcpRoutes, ...snap.tlsRoutes, ...snap.udpRoutes]
  return new Map(all.map((o) => [objectKey(o), o.metadata.labels]))
}

function emptyMessage(opts: InspectOptions): string {
  return opts.namespace ? `No resources found in ${opts.namespace} namespace.` : 'No resources found.'
}
