/**
 * HAProxy config as typed lines, and the one serializer. Every argument is a
 * token checked against a strict grammar here, whatever its origin: strings
 * from Kubernetes already passed their field allowlist in the model, and this
 * is the second lock. A token that fails is a bug (it throws), never output.
 */

import {ipFamily} from '../../core/address.js'
import {FIELD_CHARS, TEXT_FIELD_CHARS} from '../../model/grammar.js'
import {dottedIpv4} from '../../model/ip.js'

/**
 * The characters of HAProxy's own syntax we write (fetches, converters,
 * addresses), plus every character any model field may hold (FIELD_CHARS):
 * a value the model accepts is always a valid token, so the two cannot disagree.
 * Never: white space, '#', quotes, backslash, '$' or control characters.
 */
const SYNTAX_CHARS = 'A-Za-z0-9_.:/@%\\[\\]()*,=!+<>{}\\-'
const TOKEN_CHARS = `${SYNTAX_CHARS}${Object.values(FIELD_CHARS).join('')}`
/** A bare word: names, addresses, numbers, fetch expressions without spaces or quotes. */
const BARE = new RegExp(`^[${TOKEN_CHARS}]+$`)
/** Inside double quotes: no quote, backslash, dollar (env expansion), hash or control characters. */
const QUOTED = new RegExp(`^[${TOKEN_CHARS} ]*$`)
/**
 * Text from objects (header values), double-quoted: the model's text fields' characters, which hold none of
 * '"', '\\', '$', '#' or '%': HAProxy expands nothing in it, and log-format (set-header) sees no variable.
 */
const TEXT = new RegExp(`^[${Object.values(TEXT_FIELD_CHARS).join('')}]+$`)
/** Regular expressions we write ourselves (constants, never from objects), single-quoted: HAProxy expands nothing inside. */
const REGEX = /^[A-Za-z0-9_.:\/\[\]()*+?^$|{},;%-]+$/

/**
 * Fetch expressions of our own that need characters no bare token may hold
 * (quotes inside converter arguments). Only these constants can be written
 * this way; nothing from an object ever is.
 */
export const FETCHES = {
  /** The request's host, normalised: lower case, port and one trailing dot removed. Unset without a Host header. */
  normalizedHost: "req.hdr(host),lower,regsub(':[0-9]+$',),regsub('[.]$',)",
} as const

/** Host names as the routing accepts them in a Host header (after normalizedHost). */
export const HOST_HEADER_REGEXES = {
  name: '^([a-z0-9_-]+[.])*[a-z0-9_-]+$',
  ipv6: '^[[][0-9a-f:.]+[]]$',
} as const

/** Paths the routing module answers 400 (src/model/routing.ts unsafePath): a dot segment ending in "/", ";", "%2f" or the end; %2e, %5c and a raw backslash are matched separately. */
export const DOT_SEGMENT_REGEX = '(^|/)[.][.]?(/|;|$|%2[fF])'
/** A raw backslash in the path, found in its hex form at a byte boundary (the token grammar has no backslash). */
export const BACKSLASH_HEX_REGEX = '^(..)*5C'

/**
 * text: a literal from an object (quoted, checked against TEXT); pathPrefix: the request path with its first
 * `from` characters (a route's Prefix, path grammar) replaced by `to` (path grammar), as a log-format expression.
 */
export type Arg = string | {quoted: string} | {regex: string} | {fetch: keyof typeof FETCHES} | {text: string} | {pathPrefix: {from: string; to: string}}

/** A path from the path grammar as a regular expression matching itself literally ('.' is the only metacharacter it can hold). */
function literalRegex(p: string): string {
  if (!new RegExp(`^[${FIELD_CHARS.path}]*$`).test(p)) throw new Error(`internal: unsafe path ${JSON.stringify(p)}`)
  return p.replace(/[.]/g, '[.]')
}

/** True when `s` can be written as one bare token (for targets that leave out what they cannot express). */
export function isToken(s: string): boolean {
  return BARE.test(s)
}

export interface Line {
  keyword: string
  args: Arg[]
}

/** One `server` line. address is an IP (a slot the runtime API can move) or, with `resolved`, a DNS name HAProxy resolves. */
export interface Server {
  name: string
  address: string
  port: number
  disabled: boolean
  /** Relative weight 1-256; written only when not 1 (HAProxy's default). */
  weight?: number
  /** Where the member comes from (the index only; never written into haproxy.cfg). */
  pod?: string
  node?: string
}

/** What the index (vipctl-index.json) says about a frontend: never written into haproxy.cfg. */
export interface FrontendMeta {
  vip: string
  port: number
  protocol: string
  /** Where HAProxy listens (the VIP itself, or --listen-address and a port). */
  listen: {address: string; port: number}
  hosts: string[]
  objects: string[]
  backends: string[]
}

/** What the index says about a backend. */
export interface BackendMeta {
  namespace: string
  service: string
  port: number
}

/**
 * A section of the typed configuration: the generator builds these, renderSections is the one
 * serializer, and the planner compares them (src/targets/haproxy/read.ts reads what was written
 * back into the same shape).
 */
