/**
 * `vipctl migrate netscaler`: an on-prem ns.conf -> Kubernetes objects.
 *   lb vservers (with their serviceGroups, services and servers) -> Services,
 *     selectorless with EndpointSlices of the members, or with a Pod selector given;
 *   cs vservers with host/path policies -> Ingresses (class vipctl, VIP annotation);
 *   the default lb vserver -> defaultBackend; SSL certKeys -> TLS Secrets (from --cert-dir);
 *   a responder redirect to https -> vipctl.io/ssl-redirect; addressable TCP lb vservers
 *     -> Services of type LoadBalancer.
 * Everything it cannot carry over, or carries over approximately, is reported
 * with its ns.conf line; nothing is dropped silently.
 */
import {ipFamily} from '../core/address.js'
import {X509Certificate} from 'node:crypto'
import {canonicalIp, ipv4ToInt} from '../model/ip.js'
import type {Diagnostic} from '../cluster/types.js'
import type {NsCommand} from './nsconf.js'
import {certCovers} from '../model/grammar.js'
import {firstMatchTakes} from '../model/routing.js'
import {severityOf} from '../core/catalog.js'
import {INVALID_PATH_RULE, forwardingEntities, toCli} from '../targets/netscaler/generate.js'
import {Ledger, type LedgerLine, type Tokens} from './ledger.js'
import {memberAddress, memberWeights, port as isPort, ruleHost, rulePath, vipAddress} from './accept.js'
import {ANNOTATIONS} from '../model/annotations.js'
import {redactText} from './redact.js'
import {appendAll} from '../core/arrays.js'

export interface MigrateOptions {
  /** Namespace for everything (default: the one in -comment provenance, else "default"). */
  namespace?: string
  /** lbvserver, serviceGroup or Service name -> Pod selector (k=v pairs). */
  selectors: Map<string, Record<string, string>>
  /** Reads a certificate or key file named in ns.conf; undefined when absent. */
  readCert?: (file: string) => string | undefined
  file: string
}

export type K8s = {apiVersion: string; kind: string; metadata: {name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>}} & Record<string, unknown>

export interface MigrateResult {
  objects: K8s[]
  /** TLS Secrets built from --cert-dir: written to files only, never printed. */
  secrets: K8s[]
  report: Diagnostic[]
}

/** A member; `lines` are the input lines it comes from (its bind, its server). */
interface Member {ip: string; port: number; line: number; lines: number[]; server?: string; ready?: boolean; weight?: number}
interface Group {name: string; type: string; line: number; members: Member[]; monitors: Array<{name: string; line: number}>; comment?: string; svrTimeout?: number; maxClient?: number}
interface Lbv {name: string; type: string; ip: string; port: number; line: number; lbMethod?: string; persistence?: string; bound: Array<{name: string; line: number}>; comment?: string; opts: Record<string, string>}
interface Csv {name: string; type: string; ip: string; port: number; line: number; policies: Array<{name: string; priority: number; line: number; target?: string}>; defaultLbv?: {name: string; line: number}; certkeys: Array<{name: string; line: number}>; sslLines: number[]; opts: Record<string, string>}

/**
 * Options `save config` writes with NetScaler's default value, where that default is also how vipctl behaves
 * (no limit, no client-IP rewrite, no compression, no connection multiplexing changes, one listen policy for all):
 * entity -> option (lower case) -> the default (upper case). An option with any other value is reported.
 */
const NS_DEFAULTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  servicegroup: {maxclient: '0', maxreq: '0', cip: 'DISABLED', usip: 'NO', useproxyport: 'YES', sp: 'OFF', cka: 'NO', tcpb: 'NO', cmp: 'NO', clttimeout: '180', state: 'ENABLED', healthmonitor: 'YES', downstateflush: 'ENABLED', appflowlog: 'ENABLED', monthreshold: '0', autoscale: 'DISABLED'},
  service: {maxclient: '0', maxreq: '0', cip: 'DISABLED', usip: 'NO', useproxyport: 'YES', sp: 'OFF', cka: 'NO', tcpb: 'NO', cmp: 'NO', clttimeout: '180', state: 'ENABLED', healthmonitor: 'YES', downstateflush: 'ENABLED', appflowlog: 'ENABLED'},
  'lb vserver': {listenpolicy: 'NONE', state: 'ENABLED', appflowlog: 'ENABLED', downstateflush: 'ENABLED', healththreshold: '0', redirectportrewrite: 'DISABLED', icmpvsrresponse: 'PASSIVE', rhistate: 'PASSIVE', persistencetype: 'NONE'},
  'cs vserver': {listenpolicy: 'NONE', state: 'ENABLED', casesensitive: 'ON', precedence: 'RULE', appflowlog: 'ENABLED', downstateflush: 'ENABLED', stateupdate: 'DISABLED', redirectportrewrite: 'DISABLED', icmpvsrresponse: 'PASSIVE', rhistate: 'PASSIVE', clttimeout: '180'},
  'lb monitor': {lrtm: 'DISABLED', state: 'ENABLED', reverse: 'NO', transparent: 'NO', secure: 'NO'},
}

const LB_METHODS: Record<string, string> = {ROUNDROBIN: 'roundrobin', LEASTCONNECTION: 'leastconn', SOURCEIPHASH: 'source'}

/** A DNS-1035 label from any NetScaler name. */
export function k8sName(n: string, taken: Set<string>, lead = 'x'): string {
  let s = n.toLowerCase().replace(/^k8s-/, '').replace(/_(lbv|sgp|csp)_[a-z2-7]{32}$/, '').replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '')
  if (s === '') s = 'migrated'
  if (!/^[a-z]/.test(s)) s = `${lead}-${s}`
  s = s.slice(0, 55).replace(/-$/, '')
  let out = s
  for (let i = 2; taken.has(out); i++) out = `${s}-${i}`
  taken.add(out)
  return out
}

/** What a content-switching rule matches, when vipctl can say it exactly or approximately. */
export interface RuleMatch {
  host: string
  path: string
  pathType: 'Exact' | 'Prefix'
  /** Why the Kubernetes form matches a little more or less than the NetScaler rule. */
  approximate?: string
}

const HOST = String.raw`HTTP\.REQ\.HOSTNAME(?:\.SERVER)?(?:\.SET_TEXT_MODE\(IGNORECASE\))?`
const URLP = String.raw`HTTP\.REQ\.URL(?:\.PATH)?(?:\.SET_TEXT_MODE\(IGNORECASE\))?`
const STR = String.raw`"((?:[^"\\]|\\.)*)"`

/** Splits on a top-level operator (outside parentheses and quotes). */
function splitTop(expr: string, op: '&&' | '||'): string[] {
  const out: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]
    if (c === '\\' && quoted) {
      i++
      continue
    }
    if (c === '"') quoted = !quoted
    else if (!quoted && c === '(') depth++
    else if (!quoted && c === ')') depth--
    else if (!quoted && depth === 0 && expr.startsWith(op, i)) {
      out.push(expr.slice(start, i).trim())
      start = i + op.length
      i += op.length - 1
    }
  }
  out.push(expr.slice(start).trim())
  return out
}

/** Strips parentheses that wrap the whole expression (quote-aware). */
function unparen(s: string): string {
  let t = s.trim()
  for (;;) {
    if (!t.startsWith('(') || !t.endsWith(')')) return t
    let depth = 0
    let quoted = false
    let closesAt = -1
    for (let i = 0; i < t.length; i++) {
      const c = t[i]
      if (quoted && c === '\\') {
        i++
        continue
      }
      if (c === '"') quoted = !quoted
      else if (!quoted && c === '(') depth++
      else if (!quoted && c === ')' && --depth === 0) {
        closesAt = i
        break
      }
    }
    if (closesAt !== t.length - 1) return t
    t = t.slice(1, -1).trim()
  }
}

