/**
 * Flags shared by commands, defined once so each has one meaning everywhere
 * (kubectl's names and short forms where kubectl has them).
 */
import {Flags} from '@oclif/core'
import {EXTRA_FORMATS, FORMATS, type OutputFormat} from '../output/render.js'
import {TEMPLATE_FORMATS, parseOutput} from '../output/format.js'
import {parseSortBy} from '../output/sort.js'

/** Where objects come from: manifests (-f) or a cluster (kubeconfig). */
export const sourceFlags = {
  filename: Flags.string({
    char: 'f',
    multiple: true,
    description: 'read manifests instead of a cluster: a file, a directory (recursive .yaml/.yml/.json) or - for stdin; repeatable',
    helpGroup: 'SOURCE',
  }),
  strict: Flags.boolean({description: 'with -f: any invalid object is fatal (exit 65) instead of reported and skipped', helpGroup: 'SOURCE'}),
  kubeconfig: Flags.string({description: 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)', helpGroup: 'SOURCE'}),
  context: Flags.string({description: 'kubeconfig context to use', helpGroup: 'SOURCE'}),
  namespace: Flags.string({char: 'n', description: 'namespace (default: the context namespace live, all namespaces with -f)', helpGroup: 'SOURCE'}),
  'all-namespaces': Flags.boolean({char: 'A', description: 'all namespaces', helpGroup: 'SOURCE', exclusive: ['namespace']}),
  'request-timeout': Flags.integer({description: 'seconds to wait for each API request (1-86400)', default: 30, min: 1, max: 86_400, helpGroup: 'SOURCE'}),
}

/** How objects become a load-balancer model. */
export const modelFlags = {
  'ingress-class': Flags.string({description: 'serve Ingresses of this class (default: IngressClasses whose controller is vipctl.io/ingress-controller)', helpGroup: 'MODEL'}),
  vip: Flags.string({description: 'VIP for objects that name none (annotation vipctl.io/vip, load-balancer status)', helpGroup: 'MODEL'}),
  'vip-pool': Flags.string({description: 'IPv4 CIDR to allocate VIPs from, deterministically, for objects that name none', helpGroup: 'MODEL'}),
}

export const selectorFlag = {
  selector: Flags.string({char: 'l', description: 'label selector (k=v, k!=v, k, !k; comma-separated)'}),
}

/**
 * -o: a named format, or kubectl's jsonpath=TEMPLATE, jsonpath-file=FILE and
 * custom-columns=SPEC. Not an oclif option flag (its fixed list cannot take a
 * template): parseOutput checks the value and lists the valid ones.
 */
export function outputFlag(defaultFormat: (typeof FORMATS)[number] = 'table', extra: ReadonlyArray<(typeof EXTRA_FORMATS)[number]> = []) {
  const names = [...FORMATS, ...extra]
  return {
    output: Flags.custom<OutputFormat>({
      char: 'o',
      parse: async (input) => parseOutput(input, names),
      default: defaultFormat,
      helpValue: [...names, ...TEMPLATE_FORMATS].join('|'),
      description: 'output format; table fits the terminal ($COLUMNS, else 80 off a terminal), wide shows every column whole',
    })(),
  }
}

/** kubectl's list flags: --no-headers and --sort-by, for commands that print lists. */
export const listFlags = {
  'no-headers': Flags.boolean({description: 'tables (table, wide, custom-columns) without their header line'}),
  'sort-by': Flags.custom<string>({
    helpValue: 'PATH',
    parse: async (input) => parseSortBy(input),
    description: 'sort list items by the value at this JSONPath in each item of -o json (e.g. .name, {.ports[0].port})',
  })(),
}
