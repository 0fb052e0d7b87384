/**
 * The live source: kubeconfig -> paginated lists -> the same Snapshot the
 * offline source builds. Secrets are never listed: only the TLS Secrets that
 * Ingresses reference are read, by name (least privilege).
 */
import {existsSync} from 'node:fs'
import path from 'node:path'
import {KubeConfig} from '@kubernetes/client-node'
import {DataError, PermissionError, UsageError, oneLine} from '../errors.js'
import {addToSnapshot, intakeObject, sortSnapshot} from './intake.js'
import {restClient, statusError, type RestClient, type RequestIntent} from './rest.js'
import type {Loaded, SourceIO, SourceOptions} from './source.js'
import type {Snapshot} from './types.js'
import {emptySnapshot} from './types.js'

/** Items per page: big lists arrive in pieces, never as one giant response. */
export const PAGE_SIZE = 500

export interface Resource {
  resource: string
  /** Path prefix: /api/v1 or /apis/<group>/<version> */
  prefix: string
  namespaced: boolean
  /** A namespaced user may not be allowed this; the snapshot goes on without it. */
  optional?: boolean
}

export const RESOURCES: Resource[] = [
  {resource: 'services', prefix: '/api/v1', namespaced: true},
  {resource: 'endpointslices', prefix: '/apis/discovery.k8s.io/v1', namespaced: true},
  {resource: 'ingresses', prefix: '/apis/networking.k8s.io/v1', namespaced: true},
  {resource: 'pods', prefix: '/api/v1', namespaced: true},
  {resource: 'ingressclasses', prefix: '/apis/networking.k8s.io/v1', namespaced: false, optional: true},
  {resource: 'nodes', prefix: '/api/v1', namespaced: false, optional: true},
]

const KIND_OF: Record<string, [string, string]> = {
  services: ['v1', 'Service'],
  endpointslices: ['discovery.k8s.io/v1', 'EndpointSlice'],
  ingresses: ['networking.k8s.io/v1', 'Ingress'],
  pods: ['v1', 'Pod'],
  ingressclasses: ['networking.k8s.io/v1', 'IngressClass'],
  nodes: ['v1', 'Node'],
  secrets: ['v1', 'Secret'],
}

/** Loads and checks the kubeconfig as kubectl would: --kubeconfig, $KUBECONFIG (merged), ~/.kube/config, in-cluster. */
export function loadKubeConfig(opts: Pick<SourceOptions, 'kubeconfig' | 'context'>, env: NodeJS.ProcessEnv): KubeConfig {
  const kc = new KubeConfig()
  const file = opts.kubeconfig
  try {
    if (file) {
      if (!existsSync(file)) throw new DataError(`kubeconfig ${file}: no such file`)
      kc.loadFromFile(file)
    } else {
      loadDefault(kc, env)
    }
  } catch (error) {
    if (error instanceof DataError) throw error
    const where = file ?? env.KUBECONFIG ?? '~/.kube/config'
    throw new DataError(`kubeconfig ${where}: malformed: ${oneLine((error as Error).message).slice(0, 200)}`, {cause: error})
  }
  if (opts.context) {
    const names = kc.getContexts().map((c) => c.name)
    if (!names.includes(opts.context))
      throw new UsageError(`context "${opts.context}" not found in kubeconfig`, names.length ? `available: ${names.join(', ')}` : 'the kubeconfig has no contexts')
    kc.setCurrentContext(opts.context)
  }
  if (!kc.getCurrentContext() || !kc.getCurrentCluster())
    throw new UsageError('no current context in kubeconfig', 'pass --context, set current-context, or use -f to read manifests')
  return kc
}

/**
 * $KUBECONFIG (a list, merged with the first file winning for each cluster, user
 * and context name, as kubectl does), then ~/.kube/config, then in-cluster.
 */
function loadDefault(kc: KubeConfig, env: NodeJS.ProcessEnv): void {
  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean)
  if (files.length === 0) {
    const home = env.HOME ? path.join(env.HOME, '.kube', 'config') : undefined
    if (home && existsSync(home)) files.push(home)
  }
  if (files.length === 0) {
    if (env.KUBERNETES_SERVICE_HOST) return kc.loadFromCluster()
    throw new UsageError('no kubeconfig found ($KUBECONFIG, ~/.kube/config, in-cluster)', 'pass --kubeconfig, or -f to read manifests')
  }
  const parts = files.map((f) => {
    if (!existsSync(f)) throw new DataError(`kubeconfig ${f}: no such file`)
    const k = new KubeConfig()
    k.loadFromFile(f)
    return k
  })
  const firstWins = <T extends {name: string}>(lists: T[][]): T[] => {
    const seen = new Map<string, T>()
    for (const l of lists) for (const x of l) if (!seen.has(x.name)) seen.set(x.name, x)
    return [...seen.values()]
  }
  kc.loadFromOptions({
    clusters: firstWins(parts.map((p) => p.clusters)),
    users: firstWins(parts.map((p) => p.users)),
    contexts: firstWins(parts.map((p) => p.contexts)),
    currentContext: parts.map((p) => p.currentContext).find(Boolean) ?? '',
  })
}

