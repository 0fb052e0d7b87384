/**
 * kubectl's -o jsonpath=TEMPLATE, -o custom-columns=SPEC and --sort-by=PATH.
 *
 * Paths are evaluated by jsonpath-plus (filters `[?(@.x=="y")]` in its safe
 * evaluator, never native eval). What is ours is the small template layer
 * kubectl puts around paths:
 * - text outside braces is printed as it is;
 * - `{.a.b}`, `{.items[*].name}`, `{..name}`, `{$.kind}`, `{@}`: a path; `.`
 *   starts at the current object (the document, or the item inside a range),
 *   `$` at the document; several results are joined by a space;
 * - `{"\n"}`, `{'\t'}`: a quoted literal, with JSON escapes;
 * - `{range PATH}...{end}`: the body once per result of PATH, which becomes
 *   the current object; ranges nest.
 * Strings print as they are (made printable: an object's text cannot move the
 * cursor), other values as JSON. A missing path prints nothing, as in kubectl.
 */
import type {JSONPath as JSONPathFn} from 'jsonpath-plus'
import {loadRuntimeModule} from '../core/runtime-modules.js'
import {UsageError} from '../errors.js'
import {jsonText, printable, printableShort} from '../core/printable.js'

// The library loads on first use (src/core/runtime-modules.ts): commands that print no template skip its cost.
const jsonPath = (): typeof JSONPathFn => loadRuntimeModule<{JSONPath: typeof JSONPathFn}>('jsonpath-plus').JSONPath

/** A parsed template: text, paths and ranges. */
export type TemplateNode = {t: 'text'; text: string} | {t: 'path'; path: string} | {t: 'range'; path: string; body: TemplateNode[]}

/** One column of -o custom-columns: its header and the path of its cell. */
export interface CustomColumn {
  header: string
  path: string
}

const bad = (what: string, src: string, why: string) => new UsageError(`${what} ${printableShort(src, 60)}: ${why}`, 'see --help for the syntax')

/** Index of the `}` that closes a brace opened before `from`, skipping quoted text and brackets; -1 when there is none. */
function closingBrace(src: string, from: number): number {
  let quote = ''
  let depth = 0
  for (let i = from; i < src.length; i++) {
    const ch = src[i]!
    if (quote) {
      if (ch === '\\') i++
      else if (ch === quote) quote = ''
    } else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '[' || ch === '(') depth++
    else if (ch === ']' || ch === ')') depth--
    else if (ch === '}' && depth <= 0) return i
  }
  return -1
}

/** Checks a path's shape: where it starts, balanced brackets and quotes. Returns the path jsonpath-plus evaluates. */
export function checkPath(path: string, what: string): string {
  if (!/^(\.|\[|\$|@)/.test(path)) throw bad(what, path, 'a path starts with ".", "[", "$" or "@" (e.g. .items[*].name)')
  const open: string[] = []
  let quote = ''
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!
    if (quote) {
      if (ch === '\\') i++
      else if (ch === quote) quote = ''
    } else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '[' || ch === '(') open.push(ch)
    else if (ch === ']' || ch === ')') {
      if (open.pop() !== (ch === ']' ? '[' : '(')) throw bad(what, path, `unbalanced "${ch}"`)
    } else if (/\s/.test(ch) && open.length === 0) throw bad(what, path, 'a space outside brackets')
  }
  if (quote) throw bad(what, path, 'unterminated quote')
  if (open.length) throw bad(what, path, `unclosed "${open.at(-1)}"`)
  if (/(^|[^.])\.$/.test(path) && path !== '.') throw bad(what, path, 'ends with "."')
  return path
}

