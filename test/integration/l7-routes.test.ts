/**
 * Route and backend policy through a real HAProxy on loopback (issue "L7 policy"): traffic split and member
 * weights measured over bounded request loops, header rules and HSTS, redirects, rewrites, the member timeout,
 * retries, connection limits, PROXY protocol both ways, h2c and verified HTTPS to members, WebSocket upgrades
 * and probe headers. Every backend is a small Node server on 127.0.0.x; nothing leaves loopback.
 *
 * Split tolerance: with n requests and share p, the measured share is within 4 standard deviations
 * (4·sqrt(p(1-p)/n)) of p; for n = 600 and p = 0.25 that is ±7.1 percentage points (a false failure about once in
 * 15,000 runs).
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {readFileSync, mkdirSync} from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {writeTree} from '../../src/core/files.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {compile} from '../../src/model/compile.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {freePort, freePortRange, startHaproxy, tempDirs, type Proxy} from '../helpers/haproxy.js'

const shopYaml = readFileSync('examples/shop/50-secret-tls.yaml', 'utf8')
const CRT_B64 = /tls\.crt: (\S+)/.exec(shopYaml)![1]!
const KEY_B64 = /tls\.key: (\S+)/.exec(shopYaml)![1]!
const CERT = Buffer.from(CRT_B64, 'base64')
const KEY = Buffer.from(KEY_B64, 'base64')

interface Echo {
  name: string
  path: string
  host: string
  version: string
  headers: Record<string, string | string[] | undefined>
  proxyLine?: string
}

interface Server {
  address: string
  port: number
  /** Requests served (health checks apart), and the highest number served at once. */
  hits: number
  maxConcurrent: number
  close(): Promise<void>
}

/**
 * An HTTP/1.1 server on `address` answering every request with JSON (Echo) and a `Server: echo` header; /healthz
 * answers 200 when `probeHeader` (if given) came with it. `status` and `delayMs` shape the answers. With
 * `proxy`, each connection starts with a PROXY protocol header, which is read and reported (v1 text, or "v2").
 */
async function echoServer(name: string, address: string, opts: {status?: number; delayMs?: number; probeHeader?: [string, string]; proxy?: boolean} = {}): Promise<Server> {
  const s: Server = {address, port: 0, hits: 0, maxConcurrent: 0, close: async () => {}}
  let now = 0
  const handler = (proxyLine?: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/healthz') {
      const ok = !opts.probeHeader || req.headers[opts.probeHeader[0].toLowerCase()] === opts.probeHeader[1]
      res.statusCode = ok ? 200 : 500
      return res.end()
    }
    s.hits++
    now++
    s.maxConcurrent = Math.max(s.maxConcurrent, now)
    setTimeout(() => {
      now--
      const body: Echo = {name, path: req.url ?? '', host: String(req.headers.host), version: req.httpVersion, headers: req.headers, ...(proxyLine ? {proxyLine} : {})}
      res.statusCode = opts.status ?? 200
      res.setHeader('Server', 'echo')
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify(body))
    }, opts.delayMs ?? 0)
  }
  const server = http.createServer(handler())
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
    socket.on('data', (d) => socket.write(Buffer.concat([Buffer.from('echo:'), d])))
  })
  if (opts.proxy) {
    // Reads the PROXY header off each connection, then hands the rest to the HTTP server.
    const front = net.createServer((sock) => {
      sock.once('readable', () => {
        const head: Buffer = sock.read() ?? Buffer.alloc(0)
        const v2 = head.subarray(0, 12).equals(Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'binary'))
        let rest: Buffer
        let line: string
        if (v2) {
          const len = head.readUInt16BE(14)
          line = `v2 ${[...head.subarray(16, 20)].join('.')}`
          rest = head.subarray(16 + len)
        } else {
          const end = head.indexOf('\r\n')
          line = head.subarray(0, end).toString()
          rest = head.subarray(end + 2)
        }
        const one = http.createServer(handler(line))
        one.emit('connection', sock)
        if (rest.length > 0) sock.unshift(rest)
      })
    })
    await new Promise<void>((r) => front.listen(0, address, r))
    s.port = (front.address() as net.AddressInfo).port
    s.close = closer(front)
    return s
  }
  return listening(server, address, s)
}

