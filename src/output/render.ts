/**
 * The one renderer. Commands return a Result; this module alone decides how it
 * is printed: table | wide | name | json | yaml | jsonl, and kubectl's jsonpath and
 * custom-columns templates (src/output/jsonpath.ts). JSON and YAML carry
 * apiVersion vipctl.io/v1alpha1 and a kind, like Kubernetes lists.
 */
import type {ChalkInstance} from 'chalk'
import {UsageError} from '../errors.js'
import {loadRuntimeModule} from '../core/runtime-modules.js'
import {UNPRINTABLE, jsonText, mapStrings, printable, printableText, terminalText} from '../core/printable.js'
import {columnText, execTemplate, type CustomColumn, type TemplateNode} from './jsonpath.js'
import {displayWidth, truncate} from './width.js'

// yaml loads on first use (src/core/runtime-modules.ts): commands that print no YAML (version, -o json) skip its cost.
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
  const Y = loadRuntimeModule<typeof import('yaml')>('yaml')
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
export const API_VERSION = 'vipctl.io/v1alpha1'

export const FORMATS = ['table', 'wide', 'name', 'json', 'yaml', 'jsonl'] as const
/** Formats only some results offer (check: junit, sarif; stats: prometheus). */
export const EXTRA_FORMATS = ['junit', 'sarif', 'prometheus'] as const
export type Format = (typeof FORMATS)[number] | (typeof EXTRA_FORMATS)[number]
/** -o jsonpath=TEMPLATE / jsonpath-file=FILE: the template, parsed. */
export interface JsonPathFormat {
  type: 'jsonpath'
  template: TemplateNode[]
}
/** -o custom-columns=HEADER:PATH,...: the columns, parsed. */
export interface CustomColumnsFormat {
  type: 'custom-columns'
  columns: CustomColumn[]
}
/** Every -o value: a named format, or a template the user wrote (kubectl's). */
export type OutputFormat = Format | JsonPathFormat | CustomColumnsFormat

export interface Column<T> {
  header: string
  /**
   * The cell's text. Text from objects is made printable by the renderer (line
   * breaks included); a cell of several lines returns them as an array.
   */
  get: (row: T) => string | readonly string[]
  /** Only in -o wide. */
  wide?: boolean
  /**
   * Fitting a default table to the terminal cuts the widest column first, down
   * to this many columns (default: its header's width). Identity columns
   * (NAMESPACE, NAME) set one: they are cut only after every other column, and
   * no shorter, so a cut row stays recognizable.
   */
  min?: number
  /** Never cut (short fixed values: states, counts, addresses). */
  fixed?: boolean
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
  /** The width -o table fits (the commands pass outputWidth: $COLUMNS, the terminal, else 80); none: cells are not cut. -o wide and custom-columns are never cut. */
  width?: number
  /** Tables without their header line (--no-headers). */
  noHeaders?: boolean
}

/** The JSON/YAML form of a result: what --json, -o json and -o yaml print. */
export function toDocument(r: Result): Record<string, unknown> {
  if (r.type === 'list') return {apiVersion: API_VERSION, kind: `${r.kind}List`, items: r.items, ...(r.summary ? {summary: r.summary.data} : {})}
  if (r.document) return r.document(r.data)
  return {apiVersion: API_VERSION, kind: r.kind, ...r.data}
}

/** Renders a result as text; always ends with a newline unless empty (but -o jsonpath, which prints what its template says, as kubectl). */
export function render(r: Result, format: OutputFormat, ctx: RenderContext): string {
  if (typeof format === 'object') {
    // kubectl applies both to the document -o json prints; custom-columns to each item of a list.
    if (format.type === 'jsonpath') return execTemplate(format.template, toDocument(r))
    const items: unknown[] = r.type === 'list' ? r.items : [toDocument(r)]
    const columns = format.columns.map((col): Column<unknown> => ({header: col.header, get: (item) => columnText(col.path, item)}))
    return layout(items, columns, {chalk: ctx.chalk, noHeaders: ctx.noHeaders})
  }
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
      return table(r, format === 'wide', ctx)
  }
}

/**
 * The most characters of one line of a table cell; longer ones end in "…" (-o json and -o yaml carry them whole).
 * The table library measures cells character by character: a cell of tens of thousands took minutes.
 */
