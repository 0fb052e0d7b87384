/**
 * Sync's endpoint-only path. When every change since the last reconcile is an
 * EndpointSlice event, the last reconcile's model and typed HAProxy config are
 * patched instead of rebuilt: the changed Services' pools get their members
 * anew (the model's one reading of EndpointSlices, endpointMembers), their
 * backends their server lines (the target's one mapping, serverList), and the
 * difference with what HAProxy runs (`show servers state <backend>`, read for
 * those backends only) goes through the runtime API (the plan's serverChanges).
 * Nothing else is built or rendered; haproxy.cfg and the index are rendered
 * from the patched typed config later (renderPatchedFiles), once a burst is over.
 *
 * Anything beyond moving members in the slots a backend has is structural and
 * answered with `{structural: why}`: the caller then reconciles in full. That
 * covers more members than slots, a slice the intake or the model reports
 * (before or after the change), a Service without the port a pool names, and a
 * backend HAProxy resolves by name.
 */
import type {EndpointSlice, Pod, Service} from '../cluster/types.js'
import {objectKey} from '../cluster/types.js'
import {selectorMatches, workloadsFor} from '../cluster/derive.js'
import {endpointMembers, healthSources, monitorFor} from '../model/build.js'
import {ANNOTATIONS} from '../model/annotations.js'
import type {Compiled} from '../model/compile.js'
import type {Member, Pool} from '../model/types.js'
import {INDEX_FILE, hostPort, indexOf, serverList, slotsOf, type HaproxyConfig, type HaproxyOptions} from '../targets/haproxy/generate.js'
import {renderSections, type Section, type Server} from '../targets/haproxy/syntax.js'
import {serverChanges, type ServerChange} from '../apply/haproxy/plan.js'
import type {ServerState} from '../core/haproxy-runtime.js'

/** What the last reconcile built and HAProxy runs (its files may lag behind a patch until renderPatchedFiles). */
export interface LastReconcile {
  compiled: Compiled
  desired: HaproxyConfig
  /** The options `desired` was rendered with (spare slots). */
  options: HaproxyOptions
}

export interface EndpointPatch {
  /** Runtime commands per server slot that differs; empty when HAProxy already runs the new state. */
  servers: ServerChange[]
  /** Pools whose members changed. */
  pools: string[]
  /** Applies the patch to the model and the typed config (after the commands were accepted). */
  commit(): void
}

/**
 * Plans an endpoint-only change. `services`: "namespace/name" of the Services whose slices changed; `slicesOf`
 * gives a Service's slices as they are now, in snapshot order; `changedSlices`: the object keys
 * (EndpointSlice/ns/name) of the changed slices; `readState` reads one backend's running slots. Mutates nothing
 * before commit. Errors: only readState's.
 */
