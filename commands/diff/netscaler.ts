import {VipCommand} from '../../src/cli/base.js'
import {compile} from '../../src/model/compile.js'
import {modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {netscalerFlags, netscalerOptions} from '../../src/generate/netscaler.js'
import {netscalerPlanResult, nitroFlags, planAgainstAppliance, nitroTlsFlagWarning} from '../../src/apply/netscaler/service.js'
import {nitroClient} from '../../src/core/nitro.js'

export default class DiffNetscaler extends VipCommand {
  static override description = 'What apply netscaler would change on the appliance, read through NITRO (exit 2 when something would)'
  static override examples = ['NITRO_USER=vipctl NITRO_PASSWORD=... <%= config.bin %> diff netscaler -f examples/shop --nitro-url https://10.0.0.5']
  static override flags = {
    ...sourceFlags,
    ...modelFlags,
    ...nitroFlags,
    ...netscalerFlags,
    ...documentOutputFlag(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(DiffNetscaler)
    const tlsNote = nitroTlsFlagWarning(flags)
    if (tlsNote) this.warn(tlsNote)
    const opts = netscalerOptions(flags)
    const client = nitroClient(flags, process.env)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    await client.login()
    try {
      const {plan, diagnostics} = await planAgainstAppliance(compile(snapshot, modelOptions(flags)), opts, client)
      return this.present(netscalerPlanResult(plan), flags.output, diagnostics)
    } finally {
      await client.logout()
    }
  }
}
