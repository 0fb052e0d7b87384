/**
 * The built CLI against replies and inputs it must not trust: an API server on
 * 127.0.0.1 (this process) that answers garbage, lists of the wrong shape or
 * kind, endless continue tokens or one page of 200,000 Services; stdin that is
 * endless, empty or closed; malformed kubeconfigs. Every failure is one line
 * with a documented exit code; sync --once leaves the proxy's files alone.
 */
import assert from 'node:assert/strict'
import {LIST_KINDS} from '../helpers/api-kinds.js'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {ROOT, vipctl, type CliResult} from '../helpers/cli.js'

const TMP = mkdtempSync(path.join(os.tmpdir(), 'vipctl-cli-trust-'))
after(() => rmSync(TMP, {recursive: true, force: true}))

const KINDS = LIST_KINDS

/** An API server whose list replies come from `reply(resource)`; namespaces exist. */
async function fakeApi(reply: (resource: string, url: URL) => string | Buffer) {
  const sockets = new Set<Socket>()
  let requests = 0
  const server = http.createServer((req, res) => {
    requests++
    const url = new URL(req.url ?? '/', 'http://x')
    const resource = url.pathname.split('/').at(-1)!
    if (/^\/api\/v1\/namespaces\/[^/]+$/.test(url.pathname)) return res.writeHead(200, {'Content-Type': 'application/json'}).end('{"kind":"Namespace","metadata":{"name":"shop"}}')
    res.writeHead(200, {'Content-Type': 'application/json'}).end(reply(resource, url))
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const kubeconfig = path.join(mkdtempSync(path.join(TMP, 'kc-')), 'kubeconfig')
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: CANARY_TOKEN_42}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u, namespace: shop}}]\ncurrent-context: ctx\n`)
  return {
    url,
    kubeconfig,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

const emptyList = (resource: string) => JSON.stringify({kind: `${KINDS[resource] ?? 'Unknown'}List`, metadata: {resourceVersion: '1'}, items: []})

function oneLineError(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, r.stderr)
  assert.equal(r.stdout, '')
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, r.stderr)
  assert.match(lines[0]!, /^error: /)
  assert.match(lines[0]!, pattern)
  assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+|internal error|CANARY_TOKEN_42/)
}

/** Runs the built CLI with stdin endless (a producer that never stops) or closed (fd 0 not open at all). */
function vipctlStdin(args: string[], stdin: 'flood' | 'closed', timeoutMs = 30_000): Promise<CliResult & {written: number}> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
    delete env.NODE_OPTIONS
    const bin = path.join(ROOT, 'bin', 'run.js')
    const child =
      stdin === 'closed'
        ? spawn('/bin/sh', ['-c', 'exec "$0" "$@" <&-', process.execPath, bin, ...args], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
        : spawn(process.execPath, [bin, ...args], {cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    let written = 0
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    if (stdin === 'flood') {
      const chunk = Buffer.from('a: b\n'.repeat(13_000))
      const pump = () => {
        while (!child.stdin!.destroyed && child.stdin!.write(chunk)) written += chunk.length
        if (!child.stdin!.destroyed) child.stdin!.once('drain', pump)
      }
      child.stdin!.on('error', () => undefined) // EPIPE once vipctl stops reading: expected
      pump()
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr, written})
    })
  })
}

describe('vipctl CLI: API replies are not trusted (built)', function () {
  this.timeout(60_000)

  for (const [what, body, why] of [
    ['binary garbage', Buffer.from('\x00\xffnot json{{{', 'latin1'), /the reply is not JSON/],
    ['an HTML login page', '<!doctype html><html><body>Sign in</body></html>', /the reply is not JSON/],
    ['items: "nope"', '{"kind":"ServiceList","items":"nope","metadata":{}}', /"items" is a string, not an array/],
    ['items: null', '{"kind":"ServiceList","items":null,"metadata":{}}', /"items" is null, not an array/],
    ['a Status with 200', '{"kind":"Status","status":"Success"}', /the reply is not a list \(kind "Status"\)/],
  ] as const)
    it(`inspect: ${what} -> 69, one line naming the URL`, async () => {
      const api = await fakeApi((r) => (r === 'services' ? body : emptyList(r)))
      try {
        const r = await vipctl(['inspect', 'services', '--kubeconfig', api.kubeconfig, '--request-timeout', '3'])
        oneLineError(r, 69, new RegExp(`list of services from ${api.url}/api/v1/namespaces/shop/services failed: ${why.source}`))
      } finally {
        await api.close()
      }
    })

  it('inspect: a continue token sent twice -> 69 at once', async () => {
    const api = await fakeApi((r) => (r === 'services' ? '{"kind":"ServiceList","metadata":{"continue":"again"},"items":[]}' : emptyList(r)))
    try {
      const r = await vipctl(['inspect', 'services', '--kubeconfig', api.kubeconfig, '--request-timeout', '3'])
      oneLineError(r, 69, /same continue token twice/)
      assert.ok(api.requests() < 20, `${api.requests()} requests`)
    } finally {
      await api.close()
    }
  })

  it('inspect: new continue tokens forever stop at the page bound, shared by all lists -> 69', async () => {
    let n = 0
    const api = await fakeApi((r) => JSON.stringify({kind: `${KINDS[r]}List`, metadata: {continue: `t${n++}`}, items: []}))
    try {
      const start = Date.now()
      const r = await vipctl(['inspect', 'services', '--kubeconfig', api.kubeconfig, '--request-timeout', '3'], {timeoutMs: 55_000})
      oneLineError(r, 69, /more than 10000 pages/)
      assert.ok(api.requests() <= 10_010, `${api.requests()} requests`)
      assert.ok(Date.now() - start < 50_000)
    } finally {
      await api.close()
    }
  })

  it('inspect: one page of 200,000 Services is listed (no stack overflow)', async () => {
    const N = 200_000
    const page = Buffer.from(
      `{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[${Array.from({length: N}, (_, i) => `{"metadata":{"name":"s${i}","namespace":"shop"},"spec":{"clusterIP":"None","ports":[{"port":80}]}}`).join(',')}]}`,
    )
    const api = await fakeApi((r) => (r === 'services' ? page : emptyList(r)))
    try {
      const r = await vipctl(['inspect', 'services', '--kubeconfig', api.kubeconfig, '--request-timeout', '20', '-o', 'name'], {timeoutMs: 55_000})
      assert.equal(r.code, 0, r.stderr.slice(0, 500))
      const lines = r.stdout.trimEnd().split('\n')
      assert.equal(lines.length, N)
      assert.equal(lines[0], 'service/s0')
    } finally {
      await api.close()
    }
  })

  it('sync --once: a garbage list -> 69 naming the list; the proxy files are untouched', async () => {
    const api = await fakeApi((r) => (r === 'services' ? '\x00\xffnot json{{{' : emptyList(r)))
    const dir = mkdtempSync(path.join(TMP, 'sync-'))
    const cfgDir = path.join(dir, 'etc')
    const runDir = path.join(dir, 'run')
    mkdirSync(cfgDir)
    mkdirSync(runDir)
    const cfg = path.join(cfgDir, 'haproxy.cfg')
    writeFileSync(cfg, 'global\n# the last good configuration\n')
    try {
      const r = await vipctl(['sync', '--once', '--kubeconfig', api.kubeconfig, '--config-dir', cfgDir, '--run-dir', runDir, '--metrics-addr', '', '--min-reload-interval', '0s', '--log-format', 'json'])
      assert.equal(r.code, 69, r.stderr)
      assert.equal(r.stdout, '')
      assert.match(r.stderr, new RegExp(`^error: list of services from ${api.url}/api/v1/services failed: the reply is not JSON`, 'm'))
      assert.equal(readFileSync(cfg, 'utf8'), 'global\n# the last good configuration\n')
      assert.ok(!existsSync(path.join(cfgDir, '.last-known-good')))
    } finally {
      await api.close()
    }
  })
})

describe('vipctl CLI: sync --ca-refresh-period has a floor (built)', function () {
  this.timeout(60_000)
  for (const [value, code] of [['1ms', 64], ['0.5s', 64], ['0s', 69], ['1s', 69]] as const)
    it(`${value} -> ${code === 64 ? '64 before any connection' : 'accepted (then 69: no API server there)'}`, async () => {
      const dir = mkdtempSync(path.join(TMP, 'ca-'))
      const kc = path.join(dir, 'kubeconfig')
      writeFileSync(kc, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n', {mode: 0o600})
      const r = await vipctl(['sync', '--once', '--kubeconfig', kc, '--config-dir', dir, '--run-dir', dir, '--metrics-addr', '', '--request-timeout', '2', '--ca-refresh-period', value])
      assert.equal(r.code, code, r.stderr)
      if (code === 64) assert.match(r.stderr, /--ca-refresh-period .*at least 1000ms/)
    })
})

describe('vipctl CLI: stdin is bounded and never empty by accident (built)', function () {
  this.timeout(60_000)

  it('an endless stdin stops at 32 MiB: exit 65 "<stdin>: larger than 32 MiB"', async () => {
    const r = await vipctlStdin(['inspect', 'services', '-f', '-'], 'flood', 45_000)
    oneLineError(r, 65, /^error: <stdin>: larger than 32 MiB$/)
    assert.ok(r.written < 200 * 1024 * 1024, `vipctl took ${r.written} bytes`)
  })

  for (const how of ['closed', 'empty'] as const)
    it(`-f - with stdin ${how} is "<stdin>: no objects" (65), and generate writes nothing`, async () => {
      const run = (args: string[]) => (how === 'closed' ? vipctlStdin(args, 'closed') : vipctl(args, {input: ''}))
      oneLineError(await run(['inspect', 'services', '-f', '-']), 65, /^error: <stdin>: no objects/)
      const out = mkdtempSync(path.join(TMP, 'gen-'))
      const g = await run(['generate', 'haproxy', '-f', '-', '--out', out, '--config-dir', out])
      oneLineError(g, 65, /^error: <stdin>: no objects/)
      assert.ok(!existsSync(path.join(out, 'haproxy.cfg')))
    })

  it('stdin with only comments is "no objects" too; an explicit empty List is not', async () => {
    oneLineError(await vipctl(['inspect', 'services', '-f', '-'], {input: '# generated by a failed pipe\n---\n'}), 65, /<stdin>: no objects/)
    const r = await vipctl(['inspect', 'services', '-f', '-'], {input: 'apiVersion: v1\nkind: List\nitems: []\n'})
    assert.equal(r.code, 0, r.stderr)
  })
})

describe('vipctl CLI: malformed kubeconfigs are 65 with one line naming file and field (built)', function () {
  this.timeout(60_000)
  const write = (text: string) => {
    const f = path.join(mkdtempSync(path.join(TMP, 'kc-')), 'kubeconfig')
    writeFileSync(f, text)
    return f
  }
  const kc = (cluster: string, ctx = 'current-context: ctx\n') =>
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {${cluster}}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u}}]\n${ctx}`

  for (const [what, text, why] of [
    ['an ftp:// server', kc('server: "ftp://127.0.0.1:21"'), /clusters\["c"\]\.cluster\.server "ftp:\/\/127\.0\.0\.1:21": scheme "ftp" is not supported/],
    ['an unparsable server URL', kc('server: "http://[::1"'), /clusters\["c"\]\.cluster\.server "http:\/\/\[::1": not a URL/],
    ['garbage CA data', kc('server: "https://127.0.0.1:1", certificate-authority-data: "aGVsbG8gd29ybGQ="'), /certificate-authority-data: no PEM certificate/],
    ['an empty file', '', /empty file/],
    ['not YAML', '{{{{ : [\n', /malformed YAML at line 2/],
    ['a context pointing nowhere', kc('server: "https://127.0.0.1:1"', 'current-context: nope\n'), /current-context "nope": no such context/],
  ] as const)
    it(what, async () => {
      const f = write(text)
      oneLineError(await vipctl(['inspect', 'services', '--kubeconfig', f]), 65, new RegExp(`^error: kubeconfig ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*${why.source}`))
    })

  it('a missing file is 65; an unknown --context stays 64', async () => {
    oneLineError(await vipctl(['inspect', 'services', '--kubeconfig', '/nonexistent/kubeconfig']), 65, /kubeconfig \/nonexistent\/kubeconfig: no such file/)
    oneLineError(await vipctl(['inspect', 'services', '--kubeconfig', write(kc('server: "https://127.0.0.1:1"')), '--context', 'nope']), 64, /context "nope" not found/)
  })
})
