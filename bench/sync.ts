// vipctl sync: time from a Pod readiness change at the API server to HAProxy's runtime state changing.
// A real control plane (test/cluster), a real HAProxy, `vipctl sync` as a user runs it. A bounded series of
// readiness flips at a steady rate; for each: t0 = our PUT of the Pod status, t1 = the EndpointSlice event
// (our own watch: the controller's share), t2 = HAProxy's `show servers state` shows the change (polled every 2 ms).
// Goal: slice event -> proxy p99 <= 250 ms with 0 reloads. Prints numbers; asserts nothing.
//   node --import tsx bench/sync.ts [--changes 100] [--rate 5]
import {spawn} from 'node:child_process'
import https from 'node:https'
import {mkdirSync} from 'node:fs'
import path from 'node:path'
import {api, cluster, collectionPath, create, createNamespace, createNode, readyStatus, stopCluster, waitForEndpointSlices, writePodStatus} from '../test/helpers/cluster.js'
import {freePort, startHaproxy, tempDirs} from '../test/helpers/haproxy.js'
import {ROOT, vipctl} from '../test/helpers/cli.js'
import {parseServersState, parseShowProc, sendRuntime} from '../src/core/haproxy-runtime.js'

const args = process.argv.slice(2)
const opt = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d)
const CHANGES = opt('--changes', 100)
const RATE = opt('--rate', 5)
const PODS = 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!

async function main() {
  const c = await cluster()
  const ns = await createNamespace(c, 'bench')
  await createNode(c, 'bench-node')
  await create(c, {apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: {name: 'vipctl'}, spec: {controller: 'vipctl.io/ingress-controller'}})
  await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: ns}, spec: {selector: {app: 'web'}, ports: [{port: 80, targetPort: 8080}]}})
  const ip = (i: number) => `10.244.90.${i + 1}`
  const pods: any[] = []
  for (let i = 0; i < PODS; i++)
    pods.push(await create(c, {apiVersion: 'v1', kind: 'Pod', metadata: {name: `web-${i}`, namespace: ns, labels: {app: 'web'}}, spec: {nodeName: 'bench-node', containers: [{name: 'w', image: 'w'}]}, status: readyStatus(ip(i))}))
  await create(c, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {name: 'web', namespace: ns, annotations: {'vipctl.io/vip': '192.0.2.70'}},
    spec: {ingressClassName: 'vipctl', rules: [{host: 'web.test', http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]},
  })
  await waitForEndpointSlices(c, ns, 'web', (s) => s.flatMap((x: any) => x.endpoints ?? []).length === PODS)

  const dirs = tempDirs()
  const flags = ['--config-dir', dirs.configDir, '--run-dir', dirs.runDir, '--listen-address', '127.0.0.1', '--listen-base-port', String(await freePort()), '--metrics-address', `127.0.0.1:${await freePort()}`]
  const g = await vipctl(['generate', 'haproxy', '--kubeconfig', c.kubeconfig, '-n', ns, ...flags, '--out', dirs.configDir])
  if (g.code !== 0) throw new Error(g.stderr)
  mkdirSync(dirs.runDir, {recursive: true})
  const proxy = await startHaproxy(dirs)
  const mport = await freePort()
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.NODE_OPTIONS
  const sync = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), 'sync', '--kubeconfig', c.kubeconfig, '-n', ns, ...flags, '--metrics-addr', `127.0.0.1:${mport}`, '--log-format', 'json'], {env, stdio: 'ignore'})
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://127.0.0.1:${mport}/readyz`).then((r) => r.status === 200, () => false)) break
    await sleep(50)
  }
  await sleep(500)

  // Our own watch on the EndpointSlices: when the API server says the endpoint changed.
  const sliceSeen = new Map<string, number>() // `${ip}:${ready}` -> first time seen after armed
  const armed = new Set<string>()
  const slices = await api(c, 'GET', `${collectionPath('EndpointSlice', ns)}`)
  const watch = https.request(new URL(`${collectionPath('EndpointSlice', ns)}?watch=1&resourceVersion=${slices.body.metadata.resourceVersion}`, c.server), {rejectUnauthorized: false, headers: {Authorization: `Bearer ${c.token}`}}, (res) => {
    let buf = ''
    res.on('data', (d) => {
      buf += d
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const ev = JSON.parse(buf.slice(0, i))
        buf = buf.slice(i + 1)
        const now = performance.now()
        for (const e of ev.object?.endpoints ?? []) {
          const k = `${e.addresses[0]}:${Boolean(e.conditions?.ready)}`
          if (armed.has(k) && !sliceSeen.has(k)) sliceSeen.set(k, now)
        }
      }
    })
  })
  watch.end()

  const before = parseShowProc(await sendRuntime(proxy.master, 'show proc'))
  const total: number[] = []
  const fromSlice: number[] = []
  const ready = new Array(PODS).fill(true)
  let missed = 0
  for (let n = 0; n < CHANGES; n++) {
    const started = performance.now()
    const i = n % PODS
    ready[i] = !ready[i]
    const key = `${ip(i)}:${ready[i]}`
    armed.add(key)
    sliceSeen.delete(key)
    const cur = (await api(c, 'GET', `${collectionPath('Pod', ns)}/web-${i}`)).body
    const t0 = performance.now()
    await writePodStatus(c, cur, readyStatus(ip(i), ready[i]))
    let t2 = 0
    while (performance.now() - t0 < 5000) {
      const s = parseServersState(await sendRuntime(proxy.admin, 'show servers state')).find((x) => x.address === ip(i))
      if (s && s.enabled === ready[i]) {
        t2 = performance.now()
        break
      }
      await sleep(2)
    }
    armed.delete(key)
    if (!t2) missed++
    else {
      total.push(t2 - t0)
      const t1 = sliceSeen.get(key)
      if (t1 !== undefined) fromSlice.push(Math.max(0, t2 - t1))
    }
    await sleep(Math.max(0, 1000 / RATE - (performance.now() - started)))
  }
  const after = parseShowProc(await sendRuntime(proxy.master, 'show proc'))
  const metrics = await fetch(`http://127.0.0.1:${mport}/metrics`).then((r) => r.text())
  const m = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN)
  const f = (x: number) => `${x.toFixed(0)} ms`
  console.log(`sync: ${CHANGES} readiness changes at ${RATE}/s over ${PODS} Pods (real API server, real HAProxy, vipctl sync defaults: --debounce 50ms)`)
  console.log(`    EndpointSlice event -> HAProxy runtime state: p50 ${f(pct(fromSlice, 50))}  p99 ${f(pct(fromSlice, 99))}  max ${f(Math.max(...fromSlice))}  (n=${fromSlice.length})   [goal p99 <= 250 ms]`)
  console.log(`    Pod status write -> HAProxy runtime state:    p50 ${f(pct(total, 50))}  p99 ${f(pct(total, 99))}  (includes the EndpointSlice controller)`)
  console.log(`    sync's own histogram: ${m('vipctl_sync_event_to_proxy_seconds_count')} changes, mean ${((m('vipctl_sync_event_to_proxy_seconds_sum') / m('vipctl_sync_event_to_proxy_seconds_count')) * 1000).toFixed(0)} ms (watch event -> proxy changed)`)
  console.log(`    reloads during the series: ${after.reloads - before.reloads} (sync counted ${m('vipctl_sync_reloads_total')})   missed (not applied in 5 s): ${missed}   [goal 0 reloads]`)
  watch.destroy()
  sync.kill('SIGTERM')
  await proxy.stop()
  await stopCluster()
}

await main()
