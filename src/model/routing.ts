/**
 * The routing module: the one place that decides where an HTTP request goes.
 * For an HTTP(S) frontend (a VIP:port) it builds the ordered decision table
 * that every consumer derives from: the HAProxy maps, the NetScaler policies
 * and their priorities, `check trace`, the path analyzers and migrate's
 * equivalence check. test/unit/routing-semantics.test.ts drives all of them
 * with one table of requests; a real HAProxy answers the same table in
 * test/integration/routing-haproxy.test.ts.
 *
 * Semantics (Kubernetes Ingress, with Gateway API's precedence rules):
 *  - The Host header is normalised (ASCII lower case, port and one trailing dot
 *    removed) and must then be a host name or an IPv6 literal; otherwise 400.
 *    Without a Host header only the rules without a host apply.
 *  - A path with a dot segment ("/a/../b", "/./") or an encoded dot or
 *    backslash (%2e, %5c) is answered 400: a backend that resolves it would
 *    otherwise serve a path that another rule (an authenticating one) owns.
 *  - Host tiers, tried in order: the exact host, then the one-label wildcard
 *    "*.parent" of the host, then rules without a host. A tier with no
 *    matching path falls through to the next.
 *  - Within a tier: the longest matching path wins; at equal length Exact
 *    before Prefix. Prefix /p matches /p and /p/..., never /px.
 *  - A decision either proxies to a pool or redirects to HTTPS (308, the
 *    normalised host, the HTTPS port unless 443, the path and query kept).
 *  - A decision with source ranges (Decision.access) answers 403, before
 *    anything else it does, to a connection whose source address is in
 *    `deny` or, when `allow` is given, not in it. The TLS redirect of an
 *    Ingress is not restricted (it reveals nothing but the redirect).
 *  - Nothing matches: the frontend's default backend, else 404.
 *  - Gateway API routes add: wildcards that match one or more labels
 *    ('suffix'; the longest wildcard first), and conditions (method, headers,
 *    query parameters) that must all hold; among decisions for the same host
 *    and path, one with a method comes first, then more header matches, then
 *    more query matches, then the route order (oldest route, namespace/name,
 *    rule, match). A decision whose conditions fail lets the next one try.
 *  - A rule that cannot be served as written (all its backends invalid, a
 *    filter vipctl cannot apply) answers 500: it never falls through to
 *    another rule.
 * Decisions are ordered globally (tier, deeper wildcard, longer path, Exact
 * before Prefix, conditions, host, path, route order), so the first one in table
 * order that matches a request wins: that order is NetScaler's priority order.
 */
import type {Cors, Frontend, HeaderRules, LbModel, PathReplace, Provenance, Route, RouteConditions, RoutePolicy} from './types.js'
import {canonicalNetwork, networkContains} from './ip.js'

export type HostTier = 'exact' | 'wildcard' | 'any'

/**
 * pool: proxy to `pool`, or with `split` to one of its pools at random in proportion to the weights.
 * redirect: answer with `code` and a Location built from the request: `scheme`, `host` (undefined: the request's
 * normalised host), `port` (undefined: none written, the scheme's default) and `path` (undefined: the request's;
 * the query is always kept). `https` marks the Ingress TLS redirect (redirectHttps).
 */
export type Action =
  | {kind: 'pool'; pool: string; split?: Array<{pool: string; weight: number; requestHeaders?: HeaderRules}>}
  /**
   * Answered with this status, `reason` saying why: 500 for a rule that cannot be served as written; 404 for the
   * hosts of a Gateway listener that no route of that listener matches (a less specific listener never takes them).
   */
  | {kind: 'status'; code: 404 | 500; reason: string}
  | {kind: 'redirect'; scheme: 'http' | 'https'; host?: string; port?: number; path?: PathReplace; code: 301 | 302 | 303 | 307 | 308; https?: true}

/** What a proxied request gets on its way (in this order): request header rules, rewrite, member timeout; response header rules on the way back. */
export interface Filters {
  requestHeaders?: HeaderRules
  rewrite?: {host?: string; path?: PathReplace}
  timeoutMs?: number
  responseHeaders?: HeaderRules
  /** CORS: preflights answered by the proxy (200 with the headers, 204 without for an origin not allowed). */
  cors?: Cors
}

/** 200/204: a CORS preflight the proxy answers itself. */
export type Outcome = Action | {kind: 'status'; code: 200 | 204 | 400 | 403 | 404}