/** An h2c server (HTTP/2 without TLS, prior knowledge) answering Echo. */
async function h2cServer(name: string, address: string): Promise<Server> {
  const s: Server = {address, port: 0, hits: 0, maxConcurrent: 0, close: async () => {}}
  const server = http2.createServer((req, res) => {
    s.hits++
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify({name, path: req.url, host: String(req.headers[':authority'] ?? req.headers.host), version: req.httpVersion, headers: {}}))
  })
  return listening(server, address, s)
}

/** An HTTPS server with the shop example's certificate (shop.example.com), answering Echo. */
async function tlsServer(name: string, address: string): Promise<Server> {
  const s: Server = {address, port: 0, hits: 0, maxConcurrent: 0, close: async () => {}}
  const server = https.createServer({cert: CERT, key: KEY}, (req, res) => {
    s.hits++
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify({name, path: req.url, host: String(req.headers.host), version: req.httpVersion, headers: {}, sni: (req.socket as tls.TLSSocket).servername}))
  })
  return listening(server, address, s)
}

/** Listens on a free port of `address`, fills in the server's port and close(). */
async function listening(server: net.Server, address: string, s: Server): Promise<Server> {
  await new Promise<void>((r) => server.listen(0, address, r))
  s.port = (server.address() as net.AddressInfo).port
  s.close = closer(server)
  return s
}

/** close() for a server: every connection it accepted (upgraded and keep-alive ones too) is destroyed first. */
function closer(server: net.Server): () => Promise<void> {
  const open = new Set<net.Socket>()
  server.on('connection', (c: net.Socket) => {
    open.add(c)
    c.on('close', () => open.delete(c))
  })
  return () =>
    new Promise((r) => {
      for (const c of open) c.destroy()
      server.close(() => r())
    })
}

interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  echo?: Echo & {sni?: string}
}

function request(port: number, host: string, path = '/', extra: Record<string, string> = {}, secure = false): Promise<Reply> {
  return new Promise((resolve) => {
    const mod = secure ? https : http
    const req = mod.get({host: '127.0.0.1', port, path, headers: {Host: host, ...extra}, agent: false, timeout: 8000, ...(secure ? {rejectUnauthorized: false, servername: host} : {})}, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => {
        let echo: Echo | undefined
        try {
          echo = JSON.parse(body)
        } catch {
          echo = undefined
        }
        resolve({status: res.statusCode ?? 0, headers: res.headers, ...(echo ? {echo} : {})})
      })
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve({status: 0, headers: {}}))
  })
}

