/**
 * Gateway API through a real HAProxy on loopback: a Gateway with HTTP listeners and HTTPRoutes from two
 * namespaces; header, query and method matches with the spec's precedence (and falling through when a condition
 * fails), wildcard hostnames of one and more labels, weights over a bounded loop, redirect, rewrite, header
 * modifiers, and the 500 of a rule that cannot be served. Each request is also asked of the routing module
 * (what `check trace` says), and both must agree. Backends are small Node servers on 127.0.0.x.
 *
 * Split tolerance: 400 requests at a 25% share: within 4 standard deviations, ±8.7 percentage points.
 */
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type tls from 'node:tls'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {writeTree} from '../../src/core/files.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {compile} from '../../src/model/compile.js'
import {decide, routingTable} from '../../src/model/routing.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {freePort, freePortRange, startBackend, startHaproxy, tempDirs, type Backend, type Proxy} from '../helpers/haproxy.js'

interface Reply {
  status: number
  body: string
  headers: http.IncomingHttpHeaders
}

function send(port: number, host: string, path: string, opts: {method?: string; headers?: Record<string, string>} = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.request({host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: {Host: host, ...opts.headers}, agent: false, timeout: 8000}, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: body.trim(), headers: res.headers}))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve({status: 0, body: '', headers: {}}))
    req.end()
  })
}

