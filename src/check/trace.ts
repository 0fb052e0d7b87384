/**
 * `vipctl check trace HOST[/PATH]` and `check trace ingress/NAME`: the path of a
 * request, hop by hop, with the same matching rules the proxy config uses (exact
 * host, then the one-label wildcard, then rules without a host; exact path, then
 * the longest prefix on whole path elements). Each hop passes or fails with a fix.
 */
import {canonicalHost} from '../model/grammar.js'
import {podReady, selectorMatches} from '../cluster/derive.js'
import type {Snapshot} from '../cluster/types.js'
import {fmtAddr, ingressClassesOf, ingressIsOurs, whyNotOurs} from '../model/build.js'
import type {Frontend, HeaderRules, LbModel, ModelOptions} from '../model/types.js'
import {objectKey} from '../cluster/types.js'
import {decide, describeSplit, listenerOf, misdirected, routingTable, type Filters, type Verdict} from '../model/routing.js'
import {dnsNames, validateTls} from '../model/tls.js'
import type {DocResult} from '../output/render.js'
import {printable} from '../core/printable.js'
import {DataError, UsageError} from '../errors.js'
import {certCovers} from './analyzers.js'
import type {ProxyState} from './proxy.js'
import {ruleKey, type VipState} from '../apply/vip/apply.js'
import type {VipMode, VipRule} from '../targets/nftables/generate.js'

export type HopStatus = 'ok' | 'fail' | 'warn' | 'info'

export interface Hop {
  hop: string
  status: HopStatus
  detail: string
  fix?: string
}

export interface Trace {
  request: string
  hops: Hop[]
  ok: boolean
  /** The object whose rule (or default backend) takes the request, when one does. */
  routedBy?: string
}

/** The verdict of the routing module on one frontend: exactly what the generated proxies do. */
export function matchRoute(f: Frontend, model: Pick<LbModel, 'frontends'>, host: string, path: string, source?: string, request: RequestParts = {}): Verdict {
  return decide(routingTable(f, model), {host, path, ...(source !== undefined ? {source} : {}), ...request})
}

/** What a request carries besides host and path, for routes with conditions (Gateway API matches). */
export interface RequestParts {
  method?: string
  headers?: Array<[string, string]>
  query?: string
}

/** How strongly a verdict speaks for the VIP: a rule for the exact host beats a wildcard, a host-less rule, the default backend, 404. */
function strength(v: Verdict): number {
  if (v.decision) return v.decision.tier === 'exact' ? 0 : v.decision.tier === 'wildcard' ? 1 : 2
  return v.outcome.kind === 'pool' ? 3 : 4
}

/** Live state the trace can follow into: the node's VIP rules and the running HAProxy. */
export interface TraceLive {
  vip?: {state: VipState; rules: VipRule[]; mode: VipMode; where: string}
  proxy?: ProxyState
}

/** Where a traced request is sent: one VIP (--address), else the VIP the Host selects. */
export interface TraceOptions {
  address?: string
  /** The client's address, for routes with source ranges (undefined: the trace says whom they admit). */
  source?: string
  /** Method (default GET) and headers sent, for routes with conditions. */
  method?: string
  headers?: Array<[string, string]>
  /** The TLS SNI the client sent (HTTPS; default: the host): a Host of another listener than the SNI's is answered 421. */
  sni?: string
}

function redirectNote(v: Verdict): string {
  const o = v.outcome
  if (o.kind !== 'redirect') return ''
  return o.https ? `, redirects to HTTPS (${o.code}, port ${o.port ?? 443})` : `, redirects (${o.code}) to ${v.location}`
}

/** One line: header rules, rewrite, member timeout, CORS, in the order the proxy applies them. */
export function describeFilters(f: Filters, v: Verdict): string {
  const rules = (h: HeaderRules) => [...h.remove.map((n) => `remove ${n}`), ...h.set.map((x) => `set ${x.name}: ${x.value}`), ...h.add.map((x) => `add ${x.name}: ${x.value}`)].join('; ')
  const parts: string[] = []
  if (f.requestHeaders) parts.push(`request headers: ${rules(f.requestHeaders)}`)
  if (v.rewritten) parts.push(`rewritten to ${v.rewritten.host}${v.rewritten.path}`)
  if (f.timeoutMs !== undefined) parts.push(`members have ${f.timeoutMs} ms to answer`)
  if (f.responseHeaders) parts.push(`response headers: ${rules(f.responseHeaders)}`)
  if (f.cors) parts.push(v.cors ? `CORS: ${v.cors.map(([n, x]) => `${n}: ${x}`).join('; ')}` : `CORS for origins ${f.cors.allowOrigins.join(', ')} (send -H 'Origin: ...' to see the headers)`)
  return parts.join(' | ')
}

