/**
 * Planning (pure): what runs (files + runtime server state) against what is
 * desired. The running haproxy.cfg is read back into the typed config's shape
 * (targets/haproxy/read.ts) and compared section by section with the desired
 * typed config: a plan is "runtime" when only server slots differ (address,
 * port, enabled): those go through the admin socket with no reload, and
 * haproxy.cfg is rewritten so that a later reload keeps them. Any structural
 * change (a section, a directive, a slot added or removed, server options, a
 * name HAProxy resolves) is "reload", and the plan says which.
 */
import {createTwoFilesPatch} from 'diff'
import type {FileSpec} from '../../core/files.js'
import {INDEX_FILE, type DesiredServer, type HaproxyConfig} from '../../targets/haproxy/generate.js'
import {readShape, shapeOf, type ConfigShape, type ShapeSection} from '../../targets/haproxy/read.js'
import {command, type ServerState} from '../../core/haproxy-runtime.js'
import {appendAll} from '../../core/arrays.js'

export interface FileChange {
  path: string
  action: 'create' | 'update' | 'delete'
  secret: boolean
  /** Unified diff; absent for key material. */
  diff?: string
}

export interface ServerChange {
  backend: string
  server: string
  from: {address: string; port: number; enabled: boolean}
  to: {address: string; port: number; enabled: boolean}
  commands: string[]
}

export interface HaproxyPlan {
  kind: 'none' | 'runtime' | 'reload'
  reasons: string[]
  files: FileChange[]
  servers: ServerChange[]
}

/** At most this many structural differences are named in a plan's reasons (then "and N more"). */
const MAX_REASONS = 8

/**
 * What differs between two configs beyond server slots, one line each ("backend x: ..."); empty when a
 * runtime update is enough. Section order matters (HAProxy reads defaults before what follows them).
 */
export function structuralChanges(current: ConfigShape, desired: ConfigShape): string[] {
  const out: string[] = []
  const cur = new Map(current.map((c) => [c.key, c]))
  const want = new Map(desired.map((d) => [d.key, d]))
  for (const d of desired) if (!cur.has(d.key)) out.push(`${d.key} added`)
  for (const c of current) if (!want.has(c.key)) out.push(`${c.key} removed`)
  const common = (xs: ConfigShape, other: Map<string, ShapeSection>) => xs.map((x) => x.key).filter((k) => other.has(k))
  if (common(current, want).join('\n') !== common(desired, cur).join('\n')) out.push('sections reordered')
  for (const d of desired) {
    const c = cur.get(d.key)
    if (!c) continue
    const n = Math.max(c.lines.length, d.lines.length)
    for (let i = 0; i < n; i++) {
      if (c.lines[i] === d.lines[i]) continue
      out.push(c.lines[i] === undefined ? `${d.key}: "${d.lines[i]}" added` : d.lines[i] === undefined ? `${d.key}: "${c.lines[i]}" removed` : `${d.key}: "${c.lines[i]}" -> "${d.lines[i]}"`)
      break // one line per section is enough to say why
    }
    const cn = c.servers.map((v) => v.name)
    const dn = d.servers.map((v) => v.name)
    if (cn.join(' ') !== dn.join(' ')) out.push(`${d.key}: server slots ${cn.length} -> ${dn.length}`)
    else if (c.servers.length > 0 && c.serverOptions !== d.serverOptions) out.push(`${d.key}: server options "${c.serverOptions}" -> "${d.serverOptions}"`)
    else if (d.resolved || c.resolved) {
      // A server HAProxy resolves by name is structure: the runtime API never moves it.
      const moved = d.servers.find((v, i) => v.address !== c.servers[i]!.address || v.port !== c.servers[i]!.port || v.disabled !== c.servers[i]!.disabled)
      if (moved || c.resolved !== d.resolved) out.push(`${d.key}: server ${moved?.name ?? dn[0] ?? ''} now ${moved ? `${moved.address}:${moved.port}` : 'resolved by name'}`)
    }
  }
  return out.length > MAX_REASONS ? [...out.slice(0, MAX_REASONS), `and ${out.length - MAX_REASONS} more`] : out
}

/**
 * The plan from what is on disk (`current`, read by readTree), the desired typed config and, when HAProxy
 * runs, its server state (`show servers state`). Pure; never throws.
 */
