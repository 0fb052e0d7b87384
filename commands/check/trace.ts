import {Args, Flags} from '@oclif/core'
import {VipCommand} from '../../src/cli/base.js'
import {documentOutputFlag, modelFlags, sourceFlags} from '../../src/cli/flags.js'
import {lazy} from '../../src/cli/lazy.js'
import {addressOption, ioFromProcess, modelOptions, requestOptions, sourceOptions} from '../../src/cli/options.js'
import {loadSnapshot} from '../../src/cluster/source.js'
import {vipFlags} from '../../src/apply/vip/flags.js'
import {haproxyFlags, haproxyOptions, haproxyTarget, haproxyTargetFlags} from '../../src/targets/haproxy/options.js'

/** What a trace runs once the snapshot is in (the model, the tracer, the proxy and VIP readers): imported when it runs (src/cli/lazy.ts). */
const runtime = () =>
  Promise.all([
    import('../../src/model/compile.js'),
    import('../../src/check/trace.js'),
    import('../../src/check/proxy.js'),
    import('../../src/apply/haproxy/service.js'),
    import('../../src/apply/vip/service.js'),
    import('../../src/apply/vip/apply.js'),
  ])

export default class CheckTrace extends VipCommand {
  static override description = 'Explain one request hop by hop: route, IngressClass, VIP, TLS, Service, Pods, endpoints (exit 1 when a hop fails)'
  static override examples = [
    '<%= config.bin %> check trace shop.example.com/api/cart -f examples/shop',
    '<%= config.bin %> check trace ingress/storefront -n shop',
    '<%= config.bin %> check trace gw.shop.example.com/api -H "x-canary: always" -f examples/shop -f examples/gateway',
  ]
  static override args = {target: Args.string({required: true, description: 'HOST[/PATH[?QUERY]], or ingress/NAME'})}
  static override flags = {
    ...sourceFlags,
    ...modelFlags,
    ...haproxyFlags,
    ...haproxyTargetFlags,
    ...vipFlags,
    'vip-rules': Flags.boolean({description: 'follow the request into this node\'s VIP rules (implied by --netns)'}),
    address: Flags.string({description: 'trace the request on this VIP (default: the VIP whose rules match the host most specifically)'}),
    source: Flags.string({description: 'the client\'s address, for routes with source ranges (vipctl.io/allow-source-ranges, deny-source-ranges)'}),
    method: Flags.string({description: 'the request method, for routes that match on it (default GET)'}),
    header: Flags.string({char: 'H', multiple: true, multipleNonGreedy: true, description: 'a request header "Name: value", for routes that match on headers; repeatable'}),
    sni: Flags.string({description: 'the TLS server name the client sent (HTTPS; default: the host), for Gateway listeners that answer 421 to a Host of another listener'}),
    ...documentOutputFlag('output format: table (the hop-by-hop tree, on a terminal or not, as every other command), json or yaml'),
  }

  async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(CheckTrace)
    const model = modelOptions(flags)
    const load = lazy(runtime)
    const {snapshot, namespace} = await loadSnapshot(sourceOptions(flags), {...ioFromProcess(), meanwhile: load})
    const [{compile}, {ingressTarget, traceIngress, traceRequest, traceResult}, {readProxyState}, {processHaproxyIO}, {processVipIO, rulesFor}, {readVipState}] = await load()
    const compiled = compile(snapshot, model)
    const lb = compiled.model
    const ingress = ingressTarget(args.target)
    // Live hops: the node's VIP rules (--netns, --vip-rules) and the running HAProxy (--stats-socket).
    const hopts = haproxyOptions(flags)
    const live = {
      ...(flags.netns || flags['vip-rules']
        ? {vip: {state: await readVipState({netns: flags.netns, mode: flags.mode}, processVipIO()), rules: rulesFor(compiled, hopts, flags.mode).rules, mode: flags.mode, where: flags.netns ? `netns ${flags.netns}` : 'this node'}}
        : {}),
      ...(flags['stats-socket'] ? {proxy: await readProxyState(compiled, hopts, haproxyTarget(flags, hopts), processHaproxyIO())} : {}),
    }
    const address = addressOption(flags.address)
    const source = addressOption(flags.source, '--source')
    const request = requestOptions(flags.method, flags.header)
    const traces = ingress !== undefined ? traceIngress(snapshot, lb, namespace, ingress, live, model) : [traceRequest(snapshot, lb, args.target, new Date(), live, {address, ...(source ? {source} : {}), ...request, ...(flags.sni ? {sni: flags.sni} : {})})]
    return this.present(traceResult(traces), flags.output)
  }
}
