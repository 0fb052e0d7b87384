/** `vipctl check`: the model's diagnostics plus every analyzer's findings, filtered, sorted, with a verdict. */
import type {Diagnostic, Severity} from '../cluster/types.js'
import {UsageError} from '../errors.js'
import type {Compiled} from '../model/compile.js'
import {DEFAULT_HAPROXY_OPTIONS, generateHaproxy} from '../targets/haproxy/generate.js'
import {DEFAULT_NETSCALER_OPTIONS, generateNetscaler} from '../targets/netscaler/generate.js'
import type {ListResult} from '../output/render.js'
import {formatDiagnostic} from '../output/diagnostics.js'
import {ANALYZERS, type CheckOptions} from './analyzers.js'
import {classOf, ingressClassesOf, ingressIsOurs, serviceIsOurs} from '../model/build.js'
import {objectKey} from '../cluster/types.js'
import {DERIVED_MANAGER, MANAGED_BY_LABEL} from '../cluster/derive.js'
import {CATALOG, catalogEntry, type CatalogEntry} from '../core/catalog.js'
import {junit, sarif} from './report.js'
import {proxyFindings, type ProxyState} from './proxy.js'

export type FailOn = 'error' | 'warning' | 'never'

export interface Finding {
  code: string
  severity: Severity
  title: string
  object: string
  field?: string
  message: string
  hint: string
  file?: string
  line?: number
}

const RANK: Record<Severity, number> = {error: 0, warning: 1, info: 2}

/**
 * What each target would leave out or change (UDP on HAProxy, an ExternalName backend on NetScaler, a
 * tenant VIP on vipctl's own listener, an over-long NetScaler expression): check never says "no
 * problems" about something a target ignores. Rendered in memory with the default options.
 */
function targetFindings({model, secrets}: Compiled): Diagnostic[] {
  return [
    ...generateHaproxy(model, secrets, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}).diagnostics,
    ...generateNetscaler(model, secrets, DEFAULT_NETSCALER_OPTIONS).diagnostics,
  ]
}

export function runChecks(c: Compiled, opts: CheckOptions, disable: string[], proxy?: ProxyState, extra: Diagnostic[] = []): Diagnostic[] {
  for (const code of disable) if (!CATALOG.has(code)) throw new UsageError(`--disable ${code}: unknown code`, 'see vipctl check --list-checks')
  const {snapshot: snap, model} = c
  const all = [...model.diagnostics, ...targetFindings(c), ...ANALYZERS.flatMap((a) => a.run({snap, model, opts})), ...(proxy ? proxyFindings(snap, model, proxy) : []), ...extra]
  const seen = new Set<string>()
  return all
    .filter((d) => !disable.includes(d.code))
    .filter((d) => {
      const k = formatDiagnostic(d)
      return seen.has(k) ? false : (seen.add(k), true)
    })
    .sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.object.localeCompare(b.object) || a.code.localeCompare(b.code) || (a.field ?? '').localeCompare(b.field ?? ''))
}

/** What check read and what vipctl serves of it: the line check ends with, and `summary` in its JSON. */
export interface CheckSummary {
  /** Objects of the kinds vipctl reads. */
  read: number
  /** Objects of other kinds, skipped without a finding: "apiVersion/kind" -> count. */
  skipped: Record<string, number>
  /** Gateways and HTTPRoutes only when the input has Gateway API objects. */
  /** tcpRoutes: TCPRoutes and TLSRoutes attached to a listener of ours. */
  served: {ingresses: number; loadBalancers: number; gateways?: number; httpRoutes?: number; grpcRoutes?: number; tcpRoutes?: number; listenerSets?: number}
  /** Ingresses and LoadBalancer Services read but not served, by reason -> count. */
  notServed: Record<string, number>
}

