/**
 * Config trees are written all or nothing and never through a symlink:
 * symlinked owned directories and files are refused with the victim intact,
 * a file where a directory goes (and the reverse) is refused before anything
 * changes, and a failure injected part-way leaves the tree byte-identical with
 * no temp file left behind.
 */
import {compile, secretLookup} from '../../src/model/compile.js'
import assert from 'node:assert/strict'
import {unlinkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ExitCode, VipError} from '../../src/errors.js'
import {loadOffline} from '../../src/cluster/offline.js'
import {buildModel} from '../../src/model/build.js'
import {DEFAULT_HAPROXY_OPTIONS, generateHaproxy} from '../../src/targets/haproxy/generate.js'
import {prepareHaproxy} from '../../src/apply/haproxy/service.js'
import type {HaproxyIO} from '../../src/apply/haproxy/apply.js'
import {checkTopDir, readTree, realFs, removeOwnedDir, treeStateOf, writeTree, type FileSpec, type TreeFs} from '../../src/core/files.js'

const OWNED = ['maps', 'certs']

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'vipctl-files-'))
}

/** Every entry below `dir` (type, mode, bytes or link target), to compare trees byte for byte. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (rel: string) => {
    const full = path.join(dir, rel)
    const st = lstatSync(full)
    const mode = (st.mode & 0o7777).toString(8)
    if (st.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(full)}`
    else if (st.isDirectory()) {
      out[rel || '.'] = `dir ${mode}`
      for (const e of readdirSync(full).sort()) walk(rel ? `${rel}/${e}` : e)
    } else out[rel] = `file ${mode} ${readFileSync(full).toString('base64')}`
  }
  walk('')
  return out
}

function temps(dir: string): string[] {
  return Object.keys(snapshot(dir)).filter((p) => p.endsWith('.tmp'))
}

const v1: FileSpec[] = [
  {path: 'haproxy.cfg', content: 'global\n# v1\n', mode: 0o644},
  {path: 'vipctl-index.json', content: '{"v":1}\n', mode: 0o644},
  {path: 'maps/a.map', content: 'a 1\n', mode: 0o644},
  {path: 'maps/b.map', content: 'b 1\n', mode: 0o644},
  {path: 'certs/k.pem', content: 'KEY-1\n', mode: 0o600},
]
const v2: FileSpec[] = [
  {path: 'haproxy.cfg', content: 'global\n# v2\n', mode: 0o644},
  {path: 'vipctl-index.json', content: '{"v":2}\n', mode: 0o644},
  {path: 'maps/a.map', content: 'a 2\n', mode: 0o644},
  {path: 'maps/c.map', content: 'c 2\n', mode: 0o644},
  {path: 'certs/k.pem', content: 'KEY-2\n', mode: 0o600},
  {path: 'certs/list.txt', content: 'k.pem\n', mode: 0o644},
]

async function rejects(p: Promise<unknown>, exit: number, re: RegExp): Promise<VipError> {
  try {
    await p
  } catch (error) {
    assert.ok(error instanceof VipError, `not a typed error: ${(error as Error).stack}`)
    assert.equal(error.exit, exit, error.message)
    assert.match(error.message, re)
    assert.doesNotMatch(error.message, /\n/)
    return error
  }
  assert.fail('expected a rejection')
}

/** The real file system, except that the `n`th call of `op` fails with `code` (counting from 1). */
function failing(op: 'rename' | 'open' | 'unlink', n: number, code = 'EIO', only?: (p: string) => boolean): TreeFs & {calls: () => number} {
  let calls = 0
  const boom = () => Promise.reject(Object.assign(new Error(`${code}: injected`), {code}))
  return {
    ...realFs,
    calls: () => calls,
    rename: (a, b) => (op === 'rename' && (!only || only(b)) && ++calls === n ? boom() : realFs.rename(a, b)),
    unlink: (p) => (op === 'unlink' && (!only || only(p)) && ++calls === n ? boom() : realFs.unlink(p)),
    // Only creations count for open: the temp files.
    open: (p, f, m) => (op === 'open' && m !== undefined && (!only || only(p)) && ++calls === n ? boom() : realFs.open(p, f, m)),
  }
}

