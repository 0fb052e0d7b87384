/**
 * L7 policy through a real HAProxy on loopback. Session affinity: a TCP LoadBalancer Service
 * with `sessionAffinity: ClientIP` keeps one client on one member (case service-session-affinity);
 * without it, connections are balanced across members. Forwarding headers: what the backend
 * learns about the client is set by the proxy, whatever the client sent. Bounded loops, loopback only.
 */
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {writeTree} from '../../src/core/files.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {compile} from '../../src/model/compile.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {freePort, freePortRange, get, startBackend, startHaproxy, tempDirs, type Backend, type Proxy} from '../helpers/haproxy.js'

function manifests(name: string, affinity: string, port: number): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: t, annotations: {vipctl.io/vip: 192.0.2.180}}
spec:
  type: LoadBalancer
  ${affinity}
  ports: [{name: game, port: 7777, targetPort: ${port}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-1, namespace: t, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
ports: [{name: game, port: ${port}}]
endpoints:
  - {addresses: [127.0.0.2], conditions: {ready: true}, targetRef: {kind: Pod, name: a}}
  - {addresses: [127.0.0.3], conditions: {ready: true}, targetRef: {kind: Pod, name: b}}
`
}

describe('session affinity through a real HAProxy (loopback)', function () {
  this.timeout(60_000)
  const backends: Backend[] = []
  const proxies: Proxy[] = []
  let port = 0

  before(async () => {
    port = await freePort('127.0.0.2')
    backends.push(await startBackend('a', '127.0.0.2', port), await startBackend('b', '127.0.0.3', port))
  })
  after(async () => {
    for (const p of proxies) await p.stop()
    for (const b of backends) await b.close()
  })

  /** Renders `text` and starts HAProxy with it, listening on 127.0.0.1; returns the listen port. */
  async function serve(text: string): Promise<{listen: number; proxy: Proxy}> {
    const dirs = tempDirs()
    mkdirSync(dirs.runDir, {recursive: true})
    const snap = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(snap, text, 'm.yaml')
    const listen = await freePortRange(8)
    const opts = {...DEFAULT_HAPROXY_OPTIONS, configDir: dirs.configDir, runDir: dirs.runDir, metricsAddress: `127.0.0.1:${await freePort()}`, listen: {mode: 'address' as const, address: '127.0.0.1', basePort: listen}}
    const {config, diagnostics} = renderHaproxy(compile(sortSnapshot(snap), {}), opts)
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), [])
    await writeTree(dirs.configDir, config.files, ['maps', 'certs'])
    writeFileSync(path.join(dirs.dir, 'used.cfg'), config.files[0]!.content)
    const proxy = await startHaproxy(dirs)
    proxies.push(proxy)
    return {listen, proxy}
  }

  /** Serves the Service and returns which member answered each of `n` new connections. */
  async function connections(affinity: string, n: number): Promise<string[]> {
    const {listen, proxy} = await serve(manifests('game', affinity, port))
    // Both members pass their first check before the loop starts (bounded wait).
    for (let i = 0; i < 50 && (await get(listen, 'x')).status !== 200; i++) await new Promise((r) => setTimeout(r, 100))
    const seen: string[] = []
    for (let i = 0; i < n; i++) seen.push((await get(listen, 'x')).body)
    await proxy.stop()
    return seen
  }

  it('sessionAffinity: ClientIP keeps every connection of one client on one member', async () => {
    const seen = await connections('sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}', 12)
    assert.equal(new Set(seen).size, 1, seen.join(','))
    assert.ok(['a', 'b'].includes(seen[0]!), seen.join(','))
  })

  it('without it, the connections are balanced over both members', async () => {
    const seen = await connections('sessionAffinity: None', 12)
    assert.deepEqual([...new Set(seen)].sort(), ['a', 'b'])
  })

  it('vipctl.io/session-cookie keeps an HTTP client on the member its cookie names; without the cookie, requests are balanced', async () => {
    const text = `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: t, annotations: {vipctl.io/session-cookie: SRVID}}\nspec: {ports: [{name: http, port: 80, targetPort: ${port}}]}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: t, labels: {kubernetes.io/service-name: web}}\naddressType: IPv4\nports: [{name: http, port: ${port}}]\nendpoints: [{addresses: [127.0.0.2], conditions: {ready: true}}, {addresses: [127.0.0.3], conditions: {ready: true}}]\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: t, annotations: {vipctl.io/vip: 192.0.2.182}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: a.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n`
    const {listen, proxy} = await serve(text)
    const request = (cookie?: string) =>
      new Promise<{body: string; setCookie?: string}>((resolve, reject) => {
        const req = http.get({host: '127.0.0.1', port: listen, path: '/', agent: false, timeout: 5000, headers: {Host: 'a.test', ...(cookie ? {Cookie: cookie} : {})}}, (res) => {
          let body = ''
          res.on('data', (d) => (body += d))
          res.on('end', () => resolve({body: body.trim(), setCookie: res.headers['set-cookie']?.[0]}))
        })
        req.on('error', reject)
        req.on('timeout', () => req.destroy(new Error('timeout')))
      })
    const first = await request()
    assert.match(first.setCookie ?? '', /^SRVID=[^;]+; path=\/; HttpOnly/i)
    const cookie = first.setCookie!.split(';')[0]!
    const kept: string[] = []
    for (let i = 0; i < 8; i++) kept.push((await request(cookie)).body)
    const free: string[] = []
    for (let i = 0; i < 8; i++) free.push((await request()).body)
    await proxy.stop()
    assert.deepEqual([...new Set(kept)], [first.body])
    assert.deepEqual([...new Set(free)].sort(), ['a', 'b'])
  })

  it('forwarding headers come from the proxy: a client cannot forge X-Forwarded-For, X-Real-IP, Forwarded or X-Forwarded-Host', async () => {
    const ingress = `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: t}\nspec: {ports: [{name: http, port: 80, targetPort: ${port}}]}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: t, labels: {kubernetes.io/service-name: web}}\naddressType: IPv4\nports: [{name: http, port: ${port}}]\nendpoints: [{addresses: [127.0.0.2], conditions: {ready: true}}]\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: t, annotations: {vipctl.io/vip: 192.0.2.181}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: a.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n`
    const {listen, proxy} = await serve(ingress)
    const seen = await new Promise<Record<string, string>>((resolve, reject) => {
      const req = http.get({host: '127.0.0.1', port: listen, path: '/headers', agent: false, timeout: 5000, headers: {Host: 'a.test', 'X-Forwarded-For': '10.6.6.6', 'X-Real-IP': '10.6.6.6', Forwarded: 'for=10.6.6.6', 'X-Forwarded-Host': 'admin.internal', 'X-Forwarded-Proto': 'https'}}, (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve(JSON.parse(body)))
      })
      req.on('error', reject)
      req.on('timeout', () => req.destroy(new Error('timeout')))
    })
    await proxy.stop()
    assert.equal(seen['x-forwarded-for'], '127.0.0.1')
    assert.equal(seen['x-real-ip'], '127.0.0.1')
    assert.equal(seen['x-forwarded-proto'], 'http')
    assert.equal(seen.forwarded, undefined)
    assert.equal(seen['x-forwarded-host'], undefined)
  })
})
