/**
 * The sync loop: reflectors keep a cache of what the API server says; changes
 * are batched (debounce), the model rebuilt from the cache and planned against
 * the running HAProxy; endpoint-only plans go through the runtime API,
 * structural ones reload at most once per --min-reload-interval; VIP rules
 * follow; a periodic resync repairs drift (server state changed by hand, our
 * nft table flushed). Invalid objects are quarantined (left out and logged),
 * never blocking the others.
 */
import {setMaxListeners} from 'node:events'
import {compile, type Compiled} from '../model/compile.js'
import {intakeObject, addToSnapshot, sortSnapshot, type IntakeResult} from '../cluster/intake.js'
import {GATEWAY_RESOURCES, NAMESPACES, pageBudget, readByName, RESOURCES, wantedConfigMaps, wantedSecrets, withKind} from '../cluster/live.js'
import type {RestClient} from '../core/kube-rest.js'
import {emptySnapshot, type Diagnostic, type Snapshot} from '../cluster/types.js'
import {oneLine, PermissionError, UnavailableError} from '../errors.js'
import {NotFoundError} from '../core/kube-rest.js'
import {prepareHaproxy} from '../apply/haproxy/service.js'
import type {HaproxyIO, HaproxyTarget} from '../apply/haproxy/apply.js'
import {applyVip, type VipIO, type VipTarget} from '../apply/vip/apply.js'
import {rulesFor} from '../apply/vip/service.js'
import type {ModelOptions} from '../model/types.js'
import type {HaproxyOptions} from '../targets/haproxy/generate.js'
import {backoffDelay, Reflector, typedError, type ReflectorOptions, type RawObject} from './reflector.js'
import type {Logger, SyncMetrics} from './runtime.js'
import type {Clock} from '../core/clock.js'
import {LeaderElector, type LeaseOptions} from './lease.js'
import {StatusWriter} from './status.js'
import {changeMatters, planEndpointPatch, podChangesKeepModel, renderPatchedFiles, sliceObjectKey, type LastReconcile, type PodChange} from './incremental.js'
import {SERVICE_NAME_LABEL} from '../cluster/derive.js'
import {command, parseServersState} from '../core/haproxy-runtime.js'
import {writeTree} from '../core/files.js'
import {OWNED_DIRS, sendServerCommands} from '../apply/haproxy/apply.js'
import type {EndpointSlice, Pod} from '../cluster/types.js'

/**
 * How long (ms) haproxy.cfg and the index may lag behind endpoint-only runtime updates: they are written once no
 * change came for this long (a burst of endpoint changes writes them once), before any full reconcile, and when
 * sync stops. HAProxy runs the new state at once; the files only matter to a later reload.
 */
export const FILES_FLUSH_MS = 1000

/** The most CA ConfigMaps one refresh pass reads (each a GET to the API server). */
export const CA_REFRESH_BATCH = 100

export interface SyncOptions {
  namespace?: string
  context: string
  model: ModelOptions
  haproxy: HaproxyOptions
  target: HaproxyTarget
  debounceMs: number
  minReloadIntervalMs: number
  resyncMs: number
  /**
   * How often (ms) the ConfigMaps BackendTLSPolicies name as CA bundles are re-read by name (they are never watched:
   * the node agent has only "get" on ConfigMaps); a changed one triggers a reconcile. 0: only at the full resync.
   */
  caRefreshMs?: number
  vip?: VipTarget
  reflector: Omit<ReflectorOptions, 'namespace'>
  /** Write the status vipctl owes (Gateway API, Ingress and Service load-balancer status) while holding this Lease. */
  status?: {lease: LeaseOptions}
}

export interface SyncIO {
  client: RestClient
  haproxy: HaproxyIO
  vip: VipIO
  clock: Clock
  log: Logger
  metrics: SyncMetrics
}

export type ReconcileResult = 'none' | 'runtime' | 'reload' | 'deferred' | 'failed'

export interface ReconcileSummary {
  result: ReconcileResult
  commands: number
  vipChanged: boolean
  quarantined: string[]
  diagnostics: Diagnostic[]
  error?: string
}

