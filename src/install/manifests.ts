/**
 * `vipctl install`: the per-node deployment as typed objects. A DaemonSet runs
 * HAProxy and `vipctl sync` side by side (shared emptyDirs for the config and
 * the sockets, host networking; NET_ADMIN only on sync and only when it keeps
 * VIP rules; NET_BIND_SERVICE in sync's bounding set for the `haproxy -c` it runs), with a ServiceAccount and least-privilege RBAC: get/list/watch on
 * what sync reads, Secrets by `get` only (never list or watch), cluster-wide or
 * in the namespaces given, `update` on the status subresources the leader writes,
 * and the one status Lease in the install namespace; and the IngressClass `vipctl`.
 */
import {parseListenAddress, parseVipAllow} from '../model/ip.js'
import {UsageError} from '../errors.js'
import {CONTROLLER_NAME, DEFAULT_CLASS} from '../model/build.js'

export interface InstallOptions {
  namespace: string
  image: string
  haproxyImage: string
  /** Namespaces whose TLS Secrets sync may get by name; empty: every namespace (get only). */
  secretNamespaces: string[]
  vipRules: boolean
  vipMode: 'bind' | 'dnat'
  /** Where sync serves /healthz, /readyz and /metrics (--sync-metrics-address). */
  syncMetrics: {host: string; port: number}
  /** With --vip-rules --mode dnat: the node address HAProxy listens on (VIP:port is translated to its ports). */
  listenAddress?: string
  /** --vip-allow for every vipctl in the Pod (the ranges objects' own VIPs must lie in); undefined: any. */
  vipAllow?: string
  version: string
}

export type K8sObject = {apiVersion: string; kind: string; metadata: {name: string; namespace?: string; labels?: Record<string, string>}} & Record<string, unknown>

const NAME = 'vipctl'
/** Where the project publishes its image (Containerfile; `npm run image` builds the same image locally). */
export const IMAGE_REPOSITORY = 'registry.vipctl.io/vipctl'
/** The published image of a vipctl version: vipctl, Node.js and HAProxy in one image. */
export const publishedImage = (version: string): string => `${IMAGE_REPOSITORY}:${version}`
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]{0,254}$/

export function validateInstall(o: InstallOptions): void {
  if (!DNS1123.test(o.namespace) || o.namespace.length > 63) throw new UsageError(`--namespace ${JSON.stringify(o.namespace)}: not a valid namespace name`)
  for (const ns of o.secretNamespaces) if (!DNS1123.test(ns) || ns.length > 63) throw new UsageError(`--secret-namespaces: ${JSON.stringify(ns)} is not a valid namespace name`)
  for (const [flag, v] of [['--image', o.image], ['--haproxy-image', o.haproxyImage]] as const) if (!IMAGE.test(v)) throw new UsageError(`${flag} ${JSON.stringify(v)}: not an image reference`)
  const dnat = o.vipRules && o.vipMode === 'dnat'
  // As the Pod's vipctl will check them: refused here, not in a crash-looping Pod.
  if (o.listenAddress !== undefined) parseListenAddress(o.listenAddress)
  if (o.vipAllow !== undefined) parseVipAllow(o.vipAllow)
  if (dnat && o.listenAddress === undefined) throw new UsageError('--vip-rules --mode dnat needs --listen-address (the node address HAProxy listens on; VIP:port is translated to its ports)')
  if (!dnat && o.listenAddress !== undefined) throw new UsageError('--listen-address is for --vip-rules --mode dnat only (in bind mode HAProxy listens on the VIPs)')
}

/** The user the Pod runs as: the image's non-root user, or root (holding one capability per container) for the VIP rules. */
export const RUN_AS_USER = 65532

