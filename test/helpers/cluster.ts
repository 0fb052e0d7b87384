/**
 * The real control plane for integration tests: one per test run, started on
 * first use and stopped by the root afterAll hook (test/hooks.ts). Tests get
 * their own namespace each. Pod status is written through the status
 * subresource: we are the kubelet.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {createWriteStream, mkdtempSync, readFileSync} from 'node:fs'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {ROOT} from './cli.js'

export interface Cluster {
  kubeconfig: string
  server: string
  token: string
  viewerToken: string
  dir: string
  startupMs: number
  logFile: string
}

interface Running {
  cluster: Cluster
  child: ChildProcess
}

let starting: Promise<Running> | undefined

/** Starts the control plane once (building it if needed); fails loudly with the reason if it cannot. */
export function cluster(): Promise<Cluster> {
  starting ??= startWithRetry()
  return starting.then((r) => r.cluster)
}

export async function stopCluster(): Promise<void> {
  if (!starting) return
  const r = await starting.catch(() => undefined)
  starting = undefined
  if (!r) return
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => r.child.kill('SIGKILL'), 10_000)
    r.child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    r.child.kill('SIGTERM')
  })
}

async function startWithRetry(): Promise<Running> {
  const bin = execFileSync('bash', [path.join(ROOT, 'scripts', 'testcluster-build.sh')], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim()
  try {
    return await startOnce(bin)
  } catch (first) {
    // A port picked as free can be taken before the apiserver binds it: try once more.
    try {
      return await startOnce(bin)
    } catch (second) {
      throw new Error(`test control plane did not start: ${(first as Error).message}; retry: ${(second as Error).message}`)
    }
  }
}

/**
 * A control plane of its own (never the shared one), started with extra flags (the lab's workload controllers and
 * netns kubelet: -workload-controllers, -kubelet-node ...); `stop` ends it and everything it started.
 */
export async function labCluster(args: string[]): Promise<{cluster: Cluster; stop: () => Promise<void>}> {
  const bin = execFileSync('bash', [path.join(ROOT, 'scripts', 'testcluster-build.sh')], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim()
  const r = await startOnce(bin, args)
  const stop = () =>
    new Promise<void>((resolve) => {
      if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve()
      const kill = setTimeout(() => r.child.kill('SIGKILL'), 20_000)
      r.child.once('exit', () => {
        clearTimeout(kill)
        resolve()
      })
      r.child.kill('SIGTERM')
    })
  return {cluster: r.cluster, stop}
}

function startOnce(bin: string, args: string[] = []): Promise<Running> {
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-test-'))
  const logFile = path.join(logDir, 'testcluster.log')
  const child = spawn(bin, ['-exit-on-stdin-eof', ...args], {stdio: ['pipe', 'pipe', 'pipe']})
  child.stderr!.pipe(createWriteStream(logFile))
  return new Promise<Running>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`not ready after 120 s (log: ${logFile})`))
    }, 120_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before it was ready: ${tail(logFile)}`))
    })
    createInterface({input: child.stdout!}).once('line', (line) => {
      clearTimeout(timer)
      try {
        const ready = JSON.parse(line) as Cluster & {ready: boolean}
        if (!ready.ready) throw new Error(line)
        child.removeAllListeners('exit')
        resolve({cluster: {...ready, logFile}, child})
      } catch (error) {
        child.kill('SIGKILL')
        reject(error as Error)
      }
    })
  })
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ')
  } catch {
    return '(no log)'
  }
}

// ------------------------------------------------------------ API helpers

export interface ApiResponse {
  status: number
  body: any
}

/** A raw API call as the admin (or another token). */
export function api(c: Cluster, method: string, urlPath: string, body?: unknown, token = c.token): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(urlPath, c.server),
      {
        method,
        rejectUnauthorized: false,
        headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json'},
      },
      (res) => {
        let text = ''
        res.on('data', (d) => (text += d))
        res.on('end', () => resolve({status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined}))
      },
    )
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

const COLLECTIONS: Record<string, {prefix: string; plural: string; namespaced: boolean}> = {
  Namespace: {prefix: '/api/v1', plural: 'namespaces', namespaced: false},
  Node: {prefix: '/api/v1', plural: 'nodes', namespaced: false},
  Service: {prefix: '/api/v1', plural: 'services', namespaced: true},
  Pod: {prefix: '/api/v1', plural: 'pods', namespaced: true},
  Secret: {prefix: '/api/v1', plural: 'secrets', namespaced: true},
  ConfigMap: {prefix: '/api/v1', plural: 'configmaps', namespaced: true},
  EndpointSlice: {prefix: '/apis/discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true},
  Ingress: {prefix: '/apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true},
  IngressClass: {prefix: '/apis/networking.k8s.io/v1', plural: 'ingressclasses', namespaced: false},
  Deployment: {prefix: '/apis/apps/v1', plural: 'deployments', namespaced: true},
  Lease: {prefix: '/apis/coordination.k8s.io/v1', plural: 'leases', namespaced: true},
  GatewayClass: {prefix: '/apis/gateway.networking.k8s.io/v1', plural: 'gatewayclasses', namespaced: false},
  Gateway: {prefix: '/apis/gateway.networking.k8s.io/v1', plural: 'gateways', namespaced: true},
  HTTPRoute: {prefix: '/apis/gateway.networking.k8s.io/v1', plural: 'httproutes', namespaced: true},
  GRPCRoute: {prefix: '/apis/gateway.networking.k8s.io/v1', plural: 'grpcroutes', namespaced: true},
  ListenerSet: {prefix: '/apis/gateway.networking.k8s.io/v1', plural: 'listenersets', namespaced: true},
  BackendTLSPolicy: {prefix: '/apis/gateway.networking.k8s.io/v1', plural: 'backendtlspolicies', namespaced: true},
  ReferenceGrant: {prefix: '/apis/gateway.networking.k8s.io/v1', plural: 'referencegrants', namespaced: true},
}

export function collectionPath(kind: string, namespace?: string): string {
  const c = COLLECTIONS[kind]
  if (!c) throw new Error(`test helper: unknown kind ${kind}`)
  return c.namespaced ? `${c.prefix}/namespaces/${namespace}/${c.plural}` : `${c.prefix}/${c.plural}`
}

/**
 * Creates an object; cluster-scoped objects that already exist are left alone.
 * Pods are created without status, then their status is written as a kubelet would.
 */
export async function create(c: Cluster, obj: any): Promise<any> {
  const {status, ...spec} = obj
  const res = await api(c, 'POST', collectionPath(obj.kind, obj.metadata.namespace), obj.kind === 'Pod' ? spec : obj)
  if (res.status === 409 && !COLLECTIONS[obj.kind]!.namespaced) return res.body
  if (res.status !== 201) throw new Error(`create ${obj.kind} ${obj.metadata.name}: ${res.status} ${res.body?.message}`)
  if (obj.kind === 'Pod' && status) return writePodStatus(c, res.body, status)
  return res.body
}

/** Our simulated kubelet: PUT pods/status. */
export async function writePodStatus(c: Cluster, pod: any, status: any): Promise<any> {
  const p = `${collectionPath('Pod', pod.metadata.namespace)}/${pod.metadata.name}/status`
  const res = await api(c, 'PUT', p, {...pod, status})
  if (res.status !== 200) throw new Error(`pod status ${pod.metadata.name}: ${res.status} ${res.body?.message}`)
  return res.body
}

export function readyStatus(ip: string, ready = true, hostIP = '192.0.2.101'): any {
  const s = ready ? 'True' : 'False'
  return {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ip}],
    hostIP,
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
      type,
      status: type === 'Ready' || type === 'ContainersReady' ? s : 'True',
    })),
  }
}

let nsCounter = 0

/** A fresh namespace for one test. */
export async function createNamespace(c: Cluster, prefix = 't'): Promise<string> {
  const name = `${prefix}-${process.pid}-${++nsCounter}`
  await create(c, {apiVersion: 'v1', kind: 'Namespace', metadata: {name}})
  return name
}

export async function createNode(c: Cluster, name: string): Promise<void> {
  await create(c, {apiVersion: 'v1', kind: 'Node', metadata: {name}})
}

/** Waits until the Service's EndpointSlices satisfy `ok` (the controller batches for ~1 s). */
export async function waitForEndpointSlices(
  c: Cluster,
  namespace: string,
  service: string,
  ok: (slices: any[]) => boolean,
  timeoutMs = 20_000,
): Promise<any[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await api(c, 'GET', `${collectionPath('EndpointSlice', namespace)}?labelSelector=kubernetes.io%2Fservice-name%3D${service}`)
    const items = res.body?.items ?? []
    if (ok(items)) return items
    if (Date.now() > deadline) throw new Error(`EndpointSlices of ${namespace}/${service} not as expected after ${timeoutMs} ms: ${JSON.stringify(items)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export function endpointCount(slices: any[]): number {
  return slices.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0)
}
