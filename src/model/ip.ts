/** Small IPv4 helpers for VIP pools (IPv6 VIPs are supported, IPv6 pools are not yet). */
import {ipFamily} from '../core/address.js'
import {isIPv4} from 'node:net'
import {UsageError} from '../errors.js'

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
}

/**
 * The value of a dotted IPv4 address exactly as node's isIPv4 accepts it (four decimal octets 0-255, no leading
 * zeros), read without a regular expression or intermediate strings; -1 for anything else. On the paths that
 * see every member (hundreds of thousands), instead of isIPv4 followed by ipv4ToInt.
 */
export function dottedIpv4(ip: string): number {
  const len = ip.length
  if (len < 7 || len > 15) return -1
  let value = 0
  let octets = 0
  let i = 0
  while (i < len) {
    const start = i
    let octet = 0
    while (i < len) {
      const c = ip.charCodeAt(i)
      if (c < 48 || c > 57) break
      octet = octet * 10 + (c - 48)
      i++
    }
    const digits = i - start
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && ip.charCodeAt(start) === 48)) return -1
    value = value * 256 + octet
    octets++
    if (i === len) break
    if (ip.charCodeAt(i) !== 46 || octets === 4) return -1
    i++
    if (i === len) return -1
  }
  return octets === 4 ? value : -1
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')
}

export interface Cidr {
  text: string
  base: number
  size: number
}