export async function loadLive(opts: SourceOptions, io: SourceIO): Promise<Loaded> {
  const kc = loadKubeConfig(opts, io.env)
  const client = await restClient(kc, opts.requestTimeoutMs)
  const ctxNs = kc.getContextObject(kc.getCurrentContext())?.namespace
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? ctxNs ?? 'default')
  const snapshot = await readCluster(client, namespace, kc.getCurrentContext())
  return {snapshot, namespace}
}

/** Reads everything vipctl needs from one namespace (or all when undefined). */
export async function readCluster(client: RestClient, namespace: string | undefined, context: string): Promise<Snapshot> {
  const snap = emptySnapshot({kind: 'live', context, server: client.server})
  const origin = {source: 'api' as const, server: client.server}
  // In parallel, but a failure is reported for the first resource in RESOURCES order, so the message is stable.
  const settled = await Promise.allSettled(
    RESOURCES.map(async (r) => {
      try {
        return {r, items: await listAll(client, r, namespace)}
      } catch (error) {
        if (r.optional && error instanceof PermissionError) {
          snap.diagnostics.push({severity: 'warning', code: 'VIP1001', object: r.resource, message: `not readable, continuing without: ${error.message}`})
          return {r, items: []}
        }
        throw error
      }
    }),
  )
  const failed = settled.find((x) => x.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
  const lists = settled.map((x) => (x as PromiseFulfilledResult<{r: Resource; items: unknown[]}>).value)
  let total = 0
  for (const {r, items} of lists) {
    total += items.length
    for (const raw of items) ingest(snap, withKind(raw, r.resource), origin)
  }
  for (const raw of await referencedSecrets(client, snap)) ingest(snap, withKind(raw, 'secrets'), origin)
  if (namespace !== undefined && total === snap.ingressClasses.length + snap.nodes.length) await assertNamespace(client, namespace)
  return sortSnapshot(snap)
}

export function ingest(snap: Snapshot, raw: unknown, origin: {source: 'api'; server: string}): void {
  const res = intakeObject(raw, origin)
  if (res.diagnostic) snap.diagnostics.push(res.diagnostic)
  if (res.object) {
    const dup = addToSnapshot(snap, res.object, origin)
    if (dup) snap.diagnostics.push(dup)
  }
}

/** List items carry no apiVersion/kind; put them back so intake can check them like manifests. */
export function withKind(raw: unknown, resource: string): unknown {
  const [apiVersion, kind] = KIND_OF[resource]!
  return raw !== null && typeof raw === 'object' ? {...(raw as object), apiVersion, kind} : raw
}

/** Follows `continue` tokens; restarts once if a token expires (410). */
export async function listAll(client: RestClient, r: Resource, namespace: string | undefined): Promise<unknown[]> {
  const path = r.namespaced && namespace !== undefined ? `${r.prefix}/namespaces/${encodeURIComponent(namespace)}/${r.resource}` : `${r.prefix}/${r.resource}`
  const intent: RequestIntent = {verb: 'list', resource: r.resource, namespace: r.namespaced ? namespace : undefined}
  for (let restart = 0; ; restart++) {
    const items: unknown[] = []
    let cont: string | undefined
    let expired = false
    do {
      const res = await client.get(path, {limit: PAGE_SIZE, continue: cont})
      if (res.status === 410 && cont && restart === 0) {
        expired = true
        break
      }
      if (res.status !== 200) throw statusError(res, intent, client.server, client.user)
      const body = res.body as {items?: unknown[]; metadata?: {continue?: string}}
      items.push(...(body.items ?? []))
      cont = body.metadata?.continue || undefined
    } while (cont)
    if (!expired) return items
  }
}

/** GETs each TLS Secret an Ingress names; a missing one is left for the model to report. */
export async function referencedSecrets(client: RestClient, snap: Snapshot): Promise<unknown[]> {
  const wanted = new Set<string>()
  for (const ing of snap.ingresses) for (const t of ing.spec.tls ?? []) if (t.secretName) wanted.add(`${ing.metadata.namespace}/${t.secretName}`)
  const out: unknown[] = []
  for (const key of [...wanted].sort()) {
    const [ns, name] = key.split('/') as [string, string]
    const res = await client.get(`/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(name)}`)
    if (res.status === 200) out.push(res.body)
    else if (res.status === 403)
      snap.diagnostics.push({severity: 'warning', code: 'VIP1001', object: `Secret/${key}`, message: `not readable (403): ${client.user} needs "get" on this Secret`})
    else if (res.status !== 404) throw statusError(res, {verb: 'get', resource: 'secrets', namespace: ns, name}, client.server, client.user)
  }
  return out
}

async function assertNamespace(client: RestClient, namespace: string): Promise<void> {
  const res = await client.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}`)
  if (res.status === 404) throw statusError(res, {verb: 'get', resource: 'namespaces', name: namespace}, client.server, client.user)
}
