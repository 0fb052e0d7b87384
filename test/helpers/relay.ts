/**
 * A fault-injecting relay between vipctl sync and the real API server: plain
 * HTTP on loopback in front, HTTPS to the API server behind. The test decides:
 * cut every connection mid-stream, answer the next requests with a status
 * (5xx, 429 + Retry-After), expire the next watches (410 Gone, as the API
 * server says it after a compaction), or go silent (keep streams open, pass
 * nothing on).
 */
import http from 'node:http'
import https from 'node:https'
import type net from 'node:net'

export interface Relay {
  url: string
  requests: number
  watches: number
  /** Destroys every open connection (mid-stream for watches). */
  cut(): void
  /** The next n requests are answered with this status (and Retry-After seconds, for 429). */
  fail(n: number, status: number, retryAfterSec?: number): void
  /** The next n watch requests get an ERROR event with code 410, as after a compaction. */
  expire(n: number): void
  /** While on, open and new watch streams stay open but pass nothing on. */
  silence(on: boolean): void
  close(): Promise<void>
}

export async function startRelay(target: string): Promise<Relay> {
  const sockets = new Set<net.Socket>()
  const failing: Array<{status: number; retryAfter?: number}> = []
  let expiring = 0
  let silent = false
  const relay = {requests: 0, watches: 0} as Relay
  const server = http.createServer((req, res) => {
    relay.requests++
    const isWatch = /[?&]watch=(1|true)/.test(req.url ?? '')
    if (isWatch) relay.watches++
    if (isWatch && expiring > 0) {
      expiring--
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.end(`${JSON.stringify({type: 'ERROR', object: {kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410}})}\n`)
      return
    }
    const f = failing.shift()
    if (f) {
      res.writeHead(f.status, {'Content-Type': 'application/json', ...(f.retryAfter !== undefined ? {'Retry-After': String(f.retryAfter)} : {})})
      res.end(JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `injected ${f.status}`, code: f.status}))
      return
    }
    const up = https.request(new URL(req.url ?? '/', target), {method: req.method, headers: {...req.headers, host: new URL(target).host}, rejectUnauthorized: false}, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers)
      ur.on('data', (d) => {
        if (!(isWatch && silent)) res.write(d)
      })
      ur.on('end', () => res.end())
      ur.on('error', () => res.destroy())
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
    res.on('close', () => up.destroy())
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address() as net.AddressInfo
  relay.url = `http://127.0.0.1:${port}`
  relay.cut = () => {
    for (const s of sockets) s.destroy()
  }
  relay.fail = (n, status, retryAfter) => {
    for (let i = 0; i < n; i++) failing.push({status, retryAfter})
  }
  relay.expire = (n) => {
    expiring += n
  }
  relay.silence = (on) => {
    silent = on
  }
  relay.close = () =>
    new Promise((r) => {
      relay.cut()
      server.close(() => r())
    })
  return relay
}
