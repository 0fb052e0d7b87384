import {InspectCommand} from '../../src/cli/inspect-command.js'
import {inspectServices} from '../../src/inspect/inspect.js'

export default class InspectServices extends InspectCommand {
  static override description = 'Services with their VIPs, ports, ready endpoints and the Ingresses routing to them'
  static override examples = [
    '<%= config.bin %> inspect services -f examples/shop',
    '<%= config.bin %> inspect services -A -o wide',
    '<%= config.bin %> inspect services -n shop -o json',
  ]

  protected view = inspectServices
}
