/**
 * Flags shared by commands, defined once so each has one meaning everywhere
 * (kubectl's names and short forms where kubectl has them).
 */
import {Flags} from '@oclif/core'
import {EXTRA_FORMATS, FORMATS, type OutputFormat} from '../output/render.js'
import {TEMPLATE_FORMATS, parseOutput} from '../output/format.js'
import {parseSortBy} from '../output/sort.js'

/**
 * How to reach the API server: kubectl's client flags, with kubectl's meanings, on every command that talks to a
 * cluster (clientOptions turns them into ClientOptions).
 */
export const clientFlags = {
  kubeconfig: Flags.string({description: 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)', helpGroup: 'CLUSTER'}),
  context: Flags.string({description: 'kubeconfig context to use', helpGroup: 'CLUSTER'}),
  server: Flags.string({description: 'API server URL, instead of the context\'s cluster\'s (https://HOST[:PORT])', helpGroup: 'CLUSTER'}),
  token: Flags.string({description: 'bearer token for the API server, instead of the context\'s user\'s credentials', helpGroup: 'CLUSTER'}),
  as: Flags.string({description: 'user to impersonate (sent as Impersonate-User)', helpGroup: 'CLUSTER'}),
  'as-group': Flags.string({multiple: true, multipleNonGreedy: true, description: 'group to impersonate, repeatable (sent as Impersonate-Group; needs --as)', helpGroup: 'CLUSTER'}),
  'insecure-skip-tls-verify': Flags.boolean({description: 'do not check the API server\'s certificate (insecure: a warning is printed)', helpGroup: 'CLUSTER'}),
  'request-timeout': Flags.string({description: 'how long to wait for each API request: 500ms, 5s, 1m, 1m30s; a bare number is seconds; 0 waits forever', default: '30s', helpGroup: 'CLUSTER'}),
  v: Flags.integer({char: 'v', description: 'log level (kubectl\'s): 6 logs each API request (method, URL, status, time), 7 its headers, 8 bodies up to 1 KiB, 9 whole bodies; credentials and Secrets are never shown', min: 0, max: 10, helpGroup: 'CLUSTER'}),
}

/** Where objects come from: manifests (-f) or a cluster (kubeconfig). */
export const sourceFlags = {
  filename: Flags.string({
    char: 'f',
    multiple: true, multipleNonGreedy: true,
    description: 'read manifests instead of a cluster: a file, a directory (recursive .yaml/.yml/.json) or - for stdin; repeatable',
    helpGroup: 'SOURCE',
  }),
  strict: Flags.boolean({description: 'with -f: any invalid object is fatal (exit 65) instead of reported and skipped', helpGroup: 'SOURCE'}),
  namespace: Flags.string({char: 'n', description: 'namespace to read (default: the context\'s namespace; with -f: every namespace in the files)', helpGroup: 'SOURCE'}),
  'all-namespaces': Flags.boolean({char: 'A', description: 'all namespaces', helpGroup: 'SOURCE', exclusive: ['namespace']}),
  ...clientFlags,
}

/**
 * kubectl's --dry-run: none (change things), client (plan only, nothing sent), server (`serverMeans`: what the
 * command can check without committing). A bare --dry-run is client (VipCommand's parse rewrites it).
 */
export function dryRunFlag(serverMeans: string) {
  return {
    'dry-run': Flags.option({
      options: ['none', 'client', 'server'] as const,
      default: 'none' as const,
      description: `none: make the change; client (also a bare --dry-run): show the plan and send nothing; server: ${serverMeans}`,
    })(),
  }
}

/** How objects become a load-balancer model. */
export const modelFlags = {
  'ingress-class': Flags.string({description: 'serve Ingresses of this class (default: IngressClasses whose controller is vipctl.io/ingress-controller)', helpGroup: 'MODEL'}),
  vip: Flags.string({description: 'VIP for objects that name none (annotation vipctl.io/vip, load-balancer status)', helpGroup: 'MODEL'}),
  'vip-pool': Flags.string({description: 'IPv4 CIDR to allocate VIPs from, deterministically, for objects that name none', helpGroup: 'MODEL'}),
  'vip-allow': Flags.string({description: 'CIDRs (comma-separated) the VIPs objects name must lie in (annotation, spec, status, Gateway addresses); others are VIP2003, not served. --vip and --vip-pool are always allowed. Default: any', helpGroup: 'MODEL'}),
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

/**
 * -o for commands whose result is one document (a config, a plan, an outcome, a trace): table (the human form),
 * json or yaml. The row formats (wide, name, jsonl) would print nothing of their own for one document, so they
 * are usage errors here, as for `version`.
 */
export function documentOutputFlag(description = 'output format: table (for people), json or yaml (the whole document)') {
  return {
    output: Flags.option({char: 'o', options: ['table', 'json', 'yaml'] as const, default: 'table' as const, description})(),
  }
}
