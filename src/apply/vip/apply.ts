/**
 * VIP rules on a node (or inside a network namespace): plan, apply atomically,
 * roll back, delete only what is ours. nftables only; iptables output is for
 * reading and for hosts where an operator loads it by hand.
 */
import type {Exec, ExecResult} from '../../core/exec.js'
import {DataError, PermissionError, UnavailableError, oneLine} from '../../errors.js'
import {canonicalIp, isUnicast} from '../../model/ip.js'
import {OWNED_SET, TABLE, renderNft, type VipMode, type VipRule} from '../../targets/nftables/generate.js'

export interface VipIO {
  exec: Exec
}

export interface VipTarget {
  netns?: string
  mode: VipMode
}

export interface VipState {
  /** "vip:port/proto -> addr:port" in dnat mode. */
  rules: string[]
  /** Addresses in our `vips` set: the VIPs the rules were last made for. */
  vips: string[]
  /**
   * Addresses vipctl itself added to lo (our table's added_addresses set): the only ones it removes. An address
   * that was on lo before (::1, 127.0.0.1, one an operator put there) is a VIP's without being ours.
   */
  owned: string[]
  /**
   * False for a table without the added_addresses set (made by an earlier vipctl): its `vips` that are neither
   * loopback nor otherwise special count as owned. (`generate nftables --mode bind` writes the set, empty.)
   */
  tracked: boolean
  /** Addresses on lo (bind mode). */
  local: string[]
  families: Array<4 | 6>
}

export interface VipPlan {
  changes: boolean
  add: string[]
  remove: string[]
  addAddresses: string[]
  removeAddresses: string[]
  /** The addresses on lo that are vipctl's once the plan is applied (written to our table). */
  owned: string[]
}

const NETNS = /^[A-Za-z0-9_.-]{1,64}$/

function run(t: VipTarget, io: VipIO, cmd: string, args: string[], input?: string): Promise<ExecResult> {
  if (t.netns !== undefined && !NETNS.test(t.netns)) throw new DataError(`--netns ${JSON.stringify(t.netns)}: not a network namespace name`)
  return t.netns ? io.exec('ip', ['netns', 'exec', t.netns, cmd, ...args], input) : io.exec(cmd, args, input)
}

function failure(what: string, r: ExecResult): Error {
  const msg = oneLine(r.stderr || r.stdout).slice(0, 300)
  if (/Operation not permitted|Permission denied/i.test(msg)) return new PermissionError(`${what}: permission denied: needs CAP_NET_ADMIN (run as root or grant the capability)`)
  const ns = /Cannot open network namespace "([^"]*)"/.exec(msg)
  if (ns) return new DataError(`network namespace "${ns[1]}" does not exist`, {hint: 'see ip netns list'})
  return new UnavailableError(`${what}: ${msg}`)
}

export function ruleKey(r: VipRule): string {
  return `${r.vip}:${r.port}/${r.protocol}${r.to ? ` -> ${r.to.address}:${r.to.port}` : ''}`
}

/** Reads our tables (missing = empty) and, for bind mode, the addresses on lo. */
export async function readVipState(t: VipTarget, io: VipIO): Promise<VipState> {
  const state: VipState = {rules: [], vips: [], owned: [], tracked: false, local: [], families: []}
  for (const family of [4, 6] as const) {
    const r = await run(t, io, 'nft', ['-j', 'list', 'table', family === 4 ? 'ip' : 'ip6', TABLE])
    if (r.code !== 0) {
      if (!/network namespace/i.test(r.stderr) && /No such file or directory|does not exist/i.test(r.stderr)) continue
      throw failure('nft list', r)
    }
    state.families.push(family)
    const items = (JSON.parse(r.stdout) as {nftables?: Array<Record<string, any>>}).nftables ?? []
    for (const it of items) {
      if (it.set?.name === 'vips') for (const e of it.set.elem ?? []) if (typeof e === 'string') state.vips.push(e)
      if (it.set?.name === OWNED_SET) {
        state.tracked = true
        for (const e of it.set.elem ?? []) if (typeof e === 'string') state.owned.push(e)
      }
      if (it.map && /^(tcp|udp)_vips$/.test(it.map.name)) {
        const proto = it.map.name.slice(0, 3)
        for (const [k, v] of it.map.elem ?? []) {
          const [vip, port] = k?.concat ?? []
          const [to, toPort] = v?.concat ?? []
          if (vip !== undefined) state.rules.push(`${vip}:${port}/${proto} -> ${to}:${toPort}`)
        }
      }
    }
  }
  const a = await run(t, io, 'ip', ['-j', 'addr', 'show', 'dev', 'lo'])
  if (a.code !== 0) throw failure('ip addr show', a)
  // Every address on lo, whatever its prefix length: one an operator put there as 2001:db8::5/64 is on the node as
  // much as a /128 is (adding it again would fail with "address already assigned"). Only vipctl's own (VipState.owned,
  // added as /32 or /128) are ever removed.
  for (const l of JSON.parse(a.stdout || '[]') as Array<{addr_info?: Array<{local: string; prefixlen: number}>}>)
    for (const i of l.addr_info ?? []) if (typeof i.local === 'string') state.local.push(canonicalIp(i.local) ?? i.local)
  state.rules.sort()
  state.vips.sort()
  if (!state.tracked) state.owned = state.vips.filter((v) => !isLoopbackOrSpecial(v))
  state.owned.sort()
  return state
}

