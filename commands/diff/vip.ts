import {VipCommand} from '../../src/cli/base.js'
import {compile} from '../../src/model/compile.js'
import {modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {vipFlags} from '../../src/apply/vip/flags.js'
import {diffVip, processVipIO, rulesFor} from '../../src/apply/vip/service.js'
import {ignoredFlagWarnings, ignoredHaproxyFlags, listenFlags, listenOptions} from '../../src/targets/haproxy/options.js'

export default class DiffVip extends VipCommand {
  static override description = 'Compare the VIP rules and addresses on the node with the desired ones (exit 2 on differences)'
  static override examples = ['<%= config.bin %> diff vip -f examples/shop --mode bind --netns node']
  static override flags = {...sourceFlags, ...modelFlags, ...listenFlags, ...ignoredHaproxyFlags, ...vipFlags, ...documentOutputFlag()}

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(DiffVip)
    for (const w of ignoredFlagWarnings(flags, 'diff vip')) this.warn(w)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const {rules, diagnostics} = rulesFor(compile(snapshot, modelOptions(flags)), listenOptions(flags), flags.mode)
    return this.present(await diffVip(rules, {netns: flags.netns, mode: flags.mode}, processVipIO()), flags.output, diagnostics)
  }
}
