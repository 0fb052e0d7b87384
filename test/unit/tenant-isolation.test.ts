/**
 * What tenants sharing one proxy can do to each other (two outside reviews): TLS host claims across Ingresses and
 * Gateway listeners, the VIPs an operator allows (--vip-allow), a newer namespace's catch-all under another's host
 * (VIP4043), and a listener's 404 fence on NetScaler when its rule would be too long.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'
import {runChecks} from '../../src/check/check.js'
import {compile} from '../../src/model/compile.js'
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

describe('NetScaler: a 404 answer whose rule would pass 1,499 characters runs after content switching', () => {
  it('a Gateway listener\'s fence for its host with 40 paths: after switching on the host\'s own pool, before the less specific listener\'s catch-all', () => {
    const paths = Array.from({length: 40}, (_, i) => `{path: {type: PathPrefix, value: /a-fairly-long-path-segment-number-${i}}}`).join(', ')
    const text = `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: vipctl}\nspec: {controllerName: vipctl.io/gateway-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: t}\nspec:\n  gatewayClassName: vipctl\n  addresses: [{type: IPAddress, value: 192.0.2.9}]\n  listeners: [{name: app, port: 80, protocol: HTTP, hostname: app.test}, {name: any, port: 80, protocol: HTTP}]\n---\n${svc('api', 't')}${svc('other', 't')}apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: many, namespace: t}\nspec: {parentRefs: [{name: gw, sectionName: app}], rules: [{matches: [${paths}], backendRefs: [{name: api, port: 80}]}]}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: all, namespace: t}\nspec: {parentRefs: [{name: gw, sectionName: any}], rules: [{backendRefs: [{name: other, port: 80}]}]}\n---\n`
    const r = renderAll(snap(text), ['netscaler'])
    const e = r.netscaler!.config.entities
    const bindings = (e.filter((x) => x.type === 'csvserver_cspolicy_binding') as Array<{policyname: string; priority: number}>).sort((a, b) => a.priority - b.priority)
    const policy = (n: string) => e.find((x) => x.type === 'cspolicy' && x.policyname === n) as {rule: string; action: string}
    const rules = bindings.map((b) => policy(b.policyname).rule)
    const fenceAt = rules.findIndex((x) => x === 'HTTP.REQ.HOSTNAME.SERVER.SET_TEXT_MODE(IGNORECASE).EQ("app.test")')
    const catchAllAt = rules.indexOf('true')
    assert.ok(fenceAt > 0 && catchAllAt > fenceAt, rules.join('\n'))
    const lbv = (e.find((x) => x.type === 'csaction' && x.name === policy(bindings[fenceAt]!.policyname).action) as {targetlbvserver: string}).targetlbvserver
    const responder = e.find((x) => x.type === 'lbvserver_responderpolicy_binding' && x.name === lbv) as {policyname: string}
    const answer = e.find((x) => x.type === 'responderpolicy' && x.name === responder.policyname) as {action: string}
    assert.match(JSON.stringify(e.find((x) => x.type === 'responderaction' && x.name === answer.action)), /404 Not Found/)
    assert.match((e.find((x) => x.type === 'lbvserver_servicegroup_binding' && x.name === lbv) as {servicegroupname: string}).servicegroupname, /^k8s-api_80_sgp/)
    assert.ok(r.diagnostics.some((d) => d.code === 'VIP3004' && /the 404 answer for app\.test\/ runs after content switching/.test(d.message)), JSON.stringify(r.diagnostics.map((d) => d.message)))
    assert.ok(!r.diagnostics.some((d) => d.code === 'VIP3003'), 'nothing left out')
  })
})
