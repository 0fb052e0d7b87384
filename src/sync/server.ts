/** /healthz, /readyz and /metrics of the sync loop, on a loopback address by default. */
import http from 'node:http'
import {UnavailableError} from '../errors.js'
import {hostPortOption} from '../core/address.js'
import {renderMetrics, type SyncMetrics} from './runtime.js'

export interface Health {
  ready: boolean
  lastError?: string
}

export function parseListenAddress(flag: string, text: string): {host: string; port: number} {
  // A real IP and a port 1-65535 (the same checks as every other address flag).
  return hostPortOption(flag, text, {example: '127.0.0.1:9842'})
}

export async function serveMetrics(addr: {host: string; port: number}, health: () => Health, metrics: SyncMetrics): Promise<{port: number; close: () => Promise<void>}> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET') {
      res.writeHead(405).end()
      return
    }
    if (url === '/healthz') {
      res.writeHead(200, {'Content-Type': 'text/plain'}).end('ok\n')
    } else if (url === '/readyz') {
      const h = health()
      res.writeHead(h.ready ? 200 : 503, {'Content-Type': 'text/plain'}).end(h.ready ? 'ok\n' : `not ready: ${h.lastError ?? 'first sync not done'}\n`)
    } else if (url === '/metrics') {
      res.writeHead(200, {'Content-Type': 'text/plain; version=0.0.4'}).end(renderMetrics(metrics))
    } else res.writeHead(404).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new UnavailableError(`--sync-metrics-address ${addr.host}:${addr.port}: ${e.code === 'EADDRINUSE' ? 'address in use' : e.code}`)))
    server.listen(addr.port, addr.host, resolve)
  })
  const port = (server.address() as {port: number}).port
  return {port, close: () => new Promise((r) => server.close(() => r()))}
}
