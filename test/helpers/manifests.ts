/** Manifests written in a test, as the offline source reads them (sorted as every source sorts). */
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'

export function snapshotOf(text: string, file = 'm.yaml'): Snapshot {
  const s = emptySnapshot({kind: 'offline', files: [file]})
  parseInto(s, text, file)
  return sortSnapshot(s)
}

/** Service t/web (port 80) with one ready endpoint 10.1.0.1:8080, and t/web2 without endpoints: the usual backends of a route test. */
export const WEB_BACKENDS = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: t}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web2, namespace: t}
spec: {ports: [{port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: t, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{port: 8080}]
endpoints: [{addresses: [10.1.0.1]}]
`
