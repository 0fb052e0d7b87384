/**
 * oclif's flag and argument errors as one plain line, without its framework boilerplate: the trailing
 * "See more help with --help" (the caller's hint says it), "The following error(s) occurred:" before flag
 * relationship failures (exclusive, dependsOn, required flags), and the "Note: --x allows multiple values ..."
 * paragraph a missing argument gets whenever a command has a multiple-value flag, used or not.
 */
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g

/** `argv`: the command line, to keep the multiple-value note (shortened) when one of those flags was given. */
export function usageLine(message: string, argv: readonly string[] = process.argv.slice(2)): string {
  const lines = message
    .replace(ANSI, '')
    .replace(/\n\s*See more help with --help\s*$/, '')
    .replace(/^Error:\s*/, '')
    .split('\n')
  const first = lines[0]!.trim()
  // "The following error occurred:" / "The following errors occurred:" then one problem per line.
  if (/^The following errors? occurred:?$/.test(first)) {
    const problems = lines.slice(1).map((l) => l.trim()).filter(Boolean)
    return [...new Set(problems)].join('; ') || 'invalid flags'
  }
  // "Missing 2 required args:" then "name  description" lines, a blank line and the Note.
  const missing = /^Missing (\d+) required args?:?$/.exec(first)
  if (missing) {
    const names: string[] = []
    for (const l of lines.slice(1)) {
      if (l.trim() === '') break
      // One line per argument; a wrapped description continues indented.
      if (/^\S/.test(l)) names.push(l.split(/\s+/)[0]!)
    }
    const what = `missing ${names.length === 1 ? 'argument' : 'arguments'} ${names.map((n) => n.toUpperCase()).join(' ') || `(${missing[1]})`}`
    // The note matters only when such a flag was given (it took the argument as its value).
    const note = /Note: (.*?) allows? multiple values/.exec(lines.join(' '))
    const given = (note?.[1] ?? '').split(', ').filter((f) => argv.some((a) => a === f || a.startsWith(`${f}=`)))
    return given.length ? `${what} (${given.join(', ')} ${given.length === 1 ? 'takes' : 'take'} several values: put arguments before ${given.length === 1 ? 'it' : 'them'}, or after --)` : what
  }
  // kubectl's words for an unknown flag and a stray argument.
  return lines
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/^Nonexistent flags?: (.*)$/, (_m, list: string) => `unknown flag: ${list.split(', ').map((f) => f.split('=')[0]).join(', ')}`)
    .replace(/^Unexpected arguments?: /, 'unexpected argument: ')
}
