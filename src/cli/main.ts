/**
 * The shipped entry's core (bin/run.js imports it from dist/bundle/): oclif's run, bundled with the commands so
 * both use one copy of @oclif/core, under an error handler of ours.
 */
import {Errors, flush, run} from '@oclif/core'
import {classifyError} from './base.js'
import {asInvoked} from './invocation.js'
import {printable, terminalText} from '../core/printable.js'

export {run} from '@oclif/core'

/**
 * oclif's execute (run, then flush), except for what escapes every command: a command's module that fails to
 * load (a package missing files), a manifest or configuration oclif refuses. oclif would print its own
 * multi-line message and exit 1, which vipctl documents as "findings"; here that is one line and the exit code
 * classifyError gives every command's errors (64 usage, 70 internal, ...), the stack only with --debug. A
 * command's own exits (ExitError, already reported by the command) go to oclif's handler as before.
 */
export async function execute(opts: {dir: string; args?: string[]}): Promise<void> {
  const argv = opts.args ?? process.argv.slice(2)
  try {
    await run(argv, opts.dir)
    await flush()
  } catch (error) {
    if (error instanceof Errors.ExitError || (error as Error)?.message === 'SIGINT') return Errors.handle(error as Error)
    const c = classifyError(error)
    const missing = /\bMODULE_NOT_FOUND\b|Cannot find module/.test(c.message)
    const message = missing ? `this vipctl is missing files: ${c.message.replace(/^internal error: /, '')}` : c.message
    const hint = missing ? 'reinstall it, or run npm run build in a checkout' : c.hint
    process.stderr.write(`error: ${printable(asInvoked(message))}${hint ? ` (${printable(asInvoked(hint))})` : ''}\n`)
    if (argv.includes('--debug') || process.env.VIPCTL_DEBUG === '1') process.stderr.write(`${terminalText(String((error as Error)?.stack ?? error))}\n`)
    await flush().catch(() => undefined)
    process.exit(missing ? 70 : c.exit)
  }
}
