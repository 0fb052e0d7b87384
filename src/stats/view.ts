/**
 * The live view's state and keys, pure: decoding what a raw-mode terminal
 * sends into keys, and keys into the next state (scroll, sort, filter).
 * Nothing here reads a terminal; runLive (live.ts) feeds it and draws.
 */
import {errorCount, kubeText, type SortKey} from './kube.js'
import type {StatSample} from './types.js'
import {UNPRINTABLE} from '../core/printable.js'

/** The columns the live view sorts by, in the order `s` cycles through them. */
export const SORT_COLUMNS = ['name', 'kube', 'status', 'rate', 'sessions', '3xx', '4xx', '5xx', 'err', 'rtime'] as const
export type SortColumn = (typeof SORT_COLUMNS)[number]

/** Column headers as the view prints them. */
export const COLUMN_LABEL: Record<SortColumn, string> = {name: 'NAME', kube: 'KUBERNETES', status: 'STATUS', rate: 'REQ/S', sessions: 'SESS', '3xx': '3XX', '4xx': '4XX', '5xx': '5XX', err: 'ERR', rtime: 'RTIME'}

/** Text columns sort A to Z, counters largest first; `r` reverses either. */
const TEXT_COLUMNS = new Set<SortColumn>(['name', 'kube', 'status'])

/** Longest filter kept (a paste cannot grow the state without bound). */
export const FILTER_MAX = 64

export interface ViewState {
  sort: SortColumn
  reverse: boolean
  /** Case-insensitive substring of NAME, KUBERNETES or STATUS; '' shows everything. */
  filter: string
  /** Typing a filter (after `/`): keys go into the filter until Enter or Esc. */
  editing: boolean
  /** First body line shown (clamped by the renderer to what the frame has). */
  scroll: number
  /** `?`: the body shows what each column and total counts instead of the rows. */
  help: boolean
}

/** --sort's keys as the view's first column: errors (5xx + ERR) starts on 5XX, latency on RTIME. */
export function initialState(sort: SortKey | string): ViewState {
  const col: SortColumn = sort === 'name' ? 'name' : sort === 'errors' ? '5xx' : sort === 'latency' ? 'rtime' : (SORT_COLUMNS as readonly string[]).includes(sort) ? (sort as SortColumn) : 'rate'
  return {sort: col, reverse: false, filter: '', editing: false, scroll: 0, help: false}
}

/** ERR: HAProxy's request, connect and response errors (ereq + econ + eresp), failures that are not an HTTP status. */
export const proxyErrors = (s: StatSample): number => errorCount(s) - s.responses['5xx']

function sortValue(s: StatSample, c: SortColumn): number | string {
  switch (c) {
    case 'name':
      return s.name
    case 'kube':
      return kubeText(s)
    case 'status':
      return s.status
    case 'rate':
      return s.requests.rate ?? -1
    case 'sessions':
      return s.sessions.current
    case '3xx':
    case '4xx':
    case '5xx':
      return s.responses[c]
    case 'err':
      return proxyErrors(s)
    case 'rtime':
      return s.timesMs.response
  }
}

/** Rows of one section in the view's order: by the column (text A-Z, numbers largest first), reversed with `r`, ties by name. */
export function sortRows(rows: StatSample[], state: Pick<ViewState, 'sort' | 'reverse'>): StatSample[] {
  const dir = (TEXT_COLUMNS.has(state.sort) ? 1 : -1) * (state.reverse ? -1 : 1)
  const cmp = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0)
  // Each row's key once (this runs every refresh over every server).
  return rows
    .map((s) => ({s, k: sortValue(s, state.sort)}))
    .sort((a, b) => dir * cmp(a.k, b.k) || cmp(a.s.name, b.s.name))
    .map((x) => x.s)
}

/** Rows whose NAME, KUBERNETES or STATUS contains the filter (case-insensitive). */
export function filterRows(rows: StatSample[], filter: string): StatSample[] {
  if (filter === '') return rows
  const f = filter.toLowerCase()
  return rows.filter((s) => s.name.toLowerCase().includes(f) || kubeText(s).toLowerCase().includes(f) || s.status.toLowerCase().includes(f))
}

export type Key = 'up' | 'down' | 'pgup' | 'pgdn' | 'home' | 'end' | 'esc' | 'enter' | 'backspace' | 'interrupt' | 'clear-line' | {char: string}

/** CSI and SS3 sequences a terminal sends for the keys we use (xterm, tmux, screen, the Linux console). */
const SEQUENCES: Record<string, Key> = {
  '[A': 'up', OA: 'up', '[B': 'down', OB: 'down',
  '[5~': 'pgup', '[6~': 'pgdn',
  '[H': 'home', OH: 'home', '[1~': 'home', '[7~': 'home',
  '[F': 'end', OF: 'end', '[4~': 'end', '[8~': 'end',
}