describe('config files: symlinks refused, all or nothing', () => {
  it('writes a tree with modes set at creation, removes only stale files in owned directories', async () => {
    const dir = path.join(tmp(), 'C')
    await writeTree(dir, v1, OWNED)
    writeFileSync(path.join(dir, 'operator-notes.txt'), 'mine\n') // not ours: never touched
    const change = await writeTree(dir, v2, OWNED)
    assert.deepEqual(change.removed, ['maps/b.map'])
    const s = snapshot(dir)
    assert.equal(s['certs/k.pem'], `file 600 ${Buffer.from('KEY-2\n').toString('base64')}`)
    assert.equal(s['.'], 'dir 700')
    assert.equal(s['maps/b.map'], undefined)
    assert.equal(readFileSync(path.join(dir, 'operator-notes.txt'), 'utf8'), 'mine\n')
    assert.deepEqual(temps(dir), [])
    assert.deepEqual((await writeTree(dir, v2, OWNED)).written, []) // unchanged files are not rewritten
  })

  for (const sub of ['maps', 'certs']) {
    it(`a symlinked ${sub}/ is refused (exit 65, naming it); the victim directory keeps its files`, async () => {
      const root = tmp()
      const victim = path.join(root, 'victim')
      mkdirSync(victim)
      writeFileSync(path.join(victim, sub === 'maps' ? 'important.txt' : 'authorized_keys'), 'keep\n')
      const dir = path.join(root, 'C')
      mkdirSync(dir)
      symlinkSync(victim, path.join(dir, sub))
      const before = {victim: snapshot(victim), dir: snapshot(dir)}
      await rejects(writeTree(dir, v1, OWNED), ExitCode.DataErr, new RegExp(`${path.join(dir, sub).replace(/[.]/g, '[.]')} is a symlink.*nothing was changed$`))
      assert.deepEqual(snapshot(victim), before.victim)
      assert.deepEqual(snapshot(dir), before.dir)
      // Reading (diff, apply's plan) never follows it either.
      await rejects(readTree(dir, ['haproxy.cfg'], OWNED), ExitCode.DataErr, /is a symlink/)
    })
  }

  it('a symlinked file we write, or a symlink among the stale files, is refused; its target survives', async () => {
    const root = tmp()
    const dir = path.join(root, 'P')
    await writeTree(dir, v1, OWNED)
    const victim = path.join(root, 'db.conf')
    writeFileSync(victim, 'precious\n')
    unlinkSync(path.join(dir, 'vipctl-index.json'))
    symlinkSync(victim, path.join(dir, 'vipctl-index.json'), 'file')
    const before = snapshot(root)
    await rejects(writeTree(dir, v2, OWNED), ExitCode.DataErr, /P\/vipctl-index\.json is a symlink.*nothing was changed$/)
    assert.deepEqual(snapshot(root), before)
    await rejects(readTree(dir, ['haproxy.cfg', 'vipctl-index.json'], OWNED), ExitCode.DataErr, /vipctl-index\.json is a symlink/)

    const dir2 = path.join(root, 'Q')
    await writeTree(dir2, v1, OWNED)
    symlinkSync(victim, path.join(dir2, 'maps', 'stale.map'))
    const before2 = snapshot(root)
    await rejects(writeTree(dir2, v2, OWNED), ExitCode.DataErr, /Q\/maps\/stale\.map is a symlink/)
    assert.deepEqual(snapshot(root), before2)
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n')
  })

  it('a file where a directory goes: a plain sentence, nothing written', async () => {
    const dir = path.join(tmp(), 'I')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'maps'), 'not a directory\n')
    const before = snapshot(dir)
    const e = await rejects(writeTree(dir, v1, OWNED), ExitCode.DataErr, /I\/maps is a file; expected a directory; nothing was changed$/)
    assert.doesNotMatch(e.message, /EEXIST|ENOTDIR/)
    assert.deepEqual(snapshot(dir), before)
    await rejects(readTree(dir, ['haproxy.cfg'], OWNED), ExitCode.DataErr, /I\/maps is a file; expected a directory/)
  })

  it('a directory where a file goes: a plain sentence, no temp file left', async () => {
    const dir = path.join(tmp(), 'G')
    mkdirSync(path.join(dir, 'haproxy.cfg'), {recursive: true})
    const before = snapshot(dir)
    const e = await rejects(writeTree(dir, v1, OWNED), ExitCode.DataErr, /G\/haproxy\.cfg is a directory; expected a file; nothing was changed$/)
    assert.doesNotMatch(e.message, /EISDIR/)
    assert.deepEqual(snapshot(dir), before)
    assert.deepEqual(temps(dir), [])
    // A directory among the files of an owned directory is not ours to delete either.
    const dir2 = path.join(tmp(), 'H')
    await writeTree(dir2, v1, OWNED)
    mkdirSync(path.join(dir2, 'maps', 'sub'))
    const before2 = snapshot(dir2)
    await rejects(writeTree(dir2, v2, OWNED), ExitCode.DataErr, /H\/maps\/sub is a directory in maps\//)
    assert.deepEqual(snapshot(dir2), before2)
  })

  const nth = (n: number) => `${n}${n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`
  for (const n of [1, 2, 3, 4, 5, 6]) {
    it(`a rename failing part-way (the ${nth(n)}) restores the previous tree byte for byte, no temp file left`, async () => {
      const dir = path.join(tmp(), 'R')
      await writeTree(dir, v1, OWNED)
      const before = snapshot(dir)
      const fs = failing('rename', n)
      const e = await rejects(writeTree(dir, v2, OWNED, {fs}), ExitCode.Unavailable, /I\/O error; the previous files were restored$/)
      assert.equal(treeStateOf(e), 'restored')
      assert.deepEqual(snapshot(dir), before)
      assert.deepEqual(temps(dir), [])
    })
  }

  it('a removal failing restores the renamed files and the removed ones', async () => {
    const dir = path.join(tmp(), 'U')
    await writeTree(dir, [...v1, {path: 'maps/d.map', content: 'd\n', mode: 0o640}], OWNED)
    const before = snapshot(dir)
    await rejects(writeTree(dir, v2, OWNED, {fs: failing('unlink', 2)}), ExitCode.Unavailable, /the previous files were restored$/)
    assert.deepEqual(snapshot(dir), before)
  })

  for (const n of [1, 3, 6]) {
    it(`staging failing at the ${nth(n)} temp file (disk full) changes nothing: same tree, no temp file, no new directory`, async () => {
      const root = tmp()
      const dir = path.join(root, 'S')
      await writeTree(dir, v1.slice(0, 2), OWNED) // maps/ and certs/ do not exist yet
      const before = snapshot(root)
      const e = await rejects(writeTree(dir, v2, OWNED, {fs: failing('open', n, 'ENOSPC')}), ExitCode.Unavailable, /no space left on the device; nothing was changed$/)
      assert.equal(treeStateOf(e), 'unchanged')
      assert.deepEqual(snapshot(root), before)
    })
  }

  it('a new directory tree is removed again when staging fails', async () => {
    const root = tmp()
    await rejects(writeTree(path.join(root, 'new', 'deeper'), v1, OWNED, {fs: failing('open', 4, 'EACCES')}), ExitCode.NoPerm, /permission denied; nothing was changed$/)
    assert.deepEqual(readdirSync(root), [])
  })

  it('when putting back fails too, the error says the tree is partly new', async () => {
    const dir = path.join(tmp(), 'X')
    await writeTree(dir, v1, OWNED)
    // The 3rd rename fails, and so does every later one: restoring cannot rename either.
    let calls = 0
    const fs: TreeFs = {...realFs, rename: (a, b) => (++calls >= 3 ? Promise.reject(Object.assign(new Error('EIO'), {code: 'EIO'})) : realFs.rename(a, b))}
    const e = await rejects(writeTree(dir, v2, OWNED, {fs}), ExitCode.Unavailable, /maps\/a\.map: I\/O error; restoring the previous files failed: .*EIO/)
    assert.equal(treeStateOf(e), 'partial')
    assert.deepEqual(temps(dir), [])
  })

  it('restore() puts back exactly the previous tree after a successful write (apply\'s rollback)', async () => {
    const root = tmp()
    const dir = path.join(root, 'B')
    await writeTree(dir, v1.slice(0, 1), [])
    const before = snapshot(root)
    const change = await writeTree(dir, v2, OWNED)
    assert.notDeepEqual(snapshot(root), before)
    await change.restore()
    assert.deepEqual(snapshot(root), before)
  })

  it('the directory the user named: a symlink to a directory is followed; a file, a file on the way, /proc and /sys are refused', async () => {
    const root = tmp()
    const real = path.join(root, 'real')
    mkdirSync(real)
    symlinkSync(real, path.join(root, 'link'))
    await writeTree(path.join(root, 'link'), v1, OWNED)
    assert.equal(readFileSync(path.join(real, 'haproxy.cfg'), 'utf8'), 'global\n# v1\n')
    const file = path.join(root, 'FILE')
    writeFileSync(file, 'x\n')
    await rejects(writeTree(file, v1, OWNED, {flag: '--out'}), ExitCode.Usage, new RegExp(`^--out ${file} is not a directory$`))
    await rejects(writeTree(path.join(file, 'x'), v1, OWNED, {flag: '--out'}), ExitCode.Usage, new RegExp(`^--out ${file}/x: ${file} is not a directory$`))
    await rejects(writeTree(file, v1, OWNED), ExitCode.DataErr, /is not a directory/)
    assert.equal(readFileSync(file, 'utf8'), 'x\n')
    await rejects(writeTree('/proc/self/vipctl', v1, OWNED, {flag: '--out'}), ExitCode.Usage, /^--out \/proc\/self\/vipctl is under \/proc; refusing to write there$/)
    await rejects(checkTopDir('/sys/kernel/vipctl', {flag: '--config-dir'}), ExitCode.Usage, /under \/sys/)
    symlinkSync('/proc/self', path.join(root, 'sneaky'))
    await rejects(writeTree(path.join(root, 'sneaky', 'x'), v1, OWNED, {flag: '--out'}), ExitCode.Usage, /sneaky\/x is under \/proc/)
    symlinkSync(path.join(root, 'nowhere'), path.join(root, 'dangling'))
    await rejects(writeTree(path.join(root, 'dangling'), v1, OWNED, {flag: '--out'}), ExitCode.Usage, /dangling is a symlink to nothing/)
  })

  it('removeOwnedDir refuses a symlink in place of the directory and leaves its target alone', async () => {
    const root = tmp()
    mkdirSync(path.join(root, 'victim'))
    writeFileSync(path.join(root, 'victim', 'keep'), 'k\n')
    mkdirSync(path.join(root, 'C'))
    symlinkSync(path.join(root, 'victim'), path.join(root, 'C', '.staging'))
    await rejects(removeOwnedDir(path.join(root, 'C'), '.staging'), ExitCode.DataErr, /\.staging is a symlink/)
    assert.equal(readFileSync(path.join(root, 'victim', 'keep'), 'utf8'), 'k\n')
  })

  it('readTree reads regular files only, with their modes, and skips temp names', async () => {
    const dir = path.join(tmp(), 'T')
    await writeTree(dir, v1, OWNED)
    writeFileSync(path.join(dir, 'maps', '.a.map.0123456789ab.tmp'), 'half\n')
    const files = await readTree(dir, ['haproxy.cfg', 'vipctl-index.json'], OWNED)
    assert.deepEqual(
      files.map((f) => [f.path, f.mode.toString(8)]),
      [['haproxy.cfg', '644'], ['vipctl-index.json', '644'], ['maps/a.map', '644'], ['maps/b.map', '644'], ['certs/k.pem', '600']],
    )
    assert.deepEqual(await readTree(path.join(dir, 'absent'), ['haproxy.cfg'], OWNED), [])
  })
})

