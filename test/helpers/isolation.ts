/**
 * The isolation property, per target: rendering the good tenants with and
 * without one poison tenant, everything attributable to another object is
 * identical, and everything new is attributable to the poison.
 *
 *  - HAProxy: every section of the baseline is there with the same lines (a
 *    frontend's provenance comment may gain the poison's objects); every map
 *    entry and crt-list line of the baseline is there, in the same order; new
 *    sections, map entries and crt-list lines belong to the poison (its
 *    backends, its routes, its certificate) and never claim another tenant's
 *    TLS host; certificate files are unchanged.
 *  - NetScaler: every entity of the baseline is there (a cs vserver's comment
 *    may change, binding priorities may be renumbered but keep their order, a
 *    responder rule may gain exclusions of the poison's routes); new entities
 *    name or belong to the poison.
 *  - nftables/iptables: every rule of the baseline is there with the same
 *    destination (owners may gain the poison); new rules belong to the poison.
 */
import type {LbModel, Route} from '../../src/model/types.js'
import {certFileName} from '../../src/targets/haproxy/generate.js'
import {DEFAULT_NETSCALER_OPTIONS, csvserverName, nsHash, poolNames, routeRule, type NsEntity} from '../../src/targets/netscaler/generate.js'
import type {VipRule} from '../../src/targets/nftables/generate.js'
import {CFG_DIR, type Rendered, type TargetName} from './targets.js'

export interface Violation {
  target: TargetName | 'model'
  kind: string
  detail: string
}

export interface PoisonInfo {
  /** kind/namespace/name of every poison object. */
  keys: ReadonlySet<string>
  namespace: string
}

interface HSection {
  header: string
  comment?: string
  lines: string[]
}

function sections(cfg: string): Map<string, HSection> {
  const out = new Map<string, HSection>()
  let comment: string | undefined
  let cur: HSection | undefined
  for (const l of cfg.split('\n')) {
    if (l === '') continue
    if (l.startsWith('# ')) {
      comment = l.slice(2)
      continue
    }
    if (!l.startsWith(' ')) {
      cur = {header: l, comment, lines: []}
      comment = undefined
      out.set(l, cur)
      continue
    }
    cur?.lines.push(l)
  }
  return out
}

const objectsOf = (comment: string | undefined) => new Set((comment ?? '').split(', ').filter(Boolean))

/** Routes of the poison in a model. */
function poisonRoutes(model: LbModel, p: PoisonInfo): Route[] {
  return model.frontends.flatMap((f) => f.routes.filter((r) => p.keys.has(r.provenance.object)))
}

/** Is `sub` a subsequence of `all` (same relative order)? Returns the first element of `sub` that is missing or out of order. */
function missingInOrder(sub: string[], all: string[]): string | undefined {
  let j = 0
  for (const s of sub) {
    while (j < all.length && all[j] !== s) j++
    if (j >= all.length) return s
    j++
  }
  return undefined
}

