/**
 * oclif's help trigger (main.run's helpAddition): no arguments, or a help flag (package.json's additionalHelpFlags
 * and --help) before any `--`. Shared by bin/run.js's check (src/cli/fast.ts) and the start-up help; no imports.
 */
export function helpFlagGiven(argv: readonly string[], additionalHelpFlags: readonly string[] = []): boolean {
  if (argv.length === 0) return true
  const flags = [...additionalHelpFlags, '--help']
  for (const arg of argv) {
    if (flags.includes(arg)) return true
    if (arg === '--') return false
  }
  return false
}