/** A master-worker HAProxy as its sockets answer, for apply runs with injected file-system failures. */
function fakeHaproxy(opts: {reloadFails?: number[]}) {
  const state = {reloads: 0, failed: 0, workers: [100], sent: [] as string[], stat: [] as string[], servers: [] as string[]}
  let reloadCalls = 0
  const proc = () => `#<PID>  <type>  <reloads>  <uptime>\n1 master ${state.reloads} [failed: ${state.failed}] 0d00h00m01s\n# workers\n${state.workers.map((w) => `${w} worker ${state.reloads} 0d00h00m01s`).join('\n')}\n`
  const io: HaproxyIO = {
    sleep: async () => undefined,
    exec: async () => ({code: 0, stdout: 'Configuration file is valid\n', stderr: ''}),
    send: async (socket, cmd) => {
      state.sent.push(`${path.basename(socket)}: ${cmd}`)
      if (cmd === 'show proc') return proc()
      if (cmd === 'reload') {
        if (opts.reloadFails?.includes(++reloadCalls)) state.failed++
        else state.workers = [state.workers[0]! + 1]
        state.reloads++
        return ''
      }
      if (cmd === 'show servers state') return `1\n# be_id be_name srv_id srv_name srv_addr ...\n${state.servers.join('\n')}\n`
      if (cmd === 'show stat') return `# pxname,svname\n${state.stat.join('\n')}\n`
      return '' // runtime commands succeed
    },
  }
  return {io, state}
}

