/**
 * LbModel -> typed NetScaler entities -> an ns.conf batch (dependency order)
 * and the same as NITRO payloads. Names and order follow NetScaler's own
 * ingress controller, so admins recognise every object:
 *   serviceGroup  <prefix>-<svc>_<port>_sgp_<hash>   (members: ready endpoints)
 *   lb monitor    <prefix>-<svc>_<port>_mon_<hash>
 *   lb vserver    <prefix>-<svc>_<port>_lbv_<hash>   (non-addressable, behind content switching)
 *   cs action/policy <prefix>-<svc>_<port>_csp_<hash of the route>
 *   cs vserver    <prefix>-<VIP>_<port>_<http|ssl>   (Ingress), <prefix>-<svc>_<port>_<ns>_svc (LoadBalancer)
 * lbvservers and serviceGroups carry `-comment` with their Kubernetes provenance.
 *
 * Routing has the HAProxy target's semantics: per host tier (exact host, the
 * one-label wildcard "*.parent", no host), the longest path first and Exact
 * before Prefix at equal length; a Prefix /p matches /p and /p/..., never /px.
 * Policies get explicit priorities in that order. Same model, same bytes.
 */
import {createHash} from 'node:crypto'
import {maxOf} from '../../core/arrays.js'
import type {Diagnostic} from '../../cluster/types.js'
import {routePools, type Frontend, type LbModel, type Pool, type RouteConditions} from '../../model/types.js'
import {conditionsKey, detectsMisdirected, hasConditions, hostsOverlap, pathsOverlap, routingTable, type Decision} from '../../model/routing.js'

export interface NetscalerOptions {
  /** Separates clusters sharing one ADC (NetScaler's NS_APPS_NAME_PREFIX). */
  prefix: string
  /** Where certificate files live on the appliance. */
  certDir: string
}

export const DEFAULT_NETSCALER_OPTIONS: NetscalerOptions = {prefix: 'k8s', certDir: '/nsconfig/ssl'}

export type {SecretLookup} from '../../model/tls.js'
import type {SecretLookup} from '../../model/tls.js'
import {severityOf} from '../../core/catalog.js'

/** One NetScaler entity or binding, in the order it must be created. */
export type NsEntity =
  /** svrTimeout: seconds a member may stay idle (NetScaler's default 360 when absent). */
  /**
   * svrTimeout: seconds a member may stay idle (NetScaler's default 360 when absent); maxClient: concurrent
   * connections per member; httpProfileName (h2c) and netProfile (PROXY protocol towards members): profiles below.
   */
  | {type: 'servicegroup'; name: string; serviceType: 'HTTP' | 'TCP' | 'SSL' | 'UDP'; comment: string; svrTimeout?: number; maxClient?: number; httpProfileName?: string; netProfile?: string}
  /** HTTP/2 towards members without TLS (h2c, prior knowledge). */
  | {type: 'nshttpprofile'; name: string; http2: 'ENABLED'; http2Direct: 'ENABLED'}
  /** The PROXY protocol header towards members (version 1 or 2). */
  | {type: 'netprofile'; name: string; proxyProtocol: 'ENABLED'; proxyProtocolTxVersion: 'V1' | 'V2'}
  /** A CA certificate (no key) that verifies members' certificates. */
  | {type: 'sslcertkey_ca'; certkey: string; cert: string}
  | {type: 'sslservicegroup_sslcertkey_binding'; servicegroupname: string; certkeyname: string; ca: true}
  /** Backend TLS verification: serverAuth with the CA bound above, SNI and the name the certificate must carry. */
  | {type: 'sslservicegroup_auth'; servicegroupname: string; serverAuth: 'ENABLED'; snienable?: 'ENABLED'; commonname?: string}
  /** A rewrite action: insert or delete a header, or replace an expression's target (host, path) with an expression. */
  | {type: 'rewriteaction'; name: string; rewriteType: 'insert_http_header' | 'delete_http_header' | 'replace'; target: string; stringbuilderexpr?: string}
  | {type: 'rewritepolicy'; name: string; rule: string; action: string}
  /** Rewrite policies run in priority order, each going on to the next (NEXT), at the request or the response. */
  | {type: 'csvserver_rewritepolicy_binding'; name: string; policyname: string; priority: number; bindpoint: 'REQUEST' | 'RESPONSE'}
  /** A route's own rewrite policies on the lb vserver content switching selects for that route only. */
  | {type: 'lbvserver_rewritepolicy_binding'; name: string; policyname: string; priority: number; bindpoint: 'REQUEST' | 'RESPONSE'}
  /** A domain-based server (an ExternalName backend): the appliance resolves `domain` with its DNS name servers. */
  | {type: 'server'; name: string; domain: string}
  /** A member: an IP, or a domain-based server by name. */
  | {type: 'servicegroup_servicegroupmember_binding'; servicegroupname: string; ip?: string; servername?: string; port: number; weight?: number}
  /** Backend TLS settings of an SSL service group: SNI and the name its certificate should carry. */
  | {type: 'sslservicegroup'; servicegroupname: string; snienable: 'ENABLED'; commonname: string}
  | {type: 'lbmonitor'; monitorname: string; monitorType: 'HTTP' | 'TCP'; httpRequest?: string; respCode?: string; customHeaders?: string; destPort?: number; secure?: boolean; interval: number; resptimeout: number; retries: number; successretries: number}
  | {type: 'servicegroup_lbmonitor_binding'; servicegroupname: string; monitor_name: string}
  | {type: 'lbvserver'; name: string; serviceType: 'HTTP' | 'TCP' | 'UDP'; lbMethod: string; comment: string; persistence?: {type: 'SOURCEIP'; timeoutMinutes: number} | {type: 'COOKIEINSERT'; cookieName: string; backupSourceMinutes?: number}}
  | {type: 'lbvserver_servicegroup_binding'; name: string; servicegroupname: string}
  | {type: 'sslcertkey'; certkey: string; cert: string; key: string}
  /** cltTimeout: seconds a client may stay idle (180 unless the listener says otherwise). */
  | {type: 'csvserver'; name: string; serviceType: 'HTTP' | 'SSL' | 'TCP' | 'UDP'; ipv46: string; port: number; comment: string; cltTimeout: number; httpProfileName?: string}
  | {type: 'csaction'; name: string; targetlbvserver: string}
  | {type: 'cspolicy'; policyname: string; rule: string; action: string; match: RouteMatch}
  | {type: 'csvserver_cspolicy_binding'; name: string; policyname: string; priority: number}
  | {type: 'csvserver_lbvserver_binding'; name: string; lbvserver: string}
  | {type: 'sslvserver_sslcertkey_binding'; vservername: string; certkeyname: string; snicert: boolean}
  | {type: 'responderaction'; name: string; responderType: 'redirect' | 'respondwith'; target: string; responsestatuscode?: number}
  | {type: 'responderpolicy'; name: string; rule: string; action: string; match: RouteMatch}
  | {type: 'csvserver_responderpolicy_binding'; name: string; policyname: string; priority: number}
  /** A route's source ranges, on the lb vserver content switching selects for that route only. */
  | {type: 'lbvserver_responderpolicy_binding'; name: string; policyname: string; priority: number}

/** What a content-switching policy matches, as data (tests evaluate it; the rule is its rendering). */
export interface RouteMatch {
  host: string
  path: string
  pathType: 'Exact' | 'Prefix'
  /** 'suffix': a '*.' host matching one or more labels (Gateway API); otherwise one label. */
  wildcard?: 'label' | 'suffix'
  /** Gateway API conditions: method, headers, query parameters (all must hold). */
  conditions?: RouteConditions
}

export interface NetscalerConfig {
  entities: NsEntity[]
  /** Certificate and key files to put in certDir (keys are secret). */
  files: Array<{path: string; content: string; mode: number; secret: boolean}>
  diagnostics: Diagnostic[]
}

// NetScaler names: [A-Za-z0-9_#. :@=-], starting with an alphanumeric or "_", at most 127 characters.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_#.:@=-]{0,126}$/
function name(n: string): string {
  if (!NAME.test(n)) throw new Error(`internal: unsafe NetScaler name ${JSON.stringify(n)}`)
  return n
}

