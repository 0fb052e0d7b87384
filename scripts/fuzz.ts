/**
 * npm run fuzz -- [--seed N] [--cases N] [--seconds S] [--workers N] [--check N]
 *
 * Seeded fuzz of every renderer (HAProxy, NetScaler, nftables, iptables):
 * random attack strings from the corpus (test/helpers/attack-corpus.ts) in
 * 1-4 fields of one poison tenant at once, among good tenants on the same
 * VIP (test/helpers/tenants.ts). Each case is rendered by every target and
 * checked: no throw, each target's grammar, nothing of another object changes,
 * nothing silently lost. The first --check distinct HAProxy configs and nft
 * scripts also go through `haproxy -c` and `nft -c` (in a network namespace
 * of its own; needs root; --check 0 skips them).
 *
 * Defaults: 100,000 cases, a random seed (printed: rerun with --seed to get
 * the same cases), no time bound, one worker per core (at most 4). Exits 1
 * when anything was found, 2 on bad arguments.
 */
import {randomInt} from 'node:crypto'
import os from 'node:os'
import {HaproxyChecker, NftChecker} from '../test/helpers/checkers.js'
import {report, runShards} from '../test/helpers/shards.js'
import {TARGETS} from '../test/helpers/targets.js'

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- [--seed N] [--cases N] [--seconds S] [--workers N] [--check N]\n`)
  process.exit(2)
}

function options(argv: string[]): {seed: number; cases: number; seconds?: number; workers: number; check: number} {
  const o = {seed: randomInt(1, 2 ** 31 - 1), cases: 100_000, seconds: undefined as number | undefined, workers: Math.min(4, Math.max(1, os.availableParallelism())), check: 200}
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    const [name, inline] = flag.includes('=') ? (flag.split('=', 2) as [string, string]) : [flag, undefined]
    const value = inline ?? argv[++i]
    const int = (min: number, max: number) => {
      if (value === undefined || !/^\d+$/.test(value) || +value < min || +value > max) usage(`${name} needs an integer ${min}-${max}`)
      return +value
    }
    if (name === '--seed') o.seed = int(0, 2 ** 31 - 1)
    else if (name === '--cases') o.cases = int(1, 100_000_000)
    else if (name === '--seconds') o.seconds = int(1, 7 * 24 * 3600)
    else if (name === '--workers') o.workers = int(1, 64)
    else if (name === '--check') o.check = int(0, 1_000_000)
    else usage(`unknown argument ${JSON.stringify(flag)}`)
  }
  return o
}

const o = options(process.argv.slice(2))
console.log(`fuzz: seed ${o.seed}, up to ${o.cases} cases${o.seconds ? ` or ${o.seconds} s` : ''}, ${o.workers} worker(s), external checks on the first ${o.check} distinct outputs per checker`)

const haproxy = o.check > 0 ? new HaproxyChecker(2, o.check) : undefined
let nft: NftChecker | undefined
if (o.check > 0) {
  nft = new NftChecker()
  try {
    await nft.start()
  } catch (error) {
    console.log(`fuzz: nft -c skipped (cannot create a network namespace: ${(error as Error).message.split('\n')[0]})`)
    nft = undefined
  }
}
let nftQueued = 0
let lastShown = 0
try {
  const deadline = o.seconds ? Date.now() + o.seconds * 1000 : undefined
  const m = await runShards(
    {kind: 'random', seed: o.seed, count: o.cases, deadline},
    {
      shards: o.workers,
      keepPerKind: 2,
      sink: {haproxy: (c, l) => haproxy?.add(c, l), nft: (s, l) => nftQueued < o.check * 2 && nft?.add(s, l) && nftQueued++},
      onProgress: (n) => {
        if (n - lastShown >= 10_000) {
          lastShown = n
          console.log(`fuzz: ${n} cases`)
        }
      },
    },
  )
  await haproxy?.done()
  await nft?.done()
  const rate = (n: number, ms: number) => (ms > 0 ? Math.round(n / (ms / 1000)) : 0)
  console.log(`\nfuzz: seed ${o.seed}: ${m.cases} cases per target in ${m.seconds.toFixed(1)} s wall (${rate(m.cases, m.seconds * 1000)} cases/s with ${o.workers} worker(s)); the poison was served in ${m.served}`)
  console.log(`  model:      ${(m.ms.model / 1000).toFixed(1)} s CPU, ${rate(m.cases, m.ms.model)} cases/s (shared by the targets)`)
  for (const t of TARGETS) console.log(`  ${`${t}:`.padEnd(11)} ${(m.ms[t] / 1000).toFixed(1)} s CPU, ${rate(m.cases, m.ms[t])} cases/s render+serialize; ${rate(m.cases, m.ms[t] + m.ms.model)} cases/s with the model; ${m.distinct[t].size} distinct outputs`)
  if (haproxy) console.log(`  haproxy -c: ${haproxy.checked} distinct configs, ${haproxy.failures.length} refused`)
  if (nft) console.log(`  nft -c:     ${nft.checked} distinct scripts, ${nft.failures.length} refused`)
  for (const [what, count] of m.observations) console.log(`  observed (not a violation): ${what}: ${count} cases`)
  const failures = [...(haproxy?.failures ?? []).map((f) => `  haproxy -c: ${f.message}\n      case: ${f.label.slice(0, 240)}`), ...(nft?.failures ?? []).map((f) => `  nft -c: ${f.message}\n      case: ${f.label.slice(0, 240)}`)]
  if (m.counts.size + failures.length === 0) {
    console.log('fuzz: nothing found')
  } else {
    console.log(`\nfuzz: FOUND (rerun with --seed ${o.seed}):\n${report(m)}\n${failures.slice(0, 20).join('\n')}`)
    process.exitCode = 1
  }
} finally {
  await haproxy?.done()
  await nft?.done()
}
