/**
 * Gateway API in the one model: the CRDs' validation at intake, attachment with the spec's reasons, references
 * (ReferenceGrant), the precedence of matches in the routing module, and rules that answer 500. Requests through a
 * real HAProxy: test/integration/gateway-haproxy.test.ts.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {WEB_BACKENDS, snapshotOf} from '../helpers/manifests.js'
import {compile} from '../../src/model/compile.js'
import {decide, misdirected, routingTable, type RoutedRequest} from '../../src/model/routing.js'
import {durationMs, intersectHostnames} from '../../src/model/gateway.js'
import {traceRequest} from '../../src/check/trace.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {generateNetscaler, renderBatch} from '../../src/targets/netscaler/generate.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'

const CLASS = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: vipctl}
spec: {controllerName: vipctl.io/gateway-controller}
`
/** Gateway t/gw on 192.0.2.50 with an HTTP listener "web" on 80 (hostname and allowedRoutes given). */
const gateway = (listeners = `[{name: web, port: 80, protocol: HTTP}]`, name = 'gw', ns = 't') => `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: ${ns}, generation: 3}
spec:
  gatewayClassName: vipctl
  addresses: [{type: IPAddress, value: 192.0.2.50}]
  listeners: ${listeners}
`
const route = (name: string, spec: string, ns = 't', created = '2026-01-01T00:00:00Z') => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ${ns}, creationTimestamp: '${created}', generation: 2}
spec: ${spec}
`
const build = (text: string) => compile(snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`), {})

function ask(text: string, req: Omit<RoutedRequest, 'host' | 'path'> & {host: string; path: string}) {
  const {model} = build(text)
  const f = model.frontends.find((x) => x.address === '192.0.2.50' && x.port === 80)
  assert.ok(f, `no frontend: ${model.diagnostics.map((d) => d.message).join('; ')}`)
  return decide(routingTable(f, model), req)
}
const codes = (text: string) => build(text).model.diagnostics.map((d) => `${d.code} ${d.object} ${d.field ?? ''} ${d.message}`)

describe('Gateway API: intake with the CRDs\' validation', () => {
  for (const [what, text, field] of [
    ['a redirect beside backendRefs', route('r', `{parentRefs: [{name: gw}], rules: [{filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}], backendRefs: [{name: web, port: 80}]}]}`), 'spec.rules[0].filters'],
    ['a Service backendRef without a port', route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web}]}]}`), 'spec.rules[0].backendRefs[0].port'],
    ['two listeners of one name', gateway(`[{name: a, port: 80, protocol: HTTP}, {name: a, port: 81, protocol: HTTP}]`), 'spec.listeners[1].name'],
    ['tls on an HTTP listener', gateway(`[{name: a, port: 80, protocol: HTTP, tls: {certificateRefs: [{name: x}]}}]`), 'spec.listeners[0].tls'],
    ['a path with "//"', route('r', `{parentRefs: [{name: gw}], rules: [{matches: [{path: {type: PathPrefix, value: /a//b}}], backendRefs: [{name: web, port: 80}]}]}`), 'spec.rules[0].matches[0].path.value'],
    ['a header match name with a space', route('r', `{parentRefs: [{name: gw}], rules: [{matches: [{headers: [{name: 'a b', value: x}]}], backendRefs: [{name: web, port: 80}]}]}`), 'spec.rules[0].matches[0].headers[0].name'],
    ['an IP address as a hostname', route('r', `{parentRefs: [{name: gw}], hostnames: [192.0.2.1], rules: [{backendRefs: [{name: web, port: 80}]}]}`), 'spec.hostnames'],
    ['a prefix replacement on an Exact match', route('r', `{parentRefs: [{name: gw}], rules: [{matches: [{path: {type: Exact, value: /a}}], filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}], backendRefs: [{name: web, port: 80}]}]}`), 'spec.rules[0].filters'],
  ] as const)
    it(`refuses ${what} (VIP1001 naming the field), and loads the rest`, () => {
      const snap = snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`)
      const d = snap.diagnostics.find((x) => x.code === 'VIP1001')
      assert.ok(d, `no VIP1001 for ${what}`)
      assert.ok(d.field?.startsWith(field), `${d.field} is not under ${field}`)
      assert.equal(snap.services.length, 2)
    })

  it('reads v1beta1 and v1 alike; a route a listener does not carry is said (never a silent skip)', () => {
    const snap = snapshotOf(`${CLASS}---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {name: gw, namespace: t}
spec: {gatewayClassName: vipctl, listeners: [{name: web, port: 80, protocol: HTTP}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: UDPRoute
metadata: {name: dns, namespace: t}
spec: {parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}]}]}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TLSRoute
metadata: {name: old, namespace: t}
spec: {}
`)
    assert.equal(snap.gateways.length, 1)
    assert.equal(snap.skipped.size, 0)
    assert.ok(snap.diagnostics.some((d) => d.code === 'VIP1003' && d.object === 'TLSRoute/t/old'), 'another version of a kind vipctl reads is a finding')
    const {model} = compile(snap, {})
    assert.equal(snap.udpRoutes.length, 1)
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP6001' && d.object === 'UDPRoute/t/dns' && d.message.includes('NotAllowedByListeners')))
  })
})

describe('Gateway API: attachment, with the spec\'s reasons', () => {
  const WEB = `{backendRefs: [{name: web, port: 80}]}`
  it('attaches a route to the listener its parentRef names, counts it, and writes status with observedGeneration', () => {
    const {model} = build(`${gateway(`[{name: web, port: 80, protocol: HTTP}, {name: alt, port: 8080, protocol: HTTP}]`)}${route('r', `{parentRefs: [{name: gw, sectionName: alt}], rules: [${WEB}]}`)}`)
    const g = model.gatewayApi!.gateways[0]!
    assert.deepEqual(g.listeners.map((l) => [l.name, l.attachedRoutes]), [['web', 0], ['alt', 1]])
    assert.deepEqual(g.addresses, ['192.0.2.50'])
    assert.ok(g.conditions.every((c) => c.observedGeneration === 3 && c.status === 'True'), JSON.stringify(g.conditions))
    const p = model.gatewayApi!.routes[0]!.parents[0]!
    assert.equal(p.controllerName, 'vipctl.io/gateway-controller')
    assert.deepEqual(p.conditions.map((c) => [c.type, c.status, c.reason, c.observedGeneration]), [['Accepted', 'True', 'Accepted', 2], ['ResolvedRefs', 'True', 'ResolvedRefs', 2]])
    assert.ok(model.frontends.some((f) => f.port === 8080 && f.routes.length === 1))
    assert.ok(model.frontends.some((f) => f.port === 80 && f.routes.length === 0))
  })

  for (const [reason, gw, spec, ns] of [
    ['NoMatchingParent', gateway(), `{parentRefs: [{name: gw, sectionName: nope}], rules: [${WEB}]}`, 't'],
    ['NoMatchingParent', gateway(), `{parentRefs: [{name: gw, port: 81}], rules: [${WEB}]}`, 't'],
    ['NotAllowedByListeners', gateway(), `{parentRefs: [{name: gw, namespace: t}], rules: [${WEB}]}`, 'other'],
    ['NotAllowedByListeners', gateway(`[{name: web, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: GRPCRoute}]}}]`), `{parentRefs: [{name: gw}], rules: [${WEB}]}`, 't'],
    ['NotAllowedByListeners', gateway(`[{name: web, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}}]`), `{parentRefs: [{name: gw, namespace: t}], rules: [${WEB}]}`, 'other'],
    ['NoMatchingListenerHostname', gateway(`[{name: web, port: 80, protocol: HTTP, hostname: a.example.com}]`), `{parentRefs: [{name: gw}], hostnames: [b.example.com], rules: [${WEB}]}`, 't'],
  ] as const)
    it(`a route the listener does not take: Accepted=False, reason ${reason}, a VIP6001 finding, and no route served`, () => {
      const {model} = build(`${gw}${route('r', spec, ns)}`)
      const p = model.gatewayApi!.routes[0]!.parents[0]!
      const accepted = p.conditions.find((c) => c.type === 'Accepted')!
      assert.equal(accepted.status, 'False')
      assert.equal(accepted.reason, reason)
      assert.ok(model.diagnostics.some((d) => d.code === 'VIP6001' && d.message.includes(reason)))
      assert.ok(model.frontends.every((f) => f.routes.length === 0))
      assert.equal(model.gatewayApi!.gateways[0]!.listeners[0]!.attachedRoutes, 0)
    })

  it('a namespace selector admits the namespaces whose labels match (the Namespace objects are read)', () => {
    const text = `${gateway(`[{name: web, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}}]`)}---
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {team: a}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec: {ports: [{port: 80}]}
${route('r', `{parentRefs: [{name: gw, namespace: t}], rules: [${WEB}]}`, 'other')}`
    const {model} = build(text)
    assert.equal(model.gatewayApi!.routes[0]!.parents[0]!.conditions[0]!.status, 'True')
  })

  it('hostname intersection: the more specific name, wildcards matching one or more labels', () => {
    assert.deepEqual(intersectHostnames(undefined, []), [''])
    assert.deepEqual(intersectHostnames('*.example.com', []), ['*.example.com'])
    assert.deepEqual(intersectHostnames('*.example.com', ['a.example.com', 'a.b.example.com', 'example.com', 'x.org']), ['a.example.com', 'a.b.example.com'])
    assert.deepEqual(intersectHostnames('a.example.com', ['*.example.com']), ['a.example.com'])
    assert.deepEqual(intersectHostnames('*.example.com', ['*.b.example.com']), ['*.b.example.com'])
    assert.deepEqual(intersectHostnames('*.b.example.com', ['*.example.com']), ['*.b.example.com'])
    assert.deepEqual(intersectHostnames('a.example.com', ['b.example.com']), [])
  })

  it('backend references: BackendNotFound, InvalidKind and RefNotPermitted are answered 500; a ReferenceGrant admits', () => {
    const grant = `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: other}