/** 32 lowercase base32 characters over the parts (NetScaler's controller uses a 32-character hash the same way). */
export function nsHash(...parts: Array<string | number>): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest()
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of digest) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < 32) {
      out += alphabet[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out
}

const LB_METHOD: Record<Pool['lbMethod'], string> = {roundrobin: 'ROUNDROBIN', leastconn: 'LEASTCONNECTION', source: 'SOURCEIPHASH'}

/**
 * Pool entity names. Unique by construction: the 32-character hash covers the
 * pool's whole identity; the readable part is only cut (never the hash) to stay
 * within the 127-character limit.
 */
export function poolNames(pool: Pool, prefix: string) {
  const h = nsHash(pool.namespace, pool.service, pool.port)
  const base = `${prefix}-${pool.service}_${pool.port}${pool.protocol === 'UDP' ? '-udp' : ''}`.slice(0, 127 - 37)
  return {sgp: name(`${base}_sgp_${h}`), lbv: name(`${base}_lbv_${h}`), mon: name(`${base}_mon_${h}`), srv: name(`${base}_srv_${h}`)}
}

/**
 * Content-switching vserver names: `<prefix>-<VIP>_<port>_<http|ssl>` (VIPs are
 * canonical, so one address has one name) or, for a LoadBalancer Service,
 * `<prefix>-<svc>_<port>_<ns>_svc` (`_udp` added for UDP). Service and
 * namespace names hold no "_", so the readable form is injective; beyond 127
 * characters it becomes `<prefix>-<hash>_svc`, which has no other "_".
 */
export function csvserverName(f: Frontend, prefix: string, model: LbModel): string {
  // A LoadBalancer Service's own frontend is named after it; another L4 frontend (a Gateway's TCP listener, whose
  // backend may also be some Service's) after its VIP and port, so two frontends never share a name.
  if ((f.protocol === 'tcp' || f.protocol === 'udp') && f.provenance[0]?.object.startsWith('Service/')) {
    const pool = model.pools.find((p) => p.id === f.defaultPool)
    if (pool) {
      const readable = `${prefix}-${pool.service}_${f.port}_${pool.namespace}_svc${f.protocol === 'udp' ? '_udp' : ''}`
      return name(NAME.test(readable) ? readable : `${prefix}-${nsHash(f.protocol, pool.namespace, pool.service, f.port)}_svc`)
    }
  }
  return name(`${prefix}-${f.address}_${f.port}_${f.protocol === 'https' ? 'ssl' : f.protocol}`)
}

/** A NetScaler string literal: our strings are allowlisted, but quote and backslash are escaped anyway. */
const lit = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

/** A header name in a rewrite action: the model's header-name grammar, checked again here. */
function headerName(n: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(n)) throw new Error(`internal: unsafe header name ${JSON.stringify(n)}`)
  return n
}

/**
 * The path (`of`: HTTP.REQ.URL.PATH, or PATH_AND_QUERY to keep the query) with the matched Prefix `from` replaced
 * by `to` (Kubernetes path-element semantics, as replacePath in the routing module): the text after the prefix is
 * appended to `to`; replacing with "/" keeps the rest's own leading slash.
 */
function prefixExpr(from: string, to: string, of: string): string {
  if (from === '/') return to === '/' ? of : `${lit(to)} + ${of}`
  const rest = `${of}.AFTER_STR(${lit(from)})`
  return to === '/' ? `${lit('/')} + ${rest}.STRIP_START_CHARS(${lit('/')})` : `${lit(to)} + ${rest}`
}

/** Paths the routing module answers 400 (src/model/routing.ts unsafePath), as a NetScaler expression. */
export const INVALID_PATH_RULE =
  'HTTP.REQ.URL.PATH.REGEX_MATCH(re#(^|/)\\.\\.?(/|;|$|%2[fF])#) || HTTP.REQ.URL.PATH.SET_TEXT_MODE(IGNORECASE).CONTAINS("%2e") || HTTP.REQ.URL.PATH.SET_TEXT_MODE(IGNORECASE).CONTAINS("%5c") || HTTP.REQ.URL.PATH.CONTAINS("\\\\")'

/**
 * The forwarding-header rewrite actions and policies (rule true) every HTTP(S) cs vserver binds, in binding order:
 * X-Forwarded-For and X-Real-IP replaced by the client address (CLIENT.IP.SRC, or CLIENT.IPV6.SRC on an IPv6
 * VIP), X-Forwarded-Proto by the listener's scheme, Forwarded, X-Forwarded-Host and X-Forwarded-Port removed.
 * migrate recognises exactly these (never reported as lost).
 */
export function forwardingEntities(P: string, scheme: 'http' | 'https', family: 4 | 6): NsEntity[] {
  const src = family === 6 ? 'CLIENT.IPV6.SRC' : 'CLIENT.IP.SRC'
  const steps: Array<[string, 'insert_http_header' | 'delete_http_header', string, string?]> = [
    ['xff_del', 'delete_http_header', 'X-Forwarded-For'],
    [`xff_ins${family}`, 'insert_http_header', 'X-Forwarded-For', src],
    ['xri_del', 'delete_http_header', 'X-Real-IP'],
    [`xri_ins${family}`, 'insert_http_header', 'X-Real-IP', src],
    ['xfp_del', 'delete_http_header', 'X-Forwarded-Proto'],
    [`xfp_${scheme}`, 'insert_http_header', 'X-Forwarded-Proto', lit(scheme)],
    ['fwd_del', 'delete_http_header', 'Forwarded'],
    ['xfh_del', 'delete_http_header', 'X-Forwarded-Host'],
    ['xfport_del', 'delete_http_header', 'X-Forwarded-Port'],
  ]
  return steps.flatMap(([id, type, header, expr]) => [
    {type: 'rewriteaction' as const, name: name(`${P}-fwd_${id}`), rewriteType: type, target: header, ...(expr !== undefined ? {stringbuilderexpr: expr} : {})},
    {type: 'rewritepolicy' as const, name: name(`${P}-fwd_${id}_pol`), rule: 'true', action: name(`${P}-fwd_${id}`)},
  ])
}

/** The policy expression for a route (host tier + path semantics). */
export function routeRule(r: RouteMatch): string {
  const host = 'HTTP.REQ.HOSTNAME.SERVER.SET_TEXT_MODE(IGNORECASE)'
  const parts: string[] = []
  if (r.host.startsWith('*.') && r.wildcard === 'suffix') parts.push(`${host}.ENDSWITH(${lit(r.host.slice(1))})`)
  else if (r.host.startsWith('*.')) parts.push(`${host}.AFTER_STR(".").EQ(${lit(r.host.slice(2))})`)
  else if (r.host !== '') parts.push(`${host}.EQ(${lit(r.host)})`)
  if (r.pathType === 'Exact') parts.push(`HTTP.REQ.URL.PATH.EQ(${lit(r.path)})`)
  else if (r.path !== '/') parts.push(`(HTTP.REQ.URL.PATH.EQ(${lit(r.path)}) || HTTP.REQ.URL.PATH.STARTSWITH(${lit(`${r.path}/`)}))`)
  const c = r.conditions
  if (c?.method) parts.push(`HTTP.REQ.METHOD.EQ(${c.method})`)
  for (const h of c?.headers ?? []) parts.push(`HTTP.REQ.HEADER(${lit(h.name)}).EQ(${lit(h.value)})`)
  for (const q of c?.query ?? []) parts.push(`HTTP.REQ.URL.QUERY.VALUE(${lit(q.name)}).EQ(${lit(q.value)})`)
  return parts.length === 0 ? 'true' : parts.join(' && ')
}

/** `<prefix>-ca_<namespace>_<secret>_ck` for a CA Secret (a hash when too long): one certKey per Secret, shared. */
export function caCertkey(secret: string, prefix: string): string {
  const [ns, n] = secret.split('/') as [string, string]
  const readable = `${prefix}-ca_${ns}_${n}_ck`
  return name(readable.length <= 127 && NAME.test(readable) ? readable : `${prefix}-ca_${nsHash(secret).slice(0, 16)}_ck`)
}

/**
 * The profiles a service group needs (h2c: an HTTP profile; PROXY protocol: a net profile), created once per
 * prefix and setting; and the CA certKey of an HTTPS backend (its certificate file written once).
 */
/** The one HTTP profile with HTTP/2 (also in clear, by prior knowledge), made once: for h2c and gRPC members and gRPC clients. */
function http2Profile(P: string, entities: NsEntity[]): string {
  const n = name(`${P}-http2_httpprofile`)
  if (!entities.some((e) => e.type === 'nshttpprofile' && e.name === n)) entities.push({type: 'nshttpprofile', name: n, http2: 'ENABLED', http2Direct: 'ENABLED'})
  return n
}

function backendProfiles(pool: Pool, P: string, st: 'HTTP' | 'TCP' | 'SSL' | 'UDP', entities: NsEntity[], files: NetscalerConfig['files'], opts: NetscalerOptions, diagnostics: Diagnostic[]): {httpProfileName?: string; netProfile?: string} {
  const out: {httpProfileName?: string; netProfile?: string} = {}
  const once = (e: NsEntity, key: string) => {
    if (!entities.some((x) => (x as {name?: string; certkey?: string}).name === key || (x as {certkey?: string}).certkey === key)) entities.push(e)
  }
  const bp = pool.backendProtocol
  // HTTP/2 towards members: h2c, or over TLS for gRPC members (a GRPCRoute sends to them).
  if ((bp?.kind === 'h2c' || (bp?.kind === 'https' && bp.http2)) && st === 'HTTP') {
    out.httpProfileName = http2Profile(P, entities)
  } else if (bp?.kind === 'h2c')
    diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: bp.provenance.object, field: bp.provenance.field, message: 'TCP traffic is passed through as it is; h2c applies to HTTP routes'})
  if (bp?.kind === 'https' && bp.ca && !pool.external) {
    const ck = caCertkey(bp.ca.secret, P)
    if (!files.some((f) => f.path === `${ck}.crt`)) files.push({path: `${ck}.crt`, content: bp.ca.pem, mode: 0o644, secret: false})
    once({type: 'sslcertkey_ca', certkey: ck, cert: `${opts.certDir}/${ck}.crt`}, ck)
  }
  if (pool.proxyProtocol) {
    const v = pool.proxyProtocol.version === 2 ? 'V2' : 'V1'
    const n = name(`${P}-proxy_${v.toLowerCase()}_netprofile`)
    once({type: 'netprofile', name: n, proxyProtocol: 'ENABLED', proxyProtocolTxVersion: v}, n)
    out.netProfile = n
  }
  return out
}

