/**
 * The shared routing-semantics table: manifests and the requests every target,
 * trace, check and a real HAProxy must answer alike (test/unit/routing-semantics.test.ts,
 * test/integration/routing-haproxy.test.ts).
 */
import {readFileSync} from 'node:fs'
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'

export const MANIFESTS = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: vipctl}
spec: {controller: vipctl.io/ingress-controller}
${['a', 'b', 'c', 'd', 'e', 'f', 'w', 'dflt', 'any', 'r'].map((s) => `---
apiVersion: v1
kind: Service
metadata: {name: ${s}, namespace: t}
spec: {ports: [{port: 80}]}`).join('\n')}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: main, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1}}
spec:
  ingressClassName: vipctl
  defaultBackend: {service: {name: dflt, port: {number: 80}}}
  rules:
    - host: shop.test
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}
          - {path: /api, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}
          - {path: /api, pathType: Exact, backend: {service: {name: c, port: {number: 80}}}}
          - {path: /api/v2, pathType: Prefix, backend: {service: {name: d, port: {number: 80}}}}
          - {path: /api/v2/exact, pathType: Exact, backend: {service: {name: e, port: {number: 80}}}}
          - {path: /static/img, pathType: Prefix, backend: {service: {name: f, port: {number: 80}}}}
    - host: "*.wild.test"
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: w, port: {number: 80}}}}
    - http:
        paths:
          - {path: /health, pathType: Exact, backend: {service: {name: any, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: redirect, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1, vipctl.io/ssl-redirect: "true"}}
spec:
  ingressClassName: vipctl
  tls: [{hosts: [secure.shop.example.com], secretName: shop-tls}]
  rules:
    - host: secure.shop.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: r, port: {number: 80}}}}
`

/** [host header, path, expected: a Service name, "redirect", or "404"] */
export const TABLE: Array<[string, string, string]> = [
  ['shop.test', '/', 'a'],
  ['shop.test', '/x', 'a'],
  ['SHOP.TEST:8080', '/api', 'c'],
  ['shop.test', '/api/', 'b'],
  ['shop.test', '/api/x', 'b'],
  ['shop.test', '/apix', 'a'],
  ['shop.test', '/api/v2', 'd'],
  ['shop.test', '/api/v2/x', 'd'],
  ['shop.test', '/api/v2/exact', 'e'],
  ['shop.test', '/api/v2/exact/more', 'd'],
  ['shop.test', '/static', 'a'],
  ['shop.test', '/static/img', 'f'],
  ['shop.test', '/static/imgs', 'a'],
  ['x.wild.test', '/anything', 'w'],
  ['X.Wild.Test', '/', 'w'],
  ['a.b.wild.test', '/', 'dflt'],
  ['wild.test', '/', 'dflt'],
  ['other.test', '/health', 'any'],
  ['shop.test', '/health', 'a'],
  ['other.test', '/health/x', 'dflt'],
  ['other.test', '/', 'dflt'],
  ['secure.shop.example.com', '/', 'redirect'],
  ['Secure.Shop.Example.Com', '/deep/path', 'redirect'],
  // Paths a backend could resolve into another rule's path: 400 everywhere.
  ['shop.test', '/static/img/../../api/x', '400'],
  ['shop.test', '/static/img/%2e%2e/x', '400'],
  ['shop.test', '/static/img/%2E%2e/x', '400'],
  ['shop.test', '/api/./v2', '400'],
  ['shop.test', '/api/v2/..', '400'],
  ['shop.test', '/static/img%5c..%5cx', '400'],
  // The same with what ends a dot segment for some backends: path parameters, an encoded slash, a raw backslash.
  ['shop.test', '/static/..;/api/x', '400'],
  ['shop.test', '/static/..%2fapi/x', '400'],
  ['shop.test', '/static/..%2Fapi/x', '400'],
  ['shop.test', '/static/..\\api/x', '400'],
  ['shop.test', '/static/a\\b', '400'],
  // Not dot segments: served as usual.
  ['shop.test', '/static/..x', 'a'],
  ['shop.test', '/static/a;b', 'a'],
  ['shop.test', '/static/img...x', 'a'],
  ['shop.test', '/api/v2/.well-known', 'd'],
]

export function parseManifests(text: string): Snapshot {
  const snap = emptySnapshot({kind: 'offline', files: ['semantics.yaml']})
  parseInto(snap, text, 'semantics.yaml')
  // The example's real certificate (for *.shop.example.com), so that the HTTPS redirect applies.
  parseInto(snap, readFileSync('examples/shop/50-secret-tls.yaml', 'utf8').replace('namespace: shop', 'namespace: t'), 'secret.yaml')
  return sortSnapshot(snap)
}