/** What delete vip removes: the addresses vipctl added that are on lo now. */
export function ownedOnLo(state: VipState): string[] {
  return state.owned.filter((v) => state.local.includes(v))
}

/** Loopback (127.0.0.0/8, ::1) and addresses no VIP may have: never added to lo or removed from it by vipctl. */
function isLoopbackOrSpecial(address: string): boolean {
  const c = canonicalIp(address)
  return c === undefined || c === '::1' || c.startsWith('127.') || !isUnicast(c)
}

export function planVip(rules: VipRule[], mode: VipMode, current: VipState): VipPlan {
  const want = mode === 'dnat' ? rules.map(ruleKey).sort() : []
  const wantVips = [...new Set(rules.map((r) => r.vip))].sort()
  const add = want.filter((w) => !current.rules.includes(w))
  const remove = current.rules.filter((c) => !want.includes(c))
  // Bind mode puts a VIP on lo when it is not there yet; loopback is the node's own (127.0.0.0/8 is all local).
  const wantOnLo = mode === 'bind' ? wantVips.filter((v) => !isLoopbackOrSpecial(v)) : []
  const addAddresses = wantOnLo.filter((v) => !current.local.includes(v))
  // Only what vipctl added is removed: never an address that was on lo before it (::1, an operator's).
  const removeAddresses = current.owned.filter((v) => current.local.includes(v) && !wantOnLo.includes(v))
  const owned = [...new Set([...current.owned.filter((v) => wantOnLo.includes(v) && current.local.includes(v)), ...addAddresses])].sort()
  const setChanged = wantVips.join() !== current.vips.join() || owned.join() !== current.owned.join() || (!current.tracked && current.families.length > 0)
  return {changes: add.length + remove.length + addAddresses.length + removeAddresses.length > 0 || setChanged, add, remove, addAddresses, removeAddresses, owned}
}

/** Replaces our tables in one transaction each, then the addresses; rolls both back on failure. */
export async function applyVip(rules: VipRule[], t: VipTarget, io: VipIO): Promise<VipPlan> {
  const current = await readVipState(t, io)
  const plan = planVip(rules, t.mode, current)
  if (!plan.changes) return plan
  const previous: Partial<Record<4 | 6, string>> = {}
  for (const family of current.families) {
    const r = await run(t, io, 'nft', ['list', 'table', family === 4 ? 'ip' : 'ip6', TABLE])
    if (r.code === 0) previous[family] = r.stdout
  }
  const families = [...new Set<4 | 6>([4, ...rules.map((r) => r.family), ...current.families])]
  const scripts = families.map((f) => renderNft(rules, t.mode, f, plan.owned))
  for (const s of scripts) {
    const check = await run(t, io, 'nft', ['-c', '-f', '-'], s)
    if (check.code !== 0) throw failure('nft rejected the rules (nothing changed)', check)
  }
  const added: string[] = []
  try {
    for (const s of scripts) {
      const r = await run(t, io, 'nft', ['-f', '-'], s)
      if (r.code !== 0) throw failure('nft -f', r)
    }
    for (const a of plan.addAddresses) {
      const r = await run(t, io, 'ip', ['addr', 'add', `${a}/${a.includes(':') ? 128 : 32}`, 'dev', 'lo'])
      if (r.code !== 0) throw failure(`ip addr add ${a}`, r)
      added.push(a)
    }
    for (const a of plan.removeAddresses) await run(t, io, 'ip', ['addr', 'del', `${a}/${a.includes(':') ? 128 : 32}`, 'dev', 'lo'])
  } catch (error) {
    for (const a of added) await run(t, io, 'ip', ['addr', 'del', `${a}/${a.includes(':') ? 128 : 32}`, 'dev', 'lo'])
    for (const f of families) {
      const fam = f === 4 ? 'ip' : 'ip6'
      const restore = previous[f] ? `table ${fam} ${TABLE}\ndelete table ${fam} ${TABLE}\n${previous[f]}` : `table ${fam} ${TABLE}\ndelete table ${fam} ${TABLE}\n`
      await run(t, io, 'nft', ['-f', '-'], restore)
    }
    throw new UnavailableError(`${oneLine((error as Error).message)}; the previous rules and addresses were restored`, {cause: error})
  }
  return plan
}

/** Removes our tables and the addresses vipctl added to lo (VipState.owned); nothing else. */
export async function deleteVip(t: VipTarget, io: VipIO): Promise<{tables: number; addresses: string[]}> {
  const current = await readVipState(t, io)
  for (const f of current.families) {
    const r = await run(t, io, 'nft', ['delete', 'table', f === 4 ? 'ip' : 'ip6', TABLE])
    if (r.code !== 0) throw failure('nft delete table', r)
  }
  const addresses = ownedOnLo(current)
  for (const a of addresses) await run(t, io, 'ip', ['addr', 'del', `${a}/${a.includes(':') ? 128 : 32}`, 'dev', 'lo'])
  return {tables: current.families.length, addresses}
}
