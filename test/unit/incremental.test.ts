/**
 * Sync's endpoint-only patch (src/sync/incremental.ts). The property that makes
 * it safe: after a patch, the runtime commands bring HAProxy to exactly the
 * slots a full render would give, and the files rendered from the patched
 * typed config equal a fresh render of the new snapshot (with the slots HAProxy
 * now runs). Anything else is structural and left to a full reconcile.
 */
import assert from 'node:assert/strict'
import {compile} from '../../src/model/compile.js'
import {slotsFrom, slotCountsFrom} from '../../src/apply/haproxy/apply.js'
import {DEFAULT_HAPROXY_OPTIONS, generateHaproxy, type HaproxyConfig, type HaproxyOptions} from '../../src/targets/haproxy/generate.js'
import {changeMatters, planEndpointPatch, podChangesKeepModel, renderPatchedFiles, type LastReconcile} from '../../src/sync/incremental.js'
import type {ServerState} from '../../src/core/haproxy-runtime.js'
import type {EndpointSlice, Snapshot} from '../../src/cluster/types.js'
import {snapshotOf} from '../helpers/manifests.js'
import {intakeObject} from '../../src/cluster/intake.js'

const OPTS: HaproxyOptions = {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}

const base = (endpoints: string, extra = '') => `apiVersion: v1
kind: Service
metadata: {name: web, namespace: t}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: t}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-a, namespace: t, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: ${endpoints}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: other-a, namespace: t, labels: {kubernetes.io/service-name: other}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.2.0.1]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: t, annotations: {vipctl.io/vip: 192.0.2.10}}
spec:
  ingressClassName: vipctl
  rules:
  - host: web.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - host: other.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: other, port: {number: 80}}}}]}
${extra}`

/** HAProxy's `show servers state` as it runs a config (every slot as desired). */
function running(config: HaproxyConfig): ServerState[] {
  return config.servers.map((s) => ({backend: s.backend, server: s.server, address: s.address, port: s.port, opState: 2, adminState: s.enabled ? 0 : 1, enabled: s.enabled, weight: s.weight}))
}

/** Renders `snap` as sync's full path does against `state`. */
function full(snap: Snapshot, state: ServerState[] | undefined): {last: LastReconcile; desired: HaproxyConfig} {
  const compiled = compile(snap, {})
  const options = {...OPTS, slots: slotsFrom(state), slotCounts: slotCountsFrom(state)}
  const desired = generateHaproxy(compiled.model, compiled.secrets, options)
  return {last: {compiled, desired, options}, desired}
}

/** Applies the patch's commands to `state` (what HAProxy would then run). */
function apply(state: ServerState[], changes: Awaited<ReturnType<typeof planEndpointPatch>>): ServerState[] {
  assert.ok(!('structural' in changes))
  const byKey = new Map(state.map((s) => [`${s.backend}/${s.server}`, {...s}]))
  for (const c of changes.servers) {
    const s = byKey.get(`${c.backend}/${c.server}`)!
    Object.assign(s, {address: c.to.address, port: c.to.port, enabled: c.to.enabled, adminState: c.to.enabled ? 0 : 1})
  }
  return [...byKey.values()]
}

async function patch(before: string, after: string) {
  const first = full(snapshotOf(base(before)), undefined)
  let state = running(first.desired)
  // HAProxy runs the first render; a full reconcile against that state is the starting point.
  const {last} = full(snapshotOf(base(before)), state)
  const next = snapshotOf(base(after))
  const slices = (svc: string) => next.endpointSlices.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc.split('/')[1])
  const reads: string[] = []
  const p = await planEndpointPatch(last, new Set(['t/web']), new Set(['EndpointSlice/t/web-a']), slices, async (b) => (reads.push(b), state.filter((s) => s.backend === b)))
  return {last, next, p, reads, state, apply: () => (state = apply(state, p))}
}

