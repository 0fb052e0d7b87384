/**
 * Source ranges on an Ingress (vipctl.io/allow-source-ranges, deny-source-ranges): the grammar (canonical networks),
 * the routing module's verdict for a source, what each target writes (the route's own rules only), the default
 * backend never opened, and check trace --source. Requests through a real HAProxy: test/integration/l7-routes.test.ts.
 */
import assert from 'node:assert/strict'
import {parseSourceRanges} from '../../src/model/annotations.js'
import {canonicalNetwork, networkContains} from '../../src/model/ip.js'
import {compile} from '../../src/model/compile.js'
import {admits, decide, routingTable} from '../../src/model/routing.js'
import {traceRequest} from '../../src/check/trace.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {generateNetscaler, renderBatch} from '../../src/targets/netscaler/generate.js'
import {WEB_BACKENDS, snapshotOf} from '../helpers/manifests.js'

const OPTS = {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}
const BASE = WEB_BACKENDS
const ing = (name: string, annotations: Record<string, string>, host: string, extra = '') => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}, namespace: t, annotations: ${JSON.stringify({'vipctl.io/vip': '192.0.2.1', ...annotations})}}
spec:
  ingressClassName: vipctl
${extra}  rules: [{host: ${host}, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
`

describe('source ranges: grammar', () => {
  it('networks in canonical form (host bits cleared, IPv6 compressed, mapped IPv4 as IPv4), each once, 1-64', () => {
    assert.deepEqual(parseSourceRanges('10.1.2.3/8, 192.0.2.7, 2001:DB8:0:0::1/32, ::ffff:198.51.100.0/120'), ['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32', '198.51.100.0/24'])
    for (const bad of ['', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/8,10.1.0.0/8', 'fe80::1%eth0/64', '10.0.0.0/-1', 'example.com', '10.0.0.0/8;', Array.from({length: 65}, (_, i) => `10.0.${i}.0/24`).join(',')])
      assert.equal(parseSourceRanges(bad), undefined, bad)
    const n = canonicalNetwork('10.0.0.0/8')!
    assert.ok(networkContains(n, '10.255.1.1') && !networkContains(n, '11.0.0.1') && !networkContains(n, '2001:db8::1'))
    assert.ok(networkContains(canonicalNetwork('2001:db8::/32')!, '2001:DB8:ffff::1'))
    assert.ok(networkContains(n, '::ffff:10.0.0.9'))
  })
  it('a bad value: the Ingress is not served (VIP2025), never served open', () => {
    const c = compile(snapshotOf(BASE + ing('a', {'vipctl.io/allow-source-ranges': '10.0.0.0/33'}, 'a.test')), {})
    assert.ok(c.model.diagnostics.some((d) => d.code === 'VIP2025' && d.field === 'metadata.annotations[vipctl.io/allow-source-ranges]'))
    assert.equal(c.model.frontends.flatMap((f) => f.routes).length, 0)
  })
})

describe('source ranges: the routing module and check trace', () => {
  const c = compile(snapshotOf(BASE + ing('office', {'vipctl.io/allow-source-ranges': '10.0.0.0/8', 'vipctl.io/deny-source-ranges': '10.9.0.0/16'}, 'office.test') + ing('open', {}, 'open.test')), {})
  const f = c.model.frontends.find((x) => x.protocol === 'http')!
  const table = routingTable(f, c.model)
  it('deny before allow; unknown source: the verdict says whom the route admits', () => {
    assert.equal(admits({allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16']}, '10.9.1.1'), false)
    assert.equal(decide(table, {host: 'office.test', path: '/', source: '10.1.1.1'}).outcome.kind, 'pool')
    assert.deepEqual(decide(table, {host: 'office.test', path: '/', source: '10.9.1.1'}).outcome, {kind: 'status', code: 403})
    assert.deepEqual(decide(table, {host: 'office.test', path: '/', source: '192.0.2.200'}).outcome, {kind: 'status', code: 403})
    assert.match(decide(table, {host: 'office.test', path: '/'}).why, /only for sources from 10\.0\.0\.0\/8; not from 10\.9\.0\.0\/16 \(others get 403\)/)
    // Another tenant's route is not restricted.
    assert.equal(decide(table, {host: 'open.test', path: '/', source: '192.0.2.200'}).outcome.kind, 'pool')
  })
  it('check trace --source: a source not admitted fails the route hop with the fix', () => {
    const t = traceRequest(c.snapshot, c.model, 'office.test/', new Date(), {}, {source: '203.0.113.5'})
    assert.equal(t.ok, false)
    const hop = t.hops.find((h) => h.hop === 'route')!
    assert.match(hop.detail, /source 203\.0\.113\.5 is not admitted \(from 10\.0\.0\.0\/8; not from 10\.9\.0\.0\/16\): 403/)
    assert.match(hop.fix!, /vipctl\.io\/allow-source-ranges of Ingress\/t\/office/)
    assert.equal(traceRequest(c.snapshot, c.model, 'office.test/', new Date(), {}, {source: '10.2.3.4'}).hops.find((h) => h.hop === 'route')!.status, 'ok')
  })
  it('a default backend cannot be restricted: not served, said (VIP2025)', () => {
    const d = compile(snapshotOf(BASE + ing('dflt', {'vipctl.io/allow-source-ranges': '10.0.0.0/8'}, 'd.test', '  defaultBackend: {service: {name: web, port: {number: 80}}}\n')), {})
    assert.ok(d.model.diagnostics.some((x) => x.code === 'VIP2025' && x.field === 'spec.defaultBackend'))
    assert.ok(d.model.frontends.every((x) => x.defaultPool === undefined))
  })
})

describe('source ranges: what the targets write', () => {
  const text = BASE + ing('office', {'vipctl.io/allow-source-ranges': '10.0.0.0/8,2001:db8::/32', 'vipctl.io/deny-source-ranges': '10.9.0.0/16'}, 'office.test') + ing('v6only', {'vipctl.io/allow-source-ranges': '2001:db8::/32'}, 'v6.test') + ing('moved', {'vipctl.io/deny-source-ranges': '203.0.113.0/24', 'vipctl.io/redirect': 'host=new.test code=301'}, 'moved.test') + ing('open', {}, 'open.test')
  const c = compile(snapshotOf(text), {})
  it('HAProxy: deny rules on the route id only, src from the connection, before the route\'s own rules', () => {
    const cfg = renderHaproxy(c, OPTS).config.files.find((x) => x.path === 'haproxy.cfg')!.content
    assert.match(cfg, /http-request deny deny_status 403 if \{ var\(txn\.rt\) -m str (_route_[0-9a-f]+) \} \{ src 10\.9\.0\.0\/16 \}/)
    assert.match(cfg, /http-request deny deny_status 403 if \{ var\(txn\.rt\) -m str _route_[0-9a-f]+ \} !\{ src 10\.0\.0\.0\/8 2001:db8::\/32 \}/)
    // The redirect route: 403 for the denied network comes before its redirect.
    const lines = cfg.split('\n')
    const redirectAt = lines.findIndex((l) => /redirect location "http:\/\/new\.test/.test(l))
    const denyAt = lines.findIndex((l) => /src 203\.0\.113\.0\/24/.test(l))
    assert.ok(denyAt > 0 && denyAt < redirectAt, `${denyAt} < ${redirectAt}`)
    assert.equal(lines.filter((l) => /deny_status 403/.test(l)).length, 4)
  })
  it('NetScaler: a 403 responder on the route\'s own lb vserver (the VIP\'s family only; an IPv6-only allow list admits no IPv4 client); before a redirect on the cs vserver', () => {
    const ns = generateNetscaler(c.model, c.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    const batch = renderBatch(ns)
    assert.match(batch, /add responder policy k8s-acl_[a-z2-7]+ "\(CLIENT\.IP\.SRC\.IN_SUBNET\(10\.9\.0\.0\/16\)\) \|\| !\(CLIENT\.IP\.SRC\.IN_SUBNET\(10\.0\.0\.0\/8\)\)" k8s-forbidden_403/)
    assert.match(batch, /add responder policy k8s-acl_[a-z2-7]+ "true" k8s-forbidden_403/)
    const acl = ns.entities.filter((e) => e.type === 'lbvserver_responderpolicy_binding')
    assert.equal(acl.length, 2)
    // Each is bound to a filter lb vserver that content switching selects for that route only.
    for (const b of acl) {
      const action = ns.entities.find((e) => e.type === 'csaction' && e.targetlbvserver === b.name)
      assert.ok(action, `${b.name} is a route's own lb vserver`)
      assert.match(b.name, /_flb_/)
    }
    const open = ns.entities.find((e) => e.type === 'cspolicy' && e.match.host === 'open.test')!
    const openAction = ns.entities.find((e) => e.type === 'csaction' && e.name === (open as {action: string}).action) as {targetlbvserver: string}
    assert.doesNotMatch(openAction.targetlbvserver, /_flb_/)
    assert.match(batch, /add responder policy k8s-192\.0\.2\.1_80_rsp403_[a-z2-7]+ ".*moved\.test.* && \(\(CLIENT\.IP\.SRC\.IN_SUBNET\(203\.0\.113\.0\/24\)\)\)" k8s-forbidden_403/)
    const bindings = ns.entities.filter((e) => e.type === 'csvserver_responderpolicy_binding').map((e) => e.policyname)
    assert.ok(bindings.findIndex((n) => n.includes('_rsp403_')) < bindings.findIndex((n) => n.includes('_rsp_')))
  })
})