const svc = (name: string, annotations: Record<string, string>, port = 80) =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: t, annotations: ${JSON.stringify(annotations)}}\nspec: {ports: [{name: p, port: ${port}}]}\n`
const slice = (name: string, servers: Server[], probe = false) =>
  `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: ${name}-1, namespace: t, labels: {kubernetes.io/service-name: ${name}}}\naddressType: IPv4\nports: [{name: p, port: ${servers[0]!.port}}]\nendpoints: [${servers.map((s) => `{addresses: [${s.address}], conditions: {ready: true}}`).join(', ')}]\n${probe ? '' : ''}`
const ingress = (name: string, vip: string, annotations: Record<string, string>, rules: string, tlsHosts?: string[]) =>
  `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ${name}, namespace: t, annotations: ${JSON.stringify({'vipctl.io/vip': vip, ...annotations})}}\nspec:\n  ingressClassName: vipctl\n${tlsHosts ? `  tls: [{hosts: ${JSON.stringify(tlsHosts)}, secretName: tls}]\n` : ''}  rules:\n${rules}`
const rule = (host: string, paths: Array<[string, string, number?]>) =>
  `  - host: ${host}\n    http:\n      paths:\n${paths.map(([p, service, port]) => `        - {path: ${p}, pathType: Prefix, backend: {service: {name: ${service}, port: {number: ${port ?? 80}}}}}`).join('\n')}\n`

describe('L7 policy through a real HAProxy (loopback)', function () {
  this.timeout(120_000)
  const servers: Server[] = []
  let proxy: Proxy | undefined
  let ports = new Map<string, number>()
  let warnings: string[] = []

  before(async () => {
    const mk = async (p: Promise<Server>) => {
      const s = await p
      servers.push(s)
      return s
    }
    const stable = await mk(echoServer('stable', '127.0.0.11'))
    const canary = await mk(echoServer('canary', '127.0.0.12'))
    // Member weights: both on one port number (an EndpointSlice port is shared by its endpoints).
    const heavy = await mk(echoServer('heavy', '127.0.0.13'))
    const lightSame = await mk(echoServerOn('light', '127.0.0.14', heavy.port))
    const slow = await mk(echoServer('slow', '127.0.0.15', {delayMs: 1500}))
    const failing = await mk(echoServer('failing', '127.0.0.16', {status: 503}))
    const good = await mk(echoServerOn('good', '127.0.0.17', failing.port))
    const limited = await mk(echoServer('limited', '127.0.0.18', {delayMs: 150}))
    const proxied = await mk(echoServer('proxied', '127.0.0.19', {proxy: true}))
    const h2 = await mk(h2cServer('h2c', '127.0.0.20'))
    const secure = await mk(tlsServer('secure', '127.0.0.21'))
    const probed = await mk(echoServer('probed', '127.0.0.22', {probeHeader: ['X-Probe', 'vipctl']}))
    const docs = [
      `apiVersion: v1\nkind: Secret\nmetadata: {name: tls, namespace: t}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${CRT_B64}, tls.key: ${KEY_B64}}\n`,
      `apiVersion: v1\nkind: Secret\nmetadata: {name: ca, namespace: t}\ntype: Opaque\ndata: {ca.crt: ${CRT_B64}}\n`,
      svc('stable', {}), slice('stable', [stable]),
      svc('canary', {}), slice('canary', [canary]),
      svc('weighted', {'vipctl.io/member-weights': '127.0.0.13=3,127.0.0.14=1'}), slice('weighted', [heavy, lightSame]),
      svc('slow', {}), slice('slow', [slow]),
      svc('retried', {'vipctl.io/retries': '1', 'vipctl.io/retry-on': 'connect-failure,503'}), slice('retried', [failing, good]),
      svc('unretried', {}), slice('unretried', [failing, good]),
      svc('limited', {'vipctl.io/max-connections': '1'}), slice('limited', [limited]),
      svc('proxied', {'vipctl.io/proxy-protocol': 'v2'}), slice('proxied', [proxied]),
      svc('h2c', {'vipctl.io/backend-protocol': 'h2c'}), slice('h2c', [h2]),
      svc('secure', {'vipctl.io/backend-protocol': 'https', 'vipctl.io/backend-ca': 'ca', 'vipctl.io/backend-server-name': 'shop.example.com'}, 443), slice('secure', [secure]),
      svc('wrongname', {'vipctl.io/backend-protocol': 'https', 'vipctl.io/backend-ca': 'ca', 'vipctl.io/backend-server-name': 'other.example.org'}, 443), slice('wrongname', [secure]),
      probedService(probed),
      ingress('split', '192.0.2.90', {'vipctl.io/traffic-split': 'stable=75,canary=25'}, rule('split.test', [['/', 'stable']])),
      ingress('weights', '192.0.2.90', {}, rule('weights.test', [['/', 'weighted']])),
      ingress('headers', '192.0.2.90', {'vipctl.io/request-headers': 'remove X-Internal\nset X-Env: prod\nadd X-Trace: vipctl', 'vipctl.io/response-headers': 'remove Server\nset Cache-Control: no-store', 'vipctl.io/hsts': 'max-age=600; includeSubDomains'}, rule('shop.example.com', [['/', 'stable']]), ['shop.example.com']),
      ingress('redirect', '192.0.2.90', {'vipctl.io/redirect': 'host=new.test prefix=/v2 code=301'}, rule('old.test', [['/v1', 'stable']])),
      ingress('rewrite', '192.0.2.90', {'vipctl.io/rewrite': 'host=internal.test prefix=/'}, rule('rw.test', [['/app', 'stable']])),
      ingress('timeout', '192.0.2.90', {'vipctl.io/timeout-request': '500ms'}, rule('slow.test', [['/', 'slow']])),
      ingress('backends', '192.0.2.90', {}, rule('be.test', [['/retried', 'retried'], ['/unretried', 'unretried'], ['/limited', 'limited'], ['/proxied', 'proxied'], ['/h2c', 'h2c'], ['/secure', 'secure', 443], ['/wrongname', 'wrongname', 443], ['/probed', 'probed'], ['/ws', 'stable']])),
      // Listener settings are the IngressClass's (the operator's); both classes are vipctl's.
      `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: vipctl}\nspec: {controller: vipctl.io/ingress-controller}\n`,
      `apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: behind-lb, annotations: {vipctl.io/accept-proxy: 'true'}}\nspec: {controller: vipctl.io/ingress-controller}\n`,
      ingress('lb', '192.0.2.91', {}, rule('lb.test', [['/', 'stable']])).replace('ingressClassName: vipctl', 'ingressClassName: behind-lb'),
      // Source ranges: the connection's source (on 192.0.2.91, the PROXY header's).
      ingress('allowed', '192.0.2.90', {'vipctl.io/allow-source-ranges': '127.0.0.0/8'}, rule('allowed.test', [['/', 'stable']])),
      ingress('office', '192.0.2.90', {'vipctl.io/allow-source-ranges': '10.0.0.0/8,2001:db8::/32'}, rule('office.test', [['/', 'stable']])),
      ingress('blocked', '192.0.2.90', {'vipctl.io/deny-source-ranges': '127.0.0.1', 'vipctl.io/redirect': 'host=elsewhere.test code=302'}, rule('blocked.test', [['/', 'stable']])),
      ingress('lb-office', '192.0.2.91', {'vipctl.io/allow-source-ranges': '203.0.113.0/24'}, rule('lbo.test', [['/', 'stable']])).replace('ingressClassName: vipctl', 'ingressClassName: behind-lb'),
    ]
    const dirs = tempDirs()
    mkdirSync(dirs.runDir, {recursive: true})
    const snap = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(snap, docs.join('---\n'), 'm.yaml')
    const opts = {...DEFAULT_HAPROXY_OPTIONS, configDir: dirs.configDir, runDir: dirs.runDir, spareSlots: 0, metricsAddress: `127.0.0.1:${await freePort()}`, listen: {mode: 'address' as const, address: '127.0.0.1', basePort: await freePortRange(6)}}
    const c = compile(sortSnapshot(snap), {})
    const {config, diagnostics} = renderHaproxy(c, opts)
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), [])
    warnings = diagnostics.map((d) => `${d.code} ${d.object} ${d.message}`)
    await writeTree(dirs.configDir, config.files, ['maps', 'certs'])
    proxy = await startHaproxy(dirs)
    ports = new Map([...config.listeners].map(([k, v]) => [k, v.port]))
    // Every member passes its first checks before the tests (bounded wait).
    for (let i = 0; i < 60 && (await request(port('http_192-0-2-90_80'), 'be.test', '/probed')).status !== 200; i++) await new Promise((r) => setTimeout(r, 100))
  })

  after(async () => {
    await proxy?.stop()
    for (const s of servers) await s.close()
  })

  const port = (frontend: string) => {
    const p = ports.get(frontend)
    assert.ok(p, `no listener for ${frontend}`)
    return p
  }
  const HTTP = () => port('http_192-0-2-90_80')

  it('renders without findings beyond the expected notes', () => {
    assert.deepEqual(warnings.filter((w) => !w.startsWith('VIP4') && !w.startsWith('VIP2018')), [])
  })

  it('traffic split 75/25: measured over 600 requests, within ±7.1 percentage points (4 sigma)', async () => {
    const seen = {stable: 0, canary: 0} as Record<string, number>
    for (let i = 0; i < 600; i++) {
      const r = await request(HTTP(), 'split.test')
      assert.equal(r.status, 200)
      seen[r.echo!.name] = (seen[r.echo!.name] ?? 0) + 1
    }
    const share = seen.canary! / 600
    assert.ok(Math.abs(share - 0.25) <= 0.071, `canary share ${share} (${JSON.stringify(seen)})`)
    assert.equal(seen.stable! + seen.canary!, 600)
  })

  it('member weights 3:1: the weighted round robin gives 300 and 100 of 400 requests (±2)', async () => {
    const seen: Record<string, number> = {}
    for (let i = 0; i < 400; i++) {
      const r = await request(HTTP(), 'weights.test')
      seen[r.echo!.name] = (seen[r.echo!.name] ?? 0) + 1
    }
    assert.ok(Math.abs(seen.heavy! - 300) <= 2 && Math.abs(seen.light! - 100) <= 2, JSON.stringify(seen))
  })

  it('request header rules: remove, set (replacing the client\'s), add; response rules: remove, set; HSTS over HTTPS only', async () => {
    const plain = await request(HTTP(), 'shop.example.com', '/', {'X-Internal': 'secret', 'X-Env': 'forged'})
    // The Ingress has TLS for the host: plain HTTP is redirected, and carries no HSTS.
    assert.equal(plain.status, 308)
    assert.equal(plain.headers['strict-transport-security'], undefined)
    const r = await request(port('https_192-0-2-90_443'), 'shop.example.com', '/', {'X-Internal': 'secret', 'X-Env': 'forged', 'X-Trace': 'client'}, true)
    assert.equal(r.status, 200)
    assert.equal(r.echo!.headers['x-internal'], undefined)
    assert.equal(r.echo!.headers['x-env'], 'prod')
    assert.equal(r.echo!.headers['x-trace'], 'client, vipctl')
    assert.equal(r.headers.server, undefined)
    assert.equal(r.headers['cache-control'], 'no-store')
    assert.equal(r.headers['strict-transport-security'], 'max-age=600; includeSubDomains')
    // Another tenant's route on the same listener is untouched.
    const other = await request(HTTP(), 'split.test', '/', {'X-Internal': 'kept'})
    assert.equal(other.echo!.headers['x-internal'], 'kept')
    assert.equal(other.headers.server, 'echo')
  })

  it('redirect: host and prefix replaced, query kept, status 301', async () => {
    const r = await request(HTTP(), 'OLD.test:80', '/v1/items?id=7')
    assert.equal(r.status, 301)
    assert.equal(r.headers.location, 'http://new.test/v2/items?id=7')
    const exact = await request(HTTP(), 'old.test', '/v1')
    assert.equal(exact.headers.location, 'http://new.test/v2')
  })

  it('rewrite: the member sees the new host and the path with the prefix replaced', async () => {
    const r = await request(HTTP(), 'rw.test', '/app/x/y?q=1')
    assert.equal(r.status, 200)
    assert.equal(r.echo!.host, 'internal.test')
    assert.equal(r.echo!.path, '/x/y?q=1')
    const bare = await request(HTTP(), 'rw.test', '/app')
    assert.equal(bare.echo!.path, '/')
  })

  it('timeout-request: a member slower than the route allows gets a 504, within the bound', async () => {
    const t0 = Date.now()
    const r = await request(HTTP(), 'slow.test')
    assert.equal(r.status, 504)
    assert.ok(Date.now() - t0 < 1400, `${Date.now() - t0} ms`)
  })

  it('retries on 503 go to the other member: every request succeeds; without them some fail', async () => {
    const withRetries = await Promise.all(Array.from({length: 10}, () => request(HTTP(), 'be.test', '/retried')))
    assert.deepEqual([...new Set(withRetries.map((r) => r.status))], [200])
    const without: number[] = []
    for (let i = 0; i < 10; i++) without.push((await request(HTTP(), 'be.test', '/unretried')).status)
    assert.ok(without.includes(503), without.join(','))
  })

  it('max-connections 1: concurrent requests queue, the member never serves two at once', async () => {
    const rs = await Promise.all(Array.from({length: 4}, () => request(HTTP(), 'be.test', '/limited')))
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200])
    assert.equal(servers.find((s) => s.address === '127.0.0.18')!.maxConcurrent, 1)
  })

  it('PROXY protocol v2 towards members carries the client address', async () => {
    const r = await request(HTTP(), 'be.test', '/proxied')
    assert.equal(r.status, 200)
    assert.equal(r.echo!.proxyLine, 'v2 127.0.0.1')
  })

  it('h2c: the member is spoken to in HTTP/2 without TLS', async () => {
    const r = await request(HTTP(), 'be.test', '/h2c')
    assert.equal(r.status, 200)
    assert.equal(r.echo!.version, '2.0')
  })

  it('HTTPS to members: verified against the Secret\'s CA with SNI; a certificate for another name is refused', async () => {
    const ok = await request(HTTP(), 'be.test', '/secure')
    assert.equal(ok.status, 200)
    assert.equal(ok.echo!.sni, 'shop.example.com')
    const bad = await request(HTTP(), 'be.test', '/wrongname')
    assert.equal(bad.status, 503)
  })

  it('the probe\'s httpHeaders go with the health check: the member that requires them is up', async () => {
    const r = await request(HTTP(), 'be.test', '/probed')
    assert.equal(r.status, 200)
  })

  it('WebSocket: the upgrade passes through and the tunnel carries data both ways', async () => {
    const sock = net.connect(HTTP(), '127.0.0.1')
    const got = await new Promise<string>((resolve, reject) => {
      let data = ''
      const t = setTimeout(() => reject(new Error(`no upgrade: ${data}`)), 5000)
      sock.on('data', (d) => {
        data += d
        if (data.includes('\r\n\r\n') && !data.includes('echo:')) sock.write('ping')
        if (data.includes('echo:ping')) {
          clearTimeout(t)
          resolve(data)
        }
      })
      sock.write('GET /ws HTTP/1.1\r\nHost: be.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
    })
    sock.destroy()
    assert.match(got, /^HTTP\/1\.1 101 /)
  })

  it('source ranges: 200 from an allowed source, 403 outside an allow list or inside a deny list (before a redirect), other tenants untouched; behind a PROXY header the client\'s address decides', async () => {
    assert.equal((await request(HTTP(), 'allowed.test')).status, 200)
    assert.equal((await request(HTTP(), 'office.test')).status, 403)
    assert.equal((await request(HTTP(), 'blocked.test')).status, 403)
    // A forged forwarding header changes nothing: the connection's address decides.
    assert.equal((await request(HTTP(), 'office.test', '/', {'X-Forwarded-For': '10.1.2.3', 'X-Real-IP': '10.1.2.3'})).status, 403)
    assert.equal((await request(HTTP(), 'split.test')).status, 200)
    assert.match(await viaProxy(port('http_192-0-2-91_80'), '203.0.113.9', 'lbo.test'), /^HTTP\/1\.1 200 /)
    assert.match(await viaProxy(port('http_192-0-2-91_80'), '198.51.100.9', 'lbo.test'), /^HTTP\/1\.1 403 /)
  })

  it('accept-proxy: the client address comes from the upstream load balancer\'s PROXY header', async () => {
    const reply = await viaProxy(port('http_192-0-2-91_80'), '203.0.113.7', 'lb.test')
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as Echo
    assert.equal(body.headers['x-forwarded-for'], '203.0.113.7')
    // Without the header, the listener refuses the connection (no request reaches a member).
    const bare = await request(port('http_192-0-2-91_80'), 'lb.test')
    assert.equal(bare.status, 0)
  })
})

/** One request on a listener that accepts the PROXY protocol, as from `src` (v1 header); the raw reply (bounded: 5 s). */
function viaProxy(port: number, src: string, host: string): Promise<string> {
  const sock = net.connect(port, '127.0.0.1')
  return new Promise<string>((resolve, reject) => {
    let data = ''
    const t = setTimeout(() => reject(new Error(`no reply: ${data}`)), 5000)
    sock.on('data', (d) => (data += d))
    sock.on('end', () => {
      clearTimeout(t)
      resolve(data)
    })
    sock.write(`PROXY TCP4 ${src} 192.0.2.91 40000 80\r\nGET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
  })
}

