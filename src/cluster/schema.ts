/**
 * Validation of the objects vipctl reads, with the API server's own name and
 * port grammars. Offline manifests never went through the API server, so they
 * are checked here; live objects pass the same schemas (cheap, and it keeps the
 * model's input one type). Unknown fields are dropped: we keep only what we use.
 */
import {ipFamily} from '../core/address.js'
import {z} from 'zod'
import {printable, printableShort} from '../core/printable.js'
import type {Workload} from './types.js'
import {gatewaySchemas} from './gateway-schema.js'

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const IANA_SVC_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
/** Ingress host: a DNS subdomain, optionally with one leading wildcard label. */
const INGRESS_HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export const dns1123Label = z.string().max(63).regex(DNS1123_LABEL, 'must be a DNS-1123 label (lower-case alphanumerics and "-", at most 63)')
export const dns1123Subdomain = z
  .string()
  .max(253)
  .regex(DNS1123_SUBDOMAIN, 'must be a DNS-1123 subdomain (lower-case alphanumerics, "-" and ".", at most 253)')
export const dns1035Label = z
  .string()
  .max(63)
  .regex(DNS1035_LABEL, 'must be a DNS-1035 label (start with a letter; lower-case alphanumerics and "-", at most 63)')
export const portName = z
  .string()
  .max(15, 'port names are at most 15 characters')
  .regex(IANA_SVC_NAME, 'must be an IANA service name (lower-case alphanumerics and "-")')
  .refine((s) => /[a-z]/.test(s) && !s.includes('--'), 'must contain a letter and no "--"')
export const portNumber = z.number().int('must be an integer').min(1, 'must be 1-65535').max(65535, 'must be 1-65535')
/** A plain IP address; IPv6 zone ids ("%eth0") are refused: node's isIP accepts any text after "%". */
export const ipAddress = z.string().refine((s) => ipFamily(s) !== 0 && !s.includes('%'), 'must be an IPv4 or IPv6 address (no zone id)')
export const ingressHost = z
  .string()
  .max(253)
  .regex(INGRESS_HOST, 'must be a DNS name, optionally starting with "*."')
  .refine((h) => ipFamily(h) === 0, 'must be a DNS name, not an IP address')

