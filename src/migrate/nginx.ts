/**
 * `vipctl migrate ingress-nginx`: the Ingresses of class nginx (and their nginx.ingress.kubernetes.io/* keys)
 * -> Ingresses of class vipctl with vipctl.io/* keys, every key accounted for:
 *   exact        carried over as the vipctl key named in the ledger,
 *   approximate  carried over with a stated change (VIP5002),
 *   manual       a step for the user (VIP5003): settings vipctl keeps on the Service, given as `kubectl annotate`,
 *   lost         not carried over (VIP5001).
 * An Ingress whose keys restrict access (authentication, allow or deny lists, client certificates, rate limits,
 * WAF) or paste configuration (snippets) is not emitted at all (VIP5001, with the manual step): serving it without
 * them would open its routes. Canary Ingresses become a vipctl.io/traffic-split on the main Ingress.
 *
 * Equivalence: for every host and path of the input, a table of requests (the path, its element and string
 * neighbours, other case) is routed twice: as ingress-nginx matches it (its documented rules: Exact, Prefix by
 * path element, ImplementationSpecific by string prefix, and, when any Ingress of a host uses regular expressions,
 * every path of that host as a case-insensitive regular expression, longest first), and by vipctl's routing
 * module over the migrated objects. Every request that would reach another Service, or be answered otherwise, is
 * reported (VIP5002) with both answers.
 */
import type {Diagnostic, Ingress, Snapshot} from '../cluster/types.js'
import {objectKey} from '../cluster/types.js'
import {severityOf} from '../core/catalog.js'
import {buildModel} from '../model/build.js'
import {decide, routingTable} from '../model/routing.js'
import {canonicalHost} from '../model/grammar.js'
import {nginxTrue} from '../model/foreign.js'
import {ANNOTATIONS} from '../model/annotations.js'
import {redactText} from './redact.js'
import type {K8s} from './netscaler.js'
import type {Account, LedgerLine} from './ledger.js'

export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/'
const NGINX_CONTROLLER = 'k8s.io/ingress-nginx'

export interface NginxMigrateResult {
  objects: K8s[]
  report: Diagnostic[]
  /** One entry per Ingress and per annotation read (object and key in `text`). */
  ledger: LedgerLine[]
  /** Requests routed differently by ingress-nginx and by vipctl after the migration. */
  differences: Array<{host: string; path: string; nginx: string; vipctl: string}>
  /** How many requests the equivalence table held. */
  requests: number
}

/** Keys that restrict who may reach the routes: never dropped silently, never served open. */
const ACCESS = /^(auth-|limit-|global-rate-limit|enable-modsecurity|modsecurity-|enable-owasp-core-rules|satisfy)/
/** Source ranges: vipctl.io/allow-source-ranges and deny-source-ranges (the connection's source address). */
const RANGES: Record<string, 'allowSourceRanges' | 'denySourceRanges'> = {'whitelist-source-range': 'allowSourceRanges', 'allowlist-source-range': 'allowSourceRanges', 'denylist-source-range': 'denySourceRanges'}
const SNIPPET = /snippet$/

