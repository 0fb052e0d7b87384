/**
 * The offline source: manifests from files, directories (recursive; .yaml,
 * .yml, .json) and stdin ("-") -> Snapshot. Parsing is safe: YAML 1.2 core
 * schema (no custom tags, `on` stays a string), duplicate keys rejected, alias
 * expansion and input size bounded. A bad document or object is reported with
 * file, document index and line, and the rest still load.
 */
import {readdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'
import {LineCounter, parseAllDocuments} from 'yaml'
import {DataError, UsageError} from '../errors.js'
import {addToSnapshot, intakeObject, sortSnapshot} from './intake.js'
import {deriveEndpointSlices} from './derive.js'
import type {Snapshot} from './types.js'
import {emptySnapshot} from './types.js'
import {formatDiagnostic} from '../output/diagnostics.js'

/** Limits that keep a hostile manifest from exhausting memory or time. */
export const LIMITS = {
  fileBytes: 32 * 1024 * 1024,
  totalBytes: 256 * 1024 * 1024,
  documentsPerFile: 50_000,
  aliasCount: 100,
  files: 10_000,
} as const

/** The I/O the offline source needs; tests pass their own. */
export interface OfflineIO {
  readStdin(): Promise<string>
}

export interface OfflineOptions {
  filenames: string[]
  /** Any bad object is fatal (exit 65) instead of reported and skipped. */
  strict: boolean
}

/** Reads every input into one Snapshot. Throws DataError for unreadable inputs, or any bad object with strict. */
export async function loadOffline(opts: OfflineOptions, io: OfflineIO): Promise<Snapshot> {
  const files = await expandInputs(opts.filenames)
  const snap = emptySnapshot({kind: 'offline', files: opts.filenames})
  let total = 0
  let stdinUsed = false
  for (const file of files) {
    let text: string
    if (file === '-') {
      if (stdinUsed) throw new UsageError('"-" (stdin) was given more than once')
      stdinUsed = true
      text = await io.readStdin()
    } else {
      text = await readInput(file)
    }
    total += text.length
    if (text.length > LIMITS.fileBytes) throw new DataError(`${label(file)}: larger than ${LIMITS.fileBytes / 1024 / 1024} MiB`)
    if (total > LIMITS.totalBytes) throw new DataError(`inputs exceed ${LIMITS.totalBytes / 1024 / 1024} MiB in total`)
    parseInto(snap, text, label(file))
  }
  if (opts.strict) {
    const first = snap.diagnostics.find((d) => d.severity === 'error')
    if (first) throw new DataError(formatDiagnostic(first), {hint: 'drop --strict to load the valid objects and report the rest'})
  }
  deriveEndpointSlices(snap)
  return sortSnapshot(snap)
}

function label(file: string): string {
  return file === '-' ? '<stdin>' : file
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new DataError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot read'}`, {cause: error})
  }
}

/** Files and directories (recursive, sorted, .yaml/.yml/.json) to a flat list of files. */
export async function expandInputs(inputs: string[]): Promise<string[]> {
  if (inputs.length === 0) throw new UsageError('no input: pass -f FILE|DIR|- (or omit -f to read the cluster)')
  const out: string[] = []
  for (const input of inputs) {
    if (input === '-') {
      out.push('-')
      continue
    }
    let st
    try {
      st = await stat(input)
    } catch (error) {
      throw new DataError(`${input}: no such file or directory`, {cause: error})
    }
    if (st.isDirectory()) out.push(...(await walk(input)))
    else out.push(input)
    if (out.length > LIMITS.files) throw new DataError(`more than ${LIMITS.files} manifest files`)
  }
  return out
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {withFileTypes: true})
  entries.sort((a, b) => a.name.localeCompare(b.name))
  const out: string[] = []
  for (const e of entries) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...(await walk(p)))
    else if (e.isFile() && /\.(ya?ml|json)$/i.test(e.name)) out.push(p)
  }
  return out
}

/** Parses one file's text (multi-document YAML or JSON) into the snapshot. */
export function parseInto(snap: Snapshot, text: string, file: string): void {
  const lc = new LineCounter()
  let docs
  try {
    docs = parseAllDocuments(text.replace(/^\uFEFF/, ''), {lineCounter: lc, uniqueKeys: true, schema: 'core', prettyErrors: false})
  } catch (error) {
    throw new DataError(`${file}: cannot parse: ${(error as Error).message.split('\n')[0]}`)
  }
  if (!Array.isArray(docs)) docs = [docs]
  if (docs.length > LIMITS.documentsPerFile) throw new DataError(`${file}: more than ${LIMITS.documentsPerFile} documents`)
  docs.forEach((doc, index) => {
    // The first line of content, not the '---' before it.
    const line = lc.linePos(doc.contents?.range[0] ?? doc.range[0]).line
    const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED')
    if (problem) {
      const at = lc.linePos(problem.pos[0]).line
      const what = problem.code === 'TAG_RESOLVE_FAILED' ? 'custom tags are not allowed' : problem.message.split(/ at line|\n/)[0]
      throw new DataError(`${file}:${at}: document ${index + 1}: malformed YAML: ${what}`)
    }
    let value: unknown
    try {
      value = doc.toJS({maxAliasCount: LIMITS.aliasCount})
    } catch (error) {
      throw new DataError(`${file}:${line}: document ${index + 1}: ${(error as Error).message.split('\n')[0]}`)
    }
    if (value === null || value === undefined) return // empty document
    const origin = {source: 'file' as const, file, doc: index + 1, line}
    const items = isList(value) ? (value as {items: unknown[]}).items : [value]
    for (const item of items) {
      const res = intakeObject(item, origin)
      if (res.diagnostic) snap.diagnostics.push(res.diagnostic)
      if (res.object) {
        const dup = addToSnapshot(snap, res.object, origin)
        if (dup) snap.diagnostics.push(dup)
      }
    }
  })
}

function isList(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false
  const r = v as Record<string, unknown>
  return typeof r.kind === 'string' && r.kind.endsWith('List') && Array.isArray(r.items)
}
