import {Args, Flags} from '@oclif/core'
import {VipCommand} from '../../src/cli/base.js'
import {modelFlags, sourceFlags} from '../../src/cli/flags.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {buildModel} from '../../src/model/build.js'
import {traceIngress, traceRequest, traceResult} from '../../src/check/trace.js'
import {FORMATS, type Format} from '../../src/output/render.js'

export default class CheckTrace extends VipCommand {
  static override description = 'Explain one request hop by hop: route, IngressClass, VIP, TLS, Service, Pods, endpoints (exit 1 when a hop fails)'
  static override examples = [
    '<%= config.bin %> check trace shop.example.com/api/cart -f examples/shop',
    '<%= config.bin %> check trace ingress/storefront -n shop',
  ]
  static override args = {target: Args.string({required: true, description: 'HOST[/PATH], or ingress/NAME'})}
  static override flags = {
    ...sourceFlags,
    ...modelFlags,
    output: Flags.option({char: 'o', options: FORMATS, description: 'output format (default: a tree on a terminal, json otherwise)'})(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(CheckTrace)
    const model = modelOptions(flags)
    const {snapshot, namespace} = await loadSnapshot(sourceOptions(flags), ioFromProcess())
    const lb = buildModel(snapshot, model)
    const ing = /^ingress\/(.+)$/.exec(args.target)
    const traces = ing ? traceIngress(snapshot, lb, namespace, ing[1]!) : [traceRequest(snapshot, lb, args.target)]
    const format: Format = flags.output ?? (process.stdout.isTTY ? 'table' : 'json')
    return this.present(traceResult(traces), format)
  }
}
