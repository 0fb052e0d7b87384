/**
 * install's images and container arguments: both containers default to the published image (one image,
 * so HAProxy serves what vipctl checked with the same haproxy), --image moves both, --haproxy-image only
 * HAProxy; and the arguments of every vipctl container parse with that command's own flags (an install
 * whose sync rejects its arguments crash-loops on every node).
 */
import assert from 'node:assert/strict'
import {Parser} from '@oclif/core'
import ApplyVip from '../../commands/apply/vip.js'
import GenerateHaproxy from '../../commands/generate/haproxy.js'
import Sync from '../../commands/sync.js'
import {deprecatedAliasWarnings} from '../../src/cli/base.js'
import {runInstall, type InstallFlagValues} from '../../src/install/command.js'
import {ignoredFlagWarnings} from '../../src/targets/haproxy/options.js'
import {IMAGE_REPOSITORY, installObjects, publishedImage, type InstallOptions} from '../../src/install/manifests.js'

const flags: InstallFlagValues = {namespace: 'vipctl-system', 'vip-rules': false, mode: 'bind', 'sync-metrics-address': '127.0.0.1:9842', apply: false, 'dry-run': 'none'}
const podSpec = async (f: Partial<InstallFlagValues>) => {
  const r = (await runInstall({...flags, ...f}, '1.2.3', {}, () => {})) as {data: {items: any[]}}
  return r.data.items.find((o) => o.kind === 'DaemonSet').spec.template.spec
}
const images = (pod: any) => Object.fromEntries([...pod.initContainers, ...pod.containers].map((c: any) => [c.name, c.image]))

describe('install: images', () => {
  it('defaults every container to the published image of this version', async () => {
    assert.equal(publishedImage('1.2.3'), `${IMAGE_REPOSITORY}:1.2.3`)
    assert.equal(IMAGE_REPOSITORY, 'registry.vipctl.io/vipctl')
    assert.deepEqual(images(await podSpec({})), {'first-config': 'registry.vipctl.io/vipctl:1.2.3', haproxy: 'registry.vipctl.io/vipctl:1.2.3', sync: 'registry.vipctl.io/vipctl:1.2.3'})
  })

  it('--image moves both containers; --haproxy-image only HAProxy', async () => {
    const mine = 'registry.example.com:5000/platform/vipctl:1.2.3'
    assert.deepEqual(images(await podSpec({image: mine})), {'first-config': mine, haproxy: mine, sync: mine})
    assert.deepEqual(images(await podSpec({image: mine, 'haproxy-image': 'haproxy:3.0'})), {'first-config': mine, haproxy: 'haproxy:3.0', sync: mine})
    const digest = `${IMAGE_REPOSITORY}@sha256:${'a'.repeat(64)}`
    assert.equal(images(await podSpec({image: digest})).sync, digest)
  })

  it('refuses image references that are not ones, for either flag', async () => {
    for (const bad of ['', 'x y', '-rf', 'img\nname', 'a'.repeat(300)]) {
      await assert.rejects(podSpec({image: bad}), /--image .*not an image reference/)
      await assert.rejects(podSpec({'haproxy-image': bad}), /--haproxy-image .*not an image reference/)
    }
  })
})