function comment(pool: Pool, model: LbModel): string {
  const owner = pool.provenance.map((p) => p.object).find((o) => o.startsWith('Ingress/'))
  if (owner) {
    const ing = owner.split('/')[2]!
    const port = model.frontends.find((f) => f.routes.some((r) => routePools(r).includes(pool.id)) || f.defaultPool === pool.id)?.port ?? 80
    return `ing:${ing},ingport:${port},ns:${pool.namespace},svc:${pool.service},svcport:${pool.port}`
  }
  return `lbsvc:${pool.service},svcport:${pool.port},ns:${pool.namespace}`
}

export function generateNetscaler(model: LbModel, secrets: SecretLookup, opts: NetscalerOptions): NetscalerConfig {
  const P = opts.prefix
  if (!/^[a-z0-9][a-z0-9-]{0,15}$/.test(P)) throw new Error(`internal: prefix ${JSON.stringify(P)} was not validated`)
  const diagnostics: Diagnostic[] = []
  const entities: NsEntity[] = []
  const files: NetscalerConfig['files'] = []
  const used = new Set<string>()
  for (const f of model.frontends) {
    // TLS passthrough is not rendered for NetScaler (below): its pools are not used by this target.
    if (f.protocol === 'tls') continue
    for (const r of f.routes) if (!r.redirectHttps) for (const p of routePools(r)) used.add(p)
    if (f.defaultPool) used.add(f.defaultPool)
  }
  // A pool HTTP routes use stays an HTTP lb vserver; a TCP listener on the same Service port is not rendered (below):
  // one lb vserver cannot be both.
  const httpPools = new Set(model.frontends.filter((f) => f.protocol === 'http' || f.protocol === 'https').flatMap((f) => [...f.routes.flatMap(routePools), ...(f.defaultPool ? [f.defaultPool] : [])]))
  const tcpPools = new Set(model.frontends.filter((f) => f.protocol === 'tcp' && !httpPools.has(f.defaultPool ?? '')).map((f) => f.defaultPool))

  // 1-5: service groups with members and monitors, and the lb vservers behind content switching.
  // An ExternalName backend is one domain-based server the appliance resolves (port 443: the service group speaks TLS,
  // with SNI and that name); what the appliance needs for it that vipctl does not configure is said (VIP3005).
  for (const pool of model.pools) {
    if (!used.has(pool.id)) continue
    const n = poolNames(pool, P)
    const tls = pool.external?.port === 443
    // A UDP Service port: a UDP service group and lb vserver behind a UDP content-switching vserver.
    const st = pool.protocol === 'UDP' ? 'UDP' : tls ? 'SSL' : tcpPools.has(pool.id) ? 'TCP' : 'HTTP'
    // NetScaler comments hold at most 256 characters: cut like the cs vserver's.
    const full = comment(pool, model)
    const c = full.length > 200 ? `${full.slice(0, 197)}...` : full
    // Backend timeouts: the server (idle) timeout in whole seconds; NetScaler has no per-service-group connect or tunnel timeout.
    const t = pool.timeouts
    const svrTimeout = t?.serverMs !== undefined ? Math.max(1, Math.ceil(t.serverMs / 1000)) : undefined
    if (t && (t.connectMs !== undefined || t.tunnelMs !== undefined))
      diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: t.provenance.object, field: `metadata.annotations[${t.connectMs !== undefined ? 'vipctl.io/timeout-connect' : 'vipctl.io/timeout-tunnel'}]`, message: 'NetScaler has no per-service-group connect or tunnel timeout (they live in TCP profiles vipctl does not write); the appliance default applies'})
    if (t?.serverMs !== undefined && t.serverMs % 1000 !== 0)
      diagnostics.push({severity: severityOf('VIP3004'), code: 'VIP3004', object: t.provenance.object, field: 'metadata.annotations[vipctl.io/timeout-server]', message: `NetScaler keeps timeouts in whole seconds: ${svrTimeout} s for ${t.serverMs} ms`})
    const bp = pool.backendProtocol
    const prof = backendProfiles(pool, P, st, entities, files, opts, diagnostics)
    entities.push({type: 'servicegroup', name: n.sgp, serviceType: bp?.kind === 'https' ? 'SSL' : st, comment: c, ...(svrTimeout !== undefined ? {svrTimeout} : {}), ...(pool.maxConnections ? {maxClient: pool.maxConnections.value} : {}), ...prof})
    if (bp?.kind === 'https' && !pool.external) {
      if (bp.ca) {
        const ca = caCertkey(bp.ca.secret, P)
        entities.push({type: 'sslservicegroup_sslcertkey_binding', servicegroupname: n.sgp, certkeyname: ca, ca: true})
      }
      entities.push({type: 'sslservicegroup_auth', servicegroupname: n.sgp, serverAuth: 'ENABLED', ...(bp.serverName ? {snienable: 'ENABLED' as const, commonname: bp.serverName} : {})})
      if (!bp.ca)
        diagnostics.push({severity: severityOf('VIP3005'), code: 'VIP3005', object: bp.provenance.object, field: bp.provenance.field, message: `NetScaler verifies ${n.sgp}'s members only against CA certKeys bound to it: bind the CAs the members' certificates chain to (vipctl.io/backend-ca does it)`})
    }
    if (pool.retries)
      diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: pool.retries.provenance.object, field: pool.retries.provenance.field, message: 'NetScaler has no per-request retry on another member for a service group; a failed request is not retried (members a monitor marks DOWN get no new requests)'})
    if (pool.unservable) {
      // No member is bound: the appliance answers the pool's requests with an error, never without the TLS asked for.
      diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: pool.unservable.provenance.object, field: pool.unservable.provenance.field, message: `${pool.unservable.reason}: service group ${n.sgp} gets no members`})
    } else if (pool.external) {
      const {name: domain, port} = pool.external
      if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(domain)) throw new Error(`internal: unsafe domain ${JSON.stringify(domain)}`)
      entities.push({type: 'server', name: n.srv, domain})
      entities.push({type: 'servicegroup_servicegroupmember_binding', servicegroupname: n.sgp, servername: n.srv, port})
      if (tls) entities.push({type: 'sslservicegroup', servicegroupname: n.sgp, snienable: 'ENABLED', commonname: domain})
      diagnostics.push({
        severity: severityOf('VIP3005'),
        code: 'VIP3005',
        object: pool.monitor.provenance?.object ?? pool.provenance[0]!.object,
        field: pool.monitor.provenance?.field ?? pool.provenance[0]!.field,
        message: `NetScaler resolves ${domain} with the appliance's DNS name servers (add dns nameServer)${tls ? `; to verify its certificate, bind a CA certKey to service group ${n.sgp} and enable -serverAuth (NetScaler does not verify backend certificates by default)` : ''}`,
      })
    } else {
      // Member weights: NetScaler takes 1-100; heavier pools are scaled down in proportion (VIP3004).
      const maxW = maxOf(pool.members.map((m) => m.weight ?? 1), 1)
      const scale = maxW > 100 ? 100 / maxW : 1
      if (scale < 1) diagnostics.push({severity: severityOf('VIP3004'), code: 'VIP3004', object: pool.provenance[0]!.object, field: 'metadata.annotations[vipctl.io/member-weights]', message: `NetScaler weights are 1-100: ${n.sgp}'s weights are scaled by ${Math.round(scale * 1000) / 1000}`})
      for (const m of pool.members) {
        if (!m.ready) continue
        const w = m.weight !== undefined ? Math.max(1, Math.round(m.weight * scale)) : undefined
        entities.push({type: 'servicegroup_servicegroupmember_binding', servicegroupname: n.sgp, ip: m.address, port: m.port, ...(w !== undefined && w !== 1 ? {weight: w} : {})})
      }
    }
    const mon = pool.monitor
    if (st === 'UDP') {
      // No UDP health check vipctl could write that means what Kubernetes readiness means: only ready members are
      // bound (above), and the appliance checks them with its default monitor (ping-default).
      diagnostics.push({severity: severityOf('VIP3005'), code: 'VIP3005', object: mon.provenance?.object ?? pool.provenance[0]!.object, field: mon.provenance?.field ?? pool.provenance[0]!.field, message: `UDP service group ${n.sgp}: vipctl binds only the members Kubernetes reports ready and binds no monitor; the appliance checks them with its default monitor (ping-default)`})
    } else {
      // NetScaler refuses a response timeout that is not below the interval (Kubernetes allows timeoutSeconds >= periodSeconds).
      const resptimeout = Math.max(1, Math.round(mon.timeoutMs / 1000))
      let interval = Math.max(1, Math.round(mon.intervalMs / 1000))
      if (resptimeout >= interval) {
        interval = resptimeout + 1
        diagnostics.push({severity: severityOf('VIP3004'), code: 'VIP3004', object: mon.provenance?.object ?? pool.provenance[0]!.object, field: mon.provenance?.field, message: `NetScaler needs the monitor's response timeout (${resptimeout} s) below its interval; the interval is ${interval} s`})
      }
      entities.push({
        type: 'lbmonitor',
        monitorname: n.mon,
        // An HTTP check works on a TCP service group too (the monitor is its own connection), as HAProxy's does.
        monitorType: mon.kind === 'http' && st !== 'SSL' ? 'HTTP' : 'TCP',
        ...(mon.kind === 'http' && st !== 'SSL'
          ? {httpRequest: `GET ${mon.path}`, respCode: `${mon.expect?.min ?? 200}-${mon.expect?.max ?? 399}`, ...(mon.headers?.length ? {customHeaders: mon.headers.map((h) => `${h.name}: ${h.value}\r\n`).join('')} : {}), ...(mon.tls || bp?.kind === 'https' ? {secure: true} : {})}
          : {}),
        // A TCP check of members that speak TLS completes the handshake (a plain connect says little about them).
        ...(mon.kind === 'tcp' && bp?.kind === 'https' ? {secure: true} : {}),
        ...(mon.port ? {destPort: mon.port} : {}),
        interval,
        resptimeout,
        retries: mon.fall,
        successretries: mon.rise,
      })
      entities.push({type: 'servicegroup_lbmonitor_binding', servicegroupname: n.sgp, monitor_name: n.mon})
    }
    // Source persistence in whole minutes (NetScaler's unit), at least 1 and at most 1440.
    const sourceMinutes = pool.persistence?.kind === 'source' ? Math.min(1440, Math.max(1, Math.ceil(pool.persistence.timeoutSeconds / 60))) : undefined
    // A cookie for HTTP (with source persistence as NetScaler's backup when both are asked), source persistence otherwise.
    const persistence =
      pool.cookie && st !== 'TCP' && st !== 'UDP'
        ? {type: 'COOKIEINSERT' as const, cookieName: pool.cookie.name, ...(sourceMinutes !== undefined ? {backupSourceMinutes: sourceMinutes} : {})}
        : sourceMinutes !== undefined
          ? {type: 'SOURCEIP' as const, timeoutMinutes: sourceMinutes}
          : undefined
    if (pool.cookie && (st === 'TCP' || st === 'UDP'))
      diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: pool.cookie.provenance.object, field: pool.cookie.provenance.field, message: `cookie persistence needs HTTP: the TCP traffic of ${n.lbv} is balanced per connection`})
    if (pool.persistence && pool.persistence.timeoutSeconds % 60 !== 0)
      diagnostics.push({severity: severityOf('VIP3004'), code: 'VIP3004', object: pool.persistence.provenance.object, field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds', message: `NetScaler keeps source persistence in whole minutes: ${sourceMinutes} min for ${pool.persistence.timeoutSeconds} s`})
    entities.push({type: 'lbvserver', name: n.lbv, serviceType: st === 'SSL' ? 'HTTP' : st, lbMethod: LB_METHOD[pool.lbMethod], comment: c, ...(persistence ? {persistence} : {})})
    entities.push({type: 'lbvserver_servicegroup_binding', name: n.lbv, servicegroupname: n.sgp})
  }

  // 6-9: certificates, content-switching vservers, actions, policies with explicit priorities.
  const certkeys = new Map<string, string>()
  const poolsById = new Map(model.pools.map((p) => [p.id, p]))
  const lbvByName = new Map(entities.filter((e): e is Extract<NsEntity, {type: 'lbvserver'}> => e.type === 'lbvserver').map((e) => [e.name, e]))
  const filterLbvs = new Map<string, string>()
  const ruleSets = new Map<string, Array<{name: string; bindpoint: 'REQUEST' | 'RESPONSE'}>>()
  const made = new Set<string>()
  /**
   * A decision's filters as rewrite actions and policies (rule true), named from what they do: decisions with the
   * same rules (and, for a prefix rewrite, the same matched prefix) share one set, made once.
   */
  const ruleSet = (d: Decision, fl: NonNullable<Decision['filters']>): Array<{name: string; bindpoint: 'REQUEST' | 'RESPONSE'}> => {
    const {timeoutMs: _t, cors: _c, ...rules} = fl
    const prefix = fl.rewrite?.path?.kind === 'prefix' && d.match.pathType === 'Prefix' ? d.match.path : undefined
    const key = JSON.stringify([rules, prefix ?? null])
    const have = ruleSets.get(key)
    if (have) return have
    const h = nsHash(key)
    const policies: Array<{name: string; bindpoint: 'REQUEST' | 'RESPONSE'}> = []
    const add = (bindpoint: 'REQUEST' | 'RESPONSE', rewriteType: 'insert_http_header' | 'delete_http_header' | 'replace', target: string, expr?: string) => {
      const base = `${P}-rw_${h}_${policies.length + 1}`
      entities.push({type: 'rewriteaction', name: name(`${base}_act`), rewriteType, target, ...(expr !== undefined ? {stringbuilderexpr: expr} : {})})
      entities.push({type: 'rewritepolicy', name: name(`${base}_pol`), rule: 'true', action: name(`${base}_act`)})
      policies.push({name: name(`${base}_pol`), bindpoint})
    }
    const headers = (bp: 'REQUEST' | 'RESPONSE', r: NonNullable<typeof fl.requestHeaders>) => {
      // NetScaler has no "set": a set header is deleted, then inserted.
      for (const x of [...r.remove, ...r.set.map((y) => y.name)]) add(bp, 'delete_http_header', headerName(x))
      for (const y of [...r.set, ...r.add]) add(bp, 'insert_http_header', headerName(y.name), lit(y.value))
    }
    if (fl.requestHeaders) headers('REQUEST', fl.requestHeaders)
    if (fl.rewrite?.host) add('REQUEST', 'replace', 'HTTP.REQ.HOSTNAME', lit(fl.rewrite.host))
    const rp = fl.rewrite?.path
    if (rp?.kind === 'full') add('REQUEST', 'replace', 'HTTP.REQ.URL.PATH', lit(rp.value))
    else if (rp?.kind === 'prefix' && prefix !== undefined) add('REQUEST', 'replace', 'HTTP.REQ.URL.PATH', prefixExpr(prefix, rp.value, 'HTTP.REQ.URL.PATH'))
    if (fl.responseHeaders) headers('RESPONSE', fl.responseHeaders)
    ruleSets.set(key, policies)
    return policies
  }
  /**
   * The 403 rule of a decision's source ranges for a VIP of one address family (a client of an IPv4 VIP is IPv4):
   * deny networks, or a source in none of the allow networks (none of this family in a given allow list: everyone).
   * undefined when nothing of it applies to the family.
   */
  const accessRule = (access: NonNullable<Decision['access']>, family: 4 | 6): string | undefined => {
    const mine = (l: string[]) => l.filter((n) => n.includes(':') === (family === 6))
    const expr = (l: string[]) => l.map((n) => `CLIENT.${family === 4 ? 'IP' : 'IPV6'}.SRC.IN_SUBNET(${n})`).join(' || ')
    const deny = mine(access.deny).length ? `(${expr(mine(access.deny))})` : undefined
    const allow = access.allow.length ? (mine(access.allow).length ? `!(${expr(mine(access.allow))})` : 'true') : undefined
    const rule = [deny, allow].filter(Boolean).join(' || ')
    return rule || undefined
  }
  const forbidden = () => {
    const act = name(`${P}-forbidden_403`)
    if (!made.has(`responderaction/${act}`)) {
      made.add(`responderaction/${act}`)
      entities.push({type: 'responderaction', name: act, responderType: 'respondwith', target: '"HTTP/1.1 403 Forbidden\\r\\nContent-Length: 10\\r\\nConnection: close\\r\\n\\r\\nforbidden\\n"'})
    }
    return act
  }
  /**
   * A route's own lb vserver: its pool's (method, persistence), named apart; its provenance comment names the
   * route's Ingress (migrate reads it back), within NetScaler's 256 characters (else without the ing: part).
   */
  const routeLbv = (main: Extract<NsEntity, {type: 'lbvserver'}>, lbv: string, d: Decision): NsEntity => {
    const ing = d.provenance.object.split('/')[2]
    const own = ing ? main.comment.replace(/(^|,)ing:[^,]*/, `$1ing:${ing}`) : main.comment
    return {...main, name: lbv, comment: own.length <= 256 ? own : main.comment.replace(/(^|,)ing:[^,]*,?/, '$1')}
  }
  /** One responder policy per source-range rule (named from it), answering 403: bound to the routes' own lb vservers. */
  const accessPolicy = (rule: string) => {
    const pol = name(`${P}-acl_${nsHash(rule)}`)
    if (!made.has(`responderpolicy/${pol}`)) {
      made.add(`responderpolicy/${pol}`)
      entities.push({type: 'responderpolicy', name: pol, rule, action: forbidden(), match: {host: '', path: '', pathType: 'Exact'}})
    }
    return pol
  }
  for (const f of model.frontends) {
    if (f.protocol === 'tls') {
      diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: f.provenance[0]!.object, field: f.provenance[0]!.field, message: `${f.terminate ? 'TLS terminated and routed by SNI' : 'TLS passthrough (routed by SNI)'} ${f.address}:${f.port} is not rendered for NetScaler yet`})
      continue
    }
    if (f.protocol === 'tcp' && f.defaultPool && httpPools.has(f.defaultPool)) {
      diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: f.provenance[0]!.object, field: f.provenance[0]!.field, message: `TCP ${f.address}:${f.port} goes to ${f.defaultPool}, which HTTP routes also use: NetScaler's lb vserver for it is HTTP, so this TCP listener is not rendered`})
      continue
    }
    const csv = csvserverName(f, P, model)
    const ck: string[] = []
    if (detectsMisdirected(f) && f.tlsListeners!.length > 1)
      diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: f.provenance[0]!.object, field: f.provenance[0]!.field, message: `NetScaler does not answer 421 to a request whose Host belongs to another listener than the TLS SNI's on ${f.address}:${f.port}: it is routed by its Host`})
    if (f.protocol === 'https') {
      for (const c of f.certificates) {
        let certkey = certkeys.get(c.secret)
        if (!certkey) {
          const m = secrets(c.secret)
          if (!m?.ok) {
            diagnostics.push({severity: severityOf('VIP2004'), code: 'VIP2004', object: c.provenance.object, field: c.provenance.field, message: `Secret ${c.secret}: ${m ? m.problem : 'not found'}; its hosts are not served over TLS`})
            continue
          }
          // <prefix>-<namespace>_<secret>_ck keeps the Secret recognisable (migrate reads it back); a hash when too long.
          const [sns, sname] = c.secret.split('/') as [string, string]
          const readable = `${P}-${sns}_${sname}_ck`
          certkey = name(readable.length <= 127 && NAME.test(readable) ? readable : `${P}-${nsHash(c.secret).slice(0, 16)}_ck`)
          certkeys.set(c.secret, certkey)
          // The .crt file gets the parsed certificates only (never a key block that came inside tls.crt).
          files.push({path: `${certkey}.crt`, content: m.material.chain, mode: 0o644, secret: false})
          files.push({path: `${certkey}.key`, content: m.material.key.reveal().toString('utf8'), mode: 0o600, secret: true})
          entities.push({type: 'sslcertkey', certkey, cert: `${opts.certDir}/${certkey}.crt`, key: `${opts.certDir}/${certkey}.key`})
        }
        if (!ck.includes(certkey)) ck.push(certkey)
      }
      if (ck.length === 0) {
        diagnostics.push({severity: severityOf('VIP2004'), code: 'VIP2004', object: f.provenance[0]!.object, field: 'spec.tls', message: `no usable certificate for ${f.address}:${f.port}; the SSL vserver is left out`})
        continue
      }
    }
    const objects = [...new Set(f.provenance.map((p) => p.object))].sort().join(' ')
    // Clients of a GRPCRoute speak HTTP/2 (in clear by prior knowledge): an HTTP profile with HTTP/2 on the vserver.
    const h2 = f.http2 && f.protocol !== 'tcp' && f.protocol !== 'udp' ? http2Profile(P, entities) : undefined
    entities.push({type: 'csvserver', name: csv, serviceType: f.protocol === 'https' ? 'SSL' : f.protocol === 'tcp' ? 'TCP' : f.protocol === 'udp' ? 'UDP' : 'HTTP', ipv46: f.address, port: f.port, comment: objects.length > 200 ? `${objects.slice(0, 197)}...` : objects, cltTimeout: f.listener?.clientTimeoutMs !== undefined ? Math.max(1, Math.ceil(f.listener.clientTimeoutMs / 1000)) : 180, ...(h2 ? {httpProfileName: h2} : {})})
    if (f.listener?.acceptProxy)
      diagnostics.push({severity: severityOf('VIP3005'), code: 'VIP3005', object: f.listener.provenance.object, field: 'metadata.annotations[vipctl.io/accept-proxy]', message: `vipctl does not write NetScaler's PROXY protocol reception for ${csv}: enable it on the appliance for this vserver, or the upstream load balancer's PROXY header breaks every connection`})
    if (f.listener?.clientTimeoutMs !== undefined && f.listener.clientTimeoutMs % 1000 !== 0)
      diagnostics.push({severity: severityOf('VIP3004'), code: 'VIP3004', object: f.listener.provenance.object, field: 'metadata.annotations[vipctl.io/timeout-client]', message: `NetScaler keeps the client timeout in whole seconds: ${Math.ceil(f.listener.clientTimeoutMs / 1000)} s`})
    ck.forEach((certkey, i) => entities.push({type: 'sslvserver_sslcertkey_binding', vservername: csv, certkeyname: certkey, snicert: i > 0 || ck.length > 1}))
    // Paths the routing module answers 400 (dot segments, encoded dots or backslashes): first, before any redirect or switch.
    if (f.protocol === 'http' || f.protocol === 'https') {
      const act = name(`${P}-invalid_path_400`)
      if (!entities.some((e) => e.type === 'responderaction' && e.name === act)) {
        entities.push({type: 'responderaction', name: act, responderType: 'respondwith', target: '"HTTP/1.1 400 Bad Request\\r\\nContent-Length: 13\\r\\nConnection: close\\r\\n\\r\\ninvalid path\\n"'})
        entities.push({type: 'responderpolicy', name: name(`${P}-invalid_path`), rule: INVALID_PATH_RULE, action: act, match: {host: '', path: '', pathType: 'Exact'}})
      }
      entities.push({type: 'csvserver_responderpolicy_binding', name: csv, policyname: name(`${P}-invalid_path`), priority: 100})
      // Forwarding headers come from the appliance, never from the client (as in the HAProxy target): set from the
      // connection, the forgeable ones removed; bound first (priorities 10-90), so a route's own rules come after.
      const fwd = forwardingEntities(P, f.protocol === 'https' ? 'https' : 'http', f.address.includes(':') ? 6 : 4)
      for (const e of fwd) {
        const n = `${e.type}/${(e as {name: string}).name}`
        if (!made.has(n)) made.add(n), entities.push(e)
      }
      fwd.filter((e) => e.type === 'rewritepolicy').forEach((e, i) => entities.push({type: 'csvserver_rewritepolicy_binding', name: csv, policyname: e.name, priority: 10 * (i + 1), bindpoint: 'REQUEST'}))
    }
    let priority = 100
    // The routing module's decision table, in order: its order is the priority order.
    const table = routingTable(f, model)
    const ordered = table.decisions
    const matchOf = (d: Decision): RouteMatch => ({host: d.host, path: d.match.path, pathType: d.match.pathType, ...(d.wildcard ? {wildcard: d.wildcard} : {}), ...(hasConditions(d) ? {conditions: d.conditions!} : {})})
    // A decision's identity in derived names: its host, path and type, and its conditions when it has any.
    const idOf = (d: Decision): string[] => [f.id, d.host, d.match.path, d.match.pathType, ...(hasConditions(d) ? [conditionsKey(d.conditions)] : []), ...(d.wildcard ? [d.wildcard] : [])]
    // What content switching will really proxy: only these can win over a redirect (an ExternalName or over-long route is left out).
    const family: 4 | 6 = f.address.includes(':') ? 6 : 4
    const accessOf = new Map(ordered.flatMap((d) => (d.access ? [[d, accessRule(d.access, family)] as const] : [])))
    for (const [d, rule] of accessOf)
      if (rule !== undefined && rule.length > 1499)
        diagnostics.push({severity: severityOf('VIP3003'), code: 'VIP3003', object: d.provenance.object, field: d.provenance.field, message: `the source ranges of ${d.host}${d.match.path.slice(0, 60)} need a NetScaler expression longer than 1,499 characters; the route is left out (never served open)`})
    const accessOk = (d: Decision) => (accessOf.get(d)?.length ?? 0) <= 1499
    const switched = new Set(ordered.filter((d) => d.action.kind === 'pool' && routeRule(matchOf(d)).length <= 1499 && accessOk(d)))
    // A decision's rule as first-match semantics need it where NetScaler runs every matching policy (responder
    // policies run before content switching): its own match, and none of the earlier proxied decisions
    // whose hosts and paths overlap it (only those: one tenant's routes never lengthen another's expressions).
    const exclusive = (d: Decision, i: number) => [routeRule(matchOf(d)), ...ordered.slice(0, i).filter((x) => switched.has(x) && hostsOverlap(x, d) && pathsOverlap(x.match, d.match)).map((x) => `!(${routeRule(matchOf(x))})`)].join(' && ')
    const tooLong = (d: Decision, what: string) =>
      diagnostics.push({severity: severityOf('VIP3003'), code: 'VIP3003', object: d.provenance.object, field: d.provenance.field, message: `${what} for ${d.host}${d.match.path.slice(0, 60)} needs a NetScaler expression longer than 1,499 characters; left out`})
    const tlsRedirect = ordered.find((d) => d.action.kind === 'redirect' && d.action.https)?.action
    const tlsAct = name(`${P}-${f.address}_${f.port}_redirect_https`)
    if (tlsRedirect?.kind === 'redirect')
      entities.push({type: 'responderaction', name: tlsAct, responderType: 'redirect', target: `"https://" + HTTP.REQ.HOSTNAME.SERVER${tlsRedirect.port === undefined ? '' : ` + ":${tlsRedirect.port}"`} + HTTP.REQ.URL.PATH_AND_QUERY`, responsestatuscode: 308})
    // A redirect whose rule would exceed what NetScaler takes (it must exclude every more specific neighbour) runs
    // after content switching instead: a cs policy selects the route's own lb vserver, where a responder answers.
    // So no other object's routes can push it out (the price: NetScaler answers it while a member of its pool is up).
    const redirectLbv = new Map<Decision, string>()
    /**
     * A responder answer (`act`) whose rule would exceed 1,499 characters, made after content switching: lb vserver
     * `lbv` (a copy of the pool's `main`, bound to its service group) answers every request with it (source ranges
     * first, as 403), and a cs policy with the decision's own match selects it (below, in decision order).
     */
    const answerAfterSwitching = (d: Decision, pool: Pool, main: Extract<NsEntity, {type: 'lbvserver'}>, lbv: string, act: string, tag: string, what: string, deny?: string) => {
      entities.push(routeLbv(main, lbv, d))
      entities.push({type: 'lbvserver_servicegroup_binding', name: lbv, servicegroupname: poolNames(pool, P).sgp})
      if (deny !== undefined) entities.push({type: 'lbvserver_responderpolicy_binding', name: lbv, policyname: accessPolicy(deny), priority: 90})
      const pol = name(`${P}-${tag}_${nsHash(act)}`)
      if (!made.has(`responderpolicy/${pol}`)) {
        made.add(`responderpolicy/${pol}`)
        entities.push({type: 'responderpolicy', name: pol, rule: 'true', action: act, match: {host: '', path: '', pathType: 'Exact'}})
      }
      entities.push({type: 'lbvserver_responderpolicy_binding', name: lbv, policyname: pol, priority: 100})
      redirectLbv.set(d, lbv)
      switched.add(d)
      diagnostics.push({severity: severityOf('VIP3004'), code: 'VIP3004', object: d.provenance.object, field: d.provenance.field, message: `${what} for ${d.host || '*'}${d.match.path.slice(0, 60)} runs after content switching on NetScaler (its rule before it would exceed 1,499 characters): it is answered while a member of Service ${pool.namespace}/${pool.service} is up`})
    }
    ordered.forEach((d, i) => {
      const a = d.action
      if (a.kind === 'status') {
        // A rule that cannot be served as written answers 500 itself (responder policies run before content switching).
        const rule = exclusive(d, i)
        const act = name(a.code === 404 ? `${P}-no_route_404` : `${P}-unservable_500`)
        const ensureAct = () => {
          if (made.has(`responderaction/${act}`)) return
          made.add(`responderaction/${act}`)
          entities.push({type: 'responderaction', name: act, responderType: 'respondwith', target: a.code === 404 ? '"HTTP/1.1 404 Not Found\\r\\nContent-Length: 9\\r\\nConnection: close\\r\\n\\r\\nno route\\n"' : '"HTTP/1.1 500 Internal Server Error\\r\\nContent-Length: 23\\r\\nConnection: close\\r\\n\\r\\nroute cannot be served\\n"'})
        }
        if (rule.length > 1499) {
          // As a long redirect (below): after content switching, a cs policy selects an lb vserver of a pool the
          // same host routes to, where a responder answers. So a host with many paths keeps its fence (a request
          // for it never falls to a less specific rule); the price: answered while a member of that pool is up.
          const anchor = ordered.find((x) => x.host === d.host && x.action.kind === 'pool' && switched.has(x))
          const pool = anchor?.action.kind === 'pool' ? poolsById.get(anchor.action.pool) : undefined
          const main = pool ? lbvByName.get(poolNames(pool, P).lbv) : undefined
          if (!pool || !main || routeRule(matchOf(d)).length > 1499) return tooLong(d, `the ${a.code} answer`)
          ensureAct()
          return answerAfterSwitching(d, pool, main, name(`${P}-${pool.service}_${pool.port}_slb_${nsHash(...idOf(d))}`), act, 'st', `the ${a.code} answer`)
        }
        ensureAct()
        const pol = name(`${P}-${f.address}_${f.port}_rsp${a.code}_${nsHash(...idOf(d))}`)
        entities.push({type: 'responderpolicy', name: pol, rule, action: act, match: matchOf(d)})
        entities.push({type: 'csvserver_responderpolicy_binding', name: csv, policyname: pol, priority: (priority += 10)})
        return
      }
      if (a.kind !== 'redirect') return
      if (!accessOk(d)) return
      const rule = exclusive(d, i)
      const h = nsHash(...idOf(d))
      const deny = accessOf.get(d)
      const afterSwitching = rule.length > 1499 || (deny !== undefined && `${rule} && (${deny})`.length > 1499)
      if (!afterSwitching && deny !== undefined) {
        // Source ranges first: a source they do not admit gets 403 instead of the redirect.
        const pol403 = name(`${P}-${f.address}_${f.port}_rsp403_${h}`)
        entities.push({type: 'responderpolicy', name: pol403, rule: `${rule} && (${deny})`, action: forbidden(), match: matchOf(d)})
        entities.push({type: 'csvserver_responderpolicy_binding', name: csv, policyname: pol403, priority: (priority += 10)})
      }
      let act = tlsAct
      if (!a.https) {
        act = name(`${P}-${f.address}_${f.port}_rda_${h}`)
        const prefix = d.match.pathType === 'Prefix' ? d.match.path : undefined
        if (a.path?.kind === 'full')
          diagnostics.push({severity: severityOf('VIP3004'), code: 'VIP3004', object: d.provenance.object, field: d.provenance.field, message: `NetScaler redirects ${d.host}${d.match.path} to the fixed path ${a.path.value} without the request's query string`})
        const pathExpr = a.path?.kind === 'full' ? lit(a.path.value) : a.path?.kind === 'prefix' && prefix !== undefined ? prefixExpr(prefix, a.path.value, 'HTTP.REQ.URL.PATH_AND_QUERY') : 'HTTP.REQ.URL.PATH_AND_QUERY'
        entities.push({type: 'responderaction', name: act, responderType: 'redirect', target: `${lit(`${a.scheme}://`)} + ${a.host ? lit(a.host) : 'HTTP.REQ.HOSTNAME.SERVER'}${a.port !== undefined ? ` + ${lit(`:${a.port}`)}` : ''} + ${pathExpr}`, responsestatuscode: a.code})
      }
      if (afterSwitching) {
        const pool = d.pool ? poolsById.get(d.pool) : undefined
        const main = pool ? lbvByName.get(poolNames(pool, P).lbv) : undefined
        if (!pool || !main || routeRule(matchOf(d)).length > 1499) return tooLong(d, 'the redirect')
        return answerAfterSwitching(d, pool, main, name(`${P}-${pool.service}_${pool.port}_rlb_${h}`), act, 'rd', 'the redirect', deny)
      }
      const pol = name(`${P}-${f.address}_${f.port}_rsp_${h}`)
      entities.push({type: 'responderpolicy', name: pol, rule, action: act, match: matchOf(d)})
      entities.push({type: 'csvserver_responderpolicy_binding', name: csv, policyname: pol, priority: (priority += 10)})
    })
    // Filters (header rules, rewrites): rewrite policies (rule true) bound to lb vservers of the decision's own, which
    // content switching selects for that decision only: a route's rules can never run for another route's request, and
    // no rule expression grows with the other routes on the vserver.
    const filterLbv = new Map<Decision, Map<string, string>>()
    // Once per object: its routes' hosts and matches would repeat it many times over.
    const saidBackendHeaders = new Set<string>()
    ordered.forEach((d) => {
      const fl = d.filters
      if (d.action.kind === 'pool' && switched.has(d) && d.action.split?.some((b) => b.requestHeaders) && !saidBackendHeaders.has(d.provenance.object) && saidBackendHeaders.add(d.provenance.object))
        diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: d.provenance.object, field: d.provenance.field, message: `vipctl does not write a backendRef's own request header modifiers for NetScaler: requests to its routes (such as ${d.host || '*'}${d.match.path}) reach those backends without them`})
      // Only for decisions content switching will select (an over-long route is left out with VIP3003 below).
      if ((!fl && !d.access) || d.action.kind !== 'pool' || !switched.has(d)) return
      if (fl?.cors)
        diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: d.provenance.object, field: d.provenance.field, message: `vipctl does not write CORS for NetScaler: ${d.host || '*'}${d.match.path} answers without CORS headers (browsers then refuse cross-origin use) and its preflights reach the members`})
      if (fl?.timeoutMs !== undefined)
        diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: d.provenance.object, field: d.provenance.object.startsWith('Ingress/') ? 'metadata.annotations[vipctl.io/timeout-request]' : d.provenance.field, message: `NetScaler has no per-route member timeout; ${d.host}${d.match.path} keeps its service group's`})
      const policies = fl ? ruleSet(d, fl) : []
      const acl = accessOf.get(d) !== undefined ? accessPolicy(accessOf.get(d)!) : undefined
      if (policies.length === 0 && acl === undefined) return
      // One lb vserver per pool and rule set, with the pool's method and persistence, bound to its service group:
      // routes with the same rules and pool share it (and its rules), whatever their number.
      const byPool = new Map<string, string>()
      for (const b of nsSplit(d.action)) {
        const pool = poolsById.get(b.pool)!
        const main = lbvByName.get(poolNames(pool, P).lbv)
        if (!main) continue
        const key = `${b.pool}\u0000${policies.map((x) => x.name).join(' ')}${acl !== undefined ? `\u0000${acl}` : ''}`
        let lbv = filterLbvs.get(key)
        if (!lbv) {
          const base = `${P}-${pool.service}_${pool.port}`.slice(0, 127 - 37)
          lbv = name(`${base}_flb_${nsHash(key)}`)
          filterLbvs.set(key, lbv)
          entities.push(routeLbv(main, lbv, d))
          entities.push({type: 'lbvserver_servicegroup_binding', name: lbv, servicegroupname: poolNames(pool, P).sgp})
          policies.forEach((x, i) => entities.push({type: 'lbvserver_rewritepolicy_binding', name: lbv!, policyname: x.name, priority: 100 + 10 * i, bindpoint: x.bindpoint}))
          if (acl !== undefined) entities.push({type: 'lbvserver_responderpolicy_binding', name: lbv, policyname: acl, priority: 100})
        }
        byPool.set(b.pool, lbv)
      }
      filterLbv.set(d, byPool)
    })
    priority = 100
    for (const d of ordered) {
      const rlb = redirectLbv.get(d)
      if (rlb !== undefined) {
        const csp = name(`${P}-rd_csp_${nsHash(...idOf(d))}`)
        entities.push({type: 'csaction', name: csp, targetlbvserver: rlb})
        entities.push({type: 'cspolicy', policyname: csp, rule: routeRule(matchOf(d)), action: csp, match: matchOf(d)})
        entities.push({type: 'csvserver_cspolicy_binding', name: csv, policyname: csp, priority: (priority += 10)})
        continue
      }
      if (d.action.kind !== 'pool' || !accessOk(d)) continue
      const rule = routeRule(matchOf(d))
      if (rule.length > 1499) {
        diagnostics.push({severity: severityOf('VIP3003'), code: 'VIP3003', object: d.provenance.object, field: d.provenance.field, message: `the route ${d.host}${d.match.path.slice(0, 60)}... needs a NetScaler expression of ${rule.length} characters (at most 1,499); left out`})
        continue
      }
      // A split is one policy per pool, in order: pool i takes its weight out of what the earlier ones left, so each
      // independent draw (SYS.RANDOM, uniform in [0,1)) gives pool i exactly weight_i / total of the requests.
      const backends = nsSplit(d.action)
      let left = backends.reduce((x, b) => x + b.weight, 0)
      backends.forEach((b, bi) => {
        const pool = poolsById.get(b.pool)!
        const last = bi === backends.length - 1
        const share = last ? rule : `${rule} && SYS.RANDOM.MUL(${left}).LT(${b.weight})`
        left -= b.weight
        const csp = name(`${P}-${pool.service}_${pool.port}_csp_${nsHash(...idOf(d), ...(d.action.kind === 'pool' && d.action.split ? [b.pool] : []))}`)
        const target = filterLbv.get(d)?.get(b.pool)
        // A route with source ranges is only ever switched to its own lb vserver, which applies them: never the open one.
        if (target === undefined && accessOf.get(d) !== undefined) return
        entities.push({type: 'csaction', name: csp, targetlbvserver: target ?? poolNames(pool, P).lbv})
        entities.push({type: 'cspolicy', policyname: csp, rule: share, action: csp, match: matchOf(d)})
        entities.push({type: 'csvserver_cspolicy_binding', name: csv, policyname: csp, priority: (priority += 10)})
      })
    }
    if (f.defaultPool) {
      const pool = model.pools.find((p) => p.id === f.defaultPool)
      if (pool) entities.push({type: 'csvserver_lbvserver_binding', name: csv, lbvserver: poolNames(pool, P).lbv})
      if (f.defaultSplit)
        diagnostics.push({severity: severityOf('VIP3001'), code: 'VIP3001', object: f.defaultSplit.provenance.object, field: f.defaultSplit.provenance.field, message: `NetScaler's ${f.protocol === 'udp' ? 'UDP' : 'TCP'} content switching has no split by weight: every ${f.protocol === 'udp' ? 'datagram flow' : 'connection'} to ${f.address}:${f.port} goes to ${f.defaultPool}`})
    }
  }
  return {entities, files, diagnostics}
}

