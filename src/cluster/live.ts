/**
 * The live source: kubeconfig -> paginated lists -> the same Snapshot the
 * offline source builds. Secrets are never listed: only the TLS Secrets that
 * Ingresses reference are read, by name (least privilege).
 */
import {PermissionError} from '../errors.js'
import {printable, printableShort} from '../core/printable.js'
import {loadKubeConfig, type KubeConfigChoice, type SourcedKubeConfig} from './kubeconfig.js'
import {BadReplyError, NotFoundError, restClient, statusError, type RestClient, type RestResponse, type RequestIntent} from '../core/kube-rest.js'
import type {ClientOverrides, Loaded, SourceIO, SourceOptions} from './source.js'
import type {Snapshot} from './types.js'
import {emptySnapshot} from './types.js'
import {selectorMatches} from './derive.js'
import {severityOf} from '../core/catalog.js'

/**
 * intake.js checks each object against its schema (zod): it is needed only once replies arrive, so it is imported
 * while the first lists are on their way, not before the first request.
 */
type Intake = typeof import('./intake.js')

/** As intake's safe(), without loading intake. */
const safe = (s: string) => printableShort(s, 80)

/** Items per page: big lists arrive in pieces, never as one giant response. */
export const PAGE_SIZE = 500

export interface Resource {
  resource: string
  /** Path prefix: /api/v1 or /apis/<group>/<version> */
  prefix: string
  namespaced: boolean
  /** A namespaced user may not be allowed this; the snapshot goes on without it. */
  optional?: boolean
  /** Served only when its CRD is installed: 404 is an empty list (sync lists it again later). */
  absentOk?: boolean
}

export const RESOURCES: Resource[] = [
  {resource: 'services', prefix: '/api/v1', namespaced: true},
  {resource: 'endpointslices', prefix: '/apis/discovery.k8s.io/v1', namespaced: true},
  {resource: 'ingresses', prefix: '/apis/networking.k8s.io/v1', namespaced: true},
  {resource: 'pods', prefix: '/api/v1', namespaced: true},
  {resource: 'ingressclasses', prefix: '/apis/networking.k8s.io/v1', namespaced: false, optional: true},
  {resource: 'nodes', prefix: '/api/v1', namespaced: false, optional: true},
]

/**
 * Workloads, read by check, inspect and trace (never by sync, which serves what the EndpointSlices say): their
 * pod templates explain a Service whose Pods are missing. Optional: without the right, the analyzers go on
 * without them (VIP1005).
 */
export const WORKLOAD_RESOURCES: Resource[] = [
  {resource: 'deployments', prefix: '/apis/apps/v1', namespaced: true, optional: true},
  {resource: 'statefulsets', prefix: '/apis/apps/v1', namespaced: true, optional: true},
  {resource: 'daemonsets', prefix: '/apis/apps/v1', namespaced: true, optional: true},
  {resource: 'replicasets', prefix: '/apis/apps/v1', namespaced: true, optional: true},
  {resource: 'replicationcontrollers', prefix: '/api/v1', namespaced: true, optional: true},
  {resource: 'jobs', prefix: '/apis/batch/v1', namespaced: true, optional: true},
  {resource: 'cronjobs', prefix: '/apis/batch/v1', namespaced: true, optional: true},
]

/**
 * Gateway API (gateway.networking.k8s.io/v1, the v1.6.3 CRDs): read when the server serves them (404: the CRDs are
 * not installed, an empty list); without the right to list them, VIP1005 and the snapshot goes on.
 */
const G = '/apis/gateway.networking.k8s.io/v1'
export const GATEWAY_RESOURCES: Resource[] = [
  {resource: 'gatewayclasses', prefix: G, namespaced: false, optional: true, absentOk: true},
  {resource: 'gateways', prefix: G, namespaced: true, optional: true, absentOk: true},
  {resource: 'httproutes', prefix: G, namespaced: true, optional: true, absentOk: true},
  {resource: 'referencegrants', prefix: G, namespaced: true, optional: true, absentOk: true},
  {resource: 'grpcroutes', prefix: G, namespaced: true, optional: true, absentOk: true},
  {resource: 'tlsroutes', prefix: G, namespaced: true, optional: true, absentOk: true},
  {resource: 'tcproutes', prefix: G, namespaced: true, optional: true, absentOk: true},
  {resource: 'udproutes', prefix: G, namespaced: true, optional: true, absentOk: true},
  {resource: 'listenersets', prefix: G, namespaced: true, optional: true, absentOk: true},
  {resource: 'backendtlspolicies', prefix: G, namespaced: true, optional: true, absentOk: true},
]

