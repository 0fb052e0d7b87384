/**
 * bench/scaling: traffic while a Deployment scales. Constant-rate load through a VIP while Pods come and go every
 * --step seconds, under `vipctl sync` (bin/run.js, as a user runs it); errors (goal 0) and p99 latency against
 * the same rate with no scaling (goal <= 1.2x).
 *
 * Everything real and inside network namespaces this bench creates and removes (test/helpers/netlab.ts): the
 * test control plane (its EndpointSlice controller turns Pods into EndpointSlices), one origin per Pod (a tiny
 * HAProxy answering with the Pod's name) in a namespace of its own under the Pod's IP, vipctl's HAProxy in the
 * `node` namespace with the VIP bound there (vipctl apply vip --mode bind), and the open-loop constant-rate client
 * (bench/rate-client.ts) in the `client` namespace. We play the ReplicaSet and the kubelet:
 *   scale up    create the Pod (Running, not Ready), start its origin, wait until it answers (bench/prober.mjs,
 *               one process in the node namespace: an httpGet readiness probe), write Ready=True;
 *   scale down  graceful, as Kubernetes does it: DELETE with a grace period (the Pod is Terminating: its endpoint
 *               turns ready=false, terminating=true and the proxy drains it), the origin keeps serving for --drain
 *               seconds (a preStop sleep), then stops (soft stop: in-flight requests finish), and the Pod is removed
 *               (DELETE, grace 0, as the kubelet confirms);
 *               --abrupt adds a phase where the origin is stopped (SIGTERM, hard) at the same moment the Pod is
 *               deleted, with no drain: what an application without a preStop delay gets; and the same again with
 *               the Service annotated vipctl.io/retries: 2, vipctl.io/retry-on: connect-failure,empty-response.
 * The control plane runs at nice 10 (--control-plane-nice; it is on other machines in a cluster, here on the same two
 * cores). Each phase's details split the tail after a step, by kind of step, into until HAProxy serves the new set
 * (the API writes, the Pods starting, sync's first runtime commands) and the second after; --dump FILE writes every
 * request's due time and latency.
 * Phases: warm-up (discarded), steady --low Pods and steady --pods Pods (no scaling; together they are the
 * reference p99), scaling (--low <-> --pods every --step s, rotating which Pods stay so every server slot changes),
 * [abrupt]. Prints one table. Asserts nothing.
 *   node --import tsx bench/scaling.ts [--rate 200] [--duration 60] [--step 10] [--pods 6] [--low 2] [--drain 3] [--abrupt] [--control-plane-nice 10] [--dump FILE]
 * Needs root (network namespaces). Cleans up on exit and on SIGINT/SIGTERM.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import https from 'node:https'
import {createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {api, cluster, collectionPath, create, createNamespace, createNode, readyStatus, stopCluster, waitForEndpointSlices, writePodStatus, type Cluster} from '../test/helpers/cluster.js'
import {freePort} from '../test/helpers/haproxy.js'
import {haproxyInNode, labUp, type Lab} from '../test/helpers/netlab.js'
import {parseServersState, parseShowProc, sendRuntime} from '../src/core/haproxy-runtime.js'
import type {RateResult} from './rate-client.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const num = (name: string, d: number, min: number, max: number) => {
  const v = args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d
  if (!Number.isFinite(v) || v < min || v > max) throw new Error(`bench/scaling: ${name} must be a number from ${min} to ${max}`)
  return v
}
const RATE = num('--rate', 200, 1, 5000)
const DURATION = num('--duration', 60, 5, 600)
const STEP = num('--step', 10, 1, 120)
const PODS = num('--pods', 6, 2, 20)
const LOW = num('--low', 2, 1, PODS - 1)
const DRAIN = num('--drain', 3, 0, 30)
const CONNECTIONS = num('--connections', 64, 1, 1024)
const TIMEOUT = num('--timeout', 5000, 100, 30_000)
const ABRUPT = args.includes('--abrupt')
/** The control plane's nice value (0: as started). */
const CP_NICE = num('--control-plane-nice', 10, 0, 19)
/** --dump FILE: every phase's steps, transitions and samples as JSON, for a closer look at the tail. */
const DUMP = args.includes('--dump') ? args[args.indexOf('--dump') + 1] : undefined
if (args.includes('--dump') && (!DUMP || DUMP.startsWith('--'))) throw new Error('bench/scaling: --dump needs a file name')
const VIP = '192.0.2.60'
const HOST = 'web.test'
const PORT = 8080
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** The environment of the node processes we start (the prober, the client, vipctl): ours without NODE_OPTIONS. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, ...extra}
  delete env.NODE_OPTIONS
  return env
}
// Our kubelet's API connections stay open between steps, as a kubelet's do (Node's default agent closes a
// connection idle for 5 s, so every step paid new TLS handshakes on the cores being measured).
https.globalAgent = new https.Agent({keepAlive: true, timeout: 120_000})
const ip = (i: number) => `10.244.91.${i + 1}`
const podName = (i: number) => `web-${i}`