/** Gateway API precedence among decisions for the same host and path: method first, more headers, more query parameters. */

export interface Decision {
  tier: HostTier
  /** Canonical host: exact name, "*.parent", or '' for any host. */
  host: string
  match: {path: string; pathType: 'Exact' | 'Prefix'}
  /** Request conditions that must all hold besides host and path (Gateway API matches). */
  conditions?: RouteConditions
  /** 'suffix': a '*.' host that matches one or more labels (Gateway API); otherwise exactly one. */
  wildcard?: 'suffix'
  /** Route order, the last tie-break (Gateway API: oldest route, namespace/name, rule and match index). */
  order?: number
  action: Action
  /** Only for a pool action: what happens to the request and response besides choosing the pool. */
  filters?: Filters
  /** Source ranges (canonical networks): a connection from `deny`, or not from a non-empty `allow`, gets 403 first. */
  access?: {allow: string[]; deny: string[]}
  /**
   * For a redirect: the pool its rule names (the redirect never reaches it; a target that can only select a route
   * through its pools, as NetScaler's content switching, uses it).
   */
  pool?: string
  provenance: Provenance
}

export interface RoutingTable {
  /** The frontend's id (`http_<vip>_<port>`, `https_...`). */
  frontend: string
  decisions: Decision[]
  /** When no decision matches. */
  fallback: {kind: 'pool'; pool: string} | {kind: 'status'; code: 404}
}

export interface RoutedRequest {
  /** The Host header as sent (any case, with a port, a trailing dot); undefined when there is none. */
  host?: string
  path: string
  /** The connection's source address; undefined: not known (a restricted decision then says whom it admits). */
  source?: string
  /** Method (default GET), headers as sent (name, value) and the query string without "?", for conditions. */
  method?: string
  headers?: Array<[string, string]>
  query?: string
}

export interface Verdict {
  outcome: Outcome
  /** For a redirect: the Location the client gets. For a rewrite: the host and path the member sees. */
  location?: string
  rewritten?: {host: string; path: string}
  /** The decision that matched (none for 400, the fallback). */
  decision?: Decision
  /** Normalised host, '' when the request had none. */
  host: string
  /** One line: which tier and rule decided, or why nothing did. */
  why: string
  /** CORS response headers the proxy adds (preflight or actual request from an allowed origin), lower-case names. */
  cors?: Array<[string, string]>
}

/**
 * A CORS origin pattern as a regular expression over the Origin header (case-insensitive), written in the characters
 * both JavaScript and HAProxy's single-quoted regexes take: `*` alone is any origin; a host `*` or a leading `*.`
 * stands for one or more labels; a missing port also matches the scheme's default port written out.
 */
export function corsOriginRegex(pattern: string): string {
  if (pattern === '*') return '^.+$'
  const m = /^(https?):\/\/([a-zA-Z0-9.*-]+?)(?::([0-9]{1,5}))?$/.exec(pattern)
  if (!m) throw new Error(`internal: not a CORS origin ${JSON.stringify(pattern)}`)
  const [, scheme, host, port] = m as unknown as [string, string, string, string | undefined]
  const label = '[a-z0-9-]+'
  const h = host === '*' ? `${label}([.]${label})*` : host.startsWith('*.') ? `(${label}[.])+${host.slice(2).toLowerCase().replace(/[.]/g, '[.]')}` : host.toLowerCase().replace(/[.]/g, '[.]')
  // The scheme's default port is the same origin written or not (browsers leave it out).
  const dflt = scheme === 'https' ? '443' : '80'
  const p = port !== undefined && port !== dflt ? `:${port}` : `(:${dflt})?`
  return `^${scheme}://${h}${p}$`
}

/** Whether a request's Origin is one a CORS policy allows (src/targets render the same patterns). */
export function corsAllows(c: Cors, origin: string): boolean {
  return c.allowOrigins.some((o) => new RegExp(corsOriginRegex(o), 'i').test(origin))
}

/**
 * The CORS headers for a request from `origin` that `c` allows: the preflight's (methods, headers, max age) or an
 * actual request's. With credentials, a wildcard is answered with what the request names (the spec).
 */
