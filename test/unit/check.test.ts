import assert from 'node:assert/strict'
import {compile} from '../../src/model/compile.js'
import {generateKeyPairSync} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {loadOffline, parseInto} from '../../src/cluster/offline.js'
import {deriveEndpointSlices} from '../../src/cluster/derive.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {certCovers} from '../../src/check/analyzers.js'
import {checkResult, runChecks} from '../../src/check/check.js'
import {ANALYZERS} from '../../src/check/analyzers.js'
import {CATALOG} from '../../src/core/catalog.js'
import {matchRoute, traceRequest} from '../../src/check/trace.js'
import {buildModel} from '../../src/model/build.js'

const now = new Date('2027-01-01T00:00:00Z')
const opts = (extra = {}) => ({model: {ingressClass: undefined, ...extra}, certWarnDays: 21, now})
const shopTls = readFileSync('examples/shop/50-secret-tls.yaml', 'utf8')
const crt = /tls\.crt: (\S+)/.exec(shopTls)![1]!
const key = /tls\.key: (\S+)/.exec(shopTls)![1]!
const otherKey = Buffer.from(generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey.export({type: 'pkcs8', format: 'pem'}) as string).toString('base64')

const svc = (sel = 'app: web', tp = '8080') => `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: c}\nspec: {${sel ? `selector: {${sel}}, ` : ''}ports: [{port: 80, targetPort: ${tp}}]}\n---\n`
const pod = (ready: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: c, labels: {app: web}}\nspec: {containers: [{name: c, ports: [{name: web, containerPort: 8080}]}]}\nstatus: {phase: Running, podIP: 10.1.0.1, conditions: [{type: Ready, status: "${ready}", reason: ContainersNotReady}]}\n---\n`
const secret = (k = key) => `apiVersion: v1\nkind: Secret\nmetadata: {name: tls, namespace: c}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${crt}, tls.key: ${k}}\n---\n`
const ing = (extra = '', cls = 'vipctl', vip = '192.0.2.1') =>
  `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: c, annotations: {vipctl.io/vip: ${vip}}}\nspec:\n  ingressClassName: ${cls}\n${extra}  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n`

function findings(text: string, o = opts(), disable: string[] = []) {
  const s = emptySnapshot({kind: 'offline', files: []})
  parseInto(s, text, 'c.yaml')
  deriveEndpointSlices(s)
  sortSnapshot(s)
  return runChecks(compile(s, o.model), o, disable)
}

function codes(text: string, o = opts(), disable: string[] = []): string[] {
  const s = emptySnapshot({kind: 'offline', files: []})
  parseInto(s, text, 'c.yaml')
  deriveEndpointSlices(s)
  sortSnapshot(s)
  return runChecks(compile(s, o.model), o, disable).map((d) => d.code)
}

describe('check', () => {
  it('examples/shop has no errors or warnings (one info: api.shop.example.com has no / rule)', async () => {
    const snap = await loadOffline({filenames: ['examples/shop'], strict: false}, {readStdin: async () => ''})
    const found = runChecks(compile(snap, opts().model), opts(), [])
    assert.deepEqual(found.filter((d) => d.severity !== 'info'), [])
    assert.deepEqual(found.map((d) => `${d.code} ${d.object}`), ['VIP4014 Ingress/shop/api'])
  })

  // (code, input, what) -> the finding's object and field are asserted too, not just the code.
  const grid: Array<[string, string, string]> = [
    ['VIP4001', ing('', 'nginx'), 'an Ingress naming a class that does not exist'],
    ['VIP4010', svc('app: nope') + pod('True') + ing(), 'a selector matching no Pod'],
    ['VIP4011', svc() + pod('False') + ing(), 'Pods matching, none ready'],
    ['VIP4012', svc('') + ing(), 'no selector and no EndpointSlices'],
    ['VIP4013', svc('app: web', 'metrics') + pod('True') + ing(), 'a named targetPort no Pod declares'],
    ['VIP4020', svc() + pod('True') + secret() + ing('  tls: [{hosts: [shop.example.org], secretName: tls}]\n'), 'a TLS host the certificate does not cover'],
    ['VIP2004', svc() + pod('True') + secret(otherKey) + ing('  tls: [{hosts: [shop.example.com], secretName: tls}]\n'), 'a key that is not the certificate\'s'],
    ['VIP4014', svc() + pod('True') + ing().replace('path: /,', 'path: /app,'), 'rules that do not cover / and no default backend'],
    ['VIP4041', svc() + pod('True') + svc().replace('name: web,', 'name: web2,') + ing().replace("rules: [{host: shop.example.com, http: {paths: [", "rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Exact, backend: {service: {name: web2, port: {number: 80}}}}, "), 'Exact and Prefix on one path to different Services'],
    ['VIP4042', svc() + pod('True') + ing().replace("rules: [{host: shop.example.com,", "rules: [{host: '*.example.com', http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}, {host: shop.example.com,"), 'a wildcard host shadowed by an exact one'],
  ]
  const WHERE: Record<string, [string, string | undefined]> = {
    VIP4001: ['Ingress/c/i', 'spec.ingressClassName'],
    VIP4010: ['Service/c/web', 'spec.selector'],
    VIP4011: ['Service/c/web', undefined],
    VIP4012: ['Service/c/web', 'spec.selector'],
    VIP4013: ['Service/c/web', 'spec.ports[0].targetPort'],
    VIP4020: ['Ingress/c/i', 'spec.tls[0].hosts'],
    VIP2004: ['Ingress/c/i', 'spec.tls[0].secretName'],
    VIP4014: ['Ingress/c/i', 'spec.rules'],
    VIP4041: ['Ingress/c/i', 'spec.rules[0].http.paths[0]'],
    VIP4042: ['Ingress/c/i', 'spec.rules[0].http.paths[0]'],
  }
  for (const [code, text, what] of grid) {
    it(`${code} fires for ${what} on the right object and field; --disable removes it`, () => {
      assert.ok(codes(text).includes(code), `${code} not in ${codes(text)}`)
      const f = findings(text).filter((d) => d.code === code)
      assert.deepEqual(f.map((d) => [d.object, d.field]), [WHERE[code]], code)
      assert.ok(!codes(text, opts(), [code]).includes(code), '--disable removes it')
    })
  }

  it('VIP4021 fires for an expired or soon-expiring certificate (clock injected)', () => {
    const text = svc() + pod('True') + secret() + ing('  tls: [{hosts: [shop.example.com], secretName: tls}]\n')
    assert.ok(!codes(text).includes('VIP4021'))
    assert.ok(codes(text, {...opts(), now: new Date('2040-01-01')}).includes('VIP4021'))
  })

  it('VIP4030 fires for an explicit VIP outside --vip-pool', () => {
    const text = svc() + pod('True') + ing()
    assert.ok(codes(text, opts({vipPool: '10.9.0.0/24'})).includes('VIP4030'))
    assert.ok(!codes(text, opts({vipPool: '192.0.2.0/24'})).includes('VIP4030'))
  })

  it('certificate host matching follows Kubernetes wildcard rules', () => {
    assert.ok(certCovers(['*.example.com'], 'a.example.com'))
    assert.ok(!certCovers(['*.example.com'], 'a.b.example.com'))
    assert.ok(!certCovers(['*.example.com'], 'example.com'))
    assert.ok(certCovers(['*.example.com'], '*.example.com'))
    assert.ok(certCovers(['a.example.com'], 'a.example.com'))
  })

  it('the verdict follows --fail-on; every analyzer code is in the catalog', () => {
    const findings = [{severity: 'warning' as const, code: 'VIP4001', object: 'Ingress/c/i', message: 'm'}]
    assert.equal(checkResult(findings, 'error').exit, undefined)
    assert.equal(checkResult(findings, 'warning').exit, 1)
    assert.equal(checkResult(findings, 'never').exit, undefined)
    for (const a of ANALYZERS) for (const c of a.codes) assert.ok(CATALOG.has(c), c)
  })
})

describe('check reports for CI', () => {
  async function brokenFindings() {
    const snap = await loadOffline({filenames: ['examples/broken'], strict: false}, {readStdin: async () => ''})
    const result = checkResult(runChecks(compile(snap, opts({vipPool: '192.0.2.0/28'}).model), opts({vipPool: '192.0.2.0/28'}), []), 'error', '0.1.0')
    return result
  }

  it('JUnit XML parses back with one testcase per finding and failures at or above --fail-on', async () => {
    const {XMLParser, XMLValidator} = await import('fast-xml-parser')
    const result = await brokenFindings()
    const xml = result.formats!.junit!(result.items)
    assert.equal(XMLValidator.validate(xml), true)
    const doc = new XMLParser({ignoreAttributes: false, attributeNamePrefix: ''}).parse(xml)
    const suite = doc.testsuites.testsuite
    const cases = [suite.testcase].flat()
    assert.equal(cases.length, result.items.length)
    const failing = result.items.filter((f) => f.severity === 'error').length
    assert.equal(Number(suite.failures), failing)
    assert.equal(cases.filter((c: any) => c.failure).length, failing)
    const c = cases.find((x: any) => x.classname === 'VIP4010')
    assert.deepEqual([c.name, c.file, c.line], ['Service/broken/web spec.selector', 'examples/broken/broken.yaml', '9'])
  })

  it('SARIF validates against the SARIF 2.1.0 schema and points at file, line and object', async () => {
    // Both are CommonJS with a default export; unwrap it whichever way the loader presents it.
    const ajvMod: any = await import('ajv-draft-04')
    const formatsMod: any = await import('ajv-formats')
    const Ajv = ajvMod.default?.default ?? ajvMod.default
    const addFormats = formatsMod.default?.default ?? formatsMod.default
    const schema = JSON.parse(readFileSync('node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json', 'utf8'))
    const ajv = new Ajv({strict: false, allErrors: true, unicodeRegExp: false})
    addFormats(ajv)
    const validate = ajv.compile(schema)
    const result = await brokenFindings()
    const doc = JSON.parse(result.formats!.sarif!(result.items))
    assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 3)))
    const r = doc.runs[0].results.find((x: any) => x.ruleId === 'VIP4010')
    assert.equal(r.level, 'error')
    assert.deepEqual(r.locations[0].physicalLocation, {artifactLocation: {uri: 'examples/broken/broken.yaml'}, region: {startLine: 9}})
    assert.equal(r.locations[0].logicalLocations[0].fullyQualifiedName, 'Service/broken/web#spec.selector')
    assert.equal(doc.runs[0].tool.driver.rules[r.ruleIndex].id, 'VIP4010')
    // A live finding (no file) is still valid SARIF with only a logical location.
    const live = JSON.parse(checkResult([{severity: 'warning', code: 'VIP4001', object: 'Ingress/a/b', message: 'm'}], 'error').formats!.sarif!([
      {code: 'VIP4001', severity: 'warning', title: 't', object: 'Ingress/a/b', message: 'm', hint: 'h'},
    ]))
    assert.ok(validate(live), JSON.stringify(validate.errors?.slice(0, 3)))
  })
})

describe('check trace', () => {
  async function load(dir: string) {
    const snap = await loadOffline({filenames: [dir], strict: false}, {readStdin: async () => ''})
    return {snap, model: buildModel(snap)}
  }

  it('explains a reachable request hop by hop, warning about the not-ready Pod', async () => {
    const {snap, model} = await load('examples/shop')
    const t = traceRequest(snap, model, 'shop.example.com/api/cart/items', now)
    assert.equal(t.ok, true)
    const by = (h: string) => t.hops.filter((x) => x.hop === h)
    assert.match(by('route')[0]!.detail, /Prefix \/api\/cart; beats Prefix \//)
    assert.equal(by('tls')[0]!.status, 'ok')
    assert.equal(by('endpoints')[0]!.status, 'warn')
    assert.match(by('pods')[0]!.detail, /not ready: cart-2 \(ContainersNotReady\)/)
  })

  it('Exact beats Prefix, prefixes match whole path elements, wildcards one label', async () => {
    const {snap, model} = await load('examples/shop')
    const https = model.frontends.find((f) => f.protocol === 'https')!
    assert.match(matchRoute(https, model, 'api.shop.example.com', '/v1/payments/webhook').why, /Exact \/v1\/payments\/webhook/)
    assert.equal(matchRoute(https, model, 'api.shop.example.com', '/v1/payments/webhookx').decision, undefined)
    assert.match(matchRoute(https, model, 'shop.example.com', '/imagesx').decision!.match.path, /^\/$/)
    assert.equal(traceRequest(snap, model, 'nothing.example.com/').ok, false)
  })

  it('a broken request fails at each hop that is wrong, with fixes', async () => {
    const {snap, model} = await load('examples/broken')
    const t = traceRequest(snap, model, 'shop.example.org/', now)
    assert.equal(t.ok, false)
    assert.deepEqual(t.hops.filter((h) => h.status === 'fail').map((h) => h.hop), ['tls', 'pods', 'endpoints'])
    assert.ok(t.hops.filter((h) => h.status === 'fail').every((h) => h.fix))
    assert.ok(t.hops.some((h) => h.status === 'warn' && /HTTP and HTTPS differ/.test(h.detail)))
  })
})
