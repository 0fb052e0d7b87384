/** Flags of `vipctl sync` and the wiring of the loop to a real process (kubeconfig, logs, metrics, signals). */
import {randomBytes} from 'node:crypto'
import os from 'node:os'
import {Flags} from '@oclif/core'
import type {HaproxyIO, HaproxyTarget} from '../apply/haproxy/apply.js'
import type {VipIO} from '../apply/vip/apply.js'
import {connect} from '../cluster/live.js'
import {clientOptions, type ClientFlagValues} from '../cluster/client-options.js'
import {UsageError} from '../errors.js'
import type {ModelOptions} from '../model/types.js'
import type {DocResult} from '../output/render.js'
import type {HaproxyOptions} from '../targets/haproxy/generate.js'
import {makeLogger, makeMetrics} from './runtime.js'
import {systemClock} from '../core/clock.js'
import {parseListenAddress, serveMetrics} from './server.js'
import {SyncLoop, type ReconcileSummary} from './sync.js'
import type {LeaseOptions} from './lease.js'
import {parseDuration} from '../core/duration.js'

export const syncFlags = {
  // kubectl's client flags (clientFlags) are added by the command (cli/ is the edge).
  // sync serves the whole cluster unless told otherwise: its context's namespace is the agent's own (vipctl-system).
  namespace: Flags.string({char: 'n', description: 'watch one namespace (default: all namespaces, unlike other commands: a node serves every tenant)', helpGroup: 'SOURCE'}),
  'all-namespaces': Flags.boolean({char: 'A', description: 'all namespaces (the default)', helpGroup: 'SOURCE', exclusive: ['namespace']}),
  once: Flags.boolean({description: 'one reconcile from a fresh list, then exit'}),
  debounce: Flags.string({description: 'gather a burst of changes this long before reconciling', default: '50ms', helpGroup: 'SYNC'}),
  'min-reload-interval': Flags.string({description: 'at most one HAProxy reload per this interval (runtime updates are not limited)', default: '5s', helpGroup: 'SYNC'}),
  'resync-period': Flags.string({description: 'full reconcile this often: re-reads TLS Secrets and repairs drift in HAProxy and the VIP rules', default: '5m', helpGroup: 'SYNC'}),
  'ca-refresh-period': Flags.string({description: 'how often the ConfigMaps BackendTLSPolicies name as CA bundles are re-read by name (the agent may only get them, never watch): a changed bundle is applied within this period; at least 1s, at most 100 bundles a pass ("0s": only at --resync-period)', default: '10s', helpGroup: 'SYNC'}),
  'watch-timeout': Flags.string({description: 'cut and resume a watch that sent nothing (not even a bookmark) for this long', default: '90s', helpGroup: 'SYNC'}),
  'sync-metrics-address': Flags.string({
    description: 'where vipctl sync serves its own /healthz, /readyz and /metrics: HOST:PORT ("" to disable; --metrics-address is HAProxy\'s exporter)',
    default: '127.0.0.1:9842',
    aliases: ['metrics-addr'],
    deprecateAliases: true,
    helpGroup: 'SYNC',
  }),
  'log-format': Flags.option({options: ['auto', 'json', 'text'] as const, default: 'auto', description: 'logs on stderr: JSON lines, or text on a terminal (auto)', helpGroup: 'SYNC'})(),
  'vip-rules': Flags.boolean({description: 'also keep the VIP rules (--mode, --netns) in step', helpGroup: 'VIP'}),
  'write-status': Flags.boolean({description: 'write the status vipctl owes (Gateway API; Ingress and LoadBalancer Service load-balancer status) while this node holds the status Lease', default: true, allowNo: true, helpGroup: 'STATUS'}),
  'lease-namespace': Flags.string({description: 'namespace of the status Lease (default: $POD_NAMESPACE, then the context\'s namespace, then vipctl-system)', helpGroup: 'STATUS'}),
  'lease-name': Flags.string({description: 'name of the status Lease (one writer across all nodes)', default: 'vipctl-status', helpGroup: 'STATUS'}),
  identity: Flags.string({description: 'this node\'s identity in the Lease (default: $NODE_NAME or the host name, with a random suffix)', helpGroup: 'STATUS'}),
  'lease-duration': Flags.string({description: 'how long a holder\'s Lease stands without renewal', default: '15s', helpGroup: 'STATUS'}),
}