/** RFC 3339 as the API server writes it (UTC "Z" or an offset), and a real date: claims are decided by it. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
export const timestamp = z
  .string()
  .max(64)
  .refine((s) => {
    const m = RFC3339.exec(s)
    if (!m) return false
    const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!))
    return d.getUTCMonth() === +m[2]! - 1 && d.getUTCDate() === +m[3]! && +m[4]! < 24 && +m[5]! < 60 && +m[6]! < 61
  }, 'must be an RFC 3339 time with a zone, e.g. 2026-01-02T03:04:05Z')

const labels = z.record(
  z.string().max(316).regex(QUALIFIED_NAME, 'label keys must be qualified names'),
  z.string().max(63).regex(LABEL_VALUE, 'label values are at most 63 alphanumerics, "-", "_", "."'),
)
const annotations = z
  .record(z.string().max(316).regex(QUALIFIED_NAME, 'annotation keys must be qualified names'), z.string())
  .refine((a) => Object.entries(a).reduce((n, [k, v]) => n + k.length + v.length, 0) <= 256 * 1024, 'annotations exceed 256 KiB')

function meta(nameSchema: z.ZodString | z.ZodEffects<z.ZodString>, namespaced: boolean) {
  return z.object({
    name: nameSchema,
    namespace: namespaced ? dns1123Label.default('default') : z.undefined({message: 'is not allowed on a cluster-scoped object'}).optional(),
    uid: z.string().max(128).optional(),
    resourceVersion: z.string().max(64).optional(),
    creationTimestamp: timestamp.optional(),
    labels: labels.optional(),
    annotations: annotations.optional(),
  })
}

const intOrName = z.union([portNumber, portName])

const serviceSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: meta(dns1035Label, true),
  spec: z
    .object({
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
      clusterIP: z.union([ipAddress, z.literal('None'), z.literal('')]).optional(),
      clusterIPs: z.array(z.union([ipAddress, z.literal('None')])).optional(),
      selector: labels.optional(),
      ports: z
        .array(
          z.object({
            name: portName.optional(),
            protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
            port: portNumber,
            targetPort: intOrName.optional(),
            nodePort: z.number().int().min(1).max(65535).optional(),
            appProtocol: z.string().max(253).optional(),
          }),
        )
        // As the API server: port names are unique, and so is each port number per protocol.
        .superRefine((ports, ctx) => {
          const names = new Set<string>()
          const numbers = new Set<string>()
          ports.forEach((p, i) => {
            if (p.name !== undefined && names.has(p.name)) ctx.addIssue({code: 'custom', path: [i, 'name'], message: `duplicate port name ${p.name}`})
            if (p.name !== undefined) names.add(p.name)
            const k = `${p.port}/${p.protocol ?? 'TCP'}`
            if (numbers.has(k)) ctx.addIssue({code: 'custom', path: [i, 'port'], message: `duplicate port ${k}`})
            numbers.add(k)
          })
        })
        .optional(),
      loadBalancerIP: z.union([ipAddress, z.literal('')]).optional(),
      loadBalancerClass: z.string().max(316).regex(QUALIFIED_NAME).optional(),
      loadBalancerSourceRanges: z.array(z.string().max(64)).max(1000).optional(),
      externalName: z.string().max(253).optional(),
      publishNotReadyAddresses: z.boolean().optional(),
      sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
      // Kubernetes: 1-86400 seconds, default 10800 (3 h).
      sessionAffinityConfig: z.object({clientIP: z.object({timeoutSeconds: z.number().int().min(1).max(86400).optional()}).optional()}).optional(),
    })
    .default({}),
  status: z
    .object({loadBalancer: z.object({ingress: z.array(z.object({ip: ipAddress.optional(), hostname: z.string().optional()})).optional()}).optional()})
    .optional(),
})

const nullToUndefined = (v: unknown) => (v === null ? undefined : v)

const endpointSliceSchema = z.object({
  apiVersion: z.literal('discovery.k8s.io/v1'),
  kind: z.literal('EndpointSlice'),
  metadata: meta(dns1123Subdomain, true),
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
  // The API server sends null (not []) for a slice with no endpoints yet, and for no ports.
  endpoints: z.preprocess(nullToUndefined, z
    .array(
      z.object({
        addresses: z.array(z.string().max(253)).min(1).max(100),
        conditions: z.object({ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional()}).optional(),
        nodeName: dns1123Subdomain.optional(),
        zone: z.string().max(63).optional(),
        targetRef: z.object({kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional()}).optional(),
      }),
    )
    .max(1000)
    .optional()),
  ports: z.preprocess(nullToUndefined, z
    .array(z.object({name: z.string().max(15).optional(), port: portNumber.optional(), protocol: z.string().optional(), appProtocol: z.string().optional()}))
    .max(100)
    .optional()),
})

const backendSchema = z.object({
  service: z
    .object({
      name: dns1035Label,
      port: z.object({name: portName.optional(), number: portNumber.optional()}).optional(),
    })
    .optional(),
  resource: z.object({apiGroup: z.string().optional(), kind: z.string(), name: z.string()}).optional(),
})

const ingressSchema = z.object({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('Ingress'),
  metadata: meta(dns1123Subdomain, true),
  spec: z
    .object({
      ingressClassName: dns1123Subdomain.optional(),
      defaultBackend: backendSchema.optional(),
      tls: z.array(z.object({hosts: z.array(ingressHost).optional(), secretName: dns1123Subdomain.optional()})).optional(),
      rules: z
        .array(
          z.object({
            host: ingressHost.optional(),
            http: z
              .object({
                paths: z.array(
                  z.object({
                    path: z.string().max(2048).optional(),
                    pathType: z.enum(['Exact', 'Prefix', 'ImplementationSpecific']),
                    backend: backendSchema,
                  }),
                ),
              })
              .optional(),
          }),
        )
        .optional(),
    })
    .default({}),
  status: z
    .object({loadBalancer: z.object({ingress: z.array(z.object({ip: ipAddress.optional(), hostname: z.string().optional()})).optional()}).optional()})
    .optional(),
})

const ingressClassSchema = z.object({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('IngressClass'),
  metadata: meta(dns1123Subdomain, false),
  spec: z.object({controller: z.string().max(250).optional(), parameters: z.unknown().optional()}).default({}),
})

const probeSchema = z.object({
  httpGet: z
    .object({
      path: z.string().max(2048).optional(),
      port: intOrName,
      scheme: z.enum(['HTTP', 'HTTPS']).optional(),
      host: z.string().max(253).optional(),
      httpHeaders: z.array(z.object({name: z.string().max(256), value: z.string().max(4096)})).max(64).optional(),
    })
    .optional(),
  // Kept only to say what the proxy checks instead (it cannot run a command or speak gRPC health).
  exec: z.object({}).passthrough().optional(),
  grpc: z.object({port: portNumber, service: z.string().max(253).optional()}).optional(),
  tcpSocket: z.object({port: intOrName}).optional(),
  periodSeconds: z.number().int().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  successThreshold: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
})

const containersSchema = z.array(
  z.object({
    name: dns1123Label,
    image: z.string().optional(),
    ports: z.array(z.object({name: portName.optional(), containerPort: portNumber, protocol: z.string().optional()})).optional(),
    readinessProbe: probeSchema.optional(),
  }),
)

const podSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: meta(dns1123Subdomain, true),
  spec: z.object({
    nodeName: dns1123Subdomain.optional(),
    containers: containersSchema,
  }),
  status: z
    .object({
      phase: z.string().optional(),
      podIP: ipAddress.optional(),
      podIPs: z.array(z.object({ip: ipAddress})).optional(),
      hostIP: ipAddress.optional(),
      conditions: z
        .array(z.object({type: z.string(), status: z.enum(['True', 'False', 'Unknown']), reason: z.string().optional(), message: z.string().optional()}))
        .optional(),
    })
    .optional(),
})

const nodeSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Node'),
  metadata: meta(dns1123Subdomain, false),
  status: z.object({addresses: z.array(z.object({type: z.string(), address: z.string()})).optional()}).optional(),
})

/** Secrets are checked on their metadata and type only; data is handled by the caller and never kept raw. */
const secretSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: meta(dns1123Subdomain, true),
  type: z.string().max(253).default('Opaque'),
})

