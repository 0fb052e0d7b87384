/** Stats rows as a result for the one renderer: kubectl-like table, JSON (lines), Prometheus text. */
import type {ChalkInstance} from 'chalk'
import type {ListResult} from '../output/render.js'
import {kubeText} from './kube.js'
import {renderPrometheus} from './prometheus.js'
import type {StatRow} from './tail.js'
import {health, type StatSample} from './types.js'
import {proxyErrors} from './view.js'

export function fmtRate(r: number | null): string {
  if (r === null) return '-'
  return r >= 100 ? String(Math.round(r)) : r.toFixed(1)
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${v}B` : `${v.toFixed(1)}${units[i]}`
}

export function styleStatus(s: Pick<StatSample, 'status' | 'type'>, text: string, c: ChalkInstance): string {
  const h = health(s)
  return h === 'up' ? c.green(text) : h === 'down' ? c.red(text) : h === 'maint' ? c.yellow(text) : c.dim(text)
}

export function statsResult(rows: StatRow[]): ListResult<StatRow> {
  return {
    type: 'list',
    kind: 'StatSample',
    items: rows,
    name: (r) => `${r.type}/${r.name}`,
    empty: 'No proxy statistics matched.',
    columns: [
      {header: 'TYPE', fixed: true, get: (r) => r.type},
      {header: 'NAME', min: 20, get: (r) => r.name},
      {header: 'KUBERNETES', get: (r) => kubeText(r)},
      {header: 'STATUS', fixed: true, get: (r) => r.status + (r.checkStatus && health(r) !== 'up' ? ` (${r.checkStatus})` : ''), style: (r, t, c) => styleStatus(r, t, c)},
      {header: 'REQ/S', fixed: true, get: (r) => fmtRate(r.requests.rate)},
      {header: 'SESS', fixed: true, get: (r) => String(r.sessions.current)},
      {header: 'TOTAL', get: (r) => String(r.requests.total), wide: true},
      {header: '2XX', get: (r) => String(r.responses['2xx']), wide: true},
      {header: '3XX', get: (r) => String(r.responses['3xx']), wide: true},
      {header: '4XX', get: (r) => String(r.responses['4xx']), wide: true},
      {header: '5XX', fixed: true, get: (r) => String(r.responses['5xx'])},
      // ERR: HAProxy's request, connect and response errors (ereq + econ + eresp), the failures that are not an HTTP status; the live view's ERR too.
      {header: 'ERR', fixed: true, get: (r) => String(proxyErrors(r)), style: (r, t, c) => (t !== '0' ? c.red(t) : t)},
      {header: 'QUEUE', get: (r) => String(r.queue.current), wide: true},
      {header: 'RTIME', fixed: true, get: (r) => `${r.timesMs.response}ms`},
      {header: 'TTIME', get: (r) => `${r.timesMs.total}ms`, wide: true},
      {header: 'IN', get: (r) => fmtBytes(r.bytes.in), wide: true},
      {header: 'OUT', get: (r) => fmtBytes(r.bytes.out), wide: true},
      {header: 'WEIGHT', get: (r) => (r.weight === undefined ? '' : String(r.weight)), wide: true},
      {header: 'ADDRESS', get: (r) => r.address ?? '', wide: true},
    ],
    formats: {prometheus: (items) => renderPrometheus(items)},
  }
}
