/**
 * Appends `items` to `target` one by one and returns `target`. `target.push(...items)` passes every item as a call
 * argument, which throws RangeError (call stack size) past about 10^5 items: lists whose size input decides
 * (config lines, ACLs, findings) are appended with this instead.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const x of items) target.push(x)
  return target
}
