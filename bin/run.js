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
 * Standard output that cannot be written. A reader that went away (EPIPE: `vipctl ... | head`) is not an error: the
 * rest of the output is dropped and the command ends as it would. Any other failure (ENOSPC on a full disk, EIO) is
 * one line on stderr, once (none for the completion callback, whose stderr kubectl shows), and exit code 74 when
 * the process ends; the command runs to its end meanwhile (an apply is not cut short by its report). oclif's own
 * listener, which rethrows such errors (a stack trace and exit 1, read as "findings"), is removed once oclif has
 * loaded (dropOtherOutputListeners). Failures of stderr itself are ignored: nothing is left to say them on.
 */
function guardOutput(quiet) {
  let failed = false
  const onStdout = (error) => {
    if (error?.code === 'EPIPE' || failed) return
    failed = true
    if (!quiet) {
      const reason = /^[A-Z0-9_]+: ([^,\n]+)/.exec(String(error?.message))?.[1] ?? 'write failed'
      try {
        require('node:fs').writeSync(2, `error: cannot write the output: ${visible(reason)}${error?.code ? ` (${visible(String(error.code))})` : ''}\n`)
      } catch {
        // stderr fails too: the exit code says it
      }
    }
    process.exitCode = 74
  }
  process.stdout.on('error', onStdout)
  process.stderr.on('error', () => undefined)
  // A command's own exit code (process.exit(n) included) gives way to 74: what it printed was not all written.
  process.on('exit', () => {
    if (failed) process.exitCode = 74
  })
  return () => {
    for (const listener of process.stdout.listeners('error')) if (listener !== onStdout) process.stdout.removeListener('error', listener)
  }
}

async function main() {
  const {mayBeHelp, plainVersion} = require('../dist/bundle/src/cli/fast.cjs')
  const argv = process.argv.slice(2)
  const dropOtherOutputListeners = guardOutput(argv[0] === '__complete')
  const root = path.join(__dirname, '..')
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  const format = plainVersion(argv)
  if (format) return require('../dist/bundle/src/cli/version-print.cjs').printVersion(format, pjson.version)
  if (mayBeHelp(argv, pjson.oclif) && (await require('../dist/bundle/src/cli/help-fast.cjs').fastHelp(argv, root))) return
  // The completion scripts' callback (every TAB): what commands/__complete.ts does (the manifest's commands, cobra's
  // protocol), without loading oclif; oclif answers it when there is no manifest (a checkout in development). A
  // manifest that cannot be read (not a regular file, too large, not a manifest) offers nothing, as
  // kubectl_complete-vip does (bin/complete.js).
  if (argv[0] === '__complete' && existsSync(path.join(root, 'oclif.manifest.json'))) {
    const completion = await import(pathToFileURL(path.join(root, 'dist', 'bundle', 'src', 'cli', 'completion.js')).href)
    let spec
    try {
      spec = completion.specFromFiles(pathToFileURL(root + path.sep))
    } catch {
      process.stdout.write(':4\n')
      return
    }
    return completion.runCompletion(argv[1] === '--' ? argv.slice(2) : argv.slice(1), spec)
  }
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
