#!/usr/bin/env node
// kubectl_complete-vip: kubectl (1.26 and later) completes `kubectl vip <TAB>` by running this with the words
// after `vip` (the last one being completed, '' for a new word) and reading cobra's reply: one candidate a line,
// then `:<directive>`. The same computation as `vipctl __complete`, without oclif: the manifest is read directly.
// kubectl shows this program's stderr on the terminal, so nothing is ever written there. CommonJS (bin/package.json).
'use strict'
const path = require('node:path')
const {pathToFileURL} = require('node:url')

// Standard output that fails (a full disk, a reader gone): nothing to say, and never on stderr.
process.stdout.on('error', () => undefined)

async function main() {
  let completion
  let spec
  try {
    completion = await import(pathToFileURL(path.join(__dirname, '..', 'dist', 'bundle', 'src', 'cli', 'completion.js')).href)
    // kubectl runs this: texts name the program as help does under kubectl (kubectl vip).
    spec = completion.specFromFiles(pathToFileURL(path.join(__dirname, '..') + path.sep), completion.KUBECTL_PLUGIN_NAME)
  } catch {
    // An unbuilt checkout (no bundle or no manifest): nothing to offer, and no file names either.
    process.stdout.write(':4\n')
    process.exit(0)
  }
  await completion.runCompletion(process.argv.slice(2), spec)
}

main().catch(() => {
  process.stdout.write(':4\n')
})
