/**
 * `vipctl version` answered before oclif loads (bin/run.js, when src/cli/fast.ts's plainVersion says argv is a
 * plain `version`): its own bundled file, so that the renderer and chalk load only for it.
 */
import {versionResult} from '../version/version.js'
import {render, toDocument} from '../output/render.js'
import {makeChalk} from '../output/color.js'
import {jsonText} from '../core/printable.js'
import type {plainVersion} from './fast.js'

/** Prints what `vipctl version` prints for `format`; `version` is the package's. */
export function printVersion(format: NonNullable<ReturnType<typeof plainVersion>>, version: string): void {
  const result = versionResult(version, process.versions.node, `${process.platform}/${process.arch}`)
  if (format === '--json') process.stdout.write(`${jsonText(toDocument(result), 2)}\n`)
  else process.stdout.write(render(result, format, {chalk: makeChalk({env: process.env, isTTY: Boolean(process.stdout.isTTY)})}))
}