/** Namespaces (their labels: Gateway listeners admit route namespaces by label). */
export const NAMESPACES: Resource = {resource: 'namespaces', prefix: '/api/v1', namespaced: false, optional: true}

const KIND_OF: Record<string, [string, string]> = {
  gatewayclasses: ['gateway.networking.k8s.io/v1', 'GatewayClass'],
  gateways: ['gateway.networking.k8s.io/v1', 'Gateway'],
  httproutes: ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
  referencegrants: ['gateway.networking.k8s.io/v1', 'ReferenceGrant'],
  grpcroutes: ['gateway.networking.k8s.io/v1', 'GRPCRoute'],
  tlsroutes: ['gateway.networking.k8s.io/v1', 'TLSRoute'],
  tcproutes: ['gateway.networking.k8s.io/v1', 'TCPRoute'],
  udproutes: ['gateway.networking.k8s.io/v1', 'UDPRoute'],
  listenersets: ['gateway.networking.k8s.io/v1', 'ListenerSet'],
  backendtlspolicies: ['gateway.networking.k8s.io/v1', 'BackendTLSPolicy'],
  namespaces: ['v1', 'Namespace'],
  configmaps: ['v1', 'ConfigMap'],
  deployments: ['apps/v1', 'Deployment'],
  statefulsets: ['apps/v1', 'StatefulSet'],
  daemonsets: ['apps/v1', 'DaemonSet'],
  replicasets: ['apps/v1', 'ReplicaSet'],
  replicationcontrollers: ['v1', 'ReplicationController'],
  jobs: ['batch/v1', 'Job'],
  cronjobs: ['batch/v1', 'CronJob'],
  services: ['v1', 'Service'],
  endpointslices: ['discovery.k8s.io/v1', 'EndpointSlice'],
  ingresses: ['networking.k8s.io/v1', 'Ingress'],
  pods: ['v1', 'Pod'],
  ingressclasses: ['networking.k8s.io/v1', 'IngressClass'],
  nodes: ['v1', 'Node'],
  secrets: ['v1', 'Secret'],
}

export {loadKubeConfig} from './kubeconfig.js'

/** Everything kubectl's client flags say about reaching the API server. */
export interface ClientOptions extends KubeConfigChoice, ClientOverrides {
  requestTimeoutMs: number
}

/**
 * The kubeconfig (with --server, --token, --insecure-skip-tls-verify over it) and a client that sends --as and
 * --as-group and logs at -v. --insecure-skip-tls-verify is said on stderr, once, as a warning line.
 */
export async function connect(opts: ClientOptions, io: Pick<SourceIO, 'env'> & Required<Pick<SourceIO, 'stderr'>>): Promise<{kc: SourcedKubeConfig; client: RestClient}> {
  const kc = loadKubeConfig(opts, io.env)
  if (opts.insecureSkipTlsVerify) io.stderr('warning: --insecure-skip-tls-verify: the API server\'s certificate is not checked; this connection could be intercepted')
  const client = await restClient(kc, {timeoutMs: opts.requestTimeoutMs, verbosity: opts.verbosity, impersonate: opts.impersonate, log: io.stderr})
  return {kc, client}
}

export async function loadLive(opts: SourceOptions, io: SourceIO): Promise<Loaded> {
  const {kc, client} = await connect({...opts, ...opts.client}, io)
  const ctxNs = kc.getContextObject(kc.getCurrentContext())?.namespace
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? ctxNs ?? 'default')
  const snapshot = await readCluster(client, namespace, kc.getCurrentContext(), io.meanwhile)
  return {snapshot, namespace}
}

