/**
 * Reading a small input file whole, bounded: only a regular file is read (a
 * named pipe, a character device such as /dev/zero, a socket or a directory is
 * refused before any read, so nothing can block or grow without end), its size
 * is checked first, and the read is counted as well (a file that grows while
 * read). The open is non-blocking, so even opening a named pipe with no writer
 * returns at once. Errors are one line naming `label`: permission denied is a
 * PermissionError (exit 77), everything else a DataError (exit 65).
 */
import {closeSync, constants, fstatSync, openSync, readSync, type Stats} from 'node:fs'
import {DataError, PermissionError} from '../errors.js'

function mib(max: number): string {
  return max >= 1024 * 1024 ? `${Math.round(max / 1024 / 1024)} MiB` : `${max} bytes`
}

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a named pipe' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file'
}

export function readBounded(file: string, max: number, label: string): Buffer {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EACCES' || code === 'EPERM') throw new PermissionError(`${label}: permission denied`, {cause: error})
    throw new DataError(`${label}: ${code === 'ENOENT' ? 'no such file' : code === 'ENOTDIR' ? 'no such file (a parent is not a directory)' : code === 'ENXIO' ? 'not a regular file (a socket)' : `cannot open (${code ?? 'error'})`}`, {cause: error})
  }
  try {
    const st = fstatSync(fd)
    if (st.isDirectory()) throw new DataError(`${label}: is a directory`)
    if (!st.isFile()) throw new DataError(`${label}: not a regular file (${fileKind(st)})`)
    if (st.size > max) throw new DataError(`${label}: larger than ${mib(max)}`)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buf = Buffer.alloc(64 * 1024)
      let n: number
      try {
        n = readSync(fd, buf, 0, buf.length, null)
      } catch (error) {
        throw new DataError(`${label}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {cause: error})
      }
      if (n === 0) break
      total += n
      if (total > max) throw new DataError(`${label}: larger than ${mib(max)}`)
      chunks.push(buf.subarray(0, n))
    }
    return Buffer.concat(chunks)
  } finally {
    closeSync(fd)
  }
}
