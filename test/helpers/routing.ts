/** Evaluates vipctl's generated HAProxy routing (the map files, as its http-request rules read them). Shared by tests. */
import {BACKSLASH_HEX_REGEX, DOT_SEGMENT_REGEX} from '../../src/targets/haproxy/syntax.js'
/** The Host header as the generated HAProxy normalises it: lower case, port and one trailing dot removed. */
export function normHost(h: string): string {
  return h.toLowerCase().replace(/:[0-9]+$/, '').replace(/[.]$/, '')
}

// ---- HAProxy: the maps as the generated http-request rules read them --------------------

export function haproxyRoute(files: Map<string, string>, backendToService: Map<string, string>, frontend: string, defaultBackend: string | undefined, host: string, path: string): string {
  const parse = (f: string) => (files.get(f) ?? '').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string])
  const exact = parse(`maps/${frontend}.exact.map`)
  const prefix = parse(`maps/${frontend}.prefix.map`)
  const mapStr = (k: string) => exact.find(([key]) => key === k)?.[1]
  const mapBeg = (k: string) => prefix.find(([key]) => k.startsWith(key))?.[1] // first match in file order (longest first)
  // The generated 400 rules, from the expressions the generator writes (src/targets/haproxy/syntax.ts).
  if (new RegExp(DOT_SEGMENT_REGEX).test(path) || /%2e|%5c/.test(path.toLowerCase()) || new RegExp(BACKSLASH_HEX_REGEX).test(Buffer.from(path).toString('hex').toUpperCase())) return '400'
  const h = normHost(host)
  const hp = `${h}${path}`
  const wp = `*.${h.split('.').slice(1).join('.')}${path}`
  const be = mapStr(hp) ?? mapBeg(hp) ?? mapStr(wp) ?? mapBeg(wp) ?? mapStr(path) ?? mapBeg(path)
  if (be === '_redirect_https') return 'redirect'
  if (be) return backendToService.get(be)!
  return defaultBackend ? backendToService.get(defaultBackend)! : '404'
}

