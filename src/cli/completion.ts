/**
 * Shell completion, computed by vipctl itself: the shell scripts (src/cli/completion-scripts.ts) and kubectl
 * (through kubectl_complete-vip, bin/complete.js) call back `vipctl __complete <words...>` and print what comes
 * back. The protocol is cobra's, which kubectl reads from plugins: one candidate a line (`value` or
 * `value<TAB>description`), then `:<directive>` (a bit set: what the shell should do besides offering them).
 *
 * Candidates come from the CLI's own description (oclif.manifest.json: commands, topics, flags, flag options,
 * arguments) and, for a few values, from the kubeconfig and the cluster (namespaces, contexts, object names):
 * those lookups go through ports (CompletionLookups) so the computation itself is pure and testable.
 */
import {invokedAs} from './invocation.js'
export {KUBECTL_PLUGIN_NAME} from './invocation.js'
import {fileURLToPath} from 'node:url'
import {UNPRINTABLE} from '../core/printable.js'
import {readBounded} from '../core/read-bounded.js'
import {DataError} from '../errors.js'

/** cobra's ShellCompDirective bits, as kubectl and the scripts read them. */
export const Directive = {
  Default: 0,
  /** Something went wrong: offer nothing, not even file names. */
  Error: 1,
  /** Do not add a space after the candidate (a value still to be continued, e.g. `jsonpath=`). */
  NoSpace: 2,
  /** Offer no file names when there are no candidates. */
  NoFileComp: 4,
  FilterFileExt: 8,
  /** Offer directory names only. */
  FilterDirs: 16,
  KeepOrder: 32,
} as const

/** A flag as oclif.manifest.json (and oclif's loaded config) describes it. */
export interface FlagSpec {
  name: string
  char?: string
  type: 'boolean' | 'option'
  options?: readonly string[]
  /** What help shows for the value; `table|wide|jsonpath=TEMPLATE` lists the values of a flag that parses its own. */
  helpValue?: string | readonly string[]
  description?: string
  summary?: string
  hidden?: boolean
  multiple?: boolean
  allowNo?: boolean
}

/** A positional argument as the manifest describes it. */
export interface ArgSpec {
  name: string
  description?: string
  options?: readonly string[]
}

/** A command as the manifest describes it (ids use colons: `inspect:services`). */
export interface CommandSpec {
  id: string
  aliases?: readonly string[]
  hidden?: boolean
  summary?: string
  description?: string
  strict?: boolean
  flags?: Readonly<Record<string, FlagSpec>>
  args?: Readonly<Record<string, ArgSpec>>
}

/** Everything completion knows about the CLI. */
export interface CliSpec {
  commands: readonly CommandSpec[]
  /** Topic descriptions (package.json oclif.topics); topics themselves are derived from the command ids. */
  topics?: Readonly<Record<string, {description?: string}>>
}

/** Which kubeconfig and context the command line names (its --kubeconfig and --context), as kubectl would use. */
export interface KubeChoice {
  kubeconfig?: string
  context?: string
}

/** A namespaced resource whose object names an argument takes. */
export interface NamedResource {
  /** API group path: `/api/v1` or `/apis/<group>/<version>`. */
  api: string
  /** Plural resource name. */
  resource: string
}

/**
 * The lookups completion may make outside the command line. Each resolves to the names found, or [] on any
 * failure (no kubeconfig, unreachable cluster, forbidden, timeout): completion never reports errors.
 */
export interface CompletionLookups {
  contexts(choice: KubeChoice): Promise<string[]>
  namespaces(choice: KubeChoice): Promise<string[]>
  /** Object names of `what` in `namespace` (the context's namespace when undefined), or in all namespaces. */
  names(choice: KubeChoice, what: NamedResource, scope: {namespace?: string; allNamespaces: boolean}): Promise<string[]>
}

export interface Candidate {
  value: string
  description?: string
}

export interface CompletionResult {
  candidates: Candidate[]
  directive: number
}

/**
 * Object names for the name argument of these commands (keyed by command id; aliases resolve to the id). The
 * argument itself comes from the manifest: a command without one gets no name completion.
 */
