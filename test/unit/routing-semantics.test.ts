/**
 * One table of requests drives both targets: the HAProxy target's map files are
 * evaluated the way its http-request rules use them, and the NetScaler target's
 * responder and content-switching policies are evaluated by an interpreter of
 * the expression subset it writes (the rule text itself, in priority order).
 * Both must send every request to the same place.
 */
import {compile, secretLookup} from '../../src/model/compile.js'
import assert from 'node:assert/strict'
import {haproxyRoute, normHost} from '../helpers/routing.js'
import {MANIFESTS, TABLE, parseManifests} from '../helpers/semantics.js'
import {decide, routingTable, uncoveredPathsGo} from '../../src/model/routing.js'
import {traceRequest} from '../../src/check/trace.js'
import {runChecks} from '../../src/check/check.js'
import {buildModel} from '../../src/model/build.js'
import {generateHaproxy} from '../../src/targets/haproxy/generate.js'
import {generateNetscaler, poolNames, type NsEntity} from '../../src/targets/netscaler/generate.js'

// ---- NetScaler: an interpreter of the expression subset the target writes -----------------

function evalRule(rule: string, host: string, path: string): boolean {
  let i = 0
  const peek = (s: string) => rule.startsWith(s, i)
  const eat = (s: string) => {
    if (!peek(s)) throw new Error(`expected ${s} at ${i} in ${rule}`)
    i += s.length
  }
  const ws = () => {
    while (rule[i] === ' ') i++
  }
  const str = (): string => {
    eat('"')
    let out = ''
    while (rule[i] !== '"') {
      if (rule[i] === '\\') i++
      out += rule[i++]
    }
    eat('"')
    return out
  }
  const primary = (): boolean => {
    ws()
    if (peek('!(')) {
      eat('!(')
      const v = or()
      eat(')')
      return !v
    }
    if (peek('(')) {
      eat('(')
      const v = or()
      eat(')')
      return v
    }
    if (peek('true')) return eat('true'), true
    if (peek('HTTP.REQ.URL.PATH.REGEX_MATCH(re#')) {
      eat('HTTP.REQ.URL.PATH.REGEX_MATCH(re#')
      const end = rule.indexOf('#)', i)
      const re = rule.slice(i, end)
      i = end
      eat('#)')
      return new RegExp(re).test(path)
    }
    if (peek('HTTP.REQ.URL.PATH.SET_TEXT_MODE(IGNORECASE).CONTAINS(')) {
      eat('HTTP.REQ.URL.PATH.SET_TEXT_MODE(IGNORECASE).CONTAINS(')
      const v = str()
      eat(')')
      return path.toLowerCase().includes(v.toLowerCase())
    }
    if (peek('HTTP.REQ.URL.PATH.CONTAINS(')) {
      eat('HTTP.REQ.URL.PATH.CONTAINS(')
      const v = str()
      eat(')')
      return path.includes(v)
    }
    const H = 'HTTP.REQ.HOSTNAME.SERVER.SET_TEXT_MODE(IGNORECASE)'
    if (peek(`${H}.AFTER_STR(".").EQ(`)) {
      eat(`${H}.AFTER_STR(".").EQ(`)
      const v = str()
      eat(')')
      const h = normHost(host)
      return h.includes('.') && h.slice(h.indexOf('.') + 1) === v.toLowerCase()
    }
    if (peek(`${H}.EQ(`)) {
      eat(`${H}.EQ(`)
      const v = str()
      eat(')')
      return normHost(host) === v.toLowerCase()
    }
    if (peek('HTTP.REQ.URL.PATH.EQ(')) {
      eat('HTTP.REQ.URL.PATH.EQ(')
      const v = str()
      eat(')')
      return path === v
    }
    if (peek('HTTP.REQ.URL.PATH.STARTSWITH(')) {
      eat('HTTP.REQ.URL.PATH.STARTSWITH(')
      const v = str()
      eat(')')
      return path.startsWith(v)
    }
    throw new Error(`unknown expression at ${i}: ${rule.slice(i, i + 40)}`)
  }
  const and = (): boolean => {
    let v = primary()
    ws()
    while (peek('&&')) {
      eat('&&')
      const r = primary()
      v = v && r
      ws()
    }
    return v
  }
  const or = (): boolean => {
    let v = and()
    ws()
    while (peek('||')) {
      eat('||')
      const r = and()
      v = v || r
      ws()
    }
    return v
  }
  const v = or()
  ws()
  if (i !== rule.length) throw new Error(`trailing input at ${i}: ${rule}`)
  return v
}

