/**
 * Our own reflector (list + watch), because client-node's informer stops for
 * good on some errors. Per resource: a paginated list gives the store and a
 * resourceVersion; a watch resumes from it (bookmarks move it on); 410 Gone
 * (as a status or an ERROR event) relists; transport errors, 5xx and 429 back
 * off (capped, jittered, Retry-After honoured) and resume the watch from the
 * last version; a stream that goes silent past the watchdog is cut and resumed.
 */
import {collectionPath, listPages, type PageBudget, type Resource} from '../cluster/live.js'
import type {RestClient, RestResponse} from '../core/kube-rest.js'
import {BadReplyError, NotFoundError, statusError} from '../core/kube-rest.js'
import {PermissionError, UnavailableError, oneLine} from '../errors.js'
import type {Logger, SyncMetrics} from './runtime.js'
import type {Clock} from '../core/clock.js'

export interface ReflectorOptions {
  namespace?: string
  /** Cut a watch that has sent nothing (not even a bookmark) for this long. */
  watchdogMs: number
  backoffInitialMs: number
  backoffMaxMs: number
  /** Server-side watch timeout (the server ends the stream; we resume). */
  watchTimeoutSec: number
  pageSize: number
}

export type RawObject = {metadata?: {name?: string; namespace?: string; resourceVersion?: string}} & Record<string, unknown>

export type ChangeKind = 'list' | 'ADDED' | 'MODIFIED' | 'DELETED'

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
    readonly typed: Error,
  ) {
    super(typed.message)
  }
}

/** The typed error behind a reflector failure (what a command exits with). */
export function typedError(error: unknown): unknown {
  return error instanceof HttpStatusError ? error.typed : error
}

const WATCH_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'])
type WatchEvent = {type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: RawObject & {code?: unknown; message?: unknown}}

/** One line of a watch stream: a JSON object {type, object} with a known type and an object, or a BadReplyError. */
export function parseWatchEvent(line: string, what: string): WatchEvent {
  const bad = (why: string) => new BadReplyError(`${what}: ${why}`)
  let ev: unknown
  try {
    ev = JSON.parse(line)
  } catch {
    throw bad('an event line is not JSON')
  }
  if (ev === null || typeof ev !== 'object' || Array.isArray(ev)) throw bad('an event is not a JSON object')
  const {type, object} = ev as {type?: unknown; object?: unknown}
  if (typeof type !== 'string') throw bad('an event has no "type"')
  if (!WATCH_TYPES.has(type)) throw bad(`an event has the unknown type ${JSON.stringify(oneLine(type).slice(0, 40))}`)
  if (object === null || typeof object !== 'object' || Array.isArray(object)) throw bad(`a ${type} event has no "object"`)
  const meta = (object as {metadata?: unknown}).metadata
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) throw bad(`a ${type} event's object has a "metadata" that is not an object`)
  return ev as WatchEvent
}

