/**
 * The live stats view on a terminal: redrawn in place on the alternate screen,
 * coloured by health, a sparkline of request rate per frontend and backend,
 * totals; q or Ctrl-C quits and the terminal is restored whatever happens.
 * Frames are pure strings (frameText) so they are tested without a terminal.
 */
import type {ChalkInstance} from 'chalk'
import {errorCount, kubeText, totals} from './kube.js'
import {fmtRate, styleStatus} from './result.js'
import {health, sampleKey, type StatSample, type StatsFrame} from './types.js'
import {printable, terminalText} from '../core/printable.js'

// Names, statuses and the Kubernetes column come from the proxy's answers and the
// index (a Pod name is free text in an EndpointSlice): one printable line each.
const nameText = (s: StatSample) => printable(s.name)
const kubeCell = (s: StatSample) => printable(kubeText(s))

const BARS = '▁▂▃▄▅▆▇█'
const HISTORY = 20

/** Rates as a sparkline; scaled to the largest value shown (all zero: a flat baseline). */
export function sparkline(values: Array<number | null>, width = HISTORY): string {
  const v = values.slice(-width)
  const max = Math.max(0, ...v.map((x) => x ?? 0))
  return v.map((x) => (x === null ? ' ' : max === 0 ? BARS[0] : BARS[Math.min(7, Math.round(((x ?? 0) / max) * 7))])).join('')
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width)
}

export interface ViewMeta {
  intervalMs: number
  /** The latest warning (proxy not answering, reloaded), shown under the header. */
  notice?: string
  sort: string
}

/** Keeps sparkline history across frames; turns frames into screens. */
export class LiveView {
  private readonly history = new Map<string, Array<number | null>>()

  constructor(private readonly c: ChalkInstance) {}

  /** Records a frame's rates (call once per frame). */
  push(frame: StatsFrame): void {
    const seen = new Set<string>()
    for (const s of frame.samples) {
      if (s.type === 'server') continue
      const k = sampleKey(s)
      seen.add(k)
      const h = this.history.get(k) ?? []
      h.push(s.requests.rate)
      if (h.length > HISTORY) h.shift()
      this.history.set(k, h)
    }
    for (const k of [...this.history.keys()]) if (!seen.has(k)) this.history.delete(k)
  }

  /** The whole screen for a frame: at most `rows` lines, each at most `columns` wide. */
  frameText(frame: StatsFrame, size: {columns: number; rows: number}, meta: ViewMeta): string {
    const c = this.c
    const W = Math.max(40, size.columns)
    const t = totals(frame.samples)
    const proc = frame.process
    const up = proc.uptimeSec === undefined ? '' : ` up ${uptime(proc.uptimeSec)}`
    const lines: string[] = []
    const head = `vipctl stats  ${printable(frame.source)}  ${proc.version ? `HAProxy ${printable(proc.version.split('-')[0]!)} ` : ''}${proc.pid !== undefined ? `pid ${proc.pid}` : ''}${up}  every ${meta.intervalMs / 1000}s  ${frame.time.slice(11, 19)}Z`
    const keys = 'q: quit'
    lines.push(c.bold(fit(head, W - keys.length - 1)) + ' ' + c.dim(keys))
    const down = t.servers - t.serversUp
    lines.push(clip(
      `${c.bold('TOTAL')}  req/s ${c.bold(fmtRate(t.rate))}  sessions ${t.sessions}  errors ${t.errors === 0 ? '0' : c.red(String(t.errors))}  servers up ${down === 0 ? c.green(`${t.serversUp}/${t.servers}`) : c.red(`${t.serversUp}/${t.servers}`)}  sort: ${meta.sort}`,
      W,
    ))
    lines.push(meta.notice ? c.yellow(fit(printable(meta.notice), W)) : '')

    const sections: Array<{title: string; rows: StatSample[]; spark: boolean}> = [
      {title: 'FRONTEND', rows: frame.samples.filter((s) => s.type === 'frontend'), spark: true},
      {title: 'BACKEND', rows: frame.samples.filter((s) => s.type === 'backend'), spark: true},
      {title: 'SERVER', rows: frame.samples.filter((s) => s.type === 'server'), spark: false},
    ]
    // Column widths over everything shown, so the three sections line up.
    const all = sections.flatMap((s) => s.rows)
    // Name and Kubernetes columns share what the numbers leave (about 60 characters).
    const flexible = Math.max(20, W - 60)
    const nameW = Math.min(40, Math.floor(flexible * 0.45), Math.max(8, ...all.map((s) => nameText(s).length)))
    const kubeW = Math.min(36, flexible - nameW, Math.max(10, ...all.map((s) => kubeCell(s).length)))
    const statusW = Math.max(6, ...all.map((s) => statusText(s).length))
    const num = (v: string, w: number) => v.padStart(w)
    const rowText = (s: StatSample, spark: boolean): string => {
      const status = statusText(s)
      const parts = [
        fit(nameText(s), nameW),
        fit(kubeCell(s), kubeW),
        styleStatus(s, fit(status, statusW), c),
        num(fmtRate(s.requests.rate), 8),
        num(String(s.sessions.current), 6),
        num(String(s.responses['5xx']), 6),
        errorCount(s) - s.responses['5xx'] > 0 ? c.red(num(String(errorCount(s) - s.responses['5xx']), 6)) : num('0', 6),
        num(`${s.timesMs.response}ms`, 7),
      ]
      if (spark) parts.push(c.cyan(sparkline(this.history.get(sampleKey(s)) ?? [s.requests.rate])))
      return clip(parts.join('  '), W)
    }
    const header = (title: string, spark: boolean) =>
      c.bold(clip([fit(title, nameW), fit('KUBERNETES', kubeW), fit('STATUS', statusW), num('REQ/S', 8), num('SESS', 6), num('5XX', 6), num('ERR', 6), num('RTIME', 7), ...(spark ? ['TREND'] : [])].join('  '), W))

    let budget = size.rows - lines.length
    for (const sec of sections) {
      if (sec.rows.length === 0 || budget < 3) continue
      lines.push(header(sec.title, sec.spark))
      budget--
      // Servers take what is left; frontends and backends at most half of it each.
      const room = sec.title === 'SERVER' ? budget - 1 : Math.max(2, Math.floor((budget - 4) / 2))
      const shown = sec.rows.length > room ? sec.rows.slice(0, Math.max(0, room - 1)) : sec.rows
      for (const s of shown) lines.push(rowText(s, sec.spark))
      if (shown.length < sec.rows.length) lines.push(c.dim(`… ${sec.rows.length - shown.length} more ${sec.title.toLowerCase()}s (--filter, --sort)`))
      budget = size.rows - lines.length
      if (budget > 1) {
        lines.push('')
        budget--
      }
    }
    return terminalText(lines.slice(0, size.rows).join('\n'), {colour: c.level > 0})
  }
}

