/**
 * A lab of real hosts on one machine: network namespaces `client`, `node` and
 * one per pod, joined by veth pairs, with addresses that exist only inside them.
 * The client reaches VIPs (192.0.2.0/24) through the node. Each pod keeps its
 * own IP (a routed /32, as CNI plugins do) and runs a tiny HTTP server on its
 * ports that answers with the pod's name. `down()` removes every namespace and
 * process; tests call it in `after`, also when a test failed.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'

export interface LabPod {
  name: string
  ip: string
  ports: number[]
}

export interface Lab {
  prefix: string
  client: string
  node: string
  pods: Array<LabPod & {ns: string}>
  /** The node's address towards the client: where HAProxy listens in dnat mode. */
  nodeIP: string
  exec(ns: string, cmd: string[], input?: string): string
  /** curl from the client namespace; status 0 and '' on connection failure. */
  curl(url: string, host: string, extra?: string[]): {status: number; body: string}
  /** Stops one pod's server (its address stays; connections are refused). */
  stopPod(name: string): void
  down(): void
  /** Processes and namespaces, for a lab that outlives this process (npm run lab). */
  pids: number[]
  namespaces: string[]
}

const sh = (args: string[], input?: string) => execFileSync(args[0]!, args.slice(1), {encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe']})

const POD_SERVER = `const [name, ...ports] = process.argv.slice(1);
const h = require('http');
for (const p of ports) h.createServer((q, s) => { s.setHeader('Content-Type', 'text/plain'); s.end(name + '\\n') }).listen(Number(p), '0.0.0.0');`

export function labUp(pods: LabPod[], opts: {prefix?: string; detached?: boolean; serve?: boolean} = {}): Lab {
  const prefix = opts.prefix ?? `vl${process.pid % 100000}`
  const client = `${prefix}-client`
  const node = `${prefix}-node`
  const children = new Map<string, ChildProcess>()
  const created: string[] = []
  const down = () => {
    for (const c of children.values()) c.kill('SIGKILL')
    for (const ns of [...created].reverse()) {
      try {
        sh(['ip', 'netns', 'del', ns])
      } catch {
        // already gone
      }
    }
  }
  try {
    for (const ns of [client, node]) {
      sh(['ip', 'netns', 'add', ns])
      created.push(ns)
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
    }
    sh(['ip', 'link', 'add', 'eth0', 'netns', client, 'type', 'veth', 'peer', 'name', 'to-client', 'netns', node])
    sh(['ip', '-n', client, 'addr', 'add', '10.200.1.2/24', 'dev', 'eth0'])
    sh(['ip', '-n', node, 'addr', 'add', '10.200.1.1/24', 'dev', 'to-client'])
    sh(['ip', '-n', client, 'link', 'set', 'eth0', 'up'])
    sh(['ip', '-n', node, 'link', 'set', 'to-client', 'up'])
    sh(['ip', '-n', client, 'route', 'add', '192.0.2.0/24', 'via', '10.200.1.1'])
    // Node-local clients need some route to a DNAT VIP before the output hook runs.
    sh(['ip', '-n', node, 'route', 'add', '192.0.2.0/24', 'dev', 'to-client'])
    sh(['ip', '-n', node, 'addr', 'add', '169.254.1.1/32', 'dev', 'lo'])
    const list: Lab['pods'] = []
    pods.forEach((p, i) => {
      const ns = `${prefix}-p${i + 1}`
      const ifn = `to-p${i + 1}`
      sh(['ip', 'netns', 'add', ns])
      created.push(ns)
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
      sh(['ip', 'link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', ifn, 'netns', node])
      sh(['ip', '-n', ns, 'addr', 'add', `${p.ip}/32`, 'dev', 'eth0'])
      sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'])
      sh(['ip', '-n', node, 'link', 'set', ifn, 'up'])
      // Routed /32s: the pod reaches everything via the node's 169.254.1.1, the node reaches the pod by its device.
      sh(['ip', '-n', ns, 'route', 'add', '169.254.1.1', 'dev', 'eth0'])
      sh(['ip', '-n', ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0'])
      sh(['ip', '-n', node, 'route', 'add', `${p.ip}/32`, 'dev', ifn])
      sh(['ip', 'netns', 'exec', node, 'sysctl', '-qw', `net.ipv4.conf.${ifn}.proxy_arp=1`])
      if (opts.serve !== false) {
        const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', POD_SERVER, p.name, ...p.ports.map(String)], {stdio: 'ignore', detached: opts.detached})
        if (opts.detached) child.unref()
        children.set(p.name, child)
      }
      list.push({...p, ns})
    })
    const lab: Lab = {
      prefix,
      client,
      node,
      pods: list,
      nodeIP: '10.200.1.1',
      exec: (ns, cmd, input) => sh(['ip', 'netns', 'exec', ns, ...cmd], input),
      curl: (url, host, extra = []) => {
        try {
          const out = sh(['ip', 'netns', 'exec', client, 'curl', '-s', '--max-time', '2', '-H', `Host: ${host}`, ...extra, '-w', '\n%{http_code}', url])
          const lines = out.trimEnd().split('\n')
          return {status: Number(lines.pop()), body: lines.join('\n').trim()}
        } catch {
          return {status: 0, body: ''}
        }
      },
      stopPod: (name) => children.get(name)?.kill('SIGKILL'),
      down,
      pids: [...children.values()].map((c) => c.pid!).filter(Boolean),
      namespaces: created,
    }
    // Wait for the pod servers (bounded).
    for (const p of opts.serve === false ? [] : list)
      for (let i = 0; i < 50; i++) {
        try {
          sh(['ip', 'netns', 'exec', node, 'curl', '-s', '--max-time', '1', `http://${p.ip}:${p.ports[0]}/`])
          break
        } catch {
          execFileSync('sleep', ['0.1'])
        }
      }
    return lab
  } catch (error) {
    down()
    throw error
  }
}

/** Starts HAProxy inside the node namespace (master-worker); returns a stop function. */
export function haproxyInNode(lab: Lab, cfg: string, runDir: string, detached = false): {stop: () => void; pid?: number} {
  const child = spawn('ip', ['netns', 'exec', lab.node, 'haproxy', '-W', '-S', `${runDir}/master.sock`, '-f', cfg], {stdio: 'ignore', detached})
  if (detached) child.unref()
  return {
    pid: child.pid,
    stop: () => {
      child.kill('SIGTERM')
      try {
        execFileSync('pkill', ['-f', cfg])
      } catch {
        // none left
      }
    },
  }
}
