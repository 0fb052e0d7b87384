#!/usr/bin/env node
// Production entry point (also installed as kubectl-vip): the bundled build (npm run build; scripts/bundle.mjs), so
// a command loads a few files, not hundreds. Three answers come before oclif loads: `vipctl version`
// (src/cli/fast.ts), help (src/cli/help-fast.ts: oclif's help code over oclif.manifest.json) and the completion
// scripts' `__complete` (src/cli/completion.ts); everything else is oclif's. This file and the version and help
// files are CommonJS (bin/package.json): version and help never set up Node's ES module loader; a command loads
// the ES module bundle (dist/bundle/src/cli/main.js).
'use strict'
const {existsSync, readFileSync} = require('node:fs')
const path = require('node:path')
const {pathToFileURL} = require('node:url')

/**
 * The completion scripts' callback (every TAB): what commands/__complete.ts does (the manifest's commands, cobra's
 * protocol), without loading oclif or reading anything else. Whatever cannot be read (the manifest or package.json
 * not a regular file, too large, not what it should be; a bundle missing files) offers nothing, as
 * kubectl_complete-vip does (bin/complete.js), and nothing is written to stderr.
 */
async function fastComplete(root, words) {
  let completion
  let spec
  try {
    completion = await import(pathToFileURL(path.join(root, 'dist', 'bundle', 'src', 'cli', 'completion.js')).href)
    spec = completion.specFromFiles(pathToFileURL(root + path.sep))
  } catch {
    process.stdout.write(':4\n')
    return
  }
  return completion.runCompletion(words, spec)
}

async function main() {
  const argv = process.argv.slice(2)
  const root = path.join(__dirname, '..')
  const completing = argv[0] === '__complete'
  const {enableCodeCache, guardOutput, mayBeHelp, plainVersion} = require('../dist/bundle/src/cli/fast.cjs')
  // V8's code cache for what loads from here on, where Node has one for ES modules (22.1+; src/cli/compile-cache.ts).
  enableCodeCache(require('node:module').enableCompileCache, process.env)
  // Standard output that fails: one line and exit 74, EPIPE quiet (src/cli/output-guard.ts).
  const dropOtherOutputListeners = guardOutput(completing)
  const manifest = existsSync(path.join(root, 'oclif.manifest.json'))
  // As the scripts call it (`__complete -- WORDS`): before package.json is read. Without the manifest (a checkout
  // in development) oclif answers, from the commands it finds.
  if (completing && argv[1] === '--' && manifest) return fastComplete(root, argv.slice(2))
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  const format = plainVersion(argv)
  if (format) return require('../dist/bundle/src/cli/version-print.cjs').printVersion(format, pjson.version)
  if (mayBeHelp(argv, pjson.oclif) && (await require('../dist/bundle/src/cli/help-fast.cjs').fastHelp(argv, root))) return
  // `__complete WORDS` typed by hand (no --, no help flag): the same.
  if (completing && manifest) return fastComplete(root, argv.slice(1))
  const {execute} = await import(pathToFileURL(path.join(root, 'dist', 'bundle', 'src', 'cli', 'main.js')).href)
  dropOtherOutputListeners()
  // oclif finds the package from here (package.json, oclif.manifest.json); not from bin/, whose package.json only
  // says CommonJS.
  await execute({dir: root})
}

/**
 * Control characters (a path may hold any) as \xNN escapes, so nothing reaches the terminal raw; lines kept in a
 * stack. src/core/printable.ts does this for everything else; this runs when the bundle holding it is missing.
 */
function visible(text, lines = false) {
  return text.replace(lines ? /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g : /[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

main().catch((error) => {
  // oclif's execute handles every command's errors itself: what reaches here is a missing or broken build (a
  // checkout not built, a package missing files). One line and exit 70 (internal), the stack with --debug.
  const missing = (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND') && /dist[\\/]bundle/.test(String(error.message))
  const what = missing ? `this vipctl is not built or is missing files (${String(error.message).split('\n')[0]})` : `internal error: ${String(error?.message ?? error).split('\n')[0]}`
  process.stderr.write(`error: ${visible(what)} (${missing ? 'run npm run build in a checkout, or reinstall' : 'run again with --debug and report it'})\n`)
  if (process.argv.includes('--debug') || process.env.VIPCTL_DEBUG === '1') process.stderr.write(`${visible(String(error?.stack ?? error), true)}\n`)
  process.exitCode = 70
})
