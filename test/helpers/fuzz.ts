/**
 * One engine for the isolation property (every field x every attack) and the
 * seeded fuzz (random attacks in several fields at once): render the good
 * tenants plus one poison tenant with every target and check
 *  - no target throws (the CLI's exit 70);
 *  - every output matches its target's grammar (test/helpers/targets.ts);
 *  - the poison changes nothing of any other object (test/helpers/isolation.ts);
 *  - a poison that is not served is reported (nothing silently lost);
 * and hand every distinct output to the targets' own checkers when asked.
 */
import {createHash} from 'node:crypto'
import {CORPUS, PLACEMENTS, place, prng, show, type Placement} from './attack-corpus.js'
import {isolationViolations, silentDrops, type Violation} from './isolation.js'
import {FIELD_EXTRAS, OPTIONAL_BASE, POISON_BASE, POISON_FIELDS, SnapshotFactory, TLS_FIELDS, goodObjects, poisonKeys, poisonObjects} from './tenants.js'
import {TARGETS, grammarViolations, renderAll, type Rendered, type TargetName} from './targets.js'

export interface Case {
  /** field -> value, only the fields that differ from the base. */
  changes: Record<string, string>
  label: string
  /** Whether the poison Ingress has its TLS Secret. */
  tls: boolean
}

export interface Finding extends Violation {
  label: string
}

export interface RunStats {
  cases: number
  /** Milliseconds spent per stage, summed over the cases. */
  ms: Record<TargetName | 'model' | 'checks', number>
  served: number
  findings: Finding[]
  observations: Map<string, number>
}

export const describeCase = (changes: Record<string, string>) =>
  Object.entries(changes)
    .map(([f, x]) => `${f}=${show(x, 60)}`)
    .join(' ')

/**
 * Every field x every corpus string x the placements `placements(field, attack)`
 * gives (all four by default), then the field's own spellings; each distinct
 * value once.
 */
export function* matrixCases(fields: readonly string[] = POISON_FIELDS, placements: (field: string, attack: string, index: number) => readonly Placement[] = () => PLACEMENTS): Generator<Case> {
  for (const field of fields) {
    const base = POISON_BASE[field] ?? OPTIONAL_BASE[field]!
    const seen = new Set<string>()
    const values: string[] = []
    if (field in OPTIONAL_BASE) values.push(base)
    for (const [i, attack] of CORPUS.entries()) for (const at of placements(field, attack, i)) values.push(place(base, attack, at))
    values.push(...(FIELD_EXTRAS[field] ?? []))
    for (const value of values) {
      if (seen.has(value) || (value === base && !(field in OPTIONAL_BASE))) continue
      seen.add(value)
      const changes = {[field]: value}
      yield {changes, label: describeCase(changes), tls: TLS_FIELDS.has(field)}
    }
  }
}

/**
 * Placements per corpus string: all four with `full`; otherwise the string
 * alone and at one of prefix, suffix and infix, rotating through the corpus
 * (each field still sees every placement).
 */
export function matrixPlacements(full: boolean): (field: string, attack: string, index: number) => readonly Placement[] {
  const rotate: readonly Placement[] = ['prefix', 'suffix', 'infix']
  return (_field, _attack, i) => (full ? PLACEMENTS : ['alone', rotate[i % 3]!])
}

/** Random attacks in 1-4 fields at once, from a seed. */
export function* randomCases(seed: number, count: number): Generator<Case> {
  const rnd = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const optional = new Set(Object.keys(OPTIONAL_BASE))
  for (let i = 0; i < count; i++) {
    const changes: Record<string, string> = {}
    const k = 1 + Math.floor(rnd() * 4)
    let vipSource = false
    for (let j = 0; j < k; j++) {
      const field = pick(POISON_FIELDS)
      // One way of giving the LoadBalancer Service its VIP at a time.
      if (optional.has(field)) {
        if (vipSource) continue
        vipSource = true
      }
      const base = changes[field] ?? POISON_BASE[field] ?? OPTIONAL_BASE[field]!
      const extras = FIELD_EXTRAS[field] ?? []
      changes[field] = extras.length > 0 && rnd() < 0.15 ? pick(extras) : place(base, pick(CORPUS), pick(PLACEMENTS))
    }
    const tls = Object.keys(changes).some((f) => TLS_FIELDS.has(f)) || rnd() < 0.3
    yield {changes, label: `#${i}${tls ? '' : ' (no TLS)'} ${describeCase(changes)}`, tls}
  }
}

/** Where distinct outputs go for the targets' own checkers (HaproxyChecker, NftChecker, or a worker's message port). */
export interface CheckSink {
  haproxy?(config: {files: Array<{path: string; content: string; mode: number}>}, label: string): unknown
  nft?(script: string, label: string): unknown
}

export interface HarnessOptions {
  targets?: readonly TargetName[]
  sink?: CheckSink
  /** Keep at most this many findings per kind (the counts stay exact). */
  keepPerKind?: number
}

