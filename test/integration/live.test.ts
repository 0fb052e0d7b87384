/**
 * The live source against a real kube-apiserver + etcd + EndpointSlice
 * controller: the same answers as offline, pagination, and every error a user
 * can meet, each with its exit code and a one-line message.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {loadKubeConfig, listAll} from '../../src/cluster/live.js'
import {restClient, type RestClient} from '../../src/core/kube-rest.js'
import {ROOT, vipctl} from '../helpers/cli.js'
import {cluster, create, createNamespace, type Cluster} from '../helpers/cluster.js'
import {applyShop, shopIn} from '../helpers/shop.js'

function kubeconfigFile(doc: object): string {
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-kc-')), 'config')
  writeFileSync(f, JSON.stringify(doc))
  return f
}

function kubeconfigFor(server: string, user: object, cluster: object = {'insecure-skip-tls-verify': true}): string {
  return kubeconfigFile({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{name: 'c', cluster: {server, ...cluster}}],
    users: [{name: 'u', user}],
    contexts: [{name: 'ctx', context: {cluster: 'c', user: 'u'}}],
    'current-context': 'ctx',
  })
}

async function closedPort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise((r) => srv.close(r))
  return port
}

/** Offline and live differ in one honest way: offline endpoints are derived from Pods. */
function withoutDerived(doc: any): any {
  return JSON.parse(JSON.stringify(doc, (k, v) => (k === 'derived' ? undefined : v)))
}

