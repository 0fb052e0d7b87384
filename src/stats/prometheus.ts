/**
 * Prometheus text exposition, both ways: parsing HAProxy's exporter
 * (`http-request use-service prometheus-exporter`) into samples, and printing
 * samples as `-o prometheus` (vipctl_* families with Kubernetes labels).
 */
import {UnavailableError} from '../errors.js'
import {printableText} from '../core/printable.js'
import {emptySample, sampleKey, type StatSample, type StatsFrame, type StatsReader} from './types.js'
import {appendAll} from '../core/arrays.js'

export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y

/** Parses text exposition samples (comments skipped). Returns undefined for a line that is not exposition. */
export function parsePrometheus(text: string): PromSample[] | undefined {
  const out: PromSample[] = []
  for (const raw of text.split('\n')) {
    const l = raw.trim()
    if (l === '' || l.startsWith('#')) continue
    const m = LINE.exec(l)
    if (!m) return undefined
    const labels: Record<string, string> = {}
    if (m[2]) {
      LABEL.lastIndex = 0
      while (LABEL.lastIndex < m[2].length) {
        const at = LABEL.lastIndex
        const lm = LABEL.exec(m[2])
        if (!lm || LABEL.lastIndex === at) return undefined
        labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      }
    }
    const v = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3])
    out.push({name: m[1]!, labels, value: v})
  }
  return out
}

/** HAProxy's exporter families -> samples (the same shape as `show stat`). */
export function samplesFromHaproxyPrometheus(metrics: PromSample[]): {samples: StatSample[]; pid?: number; uptimeSec?: number} {
  const rows = new Map<string, StatSample>()
  let pid: number | undefined
  let uptimeSec: number | undefined
  let start: number | undefined
  const httpBackends = new Set<string>()
  const get = (type: 'frontend' | 'backend' | 'server', l: Record<string, string>) => {
    const proxy = l.proxy ?? ''
    const s = emptySample(type, proxy, type === 'server' ? l.server : undefined)
    const k = sampleKey(s)
    if (!rows.has(k)) rows.set(k, s)
    return rows.get(k)!
  }
  for (const m of metrics) {
    if (m.name === 'haproxy_process_uptime_seconds') uptimeSec = m.value
    if (m.name === 'haproxy_process_start_time_seconds') start = m.value
    const mm = /^haproxy_(frontend|backend|server)_(.+)$/.exec(m.name)
    if (!mm) continue
    const type = mm[1] as 'frontend' | 'backend' | 'server'
    const s = get(type, m.labels)
    const v = Number.isFinite(m.value) ? m.value : 0
    switch (mm[2]) {
      case 'status':
        if (v === 1) s.status = type === 'frontend' ? 'OPEN' : (m.labels.state ?? '')
        break
      case 'check_status':
        if (v === 1) s.checkStatus = m.labels.state
        break
      case 'current_sessions':
        s.sessions.current = v
        break
      case 'sessions_total':
        s.sessions.total = v
        break
      case 'http_requests_total':
        s.requests.total = v
        s.mode = 'http'
        if (type === 'backend') httpBackends.add(s.proxy)
        break
      case 'bytes_in_total':
        s.bytes.in = v
        break
      case 'bytes_out_total':
        s.bytes.out = v
        break
      case 'http_responses_total': {
        const code = m.labels.code as keyof StatSample['responses']
        if (code in s.responses) s.responses[code] = v
        break
      }
      case 'request_errors_total':
        s.errors.request = v
        break
      case 'connection_errors_total':
        s.errors.connect = v
        break
      case 'response_errors_total':
        s.errors.response = v
        break
      case 'current_queue':
        s.queue.current = v
        break
      case 'weight':
        s.weight = v
        break
      case 'queue_time_average_seconds':
        s.timesMs.queue = Math.round(v * 1000)
        break
      case 'connect_time_average_seconds':
        s.timesMs.connect = Math.round(v * 1000)
        break
      case 'response_time_average_seconds':
        s.timesMs.response = Math.round(v * 1000)
        break
      case 'total_time_average_seconds':
        s.timesMs.total = Math.round(v * 1000)
        break
    }
  }
  for (const s of rows.values()) {
    if (s.type === 'frontend' && !s.mode) {
      s.mode = 'tcp'
      s.requests.total = s.sessions.total
    } else if (s.type === 'backend' && !s.mode) {
      s.mode = 'tcp'
      s.requests.total = s.sessions.total
    } else if (s.type === 'server') {
      // The exporter has no per-server request counter: HTTP servers count responses, TCP ones sessions.
      const http = httpBackends.has(s.proxy)
      s.mode = http ? 'http' : 'tcp'
      s.requests.total = http ? Object.values(s.responses).reduce((a, b) => a + b, 0) : s.sessions.total
    }
  }
  // The exporter has no pid: the start time identifies a process just as well.
  if (start !== undefined) pid = Math.round(start)
  return {samples: [...rows.values()], pid, uptimeSec}
}

export type HttpGet = (url: string, timeoutMs: number) => Promise<{status: number; contentType: string; body: string}>

/** Reads HAProxy's Prometheus exporter over HTTP. */
export class HaproxyPrometheusReader implements StatsReader {
  constructor(
    readonly source: string,
    private readonly get: HttpGet,
    private readonly now: () => Date,
  ) {}

