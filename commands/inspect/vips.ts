import {InspectCommand, type InspectViews} from '../../src/cli/inspect-command.js'

export default class InspectVips extends InspectCommand {
  static override description = 'Each VIP:port with what it serves'
  static override aliases = ['inspect:vip']
  static override examples = [
    '<%= config.bin %> inspect vips -f examples/shop',
    '<%= config.bin %> inspect vips -A -o wide',
    '<%= config.bin %> inspect vips -n shop -o json',
    '<%= config.bin %> inspect vips 192.0.2.10 -f examples/shop',
    '<%= config.bin %> inspect vips -f examples/shop -l tier=web',
  ]

  protected view = (views: InspectViews) => views.inspectVips
}
