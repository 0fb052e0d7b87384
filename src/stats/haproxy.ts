/**
 * HAProxy statistics from its runtime API: `show info` (worker pid, uptime)
 * and `show stat` (CSV, columns found by their header names, so a newer
 * HAProxy with more columns still parses).
 */
import type {RuntimeSend} from '../core/haproxy-runtime.js'
import {UnavailableError} from '../errors.js'
import {type ProcessInfo, type StatSample, type StatsFrame, type StatsReader} from './types.js'

export function parseShowInfo(text: string): ProcessInfo {
  const kv = new Map<string, string>()
  for (const l of text.split('\n')) {
    const i = l.indexOf(':')
    if (i > 0) kv.set(l.slice(0, i).trim(), l.slice(i + 1).trim())
  }
  const num = (k: string) => (kv.has(k) && /^\d+$/.test(kv.get(k)!) ? Number(kv.get(k)) : undefined)
  return {pid: num('Pid'), uptimeSec: num('Uptime_sec'), version: kv.get('Version')}
}

/** Parses `show stat` CSV ("# pxname,svname,..." header) into samples. */
export function parseStatCsv(text: string, source = 'show stat'): StatSample[] {
  const lines = text.split('\n')
  const header = lines.find((l) => l.startsWith('# '))
  if (!header) throw new UnavailableError(`${source}: the answer is not HAProxy's "show stat" CSV (no header line)`)
  const cols = new Map(header.slice(2).split(',').map((name, i) => [name, i]))
  for (const need of ['pxname', 'svname', 'status', 'scur', 'stot'])
    if (!cols.has(need)) throw new UnavailableError(`${source}: "show stat" has no ${need} column`)
  // Column positions once; rows are split and read by index (this runs every refresh over every server).
  const at = (name: string) => cols.get(name) ?? -1
  const C = {
    px: at('pxname'), sv: at('svname'), mode: at('mode'), status: at('status'), check: at('check_status'), weight: at('weight'), addr: at('addr'),
    scur: at('scur'), stot: at('stot'), reqTot: at('req_tot'), reqRate: at('req_rate'), rate: at('rate'), bin: at('bin'), bout: at('bout'),
    h1: at('hrsp_1xx'), h2: at('hrsp_2xx'), h3: at('hrsp_3xx'), h4: at('hrsp_4xx'), h5: at('hrsp_5xx'), ho: at('hrsp_other'),
    ereq: at('ereq'), econ: at('econ'), eresp: at('eresp'), qcur: at('qcur'), qtime: at('qtime'), ctime: at('ctime'), rtime: at('rtime'), ttime: at('ttime'),
  }
  const out: StatSample[] = []
  for (const l of lines) {
    if (l === '' || l.charCodeAt(0) === 35 /* # */) continue
    const f = l.split(',')
    const str = (i: number) => (i < 0 ? '' : (f[i] ?? ''))
    const n = (i: number) => {
      const v = i < 0 ? undefined : f[i]
      return v === undefined || v === '' ? 0 : Number(v) || 0
    }
    const px = str(C.px)
    const sv = str(C.sv)
    const type = sv === 'FRONTEND' ? 'frontend' : sv === 'BACKEND' ? 'backend' : 'server'
    const mode = str(C.mode)
    const check = str(C.check).replace(/^\* ?/, '')
    const addr = str(C.addr)
    // HTTP requests where the proxy counts them, sessions in TCP mode; the first frame's rate is HAProxy's own (last second).
    const http = mode !== 'tcp' && str(C.reqTot) !== ''
    out.push({
      type,
      name: type === 'server' ? `${px}/${sv}` : px,
      proxy: px,
      ...(type === 'server' ? {server: sv} : {}),
      ...(mode === 'http' || mode === 'tcp' ? {mode} : {}),
      status: str(C.status),
      ...(check ? {checkStatus: check} : {}),
      ...(str(C.weight) !== '' ? {weight: n(C.weight)} : {}),
      ...(addr ? {address: addr} : {}),
      sessions: {current: n(C.scur), total: n(C.stot)},
      requests: {total: http ? n(C.reqTot) : n(C.stot), rate: type === 'frontend' && http ? n(C.reqRate) : n(C.rate)},
      bytes: {in: n(C.bin), out: n(C.bout)},
      responses: {'1xx': n(C.h1), '2xx': n(C.h2), '3xx': n(C.h3), '4xx': n(C.h4), '5xx': n(C.h5), other: n(C.ho)},
      errors: {request: n(C.ereq), connect: n(C.econ), response: n(C.eresp)},
      queue: {current: n(C.qcur)},
      timesMs: {queue: n(C.qtime), connect: n(C.ctime), response: n(C.rtime), total: n(C.ttime)},
    })
  }
  return out
}

/** Reads HAProxy through its admin socket (unix path or 127.0.0.1:PORT). */
export class HaproxySocketReader implements StatsReader {
  constructor(
    readonly source: string,
    private readonly send: RuntimeSend,
    private readonly now: () => Date,
  ) {}

  async read(): Promise<Omit<StatsFrame, 'reset'>> {
    // One connection per command (HAProxy closes after answering in non-interactive mode).
    const info = await this.send(this.source, 'show info')
    const stat = await this.send(this.source, 'show stat')
    const process = parseShowInfo(info)
    if (process.pid === undefined) throw new UnavailableError(`${this.source}: "show info" did not answer like HAProxy (no Pid)`)
    return {time: this.now().toISOString(), source: this.source, process, samples: parseStatCsv(stat, this.source)}
  }
}
