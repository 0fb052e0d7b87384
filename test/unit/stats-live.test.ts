/**
 * The live stats view: keys decoded from raw terminal input, state transitions
 * (scroll, sort, filter), screens at 80/100/140 columns (names and clock whole,
 * keys in the header, 3xx/4xx/5xx/ERR labelled by what they count), and
 * runLive driving a fake terminal (raw mode on and off, restored on quit and abort).
 */
import assert from 'node:assert/strict'
import {PassThrough} from 'node:stream'
import {Chalk} from 'chalk'
import {KEYS_HELP, LEGEND, LiveView, runLive, type ViewMeta} from '../../src/stats/live.js'
import {totals} from '../../src/stats/kube.js'
import {applyKey, FILTER_MAX, filterRows, initialState, parseKeys, SORT_COLUMNS, sortRows, type Key, type ViewState} from '../../src/stats/view.js'
import {emptySample, type StatSample, type StatsFrame} from '../../src/stats/types.js'
import {assertGolden} from '../helpers/golden.js'

const plain = new Chalk({level: 0})
const meta: ViewMeta = {intervalMs: 2000, sort: 'rate'}

function row(type: StatSample['type'], proxy: string, server: string | undefined, p: Partial<StatSample> = {}): StatSample {
  return {...emptySample(type, proxy, server), status: type === 'frontend' ? 'OPEN' : 'UP', mode: 'http', ...p}
}

const LONG_BACKEND = 'payments-prod_checkout-api_8443'
/** 38 characters: the longest name in the frame, whole at 100 columns. */
const LONGEST = `${LONG_BACKEND}/SRV_12`

/** An operator's frame: long names, responses of every class, proxy errors on the frontend (ereq) and a backend (econ, eresp), 14 servers. */
function opsFrame(): StatsFrame {
  const servers = Array.from({length: 14}, (_, i) =>
    row('server', LONG_BACKEND, `SRV_${i + 1}`, {
      status: i === 4 ? 'DOWN' : 'UP',
      checkStatus: i === 4 ? 'L4CON' : 'L7OK',
      requests: {total: 100 * (i + 1), rate: i + 0.5},
      sessions: {current: i, total: 100},
      responses: {'1xx': 0, '2xx': 100, '3xx': i, '4xx': 14 - i, '5xx': i === 4 ? 9 : 0, other: 0},
      errors: {request: 0, connect: i === 4 ? 7 : 0, response: i === 2 ? 2 : 0},
      timesMs: {queue: 0, connect: 1, response: 10 + i, total: 12 + i},
      kube: {namespace: 'payments-prod', service: 'checkout-api', port: 8443, pod: `checkout-api-7d9f8b6c5-${String(i).padStart(5, 'x')}`},
    }),
  )
  return {
    time: '2026-11-30T17:04:59.000Z',
    source: '/run/vipctl/admin.sock',
    process: {pid: 31337, uptimeSec: 93_784, version: '2.8.5-1~bpo12+1'},
    reset: false,
    samples: [
      row('frontend', 'https_203-0-113-10_443', undefined, {
        requests: {total: 5000, rate: 120.5},
        sessions: {current: 40, total: 5000},
        responses: {'1xx': 0, '2xx': 4000, '3xx': 300, '4xx': 250, '5xx': 30, other: 0},
        errors: {request: 5, connect: 0, response: 0},
        kube: {vip: '203.0.113.10', port: 443, hosts: ['checkout.payments.example.com', 'pay.example.com', 'x.example.com']},
      }),
      row('frontend', 'tcp_203-0-113-11_5432', undefined, {mode: 'tcp', requests: {total: 10, rate: 0.5}, sessions: {current: 2, total: 10}, kube: {vip: '203.0.113.11', port: 5432}}),
      row('backend', LONG_BACKEND, undefined, {
        requests: {total: 4500, rate: 100},
        sessions: {current: 30, total: 4500},
        responses: {'1xx': 0, '2xx': 3900, '3xx': 91, '4xx': 105, '5xx': 9, other: 0},
        errors: {request: 0, connect: 7, response: 2},
        timesMs: {queue: 0, connect: 1, response: 21, total: 25},
        kube: {namespace: 'payments-prod', service: 'checkout-api', port: 8443},
      }),
      row('backend', 'payments-prod_ledger_5432', undefined, {mode: 'tcp', requests: {total: 10, rate: 0.5}, kube: {namespace: 'payments-prod', service: 'ledger', port: 5432}}),
      ...servers,
    ],
  }
}

