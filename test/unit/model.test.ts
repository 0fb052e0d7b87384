import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {loadOffline, parseInto} from '../../src/cluster/offline.js'
import {deriveEndpointSlices} from '../../src/cluster/derive.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'
import {buildModel, sortRoutes} from '../../src/model/build.js'
import type {Route} from '../../src/model/types.js'
import {assertGolden} from '../helpers/golden.js'

const noStdin = {readStdin: async () => ''}

function snap(text: string): Snapshot {
  const s = emptySnapshot({kind: 'offline', files: []})
  parseInto(s, text, 'm.yaml')
  deriveEndpointSlices(s)
  return sortSnapshot(s)
}

const svc = (name: string, ann = '') => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: app${ann}}
spec: {selector: {app: ${name}}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
`
const pod = (name: string, app: string, ip: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: app, labels: {app: ${app}}}
spec: {containers: [{name: c, ports: [{containerPort: 8080}]}]}
status: {phase: Running, podIP: ${ip}}
---
`
function ingress(name: string, body: string, ann = 'vipctl.io/vip: 192.0.2.1', cls: string | null = 'vipctl'): string {
  return `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}, namespace: app, annotations: {${ann}}}
spec:
${cls ? `  ingressClassName: ${cls}\n` : ''}${body}
---
`
}
const rule = (host: string, path: string, type: string, service: string) =>
  `    - host: ${host}\n      http: {paths: [{path: ${path}, pathType: ${type}, backend: {service: {name: ${service}, port: {number: 80}}}}]}\n`

describe('model', () => {
  it('examples/shop model matches the golden file', async () => {
    const s = await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin)
    const model = buildModel(s)
    assert.equal(model.diagnostics.length, 0, JSON.stringify(model.diagnostics))
    assertGolden('shop/model.json', `${JSON.stringify(model, null, 2)}\n`)
  })

  it('is deterministic: same input, same model, whatever the input order', async () => {
    const a = await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin)
    const files = ['examples/shop/60-legacy-billing.yaml', 'examples/shop/40-ingresses.yaml', 'examples/shop/30-pods.yaml', 'examples/shop/20-services.yaml', 'examples/shop/50-secret-tls.yaml', 'examples/shop/00-namespace.yaml']
    const b = await loadOffline({filenames: files, strict: false}, noStdin)
    const strip = (m: ReturnType<typeof buildModel>) => JSON.stringify({...m, diagnostics: []})
    assert.equal(strip(buildModel(a)), strip(buildModel(b)))
  })

  it('sorts routes: exact host, wildcard, any; longest path; Exact before Prefix', () => {
    const r = (host: string, path: string, pathType: 'Exact' | 'Prefix'): Route => ({host, path, pathType, pool: 'p', redirectHttps: false, provenance: {object: 'o', field: 'f'}})
    const sorted = sortRoutes([r('', '/', 'Prefix'), r('*.x.com', '/', 'Prefix'), r('a.x.com', '/', 'Prefix'), r('a.x.com', '/api', 'Prefix'), r('a.x.com', '/api', 'Exact')])
    assert.deepEqual(
      sorted.map((x) => `${x.host}${x.path}:${x.pathType}`),
      ['a.x.com/api:Exact', 'a.x.com/api:Prefix', 'a.x.com/:Prefix', '*.x.com/:Prefix', '/:Prefix'],
    )
  })

  it('serves only our Ingresses: class vipctl by default, --ingress-class overrides', () => {
    const text =
      svc('web') +
      ingress('ours', `  rules:\n${rule('a.x.com', '/', 'Prefix', 'web')}`) +
      ingress('theirs', `  rules:\n${rule('b.x.com', '/', 'Prefix', 'web')}`, undefined, 'nginx') +
      ingress('noclass', `  rules:\n${rule('c.x.com', '/', 'Prefix', 'web')}`, undefined, null)
    const hosts = (m: ReturnType<typeof buildModel>) => m.frontends.flatMap((f) => f.routes.map((r) => r.host)).sort()
    assert.deepEqual(hosts(buildModel(snap(text))), ['a.x.com'])
    assert.deepEqual(hosts(buildModel(snap(text), {ingressClass: 'nginx'})), ['b.x.com'])
    const withDefault = `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: vipctl, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}\nspec: {controller: vipctl.io/ingress-controller}\n---\n${text}`
    assert.deepEqual(hosts(buildModel(snap(withDefault))), ['a.x.com', 'c.x.com'])
  })

  it('Services of type LoadBalancer are ours by loadBalancerClass or VIP annotation, one TCP frontend per port', () => {
    const lb = (name: string, cls: string, ann: string) =>
      `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: app${ann}}\nspec: {type: LoadBalancer, ${cls}selector: {app: db}, ports: [{port: 5432}, {port: 5433, protocol: UDP}]}\n---\n`
    const m = buildModel(
      snap(lb('by-class', 'loadBalancerClass: vipctl.io/lb, ', '') + lb('by-ann', '', ', annotations: {vipctl.io/vip: 192.0.2.9}') + lb('other', 'loadBalancerClass: other.io/lb, ', '')),
      {vip: '192.0.2.8'},
    )
    assert.deepEqual(
      m.frontends.map((f) => `${f.address}:${f.port}/${f.protocol}->${f.defaultPool}`),
      ['192.0.2.8:5432/tcp->app/by-class/5432', '192.0.2.8:5433/udp->app/by-class/5433/UDP', '192.0.2.9:5432/tcp->app/by-ann/5432', '192.0.2.9:5433/udp->app/by-ann/5433/UDP'],
    )
  })

  it('allocates VIPs from --vip-pool deterministically and avoids explicit ones', () => {
    const text = svc('web') + ['a', 'b', 'c'].map((n) => ingress(n, `  rules:\n${rule(`${n}.x.com`, '/', 'Prefix', 'web')}`, 'x.io/y: z')).join('') +
      ingress('fixed', `  rules:\n${rule('f.x.com', '/', 'Prefix', 'web')}`, 'vipctl.io/vip: 10.9.0.2')
    const vips = (m: ReturnType<typeof buildModel>) => m.vips.map((v) => `${v.address}:${v.source}`)
    const first = vips(buildModel(snap(text), {vipPool: '10.9.0.0/30', ingressClass: 'vipctl'}))
    // /30 has two usable addresses, one taken explicitly: one Ingress gets the other, two get none.
    assert.equal(first.length, 2)
    assert.ok(first.includes('10.9.0.2:annotation'))
    const m = buildModel(snap(text), {vipPool: '10.9.0.0/24', ingressClass: 'vipctl'})
    assert.equal(m.vips.length, 4)
    assert.deepEqual(vips(m), vips(buildModel(snap(text), {vipPool: '10.9.0.0/24', ingressClass: 'vipctl'})))
    assert.ok(m.vips.every((v) => v.address.startsWith('10.9.0.') && v.address !== '10.9.0.0' && v.address !== '10.9.0.255'))
    assert.equal(buildModel(snap(text), {vipPool: '10.9.0.0/30', ingressClass: 'vipctl'}).diagnostics.filter((d) => d.code === 'VIP2005').length, 2)
  })

  it('reports missing backends, ports, secrets and disallowed paths, keeping the good routes', () => {
    const text =
      svc('web') +
      pod('w1', 'web', '10.1.0.1') +
      ingress(
        'mixed',
        `  tls: [{hosts: [a.x.com], secretName: nope}]\n  rules:\n${rule('a.x.com', '/', 'Prefix', 'web')}${rule('a.x.com', '/gone', 'Prefix', 'missing')}` +
          `    - host: a.x.com\n      http: {paths: [{path: /p, pathType: Prefix, backend: {service: {name: web, port: {number: 81}}}}]}\n` +
          `    - host: a.x.com\n      http: {paths: [{path: "/x;evil", pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n` +
          `    - host: a.x.com\n      http: {paths: [{path: "/a/../b", pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n`,
      )
    const m = buildModel(snap(text), {ingressClass: 'vipctl'})
    assert.deepEqual(m.diagnostics.map((d) => `${d.code} ${d.field}`), [
      'VIP2004 spec.tls[0].secretName',
      'VIP2001 spec.rules[1].http.paths[0].backend.service.name',
      'VIP2002 spec.rules[2].http.paths[0].backend.service.port',
      'VIP2003 spec.rules[3].http.paths[0].path',
      'VIP2003 spec.rules[4].http.paths[0].path',
    ])
    assert.deepEqual(m.frontends.map((f) => [f.protocol, f.routes.map((r) => r.path)]), [['http', ['/']]])
    assert.equal(m.pools[0]?.members[0]?.address, '10.1.0.1')
  })

  it('TLS Ingresses get an HTTPS frontend and HTTP redirects for their TLS hosts unless ssl-redirect is false', () => {
    const y = readFileSync('examples/shop/50-secret-tls.yaml', 'utf8')
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: tls, namespace: app}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${/tls\.crt: (\S+)/.exec(y)![1]}, tls.key: ${/tls\.key: (\S+)/.exec(y)![1]}}\n---\n`
    const body = `  tls: [{hosts: ["*.x.com"], secretName: tls}]\n  rules:\n${rule('a.x.com', '/', 'Prefix', 'web')}${rule('b.y.com', '/', 'Prefix', 'web')}`
    const m = buildModel(snap(svc('web') + secret + ingress('i', body)), {ingressClass: 'vipctl'})
    const http = m.frontends.find((f) => f.protocol === 'http')!
    const https = m.frontends.find((f) => f.protocol === 'https')!
    assert.deepEqual(http.routes.map((r) => [r.host, r.redirectHttps]), [['a.x.com', true], ['b.y.com', false]])
    assert.deepEqual(https.certificates.map((c) => c.secret), ['app/tls'])
    const off = buildModel(snap(svc('web') + secret + ingress('i', body, 'vipctl.io/vip: 192.0.2.1, vipctl.io/ssl-redirect: "false"')), {ingressClass: 'vipctl'})
    assert.ok(off.frontends.find((f) => f.protocol === 'http')!.routes.every((r) => !r.redirectHttps))
  })

  it('flags conflicting rules and annotations', () => {
    const text =
      svc('web') +
      svc('api') +
      ingress('a', `  rules:\n${rule('a.x.com', '/', 'Prefix', 'web')}`, 'vipctl.io/vip: 192.0.2.1, vipctl.io/lb-mode: fast') +
      ingress('b', `  rules:\n${rule('a.x.com', '/', 'Prefix', 'api')}`, 'vipctl.io/vip: 192.0.2.1, vipctl.io/http-port: "99999"')
    const m = buildModel(snap(text), {ingressClass: 'vipctl'})
    assert.deepEqual(m.diagnostics.map((d) => d.code).sort(), ['VIP2006', 'VIP2010', 'VIP2012'])
  })

  it('derives HTTP health checks from readiness probes, TCP otherwise', async () => {
    const s = await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin)
    const m = buildModel(s)
    const mon = (id: string) => m.pools.find((p) => p.id === id)!.monitor
    assert.deepEqual(mon('shop/catalog/80'), {kind: 'http', path: '/ready', port: undefined, intervalMs: 5000, timeoutMs: 2000, rise: 2, fall: 3, provenance: {object: 'Pod/shop/catalog-1', field: 'spec.containers[0].readinessProbe'}})
    assert.equal(mon('shop/payments/80').kind, 'tcp')
  })
})