export function checkSummary(c: Compiled, opts: CheckOptions): CheckSummary {
  const snap = c.snapshot
  // Served: an object with a route, a default backend or a frontend of its own in the model (a VIP alone is not enough).
  const inModel = new Set<string>()
  for (const f of c.model.frontends) {
    for (const r of f.routes) inModel.add(r.provenance.object)
    if (f.protocol === 'tcp' || f.protocol === 'udp') for (const p of f.provenance) inModel.add(p.object)
    const dflt = f.defaultPool ? c.model.pools.find((p) => p.id === f.defaultPool) : undefined
    for (const p of dflt?.provenance ?? []) if (p.field === 'spec.defaultBackend') inModel.add(p.object)
  }
  const refused = new Set(c.model.diagnostics.filter((d) => ['VIP2021', 'VIP2022', 'VIP2023'].includes(d.code)).map((d) => d.object))
  const classes = ingressClassesOf(snap, opts.model)
  const notServed: Record<string, number> = {}
  const count = (reason: string) => (notServed[reason] = (notServed[reason] ?? 0) + 1)
  let ingresses = 0
  for (const i of snap.ingresses) {
    const k = objectKey(i)
    if (!ingressIsOurs(i, classes)) count(classOf(i) === undefined ? 'Ingress: no ingress class, and the default class is not vipctl\'s' : 'Ingress: another ingress class')
    else if (refused.has(k)) count('Ingress: left out for another controller\'s annotations')
    else if (inModel.has(k)) ingresses++
    else if (c.model.diagnostics.some((d) => d.object === k && (d.code === 'VIP2010' || d.code === 'VIP2008'))) count('Ingress: every route of it held by an older object')
    else count('Ingress: left out by its errors')
  }
  let loadBalancers = 0
  for (const s of snap.services.filter((x) => x.spec.type === 'LoadBalancer')) {
    if (serviceIsOurs(s) && c.model.diagnostics.some((d) => d.code === 'VIP2024' && d.object === objectKey(s))) count('LoadBalancer Service: left out for its source ranges')
    else if (!serviceIsOurs(s)) count('LoadBalancer Service: not of vipctl\'s load-balancer class (vipctl.io/lb) and no vipctl.io/vip')
    else if (inModel.has(objectKey(s))) loadBalancers++
    else count('LoadBalancer Service: left out by its errors')
  }
  // Objects that were in the input but could not be read (invalid, removed apiVersion, duplicates).
  const unread = snap.diagnostics.filter((d) => d.code.startsWith('VIP100') && d.severity === 'error').length
  if (unread > 0) notServed['Object: unreadable, see the errors'] = unread
  // Gateway API: Gateways served on an address, routes attached to at least one listener of ours.
  const gw = c.model.gatewayApi
  const gatewayOf = (p: {kind: string; namespace: string; name: string}) => (p.kind === 'ListenerSet' ? gw?.listenerSets.find((l) => l.object === `ListenerSet/${p.namespace}/${p.name}`)?.gateway : `Gateway/${p.namespace}/${p.name}`)
  let gateways = 0
  for (const g of snap.gateways) {
    const st = gw?.gateways.find((x) => x.object === objectKey(g))
    if (!st) count('Gateway: of another GatewayClass')
    else if (st.conditions.some((x) => x.type === 'Programmed' && x.status === 'True')) gateways++
    else count('Gateway: left out by its errors')
  }
  let httpRoutes = 0
  let grpcRoutes = 0
  for (const r of [...snap.httpRoutes, ...snap.grpcRoutes]) {
    const st = gw?.routes.find((x) => x.object === objectKey(r))
    if (!st) count(`${r.kind}: no parent Gateway of vipctl's`)
    // Served: accepted by a parent Gateway that is programmed (has an address and a listener served).
    else if (st.parents.some((p) => p.conditions.some((x) => x.type === 'Accepted' && x.status === 'True') && gw?.gateways.find((g) => g.object === gatewayOf(p.parentRef))?.conditions.some((x) => x.type === 'Programmed' && x.status === 'True'))) {
      if (r.kind === 'HTTPRoute') httpRoutes++
      else grpcRoutes++
    } else if (st.parents.some((p) => p.conditions.some((x) => x.type === 'Accepted' && x.status === 'True'))) count(`${r.kind}: its Gateway is not served`)
    else count(`${r.kind}: not attached (see VIP6001)`)
  }
  let tcpRoutes = 0
  for (const r of [...snap.tcpRoutes, ...snap.tlsRoutes, ...snap.udpRoutes]) {
    const st = gw?.routes.find((x) => x.object === objectKey(r))
    if (!st) count(`${r.kind}: no parent Gateway of vipctl's`)
    else if (st.parents.some((p) => p.conditions.some((x) => x.type === 'Accepted' && x.status === 'True'))) tcpRoutes++
    else count(`${r.kind}: not attached (see VIP6001)`)
  }
  let listenerSets = 0
  for (const l of snap.listenerSets) {
    const st = gw?.listenerSets.find((x) => x.object === objectKey(l))
    if (!st) count("ListenerSet: no parent Gateway of vipctl's")
    else if (st.conditions.some((x) => x.type === 'Programmed' && x.status === 'True')) listenerSets++
    else if (st.conditions.some((x) => x.type === 'Accepted' && x.status === 'True')) count('ListenerSet: no listener served (see its findings)')
    else count('ListenerSet: not accepted (see VIP6009)')
  }
  const l4 = snap.tcpRoutes.length + snap.tlsRoutes.length + snap.udpRoutes.length
  const gatewayApi = snap.gatewayClasses.length + snap.gateways.length + snap.listenerSets.length + snap.httpRoutes.length + snap.grpcRoutes.length + l4 + snap.backendTLSPolicies.length + snap.referenceGrants.length
  const read = snap.services.length + snap.endpointSlices.filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] !== DERIVED_MANAGER).length + snap.ingresses.length + snap.ingressClasses.length + snap.pods.length + snap.nodes.length + snap.secrets.length + snap.workloads.length + snap.namespaces.length + snap.configMaps.length + gatewayApi
  return {read, skipped: Object.fromEntries([...snap.skipped.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))), served: {ingresses, loadBalancers, ...(gatewayApi > 0 ? {gateways, httpRoutes, ...(snap.grpcRoutes.length ? {grpcRoutes} : {}), ...(l4 ? {tcpRoutes} : {}), ...(snap.listenerSets.length ? {listenerSets} : {})} : {})}, notServed}
}

