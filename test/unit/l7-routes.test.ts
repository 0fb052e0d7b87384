/**
 * Route and backend policy in the one model: the annotation grammars, what an object can and cannot do to
 * others, and one behaviour table (test/fixtures/haproxy/l7-policy.yaml) that the routing module, check trace,
 * HAProxy and NetScaler all answer alike. Requests through a real HAProxy: test/integration/l7-routes.test.ts.
 */
import assert from 'node:assert/strict'
import {loadOffline} from '../../src/cluster/offline.js'
import {WEB_BACKENDS, snapshotOf} from '../helpers/manifests.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {compile} from '../../src/model/compile.js'
import {decide, routingTable} from '../../src/model/routing.js'
import {parseHeaderRules, parseHsts, parseMemberWeights, parseRedirect, parseRetryOn, parseRewrite, parseSplit} from '../../src/model/annotations.js'
import {TEXT_FIELD_CHARS} from '../../src/model/grammar.js'
import {traceRequest} from '../../src/check/trace.js'
import {planHaproxy} from '../../src/apply/haproxy/plan.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {line, renderLine} from '../../src/targets/haproxy/syntax.js'
import {generateNetscaler, renderBatch, type NsEntity} from '../../src/targets/netscaler/generate.js'

const OPTS = {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}
const NS = {prefix: 'k8s', certDir: '/nsconfig/ssl'}
const noStdin = {readStdin: async () => ''}

const snapOf = snapshotOf

