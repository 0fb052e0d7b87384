/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: one holder at a time;
 * the holder renews every retry period; another candidate takes the Lease over only when it has seen the same
 * record unchanged for a whole lease duration (measured on its own clock, so clock skew between nodes does not
 * matter). Every write carries the resourceVersion it read: of two candidates racing, one gets 409 and stays a
 * follower. A holder that cannot renew within the renew deadline steps down before its Lease could be taken over.
 */
import type {RestClient} from '../core/kube-rest.js'
import {oneLine} from '../errors.js'
import type {Clock} from '../core/clock.js'
import type {Logger} from './runtime.js'

export interface LeaseOptions {
  namespace: string
  name: string
  /** This candidate (unique per process: node name and a random suffix). */
  identity: string
  /** How long a holder's Lease stands without renewal (s); client-go's default 15. */
  leaseDurationSec: number
  /** A holder that has not renewed for this long steps down (ms); client-go's default 10 s. */
  renewDeadlineMs: number
  /** How often to try to acquire or renew (ms); client-go's default 2 s. */
  retryPeriodMs: number
}

export const LEASE_DEFAULTS = {leaseDurationSec: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000} as const

interface LeaseRecord {
  holderIdentity?: string
  leaseDurationSeconds?: number
  acquireTime?: string
  renewTime?: string
  leaseTransitions?: number
}

type LeaseObject = {apiVersion?: string; kind?: string; metadata: {name: string; namespace: string; resourceVersion?: string}; spec?: LeaseRecord}

/** Resolves as `p`, or rejects once `ms` pass (the request itself is left to its own timeout). */
function withDeadline<T>(p: Promise<T>, ms: number, clock: Clock): Promise<T> {
  const ctrl = new AbortController()
  return Promise.race([
    p.finally(() => ctrl.abort()),
    clock.sleep(ms, ctrl.signal).then(() => {
      if (!ctrl.signal.aborted) throw new Error(`no answer within ${ms} ms`)
      return p
    }),
  ])
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

export class LeaderElector {
  /** Whether this candidate holds the Lease (as of its last successful renewal, within the renew deadline). */
  leader = false

  /** Whether it still may write: a leader whose last renewal is within the renew deadline (checked before each write). */
  holds(): boolean {
    return this.leader && this.now() - this.lastRenew < this.opts.renewDeadlineMs
  }

  /** Durations are measured on a monotonic clock when the clock port has one (wall-clock steps never shorten a wait). */
  private now(): number {
    return this.deps.clock.monotonic?.() ?? this.deps.clock.now()
  }
  private observed?: {record: string; at: number}
  private lastRenew = -Infinity

  constructor(
    private readonly client: RestClient,
    private readonly opts: LeaseOptions,
    private readonly deps: {clock: Clock; log: Logger},
  ) {}

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/leases`
  }

  /**
   * One attempt to acquire or renew; returns whether this candidate leads afterwards. Never throws: an API
   * failure is a failed attempt (a leader past its renew deadline steps down).
   */
  async tick(): Promise<boolean> {
    const now = this.now()
    let ok = false
    let failed = false
    try {
      // Bounded by the renew deadline (client-go runs each attempt under it): a hung request never keeps a leader.
      ok = await withDeadline(this.tryAcquireOrRenew(now), this.opts.renewDeadlineMs, this.deps.clock)
    } catch (error) {
      failed = true
      this.deps.log.warn('leader election: the Lease could not be read or written', {lease: `${this.opts.namespace}/${this.opts.name}`, error: oneLine((error as Error).message)})
    }
    if (ok) this.lastRenew = now
    const was = this.leader
    // Only an attempt that could not reach the API keeps a leader until its renew deadline; one that saw another
    // holder (or lost a race) ends leadership at once.
    this.leader = ok || (failed && this.leader && this.now() - this.lastRenew < this.opts.renewDeadlineMs)
    if (this.leader && !was) this.deps.log.info('leader election: this node writes status now', {lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity})
    if (!this.leader && was) this.deps.log.warn('leader election: lost the Lease; status is written by another node', {lease: `${this.opts.namespace}/${this.opts.name}`})
    return this.leader
  }

  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const me = this.opts.identity
    const wall = this.deps.clock.now()
    const res = await this.client.get(`${this.path}/${encodeURIComponent(this.opts.name)}`)
    if (res.status === 404) {
      const body: LeaseObject = {apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: {name: this.opts.name, namespace: this.opts.namespace}, spec: {holderIdentity: me, leaseDurationSeconds: this.opts.leaseDurationSec, acquireTime: microTime(wall), renewTime: microTime(wall), leaseTransitions: 0}}
      const created = await this.client.send!('POST', this.path, {}, body, 'application/json')
      if (created.status === 201 || created.status === 200) return true
      // Another candidate created it first: a follower this round. Anything else (RBAC, a missing namespace) is said.
      if (created.status === 409) return false
      throw new Error(`create Lease: HTTP ${created.status}${typeof (created.body as {message?: unknown})?.message === 'string' ? `: ${oneLine((created.body as {message: string}).message).slice(0, 200)}` : ''}`)
    }
    if (res.status !== 200 || !res.body || typeof res.body !== 'object') throw new Error(`get Lease: HTTP ${res.status}`)
    const lease = res.body as LeaseObject
    const spec = lease.spec ?? {}
    // The record as seen: a change (any field) restarts the lease duration on our clock.
    const record = JSON.stringify([spec.holderIdentity ?? '', spec.renewTime ?? '', spec.leaseTransitions ?? 0])
    if (!this.observed || this.observed.record !== record) this.observed = {record, at: now}
    const holder = spec.holderIdentity ?? ''
    const duration = (spec.leaseDurationSeconds ?? this.opts.leaseDurationSec) * 1000
    if (holder !== '' && holder !== me && now < this.observed.at + duration) return false
    const next: LeaseRecord = {
      holderIdentity: me,
      leaseDurationSeconds: this.opts.leaseDurationSec,
      acquireTime: holder === me && spec.acquireTime ? spec.acquireTime : microTime(wall),
      renewTime: microTime(wall),
      leaseTransitions: holder === me ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    }
    const put = await this.client.send!('PUT', `${this.path}/${encodeURIComponent(this.opts.name)}`, {}, {...lease, spec: next}, 'application/json')
    if (put.status === 409) return false
    if (put.status !== 200) throw new Error(`update Lease: HTTP ${put.status}`)
    this.observed = {record: JSON.stringify([me, next.renewTime, next.leaseTransitions]), at: now}
    return true
  }

  /** On shutdown: give the Lease up at once (client-go's ReleaseOnCancel), so another node need not wait it out. */
  async release(): Promise<void> {
    if (!this.leader) return
    this.leader = false
    try {
      const res = await this.client.get(`${this.path}/${encodeURIComponent(this.opts.name)}`)
      if (res.status !== 200 || !res.body) return
      const lease = res.body as LeaseObject
      if (lease.spec?.holderIdentity !== this.opts.identity) return
      await this.client.send!('PUT', `${this.path}/${encodeURIComponent(this.opts.name)}`, {}, {...lease, spec: {...lease.spec, holderIdentity: '', leaseDurationSeconds: 1}}, 'application/json')
    } catch {
      // Best effort: the Lease expires on its own.
    }
  }
}
