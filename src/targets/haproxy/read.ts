/**
 * The one reader of what vipctl wrote for HAProxy, all of it untrusted input
 * (another process or a person may have changed the files):
 *  - haproxy.cfg -> ConfigShape, the same shape shapeOf() gives for a typed
 *    config, so the planner compares structure, not text;
 *  - vipctl-index.json -> HaproxyIndex (schema-checked) and the listen ports
 *    it records.
 * Nothing here throws on bad content: what does not parse is kept as an
 * opaque line (it then differs from what vipctl would write, so a reload
 * rewrites it) or, for the index, read as absent.
 */
import {z} from 'zod'
import type {HaproxyIndex} from './generate.js'
import {renderLine, type Section} from './syntax.js'

/** One `server` line: the slot (name, address, port, disabled) and the rest of its options as written. */
export interface ShapeServer {
  name: string
  address: string
  port: number
  disabled: boolean
  /** The member's weight (1 when not written); the runtime API sets it, like the address. */
  weight: number
}

/** A section as the planner compares it: its directives as text (servers apart) and its servers. */
export interface ShapeSection {
  /** "global", "defaults", "frontend <name>", "backend <name>", "resolvers <name>". */
  key: string
  lines: string[]
  servers: ShapeServer[]
  /** The options every server of the section shares, as written (one string; empty without servers). */
  serverOptions: string
  /** Servers HAProxy resolves by name (ExternalName): their address is structure, never a runtime slot. */
  resolved: boolean
}

export type ConfigShape = ShapeSection[]

/** The shape of a typed config: what readShape(renderSections(sections)) returns. */
export function shapeOf(sections: Section[]): ConfigShape {
  return sections.map((s) => ({
    key: s.name ? `${s.kind} ${s.name}` : s.kind,
    lines: s.lines.map(renderLine),
    servers: (s.servers?.list ?? []).map((v) => ({name: v.name, address: v.address, port: v.port, disabled: v.disabled, weight: v.weight ?? 1})),
    serverOptions: s.servers ? s.servers.options.join(' ') : '',
    resolved: s.servers?.resolved ?? false,
  }))
}

const SECTION = /^(global|defaults|resolvers|frontend|backend|listen|peers|userlist|program|cache|mailers|http-errors|ring)(?: (\S+))?$/
const SERVER = /^server (\S+) (?:\[([0-9a-fA-F:.]+)\]|([^\s:]+)):([0-9]{1,5})(?: (.*?))??(?: weight ([0-9]{1,3}))?( disabled)?$/

/** Reads haproxy.cfg as vipctl writes it (four-space indented directives, "# " comments) into a ConfigShape. */
export function readShape(text: string): ConfigShape {
  const out: ConfigShape = []
  let cur: ShapeSection | undefined
  for (const raw of text.split('\n')) {
    if (raw.trim() === '' || raw.startsWith('#')) continue
    if (!/^\s/.test(raw)) {
      const m = SECTION.exec(raw.trim())
      cur = {key: m ? (m[2] ? `${m[1]} ${m[2]}` : m[1]!) : `? ${raw.trim()}`, lines: [], servers: [], serverOptions: '', resolved: false}
      out.push(cur)
      continue
    }
    const body = raw.trim()
    if (!cur) {
      // A directive before any section is not something vipctl writes: kept so that it differs.
      cur = {key: '? (no section)', lines: [], servers: [], serverOptions: '', resolved: false}
      out.push(cur)
    }
    const m = SERVER.exec(body)
    if (m && cur.key.startsWith('backend ')) {
      const options = m[5] ?? ''
      if (cur.servers.length > 0 && options !== cur.serverOptions) cur.lines.push(`? server options differ: ${body}`)
      cur.serverOptions = options
      cur.resolved = /(^| )resolvers /.test(options)
      cur.servers.push({name: m[1]!, address: m[2] ?? m[3]!, port: Number(m[4]), disabled: m[7] !== undefined, weight: m[6] !== undefined ? Number(m[6]) : 1})
      continue
    }
    cur.lines.push(body)
  }
  return out
}

const indexSchema = z.object({
  apiVersion: z.literal('vipctl.io/v1alpha1'),
  kind: z.literal('HaproxyIndex'),
  frontends: z.record(z.object({vip: z.string(), port: z.number(), protocol: z.string(), listen: z.string(), hosts: z.array(z.string()), objects: z.array(z.string()), backends: z.array(z.string())})),
  backends: z.record(
    z.object({
      namespace: z.string(),
      service: z.string(),
      port: z.number(),
      servers: z.record(z.object({address: z.string(), port: z.number(), pod: z.string().optional(), node: z.string().optional()})),
    }),
  ),
})

/** Parses the index; undefined when it is not one of ours (stats rows then keep their HAProxy names). */
export function readIndex(text: string | undefined): HaproxyIndex | undefined {
  if (text === undefined) return undefined
  try {
    const r = indexSchema.safeParse(JSON.parse(text))
    return r.success ? (r.data as HaproxyIndex) : undefined
  } catch {
    return undefined
  }
}

/**
 * The listen port of each frontend in a config vipctl wrote, from its index: anything malformed is
 * ignored (those frontends then take fresh ports), never an error.
 */
export function listenPortsFrom(indexText: string | undefined, listenAddress: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const [id, fe] of Object.entries(readIndex(indexText)?.frontends ?? {})) {
    const cut = fe.listen.lastIndexOf(':')
    const addr = fe.listen.slice(0, cut).replace(/^\[|\]$/g, '')
    const port = Number(fe.listen.slice(cut + 1))
    if (addr === listenAddress && Number.isInteger(port) && port > 0 && port <= 65535) out.set(id, port)
  }
  return out
}