/** Parses the rule forms NetScaler admins (and NetScaler's controller) write for host and path routing. */
export function parseRule(rule: string): RuleMatch | {unsupported: string} {
  let host = ''
  let path: {path: string; pathType: 'Exact' | 'Prefix'} | undefined
  let approximate: string | undefined
  const dq = (s: string) => s.replace(/\\(.)/g, '$1')
  const notes: string[] = []
  for (const raw of splitTop(unparen(rule), '&&')) {
    const term = unparen(raw)
    if (term === 'true') continue
    // Kubernetes paths are case-sensitive and never include the query string: say where the rule differs.
    if (/^HTTP\.REQ\.URL(\.PATH)?\.SET_TEXT_MODE\(IGNORECASE\)/i.test(term)) notes.push('the path was matched case-insensitively; a Kubernetes path matches case-sensitively')
    if (/^HTTP\.REQ\.URL(\.SET_TEXT_MODE\(IGNORECASE\))?\.EQ\(/i.test(term)) notes.push('URL.EQ compared the query string too (a request with a query did not match); the Exact path matches whatever the query')
    let m: RegExpExecArray | null
    if ((m = new RegExp(`^${HOST}\\.EQ\\(${STR}\\)$`, 'i').exec(term))) host = dq(m[1]!).toLowerCase()
    else if ((m = new RegExp(`^${HOST}\\.AFTER_STR\\("\\."\\)\\.EQ\\(${STR}\\)$`, 'i').exec(term))) host = `*.${dq(m[1]!).toLowerCase()}`
    else if ((m = new RegExp(`^${HOST}\\.ENDSWITH\\(${STR}\\)$`, 'i').exec(term)) && dq(m[1]!).startsWith('.')) {
      host = `*${dq(m[1]!).toLowerCase()}`
      approximate = 'ENDSWITH matches deeper subdomains too; a Kubernetes wildcard matches exactly one label'
    } else if ((m = new RegExp(`^${URLP}\\.EQ\\(${STR}\\)$`, 'i').exec(term))) path = {path: dq(m[1]!), pathType: 'Exact'}
    else if ((m = new RegExp(`^${URLP}\\.STARTSWITH\\(${STR}\\)$`, 'i').exec(term))) {
      const p = dq(m[1]!)
      if (p === '/') path = {path: '/', pathType: 'Prefix'}
      else if (p.endsWith('/')) {
        path = {path: p.replace(/\/+$/, ''), pathType: 'Prefix'}
        approximate = `STARTSWITH("${p}") does not match ${p.replace(/\/+$/, '')} itself; the Kubernetes Prefix does`
      } else {
        path = {path: p, pathType: 'Prefix'}
        approximate = `STARTSWITH("${p}") also matches ${p}x...; a Kubernetes Prefix matches whole path elements`
      }
    } else {
      // (PATH.EQ("/p") || PATH.STARTSWITH("/p/")): exactly a Kubernetes Prefix /p.
      const alts = splitTop(term, '||').map(unparen)
      const eq = alts.length === 2 ? new RegExp(`^${URLP}\\.EQ\\(${STR}\\)$`, 'i').exec(alts[0]!) : null
      const sw = alts.length === 2 ? new RegExp(`^${URLP}\\.STARTSWITH\\(${STR}\\)$`, 'i').exec(alts[1]!) : null
      if (eq && sw && `${dq(eq[1]!)}/` === dq(sw[1]!)) path = {path: dq(eq[1]!), pathType: 'Prefix'}
      else return {unsupported: `expression ${JSON.stringify(term.length > 80 ? `${term.slice(0, 77)}...` : term)} has no Ingress equivalent (host EQ/AFTER_STR, path EQ/STARTSWITH are supported)`}
    }
  }
  // Only hosts and paths vipctl routes (the model's grammar) are written; anything else is reported.
  const h = host === '' ? '' : ruleHost(host)
  if (h === undefined) return {unsupported: `host ${JSON.stringify(host)} is not a host name an Ingress rule can have`}
  if (path && !rulePath(path.path)) return {unsupported: `path ${JSON.stringify(path.path)} is not one vipctl routes (a path of A-Za-z0-9._~-/ without "." or ".." segments)`}
  if (notes.length) approximate = [approximate, ...notes].filter(Boolean).join('; ')
  return {host: h, path: path?.path ?? '/', pathType: path?.pathType ?? 'Prefix', ...(approximate ? {approximate} : {})}
}

/**
 * An expression over the client's address: `CLIENT.IP.SRC.IN_SUBNET(NET)` / `CLIENT.IPV6.SRC.IN_SUBNET(NET)` /
 * `CLIENT.IP.SRC.EQ(ADDR)` terms joined by `||`, optionally negated as a whole (`!(...)`). The networks canonical;
 * undefined for anything else.
 */
export function subnetExpr(expr: string): {negated: boolean; nets: string[]} | undefined {
  let e = unparen(expr.replace(/\\"/g, '"'))
  let negated = false
  if (e.startsWith('!')) {
    negated = true
    e = unparen(e.slice(1))
  } else if (/\.NOT$/i.test(e)) {
    negated = true
    e = unparen(e.slice(0, -4))
  }
  const nets: string[] = []
  for (const term of splitTop(e, '||').map(unparen)) {
    const m = /^CLIENT\.IP(?:V6)?\.SRC\.(?:IN_SUBNET|EQ)\(([0-9A-Fa-f:./]+)\)$/i.exec(term)
    if (!m) return undefined
    nets.push(m[1]!)
  }
  const parsed = ANNOTATIONS.allowSourceRanges.parse(nets.join(','))
  return parsed ? {negated, nets: parsed} : undefined
}

export function migrateNetscaler(input: NsCommand[], opts: MigrateOptions): MigrateResult & {ledger: LedgerLine[]} {
  // The ledger (every word of every command accounted for): a command's words are claimed as they are read (each
  // argument and option through the proxies below), so an option nothing reads is never called carried over.
  const L = new Ledger(opts.file, new Map(input.map((c) => [c.line, {text: joinWords(c.tokens), words: c.tokens}])))
  const reads = new Map<number, Set<number>>()
  const track = (c: NsCommand): NsCommand => {
    const r = new Set<number>()
    reads.set(c.line, r)
    const args = new Proxy(c.args, {
      get(t, k, recv) {
        if (typeof k === 'string' && /^[0-9]+$/.test(k) && c.at.args[Number(k)] !== undefined) r.add(c.at.args[Number(k)]!)
        return Reflect.get(t, k, recv) as unknown
      },
    })
    const o = new Proxy(c.opts, {
      get(t, k, recv) {
        if (typeof k === 'string') for (const i of c.at.opts[k] ?? []) r.add(i)
        return Reflect.get(t, k, recv) as unknown
      },
    })
    return {...c, args, opts: o}
  }
  const cmds = input.map(track)
  /** Lines whose content reached an object (or was recognised as what vipctl always does). */
  const carried = new Set<number>()
  const reported = new Set<number>()
  const say = (code: 'VIP5001' | 'VIP5002' | 'VIP5003', line: number, object: string, message: string, tokens: Tokens = 'all') => {
    reported.add(line)
    if (code === 'VIP5001') L.lost(line, object, message, tokens)
    else if (code === 'VIP5002') L.approximate(line, object, message, tokens)
    else L.manual(line, object, message, tokens)
  }
  /** The tokens of option o on command c (flag and value). */
  const optTokens = (c: NsCommand, o: string) => c.at.opts[o] ?? []
  /** Options of c that what it became accounts for as they are (the ledger counts an option as carried once read). */
  const uses = (c: NsCommand, ...names: string[]) => {
    for (const n of names) void c.opts[n]
  }
  /** The input's file name as provenance (its directory is the user's business, not the objects'). */
  const src = opts.file.replace(/^.*\//, '')

  const servers = new Map<string, {ip: string; line: number; disabled?: boolean}>()
  const services = new Map<string, {ip: string; port: number; type: string; line: number; opts: Record<string, string>; server?: string; serverLine?: number; disabled?: boolean; monitors: Array<{name: string; line: number}>}>()
  const groups = new Map<string, Group>()
  const monitors = new Map<string, NsCommand>()
  const lbvs = new Map<string, Lbv>()
  const csvs = new Map<string, Csv>()
  const actions = new Map<string, {target: string; line: number}>()
  const policies = new Map<string, {rule: string; action?: string; line: number}>()
  const certkeys = new Map<string, {cert: string; key: string; line: number}>()
  const respActions = new Map<string, {type: string; target: string; line: number; opts: Record<string, string>}>()
  const respPolicies = new Map<string, {rule: string; action: string; line: number}>()
  const respBindings: Array<{csv: string; policy: string; line: number}> = []
  const globalResponders: Array<{policy: string; line: number}> = []
  const lbvResponders: Array<{lbv: string; policy: string; line: number}> = []
  const rewritePolicies = new Set<string>()
  /** Rewrite actions and policies that put the client's address in a forwarding header (vipctl always does). */
  const fwdActions = new Map<string, number>()
  const fwdRewrites = new Map<string, [number, number]>()
  const ipOf = (s: string) => (ipFamily(s) ? s : servers.get(s)?.ip)
  const serverLine = (s: string) => (ipFamily(s) ? [] : servers.has(s) ? [servers.get(s)!.line] : [])
  const handledLines = new Set<number>()
  /** Disabled: vservers (`lb:NAME`, `cs:NAME`, from -state DISABLED or `disable ...`), serviceGroups, members (`sg ip port`), servers. */
  const disabled = new Map<string, number>()
  const acls: Array<{name: string; line: number; dest?: string; port?: string}> = []
  /** `set cs|lb vserver NAME -Listenpolicy EXPR` (after the add). */
  const setListen = new Map<string, {expr: string; line: number}>()

  // vipctl's own forwarding-header rules (its output binds them on every HTTP vserver): recognised line for line
  // and carried over as what vipctl always does; anything else about rewriting is reported.
  const fwdPrefix = cmds.map((c) => /^([a-z0-9][a-z0-9-]{0,15})-fwd_/.exec(c.args[0] ?? '')?.[1]).find(Boolean)
  const fwdLines = new Set(fwdPrefix ? (['http', 'https'] as const).flatMap((s) => ([4, 6] as const).flatMap((f) => forwardingEntities(fwdPrefix, s, f).map(toCli))) : [])
  const fwdPolicies = new Set(fwdPrefix ? (['http', 'https'] as const).flatMap((s) => ([4, 6] as const).flatMap((f) => forwardingEntities(fwdPrefix, s, f).filter((e) => e.type === 'rewritepolicy').map((e) => (e as {name: string}).name))) : [])
  for (const c of cmds) {
    const key = `${c.verb} ${c.entity}`
    const name = c.args[0] ?? ''
    if (fwdLines.has(c.text) || (key === 'bind cs vserver' && c.opts.policyname && fwdPolicies.has(c.opts.policyname) && (c.opts.type ?? '').toUpperCase() === 'REQUEST')) {
      L.exact(c.line, "vipctl's forwarding headers (it always sets them)")
      carried.add(c.line)
      continue
    }
    const handled = ((): boolean => {
      switch (key) {
        case 'add server':
          // -state DISABLED: every member on this server is out of service (a not-ready endpoint).
          if (c.args[1] && ipFamily(c.args[1])) return servers.set(name, {ip: c.args[1], line: c.line, disabled: (c.opts.state ?? 'ENABLED').toUpperCase() === 'DISABLED'}), true
          return false
        case 'add service': {
          const ip = ipOf(c.args[1] ?? '')
          const port = Number(c.args[3])
          if (!ip || !memberAddress(ip) || !/^[0-9]{1,5}$/.test(c.args[3] ?? '') || port < 1 || port > 65535) return false
          services.set(name, {ip, port, type: (c.args[2] ?? '').toUpperCase(), line: c.line, opts: c.opts, ...(ipFamily(c.args[1]!) ? {} : {server: c.args[1]!}), ...(serverLine(c.args[1]!).length ? {serverLine: serverLine(c.args[1]!)[0]} : {}), disabled: (c.opts.state ?? 'ENABLED').toUpperCase() === 'DISABLED' || Boolean(servers.get(c.args[1]!)?.disabled), monitors: []})
          return true
        }
        case 'add servicegroup':
          if ((c.opts.state ?? 'ENABLED').toUpperCase() === 'DISABLED') disabled.set(`sg:${name}`, c.line)
          groups.set(name, {
            name,
            type: (c.args[1] ?? '').toUpperCase(),
            line: c.line,
            members: [],
            monitors: [],
            ...(c.opts.comment ? {comment: c.opts.comment} : {}),
            ...(/^[0-9]{1,5}$/.test(c.opts.svrtimeout ?? '') ? {svrTimeout: Number(c.opts.svrtimeout)} : {}),
            ...(/^[0-9]{1,7}$/.test(c.opts.maxclient ?? '') && Number(c.opts.maxclient) > 0 ? {maxClient: Number(c.opts.maxclient)} : {}),
          })
          // -cip ENABLED <header>: the client's address in a header; vipctl always sets X-Forwarded-For.
          if ((c.opts.cip ?? '').toUpperCase() === 'ENABLED') {
            const header = c.args[2]
            if (header !== undefined && header.toLowerCase() === 'x-forwarded-for') void c.args[2]
            else say('VIP5002', c.line, `serviceGroup ${name}`, `-cip ENABLED ${header ?? ''}: the client's address goes in X-Forwarded-For (vipctl always sets it)${header ? `, not in ${header}` : ''}`, [...optTokens(c, 'cip'), ...(header !== undefined ? [c.at.args[2]!] : [])])
          }
          if (c.opts.svrtimeout !== undefined && !/^[0-9]{1,5}$/.test(c.opts.svrtimeout)) say('VIP5001', c.line, `serviceGroup ${name}`, `-svrTimeout ${c.opts.svrtimeout} is not a number of seconds`, optTokens(c, 'svrtimeout'))
          return true
        case 'bind servicegroup': {
          const g = groups.get(name)
          if (!g) return false
          if (c.opts.monitorname !== undefined) return g.monitors.push({name: c.opts.monitorname, line: c.line}), true
          const ip = ipOf(c.args[1] ?? '')
          const port = Number(c.args[2])
          if (!ip || !/^\d+$/.test(c.args[2] ?? '') || port < 1 || port > 65535) return false
          if (!memberAddress(ip)) {
            say('VIP5001', c.line, `serviceGroup ${name}`, `member ${c.args[1]}: ${ip} is not an address an endpoint can have (unicast): not carried over`)
            return true
          }
          const weight = /^[0-9]{1,3}$/.test(c.opts.weight ?? '') && Number(c.opts.weight) >= 1 ? Number(c.opts.weight) : undefined
          if (c.opts.weight !== undefined && weight === undefined) say('VIP5001', c.line, `serviceGroup ${name}`, `member ${c.args[1]} ${c.args[2]}: -weight ${c.opts.weight} is not a weight 1-100: not carried over`, optTokens(c, 'weight'))
          // -state DISABLED: a member taken out of service: carried over as a not-ready endpoint.
          g.members.push({ip, port, line: c.line, lines: [c.line, ...serverLine(c.args[1]!)], ...(ipFamily(c.args[1]!) ? {} : {server: c.args[1]!}), ready: (c.opts.state ?? 'ENABLED').toUpperCase() !== 'DISABLED' && !servers.get(c.args[1]!)?.disabled, ...(weight !== undefined ? {weight} : {})})
          return true
        }
        case 'bind service': {
          const s = services.get(name)
          if (!s || c.opts.monitorname === undefined) return false
          s.monitors.push({name: c.opts.monitorname, line: c.line})
          return true
        }
        case 'add lb monitor':
          monitors.set(name, c)
          return true
        case 'add lb vserver': {
          const v: Lbv = {name, type: (c.args[1] ?? '').toUpperCase(), ip: c.args[2] ?? '0.0.0.0', port: Number(c.args[3] ?? 0), line: c.line, bound: [], opts: c.opts}
          if ((c.opts.state ?? 'ENABLED').toUpperCase() === 'DISABLED') disabled.set(`lb:${name}`, c.line)
          if (c.opts.lbmethod) v.lbMethod = c.opts.lbmethod.toUpperCase()
          if (c.opts.persistencetype) v.persistence = c.opts.persistencetype.toUpperCase()
          if (c.opts.comment) v.comment = c.opts.comment
          lbvs.set(name, v)
          return true
        }
        case 'add ns': {
          // L3 ACLs that deny (add ns acl|acl6|simpleacl|simpleacl6 NAME DENY ...): the vservers they can reach are
          // kept out (vipctl applies no ACLs), never served open.
          const kind = (c.args[0] ?? '').toLowerCase()
          if (!['acl', 'acl6', 'simpleacl', 'simpleacl6'].includes(kind) || (c.args[2] ?? '').toUpperCase() !== 'DENY') return false
          const after = (flag: string) => {
            const i = c.tokens.findIndex((t) => t.toLowerCase() === flag)
            if (i < 0) return undefined
            const v = c.tokens[i + 1] === '=' ? c.tokens[i + 2] : c.tokens[i + 1] === '!=' ? `!${c.tokens[i + 2]}` : c.tokens[i + 1]
            return v
          }
          acls.push({name: c.args[1] ?? '', line: c.line, dest: after('-destip') ?? after('-destipv6'), port: after('-destport')})
          return true
        }
        case 'disable lb vserver':
        case 'disable cs vserver':
        case 'disable servicegroup':
        case 'disable server':
        case 'disable service': {
          // Out of service: a vserver serves nothing (kept out), a group, member, server or service has not-ready endpoints.
          const kind = {'lb vserver': 'lb', 'cs vserver': 'cs', servicegroup: 'sg', server: 'srv', service: 'svc'}[c.entity]!
          if (kind === 'sg' && c.args[1] !== undefined) disabled.set(`sgm:${name} ${ipOf(c.args[1]) ?? c.args[1]} ${c.args[2] ?? ''}`, c.line)
          else disabled.set(`${kind}:${name}`, c.line)
          uses(c, 'delay', 'graceful')
          return true
        }
        case 'set lb vserver':
        case 'set cs vserver':
          if (c.opts.listenpolicy === undefined || !(c.entity === 'lb vserver' ? lbvs.has(name) : csvs.has(name))) return false
          setListen.set(`${c.entity === 'lb vserver' ? 'lb' : 'cs'}:${name}`, {expr: c.opts.listenpolicy, line: c.line})
          return true
        case 'bind responder':
          // bind responder global POLICY PRIORITY [GOTO] -type REQ_OVERRIDE|REQ_DEFAULT
          if (name.toLowerCase() !== 'global' || !c.args[1] || !respPolicies.has(c.args[1])) return false
          void c.args[2], void c.args[3], uses(c, 'type')
          return globalResponders.push({policy: c.args[1], line: c.line}), true
        case 'bind lb vserver': {
          const v = lbvs.get(name)
          if (v && c.opts.policyname !== undefined && respPolicies.has(c.opts.policyname)) {
            uses(c, 'priority', 'gotopriorityexpression', 'type')
            return lbvResponders.push({lbv: name, policy: c.opts.policyname, line: c.line}), true
          }
          if (!v || c.args.length < 2) return false
          v.bound.push({name: c.args[1]!, line: c.line})
          return true
        }
        case 'add cs vserver':
          if (!(Number(c.args[3]) >= 1 && Number(c.args[3]) <= 65535)) {
            say('VIP5001', c.line, `cs vserver ${name}`, `port ${c.args[3] ?? '(none)'} is not a port 1-65535: not carried over`)
            return true
          }
          if (vipAddress(c.args[2] ?? '') === undefined) {
            say('VIP5001', c.line, `cs vserver ${name}`, `${c.args[2] ?? '(none)'} is not an address a VIP can be (unicast, not link-local): not carried over`)
            return true
          }
          if ((c.opts.state ?? 'ENABLED').toUpperCase() === 'DISABLED') disabled.set(`cs:${name}`, c.line)
          csvs.set(name, {name, type: (c.args[1] ?? '').toUpperCase(), ip: vipAddress(c.args[2]!)!, port: Number(c.args[3] ?? 0), line: c.line, policies: [], certkeys: [], sslLines: [], opts: c.opts})
          return true
        case 'add cs action':
          if (!c.opts.targetlbvserver) return false
          actions.set(name, {target: c.opts.targetlbvserver, line: c.line})
          return true
        case 'add cs policy':
          if (c.opts.rule === undefined) return false
          policies.set(name, {rule: c.opts.rule, action: c.opts.action, line: c.line})
          return true
        case 'bind cs vserver': {
          const v = csvs.get(name)
          if (!v) return false
          if (c.opts.lbvserver) return (v.defaultLbv = {name: c.opts.lbvserver, line: c.line}), true
          if (!c.opts.policyname) return false
          if (fwdRewrites.has(c.opts.policyname) && (c.opts.type ?? 'REQUEST').toUpperCase() === 'REQUEST') {
            uses(c, 'priority')
            uses(c, 'gotopriorityexpression')
            for (const l of [c.line, ...fwdRewrites.get(c.opts.policyname)!]) carried.add(l)
            return true
          }
          // Evaluation stops at the first match (END, the default for content switching), as in vipctl.
          const goto = c.opts.gotopriorityexpression
          if (goto !== undefined && goto.toUpperCase() !== 'END' && !rewritePolicies.has(c.opts.policyname))
            say('VIP5002', c.line, `cs vserver ${name}`, `policy ${c.opts.policyname}: -gotoPriorityExpression ${goto} -> END (vipctl stops at the first match)`, optTokens(c, 'gotopriorityexpression'))
          uses(c, 'priority')
          if ((c.opts.type ?? '').toUpperCase() === 'REQUEST' && respPolicies.has(c.opts.policyname)) return respBindings.push({csv: name, policy: c.opts.policyname, line: c.line}), true
          if (respPolicies.has(c.opts.policyname)) return respBindings.push({csv: name, policy: c.opts.policyname, line: c.line}), true
          v.policies.push({name: c.opts.policyname, priority: Number(c.opts.priority ?? 0), line: c.line, ...(c.opts.targetlbvserver ? {target: c.opts.targetlbvserver} : {})})
          return true
        }
        case 'add ssl certkey':
          if (!c.opts.cert || !c.opts.key) return false
          certkeys.set(name, {cert: c.opts.cert, key: c.opts.key, line: c.line})
          return true
        case 'bind ssl vserver': {
          const v = csvs.get(name)
          if (!v) return false
          // The curves vipctl's TLS listeners offer (OpenSSL's defaults) include these.
          const curve = c.opts.ecccurvename
          if (curve !== undefined && c.opts.certkeyname === undefined) {
            if (!['P_256', 'P_384', 'P_521', 'ALL'].includes(curve.toUpperCase())) say('VIP5002', c.line, `ssl vserver ${name}`, `-eccCurveName ${curve} -> the curves vipctl offers (X25519, P-256, P-384, P-521)`, optTokens(c, 'ecccurvename'))
            v.sslLines.push(c.line)
            return true
          }
          if (!c.opts.certkeyname) return false
          v.certkeys.push({name: c.opts.certkeyname, line: c.line})
          uses(c, 'snicert') // several certificates are served by SNI anyway
          return true
        }
        case 'set ssl vserver': {
          // SNI is implied by several certificates on one listener. vipctl accepts TLS 1.2 and 1.3 (ssl-min-ver TLSv1.2).
          const v = csvs.get(name)
          if (!v) return false
          const want: Record<string, 'ENABLED' | 'DISABLED'> = {ssl3: 'DISABLED', tls1: 'DISABLED', tls11: 'DISABLED', tls12: 'ENABLED', tls13: 'ENABLED'}
          for (const [o, w] of Object.entries(want)) {
            const given = c.opts[o]
            if (given !== undefined && given.toUpperCase() !== w) say('VIP5002', c.line, `ssl vserver ${name}`, `-${o} ${given} -> ${w} (vipctl's TLS listeners accept TLS 1.2 and 1.3 only)`, optTokens(c, o))
          }
          uses(c, 'snienable')
          v.sslLines.push(c.line)
          return true
        }
        case 'add responder action':
          respActions.set(name, {type: (c.args[1] ?? '').toLowerCase(), target: c.args[2] ?? '', line: c.line, opts: c.opts})
          return true
        case 'add rewrite action': {
          // The client's address in X-Forwarded-For or X-Real-IP: what vipctl does on every listener.
          const header = (c.args[2] ?? '').toLowerCase()
          if ((c.args[1] ?? '').toLowerCase() === 'insert_http_header' && ['x-forwarded-for', 'x-real-ip'].includes(header) && /^CLIENT\.IP\.SRC$/i.test(c.args[3] ?? '')) return fwdActions.set(name, c.line), true
          return false
        }
        case 'add rewrite policy':
          rewritePolicies.add(name)
          if (/^true$/i.test(c.args[1] ?? '') && fwdActions.has(c.args[2] ?? '')) return fwdRewrites.set(name, [c.line, fwdActions.get(c.args[2]!)!]), true
          return false
        case 'add responder policy':
          respPolicies.set(name, {rule: c.args[1] ?? '', action: c.args[2] ?? '', line: c.line})
          return true
        default:
          return false
      }
    })()
    if (!handled) say('VIP5001', c.line, `${c.verb} ${c.entity}${name ? ` ${name}` : ''}`, `not carried over: ${shownText(c)}`)
    else handledLines.add(c.line)
  }

  const taken = new Set<string>()
  const objects: K8s[] = []
  const secrets: K8s[] = []
  const nsOf = (comment?: string) => opts.namespace ?? /(?:^|,)ns:([a-z0-9-]+)/.exec(comment ?? '')?.[1] ?? 'default'

  // Services: one per lb vserver that something uses.
  const svcOf = new Map<string, {name: string; namespace: string; port: number}>()
  const serviceFor = (lbvName: string, line: number): {name: string; namespace: string; port: number} | undefined => {
    if (svcOf.has(lbvName)) return svcOf.get(lbvName)
    const v = lbvs.get(lbvName)
    if (!v) {
      say('VIP5001', line, `lb vserver ${lbvName}`, 'not defined in this file: the route is not carried over')
      return undefined
    }
    const comment = v.comment ?? v.bound.map((b) => groups.get(b.name)?.comment).find(Boolean)
    const fromComment = /(?:^|,)(?:lb)?svc:([a-z0-9-]+)/.exec(comment ?? '')?.[1]
    const svcPort = Number(/(?:^|,)svcport:(\d+)/.exec(comment ?? '')?.[1] ?? 0)
    const name = fromComment && !taken.has(fromComment) ? (taken.add(fromComment), fromComment) : k8sName(v.name, taken)
    const namespace = nsOf(comment)
    const members: Member[] = []
    const monitorNames: string[] = []
    carried.add(v.line)
    // A non-addressable lb vserver has no client connection of its own (its cs vserver's timeout applies).
    if (v.ip === '0.0.0.0' || v.ip === '') void v.opts.clttimeout
    for (const b of v.bound) {
      const g = groups.get(b.name)
      const s = services.get(b.name)
      if (g) {
        carried.add(b.line).add(g.line)
        for (const m of g.members) {
          const off = disabled.has(`sg:${g.name}`) || disabled.has(`sgm:${g.name} ${m.ip} ${m.port}`) || (m.server !== undefined && (disabled.has(`srv:${m.server}`) || servers.get(m.server)?.disabled))
          members.push(off ? {...m, ready: false} : m)
          for (const k of [`sg:${g.name}`, `sgm:${g.name} ${m.ip} ${m.port}`, `srv:${m.server}`]) if (disabled.has(k)) carried.add(disabled.get(k)!)
        }
        for (const m of g.monitors) monitorNames.push(m.name), carried.add(m.line)
      } else if (s) {
        carried.add(b.line)
        const off = s.disabled || disabled.has(`svc:${b.name}`) || (s.server !== undefined && disabled.has(`srv:${s.server}`))
        for (const k of [`svc:${b.name}`, `srv:${s.server}`]) if (disabled.has(k)) carried.add(disabled.get(k)!)
        members.push({ip: s.ip, port: s.port, line: s.line, lines: [s.line, ...(s.serverLine !== undefined ? [s.serverLine] : [])], ready: !off})
        for (const m of s.monitors) monitorNames.push(m.name), carried.add(m.line)
      } else say('VIP5001', b.line, `lb vserver ${v.name}`, `bound to ${b.name}, which is not a serviceGroup or service in this file`)
    }
    for (const m of members) for (const l of m.lines) carried.add(l)
    const targetPorts = [...new Set(members.map((m) => m.port))]
    const port = isPort(svcPort) ? svcPort : isPort(v.port) ? v.port : targetPorts.length === 1 ? targetPorts[0]! : 80
    const selector = opts.selectors.get(v.name) ?? opts.selectors.get(name) ?? v.bound.map((b) => opts.selectors.get(b.name)).find(Boolean)
    const annotations: Record<string, string> = {}
    if (v.lbMethod) {
      if (LB_METHODS[v.lbMethod]) {
        if (v.lbMethod !== 'ROUNDROBIN') annotations['vipctl.io/lb-method'] = LB_METHODS[v.lbMethod]!
      } else say('VIP5001', v.line, `lb vserver ${v.name}`, `-lbMethod ${v.lbMethod} has no vipctl equivalent (roundrobin, leastconn, source); round robin is used`)
    }
    // Persistence: SOURCEIP -> sessionAffinity ClientIP (minutes -> seconds); COOKIEINSERT -> vipctl.io/session-cookie.
    let affinity: number | undefined
    const minutes = (s: string | undefined, dflt: number) => (/^[0-9]{1,4}$/.test(s ?? '') ? Number(s) : dflt)
    if (v.persistence === 'SOURCEIP') affinity = Math.max(1, minutes(v.opts.timeout, 2)) * 60
    else if (v.persistence === 'COOKIEINSERT') {
      const given = /^[A-Za-z0-9_-]{1,64}$/.test(v.opts.cookiename ?? '') ? v.opts.cookiename! : undefined
      const cookie = given ?? `NSC_${name.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64)
      annotations['vipctl.io/session-cookie'] = cookie
      if (!given) say('VIP5002', v.line, `lb vserver ${v.name}`, `COOKIEINSERT without -cookieName: NetScaler's generated cookie name -> ${cookie}; clients holding the old cookie are balanced anew once`)
      if ((v.opts.persistencebackup ?? '').toUpperCase() === 'SOURCEIP') affinity = Math.max(1, minutes(v.opts.backuppersistencetimeout, 2)) * 60
      if (v.opts.timeout && v.opts.timeout !== '0') say('VIP5002', v.line, `lb vserver ${v.name}`, `-timeout ${v.opts.timeout} (the cookie's lifetime in minutes) -> a session cookie (vipctl's inserted cookie has no expiry)`)
    } else if (v.persistence && v.persistence !== 'NONE') say('VIP5001', v.line, `lb vserver ${v.name}`, `-persistenceType ${v.persistence} is not carried over (vipctl persists by source address or an inserted cookie)`)
    const gs = v.bound.map((b) => groups.get(b.name)).filter((g): g is Group => Boolean(g))
    const svcs = v.bound.map((b) => services.get(b.name)).filter((x): x is NonNullable<typeof x> => Boolean(x))
    // -svrTimeout of serviceGroups and services (seconds; NetScaler's default 360, vipctl's 60).
    const svrOf = (o: Record<string, string>) => (/^[0-9]{1,5}$/.test(o.svrtimeout ?? '') ? Number(o.svrtimeout) : undefined)
    const svr = [...new Set([...gs.map((g) => g.svrTimeout), ...svcs.map((x) => svrOf(x.opts))].filter((x): x is number => x !== undefined))]
    if (svr.length) annotations['vipctl.io/timeout-server'] = `${svr.reduce((a, b) => Math.min(a, b))}s`
    else if (!fwdPrefix && v.bound.length > 0) say('VIP5002', v.line, `lb vserver ${v.name}`, `no -svrTimeout: NetScaler's default server timeout (360 s) -> vipctl's (60 s); set vipctl.io/timeout-server: 360s on Service ${namespace}/${name} to keep it`)
    const maxc = [...new Set(gs.map((g) => g.maxClient).filter((x): x is number => x !== undefined))]
    if (maxc.length) annotations['vipctl.io/max-connections'] = String(maxc.reduce((a, b) => Math.min(a, b)))
    const weighted = memberWeights(members, (m, kept) => say('VIP5002', m.line, `lb vserver ${v.name}`, `weight ${m.weight ?? 1} of ${m.ip}:${m.port} -> ${kept}, the weight of the first member on ${m.ip} (vipctl.io/member-weights keys members by address)`))
    if (weighted) annotations['vipctl.io/member-weights'] = weighted
    for (const m of new Set(monitorNames)) {
      const mc = monitors.get(m)
      if (mc) carried.add(mc.line)
      const code = mc?.opts.respcode
      if (code && /^[1-5][0-9]{2}(-[1-5][0-9]{2})?$/.test(code)) annotations['vipctl.io/check-status'] = code
      const timing = mc ? [mc.opts.interval && `periodSeconds ${mc.opts.interval}`, mc.opts.resptimeout && `timeoutSeconds ${mc.opts.resptimeout}`, mc.opts.retries && `failureThreshold ${mc.opts.retries}`, mc.opts.successretries && `successThreshold ${mc.opts.successretries}`].filter(Boolean).join(', ') : ''
      // HTTP-ECV: -send is the request (its path goes to the probe), -recv a body match vipctl does not make.
      const raw = mc?.opts.httprequest ?? mc?.opts.send
      const request = raw === undefined ? undefined : redactText(raw)
      if (mc?.opts.recv !== undefined) say('VIP5002', mc.line, `lb monitor ${m}`, `-recv ${JSON.stringify(redactText(mc.opts.recv))}: the response body is not checked (vipctl checks the status only)`, optTokens(input.find((x) => x.line === mc.line)!, 'recv'))
      if (mc?.opts.downtime !== undefined) void mc.opts.downtime // the probe's periodSeconds decides how soon a member comes back
      say('VIP5003', mc?.line ?? v.line, `lb monitor ${m}`, `health check${mc ? ` ${mc.args[1] ?? ''}${request ? ` "${request}"` : ''}` : ''}${mc?.opts.destport ? ` on port ${mc.opts.destport}` : ''}: give the Pods of Service ${namespace}/${name} a readinessProbe${timing ? ` (${timing})` : ''}${code ? `; its statuses ${code} are kept as vipctl.io/check-status` : ''} (vipctl derives health checks from readiness probes)`)
    }
    const svc: K8s = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'vipctl-migrate'}, annotations: {'migrate.vipctl.io/source': `${src}:${v.line} lb vserver ${v.name}`, ...annotations}},
      spec: {
        ...(selector ? {selector} : {}),
        ports: [{name: 'p', port, protocol: 'TCP', ...(targetPorts.length === 1 && targetPorts[0] !== port ? {targetPort: targetPorts[0]} : {})}],
        ...(affinity !== undefined ? {sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: Math.min(86400, affinity)}}} : {}),
      },
    }
    objects.push(svc)
    if (!selector) {
      if (members.length === 0) say('VIP5003', v.line, `lb vserver ${v.name}`, `no members: give Service ${namespace}/${name} a selector (--backend-selector ${v.name}=app=NAME) or endpoints`)
      if (targetPorts.length > 1) say('VIP5002', v.line, `lb vserver ${v.name}`, `members listen on several ports (${targetPorts.join(', ')}): one EndpointSlice per port`)
      for (const o of endpointSlices(name, namespace, members)) objects.push(o)
    }
    const out = {name, namespace, port}
    svcOf.set(lbvName, out)
    return out
  }

  // An addressable vserver's -cltTimeout (seconds; NetScaler's default 180) -> the listener's vipctl.io/timeout-client.
  const clientTimeout = (v: {opts: Record<string, string>; line: number}, object: string): Record<string, string> => {
    const given = v.opts.clttimeout
    if (given === undefined) {
      if (!fwdPrefix) say('VIP5002', v.line, object, "no -cltTimeout: NetScaler's default client timeout (180 s) -> vipctl's (60 s); vipctl.io/timeout-client: 180s keeps it (on a LoadBalancer Service, or on an Ingress's IngressClass)")
      return {}
    }
    const t = /^[0-9]{1,5}$/.test(given) ? Number(given) : undefined
    if (t === undefined || t < 1 || t > 86400) {
      say('VIP5001', v.line, object, `-cltTimeout ${given} is not a number of seconds 1-86400: vipctl's client timeout (60 s) applies`)
      return {}
    }
    // 180 s is NetScaler's default and the one vipctl's own NetScaler output writes; from any other input it is a
    // setting like another (vipctl's HAProxy listeners would otherwise close idle clients after 60 s).
    return t !== 180 || !fwdPrefix ? {'vipctl.io/timeout-client': `${t}s`} : {}
  }
  /** Per vserver: its source ranges (responder access rules, -Listenpolicy), or why it cannot be migrated. */
  type Access = {allow?: string[]; deny: string[]; lines: number[]; blocked: string[]; approximate: Array<{line: number; message: string}>}
  const accessByVserver = new Map<string, Access>()
  const saidAccess = new Set<string>()
  const accessOf = (vs: string): Access => {
    let a = accessByVserver.get(vs)
    if (!a) accessByVserver.set(vs, (a = {deny: [], lines: [], blocked: [], approximate: []}))
    return a
  }
  /**
   * A responder policy bound where it runs for `keys` (vservers: `cs:NAME`, `lb:NAME`): when it denies (DROP, RESET,
   * a 403 answer), its rule by the client's address is their source ranges, any other rule keeps them out. false when
   * the policy does not deny (a redirect, NOOP...).
   */
  const denyRule = (policy: string, bindLine: number, keys: string[]): boolean => {
    const p = respPolicies.get(policy)
    const a = p ? respActions.get(p.action) : undefined
    // Any answer of the appliance's own (DROP, RESET, respondwith of whatever status) keeps requests from the members.
    if (!p || !(['DROP', 'RESET'].includes(p.action.toUpperCase()) || a?.type === 'respondwith')) return false
    const sx = subnetExpr(p.rule)
    for (const key of keys) {
      const acc = accessOf(key)
      acc.lines.push(bindLine, p.line, ...(a ? [a.line] : []))
      if (!sx) acc.blocked.push(`responder policy ${policy} (${p.action}) restricts access with an expression vipctl cannot apply`)
      else if (sx.negated) {
        if (acc.allow) acc.blocked.push(`responder policy ${policy}: a second list of admitted networks (their intersection has no vipctl form)`)
        else acc.allow = sx.nets
      } else appendAll(acc.deny, sx.nets.filter((n) => !acc.deny.includes(n)))
      if (a?.type === 'respondwith' && sx && !/^"HTTP\/1\.[01] 403/.test(a.target.replace(/\\"/g, '"'))) acc.approximate.push({line: a.line, message: `${a.target.replace(/\\"/g, '"').slice(1, 40)} -> an HTTP 403 answer (vipctl answers sources it does not admit with 403)`})
      if (p.action.toUpperCase() === 'DROP') acc.approximate.push({line: p.line, message: 'DROP (no answer) -> an HTTP 403 answer'})
      else if (p.action.toUpperCase() === 'RESET') acc.approximate.push({line: p.line, message: 'RESET (the connection reset) -> an HTTP 403 answer'})
    }
    return true
  }
  // Responders bound globally run for every vserver a client reaches (cs vservers, addressable lb vservers); bound
  // to an lb vserver, for what reaches it.
  for (const g of globalResponders) if (!denyRule(g.policy, g.line, [...[...csvs.keys()].map((n) => `cs:${n}`), ...[...lbvs.values()].filter((v) => v.ip !== '0.0.0.0' && v.ip !== '').map((v) => `lb:${v.name}`)])) say('VIP5001', g.line, `responder policy ${g.policy}`, 'a global responder policy other than an access rule by the client address is not carried over')
  for (const b of lbvResponders)
    if (!denyRule(b.policy, b.line, [`lb:${b.lbv}`])) {
      // Any other responder answers some requests itself (a redirect, a gate): without it they would reach the members.
      const acc = accessOf(`lb:${b.lbv}`)
      acc.lines.push(b.line)
      acc.blocked.push(`responder policy ${b.policy} answers some requests itself and has no vipctl form on an lb vserver`)
    }
  /** -Listenpolicy EXPR: the vserver accepts only connections for which EXPR is true. */
  /** Does a denying ACL's destination (an address, a range a-b, or none: all) cover this vserver? */
  const aclCovers = (a: (typeof acls)[number], ip: string, port: number) => {
    if (a.port !== undefined && !a.port.startsWith('!') && !a.port.split('-').some((x, i, all) => (all.length === 2 ? Number(all[0]) <= port && port <= Number(all[1]) : Number(x) === port))) return false
    if (a.dest === undefined || a.dest.startsWith('!')) return true
    const [lo, hi] = a.dest.split('-')
    if (hi === undefined) return canonicalIp(lo!) === canonicalIp(ip)
    const n = (x: string) => (ipFamily(x) === 4 ? ipv4ToInt(x) : NaN)
    return n(ip) >= n(lo!) && n(ip) <= n(hi)
  }
  const listenPolicy = (v: {name: string; line: number; opts: Record<string, string>; ip?: string; port?: number}, kind: 'cs' | 'lb') => {
    for (const a of acls)
      if (v.ip && v.ip !== '0.0.0.0' && aclCovers(a, v.ip, v.port ?? 0)) {
        const acc = accessOf(`${kind}:${v.name}`)
        acc.lines.push(a.line)
        acc.blocked.push(`the L3 ACL ${a.name} (DENY) restricts who reaches ${v.ip}: vipctl applies no ACLs`)
      }
    const off = disabled.get(`${kind}:${v.name}`)
    if (off !== undefined) {
      const acc = accessOf(`${kind}:${v.name}`)
      acc.lines.push(off)
      acc.blocked.push('disabled (out of service): it serves nothing')
    }
    const set = setListen.get(`${kind}:${v.name}`)
    if (set) accessOf(`${kind}:${v.name}`).lines.push(set.line)
    const lp = set?.expr ?? v.opts.listenpolicy
    if (lp === undefined || lp.toUpperCase() === 'NONE') return
    const acc = accessOf(`${kind}:${v.name}`)
    const sx = subnetExpr(lp)
    if (!sx) acc.blocked.push(`-Listenpolicy ${JSON.stringify(lp.slice(0, 80))} restricts access with an expression vipctl cannot apply`)
    else if (!sx.negated) {
      if (acc.allow) acc.blocked.push('-Listenpolicy: a second list of admitted networks')
      else acc.allow = sx.nets
    } else appendAll(acc.deny, sx.nets.filter((n) => !acc.deny.includes(n)))
    acc.approximate.push({line: v.line, message: '-Listenpolicy (connections refused) -> an HTTP 403 answer to requests from other sources'})
  }
  /** The vserver's access as Ingress annotations; false when it cannot be migrated (said on every line involved). */
  const applyAccess = (vs: string, line: number, object: string): Record<string, string> | false => {
    const acc = accessByVserver.get(vs)
    if (!acc) return {}
    if (acc.blocked.length) {
      for (const why of acc.blocked) say('VIP5001', line, object, `${why}: not migrated (serving it without the restriction would open it)`)
      for (const l of acc.lines) if (!reported.has(l)) say('VIP5001', l, object, `an access rule of ${object}, which is not migrated`)
      return false
    }
    for (const l of acc.lines) carried.add(l)
    for (const x of acc.approximate) if (!saidAccess.has(`${x.line} ${x.message}`)) saidAccess.add(`${x.line} ${x.message}`), say('VIP5002', x.line, object, x.message)
    return {...(acc.allow ? {'vipctl.io/allow-source-ranges': acc.allow.join(',')} : {}), ...(acc.deny.length ? {'vipctl.io/deny-source-ranges': acc.deny.join(',')} : {})}
  }
  // Every lb vserver's restrictions (disabled, -Listenpolicy): an addressable one's are its own, a routed one's keep
  // the routes to it out.
  for (const v of lbvs.values()) listenPolicy(v, 'lb')
  // Addressable lb vservers: TCP -> Service type LoadBalancer; HTTP -> an Ingress with a default backend.
  for (const v of lbvs.values()) {
    if (v.ip === '0.0.0.0' || v.ip === '') continue
    if (!(v.port >= 1 && v.port <= 65535)) {
      say('VIP5001', v.line, `lb vserver ${v.name}`, `port ${v.port} is not a port 1-65535: the addressable lb vserver is not carried over`)
      continue
    }
    const vip = vipAddress(v.ip)
    if (vip === undefined) {
      say('VIP5001', v.line, `lb vserver ${v.name}`, `${v.ip} is not an address a VIP can be (unicast, not link-local): the addressable lb vserver is not carried over`)
      continue
    }
    v.ip = vip
    if (v.type === 'TCP' && accessByVserver.has(`lb:${v.name}`)) {
      // A LoadBalancer Service with source ranges is not served by vipctl yet (VIP2024): not migrated rather than opened.
      say('VIP5001', v.line, `lb vserver ${v.name}`, 'source restrictions on a TCP listener: vipctl does not apply source ranges to LoadBalancer Services yet; not migrated (serving it without them would open it)')
      continue
    }
    if (v.type === 'TCP') {
      const s = serviceFor(v.name, v.line)
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === s?.name && o.metadata.namespace === s?.namespace)
      if (svc) {
        const spec = svc.spec as Record<string, unknown>
        spec.type = 'LoadBalancer'
        spec.loadBalancerClass = 'vipctl.io/lb'
        ;(spec.ports as Array<Record<string, unknown>>)[0]!.port = v.port
        svc.metadata.annotations!['vipctl.io/vip'] = v.ip
        Object.assign(svc.metadata.annotations!, clientTimeout(v, `lb vserver ${v.name}`))
      }
    } else if (v.type === 'HTTP') {
      const access = applyAccess(`lb:${v.name}`, v.line, `lb vserver ${v.name}`)
      const s = access === false ? undefined : serviceFor(v.name, v.line)
      if (s && access !== false) {
        // With source ranges the whole VIP is a rule for / (a default backend cannot be restricted).
        const backend = {service: {name: s.name, port: {number: s.port}}}
        const spec = Object.keys(access).length ? {ingressClassName: 'vipctl', rules: [{http: {paths: [{path: '/', pathType: 'Prefix', backend}]}}]} : {ingressClassName: 'vipctl', defaultBackend: backend}
        const ing = ingress(k8sName(`${v.name}`, taken), s.namespace, v.ip, v.port, 'http', spec, `${src}:${v.line} lb vserver ${v.name}`)
        Object.assign(ing.metadata.annotations!, access)
        const settings = clientTimeout(v, `lb vserver ${v.name}`)
        if (Object.keys(settings).length) (ing.spec as Record<string, unknown>).ingressClassName = listenerClass(objects, settings)
        objects.push(ing)
      }
    } else say('VIP5001', v.line, `lb vserver ${v.name}`, `an addressable ${v.type} lb vserver is not carried over (TCP and HTTP are)`)
  }

  // Content switching -> Ingresses.
  const ingresses = new Map<string, {obj: K8s; rules: Map<string, Array<{path: string; pathType: string; backend: {service: {name: string; port: {number: number}}}}>>; tls: Map<string, string[]>}>()
  const reportedCk = new Set<string>()
  const certPem = new Map<string, string>()
  const redirectIps = new Set<string>()
  /** HTTP cs vservers whose responder redirects every request to HTTPS: their content switching never runs. */
  const redirectsAll = new Set<string>()
  for (const b of respBindings) {
    const p = respPolicies.get(b.policy)
    const a = p ? respActions.get(p.action) : undefined
    const csv = csvs.get(b.csv)
    // Only the scheme change keeping host, path and query ("https://" + HTTP.REQ.HOSTNAME... + PATH_AND_QUERY) is vipctl.io/ssl-redirect.
    if (p && a && a.type === 'redirect' && /^"https:\/\/"\s*\+\s*HTTP\.REQ\.HOSTNAME(\.SERVER)?(\.HTTP_URL_SAFE)?(\s*\+\s*"[^"]*")?\s*\+\s*HTTP\.REQ\.URL(\.PATH_AND_QUERY)?(\.HTTP_URL_SAFE)?$/i.test(a.target.replace(/\\"/g, '"').trim()) && csv) {
      redirectIps.add(csv.ip)
      carried.add(b.line).add(p.line).add(a.line)
      // Responders run before content switching: an unconditional redirect answers every request of the vserver.
      if (/^(true|HTTP\.REQ\.IS_VALID)$/i.test(p.rule.trim())) redirectsAll.add(csv.name)
      else say('VIP5002', p.line, `responder policy ${b.policy}`, `redirects to HTTPS only the requests that match ${JSON.stringify(p.rule.slice(0, 80))} -> vipctl.io/ssl-redirect redirects every request for the Ingress's TLS hosts`)
      // A redirect action answers 302 unless -responseStatusCode says otherwise; vipctl.io/ssl-redirect answers 308.
      const code = a.opts.responsestatuscode ?? '302'
      if (code !== '308') say('VIP5002', a.line, `responder action ${p.action}`, `redirect to HTTPS with status ${code} -> 308 (vipctl.io/ssl-redirect keeps the method)`)
    }
    // The 400 for dot-segment paths that vipctl adds to every HTTP vserver: carried over exactly (vipctl always adds it).
    else if (p && p.rule === INVALID_PATH_RULE) {
      carried.add(b.line).add(p.line)
      if (a) carried.add(a.line)
    } else if (csv && denyRule(b.policy, b.line, [`cs:${csv.name}`])) {
      // An access rule: by the client's address, vipctl's source ranges; anything else keeps the vserver out.
    } else say('VIP5001', b.line, `responder policy ${b.policy}`, `not carried over: only the redirect to https:// keeping host and path is (as vipctl.io/ssl-redirect); express ${a?.type === 'redirect' ? `the redirect to ${a.target.slice(0, 80)}` : 'it'} with vipctl.io/redirect on the Ingress`)
  }
  for (const v of csvs.values()) {
    listenPolicy(v, 'cs')
    if (!['HTTP', 'SSL', 'TCP'].includes(v.type)) {
      say('VIP5001', v.line, `cs vserver ${v.name}`, `service type ${v.type} is not carried over (HTTP, SSL and TCP are)`)
      continue
    }
    if (v.type === 'TCP' && accessByVserver.has(`cs:${v.name}`)) {
      say('VIP5001', v.line, `cs vserver ${v.name}`, 'source restrictions on a TCP listener: vipctl does not apply source ranges to LoadBalancer Services yet; not migrated (serving it without them would open it)')
      continue
    }
    if (v.type === 'TCP') {
      const target = v.defaultLbv?.name ?? v.policies.map((p) => actions.get(policies.get(p.name)?.action ?? '')?.target ?? p.target).find(Boolean)
      if (v.defaultLbv) carried.add(v.defaultLbv.line)
      const s = target ? serviceFor(target, v.line) : undefined
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === s?.name && o.metadata.namespace === s?.namespace)
      if (!svc) {
        say('VIP5001', v.line, `cs vserver ${v.name}`, 'a TCP cs vserver without a default lb vserver is not carried over')
        continue
      }
      const spec = svc.spec as Record<string, unknown>
      spec.type = 'LoadBalancer'
      spec.loadBalancerClass = 'vipctl.io/lb'
      ;(spec.ports as Array<Record<string, unknown>>)[0]!.port = v.port
      svc.metadata.annotations!['vipctl.io/vip'] = v.ip
      Object.assign(svc.metadata.annotations!, clientTimeout(v, `cs vserver ${v.name}`))
      carried.add(v.line)
      continue
    }
    if (v.type === 'HTTP' && redirectsAll.has(v.name) && (v.policies.length > 0 || v.defaultLbv)) {
      // Every request was redirected before content switching: its policies and default never answered one.
      for (const p of v.policies) say('VIP5001', p.line, `cs vserver ${v.name}`, `never reached on NetScaler (every request is redirected to HTTPS first): not carried over; the HTTPS Ingress answers these requests`)
      if (v.defaultLbv) say('VIP5001', v.defaultLbv.line, `cs vserver ${v.name}`, 'never reached on NetScaler (every request is redirected to HTTPS first): not carried over')
    }
    if (v.type === 'HTTP' && ((v.policies.length === 0 && !v.defaultLbv) || redirectsAll.has(v.name)) && redirectIps.has(v.ip)) {
      carried.add(v.line)
      if (Object.keys(clientTimeout(v, `cs vserver ${v.name}`)).length)
        say('VIP5002', v.line, `cs vserver ${v.name}`, `-cltTimeout ${v.opts.clttimeout} of the listener that only redirects -> the client timeout of the HTTPS Ingress's class (one per Ingress)`, optTokens(input.find((x) => x.line === v.line)!, 'clttimeout'))
      say('VIP5002', v.line, `cs vserver ${v.name}`, 'an HTTP listener that only redirects to HTTPS: carried over as vipctl.io/ssl-redirect on the HTTPS Ingress')
      continue
    }
    const access = applyAccess(`cs:${v.name}`, v.line, `cs vserver ${v.name}`)
    if (access === false) continue
    const restricted = Object.keys(access).length > 0
    // One Ingress per `ing:` provenance of the target lb vservers (vipctl's own output), else one per cs vserver.
    const csvIng = k8sName(v.name, new Set(), 'cs')
    const ingOf = (lbvName: string) => {
      const l = lbvs.get(lbvName)
      const c = l?.comment ?? l?.bound.map((x) => groups.get(x.name)?.comment).find(Boolean)
      return /(?:^|,)ing:([a-z0-9-]+)/.exec(c ?? '')?.[1] ?? csvIng
    }
    const sorted = [...v.policies].sort((a, b) => a.priority - b.priority)
    const seen: Array<{m: RuleMatch; name: string; line: number}> = []
    const touched: Array<{key: string; hosts: Set<string>}> = []
    const touch = (ingName: string, namespace: string) => {
      const key = `${namespace}/${ingName}`
      let e = ingresses.get(key)
      if (!e) {
        e = {obj: ingress(ingName, namespace, v.ip, v.port, v.type === 'SSL' ? 'https' : 'http', {ingressClassName: 'vipctl'}, `${src}:${v.line} cs vserver ${v.name}`), rules: new Map(), tls: new Map()}
        ingresses.set(key, e)
        taken.add(ingName)
      } else {
        const ann = e.obj.metadata.annotations!
        if (ann['vipctl.io/vip'] !== v.ip) say('VIP5002', v.line, `cs vserver ${v.name}`, `Ingress ${key} is served on ${ann['vipctl.io/vip']} already; ${v.ip} is not carried over for it`)
        if (v.type === 'SSL' && v.port !== 443) ann['vipctl.io/https-port'] = String(v.port)
        if (v.type === 'HTTP' && v.port !== 80) ann['vipctl.io/http-port'] = String(v.port)
      }
      let t = touched.find((x) => x.key === key)
      if (!t) touched.push((t = {key, hosts: new Set()}))
      return {e, t}
    }
    for (const p of sorted) {
      const pol = policies.get(p.name)
      if (!pol) {
        say('VIP5001', p.line, `cs vserver ${v.name}`, rewritePolicies.has(p.name) ? `the binding of rewrite policy ${p.name} is not carried over` : `policy ${p.name} is not defined in this file`)
        continue
      }
      const act = pol.action ? actions.get(pol.action) : undefined
      const lbvName = act?.target ?? p.target
      if (!lbvName) {
        say('VIP5001', pol.line, `cs policy ${p.name}`, 'no action with -targetLBVserver: not carried over')
        continue
      }
      if (accessByVserver.has(`lb:${lbvName}`)) {
        say('VIP5001', pol.line, `cs policy ${p.name}`, `lb vserver ${lbvName} restricts access (a responder or -Listenpolicy on it): routes to it are not migrated (served without the restriction they would be open; put it on the cs vserver)`)
        continue
      }
      const m = parseRule(pol.rule)
      if ('unsupported' in m) {
        say('VIP5001', pol.line, `cs policy ${p.name}`, m.unsupported)
        continue
      }
      if (m.approximate) say('VIP5002', pol.line, `cs policy ${p.name}`, m.approximate)
      // NetScaler takes the first match by priority; Kubernetes the most specific. Say where that differs.
      // Path matching is the routing module's (src/model/routing.ts), the same that every target and trace use.
      const shadow = firstMatchTakes(seen.map((x) => ({host: x.m.host, match: {path: x.m.path, pathType: x.m.pathType}, x})), {host: m.host, match: {path: m.path, pathType: m.pathType}})?.x
      if (shadow) say('VIP5002', pol.line, `cs policy ${p.name}`, `requests that match it and policy ${shadow.name} (${src}:${shadow.line}, an earlier priority) went to ${shadow.name} on NetScaler; in Kubernetes this rule wins (its host or path is more specific)`)
      seen.push({m, name: p.name, line: pol.line})
      const s = serviceFor(lbvName, pol.line)
      if (!s) continue
      carried.add(p.line).add(pol.line)
      if (act) carried.add(act.line)
      const {e, t} = touch(ingOf(lbvName), s.namespace)
      const list = e.rules.get(m.host) ?? []
      if (!list.some((r) => r.path === m.path && r.pathType === m.pathType)) list.push({path: m.path, pathType: m.pathType, backend: {service: {name: s.name, port: {number: s.port}}}})
      e.rules.set(m.host, list)
      t.hosts.add(m.host)
    }
    if (v.defaultLbv && accessByVserver.has(`lb:${v.defaultLbv.name}`)) say('VIP5001', v.defaultLbv.line, `cs vserver ${v.name}`, `lb vserver ${v.defaultLbv.name} restricts access (a responder or -Listenpolicy on it): the default route to it is not migrated (served without the restriction it would be open)`)
    else if (v.defaultLbv) {
      const d = serviceFor(v.defaultLbv.name, v.defaultLbv.line)
      if (d) {
        carried.add(v.defaultLbv.line)
        const {e, t} = touch(ingOf(v.defaultLbv.name), d.namespace)
        // With source ranges the default is a rule for / (a default backend answers for the whole VIP: it cannot be restricted).
        if (restricted) {
          const list = e.rules.get('') ?? []
          if (!list.some((r) => r.path === '/' && r.pathType === 'Prefix')) list.push({path: '/', pathType: 'Prefix', backend: {service: {name: d.name, port: {number: d.port}}}})
          e.rules.set('', list)
          t.hosts.add('')
        } else (e.obj.spec as Record<string, unknown>).defaultBackend = {service: {name: d.name, port: {number: d.port}}}
      }
    }
    if (touched.length === 0) {
      say('VIP5001', v.line, `cs vserver ${v.name}`, 'no policy or default lb vserver could be carried over: no Ingress')
      continue
    }
    carried.add(v.line)
    for (const l of v.sslLines) carried.add(l)
    for (const t of touched) Object.assign(ingresses.get(t.key)!.obj.metadata.annotations!, access)
    // The listener's client timeout belongs to the IngressClass (listener settings are the operator's).
    const settings = clientTimeout(v, `cs vserver ${v.name}`)
    if (Object.keys(settings).length) for (const t of touched) (ingresses.get(t.key)!.obj.spec as Record<string, unknown>).ingressClassName = listenerClass(objects, settings)
    const secretsHere: string[] = []
    for (const {name: ck, line: bindLine} of v.certkeys) {
      const c = certkeys.get(ck)
      if (!c) {
        say('VIP5001', bindLine, `cs vserver ${v.name}`, `certKey ${ck} is not defined in this file`)
        continue
      }
      carried.add(bindLine).add(c.line)
      // vipctl names certKeys <prefix>-<namespace>_<secret>_ck: take the Secret's name back.
      const secretName = /^[a-z0-9-]+_([a-z0-9][a-z0-9.-]*)_ck$/.exec(ck)?.[1] ?? k8sName(ck, new Set(), 'tls')
      secretsHere.push(secretName)
      const namespace = touched[0]!.key.split('/')[0]!
      const cert = opts.readCert?.(c.cert)
      const key = opts.readCert?.(c.key)
      if (cert && key) {
        certPem.set(secretName, cert)
        if (!secrets.some((x) => x.metadata.name === secretName && x.metadata.namespace === namespace))
          secrets.push({apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: {name: secretName, namespace}, data: {'tls.crt': Buffer.from(cert).toString('base64'), 'tls.key': Buffer.from(key).toString('base64')}})
      } else if (!reportedCk.has(ck)) {
        reportedCk.add(ck)
        say('VIP5003', c.line, `ssl certKey ${ck}`, `create the TLS Secret yourself: kubectl create secret tls ${secretName} -n ${namespace} --cert=${c.cert} --key=${c.key} (or pass --cert-dir and --out)`)
      }
    }
    const plainHere = [...csvs.values()].some((x) => x.ip === v.ip && x.type === 'HTTP')
    if (v.type === 'SSL' && secretsHere.length === 0) say('VIP5003', v.line, `cs vserver ${v.name}`, 'an SSL listener without a certKey binding: add spec.tls to the Ingress')
    for (const t of touched) {
      const e = ingresses.get(t.key)!
      for (const secretName of secretsHere) {
        const pem = certPem.get(secretName)
        const hosts = [...t.hosts].filter((h) => {
          if (h === '' || !pem) return h !== ''
          if (certCovers(pemNames(pem), h)) return true
          say('VIP5002', v.line, `cs vserver ${v.name}`, `certificate ${secretName} does not cover ${h}: left out of spec.tls (NetScaler served it with that certificate anyway; vipctl serves it with the default certificate, without the HTTPS redirect)`)
          return false
        })
        const prev = e.tls.get(secretName) ?? []
        e.tls.set(secretName, [...new Set([...prev, ...hosts])].sort())
      }
      // Nothing listened in plain HTTP on this address: vipctl's HTTP listener redirects the TLS hosts to HTTPS.
      if (v.type === 'SSL') e.obj.metadata.annotations!['vipctl.io/ssl-redirect'] = redirectIps.has(v.ip) || !plainHere ? 'true' : 'false'
    }
    const hostless = touched.some((t) => t.hosts.has('')) || Boolean(v.defaultLbv)
    if (v.type === 'SSL' && !plainHere)
      say('VIP5002', v.line, `cs vserver ${v.name}`, `no HTTP vserver on ${v.ip}: vipctl also listens on HTTP (port 80) for an Ingress with TLS; its TLS hosts are redirected to HTTPS (vipctl.io/ssl-redirect "true")${hostless ? ', rules without a host and the default are served in plain HTTP there' : ''}`)
    else if (v.type === 'SSL' && redirectIps.has(v.ip) && hostless)
      say('VIP5002', v.line, `cs vserver ${v.name}`, 'NetScaler redirected every plain-HTTP request to HTTPS; vipctl redirects those for the TLS hosts: rules without a host and the default are served in plain HTTP too')
  }
  // An lb vserver nothing carried over uses (no cs vserver routes to it, no address of its own): said, never dropped.
  for (const v of lbvs.values()) if (!svcOf.has(v.name) && (v.ip === '0.0.0.0' || v.ip === '')) say('VIP5001', v.line, `lb vserver ${v.name}`, 'no cs vserver carried over uses it and it has no address: not carried over')
  for (const e of ingresses.values()) {
    const spec = e.obj.spec as Record<string, unknown>
    if (e.tls.size) spec.tls = [...e.tls.entries()].map(([secretName, hosts]) => ({...(hosts.length ? {hosts} : {}), secretName}))
    if (e.rules.size) spec.rules = [...e.rules.entries()].map(([host, paths]) => ({...(host ? {host} : {}), http: {paths}}))
    objects.push(e.obj)
  }


  // The ledger: a command that reached no object is said; of the rest, every word read is carried over and every
  // option or argument nothing read is said, so nothing is called carried over that was not.
  for (const c of cmds) {
    if (!handledLines.has(c.line)) continue
    // A comment documents; vipctl's own (ns:, svc:, ing:, svcport:) named the objects above.
    uses(c, 'comment')
    const object = [...c.tokens.slice(0, c.at.head), ...(c.args[0] ? [c.args[0]] : [])].join(' ')
    if (!carried.has(c.line) && !reported.has(c.line)) say('VIP5001', c.line, object, c.verb === 'bind' ? 'what it binds is not carried over: not carried over' : 'nothing carried over uses it: not carried over')
    const r = reads.get(c.line)!
    for (const [o, idx] of Object.entries(c.at.opts)) {
      if (idx.some((i) => r.has(i))) continue
      const dflt = NS_DEFAULTS[c.entity]?.[o]
      if (dflt !== undefined && idx.length === 2 && c.tokens[idx[1]!]!.toUpperCase() === dflt) {
        L.exact(c.line, `-${o} ${dflt}: NetScaler's default, as vipctl behaves`, idx)
        continue
      }
      say('VIP5001', c.line, object, `option -${c.tokens[idx[0]!]!.slice(1)}${idx.length > 1 ? ` ${c.tokens[idx[1]!]}` : ''} is not carried over`, idx)
    }
    const head = Array.from({length: c.at.head}, (_, i) => i)
    L.exact(c.line, '', [...head, ...r])
  }
  const byLine = new Map(input.map((c) => [c.line, c]))
  const {ledger, report} = L.close((line) => {
    const c = byLine.get(line)
    return c ? [...c.tokens.slice(0, c.at.head), ...(c.args[0] ? [c.args[0]] : [])].join(' ') : 'ns.conf'
  })
  return {objects, secrets, report, ledger}
}