  async read(): Promise<Omit<StatsFrame, 'reset'>> {
    const res = await this.get(this.source, 10_000)
    if (res.status !== 200) throw new UnavailableError(`${this.source} answered HTTP ${res.status}, not HAProxy's metrics`)
    const metrics = parsePrometheus(res.body)
    if (!metrics || !metrics.some((m) => m.name.startsWith('haproxy_'))) throw new UnavailableError(`${this.source} is not HAProxy's Prometheus exporter (no haproxy_* metrics)`, {hint: 'point --url at the exporter, e.g. http://127.0.0.1:8405/metrics'})
    const {samples, pid, uptimeSec} = samplesFromHaproxyPrometheus(metrics)
    return {time: this.now().toISOString(), source: this.source, process: {pid, uptimeSec}, samples}
  }
}

/** Our own fetch-based GET (Node 20 has fetch); no redirects followed, bounded body. */
export const httpGet: HttpGet = async (url, timeoutMs) => {
  let res: Response
  try {
    res = await fetch(url, {redirect: 'manual', signal: AbortSignal.timeout(timeoutMs)})
  } catch (e) {
    const cause = (e as {cause?: {code?: string}}).cause?.code ?? (e as Error).name
    throw new UnavailableError(`${url}: ${cause === 'TimeoutError' ? 'timed out' : cause}`, {hint: 'is the exporter listening there?'})
  }
  const body = await res.text()
  if (body.length > 64 * 1024 * 1024) throw new UnavailableError(`${url}: answer larger than 64 MiB`)
  return {status: res.status, contentType: res.headers.get('content-type') ?? '', body}
}

// ---- -o prometheus -------------------------------------------------------

interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge'
  values: (s: StatSample) => Array<[Record<string, string>, number | null]>
}

const FAMILIES: Family[] = [
  {name: 'vipctl_up', help: 'Whether the frontend, backend or server is serving (1) or not (0).', type: 'gauge', values: (s) => [[{}, /^(OPEN|UP|no check)/i.test(s.status) ? 1 : 0]]},
  {name: 'vipctl_requests_total', help: 'HTTP requests (sessions in TCP mode) since the proxy process started.', type: 'counter', values: (s) => [[{}, s.requests.total]]},
  {name: 'vipctl_request_rate', help: 'Requests per second over the last interval.', type: 'gauge', values: (s) => [[{}, s.requests.rate]]},
  {name: 'vipctl_sessions', help: 'Current sessions.', type: 'gauge', values: (s) => [[{}, s.sessions.current]]},
  {name: 'vipctl_sessions_total', help: 'Sessions since the proxy process started.', type: 'counter', values: (s) => [[{}, s.sessions.total]]},
  {name: 'vipctl_bytes_in_total', help: 'Bytes received.', type: 'counter', values: (s) => [[{}, s.bytes.in]]},
  {name: 'vipctl_bytes_out_total', help: 'Bytes sent.', type: 'counter', values: (s) => [[{}, s.bytes.out]]},
  {name: 'vipctl_responses_total', help: 'HTTP responses by status class.', type: 'counter', values: (s) => Object.entries(s.responses).map(([code, v]) => [{code}, v])},
  {name: 'vipctl_errors_total', help: 'Request, connect and response errors.', type: 'counter', values: (s) => Object.entries(s.errors).map(([kind, v]) => [{kind}, v])},
  {name: 'vipctl_queue', help: 'Requests waiting for a server.', type: 'gauge', values: (s) => [[{}, s.queue.current]]},
  {name: 'vipctl_time_average_seconds', help: 'Average queue, connect, response and total time over the last 1024 requests.', type: 'gauge', values: (s) => Object.entries(s.timesMs).map(([phase, v]) => [{phase}, v / 1000])},
]

function labelsOf(s: StatSample): Record<string, string> {
  const l: Record<string, string> = {type: s.type, proxy: s.proxy}
  if (s.server) l.server = s.server
  if (s.kube?.namespace) l.namespace = s.kube.namespace
  if (s.kube?.service) l.service = s.kube.service
  if (s.kube?.pod) l.pod = s.kube.pod
  if (s.kube?.vip) l.vip = s.kube.vip
  return l
}

/**
 * A label value. Names come from the proxy and the index (a Pod name is free text
 * in an EndpointSlice's targetRef): control and invisible characters are written
 * as visible escapes (the format can only escape \\, " and \n; those keep its escaping).
 */
const escapeLabel = (v: string) => printableText(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** Samples as Prometheus text exposition (format 0.0.4). Rows without a value (first-frame rates) are left out. */
export function renderPrometheus(samples: StatSample[]): string {
  const out: string[] = []
  for (const f of FAMILIES) {
    const lines: string[] = []
    for (const s of samples) {
      const base = labelsOf(s)
      for (const [extra, v] of f.values(s)) {
        if (v === null || !Number.isFinite(v)) continue
        const labels = Object.entries({...base, ...extra})
          .map(([k, val]) => `${k}="${escapeLabel(val)}"`)
          .join(',')
        lines.push(`${f.name}{${labels}} ${v}`)
      }
    }
    if (lines.length === 0) continue
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`)
    appendAll(out, lines)
  }
  return out.length ? `${out.join('\n')}\n` : ''
}
