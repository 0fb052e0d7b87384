/** sync and install building blocks: backoff, Retry-After, metrics text, logs, slots that keep their count, install objects (golden) and their RBAC. */
import assert from 'node:assert/strict'
import {stringify} from 'yaml'
import {intakeObject} from '../../src/cluster/intake.js'
import {installObjects, objectPath, READ_RULES, STATUS_RULES} from '../../src/install/manifests.js'
import {parsePrometheus} from '../../src/stats/prometheus.js'
import {backoffDelay, retryAfterMs} from '../../src/sync/reflector.js'
import {makeLogger, makeMetrics, renderMetrics} from '../../src/sync/runtime.js'
import {serverSlots} from '../../src/targets/haproxy/generate.js'
import type {Member, Pool} from '../../src/model/types.js'
import {assertGolden} from '../helpers/golden.js'

const base = {namespace: 'vipctl-system', image: 'vipctl:0.1.0', haproxyImage: 'haproxy:2.6', secretNamespaces: [], vipRules: false, vipMode: 'bind' as const, syncMetrics: {host: '127.0.0.1', port: 9842}, version: '0.1.0'}

describe('sync: backoff and Retry-After', () => {
  it('backs off exponentially with jitter, capped', () => {
    assert.equal(backoffDelay(1, 200, 5000, () => 1), 200)
    assert.equal(backoffDelay(1, 200, 5000, () => 0), 100)
    assert.equal(backoffDelay(3, 200, 5000, () => 1), 800)
    assert.equal(backoffDelay(30, 200, 5000, () => 1), 5000)
    for (let f = 1; f < 40; f++) {
      const d = backoffDelay(f, 200, 5000, Math.random)
      assert.ok(d >= 100 && d <= 5000, String(d))
    }
  })

  it('reads Retry-After seconds, bounded to a minute', () => {
    assert.equal(retryAfterMs({status: 429, headers: {'retry-after': '3'}, body: undefined}), 3000)
    assert.equal(retryAfterMs({status: 429, headers: {'retry-after': '3600'}, body: undefined}), 60_000)
    assert.equal(retryAfterMs({status: 429, headers: {}, body: undefined}), undefined)
    assert.equal(retryAfterMs({status: 429, headers: {'retry-after': 'soon'}, body: undefined}), undefined)
  })
})

