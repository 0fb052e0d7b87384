import {Flags} from '@oclif/core'
import {VipCommand} from '../src/cli/base.js'
import {listFlags, modelFlags, outputFlag, sourceFlags} from '../src/cli/flags.js'
import {lazy} from '../src/cli/lazy.js'
import {sortItems} from '../src/output/sort.js'
import type {ListResult} from '../src/output/render.js'
import {ioFromProcess, modelOptions, sourceOptions} from '../src/cli/options.js'
import {loadSnapshot} from '../src/cluster/source.js'
import {vipFlags} from '../src/apply/vip/flags.js'
import {haproxyFlags, haproxyOptions, haproxyTarget, haproxyTargetFlags} from '../src/targets/haproxy/options.js'

/** What check runs once the snapshot is in (the model, the analyzers, the proxy and VIP readers): imported when it runs (src/cli/lazy.ts). */
const runtime = () =>
  Promise.all([
    import('../src/model/compile.js'),
    import('../src/check/check.js'),
    import('../src/check/proxy.js'),
    import('../src/check/vip.js'),
    import('../src/apply/vip/service.js'),
    import('../src/apply/vip/apply.js'),
    import('../src/apply/haproxy/service.js'),
  ])

export default class Check extends VipCommand {
  static override description = 'Check ingress wiring: classes, backends, endpoints, TLS and VIPs, with stable codes (exit 1 when a finding reaches --fail-on)'
  static override examples = ['<%= config.bin %> check -f examples/shop', '<%= config.bin %> check -f manifests/ -o sarif > vipctl.sarif', '<%= config.bin %> check -A -o json --fail-on warning', '<%= config.bin %> check --list-checks', '<%= config.bin %> check --stats-socket /run/vipctl/admin.sock --config-dir /etc/haproxy/vipctl']
  static override flags = {
    ...sourceFlags,
    ...modelFlags,
    'fail-on': Flags.option({options: ['error', 'warning', 'never'] as const, default: 'error', description: 'lowest severity that makes the exit code 1'})(),
    disable: Flags.string({description: 'codes to leave out, comma-separated (e.g. VIP4021,VIP2009)'}),
    'cert-warn-days': Flags.integer({description: 'warn about certificates expiring within this many days', default: 21, min: 0}),
    'list-checks': Flags.boolean({description: 'print the catalog of codes and exit'}),
    ...haproxyFlags,
    ...haproxyTargetFlags,
    ...vipFlags,
    'vip-rules': Flags.boolean({description: 'check the VIP rules and addresses on this node (implied by --netns)'}),
    ...outputFlag('table', ['junit', 'sarif']),
    ...listFlags,
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(Check)
    const list = {noHeaders: flags['no-headers']}
    const sorted = <T>(r: ListResult<T>) => (flags['sort-by'] === undefined ? r : sortItems(r, flags['sort-by']))
    const load = lazy(runtime)
    if (flags['list-checks']) return this.present(sorted((await load())[1].catalogResult()), flags.output, [], list)
    const model = modelOptions(flags)
    const {snapshot} = await loadSnapshot(sourceOptions(flags), {...ioFromProcess(), meanwhile: load})
    const [{compile}, {checkResult, checkSummary, runChecks}, {readProxyState}, {vipFindings}, {processVipIO, rulesFor}, {readVipState}, {processHaproxyIO}] = await load()
    // With --stats-socket, the running HAProxy is checked too (frontends, backends, servers DOWN, stale config).
    const hopts = haproxyOptions(flags)
    // The model is built once; the proxy check, the VIP rules and the analyzers all read it.
    const compiled = compile(snapshot, model)
    const proxy = flags['stats-socket'] ? await readProxyState(compiled, hopts, haproxyTarget(flags, hopts), processHaproxyIO()) : undefined
    // With --netns or --vip-rules, our nftables table and the VIP addresses are checked too.
    const vipTarget = {netns: flags.netns, mode: flags.mode}
    const vip = flags.netns || flags['vip-rules'] ? vipFindings(rulesFor(compiled, hopts, flags.mode).rules, flags.mode, await readVipState(vipTarget, processVipIO()), flags.netns ? `netns ${flags.netns}` : 'this node') : []
    const checkOpts = {model, certWarnDays: flags['cert-warn-days'], now: new Date()}
    const findings = runChecks(compiled, checkOpts, (flags.disable ?? '').split(',').map((s) => s.trim()).filter(Boolean), proxy, vip)
    return this.present(sorted(checkResult(findings, flags['fail-on'], this.config.version, checkSummary(compiled, checkOpts))), flags.output, [], list)
  }
}
