import {InspectCommand, type InspectViews} from '../../src/cli/inspect-command.js'

export default class InspectGateways extends InspectCommand {
  static override description = 'Gateways (Gateway API) with class, address, Programmed, and each listener with its attached routes and conditions'
  static override aliases = ['inspect:gtw', 'inspect:gateway']
  static override examples = [
    '<%= config.bin %> inspect gateways -f examples/shop -f examples/gateway',
    '<%= config.bin %> inspect gateways -A -o wide',
    '<%= config.bin %> inspect gtw edge -f examples/shop -f examples/gateway -o jsonpath={.items[0].addresses}',
  ]

  protected view = (views: InspectViews) => views.inspectGateways
}