export function haproxyIsolation(base: Rendered, withPoison: Rendered, p: PoisonInfo, observations?: Map<string, number>): Violation[] {
  const v: Violation[] = []
  const add = (kind: string, detail: string) => v.push({target: 'haproxy', kind, detail})
  const B = base.haproxy
  const P = withPoison.haproxy
  if (!B || !P) return v
  const bs = sections(B.files.find((f) => f.path === 'haproxy.cfg')!.content)
  const ps = sections(P.files.find((f) => f.path === 'haproxy.cfg')!.content)
  const poisonBackends = new Set(Object.entries(P.index.backends).filter(([, b]) => b.namespace === p.namespace).map(([name]) => name))
  // Route ids of the poison's policy routes: the values of its own map entries that no baseline map holds.
  const lines0 = (s: string) => s.split('\n').filter(Boolean)
  const baseValues = new Set(B.files.filter((f) => f.path.endsWith('.map')).flatMap((f) => lines0(f.content).map((l) => l.split(' ')[1]!)))
  const poisonKeys = new Set<string>()
  for (const r of poisonRoutes(withPoison.model, p)) poisonKeys.add(`${r.host}${r.path}`).add(r.path === '/' ? `${r.host}${r.path}` : `${r.host}${r.path}/`)
  const poisonIds = new Set(
    P.files
      .filter((f) => f.path.endsWith('.map'))
      .flatMap((f) => lines0(f.content).map((l) => l.split(' ') as [string, string]))
      .filter(([k, v]) => poisonKeys.has(k) && v.startsWith('_route_') && !baseValues.has(v))
      .map(([, v]) => v),
  )
  // A line the poison's policy adds to a shared frontend acts only on its own route id (guarded by it).
  const guardedByPoison = (l: string) => [...poisonIds].some((id) => l.endsWith(`{ var(txn.rt) -m str ${id} }`) || l.endsWith(`{ var(txn.be) -m str ${id} }`) || l.includes(`{ var(txn.rt) -m str ${id} } {`))
  for (const [h, s] of bs) {
    const q = ps.get(h)
    if (!q) {
      add('section-lost', h)
      continue
    }
    if (q.lines.join('\n') !== s.lines.join('\n')) {
      // The poison's first redirect route adds the frontend's redirect rule (it acts only on the poison's own map entries).
      const f = withPoison.model.frontends.find((x) => h === `frontend ${x.id}`)
      const poisonRedirects = f?.routes.some((r) => r.redirectHttps && p.keys.has(r.provenance.object)) ?? false
      const extra = q.lines.filter((l) => !s.lines.includes(l))
      const lost = missingInOrder(s.lines, q.lines)
      if (lost !== undefined || !extra.every((l) => (poisonRedirects && l.startsWith('    http-request redirect ')) || guardedByPoison(l) || (h.startsWith('backend ') && poisonBackends.has(h.slice(8)))))
        add('section-changed', `${h}: ${(lost !== undefined ? `- ${lost}` : `+ ${extra[0]}`).trim().slice(0, 160)}`)
    }
    if (h.startsWith('frontend ')) {
      const extra = [...objectsOf(q.comment)].filter((o) => !objectsOf(s.comment).has(o) && !p.keys.has(o))
      const lost = [...objectsOf(s.comment)].filter((o) => !objectsOf(q.comment).has(o))
      if (extra.length || lost.length) add('provenance-changed', `${h}: +${extra.join(' ')} -${lost.join(' ')}`)
    } else if (q.comment !== s.comment) add('comment-changed', h)
  }
  for (const [h, q] of ps) {
    if (bs.has(h)) continue
    if (h.startsWith('backend ') && poisonBackends.has(h.slice(8))) continue
    if (h.startsWith('frontend ') && [...objectsOf(q.comment)].every((o) => p.keys.has(o)) && objectsOf(q.comment).size > 0) continue
    add('foreign-section', `${h} (${q.comment ?? 'no comment'})`)
  }
  // Map entries: the poison's own keys only.
  const routeKeys = new Set<string>()
  for (const r of poisonRoutes(withPoison.model, p)) {
    routeKeys.add(`${r.host}${r.path}`)
    if (r.pathType === 'Prefix') routeKeys.add(r.path === '/' ? `${r.host}${r.path}` : `${r.host}${r.path}/`)
  }
  const baseExact = new Set(base.model.frontends.flatMap((f) => f.routes.filter((r) => r.pathType === 'Exact').map((r) => `${r.host}${r.path}`)))
  const exactOverPrefix = new Set(poisonRoutes(withPoison.model, p).filter((r) => r.pathType === 'Exact' && !baseExact.has(`${r.host}${r.path}`)).map((r) => `${r.host}${r.path}`))
  const files = new Map(P.files.map((f) => [f.path, f]))
  const baseFiles = new Map(B.files.map((f) => [f.path, f]))
  const lines = (s: string) => s.split('\n').filter(Boolean)
  const baseTlsHosts = new Set<string>()
  for (const f of B.files) if (f.path.endsWith('.crtlist')) for (const l of lines(f.content)) for (const h of l.split(' ').slice(1)) baseTlsHosts.add(h)
  const poisonCerts = new Set(withPoison.model.frontends.flatMap((f) => f.certificates.filter((c) => p.keys.has(c.provenance.object)).map((c) => `${CFG_DIR}/${certFileName(c.secret)}`)))
  for (const f of B.files) {
    if (f.path === 'haproxy.cfg' || f.path === 'vipctl-index.json') continue
    const q = files.get(f.path)
    if (!q) {
      add('file-lost', f.path)
      continue
    }
    if (f.path.endsWith('.pem') && q.content !== f.content) add('certificate-changed', f.path)
    if (f.path.endsWith('.map')) {
      // Kubernetes merge semantics (case conflict-oldest-wins): an Exact route wins over another object's Prefix route
      // on the same host and path for that one path, so the poison's Exact route may take the exact-map key of a Prefix route.
      const mine = f.path.endsWith('.exact.map') ? exactOverPrefix : new Set<string>()
      const miss = missingInOrder(lines(f.content).filter((l) => !mine.has(l.split(' ')[0]!)), lines(q.content))
      if (miss !== undefined) add('map-entry-changed', `${f.path}: ${miss.slice(0, 160)}`)
    }
    if (f.path.endsWith('.crtlist')) {
      const bl = lines(f.content)
      const ql = lines(q.content)
      // The last line without SNI filters is the default certificate (for clients without SNI).
      const bDefault = bl.at(-1)!.includes(' ') ? undefined : bl.pop()
      const qDefault = ql.at(-1)?.includes(' ') ? undefined : ql.at(-1)
      const miss = missingInOrder(bl, ql)
      if (miss !== undefined) add('crt-list-line-changed', `${f.path}: ${miss.slice(0, 160)}`)
      if (bDefault !== qDefault) observations?.set('default certificate of a shared HTTPS frontend changed', (observations.get('default certificate of a shared HTTPS frontend changed') ?? 0) + 1)
    }
  }
  for (const q of P.files) {
    const b = baseFiles.get(q.path)
    if (q.path.endsWith('.map')) {
      const old = new Set(b ? lines(b.content) : [])
      for (const l of lines(q.content)) {
        if (old.has(l)) continue
        const [key, value] = l.split(' ') as [string, string]
        if (!routeKeys.has(key) || !(value === '_redirect_https' || poisonBackends.has(value) || poisonIds.has(value) || (value.startsWith('_route_') && baseValues.has(value))))
          add('foreign-map-entry', `${q.path}: ${l.slice(0, 160)}`)
      }
    }
    if (q.path.endsWith('.crtlist')) {
      const old = new Set(b ? lines(b.content) : [])
      const ql = lines(q.content)
      for (const [i, l] of ql.entries()) {
        if (old.has(l) || (i === ql.length - 1 && !l.includes(' '))) continue
        const [file, ...hosts] = l.split(' ')
        if (!poisonCerts.has(file!)) add('foreign-crt-list-line', `${q.path}: ${l.slice(0, 160)}`)
        const claimed = hosts.filter((h) => baseTlsHosts.has(h))
        if (claimed.length) add('tls-host-claimed', `${q.path}: the poison's certificate is offered for ${claimed.join(' ')}`)
      }
    }
    if (q.path.endsWith('.pem') && !b && !poisonCerts.has(`${CFG_DIR}/${q.path}`)) add('foreign-certificate', q.path)
  }
  return v
}

