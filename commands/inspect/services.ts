import {InspectCommand, type InspectViews} from '../../src/cli/inspect-command.js'

export default class InspectServices extends InspectCommand {
  static override description = 'Services with their VIPs, ports, ready endpoints and the Ingresses routing to them'
  static override aliases = ['inspect:svc', 'inspect:service']
  static override examples = [
    '<%= config.bin %> inspect services -f examples/shop',
    '<%= config.bin %> inspect services -A -o wide',
    '<%= config.bin %> inspect services -n shop -o json',
    '<%= config.bin %> inspect svc frontend cart -f examples/shop',
    '<%= config.bin %> inspect services -f examples/shop --sort-by .endpoints.ready -o custom-columns=NAME:.name,VIP:.vips[*],READY:.endpoints.ready',
    '<%= config.bin %> inspect services -f examples/shop -o jsonpath=\'{range .items[*]}{.name}{"\\t"}{.vips}{"\\n"}{end}\'',
  ]

  protected view = (views: InspectViews) => views.inspectServices
}
