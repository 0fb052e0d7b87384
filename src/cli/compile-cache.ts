/**
 * V8's code cache for the bundle, where Node has one for ES modules (`module.enableCompileCache`, Node 22.1 and
 * later; on Node 20 there is none and this does nothing). A command's start then skips compiling the chunks it
 * loads: on Node 22.23, an offline `inspect services -f examples/shop` 156 -> 140 ms, oclif's own floor (a flag
 * error) 67 -> 59 ms (bench/startup's medians; the closing note of issue 20).
 *
 * The cache holds V8's compiled code of vipctl's own files (no input, no output, nothing of a cluster), in a
 * directory only its user can reach: `$XDG_CACHE_HOME/vipctl/compile-cache` (an absolute XDG_CACHE_HOME only, as
 * the XDG spec says), else `$HOME/.cache/vipctl/compile-cache`. It is created 0700. A code cache is code (whoever
 * can write it runs code as the user), so it is not used when anyone else could change it or what its path leads
 * to (compileCacheDir). Node's own switches stand: NODE_COMPILE_CACHE (Node has enabled it already,
 * in that directory) and NODE_DISABLE_COMPILE_CACHE=1 (off). Nothing here ever fails a command.
 */
import {lstatSync, mkdirSync, realpathSync} from 'node:fs'
import path from 'node:path'

/** The parts of node:fs and process this needs; tests pass their own. */
export interface CompileCacheDeps {
  mkdirSync(dir: string, opts: {mode: number}): unknown
  lstatSync(p: string): {isDirectory(): boolean; isSymbolicLink(): boolean; uid: number; mode: number}
  realpathSync(p: string): string
  /** undefined where there is no uid (Windows): owners and modes are not checked there. */
  uid: number | undefined
}

const realDeps = (): CompileCacheDeps => ({mkdirSync, lstatSync, realpathSync, uid: process.getuid?.()})

/**
 * The private cache directory for `env`, created when missing; undefined when Node's own variables decide, when
 * neither XDG_CACHE_HOME nor HOME gives an absolute place, when the directory cannot be made, or when anyone but
 * the user (and root) could change what it holds: every directory on its path, as given and as resolved, must be
 * the user's or root's and not writable by group or others (unless sticky, as /tmp is), every symbolic link on it
 * the user's or root's, and the directory itself the user's, 0700. Nothing is created unless the nearest
 * directory that exists is the user's own (root run by sudo with a user's HOME would leave directories that user
 * cannot use or remove).
 */
export function compileCacheDir(env: NodeJS.ProcessEnv, deps: CompileCacheDeps = realDeps()): string | undefined {
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return undefined
  const xdg = env.XDG_CACHE_HOME
  const base = xdg && path.isAbsolute(xdg) ? xdg : env.HOME && path.isAbsolute(env.HOME) ? path.join(env.HOME, '.cache') : undefined
  if (!base) return undefined
  const dir = path.join(path.resolve(base), 'vipctl', 'compile-cache')
  try {
    const existing = nearestExisting(dir, deps)
    if (!existing) return undefined
    if (deps.uid !== undefined && (deps.lstatSync(existing).uid !== deps.uid || !safePath(existing, deps))) return undefined
    // One component at a time, each checked as made: in a sticky directory someone else may create the next name
    // (a link, a directory of theirs) between the check above and this; mkdir never follows a link it meets.
    for (const p of componentsBelow(existing, dir)) {
      try {
        deps.mkdirSync(p, {mode: 0o700})
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return undefined
      }
      const c = deps.lstatSync(p)
      if (!c.isDirectory() || c.isSymbolicLink() || (deps.uid !== undefined && c.uid !== deps.uid)) return undefined
    }
    const st = deps.lstatSync(dir)
    if (!st.isDirectory() || st.isSymbolicLink()) return undefined
    if (deps.uid === undefined) return dir
    if (st.uid !== deps.uid || (st.mode & 0o077) !== 0) return undefined
    return safePath(dir, deps) && safePath(deps.realpathSync(dir), deps) ? dir : undefined
  } catch {
    return undefined
  }
}

/** The paths from just below `existing` down to `dir` (its descendant), in the order they are made. */
function componentsBelow(existing: string, dir: string): string[] {
  const out: string[] = []
  for (let p = dir; p !== existing && p !== path.dirname(p); p = path.dirname(p)) out.unshift(p)
  return out
}

/** `dir` or its nearest ancestor that exists (not following a last symbolic link); undefined when none can be read. */
function nearestExisting(dir: string, deps: CompileCacheDeps): string | undefined {
  for (let p = dir; ; p = path.dirname(p)) {
    try {
      deps.lstatSync(p)
      return p
    } catch {
      if (path.dirname(p) === p) return undefined
    }
  }
}

/**
 * Whether only the user and root can change what `p` (absolute) names: each of its components, from the root
 * down, is owned by one of them; a directory is not writable by group or others unless it is sticky (then others
 * may add names but not replace the user's); a symbolic link's target is checked by the caller (realpath).
 */
function safePath(p: string, deps: CompileCacheDeps): boolean {
  const parts = p.split(path.sep).filter(Boolean)
  for (let i = 0; i <= parts.length; i++) {
    const st = deps.lstatSync(path.sep + parts.slice(0, i).join(path.sep))
    if (st.uid !== deps.uid && st.uid !== 0) return false
    if (st.isSymbolicLink()) {
      // Below a symbolic link the path continues at its target: checked as a whole by the caller, resolved.
      if (!safePath(deps.realpathSync(path.sep + parts.slice(0, i).join(path.sep)), deps)) return false
      continue
    }
    if (!st.isDirectory()) return false
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return false
  }
  return true
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