export class Harness {
  readonly factory = new SnapshotFactory(goodObjects())
  readonly base: Rendered
  readonly targets: readonly TargetName[]
  readonly stats: RunStats
  /** Findings per "target kind", counted, with how often each changed field took part. */
  readonly counts = new Map<string, {n: number; fields: Record<string, number>}>()
  /** Distinct outputs per target (by hash), whether or not an external checker saw them. */
  readonly distinct: Record<TargetName, Set<string>> = {haproxy: new Set(), netscaler: new Set(), nftables: new Set(), iptables: new Set()}

  constructor(private readonly opts: HarnessOptions = {}) {
    this.targets = opts.targets ?? TARGETS
    this.base = renderAll(this.factory.snapshot(), this.targets)
    this.stats = {cases: 0, ms: {model: 0, haproxy: 0, netscaler: 0, nftables: 0, iptables: 0, checks: 0}, served: 0, findings: [], observations: new Map()}
    const baseProblems = [
      ...Object.entries(this.base.throws).map(([t, e]) => `${t} threw: ${e}`),
      ...Object.entries(grammarViolations(this.base)).flatMap(([t, v]) => v.map((x) => `${t}: ${x}`)),
      // The one expected finding: IPv6 VIPs cannot be DNATed to the IPv4 listen address of the DNAT layout.
      ...this.base.diagnostics.filter((d) => d.severity !== 'info' && !(d.code === 'VIP3001' && d.message.includes('--listen-address'))).map((d) => `${d.code} ${d.object} ${d.message}`),
    ]
    if (baseProblems.length) throw new Error(`the good tenants alone must render cleanly:\n${baseProblems.join('\n')}`)
    this.external(this.base, 'good tenants only')
  }

  /**
   * Records the outputs by hash and hands each new one to the sink; returns
   * the targets whose output is new (a grammar is a function of the text: an
   * output already checked needs no second check).
   */
  private external(r: Rendered, label: string): Set<TargetName> {
    const t = performance.now()
    const h = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64')
    const fresh = (set: Set<string>, key: string) => !set.has(key) && Boolean(set.add(key))
    const sink = this.opts.sink
    const out = new Set<TargetName>()
    // HAProxy never reads vipctl-index.json: configs that differ only there are one config to it.
    if (r.haproxy && fresh(this.distinct.haproxy, h(...r.haproxy.files.filter((f) => f.path !== 'vipctl-index.json').flatMap((f) => [f.path, f.content])))) {
      out.add('haproxy')
      sink?.haproxy?.(r.haproxy, label)
    }
    if (r.netscaler && fresh(this.distinct.netscaler, h(r.netscaler.batch, r.netscaler.nitro))) out.add('netscaler')
    if (r.vip) {
      if (fresh(this.distinct.nftables, h(r.vip.nftBind, r.vip.nftDnat))) {
        out.add('nftables')
        sink?.nft?.(r.vip.nftBind, `${label} (bind)`)
        sink?.nft?.(r.vip.nftDnat, `${label} (dnat)`)
      }
      if (r.vip.iptables && fresh(this.distinct.iptables, h(r.vip.iptables))) out.add('iptables')
    }
    this.stats.ms.checks += performance.now() - t
    return out
  }

  private record(label: string, fields: string[], v: Violation): void {
    const key = `${v.target} ${v.kind}`
    const c = this.counts.get(key) ?? {n: 0, fields: {}}
    this.counts.set(key, c)
    if (c.n < (this.opts.keepPerKind ?? 3)) this.stats.findings.push({...v, label})
    c.n++
    for (const f of fields) c.fields[f] = (c.fields[f] ?? 0) + 1
  }

  run(c: Case): Violation[] {
    const values = {...POISON_BASE, ...c.changes}
    const snap = this.factory.snapshot(poisonObjects(values, c.tls))
    const r = renderAll(snap, this.targets, {}, this.base)
    for (const [k, ms] of Object.entries(r.ms)) this.stats.ms[k as TargetName] += ms
    this.stats.cases++
    const p = {keys: poisonKeys(values), namespace: values.namespace!}
    const v: Violation[] = []
    for (const [stage, e] of Object.entries(r.throws)) v.push({target: stage as TargetName, kind: 'throw', detail: e!.split('\n').slice(0, 3).join(' | ')})
    for (const [t, errs] of Object.entries(grammarViolations(r, this.external(r, c.label)))) for (const e of errs) v.push({target: t as TargetName, kind: 'grammar', detail: e})
    if (Object.keys(r.throws).length === 0) {
      v.push(...isolationViolations(this.base, r, p, this.stats.observations))
      v.push(...silentDrops(this.base, r, p, {ingressExempt: 'className' in c.changes, lbService: `Service/${values.namespace}/${values.lbName}`, ingressService: `Service/${values.namespace}/${values.serviceName}`}))
    }
    if (r.haproxy && Object.values(r.haproxy.index.frontends).some((f) => f.backends.some((b) => r.haproxy!.index.backends[b]?.namespace === values.namespace))) this.stats.served++
    const fields = Object.keys(c.changes)
    for (const x of v) this.record(c.label, fields, x)
    return v
  }
}
