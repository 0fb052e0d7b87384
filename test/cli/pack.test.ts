/**
 * What `npm pack` ships: the runtime entry points, the bundle, the manifest, the schemas, LICENSE and README, and
 * nothing that exists only for development (bin/dev.mjs runs the TypeScript sources; dist/src and dist/commands are
 * tsc's output, which the bundle already holds). The packed tree is then unpacked and run, so a file the bundle
 * still needs from outside it cannot be left out unnoticed.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {ROOT} from '../helpers/cli.js'

const run = promisify(execFile)

interface PackFile {
  path: string
  mode: number
}

describe('npm pack', function () {
  this.timeout(120_000)
  let files: PackFile[] = []
  let tarball = ''
  let dir = ''

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vipctl-pack-'))
    const {stdout} = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {cwd: ROOT, maxBuffer: 64 << 20})
    const [report] = JSON.parse(stdout) as Array<{filename: string; files: PackFile[]}>
    files = report!.files
    tarball = path.join(dir, report!.filename)
  })

  after(() => rmSync(dir, {recursive: true, force: true}))

  it('ships LICENSE, README, package.json, the manifest, the bundle and every bin entry, executable', () => {
    const names = new Set(files.map((f) => f.path))
    for (const must of ['LICENSE', 'README.md', 'package.json', 'oclif.manifest.json', 'bin/run.js', 'bin/package.json']) assert.ok(names.has(must), `${must} is not in the package`)
    assert.ok([...names].some((n) => n.startsWith('dist/bundle/commands/')), 'no bundled commands in the package')
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {bin: Record<string, string>; license: string}
    for (const [bin, file] of Object.entries(pkg.bin)) {
      const f = files.find((x) => x.path === path.posix.normalize(file))
      assert.ok(f, `bin ${bin} -> ${file} is not in the package`)
      assert.ok((f.mode & 0o111) !== 0, `bin ${bin} -> ${file} is not executable in the package`)
    }
    assert.match(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), pkg.license === 'Apache-2.0' ? /Apache License\s+Version 2\.0/ : /./)
  })

  it('ships nothing that exists only for development', () => {
    const devOnly = [/^bin\/dev\.mjs$/, /^dist\/(src|commands)\//, /^(src|commands|test|bench|scripts|examples|\.ci)\//, /\.ts$/, /\.bundle-meta\.json$/, /^tsconfig/, /\.mocharc/]
    const bad = files.map((f) => f.path).filter((p) => devOnly.some((re) => re.test(p)))
    assert.deepEqual(bad, [], `development files in the package: ${bad.slice(0, 10).join(', ')}`)
  })

  it('runs from the unpacked package: version, help and an offline inspect of the bundled example', async () => {
    await run('tar', ['-xzf', tarball, '-C', dir])
    const pkgDir = path.join(dir, 'package')
    // The dependencies as npm would install them; the package's own files are what is under test.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkgDir, 'node_modules'))
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
    delete env.NODE_OPTIONS
    const bin = path.join(pkgDir, 'bin', 'run.js')
    const version = await run(process.execPath, [bin, 'version', '-o', 'json'], {env, cwd: dir})
    assert.match(version.stdout, /"kind": "Version"/)
    const help = await run(process.execPath, [bin, '--help'], {env, cwd: dir})
    assert.match(help.stdout, /inspect/)
    const inspect = await run(process.execPath, [bin, 'inspect', 'services', '-f', path.join(ROOT, 'examples', 'shop'), '-o', 'name'], {env, cwd: dir})
    assert.match(inspect.stdout, /^service\/frontend$/m)
  })
})
