/**
 * LbModel -> HAProxy config files: haproxy.cfg, one pair of map files per HTTP
 * frontend (exact and prefix routes), certificate files and crt-lists. Same
 * model and options, same bytes.
 *
 * Routing: the request's host (lower-cased, port stripped) and path are looked
 * up in order: exact host (exact map, then longest prefix), the "*.parent"
 * wildcard of the host, then rules without a host; the default backend, or a
 * 404, when nothing matches. A Prefix route /p becomes two entries: "host/p" in
 * the exact map and "host/p/" in the prefix map, so /p matches /p and /p/x but
 * not /px (Kubernetes path-element semantics).
 */
import {createHash} from 'node:crypto'
import path from 'node:path'
import type {Diagnostic} from '../../cluster/types.js'
import type {SecretLookup} from '../../model/tls.js'
import type {Frontend, LbModel, Member, Pool} from '../../model/types.js'
import {chainFor, corsOriginRegex, corsResponse, detectsMisdirected, hasConditions, routingTable, type Decision} from '../../model/routing.js'
import {frontendPools, routePools, type HeaderRules} from '../../model/types.js'
import {canonicalIp} from '../../model/ip.js'
import {hostPortOption} from '../../core/address.js'
import {BACKSLASH_HEX_REGEX, DOT_SEGMENT_REGEX, HOST_HEADER_REGEXES, hostPort, isToken, line, renderMap, renderSections, type Arg, type BackendMeta, type FrontendMeta, type Line, type Section, type Server} from './syntax.js'
import {severityOf} from '../../core/catalog.js'
import {appendAll, maxOf} from '../../core/arrays.js'

export interface HaproxyOptions {
  /** Absolute directory the files will be read from by HAProxy (maps/, certs/). */
  configDir: string
  /** Directory of the admin socket. */
  runDir: string
  nbthread: number
  /** Disabled server slots per backend, filled at runtime when endpoints are added. */
  spareSlots: number
  /** Prometheus exporter and stats page on loopback. */
  metricsAddress: string
  /**
   * Where frontends listen. 'vip': on the VIP itself (bind mode). Otherwise on
   * one address with ports from basePort, in frontend order (dnat mode, tests).
   */
  listen: {mode: 'vip'} | {mode: 'address'; address: string; basePort: number}
  /**
   * With a listen address (dnat layout): the port each frontend id has now (from the running config's index,
   * see listenPortsFrom). A frontend keeps its port; a new one takes the lowest free port from basePort; so
   * one object coming or going never moves another's port (the VIP rules and HAProxy agree between steps).
   */
  listenPorts?: Map<string, number>
  /** Addresses vipctl itself listens on (besides metricsAddress): a frontend there is left out with a finding. */
  reserved?: Array<{address: string; port: number; what: string}>
  /** Existing server slot names per backend and member (addr:port) to keep, so that runtime changes survive a reload. */
  slots?: Map<string, Map<string, string>>
  /**
   * Server slots each backend has in the running HAProxy. While the members fit,
   * the count stays (scaling up into spare slots or down needs no reload); only
   * outgrowing it adds slots (members + spareSlots), which needs a reload.
   */
  slotCounts?: Map<string, number>
}

export interface HaproxyFile {
  /** Relative to configDir. */
  path: string
  content: string
  /** 0o600 for key material, 0o644 otherwise. */
  mode: number
  secret: boolean
}

export interface HaproxyConfig {
  /** The typed configuration haproxy.cfg is rendered from (and the planner compares). */
  sections: Section[]
  files: HaproxyFile[]
  /** Backend name per pool id. */
  backends: Map<string, string>
  /** Frontend name -> where it listens. */
  listeners: Map<string, {address: string; port: number}>
  /** Every server slot as rendered: what the runtime state should be. */
  servers: DesiredServer[]
  /** HAProxy names back to Kubernetes (also written as INDEX_FILE for `vipctl stats`). */
  index: HaproxyIndex
  diagnostics: Diagnostic[]
}

/** Metadata next to haproxy.cfg: never read by HAProxy, so changing it alone needs no reload. */
export const INDEX_FILE = 'vipctl-index.json'

export interface HaproxyIndex {
  apiVersion: 'vipctl.io/v1alpha1'
  kind: 'HaproxyIndex'
  frontends: Record<string, {vip: string; port: number; protocol: string; listen: string; hosts: string[]; objects: string[]; backends: string[]}>
  backends: Record<string, {namespace: string; service: string; port: number; servers: Record<string, {address: string; port: number; pod?: string; node?: string}>}>
}

export interface DesiredServer {
  backend: string
  server: string
  address: string
  port: number
  enabled: boolean
  /** The member's weight (1 by default). */
  weight: number
}

export type {SecretLookup} from '../../model/tls.js'

export const DEFAULT_HAPROXY_OPTIONS: Omit<HaproxyOptions, 'configDir' | 'runDir'> = {
  nbthread: 1,
  spareSlots: 4,
  metricsAddress: '127.0.0.1:8405',
  listen: {mode: 'vip'},
}

const REDIRECT = '_redirect_https'
/** Map values of routes with a policy: `_route_<hash of what the decision does>` (backend names never start with "_"). */
const ROUTE = '_route_'
/** Map value of a host and path whose first decision has conditions: its lines pick the decision. */
const GROUP = '_match_'
/** SNI map value of a name whose connections are closed (no backend, or a listener's fence). */
const CLOSED = '_closed'
const RESOLVERS = 'vipctl'

/** `<ns>_<svc>_<port>`, within HAProxy's name grammar; cut with a hash beyond 100 characters. */
export function backendName(pool: Pool): string {
  const full = `${pool.namespace}_${pool.service}_${pool.port}${pool.protocol === 'UDP' ? '_udp' : ''}`
  return full.length <= 100 ? full : `${full.slice(0, 83)}_${shortHash(full)}`
}

export function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16)
}

export function slotName(i: number): string {
  return `SRV_${i + 1}`
}

export {hostPort}

/** An empty slot: where HAProxy's runtime API puts a server no member fills. */
const SPARE = {address: '0.0.0.0', port: 0}

