/**
 * Flags -> typed options (kubectl's Complete/Validate step). Pure except for
 * reading process streams in ioFromProcess, which commands call once.
 */
import {parseSelector} from '../cluster/selector.js'
import {readAll, type SourceIO, type SourceOptions} from '../cluster/source.js'
import type {ModelOptions} from '../model/types.js'
import {canonicalIp, isLinkLocal4, isUnicast, parseCidr} from '../model/ip.js'
import {UsageError} from '../errors.js'
export {hostPortOption, isLoopback} from '../core/address.js'
import {BlockList, isIP} from 'node:net'

export interface SourceFlagValues {
  filename?: string[]
  strict?: boolean
  kubeconfig?: string
  context?: string
  namespace?: string
  'all-namespaces'?: boolean
  'request-timeout'?: number
}

export function sourceOptions(f: SourceFlagValues): SourceOptions {
  if (f.strict && !f.filename?.length) throw new UsageError('--strict applies to -f input only')
  return {
    filenames: f.filename,
    strict: Boolean(f.strict),
    kubeconfig: f.kubeconfig,
    context: f.context,
    namespace: f.namespace,
    allNamespaces: Boolean(f['all-namespaces']),
    requestTimeoutMs: (f['request-timeout'] ?? 30) * 1000,
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

export function selectorOption(s: string | undefined) {
  return s === undefined ? undefined : parseSelector(s)
}

/** The process's real streams and environment, as the ports services take. */
export function ioFromProcess(): SourceIO {
  return {readStdin: () => readAll(process.stdin), env: process.env}
}

