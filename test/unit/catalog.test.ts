/**
 * The message catalog is the only source of a diagnostic's severity and the
 * list of codes: no severity literal in src/, every code emitted is in the
 * catalog, and the README's code table matches it (code and severity).
 */
import assert from 'node:assert/strict'
import {readFileSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'
import {CATALOG} from '../../src/core/catalog.js'

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('message catalog', () => {
  const sources = [...files('src'), ...files('commands')].filter((f) => !f.endsWith(path.join('core', 'catalog.ts'))).map((f) => ({f, text: readFileSync(f, 'utf8')}))

  it('no diagnostic in src/ or commands/ spells its severity: it comes from the catalog (severityOf)', () => {
    const bad = sources.flatMap(({f, text}) => [...text.matchAll(/severity: '(error|warning|info)'/g)].map(() => f))
    assert.deepEqual(bad, [])
  })

  it('every code the sources emit is in the catalog', () => {
    const used = new Set(sources.flatMap(({text}) => [...text.matchAll(/'(VIP\d{4})'/g)].map((m) => m[1]!)))
    assert.ok(used.size > 30, `${used.size} codes found`)
    assert.deepEqual([...used].filter((c) => !CATALOG.has(c)).sort(), [])
  })

  it("the README's code table lists every catalog code with the catalog's severity", () => {
    const readme = readFileSync('README.md', 'utf8')
    const rows = new Map([...readme.matchAll(/^\| (VIP\d{4}) \| (error|warning|info) \|/gm)].map((m) => [m[1]!, m[2]!]))
    const wrong = [...CATALOG.values()].filter((e) => rows.get(e.code) !== e.severity).map((e) => `${e.code}: README ${rows.get(e.code) ?? 'missing'}, catalog ${e.severity}`)
    assert.deepEqual(wrong, [])
  })
})
