/**
 * The shortcuts that make a large render fast give the answers the plain code gave: the IPv4 reader agrees with
 * node's isIPv4, the decision sort with compareDecisions, the Pod and workload indexes with a scan of the snapshot,
 * VIP owners are sorted and unique, and the render's token memo still refuses what the grammar refuses.
 */
import assert from 'node:assert/strict'
import {isIPv4} from 'node:net'
import {emptySnapshot, type Pod, type Service, type Snapshot, type Workload} from '../../src/cluster/types.js'
import {buildModel} from '../../src/model/build.js'
import {canonicalIp, dottedIpv4, ipSortKey, ipv4ToInt, isUnicast} from '../../src/model/ip.js'
import {compareDecisions, sortDecisions} from '../../src/model/routing.js'
import {line, renderSections, type Section} from '../../src/targets/haproxy/syntax.js'

/** A small deterministic generator (no test depends on Math.random). */
function rng(seed: number): () => number {
  let x = seed
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return x / 4294967296
  }
}

describe('render at scale: shortcuts give the plain answers', () => {
  it('dottedIpv4 accepts exactly what isIPv4 accepts, with ipv4ToInt\'s value', () => {
    const fixed = ['0.0.0.0', '255.255.255.255', '1.2.3.4', '01.2.3.4', '1.2.3.04', '256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4\n', '1.2.3.-4', '１.2.3.4', '1.2.3.4%eth0', '::ffff:1.2.3.4', '1000.2.3.4', '00.0.0.0', '0.0.0.00', '9.99.199.249', '250.251.252.253', '249.0.0.1', '', '1.2.3.a']
    const next = rng(7)
    const alphabet = '0123456789..:%a '
    const random = Array.from({length: 20_000}, () => Array.from({length: 1 + Math.floor(next() * 16)}, () => alphabet[Math.floor(next() * alphabet.length)]).join(''))
    // Random dotted quads, leading zeros and out-of-range octets included.
    const quads = Array.from({length: 20_000}, () => Array.from({length: 4}, () => (next() < 0.1 ? '0' : '') + String(Math.floor(next() * 300))).join('.'))
    let accepted = 0
    for (const s of [...fixed, ...random, ...quads]) {
      const n = dottedIpv4(s)
      assert.equal(n >= 0, isIPv4(s), JSON.stringify(s))
      if (n >= 0) {
        accepted++
        assert.equal(n, ipv4ToInt(s), s)
      }
    }
    assert.ok(accepted > 5_000, `${accepted} accepted: the corpus must hold many addresses`)
  })

  it('isUnicast, canonicalIp and ipSortKey answer as before on IPv4 and IPv6', () => {
    const cases: Array<[string, boolean, string | undefined]> = [
      ['10.0.0.1', true, '10.0.0.1'],
      ['0.1.2.3', false, '0.1.2.3'],
      ['224.0.0.1', false, '224.0.0.1'],
      ['239.255.255.255', false, '239.255.255.255'],
      ['240.0.0.1', true, '240.0.0.1'],
      ['255.255.255.255', false, '255.255.255.255'],
      ['01.2.3.4', false, undefined],
      ['256.1.1.1', false, undefined],
      ['1.2.3.4%eth0', false, undefined],
      ['::ffff:10.0.0.1', true, '10.0.0.1'],
      ['2001:DB8::1', true, '2001:db8::1'],
      ['fe80::1', false, 'fe80::1'],
    ]
    for (const [ip, unicast, canonical] of cases) {
      assert.equal(isUnicast(ip), unicast, `isUnicast ${ip}`)
      assert.equal(canonicalIp(ip), canonical, `canonicalIp ${ip}`)
    }
    const sorted = ['2001:db8::1', '10.0.0.10', '9.255.255.255', '10.0.0.9', 'not-an-ip', '::1'].sort((a, b) => (ipSortKey(a) < ipSortKey(b) ? -1 : 1))
    assert.deepEqual(sorted, ['9.255.255.255', '10.0.0.9', '10.0.0.10', '::1', '2001:db8::1', 'not-an-ip'])
  })

  it('sortDecisions orders as sort(compareDecisions), ties and conditions included', () => {
    const next = rng(11)
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!
    const decisions = Array.from({length: 3000}, (_, i) => {
      const n = Math.floor(next() * 3)
      const conditions = next() < 0.4 ? {method: next() < 0.5 ? 'GET' : undefined, headers: Array.from({length: n}, () => ({name: pick(['x-a', 'x-b']), value: pick(['1', '2'])})), query: next() < 0.3 ? [{name: 'q', value: pick(['1', '2'])}] : []} : undefined
      return {
        id: i,
        host: pick(['', 'a.example.com', 'b.example.com', '*.example.com', '*.x.example.com', 'example.com']),
        match: {path: pick(['/', '/a', '/b', '/a/b', '/ab']), pathType: pick(['Exact', 'Prefix'] as const)},
        ...(conditions ? {conditions} : {}),
        ...(next() < 0.5 ? {order: Math.floor(next() * 4)} : {}),
      }
    })
    const expected = [...decisions].sort(compareDecisions).map((d) => d.id)
    assert.deepEqual(sortDecisions([...decisions]).map((d) => d.id), expected)
    assert.notDeepEqual(expected, decisions.map((d) => d.id))
  })

  /** Services selecting Pods by two labels, in two namespaces: each pool's health check comes from its own Pods. */
  function podSnapshot(webPath: string): Snapshot {
    const snap = emptySnapshot({kind: 'offline', files: []})
    const pod = (ns: string, name: string, labels: Record<string, string>, path: string): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name, namespace: ns, labels},
      spec: {containers: [{name: 'c', ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path, port: 8080}}}]},
    }) as Pod
    const svc = (ns: string, name: string, selector: Record<string, string>): Service => ({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: ns}, spec: {selector, ports: [{name: 'http', port: 80, targetPort: 8080}]}}) as Service
    snap.pods.push(pod('a', 'web-1', {app: 'x', tier: 'web'}, webPath), pod('a', 'db-1', {app: 'x', tier: 'db'}, '/db'), pod('b', 'web-1', {app: 'x', tier: 'web'}, '/other-namespace'))
    snap.services.push(svc('a', 'web', {app: 'x', tier: 'web'}), svc('a', 'db', {tier: 'db', app: 'x'}), svc('a', 'none', {app: 'x', tier: 'cache'}), svc('b', 'web', {app: 'x', tier: 'web'}))
    const w = (ns: string, name: string, replicas: number): Workload => ({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name, namespace: ns}, replicas, template: {labels: {app: 'x', tier: 'web'}, containers: [{name: 'c', ports: [{containerPort: 8080}]}]}, containersField: 'spec.template.spec.containers'}) as Workload
    snap.workloads.push(w('a', 'web', 3), w('b', 'web', 5))
    for (const [ns, name] of [['a', 'web'], ['a', 'db'], ['a', 'none'], ['b', 'web']] as const)
      snap.ingresses.push({apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name: `${ns}-${name}`, namespace: ns, annotations: {'vipctl.io/vip': '192.0.2.1'}}, spec: {ingressClassName: 'vipctl', rules: [{host: `${name}.${ns}.example.com`, http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name, port: {number: 80}}}}]}}]}} as Snapshot['ingresses'][number])
    return snap
  }

  it('each pool\'s Pods and workloads are those of its own namespace and selector, and nothing carries over between builds', () => {
    const check = (m: ReturnType<typeof buildModel>, webPath: string) => {
      const pool = (id: string) => m.pools.find((p) => p.id === id)!
      const path = (id: string) => {
        const mon = pool(id).monitor
        return mon.kind === 'http' ? mon.path : mon.kind
      }
      assert.equal(path('a/web/80'), webPath)
      assert.equal(path('a/db/80'), '/db')
      assert.equal(path('a/none/80'), 'tcp')
      assert.equal(path('b/web/80'), '/other-namespace')
      assert.deepEqual(pool('a/web/80').expected.map((e) => [e.workload, e.replicas]), [['Deployment/a/web', 3]])
      assert.deepEqual(pool('b/web/80').expected.map((e) => [e.workload, e.replicas]), [['Deployment/b/web', 5]])
      assert.deepEqual(pool('a/db/80').expected, [])
    }
    check(buildModel(podSnapshot('/web')), '/web')
    // A second build (another snapshot) sees its own Pods: no index outlives the build that made it.
    check(buildModel(podSnapshot('/web-v2')), '/web-v2')
  })

  it('a VIP shared by many objects lists each owner once, sorted', () => {
    const snap = emptySnapshot({kind: 'offline', files: []})
    snap.services.push({apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: 'n'}, spec: {ports: [{name: 'http', port: 80}]}} as Service)
    const names = Array.from({length: 40}, (_, i) => `ing-${(i * 17) % 40}`)
    for (const name of names)
      snap.ingresses.push({apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name, namespace: 'n', annotations: {'vipctl.io/vip': '192.0.2.7'}}, spec: {ingressClassName: 'vipctl', rules: [{host: `${name}.example.com`, http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]}} as Snapshot['ingresses'][number])
    const m = buildModel(snap)
    assert.equal(m.vips.length, 1)
    const want = names.map((n) => `Ingress/n/${n}`).sort()
    assert.deepEqual(m.vips[0]!.owners, want)
    assert.equal(new Set(m.vips[0]!.owners).size, 40)
  })

  it('the render checks every token, however often a value repeats, and writes IPv6 servers in brackets', () => {
    const backend = (name: string, servers: Array<{name: string; address: string; port: number}>): Section => ({kind: 'backend', name, lines: [line('mode', 'http')], servers: {list: servers.map((s) => ({...s, disabled: false})), options: ['check'], resolved: false}})
    const text = renderSections([backend('b1', [{name: 'SRV_1', address: '10.0.0.1', port: 80}, {name: 'SRV_2', address: '2001:db8::1', port: 80}]), backend('b2', [{name: 'SRV_1', address: '10.0.0.2', port: 8080}])])
    assert.equal(text, 'backend b1\n    mode http\n    server SRV_1 10.0.0.1:80 check\n    server SRV_2 [2001:db8::1]:80 check\n\nbackend b2\n    mode http\n    server SRV_1 10.0.0.2:8080 check\n')
    // A slot name or an address outside the grammar is refused, after the same value was fine elsewhere.
    assert.throws(() => renderSections([backend('b1', [{name: 'SRV_1', address: '10.0.0.1', port: 80}, {name: 'SRV 2', address: '10.0.0.2', port: 80}])]), /unsafe HAProxy token/)
    assert.throws(() => renderSections([backend('b1', [{name: 'SRV_1', address: '10.0.0.1 #', port: 80}])]), /unsafe HAProxy token/)
    assert.throws(() => renderSections([backend('b1', []), {kind: 'backend', name: 'b2', lines: [line('Mode', 'http')]}]), /unsafe keyword/)
    assert.throws(() => renderSections([backend('b1', []), {kind: 'backend', name: 'b2', lines: [line('mode', 'http x')]}]), /unsafe HAProxy token/)
  })
})
