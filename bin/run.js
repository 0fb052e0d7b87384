#!/usr/bin/env node
// Production entry point (also installed as kubectl-vip): the bundled build (npm run build; scripts/bundle.mjs), so
// a command loads a few files, not hundreds. Two answers come before oclif loads: `vipctl version`
// (src/cli/fast.ts) and help (src/cli/help-fast.ts: oclif's help code over oclif.manifest.json); everything else
// is oclif's. This file and those two are CommonJS (bin/package.json): version and help never set up Node's ES
// module loader; a command loads the ES module bundle (dist/bundle/src/cli/main.js).
'use strict'
const {readFileSync} = require('node:fs')
const path = require('node:path')
const {pathToFileURL} = require('node:url')
const {mayBeHelp, plainVersion} = require('../dist/bundle/src/cli/fast.cjs')

async function main() {
  const argv = process.argv.slice(2)
  const root = path.join(__dirname, '..')
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  const format = plainVersion(argv)
  if (format) return require('../dist/bundle/src/cli/version-print.cjs').printVersion(format, pjson.version)
  if (mayBeHelp(argv, pjson.oclif) && (await require('../dist/bundle/src/cli/help-fast.cjs').fastHelp(argv, root))) return
  const {execute} = await import(pathToFileURL(path.join(root, 'dist', 'bundle', 'src', 'cli', 'main.js')).href)
  // oclif finds the package from here (package.json, oclif.manifest.json); not from bin/, whose package.json only
  // says CommonJS.
  await execute({dir: root})
}

main().catch((error) => {
  // What an uncaught error at the top of an ES module entry did: its stack on stderr, exit 1 (oclif's execute
  // handles every command's errors itself; this is for a missing or broken build).
  process.exitCode = 1
  console.error(error)
})