describe('sync: endpoint-only changes patch the last model and config', () => {
  for (const [what, before, after] of [
    ['a member turns not ready', '[{addresses: [10.1.0.1]}, {addresses: [10.1.0.2]}]', '[{addresses: [10.1.0.1]}, {addresses: [10.1.0.2], conditions: {ready: false}}]'],
    ['a member is added into a spare slot', '[{addresses: [10.1.0.1]}]', '[{addresses: [10.1.0.1]}, {addresses: [10.1.0.3], nodeName: n1, targetRef: {kind: Pod, name: web-3}}]'],
    ['a member goes away and another comes', '[{addresses: [10.1.0.1]}, {addresses: [10.1.0.2]}]', '[{addresses: [10.1.0.2]}, {addresses: [10.1.0.9]}]'],
    ['every member goes away', '[{addresses: [10.1.0.1]}, {addresses: [10.1.0.2]}]', '[]'],
  ] as const) {
    it(`${what}: the commands reach a full render's slots, and the patched files equal a fresh render`, async () => {
      const t = await patch(before, after)
      assert.ok(!('structural' in t.p), JSON.stringify(t.p))
      assert.ok(t.p.servers.length > 0, 'something to send')
      assert.ok(t.p.servers.every((c) => c.backend.includes('web')), `only web's backend: ${t.p.servers.map((c) => c.backend)}`)
      assert.ok(t.reads.every((b) => b.includes('web')), `only web's backend is read: ${t.reads}`)
      const state = t.apply()
      t.p.commit()
      const files = renderPatchedFiles(t.last.desired)
      const fresh = full(t.next, state).desired
      assert.deepEqual(files.map((f) => [f.path, f.content]), fresh.files.map((f) => [f.path, f.content]))
      assert.deepEqual(t.last.desired.servers, fresh.servers)
      // The model's pool has the new members too (check, status and the next patch read it).
      const pool = t.last.compiled.model.pools.find((p) => p.service === 'web')!
      assert.deepEqual(pool.members, t.next === undefined ? [] : compile(t.next, {}).model.pools.find((p) => p.service === 'web')!.members)
    })
  }

  it('an unchanged slice (same members) sends nothing', async () => {
    const eps = '[{addresses: [10.1.0.1]}]'
    const t = await patch(eps, eps)
    assert.ok(!('structural' in t.p))
    assert.deepEqual(t.p.servers, [])
  })

  it('more members than slots is structural (a reload adds slots)', async () => {
    const many = `[${Array.from({length: 9}, (_, i) => `{addresses: [10.1.0.${i + 1}]}`).join(', ')}]`
    const t = await patch('[{addresses: [10.1.0.1]}]', many)
    assert.ok('structural' in t.p)
    assert.match(t.p.structural, /server slots 5 -> 13/)
  })

  it('a slice with an address the model reports (VIP2011) is structural, before and after', async () => {
    let t = await patch('[{addresses: [10.1.0.1]}]', '[{addresses: [10.1.0.1]}, {addresses: [224.0.0.1]}]')
    assert.ok('structural' in t.p)
    assert.match(t.p.structural, /VIP2011/)
    // The full build reported the slice: only a full build takes the finding back.
    t = await patch('[{addresses: [10.1.0.1]}, {addresses: [224.0.0.1]}]', '[{addresses: [10.1.0.1]}]')
    assert.ok('structural' in t.p)
    assert.match(t.p.structural, /had a finding/)
  })

  it('a Service that lost the pool\'s port is structural', async () => {
    const first = full(snapshotOf(base('[{addresses: [10.1.0.1]}]')), undefined)
    const {last} = full(snapshotOf(base('[{addresses: [10.1.0.1]}]')), running(first.desired))
    last.compiled.snapshot.services.find((s) => s.metadata.name === 'web')!.spec.ports = [{name: 'http', port: 81}]
    const p = await planEndpointPatch(last, new Set(['t/web']), new Set(['EndpointSlice/t/web-a']), () => [] as EndpointSlice[], async () => running(first.desired))
    assert.ok('structural' in p)
  })

  it('nothing is changed before commit', async () => {
    const t = await patch('[{addresses: [10.1.0.1]}]', '[{addresses: [10.1.0.7]}]')
    const before = JSON.stringify(t.last.desired.sections) + JSON.stringify(t.last.compiled.model.pools)
    assert.ok(!('structural' in t.p))
    assert.equal(JSON.stringify(t.last.desired.sections) + JSON.stringify(t.last.compiled.model.pools), before)
  })
})

