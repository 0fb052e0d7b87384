/**
 * HAProxy's runtime API (the admin "stats" socket and the master socket): one
 * command per connection. Commands are built only from tokens that pass a
 * strict grammar, so nothing from Kubernetes can smuggle in a second command
 * (";" separates commands on this socket).
 */
import net from 'node:net'
import {PermissionError, UnavailableError} from '../errors.js'

const TOKEN = /^[A-Za-z0-9_.:\-/]+$/

/** Joins checked tokens into one runtime-API command. */
export function command(...tokens: string[]): string {
  for (const t of tokens) if (!TOKEN.test(t)) throw new Error(`internal: unsafe runtime API token ${JSON.stringify(t)}`)
  return tokens.join(' ')
}

export type RuntimeSend = (socket: string, cmd: string) => Promise<string>

/** Sends one command to a unix socket path (or host:port) and returns the whole answer. */
export const sendRuntime: RuntimeSend = (socket, cmd) =>
  new Promise((resolve, reject) => {
    const tcp = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(socket)
    const conn = tcp ? net.connect({host: tcp[1], port: Number(tcp[2])}) : net.connect({path: socket})
    let out = ''
    conn.setTimeout(10_000, () => conn.destroy(Object.assign(new Error('timeout'), {code: 'ETIMEDOUT'})))
    conn.on('connect', () => conn.end(`${cmd}\n`))
    conn.on('data', (d) => (out += d))
    conn.on('end', () => resolve(out))
    conn.on('error', (e: NodeJS.ErrnoException) => reject(socketError(socket, e)))
  })

export function socketError(socket: string, e: NodeJS.ErrnoException): Error {
  switch (e.code) {
    case 'ENOENT':
      return new UnavailableError(`HAProxy socket ${socket} does not exist: is HAProxy running?`, {hint: 'start it with haproxy -W -S <run-dir>/master.sock -f <config-dir>/haproxy.cfg'})
    case 'ECONNREFUSED':
      return new UnavailableError(`HAProxy socket ${socket} refused the connection: HAProxy is not running`, {hint: 'check the HAProxy process and its log'})
    case 'EACCES':
    case 'EPERM':
      return new PermissionError(`HAProxy socket ${socket}: permission denied`, {hint: 'run as the user that owns the socket (mode 600)'})
    default:
      return new UnavailableError(`HAProxy socket ${socket}: ${e.code ?? e.message}`)
  }
}

export interface ServerState {
  backend: string
  server: string
  address: string
  port: number
  /** 0 stopped, 1 starting, 2 running, 3 stopping */
  opState: number
  adminState: number
  /** Not in any maintenance that stops traffic (forced, inherited or resolver). */
  enabled: boolean
  /** The user weight (srv_uweight). */
  weight: number
}

/** Parses `show servers state` (format version 1). */
export function parseServersState(text: string): ServerState[] {
  const out: ServerState[] = []
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('#') || /^\d+$/.test(l.trim())) continue
    const f = l.trim().split(/\s+/)
    if (f.length < 19) continue
    const admin = Number(f[6])
    out.push({backend: f[1]!, server: f[3]!, address: f[4]!, port: Number(f[18]), opState: Number(f[5]), adminState: admin, enabled: (admin & 0x23) === 0, weight: Number(f[7])})
  }
  return out
}

export interface ProcInfo {
  masterPid: number
  reloads: number
  failed: number
  workers: number[]
}

/** Parses the master socket's `show proc`. */
export function parseShowProc(text: string): ProcInfo {
  const info: ProcInfo = {masterPid: 0, reloads: 0, failed: 0, workers: []}
  let section = ''
  for (const l of text.split('\n')) {
    if (l.startsWith('# workers')) section = 'workers'
    else if (l.startsWith('# old workers') || l.startsWith('# programs')) section = 'other'
    else if (l.startsWith('#') || l.trim() === '') continue
    else {
      const m = /^(\d+)\s+(\w+)\s+(\d+)(?:\s+\[failed: (\d+)\])?/.exec(l.trim())
      if (!m) continue
      if (m[2] === 'master') {
        info.masterPid = Number(m[1])
        info.reloads = Number(m[3])
        info.failed = Number(m[4] ?? 0)
      } else if (section === 'workers' && m[2] === 'worker') info.workers.push(Number(m[1]))
    }
  }
  return info
}

export interface StatRow {
  pxname: string
  svname: string
  status: string
  /** HAProxy's last check result, e.g. L4CON, L7STS, L4OK. */
  checkStatus: string
  /** addr column: the server's address:port. */
  addr: string
}

/** Parses `show stat` CSV into proxy/server names and status (enough to verify a config is live). */
export function parseShowStat(text: string): StatRow[] {
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'))
  return lines.map((l) => {
    const f = l.split(',')
    return {pxname: f[0] ?? '', svname: f[1] ?? '', status: f[17] ?? '', checkStatus: (f[36] ?? '').replace(/^\* ?/, ''), addr: f[73] ?? ''}
  })
}