const BASE = WEB_BACKENDS
const ing = (name: string, annotations: Record<string, string>, host = 'a.test', vip = '192.0.2.1', created = '2026-01-01T00:00:00Z') => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}, namespace: t, creationTimestamp: '${created}', annotations: ${JSON.stringify({'vipctl.io/vip': vip, ...annotations})}}
spec:
  ingressClassName: vipctl
  rules: [{host: ${host}, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
`

describe('L7 route policy: annotation grammars', () => {
  it('header rules: set/add/remove lines; protected headers, "%", quotes, control characters and empty input refused', () => {
    assert.deepEqual(parseHeaderRules('remove X-A\nset X-B: one two\n  add X-C: 3  \n'), {set: [{name: 'X-B', value: 'one two'}], add: [{name: 'X-C', value: '3'}], remove: ['X-A']})
    for (const bad of ['', 'set Host: evil', 'remove Content-Length', 'set Transfer-Encoding: chunked', 'set X: %[env(HOME)]', 'set X: "q"', 'set X: a\\b', 'set X: $HOME', 'set X: a#b', 'set X: a\rb', 'set X a', 'remove X: v', 'replace X: v', 'set X\u00e9: v', 'set X: \u00e9', 'set X-A:', 'add X-A:   ', 'set X-A: 1\nset x-a: 2'])
      assert.equal(parseHeaderRules(bad), undefined, JSON.stringify(bad))
    assert.deepEqual(parseHeaderRules("set Content-Security-Policy: default-src 'self'")?.set, [{name: 'Content-Security-Policy', value: "default-src 'self'"}])
    assert.equal(parseHeaderRules(Array.from({length: 33}, (_, i) => `remove X-${i}`).join('\n')), undefined)
  })

  it('redirect: parts, default code 302, at least one part, no duplicates, path or prefix (not both)', () => {
    assert.deepEqual(parseRedirect('scheme=https'), {scheme: 'https', code: 302})
    assert.deepEqual(parseRedirect('host=New.Example.com. prefix=/v2/ code=308'), {host: 'new.example.com', path: {kind: 'prefix', value: '/v2'}, code: 308})
    for (const bad of ['code=301', 'scheme=ftp', 'host=*.example.com', 'host=a b', 'port=0', 'port=70000', 'path=/a prefix=/b', 'path=/a/../b', 'code=300', 'code=0301', 'host=a.test host=b.test', 'bogus=1', ''])
      assert.equal(parseRedirect(bad), undefined, bad)
  })

  it('rewrite, split, HSTS, retry-on and member weights', () => {
    assert.deepEqual(parseRewrite('host=in.test path=/x'), {host: 'in.test', path: {kind: 'full', value: '/x'}})
    assert.equal(parseRewrite('scheme=https'), undefined)
    assert.deepEqual(parseSplit('a=90, b=10'), [{service: 'a', weight: 90}, {service: 'b', weight: 10}])
    for (const bad of ['a=100', 'a=1,a=2', 'a=0,b=0', 'a=1001,b=1', 'A=1,b=1', 'a=-1,b=1']) assert.equal(parseSplit(bad), undefined, bad)
    assert.equal(parseHsts('max-age=600'), 'max-age=600')
    assert.equal(parseHsts('max-age=0600;includeSubDomains;  preload'), 'max-age=600; includeSubDomains; preload')
    for (const bad of ['600', 'max-age=1; foo', 'max-age=1; preload; preload']) assert.equal(parseHsts(bad), undefined, bad)
    assert.deepEqual(parseRetryOn('connect-failure, 503'), ['connect-failure', 503])
    assert.equal(parseRetryOn('200'), undefined)
    assert.deepEqual([...parseMemberWeights('10.0.0.1=3,web-0=2')!.entries()], [['10.0.0.1', 3], ['web-0', 2]])
    assert.equal(parseMemberWeights('10.0.0.1=0'), undefined)
    assert.equal(parseMemberWeights('10.0.0.1=257'), undefined)
  })

  it('the HAProxy text grammar takes every header-value character and refuses "%" and quotes', () => {
    const one = new RegExp(`^[${TEXT_FIELD_CHARS.headerValue}]$`)
    for (let cp = 0x20; cp < 0x7f; cp++) {
      const ch = String.fromCodePoint(cp)
      if (one.test(ch)) assert.doesNotThrow(() => renderLine(line('http-request', 'set-header', 'X', {text: `a${ch}b`})), JSON.stringify(ch))
    }
    assert.doesNotThrow(() => renderLine(line('http-request', 'set-header', 'X', {text: "default-src 'self'"})))
    for (const bad of ['', '%[env(HOME)]', 'a"b', 'a\\b', '$HOME', 'a#b']) assert.throws(() => renderLine(line('http-request', 'set-header', 'X', {text: bad})), /unsafe HAProxy text/)
  })
})

describe('L7 route policy: one object affects only its own routes', () => {
  it('an invalid policy key leaves out that Ingress only (VIP2025), with the grammar in the message', () => {
    const c = compile(snapOf(BASE + ing('bad', {'vipctl.io/request-headers': 'set X: %[env(HOME)]'}) + ing('good', {}, 'b.test')), {})
    const d = c.model.diagnostics.filter((x) => x.code === 'VIP2025')
    assert.equal(d.length, 1)
    assert.equal(d[0]!.object, 'Ingress/t/bad')
    assert.equal(d[0]!.field, 'metadata.annotations[vipctl.io/request-headers]')
    assert.match(d[0]!.message, /the Ingress is not served/)
    assert.deepEqual(c.model.frontends.flatMap((f) => f.routes.map((r) => r.host)), ['b.test'])
  })

  it('a header rule of one Ingress is guarded by its own route id: another tenant on the listener keeps its headers', () => {
    const c = compile(snapOf(BASE + ing('strip', {'vipctl.io/request-headers': 'remove Authorization'}) + ing('other', {}, 'b.test')), {})
    const cfg = renderHaproxy(c, OPTS).config.files[0]!.content
    const map = renderHaproxy(c, OPTS).config.files.find((f) => f.path.endsWith('.exact.map'))!.content
    const id = /^a\.test\/ (_route_[0-9a-f]{16})$/m.exec(map)?.[1]
    assert.ok(id, map)
    assert.match(map, /^b\.test\/ t_web_80$/m)
    const rules = cfg.split('\n').filter((l) => l.includes('Authorization') || l.includes('set-var(txn.rt)'))
    assert.deepEqual(rules, [`    http-request set-var(txn.rt) str(${id}) if { var(txn.be) -m str ${id} }`, `    http-request del-header Authorization if { var(txn.rt) -m str ${id} }`])
    // The id comes from what the route does: another tenant's routes coming or going never rename it.
    const alone = renderHaproxy(compile(snapOf(BASE + ing('strip', {'vipctl.io/request-headers': 'remove Authorization'})), {}), OPTS).config.files.find((f) => f.path.endsWith('.exact.map'))!.content
    assert.match(alone, new RegExp(`^a\\.test/ ${id}$`, 'm'))
  })

  it('many paths with one policy share one route id: the rules are written once', () => {
    const three = ing('many', {'vipctl.io/request-headers': 'remove Authorization'}).replace(
      'paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]',
      'paths: [{path: /a, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}, {path: /b, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}, {path: /c, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]',
    )
    const {config} = renderHaproxy(compile(snapOf(BASE + three), {}), OPTS)
    assert.equal(config.files[0]!.content.split('\n').filter((l) => l.includes('del-header Authorization')).length, 1)
    const values = config.files.find((f) => f.path.endsWith('.exact.map'))!.content.trim().split('\n').map((l) => l.split(' ')[1])
    assert.equal(values.length, 3)
    assert.equal(new Set(values).size, 1)
    assert.match(values[0]!, /^_route_[0-9a-f]{16}$/)
  })

  it('the same host and path with a different policy: the older object keeps it, the newer gets VIP2010', () => {
    const c = compile(snapOf(BASE + ing('old', {'vipctl.io/response-headers': 'set X-A: 1'}, 'a.test', '192.0.2.1', '2026-01-01T00:00:00Z') + ing('new', {'vipctl.io/response-headers': 'set X-A: 2'}, 'a.test', '192.0.2.1', '2026-02-01T00:00:00Z')), {})
    assert.deepEqual(c.model.diagnostics.filter((d) => d.code === 'VIP2010').map((d) => d.object), ['Ingress/t/new'])
    assert.deepEqual(c.model.frontends[0]!.routes[0]!.policy?.responseHeaders?.set, [{name: 'X-A', value: '1'}])
  })

  it('listener settings are the IngressClass\'s (the operator\'s): an Ingress cannot set them (VIP2012); two classes that disagree on one VIP:port: the newer Ingress is left out there (VIP2026) or keeps the listener\'s timeout (VIP2027)', () => {
    const classes = `---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: vipctl}
spec: {controller: vipctl.io/ingress-controller}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: proxied, annotations: {vipctl.io/accept-proxy: 'true', vipctl.io/timeout-client: 30s}}
spec: {controller: vipctl.io/ingress-controller}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: slow, annotations: {vipctl.io/accept-proxy: 'true', vipctl.io/timeout-client: 5m}}
spec: {controller: vipctl.io/ingress-controller}
`
    const cls = (text: string, c: string) => text.replace('ingressClassName: vipctl', `ingressClassName: ${c}`)
    const c = compile(
      snapOf(BASE + classes + cls(ing('old', {}, 'a.test', '192.0.2.1', '2026-01-01T00:00:00Z'), 'proxied') + ing('plain', {'vipctl.io/accept-proxy': 'true'}, 'b.test', '192.0.2.1', '2026-02-01T00:00:00Z') + cls(ing('late', {}, 'c.test', '192.0.2.1', '2026-03-01T00:00:00Z'), 'slow')),
      {},
    )
    assert.deepEqual(c.model.diagnostics.filter((d) => d.code === 'VIP2012').map((d) => `${d.object} ${d.field}`), ['Ingress/t/plain metadata.annotations[vipctl.io/accept-proxy]'])
    assert.deepEqual(c.model.diagnostics.filter((d) => d.code === 'VIP2026').map((d) => d.object), ['Ingress/t/plain'])
    assert.deepEqual(c.model.diagnostics.filter((d) => d.code === 'VIP2027').map((d) => d.object), ['Ingress/t/late'])
    const f = c.model.frontends[0]!
    assert.deepEqual(f.listener && {acceptProxy: f.listener.acceptProxy, clientTimeoutMs: f.listener.clientTimeoutMs, from: f.listener.provenance.object}, {acceptProxy: true, clientTimeoutMs: 30000, from: 'IngressClass/proxied'})
    assert.deepEqual(f.routes.map((r) => r.host).sort(), ['a.test', 'c.test'])
    assert.ok(!f.provenance.some((p) => p.object === 'Ingress/t/plain'))
  })

  it('a split naming a missing Service: VIP2001, its share goes to the others; a split no path uses: VIP2006', () => {
    const c = compile(snapOf(BASE + ing('split', {'vipctl.io/traffic-split': 'web=90,nosuch=10'}) + ing('unused', {'vipctl.io/traffic-split': 'x=1,y=1'}, 'b.test')), {})
    assert.ok(c.model.diagnostics.some((d) => d.code === 'VIP2001' && d.object === 'Ingress/t/split' && d.field === 'metadata.annotations[vipctl.io/traffic-split]'))
    assert.ok(c.model.diagnostics.some((d) => d.code === 'VIP2006' && d.object === 'Ingress/t/unused'))
    const v = decide(routingTable(c.model.frontends[0]!, c.model), {host: 'a.test', path: '/'})
    assert.deepEqual(v.outcome, {kind: 'pool', pool: 't/web/80'})
  })

  it('a split that leaves one Service with weight sends everything there, whichever Service the rule names', () => {
    const c = compile(snapOf(BASE + ing('all-canary', {'vipctl.io/traffic-split': 'web=0,web2=100'})), {})
    const v = decide(routingTable(c.model.frontends[0]!, c.model), {host: 'a.test', path: '/x'})
    assert.deepEqual(v.outcome, {kind: 'pool', pool: 't/web2/80'})
    assert.match(renderHaproxy(c, OPTS).config.files.find((f) => f.path.endsWith('.prefix.map'))!.content, /^a\.test\/ t_web2_80$/m)
  })

  it('prefix= on an Exact rule: the path is kept, in the model, both targets and trace (VIP2006); a redirect that changes nothing is not made; HSTS without TLS is said', () => {
    const exact = ing('ex', {'vipctl.io/rewrite': 'host=in.test prefix=/v2'}).replace('pathType: Prefix', 'pathType: Exact')
    const loop = ing('loop', {'vipctl.io/redirect': 'host=b.test code=301'}, 'b.test')
    const hsts = ing('hsts', {'vipctl.io/hsts': 'max-age=60'}, 'c.test')
    const samePrefix = ing('same-prefix', {'vipctl.io/redirect': 'prefix=/'}, 'd.test')
    const underRule = ing('under-rule', {'vipctl.io/redirect': 'path=/welcome'}, 'e.test')
    const elsewhere = ing('elsewhere', {'vipctl.io/redirect': 'host=new.test path=/welcome'}, 'f.test')
    const c = compile(snapOf(BASE + exact + loop + hsts + samePrefix + underRule + elsewhere), {})
    const msgs = c.model.diagnostics.filter((d) => d.code === 'VIP2006').map((d) => `${d.object} ${d.message}`)
    assert.ok(msgs.some((m) => m.startsWith('Ingress/t/ex prefix= replaces what a Prefix rule matched; the Exact path / keeps its path')), msgs.join('\n'))
    assert.ok(msgs.some((m) => m.startsWith('Ingress/t/loop on HTTP 192.0.2.1:80 the redirect for b.test/ would send every request back to the same URL')), msgs.join('\n'))
    assert.ok(msgs.some((m) => m.startsWith('Ingress/t/hsts the Ingress has no TLS')), msgs.join('\n'))
    for (const n of ['same-prefix', 'under-rule']) assert.ok(msgs.some((m) => m.startsWith(`Ingress/t/${n} on HTTP 192.0.2.1:80 the redirect for`) && m.includes('back to the same URL')), `${n}: ${msgs.join('\n')}`)
    assert.ok(!msgs.some((m) => m.startsWith('Ingress/t/elsewhere')))
    assert.equal(decide(routingTable(c.model.frontends[0]!, c.model), {host: 'f.test', path: '/x'}).location, 'http://new.test/welcome')
    const table = routingTable(c.model.frontends[0]!, c.model)
    assert.deepEqual(decide(table, {host: 'a.test', path: '/'}).rewritten, {host: 'in.test', path: '/'})
    assert.deepEqual(decide(table, {host: 'b.test', path: '/'}).outcome, {kind: 'pool', pool: 't/web/80'})
    // Only the redirect that goes elsewhere sets a path (f.test's /welcome); the Exact rewrite keeps its path.
    assert.deepEqual(renderHaproxy(c, OPTS).config.files[0]!.content.split('\n').filter((l) => l.includes('set-path')).map((l) => l.trim().split(' ').slice(0, 3).join(' ')), ['http-request set-path /welcome'])
  })

  it('route keys on a Service and Service keys on an Ingress are reported as having no effect (VIP2012)', () => {
    const c = compile(snapOf(BASE.replace('metadata: {name: web, namespace: t}', "metadata: {name: web, namespace: t, annotations: {vipctl.io/redirect: 'scheme=https'}}") + ing('i', {'vipctl.io/max-connections': '5'})), {})
    assert.ok(c.model.diagnostics.some((d) => d.code === 'VIP2012' && d.object === 'Service/t/web'))
    assert.ok(c.model.diagnostics.some((d) => d.code === 'VIP2012' && d.object === 'Ingress/t/i'))
  })
})

/**
 * The behaviour table over the l7-policy fixture: each request and what every consumer must say about it.
 * outcome: 'pool:<id>' | 'split:<id>=<w>,...' | 'redirect:<code> <location>'; rewritten: host+path the member sees.
 */
const TABLE: Array<{host: string; path: string; frontend: string; outcome: string; rewritten?: string; headers?: string}> = [
  {host: 'app.example.com', path: '/', frontend: 'http_192-0-2-70_80', outcome: 'split:l7/web/80=90,l7/web-canary/80=10'},
  {host: 'app.example.com', path: '/legacy/a', frontend: 'http_192-0-2-70_80', outcome: 'pool:l7/web/80', rewritten: 'internal.example.com/a'},
  {host: 'app.example.com', path: '/legacy', frontend: 'http_192-0-2-70_80', outcome: 'pool:l7/web/80', rewritten: 'internal.example.com/'},
  {host: 'app.example.com', path: '/legacyx', frontend: 'http_192-0-2-70_80', outcome: 'split:l7/web/80=90,l7/web-canary/80=10'},
  {host: 'old.example.com', path: '/v1/x', frontend: 'http_192-0-2-70_80', outcome: 'redirect:301 http://new.example.com/v2/x'},
  {host: 'shop.example.com', path: '/api/x', frontend: 'http_192-0-2-70_80', outcome: 'redirect:308 https://shop.example.com/api/x'},
  {host: 'shop.example.com', path: '/api/x', frontend: 'https_192-0-2-70_443', outcome: 'pool:l7/web/80', headers: 'request headers: remove X-Internal-Token; set X-Env: production; add X-Trace: vipctl | response headers: remove Server; set Cache-Control: no-store; set Strict-Transport-Security: max-age=31536000; includeSubDomains'},
]

describe('L7 route policy: one behaviour table for the routing module, trace and both targets', () => {
  let c: ReturnType<typeof compile>
  before(async () => {
    c = compile(await loadOffline({filenames: ['test/fixtures/haproxy/l7-policy.yaml'], strict: false}, noStdin), {})
  })

  const outcomeOf = (o: ReturnType<typeof decide>): string =>
    o.outcome.kind === 'pool'
      ? o.outcome.split
        ? `split:${o.outcome.split.map((b) => `${b.pool}=${b.weight}`).join(',')}`
        : `pool:${o.outcome.pool}`
      : o.outcome.kind === 'redirect'
        ? `redirect:${o.outcome.code} ${o.location}`
        : `status:${o.outcome.code}`

  it('the routing module decides every row', () => {
    for (const row of TABLE) {
      const f = c.model.frontends.find((x) => x.id === row.frontend)!
      const v = decide(routingTable(f, c.model), {host: row.host, path: row.path})
      const label = `${row.frontend} ${row.host}${row.path}`
      assert.equal(outcomeOf(v), row.outcome, label)
      assert.equal(v.rewritten ? `${v.rewritten.host}${v.rewritten.path}` : undefined, row.rewritten, label)
    }
  })

  it('check trace says the same: split shares, redirect locations, rewrites and header rules', () => {
    for (const row of TABLE.filter((r) => r.frontend.startsWith('https') || !TABLE.some((x) => x.host === r.host && x.path === r.path && x.frontend.startsWith('https')))) {
      const t = traceRequest(c.snapshot, c.model, `${row.host}${row.path}`, new Date('2026-11-29T00:00:00Z'))
      const text = t.hops.map((h) => h.detail).join('\n')
      const label = `${row.host}${row.path}`
      if (row.outcome.startsWith('split:')) assert.match(text, /split 90% l7\/web\/80, 10% l7\/web-canary\/80/, label)
      if (row.outcome.startsWith('redirect:301')) assert.match(text, /redirects \(301\) to http:\/\/new\.example\.com\/v2\/x/, label)
      if (row.rewritten) assert.match(text, new RegExp(`rewritten to ${row.rewritten.replace(/[.]/g, '[.]')}`), label)
      if (row.headers) assert.ok(text.includes(row.headers), `${label}: ${text}`)
    }
  })

  it('HAProxy: each policy route is one map entry naming its route id, and its rules are guarded by that id', () => {
    const {config} = renderHaproxy(c, OPTS)
    const cfg = config.files[0]!.content
    const exact = config.files.find((f) => f.path === 'maps/http_192-0-2-70_80.exact.map')!.content
    const id = (key: string) => new RegExp(`^${key.replace(/[.]/g, '[.]')} (\\S+)$`, 'm').exec(exact)?.[1]
    const canary = id('app.example.com/')!
    assert.match(canary, /^_route_[0-9a-f]{16}$/)
    assert.ok(cfg.includes(`http-request set-var(txn.pick) rand(100) if { var(txn.rt) -m str ${canary} }`))
    assert.ok(cfg.includes(`http-request set-var(txn.be) str(l7_web_80) if { var(txn.rt) -m str ${canary} } { var(txn.pick) -m int ge 0 } { var(txn.pick) -m int lt 90 }`))
    assert.ok(cfg.includes(`http-request set-var(txn.be) str(l7_web-canary_80) if { var(txn.rt) -m str ${canary} } { var(txn.pick) -m int ge 90 } { var(txn.pick) -m int lt 100 }`))
    const moved = id('old.example.com/v1')!
    assert.ok(cfg.includes(`http-request redirect location "http://new.example.com%[pathq]" code 301 if { var(txn.rt) -m str ${moved} }`))
    assert.ok(cfg.includes(`http-request set-path %[path,regsub(^/v1,/v2)] if { var(txn.rt) -m str ${moved} }`))
  })

  it('NetScaler: the split\'s policies give each pool exactly its weight; rules and headers are limited to their decision', () => {
    const ns = generateNetscaler(c.model, c.secrets, NS)
    const cs = ns.entities.filter((e): e is Extract<NsEntity, {type: 'cspolicy'}> => e.type === 'cspolicy' && e.match.host === 'app.example.com' && e.match.path === '/')
    // Policies in priority order: each takes weight/left of what the earlier ones left.
    let remaining = 1
    const shares: number[] = []
    for (const p of cs) {
      const m = /SYS\.RANDOM\.MUL\(([0-9]+)\)\.LT\(([0-9]+)\)$/.exec(p.rule)
      const take = m ? Number(m[2]) / Number(m[1]) : 1
      shares.push(remaining * take)
      remaining *= 1 - take
    }
    assert.deepEqual(shares.map((x) => Math.round(x * 1000) / 1000), [0.9, 0.1])
    const batch = renderBatch(ns)
    assert.match(batch, /^add responder action k8s-192\.0\.2\.70_80_rda_\w+ redirect "\\"http:\/\/\\" \+ \\"new\.example\.com\\" \+ \\"\/v2\\" \+ HTTP\.REQ\.URL\.PATH_AND_QUERY\.AFTER_STR\(\\"\/v1\\"\)" -responseStatusCode 301$/m)
    assert.match(batch, /^add rewrite action \S+ insert_http_header Strict-Transport-Security "\\"max-age=31536000; includeSubDomains\\""$/m)
    assert.match(batch, /^bind serviceGroup k8s-web_80_sgp_\w+ 10\.3\.0\.1 8080 -weight 3$/m)
    assert.match(batch, /^add serviceGroup k8s-web_80_sgp_\w+ HTTP -maxClient 200 /m)
    assert.match(batch, /^set ssl serviceGroup k8s-secure_443_sgp_\w+ -serverAuth ENABLED -SNIEnable ENABLED -commonName shop\.example\.com$/m)
    assert.match(batch, /^add netProfile k8s-proxy_v2_netprofile -proxyProtocol ENABLED -proxyProtocolTxVersion V2$/m)
  })
})

describe('L7 route policy on NetScaler: a route\'s rules live on its own lb vserver', () => {
  it('a catch-all route\'s header rule stays whole however many routes another tenant adds (no expression grows with them)', () => {
    const paths = Array.from({length: 40}, (_, i) => `{path: /p${i}, pathType: Prefix, backend: {service: {name: web2, port: {number: 80}}}}`).join(', ')
    const evil = ing('evil', {'vipctl.io/rewrite': 'prefix=/x'}, 'evil.test').replace('paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]', `paths: [${paths}]`)
    const good = ing('good', {'vipctl.io/request-headers': 'set X-Good: 1'}).replace('{host: a.test, http:', '{http:')
    const c = compile(snapOf(BASE + good + evil), {})
    const ns = generateNetscaler(c.model, c.secrets, NS)
    assert.deepEqual(ns.diagnostics.filter((d) => d.code === 'VIP3003'), [])
    const rw = ns.entities.filter((e): e is Extract<NsEntity, {type: 'rewritepolicy'}> => e.type === 'rewritepolicy' && !e.name.includes('-fwd_'))
    assert.ok(rw.every((e) => e.rule === 'true'))
    // Each route's policies are bound to the lb vserver its cs action targets, and to no cs vserver.
    const boundTo = (host: string, path: string) => {
      const pol = ns.entities.find((e): e is Extract<NsEntity, {type: 'cspolicy'}> => e.type === 'cspolicy' && e.match.host === host && e.match.path === path)!
      const action = ns.entities.find((e): e is Extract<NsEntity, {type: 'csaction'}> => e.type === 'csaction' && e.name === pol.action)!
      assert.match(action.targetlbvserver, /_flb_/)
      return ns.entities.filter((e) => e.type === 'lbvserver_rewritepolicy_binding' && e.name === action.targetlbvserver).map((e) => (e as {policyname: string}).policyname)
    }
    assert.equal(boundTo('', '/').length, 2) // delete + insert of X-Good
    assert.equal(boundTo('evil.test', '/p7').length, 1)
    assert.equal(rw.length, 2 + 40) // one prefix rewrite per matched prefix
    assert.ok(!ns.entities.some((e) => e.type === 'csvserver_rewritepolicy_binding' && !e.policyname.includes('-fwd_')))
  })
})

/** A LoadBalancer Service (extra annotations appended) selecting one Pod whose container has `probe` (YAML lines). */
function lbWithPod(annotations: string, probe: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: web, namespace: t, annotations: {vipctl.io/vip: 192.0.2.5${annotations}}}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: t, labels: {app: web}}
spec:
  containers:
    - name: app
      image: example
      ports: [{containerPort: 8080}]
${probe}`
}