export interface SyncFlagValues extends ClientFlagValues {
  namespace?: string
  'all-namespaces'?: boolean
  once: boolean
  debounce: string
  'min-reload-interval': string
  'resync-period': string
  'ca-refresh-period'?: string
  'watch-timeout': string
  'sync-metrics-address': string
  'log-format': 'auto' | 'json' | 'text'
  'vip-rules': boolean
  'write-status'?: boolean
  'lease-namespace'?: string
  'lease-name'?: string
  identity?: string
  'lease-duration'?: string
  mode: 'bind' | 'dnat'
  netns?: string
}

/** sync's duration flags: Go's compound form (50ms, 5s, 5m, 1m30s, 1.5s), no bare numbers. */
export const durationFlag = (flag: string, text: string, minMs = 0): number => {
  const parsed = parseDuration(text, {units: ['ms', 's', 'm', 'h'], fractions: true})
  if (parsed === undefined) throw new UsageError(`--${flag} ${JSON.stringify(text)}: expected a duration such as 50ms, 5s, 5m or 1m30s`)
  const ms = Math.round(parsed)
  if (ms < minMs) throw new UsageError(`--${flag} ${text}: at least ${minMs}ms`)
  // Node's timers take at most 2^31-1 ms; past that they fire at once (a resync loop).
  if (ms > 2_147_483_647) throw new UsageError(`--${flag} ${text}: at most 24d (596h)`)
  return ms
}

/**
 * The status Lease: --lease-namespace, else $POD_NAMESPACE (the DaemonSet sets it), else the context's namespace,
 * else vipctl-system; the renew deadline and retry period scale with --lease-duration as client-go's defaults do
 * (15 s, 10 s, 2 s). Errors: UsageError for a duration that is not one or is under 2 s, or an identity that is not
 * a label-like name.
 */
export function leaseOptions(f: Pick<SyncFlagValues, 'lease-namespace' | 'lease-name' | 'identity' | 'lease-duration'>, contextNamespace: string | undefined, env: NodeJS.ProcessEnv): LeaseOptions {
  const durationMs = durationFlag('lease-duration', f['lease-duration'] ?? '15s', 2000)
  const namespace = f['lease-namespace'] ?? env.POD_NAMESPACE ?? contextNamespace ?? 'vipctl-system'
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) throw new UsageError(`--lease-namespace ${JSON.stringify(namespace.slice(0, 70))}: not a namespace name`)
  const name = f['lease-name'] ?? 'vipctl-status'
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) throw new UsageError(`--lease-name ${JSON.stringify(name.slice(0, 70))}: not an object name`)
  const identity = f.identity ?? `${(env.NODE_NAME ?? os.hostname()).slice(0, 200)}_${randomBytes(4).toString('hex')}`
  if (!/^[A-Za-z0-9][-A-Za-z0-9_.]{0,252}$/.test(identity)) throw new UsageError(`--identity ${JSON.stringify(identity.slice(0, 70))}: letters, digits, "-", "_" and "." only`)
  const sec = Math.max(2, Math.round(durationMs / 1000))
  return {namespace, name, identity, leaseDurationSec: sec, renewDeadlineMs: Math.round((sec * 1000 * 2) / 3), retryPeriodMs: Math.max(500, Math.round((sec * 1000 * 2) / 15))}
}

export interface ProcessSyncIO {
  haproxy: HaproxyIO
  vip: VipIO
  env?: NodeJS.ProcessEnv
  write?: (line: string) => void
  isTTY?: boolean
  /** Stops the loop (SIGINT/SIGTERM by default). */
  signal?: AbortSignal
}

