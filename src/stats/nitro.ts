/**
 * NetScaler statistics through NITRO into the same samples as HAProxy's:
 * cs vservers -> frontends, lb vservers -> backends, serviceGroup members ->
 * servers. Kubernetes comes from the names vipctl gives (<prefix>-<VIP>_<port>_…)
 * and the -comment provenance of lb vservers.
 */
import type {NitroClient} from '../core/nitro.js'
import {emptySample, type StatSample, type StatsFrame, type StatsReader} from './types.js'

const num = (v: unknown): number => {
  const n = typeof v === 'number' ? v : Number(v)
  return Number.isFinite(n) && n >= 0 ? n : 0
}

/** NetScaler states to the words the table colours: UP, DOWN, OUT OF SERVICE -> MAINT. */
function state(v: unknown): string {
  const s = String(v ?? '').toUpperCase()
  if (s === 'UP' || s === 'ENABLED') return 'UP'
  if (s.includes('OUT OF SERVICE') || s === 'DISABLED') return 'MAINT'
  if (s === '') return ''
  return s.startsWith('DOWN') ? 'DOWN' : s
}

function fill(s: StatSample, r: Record<string, unknown>): StatSample {
  s.sessions = {current: num(r.curclntconnections), total: num(r.tothits ?? r.totalrequests)}
  s.requests = {total: num(r.totalrequests), rate: r.requestsrate === undefined ? null : num(r.requestsrate)}
  s.bytes = {in: num(r.totalrequestbytes), out: num(r.totalresponsebytes)}
  s.queue = {current: num(r.surgecount)}
  s.timesMs = {queue: 0, connect: 0, response: num(r.avgsvrttfb), total: num(r.avgsvrttfb)}
  s.mode = 'http'
  return s
}

export class NitroStatsReader implements StatsReader {
  private loggedIn = false

  constructor(
    private readonly client: NitroClient,
    private readonly prefix: string | undefined,
    private readonly now: () => Date,
  ) {}

  get source(): string {
    return this.client.baseUrl
  }

  async read(): Promise<Omit<StatsFrame, 'reset'>> {
    if (!this.loggedIn) {
      await this.client.login()
      this.loggedIn = true
    }
    const ours = (n: unknown) => typeof n === 'string' && (this.prefix === undefined || n.startsWith(`${this.prefix}-`))
    const samples: StatSample[] = []
    const comments = new Map((await this.client.list('lbvserver')).map((l) => [String(l.name), String(l.comment ?? '')]))
    for (const r of (await this.client.stat('csvserver')).filter((x) => ours(x.name))) {
      const s = fill(emptySample('frontend', String(r.name)), r)
      s.status = state(r.state) === 'UP' ? 'OPEN' : state(r.state)
      const m = /^[a-z0-9-]+-(.+)_(\d+)_(http|ssl|tcp)$/.exec(String(r.name))
      if (m) s.kube = {vip: m[1]!, port: Number(m[2])}
      samples.push(s)
    }
    for (const r of (await this.client.stat('lbvserver')).filter((x) => ours(x.name))) {
      const s = fill(emptySample('backend', String(r.name)), r)
      s.status = state(r.state)
      const c = comments.get(String(r.name)) ?? ''
      const ns = /(?:^|,)ns:([a-z0-9-]+)/.exec(c)?.[1]
      const svc = /(?:^|,)(?:lb)?svc:([a-z0-9-]+)/.exec(c)?.[1]
      const port = /(?:^|,)svcport:(\d+)/.exec(c)?.[1]
      if (ns && svc) s.kube = {namespace: ns, service: svc, ...(port ? {port: Number(port)} : {})}
      samples.push(s)
    }
    for (const g of (await this.client.list('servicegroup')).filter((x) => ours(x.servicegroupname))) {
      const name = String(g.servicegroupname)
      const lbv = name.replace(/_sgp_/, '_lbv_')
      const backend = samples.find((x) => x.type === 'backend' && x.proxy === lbv)
      for (const row of await this.client.stat('servicegroup', name, '?statbindings=yes')) {
        for (const m of (row.servicegroupmember as Array<Record<string, unknown>> | undefined) ?? []) {
          const addr = `${String(m.primaryipaddress)}:${String(m.primaryport)}`
          const s = fill(emptySample('server', backend ? lbv : name, addr), m)
          s.status = state(m.state)
          s.address = addr
          if (backend?.kube) s.kube = {namespace: backend.kube.namespace, service: backend.kube.service, port: backend.kube.port}
          samples.push(s)
        }
      }
    }
    return {time: this.now().toISOString(), source: this.source, process: {}, samples}
  }
}
