/**
 * A small NITRO (NetScaler REST API) client: session login, GET of entities,
 * add (POST), bind/update (PUT) and delete, with NITRO's errorcode bodies turned
 * into typed errors. Credentials are never printed; TLS is verified unless the
 * user turns it off.
 */
import {closeSync, openSync, readSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {DataError, PermissionError, UnavailableError, UsageError} from '../errors.js'

export interface NitroCredentials {
  username: string
  password: string
}

export interface NitroResponse {
  status: number
  body: {errorcode?: number; message?: string; severity?: string} & Record<string, unknown>
}

/** One HTTP exchange (injected: fetch in the CLI, anything in tests). */
export type NitroTransport = (req: {method: string; url: string; headers: Record<string, string>; body?: string}) => Promise<{status: number; text: string}>

export class NitroError extends UnavailableError {
  constructor(
    message: string,
    readonly status: number,
    readonly errorcode: number,
  ) {
    super(message)
  }
}

export const NITRO = {ALREADY_EXISTS: 273, NO_SUCH_RESOURCE: 258} as const

export class NitroClient {
  private token?: string

  constructor(
    readonly baseUrl: string,
    private readonly creds: NitroCredentials,
    private readonly transport: NitroTransport,
  ) {
    const u = new URL(baseUrl)
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError(`--nitro-url ${baseUrl}: http or https only`)
  }

  private url(path: string, query = ''): string {
    return `${this.baseUrl.replace(/\/+$/, '')}/nitro/v1/${path}${query}`
  }

  private async exchange(method: string, path: string, body?: unknown, query = ''): Promise<NitroResponse> {
    const headers: Record<string, string> = {'Content-Type': 'application/json', Accept: 'application/json'}
    if (this.token) headers.Cookie = `NITRO_AUTH_TOKEN=${this.token}`
    let res: {status: number; text: string}
    try {
      res = await this.transport({method, url: this.url(path, query), headers, ...(body === undefined ? {} : {body: JSON.stringify(body)})})
    } catch (e) {
      throw new UnavailableError(`NITRO ${this.baseUrl}: ${(e as {cause?: {code?: string}}).cause?.code ?? (e as Error).message}`, {hint: 'check --nitro-url and that the management address answers'})
    }
    let parsed: NitroResponse['body'] = {}
    try {
      parsed = res.text ? JSON.parse(res.text) : {}
    } catch {
      throw new UnavailableError(`NITRO ${this.baseUrl} answered ${res.status} with a body that is not JSON: is this a NetScaler management address?`)
    }
    return {status: res.status, body: parsed}
  }

  private fail(what: string, r: NitroResponse): NitroError {
    const code = r.body.errorcode ?? 0
    const msg = typeof r.body.message === 'string' ? r.body.message.replace(/[\r\n]+/g, ' ').slice(0, 200) : ''
    if (r.status === 401) throw new PermissionError(`NITRO ${what}: 401 ${msg || 'not authorized'} (errorcode ${code})`, {hint: 'check the NITRO credentials (--nitro-user, NITRO_PASSWORD or --nitro-password-file)'})
    return new NitroError(`NITRO ${what}: ${r.status} ${msg} (errorcode ${code})`, r.status, code)
  }

  async login(): Promise<void> {
    const r = await this.exchange('POST', 'config/login', {login: {username: this.creds.username, password: this.creds.password, timeout: 900}})
    if (r.status !== 201 && r.status !== 200) throw this.fail('login', r)
    const token = typeof r.body.sessionid === 'string' ? r.body.sessionid : undefined
    if (!token) throw new DataError('NITRO login answered without a sessionid')
    this.token = token
  }

  async logout(): Promise<void> {
    if (!this.token) return
    await this.exchange('POST', 'config/logout', {logout: {}}).catch(() => undefined)
    this.token = undefined
  }

  /** All entities of a type, or the bindings of one entity (an empty list when there are none). */
  async list(type: string, name?: string): Promise<Array<Record<string, unknown>>> {
    const r = await this.exchange('GET', `config/${type}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`)
    if (r.status === 404 || r.body.errorcode === NITRO.NO_SUCH_RESOURCE) return []
    if (r.status !== 200) throw this.fail(`GET ${type}`, r)
    return (r.body[type] as Array<Record<string, unknown>> | undefined) ?? []
  }

  /** Statistics of a type (GET /nitro/v1/stat/<type>). */
  async stat(type: string, name?: string, query = ''): Promise<Array<Record<string, unknown>>> {
    const r = await this.exchange('GET', `stat/${type}${name ? `/${encodeURIComponent(name)}` : ''}`, undefined, query)
    if (r.status === 404 || r.body.errorcode === NITRO.NO_SUCH_RESOURCE) return []
    if (r.status !== 200) throw this.fail(`GET stat/${type}`, r)
    return (r.body[type] as Array<Record<string, unknown>> | undefined) ?? []
  }

  async add(type: string, fields: Record<string, unknown>): Promise<void> {
    const r = await this.exchange('POST', `config/${type}`, {[type]: fields})
    if (r.status !== 201 && r.status !== 200) throw this.fail(`add ${type} ${String(fields.name ?? fields.servicegroupname ?? fields.monitorname ?? fields.policyname ?? fields.certkey ?? '')}`, r)
  }

  async put(type: string, fields: Record<string, unknown>): Promise<void> {
    const r = await this.exchange('PUT', `config/${type}`, {[type]: fields})
    if (r.status !== 201 && r.status !== 200) throw this.fail(`PUT ${type}`, r)
  }

  /** DELETE /config/<type>/<name>[?args=k:v,...] (bindings need their args). */
  async remove(type: string, name: string, args: Record<string, string | number> = {}): Promise<void> {
    const a = Object.entries(args)
    const query = a.length ? `?args=${a.map(([k, v]) => `${k}:${encodeURIComponent(String(v))}`).join(',')}` : ''
    const r = await this.exchange('DELETE', `config/${type}/${encodeURIComponent(name)}`, undefined, query)
    if (r.status === 404 || r.body.errorcode === NITRO.NO_SUCH_RESOURCE) return
    if (r.status !== 200) throw this.fail(`delete ${type} ${name}`, r)
  }
}

/** The CLI's transport: node:http(s), TLS verified unless insecure (then only for this client), bounded time and size. */
export function httpTransport(insecure: boolean, timeoutMs = 30_000): NitroTransport {
  return (req) =>
    new Promise((resolve, reject) => {
      const u = new URL(req.url)
      const mod = u.protocol === 'https:' ? https : http
      const r = mod.request(u, {method: req.method, headers: req.headers, ...(u.protocol === 'https:' ? {rejectUnauthorized: !insecure} : {})}, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > 64 * 1024 * 1024) r.destroy(new Error('answer larger than 64 MiB'))
          else chunks.push(c)
        })
        res.on('end', () => resolve({status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}))
        res.on('error', reject)
      })
      r.setTimeout(timeoutMs, () => r.destroy(Object.assign(new Error('timed out'), {cause: {code: 'ETIMEDOUT'}})))
      r.on('error', (e) => reject(Object.assign(e, {cause: {code: (e as NodeJS.ErrnoException).code ?? e.message}})))
      r.end(req.body)
    })
}

