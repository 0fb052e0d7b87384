/**
 * Writing config trees safely, all or nothing.
 *
 * The rule for symlinks: the directory the user names (--out, --config-dir) may
 * itself be, or pass through, a symlink: the user chose it. Everything below it
 * that vipctl writes, reads or deletes (the files, and the subdirectories it
 * owns such as maps/, certs/, ssl/) must be a real directory or a regular file;
 * a symlink there is an error naming it, and nothing is followed. Every file is
 * opened with O_NOFOLLOW.
 *
 * writeTree validates the whole tree first (no symlinks, no directory where a
 * file goes, no file where a directory goes), stages every new file as a temp
 * file in its own directory (O_CREAT|O_EXCL, created with its final mode: 0600
 * for key material, never a chmod afterwards; fsynced), then renames them in
 * and removes the files the owned subdirectories no longer have. A failure
 * while staging removes the temp files ("nothing was changed"); a failure while
 * committing puts the previous bytes and modes back ("the previous files were
 * restored"). The returned change can also be undone later (apply's rollback).
 */
import {constants, type Stats} from 'node:fs'
import * as fsp from 'node:fs/promises'
import path from 'node:path'
import {randomBytes} from 'node:crypto'
import {DataError, PermissionError, UnavailableError, UsageError, VipError, oneLine} from '../errors.js'

export interface FileSpec {
  /** Relative to the directory being written. */
  path: string
  content: string
  mode: number
}

/** The file-system calls of this module; tests pass one that fails on purpose. */
export interface TreeFs {
  lstat(p: string): Promise<Stats>
  stat(p: string): Promise<Stats>
  realpath(p: string): Promise<string>
  mkdir(p: string, opts: {mode: number}): Promise<unknown>
  rmdir(p: string): Promise<void>
  readdir(p: string): Promise<string[]>
  open(p: string, flags: number, mode?: number): Promise<fsp.FileHandle>
  rename(from: string, to: string): Promise<void>
  unlink(p: string): Promise<void>
  rm(p: string, opts: {recursive: boolean; force: boolean}): Promise<void>
}

export const realFs: TreeFs = {
  lstat: (p) => fsp.lstat(p),
  stat: (p) => fsp.stat(p),
  realpath: (p) => fsp.realpath(p),
  mkdir: (p, o) => fsp.mkdir(p, o),
  rmdir: (p) => fsp.rmdir(p),
  readdir: (p) => fsp.readdir(p),
  open: (p, f, m) => fsp.open(p, f, m),
  rename: (a, b) => fsp.rename(a, b),
  unlink: (p) => fsp.unlink(p),
  rm: (p, o) => fsp.rm(p, o),
}

export interface TreeOptions {
  /** The flag that named the directory (e.g. "--out"): problems with the directory itself are then usage errors naming it. */
  flag?: string
  fs?: TreeFs
}

/** Directories no one writes config into; a path resolving into them is refused. */
const PSEUDO_FS = ['/proc', '/sys']

/** The tails writeTree's errors end with: callers that changed something else (apply) strip them and say more. */
export const NOTHING_CHANGED = '; nothing was changed'
export const FILES_RESTORED = '; the previous files were restored'

const NOFOLLOW = constants.O_NOFOLLOW ?? 0

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code
}

const PLAIN: Record<string, string> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'is a directory; expected a file',
  EEXIST: 'already exists',
  ELOOP: 'is a symlink; refusing to follow it',
  ENAMETOOLONG: 'the path is too long',
  EMLINK: 'too many links',
}

