/**
 * The packages vipctl loads by name at run time are one list (src/core/runtime-modules.ts), which the image keeps
 * (scripts/image-deps.mjs): no other file in src/ or commands/ loads a package through createRequire, each one on
 * the list is a runtime dependency (what `npm ci --omit=dev` installs), and loads.
 */
import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {ROOT} from '../helpers/cli.js'
import {RUNTIME_MODULES, loadRuntimeModule} from '../../src/core/runtime-modules.js'

const tsFiles = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir), {withFileTypes: true}).flatMap((d) => (d.isDirectory() ? tsFiles(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []))

describe('runtime modules: the one list of packages loaded by name', () => {
  it('no file but src/core/runtime-modules.ts loads packages by name (createRequire, require)', () => {
    const offenders = [...tsFiles('src'), ...tsFiles('commands')].filter((f) => f !== path.join('src', 'core', 'runtime-modules.ts')).filter((f) => /\bcreateRequire\b|(^|[^.\w])require\(/m.test(readFileSync(path.join(ROOT, f), 'utf8')))
    assert.deepEqual(offenders, [])
  })

  it('each is a runtime dependency in package.json (the image installs those only) and loads', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
    assert.ok(RUNTIME_MODULES.length > 0)
    for (const name of RUNTIME_MODULES) {
      assert.ok(pkg.dependencies?.[name], `${name} is not in dependencies`)
      assert.ok(loadRuntimeModule<object>(name), name)
    }
    assert.equal(typeof loadRuntimeModule<{stringify: unknown}>('yaml').stringify, 'function')
    assert.equal(typeof loadRuntimeModule<{JSONPath: unknown}>('jsonpath-plus').JSONPath, 'function')
  })

  it('scripts/image-deps.mjs keeps this list (imported from the build, not a copy)', () => {
    const script = readFileSync(path.join(ROOT, 'scripts', 'image-deps.mjs'), 'utf8')
    assert.match(script, /const \{RUNTIME_MODULES\} = await import\(/)
    assert.match(script, /const roots = \[\.\.\.\(pkg\.oclif\?\.plugins \?\? \[\]\), \.\.\.RUNTIME_MODULES\]/)
  })
})