describe('Gateway API through a real HAProxy (loopback)', function () {
  this.timeout(120_000)
  const backends: Backend[] = []
  let proxy: Proxy | undefined
  let port = 0
  let apps = 0
  let tlsPort = 0
  let tcpPort = 0
  let passPort = 0
  let compiled: ReturnType<typeof compile>

  before(async () => {
    const mk = async (name: string, address: string) => {
      const b = await startBackend(name, address)
      backends.push(b)
      return b
    }
    const web = await mk('web', '127.0.0.31')
    const canary = await mk('canary', '127.0.0.32')
    const deep = await mk('deep', '127.0.0.33')
    const wide = await mk('wide', '127.0.0.34')
    // A member that speaks TLS itself (the shop example's certificate): passthrough never decrypts.
    const secureServer = https.createServer({cert: Buffer.from(/tls\.crt: (\S+)/.exec(readFileSync('examples/shop/50-secret-tls.yaml', 'utf8'))![1]!, 'base64'), key: Buffer.from(/tls\.key: (\S+)/.exec(readFileSync('examples/shop/50-secret-tls.yaml', 'utf8'))![1]!, 'base64')}, (_req, res) => res.end('secure\n'))
    await new Promise<void>((r) => secureServer.listen(0, '127.0.0.35', r))
    const tlsBackend = {name: 'secure', address: '127.0.0.35', port: (secureServer.address() as {port: number}).port, hits: 0, close: () => new Promise<void>((r) => secureServer.close(() => r()))} as Backend
    backends.push(tlsBackend)
    const service = (name: string, ns: string, b: Backend) =>
      `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {ports: [{name: http, port: 80}]}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: ${name}-1, namespace: ${ns}, labels: {kubernetes.io/service-name: ${name}}}\naddressType: IPv4\nports: [{name: http, port: ${b.port}}]\nendpoints: [{addresses: [${b.address}], conditions: {ready: true}}]\n`
    const docs = [
      `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: vipctl}\nspec: {controllerName: vipctl.io/gateway-controller}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: infra}\nspec:\n  gatewayClassName: vipctl\n  addresses: [{type: IPAddress, value: 192.0.2.40}]\n  listeners:\n    - {name: web, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n    - {name: apps, port: 8080, protocol: HTTP, hostname: "*.apps.example.com", allowedRoutes: {namespaces: {from: All}}}\n    - {name: admin, port: 80, protocol: HTTP, hostname: admin.example.com}\n    - {name: db, port: 5432, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}\n    - {name: pass, port: 9443, protocol: TLS, tls: {mode: Passthrough}, allowedRoutes: {namespaces: {from: All}}}\n    - {name: pass-pay, port: 9443, protocol: TLS, tls: {mode: Passthrough}, hostname: pay.example.com}\n    - {name: tls, port: 443, protocol: HTTPS, hostname: shop.example.com, tls: {certificateRefs: [{name: shop-tls, namespace: a}]}, allowedRoutes: {namespaces: {from: All}}}\n`,
      service('secure', 'b', tlsBackend),
      // TLS to members by BackendTLSPolicy: the CA from a ConfigMap, the name verified and sent as SNI.
      service('secure-ok', 'b', tlsBackend),
      service('secure-wrong', 'b', tlsBackend),
      service('secure-nocm', 'b', tlsBackend),
      `apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {name: nocm, namespace: b}\nspec: {targetRefs: [{group: '', kind: Service, name: secure-nocm}], validation: {caCertificateRefs: [{group: '', kind: ConfigMap, name: missing}], hostname: shop.example.com}}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: upstream-nocm, namespace: b}\nspec: {parentRefs: [{name: edge, namespace: infra, sectionName: web}], hostnames: [nocm.example.com], rules: [{backendRefs: [{name: secure-nocm, port: 80}]}]}\n`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ca, namespace: b}\ndata:\n  ca.crt: ${JSON.stringify(Buffer.from(/tls\.crt: (\S+)/.exec(readFileSync('examples/shop/50-secret-tls.yaml', 'utf8'))![1]!, 'base64').toString('utf8'))}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {name: ok, namespace: b}\nspec: {targetRefs: [{group: '', kind: Service, name: secure-ok}], validation: {caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}], hostname: shop.example.com}}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {name: wrong, namespace: b}\nspec: {targetRefs: [{group: '', kind: Service, name: secure-wrong}], validation: {caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}], hostname: other.example.org}}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: upstream-tls, namespace: b}\nspec: {parentRefs: [{name: edge, namespace: infra, sectionName: web}], hostnames: [tls.example.com], rules: [{matches: [{path: {value: /ok}}], backendRefs: [{name: secure-ok, port: 80}]}, {matches: [{path: {value: /wrong}}], backendRefs: [{name: secure-wrong, port: 80}]}]}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: TLSRoute\nmetadata: {name: pass, namespace: b}\nspec: {parentRefs: [{name: edge, namespace: infra, sectionName: pass}], hostnames: ["*.example.com"], rules: [{backendRefs: [{name: secure, port: 80}]}]}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: TCPRoute\nmetadata: {name: db, namespace: b}\nspec: {parentRefs: [{name: edge, namespace: infra, sectionName: db}], rules: [{backendRefs: [{name: deep, port: 80}]}]}\n`,
      // The certificate lives with the shop team: a ReferenceGrant lets the Gateway in infra use it.
      `${readFileSync('examples/shop/50-secret-tls.yaml', 'utf8').replace('namespace: shop', 'namespace: a')}`,
      `apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: gateways, namespace: a}\nspec: {from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}], to: [{group: '', kind: Secret, name: shop-tls}]}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: secure, namespace: a}\nspec: {parentRefs: [{name: edge, namespace: infra, sectionName: tls}], rules: [{backendRefs: [{name: canary, port: 80}]}]}\n`,
      service('web', 'a', web),
      service('canary', 'a', canary),
      service('deep', 'b', deep),
      service('wide', 'b', wide),
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: a, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: web}]
  hostnames: [shop.example.com]
  rules:
    - backendRefs: [{name: web, port: 80}]
    - matches: [{path: {value: /api}, headers: [{name: X-Canary, value: "yes please"}]}]
      backendRefs: [{name: canary, port: 80}]
      filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: X-Served, value: canary}]}}]
    - matches: [{path: {value: /api}, queryParams: [{name: v, value: "2"}]}]
      backendRefs: [{name: canary, port: 80}]
    - matches: [{path: {type: Exact, value: /login}, method: POST}]
      backendRefs: [{name: canary, port: 80}]
    - matches: [{path: {value: /split}}]
      backendRefs: [{name: web, port: 80, weight: 3}, {name: canary, port: 80, weight: 1}]
    - matches: [{path: {value: /old}}]
      filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}, statusCode: 301}}]
    - matches: [{path: {value: /v1}}]
      filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /headers}}}, {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Env, value: prod}], remove: [X-Debug]}}]
      backendRefs: [{name: web, port: 80}]
    - matches: [{path: {value: /gone}}]
      backendRefs: [{name: missing, port: 80}]
    - matches: [{path: {value: /mirror}}]
      filters: [{type: RequestMirror, requestMirror: {backendRef: {name: canary, port: 80}}}]
      backendRefs: [{name: web, port: 80}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wide, namespace: b, creationTimestamp: "2026-01-02T00:00:00Z"}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: apps}]
  rules: [{backendRefs: [{name: wide, port: 80}]}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: deep, namespace: b, creationTimestamp: "2026-01-03T00:00:00Z"}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: apps}]
  hostnames: ["*.eu.apps.example.com"]
  rules: [{backendRefs: [{name: deep, port: 80}]}]
`,
      // Conditions that fail fall through to the next host tier, longer paths there included; values that look like options.
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cond-only, namespace: a, creationTimestamp: "2026-01-04T00:00:00Z"}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: web}]
  hostnames: [api.example.com]
  rules:
    - matches: [{path: {value: /api}, headers: [{name: X-Canary, value: "yes please"}]}]
      backendRefs: [{name: canary, port: 80}]
    - matches: [{path: {value: /dash}, headers: [{name: X-A, value: "-u"}]}, {path: {value: /dash}, queryParams: [{name: q, value: "-1"}]}]
      backendRefs: [{name: canary, port: 80}]
