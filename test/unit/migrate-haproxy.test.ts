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
    assert.throws(() => parseHaproxyCfg('frontend f\n  acl a path "/x\n'), /haproxy\.cfg:2: unterminated quoted string/)
  })

  it('carries over backends, the HTTP and TCP frontends (golden), reporting the rest by line', () => {
    const r = run()
    assertGolden('migrate/onprem-haproxy.yaml', r.objects.map((o) => `---\n${stringify(o, {lineWidth: 0})}`).join(''))
    assertGolden('migrate/onprem-haproxy.report.txt', `${r.report.map((d) => `${(d.origin as {line: number}).line} ${d.code} ${d.object}: ${d.message}`).join('\n')}\n`)
    const lines = new Set(r.report.map((d) => (d.origin as {line: number}).line))
    const text = readFileSync(FIXTURE, 'utf8').split('\n')
    const at = (needle: string) => text.findIndex((l) => l.includes(needle)) + 1
    for (const needle of ['maxconn 20000', 'timeout client', 'acl from_office', 'use_backend be_admin', 'api.internal.example', 'balance uri', 'backend be_unused', 'option httpchk'])
      assert.ok(lines.has(at(needle)), `line ${at(needle)} (${needle}) is reported`)
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
