/**
 * Proxy checks: the desired HAProxy config (from the same model) against what the
 * running HAProxy reports through its admin socket (`show stat`) and the files in
 * the config directory. Pure over the state it is given; reading it is separate.
 */
import type {Diagnostic, Snapshot} from '../cluster/types.js'
import type {LbModel} from '../model/types.js'
import type {HaproxyConfig} from '../targets/haproxy/generate.js'
import type {StatRow} from '../core/haproxy-runtime.js'
import type {HaproxyPlan} from '../apply/haproxy/plan.js'
import {catalogEntry} from '../core/catalog.js'

export interface ProxyState {
  socket: string
  stats: StatRow[]
  desired: HaproxyConfig
  plan: HaproxyPlan
}

function find(code: string, object: string, message: string, snap: Snapshot): Diagnostic {
  return {severity: catalogEntry(code).severity, code, object, message, origin: snap.origins.get(object)}
}

export function proxyFindings(snap: Snapshot, model: LbModel, p: ProxyState): Diagnostic[] {
  const out: Diagnostic[] = []
  const frontends = new Set(p.stats.filter((r) => r.svname === 'FRONTEND').map((r) => r.pxname))
  const backends = new Set(p.stats.filter((r) => r.svname === 'BACKEND').map((r) => r.pxname))
  for (const f of model.frontends) {
    if (!p.desired.listeners.has(f.id) || frontends.has(f.id)) continue
    for (const owner of new Set(f.provenance.map((x) => x.object))) out.push(find('VIP4050', owner, `frontend ${f.id} is not in the running HAProxy (${p.socket})`, snap))
  }
  const poolOf = new Map([...p.desired.backends.entries()].map(([id, name]) => [name, id]))
  for (const name of new Set(p.desired.servers.map((s) => s.backend))) {
    const id = poolOf.get(name) ?? poolOf.get(name.replace(/_tcp$/, ''))
    const [ns, svc] = (id ?? '').split('/')
    const object = `Service/${ns}/${svc}`
    if (!backends.has(name)) {
      out.push(find('VIP4051', object, `backend ${name} is not in the running HAProxy (${p.socket})`, snap))
      continue
    }
    const pool = model.pools.find((x) => x.id === id)
    for (const row of p.stats.filter((r) => r.pxname === name && r.svname !== 'BACKEND' && r.status.startsWith('DOWN'))) {
      const member = pool?.members.find((m) => row.addr === `${m.address}:${m.port}` || row.addr === `[${m.address}]:${m.port}`)
      if (!member?.ready) continue // not ready in Kubernetes: expected to be out of rotation
      out.push(find('VIP4052', object, `${name}/${row.svname} ${row.addr}${member.pod ? ` (Pod ${member.pod})` : ''} is DOWN, check status ${row.checkStatus || 'unknown'}`, snap))
    }
  }
  if (p.plan.kind !== 'none')
    out.push({severity: catalogEntry('VIP4053').severity, code: 'VIP4053', object: p.socket, message: `the running config differs from the desired one (${p.plan.kind}: ${p.plan.reasons.join('; ')})`})
  return out
}

/** Reads what the running HAProxy reports and what apply would change (needs the admin socket). */
export async function readProxyState(
  c: import('../model/compile.js').Compiled,
  hopts: import('../targets/haproxy/generate.js').HaproxyOptions,
  target: import('../apply/haproxy/apply.js').HaproxyTarget,
  io: import('../apply/haproxy/apply.js').HaproxyIO,
): Promise<ProxyState> {
  const {prepareHaproxy} = await import('../apply/haproxy/service.js')
  const {parseShowStat} = await import('../core/haproxy-runtime.js')
  const prepared = await prepareHaproxy(c, hopts, target, io, true)
  const stats = parseShowStat(await io.send(target.statsSocket, 'show stat'))
  return {socket: target.statsSocket, stats, desired: prepared.planned.desired, plan: prepared.planned.plan}
}