const templateSchema = z.object({metadata: z.object({labels: labels.optional()}).default({}), spec: z.object({containers: containersSchema.min(1, 'a pod template needs at least one container')})})
const replicas = z.number().int().min(0).max(2_147_483_647)
const owners = z.array(z.object({kind: z.string().max(63), name: z.string().max(253), controller: z.boolean().optional()})).optional()

/**
 * A workload schema: metadata, the count field and the pod template at `path` (below spec), turned into a
 * Workload. `count` names the field holding the number of Pods (undefined: one per Node).
 */
function workloadSchema(apiVersion: string, kind: Workload['kind'], count: 'replicas' | 'parallelism' | undefined, cron = false) {
  const body = z.object({...(count ? {[count]: replicas.optional()} : {}), template: templateSchema})
  return z
    .object({
      apiVersion: z.literal(apiVersion),
      kind: z.literal(kind),
      metadata: meta(dns1123Subdomain, true).extend({ownerReferences: owners}),
      spec: cron ? z.object({jobTemplate: z.object({spec: body})}) : body,
    })
    .transform((w): Workload => {
      const spec = (cron ? (w.spec as {jobTemplate: {spec: z.infer<typeof body>}}).jobTemplate.spec : w.spec) as Record<string, unknown> & {template: z.infer<typeof templateSchema>}
      const {ownerReferences, ...metadata} = w.metadata
      const owner = ownerReferences?.find((o) => o.controller) ?? ownerReferences?.[0]
      return {
        apiVersion,
        kind,
        metadata,
        ...(count ? {replicas: (spec[count] as number | undefined) ?? 1} : {}),
        template: {labels: spec.template.metadata.labels ?? {}, containers: spec.template.spec.containers},
        containersField: `spec.${cron ? 'jobTemplate.spec.' : ''}template.spec.containers`,
        ...(owner ? {owner: {kind: owner.kind, name: owner.name}} : {}),
      }
    })
}

