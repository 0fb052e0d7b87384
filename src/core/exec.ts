/**
 * The exec port: programs vipctl runs (haproxy -c, nft, ip) go through an Exec
 * passed in by the caller; tests pass their own. processExec is the real one.
 */
import {execFile} from 'node:child_process'
import {PermissionError, UnavailableError} from '../errors.js'

/** A finished program: its exit code (1 when killed by a signal or the timeout) and its output. */
export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `cmd` with `args` (no shell), writing `input` to its stdin when given. */
export type Exec = (cmd: string, args: string[], input?: string) => Promise<ExecResult>

/**
 * Runs programs for real. A non-zero exit is a result, not an error; a missing program rejects with
 * UnavailableError (exit 69) carrying `hint`, one the kernel refuses to start (EPERM, EACCES) with PermissionError (exit 77). Output is capped at 16 MiB; the program is killed after timeoutMs.
 */
export function processExec(opts: {timeoutMs: number; hint: string}): Exec {
  return (cmd, args, input) =>
    new Promise((resolve, reject) => {
      // The program was found but could not be started: never a program's exit status. EPERM from exec is what a
      // file capability outside the bounding set gives (a container that dropped it); EACCES a file not executable.
      // Node reports ENOENT and EACCES through the callback but throws EPERM from execFile itself.
      const cannotStart = (e: NodeJS.ErrnoException & {code?: number | string}) =>
        e.code === 'ENOENT' ? new UnavailableError(`${cmd}: not found`, {hint: opts.hint}) : e.code === 'EPERM' || e.code === 'EACCES' ? spawnPermissionError(cmd, e.code) : undefined
      let child: ReturnType<typeof execFile>
      try {
        child = execFile(cmd, args, {timeout: opts.timeoutMs, maxBuffer: 16 * 1024 * 1024}, (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & {code?: number | string}) | null
          const refused = e ? cannotStart(e) : undefined
          if (refused) return reject(refused)
          resolve({code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr})
        })
      } catch (error) {
        return reject(cannotStart(error as NodeJS.ErrnoException) ?? error)
      }
      // The program may exit before reading its input (a bad namespace): its result says why, not an EPIPE.
      child.stdin?.on('error', () => {})
      child.stdin?.end(input ?? '')
    })
}

/** Why the kernel refused to start `cmd`, in one line. */
export function spawnPermissionError(cmd: string, code: 'EPERM' | 'EACCES'): PermissionError {
  return code === 'EPERM'
    ? new PermissionError(`cannot run ${cmd}: permission denied (EPERM): a file capability of ${cmd} not in this process's bounding set? (a container must keep the capability, e.g. NET_BIND_SERVICE for haproxy)`)
    : new PermissionError(`cannot run ${cmd}: permission denied (EACCES): not executable by this user, or on a noexec mount`)
}