export function corsResponse(c: Cors, origin: string, preflight: boolean, req: {requestMethod?: string; requestHeaders?: string}): Array<[string, string]> {
  const star = (list: string[], echo: string | undefined) => (list.length === 1 && list[0] === '*' ? (c.allowCredentials ? echo : '*') : list.length ? list.join(', ') : undefined)
  const out: Array<[string, string]> = [['access-control-allow-origin', c.allowOrigins.length === 1 && c.allowOrigins[0] === '*' && !c.allowCredentials ? '*' : origin]]
  if (c.allowCredentials) out.push(['access-control-allow-credentials', 'true'])
  if (preflight) {
    const methods = star(c.allowMethods, req.requestMethod)
    const headers = star(c.allowHeaders, req.requestHeaders)
    if (methods) out.push(['access-control-allow-methods', methods])
    if (headers) out.push(['access-control-allow-headers', headers])
    out.push(['access-control-max-age', String(c.maxAge)])
  }
  const expose = c.exposeHeaders.length === 1 && c.exposeHeaders[0] === '*' ? (c.allowCredentials ? undefined : '*') : c.exposeHeaders.join(', ') || undefined
  if (expose) out.push(['access-control-expose-headers', expose])
  return out
}

const HOST_NAME = /^([a-z0-9_-]+[.])*[a-z0-9_-]+$/
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/

/** The Host header as every target normalises it; undefined when it is not a host (answered 400). */
export function normalizeHost(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return ''
  const h = raw
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(/:[0-9]+$/, '')
    .replace(/[.]$/, '')
  return HOST_NAME.test(h) || IPV6_LITERAL.test(h) ? h : undefined
}

/**
 * The paths every target answers 400, before any rule: a "." or ".." segment, also when it ends in ";" (path
 * parameters), "%2f" (an encoded slash) or "\\"; an encoded dot or backslash anywhere; a raw backslash anywhere.
 * These are the forms a backend may resolve into another rule's path (../admin behind /public).
 */
export function unsafePath(path: string): boolean {
  return /(^|\/)\.\.?(\/|;|$|%2f)/i.test(path) || /%2e|%5c/i.test(path) || path.includes('\\')
}

export function tierOf(host: string): HostTier {
  return host === '' ? 'any' : host.startsWith('*.') ? 'wildcard' : 'exact'
}

const TIER_RANK: Record<HostTier, number> = {exact: 0, wildcard: 1, any: 2}

type Ordered = Pick<Decision, 'host' | 'match'> & Partial<Pick<Decision, 'conditions' | 'order'>>

/** Labels of a wildcard's parent ("*.a.example.com": 3); 0 for other hosts. */
function wildcardDepth(host: string): number {
  return host.startsWith('*.') ? host.split('.').length - 1 : 0
}

/** A stable text of conditions (for keys and the total order); '' for none. */
export function conditionsKey(c: RouteConditions | undefined): string {
  if (!c || (!c.method && c.headers.length === 0 && c.query.length === 0)) return ''
  const pairs = (l: Array<{name: string; value: string}>) => [...l].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : x.value < y.value ? -1 : x.value > y.value ? 1 : 0)).map((x) => [x.name, x.value])
  return JSON.stringify([c.method ?? '', pairs(c.headers), pairs(c.query)])
}

export function hasConditions(d: Pick<Decision, 'conditions'>): boolean {
  return conditionsKey(d.conditions) !== ''
}

/**
 * The global decision order: tier, a deeper wildcard first, longer path first, Exact before Prefix, a method
 * condition first, more header conditions, more query conditions, then host, path, route order and the conditions'
 * text for a total order.
 */
export function compareDecisions(a: Ordered, b: Ordered): number {
  return compareOrderKeys(orderKey(a), orderKey(b))
}

/** What compareDecisions compares, computed once per decision (a table of many routes is sorted with these). */
interface OrderKey {
  tier: number
  depth: number
  host: string
  path: string
  pathType: 'Exact' | 'Prefix'
  method: number
  headers: number
  query: number
  order: number
  conditions: RouteConditions | undefined
  /** conditionsKey(conditions), when a comparison got that far. */
  text?: string
}

function orderKey(a: Ordered): OrderKey {
  return {
    tier: TIER_RANK[tierOf(a.host)],
    depth: wildcardDepth(a.host),
    host: a.host,
    path: a.match.path,
    pathType: a.match.pathType,
    method: a.conditions?.method ? 1 : 0,
    headers: a.conditions?.headers.length ?? 0,
    query: a.conditions?.query.length ?? 0,
    order: a.order ?? 0,
    conditions: a.conditions,
  }
}