/**
 * Listener settings of an HTTP listener (PROXY protocol, client timeout) belong to an IngressClass, the operator's
 * object: one class per distinct setting, `vipctl-<hash>`, with vipctl's controller; the class "vipctl" is
 * emitted with it (once a cluster has IngressClasses of vipctl's controller, only those classes are served).
 * Returns the class name to put on the Ingress.
 */
export function listenerClass(objects: K8s[], settings: Record<string, string>): string {
  const ensure = (name: string, annotations: Record<string, string>) => {
    if (!objects.some((o) => o.kind === 'IngressClass' && o.metadata.name === name))
      objects.push({apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: {name, labels: {'app.kubernetes.io/managed-by': 'vipctl-migrate'}, ...(Object.keys(annotations).length ? {annotations} : {})}, spec: {controller: 'vipctl.io/ingress-controller'}})
  }
  ensure('vipctl', {})
  const keys = Object.keys(settings).sort()
  if (keys.length === 0) return 'vipctl'
  const tag = keys.map((k) => `${k.replace('vipctl.io/', '')}-${settings[k]}`).join('-').toLowerCase().replace(/[^a-z0-9-]/g, '-')
  const name = `vipctl-${tag}`.slice(0, 63).replace(/-+$/, '')
  ensure(name, settings)
  return name
}

