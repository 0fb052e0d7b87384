import {InspectCommand, type InspectViews} from '../../src/cli/inspect-command.js'

export default class InspectRoutes extends InspectCommand {
  static override description = 'HTTPRoutes (Gateway API) with their parents\' Accepted and ResolvedRefs, and what vipctl programs for each match (-o wide)'
  static override aliases = ['inspect:route']
  static override examples = [
    '<%= config.bin %> inspect routes -f examples/shop -f examples/gateway',
    '<%= config.bin %> inspect routes -n shop -o json',
    '<%= config.bin %> inspect routes storefront -f examples/shop -f examples/gateway -o wide',
  ]

  protected view = (views: InspectViews) => views.inspectRoutes
}