export const NAMED_RESOURCES: Readonly<Record<string, NamedResource>> = {
  'inspect:services': {api: '/api/v1', resource: 'services'},
  'inspect:ingresses': {api: '/apis/networking.k8s.io/v1', resource: 'ingresses'},
  'inspect:endpoints': {api: '/apis/discovery.k8s.io/v1', resource: 'endpointslices'},
  'inspect:gateways': {api: '/apis/gateway.networking.k8s.io/v1', resource: 'gateways'},
  'inspect:routes': {api: '/apis/gateway.networking.k8s.io/v1', resource: 'httproutes'},
}

/** Flags whose value is a file (the shell's own file completion), or a directory. */
const FILE_FLAGS = new Set(['filename', 'kubeconfig', 'out', 'report', 'haproxy-bin'])
const isFileFlag = (name: string) => FILE_FLAGS.has(name) || name.endsWith('-file') || name.endsWith('-socket')
const isDirFlag = (name: string) => name.endsWith('-dir')
/** Positional arguments that name a file (migrate haproxy FILE, migrate netscaler FILE). */
const FILE_ARGS = new Set(['file'])

/** At most this many candidates from a lookup (a cluster with 50,000 Services still answers one TAB quickly). */
export const MAX_LOOKUP_CANDIDATES = 1000

/** The first line of a description, one printable line (tabs and control characters would break the protocol). */
function oneLineDescription(text: string | undefined): string | undefined {
  const first = text?.split('\n')[0]?.replace(/[\x00-\x1f\x7f]/g, ' ').trim()
  return first ? first : undefined
}

/** The commands by id and alias (hidden commands resolve but are never offered). */
function index(spec: CliSpec): Map<string, CommandSpec> {
  const byId = new Map<string, CommandSpec>()
  for (const c of spec.commands) byId.set(c.id, c)
  for (const c of spec.commands) for (const a of c.aliases ?? []) if (!byId.has(a)) byId.set(a, c)
  return byId
}

/** Whether some visible command lives under `topic` (`inspect` for `inspect:services`). */
function isTopic(spec: CliSpec, topic: string): boolean {
  return spec.commands.some((c) => c.id.startsWith(`${topic}:`))
}

/** The next words after `topic` (root when ''): subcommands and subtopics, each once, with a description. */
export function childrenOf(spec: CliSpec, topic: string): Candidate[] {
  const prefix = topic ? `${topic}:` : ''
  const seen = new Map<string, Candidate>()
  for (const c of spec.commands) {
    if (c.hidden || !c.id.startsWith(prefix)) continue
    const rest = c.id.slice(prefix.length)
    const word = rest.split(':')[0]!
    if (!word) continue
    const isLeaf = !rest.includes(':')
    const description = isLeaf ? oneLineDescription(c.summary ?? c.description) : oneLineDescription(spec.topics?.[prefix + word]?.description)
    const had = seen.get(word)
    if (!had || (!had.description && description)) seen.set(word, {value: word, ...(description ? {description} : {})})
  }
  for (const [name, t] of Object.entries(spec.topics ?? {})) {
    const word = name.startsWith(prefix) ? name.slice(prefix.length) : undefined
    if (word && !word.includes(':') && seen.has(word) && !seen.get(word)!.description && t.description)
      seen.set(word, {value: word, description: oneLineDescription(t.description)})
  }
  return [...seen.values()].sort((a, b) => a.value.localeCompare(b.value))
}

interface LineState {
  used: Set<string>
  positionals: number
  afterDashDash: boolean
  /** The option flag whose value the word being completed is. */
  pending?: FlagSpec
  values: Map<string, string>
}

/** Reads the words after the command: which flags are given (with values), how many positionals. */
function scan(cmd: CommandSpec, words: readonly string[]): LineState {
  const flags = Object.values(cmd.flags ?? {})
  const byName = new Map(flags.map((f) => [f.name, f]))
  const byChar = new Map(flags.filter((f) => f.char).map((f) => [f.char!, f]))
  const st: LineState = {used: new Set(), positionals: 0, afterDashDash: false, values: new Map()}
  for (const w of words) {
    if (st.pending) {
      st.values.set(st.pending.name, w)
      st.pending = undefined
      continue
    }
    if (st.afterDashDash) {
      st.positionals++
      continue
    }
    if (w === '--') {
      st.afterDashDash = true
      continue
    }
    if (w.startsWith('--')) {
      const eq = w.indexOf('=')
      const name = eq < 0 ? w.slice(2) : w.slice(2, eq)
      const f = byName.get(name) ?? (name.startsWith('no-') && byName.get(name.slice(3))?.allowNo ? byName.get(name.slice(3)) : undefined)
      if (!f) continue
      st.used.add(f.name)
      if (f.type === 'option') {
        if (eq < 0) st.pending = f
        else st.values.set(f.name, w.slice(eq + 1))
      } else st.values.set(f.name, name.startsWith('no-') ? 'false' : 'true')
      continue
    }
    if (w.startsWith('-') && w.length > 1) {
      // -n ns, -nns, -n=ns; a cluster of booleans (-Ay) marks each.
      for (let i = 1; i < w.length; i++) {
        const f = byChar.get(w[i]!)
        if (!f) break
        st.used.add(f.name)
        if (f.type === 'option') {
          const rest = w.slice(i + 1).replace(/^=/, '')
          if (rest) st.values.set(f.name, rest)
          else st.pending = f
          break
        }
        st.values.set(f.name, 'true')
      }
      continue
    }
    st.positionals++
  }
  return st
}

