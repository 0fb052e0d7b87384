/**
 * Routing cases (test/fixtures/cases): conflicts decided oldest first, and TCP
 * and UDP on one VIP and port number as two frontends, with every target
 * saying what it cannot serve.
 */
import {compile, secretLookup} from '../../src/model/compile.js'
import assert from 'node:assert/strict'
import {loadOffline, parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {buildModel, claimOrder} from '../../src/model/build.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {generateNetscaler, poolNames, renderBatch} from '../../src/targets/netscaler/generate.js'
import type {Pool} from '../../src/model/types.js'
import {vipRules} from '../../src/targets/nftables/generate.js'
import type {Diagnostic, Ingress} from '../../src/cluster/types.js'
import {haproxyRoute} from '../helpers/routing.js'

const noStdin = {readStdin: async () => ''}
const OPTS = {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}
const load = (f: string) => loadOffline({filenames: [`test/fixtures/cases/${f}`], strict: false}, noStdin)

/** A snapshot from manifest text, as offline input reads it. */
function fromText(text: string): Snapshot {
  const snap = emptySnapshot({kind: 'offline', files: ['m.yaml']})
  parseInto(snap, text, 'm.yaml')
  return sortSnapshot(snap)
}

describe('routing cases', () => {
  it('conflict-oldest-wins: the oldest Ingress keeps a host/path; the finding sits on the newcomer and names the winner', async () => {
    const snap = await load('conflict-oldest-wins/manifests.yaml')
    const {config, diagnostics} = renderHaproxy(compile(snap, {}), OPTS)
    const clash = diagnostics.filter((d) => d.code === 'VIP2010')
    assert.deepEqual(clash.map((d) => d.object), ['Ingress/aaa/intruder'])
    assert.match(clash[0]!.message, /Ingress\/team-b\/z-old/)
    const files = new Map(config.files.map((f) => [f.path, f.content]))
    const be = new Map([...config.backends].map(([id, name]) => [name, id.split('/')[1]!]))
    const fe = [...config.listeners.keys()].find((k) => k.startsWith('http_'))!
    const want: Array<[string, string]> = [
      ['/', 'site'], ['/home', 'site'], ['/api/1/route1', 'api'], ['/api/1/route1/x', 'api'], ['/api/1/route2', 'site'],
      ['/bar', 'bar-exact'], ['/bar/', 'bar-prefix'], ['/bar/x', 'bar-prefix'], ['/dup', 'dup-old'], ['/dup/x', 'dup-old'],
    ]
    for (const [p, svc] of want) assert.equal(haproxyRoute(files, be, fe, undefined, 'shop.example.test', p), svc, p)
  })

  it('claim order: creationTimestamp first, objects without one after, then namespace/name', () => {
    const ing = (ns: string, name: string, t?: string) => ({kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata: {namespace: ns, name, ...(t ? {creationTimestamp: t} : {})}, spec: {}}) as Ingress
    const order = claimOrder([ing('a', 'x'), ing('z', 'old', '2020-01-01T00:00:00Z'), ing('b', 'y', 'garbage'), ing('a', 'new', '2026-01-01T00:00:00Z'), ing('a', 'w')])
    assert.deepEqual(order.map((o) => `${o.metadata.namespace}/${o.metadata.name}`), ['z/old', 'a/new', 'a/w', 'a/x', 'b/y'])
  })

  it('mixed-protocol-vip: TCP and UDP on one VIP:port are two frontends, no conflict; UDP is VIP3001 where a target cannot serve it', async () => {
    const snap = await load('mixed-protocol-vip/manifests.yaml')
    const model = buildModel(snap, {})
    assert.deepEqual(model.diagnostics.filter((d) => d.code === 'VIP2007'), [])
    assert.deepEqual(model.frontends.map((f) => `${f.protocol} ${f.address}:${f.port}`), ['tcp 192.0.2.90:53', 'udp 192.0.2.90:53', 'tcp 192.0.2.91:514', 'udp 192.0.2.91:514'])
    const udp = model.frontends.filter((f) => f.protocol === 'udp')
    for (const f of udp) assert.match(f.defaultPool!, /\/UDP$/)
    assert.notEqual(model.frontends[0]!.defaultPool, model.frontends[1]!.defaultPool)
    const h = renderHaproxy(compile(snap, {}), OPTS)
    const unsupported = (ds: Diagnostic[]) => ds.filter((d) => d.code === 'VIP3001').map((d) => d.message.match(/UDP \S+/)![0]).sort()
    assert.deepEqual(unsupported(h.config.diagnostics), ['UDP 192.0.2.90:53', 'UDP 192.0.2.91:514'])
    assert.match(h.config.files[0]!.content, /frontend tcp_192-0-2-90_53/)
    assert.match(h.config.files[0]!.content, /frontend tcp_192-0-2-91_514/)
    // NetScaler serves UDP: a UDP cs vserver beside the TCP one on each VIP:port, each with its own lb vserver.
    const ns = generateNetscaler(model, secretLookup(snap), {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    assert.deepEqual(unsupported(ns.diagnostics), [])
    const csv = ns.entities.filter((e): e is Extract<typeof e, {type: 'csvserver'}> => e.type === 'csvserver')
    assert.deepEqual(csv.map((e) => `${e.serviceType} ${e.ipv46}:${e.port}`).sort(), ['TCP 192.0.2.90:53', 'TCP 192.0.2.91:514', 'UDP 192.0.2.90:53', 'UDP 192.0.2.91:514'])
    assert.equal(new Set(csv.map((e) => e.name)).size, 4)
    const lbv = ns.entities.filter((e): e is Extract<typeof e, {type: 'lbvserver'}> => e.type === 'lbvserver')
    assert.deepEqual(lbv.map((e) => e.serviceType).sort(), ['TCP', 'TCP', 'UDP', 'UDP'])
    const udpGroups = ns.entities.filter((e) => e.type === 'servicegroup' && e.serviceType === 'UDP').map((e) => (e as {name: string}).name)
    assert.equal(udpGroups.length, 2)
    // Members bound, no monitor of vipctl's (the appliance's ping-default checks them; said as VIP3005).
    for (const g of udpGroups) {
      assert.ok(ns.entities.some((e) => e.type === 'servicegroup_servicegroupmember_binding' && e.servicegroupname === g))
      assert.ok(!ns.entities.some((e) => e.type === 'servicegroup_lbmonitor_binding' && e.servicegroupname === g))
    }
    assert.equal(ns.diagnostics.filter((d) => d.code === 'VIP3005' && /ping-default/.test(d.message)).length, 2)
    const diags: Diagnostic[] = []
    const rules = vipRules(model, 'dnat', h.config.listeners, diags)
    assert.equal(rules.length, 2)
    assert.deepEqual(unsupported(diags), ['UDP 192.0.2.90:53', 'UDP 192.0.2.91:514'])
    assert.equal(vipRules(model, 'bind', h.config.listeners).length, 4)
    // check says it too: never "No problems found" about what a target leaves out.
    const {runChecks} = await import('../../src/check/check.js')
    const found = runChecks(compile(snap, {}), {model: {}, now: new Date('2026-11-29T00:00:00Z'), certWarnDays: 21}, [])
    // (HAProxy's; NetScaler serves them.)
    assert.deepEqual(unsupported(found), ['UDP 192.0.2.90:53', 'UDP 192.0.2.91:514'])
  })
})

describe('an object that cannot be served is still read whole', () => {
  it('without a VIP, an Ingress still gets its backend, path and TLS findings (and a Service its port findings)', async () => {
    const snap = fromText(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: novip, namespace: t}
spec:
  ingressClassName: vipctl
  tls: [{hosts: [a.test], secretName: gone}]
  defaultBackend: {service: {name: nothere, port: {number: 80}}}
  rules: [{host: a.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}, {path: "/x y", pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}]}}]
---
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: t}
spec: {type: LoadBalancer, loadBalancerClass: vipctl.io/lb, ports: [{port: 5000, protocol: SCTP}]}
`)
    const m = buildModel(snap, {})
    const got = m.diagnostics.map((d) => `${d.code} ${d.object} ${d.field ?? ''}`).sort()
    assert.deepEqual(got, [
      'VIP2001 Ingress/t/novip spec.defaultBackend.service.name',
      'VIP2001 Ingress/t/novip spec.rules[0].http.paths[0].backend.service.name',
      'VIP2003 Ingress/t/novip spec.rules[0].http.paths[1].path',
      'VIP2003 Service/t/lb spec.ports[0].protocol',
      'VIP2004 Ingress/t/novip spec.tls[0].secretName',
      'VIP2005 Ingress/t/novip ',
      'VIP2005 Service/t/lb ',
    ])
    assert.deepEqual(m.frontends, [])
  })
})

describe('case externalname-backend', () => {
  it('HAProxy resolves the name itself (resolvers, no resolution at start), TLS to 443; NetScaler uses domain-based servers; check and trace name it', async () => {
    const snap = await load('externalname-backend/manifests.yaml')
    const {config, diagnostics} = renderHaproxy(compile(snap, {}), OPTS)
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), [])
    assert.deepEqual(diagnostics.filter((d) => d.code === 'VIP2016').map((d) => d.object).sort(), ['Service/ext/docs', 'Service/ext/legacy'])
    const cfg = config.files[0]!.content
    assert.match(cfg, /^resolvers vipctl\n {4}parse-resolv-conf$/m)
    assert.match(cfg, /server SRV_1 legacy\.backend\.example\.test:443 resolvers vipctl init-addr none resolve-prefer ipv4 ssl verify required ca-file @system-ca sni str\(legacy\.backend\.example\.test\) verifyhost legacy\.backend\.example\.test check /)
    assert.match(cfg, /server SRV_1 docs\.backend\.example\.test:80 resolvers vipctl init-addr none resolve-prefer ipv4 check /)
    assert.match(cfg, /default_backend ext_legacy_443/)
    // No slots: the runtime planner never points a resolved server elsewhere.
    assert.equal(config.servers.filter((s) => s.backend.startsWith('ext_')).length, 0)
    // NetScaler: a domain-based server per ExternalName, bound as the service group's one member; 443 speaks TLS with SNI.
    const ns = generateNetscaler(buildModel(snap, {}), secretLookup(snap), {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    assert.deepEqual(ns.diagnostics.filter((d) => d.code === 'VIP3001'), [])
    assert.deepEqual(ns.diagnostics.filter((d) => d.code === 'VIP3005').map((d) => d.object).sort(), ['Service/ext/docs', 'Service/ext/legacy'])
    const batch = renderBatch(ns)
    const srv = (svc: string, port: number) => poolNames({namespace: 'ext', service: svc, port} as Pool, 'k8s')
    const legacy = srv('legacy', 443)
    const docs = srv('docs', 80)
    assert.match(batch, new RegExp(`^add serviceGroup ${legacy.sgp} SSL `, 'm'))
    assert.match(batch, new RegExp(`^add server ${legacy.srv} legacy\\.backend\\.example\\.test$`, 'm'))
    assert.match(batch, new RegExp(`^bind serviceGroup ${legacy.sgp} ${legacy.srv} 443$`, 'm'))
    assert.match(batch, new RegExp(`^set ssl serviceGroup ${legacy.sgp} -SNIEnable ENABLED -commonName legacy\\.backend\\.example\\.test$`, 'm'))
    assert.match(batch, new RegExp(`^add lb vserver ${legacy.lbv} HTTP `, 'm'))
    assert.match(batch, new RegExp(`^bind serviceGroup ${docs.sgp} ${docs.srv} 80$`, 'm'))
    assert.match(batch, new RegExp(`^bind cs vserver k8s-192\\.0\\.2\\.80_80_http -lbvserver ${legacy.lbv}$`, 'm'))
    assert.ok(batch.indexOf(`add server ${legacy.srv}`) < batch.indexOf(`bind serviceGroup ${legacy.sgp} ${legacy.srv}`))
    const {traceRequest} = await import('../../src/check/trace.js')
    const t = traceRequest(snap, buildModel(snap, {}), 'ext.example.test/anything')
    assert.equal(t.ok, true)
    assert.match(t.hops.find((h) => h.hop === 'route')!.detail, /default backend of Ingress\/ext\/ext/)
    assert.match(t.hops.find((h) => h.hop === 'service')!.detail, /ExternalName Service ext\/legacy -> legacy\.backend\.example\.test:443/)
  })

  it('an ExternalName that is not a DNS name, or a backend port it cannot know, is a finding and the route is left out', async () => {
    const snap = fromText(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1}}
spec:
  ingressClassName: vipctl
  rules: [{host: a.test, http: {paths: [{path: /a, pathType: Prefix, backend: {service: {name: bad, port: {number: 80}}}}, {path: /b, pathType: Prefix, backend: {service: {name: noport, port: {name: web}}}}]}}]
---
apiVersion: v1
kind: Service
metadata: {name: bad, namespace: t}
spec: {type: ExternalName, externalName: "*.example.test"}
---
apiVersion: v1
kind: Service
metadata: {name: noport, namespace: t}
spec: {type: ExternalName, externalName: ok.example.test}
`)
    const m = buildModel(snap, {})
    assert.deepEqual(m.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.object} ${d.field}`).sort(), [
      'VIP2002 Ingress/t/i spec.rules[0].http.paths[1].backend.service.port',
      'VIP2003 Service/t/bad spec.externalName',
    ])
    assert.deepEqual(m.frontends[0]?.routes ?? [], [])
  })
})
