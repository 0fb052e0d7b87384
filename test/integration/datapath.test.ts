/**
 * The whole path with real traffic: examples/shop applied to the real API
 * server, its Pods living in network namespaces under their own IPs, vipctl
 * reading the cluster live and configuring HAProxy (in the node namespace) and
 * the VIP rules; requests from the client namespace to the VIPs, with every host
 * of the example, reach the right pods. Traffic only goes to addresses inside
 * the namespaces this test creates.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ROOT, vipctl} from '../helpers/cli.js'
import {cluster, createNamespace, waitForEndpointSlices, type Cluster} from '../helpers/cluster.js'
import {freePort} from '../helpers/haproxy.js'
import {haproxyInNode, labUp, type Lab} from '../helpers/netlab.js'
import {applyShop, setPodReady, shopIn} from '../helpers/shop.js'

/** host, scheme, path -> the pods that may answer (cart-2 is not ready in the example). */
const ROUTES: Array<[string, 'http' | 'https', string, string[]]> = [
  ['shop.example.com', 'https', '/', ['frontend-1', 'frontend-2']],
  ['shop.example.com', 'https', '/api/catalog/items', ['catalog-1', 'catalog-2', 'catalog-3']],
  ['shop.example.com', 'https', '/api/cart', ['cart-1']],
  ['shop.example.com', 'https', '/api/checkout', ['checkout-1']],
  ['shop.example.com', 'https', '/images/logo.png', ['images-1']],
  ['www.shop.example.com', 'https', '/', ['frontend-1', 'frontend-2']],
  ['api.shop.example.com', 'https', '/v1/search', ['search-1', 'search-2']],
  ['api.shop.example.com', 'https', '/v1/accounts/7', ['accounts-1']],
  ['api.shop.example.com', 'https', '/v1/payments/webhook', ['payments-1']],
  ['admin.shop.example.com', 'http', '/', ['admin-1']],
]

