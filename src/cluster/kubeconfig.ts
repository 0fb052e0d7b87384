/**
 * Loading a kubeconfig as kubectl does (--kubeconfig, $KUBECONFIG merged with
 * the first file winning per name, ~/.kube/config, in-cluster), checked before
 * anything is used: every problem is one line naming the file and the field,
 * exit 65 (an unknown --context stays a usage error, 64; an unreadable file is
 * 77). Nothing from the file reaches @kubernetes/client-node before it has the
 * shape client-node expects, so none of its raw JavaScript errors can surface.
 */
import {X509Certificate, createPrivateKey} from 'node:crypto'
import {statSync} from 'node:fs'
import path from 'node:path'
// config.js on its own: the package index also loads the generated API client, which vipctl does not use.
import {KubeConfig} from '@kubernetes/client-node/dist/config.js'
import {newClusters, newContexts, newUsers} from '@kubernetes/client-node/dist/config_types.js'
import {parseDocument} from 'yaml'
import {DataError, PermissionError, UnavailableError, UsageError, oneLine} from '../errors.js'
import {readBounded} from '../core/read-bounded.js'
import {maskUrlUserinfo, printableShort} from '../core/printable.js'

/** As intake's safe(), without loading intake (its schemas) before a live command's first request. */
const safe = (s: string) => printableShort(s, 80)

/** A kubeconfig, a CA bundle or a client certificate is never this large. */
export const KUBECONFIG_MAX_BYTES = 16 * 1024 * 1024
const PEM_MAX_BYTES = 4 * 1024 * 1024

/** A KubeConfig that knows where it was read from (for messages further on, e.g. credentials set-up). */
export class SourcedKubeConfig extends KubeConfig {
  /** e.g. `kubeconfig /home/me/.kube/config` */
  origin = 'kubeconfig'
}

export interface KubeConfigChoice {
  kubeconfig?: string
  context?: string
  /** kubectl's --server: the API server URL, instead of the current context's cluster's. */
  server?: string
  /** kubectl's --token: a bearer token, instead of the current context's user's credentials. */
  token?: string
  /** kubectl's --insecure-skip-tls-verify: the server certificate is not checked (and the cluster's CA is dropped, as kubectl does). */
  insecureSkipTlsVerify?: boolean
}

