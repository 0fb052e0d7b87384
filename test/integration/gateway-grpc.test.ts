/**
 * GRPCRoutes and ListenerSets through a real HAProxy on loopback. gRPC clients speak HTTP/2 in clear (prior
 * knowledge, as grpc-go does without TLS); HAProxy must carry the call to an h2c member, routed by service and
 * method like the routing module says, with the response's trailers (grpc-status) intact. A ListenerSet's listener
 * serves the HTTPRoute attached to it on the Gateway's address, and no other host. A TLS listener that terminates
 * hands the clear stream to the TLSRoute its SNI names. A TCPRoute's connections split by weight (3:1 over 200
 * connections: the share within 4 standard deviations, ±12.3 points). CORS preflights are answered by the proxy and
 * actual responses get the headers, exactly as the routing module says. Members are small Node servers on 127.0.0.x.
 */
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync} from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import tls from 'node:tls'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {writeTree} from '../../src/core/files.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {compile} from '../../src/model/compile.js'
import {decide, routingTable} from '../../src/model/routing.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {freePort, freePortRange, get, startBackend, startHaproxy, tempDirs, type Backend, type Proxy} from '../helpers/haproxy.js'

/** An h2c member: answers every call with its name, the path and the HTTP version it saw, and grpc-status 0 as a trailer. */
async function startGrpcMember(name: string, address: string): Promise<Backend> {
  const server = http2.createServer((req, res) => {
    res.setHeader('content-type', 'application/grpc')
    res.addTrailers({'grpc-status': '0', 'x-member': name})
    res.end(`${name} ${req.url} ${req.httpVersion}`)
  })
  await new Promise<void>((r) => server.listen(0, address, r))
  const port = (server.address() as {port: number}).port
  return {name, address, port, hits: 0, close: () => new Promise<void>((r) => server.close(() => r()))} as Backend
}

/** One gRPC-shaped call over HTTP/2 in clear: status, body and trailers; status 0 when the connection fails. */
function call(port: number, authority: string, path: string): Promise<{status: number; body: string; trailers: Record<string, unknown>}> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://127.0.0.1:${port}`)
    const done = (v: {status: number; body: string; trailers: Record<string, unknown>}) => {
      session.close()
      resolve(v)
    }
    session.on('error', () => done({status: 0, body: '', trailers: {}}))
    session.setTimeout(8000, () => session.destroy())
    const req = session.request({':method': 'POST', ':path': path, ':authority': authority, 'content-type': 'application/grpc', te: 'trailers'})
    let status = 0
    let body = ''
    let trailers: Record<string, unknown> = {}
    req.on('response', (h) => (status = Number(h[':status'])))
    req.on('trailers', (t) => (trailers = {...t}))
    req.on('data', (d) => (body += d))
    req.on('end', () => done({status, body, trailers}))
    req.on('error', () => done({status: 0, body: '', trailers: {}}))
    req.end(Buffer.alloc(5))
  })
}

/** Over TLS to the proxy with this SNI, one HTTP/1.1 request inside: what came back (the member's answer), '' when closed. */
function overTls(port: number, servername: string): Promise<string> {
  return new Promise((resolve) => {
    let data = ''
    const s = tls.connect({host: '127.0.0.1', port, servername, rejectUnauthorized: false}, () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))
    s.setTimeout(8000, () => s.destroy())
    s.on('data', (d) => (data += d))
    s.on('close', () => resolve(data))
    s.on('error', () => resolve(data))
  })
}

