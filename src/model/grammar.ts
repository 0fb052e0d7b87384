/**
 * One grammar per field. Every string that reaches a proxy config, a netfilter
 * rule or a runtime-API command is checked against its field's grammar here,
 * once, in the model; each target's serializer builds its own token grammar
 * from the same character sets (see TOKEN_CHARS), so a value the model accepts
 * can always be written by every target. test/unit/grammar.test.ts proves it
 * character by character.
 *
 * Sets are written as the inside of a RegExp character class.
 */

/** Path characters: the set ingress-nginx settled on after CVE-2021-25745, plus "~". */
export const PATH_CHARS = 'A-Za-z0-9._~\\-/'
/** Query-string characters allowed after "?" in a health-check path. */
export const QUERY_CHARS = 'A-Za-z0-9._~\\-=&'
/** Canonical host names: lower case; "*" only as the whole first label. */
export const HOST_CHARS = 'a-z0-9.\\-*'
/** Kubernetes object names (DNS subdomains, lower case). */
export const NAME_CHARS = 'a-z0-9.\\-'
/** HTTP header names vipctl writes: letters, digits, "-" and "_" (a subset of RFC 9110's token). */
export const HEADER_NAME_CHARS = 'A-Za-z0-9_\\-'
/**
 * HTTP header values vipctl writes: visible ASCII and space, except the characters a target's syntax gives a
 * meaning inside the double-quoted string it writes: '%' (HAProxy's log-format), '"', '\\', '$' and '#'. The
 * single quote is allowed (Content-Security-Policy's 'self').
 */
export const HEADER_VALUE_CHARS = "A-Za-z0-9 !&'()*+,./:;<=>?@\\[\\]^_`{|}~\\-"

/** Query parameter values a route condition compares (as sent, not decoded): unreserved characters, "%" escapes and "+". */
export const QUERY_VALUE_CHARS = 'A-Za-z0-9._~\\-%+'

const PATH = new RegExp(`^/[${PATH_CHARS}]*$`)
const PROBE_PATH = new RegExp(`^/[${PATH_CHARS}]*(\\?[${QUERY_CHARS}]*)?$`)
const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const HOST = new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})*$`)
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/
const HEADER_NAME = new RegExp(`^[${HEADER_NAME_CHARS}]{1,64}$`)
const HEADER_VALUE = new RegExp(`^[${HEADER_VALUE_CHARS}]{1,512}$`)

/**
 * Headers no rule may set, add or remove: framing and hop-by-hop headers (a rule on them could desynchronise the
 * proxy and a member), and Host (vipctl.io/rewrite changes it). Lower case.
 */
export const PROTECTED_HEADERS: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'keep-alive', 'te', 'trailer', 'proxy-connection'])

/** Field name -> the characters its values may contain (for the serializers' grammar test). */
export const FIELD_CHARS: Readonly<Record<string, string>> = {
  path: PATH_CHARS,
  probePath: `${PATH_CHARS}?${QUERY_CHARS}`,
  host: HOST_CHARS,
  name: NAME_CHARS,
  headerName: HEADER_NAME_CHARS,
  /** A canonical network (src/model/ip.ts canonicalNetwork): "10.0.0.0/8", "2001:db8::/32". */
  network: '0-9a-f.:/',
  queryValue: QUERY_VALUE_CHARS,
}

/**
 * Field name -> characters of fields every target writes as quoted text, never as a bare token (their values
 * hold spaces). HAProxy's serializer builds its text grammar from these (test/unit/trust.test.ts).
 */
export const TEXT_FIELD_CHARS: Readonly<Record<string, string>> = {
  headerValue: HEADER_VALUE_CHARS,
}

/**
 * Health-check timing every target can express: HAProxy's timers stop at
 * 2^31-1 ms; NetScaler monitors take intervals of at most 20,940 s, retries
 * 1-127 and success retries 1-32. Values are [min, max], inclusive.
 */
export const MONITOR_LIMITS = {
  intervalMs: [1000, 3_600_000],
  timeoutMs: [1000, 3_600_000],
  rise: [1, 32],
  fall: [1, 127],
} as const satisfies Record<string, readonly [number, number]>

export const allow = {
  /** An Ingress path: at most 1,024 characters, no "." or ".." segment (requests for one are refused with 400, so a rule for it could never match). */
  path: (s: string): boolean => s.length <= 1024 && PATH.test(s) && !s.split('/').some((seg) => seg === '..' || seg === '.'),
  /** A canonical host (see canonicalHost): at most 253 characters, labels of at most 63. */
  host: (s: string): boolean => s.length <= 253 && HOST.test(s) && s.split('.').every((l) => l.length <= 63),
  name: (s: string): boolean => s.length <= 253 && K8S_NAME.test(s),
  headerName: (s: string): boolean => HEADER_NAME.test(s),
  /** A header value: 1-512 characters of HEADER_VALUE_CHARS, no leading or trailing space (HAProxy drops an empty argument). */
  headerValue: (s: string): boolean => HEADER_VALUE.test(s) && s.trim() === s,
  /** A query parameter value a route condition compares: 1-1,024 characters of QUERY_VALUE_CHARS. */
  queryValue: (s: string): boolean => s.length >= 1 && s.length <= 1024 && new RegExp(`^[${QUERY_VALUE_CHARS}]+$`).test(s),
  /** Probe paths go into `http-check send`: same grammar as routes, plus a query string of safe characters. */
  probePath: (s: string): boolean => s.length <= 1024 && PROBE_PATH.test(s) && !s.split('?')[0]!.split('/').some((seg) => seg === '..'),
} as const

/**
 * The canonical spelling of a host name: lower case, without one trailing dot.
 * Hosts are compared and keyed only in this form (a request's Host header is
 * normalised the same way by every target). Returns the input unchanged when
 * it is not a host at all; the allowlist then rejects it.
 */
export function canonicalHost(host: string): string {
  // ASCII only: toLowerCase() would turn the Kelvin sign into "k" and make a look-alike valid.
  const h = host.replace(/[A-Z]/g, (c) => c.toLowerCase())
  return h.length > 1 && h.endsWith('.') && !h.endsWith('..') ? h.slice(0, -1) : h
}

/** True when a certificate's DNS names (or TLS hosts) cover `host`: equal, or a "*." name matching exactly one label. */
export function certCovers(names: string[], host: string): boolean {
  const dot = host.indexOf('.')
  const parent = dot > 0 ? host.slice(dot + 1) : undefined
  return names.some((n) => n === host || (n.startsWith('*.') && !host.startsWith('*.') && parent === n.slice(2)))
}
