import {Flags} from '@oclif/core'
import {compile} from '../../src/model/compile.js'
import {VipCommand} from '../../src/cli/base.js'
import {modelFlags, documentOutputFlag, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {configDirFor, generateHaproxyFiles} from '../../src/generate/haproxy.js'
import {haproxyFlags, haproxyOptions} from '../../src/targets/haproxy/options.js'

export default class GenerateHaproxy extends VipCommand {
  static override description = 'Render haproxy.cfg, route maps and certificates from the cluster or manifests'
  static override examples = [
    '<%= config.bin %> generate haproxy -f examples/shop',
    '<%= config.bin %> generate haproxy -f examples/shop --out /tmp/haproxy            # haproxy -c -f /tmp/haproxy/haproxy.cfg works',
    '<%= config.bin %> generate haproxy -f examples/shop --out ./staging --config-dir /etc/haproxy/vipctl   # files that will live elsewhere',
  ]
  static override flags = {
    ...sourceFlags,
    ...modelFlags,
    ...haproxyFlags,
    out: Flags.string({description: 'write the files to this directory (default: print them; key material is never printed); --config-dir defaults to it'}),
    ...documentOutputFlag(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags, metadata} = await this.parse(GenerateHaproxy)
    const configDir = await configDirFor(flags.out, flags['config-dir'], metadata.flags['config-dir']?.setFromDefault === true)
    const opts = haproxyOptions({...flags, 'config-dir': configDir})
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const {result, diagnostics} = await generateHaproxyFiles(compile(snapshot, modelOptions(flags)), opts, flags.out)
    return this.present(result, flags.output, diagnostics)
  }
}