`,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wild, namespace: b, creationTimestamp: "2026-01-05T00:00:00Z"}
spec:
  parentRefs: [{name: edge, namespace: infra, sectionName: web}]
  hostnames: ["*.example.com"]
  rules: [{matches: [{path: {value: /api/v2}}], backendRefs: [{name: wide, port: 80}]}]
`,
    ]
    const dirs = tempDirs()
    mkdirSync(dirs.runDir, {recursive: true})
    const snap = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(snap, docs.join('---\n'), 'm.yaml')
    assert.deepEqual(snap.diagnostics, [])
    const opts = {...DEFAULT_HAPROXY_OPTIONS, configDir: dirs.configDir, runDir: dirs.runDir, spareSlots: 0, metricsAddress: `127.0.0.1:${await freePort()}`, listen: {mode: 'address' as const, address: '127.0.0.1', basePort: await freePortRange(10)}}
    compiled = compile(sortSnapshot(snap), {})
    const {config} = renderHaproxy(compiled, opts)
    await writeTree(dirs.configDir, config.files, ['maps', 'certs'])
    proxy = await startHaproxy(dirs)
    port = config.listeners.get('http_192-0-2-40_80')!.port
    tlsPort = config.listeners.get('https_192-0-2-40_443')!.port
    tcpPort = config.listeners.get('tcp_192-0-2-40_5432')!.port
    passPort = config.listeners.get('tls_192-0-2-40_9443')!.port
    apps = config.listeners.get('http_192-0-2-40_8080')!.port
    for (let i = 0; i < 60 && (await send(port, 'shop.example.com', '/')).status !== 200; i++) await new Promise((r) => setTimeout(r, 100))
  })

  after(async () => {
    await proxy?.stop()
    for (const b of backends) await b.close()
  })

  /** What the routing module says for the request: the backend's name (pool's service), a status, or a redirect. */
  function expected(frontend: string, host: string, path: string, opts: {method?: string; headers?: Record<string, string>} = {}): string {
    const f = compiled.model.frontends.find((x) => x.id === frontend)!
    const [p, q] = path.split('?') as [string, string | undefined]
    const v = decide(routingTable(f, compiled.model), {host, path: p, ...(q !== undefined ? {query: q} : {}), ...(opts.method ? {method: opts.method} : {}), headers: Object.entries(opts.headers ?? {})})
    const o = v.outcome
    return o.kind === 'pool' ? (o.split ? 'split' : o.pool.split('/')[1]!) : o.kind === 'redirect' ? `${o.code} ${v.location}` : String(o.code)
  }
  const got = (r: Reply) => (r.status === 200 ? r.body : r.status >= 300 && r.status < 400 ? `${r.status} ${r.headers.location}` : String(r.status))

  for (const [what, host, path, opts, want] of [
    ['no condition: the catch-all', 'shop.example.com', '/api/x', {}, 'web'],
    ['a header match (a value with a space)', 'shop.example.com', '/api/x', {headers: {'x-canary': 'yes please'}}, 'canary'],
    ['a header value that differs falls through', 'shop.example.com', '/api/x', {headers: {'x-canary': 'yes'}}, 'web'],
    ['a query parameter match', 'shop.example.com', '/api/x?a=1&v=2', {}, 'canary'],
    ['the first value of the parameter counts', 'shop.example.com', '/api/x?v=1&v=2', {}, 'web'],
    ['a method match', 'shop.example.com', '/login', {method: 'POST'}, 'canary'],
    ['another method falls through to the catch-all', 'shop.example.com', '/login', {method: 'GET'}, 'web'],
    ['a redirect with the prefix replaced, query kept', 'shop.example.com', '/old/page?x=1', {}, '301 http://shop.example.com/new/page?x=1'],
    ['an invalid backend: 500', 'shop.example.com', '/gone', {}, '500'],
    ['an unsupported filter: 500, never served without it', 'shop.example.com', '/mirror/a', {}, '500'],
    ['another host: 404', 'other.example.com', '/', {}, '404'],
    ['a failed condition falls through to a longer path of the wildcard tier', 'api.example.com', '/api/v2/x', {}, 'wide'],
    ['the condition holds: the exact host takes it', 'api.example.com', '/api/v2/x', {headers: {'x-canary': 'yes please'}}, 'canary'],
    ['a failed condition and nothing else: 404', 'api.example.com', '/api/x', {}, '404'],
    ['a header value starting with "-" is a value, not an option', 'api.example.com', '/dash', {headers: {'x-a': '-u'}}, 'canary'],
    ['a query value starting with "-" is a value (";" separates parameters)', 'api.example.com', '/dash?a=1;q=-1', {}, 'canary'],
    ['no condition met on /dash: 404', 'api.example.com', '/dash?q=1', {}, '404'],
    ['a host of a more specific listener is never served by a less specific listener\'s route (fence)', 'admin.example.com', '/api/v2/x', {}, '404'],
    ['the wildcard route serves the hosts no listener names more specifically', 'b.example.com', '/api/v2/x', {}, 'wide'],
  ] as const)
    it(`${what}: HAProxy and the routing module agree (${want})`, async () => {
      const o = {...opts} as {method?: string; headers?: Record<string, string>}
      assert.equal(expected('http_192-0-2-40_80', host, path, o), want)
      const r = await send(port, host, path, o)
      assert.equal(got(r), want)
      if (want === 'canary' && o.headers && host === 'shop.example.com') assert.equal(r.headers['x-served'], 'canary')
    })

  it('wildcard hostnames: one or more labels below the listener\'s, the longest wildcard first', async () => {
    for (const [host, want] of [
      ['a.apps.example.com', 'wide'],
      ['a.b.apps.example.com', 'wide'],
      ['x.eu.apps.example.com', 'deep'],
      ['x.y.eu.apps.example.com', 'deep'],
      ['apps.example.com', '404'],
      ['a.example.com', '404'],
    ] as const) {
      assert.equal(expected('http_192-0-2-40_8080', host, '/'), want, host)
      assert.equal(got(await send(apps, host, '/')), want, host)
    }
  })

  it('TLS termination: the listener\'s certificate (a Secret of another namespace, by ReferenceGrant) for its hostname, routes of that listener behind it', async () => {
    const r = await new Promise<{status: number; body: string; cn: string}>((resolve) => {
      const req = https.request({host: '127.0.0.1', port: tlsPort, path: '/', servername: 'shop.example.com', headers: {Host: 'shop.example.com'}, rejectUnauthorized: false, agent: false, timeout: 8000}, (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({status: res.statusCode ?? 0, body: body.trim(), cn: String((res.socket as tls.TLSSocket).getPeerCertificate().subject?.CN)}))
      })
      req.on('error', () => resolve({status: 0, body: '', cn: ''}))
      req.end()
    })
    assert.deepEqual(r, {status: 200, body: 'canary', cn: 'shop.example.com'})
  })

  it('a TLSRoute: passed through by SNI (the member\'s own certificate), a name no route has closed', async () => {
    const get = (sni: string) =>
      new Promise<string>((resolve) => {
        const req = https.request({host: '127.0.0.1', port: passPort, path: '/', servername: sni, headers: {Host: sni}, rejectUnauthorized: false, agent: false, timeout: 8000}, (res) => {
          let body = ''
          res.on('data', (d) => (body += d))
          res.on('end', () => resolve(`${body.trim()} ${(res.socket as tls.TLSSocket).getPeerCertificate().subject?.CN}`))
        })
        req.on('error', () => resolve('closed'))
        req.on('timeout', () => req.destroy())
        req.end()
      })
    assert.equal(await get('a.b.example.com'), 'secure shop.example.com')
    assert.equal(await get('other.org'), 'closed')
    // A name a more specific listener (of the same Gateway) names is fenced: its routes, else closed.
    assert.equal(await get('pay.example.com'), 'closed')
  })

  it('BackendTLSPolicy: TLS to the member, verified against the ConfigMap\'s CA for its hostname; a name the certificate lacks fails (503)', async () => {
    const ok = await send(port, 'tls.example.com', '/ok')
    assert.deepEqual([ok.status, ok.body], [200, 'secure'])
    assert.equal((await send(port, 'tls.example.com', '/wrong')).status, 503)
    // A policy that cannot be applied (its CA ConfigMap is missing) fails closed: 503 from the proxy, never plaintext.
    const nocm = await send(port, 'nocm.example.com', '/')
    assert.deepEqual([nocm.status, nocm.body], [503, 'backend TLS policy cannot be applied'])
  })

  it('a TCPRoute: the TCP listener\'s connections reach its backend as they are', async () => {
    const r = await send(tcpPort, 'anything.example', '/')
    assert.deepEqual([r.status, r.body], [200, 'deep'])
  })

  it('a rewrite and request header rules reach the member as the routing module says', async () => {
    const r = await send(port, 'shop.example.com', '/v1', {headers: {'X-Debug': '1'}})
    assert.equal(r.status, 200)
    const seen = JSON.parse(r.body) as Record<string, string>
    assert.equal(seen['x-env'], 'prod')
    assert.equal(seen['x-debug'], undefined)
  })

  it('weights 3:1 over 400 requests: the canary share within ±8.7 points of 25%', async () => {
    const seen: Record<string, number> = {}
    for (let i = 0; i < 400; i++) {
      const r = await send(port, 'shop.example.com', '/split')
      assert.equal(r.status, 200)
      seen[r.body] = (seen[r.body] ?? 0) + 1
    }
    assert.equal((seen.web ?? 0) + (seen.canary ?? 0), 400)
    assert.ok(Math.abs((seen.canary ?? 0) / 400 - 0.25) <= 0.087, JSON.stringify(seen))
  })
})
