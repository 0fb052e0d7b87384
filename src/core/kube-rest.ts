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
import {printable, printableShort} from './printable.js'

export interface RestResponse {
  status: number
  headers: http.IncomingHttpHeaders
  /** The parsed JSON body; undefined when the body was empty or not JSON (see notJson). */
  body: unknown
  /** Set when the body was not JSON: its first characters, printable, for error messages. */
  notJson?: string
}

/** Bounds on what one reply may make us hold: a server or proxy that never stops sending gets an error, not our memory. */
export const REPLY_LIMITS = {
  /** One non-streaming reply (a list page of 200,000 Services is about 20 MB). */
  bodyBytes: 256 * 1024 * 1024,
  /** One watch event line (an object is at most about 1.5 MiB in etcd). */
  lineBytes: 16 * 1024 * 1024,
  /** A whole non-streaming reply must arrive within this many --request-timeout periods. */
  wholeReplyTimeouts: 5,
}

/**
 * An API server reply that is not what was asked for (not JSON, not a list, a
 * malformed watch event, too large). Exit 69 like any unavailable server, but
 * distinguishable: the sync loop relists after one instead of resuming.
 */
export class BadReplyError extends UnavailableError {}

/** 404 from the API server: the object, or the resource (an API group the server does not serve), is not there. */
export class NotFoundError extends DataError {}

/** Parses a reply body: JSON, or undefined plus a printable snippet of what came instead. */
export function parseBody(buf: Buffer): {body: unknown; notJson?: string} {
  if (buf.length === 0) return {body: undefined}
  const text = buf.toString('utf8')
  try {
    return {body: JSON.parse(text)}
  } catch {
    return {body: undefined, notJson: printableShort(text.slice(0, 120))}
  }
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
  const body = (res.body !== null && typeof res.body === 'object' ? res.body : {}) as {message?: unknown}
  const text = typeof body.message === 'string' ? body.message : (res.notJson ?? '')
  const msg = text ? printableShort(oneLine(text)).slice(0, 300) : ''
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
      return new NotFoundError(`${target}${where} not found${msg ? `: ${msg}` : ''}`)
    default:
      return new UnavailableError(`the API server answered ${res.status} to ${intent.verb} ${target}${where}${msg ? `: ${msg}` : ''}`)
  }
}

/** Reads a whole reply body, bounded: past `max` bytes the request is cut and the promise rejects. */
function readBody(req: http.ClientRequest, res: http.IncomingMessage, max: number, what: () => string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    res.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        req.destroy()
        reject(new BadReplyError(`${what()}: the reply is larger than ${Math.round(max / 1024 / 1024)} MiB`))
        return
      }
      chunks.push(c)
    })
    const cut = () => reject(new UnavailableError(`${what()}: the reply was cut off`))
    res.on('error', cut)
    res.on('aborted', cut)
    res.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

/** How requests are made, beyond what the kubeconfig says (kubectl's client flags). */
export interface RestOptions {
  /** Idle timeout of one request (--request-timeout); 0: none, as kubectl's "0". */
  timeoutMs: number
  /** kubectl's -v: 6 logs each request (method, URL, status, latency), 7 adds request headers, 8 response bodies (1 KiB), 9 whole bodies. */
  verbosity?: number
  /** --as and --as-group: sent as Impersonate-User and Impersonate-Group. */
  impersonate?: {user: string; groups: string[]}
  /** Where -v lines go (stderr); nothing is logged without it. */
  log?: (line: string) => void
}

/** Headers whose values are credentials: shown as <masked> at -v 7 and above, as kubectl does. */
const MASKED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie'])

/**
 * The -v lines for one exchange: never a credential (Authorization is masked) and never a Secret's body (a request
 * for a Secret, or a body whose kind is Secret, shows only its size).
 */
