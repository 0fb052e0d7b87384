/**
 * Nothing that comes in is trusted: API server replies (not JSON, not the list
 * asked for, endless continue tokens, huge pages, oversized or dripping
 * replies, malformed watch events), stdin and files (bounded, never empty by
 * accident) and kubeconfigs (every field named). Driven through the real live
 * loader, the reflector and the sync loop against a node:http server on
 * 127.0.0.1, with a fake HAProxy behind the sync loop's injected I/O.
 */
import assert from 'node:assert/strict'
import {LIST_KINDS} from '../helpers/api-kinds.js'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import {listAll, listPages, loadLive, parseListPage, replyStart, RESOURCES, type Resource} from '../../src/cluster/live.js'
import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {loadOffline} from '../../src/cluster/offline.js'
import {BadReplyError, restClient, REPLY_LIMITS, type RestClient} from '../../src/core/kube-rest.js'
import {readAll} from '../../src/cluster/source.js'
import {DataError, UnavailableError, UsageError} from '../../src/errors.js'
import type {HaproxyIO} from '../../src/apply/haproxy/apply.js'
import {modelOptions} from '../../src/cli/options.js'
import {haproxyOptions, haproxyTarget} from '../../src/targets/haproxy/options.js'
import {parseWatchEvent, Reflector} from '../../src/sync/reflector.js'
import {makeLogger, makeMetrics} from '../../src/sync/runtime.js'
import {systemClock} from '../../src/core/clock.js'
import {serveMetrics} from '../../src/sync/server.js'
import {SyncLoop} from '../../src/sync/sync.js'

