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
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import nodeModule from 'node:module'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {LIST_KINDS} from '../helpers/api-kinds.js'
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
    .filter((u) => u.startsWith('file:'))
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
      assert.ok(files.includes('dist/bundle/src/cli/help-fast.cjs'), files.join(' '))
      assert.ok(!files.includes('dist/bundle/src/cli/main.js'), files.join(' '))
      assert.ok(files.length <= 5, `${files.length} files: ${files.join(' ')}`)
      // CommonJS only (bin/package.json; .cjs): an ES module would set up Node's ES module loader (~3-5 ms).
      assert.deepEqual(files.filter((f) => f !== 'bin/run.js' && !f.endsWith('.cjs')), [], 'ES modules on the help path')
      assert.deepEqual(modules.filter((m) => HEAVY.some((h) => h.test(m)) || OCLIF_BEYOND_HELP.test(m)), [], 'modules help does not need')
      // oclif's help formatter and its dependencies are ~50 modules; ours add a handful.
      assert.ok(modules.length <= 70, `${modules.length} modules`)
    })
  }

  for (const args of [['version']]) {
    it(`vipctl ${args.join(' ')}: only the bundle, and no heavy module`, () => {
      const {files, modules} = loaded(args)
      assert.deepEqual(files.filter((f) => !f.startsWith('bin/') && !f.startsWith('dist/bundle/')), [], 'files loaded from outside the bundle')
      // bin/run.js, dist/bundle/src/cli/fast.cjs and version-print.cjs (a file each: scripts/bundle.mjs).
      assert.deepEqual(files, ['bin/run.js', 'dist/bundle/src/cli/fast.cjs', 'dist/bundle/src/cli/version-print.cjs'])
      const heavy = modules.filter((m) => HEAVY.some((h) => h.test(m)))
      assert.deepEqual(heavy, [], 'modules no help or version needs')
      // oclif and its dependencies are ~170 modules; ours add a handful.
      assert.ok(modules.length <= 200, `${modules.length} modules`)
    })
  }

  it('vipctl inspect services -f examples/shop: not the start-up help (loaded only when argv may ask for help)', () => {
    const {files} = loaded(['inspect', 'services', '-f', 'examples/shop'])
    assert.ok(files.includes('dist/bundle/src/cli/main.js'), files.join(' '))
    assert.ok(!files.includes('dist/bundle/src/cli/help-fast.cjs'), files.join(' '))
  })

  it('V8\'s code cache: in a private directory where Node has one for ES modules (22.1+), nothing where it has not', () => {
    const home = mkdtempSync(path.join(TMP, 'home-'))
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', HOME: home}
    delete env.NODE_OPTIONS
    delete env.XDG_CACHE_HOME
    delete env.NODE_COMPILE_CACHE
    delete env.NODE_DISABLE_COMPILE_CACHE
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'inspect', 'services', '-f', 'examples/shop'], {cwd: ROOT, env, encoding: 'utf8'})
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stderr, '')
    const dir = path.join(home, '.cache', 'vipctl', 'compile-cache')
    if (typeof (nodeModule as {enableCompileCache?: unknown}).enableCompileCache === 'function') {
      assert.equal(statSync(dir).mode & 0o777, 0o700)
      assert.ok(readdirSync(dir).length > 0, 'entries written')
    } else assert.ok(!existsSync(path.join(home, '.cache')), `Node ${process.version} has no ES module code cache: nothing created`)
  })

  it('a live command: KubeConfig without client-node\'s generated API client', () => {
    const {modules} = loaded(['inspect', 'services', '--help'])
    assert.deepEqual(modules.filter((m) => /client-node\/dist\/gen\//.test(m)), [])
    const meta = readFileSync(path.join(ROOT, '.bundle-meta.json'), 'utf8')
    assert.ok(meta.includes('node_modules/@kubernetes/client-node/dist/config.js'), 'the KubeConfig is in the bundle')
    assert.ok(!meta.includes('node_modules/@kubernetes/client-node/dist/gen/models/'), 'the generated models are not')
  })
})

/** `args` run through oclif (the bundle's execute), not bin/run.js: what a fast path must answer exactly as. */
function oclifPath(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...extra}
  delete env.NODE_OPTIONS
  const script = `import(${JSON.stringify(path.join(ROOT, 'dist', 'bundle', 'src', 'cli', 'main.js'))}).then((m) => m.execute({dir: ${JSON.stringify(ROOT)}, args: ${JSON.stringify(args)}}))`
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {cwd: ROOT, env, encoding: 'utf8'})
}

