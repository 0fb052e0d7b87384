/**
 * A JSON kubeconfig is read by JSON.parse instead of the YAML reader (start-up: the YAML reader's first parse costs
 * ~20 ms before a live command's first request), only when YAML would read it exactly the same; anything else goes
 * to the YAML reader, with its messages.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {isDeepStrictEqual} from 'node:util'
import {parseDocument} from 'yaml'
import {jsonKubeconfig, loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {DataError} from '../../src/errors.js'

/** What the YAML reader makes of the text (as kubeconfig.ts reads it), or undefined when it refuses it. */
function yamlReads(text: string): unknown {
  const doc = parseDocument(text, {uniqueKeys: true, schema: 'core', prettyErrors: false})
  if (doc.errors.length > 0 || doc.warnings.some((w) => w.code === 'TAG_RESOLVE_FAILED')) return undefined
  return doc.toJS({maxAliasCount: 100})
}

/** The JSON path takes the text only when YAML reads it the same. */
function agrees(text: string): boolean {
  const fast = jsonKubeconfig(text)
  if (fast === undefined) return false
  const y = yamlReads(text)
  assert.ok(y !== undefined, `the JSON path took a text YAML refuses: ${JSON.stringify(text).slice(0, 200)}`)
  assert.ok(isDeepStrictEqual(fast, y), `JSON and YAML differ on ${JSON.stringify(text).slice(0, 200)}`)
  return true
}

describe('kubeconfig: a JSON kubeconfig read without the YAML reader, exactly as YAML reads it', () => {
  const TMP = mkdtempSync(path.join(os.tmpdir(), 'vipctl-kc-json-'))
  after(() => rmSync(TMP, {recursive: true, force: true}))

  it('takes JSON objects, compact or pretty, with any JSON values and escapes', () => {
    for (const text of [
      '{}',
      ' \n{"a":1}\n',
      '{\r\n  "a": {"b": [1, -1, 0, -0, 1.5, 1e5, 1E-7, -2.5e+3, 12345678901234567890, 1e400]},\r\n  "t": true, "f": false, "z": null\r\n}',
      '{"s": "\\u00e9\\/\\b\\f\\n\\r\\t\\"\\\\ \\u0000 \\ud800 # & * ! --- ..."}',
      '{"a": [{"k": 1}, {"k": 2}], "b": {"k": 3}, "": {}, "__proto__": {"x": 1}}',
      `{"${'k'.repeat(900)}": 1}`,
    ])
      assert.ok(agrees(text), text)
  })

  it('leaves to the YAML reader what YAML reads otherwise or refuses: repeated keys, tabs, a key and its colon on two lines, long keys, non-ASCII, not an object', () => {
    for (const text of [
      '{"a": 1, "a": 2}',
      '{"a": {"b": 1, "b": 2}}',
      '{"a\\"b": 1, "a\\"b": 2}',
      '{"a": 1, "\\u0061": 2}',
      '{\n\t"a": 1\n}',
      '{"a"\n: 1}',
      `{"${'k'.repeat(1100)}": 1}`,
      '{"a": "é"}',
      '{"a": "\u2028"}',
      '\uFEFF{"a": 1}',
      '[{"a": 1}]',
      '"a"',
      'null',
      '{"a": 1',
      'a: 1',
      '{a: 1}',
    ])
      assert.equal(jsonKubeconfig(text), undefined, text)
  })

  it('agrees with the YAML reader on random JSON objects, repeated keys spliced into some', () => {
    let seed = 7
    const rnd = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return Math.floor((seed / 2 ** 31) * k)
    }
    const chars = 'ab:,{}[]" \\/#&*!-\'%@`|>'
    const str = () => Array.from({length: rnd(6)}, () => chars[rnd(chars.length)]).join('')
    const val = (d: number): unknown => {
      const r = rnd(d > 3 ? 5 : 8)
      return r === 0 ? rnd(1000) - 500 : r === 1 ? str() : r === 2 ? null : r === 3 ? rnd(2) === 0 : r === 4 ? rnd(1e6) / 7 : r === 5 ? Array.from({length: rnd(4)}, () => val(d + 1)) : Object.fromEntries(Array.from({length: rnd(4)}, () => [str(), val(d + 1)]))
    }
    let taken = 0
    let spliced = 0
    for (let i = 0; i < 3000; i++) {
      let text = JSON.stringify(Object.fromEntries(Array.from({length: 1 + rnd(4)}, () => [str(), val(0)])), null, rnd(2) ? 2 : undefined)
      const key = /"((?:[^"\\]|\\.)*)":/.exec(text)
      if (rnd(4) === 0 && key) {
        text = text.replace('{', `{"${key[1]}":0,`)
        spliced++
        assert.equal(jsonKubeconfig(text), undefined, text)
      }
      if (agrees(text)) taken++
    }
    assert.ok(taken > 2000 && spliced > 500, `${taken} taken, ${spliced} with a repeated key`)
  })

  it('loadKubeConfig: a JSON kubeconfig loads as before; one with a repeated key fails with the YAML reader\'s message naming the line', () => {
    const cfg = {apiVersion: 'v1', kind: 'Config', 'current-context': 'c', clusters: [{name: 'c', cluster: {server: 'https://127.0.0.1:6443'}}], users: [{name: 'u', user: {token: 't'}}], contexts: [{name: 'c', context: {cluster: 'c', user: 'u', namespace: 'shop'}}]}
    const good = path.join(TMP, 'good.json')
    writeFileSync(good, JSON.stringify(cfg, null, 2))
    const kc = loadKubeConfig({kubeconfig: good}, {})
    assert.equal(kc.getCurrentContext(), 'c')
    assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:6443')
    assert.equal(kc.getContextObject('c')?.namespace, 'shop')
    const dup = path.join(TMP, 'dup.json')
    writeFileSync(dup, JSON.stringify(cfg, null, 2).replace('"kind": "Config",', '"kind": "Config",\n  "kind": "Config",'))
    assert.throws(() => loadKubeConfig({kubeconfig: dup}, {}), (e: unknown) => e instanceof DataError && e.message === `kubeconfig ${dup}: malformed YAML at line 4: Map keys must be unique`)
    const wrongKind = path.join(TMP, 'kind.json')
    writeFileSync(wrongKind, JSON.stringify({...cfg, kind: 'Pod'}))
    assert.throws(() => loadKubeConfig({kubeconfig: wrongKind}, {}), (e: unknown) => e instanceof DataError && e.message === `kubeconfig ${wrongKind}: kind: expected "Config", found "Pod"`)
  })
})
