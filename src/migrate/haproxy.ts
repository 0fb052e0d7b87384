/**
 * `vipctl migrate haproxy`: an existing haproxy.cfg -> Kubernetes objects.
 *   backends (servers, balance) -> Services with EndpointSlices (or a Pod selector);
 *   HTTP frontends: bind -> VIP and port, acl + use_backend on host and path ->
 *     Ingress rules, default_backend -> defaultBackend, `bind ... ssl crt` -> TLS,
 *     `redirect scheme https` -> vipctl.io/ssl-redirect;
 *   TCP frontends and listen sections -> Services of type LoadBalancer.
 * Everything else is reported with its line, as for ns.conf.
 */
import {ipFamily} from '../core/address.js'
import {X509Certificate} from 'node:crypto'
import path from 'node:path'
import type {Diagnostic} from '../cluster/types.js'
import {DataError} from '../errors.js'
import {certCovers} from '../model/grammar.js'
import {firstMatchTakes} from '../model/routing.js'
import {ANNOTATIONS} from '../model/annotations.js'
import {endpointSlices, joinWords, k8sName, listenerClass, pemNames, type K8s, type MigrateResult} from './netscaler.js'
import {Ledger, type LedgerLine} from './ledger.js'
import {SENSITIVE_HEADER, checkConfigText, redactText} from './redact.js'
import {memberAddress, memberWeights, ruleHost, rulePath, vipAddress} from './accept.js'
import {appendAll} from '../core/arrays.js'

export interface CfgLine {
  line: number
  words: string[]
  /** The words as the ledger and findings show them (secrets "***"), joined by one space. */
  text: string
  shown: string[]
}

export interface CfgSection {
  kind: 'global' | 'defaults' | 'frontend' | 'backend' | 'listen' | 'other'
  name: string
  line: number
  /** The header line's words ("frontend", "web", ...). */
  words: string[]
  lines: CfgLine[]
}

/** Splits haproxy.cfg into sections of word lists (quotes, backslash escapes, # comments). */
export function parseHaproxyCfg(text: string, file = 'haproxy.cfg'): CfgSection[] {
  if (text.length > 32 * 1024 * 1024) throw new DataError(`${file}: larger than 32 MiB`)
  checkConfigText(text, file)
  const sections: CfgSection[] = []
  let cur: CfgSection | undefined
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1
    const words: string[] = []
    let w = ''
    let inWord = false
    let quote: string | undefined
    // HAProxy's escapes: \r \n \t are control characters; a backslash before a space, '#', a quote or a backslash is
    // that character; any other (a regex backreference \1) stays as written. Single quotes take nothing as an escape.
    const escape = (next: string) => (next === 'r' ? '\r' : next === 'n' ? '\n' : next === 't' ? '\t' : ' #"\'\\'.includes(next) ? next : `\\${next}`)
    for (let j = 0; j < raw.length; j++) {
      const c = raw[j]!
      if (quote) {
        if (c === '\\' && quote === '"' && j + 1 < raw.length) w += escape(raw[++j]!)
        else if (c === quote) quote = undefined
        else w += c
        continue
      }
      if (c === '#') break
      if (c === '"' || c === "'") {
        quote = c
        inWord = true
        continue
      }
      if (c === '\\' && j + 1 < raw.length) {
        w += escape(raw[++j]!)
        inWord = true
        continue
      }
      if (c === ' ' || c === '\t') {
        if (inWord) words.push(w)
        w = ''
        inWord = false
        continue
      }
      w += c
      inWord = true
    }
    if (quote) throw new DataError(`${file}:${line}: unterminated quoted string`)
    if (inWord) words.push(w)
    if (words.length === 0) return
    const kw = words[0]!
    if (['global', 'defaults', 'frontend', 'backend', 'listen', 'resolvers', 'peers', 'userlist', 'program', 'cache', 'mailers', 'http-errors', 'ring'].includes(kw) && !/^\s/.test(raw)) {
      cur = {kind: (['global', 'defaults', 'frontend', 'backend', 'listen'].includes(kw) ? kw : 'other') as CfgSection['kind'], name: words[1] ?? '', line, words, lines: []}
      sections.push(cur)
      return
    }
    if (!cur) {
      cur = {kind: 'other', name: '', line, words: [], lines: []}
      sections.push(cur)
    }
    const shown = redactCfg(words)
    cur.lines.push({line, words, text: joinWords(shown), shown})
  })
  return sections
}

interface Acl {
  hosts?: string[]
  hostWildcard?: string
  /** Why the host match carried over matches a little more or less than the acl. */
  hostApproximate?: string
  path?: {path: string; pathType: 'Exact' | 'Prefix'; approximate?: string}
  line: number
}

/** The acl criteria that map to Ingress host and path rules. */
function parseAcl(words: string[], line: number): Acl | {unsupported: string} {
  const [crit, ...rest] = words
  const values = rest.filter((x) => !x.startsWith('-'))
  const ci = rest.includes('-i')
  const flag = rest.find((x) => x.startsWith('-') && x !== '-i')
  if (flag) return {unsupported: `acl flag ${flag} is not carried over (only -i is)`}
  if (!crit || values.length === 0) return {unsupported: 'acl without values'}
  // Every host and path must be one vipctl routes (the model's grammar); anything else is reported, never written.
  const badHost = (hs: string[]) => hs.find((h) => ruleHost(h) === undefined)
  if (/^(req\.)?hdr\(host\)$/i.test(crit) || /^(req\.)?hdr\(host\),field\(1,:\)$/i.test(crit) || crit === 'req.hdr(host),lower') {
    const hosts = !ci && !/lower/.test(crit) ? values.map((v) => v.toLowerCase()) : values.map((v) => v.toLowerCase().replace(/:\d+$/, ''))
    const bad = badHost(hosts)
    if (bad !== undefined) return {unsupported: `host ${JSON.stringify(bad)} is not a host name an Ingress rule can have`}
    return {hosts: hosts.map((h) => ruleHost(h)!), line}
  }
  if (/^(req\.)?hdr_end\(host\)$/i.test(crit) && values.length === 1 && values[0]!.startsWith('.')) {
    const w = ruleHost(`*${values[0]!}`)
    if (w === undefined) return {unsupported: `host suffix ${JSON.stringify(values[0])} is not a DNS name`}
    return {hostWildcard: w, hostApproximate: `hdr_end(host) ${values[0]} also matches deeper subdomains (a.b${values[0]}); the wildcard *${values[0]} matches exactly one label`, line}
  }
  if ((crit === 'path' || crit === 'path_beg') && values.length === 1 && !rulePath(values[0]!.length > 1 ? values[0]!.replace(/\/+$/, '') : values[0]!))
    return {unsupported: `path ${JSON.stringify(values[0])} is not one vipctl routes (a path of ${'A-Za-z0-9._~-/'} without "." or ".." segments)`}
  const caseNote = ci ? `; -i matched the path case-insensitively, a Kubernetes path matches case-sensitively` : ''
  if (crit === 'path' && values.length === 1) return {path: {path: values[0]!, pathType: 'Exact', ...(caseNote ? {approximate: caseNote.slice(2)} : {})}, line}
  if (crit === 'path_beg' && values.length === 1) {
    const v = values[0]!
    if (v === '/') return {path: {path: '/', pathType: 'Prefix'}, line}
    if (v.endsWith('/')) return {path: {path: v.replace(/\/+$/, ''), pathType: 'Prefix', approximate: `path_beg ${v} does not match ${v.replace(/\/+$/, '')} itself; the Kubernetes Prefix does${caseNote}`}, line}
    return {path: {path: v, pathType: 'Prefix', approximate: `path_beg ${v} also matches ${v}x...; a Kubernetes Prefix matches whole path elements${caseNote}`}, line}
  }
  return {unsupported: `acl criterion ${crit} has no Ingress equivalent (hdr(host), hdr_end(host) .suffix, path, path_beg are supported)`}
}

export interface HaproxyMigrateOptions {
  namespace?: string
  selectors: Map<string, Record<string, string>>
  /** Reads a file the config names (crt PEM); undefined when absent. */
  readFile?: (file: string) => string | undefined
  file: string
}

/** vipctl's own defaults (haproxy.cfg's defaults section it writes): a setting equal to one is carried over exactly. */
const VIPCTL_DEFAULTS: Record<string, number> = {connect: 5000, client: 60000, server: 60000, 'http-request': 10000, 'http-keep-alive': 10000, queue: 30000, tunnel: 3_600_000, 'client-fin': 10000}

/** An HAProxy time ("5s", "500", "1m", "2h", "1d"; bare numbers are ms) in ms; undefined when it is not one. */
export function haproxyTime(s: string | undefined): number | undefined {
  const m = /^([0-9]{1,9})(us|ms|s|m|h|d)?$/.exec(s ?? '')
  if (!m) return undefined
  const f = {us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}[(m[2] ?? 'ms') as 'ms']
  return Math.round(Number(m[1]) * f)
}

