import assert from 'node:assert/strict'
import {compile} from '../../src/model/compile.js'
import {loadOffline} from '../../src/cluster/offline.js'
import {rulesFor, rulesText} from '../../src/apply/vip/service.js'
import {planVip} from '../../src/apply/vip/apply.js'
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

  it('plans only what differs, and removes only addresses our table lists', () => {
    const rules = [{family: 4 as const, vip: '192.0.2.1', port: 80, protocol: 'tcp' as const, owners: []}]
    const p = planVip(rules, 'bind', {rules: [], vips: ['192.0.2.9'], local: ['192.0.2.9', '198.51.100.1'], families: [4]})
    assert.deepEqual([p.addAddresses, p.removeAddresses], [['192.0.2.1'], ['192.0.2.9']])
    assert.equal(planVip(rules, 'bind', {rules: [], vips: ['192.0.2.1'], local: ['192.0.2.1'], families: [4]}).changes, false)
  })
})
