import {Flags} from '@oclif/core'
import {VipCommand} from '../src/cli/base.js'
import {versionResult} from '../src/version/version.js'

export default class Version extends VipCommand {
  static override description = 'Print the vipctl version'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version -o json']
  // Only the formats that mean something for one version document (no rows: no wide, name or jsonl).
  static override flags = {output: Flags.option({char: 'o', options: ['table', 'json', 'yaml'] as const, default: 'table' as const, description: 'output format'})()}

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Version)
    return this.present(versionResult(this.config.version, process.versions.node, `${process.platform}/${process.arch}`), flags.output)
  }
}
