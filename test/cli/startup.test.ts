/**
 * Start-up guard (issue "Speed"): what the shipped CLI loads, counted rather
 * than timed (bench/startup times it). A command is run with module hooks that
 * record every file it loads (test/fixtures/startup/record.mjs); the bundle's
 * metafile (.bundle-meta.json, written by scripts/bundle.mjs) says which source
 * modules each loaded file holds. `--help` and `version` must stay oclif plus
 * the few modules of ours they use: no Kubernetes client, YAML, schema, model
 * or target code, and nothing read from node_modules outside the bundle.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ROOT} from '../helpers/cli.js'

const TMP = mkdtempSync(path.join(os.tmpdir(), 'vipctl-startup-'))
after(() => rmSync(TMP, {recursive: true, force: true}))

interface Loaded {
  files: string[]
  /** Source modules (paths as esbuild's metafile names them) inside the loaded bundle files. */
  modules: string[]
}

function loaded(args: string[]): Loaded {
  const record = path.join(TMP, `${args.join('_').replace(/\W/g, '-')}.txt`)
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', VIPCTL_RECORD_MODULES: record, KUBECONFIG: path.join(TMP, 'none')}
  delete env.NODE_OPTIONS
  const r = spawnSync(process.execPath, ['--import', path.join(ROOT, 'test', 'fixtures', 'startup', 'record.mjs'), path.join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env, encoding: 'utf8'})
  assert.equal(r.status, 0, r.stderr)
  const meta = JSON.parse(readFileSync(path.join(ROOT, '.bundle-meta.json'), 'utf8')) as {outputs: Record<string, {inputs: Record<string, unknown>}>}
  const files = [...new Set(readFileSync(record, 'utf8').trim().split('\n'))]
    .map((u) => path.relative(ROOT, new URL(u).pathname))
    .filter((f) => !f.startsWith('test/fixtures/startup/'))
  const modules = files.flatMap((f) => Object.keys(meta.outputs[f]?.inputs ?? {}))
  return {files, modules}
}

