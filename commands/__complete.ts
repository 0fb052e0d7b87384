import {Command} from '@oclif/core'
import {runCompletion, specFromConfig, specFromFiles, type CliSpec} from '../src/cli/completion.js'
import {pathToFileURL} from 'node:url'

/**
 * The completion scripts' callback, cobra's protocol: `vipctl __complete [--] <words...>` prints one candidate a
 * line, then `:<directive>`. Hidden: people type TAB, not this.
 */
export default class Complete extends Command {
  static override hidden = true
  static override strict = false
  static override description = 'Print completion candidates for the words that follow (the completion scripts call it)'

  async run(): Promise<void> {
    // Nothing to parse: every word is the user's command line, flags included (parse([]) also resets this.argv).
    const argv = [...this.argv]
    await this.parse(Complete, [])
    const words = argv[0] === '--' ? argv.slice(1) : argv
    let spec: CliSpec
    try {
      // The manifest, as kubectl_complete-vip reads it; oclif's loaded commands when there is none (development).
      spec = specFromFiles(pathToFileURL(`${this.config.root}/`))
    } catch {
      spec = specFromConfig(this.config)
    }
    await runCompletion(words, spec)
  }
}