const linesOf = (text: string) => text.split('\n')
const room = (page: number, maxScroll: number) => ({page, maxScroll})
const press = (s: ViewState, keys: Key[], r = room(10, 20)): ViewState | 'quit' => {
  let st: ViewState | 'quit' = s
  for (const k of keys) {
    if (st === 'quit') return st
    st = applyKey(st, k, r)
  }
  return st
}
const state = (patch: Partial<ViewState> = {}): ViewState => ({...initialState('rate'), ...patch})
/** Column text of a row by its header's position (the numbers are right-aligned under their headers). */
function cell(screen: string, headerStart: RegExp, rowName: string, header: string): string {
  const lines = linesOf(screen)
  const hi = lines.findIndex((l) => headerStart.test(l))
  const h = lines[hi]!
  const end = h.indexOf(header) + header.length
  const r = lines.slice(hi).find((l) => l.startsWith(`${rowName} `))!
  const start = h.lastIndexOf(' ', h.indexOf(header)) + 1
  return r.slice(start, end).trim()
}

describe('stats live view: keys', () => {
  it('decodes arrows, paging, Home/End in their xterm, SS3 and VT forms; a lone ESC is Esc', () => {
    assert.deepEqual(parseKeys('\x1b[A\x1b[B\x1bOA\x1bOB'), ['up', 'down', 'up', 'down'])
    assert.deepEqual(parseKeys('\x1b[5~\x1b[6~'), ['pgup', 'pgdn'])
    assert.deepEqual(parseKeys('\x1b[H\x1bOH\x1b[1~\x1b[7~'), ['home', 'home', 'home', 'home'])
    assert.deepEqual(parseKeys('\x1b[F\x1bOF\x1b[4~\x1b[8~'), ['end', 'end', 'end', 'end'])
    assert.deepEqual(parseKeys('\x1b'), ['esc'])
    assert.deepEqual(parseKeys('\x1bx'), ['esc', {char: 'x'}])
  })

  it('skips sequences it does not use whole (F-keys, modified arrows, mouse) and drops control characters', () => {
    assert.deepEqual(parseKeys('\x1b[15~j\x1b[1;5Ak\x1b[<0;3;4M'), [{char: 'j'}, {char: 'k'}])
    assert.deepEqual(parseKeys('\x00\x07\x1b[\x01'), [])
    assert.deepEqual(parseKeys('\x03'), ['interrupt'])
    assert.deepEqual(parseKeys('\x04'), ['interrupt'])
    assert.deepEqual(parseKeys('\r\n\x7f\b\x15'), ['enter', 'enter', 'backspace', 'backspace', 'clear-line'])
    assert.deepEqual(parseKeys('a\u0085b\u00e9😀'), [{char: 'a'}, {char: 'b'}, {char: 'é'}, {char: '😀'}])
    assert.deepEqual(parseKeys('x\u202ey\u200b\u2028z\ud800'), [{char: 'x'}, {char: 'y'}, {char: 'z'}], 'bidi overrides, zero-width, separators, lone surrogates never reach the filter')
  })

  it('a paste of many keys decodes in one bounded pass', () => {
    assert.equal(parseKeys('j'.repeat(10_000)).length, 10_000)
    assert.equal(parseKeys('\x1b['.repeat(1000)).length, 0)
  })
})

