/** check --stats-socket against a real HAProxy: servers DOWN with their check status, missing backends, stale config. */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {vipctl} from '../helpers/cli.js'
import {freePort, freePortRange, startBackend, startHaproxy, tempDirs, type Backend, type Proxy} from '../helpers/haproxy.js'

function manifests(port: number, extra = ''): string {
  return `apiVersion: v1
kind: Service
metadata: {name: web, namespace: p}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: ${port}}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: p, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: ${port}}]
endpoints:
  - {addresses: [127.0.0.31], conditions: {ready: true}, targetRef: {kind: Pod, name: web-1}}
  - {addresses: [127.0.0.32], conditions: {ready: true}, targetRef: {kind: Pod, name: web-2}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: p, labels: {app: web}}
spec: {containers: [{name: web, ports: [{containerPort: ${port}}], readinessProbe: {tcpSocket: {port: ${port}}, periodSeconds: 1, failureThreshold: 1}}]}
status: {phase: Running, podIP: 127.0.0.31}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: p, annotations: {vipctl.io/vip: 192.0.2.1}}
spec:
  ingressClassName: vipctl
  rules: [{host: web.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
${extra}`
}

describe('check against the running HAProxy (--stats-socket)', function () {
  this.timeout(60_000)
  let proxy: Proxy
  let backend: Backend
  let flags: string[]
  let m: string

  before(async () => {
    const port = await freePort('127.0.0.31')
    backend = await startBackend('web-1', '127.0.0.31', port) // web-2 (127.0.0.32) has nothing listening
    const dirs = tempDirs()
    flags = ['--config-dir', dirs.configDir, '--run-dir', dirs.runDir, '--listen-address', '127.0.0.1', '--listen-base-port', String(await freePortRange(16)), '--metrics-address', `127.0.0.1:${await freePort()}`]
    m = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-cp-')), 'm.yaml')
    writeFileSync(m, manifests(port))
    assert.equal((await vipctl(['generate', 'haproxy', '-f', m, ...flags, '--out', dirs.configDir])).code, 0)
    execFileSync('mkdir', ['-p', dirs.runDir])
    proxy = await startHaproxy(dirs)
    await new Promise((r) => setTimeout(r, 2500)) // a few 1 s health checks
  })

  after(async () => {
    await proxy?.stop()
    await backend?.close()
  })

  it('a ready endpoint that fails the health check is an error with HAProxy\'s check status', async () => {
    // VIP3004: NetScaler cannot check every 1 s with a 1 s timeout (this test's fast probe); not what is tested here.
    const r = await vipctl(['check', '-f', m, ...flags, '--stats-socket', proxy.admin, '-o', 'json', '--disable', 'VIP3004'])
    assert.equal(r.code, 1, r.stderr)
    const f = JSON.parse(r.stdout).items
    assert.deepEqual(f.map((x: any) => x.code), ['VIP4052'])
    assert.match(f[0].message, /p_web_80\/SRV_2 127\.0\.0\.32:\d+ \(Pod web-2\) is DOWN, check status L4CON/)
    assert.equal(f[0].object, 'Service/p/web')
  })

  it('check trace follows the request into the running proxy: frontend up, one server DOWN (L4CON)', async () => {
    const r = await vipctl(['check', 'trace', 'web.test/', '-f', m, ...flags, '--stats-socket', proxy.admin, '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    const hops = JSON.parse(r.stdout).traces[0].hops
    assert.equal(hops.find((h: any) => h.hop === 'proxy frontend').status, 'ok')
    const servers = hops.find((h: any) => h.hop === 'servers')
    assert.equal(servers.status, 'warn')
    assert.match(servers.detail, /p_web_80: 1\/2 in rotation UP; SRV_2 127\.0\.0\.32:\d+ DOWN \(L4CON\)/)
  })

  it('a change not yet applied: missing backend and a stale config', async () => {
    const api = `---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: p}\nspec: {ports: [{port: 80}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: api, namespace: p, annotations: {vipctl.io/vip: 192.0.2.1}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: api.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}}]\n`
    writeFileSync(m, manifests(backend.port, api))
    const r = await vipctl(['check', '-f', m, ...flags, '--stats-socket', proxy.admin, '-o', 'json', '--disable', 'VIP4052,VIP4012,VIP3004'])
    assert.equal(r.code, 1, r.stderr)
    const codes = JSON.parse(r.stdout).items.map((x: any) => `${x.code} ${x.object}`)
    assert.deepEqual(codes.sort(), ['VIP4051 Service/p/api', `VIP4053 ${proxy.admin}`])
  })

  it('no proxy at the socket: exit 69 with one line', async () => {
    const r = await vipctl(['check', '-f', m, ...flags, '--stats-socket', '/nonexistent/admin.sock'])
    assert.equal(r.code, 69)
    assert.equal(r.stderr.trim().split('\n').length, 1)
  })
})
