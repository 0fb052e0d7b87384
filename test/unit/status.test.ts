/**
 * The status vipctl owes and the one writer across nodes, against an in-memory API (objects with resourceVersions,
 * 409 on a stale write, as the API server does): leader election on a Lease (acquire, renew, take-over only after a
 * whole lease duration on the candidate's own clock, release on shutdown, one winner of a race) and the status
 * writer (conditions with observedGeneration, lastTransitionTime kept while a status stands, other controllers'
 * route parents kept, nothing written when nothing changed). Against the real API server:
 * test/integration/gateway-status.test.ts.
 */
import assert from 'node:assert/strict'
import type {RestClient, RestResponse} from '../../src/core/kube-rest.js'
import {LeaderElector} from '../../src/sync/lease.js'
import {StatusWriter, withTransitions} from '../../src/sync/status.js'
import {compile} from '../../src/model/compile.js'
import {snapshotOf, WEB_BACKENDS} from '../helpers/manifests.js'

/** An in-memory API: objects by path, each write bumping resourceVersion; PUT with a stale one is 409. */
function memoryApi() {
  const objects = new Map<string, Record<string, unknown>>()
  let rv = 1
  const writes: string[] = []
  const reply = (status: number, body?: unknown): RestResponse => ({status, headers: {}, body})
  const client: RestClient = {
    server: 'memory',
    user: 'test',
    async get(path) {
      const o = objects.get(path)
      return o ? reply(200, structuredClone(o)) : reply(404, {kind: 'Status', code: 404})
    },
    async send(method, path, _q, body) {
      const o = structuredClone(body) as {metadata: {name: string; resourceVersion?: string}}
      if (method === 'POST') {
        const p = `${path}/${o.metadata.name}`
        if (objects.has(p)) return reply(409)
        o.metadata.resourceVersion = String(++rv)
        objects.set(p, o)
        writes.push(`POST ${p}`)
        return reply(201, o)
      }
      const target = path.replace(/\/status$/, '')
      const have = objects.get(target) as {metadata: {resourceVersion?: string}} | undefined
      if (!have) return reply(404)
      if (o.metadata.resourceVersion !== have.metadata.resourceVersion) return reply(409)
      o.metadata.resourceVersion = String(++rv)
      objects.set(target, o)
      writes.push(`PUT ${path}`)
      return reply(200, o)
    },
  }
  return {client, objects, writes}
}

const quiet = {info() {}, warn() {}, error() {}, debug() {}}
/** A clock the test moves; sleeps end only when aborted (the elector's deadline timer never fires by itself). */
const clockAt = (t: {now: number}) => ({now: () => t.now, sleep: (_ms: number, signal?: AbortSignal) => new Promise<void>((r) => (signal?.aborted ? r() : signal?.addEventListener('abort', () => r(), {once: true}))), random: () => 0.5})
const LEASE = {namespace: 'vipctl-system', name: 'vipctl-status', leaseDurationSec: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000}