/** ms -> the shortest duration vipctl.io/timeout-* takes ("1500ms", "5s", "2m", "1h"); undefined beyond 24 h or below 1 ms. */
function duration(ms: number): string | undefined {
  if (ms < 1 || ms > 86_400_000) return undefined
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

/** Server options that take a value (the value is part of the option, never an option of its own). */
const SERVER_VALUE_OPTIONS: ReadonlySet<string> = new Set(['id', 'track', 'slowstart', 'on-error', 'on-marked-down', 'on-marked-up', 'observe', 'error-limit', 'agent-port', 'agent-inter', 'agent-addr', 'agent-send', 'downinter', 'fastinter', 'minconn', 'maxqueue', 'pool-max-conn', 'pool-purge-delay', 'resolvers', 'resolve-prefer', 'resolve-net', 'init-addr', 'source', 'namespace', 'crt', 'ciphers', 'ciphersuites', 'ssl-min-ver', 'ssl-max-ver', 'crl-file', 'tcp-ut', 'usesrc', 'proxy-v2-options', 'ws', 'log-proto', 'shard', 'redir', 'addr', 'set-proxy-v2-tlv-fmt', 'check-alpn', 'check-proto', 'check-sni', 'npn'])

const RETRY_ON: Record<string, string> = {'conn-failure': 'connect-failure', 'empty-response': 'empty-response', 'response-timeout': 'response-timeout', '401': '401', '403': '403', '404': '404', '408': '408', '425': '425', '500': '500', '501': '501', '502': '502', '503': '503', '504': '504'}

interface Defaults {
  mode: string
  balance?: string
  timeouts: Map<string, {ms: number; line: number}>
  retries?: {count: number; line: number}
  serverOptions: string[]
  /** Access rules of defaults sections (they hold for the proxies after them). */
  access: CfgLine[]
  /** The default-server line (its options are accounted there, once). */
  serverLine?: number
}

/**
 * haproxy.cfg -> Kubernetes objects, every line accounted for in the ledger (src/migrate/ledger.ts). What the
 * model expresses is carried over: servers (disabled ones as not-ready endpoints, weights, maxconn, TLS, h2c,
 * PROXY protocol), balance, timeouts (defaults included), retries, cookie and source persistence, health-check
 * statuses (the probe itself is a manual step with its path and timing), binds (several certificates as SNI,
 * accept-proxy), redirects to HTTPS with their real scope and status, unconditional header rules.
 */
export function migrateHaproxy(sections: CfgSection[], opts: HaproxyMigrateOptions): MigrateResult & {ledger: LedgerLine[]} {
  const input = new Map<number, {text: string; words: string[]}>()
  for (const s of sections) {
    if (s.words.length > 0) input.set(s.line, {text: s.words.join(' '), words: s.words})
    for (const l of s.lines) input.set(l.line, {text: l.text, words: l.shown})
  }
  /** A section header's tokens: its keyword and name. */
  const hdr = (s: CfgSection) => (s.name ? 2 : 1)
  const L = new Ledger(opts.file, input)
  const namespace = opts.namespace ?? 'default'
  const taken = new Set<string>()
  const objects: K8s[] = []
  const secrets: K8s[] = []
  const services = new Map<string, {name: string; port: number; svc: K8s; serverMs?: number; tunnel?: boolean}>()
  const backends = new Map(sections.filter((s) => s.kind === 'backend' || s.kind === 'listen').map((s) => [s.name, s]))
  const where = new Map<number, string>()
  for (const s of sections) for (const l of [{line: s.line}, ...s.lines]) where.set(l.line, s.kind === 'other' ? s.words.join(' ') || 'haproxy.cfg' : `${s.kind}${s.name ? ` ${s.name}` : ''}`)

  // defaults: what the sections after it inherit. Global settings are the process's: vipctl sets its own.
  const D: Defaults = {mode: 'http', timeouts: new Map(), serverOptions: [], access: []}
  /** default-server options already said (once, on its line, whichever server met them first). */
  const defaultSaid = new Set<string>()
  for (const s of sections) {
    if (s.kind === 'global') {
      L.exact(s.line, '', hdr(s))
      for (const l of s.lines) L.lost(l.line, 'global', `not carried over: ${l.text.slice(0, 100)} (process settings are vipctl's own)`)
    } else if (s.kind === 'other') {
      for (const l of s.lines) L.lost(l.line, where.get(l.line)!, `not carried over: ${l.text.slice(0, 100)}`)
      if (s.words.length > 0) L.lost(s.line, where.get(s.line)!, `section ${s.words.join(' ')} is not carried over`)
    } else if (s.kind === 'defaults') {
      L.exact(s.line, '', hdr(s))
      for (const l of s.lines) {
        const [kw, ...a] = l.words
        const ms = kw === 'timeout' ? haproxyTime(a[1]) : undefined
        if (kw === 'mode' && (a[0] === 'http' || a[0] === 'tcp')) (D.mode = a[0]), L.exact(l.line, '', 2)
        else if (kw === 'timeout' && ms !== undefined && a[0]) {
          D.timeouts.set(a[0], {ms, line: l.line})
          if (['connect', 'server', 'tunnel', 'client'].includes(a[0])) L.exact(l.line, 'applied to every Service and listener below', 3)
          else if (VIPCTL_DEFAULTS[a[0]] === ms) L.exact(l.line, "vipctl's default", 3)
          else if (a[0] === 'check') L.manual(l.line, 'defaults', `timeout check ${a[1]}: set readinessProbe.timeoutSeconds on the Pods (vipctl's checks take the probe's timing)`)
          else L.approximate(l.line, 'defaults', `timeout ${a[0]} ${a[1]} -> ${VIPCTL_DEFAULTS[a[0]] !== undefined ? `${VIPCTL_DEFAULTS[a[0]]} ms, vipctl's value (it has no setting for it)` : "vipctl's own timeouts"}`)
        } else if (kw === 'balance' && ['roundrobin', 'leastconn', 'source'].includes(a[0] ?? '')) (D.balance = a[0]), L.exact(l.line, 'applied to every Service below', 2)
        else if (kw === 'retries' && /^[0-9]{1,2}$/.test(a[0] ?? '')) (D.retries = {count: Math.min(10, Number(a[0])), line: l.line}), L.exact(l.line, 'applied to every Service below', 2)
        else if (kw === 'option' && ['forwardfor', 'redispatch', 'dontlognull', 'http-keep-alive'].includes(a[0] ?? '')) L.exact(l.line, a[0] === 'forwardfor' ? 'vipctl always sets X-Forwarded-For' : a[0] === 'redispatch' ? 'vipctl redispatches on retries' : "vipctl's default", 2)
        else if (kw === 'default-server') {
          D.serverOptions = a
          D.serverLine = l.line
          L.exact(l.line, 'applied to every server below', 1)
        } else if (isAccessRule(l)) {
          // Access rules in defaults hold for the proxies below: none of them is served without them.
          D.access.push(l)
        } else L.lost(l.line, 'defaults', `not carried over: ${l.text.slice(0, 100)}`)
      }
    }
  }

  const blockedBackends = new Set<string>()
  /**
   * A tunnel's idle time as HAProxy had it for this listener (its own client timeout): the tunnel timeout, else the
   * first of client and server; a Service shared by listeners keeps the shortest.
   */
  const keepIdle = (s: {svc: K8s; serverMs?: number; tunnel?: boolean}, clientMs: number | undefined) => {
    if (s.tunnel) return
    const idle = Math.min(clientMs ?? Infinity, s.serverMs ?? Infinity)
    if (!Number.isFinite(idle)) return
    const ann = s.svc.metadata.annotations!
    const had = idleOf.get(s.svc)
    const keep = had === undefined ? idle : Math.min(had, idle)
    idleOf.set(s.svc, keep)
    if (keep !== VIPCTL_DEFAULTS.tunnel && duration(keep)) ann['vipctl.io/timeout-tunnel'] = duration(keep)!
    else delete ann['vipctl.io/timeout-tunnel']
  }
  const idleOf = new Map<K8s, number>()
  const serviceFor = (beName: string, line: number): {name: string; port: number; svc: K8s; serverMs?: number; tunnel?: boolean} | undefined => {
    if (services.has(beName)) return services.get(beName)
    const be = backends.get(beName)
    if (!be) {
      L.lost(line, where.get(line)!, `backend ${beName} is not defined in this file: the route is not carried over`)
      return undefined
    }
    const obj = `${be.kind} ${beName}`
    // A backend with access rules: routes to it would be served open, so none is migrated (said where it is used).
    const denies = be.kind === 'backend' ? be.lines.filter(isAccessRule) : []
    if (denies.length > 0) {
      L.lost(line, where.get(line)!, `backend ${beName} holds access rules vipctl cannot apply there: routes to it are not migrated (served without the rules they would be open)`)
      if (!blockedBackends.has(beName)) {
        blockedBackends.add(beName)
        for (const l of denies) L.lost(l.line, obj, `${l.words.slice(0, 2).join(' ')}: an access rule in a backend; no route to ${beName} is migrated`)
        L.lost(be.line, obj, 'not migrated: it holds access rules')
        for (const l of be.lines) if (!denies.includes(l)) L.lost(l.line, obj, `in ${obj}, which is not migrated (access rules)`)
      }
      return undefined
    }
    L.exact(be.line, '', hdr(be))
    const members: Array<{ip: string; port: number; ready: boolean; weight?: number; maxconn?: number; line: number}> = []
    const ann: Record<string, string> = {}
    let lbMethod = D.balance
    let hashType: number | undefined
    const timeouts = new Map(D.timeouts)
    let retries = D.retries
    let retryOn: string[] | undefined
    let affinity: {seconds: number} | undefined
    const tls: {seen: boolean; verify?: string; ca?: string; sni?: string; line?: number} = {seen: false}
    let h2c = false
    let proxy: string | undefined
    const check: {path?: string; expect?: string; inter?: string; fall?: string; rise?: string; headers: string[]; line?: number; more: number[]} = {headers: [], more: []}
    let sticky: {table?: number; on?: number; expire?: number} = {}
    let stickTokens: number[] = []
    let backendOff = false
    for (const l of be.lines) {
      const [kw, ...a] = l.words
      if (kw === 'server' && a[1]) {
        const m = /^(\[?[0-9a-fA-F:.]+\]?):(\d+)$/.exec(a[1])
        const raw = m?.[1]?.replace(/[[\]]/g, '')
        const ip = raw !== undefined ? memberAddress(raw) : undefined
        const port = Number(m?.[2])
        if (!m || !ip || port < 1 || port > 65535) {
          if (raw && ipFamily(raw) && !ip && !(raw === '0.0.0.0' && port === 0)) {
            L.lost(l.line, obj, `server ${a[0]} ${a[1]}: ${raw} is not an address an endpoint can have (unicast)`)
            continue
          }
          if (raw === '0.0.0.0' && port === 0) L.exact(l.line, 'an empty slot (vipctl makes its own)')
          else L.lost(l.line, obj, `server ${a[0]} ${a[1]}: only IP:port servers (ports 1-65535) are carried over`)
          continue
        }
        // The options: default-server's first (accounted on its own line), then this line's (tokens 3...).
        const nd = D.serverOptions.length
        const o = [...D.serverOptions, ...a.slice(2)]
        /** Token indices on this line of option i (and its value): none for default-server's. */
        const tok = (i: number, withValue: boolean) => [i, ...(withValue ? [i + 1] : [])].filter((k) => k >= nd).map((k) => k - nd + 3)
        /** Where option i is written: this line, or the default-server line (said there once). */
        const where = (i: number, withValue: boolean): [number, number[]] | undefined => {
          if (i >= nd) return [l.line, tok(i, withValue)]
          const key = `${i}`
          if (D.serverLine === undefined || defaultSaid.has(key)) return undefined
          defaultSaid.add(key)
          return [D.serverLine, [i + 1, ...(withValue ? [i + 2] : [])]]
        }
        const lost = (i: number, withValue: boolean, message: string) => {
          const w = where(i, withValue)
          if (w) L.lost(w[0], w[0] === l.line ? obj : 'defaults', message, w[1])
        }
        const approximate = (i: number, withValue: boolean, message: string) => {
          const w = where(i, withValue)
          if (w) L.approximate(w[0], w[0] === l.line ? obj : 'defaults', message, w[1])
        }
        const manual = (i: number, withValue: boolean, message: string) => {
          const w = where(i, withValue)
          if (w) L.manual(w[0], w[0] === l.line ? obj : 'defaults', message, w[1])
        }
        const used: number[] = [0, 1, 2]
        const member = {ip, port, ready: !o.includes('disabled'), line: l.line} as (typeof members)[number]
        for (let i = 0; i < o.length; i++) {
          const x = o[i]!
          const v = o[i + 1]
          const take = (withValue: boolean) => {
            appendAll(used, tok(i, withValue))
            if (i < nd && D.serverLine !== undefined) L.exact(D.serverLine, '', [i + 1, ...(withValue ? [i + 2] : [])])
            if (withValue) i++
          }
          if (x === 'check' || x === 'enabled' || x === 'disabled' || x === 'check-ssl') take(false)
          else if (x === 'weight' && /^[0-9]{1,3}$/.test(v ?? '')) {
            if (Number(v) === 0) {
              member.ready = false
              approximate(i, true, `server ${a[0]}: weight 0 (drained: no new requests, persistent clients still served) -> a not-ready endpoint (no requests at all)`)
              i++
            } else {
              if (Number(v) > 256) approximate(i, true, `server ${a[0]}: weight ${v} -> 256 (HAProxy's and vipctl's largest)`)
              member.weight = Math.min(256, Number(v))
              take(true)
            }
          } else if (x === 'maxconn' && /^[0-9]{1,7}$/.test(v ?? '')) (Number(v) > 0 && (member.maxconn = Number(v))), take(true)
          else if ((x === 'inter' || x === 'fall' || x === 'rise') && v) ((check as Record<string, unknown>)[x] = v), take(true)
          else if (x === 'ssl') (tls.seen = true), take(false)
          else if (x === 'verify' && v === 'none') approximate(i, true, `server ${a[0]}: ssl verify none -> vipctl verifies members' certificates (against vipctl.io/backend-ca or the system CAs)`), i++
          else if (x === 'verify' && v) (tls.verify = v), take(true)
          else if (x === 'ca-file' && v) (tls.ca = v), manual(i, true, `server ${a[0]}: ca-file ${v}: put it in a Secret's ca.crt and name it with vipctl.io/backend-ca`), i++
          else if (x === 'sni' && /^str\((.+)\)$/.test(v ?? '')) (tls.sni = /^str\((.+)\)$/.exec(v!)![1]), take(true)
          else if (x === 'verifyhost' && v) (tls.sni ??= v), take(true)
          else if (x === 'check-sni' && v) take(true)
          else if (x === 'alpn' && v) {
            if (v !== 'http/1.1') approximate(i, true, `server ${a[0]}: alpn ${v} -> HTTP/1.1 over TLS to the member (vipctl.io/backend-protocol https)`)
            else take(true)
            i++
          } else if (x === 'proto' && v === 'h2') (h2c = true), take(true)
          else if (x === 'send-proxy' || x === 'send-proxy-v2') (proxy = x === 'send-proxy' ? 'v1' : 'v2'), take(false)
          else if (x === 'port' && v) (manual(i, true, `server ${a[0]}: health checks on port ${v}: give the readinessProbe that port`), i++)
          else if (x === 'cookie' && v) (approximate(i, true, `server ${a[0]}: cookie value ${v} -> a value vipctl derives from the member's address (clients holding ${v} are balanced anew once)`), i++)
          else {
            const takesValue = SERVER_VALUE_OPTIONS.has(x) && v !== undefined
            lost(i, takesValue, `server ${a[0]}: option ${x}${takesValue ? ` ${v}` : ''} is not carried over`)
            if (takesValue) i++
          }
        }
        L.exact(l.line, member.ready ? '' : 'disabled: a not-ready endpoint', used)
        members.push(member)
      } else if (kw === 'balance') {
        if (['roundrobin', 'leastconn', 'source'].includes(a[0] ?? '')) (lbMethod = a[0]), L.exact(l.line, '', 2)
        else L.lost(l.line, obj, `balance ${a.join(' ')} has no vipctl equivalent (roundrobin, leastconn, source)`)
      } else if (kw === 'mode' && (a[0] === 'http' || a[0] === 'tcp')) L.exact(l.line, '', 2)
      else if (kw === 'disabled' && a.length === 0) (backendOff = true), L.exact(l.line, 'every member a not-ready endpoint')
      else if (kw === 'hash-type') (hashType = l.line)
      else if (kw === 'timeout' && haproxyTime(a[1]) !== undefined && ['connect', 'server', 'tunnel'].includes(a[0] ?? '')) (timeouts.set(a[0]!, {ms: haproxyTime(a[1])!, line: l.line}), L.exact(l.line, '', 3))
      else if (kw === 'timeout' && a[0] === 'check') L.manual(l.line, obj, `timeout check ${a[1]}: set readinessProbe.timeoutSeconds on the Pods`)
      else if (kw === 'retries' && /^[0-9]{1,2}$/.test(a[0] ?? '')) (retries = {count: Math.min(10, Number(a[0])), line: l.line}), L.exact(l.line, '', 2)
      else if (kw === 'retry-on') {
        const mapped = a.map((x) => RETRY_ON[x])
        if (mapped.every(Boolean)) (retryOn = mapped as string[]), L.exact(l.line)
        else L.lost(l.line, obj, `retry-on ${a.filter((x) => !RETRY_ON[x]).join(' ')}: vipctl retries on connect-failure, empty-response, response-timeout and 401 403 404 408 425 500-504`)
      } else if (kw === 'option' && a[0] === 'redispatch') L.exact(l.line, 'vipctl redispatches on retries', 2)
      else if (kw === 'option' && a[0] === 'forwardfor') L.exact(l.line, 'vipctl always sets X-Forwarded-For', 2)
      else if (kw === 'option' && a[0] === 'httpchk') {
        // option httpchk [<method>] <uri> [<version>]
        const uri = a.length >= 3 ? a[2] : a[1]
        check.path = uri?.startsWith('/') ? uri : '/'
        check.line = l.line
      } else if (kw === 'http-check' && a[0] === 'send') {
        const ui = a.indexOf('uri')
        if (ui >= 0 && a[ui + 1]) check.path = a[ui + 1]
        // Shown as the ledger shows them: a credential's value is "***" (the user has it in the original).
        const sh = l.shown.slice(1)
        for (let i = a.indexOf('hdr'); i >= 0; i = a.indexOf('hdr', i + 1)) if (a[i + 1] && a[i + 2] !== undefined) check.headers.push(`${sh[i + 1]}: ${sh[i + 2]}`)
        check.line ??= l.line
        if (check.line !== l.line) check.more.push(l.line)
      } else if (kw === 'http-check' && a[0] === 'expect' && a[1] === 'status' && /^[1-5][0-9]{2}(-[1-5][0-9]{2})?$/.test(a[2] ?? '')) {
        check.expect = a[2]
        L.exact(l.line, `vipctl.io/check-status ${a[2]}`, 4)
      } else if (kw === 'cookie' && a[0] && /^[A-Za-z0-9_-]{1,64}$/.test(a[0])) {
        ann['vipctl.io/session-cookie'] = a[0]
        const rest = a.slice(1).join(' ')
        if (/^insert( indirect)?( nocache)?( httponly)?( secure)?( dynamic)?$/.test(rest)) L.exact(l.line, 'vipctl.io/session-cookie (vipctl inserts it: indirect, nocache, httponly)')
        else L.approximate(l.line, obj, `cookie ${a[0]} ${rest} -> an inserted cookie (insert indirect nocache httponly dynamic): ${rest.includes('insert') ? 'its other options change' : 'the application no longer sets or prefixes it'}`)
      } else if (kw === 'stick-table' && a[0] === 'type') {
        const ei = a.indexOf('expire')
        // Tokens stick-table, type T, size N, expire D are what source persistence uses; any other is left to the ledger's close.
        const used = [0]
        for (const k of ['type', 'size', 'expire']) if (a.indexOf(k) >= 0) used.push(a.indexOf(k) + 1, a.indexOf(k) + 2)
        stickTokens = used
        sticky = {...sticky, table: l.line, ...(ei >= 0 && haproxyTime(a[ei + 1]) !== undefined ? {expire: haproxyTime(a[ei + 1])} : {})}
      } else if (kw === 'stick' && a[0] === 'on' && a[1] === 'src' && a.length === 2) sticky = {...sticky, on: l.line}
      else if (be.kind === 'listen') continue // the frontend part of a listen section is accounted below
      else L.lost(l.line, obj, `not carried over: ${l.text.slice(0, 100)}`)
    }
    if (backendOff) for (const m of members) m.ready = false
    // Source persistence: stick-table + stick on src -> sessionAffinity ClientIP with the table's expiry.
    if (sticky.table !== undefined && sticky.on !== undefined) {
      affinity = {seconds: Math.max(1, Math.min(86400, Math.round((sticky.expire ?? 10_800_000) / 1000)))}
      L.exact(sticky.table, `spec.sessionAffinity: ClientIP, timeoutSeconds ${affinity.seconds}`, stickTokens)
      L.exact(sticky.on)
    } else {
      if (sticky.table !== undefined) L.lost(sticky.table, obj, 'a stick-table without "stick on src" is not carried over')
      if (sticky.on !== undefined) L.lost(sticky.on, obj, '"stick on src" without a stick-table is not carried over')
    }
    if (hashType !== undefined) {
      if (lbMethod === 'source') L.exact(hashType, 'vipctl uses consistent hashing for source balancing')
      else L.lost(hashType, obj, 'hash-type applies to hash balancing only: not carried over')
    }
    // Health check: the probe is the Pods' (manual); its statuses are the Service's.
    if (check.line !== undefined) {
      const timing = [check.inter && `periodSeconds from inter ${check.inter}`, check.fall && `failureThreshold ${check.fall}`, check.rise && `successThreshold ${check.rise}`].filter(Boolean).join(', ')
      const probe = redactText(check.path ?? '/')
      for (const more of check.more) L.manual(more, obj, `part of the HTTP health check (line ${check.line}): the readiness probe step there`)
      L.manual(check.line, obj, `HTTP health check GET ${probe}${check.headers.length ? ` with headers ${check.headers.join('; ')}` : ''}: give the Pods readinessProbe.httpGet path ${probe}${check.headers.length ? ' and those httpHeaders' : ''}${timing ? ` (${timing})` : ''}; vipctl derives its checks from readiness probes`)
    } else if (check.inter || check.fall || check.rise) {
      L.manual(members[0]?.line ?? be.line, obj, `check timing (${[check.inter && `inter ${check.inter}`, check.fall && `fall ${check.fall}`, check.rise && `rise ${check.rise}`].filter(Boolean).join(', ')}): set readinessProbe periodSeconds, failureThreshold and successThreshold`)
    }
    if (check.expect) ann['vipctl.io/check-status'] = check.expect
    if (lbMethod && lbMethod !== 'roundrobin') ann['vipctl.io/lb-method'] = lbMethod
    for (const [k, key] of [['connect', 'vipctl.io/timeout-connect'], ['server', 'vipctl.io/timeout-server'], ['tunnel', 'vipctl.io/timeout-tunnel']] as const) {
      const t = timeouts.get(k)
      if (!t || t.ms === VIPCTL_DEFAULTS[k]) continue
      const d = duration(t.ms)
      if (d) ann[key] = d
      else L.approximate(t.line, obj, `timeout ${k} ${t.ms} ms is outside 1ms-24h: vipctl's default ${VIPCTL_DEFAULTS[k]} ms applies`)
    }
    // Without "timeout tunnel", an idle tunnel (TCP mode, WebSocket) was closed by the client or server timeout,
    // whichever came first; vipctl's own tunnel timeout (1 h) would replace both: the same idle time is kept.
    const idle = timeouts.has('tunnel') ? undefined : Math.min(D.timeouts.get('client')?.ms ?? Infinity, timeouts.get('server')?.ms ?? Infinity)
    if (idle !== undefined && Number.isFinite(idle) && idle !== VIPCTL_DEFAULTS.tunnel && duration(idle)) ann['vipctl.io/timeout-tunnel'] = duration(idle)!
    if (retries && retries.count > 0) {
      ann['vipctl.io/retries'] = String(retries.count)
      if (retryOn) ann['vipctl.io/retry-on'] = retryOn.join(',')
    }
    if (tls.seen) {
      ann['vipctl.io/backend-protocol'] = 'https'
      if (tls.sni) ann['vipctl.io/backend-server-name'] = tls.sni
    } else if (h2c) ann['vipctl.io/backend-protocol'] = 'h2c'
    if (proxy) ann['vipctl.io/proxy-protocol'] = proxy
    const weights = memberWeights(members, (m, kept) => L.approximate(m.line, obj, `weight ${m.weight ?? 1} of ${m.ip}:${m.port} -> ${kept}, the weight of the first server on ${m.ip} (vipctl.io/member-weights keys members by address)`))
    if (weights) ann['vipctl.io/member-weights'] = weights
    const maxconns = [...new Set(members.map((m) => m.maxconn).filter((x): x is number => x !== undefined))]
    if (maxconns.length === 1 && members.every((m) => m.maxconn !== undefined)) ann['vipctl.io/max-connections'] = String(maxconns[0])
    else if (maxconns.length > 0) {
      ann['vipctl.io/max-connections'] = String(maxconns.reduce((a, b) => Math.min(a, b)))
      L.approximate(members.find((m) => m.maxconn !== undefined)!.line, obj, `maxconn differs per server (${maxconns.join(', ')}) -> ${maxconns.reduce((a, b) => Math.min(a, b))} for every member (vipctl.io/max-connections is per Service)`)
    }
    // vipctl's own output names the Service in a comment-free way: <ns>_<svc>_<port>.
    const own = /^([a-z0-9-]+)_([a-z0-9-]+)_(\d+)(_tcp)?$/.exec(beName)
    const name = own && !taken.has(own[2]!) ? (taken.add(own[2]!), own[2]!) : k8sName(beName, taken)
    const ports = [...new Set(members.map((m) => m.port))]
    const port = own && Number(own[3]) >= 1 && Number(own[3]) <= 65535 ? Number(own[3]) : ports.length === 1 ? ports[0]! : 80
    const selector = opts.selectors.get(beName) ?? opts.selectors.get(name)
    const svc: K8s = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'vipctl-migrate'}, annotations: {'migrate.vipctl.io/source': `${path.basename(opts.file)}:${be.line} ${be.kind} ${beName}`, ...ann}},
      spec: {
        ...(selector ? {selector} : {}),
        ports: [{name: 'p', port, protocol: 'TCP', ...(ports.length === 1 && ports[0] !== port ? {targetPort: ports[0]} : {})}],
        ...(affinity ? {sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: affinity.seconds}}} : {}),
      },
    }
    objects.push(svc)
    if (!selector) {
      if (members.length === 0) L.manual(be.line, obj, `no servers: give Service ${namespace}/${name} a selector (--backend-selector ${beName}=app=NAME)`)
      for (const o of endpointSlices(name, namespace, members)) objects.push(o)
    }
    const out = {name, port, svc, serverMs: timeouts.get('server')?.ms, tunnel: timeouts.has('tunnel')}
    services.set(beName, out)
    return out
  }

  // A plain-HTTP frontend that only redirects to HTTPS, on the address of another frontend's TLS bind: that is the
  // HTTP side of the same site (vipctl.io/ssl-redirect on its Ingress), not a frontend of its own.
  const bindsOf = (fe: CfgSection) => fe.lines.filter((l) => l.words[0] === 'bind').map((l) => ({l, m: /^(\[?[0-9a-fA-F:.*]*\]?):(\d+)$/.exec(l.words[1] ?? ''), tls: l.words.includes('crt') || l.words.includes('crt-list')}))
  const isHttpsRedirect = (w: string[]) => (w[0] === 'http-request' && w[1] === 'redirect' && w[2] === 'scheme' && w[3] === 'https') || (w[0] === 'redirect' && w[1] === 'scheme' && w[2] === 'https')
  const tlsIps = new Set(sections.filter((x) => x.kind === 'frontend' || x.kind === 'listen').flatMap((fe) => bindsOf(fe).filter((b) => b.tls && b.m).map((b) => b.m![1]!.replace(/[[\]]/g, ''))))
  const redirectSide = new Map<string, {code: number; line: number; port: number; fe: CfgSection}>()
  for (const fe of sections.filter((x) => x.kind === 'frontend')) {
    const binds = bindsOf(fe)
    const red = fe.lines.find((l) => isHttpsRedirect(l.words))
    const routes = fe.lines.some((l) => l.words[0] === 'use_backend' || l.words[0] === 'default_backend')
    if (!red || routes || binds.length === 0 || binds.some((b) => b.tls || !b.m || !tlsIps.has(b.m[1]!.replace(/[[\]]/g, '')))) continue
    const ci = red.words.indexOf('code')
    for (const b of binds) redirectSide.set(b.m![1]!.replace(/[[\]]/g, ''), {code: ci >= 0 ? Number(red.words[ci + 1]) : 302, line: red.line, port: Number(b.m![2]), fe})
  }

  for (const fe of sections.filter((x) => x.kind === 'frontend' || x.kind === 'listen')) {
    const obj = `${fe.kind} ${fe.name}`
    L.exact(fe.line, '', hdr(fe))
    if ([...redirectSide.values()].some((r) => r.fe === fe)) {
      // Accounted with the HTTPS side's Ingress below; here only what is not the bind or the redirect.
      for (const l of fe.lines) {
        if (l.words[0] === 'bind') L.exact(l.line, 'the plain-HTTP listener of the Ingress served over TLS on this address', 2)
        else if (isHttpsRedirect(l.words)) continue
        else if (l.words[0] === 'mode' && l.words[1] === 'http') L.exact(l.line, '', 2)
        else L.lost(l.line, obj, `not carried over: ${l.text.slice(0, 100)}`)
      }
      continue
    }
    const binds: Array<{ip: string; port: number; crts: string[]; line: number; acceptProxy: boolean}> = []
    const acls = new Map<string, Acl>()
    const aclUsed = new Set<string>()
    const uses: Array<{backend: string; cond: string[]; line: number}> = []
    let mode = D.mode
    let modeLine: number | undefined
    let dflt: string | undefined
    let redirect: {code: number; line: number; all: boolean} | undefined
    const headers = {request: [] as string[], response: [] as string[], lines: [] as number[]}
    let clientTimeout = D.timeouts.get('client')
    // Access rules (deny, auth, tarpit, reject): vipctl cannot apply them, and without them the routes would be open.
    // A frontend marked `disabled` serves nothing: not migrated (said).
    const off = fe.lines.find((l) => l.words[0] === 'disabled' && l.words.length === 1)
    if (off) {
      L.lost(off.line, obj, `disabled: the ${fe.kind} serves nothing; not migrated`)
      L.lost(fe.line, obj, 'not migrated: disabled')
      for (const l of fe.lines) if (l !== off) L.lost(l.line, obj, `in ${obj}, which is disabled`)
      continue
    }
    const accessLines = fe.lines.filter(isAccessRule)
    // Source-address rules vipctl applies itself (vipctl.io/allow-source-ranges, deny-source-ranges): the rest block.
    // Those of a defaults section hold here too (said on their own lines).
    const ranges = sourceRanges(fe, [...D.access, ...accessLines])
    const access = ranges ? [] : [...D.access, ...accessLines]
    if (access.length > 0) {
      for (const l of access) L.lost(l.line, D.access.includes(l) ? 'defaults' : obj, `${l.words.slice(0, 2).join(' ')}: an access rule vipctl cannot apply; the ${D.access.includes(l) ? 'proxies after it are' : `${fe.kind} is`} not migrated (serving without the rule would open routes): put the restriction in the application, or remove the rule if the routes may be open`)
      L.lost(fe.line, obj, 'not migrated: it holds access rules (see them)')
      for (const l of fe.lines) if (!access.includes(l)) L.lost(l.line, obj, `in ${obj}, which is not migrated (access rules)`)
      continue
    }
    // HAProxy's own statistics page (stats enable/uri, no servers): vipctl has its own (vipctl stats, the metrics endpoint).
    if (fe.lines.some((l) => l.words[0] === 'stats') && !fe.lines.some((l) => l.words[0] === 'server' || l.words[0] === 'use_backend' || l.words[0] === 'default_backend')) {
      L.lost(fe.line, obj, "HAProxy's statistics page is not carried over: vipctl serves its own statistics (vipctl stats)")
      for (const l of fe.lines) L.lost(l.line, obj, `in ${obj}, the statistics page (not carried over)`)
      continue
    }
    if (ranges) for (const x of ranges.lines) x.approximate ? L.approximate(x.line, obj, x.approximate) : L.exact(x.line, 'vipctl.io/allow-source-ranges or deny-source-ranges on the Ingress')
    for (const l of fe.lines) {
      const [kw, ...a] = l.words
      if (ranges?.lines.some((x) => x.line === l.line)) continue
      if (kw === 'bind') {
        const m = /^(\[?[0-9a-fA-F:.*]*\]?):(\d+)$/.exec(a[0] ?? '')
        const port = Number(m?.[2])
        if (!m || port < 1 || port > 65535) {
          L.lost(l.line, obj, `bind ${a[0]}: only ADDRESS:PORT binds (ports 1-65535) are carried over`)
          continue
        }
        const b = {ip: m[1]!.replace(/[[\]]/g, ''), port, crts: [] as string[], line: l.line, acceptProxy: false}
        // Tokens: bind=0, address=1, options from 2 (a[i] is token i + 1).
        const used = [0, 1]
        for (let i = 1; i < a.length; i++) {
          const x = a[i]!
          const v = a[i + 1]
          if (x === 'ssl') used.push(i + 1)
          else if (x === 'crt' && v) b.crts.push(v), used.push(i + 1, i + 2), i++
          else if (x === 'crt-list' && v) b.crts.push(v), L.manual(l.line, obj, `crt-list ${v}: its certificates are not read (one TLS Secret is named for the list): list them as crt, or create their TLS Secrets and spec.tls entries yourself`, [i + 1, i + 2]), i++
          else if (x === 'alpn' && v) {
            // vipctl's TLS listeners offer h2 and http/1.1.
            if (v.split(',').every((p) => p === 'h2' || p === 'http/1.1')) used.push(i + 1, i + 2)
            else L.approximate(l.line, obj, `bind alpn ${v} -> h2,http/1.1 (what vipctl offers)`, [i + 1, i + 2])
            i++
          } else if (x === 'accept-proxy') (b.acceptProxy = true), used.push(i + 1)
          else L.lost(l.line, obj, `bind option ${x} is not carried over`, [i + 1])
        }
        if (a.includes('ssl') && b.crts.length === 0 && !a.includes('crt-list')) L.lost(l.line, obj, 'bind ... ssl without crt: no certificate to carry over')
        binds.push(b)
        L.exact(l.line, '', used)
      } else if (kw === 'mode' && (a[0] === 'http' || a[0] === 'tcp')) (mode = a[0]), (modeLine = l.line), L.exact(l.line, '', 2)
      else if (kw === 'acl' && a[0]) {
        const r = parseAcl(a.slice(1), l.line)
        if ('unsupported' in r) L.lost(l.line, obj, `acl ${a[0]}: ${r.unsupported}`)
        else {
          if (r.path?.approximate) L.approximate(l.line, obj, `acl ${a[0]}: ${r.path.approximate}`)
          if (r.hostApproximate) L.approximate(l.line, obj, `acl ${a[0]}: ${r.hostApproximate}`)
          acls.set(a[0], r)
        }
      } else if (kw === 'use_backend' && a[0]) {
        const i = a.indexOf('if')
        const raw = i >= 0 ? a.slice(i + 1) : []
        // An anonymous acl `{ criterion values }` is an acl of this line.
        const cond: string[] = []
        let bad = a.includes('unless')
        for (let j = 0; j < raw.length && !bad; j++) {
          if (raw[j] !== '{') {
            cond.push(raw[j]!)
            continue
          }
          const end = raw.indexOf('}', j)
          const r = end > j ? parseAcl(raw.slice(j + 1, end), l.line) : {unsupported: 'an unterminated { }'}
          if ('unsupported' in r) bad = true
          else {
            const anon = `{${raw.slice(j + 1, end).join(' ')}}`
            acls.set(anon, r)
            cond.push(anon)
            if (r.path?.approximate) L.approximate(l.line, obj, `${anon}: ${r.path.approximate}`)
            if (r.hostApproximate) L.approximate(l.line, obj, `${anon}: ${r.hostApproximate}`)
          }
          j = end
        }
        if (bad || cond.some((c) => c === '||' || c === 'or' || c.startsWith('!'))) L.lost(l.line, obj, `use_backend ${a[0]}: conditions with unless, ||, ! or acls vipctl cannot express are not carried over`)
        else uses.push({backend: a[0], cond, line: l.line})
      } else if (kw === 'default_backend' && a[0]) (dflt = a[0]), L.exact(l.line, '', 2)
      else if ((kw === 'http-request' && a[0] === 'redirect' && a[1] === 'scheme' && a[2] === 'https') || (kw === 'redirect' && a[0] === 'scheme' && a[1] === 'https')) {
        const rest = kw === 'redirect' ? a.slice(2) : a.slice(3)
        const ci = rest.indexOf('code')
        const code = ci >= 0 ? Number(rest[ci + 1]) : 302
        const cond = rest.filter((_, i) => i !== ci && i !== ci + 1 || ci < 0).join(' ')
        // Unconditional, or only for plain-HTTP connections: both redirect every plain request.
        const all = cond === '' || /^if !\{ ssl_fc \}$/.test(cond) || /^unless \{ ssl_fc \}$/.test(cond)
        if (!all) L.lost(l.line, obj, `redirect with the condition "${cond}": vipctl redirects the Ingress's TLS hosts; not carried over`)
        else redirect = {code, line: l.line, all}
      } else if ((kw === 'http-request' || kw === 'http-response') && ['set-header', 'add-header', 'del-header'].includes(a[0] ?? '')) {
        const [op, name, value, ...rest] = a.slice(0)
        const v = op === 'del-header' ? undefined : value
        const shape = name !== undefined && (op === 'del-header' ? value === undefined && rest.length === 0 : v !== undefined && rest.length === 0)
        // Forwarding headers are vipctl's own on every listener, set from the connection: the rule is what vipctl does,
        // or a value vipctl does not send (never written as a route rule, which would hold on both listeners).
        const fwd = kw === 'http-request' && name !== undefined && /^(x-forwarded-(for|proto|host|port)|x-real-ip|forwarded)$/i.test(name)
        if (shape && op !== 'del-header' && SENSITIVE_HEADER.test(name!)) {
          L.manual(l.line, obj, `${kw} ${op} ${name} carries a credential, not written into an annotation (everyone who may read the Ingress could read it): set it where the application or a Secret keeps it`)
          continue
        }
        // X-Forwarded-Proto set by the TLS test of the connection (if { ssl_fc } / if !{ ssl_fc }) is the listener's scheme too.
        const sslCond = rest.join(' ')
        const bySsl = op === 'set-header' && name?.toLowerCase() === 'x-forwarded-proto' && /^(if|unless) !?\{ ssl_fc \}$/.test(sslCond) && value !== undefined
        if ((shape || bySsl) && fwd) {
          const n = name!.toLowerCase()
          const tls = fe.lines.some((x) => x.words[0] === 'bind' && (x.words.includes('crt') || x.words.includes('crt-list')))
          const plain = fe.lines.some((x) => x.words[0] === 'bind' && !(x.words.includes('crt') || x.words.includes('crt-list')))
          // With a condition: the value it gives on the TLS listener and on the plain one.
          const onTls = bySsl ? (/^if \{|^unless !\{/.test(sslCond) ? v : undefined) : v
          const onPlain = bySsl ? (/^if !\{|^unless \{/.test(sslCond) ? v : undefined) : v
          const sameProto = (!tls || onTls === undefined || onTls === 'https') && (!plain || onPlain === undefined || onPlain === 'http') && (bySsl || v === (tls ? 'https' : 'http'))
          const same = op === 'del-header' ? ['x-forwarded-host', 'x-forwarded-port', 'forwarded'].includes(n) : n === 'x-forwarded-proto' ? sameProto : (n === 'x-forwarded-for' || n === 'x-real-ip') && v === '%[src]'
          if (same) L.exact(l.line, `vipctl ${op === 'del-header' ? 'removes' : 'sets'} ${name} itself, from the connection`)
          else L.approximate(l.line, obj, `${kw} ${op} ${name}${v !== undefined ? ` ${v}` : ''} -> what vipctl does on every listener: X-Forwarded-For and X-Real-IP the client's address, X-Forwarded-Proto the listener's scheme, X-Forwarded-Host, X-Forwarded-Port and Forwarded removed`)
          continue
        }
        const rule = op === 'del-header' ? `remove ${name}` : `${op === 'set-header' ? 'set' : 'add'} ${name}: ${v}`
        const list = kw === 'http-request' ? headers.request : headers.response
        // The rules so far plus this one must be what the annotation's own parser accepts (one grammar).
        const parse = kw === 'http-request' ? ANNOTATIONS.requestHeaders.parse : ANNOTATIONS.responseHeaders.parse
        if (!shape || parse([...list, rule].join('\n')) === undefined)
          L.lost(l.line, obj, `${kw} ${op} ${name ?? ''}: only unconditional header rules with literal values vipctl.io/${kw === 'http-request' ? 'request' : 'response'}-headers takes are carried over (${kw === 'http-request' ? ANNOTATIONS.requestHeaders.expect : ANNOTATIONS.responseHeaders.expect})`)
        else {
          list.push(rule)
          headers.lines.push(l.line)
        }
      } else if (kw === 'timeout' && a[0] === 'client' && haproxyTime(a[1]) !== undefined) (clientTimeout = {ms: haproxyTime(a[1])!, line: l.line}), L.exact(l.line, '', 3)
      else if (kw === 'option' && a[0] === 'forwardfor') L.exact(l.line, 'vipctl always sets X-Forwarded-For', 2)
      else if (kw === 'option' && ['httplog', 'tcplog', 'dontlognull', 'http-server-close', 'http-keep-alive'].includes(a[0] ?? '')) L.lost(l.line, obj, `option ${a[0]}: not carried over (vipctl sets its own)`)
      else if (fe.kind === 'listen' && ['server', 'balance', 'option', 'http-check', 'timeout', 'hash-type', 'cookie', 'stick-table', 'stick', 'retries', 'retry-on'].includes(kw ?? '')) continue
      else L.lost(l.line, obj, `not carried over: ${l.text.slice(0, 100)}`)
    }
    if (fe.kind === 'listen') dflt = fe.name
    if (binds.length === 0) {
      L.lost(fe.line, obj, 'no bind line: not carried over')
      continue
    }
    const vipOf = (b: {ip: string; line: number}) => {
      if (b.ip === '' || b.ip === '*' || b.ip === '0.0.0.0' || b.ip === '::') {
        L.manual(b.line, obj, 'bound to every address: set the VIP with vipctl.io/vip (or vipctl --vip / --vip-pool)', [1])
        return undefined
      }
      const vip = vipAddress(b.ip)
      if (vip === undefined) L.manual(b.line, obj, `${b.ip} is not an address a VIP can be (unicast, not link-local): set the VIP with vipctl.io/vip (or vipctl --vip / --vip-pool)`, [1])
      return vip
    }
    const listenerAnn: Record<string, string> = {}
    if (binds.some((b) => b.acceptProxy)) listenerAnn['vipctl.io/accept-proxy'] = 'true'
    if (clientTimeout && clientTimeout.ms !== VIPCTL_DEFAULTS.client) {
      const d = duration(clientTimeout.ms)
      if (d) listenerAnn['vipctl.io/timeout-client'] = d
    }
    if (mode === 'tcp' && ranges) {
      // A LoadBalancer Service with source ranges is not served by vipctl yet (VIP2024): not migrated rather than opened.
      L.lost(fe.line, obj, 'source restrictions on a TCP listener: vipctl does not apply source ranges to LoadBalancer Services yet; not migrated (serving it without them would open it)')
      for (const l of fe.lines) L.lost(l.line, obj, `in ${obj}, which is not migrated (source restrictions on a TCP listener)`)
      continue
    }
    if (mode === 'tcp') {
      const s = dflt ? serviceFor(dflt, fe.line) : undefined
      if (!s) {
        if (!dflt || !blockedBackends.has(dflt)) L.lost(fe.line, obj, 'a TCP frontend without default_backend is not carried over')
        continue
      }
      const vip = vipOf(binds[0]!)
      const spec = s.svc.spec as Record<string, unknown>
      spec.type = 'LoadBalancer'
      spec.loadBalancerClass = 'vipctl.io/lb'
      ;(spec.ports as Array<Record<string, unknown>>)[0]!.port = binds[0]!.port
      Object.assign(s.svc.metadata.annotations!, listenerAnn, vip ? {'vipctl.io/vip': vip} : {})
      keepIdle(s, clientTimeout?.ms)
      if (binds[0]!.crts.length)
        L.approximate(binds[0]!.line, obj, `TLS terminated by HAProxy on a TCP listener -> passed through as TCP by vipctl (a LoadBalancer Service): the members must speak TLS themselves (certificates ${binds[0]!.crts.join(', ')} are not used), or serve them through an HTTP Ingress with spec.tls`)
      for (const b of binds.slice(1)) L.lost(b.line, obj, 'only the first bind of a TCP frontend is carried over (one LoadBalancer port)')
      for (const u of uses) L.lost(u.line, obj, 'use_backend in a TCP frontend: only default_backend is carried over')
      for (const x of headers.lines) L.lost(x, obj, 'header rules apply to HTTP only')
      continue
    }
    const rules = new Map<string, Array<{path: string; pathType: string; backend: {service: {name: string; port: {number: number}}}}>>()
    const earlier: Array<{host: string; match: {path: string; pathType: 'Exact' | 'Prefix'}; backend: string; line: number}> = []
    for (const u of uses) {
      const conds = u.cond.map((c) => acls.get(c))
      if (conds.some((c) => !c)) {
        L.lost(u.line, obj, `use_backend ${u.backend}: an acl in "${u.cond.join(' ')}" was not carried over`)
        continue
      }
      const hostAcl = conds.find((c) => c!.hosts || c!.hostWildcard)
      const pathAcl = conds.find((c) => c!.path)
      if (conds.length > (hostAcl ? 1 : 0) + (pathAcl ? 1 : 0)) {
        L.lost(u.line, obj, `use_backend ${u.backend}: more than one host and one path acl is not carried over`)
        continue
      }
      const s = serviceFor(u.backend, u.line)
      if (!s) continue
      for (const c of u.cond) aclUsed.add(c)
      L.exact(u.line)
      const hosts = hostAcl ? (hostAcl.hosts ?? [hostAcl.hostWildcard!]) : ['']
      const p = pathAcl?.path ?? {path: '/', pathType: 'Prefix' as const}
      // HAProxy takes the first use_backend that matches; the routing module the most specific rule: say where they differ.
      for (const h of hosts) {
        const first = firstMatchTakes(earlier, {host: h, match: {path: p.path, pathType: p.pathType}})
        if (first) L.approximate(u.line, obj, `use_backend ${u.backend}: requests for ${h || '(any host)'}${p.path} that also match the earlier use_backend ${first.backend} (line ${first.line}) went there in HAProxy; in Kubernetes this rule wins (its host or path is more specific)`)
      }
      for (const h of hosts) earlier.push({host: h, match: {path: p.path, pathType: p.pathType}, backend: u.backend, line: u.line})
      for (const h of hosts) {
        const list = rules.get(h) ?? []
        if (!list.some((r) => r.path === p.path && r.pathType === p.pathType)) list.push({path: p.path, pathType: p.pathType, backend: {service: {name: s.name, port: {number: s.port}}}})
        else L.approximate(u.line, obj, `use_backend ${u.backend}: ${h || '(any host)'}${p.path} was already routed by an earlier use_backend, which wins in HAProxy; this one is left out`)
        rules.set(h, list)
      }
    }
    for (const [name, acl] of acls) if (!aclUsed.has(name)) L.lost(acl.line, obj, `acl ${name} is used by no use_backend carried over`)
    for (const [name, acl] of acls) if (aclUsed.has(name)) L.exact(acl.line)
    const d = dflt ? serviceFor(dflt, fe.line) : undefined
    if (rules.size === 0 && !d) {
      L.lost(fe.line, obj, 'no use_backend or default_backend could be carried over: no Ingress')
      continue
    }
    // The idle time of tunnels (WebSocket) behind this listener: its own client timeout with each Service's.
    for (const be of new Set([...uses.map((u) => u.backend), ...(dflt ? [dflt] : [])])) {
      const sv = services.get(be)
      if (sv) keepIdle(sv, clientTimeout?.ms)
    }
    const http = binds.find((b) => b.crts.length === 0)
    const https = binds.find((b) => b.crts.length > 0)
    for (const b of binds) if (b !== http && b !== https) L.lost(b.line, obj, `another ${b.crts.length ? 'TLS' : 'plain'} bind on ${b.ip}:${b.port}: an Ingress has one HTTP and one HTTPS port`)
    const vip = vipOf(https ?? http!)
    const annotations: Record<string, string> = {'migrate.vipctl.io/source': `${path.basename(opts.file)}:${fe.line} ${fe.kind} ${fe.name}`, ...(vip ? {'vipctl.io/vip': vip} : {})}
    if (http && http.port !== 80) annotations['vipctl.io/http-port'] = String(http.port)
    if (https && https.port !== 443) annotations['vipctl.io/https-port'] = String(https.port)
    if (ranges?.allow.length) annotations['vipctl.io/allow-source-ranges'] = ranges.allow.join(',')
    if (ranges?.deny.length) annotations['vipctl.io/deny-source-ranges'] = ranges.deny.join(',')
    if (headers.request.length) annotations['vipctl.io/request-headers'] = headers.request.join('\n')
    if (headers.response.length) annotations['vipctl.io/response-headers'] = headers.response.join('\n')
    for (const x of headers.lines) L.exact(x, 'vipctl.io/request-headers or response-headers on the Ingress')
    // Listener settings (accept-proxy, client timeout) are the IngressClass's, the operator's object.
    const spec: Record<string, unknown> = {ingressClassName: Object.keys(listenerAnn).length ? listenerClass(objects, listenerAnn) : 'vipctl'}
    // A default backend takes no route settings (source ranges, header rules: it answers for the whole VIP): a rule for / does.
    if (d && (ranges || headers.request.length || headers.response.length)) {
      const list = rules.get('') ?? []
      if (!list.some((r) => r.path === '/' && r.pathType === 'Prefix')) list.push({path: '/', pathType: 'Prefix', backend: {service: {name: d.name, port: {number: d.port}}}})
      rules.set('', list)
    } else if (d) spec.defaultBackend = {service: {name: d.name, port: {number: d.port}}}
    // The HTTP side of this site may be another frontend that only redirects (see redirectSide).
    const side = !http && https ? redirectSide.get(https.ip) : undefined
    if (side) {
      redirect ??= {code: side.code, line: side.line, all: true}
      if (side.port !== 80) annotations['vipctl.io/http-port'] = String(side.port)
    }
    if (https) {
      annotations['vipctl.io/ssl-redirect'] = redirect ? 'true' : 'false'
      if (!http && !side) {
        // Nothing of this frontend listened in plain HTTP; vipctl also serves an Ingress with TLS on its HTTP port.
        annotations['vipctl.io/ssl-redirect'] = 'true'
        const plainHere = sections.filter((x) => x !== fe && (x.kind === 'frontend' || x.kind === 'listen') && bindsOf(x).some((b) => !b.tls && b.m && b.m[1]!.replace(/[[\]]/g, '') === https.ip)).map((x) => `${x.kind} ${x.name}`)
        L.approximate(https.line, obj, `no plain-HTTP listener in this ${fe.kind} -> vipctl also listens on HTTP (port 80) for an Ingress with TLS: its TLS hosts are redirected to HTTPS (vipctl.io/ssl-redirect "true")${rules.has('') || d ? ', rules without a host and the default backend are served in plain HTTP there' : ''}${plainHere.length ? `; ${plainHere.join(', ')} also serves plain HTTP on ${https.ip}: where their rules meet, the older object's win` : ''}`, [0, 1])
      }
      // Every certificate: one TLS Secret each, with the hosts it covers (SNI); hosts no certificate covers are said.
      const tls: Array<{hosts?: string[]; secretName: string}> = []
      const covered = new Set<string>()
      const secretNames = new Set<string>()
      for (const crt of https.crts) {
        const base = path.basename(crt).replace(/\.(pem|crt)$/, '')
        const secretName = k8sName(base, secretNames, 'tls')
        const pem = opts.readFile?.(crt)
        const cert = pem ? /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] : undefined
        const key = pem ? /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)?.[0] : undefined
        const names = cert ? pemNames(cert) : undefined
        const hosts = [...rules.keys()].filter((h) => h !== '' && !covered.has(h) && (!names || certCovers(names, h)))
        for (const h of hosts) covered.add(h)
        tls.push({...(hosts.length ? {hosts} : {}), secretName})
        if (cert && key) {
          try {
            new X509Certificate(cert)
            secrets.push({apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: {name: secretName, namespace}, data: {'tls.crt': Buffer.from(`${cert}\n`).toString('base64'), 'tls.key': Buffer.from(`${key}\n`).toString('base64')}})
          } catch {
            L.manual(https.line, obj, `${crt} is not a PEM certificate: create the TLS Secret ${secretName} yourself`)
          }
        } else L.manual(https.line, obj, `create the TLS Secret yourself: kubectl create secret tls ${secretName} -n ${namespace} --cert=... --key=... (from ${crt}; or pass --cert-dir and --out)`)
      }
      const uncovered = [...rules.keys()].filter((h) => h !== '' && !covered.has(h))
      if (uncovered.length) L.approximate(https.line, obj, `no certificate covers ${uncovered.join(', ')}: left out of spec.tls (served with the default certificate, without the HTTPS redirect)`)
      spec.tls = tls
      if (redirect) {
        const changes: string[] = []
        if (redirect.code !== 308) changes.push(`status ${redirect.code} -> 308`)
        if (uncovered.length || rules.has('') || d) changes.push(`every plain-HTTP request -> only requests for the TLS hosts (${[...covered].join(', ') || 'none'}); ${[uncovered.length ? `${uncovered.join(', ')}` : '', rules.has('') ? 'rules without a host' : '', d ? 'the default backend' : ''].filter(Boolean).join(', ')} remain plain HTTP`)
        if (changes.length) L.approximate(redirect.line, obj, `redirect to HTTPS: ${changes.join('; ')}`)
        else L.exact(redirect.line, 'vipctl.io/ssl-redirect: "true"')
      }
    } else if (redirect) L.approximate(redirect.line, obj, 'redirects to HTTPS but binds no TLS port here: not carried over (add spec.tls to the Ingress for vipctl to redirect); plain HTTP is served instead')
    if (rules.size) spec.rules = [...rules.entries()].map(([host, paths]) => ({...(host ? {host} : {}), http: {paths}}))
    if (modeLine === undefined && D.mode !== 'http') L.exact(fe.line, '', hdr(fe))
    objects.push({apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name: k8sName(fe.name, taken), namespace, labels: {'app.kubernetes.io/managed-by': 'vipctl-migrate'}, annotations}, spec})
  }
  for (const be of backends.values()) if (be.kind === 'backend' && !services.has(be.name)) {
    L.lost(be.line, `backend ${be.name}`, 'no frontend carried over uses it: not carried over')
    for (const l of be.lines) L.lost(l.line, `backend ${be.name}`, 'in a backend no frontend uses')
  }
  const {ledger, report} = L.close((line) => where.get(line) ?? 'haproxy.cfg')
  return {objects, secrets, ledger, report}
}

function sectionHeader(s: CfgSection): string {
  return `${s.kind === 'other' ? '' : s.kind}${s.name ? ` ${s.name}` : ''}`.trim()
}

/**
 * haproxy.cfg words as they may be shown: passwords (userlist `password`/`insecure-password`, `stats auth USER:PASS`),
 * and the values of headers that carry credentials, become "***". Never the words migrate reads.
 */
export function redactCfg(words: string[]): string[] {
  const out = words.map(redactText)
  if (/^(setenv|presetenv|resetenv)$/.test(words[0] ?? '') && words[2] !== undefined) for (let i = 2; i < words.length; i++) out[i] = '***'
  for (let i = 0; i < words.length - 1; i++) {
    const w = words[i]!.toLowerCase()
    if (w === 'password' || w === 'insecure-password') out[i + 1] = '***'
    if (w === 'auth' && words[i - 1]?.toLowerCase() === 'stats') out[i + 1] = words[i + 1]!.replace(/:.*$/, ':***')
    // A header with a credential: every word after its name (set-header, add-header, replace-header, http-check ... hdr).
    if (/^(set|add|replace|early-hint)-header$|^hdr$/.test(w) && SENSITIVE_HEADER.test(words[i + 1] ?? '')) for (let j = i + 2; j < words.length && !['if', 'unless', 'hdr', 'body', 'ver', 'uri', 'meth'].includes(words[j]!); j++) out[j] = '***'
  }
  return out
}

/**
 * A frontend's access rules when all of them are source-address rules vipctl applies itself:
 *   http-request deny [deny_status N] if|unless [!]ACL|[!]{ src NETS }   (ACL: `acl NAME src NETS`)
 *   tcp-request connection|content reject if|unless ...the same
 * "deny unless in N" (or "if !in N") is an allow list, "deny if in N" a deny list; at most one allow list (two would
 * be their intersection). undefined when any access rule is something else (the frontend is then not migrated).
 */
function sourceRanges(fe: CfgSection, access: CfgLine[]): {allow: string[]; deny: string[]; lines: Array<{line: number; approximate?: string}>} | undefined {
  if (access.length === 0) return undefined
  const out = {allow: [] as string[], deny: [] as string[], lines: [] as Array<{line: number; approximate?: string}>}
  let allows = 0
  for (const l of access) {
    const w = l.words
    let i: number
    let approximate: string | undefined
    if (w[0] === 'http-request' && w[1] === 'deny') {
      i = 2
      if (w[i] === 'deny_status') {
        if (w[i + 1] !== '403') approximate = `deny_status ${w[i + 1]} -> 403 (vipctl answers sources it does not admit with 403)`
        i += 2
      }
    } else if (w[0] === 'tcp-request' && (w[1] === 'connection' || w[1] === 'content') && (w[2] === 'reject' || w[2] === 'silent-drop')) {
      i = 3
      approximate = `the connection refused -> an HTTP 403 answer (vipctl checks source ranges per route)`
    } else return undefined
    const unless = w[i] === 'unless'
    if (w[i] !== 'if' && !unless) return undefined
    let cond = w.slice(i + 1)
    let neg = false
    if (cond[0]?.startsWith('!')) {
      neg = true
      cond = cond[0] === '!' ? cond.slice(1) : [cond[0].slice(1), ...cond.slice(1)]
    }
    let nets: string[] | undefined
    const aclLines: number[] = []
    if (cond[0] === '{' && cond[1] === 'src' && cond[cond.length - 1] === '}' && cond.length > 3) nets = cond.slice(2, -1)
    else if (cond.length === 1) {
      const acls = fe.lines.filter((x) => x.words[0] === 'acl' && x.words[1] === cond[0])
      if (acls.length === 0 || acls.some((x) => x.words[2] !== 'src' || x.words.length < 4)) return undefined
      nets = acls.flatMap((x) => x.words.slice(3))
      appendAll(aclLines, acls.map((x) => x.line))
    }
    const parsed = nets ? ANNOTATIONS.allowSourceRanges.parse(nets.join(',')) : undefined
    if (!parsed) return undefined
    // Denied when the source is outside the networks: an allow list. Denied when inside: a deny list.
    if (neg !== unless) {
      if (++allows > 1) return undefined
      appendAll(out.allow, parsed)
    } else appendAll(out.deny, parsed.filter((n) => !out.deny.includes(n)))
    out.lines.push({line: l.line, ...(approximate ? {approximate} : {})}, ...aclLines.filter((x) => !out.lines.some((y) => y.line === x)).map((line) => ({line})))
  }
  return out
}

/**
 * A rule that keeps some requests from the members: `http-request|http-response deny|auth|tarpit|reject|silent-drop`,
 * any `http-request return` (a response the proxy makes itself, whatever its status), `tcp-request ... reject|
 * silent-drop`, the old `block`. Kept (as source ranges), or the proxy is not migrated: served without it, those
 * requests would reach the members.
 */
function isAccessRule(l: CfgLine): boolean {
  const [kw, a] = l.words
  if (kw === 'block') return true
  if (kw === 'tcp-request' || kw === 'tcp-response') return l.words.includes('reject') || l.words.includes('silent-drop')
  if (kw !== 'http-request' && kw !== 'http-response') return false
  return ['deny', 'auth', 'tarpit', 'reject', 'silent-drop', 'return'].includes(a ?? '')
}