// ------------------------------------------------------------ everything we start, so that cleanup is complete
const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-scaling-'))
const origins = new Map<number, ChildProcess>()
let lab: Lab | undefined
let proxy: {stop: () => void} | undefined
let sync: ChildProcess | undefined
let client: ChildProcess | undefined
let watch: ReturnType<typeof https.request> | undefined
let cleaning: Promise<void> | undefined

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    client?.kill('SIGKILL')
    prober?.kill('SIGKILL')
    watch?.destroy()
    if (sync && sync.exitCode === null && sync.signalCode === null) {
      const s = sync
      const exited = new Promise((r) => s.once('exit', r))
      s.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
      if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL')
    }
    for (const o of origins.values()) o.kill('SIGKILL')
    proxy?.stop()
    lab?.down()
    await stopCluster().catch(() => undefined)
    rmSync(dir, {recursive: true, force: true})
  })()
  return cleaning
}
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    console.error(`\nbench/scaling: ${sig}: cleaning up`)
    void cleanup().finally(() => process.exit(130))
  })

// ------------------------------------------------------------ the kubelet and the ReplicaSet, played by us
let c: Cluster
let ns: string

function startOrigin(i: number): ChildProcess {
  const cfg = path.join(dir, `origin-${i}.cfg`)
  writeFileSync(
    cfg,
    `global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n    timeout http-keep-alive 30s\nfrontend origin\n    bind 0.0.0.0:${PORT}\n    http-request return status 200 content-type text/plain string ${podName(i)}\n`,
  )
  const child = spawn('ip', ['netns', 'exec', lab!.pods[i]!.ns, 'haproxy', '-db', '-f', cfg], {stdio: 'ignore'})
  origins.set(i, child)
  child.once('exit', () => origins.get(i) === child && origins.delete(i))
  return child
}

/**
 * The readiness probe: the origin answers, asked from the node namespace by bench/prober.mjs (one process
 * started once; an httpGet probe, any 2xx or 3xx, tried every 50 ms, at most 40 times: a kubelet tries every
 * periodSeconds, 1 s at least, so ours only finds the origin ready sooner).
 */
let prober: ChildProcess | undefined
const probes = new Map<string, Array<(ok: boolean) => void>>()
function startProber(): void {
  const child = spawn('ip', ['netns', 'exec', lab!.node, process.execPath, path.join(root, 'bench', 'prober.mjs')], {env: childEnv(), stdio: ['pipe', 'pipe', 'inherit']})
  prober = child
  child.stdin!.on('error', () => undefined) // a write after it died: its waiters are answered on 'close'
  let buf = ''
  child.stdout!.on('data', (d) => {
    buf += d
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const [host, port, verdict] = buf.slice(0, i).split(' ')
      buf = buf.slice(i + 1)
      const key = `${host}:${port}`
      probes.get(key)?.shift()?.(verdict === 'ok')
      if (probes.get(key)?.length === 0) probes.delete(key)
    }
  })
  child.once('close', () => {
    prober = undefined
    for (const waiting of probes.values()) for (const w of waiting) w(false)
    probes.clear()
  })
}
/** Whether origin i answers; false when the prober says so, has gone, or has not answered within 30 s. */
function answers(i: number): Promise<boolean> {
  if (!prober) return Promise.resolve(false)
  return new Promise((resolve) => {
    const key = `${ip(i)}:${PORT}`
    let settled = false
    const once = (ok: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(ok)
    }
    const timer = setTimeout(() => once(false), 30_000)
    probes.set(key, [...(probes.get(key) ?? []), once])
    prober!.stdin!.write(`${ip(i)} ${PORT}\n`)
  })
}

async function stopOrigin(i: number, signal: NodeJS.Signals): Promise<void> {
  const o = origins.get(i)
  if (!o) return
  const exited = new Promise((r) => o.once('exit', r))
  o.kill(signal)
  await Promise.race([exited, sleep(5000)])
  if (o.exitCode === null && o.signalCode === null) o.kill('SIGKILL')
  origins.delete(i)
}

const podPath = (i: number) => `${collectionPath('Pod', ns)}/${podName(i)}`

