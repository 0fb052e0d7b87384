import {InspectCommand, type InspectViews} from '../../src/cli/inspect-command.js'

export default class InspectIngresses extends InspectCommand {
  static override description = 'Ingresses with class, hosts, TLS and VIP (paths -> Service:port with -o wide)'
  static override aliases = ['inspect:ing', 'inspect:ingress']
  static override examples = [
    '<%= config.bin %> inspect ingresses -f examples/shop',
    '<%= config.bin %> inspect ingresses -A -o wide',
    '<%= config.bin %> inspect ingresses -n shop -o json',
    '<%= config.bin %> inspect ing storefront -f examples/shop -o wide',
  ]

  protected view = (views: InspectViews) => views.inspectIngresses
}