// ---- ns.conf batch ---------------------------------------------------------

/** One entity as a NetScaler CLI command. */
export function toCli(e: NsEntity): string {
  switch (e.type) {
    case 'servicegroup':
      return `add serviceGroup ${e.name} ${e.serviceType}${e.svrTimeout !== undefined ? ` -svrTimeout ${e.svrTimeout}` : ''}${e.maxClient !== undefined ? ` -maxClient ${e.maxClient}` : ''}${e.httpProfileName ? ` -httpProfileName ${e.httpProfileName}` : ''}${e.netProfile ? ` -netProfile ${e.netProfile}` : ''} -comment ${lit(e.comment)}`
    case 'nshttpprofile':
      return `add ns httpProfile ${e.name} -http2 ENABLED -http2Direct ENABLED`
    case 'netprofile':
      return `add netProfile ${e.name} -proxyProtocol ENABLED -proxyProtocolTxVersion ${e.proxyProtocolTxVersion}`
    case 'sslcertkey_ca':
      return `add ssl certKey ${e.certkey} -cert ${lit(e.cert)}`
    case 'sslservicegroup_sslcertkey_binding':
      return `bind ssl serviceGroup ${e.servicegroupname} -certkeyName ${e.certkeyname} -CA`
    case 'sslservicegroup_auth':
      return `set ssl serviceGroup ${e.servicegroupname} -serverAuth ENABLED${e.commonname ? ` -SNIEnable ENABLED -commonName ${e.commonname}` : ''}`
    case 'rewriteaction':
      return `add rewrite action ${e.name} ${e.rewriteType} ${e.target}${e.stringbuilderexpr !== undefined ? ` ${lit(e.stringbuilderexpr)}` : ''}`
    case 'rewritepolicy':
      return `add rewrite policy ${e.name} ${lit(e.rule)} ${e.action}`
    case 'csvserver_rewritepolicy_binding':
      return `bind cs vserver ${e.name} -policyName ${e.policyname} -priority ${e.priority} -gotoPriorityExpression NEXT -type ${e.bindpoint}`
    case 'lbvserver_rewritepolicy_binding':
      return `bind lb vserver ${e.name} -policyName ${e.policyname} -priority ${e.priority} -gotoPriorityExpression NEXT -type ${e.bindpoint}`
    case 'server':
      return `add server ${e.name} ${e.domain}`
    case 'servicegroup_servicegroupmember_binding':
      return `bind serviceGroup ${e.servicegroupname} ${e.servername ?? e.ip} ${e.port}${e.weight !== undefined ? ` -weight ${e.weight}` : ''}`
    case 'sslservicegroup':
      return `set ssl serviceGroup ${e.servicegroupname} -SNIEnable ENABLED -commonName ${e.commonname}`
    case 'lbmonitor':
      return `add lb monitor ${e.monitorname} ${e.monitorType}${e.httpRequest ? ` -httpRequest ${lit(e.httpRequest)} -respCode ${e.respCode}` : ''}${e.customHeaders ? ` -customHeaders ${lit(e.customHeaders).replace(/\r/g, '\\r').replace(/\n/g, '\\n')}` : ''}${e.destPort ? ` -destPort ${e.destPort}` : ''}${e.secure ? ' -secure YES' : ''} -interval ${e.interval} -resptimeout ${e.resptimeout} -retries ${e.retries} -successRetries ${e.successretries}`
    case 'servicegroup_lbmonitor_binding':
      return `bind serviceGroup ${e.servicegroupname} -monitorName ${e.monitor_name}`
    case 'lbvserver':
      return `add lb vserver ${e.name} ${e.serviceType} 0.0.0.0 0 -lbMethod ${e.lbMethod} -persistenceType ${!e.persistence ? 'NONE' : e.persistence.type === 'SOURCEIP' ? `SOURCEIP -timeout ${e.persistence.timeoutMinutes}` : `COOKIEINSERT -timeout 0 -cookieName ${e.persistence.cookieName}${e.persistence.backupSourceMinutes !== undefined ? ` -persistenceBackup SOURCEIP -backupPersistenceTimeout ${e.persistence.backupSourceMinutes}` : ''}`} -cltTimeout 180 -comment ${lit(e.comment)}`
    case 'lbvserver_servicegroup_binding':
      return `bind lb vserver ${e.name} ${e.servicegroupname}`
    case 'sslcertkey':
      return `add ssl certKey ${e.certkey} -cert ${lit(e.cert)} -key ${lit(e.key)}`
    case 'csvserver':
      return `add cs vserver ${e.name} ${e.serviceType} ${e.ipv46} ${e.port} -cltTimeout ${e.cltTimeout}${e.httpProfileName ? ` -httpProfileName ${e.httpProfileName}` : ''} -comment ${lit(e.comment)}`
    case 'csaction':
      return `add cs action ${e.name} -targetLBVserver ${e.targetlbvserver}`
    case 'cspolicy':
      return `add cs policy ${e.policyname} -rule ${lit(e.rule)} -action ${e.action}`
    case 'csvserver_cspolicy_binding':
      return `bind cs vserver ${e.name} -policyName ${e.policyname} -priority ${e.priority}`
    case 'csvserver_lbvserver_binding':
      return `bind cs vserver ${e.name} -lbvserver ${e.lbvserver}`
    case 'sslvserver_sslcertkey_binding':
      return `bind ssl vserver ${e.vservername} -certkeyName ${e.certkeyname}${e.snicert ? ' -SNICert' : ''}`
    case 'responderaction':
      return e.responderType === 'redirect' ? `add responder action ${e.name} redirect ${lit(e.target)} -responseStatusCode ${e.responsestatuscode}` : `add responder action ${e.name} respondwith ${lit(e.target)}`
    case 'responderpolicy':
      return `add responder policy ${e.name} ${lit(e.rule)} ${e.action}`
    case 'csvserver_responderpolicy_binding':
      return `bind cs vserver ${e.name} -policyName ${e.policyname} -priority ${e.priority} -gotoPriorityExpression END -type REQUEST`
    case 'lbvserver_responderpolicy_binding':
      return `bind lb vserver ${e.name} -policyName ${e.policyname} -priority ${e.priority} -gotoPriorityExpression END -type REQUEST`
  }
}