const startsWith = (prefix: string) => (c: Candidate) => c.value.startsWith(prefix)
const plain = (values: readonly string[]) => values.map((value) => ({value}))

/** Keeps what the lookup returned that can be a candidate: distinct, one printable word each, bounded in count. */
export function cleanNames(names: readonly unknown[], pattern: RegExp): string[] {
  const out = new Set<string>()
  for (const n of names) {
    if (out.size >= MAX_LOOKUP_CANDIDATES) break
    if (typeof n === 'string' && pattern.test(n)) out.add(n)
  }
  return [...out].sort()
}

/** Kubernetes object and namespace names (DNS-1123 subdomains). */
export const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/
/** kubeconfig context names: any printable ASCII without spaces (ARNs, `user@cluster`). */
export const CONTEXT_NAME = /^[\x21-\x7e]{1,253}$/

/**
 * The values a flag's help lists when the flag parses its value itself (no `options`): `table|wide|json` gives
 * those words, `jsonpath=TEMPLATE` gives `jsonpath=` (the rest is the user's). undefined unless it is such a list.
 */
export function valuesFromHelp(helpValue: string | readonly string[] | undefined): string[] | undefined {
  if (typeof helpValue !== 'string' || !helpValue.includes('|')) return undefined
  const parts = helpValue.split('|').map((p) => p.replace(/=.*$/, '='))
  return parts.every((p) => /^[a-z][a-z0-9-]*=?$/.test(p)) ? parts : undefined
}

/** Candidates for the value of flag `f`, the value typed so far being `typed`; `prefix` is put before each. */
async function flagValues(f: FlagSpec, typed: string, prefix: string, st: LineState, lookups: CompletionLookups): Promise<CompletionResult> {
  const choice: KubeChoice = {kubeconfig: st.values.get('kubeconfig'), context: st.values.get('context')}
  let values: Candidate[]
  const listed = valuesFromHelp(f.helpValue)
  if (f.options?.length) values = plain(f.options)
  else if (listed) values = plain(listed)
  else if (f.name === 'context') values = plain(cleanNames(await lookups.contexts(choice), CONTEXT_NAME))
  else if (f.name === 'namespace' || f.name.endsWith('-namespace'))
    values = st.values.has('filename') ? [] : plain(cleanNames(await lookups.namespaces(choice), OBJECT_NAME))
  else if (isDirFlag(f.name)) return {candidates: [], directive: Directive.FilterDirs}
  else if (isFileFlag(f.name)) return {candidates: [], directive: Directive.Default}
  else values = []
  const candidates = values.filter(startsWith(typed)).map((c) => ({...c, value: prefix + c.value}))
  // A value still to be continued (`jsonpath=`) takes no space after it.
  const noSpace = candidates.length > 0 && candidates.every((c) => c.value.endsWith('='))
  return {candidates, directive: Directive.NoFileComp | (noSpace ? Directive.NoSpace : 0)}
}

/** Flag names for `typed` (which starts with -): long names, and short ones while only `-` or `-x` is typed. */
function flagNames(cmd: CommandSpec, typed: string, st: LineState): CompletionResult {
  const out: Candidate[] = []
  for (const f of Object.values(cmd.flags ?? {}).sort((a, b) => a.name.localeCompare(b.name))) {
    if (f.hidden || (st.used.has(f.name) && !f.multiple)) continue
    const description = oneLineDescription(f.summary ?? f.description)
    const d = description ? {description} : {}
    out.push({value: `--${f.name}`, ...d})
    if (f.type === 'boolean' && f.allowNo) out.push({value: `--no-${f.name}`, description: `the opposite of --${f.name}`})
    if (f.char && !typed.startsWith('--')) out.push({value: `-${f.char}`, ...d})
  }
  return {candidates: out.filter(startsWith(typed)), directive: Directive.NoFileComp}
}

