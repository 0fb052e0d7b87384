/**
 * A stand-in for HAProxy's stats socket (a Unix socket): answers `show info` with `info` and `show stat` with
 * `stat` (CSV text), anything else with "Unknown command", one command a connection, as HAProxy does without
 * `prompt`. For tests of `vipctl stats` that need no HAProxy. Resolves once listening; close it with close().
 */
import {writeFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'

export async function serveStats(sock: string, info: string, stat: string): Promise<net.Server> {
  const server = net.createServer((c) => {
    let cmd = ''
    c.on('data', (d) => {
      cmd += d
      if (cmd.includes('\n')) c.end(cmd.startsWith('show info') ? info : cmd.startsWith('show stat') ? stat : 'Unknown command\n')
    })
    c.on('error', () => c.destroy())
  })
  await new Promise<void>((resolve) => server.listen(sock, resolve))
  return server
}

/**
 * A vipctl-index.json in `dir` (what generate/apply write next to haproxy.cfg) with one TCP frontend on [::1]:16379
 * and its backend t1_tcp_16379, whose one server SRV_1 (127.0.0.1:18001) is Pod `pod`: what `stats` maps names by.
 */
export function writeOneBackendIndex(dir: string, pod: string): void {
  writeFileSync(
    path.join(dir, 'vipctl-index.json'),
    JSON.stringify({
      apiVersion: 'vipctl.io/v1alpha1',
      kind: 'HaproxyIndex',
      frontends: {tcp_16379: {vip: '::1', port: 16379, protocol: 'tcp', listen: '[::1]:16379', hosts: [], objects: ['Service/t1/tcp'], backends: ['t1_tcp_16379']}},
      backends: {t1_tcp_16379: {namespace: 't1', service: 'tcp', port: 16379, servers: {SRV_1: {address: '127.0.0.1', port: 18001, pod}}}},
    }),
  )
}