const ROOT_TMP = mkdtempSync(path.join(os.tmpdir(), 'vipctl-trust-'))
after(() => rmSync(ROOT_TMP, {recursive: true, force: true}))
const tmpDir = (name: string) => {
  const d = mkdtempSync(path.join(ROOT_TMP, `${name}-`))
  return d
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void

/** A fake API server on 127.0.0.1: every request is counted by path; sockets are destroyed on close. */
async function fakeApi(handler: Handler) {
  const hits = new Map<string, number>()
  const sockets = new Set<Socket>()
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const key = `${url.pathname}${url.searchParams.get('watch') ? '?watch' : ''}`
    hits.set(key, (hits.get(key) ?? 0) + 1)
    handler(req, res, url)
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    hits,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

const json = (res: http.ServerResponse, body: unknown, status = 200) => {
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
  res.writeHead(status, {'Content-Type': 'application/json'}).end(text)
}

const KINDS = LIST_KINDS
const resourceOf = (p: string) => p.split('/').at(-1)!
const emptyList = (p: string) => ({kind: `${KINDS[resourceOf(p)] ?? 'Unknown'}List`, apiVersion: 'v1', metadata: {resourceVersion: '1'}, items: []})

function kubeconfigFor(server: string, extra = ''): string {
  const f = path.join(tmpDir('kc'), 'config')
  writeFileSync(f, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true${extra}}}]\nusers: [{name: u, user: {token: t0k3n}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u, namespace: shop}}]\ncurrent-context: ctx\n`)
  return f
}

const clientFor = async (server: string, timeoutMs = 2000, limits = REPLY_LIMITS): Promise<RestClient> => restClient(loadKubeConfig({kubeconfig: kubeconfigFor(server)}, {}), timeoutMs, limits)
const SERVICES: Resource = RESOURCES.find((r) => r.resource === 'services')!
const liveOpts = (kubeconfig: string) => ({kubeconfig, strict: false, allNamespaces: false, namespace: 'shop', requestTimeoutMs: 2000})
const liveIO = {env: {}, readStdin: async () => '', stderr: () => {}}

/** One line, a typed error with exit 69, naming the URL. */
function assertBadReply(e: unknown, url: string, why: RegExp): true {
  assert.ok(e instanceof BadReplyError, `not a BadReplyError: ${String(e)}`)
  assert.equal(e.exit, 69)
  assert.ok(!/[\r\n]/.test(e.message), e.message)
  assert.ok(e.message.includes(url), `${e.message} does not name ${url}`)
  assert.match(e.message, why)
  return true
}

describe('API replies that are not the list asked for are errors naming the URL', function () {
  this.timeout(30_000)
  const servicesPath = '/api/v1/namespaces/shop/services'
  let body: string | Buffer = ''
  let api: Awaited<ReturnType<typeof fakeApi>>
  before(async () => {
    api = await fakeApi((_req, res, url) => {
      if (url.pathname === servicesPath) return json(res, body)
      if (url.pathname === '/api/v1/namespaces/shop') return json(res, {kind: 'Namespace', metadata: {name: 'shop'}})
      json(res, emptyList(url.pathname))
    })
  })
  after(() => api.close())

  const cases: Array<[string, string | Buffer, RegExp]> = [
    // Escaped once (printable: \x00), not again by JSON quoting (\\x00).
    ['binary garbage', Buffer.from('\x00\xffnot json{{{', 'latin1'), /the reply is not JSON \(it starts "\\x00/],
    ['an HTML login page', '<html><body><form>Sign in</form></body></html>', /the reply is not JSON \(it starts "<html>/],
    ['an empty 200 body', '', /the reply is empty/],
    ['a JSON array', '[]', /the reply is an array, not a list object/],
    ['a JSON string', '"ServiceList"', /the reply is a string, not a list object/],
    ['JSON null', 'null', /the reply is null, not a list object/],
    ['a Status, not a list', '{"kind":"Status","status":"Success"}', /not a list \(kind "Status"\)/],
    ['no kind', '{"items":[]}', /not a list \(kind missing\)/],
    ['items a string', '{"kind":"ServiceList","items":"nope","metadata":{}}', /"items" is a string, not an array/],
    ['items null', '{"kind":"ServiceList","items":null}', /"items" is null, not an array/],
    ['items missing', '{"kind":"ServiceList","metadata":{}}', /"items" is missing/],
    ['items an object', '{"kind":"ServiceList","items":{"0":{}}}', /"items" is an object, not an array/],
    ['an item that is a number', '{"kind":"ServiceList","items":[1]}', /items\[0\] is a number, not an object/],
    ['an item that is null', '{"kind":"ServiceList","items":[{"metadata":{"name":"a","namespace":"shop"},"spec":{}},null]}', /items\[1\] is null, not an object/],
    ['an item that is an array', '{"kind":"ServiceList","items":[[]]}', /items\[0\] is an array, not an object/],
    ['a list of something else', '{"kind":"EndpointSliceList","items":[]}', /the reply is kind "EndpointSliceList", not "ServiceList"/],
    ['an item of another kind', '{"kind":"ServiceList","items":[{"kind":"Secret","metadata":{"name":"s"}}]}', /items\[0\] is kind "Secret", not "Service"/],
    ['a continue token that is a number', '{"kind":"ServiceList","items":[],"metadata":{"continue":5}}', /"metadata.continue" is a number/],
    ['metadata an array', '{"kind":"ServiceList","items":[],"metadata":[]}', /"metadata" is an array/],
  ]
  for (const [what, reply, why] of cases)
    it(`${what}: exit 69, never "no objects"`, async () => {
      body = reply
      await assert.rejects(loadLive(liveOpts(kubeconfigFor(api.url)), liveIO), (e) => assertBadReply(e, `${api.url}${servicesPath}`, why))
    })

  it('the start of a non-JSON reply: 40 printable characters, never cut through an escape, in quotes', () => {
    assert.equal(replyStart('<html>'), '"<html>"')
    assert.equal(replyStart('<a href="x">'), '"<a href=\\"x\\">"')
    // 38 characters, then an escape that would be cut: left out whole.
    assert.equal(replyStart(`${'A'.repeat(38)}\x1b[2J`), `"${'A'.repeat(38)}..."`)
    assert.equal(replyStart(`${'A'.repeat(37)}\u2028 and more`), `"${'A'.repeat(37)}..."`)
    assert.equal(replyStart(`${'A'.repeat(36)}\x1bmore`), `"${'A'.repeat(36)}\\x1b..."`)
    // An emoji across the cut is kept whole (it is printable), never halved into a lone surrogate.
    assert.equal(replyStart(`${'A'.repeat(39)}\u{1F600}${'B'.repeat(5)}`), `"${'A'.repeat(39)}\u{1F600}..."`)
  })

  it('a control character in the reply is escaped in the message', () => {
    try {
      parseListPage({status: 200, headers: {}, body: undefined, notJson: '\x1b[2Jforged'}, 'list of services from http://x/api/v1/services')
      assert.fail('no error')
    } catch (e) {
      assert.ok(!(e as Error).message.includes('\x1b'), (e as Error).message)
    }
  })

  it('a non-JSON error page (HTML 502) still gives the status and a printable snippet', async () => {
    const bad = await fakeApi((_q, res) => res.writeHead(502, {'Content-Type': 'text/html'}).end('<html>Bad \x1b[31mgateway</html>'))
    try {
      await assert.rejects(listAll(await clientFor(bad.url), SERVICES, 'shop'), (e: unknown) => {
        assert.ok(e instanceof UnavailableError)
        assert.match(e.message, /answered 502 to list services in namespace "shop": <html>Bad/)
        assert.ok(!e.message.includes('\x1b'))
        return true
      })
    } finally {
      await bad.close()
    }
  })

  it('a TLS Secret read as something else fails the load (it is not "missing")', async () => {
    const ing = {metadata: {name: 'web', namespace: 'shop'}, spec: {tls: [{hosts: ['web.example.com'], secretName: 'web-tls'}], rules: [{host: 'web.example.com', http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]}}
    const srv = await fakeApi((_q, res, url) => {
      if (url.pathname.endsWith('/ingresses')) return json(res, {kind: 'IngressList', metadata: {}, items: [ing]})
      if (url.pathname.includes('/secrets/')) return json(res, '<html>login</html>')
      json(res, emptyList(url.pathname))
    })
    try {
      await assert.rejects(loadLive(liveOpts(kubeconfigFor(srv.url)), liveIO), (e) =>
        assertBadReply(e, `${srv.url}/api/v1/namespaces/shop/secrets/web-tls`, /get of Secret shop\/web-tls .* not JSON/),
      )
    } finally {
      await srv.close()
    }
  })
})

describe('list paging is bounded', function () {
  this.timeout(60_000)

  it('a repeated continue token is an error after two requests', async () => {
    const api = await fakeApi((_q, res, url) => json(res, url.pathname.endsWith('/services') ? {kind: 'ServiceList', metadata: {continue: 'again'}, items: []} : emptyList(url.pathname)))
    try {
      await assert.rejects(loadLive(liveOpts(kubeconfigFor(api.url)), liveIO), (e) => assertBadReply(e, `${api.url}/api/v1/namespaces/shop/services`, /same continue token twice/))
      assert.equal(api.hits.get('/api/v1/namespaces/shop/services'), 2)
    } finally {
      await api.close()
    }
  })

  it('new tokens forever stop at the page bound', async () => {
    let n = 0
    const api = await fakeApi((_q, res) => json(res, {kind: 'ServiceList', metadata: {continue: `t${n++}`}, items: []}))
    try {
      const limits = {pages: 25, objects: 1_000_000, restarts: 3}
      await assert.rejects(listPages(await clientFor(api.url), SERVICES, 'shop', 500, {limits}), (e) => assertBadReply(e, api.url, /more than 25 pages/))
      assert.equal(api.hits.get('/api/v1/namespaces/shop/services'), 25)
    } finally {
      await api.close()
    }
  })

  it('more objects than the ceiling is an error', async () => {
    let n = 0
    const items = Array.from({length: 600}, (_, i) => ({metadata: {name: `s${i}`, namespace: 'shop'}}))
    const api = await fakeApi((_q, res) => json(res, {kind: 'ServiceList', metadata: {continue: `t${n++}`}, items}))
    try {
      await assert.rejects(listPages(await clientFor(api.url), SERVICES, 'shop', 500, {limits: {pages: 100, objects: 1000, restarts: 3}}), (e) => assertBadReply(e, api.url, /more than 1000 objects/))
      assert.equal(api.hits.get('/api/v1/namespaces/shop/services'), 2)
    } finally {
      await api.close()
    }
  })

  it('an expired continue token (410) restarts the list, a bounded number of times', async () => {
    let expire = Infinity
    const api = await fakeApi((_q, res, url) => {
      const cont = url.searchParams.get('continue')
      if (!cont) return json(res, {kind: 'ServiceList', metadata: {continue: 'p2', resourceVersion: '5'}, items: [{metadata: {name: 'a', namespace: 'shop'}}]})
      if (expire-- > 0) return json(res, {kind: 'Status', code: 410, reason: 'Expired', message: 'continue expired'}, 410)
      json(res, {kind: 'ServiceList', metadata: {resourceVersion: '6'}, items: [{metadata: {name: 'b', namespace: 'shop'}}]})
    })
    try {
      const client = await clientFor(api.url)
      await assert.rejects(listPages(client, SERVICES, 'shop', 500), (e) => assertBadReply(e, api.url, /continue token expired 4 times/))
      assert.equal(api.hits.get('/api/v1/namespaces/shop/services'), 8)
      expire = 1
      const r = await listPages(client, SERVICES, 'shop', 500)
      assert.deepEqual(r.items.map((i: any) => i.metadata.name), ['a', 'b'])
      assert.equal(r.resourceVersion, '6')
    } finally {
      await api.close()
    }
  })

  it('one page of 200,000 Services is read without overflowing the stack, and loads', async () => {
    const N = 200_000
    const page = Buffer.from(
      `{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":[${Array.from({length: N}, (_, i) => `{"metadata":{"name":"s${i}","namespace":"shop","resourceVersion":"9"},"spec":{"clusterIP":"None","ports":[{"port":80}]}}`).join(',')}]}`,
    )
    const api = await fakeApi((_q, res, url) => (url.pathname.endsWith('/services') ? json(res, page) : url.pathname === '/api/v1/namespaces/shop' ? json(res, {kind: 'Namespace'}) : json(res, emptyList(url.pathname))))
    try {
      const items = await listAll(await clientFor(api.url, 20_000), SERVICES, 'shop')
      assert.equal(items.length, N)
      const {snapshot} = await loadLive({...liveOpts(kubeconfigFor(api.url)), requestTimeoutMs: 20_000}, liveIO)
      assert.equal(snapshot.services.length, N)
    } finally {
      await api.close()
    }
  })
})