/**
 * The completion of `words` (what follows the program name; the last word is the one being completed, '' for a
 * new word), as cobra computes it: subcommands, flags, flag values, argument values.
 */
export async function complete(spec: CliSpec, words: readonly string[], lookups: CompletionLookups): Promise<CompletionResult> {
  const all = words.length ? words : ['']
  const typed = all[all.length - 1]!
  const before = all.slice(0, -1)
  const byId = index(spec)

  // The command: the longest run of leading words that names a command or a topic.
  let topic = ''
  let cmd: CommandSpec | undefined
  let i = 0
  for (; i < before.length; i++) {
    const w = before[i]!
    if (w.startsWith('-')) break
    // A command that takes arguments takes the next word as one (oclif reads it so too).
    if (cmd && Object.keys(cmd.args ?? {}).length > 0) break
    const id = topic ? `${topic}:${w}` : w
    const found = byId.get(id)
    if (found) {
      cmd = found
      topic = id
    } else if (isTopic(spec, id)) {
      topic = id
      cmd = undefined
    } else break
  }
  const rest = before.slice(i)
  if (!cmd) {
    // At the root or in a topic: only subcommands, and only if nothing unknown came before.
    if (rest.length > 0 || typed.startsWith('-')) return {candidates: [], directive: Directive.NoFileComp}
    return {candidates: childrenOf(spec, topic).filter(startsWith(typed)), directive: Directive.NoFileComp}
  }

  const st = scan(cmd, rest)
  const flags = Object.values(cmd.flags ?? {})
  if (st.pending) return flagValues(st.pending, typed, '', st, lookups)
  if (!st.afterDashDash && typed.startsWith('--') && typed.includes('=')) {
    const eq = typed.indexOf('=')
    const f = flags.find((x) => x.name === typed.slice(2, eq) && x.type === 'option')
    return f ? flagValues(f, typed.slice(eq + 1), typed.slice(0, eq + 1), st, lookups) : {candidates: [], directive: Directive.NoFileComp}
  }
  if (!st.afterDashDash && /^-[^-]./.test(typed)) {
    // -nkube: the value of a short option flag, written against it.
    const f = flags.find((x) => x.char === typed[1] && x.type === 'option')
    if (f) return flagValues(f, typed.slice(2).replace(/^=/, ''), typed.slice(0, 2), st, lookups)
    return {candidates: [], directive: Directive.NoFileComp}
  }
  if (!st.afterDashDash && typed.startsWith('-')) return flagNames(cmd, typed, st)

  // `help [COMMAND...]`: its words name a command as the command line does (help inspect services), so they
  // complete as commands and topics do at the root, not as files.
  // Words after `--` are the subject's too (the command reads them so); empty words name nothing.
  if (cmd.id === 'help') {
    const dashDash = rest.indexOf('--')
    const subject = rest.filter((w, j) => w !== '' && ((dashDash >= 0 && j > dashDash) || !w.startsWith('-')))
    const id = subject.join(':')
    const candidates = subject.length === 0 || isTopic(spec, id) ? childrenOf(spec, id).filter(startsWith(typed)) : []
    return {candidates, directive: Directive.NoFileComp}
  }

  // A positional word: a subcommand (a command that is also a topic, such as check), then the arguments.
  const candidates: Candidate[] = st.positionals === 0 && rest.length === 0 ? childrenOf(spec, cmd.id).filter(startsWith(typed)) : []
  const args = Object.values(cmd.args ?? {})
  // Without strict parsing the last argument takes any number of words (inspect services NAME...).
  const arg = args[st.positionals] ?? (cmd.strict === false ? args[args.length - 1] : undefined)
  if (!arg) return {candidates, directive: cmd.strict === false && candidates.length === 0 ? Directive.Default : Directive.NoFileComp}
  if (arg.options?.length) return {candidates: [...candidates, ...plain(arg.options).filter(startsWith(typed))], directive: Directive.NoFileComp}
  const named = NAMED_RESOURCES[cmd.id]
  if (named) {
    if (st.values.has('filename')) return {candidates, directive: Directive.NoFileComp}
    const allNamespaces = st.values.get('all-namespaces') === 'true'
    const names = await lookups.names({kubeconfig: st.values.get('kubeconfig'), context: st.values.get('context')}, named, {
      namespace: allNamespaces ? undefined : st.values.get('namespace'),
      allNamespaces,
    })
    // A name already on the line is not offered again.
    const given = new Set(rest.filter((w) => !w.startsWith('-')))
    const fresh = cleanNames(names, OBJECT_NAME).filter((n) => !given.has(n))
    return {candidates: [...candidates, ...plain(fresh).filter(startsWith(typed))], directive: Directive.NoFileComp}
  }
  if (FILE_ARGS.has(arg.name) && candidates.length === 0) return {candidates, directive: Directive.Default}
  return {candidates, directive: Directive.NoFileComp}
}