export const MAX_CELL_LINE = 256
const clip = (s: string): string => (s.length > MAX_CELL_LINE ? `${s.slice(0, MAX_CELL_LINE - 1)}…` : s)

/**
 * kubectl's look: no borders, upper-case headers, two spaces between columns.
 * -o table fits ctx.width (columns moved to -o wide, then cells cut with "…");
 * -o wide shows every column whole, however wide.
 */
export function table<T>(r: ListResult<T>, wide: boolean, ctx: RenderContext): string {
  const cols = r.columns.filter((col) => wide || !col.wide)
  return layout(r.items, cols, {chalk: ctx.chalk, noHeaders: ctx.noHeaders, ...(wide ? {} : {width: ctx.width})})
}

/**
 * Cuts columns until the table fits `width`: one character at a time from the
 * widest column that is above its minimum (the rightmost of equals), so the
 * result depends only on the cells. Columns marked `last` (identity: NAMESPACE,
 * NAME) are cut only once no other column can be. Stops when every column is
 * at its minimum.
 */
export function fitWidths(natural: readonly number[], mins: readonly number[], width: number, last: readonly boolean[] = []): number[] {
  const w = [...natural]
  let over = w.reduce((a, b) => a + b, 0) + 2 * Math.max(w.length - 1, 0) - width
  for (const pass of [false, true])
    while (over > 0) {
      let best = -1
      for (let i = 0; i < w.length; i++) if ((pass || !last[i]) && w[i]! > mins[i]! && (best < 0 || w[i]! >= w[best]!)) best = i
      if (best < 0) break
      w[best]!--
      over--
    }
  return w
}

/** Rows under headers, each column padded to its width; a cell of several lines makes a row of as many lines. */
function layout<T>(items: readonly T[], cols: ReadonlyArray<Column<T>>, opts: {chalk: ChalkInstance; noHeaders?: boolean; width?: number}): string {
  if (items.length === 0) return ''
  const headers = cols.map((col) => printable(col.header))
  const cells = items.map((item) =>
    cols.map((col) => {
      const v = col.get(item)
      return (typeof v === 'string' ? [v] : v.length ? v : ['']).map((x) => clip(printable(x)))
    }),
  )
  // Loops, not Math.max(...): a list of 200,000 rows would overflow the call stack.
  const natural = cols.map((_col, i) => {
    let w = opts.noHeaders ? 0 : displayWidth(headers[i]!)
    for (const row of cells) for (const l of row[i]!) w = Math.max(w, displayWidth(l))
    return w
  })
  const mins = cols.map((col, i) => (col.fixed ? natural[i]! : Math.min(natural[i]!, Math.max(col.min ?? 0, displayWidth(headers[i]!)))))
  const widths = opts.width === undefined ? natural : fitWidths(natural, mins, opts.width, cols.map((col) => col.min !== undefined))
  // The last guard, line by line: a line without control characters passes at once (the whole text, with its
  // line breaks, would be walked character by character).
  const colour = opts.chalk.level > 0
  const line = (texts: string[]) => {
    const l = texts.join('  ').trimEnd()
    return UNPRINTABLE.test(colour ? l.replace(SGR_G, '') : l) ? terminalText(l, {colour}) : l
  }
  const out: string[] = []
  if (!opts.noHeaders) out.push(line(headers.map((h, i) => pad(truncate(h, widths[i]!), widths[i]!))))
  items.forEach((item, r) => {
    const height = cells[r]!.reduce((h, c) => Math.max(h, c.length), 1)
    for (let k = 0; k < height; k++)
      out.push(
        line(
          cols.map((col, i) => {
            const text = truncate(cells[r]![i]![k] ?? '', widths[i]!)
            const styled = col.style && text ? col.style(item, text, opts.chalk) : text
            return styled + ' '.repeat(Math.max(widths[i]! - displayWidth(text), 0))
          }),
        ),
      )
  })
  return `${out.join('\n')}\n`
}

/** Colour sequences (chalk's SGR): what a styled line may hold besides printable text. */
const SGR_G = /\x1b\[[0-9;]*m/g
const pad = (s: string, w: number) => s + ' '.repeat(Math.max(w - displayWidth(s), 0))
