/** examples/shop in a namespace of the test control plane, as a user would apply it. */
import {mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseAllDocuments, stringify} from 'yaml'
import {ROOT} from './cli.js'
import {api, collectionPath, create, endpointCount, readyStatus, waitForEndpointSlices, writePodStatus, type Cluster} from './cluster.js'

let copies = 0

/**
 * examples/shop with its namespace renamed, as objects, and written to a temp dir
 * for offline runs. The example pins cluster IPs (10.0.0.x); each copy gets its own
 * third octet so that several copies fit in one cluster.
 */
export function shopIn(namespace: string): {objects: any[]; dir: string} {
  const copy = ++copies
  const src = path.join(ROOT, 'examples', 'shop')
  const objects: any[] = []
  for (const f of readdirSync(src).filter((x) => x.endsWith('.yaml')).sort())
    for (const d of parseAllDocuments(readFileSync(path.join(src, f), 'utf8'))) {
      const o = d.toJS()
      if (!o || o.kind === 'Namespace') continue
      if (o.metadata.namespace) o.metadata.namespace = namespace
      if (o.kind === 'Service' && o.spec.clusterIP) o.spec.clusterIP = o.spec.clusterIP.replace(/^10\.0\.0\./, `10.0.${copy}.`)
      objects.push(o)
    }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-shop-'))
  writeFileSync(path.join(dir, 'shop.yaml'), objects.map((o) => stringify(o)).join('---\n'))
  return {objects, dir}
}

/** Creates the objects in dependency order and waits until the EndpointSlice controller has caught up. */
export async function applyShop(c: Cluster, namespace: string, objects: any[]): Promise<void> {
  for (const kind of ['Node', 'IngressClass', 'Secret', 'Service', 'EndpointSlice', 'Pod', 'Ingress'])
    await Promise.all(objects.filter((o) => o.kind === kind).map((o) => create(c, o)))
  for (const svc of objects.filter((o) => o.kind === 'Service' && o.spec.selector)) {
    const pods = objects.filter((p) => p.kind === 'Pod' && Object.entries(svc.spec.selector).every(([k, v]) => p.metadata.labels?.[k] === v))
    await waitForEndpointSlices(c, namespace, svc.metadata.name, (s) => endpointCount(s) === pods.length)
  }
}

/** The kubelet's part: flips a Pod's Ready condition. */
export async function setPodReady(c: Cluster, namespace: string, name: string, ready: boolean): Promise<void> {
  const pod = (await api(c, 'GET', `${collectionPath('Pod', namespace)}/${name}`)).body
  await writePodStatus(c, pod, readyStatus(pod.status.podIP, ready, pod.status.hostIP))
}