// ---- NetScaler ---------------------------------------------------------------

type Binding = Extract<NsEntity, {priority: number}>
const baseNormal = new WeakMap<object, string[]>()

function entityName(e: NsEntity): string {
  switch (e.type) {
    case 'servicegroup':
    case 'lbvserver':
    case 'csvserver':
    case 'csaction':
    case 'responderaction':
      return e.name
    case 'lbmonitor':
      return e.monitorname
    case 'sslcertkey':
      return e.certkey
    case 'cspolicy':
      return e.policyname
    case 'responderpolicy':
    case 'rewritepolicy':
    case 'rewriteaction':
      return e.name
    default:
      return ''
  }
}

/** Names an entity refers to (its own name included). */
function refs(e: NsEntity): string[] {
  return Object.entries(e)
    .filter(([k, x]) => typeof x === 'string' && k !== 'type' && k !== 'rule' && k !== 'comment' && k !== 'target' && k !== 'httpRequest' && k !== 'cert' && k !== 'key' && k !== 'ipv46' && k !== 'ip')
    .map(([, x]) => x as string)
}

export function netscalerIsolation(base: Rendered, withPoison: Rendered, p: PoisonInfo, observations?: Map<string, number>): Violation[] {
  const v: Violation[] = []
  const add = (kind: string, detail: string) => v.push({target: 'netscaler', kind, detail})
  const B = base.netscaler?.config
  const P = withPoison.netscaler?.config
  if (!B || !P) return v
  const prefix = DEFAULT_NETSCALER_OPTIONS.prefix
  const pRoutes = poisonRoutes(withPoison.model, p)
  const exclusions = pRoutes.map((r) => ` && !(${routeRule(r)})`)
  const normal = (e: NsEntity): string => {
    if (e.type === 'csvserver') return JSON.stringify({...e, comment: ''})
    if ('priority' in e) return JSON.stringify({...e, priority: 0})
    // A second certificate on a shared SSL vserver turns SNI on: the first one becomes an SNI certificate too (observed, not a violation).
    if (e.type === 'sslvserver_sslcertkey_binding') return JSON.stringify({...e, snicert: false})
    if (e.type === 'responderpolicy' || e.type === 'rewritepolicy') {
      let rule = e.rule
      for (const x of exclusions) rule = rule.split(x).join('')
      return JSON.stringify({...e, rule})
    }
    return JSON.stringify(e)
  }
  // Names that belong to the poison: its pools' entities, its certificate keys, its frontends' cs vservers, its routes' policies.
  const mine = new Set<string>()
  for (const pool of withPoison.model.pools) {
    if (pool.namespace !== p.namespace) continue
    const n = poolNames(pool, prefix)
    mine.add(n.sgp).add(n.lbv).add(n.mon)
  }
  for (const f of withPoison.model.frontends) {
    for (const c of f.certificates) {
      if (!p.keys.has(c.provenance.object)) continue
      const [sns, sname] = c.secret.split('/') as [string, string]
      const readable = `${prefix}-${sns}_${sname}_ck`
      mine.add(readable).add(`${prefix}-${nsHash(c.secret).slice(0, 16)}_ck`)
    }
    if (f.provenance.length > 0 && f.provenance.every((x) => p.keys.has(x.object))) mine.add(csvserverName(f, prefix, withPoison.model))
    if (f.routes.some((r) => r.redirectHttps && p.keys.has(r.provenance.object))) mine.add(`${prefix}-${f.address}_${f.port}_redirect_https`)
  }
  const isPoisonMatch = (m: {host: string; path: string; pathType: string}) => pRoutes.some((r) => r.host === m.host && r.path === m.path && r.pathType === m.pathType)
  for (const e of P.entities) if ((e.type === 'cspolicy' || e.type === 'responderpolicy') && isPoisonMatch(e.match)) mine.add(entityName(e)).add(e.action)
  // vipctl's own forwarding-header rules (the same for every HTTP vserver) belong to no tenant.
  for (const e of P.entities) if ((e.type === 'rewritepolicy' || e.type === 'rewriteaction') && e.name.startsWith(`${prefix}-fwd_`)) mine.add(e.name)
  for (const e of P.entities) if (e.type === 'csaction' && mine.has(e.targetlbvserver)) mine.add(e.name)
  // A route's own lb vservers (its filters' home): named by its cs actions.
  for (const e of P.entities) if (e.type === 'csaction' && mine.has(e.name)) mine.add(e.targetlbvserver)
  // Rewrite policies (and their actions) bound to the poison's own lb vservers.
  for (const e of P.entities) if ((e.type === 'lbvserver_rewritepolicy_binding' || e.type === 'lbvserver_responderpolicy_binding') && mine.has(e.name)) mine.add(e.policyname)
  for (const e of P.entities) if (e.type === 'responderpolicy' && mine.has(e.name)) mine.add(e.action)
  for (const e of P.entities) if (e.type === 'rewritepolicy' && mine.has(e.name)) mine.add(e.action)

  const have = new Map<string, number>()
  const after = P.entities.map(normal)
  for (const k of after) have.set(k, (have.get(k) ?? 0) + 1)
  // The baseline holds no poison route, so its normal form does not depend on the poison: computed once.
  let before = baseNormal.get(B)
  if (!before) baseNormal.set(B, (before = B.entities.map(normal)))
  const baseSet = new Set(before)
  for (const [i, e] of B.entities.entries()) {
    const k = before[i]!
    const n = have.get(k) ?? 0
    if (n === 0) add('entity-changed', `${e.type} ${entityName(e) || refs(e).join(' ')}`.slice(0, 200))
    else have.set(k, n - 1)
  }
  for (const [i, e] of P.entities.entries()) {
    if (baseSet.has(after[i]!)) continue
    if (refs(e).some((r) => mine.has(r))) continue
    add('foreign-entity', `${e.type} ${refs(e).join(' ')}`.slice(0, 200))
  }
  const sni = (c: typeof B) => new Set(c.entities.filter((e) => e.type === 'sslvserver_sslcertkey_binding' && e.snicert).map((e) => JSON.stringify({...e, snicert: false})))
  const sniAfter = sni(P)
  for (const k of sni(B)) if (!sniAfter.has(k)) add('sni-changed', k)
  for (const e of B.entities) if (e.type === 'sslvserver_sslcertkey_binding' && !e.snicert && sniAfter.has(JSON.stringify(e)))
    observations?.set('NetScaler: a certificate of a shared SSL vserver became an SNI certificate', (observations.get('NetScaler: a certificate of a shared SSL vserver became an SNI certificate') ?? 0) + 1)
  // Binding priorities may be renumbered; the baseline's order must hold.
  const order = (entities: NsEntity[], type: Binding['type'], vserver: string, names?: Set<string>) =>
    (entities.filter((e) => e.type === type && e.name === vserver) as Binding[])
      .filter((e) => !names || names.has(e.policyname))
      .sort((a, b) => a.priority - b.priority)
      .map((e) => e.policyname)
  for (const type of ['csvserver_cspolicy_binding', 'csvserver_responderpolicy_binding', 'csvserver_rewritepolicy_binding'] as const) {
    for (const vs of new Set((B.entities.filter((e) => e.type === type) as Binding[]).map((e) => e.name))) {
      const before = order(B.entities, type, vs)
      const after = order(P.entities, type, vs, new Set(before))
      if (before.join(' ') !== after.join(' ')) add('priority-order-changed', `${vs}: ${type}`)
    }
  }
  return v
}

