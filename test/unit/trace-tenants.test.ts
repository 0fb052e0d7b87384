/**
 * What an outside review of the routing work found, each as the kind of fault it is:
 * trace disagreeing with the proxies (query strings, the certificate presented,
 * wildcard and default-backend rules, Ingresses not served, a host on two VIPs), and
 * objects one tenant can use against the node or the others (node-local addresses,
 * IP-literal hosts, unreachable dot-segment paths, malformed timestamps, duplicate ports).
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'
import {traceIngress, traceRequest} from '../../src/check/trace.js'
import {compile} from '../../src/model/compile.js'

function snap(text: string): Snapshot {
  const s = emptySnapshot({kind: 'offline', files: ['m.yaml']})
  parseInto(s, text, 'm.yaml')
  return sortSnapshot(s)
}
const svc = (name: string, ns = 't') => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {ports: [{port: 80}]}\n---\n`
const ing = (name: string, body: string, extra = '') =>
  `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ${name}, namespace: t, annotations: {vipctl.io/vip: 192.0.2.9${extra}}}\nspec:\n  ingressClassName: vipctl\n${body}---\n`
const rule = (host: string, p: string, backend: string, type = 'Prefix') => `  rules: [{${host ? `host: "${host}", ` : ''}http: {paths: [{path: ${p}, pathType: ${type}, backend: {service: {name: ${backend}, port: {number: 80}}}}]}}]\n`
const codes = (s: Snapshot) => compile(s, {}).model.diagnostics.map((d) => `${d.code} ${d.object} ${d.field ?? ''}`)

describe('trace agrees with the proxies', () => {
  const base = snap(`${svc('a')}${svc('b')}${ing('x', rule('x.test', '/api/checkout', 'b', 'Exact'))}${ing('y', rule('x.test', '/', 'a'))}`)

  it('a query string or fragment is not part of the path', () => {
    for (const r of ['x.test/api/checkout?x=1', 'x.test/api/checkout#f', 'x.test/api/checkout?a=/b#c']) {
      const t = traceRequest(base, compile(base, {}).model, r)
      assert.match(t.hops.find((h) => h.hop === 'route')!.detail, /Exact \/api\/checkout/, r)
    }
  })

  it('ingress/NAME traces a wildcard rule with a host it covers, and a default backend', () => {
    const s = snap(`${svc('a')}${svc('d')}${ing('w', `${rule('*.wild.test', '/', 'a')}  defaultBackend: {service: {name: d, port: {number: 80}}}\n`)}`)
    const ts = traceIngress(s, compile(s, {}).model, 't', 'w')
    assert.equal(ts.length, 2)
    // Both are routed (their Services have no endpoints in this input, which is another hop).
    assert.ok(ts.every((t) => t.hops.find((h) => h.hop === 'route')!.status === 'ok'), JSON.stringify(ts))
    assert.match(ts[0]!.request, /^trace\.wild\.test\//)
    assert.match(ts[1]!.hops.find((h) => h.hop === 'route')!.detail, /default backend of Ingress\/t\/w/)
  })

  it('ingress/NAME of an Ingress vipctl does not serve fails, saying why', () => {
    const s = snap(`${svc('a')}${ing('other', rule('o.test', '/', 'a')).replace('ingressClassName: vipctl', 'ingressClassName: nginx')}${ing('novip', rule('n.test', '/', 'a')).replace('annotations: {vipctl.io/vip: 192.0.2.9}', 'annotations: {}')}`)
    const m = compile(s, {}).model
    const [other] = traceIngress(s, m, 't', 'other')
    assert.equal(other!.ok, false)
    assert.match(other!.hops[0]!.detail, /class nginx/)
    const [novip] = traceIngress(s, m, 't', 'novip')
    assert.equal(novip!.ok, false)
    assert.match(novip!.hops[0]!.detail, /VIP2005/)
  })

  it('the certificate presented is the one the proxy picks for the SNI name: an exact name before an older wildcard', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-sni-'))
    const cert = (name: string, cn: string) => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`, '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.crt`)], {stdio: 'ignore'})
      const b64 = (f: string) => readFileSync(path.join(dir, f)).toString('base64')
      return `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}, namespace: t}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${b64(`${name}.crt`)}, tls.key: ${b64(`${name}.key`)}}\n---\n`
    }
    const older = `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: wild, namespace: t, creationTimestamp: "2020-01-01T00:00:00Z", annotations: {vipctl.io/vip: 192.0.2.9}}\nspec:\n  ingressClassName: vipctl\n  tls: [{hosts: ["*.example.test"], secretName: wild-tls}]\n${rule('*.example.test', '/', 'a')}---\n`
    const newer = `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: app, namespace: t, creationTimestamp: "2021-01-01T00:00:00Z", annotations: {vipctl.io/vip: 192.0.2.9}}\nspec:\n  ingressClassName: vipctl\n  tls: [{hosts: [app.example.test], secretName: app-tls}]\n${rule('app.example.test', '/', 'a')}---\n`
    const s = snap(`${svc('a')}${cert('wild-tls', '*.example.test')}${cert('app-tls', 'app.example.test')}${older}${newer}`)
    const t = traceRequest(s, compile(s, {}).model, 'app.example.test/')
    assert.match(t.hops.find((h) => h.hop === 'tls')!.detail, /Secret t\/app-tls covers app\.example\.test/)
  })

  it('a host served on two VIPs is said, and --address picks the VIP', () => {
    const s = snap(`${svc('a')}${svc('b')}${ing('one', rule('foo.test', '/api', 'a'))}${ing('two', rule('foo.test', '/', 'b')).replace('192.0.2.9', '192.0.2.10')}`)
    const m = compile(s, {}).model
    const t = traceRequest(s, m, 'foo.test/api')
    assert.match(t.hops.find((h) => h.hop === 'route')!.detail, /Ingress\/t\/one/)
    assert.ok(t.hops.some((h) => h.hop === 'vip' && h.status === 'warn' && /also served on 192\.0\.2\.10/.test(h.detail)), JSON.stringify(t.hops))
    const on10 = traceRequest(s, m, 'foo.test/api', new Date(), {}, {address: '192.0.2.10'})
    assert.match(on10.hops.find((h) => h.hop === 'route')!.detail, /Ingress\/t\/two/)
  })
})

describe('one tenant against the node and the others', () => {
  it('a VIP on link-local (cloud metadata) is refused: the object is not served', () => {
    for (const vip of ['169.254.169.254', '169.254.0.1', '::ffff:169.254.169.254']) {
      const s = snap(`${svc('a')}${ing('x', rule('x.test', '/', 'a')).replace('192.0.2.9', `"${vip}"`)}`)
      const m = compile(s, {}).model
      assert.deepEqual(m.frontends, [], vip)
      assert.ok(m.diagnostics.some((d) => d.code === 'VIP2003' && /link-local/.test(d.message)), vip)
    }
  })

  it('an ExternalName that is an IP literal or localhost is refused', () => {
    for (const name of ['127.0.0.1', '169.254.169.254', 'localhost', 'x.localhost', '10.0.0.1']) {
      const s = snap(`apiVersion: v1\nkind: Service\nmetadata: {name: e, namespace: t}\nspec: {type: ExternalName, externalName: "${name}", ports: [{port: 80}]}\n---\n${ing('x', rule('x.test', '/', 'e'))}`)
      const m = compile(s, {}).model
      assert.deepEqual(m.pools, [], name)
      assert.ok(m.diagnostics.some((d) => d.code === 'VIP2003' && d.field === 'spec.externalName'), name)
    }
  })

  it('an Ingress host that is an IP literal is refused (as the API server does)', () => {
    const s = snap(`${svc('a')}${ing('x', rule('192.0.2.9', '/', 'a'))}`)
    assert.deepEqual(s.ingresses, [])
    assert.match(s.diagnostics[0]!.message, /not an IP address/)
  })

  it('a "." segment in a rule path is refused: requests for it are answered 400, the rule could never match', () => {
    for (const p of ['/a/./b', '/.', '/a/.']) assert.ok(codes(snap(`${svc('a')}${ing('x', rule('x.test', p, 'a'))}`)).includes('VIP2003 Ingress/t/x spec.rules[0].http.paths[0].path'), p)
  })

  it('creationTimestamp must be RFC 3339 with a zone: no local times, no impossible dates', () => {
    for (const ts of ['not a date', '', '2025-02-30T00:00:00Z', '2025-06-01T00:00:00', '2025-06-01 00:00:00Z']) {
      const s = snap(`apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: t, creationTimestamp: "${ts}"}\nspec: {ports: [{port: 80}]}\n`)
      assert.deepEqual(s.services, [], ts)
      assert.equal(s.diagnostics[0]?.field, 'metadata.creationTimestamp', ts)
    }
    for (const ts of ['2025-06-01T00:00:00Z', '2025-06-01T00:00:00.123456Z', '2025-06-01T02:00:00+02:00']) assert.equal(snap(`apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: t, creationTimestamp: "${ts}"}\nspec: {ports: [{port: 80}]}\n`).services.length, 1, ts)
  })

  it('duplicate Service port names, or a port twice per protocol, are refused (as the API server does)', () => {
    const s = snap('apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: t}\nspec: {ports: [{name: http, port: 80}, {name: http, port: 81}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: t}\nspec: {ports: [{port: 80}, {port: 80, name: x}, {port: 80, protocol: UDP, name: y}]}\n')
    assert.deepEqual(s.services, [])
    assert.deepEqual(s.diagnostics.map((d) => `${d.object} ${d.field}`), ['Service/t/a spec.ports[1].name', 'Service/t/b spec.ports[1].port'])
  })

  it('vipctl.io/lb-method on an Ingress is said to have no effect', () => {
    assert.ok(codes(snap(`${svc('a')}${ing('x', rule('x.test', '/', 'a'), ', vipctl.io/lb-method: leastconn')}`)).includes('VIP2012 Ingress/t/x metadata.annotations[vipctl.io/lb-method]'))
  })
  it('a LoadBalancer restricted to source ranges is never served open (VIP2024), by field or annotation', () => {
    for (const extra of ['loadBalancerSourceRanges: [10.0.0.0/8], ', '']) {
      const ann = extra ? '' : ', service.beta.kubernetes.io/load-balancer-source-ranges: "10.0.0.0/8"'
      const s = snap(`apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: t, annotations: {vipctl.io/vip: 192.0.2.9${ann}}}\nspec: {type: LoadBalancer, ${extra}ports: [{port: 5432}]}\n`)
      const m = compile(s, {}).model
      assert.deepEqual(m.frontends, [], extra)
      assert.ok(m.diagnostics.some((d) => d.code === 'VIP2024' && d.object === 'Service/t/db'), extra)
    }
  })
})

describe('second review', () => {
  it('ingress/NAME of an Ingress that lost its rule to an older one fails, naming the finding', () => {
    const s = snap(`${svc('a')}${svc('b')}apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: old, namespace: t, creationTimestamp: "2020-01-01T00:00:00Z", annotations: {vipctl.io/vip: 192.0.2.9}}\nspec:\n  ingressClassName: vipctl\n${rule('x.test', '/', 'a')}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: new, namespace: t, creationTimestamp: "2021-01-01T00:00:00Z", annotations: {vipctl.io/vip: 192.0.2.9}}\nspec:\n  ingressClassName: vipctl\n${rule('x.test', '/', 'b')}`)
    const m = compile(s, {}).model
    const [t] = traceIngress(s, m, 't', 'new')
    assert.equal(t!.ok, false)
    assert.match(t!.hops[0]!.detail, /Ingress\/t\/new does not serve this request: VIP2010/)
    assert.equal(traceIngress(s, m, 't', 'old')[0]!.hops.some((h) => h.hop === 'claim'), false)
  })

  it('ingress/NAME of an Ingress that was not read says why (exit 65), not "not found"', () => {
    const s = snap(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: z, namespace: t}\nspec: {rules: [{host: z.test, http: {paths: [{path: /, pathType: Bogus, backend: {service: {name: a, port: {number: 80}}}}]}}]}\n`)
    assert.throws(() => traceIngress(s, compile(s, {}).model, 't', 'z'), (e: Error & {exitCode?: number}) => /Ingress t\/z was not read: VIP1001/.test(e.message))
  })

  it('an ExternalName in a numeric form of an address is refused (127.1, 2130706433, 0x7f000001)', () => {
    for (const name of ['127.1', '2130706433', '0x7f000001', 'a.123']) {
      const s = snap(`apiVersion: v1\nkind: Service\nmetadata: {name: e, namespace: t}\nspec: {type: ExternalName, externalName: "${name}", ports: [{port: 80}]}\n---\n${ing('x', rule('x.test', '/', 'e'))}`)
      assert.deepEqual(compile(s, {}).model.pools, [], name)
    }
  })

  it('a Service whose endpoints come as EndpointSlices needs no Pods in the input (no VIP4010)', async () => {
    const {runChecks} = await import('../../src/check/check.js')
    const s = snap(`apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: t}\nspec: {selector: {app: a}, ports: [{name: http, port: 80}]}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: a-1, namespace: t, labels: {kubernetes.io/service-name: a}}\naddressType: IPv4\nports: [{name: http, port: 80}]\nendpoints: [{addresses: [10.0.0.1], conditions: {ready: true}}]\n---\n${ing('x', rule('x.test', '/', 'a'))}`)
    const found = runChecks(compile(s, {}), {model: {}, certWarnDays: 21, now: new Date('2026-11-29T00:00:00Z')}, [])
    assert.deepEqual(found.filter((d) => d.severity === 'error'), [])
  })

  it('helm hook workloads and canaries spelled as ingress-nginx reads booleans', async () => {
    const s = snap(`apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, namespace: t, annotations: {helm.sh/hook: pre-upgrade}}\nspec: {template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c}]}}}\n`)
    assert.deepEqual(s.workloads, [])
    assert.equal(s.skipped.get('batch/v1/Job (helm hook)'), 1)
    const {foreignVerdict} = await import('../../src/model/foreign.js')
    for (const v of ['true', 'True', 'TRUE', '1', 't', 'T']) assert.equal(foreignVerdict('nginx.ingress.kubernetes.io/canary', v)?.kind, 'leave-out', v)
    assert.equal(foreignVerdict('nginx.ingress.kubernetes.io/canary', 'false')?.kind, 'not-honoured')
    for (const k of ['alb.ingress.kubernetes.io/scheme', 'nginx.org/limit-req-rate', 'appprotect.f5.com/app-protect-enable']) assert.equal(foreignVerdict(k, 'x')?.kind, 'access', k)
  })
})

describe('trace on a named HTTP port that redirects to HTTPS', () => {
  it('follows the redirect to the HTTPS port of the same VIP (vipctl.io/http-port 8080, https-port 8443), not a false TLS failure', () => {
    const manifests = readFileSync('test/fixtures/cases/http-host-with-port/redirect/manifests.yaml', 'utf8').replace('    vipctl.io/vip: 192.0.2.30', '    vipctl.io/vip: 192.0.2.30\n    vipctl.io/http-port: "8080"\n    vipctl.io/https-port: "8443"')
    const s = snap(manifests)
    const m = compile(s, {}).model
    for (const r of ['app.example.test:8080/x', 'app.example.test:8443/x', 'app.example.test/x']) {
      const t = traceRequest(s, m, r, new Date('2026-12-01T00:00:00Z'))
      // (No EndpointSlices are derived here: the endpoints hop fails; every hop before it must not.)
      const before = t.hops.slice(0, t.hops.findIndex((h) => h.hop === 'endpoints'))
      assert.deepEqual(before.filter((h) => h.status === 'fail'), [], r)
      assert.equal(t.hops.find((h) => h.hop === 'tls')?.status, 'ok', r)
    }
    const onHttp = traceRequest(s, m, 'app.example.test:8080/x', new Date('2026-12-01T00:00:00Z'))
    assert.deepEqual(onHttp.hops.filter((h) => h.hop === 'vip').map((h) => h.detail.replace(/ \(source.*?\)/, '')), ['HTTP on 192.0.2.30:8080, redirects to HTTPS (308, port 8443)', 'HTTPS on 192.0.2.30:8443'])
  })
})