describe('install: container arguments', () => {
  /**
   * Parses a container's arguments with the command's own flags, and fails on any warning the command would print
   * for them: a deprecated alias, a hidden (ignored or deprecated) flag, apply vip's ignored HAProxy flags.
   */
  const parse = async (cmd: {flags?: any; args?: any}, argv: string[]) => {
    const parsed = await Parser.parse(argv, {flags: cmd.flags, args: cmd.args ?? {}, strict: true})
    const warnings = [...deprecatedAliasWarnings(cmd.flags, argv), ...(cmd === ApplyVip ? ignoredFlagWarnings(parsed.flags as any, 'apply vip') : [])]
    for (const [name, def] of Object.entries(cmd.flags as Record<string, {hidden?: boolean; deprecated?: unknown; char?: string}>))
      if ((def.hidden || def.deprecated) && argv.some((w) => w === `--${name}` || w.startsWith(`--${name}=`) || (def.char !== undefined && w === `-${def.char}`)))
        warnings.push(`--${name} is hidden or deprecated`)
    assert.deepEqual(warnings, [], argv.join(' '))
    return parsed
  }
  const base: InstallOptions = {namespace: 'vipctl-system', image: 'i', haproxyImage: 'i', secretNamespaces: [], vipRules: false, vipMode: 'bind', syncMetrics: {host: '127.0.0.1', port: 9842}, version: '1.2.3'}
  const cases: Array<[string, Partial<InstallOptions>]> = [
    ['', {}],
    [' (--vip-rules)', {vipRules: true}],
    [' (--vip-rules --mode dnat --listen-address 10.0.0.5)', {vipRules: true, vipMode: 'dnat', listenAddress: '10.0.0.5'}],
    [' (--vip-rules --vip-allow 192.0.2.0/24,2001:db8::/64)', {vipRules: true, vipAllow: '192.0.2.0/24,2001:db8::/64'}],
  ]
  for (const [label, o] of cases)
    it(`every vipctl container's arguments parse with that command's own flags${label}`, async () => {
      const ds = installObjects({...base, ...o}).find((x) => x.kind === 'DaemonSet') as any
      const pod = ds.spec.template.spec
      const init = pod.initContainers.find((c: any) => c.name === 'first-config').args
      assert.deepEqual(init.slice(0, 2), ['generate', 'haproxy'])
      const gen = await parse(GenerateHaproxy, init.slice(2))
      assert.equal((gen.flags as any)['listen-address'], o.listenAddress)
      assert.equal((gen.flags as any)['vip-allow'], o.vipAllow)
      const vip = pod.initContainers.find((c: any) => c.name === 'vip-rules')
      assert.equal(Boolean(vip), Boolean(o.vipRules))
      if (vip) {
        assert.deepEqual(vip.args.slice(0, 2), ['apply', 'vip'])
        const a = await parse(ApplyVip, vip.args.slice(2))
        assert.equal((a.flags as any).mode, o.vipMode ?? 'bind')
        assert.equal((a.flags as any).yes, true) // no terminal in a Pod
        assert.equal((a.flags as any)['listen-address'], o.listenAddress)
        assert.equal((a.flags as any)['vip-allow'], o.vipAllow)
      }
      const sync = pod.containers.find((c: any) => c.name === 'sync')
      assert.equal(sync.args[0], 'sync')
      const parsed = await parse(Sync, sync.args.slice(1))
      // The probes ask sync where its metrics listener is.
      const probe = sync.readinessProbe.httpGet
      assert.equal((parsed.flags as any)['sync-metrics-address'], `${probe.host}:${probe.port}`)
      assert.equal(Boolean((parsed.flags as any)['vip-rules']), Boolean(o.vipRules))
      assert.equal((parsed.flags as any)['listen-address'], o.listenAddress)
      assert.equal((parsed.flags as any)['vip-allow'], o.vipAllow)
      // HAProxy's command: the config file the init container writes, the master socket sync talks to.
      const hap = pod.containers.find((c: any) => c.name === 'haproxy').command
      assert.equal(hap[hap.indexOf('-f') + 1], `${(parsed.flags as any)['config-dir']}/haproxy.cfg`)
      assert.ok(hap[hap.indexOf('-S') + 1].startsWith(`${(parsed.flags as any)['run-dir']}/master.sock`))
    })

  it('runs as the non-root user 65532; with --vip-rules as root, each container holding only its own capability', () => {
    const pod = (o: Partial<InstallOptions>) => (installObjects({...base, ...o}).find((x) => x.kind === 'DaemonSet') as any).spec.template.spec
    assert.deepEqual(pod({}).securityContext, {runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532})
    const v = pod({vipRules: true})
    assert.deepEqual(v.securityContext, {runAsUser: 0, runAsGroup: 0})
    const caps = Object.fromEntries([...v.initContainers, ...v.containers].map((c: any) => [c.name, [c.securityContext.allowPrivilegeEscalation, c.securityContext.capabilities.drop, c.securityContext.capabilities.add ?? []]]))
    assert.deepEqual(caps, {'first-config': [false, ['ALL'], []], 'vip-rules': [false, ['ALL'], ['NET_ADMIN']], haproxy: [false, ['ALL'], ['NET_BIND_SERVICE']], sync: [false, ['ALL'], ['NET_ADMIN', 'NET_BIND_SERVICE']]})
  })

  it('every container that runs haproxy keeps NET_BIND_SERVICE in its bounding set (the image\'s haproxy has it as a file capability), in every mode', () => {
    // Which vipctl commands run `haproxy -c`: sync (before each reload) and apply haproxy; generate and apply vip never do.
    const runsHaproxy = (c: any) => c.command?.[0] === 'haproxy' || ['sync', 'apply haproxy'].includes((c.args ?? []).slice(0, c.args?.[0] === 'apply' ? 2 : 1).join(' '))
    for (const o of [{}, {vipRules: true}, {vipRules: true, vipMode: 'dnat' as const, listenAddress: '10.0.0.5'}]) {
      const pod = (installObjects({...base, ...o}).find((x) => x.kind === 'DaemonSet') as any).spec.template.spec
      const all = [...pod.initContainers, ...pod.containers]
      assert.deepEqual(all.filter(runsHaproxy).map((c: any) => c.name), ['haproxy', 'sync'])
      for (const c of all.filter(runsHaproxy)) assert.ok(c.securityContext.capabilities.add.includes('NET_BIND_SERVICE'), `${c.name} ${JSON.stringify(o)}`)
    }
  })

  it('--mode dnat needs --listen-address, which is for dnat only and must be an IP address', () => {
    assert.throws(() => installObjects({...base, vipRules: true, vipMode: 'dnat'}), /--vip-rules --mode dnat needs --listen-address/)
    assert.throws(() => installObjects({...base, vipRules: true, listenAddress: '10.0.0.5'}), /--listen-address is for --vip-rules --mode dnat only/)
    assert.throws(() => installObjects({...base, listenAddress: '10.0.0.5'}), /--listen-address is for --vip-rules --mode dnat only/)
    for (const bad of ['node-1', '10.0.0.500', 'fe80::1%eth0', ''])
      assert.throws(() => installObjects({...base, vipRules: true, vipMode: 'dnat', listenAddress: bad}), /--listen-address .*expected an IP address/)
    // What sync would refuse at run time is refused here, not in a crash-looping Pod.
    for (const bad of ['0.0.0.0', '::', '224.0.0.1', '169.254.0.5'])
      assert.throws(() => installObjects({...base, vipRules: true, vipMode: 'dnat', listenAddress: bad}), /--listen-address .*not a unicast address/)
    assert.throws(() => installObjects({...base, vipAllow: '192.0.2.0/24,nope'}), /--vip-allow "nope": expected CIDRs/)
  })
})
