/**
 * The migration ledger: every line of the input is accounted for, as
 *   exact        carried over as it is (no finding),
 *   approximate  carried over with a behaviour change (VIP5002, saying before and after),
 *   lost         not carried over (VIP5001),
 *   manual       needs a step by hand (VIP5003).
 * A line can collect several accounts (a server line carried over with one option lost); its account is the
 * worst of them (lost > manual > approximate > exact). `close()` gives every line nobody accounted for the
 * account "lost" with its text, so nothing is ever dropped without a finding. Line numbers are 1-based.
 */
import type {Diagnostic} from '../cluster/types.js'
import {severityOf} from '../core/catalog.js'

export type Account = 'exact' | 'approximate' | 'lost' | 'manual'

export interface LedgerLine {
  line: number
  /** The line as written (PEM lines blanked before parsing never reach here). */
  text: string
  account: Account
  /** What was done with it, for people: one entry per finding (exact lines: what they became). */
  notes: string[]
}

const RANK: Record<Account, number> = {exact: 0, approximate: 1, manual: 2, lost: 3}
const CODE = {approximate: 'VIP5002', lost: 'VIP5001', manual: 'VIP5003'} as const

export class Ledger {
  private readonly lines = new Map<number, LedgerLine>()
  readonly report: Diagnostic[] = []

  /**
   * @param file the input's name as the user gave it (findings name it)
   * @param input every line that must be accounted for: line number -> text (comments and blank lines left out)
   */
  constructor(
    private readonly file: string,
    input: ReadonlyMap<number, string>,
  ) {
    for (const [line, text] of input) this.lines.set(line, {line, text, account: 'exact', notes: []})
    this.unaccounted = new Set(input.keys())
  }

  private readonly unaccounted: Set<number>

  private mark(line: number, account: Account, note: string): void {
    const l = this.lines.get(line)
    this.unaccounted.delete(line)
    if (!l) return
    if (RANK[account] > RANK[l.account]) l.account = account
    if (note) l.notes.push(note)
  }

  /** Carried over as it is; `as` says what it became (e.g. "Service shop/web"). */
  exact(line: number, as = ''): void {
    this.mark(line, 'exact', as)
  }

  /** Carried over with a behaviour change: the message says what changes (before -> after). VIP5002. */
  approximate(line: number, object: string, message: string): void {
    this.mark(line, 'approximate', message)
    this.say('VIP5002', line, object, message)
  }

  /** Not carried over. VIP5001. */
  lost(line: number, object: string, message: string): void {
    this.mark(line, 'lost', message)
    this.say('VIP5001', line, object, message)
  }

  /** Needs a manual step, which the message names. VIP5003. */
  manual(line: number, object: string, message: string): void {
    this.mark(line, 'manual', message)
    this.say('VIP5003', line, object, message)
  }

  private say(code: (typeof CODE)[keyof typeof CODE], line: number, object: string, message: string): void {
    this.report.push({severity: severityOf(code), code, object, message, origin: {source: 'file', file: this.file, doc: 0, line}})
  }

  /** Accounts every line nobody accounted for as lost (with its text), and returns the ledger in line order. */
  close(object: (line: number) => string): LedgerLine[] {
    for (const line of [...this.unaccounted].sort((a, b) => a - b)) {
      const text = this.lines.get(line)!.text
      this.lost(line, object(line), `not carried over: ${text.length > 100 ? `${text.slice(0, 97)}...` : text}`)
    }
    return [...this.lines.values()].sort((a, b) => a.line - b.line)
  }
}

/** The ledger's counts by account, for summaries. */
export function ledgerCounts(lines: LedgerLine[]): Record<Account, number> {
  const out: Record<Account, number> = {exact: 0, approximate: 0, lost: 0, manual: 0}
  for (const l of lines) out[l.account]++
  return out
}
