import {Flags} from '@oclif/core'
import {compile} from '../../src/model/compile.js'
import {VipCommand} from '../../src/cli/base.js'
import {modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {generateNetscalerFiles, netscalerFlags, netscalerOptions} from '../../src/generate/netscaler.js'

export default class GenerateNetscaler extends VipCommand {
  static override description = 'Render the same model for NetScaler: an ns.conf batch in dependency order and the NITRO requests, named as NetScaler\'s ingress controller names them'
  static override examples = ['<%= config.bin %> generate netscaler -f examples/shop', '<%= config.bin %> generate netscaler -f examples/shop --prefix prod --out /tmp/ns']
  static override flags = {
    ...sourceFlags,
    ...modelFlags,
    ...netscalerFlags,
    out: Flags.string({description: 'write ns.conf, nitro.json and ssl/ here (default: print them; key material is never printed)'}),
    ...documentOutputFlag(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(GenerateNetscaler)
    const opts = netscalerOptions(flags)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const {result, diagnostics} = await generateNetscalerFiles(compile(snapshot, modelOptions(flags)), opts, flags.out)
    return this.present(result, flags.output, diagnostics)
  }
}
