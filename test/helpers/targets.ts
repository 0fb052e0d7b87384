/**
 * Every target rendered from one snapshot, the way the commands render them
 * (HAProxy, NetScaler ns.conf and NITRO, nftables and iptables in bind and
 * dnat modes), and each target's own grammar, written independently of the
 * serializers: what a parser of that target would accept as one well-formed
 * line, with nothing from an object able to start a new one.
 */
import {isIP} from 'node:net'
import type {Diagnostic, Snapshot} from '../../src/cluster/types.js'
import {rulesText} from '../../src/apply/vip/service.js'
import {buildModel} from '../../src/model/build.js'
import {validateTls, type TlsResult} from '../../src/model/tls.js'
import type {LbModel, ModelOptions} from '../../src/model/types.js'
import {DEFAULT_HAPROXY_OPTIONS, generateHaproxy, type HaproxyConfig, type HaproxyOptions, type SecretLookup} from '../../src/targets/haproxy/generate.js'
import {DEFAULT_NETSCALER_OPTIONS, generateNetscaler, renderBatch, renderNitro, type NetscalerConfig} from '../../src/targets/netscaler/generate.js'
import {vipRules, type VipRule} from '../../src/targets/nftables/generate.js'

/** Where the rendered HAProxy files say they live; the checker writes them elsewhere and rewrites these prefixes. */
export const CFG_DIR = '/vipctl-test-config'
export const RUN_DIR = '/vipctl-test-run'
export const HAPROXY_OPTS: HaproxyOptions = {...DEFAULT_HAPROXY_OPTIONS, configDir: CFG_DIR, runDir: RUN_DIR}
/** The DNAT layout: frontends listen on one address, ports from a base. */
export const HAPROXY_DNAT_OPTS: HaproxyOptions = {...HAPROXY_OPTS, listen: {mode: 'address', address: '10.0.0.5', basePort: 20080}}

export type TargetName = 'haproxy' | 'netscaler' | 'nftables' | 'iptables'
export const TARGETS: readonly TargetName[] = ['haproxy', 'netscaler', 'nftables', 'iptables']

export interface Rendered {
  model: LbModel
  haproxy?: HaproxyConfig
  netscaler?: {config: NetscalerConfig; batch: string; nitro: string}
  vip?: {bind: VipRule[]; dnat: VipRule[]; nftBind: string; nftDnat: string; iptables: string}
  /** Model and target diagnostics together. */
  diagnostics: Diagnostic[]
  /** A target that threw (an internal error: exit 70 in the CLI). */
  throws: Partial<Record<TargetName | 'model', string>>
  /** Milliseconds per stage. */
  ms: Partial<Record<TargetName | 'model', number>>
  /** The DNAT layout's listen port per frontend id: what a later render keeps, as the running config's index gives it. */
  dnatPorts?: Map<string, number>
}

