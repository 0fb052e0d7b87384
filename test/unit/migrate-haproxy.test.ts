/** migrate haproxy: the haproxy.cfg reader, an on-prem fixture (golden objects + report), check, and the same routing after migrate -> generate haproxy. */
import {compile, secretLookup} from '../../src/model/compile.js'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {stringify} from 'yaml'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {runChecks} from '../../src/check/check.js'
import {migrateHaproxy, parseHaproxyCfg} from '../../src/migrate/haproxy.js'
import {buildModel} from '../../src/model/build.js'
import {generateHaproxy} from '../../src/targets/haproxy/generate.js'
import {assertGolden} from '../helpers/golden.js'
import {haproxyRoute, normHost} from '../helpers/routing.js'

const FIXTURE = 'test/fixtures/migrate/onprem-haproxy.cfg'
const readFile = (f: string) => {
  try {
    return readFileSync(`test/fixtures/migrate/certs/${f.replace(/^.*\//, '')}`, 'utf8')
  } catch {
    return undefined
  }
}
const run = () => migrateHaproxy(parseHaproxyCfg(readFileSync(FIXTURE, 'utf8')), {namespace: 'shop', selectors: new Map(), readFile, file: FIXTURE})

/** The original config's routing, read the way HAProxy reads it: use_backend lines in order, the first whose acls all match. */
function originalRoute(host: string, path: string): string {
  const h = normHost(host)
  const acl: Record<string, boolean> = {
    host_shop: ['shop.example.com', 'www.shop.example.com'].includes(h),
    host_tenants: h.endsWith('.tenants.shop.example.com'),
    is_api: path.startsWith('/api/'),
    is_health: path === '/healthz',
    is_static: path.startsWith('/static'),
    from_office: false,
  }
  const uses: Array<[string, string[]]> = [
    ['be_api', ['host_shop', 'is_api']],
    ['be_web', ['host_shop', 'is_health']],
    ['be_static', ['host_shop', 'is_static']],
    ['be_admin', ['host_shop', 'from_office']],
    ['be_web', ['host_tenants']],
    ['be_web', ['host_shop']],
  ]
  return uses.find(([, c]) => c.every((x) => acl[x]))?.[0] ?? 'be_web'
}