describe('sync: Pod changes are endpoint-only while no health check changes', () => {
  const pod = (name: string, probePath: string, ready = true) =>
    ({apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: 't', labels: {app: 'web'}}, spec: {containers: [{name: 'w', ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: probePath, port: 8080}}}]}, status: {podIP: '10.1.0.1', conditions: [{type: 'Ready', status: ready ? 'True' : 'False'}]}}) as never
  const snap = () => {
    const s = snapshotOf(base('[{addresses: [10.1.0.1]}]').replace('spec: {ports: [{name: http, port: 80}]}', 'spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}'))
    s.pods.push(pod('web-a', '/healthz'), pod('web-b', '/healthz'))
    return s
  }
  const last = () => full(snap(), undefined).last
  const pods = (list: unknown[]) => () => list as never[]

  it('a status-only change (readiness) keeps the model', () => {
    assert.equal(podChangesKeepModel(last(), [{before: pod('web-b', '/healthz'), after: pod('web-b', '/healthz', false)}], pods([pod('web-a', '/healthz'), pod('web-b', '/healthz', false)])), undefined)
  })

  it('a Pod added after the one the check comes from keeps the model', () => {
    assert.equal(podChangesKeepModel(last(), [{after: pod('web-c', '/other')}], pods([pod('web-a', '/healthz'), pod('web-b', '/healthz'), pod('web-c', '/other')])), undefined)
  })

  it('the Pod the check comes from going away is a full reconcile (the check now names another Pod)', () => {
    const why = podChangesKeepModel(last(), [{before: pod('web-a', '/healthz')}], pods([pod('web-b', '/healthz')]))
    assert.match(why ?? '', /another health check/)
  })

  it('a probe changed on the first Pod is a full reconcile', () => {
    const why = podChangesKeepModel(last(), [{before: pod('web-a', '/healthz'), after: pod('web-a', '/ready')}], pods([pod('web-a', '/ready'), pod('web-b', '/healthz')]))
    assert.match(why ?? '', /another health check/)
  })
})

describe('sync: endpoint-only patch of a Service with TCP and UDP on one port number', () => {
  const dns = (endpoints: string) => `apiVersion: v1
kind: Service
metadata: {name: dns, namespace: t, annotations: {vipctl.io/vip: 192.0.2.53}}
spec: {type: LoadBalancer, ports: [{name: dns-tcp, port: 53, protocol: TCP}, {name: dns-udp, port: 53, protocol: UDP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dns-1, namespace: t, labels: {kubernetes.io/service-name: dns}}
addressType: IPv4
ports: [{name: dns-tcp, port: 5353, protocol: TCP}, {name: dns-udp, port: 5353, protocol: UDP}]
endpoints: ${endpoints}
`
  it('the TCP backend is patched (the UDP pool of the same port number does not hide it)', async () => {
    const first = full(snapshotOf(dns('[{addresses: [10.3.0.1]}]')), undefined)
    let state = running(first.desired)
    const {last} = full(snapshotOf(dns('[{addresses: [10.3.0.1]}]')), state)
    const next = snapshotOf(dns('[{addresses: [10.3.0.1], conditions: {ready: false}}, {addresses: [10.3.0.2]}]'))
    const p = await planEndpointPatch(last, new Set(['t/dns']), new Set(['EndpointSlice/t/dns-1']), () => next.endpointSlices, async (b) => state.filter((s) => s.backend === b))
    assert.ok(!('structural' in p))
    assert.ok(p.servers.length > 0, 'the TCP backend gets commands')
    state = apply(state, p)
    p.commit()
    const fresh = full(next, state).desired
    assert.deepEqual(renderPatchedFiles(last.desired).map((f) => [f.path, f.content]), fresh.files.map((f) => [f.path, f.content]))
  })
})