/** An echo server on a given port (members of one EndpointSlice share its port number). */
async function echoServerOn(name: string, address: string, port: number): Promise<Server> {
  const s: Server = {address, port, hits: 0, maxConcurrent: 0, close: async () => {}}
  const server = http.createServer((req, res) => {
    if (req.url !== '/healthz') s.hits++
    res.setHeader('Content-Type', 'application/json')
    res.setHeader('Server', 'echo')
    res.end(JSON.stringify({name, path: req.url, host: String(req.headers.host), version: req.httpVersion, headers: req.headers}))
  })
  await new Promise<void>((r) => server.listen(port, address, r))
  s.close = closer(server)
  return s
}

/** A Service whose Pod's readiness probe sends X-Probe: vipctl; the member answers /healthz 200 only with it. */
function probedService(s: Server): string {
  return `apiVersion: v1
kind: Service
metadata: {name: probed, namespace: t}
spec: {selector: {app: probed}, ports: [{name: p, port: 80, targetPort: p}]}
---
apiVersion: v1
kind: Pod
metadata: {name: probed-0, namespace: t, labels: {app: probed}}
spec:
  containers:
    - name: app
      image: example
      ports: [{name: p, containerPort: ${s.port}}]
      readinessProbe:
        httpGet: {path: /healthz, port: ${s.port}, httpHeaders: [{name: X-Probe, value: vipctl}]}
        periodSeconds: 1
status: {podIP: ${s.address}, phase: Running, conditions: [{type: Ready, status: 'True'}]}
---
${slice('probed', [s])}`
}