function compareOrderKeys(a: OrderKey, b: OrderKey): number {
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)
  return (
    a.tier - b.tier ||
    b.depth - a.depth ||
    b.path.length - a.path.length ||
    (a.pathType === b.pathType ? 0 : a.pathType === 'Exact' ? -1 : 1) ||
    b.method - a.method ||
    b.headers - a.headers ||
    b.query - a.query ||
    cmp(a.host, b.host) ||
    cmp(a.path, b.path) ||
    a.order - b.order ||
    cmp((a.text ??= conditionsKey(a.conditions)), (b.text ??= conditionsKey(b.conditions)))
  )
}

/** Sorts decisions in compareDecisions' order (stable), each decision's key computed once. */
export function sortDecisions<T extends Ordered>(decisions: T[]): T[] {
  return decisions
    .map((d) => ({d, k: orderKey(d)}))
    .sort((x, y) => compareOrderKeys(x.k, y.k))
    .map((x) => x.d)
}

/**
 * Whether a decision's host selects a request host (normalised; '' for none). A '*.' host matches a host one label
 * deeper, or (suffix) any number of labels deeper; a host-less decision matches every request.
 */
export function hostSelects(d: Pick<Decision, 'host' | 'wildcard'>, host: string): boolean {
  if (d.host === '') return true
  if (host === '' || host.startsWith('[')) return false
  if (!d.host.startsWith('*.')) return d.host === host
  const parent = d.host.slice(1)
  if (!host.endsWith(parent) || host.length <= parent.length) return false
  return d.wildcard === 'suffix' || !host.slice(0, host.length - parent.length).includes('.')
}

/**
 * Whether a request meets a decision's conditions (method default GET; some header of the name with exactly the
 * value; the first value of the query parameter, parameters separated by "&" or ";", compared as sent).
 */
export function conditionsHold(c: RouteConditions | undefined, req: Pick<RoutedRequest, 'method' | 'headers' | 'query'>): boolean {
  if (!c) return true
  if (c.method && c.method !== (req.method ?? 'GET')) return false
  const headers = req.headers ?? []
  for (const h of c.headers) if (!headers.some(([n, v]) => n.toLowerCase() === h.name && v === h.value)) return false
  if (c.query.length === 0) return true
  // Separated by "&" or ";" (as HAProxy's url_param reads them).
  const params = (req.query ?? '').split(/[&;]/).map((kv) => (kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : [kv, '']) as [string, string])
  for (const q of c.query) if (params.find(([n]) => n === q.name)?.[1] !== q.value) return false
  return true
}

/** "GET, header x-version: 2, query a=b" */
export function describeConditions(c: RouteConditions | undefined): string {
  if (!c) return ''
  return [c.method ?? '', ...c.headers.map((h) => `header ${h.name}: ${h.value}`), ...c.query.map((q) => `query ${q.name}=${q.value}`)].filter(Boolean).join(', ')
}

/**
 * For a target whose lookup finds the most specific host and path (HAProxy's maps): the decisions that may answer a
 * request for `host` and `path`, in order, regardless of their conditions, ending with the first one without
 * conditions (when there is one). A lookup that hits a key whose first decision has conditions tries these in turn.
 * `host` is a request host, or a representative: "\u0001.x" for "some one label under x", "\u0001.\u0001.x" for
 * "two or more labels under x" (no decision names such a host).
 */
export function chainFor(table: RoutingTable, host: string, path: string): Decision[] {
  const out: Decision[] = []
  for (const d of table.decisions) {
    if (!hostSelects(d, host) || !pathMatches(d.match, path)) continue
    out.push(d)
    if (!hasConditions(d)) break
  }
  return out
}

export function pathMatches(m: Decision['match'], path: string): boolean {
  if (m.pathType === 'Exact') return m.path === path
  return m.path === '/' || path === m.path || path.startsWith(`${m.path}/`)
}

/**
 * Whether some request could match both decisions (hosts only; paths are not
 * compared). A target that must exclude earlier decisions from a later one
 * (NetScaler's responder policies run before content switching) excludes only
 * these, so one tenant's routes never lengthen another host's expressions.
 */