export function generateHaproxy(model: LbModel, secrets: SecretLookup, opts: HaproxyOptions): HaproxyConfig {
  const diagnostics: Diagnostic[] = []
  // A pool is an HTTP backend when routes use it, a TCP one when an L4 frontend does; both when both.
  // Each frontend's pools, once (every route of every frontend is read for them).
  const poolsOf = new Map(model.frontends.map((f) => [f, frontendPools(f)]))
  const tcpPools = new Set<string>()
  const httpPools = new Set<string>()
  for (const f of model.frontends) {
    if (f.protocol === 'tcp' || f.protocol === 'tls') for (const p of poolsOf.get(f)!) tcpPools.add(p)
    if (f.protocol === 'http' || f.protocol === 'https') for (const p of poolsOf.get(f)!) httpPools.add(p)
  }
  const backends = new Map(model.pools.map((p) => [p.id, backendName(p)]))
  const tcpBackend = (id: string) => (httpPools.has(id) ? `${backends.get(id)!}_tcp` : backends.get(id)!)
  const files: HaproxyFile[] = []
  const sections: Section[] = [globalSection(opts), defaultsSection()]
  // ExternalName backends: HAProxy resolves their names with the node's resolv.conf, never at start-up (init-addr none).
  if (model.pools.some((p) => p.external)) sections.push({kind: 'resolvers', name: RESOLVERS, lines: [line('parse-resolv-conf'), line('hold', 'valid', '10s'), line('resolve_retries', '3'), line('timeout', 'resolve', '1s'), line('timeout', 'retry', '1s')]})

  const certFiles = new Map<string, string>()
  const frontends = model.frontends.filter((f) => {
    if (f.protocol === 'udp') {
      diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: f.provenance[0]!.object, field: f.provenance[0]!.field, message: `UDP ${hostPort(f.address, f.port)} is not served by the HAProxy target`})
      return false
    }
    return true
  })
  const ports = listenPortsFor(frontends, opts)
  const metrics = hostPortOption('--metrics-address', opts.metricsAddress)
  const reserved = [{address: metrics.host, port: metrics.port, what: 'vipctl\'s metrics and stats (--metrics-address)'}, ...(opts.reserved ?? [])]
  frontends.forEach((f) => {
    const listen = opts.listen.mode === 'vip' ? {address: f.address, port: f.port} : {address: opts.listen.address, port: ports.get(f.id)!}
    // A tenant's VIP:port on an address and port vipctl itself listens on would share (or take) that listener.
    const clash = opts.listen.mode === 'vip' ? reserved.find((r) => r.port === listen.port && (r.address === listen.address || canonicalIp(r.address) === listen.address || ['0.0.0.0', '::'].includes(r.address))) : undefined
    if (clash) {
      for (const p of f.provenance) diagnostics.push({severity: severityOf('VIP2007'), code: 'VIP2007', object: p.object, field: p.field, message: `${hostPort(listen.address, listen.port)} is where ${clash.what} listens; this frontend is left out`})
      return
    }
    // PROXY protocol from an upstream load balancer: the client's address is the one the header carries.
    const proxyArgs = f.listener?.acceptProxy ? ['accept-proxy'] : []
    const lines: Line[] = [line('bind', hostPort(listen.address, listen.port), ...proxyArgs)]
    if (f.protocol === 'https' || (f.protocol === 'tls' && f.terminate)) {
      const crtList = certificates(f, secrets, certFiles, files, diagnostics, opts)
      if (!crtList) return
      // A TLS listener that terminates carries a byte stream: no ALPN offered (the client's own protocol runs inside).
      lines[0] = line('bind', hostPort(listen.address, listen.port), ...proxyArgs, 'ssl', 'crt-list', path.join(opts.configDir, crtList), ...(f.protocol === 'https' ? ['alpn', 'h2,http/1.1'] : []))
    }
    if (f.listener?.clientTimeoutMs !== undefined) lines.push(line('timeout', 'client', `${f.listener.clientTimeoutMs}ms`))
    if (f.protocol === 'tcp') {
      lines.push(line('mode', 'tcp'), ...tcpSplit(f, tcpBackend))
      if (f.defaultPool) lines.push(line('default_backend', tcpBackend(f.defaultPool)))
    } else if (f.protocol === 'tls') {
      lines.push(line('mode', 'tcp'), ...sniRouting(f, tcpBackend, opts, files, diagnostics))
    } else {
      // Without idle-close-on-response an old worker closes idle keep-alive connections on reload, and clients see errors.
      lines.push(line('mode', 'http'), line('option', 'idle-close-on-response'))
      appendAll(lines, httpRouting(f, backends, opts, files, model, diagnostics))
    }
    const pools = poolsOf.get(f)!
    const meta: FrontendMeta = {
      vip: f.address,
      port: f.port,
      protocol: f.protocol,
      listen,
      hosts: [...new Set(f.routes.map((r) => r.host).filter((h) => h !== ''))].sort(),
      objects: [...new Set(f.provenance.map((p) => p.object))].sort(),
      backends: pools.map((p) => (f.protocol === 'tcp' || f.protocol === 'tls' ? tcpBackend(p) : backends.get(p)!)).sort(),
    }
    sections.push({kind: 'frontend', name: f.id, lines, comment: provenanceComment(f.provenance.map((p) => p.object)), meta})
  })

  // Backends some route gives its own member timeout (vipctl.io/timeout-request).
  const routeTimeouts = new Set(model.frontends.flatMap((f) => f.routes.filter((r) => r.policy?.timeoutMs && !r.policy.redirect).flatMap(routePools)))
  for (const pool of model.pools) {
    if (httpPools.has(pool.id)) {
      const s = backendSection(pool, backends.get(pool.id)!, 'http', opts, diagnostics, files)
      if (routeTimeouts.has(pool.id)) s.lines.push(line('http-request', 'set-timeout', 'server', 'var(txn.tmo)', 'if', '{', 'var(txn.tmo)', '-m', 'found', '}'))
      sections.push(s)
    }
    if (tcpPools.has(pool.id)) sections.push(backendSection(pool, tcpBackend(pool.id), 'tcp', opts, diagnostics, files))
  }
  sections.push(metricsSection(opts))
  // haproxy.cfg, the index, the listeners and the runtime slots all derive from the one typed config.
  const index = indexOf(sections)
  files.unshift({path: 'haproxy.cfg', content: renderSections(sections), mode: 0o644, secret: false})
  files.push({path: INDEX_FILE, content: `${JSON.stringify(index, null, 1)}\n`, mode: 0o644, secret: false})
  return {
    sections,
    files: files.sort((a, b) => (a.path === 'haproxy.cfg' ? -1 : b.path === 'haproxy.cfg' ? 1 : a.path.localeCompare(b.path))),
    backends,
    listeners: listenersOf(sections),
    servers: slotsOf(sections),
    index,
    diagnostics,
  }
}

function frontendMeta(s: Section): FrontendMeta | undefined {
  return s.kind === 'frontend' && s.meta && 'vip' in s.meta ? s.meta : undefined
}

function backendMeta(s: Section): BackendMeta | undefined {
  return s.kind === 'backend' && s.meta && 'service' in s.meta ? s.meta : undefined
}

/** The index of a typed config: HAProxy names back to Kubernetes objects (frontends, backends, filled slots). */
export function indexOf(sections: Section[]): HaproxyIndex {
  const index: HaproxyIndex = {apiVersion: 'vipctl.io/v1alpha1', kind: 'HaproxyIndex', frontends: {}, backends: {}}
  for (const s of sections) {
    const fm = frontendMeta(s)
    if (fm) index.frontends[s.name!] = {vip: fm.vip, port: fm.port, protocol: fm.protocol, listen: hostPort(fm.listen.address, fm.listen.port), hosts: fm.hosts, objects: fm.objects, backends: fm.backends}
    const bm = backendMeta(s)
    if (!bm) continue
    const servers: HaproxyIndex['backends'][string]['servers'] = {}
    for (const v of s.servers?.list ?? []) {
      if (v.address === SPARE.address && v.port === SPARE.port) continue
      // Field by field, in this order (the index file's JSON keeps it): one entry per server.
      const entry: HaproxyIndex['backends'][string]['servers'][string] = {address: v.address, port: v.port}
      if (v.pod) entry.pod = v.pod
      if (v.node) entry.node = v.node
      servers[v.name] = entry
    }
    index.backends[s.name!] = {namespace: bm.namespace, service: bm.service, port: bm.port, servers}
  }
  return index
}

/** Frontend name -> where it listens, for the frontends of a typed config. */
export function listenersOf(sections: Section[]): Map<string, {address: string; port: number}> {
  const out = new Map<string, {address: string; port: number}>()
  for (const s of sections) {
    const fm = frontendMeta(s)
    if (fm) out.set(s.name!, fm.listen)
  }
  return out
}

/** Every server slot the runtime API may move (not those HAProxy resolves by name), as the runtime state should be. */
export function slotsOf(sections: Section[]): DesiredServer[] {
  const out: DesiredServer[] = []
  for (const s of sections) {
    if (s.kind !== 'backend' || !s.servers || s.servers.resolved) continue
    for (const v of s.servers.list) out.push({backend: s.name!, server: v.name, address: v.address, port: v.port, enabled: !v.disabled, weight: v.weight ?? 1})
  }
  return out
}

/** Listen ports in the dnat layout: kept ones first (valid, not the metrics port, not taken twice), then the lowest free ones. */
function listenPortsFor(frontends: Frontend[], opts: HaproxyOptions): Map<string, number> {
  const out = new Map<string, number>()
  if (opts.listen.mode !== 'address') return out
  const base = opts.listen.basePort
  const metricsPort = hostPortOption('--metrics-address', opts.metricsAddress).port
  const taken = new Set<number>([metricsPort])
  for (const f of frontends) {
    const p = opts.listenPorts?.get(f.id)
    if (p !== undefined && Number.isInteger(p) && p >= base && p <= 65535 && !taken.has(p)) {
      out.set(f.id, p)
      taken.add(p)
    }
  }
  let next = base
  for (const f of frontends) {
    if (out.has(f.id)) continue
    while (taken.has(next)) next++
    out.set(f.id, next)
    taken.add(next)
  }
  return out
}