export function renderBatch(cfg: NetscalerConfig): string {
  const out = ['# vipctl: NetScaler batch (ns.conf commands in dependency order); apply with `batch -fileName <file>`']
  const sni = new Set(cfg.entities.filter((e): e is Extract<NsEntity, {type: 'sslvserver_sslcertkey_binding'}> => e.type === 'sslvserver_sslcertkey_binding' && e.snicert).map((e) => e.vservername))
  for (const e of cfg.entities) {
    out.push(toCli(e))
    if (e.type === 'csvserver' && sni.has(e.name)) out.push(`set ssl vserver ${e.name} -SNIEnable ENABLED`)
  }
  return `${out.join('\n')}\n`
}

// ---- NITRO -------------------------------------------------------------------

export interface NitroRequest {
  method: 'POST' | 'PUT'
  resource: string
  body: Record<string, Record<string, unknown>>
}

/** One entity as the NITRO request that creates it (POST /nitro/v1/config/<resource>). */
export function toNitro(e: NsEntity): NitroRequest {
  const post = (resource: string, fields: Record<string, unknown>): NitroRequest => ({method: 'POST', resource, body: {[resource]: fields}})
  switch (e.type) {
    case 'servicegroup':
      return post('servicegroup', {servicegroupname: e.name, servicetype: e.serviceType, ...(e.svrTimeout !== undefined ? {svrtimeout: e.svrTimeout} : {}), ...(e.maxClient !== undefined ? {maxclient: e.maxClient} : {}), ...(e.httpProfileName ? {httpprofilename: e.httpProfileName} : {}), ...(e.netProfile ? {netprofile: e.netProfile} : {}), comment: e.comment})
    case 'nshttpprofile':
      return post('nshttpprofile', {name: e.name, http2: e.http2, http2direct: e.http2Direct})
    case 'netprofile':
      return post('netprofile', {name: e.name, proxyprotocol: e.proxyProtocol, proxyprotocoltxversion: e.proxyProtocolTxVersion})
    case 'sslcertkey_ca':
      return post('sslcertkey', {certkey: e.certkey, cert: e.cert})
    case 'sslservicegroup_sslcertkey_binding':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {servicegroupname: e.servicegroupname, certkeyname: e.certkeyname, ca: true}}}
    case 'sslservicegroup_auth':
      return {method: 'PUT', resource: 'sslservicegroup', body: {sslservicegroup: {servicegroupname: e.servicegroupname, serverauth: e.serverAuth, ...(e.commonname ? {snienable: 'ENABLED', commonname: e.commonname} : {})}}}
    case 'rewriteaction':
      return post('rewriteaction', {name: e.name, type: e.rewriteType, target: e.target, ...(e.stringbuilderexpr !== undefined ? {stringbuilderexpr: e.stringbuilderexpr} : {})})
    case 'rewritepolicy':
      return post('rewritepolicy', {name: e.name, rule: e.rule, action: e.action})
    case 'csvserver_rewritepolicy_binding':
    case 'lbvserver_rewritepolicy_binding':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {name: e.name, policyname: e.policyname, priority: e.priority, gotopriorityexpression: 'NEXT', bindpoint: e.bindpoint}}}
    case 'server':
      return post('server', {name: e.name, domain: e.domain})
    case 'servicegroup_servicegroupmember_binding':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {servicegroupname: e.servicegroupname, ...(e.servername ? {servername: e.servername} : {ip: e.ip}), port: e.port, ...(e.weight !== undefined ? {weight: e.weight} : {})}}}
    case 'sslservicegroup':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {servicegroupname: e.servicegroupname, snienable: e.snienable, commonname: e.commonname}}}
    case 'lbmonitor':
      return post('lbmonitor', {monitorname: e.monitorname, type: e.monitorType, ...(e.httpRequest ? {httprequest: e.httpRequest, respcode: [e.respCode]} : {}), ...(e.customHeaders ? {customheaders: e.customHeaders} : {}), ...(e.destPort ? {destport: e.destPort} : {}), ...(e.secure ? {secure: 'YES'} : {}), interval: e.interval, resptimeout: e.resptimeout, retries: e.retries, successretries: e.successretries})
    case 'servicegroup_lbmonitor_binding':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {servicegroupname: e.servicegroupname, monitor_name: e.monitor_name}}}
    case 'lbvserver':
      return post('lbvserver', {name: e.name, servicetype: e.serviceType, ipv46: '0.0.0.0', port: 0, lbmethod: e.lbMethod, persistencetype: e.persistence?.type ?? 'NONE', ...(e.persistence?.type === 'SOURCEIP' ? {timeout: e.persistence.timeoutMinutes} : e.persistence ? {timeout: 0, cookiename: e.persistence.cookieName, ...(e.persistence.backupSourceMinutes !== undefined ? {persistencebackup: 'SOURCEIP', backuppersistencetimeout: e.persistence.backupSourceMinutes} : {})} : {}), clttimeout: 180, comment: e.comment})
    case 'lbvserver_servicegroup_binding':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {name: e.name, servicegroupname: e.servicegroupname}}}
    case 'sslcertkey':
      return post('sslcertkey', {certkey: e.certkey, cert: e.cert, key: e.key})
    case 'csvserver':
      return post('csvserver', {name: e.name, servicetype: e.serviceType, ipv46: e.ipv46, port: e.port, clttimeout: e.cltTimeout, ...(e.httpProfileName ? {httpprofilename: e.httpProfileName} : {}), comment: e.comment})
    case 'csaction':
      return post('csaction', {name: e.name, targetlbvserver: e.targetlbvserver})
    case 'cspolicy':
      return post('cspolicy', {policyname: e.policyname, rule: e.rule, action: e.action})
    case 'csvserver_cspolicy_binding':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {name: e.name, policyname: e.policyname, priority: e.priority}}}
    case 'csvserver_lbvserver_binding':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {name: e.name, lbvserver: e.lbvserver}}}
    case 'sslvserver_sslcertkey_binding':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {vservername: e.vservername, certkeyname: e.certkeyname, ...(e.snicert ? {snicert: true} : {})}}}
    case 'responderaction':
      return post('responderaction', {name: e.name, type: e.responderType, target: e.target, ...(e.responsestatuscode ? {responsestatuscode: e.responsestatuscode} : {})})
    case 'responderpolicy':
      return post('responderpolicy', {name: e.name, rule: e.rule, action: e.action})
    case 'csvserver_responderpolicy_binding':
    case 'lbvserver_responderpolicy_binding':
      return {method: 'PUT', resource: e.type, body: {[e.type]: {name: e.name, policyname: e.policyname, priority: e.priority, gotopriorityexpression: 'END', bindpoint: 'REQUEST'}}}
  }
}