/** Reads everything vipctl needs from one namespace (or all when undefined); `meanwhile` is called once the first requests are sent (see SourceIO). */
export async function readCluster(client: RestClient, namespace: string | undefined, context: string, meanwhile?: () => void): Promise<Snapshot> {
  const snap = emptySnapshot({kind: 'live', context, server: client.server})
  const origin = {source: 'api' as const, server: client.server}
  // In parallel, but a failure is reported for the first resource in RESOURCES order, so the message is stable.
  // The lists share one page budget: a server that sends continue tokens forever costs LIST_LIMITS.pages requests, not six times that.
  const budget = pageBudget()
  // The requests are sent first; intake (the schemas) loads while they are on their way.
  const listed = listEach(client, RESOURCES, namespace, budget, snap)
  const loading = import('./intake.js')
  meanwhile?.()
  const [intake, lists] = await Promise.all([loading, listed])
  const ingest = (raw: unknown, resource: string) => ingestInto(intake, snap, withKind(raw, resource), origin)
  let total = 0
  for (const {r, items} of lists) {
    total += items.length
    for (const raw of items) ingest(raw, r.resource)
  }
  // Workloads only when a Service's selector matches no Pod: their templates say which Pods should be there.
  const podless = snap.services.some((s) => s.spec.type !== 'ExternalName' && s.spec.selector && Object.keys(s.spec.selector).length > 0 && !snap.pods.some((p) => p.metadata.namespace === s.metadata.namespace && selectorMatches(s.spec.selector, p.metadata.labels)))
  if (podless) for (const {r, items} of await listEach(client, WORKLOAD_RESOURCES, namespace, budget, snap)) for (const raw of items) ingest(raw, r.resource)
  for (const {r, items} of await listEach(client, GATEWAY_RESOURCES, namespace, budget, snap)) for (const raw of items) ingest(raw, r.resource)
  // Namespace labels, when a listener admits route namespaces, or a Gateway ListenerSet namespaces, by label.
  if (snap.gateways.some((g) => g.spec.allowedListeners?.namespaces.from === 'Selector' || g.spec.listeners.some((l) => l.allowedRoutes.namespaces.from === 'Selector')) || snap.listenerSets.some((s) => s.spec.listeners.some((l) => l.allowedRoutes.namespaces.from === 'Selector')))
    for (const {r, items} of await listEach(client, [NAMESPACES], undefined, budget, snap)) for (const raw of items) ingest(raw, r.resource)
  for (const raw of (await readByName(client, snap, 'Secret', wantedSecrets(snap))).values()) ingest(raw, 'secrets')
  for (const raw of (await readByName(client, snap, 'ConfigMap', wantedConfigMaps(snap))).values()) ingest(raw, 'configmaps')
  if (namespace !== undefined && total === snap.ingressClasses.length + snap.nodes.length) await assertNamespace(client, namespace)
  return intake.sortSnapshot(snap)
}

/**
 * Lists resources in parallel; a failure is reported for the first resource in the given order, so the message
 * is stable. An optional resource the user may not read is VIP1005 and an empty list; a workload resource the
 * server does not serve (404) is an empty list.
 */