/**
 * What one read of a raw-mode terminal holds, as keys. An escape sequence we
 * do not use (F-keys, mouse) is skipped whole; a lone ESC is the Esc key;
 * other control, format (bidi overrides) and separator characters are dropped. Bounded by the input's length.
 */
export function parseKeys(data: string): Key[] {
  const keys: Key[] = []
  let i = 0
  while (i < data.length) {
    const ch = data[i]!
    if (ch === '\x1b') {
      const next = data[i + 1]
      if (next === '[' || next === 'O') {
        // CSI: parameters and intermediates up to a final byte 0x40-0x7e; SS3: one final character.
        let j = i + 2
        if (next === '[') while (j < data.length && !/[\x40-\x7e]/.test(data[j]!)) j++
        const seq = data.slice(i + 1, j + 1)
        const k = SEQUENCES[seq]
        if (k) keys.push(k)
        i = j + 1
        continue
      }
      keys.push('esc')
      i++
      continue
    }
    const code = data.codePointAt(i)!
    const width = code > 0xffff ? 2 : 1
    if (ch === '\x03' || ch === '\x04') keys.push('interrupt')
    else if (ch === '\r' || ch === '\n') keys.push('enter')
    else if (ch === '\x7f' || ch === '\b') keys.push('backspace')
    else if (ch === '\x15') keys.push('clear-line')
    else if (!UNPRINTABLE.test(data.slice(i, i + width))) keys.push({char: data.slice(i, i + width)})
    i += width
  }
  return keys
}

/** How far the view can move: lines per page and the last first-line (both from the last screen drawn). */
export interface ScrollRoom {
  page: number
  maxScroll: number
}

const clampScroll = (n: number, room: ScrollRoom) => Math.max(0, Math.min(room.maxScroll, n))

/** k/j line, b/space page, g/G top and bottom: the same moves as the arrow and paging keys. */
const LETTER_KEYS: Readonly<Record<string, Key>> = {k: 'up', j: 'down', b: 'pgup', ' ': 'pgdn', g: 'home', G: 'end'}

/**
 * The next state after a key, or 'quit'. While a filter is typed, printable
 * keys go into it (q too); Enter keeps it, Esc clears it. Otherwise:
 * ↑/k ↓/j line, PgUp/PgDn (b/space) page, Home/g End/G, s/S next/previous
 * sort column, r reverse, / filter, Esc close help or clear filter, ? help,
 * q or Ctrl-C quit.
 */
export function applyKey(state: ViewState, key: Key, room: ScrollRoom): ViewState | 'quit' {
  if (key === 'interrupt') return 'quit'
  // Outside the filter, the letter keys stand for the named ones (less's and vi's).
  if (typeof key !== 'string' && !state.editing && key.char in LETTER_KEYS) key = LETTER_KEYS[key.char]!
  const page = Math.max(1, room.page - 1)
  const scrollTo = (n: number): ViewState => ({...state, scroll: clampScroll(n, room)})
  switch (key) {
    case 'up':
      return scrollTo(state.scroll - 1)
    case 'down':
      return scrollTo(state.scroll + 1)
    case 'pgup':
      return scrollTo(state.scroll - page)
    case 'pgdn':
      return scrollTo(state.scroll + page)
    case 'home':
      return scrollTo(0)
    case 'end':
      return scrollTo(room.maxScroll)
    case 'esc':
      // Esc closes the help first; then it clears the filter.
      if (state.help && !state.editing) return {...state, help: false, scroll: 0}
      return {...state, filter: '', editing: false, scroll: state.filter === '' ? state.scroll : 0}
    case 'enter':
      return {...state, editing: false}
    case 'backspace':
      return state.editing ? {...state, filter: [...state.filter].slice(0, -1).join(''), scroll: 0} : state
    case 'clear-line':
      return state.editing ? {...state, filter: '', scroll: 0} : state
  }
  if (typeof key === 'string') return state
  const ch = key.char
  if (state.editing) return state.filter.length + ch.length > FILTER_MAX ? state : {...state, filter: state.filter + ch, scroll: 0}
  switch (ch) {
    case 'q':
    case 'Q':
      return 'quit'
    case 's':
    case 'S': {
      const i = SORT_COLUMNS.indexOf(state.sort)
      const next = SORT_COLUMNS[(i + (ch === 's' ? 1 : SORT_COLUMNS.length - 1)) % SORT_COLUMNS.length]!
      return {...state, sort: next, reverse: false, scroll: 0}
    }
    case 'r':
      return {...state, reverse: !state.reverse, scroll: 0}
    case '/':
      return {...state, editing: true, filter: '', scroll: 0, help: false}
    case '?':
      return {...state, help: !state.help, scroll: 0}
    default:
      return state
  }
}

/** The sort as the status line says it: the column and its direction. */
export function sortLabel(state: Pick<ViewState, 'sort' | 'reverse'>): string {
  const descending = !TEXT_COLUMNS.has(state.sort) !== state.reverse
  return `${COLUMN_LABEL[state.sort]} ${descending ? '↓' : '↑'}`
}