/** The summary as one line. */
export function summaryLine(s: CheckSummary): string {
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
  const skipped = Object.entries(s.skipped)
  const total = skipped.reduce((n, [, v]) => n + v, 0)
  const kinds = skipped.map(([k, v]) => `${k.slice(k.lastIndexOf('/') + 1)} ${v}`).join(', ')
  const not = Object.entries(s.notServed).map(([key, n]) => {
    const [kind, reason] = key.split(': ') as [string, string]
    return `${plural(n, kind, kind === 'Ingress' ? 'Ingresses' : `${kind}s`)} (${reason})`
  })
  const served = [plural(s.served.ingresses, 'Ingress', 'Ingresses'), plural(s.served.loadBalancers, 'LoadBalancer Service'), ...(s.served.gateways !== undefined ? [plural(s.served.gateways, 'Gateway'), plural(s.served.httpRoutes ?? 0, 'HTTPRoute')] : []), ...(s.served.grpcRoutes !== undefined ? [plural(s.served.grpcRoutes, 'GRPCRoute')] : []), ...(s.served.tcpRoutes !== undefined ? [plural(s.served.tcpRoutes, 'TCP/TLS/UDP route')] : []), ...(s.served.listenerSets !== undefined ? [plural(s.served.listenerSets, 'ListenerSet')] : [])]
  return `Read ${plural(s.read, 'object')}${total ? ` (skipped ${total} of kinds vipctl does not read: ${kinds})` : ''}; vipctl serves ${served.slice(0, -1).join(', ')} and ${served[served.length - 1]}${not.length ? `; not served: ${not.join(', ')}` : ''}.`
}

export function checkResult(findings: Diagnostic[], failOn: FailOn, version = '0.0.0', summary?: CheckSummary): ListResult<Finding> {
  const items: Finding[] = findings.map((d) => ({
    code: d.code,
    severity: d.severity,
    title: catalogEntry(d.code).title,
    object: d.object,
    ...(d.field ? {field: d.field} : {}),
    message: d.message,
    hint: catalogEntry(d.code).hint,
    ...(d.origin?.source === 'file' ? {file: d.origin.file, line: d.origin.line} : {}),
  }))
  const failing = failOn === 'never' ? [] : items.filter((f) => RANK[f.severity] <= RANK[failOn])
  return {
    type: 'list',
    kind: 'Finding',
    items,
    name: (f) => `${f.code}/${f.object}`,
    empty: 'No problems found.',
    ...(summary ? {summary: {text: summaryLine(summary), data: summary as unknown as Record<string, unknown>}} : {}),
    ...(failing.length > 0 ? {exit: 1} : {}),
    formats: {junit: (xs) => junit(xs, failOn), sarif: (xs) => sarif(xs, version)},
    columns: [
      {header: 'SEVERITY', fixed: true, get: (f) => f.severity, style: (f, t, c) => (f.severity === 'error' ? c.red(t) : f.severity === 'warning' ? c.yellow(t) : c.cyan(t))},
      {header: 'CODE', fixed: true, get: (f) => f.code},
      // The object is what identifies a finding: cut last (the message first; whole in -o wide and -o json).
      {header: 'OBJECT', min: 30, get: (f) => f.object},
      {header: 'FIELD', wide: true, get: (f) => f.field ?? ''},
      {header: 'MESSAGE', get: (f) => f.message},
      {header: 'WHERE', wide: true, get: (f) => (f.file ? `${f.file}:${f.line}` : '')},
      {header: 'FIX', wide: true, get: (f) => f.hint},
    ],
  }
}

export function catalogResult(): ListResult<CatalogEntry & {analyzer: string}> {
  const owner = new Map<string, string>()
  for (const a of ANALYZERS) for (const c of a.codes) owner.set(c, a.name)
  const items = [...CATALOG.values()].map((e) => ({
    ...e,
    analyzer: owner.get(e.code) ?? (e.code.startsWith('VIP1') ? 'input' : e.code.startsWith('VIP2') ? 'model' : e.code.startsWith('VIP405') ? 'proxy (--stats-socket)' : e.code.startsWith('VIP406') ? 'vip rules (--netns, --vip-rules)' : 'target'),
  }))
  return {
    type: 'list',
    kind: 'Check',
    items,
    name: (e) => e.code,
    columns: [
      {header: 'CODE', fixed: true, get: (e) => e.code},
      {header: 'SEVERITY', fixed: true, get: (e) => e.severity},
      {header: 'ANALYZER', get: (e) => e.analyzer},
      {header: 'TITLE', get: (e) => e.title},
      {header: 'FIX', wide: true, get: (e) => e.hint},
    ],
  }
}