describe('stats live view: state transitions', () => {
  it('scrolls by line (↑↓, j k), page (PgUp/PgDn, b space: a page less one line), to either end, never past them', () => {
    const r = room(10, 25)
    assert.equal((press(state(), ['down', 'down', {char: 'j'}], r) as ViewState).scroll, 3)
    assert.equal((press(state({scroll: 3}), ['up', {char: 'k'}], r) as ViewState).scroll, 1)
    assert.equal((press(state(), ['up', {char: 'k'}], r) as ViewState).scroll, 0, 'not above the top')
    assert.equal((press(state(), ['pgdn'], r) as ViewState).scroll, 9)
    assert.equal((press(state(), ['pgdn', 'pgdn', 'pgdn'], r) as ViewState).scroll, 25, 'not below the end')
    assert.equal((press(state({scroll: 20}), ['pgup'], r) as ViewState).scroll, 11)
    assert.equal((press(state(), [{char: ' '}], r) as ViewState).scroll, 9)
    assert.equal((press(state({scroll: 9}), [{char: 'b'}], r) as ViewState).scroll, 0)
    assert.equal((press(state({scroll: 7}), ['end'], r) as ViewState).scroll, 25)
    assert.equal((press(state({scroll: 7}), [{char: 'G'}], r) as ViewState).scroll, 25)
    assert.equal((press(state({scroll: 7}), ['home'], r) as ViewState).scroll, 0)
    assert.equal((press(state({scroll: 7}), [{char: 'g'}], r) as ViewState).scroll, 0)
    assert.equal((press(state(), ['end'], room(10, 0)) as ViewState).scroll, 0, 'nothing to scroll')
  })

  it('s cycles through every column and wraps, S goes back, r reverses; a new sort starts at the top', () => {
    let st = state({scroll: 5})
    const seen: string[] = [st.sort]
    for (let i = 0; i < SORT_COLUMNS.length; i++) {
      st = applyKey(st, {char: 's'}, room(10, 20)) as ViewState
      seen.push(st.sort)
      assert.equal(st.scroll, 0)
    }
    assert.deepEqual(new Set(seen), new Set(SORT_COLUMNS))
    assert.equal(st.sort, 'rate', 'back where it started')
    assert.equal((press(state(), [{char: 'S'}]) as ViewState).sort, 'status')
    assert.equal((press(state({sort: 'name'}), [{char: 'S'}]) as ViewState).sort, 'rtime')
    const rev = press(state({scroll: 4}), [{char: 'r'}]) as ViewState
    assert.deepEqual([rev.reverse, rev.scroll], [true, 0])
    assert.equal((press(state(), [{char: 'r'}, {char: 'r'}]) as ViewState).reverse, false)
    assert.equal((press(state({reverse: true}), [{char: 's'}]) as ViewState).reverse, false, 'a new column starts in its own direction')
  })

  it('--sort picks the first column: errors on 5XX, latency on RTIME', () => {
    assert.equal(initialState('rate').sort, 'rate')
    assert.equal(initialState('name').sort, 'name')
    assert.equal(initialState('errors').sort, '5xx')
    assert.equal(initialState('latency').sort, 'rtime')
  })

  it('/ types a filter (q and j are letters there), Backspace and Ctrl-U edit it, Enter keeps it, Esc clears it', () => {
    let st = press(state({scroll: 6}), [{char: '/'}]) as ViewState
    assert.deepEqual([st.editing, st.filter, st.scroll], [true, '', 0])
    st = press(st, [...'squid'].map((char) => ({char}))) as ViewState
    assert.deepEqual([st.editing, st.filter, st.sort], [true, 'squid', 'rate'])
    st = press(st, ['backspace', 'backspace']) as ViewState
    assert.equal(st.filter, 'squ')
    st = press(st, ['enter']) as ViewState
    assert.deepEqual([st.editing, st.filter], [false, 'squ'])
    // Out of typing, letters are keys again.
    assert.equal((press(st, [{char: 's'}]) as ViewState).sort, 'sessions')
    assert.equal(press(st, [{char: 'q'}]), 'quit')
    const cleared = press(st, ['esc']) as ViewState
    assert.deepEqual([cleared.editing, cleared.filter], [false, ''])
    const typing = press(state(), [{char: '/'}, {char: 'x'}, {char: 'y'}]) as ViewState
    assert.deepEqual(press(typing, ['esc']), {...typing, editing: false, filter: '', scroll: 0})
    assert.equal((press(typing, ['clear-line']) as ViewState).filter, '')
    assert.equal(press(typing, ['interrupt']), 'quit', 'Ctrl-C quits even while typing')
    // Backspace in an empty filter or out of typing changes nothing.
    assert.deepEqual(press(state(), ['backspace']), state())
    assert.equal((press(state({editing: true}), ['backspace']) as ViewState).filter, '')
  })

  it('a filter is bounded, and Esc without a filter keeps the scroll', () => {
    const long = press(state({editing: true}), Array.from({length: 200}, () => ({char: 'a'}))) as ViewState
    assert.equal(long.filter.length, FILTER_MAX)
    assert.equal((press(state({scroll: 4}), ['esc']) as ViewState).scroll, 4)
  })

  it('? opens and closes the help; Esc closes it before it clears a filter; while typing ? is a letter', () => {
    const open = press(state({scroll: 3, filter: 'web'}), [{char: '?'}]) as ViewState
    assert.deepEqual([open.help, open.scroll, open.filter], [true, 0, 'web'])
    assert.equal((press(open, [{char: '?'}]) as ViewState).help, false)
    const esc = press(open, ['esc']) as ViewState
    assert.deepEqual([esc.help, esc.filter], [false, 'web'])
    assert.equal((press(esc, ['esc']) as ViewState).filter, '')
    const typing = press(state(), [{char: '/'}, {char: '?'}]) as ViewState
    assert.deepEqual([typing.filter, typing.help], ['?', false])
    assert.equal((press(open, [{char: '/'}]) as ViewState).help, false, 'typing a filter closes the help')
  })

  it('q and Ctrl-C quit; unknown letters change nothing', () => {
    assert.equal(press(state(), [{char: 'q'}]), 'quit')
    assert.equal(press(state(), [{char: 'Q'}]), 'quit')
    assert.equal(press(state(), ['interrupt']), 'quit')
    assert.deepEqual(press(state(), [{char: 'z'}, {char: '7'}]), state())
  })

  it('sorts rows by the column (numbers largest first, text A-Z), r reverses, ties by name; filters on name, Kubernetes and status', () => {
    const servers = opsFrame().samples.filter((s) => s.type === 'server')
    const names = (rows: StatSample[]) => rows.map((s) => s.server)
    assert.deepEqual(names(sortRows(servers, {sort: '4xx', reverse: false})).slice(0, 3), ['SRV_1', 'SRV_2', 'SRV_3'])
    assert.deepEqual(names(sortRows(servers, {sort: '3xx', reverse: false})).slice(0, 3), ['SRV_14', 'SRV_13', 'SRV_12'])
    assert.deepEqual(names(sortRows(servers, {sort: 'err', reverse: false})).slice(0, 2), ['SRV_5', 'SRV_3'])
    assert.deepEqual(names(sortRows(servers, {sort: 'name', reverse: false})).slice(0, 3), ['SRV_1', 'SRV_10', 'SRV_11'])
    assert.deepEqual(names(sortRows(servers, {sort: 'name', reverse: true})).slice(0, 2), ['SRV_9', 'SRV_8'])
    assert.deepEqual(names(sortRows(servers, {sort: 'status', reverse: false}))[0], 'SRV_5', 'DOWN before UP')
    assert.deepEqual(names(filterRows(servers, 'xxx12')), ['SRV_13'])
    assert.deepEqual(names(filterRows(servers, 'down')), ['SRV_5'])
    assert.equal(filterRows(servers, 'CHECKOUT-API').length, 14)
    assert.equal(filterRows(servers, '').length, 14)
  })
})

