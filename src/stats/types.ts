/**
 * Normalised proxy statistics: what every stats reader (HAProxy runtime API,
 * HAProxy's Prometheus exporter, NetScaler NITRO) turns its answer into, and
 * what every output (table, live view, JSON lines, Prometheus text) prints.
 */

export type StatType = 'frontend' | 'backend' | 'server'

/** Where a row comes from in Kubernetes (from the index next to haproxy.cfg). */
export interface KubeRef {
  /** frontend: the VIP and port; backend/server: the Service. */
  vip?: string
  port?: number
  hosts?: string[]
  objects?: string[]
  namespace?: string
  service?: string
  pod?: string
  node?: string
}

export interface StatSample {
  type: StatType
  /** frontend or backend name; `backend/server` for servers. */
  name: string
  /** The frontend or backend this row belongs to. */
  proxy: string
  server?: string
  mode?: 'http' | 'tcp'
  /** OPEN, UP, DOWN, MAINT, NOLB, DRAIN, "no check", ... as the proxy says. */
  status: string
  /** Last health check result (L4OK, L4CON, L7STS, ...). */
  checkStatus?: string
  weight?: number
  address?: string
  sessions: {current: number; total: number}
  /** HTTP requests (HTTP mode) or sessions (TCP mode) since the process started; rate per second from counter deltas. */
  requests: {total: number; rate: number | null}
  bytes: {in: number; out: number}
  responses: {'1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number; other: number}
  errors: {request: number; connect: number; response: number}
  queue: {current: number}
  /** Averages over the last 1024 requests, milliseconds. */
  timesMs: {queue: number; connect: number; response: number; total: number}
  kube?: KubeRef
}

export interface ProcessInfo {
  /** Worker pid: changes on reload or restart, when counters start again from 0. */
  pid?: number
  uptimeSec?: number
  version?: string
}

/** One read of a proxy. */
export interface StatsFrame {
  /** ISO time of the read. */
  time: string
  source: string
  process: ProcessInfo
  samples: StatSample[]
  /** The proxy's counters restarted since the previous frame (reload or restart). */
  reset: boolean
}

/** What a stats reader implements (HAProxy socket or Prometheus, NITRO). */
export interface StatsReader {
  /** Human name of the source: socket path or URL. */
  readonly source: string
  /** One read; rates are left null (the rate tracker fills them). */
  read(): Promise<Omit<StatsFrame, 'reset'>>
}

export function emptySample(type: StatType, proxy: string, server?: string): StatSample {
  return {
    type,
    name: server ? `${proxy}/${server}` : proxy,
    proxy,
    ...(server ? {server} : {}),
    status: '',
    sessions: {current: 0, total: 0},
    requests: {total: 0, rate: null},
    bytes: {in: 0, out: 0},
    responses: {'1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0},
    errors: {request: 0, connect: 0, response: 0},
    queue: {current: 0},
    timesMs: {queue: 0, connect: 0, response: 0, total: 0},
  }
}

/** Key of a row across frames. */
export const sampleKey = (s: Pick<StatSample, 'type' | 'name'>): string => `${s.type}:${s.name}`

/** A row is healthy when it serves: OPEN frontends, UP backends and servers (UP 1/3 counts too). */
export function health(s: Pick<StatSample, 'status' | 'type'>): 'up' | 'down' | 'maint' | 'unknown' {
  const st = s.status.toUpperCase()
  if (st === 'OPEN' || st.startsWith('UP') || st === 'NO CHECK') return 'up'
  if (st.startsWith('DOWN') || st === 'STOP' || st === 'NOLB') return 'down'
  if (st.includes('MAINT') || st === 'DRAIN') return 'maint'
  return 'unknown'
}
