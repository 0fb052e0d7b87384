/**
 * A lab of real hosts on one machine: network namespaces `client`, `node` and
 * `pod-N`, joined by veth pairs, with addresses that exist only inside them
 * (10.200.0.0/16; VIPs from 192.0.2.0/24, routed from the client to the node).
 * Pods run a tiny HTTP server answering with their name. Everything is removed
 * by `down()`, which tests call in `after` even when a test failed.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'

export interface Lab {
  prefix: string
  client: string
  node: string
  pods: Array<{ns: string; name: string; ip: string}>
  /** The node's address towards the client: where HAProxy listens in dnat mode. */
  nodeIP: string
  exec(ns: string, cmd: string[], input?: string): string
  /** curl from the client namespace; returns status and body ('' and 0 on connection failure). */
  curl(url: string, host: string): {status: number; body: string}
  down(): void
}

const sh = (args: string[], input?: string) => execFileSync(args[0]!, args.slice(1), {encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe']})

const POD_SERVER = `const name = process.argv[1];
require('http').createServer((q, s) => { s.setHeader('Content-Type', 'text/plain'); s.end(name + '\\n') }).listen(8080, '0.0.0.0');`

export function labUp(pods: number): Lab {
  const prefix = `vl${process.pid % 100000}`
  const client = `${prefix}-client`
  const node = `${prefix}-node`
  const children: ChildProcess[] = []
  const created: string[] = []
  const down = () => {
    for (const c of children) c.kill('SIGKILL')
    for (const ns of created.reverse()) {
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
    const veth = (a: string, aIf: string, aIP: string, b: string, bIf: string, bIP: string) => {
      sh(['ip', 'link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b])
      sh(['ip', '-n', a, 'addr', 'add', aIP, 'dev', aIf])
      sh(['ip', '-n', b, 'addr', 'add', bIP, 'dev', bIf])
      sh(['ip', '-n', a, 'link', 'set', aIf, 'up'])
      sh(['ip', '-n', b, 'link', 'set', bIf, 'up'])
    }
    veth(client, 'eth0', '10.200.1.2/24', node, 'to-client', '10.200.1.1/24')
    sh(['ip', '-n', client, 'route', 'add', '192.0.2.0/24', 'via', '10.200.1.1'])
    // Node-local clients need some route to a DNAT VIP before the output hook runs.
    sh(['ip', '-n', node, 'route', 'add', '192.0.2.0/24', 'dev', 'to-client'])
    const podList: Lab['pods'] = []
    for (let i = 1; i <= pods; i++) {
      const ns = `${prefix}-pod-${i}`
      sh(['ip', 'netns', 'add', ns])
      created.push(ns)
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
      veth(node, `to-pod-${i}`, `10.200.${10 + i}.1/24`, ns, 'eth0', `10.200.${10 + i}.2/24`)
      sh(['ip', '-n', ns, 'route', 'add', 'default', 'via', `10.200.${10 + i}.1`])
      const name = `pod-${i}`
      children.push(spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', POD_SERVER, name], {stdio: 'ignore'}))
      podList.push({ns, name, ip: `10.200.${10 + i}.2`})
    }
    const lab: Lab = {
      prefix,
      client,
      node,
      pods: podList,
      nodeIP: '10.200.1.1',
      exec: (ns, cmd, input) => sh(['ip', 'netns', 'exec', ns, ...cmd], input),
      curl: (url, host) => {
        try {
          const out = sh(['ip', 'netns', 'exec', client, 'curl', '-s', '--max-time', '2', '-H', `Host: ${host}`, '-w', '\n%{http_code}', url])
          const lines = out.trimEnd().split('\n')
          return {status: Number(lines.pop()), body: lines.join('\n').trim()}
        } catch {
          return {status: 0, body: ''}
        }
      },
      down,
    }
    // Wait for the pod servers (bounded).
    for (const p of podList)
      for (let i = 0; i < 50; i++) {
        try {
          sh(['ip', 'netns', 'exec', node, 'curl', '-s', '--max-time', '1', `http://${p.ip}:8080/`])
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
export function haproxyInNode(lab: Lab, cfg: string, runDir: string): () => void {
  const child = spawn('ip', ['netns', 'exec', lab.node, 'haproxy', '-W', '-S', `${runDir}/master.sock`, '-f', cfg], {stdio: 'ignore'})
  return () => {
    child.kill('SIGTERM')
    try {
      execFileSync('pkill', ['-f', cfg])
    } catch {
      // none left
    }
  }
}
