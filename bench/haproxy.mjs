#!/usr/bin/env node
// HAProxy benchmarks (issue goals in brackets); prints numbers and ratios. (a) fails when its model lost work.
//   (a) render 10k Services / 100k endpoints / 5k Ingresses, twice that       [<= 1 s, <= 400 MB, linear]
//       and 50k Services / 500k endpoints / 25k Ingresses                     [<= 4 s, <= 1.2 GB, linear]
//   (b) wrk on loopback: direct to the backend, a minimal hand-written HAProxy config,
//       and vipctl's generated config, alternating, 3 rounds                  [generated >= 0.95x minimal]
//   (c) failed requests while vipctl applies 10 structural changes (10 reloads) under load [0]
// Needs: npm run build, haproxy and wrk (bash scripts/install-deps.sh installs both).
//   node bench/haproxy.mjs [--only a|b|c] [--duration 5]
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
const duration = Number(args.includes('--duration') ? args[args.indexOf('--duration') + 1] : 5)
const env = {...process.env, NO_COLOR: '1'}
delete env.NODE_OPTIONS
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function freePort() {
  const s = net.createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const {port} = s.address()
  await new Promise((r) => s.close(r))
  return port
}

function render(services, perService, ingresses) {
  const r = spawnSync(process.execPath, [path.join(root, 'bench', 'haproxy-render.mjs'), String(services), String(perService), String(ingresses)], {env, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(r.stderr)
  const out = JSON.parse(r.stdout)
  // The speed is never bought by dropping work: the synthetic cluster is valid (no finding) and every path of
  // every Ingress (two each) is a route of the model.
  if (out.diagnostics !== 0) throw new Error(`${services} Services: the model has ${out.diagnostics} diagnostics, expected 0`)
  if (out.routes !== 2 * ingresses) throw new Error(`${services} Services: the model has ${out.routes} routes, expected ${2 * ingresses}`)
  return out
}

function benchRender() {
  console.log('(a) render: Snapshot -> LbModel -> HAProxy files (median of 3 runs, each in a fresh process)')
  const med = (xs) => [...xs].sort((a, b) => a - b)[1]
  const rows = []
  const sizes = [
    [10_000, 10, 5_000, 1000, 400],
    [20_000, 10, 10_000, 1000, 400],
    [50_000, 10, 25_000, 4000, 1200],
  ]
  for (const [s, e, i, goalMs, goalMB] of sizes) {
    const runs = [0, 1, 2].map(() => render(s, e, i))
    const r = {services: s, endpoints: s * e, ingresses: i, totalMs: med(runs.map((x) => x.totalMs)), modelMs: med(runs.map((x) => x.modelMs)), renderMs: med(runs.map((x) => x.renderMs)), maxRssMB: Math.max(...runs.map((x) => x.maxRssMB)), mb: runs[0].bytes / 1e6}
    rows.push(r)
    console.log(`    ${s} Services / ${s * e} endpoints / ${i} Ingresses: ${r.totalMs.toFixed(0)} ms (model ${r.modelMs.toFixed(0)}, render ${r.renderMs.toFixed(0)}), peak RSS ${r.maxRssMB.toFixed(0)} MB, ${r.mb.toFixed(1)} MB of config, ${runs[0].routes} routes, ${runs[0].diagnostics} findings   [goal <= ${goalMs} ms, <= ${goalMB} MB]`)
  }
  console.log(`    2x size / 1x size: time ${(rows[1].totalMs / rows[0].totalMs).toFixed(2)}x, RSS ${(rows[1].maxRssMB / rows[0].maxRssMB).toFixed(2)}x   [linear = 2.0x]`)
  console.log(`    5x size / 1x size: time ${(rows[2].totalMs / rows[0].totalMs).toFixed(2)}x, RSS ${(rows[2].maxRssMB / rows[0].maxRssMB).toFixed(2)}x   [linear = 5.0x]`)
}

function startHaproxy(cfgFile, runDir) {
  mkdirSync(runDir, {recursive: true})
  const child = spawn('haproxy', ['-W', '-S', path.join(runDir, 'master.sock'), '-f', cfgFile], {stdio: ['ignore', 'ignore', 'pipe']})
  child.stderr.on('data', () => {})
  return child
}

function wrk(port, host, seconds) {
  const out = execFileSync('wrk', ['-t1', '-c50', `-d${seconds}s`, '--latency', '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`], {encoding: 'utf8'})
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)
  const p99raw = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out)
  const p99 = p99raw ? Number(p99raw[1]) * {us: 0.001, ms: 1, s: 1000}[p99raw[2]] : NaN
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  return {rps, p99, errors, non2xx, requests, raw: out}
}

function manifest(originPort, extraHosts = 0) {
  const hosts = ['bench.test', ...Array.from({length: extraHosts}, (_, i) => `h${i}.bench.test`)]
  return `apiVersion: v1
kind: Service
metadata: {name: origin, namespace: bench}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: origin-1, namespace: bench, labels: {kubernetes.io/service-name: origin}}
addressType: IPv4
ports: [{name: http, port: ${originPort}}]
endpoints: [{addresses: [127.0.0.21]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench, namespace: bench, annotations: {vipctl.io/vip: 192.0.2.1}}
spec:
  ingressClassName: vipctl
  rules:
${hosts.map((h) => `    - host: ${h}\n      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: origin, port: {number: 80}}}}]}`).join('\n')}
`
}