export function parseCidr(text: string, flag = '--vip-pool'): Cidr {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text)
  if (!m || !isIPv4(m[1]!) || Number(m[2]) > 32) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected an IPv4 CIDR such as 10.96.100.0/24`)
  const bits = Number(m[2])
  const size = 2 ** (32 - bits)
  const base = ipv4ToInt(m[1]!) - (ipv4ToInt(m[1]!) % size)
  return {text, base, size}
}

export function cidrContains(c: Cidr, ip: string): boolean {
  if (!isIPv4(ip)) return false
  const n = ipv4ToInt(ip)
  return n >= c.base && n < c.base + c.size
}

/** Usable host addresses of a pool: all but network and broadcast for prefixes up to /30. */
export function usableRange(c: Cidr): {first: number; count: number} {
  return c.size <= 2 ? {first: c.base, count: c.size} : {first: c.base + 1, count: c.size - 2}
}

/** Rejects addresses no VIP or member may have: unspecified (0.0.0.0/8, ::), multicast, broadcast, IPv6 link-local. */
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

export function isUnicast(ip: string): boolean {
  // Fast path for the common case (100k endpoints): plain dotted IPv4.
  const n = dottedIpv4(ip)
  if (n >= 0) {
    const first = Math.floor(n / 0x1000000)
    return first !== 0 && n !== 0xffffffff && !(first >= 224 && first <= 239)
  }
  // Dotted but not an address (an octet above 255, a leading zero): node's isIP refuses it too.
  if (DOTTED.test(ip)) return false
  // node's isIP accepts IPv6 zone ids with any text after "%": never let one through.
  if (ip.includes('%')) return false
  const v = ipFamily(ip)
  if (v === 4) {
    const first = Number(ip.split('.')[0])
    return first !== 0 && ip !== '255.255.255.255' && !(first >= 224 && first <= 239)
  }
  if (v === 6) {
    // Link-local (fe80::/10) needs a zone to be bound or reached: never a VIP or a member.
    const l = canonicalIp(ip) ?? ''
    // IPv4-mapped (::ffff:0.0.0.0) is the IPv4 address it maps, judged as such.
    if (dottedIpv4(l) >= 0) return isUnicast(l)
    return l !== '' && l !== '::' && !l.startsWith('ff') && !/^fe[89ab][0-9a-f]:/.test(l)
  }
  return false
}

/**
 * IPv4 link-local (169.254.0.0/16, where cloud metadata services answer), also IPv4-mapped: never a VIP (IPv6
 * link-local is refused by isUnicast). Loopback stays allowed: a loopback VIP reaches only the node itself,
 * which is how vipctl is tried on one machine.
 */
export function isLinkLocal4(ip: string): boolean {
  if (isIPv4(ip)) return ip.startsWith('169.254.')
  // canonicalIp writes IPv4-mapped IPv6 as the IPv4 address.
  return (canonicalIp(ip) ?? '').startsWith('169.254.')
}

/** A string that sorts like the address: IPv4 (numerically) before IPv6 (by expanded value). */
export function ipSortKey(ip: string): string {
  const n = dottedIpv4(ip)
  if (n >= 0) return `4${n.toString(16).padStart(8, '0')}`
  if (ipFamily(ip) !== 6) return `9${ip}`
  const [head = '', tail = ''] = ip.toLowerCase().split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h
  return `6${groups.map((g) => g.padStart(4, '0')).join('')}`
}

/** Sorts by address (numeric, not lexical) with keys computed once per item: cheap on 100k members. */
export function sortByAddress<T>(items: T[], address: (t: T) => string, tie: (a: T, b: T) => number = () => 0): T[] {
  return items
    .map((item) => ({item, key: ipSortKey(address(item))}))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : tie(a.item, b.item)))
    .map((x) => x.item)
}

/**
 * The canonical text of an IP address, or undefined when it is not one.
 * Addresses are keyed and compared only in this form:
 *  - IPv4: dotted decimal without leading zeros (others are not addresses);
 *  - IPv4-mapped IPv6 (::ffff:a.b.c.d, ::ffff:XXXX:XXXX): the IPv4 address,
 *    since a socket bound to either receives the same traffic;
 *  - IPv6: RFC 5952 (lower case, no leading zeros, the longest run of two or
 *    more zero groups, the first on a tie, as "::").
 * Zone ids ("%eth0") are refused: a VIP is never link-scoped text.
 */
export function canonicalIp(text: string): string | undefined {
  if (dottedIpv4(text) >= 0) return text
  if (text.includes('%')) return undefined
  const v = ipFamily(text)
  if (v === 4) return text
  if (v !== 6) return undefined
  const groups = ipv6Groups(text)
  if (!groups) return undefined
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

/** The eight 16-bit groups of an IPv6 address already accepted by isIP. */
function ipv6Groups(text: string): number[] | undefined {
  let s = text.toLowerCase()
  const tail: number[] = []
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s)
  if (v4) {
    const o = v4.slice(1).map(Number)
    tail.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!)
    s = `${s.slice(0, v4.index)}0:0`
  }
  const [head = '', rest] = s.split('::') as [string, string | undefined]
  const h = head ? head.split(':') : []
  const r = rest === undefined ? [] : rest ? rest.split(':') : []
  const fill = rest === undefined ? 0 : 8 - h.length - r.length
  const all = [...h, ...Array<string>(fill).fill('0'), ...r].map((g) => parseInt(g, 16))
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) return undefined
  if (tail.length) all.splice(6, 2, ...tail)
  return all
}

/** A network in canonical form: the address with host bits cleared (canonicalIp form) and the prefix length. */
export interface Network {
  /** "10.0.0.0/8", "2001:db8::/32" */
  text: string
  family: 4 | 6
  /** The network address as a bigint (32 or 128 bits) and the prefix length. */
  base: bigint
  bits: number
}

/**
 * "ADDRESS/PREFIX" (or a bare address, a /32 or /128) -> the network in canonical form, host bits cleared;
 * undefined when it is not one (zone ids, bad prefixes, IPv4-mapped IPv6 become their IPv4 network).
 */
export function canonicalNetwork(text: string): Network | undefined {
  const m = /^([0-9A-Fa-f:.]+)(?:\/([0-9]{1,3}))?$/.exec(text.trim())
  if (!m) return undefined
  const ip = canonicalIp(m[1]!)
  if (ip === undefined) return undefined
  const family = isIPv4(ip) ? 4 : 6
  const width = family === 4 ? 32 : 128
  let bits = m[2] === undefined ? width : Number(m[2])
  // An IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) is the IPv4 network it maps.
  if (family === 4 && !isIPv4(m[1]!)) bits -= 96
  if (!(bits >= 0 && bits <= width)) return undefined
  const value = family === 4 ? BigInt(ipv4ToInt(ip)) : ipv6Groups(ip)!.reduce((n, g) => (n << 16n) | BigInt(g), 0n)
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits)
  const base = value & mask
  const addr = family === 4 ? intToIpv4(Number(base)) : canonicalIp(Array.from({length: 8}, (_, i) => ((base >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':'))!
  return {text: `${addr}/${bits}`, family, base, bits}
}

/** Whether `ip` (any spelling) lies in the network. */
export function networkContains(n: Network, ip: string): boolean {
  const c = canonicalIp(ip)
  if (c === undefined) return false
  const v = canonicalNetwork(`${c}/${n.family === 4 ? 32 : 128}`)
  if (!v || v.family !== n.family) return false
  const width = n.family === 4 ? 32 : 128
  const mask = n.bits === 0 ? 0n : ((1n << BigInt(n.bits)) - 1n) << BigInt(width - n.bits)
  return (v.base & mask) === n.base
}

/**
 * --vip-allow's value: comma-separated CIDRs (IPv4 or IPv6, any spelling), returned as given, trimmed.
 * Errors: UsageError (exit 64) naming the flag and the first entry that is not a CIDR.
 */
export function parseVipAllow(text: string): string[] {
  const out = text.split(',').map((x) => x.trim())
  for (const c of out) if (c === '' || canonicalNetwork(c) === undefined) throw new UsageError(`--vip-allow ${JSON.stringify(c.slice(0, 60))}: expected CIDRs such as 192.0.2.0/24,2001:db8::/64 (comma-separated)`)
  return out
}

/**
 * --listen-address's value: the one unicast address of the node HAProxy listens on in dnat mode (also the VIP
 * rules' destination), in canonical form (IPv4-mapped IPv6 as the IPv4 address, IPv6 as RFC 5952).
 * Errors: UsageError (exit 64) for anything else: not an IP address (a zone id included), or an unspecified,
 * multicast, broadcast or link-local one.
 */
export function parseListenAddress(text: string): string {
  if (ipFamily(text) === 0 || text.includes('%')) throw new UsageError(`--listen-address ${JSON.stringify(text)}: expected an IP address`)
  if (!isUnicast(text) || isLinkLocal4(text))
    throw new UsageError(`--listen-address ${JSON.stringify(text)}: not a unicast address of this node (unspecified, multicast, broadcast and link-local addresses cannot be where the VIP rules send traffic)`)
  return canonicalIp(text) ?? text
}

/** ADDRESS:PORT as messages write it, an IPv6 address in brackets. */
export function fmtAddr(address: string, port: number): string {
  return ipFamily(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`
}
