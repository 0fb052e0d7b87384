/**
 * Isolation, as a property: one tenant's object only ever affects its own
 * routes, whatever it holds.
 *
 * For every field of a poison tenant (test/helpers/tenants.ts: names,
 * namespace, host, path, pathType, Service and port names, VIPs by annotation,
 * status and spec, ports, annotations, TLS Secret name and hosts, endpoints,
 * probe path, ...) and every string of the attack corpus
 * (test/helpers/attack-corpus.ts: the security notes' corpus, every printable
 * ASCII character, every control character, a few non-ASCII characters),
 * placed alone, as prefix, suffix and infix, plus each field's own spellings
 * (another tenant's host in upper case or with a trailing dot, its VIP spelled
 * differently, its port), render the good tenants plus the poison, which
 * shares their VIP, and check:
 *  - no target throws (the CLI's exit 70);
 *  - every output matches its target's grammar;
 *  - for every other object the output is exactly what it is without the
 *    poison (test/helpers/isolation.ts: per-target comparison);
 *  - a poison that is not served is reported (nothing silently lost);
 *  - every distinct output passes the target's own checker: `haproxy -c`,
 *    `nft -c -f` in a network namespace of this test, and the ns.conf and
 *    iptables-restore grammars.
 *
 * The CI run takes, per field and corpus string, the string alone and at one
 * of prefix, suffix or infix (rotating, so each field sees every placement);
 * VIPCTL_ISOLATION=full runs all four placements of everything.
 */
import assert from 'node:assert/strict'
import {HaproxyChecker, NftChecker} from '../helpers/checkers.js'
import {report, runShards} from '../helpers/shards.js'
import {TARGETS} from '../helpers/targets.js'

const FULL = process.env.VIPCTL_ISOLATION === 'full'

describe('isolation: one poison object changes nothing of any other object, in any target', function () {
  this.timeout(900_000)

  it(`every field x every attack string (${FULL ? 'all placements' : 'alone + one rotating placement'}): no throw, grammar, isolation, nothing silently lost; each distinct output passes its checker`, async () => {
    const haproxy = new HaproxyChecker(2)
    const nft = new NftChecker()
    await nft.start()
    try {
      // Two workers render (case i on worker i mod 2); haproxy -c and nft -c run here, two at a time.
      const s = await runShards({kind: 'matrix', full: FULL}, {shards: 2, sink: {haproxy: (c, l) => haproxy.add(c, l), nft: (x, l) => nft.add(x, l)}, keepPerKind: 2})
      await haproxy.done()
      await nft.done()
      console.log(`      ${s.cases} cases per target (${TARGETS.join(', ')}) in ${s.seconds.toFixed(1)} s; the poison was served in ${s.served}`)
      console.log(`      distinct outputs: haproxy ${s.distinct.haproxy.size} (haproxy -c: ${haproxy.checked}), netscaler ${s.distinct.netscaler.size} (ns.conf grammar), nftables ${s.distinct.nftables.size} (nft -c: ${nft.checked} scripts), iptables ${s.distinct.iptables.size} (grammar)`)
      console.log(`      render ms (both workers): ${Object.entries(s.ms).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}`)
      for (const [what, count] of s.observations) console.log(`      observed (not a violation): ${what}: ${count} cases`)

      // The corpus is neither trivially rejected nor trivially accepted.
      assert.ok(s.served > s.cases / 4 && s.served < s.cases, `served ${s.served} of ${s.cases}`)
      assert.ok(haproxy.checked > 100 && nft.checked > 2, 'the external checkers saw the distinct outputs')
      const failures = [
        ...haproxy.failures.map((f) => `  haproxy -c: ${f.message}\n      case: ${f.label.slice(0, 200)}`),
        ...nft.failures.map((f) => `  nft -c: ${f.message}\n      case: ${f.label.slice(0, 200)}`),
      ]
      assert.equal(s.counts.size + failures.length, 0, `isolation violated:\n${report(s)}\n${failures.slice(0, 20).join('\n')}`)
    } finally {
      await haproxy.done()
      await nft.done()
    }
  })
})