type Entry = Record<string, unknown>
/** Where each cluster, user and context came from (`kubeconfig FILE` of the first file that named it, or `in-cluster config`). */
interface Origins {
  clusters: Map<string, string>
  users: Map<string, string>
  contexts: Map<string, string>
  currentContext?: string
}

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`)
const q = (s: string) => JSON.stringify(safe(s))

/**
 * Loads and checks the kubeconfig as kubectl would: --kubeconfig, $KUBECONFIG (merged; files that do not exist are
 * skipped, as kubectl skips them), ~/.kube/config, in-cluster; then --server, --token and --insecure-skip-tls-verify
 * over the current context. With none of them but --server, the flags alone make the config (as kubectl allows).
 * Errors: UnavailableError (69) `no kubeconfig found (looked in ...)` when there is none anywhere; DataError (65)
 * for a file that is not a usable kubeconfig; UsageError (64) for an unknown --context.
 */
export function loadKubeConfig(opts: KubeConfigChoice, env: NodeJS.ProcessEnv): SourcedKubeConfig {
  const kc = new SourcedKubeConfig()
  let origins: Origins
  if (opts.kubeconfig) {
    origins = loadFiles(kc, [opts.kubeconfig])
  } else {
    const listed = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean)
    const files = listed.filter(exists)
    const home = env.HOME ? path.join(env.HOME, '.kube', 'config') : undefined
    if (listed.length === 0 && home && exists(home)) files.push(home)
    if (files.length === 0 && !env.KUBERNETES_SERVICE_HOST && opts.server) {
      origins = fromFlags(kc, opts.server)
    } else if (files.length === 0) {
      if (!env.KUBERNETES_SERVICE_HOST) {
        const looked = [
          listed.length ? `$KUBECONFIG (${listed.map(safe).join(path.delimiter)}: no such file)` : '$KUBECONFIG (not set)',
          ...(listed.length ? [] : [home ? `${safe(home)} (no such file)` : '~/.kube/config ($HOME not set)']),
          'in-cluster ($KUBERNETES_SERVICE_HOST not set)',
        ]
        throw new UnavailableError(`no kubeconfig found (looked in ${looked.join(', ')})`, {hint: 'pass --kubeconfig or --server, or -f to read manifests'})
      }
      kc.loadFromCluster()
      const label = 'in-cluster config'
      kc.origin = label
      origins = {clusters: new Map(kc.clusters.map((c) => [c.name, label])), users: new Map(kc.users.map((u) => [u.name, label])), contexts: new Map(kc.contexts.map((c) => [c.name, label])), currentContext: label}
    } else origins = loadFiles(kc, files)
  }
  origins = overrideCurrent(kc, origins, opts)
  if (opts.context) {
    const names = kc.getContexts().map((c) => c.name)
    if (!names.includes(opts.context))
      throw new UsageError(`context "${safe(opts.context)}" not found in kubeconfig`, names.length ? `available: ${names.map(safe).join(', ')}` : 'the kubeconfig has no contexts')
    kc.setCurrentContext(opts.context)
  }
  if (!kc.getCurrentContext()) throw new UsageError('no current context in kubeconfig', 'pass --context, set current-context, or use -f to read manifests')
  checkCurrent(kc, origins, opts.context !== undefined)
  return kc
}

/** Where the flags' values are said to come from in messages. */
const FLAGS_ORIGIN = 'command-line flags'

/** A config from --server (and --token) alone: one cluster, one user, one context. */
function fromFlags(kc: SourcedKubeConfig, server: string): Origins {
  kc.loadFromOptions({clusters: [{name: 'flags', server, skipTLSVerify: false}], users: [{name: 'flags'}], contexts: [{name: 'flags', cluster: 'flags', user: 'flags'}], currentContext: 'flags'})
  kc.origin = FLAGS_ORIGIN
  const m = new Map([['flags', FLAGS_ORIGIN]])
  return {clusters: m, users: m, contexts: m, currentContext: FLAGS_ORIGIN}
}

/**
 * --server, --token and --insecure-skip-tls-verify over the current context's cluster and user (only those: other
 * contexts are left as they are). The overridden entries are named after the flags in later messages. The
 * context is chosen first (--context), so this runs after the --context check, from loadKubeConfig's end.
 */
function overrideCurrent(kc: SourcedKubeConfig, origins: Origins, opts: KubeConfigChoice): Origins {
  if (opts.server === undefined && opts.token === undefined && !opts.insecureSkipTlsVerify) return origins
  const ctx = opts.context ? kc.getContextObject(opts.context) : kc.getContextObject(kc.getCurrentContext())
  if (!ctx) return origins
  const clusters = kc.clusters.map((c) => {
    if (c.name !== ctx.cluster) return c
    const next = {...c}
    if (opts.server !== undefined) next.server = opts.server
    // kubectl drops the CA when told not to verify: a CA with the flag is "not allowed" in client-go.
    if (opts.insecureSkipTlsVerify) Object.assign(next, {skipTLSVerify: true, caData: undefined, caFile: undefined})
    return next
  })
  const userName = ctx.user || 'flags'
  const users = opts.token === undefined ? kc.users : [...kc.users.filter((u) => u.name !== userName), {name: userName, token: opts.token}]
  const contexts = kc.contexts.map((c) => (c.name === ctx.name ? {...c, user: userName} : c))
  kc.loadFromOptions({clusters, users, contexts, currentContext: kc.getCurrentContext()})
  const next = {...origins, clusters: new Map(origins.clusters), users: new Map(origins.users)}
  if (opts.server !== undefined) next.clusters.set(ctx.cluster, `--server (over ${origins.clusters.get(ctx.cluster) ?? kc.origin})`)
  if (opts.token !== undefined) next.users.set(userName, '--token')
  return next
}

function exists(file: string): boolean {
  try {
    statSync(file)
    return true
  } catch {
    return false
  }
}

/** Parses and checks each file, then merges them (first file wins per name) into kc. */
function loadFiles(kc: SourcedKubeConfig, files: string[]): Origins {
  const origins: Origins = {clusters: new Map(), users: new Map(), contexts: new Map()}
  const merged: {clusters: Entry[]; users: Entry[]; contexts: Entry[]; current?: string} = {clusters: [], users: [], contexts: []}
  const dirOf = {clusters: new Map<string, string>(), users: new Map<string, string>()}
  for (const file of files) {
    const label = `kubeconfig ${file}`
    const doc = parseFile(file, label)
    for (const [key, what] of [['clusters', 'cluster'], ['users', 'user'], ['contexts', 'context']] as const) {
      for (const e of entries(doc, key, what, label, file)) {
        const name = e.name as string
        if (origins[key].has(name)) continue
        origins[key].set(name, label)
        if (key !== 'contexts') dirOf[key].set(name, path.dirname(file))
        merged[key].push(e)
      }
    }
    const cur = doc['current-context']
    if (cur !== undefined && cur !== null && typeof cur !== 'string') throw new DataError(`${label}: current-context: expected a string, found ${kindOf(cur)}`)
    if (cur && merged.current === undefined) {
      merged.current = cur
      origins.currentContext = label
    }
  }
  const text = JSON.stringify({apiVersion: 'v1', kind: 'Config', clusters: merged.clusters, users: merged.users, contexts: merged.contexts, 'current-context': merged.current ?? ''})
  try {
    // What kc.loadFromString(text) does, without its YAML parser (js-yaml's first run costs ~5 ms before a live
    // command's first request): the text is JSON, which JSON.parse reads as js-yaml does.
    const doc = JSON.parse(text) as Entry
    kc.loadFromOptions({clusters: newClusters(doc.clusters), contexts: newContexts(doc.contexts), users: newUsers(doc.users), currentContext: doc['current-context']})
  } catch (error) {
    // Not expected after the checks above; still one line naming the file.
    throw new DataError(`kubeconfig ${files.join(path.delimiter)}: malformed: ${oneLine((error as Error).message).slice(0, 200)}`, {cause: error})
  }
  // Relative certificate and key paths are relative to the file that names them.
  for (const c of kc.clusters) if (c.caFile && !path.isAbsolute(c.caFile)) c.caFile = path.join(dirOf.clusters.get(c.name)!, c.caFile)
  for (const u of kc.users) {
    const dir = dirOf.users.get(u.name)!
    if (u.certFile && !path.isAbsolute(u.certFile)) (u as {certFile?: string}).certFile = path.join(dir, u.certFile)
    if (u.keyFile && !path.isAbsolute(u.keyFile)) (u as {keyFile?: string}).keyFile = path.join(dir, u.keyFile)
  }
  kc.origin = origins.currentContext ?? `kubeconfig ${files[0]}`
  return origins
}

/**
 * A kubeconfig written as JSON (`kubectl config view -o json`, or generated) is read by JSON.parse, not the YAML
 * reader (whose first parse costs ~20 ms before a live command's first request), when YAML would read it exactly
 * the same: a JSON object in printable ASCII without tabs (YAML refuses tab indentation), no key twice in one
 * object (YAML refuses that: the YAML reader then names the line), each key on one line with its colon and shorter
 * than YAML's bound on an implicit key (1024 characters). Anything else goes to the YAML reader. Undefined: not such
 * a JSON object.
 */
export function jsonKubeconfig(text: string): Entry | undefined {
  if (!/^[ \r\n]*\{[\x20-\x7e\r\n]*$/.test(text)) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  // JSON.parse succeeded, so strings, objects and arrays are well formed: a string followed by ':' in an object is a key.
  const keys: Array<Set<string> | undefined> = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '{') keys.push(new Set())
    else if (c === '[') keys.push(undefined)
    else if (c === '}' || c === ']') keys.pop()
    else if (c === '"') {
      let end = i + 1
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      let colon = end + 1
      while (text[colon] === ' ' || text[colon] === '\r' || text[colon] === '\n') colon++
      const inObject = keys.at(-1)
      if (inObject && text[colon] === ':') {
        if (colon - i > 1000 || /[\r\n]/.test(text.slice(end + 1, colon))) return undefined
        const key = JSON.parse(text.slice(i, end + 1)) as string
        if (inObject.has(key)) return undefined
        inObject.add(key)
      }
      i = end
    }
  }
  return value as Entry
}

/** The file as a YAML mapping, or an error naming what it is instead. */
function parseFile(file: string, label: string): Entry {
  const text = readBounded(file, KUBECONFIG_MAX_BYTES, label).toString('utf8')
  if (text.includes('\0')) throw new DataError(`${label}: not a kubeconfig (binary data)`)
  const value = jsonKubeconfig(text.replace(/^\uFEFF/, '')) ?? yamlValue(text, label)
  if (value === null || value === undefined) throw new DataError(`${label}: empty file (no clusters, users or contexts)`)
  if (typeof value !== 'object' || Array.isArray(value)) throw new DataError(`${label}: not a kubeconfig (the top level is ${kindOf(value)}, not a mapping)`)
  const kind = (value as Entry).kind
  if (kind !== undefined && kind !== 'Config') throw new DataError(`${label}: kind: expected "Config", found ${typeof kind === 'string' ? q(kind) : kindOf(kind)}`)
  return value as Entry
}

/** The file's YAML value, or an error naming the line. */
function yamlValue(text: string, label: string): unknown {
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), {uniqueKeys: true, schema: 'core', prettyErrors: false})
  const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED')
  if (problem) {
    const line = text.slice(0, problem.pos[0]).split('\n').length
    throw new DataError(`${label}: malformed YAML at line ${line}: ${problem.code === 'TAG_RESOLVE_FAILED' ? 'custom tags are not allowed' : oneLine(problem.message.split(/ at line|\n/)[0]!)}`)
  }
  try {
    return doc.toJS({maxAliasCount: 100})
  } catch (error) {
    throw new DataError(`${label}: malformed YAML: ${oneLine((error as Error).message.split('\n')[0]!)}`)
  }
}

/** The entries of clusters, users or contexts, each a mapping with a name and the right shape. */
function entries(doc: Entry, key: 'clusters' | 'users' | 'contexts', what: 'cluster' | 'user' | 'context', label: string, file: string): Entry[] {
  const list = doc[key]
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) throw new DataError(`${label}: ${key}: expected a list, found ${kindOf(list)}`)
  return list.map((e: unknown, i) => {
    const at = `${label}: ${key}[${i}]`
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new DataError(`${at}: expected a mapping, found ${kindOf(e)}`)
    const entry = e as Entry
    if (typeof entry.name !== 'string' || entry.name === '') throw new DataError(`${at}.name: ${entry.name === undefined ? 'missing' : `expected a non-empty string, found ${kindOf(entry.name)}`}`)
    const named = `${label}: ${key}[${q(entry.name)}].${what}`
    const body = entry[what]
    if (body === undefined || body === null) {
      if (what === 'user') return entry // a user with no credentials: anonymous
      throw new DataError(`${named}: missing`)
    }
    if (typeof body !== 'object' || Array.isArray(body)) throw new DataError(`${named}: expected a mapping, found ${kindOf(body)}`)
    const b = body as Entry
    const str = (field: string, required = false) => {
      const v = b[field]
      if (v === undefined || v === null) {
        if (required) throw new DataError(`${named}.${field}: missing`)
        return
      }
      if (typeof v !== 'string') throw new DataError(`${named}.${field}: expected a string, found ${kindOf(v)}`)
      if (required && v === '') throw new DataError(`${named}.${field}: empty`)
    }
    const bool = (field: string) => {
      const v = b[field]
      if (v !== undefined && v !== null && typeof v !== 'boolean') throw new DataError(`${named}.${field}: expected true or false, found ${typeof v === 'string' ? q(v) : kindOf(v)}`)
    }
    if (what === 'cluster') {
      str('server', true)
      for (const f of ['certificate-authority', 'certificate-authority-data', 'tls-server-name', 'proxy-url']) str(f)
      bool('insecure-skip-tls-verify')
    } else if (what === 'user') {
      for (const f of ['token', 'token-file', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'username', 'password', 'as']) str(f)
      for (const f of ['exec', 'auth-provider']) {
        const v = b[f]
        if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new DataError(`${named}.${f}: expected a mapping, found ${kindOf(v)}`)
      }
      // kubectl's field is tokenFile; client-node reads token-file: take either, check the file first so a missing one is named.
      str('tokenFile')
      if (typeof b.tokenFile === 'string' && b.tokenFile !== '' && b['token-file'] === undefined) b['token-file'] = b.tokenFile
      if (typeof b['token-file'] === 'string' && b['token-file'] !== '' && !b.token) {
        const tf = path.isAbsolute(b['token-file']) ? b['token-file'] : path.join(path.dirname(file), b['token-file'])
        readBounded(tf, PEM_MAX_BYTES, `${named}.token-file ${tf}`)
        b['token-file'] = tf
      }
    } else {
      str('cluster', true)
      str('user')
      str('namespace')
    }
    return entry
  })
}

/** The current context, its cluster and its user are there and usable: server URL, CA, client certificate and key. */
function checkCurrent(kc: SourcedKubeConfig, origins: Origins, fromFlag: boolean): void {
  const name = kc.getCurrentContext()
  const ctx = kc.getContextObject(name)
  if (!ctx) {
    // --context was checked already: this is the file's own current-context.
    const where = origins.currentContext ?? kc.origin
    throw new DataError(`${where}: current-context ${q(name)}: no such context`, {hint: fromFlag ? undefined : 'pass --context, or fix current-context'})
  }
  const ctxAt = `${origins.contexts.get(ctx.name) ?? kc.origin}: contexts[${q(ctx.name)}].context`
  const cluster = kc.getCluster(ctx.cluster)
  if (!cluster) throw new DataError(`${ctxAt}.cluster ${q(ctx.cluster)}: no such cluster`)
  if (ctx.user && !kc.getUser(ctx.user)) throw new DataError(`${ctxAt}.user ${q(ctx.user)}: no such user`)
  const cAt = `${origins.clusters.get(cluster.name) ?? kc.origin}: clusters[${q(cluster.name)}].cluster`
  let url: URL
  try {
    url = new URL(cluster.server)
  } catch {
    throw new DataError(`${cAt}.server ${q(maskUrlUserinfo(cluster.server))}: not a URL`)
  }
  // Credentials in the URL would be printed in every error that names the server: refused, and never echoed.
  if (url.username || url.password) throw new DataError(`${cAt}.server: the URL carries credentials (user:password@); put them in the user entry instead`)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DataError(`${cAt}.server ${q(cluster.server)}: scheme ${q(url.protocol.replace(/:$/, ''))} is not supported (https or http)`)
  if (!url.hostname) throw new DataError(`${cAt}.server ${q(cluster.server)}: no host`)
  if (url.protocol === 'http:' && !cluster.skipTLSVerify)
    throw new DataError(`${cAt}.server ${q(cluster.server)}: plain http needs insecure-skip-tls-verify: true (credentials would travel unencrypted)`)
  if (cluster.proxyUrl) {
    let p: URL | undefined
    try {
      p = new URL(cluster.proxyUrl)
    } catch {
      /* reported below */
    }
    if (!p || !/^(https?|socks[45]?h?):$/.test(p.protocol)) throw new DataError(`${cAt}.proxy-url ${q(cluster.proxyUrl)}: not an http(s) or socks URL`)
  }
  // client-node hands the CA to TLS even with insecure-skip-tls-verify: check it either way.
  if (cluster.caFile) checkCerts(readBounded(cluster.caFile, PEM_MAX_BYTES, `${cAt}.certificate-authority ${cluster.caFile}`), `${cAt}.certificate-authority ${cluster.caFile}`)
  else if (cluster.caData) checkCerts(base64(cluster.caData, `${cAt}.certificate-authority-data`), `${cAt}.certificate-authority-data`)
  const user = ctx.user ? kc.getUser(ctx.user) : null
  if (user) {
    const uAt = `${origins.users.get(user.name) ?? kc.origin}: users[${q(user.name)}].user`
    const cert = user.certFile
      ? {bytes: readBounded(user.certFile, PEM_MAX_BYTES, `${uAt}.client-certificate ${user.certFile}`), field: `${uAt}.client-certificate ${user.certFile}`}
      : user.certData
        ? {bytes: base64(user.certData, `${uAt}.client-certificate-data`), field: `${uAt}.client-certificate-data`}
        : undefined
    const key = user.keyFile
      ? {bytes: readBounded(user.keyFile, PEM_MAX_BYTES, `${uAt}.client-key ${user.keyFile}`), field: `${uAt}.client-key ${user.keyFile}`}
      : user.keyData
        ? {bytes: base64(user.keyData, `${uAt}.client-key-data`), field: `${uAt}.client-key-data`}
        : undefined
    if (cert && !key) throw new DataError(`${uAt}: a client certificate without client-key or client-key-data`)
    if (key && !cert) throw new DataError(`${uAt}: a client key without client-certificate or client-certificate-data`)
    if (cert) checkCerts(cert.bytes, cert.field)
    if (key) {
      try {
        createPrivateKey({key: key.bytes, format: 'pem'})
      } catch {
        throw new DataError(`${key.field}: not a PEM private key (or one protected by a passphrase)`)
      }
    }
  }
}

/** Strict base64 (whitespace allowed), or an error naming the field. */
function base64(data: string, field: string): Buffer {
  const compact = data.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0 || compact.length === 0) throw new DataError(`${field}: not base64`)
  return Buffer.from(compact, 'base64')
}

/** At least one PEM certificate, and every PEM certificate in the bundle parses. */
function checkCerts(bytes: Buffer, field: string): void {
  const text = bytes.toString('latin1')
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0) throw new DataError(`${field}: no PEM certificate (expected -----BEGIN CERTIFICATE-----)`)
  blocks.forEach((b, i) => {
    try {
      new X509Certificate(b)
    } catch {
      throw new DataError(`${field}: certificate ${i + 1} of ${blocks.length} does not parse`)
    }
  })
}
