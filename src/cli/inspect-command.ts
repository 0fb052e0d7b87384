/** The shared shape of `vipctl inspect <what>`: one flag set, one pipeline, one renderer. */
import {VipCommand} from './base.js'
import {modelFlags, outputFlag, selectorFlag, sourceFlags} from './flags.js'
import {ioFromProcess, modelOptions, selectorOption, sourceOptions} from './options.js'
import {loadSnapshot} from '../cluster/source.js'
import type {Snapshot} from '../cluster/types.js'
import type {InspectOptions, InspectOutput} from '../inspect/inspect.js'

export abstract class InspectCommand extends VipCommand {
  static override flags = {...sourceFlags, ...modelFlags, ...selectorFlag, ...outputFlag()}

  /** The view this command shows. */
  protected abstract view: (snap: Snapshot, opts: InspectOptions) => InspectOutput<any>

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(this.constructor as typeof InspectCommand)
    const source = sourceOptions(flags)
    const model = modelOptions(flags)
    const selector = selectorOption(flags.selector)
    const {snapshot, namespace} = await loadSnapshot(source, ioFromProcess())
    const {result, diagnostics} = this.view(snapshot, {namespace, selector, model})
    return this.present(result, flags.output, diagnostics)
  }
}
