/**
 * `vipctl migrate haproxy`: an existing haproxy.cfg -> Kubernetes objects.
 *   backends (servers, balance) -> Services with EndpointSlices (or a Pod selector);
 *   HTTP frontends: bind -> VIP and port, acl + use_backend on host and path ->
 *     Ingress rules, default_backend -> defaultBackend, `bind ... ssl crt` -> TLS,
 *     `redirect scheme https` -> vipctl.io/ssl-redirect;
 *   TCP frontends and listen sections -> Services of type LoadBalancer.
 * Everything else is reported with its line, as for ns.conf.
 */
import {X509Certificate} from 'node:crypto'
import {isIP} from 'node:net'
import path from 'node:path'
import type {Diagnostic} from '../cluster/types.js'
import {DataError} from '../errors.js'
import {certCovers} from '../model/grammar.js'
import {endpointSlices, k8sName, pemNames, type K8s, type MigrateResult} from './netscaler.js'
import {severityOf} from '../core/catalog.js'

export interface CfgLine {
  line: number
  words: string[]
  text: string
}

export interface CfgSection {
  kind: 'global' | 'defaults' | 'frontend' | 'backend' | 'listen' | 'other'
  name: string
  line: number
  lines: CfgLine[]
}

/** Splits haproxy.cfg into sections of word lists (quotes, backslash escapes, # comments). */
export function parseHaproxyCfg(text: string): CfgSection[] {
  if (text.length > 32 * 1024 * 1024) throw new DataError('haproxy.cfg: larger than 32 MiB')
  const sections: CfgSection[] = []
  let cur: CfgSection | undefined
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1
    const words: string[] = []
    let w = ''
    let inWord = false
    let quote: string | undefined
    for (let j = 0; j < raw.length; j++) {
      const c = raw[j]!
      if (quote) {
        if (c === '\\' && j + 1 < raw.length) w += raw[++j]
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
        w += raw[++j]
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
    if (quote) throw new DataError(`haproxy.cfg:${line}: unterminated quoted string`)
    if (inWord) words.push(w)
    if (words.length === 0) return
    const kw = words[0]!
    if (['global', 'defaults', 'frontend', 'backend', 'listen', 'resolvers', 'peers', 'userlist', 'program', 'cache', 'mailers', 'http-errors', 'ring'].includes(kw) && !/^\s/.test(raw)) {
      cur = {kind: (['global', 'defaults', 'frontend', 'backend', 'listen'].includes(kw) ? kw : 'other') as CfgSection['kind'], name: words[1] ?? '', line, lines: []}
      sections.push(cur)
      return
    }
    if (!cur) {
      cur = {kind: 'other', name: '', line, lines: []}
      sections.push(cur)
    }
    cur.lines.push({line, words, text: raw.trim()})
  })
  return sections
}

interface Acl {
  hosts?: string[]
  hostWildcard?: string
  path?: {path: string; pathType: 'Exact' | 'Prefix'; approximate?: string}
  line: number
}

