import {Flags} from '@oclif/core'
import {VipCommand} from '../src/cli/base.js'
import {clientFlags, documentOutputFlag, modelFlags} from '../src/cli/flags.js'
import {modelOptions} from '../src/cli/options.js'
import {processHaproxyIO} from '../src/apply/haproxy/service.js'
import {vipFlags} from '../src/apply/vip/flags.js'
import {processVipIO} from '../src/apply/vip/service.js'
import {haproxyFlags, haproxyOptions, haproxyTarget, haproxyTargetFlags} from '../src/targets/haproxy/options.js'
import {startSync, syncFlags, syncResult} from '../src/sync/command.js'

export default class Sync extends VipCommand {
  static override description = 'Keep this node\'s HAProxy (and VIP rules) in step with the API server: watch, batch, runtime updates or rate-limited reloads, periodic resync'
  static override examples = [
    '<%= config.bin %> sync --config-dir /etc/haproxy/vipctl --run-dir /run/vipctl',
    '<%= config.bin %> sync --once -o json             # one reconcile, then exit',
    '<%= config.bin %> sync --vip-rules --mode bind --sync-metrics-address 127.0.0.1:9842',
  ]
  static override flags = {
    ...syncFlags,
    ...clientFlags,
    ...modelFlags,
    ...haproxyFlags,
    ...haproxyTargetFlags,
    ...vipFlags,
    ...documentOutputFlag(),
  }

  async run(): Promise<Record<string, unknown> | void> {
    const {flags} = await this.parse(Sync)
    const hopts = haproxyOptions(flags)
    const summary = await startSync(flags, modelOptions(flags), hopts, haproxyTarget(flags, hopts), {haproxy: processHaproxyIO(), vip: processVipIO()})
    if (summary) return this.present(syncResult(summary), flags.output, summary.diagnostics)
  }
}
