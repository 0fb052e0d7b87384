/**
 * The CI slice of `npm run fuzz` (scripts/fuzz.ts): 3,000 seeded cases, each
 * rendered by every target (HAProxy, NetScaler, nftables, iptables), random
 * attack strings in 1-4 fields of a poison tenant at once. Same invariants as
 * the full run: no throw, each target's grammar, nothing of another object
 * changes, nothing silently lost; `haproxy -c` and `nft -c` on the first
 * distinct outputs. The full run is `npm run fuzz` (100,000 cases, random
 * seed; --seed 20261129 --cases 3000 reproduces this slice).
 */
import assert from 'node:assert/strict'
import {HaproxyChecker, NftChecker} from '../helpers/checkers.js'
import {report, runShards} from '../helpers/shards.js'
import {TARGETS} from '../helpers/targets.js'

const SEED = 20261129
const CASES = 3000
const EXTERNAL = 120

describe('fuzz (CI slice): random attacks in several fields at once, every target', function () {
  this.timeout(600_000)

  it(`${CASES} cases with seed ${SEED}: no throw, grammar, isolation, nothing silently lost; haproxy -c and nft -c on the first ${EXTERNAL} distinct outputs`, async () => {
    const haproxy = new HaproxyChecker(2, EXTERNAL)
    const nft = new NftChecker()
    await nft.start()
    try {
      const m = await runShards({kind: 'random', seed: SEED, count: CASES}, {shards: 2, keepPerKind: 1, sink: {haproxy: (c, l) => haproxy.add(c, l), nft: (s, l) => nft.add(s, l)}})
      await haproxy.done()
      await nft.done()
      const rate = (ms: number) => Math.round(m.cases / (ms / 1000))
      console.log(`      seed ${SEED}: ${m.cases} cases per target in ${m.seconds.toFixed(1)} s; cases/s (with the model): ${TARGETS.map((t) => `${t} ${rate(m.ms[t] + m.ms.model)}`).join(', ')}`)
      console.log(`      distinct outputs: ${TARGETS.map((t) => `${t} ${m.distinct[t].size}`).join(', ')}; haproxy -c ${haproxy.checked}, nft -c ${nft.checked}`)
      assert.equal(m.cases, CASES)
      assert.ok(m.served > CASES / 4 && m.served < CASES, `served ${m.served}`)
      const failures = [...haproxy.failures, ...nft.failures].map((f) => `  ${f.message}\n      case: ${f.label.slice(0, 200)}`)
      assert.equal(m.counts.size + failures.length, 0, `found (seed ${SEED}):\n${report(m, 24)}\n${failures.slice(0, 10).join('\n')}`)
    } finally {
      await haproxy.done()
      await nft.done()
    }
  })
})
