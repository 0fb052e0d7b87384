/**
 * VIP rules from the model. Two modes:
 *  - dnat: VIP:port is translated to where the proxy listens (one map per family);
 *  - bind: the VIPs become local addresses that the proxy binds; the table then
 *    only records which addresses are ours (set `vips`), so delete removes exactly those.
 * nftables: one table of our own per family (`ip vipctl`, `ip6 vipctl`), replaced
 * as a whole in one `nft -f` transaction; no other table is ever touched.
 * iptables: our own VIPCTL-* chains in the nat table, for hosts without nft.
 * Same model, same bytes.
 */
import {ipFamily} from '../../core/address.js'
import type {Diagnostic} from '../../cluster/types.js'
import type {Frontend, LbModel} from '../../model/types.js'
import {sortByAddress} from '../../model/ip.js'
import {severityOf} from '../../core/catalog.js'

export type VipMode = 'dnat' | 'bind'

export interface VipRule {
  family: 4 | 6
  vip: string
  port: number
  protocol: 'tcp' | 'udp'
  /** dnat: where the proxy listens for this frontend. */
  to?: {address: string; port: number}
  /** kind/namespace/name of the objects served (for comments). */
  owners: string[]
}

export const TABLE = 'vipctl'

const IP = /^[0-9a-f.:]+$/

/**
 * The rules the model asks for; in dnat mode each frontend needs a listener
 * (see the HAProxy target's listeners). A VIP of one family cannot be
 * translated to a listen address of the other (an ip6 table cannot DNAT to
 * IPv4): that frontend's rule is left out with a finding on its object
 * (pushed to `diagnostics`), and every other rule is still written.
 */
export function vipRules(model: LbModel, mode: VipMode, listeners: Map<string, {address: string; port: number}>, diagnostics?: Diagnostic[]): VipRule[] {
  const rules: VipRule[] = []
  for (const f of model.frontends) {
    const protocol = f.protocol === 'udp' ? 'udp' : 'tcp'
    const to = listeners.get(f.id)
    if (mode === 'dnat' && !to) {
      // No listener for it (UDP: HAProxy serves none; or the HTTPS frontend was left out): said, never dropped silently.
      const vip = ipFamily(f.address) === 6 ? `[${f.address}]:${f.port}` : `${f.address}:${f.port}`
      diagnostics?.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: f.provenance[0]?.object ?? f.id, field: f.provenance[0]?.field, message: `${protocol.toUpperCase()} ${vip} has no proxy listener to translate to; its VIP rule is left out`})
      continue
    }
    if (to && ipFamily(to.address) !== ipFamily(f.address)) {
      const vip = ipFamily(f.address) === 6 ? `[${f.address}]:${f.port}` : `${f.address}:${f.port}`
      diagnostics?.push({
        severity: severityOf('VIP3001'),
        code: 'VIP3001',
        object: f.provenance[0]?.object ?? f.id,
        field: f.provenance[0]?.field,
        message: `${protocol.toUpperCase()} ${vip} cannot be translated to --listen-address ${to.address} (IPv${ipFamily(f.address) === 6 ? 6 : 4} VIP, IPv${ipFamily(to.address) === 6 ? 6 : 4} listen address); its VIP rule is left out`,
      })
      continue
    }
    rules.push({family: ipFamily(f.address) === 6 ? 6 : 4, vip: f.address, port: f.port, protocol, ...(mode === 'dnat' ? {to} : {}), owners: owners(f)})
  }
  for (const r of rules) if (!IP.test(r.vip) || (r.to && !IP.test(r.to.address))) throw new Error(`internal: unsafe address in VIP rule ${r.vip}`)
  return sortByAddress(rules, (r) => r.vip, (a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))
}

function owners(f: Frontend): string[] {
  return [...new Set(f.provenance.map((p) => p.object))].sort()
}

/** The nft script for one family: create-if-missing, delete, recreate: idempotent and atomic. */
/** The set in our table that lists the addresses vipctl added to lo (bind mode); see renderNft. */
export const OWNED_SET = 'added_addresses'

export function renderNft(rules: VipRule[], mode: VipMode, family: 4 | 6, owned?: string[]): string {
  const fam = family === 4 ? 'ip' : 'ip6'
  const type = family === 4 ? 'ipv4_addr' : 'ipv6_addr'
  const mine = rules.filter((r) => r.family === family)
  const out = [`table ${fam} ${TABLE}`, `delete table ${fam} ${TABLE}`, `table ${fam} ${TABLE} {`]
  const vips = [...new Set(mine.map((r) => r.vip))]
  out.push(`\tset vips {`, `\t\ttype ${type}`, ...(vips.length ? [`\t\telements = { ${vips.join(', ')} }`] : []), `\t}`)
  // The addresses vipctl itself put on lo, the only ones it may remove (src/apply/vip/apply.ts; generate writes it empty).
  if (owned) {
    const els = owned.filter((a) => a.includes(':') === (family === 6))
    out.push(`\tset ${OWNED_SET} {`, `\t\ttype ${type}`, ...(els.length ? [`\t\telements = { ${els.join(', ')} }`] : []), `\t}`)
  }
  if (mode === 'dnat') {
    for (const proto of ['tcp', 'udp'] as const) {
      const els = mine.filter((r) => r.protocol === proto).map((r) => `${r.vip} . ${r.port} : ${r.to!.address} . ${r.to!.port}`)
      out.push(`\tmap ${proto}_vips {`, `\t\ttype ${type} . inet_service : ${type} . inet_service`, ...(els.length ? [`\t\telements = { ${els.join(', ')} }`] : []), `\t}`)
    }
    for (const [chain, hook, prio] of [['prerouting', 'prerouting', 'dstnat'], ['output', 'output', '-100']] as const) {
      out.push(`\tchain ${chain} {`, `\t\ttype nat hook ${hook} priority ${prio}; policy accept;`)
      for (const proto of ['tcp', 'udp']) out.push(`\t\tdnat ${fam} to ${fam} daddr . ${proto} dport map @${proto}_vips`)
      out.push(`\t}`)
    }
  }
  out.push('}')
  return `${out.join('\n')}\n`
}

/** iptables-restore input for the nat table: our chains only (declaring them flushes them); the jumps are ensured by the applier. */
export function renderIptables(rules: VipRule[], family: 4 | 6): string {
  const mine = rules.filter((r) => r.family === family && r.to)
  const plen = family === 4 ? 32 : 128
  const out = ['*nat', ':VIPCTL-PREROUTING - [0:0]', ':VIPCTL-OUTPUT - [0:0]']
  for (const chain of ['VIPCTL-PREROUTING', 'VIPCTL-OUTPUT'])
    for (const r of mine) {
      const to = family === 6 ? `[${r.to!.address}]:${r.to!.port}` : `${r.to!.address}:${r.to!.port}`
      // Comments hold derived object keys only (validated names), never free text.
      const comment = `vipctl ${r.owners.join(',')}`.slice(0, 250)
      out.push(`-A ${chain} -d ${r.vip}/${plen} -p ${r.protocol} -m ${r.protocol} --dport ${r.port} -m comment --comment "${comment}" -j DNAT --to-destination ${to}`)
    }
  out.push('COMMIT')
  return `${out.join('\n')}\n`
}
