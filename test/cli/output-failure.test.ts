/**
 * The built CLI when its standard output cannot be written (bin/run.js guardOutput): a full disk (/dev/full:
 * every write fails with ENOSPC) is one line on stderr and exit 74, never a stack trace or exit 1 (which reads as
 * "findings"); a reader that goes away (EPIPE) is not an error; the completion entries say nothing on stderr.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, openSync, closeSync} from 'node:fs'
import path from 'node:path'
import {ROOT} from '../helpers/cli.js'

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete e.NODE_OPTIONS
  return e
}

/** Runs bin/run.js (or another entry) with stdout on /dev/full. */
function toFullDisk(args: string[], entry = 'run.js'): {status: number | null; stderr: string} {
  const full = openSync('/dev/full', 'w')
  try {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', entry), ...args], {cwd: ROOT, env: env(), stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 30_000})
    return {status: r.status, stderr: r.stderr}
  } finally {
    closeSync(full)
  }
}

/** Runs bin/run.js with stdout on a pipe whose reader closes it before reading anything; resolves with the exit code and stderr. */
function toClosedPipe(args: string[]): Promise<{code: number | null; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe']})
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stderr})
    })
  })
}

describe('standard output that cannot be written', function () {
  this.timeout(60_000)
  before(function () {
    assert.ok(existsSync('/dev/full'), 'these tests need /dev/full (Linux)')
  })

  for (const args of [['inspect', 'services', '-f', 'examples/shop'], ['generate', 'haproxy', '-f', 'examples/shop'], ['check', '-f', 'examples/shop', '-o', 'json'], ['version'], ['--help'], ['inspect', '--help']]) {
    it(`vipctl ${args.join(' ')} > /dev/full: one line, exit 74`, () => {
      const r = toFullDisk(args)
      assert.equal(r.status, 74, r.stderr)
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'))
      assert.deepEqual(errors, ['error: cannot write the output: no space left on device (ENOSPC)'])
      assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+|node:events|Unhandled/, 'no stack trace')
    })
  }

  it('a command that fails with its own code still reports the output failure, with 74', () => {
    // check's findings (exit 1) on examples/broken: the report could not be written, so 74.
    const r = toFullDisk(['check', '-f', 'examples/broken'])
    assert.equal(r.status, 74, r.stderr)
    assert.match(r.stderr, /^error: cannot write the output: no space left on device \(ENOSPC\)$/m)
  })

  it('the completion entries: nothing on stderr', () => {
    const viaRun = toFullDisk(['__complete', '--', 'inspect', ''])
    assert.equal(viaRun.stderr, '')
    const plugin = toFullDisk(['inspect', ''], 'complete.js')
    assert.equal(plugin.stderr, '')
  })

  it('a reader that goes away (EPIPE) is not an error: the command ends as it would, nothing on stderr', async () => {
    for (const args of [['generate', 'haproxy', '-f', 'examples/shop'], ['__complete', '--', '']]) {
      const r = await toClosedPipe(args)
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
      assert.doesNotMatch(r.stderr, /error|EPIPE|at /, args.join(' '))
    }
  })
})
