import {VipCommand} from '../../src/cli/base.js'
import {compile} from '../../src/model/compile.js'
import {modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {vipFlags} from '../../src/apply/vip/flags.js'
import {rulesFor, rulesText} from '../../src/apply/vip/service.js'
import {ignoredFlagWarnings, ignoredHaproxyFlags, listenFlags, listenOptions} from '../../src/targets/haproxy/options.js'

export default class GenerateNftables extends VipCommand {
  static override description = 'Render the VIP rules as an nft script (our own table, replaced in one transaction)'
  static override examples = ['<%= config.bin %> generate nftables -f examples/shop --mode dnat --listen-address 10.0.0.5']
  static override flags = {...sourceFlags, ...modelFlags, ...listenFlags, ...ignoredHaproxyFlags, mode: vipFlags.mode, ...documentOutputFlag()}

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(GenerateNftables)
    for (const w of ignoredFlagWarnings(flags, 'generate nftables')) this.warn(w)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const {rules, diagnostics} = rulesFor(compile(snapshot, modelOptions(flags)), listenOptions(flags), flags.mode)
    return this.present(rulesText(rules, flags.mode, 'nftables'), flags.output, diagnostics)
  }
}
