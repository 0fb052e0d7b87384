/**
 * oclif's flag and argument errors as one plain line, without its framework boilerplate: the trailing
 * "See more help with --help" (the caller's hint says it), "The following error(s) occurred:" before flag
 * relationship failures (exclusive, dependsOn, required flags), and the "Note: --x allows multiple values ..."
 * paragraph a missing argument gets whenever a command has a multiple-value flag (ours take one value per use).
 */
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g

export function usageLine(message: string): string {
  const lines = message
    .replace(ANSI, '')
    .replace(/\n\s*See more help with --help\s*$/, '')
    .replace(/^Error:\s*/, '')
    .split('\n')
  const first = lines[0]!.trim()
  // "The following error occurred:" / "The following errors occurred:" then one problem per line.
  if (/^The following errors? occurred:?$/.test(first)) {
    const problems = lines.slice(1).map((l) => l.trim()).filter(Boolean)
    return [...new Set(problems.map(kubectlWords))].join('; ') || 'invalid flags'
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
    // oclif's note about multiple-value flags is left out: they take one value per use (multipleNonGreedy), as kubectl's.
    return what
  }
  return kubectlWords(
    lines
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' '),
  )
}

/** kubectl's words, not the framework's; a value typed after `=` in an unknown flag is left out (it may be a secret). */
function kubectlWords(line: string): string {
  return line
    .replace(/^Nonexistent flags?: (.*)$/, (_m, list: string) => `unknown flag: ${list.split(', ').map((f) => f.split('=')[0]).join(', ')}`)
    .replace(/^Unexpected arguments?: /, 'unexpected argument: ')
    .replace(/^Missing required flag (\S+)$/, (_m, f: string) => `missing required flag --${f.replace(/^-+/, '')}`)
    .replace(/^Expected (--[\w-]+)=(.*) to be one of: (.*)$/, '$1 $2: expected one of $3')
    .replace(/^Expected (.*) to be one of: (.*)$/, '$1: expected one of $2')
    .replace(/^Parsing (--[\w-]+) Expected an integer but received: (.*)$/, '$1 $2: expected an integer')
    .replace(/^Flag (--[\w-]+) expects a value$/, '$1 expects a value')
    .replace(/^Flag (--[\w-]+) can only be specified once$/, '$1 can only be given once')
}
