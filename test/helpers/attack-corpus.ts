/**
 * The attack-string corpus of the security notes, plus every single printable
 * ASCII character, every C0 control and DEL, and a few non-ASCII characters
 * (the first corpus missed "~", which is how one Ingress path stopped the
 * HAProxy render for everyone). Each string is tried alone and as prefix,
 * suffix and infix of a field's valid value.
 */

/** The security note's corpus ("Attack-string corpus for fuzz tests"). */
export const SECURITY_ATTACKS: readonly string[] = [
  // Line breakers
  '\n', '\r', '\r\n', '\v', '\f', '\0', '\t', '\u0085', '\u2028', '\u2029',
  'x\n  server evil 10.0.0.9:80', 'x\nbackend pwn', 'x\n.if 1', '\nadd system user eve pw',
  // Comments and quotes
  '#', 'x #y', '"', "'", '\\', '\\"', '\\#', '\\\\', 'tail\\', 'q/evil/', 'q{evil}', '?',
  // Expansion and meta
  '${HOME}', '"$SECRET"', '%[req.hdr(host)]', '%{+Q}o', ';', '{', '}', '(', ')', '|', '`', '-leading',
  // HAProxy runtime API
  '1.2.3.4 ; shutdown sessions server be/s', 'x\nset map /m k v',
  // Known exploit shapes
  '/ { /testpath', '} location /x { alias /var/run/secrets/; }', '_by_lua', 'ssl_engine', 'lua-load /tmp/x.lua', 'use_backend other if TRUE',
  // Netfilter
  '\nCOMMIT', '\n-A INPUT -j ACCEPT', '" -j ACCEPT #', '};', 'x'.repeat(300),
  // Paths
  '../../etc/passwd', '..', '..%2F', '%00', '%2F', '/var/run/secrets/kubernetes.io/serviceaccount/token', 'ns/../name', 'a/b', 'a\\b',
  // Length
  'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(127), 'a'.repeat(128), 'a'.repeat(253), 'a'.repeat(254), 'a'.repeat(1000), 'a'.repeat(1500), 'a'.repeat(10_000),
  // Unicode
  '\u0430', '\u202E', '\u200B', '\uFEFF', '\uFF0F', '\uD800', 'xn--', 'xn--80ak6aa92e', 'UPPER', 'trailing.', '*', '*.', '[::1]', 'fe80::1%eth0',
  // Parser
  ' ', '', 'on', '0x10', '__proto__', 'constructor', '<<: *a', '!!js/function',
]

/** Every printable ASCII character alone (0x20-0x7e). */
export const PRINTABLE_ASCII: readonly string[] = Array.from({length: 0x7f - 0x20}, (_, i) => String.fromCharCode(0x20 + i))

/** C0 controls and DEL. */
export const CONTROLS: readonly string[] = [...Array.from({length: 0x20}, (_, i) => String.fromCharCode(i)), '\x7f']

/** A few non-ASCII characters that look harmless or fold into ASCII somewhere. */
export const NON_ASCII: readonly string[] = [
  '\u00e9', // é
  '\u00a0', // no-break space
  '\u0130', // İ (lower-cases to "i" + combining dot)
  '\u0131', // ı (dotless i; upper-cases to "I")
  '\u212a', // Kelvin sign (lower-cases to "k")
  '\u017f', // long s (upper-cases to "S")
  '\u00ad', // soft hyphen
  '\u2215', // division slash
  '\u2024', // one dot leader
  '\uff0e', // full-width full stop
  '\u{1F600}', // outside the BMP
  '\uDC00', // lone low surrogate
]

/** The whole corpus, each string once, in a stable order. */
export const CORPUS: readonly string[] = [...new Set([...SECURITY_ATTACKS, ...PRINTABLE_ASCII, ...CONTROLS, ...NON_ASCII])]

export type Placement = 'alone' | 'prefix' | 'suffix' | 'infix'
export const PLACEMENTS: readonly Placement[] = ['alone', 'prefix', 'suffix', 'infix']

/** The attack placed into a field's valid value. */
export function place(base: string, attack: string, at: Placement): string {
  switch (at) {
    case 'alone':
      return attack
    case 'prefix':
      return attack + base
    case 'suffix':
      return base + attack
    case 'infix': {
      const i = Math.max(1, Math.floor(base.length / 2))
      return base.slice(0, i) + attack + base.slice(i)
    }
  }
}

/** Deterministic PRNG (mulberry32): the same seed gives the same cases. */
export function prng(seed: number): () => number {
  let s = seed | 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A printable, bounded description of a value for messages (control characters escaped, long runs shortened). */
export function show(v: string, max = 80): string {
  const j = JSON.stringify(v.length > max ? `${v.slice(0, max)}…(${v.length})` : v)
  return j.replace(/[\u007f-\u009f\u00a0\u00ad\u2028\u2029\u200b-\u200f\u202a-\u202e\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
