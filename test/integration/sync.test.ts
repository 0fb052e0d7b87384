/**
 * vipctl sync against the real API server (through a fault-injecting relay) and
 * a real HAProxy in a network-namespace lab (Pod IPs must not be loopback for the
 * EndpointSlice controller, so Pods live in namespaces of their own): scaling is runtime-only, a new Ingress is one reload, faults
 * (cut streams, 410 Gone, 5xx, 429 + Retry-After, silent streams, and a burst of
 * 100) end with the proxy identical to a fresh render, a poison Ingress among
 * 1,000 is quarantined, and the RBAC `vipctl install` asks for is enough.
 */
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {api, cluster, collectionPath, create, createNamespace, createNode, readyStatus, waitForEndpointSlices, writePodStatus, type Cluster} from '../helpers/cluster.js'
import {ROOT, vipctl} from '../helpers/cli.js'
import {freePort, tempDirs} from '../helpers/haproxy.js'
import {haproxyInNode, labUp, type Lab} from '../helpers/netlab.js'
import {parseServersState, parseShowProc, sendRuntime} from '../../src/core/haproxy-runtime.js'
import {startRelay, type Relay} from '../helpers/relay.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function kubeconfig(server: string, token: string, insecure = false): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-sync-kc-')), 'kubeconfig')
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}"${insecure ? ', insecure-skip-tls-verify: true' : ''}}}]\nusers: [{name: u, user: {token: "${token}"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`,
  )
  return file
}