export function hostsOverlap(a: Pick<Decision, 'host'> & {wildcard?: 'suffix'}, b: Pick<Decision, 'host'> & {wildcard?: 'suffix'}): boolean {
  if (a.host === '' || b.host === '') return true
  const parent = (h: string) => (h.startsWith('*.') ? h.slice(2) : h.indexOf('.') > 0 ? h.slice(h.indexOf('.') + 1) : undefined)
  // Suffix wildcards (Gateway API): '*.x' meets every host under x, and a wildcard under it or above it.
  const under = (h: string, x: string) => h.endsWith(`.${x}`)
  if (a.wildcard === 'suffix' && a.host.startsWith('*.') && (under(b.host.startsWith('*.') ? b.host.slice(1) : b.host, a.host.slice(2)) || b.host === a.host)) return true
  if (b.wildcard === 'suffix' && b.host.startsWith('*.') && (under(a.host.startsWith('*.') ? a.host.slice(1) : a.host, b.host.slice(2)) || a.host === b.host)) return true
  if (a.host.startsWith('*.') && b.host.startsWith('*.')) return a.host === b.host
  if (a.host.startsWith('*.')) return parent(b.host) === a.host.slice(2)
  if (b.host.startsWith('*.')) return parent(a.host) === b.host.slice(2)
  return a.host === b.host
}

/** Whether some path could match both (Exact: that path; Prefix: the path and everything below it). */
export function pathsOverlap(a: Decision['match'], b: Decision['match']): boolean {
  if (a.pathType === 'Exact' && b.pathType === 'Exact') return a.path === b.path
  if (a.pathType === 'Exact') return pathMatches(b, a.path)
  if (b.pathType === 'Exact') return pathMatches(a, b.path)
  return pathMatches(a, b.path) || pathMatches(b, a.path)
}

/**
 * For a configuration where the first matching rule wins (NetScaler's policy priorities, HAProxy's use_backend order):
 * the first earlier rule that takes requests this module gives to `m` (hosts and paths overlap, and `m` is more
 * specific: a better host tier, a longer path, Exact before Prefix). undefined when the two orders agree.
 */
export function firstMatchTakes<T extends Pick<Decision, 'host' | 'match'>>(earlier: readonly T[], m: Pick<Decision, 'host' | 'match'>): T | undefined {
  return earlier.find((x) => hostsOverlap(x, m) && pathsOverlap(x.match, m.match) && compareDecisions(m, x) < 0)
}

/** The HTTPS port a redirect on this frontend's VIP sends clients to. */
export function httpsPortFor(f: Frontend, model: Pick<LbModel, 'frontends'>): number {
  return model.frontends.find((x) => x.protocol === 'https' && x.address === f.address)?.port ?? 443
}

function decisionOf(r: Route, f: Frontend, httpsPort: number): Decision {
  // Built field by field in the order the fields are listed (JSON of a decision keeps it), without spreads: one
  // decision per route of every frontend.
  const d = {tier: tierOf(r.host), host: r.host, match: {path: r.path, pathType: r.pathType}} as Decision
  if (r.conditions !== undefined && conditionsKey(r.conditions) !== '') d.conditions = r.conditions
  if (r.wildcard === 'suffix' && r.host.startsWith('*.')) d.wildcard = 'suffix'
  if (r.order !== undefined) d.order = r.order
  if (r.policy?.fail) {
    d.action = {kind: 'status', code: r.policy.fail.code ?? 500, reason: r.policy.fail.reason}
    d.provenance = r.policy.fail.provenance
    return d
  }
  // The Ingress TLS redirect comes first: it keeps host and path and goes to the VIP's HTTPS port.
  if (r.redirectHttps) {
    d.action = httpsPort !== 443 ? {kind: 'redirect', scheme: 'https', port: httpsPort, code: 308, https: true} : {kind: 'redirect', scheme: 'https', code: 308, https: true}
    d.pool = r.pool
    d.provenance = r.provenance
    return d
  }
  const p = r.policy
  if (p?.redirect) {
    d.action = redirectAction(p.redirect, f)
    if (p.access) d.access = {allow: p.access.allow, deny: p.access.deny}
    d.pool = r.pool
    d.provenance = p.redirect.provenance
    return d
  }
  if (p?.access) d.access = {allow: p.access.allow, deny: p.access.deny}
  const split = p?.split?.backends.filter((b) => b.weight > 0)
  // One backend with weight left (the others at 0) takes everything, whichever the rule names.
  // A backend with its own header modifiers stays a split (of one) so that they go with it.
  const pool = split?.length === 1 ? split[0]!.pool : r.pool
  d.action = split && (split.length > 1 || split[0]?.requestHeaders) ? {kind: 'pool', pool, split} : {kind: 'pool', pool}
  const filters = filtersOf(p)
  if (filters) d.filters = filters
  d.provenance = r.provenance
  return d
}