describe('start-up: vipctl version answers before oclif loads, byte for byte as oclif would', () => {
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

describe('start-up: the completion callback (__complete) answers before oclif loads, as oclif\'s command does', () => {
  it('every kind of word list: the same reply and exit code, without oclif', () => {
    const noCluster = {KUBECONFIG: path.join(TMP, 'none')}
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...noCluster}
    delete env.NODE_OPTIONS
    const lists = [[''], ['insp'], ['inspect', ''], ['inspect', 'services', '--na'], ['inspect', 'services', '-o', ''], ['help', 'inspect', ''], ['check', 'trace', '--'], ['migrate', 'haproxy', ''], ['generate', 'haproxy', '--config-dir', ''], ['inspect', 'services', '-h'], ['nosuch', ''], ['inspect', 'services', '-n', '']]
    for (const words of lists) {
      for (const args of [['__complete', '--', ...words], ['__complete', ...words.filter((w) => !w.startsWith('-'))]]) {
        const fast = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env, encoding: 'utf8'})
        const slow = oclifPath(args, noCluster)
        assert.equal(fast.status, 0, fast.stderr)
        assert.deepEqual([fast.status, fast.stdout, fast.stderr], [slow.status, slow.stdout, slow.stderr], args.join(' '))
      }
    }
    const {files, modules} = loaded(['__complete', '--', 'inspect', ''])
    assert.ok(!files.includes('dist/bundle/src/cli/main.js'), files.join(' '))
    assert.deepEqual(modules.filter((m) => m.includes('@oclif/core')).slice(0, 1), [], 'oclif is not loaded')
    // A help flag before -- is a request for help, as before.
    assert.match(spawnSync(process.execPath, [path.join(ROOT, 'bin', 'run.js'), '__complete', '--help'], {cwd: ROOT, env, encoding: 'utf8'}).stdout, /USAGE/)
  })
})

interface Meta {
  outputs: Record<string, {inputs: Record<string, unknown>; imports: Array<{path: string; kind: string; external?: boolean}>}>
}
const bundleMeta = (): Meta => JSON.parse(readFileSync(path.join(ROOT, '.bundle-meta.json'), 'utf8')) as Meta

/** The source modules a bundle file brings in by import statements (itself and what it imports, transitively): what loads with it, before any dynamic import. */
function staticModules(meta: Meta, file: string): string[] {
  const seen = new Set<string>()
  const todo = [file]
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (seen.has(f)) continue
    seen.add(f)
    assert.ok(meta.outputs[f], `${f} is not in the bundle`)
    for (const i of meta.outputs[f]!.imports) if (i.kind === 'import-statement' && !i.external) todo.push(i.path)
  }
  return [...seen].flatMap((f) => Object.keys(meta.outputs[f]!.inputs))
}

/**
 * What a live command needs only once the API server's replies are in: zod and the schemas, the intake and the
 * offline reader, the model and the views, the analyzers. (model/ip.js is the address parsing of the flags.)
 */
