import assert from 'node:assert/strict'
import {chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {compileCacheDir, enableCodeCache, type CompileCacheDeps} from '../../src/cli/compile-cache.js'

describe('compile cache: a private directory for V8\'s code cache (src/cli/compile-cache.ts)', () => {
  let home: string
  beforeEach(() => (home = mkdtempSync(path.join(os.tmpdir(), 'vipctl-cc-'))))
  afterEach(() => rmSync(home, {recursive: true, force: true}))
  const realDeps = (uid: number | undefined = process.getuid?.()): CompileCacheDeps => ({mkdirSync, lstatSync, realpathSync, uid})
  /** The real file system, with the owners of some paths as another user's (so that no test needs root). */
  const OTHER = (process.getuid?.() ?? 0) + 1000
  const ownedByOther = (...paths: string[]): CompileCacheDeps => ({
    ...realDeps(),
    lstatSync: (p) => {
      const st = lstatSync(p)
      return paths.includes(p) ? {isDirectory: () => st.isDirectory(), isSymbolicLink: () => st.isSymbolicLink(), mode: st.mode, uid: OTHER} : st
    },
  })

  it('$HOME/.cache/vipctl/compile-cache, created 0700', () => {
    const dir = compileCacheDir({HOME: home})
    assert.equal(dir, path.join(home, '.cache', 'vipctl', 'compile-cache'))
    assert.equal(statSync(dir!).mode & 0o777, 0o700)
  })

  it('an absolute XDG_CACHE_HOME wins; a relative one is ignored (XDG) for HOME\'s', () => {
    assert.equal(compileCacheDir({HOME: home, XDG_CACHE_HOME: path.join(home, 'xdg')}), path.join(home, 'xdg', 'vipctl', 'compile-cache'))
    assert.equal(compileCacheDir({HOME: home, XDG_CACHE_HOME: 'rel'}), path.join(home, '.cache', 'vipctl', 'compile-cache'))
    assert.ok(!existsSync(path.join(process.cwd(), 'rel')))
  })

  it('no absolute place (HOME unset or relative): none', () => {
    assert.equal(compileCacheDir({}), undefined)
    assert.equal(compileCacheDir({HOME: 'relative/home'}), undefined)
  })

  it('Node\'s own switches stand: NODE_COMPILE_CACHE (already on) and NODE_DISABLE_COMPILE_CACHE; nothing is created', () => {
    assert.equal(compileCacheDir({HOME: home, NODE_COMPILE_CACHE: path.join(home, 'n')}), undefined)
    assert.equal(compileCacheDir({HOME: home, NODE_DISABLE_COMPILE_CACHE: '1'}), undefined)
    assert.ok(!existsSync(path.join(home, '.cache')))
  })

  it('not used when reachable by group or others, a symbolic link, not a directory, or another user\'s', () => {
    const dir = path.join(home, '.cache', 'vipctl', 'compile-cache')
    mkdirSync(dir, {recursive: true})
    chmodSync(dir, 0o755)
    assert.equal(compileCacheDir({HOME: home}), undefined, 'group/other may read')
    chmodSync(dir, 0o700)
    assert.equal(compileCacheDir({HOME: home}), dir)
    assert.equal(compileCacheDir({HOME: home}, realDeps((process.getuid?.() ?? 0) + 1)), undefined, 'another owner')
    rmSync(dir, {recursive: true})
    const elsewhere = path.join(home, 'elsewhere')
    mkdirSync(elsewhere, {mode: 0o700})
    symlinkSync(elsewhere, dir)
    assert.equal(compileCacheDir({HOME: home}), undefined, 'a symbolic link')
  })

  it('nothing created under another user\'s directory (root with a user\'s HOME, as sudo may keep it)', () => {
    assert.equal(compileCacheDir({HOME: home}, ownedByOther(home)), undefined)
    assert.ok(!existsSync(path.join(home, '.cache')), 'nothing created')
    // The user's own: created.
    assert.ok(compileCacheDir({HOME: home}))
  })

  it('not used when anyone else could change its path: a directory above writable by others, a link or a directory of another user\'s', () => {
    const shared = path.join(home, 'shared')
    mkdirSync(shared)
    chmodSync(shared, 0o777)
    assert.equal(compileCacheDir({XDG_CACHE_HOME: path.join(shared, 'c')}), undefined, 'under a directory anyone may change')
    assert.ok(!existsSync(path.join(shared, 'c')), 'nothing created there')
    // Sticky, as /tmp: others may add names but not replace ours.
    chmodSync(shared, 0o1777)
    assert.equal(compileCacheDir({XDG_CACHE_HOME: path.join(shared, 'c')}), path.join(shared, 'c', 'vipctl', 'compile-cache'))
    // ... but a name someone else made there first is theirs.
    assert.equal(compileCacheDir({XDG_CACHE_HOME: path.join(shared, 'c')}, ownedByOther(path.join(shared, 'c', 'vipctl'))), undefined)
    assert.equal(compileCacheDir({XDG_CACHE_HOME: path.join(shared, 'c')}, ownedByOther(path.join(shared, 'c'))), undefined)
    // ~/.cache/vipctl a link to a directory others may write: refused, and nothing written through it.
    const theirs = path.join(home, 'theirs')
    mkdirSync(theirs)
    chmodSync(theirs, 0o777)
    mkdirSync(path.join(home, '.cache'))
    symlinkSync(theirs, path.join(home, '.cache', 'vipctl'))
    assert.equal(compileCacheDir({HOME: home}), undefined, 'a link to a directory others may write')
    assert.deepEqual(readdirSync(theirs), [])
    // The same link to a private directory of the user's: used; but a link someone else owns is not.
    chmodSync(theirs, 0o700)
    assert.equal(compileCacheDir({HOME: home}), path.join(home, '.cache', 'vipctl', 'compile-cache'))
    assert.equal(compileCacheDir({HOME: home}, ownedByOther(path.join(home, '.cache', 'vipctl'))), undefined, 'a link of another user\'s')
    assert.equal(compileCacheDir({HOME: home}, ownedByOther(theirs)), undefined, 'a link to a directory of another user\'s')
  })

  it('a name someone else makes between the check and mkdir (a link, a directory of theirs) is refused; nothing is made through it', () => {
    const shared = path.join(home, 'shared')
    mkdirSync(shared, {mode: 0o1777})
    chmodSync(shared, 0o1777)
    const theirs = path.join(home, 'theirs')
    mkdirSync(theirs)
    chmodSync(theirs, 0o777)
    const racing = (make: (p: string) => void): CompileCacheDeps => ({
      ...realDeps(),
      mkdirSync: (p, o) => {
        // The other user wins the race for the first name below the sticky directory.
        if (path.dirname(p) === shared && !existsSync(p)) make(p)
        return mkdirSync(p, o)
      },
    })
    assert.equal(compileCacheDir({XDG_CACHE_HOME: path.join(shared, 'c')}, racing((p) => symlinkSync(theirs, p))), undefined, 'a link')
    assert.deepEqual(readdirSync(theirs), [], 'nothing made through the link')
    rmSync(path.join(shared, 'c'))
    const otherOwned = {...racing((p) => mkdirSync(p)), lstatSync: (p: string) => (p === path.join(shared, 'c') ? {...lstatSync(p), isDirectory: () => true, isSymbolicLink: () => false, uid: OTHER, mode: 0o40777} : lstatSync(p))}
    assert.equal(compileCacheDir({XDG_CACHE_HOME: path.join(shared, 'c')}, otherOwned), undefined, 'a directory of theirs')
    assert.ok(!existsSync(path.join(shared, 'c', 'vipctl')), 'nothing made inside it')
  })

  it('a file where a directory should be, or an unwritable place: none, and nothing thrown', () => {
    mkdirSync(path.join(home, '.cache'))
    writeFileSync(path.join(home, '.cache', 'vipctl'), 'a file')
    assert.equal(compileCacheDir({HOME: home}), undefined)
    // Root may write anywhere: an unwritable place is a path under a file.
    assert.equal(compileCacheDir({HOME: home, XDG_CACHE_HOME: path.join(home, '.cache', 'vipctl', 'under-a-file')}), undefined)
  })

  it('enableCodeCache: calls Node\'s enableCompileCache with the directory; where Node has none (Node 20), creates nothing', () => {
    const calls: string[] = []
    assert.equal(enableCodeCache((d) => calls.push(d), {HOME: home}), path.join(home, '.cache', 'vipctl', 'compile-cache'))
    assert.deepEqual(calls, [path.join(home, '.cache', 'vipctl', 'compile-cache')])
    rmSync(path.join(home, '.cache'), {recursive: true})
    assert.equal(enableCodeCache(undefined, {HOME: home}), undefined)
    assert.ok(!existsSync(path.join(home, '.cache')), 'nothing created without the function')
    assert.equal(
      enableCodeCache(() => {
        throw new Error('refused')
      }, {HOME: home}),
      undefined,
    )
  })
})
