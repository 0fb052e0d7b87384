/**
 * The whole path with real traffic: client netns -> VIP -> node netfilter (our
 * nftables table) -> HAProxy in the node netns -> pods in their own netns.
 * Traffic only goes to addresses inside the namespaces this test creates.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {spawnSync} from 'node:child_process'
import {ROOT, vipctl} from '../helpers/cli.js'
import {freePort} from '../helpers/haproxy.js'
import {haproxyInNode, labUp, type Lab} from '../helpers/netlab.js'

function manifests(lab: Lab, notReady: string[] = []): string {
  const ep = (names: string[]) =>
    names.map((n) => `  - addresses: [${lab.pods.find((p) => p.name === n)!.ip}]\n    conditions: {ready: ${!notReady.includes(n)}}\n    targetRef: {kind: Pod, name: ${n}}`).join('\n')
  const svc = (name: string, pods: string[]) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: lab}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-1, namespace: lab, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
${ep(pods)}
`
  return `${svc('web', ['pod-1', 'pod-2'])}---\n${svc('api', ['pod-3'])}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: lab, annotations: {vipctl.io/vip: 192.0.2.10}}
spec:
  ingressClassName: vipctl
  rules:
    - host: shop.test
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}, {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}
`
}

describe('data path: client -> VIP -> netfilter -> HAProxy -> pods (network namespaces)', function () {
  this.timeout(120_000)
  let lab: Lab
  let stopProxy: (() => void) | undefined
  let dir: string
  let m: string
  let haFlags: string[]

  before(async () => {
    lab = labUp(3)
    dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-lab-'))
    mkdirSync(path.join(dir, 'run'))
    m = path.join(dir, 'm.yaml')
    writeFileSync(m, manifests(lab))
    haFlags = ['--config-dir', path.join(dir, 'etc'), '--run-dir', path.join(dir, 'run'), '--metrics-address', `127.0.0.1:${await freePort()}`]
  })

  after(() => {
    stopProxy?.()
    lab?.down()
  })

  const hits = (n: number, urlPath = '/') => {
    const seen: string[] = []
    for (let i = 0; i < n; i++) seen.push(lab.curl(`http://192.0.2.10${urlPath}`, 'shop.test').body)
    return seen
  }

  it('dnat mode: requests to the VIP reach the right pods, round-robin', async () => {
    const dnat = [...haFlags, '--listen-address', lab.nodeIP, '--listen-base-port', '20080']
    const g = await vipctl(['generate', 'haproxy', '-f', m, ...dnat, '--out', path.join(dir, 'etc')])
    assert.equal(g.code, 0, g.stderr)
    stopProxy = haproxyInNode(lab, path.join(dir, 'etc', 'haproxy.cfg'), path.join(dir, 'run'))
    const a = await vipctl(['apply', 'vip', '-f', m, '--mode', 'dnat', '--netns', lab.node, ...dnat, '--yes'])
    assert.equal(a.code, 0, a.stderr)
    assert.match(lab.exec(lab.node, ['nft', 'list', 'table', 'ip', 'vipctl']), /192\.0\.2\.10 \. 80 : 10\.200\.1\.1 \. 20080/)
    const d = await vipctl(['diff', 'vip', '-f', m, '--mode', 'dnat', '--netns', lab.node, ...dnat])
    assert.equal(d.code, 0, d.stdout)
    const seen = hits(6)
    assert.deepEqual([...new Set(seen)].sort(), ['pod-1', 'pod-2'], seen.join(','))
    assert.deepEqual(hits(3, '/api/x'), ['pod-3', 'pod-3', 'pod-3'])
    // Other tables are untouched: ours is the only one we created.
    assert.deepEqual(lab.exec(lab.node, ['nft', 'list', 'tables']).trim().split('\n'), ['table ip vipctl'])
  })

  it('a pod marked not ready gets no request after the next apply (runtime, no reload)', async () => {
    const dnat = [...haFlags, '--listen-address', lab.nodeIP, '--listen-base-port', '20080']
    writeFileSync(m, manifests(lab, ['pod-2']))
    const r = await vipctl(['apply', 'haproxy', '-f', m, ...dnat, '--yes', '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).outcome.applied, 'runtime')
    const seen = hits(10)
    assert.ok(seen.every((b) => b === 'pod-1'), seen.join(','))
  })

  it('delete vip removes only our table, and the VIP stops answering', async () => {
    const r = await vipctl(['delete', 'vip', '--netns', lab.node])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(lab.exec(lab.node, ['nft', 'list', 'tables']).trim(), '')
    assert.equal(lab.curl('http://192.0.2.10/', 'shop.test').status, 0)
  })

  it('bind mode: the VIP becomes a local address HAProxy binds; delete takes it away again', async () => {
    writeFileSync(m, manifests(lab))
    const a = await vipctl(['apply', 'vip', '-f', m, '--mode', 'bind', '--netns', lab.node, ...haFlags, '--yes'])
    assert.equal(a.code, 0, a.stderr)
    assert.match(lab.exec(lab.node, ['ip', '-br', 'addr', 'show', 'dev', 'lo']), /192\.0\.2\.10\/32/)
    const h = await vipctl(['apply', 'haproxy', '-f', m, ...haFlags, '--yes', '-o', 'json'])
    assert.equal(h.code, 0, h.stderr)
    assert.equal(JSON.parse(h.stdout).outcome.applied, 'reload')
    assert.deepEqual([...new Set(hits(6))].sort(), ['pod-1', 'pod-2'])
    const del = await vipctl(['delete', 'vip', '--netns', lab.node, '-o', 'json'])
    assert.deepEqual(JSON.parse(del.stdout).addresses, ['192.0.2.10'])
    assert.doesNotMatch(lab.exec(lab.node, ['ip', '-br', 'addr', 'show', 'dev', 'lo']), /192\.0\.2\.10/)
    assert.equal(lab.curl('http://192.0.2.10/', 'shop.test').status, 0)
  })

  it('without CAP_NET_ADMIN: exit 77, naming the capability, nothing changed', () => {
    // setpriv empties the capability bounding set, so the root process running vipctl has no capabilities.
    const r = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', '--', process.execPath, path.join(ROOT, 'bin', 'run.js'), 'apply', 'vip', '-f', m, '--netns', lab.node, ...haFlags, '--yes'], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
    assert.equal(r.status, 77, r.stderr)
    assert.equal(r.stderr.trim(), 'error: nft list: permission denied: needs CAP_NET_ADMIN (run as root or grant the capability)')
    assert.equal(lab.exec(lab.node, ['nft', 'list', 'tables']).trim(), '')
  })

  it('a namespace that does not exist is a one-line error', async () => {
    const r = await vipctl(['apply', 'vip', '-f', m, '--netns', `${lab.prefix}-nope`, ...haFlags, '--yes'])
    assert.equal(r.code, 65)
    assert.equal(r.stderr.trim(), `error: network namespace "${lab.prefix}-nope" does not exist (see ip netns list)`)
  })
})