/** The NITRO user and password, from flags or NITRO_USER / NITRO_PASSWORD (a password is never a flag value). */
export interface NitroFlagValues {
  'nitro-url': string
  'nitro-user'?: string
  'nitro-password-file'?: string
  'nitro-insecure-skip-tls-verify': boolean
}

/** A session with the appliance. Errors: UsageError (exit 64) for a missing user or password, an unreadable password file, or a bad URL. */
export function nitroClient(f: NitroFlagValues, env: NodeJS.ProcessEnv, transport?: NitroTransport): NitroClient {
  const username = f['nitro-user'] ?? env.NITRO_USER
  if (!username) throw new UsageError('no NITRO user: pass --nitro-user or set NITRO_USER')
  let password = env.NITRO_PASSWORD
  if (f['nitro-password-file']) {
    try {
      password = readSmall(f['nitro-password-file'], 64 * 1024).replace(/\r?\n$/, '')
    } catch (e) {
      throw new UsageError(`--nitro-password-file ${f['nitro-password-file']}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  }
  if (!password) throw new UsageError('no NITRO password: set NITRO_PASSWORD or pass --nitro-password-file')
  let url: URL
  try {
    url = new URL(f['nitro-url'])
  } catch {
    throw new UsageError(`--nitro-url ${JSON.stringify(f['nitro-url'])}: not a URL`)
  }
  return new NitroClient(url.origin, {username, password}, transport ?? httpTransport(f['nitro-insecure-skip-tls-verify']))
}

/** A small file (a regular file, a pipe or /dev/stdin) read whole, at most `max` bytes: an endless one is refused ("larger than N KiB"). */
function readSmall(file: string, max: number): string {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(max + 1)
    let n = 0
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null)
      if (got === 0) break
      n += got
      if (n > max) throw new Error(`larger than ${max / 1024} KiB`)
    }
    return buf.subarray(0, n).toString('utf8')
  } finally {
    closeSync(fd)
  }
}
