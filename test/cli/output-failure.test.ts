/**
 * The built CLI when its standard output cannot be written (bin/run.js guardOutput): a full disk (/dev/full:
 * every write fails with ENOSPC) is one line on stderr and exit 74, never a stack trace or exit 1 (which reads as
 * "findings"); a reader that goes away (EPIPE) is not an error; the completion entries say nothing on stderr.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs'
import type net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {ROOT} from '../helpers/cli.js'
import {serveStats, writeOneBackendIndex} from '../helpers/stats-socket.js'

const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete e.NODE_OPTIONS
  return e
}

/** Runs bin/run.js (or another entry) with stdout on /dev/full; killed after 30 s. */
function toFullDisk(args: string[], entry = 'run.js'): {status: number | null; stderr: string; ms: number} {
  const full = openSync('/dev/full', 'w')
  try {
    const t0 = Date.now()
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', entry), ...args], {cwd: ROOT, env: env(), stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 30_000})
    return {status: r.status, stderr: r.stderr, ms: Date.now() - t0}
  } finally {
    closeSync(full)
  }
}

/** Runs bin/run.js with stdout on a pipe whose reader closes it before reading anything; resolves with the exit code and stderr. */
function toClosedPipe(args: string[], timeoutMs = 30_000): Promise<{code: number | null; stderr: string; ms: number}> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe']})
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stderr, ms: Date.now() - t0})
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

  it('a command with a code of its own keeps it, and the output failure is still said', () => {
    // check's findings (exit 1) on examples/broken: 1 says more than 74; the line says the report was lost.
    const r = toFullDisk(['check', '-f', 'examples/broken'])
    assert.equal(r.status, 1, r.stderr)
    assert.match(r.stderr, /^error: cannot write the output: no space left on device \(ENOSPC\)$/m)
    // A command that writes, then fails (the table of the names found, then "not found"): its code, and the line,
    // although the process exits before the stream's error event (found on the stream at exit).
    const nf = toFullDisk(['inspect', 'services', 'frontend', 'nosuch', '-f', 'examples/shop'])
    assert.equal(nf.status, 65, nf.stderr)
    assert.match(nf.stderr, /^error: cannot write the output: no space left on device \(ENOSPC\)$/m)
    // --json: the error document itself goes to stdout and is lost; stderr still says so.
    const js = toFullDisk(['inspect', 'services', '-f', 'no-such-file.yaml', '--json'])
    assert.equal(js.status, 65, js.stderr)
    assert.match(js.stderr, /^error: cannot write the output: no space left on device \(ENOSPC\)$/m)
  })

  it('the completion entries: nothing on stderr, the exit code left alone', () => {
    const viaRun = toFullDisk(['__complete', '--', 'inspect', ''])
    assert.deepEqual([viaRun.status, viaRun.stderr], [0, ''])
    const plugin = toFullDisk(['inspect', ''], 'complete.js')
    assert.deepEqual([plugin.status, plugin.stderr], [0, ''])
  })

  describe('stats --follow stops when its output is gone', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-output-'))
    const sock = path.join(dir, 'stats.sock')
    let server: net.Server
    before(async () => {
      writeOneBackendIndex(dir, 'web-0')
      const info = readFileSync(path.join(ROOT, 'test', 'fixtures', 'stats', 'show-info.txt'), 'utf8')
      const stat = ['# pxname,svname,qcur,scur,stot,status,addr,check_status,mode', 'tcp_16379,FRONTEND,,0,3,OPEN,,,tcp', 't1_tcp_16379,BACKEND,0,0,3,UP,,,tcp', 't1_tcp_16379,SRV_1,0,0,3,UP,127.0.0.1:18001,L4OK,tcp', ''].join('\n')
      server = await serveStats(sock, info, stat)
    })
    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(dir, {recursive: true, force: true})
    })
    const args = () => ['stats', '--follow', '--interval', '1s', '-o', 'jsonl', '--stats-socket', sock, '--config-dir', dir]

    it('a reader gone (EPIPE): exit 0 within a few reads, nothing on stderr', async () => {
      const r = await toClosedPipe(args(), 15_000)
      assert.equal(r.code, 0, `${r.ms} ms: ${r.stderr}`)
      assert.ok(r.ms < 10_000, `${r.ms} ms`)
      assert.equal(r.stderr, '')
    })

    it('a full disk: one line, exit 74, within a few reads', async () => {
      // Not spawnSync: the stats socket above is served by this process.
      const full = openSync('/dev/full', 'w')
      const r = await new Promise<{status: number | null; stderr: string; ms: number}>((resolve, reject) => {
        const t0 = Date.now()
        const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args()], {cwd: ROOT, env: env(), stdio: ['ignore', full, 'pipe']})
        let stderr = ''
        child.stderr!.on('data', (d) => (stderr += d))
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        child.on('error', reject)
        child.on('close', (status) => {
          clearTimeout(timer)
          resolve({status, stderr, ms: Date.now() - t0})
        })
      }).finally(() => closeSync(full))
      assert.equal(r.status, 74, `${r.ms} ms: ${r.stderr}`)
      assert.ok(r.ms < 10_000, `${r.ms} ms`)
      assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('error:')), ['error: cannot write the output: no space left on device (ENOSPC)'])
    })
  })

  it('a reader that goes away (EPIPE) is not an error: the command ends as it would, nothing on stderr', async () => {
    for (const args of [['generate', 'haproxy', '-f', 'examples/shop'], ['__complete', '--', '']]) {
      const r = await toClosedPipe(args)
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
      assert.doesNotMatch(r.stderr, /error|EPIPE|at /, args.join(' '))
    }
  })
})
