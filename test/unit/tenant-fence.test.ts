/**
 * Isolation between namespaces on a shared VIP (an outside review found the hole): a request for a host that
 * Ingresses of one namespace name, whose path matches none of their rules, never goes to another namespace's
 * catch-all (a rule without a host, a wildcard host covering it, a default backend): it is answered 404. Within
 * one namespace catch-alls take such requests as before. Checked through the routing module (what every target
 * and trace derive from), the HAProxy and NetScaler renders, trace and check.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'
import {traceRequest} from '../../src/check/trace.js'
import {runChecks} from '../../src/check/check.js'
import {compile} from '../../src/model/compile.js'
import {decide, routingTable} from '../../src/model/routing.js'
import {renderAll} from '../helpers/targets.js'

function snap(text: string): Snapshot {
  const s = emptySnapshot({kind: 'offline', files: ['m.yaml']})
  parseInto(s, text, 'm.yaml')
  return sortSnapshot(s)
}
const svc = (name: string, ns: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {ports: [{port: 80}]}\n---\n`
const ing = (ns: string, name: string, created: string, spec: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ${name}, namespace: ${ns}, creationTimestamp: "${created}", annotations: {vipctl.io/vip: 192.0.2.9}}\nspec:\n  ingressClassName: vipctl\n${spec}---\n`
const rule = (host: string, p: string, backend: string) => `  rules: [{${host ? `host: "${host}", ` : ''}http: {paths: [{path: ${p}, pathType: Prefix, backend: {service: {name: ${backend}, port: {number: 80}}}}]}}]\n`
const CHECK_OPTS = {model: {}, certWarnDays: 21, now: new Date('2026-12-01T00:00:00Z')}
const shop = `${svc('api', 'shop')}${ing('shop', 'api', '2025-01-01T00:00:00Z', rule('api.shop.test', '/v1', 'api'))}`

/** Where a request goes, as the routing module decides it on the VIP's HTTP frontend: a pool, or a status. */
function goes(s: Snapshot, host: string, path: string): string {
  const {model} = compile(s, {})
  const f = model.frontends.find((x) => x.protocol === 'http')!
  const v = decide(routingTable(f, model), {host, path})
  return v.outcome.kind === 'pool' ? v.outcome.pool : `${v.outcome.kind} ${'code' in v.outcome ? v.outcome.code : ''}`
}