describe('live source (real API server)', function () {
  this.timeout(120_000)
  let c: Cluster

  before(async function () {
    this.timeout(300_000) // a cold build of the control plane happens here on a fresh machine
    c = await cluster()
  })

  describe('examples/shop applied to the cluster', () => {
    let ns: string
    let offlineDir: string

    before(async () => {
      ns = await createNamespace(c, 'shop')
      const {objects, dir} = shopIn(ns)
      offlineDir = dir
      await applyShop(c, ns, objects)
    })

    for (const what of ['services', 'ingresses', 'vips']) {
      it(`inspect ${what} -o json: live equals offline`, async () => {
        const live = await vipctl(['inspect', what, '-n', ns, '-o', 'json', '--kubeconfig', c.kubeconfig])
        const offline = await vipctl(['inspect', what, '-n', ns, '-o', 'json', '-f', offlineDir])
        assert.equal(live.code, 0, live.stderr)
        assert.equal(offline.code, 0, offline.stderr)
        assert.equal(live.stderr, '')
        const l = JSON.parse(live.stdout)
        assert.ok(l.items.length > 0)
        assert.deepEqual(withoutDerived(l), withoutDerived(JSON.parse(offline.stdout)))
      })
    }

    it('endpoints come from the EndpointSlice controller, not derived, with the same addresses', async () => {
      const live = JSON.parse((await vipctl(['inspect', 'endpoints', '-n', ns, '-o', 'json', '--kubeconfig', c.kubeconfig])).stdout)
      const offline = JSON.parse((await vipctl(['inspect', 'endpoints', '-n', ns, '-o', 'json', '-f', offlineDir])).stdout)
      assert.ok(live.items.every((s: any) => !s.derived))
      const bySvc = (doc: any) =>
        Object.fromEntries(
          [...new Set<string>(doc.items.map((s: any) => s.service))].sort().map((svc) => [
            svc,
            doc.items
              .filter((s: any) => s.service === svc)
              .flatMap((s: any) => s.endpoints.map((e: any) => `${e.address}|${e.ready}|${e.pod ?? ''}|${e.node ?? ''}`))
              .sort(),
          ]),
        )
      assert.deepEqual(bySvc(live), bySvc(offline))
    })

    it('uses the context namespace, and -A lists every namespace', async () => {
      const kc = JSON.parse(readFileSync(c.kubeconfig, 'utf8'))
      kc.contexts[0].context.namespace = ns
      const file = kubeconfigFile(kc)
      const r = await vipctl(['inspect', 'services', '-o', 'name', '--kubeconfig', file])
      assert.equal(r.stdout.split('\n').filter(Boolean).length, 11)
      const all = JSON.parse((await vipctl(['inspect', 'services', '-A', '-o', 'json', '--kubeconfig', file])).stdout)
      assert.ok(all.items.some((s: any) => s.namespace === 'default' && s.name === 'kubernetes'))
    })

    it('check reads the cluster live: clean, then a Service whose selector matches no Pod', async () => {
      const clean = await vipctl(['check', '-n', ns, '--kubeconfig', c.kubeconfig, '-o', 'json'])
      assert.equal(clean.code, 0, clean.stderr)
      assert.deepEqual(JSON.parse(clean.stdout).items.map((f: any) => f.code), ['VIP4014'])
      await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'orphan', namespace: ns}, spec: {selector: {app: 'nobody'}, ports: [{port: 80}]}})
      await create(c, {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name: 'orphan', namespace: ns, annotations: {'vipctl.io/vip': '192.0.2.77'}},
        spec: {ingressClassName: 'vipctl', rules: [{host: 'orphan.example.com', http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'orphan', port: {number: 80}}}}]}}]},
      })
      const r = await vipctl(['check', '-n', ns, '--kubeconfig', c.kubeconfig, '-o', 'json'])
      assert.equal(r.code, 1)
      const f = JSON.parse(r.stdout).items.find((x: any) => x.code === 'VIP4010')
      assert.equal(f.object, `Service/${ns}/orphan`)
      assert.equal(f.file, undefined) // live objects have no file
      const trace = JSON.parse((await vipctl(['check', 'trace', 'orphan.example.com/', '-n', ns, '--kubeconfig', c.kubeconfig, '-o', 'json'])).stdout)
      assert.equal(trace.traces[0].ok, false)
    })

    it('without Pods, check reads the workloads live: the Deployment is named, replicas 0 is its own finding', async () => {
      // The test control plane runs no Deployment controller: these Deployments never get Pods, as when a scheduler is stuck.
      const deployment = (name: string, replicas: number) => ({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name, namespace: ns},
        spec: {replicas, selector: {matchLabels: {app: name}}, template: {metadata: {labels: {app: name}}, spec: {containers: [{name: 'c', image: 'registry.example.com/x:1', ports: [{name: 'http', containerPort: 8080}]}]}}},
      })
      for (const [name, replicas] of [['stuck', 2], ['scaled', 0]] as const) {
        await create(c, deployment(name, replicas))
        await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: ns}, spec: {selector: {app: name}, ports: [{port: 80, targetPort: 'http'}]}})
        await create(c, {
          apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name, namespace: ns, annotations: {'vipctl.io/vip': '192.0.2.78'}},
          spec: {ingressClassName: 'vipctl', rules: [{host: `${name}.example.com`, http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name, port: {number: 80}}}}]}}]},
        })
      }
      const r = await vipctl(['check', '-n', ns, '--kubeconfig', c.kubeconfig, '-o', 'json'])
      assert.equal(r.code, 1, r.stderr)
      const items = JSON.parse(r.stdout).items as Array<{code: string; object: string; field?: string; message: string}>
      const stuck = items.find((f) => f.object === `Service/${ns}/stuck`)!
      assert.equal(stuck.code, 'VIP4010')
      assert.match(stuck.message, new RegExp(`matches no running Pod; Deployment/${ns}/stuck \\(2 replicas\\) ask for Pods`))
      assert.deepEqual(items.filter((f) => f.code === 'VIP4015').map((f) => [f.object, f.field]), [[`Deployment/${ns}/scaled`, 'spec.replicas']])
      // The named targetPort resolves in the template: no VIP4013.
      assert.ok(!items.some((f) => f.code === 'VIP4013'))
      const trace = JSON.parse((await vipctl(['check', 'trace', 'stuck.example.com/', '-n', ns, '--kubeconfig', c.kubeconfig, '-o', 'json'])).stdout)
      assert.match(trace.traces[0].hops.find((h: {hop: string}) => h.hop === 'pods').detail, new RegExp(`Deployment/${ns}/stuck`))
    })

    it('merges $KUBECONFIG files as kubectl does (first file wins)', async () => {
      const broken = kubeconfigFor(`https://127.0.0.1:${await closedPort()}`, {token: 'x'})
      const kc = JSON.parse(readFileSync(c.kubeconfig, 'utf8'))
      const renamed = kubeconfigFile({...kc, 'current-context': ''})
      const r = await vipctl(['inspect', 'services', '-n', ns, '-o', 'name', '--context', 'testcluster'], {env: {KUBECONFIG: [renamed, broken].join(':')}})
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /service\/frontend/)
    })
  })

  it('lists 2,000 Services through pagination', async () => {
    const ns = await createNamespace(c, 'many')
    const names = Array.from({length: 2000}, (_, i) => `svc-${String(i).padStart(4, '0')}`)
    for (let i = 0; i < names.length; i += 50)
      await Promise.all(
        names.slice(i, i + 50).map((name) =>
          create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: ns}, spec: {clusterIP: 'None', selector: {app: name}, ports: [{port: 80}]}}),
        ),
      )
    const kc = loadKubeConfig({kubeconfig: c.kubeconfig}, {})
    const real = await restClient(kc, 30_000)
    let pages = 0
    const counting: RestClient = {...real, get: (p, q) => (pages++, real.get(p, q))}
    const items = await listAll(counting, {resource: 'services', prefix: '/api/v1', namespaced: true}, ns)
    assert.equal(items.length, 2000)
    assert.equal(pages, 4)
    const r = await vipctl(['inspect', 'services', '-n', ns, '-o', 'name', '--kubeconfig', c.kubeconfig])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.stdout.trim().split('\n'), names.map((n) => `service/${n}`))
  })

  describe('errors name the problem, with documented exit codes and one line', () => {
    async function expectError(args: string[], code: number, pattern: RegExp, env: NodeJS.ProcessEnv = {}): Promise<void> {
      const r = await vipctl(['inspect', 'services', ...args], {env})
      assert.equal(r.code, code, r.stderr)
      assert.equal(r.stdout, '')
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, pattern)
      assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/)
    }

    it('connection refused -> 69', async () => {
      const kc = kubeconfigFor(`https://127.0.0.1:${await closedPort()}`, {token: 'x'})
      await expectError(['--kubeconfig', kc], 69, /cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: connection refused/)
    })

    it('DNS failure -> 69', async () => {
      await expectError(['--kubeconfig', kubeconfigFor('https://no-such-host.invalid:6443', {token: 'x'})], 69, /host not found \(DNS\)/)
    })

    it('TLS verification failure -> 69', async () => {
      const wrongCA = readFileSync(path.join(ROOT, 'examples/shop/50-secret-tls.yaml'), 'utf8').match(/tls\.crt: (\S+)/)![1]
      const kc = kubeconfigFor(c.server, {token: c.token}, {'certificate-authority-data': wrongCA})
      await expectError(['--kubeconfig', kc], 69, /TLS error talking to the API server/)
    })

    it('401 -> 77', async () => {
      await expectError(['--kubeconfig', kubeconfigFor(c.server, {token: 'wrong'})], 77, /rejected the credentials of user "u" \(401 Unauthorized\)/)
    })

    it('403 names the verb, resource and namespace -> 77', async () => {
      await expectError(['--kubeconfig', c.kubeconfig, '--context', 'testcluster-viewer', '-n', 'default'], 77, /user "viewer" cannot list services in namespace "default" \(403 Forbidden\)/)
    })

    it('unknown context -> 64, listing the contexts there are', async () => {
      await expectError(['--kubeconfig', c.kubeconfig, '--context', 'nope'], 64, /context "nope" not found in kubeconfig \(available: testcluster, testcluster-viewer\)/)
    })

    it('malformed kubeconfig -> 65', async () => {
      const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-kc-')), 'config')
      writeFileSync(f, 'apiVersion: v1\nclusters: [oops\n')
      await expectError(['--kubeconfig', f], 65, /kubeconfig .*config: malformed/)
      await expectError(['--kubeconfig', '/nonexistent/kubeconfig'], 65, /no such file/)
    })

    it('namespace not found -> 65', async () => {
      await expectError(['--kubeconfig', c.kubeconfig, '-n', 'does-not-exist'], 65, /namespace "does-not-exist" not found/)
    })
  })
})
