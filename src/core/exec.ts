/**
 * The exec port: programs vipctl runs (haproxy -c, nft, ip) go through an Exec
 * passed in by the caller; tests pass their own. processExec is the real one.
 */
import {execFile} from 'node:child_process'
import {UnavailableError} from '../errors.js'

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
 * UnavailableError (exit 69) carrying `hint`. Output is capped at 16 MiB; the program is killed after timeoutMs.
 */
export function processExec(opts: {timeoutMs: number; hint: string}): Exec {
  return (cmd, args, input) =>
    new Promise((resolve, reject) => {
      const child = execFile(cmd, args, {timeout: opts.timeoutMs, maxBuffer: 16 * 1024 * 1024}, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & {code?: number | string}) | null
        if (e && e.code === 'ENOENT') return reject(new UnavailableError(`${cmd}: not found`, {hint: opts.hint}))
        resolve({code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr})
      })
      // The program may exit before reading its input (a bad namespace): its result says why, not an EPIPE.
      child.stdin?.on('error', () => {})
      child.stdin?.end(input ?? '')
    })
}