describe('apply haproxy: a failure part-way leaves the previous files (injected I/O)', () => {
  const target = {masterSocket: '/run/x/master.sock', statsSocket: '/run/x/admin.sock', haproxyBin: 'haproxy'}
  const load = (file: string, edit = (s: string) => s) => loadOffline({filenames: ['-'], strict: false}, {readStdin: async () => edit(readFileSync(path.join('test/fixtures/files', file), 'utf8'))})

  async function setup(reloadFails: number[] = []) {
    const root = tmp()
    const opts = {...DEFAULT_HAPROXY_OPTIONS, configDir: path.join(root, 'C'), runDir: path.join(root, 'run'), listen: {mode: 'address' as const, address: '127.0.0.1', basePort: 28080}}
    const base = await load('m-base.json')
    const v1 = generateHaproxy(buildModel(base, {}), secretLookup(base), opts)
    await writeTree(opts.configDir, v1.files, ['maps', 'certs'])
    const fake = fakeHaproxy({reloadFails})
    fake.state.servers = v1.servers.map((s) => `1 ${s.backend} 1 ${s.server} ${s.address} 2 ${s.enabled ? 0 : 1} 1 1 0 0 0 0 0 0 0 0 - ${s.port}`)
    const config = () => {
      const s = snapshot(opts.configDir)
      for (const k of Object.keys(s)) if (k.startsWith('.last-known-good')) delete s[k]
      return s
    }
    return {opts, fake, config}
  }
  /** Fails the `n`th rename into the config directory itself (not the staging or last-known-good copies). */
  const failRename = (dir: string, n: number) => failing('rename', n, 'EIO', (to) => !to.includes('/.staging/') && !to.includes('/.last-known-good/') && to.startsWith(dir))

  for (const n of [1, 3]) {
    it(`a write failing at the ${n === 1 ? 'first' : 'third'} file of a reload restores the tree, sends no reload, and says so`, async () => {
      const {opts, fake, config} = await setup()
      const before = config()
      const m3 = await load('m3.json') // the VIP changes: a reload plan
      const prepared = await prepareHaproxy(compile(m3, {}), opts, target, {...fake.io, fs: failRename(opts.configDir, n)}, true)
      assert.equal(prepared.planned.plan.kind, 'reload')
      const e = await rejects(prepared.run(), ExitCode.Unavailable, /^writing the new configuration failed: .*I\/O error; the previous files are in place and HAProxy still runs them \(not reloaded\)$/)
      assert.doesNotMatch(e.message, /192\.0\.2\.99/)
      assert.deepEqual(config(), before)
      assert.deepEqual(temps(opts.configDir), [])
      assert.equal(fake.state.sent.filter((s) => s.endsWith('reload')).length, 0)
    })
  }

  it('a reload HAProxy fails after the write restores the previous files byte for byte and reloads them', async () => {
    const {opts, fake, config} = await setup([1])
    const before = config()
    const prepared = await prepareHaproxy(compile(await load('m3.json'), {}), opts, target, fake.io, true)
    await rejects(prepared.run(), ExitCode.Unavailable, /^reload failed: HAProxy could not load the new configuration .*; restored the previous configuration and reloaded it$/)
    assert.deepEqual(config(), before)
    assert.equal(fake.state.sent.filter((s) => s.endsWith(': reload')).length, 2) // the new files, then the previous ones
  })

  it('a runtime update whose file write fails reloads the previous files so HAProxy runs what they say', async () => {
    const {opts, fake, config} = await setup()
    const before = config()
    const moved = await load('m-base.json', (s) => s.replaceAll('10.244.1.5', '10.244.1.6'))
    const prepared = await prepareHaproxy(compile(moved, {}), opts, target, {...fake.io, fs: failRename(opts.configDir, 1)}, true)
    assert.equal(prepared.planned.plan.kind, 'runtime')
    await rejects(prepared.run(), ExitCode.Unavailable, /^the runtime update was applied but writing the files failed: .*; the previous files were kept and HAProxy reloaded them \(the runtime update is undone\)$/)
    assert.deepEqual(config(), before)
    assert.ok(fake.state.sent.some((s) => s.startsWith('admin.sock: set server')))
    assert.equal(fake.state.sent.filter((s) => s.endsWith(': reload')).length, 1)
  })

  it('a symlinked vipctl-index.json is refused at the plan: exit 65 naming it, nothing written or reloaded', async () => {
    const {opts, fake, config} = await setup()
    const victim = path.join(path.dirname(opts.configDir), 'precious.txt')
    writeFileSync(victim, 'precious\n')
    unlinkSync(path.join(opts.configDir, 'vipctl-index.json'))
    symlinkSync(victim, path.join(opts.configDir, 'vipctl-index.json'))
    const before = config()
    await rejects(prepareHaproxy(compile(await load('m3.json'), {}), opts, target, fake.io, true), ExitCode.DataErr, /C\/vipctl-index\.json is a symlink/)
    assert.deepEqual(config(), before)
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n')
    assert.equal(fake.state.sent.filter((s) => s.endsWith(': reload')).length, 0)
  })
})