spec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: t}], to: [{group: '', kind: Service}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec: {ports: [{port: 80}]}
`
    const rules = `{parentRefs: [{name: gw}], rules: [
      {matches: [{path: {value: /missing}}], backendRefs: [{name: nope, port: 80}]},
      {matches: [{path: {value: /port}}], backendRefs: [{name: web, port: 81}]},
      {matches: [{path: {value: /kind}}], backendRefs: [{group: example.com, kind: Bucket, name: b}]},
      {matches: [{path: {value: /cross}}], backendRefs: [{name: web, namespace: other, port: 80}]}]}`
    for (const [text, crossOk] of [[`${gateway()}${route('r', rules)}`, false], [`${gateway()}${route('r', rules)}${grant}`, true]] as const) {
      const {model} = build(text)
      const t = routingTable(model.frontends[0]!, model)
      const at = (path: string) => decide(t, {host: 'x', path}).outcome
      assert.deepEqual(at('/missing'), {kind: 'status', code: 500, reason: 'no backendRef of the rule can be resolved'})
      assert.equal((at('/port') as {code?: number}).code, 500)
      assert.equal((at('/kind') as {code?: number}).code, 500)
      assert.deepEqual(at('/cross'), crossOk ? {kind: 'pool', pool: 'other/web/80'} : {kind: 'status', code: 500, reason: 'no backendRef of the rule can be resolved'})
      const refs = model.gatewayApi!.routes[0]!.parents[0]!.conditions.find((c) => c.type === 'ResolvedRefs')!
      assert.equal(refs.status, 'False')
      assert.equal(refs.reason, 'BackendNotFound')
      const reasons = model.diagnostics.filter((d) => d.code === 'VIP6002').map((d) => /reason (\w+)/.exec(d.message)?.[1])
      assert.deepEqual(reasons, crossOk ? ['BackendNotFound', 'BackendNotFound', 'InvalidKind'] : ['BackendNotFound', 'BackendNotFound', 'InvalidKind', 'RefNotPermitted'])
    }
  })

  it('a listener whose certificate is in another namespace without a ReferenceGrant is not served (RefNotPermitted)', () => {
    const {model} = build(gateway(`[{name: tls, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: shop-tls, namespace: shop}]}}]`))
    const l = model.gatewayApi!.gateways[0]!.listeners[0]!
    assert.deepEqual(l.conditions.find((c) => c.type === 'ResolvedRefs')?.reason, 'RefNotPermitted')
    assert.equal(l.conditions.find((c) => c.type === 'Programmed')?.status, 'False')
    assert.ok(!model.frontends.some((f) => f.port === 443))
  })

  it('a Gateway of another class is reported (VIP6003) and not served; its routes get no status from vipctl', () => {
    const {model} = build(`${gateway().replace('gatewayClassName: vipctl', 'gatewayClassName: other')}${route('r', `{parentRefs: [{name: gw}], rules: [${WEB}]}`)}`)
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP6003'))
    assert.equal(model.frontends.length, 0)
    assert.equal(model.gatewayApi?.routes.length ?? 0, 0)
  })
})

describe('Gateway API: matches, precedence and filters in the routing module', () => {
  const two = (a: string, b: string) => `${gateway()}${route('a', `{parentRefs: [{name: gw}], rules: [${a}]}`)}${route('b', `{parentRefs: [{name: gw}], rules: [${b}]}`, 't', '2026-02-01T00:00:00Z')}`
  const to = (svc: string, match: string) => `{matches: [${match}], backendRefs: [{name: ${svc}, port: 80}]}`

  it('a header match beats the same path without one; when the header is missing the next rule answers', () => {
    const text = two(to('web', '{path: {value: /api}}'), to('web2', '{path: {value: /api}, headers: [{name: X-Version, value: "2"}]}'))
    assert.deepEqual(ask(text, {host: 'h', path: '/api/x', headers: [['x-version', '2']]}).outcome, {kind: 'pool', pool: 't/web2/80'})
    assert.deepEqual(ask(text, {host: 'h', path: '/api/x', headers: [['x-version', '3']]}).outcome, {kind: 'pool', pool: 't/web/80'})
    assert.deepEqual(ask(text, {host: 'h', path: '/api/x'}).outcome, {kind: 'pool', pool: 't/web/80'})
  })

  it('a longer path beats more conditions; a method beats headers; more headers beat fewer; query parameters count', () => {
    const longer = two(to('web', '{path: {value: /api/v1}}'), to('web2', '{path: {value: /api}, headers: [{name: a, value: b}]}'))
    assert.equal((ask(longer, {host: 'h', path: '/api/v1', headers: [['a', 'b']]}).outcome as {pool: string}).pool, 't/web/80')
    const method = two(to('web', '{path: {value: /}, headers: [{name: a, value: b}]}'), to('web2', '{path: {value: /}, method: POST}'))
    assert.equal((ask(method, {host: 'h', path: '/', method: 'POST', headers: [['a', 'b']]}).outcome as {pool: string}).pool, 't/web2/80')
    const more = two(to('web', '{path: {value: /}, headers: [{name: a, value: b}]}'), to('web2', '{path: {value: /}, headers: [{name: a, value: b}, {name: c, value: d}]}'))
    assert.equal((ask(more, {host: 'h', path: '/', headers: [['a', 'b'], ['c', 'd']]}).outcome as {pool: string}).pool, 't/web2/80')
    const query = two(to('web', '{path: {value: /}}'), to('web2', '{path: {value: /}, queryParams: [{name: v, value: "2"}]}'))
    assert.equal((ask(query, {host: 'h', path: '/', query: 'x=1&v=2'}).outcome as {pool: string}).pool, 't/web2/80')
    assert.equal((ask(query, {host: 'h', path: '/', query: 'v=3&v=2'}).outcome as {pool: string}).pool, 't/web/80', 'the first value of a parameter counts')
  })

  it('identical matches in two routes: the older route keeps them (VIP2010 on the newer)', () => {
    const text = two(to('web', '{path: {value: /}, headers: [{name: a, value: b}]}'), to('web2', '{path: {value: /}, headers: [{name: a, value: b}]}'))
    assert.equal((ask(text, {host: 'h', path: '/', headers: [['a', 'b']]}).outcome as {pool: string}).pool, 't/web/80')
    assert.ok(codes(text).some((c) => c.startsWith('VIP2010 HTTPRoute/t/b')))
  })

  it('wildcard hostnames match one or more labels, the longest first; an exact hostname beats them', () => {
    const text = `${gateway()}${route('a', `{parentRefs: [{name: gw}], hostnames: ['*.example.com'], rules: [${to('web', '{path: {value: /}}')}]}`)}${route('b', `{parentRefs: [{name: gw}], hostnames: ['*.b.example.com'], rules: [${to('web2', '{path: {value: /}}')}]}`)}`
    const pool = (host: string) => (ask(text, {host, path: '/'}).outcome as {pool?: string}).pool ?? 'none'
    assert.equal(pool('a.example.com'), 't/web/80')
    assert.equal(pool('x.y.example.com'), 't/web/80')
    assert.equal(pool('x.b.example.com'), 't/web2/80')
    assert.equal(pool('x.y.b.example.com'), 't/web2/80')
    assert.equal(pool('example.com'), 'none')
  })

  it('filters become the route policy: header modifiers, redirect, rewrite, timeouts; weights a split', () => {
    const text = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [
      {matches: [{path: {value: /r}}], filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]},
      {matches: [{path: {value: /w}}], filters: [{type: URLRewrite, urlRewrite: {hostname: in.example, path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}, {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-A, value: b}], remove: [X-B]}}], backendRefs: [{name: web, port: 80, weight: 3}, {name: web2, port: 80, weight: 1}], timeouts: {request: 2s, backendRequest: 500ms}}]}`)}`
    const r = ask(text, {host: 'h', path: '/r/x'})
    assert.equal(r.location, 'https://h/r/x')
    assert.equal((r.outcome as {code: number}).code, 301)
    const w = ask(text, {host: 'h', path: '/w/x'})
    assert.deepEqual(w.outcome, {kind: 'pool', pool: 't/web/80', split: [{pool: 't/web/80', weight: 3}, {pool: 't/web2/80', weight: 1}]})
    assert.deepEqual(w.rewritten, {host: 'in.example', path: '/v2/x'})
    assert.equal(w.decision?.filters?.timeoutMs, 500)
    assert.deepEqual(w.decision?.filters?.requestHeaders, {set: [{name: 'X-A', value: 'b'}], add: [], remove: ['X-B']})
    assert.equal(durationMs('1h2m3s4ms'), 3_723_004)
    assert.equal(durationMs('10x'), undefined)
  })

  it('the spec\'s edges: no matches is PathPrefix "/", a prefix replacement\'s trailing "/" is not doubled, an empty one is "/", timers capped', () => {
    const text = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [
      {matches: [], backendRefs: [{name: web, port: 80}]},
      {matches: [{path: {value: /pfx/}}], filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new/}}}]},
      {matches: [{path: {value: /rw}}], filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: ''}}}], backendRefs: [{name: web, port: 80}], timeouts: {backendRequest: 99999h}}]}`)}`
    assert.equal((ask(text, {host: 'h', path: '/anything'}).outcome as {pool?: string}).pool, 't/web/80')
    assert.equal(ask(text, {host: 'h', path: '/pfx/a'}).location, 'http://h/new/a')
    assert.deepEqual(ask(text, {host: 'h', path: '/rw/a'}).rewritten, {host: 'h', path: '/a'})
    assert.equal(ask(text, {host: 'h', path: '/rw/a'}).decision?.filters?.timeoutMs, 2_147_483_647)
    assert.ok(codes(text).some((c) => c.startsWith('VIP2015') && c.includes('timeouts.backendRequest')))
  })

  it('a route hostname outside the host grammar is not served; with none left the route attaches nowhere (never to every host)', () => {
    const long = `${'a'.repeat(64)}.example.com`
    const text = `${gateway()}${route('r', `{parentRefs: [{name: gw}], hostnames: [${long}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}`
    assert.equal(ask(text, {host: 'other.example.com', path: '/'}).outcome.kind, 'status')
    assert.ok(codes(text).some((c) => c.startsWith('VIP2003') && c.includes('spec.hostnames[0]')))
    assert.equal(build(text).model.gatewayApi!.routes[0]!.parents[0]!.conditions[0]!.reason, 'NoMatchingListenerHostname')
  })

  it('a match not served marks the route PartiallyInvalid (reason UnsupportedValue) in the status it is owed', () => {
    const text = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{matches: [{path: {type: RegularExpression, value: '/a.*'}}, {path: {value: /b}}], backendRefs: [{name: web, port: 80}]}]}`)}`
    const c = build(text).model.gatewayApi!.routes[0]!.parents[0]!.conditions.find((x) => x.type === 'PartiallyInvalid')
    assert.deepEqual([c?.status, c?.reason], ['True', 'UnsupportedValue'])
  })

  it('a filter vipctl cannot apply makes its rule answer 500 (never served without it, never falling through)', () => {
    const text = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [${to('web', '{path: {value: /}}')}, {matches: [{path: {value: /m}}], filters: [{type: RequestMirror, requestMirror: {backendRef: {name: web2, port: 80}}}], backendRefs: [{name: web, port: 80}]}]}`)}`
    assert.equal((ask(text, {host: 'h', path: '/m/x'}).outcome as {code?: number}).code, 500)
    assert.equal((ask(text, {host: 'h', path: '/other'}).outcome as {pool?: string}).pool, 't/web/80')
    assert.ok(codes(text).some((c) => c.startsWith('VIP6005') && c.includes('RequestMirror')))
  })

  it('a RegularExpression match is reported and not served; the rule\'s other matches are', () => {
    const text = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{matches: [{path: {type: RegularExpression, value: '/a.*'}}, {path: {value: /b}}], backendRefs: [{name: web, port: 80}]}]}`)}`
    assert.equal(ask(text, {host: 'h', path: '/a1'}).outcome.kind, 'status')
    assert.equal((ask(text, {host: 'h', path: '/b'}).outcome as {pool?: string}).pool, 't/web/80')
    assert.ok(codes(text).some((c) => c.startsWith('VIP6005') && c.includes('RegularExpression')))
  })

  it('both targets render conditions and 500 rules; check trace follows a header to its backend', () => {
    const text = `${gateway()}${route('r', `{parentRefs: [{name: gw}], hostnames: ['*.example.com'], rules: [${to('web', '{path: {value: /}}')}, ${to('web2', '{path: {value: /}, headers: [{name: x-v, value: "2"}], queryParams: [{name: q, value: a%2B}], method: GET}')}, {matches: [{path: {value: /bad}}], backendRefs: [{name: nope, port: 80}]}]}`)}`
    const compiled = build(text)
    const files = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}).config.files
    const cfg = files[0]!.content
    assert.match(cfg, /\{ method GET \} \{ req\.fhdr\(x-v\) -m str -- "2" \} \{ var\(txn\.q_[0-9a-f]+\) -m str -- a%2B \}/)
    assert.match(cfg, /return status 500/)
    const exact = files.find((f) => f.path.endsWith('.exact.map'))!.content
    assert.match(exact, /^\*\*\.example\.com\/ _match_/m, 'a suffix wildcard is also a ** key')
    const ns = renderBatch(generateNetscaler(compiled.model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'}))
    assert.match(ns, /HTTP\.REQ\.METHOD\.EQ\(GET\) && HTTP\.REQ\.HEADER\(\\?"x-v\\?"\)\.EQ\(\\?"2\\?"\) && HTTP\.REQ\.URL\.QUERY\.VALUE\(\\?"q\\?"\)\.EQ\(\\?"a%2B\\?"\)/)
    assert.match(ns, /ENDSWITH\(\\?"\.example\.com\\?"\)/)
    assert.match(ns, /respondwith "\\"HTTP\/1\.1 500/)
    const t = traceRequest(snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`), compiled.model, 'a.b.example.com/x?q=a%2B', new Date(), {}, {headers: [['X-V', '2']]})
    assert.ok(t.hops.some((h) => h.hop === 'route' && h.detail.includes('header x-v: 2')), JSON.stringify(t.hops))
    assert.ok(t.hops.some((h) => h.hop === 'gateway' && h.detail.includes('listener web')))
    const bad = traceRequest(snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`), compiled.model, 'a.example.com/bad', new Date())
    assert.equal(bad.ok, false)
    assert.match(bad.hops[0]!.detail, /500/)
  })
})

describe('Gateway API: one claim order with Ingresses and LoadBalancer Services', () => {
  const svcLb = (created: string) => `---
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: evil, creationTimestamp: '${created}', annotations: {vipctl.io/vip: '192.0.2.50'}}
spec: {type: LoadBalancer, ports: [{port: 80}]}
`
  const old = gateway().replace('generation: 3}', "generation: 3, creationTimestamp: '2025-01-01T00:00:00Z'}")
  it('an older Gateway keeps its VIP:port against a newer LoadBalancer Service, and the reverse', () => {
    const a = build(`${old}${svcLb('2026-01-01T00:00:00Z')}`).model
    assert.equal(a.frontends.find((f) => f.port === 80)?.protocol, 'http')
    assert.ok(a.diagnostics.some((d) => d.code === 'VIP2007' && d.object === 'Service/evil/lb'))
    const b = build(`${old}${svcLb('2024-01-01T00:00:00Z')}`).model
    assert.equal(b.frontends.find((f) => f.port === 80)?.protocol, 'tcp')
    assert.ok(b.diagnostics.some((d) => d.code === 'VIP2007' && d.object === 'Gateway/t/gw'))
  })

  it('an older HTTPRoute keeps a host and path against a newer Ingress on the same VIP (VIP2010 on the Ingress)', () => {
    const text = `${old}${route('r', `{parentRefs: [{name: gw}], hostnames: [c.example.com], rules: [{matches: [{path: {value: /dup}}], backendRefs: [{name: web, port: 80}]}]}`, 't', '2025-06-01T00:00:00Z')}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing, namespace: t, creationTimestamp: '2026-01-01T00:00:00Z', annotations: {vipctl.io/vip: 192.0.2.50}}
spec: {ingressClassName: vipctl, rules: [{host: c.example.com, http: {paths: [{path: /dup, pathType: Prefix, backend: {service: {name: web2, port: {number: 80}}}}]}}]}
`
    assert.equal((ask(text, {host: 'c.example.com', path: '/dup/x'}).outcome as {pool?: string}).pool, 't/web/80')
    assert.ok(codes(text).some((c) => c.startsWith('VIP2010 Ingress/t/ing') && c.includes('HTTPRoute/t/r, which keeps it')))
  })
})

describe('Gateway API: listener isolation (a host belongs to its most specific listener)', () => {
  const listeners = `[{name: admin, port: 80, protocol: HTTP, hostname: admin.example.com}, {name: wild, port: 80, protocol: HTTP, hostname: '*.example.com', allowedRoutes: {namespaces: {from: All}}}]`
  const admin = route('admin', `{parentRefs: [{name: gw, sectionName: admin}], rules: [{matches: [{path: {value: /}, method: POST}], backendRefs: [{name: web, port: 80}]}]}`)
  const evil = `---
apiVersion: v1
kind: Service
metadata: {name: evil, namespace: evil}
spec: {ports: [{port: 80}]}
${route('evil', `{parentRefs: [{name: gw, namespace: t, sectionName: wild}], hostnames: [admin.example.com, app.example.com], rules: [{matches: [{path: {value: /}, method: GET}, {path: {value: /login}}], backendRefs: [{name: evil, port: 80}]}]}`, 'evil', '2026-03-01T00:00:00Z')}`

  it('a route attached through a wildcard listener never serves a host a more specific listener names (VIP6001 says so)', () => {
    const text = `${gateway(listeners)}${admin}${evil}`
    const pool = (host: string, path: string, method = 'GET') => {
      const o = ask(text, {host, path, method}).outcome
      return o.kind === 'pool' ? o.pool : `${o.kind} ${(o as {code?: number}).code}`
    }
    assert.equal(pool('admin.example.com', '/', 'GET'), 'status 404')
    assert.equal(pool('admin.example.com', '/login'), 'status 404')
    assert.equal(pool('admin.example.com', '/x', 'POST'), 't/web/80')
    assert.equal(pool('app.example.com', '/login'), 'evil/evil/80')
    assert.ok(codes(text).some((c) => c.startsWith('VIP6001 HTTPRoute/evil/evil') && c.includes('belongs to listener admin')))
  })

  it('hosts of a more specific wildcard listener are fenced: its routes, else 404, never the less specific listener\'s', () => {
    const ls = `[{name: eu, port: 80, protocol: HTTP, hostname: '*.eu.example.com'}, {name: any, port: 80, protocol: HTTP}]`
    const text = `${gateway(ls)}${route('eu', `{parentRefs: [{name: gw, sectionName: eu}], rules: [{matches: [{path: {value: /eu}}], backendRefs: [{name: web, port: 80}]}]}`)}${route('all', `{parentRefs: [{name: gw, sectionName: any}], rules: [{backendRefs: [{name: web2, port: 80}]}]}`)}`
    assert.equal((ask(text, {host: 'a.eu.example.com', path: '/eu/x'}).outcome as {pool?: string}).pool, 't/web/80')
    assert.deepEqual(ask(text, {host: 'a.b.eu.example.com', path: '/other'}).outcome.kind === 'status' && (ask(text, {host: 'a.b.eu.example.com', path: '/other'}).outcome as {code: number}).code, 404)
    assert.equal((ask(text, {host: 'a.example.com', path: '/other'}).outcome as {pool?: string}).pool, 't/web2/80')
  })
})

