/**
 * Writing config files safely: each file is written to a temporary name in the
 * same directory, created with its final mode (0600 for key material, never a
 * chmod afterwards), fsynced, renamed over the old one, and the directory is
 * fsynced. Symlinks where we write are refused.
 */
import {constants} from 'node:fs'
import {lstat, mkdir, open, readFile, readdir, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {randomBytes} from 'node:crypto'
import {PermissionError, UnavailableError, DataError} from '../errors.js'

export interface FileSpec {
  /** Relative to the directory being written. */
  path: string
  content: string
  mode: number
}

function fsError(err: unknown, what: string): Error {
  const e = err as NodeJS.ErrnoException
  if (e.code === 'EACCES' || e.code === 'EPERM') return new PermissionError(`${what}: permission denied`, {cause: err})
  if (e.code === 'ENOSPC' || e.code === 'EROFS' || e.code === 'EIO') return new UnavailableError(`${what}: ${e.code}`, {cause: err})
  return new DataError(`${what}: ${e.code ?? e.message}`, {cause: err})
}

/** Rejects relative paths that would leave the directory, and symlinks on the way. */
async function target(dir: string, rel: string): Promise<string> {
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).some((s) => s === '..' || s === '')) throw new Error(`internal: unsafe relative path ${rel}`)
  const full = path.join(dir, rel)
  const st = await lstat(full).catch(() => undefined)
  if (st?.isSymbolicLink()) throw new DataError(`${full}: is a symlink; refusing to write through it`)
  return full
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Writes one file atomically with its mode set at creation. */
export async function writeFileAtomic(dir: string, spec: FileSpec): Promise<void> {
  const full = await target(dir, spec.path)
  const parent = path.dirname(full)
  try {
    await mkdir(parent, {recursive: true, mode: 0o700})
    const tmp = path.join(parent, `.${path.basename(full)}.${randomBytes(6).toString('hex')}.tmp`)
    const fh = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, spec.mode)
    try {
      await fh.writeFile(spec.content)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, full)
    await fsyncDir(parent)
  } catch (error) {
    if (error instanceof DataError) throw error
    throw fsError(error, full)
  }
}

/** Writes a set of files, then removes files under `dir` that the set no longer has (only in `owned` subdirectories). */
export async function writeTree(dir: string, files: FileSpec[], owned: string[] = []): Promise<void> {
  for (const f of files) await writeFileAtomic(dir, f)
  const keep = new Set(files.map((f) => f.path))
  for (const sub of owned) {
    const entries = await readdir(path.join(dir, sub)).catch(() => [] as string[])
    for (const e of entries) {
      const rel = `${sub}/${e}`
      if (!keep.has(rel) && !e.startsWith('.')) await rm(path.join(dir, rel), {force: true})
    }
  }
}

/** Reads the files of a tree written by writeTree (haproxy.cfg plus owned subdirectories). */
export async function readTree(dir: string, top: string[], owned: string[]): Promise<FileSpec[]> {
  const out: FileSpec[] = []
  const read = async (rel: string) => {
    const full = path.join(dir, rel)
    const st = await stat(full).catch(() => undefined)
    if (!st?.isFile()) return
    out.push({path: rel, content: await readFile(full, 'utf8'), mode: st.mode & 0o777})
  }
  for (const t of top) await read(t)
  for (const sub of owned) for (const e of (await readdir(path.join(dir, sub)).catch(() => [] as string[])).sort()) if (!e.startsWith('.')) await read(`${sub}/${e}`)
  return out
}
