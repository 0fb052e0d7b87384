import {VipCommand} from '../../src/cli/base.js'
import {compile} from '../../src/model/compile.js'
import {modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {planResult, prepareHaproxy, processHaproxyIO} from '../../src/apply/haproxy/service.js'
import {haproxyFlags, haproxyOptions, haproxyTarget, haproxyTargetFlags} from '../../src/targets/haproxy/options.js'

export default class DiffHaproxy extends VipCommand {
  static override description = 'Show what apply haproxy would change: files, and runtime server changes or a reload (exit 2 when there are changes)'
  static override examples = ['<%= config.bin %> diff haproxy -f examples/shop --config-dir /etc/haproxy/vipctl']
  static override flags = {...sourceFlags, ...modelFlags, ...haproxyFlags, ...haproxyTargetFlags, ...documentOutputFlag()}

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(DiffHaproxy)
    const opts = haproxyOptions(flags)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const prepared = await prepareHaproxy(compile(snapshot, modelOptions(flags)), opts, haproxyTarget(flags, opts), processHaproxyIO(), false)
    return this.present(planResult(prepared.planned.plan, true), flags.output, prepared.diagnostics)
  }
}
