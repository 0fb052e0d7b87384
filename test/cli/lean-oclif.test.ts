/**
 * The bundle's lean oclif (scripts/bundle.mjs, leanOclif): packages oclif requires at load time are stand-ins
 * that load the real module on first use (ejs, cli-spinners, minimatch, tinyglobby, lilconfig), or answer
 * without it (semver's Node check). These runs take the paths that do use them: a package
 * without its manifest (oclif finds the commands by globbing: tinyglobby), help rendered by oclif rather than the
 * start-up help (templates: ejs). (lilconfig's rc-file search is for a package.json without an oclif section,
 * which vipctl's never is; minimatch is for plugin patterns, and vipctl names no plugins.) And a package whose
 * bundle is missing (bin/run.js): one line, exit 70.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ROOT} from '../helpers/cli.js'

function run(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const e: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', COLUMNS: '80', ...env}
  delete e.NODE_OPTIONS
  return spawnSync(process.execPath, [path.join(dir, 'bin', 'run.js'), ...args], {cwd: ROOT, env: e, encoding: 'utf8'})
}

describe('the shipped package: lean oclif\'s stand-ins load the real modules when a path needs them; a missing bundle is one line', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vipctl-lean-'))
  const pkg = path.join(tmp, 'package')
  before(() => {
    for (const f of ['bin', 'package.json', 'dist/bundle']) cpSync(path.join(ROOT, f), path.join(pkg, f), {recursive: true})
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'))
  })
  after(() => rmSync(tmp, {recursive: true, force: true}))

  it('without oclif.manifest.json, oclif globs the commands (tinyglobby) and runs them as with it', () => {
    const args = ['inspect', 'services', '-f', 'examples/shop']
    const got = run(pkg, args)
    assert.equal(got.status, 0, got.stderr)
    assert.equal(got.stdout, run(ROOT, args).stdout)
    assert.match(got.stdout, /^NAMESPACE\s+NAME\s+VIP/)
  })

  it('a package whose bundle is missing: one line naming the missing file, exit 70, the stack only with --debug', () => {
    const broken = path.join(tmp, 'broken')
    for (const f of ['bin', 'package.json']) cpSync(path.join(ROOT, f), path.join(broken, f), {recursive: true})
    for (const args of [['version'], ['--help'], ['inspect', 'services', '-f', 'examples/shop']]) {
      const got = run(broken, args)
      assert.equal(got.status, 70, `${args.join(' ')}: ${got.stderr}`)
      assert.equal(got.stdout, '')
      assert.match(got.stderr, /^error: this vipctl is not built or is missing files \(Cannot find module '[^']*dist\/bundle\/src\/cli\/fast\.cjs'\) \(run npm run build in a checkout, or reinstall\)\n$/)
    }
    const debug = run(broken, ['version', '--debug'])
    assert.equal(debug.status, 70)
    assert.match(debug.stderr, /\n\s+at /, 'the stack with --debug')
  })

  it("a package missing one command's file: that command is one line naming the file, exit 70 (not oclif's exit 1, 'findings'); the others run", () => {
    const partial = path.join(tmp, 'partial')
    for (const f of ['bin', 'package.json', 'oclif.manifest.json', 'dist/bundle']) cpSync(path.join(ROOT, f), path.join(partial, f), {recursive: true})
    rmSync(path.join(partial, 'dist', 'bundle', 'commands', 'inspect', 'services.js'))
    const got = run(partial, ['inspect', 'services', '-f', 'examples/shop'])
    assert.equal(got.status, 70, got.stderr)
    assert.equal(got.stdout, '')
    assert.match(got.stderr, /^error: this vipctl is missing files: [^\n]*inspect\/services\.js[^\n]*\(reinstall it, or run npm run build in a checkout\)\n$/)
    assert.equal(run(partial, ['inspect', 'vips', '-f', 'examples/shop', '-o', 'name']).status, 0)
  })

  it('control characters in the path of a broken package are escaped, never written raw', () => {
    const odd = path.join(tmp, 'odd\x1b[31mname')
    for (const f of ['bin', 'package.json']) cpSync(path.join(ROOT, f), path.join(odd, f), {recursive: true})
    const got = run(odd, ['inspect', 'services', '--debug'])
    assert.equal(got.status, 70)
    assert.doesNotMatch(got.stderr, /\x1b/)
    assert.match(got.stderr, /\\x1b\[31m/)
  })

  it("help rendered by oclif (templates through ejs) says what the start-up help says", () => {
    // DEBUG makes the start-up help step aside (src/cli/help-fast.ts): oclif's own help answers.
    const byOclif = run(ROOT, ['inspect', 'services', '--help'], {DEBUG: 'vipctl-test-none'})
    const fast = run(ROOT, ['inspect', 'services', '--help'])
    assert.equal(byOclif.status, 0, byOclif.stderr)
    assert.equal(byOclif.stdout, fast.stdout)
    assert.match(byOclif.stdout, /\$ vipctl inspect services -f examples\/shop/, 'the <%= config.bin %> template was rendered')
  })
})