/** Runs the loop (until a signal) or, with --once, one reconcile whose summary is returned. */
export async function startSync(f: SyncFlagValues, model: ModelOptions, hopts: HaproxyOptions, target: HaproxyTarget, pio: ProcessSyncIO): Promise<ReconcileSummary | undefined> {
  const caRefresh = f['ca-refresh-period'] ?? '10s'
  const opts = {
    debounceMs: durationFlag('debounce', f.debounce),
    minReloadIntervalMs: durationFlag('min-reload-interval', f['min-reload-interval']),
    resyncMs: durationFlag('resync-period', f['resync-period'], 1000),
    // 0 turns the refresh off; otherwise at least 1 s (each pass is a GET per CA ConfigMap, from every node).
    caRefreshMs: durationFlag('ca-refresh-period', caRefresh) === 0 ? 0 : durationFlag('ca-refresh-period', caRefresh, 1000),
    watchdogMs: durationFlag('watch-timeout', f['watch-timeout'], 100),
  }
  const metricsAddr = f['sync-metrics-address'] === '' ? undefined : parseListenAddress('--sync-metrics-address', f['sync-metrics-address'])
  const env = pio.env ?? process.env
  const write = pio.write ?? ((l: string) => void process.stderr.write(l))
  const log = makeLogger(write, f['log-format'] === 'auto' ? ((pio.isTTY ?? process.stderr.isTTY) ? 'text' : 'json') : f['log-format'])
  // The client's lines (-v request logs, the insecure-TLS warning) go through the log, so --log-format json stays JSON lines.
  const clientLine = (l: string) => (l.startsWith('warning: ') ? log.warn(l.slice('warning: '.length)) : log.info(l))
  const {kc, client} = await connect(clientOptions(f), {env, stderr: clientLine})
  const metrics = makeMetrics()
  const loop = new SyncLoop(
    {
      namespace: f.namespace,
      context: kc.getCurrentContext(),
      model,
      // sync's own listener is never a frontend: a tenant VIP on that address and port is left out (VIP2007).
      haproxy: metricsAddr ? {...hopts, reserved: [...(hopts.reserved ?? []), {address: metricsAddr.host, port: metricsAddr.port, what: 'vipctl sync\'s --sync-metrics-address'}]} : hopts,
      target,
      debounceMs: opts.debounceMs,
      minReloadIntervalMs: opts.minReloadIntervalMs,
      resyncMs: opts.resyncMs,
      caRefreshMs: opts.caRefreshMs,
      ...(f['vip-rules'] || f.netns ? {vip: {mode: f.mode, netns: f.netns}} : {}),
      reflector: {watchdogMs: opts.watchdogMs, backoffInitialMs: 200, backoffMaxMs: 5_000, watchTimeoutSec: 300, pageSize: 500},
      ...(f['write-status'] !== false ? {status: {lease: leaseOptions(f, kc.getContextObject(kc.getCurrentContext())?.namespace, env)}} : {}),
    },
    {client, haproxy: pio.haproxy, vip: pio.vip, clock: systemClock, log, metrics},
  )
  if (f.once) {
    const s = await loop.once()
    if (s.result === 'failed') throw loop.lastFailure
    return s
  }

  const ctrl = new AbortController()
  const stop = () => ctrl.abort()
  if (pio.signal) pio.signal.addEventListener('abort', stop, {once: true})
  else {
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }
  const server = metricsAddr ? await serveMetrics(metricsAddr, () => loop.health(), metrics) : undefined
  log.info('sync started', {server: client.server, namespace: f.namespace ?? '(all)', metrics: server ? `${metricsAddr!.host}:${server.port}` : 'off'})
  try {
    await loop.run(ctrl.signal)
  } finally {
    await server?.close()
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    log.info('sync stopped', {reconciles: loop.reconciles})
  }
  return undefined
}

export function syncResult(s: ReconcileSummary): DocResult<Omit<ReconcileSummary, 'diagnostics'>> {
  const {diagnostics: _d, ...data} = s
  return {
    type: 'doc',
    kind: 'SyncResult',
    data,
    text: (d) =>
      `${d.result === 'failed' ? `reconcile failed: ${d.error}` : d.result === 'none' ? 'HAProxy is up to date: nothing to do.' : d.result === 'runtime' ? `updated HAProxy at runtime: ${d.commands} command(s), no reload.` : d.result === 'reload' ? 'reloaded HAProxy.' : 'reload deferred.'}${d.vipChanged ? ' VIP rules updated.' : ''}${d.quarantined.length ? `\nquarantined (left out): ${d.quarantined.join(', ')}` : ''}\n`,
    ...(s.result === 'failed' ? {exit: 69} : {}),
  }
}
