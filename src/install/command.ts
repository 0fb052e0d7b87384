/** Flags of `vipctl install` and the service behind them. */
import {Flags} from '@oclif/core'
import {connect} from '../cluster/live.js'
import {clientOptions, type ClientFlagValues} from '../cluster/client-options.js'
import {hostPortOption} from '../core/address.js'
import {UsageError} from '../errors.js'
import type {Result} from '../output/render.js'
import {applyInstall, installResult, manifestsResult} from './apply.js'
import {IMAGE_REPOSITORY, installObjects, publishedImage} from './manifests.js'

export const installFlags = {
  namespace: Flags.string({char: 'n', description: 'namespace of the DaemonSet and ServiceAccount', default: 'vipctl-system'}),
  image: Flags.string({description: `vipctl image, with the HAProxy sync checks configurations with (default ${IMAGE_REPOSITORY}:<version>, the published image; npm run image builds it)`}),
  'haproxy-image': Flags.string({description: 'image of the HAProxy container (default: --image, so HAProxy serves what vipctl checked with the same haproxy)'}),
  'secret-namespaces': Flags.string({description: 'comma-separated namespaces whose TLS Secrets sync may read (get by name only); default: every namespace, get only'}),
  'vip-rules': Flags.boolean({description: 'sync also keeps the VIP rules (adds NET_ADMIN to the sync container only)'}),
  mode: Flags.option({options: ['bind', 'dnat'] as const, default: 'bind', description: 'VIP mode with --vip-rules'})(),
  'listen-address': Flags.string({description: 'with --vip-rules --mode dnat: the node address HAProxy listens on (VIP:port is translated to its ports)'}),
  'vip-allow': Flags.string({description: 'CIDRs (comma-separated) the VIPs objects name must lie in, for sync and the init containers (see vipctl sync --help); default: any'}),
  'sync-metrics-address': Flags.string({
    description: 'where sync serves /healthz, /readyz and /metrics (the probes\' target): a loopback HOST:PORT, or a PORT on 127.0.0.1',
    default: '127.0.0.1:9842',
    aliases: ['metrics-port'],
    deprecateAliases: true,
  }),
  apply: Flags.boolean({description: 'apply to the cluster with server-side apply (field manager vipctl)'}),
  // --dry-run and kubectl's client flags are added by the command (cli/ is the edge).
}

export interface InstallFlagValues extends ClientFlagValues {
  namespace: string
  image?: string
  'haproxy-image'?: string
  'secret-namespaces'?: string
  'vip-rules': boolean
  mode: 'bind' | 'dnat'
  'listen-address'?: string
  'vip-allow'?: string
  'sync-metrics-address': string
  apply: boolean
  'dry-run': 'none' | 'client' | 'server'
}

export async function runInstall(f: InstallFlagValues, version: string, env: NodeJS.ProcessEnv, stderr: (line: string) => void): Promise<Result> {
  const secretNamespaces = (f['secret-namespaces'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  if (f['secret-namespaces'] !== undefined && secretNamespaces.length === 0) throw new UsageError('--secret-namespaces: give at least one namespace')
  const image = f.image ?? publishedImage(version)
  const objects = installObjects({
    namespace: f.namespace,
    image,
    haproxyImage: f['haproxy-image'] ?? image,
    secretNamespaces,
    vipRules: f['vip-rules'],
    vipMode: f.mode,
    ...(f['listen-address'] !== undefined ? {listenAddress: f['listen-address']} : {}),
    ...(f['vip-allow'] !== undefined ? {vipAllow: f['vip-allow']} : {}),
    syncMetrics: syncMetricsOption(f['sync-metrics-address']),
    version,
  })
  const dryRun = f['dry-run']
  if (dryRun === 'client' || (!f.apply && dryRun !== 'server')) return manifestsResult(objects)
  const {client} = await connect(clientOptions(f), {env, stderr})
  return installResult(await applyInstall(objects, client, dryRun === 'server'), dryRun === 'server')
}

/** Whether install talks to the cluster (and so which -o is the default): --apply or --dry-run=server, not --dry-run=client. */
export function installTalksToCluster(f: Pick<InstallFlagValues, 'apply' | 'dry-run'>): boolean {
  return f['dry-run'] === 'server' || (f.apply && f['dry-run'] !== 'client')
}

/**
 * --sync-metrics-address: a loopback HOST:PORT, or a bare PORT (the old --metrics-port) on 127.0.0.1. Loopback
 * because the probes and sync share the node's network. Errors: UsageError naming the flag.
 */
export function syncMetricsOption(text: string): {host: string; port: number} {
  return hostPortOption('--sync-metrics-address', /^\d+$/.test(text) ? `127.0.0.1:${text}` : text, {loopback: true, example: '127.0.0.1:9842'})
}
