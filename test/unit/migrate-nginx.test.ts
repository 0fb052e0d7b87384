/**
 * migrate ingress-nginx: every nginx.ingress.kubernetes.io key accounted for, access restrictions and snippets
 * never served open, canaries as splits, and the request table routed by ingress-nginx's rules and by vipctl.
 */
import assert from 'node:assert/strict'
import {stringify} from 'yaml'
import {loadOffline, parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {compile} from '../../src/model/compile.js'
import {migrateNginx, sampleOf} from '../../src/migrate/nginx.js'
import {snapshotOf} from '../helpers/manifests.js'

const FIXTURE = 'test/fixtures/migrate/nginx'
const run = async () => migrateNginx(await loadOffline({filenames: [FIXTURE], strict: false}, {readStdin: async () => ''}))

describe('migrate ingress-nginx', () => {
  it('access restrictions and snippets: the Ingress is not migrated, each key says why and what to do', async () => {
    const r = await run()
    assert.ok(!r.objects.some((o) => o.metadata.name === 'admin'))
    const admin = r.report.filter((d) => d.object === 'Ingress/shop/admin').map((d) => `${d.code} ${d.field}`)
    assert.deepEqual(admin.sort(), ['VIP5001 metadata.annotations[nginx.ingress.kubernetes.io/auth-type]'])
  })

  it('keys carried over: ssl-redirect, proxy-read-timeout, CORS, app-root, permanent-redirect, regex path with rewrite-target /$2, canary weight as a split', async () => {
    const r = await run()
    const ing = (n: string) => r.objects.find((o) => o.kind === 'Ingress' && o.metadata.name === n)!
    const web = ing('web').metadata.annotations!
    assert.equal(web['vipctl.io/ssl-redirect'], 'true')
    assert.equal(web['vipctl.io/timeout-request'], '120s')
    // The canary's location (shop.example.com/) is split; the main Ingress's other path to web (/static) is not.
    assert.equal(web['vipctl.io/traffic-split'], undefined)
    const split = ing('web-split')
    assert.equal(split.metadata.annotations!['vipctl.io/traffic-split'], 'web=80,web-canary=20')
    assert.deepEqual((split.spec as {rules: Array<{http: {paths: Array<{path: string}>}}>}).rules.flatMap((r) => r.http.paths.map((p) => p.path)), ['/'])
    assert.equal(split.metadata.annotations!['vipctl.io/timeout-request'], '120s')
    assert.match(web['vipctl.io/response-headers']!, /^set Access-Control-Allow-Origin: https:\/\/shop\.example\.com$/m)
    assert.equal(ing('web-app-root').metadata.annotations!['vipctl.io/redirect'], 'path=/store code=302')
    assert.equal(ing('moved').metadata.annotations!['vipctl.io/redirect'], 'scheme=https host=new.example.com path=/welcome code=301')
    const api = ing('api')
    assert.equal(api.metadata.annotations!['vipctl.io/rewrite'], 'prefix=/')
    assert.deepEqual((api.spec as {rules: Array<{http: {paths: Array<{path: string; pathType: string}>}}>}).rules[0]!.http.paths.map((p) => [p.path, p.pathType]), [['/v1', 'Prefix']])
    assert.ok(!r.objects.some((o) => o.metadata.name === 'web-canary'))
    // Settings vipctl keeps on the Service: the exact kubectl command.
    assert.ok(r.report.some((d) => d.code === 'VIP5003' && d.message === 'run: kubectl annotate service -n shop web vipctl.io/session-cookie=SHOPID (from Ingress/shop/web)'))
    assert.ok(r.report.some((d) => d.code === 'VIP5003' && d.message.startsWith('run: kubectl annotate service -n shop api vipctl.io/backend-protocol=h2c')))
  })

  it('every nginx key of every Ingress is in the ledger with an account; each non-exact one has a finding', async () => {
    const r = await run()
    const snap = await loadOffline({filenames: [FIXTURE], strict: false}, {readStdin: async () => ''})
    const keys = snap.ingresses.flatMap((i) => Object.keys(i.metadata.annotations ?? {}).filter((k) => k.startsWith('nginx.ingress.kubernetes.io/')).map((k) => `Ingress/${i.metadata.namespace}/${i.metadata.name} ${k}`))
    for (const k of keys) assert.ok(r.ledger.some((l) => l.text.startsWith(`${k}`)) || k.endsWith('/canary') || k.endsWith('/canary-weight'), `${k} is not in the ledger`)
    for (const l of r.ledger.filter((x) => x.account !== 'exact')) assert.ok(l.notes.length > 0, l.text)
  })

  it('equivalence: requests that would go elsewhere are reported (case-insensitive regex, a regex path not carried over); the rest agree', async () => {
    const r = await run()
    const diff = r.differences.map((d) => `${d.host}${d.path} ${d.nginx} -> ${d.vipctl}`).sort()
    // ImplementationSpecific /static matched /staticx as a string prefix in nginx (said on the path too).
    assert.deepEqual(diff, ['api.example.com/V1 shop/api -> 404', 'api.example.com/v0/legacy shop/api -> 404', 'shop.example.com/staticx shop/web -> split shop/web+shop/web-canary'])
    assert.ok(r.requests >= 15)
    assert.ok(r.report.some((d) => d.code === 'VIP5002' && d.message === 'api.example.com/v0/legacy: ingress-nginx -> shop/api, vipctl -> 404'))
    assert.equal(sampleOf('/v[0-9]+/legacy'), '/v0/legacy')
  })

  it('the migrated objects pass vipctl: no VIP1xxx, no invalid or misplaced vipctl key', async () => {
    const r = await run()
    const snap = emptySnapshot({kind: 'offline', files: []})
    parseInto(snap, r.objects.map((o) => stringify(o)).join('---\n'), 'migrated.yaml')
    assert.deepEqual(snap.diagnostics.filter((d) => d.code.startsWith('VIP1')), [])
    const c = compile(sortSnapshot(snap), {vip: '192.0.2.1'})
    assert.deepEqual(c.model.diagnostics.filter((d) => ['VIP2006', 'VIP2012', 'VIP2025', 'VIP2003'].includes(d.code)).map((d) => `${d.code} ${d.object} ${d.message}`), [])
  })
})

describe('migrate ingress-nginx: what ingress2gateway 1.0 translates, and more', () => {
  it('upstream-vhost, proxy-ssl-*, CORS expose and max-age, from-to-www-redirect, temporal-redirect-code', async () => {
    const r = await run()
    const ing = (n: string) => r.objects.find((o) => o.kind === 'Ingress' && o.metadata.name === n)
    const api = ing('api-tls')!.metadata.annotations!
    assert.equal(api['vipctl.io/rewrite'], 'host=api.internal.example.com')
    assert.match(api['vipctl.io/response-headers']!, /^set Access-Control-Expose-Headers: X-Request-Id$/m)
    assert.match(api['vipctl.io/response-headers']!, /^set Access-Control-Max-Age: 600$/m)
    // The Service keeps the backend TLS settings: kubectl annotate steps, one per key.
    const steps = r.report.filter((d) => d.object === 'Service/shop/api-secure').map((d) => d.message)
    for (const k of ['vipctl.io/backend-protocol=https', 'vipctl.io/backend-ca=api-ca', 'vipctl.io/backend-server-name=api.internal.example.com']) assert.ok(steps.some((m) => m.includes(k)), `${k}: ${steps.join(' | ')}`)
    // www.secure.example.com -> the other form, secure.example.com, redirects to it with 308.
    const www = ing('api-tls-from-www')!
    assert.equal(www.metadata.annotations!['vipctl.io/redirect'], 'host=www.secure.example.com code=308')
    assert.equal((www.spec as {rules: Array<{host: string}>}).rules[0]!.host, 'secure.example.com')
    assert.equal(ing('maintenance')!.metadata.annotations!['vipctl.io/redirect'], 'scheme=https host=status.example.com path=/ code=307')
    // Allow-lists: the source ranges vipctl applies itself.
    const internal = ing('internal')!.metadata.annotations!
    assert.equal(internal['vipctl.io/allow-source-ranges'], '10.0.0.0/8,192.168.0.0/16')
    assert.equal(internal['vipctl.io/deny-source-ranges'], '10.66.0.0/16')
    // With an allow-list the default backend is a rule for / (vipctl cannot restrict a default backend); an empty list restricts nothing.
    const od = migrateNginx(snapshotOf('apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {ports: [{port: 80}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: office-default, namespace: shop, annotations: {nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8}}\nspec: {ingressClassName: nginx, defaultBackend: {service: {name: web, port: {number: 80}}}}\n')).objects.find((o) => o.kind === 'Ingress')!
    assert.equal((od.spec as {defaultBackend?: unknown}).defaultBackend, undefined)
    assert.deepEqual((od.spec as {rules: unknown}).rules, [{http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}])
    assert.equal(ing('open-list')!.metadata.annotations!['vipctl.io/allow-source-ranges'], undefined)
    assert.ok(r.report.some((d) => d.code === 'VIP5003' && /name no VIP/.test(d.message)))
    // An Ingress vipctl cannot read is in the report and the ledger, never dropped in silence.
    const bad = migrateNginx(snapshotOf('apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad, namespace: t}\nspec: {ingressClassName: nginx, rules: nope}\n'))
    assert.ok(bad.report.some((d) => d.code === 'VIP1001' && d.object === 'Ingress/t/bad'))
    assert.ok(bad.ledger.some((l) => l.account === 'lost' && l.text.startsWith('Ingress/t/bad')))
    // Every key of these Ingresses has an account, none "not a key vipctl reads".
    for (const l of r.ledger.filter((x) => /Ingress\/shop\/(api-tls|maintenance) /.test(x.text))) assert.ok(!l.notes.some((n) => /not a key vipctl reads/.test(n)), l.text)
  })
})

describe('migrate ingress-nginx: an Ingress without a class', () => {
  it('is ingress-nginx\'s when its IngressClass is the cluster default', async () => {
    const r = migrateNginx(snapshotOf('apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}\nspec: {controller: k8s.io/ingress-nginx}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: shop, namespace: shop, annotations: {nginx.ingress.kubernetes.io/proxy-read-timeout: "30"}}\nspec:\n  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n'))
    const ing = r.objects.find((o) => o.kind === 'Ingress' && o.metadata.name === 'shop')!
    assert.equal(ing.metadata.annotations!['vipctl.io/timeout-request'], '30s')
  })
})
