/** One-line forms of diagnostics for stderr (warnings) and error messages. */
import type {ChalkInstance} from 'chalk'
import type {Diagnostic} from '../cluster/types.js'
import {printable} from './printable.js'

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

/** Lines for stderr: errors and warnings (info only when verbose), at most `max` of them plus a count. */
export function diagnosticLines(ds: Diagnostic[], c: ChalkInstance, opts: {verbose?: boolean; max?: number} = {}): string[] {
  const shown = ds.filter((d) => opts.verbose || d.severity !== 'info')
  const max = opts.max ?? 50
  const lines = shown.slice(0, max).map((d) => {
    const sev = d.severity === 'error' ? c.red('error') : d.severity === 'warning' ? c.yellow('warning') : c.cyan('info')
    return `${sev}: ${formatDiagnostic(d)}`
  })
  if (shown.length > max) lines.push(`... and ${shown.length - max} more (use -o json with vipctl check to see all)`)
  return lines
}
