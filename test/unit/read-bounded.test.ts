/**
 * Small input files read whole (kubeconfig, its certificates, -o jsonpath-file): bounded in size, never a named
 * pipe or a device (which would block the process, or grow its memory without end), one line each, exit 65;
 * permission denied is exit 77. Blocking cases run in a child process with a time limit, so a regression fails
 * the test instead of hanging it.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {DataError, PermissionError} from '../../src/errors.js'
import {readBounded} from '../../src/core/read-bounded.js'
import {parseOutput, TEMPLATE_MAX_BYTES} from '../../src/output/format.js'
import {FORMATS} from '../../src/output/render.js'
import {oneLineError} from '../helpers/errors.js'

const ROOT = process.cwd()

/** Runs `code` (an ES module body) under tsx in a child, within `ms`; what it printed, or a failure when it hung. */
/**
 * Runs `code` in a child Node. `noDac`: as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (setpriv empties
 * them from the bounding set), so a mode 000 file is unreadable while the checkout, wherever it is, stays readable
 * (a child as another user could not read a checkout in a 0700 temp directory, as CI's is).
 */
function child(code: string, opts: {ms?: number; noDac?: boolean} = {}): {stdout: string; stderr: string; status: number | null} {
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', code]
  const [cmd, ...args] = opts.noDac ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', ...node] : node
  const r = spawnSync(cmd!, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: opts.ms ?? 15_000,
  })
  assert.ok(!r.error && r.signal === null, `the child did not finish in time (it blocked): ${r.error ?? r.signal} ${r.stderr}`)
  return {stdout: r.stdout, stderr: r.stderr, status: r.status}
}

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p])
  assert.equal(r.status, 0, String(r.stderr))
}

const isData = (re: RegExp) => oneLineError(DataError, 65, re)

describe('readBounded (core)', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vip-rb-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('reads a regular file whole', () => {
    writeFileSync(path.join(dir, 'ok'), 'abc')
    assert.equal(readBounded(path.join(dir, 'ok'), 10, 'x').toString(), 'abc')
  })

  it('refuses a file over the bound, a directory, a missing file', () => {
    writeFileSync(path.join(dir, 'big'), Buffer.alloc(2 * 1024 * 1024))
    assert.throws(() => readBounded(path.join(dir, 'big'), 1024 * 1024, 'lbl'), isData(/^lbl: larger than 1 MiB$/))
    assert.throws(() => readBounded(dir, 10, 'lbl'), isData(/^lbl: is a directory$/))
    assert.throws(() => readBounded(path.join(dir, 'none'), 10, 'lbl'), isData(/^lbl: no such file$/))
  })

  it('refuses a character device (/dev/zero, /dev/null) before reading', () => {
    assert.throws(() => readBounded('/dev/zero', 1024 * 1024, 'lbl'), isData(/^lbl: not a regular file \(a character device\)$/))
    assert.throws(() => readBounded('/dev/null', 1024 * 1024, 'lbl'), isData(/not a regular file/))
  })

  it('refuses a named pipe with no writer at once (neither the open nor the read blocks)', () => {
    const fifo = path.join(dir, 'fifo')
    mkfifo(fifo)
    const r = child(`import {readBounded} from './src/core/read-bounded.ts'
try { readBounded(${JSON.stringify(fifo)}, 1024, 'lbl'); console.log('read') } catch (e) { console.log(e.exit, e.message) }`, {ms: 10_000})
    assert.equal(r.stdout.trim(), '65 lbl: not a regular file (a named pipe)')
  })

  it('permission denied is exit 77', () => {
    const f = path.join(dir, 'secret')
    writeFileSync(f, 'x')
    chmodSync(f, 0o000)
    if (process.getuid?.() !== 0) {
      assert.throws(() => readBounded(f, 10, 'lbl'), (e: unknown) => e instanceof PermissionError && e.exit === 77 && e.message === 'lbl: permission denied')
    } else {
      // root reads anything: ask as root without the capabilities that override file modes.
      const r = child(`import {readBounded} from './src/core/read-bounded.ts'
try { readBounded(${JSON.stringify(f)}, 10, 'lbl'); console.log('read') } catch (e) { console.log(e.exit, e.message) }`, {noDac: true})
      assert.equal(r.stdout.trim(), '77 lbl: permission denied', r.stderr)
    }
  })
})

