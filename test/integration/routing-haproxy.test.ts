/**
 * The shared routing-semantics table through a real HAProxy: the generated
 * config runs in a private network namespace, each Service's endpoint is an
 * echo server on its own address, and every request of the table must land
 * where the routing module (and so NetScaler, trace and check) says.
 */
import assert from 'node:assert/strict'
import {buildModel} from '../../src/model/build.js'
import {decide, routingTable} from '../../src/model/routing.js'
import {serveInNetns, type Netns} from '../helpers/privatens.js'
import {MANIFESTS, TABLE, parseManifests} from '../helpers/semantics.js'

const SERVICES = ['a', 'b', 'c', 'd', 'e', 'f', 'w', 'dflt', 'any', 'r']
const addressOf = (svc: string) => `10.77.0.${SERVICES.indexOf(svc) + 1}`
const SLICES = SERVICES.map(
  (s) => `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${s}-1, namespace: t, labels: {kubernetes.io/service-name: ${s}}}
addressType: IPv4
ports: [{port: 80}]
endpoints: [{addresses: [${addressOf(s)}], conditions: {ready: true}}]`,
).join('\n')

describe('routing semantics through a real HAProxy (private namespace)', function () {
  this.timeout(60_000)
  const snap = parseManifests(`${MANIFESTS}\n${SLICES}\n`)
  const model = buildModel(snap, {})
  let ns: Netns
  before(async () => (ns = await serveInNetns(snap, ['-H', 'Host: shop.test', 'http://192.0.2.1/'])))
  after(() => ns?.stop())

  it('every request of the table lands where the routing module says', () => {
    const fe = model.frontends.find((f) => f.protocol === 'http' && f.port === 80)!
    const table = routingTable(fe, model)
    for (const [host, path, want] of TABLE) {
      const r = ns.curl(['-H', `Host: ${host}`, `http://192.0.2.1${path}`])
      const label = `${host}${path}`
      const v = decide(table, {host, path})
      if (want === 'redirect') {
        assert.equal(r.status, 308, label)
        assert.equal(r.location, `https://${host.toLowerCase().replace(/:[0-9]+$/, '')}${path}`, label)
        assert.equal(v.outcome.kind, 'redirect', label)
      } else if (want === '404' || want === '400') assert.equal(r.status, Number(want), label)
      else {
        assert.equal(r.status, 200, `${label}: ${r.status} ${r.body}`)
        assert.match(r.body, new RegExp(`^be=${addressOf(want).replace(/\./g, '\\.')} `), label)
      }
    }
  })
})