function provenanceComment(objects: string[]): string {
  // Object keys are kind/namespace/name built from validated names: safe to show.
  return [...new Set(objects)].sort().join(', ')
}

function globalSection(opts: HaproxyOptions): Section {
  return {
    kind: 'global',
    lines: [
      line('master-worker'),
      line('nbthread', String(opts.nbthread)),
      line('stats', 'socket', path.join(opts.runDir, 'admin.sock'), 'mode', '600', 'level', 'admin', 'expose-fd', 'listeners'),
      line('stats', 'timeout', '30s'),
      line('ssl-default-bind-options', 'ssl-min-ver', 'TLSv1.2', 'no-tls-tickets'),
      line('tune.ssl.default-dh-param', '2048'),
    ],
  }
}

function defaultsSection(): Section {
  return {
    kind: 'defaults',
    lines: [
      line('mode', 'http'),
      line('option', 'dontlognull'),
      // A member that refuses the connection (a Pod gone before its endpoint is) is left for another one on the
      // retry, not tried three times over: HAProxy retries connection failures only, before anything was sent.
      line('option', 'redispatch', '1'),
      line('timeout', 'connect', '5s'),
      line('timeout', 'client', '60s'),
      line('timeout', 'server', '60s'),
      line('timeout', 'http-request', '10s'),
      line('timeout', 'http-keep-alive', '10s'),
      line('timeout', 'queue', '30s'),
      line('timeout', 'tunnel', '1h'),
      line('timeout', 'client-fin', '10s'),
    ],
  }
}

function metricsSection(opts: HaproxyOptions): Section {
  return {
    kind: 'frontend',
    name: 'vipctl_metrics',
    lines: [
      line('bind', opts.metricsAddress),
      line('mode', 'http'),
      line('no', 'log'),
      line('http-request', 'use-service', 'prometheus-exporter', 'if', '{', 'path', '/metrics', '}'),
      line('stats', 'enable'),
      line('stats', 'uri', '/stats'),
      line('stats', 'refresh', '10s'),
    ],
  }
}