async function podUp(i: number): Promise<void> {
  const pod = await create(c, {apiVersion: 'v1', kind: 'Pod', metadata: {name: podName(i), namespace: ns, labels: {app: 'web'}}, spec: {nodeName: 'bench-node', terminationGracePeriodSeconds: 30, containers: [{name: 'web', image: 'web', ports: [{containerPort: PORT}]}]}, status: readyStatus(ip(i), false)})
  startOrigin(i)
  if (!(await answers(i))) throw new Error(`origin ${podName(i)} (${ip(i)}) does not answer${prober ? '' : ' (the prober has exited)'}`)
  await writePodStatus(c, pod, readyStatus(ip(i), true))
}

async function podDown(i: number, abrupt: boolean): Promise<void> {
  if (abrupt) {
    await Promise.all([stopOrigin(i, 'SIGTERM'), api(c, 'DELETE', `${podPath(i)}?gracePeriodSeconds=0`)])
    return
  }
  const del = await api(c, 'DELETE', `${podPath(i)}?gracePeriodSeconds=30`)
  if (del.status !== 200 || !del.body?.metadata?.deletionTimestamp) throw new Error(`graceful delete of ${podName(i)}: ${del.status} ${JSON.stringify(del.body?.metadata ?? del.body)}`)
  await sleep(DRAIN * 1000) // preStop: still serving while the proxy drains it
  await stopOrigin(i, 'SIGUSR1') // soft stop: stops listening, in-flight requests finish
  const cur = (await api(c, 'GET', podPath(i))).body
  if (cur?.status) await writePodStatus(c, cur, readyStatus(ip(i), false)).catch(() => undefined)
  await api(c, 'DELETE', `${podPath(i)}?gracePeriodSeconds=0`)
}

// ------------------------------------------------------------ observation
let adminSock = ''
let masterSock = ''
let metricsUrl = ''

async function enabledSet(): Promise<string> {
  const s = parseServersState(await sendRuntime(adminSock, 'show servers state'))
  return s
    .filter((x) => x.enabled && x.address.startsWith('10.244.91.'))
    .map((x) => Number(x.address.split('.')[3]) - 1)
    .sort((a, b) => a - b)
    .join(',')
}

async function metrics(): Promise<Map<string, number>> {
  const text = await fetch(`${metricsUrl}/metrics`).then((r) => r.text())
  const m = new Map<string, number>()
  for (const l of text.split('\n')) if (l && !l.startsWith('#')) m.set(l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1)))
  return m
}

/** The Service's backend row of `show stat` (HAProxy's own counters of what went wrong). */
const STAT_FIELDS = ['econ', 'eresp', 'wretr', 'wredis', 'hrsp_5xx', 'srv_abrt', 'cli_abrt'] as const
async function backendStats(): Promise<Record<string, number>> {
  const lines = (await sendRuntime(adminSock, 'show stat')).split('\n')
  const head = lines[0]!.replace(/^# /, '').split(',')
  const out: Record<string, number> = {}
  for (const l of lines.slice(1)) {
    const f = l.split(',')
    if (f[1] !== 'BACKEND' || !f[0]!.includes('web')) continue
    for (const k of STAT_FIELDS) out[k] = (out[k] ?? 0) + Number(f[head.indexOf(k)] || 0)
  }
  return out
}

/** Our own watch on the Service's EndpointSlices: [time, ready Pods] each time the ready set changes. */
const sliceLog: Array<[number, string]> = []
async function watchSlices(): Promise<void> {
  const list = await api(c, 'GET', `${collectionPath('EndpointSlice', ns)}?labelSelector=kubernetes.io%2Fservice-name%3Dweb`)
  const bySlice = new Map<string, string[]>()
  const readyOf = (o: any) => (o?.endpoints ?? []).filter((e: any) => e.conditions?.ready).flatMap((e: any) => e.addresses ?? [])
  for (const o of list.body.items ?? []) bySlice.set(o.metadata.name, readyOf(o))
  const note = () => {
    const set = [...bySlice.values()].flat().filter((a) => a.startsWith('10.244.91.')).map((a) => Number(a.split('.')[3]) - 1).sort((a, b) => a - b).join(',')
    if (sliceLog.at(-1)?.[1] !== set) sliceLog.push([performance.now(), set])
  }
  note()
  const url = new URL(`${collectionPath('EndpointSlice', ns)}?labelSelector=kubernetes.io%2Fservice-name%3Dweb&watch=1&resourceVersion=${list.body.metadata.resourceVersion}`, c.server)
  watch = https.request(url, {rejectUnauthorized: false, headers: {Authorization: `Bearer ${c.token}`}}, (res) => {
    let buf = ''
    res.on('data', (d) => {
      buf += d
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const ev = JSON.parse(buf.slice(0, i))
        buf = buf.slice(i + 1)
        if (ev.type === 'DELETED') bySlice.delete(ev.object.metadata.name)
        else if (ev.object?.metadata?.name) bySlice.set(ev.object.metadata.name, readyOf(ev.object))
        note()
      }
    })
  })
  watch.on('error', () => undefined)
  watch.end()
}

