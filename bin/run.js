#!/usr/bin/env node
// Production entry point (also installed as kubectl-vip): the bundled build
// (npm run build; scripts/bundle.mjs), so a command loads a few files, not hundreds.
// Two answers come before oclif loads: `vipctl version` (src/cli/fast.ts) and help
// (src/cli/help-fast.ts: oclif's help code over oclif.manifest.json); everything else is oclif's.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {mayBeHelp, plainVersion, printVersion} from '../dist/bundle/src/cli/fast.js'

const argv = process.argv.slice(2)
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const format = plainVersion(argv)
if (format) {
  await printVersion(format, pjson.version)
} else if (!(mayBeHelp(argv, pjson.oclif) && (await (await import('../dist/bundle/src/cli/help-fast.js')).fastHelp(argv, fileURLToPath(new URL('..', import.meta.url)))))) {
  const {execute} = await import('../dist/bundle/src/cli/main.js')
  await execute({dir: import.meta.url})
}