/** Is this Ingress one of ingress-nginx's (class nginx, or an IngressClass of its controller)? */
export function isNginx(ing: Ingress, snap: Snapshot): boolean {
  const cls = ing.spec.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class']
  // No class: the cluster's default IngressClass takes it (when that is ingress-nginx's, it is one of its Ingresses).
  if (cls === undefined) return snap.ingressClasses.some((c) => c.spec.controller === NGINX_CONTROLLER && ['true', 'True'].includes(c.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'] ?? ''))
  const c = snap.ingressClasses.find((x) => x.metadata.name === cls)
  return c ? c.spec.controller === NGINX_CONTROLLER : cls === 'nginx'
}

const truthy = nginxTrue
const seconds = (v: string | undefined) => (/^[0-9]{1,5}$/.test(v?.trim() ?? '') ? Number(v!.trim()) : undefined)

export function migrateNginx(snap: Snapshot): NginxMigrateResult {
  const report: Diagnostic[] = []
  const ledger: LedgerLine[] = []
  const objects: K8s[] = []
  const say = (code: 'VIP5001' | 'VIP5002' | 'VIP5003', object: string, field: string | undefined, message: string) => {
    const origin = snap.origins.get(object)
    report.push({severity: severityOf(code), code, object, ...(field ? {field} : {}), message: redactText(message), ...(origin ? {origin} : {})})
  }
  /** One ledger entry per annotation (its key and value are its one token). */
  const entry = (text: string, a: Account, notes: string[]) => ledger.push({line: ledger.length + 1, text, account: a, tokens: [{text, account: a}], notes})
  const account = (object: string, key: string, value: string, a: Account, note: string) => {
    const v = shownValue(key, value)
    entry(`${object} ${key}${v ? `: ${v.length > 80 ? `${v.slice(0, 77)}...` : v}` : ''}`, a, note ? [note] : [])
  }

  // Objects the input holds but vipctl could not read (schema, size, syntax): each is in the report and the ledger,
  // never dropped in silence (an Ingress of class nginx among them is not migrated).
  for (const d of snap.diagnostics)
    if (d.code.startsWith('VIP1')) {
      report.push(d)
      entry(`${d.object}${d.field ? ` ${d.field}` : ''}`, 'lost', [`${d.code} ${d.message}`])
    }
  const ours = snap.ingresses.filter((i) => isNginx(i, snap))
  const canaries = ours.filter((i) => truthy(i.metadata.annotations?.[`${NGINX_PREFIX}canary`]))
  const mains = ours.filter((i) => !canaries.includes(i))
  const serviceNotes = new Map<string, Map<string, {value: string; from: string}>>()
  const serviceKey = (ns: string, svc: string, key: string, value: string, from: string, field: string) => {
    const k = `${ns}/${svc}`
    const m = serviceNotes.get(k) ?? new Map<string, {value: string; from: string}>()
    serviceNotes.set(k, m)
    const have = m.get(key)
    if (have && have.value !== value) say('VIP5002', from, field, `Service ${k}: ${key} is ${have.value} from ${have.from}; vipctl keeps one value per Service, this Ingress's ${value} is not used`)
    else m.set(key, {value, from})
  }
  const emitted = new Map<string, K8s>()

  for (const ing of mains) {
    const key = objectKey(ing)
    const ns = ing.metadata.namespace ?? 'default'
    const ann = ing.metadata.annotations ?? {}
    const out: Record<string, string> = {}
    const request: string[] = []
    const response: string[] = []
    /** upstream-vhost: the Host the members see (vipctl.io/rewrite host=), joined with a path rewrite below. */
    let rewriteHost: string | undefined
    let blocked = false
    let useRegex = false
    let rewriteTarget: string | undefined
    const backends = new Set((ing.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend.service?.name).filter((x): x is string => Boolean(x))))
    const onServices = (k: string, v: string, field: string) => {
      for (const s of backends) serviceKey(ns, s, k, v, key, field)
    }
    for (const [k, v] of Object.entries(ann)) {
      const field = `metadata.annotations[${k}]`
      if (k === 'kubernetes.io/ingress.class') {
        account(key, k, v, 'exact', 'spec.ingressClassName: vipctl')
        continue
      }
      if (!k.startsWith(NGINX_PREFIX)) {
        account(key, k, v, 'exact', 'kept as it is')
        continue
      }
      const name = k.slice(NGINX_PREFIX.length)
      const lost = (why: string) => (say('VIP5001', key, field, `${k}: ${why}`), account(key, k, v, 'lost', why))
      const approx = (why: string) => (say('VIP5002', key, field, `${k}: ${why}`), account(key, k, v, 'approximate', why))
      const exact = (as: string) => account(key, k, v, 'exact', as)
      const manual = (why: string) => (say('VIP5003', key, field, `${k}: ${why}`), account(key, k, v, 'manual', why))
      if (RANGES[name] && v.trim() === '') exact('no effect (an empty list restricts nothing in ingress-nginx)')
      else if (RANGES[name]) {
        const a = ANNOTATIONS[RANGES[name]]
        const ranges = a.parse(v)
        if (ranges === undefined) {
          blocked = true
          lost(`${v} is not a list of networks vipctl applies (${a.expect}): the Ingress is not migrated (serving it without the restriction would open it)`)
        } else {
          out[a.key] = [...new Set([...(out[a.key]?.split(',') ?? []), ...ranges])].join(',')
          exact(`${a.key}: ${out[a.key]} (the connection's source address, or the PROXY protocol's where the listener accepts it)`)
        }
      } else if (ACCESS.test(name)) {
        blocked = true
        lost(`restricts who may reach the routes and vipctl cannot apply it: the Ingress is not migrated (serving it without the restriction would open it); put the restriction in the application, or remove the key if the routes may be open`)
      } else if (SNIPPET.test(name)) {
        blocked = true
        lost('raw nginx configuration, which vipctl never pastes: the Ingress is not migrated; express what it does with vipctl settings, then migrate again')
      } else if (name === 'ssl-redirect' || name === 'force-ssl-redirect') {
        const on = truthy(v)
        if (name === 'force-ssl-redirect' && on && !(ing.spec.tls ?? []).length) approx('redirects even without TLS on this Ingress; vipctl redirects the Ingress\'s TLS hosts only (add spec.tls)')
        else exact(`vipctl.io/ssl-redirect: "${on}"`)
        if (name === 'ssl-redirect' || on) out['vipctl.io/ssl-redirect'] = String(on)
      } else if (name === 'backend-protocol') {
        const p = v.trim().toUpperCase()
        const to = p === 'HTTP' || p === 'AUTO_HTTP' ? 'http' : p === 'HTTPS' ? 'https' : p === 'GRPC' ? 'h2c' : p === 'GRPCS' ? 'https' : undefined
        if (!to) lost(`${v} has no vipctl equivalent (HTTP, HTTPS, GRPC, GRPCS)`)
        else {
          onServices('vipctl.io/backend-protocol', to, field)
          if (p === 'GRPCS') approx('GRPCS -> https to the members (HTTP/1.1 over TLS): gRPC needs HTTP/2; set it on the Service as below')
          manual(`vipctl keeps the backend protocol on the Service: kubectl annotate service -n ${ns} ${[...backends].join(' ')} vipctl.io/backend-protocol=${to}`)
        }
      } else if (name === 'affinity') {
        if (v.trim() === 'cookie') {
          const cookie = ann[`${NGINX_PREFIX}session-cookie-name`]?.trim() || 'INGRESSCOOKIE'
          if (/^[A-Za-z0-9_-]{1,64}$/.test(cookie)) {
            onServices('vipctl.io/session-cookie', cookie, field)
            manual(`vipctl keeps cookie persistence on the Service: kubectl annotate service -n ${ns} ${[...backends].join(' ')} vipctl.io/session-cookie=${cookie}`)
          } else lost(`cookie name ${JSON.stringify(cookie)} is not a cookie name vipctl writes`)
        } else lost(`${v}: only cookie affinity has a vipctl equivalent`)
      } else if (name === 'session-cookie-name') exact('with affinity: cookie (vipctl.io/session-cookie on the Service)')
      else if (name.startsWith('session-cookie-') || name === 'affinity-mode') approx(`${name}: vipctl's cookie is a session cookie (httponly, no expiry, path /); this setting is not kept`)
      else if (name === 'proxy-connect-timeout' && seconds(v) !== undefined) {
        onServices('vipctl.io/timeout-connect', `${seconds(v)}s`, field)
        manual(`vipctl keeps the connect timeout on the Service: kubectl annotate service -n ${ns} ${[...backends].join(' ')} vipctl.io/timeout-connect=${seconds(v)}s`)
      } else if (name === 'proxy-read-timeout' && seconds(v) !== undefined) {
        out['vipctl.io/timeout-request'] = `${seconds(v)}s`
        exact(`vipctl.io/timeout-request: ${seconds(v)}s`)
      } else if (name === 'proxy-send-timeout') approx('vipctl has no timeout for sending the request to a member; its connect and server timeouts apply')
      else if (name === 'permanent-redirect' || name === 'temporal-redirect') {
        const code = name === 'permanent-redirect' ? Number(ann[`${NGINX_PREFIX}permanent-redirect-code`] ?? 301) : Number(ann[`${NGINX_PREFIX}temporal-redirect-code`] ?? 302)
        const m = /^(https?):\/\/([a-z0-9.-]+)(?::([0-9]{1,5}))?(\/[A-Za-z0-9._~\-/]*)?$/i.exec(v.trim())
        if (!m || ![301, 302, 303, 307, 308].includes(code)) lost(`${shownValue(k, v)} (code ${code}) is not a URL vipctl can redirect to (scheme, host, port, path; 301-308)`)
        else {
          out['vipctl.io/redirect'] = [`scheme=${m[1]!.toLowerCase()}`, `host=${m[2]!.toLowerCase()}`, ...(m[3] ? [`port=${m[3]}`] : []), `path=${m[4] ?? '/'}`, `code=${code}`].join(' ')
          approx(`-> vipctl.io/redirect "${out['vipctl.io/redirect']}": the request's query string is kept (nginx drops it)`)
        }
      } else if (name === 'permanent-redirect-code' || name === 'temporal-redirect-code') {
        if (ann[`${NGINX_PREFIX}${name.replace('-code', '')}`] !== undefined) exact(`with ${name.replace('-code', '')} (vipctl.io/redirect code=)`)
        else exact('no effect (no redirect on this Ingress)')
      }
      else if (name === 'app-root') {
        if (!/^\/[A-Za-z0-9._~\-/]*$/.test(v.trim())) lost(`${v} is not a path vipctl redirects to`)
        else exact(`a separate Ingress redirecting each host's / (Exact) to ${v.trim()} with 302`)
      } else if (name === 'use-regex') {
        useRegex = truthy(v)
        if (useRegex) exact('paths read as regular expressions where vipctl can express them; the rest are reported')
        else exact('no effect')
      } else if (name === 'rewrite-target') {
        rewriteTarget = v.trim()
        exact('read with the paths (see their findings)')
      } else if (name === 'enable-cors') {
        if (truthy(v)) {
          const origin = ann[`${NGINX_PREFIX}cors-allow-origin`]?.trim() || '*'
          const methods = ann[`${NGINX_PREFIX}cors-allow-methods`]?.trim() || 'GET, PUT, POST, DELETE, PATCH, OPTIONS'
          const headers = ann[`${NGINX_PREFIX}cors-allow-headers`]?.trim() || 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization'
          response.push(`set Access-Control-Allow-Origin: ${origin}`, `set Access-Control-Allow-Methods: ${methods}`, `set Access-Control-Allow-Headers: ${headers}`)
          if (truthy(ann[`${NGINX_PREFIX}cors-allow-credentials`] ?? 'true')) response.push('set Access-Control-Allow-Credentials: true')
          const expose = ann[`${NGINX_PREFIX}cors-expose-headers`]?.trim()
          if (expose) response.push(`set Access-Control-Expose-Headers: ${expose}`)
          const maxAge = ann[`${NGINX_PREFIX}cors-max-age`]?.trim()
          if (maxAge) response.push(`set Access-Control-Max-Age: ${maxAge}`)
          approx('CORS headers are set on every response (vipctl.io/response-headers); preflight OPTIONS requests go to the application, which nginx answered itself with 204')
        } else exact('no effect')
      } else if (name.startsWith('cors-')) exact('with enable-cors (vipctl.io/response-headers)')
      else if (name === 'x-forwarded-prefix' && /^\/[A-Za-z0-9._~\-/]*$/.test(v.trim())) {
        request.push(`set X-Forwarded-Prefix: ${v.trim()}`)
        exact('vipctl.io/request-headers: set X-Forwarded-Prefix')
      } else if (name === 'load-balance') {
        const m = v.trim() === 'round_robin' ? 'roundrobin' : v.trim() === 'ewma' ? 'leastconn' : undefined
        if (!m) lost(`${v} has no vipctl equivalent`)
        else {
          if (m !== 'roundrobin') onServices('vipctl.io/lb-method', m, field)
          if (v.trim() === 'ewma') approx('ewma -> leastconn, set on the Service')
          else exact("vipctl's default (round robin)")
        }
      } else if (name === 'canary' && !truthy(v)) exact('no effect')
      else if (name === 'upstream-vhost') {
        const h = v.trim().toLowerCase()
        if (ANNOTATIONS.rewrite.parse(`host=${h}`) === undefined) lost(`${v} is not a host name vipctl sends to the members`)
        else (rewriteHost = h), exact(`vipctl.io/rewrite host=${h}`)
      } else if (name === 'connection-proxy-header') approx(`vipctl manages the connections to the members itself (keep-alive where they allow it); the Connection header ${JSON.stringify(v.trim())} is not sent`)
      else if (name === 'proxy-ssl-secret') {
        const [sns, sname] = v.includes('/') ? v.trim().split('/') : [ns, v.trim()]
        if (sns !== ns || !sname || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(sname)) lost(`${v}: vipctl reads the CA from a Secret in the Service's own namespace (${ns})`)
        else {
          onServices('vipctl.io/backend-ca', sname, field)
          approx(`the CA in Secret ${ns}/${sname} (its ca.crt) verifies the members (vipctl.io/backend-ca on the Service); a client certificate in it (tls.crt/tls.key) is not presented to the members`)
        }
      } else if (name === 'proxy-ssl-name') {
        const h = v.trim().toLowerCase()
        if (ANNOTATIONS.backendServerName.parse(h) === undefined) lost(`${v} is not a server name vipctl verifies`)
        else onServices('vipctl.io/backend-server-name', h, field), manual(`vipctl keeps the name on the Service: kubectl annotate service -n ${ns} ${[...backends].join(' ')} vipctl.io/backend-server-name=${h}`)
      } else if (name === 'proxy-ssl-verify') {
        if (v.trim() === 'on') exact("vipctl always verifies the members' certificates")
        else approx("off -> vipctl verifies the members' certificates (against vipctl.io/backend-ca or the system CAs): members with certificates that do not verify are no longer reached")
      } else if (name === 'proxy-ssl-server-name') {
        if (v.trim() === 'on') exact('vipctl sends the server name (SNI) it verifies')
        else approx('off -> vipctl sends the server name (SNI) it verifies')
      } else if (['proxy-ssl-protocols', 'proxy-ssl-ciphers', 'proxy-ssl-verify-depth'].includes(name)) approx(`${v.trim()} -> vipctl's TLS client settings (TLS 1.2 and 1.3, OpenSSL's default ciphers and depth)`)
      else if (name === 'from-to-www-redirect') {
        if (!truthy(v)) exact('no effect')
        else exact('one Ingress per host redirecting the other form (www. added or removed) to it with 308')
      }
      else if (['proxy-body-size', 'client-body-buffer-size', 'proxy-buffering', 'proxy-buffer-size', 'proxy-buffers-number', 'proxy-request-buffering', 'proxy-http-version', 'proxy-max-temp-file-size', 'server-alias', 'upstream-vhost', 'service-upstream', 'upstream-hash-by', 'custom-http-errors', 'default-backend', 'ssl-passthrough', 'proxy-next-upstream', 'proxy-next-upstream-tries', 'proxy-next-upstream-timeout', 'enable-access-log', 'enable-rewrite-log', 'connection-proxy-header', 'preserve-trailing-slash', 'http2-push-preload', 'mirror-target', 'mirror-uri', 'mirror-request-body', 'proxy-cookie-domain', 'proxy-cookie-path', 'proxy-redirect-from', 'proxy-redirect-to', 'custom-headers', 'ssl-ciphers', 'ssl-prefer-server-ciphers', 'enable-opentelemetry', 'opentelemetry-trust-incoming-span', 'enable-opentracing'].includes(name))
        lost(`vipctl has no equivalent of ${name}; the Ingress is migrated without it`)
      else lost(`not a key vipctl reads; the Ingress is migrated without it`)
    }
    account(key, 'Ingress', '', blocked ? 'lost' : 'exact', blocked ? 'not migrated (see its keys)' : `Ingress ${ns}/${ing.metadata.name} of class vipctl`)
    if (blocked) continue

    // Paths: plain ones carry over; regular expressions only in the form /prefix(/|$)(.*) with rewrite-target /$2.
    const rules = (ing.spec.rules ?? []).map((r, ri) => ({
      ...(r.host ? {host: r.host} : {}),
      http: {
        paths: (r.http?.paths ?? []).flatMap((p, pi): Array<Record<string, unknown>> => {
          const field = `spec.rules[${ri}].http.paths[${pi}].path`
          const path = p.path ?? '/'
          const regexLike = /[()[\]{}*+?^$|\\]/.test(path)
          if (useRegex || rewriteTarget !== undefined) {
            const m = /^(\/[A-Za-z0-9._~\-/]*?)\/?\(\/\|\$\)\(\.\*\)$/.exec(path)
            if (m && (rewriteTarget === '/$2' || rewriteTarget === '/$2/')) {
              out['vipctl.io/rewrite'] = 'prefix=/'
              say('VIP5002', key, field, `${path} with rewrite-target ${rewriteTarget} -> Prefix ${m[1]} with vipctl.io/rewrite prefix=/ (matched by path element, case-sensitive; nginx matched the regular expression case-insensitively)`)
              return [{...p, path: m[1] || '/', pathType: 'Prefix'}]
            }
            if (regexLike) {
              say('VIP5001', key, field, `${path} is a regular expression vipctl cannot express (it matches by Exact or Prefix path): this path is not migrated`)
              return []
            }
            if (rewriteTarget !== undefined) {
              const t = rewriteTarget
              if (/^\/[A-Za-z0-9._~\-/]*$/.test(t)) {
                out['vipctl.io/rewrite'] = `prefix=${t}`
                say('VIP5002', key, field, `${path} with rewrite-target ${t} -> vipctl.io/rewrite prefix=${t} (the matched prefix is replaced; nginx replaced the regular expression's match)`)
              } else say('VIP5001', key, field, `rewrite-target ${t} uses captures vipctl cannot express: the path is migrated without the rewrite`)
            }
          }
          if (regexLike) {
            say('VIP5001', key, field, `${path} holds characters no vipctl path may (regular expressions need use-regex in ingress-nginx): not migrated`)
            return []
          }
          if (p.pathType === 'ImplementationSpecific') say('VIP5002', key, field, `ImplementationSpecific ${path}: nginx matched it as a string prefix (${path}x too); vipctl matches it as a Prefix by path element`)
          return [{...p, path, pathType: p.pathType === 'ImplementationSpecific' ? 'Prefix' : p.pathType}]
        }),
      },
    }))
    // Route settings (source ranges, header rules, rewrites, CORS) hold for an Ingress's rules, never for a default
    // backend, which answers for the whole VIP: with any of them, the default backend becomes a rule for /.
    if (rewriteHost) out['vipctl.io/rewrite'] = [`host=${rewriteHost}`, ...(out['vipctl.io/rewrite'] ? [out['vipctl.io/rewrite']] : [])].join(' ')
    const routeKeys = ['vipctl.io/allow-source-ranges', 'vipctl.io/deny-source-ranges', 'vipctl.io/rewrite', 'vipctl.io/redirect', 'vipctl.io/timeout-request'].filter((k) => out[k] !== undefined)
    if (request.length) routeKeys.push('vipctl.io/request-headers')
    if (response.length) routeKeys.push('vipctl.io/response-headers')
    const restricted = routeKeys.length > 0
    if (restricted && ing.spec.defaultBackend) {
      if (!rules.some((r) => !r.host && r.http.paths.some((p) => p.path === '/'))) rules.push({http: {paths: [{path: '/', pathType: 'Prefix', backend: ing.spec.defaultBackend}]}} as (typeof rules)[number])
      say('VIP5002', key, 'spec.defaultBackend', `with ${routeKeys.join(', ')} the default backend becomes a rule for / without a host (a default backend answers every request no rule matches on the VIP, and takes no route settings)`)
    }
    if (request.length) out['vipctl.io/request-headers'] = request.join('\n')
    if (response.length) {
      // The CORS values must be header values vipctl writes (the annotation's own parser decides).
      if (ANNOTATIONS.responseHeaders.parse(response.join('\n')) !== undefined) out['vipctl.io/response-headers'] = response.join('\n')
      else say('VIP5001', key, `metadata.annotations[${NGINX_PREFIX}enable-cors]`, `the CORS values are not header values vipctl writes (${ANNOTATIONS.responseHeaders.expect}): CORS is not migrated`)
    }
    const obj: K8s = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: ing.metadata.name,
        namespace: ns,
        labels: {...(ing.metadata.labels ?? {}), 'app.kubernetes.io/managed-by': 'vipctl-migrate'},
        annotations: {...Object.fromEntries(Object.entries(ann).filter(([k]) => !k.startsWith(NGINX_PREFIX) && k !== 'kubernetes.io/ingress.class')), ...out, 'migrate.vipctl.io/source': key},
      },
      spec: {
        ingressClassName: 'vipctl',
        // With source ranges the default backend is a rule for / (a default backend answers for the whole VIP).
        ...(ing.spec.defaultBackend && !restricted ? {defaultBackend: ing.spec.defaultBackend} : {}),
        ...(ing.spec.tls ? {tls: ing.spec.tls} : {}),
        rules,
      },
    }
    objects.push(obj)
    emitted.set(key, obj)
    const appRoot = ann[`${NGINX_PREFIX}app-root`]?.trim()
    if (appRoot && /^\/[A-Za-z0-9._~\-/]*$/.test(appRoot)) {
      // One Ingress per host: its / (Exact) redirects to the application root, as nginx's app-root does.
      for (const r of ing.spec.rules ?? [])
        objects.push({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: {name: `${ing.metadata.name}-app-root`.slice(0, 63), namespace: ns, labels: {'app.kubernetes.io/managed-by': 'vipctl-migrate'}, annotations: {'vipctl.io/redirect': `path=${appRoot} code=302`, 'migrate.vipctl.io/source': `${key} ${NGINX_PREFIX}app-root`}},
          spec: {ingressClassName: 'vipctl', ...(ing.spec.tls ? {tls: ing.spec.tls} : {}), rules: [{...(r.host ? {host: r.host} : {}), http: {paths: [{path: '/', pathType: 'Exact', backend: r.http?.paths?.[0]?.backend ?? ing.spec.defaultBackend}]}}]},
        })
    }
  }

  // from-to-www-redirect: the other form of each host (www. added or removed) redirects to it, keeping path and query.
  // As in ingress-nginx, no redirect for a host another Ingress serves.
  const served = new Set(ours.flatMap((i) => (i.spec.rules ?? []).map((r) => canonicalHost(r.host ?? ''))))
  for (const ing of mains) {
    const obj = emitted.get(objectKey(ing))
    if (!obj || !truthy(ing.metadata.annotations?.[`${NGINX_PREFIX}from-to-www-redirect`])) continue
    const ns = ing.metadata.namespace ?? 'default'
    const hosts = new Set((ing.spec.rules ?? []).map((r) => canonicalHost(r.host ?? '')).filter((h) => h !== '' && !h.startsWith('*.')))
    for (const h of hosts) {
      const other = h.startsWith('www.') ? h.slice(4) : `www.${h}`
      if (served.has(other) || !other.includes('.')) {
        if (served.has(other)) say('VIP5002', objectKey(ing), `metadata.annotations[${NGINX_PREFIX}from-to-www-redirect]`, `${other} is served by an Ingress of its own: no redirect to ${h} (as in ingress-nginx)`)
        continue
      }
      const backend = (ing.spec.rules ?? []).find((r) => canonicalHost(r.host ?? '') === h)?.http?.paths?.[0]?.backend
      const tls = (ing.spec.tls ?? []).filter((t) => (t.hosts ?? []).map(canonicalHost).includes(other))
      objects.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {name: `${ing.metadata.name}-${other.startsWith('www.') ? 'to' : 'from'}-www`.slice(0, 63), namespace: ns, labels: {'app.kubernetes.io/managed-by': 'vipctl-migrate'}, annotations: {'vipctl.io/redirect': `host=${h} code=308`, 'migrate.vipctl.io/source': `${objectKey(ing)} ${NGINX_PREFIX}from-to-www-redirect`, ...(obj.metadata.annotations?.['vipctl.io/vip'] ? {'vipctl.io/vip': obj.metadata.annotations['vipctl.io/vip']} : {})}},
        spec: {ingressClassName: 'vipctl', ...(tls.length ? {tls} : {}), rules: [{host: other, http: {paths: [{path: '/', pathType: 'Prefix', backend}]}}]},
      })
    }
  }

  // Canaries: a weight share of the main Ingress's traffic -> vipctl.io/traffic-split on the main Ingress.
  for (const c of canaries) {
    const key = objectKey(c)
    const ann = c.metadata.annotations ?? {}
    const ns = c.metadata.namespace ?? 'default'
    for (const [k, v] of Object.entries(ann)) {
      if (!k.startsWith(NGINX_PREFIX)) continue
      const name = k.slice(NGINX_PREFIX.length)
      if (name === 'canary' || name === 'canary-weight' || name === 'canary-weight-total') continue
      const why = name.startsWith('canary-by-') ? 'vipctl splits by weight only: requests that carried this header or cookie are no longer sent to the canary by it' : 'keys on a canary Ingress do not carry over (the main Ingress decides)'
      say(name.startsWith('canary-by-') ? 'VIP5002' : 'VIP5001', key, `metadata.annotations[${k}]`, `${k}: ${why}`)
      entry(`${key} ${k}: ${shownValue(k, v)}`, name.startsWith('canary-by-') ? 'approximate' : 'lost', [why])
    }
    const weight = Number(ann[`${NGINX_PREFIX}canary-weight`] ?? 0)
    const total = Number(ann[`${NGINX_PREFIX}canary-weight-total`] ?? 100)
    const canarySvc = (c.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend.service?.name)).find(Boolean) ?? c.spec.defaultBackend?.service?.name
    const hosts = new Set((c.spec.rules ?? []).map((r) => canonicalHost(r.host ?? '')))
    // The main Ingress: same namespace, one of the canary's hosts (ingress-nginx pairs them by host and path).
    const main = mains.find((m) => (m.metadata.namespace ?? 'default') === ns && (m.spec.rules ?? []).some((r) => hosts.has(canonicalHost(r.host ?? ''))))
    const out = main ? emitted.get(objectKey(main)) : undefined
    // ingress-nginx merges a canary into the main Ingress's location of the same host and path: that location's Service.
    const cpath = canaryLocation(c)
    const mainSvc = main && cpath ? (main.spec.rules ?? []).filter((r) => canonicalHost(r.host ?? '') === cpath.host).flatMap((r) => r.http?.paths ?? []).find((p) => (p.path ?? '/') === cpath.path)?.backend.service?.name : undefined
    if (!out || !canarySvc || !mainSvc || !(weight >= 0 && weight <= total && total > 0 && total <= 1000)) {
      say('VIP5001', key, 'metadata.annotations[nginx.ingress.kubernetes.io/canary]', `no main Ingress of class nginx in namespace ${ns} for its hosts (or no weight/backend): the canary is not migrated`)
      entry(`${key} Ingress`, 'lost', ['canary without a main Ingress'])
      continue
    }
    const split = `${mainSvc}=${total - weight},${canarySvc}=${weight}`
    let splitName = ''
    // vipctl.io/traffic-split splits every path of its Ingress that routes to the Service: when the main Ingress has
    // other paths to it, the canary's location moves to an Ingress of its own (same settings), so only it is split.
    const spec = out.spec as {rules?: Array<{host?: string; http: {paths: Array<{path?: string}>}}>}
    const others = (spec.rules ?? []).flatMap((r) => r.http.paths.filter((p) => !(canonicalHost(r.host ?? '') === cpath!.host && (p.path ?? '/') === cpath!.path) && (p as {backend?: {service?: {name?: string}}}).backend?.service?.name === mainSvc))
    if (others.length === 0) out.metadata.annotations!['vipctl.io/traffic-split'] = split
    else {
      const rules = (spec.rules ?? []).map((r) => ({...r, http: {paths: r.http.paths.filter((p) => !(canonicalHost(r.host ?? '') === cpath!.host && (p.path ?? '/') === cpath!.path))}})).filter((r) => r.http.paths.length > 0)
      const moved = (spec.rules ?? []).filter((r) => canonicalHost(r.host ?? '') === cpath!.host).map((r) => ({...r, http: {paths: r.http.paths.filter((p) => (p.path ?? '/') === cpath!.path)}})).filter((r) => r.http.paths.length > 0)
      spec.rules = rules
      const taken = new Set([...ours, ...objects].filter((o) => o.kind === 'Ingress' && (o.metadata.namespace ?? 'default') === ns).map((o) => o.metadata.name))
      let name = `${out.metadata.name.slice(0, 57)}-split`
      for (let i = 2; taken.has(name); i++) name = `${out.metadata.name.slice(0, 54)}-split-${i}`
      splitName = name
      objects.push({...out, metadata: {...out.metadata, name, annotations: {...out.metadata.annotations, 'vipctl.io/traffic-split': split}}, spec: {...(out.spec as object), rules: moved}})
    }
    entry(`${key} Ingress (canary)`, 'exact', [`vipctl.io/traffic-split ${split} on ${cpath!.host}${cpath!.path} of ${objectKey(main!)}`])
    say('VIP5002', key, 'metadata.annotations[nginx.ingress.kubernetes.io/canary-weight]', `-> vipctl.io/traffic-split "${split}" on ${cpath!.host || '(any host)'}${cpath!.path}${others.length ? ` (moved to Ingress ${ns}/${splitName}, so the main Ingress's other paths to ${mainSvc} are not split)` : ''}: requests are split by weight only (nginx's canary by header or cookie is not carried)`)
  }

  // ingress-nginx's Ingresses name no VIP: vipctl needs one (an annotation, or --vip / --vip-pool when it serves them).
  if (objects.some((o) => o.kind === 'Ingress' && !o.metadata.annotations?.['vipctl.io/vip']))
    say('VIP5003', 'routing', undefined, 'the migrated Ingresses name no VIP: give each one vipctl.io/vip, or run vipctl with --vip ADDRESS or --vip-pool CIDR (until then vipctl check reports VIP2005 on them)')
  for (const [svc, keys] of serviceNotes)
    for (const [k, v] of keys) report.push({severity: severityOf('VIP5003'), code: 'VIP5003', object: `Service/${svc}`, field: `metadata.annotations[${k}]`, message: `run: kubectl annotate service -n ${svc.split('/')[0]} ${svc.split('/')[1]} ${k}=${v.value} (from ${v.from})`})

  // Equivalence over a request table.
  const {differences, requests, missingServices} = equivalence(snap, mains.filter((m) => emitted.has(objectKey(m))), canaries, objects)
  if (missingServices > 0) say('VIP5003', 'routing', undefined, `${missingServices} requests of the equivalence table go to Services the input does not hold: give the Services too (-f with them, or migrate from the cluster) to compare those`)
  for (const d of differences.slice(0, 1000)) say('VIP5002', 'routing', undefined, `${d.host || '(any host)'}${d.path}: ingress-nginx -> ${d.nginx}, vipctl -> ${d.vipctl}`)
  if (differences.length > 1000) say('VIP5002', 'routing', undefined, `and ${differences.length - 1000} more requests that route differently (-o json lists all)`)
  return {objects, report, ledger, differences, requests}
}

/**
 * ingress-nginx's answer for one request: "ns/service", "split ns/a+ns/b" (a canary by weight), "redirect CODE",
 * or "404". Canaries by header or cookie are not modelled (said on the canary's keys).
 */
function nginxRoute(ings: Ingress[], canaries: Ingress[], host: string, path: string): string {
  const to = nginxLocation(ings, host, path)
  if (!to.ing) return to.result
  const a = to.ing.metadata.annotations ?? {}
  const redirect = a[`${NGINX_PREFIX}permanent-redirect`] ? Number(a[`${NGINX_PREFIX}permanent-redirect-code`] ?? 301) : a[`${NGINX_PREFIX}temporal-redirect`] ? Number(a[`${NGINX_PREFIX}temporal-redirect-code`] ?? 302) : undefined
  if (redirect) return `redirect ${redirect}`
  if (a[`${NGINX_PREFIX}app-root`] && path === '/') return 'redirect 302'
  const ns = to.ing.metadata.namespace ?? 'default'
  const canary = canaries.find((c) => (c.metadata.namespace ?? 'default') === ns && Number(c.metadata.annotations?.[`${NGINX_PREFIX}canary-weight`] ?? 0) > 0 && canaryLocation(c)?.host === host && canaryLocation(c)?.path === to.path)
  const cs = canary ? (canary.spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend.service?.name)).find(Boolean) : undefined
  return cs ? `split ${to.result}+${ns}/${cs}` : to.result
}

/** The host and path of a canary's first location (the one ingress-nginx merges into the main Ingress's). */
function canaryLocation(c: Ingress): {host: string; path: string} | undefined {
  const r = (c.spec.rules ?? []).find((x) => (x.http?.paths ?? []).length > 0)
  return r ? {host: canonicalHost(r.host ?? ''), path: r.http!.paths![0]!.path ?? '/'} : undefined
}

function nginxLocation(ings: Ingress[], host: string, path: string): {result: string; ing?: Ingress; path?: string} {
  const forHost = ings.filter((i) => (i.spec.rules ?? []).some((r) => canonicalHost(r.host ?? '') === host))
  const candidates = forHost.length > 0 ? forHost : ings.filter((i) => (i.spec.rules ?? []).some((r) => !r.host))
  const hostOf = (r: {host?: string}) => canonicalHost(r.host ?? '')
  const regex = candidates.some((i) => truthy(i.metadata.annotations?.[`${NGINX_PREFIX}use-regex`]) || i.metadata.annotations?.[`${NGINX_PREFIX}rewrite-target`] !== undefined)
  type Loc = {path: string; type: string; to: string; ing: Ingress}
  const locs: Loc[] = []
  for (const i of candidates)
    for (const r of i.spec.rules ?? []) {
      if (hostOf(r) !== (forHost.length > 0 ? host : '')) continue
      for (const p of r.http?.paths ?? []) {
        const svc = p.backend.service
        locs.push({path: p.path ?? '/', type: p.pathType, to: svc ? `${i.metadata.namespace}/${svc.name}` : 'resource', ing: i})
      }
    }
  if (regex) {
    // Every path of the host becomes a case-insensitive regular expression anchored at the start, longest first.
    for (const l of [...locs].sort((a, b) => b.path.length - a.path.length)) {
      let re: RegExp
      try {
        re = new RegExp(`^${l.path}`, 'i')
      } catch {
        continue
      }
      if (re.test(path)) return {result: l.to, ing: l.ing, path: l.path}
    }
    return {result: '404'}
  }
  const exact = locs.find((l) => l.type === 'Exact' && l.path === path)
  if (exact) return {result: exact.to, ing: exact.ing, path: exact.path}
  const prefix = locs
    .filter((l) => l.type !== 'Exact')
    .filter((l) => (l.type === 'Prefix' ? l.path === '/' || path === l.path.replace(/\/+$/, '') || path.startsWith(`${l.path.replace(/\/+$/, '')}/`) : path.startsWith(l.path)))
    .sort((a, b) => b.path.length - a.path.length)[0]
  return prefix ? {result: prefix.to, ing: prefix.ing, path: prefix.path} : {result: '404'}
}

/** A path a regular-expression path matches (first alternative, one of each class, "x" for any): a request to probe. */
export function sampleOf(re: string): string | undefined {
  if (!/[()[\]{}*+?^$|\\.]/.test(re)) return undefined
  let out = re
    .replace(/\[\^?([^\]]*)\]/g, (_, cls: string) => (cls.match(/[A-Za-z0-9]/)?.[0] ?? 'x'))
    .replace(/\(([^()|]*)(\|[^()]*)?\)/g, '$1')
    .replace(/\.\*|\.\+|\./g, 'x')
    .replace(/[+*?]/g, '')
    .replace(/\{[0-9,]+\}/g, '')
    .replace(/[\^$]/g, '')
    .replace(/\\(.)/g, '$1')
  if (!out.startsWith('/')) out = `/${out}`
  return /^\/[A-Za-z0-9._~\-/]*$/.test(out) ? out : undefined
}

function equivalence(snap: Snapshot, mains: Ingress[], canaries: Ingress[], objects: K8s[]): {differences: NginxMigrateResult['differences']; requests: number; missingServices: number} {
  // The migrated Ingresses with the input's Services, routed by vipctl's routing module. Both redirect plain HTTP
  // for TLS hosts to HTTPS: the answer compared is the one after that (ssl-redirect off here, on one listener).
  const migrated: Snapshot = {...snap, ingresses: objects.filter((o) => o.kind === 'Ingress').map((o) => ({...(o as unknown as Ingress), metadata: {...(o as unknown as Ingress).metadata, annotations: {...o.metadata.annotations, 'vipctl.io/vip': '192.0.2.1', 'vipctl.io/ssl-redirect': 'false'}}})), ingressClasses: []}
  const model = buildModel(migrated, {})
  const frontends = model.frontends.filter((f) => f.protocol === 'http')
  const tables = frontends.map((f) => routingTable(f, model))
  const vipctlRoute = (host: string, path: string): string => {
    for (const t of tables) {
      const v = decide(t, {host: host || undefined, path})
      if (v.outcome.kind === 'pool') {
        const pool = model.pools.find((p) => p.id === (v.outcome as {pool: string}).pool)!
        const name = (id: string) => id.split('/').slice(0, 2).join('/')
        return v.outcome.split ? `split ${v.outcome.split.map((b) => name(b.pool)).join('+')}` : `${pool.namespace}/${pool.service}`
      }
      if (v.outcome.kind === 'redirect') return `redirect ${v.outcome.code}`
      if (v.outcome.kind === 'status' && v.outcome.code === 400) return '400'
    }
    return '404'
  }
  const differences: NginxMigrateResult['differences'] = []
  let requests = 0
  let missing = 0
  const seen = new Set<string>()
  for (const i of mains)
    for (const r of i.spec.rules ?? []) {
      const host = canonicalHost(r.host ?? '')
      for (const p of r.http?.paths ?? []) {
        const base = (p.path ?? '/').replace(/[()[\]{}*+?^$|\\].*$/, '').replace(/\/+$/, '') || '/'
        const probes = base === '/' ? ['/', '/x'] : [base, `${base}/`, `${base}/x`, `${base}x`, base.toUpperCase()]
        const sample = sampleOf(p.path ?? '/')
        if (sample && !probes.includes(sample)) probes.push(sample)
        for (const path of probes) {
          const k = `${host}|${path}`
          if (seen.has(k)) continue
          seen.add(k)
          requests++
          const a = nginxRoute(mains, canaries, host, path)
          // A backend the input does not hold cannot be compared (vipctl would report it missing): skipped, counted.
          if (a.replace(/^split /, '').split('+').some((x) => x.includes('/') && !snap.services.some((s) => `${s.metadata.namespace}/${s.metadata.name}` === x))) {
            missing++
            continue
          }
          const b = vipctlRoute(host, path)
          if (a !== b) differences.push({host, path, nginx: a, vipctl: b})
        }
      }
    }
  return {differences, requests: requests - missing, missingServices: missing}
}

/** An annotation value as the ledger shows it: snippets (which may hold credentials) by size only, URLs without user:password. */
function shownValue(key: string, value: string): string {
  if (/snippet$/.test(key)) return `(${value.split('\n').length} lines, not shown)`
  return redactText(value)
}