/** The protocol's text: one candidate a line (`value<TAB>description` when descriptions are wanted), then `:<directive>`. */
export function formatCompletion(result: CompletionResult, opts: {descriptions?: boolean} = {}): string {
  // A candidate is one word the shell inserts: one with a space of any kind or a character printable() escapes
  // (controls, format characters such as bidi overrides, line and paragraph separators) is left out, so no value
  // can forge a line of the protocol or reach the terminal; descriptions are one printable line.
  const lines = result.candidates
    .filter((c) => c.value !== '' && !/\p{Zs}/u.test(c.value) && !UNPRINTABLE.test(c.value))
    .map((c) => {
      const description = c.description?.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, ' ')
      return opts.descriptions !== false && description ? `${c.value}\t${description}` : c.value
    })
  return `${[...lines, `:${result.directive}`].join('\n')}\n`
}

/**
 * Commands with oclif's one template in their texts (`<%= config.bin %>`, as in "Display help for
 * <%= config.bin %>.") rendered with `bin`, as help renders it: the manifest keeps the texts unrendered.
 */
function withBin<T extends CommandSpec>(commands: readonly T[], bin: string): T[] {
  const render = (text: string | undefined) => text?.replaceAll('<%= config.bin %>', bin)
  return commands.map((c) => (c.summary?.includes('<%') || c.description?.includes('<%') ? {...c, summary: render(c.summary), description: render(c.description)} : c))
}

/**
 * The CLI's description from oclif.manifest.json and package.json (what the build ships next to bin/); texts name
 * the program as `bin` (help's words: `kubectl vip` when kubectl runs it, vipctl otherwise).
 */
export function specFromFiles(root: URL, bin: string = invokedAs()): CliSpec {
  // Read as any file is: regular files only (a named pipe would never end), bounded (a device never ends either).
  const read = (name: string) => JSON.parse(readBounded(fileURLToPath(new URL(name, root)), PACKAGE_FILE_MAX_BYTES, name).toString('utf8')) as unknown
  const manifest = read('oclif.manifest.json') as {commands?: unknown}
  const pjson = read('package.json') as {oclif?: {topics?: unknown}} | null
  const commands = manifest?.commands
  if (typeof commands !== 'object' || commands === null || Array.isArray(commands)) throw new DataError('oclif.manifest.json: no commands object')
  const list = Object.values(commands as Record<string, unknown>).filter((c): c is CommandSpec => typeof (c as CommandSpec)?.id === 'string')
  const topics = pjson?.oclif?.topics
  return {commands: withBin(list, bin), topics: typeof topics === 'object' && topics !== null ? (topics as CliSpec['topics']) : {}}
}

/** The most oclif.manifest.json or package.json may hold for completion to read it (vipctl's manifest: ~0.2 MB). */
export const PACKAGE_FILE_MAX_BYTES = 16 * 1024 * 1024

/** Loaded commands (oclif's Config.commands) with the aliases oclif adds as commands of their own left out. */
export function specFromConfig(config: {
  name: string
  commands: ReadonlyArray<CommandSpec & {pluginName?: string; hiddenAliases?: readonly string[]}>
  pjson: {oclif?: {topics?: Record<string, {description?: string}>}}
}): CliSpec {
  const own = config.commands.filter((c) => (c.pluginName === undefined || c.pluginName === config.name) && !c.aliases?.includes(c.id) && !c.hiddenAliases?.includes(c.id))
  return {commands: withBin(own, invokedAs()), topics: config.pjson.oclif?.topics ?? {}}
}

