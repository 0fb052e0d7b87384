import {InspectCommand, type InspectViews} from '../../src/cli/inspect-command.js'

export default class InspectEndpoints extends InspectCommand {
  static override description = 'EndpointSlices (derived from Pods when reading manifests that have none)'
  static override aliases = ['inspect:ep', 'inspect:endpointslices']
  static override examples = [
    '<%= config.bin %> inspect endpoints -f examples/shop',
    '<%= config.bin %> inspect endpoints -A -o wide',
    '<%= config.bin %> inspect endpoints -n shop -o json',
    '<%= config.bin %> inspect ep -f examples/shop --no-headers',
  ]

  protected view = (views: InspectViews) => views.inspectEndpoints
}