function filtersOf(p: RoutePolicy | undefined): Filters | undefined {
  if (!p) return undefined
  const strip = (h: HeaderRules | undefined) => (h && h.set.length + h.add.length + h.remove.length > 0 ? {set: h.set, add: h.add, remove: h.remove} : undefined)
  const req = strip(p.requestHeaders)
  const res = strip(p.responseHeaders)
  const rewrite = p.rewrite && (p.rewrite.host || p.rewrite.path) ? {...(p.rewrite.host ? {host: p.rewrite.host} : {}), ...(p.rewrite.path ? {path: p.rewrite.path} : {})} : undefined
  const cors = p.cors ? {allowOrigins: p.cors.allowOrigins, allowCredentials: p.cors.allowCredentials, allowMethods: p.cors.allowMethods, allowHeaders: p.cors.allowHeaders, exposeHeaders: p.cors.exposeHeaders, maxAge: p.cors.maxAge} : undefined
  const f: Filters = {...(req ? {requestHeaders: req} : {}), ...(rewrite ? {rewrite} : {}), ...(p.timeoutMs ? {timeoutMs: p.timeoutMs.value} : {}), ...(res ? {responseHeaders: res} : {}), ...(cors ? {cors} : {})}
  return Object.keys(f).length > 0 ? f : undefined
}

/**
 * A redirect as Gateway API's RequestRedirect defines it: the scheme is the listener's unless given; the port is
 * the given one, else the scheme's default when the scheme changes, else the listener's; a port that is the
 * scheme's default is not written.
 */
function redirectAction(r: NonNullable<RoutePolicy['redirect']>, f: Frontend): Action {
  const listenerScheme = f.protocol === 'https' ? 'https' : 'http'
  const scheme = r.scheme ?? listenerScheme
  const port = r.port ?? (r.scheme !== undefined && r.scheme !== listenerScheme ? undefined : f.port)
  const defaultPort = scheme === 'https' ? 443 : 80
  return {kind: 'redirect', scheme, ...(r.host ? {host: r.host} : {}), ...(port !== undefined && port !== defaultPort ? {port} : {}), ...(r.path ? {path: r.path} : {}), code: r.code}
}

/** A path after a replacement: full, or the matched Prefix `prefix` replaced (Kubernetes path-element semantics). */
export function replacePath(path: string, replace: PathReplace, prefix: string): string {
  if (replace.kind === 'full') return replace.value
  if (prefix === '/') return replace.value === '/' ? path : `${replace.value}${path}`
  const rest = path.slice(prefix.length)
  if (replace.value === '/') return rest === '' ? '/' : rest
  return `${replace.value}${rest}`
}

/** The Location a redirect decision sends for a request (host normalised, query kept). */
export function locationFor(d: Decision, host: string, path: string, query = ''): string | undefined {
  if (d.action.kind !== 'redirect') return undefined
  const a = d.action
  const p = a.path ? replacePath(path, a.path, d.match.pathType === 'Prefix' ? d.match.path : path) : path
  return `${a.scheme}://${a.host ?? host}${a.port !== undefined ? `:${a.port}` : ''}${p}${query}`
}

/** The ordered decision table of an HTTP(S) frontend. Pure: the same frontend gives the same table. */
export function routingTable(f: Frontend, model: Pick<LbModel, 'frontends'>): RoutingTable {
  const port = httpsPortFor(f, model)
  return {
    frontend: f.id,
    decisions: sortDecisions(f.routes.map((r) => decisionOf(r, f, port))),
    fallback: f.defaultPool ? {kind: 'pool', pool: f.defaultPool} : {kind: 'status', code: 404},
  }
}

