/**
 * A protocol double of NetScaler's NITRO API: the documented behaviours the
 * vipctl client relies on, replayed over real HTTP(S). Not a NetScaler: it keeps
 * entities and bindings in memory and answers as NITRO does:
 *   POST /nitro/v1/config/login {"login":{username,password}} -> 201 {sessionid}; wrong password 401 errorcode 354
 *   any other call without the NITRO_AUTH_TOKEN cookie -> 401 errorcode 444
 *   POST config/<type> (add) -> 201; already there -> 409 errorcode 273 "Resource already exists"
 *   PUT config/<type> (bind or update) -> 200; an unknown entity -> 404 errorcode 258 "No such resource"
 *   GET config/<type>[/<name>] -> 200 {errorcode:0, <type>:[...]} (the key is left out when empty); missing -> 404 errorcode 258
 *   DELETE config/<type>/<name>[?args=k:v,...] -> 200; missing -> 404 errorcode 258
 *   GET stat/<type> -> 200 {<type>: [...]} from a table the test sets
 * Every body carries errorcode, message and severity, as NITRO's do. Tests can
 * make a chosen request fail, and read the request log.
 */
import http from 'node:http'
import https from 'node:https'
import type net from 'node:net'

export interface NitroDouble {
  url: string
  /** Entity type -> name -> fields. */
  entities: Map<string, Map<string, Record<string, unknown>>>
  /** Binding type -> list of fields. */
  bindings: Map<string, Array<Record<string, unknown>>>
  files: Map<string, string>
  stats: Map<string, Array<Record<string, unknown>>>
  log: Array<{method: string; path: string; body: string}>
  /** The next request matching this answers with the given status and errorcode. */
  failWhen(match: (method: string, path: string, body: string) => boolean, status: number, errorcode: number, message: string): void
  snapshot(): string
  close(): Promise<void>
}

const NAME_FIELD: Record<string, string> = {
  servicegroup: 'servicegroupname',
  lbmonitor: 'monitorname',
  lbvserver: 'name',
  sslcertkey: 'certkey',
  csvserver: 'name',
  csaction: 'name',
  cspolicy: 'policyname',
  responderaction: 'name',
  responderpolicy: 'name',
  rewriteaction: 'name',
  rewritepolicy: 'name',
  nshttpprofile: 'name',
  netprofile: 'name',
  systemfile: 'filename',
  server: 'name',
}
/** Settings of another entity: PUT creates or merges them while the owner exists; GET by the owner's name. */
const SETTINGS_OWNER: Record<string, [string, string]> = {
  sslservicegroup: ['servicegroupname', 'servicegroup'],
}
const BINDING_OWNER: Record<string, [string, string]> = {
  servicegroup_servicegroupmember_binding: ['servicegroupname', 'servicegroup'],
  servicegroup_lbmonitor_binding: ['servicegroupname', 'servicegroup'],
  lbvserver_servicegroup_binding: ['name', 'lbvserver'],
  csvserver_cspolicy_binding: ['name', 'csvserver'],
  csvserver_lbvserver_binding: ['name', 'csvserver'],
  csvserver_responderpolicy_binding: ['name', 'csvserver'],
  sslvserver_sslcertkey_binding: ['vservername', 'csvserver'],
  csvserver_rewritepolicy_binding: ['name', 'csvserver'],
  lbvserver_rewritepolicy_binding: ['name', 'lbvserver'],
  lbvserver_responderpolicy_binding: ['name', 'lbvserver'],
  sslservicegroup_sslcertkey_binding: ['servicegroupname', 'servicegroup'],
}