/** CPU seconds (user+system) a process has used so far; its waited-for children too with `children`. */
function cpuOf(pid: number | undefined, children = false): number {
  if (!pid) return NaN
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) / 100
  } catch {
    return NaN
  }
}
let clusterPid: number | undefined
function testclusterPid(): number | undefined {
  if (clusterPid && existsSync(`/proc/${clusterPid}`)) return clusterPid
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8')
      if (st.includes('(testcluster)') && Number(st.split(') ')[1]!.split(' ')[1]) === process.pid) return (clusterPid = Number(d))
    } catch {
      // gone
    }
  }
  return undefined
}
/**
 * In a cluster the control plane runs on other machines; here it shares the two cores with the proxy, the client
 * and sync, and its bursts at each step (the Pod writes, the EndpointSlice controller) land on the traffic being
 * measured. So it runs at --control-plane-nice (every thread; Go's later threads inherit it). Our kubelet's work
 * (starting the Pods' processes, probing them) stays at normal priority, as it would on a node.
 */
function niceControlPlane(): number {
  const pid = testclusterPid()
  if (!pid) throw new Error('bench/scaling: the control plane process was not found')
  const done = new Set<number>()
  // Until a pass finds no thread left at its old priority (a thread started during a pass by one not yet reniced).
  for (let pass = 0; pass < 10; pass++) {
    const todo = readdirSync(`/proc/${pid}/task`).map(Number).filter((t) => !done.has(t))
    if (!todo.length) break
    for (const tid of todo) {
      try {
        os.setPriority(tid, CP_NICE)
        done.add(tid)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error // else: the thread has ended
      }
    }
  }
  return done.size
}
async function cpuNow(): Promise<Record<string, number>> {
  const workers = parseShowProc(await sendRuntime(masterSock, 'show proc')).workers
  return {
    'vipctl sync': cpuOf(sync?.pid),
    haproxy: workers.reduce((n, w) => n + cpuOf(w), 0),
    'control plane': cpuOf(testclusterPid()),
    'bench+kubelet': cpuOf(process.pid, true),
    client: cpuOf(client?.pid),
  }
}

const sumOf = (m: Map<string, number>, prefix: string) => [...m].filter(([k]) => k === prefix || k.startsWith(`${prefix}{`)).reduce((n, [, v]) => n + v, 0)

/** The client in the client namespace; `started` resolves with our clock's time of its first due request. */
function runClient(seconds: number): {started: Promise<number>; done: Promise<RateResult>} {
  let started!: (t: number) => void
  const startedP = new Promise<number>((r) => (started = r))
  const done = new Promise<RateResult>((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', lab!.client, process.execPath, '--import', 'tsx', path.join(root, 'bench', 'rate-client.ts'), '--url', `http://${VIP}/`, '--host', HOST, '--rate', String(RATE), '--duration', String(seconds), '--connections', String(CONNECTIONS), '--timeout', String(TIMEOUT)], {cwd: root, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe']})
    client = child
    let out = ''
    let err = ''
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => {
      if (!err.includes('started\n') && `${err}${d}`.includes('started\n')) started(performance.now() + 20)
      err += d
    })
    const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000 + TIMEOUT)
    child.once('exit', (code) => {
      clearTimeout(guard)
      client = undefined
      try {
        resolve(JSON.parse(out) as RateResult)
      } catch {
        reject(new Error(`rate client exited with ${code}: ${err.trim().split('\n').slice(-5).join(' | ')}`))
      }
      started(performance.now())
    })
  })
  return {started: startedP, done}
}

interface StepLog {
  at: number
  kind: 'up' | 'down'
  pods: number[]
  /** When HAProxy's enabled servers first equalled the target set (ms after the step began; -1: not within the phase). */
  proxyMs: number
  /** When our EndpointSlice watch first showed the target set of ready endpoints (ms after the step began; -1: never). */
  sliceMs: number
  doneMs: number
}

interface Phase {
  name: string
  res: RateResult
  reconciles: Record<string, number>
  reloads: number
  haproxyReloads: number
  runtimeCmds: number
  eventToProxy: {n: number; sumS: number}
  steps: StepLog[]
  transitions: Array<[number, string]>
  /** HAProxy's counters for the Service's backend during the phase (show stat). */
  haproxy: Record<string, number>
  /** CPU seconds used during the phase, by process. */
  cpu: Record<string, number>
}