describe('Gateway API: what a route of another namespace takes by conditions is said', () => {
  it('a newer route of another namespace adding a header match on an older route\'s host and path: VIP6008 on the newer one', () => {
    const text = `${gateway(`[{name: web, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]`)}${route('old', `{parentRefs: [{name: gw}], hostnames: [c.example.com], rules: [{matches: [{path: {value: /dup}}], backendRefs: [{name: web, port: 80}]}]}`)}---
apiVersion: v1
kind: Service
metadata: {name: evil, namespace: evil}
spec: {ports: [{port: 80}]}
${route('new', `{parentRefs: [{name: gw, namespace: t}], hostnames: [c.example.com], rules: [{matches: [{path: {value: /dup}, headers: [{name: accept, value: '*/*'}]}], backendRefs: [{name: evil, port: 80}]}]}`, 'evil', '2026-05-01T00:00:00Z')}`
    assert.ok(codes(text).some((c) => c.startsWith('VIP6008 HTTPRoute/evil/new') && c.includes('HTTPRoute/t/old')))
    // Within one namespace it is the team's own design: nothing to say.
    const same = text.replace(/namespace: evil, creationTimestamp/, 'namespace: t, creationTimestamp').replace('name: evil, namespace: evil', 'name: evil, namespace: t').replace('{name: gw, namespace: t}], hostnames: [c.example.com], rules: [{matches: [{path: {value: /dup}, headers', '{name: gw}], hostnames: [c.example.com], rules: [{matches: [{path: {value: /dup}, headers')
    assert.ok(!codes(same).some((c) => c.startsWith('VIP6008')))
  })
})

describe('Gateway API: inspect gateways and inspect routes', () => {
  it('show each listener\'s attached routes and conditions, and what is programmed for every match', async () => {
    const {inspectGateways, inspectRoutes} = await import('../../src/inspect/inspect.js')
    const {loadOffline} = await import('../../src/cluster/offline.js')
    const snap = await loadOffline({filenames: ['test/fixtures/haproxy/gateway-api.yaml'], strict: false}, {readStdin: async () => ''})
    const g = inspectGateways(snap, {model: {}}).result.items
    assert.deepEqual(g.map((x) => [x.name, x.addresses, x.programmed, x.listeners.map((l) => [l.name, l.attachedRoutes, l.status])]), [['edge', ['192.0.2.40'], 'True', [['web', 1, 'Programmed'], ['apps', 1, 'Programmed']]]])
    const r = inspectRoutes(snap, {model: {}}).result.items
    const stray = r.find((x) => x.name === 'stray')!
    assert.deepEqual(stray.parents.map(({conditions: _c, ...p}) => p), [{gateway: 'infra/edge/web', accepted: 'NotAllowedByListeners', resolvedRefs: 'True'}])
    assert.match(stray.parents[0]!.conditions![0]!.message, /does not allow routes from namespace team-b/)
    assert.deepEqual(stray.rules, [])
    const shop = r.find((x) => x.name === 'shop')!
    assert.equal(shop.parents[0]!.resolvedRefs, 'BackendNotFound')
    assert.ok(shop.rules.includes('shop.example.com/login (exact) [POST] on :80 -> team-a/web/80'), shop.rules.join('\n'))
    assert.ok(shop.rules.includes('shop.example.com/gone on :80 -> 500 (no backendRef of the rule can be resolved)'))
    assert.equal(shop.rules[0], 'shop.example.com/ on :80 -> team-a/web/80', 'in rule order')
  })
})

describe('Gateway API: listener hostnames pass the model\'s host grammar', () => {
  it('a listener hostname with a label over 63 characters is not served (VIP2003), the other listeners are', () => {
    const long = `${'a'.repeat(64)}.example.com`
    const {model} = build(gateway(`[{name: bad, port: 80, protocol: HTTP, hostname: ${long}}, {name: good, port: 8080, protocol: HTTP}]`))
    assert.deepEqual(model.frontends.map((f) => f.port), [8080])
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP2003' && d.field === 'spec.listeners[0].hostname'))
  })
})

describe('Gateway API: TCPRoutes on TCP listeners', () => {
  const tcpRoute = (name: string, backends: string, created: string, section = 'db') => `---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: ${name}, namespace: t, creationTimestamp: '${created}'}
spec: {parentRefs: [{name: gw, sectionName: ${section}}], rules: [{backendRefs: ${backends}}]}
`
  const listeners = `[{name: db, port: 5432, protocol: TCP}, {name: web, port: 80, protocol: HTTP}]`
  it('the oldest TCPRoute takes the listener\'s connections; a newer one is accepted and counted but gets none; HTTPRoutes never attach to it', async () => {
    const text = `${gateway(listeners)}${tcpRoute('a', '[{name: web, port: 80}]', '2026-01-01T00:00:00Z')}${tcpRoute('b', '[{name: web2, port: 80}]', '2026-02-01T00:00:00Z')}${route('h', `{parentRefs: [{name: gw, sectionName: db}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}`
    const {model} = build(text)
    const f = model.frontends.find((x) => x.port === 5432)!
    assert.deepEqual([f.protocol, f.defaultPool], ['tcp', 't/web/80'])
    const st = (o: string) => model.gatewayApi!.routes.find((r) => r.object === o)!.parents[0]!.conditions.find((c) => c.type === 'Accepted')!
    // The conformance suite's TCPRouteMultipleRoutesAttachment: both Accepted, AttachedRoutes 2, traffic to the oldest.
    assert.deepEqual([st('TCPRoute/t/a').status, st('TCPRoute/t/b').status, st('HTTPRoute/t/h').reason], ['True', 'True', 'NotAllowedByListeners'])
    assert.equal(model.gatewayApi!.gateways[0]!.listeners[0]!.attachedRoutes, 2)
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP6001' && d.object === 'TCPRoute/t/b' && d.message.includes('receives none')))
    const {inspectRoutes} = await import('../../src/inspect/inspect.js')
    const rows = inspectRoutes(snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`), {model: {}}).result.items
    assert.deepEqual(rows.find((r) => r.name === 'a')!.rules, ['tcp 192.0.2.50:5432 -> t/web/80'])
  })

  it('weights split the connections across the valid backends (an invalid one\'s share goes to them, said); no valid backend: no backend at all', () => {
    const {model} = build(`${gateway(listeners)}${tcpRoute('a', '[{name: nope, port: 80, weight: 5}, {name: web, port: 80, weight: 3}, {name: web2, port: 80, weight: 1}, {name: web2, port: 80, weight: 0}]', '2026-01-01T00:00:00Z')}`)
    const f = model.frontends.find((x) => x.port === 5432)!
    assert.deepEqual([f.defaultPool, f.defaultSplit?.backends], ['t/web/80', [{pool: 't/web/80', weight: 3}, {pool: 't/web2/80', weight: 1}]])
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP6002' && d.message.includes('BackendNotFound')))
    const none = build(`${gateway(listeners)}${tcpRoute('a', '[{name: nope, port: 80}]', '2026-01-01T00:00:00Z')}`).model
    assert.equal(none.frontends.find((x) => x.port === 5432)!.defaultPool, undefined)
  })
})