export function renderNitro(cfg: NetscalerConfig): string {
  const sni = new Set(cfg.entities.filter((e) => e.type === 'sslvserver_sslcertkey_binding' && e.snicert).map((e) => (e as {vservername: string}).vservername))
  const reqs: NitroRequest[] = []
  for (const e of cfg.entities) {
    reqs.push(toNitro(e))
    if (e.type === 'csvserver' && sni.has(e.name)) reqs.push({method: 'PUT', resource: 'sslvserver', body: {sslvserver: {vservername: e.name, snienable: 'ENABLED'}}})
  }
  return `${JSON.stringify({apiVersion: 'vipctl.io/v1alpha1', kind: 'NitroRequests', requests: reqs}, null, 2)}\n`
}

/**
 * A pool decision's backends as NetScaler renders them: one entry per pool (the weights of backendRefs to one
 * Service port added up). They differ only by request header modifiers, which NetScaler does not render (VIP3001),
 * and each entry names entities of its own: one pool twice would name two different policies alike.
 */
function nsSplit(a: Extract<Decision['action'], {kind: 'pool'}>): Array<{pool: string; weight: number}> {
  const out: Array<{pool: string; weight: number}> = []
  for (const b of a.split ?? [{pool: a.pool, weight: 1}]) {
    const same = out.find((x) => x.pool === b.pool)
    if (same) same.weight += b.weight
    else out.push({pool: b.pool, weight: b.weight})
  }
  return out
}