describe('-o jsonpath-file=FILE is read bounded', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vip-jpf-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('reads a template file', () => {
    writeFileSync(path.join(dir, 't'), '{.kind}\n')
    assert.deepEqual(parseOutput(`jsonpath-file=${path.join(dir, 't')}`, FORMATS), {type: 'jsonpath', template: [{t: 'path', path: '.kind'}, {t: 'text', text: '\n'}]})
  })

  it('refuses a template over 1 MiB, /dev/zero, a directory: one line, exit 65', () => {
    assert.equal(TEMPLATE_MAX_BYTES, 1024 * 1024)
    writeFileSync(path.join(dir, 'big'), Buffer.alloc(TEMPLATE_MAX_BYTES + 1, 'a'))
    assert.throws(() => parseOutput(`jsonpath-file=${path.join(dir, 'big')}`, FORMATS), isData(/^-o jsonpath-file \S+big: larger than 1 MiB$/))
    assert.throws(() => parseOutput('jsonpath-file=/dev/zero', FORMATS), isData(/^-o jsonpath-file \/dev\/zero: not a regular file \(a character device\)$/))
    assert.throws(() => parseOutput(`jsonpath-file=${dir}`, FORMATS), isData(/: is a directory$/))
  })

  it('refuses a named pipe at once', () => {
    const fifo = path.join(dir, 'fifo')
    mkfifo(fifo)
    const r = child(`import {parseOutput} from './src/output/format.ts'
try { parseOutput(${JSON.stringify(`jsonpath-file=${fifo}`)}, ['table']); console.log('read') } catch (e) { console.log(e.exit, e.message) }`, {ms: 10_000})
    assert.equal(r.stdout.trim(), `65 -o jsonpath-file ${fifo}: not a regular file (a named pipe)`)
  })

  it('permission denied is exit 77', () => {
    const f = path.join(dir, 'secret')
    writeFileSync(f, '{.kind}')
    chmodSync(f, 0o000)
    const r = child(`import {parseOutput} from './src/output/format.ts'
try { parseOutput(${JSON.stringify(`jsonpath-file=${f}`)}, ['table']); console.log('read') } catch (e) { console.log(e.exit, e.message) }`, {noDac: process.getuid?.() === 0})
    assert.equal(r.stdout.trim(), `77 -o jsonpath-file ${f}: permission denied`, r.stderr)
  })
})

describe('kubeconfig: a named pipe or a device is refused, never read', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vip-kcf-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('loading a named-pipe kubeconfig fails at once with one line (exit 65)', () => {
    const fifo = path.join(dir, 'config')
    mkfifo(fifo)
    const r = child(`import {loadKubeConfig} from './src/cluster/kubeconfig.ts'
try { await loadKubeConfig({kubeconfig: ${JSON.stringify(fifo)}}, {}); console.log('loaded') } catch (e) { console.log(e.exit, e.message) }`, {ms: 10_000})
    assert.equal(r.stdout.trim(), `65 kubeconfig ${fifo}: not a regular file (a named pipe)`)
  })

  it('shell completion of contexts with a named-pipe kubeconfig answers within its bound (no hang)', () => {
    const fifo = path.join(dir, 'config2')
    mkfifo(fifo)
    const started = Date.now()
    const r = child(`import {kubeLookups} from './src/cli/completion.ts'
console.log(JSON.stringify(await kubeLookups({}, 2000).contexts({kubeconfig: ${JSON.stringify(fifo)}})))
process.exit(0)`, {ms: 10_000})
    assert.equal(r.stdout.trim(), '[]', r.stderr)
    assert.ok(Date.now() - started < 10_000)
  })

  it('a /dev/zero kubeconfig is refused, not read until memory runs out', () => {
    const r = child(`import {loadKubeConfig} from './src/cluster/kubeconfig.ts'
try { await loadKubeConfig({kubeconfig: '/dev/zero'}, {}); console.log('loaded') } catch (e) { console.log(e.exit, e.message) }`, {ms: 10_000})
    assert.equal(r.stdout.trim(), '65 kubeconfig /dev/zero: not a regular file (a character device)')
  })
})