describe('stats live view: screens', () => {
  const view = () => {
    const v = new LiveView(plain)
    for (const r of [20, 60, 90, 120.5]) {
      const f = opsFrame()
      f.samples[0]!.requests.rate = r
      v.push(f)
    }
    return v
  }

  for (const [columns, rows] of [[80, 24], [100, 24], [140, 30]] as const) {
    it(`${columns}x${rows}: within the terminal, clock whole, keys in the header, every count labelled (golden)`, () => {
      const text = view().frameText(opsFrame(), {columns, rows}, meta)
      const lines = linesOf(text)
      assert.ok(lines.length <= rows, text)
      for (const l of lines) assert.ok(l.length <= columns, `longer than ${columns}: ${l}`)
      assert.match(lines[0]!, /^vipctl stats {2}17:04:59Z {2}every 2s/)
      assert.equal(lines[1], KEYS_HELP)
      assert.match(lines[2]!, /^TOTAL {2}req\/s 121 {2}sess 42 {2}3xx 300 {2}4xx 250 {2}5xx 30 {2}err 14 {2}servers up 13\/14$/)
      assert.doesNotMatch(text, /errors/, 'no count is called "errors"')
      assert.match(lines[3]!, /^sort REQ\/S ↓ {2}filter none {2}rows 1-\d+ of 18( ↓)?$/)
      assert.match(text, /^FRONTEND +KUBERNETES +STATUS +REQ\/S +SESS +3XX +4XX +5XX +ERR +RTIME/m)
      assertGolden(`stats/live-ops-${columns}x${rows}.txt`, `${text}\n`)
    })
  }

  it('100 columns: every name whole (no marker), KUBERNETES cut with a marker; 140: TREND too', () => {
    const f = opsFrame()
    const t100 = view().frameText(f, {columns: 100, rows: 40}, meta)
    for (const s of f.samples) assert.ok(linesOf(t100).some((l) => l.startsWith(`${s.name} `)), `${s.name} whole at 100 columns:\n${t100}`)
    assert.match(t100, /^https_203-0-113-10_443 +203\.0\.113\.10:[^ ]*… /m)
    assert.doesNotMatch(t100, /TREND/)
    const t140 = view().frameText(f, {columns: 140, rows: 40}, meta)
    assert.match(t140, /^FRONTEND .* TREND$/m)
    assert.match(t140, /^https_203-0-113-10_443 .*[▁▂▃▄▅▆▇█]{4}$/m)
  })

  it('80 columns: the longest names are cut in the middle with a marker, shorter ones stay whole', () => {
    const text = view().frameText(opsFrame(), {columns: 80, rows: 40}, meta)
    assert.doesNotMatch(text, new RegExp(`^${LONGEST} `, 'm'))
    assert.match(text, /^payments-pr[^ ]*…[^ ]*\/SRV_12 /m, 'the start and the server part stay')
    assert.match(text, /^https_203-0-113-10_443 /m)
  })

  it('narrower than 40 columns draws at 40; a tiny terminal gets the header lines only', () => {
    const text = view().frameText(opsFrame(), {columns: 20, rows: 3}, meta)
    assert.equal(linesOf(text).length, 3)
    assert.match(linesOf(text)[0]!, /^vipctl stats {2}17:04:59Z/)
  })

  it('3XX, 4XX, 5XX and ERR (ereq + econ + eresp) per row, totals over what they say', () => {
    const f = opsFrame()
    const text = view().frameText(f, {columns: 140, rows: 40}, {...meta, sort: 'name'})
    assert.equal(cell(text, /^BACKEND /, LONG_BACKEND, '3XX'), '91')
    assert.equal(cell(text, /^BACKEND /, LONG_BACKEND, '4XX'), '105')
    assert.equal(cell(text, /^BACKEND /, LONG_BACKEND, '5XX'), '9')
    assert.equal(cell(text, /^BACKEND /, LONG_BACKEND, 'ERR'), '9', 'econ 7 + eresp 2')
    assert.equal(cell(text, /^FRONTEND /, 'https_203-0-113-10_443', 'ERR'), '5', 'ereq')
    assert.equal(cell(text, /^SERVER /, `${LONG_BACKEND}/SRV_5`, 'ERR'), '7')
    assert.equal(cell(text, /^SERVER /, `${LONG_BACKEND}/SRV_5`, '5XX'), '9')
    // Totals: responses the frontends sent; ERR the frontends' ereq plus the backends' econ and eresp (servers' are in their backend's).
    const t = totals(f.samples)
    assert.deepEqual(t.responses, {'3xx': 300, '4xx': 250, '5xx': 30})
    assert.equal(t.errors, 5 + 7 + 2)
  })

  it('scrolling shows every row at some position, the section header stays on top, the state line says where', () => {
    const v = view()
    const f = opsFrame()
    const size = {columns: 100, rows: 12}
    const first = v.screen(f, size, meta, state())
    assert.equal(first.page, 7)
    assert.ok(first.maxScroll > 0)
    assert.match(linesOf(first.text)[3]!, /rows 1-\d+ of 18 ↓$/)
    const seen = new Set<string>()
    let st = state()
    for (let i = 0; i <= first.maxScroll + 2; i++) {
      const sc = v.screen(f, size, meta, st)
      const lines = linesOf(sc.text)
      assert.ok(lines.length <= 12)
      const body = lines.slice(5)
      assert.match(body[0]!, /^(FRONTEND|BACKEND|SERVER) +KUBERNETES/, `line 6 is a section header at scroll ${sc.scroll}:\n${sc.text}`)
      for (const s of f.samples) if (body.some((l) => l.startsWith(`${s.name} `))) seen.add(s.name)
      st = applyKey({...st, scroll: sc.scroll}, 'down', sc) as ViewState
    }
    assert.deepEqual([...seen].sort(), f.samples.map((s) => s.name).sort())
    const end = v.screen(f, size, meta, state({scroll: 1000}))
    assert.equal(end.scroll, end.maxScroll, 'a scroll past the end is clamped')
    assert.match(linesOf(end.text)[3]!, /rows \d+-18 of 18 ↑$/)
    assert.match(linesOf(end.text)[5]!, /^SERVER +KUBERNETES/)
  })

  it('frames the tail already sorted by --sort are kept in their order while the view sorts by that column; any other sort re-sorts', () => {
    const f = opsFrame()
    // Deliberately not in REQ/S order: presorted says the caller vouches for the order.
    const kept = view().screen(f, {columns: 100, rows: 40}, {...meta, presorted: true}, state()).text
    assert.match(linesOf(kept).filter((l) => l.startsWith(`${LONG_BACKEND}/`))[0]!, /\/SRV_1 /)
    const resorted = view().screen(f, {columns: 100, rows: 40}, {...meta, presorted: true}, state({reverse: true})).text
    assert.match(linesOf(resorted).filter((l) => l.startsWith(`${LONG_BACKEND}/`))[0]!, /\/SRV_1 /)
    const bySessions = view().screen(f, {columns: 100, rows: 40}, {...meta, presorted: true}, state({sort: 'sessions'})).text
    assert.match(linesOf(bySessions).filter((l) => l.startsWith(`${LONG_BACKEND}/`))[0]!, /\/SRV_14 /)
    const unvouched = view().screen(f, {columns: 100, rows: 40}, meta, state()).text
    assert.match(linesOf(unvouched).filter((l) => l.startsWith(`${LONG_BACKEND}/`))[0]!, /\/SRV_14 /)
  })

  it('the sort shows in the state line and orders each section', () => {
    const text = view().screen(opsFrame(), {columns: 100, rows: 40}, meta, state({sort: '4xx', reverse: true})).text
    assert.match(linesOf(text)[3]!, /^sort 4XX ↑ /)
    const servers = linesOf(text).filter((l) => l.startsWith(`${LONG_BACKEND}/`))
    assert.match(servers[0]!, /\/SRV_14 /)
    assert.match(servers[13]!, /\/SRV_1 /)
  })

  it('the help says what every column and total counts, whole at 80 columns, and scrolls like the rows', () => {
    const v = view()
    const sc = v.screen(opsFrame(), {columns: 80, rows: 40}, meta, state({help: true}))
    const lines = linesOf(sc.text)
    assert.match(lines[3]!, /help \(\? or Esc closes\)$/)
    assert.deepEqual(lines.slice(5), LEGEND)
    for (const l of lines) assert.ok(l.length <= 80, l)
    assert.match(sc.text, /ERR {2}request \+ connect \+ response errors \(HAProxy ereq \+ econ \+ eresp\)/)
    assert.match(sc.text, /3XX 4XX 5XX {2}HTTP responses by class/)
    const small = v.screen(opsFrame(), {columns: 80, rows: 10}, meta, state({help: true, scroll: 100}))
    assert.equal(linesOf(small.text).at(-1), LEGEND.at(-1))
  })

  it('a filter keeps the matching rows, says how many it hides; typing shows a cursor; nothing matching says so', () => {
    const v = view()
    const f = opsFrame()
    const typed = v.screen(f, {columns: 100, rows: 40}, meta, state({filter: 'xxx1', editing: true})).text
    assert.match(linesOf(typed)[3]!, /filter \/xxx1_ \(Enter keeps, Esc clears\) {2}rows 1-5 of 5 \(13 filtered out\)$/)
    // Pods xxxx1, xxx10..xxx13, in the view's order (REQ/S, largest first).
    assert.deepEqual(linesOf(typed).filter((l) => l.startsWith(`${LONG_BACKEND}/`)).map((l) => l.split(' ')[0]), ['SRV_14', 'SRV_13', 'SRV_12', 'SRV_11', 'SRV_2'].map((x) => `${LONG_BACKEND}/${x}`))
    assert.doesNotMatch(typed, /^FRONTEND/m, 'an empty section is left out')
    const kept = v.screen(f, {columns: 100, rows: 40}, meta, state({filter: 'ledger'})).text
    assert.match(linesOf(kept)[3]!, /filter "ledger"/)
    assert.match(kept, /^payments-prod_ledger_5432 /m)
    const none = v.screen(f, {columns: 100, rows: 40}, meta, state({filter: 'nope'})).text
    assert.match(none, /^No row matches "nope" \(Esc clears the filter\)\.$/m)
    assert.match(linesOf(none)[3]!, /no rows$/)
  })
})

