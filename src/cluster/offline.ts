/**
 * The offline source: manifests from files, directories (recursive; .yaml,
 * .yml, .json) and stdin ("-") -> Snapshot. Parsing is safe: YAML 1.2 core
 * schema (no custom tags, `on` stays a string), duplicate keys rejected, alias
 * expansion and input size bounded. A bad document or object is reported with
 * file, document index and line, and the rest still load.
 */
import {open, readdir, stat} from 'node:fs/promises'
import path from 'node:path'
import {LineCounter, parseAllDocuments} from 'yaml'
import {DataError, UsageError} from '../errors.js'
import {addToSnapshot, intakeObject, sortSnapshot} from './intake.js'
import {deriveEndpointSlices} from './derive.js'
import type {Snapshot} from './types.js'
import {emptySnapshot} from './types.js'
import {formatDiagnostic} from '../core/diagnostic.js'
import {severityOf} from '../core/catalog.js'

import {LIMITS, readStreamBounded} from './bounded.js'
export {LIMITS, readStreamBounded} from './bounded.js'

/** The I/O the offline source needs; tests pass their own. */
export interface OfflineIO {
  readStdin(): Promise<string>
}

export interface OfflineOptions {
  filenames: string[]
  /** Any bad object is fatal (exit 65) instead of reported and skipped. */
  strict: boolean
}

/**
 * Reads every input into one Snapshot. Throws DataError for unreadable inputs,
 * or any bad object with strict.
 *
 * Every input named with -f must hold at least one document: an empty file or
 * stdin (nothing at all, or only blank lines, comments and `---`), or a
 * directory without any such document, is `<input>: no objects` (exit 65), so
 * that the end of a failed pipe (`-f - </dev/null`) never reads as "nothing to
 * serve". An explicit empty list (`kind: List` with `items: []`) is a document
 * and is accepted. Files inside a directory may be empty when another has a document.
 */
