/**
 * V8's code cache for the bundle, where Node has one for ES modules (`module.enableCompileCache`, Node 22.1 and
 * later; on Node 20 there is none and this does nothing). A command's start then skips compiling the chunks it
 * loads: on Node 22.23, an offline `inspect services -f examples/shop` 156 -> 140 ms, oclif's own floor (a flag
 * error) 67 -> 59 ms (bench/startup's medians; the closing note of issue 20).
 *
 * The cache holds V8's compiled code of vipctl's own files (no input, no output, nothing of a cluster), in a
 * directory only its user can reach: `$XDG_CACHE_HOME/vipctl/compile-cache` (an absolute XDG_CACHE_HOME only, as
 * the XDG spec says), else `$HOME/.cache/vipctl/compile-cache`. It is created 0700; one that is a symbolic link,
 * not a directory, another user's, or reachable by group or others is not used (a code cache is code: whoever
 * can write it runs code as the user). Nothing is created under a directory of another user's (root run by sudo
 * with the user's HOME kept). Node's own switches stand: NODE_COMPILE_CACHE (Node has enabled it already,
 * in that directory) and NODE_DISABLE_COMPILE_CACHE=1 (off). Nothing here ever fails a command.
 */
import {lstatSync, mkdirSync} from 'node:fs'
import path from 'node:path'

/** The parts of node:fs and process this needs; tests pass their own. */
export interface CompileCacheDeps {
  mkdirSync(dir: string, opts: {recursive: true; mode: number}): unknown
  lstatSync(p: string): {isDirectory(): boolean; isSymbolicLink(): boolean; uid: number; mode: number}
  /** undefined where there is no uid (Windows): the owner is not checked there. */
  uid: number | undefined
}

const realDeps = (): CompileCacheDeps => ({mkdirSync, lstatSync, uid: process.getuid?.()})

/**
 * The private cache directory for `env`, created when missing; undefined when Node's own variables decide, when
 * neither XDG_CACHE_HOME nor HOME gives an absolute place, or when the directory cannot be made or is not private.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv, deps: CompileCacheDeps = realDeps()): string | undefined {
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return undefined
  const xdg = env.XDG_CACHE_HOME
  const base = xdg && path.isAbsolute(xdg) ? xdg : env.HOME && path.isAbsolute(env.HOME) ? path.join(env.HOME, '.cache') : undefined
  if (!base) return undefined
  const dir = path.join(base, 'vipctl', 'compile-cache')
  try {
    // Only under a place of the user's own: root run with another user's HOME (sudo keeping HOME) would leave
    // directories that user cannot use or remove.
    if (deps.uid !== undefined && nearestExisting(dir, deps)?.uid !== deps.uid) return undefined
    deps.mkdirSync(dir, {recursive: true, mode: 0o700})
    const st = deps.lstatSync(dir)
    if (!st.isDirectory() || st.isSymbolicLink()) return undefined
    if (deps.uid !== undefined && st.uid !== deps.uid) return undefined
    if ((st.mode & 0o077) !== 0) return undefined
    return dir
  } catch {
    return undefined
  }
}

/** The lstat of `dir` or of its nearest ancestor that exists; undefined when none can be read. */
function nearestExisting(dir: string, deps: CompileCacheDeps): {uid: number} | undefined {
  for (let p = dir; ; p = path.dirname(p)) {
    try {
      return deps.lstatSync(p)
    } catch {
      if (path.dirname(p) === p) return undefined
    }
  }
}

/** What bin/run.js calls first: turns the cache on where Node has one (`enable` is module.enableCompileCache). */
export function enableCodeCache(enable: ((dir: string) => unknown) | undefined, env: NodeJS.ProcessEnv, deps?: CompileCacheDeps): string | undefined {
  if (typeof enable !== 'function') return undefined
  const dir = compileCacheDir(env, deps)
  if (!dir) return undefined
  try {
    enable(dir)
    return dir
  } catch {
    return undefined
  }
}
