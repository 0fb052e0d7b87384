import {Args, Flags, loadHelpClass} from '@oclif/core'
import {VipCommand} from '../src/cli/base.js'

/**
 * `vipctl help [COMMAND]`: what oclif's help plugin offered (the same arguments, flag and text), as a command
 * of our own, so that no plugin is looked up, read and loaded at every start (Config.load; ~4 ms a command).
 * Shows the help class of package.json (src/cli/help.ts); `vipctl help ...` is usually answered before oclif
 * loads (src/cli/help-fast.ts), which takes the same arguments. A VipCommand for its errors (a bad flag is one
 * line, exit 64, as everywhere), with the global --debug and --color and without --json (help prints no document).
 */
export default class HelpCommand extends VipCommand {
  static override enableJsonFlag = false

  static override args = {
    command: Args.string({description: 'Command to show help for.', required: false}),
  }

  static override description = 'Display help for <%= config.bin %>.'

  static override flags = {
    'nested-commands': Flags.boolean({char: 'n', description: 'Include all nested commands in the output.'}),
  }

  static override strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(HelpCommand)
    const Help = await loadHelpClass(this.config)
    await new Help(this.config, {all: flags['nested-commands']}).showHelp(argv as string[])
  }
}
