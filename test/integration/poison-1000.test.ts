/**
 * 1,000 good Ingresses plus one poison object of each kind of the corpus, all
 * on one VIP: the HAProxy config serves exactly the 1,000 good routes (map
 * entries counted, each with its backend), every poison is named in an error
 * or warning (quarantined, never silently lost), `haproxy -c` accepts the
 * config, and the NetScaler batch holds the same 1,000 routes.
 *
 * The poisons are newer than the good objects (created 2026, the good ones in
 * 2025) and sit in namespaces that sort first ("aa-..."), so neither name
 * order nor input order can hand them another tenant's route.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {HaproxyChecker} from '../helpers/checkers.js'
import {ROOT} from '../helpers/cli.js'
import {netscalerGrammar, haproxyGrammar, renderAll} from '../helpers/targets.js'
import {CERT, GOOD_TIME, POISON_TIME, SnapshotFactory, ingress, service, slice, tlsSecret} from '../helpers/tenants.js'
import {poolNames, DEFAULT_NETSCALER_OPTIONS} from '../../src/targets/netscaler/generate.js'

type Raw = Record<string, unknown>
const VIP = '192.0.2.50'
const VIP6 = '2001:db8::50'
const GOOD = 1000
const host = (i: number) => `g${String(i).padStart(3, '0')}.example.test`
const team = (i: number) => `team-${String(Math.floor(i / 50)).padStart(2, '0')}`
const TLS_TEAM = 'team-19'

function goodObjects(): Raw[] {
  const out: Raw[] = []
  for (let t = 0; t < GOOD / 50; t++) {
    const ns = `team-${String(t).padStart(2, '0')}`
    out.push(service(ns, 'web'), slice(ns, 'web', [`10.20.${t}.1`, `10.20.${t}.2`]))
  }
  // team-19 serves its hosts over TLS too (HTTP redirects to HTTPS): its routes sort after the 950 that are proxied.
  // team-01's first Ingress is the VIP's default backend.
  out.push(tlsSecret(TLS_TEAM, 'tls'))
  for (let i = 0; i < GOOD; i++) {
    const ns = team(i)
    out.push(ingress(ns, `app-${i}`, {vip: VIP, rules: [{host: host(i), paths: [{path: '/app', service: 'web'}]}], ...(ns === TLS_TEAM ? {tls: [{hosts: [host(i)], secret: 'tls'}]} : {}), ...(i === 50 ? {defaultBackend: 'web'} : {})}))
  }
  // Another tenant's TCP Service on the IPv6 VIP.
  out.push(service('team-00', 'cache', {port: 6379, portName: 'redis', targetPort: 6379, lb: {vip: VIP6}}), slice('team-00', 'cache', ['fd00::50:1'], {portName: 'redis', port: 6379}))
  return out
}

/** A Secret's data from a case file (the tenant-owned TLS material of tls-secret-blocks-everyone and private-key-in-tls-crt). */
function caseSecret(file: string): {crt: string; key: string} {
  const doc = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/cases', file), 'utf8')) as {items?: Raw[]} | Raw[]
  const items = Array.isArray(doc) ? doc : doc.items!
  const s = items.find((o) => o.kind === 'Secret') as {data: Record<string, string>}
  return {crt: s.data['tls.crt']!, key: s.data['tls.key']!}
}

interface Poison {
  kind: string
  ns: string
  objects: Raw[]
  /** 'diagnosed': named in an error or warning; 'served-or-diagnosed': rendered as written, or named. */
  expect: 'diagnosed' | 'served-or-diagnosed'
  /** The object a finding must name (default: any object in the poison's namespace). */
  object?: string
}

const newer = (o: Raw): Raw => ({...o, metadata: {...(o.metadata as Raw), creationTimestamp: POISON_TIME}})