/** A quoted literal's text ("..." with JSON escapes, or '...'). */
function literal(src: string, inner: string): string {
  if (inner.startsWith('"')) {
    try {
      const v: unknown = JSON.parse(inner)
      if (typeof v === 'string') return v
    } catch {
      // reported below
    }
    throw bad('-o jsonpath', src, `bad literal ${inner}`)
  }
  const body = inner.slice(1, -1)
  if (/(^|[^\\])'/.test(body)) throw bad('-o jsonpath', src, `bad literal ${inner}`)
  return body.replace(/\\(.)/g, (_m, c: string) => ({n: '\n', t: '\t', r: '\r'})[c] ?? c)
}

/** Parses a -o jsonpath template; a bad one is a UsageError (exit 64) naming it. */
export function parseTemplate(src: string): TemplateNode[] {
  const what = '-o jsonpath'
  if (src.trim() === '') throw bad(what, src, 'empty template (e.g. -o jsonpath=\'{.items[*].name}\')')
  const stack: Array<{body: TemplateNode[]; path?: string}> = [{body: []}]
  const push = (n: TemplateNode) => stack.at(-1)!.body.push(n)
  let i = 0
  while (i < src.length) {
    const open = src.indexOf('{', i)
    if (open < 0) {
      push({t: 'text', text: src.slice(i)})
      break
    }
    if (open > i) push({t: 'text', text: src.slice(i, open)})
    const close = closingBrace(src, open + 1)
    if (close < 0) throw bad(what, src, `"{" at ${open + 1} is never closed`)
    const inner = src.slice(open + 1, close).trim()
    if (inner === '') throw bad(what, src, `empty {} at ${open + 1}`)
    if (inner === 'end') {
      const frame = stack.pop()!
      if (stack.length === 0 || frame.path === undefined) throw bad(what, src, '{end} without {range}')
      push({t: 'range', path: frame.path, body: frame.body})
    } else if (/^range\s/.test(inner)) {
      stack.push({body: [], path: checkPath(inner.slice(6).trim(), what)})
    } else if (/^["']/.test(inner)) {
      if (inner.length < 2 || inner.at(-1) !== inner[0]) throw bad(what, src, `bad literal ${inner}`)
      push({t: 'text', text: literal(src, inner)})
    } else push({t: 'path', path: checkPath(inner, what)})
    i = close + 1
  }
  if (stack.length > 1) throw bad(what, src, '{range} without {end}')
  return stack[0]!.body
}

/**
 * kubectl's relaxed path (custom-columns, --sort-by): `{.a.b}`, `.a.b` and `a.b`
 * are the same path.
 */
export function relaxedPath(expr: string, what: string): string {
  let p = expr.trim()
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim()
  if (p === '') throw bad(what, expr, 'empty path')
  // One path, braced whole or not at all: "{.name" or ".a}{.b" is a typo, never a field named so.
  if (/[{}]/.test(p)) throw bad(what, expr, 'unbalanced or extra braces (one path: {.a.b} or .a.b)')
  if (!/^(\.|\[|\$|@)/.test(p)) p = `.${p}`
  return checkPath(p, what)
}

/**
 * kubectl's escaped dots (`.labels.kubernetes\.io/hostname`) as the bracket form
 * jsonpath-plus reads (`.labels['kubernetes.io/hostname']`).
 */
function escapedDots(path: string): string {
  return path.replace(/\.((?:[\w/-]|\\\.)*\\\.(?:[\w/-]|\\\.)*)/g, (_m, name: string) => `['${name.replace(/\\\./g, '.')}']`)
}

/** The results of a path on the current object (`$...` on the document). */
export function evaluate(path: string, current: unknown, root: unknown): unknown[] {
  const onRoot = path.startsWith('$')
  const json = onRoot ? root : current
  const rest = onRoot ? path.slice(1) : path.startsWith('@') ? path.slice(1) : path
  if (rest === '' || rest === '.') return [json]
  if (json === null || typeof json !== 'object') return []
  try {
    const out = jsonPath()({path: `$${escapedDots(rest)}`, json: json as object, wrap: true, eval: 'safe'}) as unknown[] | undefined
    return out ?? []
  } catch (e) {
    throw new UsageError(`jsonpath ${printableShort(path, 60)}: ${printableShort(String((e as Error).message ?? e).replace(/^jsonPath:\s*/, ''), 120)}`)
  }
}

/** How kubectl prints a value: a string as it is (made printable), anything else as JSON. */
export function valueText(v: unknown): string {
  return typeof v === 'string' ? printable(v) : jsonText(v)
}

/** Runs a template on a document. */
export function execTemplate(nodes: TemplateNode[], doc: unknown): string {
  const run = (ns: TemplateNode[], current: unknown): string =>
    ns
      .map((n) => {
        if (n.t === 'text') return n.text
        if (n.t === 'path') return evaluate(n.path, current, doc).map(valueText).join(' ')
        return evaluate(n.path, current, doc)
          .map((item) => run(n.body, item))
          .join('')
      })
      .join('')
  return run(nodes, doc)
}

/** Splits on commas outside quotes and brackets. */
function splitTop(s: string): string[] {
  const parts: string[] = []
  let quote = ''
  let depth = 0
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    if (quote) {
      if (ch === '\\') i++
      else if (ch === quote) quote = ''
    } else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '[' || ch === '(' || ch === '{') depth++
    else if (ch === ']' || ch === ')' || ch === '}') depth--
    else if (ch === ',' && depth === 0) {
      parts.push(s.slice(start, i))
      start = i + 1
    }
  }
  parts.push(s.slice(start))
  return parts
}

/** Parses kubectl's custom-columns spec: `HEADER:PATH[,HEADER:PATH...]`. */
export function parseCustomColumns(spec: string): CustomColumn[] {
  const what = '-o custom-columns'
  if (spec.trim() === '') throw bad(what, spec, 'expected HEADER:PATH[,HEADER:PATH...] (e.g. NAME:.name,VIP:.vips[*])')
  return splitTop(spec).map((part) => {
    const i = part.indexOf(':')
    if (i <= 0) throw bad(what, spec, `"${part}" is not HEADER:PATH`)
    const header = part.slice(0, i).trim()
    if (header === '') throw bad(what, spec, `"${part}" has an empty header`)
    return {header, path: relaxedPath(part.slice(i + 1), what)}
  })
}

/** A custom-columns cell: the values joined by commas, `<none>` when the path finds nothing (kubectl's way). */
export function columnText(path: string, item: unknown): string {
  const vs = evaluate(path, item, item).filter((v) => v !== undefined)
  return vs.length ? vs.map(valueText).join(',') : '<none>'
}
