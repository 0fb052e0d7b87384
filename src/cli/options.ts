/**
 * Flags -> typed options (kubectl's Complete/Validate step). Pure except for
 * reading process streams in ioFromProcess, which commands call once.
 */
import {parseSelector} from '../cluster/selector.js'
import {readAll, type SourceIO, type SourceOptions} from '../cluster/source.js'
import type {ModelOptions} from '../model/types.js'
import {canonicalIp, isLinkLocal4, isUnicast, parseCidr} from '../model/ip.js'
import {UsageError} from '../errors.js'
import type {ClientOptions} from '../cluster/live.js'
import {printableShort, terminalText} from '../core/printable.js'
export {hostPortOption, isLoopback} from '../core/address.js'
import {BlockList, isIP} from 'node:net'

/** The values of clientFlags (kubectl's client flags). */
export interface ClientFlagValues {
  kubeconfig?: string
  context?: string
  server?: string
  token?: string
  as?: string
  'as-group'?: string[]
  'insecure-skip-tls-verify'?: boolean
  'request-timeout'?: string | number
  v?: number
}

export interface SourceFlagValues extends ClientFlagValues {
  filename?: string[]
  strict?: boolean
  namespace?: string
  'all-namespaces'?: boolean
}

/** The longest --request-timeout: Node's timers take at most 2^31-1 ms, and a whole reply may take 5 periods. */
const MAX_REQUEST_TIMEOUT_MS = 24 * 3_600_000

/**
 * --request-timeout as kubectl reads it: a Go-style duration (500ms, 5s, 1m, 1h, 1m30s, 1.5s) or a bare whole
 * number of seconds; 0 (in any unit) is no timeout. Errors: UsageError (exit 64) for anything else, or past 24h.
 */
export function requestTimeoutOption(value: string | number | undefined): number {
  if (value === undefined) return 30_000
  const text = String(value)
  let ms: number
  if (/^\d{1,9}$/.test(text)) ms = Number(text) * 1000
  else {
    const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(text) ? [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)] : []
    if (parts.length === 0) throw new UsageError(`--request-timeout ${JSON.stringify(text.slice(0, 40))}: expected a duration such as 500ms, 5s, 1m or 1m30s, a number of seconds, or 0 for no timeout`)
    ms = parts.reduce((sum, m) => sum + Number(m[1]) * {ms: 1, s: 1000, m: 60_000, h: 3_600_000}[m[2] as 'ms'], 0)
  }
  if (ms > MAX_REQUEST_TIMEOUT_MS) throw new UsageError(`--request-timeout ${text}: at most 24h (0 for no timeout)`)
  if (ms > 0 && ms < 1) throw new UsageError(`--request-timeout ${text}: at least 1ms (0 for no timeout)`)
  return Math.round(ms)
}

/** Client flags that only mean something when a cluster is read (--request-timeout and -v are harmless with -f). */
const CLUSTER_ONLY = ['server', 'token', 'as', 'as-group', 'insecure-skip-tls-verify', 'kubeconfig', 'context'] as const

/**
 * kubectl's client flags -> ClientOptions. Errors: UsageError (exit 64) for a --server that is not an http(s) URL
 * (or carries user:password@), an empty or unsendable --token (the value is never repeated), --as-group without
 * --as, an impersonated name with a control character, or a bad --request-timeout.
 */
export function clientOptions(f: ClientFlagValues): ClientOptions {
  if (f.server !== undefined) {
    let u: URL | undefined
    try {
      u = new URL(f.server)
    } catch {
      /* below */
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || !u.hostname) throw new UsageError(`--server ${JSON.stringify(safeFlagText(f.server.replace(/\/\/[^/@]*@/, '//***@')))}: expected an API server URL, https://HOST[:PORT]`)
    if (u.username || u.password) throw new UsageError('--server: the URL carries credentials (user:password@); use --token or the kubeconfig user instead')
  }
  if (f.token !== undefined && (f.token.trim() === '' || !/^[\x21-\x7e]+$/.test(f.token.trim()))) throw new UsageError(`--token: ${f.token.trim() === '' ? 'empty' : 'a character HTTP cannot send (the value is not shown)'}`)
  const groups = f['as-group'] ?? []
  if (groups.length > 0 && f.as === undefined) throw new UsageError('--as-group needs --as (kubectl: "requesting groups or user-extra without impersonating a user")')
  for (const [flag, v] of [['--as', f.as], ...groups.map((g) => ['--as-group', g])] as Array<[string, string | undefined]>)
    if (v !== undefined && !/^[\x20-\x7e]{1,256}$/.test(v)) throw new UsageError(`${flag} ${JSON.stringify(safeFlagText(v))}: expected a user or group name (printable ASCII, at most 256 characters)`)
  return {
    kubeconfig: f.kubeconfig,
    context: f.context,
    requestTimeoutMs: requestTimeoutOption(f['request-timeout']),
    ...(f.server !== undefined ? {server: f.server.replace(/\/+$/, '')} : {}),
    ...(f.token !== undefined ? {token: f.token.trim()} : {}),
    ...(f['insecure-skip-tls-verify'] ? {insecureSkipTlsVerify: true} : {}),
    ...(f.v !== undefined ? {verbosity: f.v} : {}),
    ...(f.as !== undefined ? {impersonate: {user: f.as, groups}} : {}),
  }
}

