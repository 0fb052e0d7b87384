import {VipCommand} from '../src/cli/base.js'
import {outputFlag} from '../src/cli/flags.js'
import {versionResult} from '../src/version/version.js'

export default class Version extends VipCommand {
  static override description = 'Print the vipctl version'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version -o json']
  static override flags = {...outputFlag()}

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Version)
    return this.present(versionResult(this.config.version, process.versions.node, `${process.platform}/${process.arch}`), flags.output)
  }
}