function httpRouting(f: Frontend, backends: Map<string, string>, opts: HaproxyOptions, files: HaproxyFile[], model: LbModel, diagnostics: Diagnostic[]): Line[] {
  const exact = new Map<string, string>()
  const prefix = new Map<string, string>()
  // The routing module's table, in decision order: the first claim on a key wins (Exact before Prefix).
  // Each tier is one pair of lookups (exact key, then the longest prefix key), which is the table's
  // "longest path first, Exact before Prefix" within a tier; tiers are tried exact, wildcard, any.
  const table = routingTable(f, model)
  // A decision that does more than proxy to one backend (a redirect other than the TLS one, a split, filters, a 500)
  // gets a route id as its map value; the rules below act on that id only, so one tenant's policy never touches
  // another's. Decisions that do the same (same action and filters, and the same matched prefix where a path is
  // replaced) share one id, so an Ingress with many paths and one policy adds its rules once. The id is derived from
  // what the decision does, never from its place in the table: one object coming or going never renames another's id.
  // Two different decisions whose hashes meet get a counter on the later one (by decision order), so ids stay unique.
  // Route id -> its first decision and every object with an identical decision (each owns the id's lines).
  const policyRoutes = new Map<string, PolicyRoute>()
  const ids = new Map<string, string>()
  const taken = new Set<string>()
  const targetOf = (d: Decision): string => {
    const plain = !d.access && (d.action.kind === 'pool' ? !d.action.split && !d.filters : d.action.kind === 'redirect' && d.action.https === true)
    if (plain) return d.action.kind === 'redirect' ? REDIRECT : backends.get((d.action as {pool: string}).pool)!
    const replacesPrefix = (d.action.kind === 'redirect' && d.action.path?.kind === 'prefix') || d.filters?.rewrite?.path?.kind === 'prefix'
    const same = JSON.stringify([d.action, d.filters ?? null, replacesPrefix ? [d.match.path, d.match.pathType] : null, ...(d.access ? [d.access] : [])])
    let target = ids.get(same)
    if (target === undefined) {
      const base = `${ROUTE}${shortHash(same)}`
      target = base
      for (let n = 2; taken.has(target); n++) target = `${base}_${n}`
      taken.add(target)
      ids.set(same, target)
      policyRoutes.set(target, {id: target, d, owners: new Set()})
    }
    policyRoutes.get(target)!.owners.add(d.provenance.object)
    return target
  }
  // A key whose first decision has conditions (Gateway API matches) maps to a group id instead: the group's lines,
  // run right after the lookups of the key's stage (exact host, one-label wildcard, each deeper wildcard, no host),
  // try the decisions the routing module chains for that key among the decisions of the key's own host, in order,
  // each under its conditions. None holds: the group unsets the variable and the next stage's lookups go on, as
  // the routing module goes on down its table.
  type Stage = string
  const groups: Array<{id: string; chain: Decision[]; stage: Stage}> = []
  const groupIds = new Map<string, string>()
  const indexOf = new Map(table.decisions.map((d, i) => [d, i]))
  const stageOf = (hostKey: string): Stage => (hostKey === '' ? 'any' : hostKey.startsWith('**.') ? `deep:${hostKey.split('.').length - 1}` : hostKey.startsWith('*.') ? 'wild' : 'exact')
  const valueFor = (key: string, hostKey: string, chain: Decision[]): string => {
    if (chain.length === 1 && !hasConditions(chain[0]!)) return targetOf(chain[0]!)
    const stage = stageOf(hostKey)
    const sig = JSON.stringify([stage, chain.map((d) => indexOf.get(d))])
    let id = groupIds.get(sig)
    if (id === undefined) {
      const base = `${GROUP}${shortHash(`${f.id}|${key}`)}`
      id = base
      for (let n = 2; taken.has(id); n++) id = `${base}_${n}`
      taken.add(id)
      groupIds.set(sig, id)
      groups.push({id, chain, stage})
    }
    return id
  }
  const representative = (hostKey: string): string => (hostKey === '' ? '' : hostKey.startsWith('**.') ? `\u0001.\u0001.${hostKey.slice(3)}` : hostKey.startsWith('*.') ? `\u0001.${hostKey.slice(2)}` : hostKey)
  // Each host's decisions in table order, once (a lookup per key would be quadratic in the routes of a frontend).
  const byHost = new Map<string, Decision[]>()
  for (const d of table.decisions) {
    const list = byHost.get(d.host)
    if (list) list.push(d)
    else byHost.set(d.host, [d])
  }
  const conditional = table.decisions.some(hasConditions)
  /** The decisions a key's lookup stands for: those of its own host ('**.x': the suffix wildcards *.x) that may match. */
  const chainAt = (hostKey: string, path: string, d: Decision): Decision[] => {
    // Without conditions anywhere the key's first claimant is its whole chain (Ingress-only frontends: no work).
    if (!conditional) return [d]
    const own = hostKey.startsWith('**.') ? (byHost.get(hostKey.slice(1)) ?? []).filter((x) => x.wildcard === 'suffix') : (byHost.get(hostKey) ?? [])
    return chainFor({...table, decisions: own}, representative(hostKey), path)
  }
  const suffixDepths = new Set<number>()
  for (const d of table.decisions) {
    // A '*.' host that matches more than one label (Gateway API) is also written as a '**.' key, looked up by the
    // request host's last labels: an Ingress's one-label wildcard is never found that way.
    const hostKeys = d.wildcard === 'suffix' ? [d.host, `*${d.host}`] : [d.host]
    if (d.wildcard === 'suffix') suffixDepths.add(d.host.split('.').length - 1)
    for (const hk of hostKeys) {
      const key = `${hk}${d.match.path}`
      // The model's grammar is a subset of the token grammar (test/unit/trust.test.ts); should they ever
      // disagree, the one route is left out with a finding on its object, never the render for everyone.
      if (!isToken(key)) {
        diagnostics.push({severity: severityOf('VIP3003'), code: 'VIP3003', object: d.provenance.object, field: d.provenance.field, message: 'the HAProxy target cannot write this host and path as a map key; the route is left out'})
        break
      }
      if (!exact.has(key)) exact.set(key, valueFor(key, hk, chainAt(hk, d.match.path, d)))
      if (d.match.pathType === 'Prefix') {
        const pkey = d.match.path === '/' ? key : `${key}/`
        // A representative path below the prefix that no decision names ('\u0000' is in no path).
        if (!prefix.has(pkey)) prefix.set(pkey, valueFor(pkey, hk, chainAt(hk, `${d.match.path === '/' ? '' : d.match.path}/\u0000`, d)))
      }
    }
  }
  const longestFirst = (m: Map<string, string>) => [...m.entries()].sort((a, b) => b[0].length - a[0].length || a[0].localeCompare(b[0]))
  const exactFile = `maps/${f.id}.exact.map`
  const prefixFile = `maps/${f.id}.prefix.map`
  files.push({path: exactFile, content: renderMap(longestFirst(exact)), mode: 0o644, secret: false})
  files.push({path: prefixFile, content: renderMap(longestFirst(prefix)), mode: 0o644, secret: false})
  const ex = path.join(opts.configDir, exactFile)
  const px = path.join(opts.configDir, prefixFile)
  const unset = ['if', '!{', 'var(txn.be)', '-m', 'found', '}']
  // The Host header selects a host, never a path: it is normalised (case, port,
  // trailing dot) and must be a host name or an IPv6 literal, else 400. A host
  // holds no "/", so "<host><path>" keys cannot be forged by the client.
  // Cheapest first: most requests hit on the exact host, so the wildcard key is built only when that missed.
  const lines: Line[] = [
    line('http-request', 'set-var(txn.host)', {fetch: 'normalizedHost'}),
    line('http-request', 'return', 'status', '400', 'content-type', 'text/plain', 'string', {quoted: 'invalid Host header'}, 'if', '!{', 'var(txn.host)', '-m', 'len', '0', '}', '!{', 'var(txn.host)', '-m', 'reg', {regex: HOST_HEADER_REGEXES.name}, '}', '!{', 'var(txn.host)', '-m', 'reg', {regex: HOST_HEADER_REGEXES.ipv6}, '}', '{', 'var(txn.host)', '-m', 'found', '}'),
    // A dot segment or an encoded dot or backslash could reach another rule's path once a backend resolves it: 400.
    line('http-request', 'return', 'status', '400', 'content-type', 'text/plain', 'string', {quoted: 'invalid path'}, 'if', '{', 'path', '-m', 'reg', {regex: DOT_SEGMENT_REGEX}, '}'),
    line('http-request', 'return', 'status', '400', 'content-type', 'text/plain', 'string', {quoted: 'invalid path'}, 'if', '{', 'path,lower', '-m', 'sub', '%2e', '%5c', '}'),
    line('http-request', 'return', 'status', '400', 'content-type', 'text/plain', 'string', {quoted: 'invalid path'}, 'if', '{', 'path,hex', '-m', 'reg', {regex: BACKSLASH_HEX_REGEX}, '}'),
    // What the backend learns about the client comes from the proxy, never from the client: forwarding headers
    // are set from the connection, and the ones a client could forge are removed.
    line('http-request', 'set-header', 'X-Forwarded-For', '%[src]'),
    line('http-request', 'set-header', 'X-Real-IP', '%[src]'),
    line('http-request', 'set-header', 'X-Forwarded-Proto', f.protocol === 'https' ? 'https' : 'http'),
    line('http-request', 'del-header', 'Forwarded'),
    line('http-request', 'del-header', 'X-Forwarded-Host'),
    line('http-request', 'del-header', 'X-Forwarded-Port'),
  ]
  // HTTPS Gateway listeners: the listener the SNI selected must be the one the Host belongs to, else 421 (the
  // routing module's misdirected; listenerOf: the exact name, else the longest wildcard suffix, else the listener
  // without a hostname).
  if (detectsMisdirected(f)) {
    const ls = f.tlsListeners!
    const id = (key: string) => `l${ls.findIndex((l) => l.key === key)}`
    const exactL = new Map<string, string>()
    const suffixL = new Map<string, string>()
    for (const l of ls) {
      if (l.hostname === undefined) continue
      if (l.hostname.startsWith('*.')) suffixL.set(l.hostname.slice(1), suffixL.get(l.hostname.slice(1)) ?? id(l.key))
      else exactL.set(l.hostname, exactL.get(l.hostname) ?? id(l.key))
    }
    const lex = `maps/${f.id}.listeners.exact.map`
    const lsx = `maps/${f.id}.listeners.suffix.map`
    files.push({path: lex, content: renderMap(longestFirst(exactL)), mode: 0o644, secret: false})
    files.push({path: lsx, content: renderMap(longestFirst(suffixL)), mode: 0o644, secret: false})
    // A name no listener takes is "-" on both sides (listenerOf's undefined): equal, never a 421 by itself.
    const catchAll = ls.find((l) => l.hostname === undefined)
    const sni = ['{', 'ssl_fc_sni', '-m', 'found', '}']
    const lookup = (v: string, from: string, guard: string[]) => [
      line('http-request', `set-var(${v})`, `${from},map_str(${path.join(opts.configDir, lex)})`, ...(guard.length ? ['if', ...guard] : [])),
      line('http-request', `set-var(${v})`, `${from},map_end(${path.join(opts.configDir, lsx)})`, 'if', ...guard, '!{', `var(${v})`, '-m', 'found', '}'),
      line('http-request', `set-var(${v})`, `str(${catchAll ? id(catchAll.key) : '-'})`, 'if', ...guard, '!{', `var(${v})`, '-m', 'found', '}'),
    ]
    appendAll(lines, lookup('txn.sni_l', 'ssl_fc_sni,lower', sni))
    appendAll(lines, lookup('txn.host_l', 'var(txn.host)', []))
    // (A request without a Host is not misdirected: it goes on to the Host checks and routing, as before.)
    lines.push(line('http-request', 'return', 'status', '421', 'content-type', 'text/plain', 'string', {quoted: 'misdirected request'}, 'if', ...sni, '{', 'var(txn.host)', '-m', 'found', '}', '!{', 'var(txn.sni_l),strcmp(txn.host_l)', 'eq', '0', '}'))
  }
  // Query conditions compare a parameter's first value (as the routing module does): url_param in an ACL would try
  // every occurrence, so the first is kept in a variable per parameter name.
  const queryNames = [...new Set(groups.flatMap((g) => g.chain.flatMap((d) => d.conditions?.query.map((q) => q.name) ?? [])))].sort()
  for (const n of queryNames) lines.push(line('http-request', `set-var(txn.${queryVar(n)})`, `url_param(${n})`))
  // The first decision of a group's chain whose conditions hold takes the request; none: the next stage looks.
  const resolve = (stage: Stage) => {
    for (const g of groups.filter((x) => x.stage === stage)) {
      const inGroup = ['{', 'var(txn.be)', '-m', 'str', g.id, '}']
      for (const d of g.chain) {
        const args: Arg[] = ['set-var(txn.be)', `str(${targetOf(d)})`, 'if', ...inGroup, ...conditionTokens(d)]
        // HAProxy reads at most 64 words a line (more: the whole configuration is refused). A match whose
        // conditions need more is left out (as sync's quarantine would), said on its object; the chain goes on.
        if (args.length + 1 > HAPROXY_MAX_WORDS) {
          diagnostics.push({severity: severityOf('VIP3003'), code: 'VIP3003', object: d.provenance.object, field: d.provenance.field, message: `the match of ${d.host || '*'}${d.match.path} needs a HAProxy line of ${args.length + 1} words (at most ${HAPROXY_MAX_WORDS}): it is left out`})
          continue
        }
        lines.push(line('http-request', ...args))
      }
      if (hasConditions(g.chain[g.chain.length - 1]!)) lines.push(line('http-request', 'unset-var(txn.be)', 'if', ...inGroup))
    }
  }
  lines.push(
    line('http-request', 'set-var-fmt(txn.hp)', {quoted: '%[var(txn.host)]%[path]'}),
    line('http-request', 'set-var(txn.be)', `var(txn.hp),map_str(${ex})`),
    line('http-request', 'set-var(txn.be)', `var(txn.hp),map_beg(${px})`, ...unset),
  )
  resolve('exact')
  lines.push(
    line('http-request', 'set-var-fmt(txn.wp)', {quoted: '*.%[var(txn.host),field(2,.,0)]%[path]'}, ...unset),
    line('http-request', 'set-var(txn.be)', `var(txn.wp),map_str(${ex})`, ...unset),
    line('http-request', 'set-var(txn.be)', `var(txn.wp),map_beg(${px})`, ...unset),
  )
  resolve('wild')
  // Wildcards of more than one label (longest first): '**.' and the host's last N labels, for each N the table has.
  for (const n of [...suffixDepths].sort((a, b) => b - a)) {
    lines.push(line('http-request', 'set-var-fmt(txn.wp)', {quoted: `**.%[var(txn.host),field(-1,.,${n})]%[path]`}, ...unset, '{', 'var(txn.host)', '-m', 'reg', {regex: `[.]([^.]+[.]){${n - 1}}[^.]+$`}, '}'))
    lines.push(line('http-request', 'set-var(txn.be)', `var(txn.wp),map_str(${ex})`, ...unset, '{', 'var(txn.host)', '-m', 'reg', {regex: `[.]([^.]+[.]){${n - 1}}[^.]+$`}, '}'))
    lines.push(line('http-request', 'set-var(txn.be)', `var(txn.wp),map_beg(${px})`, ...unset, '{', 'var(txn.host)', '-m', 'reg', {regex: `[.]([^.]+[.]){${n - 1}}[^.]+$`}, '}'))
    resolve(`deep:${n}`)
  }
  lines.push(line('http-request', 'set-var(txn.be)', `path,map_str(${ex})`, ...unset), line('http-request', 'set-var(txn.be)', `path,map_beg(${px})`, ...unset))
  resolve('any')
  const redirect = table.decisions.find((d) => d.action.kind === 'redirect' && d.action.https)?.action
  if (redirect?.kind === 'redirect') {
    // The Location is built from the normalised host: the client's port (of the plain-HTTP listener) never carries over.
    lines.push(line('http-request', 'redirect', 'location', {quoted: `https://%[var(txn.host)]${redirect.port === undefined ? '' : `:${redirect.port}`}%[pathq]`}, 'code', '308', 'if', '{', 'var(txn.be)', '-m', 'str', REDIRECT, '}'))
  }
  appendAll(lines, policyLines([...policyRoutes.values()], backends, diagnostics))
  if (table.fallback.kind === 'status') lines.push(line('http-request', 'return', 'status', '404', 'content-type', 'text/plain', 'string', {quoted: 'no route'}, 'if', '!{', 'var(txn.be)', '-m', 'found', '}'))
  lines.push(line('use_backend', '%[var(txn.be)]', 'if', '{', 'var(txn.be)', '-m', 'found', '}'))
  if (table.fallback.kind === 'pool') lines.push(line('default_backend', backends.get(table.fallback.pool)!))
  return lines
}

