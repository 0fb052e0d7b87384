/**
 * Analyzers: small pure functions over a Snapshot and its LbModel, each with
 * the codes it may emit (all in the catalog). The model's own diagnostics
 * (VIP1xxx/VIP2xxx) are findings too; analyzers add what needs more context.
 */
import {canonicalHost} from '../model/grammar.js'
import {dnsNames, validateTls} from '../model/tls.js'
import {describeSplit, hasConditions, routingTable, tierOf, uncoveredPathsGo, type Decision} from '../model/routing.js'
import {DERIVED_MANAGER, MANAGED_BY_LABEL, podReady, podSource, resolveIn, selectorMatches, templateSource, workloadsFor, SERVICE_NAME_LABEL} from '../cluster/derive.js'
import type {Diagnostic, Snapshot} from '../cluster/types.js'
import {objectKey} from '../cluster/types.js'
import {claimOrder, ingressClassesOf, ingressIsOurs, inPool, whyNotOurs} from '../model/build.js'
import type {LbModel, ModelOptions} from '../model/types.js'
import {catalogEntry} from '../core/catalog.js'
import {certCovers} from '../model/grammar.js'

export interface CheckOptions {
  model: ModelOptions
  certWarnDays: number
  now: Date
}

export interface CheckContext {
  snap: Snapshot
  model: LbModel
  opts: CheckOptions
}

export interface Analyzer {
  name: string
  codes: string[]
  run(ctx: CheckContext): Diagnostic[]
}

function finding(ctx: CheckContext, code: string, object: string, field: string | undefined, message: string): Diagnostic {
  return {severity: catalogEntry(code).severity, code, object, field, message, origin: ctx.snap.origins.get(object)}
}

const ingressClass: Analyzer = {
  name: 'ingress-class',
  codes: ['VIP4001', 'VIP4002'],
  run(ctx) {
    const known = new Set(ctx.snap.ingressClasses.map((c) => c.metadata.name))
    const classes = ingressClassesOf(ctx.snap, ctx.opts.model)
    const out: Diagnostic[] = []
    for (const i of ctx.snap.ingresses) {
      if (ingressIsOurs(i, classes)) continue
      if (i.spec.ingressClassName !== undefined && !known.has(i.spec.ingressClassName))
        out.push(finding(ctx, 'VIP4001', objectKey(i), 'spec.ingressClassName', `IngressClass ${i.spec.ingressClassName} does not exist; no controller serves this Ingress`))
      // Never silence about what was read and not served: check says why, once per Ingress.
      else out.push(finding(ctx, 'VIP4002', objectKey(i), i.spec.ingressClassName !== undefined ? 'spec.ingressClassName' : undefined, `not served by vipctl: ${whyNotOurs(i, ctx.snap, ctx.opts.model)}`))
    }
    return out
  },
}

