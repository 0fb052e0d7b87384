/**
 * kubectl's client flags (--kubeconfig, --context, --server, --token, --as, --as-group,
 * --insecure-skip-tls-verify, --request-timeout, -v) -> ClientOptions: pure parsing, shared by the CLI's
 * sourceOptions and by the services that read a cluster themselves (sync, install).
 */
import type {ClientOptions} from './live.js'
import {UsageError} from '../errors.js'
import {maskUrlUserinfo, printableShort} from '../core/printable.js'
import {parseDuration, type DurationRules} from '../core/duration.js'

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

/** Go's time.ParseDuration units and fractions, plus kubectl's bare whole number of seconds. */
const GO_DURATION: DurationRules = {units: ['ns', 'us', 'µs', 'ms', 's', 'm', 'h'], fractions: true, bare: 'whole-seconds'}

/** The longest --request-timeout: Node's timers take at most 2^31-1 ms, and a whole reply may take 5 periods. */
const MAX_REQUEST_TIMEOUT_MS = 24 * 3_600_000

/**
 * --request-timeout as kubectl reads it: a Go-style duration (500ms, 5s, 1m, 1h, 1m30s, 1.5s) or a bare whole
 * number of seconds; 0 (in any unit) is no timeout. Errors: UsageError (exit 64) for anything else, or past 24h.
 */
export function requestTimeoutOption(value: string | number | undefined): number {
  if (value === undefined) return 30_000
  const text = String(value)
  const ms = parseDuration(text, GO_DURATION)
  if (ms === undefined) throw new UsageError(`--request-timeout ${JSON.stringify(text.slice(0, 40))}: expected a duration such as 500ms, 5s, 1m or 1m30s, a number of seconds, or 0 for no timeout`)
  if (ms > MAX_REQUEST_TIMEOUT_MS) throw new UsageError(`--request-timeout ${text}: at most 24h (0 for no timeout)`)
  if (ms > 0 && ms < 1) throw new UsageError(`--request-timeout ${text}: at least 1ms (0 for no timeout)`)
  return Math.round(ms)
}

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
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || !u.hostname) throw new UsageError(`--server ${JSON.stringify(safeFlagText(maskUrlUserinfo(f.server)))}: expected an API server URL, https://HOST[:PORT]`)
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