/** The variable holding a query parameter's first value (named from a hash: parameter names are case-sensitive). */
function queryVar(name: string): string {
  return `q_${shortHash(name)}`
}

/**
 * TLS passthrough: the ClientHello is read (up to 5 s), then its SNI name picks the backend: the exact name from one
 * map, else each wildcard depth from the longest (the name's last N labels in a map of wildcard parents); no match
 * closes the connection. The same order as the routing module's decideSni.
 */
/**
 * A TCP frontend's connections split by weight: one draw per connection, then cumulative weights (backend i takes
 * [w1+...+w(i-1), w1+...+wi)); default_backend (the first) is never reached with weights that add up.
 */
function tcpSplit(f: Frontend, tcpBackend: (pool: string) => string): Line[] {
  const split = f.defaultSplit?.backends
  if (!split || split.length < 2) return []
  const total = split.reduce((n, b) => n + b.weight, 0)
  const lines: Line[] = [line('tcp-request', 'content', 'set-var(txn.pick)', `rand(${total})`)]
  let lo = 0
  for (const b of split) {
    lines.push(line('use_backend', tcpBackend(b.pool), 'if', '{', 'var(txn.pick)', '-m', 'int', 'ge', String(lo), '}', '{', 'var(txn.pick)', '-m', 'int', 'lt', String(lo + b.weight), '}'))
    lo += b.weight
  }
  return lines
}

function sniRouting(f: Frontend, tcpBackend: (pool: string) => string, opts: HaproxyOptions, files: HaproxyFile[], diagnostics: Diagnostic[]): Line[] {
  const exact = new Map<string, string>()
  const wild = new Map<string, string>()
  const depths = new Set<number>()
  const splits: Array<Array<{pool: string; weight: number}>> = []
  for (const r of f.routes) {
    const key = r.host.startsWith('*.') ? r.host.slice(2) : r.host
    if (!isToken(key) || key === '') {
      diagnostics.push({severity: severityOf('VIP3003'), code: 'VIP3003', object: r.provenance.object, field: r.provenance.field, message: 'the HAProxy target cannot write this name as a map key; the route is left out'})
      continue
    }
    if (r.host.startsWith('*.') ? wild.has(key) : exact.has(key)) continue
    // A name held by a route without a backend, or fenced for a more specific listener: its connections are closed.
    // A name whose connections split by weight: a marker the draw below turns into a backend.
    const split = r.policy?.split?.backends.filter((b) => b.weight > 0) ?? []
    const value = r.policy?.fail ? CLOSED : split.length > 1 ? `_split_${splits.push(split) - 1}` : tcpBackend(r.pool)
    if (r.host.startsWith('*.')) {
      if (!wild.has(key)) wild.set(key, value)
      depths.add(key.split('.').length)
    } else if (!exact.has(key)) exact.set(key, value)
  }
  const exactFile = `maps/${f.id}.sni.map`
  const wildFile = `maps/${f.id}.sni-wildcard.map`
  const sorted = (m: Map<string, string>) => [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]))
  files.push({path: exactFile, content: renderMap(sorted(exact)), mode: 0o644, secret: false})
  files.push({path: wildFile, content: renderMap(sorted(wild)), mode: 0o644, secret: false})
  // Passed through: the name from the ClientHello, once it has arrived. Terminated: the name the handshake negotiated.
  const sni = f.terminate ? 'ssl_fc_sni' : 'req_ssl_sni'
  const hello = f.terminate ? [] : ['{', 'req_ssl_hello_type', '1', '}']
  const when = hello.length ? ['if', ...hello] : []
  const unset = ['!{', 'var(txn.sni_be)', '-m', 'found', '}']
  const lines: Line[] = [
    ...(f.terminate ? [] : [line('tcp-request', 'inspect-delay', '5s')]),
    line('tcp-request', 'content', 'set-var(txn.sni_be)', `${sni},lower,map_str(${path.join(opts.configDir, exactFile)})`, ...when),
  ]
  // The longest wildcard first: the name's last N labels, for each N the table has (the name must have more).
  for (const n of [...depths].sort((a, b) => b - a))
    lines.push(line('tcp-request', 'content', 'set-var(txn.sni_be)', `${sni},lower,field(-1,.,${n}),map_str(${path.join(opts.configDir, wildFile)})`, 'if', ...hello, ...unset, '{', `${sni},lower`, '-m', 'reg', {regex: `[.]([^.]+[.]){${n - 1}}[^.]+$`}, '}'))
  // Weighted names: one draw per connection, then cumulative weights (as for HTTP splits).
  splits.forEach((split, i) => {
    const marker = ['{', 'var(txn.sni_be)', '-m', 'str', `_split_${i}`, '}']
    lines.push(line('tcp-request', 'content', 'set-var(txn.pick)', `rand(${split.reduce((n, b) => n + b.weight, 0)})`, 'if', ...marker))
    let lo = 0
    for (const b of split) {
      lines.push(line('tcp-request', 'content', 'set-var(txn.sni_be)', `str(${tcpBackend(b.pool)})`, 'if', ...marker, '{', 'var(txn.pick)', '-m', 'int', 'ge', String(lo), '}', '{', 'var(txn.pick)', '-m', 'int', 'lt', String(lo + b.weight), '}'))
      lo += b.weight
    }
  })
  lines.push(line('tcp-request', 'content', 'reject', 'if', '{', 'var(txn.sni_be)', '-m', 'str', CLOSED, '}'))
  if (!f.terminate) lines.push(line('tcp-request', 'content', 'accept', 'if', ...hello))
  lines.push(line('use_backend', '%[var(txn.sni_be)]', 'if', '{', 'var(txn.sni_be)', '-m', 'found', '}'))
  return lines
}

