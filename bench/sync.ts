// vipctl sync at scale: time from an EndpointSlice change at the API server to HAProxy's runtime state.
// A real control plane (test/cluster), a real HAProxy in a network namespace of its own (its health checks never
// leave it), `vipctl sync` as a user runs it (defaults: --debounce 50ms). For each size: N Services without
// selectors, each with one EndpointSlice of 10 endpoints (N x 10 endpoints) and a host rule on one of N/100
// Ingresses; then a bounded series of endpoint readiness flips at a steady rate, each a PUT of one EndpointSlice.
//   t1 = the EndpointSlice event on our own watch (the API event), t2 = `show servers state <backend>` shows it
//   (polled every 2 ms). Reported: p50/p99 t1 -> t2, sync's CPU per change, its memory, reloads and model builds
//   during the series (both goal 0: every change is endpoint-only). Goal at 10,000 Services: p99 <= 100 ms.
// Prints numbers; asserts nothing. Needs root (network namespace), haproxy, and the test control plane (built by
// scripts/testcluster-build.sh, as the test suite does).
//   node --import tsx bench/sync.ts [--services 1000,10000] [--changes 200] [--rate 5]
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import https from 'node:https'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {api, cluster, collectionPath, create, createNamespace, stopCluster, type Cluster} from '../test/helpers/cluster.js'
import {freePort, tempDirs} from '../test/helpers/haproxy.js'
import {ROOT, vipctl} from '../test/helpers/cli.js'
import {parseServersState, parseShowProc, sendRuntime} from '../src/core/haproxy-runtime.js'

const args = process.argv.slice(2)
const opt = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : d)
const SIZES = opt('--services', '1000,10000').split(',').map(Number)
const CHANGES = Number(opt('--changes', '200'))
const RATE = Number(opt('--rate', '5'))
const PER_SERVICE = 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!
const CLK_TCK = 100
const sh = (cmd: string, a: string[]) => execFileSync(cmd, a, {stdio: ['ignore', 'pipe', 'pipe']})

/** Runs `fn` over 0..n-1 with `width` requests in flight. */
async function pool(n: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({length: width}, async () => {
    while (next < n) await fn(next++)
  }))
}

const addr = (i: number, j: number) => `10.${64 + ((i >> 8) & 63)}.${i & 255}.${j + 1}`

function slice(ns: string, i: number, ready: boolean[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {name: `svc-${i}-a`, namespace: ns, labels: {'kubernetes.io/service-name': `svc-${i}`, 'endpointslice.kubernetes.io/managed-by': 'bench.vipctl.io'}},
    addressType: 'IPv4',
    ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
    endpoints: ready.map((r, j) => ({addresses: [addr(i, j)], conditions: {ready: r}})),
  }
}

