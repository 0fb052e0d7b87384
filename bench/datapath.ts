/**
 * bench/datapath: bounded wrk runs from the client namespace, in one go:
 *   direct      client -> pod (routed through the node, no proxy)
 *   hand dnat   client -> VIP -> hand-written nft DNAT -> minimal hand-written HAProxy -> pods
 *   vipctl dnat client -> VIP -> vipctl's nft table -> vipctl's HAProxy config -> pods
 *   hand bind   client -> VIP on lo -> minimal hand-written HAProxy -> pods
 *   vipctl bind client -> VIP on lo (vipctl apply vip) -> vipctl's HAProxy config -> pods
 * Pods run HAProxy answering by itself (a fast origin). Goal: vipctl's path >= 0.95x
 * the hand-written one. Run as root: node --import tsx bench/datapath.ts [--duration 4]
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {haproxyInNode, labUp} from '../test/helpers/netlab.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const duration = Number(args.includes('--duration') ? args[args.indexOf('--duration') + 1] : 4)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const vipctl = (a: string[]) => execFileSync(process.execPath, [path.join(root, 'bin', 'run.js'), ...a], {encoding: 'utf8', env: {...process.env, NODE_OPTIONS: ''}})

const pods = [1, 2].map((i) => ({name: `origin-${i}`, ip: `10.244.9.${i}`, ports: [8080]}))
const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-dp-'))
const lab = labUp(pods, {prefix: `vd${process.pid % 10000}`, serve: false})
const children: ChildProcess[] = []
const stops: Array<() => void> = []

function manifest(vip: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: origin, namespace: bench}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: origin-1, namespace: bench, labels: {kubernetes.io/service-name: origin}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.244.9.1]}, {addresses: [10.244.9.2]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench, namespace: bench, annotations: {vipctl.io/vip: ${vip}}}
spec:
  ingressClassName: vipctl
  rules: [{host: bench.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: origin, port: {number: 80}}}}]}}]
`
}

function wrk(url: string): {rps: number; p99: number; errors: number} {
  const out = lab.exec(lab.client, ['wrk', '-t1', '-c50', `-d${duration}s`, '--latency', '-H', 'Host: bench.test', url])
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p99: p99 ? Number(p99[1]) * ({us: 0.001, ms: 1, s: 1000} as Record<string, number>)[p99[2]!]! : NaN,
    errors: (sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0) + Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  }
}

function measure(rows: Record<string, string>): void {
  const res: Record<string, Array<ReturnType<typeof wrk>>> = Object.fromEntries(Object.keys(rows).map((k) => [k, []]))
  for (let round = 0; round < 3; round++) for (const [name, url] of Object.entries(rows)) res[name]!.push(wrk(url))
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!
  const direct = med(res.direct?.map((r) => r.rps) ?? [1])
  for (const [name, xs] of Object.entries(res))
    console.log(`    ${name.padEnd(12)} ${med(xs.map((x) => x.rps)).toFixed(0).padStart(7)} req/s  p99 ${med(xs.map((x) => x.p99)).toFixed(2).padStart(6)} ms  errors ${xs.reduce((n, x) => n + x.errors, 0)}  ${(med(xs.map((x) => x.rps)) / direct).toFixed(2)}x direct`)
  const pairs = Object.keys(res).filter((k) => k.startsWith('vipctl'))
  for (const v of pairs) {
    const hand = v.replace('vipctl', 'hand')
    if (res[hand]) console.log(`    ${v} / ${hand} = ${(med(res[v]!.map((x) => x.rps)) / med(res[hand]!.map((x) => x.rps))).toFixed(2)}   [goal >= 0.95]`)
  }
}

try {
  lab.exec(lab.node, ['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
  lab.exec(lab.client, ['ip', 'route', 'add', '10.244.0.0/16', 'via', '10.200.1.1'])
  for (const p of lab.pods) {
    const cfg = path.join(dir, `${p.name}.cfg`)
    writeFileSync(cfg, `global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\nfrontend origin\n    bind 0.0.0.0:8080\n    http-request return status 200 content-type text/plain string ${p.name}\n`)
    children.push(spawn('ip', ['netns', 'exec', p.ns, 'haproxy', '-f', cfg], {stdio: 'ignore'}))
  }
  const hand = (bind: string) => {
    const cfg = path.join(dir, `hand-${bind.replace(/[.:]/g, '-')}.cfg`)
    writeFileSync(cfg, `global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\nfrontend f\n    bind ${bind}\n    default_backend b\nbackend b\n    server s1 10.244.9.1:8080\n    server s2 10.244.9.2:8080\n`)
    children.push(spawn('ip', ['netns', 'exec', lab.node, 'haproxy', '-f', cfg], {stdio: 'ignore'}))
  }

  console.log(`bench/datapath: wrk -t1 -c50 -d${duration}s keep-alive from the client namespace, 3 rounds alternating, medians (2 shared cores)`)
  // dnat: vipctl on 192.0.2.10 (its table), hand-written on 192.0.2.99 (a table of its own).
  const m = path.join(dir, 'dnat.yaml')
  writeFileSync(m, manifest('192.0.2.10'))
  mkdirSync(path.join(dir, 'run-dnat'))
  const dnatFlags = ['-f', m, '--config-dir', path.join(dir, 'dnat'), '--run-dir', path.join(dir, 'run-dnat'), '--metrics-address', '127.0.0.1:18405', '--listen-address', lab.nodeIP, '--listen-base-port', '20080']
  vipctl(['generate', 'haproxy', ...dnatFlags, '--out', path.join(dir, 'dnat')])
  stops.push(haproxyInNode(lab, path.join(dir, 'dnat', 'haproxy.cfg'), path.join(dir, 'run-dnat')).stop)
  vipctl(['apply', 'vip', ...dnatFlags, '--mode', 'dnat', '--netns', lab.node, '--yes'])
  hand(`${lab.nodeIP}:30080`)
  lab.exec(lab.node, ['nft', '-f', '-'], `table ip handbench {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n    ip daddr 192.0.2.99 tcp dport 80 dnat ip to ${lab.nodeIP}:30080\n  }\n}\n`)
  await sleep(1000)
  console.log('  dnat mode')
  measure({direct: 'http://10.244.9.1:8080/', 'hand dnat': 'http://192.0.2.99/', 'vipctl dnat': 'http://192.0.2.10/'})
  vipctl(['delete', 'vip', '--netns', lab.node])
  lab.exec(lab.node, ['nft', 'delete', 'table', 'ip', 'handbench'])

  // bind: vipctl on 192.0.2.30 (vipctl apply vip adds it to lo), hand-written on 192.0.2.98 (added by hand).
  const b = path.join(dir, 'bind.yaml')
  writeFileSync(b, manifest('192.0.2.30'))
  mkdirSync(path.join(dir, 'run-bind'))
  const bindFlags = ['-f', b, '--config-dir', path.join(dir, 'bind'), '--run-dir', path.join(dir, 'run-bind'), '--metrics-address', '127.0.0.1:18406']
  vipctl(['apply', 'vip', ...bindFlags, '--mode', 'bind', '--netns', lab.node, '--yes'])
  vipctl(['generate', 'haproxy', ...bindFlags, '--out', path.join(dir, 'bind')])
  stops.push(haproxyInNode(lab, path.join(dir, 'bind', 'haproxy.cfg'), path.join(dir, 'run-bind')).stop)
  lab.exec(lab.node, ['ip', 'addr', 'add', '192.0.2.98/32', 'dev', 'lo'])
  hand('192.0.2.98:80')
  await sleep(1000)
  console.log('  bind mode')
  measure({direct: 'http://10.244.9.1:8080/', 'hand bind': 'http://192.0.2.98/', 'vipctl bind': 'http://192.0.2.30/'})
} finally {
  for (const s of stops) s()
  for (const c of children) c.kill('SIGTERM')
  try {
    execFileSync('pkill', ['-f', dir])
  } catch {
    // none
  }
  lab.down()
}