describe('sync: a status-only change needs no full reconcile unless the model reads a VIP from it', () => {
  const ing = (annotations: Record<string, string>, status?: object) => ({kind: 'Ingress', metadata: {name: 'a', namespace: 't', annotations}, spec: {rules: []}, ...(status ? {status} : {})})
  const lb = {loadBalancer: {ingress: [{ip: '192.0.2.9'}]}}
  it('an Ingress with vipctl.io/vip: the status sync itself wrote changes nothing', () => {
    assert.equal(changeMatters('ingresses', ing({'vipctl.io/vip': '192.0.2.9'}), ing({'vipctl.io/vip': '192.0.2.9'}, lb)), false)
  })
  it('an Ingress whose VIP comes from its status (no valid annotation): the status matters', () => {
    assert.equal(changeMatters('ingresses', ing({}), ing({}, lb)), true)
    assert.equal(changeMatters('ingresses', ing({'vipctl.io/vip': 'not-an-ip'}), ing({'vipctl.io/vip': 'not-an-ip'}, lb)), true)
  })
  it('a spec or annotation change always matters', () => {
    assert.equal(changeMatters('ingresses', ing({'vipctl.io/vip': '192.0.2.9'}), ing({'vipctl.io/vip': '192.0.2.10'})), true)
    assert.equal(changeMatters('httproutes', {kind: 'HTTPRoute', metadata: {name: 'r'}, spec: {hostnames: ['a']}}, {kind: 'HTTPRoute', metadata: {name: 'r'}, spec: {hostnames: ['b']}}), true)
  })
  it('route and class status (conditions, parents) is never read', () => {
    assert.equal(changeMatters('httproutes', {kind: 'HTTPRoute', metadata: {name: 'r'}, spec: {}}, {kind: 'HTTPRoute', metadata: {name: 'r'}, spec: {}, status: {parents: [{}]}}), false)
    assert.equal(changeMatters('gatewayclasses', {kind: 'GatewayClass', metadata: {name: 'c'}, spec: {}}, {kind: 'GatewayClass', metadata: {name: 'c'}, spec: {}, status: {x: 1}}), false)
  })
  it('a Gateway: its status.addresses matter only without spec.addresses and vipctl.io/vip', () => {
    const gw = (spec: object, status?: object) => ({kind: 'Gateway', metadata: {name: 'g', namespace: 't'}, spec, ...(status ? {status} : {})})
    const st = {addresses: [{type: 'IPAddress', value: '192.0.2.7'}]}
    assert.equal(changeMatters('gateways', gw({addresses: [{value: '192.0.2.7'}]}), gw({addresses: [{value: '192.0.2.7'}]}, st)), false)
    assert.equal(changeMatters('gateways', gw({}), gw({}, st)), true)
  })
})

describe('sync: status-only changes as the API server sends them (through the intake, resourceVersion moving)', () => {
  const origin = {source: 'api' as const, server: 'https://x'}
  const take = (o: object) => intakeObject(o as never, origin).object!
  it('an annotated Service whose load-balancer status sync wrote (resourceVersion 1 -> 2) needs no rebuild', () => {
    const svc = (rv: string, status?: object) => ({apiVersion: 'v1', kind: 'Service', metadata: {name: 's', namespace: 't', resourceVersion: rv, annotations: {'vipctl.io/vip': '192.0.2.9'}}, spec: {type: 'LoadBalancer', ports: [{port: 80}]}, ...(status ? {status} : {})})
    assert.equal(changeMatters('services', take(svc('1')), take(svc('2', {loadBalancer: {ingress: [{ip: '192.0.2.9'}]}}))), false)
  })
  it('a Node whose status alone moved (a heartbeat) needs no rebuild; a label change does', () => {
    const node = (rv: string, labels: Record<string, string> = {}) => ({apiVersion: 'v1', kind: 'Node', metadata: {name: 'n1', resourceVersion: rv, labels}, status: {conditions: [{type: 'Ready', status: 'True', lastHeartbeatTime: `2026-11-30T00:00:0${rv}Z`}]}})
    assert.equal(changeMatters('nodes', take(node('5')), take(node('6'))), false)
    assert.equal(changeMatters('nodes', take(node('5')), take(node('6', {zone: 'b'}))), true)
  })
  it('a Gateway whose spec.addresses ask for an address without a value reads its VIP from status: that matters', () => {
    const gw = (rv: string, ip: string) => ({apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: {name: 'g', namespace: 't', resourceVersion: rv}, spec: {gatewayClassName: 'vipctl', addresses: [{type: 'IPAddress'}], listeners: [{name: 'http', port: 80, protocol: 'HTTP'}]}, status: {addresses: [{type: 'IPAddress', value: ip}]}})
    assert.equal(changeMatters('gateways', take(gw('1', '192.0.2.7')), take(gw('2', '192.0.2.8'))), true)
  })
})
