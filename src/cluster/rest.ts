/**
 * A small Kubernetes REST client: raw JSON in and out over node:https, with
 * authentication applied by @kubernetes/client-node's KubeConfig (tokens,
 * client certificates, exec plugins, proxies). Raw JSON keeps objects exactly
 * as the API server sent them, and lets every failure become a typed error that
 * says what the user can do about it.
 */
import http from 'node:http'
import https from 'node:https'
import {setTimeout as sleep} from 'node:timers/promises'
import type {KubeConfig} from '@kubernetes/client-node'
import {PermissionError, UnavailableError, DataError, oneLine} from '../errors.js'
import {safe} from './intake.js'

export interface RestResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: unknown
}

export interface RestClient {
  readonly server: string
  readonly user: string
  get(path: string, query?: Record<string, string | number | undefined>): Promise<RestResponse>
  /** Any verb with a JSON body (server-side apply: PATCH with application/apply-patch+yaml). */
  send?(method: string, path: string, query: Record<string, string | number | undefined>, body: unknown, contentType: string): Promise<RestResponse>
  /**
   * A streaming GET (watch): calls onLine for every newline-terminated line as it
   * arrives; resolves with the status when the server ends the response (a non-200
   * answer resolves with its parsed body, no lines), rejects on transport errors or
   * abort. `onData` sees every chunk (for watchdogs).
   */
  stream?(path: string, query: Record<string, string | number | undefined>, onLine: (line: string) => void, signal: AbortSignal): Promise<RestResponse>
}

/** What a request was for, so that errors can name the verb, resource and namespace. */
export interface RequestIntent {
  verb: 'list' | 'get' | 'watch' | 'patch'
  resource: string
  namespace?: string
  name?: string
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'EPROTO',
])

const NET_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
}

/** Maps a transport error (no HTTP response) to a typed error. */
export function transportError(err: NodeJS.ErrnoException, server: string): Error {
  const code = err.code ?? ''
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))
    return new UnavailableError(`TLS error talking to the API server at ${server}: ${code}`, {
      hint: 'check certificate-authority in the kubeconfig cluster entry',
      cause: err,
    })
  const what = NET_CODES[code]
  if (what) return new UnavailableError(`cannot reach the API server at ${server}: ${what}`, {hint: 'is the cluster up? check --context and --kubeconfig', cause: err})
  if (code === 'VIPCTL_TIMEOUT') return new UnavailableError(`the API server at ${server} did not answer in time`, {hint: 'raise --request-timeout', cause: err})
  return new UnavailableError(`cannot talk to the API server at ${server}: ${oneLine(err.message)}`, {cause: err})
}

/** Maps an HTTP error response to a typed error naming what was asked. */
export function statusError(res: RestResponse, intent: RequestIntent, server: string, user: string): Error {
  const body = (res.body ?? {}) as {message?: unknown}
  const msg = typeof body.message === 'string' ? safe(oneLine(body.message)).slice(0, 300) : ''
  const where = intent.namespace ? ` in namespace "${intent.namespace}"` : ' at cluster scope'
  const target = intent.name ? `${intent.resource} "${intent.name}"` : intent.resource
  switch (res.status) {
    case 401:
      return new PermissionError(`the API server at ${server} rejected the credentials of user "${user}" (401 Unauthorized)`, {
        hint: 'refresh your login or check the kubeconfig user',
      })
    case 403:
      return new PermissionError(`user "${user}" cannot ${intent.verb} ${target}${where} (403 Forbidden)`, {
        hint: `ask for RBAC "${intent.verb}" on ${intent.resource}`,
      })
    case 404:
      if (intent.resource === 'namespaces') return new DataError(`namespace "${intent.name}" not found`)
      return new DataError(`${target}${where} not found${msg ? `: ${msg}` : ''}`)
    default:
      return new UnavailableError(`the API server answered ${res.status} to ${intent.verb} ${target}${where}${msg ? `: ${msg}` : ''}`)
  }
}

