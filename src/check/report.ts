/**
 * Findings for CI consumers: JUnit XML (one testcase per finding; those at or above
 * --fail-on are failures) and SARIF 2.1.0 (one rule per catalog code, results with
 * file/line where the finding came from a manifest, and the object as a logical location).
 */
import type {Severity} from '../cluster/types.js'
import {CATALOG} from '../core/catalog.js'
import type {FailOn, Finding} from './check.js'
import {escapeChar, jsonText} from '../core/printable.js'

const RANK: Record<Severity, number> = {error: 0, warning: 1, info: 2}

/**
 * XML 1.0 text and attribute values, with no raw control or invisible character:
 * - characters XML 1.0 cannot carry at all, not even as a reference (C0 controls
 *   but tab, LF, CR; lone surrogates; U+FFFE/FFFF) become visible escapes (`\x1b`),
 *   as on a terminal;
 * - the ones it can (DEL, C1 such as U+009B and U+0085, U+2028/2029, bidi and
 *   zero-width characters, BOM) become character references, so a parser gets the
 *   original value and the file shows no raw control character;
 * - tab, LF and CR become references too: the value keeps them (a parser would
 *   normalize them away in attributes), and no line of the file starts with
 *   text from an object.
 */
export function xml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\ufffe\uffff]/gu, (ch) => {
      const cp = ch.codePointAt(0)!
      if (cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x100 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000)
        return `&#x${cp.toString(16)};`
      return escapeChar(ch)
    })
}

export function junit(findings: Finding[], failOn: FailOn): string {
  const failing = (f: Finding) => failOn !== 'never' && RANK[f.severity] <= RANK[failOn]
  const failures = findings.filter(failing).length
  const cases = findings.map((f) => {
    const attrs = `classname="${xml(f.code)}" name="${xml(`${f.object}${f.field ? ` ${f.field}` : ''}`)}"${f.file ? ` file="${xml(f.file)}" line="${f.line}"` : ''}`
    const text = `${xml(f.message)}\nfix: ${xml(f.hint)}`
    return failing(f)
      ? `    <testcase ${attrs}>\n      <failure type="${xml(f.severity)}" message="${xml(`${f.code} ${f.title}: ${f.message}`)}">${text}</failure>\n    </testcase>`
      : `    <testcase ${attrs}>\n      <system-out>${xml(f.severity)}: ${text}</system-out>\n    </testcase>`
  })
  if (cases.length === 0) cases.push('    <testcase classname="vipctl" name="no findings"/>')
  const n = Math.max(findings.length, 1)
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="vipctl check" tests="${n}" failures="${failures}">\n  <testsuite name="vipctl check" tests="${n}" failures="${failures}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`
}

export function sarif(findings: Finding[], version: string): string {
  const rules = [...CATALOG.values()]
  const index = new Map(rules.map((r, i) => [r.code, i]))
  const level = (s: Severity) => (s === 'info' ? 'note' : s)
  const doc = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'vipctl',
            version,
            rules: rules.map((r) => ({
              id: r.code,
              name: r.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')),
              shortDescription: {text: r.title},
              help: {text: r.hint},
              defaultConfiguration: {level: level(r.severity)},
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.code,
          ruleIndex: index.get(f.code),
          level: level(f.severity),
          message: {text: `${f.message} (${f.object}${f.field ? ` ${f.field}` : ''})`},
          locations: [
            {
              ...(f.file ? {physicalLocation: {artifactLocation: {uri: f.file.replace(/^\.\//, '')}, region: {startLine: Math.max(f.line ?? 1, 1)}}} : {}),
              logicalLocations: [{fullyQualifiedName: `${f.object}${f.field ? `#${f.field}` : ''}`, kind: 'object'}],
            },
          ],
        })),
      },
    ],
  }
  return `${jsonText(doc, 2)}\n`
}
