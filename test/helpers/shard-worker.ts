/** One worker of runShards (test/helpers/shards.ts): runs its share of the cases and reports. */
import {parentPort, workerData} from 'node:worker_threads'
import {Harness, matrixCases, matrixPlacements, randomCases} from './fuzz.js'
import type {Job, ShardStats, WorkerMessage} from './shards.js'

const {job, shard, shards, keepPerKind} = workerData as {job: Job; shard: number; shards: number; keepPerKind: number}
const post = (m: WorkerMessage) => parentPort!.postMessage(m)

const h = new Harness({
  keepPerKind,
  sink: {
    haproxy: (c, label) => post({t: 'haproxy', files: c.files.map((f) => ({path: f.path, content: f.content, mode: f.mode})), label}),
    nft: (script, label) => post({t: 'nft', script, label}),
  },
})
const cases = job.kind === 'matrix' ? matrixCases(undefined, matrixPlacements(job.full)) : randomCases(job.seed, job.count)
let i = -1
for (const c of cases) {
  if (++i % shards !== shard) continue
  if (job.kind === 'random' && job.deadline !== undefined && Date.now() > job.deadline) break
  h.run(c)
  if (h.stats.cases % 500 === 0) post({t: 'progress', cases: h.stats.cases})
}
const stats: ShardStats = {
  cases: h.stats.cases,
  ms: h.stats.ms,
  served: h.stats.served,
  counts: [...h.counts],
  findings: h.stats.findings,
  observations: [...h.stats.observations],
  distinct: {haproxy: [...h.distinct.haproxy], netscaler: [...h.distinct.netscaler], nftables: [...h.distinct.nftables], iptables: [...h.distinct.iptables]},
}
post({t: 'done', stats})
