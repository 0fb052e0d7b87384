/**
 * Diagnostics: what every stage reports about an object, and its one-line
 * form. Below every stage (cluster, model, targets, services, output import it;
 * it imports nothing of theirs).
 */
import {printable} from './printable.js'

export type Origin =
  | {source: 'file'; file: string; doc: number; line: number}
  | {source: 'api'; server?: string}

/** Severity of a diagnostic: error = object left out, warning = used with a caveat. */
export type Severity = 'error' | 'warning' | 'info'

/** Something the source or the model wants the user to know, pointing at an object and a field. */
export interface Diagnostic {
  severity: Severity
  /** Stable code, e.g. VIP1001. */
  code: string
  /** kind/namespace/name of the object, or the file when no object could be read. */
  object: string
  /** JSON-path-like field, e.g. spec.rules[0].http.paths[1].path */
  field?: string
  message: string
  origin?: Origin
}

/**
 * `file:line: kind/ns/name field: message [CODE]`, no colour. Every part may
 * carry text from an object (names, field paths with label keys, messages that
 * quote a path or a value): each is made printable, so the line stays one line
 * and carries no control or invisible characters.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.origin?.source === 'file' ? `${printable(d.origin.file)}:${d.origin.line}: ` : ''
  const field = d.field ? ` ${printable(d.field)}:` : ':'
  return `${where}${printable(d.object)}${field} ${printable(d.message)} [${printable(d.code)}]`
}

