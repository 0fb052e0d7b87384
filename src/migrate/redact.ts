import {DataError} from '../errors.js'
import {maskUrlUserinfo} from '../core/printable.js'

/**
 * What migrate may show of its input (findings, the ledger, --report, -o json): the words, with credentials replaced
 * by "***". Never applied to what migrate reads: only to what it shows.
 */

/** Header names whose values are credentials. */
export const SENSITIVE_HEADER = /auth|token|secret|passw|key|session|cookie|credential|signature/i

/** A word with embedded credentials masked: URL user:password@, secret query parameters, "Header: value" of sensitive headers. */
export function redactText(w: string): string {
  return maskUrlUserinfo(w)
    .replace(/((?:^|[?&;])(?:[a-z0-9_-]*(?:token|key|secret|passw(?:or)?d|pwd|sig|signature|auth|session|credential)[a-z0-9_-]*)=)[^&\s"#]*/gi, '$1***')
    .replace(/((?:proxy-)?authorization|cookie|x-api-key|api-key|x-auth-token|x-auth-key|x-access-token)(\s*:\s*)[^\r\n"]*/gi, '$1$2***')
}

/**
 * An input migrate reads must be text: no NUL byte, no invalid UTF-8, no line over 64 KiB (no configuration has
 * one; a finding would quote it). Throws a one-line DataError naming the file and line.
 */
export function checkConfigText(text: string, file: string): void {
  const lineOf = (i: number) => text.slice(0, i).split('\n').length
  const bin = text.search(/[\u0000\uFFFD]/)
  if (bin >= 0) throw new DataError(`${file}:${lineOf(bin)}: binary data (${text[bin] === '\u0000' ? 'a NUL byte' : 'bytes that are not UTF-8'}), not a configuration file`)
  let start = 0
  for (let n = 1; start <= text.length; n++) {
    const end = text.indexOf('\n', start)
    const stop = end < 0 ? text.length : end
    if (stop - start > 65536) throw new DataError(`${file}:${n}: a line longer than 64 KiB`)
    if (end < 0) break
    start = end + 1
  }
}
