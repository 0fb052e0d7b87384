/** Flags of `vipctl install` and the service behind them. */
import {Flags} from '@oclif/core'
import {loadKubeConfig} from '../cluster/live.js'
import {restClient} from '../core/kube-rest.js'
import {UsageError} from '../errors.js'
import type {Result} from '../output/render.js'
import {applyInstall, installResult, manifestsResult} from './apply.js'
import {installObjects} from './manifests.js'

export const installFlags = {
  namespace: Flags.string({char: 'n', description: 'namespace of the DaemonSet and ServiceAccount', default: 'vipctl-system'}),
  image: Flags.string({description: 'vipctl image (it must contain haproxy too, for config checks); default vipctl:<version>'}),
  'haproxy-image': Flags.string({description: 'HAProxy image', default: 'haproxy:2.6'}),
  'secret-namespaces': Flags.string({description: 'comma-separated namespaces whose TLS Secrets sync may read (get by name only); default: every namespace, get only'}),
  'vip-rules': Flags.boolean({description: 'sync also keeps the VIP rules (adds NET_ADMIN to the sync container only)'}),
  mode: Flags.option({options: ['bind', 'dnat'] as const, default: 'bind', description: 'VIP mode with --vip-rules'})(),
  'metrics-port': Flags.integer({description: 'loopback port of sync\'s /healthz, /readyz, /metrics', default: 9842, min: 1, max: 65535}),
  apply: Flags.boolean({description: 'apply to the cluster with server-side apply (field manager vipctl)'}),
  'dry-run': Flags.boolean({description: 'with --apply: a server-side dry run, showing the difference against the cluster', dependsOn: ['apply']}),
  kubeconfig: Flags.string({description: 'kubeconfig file', helpGroup: 'SOURCE'}),
  context: Flags.string({description: 'kubeconfig context', helpGroup: 'SOURCE'}),
  'request-timeout': Flags.integer({description: 'seconds to wait for each API request', default: 30, min: 1, helpGroup: 'SOURCE'}),
}

export interface InstallFlagValues {
  namespace: string
  image?: string
  'haproxy-image': string
  'secret-namespaces'?: string
  'vip-rules': boolean
  mode: 'bind' | 'dnat'
  'metrics-port': number
  apply: boolean
  'dry-run': boolean
  kubeconfig?: string
  context?: string
  'request-timeout': number
}

export async function runInstall(f: InstallFlagValues, version: string, env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  const secretNamespaces = (f['secret-namespaces'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  if (f['secret-namespaces'] !== undefined && secretNamespaces.length === 0) throw new UsageError('--secret-namespaces: give at least one namespace')
  const objects = installObjects({
    namespace: f.namespace,
    image: f.image ?? `vipctl:${version}`,
    haproxyImage: f['haproxy-image'],
    secretNamespaces,
    vipRules: f['vip-rules'],
    vipMode: f.mode,
    metricsPort: f['metrics-port'],
    version,
  })
  if (!f.apply) return manifestsResult(objects)
  const client = await restClient(loadKubeConfig({kubeconfig: f.kubeconfig, context: f.context}, env), f['request-timeout'] * 1000)
  return installResult(await applyInstall(objects, client, f['dry-run']), f['dry-run'])
}
