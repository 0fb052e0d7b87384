/**
 * Terminal columns: how wide a table may be, how wide a text is on screen, and
 * how a cell is cut to fit ("…" marks the cut, as kubectl's describe does).
 */

/** The table width when nothing says otherwise (stdout is a pipe or a file, COLUMNS unset). */
export const DEFAULT_WIDTH = 80
/** Narrower than this is taken as a mistake (COLUMNS=1): tables are laid out for this instead. */
export const MIN_WIDTH = 20

/**
 * The width default tables must fit: $COLUMNS when it is a whole number (as the
 * shell exports it), else the terminal's width when stdout is one, else 80.
 */
export function outputWidth(env: NodeJS.ProcessEnv, out: {isTTY?: boolean; columns?: number}): number {
  const fromEnv = /^\d{1,6}$/.test(env.COLUMNS ?? '') ? Number(env.COLUMNS) : 0
  const w = fromEnv > 0 ? fromEnv : out.isTTY && out.columns && out.columns > 0 ? out.columns : DEFAULT_WIDTH
  return Math.max(w, MIN_WIDTH)
}

// East Asian Wide and Fullwidth blocks (and emoji) take two columns on a terminal.
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u
const ASCII = /^[\x20-\x7e]*$/
// Combining marks take none (they sit on the character before).
const ZERO = /[\p{Mn}\p{Me}]/u

/** Columns one code point takes on a terminal (text is already printable: no control characters). */
function charWidth(ch: string): number {
  if (ZERO.test(ch)) return 0
  return WIDE.test(ch) ? 2 : 1
}

/** Columns a line of printable text takes on a terminal. */
export function displayWidth(s: string): number {
  if (ASCII.test(s)) return s.length
  let w = 0
  for (const ch of s) w += charWidth(ch)
  return w
}

/** The line cut to at most `width` columns, ending in "…" when cut (a wide character is never split). */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s
  if (width <= 0) return ''
  if (ASCII.test(s)) return `${s.slice(0, width - 1)}…`
  let out = ''
  let w = 0
  for (const ch of s) {
    const cw = charWidth(ch)
    if (w + cw > width - 1) break
    out += ch
    w += cw
  }
  return `${out}…`
}