describe('reply size and time are bounded', function () {
  this.timeout(20_000)

  it('a reply past the body limit is cut with an error, not buffered', async () => {
    let sent = 0
    const api = await fakeApi((_q, res) => {
      res.writeHead(200, {'Content-Type': 'application/json'})
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length
        if (sent < 64 * 1024 * 1024) res.once('drain', pump)
        else res.end()
      }
      res.on('close', () => res.removeAllListeners('drain'))
      pump()
    })
    try {
      const client = await clientFor(api.url, 5000, {...REPLY_LIMITS, bodyBytes: 1024 * 1024})
      await assert.rejects(client.get('/api/v1/services'), (e) => assertBadReply(e, api.url, /larger than 1 MiB/))
      await sleep(100)
      assert.ok(sent < 16 * 1024 * 1024, `the server could send ${sent} bytes`)
    } finally {
      await api.close()
    }
  })

  it('a reply that drips a byte at a time is cut after --request-timeout x 5', async () => {
    const timers = new Set<NodeJS.Timeout>()
    const api = await fakeApi((_q, res) => {
      res.writeHead(200, {'Content-Type': 'application/json'})
      const t = setInterval(() => res.write(' '), 50)
      timers.add(t)
      res.on('close', () => clearInterval(t))
    })
    try {
      const client = await clientFor(api.url, 200)
      const start = Date.now()
      await assert.rejects(client.get('/api/v1/services'), (e: unknown) => e instanceof UnavailableError)
      const took = Date.now() - start
      assert.ok(took >= 900 && took < 5000, `took ${took} ms`)
    } finally {
      for (const t of timers) clearInterval(t)
      await api.close()
    }
  })

  it('a watch line past the line limit is cut with an error', async () => {
    const api = await fakeApi((_q, res) => {
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.write(Buffer.alloc(512 * 1024, 0x61))
    })
    try {
      const client = await clientFor(api.url, 5000, {...REPLY_LIMITS, lineBytes: 64 * 1024})
      await assert.rejects(
        client.stream!('/api/v1/services', {watch: 1}, () => undefined, new AbortController().signal),
        (e) => assertBadReply(e, api.url, /event line is longer than/),
      )
    } finally {
      await api.close()
    }
  })
})