async function phase(name: string, scaling: false | 'graceful' | 'abrupt'): Promise<Phase> {
  const m0 = await metrics()
  const p0 = parseShowProc(await sendRuntime(masterSock, 'show proc'))
  const s0 = await backendStats()
  const steps: StepLog[] = []
  const transitions: Array<[number, string]> = []
  const running = runClient(DURATION)
  running.done.catch(() => undefined) // awaited below; if a step fails first, cleanup's kill of the client rejects it
  const t0 = await running.started // steps and transitions on the client's clock
  const cpu0 = await cpuNow()
  let stop = false
  // HAProxy's enabled servers, every 50 ms (bounded by the phase).
  const poll = (async () => {
    let last = ''
    while (!stop && performance.now() - t0 < (DURATION + 40) * 1000) {
      const s = await enabledSet().catch(() => 'error')
      if (s !== last) transitions.push([Math.round(performance.now() - t0), s])
      last = s
      await sleep(50)
    }
  })()
  try {
    if (scaling) {
      // The client needs a moment to start (tsx); the steps are timed from the phase start.
      let ready = new Set(Array.from({length: PODS}, (_, i) => i).filter((i) => origins.has(i)))
      let keep = 0
      for (let k = 0; k * STEP + STEP / 2 < DURATION; k++) {
        const at = (k * STEP + STEP / 2) * 1000
        await sleep(Math.max(0, t0 + at - performance.now()))
        const began = performance.now()
        const up = ready.size < PODS
        let target: Set<number>
        let changed: number[]
        if (up) {
          changed = Array.from({length: PODS}, (_, i) => i).filter((i) => !ready.has(i))
          target = new Set(Array.from({length: PODS}, (_, i) => i))
        } else {
          keep = (keep + LOW) % PODS
          target = new Set(Array.from({length: LOW}, (_, j) => (keep + j) % PODS))
          changed = [...ready].filter((i) => !target.has(i))
        }
        const want = [...target].sort((a, b) => a - b).join(',')
        const work = Promise.all(changed.map((i) => (up ? podUp(i) : podDown(i, scaling === 'abrupt'))))
        work.catch(() => undefined) // awaited below; until then a failure must not end the process without cleanup
        // When HAProxy sends to exactly the target set (a drained Pod is out as soon as it is not ready).
        let proxyMs = -1
        for (let n = 0; n < 400 && performance.now() - began < STEP * 1000 - 200; n++) {
          if ((await enabledSet().catch(() => '')) === want) {
            proxyMs = Math.round(performance.now() - began)
            break
          }
          await sleep(25)
        }
        await work
        const slice = sliceLog.find(([t, set]) => t >= began && set === want)
        steps.push({at: Math.round(began - t0), kind: up ? 'up' : 'down', pods: changed, proxyMs, sliceMs: slice ? Math.round(slice[0] - began) : -1, doneMs: Math.round(performance.now() - began)})
        ready = target
      }
    }
  } catch (error) {
    stop = true // the poll ends too; the run's cleanup follows
    throw error
  }
  let cpu1 = await cpuNow()
  const clientCpu = setInterval(() => void cpuNow().then((x) => (cpu1 = x), () => undefined), 500)
  const res = await running.done
  clearInterval(clientCpu)
  stop = true
  await poll
  const m1 = await metrics()
  const p1 = parseShowProc(await sendRuntime(masterSock, 'show proc'))
  const s1 = await backendStats()
  // A reload starts a worker with counters at 0: then the deltas are from that worker only.
  const haproxy = Object.fromEntries(STAT_FIELDS.map((k) => [k, p1.reloads === p0.reloads ? (s1[k] ?? 0) - (s0[k] ?? 0) : (s1[k] ?? 0)]))
  const reconciles: Record<string, number> = {}
  for (const [k, v] of m1) {
    const r = /^vipctl_sync_reconciles_total\{result="([^"]+)"\}$/.exec(k)
    if (r && v - (m0.get(k) ?? 0) > 0) reconciles[r[1]!] = v - (m0.get(k) ?? 0)
  }
  return {
    name,
    res,
    reconciles,
    reloads: sumOf(m1, 'vipctl_sync_reloads_total') - sumOf(m0, 'vipctl_sync_reloads_total'),
    haproxyReloads: p1.reloads - p0.reloads,
    runtimeCmds: sumOf(m1, 'vipctl_sync_runtime_updates_total') - sumOf(m0, 'vipctl_sync_runtime_updates_total'),
    eventToProxy: {
      n: sumOf(m1, 'vipctl_sync_event_to_proxy_seconds_count') - sumOf(m0, 'vipctl_sync_event_to_proxy_seconds_count'),
      sumS: sumOf(m1, 'vipctl_sync_event_to_proxy_seconds_sum') - sumOf(m0, 'vipctl_sync_event_to_proxy_seconds_sum'),
    },
    steps,
    transitions,
    haproxy,
    cpu: Object.fromEntries(Object.keys(cpu0).map((k) => [k, (cpu1[k] ?? NaN) - (cpu0[k] ?? NaN)])),
  }
}