function poisons(): Poison[] {
  const list: Array<Omit<Poison, 'ns' | 'objects'> & {objects: (ns: string) => Raw[]}> = []
  const base = (ns: string) => [service(ns, 'web'), slice(ns, 'web', ['10.30.0.1'])]
  const ing = (ns: string, spec: Partial<Parameters<typeof ingress>[2]> & {host?: string; path?: string; pathType?: string}, name = 'p') =>
    ingress(ns, name, {vip: VIP, rules: [{host: spec.host ?? `pz-${ns}.example.test`, paths: [{path: spec.path ?? '/app', pathType: spec.pathType, service: 'web'}]}], ...spec})
  const add = (kind: string, expect: Poison['expect'], objects: (ns: string) => Raw[], object?: (ns: string) => string) => list.push({kind, expect, objects, ...(object ? {object: object('')} : {})})

  add('bad path characters', 'diagnosed', (ns) => [...base(ns), ing(ns, {path: '/x y"z;{}'})])
  add('"~" in the path', 'served-or-diagnosed', (ns) => [...base(ns), ing(ns, {path: '/~alice'})])
  add('".." segment in the path', 'diagnosed', (ns) => [...base(ns), ing(ns, {path: '/app/../admin'})])
  add('a good host in upper case', 'diagnosed', (ns) => [...base(ns), ing(ns, {host: host(3).toUpperCase()})])
  add('a good host with a trailing dot', 'diagnosed', (ns) => [...base(ns), ing(ns, {host: `${host(4)}.`})])
  add('a good host and path, newer', 'diagnosed', (ns) => [...base(ns), ing(ns, {host: host(5)})])
  add('a homoglyph of a good host', 'diagnosed', (ns) => [...base(ns), ing(ns, {host: host(6).replace('e', '\u0435')})])
  add('an unknown pathType', 'diagnosed', (ns) => [...base(ns), ing(ns, {pathType: 'Regex'})])
  add("another tenant's IPv6 VIP spelled differently, same port", 'diagnosed', (ns) => [
    ...base(ns),
    service(ns, 'cache', {port: 6379, portName: 'redis', targetPort: 6379, lb: {vip: '2001:DB8:0:0::50'}}),
    slice(ns, 'cache', ['10.30.0.9'], {portName: 'redis', port: 6379}),
  ])
  add('an IPv4-mapped spelling of the VIP on the HTTPS port (http-port 443)', 'diagnosed', (ns) => [...base(ns), ing(ns, {vip: `::ffff:${VIP}`, annotations: {'vipctl.io/http-port': '443'}})])
  add('a TLS Secret with a broken chain', 'diagnosed', (ns) => [...base(ns), tlsSecret(ns, 'tls', caseSecret('tls-secret-blocks-everyone/manifest-bad-chain.json')), ing(ns, {tls: [{hosts: [`pz-${ns}.example.test`], secret: 'tls'}]})])
  add('a TLS Secret with an unrelated key in tls.crt', 'diagnosed', (ns) => [...base(ns), tlsSecret(ns, 'tls', caseSecret('tls-secret-blocks-everyone/manifest-crt-plus-otherkey.json')), ing(ns, {tls: [{hosts: [`pz-${ns}.example.test`], secret: 'tls'}]})])
  add('a TLS Secret with its own key in tls.crt', 'diagnosed', (ns) => [...base(ns), tlsSecret(ns, 'tls', caseSecret('private-key-in-tls-crt/manifest.json')), ing(ns, {tls: [{hosts: [`pz-${ns}.example.test`], secret: 'tls'}]})])
  add("a TLS host of another tenant's certificate", 'diagnosed', (ns) => [...base(ns), tlsSecret(ns, 'tls', CERT), ing(ns, {tls: [{hosts: [host(957)], secret: 'tls'}]})])
  add('a probe path with odd characters', 'diagnosed', (ns) => [
    service(ns, 'web'),
    {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web-1', namespace: ns, labels: {app: 'web'}}, spec: {containers: [{name: 'c', ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: '/health z"\u001b[2J', port: 8080}}}]}, status: {phase: 'Running', podIP: '10.30.0.2'}},
    ing(ns, {}),
  ])
  add('an over-long name', 'diagnosed', (ns) => [...base(ns), ing(ns, {}, 'x'.repeat(300))])
  add('an annotation with control characters', 'diagnosed', (ns) => [...base(ns), ing(ns, {annotations: {'vipctl.io/ssl-redirect': 'true\n\u001b[31mFORGED\u001b[0m'}})])
  add('a NetScaler annotation with control characters in a key', 'diagnosed', (ns) => [...base(ns), ing(ns, {annotations: {'ingress.citrix.com/lbvserver': '{"web\\n\\u001b[2J":{"lbmethod":"ROUNDROBIN"}}'}})])
  add('256 KiB of annotations', 'diagnosed', (ns) => [...base(ns), ing(ns, {annotations: {'example.com/blob': 'x'.repeat(300 * 1024)}})])
  add('an endpoint that is not an address', 'diagnosed', (ns) => [service(ns, 'web'), slice(ns, 'web', ['10.30.0.1\n  server evil 10.0.0.9:80', '10.30.0.3']), ing(ns, {})])
  add("a default backend on a VIP that has one", 'diagnosed', (ns) => [...base(ns), ing(ns, {defaultBackend: 'web'})])
  add('a UDP LoadBalancer port', 'diagnosed', (ns) => [{...service(ns, 'dns', {port: 53, portName: 'dns', targetPort: 53, lb: {vip: VIP}}), spec: {type: 'LoadBalancer', selector: {app: 'dns'}, ports: [{name: 'dns', port: 53, protocol: 'UDP'}]}}])
  add('a second definition of a good Ingress', 'diagnosed', () => [ingress(team(250), 'app-250', {vip: VIP, rules: [{host: host(250), paths: [{path: '/', service: 'web'}]}]})], () => `Ingress/${team(250)}/app-250`)

  return list.map((p, i) => {
    const ns = p.object ? team(250) : `aa-${String(i).padStart(2, '0')}`
    return {kind: p.kind, ns, expect: p.expect, objects: p.objects(ns).map(newer), ...(p.object ? {object: p.object} : {})}
  })
}

describe('1,000 good Ingresses and one poison of each kind', function () {
  this.timeout(300_000)

  it('HAProxy serves exactly the 1,000 good routes, every poison is reported, haproxy -c passes, NetScaler holds the same routes', async () => {
    const all = poisons()
    const snap = new SnapshotFactory(goodObjects()).snapshot(all.flatMap((p) => p.objects))
    const r = renderAll(snap)
    assert.deepEqual(r.throws, {}, 'no target throws')
    assert.ok(GOOD_TIME < POISON_TIME)
    // Every check runs; the test fails once, with everything that is wrong.
    const wrong: Record<string, unknown> = {}
    const check = (what: string, actual: unknown, expected: unknown) => {
      if (JSON.stringify(actual) !== JSON.stringify(expected)) wrong[what] = {actual, expected}
    }

    // HAProxy: the good routes, each exactly once, each to its own backend (team-19's HTTP routes redirect to HTTPS).
    const cfg = r.haproxy!
    const file = (p: string) => cfg.files.find((f) => f.path === p)?.content ?? ''
    const entries = (p: string) => new Map(file(p).split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]))
    const exact = entries('maps/http_192-0-2-50_80.exact.map')
    const prefix = entries('maps/http_192-0-2-50_80.prefix.map')
    const tlsExact = entries('maps/https_192-0-2-50_443.exact.map')
    const problems: string[] = []
    for (let i = 0; i < GOOD; i++) {
      const want = team(i) === TLS_TEAM ? '_redirect_https' : `${team(i)}_web_80`
      if (exact.get(`${host(i)}/app`) !== want) problems.push(`exact ${host(i)}/app -> ${exact.get(`${host(i)}/app`)} (want ${want})`)
      if (prefix.get(`${host(i)}/app/`) !== want) problems.push(`prefix ${host(i)}/app/ -> ${prefix.get(`${host(i)}/app/`)} (want ${want})`)
      if (team(i) === TLS_TEAM && tlsExact.get(`${host(i)}/app`) !== `${TLS_TEAM}_web_80`) problems.push(`https ${host(i)}/app -> ${tlsExact.get(`${host(i)}/app`)}`)
    }
    const goodKeys = [...exact.keys()].filter((k) => /^g\d{3}\.example\.test\//.test(k))
    const poisonHosts = new Set(all.map((p) => `pz-${p.ns}.example.test`))
    const others = [...exact.keys()].filter((k) => !/^g\d{3}\.example\.test\//.test(k) && !poisonHosts.has(k.split('/')[0]!))
    check('HAProxy: the good routes', {problems: problems.slice(0, 10), goodEntries: goodKeys.length, foreign: others}, {problems: [], goodEntries: GOOD, foreign: []})
    check("HAProxy: the VIP's default backend stays team-01's", /frontend http_192-0-2-50_80\n(    .*\n)*    default_backend team-01_web_80\n/.test(file('haproxy.cfg')), true)
    check('HAProxy: the IPv6 TCP frontend stays with its owner', /# Service\/team-00\/cache\nfrontend tcp_2001-db8--50_6379\n/.test(file('haproxy.cfg')), true)
    // A good TLS host is offered with its own certificate only (HAProxy serves the first crt-list line that names the SNI).
    const crtList = file('certs/https_192-0-2-50_443.crtlist').split('\n').filter(Boolean)
    const claimedHosts = crtList.filter((l) => !l.includes(`/certs/${TLS_TEAM}_tls.pem`)).flatMap((l) => l.split(' ').slice(1)).filter((h) => /^g9[5-9]\d\./.test(h))
    check('HAProxy: no other certificate is offered for a good TLS host', claimedHosts, [])

    // Every poison is named in an error or warning, or (where the grammar allows it) served as written.
    const named = (p: Poison) => r.diagnostics.some((d) => (d.severity === 'error' || d.severity === 'warning') && (p.object ? d.object === p.object : d.object.includes(`/${p.ns}/`)))
    const served = (p: Poison) => [...exact.values()].some((v) => v.startsWith(`${p.ns}_`))
    const silent = all.filter((p) => !named(p) && !(p.expect === 'served-or-diagnosed' && served(p))).map((p) => `${p.kind} (${p.ns})`)
    check('poisons neither reported nor served as written', silent, [])
    if (process.env.DEBUG_POISON) for (const p of all) console.log(p.kind, p.ns, JSON.stringify(r.diagnostics.filter((d) => d.object.includes(`/${p.ns}/`) || d.object === p.object).map((d) => `${d.severity} ${d.code} ${d.object} ${d.field} ${d.message}`)))
    console.log(`      ${goodKeys.length} good routes served by HAProxy; ${all.length} poisons: ${all.filter(named).length} reported, ${all.filter(served).length} with a route of their own`)

    // The generated files pass their grammar and HAProxy's own check.
    check('HAProxy grammar', haproxyGrammar(cfg), [])
    const checker = new HaproxyChecker(1)
    checker.add(cfg, '1,000 + poisons')
    await checker.done()
    check('haproxy -c', checker.failures.map((f) => f.message), [])

    // NetScaler: one policy per good route on the VIP's HTTP vserver, to the good tenant's lb vserver (or its redirect).
    const ns = r.netscaler!
    check('ns.conf grammar', netscalerGrammar(ns.batch, ns.nitro).slice(0, 5), [])
    const prefixName = DEFAULT_NETSCALER_OPTIONS.prefix
    const policies = new Map<string, string>()
    for (const e of ns.config.entities) {
      if (e.type === 'cspolicy') policies.set(`cs|${e.policyname}`, `${e.match.host}${e.match.path}`)
      if (e.type === 'responderpolicy') policies.set(`rsp|${e.name}`, `${e.match.host}${e.match.path}`)
    }
    const bound = ns.config.entities.filter((e) => (e.type === 'csvserver_cspolicy_binding' || e.type === 'csvserver_responderpolicy_binding') && e.name === `${prefixName}-${VIP}_80_http`).map((e) => (e as {policyname: string}).policyname)
    const routes = new Set<string>()
    for (const name of bound) for (const kind of ['cs', 'rsp']) if (/^g\d{3}\./.test(policies.get(`${kind}|${name}`) ?? '')) routes.add(policies.get(`${kind}|${name}`)!)
    const missing = Array.from({length: GOOD}, (_, i) => `${host(i)}/app`).filter((k) => !routes.has(k))
    const leftOut = r.diagnostics.filter((d) => d.code === 'VIP3003' && /^Ingress\/team-/.test(d.object)).length
    check('NetScaler: the 1,000 good routes on the HTTP vserver', {missing: missing.slice(0, 5), missingCount: missing.length, count: routes.size, goodRoutesLeftOut: leftOut}, {missing: [], missingCount: 0, count: GOOD, goodRoutesLeftOut: 0})
    const lbv = new Map(r.model.pools.map((p) => [p.id, poolNames(p, prefixName).lbv]))
    const actions = new Map(ns.config.entities.filter((e) => e.type === 'csaction').map((e) => [(e as {name: string}).name, (e as {targetlbvserver: string}).targetlbvserver]))
    const misrouted: string[] = []
    for (const e of ns.config.entities) {
      if (e.type !== 'cspolicy' || !/^g\d{3}\./.test(e.match.host)) continue
      const i = Number(e.match.host.slice(1, 4))
      if (actions.get(e.action) !== lbv.get(`${team(i)}/web/80`)) misrouted.push(e.match.host)
    }
    check('NetScaler: each good route to its own lb vserver', misrouted, [])
    assert.deepEqual(wrong, {})
  })
})