describe('data path: client -> VIP -> netfilter -> HAProxy -> pods (examples/shop, live cluster, network namespaces)', function () {
  this.timeout(180_000)
  let c: Cluster
  let lab: Lab
  let ns: string
  let stopProxy: (() => void) | undefined
  let dir: string
  let live: string[]
  let haFlags: string[]
  /** The flags VIP commands take: HAProxy's without --run-dir (which VIP commands warn about and ignore). */
  let vipFlags: string[]

  before(async function () {
    this.timeout(300_000)
    c = await cluster()
    ns = await createNamespace(c, 'lab')
    const {objects} = shopIn(ns)
    await applyShop(c, ns, objects)
    const pods = objects
      .filter((o) => o.kind === 'Pod')
      .map((p) => ({name: p.metadata.name, ip: p.status.podIP, ports: p.spec.containers.flatMap((x: any) => (x.ports ?? []).map((q: any) => q.containerPort))}))
    lab = labUp(pods)
    dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-lab-'))
    mkdirSync(path.join(dir, 'run'))
    live = ['--kubeconfig', c.kubeconfig, '-n', ns]
    haFlags = ['--config-dir', path.join(dir, 'etc'), '--run-dir', path.join(dir, 'run'), '--metrics-address', `127.0.0.1:${await freePort()}`]
    vipFlags = haFlags.filter((f, i) => f !== '--run-dir' && haFlags[i - 1] !== '--run-dir')
  })

  after(() => {
    stopProxy?.()
    lab?.down()
  })

  /** One request per call, from the client namespace. */
  const request = (host: string, scheme: 'http' | 'https', urlPath: string) =>
    scheme === 'https'
      ? lab.curl(`https://${host}${urlPath}`, host, ['-k', '--resolve', `${host}:443:192.0.2.10`])
      : lab.curl(`http://${host === 'admin.shop.example.com' ? '192.0.2.11' : '192.0.2.10'}${urlPath}`, host)

  function assertRoutes(): void {
    for (const [host, scheme, urlPath, pods] of ROUTES) {
      const seen = new Set<string>()
      for (let i = 0; i < pods.length * 3; i++) {
        const r = request(host, scheme, urlPath)
        assert.equal(r.status, 200, `${scheme}://${host}${urlPath}: ${r.status} ${r.body}`)
        seen.add(r.body)
      }
      assert.deepEqual([...seen].sort(), pods, `${scheme}://${host}${urlPath}`)
    }
    // Plain HTTP for a TLS host is redirected; the L4 LoadBalancer answers on its own VIP.
    assert.equal(lab.curl('http://192.0.2.10/', 'shop.example.com').status, 308)
    assert.equal(lab.curl('http://192.0.2.20:6379/', 'x').body, 'redis-1')
  }

  it('dnat mode: every host of examples/shop reaches its pods, round-robin; TLS and TCP too', async () => {
    const dnat = [...live, ...haFlags, '--listen-address', lab.nodeIP, '--listen-base-port', '20080']
    const g = await vipctl(['generate', 'haproxy', ...dnat, '--out', path.join(dir, 'etc')])
    assert.equal(g.code, 0, g.stderr)
    stopProxy = haproxyInNode(lab, path.join(dir, 'etc', 'haproxy.cfg'), path.join(dir, 'run')).stop
    const a = await vipctl(['apply', 'vip', ...dnat, '--mode', 'dnat', '--netns', lab.node, '--yes'])
    assert.equal(a.code, 0, a.stderr)
    assert.match(lab.exec(lab.node, ['nft', 'list', 'table', 'ip', 'vipctl']), /192\.0\.2\.10 \. 443 : 10\.200\.1\.1 \. 20081/)
    assert.equal((await vipctl(['diff', 'vip', ...dnat, '--mode', 'dnat', '--netns', lab.node])).code, 0)
    const rulesOk = JSON.parse((await vipctl(['check', ...dnat, '--mode', 'dnat', '--netns', lab.node, '-o', 'json', '--fail-on', 'never'])).stdout)
    assert.deepEqual(rulesOk.items.filter((f: any) => f.code.startsWith('VIP406')), [])
    const trace = JSON.parse((await vipctl(['check', 'trace', 'shop.example.com/', ...dnat, '--mode', 'dnat', '--netns', lab.node, '--stats-socket', path.join(dir, 'run', 'admin.sock'), '-o', 'json'])).stdout).traces[0]
    assert.equal(trace.ok, true, JSON.stringify(trace.hops))
    assert.deepEqual(trace.hops.filter((h: any) => ['netfilter', 'proxy frontend', 'servers'].includes(h.hop)).map((h: any) => `${h.hop}:${h.status}`), [
      'netfilter:ok', 'netfilter:ok', 'proxy frontend:ok', 'proxy frontend:ok', 'servers:ok',
    ])
    await new Promise((r) => setTimeout(r, 500)) // first health checks
    assertRoutes()
    // Only our table exists: nothing else was touched or created.
    assert.deepEqual(lab.exec(lab.node, ['nft', 'list', 'tables']).trim().split('\n'), ['table ip vipctl'])
  })

  it('a pod turned not ready at the API server gets no request after the next apply (runtime, no reload)', async () => {
    const dnat = [...live, ...haFlags, '--listen-address', lab.nodeIP, '--listen-base-port', '20080']
    await setPodReady(c, ns, 'frontend-2', false)
    await waitForEndpointSlices(c, ns, 'frontend', (s) => s.flatMap((x: any) => x.endpoints ?? []).some((e: any) => e.targetRef?.name === 'frontend-2' && e.conditions?.ready === false))
    const r = await vipctl(['apply', 'haproxy', ...dnat, '--yes', '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).outcome.applied, 'runtime')
    const seen = Array.from({length: 12}, () => request('shop.example.com', 'https', '/').body)
    assert.ok(seen.every((b) => b === 'frontend-1'), seen.join(','))
    await setPodReady(c, ns, 'frontend-2', true)
  })

  it('delete vip removes only our table, and the VIPs stop answering', async () => {
    const r = await vipctl(['delete', 'vip', '--netns', lab.node, '--yes'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(lab.exec(lab.node, ['nft', 'list', 'tables']).trim(), '')
    assert.equal(request('admin.shop.example.com', 'http', '/').status, 0)
    // check sees what is missing, per VIP:port, naming the object each one serves.
    const dnat = [...live, ...haFlags, '--listen-address', lab.nodeIP, '--listen-base-port', '20080']
    const c2 = await vipctl(['check', ...dnat, '--mode', 'dnat', '--netns', lab.node, '-o', 'json'])
    assert.equal(c2.code, 1)
    const missing = JSON.parse(c2.stdout).items.filter((f: any) => f.code === 'VIP4060')
    assert.equal(missing.length, 4)
    assert.ok(missing.some((f: any) => f.object === `Service/${ns}/redis` && /192\.0\.2\.20:6379\/tcp -> 10\.200\.1\.1:20083/.test(f.message)))
  })

  it('bind mode: VIPs become local addresses HAProxy binds; the same routes work; delete takes them away', async () => {
    await waitForEndpointSlices(c, ns, 'frontend', (s) => s.flatMap((x: any) => x.endpoints ?? []).every((e: any) => e.conditions?.ready))
    const a = await vipctl(['apply', 'vip', ...live, ...vipFlags, '--mode', 'bind', '--netns', lab.node, '--yes'])
    assert.equal(a.code, 0, a.stderr)
    assert.match(lab.exec(lab.node, ['ip', '-br', 'addr', 'show', 'dev', 'lo']), /192\.0\.2\.10\/32 192\.0\.2\.11\/32 192\.0\.2\.20\/32/)
    const h = await vipctl(['apply', 'haproxy', ...live, ...haFlags, '--yes', '-o', 'json'])
    assert.equal(h.code, 0, h.stderr)
    assert.equal(JSON.parse(h.stdout).outcome.applied, 'reload')
    await new Promise((r) => setTimeout(r, 500))
    assertRoutes()
    const del = await vipctl(['delete', 'vip', '--netns', lab.node, '--yes', '-o', 'json'])
    assert.deepEqual(JSON.parse(del.stdout).addresses, ['192.0.2.10', '192.0.2.11', '192.0.2.20'])
    assert.doesNotMatch(lab.exec(lab.node, ['ip', '-br', 'addr', 'show', 'dev', 'lo']), /192\.0\.2\./)
    assert.equal(request('admin.shop.example.com', 'http', '/').status, 0)
  })

  it('without CAP_NET_ADMIN: exit 77, naming the capability, nothing changed', () => {
    // setpriv empties the capability bounding set, so the root process running vipctl has no capabilities.
    const r = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', '--', process.execPath, path.join(ROOT, 'bin', 'run.js'), 'apply', 'vip', ...live, ...vipFlags, '--netns', lab.node, '--yes'], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
    assert.equal(r.status, 77, r.stderr)
    assert.equal(r.stderr.trim(), 'error: nft list: permission denied: needs CAP_NET_ADMIN (run as root or grant the capability)')
    assert.equal(lab.exec(lab.node, ['nft', 'list', 'tables']).trim(), '')
  })

  it('a namespace that does not exist is a one-line error (exit 65)', async () => {
    const r = await vipctl(['apply', 'vip', ...live, ...vipFlags, '--netns', `${lab.prefix}-nope`, '--yes'])
    assert.equal(r.code, 65)
    assert.equal(r.stderr.trim(), `error: network namespace "${lab.prefix}-nope" does not exist (see ip netns list)`)
  })
})
