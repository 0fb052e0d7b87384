import {VipCommand} from '../../src/cli/base.js'
import {compile} from '../../src/model/compile.js'
import {modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {vipFlags} from '../../src/apply/vip/flags.js'
import {rulesFor, rulesText} from '../../src/apply/vip/service.js'
import {ignoredFlagWarnings, ignoredHaproxyFlags, listenFlags, listenOptions} from '../../src/targets/haproxy/options.js'

export default class GenerateIptables extends VipCommand {
  static override description = 'Render the VIP rules (dnat) as iptables-restore input in our own VIPCTL-* chains'
  static override examples = ['<%= config.bin %> generate iptables -f examples/shop --mode dnat --listen-address 10.0.0.5']
  static override flags = {...sourceFlags, ...modelFlags, ...listenFlags, ...ignoredHaproxyFlags, mode: vipFlags.mode, ...documentOutputFlag()}

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(GenerateIptables)
    for (const w of ignoredFlagWarnings(flags, 'generate iptables')) this.warn(w)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const {rules, diagnostics} = rulesFor(compile(snapshot, modelOptions(flags)), listenOptions(flags), flags.mode)
    return this.present(rulesText(rules, flags.mode, 'iptables'), flags.output, diagnostics)
  }
}
