/** A directory tree as data, for "byte-identical afterwards" assertions: symlinks listed, never followed. */
import {lstatSync, readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'

/** Relative path -> 'symlink' or the file's bytes (base64), with its mode when `modes`; `skip` leaves top-level entries out. */
export function treeOf(dir: string, opts: {modes?: boolean; skip?: string[]} = {}): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (rel: string) => {
    const full = path.join(dir, rel)
    const st = lstatSync(full)
    if (st.isSymbolicLink()) out[rel] = 'symlink'
    else if (st.isDirectory()) {
      for (const e of readdirSync(full)) if (!(rel === '' && opts.skip?.includes(e))) walk(rel ? `${rel}/${e}` : e)
    } else out[rel] = `${opts.modes ? `${(st.mode & 0o777).toString(8)} ` : ''}${readFileSync(full, 'base64')}`
  }
  walk('')
  return out
}
