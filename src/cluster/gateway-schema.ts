/**
 * Schemas of the Gateway API kinds vipctl reads (gateway.networking.k8s.io, the v1.6.3 CRDs), with the CRDs' own
 * OpenAPI limits and the CEL rules that decide what an object means (listener names unique, one filter of each
 * kind, path modifiers matching their type, redirect and backends not together...). Offline manifests never met
 * the API server's validation, so they meet it here; live objects pass the same schemas.
 *
 * Versions (all served by the v1.6.3 CRDs, standard channel): GatewayClass, Gateway, HTTPRoute and ReferenceGrant
 * v1 and v1beta1 (one schema: the fields vipctl reads are the same); GRPCRoute, TCPRoute, TLSRoute, UDPRoute,
 * ListenerSet and BackendTLSPolicy v1 (the only version each CRD serves). ConfigMaps: their ca.crt only.
 */
import {ipFamily} from '../core/address.js'
import {z} from 'zod'
import {GATEWAY_DURATION, parseDuration} from '../core/duration.js'
import type {BackendTLSPolicy, ConfigMapCa, Gateway, GatewayClass, GRPCRoute, HTTPRoute, HTTPRouteFilter, ListenerSet, ReferenceGrant, TCPRoute, TLSRoute, UDPRoute} from './types.js'

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const GROUP = /^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const KIND = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
/** Gateway API Hostname: a DNS name, optionally with one leading "*." (never an IP address). */
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const CONTROLLER = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/
const PROTOCOL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/
/** RFC 7230 token: a header (or query parameter) name as the CRD allows it. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/
/** The CRD's CORSOrigin: `*`, or http(s)://host[:port] where the host may start with "*." or be "*". */
const CORS_ORIGIN = /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/

const group = z.string().max(253).regex(GROUP, 'must be an API group (a DNS subdomain, or "" for the core group)')
const kind = z.string().min(1).max(63).regex(KIND, 'must be a kind name')
const objectName = z.string().min(1).max(253)
const namespace = z.string().min(1).max(63).regex(LABEL, 'must be a namespace name (a DNS-1123 label)')
const sectionName = z.string().min(1).max(253).regex(SUBDOMAIN, 'must be a DNS subdomain')
export const gatewayHostname = z
  .string()
  .min(1)
  .max(253)
  .regex(HOSTNAME, 'must be a DNS name, optionally starting with "*." (not an IP address)')
  .refine((h) => ipFamily(h) === 0, 'must be a DNS name, not an IP address (the spec does not allow IP addresses as hostnames)')
const port = z.number().int('must be an integer').min(1, 'must be 1-65535').max(65535, 'must be 1-65535')
const headerName = z.string().min(1).max(256).regex(HEADER_NAME, 'must be an HTTP header name (an RFC 7230 token)')

function ref(defaultGroup: string, defaultKind: string) {
  return z.object({group: group.default(defaultGroup), kind: kind.default(defaultKind), name: objectName, namespace: namespace.optional()})
}

const labelSelector = z.object({
  matchLabels: z.record(z.string().max(316), z.string().max(63)).optional(),
  matchExpressions: z.array(z.object({key: z.string().max(316), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string().max(63)).optional()})).optional(),
})

const gatewayMeta = (meta: z.AnyZodObject) => meta.extend({generation: z.number().int().min(0).optional()})

