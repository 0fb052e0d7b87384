/** Parsing -o: a named format, or kubectl's jsonpath / jsonpath-file / custom-columns with their template. */
import {DataError, UsageError, VipError} from '../errors.js'
import {readBounded} from '../core/read-bounded.js'
import {printableShort} from '../core/printable.js'
import {valueHint} from '../core/suggest.js'
import {parseCustomColumns, parseTemplate} from './jsonpath.js'
import type {OutputFormat} from './render.js'

/** A jsonpath template file is never larger than this. */
export const TEMPLATE_MAX_BYTES = 1024 * 1024

/** The templated -o values, as help shows them. */
export const TEMPLATE_FORMATS = ['jsonpath=TEMPLATE', 'jsonpath-file=FILE', 'custom-columns=SPEC'] as const

/**
 * The -o value as a format: one of `names`, or `jsonpath=`, `jsonpath-file=`,
 * `custom-columns=` with a template (UsageError, exit 64, when it is bad; a
 * template file that cannot be read is a DataError, exit 65, as for -f; one
 * that may not be read, exit 77). The file is read bounded: a regular file of
 * at most 1 MiB, never a named pipe or a device (one line, exit 65).
 */
export function parseOutput(
  input: string,
  names: readonly string[],
  readFile: (file: string) => string = (f) => readBounded(f, TEMPLATE_MAX_BYTES, `-o jsonpath-file ${printableShort(f, 80)}`).toString('utf8'),
): OutputFormat {
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
      if (e instanceof VipError) throw e
      throw new DataError(`-o jsonpath-file ${printableShort(arg, 80)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : printableShort(String((e as Error).message), 80)}`)
    }
    return {type: 'jsonpath', template: parseTemplate(text)}
  }
  throw new UsageError(`-o ${printableShort(input, 60)}: unknown output format; expected one of ${[...names, ...TEMPLATE_FORMATS].join(', ')}`, valueHint(kind, [...names, 'jsonpath', 'jsonpath-file', 'custom-columns']))
}
