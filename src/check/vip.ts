/** VIP-rule checks: the rules the model asks for against our nftables table and the addresses on lo. */
import type {Diagnostic} from '../cluster/types.js'
import {planVip, ruleKey, type VipState} from '../apply/vip/apply.js'
import type {VipMode, VipRule} from '../targets/nftables/generate.js'
import {catalogEntry} from '../core/catalog.js'

export function vipFindings(rules: VipRule[], mode: VipMode, state: VipState, where: string): Diagnostic[] {
  const plan = planVip(rules, mode, state)
  const owner = (match: (r: VipRule) => boolean) => rules.find(match)?.owners[0] ?? where
  const d = (code: string, object: string, message: string): Diagnostic => ({severity: catalogEntry(code).severity, code, object, message})
  return [
    ...plan.add.map((k) => d('VIP4060', owner((r) => ruleKey(r) === k), `no nftables rule ${k} in ${where}`)),
    ...plan.addAddresses.map((a) => d('VIP4060', owner((r) => r.vip === a), `VIP ${a} is not an address on lo in ${where}`)),
    ...plan.remove.map((k) => d('VIP4061', where, `nftables rule ${k} serves nothing`)),
    ...plan.removeAddresses.map((a) => d('VIP4061', where, `VIP ${a} on lo serves nothing`)),
  ]
}
