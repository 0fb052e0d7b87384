/**
 * The live stats view on a terminal: redrawn in place on the alternate screen,
 * coloured by health, a sparkline of request rate per frontend and backend,
 * totals labelled by what they count; keys scroll, sort and filter in place
 * (view.ts), ? explains the columns; q or Ctrl-C quits and the terminal is
 * restored whatever happens. Screens are pure (frame + state -> text), so
 * they are tested without a terminal.
 */
import type {ChalkInstance} from 'chalk'
import {kubeText, totals} from './kube.js'
import {fmtRate, styleStatus} from './result.js'
import {health, sampleKey, type StatSample, type StatsFrame} from './types.js'
import {applyKey, filterRows, initialState, parseKeys, proxyErrors, sortLabel, sortRows, type ViewState} from './view.js'
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

/** Cut at the end with a marker, or padded to `width`. */
function fit(text: string, width: number): string {
  if (width <= 0) return ''
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width)
}

/** Cut in the middle with a marker (a name's start and its server part both stay), or padded. */
function fitMiddle(text: string, width: number): string {
  if (text.length <= width) return text.padEnd(width)
  if (width <= 1) return '…'.slice(0, width)
  const tail = Math.floor((width - 1) / 2)
  return `${text.slice(0, width - 1 - tail)}…${tail > 0 ? text.slice(-tail) : ''}`
}

export interface ViewMeta {
  intervalMs: number
  /** The latest warning (proxy not answering, reloaded), shown under the header. */
  notice?: string
  /** --sort, the first column the view sorts by. */
  sort: string
  /** The frames are already in --sort's order (they come from tailStats): the view need not sort them again for rate or name. */
  presorted?: boolean
}

/** One screen and how far it can scroll (the key handler's bounds). */
export interface Screen {
  text: string
  /** The scroll actually shown (the state's, clamped to what the frame has). */
  scroll: number
  /** Body lines on screen. */
  page: number
  maxScroll: number
}

/** The keys, as the second header line shows them. */
export const KEYS_HELP = 'q quit  ↑↓/jk PgUp/PgDn Home/End scroll  s sort  r reverse  / filter  ? help'
const HEAD_LINES = 5
/** TREND at most, and at least (less room: left out). */
const TREND_MAX = HISTORY
const TREND_MIN = 8
/** Names narrower than this make a narrow terminal drop some count columns instead. */
const NAME_MIN = 16
/** KUBERNETES keeps at least this much beside whole names. */
const KUBE_MIN = 10
const STATUS_MAX = 24

/** What `?` shows: the keys, and what every column and total counts. */
export const LEGEND = [
  'Keys',
  '  ↑↓ j k  a line    PgUp PgDn b space  a page    Home End g G  top, bottom',
  '  s S  sort by the next, previous column    r  reverse the order',
  '  /  filter on a part of NAME, KUBERNETES or STATUS (Enter keeps, Esc clears)',
  '  ?  this help (? or Esc closes)    q Ctrl-C  quit',
  'Columns: counters since the proxy process started, rates over the last read',
  '  REQ/S  HTTP requests per second (sessions in TCP mode)    SESS  sessions now',
  '  3XX 4XX 5XX  HTTP responses by class (HAProxy hrsp_3xx, hrsp_4xx, hrsp_5xx)',
  '  ERR  request + connect + response errors (HAProxy ereq + econ + eresp):',
  '       failures without an HTTP status (bad requests, refused/reset connections)',
  '  RTIME  mean response time, last 1024 requests    TREND  REQ/S, last 20 reads',
  'TOTAL  req/s, sess, 3xx, 4xx, 5xx: over the frontends (what clients got)',
  '       err: frontends\' ereq + backends\' econ + eresp    servers: up/not MAINT',
]

