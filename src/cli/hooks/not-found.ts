/** An unknown command is a usage error like any other: one line, exit 64. */
import {Errors, type Hook} from '@oclif/core'
import {ExitCode} from '../../errors.js'
import {invokedAs} from '../invocation.js'

const hook: Hook.CommandNotFound = async function (opts) {
  const id = opts.id.replaceAll(':', ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 80)
  process.stderr.write(`error: unknown command "${id}" (see ${invokedAs()} --help)\n`)
  process.exitCode = ExitCode.Usage
  throw new Errors.ExitError(ExitCode.Usage)
}

export default hook