export async function planEndpointPatch(
  last: LastReconcile,
  services: Set<string>,
  changedSlices: Set<string>,
  slicesOf: (service: string) => EndpointSlice[],
  readState: (backend: string) => Promise<ServerState[]>,
): Promise<EndpointPatch | {structural: string}> {
  const {model, snapshot} = last.compiled
  // The full build reported something about one of these slices: only a full build can take that back.
  const reported = model.diagnostics.find((d) => d.object !== undefined && changedSlices.has(d.object))
  if (reported) return {structural: `${reported.object} had a finding (${reported.code})`}
  const servicesByKey = new Map<string, Service>()
  for (const s of snapshot.services) if (services.has(`${s.metadata.namespace}/${s.metadata.name}`)) servicesByKey.set(`${s.metadata.namespace}/${s.metadata.name}`, s)
  const pools = model.pools.filter((p) => services.has(`${p.namespace}/${p.service}`))
  const backends = backendsOf(last.desired.sections, pools)
  const newMembers = new Map<Pool, Member[]>()
  const newLists = new Map<Section, Server[]>()
  const changes: ServerChange[] = []
  for (const pool of pools) {
    if (pool.external) continue // ExternalName: no members, HAProxy resolves the name
    const svc = servicesByKey.get(`${pool.namespace}/${pool.service}`)
    const sp = svc?.spec.ports?.find((p) => p.port === pool.port && (p.protocol ?? 'TCP') === pool.protocol)
    if (!svc || !sp) return {structural: `Service ${pool.namespace}/${pool.service} has no port ${pool.port} any more`}
    let finding: string | undefined
    const raw = svc.metadata.annotations?.[ANNOTATIONS.memberWeights.key]
    const members = endpointMembers(svc, sp, slicesOf(`${pool.namespace}/${pool.service}`), raw === undefined ? undefined : ANNOTATIONS.memberWeights.parse(raw), (code, object) => (finding ??= `${object}: ${code}`))
    if (finding) return {structural: finding}
    newMembers.set(pool, members)
    for (const section of backends.get(pool) ?? []) {
      if (!section.servers || section.servers.resolved) return {structural: `backend ${section.name} is resolved by name`}
      const name = section.name!
      const rows = (await readState(name)).filter((r) => r.backend === name)
      const slots = new Map<string, string>()
      for (const r of rows) if (!(r.address === '0.0.0.0' && r.port === 0)) slots.set(hostPort(r.address, r.port), r.server)
      const count = rows.filter((r) => /^SRV_\d+$/.test(r.server)).length
      const list = serverList({...pool, members}, name, {slots: new Map([[name, slots]]), slotCounts: new Map([[name, count]]), spareSlots: last.options.spareSlots})
      const names = new Set(rows.map((r) => r.server))
      if (list.length !== count || list.some((v) => !names.has(v.name)))
        return {structural: `backend ${name}: server slots ${count} -> ${list.length}`}
      const live = new Map(rows.map((r) => [`${r.backend}/${r.server}`, r]))
      const desired = slotsOf([{...section, servers: {...section.servers, list}}])
      for (const c of serverChanges(desired, live)) changes.push(c)
      newLists.set(section, list)
    }
  }
  return {
    servers: changes,
    pools: [...newMembers.keys()].map((p) => p.id),
    commit() {
      for (const [pool, members] of newMembers) pool.members = members
      for (const [section, list] of newLists) section.servers = {...section.servers!, list}
    },
  }
}

/** A Pod as it was before a change and as it is now (undefined: not there). */
export interface PodChange {
  before?: Pod
  after?: Pod
}

/**
 * Pods matter to the model through the health check it derives from the first matching Pod's readiness probe
 * (monitorFor) and nothing else: a change of status only (readiness, IP) never matters, and a Pod that comes or
 * goes matters only when it changes some pool's health check or its findings. Undefined when no pool's check
 * changes; otherwise why (the caller reconciles in full). `podsNow(ns)`: the namespace's Pods as they are now.
 */
export function podChangesKeepModel(last: LastReconcile, changes: PodChange[], podsNow: (namespace: string) => Pod[]): string | undefined {
  const same = (a: Pod, b: Pod) => JSON.stringify([a.metadata.labels ?? {}, a.spec]) === JSON.stringify([b.metadata.labels ?? {}, b.spec])
  const real = changes.filter((c) => !(c.before && c.after && same(c.before, c.after)))
  if (real.length === 0) return undefined
  const {model, snapshot} = last.compiled
  const byNs = new Map<string, PodChange[]>()
  for (const c of real) {
    const ns = (c.after ?? c.before)!.metadata.namespace ?? 'default'
    byNs.set(ns, [...(byNs.get(ns) ?? []), c])
  }
  for (const [ns, list] of byNs) {
    const now = podsNow(ns)
    const changedNames = new Set(list.map((c) => (c.after ?? c.before)!.metadata.name))
    const before = [...now.filter((p) => !changedNames.has(p.metadata.name)), ...list.flatMap((c) => (c.before ? [c.before] : []))].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    for (const svc of snapshot.services) {
      if ((svc.metadata.namespace ?? 'default') !== ns || !svc.spec.selector) continue
      if (!list.some((c) => [c.before, c.after].some((p) => p && selectorMatches(svc.spec.selector, p.metadata.labels)))) continue
      for (const pool of model.pools) {
        if (pool.namespace !== ns || pool.service !== svc.metadata.name || pool.external) continue
        const sp = svc.spec.ports?.find((p) => p.port === pool.port && (p.protocol ?? 'TCP') === pool.protocol)
        if (!sp) return `Service ${ns}/${svc.metadata.name} has no port ${pool.port} any more`
        const check = (pods: Pod[]) => {
          const matching = pods.filter((p) => selectorMatches(svc.spec.selector, p.metadata.labels))
          const sources = healthSources(matching, workloadsFor(svc, snapshot.workloads))
          const found: string[] = []
          const monitor = monitorFor(svc, sp, sources, (...finding) => found.push(finding.join(' ')))
          return JSON.stringify([monitor, found])
        }
        if (check(before) !== check(now)) return `a Pod change gives ${pool.id} another health check`
      }
    }
  }
  return undefined
}