describe('vipctl sync (real API server through a fault relay, real HAProxy)', function () {
  this.timeout(300_000)
  let c: Cluster
  let ns: string
  let lab: Lab
  let stopProxy: (() => void) | undefined
  let master: string
  let relay: Relay
  let sync: ChildProcess
  let logs = ''
  let flags: string[]
  let listen: number
  let metricsUrl: string
  const pods = new Map<string, any>()

  const pod = async (name: string, ip: string, ready = true) => {
    const p = await create(c, {apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: ns, labels: {app: 'web'}}, spec: {nodeName: 'node-sync', containers: [{name: 'web', image: 'web'}]}, status: readyStatus(ip, ready)})
    pods.set(name, p)
  }
  const setReady = async (name: string, ready: boolean) => {
    const cur = (await api(c, 'GET', `${collectionPath('Pod', ns)}/${name}`)).body
    pods.set(name, await writePodStatus(c, cur, readyStatus(cur.status.podIP, ready)))
  }
  const metrics = async () => {
    const text = await fetch(`${metricsUrl}/metrics`).then((r) => r.text())
    const m = new Map<string, number>()
    for (const l of text.split('\n')) if (l && !l.startsWith('#')) m.set(l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1)))
    return m
  }
  /** Polls `vipctl diff haproxy` from a fresh list (admin, straight to the API server) until it has nothing to do. */
  const converged = async (timeoutMs = 10_000): Promise<number> => {
    const start = Date.now()
    let last = ''
    while (Date.now() - start < timeoutMs) {
      const d = await vipctl(['diff', 'haproxy', '--kubeconfig', c.kubeconfig, '-n', ns, ...flags])
      if (d.code === 0) return Date.now() - start
      last = d.stdout + d.stderr
      await sleep(200)
    }
    throw new Error(`not converged after ${timeoutMs} ms:\n${last}\n--- sync log:\n${logs.split('\n').slice(-30).join('\n')}`)
  }
  const get = (port: number, host: string) => lab.curl(`http://${lab.nodeIP}:${port}/`, host)
  const bodies = async (host: string, n: number) => {
    const seen = new Map<string, number>()
    for (let i = 0; i < n; i++) {
      const b = get(listen, host).body
      seen.set(b, (seen.get(b) ?? 0) + 1)
    }
    return seen
  }
  const showProc = async () => parseShowProc(await sendRuntime(master, 'show proc'))
  const IP = (i: number) => `10.244.70.${i}`

  before(async () => {
    c = await cluster()
    ns = await createNamespace(c, 'sync')
    await createNode(c, 'node-sync') // the EndpointSlice controller skips Pods on unknown Nodes
    const port = 8080
    lab = labUp([1, 2, 3, 4].map((i) => ({name: `web-${i}`, ip: IP(i), ports: [port]})), {prefix: `vs${process.pid % 100000}`})
    await create(c, {apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: {name: 'vipctl'}, spec: {controller: 'vipctl.io/ingress-controller'}})
    await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: ns}, spec: {selector: {app: 'web'}, ports: [{name: 'http', port: 80, targetPort: port}]}})
    await pod('web-1', IP(1))
    await pod('web-2', IP(2))
    await create(c, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {name: 'web', namespace: ns, annotations: {'vipctl.io/vip': '192.0.2.50'}},
      spec: {ingressClassName: 'vipctl', rules: [{host: 'web.test', http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]},
    })
    await waitForEndpointSlices(c, ns, 'web', (s) => s.flatMap((x: any) => x.endpoints ?? []).filter((e: any) => e.conditions?.ready).length === 2)
    relay = await startRelay(c.server)
    const dirs = tempDirs()
    listen = 21080
    flags = ['--config-dir', dirs.configDir, '--run-dir', dirs.runDir, '--listen-address', lab.nodeIP, '--listen-base-port', String(listen), '--metrics-address', `127.0.0.1:${await freePort()}`]
    const g = await vipctl(['generate', 'haproxy', '--kubeconfig', c.kubeconfig, '-n', ns, ...flags, '--out', dirs.configDir])
    assert.equal(g.code, 0, g.stderr)
    mkdirSync(dirs.runDir, {recursive: true})
    master = path.join(dirs.runDir, 'master.sock')
    stopProxy = haproxyInNode(lab, path.join(dirs.configDir, 'haproxy.cfg'), dirs.runDir).stop
    for (let i = 0; i < 100; i++) {
      const up = await sendRuntime(path.join(dirs.runDir, 'admin.sock'), 'show info').then(() => true, () => false)
      if (up) break
      await sleep(100)
    }
    const mport = await freePort()
    metricsUrl = `http://127.0.0.1:${mport}`
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
    delete env.NODE_OPTIONS
    sync = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), 'sync', '--kubeconfig', kubeconfig(relay.url, c.token, true), '-n', ns, ...flags, '--debounce', '20ms', '--min-reload-interval', '1s', '--watch-timeout', '2s', '--resync-period', '4s', '--sync-metrics-address', `127.0.0.1:${mport}`, '--log-format', 'json'], {env, stdio: ['ignore', 'pipe', 'pipe']})
    sync.stdout!.on('data', (d) => (logs += d))
    sync.stderr!.on('data', (d) => (logs += d))
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${metricsUrl}/readyz`).then((r) => r.status === 200, () => false)
      if (ok) break
      await sleep(100)
    }
    await converged()
  })

  after(async () => {
    sync?.kill('SIGTERM')
    await new Promise((r) => (sync?.exitCode !== null ? r(undefined) : sync.once('exit', r)))
    stopProxy?.()
    await relay?.close()
    lab?.down()
  })

  it('serves /healthz, /readyz and Prometheus metrics, and logs JSON lines without Secret data', async () => {
    assert.equal((await fetch(`${metricsUrl}/healthz`)).status, 200)
    assert.equal((await fetch(`${metricsUrl}/readyz`)).status, 200)
    const m = await metrics()
    assert.ok((m.get('vipctl_sync_relists_total{resource="services"}') ?? 0) >= 1)
    assert.ok(m.has('vipctl_sync_event_to_proxy_seconds_count'))
    for (const l of logs.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(l), l)
    assert.doesNotMatch(logs, /BEGIN|PRIVATE KEY|tls\.key/)
  })

  it('scales up and down at runtime only: 0 reloads, and no request reaches a removed Pod', async () => {
    await sleep(1200) // past --min-reload-interval of the first reconcile
    const before = await showProc()
    const reloads0 = (await metrics()).get('vipctl_sync_reloads_total') ?? 0
    await pod('web-3', IP(3))
    await converged()
    let seen = await bodies('web.test', 12)
    assert.ok(seen.has('web-3'), `the new Pod serves: ${[...seen.keys()]}`)
    await setReady('web-1', false)
    await converged()
    seen = await bodies('web.test', 60)
    assert.ok(!seen.has('web-1'), 'web-1 (not ready) got no request')
    assert.deepEqual([...seen.keys()].sort(), ['web-2', 'web-3'])
    await api(c, 'DELETE', `${collectionPath('Pod', ns)}/web-2?gracePeriodSeconds=0`)
    await converged()
    seen = await bodies('web.test', 30)
    assert.ok(!seen.has('web-2'), 'web-2 (deleted) got no request')
    assert.deepEqual([...seen.keys()].sort(), ['web-3'])
    const after = await showProc()
    assert.equal(after.reloads, before.reloads, 'no reload')
    assert.deepEqual(after.workers, before.workers)
    const m = await metrics()
    assert.equal(m.get('vipctl_sync_reloads_total') ?? 0, reloads0)
    assert.ok((m.get('vipctl_sync_runtime_updates_total') ?? 0) > 0)
    // Endpoint-only changes patch the last model (no build, no render); converged() above compared the files
    // written after them with a fresh render.
    assert.ok((m.get('vipctl_sync_endpoint_patches_total') ?? 0) >= 3, `endpoint patches: ${m.get('vipctl_sync_endpoint_patches_total')}\n${logs.split('\n').slice(-10).join('\n')}`)
    assert.match(logs, /"endpointOnly":true/)
    await setReady('web-1', true)
    await pod('web-2', IP(2))
    await converged()
  })

  it('a new Ingress is one reload, and its routes are live', async () => {
    const before = await showProc()
    await create(c, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {name: 'api', namespace: ns, annotations: {'vipctl.io/vip': '192.0.2.50'}},
      spec: {ingressClassName: 'vipctl', rules: [{host: 'api.test', http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]},
    })
    let r = get(listen, 'api.test')
    for (let i = 0; i < 50 && r.status !== 200; i++) {
      await sleep(100)
      r = get(listen, 'api.test')
    }
    assert.equal(r.status, 200)
    assert.match(r.body, /^web-/)
    await sleep(1500)
    assert.equal((await showProc()).reloads, before.reloads + 1, 'exactly one reload')
  })

  it('repairs drift without any API change: a server put in maintenance by hand is back after the periodic resync', async () => {
    const admin = path.join(path.dirname(master), 'admin.sock')
    const state = async () => parseServersState(await sendRuntime(admin, 'show servers state')).find((x) => x.address === IP(1))!
    const s = await state()
    assert.equal(s.enabled, true)
    await sendRuntime(admin, `set server ${s.backend}/${s.server} state maint`)
    assert.equal((await state()).enabled, false, 'drifted by hand')
    const start = Date.now()
    while (!(await state()).enabled && Date.now() - start < 10_000) await sleep(200)
    assert.equal((await state()).enabled, true, 'the resync (every 4 s here) put it back')
  })

  const faults: Array<[string, () => void | Promise<void>]> = [
    ['connections cut mid-stream', () => relay.cut()],
    ['410 Gone on the next watches (compaction)', () => (relay.expire(6), relay.cut())],
    ['500 from the API server', () => (relay.fail(4, 500), relay.cut())],
    ['429 with Retry-After', () => (relay.fail(3, 429, 1), relay.cut())],
    ['a silent stream (watchdog)', () => relay.silence(true)],
  ]

  for (const [name, inject] of faults) {
    it(`recovers from ${name}: the proxy equals a fresh render`, async () => {
      const sum = (m: Map<string, number>, prefix: string) => [...m.entries()].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0)
      const m0 = await metrics()
      const restarts0 = sum(m0, 'vipctl_sync_watch_restarts_total')
      await inject()
      // A change while the fault lasts.
      await setReady('web-3', false)
      if (name.includes('silent')) {
        await sleep(2500)
        relay.silence(false)
      }
      const ms = await converged(10_000)
      assert.ok(ms <= 10_000)
      const m1 = await metrics()
      assert.ok(sum(m1, 'vipctl_sync_watch_restarts_total') > restarts0, 'the watch was resumed')
      if (name.includes('410')) assert.ok(sum(m1, 'vipctl_sync_relists_total') > sum(m0, 'vipctl_sync_relists_total'), '410 Gone made it relist')
      if (name.includes('silent')) assert.ok(sum(m1, 'vipctl_sync_watch_restarts_total{reason="silent"') > sum(m0, 'vipctl_sync_watch_restarts_total{reason="silent"'), 'the watchdog cut the silent stream')
      await setReady('web-3', true)
      await converged(10_000)
    })
  }

  it('after 100 injected faults with changes in between, converges to a fresh render within 10 s', async () => {
    let seed = 7
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    // 410s seen (each one leads to a relist, which may itself meet an injected 5xx and be retried).
    const relists = async () => [...(await metrics()).entries()].filter(([k]) => k.startsWith('vipctl_sync_watch_restarts_total{reason="gone"')).reduce((a, [, v]) => a + v, 0)
    const relists0 = await relists()
    for (let i = 0; i < 100; i++) {
      const k = Math.floor(rand() * 5)
      if (k === 0) relay.cut()
      else if (k === 1) (relay.expire(1), relay.cut())
      else if (k === 2) relay.fail(1, 503)
      else if (k === 3) relay.fail(1, 429, 0)
      else relay.silence(rand() < 0.5)
      if (i % 4 === 0) await setReady('web-3', i % 8 === 0)
      await sleep(30)
    }
    relay.silence(false)
    await setReady('web-3', true)
    const ms = await converged(10_000)
    assert.ok(ms <= 10_000, `converged in ${ms} ms`)
    console.log(`      100 injected faults: converged to a fresh render ${ms} ms after the last one`)
    assert.ok((await relists()) > relists0, `some faults forced a relist (relay: ${relay.requests} requests, ${relay.watches} watches)\n${logs.split('\n').slice(-15).join('\n')}`)
  })

  it('a poison Ingress among 1,000 good ones: 1,000 routes live, one quarantined', async () => {
    const ing = (name: string, host: string, p = '/') => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {name, namespace: ns, annotations: {'vipctl.io/vip': '192.0.2.51'}},
      spec: {ingressClassName: 'vipctl', rules: [{host, http: {paths: [{path: p, pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]},
    })
    const all = Array.from({length: 1000}, (_, i) => ing(`bulk-${i}`, `h${i}.bulk.test`))
    all.splice(500, 0, ing('poison', 'poison.bulk.test', '/x%[hdr(host)]'))
    for (let i = 0; i < all.length; i += 25) await Promise.all(all.slice(i, i + 25).map((o) => create(c, o)))
    await converged(60_000)
    const exact = readFileSync(path.join(flags[1]!, 'maps', 'http_192-0-2-51_80.exact.map'), 'utf8').trim().split('\n')
    assert.equal(exact.length, 1000)
    assert.ok(!exact.some((l) => l.includes('poison')))
    assert.equal((await metrics()).get('vipctl_sync_quarantined_objects'), 1)
    assert.match(logs, /"msg":"object quarantined: left out until fixed","object":"Ingress\/[^"]+\/poison"/)
    // The listener for .51 is the next port after .50's.
    const port = listen + 1
    for (const i of [0, 499, 999]) assert.equal(get(port, `h${i}.bulk.test`).status, 200)
    await api(c, 'DELETE', `${collectionPath('Ingress', ns)}/poison`)
    for (let i = 0; i < all.length; i += 50) await Promise.all(all.slice(i, i + 50).map((o) => api(c, 'DELETE', `${collectionPath('Ingress', ns)}/${o.metadata.name}`)))
    await converged(30_000)
  })

  it('runs green under exactly the RBAC that `vipctl install` applies (its ServiceAccount token)', async () => {
    const installNs = `vipctl-it-${process.pid}`
    const r = await vipctl(['install', '--apply', '--kubeconfig', c.kubeconfig, '-n', installNs])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /clusterrole\/vipctl-sync (created|unchanged|configured)/)
    const tr = await api(c, 'POST', `/api/v1/namespaces/${installNs}/serviceaccounts/vipctl/token`, {apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {expirationSeconds: 600}})
    assert.equal(tr.status, 201, JSON.stringify(tr.body))
    const token = tr.body.status.token as string
    const once = await vipctl(['sync', '--once', '--kubeconfig', kubeconfig(c.server, token, true), '-n', ns, ...flags, '-o', 'json'])
    assert.equal(once.code, 0, once.stderr)
    assert.equal(JSON.parse(once.stdout).result, 'none')
    // Least privilege: Secrets can be read by name, never listed or watched; nothing can be written.
    assert.equal((await api(c, 'GET', `/api/v1/secrets`, undefined, token)).status, 403)
    assert.equal((await api(c, 'GET', `/api/v1/namespaces/${ns}/secrets?watch=1`, undefined, token)).status, 403)
    assert.equal((await api(c, 'DELETE', `${collectionPath('Pod', ns)}/web-1`, undefined, token)).status, 403)
    // A second apply changes nothing; the dry run says so with exit 0.
    const again = await vipctl(['install', '--dry-run=server', '--kubeconfig', c.kubeconfig, '-n', installNs])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.doesNotMatch(again.stdout, /created|configured/)
  })
})
