/**
 * kubectl's client flags on the built CLI, against HTTPS API server doubles on 127.0.0.1 that record every
 * request: --server, --token, --as/--as-group (Impersonate-* headers), --insecure-skip-tls-verify (and its
 * warning), --request-timeout, -v (request lines; credentials and Secret data never shown), --dry-run=server on
 * install (dryRun=All) and client (nothing sent), and the message when there is no kubeconfig at all.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import type {IncomingHttpHeaders, RequestListener} from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {LIST_KINDS} from '../helpers/api-kinds.js'
import {vipctl} from '../helpers/cli.js'

const TMP = mkdtempSync(path.join(os.tmpdir(), 'vipctl-client-flags-'))
const KEY = path.join(TMP, 'server.key')
const CERT = path.join(TMP, 'server.crt')
/** A TLS Secret's data: must never appear in any output, at any -v. */
const SECRET_MARK = 'U0VDUkVULURBVEEtTkVWRVItU0hPV04='

interface Seen {
  server: 'a' | 'b'
  method: string
  url: string
  headers: IncomingHttpHeaders
}
const seen: Seen[] = []
let a: https.Server
let b: https.Server
let hang: https.Server
let urlA = ''
let urlB = ''
let urlHang = ''

const INGRESS = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {name: 'web', namespace: 'shop', resourceVersion: '1'},
  spec: {ingressClassName: 'vipctl', tls: [{hosts: ['a.example.com'], secretName: 'tls'}], rules: [{host: 'a.example.com', http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]},
}

function api(name: 'a' | 'b'): RequestListener {
  return (req, res) => {
    seen.push({server: name, method: req.method ?? '', url: req.url ?? '', headers: req.headers})
    const json = (status: number, body: unknown) => res.writeHead(status, {'Content-Type': 'application/json'}).end(JSON.stringify(body))
    const u = req.url ?? ''
    if (req.method === 'PATCH') {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => res.writeHead(200, {'Content-Type': 'application/json'}).end(body))
      return
    }
    if (/\/secrets\/tls$/.test(u)) return json(200, {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'tls', namespace: 'shop'}, type: 'kubernetes.io/tls', data: {'tls.crt': SECRET_MARK, 'tls.key': SECRET_MARK}})
    if (/^\/api\/v1\/namespaces\/[^/?]+$/.test(u)) return json(200, {kind: 'Namespace', metadata: {name: 'shop'}})
    const resource = u.split('?')[0]?.split('/').at(-1) ?? ''
    if (!(resource in LIST_KINDS)) return json(404, {kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found'})
    const items = resource === 'ingresses' ? [INGRESS] : resource === 'ingressclasses' ? [{apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: {name: 'vipctl'}, spec: {controller: 'vipctl.io/ingress-controller'}}] : []
    json(200, {kind: `${LIST_KINDS[resource]}List`, metadata: {resourceVersion: '1'}, items})
  }
}

async function listen(s: https.Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`
}

before(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', KEY, '-out', CERT, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {stdio: 'ignore'})
  const tls = {key: readFileSync(KEY), cert: readFileSync(CERT)}
  a = https.createServer(tls, api('a'))
  b = https.createServer(tls, api('b'))
  // Accepts, then never answers.
  hang = https.createServer(tls, () => undefined)
  ;[urlA, urlB, urlHang] = await Promise.all([listen(a), listen(b), listen(hang)])
})
after(async () => {
  hang.closeAllConnections()
  await Promise.all([a, b, hang].map((s) => new Promise<void>((r) => s.close(() => r()))))
  rmSync(TMP, {recursive: true, force: true})
})

/** A kubeconfig for `server` (trusting our CA unless `ca` is false), user with token kc-token, namespace shop. */
function kubeconfig(name: string, server: string, ca = true): string {
  const file = path.join(TMP, `${name}.kubeconfig`)
  const caLine = ca ? `, certificate-authority-data: ${readFileSync(CERT).toString('base64')}` : ''
  writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}"${caLine}}}]\nusers: [{name: u, user: {token: kc-token}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]\ncurrent-context: x\n`)
  return file
}

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  seen.length = 0
  return vipctl(args, {env: {HOME: TMP, KUBECONFIG: '', ...env}})
}