/** Resources whose status the model never reads (it reads only VIPs from Service, Ingress and Gateway status). */
const STATUS_UNREAD = new Set(['httproutes', 'grpcroutes', 'tcproutes', 'tlsroutes', 'udproutes', 'gatewayclasses', 'listenersets', 'backendtlspolicies', 'referencegrants', 'namespaces', 'nodes', 'ingressclasses'])

/**
 * Whether an object's change can matter to the model: anything but its status does; its status only where the
 * model reads a VIP from it and nothing before it decides the VIP (vipctl.io/vip; a Gateway's spec.addresses).
 * `before` and `after` are the intake's objects (checked, in the model's shapes). Most status changes are the
 * ones sync's own status writer makes (conditions, attached routes, load-balancer addresses): they come back as
 * watch events and never need a full reconcile.
 */
export function changeMatters(resource: string, before: object, after: object): boolean {
  // Every write moves metadata.resourceVersion: it is the event, not a change of what the model reads.
  const withoutVersion = (o: object) => {
    const {status, metadata, ...rest} = o as {status?: unknown; metadata?: {resourceVersion?: string}}
    const {resourceVersion: _rv, ...meta} = metadata ?? {}
    return {status, rest: JSON.stringify({...rest, metadata: meta})}
  }
  const {status: s0, rest: rest0} = withoutVersion(before)
  const {status: s1, rest: rest1} = withoutVersion(after)
  if (rest0 !== rest1) return true
  if (JSON.stringify(s0) === JSON.stringify(s1) || STATUS_UNREAD.has(resource)) return false
  const o = after as {metadata?: {annotations?: Record<string, string>}; spec?: {addresses?: Array<{value?: string}>}}
  const raw = o.metadata?.annotations?.[ANNOTATIONS.vip.key]
  const annotated = raw !== undefined && ANNOTATIONS.vip.parse(raw) !== undefined
  if (resource === 'services' || resource === 'ingresses') return !annotated
  // A Gateway's spec.addresses decide its VIP only with a value (value-less entries ask for one: status is read).
  if (resource === 'gateways') return !annotated && !(o.spec?.addresses ?? []).some((a) => a.value !== undefined && a.value !== '')
  return true
}

/** Backend sections per pool (a pool may have an HTTP and a TCP backend). */
function backendsOf(sections: Section[], pools: Pool[]): Map<Pool, Section[]> {
  // HAProxy serves TCP pools only; a UDP pool on the same port number (DNS: 53/TCP and 53/UDP) is another pool.
  const byKey = new Map(pools.filter((p) => p.protocol === 'TCP').map((p) => [`${p.namespace}/${p.service}/${p.port}`, p]))
  const out = new Map<Pool, Section[]>()
  for (const s of sections) {
    if (s.kind !== 'backend' || !s.meta || !('service' in s.meta)) continue
    const pool = byKey.get(`${s.meta.namespace}/${s.meta.service}/${s.meta.port}`)
    if (!pool) continue
    out.set(pool, [...(out.get(pool) ?? []), s])
  }
  return out
}

/**
 * The typed config's files after patches: haproxy.cfg and the index rendered again from the sections (the other
 * files never change by a patch); `desired.servers` follows. Returns the whole file list to write.
 */
export function renderPatchedFiles(desired: HaproxyConfig): HaproxyConfig['files'] {
  const cfg = renderSections(desired.sections)
  const index = indexOf(desired.sections)
  desired.index = index
  desired.servers = slotsOf(desired.sections)
  desired.files = desired.files.map((f) =>
    f.path === 'haproxy.cfg' ? {...f, content: cfg} : f.path === INDEX_FILE ? {...f, content: `${JSON.stringify(index, null, 1)}\n`} : f,
  )
  return desired.files
}

/** The object key of an EndpointSlice store key ("namespace/name"). */
export const sliceObjectKey = (key: string): string => objectKey({kind: 'EndpointSlice', metadata: {namespace: key.slice(0, key.indexOf('/')), name: key.slice(key.indexOf('/') + 1)}})