describe('watch events are checked before anything is applied', () => {
  const what = 'watch of services from http://127.0.0.1:1/api/v1/services'
  const bad: Array<[string, RegExp]> = [
    ['not json', /an event line is not JSON/],
    ['[1,2]', /not a JSON object/],
    ['"ADDED"', /not a JSON object/],
    ['{"object":{"metadata":{}}}', /no "type"/],
    ['{"type":7,"object":{}}', /no "type"/],
    ['{"type":"UPSERT","object":{}}', /unknown type "UPSERT"/],
    ['{"type":"ADDED"}', /ADDED event has no "object"/],
    ['{"type":"MODIFIED","object":null}', /MODIFIED event has no "object"/],
    ['{"type":"DELETED","object":"x"}', /DELETED event has no "object"/],
    ['{"type":"ADDED","object":{"metadata":"x"}}', /"metadata" that is not an object/],
  ]
  for (const [line, why] of bad)
    it(`rejects ${line}`, () => {
      assert.throws(() => parseWatchEvent(line, what), (e: unknown) => e instanceof BadReplyError && e.message.startsWith(what) && why.test(e.message))
    })
  it('accepts the five event types', () => {
    for (const type of ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']) assert.equal(parseWatchEvent(JSON.stringify({type, object: {metadata: {}}}), what).type, type)
  })
})

describe('the reflector keeps its store when a list fails', function () {
  this.timeout(20_000)
  const deps = () => ({clock: systemClock, log: makeLogger(() => undefined, 'json'), metrics: makeMetrics()})
  const opts = {watchdogMs: 60_000, backoffInitialMs: 20, backoffMaxMs: 100, watchTimeoutSec: 300, pageSize: 1}

  it('garbage, a wrong shape or a continue loop leave the last good list (and say why); a good list replaces it', async () => {
    let mode = 'good'
    const api = await fakeApi((_q, res, url) => {
      const cont = url.searchParams.get('continue')
      if (mode === 'good') return json(res, cont ? {kind: 'ServiceList', metadata: {resourceVersion: '2'}, items: [{metadata: {name: 'b', namespace: 'x'}}]} : {kind: 'ServiceList', metadata: {continue: 'c1', resourceVersion: '2'}, items: [{metadata: {name: 'a', namespace: 'x'}}]})
      if (mode === 'garbage') return json(res, '\x00\xffnot json{{{')
      if (mode === 'wrongshape') return json(res, {kind: 'ServiceList', items: 'nope'})
      if (mode === 'loop') return json(res, {kind: 'ServiceList', metadata: {continue: 'again'}, items: []})
      // expired: the first page, then 410 for every continue token (the old loop ended here with an empty store).
      if (cont) return json(res, {kind: 'Status', code: 410}, 410)
      json(res, {kind: 'ServiceList', metadata: {continue: 'c1'}, items: []})
    })
    try {
      const changes: string[] = []
      const r = new Reflector({resource: 'services', prefix: '/api/v1', namespaced: true}, await clientFor(api.url), opts, deps(), (_r, kind) => changes.push(kind))
      await r.list()
      assert.deepEqual([...r.store.keys()], ['x/a', 'x/b'])
      assert.equal(r.error, undefined)
      for (const m of ['garbage', 'wrongshape', 'loop', 'expired']) {
        mode = m
        await assert.rejects(r.list(), (e: unknown) => e instanceof UnavailableError || (e as Error).message.length > 0)
        assert.deepEqual([...r.store.keys()], ['x/a', 'x/b'], m)
        assert.equal(r.resourceVersion, '2')
        assert.match(r.error ?? '', new RegExp(`^list of services from ${api.url}/api/v1/services failed: `), m)
      }
      assert.deepEqual(changes, ['list'], 'a failed list announces no change')
      mode = 'good'
      await r.list()
      assert.equal(r.error, undefined)
      assert.deepEqual(changes, ['list', 'list'])
    } finally {
      await api.close()
    }
  })
})

/** A HAProxy that exists only as answers on its sockets; it remembers every command. */
function fakeHaproxy(configDir: string) {
  const calls: string[] = []
  let reloads = 0
  let worker = 100
  const io: HaproxyIO = {
    async send(_socket, cmd) {
      calls.push(cmd)
      if (cmd === 'show servers state') return '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord\n'
      if (cmd === 'show proc') return `#<PID>          <type>          <reloads>       <uptime>        <version>\n1               master          ${reloads}               0d00h00m05s     2.6.12\n# workers\n${worker}             worker          0               0d00h00m01s     2.6.12\n`
      if (cmd === 'reload') {
        reloads++
        worker++
        return ''
      }
      if (cmd === 'show stat') {
        let cfg = ''
        try {
          cfg = readFileSync(path.join(configDir, 'haproxy.cfg'), 'utf8')
        } catch {
          /* none yet */
        }
        const rows = ['# pxname,svname,']
        let section = ''
        for (const l of cfg.split('\n')) {
          const s = /^(frontend|backend|listen)\s+(\S+)/.exec(l)
          if (s) {
            section = s[2]!
            if (s[1] !== 'backend') rows.push(`${section},FRONTEND,`)
            continue
          }
          const srv = /^\s+server\s+(\S+)/.exec(l)
          if (srv) rows.push(`${section},${srv[1]},`)
        }
        return `${rows.join('\n')}\n`
      }
      return ''
    },
    async exec(cmd) {
      calls.push(`exec ${cmd}`)
      return {code: 0, stdout: '', stderr: ''}
    },
    async sleep() {},
  }
  return {io, calls}
}

describe('sync never programs a state built from a failed or partial list', function () {
  this.timeout(30_000)
  const svc = (name: string) => ({metadata: {name, namespace: 't1', resourceVersion: '1', annotations: {'vipctl.io/vip': '192.0.2.10'}}, spec: {type: 'LoadBalancer', ports: [{name: 'redis', port: name === 'web' ? 6379 : 6380, targetPort: 6379, protocol: 'TCP'}]}})
  const slice = (name: string) => ({metadata: {name: `${name}-abc`, namespace: 't1', resourceVersion: '1', labels: {'kubernetes.io/service-name': name}}, addressType: 'IPv4', endpoints: [{addresses: ['10.0.0.1'], conditions: {ready: true}}], ports: [{name: 'redis', port: 6379, protocol: 'TCP'}]})

  function world() {
    const state = {mode: 'good', services: ['web'], watchers: new Set<http.ServerResponse>()}
    const handler: Handler = (req, res, url) => {
      const r = resourceOf(url.pathname)
      if (url.searchParams.get('watch')) {
        res.writeHead(200, {'Content-Type': 'application/json'})
        res.flushHeaders()
        if (r === 'services') {
          state.watchers.add(res)
          req.on('close', () => state.watchers.delete(res))
        }
        return
      }
      if (r === 'services' && state.mode !== 'good') {
        if (state.mode === 'garbage') return json(res, '\x00\xffnot json{{{')
        if (state.mode === 'html') return json(res, '<html><body>Please log in</body></html>')
        if (state.mode === 'wrongshape') return json(res, {kind: 'ServiceList', items: 'nope', metadata: {}})
        if (state.mode === 'loop') return json(res, {kind: 'ServiceList', metadata: {continue: 'again'}, items: []})
      }
      if (r === 'services') return json(res, {kind: 'ServiceList', metadata: {resourceVersion: '1'}, items: state.services.map(svc)})
      if (r === 'endpointslices') return json(res, {kind: 'EndpointSliceList', metadata: {resourceVersion: '1'}, items: state.services.map(slice)})
      json(res, emptyList(url.pathname))
    }
    /** Ends every services watch with 410 Gone: the reflector relists. */
    const expireWatches = () => {
      for (const w of state.watchers) w.end(`${JSON.stringify({type: 'ERROR', object: {kind: 'Status', code: 410, message: 'too old'}})}\n`)
    }
    return {state, handler, expireWatches}
  }

  async function setup(handler: Handler, caRefreshMs?: number) {
    const api = await fakeApi(handler)
    const dir = tmpDir('sync')
    const configDir = path.join(dir, 'etc')
    mkdirSync(configDir, {recursive: true})
    const hopts = haproxyOptions({'config-dir': configDir, 'run-dir': path.join(dir, 'run'), nbthread: 1, 'spare-slots': 2, 'metrics-address': '127.0.0.1:18999', 'listen-base-port': 20080})
    const proxy = fakeHaproxy(configDir)
    const logs: string[] = []
    const metrics = makeMetrics()
    const loop = new SyncLoop(
      {
        context: 'ctx',
        model: modelOptions({}),
        haproxy: hopts,
        target: haproxyTarget({'haproxy-bin': 'haproxy'}, hopts),
        debounceMs: 10,
        minReloadIntervalMs: 0,
        resyncMs: 3_600_000,
        ...(caRefreshMs !== undefined ? {caRefreshMs} : {}),
        reflector: {watchdogMs: 60_000, backoffInitialMs: 20, backoffMaxMs: 150, watchTimeoutSec: 300, pageSize: 500},
      },
      {client: await clientFor(api.url), haproxy: proxy.io, vip: {exec: async () => ({code: 0, stdout: '', stderr: ''})}, clock: systemClock, log: makeLogger((l) => logs.push(l), 'json'), metrics},
    )
    return {api, loop, proxy, logs, metrics, cfg: () => readFileSync(path.join(configDir, 'haproxy.cfg'), 'utf8')}
  }

  const until = async (what: string, ok: () => boolean, ms = 10_000) => {
    const start = Date.now()
    while (!ok()) {
      if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`)
      await sleep(20)
    }
  }

  it('--once: a bad list fails before HAProxy is touched (exit 69)', async () => {
    const w = world()
    for (const mode of ['garbage', 'html', 'wrongshape', 'loop']) {
      w.state.mode = mode
      const s = await setup(w.handler)
      try {
        await assert.rejects(s.loop.once(), (e) => assertBadReply(e, `${s.api.url}/api/v1/services`, /list of services/))
        assert.deepEqual(s.proxy.calls, [], mode)
      } finally {
        await s.api.close()
      }
    }
  })

  it('--once: an optional resource that is not readable is left out; one that answers garbage fails the run', async () => {
    for (const nodes of ['forbidden', 'garbage']) {
      const w = world()
      const s = await setup((req, res, url) => {
        if (resourceOf(url.pathname) === 'nodes')
          return nodes === 'forbidden' ? json(res, {kind: 'Status', code: 403, reason: 'Forbidden', message: 'nodes is forbidden'}, 403) : json(res, '<html>proxy error</html>')
        w.handler(req, res, url)
      })
      try {
        if (nodes === 'forbidden') {
          const r = await s.loop.once()
          assert.equal(r.result, 'reload')
          assert.match(s.cfg(), /6379/)
        } else {
          await assert.rejects(s.loop.once(), (e) => assertBadReply(e, `${s.api.url}/api/v1/nodes`, /not JSON/))
          assert.deepEqual(s.proxy.calls, [])
        }
      } finally {
        await s.api.close()
      }
    }
  })

  it('running, nothing changing: no reconcile after the first, however often the CA refresh wakes the loop', async () => {
    const w = world()
    const s = await setup(w.handler, 100)
    const ctrl = new AbortController()
    const running = s.loop.run(ctrl.signal)
    try {
      await until('the first reconcile', () => s.loop.reconciles >= 1)
      await sleep(300)
      const builds = s.metrics.builds.get({})
      const reconciles = s.loop.reconciles
      await sleep(1200) // 12 CA refresh periods
      assert.equal(s.metrics.builds.get({}), builds, 'no model build without a change')
      assert.equal(s.loop.reconciles, reconciles, 'no reconcile without a change')
    } finally {
      ctrl.abort()
      await running
      await s.api.close()
    }
  })

  it('running: the proxy keeps the last good state, reconciles fail and /readyz says why, until a good list', async () => {
    const w = world()
    const s = await setup(w.handler)
    const ctrl = new AbortController()
    const running = s.loop.run(ctrl.signal)
    const health = await serveMetrics({host: '127.0.0.1', port: 0}, () => s.loop.health(), s.metrics)
    const readyz = async () => {
      const r = await fetch(`http://127.0.0.1:${health.port}/readyz`)
      return {status: r.status, text: await r.text()}
    }
    try {
      await until('the first reload', () => s.proxy.calls.includes('reload') && s.loop.health().ready)
      assert.equal((await readyz()).status, 200)
      const good = s.cfg()
      assert.match(good, /6379/)
      for (const mode of ['garbage', 'html', 'wrongshape', 'loop']) {
        w.state.mode = mode
        const lists = s.api.hits.get('/api/v1/services') ?? 0
        const calls = s.proxy.calls.length
        w.expireWatches()
        await until(`the failed relist (${mode})`, () => s.loop.health().lastError !== undefined)
        const h = await readyz()
        assert.equal(h.status, 503, mode)
        assert.match(h.text, new RegExp(`^not ready: list of services from ${s.api.url}/api/v1/services failed: `), mode)
        // A reconcile now (a resync, a change elsewhere) fails and programs nothing.
        const r = await s.loop.reconcile(true)
        assert.equal(r.result, 'failed', mode)
        assert.match(r.error ?? '', /list of services from .* failed/)
        // The reflector retries with backoff: more lists, but bounded (backoff 20..150 ms).
        await sleep(400)
        const more = (s.api.hits.get('/api/v1/services') ?? 0) - lists
        assert.ok(more >= 2 && more <= (mode === 'loop' ? 2 * 25 : 25), `${mode}: ${more} lists in 400 ms`)
        assert.equal(s.proxy.calls.length, calls, `${mode}: HAProxy was touched: ${s.proxy.calls.slice(calls).join(', ')}`)
        assert.equal(s.cfg(), good, mode)
        assert.ok(s.loop.reflectors.find((r) => r.resource.resource === 'services')!.store.size === 1)
        // Back to good: the relist succeeds and the loop is ready again, with the same config.
        w.state.mode = 'good'
        await until(`recovery from ${mode}`, () => s.loop.health().ready)
        assert.equal(s.cfg(), good)
      }
      // A real change after recovery is programmed.
      w.state.services = ['web', 'cache']
      w.expireWatches()
      await until('the new Service in the config', () => /6380/.test(s.cfg()) && s.loop.health().ready)
      assert.ok(s.logs.some((l) => JSON.parse(l).msg === 'reconcile failed: the proxy keeps its previous state'))
      // A malformed watch event is not applied: the stream is cut and the store relisted (after a backoff).
      const store = s.loop.reflectors.find((r) => r.resource.resource === 'services')!.store
      await until('a services watch', () => w.state.watchers.size > 0)
      const lists = s.api.hits.get('/api/v1/services') ?? 0
      for (const res of w.state.watchers) res.write(`${JSON.stringify({type: 'DELETED', object: null})}\n`)
      await until('the relist after the malformed event', () => (s.api.hits.get('/api/v1/services') ?? 0) > lists)
      await until('ready after the relist', () => s.loop.health().ready)
      assert.equal(store.size, 2)
      assert.ok(s.logs.some((l) => /a DELETED event has no \\"object\\"/.test(l)), 'the malformed event is logged')
    } finally {
      ctrl.abort()
      await running
      await health.close()
      await s.api.close()
    }
  })
})