/** Outside the measured phases: the given Pods Ready, the others gone (graceful), and HAProxy serving exactly them. */
async function scaleTo(pods: number[]): Promise<void> {
  const want = new Set(pods)
  await Promise.all(Array.from({length: PODS}, (_, i) => i).map((i) => (want.has(i) && !origins.has(i) ? podUp(i) : !want.has(i) && origins.has(i) ? podDown(i, false) : undefined)))
  const key = [...want].sort((a, b) => a - b).join(',')
  for (let n = 0; n < 100 && (await enabledSet()) !== key; n++) await sleep(100)
  if ((await enabledSet()) !== key) throw new Error(`HAProxy does not serve Pods ${key} after 10 s`)
}

// ------------------------------------------------------------ the run
async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/scaling needs root (network namespaces)')
  c = await cluster()
  const reniced = CP_NICE ? niceControlPlane() : 0
  ns = await createNamespace(c, 'scaling')
  await createNode(c, 'bench-node')
  lab = labUp(Array.from({length: PODS}, (_, i) => ({name: podName(i), ip: ip(i), ports: [PORT]})), {prefix: `vsc${process.pid % 10000}`, serve: false})
  startProber()
  await create(c, {apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: {name: 'vipctl'}, spec: {controller: 'vipctl.io/ingress-controller'}})
  await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: ns}, spec: {selector: {app: 'web'}, ports: [{name: 'http', port: 80, targetPort: PORT}]}})
  for (let i = 0; i < LOW; i++) await podUp(i)
  await create(c, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {name: 'web', namespace: ns, annotations: {'vipctl.io/vip': VIP}},
    spec: {ingressClassName: 'vipctl', rules: [{host: HOST, http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]},
  })
  await waitForEndpointSlices(c, ns, 'web', (s) => s.flatMap((x: any) => x.endpoints ?? []).filter((e: any) => e.conditions?.ready).length === LOW)

  const configDir = path.join(dir, 'etc')
  const runDir = path.join(dir, 'run')
  mkdirSync(runDir, {recursive: true})
  adminSock = path.join(runDir, 'admin.sock')
  masterSock = path.join(runDir, 'master.sock')
  const flags = ['--kubeconfig', c.kubeconfig, '-n', ns, '--config-dir', configDir, '--run-dir', runDir, '--metrics-address', '127.0.0.1:8405']
  const env = childEnv({NO_COLOR: '1'})
  const vipctl = (a: string[]) => execFileSync(process.execPath, [path.join(root, 'bin', 'run.js'), ...a], {encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe']})
  vipctl(['apply', 'vip', ...flags, '--mode', 'bind', '--netns', lab.node, '--yes'])
  vipctl(['generate', 'haproxy', ...flags, '--out', configDir])
  proxy = haproxyInNode(lab, path.join(configDir, 'haproxy.cfg'), runDir)
  for (let i = 0; i < 100 && !(await sendRuntime(adminSock, 'show info').then(() => true, () => false)); i++) await sleep(100)
  await watchSlices()
  const mport = await freePort()
  metricsUrl = `http://127.0.0.1:${mport}`
  const logFile = path.join(dir, 'sync.log')
  sync = spawn(process.execPath, [path.join(root, 'bin', 'run.js'), 'sync', ...flags, '--vip-rules', '--mode', 'bind', '--netns', lab.node, '--metrics-addr', `127.0.0.1:${mport}`, '--log-format', 'json'], {env, stdio: ['ignore', 'pipe', 'pipe']})
  const log = createWriteStream(logFile)
  sync.stdout!.pipe(log)
  sync.stderr!.pipe(log)
  let up = false
  for (let i = 0; i < 100 && !up; i++) {
    up = await fetch(`${metricsUrl}/readyz`).then((r) => r.status === 200, () => false)
    if (!up) await sleep(100)
  }
  if (!up) throw new Error('vipctl sync did not become ready in 10 s')
  for (let i = 0; i < 50; i++) {
    try {
      vipctl(['diff', 'haproxy', ...flags])
      break
    } catch {
      await sleep(200)
    }
  }
  const slots = parseServersState(await sendRuntime(adminSock, 'show servers state')).filter((s) => s.backend.includes('web')).length

  console.log(`bench/scaling: ${RATE} req/s open-loop for ${DURATION} s a phase through VIP ${VIP} (bind mode, HAProxy in a netns), keep-alive pool of ${CONNECTIONS}, timeout ${TIMEOUT} ms from the due time`)
  console.log(`  ${PODS} Pods max, ${LOW} min, a step every ${STEP} s; graceful scale-down drains ${DRAIN} s; vipctl sync defaults (--debounce 50ms, --min-reload-interval 5s); ${slots} server slots at start; control plane at nice ${CP_NICE} (--control-plane-nice${CP_NICE ? `: ${reniced} threads` : ''})`)
  await runClient(Math.min(5, DURATION)).done // warm-up, discarded
  // No scaling at either end of the range: the scaling phase spends about half its time at each.
  const phases: Phase[] = [await phase(`steady ${LOW}`, false)]
  await scaleTo(Array.from({length: PODS}, (_, i) => i))
  phases.push(await phase(`steady ${PODS}`, false))
  await scaleTo(Array.from({length: LOW}, (_, i) => i))
  phases.push(await phase('scaling', 'graceful'))
  if (ABRUPT) {
    phases.push(await phase('abrupt', 'abrupt'))
    // The same with the Service asking for retries on another member (vipctl.io/retries): one reload, before the phase.
    const before = parseShowProc(await sendRuntime(masterSock, 'show proc')).reloads
    const svc = (await api(c, 'GET', `${collectionPath('Service', ns)}/web`)).body
    svc.metadata.annotations = {...svc.metadata.annotations, 'vipctl.io/retries': '2', 'vipctl.io/retry-on': 'connect-failure,empty-response'}
    const put = await api(c, 'PUT', `${collectionPath('Service', ns)}/web`, svc)
    if (put.status !== 200) throw new Error(`annotating the Service: ${put.status} ${put.body?.message}`)
    for (let n = 0; n < 150 && parseShowProc(await sendRuntime(masterSock, 'show proc')).reloads === before; n++) await sleep(100)
    if (!/option redispatch/.test(readFileSync(path.join(configDir, 'haproxy.cfg'), 'utf8'))) throw new Error('sync did not apply vipctl.io/retries within 15 s')
    await sleep(2000)
    phases.push(await phase('abrupt+retries', 'abrupt'))
  }

  // The reference: both steady phases' requests together (the same rate, the same mix of Pod counts, no changes).
  const pooled = phases.slice(0, 2).flatMap((p) => p.res.samples.map(([, l]) => l)).sort((a, b) => a - b)
  const base = pooled[Math.max(0, Math.ceil(pooled.length * 0.99) - 1)]!
  const errs = (r: RateResult) => Object.values(r.errors).reduce((a, b) => a + b, 0)
  const ms = (x: number) => `${x.toFixed(1)}`
  const rows = [
    ['phase', 'rate', 'sent', 'ok', 'errors', 'by kind', 'p50 ms', 'p99 ms', 'max ms', 'p99/ref', 'reconciles', 'reloads'],
    ...phases.map((p) => [
      p.name,
      String(p.res.rate),
      String(p.res.sent),
      String(p.res.ok),
      String(errs(p.res)),
      Object.entries(p.res.errors).map(([k, v]) => `${k}:${v}${k === '5xx' ? ` (${Object.entries(p.res.statuses).filter(([s]) => Number(s) >= 500).map(([s, n]) => `${s}x${n}`).join(' ')})` : ''}`).join(' ') || '-',
      ms(p.res.p50),
      ms(p.res.p99),
      ms(p.res.max),
      `${(p.res.p99 / base).toFixed(2)}x`,
      Object.entries(p.reconciles).map(([k, v]) => `${k}:${v}`).join(' ') || '0',
      `${p.reloads} (haproxy ${p.haproxyReloads})`,
    ]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const r of rows) console.log(`  ${r.map((x, i) => x.padEnd(widths[i]!)).join('  ')}`)
  console.log(`  ref = p99 of both steady phases' requests together: ${ms(base)} ms`)
  for (const p of phases.slice(2)) {
    const e = errs(p.res)
    console.log(`  ${p.name}: errors ${e} [goal 0] ${e === 0 ? 'MET' : 'NOT MET'}; p99 ${(p.res.p99 / base).toFixed(2)}x ref [goal <= 1.2x] ${p.res.p99 / base <= 1.2 ? 'MET' : 'NOT MET'} (control plane at nice ${CP_NICE}); runtime commands ${p.runtimeCmds}; sync's watch event -> proxy changed: ${p.eventToProxy.n} changes, mean ${p.eventToProxy.n ? ((p.eventToProxy.sumS / p.eventToProxy.n) * 1000).toFixed(0) : '-'} ms`)
  }
  console.log('  details')
  for (const p of phases) {
    console.log(`    ${p.name}: answers by Pod ${Object.entries(p.res.backends).sort().map(([k, v]) => `${k}:${v}`).join(' ')}; p99.9 ${ms(p.res.p999)} ms; client issue lateness p99 ${ms(p.res.issueLateP99)} ms`)
    if (p.steps.length) {
      // Where the tail comes from: the seconds right after a step, or the rest.
      const near = (t: number, kind?: string) => p.steps.some((s) => (!kind || s.kind === kind) && t >= s.at && t < s.at + 2000)
      const p99of = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.99) - 1)] ?? NaN
      const lat = (f: (t: number) => boolean) => p.res.samples.filter(([t]) => f(t)).map(([, l]) => l)
      const [up, down, rest] = [lat((t) => near(t, 'up')), lat((t) => near(t, 'down')), lat((t) => !near(t))]
      console.log(`      p99 in the 2 s after each step: up ${ms(p99of(up))} ms (n=${up.length}), down ${ms(p99of(down))} ms (n=${down.length}); elsewhere ${ms(p99of(rest))} ms (n=${rest.length})`)
      // Finer: by time since the step began (what runs then: the kubelet's work, the API, sync, HAProxy's change).
      const since = (kind: string, a: number, b: number) => lat((t) => p.steps.some((s) => s.kind === kind && t >= s.at + a && t < s.at + b))
      const windows: Array<[number, number]> = [[0, 250], [250, 500], [500, 1000], [1000, 2000]]
      for (const kind of ['up', 'down'])
        console.log(`      p99 after ${kind} steps by time since the step: ${windows.map(([a, b]) => { const x = since(kind, a, b); return `${a / 1000}-${b / 1000} s ${ms(p99of(x))} ms (n=${x.length})` }).join(', ')}`)
      // Before HAProxy serves the new set (the API writes, the Pods starting, sync's first runtime commands for
      // the new endpoints while not ready) and after it, by kind of step; steps where it never did are counted apart.
      for (const kind of ['up', 'down']) {
        const ks = p.steps.filter((s) => s.kind === kind)
        const seen = ks.filter((s) => s.proxyMs >= 0)
        const before = lat((t) => seen.some((s) => t >= s.at && t < s.at + s.proxyMs))
        const after = lat((t) => seen.some((s) => t >= s.at + s.proxyMs && t < s.at + s.proxyMs + 1000))
        const range = seen.length ? `${Math.min(...seen.map((s) => s.proxyMs))}-${Math.max(...seen.map((s) => s.proxyMs))} ms` : '-'
        console.log(`      ${kind} steps: HAProxy serving the new set after ${range}${ks.length > seen.length ? ` (${ks.length - seen.length} steps: not within the step)` : ''}; p99 until then ${ms(p99of(before))} ms (n=${before.length}), in the 1 s after ${ms(p99of(after))} ms (n=${after.length})`)
      }
    }
    console.log(`      CPU s used in the phase: ${Object.entries(p.cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`)
    console.log(`      HAProxy backend counters: ${Object.entries(p.haproxy).map(([k, v]) => `${k} ${v}`).join(', ')}${p.haproxyReloads ? ' (since the last reload)' : ''}`)
    for (const s of p.steps) {
      const sec = Math.floor(s.at / 1000)
      const window = p.res.perSecond.filter(([t]) => t >= sec && t < sec + STEP)
      const e = window.reduce((n, [, x]) => n + x, 0)
      const worst = Math.max(0, ...window.map(([, , m]) => m))
      console.log(`      t=${(s.at / 1000).toFixed(1)}s ${s.kind.padEnd(4)} ${s.pods.map(podName).join(',')}: EndpointSlices ready set after ${s.sliceMs < 0 ? 'NOT seen' : `${s.sliceMs} ms`}, HAProxy serving it after ${s.proxyMs < 0 ? 'NOT within the step' : `${s.proxyMs} ms`}; step done in ${s.doneMs} ms; next ${STEP} s: ${e} errors, worst latency ${ms(worst)} ms`)
    }
    for (const [t, kind, detail] of p.res.firstErrors.slice(0, 10)) console.log(`      error at t=${(t / 1000).toFixed(2)}s ${kind}: ${detail}`)
  }
  if (DUMP) writeFileSync(DUMP, JSON.stringify(phases.map((p) => ({name: p.name, steps: p.steps, transitions: p.transitions, samples: p.res.samples}))))
  console.log(`  (p99 from each request's due time; errors by kind: refused/reset/timeout = connection level at the client, 5xx = HAProxy's answer)`)
}

try {
  await main()
} catch (error) {
  if (!cleaning) console.error(`bench/scaling: ${(error as Error).message}`) // else: interrupted, said so already
  process.exitCode = 1
} finally {
  await cleanup()
}
