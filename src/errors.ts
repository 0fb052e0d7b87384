/**
 * Typed errors and the exit-code contract. Services throw these; the base
 * command catches them once and maps them to an exit code and one line on
 * stderr (or a JSON Status under --json).
 */
import {printable} from './core/printable.js'

/** Documented exit codes (sysexits-style where one exists). */
export const ExitCode = {
  Ok: 0,
  /** `check` found something at or above --fail-on. */
  Findings: 1,
  /** `diff` found differences. */
  Differences: 2,
  /** Bad flag, argument or unknown context: the command line is wrong. */
  Usage: 64,
  /** Bad input data: malformed YAML, invalid object, malformed kubeconfig, missing namespace. */
  DataErr: 65,
  /** A service we depend on is unavailable: API server, proxy, socket. */
  Unavailable: 69,
  /** A bug in vipctl. */
  Internal: 70,
  /** The output could not be written (stdout on a full disk, a file or terminal that fails): src/cli/output-guard.ts. */
  IoErr: 74,
  /** Permission denied: 401/403 from the API server, missing capability, EACCES. */
  NoPerm: 77,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** Rows for `--help` and the README: code, name, meaning. */
export const EXIT_CODE_TABLE: ReadonlyArray<readonly [number, string, string]> = [
  [0, 'ok', 'success'],
  [1, 'findings', 'check reported findings at or above --fail-on'],
  [2, 'differences', 'diff found differences between desired and running state'],
  [64, 'usage', 'bad flag or argument, unknown kubeconfig context'],
  [65, 'data', 'bad input data: malformed YAML/JSON, invalid object, malformed kubeconfig, unknown namespace'],
  [69, 'unavailable', 'API server or proxy unreachable or failing'],
  [70, 'internal', 'internal error (a bug: please report it with --debug output)'],
  [74, 'output', 'the output could not be written (a full disk, a failing file or terminal)'],
  [77, 'permission', 'permission denied (401/403, missing capability, file access)'],
]

/** Base of every error vipctl expects. `reason` is a stable machine-readable word. */
export class VipError extends Error {
  readonly exit: ExitCodeValue
  readonly reason: string
  /** Optional hint shown after the message, e.g. the flag that fixes it. */
  readonly hint?: string

  constructor(message: string, opts: {exit: ExitCodeValue; reason: string; hint?: string; cause?: unknown}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = new.target.name
    this.exit = opts.exit
    this.reason = opts.reason
    this.hint = opts.hint
  }
}

export class UsageError extends VipError {
  constructor(message: string, hint?: string) {
    super(message, {exit: ExitCode.Usage, reason: 'Usage', hint})
  }
}

export class DataError extends VipError {
  constructor(message: string, opts: {hint?: string; cause?: unknown} = {}) {
    super(message, {exit: ExitCode.DataErr, reason: 'BadInput', ...opts})
  }
}

export class UnavailableError extends VipError {
  constructor(message: string, opts: {hint?: string; cause?: unknown} = {}) {
    super(message, {exit: ExitCode.Unavailable, reason: 'Unavailable', ...opts})
  }
}

export class PermissionError extends VipError {
  constructor(message: string, opts: {hint?: string; cause?: unknown} = {}) {
    super(message, {exit: ExitCode.NoPerm, reason: 'Forbidden', ...opts})
  }
}

/** Not a failure of vipctl: the command ran and has a non-zero verdict (check findings, diff differences). */
export class VerdictError extends VipError {
  constructor(message: string, exit: typeof ExitCode.Findings | typeof ExitCode.Differences) {
    super(message, {exit, reason: exit === ExitCode.Findings ? 'Findings' : 'Differences'})
  }
}

/**
 * Flattens any thrown value to one printable line: line breaks (with the space
 * around them) and tabs become one space, and every other control or invisible character
 * (ESC, C1, bidi, zero-width; from an object, a file or a reply quoted in the
 * message) a visible escape such as \x1b.
 */
export function oneLine(text: string): string {
  return printable(text.replace(/\s*[\r\n\u0085\u2028\u2029]+\s*/g, ' ').replace(/\t/g, ' ').trim())
}
