/**
 * Findings for CI consumers: JUnit XML (one testcase per finding; those at or above
 * --fail-on are failures) and SARIF 2.1.0 (one rule per catalog code, results with
 * file/line where the finding came from a manifest, and the object as a logical location).
 */
import type {Severity} from '../cluster/types.js'
import {CATALOG} from './catalog.js'
import type {FailOn, Finding} from './check.js'

const RANK: Record<Severity, number> = {error: 0, warning: 1, info: 2}

/** XML 1.0 text: escaped, and without the control characters XML cannot carry. */
function xml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

export function junit(findings: Finding[], failOn: FailOn): string {
  const failing = (f: Finding) => failOn !== 'never' && RANK[f.severity] <= RANK[failOn]
  const failures = findings.filter(failing).length
  const cases = findings.map((f) => {
    const attrs = `classname="${xml(f.code)}" name="${xml(`${f.object}${f.field ? ` ${f.field}` : ''}`)}"${f.file ? ` file="${xml(f.file)}" line="${f.line}"` : ''}`
    const text = `${f.message}\nfix: ${f.hint}`
    return failing(f)
      ? `    <testcase ${attrs}>\n      <failure type="${f.severity}" message="${xml(`${f.code} ${f.title}: ${f.message}`)}">${xml(text)}</failure>\n    </testcase>`
      : `    <testcase ${attrs}>\n      <system-out>${xml(`${f.severity}: ${text}`)}</system-out>\n    </testcase>`
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
  return `${JSON.stringify(doc, null, 2)}\n`
}
