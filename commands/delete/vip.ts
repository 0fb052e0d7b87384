import {Flags} from '@oclif/core'
import {VipCommand} from '../../src/cli/base.js'
import {dryRunFlag, documentOutputFlag} from '../../src/cli/flags.js'
import {confirmChange, interactive, processPromptIO} from '../../src/cli/prompt.js'
import {terminalText} from '../../src/core/printable.js'
import {UsageError} from '../../src/errors.js'
import {vipFlags} from '../../src/apply/vip/flags.js'
import {deleteVipPreview, deleteVipResult, processVipIO} from '../../src/apply/vip/service.js'

export default class DeleteVip extends VipCommand {
  static override description = 'Remove the vipctl nftables tables and the VIP addresses they list; nothing else is touched (asks on a terminal; --yes without one)'
  static override examples = ['<%= config.bin %> delete vip --netns node --dry-run', '<%= config.bin %> delete vip --netns node --yes']
  static override flags = {
    netns: vipFlags.netns,
    ...dryRunFlag('not supported (nft has no check for a delete): a usage error'),
    yes: Flags.boolean({char: 'y', description: 'remove without asking (required without a terminal)'}),
    ...documentOutputFlag(),
  }

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(DeleteVip)
    if (flags['dry-run'] === 'server') throw new UsageError('--dry-run=server: delete vip has nothing to check on a server; use --dry-run=client (what would be removed)')
    const target = {netns: flags.netns, mode: 'bind' as const}
    if (flags['dry-run'] === 'client') return this.present(await deleteVipPreview(target, processVipIO(), 'dry-run'), flags.output)
    const prompt = processPromptIO()
    // Without a terminal (or under CI) and without --yes: refused before anything is read (exit 64).
    if (!flags.yes && !interactive(prompt)) throw new UsageError('refusing to delete without confirmation: no terminal (or CI is set)', 'pass --yes, or --dry-run to see what would be removed')
    if (!flags.yes) {
      const preview = await deleteVipPreview(target, processVipIO(), 'declined')
      if (preview.data.tables === 0 && preview.data.addresses.length === 0) return this.present(await deleteVipPreview(target, processVipIO(), 'nothing'), flags.output)
      process.stderr.write(terminalText(preview.text(preview.data, this.chalk), {colour: false}))
      if (!(await confirmChange('Remove these VIP rules and addresses?', false, prompt))) return this.present(preview, flags.output)
    }
    return this.present(await deleteVipResult(target, processVipIO()), flags.output)
  }
}
