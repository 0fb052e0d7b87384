import {Flags} from '@oclif/core'
import {VipCommand} from '../../src/cli/base.js'
import {modelFlags, outputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {generateHaproxyFiles} from '../../src/generate/haproxy.js'
import {haproxyFlags, haproxyOptions} from '../../src/targets/haproxy/options.js'

export default class GenerateHaproxy extends VipCommand {
  static override description = 'Render haproxy.cfg, route maps and certificates from the cluster or manifests'
  static override examples = [
    '<%= config.bin %> generate haproxy -f examples/shop',
    '<%= config.bin %> generate haproxy -f examples/shop --out /tmp/haproxy --config-dir /tmp/haproxy',
  ]
  static override flags = {
    ...sourceFlags,
    ...modelFlags,
    ...haproxyFlags,
    out: Flags.string({description: 'write the files to this directory (default: print them; key material is never printed)'}),
    ...outputFlag(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(GenerateHaproxy)
    const opts = haproxyOptions(flags)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const {result, diagnostics} = await generateHaproxyFiles(snapshot, modelOptions(flags), opts, flags.out)
    return this.present(result, flags.output, diagnostics)
  }
}
