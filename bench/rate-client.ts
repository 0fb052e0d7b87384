/**
 * A bounded, open-loop, constant-rate HTTP client (what wrk2 does, for the scaling bench; Debian has no wrk2).
 * Request i is due at start + i/rate whether or not earlier ones have finished; its latency is measured from
 * that due time, so a stall (no free connection, a slow proxy) shows in the latency instead of being hidden by
 * sending fewer requests (coordinated omission). Keep-alive connections from a bounded pool; a request still
 * waiting for a connection is queued (and its wait counted). Bounded: rate x duration requests, each given up
 * after --timeout from its due time; the process ends at most --timeout after the last one is due.
 *   node --import tsx bench/rate-client.ts --url http://192.0.2.60/ --host web.test --rate 200 --duration 60
 * Prints one JSON line (RateResult) on stdout.
 */
import http from 'node:http'

export interface RateResult {
  rate: number
  durationS: number
  sent: number
  ok: number
  /** By kind: refused, reset, timeout, 5xx (status in `statuses`), status (other non-2xx), or the error code. */
  errors: Record<string, number>
  statuses: Record<string, number>
  /** Milliseconds from each request's due time to its end, for requests that ended (ok or not), sorted. */
  p50: number
  p99: number
  p999: number
  max: number
  /** Answers per backend (the body's first line: the Pod's name). */
  backends: Record<string, number>
  /** Errors and the worst latency per second of the run, [second, errors, maxMs]. */
  perSecond: Array<[number, number, number]>
  /** The first errors, [ms since start (due time), kind, detail]. */
  firstErrors: Array<[number, string, string]>
  /** Every request that ended: [due time (ms since start), latency (ms)], in order of ending. */
  samples: Array<[number, number]>
  /** How late the scheduler itself was in issuing requests (ms): the client's own contribution. */
  issueLateP99: number
}

const args = process.argv.slice(2)
const opt = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : d)
const URL_ = new URL(opt('--url', 'http://127.0.0.1/'))
const HOST = opt('--host', URL_.host)
const RATE = Number(opt('--rate', '200'))
const DURATION = Number(opt('--duration', '60'))
const CONNECTIONS = Number(opt('--connections', '64'))
const TIMEOUT = Number(opt('--timeout', '2000'))
if (!(RATE > 0 && RATE <= 20_000 && DURATION > 0 && DURATION <= 3600 && CONNECTIONS > 0 && CONNECTIONS <= 1024 && TIMEOUT > 0 && TIMEOUT <= 60_000))
  throw new Error('rate-client: --rate 1..20000, --duration 1..3600 s, --connections 1..1024, --timeout 1..60000 ms')

const total = Math.round(RATE * DURATION)
const agent = new http.Agent({keepAlive: true, maxSockets: CONNECTIONS, maxFreeSockets: CONNECTIONS})
const latencies: number[] = []
const samples: Array<[number, number]> = []
const late: number[] = []
const errors: Record<string, number> = {}
const statuses: Record<string, number> = {}
const backends: Record<string, number> = {}
const perSecond = new Map<number, [number, number]>()
const firstErrors: Array<[number, string, string]> = []
let ok = 0
let sent = 0
let done = 0

function kindOf(e: NodeJS.ErrnoException): string {
  if (e.code === 'ECONNREFUSED') return 'refused'
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE' || /socket hang up/.test(e.message)) return 'reset'
  if (e.code === 'ETIMEDOUT' || e.code === 'ABORT_TIMEOUT') return 'timeout'
  return e.code ?? 'other'
}

function finish(due: number, start: number, kind: string | undefined, detail: string): void {
  const end = performance.now()
  const ms = end - due
  latencies.push(ms)
  samples.push([Math.round(due - start), Math.round(ms * 100) / 100])
  const sec = Math.floor((due - start) / 1000)
  const s = perSecond.get(sec) ?? [0, 0]
  s[1] = Math.max(s[1], ms)
  if (kind) {
    errors[kind] = (errors[kind] ?? 0) + 1
    s[0]++
    if (firstErrors.length < 50) firstErrors.push([Math.round(due - start), kind, detail])
  } else ok++
  perSecond.set(sec, s)
  done++
}

function request(due: number, start: number): void {
  sent++
  late.push(performance.now() - due)
  let settled = false
  const settle = (kind: string | undefined, detail: string) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    finish(due, start, kind, detail)
  }
  // The deadline runs from the due time: waiting for a free connection counts.
  const timer = setTimeout(() => {
    settle('timeout', `no answer ${TIMEOUT} ms after due`)
    req.destroy(Object.assign(new Error('timeout'), {code: 'ABORT_TIMEOUT'}))
  }, Math.max(1, due + TIMEOUT - performance.now()))
  const req = http.request({host: URL_.hostname, port: URL_.port || 80, path: URL_.pathname, agent, headers: {Host: HOST}}, (res) => {
    let body = ''
    res.setEncoding('utf8')
    res.on('data', (d: string) => (body.length < 256 ? (body += d) : undefined))
    res.on('error', (e: NodeJS.ErrnoException) => settle(kindOf(e), e.message))
    res.on('end', () => {
      const code = res.statusCode ?? 0
      statuses[code] = (statuses[code] ?? 0) + 1
      if (code >= 200 && code < 400) {
        const name = body.split('\n')[0]!.trim().slice(0, 64)
        backends[name] = (backends[name] ?? 0) + 1
        settle(undefined, '')
      } else settle(code >= 500 ? '5xx' : 'status', `HTTP ${code} ${body.split('\n')[0]!.slice(0, 80)}`)
    })
  })
  req.on('error', (e: NodeJS.ErrnoException) => settle(kindOf(e), `${e.code ?? ''} ${e.message}`.trim()))
  req.end()
}

const pct = (xs: number[], p: number) => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))]!)

async function main(): Promise<void> {
  const start = performance.now() + 20
  process.stderr.write('started\n') // the caller's clock: requests are due from 20 ms after this line
  let next = 0
  // Issue every request that is due, then sleep until the next one (setTimeout wakes ~1 ms late at worst).
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      while (next < total && start + (next * 1000) / RATE <= now) request(start + (next++ * 1000) / RATE, start)
      if (next >= total) return resolve()
      setTimeout(tick, Math.max(0, start + (next * 1000) / RATE - performance.now()))
    }
    setTimeout(tick, 20)
  })
  // Every request ends by its deadline: wait for that, bounded.
  const deadline = performance.now() + TIMEOUT + 1000
  while (done < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  agent.destroy()
  const sorted = latencies.sort((a, b) => a - b)
  const lateSorted = late.sort((a, b) => a - b)
  const r2 = (x: number) => Math.round(x * 100) / 100
  const result: RateResult = {
    rate: RATE,
    durationS: DURATION,
    sent,
    ok,
    errors: {...errors, ...(done < sent ? {unfinished: sent - done} : {})},
    statuses,
    p50: r2(pct(sorted, 50)),
    p99: r2(pct(sorted, 99)),
    p999: r2(pct(sorted, 99.9)),
    max: r2(sorted[sorted.length - 1] ?? NaN),
    backends,
    perSecond: [...perSecond].sort((a, b) => a[0] - b[0]).map(([s, [e, m]]) => [s, e, r2(m)]),
    firstErrors,
    samples,
    issueLateP99: r2(pct(lateSorted, 99)),
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

await main()
