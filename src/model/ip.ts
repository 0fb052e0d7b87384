/** Small IPv4 helpers for VIP pools (IPv6 VIPs are supported, IPv6 pools are not yet). */
import {isIP, isIPv4} from 'node:net'
import {UsageError} from '../errors.js'

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
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

/** Rejects addresses no VIP or member may have: unspecified, multicast, broadcast. */
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

export function isUnicast(ip: string): boolean {
  // Fast path for the common case (100k endpoints): plain dotted IPv4.
  const d = DOTTED.exec(ip)
  if (d) {
    const o = [Number(d[1]), Number(d[2]), Number(d[3]), Number(d[4])]
    if (o.some((x) => x > 255) || d.slice(1).some((x) => x.length > 1 && x.startsWith('0'))) return false
    return ip !== '0.0.0.0' && ip !== '255.255.255.255' && !(o[0]! >= 224 && o[0]! <= 239)
  }
  // node's isIP accepts IPv6 zone ids with any text after "%": never let one through.
  if (ip.includes('%')) return false
  const v = isIP(ip)
  if (v === 4) {
    const first = Number(ip.split('.')[0])
    return ip !== '0.0.0.0' && ip !== '255.255.255.255' && !(first >= 224 && first <= 239)
  }
  if (v === 6) {
    const l = ip.toLowerCase()
    return l !== '::' && !l.startsWith('ff')
  }
  return false
}

/** A string that sorts like the address: IPv4 (numerically) before IPv6 (by expanded value). */
export function ipSortKey(ip: string): string {
  if (isIPv4(ip)) return `4${ipv4ToInt(ip).toString(16).padStart(8, '0')}`
  if (isIP(ip) !== 6) return `9${ip}`
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
