/**
 * Help before oclif loads (bin/run.js): `vipctl --help`, `vipctl <topic>`, `vipctl <topic> -h`,
 * `vipctl <command> --help`, `vipctl help <command>` print from oclif.manifest.json with oclif's own help code (the Help class and its
 * formatters, bundled without the rest of oclif: scripts/bundle.mjs) over a small stand-in for oclif's Config
 * built here the way Config.load builds its commands and topics. Loading all of oclif and Config.load cost
 * ~70 ms of a ~200 ms --help; this costs a fraction. Anything this stand-in does not cover (no manifest, a
 * help theme, oclif debug output, hooks that run around help, WSL) goes to oclif as before.
 * test/cli/help-fast.test.ts compares its output with oclif's for every command and topic.
 */
import {existsSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {Command, Interfaces} from '@oclif/core'
import VipHelp from './help.js'
import {helpFlagGiven} from './help-flags.js'

/** The manifests of pjson.oclif.plugins, inlined by scripts/bundle.mjs (undefined when not bundled). */
declare const __VIPCTL_PLUGIN_MANIFESTS__: Array<{name: string; version: string; manifest: {commands: Record<string, Command.Cached>}}> | undefined

interface Pjson {
  name: string
  version: string
  oclif: {
    bin?: string
    dirname?: string
    topicSeparator?: string
    additionalHelpFlags?: string[]
    plugins?: string[]
    topics?: Record<string, {description?: string; hidden?: boolean; subtopics?: unknown}>
    hooks?: Record<string, unknown>
    helpOptions?: Partial<Interfaces.HelpOptions>
    theme?: unknown
    flexibleTaxonomy?: boolean
    state?: string
    [k: string]: unknown
  }
  helpOptions?: Partial<Interfaces.HelpOptions>
}

/** oclif's Config.scopedEnvVarKeys for bin `vipctl`: VIPCTL_<K>. */
function scopedEnv(bin: string, k: string): string | undefined {
  return process.env[[bin, k].map((p) => p.replaceAll('@', '').replaceAll(/[-/]/g, '_')).join('_').toUpperCase()]
}

/** Where oclif would find a user's help theme (Config.loadTheme: <configDir>/theme.json). */
function userThemeFile(pjson: Pjson): string {
  const dirname = pjson.oclif.dirname ?? pjson.name
  const bin = pjson.oclif.bin ?? pjson.name
  const configDir = scopedEnv(bin, 'CONFIG_DIR') ?? path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), dirname)
  return path.resolve(configDir, 'theme.json')
}

/** Whether anything makes oclif's help differ from what the stand-in gives; then oclif answers. */
function oclifOnly(pjson: Pjson): boolean {
  const bin = pjson.oclif.bin ?? pjson.name
  const hooks = Object.keys(pjson.oclif.hooks ?? {})
  return (
    typeof __VIPCTL_PLUGIN_MANIFESTS__ === 'undefined' ||
    process.env.DEBUG !== undefined ||
    scopedEnv(bin, 'DEBUG') !== undefined ||
    process.env.OCLIF_NEXT_VERSION !== undefined ||
    (process.platform !== 'linux' && process.platform !== 'darwin') ||
    process.env.WSL_DISTRO_NAME !== undefined ||
    os.release().toLowerCase().includes('microsoft') ||
    pjson.oclif.theme !== undefined ||
    pjson.oclif.flexibleTaxonomy === true ||
    pjson.oclif.state !== undefined ||
    hooks.some((h) => h !== 'command_not_found') ||
    (scopedEnv(bin, 'DISABLE_THEME') === undefined && existsSync(userThemeFile(pjson)))
  )
}

type Topic = {name: string; description?: string; hidden?: boolean}
type Loadable = Command.Loadable

/** oclif's Plugin topicsToArray for an object of topics. */
function topicsToArray(input: Pjson['oclif']['topics'], base = ''): Topic[] {
  if (!input) return []
  const prefix = base ? `${base}:` : ''
  return Object.keys(input).flatMap((k) => [{...input[k], name: `${prefix}${k}`} as Topic, ...topicsToArray(input[k]!.subtopics as Pjson['oclif']['topics'], `${prefix}${k}`)])
}

