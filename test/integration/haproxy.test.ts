/**
 * vipctl against a real HAProxy 2.6 in master-worker mode on loopback, with
 * real HTTP backends on 127.0.0.x: routing, runtime endpoint changes without a
 * reload, hitless reloads under load, rejected configs, rollback, a dead proxy.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {vipctl} from '../helpers/cli.js'
import {freePort, freePortRange, get, showProc, startBackend, startHaproxy, tempDirs, type Backend, type Proxy} from '../helpers/haproxy.js'

interface Spec {
  web: Backend[]
  api: Backend[]
  /** Extra Ingress rules (YAML list items) on host a.test. */
  extraHosts?: string[]
  extraDocs?: string
}

function manifests(s: Spec): string {
  const slice = (svc: string, bs: Backend[]) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${svc}-1, namespace: t, labels: {kubernetes.io/service-name: ${svc}}}
addressType: IPv4
ports: [{name: http, port: ${bs[0]?.port ?? 1}}]
endpoints:
${bs.map((b) => `  - addresses: [${b.address}]\n    conditions: {ready: true}\n    targetRef: {kind: Pod, name: ${b.name}}`).join('\n') || '  []'}
`
  const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: t}\nspec: {ports: [{name: http, port: 80}]}\n`
  const path_ = (p: string, type: string, svcName: string) => `{path: ${p}, pathType: ${type}, backend: {service: {name: ${svcName}, port: {number: 80}}}}`
  const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: main, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1}}
spec:
  ingressClassName: vipctl
  rules:
    - host: a.test
      http: {paths: [${path_('/', 'Prefix', 'web')}, ${path_('/api', 'Prefix', 'api')}, ${path_('/exact', 'Exact', 'api')}]}
    - host: "*.wild.test"
      http: {paths: [${path_('/', 'Prefix', 'api')}]}
