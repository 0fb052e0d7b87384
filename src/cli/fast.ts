/**
 * The start-up fast path (bin/run.js): `vipctl version`, the one command that needs nothing of oclif (no
 * config, no plugins, no flag parser beyond -o), is answered before oclif loads. Only the exact spellings below
 * take it; anything else (another flag, a bad value, --help) goes to oclif, which gives the same output and
 * errors as ever. test/cli/startup.test.ts compares both paths byte for byte. What prints the version is in
 * src/cli/version-print.ts, loaded only for it: this file is loaded by every command, and carries the guard on
 * standard output every command runs under (src/cli/output-guard.ts).
 */
import {helpFlagGiven} from './help-flags.js'

export {guardOutput} from './output-guard.js'
export {enableCodeCache} from './compile-cache.js'

/** The output format when argv is a plain `version` (-o/--output table|json|yaml, or --json); else undefined. */
export function plainVersion(argv: string[], env: NodeJS.ProcessEnv = process.env): 'table' | 'json' | 'yaml' | '--json' | undefined {
  // oclif's own environment (VIPCTL_CONTENT_TYPE=json, DEBUG traces) changes what it prints: oclif answers then.
  if (argv[0] !== 'version' || env.VIPCTL_CONTENT_TYPE !== undefined || env.DEBUG !== undefined) return undefined
  const rest = argv.slice(1)
  if (rest.length === 0) return 'table'
  if (rest.length === 1 && rest[0] === '--json') return '--json'
  const value = rest.length === 2 && (rest[0] === '-o' || rest[0] === '--output') ? rest[1] : rest.length === 1 ? /^(?:-o|--output)=(.*)$/.exec(rest[0]!)?.[1] : undefined
  return value === 'table' || value === 'json' || value === 'yaml' ? value : undefined
}

/**
 * Whether argv may ask for help (bin/run.js then loads the start-up help, src/cli/help-fast.ts, which decides;
 * anything else skips loading it): no arguments, a help flag (package.json's additionalHelpFlags and --help)
 * before any `--`, `help ...`, or one word that is a topic of package.json.
 */
export function mayBeHelp(argv: string[], oclif: {additionalHelpFlags?: string[]; topics?: Record<string, unknown>}): boolean {
  if (argv[0] === 'help' || helpFlagGiven(argv, oclif.additionalHelpFlags)) return true
  return argv.length === 1 && Object.hasOwn(oclif.topics ?? {}, argv[0]!)
}