/** Where one request goes, and why. */
export function decide(table: RoutingTable, req: RoutedRequest): Verdict {
  const host = normalizeHost(req.host)
  if (host === undefined) return {outcome: {kind: 'status', code: 400}, host: req.host ?? '', why: 'the Host header is not a host name (400)'}
  if (unsafePath(req.path)) return {outcome: {kind: 'status', code: 400}, host, why: 'the path has a dot segment, or an encoded dot, slash after a dot segment, or backslash (400)'}
  // Table order is precedence order: the first decision whose host, path and conditions all hold wins.
  const selecting = table.decisions.filter((x) => hostSelects(x, host) && pathMatches(x.match, req.path))
  const missed = (x: Decision) => `${x.match.pathType} ${x.match.path} when ${describeConditions(x.conditions)}`
  for (const [i, d] of selecting.entries()) {
    if (!conditionsHold(d.conditions, req)) continue
    {
      const tier = d.tier
      const h = d.host
      const others = selecting.slice(i + 1).filter((x) => x.tier === tier && x.host === h)
      const beats = others.length > 0 ? `; beats ${others.map((x) => `${x.match.pathType} ${x.match.path}${hasConditions(x) ? ` (${describeConditions(x.conditions)})` : ''}`).join(', ')}` : ''
      const unmet = selecting.slice(0, i)
      const after = unmet.length > 0 ? `; conditions not met: ${unmet.map(missed).join('; ')}` : ''
      const cond = hasConditions(d) ? ` when ${describeConditions(d.conditions)}` : ''
      const why = `${tier === 'any' ? 'rule without host' : `${tier} host ${h}`}, ${d.match.pathType} ${d.match.path}${cond}${beats}${after}`
      if (d.action.kind === 'status') return {outcome: d.action, decision: d, host, why: `${why}; ${d.action.reason} (${d.action.code})`}
      const admitted = d.access ? admits(d.access, req.source) : true
      if (admitted === false) return {outcome: {kind: 'status', code: 403}, decision: d, host, why: `${why}; source ${req.source} is not admitted (${describeAccess(d.access!)}): 403`}
      const only = admitted === undefined ? `; only for sources ${describeAccess(d.access!)} (others get 403)` : ''
      const location = locationFor(d, host, req.path, req.query !== undefined && req.query !== '' ? `?${req.query}` : '')
      const rw = d.filters?.rewrite
      const rewritten = rw ? {host: rw.host ?? host, path: rw.path ? replacePath(req.path, rw.path, d.match.pathType === 'Prefix' ? d.match.path : req.path) : req.path} : undefined
      const split = d.action.kind === 'pool' && d.action.split ? `; split ${describeSplit(d.action.split)}` : ''
      // CORS: a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered by the proxy.
      const cors = d.filters?.cors
      if (cors) {
        const header = (n: string) => req.headers?.find(([k]) => k.toLowerCase() === n)?.[1]
        // One Origin header only: with several, none is allowed (the one checked is the one echoed, never another).
        const origins = (req.headers ?? []).filter(([k]) => k.toLowerCase() === 'origin').map(([, v]) => v)
        const origin = origins.length === 1 ? origins[0] : undefined
        const preflight = (req.method ?? 'GET') === 'OPTIONS' && origins.length > 0 && header('access-control-request-method') !== undefined
        const allowed = origin !== undefined && corsAllows(cors, origin)
        const headers = allowed ? corsResponse(cors, origin, preflight, {requestMethod: header('access-control-request-method'), requestHeaders: header('access-control-request-headers')}) : undefined
        if (preflight) return {outcome: {kind: 'status', code: allowed ? 200 : 204}, decision: d, host, why: `${why}; a CORS preflight, answered by the proxy ${allowed ? `for the allowed origin ${origin}` : `without CORS headers (${origin === undefined ? 'several Origin headers' : `origin ${origin} not allowed`})`}`, ...(headers ? {cors: headers} : {})}
        if (headers) return {outcome: d.action, decision: d, host, why: `${why}${split}${only}; CORS headers for origin ${origin}`, cors: headers, ...(location ? {location} : {}), ...(rewritten ? {rewritten} : {})}
      }
      return {outcome: d.action, decision: d, host, why: `${why}${split}${only}`, ...(location ? {location} : {}), ...(rewritten ? {rewritten} : {})}
    }
  }
  const unmet = selecting.length > 0 ? ` (conditions not met: ${selecting.map(missed).join('; ')})` : ''
  return table.fallback.kind === 'pool'
    ? {outcome: table.fallback, host, why: `no rule matches${unmet}: the default backend`}
    : {outcome: table.fallback, host, why: `no rule matches${unmet} and there is no default backend (404)`}
}

/** Whether a source address may reach a decision with source ranges: true, false, or undefined when it is not known. */
export function admits(access: {allow: string[]; deny: string[]}, source: string | undefined): boolean | undefined {
  if (source === undefined) return undefined
  const inAny = (list: string[]) => list.some((n) => networkContains(canonicalNetwork(n)!, source))
  if (inAny(access.deny)) return false
  return access.allow.length === 0 || inAny(access.allow)
}

