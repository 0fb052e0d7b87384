/**
 * Our own reflector (list + watch), because client-node's informer stops for
 * good on some errors. Per resource: a paginated list gives the store and a
 * resourceVersion; a watch resumes from it (bookmarks move it on); 410 Gone
 * (as a status or an ERROR event) relists; transport errors, 5xx and 429 back
 * off (capped, jittered, Retry-After honoured) and resume the watch from the
 * last version; a stream that goes silent past the watchdog is cut and resumed.
 */
import type {Resource} from '../cluster/live.js'
import type {RestClient, RestResponse} from '../cluster/rest.js'
import {statusError} from '../cluster/rest.js'
import {PermissionError, UnavailableError} from '../errors.js'
import type {Clock, Logger, SyncMetrics} from './runtime.js'

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
  private failures = 0

  constructor(
    readonly resource: Resource,
    private readonly client: RestClient,
    private readonly opts: ReflectorOptions,
    private readonly deps: {clock: Clock; log: Logger; metrics: SyncMetrics},
    private readonly onChange: (resource: string, kind: ChangeKind, key?: string) => void,
  ) {}

  private path(): string {
    const r = this.resource
    return r.namespaced && this.opts.namespace !== undefined ? `${r.prefix}/namespaces/${encodeURIComponent(this.opts.namespace)}/${r.resource}` : `${r.prefix}/${r.resource}`
  }

  private fail(res: RestResponse, verb: 'list' | 'watch'): HttpStatusError {
    return new HttpStatusError(res.status, retryAfterMs(res), statusError(res, {verb, resource: this.resource.resource, namespace: this.resource.namespaced ? this.opts.namespace : undefined}, this.client.server, this.client.user))
  }

  /** A full list: replaces the store and the resourceVersion. */
  async list(): Promise<void> {
    const items: RawObject[] = []
    let cont: string | undefined
    let rv = ''
    do {
      const res = await this.client.get(this.path(), {limit: this.opts.pageSize, continue: cont})
      if (res.status === 410 && cont) {
        // The continue token expired mid-list: start over.
        items.length = 0
        cont = undefined
        continue
      }
      if (res.status !== 200) throw this.fail(res, 'list')
      const body = res.body as {items?: RawObject[]; metadata?: {continue?: string; resourceVersion?: string}}
      items.push(...(body.items ?? []))
      cont = body.metadata?.continue || undefined
      rv = body.metadata?.resourceVersion ?? rv
    } while (cont)
    this.store.clear()
    for (const o of items) this.store.set(keyOf(o), o)
    this.resourceVersion = rv
    this.synced = true
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
          this.failures = 0
          let ev: {type?: string; object?: RawObject & {code?: number}}
          try {
            ev = JSON.parse(line)
          } catch {
            throw new UnavailableError(`watch ${this.resource.resource}: the API server sent a line that is not JSON`)
          }
          const o = ev.object
          if (!o) return
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
              throw new UnavailableError(`watch ${this.resource.resource}: ${typeof (o as {message?: unknown}).message === 'string' ? (o as {message: string}).message : `error ${o.code}`}`)
            default:
              return
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
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list()
          needList = false
          this.failures = 0
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
        if (error instanceof HttpStatusError && error.status === 410) {
          needList = true
          continue
        }
        // A namespaced user may not read cluster-scoped optional resources: go on without them.
        const typed = error instanceof HttpStatusError ? error.typed : e
        if (this.resource.optional && typed instanceof PermissionError) {
          if (!this.synced) log.warn('not readable, continuing without', {resource: this.resource.resource, error: typed.message})
          this.synced = true
          await clock.sleep(this.opts.backoffMaxMs, signal)
          continue
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
