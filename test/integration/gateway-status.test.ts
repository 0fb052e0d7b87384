/**
 * The status vipctl owes, against the real API server (the Gateway API CRDs installed by the test control plane
 * from the module test/cluster/go.mod pins): two `vipctl sync` processes, each with its own HAProxy on loopback,
 * elect one writer on a Lease; the leader writes GatewayClass, Gateway, ListenerSet, HTTPRoute, GRPCRoute,
 * BackendTLSPolicy and Ingress status (with the spec's reasons and observedGeneration; the API server checks each
 * against its CRD's status schema); when the leader is killed (SIGKILL: no release), the other takes the
 * Lease over within the lease duration and goes on writing. Services have no endpoints: nothing leaves loopback.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {api, cluster, collectionPath, create, createNamespace, type Cluster} from '../helpers/cluster.js'
import {ROOT, vipctl} from '../helpers/cli.js'
import {freePort, freePortRange, startHaproxy, tempDirs, type Proxy} from '../helpers/haproxy.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const LEASE_SECONDS = 4

function kubeconfig(server: string, token: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-status-kc-')), 'kubeconfig')
  writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: "${token}"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`)
  return file
}

interface Node {
  id: string
  proxy: Proxy
  sync: ChildProcess
  logs: string
}

describe('status and leader election (real API server, two sync processes)', function () {
  this.timeout(240_000)
  let c: Cluster
  let ns: string
  let cls: string
  const nodes: Node[] = []

  const get = async (kind: string, name: string, namespace?: string) => (await api(c, 'GET', `${collectionPath(kind, namespace)}/${name}`)).body
  /** Polls until `ok` holds for the object (bounded). */
  async function until(what: string, fetch: () => Promise<any>, ok: (o: any) => boolean, timeoutMs = 30_000): Promise<any> {
    const start = Date.now()
    let last: any
    while (Date.now() - start < timeoutMs) {
      last = await fetch()
      if (ok(last)) return last
      await sleep(200)
    }
    throw new Error(`${what}: not within ${timeoutMs} ms; last: ${JSON.stringify(last?.status ?? last)}\n${nodes.map((n) => `--- ${n.id}:\n${n.logs.split('\n').slice(-15).join('\n')}`).join('\n')}`)
  }
  const holder = async () => (await get('Lease', 'vipctl-status', ns))?.spec?.holderIdentity as string | undefined
  const cond = (conds: any[] | undefined, type: string) => conds?.find((x: any) => x.type === type)

  async function startNode(id: string): Promise<Node> {
    const dirs = tempDirs()
    mkdirSync(dirs.runDir, {recursive: true})
    const flags = ['--config-dir', dirs.configDir, '--run-dir', dirs.runDir, '--listen-address', '127.0.0.1', '--listen-base-port', String(await freePortRange(8)), '--metrics-address', `127.0.0.1:${await freePort()}`]
    const g = await vipctl(['generate', 'haproxy', '--kubeconfig', c.kubeconfig, '-n', ns, ...flags, '--out', dirs.configDir])
    assert.equal(g.code, 0, g.stderr)
    const proxy = await startHaproxy(dirs)
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
    delete env.NODE_OPTIONS
    const sync = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), 'sync', '--kubeconfig', kubeconfig(c.server, c.token), '-n', ns, ...flags, '--debounce', '20ms', '--min-reload-interval', '500ms', '--sync-metrics-address', '', '--log-format', 'json', '--lease-namespace', ns, '--identity', id, '--lease-duration', `${LEASE_SECONDS}s`, '--ca-refresh-period', '1s'], {env, stdio: ['ignore', 'pipe', 'pipe']})
    const node: Node = {id, proxy, sync, logs: ''}
    sync.stdout!.on('data', (d) => (node.logs += d))
    sync.stderr!.on('data', (d) => (node.logs += d))
    nodes.push(node)
    return node
  }

  before(async () => {
    c = await cluster()
    ns = await createNamespace(c, 'gwst')
    cls = `vipctl-${ns}`
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: {name: cls}, spec: {controllerName: 'vipctl.io/gateway-controller'}})
    await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: ns}, spec: {ports: [{name: 'http', port: 80}]}})
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: {name: 'edge', namespace: ns}, spec: {gatewayClassName: cls, addresses: [{type: 'IPAddress', value: '192.0.2.61'}], allowedListeners: {namespaces: {from: 'Same'}}, listeners: [{name: 'web', port: 80, protocol: 'HTTP'}]}})
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'ListenerSet', metadata: {name: 'team', namespace: ns}, spec: {parentRef: {name: 'edge'}, listeners: [{name: 'team', port: 9090, protocol: 'HTTP', hostname: 'team.example.com'}]}})
    await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'grpc', namespace: ns}, spec: {ports: [{name: 'grpc', port: 50051}]}})
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: {name: 'echo', namespace: ns}, spec: {parentRefs: [{kind: 'ListenerSet', name: 'team'}], rules: [{matches: [{method: {service: 'echo.Echo', method: 'Ping'}}], backendRefs: [{name: 'grpc', port: 50051}]}]}})
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'BackendTLSPolicy', metadata: {name: 'web-tls', namespace: ns}, spec: {targetRefs: [{group: '', kind: 'Service', name: 'web'}], validation: {wellKnownCACertificates: 'System', hostname: 'web.example.com'}}})
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: {name: 'shop', namespace: ns}, spec: {parentRefs: [{name: 'edge'}], hostnames: ['shop.example.com'], rules: [{backendRefs: [{name: 'web', port: 80}]}, {matches: [{path: {type: 'PathPrefix', value: '/gone'}}], backendRefs: [{name: 'missing', port: 80}]}]}})
    // A parentRef naming a listener the Gateway does not have.
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: {name: 'stray', namespace: ns}, spec: {parentRefs: [{name: 'edge', sectionName: 'nope'}], rules: [{backendRefs: [{name: 'web', port: 80}]}]}})
    await create(c, {apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: {name: 'vipctl'}, spec: {controller: 'vipctl.io/ingress-controller'}})
    await create(c, {apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name: 'legacy', namespace: ns, annotations: {'vipctl.io/vip': '192.0.2.62'}}, spec: {ingressClassName: 'vipctl', rules: [{host: 'legacy.example.com', http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]}})
    await startNode('node-a')
    await startNode('node-b')
  })

  after(async () => {
    for (const n of nodes) {
      if (n.sync.exitCode === null && n.sync.signalCode === null) {
        n.sync.kill('SIGTERM')
        await new Promise((r) => n.sync.once('exit', r))
      }
      await n.proxy.stop()
    }
  })

  it('the leader writes the status the spec asks for, with our controllerName and observedGeneration', async () => {
    const gc = await until('GatewayClass Accepted', () => get('GatewayClass', cls), (o) => cond(o?.status?.conditions, 'Accepted')?.status === 'True')
    assert.ok(gc.status.supportedFeatures.some((f: any) => f.name === 'HTTPRoute'))
    const gw = await until('Gateway Programmed', () => get('Gateway', 'edge', ns), (o) => cond(o?.status?.conditions, 'Programmed')?.status === 'True' && o.status.listeners?.[0]?.attachedRoutes === 1)
    assert.deepEqual(gw.status.addresses, [{type: 'IPAddress', value: '192.0.2.61'}])
    assert.ok(gw.status.conditions.every((x: any) => x.observedGeneration === gw.metadata.generation))
    assert.deepEqual(gw.status.listeners[0].supportedKinds, [{group: 'gateway.networking.k8s.io', kind: 'HTTPRoute'}, {group: 'gateway.networking.k8s.io', kind: 'GRPCRoute'}])
    assert.equal(gw.status.attachedListenerSets, 1)
    // The other kinds' status, each accepted by the API server against its CRD's status schema.
    const ls = await until('ListenerSet status', () => get('ListenerSet', 'team', ns), (o) => cond(o?.status?.conditions, 'Programmed')?.status === 'True' && o.status.listeners?.[0]?.attachedRoutes === 1)
    assert.ok(ls.status.conditions.every((x: any) => x.observedGeneration === ls.metadata.generation))
    const grpc = await until('GRPCRoute status', () => get('GRPCRoute', 'echo', ns), (o) => o?.status?.parents?.length === 1)
    assert.deepEqual([grpc.status.parents[0].parentRef.kind, cond(grpc.status.parents[0].conditions, 'Accepted').status], ['ListenerSet', 'True'])
    const pol = await until('BackendTLSPolicy status', () => get('BackendTLSPolicy', 'web-tls', ns), (o) => o?.status?.ancestors?.length === 1)
    assert.deepEqual([pol.status.ancestors[0].ancestorRef.name, pol.status.ancestors[0].controllerName, cond(pol.status.ancestors[0].conditions, 'Accepted').status], ['edge', 'vipctl.io/gateway-controller', 'True'])
    const shop = await until('HTTPRoute shop', () => get('HTTPRoute', 'shop', ns), (o) => o?.status?.parents?.length === 1)
    const p = shop.status.parents[0]
    assert.equal(p.controllerName, 'vipctl.io/gateway-controller')
    assert.deepEqual([cond(p.conditions, 'Accepted').status, cond(p.conditions, 'ResolvedRefs').status, cond(p.conditions, 'ResolvedRefs').reason], ['True', 'False', 'BackendNotFound'])
    const stray = await until('HTTPRoute stray', () => get('HTTPRoute', 'stray', ns), (o) => o?.status?.parents?.length === 1)
    assert.deepEqual([cond(stray.status.parents[0].conditions, 'Accepted').status, cond(stray.status.parents[0].conditions, 'Accepted').reason], ['False', 'NoMatchingParent'])
    const ing = await until('Ingress status', () => get('Ingress', 'legacy', ns), (o) => o?.status?.loadBalancer?.ingress?.length > 0)
    assert.deepEqual(ing.status.loadBalancer.ingress, [{ip: '192.0.2.62'}])
    assert.ok(['node-a', 'node-b'].includes((await holder())!))
  })

  it('a change of the Gateway\'s spec is reflected with the new observedGeneration', async () => {
    const gw = await get('Gateway', 'edge', ns)
    gw.spec.listeners.push({name: 'alt', port: 8080, protocol: 'HTTP'})
    const put = await api(c, 'PUT', `${collectionPath('Gateway', ns)}/edge`, gw)
    assert.equal(put.status, 200, JSON.stringify(put.body))
    const gen = put.body.metadata.generation
    const after = await until('observedGeneration', () => get('Gateway', 'edge', ns), (o) => o?.status?.listeners?.length === 2 && o.status.conditions.every((x: any) => x.observedGeneration === gen))
    assert.equal(after.status.listeners[1].name, 'alt')
  })

  it('a CA ConfigMap changed in place (never watched, only read by name) is applied within --ca-refresh-period, not at the 5 min resync', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-ca-'))
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=lab CA', '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.crt')], {stdio: 'ignore'})
    const pem = readFileSync(path.join(dir, 'ca.crt'), 'utf8')
    await create(c, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'bundle', namespace: ns}, data: {'ca.crt': pem}})
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'BackendTLSPolicy', metadata: {name: 'web-ca', namespace: ns}, spec: {targetRefs: [{group: '', kind: 'Service', name: 'web', sectionName: 'http'}], validation: {caCertificateRefs: [{group: '', kind: 'ConfigMap', name: 'bundle'}], hostname: 'web.example.com'}}})
    const accepted = (o: any) => cond(o?.status?.ancestors?.[0]?.conditions, 'Accepted')
    await until('CA bundle accepted', () => get('BackendTLSPolicy', 'web-ca', ns), (o) => accepted(o)?.status === 'True')
    const cm = await get('ConfigMap', 'bundle', ns)
    cm.data['ca.crt'] = ''
    assert.equal((await api(c, 'PUT', `${collectionPath('ConfigMap', ns)}/bundle`, cm)).status, 200)
    const bad = await until('emptied CA bundle seen', () => get('BackendTLSPolicy', 'web-ca', ns), (o) => accepted(o)?.status === 'False', 10_000)
    assert.equal(accepted(bad).reason, 'NoValidCACertificate')
    const again = await get('ConfigMap', 'bundle', ns)
    again.data['ca.crt'] = pem
    assert.equal((await api(c, 'PUT', `${collectionPath('ConfigMap', ns)}/bundle`, again)).status, 200)
    await until('restored CA bundle seen', () => get('BackendTLSPolicy', 'web-ca', ns), (o) => accepted(o)?.status === 'True', 10_000)
  })

  it('the leader killed (no release): the other takes the Lease over within the lease duration, and writes status', async () => {
    const leaderId = (await holder())!
    const leader = nodes.find((n) => n.id === leaderId)!
    const follower = nodes.find((n) => n.id !== leaderId)!
    leader.sync.kill('SIGKILL')
    await new Promise((r) => (leader.sync.exitCode !== null || leader.sync.signalCode !== null ? r(undefined) : leader.sync.once('exit', r)))
    const killed = Date.now()
    await until('take-over', holder, (h) => h === follower.id, 3 * LEASE_SECONDS * 1000)
    const took = Date.now() - killed
    // Lease duration (on the follower's clock, from its last observed renewal) plus one retry period and slack.
    assert.ok(took <= LEASE_SECONDS * 1000 + 3000, `take-over after ${took} ms`)
    // The new leader writes: a new route gets its status.
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: {name: 'late', namespace: ns}, spec: {parentRefs: [{name: 'edge', sectionName: 'alt'}], rules: [{backendRefs: [{name: 'web', port: 80}]}]}})
    const late = await until('status by the new leader', () => get('HTTPRoute', 'late', ns), (o) => cond(o?.status?.parents?.[0]?.conditions, 'Accepted')?.status === 'True')
    assert.equal(late.status.parents[0].parentRef.sectionName, 'alt')
  })
})