describe('kubectl client flags (built CLI, HTTPS API doubles)', function () {
  this.timeout(60_000)

  it('--as and --as-group (repeatable) become Impersonate-User and one Impersonate-Group per group on every request', async () => {
    const r = await run(['inspect', 'services', '-o', 'name', '--kubeconfig', kubeconfig('imp', urlA), '--as', 'jane', '--as-group', 'devs', '--as-group', 'ops'])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(seen.length > 3)
    for (const s of seen) {
      assert.equal(s.headers['impersonate-user'], 'jane', s.url)
      assert.equal(s.headers['impersonate-group'], 'devs, ops', s.url) // Node joins repeated headers with ", "
    }
    const plain = await run(['inspect', 'services', '-o', 'name', '--kubeconfig', kubeconfig('imp', urlA)])
    assert.equal(plain.code, 0, plain.stderr)
    assert.ok(seen.every((s) => s.headers['impersonate-user'] === undefined && s.headers['impersonate-group'] === undefined))
  })

  it('--as-group without --as, or an --as with a control character: exit 64, one line', async () => {
    for (const args of [['--as-group', 'devs'], ['--as', 'ja\nne']]) {
      const r = await run(['inspect', 'services', '--kubeconfig', kubeconfig('imp', urlA), ...args])
      assert.equal(r.code, 64, r.stderr)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.equal(seen.length, 0)
    }
  })

  it('--token replaces the kubeconfig user\'s credentials', async () => {
    const r = await run(['inspect', 'services', '-o', 'name', '--kubeconfig', kubeconfig('tok', urlA), '--token', 'flag-token'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual([...new Set(seen.map((s) => s.headers.authorization))], ['Bearer flag-token'])
  })

  it('--server sends every request to that server instead of the context\'s', async () => {
    const r = await run(['inspect', 'services', '-o', 'name', '--kubeconfig', kubeconfig('srv', urlA), '--server', urlB])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(seen.length > 0)
    assert.deepEqual([...new Set(seen.map((s) => s.server))], ['b'])
  })

  it('--server and --token with no kubeconfig at all (as kubectl allows); --insecure-skip-tls-verify warns once on stderr', async () => {
    const r = await run(['inspect', 'services', '-o', 'name', '-n', 'shop', '--server', urlB, '--token', 't0k', '--insecure-skip-tls-verify'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual([...new Set(seen.map((s) => `${s.server} ${s.headers.authorization}`))], ['b Bearer t0k'])
    const tlsWarnings = r.stderr.split('\n').filter((l) => l.includes('insecure-skip-tls-verify'))
    assert.deepEqual(tlsWarnings, ["warning: --insecure-skip-tls-verify: the API server's certificate is not checked; this connection could be intercepted"])
  })

  it('--insecure-skip-tls-verify: a server the kubeconfig cannot verify is a TLS error (69) without it, read with it', async () => {
    const cfg = kubeconfig('untrusted', urlA, false)
    const no = await run(['inspect', 'services', '-o', 'name', '--kubeconfig', cfg])
    assert.equal(no.code, 69, no.stderr)
    assert.match(no.stderr, /^error: TLS error talking to the API server/)
    const yes = await run(['inspect', 'services', '-o', 'name', '--kubeconfig', cfg, '--insecure-skip-tls-verify'])
    assert.equal(yes.code, 0, yes.stderr)
    assert.match(yes.stderr, /^warning: --insecure-skip-tls-verify/)
  })

  it('bad --server values are exit 64 naming the flag, a URL with credentials is refused without echoing them', async () => {
    for (const [server, re] of [
      ['ftp://127.0.0.1', /^error: --server "ftp:\/\/127\.0\.0\.1": expected an API server URL/],
      ['not a url', /^error: --server "not a url": expected/],
      ['https://admin:hunter2@127.0.0.1', /^error: --server: the URL carries credentials/],
    ] as Array<[string, RegExp]>) {
      const r = await run(['inspect', 'services', '--kubeconfig', kubeconfig('srv', urlA), '--server', server])
      assert.equal(r.code, 64, r.stderr)
      assert.match(r.stderr, re)
      assert.doesNotMatch(r.stderr, /hunter2/)
    }
    const empty = await run(['inspect', 'services', '--kubeconfig', kubeconfig('srv', urlA), '--token', ' '])
    assert.equal(empty.code, 64, empty.stderr)
    assert.match(empty.stderr, /^error: --token: empty$/m)
  })

  it('--request-timeout: a duration (300ms) cuts a server that never answers, exit 69 naming the flag', async () => {
    const started = Date.now()
    const r = await run(['inspect', 'services', '--kubeconfig', kubeconfig('hang', urlHang), '--request-timeout', '300ms'])
    assert.equal(r.code, 69, r.stderr)
    assert.match(r.stderr, /did not answer in time \(raise --request-timeout\)/)
    assert.ok(Date.now() - started < 15_000)
  })

  it('--request-timeout: bad values are exit 64 with one line; good ones (a bare number of seconds, 1m30s, 0) are taken', async () => {
    for (const bad of ['5x', '-1s', '1d', '25h', 'abc', '']) {
      const r = await run(['inspect', 'services', '--kubeconfig', kubeconfig('tok', urlA), '--request-timeout', bad])
      assert.equal(r.code, 64, `${bad}: ${r.stderr}`)
      assert.match(r.stderr, /^error: --request-timeout/)
      assert.equal(r.stderr.trim().split('\n').length, 1)
    }
    for (const good of ['5', '1m30s', '0', '500ms']) {
      const r = await run(['inspect', 'services', '-o', 'name', '--kubeconfig', kubeconfig('tok', urlA), '--request-timeout', good])
      assert.equal(r.code, 0, `${good}: ${r.stderr}`)
    }
  })

  it('-v 6 logs each request (method, URL, status, time) on stderr; stdout is unchanged', async () => {
    const r = await run(['inspect', 'services', '-o', 'name', '--kubeconfig', kubeconfig('tok', urlA), '-v', '6'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '')
    const port = new URL(urlA).port
    assert.match(r.stderr, new RegExp(`^GET https://127\\.0\\.0\\.1:${port}/api/v1/namespaces/shop/services\\?limit=500 200 OK in \\d+ milliseconds$`, 'm'))
    assert.match(r.stderr, /^GET \S+\/secrets\/tls 200 OK in \d+ milliseconds$/m)
    assert.doesNotMatch(r.stderr, /Request Headers|Response Body|kc-token/)
    // --v=6 is the same flag (kubectl's spelling).
    const long = await run(['inspect', 'services', '-o', 'name', '--kubeconfig', kubeconfig('tok', urlA), '--v=6'])
    assert.match(long.stderr, /services\?limit=500 200 OK/)
  })

  it('-v 9 shows headers and bodies, but Authorization is masked and a Secret\'s body is never shown', async () => {
    const r = await run(['inspect', 'ingresses', '-o', 'name', '--kubeconfig', kubeconfig('tok', urlA), '--token', 'flag-token', '--as', 'jane', '-v', '9'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /^ {4}Authorization: Bearer <masked>$/m)
    assert.match(r.stderr, /^ {4}Impersonate-User: jane$/m)
    assert.match(r.stderr, /^Response Body: \{"kind":"IngressList"/m)
    assert.match(r.stderr, /^Response Body: \(\d+ bytes of a Secret, not shown\)$/m)
    assert.doesNotMatch(r.stderr, /flag-token|kc-token/)
    assert.ok(!r.stderr.includes(SECRET_MARK), 'Secret data in the -v output')
    assert.ok(!r.stdout.includes(SECRET_MARK))
  })

  it('no kubeconfig anywhere: exit 69, "no kubeconfig found (looked in ...)" naming each place', async () => {
    const r = await run(['inspect', 'services'], {KUBECONFIG: '', HOME: TMP, KUBERNETES_SERVICE_HOST: ''})
    assert.equal(r.code, 69, r.stderr)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, new RegExp(`^error: no kubeconfig found \\(looked in \\$KUBECONFIG \\(not set\\), ${TMP.replace(/[.]/g, '\\.')}/\\.kube/config \\(no such file\\), in-cluster \\(\\$KUBERNETES_SERVICE_HOST not set\\)\\)`))
    assert.doesNotMatch(r.stderr, /malformed/)
    // $KUBECONFIG naming only files that do not exist: the same (kubectl skips missing files), naming them.
    const missing = await run(['check'], {KUBECONFIG: path.join(TMP, 'nope1'), HOME: TMP})
    assert.equal(missing.code, 69, missing.stderr)
    assert.match(missing.stderr, /^error: no kubeconfig found \(looked in \$KUBECONFIG \(\S*nope1: no such file\), in-cluster/)
  })

  it('$KUBECONFIG with a missing file and a good one: the good one is used (as kubectl)', async () => {
    const r = await run(['inspect', 'services', '-o', 'name'], {KUBECONFIG: `${path.join(TMP, 'nope1')}:${kubeconfig('tok', urlA)}`})
    assert.equal(r.code, 0, r.stderr)
    assert.ok(seen.length > 0)
  })

  it('cluster flags with -f are exit 64 (nothing would use them)', async () => {
    for (const flag of [['--token', 'x'], ['--server', urlA], ['--as', 'jane'], ['--insecure-skip-tls-verify']]) {
      const r = await run(['inspect', 'services', '-f', 'examples/shop', ...flag])
      assert.equal(r.code, 64, r.stderr)
      assert.match(r.stderr, new RegExp(`^error: ${flag[0]} is for reading a cluster, and -f reads manifests`))
    }
    // --request-timeout and -v do no harm with -f.
    assert.equal((await run(['inspect', 'services', '-f', 'examples/shop', '-o', 'name', '--request-timeout', '5s', '-v', '6'])).code, 0)
  })

  it('install --dry-run=server sends every server-side apply with dryRun=All; --dry-run (client) sends nothing', async () => {
    const cfg = kubeconfig('tok', urlA)
    const server = await run(['install', '--dry-run=server', '--kubeconfig', cfg, '-o', 'json'])
    assert.equal(server.code, 2, server.stderr) // everything would be created
    const patches = seen.filter((s) => s.method === 'PATCH')
    assert.ok(patches.length > 5)
    for (const p of patches) assert.equal(new URL(p.url, urlA).searchParams.get('dryRun'), 'All', p.url)
    assert.equal(JSON.parse(server.stdout).dryRun, true)
    // A bare --dry-run with --apply (once the server-side diff) is refused, before any request.
    const bare = await run(['install', '--apply', '--dry-run', '--kubeconfig', cfg])
    assert.equal(bare.code, 64, bare.stderr)
    assert.equal(seen.length, 0, '--apply --dry-run sent requests')
    for (const args of [['--dry-run'], ['--apply', '--dry-run=client'], ['--dry-run', 'client']]) {
      const client = await run(['install', ...args, '--kubeconfig', cfg])
      assert.equal(client.code, 0, client.stderr)
      assert.equal(seen.length, 0, `${args.join(' ')} sent requests`)
      assert.match(client.stdout, /^---\napiVersion: v1\nkind: Namespace/)
    }
    const real = await run(['install', '--apply', '--kubeconfig', cfg, '-o', 'json'])
    assert.equal(real.code, 0, real.stderr)
    assert.ok(seen.filter((s) => s.method === 'PATCH').every((s) => new URL(s.url, urlA).searchParams.get('dryRun') === null))
  })
})