export function requestLog(
  verbosity: number,
  e: {method: string; url: string; status?: number; ms: number; requestHeaders: Record<string, unknown>; requestBody?: Buffer; responseBody?: Buffer; error?: string},
): string[] {
  if (verbosity < 6) return []
  const url = printable(e.url)
  const lines = [`${e.method} ${url} ${e.error ? `failed (${printableShort(e.error)})` : `${e.status ?? 0} ${http.STATUS_CODES[e.status ?? 0] ?? ''}`.trimEnd()} in ${Math.round(e.ms)} milliseconds`]
  if (verbosity >= 7) {
    lines.push('Request Headers:')
    for (const [k, v] of Object.entries(e.requestHeaders)) {
      for (const one of Array.isArray(v) ? v : [v]) {
        const shown = MASKED_HEADERS.has(k.toLowerCase()) ? `${printableShort(String(one).split(' ')[0]!, 20)} <masked>` : printable(String(one))
        lines.push(`    ${k}: ${shown}`)
      }
    }
  }
  if (verbosity >= 8) {
    const max = verbosity >= 9 ? 256 * 1024 : 1024
    const secretPath = /\/secrets(\/|\?|$)/.test(new URL(e.url).pathname + '?')
    const body = (label: string, b: Buffer | undefined) => {
      if (!b || b.length === 0) return
      const text = b.toString('utf8')
      if (secretPath || /"kind"\s*:\s*"Secret(List)?"/.test(text)) return lines.push(`${label}: (${b.length} bytes of a Secret, not shown)`)
      lines.push(`${label}: ${printable(text.length > max ? text.slice(0, max) : text)}${text.length > max ? ` [truncated ${text.length - max} chars]` : ''}`)
    }
    body('Request Body', e.requestBody)
    body('Response Body', e.responseBody)
  }
  return lines
}