/** Gateway API schemas for the kinds vipctl reads, keyed like SCHEMAS (apiVersion/kind); `meta(namespaced)` is intake's metadata schema. */
export function gatewaySchemas(meta: (namespaced: boolean) => z.AnyZodObject): Record<string, z.ZodTypeAny> {
  const G = 'gateway.networking.k8s.io'

  const gatewayClass = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('GatewayClass'),
      metadata: gatewayMeta(meta(false)),
      spec: z.object({controllerName: z.string().max(253).regex(CONTROLLER, 'must be a domain-prefixed path, e.g. vipctl.io/gateway-controller'), description: z.string().max(64).optional(), parametersRef: z.object({group: z.string().max(253), kind: z.string().max(63), name: z.string().max(253), namespace: z.string().max(63).optional()}).optional()}),
    })
    .transform((o): GatewayClass => o as GatewayClass)

  const listener = z
    .object({
      name: sectionName,
      hostname: gatewayHostname.optional(),
      port,
      protocol: z.string().min(1).max(255).regex(PROTOCOL, 'must be HTTP, HTTPS, TLS, TCP, UDP or a domain-prefixed protocol'),
      tls: z
        .object({
          mode: z.enum(['Terminate', 'Passthrough']).default('Terminate'),
          certificateRefs: z.array(ref('', 'Secret')).max(64).default([]),
          options: z.record(z.string().max(253), z.string().max(4096)).optional(),
        })
        .refine((t) => t.mode !== 'Terminate' || t.certificateRefs.length > 0 || Object.keys(t.options ?? {}).length > 0, {message: 'certificateRefs or options must be specified when mode is Terminate', path: ['certificateRefs']})
        .optional(),
      allowedRoutes: z
        .object({
          namespaces: z.object({from: z.enum(['All', 'Selector', 'Same', 'None']).default('Same'), selector: labelSelector.optional()}).default({}),
          kinds: z.array(z.object({group: group.default(G), kind})).max(8).optional(),
        })
        .default({}),
    })
    .superRefine((l, ctx) => {
      if (['HTTP', 'TCP', 'UDP'].includes(l.protocol) && l.tls) ctx.addIssue({code: 'custom', path: ['tls'], message: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"})
      if (l.protocol === 'HTTPS' && l.tls && l.tls.mode !== 'Terminate') ctx.addIssue({code: 'custom', path: ['tls', 'mode'], message: 'tls mode must be Terminate for protocol HTTPS'})
      if (l.protocol === 'TLS' && !l.tls) ctx.addIssue({code: 'custom', path: ['tls'], message: 'tls mode must be set for protocol TLS'})
      if (['TCP', 'UDP'].includes(l.protocol) && l.hostname !== undefined) ctx.addIssue({code: 'custom', path: ['hostname'], message: "hostname must not be specified for protocols ['TCP', 'UDP']"})
      if (l.allowedRoutes.namespaces.from === 'Selector' && !l.allowedRoutes.namespaces.selector) ctx.addIssue({code: 'custom', path: ['allowedRoutes', 'namespaces', 'selector'], message: 'is required when from is Selector'})
    })

  const listeners = z
    .array(listener)
    .min(1)
    .max(64)
    .superRefine((ls, ctx) => {
      const names = new Set<string>()
      const combos = new Set<string>()
      ls.forEach((l, i) => {
        if (names.has(l.name)) ctx.addIssue({code: 'custom', path: [i, 'name'], message: 'Listener name must be unique within the Gateway'})
        names.add(l.name)
        const c = `${l.port}|${l.protocol}|${l.hostname ?? ''}`
        if (combos.has(c)) ctx.addIssue({code: 'custom', path: [i], message: 'Combination of port, protocol and hostname must be unique for each listener'})
        combos.add(c)
      })
    })
  const allowedListeners = z.object({namespaces: z.object({from: z.enum(['All', 'Selector', 'Same', 'None']).default('None'), selector: labelSelector.optional()}).default({})}).superRefine((a, ctx) => {
    if (a.namespaces.from === 'Selector' && !a.namespaces.selector) ctx.addIssue({code: 'custom', path: ['namespaces', 'selector'], message: 'is required when from is Selector'})
  })

  const gateway = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('Gateway'),
      metadata: gatewayMeta(meta(true)),
      spec: z
        .object({
          gatewayClassName: z.string().min(1).max(253),
          listeners,
          addresses: z
            .array(z.object({type: z.string().max(253).default('IPAddress'), value: z.string().max(253).optional()}))
            .max(16)
            .optional(),
          infrastructure: z.unknown().optional(),
          tls: z.unknown().optional(),
          allowedListeners: allowedListeners.optional(),
          defaultScope: z.unknown().optional(),
        })
        .passthrough(),
      status: z.object({addresses: z.array(z.object({type: z.string().optional(), value: z.string().max(253)})).max(16).optional()}).passthrough().optional(),
    })
    .transform((o): Gateway => {
      const {infrastructure, tls, allowedListeners, defaultScope, gatewayClassName, listeners, addresses} = o.spec
      const unsupported = Object.entries({infrastructure, tls, defaultScope})
        .filter(([, v]) => v !== undefined)
        .map(([k]) => `spec.${k}`)
      return {
        apiVersion: o.apiVersion,
        kind: 'Gateway',
        metadata: o.metadata as Gateway['metadata'],
        spec: {gatewayClassName, listeners: listeners as Gateway['spec']['listeners'], ...(addresses ? {addresses} : {}), ...(allowedListeners ? {allowedListeners} : {}), ...(unsupported.length ? {unsupported} : {})},
        ...(o.status?.addresses ? {status: {addresses: o.status.addresses}} : {}),
      }
    })

  const headerMods = z
    .object({
      set: z.array(z.object({name: headerName, value: z.string().min(1).max(4096)})).max(16).default([]),
      add: z.array(z.object({name: headerName, value: z.string().min(1).max(4096)})).max(16).default([]),
      remove: z.array(headerName).max(16).default([]),
    })
    .superRefine((h, ctx) => {
      for (const list of ['set', 'add'] as const) {
        const seen = new Set<string>()
        h[list].forEach((x, i) => {
          if (seen.has(x.name.toLowerCase())) ctx.addIssue({code: 'custom', path: [list, i, 'name'], message: 'header names must be unique (case-insensitive)'})
          seen.add(x.name.toLowerCase())
        })
      }
    })
  const pathModifier = z
    .object({type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']), replaceFullPath: z.string().max(1024).optional(), replacePrefixMatch: z.string().max(1024).optional()})
    .superRefine((p, ctx) => {
      if (p.type === 'ReplaceFullPath' && p.replaceFullPath === undefined) ctx.addIssue({code: 'custom', path: ['replaceFullPath'], message: 'replaceFullPath must be specified when type is set to ReplaceFullPath'})
      if (p.replaceFullPath !== undefined && p.type !== 'ReplaceFullPath') ctx.addIssue({code: 'custom', path: ['type'], message: "type must be 'ReplaceFullPath' when replaceFullPath is set"})
      if (p.type === 'ReplacePrefixMatch' && p.replacePrefixMatch === undefined) ctx.addIssue({code: 'custom', path: ['replacePrefixMatch'], message: 'replacePrefixMatch must be specified when type is set to ReplacePrefixMatch'})
      if (p.replacePrefixMatch !== undefined && p.type !== 'ReplacePrefixMatch') ctx.addIssue({code: 'custom', path: ['type'], message: "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set"})
    })
  const FILTER_FIELDS: Record<string, string> = {
    RequestHeaderModifier: 'requestHeaderModifier',
    ResponseHeaderModifier: 'responseHeaderModifier',
    RequestRedirect: 'requestRedirect',
    URLRewrite: 'urlRewrite',
    RequestMirror: 'requestMirror',
    CORS: 'cors',
    ExtensionRef: 'extensionRef',
  }
  const filterOf = (types: [string, ...string[]]) => z
    .object({
      type: z.enum(types),
      requestHeaderModifier: headerMods.optional(),
      responseHeaderModifier: headerMods.optional(),
      requestRedirect: z
        .object({
          scheme: z.enum(['http', 'https']).optional(),
          hostname: z.string().min(1).max(253).regex(SUBDOMAIN, 'must be a DNS name (no wildcard)').optional(),
          path: pathModifier.optional(),
          port: port.optional(),
          statusCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).default(302),
        })
        .optional(),
      urlRewrite: z.object({hostname: z.string().min(1).max(253).regex(SUBDOMAIN, 'must be a DNS name (no wildcard)').optional(), path: pathModifier.optional()}).optional(),
      requestMirror: z.unknown().optional(),
      cors: z
        .object({
          allowOrigins: z.array(z.string().min(1).max(253).regex(CORS_ORIGIN, 'must be *, or http(s)://host[:port] with an optional leading * in the host')).max(64).default([]),
          allowCredentials: z.boolean().default(false),
          allowMethods: z.array(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', '*'])).max(9).default([]),
          allowHeaders: z.array(headerName).max(64).default([]),
          exposeHeaders: z.array(headerName).max(64).default([]),
          maxAge: z.number().int().min(1).max(2_147_483_647, 'must fit in int32').default(5),
        })
        .superRefine((c, ctx) => {
          for (const [field, what] of [['allowOrigins', 'origins'], ['allowMethods', 'methods'], ['allowHeaders', 'methods'], ['exposeHeaders', 'methods']] as const)
            if ((c[field] as string[]).includes('*') && c[field].length > 1) ctx.addIssue({code: 'custom', path: [field], message: `${field.replace(/^./, (x) => x.toUpperCase())} cannot contain '*' alongside other ${what}`})
        })
        .optional(),
      extensionRef: z.unknown().optional(),
    })
    .superRefine((f, ctx) => {
      for (const [type, field] of Object.entries(FILTER_FIELDS)) {
        const has = (f as Record<string, unknown>)[field] !== undefined
        if (has && f.type !== type) ctx.addIssue({code: 'custom', path: [field], message: `filter.${field} must be nil if the filter.type is not ${type}`})
        if (!has && f.type === type) ctx.addIssue({code: 'custom', path: [field], message: `filter.${field} must be specified for ${type} filter.type`})
      }
    })
    .transform((f): HTTPRouteFilter => {
      const field = FILTER_FIELDS[f.type]!
      return {type: f.type, ...(['RequestMirror', 'ExtensionRef'].includes(f.type) ? {} : {[field]: (f as Record<string, unknown>)[field]})} as HTTPRouteFilter
    })
  const filters = z
    .array(filterOf(['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'CORS', 'ExtensionRef']))
    .max(16)
    .default([])
    .superRefine((fs, ctx) => {
      if (fs.some((f) => f.type === 'RequestRedirect') && fs.some((f) => f.type === 'URLRewrite')) ctx.addIssue({code: 'custom', message: 'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both'})
      for (const t of ['CORS', 'RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'])
        if (fs.filter((f) => f.type === t).length > 1) ctx.addIssue({code: 'custom', message: `${t} filter cannot be repeated`})
    })

  const pathMatch = z
    .object({type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).default('PathPrefix'), value: z.string().max(1024).default('/')})
    .superRefine((p, ctx) => {
      if (p.type === 'RegularExpression') return
      const bad = (message: string) => ctx.addIssue({code: 'custom', path: ['value'], message})
      if (!p.value.startsWith('/')) return bad('value must be an absolute path and start with \'/\' when type one of [\'Exact\', \'PathPrefix\']')
      for (const s of ['//', '/./', '/../', '%2f', '%2F', '#']) if (p.value.includes(s)) return bad(`must not contain '${s}' when type one of ['Exact', 'PathPrefix']`)
      for (const s of ['/..', '/.']) if (p.value.endsWith(s)) return bad(`must not end with '${s}' when type one of ['Exact', 'PathPrefix']`)
      if (!PATH_CHARS.test(p.value)) bad("must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']")
    })
  const nameValueMatch = (nameSchema: z.ZodString, max: number) =>
    z.object({type: z.enum(['Exact', 'RegularExpression']).default('Exact'), name: nameSchema, value: z.string().min(1).max(max)})
  const uniqueNames = (caseless: boolean) => (list: Array<{name: string}>, ctx: z.RefinementCtx) => {
    const seen = new Set<string>()
    list.forEach((x, i) => {
      const k = caseless ? x.name.toLowerCase() : x.name
      if (seen.has(k)) ctx.addIssue({code: 'custom', path: [i, 'name'], message: 'names must be unique within a match'})
      seen.add(k)
    })
  }
  const match = z.object({
    path: pathMatch.default({}),
    headers: z.array(nameValueMatch(headerName, 4096)).max(16).default([]).superRefine(uniqueNames(true)),
    queryParams: z.array(nameValueMatch(z.string().min(1).max(256).regex(HEADER_NAME, 'must be a query parameter name (an RFC 7230 token)'), 1024)).max(16).default([]).superRefine(uniqueNames(false)),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']).optional(),
  })
  const backendRef = ref('', 'Service')
    .extend({port: port.optional(), weight: z.number().int().min(0).max(1_000_000).default(1), filters})
    .refine((b) => !(b.group === '' && b.kind === 'Service') || b.port !== undefined, {message: 'Must have port for Service reference', path: ['port']})
  const rule = z
    .object({
      name: sectionName.optional(),
      // No matches (absent or empty) is one PathPrefix "/" match (the spec: "If no matches are specified, the default is a prefix path match on '/'").
      matches: z
        .array(match)
        .max(64)
        .default([])
        .transform((ms) => (ms.length > 0 ? ms : [{path: {type: 'PathPrefix' as const, value: '/'}, headers: [], queryParams: []}])),
      filters,
      backendRefs: z.array(backendRef).max(16).default([]),
      timeouts: z.object({request: z.string().regex(DURATION, 'must be a duration such as 10s or 1m30s').optional(), backendRequest: z.string().regex(DURATION, 'must be a duration such as 10s or 1m30s').optional()}).optional(),
      retry: z.unknown().optional(),
      sessionPersistence: z.unknown().optional(),
    })
    .superRefine((r, ctx) => {
      if (r.backendRefs.length > 0 && r.filters.some((f) => f.type === 'RequestRedirect')) ctx.addIssue({code: 'custom', path: ['filters'], message: 'RequestRedirect filter must not be used together with backendRefs'})
      const ms = (d: string | undefined) => (d === undefined ? undefined : parseDuration(d, GATEWAY_DURATION))
      const req = ms(r.timeouts?.request)
      const be = ms(r.timeouts?.backendRequest)
      if (req !== undefined && be !== undefined && req !== 0 && be > req) ctx.addIssue({code: 'custom', path: ['timeouts'], message: 'backendRequest timeout cannot be longer than request timeout'})
      const prefixReplace = r.filters.some((f) => (f.type === 'RequestRedirect' && (f as {requestRedirect: {path?: {type: string}}}).requestRedirect.path?.type === 'ReplacePrefixMatch') || (f.type === 'URLRewrite' && (f as {urlRewrite: {path?: {type: string}}}).urlRewrite.path?.type === 'ReplacePrefixMatch'))
      if (prefixReplace && (r.matches.length !== 1 || r.matches[0]!.path.type !== 'PathPrefix'))
        ctx.addIssue({code: 'custom', path: ['filters'], message: 'When using a RequestRedirect or URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified'})
    })
    .transform((r) => {
      const unsupported = (['retry', 'sessionPersistence'] as const).filter((k) => r[k] !== undefined)
      const {retry: _r, sessionPersistence: _s, ...rest} = r
      return {...rest, ...(unsupported.length ? {unsupported: unsupported as string[]} : {})}
    })
  const parentRef = ref(G, 'Gateway').extend({sectionName: sectionName.optional(), port: port.optional()})
  /** The CEL rules HTTPRoute and GRPCRoute share: at most 128 matches in all, rule names and parentRefs unique. */
  const routeSpecRules = (spec: {rules: Array<{name?: string; matches: unknown[]}>; parentRefs: Array<z.infer<typeof parentRef>>}, ctx: z.RefinementCtx) => {
    if (spec.rules.reduce((n, r) => n + r.matches.length, 0) > 128) ctx.addIssue({code: 'custom', path: ['rules'], message: 'While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128'})
    uniqueRuleNames(spec.rules, ctx)
    uniqueParentRefs(spec.parentRefs, ctx)
  }
  const uniqueRuleNames = (rules: Array<{name?: string}>, ctx: z.RefinementCtx) => {
    const names = new Set<string>()
    rules.forEach((r, i) => {
      if (r.name !== undefined && names.has(r.name)) ctx.addIssue({code: 'custom', path: ['rules', i, 'name'], message: 'Rule name must be unique within the route'})
      if (r.name !== undefined) names.add(r.name)
    })
  }
  const uniqueParentRefs = (parentRefs: Array<z.infer<typeof parentRef>>, ctx: z.RefinementCtx) => {
    const refs = new Set<string>()
    parentRefs.forEach((p, i) => {
      const k = `${p.group}|${p.kind}|${p.namespace ?? ''}|${p.name}|${p.sectionName ?? ''}|${p.port ?? ''}`
      if (refs.has(k)) ctx.addIssue({code: 'custom', path: ['parentRefs', i], message: 'sectionName or port must be unique when parentRefs includes 2 or more references to the same parent'})
      refs.add(k)
    })
  }
  const httpRoute = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('HTTPRoute'),
      metadata: gatewayMeta(meta(true)),
      spec: z
        .object({
          parentRefs: z.array(parentRef).max(32).default([]),
          hostnames: z.array(gatewayHostname).max(16).default([]),
          rules: z.array(rule).max(16).default([{matches: [{path: {type: 'PathPrefix', value: '/'}, headers: [], queryParams: []}], filters: [], backendRefs: []}]),
        })
        .superRefine(routeSpecRules),
    })
    .transform((o): HTTPRoute => o as unknown as HTTPRoute)

  const l4Rules = z
    .array(z.object({name: sectionName.optional(), backendRefs: z.array(ref('', 'Service').extend({port: port.optional(), weight: z.number().int().min(0).max(1_000_000).default(1)}).refine((b) => !(b.group === '' && b.kind === 'Service') || b.port !== undefined, {message: 'Must have port for Service reference', path: ['port']})).min(1).max(16)}))
    .min(1)
    .max(1)
  const tlsRoute = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('TLSRoute'),
      metadata: gatewayMeta(meta(true)),
      spec: z.object({
        parentRefs: z.array(parentRef).max(32).default([]),
        hostnames: z.array(gatewayHostname).min(1).max(1024),
        rules: l4Rules,
      }),
    })
    .transform((o): TLSRoute => o as unknown as TLSRoute)

  const backendTLSPolicy = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('BackendTLSPolicy'),
      metadata: gatewayMeta(meta(true)),
      spec: z.object({
        targetRefs: z
          .array(z.object({group: group, kind, name: objectName, sectionName: sectionName.optional()}))
          .min(1)
          .max(16),
        validation: z
          .object({
            caCertificateRefs: z.array(ref('', 'ConfigMap')).max(8).default([]),
            wellKnownCACertificates: z.enum(['System']).optional(),
            hostname: z.string().min(1).max(253).regex(SUBDOMAIN, 'must be a DNS name (no wildcard)'),
            subjectAltNames: z.array(z.unknown()).max(5).optional(),
          })
          .superRefine((v, ctx) => {
            if (v.caCertificateRefs.length > 0 && v.wellKnownCACertificates) ctx.addIssue({code: 'custom', message: 'must not contain both CACertificateRefs and WellKnownCACertificates'})
            if (v.caCertificateRefs.length === 0 && !v.wellKnownCACertificates) ctx.addIssue({code: 'custom', message: 'must specify either CACertificateRefs or WellKnownCACertificates'})
          }),
        options: z.record(z.string().max(253), z.string().max(4096)).optional(),
      }),
    })
    .transform((o): BackendTLSPolicy => o as unknown as BackendTLSPolicy)

  const tcpRoute = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('TCPRoute'),
      metadata: gatewayMeta(meta(true)),
      spec: z.object({
        parentRefs: z.array(parentRef).max(32).default([]),
        rules: l4Rules,
      }),
    })
    .transform((o): TCPRoute => o as unknown as TCPRoute)

  const referenceGrant = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('ReferenceGrant'),
      metadata: meta(true),
      spec: z.object({
        from: z.array(z.object({group, kind, namespace})).min(1).max(16),
        to: z.array(z.object({group, kind, name: objectName.optional()})).min(1).max(16),
      }),
    })
    .transform((o): ReferenceGrant => o as ReferenceGrant)

  // GRPCRoute (v1): gRPC service/method and header matches; header modifiers (mirror and extension filters are read to be reported).
  const GRPC_SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i
  const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/
  const grpcFilters = z
    .array(filterOf(['ResponseHeaderModifier', 'RequestHeaderModifier', 'RequestMirror', 'ExtensionRef']))
    .max(16)
    .default([])
    .superRefine((fs, ctx) => {
      for (const t of ['RequestHeaderModifier', 'ResponseHeaderModifier'])
        if (fs.filter((f) => f.type === t).length > 1) ctx.addIssue({code: 'custom', message: `${t} filter cannot be repeated`})
    })
  const grpcMatch = z.object({
    method: z
      .object({type: z.enum(['Exact', 'RegularExpression']).default('Exact'), service: z.string().max(1024).optional(), method: z.string().max(1024).optional()})
      .superRefine((m, ctx) => {
        if (m.service === undefined && m.method === undefined) ctx.addIssue({code: 'custom', message: "One or both of 'service' or 'method' must be specified"})
        if (m.type === 'Exact' && m.service !== undefined && !GRPC_SERVICE.test(m.service)) ctx.addIssue({code: 'custom', path: ['service'], message: 'service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)'})
        if (m.type === 'Exact' && m.method !== undefined && !GRPC_METHOD.test(m.method)) ctx.addIssue({code: 'custom', path: ['method'], message: 'method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)'})
      })
      .optional(),
    headers: z.array(nameValueMatch(headerName, 4096)).max(16).default([]).superRefine(uniqueNames(true)),
  })
  const grpcRule = z
    .object({
      name: sectionName.optional(),
      // No matches: every gRPC request (the spec's default).
      matches: z.array(grpcMatch).max(64).default([]).transform((ms) => (ms.length > 0 ? ms : [{headers: []}])),
      filters: grpcFilters,
      backendRefs: z
        .array(
          ref('', 'Service')
            .extend({port: port.optional(), weight: z.number().int().min(0).max(1_000_000).default(1), filters: grpcFilters})
            .refine((b) => !(b.group === '' && b.kind === 'Service') || b.port !== undefined, {message: 'Must have port for Service reference', path: ['port']}),
        )
        .max(16)
        .default([]),
      sessionPersistence: z.unknown().optional(),
      // Not GRPCRoute fields (HTTPRoute's): read so that they are reported, never dropped in silence.
      timeouts: z.unknown().optional(),
      retry: z.unknown().optional(),
    })
    .transform((r) => {
      const {sessionPersistence, timeouts, retry, ...rest} = r
      const unsupported = Object.entries({sessionPersistence, timeouts, retry})
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k)
      return {...rest, ...(unsupported.length ? {unsupported} : {})}
    })
  const grpcRoute = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('GRPCRoute'),
      metadata: gatewayMeta(meta(true)),
      spec: z
        .object({
          parentRefs: z.array(parentRef).max(32).default([]),
          hostnames: z.array(gatewayHostname).max(16).default([]),
          rules: z.array(grpcRule).max(16).default([{matches: [{headers: []}], filters: [], backendRefs: []}]),
        })
        .superRefine(routeSpecRules),
    })
    .transform((o): GRPCRoute => o as unknown as GRPCRoute)

  const udpRoute = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('UDPRoute'),
      metadata: gatewayMeta(meta(true)),
      spec: z.object({parentRefs: z.array(parentRef).max(32).default([]), rules: l4Rules}),
    })
    .transform((o): UDPRoute => o as unknown as UDPRoute)

  // ListenerSet (v1): more listeners for a Gateway that allows them (spec.allowedListeners).
  const listenerSet = z
    .object({
      apiVersion: z.string(),
      kind: z.literal('ListenerSet'),
      metadata: gatewayMeta(meta(true)),
      spec: z.object({
        parentRef: z.object({group: group.default(G), kind: kind.default('Gateway'), name: objectName, namespace: namespace.optional()}),
        listeners,
      }),
    })
    .transform((o): ListenerSet => o as unknown as ListenerSet)

  const out: Record<string, z.ZodTypeAny> = {}
  for (const v of ['v1', 'v1beta1']) {
    out[`${G}/${v}/GatewayClass`] = gatewayClass
    out[`${G}/${v}/Gateway`] = gateway
    out[`${G}/${v}/HTTPRoute`] = httpRoute
    out[`${G}/${v}/ReferenceGrant`] = referenceGrant
  }
  out[`${G}/v1/TCPRoute`] = tcpRoute
  out[`${G}/v1/TLSRoute`] = tlsRoute
  out[`${G}/v1/BackendTLSPolicy`] = backendTLSPolicy
  // ConfigMaps: only ca.crt is kept (the rest may be anything, and is no business of vipctl's).
  out['v1/ConfigMap'] = z
    .object({apiVersion: z.literal('v1'), kind: z.literal('ConfigMap'), metadata: meta(true), data: z.record(z.string(), z.unknown()).optional()})
    // Lenient beyond ca.crt: a ConfigMap vipctl has no use for never becomes a finding because of its other keys.
    .transform((o): ConfigMapCa => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: o.metadata as ConfigMapCa['metadata'], ...(typeof o.data?.['ca.crt'] === 'string' ? {caCrt: o.data['ca.crt']} : {})}))
  out[`${G}/v1/GRPCRoute`] = grpcRoute
  out[`${G}/v1/UDPRoute`] = udpRoute
  out[`${G}/v1/ListenerSet`] = listenerSet
  return out
}

/** The Gateway API group. */
export const GATEWAY_GROUP = 'gateway.networking.k8s.io'