describe('migrate haproxy', () => {
  it('reads sections, quoted words and comments with line numbers', () => {
    const s = parseHaproxyCfg('global\n  maxconn 10 # a comment\nfrontend "f"\n  acl a hdr(host) -i "x y"\n')
    assert.deepEqual(s.map((x) => [x.kind, x.name, x.line, x.lines.map((l) => [l.line, l.words])]), [
      ['global', '', 1, [[2, ['maxconn', '10']]]],
      ['frontend', 'f', 3, [[4, ['acl', 'a', 'hdr(host)', '-i', 'x y']]]],
    ])
    assert.throws(() => parseHaproxyCfg('frontend f\n  acl a path "/x\n', 'edge/lb01.cfg'), /^DataError: edge\/lb01\.cfg:2: unterminated quoted string/)
  })

  it('carries over backends, the HTTP and TCP frontends (golden), reporting the rest by line', () => {
    const r = run()
    assertGolden('migrate/onprem-haproxy.yaml', r.objects.map((o) => `---\n${stringify(o, {lineWidth: 0})}`).join(''))
    assertGolden('migrate/onprem-haproxy.report.txt', `${r.report.map((d) => `${(d.origin as {line: number}).line} ${d.code} ${d.object}: ${d.message}`).join('\n')}\n`)
    const lines = new Set(r.report.map((d) => (d.origin as {line: number}).line))
    const text = readFileSync(FIXTURE, 'utf8').split('\n')
    const at = (needle: string) => text.findIndex((l) => l.includes(needle)) + 1
    for (const needle of ['maxconn 20000', 'acl from_office', 'use_backend be_admin', 'api.internal.example', 'balance uri', 'backend be_unused', 'option httpchk', 'redirect scheme https', 'hdr_end(host)'])
      assert.ok(lines.has(at(needle)), `line ${at(needle)} (${needle}) is reported`)
    // The ledger accounts for every line that is not blank or a comment, exactly once; a line it calls exact has no finding.
    const meaningful = text.map((l, i) => [i + 1, l.replace(/#.*/, '').trim()] as const).filter(([, l]) => l !== '').map(([n]) => n)
    assert.deepEqual(r.ledger.map((l) => l.line), meaningful)
    for (const l of r.ledger.filter((x) => x.account === 'exact')) assert.ok(!lines.has(l.line), `line ${l.line} is exact but reported`)
    for (const l of r.ledger.filter((x) => x.account !== 'exact')) assert.ok(lines.has(l.line), `line ${l.line} is ${l.account} but has no finding`)
    // Defaults carried over: timeout server and client 30s on every Service and listener.
    assert.ok(r.objects.filter((o) => o.kind === 'Service').every((o) => o.metadata.annotations!['vipctl.io/timeout-server'] === '30s'))
    assert.deepEqual(r.secrets.map((s) => s.metadata.name), ['shop'])
    const db = r.objects.find((o) => o.kind === 'Service' && (o.spec as {type?: string}).type === 'LoadBalancer')!
    assert.equal(db.metadata.annotations!['vipctl.io/vip'], '192.0.2.60')
    assert.equal(db.metadata.annotations!['vipctl.io/lb-method'], 'source')
  })

  it('the migrated objects pass check without errors', () => {
    const r = run()
    const snap = emptySnapshot({kind: 'offline', files: []})
    parseInto(snap, [...r.objects, ...r.secrets].map((o) => stringify(o)).join('---\n'), 'migrated.yaml')
    assert.deepEqual(runChecks(compile(sortSnapshot(snap), {}), {model: {}, now: new Date('2026-11-25T00:00:00Z'), certWarnDays: 21}, []).filter((f) => f.severity === 'error'), [])
  })

  it('generate haproxy from the migrated objects routes every request of the table as the original config did', () => {
    const r = run()
    const snap = emptySnapshot({kind: 'offline', files: []})
    parseInto(snap, [...r.objects, ...r.secrets].map((o) => stringify(o)).join('---\n'), 'migrated.yaml')
    const s = sortSnapshot(snap)
    const model = buildModel(s, {})
    const cfg = generateHaproxy(model, secretLookup(s), {configDir: '/etc/h', runDir: '/run/h', nbthread: 1, spareSlots: 0, metricsAddress: '127.0.0.1:8405', listen: {mode: 'vip'}})
    const files = new Map(cfg.files.map((f) => [f.path, f.content]))
    const serviceOf = new Map(model.pools.map((p) => [cfg.backends.get(p.id)!, p.service]))
    const fe = model.frontends.find((f) => f.protocol === 'https')!
    const dflt = fe.defaultPool ? cfg.backends.get(fe.defaultPool) : undefined
    const beToService: Record<string, string> = {be_web: 'be-web', be_api: 'be-api', be_static: 'be-static'}
    const TABLE: Array<[string, string]> = [
      ['shop.example.com', '/api/orders'],
      ['WWW.Shop.Example.com:443', '/api/v2/x'],
      ['shop.example.com', '/healthz'],
      ['shop.example.com', '/static/app.js'],
      ['shop.example.com', '/'],
      ['shop.example.com', '/cart'],
      ['eu.tenants.shop.example.com', '/anything'],
      ['other.example.com', '/'],
    ]
    for (const [host, path] of TABLE) assert.equal(haproxyRoute(files, serviceOf, fe.id, dflt, host, path), beToService[originalRoute(host, path)], `${host}${path}`)
    // And where the report says the route changed, it does: /staticx went to be_static before, goes to be-web now (VIP5002 on that acl).
    assert.equal(originalRoute('shop.example.com', '/staticx'), 'be_static')
    assert.equal(haproxyRoute(files, serviceOf, fe.id, dflt, 'shop.example.com', '/staticx'), 'be-web')
  })
})

describe('migrate haproxy: L7 options carried over into what the model expresses', () => {
  const L7 = 'test/fixtures/migrate/onprem-l7.cfg'
  const r = () => migrateHaproxy(parseHaproxyCfg(readFileSync(L7, 'utf8'), L7), {namespace: 'edge', selectors: new Map(), file: L7})
  const svc = (res: ReturnType<typeof r>, name: string) => res.objects.find((o) => o.kind === 'Service' && o.metadata.name === name)!

  it('weights, disabled servers, maxconn, timeouts (defaults included), retries, cookie and source persistence, backend TLS, PROXY protocol', () => {
    const res = r()
    const web = svc(res, 'be-web').metadata.annotations!
    assert.equal(web['vipctl.io/member-weights'], '10.20.0.1=3')
    assert.equal(web['vipctl.io/max-connections'], '100')
    assert.equal(web['vipctl.io/lb-method'], 'leastconn')
    assert.equal(web['vipctl.io/session-cookie'], 'SRV')
    assert.equal(web['vipctl.io/retries'], '2')
    assert.equal(web['vipctl.io/retry-on'], 'connect-failure,503')
    assert.equal(web['vipctl.io/check-status'], '200-299')
    assert.equal(web['vipctl.io/timeout-connect'], '3s')
    assert.equal(web['vipctl.io/timeout-server'], '2m')
    const slice = res.objects.find((o) => o.kind === 'EndpointSlice' && o.metadata.labels!['kubernetes.io/service-name'] === 'be-web') as unknown as {endpoints: Array<{addresses: string[]; conditions: {ready: boolean}}>}
    assert.deepEqual(slice.endpoints.map((e) => [e.addresses[0], e.conditions.ready]), [['10.20.0.1', true], ['10.20.0.2', false], ['10.20.0.3', true]])
    const api = svc(res, 'be-api')
    assert.deepEqual((api.spec as Record<string, unknown>).sessionAffinityConfig, {clientIP: {timeoutSeconds: 1800}})
    assert.equal(api.metadata.annotations!['vipctl.io/backend-protocol'], 'https')
    assert.equal(api.metadata.annotations!['vipctl.io/backend-server-name'], 'api.internal')
    assert.equal(api.metadata.annotations!['vipctl.io/proxy-protocol'], 'v2')
    assert.equal(api.metadata.annotations!['vipctl.io/timeout-server'], '15s')
    const at = (n: number) => res.report.filter((d) => (d.origin as {line: number}).line === n).map((d) => `${d.code} ${d.message}`)
    const line = (needle: string) => readFileSync(L7, 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1
    assert.match(at(line('server w3'))[0]!, /^VIP5001 server w3: option backup is not carried over/)
    assert.match(at(line('option httpchk'))[0]!, /^VIP5003 HTTP health check GET \/ready: give the Pods readinessProbe\.httpGet path \/ready \(periodSeconds from inter 5s, failureThreshold 2, successThreshold 3\)/)
    assert.match(at(line('ca-file'))[0]!, /^VIP5003 server a1: ca-file \/etc\/haproxy\/ca\.pem: put it in a Secret's ca\.crt/)
  })

  it('binds: accept-proxy, several certificates (one TLS entry each), client timeout; redirects with their real status and scope; header rules', () => {
    const res = r()
    const www = res.objects.find((o) => o.kind === 'Ingress' && o.metadata.name === 'www')!
    const ann = www.metadata.annotations!
    // Listener settings go to an IngressClass of vipctl's (the operator's object), emitted with the class "vipctl".
    const cls = res.objects.find((o) => o.kind === 'IngressClass' && o.metadata.name === (www.spec as {ingressClassName: string}).ingressClassName)!
    assert.deepEqual(cls.metadata.annotations, {'vipctl.io/accept-proxy': 'true', 'vipctl.io/timeout-client': '20s'})
    assert.deepEqual((cls.spec as {controller: string}).controller, 'vipctl.io/ingress-controller')
    assert.ok(res.objects.some((o) => o.kind === 'IngressClass' && o.metadata.name === 'vipctl'))
    assert.equal(ann['vipctl.io/ssl-redirect'], 'true')
    assert.equal(ann['vipctl.io/request-headers'], 'set X-Env: production\nremove X-Internal')
    assert.equal(ann['vipctl.io/response-headers'], 'set Strict-Transport-Security: max-age=31536000')
    assert.deepEqual((www.spec as {tls: Array<{secretName: string}>}).tls.map((t) => t.secretName), ['a', 'b'])
    const text = res.report.map((d) => `${(d.origin as {line: number}).line} ${d.code} ${d.message}`).join('\n')
    assert.match(text, /VIP5002 redirect to HTTPS: status 301 -> 308/)
    assert.match(text, /VIP5001 http-response set-header X-Trace: only unconditional header rules with literal values/)
    assert.match(text, /VIP5002 TLS terminated by HAProxy on a TCP listener -> passed through as TCP by vipctl/)
    const tcp = svc(res, 'be-tcp')
    assert.equal((tcp.spec as {type: string}).type, 'LoadBalancer')
    assert.equal(tcp.metadata.annotations!['vipctl.io/proxy-protocol'], 'v1')
  })

  it('every line is in the ledger; what it calls exact has no finding; migrated objects pass vipctl (no VIP1xxx, no invalid annotation)', () => {
    const res = r()
    const text = readFileSync(L7, 'utf8').split('\n')
    const meaningful = text.map((l, i) => [i + 1, l.replace(/#.*/, '').trim()] as const).filter(([, l]) => l !== '').map(([n]) => n)
    assert.deepEqual(res.ledger.map((l) => l.line), meaningful)
    const reported = new Set(res.report.map((d) => (d.origin as {line: number}).line))
    for (const l of res.ledger) assert.equal(reported.has(l.line), l.account !== 'exact', `line ${l.line} (${l.text}) is ${l.account}`)
    const snap = emptySnapshot({kind: 'offline', files: []})
    parseInto(snap, res.objects.map((o) => stringify(o)).join('---\n'), 'migrated.yaml')
    assert.deepEqual(snap.diagnostics.filter((d) => d.code.startsWith('VIP1')), [])
    const c = compile(sortSnapshot(snap), {})
    // check-status waits for the manual step (a readiness probe on the Pods): until then vipctl says it has no effect.
    const bad = c.model.diagnostics.filter((d) => ['VIP2006', 'VIP2012', 'VIP2025', 'VIP2003'].includes(d.code) && d.field !== 'metadata.annotations[vipctl.io/check-status]')
    assert.deepEqual(bad.map((d) => `${d.code} ${d.object} ${d.field}: ${d.message}`), [])
  })
})

describe('migrate haproxy: access rules and server cookie values', () => {
  it('a frontend with an access rule is not migrated (its routes would open), every line says so; a server cookie value is approximate', () => {
    const cfg = 'frontend web\n    bind 192.0.2.9:80\n    acl office src 10.0.0.0/8\n    http-request auth realm staff if !office\n    default_backend be\nfrontend open\n    bind 192.0.2.10:80\n    default_backend be\nbackend be\n    cookie SRV insert indirect nocache\n    server s1 10.1.1.1:80 cookie s1 weight 2\n'
    const r = migrateHaproxy(parseHaproxyCfg(cfg, 'edge.cfg'), {selectors: new Map(), file: 'edge.cfg'})
    assert.deepEqual(r.objects.filter((o) => o.kind === 'Ingress').map((o) => o.metadata.name), ['open'])
    const at = (n: number) => r.report.filter((d) => (d.origin as {line: number}).line === n).map((d) => `${d.code} ${d.message}`)
    assert.match(at(4)[0]!, /^VIP5001 http-request auth: an access rule vipctl cannot apply; the frontend is not migrated/)
    for (const n of [1, 2, 3, 5]) assert.ok(at(n).some((m) => m.startsWith('VIP5001')), `line ${n}`)
    assert.deepEqual(r.ledger.filter((l) => l.line <= 5).map((l) => l.account), ['lost', 'lost', 'lost', 'lost', 'lost'])
    assert.deepEqual(at(11), ['VIP5002 server s1: cookie value s1 -> a value vipctl derives from the member\'s address (clients holding s1 are balanced anew once)'])
  })
})

describe('migrate haproxy: source-address rules', () => {
  it('deny unless in an acl of src networks -> allow-source-ranges, deny if in -> deny-source-ranges; the default backend becomes a rule for / (a default cannot be restricted); other access rules still block', () => {
    const cfg = 'frontend web\n    bind 192.0.2.9:80\n    acl office src 10.0.0.0/8 192.168.0.0/16\n    http-request deny if !office\n    http-request deny deny_status 401 if { src 10.66.0.0/16 }\n    tcp-request connection reject if { src 203.0.113.7 }\n    default_backend be\nbackend be\n    server s1 10.1.1.1:80\n'
    const r = migrateHaproxy(parseHaproxyCfg(cfg, 'edge.cfg'), {selectors: new Map(), file: 'edge.cfg'})
    const ing = r.objects.find((o) => o.kind === 'Ingress')!
    assert.equal(ing.metadata.annotations!['vipctl.io/allow-source-ranges'], '10.0.0.0/8,192.168.0.0/16')
    assert.equal(ing.metadata.annotations!['vipctl.io/deny-source-ranges'], '10.66.0.0/16,203.0.113.7/32')
    assert.equal((ing.spec as {defaultBackend?: unknown}).defaultBackend, undefined)
    assert.deepEqual((ing.spec as {rules: unknown}).rules, [{http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'be', port: {number: 80}}}}]}}])
    const at = (n: number) => r.report.filter((d) => (d.origin as {line: number}).line === n).map((d) => `${d.code} ${d.message}`)
    assert.deepEqual(at(3), [])
    assert.deepEqual(at(4), [])
    assert.match(at(5).join(), /VIP5002 deny_status 401 -> 403/)
    assert.match(at(6).join(), /VIP5002 the connection refused -> an HTTP 403 answer/)
    // Two allow lists would be their intersection: not expressible, the frontend is not migrated.
    const two = migrateHaproxy(parseHaproxyCfg('frontend web\n    bind 192.0.2.9:80\n    http-request deny unless { src 10.0.0.0/8 }\n    http-request deny unless { src 10.1.0.0/16 }\n    default_backend be\nbackend be\n    server s1 10.1.1.1:80\n', 'two.cfg'), {selectors: new Map(), file: 'two.cfg'})
    assert.equal(two.objects.filter((o) => o.kind === 'Ingress').length, 0)
  })
})

describe('migrate haproxy: an HTTP frontend that only redirects to the HTTPS frontend on its address', () => {
  it('is the HTTP side of the same Ingress: ssl-redirect true, its port kept, the status change said', () => {
    const cfg = 'frontend fe_http\n    bind 192.0.2.50:8080\n    http-request redirect scheme https code 301\nfrontend fe_https\n    bind 192.0.2.50:443 ssl crt /etc/haproxy/site.pem\n    default_backend be\nbackend be\n    server s1 10.1.1.1:80\n'
    const r = migrateHaproxy(parseHaproxyCfg(cfg, 'site.cfg'), {selectors: new Map(), file: 'site.cfg'})
    const ings = r.objects.filter((o) => o.kind === 'Ingress')
    assert.deepEqual(ings.map((o) => o.metadata.name), ['fe-https'])
    assert.equal(ings[0]!.metadata.annotations!['vipctl.io/ssl-redirect'], 'true')
    assert.equal(ings[0]!.metadata.annotations!['vipctl.io/http-port'], '8080')
    assert.ok(r.report.some((d) => d.code === 'VIP5002' && (d.origin as {line: number}).line === 3 && /status 301 -> 308/.test(d.message)), r.report.map((d) => d.message).join('\n'))
    assert.ok(!r.report.some((d) => /binds no TLS port/.test(d.message)))
    assert.deepEqual(r.ledger.filter((l) => l.line <= 2).map((l) => l.account), ['exact', 'exact'])
  })
})

describe('migrate haproxy: a configuration in the shape public ones have', () => {
  const FILE = 'test/fixtures/migrate/public-haproxy.cfg'
  it('Debian global and defaults reported, the statistics page not a Service, the TCP database a LoadBalancer with its client timeout, a disabled server not ready', () => {
    const r = migrateHaproxy(parseHaproxyCfg(readFileSync(FILE, 'utf8'), FILE), {selectors: new Map(), file: FILE, namespace: 'web'})
    const names = r.objects.map((o) => `${o.kind}/${o.metadata.name}`)
    assert.ok(!names.includes('Service/stats'), names.join(' '))
    const pg = r.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'pg')!
    assert.equal((pg.spec as {type: string}).type, 'LoadBalancer')
    assert.equal(pg.metadata.annotations!['vipctl.io/vip'], '192.0.2.42')
    assert.equal(pg.metadata.annotations!['vipctl.io/timeout-client'], '1h')
    assert.equal(pg.metadata.annotations!['vipctl.io/timeout-server'], '1h')
    const slice = r.objects.find((o) => o.kind === 'EndpointSlice' && o.metadata.labels?.['kubernetes.io/service-name'] === 'pg')!
    assert.deepEqual((slice.endpoints as Array<{addresses: string[]; conditions: {ready: boolean}}>).map((e) => [e.addresses[0], e.conditions.ready]), [['10.30.3.11', true], ['10.30.3.12', false]])
    const ing = r.objects.find((o) => o.kind === 'Ingress' && o.metadata.name === 'https-in')!
    assert.equal(ing.metadata.annotations!['vipctl.io/ssl-redirect'], 'true')
    // X-Forwarded-Proto https on the TLS frontend is what vipctl sets on its HTTPS listener: no route rule (it would hold on HTTP too).
    assert.equal(ing.metadata.annotations!['vipctl.io/request-headers'], undefined)
    assert.equal(r.ledger.find((l) => l.line === 44)!.account, 'exact')
    const at = (n: number) => r.report.filter((d) => (d.origin as {line: number}).line === n).map((d) => `${d.code} ${d.message}`)
    assert.match(at(39).join('\n'), /VIP5002 redirect to HTTPS: status 301 -> 308/)
    assert.match(at(72).join('\n'), /VIP5001 server api2: option backup is not carried over/)
    assert.match(at(31).join('\n'), /statistics page is not carried over/)
    // Every line of the file is in the ledger; Debian's defaults timeouts are carried (connect 5 s is vipctl's own).
    const www = r.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'www')!
    assert.equal(www.metadata.annotations!['vipctl.io/timeout-server'], '50s')
    assert.equal(www.metadata.annotations!['vipctl.io/session-cookie'], 'SERVERID')
    assert.equal(www.metadata.annotations!['vipctl.io/member-weights'], '10.30.0.12=50')
  })
})

describe('migrate haproxy: idle timeouts of tunnels', () => {
  it('without "timeout tunnel", a TCP connection was closed after the first of client and server idle timeouts: that idle time is kept (vipctl\'s 1 h tunnel timeout would replace it)', () => {
    const cfg = 'frontend db\n    mode tcp\n    bind 192.0.2.42:5432\n    timeout client 2h\n    default_backend pg\nbackend pg\n    mode tcp\n    timeout server 3h\n    server p1 10.0.0.1:5432\nfrontend web\n    bind 192.0.2.43:80\n    default_backend app\nbackend app\n    timeout tunnel 10m\n    server a1 10.0.0.2:80\n'
    const r = migrateHaproxy(parseHaproxyCfg(cfg, 'idle.cfg'), {selectors: new Map(), file: 'idle.cfg'})
    const svc = (n: string) => r.objects.find((o) => o.kind === 'Service' && o.metadata.name === n)!.metadata.annotations!
    assert.equal(svc('pg')['vipctl.io/timeout-tunnel'], '2h')
    assert.equal(svc('app')['vipctl.io/timeout-tunnel'], '10m')
    // A listener's own client timeout counts (an HTTP one: WebSockets).
    const ws = migrateHaproxy(parseHaproxyCfg('defaults\n    timeout client 30s\n    timeout server 30s\nlisten ws\n    bind 192.0.2.44:80\n    timeout client 5m\n    timeout server 1m\n    server w1 10.0.0.3:80\n', 'ws.cfg'), {selectors: new Map(), file: 'ws.cfg'})
    assert.equal(ws.objects.find((o) => o.kind === 'Service')!.metadata.annotations!['vipctl.io/timeout-tunnel'], '1m')
  })
  it('access rules the proxy answers itself (return of any status, silent-drop, in defaults) keep the proxies out; disabled frontends and backends; maxconn 0 is no limit', () => {
    const mk = (cfg: string) => migrateHaproxy(parseHaproxyCfg(cfg, 'a.cfg'), {selectors: new Map(), file: 'a.cfg'})
    const be = 'backend be\n    server s1 10.0.0.1:80 maxconn 0\n'
    assert.equal(mk(`frontend f\n    bind 192.0.2.9:80\n    http-request return status 404 if { path_beg /admin }\n    default_backend be\n${be}`).objects.filter((o) => o.kind === 'Ingress').length, 0)
    assert.equal(mk(`frontend f\n    bind 192.0.2.9:80\n    tcp-request connection silent-drop if !{ src 10.0.0.0/8 }\n    default_backend be\n${be}`).objects.find((o) => o.kind === 'Ingress')!.metadata.annotations!['vipctl.io/allow-source-ranges'], '10.0.0.0/8')
    assert.equal(mk(`defaults\n    http-request deny if { path_beg /internal }\nfrontend f\n    bind 192.0.2.9:80\n    default_backend be\n${be}`).objects.filter((o) => o.kind === 'Ingress').length, 0)
    assert.equal(mk(`frontend f\n    bind 192.0.2.9:80\n    disabled\n    default_backend be\n${be}`).objects.filter((o) => o.kind === 'Ingress').length, 0)
    const off = mk(`frontend f\n    bind 192.0.2.9:80\n    default_backend be\nbackend be\n    disabled\n    server s1 10.0.0.1:80\n`)
    assert.deepEqual((off.objects.find((o) => o.kind === 'EndpointSlice')!.endpoints as Array<{conditions: {ready: boolean}}>).map((e) => e.conditions.ready), [false])
    // X-Forwarded-Proto by the TLS test of the connection is the listener's scheme: what vipctl sets; a wrong one is said.
    const xfp = mk(`frontend f\n    bind 192.0.2.9:80\n    bind 192.0.2.9:443 ssl crt /x.pem\n    http-request set-header X-Forwarded-Proto https if { ssl_fc }\n    http-request set-header X-Forwarded-Proto https if !{ ssl_fc }\n    default_backend be\n${be}`)
    assert.deepEqual(xfp.ledger.filter((l) => l.line === 4 || l.line === 5).map((l) => l.account), ['exact', 'approximate'])
    const unlimited = mk(`frontend f\n    bind 192.0.2.9:80\n    default_backend be\n${be}`)
    assert.equal(unlimited.objects.find((o) => o.kind === 'Service')!.metadata.annotations!['vipctl.io/max-connections'], undefined)
  })
})

describe('migrate haproxy (third review)', () => {
  const mk = (cfg: string) => migrateHaproxy(parseHaproxyCfg(cfg, 'r.cfg'), {selectors: new Map(), file: 'r.cfg'})
  it('header rules with a default backend: the default becomes a rule for / (a default backend takes no route settings)', () => {
    const r = mk('frontend fe\n    bind 192.0.2.20:80\n    http-request set-header X-Env prod\n    http-response set-header X-Frame-Options DENY\n    default_backend be\nbackend be\n    server a 10.1.0.1:80\n')
    const ing = r.objects.find((o) => o.kind === 'Ingress')!
    assert.equal((ing.spec as {defaultBackend?: unknown}).defaultBackend, undefined)
    assert.deepEqual((ing.spec as {rules: Array<{http: {paths: Array<{path: string}>}}>}).rules[0]!.http.paths.map((p) => p.path), ['/'])
  })
  it('bind ... ssl crt-list is a TLS listener (a Secret named for the list, a manual step), never plain HTTP; path_beg -i is said case-insensitive', () => {
    const r = mk('frontend fe\n    bind 192.0.2.61:443 ssl crt-list /etc/haproxy/crt-list.txt\n    acl adm path_beg -i /Admin\n    use_backend be if adm\n    default_backend be\nbackend be\n    server a 10.1.0.1:80\n')
    const ing = r.objects.find((o) => o.kind === 'Ingress')!
    assert.ok((ing.spec as {tls?: unknown[]}).tls?.length, 'spec.tls')
    assert.equal(ing.metadata.annotations!['vipctl.io/http-port'], undefined)
    assert.ok(r.report.some((d) => (d.origin as {line: number}).line === 3 && /case-insensitively/.test(d.message)))
  })
  it('escapes as HAProxy reads them: \\r \\n control characters, \\1 kept, nothing escaped in single quotes', () => {
    const s = parseHaproxyCfg("backend b\n    http-request replace-path /api/(.*) /\\1\n    x 'a\\b' \"c\\\"d\" e\\ f\n", 'e.cfg')
    assert.deepEqual(s[0]!.lines.map((l) => l.words), [['http-request', 'replace-path', '/api/(.*)', '/\\1'], ['x', 'a\\b', 'c"d', 'e f']])
  })
})

describe('migrate haproxy: anonymous acls', () => {
  it('use_backend X if { hdr(host) -i a.example.com } routes as a named acl would', () => {
    const r = migrateHaproxy(parseHaproxyCfg('frontend f\n    bind 192.0.2.9:80\n    use_backend b1 if { hdr(host) -i a.example.com } { path_beg /api/ }\n    default_backend b2\nbackend b1\n    server s1 10.0.0.1:80\nbackend b2\n    server s2 10.0.0.2:80\n', 'anon.cfg'), {selectors: new Map(), file: 'anon.cfg'})
    const ing = r.objects.find((o) => o.kind === 'Ingress')!
    assert.deepEqual((ing.spec as {rules: unknown}).rules, [{host: 'a.example.com', http: {paths: [{path: '/api', pathType: 'Prefix', backend: {service: {name: 'b1', port: {number: 80}}}}]}}])
    assert.ok(r.report.some((d) => (d.origin as {line: number}).line === 3 && d.code === 'VIP5002'))
  })
})
