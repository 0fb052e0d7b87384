#!/usr/bin/env node
// Production entry point (also installed as kubectl-vip): the bundled build
// (npm run build; scripts/bundle.mjs), so a command loads a few files, not hundreds.
// `vipctl version` is answered before oclif loads (src/cli/fast.ts); everything else is oclif's.
import {readFileSync} from 'node:fs'
import {plainVersion, printVersion} from '../dist/bundle/src/cli/fast.js'

const format = plainVersion(process.argv.slice(2))
if (format) {
  await printVersion(format, JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version)
} else {
  const {execute} = await import('../dist/bundle/src/cli/main.js')
  await execute({dir: import.meta.url})
}