/** A client for the KubeConfig's current context. `options` may be the timeout in milliseconds alone. */
export async function restClient(kc: KubeConfig, options: number | RestOptions, limits: typeof REPLY_LIMITS = REPLY_LIMITS): Promise<RestClient> {
  const ro: RestOptions = typeof options === 'number' ? {timeoutMs: options} : options
  const timeoutMs = ro.timeoutMs
  const verbosity = ro.log ? (ro.verbosity ?? 0) : 0
  const log = (lines: string[]) => {
    for (const l of lines) ro.log?.(l)
  }
  const origin = (kc as {origin?: string}).origin ?? 'kubeconfig'
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new DataError(`${origin}: the current context names no cluster`)
  const server = cluster.server.replace(/\/+$/, '')
  const user = kc.getCurrentUser()?.name ?? '(none)'
  let base: URL
  try {
    base = new URL(server)
  } catch (error) {
    throw new DataError(`${origin}: cluster "${printableShort(cluster.name)}": server ${JSON.stringify(printableShort(server))} is not a URL`, {cause: error})
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new DataError(`${origin}: cluster "${printableShort(cluster.name)}": server ${JSON.stringify(printableShort(server))}: scheme ${JSON.stringify(printableShort(base.protocol))} is not http: or https:`)
  const opts: https.RequestOptions = {headers: {}}
  try {
    await kc.applyToHTTPSOptions(opts)
  } catch (error) {
    throw new DataError(`${origin}: cannot set up credentials for user "${printableShort(user)}": ${credentialError(error)}`, {cause: error})
  }
  credentialHeaders(opts, `${origin}: user "${printableShort(user)}"`)
  const mod = base.protocol === 'http:' ? http : https

  const url = (path: string, query?: Record<string, string | number | undefined>) => {
    const u = new URL(base.pathname.replace(/\/$/, '') + path, base)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v))
    return u
  }
  const impersonation: Record<string, string | string[]> = ro.impersonate ? {'Impersonate-User': ro.impersonate.user, ...(ro.impersonate.groups.length ? {'Impersonate-Group': ro.impersonate.groups} : {})} : {}
  const headers = (extra: Record<string, string>) => ({...(opts.headers as Record<string, string>), 'User-Agent': 'vipctl', ...impersonation, ...extra}) as Record<string, string>
  /** Where a request went, for messages: the server and path, without the query (continue tokens are long and opaque). */
  const where = (method: string, path: string) => `${method} ${server}${path}`

  const request = (method: string, path: string, query: Record<string, string | number | undefined> | undefined, payload?: {body: Buffer; contentType: string}) =>
    new Promise<RestResponse>((resolve, reject) => {
      const h = payload
        ? headers({Accept: 'application/json', 'Content-Type': payload.contentType, 'Content-Length': String(payload.body.length)})
        : headers({Accept: 'application/json'})
      const u = url(path, query)
      const started = performance.now()
      const req = mod.request(u, {...opts, method, headers: h}, (res) => {
        readBody(req, res, limits.bodyBytes, () => where(method, path)).then(
          (buf) => {
            if (verbosity) log(requestLog(verbosity, {method, url: u.href, status: res.statusCode, ms: performance.now() - started, requestHeaders: h, requestBody: payload?.body, responseBody: buf}))
            resolve({status: res.statusCode ?? 0, headers: res.headers, ...parseBody(buf)})
          },
          reject,
        )
      })
      // Idle timeout, plus a bound on the whole exchange: a server that drips a byte now and then is cut too.
      // --request-timeout 0 is kubectl's "no timeout": neither bound is set.
      if (timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), {code: 'VIPCTL_TIMEOUT'})))
        const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), {code: 'VIPCTL_TIMEOUT'})), timeoutMs * limits.wholeReplyTimeouts)
        deadline.unref()
        req.on('close', () => clearTimeout(deadline))
      }
      req.on('error', (e) => {
        if (verbosity) log(requestLog(verbosity, {method, url: u.href, ms: performance.now() - started, requestHeaders: h, error: (e as NodeJS.ErrnoException).code ?? e.message}))
        reject(transportError(e as NodeJS.ErrnoException, server))
      })
      req.end(payload?.body)
    })

  return {
    server,
    user,
    send: (method, path, query, body, contentType) => request(method, path, query, {body: Buffer.from(JSON.stringify(body)), contentType}),
    stream: (path, query, onLine, signal) =>
      new Promise<RestResponse>((resolve, reject) => {
        if (signal.aborted) return reject(Object.assign(new Error('aborted'), {code: 'ABORT_ERR'}))
        const u = url(path, query)
        const h = headers({Accept: 'application/json'})
        const started = performance.now()
        const req = mod.request(u, {...opts, method: 'GET', headers: h, signal}, (res) => {
          // A watch is logged when its reply starts (its events are not: they are objects, Secrets among them at worst).
          if (verbosity) log(requestLog(Math.min(verbosity, 7), {method: 'GET', url: u.href, status: res.statusCode, ms: performance.now() - started, requestHeaders: h}))
          if (res.statusCode !== 200) {
            readBody(req, res, limits.lineBytes, () => where('GET', path)).then((buf) => resolve({status: res.statusCode ?? 0, headers: res.headers, ...parseBody(buf)}), reject)
            return
          }
          // Lines are split on bytes (a UTF-8 sequence never contains \n), so a long line costs one scan, not one per chunk.
          let pending: Buffer[] = []
          let pendingBytes = 0
          let failed = false
          const fail = (e: unknown) => {
            failed = true
            req.destroy()
            reject(e)
          }
          res.on('data', (c: Buffer) => {
            if (failed) return
            let from = 0
            for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, from)) {
              const line = Buffer.concat([...pending, c.subarray(from, i)]).toString('utf8')
              pending = []
              pendingBytes = 0
              from = i + 1
              if (!line.trim()) continue
              try {
                onLine(line)
              } catch (e) {
                return fail(e)
              }
            }
            if (from < c.length) {
              pending.push(c.subarray(from))
              pendingBytes += c.length - from
              if (pendingBytes > limits.lineBytes) fail(new BadReplyError(`watch ${where('GET', path)}: an event line is longer than ${Math.round(limits.lineBytes / 1024 / 1024)} MiB`))
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
        const res = await request('GET', path, query)
        if (res.status !== 429 || attempt >= 3) return res
        const after = Math.min(Number(res.headers['retry-after'] ?? 1) || 1, 10)
        await sleep(after * 1000)
      }
    },
  }
}

/**
 * The headers credentials set (a token, a tokenFile, an exec plugin's or auth
 * provider's reply), as kubectl sends them: surrounding whitespace trimmed (a
 * token file usually ends with a newline; client-go trims it too). A value that
 * still holds a character no HTTP header may carry is a DataError naming the
 * user, never the value (it is a secret), instead of Node's internal error.
 */
export function credentialHeaders(opts: https.RequestOptions, who: string): void {
  const headers = (opts.headers ?? {}) as Record<string, unknown>
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') continue
    // Only the whole value is trimmed (a token's own inner spaces go as they are, as with kubectl).
    const cleaned = value.trim()
    const problem = /^Bearer$/i.test(cleaned) ? 'an empty token' : /^[\t\x20-\x7e]*$/.test(cleaned) ? undefined : 'a control or non-ASCII character'
    if (problem) throw new DataError(`${who}: the credentials give ${name} a value HTTP cannot send (${problem}; the value is not shown)`)
    headers[name] = cleaned
  }
}

/**
 * Why credentials could not be set up, without what a credential plugin printed: Node's JSON errors quote the
 * input (a plugin that prints its raw token would have it in the message), so quoted text is never repeated.
 */
export function credentialError(error: unknown): string {
  if (error instanceof SyntaxError) return 'the credential plugin\'s output is not JSON (an ExecCredential); its output is not shown'
  return oneLine(String((error as Error)?.message ?? error)).replace(/"[^"]*"|'[^']*'/g, '"…"').slice(0, 200)
}