/** Selectorless Service endpoints: one EndpointSlice per port and address family, every member ready. */
export function endpointSlices(service: string, namespace: string, members: Array<{ip: string; port: number; ready?: boolean}>): K8s[] {
  const out: K8s[] = []
  for (const p of [...new Set(members.map((m) => m.port))])
    for (const fam of [4, 6] as const) {
      const ms = members.filter((m) => m.port === p && ipFamily(m.ip) === fam)
      if (ms.length)
        out.push({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {name: `${service}-migrated-${p}${fam === 6 ? '-v6' : ''}`, namespace, labels: {'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'vipctl-migrate'}},
          addressType: fam === 4 ? 'IPv4' : 'IPv6',
          ports: [{name: 'p', port: p, protocol: 'TCP'}],
          endpoints: ms.map((m) => ({addresses: [m.ip], conditions: {ready: m.ready ?? true}})),
        })
    }
  return out
}

/** DNS names a PEM certificate covers ([] when it does not parse). */
export function pemNames(pem: string): string[] {
  try {
    return (new X509Certificate(pem).subjectAltName ?? '').split(', ').filter((x) => x.startsWith('DNS:')).map((x) => x.slice(4).toLowerCase())
  } catch {
    return []
  }
}

function ingress(name: string, namespace: string, vip: string, port: number, scheme: 'http' | 'https', spec: Record<string, unknown>, from: string): K8s {
  const annotations: Record<string, string> = {'vipctl.io/vip': vip, 'migrate.vipctl.io/source': from}
  if (scheme === 'http' && port !== 80) annotations['vipctl.io/http-port'] = String(port)
  if (scheme === 'https' && port !== 443) annotations['vipctl.io/https-port'] = String(port)
  return {apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'vipctl-migrate'}, annotations}, spec}
}

/** A command as findings may quote it: its words with secrets redacted, at most 100 characters. */
function shownText(c: NsCommand): string {
  const t = joinWords(c.tokens)
  return t.length > 100 ? `${t.slice(0, 97)}...` : t
}

/** Words joined as a command line again: a word with blanks, quotes or backslashes (or none at all) is quoted. */
export function joinWords(words: readonly string[]): string {
  return words.map((w) => (w === '' || /[\s"\\]/.test(w) ? JSON.stringify(w) : w)).join(' ')
}
