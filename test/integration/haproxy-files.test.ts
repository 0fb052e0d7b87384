/**
 * apply haproxy against a real HAProxy (master-worker, loopback) when the
 * config directory is not what vipctl left: a symlinked maps/ or file is
 * refused before anything is written or reloaded, and a write that fails
 * part-way (an immutable file, chattr +i: root is not stopped by modes) leaves
 * the previous files byte for byte, with HAProxy still running them.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {ROOT, vipctl} from '../helpers/cli.js'
import {freePort, freePortRange, showProc, startHaproxy, tempDirs, type Proxy} from '../helpers/haproxy.js'
import {treeOf} from '../helpers/tree.js'

const fixture = (name: string) => path.join(ROOT, 'test/fixtures/files', name)

const tree = (dir: string) => treeOf(dir, {modes: true, skip: ['.last-known-good']})

describe('apply haproxy: symlinks and failures part-way in the config directory (real HAProxy)', function () {
  this.timeout(60_000)
  let proxy: Proxy
  let dirs: ReturnType<typeof tempDirs>
  let flags: string[]
  const apply = (manifest: string) => vipctl(['apply', 'haproxy', '-f', fixture(manifest), ...flags, '--yes'], {timeoutMs: 40_000})

  before(async () => {
    execFileSync('haproxy', ['-v'])
    dirs = tempDirs()
    flags = ['--config-dir', dirs.configDir, '--run-dir', dirs.runDir, '--listen-address', '127.0.0.1', '--listen-base-port', String(await freePortRange(16)), '--metrics-address', `127.0.0.1:${await freePort()}`]
    const g = await vipctl(['generate', 'haproxy', '-f', fixture('m-base.json'), ...flags, '--out', dirs.configDir])
    assert.equal(g.code, 0, g.stderr)
    mkdirSync(dirs.runDir, {recursive: true})
    proxy = await startHaproxy(dirs)
  })

  after(async () => {
    await proxy?.stop()
  })

  it('a symlinked maps/ is refused (exit 65 naming it): the victim keeps its file, nothing is written or reloaded', async () => {
    const maps = path.join(dirs.configDir, 'maps')
    const saved = path.join(dirs.dir, 'maps-saved')
    const victim = path.join(dirs.dir, 'victimdir3')
    mkdirSync(victim)
    writeFileSync(path.join(victim, 'precious.txt'), 'precious\n')
    renameSync(maps, saved)
    symlinkSync(victim, maps)
    try {
      const before = {tree: tree(dirs.configDir), victim: tree(victim), proc: await showProc(proxy)}
      const r = await apply('m3.json')
      assert.equal(r.code, 65, r.stdout + r.stderr)
      assert.match(r.stderr, new RegExp(`^error: ${maps} is a symlink`))
      assert.deepEqual(tree(victim), before.victim)
      assert.deepEqual(tree(dirs.configDir), before.tree)
      assert.equal((await showProc(proxy)).reloads, before.proc.reloads)
    } finally {
      unlinkSync(maps)
      renameSync(saved, maps)
    }
  })

  it('a symlinked vipctl-index.json is refused the same way; its target is not written', async () => {
    const index = path.join(dirs.configDir, 'vipctl-index.json')
    const elsewhere = path.join(dirs.dir, 'elsewhere.json')
    renameSync(index, elsewhere)
    symlinkSync(elsewhere, index)
    try {
      const before = {tree: tree(dirs.configDir), target: readFileSync(elsewhere, 'utf8'), proc: await showProc(proxy)}
      const r = await apply('m3.json')
      assert.equal(r.code, 65, r.stdout + r.stderr)
      assert.match(r.stderr, new RegExp(`^error: ${index} is a symlink`))
      assert.equal(readFileSync(elsewhere, 'utf8'), before.target)
      assert.deepEqual(tree(dirs.configDir), before.tree)
      assert.equal((await showProc(proxy)).reloads, before.proc.reloads)
    } finally {
      unlinkSync(index)
      renameSync(elsewhere, index)
    }
  })

  it('a write failing part-way restores the previous files byte for byte, no reload, and says so; the next apply succeeds', async () => {
    // The new VIP renames every map: the old ones are removed last, and this one cannot be.
    const stale = path.join(dirs.configDir, 'maps', 'http_192-0-2-10_80.exact.map')
    const before = {tree: tree(dirs.configDir), proc: await showProc(proxy)}
    execFileSync('chattr', ['+i', stale]) // needs root and a file system with attributes (ext4, xfs)
    try {
      const r = await apply('m3.json')
      assert.equal(r.code, 77, r.stdout + r.stderr)
      assert.match(r.stderr, /^error: writing the new configuration failed: .*http_192-0-2-10_80\.exact\.map: permission denied; the previous files are in place and HAProxy still runs them \(not reloaded\)$/m)
      assert.deepEqual(tree(dirs.configDir), before.tree)
      assert.deepEqual(Object.keys(tree(dirs.configDir)).filter((p) => p.endsWith('.tmp')), [])
      assert.equal((await showProc(proxy)).reloads, before.proc.reloads)
    } finally {
      execFileSync('chattr', ['-i', stale])
    }
    const ok = await apply('m3.json')
    assert.equal(ok.code, 0, ok.stderr)
    const after = tree(dirs.configDir)
    assert.ok(after['maps/http_192-0-2-99_80.exact.map'] && !after['maps/http_192-0-2-10_80.exact.map'], Object.keys(after).join(' '))
    assert.match(readFileSync(path.join(dirs.configDir, 'haproxy.cfg'), 'utf8'), /192-0-2-99/)
    assert.equal((await showProc(proxy)).reloads, before.proc.reloads + 1)
  })
})
