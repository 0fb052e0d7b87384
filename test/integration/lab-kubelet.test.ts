/**
 * The lab the Gateway API conformance suite runs in: a control plane of its own with the Deployment, ReplicaSet,
 * namespace and garbage-collector controllers, and the netns kubelet (test/cluster/kubelet.go) running echo-basic
 * (built from the conformance module test/conformance/go.mod pins) in network namespaces on a bridge. Root only
 * (network namespaces); traffic only to the addresses of the namespaces it makes.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import http from 'node:http'
import tls from 'node:tls'
import path from 'node:path'
import {api, collectionPath, create, labCluster, type Cluster} from '../helpers/cluster.js'
import {ROOT} from '../helpers/cli.js'

const NODE = 'lab-test'
const CIDR = '10.251.0.0/24'
const PREFIX = `vk${createHash('sha256').update(NODE).digest('hex').slice(0, 6)}`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function netnsOfLab(): string[] {
  return execFileSync('ip', ['netns', 'list'], {encoding: 'utf8'}).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${PREFIX}-`))
}
function linksOfLab(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], {encoding: 'utf8'}).split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '').filter((n) => n.startsWith(PREFIX))
}
function get(ip: string, port: number, p: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({host: ip, port, path: p, timeout: 3000, agent: false}, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(body))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(''))
  })
}

describe('the lab: workload controllers and the netns kubelet (root)', function () {
  this.timeout(240_000)
  let c: Cluster
  let stop: () => Promise<void>
  const ns = 'lab'

  async function until<T>(what: string, fetch: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
    const start = Date.now()
    let last: T | undefined
    while (Date.now() - start < ms) {
      last = await fetch()
      if (ok(last)) return last
      await sleep(250)
    }
    throw new Error(`${what}: not within ${ms} ms; last: ${JSON.stringify(last).slice(0, 600)}`)
  }
  const pods = async (selector: string) => (await api(c, 'GET', `${collectionPath('Pod', ns)}?labelSelector=${encodeURIComponent(selector)}`)).body.items as any[]

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces)')
    const echo = execFileSync('bash', [path.join(ROOT, 'scripts', 'lab-build.sh'), 'echo-basic'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim()
    ;({cluster: c, stop} = await labCluster(['-workload-controllers', '-kubelet-node', NODE, '-kubelet-pod-cidr', CIDR, '-kubelet-image', `registry.k8s.io/gateway-api/echo-basic=${echo}`]))
    await create(c, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}})
  })

  after(async () => {
    await stop?.()
  })

  it('a Deployment of echo-basic: Pods bound to the node, running in their namespaces with the downward API, Ready, in the EndpointSlice', async () => {
    const env = [{name: 'POD_NAME', valueFrom: {fieldRef: {fieldPath: 'metadata.name'}}}, {name: 'NAMESPACE', valueFrom: {fieldRef: {fieldPath: 'metadata.namespace'}}}]
    await create(c, {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'echo', namespace: ns}, spec: {replicas: 2, selector: {matchLabels: {app: 'echo'}}, template: {metadata: {labels: {app: 'echo'}}, spec: {containers: [{name: 'echo', image: 'registry.k8s.io/gateway-api/echo-basic:v1.5.1', env, readinessProbe: {httpGet: {path: '/', port: 3000}}}]}}}})
    await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'echo', namespace: ns}, spec: {selector: {app: 'echo'}, ports: [{port: 80, targetPort: 3000}]}})
    const ready = await until('2 Pods Ready', () => pods('app=echo'), (ps) => ps.length === 2 && ps.every((p) => p.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True')))
    for (const p of ready) {
      assert.equal(p.spec.nodeName, NODE)
      assert.match(p.status.podIP, /^10\.251\.0\.\d+$/)
      const answer = JSON.parse(await get(p.status.podIP, 3000, '/x'))
      assert.deepEqual([answer.pod, answer.namespace, answer.path], [p.metadata.name, ns, '/x'])
    }
    assert.equal(netnsOfLab().length, 2)
    const slices = await until('EndpointSlice', async () => (await api(c, 'GET', `${collectionPath('EndpointSlice', ns)}?labelSelector=kubernetes.io%2Fservice-name%3Decho`)).body.items as any[], (s) => s.flatMap((x: any) => x.endpoints ?? []).filter((e: any) => e.conditions?.ready).length === 2)
    assert.deepEqual(slices.flatMap((x: any) => x.endpoints.map((e: any) => e.addresses[0])).sort(), ready.map((p) => p.status.podIP).sort())
  })

  it('a Secret volume: written for the Pod, and an env value naming its mount path points there (echo-basic serves TLS with it)', async () => {
    const secret = readFileSync(path.join(ROOT, 'examples/shop/50-secret-tls.yaml'), 'utf8')
    const crt = /tls\.crt: (\S+)/.exec(secret)![1]!
    const key = /tls\.key: (\S+)/.exec(secret)![1]!
    await create(c, {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'tls', namespace: ns}, type: 'kubernetes.io/tls', data: {'tls.crt': crt, 'tls.key': key}})
    await create(c, {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'tls', namespace: ns}, spec: {replicas: 1, selector: {matchLabels: {app: 'tls'}}, template: {metadata: {labels: {app: 'tls'}}, spec: {containers: [{name: 'tls', image: 'registry.k8s.io/gateway-api/echo-basic:v1.5.1', volumeMounts: [{name: 'v', mountPath: '/etc/secret-volume'}], env: [{name: 'TLS_SERVER_CERT', value: '/etc/secret-volume/crt'}, {name: 'TLS_SERVER_PRIVKEY', value: '/etc/secret-volume/key'}], readinessProbe: {tcpSocket: {port: 8443}}}], volumes: [{name: 'v', secret: {secretName: 'tls', items: [{key: 'tls.crt', path: 'crt'}, {key: 'tls.key', path: 'key'}]}}]}}}})
    const [p] = await until('TLS Pod Ready', () => pods('app=tls'), (ps) => ps.length === 1 && ps[0].status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True'))
    const subject = await new Promise<string>((resolve) => {
      const s = tls.connect({host: p.status.podIP, port: 8443, servername: 'shop.example.com', rejectUnauthorized: false}, () => {
        resolve(String(s.getPeerCertificate().subjectaltname ?? ''))
        s.end()
      })
      s.on('error', () => resolve(''))
    })
    assert.match(subject, /shop\.example\.com/)
  })

  it('an image the lab does not run: Pending with the reason, nothing started', async () => {
    await create(c, {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'other', namespace: ns}, spec: {containers: [{name: 'c', image: 'registry.k8s.io/coredns/coredns:v1.12.2'}]}})
    const p = await until('Pending with a reason', async () => (await api(c, 'GET', `${collectionPath('Pod', ns)}/other`)).body, (o: any) => o?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull')
    assert.equal(p.status.phase, 'Pending')
    assert.match(p.status.containerStatuses[0].state.waiting.message, /not one this lab runs/)
  })

  it('scaled down and the namespace deleted: Pods go, their network namespaces with them; stopped, the lab leaves nothing', async () => {
    const d = (await api(c, 'GET', `${collectionPath('Deployment', ns)}/echo`)).body
    d.spec.replicas = 0
    assert.equal((await api(c, 'PUT', `${collectionPath('Deployment', ns)}/echo`, d)).status, 200)
    await until('echo Pods gone', () => pods('app=echo'), (ps) => ps.length === 0)
    await until('one network namespace left (the TLS Pod)', async () => netnsOfLab(), (n) => n.length === 1)
    assert.equal((await api(c, 'DELETE', `/api/v1/namespaces/${ns}`)).status, 200)
    await until('namespace deleted by the namespace controller', async () => (await api(c, 'GET', `/api/v1/namespaces/${ns}`)).status, (s) => s === 404, 90_000)
    assert.deepEqual(netnsOfLab(), [])
    await stop()
    assert.deepEqual([netnsOfLab(), linksOfLab()], [[], []])
  })
})