/**
 * The name the completion script registers: the name this program was run by (vipctl, kubectl-vip) when it is a
 * plain command name, else `fallback` (oclif's bin).
 */
export function scriptName(argv1: string | undefined, fallback: string): string {
  const base = (argv1 ?? '').split(/[\\/]/).pop() ?? ''
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(base) ? base : fallback
}

/**
 * Lookups against the kubeconfig and the cluster (src/cluster/kubeconfig.ts, src/core/kube-rest.ts, loaded only
 * when a lookup is made). Each lookup gives up after `timeoutMs` with no candidates; `abandoned()` then says so,
 * for the caller to exit rather than wait for a request (or a credential plugin) that is still running.
 */
export function kubeLookups(env: NodeJS.ProcessEnv, timeoutMs = 2000): CompletionLookups & {abandoned(): boolean} {
  let abandoned = false
  const bounded = async (work: () => Promise<string[]>): Promise<string[]> => {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<string[]>((resolve) => {
      timer = setTimeout(() => {
        abandoned = true
        resolve([])
      }, timeoutMs)
    })
    try {
      return await Promise.race([work().catch(() => []), deadline])
    } finally {
      clearTimeout(timer)
    }
  }
  const loadConfig = async (choice: KubeChoice) => {
    const {loadKubeConfig} = await import('../cluster/kubeconfig.js')
    return loadKubeConfig(choice, env)
  }
  const list = async (choice: KubeChoice, path: string): Promise<string[]> => {
    const [kc, {restClient}] = await Promise.all([loadConfig(choice), import('../core/kube-rest.js')])
    const client = await restClient(kc, timeoutMs)
    const res = await client.get(path, {limit: MAX_LOOKUP_CANDIDATES})
    const items = res.status === 200 ? (res.body as {items?: unknown})?.items : undefined
    return Array.isArray(items) ? items.map((o) => (o as {metadata?: {name?: unknown}} | null)?.metadata?.name as string) : []
  }
  return {
    abandoned: () => abandoned,
    contexts: (choice) =>
      bounded(async () => {
        try {
          return (await loadConfig({kubeconfig: choice.kubeconfig})).getContexts().map((c) => c.name)
        } catch {
          // The current context may be what is broken: list the names anyway, to switch away from it.
          return contextNamesLax(choice.kubeconfig, env)
        }
      }),
    namespaces: (choice) => bounded(() => list(choice, '/api/v1/namespaces')),
    names: (choice, what, scope) =>
      bounded(async () => {
        if (scope.allNamespaces) return list(choice, `${what.api}/${what.resource}`)
        let ns = scope.namespace
        if (ns === undefined) {
          const kc = await loadConfig(choice)
          ns = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default'
        }
        if (!OBJECT_NAME.test(ns)) return []
        return list(choice, `${what.api}/namespaces/${ns}/${what.resource}`)
      }),
  }
}

/** The context names in the kubeconfig files, without checking anything else in them (completion only). */
async function contextNamesLax(kubeconfig: string | undefined, env: NodeJS.ProcessEnv): Promise<string[]> {
  const [{KUBECONFIG_MAX_BYTES}, {parse}, path] = await Promise.all([import('../cluster/kubeconfig.js'), import('yaml'), import('node:path')])
  const files = kubeconfig ? [kubeconfig] : (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean)
  if (files.length === 0 && env.HOME) files.push(path.join(env.HOME, '.kube', 'config'))
  const names: string[] = []
  for (const file of files) {
    try {
      const doc = parse(readBounded(file, KUBECONFIG_MAX_BYTES, file).toString('utf8'), {maxAliasCount: 100}) as {contexts?: unknown}
      if (Array.isArray(doc?.contexts)) for (const c of doc.contexts) if (typeof c?.name === 'string') names.push(c.name)
    } catch {
      // unreadable or not YAML: no names from this file
    }
  }
  return names
}

/**
 * kubectl_complete-vip and `vipctl __complete`: prints the completion of `words` and exits. The exit is explicit
 * only when a lookup was abandoned at its deadline (its socket or credential plugin would keep the process up).
 */
export async function runCompletion(words: readonly string[], spec: CliSpec, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const lookups = kubeLookups(env)
  let text: string
  try {
    text = formatCompletion(await complete(spec, words, lookups))
  } catch {
    text = formatCompletion({candidates: [], directive: Directive.Error})
  }
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()))
  if (lookups.abandoned()) process.exit(0)
}
