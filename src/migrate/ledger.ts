/**
 * The migration ledger: every token of every line of the input (the keyword, each argument, each option and its
 * value) is accounted for, as
 *   exact        carried over as it is (no finding),
 *   approximate  carried over with a behaviour change (VIP5002, saying before and after),
 *   lost         not carried over (VIP5001),
 *   manual       needs a step by hand (VIP5003).
 * A token can collect several accounts; its account is the worst of them (lost > manual > approximate > exact),
 * and a line's account is the worst of its tokens'. `close()` gives every token nobody claimed the account "lost"
 * with a finding that quotes it, so nothing is ever dropped without a finding. Line numbers are 1-based; token
 * indices are 0-based positions in the line's words as the parser split them.
 */
import type {Diagnostic} from '../cluster/types.js'
import {severityOf} from '../core/catalog.js'
import {redactText} from './redact.js'

export type Account = 'exact' | 'approximate' | 'lost' | 'manual'

export interface LedgerToken {
  text: string
  account: Account
}

export interface LedgerLine {
  line: number
  /** The line as written (PEM lines blanked before parsing never reach here). */
  text: string
  account: Account
  /** Every word of the line with its own account. */
  tokens: LedgerToken[]
  /** What was done with it, for people: one entry per finding (exact lines: what they became). */
  notes: string[]
}

/** Which tokens of a line an account claims: all of them, the first n, or these indices. */
export type Tokens = 'all' | number | readonly number[]

const RANK: Record<Account, number> = {exact: 0, approximate: 1, manual: 2, lost: 3}
const CODE = {approximate: 'VIP5002', lost: 'VIP5001', manual: 'VIP5003'} as const

interface Entry {
  line: number
  text: string
  words: readonly string[]
  /** Per token: its account so far; undefined while nobody has claimed it. */
  claimed: Array<Account | undefined>
  notes: string[]
}

export class Ledger {
  private readonly lines = new Map<number, Entry>()
  readonly report: Diagnostic[] = []

  /**
   * @param file the input's name as the user gave it (findings name it)
   * @param input every line that must be accounted for: line number -> its text and its words (comments and
   *   blank lines left out)
   */
  constructor(
    private readonly file: string,
    input: ReadonlyMap<number, {text: string; words: readonly string[]}>,
  ) {
    for (const [line, {text, words}] of input) this.lines.set(line, {line, text, words, claimed: words.map(() => undefined), notes: []})
  }

  /** The words of a line (empty when the line is not in the input). */
  words(line: number): readonly string[] {
    return this.lines.get(line)?.words ?? []
  }

  private mark(line: number, account: Account, note: string, tokens: Tokens): void {
    const l = this.lines.get(line)
    if (!l) return
    const idx = tokens === 'all' ? l.words.map((_, i) => i) : typeof tokens === 'number' ? Array.from({length: Math.min(tokens, l.words.length)}, (_, i) => i) : tokens
    for (const i of idx) {
      if (i < 0 || i >= l.claimed.length) continue
      const prev = l.claimed[i]
      if (prev === undefined || RANK[account] > RANK[prev]) l.claimed[i] = account
    }
    if (note) l.notes.push(note)
  }

  /** Carried over as it is; `as` says what it became (e.g. "Service shop/web"). Claims `tokens` (default all). */
  exact(line: number, as = '', tokens: Tokens = 'all'): void {
    this.mark(line, 'exact', as, tokens)
  }

  /** Carried over with a behaviour change: the message says what changes (before -> after). VIP5002. */
  approximate(line: number, object: string, message: string, tokens: Tokens = 'all'): void {
    this.mark(line, 'approximate', message, tokens)
    this.say('VIP5002', line, object, message)
  }

  /** Not carried over. VIP5001. */
  lost(line: number, object: string, message: string, tokens: Tokens = 'all'): void {
    this.mark(line, 'lost', message, tokens)
    this.say('VIP5001', line, object, message)
  }

  /** Needs a manual step, which the message names. VIP5003. */
  manual(line: number, object: string, message: string, tokens: Tokens = 'all'): void {
    this.mark(line, 'manual', message, tokens)
    this.say('VIP5003', line, object, message)
  }

  private say(code: (typeof CODE)[keyof typeof CODE], line: number, object: string, message: string): void {
    // A finding quotes input: at most 500 characters of it (the ledger keeps the line).
    // (Credentials are masked here too, whatever the message quotes: a safety net under the shown words.)
    const masked = redactText(message)
    const m = masked.length > 500 ? `${masked.slice(0, 497)}...` : masked
    this.report.push({severity: severityOf(code), code, object, message: m, origin: {source: 'file', file: this.file, doc: 0, line}})
  }

  /**
   * Accounts every token nobody claimed as lost (one finding per line, quoting those tokens), and returns the
   * ledger in line order and the report in line order (findings of one line in the order they were made).
   */
  close(object: (line: number) => string): {ledger: LedgerLine[]; report: Diagnostic[]} {
    const quote = (s: string) => (s.length > 100 ? `${s.slice(0, 97)}...` : s)
    for (const l of [...this.lines.values()].sort((a, b) => a.line - b.line)) {
      const open = l.claimed.flatMap((a, i) => (a === undefined ? [i] : []))
      if (open.length === 0) continue
      const what = open.length === l.words.length ? l.text : open.map((i) => l.words[i]).join(' ')
      this.lost(l.line, object(l.line), `not carried over: ${quote(what)}`, open)
    }
    const ledger = [...this.lines.values()]
      .sort((a, b) => a.line - b.line)
      .map((l): LedgerLine => {
        const tokens = l.words.map((text, i) => ({text, account: l.claimed[i] ?? 'lost'}))
        const account = tokens.reduce<Account>((w, t) => (RANK[t.account] > RANK[w] ? t.account : w), 'exact')
        return {line: l.line, text: l.text, account, tokens, notes: l.notes}
      })
    const lineOf = (d: Diagnostic) => (d.origin && 'line' in d.origin ? d.origin.line : 0)
    const report = this.report.map((d, i) => ({d, i})).sort((a, b) => lineOf(a.d) - lineOf(b.d) || a.i - b.i).map((x) => x.d)
    return {ledger, report}
  }
}

/** The ledger's counts by account (one per line, its worst token's), for summaries. */
export function ledgerCounts(lines: LedgerLine[]): Record<Account, number> {
  const out: Record<Account, number> = {exact: 0, approximate: 0, lost: 0, manual: 0}
  for (const l of lines) out[l.account]++
  return out
}
