/**
 * A real HAProxy (Debian's package) for integration tests, in master-worker
 * mode on loopback, plus tiny HTTP backends on 127.0.0.x that answer with their
 * name. Everything is stopped by `stop()`, and by process exit as a last resort.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {parseShowProc, sendRuntime} from '../../src/core/haproxy-runtime.js'

export interface Proxy {
  dir: string
  configDir: string
  runDir: string
  master: string
  admin: string
  child: ChildProcess
  stop(): Promise<void>
}

export function tempDirs(): {dir: string; configDir: string; runDir: string} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-haproxy-'))
  return {dir, configDir: path.join(dir, 'etc'), runDir: path.join(dir, 'run')}
}

/** Starts `haproxy -W -S master.sock -f haproxy.cfg` in the foreground of a child process. */
export async function startHaproxy(d: {dir: string; configDir: string; runDir: string}): Promise<Proxy> {
  const master = path.join(d.runDir, 'master.sock')
  const admin = path.join(d.runDir, 'admin.sock')
  const child = spawn('haproxy', ['-W', '-S', `${master},mode,600`, '-f', path.join(d.configDir, 'haproxy.cfg')], {stdio: ['ignore', 'ignore', 'pipe']})
  let log = ''
  child.stderr!.on('data', (b) => (log += b))
  const deadline = Date.now() + 10_000
  for (;;) {
    const proc = await sendRuntime(master, 'show proc').then(parseShowProc, () => undefined)
    const up = proc && proc.workers.length > 0 && (await sendRuntime(admin, 'show info').then(() => true, () => false))
    if (up) break
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start: ${log}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const stop = async () => {
    if (child.exitCode !== null) return
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      child.once('exit', () => {
        clearTimeout(t)
        resolve()
      })
      child.kill('SIGTERM')
    })
  }
  return {...d, master, admin, child, stop}
}

export interface Backend {
  name: string
  address: string
  port: number
  hits: number
  close(): Promise<void>
}

/** An HTTP server on 127.0.0.x answering "<name>" and 200 on /healthz. */
export async function startBackend(name: string, address: string, port = 0): Promise<Backend> {
  const b = {name, address, port: 0, hits: 0} as Backend
  const server = http.createServer((req, res) => {
    if (req.url !== '/healthz') b.hits++
    res.setHeader('Content-Type', 'text/plain')
    // /headers: the request headers as this backend received them (JSON), for tests of what the proxy forwards.
    if (req.url === '/headers') return res.end(JSON.stringify(req.headers))
    res.end(`${name}\n`)
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((r) => server.listen(port, address, r))
  b.port = (server.address() as net.AddressInfo).port
  b.close = () => new Promise((r) => server.close(() => r()))
  server.closeIdleConnections?.()
  return b
}

/**
 * A first port with `count` free ports after it (for --listen-base-port: frontends take consecutive ports).
 * Ports are probed, not reserved: bounded retries make a collision with another process unlikely.
 */
export async function freePortRange(count: number, address = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000)
    const servers: net.Server[] = []
    let ok = true
    for (let p = base; p < base + count && ok; p++) {
      const s = net.createServer()
      ok = await new Promise<boolean>((r) => {
        s.once('error', () => r(false))
        s.listen(p, address, () => r(true))
      })
      if (ok) servers.push(s)
    }
    for (const s of servers) await new Promise((r) => s.close(r))
    if (ok) return base
  }
  throw new Error(`no ${count} consecutive free ports on ${address}`)
}

export async function freePort(address = '127.0.0.1'): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, address, r))
  const {port} = s.address() as net.AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

/** One HTTP request; resolves with status and body (never rejects: errors become status 0). */
export function get(port: number, host: string, urlPath = '/', agent?: http.Agent): Promise<{status: number; body: string; location?: string}> {
  return new Promise((resolve) => {
    const req = http.get({host: '127.0.0.1', port, path: urlPath, headers: {Host: host}, agent: agent ?? false, timeout: 5000}, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: body.trim(), location: res.headers.location}))
      res.on('error', () => resolve({status: 0, body: ''}))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', (e) => resolve({status: 0, body: String(e)}))
  })
}

export async function showProc(p: Proxy) {
  return parseShowProc(await sendRuntime(p.master, 'show proc'))
}