describe('GRPCRoutes, ListenerSets and TLS termination through a real HAProxy (loopback)', function () {
  this.timeout(120_000)
  const backends: Backend[] = []
  let proxy: Proxy | undefined
  let port = 0
  let setPort = 0
  let termPort = 0
  let tcpPort = 0
  let compiled: ReturnType<typeof compile>

  before(async () => {
    const echo = await startGrpcMember('echo', '127.0.0.41')
    const other = await startGrpcMember('other', '127.0.0.42')
    const web = await startBackend('web', '127.0.0.43')
    const web2 = await startBackend('web2', '127.0.0.44')
    backends.push(echo, other, web, web2)
    const service = (name: string, b: Backend) =>
      `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: t}\nspec: {ports: [{name: grpc, port: 80}]}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: ${name}-1, namespace: t, labels: {kubernetes.io/service-name: ${name}}}\naddressType: IPv4\nports: [{name: grpc, port: ${b.port}}]\nendpoints: [{addresses: [${b.address}], conditions: {ready: true}}]\n`
    const docs = [
      `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: vipctl}\nspec: {controllerName: vipctl.io/gateway-controller}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: t}\nspec:\n  gatewayClassName: vipctl\n  addresses: [{type: IPAddress, value: 192.0.2.41}]\n  allowedListeners: {namespaces: {from: Same}}\n  listeners: [{name: web, port: 80, protocol: HTTP}, {name: term, port: 8443, protocol: TLS, tls: {mode: Terminate, certificateRefs: [{name: shop-tls}]}}, {name: db, port: 5432, protocol: TCP}]\n`,
      service('web2', web2),
      `apiVersion: gateway.networking.k8s.io/v1\nkind: TCPRoute\nmetadata: {name: db, namespace: t}\nspec: {parentRefs: [{name: edge, sectionName: db}], rules: [{backendRefs: [{name: web, port: 80, weight: 3}, {name: web2, port: 80, weight: 1}]}]}\n`,
      readFileSync('examples/shop/50-secret-tls.yaml', 'utf8').replace('namespace: shop', 'namespace: t'),
      `apiVersion: gateway.networking.k8s.io/v1\nkind: TLSRoute\nmetadata: {name: shop, namespace: t}\nspec: {parentRefs: [{name: edge, sectionName: term}], hostnames: [shop.example.com], rules: [{backendRefs: [{name: web, port: 80}]}]}\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: team, namespace: t}\nspec: {parentRef: {name: edge}, listeners: [{name: team, port: 8080, protocol: HTTP, hostname: team.example.com}]}\n`,
      service('echo', echo),
      service('other', other),
      service('web', web),
      `apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: echo, namespace: t}\nspec:\n  parentRefs: [{name: edge, sectionName: web}]\n  hostnames: [grpc.example.com]\n  rules:\n    - matches: [{method: {service: echo.Echo, method: Ping}}]\n      backendRefs: [{name: echo, port: 80}]\n    - backendRefs: [{name: other, port: 80}]\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: cors, namespace: t}\nspec:\n  parentRefs: [{name: edge, sectionName: web}]\n  hostnames: [cors.example.com]\n  rules:\n    - matches: [{path: {value: /cors-1}}]\n      filters: [{type: CORS, cors: {allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], allowMethods: [GET, OPTIONS], allowHeaders: [x-header-1, x-header-2], exposeHeaders: [x-header-3], allowCredentials: true, maxAge: 3600}}]\n      backendRefs: [{name: web, port: 80}]\n    - matches: [{path: {value: /cors-any}}]\n      filters: [{type: CORS, cors: {allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*']}}]\n      backendRefs: [{name: web, port: 80}]\n`,
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: team, namespace: t}\nspec: {parentRefs: [{kind: ListenerSet, name: team}], rules: [{backendRefs: [{name: web, port: 80}]}]}\n`,
    ]
    const dirs = tempDirs()
    mkdirSync(dirs.runDir, {recursive: true})
    const snap = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(snap, docs.join('---\n'), 'm.yaml')
    assert.deepEqual(snap.diagnostics, [])
    const opts = {...DEFAULT_HAPROXY_OPTIONS, configDir: dirs.configDir, runDir: dirs.runDir, spareSlots: 0, metricsAddress: `127.0.0.1:${await freePort()}`, listen: {mode: 'address' as const, address: '127.0.0.1', basePort: await freePortRange(4)}}
    compiled = compile(sortSnapshot(snap), {})
    assert.deepEqual(compiled.model.diagnostics.filter((d) => d.severity !== 'info'), [])
    const {config} = renderHaproxy(compiled, opts)
    await writeTree(dirs.configDir, config.files, ['maps', 'certs'])
    proxy = await startHaproxy(dirs)
    port = config.listeners.get('http_192-0-2-41_80')!.port
    setPort = config.listeners.get('http_192-0-2-41_8080')!.port
    termPort = config.listeners.get('tls_192-0-2-41_8443')!.port
    tcpPort = config.listeners.get('tcp_192-0-2-41_5432')!.port
    for (let i = 0; i < 60 && (await call(port, 'grpc.example.com', '/echo.Echo/Ping')).status !== 200; i++) await new Promise((r) => setTimeout(r, 100))
  })

  after(async () => {
    await proxy?.stop()
    for (const b of backends) await b.close()
  })

  const owner = (path: string) => {
    const f = compiled.model.frontends.find((x) => x.id === 'http_192-0-2-41_80')!
    const o = decide(routingTable(f, compiled.model), {host: 'grpc.example.com', path, method: 'POST', headers: [['content-type', 'application/grpc']]}).outcome
    return o.kind === 'pool' ? o.pool.split('/')[1]! : String(o.code)
  }

  for (const [path, want] of [
    ['/echo.Echo/Ping', 'echo'],
    ['/echo.Echo/Other', 'other'],
    ['/pkg.Svc/Call', 'other'],
  ] as const)
    it(`a gRPC call to ${path} in clear HTTP/2 reaches ${want} over h2c, trailers intact, as the routing module says`, async () => {
      assert.equal(owner(path), want)
      const r = await call(port, 'grpc.example.com', path)
      assert.equal(r.status, 200)
      assert.equal(r.body, `${want} ${path} 2.0`, 'the member saw the call over HTTP/2')
      assert.equal(r.trailers['grpc-status'], '0')
      assert.equal(r.trailers['x-member'], want)
    })

  it('a ListenerSet\'s listener serves its route on the Gateway\'s address, for its hostname only', async () => {
    assert.equal((await get(setPort, 'team.example.com', '/')).body.trim(), 'web')
    assert.equal((await get(setPort, 'other.example.com', '/')).status, 404)
    // HTTP/1.1 still works on the Gateway's own listener next to gRPC (another host: 404 from the Gateway).
    const plain = await new Promise<number>((resolve) => {
      http.get({host: '127.0.0.1', port, path: '/', headers: {Host: 'nothing.example.com'}, agent: false}, (res) => resolve(res.statusCode ?? 0)).on('error', () => resolve(0))
    })
    assert.equal(plain, 404)
  })

  it('a TLS listener that terminates: the SNI its TLSRoute names reaches the member in clear; another name is closed', async () => {
    assert.match(await overTls(termPort, 'shop.example.com'), /^HTTP\/1\.1 200[\s\S]*\bweb\n/)
    assert.doesNotMatch(await overTls(termPort, 'other.example.com'), /web/)
  })

  it('a TCPRoute with weights 3:1: over 200 connections web2 takes 25% ± 12.3 points, and nothing else answers', async () => {
    const seen = new Map<string, number>()
    for (let i = 0; i < 200; i++) {
      const r = await get(tcpPort, 'any.example.com', '/')
      seen.set(r.body.trim(), (seen.get(r.body.trim()) ?? 0) + 1)
    }
    assert.deepEqual([...seen.keys()].sort(), ['web', 'web2'])
    const share = (seen.get('web2') ?? 0) / 200
    assert.ok(Math.abs(share - 0.25) <= 0.123, `web2 took ${(share * 100).toFixed(1)}%`)
  })

  /** One HTTP/1.1 request: status and the CORS headers of the answer. */
  const corsCall = (method: string, path: string, headers: Record<string, string | string[]>) =>
    new Promise<{status: number; cors: Array<[string, string]>}>((resolve) => {
      const req = http.request({host: '127.0.0.1', port, path, method, headers: {Host: 'cors.example.com', ...headers}, agent: false, timeout: 8000}, (res) => {
        res.resume()
        res.on('end', () => resolve({status: res.statusCode ?? 0, cors: Object.entries(res.headers).filter(([k]) => k.startsWith('access-control-')).map(([k, v]) => [k, String(v)] as [string, string]).sort()}))
      })
      req.on('error', () => resolve({status: 0, cors: []}))
      req.end()
    })

  for (const [what, method, path, headers] of [
    ['a preflight from an exact origin', 'OPTIONS', '/cors-1', {Origin: 'https://www.foo.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-header-1, x-header-2'}],
    ['a preflight from a wildcard origin, labels deep', 'OPTIONS', '/cors-1', {Origin: 'https://xpto.www.bar.com', 'Access-Control-Request-Method': 'GET'}],
    ['a preflight from an origin not allowed (204, no headers)', 'OPTIONS', '/cors-1', {Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET'}],
    ['an actual request from an allowed origin', 'GET', '/cors-1', {Origin: 'https://www.foo.com'}],
    ['an actual request from another origin (no headers)', 'GET', '/cors-1', {Origin: 'https://bar.com'}],
    ['a preflight to * without credentials', 'OPTIONS', '/cors-any', {Origin: 'https://a.example', 'Access-Control-Request-Method': 'DELETE', 'Access-Control-Request-Headers': 'x-y'}],
    ['two Origin headers, the first allowed (204: none is echoed)', 'OPTIONS', '/cors-1', {Origin: ['https://www.foo.com', 'https://evil.example'], 'Access-Control-Request-Method': 'GET'}],
    ['two Origin headers on an actual request (no headers)', 'GET', '/cors-1', {Origin: ['https://evil.example', 'https://www.foo.com']}],
  ] as const)
    it(`CORS, ${what}: HAProxy answers what the routing module says`, async () => {
      const f = compiled.model.frontends.find((x) => x.id === 'http_192-0-2-41_80')!
      const v = decide(routingTable(f, compiled.model), {host: 'cors.example.com', path, method, headers: Object.entries(headers).flatMap(([k, x]) => (Array.isArray(x) ? x.map((y) => [k, y] as [string, string]) : [[k, x as string] as [string, string]]))})
      const want = {status: v.outcome.kind === 'status' ? v.outcome.code : 200, cors: [...(v.cors ?? [])].sort()}
      assert.deepEqual(await corsCall(method, path, {...(headers as Record<string, string | string[]>)}), want)
    })
})
