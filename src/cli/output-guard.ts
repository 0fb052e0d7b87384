/**
 * Standard output that cannot be written, for every command (bin/run.js installs this first, from fast.cjs).
 *
 * A reader that went away (EPIPE: `vipctl ... | head`) is not an error: the rest of the output is dropped and the
 * command ends as it would (a follower, `stats --follow`, stops on the stream's error itself). Any other failure
 * (ENOSPC on a full disk, EIO, EBADF) is one line on stderr, once, and ExitCode.IoErr (74) if the command would
 * otherwise have ended with 0 (a failure's or a verdict's own code stays: it says more); the command runs to its
 * end meanwhile, so an apply is not cut short by its report. A failure whose 'error' event has not fired yet when
 * the process exits (a command that wrote, then threw) is found on the stream at exit. Quiet (the completion
 * callback): nothing is said and the exit code is left alone, since kubectl shows a plugin's stderr and shells
 * read only the candidates. Failures of stderr itself are ignored: nothing is left to say them on.
 */
import {writeSync} from 'node:fs'
import {printable} from '../core/printable.js'
import {ExitCode} from '../errors.js'

/** The parts of the process the guard uses (the process itself unless a test passes its own). */
export interface GuardedProcess {
  stdout: NodeJS.WritableStream & {errored?: Error | null}
  stderr: NodeJS.WritableStream
  exitCode?: number | string | undefined
  on(event: 'exit', listener: () => void): unknown
}

/**
 * Installs the guard on `proc`; `say` writes one line to stderr (synchronously, by default: the process may be
 * exiting). Returns a function that removes every other 'error' listener of stdout: oclif's, which rethrows
 * such errors (a stack trace and exit 1, read as "findings"), once oclif has loaded.
 */
export function guardOutput(quiet: boolean, proc: GuardedProcess = process, say: (line: string) => void = (line) => writeSync(2, line)): () => void {
  let failure: (Error & {code?: string}) | undefined
  const report = (error: (Error & {code?: string}) | null | undefined): void => {
    if (failure || !error || error.code === 'EPIPE') return
    failure = error
    if (quiet) return
    const reason = /^[A-Z0-9_]+: ([^,\n]+)/.exec(String(error.message))?.[1] ?? 'write failed'
    try {
      say(`error: cannot write the output: ${printable(reason)}${error.code ? ` (${printable(String(error.code))})` : ''}\n`)
    } catch {
      // stderr fails too: the exit code says it
    }
  }
  proc.stdout.on('error', report)
  proc.stderr.on('error', () => undefined)
  proc.on('exit', () => {
    report(proc.stdout.errored)
    if (failure && !quiet && !proc.exitCode) proc.exitCode = ExitCode.IoErr
  })
  return () => {
    for (const listener of proc.stdout.listeners('error')) if (listener !== report) proc.stdout.removeListener('error', listener as (...a: unknown[]) => void)
  }
}