/** A client for the KubeConfig's current context. */
export async function restClient(kc: KubeConfig, timeoutMs: number): Promise<RestClient> {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new DataError('kubeconfig: the current context names no cluster')
  const server = cluster.server.replace(/\/+$/, '')
  const user = kc.getCurrentUser()?.name ?? '(none)'
  const base = new URL(server)
  const opts: https.RequestOptions = {headers: {}}
  try {
    await kc.applyToHTTPSOptions(opts)
  } catch (error) {
    throw new DataError(`kubeconfig: cannot set up credentials for user "${user}": ${oneLine((error as Error).message)}`, {cause: error})
  }
  const mod = base.protocol === 'http:' ? http : https

  const once = (path: string, query?: Record<string, string | number | undefined>) =>
    new Promise<RestResponse>((resolve, reject) => {
      const u = new URL(base.pathname.replace(/\/$/, '') + path, base)
      for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v))
      const req = mod.request(
        u,
        {...opts, method: 'GET', headers: {...(opts.headers as Record<string, string>), Accept: 'application/json', 'User-Agent': 'vipctl'}},
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let body: unknown
            try {
              body = text ? JSON.parse(text) : undefined
            } catch {
              body = {message: text.slice(0, 200)}
            }
            resolve({status: res.statusCode ?? 0, headers: res.headers, body})
          })
        },
      )
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), {code: 'VIPCTL_TIMEOUT'})))
      req.on('error', (e) => reject(transportError(e as NodeJS.ErrnoException, server)))
      req.end()
    })

  const url = (path: string, query?: Record<string, string | number | undefined>) => {
    const u = new URL(base.pathname.replace(/\/$/, '') + path, base)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v))
    return u
  }
  const headers = (extra: Record<string, string>) => ({...(opts.headers as Record<string, string>), 'User-Agent': 'vipctl', ...extra})

  return {
    server,
    user,
    send: (method, path, query, body, contentType) =>
      new Promise<RestResponse>((resolve, reject) => {
        const payload = Buffer.from(JSON.stringify(body))
        const req = mod.request(url(path, query), {...opts, method, headers: headers({Accept: 'application/json', 'Content-Type': contentType, 'Content-Length': String(payload.length)})}, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let parsed: unknown
            try {
              parsed = text ? JSON.parse(text) : undefined
            } catch {
              parsed = {message: text.slice(0, 200)}
            }
            resolve({status: res.statusCode ?? 0, headers: res.headers, body: parsed})
          })
        })
        req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), {code: 'VIPCTL_TIMEOUT'})))
        req.on('error', (e) => reject(transportError(e as NodeJS.ErrnoException, server)))
        req.end(payload)
      }),
    stream: (path, query, onLine, signal) =>
      new Promise<RestResponse>((resolve, reject) => {
        if (signal.aborted) return reject(Object.assign(new Error('aborted'), {code: 'ABORT_ERR'}))
        const req = mod.request(url(path, query), {...opts, method: 'GET', headers: headers({Accept: 'application/json'}), signal}, (res) => {
          if (res.statusCode !== 200) {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('error', reject)
            res.on('end', () => {
              let body: unknown
              try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
              } catch {
                body = undefined
              }
              resolve({status: res.statusCode ?? 0, headers: res.headers, body})
            })
            return
          }
          let buf = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => {
            buf += c
            for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
              const l = buf.slice(0, i)
              buf = buf.slice(i + 1)
              if (!l.trim()) continue
              try {
                onLine(l)
              } catch (e) {
                req.destroy()
                reject(e)
                return
              }
            }
          })
          res.on('error', (e) => reject(transportError(e as NodeJS.ErrnoException, server)))
          res.on('aborted', () => reject(transportError(Object.assign(new Error('stream cut'), {code: 'ECONNRESET'}), server)))
          res.on('end', () => resolve({status: 200, headers: res.headers, body: undefined}))
        })
        req.on('error', (e) => reject((e as NodeJS.ErrnoException).name === 'AbortError' ? e : transportError(e as NodeJS.ErrnoException, server)))
        req.end()
      }),
    async get(path, query) {
      // 429: honour Retry-After (bounded), as client-go does.
      for (let attempt = 0; ; attempt++) {
        const res = await once(path, query)
        if (res.status !== 429 || attempt >= 3) return res
        const after = Math.min(Number(res.headers['retry-after'] ?? 1) || 1, 10)
        await sleep(after * 1000)
      }
    },
  }
}
