/**
 * Runs the isolation matrix or the seeded fuzz on several worker threads
 * (case i goes to worker i mod n), feeding every distinct output to the
 * targets' checkers in this thread, and merges what the workers found.
 */
import {Worker} from 'node:worker_threads'
import type {CheckSink, Finding} from './fuzz.js'
import type {TargetName} from './targets.js'

export type Job =
  | {kind: 'matrix'; full: boolean}
  | {kind: 'random'; seed: number; count: number; /** Stop starting cases after this time (epoch ms). */ deadline?: number}

export interface ShardStats {
  cases: number
  ms: Record<TargetName | 'model' | 'checks', number>
  served: number
  counts: Array<[string, {n: number; fields: Record<string, number>}]>
  findings: Finding[]
  observations: Array<[string, number]>
  distinct: Record<TargetName, string[]>
}

export interface Merged {
  cases: number
  ms: Record<TargetName | 'model' | 'checks', number>
  served: number
  /** "target kind" -> how many violations, and how often each changed field took part. */
  counts: Map<string, {n: number; fields: Record<string, number>}>
  findings: Finding[]
  observations: Map<string, number>
  distinct: Record<TargetName, Set<string>>
  /** Wall-clock seconds. */
  seconds: number
}

export type WorkerMessage =
  | {t: 'haproxy'; files: Array<{path: string; content: string; mode: number}>; label: string}
  | {t: 'nft'; script: string; label: string}
  | {t: 'progress'; cases: number}
  | {t: 'done'; stats: ShardStats}

const WORKER = new URL('./shard-worker.ts', import.meta.url).href
/** tsx's loader API, resolved from here so the worker finds it whatever the working directory. */
const TSX_API = import.meta.resolve('tsx/esm/api')

export async function runShards(job: Job, opts: {shards?: number; sink?: CheckSink; keepPerKind?: number; onProgress?: (cases: number) => void} = {}): Promise<Merged> {
  const shards = opts.shards ?? 2
  const t0 = performance.now()
  const progress = new Array<number>(shards).fill(0)
  const results = await Promise.all(
    Array.from(
      {length: shards},
      (_, shard) =>
        new Promise<ShardStats>((resolve, reject) => {
          // The worker registers the TypeScript loader first: workers do not inherit the --import hooks for their entry.
          const w = new Worker(`import(${JSON.stringify(TSX_API)}).then(({register}) => { register(); return import(${JSON.stringify(WORKER)}) })`, {
            eval: true,
            workerData: {job, shard, shards, keepPerKind: opts.keepPerKind ?? 3},
          })
          let done: ShardStats | undefined
          w.on('message', (m: WorkerMessage) => {
            if (m.t === 'haproxy') opts.sink?.haproxy?.({files: m.files}, m.label)
            else if (m.t === 'nft') opts.sink?.nft?.(m.script, m.label)
            else if (m.t === 'progress') {
              progress[shard] = m.cases
              opts.onProgress?.(progress.reduce((a, b) => a + b, 0))
            } else done = m.stats
          })
          w.on('error', reject)
          w.on('exit', (code) => (done ? resolve(done) : reject(new Error(`shard ${shard} exited with ${code} before reporting`))))
        }),
    ),
  )
  const merged: Merged = {
    cases: 0,
    ms: {model: 0, haproxy: 0, netscaler: 0, nftables: 0, iptables: 0, checks: 0},
    served: 0,
    counts: new Map(),
    findings: [],
    observations: new Map(),
    distinct: {haproxy: new Set(), netscaler: new Set(), nftables: new Set(), iptables: new Set()},
    seconds: 0,
  }
  for (const r of results) {
    merged.cases += r.cases
    merged.served += r.served
    for (const [k, v] of Object.entries(r.ms)) merged.ms[k as keyof Merged['ms']] += v
    for (const [k, v] of r.counts) {
      const c = merged.counts.get(k) ?? {n: 0, fields: {}}
      c.n += v.n
      for (const [f, n] of Object.entries(v.fields)) c.fields[f] = (c.fields[f] ?? 0) + n
      merged.counts.set(k, c)
    }
    for (const [k, v] of r.observations) merged.observations.set(k, (merged.observations.get(k) ?? 0) + v)
    merged.findings.push(...r.findings)
    for (const t of Object.keys(r.distinct) as TargetName[]) for (const k of r.distinct[t]) merged.distinct[t].add(k)
  }
  merged.seconds = (performance.now() - t0) / 1000
  return merged
}

/** Findings grouped by target, kind and field (most frequent first), then examples with their cases. */
export function report(m: Pick<Merged, 'counts' | 'findings'>, examples = 40): string {
  const lines = [...m.counts.entries()]
    .sort((a, b) => b[1].n - a[1].n)
    .map(([k, c]) => `  ${c.n} x ${k} (fields: ${Object.entries(c.fields).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([f, n]) => `${f} ${n}`).join(', ')})`)
  const shown = new Map<string, number>()
  const ex: string[] = []
  for (const f of m.findings) {
    const k = `${f.target} ${f.kind}`
    if ((shown.get(k) ?? 0) >= 2 || ex.length >= examples) continue
    shown.set(k, (shown.get(k) ?? 0) + 1)
    ex.push(`  - ${f.target} ${f.kind}: ${f.detail.slice(0, 240)}\n      case: ${f.label.slice(0, 240)}`)
  }
  return [...lines, ...(ex.length ? ['examples:', ...ex] : [])].join('\n')
}