function netscalerRoute(entities: NsEntity[], csv: string, lbvToService: Map<string, string>, host: string, path: string): string {
  const byType = <T extends NsEntity['type']>(t: T) => entities.filter((e): e is Extract<NsEntity, {type: T}> => e.type === t)
  // Responder policies first (REQUEST bind point), then content switching, each in priority order.
  const responders = byType('csvserver_responderpolicy_binding').filter((b) => b.name === csv).sort((a, b) => a.priority - b.priority)
  for (const b of responders) {
    const p = byType('responderpolicy').find((x) => x.name === b.policyname)!
    if (evalRule(p.rule, host, path)) return byType('responderaction').find((a) => a.name === p.action)!.responderType === 'respondwith' ? '400' : 'redirect'
  }
  const bindings = byType('csvserver_cspolicy_binding').filter((b) => b.name === csv).sort((a, b) => a.priority - b.priority)
  for (const b of bindings) {
    const p = byType('cspolicy').find((x) => x.policyname === b.policyname)!
    if (evalRule(p.rule, host, path)) {
      const action = byType('csaction').find((a) => a.name === p.action)!
      return lbvToService.get(action.targetlbvserver)!
    }
  }
  const dflt = byType('csvserver_lbvserver_binding').find((b) => b.name === csv)
  return dflt ? lbvToService.get(dflt.lbvserver)! : '404'
}

describe('routing semantics: one table for the routing module, both targets, trace and check', () => {
  const snap = parseManifests(MANIFESTS)
  const model = buildModel(snap, {})
  const fe = model.frontends.find((f) => f.protocol === 'http' && f.port === 80)!

  it('the table itself is well-formed (every case names an existing outcome)', () => {
    assert.ok(fe, 'an HTTP frontend on 192.0.2.1:80')
    const services = new Set(model.pools.map((p) => p.service))
    for (const [, , want] of TABLE) assert.ok(want === 'redirect' || want === '404' || want === '400' || services.has(want), want)
  })

  it('HAProxy: every request goes where the table says', () => {
    const cfg = generateHaproxy(model, secretLookup(snap), {configDir: '/etc/h', runDir: '/run/h', nbthread: 1, spareSlots: 0, metricsAddress: '127.0.0.1:8405', listen: {mode: 'vip'}})
    const files = new Map(cfg.files.map((f) => [f.path, f.content]))
    const backendToService = new Map(model.pools.map((p) => [cfg.backends.get(p.id)!, p.service]))
    const dflt = fe.defaultPool ? cfg.backends.get(fe.defaultPool) : undefined
    for (const [host, path, want] of TABLE) assert.equal(haproxyRoute(files, backendToService, fe.id, dflt, host, path), want, `${host}${path}`)
  })

  it('NetScaler: the policy expressions, in priority order, send every request to the same place', () => {
    const cfg = generateNetscaler(model, secretLookup(snap), {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    const lbvToService = new Map(model.pools.map((p) => [poolNames(p, 'k8s').lbv, p.service]))
    for (const [host, path, want] of TABLE) assert.equal(netscalerRoute(cfg.entities, 'k8s-192.0.2.1_80_http', lbvToService, host, path), want, `${host}${path}`)
  })

  it('the routing module itself: decide() gives every answer of the table', () => {
    const table = routingTable(fe, model)
    const serviceOf = (pool: string) => model.pools.find((p) => p.id === pool)!.service
    for (const [host, path, want] of TABLE) {
      const v = decide(table, {host, path})
      const got = v.outcome.kind === 'pool' ? serviceOf(v.outcome.pool) : v.outcome.kind === 'redirect' ? 'redirect' : String(v.outcome.code)
      assert.equal(got, want, `${host}${path}: ${v.why}`)
    }
  })

  it('check trace follows the same decisions (default backend, redirect and 404 included)', () => {
    for (const [host, path, want] of TABLE) {
      const t = traceRequest(snap, model, `${host.replace(/:[0-9]+$/, '')}${path}`, new Date('2026-11-29T00:00:00Z'))
      const label = `${host}${path}`
      const vipHop = t.hops.find((h) => h.hop === 'vip' && h.detail.startsWith('HTTP '))
      if (want === '404' || want === '400') {
        assert.equal(t.ok, false, label)
        assert.match(t.hops[0]!.detail, new RegExp(want), label)
      } else if (want === 'redirect') assert.match(vipHop?.detail ?? '', /redirects to HTTPS \(308, port 443\)/, label)
      else {
        assert.doesNotMatch(vipHop?.detail ?? '', /redirects/, label)
        assert.match(t.hops.find((h) => h.hop === 'service')?.detail ?? '', new RegExp(`^Service t/${want} port`), label)
      }
    }
  })

  it('check says what the routing module does: no false 404 or shadowing where a wildcard, host-less rule or default takes the request', () => {
    const found = runChecks(compile(snap, {}), {model: {}, now: new Date('2026-11-29T00:00:00Z'), certWarnDays: 21}, [])
    // shop.test has a Prefix / rule; x.wild.test has none of its own; the default backend takes every other request.
    assert.deepEqual(found.filter((d) => d.code === 'VIP4014' || d.code === 'VIP4042'), [])
    const table = routingTable(fe, model)
    for (const host of ['shop.test', 'x.wild.test', 'other.test']) assert.notEqual(uncoveredPathsGo(table, host).outcome.kind, 'status', host)
  })

  it('the interpreter is strict: it refuses expressions the target does not write', () => {
    assert.throws(() => evalRule('HTTP.REQ.HEADER("x").EQ("y")', 'a', '/'), /unknown expression/)
    assert.equal(evalRule('HTTP.REQ.URL.PATH.EQ("/a") && !(HTTP.REQ.URL.PATH.STARTSWITH("/a/"))', 'h', '/a'), true)
  })
})