// ---- nftables / iptables ---------------------------------------------------

const ruleKey = (r: VipRule) => `${r.vip}|${r.port}|${r.protocol}`

export function vipIsolation(base: VipRule[], withPoison: VipRule[], p: PoisonInfo, target: 'nftables' | 'iptables', mode: string): Violation[] {
  const v: Violation[] = []
  const add = (kind: string, detail: string) => v.push({target, kind, detail: `${mode}: ${detail}`})
  const after = new Map(withPoison.map((r) => [ruleKey(r), r]))
  const before = new Set(base.map(ruleKey))
  for (const r of base) {
    const q = after.get(ruleKey(r))
    if (!q) {
      add('rule-lost', ruleKey(r))
      continue
    }
    if (q.family !== r.family || JSON.stringify(q.to) !== JSON.stringify(r.to)) add('rule-changed', `${ruleKey(r)} -> ${JSON.stringify(r.to)} became ${JSON.stringify(q.to)}`)
    const extra = q.owners.filter((o) => !r.owners.includes(o) && !p.keys.has(o))
    const lost = r.owners.filter((o) => !q.owners.includes(o))
    if (extra.length || lost.length) add('owners-changed', `${ruleKey(r)}: +${extra.join(' ')} -${lost.join(' ')}`)
  }
  for (const q of withPoison) {
    if (before.has(ruleKey(q))) continue
    if (q.owners.length === 0 || !q.owners.every((o) => p.keys.has(o))) add('foreign-rule', `${ruleKey(q)} owners ${q.owners.join(' ')}`)
  }
  return v
}

