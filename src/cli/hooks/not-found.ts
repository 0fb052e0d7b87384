/** An unknown command is a usage error like any other: one line, exit 64, with the nearest command when one is near. */
import {Errors, type Hook} from '@oclif/core'
import {ExitCode} from '../../errors.js'
import {commandHint, unknownCommand} from '../suggest.js'
import {invokedAs} from '../invocation.js'

const hook: Hook.CommandNotFound = async function (opts) {
  const u = unknownCommand(opts.id, opts.config.commands)
  const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)
  const hint = commandHint(u)
  process.stderr.write(`error: unknown command "${printable(u.typed)}" (${hint ? printable(hint) : `see ${invokedAs()} --help`})\n`)
  process.exitCode = ExitCode.Usage
  throw new Errors.ExitError(ExitCode.Usage)
}

export default hook