describe('leader election on a Lease', () => {
  it('one holder; the other takes over only after a whole lease duration without renewal, on its own clock', async () => {
    const api = memoryApi()
    const ta = {now: 1_000_000}
    const tb = {now: 5_000_000} // another node's clock, far off: only durations it measures itself count
    const a = new LeaderElector(api.client, {...LEASE, identity: 'node-a'}, {clock: clockAt(ta), log: quiet})
    const b = new LeaderElector(api.client, {...LEASE, identity: 'node-b'}, {clock: clockAt(tb), log: quiet})
    assert.equal(await a.tick(), true)
    assert.equal(await b.tick(), false)
    for (let i = 0; i < 10; i++) {
      ta.now += 2000
      tb.now += 2000
      assert.equal(await a.tick(), true)
      assert.equal(await b.tick(), false, 'a renewing holder keeps the Lease')
    }
    // a stops (killed): b sees the same record for 14 s, still a follower; at 15 s it takes over.
    tb.now += 14_000
    assert.equal(await b.tick(), false)
    tb.now += 1_000
    assert.equal(await b.tick(), true)
    const lease = api.objects.get('/apis/coordination.k8s.io/v1/namespaces/vipctl-system/leases/vipctl-status') as {spec: {holderIdentity: string; leaseTransitions: number}}
    assert.deepEqual([lease.spec.holderIdentity, lease.spec.leaseTransitions], ['node-b', 1])
    // a comes back: it sees b's fresh record and stays a follower (it steps down: its renew deadline passed).
    ta.now += 60_000
    assert.equal(await a.tick(), false)
  })

  it('two candidates racing for a free Lease: exactly one wins (the other gets 409)', async () => {
    const api = memoryApi()
    const t = {now: 0}
    const cands = ['a', 'b', 'c'].map((id) => new LeaderElector(api.client, {...LEASE, identity: id}, {clock: clockAt(t), log: quiet}))
    const won = await Promise.all(cands.map((c) => c.tick()))
    assert.equal(won.filter(Boolean).length, 1)
  })

  it('release on shutdown hands the Lease over at once', async () => {
    const api = memoryApi()
    const ta = {now: 0}
    const tb = {now: 0}
    const a = new LeaderElector(api.client, {...LEASE, identity: 'a'}, {clock: clockAt(ta), log: quiet})
    const b = new LeaderElector(api.client, {...LEASE, identity: 'b'}, {clock: clockAt(tb), log: quiet})
    assert.equal(await a.tick(), true)
    assert.equal(await b.tick(), false)
    await a.release()
    tb.now += 1
    assert.equal(await b.tick(), true)
  })

  it('a holder that sees another holder in the Lease (an edit, a clock step elsewhere) stops leading at once', async () => {
    const api = memoryApi()
    const t = {now: 0}
    const a = new LeaderElector(api.client, {...LEASE, identity: 'a'}, {clock: clockAt(t), log: quiet})
    assert.equal(await a.tick(), true)
    const path = '/apis/coordination.k8s.io/v1/namespaces/vipctl-system/leases/vipctl-status'
    const lease = api.objects.get(path) as {spec: {holderIdentity: string}}
    lease.spec.holderIdentity = 'b'
    t.now += 2000
    assert.equal(await a.tick(), false)
    assert.equal(a.holds(), false)
  })

  it('a request that hangs fails the attempt at the renew deadline (a hung API never keeps a leader)', async () => {
    const api = memoryApi()
    const t = {now: 0}
    let fire: () => void = () => {}
    const clock = {now: () => t.now, random: () => 0.5, sleep: (_ms: number, signal?: AbortSignal) => new Promise<void>((r) => {
      fire = r
      signal?.addEventListener('abort', () => r(), {once: true})
    })}
    const a = new LeaderElector(api.client, {...LEASE, identity: 'a'}, {clock, log: quiet})
    assert.equal(await a.tick(), true)
    api.client.get = () => new Promise(() => {})
    t.now += 11_000
    const attempt = a.tick()
    fire() // the deadline passes
    assert.equal(await attempt, false)
  })

  it('a holder that cannot renew steps down within the renew deadline (before another may take over)', async () => {
    const api = memoryApi()
    const t = {now: 0}
    const a = new LeaderElector(api.client, {...LEASE, identity: 'a'}, {clock: clockAt(t), log: quiet})
    assert.equal(await a.tick(), true)
    api.client.get = async () => {
      throw new Error('connection refused')
    }
    t.now += 8_000
    assert.equal(await a.tick(), true, 'within the renew deadline')
    t.now += 3_000
    assert.equal(await a.tick(), false, 'past the renew deadline (10 s), before the lease duration (15 s)')
  })
})