/** validateTls once per Secret object: the good tenants' Secrets are shared by every case. */
const tlsCache = new WeakMap<object, TlsResult>()
export function cachedSecretLookup(snap: Snapshot): SecretLookup {
  const byKey = new Map(snap.secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
  return (key) => {
    const tls = byKey.get(key)?.tls
    if (!tls) return undefined
    let v = tlsCache.get(tls)
    if (!v) {
      v = validateTls(tls.cert.reveal(), tls.key.reveal())
      tlsCache.set(tls, v)
    }
    return v
  }
}

function timed<T>(ms: Rendered['ms'], throws: Rendered['throws'], stage: TargetName | 'model', f: () => T): T | undefined {
  const t = performance.now()
  try {
    return f()
  } catch (error) {
    throws[stage] = (error as Error).stack ?? String(error)
    return undefined
  } finally {
    ms[stage] = (ms[stage] ?? 0) + performance.now() - t
  }
}

/** Renders the targets asked for; never throws (a throw is recorded per stage). */
export function renderAll(snap: Snapshot, targets: readonly TargetName[] = TARGETS, modelOpts: ModelOptions = {}, running?: Rendered): Rendered {
  const throws: Rendered['throws'] = {}
  const ms: Rendered['ms'] = {}
  const model = timed(ms, throws, 'model', () => buildModel(snap, modelOpts))
  if (!model) return {model: {vips: [], frontends: [], pools: [], diagnostics: []}, diagnostics: [], throws, ms}
  const secrets = cachedSecretLookup(snap)
  const out: Rendered = {model, diagnostics: [...model.diagnostics], throws, ms}
  if (targets.includes('haproxy')) {
    out.haproxy = timed(ms, throws, 'haproxy', () => generateHaproxy(model, secrets, HAPROXY_OPTS))
    if (out.haproxy) out.diagnostics.push(...out.haproxy.diagnostics)
  }
  if (targets.includes('netscaler')) {
    out.netscaler = timed(ms, throws, 'netscaler', () => {
      const config = generateNetscaler(model, secrets, DEFAULT_NETSCALER_OPTIONS)
      return {config, batch: renderBatch(config), nitro: renderNitro(config)}
    })
    if (out.netscaler) out.diagnostics.push(...out.netscaler.config.diagnostics)
  }
  if (targets.includes('nftables') || targets.includes('iptables')) {
    // nftables and iptables share the rules; the dnat rules need the listeners of the DNAT HAProxy layout.
    const stage = targets.includes('nftables') ? 'nftables' : 'iptables'
    const vipDiagnostics: Diagnostic[] = []
    out.vip = timed(ms, throws, stage, () => {
      const bind = vipRules(model, 'bind', new Map(), vipDiagnostics)
      // A render after another (the poison arriving while the good tenants run) keeps the running listen ports.
      const listeners = generateHaproxy(model, secrets, {...HAPROXY_DNAT_OPTS, ...(running?.dnatPorts ? {listenPorts: running.dnatPorts} : {})}).listeners
      out.dnatPorts = new Map([...listeners].map(([id, l]) => [id, l.port]))
      const dnat = vipRules(model, 'dnat', listeners, vipDiagnostics)
      return {bind, dnat, nftBind: rulesText(bind, 'bind', 'nftables').data.text, nftDnat: rulesText(dnat, 'dnat', 'nftables').data.text, iptables: ''}
    })
    out.diagnostics.push(...vipDiagnostics)
    if (out.vip && targets.includes('iptables')) {
      const v = out.vip
      timed(ms, throws, 'iptables', () => (v.iptables = rulesText(v.dnat, 'dnat', 'iptables').data.text))
    }
  }
  return out
}

// ---- HAProxy ---------------------------------------------------------------

/** Keywords the generator may write; anything else (lua-load, ssl-engine, external-check, setenv, ...) is a violation. */
const HAPROXY_KEYWORDS = new Set([
  'master-worker', 'nbthread', 'stats', 'ssl-default-bind-options', 'tune.ssl.default-dh-param', 'mode', 'option', 'timeout', 'bind',
  'http-request', 'http-response', 'use_backend', 'default_backend', 'balance', 'hash-type', 'http-check', 'server', 'no', 'log',
  'tcp-request', 'maxconn', 'retries', 'default-server', 'stick-table', 'stick', 'errorfile', 'compression', 'acl',
])
/** HAProxy proxy names: letters, digits, "_", ".", ":", "-". */
const HAPROXY_NAME = /^[A-Za-z0-9_.:-]{1,1000}$/

/**
 * Splits one HAProxy config line into words as HAProxy does (white space
 * separates words; '...' and "..." may appear inside a word) and returns why
 * the line is not one well-formed line, or undefined. Refused outside
 * quotes: '#', '\', '$', anything but printable ASCII; inside "...": '\', '$'
 * (environment expansion), '"'; everywhere: control and non-ASCII characters.
 */
export function haproxyWords(line: string): {words: string[]; error?: string} {
  const words: string[] = []
  let cur = ''
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    const code = c.charCodeAt(0)
    if (code < 0x20 || code > 0x7e) return {words, error: `character U+${code.toString(16).padStart(4, '0')}`}
    if (c === ' ') {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
      continue
    }
    inWord = true
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1)
      if (end < 0) return {words, error: `unterminated ${c}`}
      const inside = line.slice(i + 1, end)
      if (c === '"' && /[\\$]/.test(inside)) return {words, error: 'backslash or $ inside double quotes'}
      cur += line.slice(i, end + 1)
      i = end
      continue
    }
    if (c === '#' || c === '\\' || c === '$') return {words, error: `bare ${c}`}
    cur += c
  }
  if (inWord) words.push(cur)
  return {words}
}

