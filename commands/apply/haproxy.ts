import {Flags} from '@oclif/core'
import {compile} from '../../src/model/compile.js'
import {VipCommand} from '../../src/cli/base.js'
import {dryRunFlag, modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {confirmChange, processPromptIO} from '../../src/cli/prompt.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {applyResult, prepareHaproxy, processHaproxyIO} from '../../src/apply/haproxy/service.js'
import {describePlan} from '../../src/apply/haproxy/plan.js'
import {haproxyFlags, haproxyOptions, haproxyTarget, haproxyTargetFlags} from '../../src/targets/haproxy/options.js'
import {terminalText} from '../../src/core/printable.js'

export default class ApplyHaproxy extends VipCommand {
  static override description = 'Bring the running HAProxy in line: endpoint-only changes at runtime, anything else by a checked, verified reload with rollback'
  static override examples = [
    '<%= config.bin %> apply haproxy -f examples/shop --dry-run',
    '<%= config.bin %> apply haproxy --dry-run=server       # plan, and haproxy -c checks the new config; nothing changes',
    '<%= config.bin %> apply haproxy --yes --config-dir /etc/haproxy/vipctl --run-dir /run/vipctl',
  ]
  static override flags = {
    ...sourceFlags,
    ...modelFlags,
    ...haproxyFlags,
    ...haproxyTargetFlags,
    ...dryRunFlag('also have haproxy -c check the new configuration (in a staging directory under --config-dir), without writing or reloading anything'),
    yes: Flags.boolean({char: 'y', description: 'apply without asking (required without a terminal)'}),
    ...documentOutputFlag(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(ApplyHaproxy)
    const opts = haproxyOptions(flags)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const dryRun = flags['dry-run']
    const prepared = await prepareHaproxy(compile(snapshot, modelOptions(flags)), opts, haproxyTarget(flags, opts), processHaproxyIO(), dryRun !== 'client')
    const p = prepared.planned.plan
    if (dryRun === 'server') await prepared.validate()
    if (dryRun !== 'none') return this.present(applyResult(p, {applied: 'dry-run'}), flags.output, prepared.diagnostics)
    if (p.kind !== 'none' && !flags.yes) {
      process.stderr.write(terminalText(describePlan(p), {colour: false}))
      if (!(await confirmChange('Apply this plan?', false, processPromptIO()))) return this.present(applyResult(p, {applied: 'declined'}), flags.output, prepared.diagnostics)
    }
    return this.present(applyResult(p, await prepared.run()), flags.output, prepared.diagnostics)
  }
}
