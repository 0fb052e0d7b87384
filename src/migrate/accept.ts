/**
 * What vipctl accepts, asked of the model's own grammar (never a copy of it): migrate checks every value it is
 * about to write with these, and reports on the input line what does not pass instead of writing an object vipctl
 * would refuse.
 */
import {ingressHost} from '../cluster/schema.js'
import {allow, canonicalHost} from '../model/grammar.js'
import {canonicalIp, isLinkLocal4, isUnicast} from '../model/ip.js'

/** A VIP in canonical form, or undefined when it is not an address a VIP can be (unicast, not link-local). */
export function vipAddress(text: string): string | undefined {
  const ip = canonicalIp(text)
  return ip !== undefined && isUnicast(ip) && !isLinkLocal4(ip) ? ip : undefined
}

/** A member address in canonical form, or undefined when no endpoint can have it. */
export function memberAddress(text: string): string | undefined {
  const ip = canonicalIp(text)
  return ip !== undefined && isUnicast(ip) ? ip : undefined
}

/** An Ingress rule host in canonical form (lower case, no trailing dot), or undefined when the schema or the model refuses it. */
export function ruleHost(text: string): string | undefined {
  const h = canonicalHost(text)
  return ingressHost.safeParse(h).success && allow.host(h) ? h : undefined
}

/** True when an Ingress path is one the model routes (see allow.path). */
export function rulePath(text: string): boolean {
  return text.startsWith('/') && allow.path(text)
}

/** True for a TCP/UDP port 1-65535. */
export function port(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535
}

/**
 * vipctl.io/member-weights from members' weights (members of weight 1, the default, left out): one weight per
 * address, as the annotation keys them. A second member on the same address (another port) with another weight
 * is passed to `conflict`, and the first weight is kept.
 */
export function memberWeights<M extends {ip: string; weight?: number}>(members: M[], conflict: (m: M, kept: number) => void): string | undefined {
  const by = new Map<string, number>()
  for (const m of members) {
    const w = m.weight ?? 1
    const have = by.get(m.ip)
    if (have === undefined) by.set(m.ip, w)
    else if (have !== w) conflict(m, have)
  }
  const parts = [...by].filter(([, w]) => w !== 1).map(([ip, w]) => `${ip}=${w}`)
  return parts.length ? parts.join(',') : undefined
}