async function benchDatapath() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-bench-'))
  const originPort = await freePort()
  const minimalPort = await freePort()
  const aclPort = await freePort()
  const genPort = await freePort()
  const metrics = await freePort()
  const children = []
  try {
    // The origin is HAProxy answering by itself: a backend fast enough not to be the bottleneck.
    writeFileSync(path.join(dir, 'origin.cfg'), `global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\nfrontend origin\n    bind 127.0.0.21:${originPort}\n    http-request return status 200 content-type text/plain string ok\n`)
    writeFileSync(path.join(dir, 'minimal.cfg'), `global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\nfrontend f\n    bind 127.0.0.1:${minimalPort}\n    default_backend b\nbackend b\n    server s1 127.0.0.21:${originPort}\n`)
    children.push(spawn('haproxy', ['-f', path.join(dir, 'origin.cfg')], {stdio: 'ignore'}))
    // The like-for-like hand-written config: the same Host routing, as one ACL.
    writeFileSync(path.join(dir, 'acl.cfg'), `global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\nfrontend f\n    bind 127.0.0.1:${aclPort}\n    use_backend b if { hdr(host) -i bench.test }\nbackend b\n    server s1 127.0.0.21:${originPort}\n`)
    children.push(spawn('haproxy', ['-f', path.join(dir, 'minimal.cfg')], {stdio: 'ignore'}))
    children.push(spawn('haproxy', ['-f', path.join(dir, 'acl.cfg')], {stdio: 'ignore'}))
    const m = path.join(dir, 'm.yaml')
    writeFileSync(m, manifest(originPort))
    const flags = ['--config-dir', path.join(dir, 'gen'), '--run-dir', path.join(dir, 'run'), '--listen-address', '127.0.0.1', '--listen-base-port', String(genPort), '--metrics-address', `127.0.0.1:${metrics}`]
    execFileSync(process.execPath, [path.join(root, 'bin', 'run.js'), 'generate', 'haproxy', '-f', m, ...flags, '--out', path.join(dir, 'gen')], {env})
    children.push(startHaproxy(path.join(dir, 'gen', 'haproxy.cfg'), path.join(dir, 'run')))
    await sleep(1000)

    if (!only || only === 'b') {
      console.log(`(b) throughput: wrk -t1 -c50 -d${duration}s keep-alive on loopback, 3 rounds alternating, medians (2 shared cores: wrk, proxy and origin compete)`)
      const res = {direct: [], minimal: [], 'host-acl': [], generated: []}
      for (let round = 0; round < 3; round++) {
        res.direct.push(wrkTo('127.0.0.21', originPort))
        res.minimal.push(wrk(minimalPort, 'bench.test', duration))
        res['host-acl'].push(wrk(aclPort, 'bench.test', duration))
        res.generated.push(wrk(genPort, 'bench.test', duration))
      }
      const med = (xs, k) => [...xs.map((x) => x[k])].sort((a, b) => a - b)[1]
      const base = med(res.minimal, 'rps')
      for (const [name, xs] of Object.entries(res))
        console.log(`    ${name.padEnd(10)} ${med(xs, 'rps').toFixed(0).padStart(7)} req/s  p99 ${med(xs, 'p99').toFixed(2).padStart(6)} ms  ${(med(xs, 'rps') / base).toFixed(2)}x minimal`)
      console.log(`    generated / minimal = ${(med(res.generated, 'rps') / base).toFixed(2)}   [goal >= 0.95]; generated / host-acl = ${(med(res.generated, 'rps') / med(res['host-acl'], 'rps')).toFixed(2)}`)
      console.log('    (minimal: no routing at all; host-acl: the same Host routing written by hand as one ACL)')
    }

    if (!only || only === 'c') {
      console.log('(c) 10 reloads under load: wrk -t1 -c50 for 14 s while vipctl apply adds a host 10 times (each a reload)')
      const load = new Promise((resolve) => {
        const c = spawn('wrk', ['-t1', '-c50', '-d14s', '--latency', '-H', 'Host: bench.test', `http://127.0.0.1:${genPort}/`], {stdio: ['ignore', 'pipe', 'ignore']})
        let out = ''
        c.stdout.on('data', (d) => (out += d))
        c.on('exit', () => resolve(out))
      })
      await sleep(1500)
      let reloads = 0
      for (let i = 1; i <= 10; i++) {
        writeFileSync(m, manifest(originPort, i))
        const r = spawnSync(process.execPath, [path.join(root, 'bin', 'run.js'), 'apply', 'haproxy', '-f', m, ...flags, '--yes', '-o', 'json'], {env, encoding: 'utf8'})
        if (r.status === 0 && JSON.parse(r.stdout).outcome.applied === 'reload') reloads++
        else console.log(`    apply ${i} failed: ${r.stderr.trim()}`)
        await sleep(700)
      }
      const out = await load
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
      const failed = (sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0) + non2xx
      console.log(`    ${reloads} reloads, ${requests} requests, ${failed} failed (socket errors ${sock ? sock.slice(1).join('/') : '0/0/0/0'} connect/read/write/timeout, non-2xx ${non2xx})   [goal 0]`)
    }
  } finally {
    for (const c of children) c.kill('SIGTERM')
    spawnSync('pkill', ['-f', path.join(dir, 'gen', 'haproxy.cfg')])
  }
}

/** Direct: the origin itself. */
function wrkTo(address, port) {
  const out = execFileSync('wrk', ['-t1', '-c50', `-d${duration}s`, '--latency', `http://${address}:${port}/`], {encoding: 'utf8'})
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)
  const p99raw = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out)
  return {rps, p99: p99raw ? Number(p99raw[1]) * {us: 0.001, ms: 1, s: 1000}[p99raw[2]] : NaN}
}

if (!only || only === 'a') benchRender()
if (!only || only === 'b' || only === 'c') await benchDatapath()