export function planHaproxy(current: FileSpec[], config: Pick<HaproxyConfig, 'sections' | 'files' | 'servers'>, runtime: ServerState[] | undefined): HaproxyPlan {
  const desired = config.files
  const desiredServers = config.servers
  const cur = new Map(current.map((f) => [f.path, f]))
  const want = new Map(desired.map((f) => [f.path, f]))
  const files: FileChange[] = []
  for (const f of desired) {
    const c = cur.get(f.path)
    if (!c) files.push({path: f.path, action: 'create', secret: f.secret, ...(f.secret ? {} : {diff: patch(f.path, '', f.content)})})
    else if (c.content !== f.content || c.mode !== f.mode)
      files.push({path: f.path, action: 'update', secret: f.secret, ...(f.secret ? {} : {diff: patch(f.path, c.content, f.content)})})
  }
  for (const c of current) if (!want.has(c.path)) files.push({path: c.path, action: 'delete', secret: c.path.startsWith('certs/') && c.path.endsWith('.pem')})

  const reasons: string[] = []
  const curCfg = cur.get('haproxy.cfg')?.content
  if (curCfg === undefined) reasons.push('no haproxy.cfg yet')
  else appendAll(reasons, structuralChanges(readShape(curCfg), shapeOf(config.sections)))
  // The index is our metadata (HAProxy never reads it): it follows runtime changes without a reload.
  for (const f of files) if (f.path !== 'haproxy.cfg' && f.path !== INDEX_FILE) reasons.push(`${f.path} ${f.action === 'delete' ? 'removed' : f.action === 'create' ? 'added' : 'changed'}`)

  if (!runtime) {
    // No running HAProxy to compare with: files alone decide.
    return {kind: files.length === 0 ? 'none' : 'reload', reasons: files.length === 0 ? [] : reasons.length ? reasons : ['haproxy.cfg changed'], files, servers: []}
  }
  const live = new Map(runtime.map((s) => [`${s.backend}/${s.server}`, s]))
  const missing = desiredServers.filter((d) => !live.has(`${d.backend}/${d.server}`))
  if (missing.length > 0) reasons.push(`the running config lacks ${missing.length} server slot(s), e.g. ${missing[0]!.backend}/${missing[0]!.server}`)
  if (reasons.length > 0) return {kind: 'reload', reasons, files, servers: []}

  const servers = serverChanges(desiredServers, live)
  const kind = servers.length > 0 || files.length > 0 ? 'runtime' : 'none'
  return {kind, reasons: kind === 'runtime' ? ['only server addresses or states differ'] : [], files, servers}
}

/**
 * The runtime commands that bring server slots from what runs (`live`, by "backend/server") to what is desired;
 * slots that already match give none. Every desired slot must be in `live` (a missing one is a reload). Used by
 * the plan and by sync's endpoint-only patch.
 */
export function serverChanges(desired: DesiredServer[], live: Map<string, ServerState>): ServerChange[] {
  const servers: ServerChange[] = []
  for (const d of desired) {
    const s = live.get(`${d.backend}/${d.server}`)!
    const from = {address: s.address, port: s.port, enabled: s.enabled}
    const to = {address: d.address, port: d.port, enabled: d.enabled}
    const moved = from.address !== to.address || from.port !== to.port
    const reweighed = Number.isFinite(s.weight) && s.weight !== d.weight
    if (!moved && from.enabled === to.enabled && !reweighed) continue
    const target = `${d.backend}/${d.server}`
    const commands: string[] = []
    // Take the slot out of rotation before pointing it elsewhere.
    if (moved && from.enabled) commands.push(command('set', 'server', target, 'state', 'maint'))
    if (moved) commands.push(command('set', 'server', target, 'addr', to.address, 'port', String(to.port)))
    if (reweighed) commands.push(command('set', 'server', target, 'weight', String(d.weight)))
    if (to.enabled) {
      if (moved || !from.enabled) commands.push(command('set', 'server', target, 'state', 'ready'))
    } else if (!moved && from.enabled) commands.push(command('set', 'server', target, 'state', 'maint'))
    servers.push({backend: d.backend, server: d.server, from, to, commands})
  }
  return servers
}

function patch(name: string, a: string, b: string): string {
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, a, b, '', '', {context: 2})
    .split('\n')
    .slice(1) // drop the "====" line
    .join('\n')
}

/** Human form of a plan. */
export function describePlan(p: HaproxyPlan): string {
  if (p.kind === 'none') return 'HAProxy is up to date: no changes.\n'
  const out = [`HAProxy plan: ${p.kind === 'reload' ? 'reload' : 'runtime update, no reload'} (${p.reasons.join('; ')})`]
  for (const f of p.files) {
    const sign = f.action === 'create' ? '+' : f.action === 'delete' ? '-' : '~'
    out.push(`${sign} ${f.path}${f.secret ? ' (key material, not shown)' : ''}`)
    if (f.diff && f.action !== 'delete') for (const l of f.diff.trimEnd().split('\n')) out.push(`    ${l}`)
  }
  for (const s of p.servers) {
    const fmt = (x: ServerChange['from']) => `${x.address}:${x.port} ${x.enabled ? 'enabled' : 'disabled'}`
    out.push(`runtime ${s.backend}/${s.server}: ${fmt(s.from)} -> ${fmt(s.to)}`)
  }
  return `${out.join('\n')}\n`
}
