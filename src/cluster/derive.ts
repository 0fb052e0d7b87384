/**
 * Offline only: when a Service has no EndpointSlice in the input, derive its
 * endpoints from the Pods its selector matches, as the EndpointSlice controller
 * would, and mark the result as derived.
 */
import {ipFamily} from '../core/address.js'
import type {Container, EndpointSlice, Pod, Service, Snapshot, Workload} from './types.js'
import {objectKey} from './types.js'

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by'
/** managed-by value on slices vipctl derived from Pods (offline input without EndpointSlices). */
export const DERIVED_MANAGER = 'vipctl.io/derived'

export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v)
}

/** Ready as the kubelet reports it: the Ready condition, or phase Running when conditions are absent. */
export function podReady(pod: Pod): boolean {
  const cond = pod.status?.conditions?.find((c) => c.type === 'Ready')
  if (cond) return cond.status === 'True'
  return pod.status?.phase === 'Running'
}

export function podTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed'
}

/** Resolves a Service port's targetPort on one Pod: a number, or a named container port. */
export function resolveTargetPort(pod: Pod, target: number | string | undefined, port: number): number | undefined {
  return resolveIn(pod.spec.containers, target, port)
}

/** Resolves a targetPort against containers (a Pod's or a pod template's). */
export function resolveIn(containers: Container[], target: number | string | undefined, port: number): number | undefined {
  if (target === undefined) return port
  if (typeof target === 'number') return target
  for (const c of containers) for (const p of c.ports ?? []) if (p.name === target) return p.containerPort
  return undefined
}

/** Containers that serve, or will serve, a Service: a Pod's, or a workload's pod template; findings name `field` under `object`. */
export interface ContainerSource {
  /** kind/namespace/name */
  object: string
  /** Where the containers are in that object: spec.containers, spec.template.spec.containers, ... */
  field: string
  containers: Container[]
}

export const podSource = (p: Pod): ContainerSource => ({object: objectKey(p), field: 'spec.containers', containers: p.spec.containers})
export const templateSource = (w: Workload): ContainerSource => ({object: objectKey(w), field: w.containersField, containers: w.template.containers})

/**
 * The workloads whose pod template a Service selects, in its namespace. A workload owned by another one that
 * also matches (a Deployment's ReplicaSet, a CronJob's Job) is left out: its Pods are the owner's.
 */
export function workloadsFor(svc: Service, workloads: Workload[]): Workload[] {
  const ns = svc.metadata.namespace
  const matching = workloads.filter((w) => w.metadata.namespace === ns && selectorMatches(svc.spec.selector, w.template.labels))
  const names = new Set(matching.map((w) => `${w.kind}/${w.metadata.name}`))
  return matching.filter((w) => !w.owner || !names.has(`${w.owner.kind}/${w.owner.name}`))
}

export function deriveEndpointSlices(snap: Snapshot): void {
  const hasSlice = new Set(snap.endpointSlices.map((s) => `${s.metadata.namespace}/${s.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`))
  for (const svc of snap.services) {
    if (svc.spec.type === 'ExternalName' || !svc.spec.selector) continue
    if (hasSlice.has(`${svc.metadata.namespace}/${svc.metadata.name}`)) continue
    for (const slice of deriveForService(svc, snap.pods)) snap.endpointSlices.push(slice)
  }
}

function deriveForService(svc: Service, pods: Pod[]): EndpointSlice[] {
  const ns = svc.metadata.namespace
  const selected = pods.filter(
    (p) => p.metadata.namespace === ns && selectorMatches(svc.spec.selector, p.metadata.labels) && !podTerminal(p) && p.status?.podIP,
  )
  // Pods that resolve named ports differently land in different slices, as with the controller.
  const groups = new Map<string, {ports: EndpointSlice['ports']; pods: Pod[]}>()
  for (const pod of selected) {
    const ports = (svc.spec.ports ?? []).map((sp) => ({
      name: sp.name ?? '',
      port: resolveTargetPort(pod, sp.targetPort, sp.port),
      protocol: sp.protocol ?? 'TCP',
    }))
    const key = JSON.stringify(ports) + (ipFamily(pod.status!.podIP!) === 6 ? '6' : '4')
    const g = groups.get(key) ?? {ports: ports.filter((p) => p.port !== undefined), pods: [] as Pod[]}
    g.pods.push(pod)
    groups.set(key, g)
  }
  let n = 0
  return [...groups.entries()].map(([key, g]) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice' as const,
    metadata: {
      name: `${svc.metadata.name}-derived-${n++}`,
      namespace: ns,
      labels: {[SERVICE_NAME_LABEL]: svc.metadata.name, [MANAGED_BY_LABEL]: DERIVED_MANAGER},
    },
    addressType: key.endsWith('6') ? ('IPv6' as const) : ('IPv4' as const),
    ports: g.ports,
    endpoints: g.pods.map((p) => ({
      addresses: [p.status!.podIP!],
      conditions: {ready: podReady(p), serving: podReady(p), terminating: false},
      nodeName: p.spec.nodeName,
      targetRef: {kind: 'Pod', name: p.metadata.name, namespace: ns},
    })),
  }))
}
