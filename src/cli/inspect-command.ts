/**
 * The shared shape of `vipctl inspect <what>`: one flag set, one pipeline, one renderer.
 *
 * A command's module holds its flags and names its view; the views (src/inspect/inspect.ts, and the model with
 * them) are imported only when the command runs, while a live source's first requests are on their way (or
 * after -f's files are read), so a live inspect sends its first request without loading them.
 */
import {Args} from '@oclif/core'
import {VipCommand} from './base.js'
import {unknownFlagHint} from '../core/suggest.js'
import {listFlags, modelFlags, outputFlag, selectorFlag, sourceFlags} from './flags.js'
import {ioFromProcess, modelOptions, selectorOption, sourceOptions} from './options.js'
import {loadSnapshot} from '../cluster/source.js'
import type {Snapshot} from '../cluster/types.js'
import {UsageError} from '../errors.js'
import {printableShort} from '../core/printable.js'
import type {InspectOptions, InspectOutput} from '../inspect/inspect.js'
import {sortItems} from '../output/sort.js'
import {lazy} from './lazy.js'

/** The views module (src/inspect/inspect.ts). */
export type InspectViews = typeof import('../inspect/inspect.js')

export abstract class InspectCommand extends VipCommand {
  static override flags = {...sourceFlags, ...modelFlags, ...selectorFlag, ...outputFlag(), ...listFlags}
  // ignoreStdin: without it oclif reads piped stdin as a name when none is given (and -f - finds it empty).
  static override args = {name: Args.string({description: 'names to show, one or more (default: all)', ignoreStdin: true})}
  // Several names, like kubectl get: the extra ones arrive in argv.
  static override strict = false

  /** The view this command shows, picked from the views module (imported when the command runs). */
  protected abstract view: (views: InspectViews) => (snap: Snapshot, opts: InspectOptions) => InspectOutput<any>

  async run(): Promise<Record<string, unknown>> {
    const ctor = this.constructor as typeof InspectCommand
    // Statics are passed by name: oclif copies only a class's own ones, and these are inherited.
    const {flags, argv} = await this.parse({flags: ctor.flags, baseFlags: ctor.baseFlags, enableJsonFlag: ctor.enableJsonFlag, args: ctor.args, strict: false})
    const names = argv as string[]
    // Without strict parsing oclif hands unknown flags over as names: refuse them as it would.
    const flag = names.find((n) => n.startsWith('-'))
    // The name only: a value typed after `=` may be a secret (--tokne=...).
    if (flag !== undefined) throw new UsageError(`unknown flag: ${printableShort(flag.split('=')[0]!, 40)}`, unknownFlagHint(flag, ctor.flags) ?? 'see --help')
    if (names.length && flags.selector !== undefined) throw new UsageError('names cannot be given with a selector (-l)', 'give either names or -l')
    const source = sourceOptions(flags)
    const model = modelOptions(flags)
    const selector = selectorOption(flags.selector)
    const loadViews = lazy(() => import('../inspect/inspect.js'))
    const {snapshot, namespace} = await loadSnapshot(source, {...ioFromProcess(), meanwhile: loadViews})
    const v = await loadViews()
    const out = this.view(v)(snapshot, {namespace, selector, model})
    const {result, missing} = v.pickNames(out, names)
    if (missing && result.items.length === 0) throw missing
    const sorted = flags['sort-by'] === undefined ? result : sortItems(result, flags['sort-by'])
    const doc = this.present(sorted, flags.output, out.diagnostics, {noHeaders: flags['no-headers']})
    // kubectl's way: the objects found are printed, then the names not found fail the command (with --json as with -o json).
    if (missing) {
      if (this.jsonEnabled()) {
        this.logJson(doc)
        this.documentPrinted = true
      }
      throw missing
    }
    return doc
  }
}
