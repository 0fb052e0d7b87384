/** Services behind `generate nftables|iptables` and `apply|diff|delete vip`. */
import {processExec} from '../../core/exec.js'
import {lstatSync, readFileSync} from 'node:fs'
import path from 'node:path'
import type {Diagnostic} from '../../cluster/types.js'
import {UsageError} from '../../errors.js'
import type {Compiled} from '../../model/compile.js'
import type {DocResult} from '../../output/render.js'
import {INDEX_FILE, generateHaproxy, type HaproxyConfig, type HaproxyOptions} from '../../targets/haproxy/generate.js'
import {listenPortsFrom} from '../../targets/haproxy/read.js'
import {checkListeners} from '../../targets/haproxy/options.js'
import {renderIptables, renderNft, vipRules, type VipMode, type VipRule} from '../../targets/nftables/generate.js'
import {applyVip, deleteVip, ownedOnLo, planVip, readVipState, ruleKey, type VipIO, type VipPlan, type VipTarget} from './apply.js'

export function processVipIO(): VipIO {
  return {exec: processExec({timeoutMs: 30_000, hint: 'install nftables and iproute2'})}
}

/**
 * The rules for a mode; dnat targets are where the HAProxy target listens (--listen-address): the listeners
 * of `rendered` (the config just planned from the same model) or, without it, of a config rendered here with
 * the ports of the index in --config-dir. Errors: UsageError for dnat without --listen-address.
 */
export function rulesFor(c: Compiled, hopts: HaproxyOptions, mode: VipMode, rendered?: Pick<HaproxyConfig, 'listeners'>): {rules: VipRule[]; diagnostics: Diagnostic[]} {
  const model = c.model
  let listeners = new Map<string, {address: string; port: number}>()
  if (mode === 'dnat') {
    // DNAT to the VIP itself would be a loop: the rules need the address HAProxy listens on.
    if (hopts.listen.mode !== 'address') throw new UsageError('--mode dnat needs --listen-address (where HAProxy listens; ports from --listen-base-port)')
    // The ports HAProxy listens on now (its index in --config-dir), so the rules and the running config agree.
    if (rendered) listeners = rendered.listeners
    else {
      const config = generateHaproxy(model, c.secrets, {...hopts, listenPorts: hopts.listenPorts ?? listenPortsFrom(readIndex(hopts.configDir), hopts.listen.address)})
      checkListeners(config, hopts)
      listeners = config.listeners
    }
  }
  const diagnostics = [...model.diagnostics]
  return {rules: vipRules(model, mode, listeners, diagnostics), diagnostics}
}

/** The index vipctl wrote in the config directory, read as a regular file only (never through a symlink), bounded. */
function readIndex(configDir: string): string | undefined {
  try {
    const file = path.join(configDir, INDEX_FILE)
    const st = lstatSync(file)
    if (!st.isFile() || st.size > 64 * 1024 * 1024) return undefined
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

export function rulesText(rules: VipRule[], mode: VipMode, format: 'nftables' | 'iptables'): DocResult<{format: string; mode: VipMode; rules: string[]; text: string}> {
  const families = [...new Set<4 | 6>([4, ...rules.map((r) => r.family)])]
  // In bind mode with the set of addresses vipctl added, empty: a table loaded by hand from this names none of the
  // addresses on lo as vipctl's, so apply vip and delete vip never remove one (they were put there by hand).
  const text = format === 'nftables' ? families.map((f) => renderNft(rules, mode, f, mode === 'bind' ? [] : undefined)).join('\n') : families.map((f) => `# ${f === 4 ? 'iptables' : 'ip6tables'}-restore --noflush\n${renderIptables(rules, f)}`).join('\n')
  return {type: 'doc', kind: 'VipRules', data: {format, mode, rules: rules.map(ruleKey), text}, text: (d) => d.text}
}

export function describeVipPlan(p: VipPlan): string {
  if (!p.changes) return 'VIP rules are up to date: no changes.\n'
  return `${[...p.add.map((r) => `+ ${r}`), ...p.remove.map((r) => `- ${r}`), ...p.addAddresses.map((a) => `+ address ${a} on lo`), ...p.removeAddresses.map((a) => `- address ${a} on lo`)].join('\n') || '~ the set of VIPs changes'}\n`
}

export async function diffVip(rules: VipRule[], t: VipTarget, io: VipIO): Promise<DocResult<{plan: VipPlan}>> {
  const plan = planVip(rules, t.mode, await readVipState(t, io))
  return {type: 'doc', kind: 'VipPlan', data: {plan}, text: (d) => describeVipPlan(d.plan), ...(plan.changes ? {exit: 2} : {})}
}

export async function applyVipResult(rules: VipRule[], t: VipTarget, io: VipIO, dryRun: boolean): Promise<DocResult<{plan: VipPlan; applied: boolean}>> {
  const plan = dryRun ? planVip(rules, t.mode, await readVipState(t, io)) : await applyVip(rules, t, io)
  return {type: 'doc', kind: 'VipApply', data: {plan, applied: !dryRun && plan.changes}, text: (d) => `${describeVipPlan(d.plan)}${dryRun ? 'dry run: nothing was changed.\n' : ''}`}
}

/**
 * What delete vip would remove (our tables, and the VIP addresses they list that are on the node): read, nothing
 * changed. `applied` false: for --dry-run, a declined prompt, or nothing to remove.
 */
export async function deleteVipPreview(t: VipTarget, io: VipIO, why: 'dry-run' | 'declined' | 'nothing'): Promise<DocResult<{tables: number; addresses: string[]; applied: false}>> {
  const current = await readVipState(t, io)
  const data = {tables: current.families.length, addresses: ownedOnLo(current), applied: false as const}
  const tail = why === 'dry-run' ? 'dry run: nothing was changed.' : why === 'declined' ? 'not removed.' : ''
  return {
    type: 'doc',
    kind: 'VipDelete',
    data,
    text: (d) => (d.tables === 0 && d.addresses.length === 0 ? 'nothing to remove: no vipctl table.\n' : `would remove ${d.tables} vipctl table(s)${d.addresses.length ? ` and address(es) ${d.addresses.join(', ')}` : ''}.\n${tail ? `${tail}\n` : ''}`),
  }
}

export async function deleteVipResult(t: VipTarget, io: VipIO): Promise<DocResult<{tables: number; addresses: string[]}>> {
  const r = await deleteVip(t, io)
  return {type: 'doc', kind: 'VipDelete', data: r, text: (d) => `removed ${d.tables} vipctl table(s)${d.addresses.length ? ` and address(es) ${d.addresses.join(', ')}` : ''}.\n`}
}