describe('Gateway API: derived names stay unique beside LoadBalancer Services', () => {
  it('a Gateway TCP listener and a LoadBalancer Service with the same backend Service and port get different NetScaler vservers', async () => {
    const {readFileSync} = await import('node:fs')
    const compiled = compile(snapshotOf(readFileSync('test/fixtures/haproxy/gateway-api.yaml', 'utf8').replace(/^# .*\n/gm, '') + `---
apiVersion: v1
kind: Service
metadata: {name: lbsvc, namespace: team-a, annotations: {vipctl.io/vip: 192.0.2.70}}
spec: {type: LoadBalancer, loadBalancerClass: vipctl.io/lb, selector: {app: web}, ports: [{port: 5432}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: db, namespace: team-a}
spec: {gatewayClassName: vipctl, addresses: [{value: 192.0.2.71}], listeners: [{name: db, port: 5432, protocol: TCP}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: db, namespace: team-a}
spec: {parentRefs: [{name: db}], rules: [{backendRefs: [{name: lbsvc, port: 5432}]}]}
`), {})
    const names = generateNetscaler(compiled.model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'}).entities.filter((e) => e.type === 'csvserver').map((e) => (e as {name: string}).name)
    assert.equal(new Set(names).size, names.length, names.join(', '))
    assert.ok(names.includes('k8s-192.0.2.71_5432_tcp'))
  })
})

describe('Gateway API: TLSRoutes on TLS passthrough listeners', () => {
  const tls = (name: string, hostnames: string, backend: string, created: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: ${name}, namespace: t, creationTimestamp: '${created}'}
spec: {parentRefs: [{name: gw, sectionName: pass}], hostnames: ${hostnames}, rules: [{backendRefs: [{name: ${backend}, port: 80}]}]}
`
  const listeners = `[{name: pass, port: 443, protocol: TLS, tls: {mode: Passthrough}}, {name: term, port: 8443, protocol: TLS, tls: {mode: Terminate, certificateRefs: [{name: x}]}}]`
  it('routes by SNI: the exact name, then the longest wildcard; a name taken stays with the oldest route; NetScaler says it does not render it', async () => {
    const text = `${gateway(listeners)}${tls('a', '[a.example.com, "*.example.com"]', 'web', '2026-01-01T00:00:00Z')}${tls('b', '["*.b.example.com", a.example.com]', 'web2', '2026-02-01T00:00:00Z')}`
    const compiled = build(text)
    const f = compiled.model.frontends.find((x) => x.protocol === 'tls')!
    const {decideSni} = await import('../../src/model/routing.js')
    const at = (sni: string) => decideSni(f, sni)?.pool ?? 'closed'
    assert.deepEqual(['A.example.com', 'x.example.com', 'y.b.example.com', 'z.y.b.example.com', 'example.com', 'other.org'].map(at), ['t/web/80', 't/web/80', 't/web2/80', 't/web2/80', 'closed', 'closed'])
    assert.ok(compiled.model.diagnostics.some((d) => d.code === 'VIP2010' && d.object === 'TLSRoute/t/b'))
    assert.ok(compiled.model.diagnostics.some((d) => d.code === 'VIP6004' && d.field === 'spec.listeners[1].tls.certificateRefs[0]'), 'a terminating TLS listener needs a usable certificate')
    const files = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}).config.files
    assert.match(files[0]!.content, /tcp-request content accept if \{ req_ssl_hello_type 1 \}/)
    assert.equal(files.find((x) => x.path.endsWith('.sni.map'))!.content, 'a.example.com t_web_80\n')
    assert.equal(files.find((x) => x.path.endsWith('.sni-wildcard.map'))!.content, 'b.example.com t_web2_80\nexample.com t_web_80\n')
    const ns = generateNetscaler(compiled.model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    assert.ok(ns.diagnostics.some((d) => d.code === 'VIP3001' && d.message.includes('TLS passthrough')))
  })
})

describe('Gateway API: second review', () => {
  it('a newer Gateway sharing the address never takes an older one\'s hosts (isolation and fences are per Gateway)', () => {
    const old = gateway(`[{name: any, port: 80, protocol: HTTP}]`, 'old').replace("generation: 3}", "generation: 3, creationTimestamp: '2024-01-01T00:00:00Z'}")
    const newer = gateway(`[{name: mine, port: 80, protocol: HTTP, hostname: shop.example.com}, {name: rest, port: 80, protocol: HTTP}]`, 'new').replace("generation: 3}", "generation: 3, creationTimestamp: '2025-01-01T00:00:00Z'}")
    const text = `${old}${newer}${route('r-old', `{parentRefs: [{name: old}], hostnames: [shop.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}`, 't', '2024-02-01T00:00:00Z')}${route('r-new', `{parentRefs: [{name: new, sectionName: mine}], rules: [{matches: [{path: {value: /admin}}], backendRefs: [{name: web2, port: 80}]}]}`, 't', '2025-02-01T00:00:00Z')}`
    assert.equal((ask(text, {host: 'shop.example.com', path: '/'}).outcome as {pool?: string}).pool, 't/web/80')
    assert.equal((ask(text, {host: 'shop.example.com', path: '/admin/x'}).outcome as {pool?: string}).pool, 't/web2/80')
  })

  it('a Gateway with an invalid listener: Accepted True with reason ListenersNotValid (False when none is valid)', () => {
    const some = build(gateway(`[{name: ok, port: 80, protocol: HTTP}, {name: dns, port: 53, protocol: example.com/dns}]`)).model.gatewayApi!.gateways[0]!
    assert.deepEqual(some.conditions.filter((c) => c.type === 'Accepted').map((c) => [c.status, c.reason]), [['True', 'ListenersNotValid']])
    const none = build(gateway(`[{name: dns, port: 53, protocol: example.com/dns}]`)).model.gatewayApi!.gateways[0]!
    assert.deepEqual(none.conditions.filter((c) => c.type === 'Accepted').map((c) => [c.status, c.reason]), [['False', 'ListenersNotValid']])
  })

  it('a GatewayClass of ours with parametersRef is not accepted (InvalidParameters); its Gateways are not served', () => {
    const {model} = compile(snapshotOf(`${WEB_BACKENDS}---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: vipctl}
spec: {controllerName: vipctl.io/gateway-controller, parametersRef: {group: example.com, kind: Config, name: x}}
${gateway()}`), {})
    assert.deepEqual(model.gatewayApi!.classes[0]!.conditions.map((c) => [c.status, c.reason]), [['False', 'InvalidParameters']])
    assert.equal(model.frontends.length, 0)
  })

  it('the CRD\'s timeout rule (backendRequest not above request) is enforced; request beside backendRequest is said to be unused', () => {
    const bad = snapshotOf(`${CLASS}${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}], timeouts: {request: 10s, backendRequest: 20s}}]}`)}`)
    assert.ok(bad.diagnostics.some((d) => d.code === 'VIP1001' && d.field === 'spec.rules[0].timeouts'))
    const both = codes(`${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}], timeouts: {request: 20s, backendRequest: 10s}}]}`)}`)
    assert.ok(both.some((c) => c.startsWith('VIP6007') && c.includes('not applied')))
  })

  it('check trace names the listener the parentRef selects, not every listener of the Gateway on the frontend', () => {
    const text = `${gateway(`[{name: a, port: 80, protocol: HTTP}, {name: b, port: 80, protocol: HTTP, hostname: x.example.com}]`)}${route('r', `{parentRefs: [{name: gw, sectionName: a}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}`
    const snap = snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`)
    const t = traceRequest(snap, compile(snap, {}).model, 'y.example.com/', new Date())
    const hop = t.hops.find((h) => h.hop === 'gateway')!
    assert.match(hop.detail, /listener a /)
    assert.doesNotMatch(hop.detail, /listener b /)
  })
})

describe('Gateway API: BackendTLSPolicy', () => {
  const cert = /tls\.crt: (\S+)/.exec(fileText('examples/shop/50-secret-tls.yaml'))![1]!
  const pem = Buffer.from(cert, 'base64').toString('utf8')
  const cm = (name: string, ca: string) => `---
apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}, namespace: t}
data:
  ca.crt: ${JSON.stringify(ca)}
  other: ignored
`
  const policy = (name: string, target: string, validation: string, created: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: ${name}, namespace: t, creationTimestamp: '${created}'}
spec: {targetRefs: [{group: '', kind: Service, name: ${target}}], validation: ${validation}}
`
  const base = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}`
  it('the targeted Service\'s members are spoken to over TLS, verified against the ConfigMap\'s CA for the hostname (SNI too)', () => {
    const {model} = build(`${base}${cm('ca', pem)}${policy('p', 'web', '{caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}], hostname: shop.example.com}', '2026-01-01T00:00:00Z')}`)
    const bp = model.pools.find((p) => p.id === 't/web/80')!.backendProtocol
    assert.deepEqual(bp && bp.kind === 'https' ? [bp.serverName, bp.ca?.secret, bp.ca?.pem.includes('BEGIN CERTIFICATE')] : bp, ['shop.example.com', 't/configmap_ca', true])
  })

  it('system CAs; a ConfigMap without a usable ca.crt leaves the policy out (VIP6004); the older policy wins (VIP6004 on the newer)', () => {
    const sys = build(`${base}${policy('p', 'web', '{wellKnownCACertificates: System, hostname: web.internal}', '2026-01-01T00:00:00Z')}`).model
    const bp = sys.pools.find((p) => p.id === 't/web/80')!.backendProtocol
    assert.deepEqual(bp?.kind === 'https' ? [bp.serverName, bp.ca] : bp, ['web.internal', undefined])
    const bad = build(`${base}${cm('ca', 'not a certificate')}${policy('p', 'web', '{caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}], hostname: web.internal}', '2026-01-01T00:00:00Z')}`).model
    // Fails closed: never plaintext to members that the policy says speak TLS.
    assert.equal(bad.pools.find((p) => p.id === 't/web/80')!.backendProtocol, undefined)
    assert.match(bad.pools.find((p) => p.id === 't/web/80')!.unservable?.reason ?? '', /ConfigMap t\/ca ca\.crt/)
    assert.ok(bad.diagnostics.some((d) => d.code === 'VIP6004' && d.object === 'BackendTLSPolicy/t/p' && d.message.includes('503')))
    const two = build(`${base}${policy('new', 'web', '{wellKnownCACertificates: System, hostname: b.internal}', '2026-02-01T00:00:00Z')}${policy('old', 'web', '{wellKnownCACertificates: System, hostname: a.internal}', '2026-01-01T00:00:00Z')}`).model
    const bp2 = two.pools.find((p) => p.id === 't/web/80')!.backendProtocol
    assert.equal(bp2?.kind === 'https' ? bp2.serverName : '', 'a.internal')
    assert.ok(two.diagnostics.some((d) => d.code === 'VIP6004' && d.object === 'BackendTLSPolicy/t/new'))
  })

  it('the CRD\'s rule: CA references or the system CAs, one of them', () => {
    const snap = snapshotOf(`${CLASS}${policy('p', 'web', '{hostname: x.internal}', '2026-01-01T00:00:00Z')}`)
    assert.ok(snap.diagnostics.some((d) => d.code === 'VIP1001' && d.field === 'spec.validation'))
  })
})

function fileText(file: string): string {
  return readFileSync(file, 'utf8')
}

describe('ConfigMaps are read for their ca.crt only', () => {
  it('other keys of any shape are no finding, and are not kept', () => {
    const snap = snapshotOf(`apiVersion: v1
kind: ConfigMap
metadata: {name: app, namespace: t}
data: {replicas: 3, enabled: true, nested: {a: 1}, ca.crt: "x"}
binaryData: {blob: AAAA}
`)
    assert.deepEqual(snap.diagnostics, [])
    assert.deepEqual(snap.configMaps.map((c) => [c.metadata.name, c.caCrt, Object.keys(c)]), [['app', 'x', ['apiVersion', 'kind', 'metadata', 'caCrt']]])
  })
})

describe('Gateway API: third review', () => {
  const l4 = (kind: string, name: string, spec: string, created: string, ns = 't') => `---
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: {name: ${name}, namespace: ${ns}, creationTimestamp: '${created}'}
spec: ${spec}
`
  it('TLS passthrough: a more specific listener\'s names are fenced (closed), never served by a wildcard route of a less specific one', async () => {
    const {decideSni} = await import('../../src/model/routing.js')
    const text = `${gateway(`[{name: passw, port: 9444, protocol: TLS, tls: {mode: Passthrough}, hostname: '*.example.com', allowedRoutes: {namespaces: {from: All}}}, {name: passx, port: 9444, protocol: TLS, tls: {mode: Passthrough}, hostname: pay.example.com}]`)}${l4('TLSRoute', 'evil', `{parentRefs: [{name: gw, namespace: t, sectionName: passw}], hostnames: ['*.example.com'], rules: [{backendRefs: [{name: web, port: 80}]}]}`, '2026-01-01T00:00:00Z')}`
    const f = build(text).model.frontends.find((x) => x.protocol === 'tls')!
    assert.equal(decideSni(f, 'pay.example.com'), undefined)
    assert.equal(decideSni(f, 'shop.example.com')?.pool, 't/web/80')
  })

  it('an older TLSRoute or TCPRoute without a valid backend keeps its names and listener (connections closed), a newer one gets nothing', async () => {
    const {decideSni} = await import('../../src/model/routing.js')
    const ls = `[{name: pass, port: 9443, protocol: TLS, tls: {mode: Passthrough}}, {name: db, port: 5432, protocol: TCP}]`
    const text = `${gateway(ls)}${l4('TLSRoute', 'old', `{parentRefs: [{name: gw, sectionName: pass}], hostnames: [bank.example.com], rules: [{backendRefs: [{name: missing, port: 80}]}]}`, '2026-01-01T00:00:00Z')}${l4('TLSRoute', 'new', `{parentRefs: [{name: gw, sectionName: pass}], hostnames: [bank.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}`, '2026-02-01T00:00:00Z')}${l4('TCPRoute', 'old-db', `{parentRefs: [{name: gw, sectionName: db}], rules: [{backendRefs: [{name: missing, port: 80}]}]}`, '2026-01-01T00:00:00Z')}${l4('TCPRoute', 'new-db', `{parentRefs: [{name: gw, sectionName: db}], rules: [{backendRefs: [{name: web, port: 80}]}]}`, '2026-02-01T00:00:00Z')}`
    const {model} = build(text)
    assert.equal(decideSni(model.frontends.find((x) => x.protocol === 'tls')!, 'bank.example.com'), undefined)
    assert.equal(model.frontends.find((x) => x.protocol === 'tcp')!.defaultPool, undefined)
    const accepted = (o: string) => model.gatewayApi!.routes.find((r) => r.object === o)!.parents[0]!.conditions.find((c) => c.type === 'Accepted')!.status
    assert.deepEqual([accepted('TCPRoute/t/old-db'), accepted('TCPRoute/t/new-db')], ['True', 'True'])
  })

  it('BackendTLSPolicy: a target that matches nothing is said; an ExternalName target fails closed', () => {
    const none = codes(`${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: p, namespace: t}
spec: {targetRefs: [{group: '', kind: Service, name: web, sectionName: htt}, {group: '', kind: Service, name: nope}], validation: {wellKnownCACertificates: System, hostname: x.internal}}
`)
    assert.ok(none.some((c) => c.startsWith('VIP6004') && c.includes('no port named htt')))
    assert.ok(none.some((c) => c.startsWith('VIP6004') && c.includes('Service t/nope not found')))
    const ext = build(`${gateway()}---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: t}
spec: {type: ExternalName, externalName: api.example.org, ports: [{port: 443}]}
${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: api, port: 443}]}]}`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: p, namespace: t}
spec: {targetRefs: [{group: '', kind: Service, name: api}], validation: {wellKnownCACertificates: System, hostname: internal.corp}}
`).model
    assert.ok(ext.pools.find((p) => p.service === 'api')!.unservable)
  })
})

describe('NetScaler: a Service port used by HTTP routes and a TCP listener', () => {
  it('keeps an HTTP lb vserver for the routes and says the TCP listener is not rendered (never a TCP vserver behind HTTP content switching)', () => {
    const compiled = build(`${gateway(`[{name: web, port: 80, protocol: HTTP}, {name: db, port: 5432, protocol: TCP}]`)}${route('r', `{parentRefs: [{name: gw, sectionName: web}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: t, namespace: t}
spec: {parentRefs: [{name: gw, sectionName: db}], rules: [{backendRefs: [{name: web, port: 80}]}]}
`)
    const ns = generateNetscaler(compiled.model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    const lbv = ns.entities.filter((e) => e.type === 'lbvserver').map((e) => (e as {serviceType: string}).serviceType)
    assert.deepEqual(lbv, ['HTTP'])
    assert.ok(!ns.entities.some((e) => e.type === 'csvserver' && (e as {serviceType: string}).serviceType === 'TCP'))
    assert.ok(ns.diagnostics.some((d) => d.code === 'VIP3001' && d.message.includes('HTTP routes also use')))
  })
})

describe('BackendTLSPolicy hostname: the model\'s host grammar', () => {
  it('a hostname with a label over 63 characters never reaches a config: the policy fails closed', () => {
    const long = `${'a'.repeat(64)}.internal`
    const {model} = build(`${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: p, namespace: t}
spec: {targetRefs: [{group: '', kind: Service, name: web}], validation: {wellKnownCACertificates: System, hostname: ${long}}}
`)
    const pool = model.pools.find((p) => p.id === 't/web/80')!
    assert.equal(pool.backendProtocol, undefined)
    assert.ok(pool.unservable)
  })
})

describe('Gateway API: GRPCRoute', () => {
  const grpc = (name: string, spec: string, created = '2026-01-01T00:00:00Z', ns = 't') => `---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: ${name}, namespace: ${ns}, creationTimestamp: '${created}', generation: 4}
spec: ${spec}
`
  const post = (path: string, headers: Record<string, string> = {}) => ({host: 'grpc.example.com', path, method: 'POST', headers: Object.entries(headers)})

  it('service and method is an exact path, a service alone a prefix, no method everything; headers are conditions', () => {
    const text = `${gateway()}${grpc('g', `{parentRefs: [{name: gw}], hostnames: [grpc.example.com], rules: [
      {matches: [{method: {service: echo.Echo, method: Ping}}], backendRefs: [{name: web, port: 80}]},
      {matches: [{method: {service: echo.Echo}, headers: [{name: x-canary, value: 'yes'}]}], backendRefs: [{name: web2, port: 80}]},
      {backendRefs: [{name: web2, port: 80}]}]}`)}`
    const pool = (req: ReturnType<typeof post>) => (ask(text, req).outcome as {pool?: string}).pool
    assert.equal(pool(post('/echo.Echo/Ping')), 't/web/80')
    assert.equal(pool(post('/echo.Echo/Ping', {'x-canary': 'yes'})), 't/web/80', 'the exact method is more specific than the service with a header')
    assert.equal(pool(post('/echo.Echo/Other', {'x-canary': 'yes'})), 't/web2/80')
    assert.equal(pool(post('/other.Svc/Call')), 't/web2/80')
    const {model} = build(text)
    // gRPC is HTTP/2: the members are spoken to in h2c, and the frontend is marked for HTTP/2 clients.
    assert.deepEqual(model.pools.filter((p) => p.backendProtocol?.kind === 'h2c').map((p) => p.id).sort(), ['t/web/80', 't/web2/80'])
    assert.equal(model.frontends.find((f) => f.port === 80)!.http2?.object, 'GRPCRoute/t/g')
    const rs = model.gatewayApi!.routes.find((r) => r.object === 'GRPCRoute/t/g')!
    assert.deepEqual(rs.parents[0]!.conditions.map((c) => [c.type, c.status, c.observedGeneration]), [['Accepted', 'True', 4], ['ResolvedRefs', 'True', 4]])
  })

  it('a method without a service and a RegularExpression are reported and not served (PartiallyInvalid), the rest is', () => {
    const text = `${gateway()}${grpc('g', `{parentRefs: [{name: gw}], rules: [{matches: [{method: {method: Ping}}, {method: {type: RegularExpression, service: 'echo\\\\..*'}}, {method: {service: a.B, method: C}}], backendRefs: [{name: web, port: 80}]}]}`)}`
    const {model} = build(text)
    assert.deepEqual(model.diagnostics.filter((d) => d.code === 'VIP6005').map((d) => d.field), ['spec.rules[0].matches[0].method.method', 'spec.rules[0].matches[1].method.type'])
    assert.ok(model.gatewayApi!.routes[0]!.parents[0]!.conditions.some((c) => c.type === 'PartiallyInvalid' && c.status === 'True'))
    assert.deepEqual(model.frontends[0]!.routes.map((r) => [r.path, r.pathType]), [['/a.B/C', 'Exact']])
  })

  it('an HTTPRoute and a GRPCRoute sharing a host on a listener: the older keeps it, the newer is not accepted', () => {
    const text = `${gateway()}${route('h', `{parentRefs: [{name: gw}], hostnames: [api.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}`, 't', '2026-01-01T00:00:00Z')}${grpc('g', `{parentRefs: [{name: gw}], hostnames: ['*.example.com'], rules: [{backendRefs: [{name: web2, port: 80}]}]}`, '2026-02-01T00:00:00Z')}${grpc('other', `{parentRefs: [{name: gw}], hostnames: [grpc.other.org], rules: [{backendRefs: [{name: web2, port: 80}]}]}`, '2026-03-01T00:00:00Z')}`
    const {model} = build(text)
    const acc = (o: string) => model.gatewayApi!.routes.find((r) => r.object === o)!.parents[0]!.conditions.find((c) => c.type === 'Accepted')!
    assert.deepEqual([acc('HTTPRoute/t/h').status, acc('GRPCRoute/t/g').status, acc('GRPCRoute/t/g').reason, acc('GRPCRoute/t/other').status], ['True', 'False', 'NotAllowedByListeners', 'True'])
    assert.ok(!model.frontends[0]!.routes.some((r) => r.provenance.object === 'GRPCRoute/t/g'), 'the rejected route programs nothing')
    assert.equal(model.gatewayApi!.gateways[0]!.listeners[0]!.attachedRoutes, 2)
  })

  it('a BackendTLSPolicy on a gRPC backend speaks HTTP/2 by ALPN; appProtocol kubernetes.io/h2c is honoured for HTTPRoutes', () => {
    const h2c = `---
apiVersion: v1
kind: Service
metadata: {name: h2, namespace: t}
spec: {ports: [{port: 80, appProtocol: kubernetes.io/h2c}]}
`
    const policy = `---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: p, namespace: t}
spec: {targetRefs: [{group: '', kind: Service, name: web}], validation: {wellKnownCACertificates: System, hostname: web.example.com}}
`
    const text = `${gateway()}${h2c}${policy}${grpc('g', `{parentRefs: [{name: gw}], hostnames: [grpc.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}${route('h', `{parentRefs: [{name: gw}], hostnames: [h.example.com], rules: [{backendRefs: [{name: h2, port: 80}]}]}`)}`
    const compiled = build(text)
    const {model} = compiled
    const bp = (id: string) => model.pools.find((p) => p.id === id)!.backendProtocol
    assert.deepEqual([bp('t/web/80')?.kind, (bp('t/web/80') as {http2?: boolean}).http2, bp('t/h2/80')?.kind, bp('t/h2/80')?.provenance.field], ['https', true, 'h2c', 'spec.ports[0].appProtocol'])
    const cfg = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}).config.files[0]!.content
    assert.match(cfg, /ssl verify required ca-file @system-ca sni str\(web\.example\.com\) verifyhost web\.example\.com alpn h2/)
    assert.match(cfg, /proto h2/)
    const ns = renderBatch(generateNetscaler(compiled.model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'}))
    assert.match(ns, /add cs vserver \S+ HTTP 192\.0\.2\.50 80 -cltTimeout 180 -httpProfileName k8s-http2_httpprofile/)
  })
})

describe('Gateway API: ListenerSet', () => {
  const set = (name: string, listeners: string, created: string, ns = 't', parent = '{name: gw, namespace: t}') => `---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: ${name}, namespace: ${ns}, creationTimestamp: '${created}', generation: 5}
spec: {parentRef: ${parent}, listeners: ${listeners}}
`
  const allowing = (from: string) => gateway(`[{name: web, port: 80, protocol: HTTP, hostname: gw.example.com}]`).replace('  listeners:', `  allowedListeners: {namespaces: {from: ${from}}}\n  listeners:`)

  it('not admitted by default (NotAllowed); admitted, its listeners share the Gateway\'s address and routes attach by parentRef kind', () => {
    const ls = set('extra', `[{name: shop, port: 80, protocol: HTTP, hostname: shop.example.com}]`, '2026-01-01T00:00:00Z')
    const r = route('r', `{parentRefs: [{kind: ListenerSet, name: extra}], rules: [{backendRefs: [{name: web2, port: 80}]}]}`)
    const denied = build(`${gateway(`[{name: web, port: 80, protocol: HTTP, hostname: gw.example.com}]`)}${ls}${r}`).model
    assert.deepEqual(denied.gatewayApi!.listenerSets[0]!.conditions.map((c) => [c.type, c.status, c.reason, c.observedGeneration]), [['Accepted', 'False', 'NotAllowed', 5], ['Programmed', 'False', 'NotAllowed', 5]])
    assert.equal(denied.gatewayApi!.gateways[0]!.attachedListenerSets, 0)
    assert.ok(denied.diagnostics.some((d) => d.code === 'VIP6009' && d.object === 'ListenerSet/t/extra'))
    assert.equal(denied.gatewayApi!.routes[0]!.parents[0]!.conditions[0]!.reason, 'NoMatchingParent')

    const text = `${allowing('Same')}${ls}${r}`
    const {model} = build(text)
    const st = model.gatewayApi!.listenerSets[0]!
    assert.deepEqual(st.conditions.map((c) => [c.type, c.status]), [['Accepted', 'True'], ['Programmed', 'True']])
    assert.deepEqual([st.listeners[0]!.attachedRoutes, model.gatewayApi!.gateways[0]!.attachedListenerSets], [1, 1])
    assert.equal((ask(text, {host: 'shop.example.com', path: '/'}).outcome as {pool?: string}).pool, 't/web2/80')
    assert.equal(ask(text, {host: 'gw.example.com', path: '/'}).outcome.kind, 'status', 'the route attached to the ListenerSet only, never to the Gateway\'s own listener')
    assert.equal(model.gatewayApi!.routes[0]!.parents[0]!.parentRef.kind, 'ListenerSet')
  })

  it('merge precedence: the Gateway\'s listeners, then older ListenerSets; a conflicting listener is not served (Protocol/HostnameConflict)', () => {
    const a = set('a', `[{name: one, port: 80, protocol: HTTP, hostname: a.example.com}, {name: tcp80, port: 80, protocol: TCP}, {name: same, port: 80, protocol: HTTP, hostname: gw.example.com}]`, '2026-01-01T00:00:00Z')
    const b = set('b', `[{name: a-again, port: 80, protocol: HTTP, hostname: a.example.com}]`, '2026-02-01T00:00:00Z')
    const c = set('c', `[{name: only, port: 8080, protocol: TCP}]`, '2026-03-01T00:00:00Z', 'other')
    const {model} = build(`${allowing('All')}${a}${b}${c}`)
    const sets = model.gatewayApi!.listenerSets
    const l = (s: string, n: string) => sets.find((x) => x.object === `ListenerSet/${s}`)!.listeners.find((x) => x.name === n)!.conditions.filter((x) => x.type !== 'ResolvedRefs').map((x) => `${x.type}=${x.status}/${x.reason}`)
    assert.deepEqual(l('t/a', 'one'), ['Conflicted=False/NoConflicts', 'Accepted=True/Accepted', 'Programmed=True/Programmed'])
    assert.deepEqual(l('t/a', 'tcp80'), ['Conflicted=True/ProtocolConflict', 'Accepted=False/ProtocolConflict', 'Programmed=False/ProtocolConflict'])
    assert.deepEqual(l('t/a', 'same'), ['Conflicted=True/HostnameConflict', 'Accepted=False/HostnameConflict', 'Programmed=False/HostnameConflict'])
    assert.deepEqual(l('t/b', 'a-again'), ['Conflicted=True/HostnameConflict', 'Accepted=False/HostnameConflict', 'Programmed=False/HostnameConflict'])
    const cond = (s: string) => sets.find((x) => x.object === `ListenerSet/${s}`)!.conditions.map((x) => `${x.type}=${x.status}/${x.reason}`)
    assert.deepEqual(cond('t/a'), ['Accepted=True/ListenersNotValid', 'Programmed=True/Programmed'])
    assert.deepEqual(cond('t/b'), ['Accepted=False/ListenersNotValid', 'Programmed=False/ListenersNotValid'])
    assert.deepEqual(cond('other/c'), ['Accepted=True/Accepted', 'Programmed=True/Programmed'])
    assert.equal(model.gatewayApi!.gateways[0]!.attachedListenerSets, 2)
    assert.deepEqual(model.frontends.map((f) => `${f.protocol}:${f.port}`).sort(), ['http:80', 'tcp:8080'])
  })

  it('a ListenerSet listener\'s "Same" is its own namespace; its certificates come from its namespace or by a grant from ListenerSet', () => {
    const ls = set('s', `[{name: web, port: 80, protocol: HTTP, hostname: s.example.com}]`, '2026-01-01T00:00:00Z', 'apps')
    const inApps = route('in-apps', `{parentRefs: [{kind: ListenerSet, name: s, namespace: apps}], rules: [{backendRefs: [{name: web, port: 80, namespace: t}]}]}`, 'apps')
    const inT = route('in-t', `{parentRefs: [{kind: ListenerSet, name: s, namespace: apps}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)
    const {model} = build(`${allowing('All')}${ls}${inApps}${inT}`)
    const acc = (o: string) => model.gatewayApi!.routes.find((r) => r.object === o)!.parents[0]!.conditions.find((c) => c.type === 'Accepted')!
    assert.deepEqual([acc('HTTPRoute/apps/in-apps').status, acc('HTTPRoute/t/in-t').reason], ['True', 'NotAllowedByListeners'])
    const https = set('tls', `[{name: s, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert, namespace: t}]}}]`, '2026-01-01T00:00:00Z', 'apps')
    const denied = build(`${allowing('All')}${https}`).model
    assert.ok(denied.diagnostics.some((d) => d.code === 'VIP6004' && d.object === 'ListenerSet/apps/tls' && d.message.includes('RefNotPermitted')))
  })

  it('a ListenerSet of another controller\'s Gateway is said, not served', () => {
    const {model} = build(`${gateway()}${set('x', `[{name: a, port: 81, protocol: HTTP}]`, '2026-01-01T00:00:00Z', 't', '{name: missing}')}`)
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP6009' && d.message.includes('Gateway/t/missing is not in the input')))
    assert.equal(model.gatewayApi!.listenerSets.length, 0)
  })
})

describe('Gateway API: UDPRoute', () => {
  const dns = `---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: t}
spec: {ports: [{name: tcp, port: 53, protocol: TCP}, {name: udp, port: 53, protocol: UDP}]}
`
  const udp = (name: string, backends: string, created: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: UDPRoute
metadata: {name: ${name}, namespace: t, creationTimestamp: '${created}'}
spec: {parentRefs: [{name: gw, sectionName: dns}], rules: [{backendRefs: ${backends}}]}
`
  it('a UDP listener carries the oldest UDPRoute to the Service\'s UDP port; HAProxy says it cannot serve UDP', () => {
    const text = `${gateway(`[{name: dns, port: 53, protocol: UDP}]`)}${dns}${udp('a', '[{name: dns, port: 53}]', '2026-01-01T00:00:00Z')}${udp('b', '[{name: web, port: 80}]', '2026-02-01T00:00:00Z')}`
    const compiled = build(text)
    const {model} = compiled
    const f = model.frontends.find((x) => x.protocol === 'udp')!
    assert.equal(f.defaultPool, 't/dns/53/UDP')
    assert.equal(model.gatewayApi!.gateways[0]!.listeners[0]!.attachedRoutes, 2)
    const res = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'})
    assert.ok(res.diagnostics.some((d) => d.code === 'VIP3001' && d.message.includes('UDP')))
    // A Service without a UDP port of that number: BackendNotFound, never its TCP port.
    const tcpOnly = build(`${gateway(`[{name: dns, port: 53, protocol: UDP}]`)}${udp('c', '[{name: web, port: 80}]', '2026-01-01T00:00:00Z')}`).model
    assert.equal(tcpOnly.gatewayApi!.routes[0]!.parents[0]!.conditions.find((c) => c.type === 'ResolvedRefs')!.reason, 'BackendNotFound')
  })

  it('a TCP and a UDP listener on one port are distinct (the spec\'s mixture of TCP and UDP), not a ProtocolConflict: both served, NetScaler renders both', () => {
    const tcp = `---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: t53, namespace: t}
spec: {parentRefs: [{name: gw, sectionName: dns-tcp}], rules: [{backendRefs: [{name: dns, port: 53}]}]}
`
    const text = `${gateway(`[{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]`)}${dns}${udp('a', '[{name: dns, port: 53}]', '2026-01-01T00:00:00Z')}${tcp}`
    const compiled = build(text)
    const {model} = compiled
    assert.deepEqual(model.diagnostics.filter((d) => d.code === 'VIP6004' || d.code === 'VIP6001').map((d) => d.message), [])
    assert.deepEqual(model.gatewayApi!.gateways[0]!.listeners.map((l) => [l.name, l.conditions.find((c) => c.type === 'Conflicted')?.status, l.attachedRoutes]), [['dns', 'False', 1], ['dns-tcp', 'False', 1]])
    assert.deepEqual(model.frontends.filter((f) => f.port === 53).map((f) => `${f.protocol} ${f.defaultPool}`).sort(), ['tcp t/dns/53', 'udp t/dns/53/UDP'])
    const ns = generateNetscaler(model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    assert.deepEqual(ns.entities.filter((e) => e.type === 'csvserver').map((e) => (e as {serviceType: string}).serviceType).sort(), ['TCP', 'UDP'])
    // Two TCP-based protocols on one port still conflict.
    const both = build(`${gateway(`[{name: a, port: 53, protocol: TCP}, {name: b, port: 53, protocol: HTTP}]`)}`).model
    assert.equal(both.gatewayApi!.gateways[0]!.listeners.filter((l) => l.conditions.some((c) => c.reason === 'ProtocolConflict')).length, 2)
  })
})

describe('Gateway API: TLS listeners that terminate', () => {
  const secret = readFileSync('examples/shop/50-secret-tls.yaml', 'utf8').replace('namespace: shop', 'namespace: t')
  const tlsRoute = (name: string, section: string, hostnames: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: ${name}, namespace: t}
spec: {parentRefs: [{name: gw, sectionName: ${section}}], hostnames: ${hostnames}, rules: [{backendRefs: [{name: web, port: 80}]}]}
`
  it('TLSRoutes on a Terminate listener: the proxy holds the certificate and routes the clear stream by the negotiated SNI', () => {
    const text = `---\n${secret}${gateway(`[{name: term, port: 8443, protocol: TLS, hostname: shop.example.com, tls: {mode: Terminate, certificateRefs: [{name: shop-tls}]}}]`)}${tlsRoute('r', 'term', '[shop.example.com]')}`
    const compiled = build(text)
    const l = compiled.model.gatewayApi!.gateways[0]!.listeners[0]!
    assert.deepEqual([l.supportedKinds.map((k) => k.kind), l.attachedRoutes, l.conditions.find((c) => c.type === 'Programmed')!.status], [['TLSRoute'], 1, 'True'])
    const f = compiled.model.frontends.find((x) => x.protocol === 'tls')!
    assert.equal(f.terminate, true)
    const files = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}).config.files
    const cfg = files[0]!.content
    assert.match(cfg, /bind \S+ ssl crt-list \S+\n/, 'TLS terminated without ALPN: the client\'s protocol runs inside')
    assert.match(cfg, /set-var\(txn\.sni_be\) ssl_fc_sni,lower,map_str/)
    assert.doesNotMatch(cfg.slice(cfg.indexOf('frontend tls_')), /req_ssl_hello_type/)
    const ns = generateNetscaler(compiled.model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    assert.ok(ns.diagnostics.some((d) => d.code === 'VIP3001' && d.message.includes('TLS terminated')))
  })

  it('Passthrough and Terminate on one port: both conflict (ProtocolConflict, mixed modes are not supported)', () => {
    const text = `---\n${secret}${gateway(`[{name: term, port: 8443, protocol: TLS, hostname: a.example.com, tls: {mode: Terminate, certificateRefs: [{name: shop-tls}]}}, {name: pass, port: 8443, protocol: TLS, hostname: b.example.com, tls: {mode: Passthrough}}]`)}`
    const {model} = build(text)
    for (const l of model.gatewayApi!.gateways[0]!.listeners) assert.deepEqual(l.conditions.filter((c) => c.type === 'Accepted').map((c) => [c.status, c.reason]), [['False', 'ProtocolConflict']])
    assert.deepEqual(model.gatewayApi!.gateways[0]!.listeners.map((l) => l.supportedKinds), [[], []], 'a conflicted listener carries no route kind')
    assert.equal(model.frontends.length, 0)
  })
})

describe('Gateway API: BackendTLSPolicy status', () => {
  const svc = `---
apiVersion: v1
kind: Service
metadata: {name: tls, namespace: t}
spec: {ports: [{name: https-1, port: 443}, {name: https-2, port: 8443}]}
`
  const policy = (name: string, created: string, target: string, validation = '{wellKnownCACertificates: System, hostname: backend.example.com}') => `---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: ${name}, namespace: t, creationTimestamp: '${created}', generation: 6}
spec: {targetRefs: [${target}], validation: ${validation}}
`
  const routes = route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: tls, port: 443}]}, {matches: [{path: {value: /b}}], backendRefs: [{name: tls, port: 8443}]}]}`)
  const status = (text: string) => {
    const {model} = build(`${gateway()}${svc}${routes}${text}`)
    return Object.fromEntries(model.gatewayApi!.policies.map((p) => [p.object.split('/')[2], p.ancestors.map((a) => `${a.ancestorRef.namespace}/${a.ancestorRef.name}: ${a.conditions.map((c) => `${c.type}=${c.status}/${c.reason}@${c.observedGeneration}`).join(' ')}`)]))
  }

  it('the oldest policy on a port wins (the newer: Conflicted); a policy naming the port wins over one naming the whole Service', () => {
    const st = status(`${policy('whole-1', '2026-01-01T00:00:00Z', `{group: '', kind: Service, name: tls}`)}${policy('whole-2', '2026-01-02T00:00:00Z', `{group: '', kind: Service, name: tls}`)}${policy('port', '2026-01-03T00:00:00Z', `{group: '', kind: Service, name: tls, sectionName: https-2}`)}`)
    assert.deepEqual(st['whole-1'], ['t/gw: Accepted=True/Accepted@6 ResolvedRefs=True/ResolvedRefs@6'])
    assert.deepEqual(st['whole-2'], ['t/gw: Accepted=False/Conflicted@6 ResolvedRefs=True/ResolvedRefs@6'])
    assert.deepEqual(st['port'], ['t/gw: Accepted=True/Accepted@6 ResolvedRefs=True/ResolvedRefs@6'], 'newer, but it names the port')
  })

  it('a CA reference of another kind: InvalidKind; a missing ConfigMap: InvalidCACertificateRef; both not accepted (NoValidCACertificate)', () => {
    const st = status(`${policy('kind', '2026-01-01T00:00:00Z', `{group: '', kind: Service, name: tls, sectionName: https-1}`, `{caCertificateRefs: [{group: '', kind: Secret, name: ca}], hostname: backend.example.com}`)}${policy('missing', '2026-01-01T00:00:00Z', `{group: '', kind: Service, name: tls, sectionName: https-2}`, `{caCertificateRefs: [{group: '', kind: ConfigMap, name: nope}], hostname: backend.example.com}`)}`)
    assert.deepEqual(st['kind'], ['t/gw: Accepted=False/NoValidCACertificate@6 ResolvedRefs=False/InvalidKind@6'])
    assert.deepEqual(st['missing'], ['t/gw: Accepted=False/NoValidCACertificate@6 ResolvedRefs=False/InvalidCACertificateRef@6'])
  })

  it('no ancestor when no route of a Gateway of ours reaches the targets (nothing to write for vipctl)', () => {
    const {model} = build(`${gateway()}${svc}${policy('p', '2026-01-01T00:00:00Z', `{group: '', kind: Service, name: tls}`)}`)
    assert.deepEqual(model.gatewayApi!.policies.map((p) => p.ancestors.length), [0])
  })
})

describe('Gateway API: a tenant\'s ListenerSet, GRPCRoute or weights never reach another tenant\'s routes (review)', () => {
  const lsOf = (name: string, ns: string, created: string, listeners: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: ${name}, namespace: ${ns}, creationTimestamp: '${created}'}
spec: {parentRef: {name: gw, namespace: t}, listeners: ${listeners}}
`
  const open = (listeners = `[{name: web, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]`) => gateway(listeners).replace('  listeners:', '  allowedListeners: {namespaces: {from: All}}\n  listeners:').replace('generation: 3}', "generation: 3, creationTimestamp: '2025-01-01T00:00:00Z'}")

  it('a ListenerSet claims VIP:ports by its own age: an older LoadBalancer Service keeps its port', () => {
    const lb = `---
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: t, creationTimestamp: '2025-02-01T00:00:00Z', annotations: {vipctl.io/vip: 192.0.2.50}}
spec: {type: LoadBalancer, ports: [{port: 6000}]}
`
    const {model} = build(`${open()}${lb}${lsOf('late', 'b', '2025-06-01T00:00:00Z', '[{name: t, port: 6000, protocol: TCP}]')}`)
    assert.equal(model.frontends.find((f) => f.port === 6000)!.provenance[0]!.object, 'Service/t/lb')
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP2007' && d.object === 'ListenerSet/b/late'))
    assert.equal(model.gatewayApi!.listenerSets[0]!.listeners[0]!.conditions.find((c) => c.type === 'Programmed')!.status, 'False')
  })

  it('a ListenerSet listener for another team\'s host neither fences nor takes it: the older route keeps host and path', () => {
    const victim = route('victim', `{parentRefs: [{name: gw}], hostnames: [victim.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}`, 't', '2025-02-01T00:00:00Z')
    const steal = route('steal', `{parentRefs: [{kind: ListenerSet, name: grab, namespace: b}], rules: [{backendRefs: [{name: web2, port: 80, namespace: t}]}]}`, 'b', '2025-06-02T00:00:00Z')
    const grant = `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: t}
spec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: b}], to: [{group: '', kind: Service}]}
`
    const text = `${open()}${grant}${victim}${lsOf('grab', 'b', '2025-06-01T00:00:00Z', '[{name: h, port: 80, protocol: HTTP, hostname: victim.example.com}]')}${steal}`
    assert.equal((ask(text, {host: 'victim.example.com', path: '/'}).outcome as {pool?: string}).pool, 't/web/80')
    const {model} = build(text)
    assert.ok(!model.diagnostics.some((d) => d.code === 'VIP6001' && d.object === 'HTTPRoute/t/victim'), 'nothing is taken from the older route')
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP2010' && d.object === 'HTTPRoute/b/steal'), 'the newer route is the one told')
    // A wildcard ListenerSet listener with no route of its own fences nothing of the Gateway's.
    const wild = `${open()}${victim}${lsOf('w', 'b', '2025-06-01T00:00:00Z', `[{name: w, port: 80, protocol: HTTP, hostname: '*.example.com'}]`)}`
    assert.equal((ask(wild, {host: 'victim.example.com', path: '/'}).outcome as {pool?: string}).pool, 't/web/80')
  })

  it('a GRPCRoute never switches a Service port HTTP routes use to h2c (VIP6010 on the GRPCRoute)', () => {
    const text = `${gateway()}${route('h', `{parentRefs: [{name: gw}], hostnames: [h.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: t}
spec: {parentRefs: [{name: gw}], hostnames: [g.example.com], rules: [{backendRefs: [{name: web, port: 80}, {name: web2, port: 80}]}]}
`
    const {model} = build(text)
    assert.equal(model.pools.find((p) => p.id === 't/web/80')!.backendProtocol, undefined)
    assert.equal(model.pools.find((p) => p.id === 't/web2/80')!.backendProtocol?.kind, 'h2c', 'a port only gRPC uses is h2c')
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP6010' && d.object === 'GRPCRoute/t/g' && d.message.includes('HTTPRoute/t/h')))
  })

  it('a host-less route of one kind does not lock the other kind out of the listener; a host-less pair does clash', () => {
    const grpc = (name: string, hostnames: string, created: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: ${name}, namespace: t, creationTimestamp: '${created}'}
spec: {parentRefs: [{name: gw}], hostnames: ${hostnames}, rules: [{matches: [{method: {service: only.Mine}}], backendRefs: [{name: web2, port: 80}]}]}
`
    const acc = (text: string, o: string) => build(text).model.gatewayApi!.routes.find((r) => r.object === o)!.parents[0]!.conditions.find((c) => c.type === 'Accepted')!.status
    const named = route('victim', `{parentRefs: [{name: gw}], hostnames: [victim.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}`, 't', '2025-02-01T00:00:00Z')
    assert.equal(acc(`${gateway()}${grpc('catchall', '[]', '2025-01-01T00:00:00Z')}${named}`, 'HTTPRoute/t/victim'), 'True')
    const hostless = route('all', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}]}]}`, 't', '2025-02-01T00:00:00Z')
    assert.equal(acc(`${gateway()}${grpc('catchall', '[]', '2025-01-01T00:00:00Z')}${hostless}`, 'HTTPRoute/t/all'), 'False')
  })

  it('no finding for a host a route serves through the more specific listener it is also attached to', () => {
    const text = `${gateway(`[{name: any, port: 80, protocol: HTTP}, {name: v, port: 80, protocol: HTTP, hostname: v.example.com}]`)}${route('r', `{parentRefs: [{name: gw}], hostnames: [v.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}`
    const {model} = build(text)
    assert.deepEqual(model.diagnostics.filter((d) => d.code === 'VIP6001'), [])
    assert.equal((ask(text, {host: 'v.example.com', path: '/'}).outcome as {pool?: string}).pool, 't/web/80')
  })

  it('all-zero weights are said (VIP6011); an appProtocol vipctl does not speak is UnsupportedProtocol; GRPCRoute timeouts are reported', async () => {
    const zero = build(`${gateway(`[{name: web, port: 80, protocol: HTTP}, {name: db, port: 5432, protocol: TCP}]`)}${route('r', `{parentRefs: [{name: gw, sectionName: web}], rules: [{backendRefs: [{name: web, port: 80, weight: 0}]}]}`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: db, namespace: t}
spec: {parentRefs: [{name: gw, sectionName: db}], rules: [{backendRefs: [{name: web, port: 80, weight: 0}]}]}
`).model
    assert.deepEqual(zero.diagnostics.filter((d) => d.code === 'VIP6011').map((d) => d.object).sort(), ['HTTPRoute/t/r', 'TCPRoute/t/db'])
    const wss = build(`${gateway()}---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: t}
spec: {ports: [{port: 443, appProtocol: kubernetes.io/wss}]}
${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: s, port: 443}]}]}`)}`).model
    assert.equal(wss.gatewayApi!.routes[0]!.parents[0]!.conditions.find((c) => c.type === 'ResolvedRefs')!.reason, 'UnsupportedProtocol')
    const grpcTimeouts = codes(`${gateway()}---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: t}
spec: {parentRefs: [{name: gw}], rules: [{timeouts: {request: 1s}, backendRefs: [{name: web2, port: 80}]}]}
`)
    assert.ok(grpcTimeouts.some((c) => c.startsWith('VIP6005 GRPCRoute/t/g spec.rules[0].timeouts') && c.includes('not a GRPCRoute field')))
  })

  it('inspect routes: a newer TCPRoute on a held listener shows that it receives nothing', async () => {
    const {inspectRoutes} = await import('../../src/inspect/inspect.js')
    const tcp = (name: string, created: string, to: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: ${name}, namespace: t, creationTimestamp: '${created}'}
spec: {parentRefs: [{name: gw}], rules: [{backendRefs: [{name: ${to}, port: 80}]}]}
`
    const text = `${gateway(`[{name: db, port: 5432, protocol: TCP}]`)}${tcp('a', '2026-01-01T00:00:00Z', 'web')}${tcp('b', '2026-02-01T00:00:00Z', 'web2')}`
    const rows = inspectRoutes(snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`), {model: {}}).result.items
    assert.deepEqual(rows.find((r) => r.name === 'b')!.rules, ['tcp 192.0.2.50:5432 -> (held by the older TCPRoute/t/a: receives nothing)'])
  })
})

describe('check: the summary counts what vipctl serves of each Gateway API kind', () => {
  it('Gateways, HTTPRoutes, GRPCRoutes, TCP/TLS/UDP routes and ListenerSets, with what is not served and why', async () => {
    const {checkSummary} = await import('../../src/check/check.js')
    const {loadOffline} = await import('../../src/cluster/offline.js')
    const snap = await loadOffline({filenames: ['test/fixtures/haproxy/gateway-grpc.yaml'], strict: false}, {readStdin: async () => ''})
    const s = checkSummary(compile(snap, {}), {model: {}, certWarnDays: 30, now: new Date()})
    assert.deepEqual(s.served, {ingresses: 0, loadBalancers: 0, gateways: 1, httpRoutes: 2, grpcRoutes: 1, tcpRoutes: 3, listenerSets: 1})
    const other = snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${gateway().replace('gatewayClassName: vipctl', 'gatewayClassName: elsewhere')}`)
    assert.deepEqual(checkSummary(compile(other, {}), {model: {}, certWarnDays: 30, now: new Date()}).notServed, {'Gateway: of another GatewayClass': 1})
  })
})