export class SyncLoop {
  readonly reflectors: Reflector[]
  /** A reconcile succeeded and the last one did not fail. */
  ready = false
  lastError?: string
  /** The error behind the last failed reconcile (for --once to exit with its code). */
  lastFailure?: unknown
  reconciles = 0
  private pendingSince?: number
  private dirty = false
  private wakeUp?: () => void
  private lastReload = -Infinity
  private readonly memo = new Map<string, {rv: string; res: IntakeResult}>()
  private readonly secrets = new Map<string, RawObject>()
  private readonly configMaps = new Map<string, RawObject>()
  /** The ConfigMaps the last snapshot wanted (namespace/name). */
  private wantedConfigMaps = new Set<string>()
  /** Where the next CA refresh pass starts in the sorted wanted ConfigMaps. */
  private caCursor = 0
  private quarantined = new Set<string>()
  /** EndpointSlices (store keys) changed since the last reconcile; the only changes an endpoint-only patch takes. */
  private endpointKeys = new Set<string>()
  /** Pods (store keys) changed since the last reconcile: endpoint-only too while no pool's health check changes. */
  private podKeys = new Set<string>()
  /** Other objects modified since the last reconcile ("resource/key"): nothing to do while only their status changed. */
  private modifiedKeys = new Set<string>()
  /** Some other change (or a list, a failure, a deferred reload) is pending: the next reconcile is a full one. */
  private needFull = true
  /** What made the pending reconcile a full one (for the log): the first such change since the last reconcile. */
  private fullTrigger?: string
  /** What the last full reconcile built, patched by endpoint-only changes since. */
  private last?: LastReconcile
  /** EndpointSlice store keys per Service ("namespace/name"), as of the memo. */
  private slicesBySvc = new Map<string, Set<string>>()
  /** Pod store keys per namespace, as of the memo. */
  private podsByNs = new Map<string, Set<string>>()
  /** When haproxy.cfg and the index started to lag behind runtime updates (undefined: they do not). */
  private filesDirtyAt?: number
  /** The one status writer across nodes: set when status writing is on. */
  readonly elector?: LeaderElector
  private readonly statusWriter?: StatusWriter

  constructor(
    private readonly opts: SyncOptions,
    private readonly io: SyncIO,
  ) {
    // Gateway API kinds (empty while their CRDs are not installed) and Namespaces (labels, for listener selectors).
    this.reflectors = [...RESOURCES, ...GATEWAY_RESOURCES, NAMESPACES].map((r) => new Reflector(r, io.client, {...opts.reflector, namespace: opts.namespace}, io, (res, kind, key) => this.changed(res, kind, key)))
    if (opts.status) {
      this.elector = new LeaderElector(io.client, opts.status.lease, io)
      this.statusWriter = new StatusWriter(io.client, io.log)
    }
  }

  /** The leader writes what the model owes in status (never throws; a failure is logged and retried next round). */
  private async writeStatus(compiled: Compiled): Promise<void> {
    if (!this.statusWriter || !this.elector?.leader) return
    const store = (r: string) => this.reflectors.find((x) => x.resource.resource === r)?.store
    const elector = this.elector
    const res = await this.statusWriter.write(compiled.model, {gatewayclasses: store('gatewayclasses'), gateways: store('gateways'), listenersets: store('listenersets'), httproutes: store('httproutes'), grpcroutes: store('grpcroutes'), tcproutes: store('tcproutes'), tlsroutes: store('tlsroutes'), udproutes: store('udproutes'), backendtlspolicies: store('backendtlspolicies'), ingresses: store('ingresses'), services: store('services')}, new Date(this.io.clock.now()), () => elector.holds(), {removeStale: this.opts.namespace === undefined})
    this.io.metrics.statusWrites.inc({result: 'written'}, res.written.length)
    this.io.metrics.statusWrites.inc({result: 'conflict'}, res.conflicts.length)
    this.io.metrics.statusWrites.inc({result: 'failed'}, res.failed.length)
    // A conflict means the object changed: its watch event brings the next round. A failure (RBAC, validation)
    // waits for the next change or the periodic resync: never a tight loop of rebuilds and writes.
  }