/** A decision's conditions as ACL terms (all must hold): method, a header's whole value, the first query parameter's value. */
function conditionTokens(d: Decision): Arg[] {
  const c = d.conditions
  if (!c) return []
  return [
    ...(c.method ? ['{', 'method', c.method, '}'] : []),
    // "--" ends the ACL's options: a value starting with "-" is a pattern, never an option (-f, -m, -u...).
    ...c.headers.flatMap((h) => ['{', `req.fhdr(${h.name})`, '-m', 'str', '--', {text: h.value}, '}']),
    ...c.query.flatMap((q) => ['{', `var(txn.${queryVar(q.name)})`, '-m', 'str', '--', q.value, '}']),
  ]
}

/** The most words HAProxy reads on one configuration line (MAX_LINE_ARGS): a longer line fails the whole file. */
export const HAPROXY_MAX_WORDS = 64
/** Source networks per line: the line's other words (action, route guard, braces) stay well under 64. */
const SRC_PER_LINE = 40

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

/**
 * The most policy lines (request and response) one object's routes may add to a frontend. Every request on the
 * frontend walks its policy lines (each guarded by a route id), so one tenant's filters would otherwise slow
 * everyone's requests: an object past this answers 500 on its own routes (VIP3003), the others are untouched.
 */
export const MAX_POLICY_LINES_PER_OBJECT = 2048

/**
 * The rules of routes with a policy, each guarded by its route id (txn.rt): redirect, request header rules, rewrite,
 * member timeout, the split's pick, and the response header rules. Header rules run remove, set, add. An object
 * whose routes would add more than MAX_POLICY_LINES_PER_OBJECT lines answers 500 instead (VIP3003).
 */
/** A route id with a policy: its (first) decision and the objects whose decisions share it. */
interface PolicyRoute {
  id: string
  d: Decision
  owners: Set<string>
}

function policyLines(routes: PolicyRoute[], backends: Map<string, string>, diagnostics: Diagnostic[]): Line[] {
  const each = routes.map((r) => ({...r, ...routeLines(r, backends)}))
  // Each object is charged the lines of every id it owns (an id shared by identical decisions: each owner).
  const total = new Map<string, number>()
  const field = new Map<string, string | undefined>()
  for (const r of each)
    for (const o of r.owners) {
      total.set(o, (total.get(o) ?? 0) + r.lines.length + r.response.length)
      if (!field.has(o)) field.set(o, r.d.provenance.object === o ? r.d.provenance.field : undefined)
    }
  const over = new Set([...total].filter(([, n]) => n > MAX_POLICY_LINES_PER_OBJECT).map(([o]) => o))
  for (const o of [...over].sort())
    diagnostics.push({severity: severityOf('VIP3003'), code: 'VIP3003', object: o, field: field.get(o), message: `its routes' filters would add ${total.get(o)} rules to the frontend, which every request there evaluates (at most ${MAX_POLICY_LINES_PER_OBJECT} per object): its routes answer 500`})
  const lines: Line[] = []
  const response: Line[] = []
  for (const r of each) {
    // An id another object within its budget also owns is kept: one tenant's excess never fails another's route.
    if (![...r.owners].every((o) => over.has(o))) {
      appendAll(lines, r.lines)
      appendAll(response, r.response)
      continue
    }
    lines.push(line('http-request', 'set-var(txn.rt)', `str(${r.id})`, 'if', '{', 'var(txn.be)', '-m', 'str', r.id, '}'))
    lines.push(line('http-request', 'return', 'status', '500', 'content-type', 'text/plain', 'string', {quoted: 'route cannot be served'}, 'if', '{', 'var(txn.rt)', '-m', 'str', r.id, '}'))
  }
  return appendAll(lines, response)
}

/** The policy lines of one route: request lines, and response lines (which go after every route's request lines). */
function routeLines({id, d}: PolicyRoute, backends: Map<string, string>): {lines: Line[]; response: Line[]} {
  const lines: Line[] = []
  const response: Line[] = []
  const headerLines = (dir: 'http-request' | 'http-response', h: HeaderRules, cond: string[]): Line[] => [
    ...h.remove.map((n) => line(dir, 'del-header', n, ...cond)),
    ...h.set.map((x) => line(dir, 'set-header', x.name, {text: x.value}, ...cond)),
    ...h.add.map((x) => line(dir, 'add-header', x.name, {text: x.value}, ...cond)),
  ]
  const cond = ['if', '{', 'var(txn.rt)', '-m', 'str', id, '}']
  // The route id is kept in txn.rt (txn.be becomes the backend): each route's lines start by setting it for itself.
  lines.push(line('http-request', 'set-var(txn.rt)', `str(${id})`, 'if', '{', 'var(txn.be)', '-m', 'str', id, '}'))
  // Source ranges first: a connection's source address (src: the PROXY protocol's where the listener accepts it).
  // Source ranges in lines of at most SRC_PER_LINE networks (HAProxy reads 64 words a line): a denied network
  // in any of them is refused; for an allow list, a match in any of them marks the request (txn.src_ok).
  if (d.access?.deny.length) for (const part of chunks(d.access.deny, SRC_PER_LINE)) lines.push(line('http-request', 'deny', 'deny_status', '403', ...cond, '{', 'src', ...part, '}'))
  if (d.access?.allow.length && d.access.allow.length <= SRC_PER_LINE) lines.push(line('http-request', 'deny', 'deny_status', '403', ...cond, '!{', 'src', ...d.access.allow, '}'))
  else if (d.access?.allow.length) {
    for (const part of chunks(d.access.allow, SRC_PER_LINE)) lines.push(line('http-request', 'set-var(txn.src_ok)', 'bool(1)', ...cond, '{', 'src', ...part, '}'))
    lines.push(line('http-request', 'deny', 'deny_status', '403', ...cond, '!{', 'var(txn.src_ok)', '-m', 'bool', '}'))
  }
  const prefix = d.match.pathType === 'Prefix' ? d.match.path : undefined
  const a = d.action
  if (a.kind === 'redirect') {
    // The path is replaced first (the query stays), then the Location is built from the normalised host and pathq.
    if (a.path?.kind === 'full') lines.push(line('http-request', 'set-path', a.path.value, ...cond))
    // (The model keeps prefix replacements to Prefix rules: see exactPathKept.)
    else if (a.path?.kind === 'prefix' && prefix !== undefined) lines.push(line('http-request', 'set-path', {pathPrefix: {from: prefix, to: a.path.value}}, ...cond))
    lines.push(line('http-request', 'redirect', 'location', {quoted: `${a.scheme}://${a.host ?? '%[var(txn.host)]'}${a.port !== undefined ? `:${a.port}` : ''}%[pathq]`}, 'code', String(a.code), ...cond))
    return {lines, response}
  }
  if (a.kind === 'status') {
    // A rule that cannot be served as written answers for itself; it never reaches another rule's backend.
    lines.push(line('http-request', 'return', 'status', String(a.code), 'content-type', 'text/plain', 'string', {quoted: a.code === 404 ? 'no route' : 'route cannot be served'}, ...cond))
    return {lines, response}
  }
  const f = d.filters
  if (f?.cors) {
    // CORS as the routing module decides it (corsAllows, corsResponse): the Origin kept when a pattern allows it;
    // a preflight answered here (200 with the headers, 204 without for another origin); actual requests' responses
    // get the headers. Values are the policy's lists or the request's own (full) headers, never re-read text.
    const c = f.cors
    // Exactly one Origin header: the value checked is the value echoed (with several, none is allowed).
    for (const o of c.allowOrigins) lines.push(line('http-request', 'set-var(txn.cors_o)', 'req.fhdr(origin)', ...cond, '{', 'req.fhdr_cnt(origin)', 'eq', '1', '}', '{', 'req.fhdr(origin)', '-m', 'reg', '-i', {regex: corsOriginRegex(o)}, '}'))
    const preflight = ['METH_OPTIONS', '{', 'req.fhdr(origin)', '-m', 'found', '}', '{', 'req.fhdr(access-control-request-method)', '-m', 'found', '}']
    const hdrs = (pairs: Array<[string, string]>) => pairs.flatMap(([n, v]) => ['hdr', n, {quoted: v}])
    const echo = {requestMethod: '%[req.fhdr(access-control-request-method)]', requestHeaders: '%[req.fhdr(access-control-request-headers)]'}
    lines.push(line('http-request', 'return', 'status', '200', ...hdrs(corsResponse(c, '%[var(txn.cors_o)]', true, echo)), ...cond, ...preflight, '{', 'var(txn.cors_o)', '-m', 'found', '}'))
    lines.push(line('http-request', 'return', 'status', '204', ...cond, ...preflight))
    for (const [n, v] of corsResponse(c, '%[var(txn.cors_o)]', false, {})) response.push(line('http-response', 'set-header', n, {quoted: v}, ...cond, '{', 'var(txn.cors_o)', '-m', 'found', '}'))
  }
  if (f?.requestHeaders) appendAll(lines, headerLines('http-request', f.requestHeaders, cond))
  if (f?.rewrite?.host) lines.push(line('http-request', 'set-header', 'Host', f.rewrite.host, ...cond))
  const rp = f?.rewrite?.path
  if (rp?.kind === 'full') lines.push(line('http-request', 'set-path', rp.value, ...cond))
  else if (rp?.kind === 'prefix' && prefix !== undefined) lines.push(line('http-request', 'set-path', {pathPrefix: {from: prefix, to: rp.value}}, ...cond))
  // The member timeout is a backend setting: the route leaves it in txn.tmo (ms) and its backends apply it.
  if (f?.timeoutMs !== undefined) lines.push(line('http-request', 'set-var(txn.tmo)', `int(${f.timeoutMs})`, ...cond))
  if (a.split) {
    // One draw per request, then cumulative weights: backend i takes [w1+...+w(i-1), w1+...+wi).
    const total = a.split.reduce((n, b) => n + b.weight, 0)
    lines.push(line('http-request', 'set-var(txn.pick)', `rand(${total})`, ...cond))
    let lo = 0
    for (const b of a.split) {
      const picked = [...cond, '{', 'var(txn.pick)', '-m', 'int', `ge`, String(lo), '}', '{', 'var(txn.pick)', '-m', 'int', 'lt', String(lo + b.weight), '}']
      lines.push(line('http-request', 'set-var(txn.be)', `str(${backends.get(b.pool)!})`, ...picked))
      // The backendRef's own request header modifiers: after the rule's, for the requests it is picked for.
      if (b.requestHeaders) appendAll(lines, headerLines('http-request', b.requestHeaders, picked))
      lo += b.weight
    }
  } else lines.push(line('http-request', 'set-var(txn.be)', `str(${backends.get(a.pool)!})`, ...cond))
  if (f?.responseHeaders) appendAll(response, headerLines('http-response', f.responseHeaders, cond))
  return {lines, response}
}