const REPLIES_ONLY = [/node_modules\/zod\//, /^dist\/src\/cluster\/(intake|schema|gateway-schema|offline)\.js$/, /^dist\/src\/model\/(?!ip\.js$)/, /^dist\/src\/inspect\//, /^dist\/src\/check\//]
const YAML = /node_modules\/yaml\//

describe('start-up: a live command sends its first request before loading what only the replies need', function () {
  this.timeout(60_000)
  const INSPECT = ['services', 'endpoints', 'ingresses', 'gateways', 'routes', 'vips']

  for (const view of INSPECT) {
    it(`inspect ${view}: its entry holds the flags, not zod, the YAML library, the model or the views`, () => {
      const mods = staticModules(bundleMeta(), `dist/bundle/commands/inspect/${view}.js`)
      assert.ok(mods.includes(`dist/commands/inspect/${view}.js`))
      assert.deepEqual(mods.filter((m) => YAML.test(m) || REPLIES_ONLY.some((r) => r.test(m))), [])
    })
  }

  for (const cmd of ['check', 'check/trace']) {
    it(`${cmd.replace('/', ' ')}: its entry holds no zod, YAML library, model builder or analyzers`, () => {
      // The HAProxy flags' defaults bring model/routing.js and model/types.js; the builder and the rest load when the command runs.
      const heavy = [YAML, /node_modules\/zod\//, /^dist\/src\/model\/(build|gateway|annotations|tls|foreign|compile)\.js$/, /^dist\/src\/check\//, /^dist\/src\/cluster\/(intake|schema|offline)\.js$/]
      assert.deepEqual(staticModules(bundleMeta(), `dist/bundle/commands/${cmd}.js`).filter((m) => heavy.some((r) => r.test(m))), [])
    })
  }

  it('the live source (loaded for a request) holds neither: only the KubeConfig, the REST client and the kubeconfig\'s YAML reader', () => {
    const meta = bundleMeta()
    const live = Object.keys(meta.outputs).find((f) => 'dist/src/cluster/live.js' in meta.outputs[f]!.inputs)
    assert.ok(live, 'live.js is in the bundle')
    const mods = staticModules(meta, live)
    assert.ok(mods.includes('node_modules/@kubernetes/client-node/dist/config.js') || mods.some((m) => m.endsWith('@kubernetes/client-node/dist/config.js')), 'the KubeConfig loads with it')
    assert.deepEqual(mods.filter((m) => REPLIES_ONLY.some((r) => r.test(m))), [])
  })

  /** `vipctl inspect services` against a loopback API server (empty lists): the modules loaded before its first request and after it. */
  async function liveRun(kubeconfig: (server: string) => string): Promise<{before: string[]; after: string[]; stdout: string}> {
    const server = http.createServer((req, res) => {
      const parts = new URL(req.url ?? '/', 'http://x').pathname.split('/')
      const kind = LIST_KINDS[parts.at(-1) ?? '']
      res.setHeader('Content-Type', 'application/json')
      // Empty lists, and the namespace they were read from (an empty namespace is checked to exist).
      if (kind) res.end(JSON.stringify({kind: `${kind}List`, apiVersion: 'v1', metadata: {resourceVersion: '1'}, items: []}))
      else if (parts.length === 5 && parts[3] === 'namespaces') res.end(JSON.stringify({kind: 'Namespace', apiVersion: 'v1', metadata: {name: parts[4]}}))
      else {
        res.statusCode = 404
        res.end(JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound'}))
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const kc = path.join(TMP, `kubeconfig-${Math.random().toString(36).slice(2)}`)
      writeFileSync(kc, kubeconfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
      const record = `${kc}.record`
      const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', VIPCTL_RECORD_MODULES: record}
      delete env.NODE_OPTIONS
      const args = ['--import', path.join(ROOT, 'test', 'fixtures', 'startup', 'record.mjs'), path.join(ROOT, 'bin', 'run.js'), 'inspect', 'services', '--kubeconfig', kc, '-o', 'name']
      const child = spawn(process.execPath, args, {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (c) => (stdout += c))
      child.stderr.on('data', (c) => (stderr += c))
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
      assert.equal(code, 0, stderr)
      const lines = readFileSync(record, 'utf8').trim().split('\n')
      const at = lines.indexOf('request')
      assert.ok(at > 0, 'a request was sent')
      const meta = bundleMeta()
      const modules = (urls: string[]) => urls.filter((u) => u.startsWith('file:')).flatMap((u) => Object.keys(meta.outputs[path.relative(ROOT, new URL(u).pathname)]?.inputs ?? {}))
      return {before: modules(lines.slice(0, at)), after: modules(lines.slice(at + 1)), stdout}
    } finally {
      server.close()
    }
  }

  it('a YAML kubeconfig: zod, the model and the views load after the first request (the YAML reader before it, for the kubeconfig)', async () => {
    const yaml = (server: string) =>
      `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: c\n  context: {cluster: c, user: u, namespace: default}\n`
    const {before, after, stdout} = await liveRun(yaml)
    assert.equal(stdout, '')
    assert.deepEqual(before.filter((m) => REPLIES_ONLY.some((r) => r.test(m))), [], 'loaded before the first request')
    assert.ok(before.some((m) => YAML.test(m)), 'the kubeconfig is read by the YAML reader')
    // Not vacuous: they are loaded, after the request.
    for (const r of [/node_modules\/zod\//, /^dist\/src\/model\/build\.js$/, /^dist\/src\/inspect\/inspect\.js$/, /^dist\/src\/cluster\/intake\.js$/]) assert.ok(after.some((m) => r.test(m)), `${r} loads after the first request`)
  })
})
