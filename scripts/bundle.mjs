#!/usr/bin/env node
// The shipped entry: tsc's output (dist/) bundled by esbuild into dist/bundle/,
// one file per command plus shared chunks, oclif and the libraries inside.
// Start-up cost is mostly loading modules (a --help loaded 210 files, an offline
// inspect 334); bundled, a command loads its own entry and the chunks it shares.
//
//   node scripts/bundle.mjs        (run by `npm run build`, after tsc)
//
// The metafile (which source modules each output file holds) goes to .bundle-meta.json.
//
// Two things are left out of the bundle on purpose:
// - client-node's generated API client (dist/gen: 0.5 MB of models). vipctl
//   speaks to the API server through src/core/kube-rest.ts and uses only the
//   KubeConfig (loading, exec plugins, auth providers, in-cluster config); the
//   two names config.js takes from gen/ (for makeApiClient) are replaced by
//   ones that throw if ever called.
// - typescript, which oclif requires only for development (ts-node paths).
// - node-fetch, which client-node's config.js imports for Headers only: Node's own stands in.
import {build} from 'esbuild'
import {createRequire} from 'node:module'
import {readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')
const out = path.join(dist, 'bundle')

function jsFiles(dir) {
  const found = []
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) found.push(...jsFiles(p))
    else if (name.endsWith('.js')) found.push(p)
  }
  return found
}

/** client-node's config.js imports two names from its generated client; vipctl never calls them. */
const noGeneratedClient = {
  name: 'no-generated-client',
  setup(b) {
    b.onResolve({filter: /^\.\/gen\/index\.js$/}, (args) =>
      args.importer.includes(`${path.sep}@kubernetes${path.sep}client-node${path.sep}`) ? {path: 'client-node-gen', namespace: 'vipctl-stub'} : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'vipctl-stub'}, () => ({
      loader: 'js',
      contents: [
        "const none = () => { throw new Error('vipctl does not bundle client-node\\'s generated API client') }",
        'export class ServerConfiguration { constructor() { none() } }',
        'export const createConfiguration = none',
      ].join('\n'),
    }))
  },
}

/**
 * client-node's config.js imports node-fetch for one name, Headers (applyToFetchOptions, which vipctl never
 * calls); node-fetch brings whatwg-url and tr46 (0.3 MB parsed at every live command's start). Node's own
 * Headers stands in, looked up when used: reading globalThis.Headers loads Node's fetch (undici, ~20 ms) at
 * every live command's start.
 */
const nodeFetchShim = {
  name: 'node-fetch-shim',
  setup(b) {
    b.onResolve({filter: /^node-fetch$/}, (args) =>
      args.importer.includes(`${path.sep}@kubernetes${path.sep}client-node${path.sep}`) ? {path: 'node-fetch', namespace: 'vipctl-shim'} : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'vipctl-shim'}, () => ({loader: 'js', contents: 'export class Headers { constructor(init) { return new globalThis.Headers(init) } }\nexport default (...args) => globalThis.fetch(...args)\n'}))
  },
}

/**
 * client-node's config.js imports socks-proxy-agent (with socks, ip-address and smart-buffer: ~15 ms to set up at
 * every live command's start) for kubeconfigs whose proxy-url is socks5://. It is set up when such a proxy is
 * used: config.js gets a stand-in class whose constructor builds the real agent (still in the bundle).
 */
const lazySocks = {
  name: 'lazy-socks',
  setup(b) {
    b.onResolve({filter: /^socks-proxy-agent$/}, (args) =>
      args.importer.includes(`${path.sep}@kubernetes${path.sep}client-node${path.sep}`) ? {path: 'socks-proxy-agent', namespace: 'vipctl-lazy-socks', pluginData: args.resolveDir} : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'vipctl-lazy-socks'}, (args) => ({
      loader: 'js',
      resolveDir: args.pluginData,
      contents: "exports.SocksProxyAgent = class SocksProxyAgent { constructor(...args) { return new (require('socks-proxy-agent').SocksProxyAgent)(...args) } }\n",
    }))
  },
}

/** Where a module name resolves for `args`' importer without our stand-ins (pluginData 'real' tells them to step aside). */
async function resolveReal(b, args) {
  const real = await b.resolve(args.path, {resolveDir: args.resolveDir, kind: args.kind, pluginData: 'real'})
  return real.errors.length > 0 ? {errors: real.errors} : {path: real.path}
}

/**
 * The start-up help (src/cli/help-fast.ts) runs oclif's Help class without the rest of oclif. Help's module
 * imports four things that pull in much more and that help never needs for a manifest's commands: the help
 * class loader (ts-path, module-loader: only loadHelpClass uses them), ux's spinners and prompts (help only
 * writes lines: ux.stdout/stderr), and the error printer (help only throws "Command x not found", which
 * VipHelp answers). Stand-ins for exactly those, in the help-fast build only.
 */