describe('Gateway API: CORS in the routing module', () => {
  it('origin patterns: exact (default port written or not), a leading * for one or more labels, a * host, * alone', async () => {
    const {corsAllows} = await import('../../src/model/routing.js')
    const c = (allowOrigins: string[]) => ({allowOrigins, allowCredentials: false, allowMethods: [], allowHeaders: [], exposeHeaders: [], maxAge: 5})
    const at = (patterns: string[], origins: string[]) => origins.map((o) => corsAllows(c(patterns), o))
    assert.deepEqual(at(['https://www.foo.com'], ['https://www.foo.com', 'https://WWW.foo.com', 'https://www.foo.com:443', 'http://www.foo.com', 'https://www.foo.com.evil.org', 'https://xwww.foo.com']), [true, true, true, false, false, false])
    assert.deepEqual(at(['https://*.bar.com'], ['https://www.bar.com', 'https://a.b.bar.com', 'https://bar.com', 'https://evilbar.com', 'https://x.bar.com:8443']), [true, true, false, false, false])
    assert.deepEqual(at(['http://*:8080'], ['http://a.b:8080', 'http://a:8080', 'http://a', 'https://a:8080']), [true, true, false, false])
    assert.deepEqual(at(['*'], ['null', 'https://anything.example']), [true, true])
  })

  it('a preflight is answered by the proxy (200 with the headers; 204 without for another origin); credentials never get a wildcard', () => {
    const text = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{filters: [{type: CORS, cors: {allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], allowMethods: [GET, OPTIONS], allowHeaders: [x-header-1], exposeHeaders: [x-header-3], allowCredentials: true, maxAge: 3600}}], backendRefs: [{name: web, port: 80}]}, {matches: [{path: {value: /any}}], filters: [{type: CORS, cors: {allowOrigins: ['*'], allowMethods: ['*'], allowCredentials: true}}], backendRefs: [{name: web, port: 80}]}]}`)}`
    const pre = (path: string, origin: string) => ask(text, {host: 'h', path, method: 'OPTIONS', headers: [['Origin', origin], ['Access-Control-Request-Method', 'PUT'], ['Access-Control-Request-Headers', 'x-a, x-b']]})
    const ok = pre('/', 'https://x.y.bar.com')
    assert.deepEqual([ok.outcome.kind, (ok.outcome as {code?: number}).code], ['status', 200])
    assert.deepEqual(ok.cors, [['access-control-allow-origin', 'https://x.y.bar.com'], ['access-control-allow-credentials', 'true'], ['access-control-allow-methods', 'GET, OPTIONS'], ['access-control-allow-headers', 'x-header-1'], ['access-control-max-age', '3600'], ['access-control-expose-headers', 'x-header-3']])
    const no = pre('/', 'https://evil.org')
    assert.deepEqual([(no.outcome as {code?: number}).code, no.cors], [204, undefined])
    // With credentials a wildcard is answered with what the request names.
    assert.deepEqual(pre('/any', 'https://a.example').cors?.slice(0, 3), [['access-control-allow-origin', 'https://a.example'], ['access-control-allow-credentials', 'true'], ['access-control-allow-methods', 'PUT']])
    // An actual request goes to the backend with the headers added for the response.
    const get = ask(text, {host: 'h', path: '/', headers: [['Origin', 'https://www.foo.com']]})
    assert.deepEqual([(get.outcome as {pool?: string}).pool, get.cors?.[0]], ['t/web/80', ['access-control-allow-origin', 'https://www.foo.com']])
  })

  it('the CRD\'s rule: * beside other origins is invalid (VIP1001 naming the field)', () => {
    const snap = snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${route('r', `{parentRefs: [{name: gw}], rules: [{filters: [{type: CORS, cors: {allowOrigins: ['*', 'https://a.example']}}], backendRefs: [{name: web, port: 80}]}]}`)}`)
    assert.ok(snap.diagnostics.some((d) => d.code === 'VIP1001' && d.field?.includes('cors.allowOrigins')), snap.diagnostics.map((d) => d.message).join('; '))
  })
})

describe('Gateway API: second review of the new kinds and CORS', () => {
  const corsRoute = `${gateway()}${route('r', `{parentRefs: [{name: gw}], hostnames: [shop.example.com], rules: [{matches: [{path: {value: /api}}], filters: [{type: CORS, cors: {allowOrigins: ['https://app.example.com:443']}}], backendRefs: [{name: web, port: 80}]}, {matches: [{path: {value: /old}}], filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /new}}}, {type: CORS, cors: {allowOrigins: ['*']}}, {type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: x-a, value: b}]}}]}]}`)}`
  it('check trace tells what the proxy answers a preflight (200 with the headers, or 204); a default port written in a pattern still matches', () => {
    const {model} = build(corsRoute)
    const snap = snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${corsRoute}`)
    const ok = traceRequest(snap, model, 'shop.example.com/api', new Date(), {}, {method: 'OPTIONS', headers: [['Origin', 'https://app.example.com'], ['Access-Control-Request-Method', 'GET']]})
    assert.equal(ok.ok, true)
    assert.match(ok.hops.map((h) => h.detail).join('\n'), /answers 200 with access-control-allow-origin: https:\/\/app\.example\.com/)
    const no = traceRequest(snap, model, 'shop.example.com/api', new Date(), {}, {method: 'OPTIONS', headers: [['Origin', 'https://evil.example'], ['Access-Control-Request-Method', 'GET']]})
    assert.match(no.hops.map((h) => h.detail).join('\n'), /answers 204 without CORS headers/)
  })

  it('several Origin headers: none is allowed (never the one not checked echoed)', () => {
    const v = ask(corsRoute, {host: 'shop.example.com', path: '/api', method: 'OPTIONS', headers: [['Origin', 'https://app.example.com'], ['Origin', 'https://evil.example'], ['Access-Control-Request-Method', 'GET']]})
    assert.deepEqual([(v.outcome as {code?: number}).code, v.cors], [204, undefined])
  })

  it('filters beside a redirect are said to have no effect (VIP6005), never dropped in silence', () => {
    const found = codes(corsRoute).filter((c) => c.startsWith('VIP6005') && c.includes('redirects'))
    assert.equal(found.length, 2, found.join('\n'))
  })

  it('a route attached through a ListenerSet claims no earlier than the ListenerSet: an older Gateway route keeps its host and path', () => {
    const gw = gateway(`[{name: web, port: 80, protocol: HTTP}]`).replace('  listeners:', '  allowedListeners: {namespaces: {from: All}}\n  listeners:').replace('generation: 3}', "generation: 3, creationTimestamp: '2024-01-01T00:00:00Z'}")
    const ls = `---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: grab, namespace: b, creationTimestamp: '2026-01-01T00:00:00Z'}
spec: {parentRef: {name: gw, namespace: t}, listeners: [{name: h, port: 80, protocol: HTTP, hostname: pay.example.com}]}
`
    const pay = route('pay', `{parentRefs: [{name: gw}], hostnames: [pay.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}`, 't', '2025-01-01T00:00:00Z')
    // Older than the ListenerSet (and than the victim), created before the set existed.
    const steal = route('steal', `{parentRefs: [{kind: ListenerSet, name: grab, namespace: b}], rules: [{backendRefs: [{name: web2, port: 80, namespace: t}]}]}`, 'b', '2023-01-01T00:00:00Z')
    const grant = `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: t}
spec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: b}], to: [{group: '', kind: Service}]}
`
    const text = `${gw}${grant}${pay}${ls}${steal}`
    assert.equal((ask(text, {host: 'pay.example.com', path: '/'}).outcome as {pool?: string}).pool, 't/web/80')
    assert.ok(build(text).model.diagnostics.some((d) => d.code === 'VIP2010' && d.object === 'HTTPRoute/b/steal'))
  })
})

