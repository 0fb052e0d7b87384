/**
 * Flags -> typed options (kubectl's Complete/Validate step). Pure except for
 * reading process streams in ioFromProcess, which commands call once.
 */
import {parseSelector} from '../cluster/selector.js'
import {readAll, type SourceIO, type SourceOptions} from '../cluster/source.js'
import type {ModelOptions} from '../model/types.js'
import {parseCidr} from '../model/ip.js'
import {UsageError} from '../errors.js'
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
  if (f['vip-pool'] !== undefined) parseCidr(f['vip-pool'])
  if (f['ingress-class'] !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(f['ingress-class']))
    throw new UsageError(`--ingress-class ${JSON.stringify(f['ingress-class'])}: expected an IngressClass name`)
  return {ingressClass: f['ingress-class'], vip: f.vip, vipPool: f['vip-pool']}
}

export function selectorOption(s: string | undefined) {
  return s === undefined ? undefined : parseSelector(s)
}

/** The process's real streams and environment, as the ports services take. */
export function ioFromProcess(): SourceIO {
  return {readStdin: () => readAll(process.stdin), env: process.env}
}

/** True for 127.0.0.0/8 and ::1 (in any spelling). */
export function isLoopback(ip: string): boolean {
  const family = isIP(ip)
  if (family === 0) return false
  const loopback = new BlockList()
  loopback.addSubnet('127.0.0.0', 8, 'ipv4')
  loopback.addAddress('::1', 'ipv6')
  return loopback.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

/**
 * An IP:PORT flag value (IPv6 in brackets): a real address, a port 1-65535
 * (0 would be a random port no probe or scraper can find; HAProxy refuses it),
 * and with `loopback`, only 127.0.0.0/8 or [::1].
 */
export function hostPortOption(flag: string, text: string, opts: {loopback?: boolean; example?: string} = {}): {host: string; port: number} {
  const example = opts.example ?? '127.0.0.1:8405'
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/.exec(text)
  const host = m?.[1]!.replace(/^\[|\]$/g, '')
  if (!m || !host || isIP(host) === 0 || (m[1]!.startsWith('[') && isIP(host) !== 6)) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected IP:PORT, e.g. ${example}`)
  const port = Number(m[2])
  if (port < 1 || port > 65535) throw new UsageError(`${flag} ${text}: the port must be 1-65535`)
  if (opts.loopback && !isLoopback(host)) throw new UsageError(`${flag} ${text}: must be a loopback address (127.0.0.0/8 or [::1]), e.g. ${example}`)
  return {host, port}
}