const helpOnly = {
  name: 'help-only',
  setup(b) {
    const sep = '[\\\\/]'
    const stub = new RegExp(`@oclif${sep}core${sep}lib${sep}(config${sep}ts-path|module-loader|ux${sep}index|errors${sep}error)\\.js$`)
    b.onLoad({filter: stub}, (args) => {
      const which = stub.exec(args.path)[1].replaceAll('\\', '/')
      const none = "() => { throw new Error('not available in vipctl\\'s start-up help') }"
      const contents = {
        'config/ts-path': `exports.tsPath = ${none}`,
        'module-loader': `exports.load = ${none}; exports.loadWithData = ${none}; exports.loadWithDataFromManifest = ${none}`,
        'ux/index': "const w = require('./write'); exports.ux = {stdout: w.stdout, stderr: w.stderr}; exports.stdout = w.stdout; exports.stderr = w.stderr",
        'errors/error': 'exports.error = (input) => { throw (typeof input === "string" ? new Error(input) : input) }',
      }[which]
      return {loader: 'js', contents, resolveDir: path.dirname(args.path)}
    })
  },
}

/**
 * Help renders every summary, description and example through ejs, compiling each into a function, for the
 * one tag vipctl's texts use: `<%= config.bin %>`. In the start-up help, text whose only tags are that one is
 * rendered here as ejs renders it (the value, HTML-escaped as <%= escapes), text without tags is returned as
 * it is, and ejs itself loads only for anything else.
 */
const lazyEjs = {
  name: 'lazy-ejs',
  setup(b) {
    b.onResolve({filter: /^ejs$/}, async (args) => {
      if (args.pluginData === 'real') return undefined
      const real = await resolveReal(b, args)
      return real.errors ? real : {path: 'ejs', namespace: 'vipctl-lazy-ejs', pluginData: real.path}
    })
    b.onLoad({filter: /.*/, namespace: 'vipctl-lazy-ejs'}, (args) => ({
      loader: 'js',
      resolveDir: root,
      contents: [
        'let real',
        `const ejs = () => (real ??= require(${JSON.stringify(args.pluginData)}))`,
        "const BIN = /<%= config\\.bin %>/g",
        "const ESCAPE = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '\"': '&#34;', \"'\": '&#39;'}",
        'exports.render = (text, data, ...rest) => {',
        "  if (typeof text !== 'string') return ejs().render(text, data, ...rest)",
        "  const rest_ = text.replace(BIN, '')",
        "  if (rest_.includes('<%') || rest_.includes('%>') || rest.length > 0) return ejs().render(text, data, ...rest)",
        "  return rest_.length === text.length ? text : text.replace(BIN, () => String(data.config.bin).replace(/[&<>'\"]/g, (c) => ESCAPE[c]))",
        '}',
      ].join('\n'),
    }))
  },
}

/** pjson.oclif.plugins' manifests (their help commands are listed in vipctl's help), for the start-up help. */
function pluginManifests() {
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  return (pjson.oclif.plugins ?? []).map((name) => {
    const dir = path.join(root, 'node_modules', ...name.split('/'))
    const manifest = JSON.parse(readFileSync(path.join(dir, 'oclif.manifest.json'), 'utf8'))
    return {name, version: manifest.version, manifest: {commands: manifest.commands}}
  })
}

/**
 * oclif requires at load time packages that a vipctl command does not use on its way to run (measured: ~12 ms of
 * a 107 ms `vipctl completion bash`, for evaluating them):
 * - semver: oclif's index checks the Node version against oclif's own engines (>=18) at every start; vipctl's
 *   engines (>=20.19) are stricter and npm checks them at install: the check answers "satisfied" here.
 *   (oclif's WSL test, wsl-utils, stays as it is: a stand-in would have to repeat its /proc and container checks.)
 * - ejs, cli-spinners, minimatch, tinyglobby, lilconfig: help and update templates, spinners, plugin patterns,
 *   command discovery without a manifest, rc files for a package.json without an oclif section; none of them on
 *   a command's path: they load on first use (the module is still in the bundle, only not run at start).
 */