const keyOf = (o: RawObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`

/** 2^n backoff from initial to max, with full jitter in [50%, 100%]. */
export function backoffDelay(failures: number, initialMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1))
  return Math.round(ceiling * (0.5 + random() / 2))
}

export function retryAfterMs(res: RestResponse): number | undefined {
  const h = res.headers['retry-after']
  const v = Array.isArray(h) ? h[0] : h
  if (v === undefined) return undefined
  const n = Number(v)
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 60) * 1000 : undefined
}

export class Reflector {
  readonly store = new Map<string, RawObject>()
  /** The store reflects a complete list (at least once). */
  synced = false
  resourceVersion = ''
  /**
   * Why the store may not be the API server's truth right now (a list failed,
   * or the watch sent something malformed and a relist is pending), for
   * /readyz and for the sync loop, which programs nothing while it is set.
   */
  error?: string
  private failures = 0

  constructor(
    readonly resource: Resource,
    private readonly client: RestClient,
    private readonly opts: ReflectorOptions,
    private readonly deps: {clock: Clock; log: Logger; metrics: SyncMetrics},
    private readonly onChange: (resource: string, kind: ChangeKind, key?: string) => void,
  ) {}

  private path(): string {
    return collectionPath(this.resource, this.opts.namespace)
  }

  private fail(res: RestResponse, verb: 'list' | 'watch'): HttpStatusError {
    return new HttpStatusError(res.status, retryAfterMs(res), statusError(res, {verb, resource: this.resource.resource, namespace: this.resource.namespaced ? this.opts.namespace : undefined}, this.client.server, this.client.user))
  }

  /**
   * A full list: replaces the store and the resourceVersion, only once the
   * whole list has arrived and checked out. A failed, malformed or partial list
   * leaves the store as it was (and says why in `error`).
   */
  async list(budget?: PageBudget): Promise<void> {
    let result
    try {
      // listPages restarts after an expired continue token and bounds pages, tokens and objects.
      result = await listPages(this.client, this.resource, this.opts.namespace, this.opts.pageSize, {statusError: (res) => this.fail(res, 'list'), budget})
    } catch (error) {
      const typed = error as Error & {status?: number}
      this.error = `list of ${this.resource.resource} from ${this.client.server}${this.path()} failed: ${oneLine(typed.message).replace(/^list of \S+ from \S+ failed: /, '')}`
      throw error
    }
    const store = new Map<string, RawObject>()
    for (const o of result.items) store.set(keyOf(o as RawObject), o as RawObject)
    this.store.clear()
    for (const [k, o] of store) this.store.set(k, o)
    this.resourceVersion = result.resourceVersion
    this.synced = true
    this.error = undefined
    this.deps.metrics.relists.inc({resource: this.resource.resource})
    this.onChange(this.resource.resource, 'list')
  }

  /** One watch from the current version; returns why it ended. */
  async watch(signal: AbortSignal): Promise<'ended' | 'gone' | 'silent'> {
    const ctrl = new AbortController()
    const stop = () => ctrl.abort()
    signal.addEventListener('abort', stop, {once: true})
    let silent = false
    let gone = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const arm = () => {
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => {
        silent = true
        ctrl.abort()
      }, this.opts.watchdogMs)
    }
    arm()
    try {
      const res = await this.client.stream!(
        this.path(),
        {watch: 1, resourceVersion: this.resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: this.opts.watchTimeoutSec},
        (line) => {
          arm()
          // Checked before anything is applied: a malformed event changes nothing (the stream is cut and the store relisted).
          const ev = parseWatchEvent(line, `watch of ${this.resource.resource} from ${this.client.server}${this.path()}`)
          this.failures = 0
          const o = ev.object
          switch (ev.type) {
            case 'ADDED':
            case 'MODIFIED':
              this.store.set(keyOf(o), o)
              break
            case 'DELETED':
              this.store.delete(keyOf(o))
              break
            case 'BOOKMARK':
              if (o.metadata?.resourceVersion) this.resourceVersion = o.metadata.resourceVersion
              this.deps.metrics.bookmarks.inc({resource: this.resource.resource})
              return
            case 'ERROR':
              if (o.code === 410) {
                gone = true
                ctrl.abort()
                return
              }
              throw new UnavailableError(`watch ${this.resource.resource}: ${typeof o.message === 'string' ? oneLine(o.message).slice(0, 300) : `error ${typeof o.code === 'number' ? o.code : '(no code)'}`}`)
          }
          if (o.metadata?.resourceVersion) this.resourceVersion = o.metadata.resourceVersion
          this.deps.metrics.events.inc({resource: this.resource.resource, type: ev.type})
          this.onChange(this.resource.resource, ev.type as ChangeKind, keyOf(o))
        },
        ctrl.signal,
      )
      if (gone || res.status === 410) return 'gone'
      if (silent) return 'silent'
      if (res.status !== 200) throw this.fail(res, 'watch')
      return 'ended'
    } catch (error) {
      if (gone) return 'gone'
      if (silent) return 'silent'
      throw error
    } finally {
      if (timer) clearTimeout(timer)
      signal.removeEventListener('abort', stop)
    }
  }

  /** List, then watch and resume forever (until aborted). */
  async run(signal: AbortSignal): Promise<void> {
    const {clock, log, metrics} = this.deps
    let needList = !this.synced
    /** The relist is because the watch sent something malformed: keep backing off if it happens again. */
    let afterBadReply = false
    while (!signal.aborted) {
      let listing = false
      try {
        if (needList) {
          listing = true
          await this.list()
          listing = false
          needList = false
          if (!afterBadReply) this.failures = 0
          afterBadReply = false
        }
        const why = await this.watch(signal)
        if (signal.aborted) break
        metrics.watchRestarts.inc({resource: this.resource.resource, reason: why})
        if (why === 'gone') {
          log.info('watch expired (410 Gone): relisting', {resource: this.resource.resource})
          needList = true
        } else if (why === 'silent') log.warn('watch went silent: resuming', {resource: this.resource.resource, watchdogMs: this.opts.watchdogMs})
      } catch (error) {
        if (signal.aborted) break
        const e = error as Error
        // A watch that expired relists at once; a list answered with 410 backs off like any failure.
        if (error instanceof HttpStatusError && error.status === 410 && !listing) {
          needList = true
          continue
        }
        // A namespaced user may not read cluster-scoped optional resources: go on without them.
        const typed = error instanceof HttpStatusError ? error.typed : e
        // A kind whose CRD is not installed (404): nothing of it exists; look again after the longest backoff.
        if (this.resource.absentOk && typed instanceof NotFoundError) {
          if (this.store.size > 0 || !this.synced) this.onChange(this.resource.resource, 'list')
          this.store.clear()
          this.synced = true
          this.error = undefined
          needList = true
          await clock.sleep(this.opts.backoffMaxMs, signal)
          continue
        }
        if (this.resource.optional && typed instanceof PermissionError) {
          if (!this.synced) log.warn('not readable, continuing without', {resource: this.resource.resource, error: typed.message})
          this.synced = true
          this.error = undefined
          await clock.sleep(this.opts.backoffMaxMs, signal)
          continue
        }
        if (typed instanceof BadReplyError && !listing) {
          // The watch sent something malformed: the store may have missed a change, so relist (after the backoff).
          this.error = `${oneLine(typed.message)}; relisting`
          needList = true
          afterBadReply = true
        }
        this.failures++
        metrics.watchRestarts.inc({resource: this.resource.resource, reason: 'error'})
        const delay = (error instanceof HttpStatusError ? error.retryAfterMs : undefined) ?? backoffDelay(this.failures, this.opts.backoffInitialMs, this.opts.backoffMaxMs, clock.random)
        log.warn('list/watch failed: retrying', {resource: this.resource.resource, error: typed.message, retryInMs: delay})
        await clock.sleep(delay, signal)
      }
    }
  }
}
