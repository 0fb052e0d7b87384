/**
 * Flags -> typed options (kubectl's Complete/Validate step). Pure except for
 * reading process streams in ioFromProcess, which commands call once.
 */
import {parseSelector} from '../cluster/selector.js'
import {readAll, type SourceIO, type SourceOptions} from '../cluster/source.js'
import type {ModelOptions} from '../model/types.js'
import {canonicalIp, isLinkLocal4, isUnicast, parseCidr, parseVipAllow} from '../model/ip.js'
import {UsageError} from '../errors.js'
import {clientOptions, type ClientFlagValues} from '../cluster/client-options.js'
import {terminalText} from '../core/printable.js'
import {ipFamily} from '../core/address.js'
export {clientOptions, requestTimeoutOption, type ClientFlagValues} from '../cluster/client-options.js'
export {hostPortOption, isLoopback} from '../core/address.js'
import {BlockList} from 'node:net'

export interface SourceFlagValues extends ClientFlagValues {
  filename?: string[]
  strict?: boolean
  namespace?: string
  'all-namespaces'?: boolean
}

/** Client flags that only mean something when a cluster is read (--request-timeout and -v are harmless with -f). */
const CLUSTER_ONLY = ['server', 'token', 'as', 'as-group', 'insecure-skip-tls-verify', 'kubeconfig', 'context'] as const

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

export function modelOptions(f: {'ingress-class'?: string; vip?: string; 'vip-pool'?: string; 'vip-allow'?: string}): ModelOptions {
  if (f.vip !== undefined && (ipFamily(f.vip) === 0 || f.vip.includes('%'))) throw new UsageError(`--vip ${JSON.stringify(f.vip)}: expected an IPv4 or IPv6 address`)
  if (f.vip !== undefined && (!isUnicast(f.vip) || isLinkLocal4(f.vip))) throw new UsageError(`--vip ${f.vip}: not a unicast address a VIP can be (link-local, multicast and unspecified addresses cannot)`)
  if (f['vip-pool'] !== undefined) {
    const pool = parseCidr(f['vip-pool'])
    if (isLinkLocal4(pool.text.split('/')[0]!)) throw new UsageError(`--vip-pool ${f['vip-pool']}: a link-local range (169.254.0.0/16) cannot hold VIPs`)
  }
  if (f['ingress-class'] !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(f['ingress-class']))
    throw new UsageError(`--ingress-class ${JSON.stringify(f['ingress-class'])}: expected an IngressClass name`)
  const vipAllow = f['vip-allow'] !== undefined ? parseVipAllow(f['vip-allow']) : undefined
  return {ingressClass: f['ingress-class'], vip: f.vip, vipPool: f['vip-pool'], ...(vipAllow ? {vipAllow} : {})}
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