describe('stats live view: runLive on a terminal', () => {
  function fakeTerminal(tty: boolean) {
    const input = new PassThrough() as unknown as NodeJS.ReadStream & PassThrough
    const raw: boolean[] = []
    Object.assign(input, {isTTY: tty, setRawMode: (on: boolean) => (raw.push(on), input)})
    const out: string[] = []
    const output = Object.assign(new PassThrough(), {columns: 100, rows: 12, write: (s: string) => (out.push(s), true)}) as unknown as NodeJS.WriteStream
    return {input, output, raw, out}
  }
  async function* framesUntil(signal: AbortSignal): AsyncGenerator<StatsFrame> {
    yield opsFrame()
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}))
  }
  const tick = () => new Promise((r) => setTimeout(r, 10))

  it('keys scroll, sort and filter in place; q quits; raw mode on then off; alternate screen left', async () => {
    const t = fakeTerminal(true)
    const abort = new AbortController()
    const done = runLive(framesUntil(abort.signal), {input: t.input, output: t.output}, new LiveView(plain), meta, abort)
    await tick()
    const last = () => t.out[t.out.length - 1]!
    assert.match(last(), /sort REQ\/S ↓ {2}filter none {2}rows 1-/)
    t.input.write('\x1b[F')
    await tick()
    assert.match(last(), /rows \d+-18 of 18 ↑/)
    t.input.write('s')
    await tick()
    assert.match(last(), /sort SESS ↓/)
    t.input.write('/ledger\r')
    await tick()
    assert.match(last(), /filter "ledger" \(Esc clears\) {2}rows 1-1 of 1 \(17 filtered out\)/)
    t.input.write('\x1b')
    await tick()
    assert.match(last(), /filter none/)
    t.input.write('q')
    const f = await done
    assert.equal(f?.time, '2026-11-30T17:04:59.000Z')
    assert.ok(abort.signal.aborted)
    assert.deepEqual(t.raw, [true, false])
    assert.ok(t.out[0]!.startsWith('\x1b[?1049h'))
    assert.equal(last(), '\x1b[?25h\x1b[?1049l', 'cursor shown, alternate screen left, last')
    assert.equal(t.input.listenerCount('data'), 0)
  })

  it('an abort (SIGINT, SIGTERM) restores the terminal at once, even while a read hangs', async () => {
    const t = fakeTerminal(true)
    const abort = new AbortController()
    async function* hanging(): AsyncGenerator<StatsFrame> {
      yield opsFrame()
      await new Promise(() => undefined)
    }
    const done = runLive(hanging(), {input: t.input, output: t.output}, new LiveView(plain), meta, abort)
    await tick()
    abort.abort()
    await done
    assert.deepEqual(t.raw, [true, false])
    assert.equal(t.out[t.out.length - 1], '\x1b[?25h\x1b[?1049l')
  })

  it('a first read that fails restores the terminal and throws; raw mode is never set off a TTY', async () => {
    const t = fakeTerminal(false)
    async function* failing(): AsyncGenerator<StatsFrame> {
      throw new Error('socket gone')
    }
    await assert.rejects(runLive(failing(), {input: t.input, output: t.output}, new LiveView(plain), meta, new AbortController()), /socket gone/)
    assert.deepEqual(t.raw, [])
    assert.equal(t.out[t.out.length - 1], '\x1b[?25h\x1b[?1049l')
  })
})