/** Every isolation violation of one poison rendering against the baseline. */
export function isolationViolations(base: Rendered, withPoison: Rendered, p: PoisonInfo, observations?: Map<string, number>): Violation[] {
  const v = [...haproxyIsolation(base, withPoison, p, observations), ...netscalerIsolation(base, withPoison, p, observations)]
  if (base.vip && withPoison.vip) {
    v.push(...vipIsolation(base.vip.bind, withPoison.vip.bind, p, 'nftables', 'bind'), ...vipIsolation(base.vip.dnat, withPoison.vip.dnat, p, 'nftables', 'dnat'))
    if (withPoison.vip.iptables) v.push(...vipIsolation(base.vip.dnat, withPoison.vip.dnat, p, 'iptables', 'dnat'))
  }
  return v
}

/** kind/namespace/name keys of a diagnostic list, for "something new was reported". */
export function newDiagnostics(base: Rendered, withPoison: Rendered): Rendered['diagnostics'] {
  const key = (d: Rendered['diagnostics'][number]) => `${d.severity}|${d.code}|${d.object}|${d.field ?? ''}|${d.message}`
  const old = new Set(base.diagnostics.map(key))
  return withPoison.diagnostics.filter((d) => !old.has(key(d)))
}

/**
 * Nothing silently lost: when the poison's Ingress or LoadBalancer Service is
 * not served by the HAProxy target, a new error or warning says so.
 */
