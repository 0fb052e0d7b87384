#!/usr/bin/env node
// Startup benchmark: medians of vipctl commands against `node -e 0` (and
// `kubectl version --client` when a kubectl is found) in the same run; prints
// ratios. The commands run in turn, round by round, so a change of load during the run weighs on all
// alike. Not a test: goals are read by people, not asserted.
//
//   node bench/startup.mjs [--runs 30] [--kubectl PATH]
//
// Goals (issues 2, 20): --help and version <= 1.5x node -e 0, offline inspect <= 2x,
// a live command to its first API request <= 3x (on wall-clock medians; CPU times are printed beside them).
// One row without a goal: oclif's floor, what any command run through oclif costs before it does anything.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const runs = Number(opt('--runs', '30'))
const run = path.join(root, 'bin', 'run.js')
if (!existsSync(path.join(root, 'oclif.manifest.json'))) {
  console.error('build first: npm run build')
  process.exit(1)
}

function findKubectl() {
  const given = opt('--kubectl', process.env.KUBECTL)
  if (given) return given
  for (const dir of (process.env.PATH ?? '').split(':')) if (existsSync(path.join(dir, 'kubectl'))) return path.join(dir, 'kubectl')
  const cached = path.join(os.homedir(), '.cache', 'vipctl', 'kubectl', 'kubectl')
  return existsSync(cached) ? cached : undefined
}

const env = {...process.env, NO_COLOR: '1'}
delete env.NODE_OPTIONS

function time(cmd, argv, status = 0) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, argv, {cwd: root, env, stdio: ['ignore', 'ignore', 'pipe']})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== status) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

/**
 * CPU time (user + sys) of one run, from bash's `times` (its children's totals): on a busy machine wall time
 * counts the waits for a core, CPU time much less, so both are printed. Undefined without bash.
 */
const bash = ['/bin/bash', '/usr/bin/bash'].find((b) => existsSync(b))
function cpu(cmd, argv) {
  if (!bash) return undefined
  const r = spawnSync(bash, ['-c', '"$@" >/dev/null 2>&1 </dev/null; s=$?; times; exit $s', 'bash', cmd, ...argv], {cwd: root, env, encoding: 'utf8'})
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stdout.trim())
  return m ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000 : undefined
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]
  return {median: q(0.5), p90: q(0.9)}
}

/**
 * Each spec ({label, cmd, argv}) 3 times to warm up, then `runs` rounds of one run each, in turn: a change of load
 * during the run (this VM's neighbours) weighs on every command alike, not on whichever ran then. Then CPU times,
 * in turn too.
 */
function measureAll(specs) {
  for (const {cmd, argv, status} of specs) for (let i = 0; i < 3; i++) time(cmd, argv, status)
  const samples = specs.map(() => [])
  const cpus = specs.map(() => [])
  for (let i = 0; i < runs; i++) specs.forEach(({cmd, argv, status}, j) => samples[j].push(time(cmd, argv, status)))
  for (let i = 0; i < runs; i++) specs.forEach(({cmd, argv}, j) => cpus[j].push(cpu(cmd, argv)))
  return specs.map(({label}, j) => {
    const c = cpus[j].filter((x) => x !== undefined)
    return {label, ...stats(samples[j]), cpu: c.length ? stats(c).median : undefined}
  })
}

/**
 * Time from spawn to the first request at a loopback "API server" (answers an empty list), with the kubeconfig
 * written as JSON (read by JSON.parse) or as YAML, as `kubectl config` writes it (read by the YAML library).
 */