/** A file-system error as one plain sentence, with the exit code its kind deserves. */
function fsError(err: unknown, what: string, tail = ''): Error {
  if (err instanceof VipError) return tail ? retell(err, `${err.message}${tail}`) : err
  const c = code(err)
  if (c === 'EACCES' || c === 'EPERM') return new PermissionError(`${what}: permission denied${tail}`, {cause: err})
  const unavailable: Record<string, string> = {ENOSPC: 'no space left on the device', EROFS: 'read-only file system', EDQUOT: 'disk quota exceeded', EIO: 'I/O error', EFBIG: 'file too large (a file-size limit?)'}
  if (c && unavailable[c]) return new UnavailableError(`${what}: ${unavailable[c]}${tail}`, {cause: err})
  return new DataError(`${what}: ${(c && PLAIN[c]) ?? c ?? oneLine((err as Error)?.message ?? String(err))}${tail}`, {cause: err})
}

/** What a failed writeTree left behind: nothing changed, everything put back, or (when putting back failed too) a mix. */
export type TreeState = 'unchanged' | 'restored' | 'partial'

function marked(err: Error, state: TreeState): Error {
  return Object.assign(err, {treeState: state})
}

/** The state a writeTree error left the tree in; undefined for other errors. */
export function treeStateOf(err: unknown): TreeState | undefined {
  return (err as {treeState?: TreeState} | undefined)?.treeState
}

/** A failure before anything was changed, saying so; a bug (an error without a code) stays a bug. */
function unchanged(err: unknown, root: string): Error {
  if (!(err instanceof VipError) && code(err) === undefined) return err as Error
  return marked(fsError(err, root, NOTHING_CHANGED), 'unchanged')
}

/** The same kind of error with another message. */
function retell(err: VipError, message: string): VipError {
  if (err instanceof UsageError) return new UsageError(message, err.hint)
  if (err instanceof PermissionError) return new PermissionError(message, {hint: err.hint, cause: err})
  if (err instanceof UnavailableError) return new UnavailableError(message, {hint: err.hint, cause: err})
  return new DataError(message, {hint: err.hint, cause: err})
}

async function lstatOrUndefined(fs: TreeFs, p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p)
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined
    throw fsError(error, p)
  }
}

function symlinkError(p: string): DataError {
  return new DataError(`${p} is a symlink; vipctl does not write, read or delete through symlinks below the directory it was given`)
}

function kindOf(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFile() ? 'a file' : st.isSymbolicLink() ? 'a symlink' : st.isSocket() ? 'a socket' : st.isFIFO() ? 'a named pipe' : 'a device'
}

/** `p` below the top must be a real directory (or missing). */
function expectDir(p: string, st: Stats | undefined): void {
  if (!st || st.isDirectory()) return
  if (st.isSymbolicLink()) throw symlinkError(p)
  throw new DataError(`${p} is ${kindOf(st)}; expected a directory`)
}

/** `p` below the top must be a regular file (or missing). */
function expectFile(p: string, st: Stats | undefined): void {
  if (!st || st.isFile()) return
  if (st.isSymbolicLink()) throw symlinkError(p)
  throw new DataError(`${p} is ${kindOf(st)}; expected a file`)
}

function checkRel(rel: string): void {
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).some((s) => s === '..' || s === '.' || s === '')) throw new Error(`internal: unsafe relative path ${rel}`)
}

export interface TopDir {
  /** Absolute path. */
  dir: string
  exists: boolean
}

/**
 * Checks the directory the user named: it is a directory (possibly through a
 * symlink) or does not exist yet, no part of the path is a file, and it does
 * not resolve into /proc or /sys. With `flag`, problems are usage errors naming it.
 */