const LAZY_FOR_OCLIF = ['ejs', 'cli-spinners', 'minimatch', 'tinyglobby', 'lilconfig']
const leanOclif = {
  name: 'lean-oclif',
  setup(b) {
    const fromOclif = (args) => args.importer.includes(`${path.sep}@oclif${path.sep}core${path.sep}`) && args.pluginData !== 'real'
    b.onResolve({filter: /^semver$/}, (args) => (fromOclif(args) ? {path: args.path, namespace: 'vipctl-lean-oclif'} : undefined))
    b.onLoad({filter: /^semver$/, namespace: 'vipctl-lean-oclif'}, () => ({loader: 'js', contents: 'exports.satisfies = () => true\n'}))
    b.onResolve({filter: new RegExp(`^(${LAZY_FOR_OCLIF.join('|')})$`)}, async (args) => {
      if (!fromOclif(args)) return undefined
      const real = await resolveReal(b, args)
      return real.errors ? real : {path: args.path, namespace: 'vipctl-lazy', pluginData: real.path}
    })
    b.onLoad({filter: /.*/, namespace: 'vipctl-lazy'}, (args) => ({
      loader: 'js',
      resolveDir: root,
      // A stand-in whose properties are the real module's, loaded on first read. __esModule (which TypeScript's
      // __importDefault and __importStar read at once) is answered as the real module answers it, found here.
      contents: [
        'let real',
        `const load = () => (real ??= require(${JSON.stringify(args.pluginData)}))`,
        'module.exports = new Proxy({}, {',
        `  get: (_, key) => (key === '__esModule' ? ${JSON.stringify(createRequire(import.meta.url)(args.pluginData).__esModule)} : load()[key]),`,
        '  has: (_, key) => key in load(),',
        '  ownKeys: () => Reflect.ownKeys(load()),',
        '  getOwnPropertyDescriptor: (_, key) => { const d = Object.getOwnPropertyDescriptor(load(), key); return d && {...d, configurable: true} },',
        '})',
      ].join('\n'),
    }))
  },
}

/** What every build below shares: ES modules for Node 20 in dist/bundle, readable output, a metafile. */
const shared = {
  outdir: out,
  outbase: dist,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['typescript', 'ts-node'],
  // CommonJS modules inside an ES module bundle still call require and read __dirname.
  banner: {
    js: [
      "import {createRequire as __vipctlRequire} from 'node:module'",
      "import {fileURLToPath as __vipctlPath} from 'node:url'",
      "import {dirname as __vipctlDir} from 'node:path'",
      'const require = __vipctlRequire(import.meta.url)',
      'const __filename = __vipctlPath(import.meta.url)',
      'const __dirname = __vipctlDir(__filename)',
    ].join('; '),
  },
  minify: false,
  keepNames: true,
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
}

/**
 * The start-up files bin/run.js requires (fast.cjs: the version and help checks; version-print.cjs; help-fast.cjs:
 * help) are CommonJS, as bin/run.js is: a process that never loads an ES module skips setting up Node's ES module
 * loader (~3-5 ms of a 50 ms `node -e 0`). Commands still load the ES module bundle (main.js) as before.
 */
const commonJs = {
  format: 'cjs',
  outExtension: {'.js': '.cjs'},
  // import.meta.url (src/core/runtime-modules.ts: createRequire) is this file's URL, as in the ES module bundle.
  banner: {js: "const __vipctlImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
  define: {'import.meta.url': '__vipctlImportMetaUrl'},
}

rmSync(out, {recursive: true, force: true})
const entryPoints = [
  ...jsFiles(path.join(dist, 'commands')),
  path.join(dist, 'src', 'cli', 'main.js'),
  path.join(dist, 'src', 'cli', 'help.js'),
  // bin/complete.js (kubectl_complete-vip) answers completion without oclif.
  path.join(dist, 'src', 'cli', 'completion.js'),
  ...jsFiles(path.join(dist, 'src', 'cli', 'hooks')),
]
const result = await build({
  entryPoints,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [noGeneratedClient, nodeFetchShim, lazySocks, leanOclif],
  ...shared,
})
// The start-up help: one file, oclif's help code and nothing else of oclif (bin/run.js imports it first).
const fast = await build({
  entryPoints: [path.join(dist, 'src', 'cli', 'help-fast.js')],
  splitting: false,
  plugins: [helpOnly, lazyEjs],
  ...shared,
  ...commonJs,
  define: {...commonJs.define, __VIPCTL_PLUGIN_MANIFESTS__: JSON.stringify(pluginManifests())},
})
// What bin/run.js requires before oclif (src/cli/fast.ts, and src/cli/version-print.ts for `vipctl version`): a file
// each, not the dozen chunks they share with the commands.
const version = await build({
  entryPoints: [path.join(dist, 'src', 'cli', 'fast.js'), path.join(dist, 'src', 'cli', 'version-print.js')],
  splitting: false,
  ...shared,
  ...commonJs,
})
for (const [file, o] of [...Object.entries(fast.metafile.outputs), ...Object.entries(version.metafile.outputs)]) result.metafile.outputs[file] = o
// The bundle says its own module type: Node looks for the nearest package.json to learn whether a .js file is an
// ES module, and stops here instead of reading the package's (which a damaged install could make a named pipe,
// on which the completion callback would hang: test/cli/completion.test.ts).
writeFileSync(path.join(out, 'package.json'), `${JSON.stringify({type: 'module'})}\n`)
// Which source modules went into which output file: test/cli/startup.test.ts counts what --help loads from it.
writeFileSync(path.join(root, '.bundle-meta.json'), JSON.stringify(result.metafile))
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
console.log(`bundle: ${entryPoints.length} entries, ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1e6).toFixed(1)} MB in ${path.relative(root, out)}`)
