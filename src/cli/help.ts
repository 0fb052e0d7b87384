/**
 * oclif's help with one more section on every page (the exit codes, from the one enum in src/errors.ts),
 * named as the user invoked vipctl (`kubectl vip ...` when run as kubectl's plugin: src/cli/invocation.ts),
 * and an unknown command answered as everywhere else (one line, exit 64) instead of oclif's "Command x not found".
 * Imported from @oclif/core/help only, so the start-up fast path (src/cli/help-fast.ts) bundles it without the rest of oclif.
 */
import {Help} from '@oclif/core/help'
import type {Command, Interfaces} from '@oclif/core'
import {EXIT_CODE_TABLE, ExitCode} from '../errors.js'
import {asInvoked, invokedAs, unknownCommandLine} from './invocation.js'
import {commandHint, unknownCommand} from '../core/suggest.js'

export default class VipHelp extends Help {
  private readonly invokedName: string

  constructor(config: Interfaces.Config, opts?: Partial<Interfaces.HelpOptions>) {
    const name = invokedAs()
    // Help, its command help and the examples' <%= config.bin %> all read config.bin: a view of the config
    // with the invoked name (Config itself is untouched: its environment variables stay VIPCTL_*).
    super(name === config.bin ? config : (Object.create(config, {bin: {value: name, enumerable: true}}) as Interfaces.Config), opts)
    this.invokedName = name
  }

  private exitCodes(): string {
    return this.section('EXIT CODES', EXIT_CODE_TABLE.map(([code, name, meaning]) => [String(code), `${name}: ${meaning}`] as [string, string]))
  }

  override formatRoot(): string {
    return `${super.formatRoot()}\n\n${this.exitCodes()}`
  }

  protected override formatCommand(command: Command.Loadable): string {
    return `${super.formatCommand(command)}\n\n${this.exitCodes()}`
  }

  /** Descriptions that name command lines ("... | vipctl check -f -") say them as invoked too. */
  protected override log(...args: string[]): void {
    super.log(...args.map((a) => asInvoked(a, this.invokedName)))
  }

  override async showHelp(argv: string[]): Promise<void> {
    try {
      await super.showHelp(argv)
    } catch (error) {
      const m = /^Command (.+) not found\.$/.exec((error as Error)?.message ?? '')
      if (!m) throw error
      const u = unknownCommand(m[1]!, this.config.commands)
      process.stderr.write(`${unknownCommandLine(u.typed, this.invokedName, commandHint(u))}\n`)
      process.exitCode = ExitCode.Usage
    }
  }
}
