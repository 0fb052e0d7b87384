import {InspectCommand} from '../../src/cli/inspect-command.js'
import {inspectIngresses} from '../../src/inspect/inspect.js'

export default class InspectIngresses extends InspectCommand {
  static override description = 'Ingresses with class, hosts, paths -> Service:port, TLS and VIP'
  static override examples = [
    '<%= config.bin %> inspect ingresses -f examples/shop',
    '<%= config.bin %> inspect ingresses -A -o wide',
    '<%= config.bin %> inspect ingresses -n shop -o json',
  ]

  protected view = inspectIngresses
}