  /** Tries to acquire or renew the Lease every retry period until aborted; a new leader writes status at once. */
  private async elect(signal: AbortSignal): Promise<void> {
    const e = this.elector!
    while (!signal.aborted) {
      const was = e.leader
      await e.tick()
      this.io.metrics.leader.set(e.leader ? 1 : 0)
      if (e.leader && !was) this.changed('lease', 'list')
      await this.io.clock.sleep(this.opts.status!.lease.retryPeriodMs, signal)
    }
    await e.release()
    this.io.metrics.leader.set(0)
  }

  private changed(resource: string, kind: string, key?: string): void {
    if (resource === 'endpointslices' && kind !== 'list' && key !== undefined) this.endpointKeys.add(key)
    else if (resource === 'pods' && kind !== 'list' && key !== undefined) this.podKeys.add(key)
    else if (kind === 'MODIFIED' && key !== undefined) this.modifiedKeys.add(`${resource}/${key}`)
    else {
      this.needFull = true
      this.fullTrigger ??= `${resource} ${kind}${key === undefined ? '' : ` ${key}`}`
    }
    this.pendingSince ??= this.io.clock.now()
    this.dirty = true
    this.wakeUp?.()
  }

  /** Sleeps until ms pass, a change arrives or the loop stops (no timer or listener is left behind). */
  private async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.dirty || signal.aborted) return
    const ctrl = new AbortController()
    const onAbort = () => ctrl.abort()
    signal.addEventListener('abort', onAbort, {once: true})
    this.wakeUp = () => ctrl.abort()
    try {
      await this.io.clock.sleep(ms, ctrl.signal)
    } finally {
      this.wakeUp = undefined
      signal.removeEventListener('abort', onAbort)
    }
  }

  /** The cache as a Snapshot; invalid objects become diagnostics (memoised per resourceVersion). */
  async snapshot(refreshSecrets: boolean): Promise<Snapshot> {
    const origin = {source: 'api' as const, server: this.io.client.server}
    const snap = emptySnapshot({kind: 'live', context: this.opts.context, server: this.io.client.server})
    const seen = new Set<string>()
    const slicesBySvc = new Map<string, Set<string>>()
    const podsByNs = new Map<string, Set<string>>()
    const take = (resource: string, key: string, raw: RawObject) => {
      const mk = `${resource}/${key}`
      seen.add(mk)
      const rv = raw.metadata?.resourceVersion ?? ''
      let hit = this.memo.get(mk)
      if (!hit || hit.rv !== rv || rv === '') {
        hit = {rv, res: intakeObject(withKind(raw, resource), origin)}
        this.memo.set(mk, hit)
      }
      if (hit.res.diagnostic) snap.diagnostics.push(hit.res.diagnostic)
      if (resource === 'endpointslices' && hit.res.object) {
        const svc = serviceOfSlice(hit.res.object as EndpointSlice)
        slicesBySvc.set(svc, (slicesBySvc.get(svc) ?? new Set()).add(key))
      }
      if (resource === 'pods' && hit.res.object) {
        const ns = hit.res.object.metadata.namespace ?? 'default'
        podsByNs.set(ns, (podsByNs.get(ns) ?? new Set()).add(key))
      }
      if (hit.res.object) {
        const dup = addToSnapshot(snap, hit.res.object, origin)
        if (dup) snap.diagnostics.push(dup)
      }
    }
    for (const r of this.reflectors) for (const [key, raw] of r.store) take(r.resource.resource, key, raw)
    // TLS Secrets: read by name (never listed or watched), when first referenced and at every resync.
    await this.readByName('Secret', new Set(wantedSecrets(snap)), this.secrets, refreshSecrets, snap)
    for (const [key, raw] of this.secrets) take('secrets', key, raw)
    // BackendTLSPolicies' CA ConfigMaps: read by name like TLS Secrets (when first named, and at every resync); one
    // not there or not readable makes the policy fail closed (the model says so).
    this.wantedConfigMaps = new Set(wantedConfigMaps(snap))
    await this.readByName('ConfigMap', this.wantedConfigMaps, this.configMaps, refreshSecrets, snap)
    for (const [key, raw] of this.configMaps) take('configmaps', key, raw)
    for (const k of [...this.memo.keys()]) if (!seen.has(k)) this.memo.delete(k)
    this.slicesBySvc = slicesBySvc
    this.podsByNs = podsByNs
    return sortSnapshot(snap)
  }

  /**
   * Objects read by name (never listed or watched) into `cache`: the ones in `wanted` not cached yet, or all of them
   * with `refresh`; others leave the cache. A reply that is not the object fails the reconcile (the proxy keeps its
   * state), never reads as "none"; a 403 is VIP1005. `only`: read just these (of `wanted`). True when an object
   * read appeared, went or changed (resourceVersion).
   */
  private async readByName(kind: 'Secret' | 'ConfigMap', wanted: Set<string>, cache: Map<string, RawObject>, refresh: boolean, snap: Snapshot, only?: string[]): Promise<boolean> {
    for (const key of [...cache.keys()]) if (!wanted.has(key)) cache.delete(key)
    const keys = only ?? [...wanted].sort().filter((k) => refresh || !cache.has(k))
    const got = await readByName(this.io.client, snap, kind, keys)
    const rv = (raw: unknown) => (raw as RawObject | undefined)?.metadata?.resourceVersion
    let changed = false
    for (const key of keys) {
      const raw = got.get(key) as RawObject | undefined
      changed ||= cache.has(key) !== (raw !== undefined) || rv(cache.get(key)) !== rv(raw)
      if (raw) cache.set(key, raw)
      else cache.delete(key)
    }
    return changed
  }

  /**
   * Re-reads the CA ConfigMaps the model uses, by name; true when one appeared, went or changed (resourceVersion).
   * The cache takes what was read. A failed read is false: the full resync reads them again.
   */
  private async caBundlesChanged(): Promise<boolean> {
    if (this.wantedConfigMaps.size === 0) return false
    // At most CA_REFRESH_BATCH GETs a pass, in turns: tenants decide how many bundles their policies name.
    const all = [...this.wantedConfigMaps].sort()
    const start = this.caCursor % all.length
    const keys = [...all, ...all].slice(start, start + Math.min(CA_REFRESH_BATCH, all.length))
    this.caCursor = start + keys.length
    const scratch = emptySnapshot({kind: 'live', context: this.opts.context, server: this.io.client.server})
    return this.readByName('ConfigMap', this.wantedConfigMaps, this.configMaps, true, scratch, keys).catch(() => false)
  }

  /** One reconcile: cache -> model -> plan -> VIP rules (bind mode) -> runtime update, reload (rate-limited) or nothing -> VIP rules (dnat mode). */
  async reconcile(full: boolean): Promise<ReconcileSummary> {
    const {clock, log, metrics} = this.io
    const since = this.pendingSince
    this.pendingSince = undefined
    this.dirty = false
    const started = clock.now()
    // Never program a state built from a failed or malformed list: the proxy keeps what it has until the lists are whole again.
    const stale = this.reflectors.find((r) => r.error !== undefined)
    if (stale) return this.failed('list', new UnavailableError(stale.error!), since)
    const endpointKeys = this.endpointKeys
    const podKeys = this.podKeys
    const modifiedKeys = this.modifiedKeys
    this.endpointKeys = new Set()
    this.podKeys = new Set()
    this.modifiedKeys = new Set()
    const changedObject = !full && !this.needFull && this.last ? this.modelChanged(modifiedKeys) : undefined
    const needFull = full || this.needFull || !this.last || changedObject !== undefined
    const trigger = full ? 'resync' : !this.last ? 'start' : (this.fullTrigger ?? (changedObject ? `${changedObject} MODIFIED` : 'retry'))
    this.needFull = false
    this.fullTrigger = undefined
    if (!needFull && endpointKeys.size + podKeys.size + modifiedKeys.size > 0) {
      const patched = await this.patchEndpoints(endpointKeys, podKeys, since, modifiedKeys.size > 0)
      if (patched) return patched
    }
    let snap: Snapshot
    try {
      snap = await this.snapshot(full)
    } catch (error) {
      return this.failed('snapshot', error, since)
    }
    // The model is built once per reconcile: the HAProxy plan and the VIP rules derive from it.
    let compiled: Compiled
    metrics.builds.inc()
    if (trigger !== 'start' && trigger !== 'resync') log.info('full reconcile', {trigger})
    try {
      compiled = compile(snap, this.opts.model)
    } catch (error) {
      return this.failed('model', error, since)
    }
    const prepared = await prepareHaproxy(compiled, this.opts.haproxy, this.opts.target, this.io.haproxy, true).catch((e: unknown) => e as Error)
    if (prepared instanceof Error) return this.failed('plan', prepared, since)
    const diagnostics = prepared.diagnostics
    const quarantined = this.quarantine(diagnostics)
    const plan = prepared.planned.plan
    if (plan.kind === 'reload' && started - this.lastReload < this.opts.minReloadIntervalMs) {
      // Too soon after the last reload: keep the change pending and come back when allowed.
      this.pendingSince = since ?? started
      this.dirty = false
      this.needFull = true
      metrics.reconciles.inc({result: 'deferred'})
      return {result: 'deferred', commands: 0, vipChanged: false, quarantined, diagnostics}
    }
    let result: ReconcileResult
    let commands = 0
    // The node's VIP rules, from the same model. In bind mode they come first: HAProxy binds the VIP addresses, so
    // a new VIP must be on the node before the reload that binds it (else every reload fails and is rolled back).
    // In dnat mode they come after: the rules send traffic to ports the new HAProxy listens on.
    const vipFirst = this.opts.vip?.mode === 'bind'
    const applyVipRules = async (): Promise<ReconcileSummary | undefined> => {
      try {
        const rules = rulesFor(compiled, this.opts.haproxy, this.opts.vip!.mode, prepared.planned.desired).rules
        const vp = await applyVip(rules, this.opts.vip!, this.io.vip)
        vipChanged ||= vp.changes
        if (vp.changes) {
          metrics.vipUpdates.inc()
          log.info('updated VIP rules', {add: vp.add.length, remove: vp.remove.length})
        }
        return undefined
      } catch (error) {
        return this.failed('vip', error, since)
      }
    }
    let vipChanged = false
    if (this.opts.vip && vipFirst) {
      const failed = await applyVipRules()
      if (failed) return failed
    }
    try {
      const outcome = await prepared.run()
      result = outcome.applied
      commands = outcome.commands
      if (outcome.applied === 'reload') {
        this.lastReload = clock.now()
        metrics.reloads.inc()
        log.info('reloaded HAProxy', {reasons: plan.reasons.join('; '), reload: outcome.reloads})
      }
      if (outcome.applied === 'runtime') {
        metrics.runtimeUpdates.inc({}, commands)
        log.info('updated HAProxy at runtime', {servers: plan.servers.length, commands})
      }
    } catch (error) {
      return this.failed('apply', error, since)
    }
    if (this.opts.vip && !vipFirst) {
      const failed = await applyVipRules()
      if (failed) return failed
    }
    if ((result !== 'none' || vipChanged) && since !== undefined) metrics.eventToProxy.observe((clock.now() - since) / 1000)
    // Files are in step again (the plan wrote them when they differed); endpoint changes patch this from now on.
    this.last = {compiled, desired: prepared.planned.desired, options: prepared.planned.options}
    this.filesDirtyAt = undefined
    await this.writeStatus(compiled)
    metrics.reconciles.inc({result})
    this.reconciles++
    this.ready = true
    this.lastError = undefined
    return {result, commands, vipChanged, quarantined, diagnostics}
  }

  /**
   * An endpoint-only change (src/sync/incremental.ts), possibly with objects whose status alone changed
   * (`statusChanged`: the status writer runs): the changed slices' Services get new members in the last
   * model, their backends' slots go through the runtime API; nothing is rebuilt or rendered. Undefined when the
   * change needs a full reconcile (structural, a finding, HAProxy not answering or refusing): the caller goes on
   * with one, which reads HAProxy's state afresh.
   */
  private async patchEndpoints(keys: Set<string>, podKeys: Set<string>, since: number | undefined, statusChanged: boolean): Promise<ReconcileSummary | undefined> {
    const {clock, log, metrics} = this.io
    const last = this.last!
    const storeOf = (resource: string) => this.reflectors.find((r) => r.resource.resource === resource)!.store
    const store = storeOf('endpointslices')
    const services = new Set<string>()
    const changed = new Set<string>()
    let finding = false
    // Pods first: the memo and the index follow the store whatever is decided (a full reconcile reads them too).
    const podChanges: PodChange[] = []
    const pods = storeOf('pods')
    for (const key of podKeys) {
      const {old, now} = this.reintake('pods', key, pods.get(key))
      finding ||= old?.diagnostic !== undefined || now?.diagnostic !== undefined
      const before = old?.object as Pod | undefined
      const after = now?.object as Pod | undefined
      for (const p of [before, after]) if (p) this.podsByNs.get(p.metadata.namespace ?? 'default')?.delete(key)
      if (after) this.podsByNs.set(after.metadata.namespace ?? 'default', (this.podsByNs.get(after.metadata.namespace ?? 'default') ?? new Set()).add(key))
      if (before || after) podChanges.push({before, after})
    }
    if (finding) return undefined
    const podsNow = (ns: string) => this.memoObjects<Pod>('pods', this.podsByNs.get(ns))
    const podWhy = podChangesKeepModel(last, podChanges, podsNow)
    if (podWhy) {
      log.info('endpoint change needs a full reconcile', {why: podWhy})
      return undefined
    }
    for (const key of keys) {
      const {old, now} = this.reintake('endpointslices', key, store.get(key))
      finding ||= old?.diagnostic !== undefined || now?.diagnostic !== undefined
      const before = old?.object ? serviceOfSlice(old.object as EndpointSlice) : undefined
      const after = now?.object ? serviceOfSlice(now.object as EndpointSlice) : undefined
      if (before !== undefined) {
        services.add(before)
        this.slicesBySvc.get(before)?.delete(key)
      }
      if (after !== undefined) {
        services.add(after)
        this.slicesBySvc.set(after, (this.slicesBySvc.get(after) ?? new Set()).add(key))
      }
      changed.add(sliceObjectKey(key))
    }
    if (finding) return undefined
    const slicesOf = (svc: string) => this.memoObjects<EndpointSlice>('endpointslices', this.slicesBySvc.get(svc))
    const stats = this.opts.target.statsSocket
    const plan = await planEndpointPatch(last, services, changed, slicesOf, async (backend) => parseServersState(await this.io.haproxy.send(stats, command('show', 'servers', 'state', backend)))).catch((e: unknown) => e as Error)
    if (plan instanceof Error || 'structural' in plan) {
      log.info('endpoint change needs a full reconcile', {why: plan instanceof Error ? oneLine(plan.message) : plan.structural})
      return undefined
    }
    const {sent, error} = await sendServerCommands(plan.servers, stats, this.io.haproxy)
    if (error) {
      // Partly applied: the full reconcile that follows plans from HAProxy's state as it is now.
      log.warn('endpoint update through the runtime API failed: reconciling in full', {error: oneLine(error.message), sent})
      return undefined
    }
    plan.commit()
    metrics.patches.inc()
    // The index names each slot's Pod and Node: it may change with no command sent (the flush writes only what differs).
    if (plan.pools.length > 0) this.filesDirtyAt = clock.now()
    if (sent > 0) {
      metrics.runtimeUpdates.inc({}, sent)
      log.info('updated HAProxy at runtime', {servers: plan.servers.length, commands: sent, endpointOnly: true})
      if (since !== undefined) metrics.eventToProxy.observe((clock.now() - since) / 1000)
    }
    // Status the leader owes may have changed (an object's status written by someone else): the writer compares
    // and writes only what differs.
    if (statusChanged) await this.writeStatus(last.compiled)
    const result: ReconcileResult = sent > 0 ? 'runtime' : 'none'
    metrics.reconciles.inc({result})
    this.reconciles++
    this.ready = true
    this.lastError = undefined
    return {result, commands: sent, vipChanged: false, quarantined: [...this.quarantined].sort(), diagnostics: []}
  }

  /** The memo's objects of these store keys (one namespace), in snapshot order (by name). */
  private memoObjects<T extends {metadata: {name: string}}>(resource: string, keys: Set<string> | undefined): T[] {
    const out: T[] = []
    for (const k of keys ?? []) {
      const o = this.memo.get(`${resource}/${k}`)?.res.object
      if (o) out.push(o as unknown as T)
    }
    return out.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
  }

  /**
   * The memo's intake of resource/key before, and the intake of the store's object now (memoised by
   * resourceVersion, as snapshot() does); the memo takes the new one. `now` undefined: the object is gone.
   */
  private reintake(resource: string, key: string, raw: RawObject | undefined): {old?: IntakeResult; now?: IntakeResult} {
    const mk = `${resource}/${key}`
    const old = this.memo.get(mk)
    if (!raw) {
      this.memo.delete(mk)
      return {old: old?.res}
    }
    const rv = raw.metadata?.resourceVersion ?? ''
    const now = old && old.rv === rv && rv !== '' ? old.res : intakeObject(withKind(raw, resource), {source: 'api', server: this.io.client.server})
    this.memo.set(mk, {rv, res: now})
    return {old: old?.res, now}
  }

  /**
   * Whether modified objects (other than EndpointSlices and Pods) change what the model reads: anything but their
   * status, or a status the model reads a VIP from (changeMatters): the first such "resource/key", else undefined.
   * The memo takes the new intake either way.
   */
  private modelChanged(keys: Set<string>): string | undefined {
    let changed: string | undefined
    for (const mk of keys) {
      const resource = mk.slice(0, mk.indexOf('/'))
      const {old, now} = this.reintake(resource, mk.slice(mk.indexOf('/') + 1), this.reflectors.find((r) => r.resource.resource === resource)?.store.get(mk.slice(mk.indexOf('/') + 1)))
      if (!old || !now || old.diagnostic || now.diagnostic || !old.object || !now.object || changeMatters(resource, old.object, now.object)) changed ??= mk
    }
    return changed
  }

  /** Writes haproxy.cfg and the index as patched (see FILES_FLUSH_MS); a failure makes the next reconcile a full one. */
  private async flushFiles(): Promise<void> {
    if (this.filesDirtyAt === undefined || !this.last) return
    this.filesDirtyAt = undefined
    try {
      await writeTree(this.opts.haproxy.configDir, renderPatchedFiles(this.last.desired), OWNED_DIRS, {flag: '--config-dir', fs: this.io.haproxy.fs})
    } catch (error) {
      this.io.log.error('writing haproxy.cfg after runtime updates failed: reconciling in full', {error: oneLine((error as Error).message)})
      this.needFull = true
      this.dirty = true
      this.pendingSince ??= this.io.clock.now()
    }
  }

  private failed(stage: string, error: unknown, since: number | undefined): ReconcileSummary {
    const msg = oneLine((error as Error)?.message ?? String(error))
    this.io.metrics.failures.inc({stage})
    this.io.metrics.reconciles.inc({result: 'failed'})
    this.io.log.error('reconcile failed: the proxy keeps its previous state', {stage, error: msg})
    // Pending again, so that the loop retries with backoff (a failed resync too).
    this.pendingSince = since ?? this.pendingSince ?? this.io.clock.now()
    this.needFull = true
    this.ready = false
    this.lastError = msg
    this.lastFailure = error
    return {result: 'failed', commands: 0, vipChanged: false, quarantined: [...this.quarantined], diagnostics: [], error: msg}
  }

  /** Objects with an error diagnostic are left out; say so once per object (again if it changes back and forth). */
  private quarantine(diagnostics: Diagnostic[]): string[] {
    const now = new Map<string, Diagnostic>()
    for (const d of diagnostics) if (d.severity === 'error' && d.object) now.set(d.object, d)
    for (const [obj, d] of now)
      if (!this.quarantined.has(obj)) this.io.log.warn('object quarantined: left out until fixed', {object: obj, code: d.code, field: d.field, reason: d.message})
    for (const obj of this.quarantined) if (!now.has(obj)) this.io.log.info('object released from quarantine', {object: obj})
    this.quarantined = new Set(now.keys())
    this.io.metrics.quarantined.set(this.quarantined.size)
    return [...this.quarantined].sort()
  }

  /** What /readyz reports: not ready while a list is failing (and why), or until a reconcile succeeded. */
  health(): {ready: boolean; lastError?: string} {
    const stale = this.reflectors.find((r) => r.error !== undefined)
    if (stale) return {ready: false, lastError: stale.error}
    return {ready: this.ready, lastError: this.lastError}
  }

  /**
   * --once: list everything, reconcile once. Any failed list (an optional
   * resource only when it is not readable, as in `inspect`) fails the run
   * before anything is programmed.
   */
  async once(): Promise<ReconcileSummary> {
    const budget = pageBudget()
    const settled = await Promise.allSettled(this.reflectors.map((r) => r.list(budget)))
    settled.forEach((x, i) => {
      if (x.status === 'fulfilled') return
      const r = this.reflectors[i]!
      const typed = typedError(x.reason)
      if ((r.resource.optional && typed instanceof PermissionError) || (r.resource.absentOk && typed instanceof NotFoundError)) {
        r.error = undefined
        return
      }
      throw typed
    })
    if (this.elector) await this.elector.tick()
    const summary = await this.reconcile(true)
    await this.elector?.release()
    return summary
  }

  /** Runs until aborted. */
  async run(signal: AbortSignal): Promise<void> {
    const {clock, log} = this.io
    // One abort listener per reflector, watch and wait: more than Node's default warning threshold of 10.
    setMaxListeners(4 * (this.reflectors.length + 2), signal)
    const running = [...this.reflectors.map((r) => r.run(signal)), ...(this.elector ? [this.elect(signal)] : [])]
    while (!signal.aborted && !this.reflectors.every((r) => r.synced)) await clock.sleep(50, signal)
    if (signal.aborted) return void (await Promise.all(running))
    log.info('caches synced', {objects: this.reflectors.reduce((a, r) => a + r.store.size, 0)})
    let nextResync = clock.now() + this.opts.resyncMs
    const caEvery = this.opts.caRefreshMs ?? 0
    let nextCa = caEvery > 0 ? clock.now() + caEvery : Infinity
    let failures = 0
    let full = true
    this.dirty = true
    while (!signal.aborted) {
      const now = clock.now()
      if (!this.dirty && this.filesDirtyAt !== undefined && now - this.filesDirtyAt >= FILES_FLUSH_MS) {
        await this.flushFiles()
        continue
      }
      if (!this.dirty && now < nextResync) {
        if (now >= nextCa) {
          nextCa = now + caEvery
          if (await this.caBundlesChanged()) this.changed('configmaps', 'refreshed')
          continue
        }
        const flushIn = this.filesDirtyAt !== undefined ? this.filesDirtyAt + FILES_FLUSH_MS - now : Infinity
        await this.wait(Math.min(nextResync - now, nextCa - now, flushIn, this.pendingSince !== undefined ? this.retryIn(failures) : Infinity), signal)
        if (signal.aborted) break
        // Woken for a CA refresh or a files flush, with nothing changed or pending: no reconcile (a full one every
        // --ca-refresh-period was a whole rebuild of the model every 10 s).
        if (!this.dirty && this.pendingSince === undefined && clock.now() < nextResync) continue
      }
      if (this.dirty) await clock.sleep(this.opts.debounceMs, signal) // gather the rest of the burst
      if (signal.aborted) break
      if (clock.now() >= nextResync) {
        full = true
        nextResync = clock.now() + this.opts.resyncMs
      }
      const r = await this.reconcile(full)
      full = false
      failures = r.result === 'failed' ? failures + 1 : 0
    }
    // What runs and what a later reload would load stay one.
    await this.flushFiles()
    await Promise.all(running)
  }

  /** When a pending change is retried: after a failure with backoff, or when a deferred reload is allowed. */
  private retryIn(failures: number): number {
    if (failures > 0) return backoffDelay(failures, 200, 10_000, this.io.clock.random)
    return Math.max(10, this.lastReload + this.opts.minReloadIntervalMs - this.io.clock.now())
  }
}

/** The Service ("namespace/name") an EndpointSlice belongs to (its kubernetes.io/service-name label). */
function serviceOfSlice(slice: EndpointSlice): string {
  return `${slice.metadata.namespace}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`
}