/** Writes one PEM per Secret (name from a hash of namespace/name) and a crt-list for the frontend; undefined when no certificate is usable. */
function certificates(
  f: Frontend,
  secrets: SecretLookup,
  certFiles: Map<string, string>,
  files: HaproxyFile[],
  diagnostics: Diagnostic[],
  opts: HaproxyOptions,
): string | undefined {
  const lines: string[] = []
  for (const c of f.certificates) {
    let file = certFiles.get(c.secret)
    if (!file) {
      const v = secrets(c.secret)
      if (!v?.ok) {
        diagnostics.push({severity: severityOf('VIP2004'), code: 'VIP2004', object: c.provenance.object, field: c.provenance.field, message: `Secret ${c.secret}: ${v ? v.problem : 'not found'}; its hosts are not served over TLS`})
        continue
      }
      file = certFileName(c.secret)
      certFiles.set(c.secret, file)
      // Only what validateTls parsed and re-encoded: the certificates, then the key (the file is secret, 0600 from creation).
      const pem = `${v.material.chain}${v.material.key.reveal().toString('utf8')}`
      files.push({path: file, content: pem, mode: 0o600, secret: true})
    }
    lines.push(`${path.join(opts.configDir, file)}${c.hosts.length ? ` ${c.hosts.join(' ')}` : ''}`)
  }
  if (lines.length === 0) {
    diagnostics.push({severity: severityOf('VIP2004'), code: 'VIP2004', object: f.provenance[0]!.object, field: 'spec.tls', message: `no usable certificate for ${hostPort(f.address, f.port)}; the HTTPS frontend is left out`})
    return undefined
  }
  // The last line without SNI filters doubles as the default certificate.
  const first = lines[0]!.split(' ')[0]!
  const crtList = `certs/${f.id}.crtlist`
  files.push({path: crtList, content: `${[...new Set([...lines, first])].join('\n')}\n`, mode: 0o644, secret: false})
  return crtList
}

/**
 * certs/<namespace>_<name>.pem; names longer than a file name allows become
 * certs/_<sha256>.pem. A Kubernetes namespace holds no "_" and cannot start
 * with one, so the two forms never meet: unique by construction.
 */
export function certFileName(secret: string): string {
  const [ns, name] = secret.split('/') as [string, string]
  const readable = `${ns}_${name}`
  return readable.length <= 200 ? `certs/${readable}.pem` : `certs/_${createHash('sha256').update(secret).digest('hex')}.pem`
}

/** certs/ca_<namespace>_<name>.pem (public certificates); a hash beyond file-name length, as certFileName. */
function caFile(secret: string): string {
  const [ns, name] = secret.split('/') as [string, string]
  const readable = `ca_${ns}_${name}`
  return readable.length <= 200 ? `certs/${readable}.pem` : `certs/ca__${createHash('sha256').update(secret).digest('hex')}.pem`
}

