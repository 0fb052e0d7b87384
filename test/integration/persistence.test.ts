/**
 * Session affinity through a real HAProxy on loopback: a TCP LoadBalancer Service with
 * `sessionAffinity: ClientIP` keeps one client on one member (case service-session-affinity);
 * without it, connections are balanced across members. Bounded loops, loopback only.
 */
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {writeTree} from '../../src/core/files.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {compile} from '../../src/model/compile.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {freePort, get, startBackend, startHaproxy, tempDirs, type Backend, type Proxy} from '../helpers/haproxy.js'

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

  /** Serves the Service on 127.0.0.1 and returns which member answered each of `n` new connections. */
  async function connections(affinity: string, n: number): Promise<string[]> {
    const dirs = tempDirs()
    mkdirSync(dirs.runDir, {recursive: true})
    const snap = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(snap, manifests('game', affinity, port), 'm.yaml')
    const listen = await freePort()
    const opts = {...DEFAULT_HAPROXY_OPTIONS, configDir: dirs.configDir, runDir: dirs.runDir, metricsAddress: `127.0.0.1:${await freePort()}`, listen: {mode: 'address' as const, address: '127.0.0.1', basePort: listen}}
    const {config, diagnostics} = renderHaproxy(compile(sortSnapshot(snap), {}), opts)
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), [])
    await writeTree(dirs.configDir, config.files, ['maps', 'certs'])
    writeFileSync(path.join(dirs.dir, 'used.cfg'), config.files[0]!.content)
    const proxy = await startHaproxy(dirs)
    proxies.push(proxy)
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
})
