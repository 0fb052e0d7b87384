/**
 * One table of requests drives both targets: the HAProxy target's map files are
 * evaluated the way its http-request rules use them, and the NetScaler target's
 * responder and content-switching policies are evaluated by an interpreter of
 * the expression subset it writes (the rule text itself, in priority order).
 * Both must send every request to the same place.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {haproxyRoute, normHost} from '../helpers/routing.js'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'
import {buildModel} from '../../src/model/build.js'
import {secretLookup} from '../../src/generate/haproxy.js'
import {generateHaproxy} from '../../src/targets/haproxy/generate.js'
import {generateNetscaler, poolNames, type NsEntity} from '../../src/targets/netscaler/generate.js'

const MANIFESTS = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: vipctl}
spec: {controller: vipctl.io/ingress-controller}
${['a', 'b', 'c', 'd', 'e', 'f', 'w', 'dflt', 'any', 'r'].map((s) => `---
apiVersion: v1
kind: Service
metadata: {name: ${s}, namespace: t}
spec: {ports: [{port: 80}]}`).join('\n')}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: main, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1}}
spec:
  ingressClassName: vipctl
  defaultBackend: {service: {name: dflt, port: {number: 80}}}
  rules:
    - host: shop.test
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}
          - {path: /api, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}
          - {path: /api, pathType: Exact, backend: {service: {name: c, port: {number: 80}}}}
          - {path: /api/v2, pathType: Prefix, backend: {service: {name: d, port: {number: 80}}}}
          - {path: /api/v2/exact, pathType: Exact, backend: {service: {name: e, port: {number: 80}}}}
          - {path: /static/img, pathType: Prefix, backend: {service: {name: f, port: {number: 80}}}}
    - host: "*.wild.test"
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: w, port: {number: 80}}}}
    - http:
        paths:
          - {path: /health, pathType: Exact, backend: {service: {name: any, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: redirect, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1, vipctl.io/ssl-redirect: "true"}}
spec:
  ingressClassName: vipctl
  tls: [{hosts: [secure.shop.example.com], secretName: shop-tls}]
  rules:
    - host: secure.shop.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: r, port: {number: 80}}}}
`

/** [host header, path, expected: a Service name, "redirect", or "404"] */
const TABLE: Array<[string, string, string]> = [
  ['shop.test', '/', 'a'],
  ['shop.test', '/x', 'a'],
  ['SHOP.TEST:8080', '/api', 'c'],
  ['shop.test', '/api/', 'b'],
  ['shop.test', '/api/x', 'b'],
  ['shop.test', '/apix', 'a'],
  ['shop.test', '/api/v2', 'd'],
  ['shop.test', '/api/v2/x', 'd'],
  ['shop.test', '/api/v2/exact', 'e'],
  ['shop.test', '/api/v2/exact/more', 'd'],
  ['shop.test', '/static', 'a'],
  ['shop.test', '/static/img', 'f'],
  ['shop.test', '/static/imgs', 'a'],
  ['x.wild.test', '/anything', 'w'],
  ['X.Wild.Test', '/', 'w'],
  ['a.b.wild.test', '/', 'dflt'],
  ['wild.test', '/', 'dflt'],
  ['other.test', '/health', 'any'],
  ['shop.test', '/health', 'a'],
  ['other.test', '/health/x', 'dflt'],
  ['other.test', '/', 'dflt'],
  ['secure.shop.example.com', '/', 'redirect'],
  ['Secure.Shop.Example.Com', '/deep/path', 'redirect'],
]

function parseManifests(text: string): Snapshot {
  const snap = emptySnapshot({kind: 'offline', files: ['semantics.yaml']})
  parseInto(snap, text, 'semantics.yaml')
  // The example's real certificate (for *.shop.example.com), so that the HTTPS redirect applies.
  parseInto(snap, readFileSync('examples/shop/50-secret-tls.yaml', 'utf8').replace('namespace: shop', 'namespace: t'), 'secret.yaml')
  return sortSnapshot(snap)
}


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
    if (evalRule(p.rule, host, path)) return 'redirect'
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

describe('routing semantics: one table, both targets', () => {
  const snap = parseManifests(MANIFESTS)
  const model = buildModel(snap, {})
  const fe = model.frontends.find((f) => f.protocol === 'http' && f.port === 80)!

  it('the table itself is well-formed (every case names an existing outcome)', () => {
    assert.ok(fe, 'an HTTP frontend on 192.0.2.1:80')
    const services = new Set(model.pools.map((p) => p.service))
    for (const [, , want] of TABLE) assert.ok(want === 'redirect' || want === '404' || services.has(want), want)
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

  it('the interpreter is strict: it refuses expressions the target does not write', () => {
    assert.throws(() => evalRule('HTTP.REQ.HEADER("x").EQ("y")', 'a', '/'), /unknown expression/)
    assert.equal(evalRule('HTTP.REQ.URL.PATH.EQ("/a") && !(HTTP.REQ.URL.PATH.STARTSWITH("/a/"))', 'h', '/a'), true)
  })
})