/** What no help or version may load (each was once on the path, or is large). */
const HEAVY = [/@kubernetes\/client-node/, /node_modules\/yaml\//, /node_modules\/zod\//, /^dist\/src\/(model|targets|cluster|check|sync|migrate|generate|apply)\//]

/** oclif beyond its help formatter: Config.load, plugins, the flag parser, command running, error printing (ts-path and module-loader are in the start-up help as stand-ins only: scripts/bundle.mjs). */
const OCLIF_BEYOND_HELP = /@oclif\/core\/lib\/(?:config\/(?!util\.js|ts-path\.js)|main\.js|execute\.js|parser\/|command\.js|errors\/handle\.js)/

describe('start-up: what the shipped CLI loads', () => {
  // Help is answered before oclif loads (src/cli/help-fast.ts): oclif's help formatter and nothing more of it.
  for (const args of [['--help'], ['-h'], ['inspect', '--help'], ['inspect'], ['inspect', 'services', '-h'], ['check', 'trace', '--help'], ['help', 'inspect']]) {
    it(`vipctl ${args.join(' ')}: the start-up help, without oclif's config, parser or command code`, () => {
      const {files, modules} = loaded(args)
      assert.deepEqual(files.filter((f) => !f.startsWith('bin/') && !f.startsWith('dist/bundle/')), [], 'files loaded from outside the bundle')
      assert.ok(files.includes('dist/bundle/src/cli/help-fast.js'), files.join(' '))
      assert.ok(!files.includes('dist/bundle/src/cli/main.js'), files.join(' '))
      assert.ok(files.length <= 5, `${files.length} files: ${files.join(' ')}`)
      assert.deepEqual(modules.filter((m) => HEAVY.some((h) => h.test(m)) || OCLIF_BEYOND_HELP.test(m)), [], 'modules help does not need')
      // oclif's help formatter and its dependencies are ~50 modules; ours add a handful.
      assert.ok(modules.length <= 70, `${modules.length} modules`)
    })
  }

  for (const args of [['version']]) {
    it(`vipctl ${args.join(' ')}: only the bundle, and no heavy module`, () => {
      const {files, modules} = loaded(args)
      assert.deepEqual(files.filter((f) => !f.startsWith('bin/') && !f.startsWith('dist/bundle/')), [], 'files loaded from outside the bundle')
      // bin/run.js and dist/bundle/src/cli/fast.js (one file: scripts/bundle.mjs builds it on its own).
      assert.deepEqual(files, ['bin/run.js', 'dist/bundle/src/cli/fast.js'])
      const heavy = modules.filter((m) => HEAVY.some((h) => h.test(m)))
      assert.deepEqual(heavy, [], 'modules no help or version needs')
      // oclif and its dependencies are ~170 modules; ours add a handful.
      assert.ok(modules.length <= 200, `${modules.length} modules`)
    })
  }

  it('vipctl inspect services -f examples/shop: not the start-up help (loaded only when argv may ask for help)', () => {
    const {files} = loaded(['inspect', 'services', '-f', 'examples/shop'])
    assert.ok(files.includes('dist/bundle/src/cli/main.js'), files.join(' '))
    assert.ok(!files.includes('dist/bundle/src/cli/help-fast.js'), files.join(' '))
  })

  it('a live command: KubeConfig without client-node\'s generated API client', () => {
    const {modules} = loaded(['inspect', 'services', '--help'])
    assert.deepEqual(modules.filter((m) => /client-node\/dist\/gen\//.test(m)), [])
    const meta = readFileSync(path.join(ROOT, '.bundle-meta.json'), 'utf8')
    assert.ok(meta.includes('node_modules/@kubernetes/client-node/dist/config.js'), 'the KubeConfig is in the bundle')
    assert.ok(!meta.includes('node_modules/@kubernetes/client-node/dist/gen/models/'), 'the generated models are not')
  })
})

describe('start-up: vipctl version answers before oclif loads, byte for byte as oclif would', () => {
  const oclifPath = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...extra}
    delete env.NODE_OPTIONS
    const script = `import(${JSON.stringify(path.join(ROOT, 'dist', 'bundle', 'src', 'cli', 'main.js'))}).then((m) => m.execute({dir: ${JSON.stringify(path.join(ROOT, 'bin', 'run.js'))}, args: ${JSON.stringify(args)}}))`
    return spawnSync(process.execPath, ['--input-type=module', '-e', script], {cwd: ROOT, env, encoding: 'utf8'})
  }
  for (const args of [['version'], ['version', '-o', 'json'], ['version', '--output', 'yaml'], ['version', '-o=table'], ['version', '--json']]) {
    it(`vipctl ${args.join(' ')}`, () => {
      const {files, modules} = loaded(args)
      assert.deepEqual(modules.filter((m) => m.includes('@oclif/core')).slice(0, 1), [], 'oclif is not loaded')
      assert.ok(!files.includes('dist/bundle/src/cli/main.js'))
      const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
      delete env.NODE_OPTIONS
      const fast = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env, encoding: 'utf8'})
      const slow = oclifPath(args)
      assert.equal(fast.status, 0, fast.stderr)
      assert.deepEqual([fast.status, fast.stdout, fast.stderr], [slow.status, slow.stdout, slow.stderr])
    })
  }

  it('anything else about version (a bad value, --help, another flag) is oclif\'s, with oclif\'s output and exit code', () => {
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
    delete env.NODE_OPTIONS
    for (const args of [['version', '-o', 'wide'], ['version', '--help'], ['version', '--debug'], ['version', 'extra']]) {
      const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env, encoding: 'utf8'})
      const slow = oclifPath(args)
      assert.deepEqual([run.status, run.stdout, run.stderr], [slow.status, slow.stdout, slow.stderr], args.join(' '))
    }
    assert.ok(loaded(['version', '--help']).modules.some((m) => m.includes('@oclif/core')))
    // oclif's environment: VIPCTL_CONTENT_TYPE=json makes it print JSON whatever -o says.
    const extra = {VIPCTL_CONTENT_TYPE: 'json'}
    for (const args of [['version'], ['version', '-o', 'yaml']]) {
      const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env: {...env, ...extra}, encoding: 'utf8'})
      const slow = oclifPath(args, extra)
      assert.deepEqual([run.status, run.stdout, run.stderr], [slow.status, slow.stdout, slow.stderr], `VIPCTL_CONTENT_TYPE=json ${args.join(' ')}`)
      assert.match(run.stdout, /^\{/)
    }
  })
})
