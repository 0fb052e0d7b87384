/**
 * The built CLI with inputs that never end or never open: a named pipe or a device given as -o jsonpath-file or as
 * the kubeconfig (also while completing with TAB) is refused at once with one line (or, for completion, no
 * candidates); and a compound duration ("1m30s") is taken by every duration flag.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {vipctl, type CliResult} from '../helpers/cli.js'

function refused(r: CliResult, code: number, re: RegExp): void {
  assert.equal(r.code, code, r.stdout + r.stderr)
  const lines = r.stderr.split('\n').filter(Boolean)
  assert.equal(lines.length, 1, r.stderr)
  assert.match(lines[0]!, re)
}

describe('bounded inputs and durations (built CLI)', function () {
  this.timeout(60_000)
  let dir: string
  let fifo: string
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-bounded-'))
    fifo = path.join(dir, 'pipe')
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0)
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('-o jsonpath-file= a named pipe or /dev/zero: exit 65, one line, at once', async () => {
    refused(await vipctl(['inspect', 'ingresses', '-f', 'examples/shop', '-o', `jsonpath-file=${fifo}`], {timeoutMs: 15_000}), 65, /^error: -o jsonpath-file \S+pipe: not a regular file \(a named pipe\)$/)
    refused(await vipctl(['inspect', 'ingresses', '-f', 'examples/shop', '-o', 'jsonpath-file=/dev/zero'], {timeoutMs: 15_000}), 65, /^error: -o jsonpath-file \/dev\/zero: not a regular file \(a character device\)$/)
  })

  it('a named-pipe kubeconfig: exit 65 naming it; TAB completion answers (no candidates) instead of hanging', async () => {
    refused(await vipctl(['sync', '--once', '--kubeconfig', fifo], {timeoutMs: 15_000}), 65, /^error: kubeconfig \S+pipe: not a regular file \(a named pipe\)$/)
    const started = Date.now()
    const c = await vipctl(['__complete', '--', 'inspect', 'services', '--kubeconfig', fifo, '--context', ''], {timeoutMs: 15_000})
    assert.equal(c.code, 0, c.stderr)
    assert.equal(c.stdout.trim(), ':4')
    assert.ok(Date.now() - started < 10_000)
    const n = await vipctl(['__complete', '--', 'inspect', 'services', '-n', ''], {env: {KUBECONFIG: fifo}, timeoutMs: 15_000})
    assert.equal(n.code, 0, n.stderr)
  })

  it('sync --watch-timeout 1m30s (and the other duration flags) take a compound duration; a bad one is exit 64', async () => {
    // A good duration gets past the flags to the kubeconfig (here a named pipe, refused): the flag was taken.
    for (const flag of ['--watch-timeout', '--debounce', '--resync-period', '--lease-duration', '--ca-refresh-period', '--min-reload-interval'])
      refused(await vipctl(['sync', '--once', '--kubeconfig', fifo, flag, '1m30s'], {timeoutMs: 15_000}), 65, /not a regular file/)
    refused(await vipctl(['sync', '--once', '--kubeconfig', fifo, '--watch-timeout', '1m30x'], {timeoutMs: 15_000}), 64, /^error: --watch-timeout "1m30x": expected a duration such as 50ms, 5s, 5m/)
  })
})
