/**
 * Durations, one grammar for every flag and field that takes one: Go's compound form, a sequence of
 * NUMBER UNIT parts ("1m30s", "1h5m", "500ms", "1.5s"), each part's unit one the caller accepts
 * (ns, us / µs, ms, s, m, h). What differs between callers is a parameter: the units, whether a part may have a
 * fraction, and what a bare number means (nothing, whole seconds, or seconds). Bounds stay with the caller, whose
 * message names its flag or field; parseDuration only answers "how many milliseconds" or "not a duration".
 */

export type DurationUnit = 'ns' | 'us' | 'µs' | 'ms' | 's' | 'm' | 'h'

const UNIT_MS: Record<DurationUnit, number> = {ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000}

export interface DurationRules {
  /** Units a part may carry. */
  units: readonly DurationUnit[]
  /** A part's number may have a fraction ("1.5s"). Default false. */
  fractions?: boolean
  /** A bare number (no unit): not a duration (default), whole seconds only, or seconds (a fraction if `fractions`). */
  bare?: 'none' | 'whole-seconds' | 'seconds'
  /** Digits at most in a part's whole number (default 9). */
  maxDigits?: number
}

/** Longer text is not a duration (every documented form is far shorter). */
const MAX_TEXT = 64

/** `text` in milliseconds (possibly fractional), or undefined when it is not a duration under `rules`. */
export function parseDuration(text: string, rules: DurationRules): number | undefined {
  if (text.length === 0 || text.length > MAX_TEXT) return undefined
  const digits = rules.maxDigits ?? 9
  const num = `[0-9]{1,${digits}}${rules.fractions ? '(?:\\.[0-9]{1,9})?' : ''}`
  const bare = rules.bare ?? 'none'
  if (bare !== 'none' && new RegExp(`^${bare === 'whole-seconds' ? `[0-9]{1,${digits}}` : num}$`).test(text)) return Number(text) * 1000
  // Longest unit spellings first, so "ms" is not read as "m" followed by junk.
  const units = [...rules.units].sort((a, b) => b.length - a.length)
  const part = new RegExp(`(${num})(${units.join('|')})`, 'y')
  let ms = 0
  let at = 0
  while (at < text.length) {
    part.lastIndex = at
    const m = part.exec(text)
    if (!m) return undefined
    ms += Number(m[1]) * UNIT_MS[m[2] as DurationUnit]
    at = part.lastIndex
  }
  return ms
}

/** Gateway API durations (GEP-2257): whole numbers, units h m s ms, compound ("1h30m"). */
export const GATEWAY_DURATION: DurationRules = {units: ['h', 'm', 's', 'ms'], maxDigits: 5}
