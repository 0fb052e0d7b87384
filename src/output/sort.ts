/** kubectl's --sort-by: list items ordered by the value a path finds in each. */
import {UsageError} from '../errors.js'
import {printableShort} from '../core/printable.js'
import {evaluate, relaxedPath} from './jsonpath.js'
import type {ListResult} from './render.js'

/** Parses --sort-by (kubectl's relaxed path: `.name`, `{.ports[0].port}`, `name`); a bad one is a UsageError. */
export function parseSortBy(expr: string): string {
  return relaxedPath(expr, '--sort-by')
}

/**
 * Orders two sort keys: numbers numerically, strings by code point (the same
 * order everywhere, whatever the locale), numbers before strings before other
 * scalars (booleans, null; compared as JSON); items without a value last.
 */
function compareKeys(a: unknown, b: unknown): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1
  const rank = (v: unknown) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2)
  if (rank(a) !== rank(b)) return rank(a) - rank(b)
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const x = typeof a === 'string' ? a : JSON.stringify(a)
  const y = typeof b === 'string' ? b : JSON.stringify(b)
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * The list with its items sorted by the first value the path finds in each
 * (stable: equal keys keep their order). A path that finds nothing in any item
 * of a non-empty list is a UsageError, as kubectl refuses it.
 */
export function sortItems<T>(r: ListResult<T>, path: string): ListResult<T> {
  const keyed = r.items.map((item) => ({item, key: evaluate(path, item, item)[0]}))
  if (keyed.length > 0 && keyed.every((k) => k.key === undefined))
    throw new UsageError(`--sort-by ${printableShort(path, 60)}: no item has this field`, `see -o json for the fields of ${r.kind} items`)
  // kubectl sorts by scalars only: an object or a list has no order an operator could predict.
  if (keyed.some((k) => k.key !== null && typeof k.key === 'object'))
    throw new UsageError(`--sort-by ${printableShort(path, 60)}: not a scalar field (an object or a list); sort by one of its fields`, `e.g. ${printableShort(path, 40)}[0] or a field inside it`)
  return {...r, items: keyed.sort((a, b) => compareKeys(a.key, b.key)).map((k) => k.item)}
}
