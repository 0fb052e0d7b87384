/** One-line forms of diagnostics for stderr (warnings) and error messages. */
import type {ChalkInstance} from 'chalk'
import type {Diagnostic} from '../cluster/types.js'
import {printable} from '../core/printable.js'
import {formatDiagnostic} from '../core/diagnostic.js'

export {formatDiagnostic}

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
