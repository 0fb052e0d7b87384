/** Address flag values: loopback checks and IP:PORT parsing, shared by every command and service. */
import {BlockList, isIPv4, isIPv6} from 'node:net'
import {UsageError} from '../errors.js'

/**
 * node's isIP: 0 (not an address), 4 or 6, for every input the same answer. isIP tests IPv4 and then IPv6, and
 * IPv6's one large regular expression costs ~4 ms to compile the first time any text reaches it (a host name,
 * an IPv4 address given to isIPv6): only IPv6 text holds ':' and IPv4 text never does, so each test runs only on
 * text that could pass it.
 */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (text.includes(':')) return isIPv6(text) ? 6 : 0
  return isIPv4(text) ? 4 : 0
}

/** True for 127.0.0.0/8 and ::1 (in any spelling). */
export function isLoopback(ip: string): boolean {
  const family = ipFamily(ip)
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
  if (!m || !host || ipFamily(host) === 0 || (m[1]!.startsWith('[') && ipFamily(host) !== 6)) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected IP:PORT, e.g. ${example}`)
  const port = Number(m[2])
  if (port < 1 || port > 65535) throw new UsageError(`${flag} ${text}: the port must be 1-65535`)
  if (opts.loopback && !isLoopback(host)) throw new UsageError(`${flag} ${text}: must be a loopback address (127.0.0.0/8 or [::1]), e.g. ${example}`)
  return {host, port}
}