async function listEach(client: RestClient, resources: Resource[], namespace: string | undefined, budget: PageBudget, snap: Snapshot): Promise<Array<{r: Resource; items: unknown[]}>> {
  const settled = await Promise.allSettled(
    resources.map(async (r) => {
      try {
        return {r, items: await listAll(client, r, namespace, budget)}
      } catch (error) {
        // An API group the server does not serve (404) has no workloads of that kind to read.
        if ((WORKLOAD_RESOURCES.includes(r) || r.absentOk) && error instanceof NotFoundError) return {r, items: []}
        if (r.optional && error instanceof PermissionError) {
          snap.diagnostics.push({severity: severityOf('VIP1005'), code: 'VIP1005', object: r.resource, message: `not readable, continuing without: ${error.message}`})
          return {r, items: []}
        }
        throw error
      }
    }),
  )
  const failed = settled.find((x) => x.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
  return settled.map((x) => (x as PromiseFulfilledResult<{r: Resource; items: unknown[]}>).value)
}

/** One object from the API server into the snapshot, checked by intake (loaded by the caller: see Intake). */
export function ingestInto(intake: Pick<Intake, 'intakeObject' | 'addToSnapshot'>, snap: Snapshot, raw: unknown, origin: {source: 'api'; server: string}): void {
  const res = intake.intakeObject(raw, origin)
  if (res.diagnostic) snap.diagnostics.push(res.diagnostic)
  if (res.object) {
    const dup = intake.addToSnapshot(snap, res.object, origin)
    if (dup) snap.diagnostics.push(dup)
  }
}

/** List items carry no apiVersion/kind; put them back so intake can check them like manifests. */
export function withKind(raw: unknown, resource: string): unknown {
  const [apiVersion, kind] = KIND_OF[resource]!
  return raw !== null && typeof raw === 'object' ? {...(raw as object), apiVersion, kind} : raw
}

/** Bounds on one list: a server that keeps sending continue tokens, or more objects than any cluster has, is an error. */
export const LIST_LIMITS = {
  /** 10,000 pages of 500 is 5 million objects. */
  pages: 10_000,
  objects: 2_000_000,
  /** Restarts from the first page after an expired continue token (410). */
  restarts: 3,
}

/** A page count shared by the lists one command reads in parallel. */
export interface PageBudget {
  readonly total: number
  pages: number
}

export const pageBudget = (total: number = LIST_LIMITS.pages): PageBudget => ({total, pages: total})

export interface ListResult {
  items: Record<string, unknown>[]
  /** The list's resourceVersion (to watch from). */
  resourceVersion: string
}

/** The path of a resource's collection, in one namespace or across all. */
export function collectionPath(r: Resource, namespace: string | undefined): string {
  return r.namespaced && namespace !== undefined ? `${r.prefix}/namespaces/${encodeURIComponent(namespace)}/${r.resource}` : `${r.prefix}/${r.resource}`
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`)

/**
 * Checks one page of a list reply: a JSON object whose kind ends in List, with
 * an items array of objects and well-formed metadata. Anything else is a
 * BadReplyError naming the URL and what was wrong: an HTML login page, a
 * captive portal or a misrouted load balancer must never read as "no objects".
 */
export function parseListPage(res: RestResponse, what: string, kind?: string): {items: Record<string, unknown>[]; continue?: string; resourceVersion?: string} {
  const bad = (why: string) => new BadReplyError(`${what} failed: ${why}`, {hint: 'is the kubeconfig server the API server itself, not a proxy or a login page?'})
  if (res.body === undefined) throw bad(res.notJson !== undefined ? `the reply is not JSON (it starts ${replyStart(res.notJson)})` : 'the reply is empty')
  const body = res.body
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad(`the reply is ${describe(body)}, not a list object`)
  const b = body as {kind?: unknown; items?: unknown; metadata?: unknown}
  if (typeof b.kind !== 'string' || !b.kind.endsWith('List'))
    throw bad(`the reply is not a list (kind ${typeof b.kind === 'string' ? JSON.stringify(safe(b.kind)) : b.kind === undefined ? 'missing' : describe(b.kind)})`)
  // A list of something else (a proxy that answers every path alike) is as wrong as no list: its items must not stand in for ours.
  if (kind !== undefined && b.kind !== `${kind}List`) throw bad(`the reply is kind ${JSON.stringify(safe(b.kind))}, not "${kind}List"`)
  if (!Array.isArray(b.items)) throw bad(b.items === undefined ? '"items" is missing' : `"items" is ${describe(b.items)}, not an array`)
  const items = b.items as unknown[]
  for (let i = 0; i < items.length; i++) {
    const it = items[i]
    if (it === null || typeof it !== 'object' || Array.isArray(it)) throw bad(`items[${i}] is ${describe(it)}, not an object`)
    // List items normally carry no kind; one that does must be of the kind listed.
    const k = (it as {kind?: unknown}).kind
    if (kind !== undefined && k !== undefined && k !== kind) throw bad(`items[${i}] is ${typeof k === 'string' ? `kind ${JSON.stringify(safe(k))}` : `of a kind that is ${describe(k)}`}, not "${kind}"`)
  }
  let cont: string | undefined
  let rv: string | undefined
  if (b.metadata !== undefined && b.metadata !== null) {
    if (typeof b.metadata !== 'object' || Array.isArray(b.metadata)) throw bad(`"metadata" is ${describe(b.metadata)}, not an object`)
    const m = b.metadata as {continue?: unknown; resourceVersion?: unknown}
    if (m.continue !== undefined && m.continue !== null && typeof m.continue !== 'string') throw bad(`"metadata.continue" is ${describe(m.continue)}, not a string`)
    if (m.resourceVersion !== undefined && m.resourceVersion !== null && typeof m.resourceVersion !== 'string') throw bad(`"metadata.resourceVersion" is ${describe(m.resourceVersion)}, not a string`)
    cont = (m.continue as string | undefined) || undefined
    rv = (m.resourceVersion as string | undefined) || undefined
  }
  return {items: items as Record<string, unknown>[], continue: cont, resourceVersion: rv}
}

/**
 * A whole list, page by page (`limit`, `continue`), checked and bounded: a
 * repeated continue token, more than LIST_LIMITS.pages pages or more than
 * LIST_LIMITS.objects objects is an error; an expired token (410) restarts
 * from the first page (at most LIST_LIMITS.restarts times). Items are appended
 * one by one: a page of 200,000 never becomes 200,000 call arguments.
 */
export async function listPages(
  client: RestClient,
  r: Resource,
  namespace: string | undefined,
  pageSize: number,
  opts: {
    limits?: typeof LIST_LIMITS
    statusError?: (res: RestResponse, intent: RequestIntent) => Error
    /** Pages left for several lists read together (one command's lists share LIST_LIMITS.pages). */
    budget?: PageBudget
  } = {},
): Promise<ListResult> {
  const limits = opts.limits ?? LIST_LIMITS
  const failed = opts.statusError ?? ((res: RestResponse, intent: RequestIntent) => statusError(res, intent, client.server, client.user))
  const path = collectionPath(r, namespace)
  const intent: RequestIntent = {verb: 'list', resource: r.resource, namespace: r.namespaced ? namespace : undefined}
  const what = `list of ${r.resource} from ${client.server}${path}`
  for (let restart = 0; ; restart++) {
    const items: Record<string, unknown>[] = []
    const tokens = new Set<string>()
    let cont: string | undefined
    let rv = ''
    let expired = false
    for (let page = 1; ; page++) {
      if (page > limits.pages) throw new BadReplyError(`${what} failed: more than ${limits.pages} pages (the server keeps sending continue tokens)`)
      if (opts.budget && opts.budget.pages-- <= 0)
        throw new BadReplyError(`${what} failed: more than ${opts.budget.total} pages in all lists together (the server keeps sending continue tokens)`)
      const res = await client.get(path, {limit: pageSize, continue: cont})
      if (res.status === 410 && cont) {
        expired = true
        break
      }
      if (res.status !== 200) throw failed(res, intent)
      const p = parseListPage(res, page === 1 ? what : `${what} (page ${page})`, KIND_OF[r.resource]?.[1])
      if (items.length + p.items.length > limits.objects) throw new BadReplyError(`${what} failed: more than ${limits.objects} objects`)
      for (const it of p.items) items.push(it)
      rv = p.resourceVersion ?? rv
      if (!p.continue) return {items, resourceVersion: rv}
      if (tokens.has(p.continue)) throw new BadReplyError(`${what} failed: the server sent the same continue token twice (page ${page})`)
      tokens.add(p.continue)
      cont = p.continue
    }
    if (expired && restart >= limits.restarts) throw new BadReplyError(`${what} failed: the continue token expired ${restart + 1} times (410 Gone); the list changes faster than it can be read`)
  }
}

/** All items of one resource (see listPages). */
export async function listAll(client: RestClient, r: Resource, namespace: string | undefined, budget?: PageBudget): Promise<unknown[]> {
  return (await listPages(client, r, namespace, PAGE_SIZE, {budget})).items
}

/** A single object read by GET: a JSON object of the kind asked for, or a BadReplyError naming the URL. */
export function parseObject(res: RestResponse, kind: string, what: string): Record<string, unknown> {
  const bad = (why: string) => new BadReplyError(`${what} failed: ${why}`)
  if (res.body === undefined) throw bad(res.notJson !== undefined ? `the reply is not JSON (it starts ${replyStart(res.notJson)})` : 'the reply is empty')
  const b = res.body
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw bad(`the reply is ${describe(b)}, not an object`)
  const k = (b as {kind?: unknown}).kind
  if (k !== kind) throw bad(`the reply is not a ${kind} (kind ${typeof k === 'string' ? JSON.stringify(safe(k)) : k === undefined ? 'missing' : describe(k)})`)
  return b as Record<string, unknown>
}

/** An object name as the API server takes it (a DNS subdomain): anything else is never asked for. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/

/**
 * The Secrets the input names (namespace/name), each read by name, never listed: Ingress TLS, the certificateRefs of
 * Gateway and ListenerSet listeners (their own namespace or another), Services' vipctl.io/backend-ca.
 */
export function wantedSecrets(snap: Snapshot): string[] {
  const wanted = new Set<string>()
  const add = (ns: string | undefined, name: string) => OBJECT_NAME.test(name) && wanted.add(`${ns ?? 'default'}/${name}`)
  for (const ing of snap.ingresses) for (const t of ing.spec.tls ?? []) if (t.secretName) add(ing.metadata.namespace, t.secretName)
  for (const o of [...snap.gateways, ...snap.listenerSets])
    for (const l of o.spec.listeners) for (const ref of l.tls?.certificateRefs ?? []) if (ref.group === '' && ref.kind === 'Secret') add(ref.namespace ?? o.metadata.namespace, ref.name)
  for (const svc of snap.services) {
    const ca = svc.metadata.annotations?.['vipctl.io/backend-ca']
    if (ca) add(svc.metadata.namespace, ca)
  }
  return [...wanted].sort()
}

/** The ConfigMaps BackendTLSPolicies name for their CA (namespace/name), each read by name (never listed). */
export function wantedConfigMaps(snap: Snapshot): string[] {
  const wanted = new Set<string>()
  for (const p of snap.backendTLSPolicies) for (const r of p.spec.validation.caCertificateRefs) if (r.group === '' && r.kind === 'ConfigMap' && OBJECT_NAME.test(r.name)) wanted.add(`${p.metadata.namespace}/${r.name}`)
  return [...wanted].sort()
}

/**
 * GETs each object of `keys` (namespace/name): the ones there, by key. 404 is left for the model to report, 403 is
 * VIP1005; any other reply throws (never read as "not there").
 */
export async function readByName(client: RestClient, snap: Snapshot, kind: 'Secret' | 'ConfigMap', keys: Iterable<string>): Promise<Map<string, unknown>> {
  const resource = kind === 'Secret' ? 'secrets' : 'configmaps'
  const out = new Map<string, unknown>()
  for (const key of keys) {
    const [ns, name] = key.split('/') as [string, string]
    const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/${resource}/${encodeURIComponent(name)}`
    const res = await client.get(path)
    if (res.status === 200) out.set(key, parseObject(res, kind, `get of ${kind} ${safe(key)} from ${client.server}${path}`))
    else if (res.status === 403) snap.diagnostics.push({severity: severityOf('VIP1005'), code: 'VIP1005', object: `${kind}/${key}`, message: `not readable (403): ${client.user} needs "get" on this ${kind}`})
    else if (res.status !== 404) throw statusError(res, {verb: 'get', resource, namespace: ns, name}, client.server, client.user)
  }
  return out
}

async function assertNamespace(client: RestClient, namespace: string): Promise<void> {
  const res = await client.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}`)
  if (res.status === 404) throw statusError(res, {verb: 'get', resource: 'namespaces', name: namespace}, client.server, client.user)
}

/**
 * The start of a reply that is not JSON, for a message: at most 40 characters (code points) of its printable
 * form (kube-rest's notJson is printable already; printable() again changes nothing then), cut before an escape
 * such as \x1b rather than through it, in double quotes (quotes inside escaped).
 */
export function replyStart(notJson: string): string {
  let text = printable(notJson)
  // By code points: a character outside the BMP (an emoji) is never halved.
  const chars = Array.from(text)
  if (chars.length > 40) text = `${chars.slice(0, 40).join('').replace(/\\(?:x[0-9a-f]?|u(?:\{[0-9a-f]*|[0-9a-f]{0,3})?)?$/, '')}...`
  return `"${text.replaceAll('"', '\\"')}"`
}
