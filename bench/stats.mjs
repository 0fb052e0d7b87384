#!/usr/bin/env node
// vipctl stats: CPU per refresh with 1,000 servers at a 1 s interval (goal: the live view <= 5% of one core).
// A real HAProxy serves a generated config of 100 Services x 10 endpoints (1,000 servers); three readers
// run side by side for the same window, each in its own process, CPU read from /proc/<pid>/stat:
//   baseline: a bare Node loop that fetches `show stat` every second and discards it (the floor for any reader)
//   jsonl:    vipctl stats --follow -o jsonl > /dev/null
//   live:     vipctl stats --follow in a real terminal (tmux, 200x60)
// Prints numbers and ratios; asserts nothing.   node bench/stats.mjs [--seconds 30]
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const seconds = Number(args.includes('--seconds') ? args[args.indexOf('--seconds') + 1] : 30)
const env = {...process.env, NO_COLOR: '1'}
delete env.NODE_OPTIONS
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim())

async function freePort() {
  const s = net.createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const {port} = s.address()
  await new Promise((r) => s.close(r))
  return port
}

function manifests(services, perService) {
  const docs = []
  for (let s = 0; s < services; s++) {
    docs.push(`apiVersion: v1\nkind: Service\nmetadata: {name: svc-${s}, namespace: bench}\nspec: {ports: [{name: http, port: 80, targetPort: 8080}]}`)
    const eps = Array.from({length: perService}, (_, i) => `  - {addresses: [127.1.${s}.${i + 1}], conditions: {ready: true}, targetRef: {kind: Pod, name: svc-${s}-${i}}}`).join('\n')
    docs.push(`apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: svc-${s}-1, namespace: bench, labels: {kubernetes.io/service-name: svc-${s}}}\naddressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:\n${eps}`)
  }
  const rules = Array.from({length: services}, (_, s) => `    - {host: s${s}.bench.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc-${s}, port: {number: 80}}}}]}}`).join('\n')
  docs.push(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bench, namespace: bench, annotations: {vipctl.io/vip: 192.0.2.99}}\nspec:\n  ingressClassName: vipctl\n  rules:\n${rules}`)
  return `${docs.join('\n---\n')}\n`
}

const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return Number(f[11]) + Number(f[12]) // utime + stime (fields 14, 15)
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-bench-stats-'))
  const configDir = path.join(dir, 'etc')
  const runDir = path.join(dir, 'run')
  mkdirSync(runDir, {recursive: true})
  writeFileSync(path.join(dir, 'm.yaml'), manifests(100, 10))
  const gen = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'generate', 'haproxy', '-f', path.join(dir, 'm.yaml'), '--config-dir', configDir, '--run-dir', runDir, '--listen-address', '127.0.0.1', '--listen-base-port', String(await freePort()), '--metrics-address', `127.0.0.1:${await freePort()}`, '--out', configDir], {env, encoding: 'utf8'})
  if (gen.status !== 0) throw new Error(gen.stderr)
  const hap = spawn('haproxy', ['-W', '-S', path.join(runDir, 'master.sock'), '-f', path.join(configDir, 'haproxy.cfg')], {stdio: 'ignore'})
  const admin = path.join(runDir, 'admin.sock')
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => net.connect(admin).on('connect', function () { this.end(); r(true) }).on('error', () => r(false)))
    if (ok) break
    await sleep(100)
  }
  const session = `vipctl-bench-${process.pid}`
  const children = []
  try {
    const servers = execFileSync('bash', ['-c', `echo "show stat" | socat - ${admin} | grep '^bench_' | grep -vc ',BACKEND,' || true`], {encoding: 'utf8'}).trim()
    const baselineSrc = `const net=require('node:net');setInterval(()=>{const c=net.connect(${JSON.stringify(admin)});let n=0;c.on('connect',()=>c.end('show stat\\n'));c.on('data',d=>n+=d.length);c.on('error',()=>{})},1000)`
    const baseline = spawn(process.execPath, ['-e', baselineSrc], {stdio: 'ignore', env})
    const jsonl = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'stats', '--follow', '--interval', '1s', '-o', 'jsonl', '--stats-socket', admin, '--config-dir', configDir], {stdio: ['ignore', 'ignore', 'ignore'], env})
    children.push(baseline, jsonl)
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '60', `exec ${process.execPath} ${path.join(root, 'bin/run.js')} stats --follow --interval 1s --stats-socket ${admin} --config-dir ${configDir}`])
    await sleep(500)
    const livePid = Number(execFileSync('tmux', ['display', '-p', '-t', session, '#{pane_pid}'], {encoding: 'utf8'}).trim())
    await sleep(4000) // past start-up
    const procs = {baseline: baseline.pid, jsonl: jsonl.pid, live: livePid}
    const t0 = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuTicks(pid)]))
    const w0 = Date.now()
    await sleep(seconds * 1000)
    const wall = (Date.now() - w0) / 1000
    const screen = execFileSync('tmux', ['capture-pane', '-p', '-t', session], {encoding: 'utf8'})
    const cpu = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, (cpuTicks(pid) - t0[k]) / TICK]))
    console.log(`stats: ${servers} server rows in show stat (1,000 endpoints + spare slots; vipctl shows the 1,000), 1 s interval, ${wall.toFixed(1)} s window, CPU from /proc`)
    for (const k of ['baseline', 'jsonl', 'live']) {
      const pct = (cpu[k] / wall) * 100
      console.log(`    ${k.padEnd(8)} ${(cpu[k] * 1000 / wall).toFixed(1).padStart(6)} ms CPU per refresh  ${pct.toFixed(2).padStart(5)}% of one core  ${(cpu[k] / cpu.baseline).toFixed(2)}x baseline${k === 'live' ? '   [goal <= 5%]' : ''}`)
    }
    console.log(`    live view showed: ${screen.split('\n')[1]?.trim()}`)
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session])
    for (const c of children) c.kill()
    hap.kill()
  }
}

await main()