${(s.extraHosts ?? []).map((h) => `    - host: ${h}\n      http: {paths: [${path_('/', 'Prefix', 'api')}]}`).join('\n')}
`
  return [svc('web'), svc('api'), slice('web', s.web), slice('api', s.api), ingress, s.extraDocs ?? ''].filter(Boolean).join('---\n')
}

describe('HAProxy data plane (real HAProxy)', function () {
  this.timeout(60_000)
  let backends: Backend[] = []
  let proxy: Proxy
  let dirs: ReturnType<typeof tempDirs>
  let port: number
  let flags: string[]
  let manifestFile: string

  const write = (s: Spec) => writeFileSync(manifestFile, manifests(s))
  const apply = (...extra: string[]) => vipctl(['apply', 'haproxy', '-f', manifestFile, ...flags, '--yes', '-o', 'json', ...extra])
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex')

  before(async () => {
    execFileSync('haproxy', ['-v']) // the suite's install step provides it; fail loudly if absent
    // Endpoints of a slice share one port: one port number on distinct loopback addresses.
    const shared = await freePort('127.0.0.11')
    backends = await Promise.all(['web-1', 'web-2', 'web-3', 'api-1'].map((n, i) => startBackend(n, `127.0.0.${11 + i}`, shared)))
    dirs = tempDirs()
    port = await freePortRange(8)
    const metrics = await freePort()
    flags = ['--config-dir', dirs.configDir, '--run-dir', dirs.runDir, '--listen-address', '127.0.0.1', '--listen-base-port', String(port), '--metrics-address', `127.0.0.1:${metrics}`]
    manifestFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-m-')), 'm.yaml')
    write({web: backends.slice(0, 2), api: backends.slice(3)})
    const g = await vipctl(['generate', 'haproxy', '-f', manifestFile, ...flags, '--out', dirs.configDir])
    assert.equal(g.code, 0, g.stderr)
    execFileSync('mkdir', ['-p', dirs.runDir])
    proxy = await startHaproxy(dirs)
  })

  after(async () => {
    await proxy?.stop()
    await Promise.all(backends.map((b) => b.close()))
  })

  it('routes by host and path with Kubernetes semantics, round-robin across endpoints', async () => {
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) seen.add((await get(port, 'a.test', '/')).body)
    assert.deepEqual([...seen].sort(), ['web-1', 'web-2'])
    assert.equal((await get(port, 'A.TEST:80', '/api/v1')).body, 'api-1') // case and port in Host ignored
    assert.equal((await get(port, 'a.test', '/api')).body, 'api-1')
    assert.match((await get(port, 'a.test', '/apix')).body, /^web-/) // Prefix matches whole path elements
    assert.equal((await get(port, 'a.test', '/exact')).body, 'api-1')
    assert.match((await get(port, 'a.test', '/exact/more')).body, /^web-/) // Exact is exact
    assert.equal((await get(port, 'x.wild.test', '/')).body, 'api-1') // one-label wildcard
    assert.equal((await get(port, 'x.y.wild.test', '/')).status, 404) // not two labels
    assert.equal((await get(port, 'nobody.test', '/')).status, 404)
  })

  it('diff reports nothing to do (exit 0) when the running config matches', async () => {
    const r = await vipctl(['diff', 'haproxy', '-f', manifestFile, ...flags])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /up to date/)
  })

  it('applies endpoint-only changes through the runtime API without a reload', async () => {
    const before = await showProc(proxy)
    write({web: [backends[1]!, backends[2]!], api: backends.slice(3)}) // web-1 out, web-3 in
    const d = await vipctl(['diff', 'haproxy', '-f', manifestFile, ...flags])
    assert.equal(d.code, 2)
    assert.match(d.stdout, /runtime update, no reload/)
    const r = await apply()
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.equal(out.outcome.applied, 'runtime')
    assert.ok(out.outcome.commands >= 3)
    const after = await showProc(proxy)
    assert.deepEqual(after.workers, before.workers)
    assert.equal(after.reloads, before.reloads)
    const seen = new Set<string>()
    for (let i = 0; i < 8; i++) seen.add((await get(port, 'a.test', '/')).body)
    assert.deepEqual([...seen].sort(), ['web-2', 'web-3'])
    // The file follows, so a later reload keeps the change; and a second apply has nothing to do.
    assert.match(readFileSync(path.join(dirs.configDir, 'haproxy.cfg'), 'utf8'), new RegExp(`127\\.0\\.0\\.13:${backends[2]!.port}`))
    assert.equal(JSON.parse((await apply()).stdout).outcome.applied, 'none')
  })

  it('reloads for a structural change with 0 failed requests under a bounded load', async () => {
    const before = await showProc(proxy)
    const agent = new http.Agent({keepAlive: true, maxSockets: 8})
    let ok = 0
    let failed = 0
    let stop = false
    const deadline = Date.now() + 8000
    const worker = async () => {
      while (!stop && ok + failed < 4000 && Date.now() < deadline) {
        const r = await get(port, 'a.test', '/', agent)
        if (r.status === 200) ok++
        else failed++
      }
    }
    const load = Promise.all(Array.from({length: 8}, worker))
    await new Promise((r) => setTimeout(r, 300))
    write({web: [backends[1]!, backends[2]!], api: backends.slice(3), extraHosts: ['b.test']})
    const r = await apply()
    await new Promise((r2) => setTimeout(r2, 300))
    stop = true
    await load
    agent.destroy()
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).outcome.applied, 'reload')
    const after = await showProc(proxy)
    assert.equal(after.reloads, before.reloads + 1)
    assert.ok(ok > 50, `only ${ok} requests completed`)
    assert.equal(failed, 0, `${failed} of ${ok + failed} requests failed during the reload`)
    assert.equal((await get(port, 'b.test', '/')).body, 'api-1')
  })

  it('a TLS Secret HAProxy would refuse (512-bit key) is a finding on its Ingress; everything else is applied and serves', async () => {
    const key = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-weak-')), 'k')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:512', '-nodes', '-days', '30', '-subj', '/CN=b.test', '-keyout', `${key}.key`, '-out', `${key}.crt`], {stdio: 'ignore'})
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: weak, namespace: t}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${readFileSync(`${key}.crt`).toString('base64')}\n  tls.key: ${readFileSync(`${key}.key`).toString('base64')}\n`
    const tlsIngress = `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: tls, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1}}\nspec:\n  ingressClassName: vipctl\n  tls: [{hosts: [b.test], secretName: weak}]\n  rules: [{host: b.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}}]\n`
    const cfg = path.join(dirs.configDir, 'haproxy.cfg')
    write({web: [backends[1]!, backends[2]!], api: backends.slice(3), extraHosts: ['b.test'], extraDocs: `${secret}---\n${tlsIngress}`})
    const r = await vipctl(['apply', 'haproxy', '-f', manifestFile, ...flags, '--yes'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stderr, /Ingress\/t\/tls spec\.tls\[0\]\.secretName: .*RSA key of 512 bits.*\[VIP2004\]/)
    assert.doesNotMatch(readFileSync(cfg, 'utf8'), /ssl crt-list/)
    assert.equal((await get(port, 'b.test', '/')).body, 'api-1')
    write({web: [backends[1]!, backends[2]!], api: backends.slice(3), extraHosts: ['b.test']})
  })

  it('a reload that fails after the write is rolled back, and says so (exit 69)', async () => {
    const cfg = path.join(dirs.configDir, 'haproxy.cfg')
    const beforeCfg = readFileSync(cfg, 'utf8')
    // A second VIP adds a frontend on the next port, which something else already holds: only the reload can find out.
    const blocker = net.createServer()
    await new Promise<void>((r) => blocker.listen(port + 1, '127.0.0.1', r))
    const second = `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: second, namespace: t, annotations: {vipctl.io/vip: 192.0.2.2}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: c.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}}]\n`
    write({web: [backends[1]!, backends[2]!], api: backends.slice(3), extraHosts: ['b.test'], extraDocs: second})
    try {
      const r = await vipctl(['apply', 'haproxy', '-f', manifestFile, ...flags, '--yes'], {timeoutMs: 40_000})
      assert.equal(r.code, 69, r.stdout + r.stderr)
      assert.match(r.stderr, /reload failed: .*restored the previous configuration/)
      assert.equal(readFileSync(cfg, 'utf8'), beforeCfg)
      assert.equal((await get(port, 'b.test', '/')).body, 'api-1')
    } finally {
      await new Promise((r) => blocker.close(r))
      write({web: [backends[1]!, backends[2]!], api: backends.slice(3), extraHosts: ['b.test']})
    }
  })

  it('--dry-run changes nothing; without a terminal and without --yes it refuses (exit 64)', async () => {
    write({web: backends.slice(0, 3), api: backends.slice(3), extraHosts: ['b.test']})
    const cfg = path.join(dirs.configDir, 'haproxy.cfg')
    const before = sha(cfg)
    const dry = await vipctl(['apply', 'haproxy', '-f', manifestFile, ...flags, '--dry-run'])
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /dry run: nothing was changed/)
    const refused = await vipctl(['apply', 'haproxy', '-f', manifestFile, ...flags])
    assert.equal(refused.code, 64)
    assert.match(refused.stderr, /refusing to apply without confirmation/)
    assert.equal(sha(cfg), before)
  })

  it('HAProxy killed: exit 69 with a clear message, nothing written', async () => {
    await proxy.stop()
    const cfg = path.join(dirs.configDir, 'haproxy.cfg')
    const before = sha(cfg)
    const r = await vipctl(['apply', 'haproxy', '-f', manifestFile, ...flags, '--yes', '--json'])
    assert.equal(r.code, 69, r.stdout + r.stderr)
    const status = JSON.parse(r.stdout)
    assert.equal(status.kind, 'Status')
    assert.match(status.message, /HAProxy socket .*admin\.sock (does not exist: is HAProxy running\?|refused the connection)/)
    assert.equal(sha(cfg), before)
  })
})