/** apiVersion/kind -> schema for the kinds vipctl reads. */
export const SCHEMAS = {
  'v1/Service': serviceSchema,
  'discovery.k8s.io/v1/EndpointSlice': endpointSliceSchema,
  'networking.k8s.io/v1/Ingress': ingressSchema,
  'networking.k8s.io/v1/IngressClass': ingressClassSchema,
  'v1/Pod': podSchema,
  'v1/Node': nodeSchema,
  'v1/Namespace': z.object({apiVersion: z.literal('v1'), kind: z.literal('Namespace'), metadata: meta(dns1123Label, false)}),
  'v1/Secret': secretSchema,
  'apps/v1/Deployment': workloadSchema('apps/v1', 'Deployment', 'replicas'),
  'apps/v1/StatefulSet': workloadSchema('apps/v1', 'StatefulSet', 'replicas'),
  'apps/v1/DaemonSet': workloadSchema('apps/v1', 'DaemonSet', undefined),
  'apps/v1/ReplicaSet': workloadSchema('apps/v1', 'ReplicaSet', 'replicas'),
  'v1/ReplicationController': workloadSchema('v1', 'ReplicationController', 'replicas'),
  'batch/v1/Job': workloadSchema('batch/v1', 'Job', 'parallelism'),
  'batch/v1/CronJob': workloadSchema('batch/v1', 'CronJob', 'parallelism', true),
  ...gatewaySchemas((namespaced) => meta(dns1123Subdomain, namespaced)),
} as Record<string, z.ZodTypeAny>

/** Kinds vipctl reads, in apiVersions the API server no longer serves: the version to use instead (and since when). */
export const REMOVED_VERSIONS: Record<string, {use: string; removedIn: string}> = {
  'extensions/v1beta1/Ingress': {use: 'networking.k8s.io/v1', removedIn: '1.22'},
  'networking.k8s.io/v1beta1/Ingress': {use: 'networking.k8s.io/v1', removedIn: '1.22'},
  'networking.k8s.io/v1beta1/IngressClass': {use: 'networking.k8s.io/v1', removedIn: '1.22'},
  'discovery.k8s.io/v1beta1/EndpointSlice': {use: 'discovery.k8s.io/v1', removedIn: '1.25'},
  'extensions/v1beta1/Deployment': {use: 'apps/v1', removedIn: '1.16'},
  'apps/v1beta1/Deployment': {use: 'apps/v1', removedIn: '1.16'},
  'apps/v1beta2/Deployment': {use: 'apps/v1', removedIn: '1.16'},
  'apps/v1beta1/StatefulSet': {use: 'apps/v1', removedIn: '1.16'},
  'apps/v1beta2/StatefulSet': {use: 'apps/v1', removedIn: '1.16'},
  'extensions/v1beta1/DaemonSet': {use: 'apps/v1', removedIn: '1.16'},
  'apps/v1beta2/DaemonSet': {use: 'apps/v1', removedIn: '1.16'},
  'extensions/v1beta1/ReplicaSet': {use: 'apps/v1', removedIn: '1.16'},
  'apps/v1beta2/ReplicaSet': {use: 'apps/v1', removedIn: '1.16'},
  'batch/v1beta1/CronJob': {use: 'batch/v1', removedIn: '1.25'},
  'batch/v2alpha1/CronJob': {use: 'batch/v1', removedIn: '1.21'},
}

/** The kinds vipctl reads (in any apiVersion): another apiVersion of one of these is a finding, never a silent skip. */
export const READ_KINDS = new Set(Object.keys(SCHEMAS).map((k) => k.slice(k.lastIndexOf('/') + 1)))


export type SchemaKey = string

/**
 * Renders a zod issue path as a field path: spec.ports[0].port. Map keys in it
 * (label and annotation keys) come from the object: made printable and bounded.
 */
export function fieldPath(path: ReadonlyArray<string | number>): string {
  let out = ''
  for (const p of path) {
    const seg = typeof p === 'number' ? p : printableShort(p, 100)
    out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`
  }
  return out
}

/**
 * A zod issue as a message. zod's own enum message echoes the value it got
 * ("received '...'"): here the value is quoted printable and bounded.
 */
export function issueMessage(issue: z.ZodIssue): string {
  if (issue.code === 'invalid_enum_value')
    return `must be one of ${issue.options.map(String).join(', ')} (got "${printableShort(String(issue.received), 60)}")`
  return printable(issue.message)
}