/** "from 10.0.0.0/8, not from 10.1.0.0/16" */
export function describeAccess(access: {allow: string[]; deny: string[]}): string {
  return [access.allow.length ? `from ${access.allow.join(', ')}` : '', access.deny.length ? `not from ${access.deny.join(', ')}` : ''].filter(Boolean).join('; ')
}

/**
 * The listener of an HTTPS frontend a name belongs to: the one whose hostname is the name, else the wildcard one
 * with the longest suffix of it (a wildcard stands for one or more labels), else the one without a hostname;
 * undefined when none takes it.
 */
export function listenerOf(listeners: Array<{key: string; hostname?: string}>, name: string): string | undefined {
  // (A trailing dot is kept: an SNI never carries one (RFC 6066), and the Host is normalised before it comes here.)
  const n = name.toLowerCase()
  const exact = listeners.find((l) => l.hostname === n)
  if (exact) return exact.key
  const wild = listeners.filter((l) => l.hostname?.startsWith('*.') && n.endsWith(l.hostname.slice(1)) && n.length > l.hostname.length - 1)
  if (wild.length) return wild.sort((a, b) => b.hostname!.length - a.hostname!.length)[0]!.key
  return listeners.find((l) => l.hostname === undefined)?.key
}

/**
 * Whether a request on an HTTPS frontend of Gateway listeners is misdirected (answered 421): the listener the
 * TLS SNI selected is not the one its Host belongs to (a name no listener takes belongs to none). Requests without
 * SNI are never misdirected.
 */
export function misdirected(f: Frontend, sni: string | undefined, host: string): boolean {
  if (f.protocol !== 'https' || !f.tlsListeners?.length || sni === undefined || sni === '' || host === '') return false
  if (!detectsMisdirected(f)) return false
  return listenerOf(f.tlsListeners, sni) !== listenerOf(f.tlsListeners, host)
}

/**
 * Misdirected requests are detected on an HTTPS frontend of a Gateway's listeners (whatever else is served there:
 * a host no listener takes belongs to none, on either side).
 */
export function detectsMisdirected(f: Frontend): boolean {
  return f.protocol === 'https' && (f.tlsListeners?.length ?? 0) > 0
}

/** "90% a, 10% b": each pool's share of new requests, rounded to 0.1%. */
export function describeSplit(split: Array<{pool: string; weight: number; requestHeaders?: HeaderRules}>): string {
  const total = split.reduce((n, b) => n + b.weight, 0)
  const headers = (h: HeaderRules) => [...h.set.map((x) => `set ${x.name}`), ...h.add.map((x) => `add ${x.name}`), ...h.remove.map((n) => `remove ${n}`)].join(', ')
  return split.map((b) => `${Math.round((1000 * b.weight) / total) / 10}% ${b.pool}${b.requestHeaders ? ` (its request headers: ${headers(b.requestHeaders)})` : ''}`).join(', ')
}

/**
 * TLS passthrough (a 'tls' frontend): the route a ClientHello's SNI name selects: the exact name, else the longest
 * wildcard ('*.x' matches one or more labels under x); undefined (the connection is closed) when none does, when
 * the name is held by a route without a backend or fenced for a more specific listener, or there is no SNI. Names
 * compare in lower case.
 */
export function decideSni(f: Pick<Frontend, 'routes'>, sni: string | undefined): Route | undefined {
  if (!sni) return undefined
  const name = sni.replace(/[A-Z]/g, (c) => c.toLowerCase())
  const hit =
    f.routes.find((r) => r.host === name) ??
    f.routes.filter((r) => r.host.startsWith('*.') && name.endsWith(r.host.slice(1)) && name.length > r.host.length - 1).sort((a, b) => b.host.length - a.host.length)[0]
  // A name held without a backend (or fenced for a more specific listener) closes the connection: nothing looser answers.
  return hit?.policy?.fail ? undefined : hit
}

/**
 * Where requests for `host` go when their path matches none of that host's own
 * rules: the first catch-all (Prefix /) in the host's wildcard or host-less
 * tier, else the fallback. Used by the coverage analyzer (VIP4014).
 */
export function uncoveredPathsGo(table: RoutingTable, host: string): Verdict {
  // A path no rule can list: it only matches a Prefix "/" catch-all.
  return decide(table, {host, path: '/\u0000'})
}