/** Every line of every HAProxy file the generator wrote, against HAProxy's grammar; returns the violations. */
export function haproxyGrammar(config: HaproxyConfig): string[] {
  const errors: string[] = []
  const cfg = config.files.find((f) => f.path === 'haproxy.cfg')?.content
  if (cfg === undefined) return ['no haproxy.cfg']
  let section: string | undefined
  const backends = new Set<string>()
  const wanted: string[] = []
  let servers = 0
  for (const [n, l] of cfg.split('\n').entries()) {
    const at = `haproxy.cfg:${n + 1}`
    if (l === '') continue
    if (l.startsWith('# ')) {
      if (!/^# [ -~]*$/.test(l)) errors.push(`${at}: comment with characters outside printable ASCII`)
      continue
    }
    if (!l.startsWith(' ')) {
      const m = /^(global|defaults)$|^(frontend|backend) (\S+)$/.exec(l)
      if (!m) {
        errors.push(`${at}: not a section header: ${JSON.stringify(l.slice(0, 120))}`)
        continue
      }
      section = m[1] ?? m[2]
      if (m[3] !== undefined && !HAPROXY_NAME.test(m[3])) errors.push(`${at}: bad proxy name ${JSON.stringify(m[3].slice(0, 120))}`)
      if (section === 'backend') backends.add(m[3]!)
      continue
    }
    if (!/^ {4}\S/.test(l)) {
      errors.push(`${at}: indentation`)
      continue
    }
    const {words, error} = haproxyWords(l.slice(4))
    if (error) {
      errors.push(`${at}: ${error}: ${JSON.stringify(l.slice(0, 160))}`)
      continue
    }
    const kw = words[0]!
    if (!HAPROXY_KEYWORDS.has(kw)) errors.push(`${at}: keyword ${JSON.stringify(kw)} is not one the generator writes`)
    if (section === undefined) errors.push(`${at}: line outside a section`)
    if (kw === 'server') {
      servers++
      if (section !== 'backend') errors.push(`${at}: server outside a backend`)
      if (words.length < 3 || !HAPROXY_NAME.test(words[1]!) || !/^(\[[0-9a-f:.]+\]|[0-9.]+):\d{1,5}$/.test(words[2]!)) errors.push(`${at}: bad server line`)
    }
    if (kw === 'bind' && section !== 'frontend') errors.push(`${at}: bind outside a frontend`)
    if (kw === 'default_backend' || (kw === 'use_backend' && !words[1]!.startsWith('%['))) wanted.push(words[1]!)
  }
  for (const b of wanted) if (!backends.has(b)) errors.push(`default_backend/use_backend ${b} is not defined`)
  if (servers !== config.servers.length) errors.push(`${servers} server lines for ${config.servers.length} server slots`)
  for (const f of config.files) {
    if (!/^(haproxy\.cfg|vipctl-index\.json|maps\/[A-Za-z0-9_.-]+\.map|certs\/[A-Za-z0-9_.-]+\.(pem|crtlist))$/.test(f.path)) errors.push(`unexpected file name ${JSON.stringify(f.path)}`)
    const lines = f.content.split('\n')
    if (f.path.endsWith('.map'))
      for (const [n, l] of lines.entries()) {
        if (l === '' && n === lines.length - 1) continue
        if (!/^[!-~]+ [A-Za-z0-9_.:-]+$/.test(l) || /["'\\#$]/.test(l)) errors.push(`${f.path}:${n + 1}: not "key value": ${JSON.stringify(l.slice(0, 160))}`)
      }
    if (f.path.endsWith('.crtlist'))
      for (const [n, l] of lines.entries()) {
        if (l === '' && n === lines.length - 1) continue
        if (!/^\/[A-Za-z0-9_.\/-]+\.pem( !?(\*\.)?[a-z0-9.-]+)*$/.test(l)) errors.push(`${f.path}:${n + 1}: not "file [sni...]": ${JSON.stringify(l.slice(0, 160))}`)
      }
    if (f.path.endsWith('.pem')) {
      const stripped = f.content.replace(/-----BEGIN (CERTIFICATE|PRIVATE KEY)-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END \1-----\n/g, '')
      if (stripped !== '') errors.push(`${f.path}: text outside CERTIFICATE / PRIVATE KEY blocks`)
      if (f.mode !== 0o600 || !f.secret) errors.push(`${f.path}: key material not 0600/secret`)
    }
    if (f.path === 'vipctl-index.json') {
      try {
        JSON.parse(f.content)
      } catch {
        errors.push('vipctl-index.json is not JSON')
      }
    }
  }
  return errors
}

// ---- NetScaler ---------------------------------------------------------------

/** Commands (first words) the ns.conf batch may hold. */
const NS_COMMANDS = [
  'add serviceGroup', 'bind serviceGroup', 'add lb monitor', 'add lb vserver', 'bind lb vserver', 'add ssl certKey', 'add cs vserver', 'add cs action',
  'add cs policy', 'bind cs vserver', 'bind ssl vserver', 'set ssl vserver', 'add responder action', 'add responder policy',
  'add rewrite action', 'add rewrite policy', 'set ssl serviceGroup', 'bind ssl serviceGroup', 'add ns httpProfile', 'add netProfile', 'add server',
]
const NS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_#.:@=-]{0,126}$/
/** NetScaler's limits: expressions 1,499 characters; -comment strings 256 (the generator itself cuts cs vserver comments at 200). */
const NS_EXPRESSION_MAX = 1499
const NS_COMMENT_MAX = 256

/**
 * Splits one ns.conf line into arguments as the NetScaler CLI does: bare
 * words of [A-Za-z0-9_#.:@=/-] (and "*" "+" "," in values), or double-quoted
 * strings whose only escapes are \" and \\ (and \r, \n, kept as written). Returns the words (quoted ones
 * unescaped, marked) or an error.
 */
export function nsWords(line: string): {words: Array<{text: string; quoted: boolean}>; error?: string} {
  const words: Array<{text: string; quoted: boolean}> = []
  let i = 0
  while (i < line.length) {
    if (line[i] === ' ') {
      if (line[i + 1] === ' ' || i === 0) return {words, error: 'double space'}
      i++
      continue
    }
    if (line[i] === '"') {
      let text = ''
      let j = i + 1
      for (; j < line.length; j++) {
        const c = line[j]!
        if (c === '\\') {
          const n = line[j + 1]
          // \r and \n stay as they are (the appliance reads them in -customHeaders); \" and \\ are the CLI's escapes.
          if (n !== '"' && n !== '\\' && n !== 'r' && n !== 'n') return {words, error: `escape \\${n ?? ''} inside a quoted string`}
          text += n === 'r' || n === 'n' ? `\\${n}` : n
          j++
          continue
        }
        if (c === '"') break
        const code = c.charCodeAt(0)
        if (code < 0x20 || code > 0x7e) return {words, error: `character U+${code.toString(16).padStart(4, '0')} inside a quoted string`}
        text += c
      }
      if (j >= line.length) return {words, error: 'unterminated quoted string'}
      if (line[j + 1] !== undefined && line[j + 1] !== ' ') return {words, error: 'text right after a closing quote'}
      words.push({text, quoted: true})
      i = j + 1
      continue
    }
    const end = line.indexOf(' ', i)
    const w = line.slice(i, end < 0 ? line.length : end)
    if (!/^[A-Za-z0-9_#.:@=\/*+,-]+$/.test(w)) return {words, error: `bare word ${JSON.stringify(w.slice(0, 80))}`}
    words.push({text: w, quoted: false})
    i = end < 0 ? line.length : end
  }
  return {words}
}

/** Every line of the ns.conf batch against the CLI's grammar, and the NITRO file as JSON; returns the violations. */
export function netscalerGrammar(batch: string, nitro?: string): string[] {
  const errors: string[] = []
  const lines = batch.split('\n')
  for (const [n, l] of lines.entries()) {
    const at = `ns.conf:${n + 1}`
    if (l === '' && n === lines.length - 1) continue
    if (n === 0 && l.startsWith('# ') && /^[ -~]*$/.test(l)) continue
    const {words, error} = nsWords(l)
    if (error) {
      errors.push(`${at}: ${error}: ${JSON.stringify(l.slice(0, 160))}`)
      continue
    }
    const cmd = NS_COMMANDS.find((c) => l.startsWith(`${c} `))
    if (!cmd) {
      errors.push(`${at}: not a command the batch writes: ${JSON.stringify(l.slice(0, 80))}`)
      continue
    }
    const entity = words[cmd.split(' ').length]
    if (!entity || entity.quoted || !NS_NAME.test(entity.text)) errors.push(`${at}: entity name ${JSON.stringify(entity?.text.slice(0, 160))} is not a NetScaler name (<= 127)`)
    for (const [i, w] of words.entries()) {
      const flag = words[i - 1]?.text
      if (!w.quoted && w.text.length > 127) errors.push(`${at}: word longer than 127 characters`)
      if (w.quoted && w.text.length > NS_EXPRESSION_MAX) errors.push(`${at}: quoted argument longer than ${NS_EXPRESSION_MAX} characters (${w.text.length})`)
      if (w.quoted && flag === '-comment' && w.text.length > NS_COMMENT_MAX) errors.push(`${at}: comment longer than ${NS_COMMENT_MAX} characters (${w.text.length})`)
      if (!w.quoted && /^(-policyName|-lbvserver|-targetLBVserver|-monitorName|-certkeyName|-action)$/.test(flag ?? '') && !NS_NAME.test(w.text)) errors.push(`${at}: ${flag} ${JSON.stringify(w.text.slice(0, 80))} is not a NetScaler name`)
    }
  }
  if (nitro !== undefined) {
    try {
      const doc = JSON.parse(nitro) as {requests?: unknown}
      if (!Array.isArray(doc.requests)) errors.push('nitro.json has no requests array')
    } catch {
      errors.push('nitro.json is not JSON')
    }
  }
  return errors
}

// ---- nftables and iptables -------------------------------------------------

function ipOf(family: 4 | 6, s: string): boolean {
  return isIP(s) === family && s === s.toLowerCase()
}
const portOk = (s: string) => /^\d{1,5}$/.test(s) && +s >= 1 && +s <= 65535

/** The nft script, line by line, as the structure the generator promises (one table per family); returns the violations. */
export function nftGrammar(text: string, mode: 'bind' | 'dnat'): string[] {
  const errors: string[] = []
  const lines = text.split('\n')
  let family: 4 | 6 | undefined
  const seen = new Set<string>()
  for (const [n, l] of lines.entries()) {
    const at = `nft:${n + 1}`
    if (l === '') continue
    let m: RegExpExecArray | null
    if ((m = /^(table|delete table) (ip|ip6) vipctl( \{)?$/.exec(l))) {
      family = m[2] === 'ip' ? 4 : 6
      if (m[1] === 'delete table' && m[3]) errors.push(`${at}: delete with a body`)
      continue
    }
    if (family === undefined) {
      errors.push(`${at}: before any table`)
      continue
    }
    const t = family === 4 ? 'ipv4_addr' : 'ipv6_addr'
    const fam = family === 4 ? 'ip' : 'ip6'
    const fixed = [
      '\tset vips {', '\tset added_addresses {', `\t\ttype ${t}`, '\t}', '}',
      `\tmap tcp_vips {`, `\tmap udp_vips {`, `\t\ttype ${t} . inet_service : ${t} . inet_service`,
      '\tchain prerouting {', '\t\ttype nat hook prerouting priority dstnat; policy accept;',
      '\tchain output {', '\t\ttype nat hook output priority -100; policy accept;',
      `\t\tdnat ${fam} to ${fam} daddr . tcp dport map @tcp_vips`, `\t\tdnat ${fam} to ${fam} daddr . udp dport map @udp_vips`,
    ]
    if (fixed.includes(l)) {
      if (mode === 'bind' && /map|chain|dnat|type nat/.test(l)) errors.push(`${at}: dnat structure in bind mode`)
      continue
    }
    if ((m = /^\t\telements = \{ (.*) \}$/.exec(l))) {
      for (const el of m[1]!.split(', ')) {
        const parts = el.split(' ')
        const single = parts.length === 1 && ipOf(family, parts[0]!)
        const mapped = parts.length === 7 && ipOf(family, parts[0]!) && parts[1] === '.' && portOk(parts[2]!) && parts[3] === ':' && ipOf(family, parts[4]!) && parts[5] === '.' && portOk(parts[6]!)
        if (!single && !mapped) errors.push(`${at}: bad element ${JSON.stringify(el.slice(0, 120))}`)
        if (seen.has(`${family}|${n}|${el}`)) errors.push(`${at}: duplicate element`)
        seen.add(`${family}|${n}|${el}`)
      }
      continue
    }
    errors.push(`${at}: unexpected line ${JSON.stringify(l.slice(0, 160))}`)
  }
  return errors
}

/** iptables-restore input for the nat table, line by line; returns the violations. */
export function iptablesGrammar(text: string): string[] {
  const errors: string[] = []
  for (const [n, l] of text.split('\n').entries()) {
    const at = `iptables:${n + 1}`
    if (l === '' || /^# ip6?tables-restore --noflush$/.test(l) || l === '*nat' || l === 'COMMIT' || /^:VIPCTL-(PREROUTING|OUTPUT) - \[0:0\]$/.test(l)) continue
    const m = /^-A VIPCTL-(PREROUTING|OUTPUT) -d (\S+)\/(32|128) -p (tcp|udp) -m (tcp|udp) --dport (\d+) -m comment --comment "([^"\\]*)" -j DNAT --to-destination (\S+)$/.exec(l)
    if (!m) {
      errors.push(`${at}: not one of our rules: ${JSON.stringify(l.slice(0, 160))}`)
      continue
    }
    const fam = m[3] === '32' ? 4 : 6
    if (!ipOf(fam, m[2]!)) errors.push(`${at}: bad address ${m[2]}`)
    if (m[4] !== m[5] || !portOk(m[6]!)) errors.push(`${at}: bad protocol/port`)
    if (!/^[ -~]{0,255}$/.test(m[7]!)) errors.push(`${at}: comment not printable or longer than 255`)
    const to = fam === 4 ? /^([0-9.]+):(\d+)$/.exec(m[8]!) : /^\[([0-9a-f:]+)\]:(\d+)$/.exec(m[8]!)
    if (!to || !ipOf(fam, to[1]!) || !portOk(to[2]!)) errors.push(`${at}: bad --to-destination ${m[8]}`)
  }
  return errors
}

/** All grammar violations of a rendering, by target (only the targets in `only`, when given). */
export function grammarViolations(r: Rendered, only?: ReadonlySet<TargetName>): Partial<Record<TargetName, string[]>> {
  const out: Partial<Record<TargetName, string[]>> = {}
  const want = (t: TargetName) => !only || only.has(t)
  if (r.haproxy && want('haproxy')) out.haproxy = haproxyGrammar(r.haproxy)
  if (r.netscaler && want('netscaler')) out.netscaler = netscalerGrammar(r.netscaler.batch, r.netscaler.nitro)
  if (r.vip) {
    if (want('nftables')) out.nftables = [...nftGrammar(r.vip.nftBind, 'bind'), ...nftGrammar(r.vip.nftDnat, 'dnat')]
    if (r.vip.iptables && want('iptables')) out.iptables = iptablesGrammar(r.vip.iptables)
  }
  return out
}
