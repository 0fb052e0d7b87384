#!/usr/bin/env node
// kubectl_complete-vip: kubectl (1.26 and later) completes `kubectl vip <TAB>` by running this with the words
// after `vip` (the last one being completed, '' for a new word) and reading cobra's reply: one candidate a line,
// then `:<directive>`. The same computation as `vipctl __complete`, without oclif: the manifest is read directly.
import {runCompletion, specFromFiles} from '../dist/bundle/src/cli/completion.js'

let spec
try {
  spec = specFromFiles(new URL('../', import.meta.url))
} catch {
  // No manifest (an unbuilt checkout): nothing to offer, and no file names either.
  process.stdout.write(':4\n')
  process.exit(0)
}
await runCompletion(process.argv.slice(2), spec)