describe('L7 backend policy', () => {
  it('probe httpHeaders go with the HAProxy check and the NetScaler monitor; a header outside the grammar is left out (VIP2003)', () => {
    const c = compile(snapOf(lbWithPod('', "      readinessProbe: {httpGet: {path: /ready, port: 8080, httpHeaders: [{name: Host, value: web.internal}, {name: X-Bad, value: '%[env(HOME)]'}]}}\n")), {})
    const mon = c.model.pools[0]!.monitor
    assert.deepEqual(mon.kind === 'http' && mon.headers, [{name: 'Host', value: 'web.internal'}])
    assert.ok(c.model.diagnostics.some((d) => d.code === 'VIP2003' && d.field?.endsWith('httpHeaders[1]')))
    assert.match(renderHaproxy(c, OPTS).config.files[0]!.content, /http-check send meth GET uri \/ready hdr Host "web\.internal"/)
    assert.match(renderBatch(generateNetscaler(c.model, c.secrets, NS)), /-customHeaders "Host: web\.internal\\r\\n"/)
  })

  it('vipctl.io/check-status sets the statuses the HTTP check accepts (both targets); on a TCP check it has no effect (VIP2006)', () => {
    const text = (probe: string) => lbWithPod(', vipctl.io/check-status: 200-204', probe)
    const c = compile(snapOf(text('      readinessProbe: {httpGet: {path: /ready, port: 8080}}\n')), {})
    assert.match(renderHaproxy(c, OPTS).config.files[0]!.content, /http-check expect status 200-204\n/)
    assert.match(renderBatch(generateNetscaler(c.model, c.secrets, NS)), /-respCode 200-204 /)
    const tcp = compile(snapOf(text('')), {})
    assert.ok(tcp.model.diagnostics.some((d) => d.code === 'VIP2006' && d.field === 'metadata.annotations[vipctl.io/check-status]'))
  })

  it('a member weight that changes is set through the runtime API, without a reload', () => {
    const text = (w: number) => `${BASE.replace('metadata: {name: web, namespace: t}', `metadata: {name: web, namespace: t, annotations: {vipctl.io/member-weights: '10.1.0.1=${w}'}}`)}${ing('i', {})}`
    const before = renderHaproxy(compile(snapOf(text(2)), {}), OPTS).config
    const after = renderHaproxy(compile(snapOf(text(5)), {}), OPTS).config
    const running = before.servers.map((s) => ({backend: s.backend, server: s.server, address: s.address, port: s.port, opState: 2, adminState: s.enabled ? 0 : 1, enabled: s.enabled, weight: s.weight}))
    const current = before.files.map((f) => ({path: f.path, content: f.content, mode: f.mode}))
    const plan = planHaproxy(current, after, running)
    assert.equal(plan.kind, 'runtime', plan.reasons.join('; '))
    assert.deepEqual(plan.servers.flatMap((s) => s.commands), ['set server t_web_80/SRV_1 weight 5'])
  })

  it('h2c and PROXY protocol on a TCP frontend: TCP is passed through (VIP3001 for h2c), the PROXY header is sent', () => {
    const c = compile(snapOf(`apiVersion: v1
kind: Service
metadata: {name: db, namespace: t, annotations: {vipctl.io/vip: 192.0.2.6, vipctl.io/backend-protocol: h2c, vipctl.io/proxy-protocol: v1}}
spec: {type: LoadBalancer, ports: [{port: 5432}]}
`), {})
    const r = renderHaproxy(c, OPTS)
    assert.ok(r.diagnostics.some((d) => d.code === 'VIP3001' && d.field === 'metadata.annotations[vipctl.io/backend-protocol]'))
    assert.match(r.config.files[0]!.content, /server SRV_1 0\.0\.0\.0:0 check inter 2000ms fall 3 rise 2 send-proxy disabled/)
  })
})
