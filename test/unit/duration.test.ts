/**
 * One duration grammar (src/core/duration.ts) behind every duration flag and field: Go's compound form ("1m30s")
 * works wherever a duration is taken, while each caller keeps its own units, bare-number rule, bounds and message.
 */
import assert from 'node:assert/strict'
import {parseDuration, GATEWAY_DURATION} from '../../src/core/duration.js'
import {requestTimeoutOption} from '../../src/cluster/client-options.js'
import {durationMs} from '../../src/model/gateway.js'
import {durationFlag, leaseOptions} from '../../src/sync/command.js'
import {parseInterval} from '../../src/stats/io.js'
import {ANNOTATIONS} from '../../src/model/annotations.js'
import {UsageError} from '../../src/errors.js'

const usage = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e))
    assert.equal(e.exit, 64)
    assert.match(e.message, re)
    return true
  })

describe('core/duration: one grammar', () => {
  const GO = {units: ['ns', 'us', 'µs', 'ms', 's', 'm', 'h'], fractions: true, bare: 'whole-seconds'} as const

  it('compound parts add up, in any unit the caller takes', () => {
    assert.equal(parseDuration('1m30s', GO), 90_000)
    assert.equal(parseDuration('1h2m3s4ms', GO), 3_723_004)
    assert.equal(parseDuration('1.5s', GO), 1500)
    assert.equal(parseDuration('1.5h', GO), 5_400_000)
    assert.equal(parseDuration('2500us', GO), 2.5)
    assert.equal(parseDuration('2500µs', GO), 2.5)
    assert.equal(parseDuration('1s1s', GO), 2000, 'Go adds repeated units too')
    assert.equal(parseDuration('7', GO), 7000)
  })

  it('is not a duration: units out of the set, junk, bare numbers the caller does not take, empty, huge', () => {
    for (const t of ['', 'm', 's1', '1m30', '1ms5', '1 s', ' 1s', '1s ', '-1s', '+1s', '1.s', '.5s', '1e3s', '1d', '1S', '1.5', '0x10s', '1m-30s', '9'.repeat(10), `${'1s'.repeat(40)}`])
      assert.equal(parseDuration(t, GO), undefined, t)
    assert.equal(parseDuration('10ns', {units: ['ms', 's']}), undefined)
    assert.equal(parseDuration('1.5s', {units: ['s']}), undefined, 'no fractions unless asked')
    assert.equal(parseDuration('5', {units: ['s']}), undefined, 'no bare number unless asked')
    assert.equal(parseDuration('1.5', {units: ['s'], fractions: true, bare: 'seconds'}), 1500)
    assert.equal(parseDuration('1.5', {units: ['s'], fractions: true, bare: 'whole-seconds'}), undefined)
    assert.equal(parseDuration('123456s', GATEWAY_DURATION), undefined, 'GEP-2257: at most 5 digits a part')
  })
})

describe('every duration flag and field takes the compound form, and keeps its own rules', () => {
  it('--request-timeout (kubectl, Go units, bare whole seconds)', () => {
    assert.equal(requestTimeoutOption('1m30s'), 90_000)
    assert.equal(requestTimeoutOption('5'), 5000)
    assert.equal(requestTimeoutOption('0'), 0)
    usage(() => requestTimeoutOption('500ns'), /at least 1ms/)
    usage(() => requestTimeoutOption('25h'), /at most 24h/)
    usage(() => requestTimeoutOption('1x'), /expected a duration such as 500ms, 5s, 1m or 1m30s/)
  })

  it('sync: --watch-timeout, --debounce, --resync-period, --lease-duration ...', () => {
    assert.equal(durationFlag('watch-timeout', '1m30s', 100), 90_000)
    assert.equal(durationFlag('debounce', '1.5s'), 1500)
    assert.equal(durationFlag('resync-period', '1h30m', 1000), 5_400_000)
    assert.equal(leaseOptions({'lease-duration': '1m30s'}, undefined, {}).leaseDurationSec, 90)
    usage(() => durationFlag('watch-timeout', '90'), /^--watch-timeout "90": expected a duration such as 50ms, 5s, 5m/)
    usage(() => durationFlag('watch-timeout', '1m30'), /^--watch-timeout "1m30": expected a duration/)
    usage(() => durationFlag('resync-period', '500ms', 1000), /^--resync-period 500ms: at least 1000ms/)
    usage(() => durationFlag('resync-period', '600h'), /at most 24d/)
  })

  it('stats --interval (bare seconds, 100ms..1h)', () => {
    assert.equal(parseInterval('1m30s'), 90_000)
    assert.equal(parseInterval('2'), 2000)
    assert.equal(parseInterval('1.5'), 1500)
    assert.equal(parseInterval('1h'), 3_600_000)
    usage(() => parseInterval('1h1s'), /between 100ms and 1h/)
    usage(() => parseInterval('50ms'), /between 100ms and 1h/)
    usage(() => parseInterval('2x'), /expected a duration such as 1s, 500ms or 1m/)
  })

  it('vipctl.io/timeout-* annotations (whole numbers, 1ms..24h)', () => {
    const parse = ANNOTATIONS.timeoutServer.parse
    assert.equal(parse('1m30s'), 90_000)
    assert.equal(parse('500ms'), 500)
    assert.equal(parse('24h'), 86_400_000)
    for (const bad of ['1.5s', '5', '24h1ms', '0s', '1x', '1m30']) assert.equal(parse(bad), undefined, bad)
  })

  it('Gateway API durations (GEP-2257)', () => {
    assert.equal(durationMs('1h30m'), 5_400_000)
    assert.equal(durationMs('500ms'), 500)
    assert.equal(durationMs('0s'), 0)
    for (const bad of ['1.5s', '5', '1d', '1m30']) assert.equal(durationMs(bad), undefined, bad)
  })
})
