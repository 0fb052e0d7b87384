/** Label selectors as kubectl -l takes them: k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b). */
import {UsageError} from '../errors.js'

export type Requirement =
  | {op: 'eq' | 'neq'; key: string; value: string}
  | {op: 'in' | 'notin'; key: string; values: string[]}
  | {op: 'exists' | 'notexists'; key: string}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

export function parseSelector(text: string): Requirement[] {
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
    } else cur += ch
  }
  parts.push(cur)
  return parts.map((raw) => {
    const p = raw.trim()
    const bad = () => new UsageError(`--selector: cannot parse ${JSON.stringify(p)}`, 'expected k=v, k!=v, k, !k, k in (a,b) or k notin (a,b)')
    let m: RegExpExecArray | null
    let req: Requirement
    if ((m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(p))) req = {op: m[2] === '!=' ? 'neq' : 'eq', key: m[1]!, value: m[3]!}
    else if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) req = {op: m[2] as 'in' | 'notin', key: m[1]!, values: m[3]!.split(',').map((s) => s.trim())}
    else if ((m = /^!(\S+)$/.exec(p))) req = {op: 'notexists', key: m[1]!}
    else if (/^\S+$/.test(p)) req = {op: 'exists', key: p}
    else throw bad()
    if (!KEY.test(req.key)) throw bad()
    const values = 'value' in req ? [req.value] : 'values' in req ? req.values : []
    if (values.some((v) => !VALUE.test(v))) throw bad()
    return req
  })
}

export function matchesSelector(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {}
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key)
    switch (r.op) {
      case 'eq':
        return l[r.key] === r.value
      case 'neq':
        return l[r.key] !== r.value
      case 'in':
        return has && r.values.includes(l[r.key]!)
      case 'notin':
        return !has || !r.values.includes(l[r.key]!)
      case 'exists':
        return has
      case 'notexists':
        return !has
    }
  })
}