export async function checkTopDir(dir: string, opts: TreeOptions & {write?: boolean} = {}): Promise<TopDir> {
  const fs = opts.fs ?? realFs
  const abs = path.resolve(dir)
  const label = opts.flag ? `${opts.flag} ${dir}` : dir
  const fail = (msg: string) => (opts.flag ? new UsageError(msg) : new DataError(msg))
  let existing = abs
  let exists = true
  for (let i = 0; i < 4096; i++) {
    // ENOTDIR: a file on the way, found when the walk reaches it.
    const st = await fs.lstat(existing).catch((error) => {
      if (code(error) === 'ENOENT' || code(error) === 'ENOTDIR') return undefined
      throw fsError(error, existing)
    })
    if (st) {
      let target: Stats | undefined = st
      if (st.isSymbolicLink()) target = await fs.stat(existing).catch(() => undefined)
      if (!target) throw fail(existing === abs ? `${label} is a symlink to nothing` : `${label}: ${existing} is a symlink to nothing`)
      if (!target.isDirectory()) throw fail(existing === abs ? `${label} is not a directory` : `${label}: ${existing} is not a directory`)
      break
    }
    exists = false
    const up = path.dirname(existing)
    if (up === existing) break
    existing = up
  }
  if (opts.write !== false) {
    const real = await fs.realpath(existing).catch(() => existing)
    const under = PSEUDO_FS.find((p) => real === p || real.startsWith(`${p}/`) || abs === p || abs.startsWith(`${p}/`))
    if (under) throw fail(`${label} is under ${under}; refusing to write there`)
  }
  return {dir: abs, exists}
}

interface Old {
  content: Buffer
  mode: number
}

/** Reads a regular file without following a symlink; undefined when it does not exist. */
async function readOld(fs: TreeFs, full: string): Promise<Old | undefined> {
  let fh: fsp.FileHandle
  try {
    fh = await fs.open(full, constants.O_RDONLY | NOFOLLOW)
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined
    if (code(error) === 'ELOOP') throw symlinkError(full)
    throw fsError(error, full)
  }
  try {
    const st = await fh.stat()
    expectFile(full, st)
    return {content: await fh.readFile(), mode: st.mode & 0o7777}
  } finally {
    await fh.close()
  }
}

async function fsyncDir(fs: TreeFs, dir: string): Promise<void> {
  const fh = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

function tempName(full: string): string {
  return path.join(path.dirname(full), `.${path.basename(full)}.${randomBytes(6).toString('hex')}.tmp`)
}

/** Writes `content` to a new temp file next to `full`, with its mode at creation; returns the temp path. */
async function stageFile(fs: TreeFs, full: string, content: string | Buffer, mode: number): Promise<string> {
  const tmp = tempName(full)
  const fh = await fs.open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | NOFOLLOW, mode)
  try {
    await fh.writeFile(content)
    await fh.sync()
  } catch (error) {
    await fh.close().catch(() => undefined)
    await fs.unlink(tmp).catch(() => undefined)
    throw error
  }
  await fh.close()
  return tmp
}

/** What writeTree changed, and how to put it back. */
export interface TreeChange {
  /** Relative paths written (new or changed). */
  written: string[]
  /** Relative paths removed from the owned subdirectories. */
  removed: string[]
  /** Puts back the previous bytes and modes, removes new files and created directories. */
  restore(): Promise<void>
}

interface Step {
  rel: string
  full: string
  old?: Old
  spec?: FileSpec
  tmp?: string
}

/**
 * Writes a set of files, then removes files under `dir` that the set no longer
 * has (only in the `owned` subdirectories). All or nothing; see the top of this file.
 */
