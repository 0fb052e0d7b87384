/** `vipctl check`: the model's diagnostics plus every analyzer's findings, filtered, sorted, with a verdict. */
import type {Diagnostic, Severity} from '../cluster/types.js'
import {UsageError} from '../errors.js'
import type {Compiled} from '../model/compile.js'
import {DEFAULT_HAPROXY_OPTIONS, generateHaproxy} from '../targets/haproxy/generate.js'
import {DEFAULT_NETSCALER_OPTIONS, generateNetscaler} from '../targets/netscaler/generate.js'
import type {ListResult} from '../output/render.js'
import {formatDiagnostic} from '../output/diagnostics.js'
import {ANALYZERS, type CheckOptions} from './analyzers.js'
import {CATALOG, catalogEntry, type CatalogEntry} from '../core/catalog.js'
import {junit, sarif} from './report.js'
import {proxyFindings, type ProxyState} from './proxy.js'

export type FailOn = 'error' | 'warning' | 'never'

export interface Finding {
  code: string
  severity: Severity
  title: string
  object: string
  field?: string
  message: string
  hint: string
  file?: string
  line?: number
}

const RANK: Record<Severity, number> = {error: 0, warning: 1, info: 2}

/**
 * What each target would leave out or change (UDP on HAProxy, an ExternalName backend on NetScaler, a
 * tenant VIP on vipctl's own listener, an over-long NetScaler expression): check never says "no
 * problems" about something a target ignores. Rendered in memory with the default options.
 */
function targetFindings({model, secrets}: Compiled): Diagnostic[] {
  return [
    ...generateHaproxy(model, secrets, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}).diagnostics,
    ...generateNetscaler(model, secrets, DEFAULT_NETSCALER_OPTIONS).diagnostics,
  ]
}

export function runChecks(c: Compiled, opts: CheckOptions, disable: string[], proxy?: ProxyState, extra: Diagnostic[] = []): Diagnostic[] {
  for (const code of disable) if (!CATALOG.has(code)) throw new UsageError(`--disable ${code}: unknown code`, 'see vipctl check --list-checks')
  const {snapshot: snap, model} = c
  const all = [...model.diagnostics, ...targetFindings(c), ...ANALYZERS.flatMap((a) => a.run({snap, model, opts})), ...(proxy ? proxyFindings(snap, model, proxy) : []), ...extra]
  const seen = new Set<string>()
  return all
    .filter((d) => !disable.includes(d.code))
    .filter((d) => {
      const k = formatDiagnostic(d)
      return seen.has(k) ? false : (seen.add(k), true)
    })
    .sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.object.localeCompare(b.object) || a.code.localeCompare(b.code) || (a.field ?? '').localeCompare(b.field ?? ''))
}

export function checkResult(findings: Diagnostic[], failOn: FailOn, version = '0.0.0'): ListResult<Finding> {
  const items: Finding[] = findings.map((d) => ({
    code: d.code,
    severity: d.severity,
    title: catalogEntry(d.code).title,
    object: d.object,
    ...(d.field ? {field: d.field} : {}),
    message: d.message,
    hint: catalogEntry(d.code).hint,
    ...(d.origin?.source === 'file' ? {file: d.origin.file, line: d.origin.line} : {}),
  }))
  const failing = failOn === 'never' ? [] : items.filter((f) => RANK[f.severity] <= RANK[failOn])
  return {
    type: 'list',
    kind: 'Finding',
    items,
    name: (f) => `${f.code}/${f.object}`,
    empty: 'No problems found.',
    ...(failing.length > 0 ? {exit: 1} : {}),
    formats: {junit: (xs) => junit(xs, failOn), sarif: (xs) => sarif(xs, version)},
    columns: [
      {header: 'SEVERITY', get: (f) => f.severity, style: (f, t, c) => (f.severity === 'error' ? c.red(t) : f.severity === 'warning' ? c.yellow(t) : c.cyan(t))},
      {header: 'CODE', get: (f) => f.code},
      {header: 'OBJECT', get: (f) => f.object},
      {header: 'FIELD', wide: true, get: (f) => f.field ?? ''},
      {header: 'MESSAGE', get: (f) => f.message},
      {header: 'WHERE', wide: true, get: (f) => (f.file ? `${f.file}:${f.line}` : '')},
      {header: 'FIX', wide: true, get: (f) => f.hint},
    ],
  }
}

export function catalogResult(): ListResult<CatalogEntry & {analyzer: string}> {
  const owner = new Map<string, string>()
  for (const a of ANALYZERS) for (const c of a.codes) owner.set(c, a.name)
  const items = [...CATALOG.values()].map((e) => ({
    ...e,
    analyzer: owner.get(e.code) ?? (e.code.startsWith('VIP1') ? 'input' : e.code.startsWith('VIP2') ? 'model' : e.code.startsWith('VIP405') ? 'proxy (--stats-socket)' : e.code.startsWith('VIP406') ? 'vip rules (--netns, --vip-rules)' : 'target'),
  }))
  return {
    type: 'list',
    kind: 'Check',
    items,
    name: (e) => e.code,
    columns: [
      {header: 'CODE', get: (e) => e.code},
      {header: 'SEVERITY', get: (e) => e.severity},
      {header: 'ANALYZER', get: (e) => e.analyzer},
      {header: 'TITLE', get: (e) => e.title},
      {header: 'FIX', wide: true, get: (e) => e.hint},
    ],
  }
}