/** The part of oclif's Config that Help reads, built as Config.load builds it (loadCommands, loadTopics). */
export function standInConfig(pjson: Pjson, root: string, plugins: Array<{name: string; topics: Topic[]; commands: Record<string, Command.Cached>}>): Interfaces.Config {
  const commands = new Map<string, Loadable>()
  const topics = new Map<string, Topic>()
  const permutations = new Map<string, Set<string>>()
  const toStandard = (id: string) => (pjson.oclif.topicSeparator && pjson.oclif.topicSeparator !== ':' ? id.replaceAll(pjson.oclif.topicSeparator, ':') : id)
  for (const plugin of plugins) {
    const list = Object.entries(plugin.commands)
      .map(([id, c]) => ({...c, id: c.id ?? id, pluginAlias: plugin.name, pluginType: c.pluginType === 'jit' ? 'jit' : 'core'}) as unknown as Loadable)
      // Plugin sorts with localeCompare, whose first call costs ~12 ms (the ICU collator); the order only decides
      // which command names an implied topic, and code-unit order gives the same for vipctl's ids (the
      // comparison test checks every topic list).
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    for (const command of list) {
      if (commands.has(command.id)) throw new Error(`stand-in config: command ${command.id} twice`)
      commands.set(command.id, command)
      for (const p of command.permutations ?? [command.id]) permutations.set(p, (permutations.get(p) ?? new Set()).add(command.id))
      const alias = (a: string, hidden = false) => {
        const id = toStandard(a)
        if (commands.has(id)) throw new Error(`stand-in config: alias ${id} twice`)
        commands.set(id, {...command, hidden, id})
        for (const p of command.aliasPermutations ?? [id]) permutations.set(p, (permutations.get(p) ?? new Set()).add(command.id))
      }
      for (const a of command.aliases ?? []) alias(a)
      for (const a of command.hiddenAliases ?? []) alias(a, true)
    }
    for (const topic of plugin.topics) {
      const existing = topics.get(topic.name)
      if (existing) {
        existing.description = topic.description || existing.description
        existing.hidden = existing.hidden || topic.hidden
      } else topics.set(topic.name, topic)
    }
    for (const c of list.filter((c) => !c.hidden)) {
      const parts = c.id.split(':')
      while (parts.length > 0) {
        const name = parts.join(':')
        if (name && !topics.has(name)) topics.set(name, {description: c.summary || c.description, name})
        parts.pop()
      }
    }
  }
  // Config.getCmdLookupId: an id, else the one command a permutation stands for.
  const lookup = (id: string) => {
    if (commands.has(id)) return id
    const p = permutations.get(id)
    return p && p.size === 1 ? [...p][0]! : id
  }
  const arch = os.arch() === 'ia32' ? 'x86' : os.arch()
  const platform = process.platform
  const config = {
    bin: pjson.oclif.bin ?? pjson.name,
    name: pjson.name,
    version: pjson.version,
    root,
    pjson,
    platform,
    arch,
    windows: false,
    shell: (process.env.SHELL ?? os.userInfo().shell ?? 'unknown').split('/').at(-1) ?? 'unknown',
    userAgent: `${pjson.name}/${pjson.version} ${platform}-${arch} node-${process.version}`,
    topicSeparator: pjson.oclif.topicSeparator ?? ':',
    flexibleTaxonomy: false,
    isSingleCommandCLI: false,
    theme: undefined,
    plugins: new Map([[pjson.name, {name: pjson.name, pjson}]]),
    get commands() {
      return [...commands.values()]
    },
    get commandIDs() {
      return [...commands.values()].map((c) => c.id)
    },
    get topics() {
      return [...topics.values()]
    },
    findCommand: (id: string) => commands.get(lookup(id)),
    findTopic: (name: string) => topics.get(name),
    findMatches: () => [],
    runHook: async () => ({successes: [], failures: []}),
    scopedEnvVar: (k: string) => scopedEnv(pjson.oclif.bin ?? pjson.name, k),
  }
  return config as unknown as Interfaces.Config
}

/**
 * Prints help for argv if oclif would answer it with help and the stand-in covers it; returns whether it did
 * (false: run oclif). `root` is the package's directory.
 */
export async function fastHelp(argv: string[], root: string): Promise<boolean> {
  let pjson: Pjson
  let manifest: {version: string; commands: Record<string, Command.Cached>}
  try {
    pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Pjson
    if (oclifOnly(pjson)) return false
    if (!helpFlagGiven(argv, pjson.oclif.additionalHelpFlags) && argv.length !== 1 && argv[0] !== 'help') return false
    manifest = JSON.parse(readFileSync(path.join(root, 'oclif.manifest.json'), 'utf8'))
  } catch {
    return false
  }
  // oclif warns about a manifest from another version; let it.
  if (manifest.version.split('-')[0] !== pjson.version.split('-')[0]) return false
  const pluginNames = pjson.oclif.plugins ?? []
  const inlined = __VIPCTL_PLUGIN_MANIFESTS__ ?? []
  if (pluginNames.length !== inlined.length || pluginNames.some((n, i) => inlined[i]!.name !== n)) return false
  const config = standInConfig(pjson, root, [
    {name: pjson.name, topics: topicsToArray(pjson.oclif.topics), commands: manifest.commands},
    ...inlined.map((p) => ({name: p.name, topics: [], commands: p.manifest.commands})),
  ])
  if (!helpFlagGiven(argv, pjson.oclif.additionalHelpFlags)) {
    const id = argv[0]!
    if (id === 'help' && config.findCommand(id)?.pluginName === pjson.name && argv.every((a) => !a.startsWith('-'))) {
      // `vipctl help [SUBJECT...]`: our help command (commands/help.ts) shows the help for its arguments.
      argv = argv.slice(1)
    } else {
      // `vipctl <topic>` alone: oclif shows the topic's help (main.run), unless it is also a command.
      if (argv.length !== 1 || id.startsWith('-') || config.findCommand(id) || !config.findTopic(id)) return false
      argv = [id]
    }
  }
  const help = new VipHelp(config, pjson.oclif.helpOptions ?? pjson.helpOptions)
  await help.showHelp(argv)
  return true
}