describe('source ranges: every HAProxy line stays within its 64 words', () => {
  it('64 networks allowed and 64 denied: lines of at most 40 networks; allowed in any, denied in any', () => {
    const nets = (a: number) => Array.from({length: 64}, (_, i) => `10.${a}.${i}.0/24`).join(',')
    const c = compile(snapshotOf(BASE + ing('a', {'vipctl.io/allow-source-ranges': nets(1), 'vipctl.io/deny-source-ranges': nets(2)}, 'a.test')), {})
    const cfg = renderHaproxy(c, OPTS).config.files.find((x) => x.path === 'haproxy.cfg')!.content
    const longest = Math.max(...cfg.split('\n').map((l) => l.trim().split(/\s+/).length))
    assert.ok(longest <= 64, `a line of ${longest} words`)
    assert.equal((cfg.match(/set-var\(txn\.src_ok\) bool\(1\)/g) ?? []).length, 2)
    assert.equal((cfg.match(/deny deny_status 403 .*\{ src 10\.2\./g) ?? []).length, 2)
    assert.match(cfg, /deny deny_status 403 .*!\{ var\(txn\.src_ok\) -m bool \}/)
  })
})

describe('NetScaler: a redirect whose rule would be too long runs after content switching', () => {
  it('30 exact hosts of a newer tenant cannot push an older tenant\'s wildcard redirect out (no VIP3003): a cs policy selects its own lb vserver with the redirect responder', () => {
    const older = ing('a-redir', {'vipctl.io/redirect': 'host=new.example.com code=301', 'vipctl.io/allow-source-ranges': '10.0.0.0/8'}, "'*.example.com'").replace("namespace: t, annotations", "namespace: t, creationTimestamp: '2026-01-01T00:00:00Z', annotations")
    const newer = Array.from({length: 30}, (_, i) => ing(`b${i}`, {}, `h${i}.example.com`).replace('path: /,', `path: /p${i},`)).join('')
    const c = compile(snapshotOf(BASE + older + newer), {})
    const ns = generateNetscaler(c.model, c.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    assert.deepEqual(ns.diagnostics.filter((d) => d.code === 'VIP3003'), [])
    assert.ok(ns.diagnostics.some((d) => d.code === 'VIP3004' && d.object === 'Ingress/t/a-redir' && /runs after content switching/.test(d.message)))
    const rlb = ns.entities.find((e) => e.type === 'lbvserver' && e.name.includes('_rlb_'))!
    const bound = ns.entities.filter((e) => e.type === 'lbvserver_responderpolicy_binding' && e.name === (rlb as {name: string}).name).map((e) => (e as {policyname: string; priority: number}))
    // The source ranges first (90), then the redirect (100).
    assert.deepEqual(bound.map((b) => b.priority), [90, 100])
    const action = ns.entities.find((e) => e.type === 'csaction' && e.targetlbvserver === (rlb as {name: string}).name)
    assert.ok(action, 'a cs action selects it')
    // Every newer tenant's route is still switched to its own pool, and the wildcard comes after them.
    const order = ns.entities.filter((e) => e.type === 'csvserver_cspolicy_binding').map((e) => (e as {policyname: string}).policyname)
    assert.equal(order.findIndex((n) => n.includes('rd_csp_')), order.length - 1)
  })
})