/** A flag value in a message: printable and short. */
function safeFlagText(s: string): string {
  return printableShort(s).slice(0, 80)
}

export function sourceOptions(f: SourceFlagValues): SourceOptions {
  if (f.strict && !f.filename?.length) throw new UsageError('--strict applies to -f input only')
  const client = clientOptions(f)
  if (f.filename?.length) {
    // A cluster flag with -f is a mistake worth saying: nothing would use it (and --insecure-skip-tls-verify was
    // the NetScaler's before it was the API server's).
    const stray = CLUSTER_ONLY.find((k) => f[k] !== undefined && f[k] !== false && !(Array.isArray(f[k]) && f[k].length === 0))
    if (stray)
      throw new UsageError(`--${stray} is for reading a cluster, and -f reads manifests${stray === 'insecure-skip-tls-verify' ? ' (the NetScaler\'s is --nitro-insecure-skip-tls-verify)' : ''}`)
  }
  const {kubeconfig, context, requestTimeoutMs, ...overrides} = client
  return {
    filenames: f.filename,
    strict: Boolean(f.strict),
    kubeconfig,
    context,
    namespace: f.namespace,
    allNamespaces: Boolean(f['all-namespaces']),
    requestTimeoutMs,
    ...(Object.keys(overrides).length ? {client: overrides} : {}),
  }
}

export function modelOptions(f: {'ingress-class'?: string; vip?: string; 'vip-pool'?: string}): ModelOptions {
  if (f.vip !== undefined && (isIP(f.vip) === 0 || f.vip.includes('%'))) throw new UsageError(`--vip ${JSON.stringify(f.vip)}: expected an IPv4 or IPv6 address`)
  if (f.vip !== undefined && (!isUnicast(f.vip) || isLinkLocal4(f.vip))) throw new UsageError(`--vip ${f.vip}: not a unicast address a VIP can be (link-local, multicast and unspecified addresses cannot)`)
  if (f['vip-pool'] !== undefined) {
    const pool = parseCidr(f['vip-pool'])
    if (isLinkLocal4(pool.text.split('/')[0]!)) throw new UsageError(`--vip-pool ${f['vip-pool']}: a link-local range (169.254.0.0/16) cannot hold VIPs`)
  }
  if (f['ingress-class'] !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(f['ingress-class']))
    throw new UsageError(`--ingress-class ${JSON.stringify(f['ingress-class'])}: expected an IngressClass name`)
  return {ingressClass: f['ingress-class'], vip: f.vip, vipPool: f['vip-pool']}
}

/** --address of check trace: a VIP in canonical form. Errors: UsageError (exit 64) for anything else. */
/** An IP address flag (--address, --source) in canonical form; UsageError when it is not one. */
export function addressOption(text: string | undefined, flag = '--address'): string | undefined {
  if (text === undefined) return undefined
  const ip = canonicalIp(text)
  if (ip === undefined) throw new UsageError(`${flag} ${JSON.stringify(text)}: not an IP address`)
  return ip
}

/**
 * --method and -H of check trace: an upper-case method token and "Name: value" headers. Errors: UsageError (exit 64)
 * for a method that is not a token or a header without a name and a colon.
 */
export function requestOptions(method: string | undefined, headers: string[] | undefined): {method?: string; headers?: Array<[string, string]>} {
  const out: {method?: string; headers?: Array<[string, string]>} = {}
  if (method !== undefined) {
    if (!/^[A-Za-z]{1,20}$/.test(method)) throw new UsageError(`--method ${JSON.stringify(method.slice(0, 40))}: not an HTTP method`)
    out.method = method.toUpperCase()
  }
  if (headers?.length) {
    out.headers = headers.map((h) => {
      const i = h.indexOf(':')
      const name = i > 0 ? h.slice(0, i).trim() : ''
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/.test(name)) throw new UsageError(`--header ${JSON.stringify(h.slice(0, 60))}: expected "Name: value"`)
      return [name, h.slice(i + 1).trim()] as [string, string]
    })
  }
  return out
}

export function selectorOption(s: string | undefined) {
  return s === undefined ? undefined : parseSelector(s)
}

/** The process's real streams and environment, as the ports services take. */
export function ioFromProcess(): SourceIO {
  return {readStdin: () => readAll(process.stdin), env: process.env, stderr: (line) => void process.stderr.write(`${terminalText(line)}\n`)}
}

