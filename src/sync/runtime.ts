/**
 * What the sync loop needs from the world, passed in (clock, logger) and what
 * it exposes (metrics). No module-level state: each loop owns its instances.
 */
import {jsonText, printable} from '../core/printable.js'

export type Fields = Record<string, string | number | boolean | undefined>

export interface Logger {
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
}

/** JSON lines (machines) or `time level msg k=v` (people). Fields are ours: keys and counts, never object bodies. */
export function makeLogger(write: (line: string) => void, format: 'json' | 'text', now: () => Date = () => new Date()): Logger {
  const emit = (level: string, msg: string, fields: Fields = {}) => {
    const time = now().toISOString()
    // Values can carry text from objects (paths, reasons): JSON escapes every control and format character,
    // text lines make them printable, so a log line is always one line and never drives the terminal.
    if (format === 'json') write(`${jsonText({time, level, msg, ...fields})}\n`)
    else
      write(
        `${time} ${level.toUpperCase().padEnd(5)} ${printable(msg)}${Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` ${printable(k)}=${typeof v === 'string' && /\s/.test(v) ? jsonText(v) : printable(String(v))}`)
          .join('')}\n`,
      )
  }
  return {info: (m, f) => emit('info', m, f), warn: (m, f) => emit('warn', m, f), error: (m, f) => emit('error', m, f)}
}

type Labels = Record<string, string>
const labelKey = (l: Labels) =>
  Object.keys(l)
    .sort()
    .map((k) => `${k}="${String(l[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')

export class Counter {
  private readonly values = new Map<string, number>()
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels)
    this.values.set(k, (this.values.get(k) ?? 0) + by)
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0
  }
  total(): number {
    return [...this.values.values()].reduce((a, b) => a + b, 0)
  }
  render(): string[] {
    const rows = this.values.size === 0 ? [`${this.name} 0`] : [...this.values].sort().map(([k, v]) => `${this.name}${k ? `{${k}}` : ''} ${v}`)
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...rows]
  }
}

export class Gauge {
  value = 0
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  set(v: number): void {
    this.value = v
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.value}`]
  }
}

export class Histogram {
  private readonly counts: number[]
  private sum = 0
  private count = 0
  readonly samples: number[] = []
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
    private readonly keep = 10_000,
  ) {
    this.counts = buckets.map(() => 0)
  }
  observe(v: number): void {
    this.sum += v
    this.count++
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i]!++
    })
    if (this.samples.length < this.keep) this.samples.push(v)
  }
  render(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} histogram`,
      ...this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${Math.round(this.sum * 1e6) / 1e6}`,
      `${this.name}_count ${this.count}`,
    ]
  }
}

export function makeMetrics() {
  return {
    events: new Counter('vipctl_sync_events_total', 'Watch events received, by resource and type.'),
    bookmarks: new Counter('vipctl_sync_bookmarks_total', 'Watch bookmarks received.'),
    relists: new Counter('vipctl_sync_relists_total', 'Full lists, by resource (start, 410 Gone).'),
    watchRestarts: new Counter('vipctl_sync_watch_restarts_total', 'Watches resumed, by resource and reason (ended, gone, silent, error).'),
    reconciles: new Counter('vipctl_sync_reconciles_total', 'Reconciles, by result (none, runtime, reload, deferred, failed).'),
    builds: new Counter('vipctl_sync_model_builds_total', 'Full reconciles: the model built and HAProxy rendered from the whole cache.'),
    patches: new Counter('vipctl_sync_endpoint_patches_total', 'Endpoint-only changes applied by patching the last model and config (no build, no render).'),
    runtimeUpdates: new Counter('vipctl_sync_runtime_updates_total', 'Runtime API commands sent to HAProxy.'),
    reloads: new Counter('vipctl_sync_reloads_total', 'HAProxy reloads done by sync.'),
    vipUpdates: new Counter('vipctl_sync_vip_updates_total', 'VIP rule transactions applied.'),
    failures: new Counter('vipctl_sync_failures_total', 'Failed reconciles, by stage.'),
    quarantined: new Gauge('vipctl_sync_quarantined_objects', 'Objects left out because they are invalid (see the log).'),
    leader: new Gauge('vipctl_sync_leader', '1 while this node holds the status Lease and writes status.'),
    statusWrites: new Counter('vipctl_sync_status_writes_total', 'Status subresources written by the leader, by result (written, conflict, failed).'),
    eventToProxy: new Histogram('vipctl_sync_event_to_proxy_seconds', 'Time from a watch event to the proxy changed.', [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  }
}

export type SyncMetrics = ReturnType<typeof makeMetrics>

export function renderMetrics(m: SyncMetrics): string {
  return `${Object.values(m)
    .flatMap((x) => x.render())
    .join('\n')}\n`
}
