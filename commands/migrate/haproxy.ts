import {Args, Flags} from '@oclif/core'
import {VipCommand} from '../../src/cli/base.js'
import {processPromptIO} from '../../src/cli/prompt.js'
import {migrateHaproxyFile} from '../../src/migrate/service.js'

export default class MigrateHaproxy extends VipCommand {
  static override description = 'Turn an existing haproxy.cfg into Kubernetes objects (Services, EndpointSlices, Ingresses, TLS Secrets); every line not carried over is reported with its line number'
  static override examples = [
    '<%= config.bin %> migrate haproxy haproxy.cfg -n shop > shop.yaml',
    '<%= config.bin %> migrate haproxy haproxy.cfg --backend-selector be_web=app=web --cert-dir /etc/haproxy/certs --out ./migrated',
  ]
  static override args = {file: Args.string({required: true, description: 'haproxy.cfg'})}
  static override flags = {
    namespace: Flags.string({char: 'n', description: 'namespace of every object made (default: from -comment provenance, else "default"; the file names no cluster context)'}),
    // --selector is a label selector elsewhere (inspect -l): a backend's Pod selector has a name of its own.
    'backend-selector': Flags.string({multiple: true, multipleNonGreedy: true, aliases: ['selector'], deprecateAliases: true, description: 'NAME=k=v[,k=v]: Pod selector for a backend or Service (instead of its members as endpoints)'}),
    'cert-dir': Flags.string({description: 'directory with the PEM files the bind lines name (crt): TLS Secrets are built from them (written with --out only)'}),
    out: Flags.string({description: 'write migrated.yaml, report.txt, report.json and secrets/ (0600) here instead of printing'}),
    report: Flags.string({description: 'write the whole report (every finding, then the counts) to FILE; stderr then shows one summary line'}),
    'no-prompt': Flags.boolean({description: 'never ask, even on a terminal'}),
    output: Flags.option({char: 'o', options: ['yaml', 'json', 'table'] as const, description: 'yaml (default): Kubernetes documents kubectl applies; json: a MigrateResult (items, report, ledger); table: one row per object (with --out, the default: what was written)'})(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(MigrateHaproxy)
    const base = processPromptIO()
    const {result, stderr} = await migrateHaproxyFile(args.file, {...flags, selector: flags['backend-selector']}, {
      prompt: {...base, input: async (message) => (await import('@inquirer/prompts')).input({message})},
    })
    return this.present(result, flags.output ?? (flags.out ? 'table' : 'yaml'), stderr.diagnostics, stderr.options)
  }
}
