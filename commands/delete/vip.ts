import {VipCommand} from '../../src/cli/base.js'
import {outputFlag} from '../../src/cli/flags.js'
import {vipFlags} from '../../src/apply/vip/flags.js'
import {deleteVipResult, processVipIO} from '../../src/apply/vip/service.js'

export default class DeleteVip extends VipCommand {
  static override description = 'Remove the vipctl nftables tables and the VIP addresses they list; nothing else is touched'
  static override examples = ['<%= config.bin %> delete vip --netns node']
  static override flags = {netns: vipFlags.netns, ...outputFlag()}

  async run(): Promise<Record<string, unknown>> {
    const {flags} = await this.parse(DeleteVip)
    return this.present(await deleteVipResult({netns: flags.netns, mode: 'bind'}, processVipIO()), flags.output)
  }
}
