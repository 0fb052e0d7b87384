/** Ingresses written for NetScaler's controller: the ingress.citrix.com/* annotations vipctl reads, and the ones it reports. */
import assert from 'node:assert/strict'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {buildModel} from '../../src/model/build.js'

function model(text: string) {
  const s = emptySnapshot({kind: 'offline', files: []})
  parseInto(s, text, 'citrix.yaml')
  return buildModel(sortSnapshot(s), {ingressClass: 'citrix'})
}

const SERVICES = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: c}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: c, annotations: {vipctl.io/lb-method: source}}
spec: {ports: [{port: 80}]}
`

const ingress = (annotations: Record<string, string>) => `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: c
  annotations: ${JSON.stringify(annotations)}
spec:
  ingressClassName: citrix
  rules:
    - host: shop.test
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
          - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
`

describe('NetScaler controller annotations (ingress.citrix.com/*)', () => {
  it('frontend-ip, insecure-port and lbvserver lbmethod are read; vipctl.io/* wins where both are set', () => {
    const m = model(SERVICES + ingress({'ingress.citrix.com/frontend-ip': '192.0.2.77', 'ingress.citrix.com/insecure-port': '8080', 'ingress.citrix.com/lbvserver': '{"web":{"lbmethod":"LEASTCONNECTION"},"api":{"lbmethod":"ROUNDROBIN"}}'}))
    assert.deepEqual(m.frontends.map((f) => `${f.protocol}://${f.address}:${f.port}`), ['http://192.0.2.77:8080'])
    assert.equal(m.pools.find((p) => p.service === 'web')!.lbMethod, 'leastconn')
    assert.equal(m.pools.find((p) => p.service === 'api')!.lbMethod, 'source', 'the Service\'s own vipctl.io/lb-method wins')
    assert.deepEqual(m.diagnostics.filter((d) => d.severity !== 'info'), [])
    const both = model(SERVICES + ingress({'vipctl.io/vip': '192.0.2.1', 'ingress.citrix.com/frontend-ip': '192.0.2.77'}))
    assert.equal(both.frontends[0]!.address, '192.0.2.1')
  })

  it('insecure-termination: allow serves plain HTTP, redirect redirects, disallow is reported', () => {
    const tls = (v: string) =>
      (SERVICES + ingress({'ingress.citrix.com/frontend-ip': '192.0.2.77', 'ingress.citrix.com/insecure-termination': v})).replace('  ingressClassName: citrix\n', '  ingressClassName: citrix\n  tls: [{hosts: [shop.test], secretName: missing}]\n')
    const allow = model(tls('allow'))
    assert.ok(allow.frontends.filter((f) => f.protocol === 'http').every((f) => f.routes.every((r) => !r.redirectHttps)))
    const bad = model(tls('disallow'))
    assert.ok(bad.diagnostics.some((d) => d.code === 'VIP2013' && d.field === 'metadata.annotations[ingress.citrix.com/insecure-termination]'))
  })

  it('unsupported keys and malformed values are reported with the field, never silently used', () => {
    const m = model(SERVICES + ingress({'ingress.citrix.com/frontend-ip': '192.0.2.77', 'ingress.citrix.com/secure-backend': '{"web":"True"}', 'ingress.citrix.com/lbvserver': '{"web":{"lbmethod":"URLHASH","persistencetype":"COOKIEINSERT"}}'}))
    const codes = m.diagnostics.map((d) => `${d.code} ${d.field}: ${d.message}`)
    assert.ok(codes.some((c) => c.startsWith('VIP2013 metadata.annotations[ingress.citrix.com/secure-backend]')), codes.join('\n'))
    assert.ok(codes.some((c) => /VIP2013 .*web\.lbmethod "URLHASH" is not supported/.test(c)))
    assert.ok(codes.some((c) => /VIP2013 .*web\.persistencetype is not supported/.test(c)))
    const badIp = model(SERVICES + ingress({'ingress.citrix.com/frontend-ip': 'not-an-ip'}))
    assert.ok(badIp.diagnostics.some((d) => d.code === 'VIP2006' && d.field === 'metadata.annotations[ingress.citrix.com/frontend-ip]'))
    const badJson = model(SERVICES + ingress({'ingress.citrix.com/frontend-ip': '192.0.2.77', 'ingress.citrix.com/lbvserver': '{not json'}))
    assert.ok(badJson.diagnostics.some((d) => d.code === 'VIP2006' && d.field === 'metadata.annotations[ingress.citrix.com/lbvserver]'))
    assert.equal(badJson.pools.find((p) => p.service === 'web')!.lbMethod, 'roundrobin')
  })
})