export async function writeTree(dir: string, files: FileSpec[], owned: string[] = [], opts: TreeOptions = {}): Promise<TreeChange> {
  const fs = opts.fs ?? realFs
  const top = await checkTopDir(dir, opts)
  const root = top.dir
  for (const f of files) checkRel(f.path)
  for (const o of owned) checkRel(o)
  const seen = new Set<string>()
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`internal: ${f.path} twice in one tree`)
    seen.add(f.path)
  }

  // 1. Validate everything before touching anything.
  const dirs = new Set<string>(owned)
  for (const f of files) for (let d = path.posix.dirname(f.path); d !== '.'; d = path.posix.dirname(d)) dirs.add(d)
  for (const f of files) if (dirs.has(f.path)) throw new Error(`internal: ${f.path} is both a file and a directory in one tree`)
  const missingDirs: string[] = []
  const writes: Step[] = []
  const removes: Step[] = []
  try {
    const byDepth = [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
    for (const d of byDepth) {
      const full = path.join(root, d)
      const parentMissing = missingDirs.includes(path.posix.dirname(d)) || !top.exists
      const st = parentMissing ? undefined : await lstatOrUndefined(fs, full)
      expectDir(full, st)
      if (!st) missingDirs.push(d)
    }
    for (const f of files) {
      const full = path.join(root, f.path)
      const parentMissing = !top.exists || missingDirs.includes(path.posix.dirname(f.path))
      const st = parentMissing ? undefined : await lstatOrUndefined(fs, full)
      expectFile(full, st)
      const old = st ? await readOld(fs, full) : undefined
      if (old && old.mode === f.mode && old.content.equals(Buffer.from(f.content))) continue
      writes.push({rel: f.path, full, old, spec: f})
    }
    for (const sub of owned) {
      if (!top.exists || missingDirs.includes(sub)) continue
      const subFull = path.join(root, sub)
      let entries: string[]
      try {
        entries = (await fs.readdir(subFull)).sort()
      } catch (error) {
        throw fsError(error, subFull)
      }
      for (const e of entries) {
        const rel = `${sub}/${e}`
        if (e.startsWith('.') || seen.has(rel) || dirs.has(rel)) continue
        const full = path.join(root, rel)
        const st = await lstatOrUndefined(fs, full)
        if (!st) continue
        if (st.isSymbolicLink()) throw symlinkError(full)
        if (!st.isFile()) throw new DataError(`${full} is ${kindOf(st)} in ${sub}/, which vipctl owns; only files vipctl wrote belong there (remove it)`)
        removes.push({rel, full, old: await readOld(fs, full)})
      }
    }
  } catch (error) {
    throw unchanged(error, root)
  }
  const noop: TreeChange = {written: [], removed: [], restore: async () => undefined}
  if (writes.length === 0 && removes.length === 0) return noop

  // 2. Stage: create missing directories and write every new file as a temp file.
  const created: string[] = []
  const stage = async () => {
    if (!top.exists) {
      const chain: string[] = []
      for (let d = root; ; d = path.dirname(d)) {
        if (await lstatOrUndefined(fs, d)) break
        chain.unshift(d)
        if (path.dirname(d) === d) break
      }
      for (const d of chain) {
        await fs.mkdir(d, {mode: 0o700}).catch((error) => {
          throw fsError(error, d)
        })
        created.push(d)
      }
    }
    for (const d of missingDirs) {
      const full = path.join(root, d)
      await fs.mkdir(full, {mode: 0o700}).catch((error) => {
        throw fsError(error, full)
      })
      created.push(full)
    }
    for (const w of writes)
      w.tmp = await stageFile(fs, w.full, w.spec!.content, w.spec!.mode).catch((error) => {
        throw fsError(error, w.full)
      })
  }
  const dropStaged = async () => {
    for (const w of writes) if (w.tmp) await fs.unlink(w.tmp).catch(() => undefined)
    for (const d of [...created].reverse()) await fs.rmdir(d).catch(() => undefined)
  }
  try {
    await stage()
  } catch (error) {
    await dropStaged()
    throw unchanged(error, root)
  }

  // 3. Commit: rename the temp files in, remove what is no longer ours, fsync the directories.
  const renamed: Step[] = []
  const unlinked: Step[] = []
  const restore = async (): Promise<void> => {
    const problems: string[] = []
    const put = async (s: Step) => {
      try {
        if (!s.old) {
          await fs.unlink(s.full).catch((error) => {
            if (code(error) !== 'ENOENT') throw error
          })
          return
        }
        expectDir(path.dirname(s.full), await lstatOrUndefined(fs, path.dirname(s.full)))
        const tmp = await stageFile(fs, s.full, s.old.content, s.old.mode)
        await fs.rename(tmp, s.full).catch(async (error) => {
          await fs.unlink(tmp).catch(() => undefined)
          throw error
        })
      } catch (error) {
        problems.push(`${s.full}: ${oneLine((error as Error).message)}`)
      }
    }
    for (const s of [...renamed].reverse()) await put(s)
    for (const s of [...unlinked].reverse()) await put(s)
    for (const w of writes) if (w.tmp && !renamed.includes(w)) await fs.unlink(w.tmp).catch(() => undefined)
    for (const d of [...created].reverse()) await fs.rmdir(d).catch(() => undefined)
    await syncAll().catch(() => undefined)
    if (problems.length) throw new UnavailableError(`restoring the previous files failed: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`)
  }
  const syncAll = async () => {
    const parents = new Set([...writes, ...removes].map((s) => path.dirname(s.full)))
    for (const p of parents) if (await lstatOrUndefined(fs, p)) await fsyncDir(fs, p)
    if (created.length) await fsyncDir(fs, path.dirname(created[0]!)).catch(() => undefined)
  }
  try {
    for (const w of writes) {
      await fs.rename(w.tmp!, w.full).catch((error) => {
        throw fsError(error, w.full)
      })
      renamed.push(w)
    }
    for (const r of removes) {
      await fs.unlink(r.full).catch((error) => {
        throw fsError(error, r.full)
      })
      unlinked.push(r)
    }
    await syncAll().catch((error) => {
      throw fsError(error, root)
    })
  } catch (error) {
    try {
      await restore()
    } catch (failure) {
      throw marked(fsError(error, root, `; ${(failure as Error).message}`), 'partial')
    }
    throw marked(fsError(error, root, FILES_RESTORED), 'restored')
  }
  return {written: writes.map((w) => w.rel), removed: removes.map((r) => r.rel), restore}
}