describe('isolation between namespaces: a host\'s unmatched paths never reach another namespace\'s catch-all', () => {
  const cases: Array<[string, string]> = [
    ['a rule without a host', `${svc('grab', 'evil')}${ing('evil', 'all', '2026-01-01T00:00:00Z', rule('', '/', 'grab'))}`],
    ['a wildcard host covering it', `${svc('grab', 'evil')}${ing('evil', 'wild', '2026-01-01T00:00:00Z', rule('*.shop.test', '/', 'grab'))}`],
    ['a default backend', `${svc('grab', 'evil')}${ing('evil', 'def', '2026-01-01T00:00:00Z', '  defaultBackend: {service: {name: grab, port: {number: 80}}}\n')}`],
    ['an older catch-all', `${svc('grab', 'evil')}${ing('evil', 'all', '2024-01-01T00:00:00Z', rule('', '/', 'grab'))}`],
  ]
  for (const [what, evil] of cases) {
    it(`${what} of another namespace: 404 for the host's other paths; its own paths and other hosts as before`, () => {
      const s = snap(`${shop}${evil}`)
      assert.match(goes(s, 'api.shop.test', '/v1/x'), /^shop\/api\/80/)
      assert.equal(goes(s, 'api.shop.test', '/other'), 'status 404')
      assert.equal(goes(s, 'API.Shop.Test.:80', '/other'), 'status 404', 'the host in any spelling')
      if (what !== 'a wildcard host covering it') assert.match(goes(s, 'unknown.test', '/x'), /^evil\/grab\/80/, 'a host nobody names still reaches the catch-all')
      else assert.match(goes(s, 'www.shop.test', '/x'), /^evil\/grab\/80/, 'other hosts under the wildcard still reach it')
      const {model} = compile(s, {})
      const t = traceRequest(s, model, 'api.shop.test/other')
      assert.equal(t.ok, false)
      const route = t.hops.find((h) => h.hop === 'route')!
      assert.match(route.detail, /another namespace's catch-all/)
      assert.match(route.fix ?? '', /an Ingress of namespace shop/)
      const vip4014 = runChecks(compile(s, {}), CHECK_OPTS, []).filter((d) => d.code === 'VIP4014')
      assert.ok(vip4014.some((d) => d.object === 'Ingress/shop/api' && /never go to another namespace's catch-all \((Ingress\/evil|the default backend)/.test(d.message)), JSON.stringify(vip4014))
    })
  }

  it('the same catch-alls in the host\'s own namespace take its other paths, as before', () => {
    for (const own of [ing('shop', 'all', '2026-01-01T00:00:00Z', rule('', '/', 'api')), ing('shop', 'wild', '2026-01-01T00:00:00Z', rule('*.shop.test', '/', 'api')), ing('shop', 'def', '2026-01-01T00:00:00Z', '  defaultBackend: {service: {name: api, port: {number: 80}}}\n')]) {
      assert.match(goes(snap(`${shop}${own}`), 'api.shop.test', '/other'), /^shop\/api\/80/, own)
    }
  })

  it('a host with its own catch-all (Prefix /) needs no fence', () => {
    const s = snap(`${svc('api', 'shop')}${ing('shop', 'api', '2025-01-01T00:00:00Z', rule('api.shop.test', '/', 'api'))}${svc('grab', 'evil')}${ing('evil', 'all', '2026-01-01T00:00:00Z', rule('', '/', 'grab'))}`)
    const {model} = compile(s, {})
    assert.ok(!model.frontends.some((f) => f.routes.some((r) => r.policy?.fail?.foreign)))
  })

  it('the HAProxy and NetScaler renders answer 404 for the fenced host', () => {
    const r = renderAll(snap(`${shop}${cases[0]![1]}`), ['haproxy', 'netscaler'])
    const f = r.model.frontends.find((x) => x.protocol === 'http')!
    const fence = f.routes.find((x) => x.policy?.fail?.foreign)
    assert.deepEqual([fence?.host, fence?.path, fence?.pathType, fence?.policy?.fail?.code], ['api.shop.test', '/', 'Prefix', 404])
    const maps = JSON.stringify(r.haproxy)
    assert.match(maps, /api\.shop\.test\/ _route_[0-9a-f]+/, 'a map entry for the host\'s /')
    assert.match(r.netscaler!.batch, /rsp404_\w+ "HTTP\.REQ\.HOSTNAME\.SERVER\.SET_TEXT_MODE\(IGNORECASE\)\.EQ\(\\"api\.shop\.test\\"\)[^\n]*" k8s-no_route_404/)
  })
})

describe('isolation between namespaces: a TLS host keeps the certificate of its oldest claimant, Ingress or Gateway', () => {
  const secretOf = (ns: string, name: string) => readFileSync('examples/shop/50-secret-tls.yaml', 'utf8').replace('namespace: shop', `namespace: ${ns}`).replace('name: shop-tls', `name: ${name}`)
  const tlsIngress = (created: string) =>
    `${svc('web', 'shop')}${secretOf('shop', 'shop-tls')}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: store, namespace: shop, creationTimestamp: "${created}", annotations: {vipctl.io/vip: 192.0.2.9}}\nspec:\n  ingressClassName: vipctl\n  tls: [{hosts: [shop.example.com], secretName: shop-tls}]\n${rule('shop.example.com', '/', 'web')}---\n`
  const gateway = (created: string) =>
    `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: vipctl}\nspec: {controllerName: vipctl.io/gateway-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: evil, creationTimestamp: "${created}"}\nspec:\n  gatewayClassName: vipctl\n  addresses: [{type: IPAddress, value: 192.0.2.9}]\n  listeners:\n  - {name: https, port: 443, protocol: HTTPS, hostname: shop.example.com, tls: {mode: Terminate, certificateRefs: [{name: evil-tls}]}}\n---\n${secretOf('evil', 'evil-tls')}`

  it('a newer Gateway listener naming an Ingress\'s TLS host: VIP2017 on the Gateway, only the Ingress\'s certificate is served (HAProxy, NetScaler)', () => {
    const r = renderAll(snap(`${tlsIngress('2025-01-01T00:00:00Z')}---\n${gateway('2026-01-01T00:00:00Z')}`), ['haproxy', 'netscaler'])
    const d = r.model.diagnostics.filter((x) => x.code === 'VIP2017')
    assert.deepEqual(d.map((x) => `${x.object} ${x.field}`), ['Gateway/evil/gw spec.listeners[0].hostname'], JSON.stringify(d))
    assert.match(d[0]!.message, /TLS host shop\.example\.com on 192\.0\.2\.9:443 is already served with the Secret of Ingress\/shop\/store/)
    const https = r.model.frontends.find((f) => f.protocol === 'https')!
    assert.deepEqual(https.certificates.map((c) => c.secret), ['shop/shop-tls'])
    assert.doesNotMatch(r.netscaler!.batch, /evil-tls/)
    assert.doesNotMatch(JSON.stringify(r.haproxy), /evil_evil-tls|evil-tls/)
  })

  it('a Gateway listener whose certificate does not cover its hostname: VIP4020 on the Gateway, as for an Ingress', () => {
    // The example's certificate covers shop.example.com and *.shop.example.com, not app.example.test.
    const text = gateway('2026-01-01T00:00:00Z').replace('hostname: shop.example.com', 'hostname: app.example.test')
    const found = runChecks(compile(snap(text), {}), CHECK_OPTS, []).filter((d) => d.code === 'VIP4020')
    assert.deepEqual(found.map((d) => `${d.object} ${d.field} ${d.severity}`), ['Gateway/evil/gw spec.listeners[0].tls.certificateRefs[0] error'])
    assert.match(found[0]!.message, /listener https: Secret evil-tls's certificate does not cover app\.example\.test \(it covers /)
    assert.deepEqual(runChecks(compile(snap(gateway('2026-01-01T00:00:00Z')), {}), CHECK_OPTS, []).filter((d) => d.code === 'VIP4020'), [], 'a covering one: none')
  })

  it('the other way round (the Gateway older): the Ingress\'s Secret is the one left out', () => {
    const r = renderAll(snap(`${tlsIngress('2026-01-01T00:00:00Z')}---\n${gateway('2025-01-01T00:00:00Z')}`), ['haproxy'])
    assert.deepEqual(r.model.diagnostics.filter((x) => x.code === 'VIP2017').map((x) => x.object), ['Ingress/shop/store'])
    assert.deepEqual(r.model.frontends.find((f) => f.protocol === 'https')!.certificates.map((c) => c.secret), ['evil/evil-tls'])
  })
})

describe('isolation between namespaces on NetScaler: a host with many paths keeps its fence', () => {
  it('the 404 answer whose rule would pass 1,499 characters runs after content switching, before the other namespace\'s catch-all', () => {
    const paths = Array.from({length: 40}, (_, i) => `/a-fairly-long-path-segment-number-${i}`)
    const many = `${svc('api', 'shop')}${ing('shop', 'api', '2025-01-01T00:00:00Z', `  rules: [{host: "api.shop.test", http: {paths: [${paths.map((p) => `{path: ${p}, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}`).join(', ')}]}}]\n`)}`
    const r = renderAll(snap(`${many}${svc('grab', 'evil')}${ing('evil', 'all', '2026-01-01T00:00:00Z', rule('', '/', 'grab'))}`), ['netscaler'])
    const e = r.netscaler!.config.entities
    const csBindings = e.filter((x) => x.type === 'csvserver_cspolicy_binding').sort((a, b) => (a as {priority: number}).priority - (b as {priority: number}).priority) as Array<{policyname: string; priority: number}>
    const policy = (n: string) => e.find((x) => x.type === 'cspolicy' && x.policyname === n) as {rule: string; action: string}
    const action = (n: string) => e.find((x) => x.type === 'csaction' && x.name === n) as {targetlbvserver: string}
    const rules = csBindings.map((b) => policy(b.policyname).rule)
    // The fence: the host alone, after its 40 paths, before the catch-all of namespace evil ("true").
    const fenceAt = rules.findIndex((x) => x === 'HTTP.REQ.HOSTNAME.SERVER.SET_TEXT_MODE(IGNORECASE).EQ("api.shop.test")')
    const catchAllAt = rules.indexOf('true')
    assert.ok(fenceAt > 0 && catchAllAt > fenceAt, rules.join('\n'))
    assert.equal(rules.slice(0, fenceAt).filter((x) => x.includes('api.shop.test')).length, 40)
    // Its lb vserver answers 404 (a responder bound to it), on a pool of the host's own (shop/api), never evil's.
    const lbv = action(policy(csBindings[fenceAt]!.policyname).action).targetlbvserver
    const responder = e.find((x) => x.type === 'lbvserver_responderpolicy_binding' && x.name === lbv) as {policyname: string}
    const answer = e.find((x) => x.type === 'responderpolicy' && x.name === responder.policyname) as {action: string}
    assert.match(JSON.stringify(e.find((x) => x.type === 'responderaction' && x.name === answer.action)), /404 Not Found/)
    assert.match(String((e.find((x) => x.type === 'lbvserver_servicegroup_binding' && x.name === lbv) as {servicegroupname: string}).servicegroupname), /^k8s-api_80_sgp/)
    assert.ok(r.diagnostics.some((d) => d.code === 'VIP3004' && /the 404 answer for api\.shop\.test\/ runs after content switching/.test(d.message)))
    assert.ok(!r.diagnostics.some((d) => d.code === 'VIP3003'), 'nothing left out')
  })
})

describe('--vip-allow: the addresses objects may name as their VIP', () => {
  const lb = (name: string, vip: string, status = '') =>
    `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: t, annotations: {${vip ? `vipctl.io/vip: "${vip}"` : ''}}}\nspec: {type: LoadBalancer, loadBalancerClass: vipctl.io/lb, ports: [{port: 53}]}\n${status ? `status: {loadBalancer: {ingress: [{ip: ${status}}]}}\n` : ''}---\n`
  const served = (text: string, opts: {vipAllow?: string[]; vip?: string; vipPool?: string}) => {
    const {model} = compile(snap(text), opts)
    return {vips: model.vips.map((v) => v.address).sort(), refused: model.diagnostics.filter((d) => d.code === 'VIP2003').map((d) => `${d.object} ${d.message}`)}
  }

  it('a tenant VIP outside the ranges (loopback, the node\'s network) is VIP2003 and not served; inside, served', () => {
    const r = served(`${lb('dns', '127.0.0.53')}${lb('etcd', '::1')}${lb('ok', '192.0.2.7')}${lb('ok6', '2001:DB8::7')}`, {vipAllow: ['192.0.2.0/24', '2001:db8::/64']})
    assert.deepEqual(r.vips, ['192.0.2.7', '2001:db8::7'])
    assert.deepEqual(r.refused, [
      'Service/t/dns VIP 127.0.0.53 is outside --vip-allow (192.0.2.0/24, 2001:db8::/64): the object is not served',
      'Service/t/etcd VIP ::1 is outside --vip-allow (192.0.2.0/24, 2001:db8::/64): the object is not served',
    ])
  })

  it('the operator\'s own --vip and --vip-pool addresses are always allowed (status written from the pool included)', () => {
    const r = served(`${lb('flag', '')}${lb('pooled', '', '10.96.0.9')}`, {vipAllow: ['192.0.2.0/24'], vip: '198.51.100.1', vipPool: '10.96.0.0/24'})
    assert.deepEqual(r.refused, [])
    assert.ok(r.vips.includes('10.96.0.9'), r.vips.join())
  })

  it('without --vip-allow any unicast address is taken, loopback included (vipctl tried on one machine)', () => {
    assert.deepEqual(served(`${lb('dns', '127.0.0.53')}`, {}).vips, ['127.0.0.53'])
  })
})

describe('isolation between namespaces across the ports of a VIP, and between Ingresses and Gateway API routes', () => {
  const withPorts = (ns: string, name: string, created: string, ann: string, spec: string) =>
    `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ${name}, namespace: ${ns}, creationTimestamp: "${created}", annotations: {vipctl.io/vip: 192.0.2.9, ${ann}}}\nspec:\n  ingressClassName: vipctl\n${spec}---\n`
  const goesOn = (s: Snapshot, port: number, host: string, path: string) => {
    const {model} = compile(s, {})
    const f = model.frontends.find((x) => x.port === port && (x.protocol === 'http' || x.protocol === 'https'))!
    const v = decide(routingTable(f, model), {host, path})
    return v.outcome.kind === 'pool' ? v.outcome.pool : `${v.outcome.kind} ${'code' in v.outcome ? v.outcome.code : ''}`
  }

  it('another namespace\'s catch-all on another port of the same VIP does not take the host there either', () => {
    const s = snap(`${shop}${svc('grab', 'evil')}${withPorts('evil', 'alt', '2026-01-01T00:00:00Z', 'vipctl.io/http-port: "8080"', rule('', '/', 'grab'))}`)
    assert.equal(goesOn(s, 8080, 'api.shop.test', '/other'), 'status 404')
    assert.equal(goesOn(s, 8080, 'api.shop.test', '/v1/x'), 'status 404', 'the host is not served on 8080 at all')
    assert.match(goesOn(s, 8080, 'unknown.test', '/x'), /^evil\/grab\/80/)
  })

  const gatewayHost = `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: vipctl}\nspec: {controllerName: vipctl.io/gateway-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: vgw, namespace: victim, creationTimestamp: "2024-01-01T00:00:00Z"}\nspec:\n  gatewayClassName: vipctl\n  addresses: [{type: IPAddress, value: 192.0.2.9}]\n  listeners: [{name: web, port: 80, protocol: HTTP, hostname: app.example.test, allowedRoutes: {namespaces: {from: Same}}}]\n---\n${svc('vsvc', 'victim')}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: vr, namespace: victim}\nspec: {parentRefs: [{name: vgw}], rules: [{matches: [{path: {type: PathPrefix, value: /app}}], backendRefs: [{name: vsvc, port: 80}]}]}\n---\n`

  it('an Ingress catch-all of another namespace on a Gateway\'s VIP:port does not take the hosts its routes name', () => {
    const s = snap(`${gatewayHost}${svc('grab', 'evil')}${ing('evil', 'e', '2025-01-01T00:00:00Z', rule('', '/', 'grab'))}`)
    assert.match(goesOn(s, 80, 'app.example.test', '/app/x'), /^victim\/vsvc\/80/)
    assert.equal(goesOn(s, 80, 'app.example.test', '/other'), 'status 404')
    assert.match(goesOn(s, 80, 'other.test', '/x'), /^evil\/grab\/80/)
  })
})

describe('a host shared by namespaces: a newer namespace\'s catch-all under it is said (VIP4043)', () => {
  it('on the newcomer, naming the older owner; not for the older one\'s own catch-all, nor within one namespace', () => {
    const newer = snap(`${shop}${svc('grab', 'evil')}${ing('evil', 'all', '2026-01-01T00:00:00Z', rule('api.shop.test', '/', 'grab'))}`)
    const found = runChecks(compile(newer, {}), CHECK_OPTS, []).filter((d) => d.code === 'VIP4043')
    assert.deepEqual(found.map((d) => `${d.object} ${d.severity}`), ['Ingress/evil/all info'])
    assert.match(found[0]!.message, /api\.shop\.test\/ \(Prefix\) of namespace evil takes every path of api\.shop\.test that Ingress\/shop\/api \(namespace shop, older\) does not route/)
    const own = snap(`${shop}${ing('shop', 'all', '2026-01-01T00:00:00Z', rule('api.shop.test', '/', 'api'))}`)
    assert.deepEqual(runChecks(compile(own, {}), CHECK_OPTS, []).filter((d) => d.code === 'VIP4043'), [])
    const older = snap(`${shop.replace('2025-01-01', '2027-01-01')}${svc('grab', 'evil')}${ing('evil', 'all', '2026-01-01T00:00:00Z', rule('api.shop.test', '/', 'grab'))}`)
    assert.deepEqual(runChecks(compile(older, {}), CHECK_OPTS, []).filter((d) => d.code === 'VIP4043'), [], 'the catch-all is the older namespace\'s')
  })
})