async function measureLive(format) {
  const hits = []
  const server = http.createServer((req, res) => {
    hits.push(process.hrtime.bigint())
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify({kind: 'List', apiVersion: 'v1', metadata: {}, items: []}))
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-bench-'))
  const kc = path.join(dir, 'config')
  const server_ = `http://127.0.0.1:${port}`
  writeFileSync(kc, format === 'yaml'
    ? `apiVersion: v1\nkind: Config\ncurrent-context: b\nclusters:\n- name: b\n  cluster:\n    server: ${server_}\n    insecure-skip-tls-verify: true\nusers:\n- name: b\n  user:\n    token: bench\ncontexts:\n- name: b\n  context:\n    cluster: b\n    user: b\n    namespace: default\n`
    : JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'b',
      clusters: [{name: 'b', cluster: {server: server_, 'insecure-skip-tls-verify': true}}],
      users: [{name: 'b', user: {token: 'bench'}}],
      contexts: [{name: 'b', context: {cluster: 'b', user: 'b', namespace: 'default'}}],
    }))
  const once = () =>
    new Promise((resolve, reject) => {
      const before = hits.length
      const t0 = process.hrtime.bigint()
      const child = spawn(process.execPath, [run, 'inspect', 'services', '--kubeconfig', kc, '-o', 'name'], {cwd: root, env, stdio: 'ignore'})
      child.on('error', reject)
      child.on('exit', () => (hits.length > before ? resolve(Number(hits[before] - t0) / 1e6) : reject(new Error('no request arrived'))))
    })
  for (let i = 0; i < 3; i++) await once()
  const samples = []
  for (let i = 0; i < runs; i++) samples.push(await once())
  server.close()
  return {label: `vipctl inspect services live, 1st request (${format === 'yaml' ? 'YAML' : 'JSON'} config)`, ...stats(samples)}
}

const specs = [{label: 'node -e 0', cmd: process.execPath, argv: ['-e', '0']}]
const kubectl = findKubectl()
if (kubectl) specs.push({label: 'kubectl version --client', cmd: kubectl, argv: ['version', '--client']})
const goals = new Map()
for (const [label, argv, goal] of [
  ['vipctl --help', ['--help'], 1.5],
  ['vipctl version', ['version'], 1.5],
  ['vipctl inspect services -f examples/shop', ['inspect', 'services', '-f', 'examples/shop'], 2],
]) {
  specs.push({label, cmd: process.execPath, argv: [run, ...argv]})
  goals.set(label, goal)
}
// No goal: what any command run by oclif costs before it does anything (Config.load, the manifest, the command's
// module, the flag parser; here a flag error, exit 64). Beside the goals because it bounds them: a command cannot
// start below it.
specs.push({label: "oclif's floor: vipctl version --bogus (a flag error)", cmd: process.execPath, argv: [run, 'version', '--bogus'], status: 64})
const rows = measureAll(specs)
const base = rows[0]
for (const format of ['json', 'yaml']) {
  rows.push(await measureLive(format))
  goals.set(rows.at(-1).label, 3)
}

console.log(`startup, ${runs} runs each after 3 warm-ups (${os.cpus().length} cores, node ${process.version})`)
console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (wall times grow with it; CPU times much less)`)
console.log(`${'command'.padEnd(58)}${'median'.padStart(9)}${'p90'.padStart(9)}${'x node'.padStart(9)}${'cpu'.padStart(9)}${'x node'.padStart(9)}  goal (on wall time)`)
for (const r of rows) {
  const ratio = r.median / base.median
  const goal = goals.get(r.label)
  const verdict = goal === undefined ? '' : `<= ${goal}x ${ratio <= goal ? 'met' : 'NOT met'}`
  const cpuCols = r.cpu === undefined || base.cpu === undefined ? `${'-'.padStart(9)}${'-'.padStart(9)}` : `${r.cpu.toFixed(0).padStart(7)}ms${(r.cpu / base.cpu).toFixed(2).padStart(8)}x`
  console.log(`${r.label.padEnd(58)}${r.median.toFixed(0).padStart(7)}ms${r.p90.toFixed(0).padStart(7)}ms${ratio.toFixed(2).padStart(8)}x${cpuCols}  ${verdict}`)
}
if (!kubectl) console.log('(no kubectl found: pass --kubectl PATH or put one on PATH for the reference row)')
