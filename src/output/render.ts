/**
 * The one renderer. Commands return a Result; this module alone decides how it
 * is printed: table | wide | name | json | yaml | jsonl. JSON and YAML carry
 * apiVersion vipctl.io/v1alpha1 and a kind, like Kubernetes lists.
 */
import type {ChalkInstance} from 'chalk'
import {createRequire} from 'node:module'
import {UsageError} from '../errors.js'
import {UNPRINTABLE, jsonText, mapStrings, printable, printableText, terminalText} from '../core/printable.js'

// yaml and cli-table3 load on first use: commands that print neither (version, -o json) skip their cost.
const load = createRequire(import.meta.url)
/** What YAML must not carry raw (\n and \t it writes as block scalars and plain text). */
const YAML_UNSAFE = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u

/**
 * YAML with the original values, but no raw control or invisible characters:
 * the yaml library writes ESC as \e but leaves DEL, C1 (U+009B CSI, U+0085),
 * U+2028/2029, bidi and zero-width characters raw, even in plain scalars. A
 * string (or key) holding any of them is written double-quoted in JSON style,
 * and those characters as \u escapes (valid only there, which is where they are).
 */
export function yamlText(doc: unknown): string {
  const Y = load('yaml') as typeof import('yaml')
  const d = new Y.Document(doc, {aliasDuplicateObjects: false})
  let forced = false
  Y.visit(d, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && YAML_UNSAFE.test(node.value)) {
        node.type = 'QUOTE_DOUBLE'
        forced = true
      }
    },
  })
  const text = d.toString({lineWidth: 0, ...(forced ? {doubleQuotedAsJSON: true} : {})})
  // jsonText's treatment of what JSON leaves raw, applied to the JSON-style scalars.
  return forced && UNPRINTABLE.test(text) ? text.replace(/[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu, (ch) => jsonText(ch).slice(1, -1)) : text
}
const Table = (): typeof import('cli-table3') => load('cli-table3') as typeof import('cli-table3')

export const API_VERSION = 'vipctl.io/v1alpha1'

export const FORMATS = ['table', 'wide', 'name', 'json', 'yaml', 'jsonl'] as const
/** Formats only some results offer (check: junit, sarif; stats: prometheus). */
export const EXTRA_FORMATS = ['junit', 'sarif', 'prometheus'] as const
export type Format = (typeof FORMATS)[number] | (typeof EXTRA_FORMATS)[number]

export interface Column<T> {
  header: string
  /**
   * The cell's text. Text from objects is made printable by the renderer (line
   * breaks included); a cell of several lines returns them as an array.
   */
  get: (row: T) => string | readonly string[]
  /** Only in -o wide. */
  wide?: boolean
  /** Colours the cell (after padding is computed; ANSI codes do not count towards width). */
  style?: (row: T, text: string, c: ChalkInstance) => string
}

/** A list of rows: kubectl-style table, names, or a List document. */
export interface ListResult<T> {
  type: 'list'
  /** Item kind, e.g. Service; the document kind is `${kind}List`. */
  kind: string
  items: T[]
  columns: Array<Column<T>>
  name: (row: T) => string
  /** Said on stderr when the list is empty (kubectl: "No resources found"). */
  empty?: string
  /** A verdict exit code (e.g. 1: check found problems); the command still succeeded. */
  exit?: number
  /** Serializers for the extra formats this result offers. */
  formats?: Partial<Record<(typeof EXTRA_FORMATS)[number], (items: T[]) => string>>
  /** One line said on stderr after a table (what was read, what was left aside), and its data in the JSON/YAML document. */
  summary?: {text: string; data: Record<string, unknown>}
}

/** A single document with its own human form (version, plans, traces). */
export interface DocResult<T extends object = object> {
  type: 'doc'
  kind: string
  data: T
  /** The human form; gets the data with its strings made printable (\n and \t kept). */
  text: (data: T, c: ChalkInstance) => string
  /** A verdict exit code (e.g. 2: diff found differences); the command still succeeded. */
  exit?: number
  /** Human formats this document prints its own way (install: plain Kubernetes YAML that kubectl applies). */
  own?: Partial<Record<Exclude<Format, 'json' | 'jsonl'>, (data: T) => string>>
  /** The JSON document when it is not the default envelope; -o json and --json both print it. */
  document?: (data: T) => Record<string, unknown>
}

export type Result = ListResult<any> | DocResult<any>

export interface RenderContext {
  chalk: ChalkInstance
}

/** The JSON/YAML form of a result: what --json, -o json and -o yaml print. */
export function toDocument(r: Result): Record<string, unknown> {
  if (r.type === 'list') return {apiVersion: API_VERSION, kind: `${r.kind}List`, items: r.items, ...(r.summary ? {summary: r.summary.data} : {})}
  if (r.document) return r.document(r.data)
  return {apiVersion: API_VERSION, kind: r.kind, ...r.data}
}

/** Renders a result as text; always ends with a newline unless empty. */
export function render(r: Result, format: Format, ctx: RenderContext): string {
  if (r.type === 'doc' && format !== 'json' && format !== 'jsonl' && r.own?.[format]) return r.own[format]!(r.data)
  switch (format) {
    case 'junit':
    case 'sarif':
    case 'prometheus': {
      const f = r.type === 'list' ? r.formats?.[format] : undefined
      if (!f || r.type !== 'list') throw new UsageError(`-o ${format} is not available for this command`)
      return f(r.items)
    }
    case 'json':
      return `${jsonText(toDocument(r), 2)}\n`
    case 'yaml':
      return yamlText(toDocument(r))
    case 'jsonl':
      if (r.type === 'list') return r.items.map((i) => `${jsonText({apiVersion: API_VERSION, kind: r.kind, ...i})}\n`).join('')
      return `${jsonText(toDocument(r))}\n`
    case 'name':
      if (r.type === 'list') return r.items.map((i) => `${printable(r.name(i))}\n`).join('')
      return `${printable(r.kind)}\n`
    case 'table':
    case 'wide':
      // Human forms: strings from objects made printable, then the whole text checked once more.
      if (r.type === 'doc') return terminalText(r.text(mapStrings(r.data, printableText), ctx.chalk), {colour: ctx.chalk.level > 0})
      return table(r, format === 'wide', ctx.chalk)
  }
}

/**
 * The most characters of one line of a table cell; longer ones end in "…" (-o json and -o yaml carry them whole).
 * The table library measures cells character by character: a cell of tens of thousands took minutes.
 */
export const MAX_CELL_LINE = 256
const clip = (s: string): string => (s.length > MAX_CELL_LINE ? `${s.slice(0, MAX_CELL_LINE - 1)}…` : s)

/** kubectl's look: no borders, upper-case headers, two spaces between columns. */
export function table<T>(r: ListResult<T>, wide: boolean, c: ChalkInstance): string {
  if (r.items.length === 0) return ''
  const cols = r.columns.filter((col) => wide || !col.wide)
  const TableClass = Table()
  const t = new TableClass({
    head: cols.map((col) => col.header),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: {head: [], border: [], 'padding-left': 0, 'padding-right': 0},
  })
  for (const item of r.items)
    t.push(
      cols.map((col) => {
        const v = col.get(item)
        const text = (typeof v === 'string' ? [v] : v).map((x) => clip(printable(x))).join('\n')
        return col.style ? col.style(item, text, c) : text
      }),
    )
  return terminalText(
    `${t
      .toString()
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')}\n`,
    {colour: c.level > 0},
  )
}
