/** NetScaler target: goldens (ns.conf batch + NITRO), names NetScaler accepts, dependency order, the same bytes twice, no key material printed. */
import {compile, secretLookup} from '../../src/model/compile.js'
import assert from 'node:assert/strict'
import {Chalk} from 'chalk'
import {loadOffline} from '../../src/cluster/offline.js'
import {generateNetscalerFiles, netscalerOptions} from '../../src/generate/netscaler.js'
import {buildModel} from '../../src/model/build.js'
import {render} from '../../src/output/render.js'
import {generateNetscaler, nsHash, renderBatch, renderNitro, toCli, type NsEntity} from '../../src/targets/netscaler/generate.js'
import {assertGolden} from '../helpers/golden.js'
import {HAPROXY_CASES, L7_CASES, manyRoutes} from './haproxy.test.js'

const noStdin = {readStdin: async () => ''}
const plain = {chalk: new Chalk({level: 0})}
const OPTS = {prefix: 'k8s', certDir: '/nsconfig/ssl'}
const caseName = (input: string) => input.replace(/^.*\//, '').replace(/\.yaml$/, '')

describe('NetScaler target', () => {
  for (const input of [...HAPROXY_CASES, ...L7_CASES]) {
    it(`renders ${input} as in the golden files (ns.conf batch and NITRO)`, async () => {
      const snap = await loadOffline({filenames: [input], strict: false}, noStdin)
      const {result, diagnostics} = await generateNetscalerFiles(compile(snap, {}), OPTS, undefined)
      const text = render(result, 'table', plain)
      assert.doesNotMatch(text, /PRIVATE KEY/)
      const files = result.data.files
      const diag = diagnostics.map((d) => `# ${d.severity} ${d.code} ${d.object} ${d.field ?? ''}: ${d.message}`).join('\n')
      assertGolden(`netscaler/${caseName(input)}.conf`, `${diag ? `${diag}\n` : ''}${files.find((f) => f.path === 'ns.conf')!.content}`)
      assertGolden(`netscaler/${caseName(input)}.nitro.json`, files.find((f) => f.path === 'nitro.json')!.content!)
    })
  }

  it('same model, same bytes', async () => {
    const snap = await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin)
    const a = generateNetscaler(buildModel(snap, {}), secretLookup(snap), OPTS)
    const b = generateNetscaler(buildModel(snap, {}), secretLookup(snap), OPTS)
    assert.equal(renderBatch(a), renderBatch(b))
    assert.equal(renderNitro(a), renderNitro(b))
  })

  it('creates every entity before anything binds or references it', async () => {
    const snap = await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin)
    const cfg = generateNetscaler(buildModel(snap, {}), secretLookup(snap), OPTS)
    const made = new Set<string>()
    const need = (n: string, e: NsEntity) => assert.ok(made.has(n), `${toCli(e)} references ${n} before it exists`)
    for (const e of cfg.entities) {
      switch (e.type) {
        case 'servicegroup_servicegroupmember_binding': need(e.servicegroupname, e); break
        case 'servicegroup_lbmonitor_binding': need(e.servicegroupname, e); need(e.monitor_name, e); break
        case 'lbvserver_servicegroup_binding': need(e.name, e); need(e.servicegroupname, e); break
        case 'csaction': need(e.targetlbvserver, e); break
        case 'cspolicy': need(e.action, e); break
        case 'csvserver_cspolicy_binding': need(e.name, e); need(e.policyname, e); break
        case 'csvserver_lbvserver_binding': need(e.name, e); need(e.lbvserver, e); break
        case 'sslvserver_sslcertkey_binding': need(e.vservername, e); need(e.certkeyname, e); break
        case 'responderpolicy': need(e.action, e); break
        case 'csvserver_responderpolicy_binding': need(e.name, e); need(e.policyname, e); break
      }
      const n = 'name' in e ? e.name : 'monitorname' in e ? e.monitorname : 'certkey' in e ? e.certkey : 'policyname' in e ? e.policyname : undefined
      if (n && !e.type.includes('_binding')) made.add(n)
    }
  })

  it('names follow NetScaler\'s controller and its limits; priorities are explicit and unique per vserver', () => {
    const cfg = generateNetscaler(buildModel(manyRoutes(1000), {}), () => undefined, OPTS)
    const names = cfg.entities.flatMap((e) => Object.entries(e).filter(([k]) => ['name', 'policyname', 'monitorname', 'servicegroupname', 'certkey'].includes(k)).map(([, v]) => String(v)))
    for (const n of names) assert.match(n, /^[A-Za-z0-9_][A-Za-z0-9_#.:@=-]{0,126}$/)
    assert.ok(names.some((n) => /^k8s-svc-0_80_lbv_[a-z2-7]{32}$/.test(n)))
    assert.ok(names.some((n) => n === 'k8s-192.0.2.99_80_http'))
    const prios = cfg.entities.filter((e) => e.type === 'csvserver_cspolicy_binding').map((e) => (e as {priority: number}).priority)
    assert.equal(prios.length, 1000)
    assert.equal(new Set(prios).size, 1000)
    for (const e of cfg.entities) if (e.type === 'cspolicy') assert.ok(e.rule.length <= 1499)
    assert.match(nsHash('a', 'b', 80), /^[a-z2-7]{32}$/)
  })

  it('every lbvserver and serviceGroup carries its Kubernetes provenance in -comment', async () => {
    const snap = await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin)
    const batch = renderBatch(generateNetscaler(buildModel(snap, {}), secretLookup(snap), OPTS))
    const lines = batch.split('\n').filter((l) => /^add (serviceGroup|lb vserver) /.test(l))
    assert.ok(lines.length > 10)
    for (const l of lines) assert.match(l, / -comment "(ing:[a-z0-9-]+,ingport:\d+,ns:[a-z0-9-]+,svc:[a-z0-9-]+,svcport:\d+|lbsvc:[a-z0-9-]+,svcport:\d+,ns:[a-z0-9-]+)"$/)
  })

  it('--prefix and --appliance-cert-dir are checked', () => {
    assert.throws(() => netscalerOptions({prefix: 'K8S prod', 'appliance-cert-dir': '/nsconfig/ssl'}), /--prefix/)
    assert.throws(() => netscalerOptions({prefix: 'k8s', 'appliance-cert-dir': 'relative"; rm'}), /--appliance-cert-dir/)
    assert.deepEqual(netscalerOptions({prefix: 'prod-1', 'appliance-cert-dir': '/nsconfig/ssl/'}), {prefix: 'prod-1', certDir: '/nsconfig/ssl'})
  })
})
