import {Flags} from '@oclif/core'
import {compile} from '../../src/model/compile.js'
import {VipCommand} from '../../src/cli/base.js'
import {dryRunFlag, modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {confirmChange, processPromptIO} from '../../src/cli/prompt.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {netscalerFlags, netscalerOptions} from '../../src/generate/netscaler.js'
import {describeNetscalerPlan} from '../../src/apply/netscaler/apply.js'
import {applyNetscaler, netscalerPlanResult, nitroFlags, planAgainstAppliance, nitroTlsFlagWarning} from '../../src/apply/netscaler/service.js'
import {nitroClient} from '../../src/core/nitro.js'
import {terminalText} from '../../src/core/printable.js'
import {UsageError} from '../../src/errors.js'

export default class ApplyNetscaler extends VipCommand {
  static override description = 'Bring a NetScaler in line through NITRO: add and update in dependency order, undo this run on failure, then remove what is no longer wanted'
  static override examples = ['NITRO_USER=vipctl NITRO_PASSWORD=... <%= config.bin %> apply netscaler -f examples/shop --nitro-url https://10.0.0.5 --yes']
  static override flags = {
    ...sourceFlags,
    ...modelFlags,
    ...nitroFlags,
    ...netscalerFlags,
    ...dryRunFlag('not supported (NITRO has no check-only mode for these changes): a usage error'),
    yes: Flags.boolean({char: 'y', description: 'apply without asking (required without a terminal)'}),
    ...documentOutputFlag(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(ApplyNetscaler)
    const tlsNote = nitroTlsFlagWarning(flags)
    if (tlsNote) this.warn(tlsNote)
    if (flags['dry-run'] === 'server') throw new UsageError('--dry-run=server: apply netscaler cannot check changes on the appliance without making them (NITRO has no check-only mode); use --dry-run=client (the plan, read through NITRO) or diff netscaler')
    const opts = netscalerOptions(flags)
    const client = nitroClient(flags, process.env)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    await client.login()
    try {
      const {plan, desired, diagnostics} = await planAgainstAppliance(compile(snapshot, modelOptions(flags)), opts, client)
      if (flags['dry-run'] === 'client') return this.present(netscalerPlanResult(plan, {applied: 'dry-run'}), flags.output, diagnostics)
      if (plan.changes.length > 0 && !flags.yes) {
        process.stderr.write(terminalText(describeNetscalerPlan(plan), {colour: false}))
        if (!(await confirmChange('Apply this plan?', false, processPromptIO()))) return this.present(netscalerPlanResult(plan, {applied: 'declined'}), flags.output, diagnostics)
      }
      const outcome = await applyNetscaler(client, plan, desired.files, opts.certDir)
      return this.present(netscalerPlanResult(plan, outcome), flags.output, diagnostics)
    } finally {
      await client.logout()
    }
  }
}
