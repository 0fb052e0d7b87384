import assert from 'node:assert/strict'
import {compile} from '../../src/model/compile.js'
import {loadOffline} from '../../src/cluster/offline.js'
import {rulesFor, rulesText} from '../../src/apply/vip/service.js'
import {planVip, type VipState} from '../../src/apply/vip/apply.js'
import {Chalk} from 'chalk'
import {render} from '../../src/output/render.js'
import {assertGolden} from '../helpers/golden.js'
import {GOLDEN_OPTS} from './haproxy.test.js'

const noStdin = {readStdin: async () => ''}
const plain = {chalk: new Chalk({level: 0})}

describe('VIP rules (nftables, iptables)', () => {
  for (const [format, mode] of [['nftables', 'dnat'], ['nftables', 'bind'], ['iptables', 'dnat']] as const) {
    it(`renders examples/shop as ${format} (${mode}) as in the golden file`, async () => {
      const snap = await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin)
      const {rules} = rulesFor(compile(snap, {}), {...GOLDEN_OPTS, listen: mode === 'dnat' ? {mode: 'address', address: '10.200.1.1', basePort: 20080} : {mode: 'vip'}}, mode)
      assertGolden(`vip/shop.${format}.${mode}.txt`, render(rulesText(rules, mode, format), 'table', plain))
    })
  }

  const state = (s: Partial<VipState>): VipState => ({rules: [], vips: [], owned: [], tracked: true, local: [], families: [4], ...s})
  const rule = (vip: string) => ({family: (vip.includes(':') ? 6 : 4) as 4 | 6, vip, port: 80, protocol: 'tcp' as const, owners: []})

  it('plans only what differs, and removes only addresses vipctl added', () => {
    const rules = [rule('192.0.2.1')]
    const p = planVip(rules, 'bind', state({vips: ['192.0.2.9'], owned: ['192.0.2.9'], local: ['192.0.2.9', '198.51.100.1']}))
    assert.deepEqual([p.addAddresses, p.removeAddresses, p.owned], [['192.0.2.1'], ['192.0.2.9'], ['192.0.2.1']])
    assert.equal(planVip(rules, 'bind', state({vips: ['192.0.2.1'], owned: ['192.0.2.1'], local: ['192.0.2.1']})).changes, false)
  })

  it('an address that was on lo before a VIP used it (::1, an operator\'s) is never removed, and never counted as added', () => {
    // A tenant's VIP ::1 and 192.0.2.5 (the operator had put it on lo): nothing added, nothing owned.
    const before = planVip([rule('::1'), rule('192.0.2.5')], 'bind', state({local: ['::1', '192.0.2.5'], families: [4, 6]}))
    assert.deepEqual([before.addAddresses, before.owned], [[], []])
    // The tenant goes away: nothing is removed.
    const after = planVip([], 'bind', state({vips: ['192.0.2.5'], local: ['::1', '192.0.2.5'], families: [4, 6]}))
    assert.deepEqual(after.removeAddresses, [])
    // A loopback VIP is never put on lo either (127.0.0.0/8 is the node's): 127.0.0.53 stays as it is.
    assert.deepEqual(planVip([rule('127.0.0.53')], 'bind', state({})).addAddresses, [])
  })

  it('a table from before the added set (or loaded by hand): its VIPs count as added, except loopback and special addresses', () => {
    const legacy = state({tracked: false, vips: ['127.0.0.1', '192.0.2.9', '::1'], local: ['127.0.0.1', '192.0.2.9', '::1'], families: [4, 6]})
    // readVipState fills owned for such a table; here as it would.
    legacy.owned = ['192.0.2.9']
    const p = planVip([], 'bind', legacy)
    assert.deepEqual(p.removeAddresses, ['192.0.2.9'])
    assert.equal(p.changes, true)
    // Nothing on the node, nothing wanted: no change.
    assert.equal(planVip([], 'bind', state({tracked: false, families: []})).changes, false)
  })
})
