/**
 * Untrusted text made safe for a terminal. Every string that came from an
 * object, a file or a reply (names, paths, hosts, annotation keys and values,
 * condition reasons, proxy and NITRO answers) passes through here before any
 * human output: tables, warnings, error lines, check and trace reports, stats.
 *
 * Replaced by a visible escape: C0 and C1 control characters and DEL (ESC, CSI,
 * OSC, CR, LF, TAB, NEL U+0085, C1 CSI U+009B), line and paragraph separators
 * (U+2028, U+2029), format characters (bidi embeddings, overrides and isolates
 * U+202A-202E, U+2066-2069, marks U+200E/200F/061C, zero-width U+200B-200D,
 * U+2060, BOM U+FEFF, soft hyphen, tag characters) and lone surrogates.
 *
 * Escapes are made of printable ASCII (`\x1b`, `\n`, `\u2028`, `\u{e0041}`),
 * so the functions are idempotent: running text through them twice gives the
 * same result. Backslashes are kept as they are (ordinary text stays unchanged).
 *
 * JSON keeps the original value (escaped as JSON \u sequences, see jsonText).
 */

/** Every character that must not reach a terminal raw. */
export const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u
const UNPRINTABLE_G = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu
/** The same without \n and \t: what multi-line human text may keep. */
const UNPRINTABLE_TEXT_G = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu

const SHORT: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}

/** The visible escape of one code point (a single UTF-16 unit for lone surrogates). */
export function escapeChar(ch: string): string {
  const short = SHORT[ch]
  if (short) return short
  const cp = ch.codePointAt(0)!
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, '0')}`
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`
  return `\\u{${cp.toString(16)}}`
}

/** One line of printable text: every unprintable character (line breaks and tabs too) becomes a visible escape. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE_G, escapeChar)
}

/** Printable and bounded to `max` characters (an escape is never cut in half): for names and values quoted inside messages. */
export function printableShort(s: string, max = 80): string {
  const p = printable(s)
  if (p.length <= max) return p
  let out = ''
  for (const ch of s) {
    const piece = UNPRINTABLE.test(ch) ? escapeChar(ch) : ch
    if (out.length + piece.length > max - 3) break
    out += piece
  }
  return `${out}...`
}

/** Multi-line human text: like printable, but \n and \t are kept (they are the text's own layout). */
export function printableText(s: string): string {
  return s.replace(UNPRINTABLE_TEXT_G, escapeChar)
}

/** Colour sequences chalk writes (SGR only); anything else starting with ESC is escaped. */
const SGR = /\x1b\[[0-9;]*m/y

/**
 * The last guard before a terminal: the final human text of a command (tables,
 * reports, warnings). Keeps \n, \t and, when colour is on, SGR colour sequences;
 * escapes every other unprintable character, so a value that escaped the
 * per-field treatment can still not move the cursor, clear the screen, open a
 * hyperlink or reorder text (and without colour, not even colour the text).
 */
export function terminalText(s: string, opts: {colour?: boolean} = {colour: true}): string {
  if (!UNPRINTABLE.test(s)) return s
  const colour = opts.colour ?? true
  let out = ''
  let i = 0
  while (i < s.length) {
    const ch = s[i]!
    if (ch === '\x1b' && colour) {
      SGR.lastIndex = i
      const m = SGR.exec(s)
      if (m) {
        out += m[0]
        i += m[0].length
        continue
      }
    }
    const cp = s.codePointAt(i)!
    const full = cp > 0xffff ? s.slice(i, i + 2) : ch
    out += full === '\n' || full === '\t' || !UNPRINTABLE.test(full) ? full : escapeChar(full)
    i += full.length
  }
  return out
}

/** Deep copy of plain data with every string (and object key) through `f`; other objects are left as they are. */
export function mapStrings<T>(value: T, f: (s: string) => string, depth = 0): T {
  if (typeof value === 'string') return f(value) as T
  if (depth > 64 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f, depth + 1)) as T
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[f(k)] = mapStrings(v, f, depth + 1)
  return out as T
}

/** Characters JSON.stringify leaves raw that a terminal would act on or hide (DEL, C1, separators, format characters). */
const JSON_RAW_G = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu

const uEscape = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`

/**
 * JSON.stringify, with the characters it leaves raw written as \u escapes too:
 * the parsed value is exactly the original, the text carries no control or
 * invisible characters. (Those characters only occur inside JSON strings, where
 * \u escapes are always valid.)
 */
export function jsonText(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? 'null').replace(JSON_RAW_G, (ch) => {
    let out = ''
    for (let i = 0; i < ch.length; i++) out += uEscape(ch.charCodeAt(i))
    return out
  })
}

/** A URL's `user:password@` (in any scheme, anywhere in the text) shown as `***@`: for messages that quote a URL. */
export function maskUrlUserinfo(s: string): string {
  return s.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s"]*@/gi, '$1***@')
}