type SectionTitle = 'FRONTEND' | 'BACKEND' | 'SERVER'
interface BodyLine {
  /** Made only for the lines on screen (a proxy may have thousands of servers). */
  text: () => string
  section: SectionTitle
  kind: 'header' | 'row' | 'blank' | 'note'
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
  frameText(frame: StatsFrame, size: {columns: number; rows: number}, meta: ViewMeta, state: ViewState = initialState(meta.sort)): string {
    return this.screen(frame, size, meta, state).text
  }

  /** The screen for a frame in a view state (scroll, sort, filter): pure, the same inputs give the same text. */
  screen(frame: StatsFrame, size: {columns: number; rows: number}, meta: ViewMeta, state: ViewState): Screen {
    const c = this.c
    const W = Math.max(40, size.columns)
    const R = Math.max(1, size.rows)
    const t = totals(frame.samples)
    const proc = frame.process
    const lines: string[] = []

    // 1: title and clock first (never cut), then what is cut at the end if the line is too long.
    const clock = `${frame.time.slice(11, 19)}Z`
    const pieces = [
      `every ${meta.intervalMs / 1000}s`,
      printable(frame.source),
      proc.version ? `HAProxy ${printable(proc.version.split('-')[0]!)}` : '',
      proc.pid !== undefined ? `pid ${proc.pid}` : '',
      proc.uptimeSec === undefined ? '' : `up ${uptime(proc.uptimeSec)}`,
    ].filter(Boolean)
    let head = `vipctl stats  ${clock}`
    for (const p of pieces) {
      const room = W - head.length - 2
      if (p.length <= room) head += `  ${p}`
      else {
        // A long source (socket path, URL) is cut with a marker; the pieces after it are left out.
        if (room >= 12) head += `  ${fit(p, room)}`
        break
      }
    }
    lines.push(c.bold(head))
    // 2: the keys.
    lines.push(c.dim(fit(KEYS_HELP, W).trimEnd()))
    // 3: totals, each labelled by what it counts.
    const down = t.servers - t.serversUp
    const count = (label: string, n: number, colour: (x: string) => string) => `${label} ${n === 0 ? '0' : colour(String(n))}`
    lines.push(clip(
      [
        c.bold('TOTAL'),
        `req/s ${c.bold(fmtRate(t.rate))}`,
        `sess ${t.sessions}`,
        count('3xx', t.responses['3xx'], (x) => x),
        count('4xx', t.responses['4xx'], c.yellow),
        count('5xx', t.responses['5xx'], c.red),
        count('err', t.errors, c.red),
        `servers up ${down === 0 ? c.green(`${t.serversUp}/${t.servers}`) : c.red(`${t.serversUp}/${t.servers}`)}`,
      ].join('  '),
      W,
    ))

    // The rows in the view's order and filter.
    // Frames from the tail come sorted by --sort; REQ/S and NAME order the same way here, so while the view is still on that column the order is kept as it is.
    const inOrder = meta.presorted === true && !state.reverse && ((meta.sort === 'rate' && state.sort === 'rate') || (meta.sort === 'name' && state.sort === 'name'))
    const sections = (['FRONTEND', 'BACKEND', 'SERVER'] as const).map((title) => {
      const all = frame.samples.filter((s) => s.type === title.toLowerCase())
      return {title, rows: inOrder ? filterRows(all, state.filter) : sortRows(filterRows(all, state.filter), state), total: all.length, spark: title !== 'SERVER'}
    })
    const shownRows = sections.flatMap((s) => s.rows)
    const totalRows = sections.reduce((a, s) => a + s.total, 0)

    // Column widths over every row of the frame (not only those on screen), so scrolling does not move columns.
    const all = frame.samples
    // STATUS: as long as the longest ("DOWN L4CON", "MAINT (via be/s1)"), at most STATUS_MAX (cut with a marker).
    // (Loops, not Math.max(...rows): a spread of tens of thousands of servers would overflow the stack.)
    let statusLongest = 6
    let nameFull = 8
    let kubeFull = 10
    for (const s of all) {
      statusLongest = Math.max(statusLongest, statusText(s).length)
      nameFull = Math.max(nameFull, nameText(s).length)
      kubeFull = Math.max(kubeFull, kubeCell(s).length)
    }
    const statusW = Math.min(STATUS_MAX, statusLongest)
    const allNumCols: Array<{label: string; get: (s: StatSample) => string; colour?: (s: StatSample, v: string) => string}> = [
      {label: 'REQ/S', get: (s) => fmtRate(s.requests.rate)},
      {label: 'SESS', get: (s) => String(s.sessions.current)},
      {label: '3XX', get: (s) => String(s.responses['3xx'])},
      {label: '4XX', get: (s) => String(s.responses['4xx']), colour: (_s, v) => (v.trim() === '0' ? v : c.yellow(v))},
      {label: '5XX', get: (s) => String(s.responses['5xx']), colour: (_s, v) => (v.trim() === '0' ? v : c.red(v))},
      {label: 'ERR', get: (s) => String(proxyErrors(s)), colour: (_s, v) => (v.trim() === '0' ? v : c.red(v))},
      {label: 'RTIME', get: (s) => `${s.timesMs.response}ms`},
    ]
    // Widths from the largest value of each count, in one pass (this runs every refresh over every server).
    const max = {rate: 0, sess: 0, r3: 0, r4: 0, r5: 0, err: 0, rtime: 0}
    for (const s of all) {
      if ((s.requests.rate ?? 0) > max.rate) max.rate = s.requests.rate!
      if (s.sessions.current > max.sess) max.sess = s.sessions.current
      if (s.responses['3xx'] > max.r3) max.r3 = s.responses['3xx']
      if (s.responses['4xx'] > max.r4) max.r4 = s.responses['4xx']
      if (s.responses['5xx'] > max.r5) max.r5 = s.responses['5xx']
      const e = proxyErrors(s)
      if (e > max.err) max.err = e
      if (s.timesMs.response > max.rtime) max.rtime = s.timesMs.response
    }
    // A rate under 100 prints as 99.9 (four characters); larger ones as whole numbers.
    const colW = new Map<string, number>([
      ['REQ/S', Math.max(5, fmtRate(max.rate).length)],
      ['SESS', Math.max(4, String(max.sess).length)],
      ['3XX', Math.max(3, String(max.r3).length)],
      ['4XX', Math.max(3, String(max.r4).length)],
      ['5XX', Math.max(3, String(max.r5).length)],
      ['ERR', Math.max(3, String(max.err).length)],
      ['RTIME', Math.max(5, `${max.rtime}ms`.length)],
    ])
    const kubeMin = Math.min(kubeFull, KUBE_MIN)
    // Numbers are right-aligned: one space between them is enough; two around the text columns.
    const widthOf = (cols: typeof allNumCols) => cols.map((col) => colW.get(col.label)!)
    const availFor = (cols: typeof allNumCols) => W - (statusW + widthOf(cols).reduce((a, b) => a + b, 0) + (cols.length - 1) + 2 * 3)
    // On a narrow terminal that would leave names shorter than NAME_MIN, the least telling counts go
    // (3XX, RTIME, 4XX, SESS: the TOTAL line keeps 3xx and 4xx); never REQ/S, 5XX or ERR.
    let numCols = allNumCols
    for (const drop of ['3XX', 'RTIME', '4XX', 'SESS']) {
      if (availFor(numCols) - kubeMin >= Math.min(nameFull, NAME_MIN)) break
      numCols = numCols.filter((col) => col.label !== drop)
    }
    const numW = widthOf(numCols)
    const avail = availFor(numCols)
    // Names first: whole unless the terminal cannot hold them beside a short KUBERNETES; then KUBERNETES; TREND takes what is left.
    const nameW = Math.max(4, Math.min(nameFull, avail - kubeMin))
    // TREND keeps TREND_MIN columns when a short KUBERNETES still leaves them, and grows into what a whole KUBERNETES leaves.
    const trendReserve = avail - nameW - kubeMin - 2 >= TREND_MIN ? TREND_MIN + 2 : 0
    const kubeW = Math.max(0, Math.min(kubeFull, avail - nameW - trendReserve))
    const left = avail - nameW - kubeW - 2
    const trendW = left >= TREND_MIN ? Math.min(TREND_MAX, left) : 0

    const cells = (name: string, kube: string, status: string, nums: string[], trend: string | undefined) =>
      [name, kube, status].join('  ') + '  ' + nums.join(' ') + (trend === undefined ? '' : `  ${trend}`)
    const header = (title: SectionTitle, spark: boolean) =>
      c.bold(clip(cells(fit(title, nameW), fit('KUBERNETES', kubeW), fit('STATUS', statusW), numCols.map((col, i) => col.label.padStart(numW[i]!)), spark && trendW > 0 ? 'TREND' : undefined).trimEnd(), W))
    const rowText = (s: StatSample, spark: boolean): string => {
      const nums = numCols.map((col, i) => {
        const v = col.get(s).padStart(numW[i]!)
        return col.colour ? col.colour(s, v) : v
      })
      const trend = spark && trendW > 0 ? c.cyan(sparkline(this.history.get(sampleKey(s)) ?? [s.requests.rate], trendW)) : undefined
      return clip(cells(fitMiddle(nameText(s), nameW), s.type === 'frontend' ? fit(kubeCell(s), kubeW) : fitMiddle(kubeCell(s), kubeW), styleStatus(s, fit(statusText(s), statusW), c), nums, trend), W)
    }

    // The body: every section's header and rows; the screen shows a window of it.
    const body: BodyLine[] = []
    if (state.help) for (const text of LEGEND) body.push({text: () => fit(text, W).trimEnd(), section: 'FRONTEND', kind: 'note'})
    else for (const sec of sections) {
      if (sec.rows.length === 0) continue
      if (body.length > 0) body.push({text: () => '', section: sec.title, kind: 'blank'})
      body.push({text: () => header(sec.title, sec.spark), section: sec.title, kind: 'header'})
      for (const s of sec.rows) body.push({text: () => rowText(s, sec.spark), section: sec.title, kind: 'row'})
    }
    if (body.length === 0)
      body.push({text: () => c.dim(fit(totalRows === 0 ? 'The proxy reports no frontends, backends or servers.' : `No row matches "${printable(state.filter)}" (Esc clears the filter).`, W).trimEnd()), section: 'FRONTEND', kind: 'note'})

    const page = Math.max(1, R - HEAD_LINES)
    // A window never starts on the blank line between sections; one starting inside a section shows that section's header first (its columns stay named).
    const startAt = (at: number) => (body[at]?.kind === 'blank' ? at + 1 : at)
    const sticky = (at: number) => body[startAt(at)]?.kind === 'row'
    const span = (at: number) => (sticky(at) ? page - 1 : page)
    const fits = (at: number) => startAt(at) + span(at) >= body.length
    // The first position that shows the last line: never before body.length - page - 1.
    let maxScroll = Math.max(0, body.length - page - 1)
    while (maxScroll < body.length - 1 && !fits(maxScroll)) maxScroll++
    while (maxScroll > 0 && fits(maxScroll - 1)) maxScroll--
    const scroll = Math.max(0, Math.min(maxScroll, state.scroll))
    const from = startAt(scroll)
    const onScreen = body.slice(from, from + span(scroll))
    const window = sticky(scroll) ? [header(body[from]!.section, body[from]!.section !== 'SERVER'), ...onScreen.map((l) => l.text())] : onScreen.map((l) => l.text())
    let rowsBefore = 0
    for (let i = 0; i < from; i++) if (body[i]!.kind === 'row') rowsBefore++
    const rowsOn = onScreen.filter((l) => l.kind === 'row').length

    // 4: the view's state: sort, filter, which rows are on screen.
    const filterText = state.editing ? `filter /${printable(state.filter)}_ (Enter keeps, Esc clears)` : state.filter ? `filter "${printable(state.filter)}" (Esc clears)` : 'filter none'
    const where = state.help ? 'help (? or Esc closes)' : shownRows.length === 0 ? 'no rows' : `rows ${rowsBefore + 1}-${rowsBefore + rowsOn} of ${shownRows.length}${shownRows.length < totalRows ? ` (${totalRows - shownRows.length} filtered out)` : ''}${rowsBefore + rowsOn < shownRows.length ? ' ↓' : ''}${rowsBefore > 0 ? ' ↑' : ''}`
    lines.push(clip(`sort ${c.bold(sortLabel(state))}  ${state.editing || state.filter ? c.bold(filterText) : filterText}  ${where}`, W))
    // 5: the latest notice, or a blank line before the body.
    lines.push(meta.notice ? c.yellow(fit(printable(meta.notice), W).trimEnd()) : '')
    lines.push(...window)
    return {text: terminalText(lines.slice(0, R).join('\n'), {colour: c.level > 0}), scroll, page, maxScroll}
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

/** Longest input read handled at once (a paste): the rest is dropped, the view stays responsive. */
const MAX_INPUT = 4096

/**
 * Runs the live view until the frames end or the user quits (q, Ctrl-C) or
 * `abort` fires (SIGINT, SIGTERM). Keys scroll, sort and filter in place
 * (view.ts); each read of the terminal redraws once. Raw mode only on a TTY.
 * Returns the last frame shown. The terminal is restored in every case,
 * at once on abort even while a read of the proxy is still under way.
 */
export async function runLive(frames: AsyncIterable<StatsFrame>, term: Terminal, view: LiveView, meta: ViewMeta, abort: AbortController): Promise<StatsFrame | undefined> {
  const {input, output} = term
  let last: StatsFrame | undefined
  let state = initialState(meta.sort)
  let room = {page: 1, maxScroll: 0}
  const draw = () => {
    if (!last || restored) return
    const sc = view.screen(last, {columns: output.columns || 80, rows: output.rows || 24}, meta, state)
    state = {...state, scroll: sc.scroll}
    room = {page: sc.page, maxScroll: sc.maxScroll}
    output.write(`\x1b[H${sc.text.split('\n').join('\x1b[K\n')}\x1b[K\x1b[J`)
  }
  const onKey = (d: Buffer | string) => {
    for (const k of parseKeys(String(d).slice(0, MAX_INPUT))) {
      const next = applyKey(state, k, room)
      if (next === 'quit') {
        abort.abort()
        return
      }
      state = next
    }
    draw()
  }
  let restored = false
  const restore = () => {
    if (restored) return
    restored = true
    output.write('\x1b[?25h\x1b[?1049l')
    if (input.isTTY) input.setRawMode(false)
    input.off('data', onKey)
    input.pause()
    output.off('resize', draw)
    process.off('exit', restore)
  }
  const stopped = new Promise<void>((resolve) => {
    if (abort.signal.aborted) resolve()
    abort.signal.addEventListener('abort', () => resolve(), {once: true})
  })
  output.write('\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J')
  // A crash that skips the finally below still leaves the terminal usable.
  process.once('exit', restore)
  if (input.isTTY) input.setRawMode(true)
  input.on('data', onKey)
  input.resume()
  output.on('resize', draw)
  const it = frames[Symbol.asyncIterator]()
  try {
    for (;;) {
      const pending = it.next()
      const r = await Promise.race([pending, stopped.then(() => undefined)])
      if (r === undefined) {
        // Stopped while a read is under way: its outcome no longer matters.
        pending.catch(() => undefined)
        break
      }
      if (r.done) break
      view.push(r.value)
      last = r.value
      draw()
    }
  } finally {
    restore()
    // Ends the frames (their sleep is aborted too); a read still waiting on the proxy finishes on its own time-out.
    void it.return?.(undefined)?.catch(() => undefined)
  }
  return last
}