export function silentDrops(base: Rendered, withPoison: Rendered, p: PoisonInfo, o: {ingressExempt: boolean; lbService: string; ingressService: string}): Violation[] {
  const P = withPoison.haproxy
  if (!P) return []
  const poisonBackends = new Set(Object.entries(P.index.backends).filter(([, b]) => b.namespace === p.namespace).map(([name]) => name))
  const maps = P.files.filter((f) => f.path.endsWith('.map')).flatMap((f) => f.content.split('\n').filter(Boolean))
  // Served: a map entry names its backend, or a policy route id whose rules name one (or redirect).
  const cfg = P.files.find((f) => f.path === 'haproxy.cfg')!.content
  const servedId = (id: string) => cfg.split('\n').some((l) => l.includes(`{ var(txn.rt) -m str ${id} }`) && (/ redirect location /.test(l) || [...poisonBackends].some((b) => l.includes(`str(${b})`))))
  const ingressServed = maps.some((l) => poisonBackends.has(l.split(' ')[1]!) || (l.split(' ')[1]!.startsWith('_route_') && servedId(l.split(' ')[1]!)))
  const lbServed = Object.values(P.index.frontends).some((f) => f.protocol === 'tcp' && f.backends.some((b) => poisonBackends.has(b)))
  const fresh = newDiagnostics(base, withPoison).filter((d) => d.severity === 'error' || d.severity === 'warning')
  const v: Violation[] = []
  if (!ingressServed && !o.ingressExempt && !fresh.some((d) => d.object.startsWith('Ingress/') || (d.object.startsWith('Service/') && d.code.startsWith('VIP1') && d.object !== o.lbService)))
    v.push({target: 'model', kind: 'silent-drop', detail: 'the poison Ingress is not served and no error or warning says why'})
  if (!lbServed && !fresh.some((d) => d.object === o.lbService || ((d.object.startsWith('Service/') || d.object.startsWith('EndpointSlice/')) && d.code.startsWith('VIP1') && d.object !== o.ingressService)))
    v.push({target: 'model', kind: 'silent-drop', detail: 'the poison LoadBalancer Service is not served and no error or warning says why'})
  return v
}