function statusText(s: StatSample): string {
  return printable(s.status + (s.checkStatus && health(s) !== 'up' && s.type === 'server' ? ` ${s.checkStatus}` : ''))
}

/** Cuts a coloured line to `width` visible characters. */
function clip(line: string, width: number): string {
  if (strip(line).length <= width) return line
  let out = ''
  let visible = 0
  for (let i = 0; i < line.length && visible < width; ) {
    const m = /^\x1b\[[0-9;]*m/.exec(line.slice(i))
    if (m) {
      out += m[0]
      i += m[0].length
      continue
    }
    out += line[i]
    visible++
    i++
  }
  return out.includes('\x1b[') ? `${out}\x1b[0m` : out
}

function uptime(sec: number): string {
  const d = Math.floor(sec / 86400)
  const h = Math.floor((sec % 86400) / 3600)
  const m = Math.floor((sec % 3600) / 60)
  return d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(sec % 60)).padStart(2, '0')}s`
}

export interface Terminal {
  input: NodeJS.ReadStream
  output: NodeJS.WriteStream
}

/**
 * Runs the live view until the frames end or the user quits (q, Ctrl-C).
 * Returns the last frame shown. The terminal is restored in every case.
 */
export async function runLive(frames: AsyncIterable<StatsFrame>, term: Terminal, view: LiveView, meta: ViewMeta, abort: AbortController): Promise<StatsFrame | undefined> {
  const {input, output} = term
  let last: StatsFrame | undefined
  const draw = () => {
    if (!last) return
    const text = view.frameText(last, {columns: output.columns || 80, rows: output.rows || 24}, meta)
    output.write(`\x1b[H${text.split('\n').join('\x1b[K\n')}\x1b[K\x1b[J`)
  }
  const onKey = (d: Buffer) => {
    const k = d.toString('utf8')
    if (k === 'q' || k === 'Q' || k === '\x03' || k === '\x1b') abort.abort()
  }
  const restore = () => {
    output.write('\x1b[?25h\x1b[?1049l')
    if (input.isTTY) input.setRawMode(false)
    input.off('data', onKey)
    input.pause()
    output.off('resize', draw)
  }
  output.write('\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J')
  if (input.isTTY) input.setRawMode(true)
  input.on('data', onKey)
  input.resume()
  output.on('resize', draw)
  try {
    for await (const f of frames) {
      view.push(f)
      last = f
      draw()
    }
  } finally {
    restore()
  }
  return last
}
