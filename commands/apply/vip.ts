import {Flags} from '@oclif/core'
import {compile} from '../../src/model/compile.js'
import {VipCommand} from '../../src/cli/base.js'
import {dryRunFlag, modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {vipFlags} from '../../src/apply/vip/flags.js'
import {applyVipResult, describeVipPlan, processVipIO, rulesFor} from '../../src/apply/vip/service.js'
import {confirmChange, processPromptIO} from '../../src/cli/prompt.js'
import {ignoredFlagWarnings, ignoredHaproxyFlags, listenFlags, listenOptions} from '../../src/targets/haproxy/options.js'
import {terminalText} from '../../src/core/printable.js'
import {UsageError} from '../../src/errors.js'

export default class ApplyVip extends VipCommand {
  static override description = 'Put the VIP rules (and, in bind mode, the VIP addresses) in place atomically; rolls back on failure; needs CAP_NET_ADMIN'
  static override examples = ['<%= config.bin %> apply vip -f examples/shop --mode bind --netns node']
  static override flags = {...sourceFlags, ...modelFlags, ...listenFlags, ...ignoredHaproxyFlags, ...vipFlags, ...dryRunFlag('not supported (the rules are checked only as they are applied): a usage error'), yes: Flags.boolean({char: 'y', description: 'apply without asking (required without a terminal)'}), ...documentOutputFlag()}

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(ApplyVip)
    for (const w of ignoredFlagWarnings(flags, 'apply vip')) this.warn(w)
    if (flags['dry-run'] === 'server') throw new UsageError('--dry-run=server: apply vip cannot check the rules on the node without applying them; use --dry-run=client (the plan against the node\'s rules) or diff vip')
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const {rules, diagnostics} = rulesFor(compile(snapshot, modelOptions(flags)), listenOptions(flags), flags.mode)
    const target = {netns: flags.netns, mode: flags.mode}
    if (flags['dry-run'] === 'none' && !flags.yes) {
      const preview = await applyVipResult(rules, target, processVipIO(), true)
      if (!preview.data.plan.changes) return this.present(preview, flags.output, diagnostics)
      process.stderr.write(terminalText(describeVipPlan(preview.data.plan), {colour: false}))
      if (!(await confirmChange('Apply these VIP rules?', false, processPromptIO()))) return this.present(preview, flags.output, diagnostics)
    }
    return this.present(await applyVipResult(rules, target, processVipIO(), flags['dry-run'] === 'client'), flags.output, diagnostics)
  }
}