function backendSection(pool: Pool, name: string, mode: 'http' | 'tcp', opts: HaproxyOptions, diagnostics: Diagnostic[], files: HaproxyFile[]): Section {
  const m = pool.monitor
  const lines: Line[] = [line('mode', mode), line('balance', pool.lbMethod)]
  // A pool its policy cannot be honoured for answers for itself: 503, or a closed connection, never its members.
  if (pool.unservable) lines.push(mode === 'http' ? line('http-request', 'return', 'status', '503', 'content-type', 'text/plain', 'string', {quoted: 'backend TLS policy cannot be applied'}) : line('tcp-request', 'content', 'reject'))
  if (pool.lbMethod === 'source') lines.push(line('hash-type', 'consistent'))
  if (m.kind === 'http' && !isToken(m.path)) {
    // Cannot happen while probePath's grammar is inside the token grammar; if it ever does, this pool falls back to a TCP check.
    diagnostics.push({severity: severityOf('VIP3003'), code: 'VIP3003', object: m.provenance?.object ?? pool.provenance[0]!.object, field: m.provenance?.field, message: 'the HAProxy target cannot write this probe path; a TCP check is used'})
  } else if (m.kind === 'http') {
    // The probe's headers go with the check (hdr NAME VALUE pairs); its success range is the kubelet's unless the model says otherwise.
    const hdrs = (m.headers ?? []).flatMap((h) => ['hdr', h.name, {text: h.value}] as const)
    lines.push(line('option', 'httpchk'), line('http-check', 'send', 'meth', 'GET', 'uri', m.path, ...hdrs), line('http-check', 'expect', 'status', `${m.expect?.min ?? 200}-${m.expect?.max ?? 399}`))
  }
  lines.push(line('timeout', 'check', `${m.timeoutMs}ms`))
  const t = pool.timeouts
  if (t?.connectMs !== undefined) lines.push(line('timeout', 'connect', `${t.connectMs}ms`))
  if (t?.serverMs !== undefined) lines.push(line('timeout', 'server', `${t.serverMs}ms`))
  if (t?.tunnelMs !== undefined) lines.push(line('timeout', 'tunnel', `${t.tunnelMs}ms`))
  if (pool.cookie && mode === 'http') {
    // Cookie persistence: HAProxy inserts the cookie; its value comes from the member's address (dynamic), so a
    // member moved by the runtime API keeps working without per-server configuration.
    lines.push(line('cookie', pool.cookie.name, 'insert', 'indirect', 'nocache', 'httponly', 'dynamic'), line('dynamic-cookie-key', shortHash(`${pool.namespace}/${pool.service}/${pool.port}`)))
  } else if (pool.cookie && mode === 'tcp') {
    diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: pool.cookie.provenance.object, field: pool.cookie.provenance.field, message: `cookie persistence needs HTTP: the TCP traffic of ${name} is balanced per connection${pool.persistence ? ' (or by source address)' : ''}`})
  }
  if (pool.retries && mode === 'http') {
    // A retry goes to another member when there is one (redispatch on every retry, as the defaults say too).
    const on = pool.retries.on.map((c) => (c === 'connect-failure' ? 'conn-failure' : String(c)))
    lines.push(line('retries', String(pool.retries.count)), line('retry-on', ...on), line('option', 'redispatch', '1'))
  } else if (pool.retries) {
    const onlyConnect = pool.retries.on.every((c) => c === 'connect-failure')
    lines.push(line('retries', String(pool.retries.count)), line('option', 'redispatch', '1'))
    if (!onlyConnect) diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: pool.retries.provenance.object, field: pool.retries.provenance.field, message: `TCP traffic of ${name} can only be retried when the connection fails; the other retry conditions apply to HTTP only`})
  }
  if (pool.persistence?.kind === 'source') {
    // Source affinity: a client's member is remembered (IPv4 clients as mapped addresses) until idle this long.
    lines.push(line('stick-table', 'type', 'ipv6', 'size', '1m', 'expire', `${pool.persistence.timeoutSeconds}s`), line('stick', 'on', 'src'))
  }
  // How the proxy speaks to members. HTTPS: verified against the Secret's CA (written as a file) or the system
  // CAs, SNI and host name check for the server name; checks go over the same TLS. h2c: HTTP/2 in clear (HTTP only).
  const bp = pool.backendProtocol
  const speak: string[] = []
  // A BackendTLSPolicy re-encrypts HTTP only: TCP routes and TLS passthrough carry the client's bytes as they are.
  const policyOnTcp = bp?.kind === 'https' && mode === 'tcp' && bp.provenance.object.startsWith('BackendTLSPolicy/')
  if (policyOnTcp) diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: bp.provenance.object, field: bp.provenance.field, message: `not applied to the TCP and TLS passthrough traffic of ${pool.id}, which goes to its members as it is`})
  if (bp?.kind === 'https' && pool.external?.port !== 443 && !policyOnTcp) {
    const ca = bp.ca ? path.join(opts.configDir, caFile(bp.ca.secret)) : '@system-ca'
    if (bp.ca && !files.some((f) => f.path === caFile(bp.ca!.secret))) files.push({path: caFile(bp.ca.secret), content: bp.ca.pem, mode: 0o644, secret: false})
    speak.push('ssl', 'verify', 'required', 'ca-file', ca, ...(bp.serverName ? ['sni', `str(${bp.serverName})`, 'verifyhost', bp.serverName] : []))
    // HTTP/1.1 by ALPN, or HTTP/2 for gRPC members (a GRPCRoute sends to them).
    if (mode === 'http') speak.push('alpn', bp.http2 ? 'h2' : 'http/1.1')
  } else if (bp?.kind === 'h2c' && mode === 'http') speak.push('proto', 'h2', ...(m.kind === 'http' ? ['check-proto', 'h2'] : []))
  else if (bp?.kind === 'h2c')
    diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: bp.provenance.object, field: bp.provenance.field, message: `TCP traffic of ${name} is passed through as it is; h2c applies to HTTP routes`})
  if (pool.proxyProtocol) speak.push(pool.proxyProtocol.version === 2 ? 'send-proxy-v2' : 'send-proxy')
  if (pool.maxConnections) speak.push('maxconn', String(pool.maxConnections.value))
  const tlsCheck = m.kind === 'http' && m.tls && bp?.kind !== 'https' ? ['check-ssl', 'verify', 'none'] : []
  const check = ['check', ...tlsCheck, 'inter', `${m.intervalMs}ms`, 'fall', String(m.fall), 'rise', String(m.rise), ...(m.port ? ['port', String(m.port)] : []), ...speak]
  const meta: BackendMeta = {namespace: pool.namespace, service: pool.service, port: pool.port}
  if (pool.external) {
    // One server that HAProxy resolves itself; no slots, so the runtime planner never moves it. Port 443: TLS, the
    // certificate verified against the system CAs for that name (SNI and host name check).
    const {name: host, port} = pool.external
    const tls = port === 443 ? ['ssl', 'verify', 'required', 'ca-file', '@system-ca', 'sni', `str(${host})`, 'verifyhost', host] : []
    const servers = {list: [{name: slotName(0), address: host, port, disabled: false}], options: ['resolvers', RESOLVERS, 'init-addr', 'none', 'resolve-prefer', 'ipv4', ...tls, ...check], resolved: true}
    return {kind: 'backend', name, lines, servers, comment: `${pool.namespace}/${pool.service}:${pool.port} (ExternalName ${host})`, meta}
  }
  return {kind: 'backend', name, lines, servers: {list: serverList(pool, name, opts), options: check, resolved: false}, comment: `${pool.namespace}/${pool.service}:${pool.port}`, meta}
}

/**
 * A backend's server lines: its pool's members on slots (serverSlots), the empty ones spare and disabled. The one
 * mapping from members to servers: the full render and sync's endpoint-only patch (src/sync/incremental.ts) use it.
 */
export function serverList(pool: Pool, backend: string, opts: Pick<HaproxyOptions, 'slots' | 'spareSlots' | 'slotCounts'>): Server[] {
  return serverSlots(pool, backend, opts).map((s) =>
    s.member
      ? {name: s.name, address: s.member.address, port: s.member.port, disabled: !s.member.ready, ...(s.member.weight !== undefined ? {weight: s.member.weight} : {}), ...(s.member.pod ? {pod: s.member.pod} : {}), ...(s.member.node ? {node: s.member.node} : {})}
      : {name: s.name, ...SPARE, disabled: true},
  )
}

/** At most this many server slots are made for Pods a workload asks for but the input does not hold. */
export const EXPECTED_SLOTS_MAX = 64

export interface Slot {
  name: string
  member?: Member
}

/**
 * Members onto server slots: a member keeps the slot it has (opts.slots), new
 * members take the lowest free slots, and `spareSlots` free ones remain.
 */
export function serverSlots(pool: Pool, backend: string, opts: Pick<HaproxyOptions, 'slots' | 'spareSlots' | 'slotCounts'>): Slot[] {
  const keep = opts.slots?.get(backend) ?? new Map<string, string>()
  const byName = new Map<string, Member>()
  const placed = new Set<Member>()
  for (const m of pool.members) {
    const s = keep.get(hostPort(m.address, m.port))
    if (s && !byName.has(s)) {
      byName.set(s, m)
      placed.add(m)
    }
  }
  const running = opts.slotCounts?.get(backend) ?? 0
  // Pods a workload asks for but the input does not hold yet get slots now, so that their arrival needs no
  // reload; bounded (EXPECTED_SLOTS_MAX), since replicas comes from the object.
  const expected = Math.min(EXPECTED_SLOTS_MAX, pool.expected.reduce((n, e) => n + (e.replicas ?? e.nodes ?? 0), 0))
  const wanted = Math.max(pool.members.length, expected)
  const total = running > 0 && wanted <= running ? running : maxOf([...byName.keys()].map((n) => Number(n.slice(4))), wanted + opts.spareSlots)
  const slots: Slot[] = []
  const rest = pool.members.filter((m) => !placed.has(m))
  for (let i = 0; i < total; i++) {
    const name = slotName(i)
    slots.push({name, member: byName.get(name)})
  }
  for (const s of slots) if (!s.member && rest.length > 0) s.member = rest.shift()
  return slots
}
