/** Tables that fit the terminal: which columns are cut, how, and how wide the terminal is taken to be. */
import assert from 'node:assert/strict'
import {Chalk} from 'chalk'
import {fitWidths, render, type ListResult} from '../../src/output/render.js'
import {displayWidth, outputWidth, truncate} from '../../src/output/width.js'

const plain = {chalk: new Chalk({level: 0})}
const maxLine = (s: string) => Math.max(...s.split('\n').map(displayWidth))

interface Row {
  namespace: string
  name: string
  state: string
  paths: string[]
  note: string
}
const rows: ListResult<Row> = {
  type: 'list',
  kind: 'Thing',
  items: [
    {namespace: 'production-eu', name: 'storefront-frontend-web', state: 'Ready', paths: ['shop.example.com/ -> frontend:80', 'shop.example.com/api/catalog -> catalog:80'], note: 'n'.repeat(40)},
    {namespace: 'shop', name: 'api', state: 'NotReady', paths: ['api.example.com/v1 -> api:80'], note: 'short'},
  ],
  name: (r) => `thing/${r.name}`,
  columns: [
    {header: 'NAMESPACE', min: 12, get: (r) => r.namespace},
    {header: 'NAME', min: 20, get: (r) => r.name},
    {header: 'STATE', fixed: true, get: (r) => r.state, style: (_r, t, c) => c.red(t)},
    {header: 'PATHS', get: (r) => r.paths},
    {header: 'NOTE', get: (r) => r.note},
    {header: 'EXTRA', wide: true, get: () => 'x'.repeat(60)},
  ],
}

describe('tables fit the width', () => {
  it('fitWidths cuts the widest column above its minimum first, the rightmost of equals, one column at a time', () => {
    // 29 wide with its two gaps.
    assert.deepEqual(fitWidths([10, 10, 5], [3, 3, 5], 29), [10, 10, 5])
    // Cut from the two 10s alternately, the rightmost first.
    assert.deepEqual(fitWidths([10, 10, 5], [3, 3, 5], 25), [8, 8, 5])
    assert.deepEqual(fitWidths([10, 10, 5], [3, 3, 5], 26), [9, 8, 5])
    // Minimums hold even when the table cannot fit.
    assert.deepEqual(fitWidths([10, 10, 5], [6, 7, 5], 10), [6, 7, 5])
    // Identity columns last: the 30-wide one waits until the other is at its minimum.
    assert.deepEqual(fitWidths([30, 20], [20, 5], 40, [true, false]), [30, 8])
    assert.deepEqual(fitWidths([30, 20], [20, 5], 30, [true, false]), [23, 5])
  })

  it('at 80 columns: no line is wider, cut cells end in "…", fixed and identity columns are whole', () => {
    const out = render(rows, 'table', {...plain, width: 80})
    assert.ok(maxLine(out) <= 80, out)
    assert.match(out, /…/)
    assert.match(out, /storefront-frontend-web/)
    assert.match(out, /NotReady/)
    assert.match(out, /production-eu/)
    assert.doesNotMatch(out, /EXTRA/)
    // Each line of a multi-line cell is cut on its own: the row keeps its two lines.
    assert.equal(out.trimEnd().split('\n').length, 4)
  })

  it('the same input gives the same cut, and a narrower width never widens a column', () => {
    const a = render(rows, 'table', {...plain, width: 70})
    assert.equal(render(rows, 'table', {...plain, width: 70}), a)
    assert.ok(maxLine(a) <= 70, a)
    const widths = (s: string) => s.split('\n')[0]!.match(/\S+\s*/g)!.map((w) => w.length)
    const b = render(rows, 'table', {...plain, width: 60})
    widths(b).slice(0, -1).forEach((w, i) => assert.ok(w <= widths(a)[i]!, `${b}\n${a}`))
  })

  it('NAME is cut no shorter than its minimum, even when the table cannot fit', () => {
    const out = render(rows, 'table', {...plain, width: 20})
    assert.match(out, /storefront-frontend…/)
    assert.match(out, /production-/)
  })

  it('-o wide and tables without a width are never cut', () => {
    for (const out of [render(rows, 'wide', {...plain, width: 40}), render(rows, 'table', plain)]) {
      assert.doesNotMatch(out, /…/)
      assert.match(out, /n{40}/)
    }
    assert.match(render(rows, 'wide', {...plain, width: 40}), /x{60}/)
  })

  it('--no-headers drops the header line (table and wide)', () => {
    for (const f of ['table', 'wide'] as const) {
      const out = render(rows, f, {...plain, width: 200, noHeaders: true})
      assert.doesNotMatch(out, /NAMESPACE/)
      assert.match(out.split('\n')[0]!, /^production-eu/)
    }
  })

  it('colour codes do not count towards the width', () => {
    const out = render(rows, 'table', {chalk: new Chalk({level: 1}), width: 60})
    assert.match(out, /\u001b\[31mReady\u001b\[39m/)
    assert.ok(maxLine(out.replace(/\u001b\[[0-9;]*m/g, '')) <= 60)
  })

  it('wide characters count two columns and are never split', () => {
    assert.equal(displayWidth('日本語'), 6)
    assert.equal(displayWidth('e\u0301'), 1)
    assert.equal(truncate('日本語テキスト', 6), '日本…')
    assert.equal(truncate('abcdef', 6), 'abcdef')
    assert.equal(truncate('abcdefg', 6), 'abcde…')
    const cjk: ListResult<{n: string}> = {type: 'list', kind: 'T', items: [{n: '名前'.repeat(20)}], name: (r) => r.n, columns: [{header: 'NAME', get: (r) => r.n}, {header: 'X', get: () => 'x'}]}
    const out = render(cjk, 'table', {...plain, width: 30})
    assert.ok(maxLine(out) <= 30, out)
  })

  it('a table of 200,000 rows lays out (no call-stack overflow: the old table library could not)', function () {
    this.timeout(60_000)
    const big: ListResult<{n: number}> = {type: 'list', kind: 'T', items: Array.from({length: 200_000}, (_x, n) => ({n})), name: (r) => String(r.n), columns: [{header: 'N', get: (r) => String(r.n)}, {header: 'NAME', get: (r) => `svc-${r.n}`}]}
    const out = render(big, 'table', {...plain, width: 80})
    const lines = out.trimEnd().split('\n')
    assert.equal(lines.length, 200_001)
    assert.equal(lines.at(-1), '199999  svc-199999')
  })

  it('outputWidth: $COLUMNS, else the terminal, else 80; nonsense is ignored, tiny is raised to 20', () => {
    assert.equal(outputWidth({}, {isTTY: false}), 80)
    assert.equal(outputWidth({}, {isTTY: true, columns: 132}), 132)
    assert.equal(outputWidth({COLUMNS: '100'}, {isTTY: true, columns: 132}), 100)
    assert.equal(outputWidth({COLUMNS: '120'}, {isTTY: false}), 120)
    for (const bad of ['', 'abc', '-5', '0', '1e3', ' 90']) assert.equal(outputWidth({COLUMNS: bad}, {isTTY: false}), 80, bad)
    assert.equal(outputWidth({COLUMNS: '5'}, {isTTY: false}), 20)
  })
})
