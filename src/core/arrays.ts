/**
 * Appends `items` to `target` one by one and returns `target`. `target.push(...items)` passes every item as a call
 * argument, which throws RangeError (call stack size) past about 10^5 items: lists whose size input decides
 * (config lines, ACLs, findings) are appended with this instead.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const x of items) target.push(x)
  return target
}

/**
 * The largest of `values` (or `floor` when there are none, or all are smaller), by a loop: `Math.max(...values)`
 * passes every value as a call argument and overflows the call stack past about 10^5 of them.
 */
export function maxOf(values: Iterable<number>, floor = -Infinity): number {
  let max = floor
  for (const v of values) if (v > max) max = v
  return max
}
