/**
 * NetScaler through NITRO: plan (what the appliance reports for our prefix vs
 * the desired entities), then apply in dependency order. NITRO has no
 * transactions (its rollback covers only add/bind of one bulk request), so a
 * failed apply undoes what this run did: what it created is deleted, what it
 * updated gets its previous values back. Removals of entities we no longer want
 * run last, after everything new is in place.
 */
import {ipFamily} from '../../core/address.js'
import {oneLine} from '../../errors.js'
import {toNitro, type NetscalerConfig, type NsEntity} from '../../targets/netscaler/generate.js'
import {NITRO, NitroError, type NitroClient} from '../../core/nitro.js'

/** Entity types we own (prefix-named) and their name field. */
const ENTITIES: Record<string, string> = {
  servicegroup: 'servicegroupname',
  lbmonitor: 'monitorname',
  lbvserver: 'name',
  sslcertkey: 'certkey',
  csvserver: 'name',
  csaction: 'name',
  cspolicy: 'policyname',
  responderaction: 'name',
  responderpolicy: 'name',
  rewriteaction: 'name',
  rewritepolicy: 'name',
  nshttpprofile: 'name',
  netprofile: 'name',
  server: 'name',
}

/** Settings of an entity we own (PUT only, never deleted: they go with their owner), keyed by the owner's name. */
const SETTINGS: Record<string, {owner: string; ownerType: string; when: (owner: Record<string, unknown>) => boolean}> = {
  sslservicegroup: {owner: 'servicegroupname', ownerType: 'servicegroup', when: (o) => o.servicetype === 'SSL'},
}

/** Binding types: the field naming the owner, and the fields that identify one binding (DELETE args). */
const BINDINGS: Record<string, {owner: string; ownerType: string; args: string[]}> = {
  servicegroup_servicegroupmember_binding: {owner: 'servicegroupname', ownerType: 'servicegroup', args: ['ip', 'port']},
  servicegroup_lbmonitor_binding: {owner: 'servicegroupname', ownerType: 'servicegroup', args: ['monitor_name']},
  lbvserver_servicegroup_binding: {owner: 'name', ownerType: 'lbvserver', args: ['servicegroupname']},
  csvserver_cspolicy_binding: {owner: 'name', ownerType: 'csvserver', args: ['policyname']},
  csvserver_lbvserver_binding: {owner: 'name', ownerType: 'csvserver', args: ['lbvserver']},
  csvserver_responderpolicy_binding: {owner: 'name', ownerType: 'csvserver', args: ['policyname']},
  sslvserver_sslcertkey_binding: {owner: 'vservername', ownerType: 'csvserver', args: ['certkeyname']},
  csvserver_rewritepolicy_binding: {owner: 'name', ownerType: 'csvserver', args: ['policyname']},
  lbvserver_rewritepolicy_binding: {owner: 'name', ownerType: 'lbvserver', args: ['policyname']},
  lbvserver_responderpolicy_binding: {owner: 'name', ownerType: 'lbvserver', args: ['policyname']},
  sslservicegroup_sslcertkey_binding: {owner: 'servicegroupname', ownerType: 'servicegroup', args: ['certkeyname']},
}

/** Delete order: bindings first, then what references others, then what is referenced. */
const REMOVE_ORDER = [...Object.keys(BINDINGS), 'cspolicy', 'responderpolicy', 'rewritepolicy', 'csaction', 'responderaction', 'rewriteaction', 'csvserver', 'lbvserver', 'lbmonitor', 'servicegroup', 'nshttpprofile', 'netprofile', 'server', 'sslcertkey']

/**
 * The fields that identify one binding (its DELETE args): a service group member is an IP or, for a
 * domain-based server, the server's name (NITRO reports an IP member's servername as the IP itself).
 */
function bindingArgs(type: string, f: Record<string, unknown>): string[] {
  if (type === 'servicegroup_servicegroupmember_binding' && typeof f.servername === 'string' && ipFamily(f.servername) === 0) return ['servername', 'port']
  return BINDINGS[type]!.args
}

