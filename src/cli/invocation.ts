/**
 * The name the user typed: `vipctl`, or `kubectl vip` when kubectl runs vipctl as its plugin (kubectl execs
 * the `kubectl-vip` executable on PATH, which is bin/run.js under that name). Help (USAGE lines, examples,
 * topic lists) and error hints name commands this way, so what they say can be typed as it is.
 */
import path from 'node:path'

export const KUBECTL_PLUGIN_NAME = 'kubectl vip'

/** `kubectl vip` when the running script's name (argv[1]) is `kubectl-vip` (with or without .js); else `vipctl`. */
export function invokedAs(argv1: string | undefined = process.argv[1]): string {
  const base = argv1 === undefined ? '' : path.basename(argv1).replace(/\.(?:c|m)?js$/, '')
  return base === 'kubectl-vip' ? KUBECTL_PLUGIN_NAME : 'vipctl'
}

/** The words after `vipctl` that make it a command line (top-level commands and topics, help flags). */
const COMMAND_WORDS = ['inspect', 'generate', 'diff', 'apply', 'migrate', 'delete', 'check', 'stats', 'sync', 'install', 'version', 'completion', 'help', '--help', '-h']
const COMMAND_LINE = new RegExp(`\\bvipctl(?= (?:${COMMAND_WORDS.join('|')})(?![\\w-]))`, 'g')

/**
 * Text that names vipctl command lines ("see vipctl --help", "run vipctl check") as `name` would type them.
 * Only `vipctl` followed by a command word changes: the product name elsewhere ("vipctl serves ...",
 * vipctl.io/ annotations) stays.
 */
export function asInvoked(text: string, name: string = invokedAs()): string {
  return name === 'vipctl' ? text : text.replace(COMMAND_LINE, name)
}

export const TOP_LEVEL_WORDS: readonly string[] = COMMAND_WORDS

/** The one line for a command that does not exist (the command_not_found hook, help for an unknown command). */
export function unknownCommandLine(id: string, name: string = invokedAs(), hint = ''): string {
  const clean = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)
  return `error: unknown command "${clean(id.replaceAll(':', ' '))}" (${hint ? clean(hint) : `see ${name} --help`})`
}
