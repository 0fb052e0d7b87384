/**
 * Requests that try to forge a route, through a real HAProxy running the
 * generated config in a private network namespace (the VIPs and Pod addresses
 * exist only on its loopback; echo servers answer with their own address).
 * Cases host-header-route-bypass and http-host-with-port, on HTTP and HTTPS.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {writeTree} from '../../src/apply/files.js'
import {loadOffline} from '../../src/cluster/offline.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'

const noStdin = {readStdin: async () => ''}
const sh = (args: string[]) => execFileSync(args[0]!, args.slice(1), {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})

const ECHO = `const h = require('http'); const [addr, port] = process.argv.slice(1);
h.createServer((q, s) => { s.end('be=' + addr + ' path=' + q.url + '\\n') }).listen(Number(port), addr);`

interface Netns {
  name: string
  curl(args: string[]): {status: number; body: string; location: string}
  stop(): void
}

/** Generates the config for `fixture`, then runs it with echo servers in a new namespace. */
async function serve(fixture: string, ready: string[]): Promise<Netns> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-hosthdr-'))
  const opts = {...DEFAULT_HAPROXY_OPTIONS, configDir: path.join(dir, 'cfg'), runDir: path.join(dir, 'run'), metricsAddress: '127.0.0.1:18405'}
  const {config} = renderHaproxy(await loadOffline({filenames: [fixture], strict: false}, noStdin), {}, opts)
  await writeTree(opts.configDir, config.files, ['maps', 'certs'])
  const cfg = config.files[0]!.content
  const binds = [...cfg.matchAll(/^\s+bind (\d[\d.]+):/gm)].map((m) => m[1]!)
  const servers = [...cfg.matchAll(/^\s+server \S+ (\d[\d.]+):(\d+) /gm)].map((m) => [m[1]!, m[2]!] as const).filter(([a]) => a !== '0.0.0.0')
  const name = `vhh${process.pid % 100000}${Math.floor(Math.random() * 1000)}`
  const children: ChildProcess[] = []
  sh(['ip', 'netns', 'add', name])
  const stop = () => {
    for (const c of children) c.kill('SIGKILL')
    try {
      sh(['ip', 'netns', 'del', name])
    } catch {
      // gone
    }
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    const ex = (cmd: string[]) => sh(['ip', 'netns', 'exec', name, ...cmd])
    ex(['ip', 'link', 'set', 'lo', 'up'])
    for (const a of new Set([...binds, ...servers.map(([a]) => a)])) ex(['ip', 'addr', 'add', `${a}/32`, 'dev', 'lo'])
    for (const [a, p] of new Set(servers)) children.push(spawn('ip', ['netns', 'exec', name, process.execPath, '-e', ECHO, a, p], {stdio: 'ignore'}))
    sh(['mkdir', '-p', opts.runDir])
    children.push(spawn('ip', ['netns', 'exec', name, 'haproxy', '-W', '-db', '-f', path.join(opts.configDir, 'haproxy.cfg')], {stdio: 'ignore'}))
    const curl = (args: string[]) => {
      const out = sh(['ip', 'netns', 'exec', name, 'curl', '-s', '-m', '3', '-o', '-', '-w', '\n%{http_code} %{redirect_url}', ...args])
      const i = out.lastIndexOf('\n')
      const [status, location = ''] = out.slice(i + 1).split(' ')
      return {status: Number(status), body: out.slice(0, i).trim(), location}
    }
    // Bounded wait until HAProxy serves a known route (servers up by health check): at most 100 tries, 100 ms apart.
    for (let i = 0; i < 100; i++) {
      try {
        if (curl(ready).status === 200) break
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    return {name, curl, stop}
  } catch (error) {
    stop()
    throw error
  }
}

describe('requests that try to forge a route (real HAProxy in a private namespace)', function () {
  this.timeout(60_000)

  describe('case host-header-route-bypass: Host never selects a path', () => {
    let ns: Netns
    before(async () => (ns = await serve('test/fixtures/cases/host-header-route-bypass/manifests.yaml', ['-H', 'Host: api.example.test', 'http://192.0.2.130/admin'])))
    after(() => ns?.stop())

    it('routes by host and path as written', () => {
      assert.match(ns.curl(['-H', 'Host: api.example.test', 'http://192.0.2.130/public/info']).body, /^be=10\.244\.3\.1 path=\/public\/info/)
      assert.match(ns.curl(['-H', 'Host: api.example.test', 'http://192.0.2.130/admin']).body, /^be=10\.244\.3\.2 path=\/admin/)
    })

    it('answers 400 to a Host that is not a host name, whatever path it carries', () => {
      for (const host of ['api.example.test/public', 'API.EXAMPLE.TEST/public:80', 'api.example.test/public/', 'api.example.test%2fpublic', 'api.example.test\\public', 'a b', 'api.example.test..', '.api.example.test']) {
        const r = ns.curl(['-H', `Host: ${host}`, 'http://192.0.2.130/admin'])
        assert.equal(r.status, 400, `Host: ${host} -> ${r.status} ${r.body}`)
        assert.doesNotMatch(r.body, /10\.244\.3\.1/)
      }
    })

    it('normalises case, port and one trailing dot, so those spellings still reach their route', () => {
      for (const host of ['API.Example.Test', 'api.example.test:80', 'api.example.test.', 'api.example.test.:8080']) {
        assert.match(ns.curl(['-H', `Host: ${host}`, 'http://192.0.2.130/public/x']).body, /^be=10\.244\.3\.1 /, host)
        assert.match(ns.curl(['-H', `Host: ${host}`, 'http://192.0.2.130/admin']).body, /^be=10\.244\.3\.2 /, host)
      }
    })

    it('a request without a Host header (HTTP/1.0) sees only the rules without a host: here none, so 404', () => {
      const r = ns.curl(['-0', '-H', 'Host:', 'http://192.0.2.130/public/x'])
      assert.equal(r.status, 404)
    })
  })

  describe('case http-host-with-port: redirects never carry the client port into https', () => {
    let ns: Netns
    before(async () => (ns = await serve('test/fixtures/cases/http-host-with-port/redirect/manifests.yaml', ['--resolve', 'app.example.test:443:192.0.2.30', '-k', 'https://app.example.test/x'])))
    after(() => ns?.stop())

    it('redirects to https://host/path?query for every spelling of the HTTP Host', () => {
      for (const host of ['app.example.test', 'app.example.test:80', 'APP.Example.TEST:80', 'app.example.test:8080', 'app.example.test.']) {
        const r = ns.curl(['-H', `Host: ${host}`, 'http://192.0.2.30/x?q=1'])
        assert.equal(r.status, 308, host)
        assert.equal(r.location, 'https://app.example.test/x?q=1', host)
      }
    })

    it('serves HTTPS by host name whatever port or case the Host carries, and refuses a forged Host there too', () => {
      const tls = ['--resolve', 'app.example.test:443:192.0.2.30', '-k']
      for (const host of ['app.example.test', 'app.example.test:443', 'App.Example.Test:443']) assert.match(ns.curl([...tls, '-H', `Host: ${host}`, 'https://app.example.test/x']).body, /^be=10\.244\.0\.31 /, host)
      assert.equal(ns.curl([...tls, '-H', 'Host: app.example.test/x', 'https://app.example.test/y']).status, 400)
    })
  })
})
