/**
 * npm run lab            brings up the whole stack on this machine and prints how to use it:
 *                        the test control plane with examples/shop applied, its Pods living in
 *                        network namespaces under their own IPs, HAProxy in the `node`
 *                        namespace configured by vipctl from the live cluster, VIPs bound there.
 * npm run lab -- ready POD true|false
 *                        plays the kubelet: flips a Pod's Ready condition, then re-applies.
 * npm run lab:down       removes every namespace, process and file the lab made.
 * Needs root (network namespaces). Traffic stays inside the namespaces it creates.
 */
import {execFileSync, spawn} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {api, collectionPath, create, readyStatus, writePodStatus, type Cluster} from '../test/helpers/cluster.js'
import {haproxyInNode, labUp} from '../test/helpers/netlab.js'
import {applyShop, shopIn} from '../test/helpers/shop.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const home = '/tmp/vipctl-lab'
const stateFile = path.join(home, 'state.json')
const PREFIX = 'vlab'

interface State {
  cluster: Cluster
  clusterPid: number
  namespace: string
  pids: number[]
  namespaces: string[]
  haproxyCfg: string
  flags: string[]
}

const vipctl = (args: string[]) => execFileSync(process.execPath, [path.join(root, 'bin', 'run.js'), ...args], {encoding: 'utf8', env: {...process.env, NODE_OPTIONS: ''}})

async function up(): Promise<void> {
  if (existsSync(stateFile)) throw new Error(`a lab is already up (${stateFile}); run npm run lab:down first`)
  mkdirSync(path.join(home, 'run'), {recursive: true})
  execFileSync('npm', ['run', '-s', 'build'], {cwd: root, stdio: 'inherit'})
  const bin = execFileSync('bash', [path.join(root, 'scripts', 'testcluster-build.sh')], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim()
  const out = openSync(path.join(home, 'cluster.out'), 'w')
  const err = openSync(path.join(home, 'cluster.log'), 'w')
  const child = spawn(bin, ['-dir', path.join(home, 'cluster'), '-keep'], {stdio: ['ignore', out, err], detached: true})
  child.unref()
  closeSync(out)
  closeSync(err)
  let cluster: Cluster | undefined
  for (let i = 0; i < 600 && !cluster; i++) {
    const line = readFileSync(path.join(home, 'cluster.out'), 'utf8').split('\n')[0]
    if (line) cluster = JSON.parse(line) as Cluster
    else await new Promise((r) => setTimeout(r, 200))
  }
  if (!cluster) throw new Error(`the control plane did not start; see ${home}/cluster.log`)
  const namespace = 'shop'
  await create(cluster, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: namespace}})
  const {objects} = shopIn(namespace)
  await applyShop(cluster, namespace, objects)
  const pods = objects.filter((o) => o.kind === 'Pod').map((p) => ({name: p.metadata.name, ip: p.status.podIP, ports: p.spec.containers.flatMap((x: any) => (x.ports ?? []).map((q: any) => q.containerPort))}))
  const lab = labUp(pods, {prefix: PREFIX, detached: true})
  const flags = ['--kubeconfig', cluster.kubeconfig, '-n', namespace, '--config-dir', path.join(home, 'etc'), '--run-dir', path.join(home, 'run'), '--metrics-address', '127.0.0.1:8405']
  vipctl(['apply', 'vip', ...flags, '--mode', 'bind', '--netns', lab.node, '--yes'])
  vipctl(['generate', 'haproxy', ...flags, '--out', path.join(home, 'etc')])
  const proxy = haproxyInNode(lab, path.join(home, 'etc', 'haproxy.cfg'), path.join(home, 'run'), true)
  const state: State = {cluster, clusterPid: child.pid!, namespace, pids: [...lab.pids, ...(proxy.pid ? [proxy.pid] : [])], namespaces: lab.namespaces, haproxyCfg: path.join(home, 'etc', 'haproxy.cfg'), flags}
  writeFileSync(stateFile, JSON.stringify(state, null, 2))
  const v = 'node bin/run.js'
  console.log(`
The lab is up: examples/shop in namespace ${namespace}, ${pods.length} pods in network namespaces ${PREFIX}-p*,
HAProxy in ${lab.node}, VIPs 192.0.2.10, 192.0.2.11 and 192.0.2.20 bound there; clients live in ${lab.client}.

  export KUBECONFIG=${cluster.kubeconfig}
  ${v} inspect vips -n ${namespace} -o wide
  ${v} diff haproxy ${flags.slice(2).join(' ')}
  ip netns exec ${lab.client} curl -sk --resolve shop.example.com:443:192.0.2.10 https://shop.example.com/
  ip netns exec ${lab.client} curl -s -H 'Host: admin.shop.example.com' http://192.0.2.11/
  ip netns exec ${lab.client} curl -s http://192.0.2.20:6379/            # the TCP LoadBalancer (redis)
  npm run lab -- ready frontend-2 false                                  # a pod turns not ready; vipctl applies it at runtime
  HAProxy stats: ip netns exec ${lab.node} curl -s http://127.0.0.1:8405/stats;csv
  ${v} stats --follow --interval 1s --stats-socket ${path.join(home, 'run', 'admin.sock')} --config-dir ${path.join(home, 'etc')}   # live view, q quits
  ip netns exec ${lab.client} sh -c 'for i in $(seq 1 3000); do curl -sk --resolve shop.example.com:443:192.0.2.10 https://shop.example.com/ >/dev/null; done'   # bounded load
  ${v} sync ${flags.slice(2).join(' ')} --metrics-addr 127.0.0.1:9842   # keep HAProxy in step continuously (Ctrl-C stops)
  npm run lab:down                                                       # removes everything
`)
}

