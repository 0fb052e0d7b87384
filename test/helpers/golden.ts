/**
 * Golden files: compare text with test/golden/<name>; UPDATE_GOLDEN=1 rewrites
 * them. A mismatch fails with a unified diff.
 */
import {mkdirSync, readFileSync, writeFileSync, existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {createTwoFilesPatch} from 'diff'

export const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'golden')

export function assertGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name)
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(file, actual)
    return
  }
  if (!existsSync(file)) throw new Error(`golden file ${name} is missing: run with UPDATE_GOLDEN=1 to create it`)
  const expected = readFileSync(file, 'utf8')
  if (expected !== actual) {
    const patch = createTwoFilesPatch(`golden/${name}`, 'actual', expected, actual, '', '', {context: 3})
    throw new Error(`output differs from golden/${name} (UPDATE_GOLDEN=1 to accept):\n${patch}`)
  }
}