export interface Observed {
  entities: Map<string, Record<string, unknown>>
}

export interface PlannedChange {
  action: 'add' | 'update' | 'remove'
  type: string
  key: string
  /** For add/update: the request; for update also the fields as they are. */
  fields: Record<string, unknown>
  before?: Record<string, unknown>
  /** What changes, for people (update). */
  detail?: string
}

export interface NetscalerPlan {
  changes: PlannedChange[]
}

function keyOf(type: string, f: Record<string, unknown>): string {
  if (ENTITIES[type]) return `${type}/${String(f[ENTITIES[type]!])}`
  if (SETTINGS[type]) return `${type}/${String(f[SETTINGS[type]!.owner])}`
  const b = BINDINGS[type]!
  return `${type}/${String(f[b.owner])}/${bindingArgs(type, f).map((a) => String(f[a])).join('/')}`
}

/** Reads every prefix-named entity and its bindings from the appliance. */
export async function readAppliance(client: NitroClient, prefix: string): Promise<Observed> {
  const entities = new Map<string, Record<string, unknown>>()
  const ours = (n: unknown) => typeof n === 'string' && n.startsWith(`${prefix}-`)
  for (const [type, nameField] of Object.entries(ENTITIES)) for (const e of await client.list(type)) if (ours(e[nameField])) entities.set(keyOf(type, e), e)
  for (const [type, b] of Object.entries(BINDINGS)) {
    const owners = [...entities.entries()].filter(([k]) => k.startsWith(`${b.ownerType}/`)).map(([, e]) => String(e[ENTITIES[b.ownerType]!]))
    for (const owner of owners) for (const e of await client.list(type, owner)) entities.set(keyOf(type, {...e, [b.owner]: e[b.owner] ?? owner}), e)
  }
  for (const [type, st] of Object.entries(SETTINGS)) {
    const owners = [...entities.entries()].filter(([k, e]) => k.startsWith(`${st.ownerType}/`) && st.when(e)).map(([, e]) => String(e[ENTITIES[st.ownerType]!]))
    for (const owner of owners) for (const e of await client.list(type, owner)) entities.set(keyOf(type, {...e, [st.owner]: e[st.owner] ?? owner}), e)
  }
  return {entities}
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b)

export function planNetscaler(desired: NetscalerConfig, observed: Observed): NetscalerPlan {
  const changes: PlannedChange[] = []
  const wanted = new Set<string>()
  for (const e of desired.entities) {
    const req = toNitro(e)
    const fields = req.body[req.resource]!
    const key = keyOf(req.resource, fields)
    wanted.add(key)
    const have = observed.entities.get(key)
    if (!have) changes.push({action: 'add', type: req.resource, key, fields})
    else if (ENTITIES[req.resource] || SETTINGS[req.resource]) {
      const diff = Object.entries(fields).filter(([k, v]) => !same(have[k], v))
      if (diff.length) changes.push({action: 'update', type: req.resource, key, fields, before: have, detail: diff.map(([k, v]) => `${k}: ${JSON.stringify(have[k] ?? null)} -> ${JSON.stringify(v)}`).join(', ')})
    }
  }
  const removals = [...observed.entities.entries()].filter(([k]) => !wanted.has(k) && !SETTINGS[k.split('/')[0]!])
  const rank = (type: string) => REMOVE_ORDER.indexOf(type)
  for (const [key, fields] of removals.sort((a, b) => rank(a[0].split('/')[0]!) - rank(b[0].split('/')[0]!) || (a[0] < b[0] ? -1 : 1))) changes.push({action: 'remove', type: key.split('/')[0]!, key, fields})
  return {changes}
}

export function describeNetscalerPlan(p: NetscalerPlan): string {
  if (p.changes.length === 0) return 'NetScaler is up to date: no changes.\n'
  const sign = {add: '+', update: '~', remove: '-'}
  return `${p.changes.map((c) => `${sign[c.action]} ${c.key}${c.detail ? ` (${c.detail})` : ''}`).join('\n')}\n`
}

