/** One-line forms of diagnostics for stderr (warnings) and error messages. */
import type {ChalkInstance} from 'chalk'
import type {Diagnostic} from '../cluster/types.js'
import {printable} from '../core/printable.js'
import {formatDiagnostic} from '../core/diagnostic.js'

export {formatDiagnostic}

/**
 * Lines for stderr: problems with objects (info only when verbose), at most `max` of them plus a count. The
 * label says what became of the command, not of the object: these lines are printed by commands that go on
 * (exit 0 or a verdict code; the object was skipped or reported, its code says how bad), so they are `warning:`
 * whatever the object's severity; a command that fails says so in its one `error:` line.
 */
export function diagnosticLines(ds: Diagnostic[], c: ChalkInstance, opts: {verbose?: boolean; max?: number} = {}): string[] {
  const shown = ds.filter((d) => opts.verbose || d.severity !== 'info')
  const max = opts.max ?? 50
  const lines = shown.slice(0, max).map((d) => {
    const sev = d.severity === 'info' ? c.cyan('info') : c.yellow('warning')
    return `${sev}: ${formatDiagnostic(d)}`
  })
  if (shown.length > max) lines.push(`... and ${shown.length - max} more (use -o json with vipctl check to see all)`)
  return lines
}