async function ready(pod: string, value: string): Promise<void> {
  const s = JSON.parse(readFileSync(stateFile, 'utf8')) as State
  const p = (await api(s.cluster, 'GET', `${collectionPath('Pod', s.namespace)}/${pod}`)).body
  if (!p?.status) throw new Error(`no pod ${pod} in ${s.namespace}`)
  await writePodStatus(s.cluster, p, readyStatus(p.status.podIP, value === 'true', p.status.hostIP))
  await new Promise((r) => setTimeout(r, 1500)) // the EndpointSlice controller
  process.stdout.write(vipctl(['apply', 'haproxy', ...s.flags, '--yes']))
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function down(): Promise<void> {
  if (existsSync(stateFile)) {
    const s = JSON.parse(readFileSync(stateFile, 'utf8')) as State
    for (const pid of [...s.pids, s.clusterPid]) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        // gone
      }
    }
    // The control plane shuts down gracefully (apiserver, then etcd): wait for it, bounded.
    for (let i = 0; i < 100 && alive(s.clusterPid); i++) await new Promise((r) => setTimeout(r, 200))
    if (alive(s.clusterPid)) process.kill(s.clusterPid, 'SIGKILL')
    try {
      execFileSync('pkill', ['-f', s.haproxyCfg])
    } catch {
      // none
    }
  }
  for (const ns of execFileSync('ip', ['netns', 'list'], {encoding: 'utf8'}).split('\n').map((l) => l.split(' ')[0]!))
    if (ns.startsWith(`${PREFIX}-`)) execFileSync('ip', ['netns', 'del', ns])
  rmSync(home, {recursive: true, force: true})
  console.log('the lab is down: namespaces, processes and files removed.')
}

const [cmd = 'up', ...rest] = process.argv.slice(2)
try {
  if (cmd === 'up') await up()
  else if (cmd === 'down') await down()
  else if (cmd === 'ready' && rest.length === 2) await ready(rest[0]!, rest[1]!)
  else throw new Error('usage: lab.ts up | down | ready POD true|false')
} catch (error) {
  console.error(`lab: ${(error as Error).message}`)
  process.exitCode = 1
}