describe('Gateway API: found by the upstream conformance suite', () => {
  it('ListenerSetReferenceGrant: a ListenerSet whose only listener\'s certificate is not permitted is not accepted (ListenersNotValid)', () => {
    const gw = gateway(`[{name: web, port: 80, protocol: HTTP}]`).replace('  listeners:', '  allowedListeners: {namespaces: {from: All}}\n  listeners:')
    const ls = `---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: s, namespace: other}
spec: {parentRef: {name: gw, namespace: t}, listeners: [{name: l, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: certificate, namespace: t}]}}]}
`
    const st = build(`${gw}${ls}`).model.gatewayApi!.listenerSets[0]!
    assert.deepEqual(st.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), ['Accepted=False/ListenersNotValid', 'Programmed=False/ListenersNotValid'])
    assert.equal(st.listeners[0]!.conditions.find((c) => c.type === 'ResolvedRefs')!.reason, 'RefNotPermitted')
  })
})

describe('Gateway API: an address requested without a value (GatewayAddressEmpty)', () => {
  const gw = (addresses: string) => gateway().replace('  addresses: [{type: IPAddress, value: 192.0.2.50}]', `  addresses: ${addresses}`)
  const served = (text: string, vipPool?: string) => {
    const {model} = compile(snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`), vipPool ? {vipPool} : {})
    const g = model.gatewayApi!.gateways[0]!
    return {addresses: g.addresses, conditions: g.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), codes: model.diagnostics.map((d) => `${d.code} ${d.field ?? ''}`)}
  }
  it('is read (the CRD makes value optional) and assigned from the VIP pool', () => {
    const r = served(gw('[{type: IPAddress}]'), '198.51.100.0/30')
    assert.equal(r.addresses.length, 1)
    assert.match(r.addresses[0]!, /^198\.51\.100\.[0-3]$/)
    assert.deepEqual(r.conditions, ['Accepted=True/Accepted', 'Programmed=True/Programmed'])
  })
  it('without a pool: accepted, not programmed (AddressNotAssigned), and said (VIP2005)', () => {
    const r = served(gw('[{type: IPAddress}]'))
    assert.deepEqual(r.addresses, [])
    assert.deepEqual(r.conditions, ['Accepted=True/Accepted', 'Programmed=False/AddressNotAssigned'])
    assert.ok(r.codes.includes('VIP2005 '))
  })
  it('an address named that cannot be used (link-local): not Programmed (AddressNotUsable), said on spec.addresses (VIP2003), the usable one still served (GatewayStaticAddresses)', () => {
    const r = served(gw('[{type: IPAddress, value: 169.254.1.1}, {type: IPAddress, value: 192.0.2.50}]'))
    assert.deepEqual(r.addresses, ['192.0.2.50'])
    assert.deepEqual(r.conditions, ['Accepted=True/Accepted', 'Programmed=False/AddressNotUsable'])
    assert.ok(r.codes.includes('VIP2003 spec.addresses'), r.codes.join('; '))
    assert.deepEqual(served(gw('[{type: example.com/fake, value: x}, {type: IPAddress, value: 192.0.2.50}]')).conditions.slice(0, 1), ['Accepted=False/UnsupportedAddress'])
  })
  it('beside an address named in full: the named one is served and the empty one is said (VIP6005)', () => {
    const r = served(gw('[{type: IPAddress}, {type: IPAddress, value: 192.0.2.50}]'), '198.51.100.0/30')
    assert.deepEqual(r.addresses, ['192.0.2.50'])
    assert.ok(r.codes.includes('VIP6005 spec.addresses[0].value'), r.codes.join('; '))
  })
})

describe('Gateway API: a backendRef\'s own request header modifiers (HTTPRouteBackendRequestHeaderModification)', () => {
  const mod = (v: string) => `[{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Backend, value: ${v}}]}}]`
  const text = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: X-Rule, value: r}]}}], backendRefs: [{name: web, port: 80, weight: 1, filters: ${mod('one')}}, {name: web2, port: 80, weight: 1, filters: ${mod('two')}}]}, {matches: [{path: {value: /solo}}], backendRefs: [{name: web, port: 80, filters: ${mod('solo')}}]}, {matches: [{path: {value: /other}}], backendRefs: [{name: web, port: 80, filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: a, value: b}]}}]}]}]}`)}`
  it('go with their backend in the routing module: the split carries them (a single backend too); check trace says them', () => {
    const d = ask(text, {host: 'h', path: '/'}).decision!
    assert.equal(d.action.kind, 'pool')
    const split = (d.action as {split?: Array<{pool: string; requestHeaders?: {set: Array<{name: string; value: string}>}}>}).split!
    assert.deepEqual(split.map((b) => [b.pool, b.requestHeaders?.set[0]?.value]), [['t/web/80', 'one'], ['t/web2/80', 'two']])
    const solo = ask(text, {host: 'h', path: '/solo'}).decision!
    assert.deepEqual((solo.action as {split?: Array<{requestHeaders?: {set: Array<{value: string}>}}>}).split?.map((b) => b.requestHeaders?.set[0]?.value), ['solo'])
    const t = traceRequest(snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`), build(text).model, 'h/', new Date())
    assert.ok(t.hops.some((h) => h.detail.includes('50% t/web/80 (its request headers: set Backend)')), JSON.stringify(t.hops))
  })
  it('HAProxy sets them only for the requests their backend is picked for, after the rule\'s; NetScaler says it does not write them (VIP3001)', () => {
    const compiled = build(text)
    const cfg = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}).config.files[0]!.content
    const lines = cfg.split('\n')
    const rule = lines.findIndex((l) => l.includes('add-header X-Rule'))
    const one = lines.findIndex((l) => /set-header Backend "?one"? if .*var\(txn\.pick\) -m int ge 0 \} \{ var\(txn\.pick\) -m int lt 1 \}/.test(l))
    const two = lines.findIndex((l) => /set-header Backend "?two"? if .*var\(txn\.pick\) -m int ge 1 \} \{ var\(txn\.pick\) -m int lt 2 \}/.test(l))
    assert.ok(rule >= 0 && one > rule && two > one, cfg)
    const ns = generateNetscaler(compiled.model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    assert.ok(ns.diagnostics.some((x) => x.code === 'VIP3001' && x.message.includes("backendRef's own request header modifiers")))
  })
  /** An HTTPRoute t/<name> for host <name>.example.com: 16 rules of 16 backendRefs, each setting `headers` headers. */
  const heavy = (name: string, headers: number) => {
    // Each backendRef of each rule sets its own values: none is folded into another.
    const sets = (r: number, j: number) => `[${Array.from({length: headers}, (_, i) => `{name: x-${i}, value: ${name}-${r}-${j}}`).join(', ')}]`
    const refs = (r: number) => `[${Array.from({length: 16}, (_, j) => `{name: web, port: 80, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: ${sets(r, j)}}}]}`).join(', ')}]`
    return route(name, `{parentRefs: [{name: gw}], hostnames: [${name}.example.com], rules: [${Array.from({length: 16}, (_, i) => `{matches: [{path: {value: /r${i}}}], backendRefs: ${refs(i)}}`).join(', ')}]}`)
  }
  it('one object whose filters would add more than the per-object budget of rules answers 500 on its own routes (VIP3003); the others are untouched', () => {
    const compiled = build(`${gateway()}${heavy('big', 16)}${route('small', `{parentRefs: [{name: gw}], hostnames: [small.example.com], rules: [{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-s, value: s}]}}], backendRefs: [{name: web2, port: 80}]}]}`)}`)
    const r = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'})
    const d = r.diagnostics.find((x) => x.code === 'VIP3003')
    assert.ok(d && d.object === 'HTTPRoute/t/big' && /at most 2048 per object/.test(d.message), JSON.stringify(r.diagnostics))
    const cfg = r.config.files[0]!.content
    assert.doesNotMatch(cfg, /set-header x-0 big-/)
    assert.match(cfg, /set-header x-s "?s"? if/)
  })
  it('a rule of another object identical to one of the over-budget object\'s keeps working (their shared rules are kept)', () => {
    const redirect = `{filters: [{type: RequestRedirect, requestRedirect: {hostname: www.example.com, statusCode: 301}}]}`
    // Its first rule (of the CRD's 16) becomes the redirect.
    const big = heavy('big', 16).replace(/\{matches: \[\{path: \{value: \/r0\}\}\], backendRefs: .*?\]\}, (?=\{matches: \[\{path: \{value: \/r1\}\}\])/, `${redirect}, `)
    assert.ok(big.includes('RequestRedirect'))
    const compiled = build(`${gateway()}${big}${route('victim', `{parentRefs: [{name: gw}], hostnames: [victim.example.com], rules: [${redirect}]}`, 't', '2026-02-01T00:00:00Z')}`)
    const r = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'})
    assert.deepEqual(r.diagnostics.filter((x) => x.code === 'VIP3003').map((x) => x.object), ['HTTPRoute/t/big'])
    assert.match(r.config.files[0]!.content, /redirect location "?http:\/\/www\.example\.com/)
  })
  it('many objects each within the budget: the config is written however many rules they add together (no call-stack limit on lists)', function () {
    this.timeout(120_000)
    const compiled = build(`${gateway()}${Array.from({length: 100}, (_, i) => heavy(`t${i}`, 5)).join('')}`)
    const r = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'})
    assert.ok(!r.diagnostics.some((x) => x.code === 'VIP3003'))
    assert.ok(r.config.files[0]!.content.split("\n").length > 150_000)
  })
  it('NetScaler: backendRefs to one Service port that differ only by their modifiers are one backend there (every entity name once)', () => {
    const two = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80, weight: 1, filters: ${mod('a')}}, {name: web, port: 80, weight: 3, filters: ${mod('b')}}, {name: web2, port: 80, weight: 1}]}]}`)}`
    const compiled = build(two)
    const ns = generateNetscaler(compiled.model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    const names = ns.entities.map((e) => `${e.type} ${(e as {name?: string; policyname?: string}).name ?? (e as {policyname?: string}).policyname ?? ''}`).filter((n) => /^(csaction|cspolicy) /.test(n))
    assert.equal(new Set(names).size, names.length, names.join('\n'))
    assert.match(renderBatch(ns), /SYS\.RANDOM\.MUL\(5\)\.LT\(4\)/, 'web takes 4 of 5')
    assert.equal(ns.diagnostics.filter((x) => x.code === 'VIP3001' && x.message.includes('backendRef')).length, 1)
  })
  it('an empty modifier on a backendRef is no modifier (nothing said, nothing written)', () => {
    const empty = `${gateway()}${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {}}]}]}]}`)}`
    const d = ask(empty, {host: 'h', path: '/'}).decision!
    assert.equal((d.action as {split?: unknown}).split, undefined)
  })
  it('any other filter on a backendRef makes the rule answer 500 and is said (VIP6005)', () => {
    assert.equal(ask(text, {host: 'h', path: '/other'}).outcome.kind, 'status')
    assert.ok(codes(text).some((c) => c.startsWith('VIP6005') && c.includes('backendRefs[0].filters[0]') && c.includes('ResponseHeaderModifier')))
  })
})

describe('Gateway API: a match whose conditions need more than HAProxy\'s 64 words a line', () => {
  it('is left out with VIP3003 on its object (HAProxy would refuse the whole file); the other matches are served', () => {
    const headers = `[${Array.from({length: 9}, (_, i) => `{name: x-h${i}, value: v${i}}`).join(', ')}]`
    const text = `${gateway()}${route('long', `{parentRefs: [{name: gw}], hostnames: [a.example.com], rules: [{matches: [{headers: ${headers}}], backendRefs: [{name: web2, port: 80}]}, {matches: [{headers: [{name: x-one, value: '1'}]}], backendRefs: [{name: web, port: 80}]}]}`)}`
    const r = renderHaproxy(build(text), {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'})
    const cfg = r.config.files[0]!.content
    assert.ok(Math.max(...cfg.split('\n').map((l) => l.trim().split(/\s+/).length)) <= 64)
    assert.ok(r.diagnostics.some((d) => d.code === 'VIP3003' && d.object === 'HTTPRoute/t/long' && /words \(at most 64\)/.test(d.message)))
    assert.match(cfg, /req\.fhdr\(x-one\)/)
  })
})

describe('Gateway API: misdirected requests on HTTPS listeners (GatewayHTTPSListenerDetectMisdirectedRequests)', () => {
  // The shop example's self-signed certificate (test/fixtures/haproxy/l7-policy.yaml), as Secret t/cert.
  const secret = readFileSync(new URL('../fixtures/haproxy/l7-policy.yaml', import.meta.url), 'utf8').split(/^---$/m).find((d) => d.includes('name: shop-tls'))!.replace('namespace: l7', 'namespace: t').replace('name: shop-tls', 'name: cert')
  const tls = `tls: {certificateRefs: [{name: cert}]}`
  const text = `---\n${secret.trim()}\n${gateway(`[{name: any, port: 443, protocol: HTTPS, ${tls}}, {name: second, port: 443, protocol: HTTPS, hostname: second.example.org, ${tls}}, {name: wild, port: 443, protocol: HTTPS, hostname: '*.wildcard.org', ${tls}}, {name: fourth, port: 443, protocol: HTTPS, hostname: fourth.wildcard.org, ${tls}}]`)}${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}`
  const cases: Array<[string, string, boolean]> = [
    ['example.org', 'example.org', false],
    ['example.org', 'second.example.org', true],
    ['second.example.org', 'unknown.example.org', true],
    ['third.wildcard.org', 'fifth.a.wildcard.org', false],
    ['third.wildcard.org', 'fourth.wildcard.org', true],
    ['unknown.example.org', 'example.org', false],
  ]
  it('the routing module: 421 when the SNI selects another listener than the Host belongs to (most specific listener first)', () => {
    const {model} = build(text)
    const f = model.frontends.find((x) => x.port === 443)!
    assert.equal(f.tlsListeners?.length, 4)
    for (const [sni, host, want] of cases) assert.equal(misdirected(f, sni, host), want, `SNI ${sni}, Host ${host}`)
    assert.equal(misdirected(f, undefined, 'second.example.org'), false, 'no SNI: never misdirected')
    assert.equal(misdirected(f, 'second.example.org', ''), false, 'no Host: never misdirected (the Host checks answer)')
    const t = traceRequest(snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${text}`), model, 'second.example.org/', new Date(), {}, {sni: 'example.org'})
    assert.equal(t.ok, false)
    assert.match(t.hops[0]!.detail, /421 misdirected request: SNI example\.org selects listener any of Gateway\/t\/gw, Host second\.example\.org belongs to listener second/)
  })
  it('a tenant\'s ListenerSet on the same port never changes which listener a host belongs to (only the Gateway\'s own listeners count)', () => {
    const open = text.replace('  listeners:', '  allowedListeners: {namespaces: {from: All}}\n  listeners:')
    const ls = `---\napiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: s, namespace: t}\nspec: {parentRef: {name: gw}, listeners: [{name: mine, port: 443, protocol: HTTPS, hostname: '*.example.org', ${tls}}]}\n`
    const {model} = build(`${open}${ls}`)
    const f = model.frontends.find((x) => x.port === 443)!
    assert.deepEqual(f.tlsListeners!.map((l) => l.key.split('#')[1]), ['any', 'second', 'wild', 'fourth'])
    assert.equal(misdirected(f, 'other.example.org', 'example.org'), false)
  })
  it('without a listener that takes every name: a name none takes is "-" on both sides, never a 421 by itself (a ListenerSet\'s own host)', () => {
    const two = `---\n${secret.trim()}\n${gateway(`[{name: a, port: 443, protocol: HTTPS, hostname: a.example, ${tls}}, {name: b, port: 443, protocol: HTTPS, hostname: b.example, ${tls}}]`)}${route('r', `{parentRefs: [{name: gw}], rules: [{backendRefs: [{name: web, port: 80}]}]}`)}`
    const compiled = build(two)
    const f = compiled.model.frontends.find((x) => x.port === 443)!
    assert.deepEqual([misdirected(f, 'ls.example', 'ls.example'), misdirected(f, 'a.example', 'ls.example'), misdirected(f, 'ls.example', 'b.example')], [false, true, true])
    const cfg = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}).config.files[0]!.content
    assert.match(cfg, /set-var\(txn\.sni_l\) str\(-\) if \{ ssl_fc_sni -m found \} !\{ var\(txn\.sni_l\) -m found \}/)
    assert.match(cfg, /set-var\(txn\.host_l\) str\(-\) if !\{ var\(txn\.host_l\) -m found \}/)
  })
  it('HAProxy compares the two listeners from maps (exact, longest suffix, then the one without a hostname); NetScaler says it does not (VIP3001)', () => {
    const compiled = build(text)
    const files = renderHaproxy(compiled, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}).config.files
    const cfg = files[0]!.content
    assert.match(cfg, /set-var\(txn\.sni_l\) ssl_fc_sni,lower,map_str\(\/etc\/haproxy\/vipctl\/maps\/https_192-0-2-50_443\.listeners\.exact\.map\) if \{ ssl_fc_sni -m found \}/)
    assert.match(cfg, /return status 421 .* if \{ ssl_fc_sni -m found \} \{ var\(txn\.host\) -m found \} !\{ var\(txn\.sni_l\),strcmp\(txn\.host_l\) eq 0 \}/)
    assert.equal(files.find((x) => x.path.endsWith('.listeners.suffix.map'))!.content, '.wildcard.org l2\n')
    assert.equal(files.find((x) => x.path.endsWith('.listeners.exact.map'))!.content, 'fourth.wildcard.org l3\nsecond.example.org l1\n')
    const ns = generateNetscaler(compiled.model, compiled.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    assert.ok(ns.diagnostics.some((x) => x.code === 'VIP3001' && x.message.includes('421')))
  })
})

describe('Secrets read by name, live and in sync (one list)', () => {
  it('a ListenerSet listener\'s certificate is read like a Gateway\'s; names the API server would refuse are never asked for', async () => {
    const {wantedSecrets} = await import('../../src/cluster/live.js')
    const snap = snapshotOf(`${WEB_BACKENDS}---\n${CLASS}${gateway(`[{name: s, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: gw-cert}]}}]`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: ls, namespace: apps}
spec: {parentRef: {name: gw, namespace: t}, listeners: [{name: l, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: ls-cert}, {name: other, namespace: shared}]}}]}
`)
    assert.deepEqual(wantedSecrets(snap), ['apps/ls-cert', 'shared/other', 't/gw-cert'])
  })
})
