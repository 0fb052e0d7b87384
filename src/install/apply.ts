/** Server-side apply of the install objects (field manager vipctl), or a server-side dry run diffed against the cluster. */
import {objectTable} from '../output/object-table.js'
import {createTwoFilesPatch} from 'diff'
import {stringify} from 'yaml'
import {statusError, type RestClient} from '../core/kube-rest.js'
import {oneLine} from '../errors.js'
import type {DocResult} from '../output/render.js'
import {objectPath, type K8sObject} from './manifests.js'

export interface InstallChange {
  object: string
  action: 'created' | 'configured' | 'unchanged'
  diff?: string
}

const short = (o: K8sObject) => `${o.kind.toLowerCase()}/${o.metadata.namespace && o.kind !== 'Namespace' ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`

/** What a person compares: the object without server bookkeeping. */
export function normalize(obj: unknown): unknown {
  if (!obj || typeof obj !== 'object') return obj
  const {status: _s, ...rest} = obj as Record<string, unknown>
  const meta = {...((rest.metadata ?? {}) as Record<string, unknown>)}
  for (const k of ['managedFields', 'resourceVersion', 'generation', 'creationTimestamp', 'uid']) delete meta[k]
  const ann = {...((meta.annotations ?? {}) as Record<string, string>)}
  delete ann['deprecated.daemonset.template.generation']
  if (Object.keys(ann).length) meta.annotations = ann
  else delete meta.annotations
  return {...rest, metadata: meta}
}

export async function applyInstall(objects: K8sObject[], client: RestClient, dryRun: boolean): Promise<InstallChange[]> {
  const out: InstallChange[] = []
  for (const o of objects) {
    const path = objectPath(o)
    const intent = {verb: 'patch' as const, resource: path.split('/').at(-2)!, namespace: o.kind === 'Namespace' ? undefined : o.metadata.namespace, name: o.metadata.name}
    const current = await client.get(path)
    if (current.status !== 200 && current.status !== 404) throw statusError(current, {...intent, verb: 'get'}, client.server, client.user)
    const res = await client.send!('PATCH', path, {fieldManager: 'vipctl', force: 'true', ...(dryRun ? {dryRun: 'All'} : {})}, o, 'application/apply-patch+yaml')
    if (res.status !== 200 && res.status !== 201) {
      // A dry run of objects in a namespace that does not exist yet cannot be checked by the server.
      if (dryRun && res.status === 404 && current.status === 404) {
        out.push({object: short(o), action: 'created', diff: createTwoFilesPatch(short(o), short(o), '', stringify(o), 'cluster', 'vipctl', {context: 3})})
        continue
      }
      throw statusError(res, intent, client.server, client.user)
    }
    if (current.status === 404) {
      out.push({object: short(o), action: 'created', ...(dryRun ? {diff: createTwoFilesPatch(short(o), short(o), '', stringify(normalize(res.body)), 'cluster', 'vipctl', {context: 3})} : {})})
      continue
    }
    const before = stringify(normalize(current.body))
    const after = stringify(normalize(res.body))
    out.push(before === after ? {object: short(o), action: 'unchanged'} : {object: short(o), action: 'configured', ...(dryRun ? {diff: createTwoFilesPatch(short(o), short(o), before, after, 'cluster', 'vipctl', {context: 3})} : {})})
  }
  return out
}

export function installResult(changes: InstallChange[], dryRun: boolean): DocResult<{dryRun: boolean; changes: InstallChange[]}> {
  return {
    type: 'doc',
    kind: 'InstallResult',
    data: {dryRun, changes},
    text: (d) =>
      d.changes
        .map((c) => `${c.object} ${c.action}${d.dryRun ? ' (server dry run)' : ''}\n${d.dryRun && c.diff ? c.diff.split('\n').slice(2).join('\n') : ''}`)
        .join(''),
    ...(dryRun && changes.some((c) => c.action !== 'unchanged') ? {exit: 2} : {}),
  }
}

export function manifestsResult(objects: K8sObject[]): DocResult<{items: K8sObject[]}> {
  const yaml = (d: {items: K8sObject[]}) => d.items.map((o) => `---\n${stringify(o, {lineWidth: 0})}`).join('')
  return {
    type: 'doc',
    kind: 'List',
    data: {items: objects},
    // -o table: the objects, one per row (-o yaml prints them as documents).
    text: (d) => objectTable(d.items),
    // Plain Kubernetes documents, so that `vipctl install -o yaml | kubectl apply -f -` works.
    own: {yaml},
    document: (d) => ({apiVersion: 'v1', kind: 'List', items: d.items}),
  }
}
