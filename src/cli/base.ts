/**
 * The base of every vipctl command. It owns the three things commands must not
 * do themselves: printing (through the one renderer), colour decisions, and
 * mapping errors to exit codes (typed errors are caught here, once).
 */
import {Command, Errors, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import type {Diagnostic} from '../cluster/types.js'
import {ExitCode, VipError, oneLine, type ExitCodeValue} from '../errors.js'
import {parseErrorHint} from '../core/suggest.js'
import {makeChalk} from '../output/color.js'
import {diagnosticLines} from '../output/diagnostics.js'
import {jsonText, printable, terminalText} from '../core/printable.js'
import {API_VERSION, render, toDocument, type OutputFormat, type Result} from '../output/render.js'
import {outputWidth} from '../output/width.js'
import {asInvoked} from './invocation.js'
import {usageLine} from './usage-line.js'

export interface ClassifiedError {
  exit: ExitCodeValue
  reason: string
  message: string
  hint?: string
}

/** Maps anything thrown to an exit code and one line. Exported for tests. */
export function classifyError(err: unknown): ClassifiedError {
  if (err instanceof VipError) return {exit: err.exit, reason: err.reason, message: oneLine(unwrapFlagError(err.message)), hint: err.hint === undefined ? undefined : oneLine(err.hint)}
  const e = err as {oclif?: {exit?: number}; message?: string; name?: string}
  // oclif's parser errors (unknown flag, bad option value, missing argument) carry exit 2.
  if (e && typeof e === 'object' && e.oclif?.exit === 2)
    return {exit: ExitCode.Usage, reason: 'Usage', message: oneLine(stripOclifPrefix(e.message ?? 'invalid usage')), hint: parseErrorHint(err) ?? 'see --help'}
  return {exit: ExitCode.Internal, reason: 'Internal', message: `internal error: ${oneLine(String(e?.message ?? err))}`, hint: 'run again with --debug and report it'}
}

/** Our error thrown by a flag's parse (-o, --sort-by) comes back wrapped by oclif: "Parsing --output \n\t<message>\nSee more help with --help". It names its flag itself. */
function unwrapFlagError(m: string): string {
  return m.replace(/^Parsing --[\w-]+ \n\t/, '').replace(/\nSee more help with --help$/, '')
}

function stripOclifPrefix(m: string): string {
  return usageLine(m)
}

/** Values --dry-run takes; a bare --dry-run is client. */
const DRY_RUN_VALUES = new Set(['none', 'client', 'server'])

/**
 * argv with a bare `--dry-run` as `--dry-run=client` (kubectl's old boolean spelling, and ours), unless the next
 * word is a --dry-run value. Only before `--`. Exported for tests.
 */
export function normalizeDryRun(argv: string[]): string[] {
  const end = argv.indexOf('--')
  return argv.map((a, i) => (a === '--dry-run' && (end < 0 || i < end) && !DRY_RUN_VALUES.has(argv[i + 1] ?? '') ? '--dry-run=client' : a))
}

/** One `warning:` line per deprecated alias used in argv (`--old` or `--old=value`), naming the flag to use instead. */
export function deprecatedAliasWarnings(flags: Record<string, {name?: string; aliases?: string[]; deprecateAliases?: boolean; char?: string}>, argv: string[]): string[] {
  const end = argv.indexOf('--')
  const words = end < 0 ? argv : argv.slice(0, end)
  const out: string[] = []
  for (const [name, def] of Object.entries(flags)) {
    if (!def?.deprecateAliases) continue
    for (const alias of def.aliases ?? []) {
      if (words.some((w) => w === `--${alias}` || w.startsWith(`--${alias}=`))) out.push(`--${alias} is deprecated: use --${name}`)
    }
  }
  return out
}

export abstract class VipCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    debug: Flags.boolean({description: 'print stack traces and debug details on error', helpGroup: 'GLOBAL'}),
    color: Flags.boolean({description: 'colour output (default: only on a terminal; NO_COLOR and FORCE_COLOR are honoured)', allowNo: true, helpGroup: 'GLOBAL'}),
  }

  /** Before oclif parses: a bare --dry-run becomes client, and each deprecated flag spelling used is one `warning:` line. */
  override async init(): Promise<void> {
    const flags = (this.ctor.flags ?? {}) as Record<string, {type?: string; name?: string; aliases?: string[]; deprecateAliases?: boolean}>
    if (flags['dry-run']?.type === 'option') {
      this.bareDryRun = normalizeDryRun(this.argv).some((a, i) => a !== this.argv[i])
      this.argv = normalizeDryRun(this.argv)
    }
    for (const w of deprecatedAliasWarnings(flags, this.argv)) this.warn(w)
    await super.init()
  }

  /** oclif's own warnings are not printed (deprecations are ours, above); ours are one `warning:` line on stderr. */
  protected override warnIfFlagDeprecated(): void {}

  override warn(input: string | Error): string | Error {
    process.stderr.write(`warning: ${printable(oneLine(typeof input === 'string' ? input : input.message))}\n`)
    return input
  }

  /** Colour for this invocation; decided once from flags, env and the terminal. */
  protected get chalk(): ChalkInstance {
    this.chalkInstance ??= makeChalk({
      env: process.env,
      isTTY: Boolean(process.stdout.isTTY),
      flag: this.argv.includes('--no-color') ? false : this.argv.includes('--color') ? true : undefined,
    })
    return this.chalkInstance
  }

  private chalkInstance?: ChalkInstance

  /** Whether the command line said a bare `--dry-run` (read as client). */
  protected bareDryRun = false

  /** Set by a command that printed its --json document before failing (catch then says the error on stderr). */
  protected documentPrinted = false

  /**
   * Writes warnings to stderr (at most maxDiagnostics, default 50, and a count), then the result to stdout in the
   * chosen format; returns the document for --json.
   */
  protected present(result: Result, format: OutputFormat, diagnostics: Diagnostic[] = [], opts: {maxDiagnostics?: number; stderrNote?: string; noHeaders?: boolean} = {}): Record<string, unknown> {
    for (const line of diagnosticLines(diagnostics, makeChalk({env: process.env, isTTY: Boolean(process.stderr.isTTY)}), {max: opts.maxDiagnostics}))
      process.stderr.write(`${asInvoked(line)}\n`)
    if (opts.stderrNote) process.stderr.write(`${printable(opts.stderrNote)}\n`)
    if (!this.jsonEnabled()) {
      process.stdout.write(render(result, format, {chalk: this.chalk, width: outputWidth(process.env, process.stdout), noHeaders: opts.noHeaders}))
      if (result.type === 'list' && result.items.length === 0 && result.empty && (format === 'table' || format === 'wide' || (typeof format === 'object' && format.type === 'custom-columns')))
        process.stderr.write(`${printable(result.empty)}\n`)
      if (result.type === 'list' && result.summary && (format === 'table' || format === 'wide')) process.stderr.write(`${printable(result.summary.text)}\n`)
    }
    if (result.exit !== undefined) process.exitCode = result.exit
    return toDocument(result)
  }

  override logJson(json: unknown): void {
    process.stdout.write(`${jsonText(json, 2)}\n`)
  }

  override async catch(err: Error & {exitCode?: number}): Promise<never> {
    if (err instanceof Errors.ExitError) throw err
    const c = classifyError(err)
    c.message = asInvoked(c.message)
    if (c.hint !== undefined) c.hint = asInvoked(c.hint)
    // A document already on stdout (inspect NAME...: the objects found, then the names not found) keeps stdout one
    // document with --json too: the failure is then the stderr line.
    if (this.jsonEnabled() && !this.documentPrinted) {
      this.logJson({apiVersion: API_VERSION, kind: 'Status', status: 'Failure', reason: c.reason, message: c.message, hint: c.hint, code: c.exit})
    } else {
      const chalk = makeChalk({env: process.env, isTTY: Boolean(process.stderr.isTTY)})
      // classifyError made message and hint one printable line each; printable again costs nothing and keeps it so.
      process.stderr.write(`${chalk.red('error')}: ${printable(c.message)}${c.hint ? chalk.dim(` (${printable(c.hint)})`) : ''}\n`)
    }
    if (this.argv.includes('--debug') || process.env.VIPCTL_DEBUG === '1') process.stderr.write(`${terminalText(err.stack ?? String(err))}\n`)
    process.exitCode = c.exit
    // ExitError makes oclif exit with our code without printing anything more.
    throw new Errors.ExitError(c.exit)
  }
}
