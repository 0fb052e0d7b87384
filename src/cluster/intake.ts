/**
 * Intake: raw objects (parsed from manifests or returned by the API server) ->
 * validated, typed objects in a Snapshot. One bad object is reported with the
 * field that is wrong and left out; the rest still load.
 */
import type {AnyObject, Diagnostic, Origin, SecretMeta, Snapshot} from './types.js'
import {SecretBytes, objectKey} from './types.js'
import {READ_KINDS, REMOVED_VERSIONS, SCHEMAS, fieldPath, issueMessage, type SchemaKey} from './schema.js'
import {printableShort} from '../core/printable.js'
import {severityOf} from '../core/catalog.js'

const HOOK_KINDS = new Set(['Job', 'CronJob', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController'])

/** Keys that could pollute prototypes if some later stage merged objects naively. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const CLUSTER_SCOPED = new Set(['Node', 'IngressClass', 'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'GatewayClass'])

export interface IntakeResult {
  object?: AnyObject
  diagnostic?: Diagnostic
  /** "apiVersion/kind" of an object of a kind vipctl does not read: skipped, counted, no finding. */
  skipped?: string
}

/** Describes an object for messages even when it is malformed. */
export function describeRaw(raw: unknown): string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return '(not an object)'
  const r = raw as Record<string, unknown>
  const kind = typeof r.kind === 'string' ? safe(r.kind) : '(no kind)'
  const m = (r.metadata ?? {}) as Record<string, unknown>
  const name = typeof m.name === 'string' ? safe(m.name) : '(no name)'
  if (typeof m.namespace === 'string') return `${kind}/${safe(m.namespace)}/${name}`
  // As the API server would: namespaced kinds without a namespace land in "default".
  return CLUSTER_SCOPED.has(kind) ? `${kind}/${name}` : `${kind}/default/${name}`
}

/**
 * Printable, bounded form of untrusted text for messages (no control chars, no
 * line breaks): the one printable function (src/output/printable.ts), cut at 80.
 */
export function safe(s: string): string {
  return printableShort(s, 80)
}

function findForbiddenKey(value: unknown, path: Array<string | number>, depth = 0): Array<string | number> | undefined {
  if (depth > 64) return path
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findForbiddenKey(value[i], [...path, i], depth + 1)
      if (hit) return hit
    }
  } else if (value !== null && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(k)) return [...path, k]
      const hit = findForbiddenKey((value as Record<string, unknown>)[k], [...path, k], depth + 1)
      if (hit) return hit
    }
  }
  return undefined
}

/**
 * Validates one raw object. Exactly one of object, diagnostic or skipped is set: a kind vipctl does not read
 * (a ConfigMap, RBAC of any version, a custom resource) is skipped; a kind it reads in a removed apiVersion
 * (extensions/v1beta1 Ingress) is VIP1006 naming the replacement; another version of a kind it reads in the
 * same API group (a typo such as apps/v2) is VIP1003.
 */
export function intakeObject(raw: unknown, origin: Origin): IntakeResult {
  const bad = (field: string | undefined, message: string, code = 'VIP1001'): IntakeResult => ({
    diagnostic: {severity: severityOf(code), code, object: describeRaw(raw), field, message, origin},
  })
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad(undefined, 'a manifest document must be a mapping (an object)')
  const r = raw as Record<string, unknown>
  const forbidden = findForbiddenKey(r, [])
  if (forbidden) return bad(fieldPath(forbidden), 'key is not allowed (prototype keys and nesting deeper than 64 are rejected)', 'VIP1002')
  if (typeof r.apiVersion !== 'string' || r.apiVersion === '') return bad('apiVersion', 'is required')
  if (typeof r.kind !== 'string' || r.kind === '') return bad('kind', 'is required')
  const key = `${r.apiVersion}/${r.kind}`
  // A Pod or workload helm runs as a hook (tests, migrations; helm template includes them) never serves a Service.
  const hook = (r.metadata as {annotations?: Record<string, unknown> | null} | undefined)?.annotations?.['helm.sh/hook']
  if (hook !== undefined && hook !== null && (key === 'v1/Pod' || HOOK_KINDS.has(r.kind))) return {skipped: `${printableShort(key, 120)} (helm hook)`}
  if (!(key in SCHEMAS)) {
    const removed = REMOVED_VERSIONS[key]
    if (removed) return bad('apiVersion', `${safe(r.apiVersion)} ${safe(r.kind)} was removed in Kubernetes ${removed.removedIn}; use ${removed.use} (the object is not read)`, 'VIP1006')
    const group = (v: string) => (v.includes('/') ? v.slice(0, v.lastIndexOf('/')) : '')
    const ours = Object.keys(SCHEMAS).find((k) => k.endsWith(`/${r.kind}`) && group(k.slice(0, k.lastIndexOf('/'))) === group(r.apiVersion as string))
    if (READ_KINDS.has(r.kind) && ours) return bad('apiVersion', `${safe(r.apiVersion)} is not an apiVersion of ${safe(r.kind)} vipctl reads (${ours.slice(0, ours.lastIndexOf('/'))}); the object is not read`, 'VIP1003')
    return {skipped: printableShort(key, 120)}
  }
  // The API server treats an explicit null as an absent field (kubectl's dry-run output has creationTimestamp: null).
  const parsed = SCHEMAS[key as SchemaKey]!.safeParse(withoutNulls(r))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return bad(fieldPath(issue.path), issueMessage(issue))
  }
  const obj = parsed.data as unknown as AnyObject
  if (obj.kind === 'Secret') return secretFromRaw(obj, r, origin)
  return {object: obj}
}