/** The objects sync reads, and nothing more (reads only; Namespaces for their labels). */
export const READ_RULES = [
  {apiGroups: [''], resources: ['services', 'pods', 'nodes', 'namespaces'], verbs: ['get', 'list', 'watch']},
  {apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch']},
  {apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch']},
  {apiGroups: ['gateway.networking.k8s.io'], resources: ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants', 'grpcroutes', 'tlsroutes', 'tcproutes', 'udproutes', 'listenersets', 'backendtlspolicies'], verbs: ['get', 'list', 'watch']},
]
/** The status subresources the leader writes (replaced whole, never the objects themselves). */
export const STATUS_RULES = [
  {apiGroups: ['gateway.networking.k8s.io'], resources: ['gatewayclasses/status', 'gateways/status', 'listenersets/status', 'httproutes/status', 'grpcroutes/status', 'tcproutes/status', 'tlsroutes/status', 'udproutes/status', 'backendtlspolicies/status'], verbs: ['update']},
  {apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update']},
  {apiGroups: [''], resources: ['services/status'], verbs: ['update']},
]
/** The status Lease, in the install namespace only: created once, then read and renewed by name. */
export const LEASE_NAME = 'vipctl-status'
export const LEASE_RULES = [
  {apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create']},
  {apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [LEASE_NAME], verbs: ['get', 'update']},
]
export const SECRET_RULE = {apiGroups: [''], resources: ['secrets'], verbs: ['get']}
/** The CA bundles BackendTLSPolicies name: read by name only (never listed or watched). */
export const CONFIGMAP_RULE = {apiGroups: [''], resources: ['configmaps'], verbs: ['get']}

export function installObjects(o: InstallOptions): K8sObject[] {
  validateInstall(o)
  const labels = {'app.kubernetes.io/name': NAME, 'app.kubernetes.io/version': o.version, 'app.kubernetes.io/managed-by': 'vipctl'}
  const meta = (name: string, namespaced = true) => ({name, ...(namespaced ? {namespace: o.namespace} : {}), labels})
  const sa = {kind: 'ServiceAccount', name: NAME, namespace: o.namespace}
  const objects: K8sObject[] = [
    {apiVersion: 'v1', kind: 'Namespace', metadata: meta(o.namespace, false)},
    {apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(NAME), automountServiceAccountToken: true},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(`${NAME}-sync`, false), rules: [...READ_RULES, CONFIGMAP_RULE]},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(`${NAME}-sync`, false), roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${NAME}-sync`}, subjects: [sa]},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(`${NAME}-status`, false), rules: STATUS_RULES},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(`${NAME}-status`, false), roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${NAME}-status`}, subjects: [sa]},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(`${NAME}-lease`), rules: LEASE_RULES},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(`${NAME}-lease`), roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${NAME}-lease`}, subjects: [sa]},
    {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(`${NAME}-tls-secrets`, false), rules: [SECRET_RULE]},
  ]
  if (o.secretNamespaces.length === 0)
    objects.push({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(`${NAME}-tls-secrets`, false), roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${NAME}-tls-secrets`}, subjects: [sa]})
  else
    for (const ns of [...o.secretNamespaces].sort())
      objects.push({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: `${NAME}-tls-secrets`, namespace: ns, labels}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${NAME}-tls-secrets`}, subjects: [sa]})
  objects.push({apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: meta(DEFAULT_CLASS, false), spec: {controller: CONTROLLER_NAME}})
  objects.push(daemonSet(o, labels))
  return objects
}

function daemonSet(o: InstallOptions, labels: Record<string, string>): K8sObject {
  const volumes = [
    {name: 'config', emptyDir: {}},
    {name: 'run', emptyDir: {medium: 'Memory'}},
  ]
  const mounts = [
    {name: 'config', mountPath: '/etc/haproxy/vipctl'},
    {name: 'run', mountPath: '/run/vipctl'},
  ]
  const listen = o.listenAddress !== undefined ? ['--listen-address', o.listenAddress] : []
  const allow = o.vipAllow !== undefined ? ['--vip-allow', o.vipAllow] : []
  const dirs = ['--config-dir', '/etc/haproxy/vipctl', '--run-dir', '/run/vipctl', ...listen, ...allow]
  // apply vip takes the config directory and the listen address only (it has no use for HAProxy's run directory).
  const vipDirs = ['--config-dir', '/etc/haproxy/vipctl', ...listen, ...allow]
  const vip = o.vipRules ? ['--vip-rules', '--mode', o.vipMode] : []
  const dropAll = {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL']}}
  // sync checks every configuration with `haproxy -c` before a reload, and the image's haproxy carries the file
  // capability cap_net_bind_service=+ep: the kernel refuses (EPERM) to exec a file whose file capability is not in the
  // caller's bounding set. So sync's bounding set keeps NET_BIND_SERVICE in every mode. As uid 65532 it stays without
  // effective capabilities (only the haproxy it runs gets that one); the init containers never run haproxy.
  const syncCaps = o.vipRules ? ['NET_ADMIN', 'NET_BIND_SERVICE'] : ['NET_BIND_SERVICE']
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {name: NAME, namespace: o.namespace, labels},
    spec: {
      selector: {matchLabels: {'app.kubernetes.io/name': NAME}},
      updateStrategy: {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 1}},
      template: {
        metadata: {labels: {'app.kubernetes.io/name': NAME}},
        spec: {
          serviceAccountName: NAME,
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          priorityClassName: 'system-node-critical',
          tolerations: [{operator: 'Exists'}],
          // Non-root (the image's user, named here so that any image runs so), sharing the sockets and files of the
          // volumes. With --vip-rules, root: Kubernetes passes an added capability to a non-root process only through
          // file capabilities, which neither node nor the nft it runs can hold; every container still keeps only the
          // capabilities it uses (NET_ADMIN, NET_BIND_SERVICE) or none, and the files stay one user's.
          securityContext: o.vipRules ? {runAsUser: 0, runAsGroup: 0} : {runAsNonRoot: true, runAsUser: RUN_AS_USER, runAsGroup: RUN_AS_USER},
          volumes,
          // The first config comes from the cluster before HAProxy starts; sync keeps it current. With --vip-rules, the
          // VIP rules (and in bind mode the VIP addresses HAProxy binds) are in place before HAProxy starts, too.
          initContainers: [
            {name: 'first-config', image: o.image, args: ['generate', 'haproxy', ...dirs, '--out', '/etc/haproxy/vipctl', '-A'], volumeMounts: mounts, securityContext: dropAll},
            ...(o.vipRules
              ? [{name: 'vip-rules', image: o.image, args: ['apply', 'vip', ...vipDirs, '-A', '--mode', o.vipMode, '--yes'], volumeMounts: mounts, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL'], add: ['NET_ADMIN']}}}]
              : []),
          ],
          containers: [
            {
              name: 'haproxy',
              image: o.haproxyImage,
              command: ['haproxy', '-W', '-S', '/run/vipctl/master.sock,mode,600', '-f', '/etc/haproxy/vipctl/haproxy.cfg'],
              volumeMounts: mounts,
              securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL'], add: ['NET_BIND_SERVICE']}},
              resources: {requests: {cpu: '100m', memory: '128Mi'}},
            },
            {
              name: 'sync',
              image: o.image,
              args: ['sync', ...dirs, '--sync-metrics-address', `${o.syncMetrics.host.includes(':') ? `[${o.syncMetrics.host}]` : o.syncMetrics.host}:${o.syncMetrics.port}`, '--log-format', 'json', '-A', '--lease-name', LEASE_NAME, ...vip],
              // The status Lease lives in the Pod's namespace; the node name starts this node's identity in it.
              env: [
                {name: 'POD_NAMESPACE', valueFrom: {fieldRef: {fieldPath: 'metadata.namespace'}}},
                {name: 'NODE_NAME', valueFrom: {fieldRef: {fieldPath: 'spec.nodeName'}}},
              ],
              volumeMounts: mounts,
              securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL'], add: syncCaps}},
              readinessProbe: {httpGet: {host: o.syncMetrics.host, path: '/readyz', port: o.syncMetrics.port}, periodSeconds: 5},
              livenessProbe: {httpGet: {host: o.syncMetrics.host, path: '/healthz', port: o.syncMetrics.port}, periodSeconds: 10, failureThreshold: 6},
              resources: {requests: {cpu: '50m', memory: '96Mi'}},
            },
          ],
        },
      },
    },
  }
}

/** The REST path of an object (for server-side apply). */
export function objectPath(o: K8sObject): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion]
  const plural: Record<string, string> = {Namespace: 'namespaces', ServiceAccount: 'serviceaccounts', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', Role: 'roles', RoleBinding: 'rolebindings', IngressClass: 'ingressclasses', DaemonSet: 'daemonsets'}
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`
  const ns = o.metadata.namespace && o.kind !== 'Namespace' ? `/namespaces/${o.metadata.namespace}` : ''
  return `${base}${ns}/${plural[o.kind]}/${o.metadata.name}`
}