export async function loadOffline(opts: OfflineOptions, io: OfflineIO): Promise<Snapshot> {
  const groups = await expandInputGroups(opts.filenames)
  const snap = emptySnapshot({kind: 'offline', files: opts.filenames})
  const budget = {total: 0}
  let stdinUsed = false
  for (const {input, files, directory} of groups) {
    let documents = 0
    for (const file of files) {
      let text: string
      if (file === '-') {
        if (stdinUsed) throw new UsageError('"-" (stdin) was given more than once')
        stdinUsed = true
        text = await io.readStdin()
        const bytes = Buffer.byteLength(text)
        if (bytes > LIMITS.fileBytes) throw new DataError(`<stdin>: larger than ${LIMITS.fileBytes / 1024 / 1024} MiB`)
        budget.total += bytes
        if (budget.total > LIMITS.totalBytes) throw new DataError(`inputs exceed ${LIMITS.totalBytes / 1024 / 1024} MiB in total`)
      } else {
        text = await readInput(file, budget)
      }
      documents += parseInto(snap, text, label(file))
    }
    if (documents === 0)
      throw new DataError(`${label(input)}: no objects`, {
        hint: `${directory ? 'no .yaml, .yml or .json file under it holds a document' : 'the input is empty or holds only comments'}; nothing was changed`,
      })
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

/**
 * One file, bounded: a regular file is refused by its size before a byte is
 * read; anything else (a pipe, a device such as /dev/zero) is read as a stream
 * and cut past the limit. `budget.total` counts bytes across all inputs.
 */
async function readInput(file: string, budget: {total: number}): Promise<string> {
  const max = LIMITS.fileBytes
  const tooBig = () => new DataError(`${file}: larger than ${max / 1024 / 1024} MiB`)
  const overTotal = () => new DataError(`inputs exceed ${LIMITS.totalBytes / 1024 / 1024} MiB in total`)
  let handle
  try {
    handle = await open(file, 'r')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DataError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : 'cannot read'}`, {cause: error})
  }
  try {
    const st = await handle.stat()
    if (st.isFile()) {
      if (st.size > max) throw tooBig()
      if (budget.total + st.size > LIMITS.totalBytes) throw overTotal()
    }
    let text: string
    // Read through the handle (never its raw fd number, which a read still in flight after an early stop could
    // reach once the number is reused), and let the stream settle before the handle is closed.
    const stream = handle.createReadStream({autoClose: false})
    try {
      text = await readStreamBounded(stream, max, file)
    } catch (error) {
      if (error instanceof DataError) throw error
      throw new DataError(`${file}: cannot read`, {cause: error})
    } finally {
      if (!stream.closed) await new Promise<void>((resolve) => stream.destroy().once('close', () => resolve()))
    }
    budget.total += Buffer.byteLength(text)
    if (budget.total > LIMITS.totalBytes) throw overTotal()
    return text
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/** One file (a regular file, a pipe or a device), bounded as -f inputs are (32 MiB); one-line DataErrors naming it. */
export function readFileBounded(file: string): Promise<string> {
  return readInput(file, {total: 0})
}

export interface InputGroup {
  /** As given with -f. */
  input: string
  /** The files it stands for ("-" for stdin). */
  files: string[]
  directory: boolean
}

/** Files and directories (recursive, sorted, .yaml/.yml/.json) to a flat list of files. */
export async function expandInputs(inputs: string[]): Promise<string[]> {
  return (await expandInputGroups(inputs)).flatMap((g) => g.files)
}

/** Each -f input with the files it stands for. */
export async function expandInputGroups(inputs: string[]): Promise<InputGroup[]> {
  if (inputs.length === 0) throw new UsageError('no input: pass -f FILE|DIR|- (or omit -f to read the cluster)')
  const out: InputGroup[] = []
  let count = 0
  for (const input of inputs) {
    if (input === '-') {
      out.push({input, files: ['-'], directory: false})
      continue
    }
    let st
    try {
      st = await stat(input)
    } catch (error) {
      throw new DataError(`${input}: no such file or directory`, {cause: error})
    }
    const files: string[] = []
    if (st.isDirectory()) await walk(input, files)
    else files.push(input)
    count += files.length
    if (count > LIMITS.files) throw new DataError(`more than ${LIMITS.files} manifest files`)
    out.push({input, files, directory: st.isDirectory()})
  }
  return out
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, {withFileTypes: true})
  entries.sort((a, b) => a.name.localeCompare(b.name))
  for (const e of entries) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) await walk(p, out)
    else if (e.isFile() && /\.(ya?ml|json)$/i.test(e.name)) out.push(p)
    if (out.length > LIMITS.files) throw new DataError(`more than ${LIMITS.files} manifest files`)
  }
}

/** Parses one file's text (multi-document YAML or JSON) into the snapshot; returns how many documents had content. */
export function parseInto(snap: Snapshot, text: string, file: string): number {
  const lc = new LineCounter()
  let docs
  try {
    docs = parseAllDocuments(text.replace(/^\uFEFF/, ''), {lineCounter: lc, uniqueKeys: true, schema: 'core', prettyErrors: false})
  } catch (error) {
    throw new DataError(`${file}: cannot parse: ${(error as Error).message.split('\n')[0]}`)
  }
  if (!Array.isArray(docs)) docs = [docs]
  if (docs.length > LIMITS.documentsPerFile) throw new DataError(`${file}: more than ${LIMITS.documentsPerFile} documents`)
  let documents = 0
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
    documents++
    const origin = {source: 'file' as const, file, doc: index + 1, line}
    // kustomize's input is not what gets applied: its patches and generators would be missed, so say so.
    if (/(^|\/)kustomization\.ya?ml$/.test(file) || (value as {kind?: unknown})?.kind === 'Kustomization') {
      snap.diagnostics.push({severity: severityOf('VIP1007'), code: 'VIP1007', object: 'Kustomization', message: `${file} is a kustomization: vipctl reads the manifests as they are, without its patches and generators; check what kustomize builds (kubectl kustomize DIR | vipctl check -f -)`, origin})
      return
    }
    const items = isList(value) ? (value as {items: unknown[]}).items : [value]
    for (const item of items) {
      const res = intakeObject(item, origin)
      if (res.skipped) snap.skipped.set(res.skipped, (snap.skipped.get(res.skipped) ?? 0) + 1)
      if (res.diagnostic) snap.diagnostics.push(res.diagnostic)
      if (res.object) {
        const dup = addToSnapshot(snap, res.object, origin)
        if (dup) snap.diagnostics.push(dup)
      }
    }
  })
  return documents
}

function isList(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false
  const r = v as Record<string, unknown>
  return typeof r.kind === 'string' && r.kind.endsWith('List') && Array.isArray(r.items)
}
