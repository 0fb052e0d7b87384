/**
 * DNAT across address families: an IPv6 VIP cannot be translated to an IPv4
 * --listen-address (nor the reverse). Found by the isolation test: one
 * tenant's IPv6 VIP put "2001:db8::7 . 6379 : 10.0.0.5 . 20081" into the ip6
 * map, `nft -f` refused the whole script, and `apply vip` failed for every
 * tenant. Now that one rule is left out with a VIP3001 finding on its object.
 */
import {compile} from '../../src/model/compile.js'
import assert from 'node:assert/strict'
import {rulesFor, rulesText} from '../../src/apply/vip/service.js'
import {SnapshotFactory, service, slice} from '../helpers/tenants.js'
import {GOLDEN_OPTS} from './haproxy.test.js'

describe('VIP rules across address families (dnat)', () => {
  const snap = new SnapshotFactory([
    service('t4', 'db', {port: 5432, portName: 'pg', targetPort: 5432, lb: {vip: '192.0.2.7'}}),
    slice('t4', 'db', ['10.3.0.1'], {portName: 'pg', port: 5432}),
    service('t6', 'cache', {port: 6379, portName: 'redis', targetPort: 6379, lb: {vip: '2001:db8::7'}}),
    slice('t6', 'cache', ['fd00::e:1'], {portName: 'redis', port: 6379}),
  ]).snapshot()

  for (const [listen, kept, dropped] of [
    ['10.0.0.5', '192.0.2.7|5432', 'Service/t6/cache'],
    ['fd00::5', '2001:db8::7|6379', 'Service/t4/db'],
  ] as const) {
    it(`--listen-address ${listen}: the other family's VIP is left out with a finding, the rest is written`, () => {
      const {rules, diagnostics} = rulesFor(compile(snap, {}), {...GOLDEN_OPTS, listen: {mode: 'address', address: listen, basePort: 20080}}, 'dnat')
      assert.deepEqual(rules.map((r) => `${r.vip}|${r.port}`), [kept])
      const d = diagnostics.filter((x) => x.code === 'VIP3001')
      assert.equal(d.length, 1)
      assert.equal(d[0]!.object, dropped)
      assert.match(d[0]!.message, /cannot be translated to --listen-address/)
      for (const format of ['nftables', 'iptables'] as const) {
        const text = rulesText(rules, 'dnat', format).data.text
        assert.ok(!text.includes(listen === '10.0.0.5' ? '2001:db8::7' : '192.0.2.7'), `${format} holds no rule for the left-out VIP`)
      }
    })
  }

  it('bind mode keeps both families', () => {
    const {rules, diagnostics} = rulesFor(compile(snap, {}), GOLDEN_OPTS, 'bind')
    assert.equal(rules.length, 2)
    assert.equal(diagnostics.filter((x) => x.code === 'VIP3001').length, 0)
  })
})
