/**
 * "Did you mean": the nearest command, flag or flag value to a mistyped one. Distance is Damerau-Levenshtein
 * (optimal string alignment: insert, delete, substitute, swap two neighbours; each costs 1), case-insensitive,
 * so `inspct`, `insepct` and `Inspect` are all one edit from `inspect`. A suggestion must be within a third of
 * the typed length (at least 1, at most 3 edits); a typed prefix of 3 or more characters also counts (`insp`).
 * Ties are all given (at most three): a guess that picks one of two equally near words misleads.
 */

/** Edit distance with adjacent transpositions (optimal string alignment), bounded work: both inputs are cut to 64 characters. */
export function editDistance(a: string, b: string): number {
  const s = a.slice(0, 64)
  const t = b.slice(0, 64)
  const d: number[][] = Array.from({length: s.length + 1}, (_, i) => [i, ...Array<number>(t.length).fill(0)])
  for (let j = 1; j <= t.length; j++) d[0]![j] = j
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[s.length]![t.length]!
}

/** The most edits a suggestion may be from `typed`. */
export function maxEdits(typed: string): number {
  return Math.min(3, Math.max(1, Math.floor(typed.length / 3)))
}

/** The candidates nearest to `typed` within the cutoff (all that tie, at most three, in the order given), or []. */
export function closest(typed: string, candidates: readonly string[]): string[] {
  const low = typed.toLowerCase()
  if (!low) return []
  let best = Infinity
  let found: string[] = []
  for (const c of new Set(candidates)) {
    const cl = c.toLowerCase()
    if (cl === low) return [c]
    // A typed prefix ranks just after one edit: `insp` finds inspect, but `inspct` still prefers it over a prefix match.
    const d = low.length >= 3 && cl.startsWith(low) ? 1.5 : editDistance(low, cl)
    if (d > maxEdits(low) && !(low.length >= 3 && cl.startsWith(low))) continue
    if (d < best) {
      best = d
      found = [c]
    } else if (d === best) found.push(c)
  }
  return found.slice(0, 3)
}

/** "a", "a" or "b", "a", "b" or "c": each quoted with `quote`. */
function alternatives(words: readonly string[], quote: (w: string) => string): string {
  const q = words.map(quote)
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`
}

/** What to print for an unknown command: the words as typed (up to the first unknown one) and the nearest known words. */
export interface UnknownCommand {
  /** The command as typed, words separated by spaces, up to and including the first unknown word. */
  typed: string
  /** Full commands (space-separated) to suggest; empty when nothing is near enough. */
  suggestions: string[]
}

/**
 * Where `id` (oclif's colon-joined words: `inspect:servics`) stops naming a known command or topic, and the
 * nearest visible words at that point. `commands` are the CLI's commands (hidden ones are never suggested).
 */
export function unknownCommand(id: string, commands: ReadonlyArray<{id: string; hidden?: boolean; aliases?: readonly string[]}>): UnknownCommand {
  const parts = id.split(':').filter(Boolean)
  const visible = commands.filter((c) => !c.hidden)
  const ids = new Set(visible.flatMap((c) => [c.id, ...(c.aliases ?? [])]))
  const known = (prefix: string) => ids.has(prefix) || [...ids].some((x) => x.startsWith(`${prefix}:`))
  let k = 0
  while (k < parts.length - 1 && known(parts.slice(0, k + 1).join(':'))) k++
  const prefix = parts.slice(0, k)
  const head = prefix.length ? `${prefix.join(':')}:` : ''
  const next = new Set<string>()
  for (const x of ids) if (x.startsWith(head) && x.length > head.length) next.add(x.slice(head.length).split(':')[0]!)
  const near = closest(parts[k] ?? '', [...next].sort())
  // An alias stands for its command: suggest the command's own name, once (servics: services, not also service).
  const canonical = new Map<string, string>()
  for (const c of visible) if (!c.aliases?.includes(c.id)) for (const a of c.aliases ?? []) canonical.set(a, c.id)
  const suggestions = near.map((w) => (canonical.get(head + w) ?? head + w).split(':').join(' '))
  return {typed: parts.slice(0, k + 1).join(' '), suggestions: [...new Set(suggestions)]}
}

/** ` (did you mean "inspect"?)` for an unknown command, or '' when nothing is near. */
export function commandHint(u: UnknownCommand): string {
  return u.suggestions.length ? `did you mean ${alternatives(u.suggestions, (w) => `"${w}"`)}?` : ''
}

/**
 * `did you mean --namespace?` for an unknown flag as typed (`--namspace`, `--namspace=x`), given the command's
 * flags (a command's static flags, or oclif's parse input); undefined when none is near or it is not a long flag.
 * Commands that parse without strict (and so report unknown flags themselves) use it for their hint too.
 */
export function unknownFlagHint(typed: string, flags: Readonly<Record<string, {name?: string; hidden?: boolean; allowNo?: boolean}>>): string | undefined {
  if (!typed.startsWith('--')) return undefined
  const name = typed.slice(2).split('=')[0]!
  const defs = Object.entries(flags).filter(([, f]) => !f.hidden)
  const names = defs.flatMap(([key, f]) => {
    const n = f.name ?? key
    return [n, ...(f.allowNo ? [`no-${n}`] : [])]
  })
  const near = closest(name, names)
  return near.length ? `did you mean ${alternatives(near, (w) => `--${w}`)}?` : undefined
}

interface ParseErrorShape {
  flags?: unknown
  message?: unknown
  parse?: {input?: {flags?: Record<string, {name?: string; char?: string; hidden?: boolean; allowNo?: boolean; type?: string; options?: unknown}>}}
}

/**
 * The hint for an oclif parse error that a typo explains: `did you mean --namespace?` for an unknown flag (the
 * error carries the command's flags), `did you mean json?` for a value that is not one of a flag's options (from
 * oclif's message, which lists them). undefined for anything else.
 */
export function parseErrorHint(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined
  const e = err as ParseErrorShape
  if (Array.isArray(e.flags) && e.flags.length > 0 && e.parse?.input?.flags) return unknownFlagHint(String(e.flags[0]), e.parse.input.flags)
  const m = typeof e.message === 'string' ? /^Expected --([\w-]+)=(.*) to be one of: (.*)$/m.exec(e.message) : null
  return m ? valueHint(m[2]!, m[3]!.split(',').map((s) => s.trim())) : undefined
}

/**
 * `did you mean json?` for a value that is not one of `allowed` (a flag's formats, a shell), or undefined when none
 * is near. For commands that check a value themselves.
 */
export function valueHint(typed: string, allowed: readonly string[]): string | undefined {
  const near = closest(typed, allowed)
  return near.length ? `did you mean ${alternatives(near, (w) => w)}?` : undefined
}