export async function startNitroDouble(opts: {username: string; password: string; tls?: {cert: string; key: string}}): Promise<NitroDouble> {
  const token = `##${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}`
  const d = {entities: new Map(), bindings: new Map(), files: new Map(), stats: new Map(), log: []} as unknown as NitroDouble
  const faults: Array<{match: (m: string, p: string, b: string) => boolean; status: number; errorcode: number; message: string}> = []
  d.failWhen = (match, status, errorcode, message) => void faults.push({match, status, errorcode, message})
  const table = (type: string) => {
    if (!d.entities.has(type)) d.entities.set(type, new Map())
    return d.entities.get(type)!
  }
  const blist = (type: string) => {
    if (!d.bindings.has(type)) d.bindings.set(type, [])
    return d.bindings.get(type)!
  }
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let raw = ''
    req.on('data', (c) => (raw += c))
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x')
      const path = u.pathname
      d.log.push({method: req.method ?? '', path: `${path}${u.search}`, body: raw})
      const send = (status: number, body: Record<string, unknown> = {}) => {
        res.writeHead(status, {'Content-Type': 'application/json'})
        res.end(JSON.stringify({errorcode: status < 300 ? 0 : (body.errorcode ?? 1), message: status < 300 ? 'Done' : (body.message ?? 'Error'), severity: status < 300 ? 'NONE' : 'ERROR', ...body}))
      }
      const fault = faults.findIndex((f) => f.match(req.method ?? '', path, raw))
      if (fault >= 0) {
        const f = faults.splice(fault, 1)[0]!
        return send(f.status, {errorcode: f.errorcode, message: f.message})
      }
      const m = /^\/nitro\/v1\/(config|stat)\/([a-z_]+)(?:\/([^/?]+))?$/.exec(path)
      if (!m) return send(404, {errorcode: 258, message: 'No such resource'})
      const [, kind, type, rawName] = m as unknown as [string, string, string, string | undefined]
      const name = rawName === undefined ? undefined : decodeURIComponent(rawName)
      let body: Record<string, Record<string, unknown>> = {}
      try {
        body = raw ? JSON.parse(raw) : {}
      } catch {
        return send(400, {errorcode: 1093, message: 'Invalid JSON'})
      }
      if (kind === 'config' && type === 'login' && req.method === 'POST') {
        const l = body.login ?? {}
        if (l.username !== opts.username || l.password !== opts.password) return send(401, {errorcode: 354, message: 'Invalid username or password'})
        res.setHeader('Set-Cookie', `NITRO_AUTH_TOKEN=${token}; path=/nitro/v1`)
        return send(201, {sessionid: token})
      }
      if (!(req.headers.cookie ?? '').includes(`NITRO_AUTH_TOKEN=${token}`)) return send(401, {errorcode: 444, message: 'Session expired or killed. Please login again'})
      if (kind === 'config' && type === 'logout') return send(201)
      if (kind === 'stat') {
        const rows = d.stats.get(type) ?? []
        const out = name ? rows.filter((r) => (r.name ?? r.servicegroupname) === name) : rows
        return send(200, out.length ? {[type]: out} : {})
      }
      const setting = SETTINGS_OWNER[type]
      if (setting) {
        const [ownerField, ownerType] = setting
        const fields = body[type] ?? {}
        if (req.method === 'GET') {
          const e = name === undefined ? undefined : table(type).get(name)
          return send(200, e ? {[type]: [e]} : {})
        }
        if (req.method !== 'PUT') return send(405, {errorcode: 1092, message: 'Operation not supported'})
        const o = String(fields[ownerField] ?? '')
        if (!table(ownerType).has(o)) return send(404, {errorcode: 258, message: `No such resource [${ownerField}, ${o}]`})
        table(type).set(o, {...(table(type).get(o) ?? {}), ...fields})
        return send(200)
      }
      const nameField = NAME_FIELD[type]
      const owner = BINDING_OWNER[type]
      if (!nameField && !owner) return send(404, {errorcode: 258, message: `No such resource [type, ${type}]`})
      const fields = body[type] ?? {}
      switch (req.method) {
        case 'GET': {
          if (nameField) {
            const all = [...table(type).values()]
            if (name === undefined) return send(200, all.length ? {[type]: all} : {})
            const e = table(type).get(name)
            return e ? send(200, {[type]: [e]}) : send(404, {errorcode: 258, message: `No such resource [${nameField}, ${name}]`})
          }
          const rows = blist(type).filter((b) => name === undefined || b[owner![0]] === name)
          return send(200, rows.length ? {[type]: rows} : {})
        }
        case 'POST': {
          if (!nameField) return send(405, {errorcode: 1092, message: 'Operation not supported'})
          const n = String(fields[nameField] ?? '')
          if (!n) return send(400, {errorcode: 1092, message: `Required argument missing [${nameField}]`})
          if (table(type).has(n)) return send(409, {errorcode: 273, message: 'Resource already exists'})
          if (type === 'csaction' && !table('lbvserver').has(String(fields.targetlbvserver))) return send(404, {errorcode: 258, message: `No such resource [targetLBVserver, ${fields.targetlbvserver}]`})
          table(type).set(n, fields)
          if (type === 'systemfile') d.files.set(n, String(fields.filecontent))
          return send(201)
        }
        case 'PUT': {
          if (nameField) {
            const n = String(fields[nameField] ?? '')
            const e = table(type).get(n)
            if (!e) return send(404, {errorcode: 258, message: `No such resource [${nameField}, ${n}]`})
            table(type).set(n, {...e, ...fields})
            return send(200)
          }
          const [ownerField, ownerType] = owner!
          if (!table(ownerType).has(String(fields[ownerField]))) return send(404, {errorcode: 258, message: `No such resource [${ownerField}, ${fields[ownerField]}]`})
          if (blist(type).some((b) => JSON.stringify(b) === JSON.stringify(fields))) return send(409, {errorcode: 273, message: 'Resource already exists'})
          blist(type).push(fields)
          return send(200)
        }
        case 'DELETE': {
          const args = Object.fromEntries((u.searchParams.get('args') ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf(':')), decodeURIComponent(kv.slice(kv.indexOf(':') + 1))]))
          if (nameField) {
            if (!name || !table(type).delete(name)) return send(404, {errorcode: 258, message: `No such resource [${nameField}, ${name}]`})
            for (const [st, [, ownerType]] of Object.entries(SETTINGS_OWNER)) if (ownerType === type) table(st).delete(name)
            if (type === 'systemfile') d.files.delete(name)
            return send(200)
          }
          const list = blist(type)
          const i = list.findIndex((b) => b[owner![0]] === name && Object.entries(args).every(([k, v]) => String(b[k]) === v))
          if (i < 0) return send(404, {errorcode: 258, message: 'No such resource'})
          list.splice(i, 1)
          return send(200)
        }
        default:
          return send(405, {errorcode: 1092, message: 'Operation not supported'})
      }
    })
  }
  const server = opts.tls ? https.createServer({cert: opts.tls.cert, key: opts.tls.key}, handler) : http.createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  d.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as net.AddressInfo).port}`
  d.snapshot = () =>
    JSON.stringify({
      entities: [...d.entities.entries()].filter(([, m]) => m.size > 0).map(([t, m]) => [t, [...m.entries()].sort()]).sort(),
      bindings: [...d.bindings.entries()].filter(([, l]) => l.length > 0).map(([t, l]) => [t, l.map((b) => JSON.stringify(b)).sort()]).sort(),
      files: [...d.files.keys()].sort(),
    })
  d.close = () => new Promise((r) => server.close(() => r()))
  return d
}