export interface NetscalerOutcome {
  added: number
  updated: number
  removed: number
}

/** Carries the plan out; on a failure undoes this run's adds and updates, and throws. */
export async function applyNetscaler(client: NitroClient, plan: NetscalerPlan, files: Array<{path: string; content: string}>, certDir: string): Promise<NetscalerOutcome> {
  const done: PlannedChange[] = []
  const uploaded: string[] = []
  try {
    // Certificate files first (the certKeys name them).
    for (const f of files) {
      const name = f.path.replace(/^.*\//, '')
      if (!plan.changes.some((c) => c.action === 'add' && c.type === 'sslcertkey' && String(c.fields.cert).endsWith(`/${name.replace(/\.key$/, '.crt')}`))) continue
      const file = {filename: name, filelocation: certDir, filecontent: Buffer.from(f.content).toString('base64'), fileencoding: 'BASE64'}
      try {
        await client.add('systemfile', file)
      } catch (error) {
        // A file of that name left on the appliance (an earlier certKey of ours, removed): replaced, never trusted.
        if (!(error instanceof NitroError && error.errorcode === NITRO.ALREADY_EXISTS)) throw error
        await client.remove('systemfile', name, {filelocation: certDir})
        await client.add('systemfile', file)
      }
      uploaded.push(name)
    }
    for (const c of plan.changes) {
      if (c.action === 'add') {
        if (ENTITIES[c.type]) await client.add(c.type, c.fields)
        else await client.put(c.type, c.fields)
        done.push(c)
      } else if (c.action === 'update') {
        await client.put(c.type, c.fields)
        done.push(c)
      }
    }
  } catch (error) {
    const undone = await undo(client, done, uploaded, certDir)
    const e = error as Error
    const err = new NitroError(`${oneLine(e.message)}; undid ${undone} change(s) of this run, the appliance is as it was`, error instanceof NitroError ? error.status : 0, error instanceof NitroError ? error.errorcode : 0)
    throw err
  }
  let removed = 0
  for (const c of plan.changes.filter((x) => x.action === 'remove')) {
    await removeOne(client, c)
    // A certKey's files are ours too (<certkey>.crt and .key in certDir): they go with it, the key first.
    if (c.type === 'sslcertkey') for (const ext of ['key', 'crt']) await client.remove('systemfile', `${String(c.fields.certkey)}.${ext}`, {filelocation: certDir})
    removed++
  }
  return {added: done.filter((c) => c.action === 'add').length, updated: done.filter((c) => c.action === 'update').length, removed}
}

/** DELETE of one entity or binding (a binding by its identifying args, a monitor with its type). */
async function removeOne(client: NitroClient, c: PlannedChange): Promise<void> {
  const b = BINDINGS[c.type]
  if (b) await client.remove(c.type, String(c.fields[b.owner]), Object.fromEntries(bindingArgs(c.type, c.fields).map((a) => [a, String(c.fields[a])])))
  else await client.remove(c.type, String(c.fields[ENTITIES[c.type]!]), c.type === 'lbmonitor' ? {type: String(c.fields.type)} : {})
}

async function undo(client: NitroClient, done: PlannedChange[], uploaded: string[], certDir: string): Promise<number> {
  let n = 0
  for (const c of [...done].reverse()) {
    try {
      if (c.action === 'update' && c.before) await client.put(c.type, Object.fromEntries(Object.keys(c.fields).map((k) => [k, c.before![k]])))
      // Settings added with their owner go when the owner is removed.
      else if (c.action === 'add' && !SETTINGS[c.type]) await removeOne(client, c)
      n++
    } catch {
      // Keep undoing the rest; what could not be undone stays visible to the next diff.
    }
  }
  for (const f of uploaded) await client.remove('systemfile', f, {filelocation: certDir}).catch(() => undefined)
  return n
}

export type {NsEntity}