describe('stdin and files are bounded like files, and never empty by accident', function () {
  this.timeout(30_000)
  const noStdin = {readStdin: async () => ''}

  it('stdin: stops reading past the limit (nothing more is buffered) and names <stdin>', async () => {
    let produced = 0
    const endless = new Readable({
      read() {
        produced += 64 * 1024
        this.push(Buffer.alloc(64 * 1024, 0x61))
      },
    })
    await assert.rejects(readAll(endless, 1024 * 1024), (e: unknown) => e instanceof DataError && e.exit === 65 && e.message === '<stdin>: larger than 1 MiB')
    assert.ok(produced <= 1024 * 1024 + 4 * 64 * 1024, `read ${produced} bytes`)
    assert.ok(endless.destroyed, 'stdin is closed so that the writer gets EPIPE')
  })

  it('stdin: the default bound is 32 MiB', async () => {
    let produced = 0
    const endless = new Readable({
      read() {
        produced += 1024 * 1024
        this.push(Buffer.alloc(1024 * 1024, 0x61))
      },
    })
    await assert.rejects(readAll(endless), /<stdin>: larger than 32 MiB/)
    assert.ok(produced <= 36 * 1024 * 1024, `read ${produced} bytes`)
  })

  it('empty stdin, or stdin with only comments and separators, is "<stdin>: no objects" (exit 65)', async () => {
    for (const text of ['', '\n\n', '# nothing here\n', '---\n---\n', '--- # c\n...\n', 'null\n', '~\n'])
      await assert.rejects(loadOffline({filenames: ['-'], strict: false}, {readStdin: async () => text}), (e: unknown) => e instanceof DataError && e.exit === 65 && /^<stdin>: no objects/.test(e.message), JSON.stringify(text))
  })

  it('an empty file and a directory without documents are "no objects"; an explicit empty List and an empty file beside a full one are fine', async () => {
    const dir = tmpDir('offline')
    writeFileSync(path.join(dir, 'empty.yaml'), '# only a comment\n')
    mkdirSync(path.join(dir, 'none'))
    writeFileSync(path.join(dir, 'none', 'a.yaml'), '')
    writeFileSync(path.join(dir, 'none', 'notes.txt'), 'apiVersion: v1\n')
    writeFileSync(path.join(dir, 'list.yaml'), 'apiVersion: v1\nkind: List\nitems: []\n')
    mkdirSync(path.join(dir, 'mixed'))
    writeFileSync(path.join(dir, 'mixed', 'a.yaml'), '')
    writeFileSync(path.join(dir, 'mixed', 'b.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: x}\nspec: {ports: [{port: 80}]}\n')
    await assert.rejects(loadOffline({filenames: [path.join(dir, 'empty.yaml')], strict: false}, noStdin), (e: unknown) => e instanceof DataError && e.message.startsWith(`${path.join(dir, 'empty.yaml')}: no objects`))
    await assert.rejects(loadOffline({filenames: [path.join(dir, 'none')], strict: false}, noStdin), (e: unknown) => e instanceof DataError && e.message.startsWith(`${path.join(dir, 'none')}: no objects`))
    assert.equal((await loadOffline({filenames: [path.join(dir, 'list.yaml')], strict: false}, noStdin)).services.length, 0)
    assert.equal((await loadOffline({filenames: [path.join(dir, 'mixed')], strict: false}, noStdin)).services.length, 1)
    // Each -f input is judged on its own: a full one does not excuse an empty one.
    await assert.rejects(loadOffline({filenames: [path.join(dir, 'mixed'), '-'], strict: false}, noStdin), /<stdin>: no objects/)
  })

  it('a large regular file is refused by its size, before it is read', async () => {
    const f = path.join(tmpDir('big'), 'big.yaml')
    writeFileSync(f, '')
    truncateSync(f, 64 * 1024 * 1024 * 1024) // 64 GiB, sparse: reading it whole would never finish
    const start = Date.now()
    await assert.rejects(loadOffline({filenames: [f], strict: false}, noStdin), (e: unknown) => e instanceof DataError && e.message === `${f}: larger than 32 MiB`)
    assert.ok(Date.now() - start < 2000)
  })

  it('an endless device is cut at the bound, not read until memory runs out', async () => {
    await assert.rejects(loadOffline({filenames: ['/dev/zero'], strict: false}, noStdin), (e: unknown) => e instanceof DataError && e.message === '/dev/zero: larger than 32 MiB')
  })
})

describe('every malformed kubeconfig is exit 65 naming the file and the field', () => {
  const cert = readFileSync(path.join(process.cwd(), 'examples/shop/50-secret-tls.yaml'), 'utf8').match(/tls\.crt: (\S+)/)![1]!
  const key = readFileSync(path.join(process.cwd(), 'examples/shop/50-secret-tls.yaml'), 'utf8').match(/tls\.key: (\S+)/)![1]!
  const doc = (cluster: string, user = 'token: t', rest = 'contexts: [{name: ctx, context: {cluster: c, user: u}}]\ncurrent-context: ctx\n') =>
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {${cluster}}}]\nusers: [{name: u, user: {${user}}}]\n${rest}`
  const write = (text: string | Buffer) => {
    const f = path.join(tmpDir('kc'), 'kubeconfig')
    writeFileSync(f, text)
    return f
  }
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['an ftp:// server', doc('server: "ftp://127.0.0.1:21"'), /clusters\["c"\]\.cluster\.server "ftp:\/\/127\.0\.0\.1:21": scheme "ftp" is not supported/],
    ['an unparsable server URL', doc('server: "https://[::1"'), /clusters\["c"\]\.cluster\.server "https:\/\/\[::1": not a URL/],
    ['a server that is not a URL', doc('server: "not a url"'), /cluster\.server "not a url": not a URL/],
    ['an empty server', doc('server: ""'), /cluster\.server: empty/],
    ['no server', doc('insecure-skip-tls-verify: true'), /cluster\.server: missing/],
    ['a server that is a number', doc('server: 6443'), /cluster\.server: expected a string, found a number/],
    ['plain http without insecure-skip-tls-verify', doc('server: "http://127.0.0.1:8080"'), /plain http needs insecure-skip-tls-verify: true/],
    ['insecure-skip-tls-verify as a string', doc('server: "https://127.0.0.1:6443", insecure-skip-tls-verify: "yes"'), /insecure-skip-tls-verify: expected true or false, found "yes"/],
    ['CA data that is not base64', doc('server: "https://127.0.0.1:6443", certificate-authority-data: "!!!notbase64"'), /certificate-authority-data: not base64/],
    ['CA data that is not a certificate', doc(`server: "https://127.0.0.1:6443", certificate-authority-data: "${Buffer.from('hello world').toString('base64')}"`), /certificate-authority-data: no PEM certificate/],
    ['CA data with a broken certificate', doc(`server: "https://127.0.0.1:6443", certificate-authority-data: "${Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64')}"`), /certificate-authority-data: certificate 1 of 1 does not parse/],
    ['a missing CA file', doc('server: "https://127.0.0.1:6443", certificate-authority: /nonexistent/ca.crt'), /certificate-authority \/nonexistent\/ca\.crt: no such file/],
    ['a client certificate that is not PEM', doc('server: "https://127.0.0.1:6443"', `client-certificate-data: ${Buffer.from('x').toString('base64')}, client-key-data: ${key}`), /users\["u"\]\.user\.client-certificate-data: no PEM certificate/],
    ['a client key that is not a key', doc('server: "https://127.0.0.1:6443"', `client-certificate-data: ${cert}, client-key-data: ${cert}`), /client-key-data: not a PEM private key/],
    ['a client certificate without a key', doc('server: "https://127.0.0.1:6443"', `client-certificate-data: ${cert}`), /a client certificate without client-key/],
    ['a missing token file', doc('server: "https://127.0.0.1:6443"', 'token-file: /nonexistent/token'), /users\["u"\]\.user\.token-file \/nonexistent\/token: no such file/],
    ['a missing tokenFile (kubectl\'s spelling)', doc('server: "https://127.0.0.1:6443"', 'tokenFile: /nonexistent/token'), /users\["u"\]\.user\.token-file \/nonexistent\/token: no such file/],
    ['credentials in the server URL (never echoed)', doc('server: "https://admin:SECRETPW@127.0.0.1:6443"'), /cluster\.server: the URL carries credentials/],
    ['an empty file', '', /: empty file/],
    ['only comments', '# nothing\n', /: empty file/],
    ['not YAML', '{{{{ : [\n', /: malformed YAML at line \d+/],
    ['binary', Buffer.from([0, 0xff, 0xfe, 0x01]), /not a kubeconfig \(binary data\)/],
    ['a YAML string', 'just a string\n', /not a kubeconfig \(the top level is a string, not a mapping\)/],
    ['a YAML list', '- a\n- b\n', /the top level is a list/],
    ['another kind', 'apiVersion: v1\nkind: Pod\n', /kind: expected "Config", found "Pod"/],
    ['clusters not a list', 'apiVersion: v1\nclusters: 5\ncurrent-context: ctx\n', /clusters: expected a list, found a number/],
    ['a cluster entry that is not a mapping', 'clusters: [5]\n', /clusters\[0\]: expected a mapping, found a number/],
    ['a cluster without a name', 'clusters: [{cluster: {server: "https://x"}}]\n', /clusters\[0\]\.name: missing/],
    ['a context without a cluster', doc('server: "https://127.0.0.1:6443"', 'token: t', 'contexts: [{name: ctx, context: {user: u}}]\ncurrent-context: ctx\n'), /contexts\["ctx"\]\.context\.cluster: missing/],
    ['current-context pointing nowhere', doc('server: "https://127.0.0.1:6443"', 'token: t', 'contexts: [{name: ctx, context: {cluster: c, user: u}}]\ncurrent-context: nope\n'), /current-context "nope": no such context/],
    ['a context naming no cluster', doc('server: "https://127.0.0.1:6443"', 'token: t', 'contexts: [{name: ctx, context: {cluster: gone, user: u}}]\ncurrent-context: ctx\n'), /contexts\["ctx"\]\.context\.cluster "gone": no such cluster/],
    ['a context naming no user', doc('server: "https://127.0.0.1:6443"', 'token: t', 'contexts: [{name: ctx, context: {cluster: c, user: gone}}]\ncurrent-context: ctx\n'), /contexts\["ctx"\]\.context\.user "gone": no such user/],
    ['current-context a list', doc('server: "https://127.0.0.1:6443"', 'token: t', 'contexts: []\ncurrent-context: [a]\n'), /current-context: expected a string, found a list/],
    ['duplicate keys', 'apiVersion: v1\napiVersion: v2\n', /malformed YAML at line 2/],
  ]
  for (const [what, text, why] of cases)
    it(what, () => {
      const f = write(text)
      assert.throws(
        () => loadKubeConfig({kubeconfig: f}, {}),
        (e: unknown) => {
          assert.ok(e instanceof DataError, `${what}: ${String(e)}`)
          assert.equal(e.exit, 65)
          assert.ok(e.message.startsWith(`kubeconfig ${f}: `), e.message)
          assert.match(e.message, why)
          assert.ok(!/[\r\n]/.test(e.message) && !/Cannot read|TypeError|undefined/.test(e.message), e.message)
          return true
        },
      )
    })

  it('a missing file, a directory; a context named by --context that is not there stays 64', () => {
    assert.throws(() => loadKubeConfig({kubeconfig: '/nonexistent/kubeconfig'}, {}), (e: unknown) => e instanceof DataError && e.message === 'kubeconfig /nonexistent/kubeconfig: no such file')
    const d = tmpDir('kcdir')
    assert.throws(() => loadKubeConfig({kubeconfig: d}, {}), (e: unknown) => e instanceof DataError && e.message === `kubeconfig ${d}: is a directory`)
    const f = write(doc('server: "https://127.0.0.1:6443"'))
    assert.throws(() => loadKubeConfig({kubeconfig: f, context: 'nope'}, {}), (e: unknown) => e instanceof UsageError && e.exit === 64)
  })

  it('$KUBECONFIG lists: the file that holds the bad entry is named', () => {
    const good = write(doc('server: "https://127.0.0.1:6443"').replace('current-context: ctx\n', ''))
    const bad = write('apiVersion: v1\nclusters: [{name: other, cluster: {server: "https://x"}}]\ncontexts: [{name: ctx2, context: {cluster: other}}]\ncurrent-context: ctx2\nusers: nope\n')
    assert.throws(() => loadKubeConfig({}, {KUBECONFIG: `${good}:${bad}`}), (e: unknown) => e instanceof DataError && e.message === `kubeconfig ${bad}: users: expected a list, found a string`)
  })

  it('a valid kubeconfig with CA, client certificate and key loads, and the client names its file on credential errors', async () => {
    const f = write(doc(`server: "https://127.0.0.1:6443", certificate-authority-data: ${cert}`, `client-certificate-data: ${cert}, client-key-data: ${key}`))
    const kc = loadKubeConfig({kubeconfig: f}, {})
    assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:6443')
    assert.equal(kc.origin, `kubeconfig ${f}`)
    const client = await restClient(kc, 1000)
    assert.equal(client.server, 'https://127.0.0.1:6443')
    const exec = write(doc('server: "https://127.0.0.1:6443"', 'exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: /nonexistent/plugin}'))
    await assert.rejects(restClient(loadKubeConfig({kubeconfig: exec}, {}), 1000), (e: unknown) => e instanceof DataError && e.message.startsWith(`kubeconfig ${exec}: cannot set up credentials for user "u"`))
  })
})