/** Removes a directory vipctl owns below `dir` (e.g. a staging copy), refusing a symlink in its place. */
export async function removeOwnedDir(dir: string, rel: string, opts: TreeOptions = {}): Promise<void> {
  const fs = opts.fs ?? realFs
  checkRel(rel)
  const full = path.join(path.resolve(dir), rel)
  const st = await lstatOrUndefined(fs, full)
  if (!st) return
  expectDir(full, st)
  // fs.rm uses lstat throughout: a symlink inside is removed, never followed.
  await fs.rm(full, {recursive: true, force: true}).catch((error) => {
    throw fsError(error, full)
  })
}

/**
 * Reads the files of a tree written by writeTree (the `top` files plus the
 * owned subdirectories), never through a symlink: a symlink, or a directory
 * where a file belongs, is an error naming it.
 */
export async function readTree(dir: string, top: string[], owned: string[], opts: TreeOptions = {}): Promise<FileSpec[]> {
  const fs = opts.fs ?? realFs
  const t = await checkTopDir(dir, {...opts, write: false})
  if (!t.exists) return []
  const out: FileSpec[] = []
  const read = async (rel: string) => {
    checkRel(rel)
    const full = path.join(t.dir, rel)
    const st = await lstatOrUndefined(fs, full)
    if (!st) return
    expectFile(full, st)
    const old = await readOld(fs, full)
    if (old) out.push({path: rel, content: old.content.toString('utf8'), mode: old.mode & 0o777})
  }
  for (const f of top) await read(f)
  for (const sub of owned) {
    checkRel(sub)
    const subFull = path.join(t.dir, sub)
    const st = await lstatOrUndefined(fs, subFull)
    if (!st) continue
    expectDir(subFull, st)
    const entries = await fs.readdir(subFull).catch((error) => {
      throw fsError(error, subFull)
    })
    for (const e of entries.sort()) if (!e.startsWith('.')) await read(`${sub}/${e}`)
  }
  return out
}