const backends: Analyzer = {
  name: 'backends',
  codes: ['VIP4010', 'VIP4011', 'VIP4012', 'VIP4013', 'VIP4015', 'VIP4016'],
  run(ctx) {
    const out: Diagnostic[] = []
    const used = new Set(ctx.model.pools.map((p) => `${p.namespace}/${p.service}`))
    for (const svc of ctx.snap.services) {
      const key = `${svc.metadata.namespace}/${svc.metadata.name}`
      if (!used.has(key) || svc.spec.type === 'ExternalName') continue
      const obj = objectKey(svc)
      if (!svc.spec.selector || Object.keys(svc.spec.selector).length === 0) {
        const slices = ctx.snap.endpointSlices.filter((s) => s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name)
        if (slices.length === 0) out.push(finding(ctx, 'VIP4012', obj, 'spec.selector', 'no selector and no EndpointSlices: the Service has no endpoints'))
        continue
      }
      const pods = ctx.snap.pods.filter((p) => p.metadata.namespace === svc.metadata.namespace && selectorMatches(svc.spec.selector, p.metadata.labels))
      // Endpoints the input gives as EndpointSlices (not derived from Pods) are the truth: nothing to say about Pods.
      const given = ctx.snap.endpointSlices.some((s) => s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name && s.metadata.labels?.[MANAGED_BY_LABEL] !== DERIVED_MANAGER && (s.endpoints ?? []).length > 0)
      if (pods.length === 0 && given) continue
      const selector = Object.entries(svc.spec.selector).map(([k, v]) => `${k}=${v}`).join(',')
      // Without Pods, the workloads whose template the selector matches say which Pods there will be.
      const workloads = pods.length === 0 ? workloadsFor(svc, ctx.snap.workloads) : []
      if (pods.length === 0 && workloads.length === 0) {
        out.push(finding(ctx, 'VIP4010', obj, 'spec.selector', `selector ${selector} matches no Pod and no workload's pod template`))
        continue
      }
      if (pods.length === 0) {
        const asks = workloads.map((w) => `${objectKey(w)} (${w.replicas === undefined ? `one per Node${ctx.snap.nodes.length ? `, ${ctx.snap.nodes.length} in the input` : ''}` : `${w.replicas} replica${w.replicas === 1 ? '' : 's'}`})`)
        const scaled = workloads.filter((w) => w.replicas !== undefined)
        if (scaled.length === workloads.length && scaled.every((w) => w.replicas === 0))
          for (const w of workloads) out.push(finding(ctx, 'VIP4015', objectKey(w), w.kind === 'CronJob' ? 'spec.jobTemplate.spec.parallelism' : w.kind === 'Job' ? 'spec.parallelism' : 'spec.replicas', `scaled to 0: Service ${svc.metadata.namespace}/${svc.metadata.name} selects only this workload and has no endpoints`))
        else if (ctx.snap.source.kind === 'offline') out.push(finding(ctx, 'VIP4016', obj, 'spec.selector', `no Pod in this input; its endpoints will be the Pods of ${asks.join(', ')}`))
        else out.push(finding(ctx, 'VIP4010', obj, 'spec.selector', `selector ${selector} matches no running Pod; ${asks.join(', ')} ask for Pods (see their status and events)`))
      }
      if (pods.length > 0 && !pods.some(podReady)) {
        const reasons = pods.map((p) => `${p.metadata.name}: ${p.status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? p.status?.phase ?? 'no status'}`)
        out.push(finding(ctx, 'VIP4011', obj, undefined, `${pods.length} Pod(s) match, none ready (${reasons.join('; ')})`))
      }
      const sources = pods.length > 0 ? pods.map(podSource) : workloads.map(templateSource)
      ;(svc.spec.ports ?? []).forEach((sp, i) => {
        if (typeof sp.targetPort !== 'string') return
        if (!sources.some((s) => resolveIn(s.containers, sp.targetPort, sp.port) !== undefined))
          out.push(finding(ctx, 'VIP4013', obj, `spec.ports[${i}].targetPort`, `no container port named ${sp.targetPort} in ${pods.length > 0 ? 'the selected Pods' : sources.map((s) => `${s.object}'s pod template`).join(', ')}`))
      })
    }
    return out
  },
}

/** Certificate host matching lives with the host grammar (src/model/grammar.ts). */
export {certCovers} from '../model/grammar.js'

const tls: Analyzer = {
  name: 'tls',
  codes: ['VIP4020', 'VIP4021'],
  run(ctx) {
    const out: Diagnostic[] = []
    const secrets = new Map(ctx.snap.secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
    for (const ing of ctx.snap.ingresses)
      (ing.spec.tls ?? []).forEach((t, i) => {
        const s = t.secretName ? secrets.get(`${ing.metadata.namespace}/${t.secretName}`) : undefined
        if (!s?.tls) return // missing or wrong type: the model reports it (VIP2004)
        const obj = objectKey(ing)
        // Parsed as the proxy loads it; an unusable pair is the model's VIP2004 (with the reason), not reported twice.
        const v = validateTls(s.tls.cert.reveal(), s.tls.key.reveal())
        if (!v.ok) return
        const cert = v.material.leaf
        const names = dnsNames(cert)
        for (const host of (t.hosts ?? []).map(canonicalHost))
          if (!certCovers(names, host)) out.push(finding(ctx, 'VIP4020', obj, `spec.tls[${i}].hosts`, `Secret ${t.secretName}'s certificate does not cover ${host} (it covers ${names.join(', ') || 'no DNS names'})`))
        const expires = new Date(cert.validTo)
        const days = Math.floor((expires.getTime() - ctx.opts.now.getTime()) / 86_400_000)
        if (days < 0) out.push(finding(ctx, 'VIP4021', obj, `spec.tls[${i}].secretName`, `Secret ${t.secretName}'s certificate expired on ${expires.toISOString().slice(0, 10)}`))
        else if (days < ctx.opts.certWarnDays) out.push(finding(ctx, 'VIP4021', obj, `spec.tls[${i}].secretName`, `Secret ${t.secretName}'s certificate expires in ${days} day(s)`))
      })
    // A Gateway listener's certificate for its hostname, as an Ingress's for its spec.tls hosts (the first
    // certificateRef is the one served; unusable or unresolved ones are the model's VIP2004/VIP6004).
    for (const gw of ctx.snap.gateways)
      gw.spec.listeners.forEach((l, i) => {
        const ref = l.tls?.certificateRefs?.[0]
        if (!l.hostname || !ref || (ref.kind ?? 'Secret') !== 'Secret' || (ref.group ?? '') !== '') return
        const s = secrets.get(`${ref.namespace ?? gw.metadata.namespace}/${ref.name}`)
        if (!s?.tls) return
        const v = validateTls(s.tls.cert.reveal(), s.tls.key.reveal())
        if (!v.ok) return
        const names = dnsNames(v.material.leaf)
        if (!certCovers(names, l.hostname.toLowerCase())) out.push(finding(ctx, 'VIP4020', objectKey(gw), `spec.listeners[${i}].tls.certificateRefs[0]`, `listener ${l.name}: Secret ${ref.name}'s certificate does not cover ${l.hostname} (it covers ${names.join(', ') || 'no DNS names'})`))
      })
    return out
  },
}

const vips: Analyzer = {
  name: 'vips',
  codes: ['VIP4030'],
  run(ctx) {
    const pool = ctx.opts.model.vipPool
    if (!pool) return []
    return ctx.model.vips
      .filter((v) => v.source !== 'pool' && !inPool(pool, v.address))
      .flatMap((v) => v.owners.map((o) => finding(ctx, 'VIP4030', o, undefined, `VIP ${v.address} is outside --vip-pool ${pool}`)))
  },
}

const paths: Analyzer = {
  name: 'paths',
  codes: ['VIP4014', 'VIP4041', 'VIP4042', 'VIP4043'],
  // Every message says what the proxy does: each is read from the routing module's decision table.
  run(ctx) {
    const out: Diagnostic[] = []
    const ingressByKey = new Map(ctx.snap.ingresses.map((i) => [objectKey(i), i]))
    for (const f of ctx.model.frontends) {
      if (f.protocol !== 'http') continue
      const table = routingTable(f, ctx.model)
      const byHost = new Map<string, Decision[]>()
      // A Gateway listener's fence (404 for its hosts) is no rule anyone wrote: the analyzers look past it.
      for (const d of table.decisions.filter((x) => !(x.action.kind === 'status' && x.action.code === 404))) byHost.set(d.host, [...(byHost.get(d.host) ?? []), d])
      for (const [host, decisions] of byHost) {
        if (host === '' || host.startsWith('*.')) continue
        // Where a request for this host goes when its path matches none of the host's own rules.
        const rest = uncoveredPathsGo(table, host)
        if (rest.outcome.kind === 'status' && !decisions.some((d) => d.match.pathType === 'Prefix' && d.match.path === '/'))
          out.push(finding(ctx, 'VIP4014', decisions[0]!.provenance.object, 'spec.rules', `${host}: requests outside ${decisions.map((d) => `${d.match.pathType} ${d.match.path}`).join(', ')} get 404 (no catch-all rule for the host, its wildcard or any host, and no default backend)`))
      }
      // Hosts shared by Ingresses of several namespaces (merged, as ingress-nginx did): a catch-all (Prefix /) of a
      // newer namespace takes every path the host's older namespace does not route. Said on the newcomer.
      const ingressNs = (d: Decision) => (d.provenance.object.startsWith('Ingress/') ? d.provenance.object.split('/')[1] : undefined)
      for (const [host, decisions] of byHost) {
        if (host === '' || host.startsWith('*.')) continue
        const named = new Set(decisions.map((d) => d.provenance.object))
        if (![...named].some((o) => o.startsWith('Ingress/'))) continue
        const oldest = claimOrder([...named].flatMap((o) => ingressByKey.get(o) ?? []))[0]
        if (!oldest) continue
        for (const d of decisions)
          if (d.match.pathType === 'Prefix' && d.match.path === '/' && !hasConditions(d) && ingressNs(d) !== undefined && ingressNs(d) !== oldest.metadata.namespace)
            out.push(finding(ctx, 'VIP4043', d.provenance.object, d.provenance.field, `${host}/ (Prefix) of namespace ${ingressNs(d)} takes every path of ${host} that ${objectKey(oldest)} (namespace ${oldest.metadata.namespace}, older) does not route`))
      }
      for (const [host, decisions] of byHost) {
        for (const e of decisions.filter((d) => d.match.pathType === 'Exact')) {
          const p = decisions.find((d) => d.match.pathType === 'Prefix' && d.match.path === e.match.path && JSON.stringify(d.action) !== JSON.stringify(e.action))
          if (p) out.push(finding(ctx, 'VIP4041', e.provenance.object, e.provenance.field, `${host}${e.match.path}: Exact goes to ${describe(e)}, Prefix (${p.provenance.object}) to ${describe(p)}`))
        }
        if (!host.startsWith('*.')) continue
        // A wildcard never sees a host only when that host's own rules take every path (a Prefix / catch-all).
        const shadowing = [...byHost.entries()].filter(([h, ds]) => tierOf(h) === 'exact' && h.slice(h.indexOf('.') + 1) === host.slice(2) && h.indexOf('.') > 0 && ds.some((d) => d.match.pathType === 'Prefix' && d.match.path === '/' && !hasConditions(d)))
        for (const [h] of shadowing) out.push(finding(ctx, 'VIP4042', decisions[0]!.provenance.object, decisions[0]!.provenance.field, `${host} never receives requests for ${h}: a Prefix / rule for ${h} takes every path`))
      }
    }
    return out
  },
}

function describe(d: Decision): string {
  if (d.action.kind === 'pool') return d.action.split ? `a split (${describeSplit(d.action.split)})` : d.action.pool
  if (d.action.kind === 'status') return `a ${d.action.code} answer`
  return d.action.https ? `a ${d.action.code} redirect to HTTPS` : `a ${d.action.code} redirect`
}

export const ANALYZERS: readonly Analyzer[] = [ingressClass, backends, paths, tls, vips]