/** The object with every null-valued property left out, recursively (array items are kept as they are). */
function withoutNulls(v: unknown, depth = 0): unknown {
  if (depth > 64 || v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map((x) => (x !== null && typeof x === 'object' ? withoutNulls(x, depth + 1) : x))
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x, depth + 1)
  return out
}

/** Keeps a Secret's type, key names and sizes; TLS material only for kubernetes.io/tls, and ca.crt, redacted. */
function secretFromRaw(meta: AnyObject, raw: Record<string, unknown>, origin: Origin): IntakeResult {
  const keys: Record<string, number> = {}
  const bytes = new Map<string, Buffer>()
  const data = raw.data
  const stringData = raw.stringData
  const describe = describeRaw(raw)
  for (const [field, src, decode] of [
    ['data', data, (v: string) => Buffer.from(v, 'base64')],
    ['stringData', stringData, (v: string) => Buffer.from(v, 'utf8')],
  ] as const) {
    if (src === undefined || src === null) continue
    if (src === null || typeof src !== 'object' || Array.isArray(src))
      return {diagnostic: {severity: severityOf('VIP1001'), code: 'VIP1001', object: describe, field, message: 'must be a map of key to value', origin}}
    for (const [k, v] of Object.entries(src)) {
      if (!/^[-._a-zA-Z0-9]{1,253}$/.test(k))
        return {diagnostic: {severity: severityOf('VIP1001'), code: 'VIP1001', object: describe, field: `${field}.${safe(k)}`, message: 'secret keys are alphanumerics, "-", "_" and "."', origin}}
      if (typeof v !== 'string')
        return {diagnostic: {severity: severityOf('VIP1001'), code: 'VIP1001', object: describe, field: `${field}.${k}`, message: 'must be a string', origin}}
      if (field === 'data' && !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(v))
        return {diagnostic: {severity: severityOf('VIP1001'), code: 'VIP1001', object: describe, field: `${field}.${k}`, message: 'is not valid base64', origin}}
      const b = decode(v)
      keys[k] = b.length
      bytes.set(k, b)
    }
  }
  const secret: SecretMeta = {...(meta as SecretMeta), keys}
  const crt = bytes.get('tls.crt')
  const key = bytes.get('tls.key')
  if (secret.type === 'kubernetes.io/tls' && crt && key) secret.tls = {cert: new SecretBytes(crt), key: new SecretBytes(key)}
  const ca = bytes.get('ca.crt')
  if (ca) secret.ca = new SecretBytes(ca)
  return {object: secret}
}

/** Adds a validated object to a snapshot, rejecting a second object with the same kind/namespace/name. */
export function addToSnapshot(snap: Snapshot, obj: AnyObject, origin: Origin): Diagnostic | undefined {
  const k = objectKey(obj)
  if (snap.origins.has(k)) {
    return {severity: severityOf('VIP1004'), code: 'VIP1004', object: k, message: 'defined more than once; the first definition is used', origin}
  }
  snap.origins.set(k, origin)
  switch (obj.kind) {
    case 'Service':
      snap.services.push(obj)
      break
    case 'EndpointSlice':
      snap.endpointSlices.push(obj)
      break
    case 'Ingress':
      snap.ingresses.push(obj)
      break
    case 'IngressClass':
      snap.ingressClasses.push(obj)
      break
    case 'Pod':
      snap.pods.push(obj)
      break
    case 'Node':
      snap.nodes.push(obj)
      break
    case 'Secret':
      snap.secrets.push(obj)
      break
    case 'Namespace':
      snap.namespaces.push(obj)
      break
    case 'GatewayClass':
      snap.gatewayClasses.push(obj)
      break
    case 'Gateway':
      snap.gateways.push(obj)
      break
    case 'HTTPRoute':
      snap.httpRoutes.push(obj)
      break
    case 'TCPRoute':
      snap.tcpRoutes.push(obj)
      break
    case 'TLSRoute':
      snap.tlsRoutes.push(obj)
      break
    case 'BackendTLSPolicy':
      snap.backendTLSPolicies.push(obj)
      break
    case 'ConfigMap':
      snap.configMaps.push(obj)
      break
    case 'ReferenceGrant':
      snap.referenceGrants.push(obj)
      break
    case 'GRPCRoute':
      snap.grpcRoutes.push(obj)
      break
    case 'UDPRoute':
      snap.udpRoutes.push(obj)
      break
    case 'ListenerSet':
      snap.listenerSets.push(obj)
      break
    default:
      snap.workloads.push(obj)
  }
  return undefined
}

/** Sorts every list by namespace/name so the same input always gives the same snapshot order. */
export function sortSnapshot(snap: Snapshot): Snapshot {
  const by = (a: AnyObject, b: AnyObject) =>
    (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name)
  snap.services.sort(by)
  snap.endpointSlices.sort(by)
  snap.ingresses.sort(by)
  snap.ingressClasses.sort(by)
  snap.pods.sort(by)
  snap.nodes.sort(by)
  snap.secrets.sort(by)
  snap.workloads.sort((a, b) => by(a, b) || a.kind.localeCompare(b.kind))
  for (const list of [snap.namespaces, snap.gatewayClasses, snap.gateways, snap.listenerSets, snap.httpRoutes, snap.grpcRoutes, snap.tcpRoutes, snap.tlsRoutes, snap.udpRoutes, snap.backendTLSPolicies, snap.configMaps, snap.referenceGrants]) (list as AnyObject[]).sort(by)
  return snap
}