export interface Section {
  kind: 'global' | 'defaults' | 'resolvers' | 'frontend' | 'backend'
  name?: string
  lines: Line[]
  /** A backend's servers, written after its lines; `options` are shared by all of them (checked once). */
  servers?: {list: Server[]; options: string[]; resolved: boolean}
  /** Rendered as "# ..." above the section: provenance for humans, from derived ids only. */
  comment?: string
  meta?: FrontendMeta | BackendMeta
}

export function line(keyword: string, ...args: Arg[]): Line {
  return {keyword, args}
}

function token(a: Arg): string {
  if (typeof a === 'string') {
    if (!BARE.test(a)) throw new Error(`internal: unsafe HAProxy token ${JSON.stringify(a)}`)
    return a
  }
  if ('fetch' in a) return FETCHES[a.fetch]
  if ('text' in a) {
    if (!TEXT.test(a.text)) throw new Error(`internal: unsafe HAProxy text ${JSON.stringify(a.text)}`)
    return `"${a.text}"`
  }
  if ('pathPrefix' in a) {
    const to = a.pathPrefix.to
    if (!new RegExp(`^/[${FIELD_CHARS.path}]*$`).test(to)) throw new Error(`internal: unsafe path ${JSON.stringify(to)}`)
    const from = a.pathPrefix.from
    // Kubernetes/Gateway API prefix semantics: /p matches /p and /p/...; replacing it with "/" leaves "/rest" (not
    // "//rest"); replacing the prefix "/" keeps the path's own leading slash after `to`.
    if (from === '/') return `%[path,regsub(^/,${to === '/' ? '/' : `${to}/`})]`
    return `%[path,regsub(^${literalRegex(from)}${to === '/' ? '/?' : ''},${to})]`
  }
  if ('regex' in a) {
    if (!REGEX.test(a.regex)) throw new Error(`internal: unsafe HAProxy regex ${JSON.stringify(a.regex)}`)
    return `'${a.regex}'`
  }
  if (!QUOTED.test(a.quoted)) throw new Error(`internal: unsafe quoted HAProxy string ${JSON.stringify(a.quoted)}`)
  return `"${a.quoted}"`
}

/** One directive, without indentation: the keyword and its checked tokens. */
export function renderLine(l: Line): string {
  if (!/^[a-z][a-z0-9_.-]*$/.test(l.keyword)) throw new Error(`internal: unsafe keyword ${l.keyword}`)
  return [l.keyword, ...l.args.map(token)].join(' ')
}

/** "a.b.c.d:port", "[v6]:port" or "name:port". */
export function hostPort(address: string, port: number): string {
  // Every IPv6 address holds a ':' (most addresses here are IPv4: no regular expression for them).
  return ipFamily(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`
}

export function renderSections(sections: Section[]): string {
  // Each section is joined on its own (its pieces die young), then the sections: the same text as one join of all lines.
  const out: string[] = []
  // Tokens already checked in this render (slot names, keywords repeat on every backend); never kept across renders.
  const checked = new Set<string>()
  const keywords = new Set<string>()
  const bare = (a: string): string => {
    if (checked.has(a)) return a
    const t = token(a)
    checked.add(a)
    return t
  }
  for (const s of sections) {
    const part: string[] = []
    if (s.comment) {
      if (!QUOTED.test(s.comment)) throw new Error(`internal: unsafe comment ${JSON.stringify(s.comment)}`)
      part.push(`# ${s.comment}`)
    }
    part.push(s.name ? `${s.kind} ${token(s.name)}` : s.kind)
    for (const l of s.lines) {
      if (!keywords.has(l.keyword)) {
        renderLine({keyword: l.keyword, args: []})
        keywords.add(l.keyword)
      }
      let text = l.keyword
      for (const a of l.args) text += ` ${typeof a === 'string' ? bare(a) : token(a)}`
      part.push(`    ${text}`)
    }
    if (s.servers) {
      // Many servers share one checked suffix; the per-server tokens (slot name, address) are checked each time.
      const suffix = s.servers.options.map((o) => bare(o)).join(' ')
      const tail = suffix ? ` ${suffix}` : ''
      for (const v of s.servers.list) part.push(`    server ${bare(v.name)} ${serverAddress(v)}${tail}${v.weight !== undefined && v.weight !== 1 ? ` weight ${token(String(v.weight))}` : ''}${v.disabled ? ' disabled' : ''}`)
    }
    part.push('')
    out.push(part.join('\n'))
  }
  return out.join('\n')
}

/**
 * A server's address:port as a checked token. A dotted IPv4 address with a numeric port is always one (digits,
 * dots, a colon, and the characters a number prints as): the regular expression is kept for everything else.
 */
function serverAddress(v: Server): string {
  if (typeof v.port === 'number' && dottedIpv4(v.address) >= 0) return `${v.address}:${v.port}`
  return token(hostPort(v.address, v.port))
}

/** Map files: one "key value" per line; keys and values are bare tokens. */
export function renderMap(entries: Array<[string, string]>): string {
  return entries.map(([k, v]) => `${token(k)} ${token(v)}\n`).join('')
}