describe('the status writer', () => {
  const text = `${WEB_BACKENDS}---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: vipctl, generation: 1}
spec: {controllerName: vipctl.io/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: t, generation: 2}
spec: {gatewayClassName: vipctl, addresses: [{type: IPAddress, value: 192.0.2.50}], listeners: [{name: web, port: 80, protocol: HTTP}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: t, generation: 5}
spec: {parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}]}]}
`
  const raw = (kind: string, ns: string | undefined, name: string, extra: Record<string, unknown> = {}) => ({apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: {name, ...(ns ? {namespace: ns} : {}), resourceVersion: '1'}, ...extra})

  it('writes the classes, Gateways and routes of ours with observedGeneration; nothing when nothing changed; keeps others\' parents', async () => {
    const api = memoryApi()
    const G = '/apis/gateway.networking.k8s.io/v1'
    const other = {parentRef: {name: 'x', namespace: 't'}, controllerName: 'example.com/other', conditions: [{type: 'Accepted', status: 'True'}]}
    const objs = {
      gatewayclasses: new Map([['/vipctl', raw('GatewayClass', undefined, 'vipctl')]]),
      gateways: new Map([['t/gw', raw('Gateway', 't', 'gw')]]),
      httproutes: new Map([['t/r', raw('HTTPRoute', 't', 'r', {status: {parents: [other]}})]]),
    }
    api.objects.set(`${G}/gatewayclasses/vipctl`, objs.gatewayclasses.get('/vipctl')!)
    api.objects.set(`${G}/namespaces/t/gateways/gw`, objs.gateways.get('t/gw')!)
    api.objects.set(`${G}/namespaces/t/httproutes/r`, objs.httproutes.get('t/r')!)
    const model = compile(snapshotOf(text), {}).model
    const w = new StatusWriter(api.client, quiet)
    const first = await w.write(model, objs, new Date('2026-11-30T00:00:00Z'))
    assert.deepEqual(first.written.sort(), ['Gateway/t/gw', 'GatewayClass/vipctl', 'HTTPRoute/t/r'])
    const gw = api.objects.get(`${G}/namespaces/t/gateways/gw`) as {status: {addresses: unknown; conditions: Array<{type: string; status: string; observedGeneration: number; lastTransitionTime: string}>; listeners: Array<{attachedRoutes: number; supportedKinds: unknown}>}}
    assert.deepEqual(gw.status.addresses, [{type: 'IPAddress', value: '192.0.2.50'}])
    assert.deepEqual(gw.status.conditions.map((c) => [c.type, c.status, c.observedGeneration, c.lastTransitionTime]), [['Accepted', 'True', 2, '2026-11-30T00:00:00Z'], ['Programmed', 'True', 2, '2026-11-30T00:00:00Z']])
    assert.deepEqual(gw.status.listeners.map((l) => [l.attachedRoutes, l.supportedKinds]), [[1, [{group: 'gateway.networking.k8s.io', kind: 'HTTPRoute'}, {group: 'gateway.networking.k8s.io', kind: 'GRPCRoute'}]]])
    const route = api.objects.get(`${G}/namespaces/t/httproutes/r`) as {status: {parents: Array<{controllerName: string; conditions: Array<{type: string; observedGeneration: number}>}>}}
    assert.deepEqual(route.status.parents.map((p) => p.controllerName), ['example.com/other', 'vipctl.io/gateway-controller'], 'others stay where they were; ours are added after')
    assert.ok(route.status.parents[1]!.conditions.every((c) => c.observedGeneration === 5))
    const cls = api.objects.get(`${G}/gatewayclasses/vipctl`) as {status: {supportedFeatures: Array<{name: string}>}}
    assert.ok(cls.status.supportedFeatures.some((f) => f.name === 'HTTPRoute'))
    const names = cls.status.supportedFeatures.map((f) => f.name)
    assert.deepEqual(names, [...names].sort(), 'sorted by name, as the spec asks')
    // The stores as the reflectors would hold them after the writes: nothing to write, at any time later.
    const again = {
      gatewayclasses: new Map([['/vipctl', api.objects.get(`${G}/gatewayclasses/vipctl`)!]]),
      gateways: new Map([['t/gw', api.objects.get(`${G}/namespaces/t/gateways/gw`)!]]),
      httproutes: new Map([['t/r', api.objects.get(`${G}/namespaces/t/httproutes/r`)!]]),
    }
    const second = await w.write(model, again as never, new Date('2026-11-30T01:00:00Z'))
    assert.deepEqual(second.written, [])
  })

  it('removes its own entries from a route no longer attached to a Gateway of ours; keeps the others\' order; writes nothing once the Lease is lost', async () => {
    const api = memoryApi()
    const G = '/apis/gateway.networking.k8s.io/v1'
    const ourEntry = {parentRef: {name: 'gone', namespace: 't'}, controllerName: 'vipctl.io/gateway-controller', conditions: []}
    const theirs = {parentRef: {name: 'x', namespace: 't'}, controllerName: 'example.com/other', conditions: []}
    const orphan = raw('HTTPRoute', 't', 'orphan', {status: {parents: [theirs, ourEntry]}})
    api.objects.set(`${G}/namespaces/t/httproutes/orphan`, orphan)
    const model = compile(snapshotOf(text), {}).model
    const w = new StatusWriter(api.client, quiet)
    const lost = await w.write(model, {httproutes: new Map([['t/orphan', orphan]])}, new Date(), () => false)
    assert.deepEqual(lost.written, [])
    const limited = await w.write(model, {httproutes: new Map([['t/orphan', orphan]])}, new Date(), () => true, {removeStale: false})
    assert.deepEqual(limited.written, [], 'a writer limited to some namespaces leaves them')
    const res = await w.write(model, {httproutes: new Map([['t/orphan', orphan]])}, new Date())
    assert.deepEqual(res.written, ['HTTPRoute/t/orphan'])
    assert.deepEqual((api.objects.get(`${G}/namespaces/t/httproutes/orphan`) as {status: {parents: unknown[]}}).status.parents, [theirs])
  })

  it('load-balancer status: compared by address (the server\'s ipMode is not undone); a Service of another class is not written', async () => {
    const api = memoryApi()
    const svcText = `${WEB_BACKENDS}---
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: t, annotations: {vipctl.io/vip: 192.0.2.80}}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: t, annotations: {vipctl.io/vip: 192.0.2.81}}
spec: {type: LoadBalancer, loadBalancerClass: example.com/cloud, ports: [{port: 80}]}
`
    const model = compile(snapshotOf(svcText), {}).model
    const svc = (name: string, status: unknown) => ({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 't', resourceVersion: '1'}, spec: name === 'other' ? {loadBalancerClass: 'example.com/cloud'} : {}, status})
    api.objects.set('/api/v1/namespaces/t/services/lb', svc('lb', {}))
    api.objects.set('/api/v1/namespaces/t/services/other', svc('other', {}))
    const w = new StatusWriter(api.client, quiet)
    const first = await w.write(model, {services: new Map([['t/lb', svc('lb', {})], ['t/other', svc('other', {})]])}, new Date())
    assert.deepEqual(first.written, ['Service/t/lb'])
    const again = await w.write(model, {services: new Map([['t/lb', svc('lb', {loadBalancer: {ingress: [{ip: '192.0.2.80', ipMode: 'VIP'}]}})]])}, new Date())
    assert.deepEqual(again.written, [])
  })

  it('a stale copy is a conflict (written next round), never an overwrite of a newer object', async () => {
    const api = memoryApi()
    const G = '/apis/gateway.networking.k8s.io/v1'
    api.objects.set(`${G}/namespaces/t/gateways/gw`, {...raw('Gateway', 't', 'gw'), metadata: {name: 'gw', namespace: 't', resourceVersion: '9'}})
    const res = await new StatusWriter(api.client, quiet).write(compile(snapshotOf(text), {}).model, {gateways: new Map([['t/gw', raw('Gateway', 't', 'gw')]])}, new Date())
    assert.deepEqual(res.conflicts, ['Gateway/t/gw'])
  })

  it('lastTransitionTime moves only when a condition\'s status changes', () => {
    const have = [{type: 'Accepted', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z'}, {type: 'Programmed', status: 'False', lastTransitionTime: '2026-01-01T00:00:00Z'}]
    const want = [{type: 'Accepted', status: 'True' as const, reason: 'Accepted', message: ''}, {type: 'Programmed', status: 'True' as const, reason: 'Programmed', message: ''}]
    assert.deepEqual(withTransitions(want, have, 'NOW').map((c) => c.lastTransitionTime), ['2026-01-01T00:00:00Z', 'NOW'])
  })

  it('ListenerSets get their conditions and listeners, the Gateway its attachedListenerSets, a GRPCRoute its parent of kind ListenerSet', async () => {
    const extra = `---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: ls, namespace: t, generation: 7}
spec: {parentRef: {name: gw}, listeners: [{name: grpc, port: 80, protocol: HTTP, hostname: grpc.example.com}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: t, generation: 1}
spec: {parentRefs: [{kind: ListenerSet, name: ls, sectionName: grpc}], rules: [{backendRefs: [{name: web2, port: 80}]}]}
`
    const withSets = text.replace('listeners: [{name: web, port: 80, protocol: HTTP}]}', 'allowedListeners: {namespaces: {from: Same}}, listeners: [{name: web, port: 80, protocol: HTTP, hostname: www.example.com}]}')
    const api = memoryApi()
    const G = '/apis/gateway.networking.k8s.io/v1'
    const objs = {
      gateways: new Map([['t/gw', raw('Gateway', 't', 'gw')]]),
      listenersets: new Map([['t/ls', raw('ListenerSet', 't', 'ls')]]),
      grpcroutes: new Map([['t/g', raw('GRPCRoute', 't', 'g')]]),
    }
    api.objects.set(`${G}/namespaces/t/gateways/gw`, objs.gateways.get('t/gw')!)
    api.objects.set(`${G}/namespaces/t/listenersets/ls`, objs.listenersets.get('t/ls')!)
    api.objects.set(`${G}/namespaces/t/grpcroutes/g`, objs.grpcroutes.get('t/g')!)
    const model = compile(snapshotOf(`${withSets}${extra}`), {}).model
    const res = await new StatusWriter(api.client, quiet).write(model, objs, new Date('2026-11-30T00:00:00Z'))
    assert.deepEqual(res.written.sort(), ['GRPCRoute/t/g', 'Gateway/t/gw', 'ListenerSet/t/ls'])
    const gw = api.objects.get(`${G}/namespaces/t/gateways/gw`) as {status: {attachedListenerSets: number}}
    assert.equal(gw.status.attachedListenerSets, 1)
    const ls = api.objects.get(`${G}/namespaces/t/listenersets/ls`) as {status: {conditions: Array<{type: string; status: string; observedGeneration: number}>; listeners: Array<{name: string; attachedRoutes: number}>}}
    assert.deepEqual(ls.status.conditions.map((c) => [c.type, c.status, c.observedGeneration]), [['Accepted', 'True', 7], ['Programmed', 'True', 7]])
    assert.deepEqual(ls.status.listeners.map((l) => [l.name, l.attachedRoutes]), [['grpc', 1]])
    const g = api.objects.get(`${G}/namespaces/t/grpcroutes/g`) as {status: {parents: Array<{parentRef: {kind: string; name: string}; conditions: Array<{type: string; status: string}>}>}}
    assert.deepEqual(g.status.parents.map((p) => [p.parentRef.kind, p.parentRef.name, p.conditions[0]!.status]), [['ListenerSet', 'ls', 'True']])
  })

  it('BackendTLSPolicy: our ancestor entry per Gateway whose routes reach its target; another controller\'s entry kept', async () => {
    const extra = `---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: p, namespace: t, generation: 3}
spec: {targetRefs: [{group: '', kind: Service, name: web}], validation: {wellKnownCACertificates: System, hostname: web.example.com}}
`
    const api = memoryApi()
    const G = '/apis/gateway.networking.k8s.io/v1'
    const other = {ancestorRef: {name: 'elsewhere', namespace: 'x'}, controllerName: 'example.com/other', conditions: []}
    const objs = {backendtlspolicies: new Map([['t/p', raw('BackendTLSPolicy', 't', 'p', {status: {ancestors: [other]}})]])}
    api.objects.set(`${G}/namespaces/t/backendtlspolicies/p`, objs.backendtlspolicies.get('t/p')!)
    const model = compile(snapshotOf(`${text}${extra}`), {}).model
    const res = await new StatusWriter(api.client, quiet).write(model, objs, new Date('2026-11-30T00:00:00Z'))
    assert.deepEqual(res.written, ['BackendTLSPolicy/t/p'])
    const p = api.objects.get(`${G}/namespaces/t/backendtlspolicies/p`) as {status: {ancestors: Array<{ancestorRef: {name: string}; controllerName: string; parentRef?: unknown; conditions: Array<{type: string; status: string; observedGeneration: number}>}>}}
    assert.deepEqual(p.status.ancestors.map((a) => [a.ancestorRef.name, a.controllerName, a.parentRef]), [['elsewhere', 'example.com/other', undefined], ['gw', 'vipctl.io/gateway-controller', undefined]])
    assert.deepEqual(p.status.ancestors[1]!.conditions.map((c) => [c.type, c.status, c.observedGeneration]), [['Accepted', 'True', 3], ['ResolvedRefs', 'True', 3]])
    // Written once: the same status again is not written.
    const again = await new StatusWriter(api.client, quiet).write(model, {backendtlspolicies: new Map([['t/p', api.objects.get(`${G}/namespaces/t/backendtlspolicies/p`)!]])}, new Date('2026-11-30T00:01:00Z'))
    assert.deepEqual(again.written, [])
  })
})
