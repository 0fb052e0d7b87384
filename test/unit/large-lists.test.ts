/**
 * Lists whose length the input decides are never spread into a call (`Math.max(...rows)` overflows the call stack
 * past about 10^5 items, exit 70): the object table of a large migrate / install -o table, the listener check.
 */
import assert from 'node:assert/strict'
import {maxOf} from '../../src/core/arrays.js'
import {objectTable} from '../../src/output/object-table.js'
import {checkListeners} from '../../src/targets/haproxy/options.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {UsageError} from '../../src/errors.js'

describe('large lists: no spread into a call', () => {
  it('maxOf: the largest value, the floor when empty or all smaller, any length', () => {
    assert.equal(maxOf([3, 9, 2]), 9)
    assert.equal(maxOf([], 0), 0)
    assert.equal(maxOf([]), -Infinity)
    assert.equal(maxOf([-5, -2], 1), 1)
    assert.equal(maxOf(new Set([1, 7])), 7)
    assert.equal(maxOf(Array.from({length: 500_000}, (_, i) => i)), 499_999)
  })

  it('objectTable renders 200,000 objects, aligned to the widest cell', () => {
    const objects = Array.from({length: 200_000}, (_, i) => ({kind: 'Ingress', metadata: {name: `ing-${i}`, namespace: i === 199_999 ? 'a-much-longer-namespace' : 'ns'}}))
    const text = objectTable(objects)
    const lines = text.split('\n')
    assert.equal(lines.length, 200_002) // header, rows, and the final newline
    assert.equal(lines[0], `KIND      ${'NAMESPACE'.padEnd('a-much-longer-namespace'.length + 3)}NAME`)
    assert.equal(lines[1], `Ingress   ${'ns'.padEnd('a-much-longer-namespace'.length + 3)}ing-0`)
    assert.equal(lines[200_000], 'Ingress   a-much-longer-namespace   ing-199999')
  })

  it('checkListeners with 200,000 listeners (ports past 65535 are refused, in one line)', () => {
    const listeners = new Map(Array.from({length: 200_000}, (_, i) => [`f${i}`, {port: 1024 + i}] as const))
    const opts = {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy', runDir: '/run/haproxy', listen: {mode: 'address' as const, address: '127.0.0.1', basePort: 1024}}
    assert.throws(
      () => checkListeners({listeners} as never, opts),
      (e: unknown) => e instanceof UsageError && /^--listen-base-port 1024: the 200000 frontends need ports 1024-201023, but the last port is 65535/.test(e.message),
    )
  })
})
