/** An unknown command is a usage error like any other: one line, exit 64, with the nearest command when one is near. */
import {Errors, type Hook} from '@oclif/core'
import {ExitCode} from '../../errors.js'
import {commandHint, unknownCommand} from '../../core/suggest.js'
import {unknownCommandLine} from '../invocation.js'

const hook: Hook.CommandNotFound = async function (opts) {
  const u = unknownCommand(opts.id, opts.config.commands)
  process.stderr.write(`${unknownCommandLine(u.typed, undefined, commandHint(u))}\n`)
  process.exitCode = ExitCode.Usage
  throw new Errors.ExitError(ExitCode.Usage)
}

export default hook
