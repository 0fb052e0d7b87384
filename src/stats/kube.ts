/**
 * Rows back to Kubernetes through the index vipctl writes next to haproxy.cfg
 * (vipctl-index.json): frontend -> VIP:port and Ingress hosts, backend ->
 * namespace/Service:port, server -> Pod. Filtering and sorting live here too.
 */
import type {HaproxyIndex} from '../targets/haproxy/generate.js'
import {UsageError} from '../errors.js'
import {health, type StatSample} from './types.js'

export function annotate(samples: StatSample[], index: HaproxyIndex | undefined): StatSample[] {
  if (!index) return samples
  return samples.map((s) => {
    if (s.type === 'frontend') {
      const f = index.frontends[s.proxy]
      return f ? {...s, kube: {vip: f.vip, port: f.port, hosts: f.hosts, objects: f.objects}} : s
    }
    const b = index.backends[s.proxy]
    if (!b) return s
    if (s.type === 'backend') return {...s, kube: {namespace: b.namespace, service: b.service, port: b.port}}
    const m = b.servers[s.server ?? ''] ?? Object.values(b.servers).find((x) => s.address === `${x.address.includes(':') ? `[${x.address}]` : x.address}:${x.port}`)
    return {...s, kube: {namespace: b.namespace, service: b.service, port: b.port, ...(m?.pod ? {pod: m.pod} : {}), ...(m?.node ? {node: m.node} : {})}}
  })
}

export interface Filter {
  namespace: RegExp
  service: RegExp
}

/** `NS/SVC`, `NS/*`, `NS` (globs with * allowed). */
export function parseFilter(text: string): Filter {
  const m = /^([a-z0-9*]([-a-z0-9*]*[a-z0-9*])?)(?:\/([a-z0-9*]([-a-z0-9.*]*[a-z0-9*])?))?$/.exec(text)
  if (!m) throw new UsageError(`--filter ${JSON.stringify(text)}: expected NAMESPACE[/SERVICE], * allowed, e.g. shop/web or shop/*`)
  const glob = (g: string) => new RegExp(`^${g.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`)
  return {namespace: glob(m[1]!), service: glob(m[3] ?? '*')}
}

/** Keeps the Service's backends and servers, and the frontends that route to it. */
export function applyFilter(samples: StatSample[], f: Filter | undefined, index: HaproxyIndex | undefined): StatSample[] {
  if (!f) return samples
  const hit = (ns?: string, svc?: string) => ns !== undefined && svc !== undefined && f.namespace.test(ns) && f.service.test(svc)
  const backends = new Set(samples.filter((s) => s.type === 'backend' && hit(s.kube?.namespace, s.kube?.service)).map((s) => s.proxy))
  return samples.filter((s) => {
    if (s.type === 'frontend') return (index?.frontends[s.proxy]?.backends ?? []).some((b) => backends.has(b))
    return backends.has(s.proxy)
  })
}

export type SortKey = 'rate' | 'errors' | 'latency' | 'name'
const TYPE_ORDER = {frontend: 0, backend: 1, server: 2}

/** 5xx responses plus HAProxy's request, connect and response errors (ereq, econ, eresp): what --sort errors orders by. */
export const errorCount = (s: StatSample): number => s.errors.request + s.errors.connect + s.errors.response + s.responses['5xx']

/** Frontends, then backends, then servers; within each by the key (descending for numbers), then by name. */
export function sortSamples(samples: StatSample[], key: SortKey): StatSample[] {
  const val = (s: StatSample): number => (key === 'rate' ? (s.requests.rate ?? -1) : key === 'errors' ? errorCount(s) : key === 'latency' ? s.timesMs.total : 0)
  return [...samples].sort((a, b) => TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || val(b) - val(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** What the KUBE column says. */
export function kubeText(s: StatSample): string {
  const k = s.kube
  if (!k) return ''
  if (s.type === 'frontend') {
    const vip = k.vip ? `${k.vip.includes(':') ? `[${k.vip}]` : k.vip}:${k.port}` : ''
    return [vip, ...(k.hosts ?? []).slice(0, 2)].join(' ') + ((k.hosts?.length ?? 0) > 2 ? ` +${k.hosts!.length - 2}` : '')
  }
  if (s.type === 'backend') return `${k.namespace}/${k.service}:${k.port}`
  return k.pod ? `${k.namespace}/${k.pod}` : `${k.namespace}/${k.service}`
}

export interface Totals {
  /** Requests per second into the frontends (null until a second read). */
  rate: number | null
  /** Current sessions on the frontends. */
  sessions: number
  /** HTTP responses the frontends sent, by class (3xx, 4xx, 5xx; HAProxy's hrsp_*). */
  responses: {'3xx': number; '4xx': number; '5xx': number}
  /** ERR: request errors on the frontends (ereq) plus connect and response errors on the backends (econ, eresp); not HTTP statuses. */
  errors: number
  serversUp: number
  servers: number
}

/**
 * Totals over frontends (what enters the proxy) and servers (how many serve).
 * ERR adds the backends' econ and eresp (a frontend has none; a backend's include its servers').
 */
export function totals(samples: StatSample[]): Totals {
  const fe = samples.filter((s) => s.type === 'frontend')
  const be = samples.filter((s) => s.type === 'backend')
  const sv = samples.filter((s) => s.type === 'server' && !/MAINT/.test(s.status))
  const rates = fe.map((s) => s.requests.rate)
  const sum = (rows: StatSample[], f: (s: StatSample) => number) => rows.reduce((a, s) => a + f(s), 0)
  return {
    rate: rates.some((r) => r === null) ? null : Math.round(rates.reduce<number>((a, b) => a + (b ?? 0), 0) * 100) / 100,
    sessions: sum(fe, (s) => s.sessions.current),
    responses: {'3xx': sum(fe, (s) => s.responses['3xx']), '4xx': sum(fe, (s) => s.responses['4xx']), '5xx': sum(fe, (s) => s.responses['5xx'])},
    errors: sum(fe, (s) => s.errors.request) + sum(be, (s) => s.errors.connect + s.errors.response),
    serversUp: sv.filter((s) => health(s) === 'up').length,
    servers: sv.length,
  }
}
