/** Parsing -o: a named format, or kubectl's jsonpath / jsonpath-file / custom-columns with their template. */
import {readFileSync} from 'node:fs'
import {DataError, UsageError} from '../errors.js'
import {printableShort} from '../core/printable.js'
import {valueHint} from '../core/suggest.js'
import {parseCustomColumns, parseTemplate} from './jsonpath.js'
import type {OutputFormat} from './render.js'

/** The templated -o values, as help shows them. */
export const TEMPLATE_FORMATS = ['jsonpath=TEMPLATE', 'jsonpath-file=FILE', 'custom-columns=SPEC'] as const

/**
 * The -o value as a format: one of `names`, or `jsonpath=`, `jsonpath-file=`,
 * `custom-columns=` with a template (UsageError, exit 64, when it is bad; a
 * template file that cannot be read is a DataError, exit 65, as for -f).
 */
export function parseOutput(input: string, names: readonly string[], readFile: (file: string) => string = (f) => readFileSync(f, 'utf8')): OutputFormat {
  if (names.includes(input)) return input as OutputFormat
  const eq = input.indexOf('=')
  const kind = eq < 0 ? input : input.slice(0, eq)
  const arg = eq < 0 ? undefined : input.slice(eq + 1)
  if (kind === 'jsonpath' || kind === 'jsonpath-file' || kind === 'custom-columns') {
    if (arg === undefined) throw new UsageError(`-o ${kind}: expected ${kind}=${kind === 'jsonpath' ? 'TEMPLATE' : kind === 'jsonpath-file' ? 'FILE' : 'SPEC'}`, 'see --help')
    if (kind === 'custom-columns') return {type: 'custom-columns', columns: parseCustomColumns(arg)}
    if (kind === 'jsonpath') return {type: 'jsonpath', template: parseTemplate(arg)}
    let text: string
    try {
      text = readFile(arg)
    } catch (e) {
      throw new DataError(`-o jsonpath-file ${printableShort(arg, 80)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : printableShort(String((e as Error).message), 80)}`)
    }
    return {type: 'jsonpath', template: parseTemplate(text)}
  }
  throw new UsageError(`-o ${printableShort(input, 60)}: unknown output format; expected one of ${[...names, ...TEMPLATE_FORMATS].join(', ')}`, valueHint(kind, [...names, 'jsonpath', 'jsonpath-file', 'custom-columns']))
}
