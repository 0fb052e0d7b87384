import {Flags} from '@oclif/core'
import {VipCommand} from '../../src/cli/base.js'
import {sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {migrateNginxSnapshot} from '../../src/migrate/service.js'

export default class MigrateIngressNginx extends VipCommand {
  static override description =
    'Turn the Ingresses of ingress-nginx (class nginx) into Ingresses vipctl serves: every nginx.ingress.kubernetes.io key carried over, approximated, left to a manual step or reported; then every host and path routed both ways, and each request that would go elsewhere reported'
  static override examples = [
    '<%= config.bin %> migrate ingress-nginx -f ./manifests > vipctl-ingresses.yaml',
    '<%= config.bin %> migrate ingress-nginx -A --out ./migrated',
    '<%= config.bin %> migrate ingress-nginx -f ./manifests -o json',
  ]
  static override flags = {
    ...sourceFlags,
    out: Flags.string({description: 'write migrated.yaml, report.txt and report.json here instead of printing'}),
    'no-prompt': Flags.boolean({description: 'never ask (this migrator asks nothing; accepted like the other migrators)'}),
    report: Flags.string({description: 'write the whole report (every finding, then the counts) to FILE; stderr then shows one summary line'}),
    output: Flags.option({char: 'o', options: ['yaml', 'json', 'table'] as const, description: 'yaml (default): Kubernetes documents kubectl applies; json: a MigrateResult (items, report, ledger, differences); table: one row per object (with --out, the default: what was written)'})(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(MigrateIngressNginx)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const {result, stderr} = await migrateNginxSnapshot(snapshot, {out: flags.out, report: flags.report, 'no-prompt': true})
    return this.present(result, flags.output ?? (flags.out ? 'table' : 'yaml'), stderr.diagnostics, stderr.options)
  }
}