describe('sync: metrics and logs', () => {
  it('renders counters, a gauge and the event-to-proxy histogram as exposition', () => {
    const m = makeMetrics()
    m.events.inc({resource: 'pods', type: 'MODIFIED'})
    m.events.inc({resource: 'pods', type: 'MODIFIED'})
    m.quarantined.set(1)
    for (const v of [0.004, 0.03, 0.2, 3]) m.eventToProxy.observe(v)
    const text = renderMetrics(m)
    const samples = parsePrometheus(text)!
    const val = (name: string, labels: Record<string, string> = {}) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    assert.equal(val('vipctl_sync_events_total', {resource: 'pods', type: 'MODIFIED'}), 2)
    assert.equal(val('vipctl_sync_reloads_total'), 0, 'a counter never incremented still says 0')
    assert.equal(val('vipctl_sync_quarantined_objects'), 1)
    assert.equal(val('vipctl_sync_event_to_proxy_seconds_bucket', {le: '0.01'}), 1)
    assert.equal(val('vipctl_sync_event_to_proxy_seconds_bucket', {le: '0.25'}), 3)
    assert.equal(val('vipctl_sync_event_to_proxy_seconds_bucket', {le: '+Inf'}), 4)
    assert.equal(val('vipctl_sync_event_to_proxy_seconds_count'), 4)
    assert.equal(text.match(/^# TYPE vipctl_sync_event_to_proxy_seconds histogram$/gm)?.length, 1)
  })

  it('logs JSON lines off a terminal and key=value text on one', () => {
    const lines: string[] = []
    const at = () => new Date('2026-11-25T00:00:00Z')
    makeLogger((l) => lines.push(l), 'json', at).warn('object quarantined', {object: 'Ingress/a/b', code: 'VIP2003'})
    makeLogger((l) => lines.push(l), 'text', at).info('reloaded HAProxy', {reasons: 'a b', reload: 2})
    assert.deepEqual(JSON.parse(lines[0]!), {time: '2026-11-25T00:00:00.000Z', level: 'warn', msg: 'object quarantined', object: 'Ingress/a/b', code: 'VIP2003'})
    assert.equal(lines[1], '2026-11-25T00:00:00.000Z INFO  reloaded HAProxy reasons="a b" reload=2\n')
  })
})

describe('HAProxy server slots keep their count while members fit (no reload to scale)', () => {
  const member = (i: number): Member => ({address: `10.0.0.${i}`, port: 80, ready: true, serving: true, terminating: false, derived: false})
  const pool = (n: number): Pool => ({id: 'a/web/80', namespace: 'a', service: 'web', port: 80, protocol: 'TCP', lbMethod: 'roundrobin', monitor: {kind: 'tcp', intervalMs: 1000, timeoutMs: 1000, rise: 1, fall: 1}, members: Array.from({length: n}, (_, i) => member(i + 1)), expected: [], provenance: []})

  it('fresh (or a backend HAProxy does not run yet): members + spare slots', () => {
    assert.equal(serverSlots(pool(2), 'a_web_80', {spareSlots: 4}).length, 6)
    assert.equal(serverSlots(pool(0), 'a_web_80', {spareSlots: 4, slotCounts: new Map()}).length, 4)
  })
  it('running with 6 slots: 1..6 members keep 6; 7 grows to 7 + spare', () => {
    for (const n of [1, 3, 6]) assert.equal(serverSlots(pool(n), 'a_web_80', {spareSlots: 4, slotCounts: new Map([['a_web_80', 6]])}).length, 6)
    assert.equal(serverSlots(pool(7), 'a_web_80', {spareSlots: 4, slotCounts: new Map([['a_web_80', 6]])}).length, 11)
  })
})

describe('live objects the API server sends', () => {
  it('accepts an EndpointSlice with endpoints: null and ports: null (no ready Pods yet)', () => {
    const r = intakeObject({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: 'web-abc', namespace: 'a', labels: {'kubernetes.io/service-name': 'web'}}, addressType: 'IPv4', endpoints: null, ports: null}, {source: 'api', server: 'x'})
    assert.equal(r.diagnostic, undefined)
    assert.ok(r.object)
  })
})

describe('install', () => {
  it('renders the per-node deployment (golden)', () => {
    assertGolden('install/default.yaml', installObjects(base).map((o) => `---\n${stringify(o, {lineWidth: 0})}`).join(''))
  })

  it('reads; Secrets by get, never list or watch; writes only status subresources and the one Lease', () => {
    const objs = installObjects(base)
    const rules = objs.filter((o) => o.kind === 'ClusterRole').flatMap((o) => o.rules as Array<{resources: string[]; verbs: string[]}>)
    // Cluster-wide: reads, and `update` on status subresources only (never an object itself, never create or delete).
    for (const r of rules) {
      const writes = r.verbs.filter((v) => !['get', 'list', 'watch'].includes(v))
      if (writes.length) assert.ok(writes.every((v) => v === 'update') && r.resources.every((x) => x.endsWith('/status')), JSON.stringify(r))
    }
    assert.deepEqual(STATUS_RULES.flatMap((r) => r.resources).sort(), ['gatewayclasses/status', 'gateways/status', 'grpcroutes/status', 'httproutes/status', 'ingresses/status', 'listenersets/status', 'services/status', 'tcproutes/status', 'tlsroutes/status', 'udproutes/status', 'backendtlspolicies/status'].sort())
    const secretVerbs = rules.filter((r) => r.resources.includes('secrets')).flatMap((r) => r.verbs)
    assert.deepEqual(secretVerbs, ['get'])
    assert.deepEqual(READ_RULES.flatMap((r) => r.resources).sort(), ['backendtlspolicies', 'endpointslices', 'gatewayclasses', 'gateways', 'grpcroutes', 'httproutes', 'ingressclasses', 'ingresses', 'listenersets', 'namespaces', 'nodes', 'pods', 'referencegrants', 'services', 'tcproutes', 'tlsroutes', 'udproutes'])
    // The Lease: a Role in the install namespace; get and update only by name.
    const role = objs.find((o) => o.kind === 'Role') as unknown as {metadata: {namespace: string}; rules: Array<{resources: string[]; verbs: string[]; resourceNames?: string[]}>}
    assert.equal(role.metadata.namespace, base.namespace)
    assert.deepEqual(role.rules.map((r) => [r.resources, r.verbs, r.resourceNames ?? null]), [[['leases'], ['create'], null], [['leases'], ['get', 'update'], ['vipctl-status']]])
  })

  it('--secret-namespaces binds Secret reads per namespace instead of cluster-wide', () => {
    const objs = installObjects({...base, secretNamespaces: ['web', 'shop']})
    assert.deepEqual(objs.filter((o) => o.metadata.name === 'vipctl-tls-secrets' && o.kind.endsWith('Binding')).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}`), ['RoleBinding/shop', 'RoleBinding/web'])
  })

  it('NET_ADMIN only on the sync container, and only with --vip-rules; NET_BIND_SERVICE on sync always (the haproxy -c it runs)', () => {
    const caps = (vipRules: boolean) => {
      const ds = installObjects({...base, vipRules}).find((o) => o.kind === 'DaemonSet') as any
      return Object.fromEntries(ds.spec.template.spec.containers.map((c: any) => [c.name, c.securityContext.capabilities.add ?? []]))
    }
    assert.deepEqual(caps(false), {haproxy: ['NET_BIND_SERVICE'], sync: ['NET_BIND_SERVICE']})
    assert.deepEqual(caps(true), {haproxy: ['NET_BIND_SERVICE'], sync: ['NET_ADMIN', 'NET_BIND_SERVICE']})
  })

  it('refuses names and images that are not valid', () => {
    assert.throws(() => installObjects({...base, namespace: 'Bad_NS'}), /not a valid namespace name/)
    assert.throws(() => installObjects({...base, image: 'x y'}), /not an image reference/)
    assert.throws(() => installObjects({...base, secretNamespaces: ['a;b']}), /not a valid namespace name/)
  })

  it('knows each object\'s REST path for server-side apply', () => {
    const paths = installObjects(base).map(objectPath)
    assert.ok(paths.includes('/api/v1/namespaces/vipctl-system'))
    assert.ok(paths.includes('/apis/apps/v1/namespaces/vipctl-system/daemonsets/vipctl'))
    assert.ok(paths.includes('/apis/rbac.authorization.k8s.io/v1/clusterroles/vipctl-sync'))
    assert.ok(paths.includes('/apis/networking.k8s.io/v1/ingressclasses/vipctl'))
  })
})
