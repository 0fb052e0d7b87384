import {Flags} from '@oclif/core'
import {UsageError} from '../src/errors.js'
import {VipCommand} from '../src/cli/base.js'
import {clientFlags, dryRunFlag} from '../src/cli/flags.js'
import {installFlags, installTalksToCluster, runInstall} from '../src/install/command.js'

export default class Install extends VipCommand {
  static override description = 'The per-node deployment: DaemonSet (HAProxy + vipctl sync), ServiceAccount, least-privilege RBAC, IngressClass; print it, apply it (server-side apply) or diff it'
  static override examples = [
    '<%= config.bin %> install -o yaml > vipctl.yaml',
    '<%= config.bin %> install --dry-run=server           # what would change in the cluster (exit 2 if anything)',
    '<%= config.bin %> install --apply                    # the published image, registry.vipctl.io/vipctl:<version>',
    '<%= config.bin %> install --apply --image registry.example.com/platform/vipctl:0.1.0 --secret-namespaces shop,web',
  ]
  static override flags = {
    ...installFlags,
    ...dryRunFlag('server-side apply with dryRun=All, shown as the difference against the cluster (exit 2 when something would change); implies --apply'),
    ...clientFlags,
    output: Flags.option({char: 'o', options: ['yaml', 'json', 'table'] as const, description: 'yaml (default without --apply): Kubernetes documents kubectl applies; json: a v1 List; table: one row per object (default with --apply: what changed)'})(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Install)
    // `install --apply --dry-run` was the server-side diff (exit 2 on drift); a bare --dry-run is client now. Refused
    // with --apply, so a drift check in a pipeline fails loudly instead of passing without asking the cluster.
    if (this.bareDryRun && flags.apply)
      throw new UsageError('install --apply --dry-run: say --dry-run=server (the difference against the cluster, exit 2 when something would change) or --dry-run=client (the objects, nothing sent)')
    const r = await runInstall(flags, this.config.version, process.env, (l) => void process.stderr.write(`${l}\n`))
    return this.present(r, flags.output ?? (installTalksToCluster(flags) ? 'table' : 'yaml'))
  }
}