/** The acl criteria that map to Ingress host and path rules. */
function parseAcl(words: string[], line: number): Acl | {unsupported: string} {
  const [crit, ...rest] = words
  const values = rest.filter((x) => !x.startsWith('-'))
  const ci = rest.includes('-i')
  if (!crit || values.length === 0) return {unsupported: 'acl without values'}
  if (/^(req\.)?hdr\(host\)$/i.test(crit) || /^(req\.)?hdr\(host\),field\(1,:\)$/i.test(crit) || crit === 'req.hdr(host),lower') {
    if (!ci && !/lower/.test(crit)) return {hosts: values.map((v) => v.toLowerCase()), line}
    return {hosts: values.map((v) => v.toLowerCase().replace(/:\d+$/, '')), line}
  }
  if (/^(req\.)?hdr_end\(host\)$/i.test(crit) && values.length === 1 && values[0]!.startsWith('.')) return {hostWildcard: `*${values[0]!.toLowerCase()}`, line}
  if (crit === 'path' && values.length === 1) return {path: {path: values[0]!, pathType: 'Exact'}, line}
  if (crit === 'path_beg' && values.length === 1) {
    const v = values[0]!
    if (v === '/') return {path: {path: '/', pathType: 'Prefix'}, line}
    if (v.endsWith('/')) return {path: {path: v.replace(/\/+$/, ''), pathType: 'Prefix', approximate: `path_beg ${v} does not match ${v.replace(/\/+$/, '')} itself; the Kubernetes Prefix does`}, line}
    return {path: {path: v, pathType: 'Prefix', approximate: `path_beg ${v} also matches ${v}x...; a Kubernetes Prefix matches whole path elements`}, line}
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

export function migrateHaproxy(sections: CfgSection[], opts: HaproxyMigrateOptions): MigrateResult {
  const report: Diagnostic[] = []
  const at = (line: number) => ({source: 'file' as const, file: opts.file, doc: 0, line})
  const say = (code: 'VIP5001' | 'VIP5002' | 'VIP5003', line: number, object: string, message: string) => report.push({severity: severityOf(code), code, object, message, origin: at(line)})
  const namespace = opts.namespace ?? 'default'
  const taken = new Set<string>()
  const objects: K8s[] = []
  const secrets: K8s[] = []
  const services = new Map<string, {name: string; port: number}>()
  const backends = new Map(sections.filter((s) => s.kind === 'backend' || s.kind === 'listen').map((s) => [s.name, s]))

  for (const s of sections.filter((x) => x.kind === 'global' || x.kind === 'defaults' || x.kind === 'other'))
    for (const l of s.lines) say('VIP5001', l.line, `${s.kind}${s.name ? ` ${s.name}` : ''}`, `not carried over: ${l.text.length > 100 ? `${l.text.slice(0, 97)}...` : l.text}`)

  const serviceFor = (beName: string, line: number): {name: string; port: number} | undefined => {
    if (services.has(beName)) return services.get(beName)
    const be = backends.get(beName)
    if (!be) {
      say('VIP5001', line, `backend ${beName}`, 'not defined in this file: the route is not carried over')
      return undefined
    }
    const members: Array<{ip: string; port: number}> = []
    let lbMethod: string | undefined
    for (const l of be.lines) {
      const [kw, ...a] = l.words
      if (kw === 'server' && a[1]) {
        const m = /^(\[?[0-9a-fA-F:.]+\]?):(\d+)$/.exec(a[1])
        const ip = m?.[1]?.replace(/[[\]]/g, '')
        if (!m || !ip || !isIP(ip)) {
          say('VIP5001', l.line, `backend ${beName}`, `server ${a[0]} ${a[1]}: only IP:port servers are carried over`)
          continue
        }
        if (ip === '0.0.0.0' && m[2] === '0') continue
        members.push({ip, port: Number(m[2])})
        const extra = a.slice(2).filter((x) => !['check', 'disabled'].includes(x) && !/^(inter|fall|rise|port|weight|maxconn)$/.test(x) && !/^\d+(ms|s)?$/.test(x))
        if (extra.length) say('VIP5001', l.line, `backend ${beName}`, `server options ${extra.join(' ')} are not carried over`)
      } else if (kw === 'balance') {
        if (['roundrobin', 'leastconn', 'source'].includes(a[0] ?? '')) lbMethod = a[0]
        else say('VIP5001', l.line, `backend ${beName}`, `balance ${a.join(' ')} has no vipctl equivalent (roundrobin, leastconn, source)`)
      } else if (kw === 'mode' || kw === 'hash-type' || (kw === 'timeout' && a[0] === 'check') || (kw === 'option' && a[0] === 'httpchk') || kw === 'http-check') {
        if (kw === 'option' || kw === 'http-check') {
          if (!(kw === 'http-check' && a[0] === 'expect')) say('VIP5003', l.line, `backend ${beName}`, `health check "${l.text}": give the Pods a readinessProbe (vipctl derives health checks from readiness probes)`)
        }
      } else if (be.kind === 'listen' && ['bind'].includes(kw ?? '')) {
        // handled with the listen section below
      } else say('VIP5001', l.line, `backend ${beName}`, `not carried over: ${l.text.length > 100 ? `${l.text.slice(0, 97)}...` : l.text}`)
    }
    // vipctl's own output names the Service in a comment-free way: <ns>_<svc>_<port>.
    const own = /^([a-z0-9-]+)_([a-z0-9-]+)_(\d+)(_tcp)?$/.exec(beName)
    const name = own && !taken.has(own[2]!) ? (taken.add(own[2]!), own[2]!) : k8sName(beName, taken)
    const ports = [...new Set(members.map((m) => m.port))]
    const port = own ? Number(own[3]) : ports.length === 1 ? ports[0]! : 80
    const selector = opts.selectors.get(beName) ?? opts.selectors.get(name)
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'vipctl-migrate'}, annotations: {'migrate.vipctl.io/source': `haproxy.cfg:${be.line} ${be.kind} ${beName}`, ...(lbMethod && lbMethod !== 'roundrobin' ? {'vipctl.io/lb-method': lbMethod} : {})}},
      spec: {...(selector ? {selector} : {}), ports: [{name: 'p', port, protocol: 'TCP', ...(ports.length === 1 && ports[0] !== port ? {targetPort: ports[0]} : {})}]},
    })
    if (!selector) {
      if (members.length === 0) say('VIP5003', be.line, `backend ${beName}`, `no servers: give Service ${namespace}/${name} a selector (--selector ${beName}=app=NAME)`)
      for (const o of endpointSlices(name, namespace, members)) objects.push(o)
    }
    const out = {name, port}
    services.set(beName, out)
    return out
  }

  for (const fe of sections.filter((x) => x.kind === 'frontend' || x.kind === 'listen')) {
    const binds: Array<{ip: string; port: number; crt?: string; line: number}> = []
    const acls = new Map<string, Acl>()
    const uses: Array<{backend: string; cond: string[]; line: number}> = []
    let mode = 'http'
    let dflt: string | undefined
    let redirect = false
    for (const l of fe.lines) {
      const [kw, ...a] = l.words
      if (kw === 'bind') {
        const m = /^(\[?[0-9a-fA-F:.*]*\]?):(\d+)$/.exec(a[0] ?? '')
        if (!m) {
          say('VIP5001', l.line, `${fe.kind} ${fe.name}`, `bind ${a[0]}: only ADDRESS:PORT binds are carried over`)
          continue
        }
        const crt = a.includes('ssl') ? (a[a.indexOf('crt') + 1] ?? (a.includes('crt-list') ? `crt-list:${a[a.indexOf('crt-list') + 1]}` : undefined)) : undefined
        binds.push({ip: m[1]!.replace(/[[\]]/g, ''), port: Number(m[2]), ...(crt ? {crt} : {}), line: l.line})
      } else if (kw === 'mode') mode = a[0] ?? 'http'
      else if (kw === 'acl' && a[0]) {
        const r = parseAcl(a.slice(1), l.line)
        if ('unsupported' in r) say('VIP5001', l.line, `${fe.kind} ${fe.name}`, `acl ${a[0]}: ${r.unsupported}`)
        else {
          if (r.path?.approximate) say('VIP5002', l.line, `${fe.kind} ${fe.name}`, `acl ${a[0]}: ${r.path.approximate}`)
          acls.set(a[0], r)
        }
      } else if (kw === 'use_backend' && a[0]) {
        const i = a.indexOf('if')
        const cond = i >= 0 ? a.slice(i + 1) : []
        if (a.includes('unless') || cond.some((c) => c === '||' || c === 'or' || c.startsWith('!') || c.startsWith('{'))) say('VIP5001', l.line, `${fe.kind} ${fe.name}`, `use_backend ${a[0]}: conditions with unless, ||, ! or anonymous acls are not carried over`)
        else uses.push({backend: a[0], cond, line: l.line})
      } else if (kw === 'default_backend' && a[0]) dflt = a[0]
      else if (kw === 'http-request' && a[0] === 'redirect' && a[1] === 'scheme' && a[2] === 'https') redirect = true
      else if (kw === 'option' && ['forwardfor', 'http-server-close', 'httplog', 'tcplog', 'dontlognull'].includes(a[0] ?? '')) say('VIP5001', l.line, `${fe.kind} ${fe.name}`, `option ${a[0]}: not carried over (vipctl sets its own)`)
      else if (fe.kind === 'listen' && ['server', 'balance', 'option', 'http-check', 'timeout', 'hash-type'].includes(kw ?? '')) continue
      else say('VIP5001', l.line, `${fe.kind} ${fe.name}`, `not carried over: ${l.text.length > 100 ? `${l.text.slice(0, 97)}...` : l.text}`)
    }
    if (fe.kind === 'listen') dflt = fe.name
    if (binds.length === 0) {
      say('VIP5001', fe.line, `${fe.kind} ${fe.name}`, 'no bind line: not carried over')
      continue
    }
    const vipOf = (b: {ip: string; line: number}) => {
      if (b.ip === '' || b.ip === '*' || b.ip === '0.0.0.0' || b.ip === '::') {
        say('VIP5003', b.line, `${fe.kind} ${fe.name}`, 'bound to every address: set the VIP with vipctl.io/vip (or vipctl --vip / --vip-pool)')
        return undefined
      }
      return b.ip
    }
    if (mode === 'tcp') {
      const s = dflt ? serviceFor(dflt, fe.line) : undefined
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === s?.name)
      if (!svc) {
        say('VIP5001', fe.line, `${fe.kind} ${fe.name}`, 'a TCP frontend without default_backend is not carried over')
        continue
      }
      const vip = vipOf(binds[0]!)
      const spec = svc.spec as Record<string, unknown>
      spec.type = 'LoadBalancer'
      spec.loadBalancerClass = 'vipctl.io/lb'
      ;(spec.ports as Array<Record<string, unknown>>)[0]!.port = binds[0]!.port
      if (vip) svc.metadata.annotations!['vipctl.io/vip'] = vip
      if (binds.length > 1) say('VIP5001', binds[1]!.line, `${fe.kind} ${fe.name}`, 'only the first bind of a TCP frontend is carried over')
      continue
    }
    const rules = new Map<string, Array<{path: string; pathType: string; backend: {service: {name: string; port: {number: number}}}}>>()
    for (const u of uses) {
      const conds = u.cond.map((c) => acls.get(c))
      if (conds.some((c) => !c)) {
        say('VIP5001', u.line, `${fe.kind} ${fe.name}`, `use_backend ${u.backend}: an acl in "${u.cond.join(' ')}" was not carried over`)
        continue
      }
      const hostAcl = conds.find((c) => c!.hosts || c!.hostWildcard)
      const pathAcl = conds.find((c) => c!.path)
      if (conds.length > (hostAcl ? 1 : 0) + (pathAcl ? 1 : 0)) {
        say('VIP5001', u.line, `${fe.kind} ${fe.name}`, `use_backend ${u.backend}: more than one host and one path acl is not carried over`)
        continue
      }
      const s = serviceFor(u.backend, u.line)
      if (!s) continue
      const hosts = hostAcl ? (hostAcl.hosts ?? [hostAcl.hostWildcard!]) : ['']
      const p = pathAcl?.path ?? {path: '/', pathType: 'Prefix' as const}
      for (const h of hosts) {
        const list = rules.get(h) ?? []
        if (!list.some((r) => r.path === p.path && r.pathType === p.pathType)) list.push({path: p.path, pathType: p.pathType, backend: {service: {name: s.name, port: {number: s.port}}}})
        else say('VIP5002', u.line, `${fe.kind} ${fe.name}`, `use_backend ${u.backend}: ${h || '(any host)'}${p.path} was already routed by an earlier use_backend, which wins in HAProxy; this one is left out`)
        rules.set(h, list)
      }
    }
    const d = dflt ? serviceFor(dflt, fe.line) : undefined
    if (rules.size === 0 && !d) {
      say('VIP5001', fe.line, `${fe.kind} ${fe.name}`, 'no use_backend or default_backend could be carried over: no Ingress')
      continue
    }
    const http = binds.find((b) => !b.crt)
    const https = binds.find((b) => b.crt)
    const vip = vipOf(https ?? http!)
    const annotations: Record<string, string> = {'migrate.vipctl.io/source': `haproxy.cfg:${fe.line} ${fe.kind} ${fe.name}`, ...(vip ? {'vipctl.io/vip': vip} : {})}
    if (http && http.port !== 80) annotations['vipctl.io/http-port'] = String(http.port)
    if (https && https.port !== 443) annotations['vipctl.io/https-port'] = String(https.port)
    const spec: Record<string, unknown> = {ingressClassName: 'vipctl'}
    if (d) spec.defaultBackend = {service: {name: d.name, port: {number: d.port}}}
    if (https) {
      annotations['vipctl.io/ssl-redirect'] = redirect ? 'true' : 'false'
      const base = path.basename(https.crt!).replace(/\.(pem|crt)$/, '')
      const secretName = k8sName(base, new Set(), 'tls')
      const pem = https.crt!.startsWith('crt-list:') ? undefined : opts.readFile?.(https.crt!)
      const cert = pem ? /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] : undefined
      const key = pem ? /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)?.[0] : undefined
      const names = cert ? pemNames(cert) : undefined
      const hosts = [...rules.keys()].filter((h) => {
        if (h === '' || !names || certCovers(names, h)) return h !== ''
        say('VIP5002', https.line, `${fe.kind} ${fe.name}`, `certificate ${https.crt} does not cover ${h}: left out of spec.tls (served with the default certificate, without the HTTPS redirect)`)
        return false
      })
      spec.tls = [{...(hosts.length ? {hosts} : {}), secretName}]
      if (cert && key) {
        try {
          new X509Certificate(cert)
          secrets.push({apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: {name: secretName, namespace}, data: {'tls.crt': Buffer.from(`${cert}\n`).toString('base64'), 'tls.key': Buffer.from(`${key}\n`).toString('base64')}})
        } catch {
          say('VIP5003', https.line, `${fe.kind} ${fe.name}`, `${https.crt} is not a PEM certificate: create the TLS Secret ${secretName} yourself`)
        }
      } else say('VIP5003', https.line, `${fe.kind} ${fe.name}`, `create the TLS Secret yourself: kubectl create secret tls ${secretName} -n ${namespace} --cert=... --key=... (from ${https.crt}; or pass --cert-dir and --out)`)
    } else if (redirect) say('VIP5002', fe.line, `${fe.kind} ${fe.name}`, 'redirects to HTTPS but binds no TLS port here: add spec.tls to the Ingress for vipctl to redirect')
    if (rules.size) spec.rules = [...rules.entries()].map(([host, paths]) => ({...(host ? {host} : {}), http: {paths}}))
    objects.push({apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name: k8sName(fe.name, taken), namespace, labels: {'app.kubernetes.io/managed-by': 'vipctl-migrate'}, annotations}, spec})
  }
  for (const be of backends.values()) if (be.kind === 'backend' && !services.has(be.name)) say('VIP5001', be.line, `backend ${be.name}`, 'no frontend uses it: not carried over')
  const lineOf = (x: Diagnostic) => (x.origin && 'line' in x.origin ? x.origin.line : 0)
  return {objects, secrets, report: report.map((x, i) => ({x, i})).sort((a, b) => lineOf(a.x) - lineOf(b.x) || a.i - b.i).map((y) => y.x)}
}