async function populate(c: Cluster, ns: string, n: number): Promise<void> {
  const t0 = performance.now()
  await pool(n, 16, async (i) => {
    const svc = await api(c, 'POST', collectionPath('Service', ns), {apiVersion: 'v1', kind: 'Service', metadata: {name: `svc-${i}`, namespace: ns}, spec: {ports: [{name: 'http', port: 80, targetPort: 8080}]}})
    if (svc.status !== 201) throw new Error(`Service svc-${i}: HTTP ${svc.status}`)
    const s = await api(c, 'POST', collectionPath('EndpointSlice', ns), slice(ns, i, new Array(PER_SERVICE).fill(true)))
    if (s.status !== 201) throw new Error(`EndpointSlice svc-${i}-a: HTTP ${s.status}`)
  })
  await pool(Math.ceil(n / 100), 4, async (k) => {
    const rules = []
    for (let i = k * 100; i < Math.min(n, (k + 1) * 100); i++) rules.push({host: `s${i}.bench.test`, http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: `svc-${i}`, port: {number: 80}}}}]}})
    const r = await api(c, 'POST', collectionPath('Ingress', ns), {apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name: `ing-${k}`, namespace: ns, annotations: {'vipctl.io/vip': '192.0.2.70'}}, spec: {ingressClassName: 'vipctl', rules}})
    if (r.status !== 201) throw new Error(`Ingress ing-${k}: HTTP ${r.status}`)
  })
  console.log(`    created ${n} Services, ${n} EndpointSlices (${n * PER_SERVICE} endpoints), ${Math.ceil(n / 100)} Ingresses in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}

function procStat(pid: number): {cpuMs: number; rssMB: number; hwmMB: number} {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const cpuMs = ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
  return {cpuMs, rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024}
}

async function runSize(c: Cluster, n: number): Promise<void> {
  console.log(`\n${n} Services / ${n * PER_SERVICE} endpoints:`)
  const ns = await createNamespace(c, `bench${n}`)
  await populate(c, ns, n)
  const dirs = tempDirs()
  const netns = `vbs${process.pid % 10000}${n % 100000}`
  const children: ChildProcess[] = []
  const cleanup = () => {
    for (const ch of children) if (ch.exitCode === null) ch.kill('SIGKILL')
    try {
      sh('ip', ['netns', 'del', netns])
    } catch {}
  }
  process.once('SIGINT', () => (cleanup(), process.exit(130)))
  try {
    // HAProxy listens and checks inside its own namespace: nothing it does reaches the host's network.
    sh('ip', ['netns', 'add', netns])
    sh('ip', ['-n', netns, 'link', 'set', 'lo', 'up'])
    const flags = ['--config-dir', dirs.configDir, '--run-dir', dirs.runDir, '--listen-address', '127.0.0.1', '--listen-base-port', '20000', '--metrics-address', '127.0.0.1:19999']
    let t0 = performance.now()
    const g = await vipctl(['generate', 'haproxy', '--kubeconfig', c.kubeconfig, '-n', ns, ...flags, '--out', dirs.configDir], {timeoutMs: 600_000})
    if (g.code !== 0) throw new Error(g.stderr)
    console.log(`    vipctl generate haproxy (live, whole cluster): ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    mkdirSync(dirs.runDir, {recursive: true})
    const master = path.join(dirs.runDir, 'master.sock')
    const admin = path.join(dirs.runDir, 'admin.sock')
    // This machine's hard limit on open files (ulimit -Hn) may be below what HAProxy wants for N x 14 servers
    // with health checks (one descriptor each): a global section of the bench's own lets it start with the
    // limit it has (a node's container runtime usually allows 1,048,576).
    const extra = path.join(dirs.dir, 'bench-global.cfg')
    writeFileSync(extra, 'global\n    no strict-limits\n')
    const proxy = spawn('ip', ['netns', 'exec', netns, 'haproxy', '-W', '-S', `${master},mode,600`, '-f', extra, '-f', path.join(dirs.configDir, 'haproxy.cfg')], {stdio: ['ignore', 'ignore', 'pipe']})
    children.push(proxy)
    let plog = ''
    proxy.stderr!.on('data', (d) => (plog = (plog + d).slice(-2000)))
    for (let i = 0; i < 600; i++) {
      if (await sendRuntime(admin, 'show info').then(() => true, () => false)) break
      if (proxy.exitCode !== null) throw new Error(`haproxy exited: ${plog}`)
      await sleep(100)
    }
    const mport = await freePort()
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
    delete env.NODE_OPTIONS
    t0 = performance.now()
    const sync = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), 'sync', '--kubeconfig', c.kubeconfig, '-n', ns, ...flags, '--metrics-addr', `127.0.0.1:${mport}`, '--log-format', 'json'], {env, stdio: ['ignore', 'ignore', 'pipe']})
    children.push(sync)
    let slog = ''
    sync.stderr!.on('data', (d) => (slog = (slog + d).slice(-4000)))
    const whyFull: string[] = []
    sync.stderr!.on('data', (d) => {
      for (const l of String(d).split('\n')) if (l.includes('full reconcile') || l.includes('reloaded') || l.includes('caches synced') || l.includes('"level":"error"') || l.includes('"level":"warn"')) whyFull.push(l.slice(0, 300))
    })
    let up = false
    for (let i = 0; i < 3000 && !up; i++) {
      up = await fetch(`http://127.0.0.1:${mport}/readyz`).then((r) => r.status === 200, () => false)
      if (sync.exitCode !== null) throw new Error(`sync exited: ${slog}`)
      if (!up) await sleep(100)
    }
    if (!up) throw new Error(`sync not ready after 300 s: ${slog}`)
    console.log(`    vipctl sync ready (lists, first full reconcile) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    // Steady state: no full reconcile for 10 s (the first one's files flush; the status it writes comes back as
    // Ingress events, each batch a full reconcile), at most 180 s.
    for (let i = 0, last = -1, since = Date.now(); i < 1800; i++) {
      const text = await fetch(`http://127.0.0.1:${mport}/metrics`).then((r) => r.text())
      const builds = Number(/^vipctl_sync_model_builds_total (\S+)$/m.exec(text)?.[1] ?? 0)
      if (builds !== last) [last, since] = [builds, Date.now()]
      else if (Date.now() - since >= 10_000) break
      await sleep(100)
    }

    // Backend of each Service, from vipctl's index (HAProxy names back to Kubernetes objects).
    const index = JSON.parse(readFileSync(path.join(dirs.configDir, 'vipctl-index.json'), 'utf8')) as {backends: Record<string, {service: string}>}
    const backendOf = new Map(Object.entries(index.backends).map(([b, v]) => [v.service, b]))

    // Our own watch on the EndpointSlices: when the API server says a slice changed (its resourceVersion).
    const seenAt = new Map<string, number>()
    const list = await api(c, 'GET', collectionPath('EndpointSlice', ns) + '?limit=1')
    const watch = https.request(new URL(`${collectionPath('EndpointSlice', ns)}?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`, c.server), {rejectUnauthorized: false, headers: {Authorization: `Bearer ${c.token}`}}, (res) => {
      let buf = ''
      res.on('data', (d) => {
        buf += d
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const ev = JSON.parse(buf.slice(0, i))
          buf = buf.slice(i + 1)
          const rv = ev.object?.metadata?.resourceVersion
          if (rv && !seenAt.has(rv)) seenAt.set(rv, performance.now())
        }
      })
    })
    watch.on('error', () => {})
    watch.end()
    await sleep(500)

    const metrics = async () => {
      const text = await fetch(`http://127.0.0.1:${mport}/metrics`).then((r) => r.text())
      return (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0)
    }
    const m0 = await metrics()
    const p0 = parseShowProc(await sendRuntime(master, 'show proc'))
    const cpu0 = procStat(sync.pid!)
    const ready = new Map<number, boolean[]>()
    const lat: number[] = []
    let missed = 0
    let seed = 12345
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    for (let k = 0; k < CHANGES; k++) {
      const started = performance.now()
      const i = Math.floor(rand() * n)
      const j = Math.floor(rand() * PER_SERVICE)
      const r = ready.get(i) ?? new Array(PER_SERVICE).fill(true)
      r[j] = !r[j]
      ready.set(i, r)
      const cur = (await api(c, 'GET', `${collectionPath('EndpointSlice', ns)}/svc-${i}-a`)).body
      const put = await api(c, 'PUT', `${collectionPath('EndpointSlice', ns)}/svc-${i}-a`, {...slice(ns, i, r), metadata: {...slice(ns, i, r).metadata, resourceVersion: cur.metadata.resourceVersion}})
      if (put.status !== 200) throw new Error(`PUT slice: HTTP ${put.status}`)
      const rv = put.body.metadata.resourceVersion as string
      const backend = backendOf.get(`svc-${i}`)!
      let t2 = 0
      const deadline = performance.now() + 5000
      while (performance.now() < deadline) {
        const s = parseServersState(await sendRuntime(admin, `show servers state ${backend}`)).find((x) => x.address === addr(i, j))
        if (s && s.enabled === r[j]) {
          t2 = performance.now()
          break
        }
        await sleep(2)
      }
      const t1 = seenAt.get(rv)
      if (!t2 || t1 === undefined) missed++
      else lat.push(Math.max(0, t2 - t1))
      await sleep(Math.max(0, 1000 / RATE - (performance.now() - started)))
    }
    const cpu1 = procStat(sync.pid!)
    const m1 = await metrics()
    const p1 = parseShowProc(await sendRuntime(master, 'show proc'))
    const f = (x: number) => `${x.toFixed(0)} ms`
    console.log(`    ${CHANGES} endpoint readiness changes at ${RATE}/s, each one EndpointSlice PUT:`)
    console.log(`      API event -> HAProxy runtime state: p50 ${f(pct(lat, 50))}  p99 ${f(pct(lat, 99))}  max ${f(Math.max(...lat))}  (n=${lat.length}, missed ${missed})   [goal p99 <= 100 ms at 10,000 Services]`)
    console.log(`      sync CPU per change: ${((cpu1.cpuMs - cpu0.cpuMs) / CHANGES).toFixed(1)} ms   sync memory: RSS ${cpu1.rssMB.toFixed(0)} MB, peak ${cpu1.hwmMB.toFixed(0)} MB`)
    console.log(`      reloads: ${p1.reloads - p0.reloads}   model builds: ${m1('vipctl_sync_model_builds_total') - m0('vipctl_sync_model_builds_total')}   endpoint patches: ${m1('vipctl_sync_endpoint_patches_total') - m0('vipctl_sync_endpoint_patches_total')}   [goal 0 reloads, 0 builds]`)
    if (process.env.BENCH_VERBOSE) for (const l of whyFull) console.log(`      log: ${l}`)
    watch.destroy()
    sync.kill('SIGTERM')
    await new Promise((r) => (sync.exitCode !== null ? r(undefined) : sync.once('exit', r)))
  } finally {
    cleanup()
  }
}

const c = await cluster()
try {
  await create(c, {apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: {name: 'vipctl'}, spec: {controller: 'vipctl.io/ingress-controller'}})
  console.log(`sync at scale (real API server, HAProxy in its own network namespace, vipctl sync defaults; ${CHANGES} changes at ${RATE}/s per size)`)
  for (const n of SIZES) await runSize(c, n)
} finally {
  await stopCluster()
}