/**
 * The Ingress name when `target` names one (kubectl's spellings of the kind, in any case: ingress/NAME, ing/NAME,
 * ingresses/NAME, ingresses.networking.k8s.io/NAME); undefined for a request (a host never has "/" before its path).
 */
export function ingressTarget(target: string): string | undefined {
  return /^(?:ingress|ingresses|ing)(?:\.networking\.k8s\.io)?\/(.+)$/i.exec(target)?.[1]
}

export function traceRequest(snap: Snapshot, model: LbModel, request: string, now = new Date(), live: TraceLive = {}, opts: TraceOptions = {}): Trace {
  // The host as the generated proxy normalises a Host header (case, port, one trailing dot); the path keeps its
  // case and loses its fragment; the query string is kept apart (only query conditions of routes read it).
  const m = /^([A-Za-z0-9._*-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(\/.*)?$/.exec(request)
  if (!m) throw new UsageError(`trace ${JSON.stringify(request)}: expected HOST[/PATH[?QUERY]] or ingress/NAME`)
  const host = canonicalHost(m[1]!)
  const rest = (m[3] ?? '/').replace(/#.*$/, '')
  const path = rest.replace(/[?].*$/, '') || '/'
  const query = rest.includes('?') ? rest.slice(rest.indexOf('?') + 1) : undefined
  const shown = `${host}${path}${query !== undefined ? `?${query}` : ''}`
  const parts: RequestParts = {...(opts.method ? {method: opts.method} : {}), ...(opts.headers ? {headers: opts.headers} : {}), ...(query !== undefined ? {query} : {})}
  const port = m[2] ? Number(m[2].slice(1)) : undefined
  const hops: Hop[] = []
  // The VIP the Host selects: every HTTP(S) frontend asks the routing module; the VIP whose answer is most
  // specific (exact host, wildcard, host-less rule, default backend) wins, then address order.
  const http = model.frontends.filter((f) => (f.protocol === 'http' || f.protocol === 'https') && (port === undefined || f.port === port) && (opts.address === undefined || f.address === opts.address))
  const verdicts = http.map((f) => ({f, v: matchRoute(f, model, host, path, opts.source, parts)}))
  const best = verdicts.filter((x) => x.v.outcome.kind !== 'status').sort((a, b) => strength(a.v) - strength(b.v))[0]
  // HTTPS Gateway listeners: the listener the SNI selected must be the one the Host belongs to (routing module).
  if (opts.sni !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(opts.sni))
    throw new UsageError(`--sni ${JSON.stringify(opts.sni.slice(0, 80))}: expected a DNS name, as a TLS client sends it`)
  const sni = opts.sni?.toLowerCase()
  const wrongListener = verdicts.find((x) => misdirected(x.f, sni, host))
  if (wrongListener) {
    const ls = wrongListener.f.tlsListeners!
    const name = (k: string | undefined) => (k === undefined ? 'no listener' : `listener ${k.split('#')[1]} of ${k.split('#')[0]}`)
    hops.push({hop: 'route', status: 'fail', detail: `${wrongListener.f.address}:${wrongListener.f.port}: 421 misdirected request: SNI ${sni} selects ${name(listenerOf(ls, sni!))}, Host ${host} belongs to ${name(listenerOf(ls, host))}`, fix: `send the request on a connection whose SNI is ${host} (a client reusing one TLS connection for several hosts must open another)`})
    return {request: shown, hops, ok: false, routedBy: wrongListener.f.provenance[0]!.object}
  }
  const forbidden = verdicts.filter((x) => x.v.outcome.kind === 'status' && x.v.outcome.code === 403).sort((a, b) => strength(a.v) - strength(b.v))[0]
  if (forbidden && (!best || strength(forbidden.v) <= strength(best.v))) {
    const d = forbidden.v.decision!
    hops.push({hop: 'route', status: 'fail', detail: `${d.provenance.object}: ${forbidden.v.why}`, fix: `if ${opts.source} may reach the route, add its network to vipctl.io/allow-source-ranges of ${d.provenance.object} (or take it out of vipctl.io/deny-source-ranges)`})
    return {request: shown, hops, ok: false, routedBy: d.provenance.object}
  }
  // A rule answering 500 (it cannot be served as written), or a Gateway listener's 404 for its own hosts.
  const unservable = verdicts.filter((x) => x.v.outcome.kind === 'status' && x.v.decision && (x.v.outcome.code === 500 || x.v.outcome.code === 404)).sort((a, b) => strength(a.v) - strength(b.v))[0]
  if (unservable && (!best || strength(unservable.v) <= strength(best.v))) {
    const d = unservable.v.decision!
    const fence = unservable.v.outcome.kind === 'status' && unservable.v.outcome.code === 404
    hops.push({hop: 'route', status: 'fail', detail: `${d.provenance.object} ${d.provenance.field}: ${unservable.v.why}`, fix: fence ? `attach an HTTPRoute for this host and path to that listener of ${d.provenance.object} (routes of less specific listeners never serve its hosts)` : `vipctl check lists why ${d.provenance.object} cannot be served as written (VIP6002, VIP6005, VIP2003)`})
    return {request: shown, hops, ok: false, routedBy: d.provenance.object}
  }
  // A CORS preflight the proxy answers itself (200 with the headers, 204 without for an origin not allowed).
  const preflight = verdicts.filter((x) => x.v.outcome.kind === 'status' && (x.v.outcome.code === 200 || x.v.outcome.code === 204)).sort((a, b) => strength(a.v) - strength(b.v))[0]
  if (preflight && (!best || strength(preflight.v) <= strength(best.v))) {
    const d = preflight.v.decision!
    const allowed = preflight.v.outcome.kind === 'status' && preflight.v.outcome.code === 200
    hops.push({hop: 'route', status: 'ok', detail: `${d.provenance.object} ${d.provenance.field}: ${preflight.v.why}`})
    hops.push(
      allowed
        ? {hop: 'policy', status: 'ok', detail: `the proxy answers 200 with ${(preflight.v.cors ?? []).map(([n, x]) => `${n}: ${x}`).join('; ')}`}
        : {hop: 'policy', status: 'warn', detail: 'the proxy answers 204 without CORS headers: the browser will not make the cross-origin request', fix: `add the origin to allowOrigins of the CORS filter of ${d.provenance.object} (one Origin header per request)`},
    )
    return {request: shown, hops, ok: true, routedBy: d.provenance.object}
  }
  const refused = verdicts.find((x) => x.v.outcome.kind === 'status' && x.v.outcome.code === 400)
  if (!best && refused) {
    const badHost = refused.v.why.includes('Host header')
    hops.push({hop: 'route', status: 'fail', detail: `${host}${path}: ${refused.v.why}`, fix: badHost ? 'send a Host header that is a host name or an IPv6 literal' : 'send the path without dot segments or encoded dots and backslashes'})
    return {request: shown, hops, ok: false}
  }
  if (!best) {
    hops.push({
      hop: 'route',
      status: 'fail',
      detail: `no rule of ours (Ingress, HTTPRoute or GRPCRoute) matches ${shown} and no default backend takes it: ${http.length ? 'the proxy answers 404' : 'nothing of ours listens for HTTP'}${port ? ` on port ${port}` : ''}`,
      fix: 'add a rule for this host and path to an Ingress of class vipctl (or a spec.defaultBackend), or to an HTTPRoute attached to a Gateway of ours; vipctl check lists rules left out and routes not attached',
    })
    return {request: shown, hops, ok: false}
  }
  const onVip = verdicts.filter((x) => x.f.address === best.f.address)
  // Another VIP may serve the same host differently: said, so that the trace never silently picks one.
  const others = [...new Set(verdicts.filter((x) => x.f.address !== best.f.address && x.v.decision && x.v.decision.tier !== 'any').map((x) => x.f.address))]
  if (others.length > 0)
    hops.push({hop: 'vip', status: 'warn', detail: `${host} is also served on ${others.join(', ')}; this trace follows ${best.f.address}, where its rules match most specifically`, fix: 'pass --address to trace the request on another VIP'})
  const plain = onVip.find((x) => x.f.protocol === 'http' && x.v.outcome.kind !== 'status')
  // A request on a named HTTP port that redirects to HTTPS: the HTTPS frontend is the redirect's port on the same
  // VIP, whatever port the request named (vipctl.io/http-port and https-port need not be 80 and 443).
  const redirectedTo = plain?.v.outcome.kind === 'redirect' && plain.v.outcome.scheme === 'https' && plain.v.outcome.host === undefined ? (plain.v.outcome.port ?? 443) : undefined
  const redirectTarget =
    port !== undefined && redirectedTo !== undefined && !onVip.some((x) => x.f.protocol === 'https')
      ? model.frontends.filter((f) => f.protocol === 'https' && f.address === best.f.address && f.port === redirectedTo).map((f) => ({f, v: matchRoute(f, model, host, path, opts.source, parts)}))[0]
      : undefined
  const tls = onVip.find((x) => x.f.protocol === 'https' && x.v.outcome.kind !== 'status') ?? (redirectTarget && redirectTarget.v.outcome.kind !== 'status' ? redirectTarget : undefined)
  const main = tls ?? plain ?? best
  const poolId = main.v.outcome.kind === 'pool' ? main.v.outcome.pool : undefined
  const defaultOwner = main.v.decision ? undefined : model.pools.find((p) => p.id === poolId)?.provenance.find((p) => p.field === 'spec.defaultBackend')?.object
  const routedBy = main.v.decision?.provenance.object ?? defaultOwner
  if (main.v.decision) {
    const d = main.v.decision
    const [kind, ns, ingName] = d.provenance.object.split('/')
    if (kind === 'HTTPRoute' || kind === 'GRPCRoute') {
      // Gateway API: the listeners (of Gateways and their ListenerSets) the route is attached to on this frontend.
      const rs = model.gatewayApi?.routes.find((r) => r.object === d.provenance.object)
      const api = model.gatewayApi
      const owners = [...(api?.gateways ?? []).map((g) => ({object: g.object, className: g.className, listeners: g.listeners})), ...(api?.listenerSets ?? []).map((l) => ({object: l.object, className: api?.gateways.find((g) => g.object === l.gateway)?.className ?? '', listeners: l.listeners}))]
      const on = owners.flatMap((g) => g.listeners.filter((l) => l.frontends.includes(main.f.id)).map((l) => ({g, l})))
      // The listeners each accepted parentRef names (its sectionName and port), on this frontend.
      const accepted = (rs?.parents ?? []).filter((p) => p.conditions.some((c) => c.type === 'Accepted' && c.status === 'True'))
      const attached = accepted.map((p) => `${p.parentRef.kind} ${p.parentRef.namespace}/${p.parentRef.name}`)
      const here = on.filter((x) => accepted.some((p) => `${p.parentRef.kind}/${p.parentRef.namespace}/${p.parentRef.name}` === x.g.object && (p.parentRef.sectionName === undefined || p.parentRef.sectionName === x.l.name) && (p.parentRef.port === undefined || p.parentRef.port === x.l.port)))
      hops.push({hop: 'gateway', status: 'ok', detail: `${kind} ${ns}/${ingName} is attached to ${here.map((x) => `${x.g.object.replace('/', ' ')} listener ${x.l.name} (${x.l.protocol} ${x.l.port}${x.l.hostname ? `, ${x.l.hostname}` : ''}; class ${x.g.className})`).join(', ') || attached.join(', ')}`})
    } else {
      const ing = snap.ingresses.find((i) => i.metadata.namespace === ns && i.metadata.name === ingName)
      hops.push({hop: 'ingress class', status: 'ok', detail: `${kind} ${ns}/${ingName} is served by vipctl (class ${ing?.spec.ingressClassName ?? 'default'})`})
    }
    hops.push({hop: 'route', status: 'ok', detail: `${d.provenance.object} ${d.provenance.field}: ${main.v.why}`})
  } else {
    hops.push({hop: 'route', status: 'ok', detail: `no rule matches ${host}${path}: the default backend${defaultOwner ? ` of ${defaultOwner} (spec.defaultBackend)` : ''} takes it`})
  }
  const poolOf = (x: {v: Verdict}) => (x.v.outcome.kind === 'pool' ? x.v.outcome.pool : undefined)
  // HTTP and HTTPS may be served by different objects (one without TLS for the host) or with different policies.
  // HSTS is an HTTPS-only header by design: it does not count as a difference.
  const noHsts = (f: Filters | undefined) => {
    if (!f) return null
    const {responseHeaders: rh, ...rest} = f
    const set = rh?.set.filter((h) => h.name !== 'Strict-Transport-Security') ?? []
    const kept = rh && set.length + rh.add.length + rh.remove.length > 0 ? {...rest, responseHeaders: {...rh, set}} : rest
    return Object.keys(kept).length > 0 ? JSON.stringify(kept) : null
  }
  const shape = (x: {v: Verdict}) => JSON.stringify([poolOf(x), x.v.decision?.provenance.object ?? null, noHsts(x.v.decision?.filters), x.v.outcome.kind === 'pool' ? (x.v.outcome.split ?? null) : null])
  if (plain && tls && plain.v.outcome.kind === 'pool' && shape(plain) !== shape(tls)) {
    const say = (x: {v: Verdict}) => `${poolOf(x) ?? 'nowhere'} (${x.v.decision?.provenance.object ?? 'default backend'}${x.v.decision?.filters ? `; ${describeFilters(x.v.decision.filters, x.v)}` : ''})`
    const sameObject = plain.v.decision?.provenance.object === tls.v.decision?.provenance.object
    hops.push({
      hop: 'route',
      status: 'warn',
      detail: `HTTP and HTTPS differ: http goes to ${say(plain)}, https to ${say(tls)}; this trace follows HTTPS`,
      fix: sameObject ? 'the Ingress serves the host differently over HTTP and HTTPS' : 'different Ingresses serve this host over HTTP and HTTPS (only one has TLS for it, or an older one holds the path: see vipctl check, VIP2010)',
    })
  }
  if (main.v.outcome.kind === 'pool' && main.v.outcome.split) {
    const parts = main.v.outcome.split.map((b) => {
      const p = model.pools.find((x) => x.id === b.pool)
      return `${b.pool} weight ${b.weight} (${p ? `${p.members.filter((m) => m.ready).length}/${p.members.length} members ready` : 'no pool'})`
    })
    hops.push({hop: 'route', status: 'info', detail: `split: ${describeSplit(main.v.outcome.split)}: ${parts.join('; ')}; the hops below follow ${main.v.outcome.pool}`})
  }
  for (const x of [plain, tls].filter((y): y is NonNullable<typeof y> => Boolean(y)))
    hops.push({hop: 'vip', status: 'ok', detail: `${x.f.protocol.toUpperCase()} on ${fmtAddr(x.f.address, x.f.port)} (source: ${model.vips.find((v) => v.address === x.f.address)?.source})${redirectNote(x.v)}`})
  // What the route does to the request and the response besides choosing the pool (the routing module's filters).
  const fl = main.v.decision?.filters
  if (fl) hops.push({hop: 'policy', status: 'info', detail: describeFilters(fl, main.v)})
  // TLS: what the proxy will load. An Ingress that asks for TLS on this host whose Secret is missing or unusable fails this hop.
  const tlsWanted = snap.ingresses.flatMap((i) =>
    (i.spec.tls ?? [])
      .filter((t) => (t.hosts ?? []).map(canonicalHost).some((h) => certCovers([h], host)))
      .map((t) => ({ing: i, secret: `${i.metadata.namespace}/${t.secretName ?? ''}`, named: t.secretName})),
  ).filter((w) => main.v.decision?.provenance.object === `Ingress/${w.ing.metadata.namespace}/${w.ing.metadata.name}`)
  if (tls) {
    // The certificate the proxy presents for this SNI name: an exact name first, then a wildcard, then the default (the first).
    const exact = tls.f.certificates.filter((c) => c.hosts.includes(host))
    const wild = tls.f.certificates.filter((c) => certCovers(c.hosts.filter((h) => h.startsWith('*.')), host))
    const certs = exact.length ? exact : wild.length ? wild : tls.f.certificates.slice(0, 1)
    const secret = certs[0] ? snap.secrets.find((s) => `${s.metadata.namespace}/${s.metadata.name}` === certs[0]!.secret) : undefined
    const checked = secret?.tls ? validateTls(secret.tls.cert.reveal(), secret.tls.key.reveal()) : undefined
    const leaf = checked?.ok ? checked.material.leaf : undefined
    const names = dnsNames(leaf)
    const expires = leaf ? new Date(leaf.validTo) : undefined
    if (!secret) hops.push({hop: 'tls', status: 'fail', detail: `no certificate for ${host} on ${fmtAddr(tls.f.address, tls.f.port)}`, fix: 'add the host to spec.tls[].hosts with a kubernetes.io/tls Secret'})
    else if (checked && !checked.ok) hops.push({hop: 'tls', status: 'fail', detail: `Secret ${certs[0]!.secret} is unusable: ${checked.problem}`, fix: 'fix the Secret (see vipctl check, VIP2004)'})
    else if (!certCovers(names, host)) hops.push({hop: 'tls', status: 'fail', detail: `Secret ${certs[0]!.secret}'s certificate covers ${names.join(', ')}, not ${host}`, fix: 'issue a certificate whose subjectAltName covers the host'})
    else if (expires && expires < now) hops.push({hop: 'tls', status: 'fail', detail: `Secret ${certs[0]!.secret}'s certificate expired on ${expires.toISOString().slice(0, 10)}`, fix: 'renew the certificate'})
    else hops.push({hop: 'tls', status: 'ok', detail: `Secret ${certs[0]!.secret} covers ${host}${expires ? `, valid until ${expires.toISOString().slice(0, 10)}` : ''}`})
  } else if (onVip.some((x) => x.f.protocol === 'https' && x.v.outcome.kind === 'status' && x.f.certificates.some((c) => certCovers(c.hosts, host)))) {
    const x = onVip.find((y) => y.f.protocol === 'https' && y.v.outcome.kind === 'status')!
    hops.push({hop: 'tls', status: 'warn', detail: `HTTPS on ${fmtAddr(x.f.address, x.f.port)} has a certificate for ${host} but no rule there takes ${path}: over HTTPS it gets ${x.v.why}`, fix: 'add the path (or a catch-all) to the Ingress that serves the host over TLS'})
  } else if (tlsWanted.length > 0) {
    const w = tlsWanted[0]!
    const s = w.named ? snap.secrets.find((x) => `${x.metadata.namespace}/${x.metadata.name}` === w.secret) : undefined
    const why = !w.named ? 'names no Secret' : !s ? `names Secret ${w.secret}, which is not found` : !s.tls ? `names Secret ${w.secret}, which is not a kubernetes.io/tls Secret with tls.crt and tls.key` : (() => {
      const v = validateTls(s.tls!.cert.reveal(), s.tls!.key.reveal())
      return v.ok ? `names Secret ${w.secret}, but no HTTPS frontend could be made` : `names Secret ${w.secret}, which is unusable: ${v.problem}`
    })()
    hops.push({hop: 'tls', status: 'fail', detail: `Ingress ${w.ing.metadata.namespace}/${w.ing.metadata.name} asks for TLS on ${host} but ${why}; HTTPS is not served`, fix: 'fix the Secret (see vipctl check, VIP2004)'})
  } else hops.push({hop: 'tls', status: 'info', detail: 'no TLS for this host (HTTP only)'})

  if (!poolId) return {request: shown, hops, ok: hops.every((h) => h.status !== 'fail'), ...(routedBy ? {routedBy} : {})}
  const pool = model.pools.find((p) => p.id === poolId)!
  const svc = snap.services.find((s) => s.metadata.namespace === pool.namespace && s.metadata.name === pool.service)!
  if (pool.external) {
    hops.push({hop: 'service', status: 'ok', detail: `ExternalName Service ${pool.namespace}/${pool.service} -> ${pool.external.name}:${pool.external.port}`})
    hops.push({hop: 'endpoints', status: 'info', detail: `resolved by the proxy through DNS at run time (HAProxy resolvers; a NetScaler domain-based server)${pool.external.port === 443 ? '; TLS to the backend, certificate verified for that name' : ''}`})
    return {request: shown, hops, ok: hops.every((h) => h.status !== 'fail'), ...(routedBy ? {routedBy} : {})}
  }
  const sp = (svc.spec.ports ?? []).find((p) => p.port === pool.port)
  hops.push({hop: 'service', status: 'ok', detail: `Service ${pool.namespace}/${pool.service} port ${pool.port}${sp?.name ? ` (${sp.name})` : ''} -> targetPort ${sp?.targetPort ?? pool.port}`})
  if (svc.spec.selector && Object.keys(svc.spec.selector).length > 0) {
    const pods = snap.pods.filter((p) => p.metadata.namespace === pool.namespace && selectorMatches(svc.spec.selector, p.metadata.labels))
    const sel = Object.entries(svc.spec.selector).map(([k, v]) => `${k}=${v}`).join(',')
    const expected = pool.expected.map((e) => `${e.workload} (${e.replicas !== undefined ? `${e.replicas} replica${e.replicas === 1 ? '' : 's'}` : e.nodes !== undefined ? `one per Node, ${e.nodes} in the input` : 'one per Node'}${e.targetPort !== undefined ? `, container port ${e.targetPort}` : ''})`)
    const asked = pool.expected.some((e) => e.replicas !== 0)
    if (pods.length === 0 && expected.length > 0 && snap.source.kind === 'offline' && asked)
      hops.push({hop: 'pods', status: 'info', detail: `selector ${sel} matches no Pod in this input; the Pods of ${expected.join(', ')} will serve`})
    else if (pods.length === 0 && expected.length > 0)
      hops.push({hop: 'pods', status: 'fail', detail: `selector ${sel} matches no ${snap.source.kind === 'offline' ? '' : 'running '}Pod; ${expected.join(', ')}${asked ? ' asks for Pods' : ' is scaled to 0'}`, fix: asked ? 'see the workload\'s status and events' : 'scale the workload up'})
    else if (pods.length === 0 && snap.source.kind === 'offline' && snap.pods.length === 0) hops.push({hop: 'pods', status: 'info', detail: `selector ${sel} (no Pods or workloads in the input to check it against)`})
    else if (pods.length === 0) hops.push({hop: 'pods', status: 'fail', detail: `selector ${sel} matches no Pod`, fix: 'fix spec.selector or the Pod labels'})
    else {
      const notReady = pods.filter((p) => !podReady(p))
      hops.push({
        hop: 'pods',
        status: notReady.length === pods.length ? 'fail' : notReady.length ? 'warn' : 'ok',
        detail: `selector ${sel} matches ${pods.length} Pod(s)${notReady.length ? `; not ready: ${notReady.map((p) => `${p.metadata.name} (${p.status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? p.status?.phase ?? 'no status'})`).join(', ')}` : ', all ready'}`,
        ...(notReady.length === pods.length ? {fix: 'see why the Pods are not ready (readiness probe, crash loop)'} : {}),
      })
    }
  } else hops.push({hop: 'pods', status: 'info', detail: 'no selector: endpoints come from EndpointSlices written by someone else'})
  const ready = pool.members.filter((x) => x.ready)
  if (pool.members.length === 0 && snap.source.kind === 'offline' && pool.expected.some((e) => e.replicas !== 0))
    hops.push({hop: 'endpoints', status: 'info', detail: `none in this input: the servers will be the Pods of ${pool.expected.map((e) => e.workload).join(', ')}`})
  else hops.push({
    hop: 'endpoints',
    status: ready.length === 0 ? 'fail' : ready.length < pool.members.length ? 'warn' : 'ok',
    detail: pool.members.length === 0 ? 'no endpoints: requests get 503' : `${ready.length}/${pool.members.length} ready: ${pool.members.map((x) => `${fmtAddr(x.address, x.port)}${x.pod ? ` (${x.pod})` : ''}${x.ready ? '' : ' not ready'}`).join(', ')}`,
    ...(ready.length === 0 ? {fix: 'no ready endpoint: the proxy answers 503 until one is ready'} : {}),
  })
  hops.push({hop: 'health check', status: 'info', detail: pool.monitor.kind === 'http' ? `HTTP GET ${pool.monitor.path}${pool.monitor.port ? ` on port ${pool.monitor.port}` : ''} every ${pool.monitor.intervalMs} ms` : `TCP connect every ${pool.monitor.intervalMs} ms`})
  if (pool.persistence) hops.push({hop: 'persistence', status: 'info', detail: `by source address: a client stays on one member until idle ${pool.persistence.timeoutSeconds} s (${pool.persistence.provenance.object} ${pool.persistence.provenance.field}: ClientIP)`})
  const fronts = [plain, tls].filter((y): y is NonNullable<typeof y> => Boolean(y)).map((y) => y.f)
  if (live.vip) {
    const v = live.vip
    for (const f of fronts) {
      const rule = v.rules.find((r) => r.vip === f.address && r.port === f.port)
      const present = v.mode === 'dnat' ? rule !== undefined && v.state.rules.includes(ruleKey(rule)) : v.state.local.includes(f.address)
      const what = v.mode === 'dnat' ? `nftables rule ${rule ? ruleKey(rule) : fmtAddr(f.address, f.port)}` : `VIP ${f.address} on lo`
      hops.push(present ? {hop: 'netfilter', status: 'ok', detail: `${what} in ${v.where}`} : {hop: 'netfilter', status: 'fail', detail: `${what} is missing in ${v.where}`, fix: 'run vipctl apply vip with the same --mode and --netns'})
    }
  }
  if (live.proxy) {
    const px = live.proxy
    for (const f of fronts) {
      const up = px.stats.some((r) => r.pxname === f.id && r.svname === 'FRONTEND')
      hops.push(up ? {hop: 'proxy frontend', status: 'ok', detail: `${f.id} runs in HAProxy (${px.socket})`} : {hop: 'proxy frontend', status: 'fail', detail: `${f.id} is not in the running HAProxy`, fix: 'run vipctl apply haproxy'})
    }
    const name = px.desired.backends.get(pool.id)
    const rows = px.stats.filter((r) => r.pxname === name && r.svname !== 'BACKEND' && r.svname !== 'FRONTEND' && !r.status.startsWith('MAINT'))
    const upRows = rows.filter((r) => r.status.startsWith('UP'))
    if (!name || !px.stats.some((r) => r.pxname === name)) hops.push({hop: 'servers', status: 'fail', detail: `backend ${name} is not in the running HAProxy`, fix: 'run vipctl apply haproxy'})
    else
      hops.push({
        hop: 'servers',
        status: upRows.length === 0 ? 'fail' : upRows.length < rows.length ? 'warn' : 'ok',
        detail: `${name}: ${upRows.length}/${rows.length} in rotation UP${rows.length > upRows.length ? `; ${rows.filter((r) => !r.status.startsWith('UP')).map((r) => `${r.svname} ${r.addr} ${r.status} (${r.checkStatus || 'no check'})`).join(', ')}` : ''}`,
        ...(upRows.length === 0 ? {fix: 'no server is UP: the proxy answers 503; see the check status'} : {}),
      })
  }
  return {request: shown, hops, ok: hops.every((h) => h.status !== 'fail'), ...(routedBy ? {routedBy} : {})}
}

/**
 * Every rule of one Ingress (and its default backend), each traced on the Ingress's own VIP. A wildcard rule is
 * traced with a host it covers, a host-less rule with a host no rule names. An Ingress vipctl does not serve is
 * one failed trace saying why (its class, its annotations, no VIP, ...).
 */
export function traceIngress(snap: Snapshot, model: LbModel, ns: string | undefined, name: string, live: TraceLive = {}, modelOpts: ModelOptions = {}): Trace[] {
  const ing = snap.ingresses.find((i) => i.metadata.name === name && (ns === undefined || i.metadata.namespace === ns))
  if (!ing) {
    // Read but refused (a bad field, a removed apiVersion): say why, with the finding, not "not found".
    const bad = snap.diagnostics.find((d) => d.object.startsWith('Ingress/') && d.object.split('/')[2] === name && (ns === undefined || d.object.split('/')[1] === ns))
    if (bad) throw new DataError(`Ingress ${bad.object.slice('Ingress/'.length)} was not read: ${bad.code} ${bad.field ?? ''} ${bad.message}`.replace(/ +/g, ' '), {hint: 'see vipctl check'})
    // As a name given to inspect that does not exist: bad input (65), not a bad flag.
    throw new DataError(`Ingress ${ns ? `${ns}/` : ''}${name} not found`, {hint: `vipctl inspect ingresses${ns ? ` -n ${ns}` : ' -A'} lists them`})
  }
  const key = objectKey(ing)
  const request = `ingress/${ing.metadata.namespace}/${ing.metadata.name}`
  if (!ingressIsOurs(ing, ingressClassesOf(snap, modelOpts))) return [{request, hops: [{hop: 'ingress class', status: 'fail', detail: whyNotOurs(ing, snap, modelOpts), fix: 'serve its class with --ingress-class, or set spec.ingressClassName to a class of vipctl'}], ok: false}]
  const vip = model.vips.find((v) => v.owners.includes(key))
  if (!vip) {
    const errors = model.diagnostics.filter((d) => d.object === key && d.severity === 'error')
    return [{request, hops: [{hop: 'vip', status: 'fail', detail: `not served: ${errors.length ? errors.map((d) => `${d.code} ${d.message}`).join('; ') : 'it has no VIP'}`, fix: 'see vipctl check for this Ingress'}], ok: false}]
  }
  const named = new Set(model.frontends.flatMap((f) => f.routes.map((r) => r.host)))
  const concrete = (host: string): string => {
    if (host !== '' && !host.startsWith('*.')) return host
    const parent = host === '' ? 'invalid' : host.slice(2)
    for (let i = 0; ; i++) {
      const h = `trace${i || ''}.${parent}`
      if (!named.has(h)) return h
    }
  }
  const reqs = (ing.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => `${concrete(canonicalHost(r.host ?? ''))}${p.path ?? '/'}`))
  if (ing.spec.defaultBackend) reqs.push(`${concrete('')}/`)
  // A rule another (older) object holds is traced to where the proxy sends it, and fails: this Ingress does not serve it.
  return reqs.map((r) => {
    const t = traceRequest(snap, model, r, new Date(), live, {address: vip.address})
    if (t.routedBy !== undefined && t.routedBy !== key) {
      const lost = model.diagnostics.find((d) => d.object === key && (d.code === 'VIP2010' || d.code === 'VIP2008'))
      t.hops.unshift({hop: 'claim', status: 'fail', detail: `${key} does not serve this request: ${lost ? `${lost.code} ${lost.message}` : 'another object\'s rule takes it'}`, fix: 'see vipctl check for this Ingress'})
      t.ok = false
    }
    return t
  })
}

const MARK: Record<HopStatus, string> = {ok: '✓', fail: '✗', warn: '!', info: '·'}

export function traceResult(traces: Trace[]): DocResult<{traces: Trace[]}> {
  return {
    type: 'doc',
    kind: 'Trace',
    data: {traces},
    ...(traces.some((t) => !t.ok) ? {exit: 1} : {}),
    text: (d, c) =>
      d.traces
        .map((t) => {
          // Hosts, paths, Pod names and reasons, proxy answers: each field one printable line.
          const lines = [`${c.bold(printable(t.request))}  ${t.ok ? c.green('reachable') : c.red('broken')}`]
          t.hops.forEach((h, i) => {
            const branch = i === t.hops.length - 1 ? '└─' : '├─'
            const color = h.status === 'ok' ? c.green : h.status === 'fail' ? c.red : h.status === 'warn' ? c.yellow : c.dim
            lines.push(`${branch} ${color(MARK[h.status])} ${printable(h.hop)}: ${printable(h.detail)}`)
            if (h.fix) lines.push(`${i === t.hops.length - 1 ? '  ' : '│ '}    fix: ${printable(h.fix)}`)
          })
          return lines.join('\n')
        })
        .join('\n\n') + '\n',
  }
}
