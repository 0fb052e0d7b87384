/** Shared assertions for migrate: the ledger covers every token of every line, and what migrate writes vipctl accepts. */
import assert from 'node:assert/strict'
import {stringify} from 'yaml'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Diagnostic} from '../../src/cluster/types.js'
import {compile} from '../../src/model/compile.js'
import type {LedgerLine} from '../../src/migrate/ledger.js'
import type {K8s} from '../../src/migrate/netscaler.js'

const CODE = {approximate: 'VIP5002', lost: 'VIP5001', manual: 'VIP5003'} as const

/**
 * `words`: line number -> the words the input's own parser split that line into (every line that is not blank or a
 * comment). Asserts: the ledger has exactly those lines; each line's tokens are exactly its words, each with an
 * account; a line with a token not carried over exactly has a finding of that account's code on that line, and a
 * line all of whose tokens are exact has no finding.
 */
export function assertLedgerCovers(label: string, words: ReadonlyMap<number, readonly string[]>, ledger: LedgerLine[], report: Diagnostic[]): void {
  assert.deepEqual(
    ledger.map((l) => l.line),
    [...words.keys()].sort((a, b) => a - b),
    `${label}: the ledger accounts for every line`,
  )
  const codesAt = new Map<number, Set<string>>()
  for (const d of report) {
    const line = d.origin && 'line' in d.origin ? d.origin.line : undefined
    if (line === undefined) continue
    if (!codesAt.has(line)) codesAt.set(line, new Set())
    codesAt.get(line)!.add(d.code)
  }
  for (const l of ledger) {
    const where = `${label}:${l.line} (${l.text.slice(0, 80)})`
    assert.deepEqual(
      l.tokens.map((t) => t.text),
      [...words.get(l.line)!],
      `${where}: every token is in the ledger`,
    )
    for (const t of l.tokens) assert.ok(['exact', 'approximate', 'lost', 'manual'].includes(t.account), `${where}: token ${t.text} has no account`)
    const codes = codesAt.get(l.line) ?? new Set()
    for (const t of l.tokens) if (t.account !== 'exact') assert.ok(codes.has(CODE[t.account]), `${where}: token ${t.text} is ${t.account} without a ${CODE[t.account]} on its line`)
    if (l.tokens.every((t) => t.account === 'exact')) assert.equal(codes.size, 0, `${where}: every token exact, yet reported: ${[...codes].join(', ')}`)
    assert.equal(l.account, l.tokens.some((t) => t.account === 'lost') ? 'lost' : l.tokens.some((t) => t.account === 'manual') ? 'manual' : l.tokens.some((t) => t.account === 'approximate') ? 'approximate' : 'exact', `${where}: the line's account is its worst token's`)
  }
}

/**
 * What migrate wrote passes vipctl: the schema (no VIP1xxx) and the model (no invalid annotation VIP2006, no
 * listener setting out of place VIP2012, no invalid route VIP2025, no unresolved backend VIP2003). check-status waits
 * for the manual readiness-probe step, so vipctl saying it has no effect yet is expected.
 */
export function assertAccepted(label: string, objects: K8s[]): void {
  const snap = emptySnapshot({kind: 'offline', files: []})
  parseInto(snap, objects.map((o) => stringify(o)).join('---\n'), 'migrated.yaml')
  assert.deepEqual(snap.diagnostics.filter((d) => d.code.startsWith('VIP1')).map((d) => `${d.code} ${d.object} ${d.field ?? ''}: ${d.message}`), [], `${label}: schema`)
  const c = compile(sortSnapshot(snap), {})
  const bad = c.model.diagnostics.filter((d) => ['VIP2006', 'VIP2012', 'VIP2025', 'VIP2003'].includes(d.code) && d.field !== 'metadata.annotations[vipctl.io/check-status]')
  assert.deepEqual(bad.map((d) => `${d.code} ${d.object} ${d.field ?? ''}: ${d.message}`), [], `${label}: model`)
}
