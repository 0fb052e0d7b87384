import assert from 'node:assert/strict'
import {Chalk} from 'chalk'
import {parse as parseYaml} from 'yaml'
import {classifyError} from '../../src/cli/base.js'
import {matchesSelector, parseSelector} from '../../src/cluster/selector.js'
import {DataError, ExitCode, UsageError} from '../../src/errors.js'
import {colorLevel} from '../../src/output/color.js'
import {MAX_CELL_LINE, render, toDocument, type ListResult} from '../../src/output/render.js'

const rows: ListResult<{name: string; n: number}> = {
  type: 'list',
  kind: 'Thing',
  items: [{name: 'alpha', n: 1}, {name: 'b', n: 22}],
  name: (r) => `thing/${r.name}`,
  columns: [
    {header: 'NAME', get: (r) => r.name},
    {header: 'N', get: (r) => String(r.n), style: (_r, t, c) => c.red(t)},
    {header: 'WIDE', wide: true, get: () => 'w'},
  ],
}
const plain = {chalk: new Chalk({level: 0})}

describe('output renderer', () => {
  it('prints kubectl-style tables: no borders, upper-case headers, two-space gaps, no trailing spaces', () => {
    assert.equal(render(rows, 'table', plain), 'NAME   N\nalpha  1\nb      22\n')
    assert.equal(render(rows, 'wide', plain), 'NAME   N   WIDE\nalpha  1   w\nb      22  w\n')
  })

  it('a cell line longer than MAX_CELL_LINE ends in "…" in tables (a 200,000-character cell took minutes to lay out); json keeps it whole', () => {
    const long: ListResult<{name: string}> = {type: 'list', kind: 'Thing', items: [{name: 'x'.repeat(200_000)}], name: (r) => r.name, columns: [{header: 'NAME', get: (r) => [r.name, 'short']}]}
    const lines = render(long, 'table', plain).split('\n')
    assert.equal(lines[1], `${'x'.repeat(MAX_CELL_LINE - 1)}…`)
    assert.equal(lines[2], 'short')
    assert.equal(JSON.parse(render(long, 'json', plain)).items[0].name.length, 200_000)
  })

  it('keeps ANSI colour out of column widths', () => {
    const out = render(rows, 'table', {chalk: new Chalk({level: 1})})
    assert.match(out, /\u001b\[31m22\u001b\[39m/)
    assert.equal(out.replace(/\u001b\[[0-9;]*m/g, ''), 'NAME   N\nalpha  1\nb      22\n')
  })

  it('json and yaml carry apiVersion and a List kind; name and jsonl print one line per item', () => {
    const doc = JSON.parse(render(rows, 'json', plain))
    assert.deepEqual(doc, {apiVersion: 'vipctl.io/v1alpha1', kind: 'ThingList', items: rows.items})
    assert.deepEqual(parseYaml(render(rows, 'yaml', plain)), doc)
    assert.equal(render(rows, 'name', plain), 'thing/alpha\nthing/b\n')
    assert.deepEqual(render(rows, 'jsonl', plain).trim().split('\n').map((l) => JSON.parse(l)), rows.items.map((i) => ({apiVersion: 'vipctl.io/v1alpha1', kind: 'Thing', ...i})))
    assert.deepEqual(toDocument({type: 'doc', kind: 'Version', data: {v: 1}, text: () => ''}), {apiVersion: 'vipctl.io/v1alpha1', kind: 'Version', v: 1})
  })

  it('decides colour from flag, NO_COLOR, FORCE_COLOR and the terminal', () => {
    assert.equal(colorLevel({env: {}, isTTY: true}), 1)
    assert.equal(colorLevel({env: {}, isTTY: false}), 0)
    assert.equal(colorLevel({env: {NO_COLOR: '1'}, isTTY: true}), 0)
    assert.equal(colorLevel({env: {FORCE_COLOR: '3'}, isTTY: false}), 3)
    assert.equal(colorLevel({env: {FORCE_COLOR: '0'}, isTTY: true}), 0)
    assert.equal(colorLevel({env: {}, isTTY: true, flag: false}), 0)
    assert.equal(colorLevel({env: {}, isTTY: false, flag: true}), 1)
    assert.equal(colorLevel({env: {TERM: 'dumb'}, isTTY: true}), 0)
    assert.equal(colorLevel({env: {COLORTERM: 'truecolor'}, isTTY: true}), 3)
  })
})

describe('errors', () => {
  it('maps typed errors, parser errors and bugs to documented exit codes in one line', () => {
    assert.equal(classifyError(new DataError('bad\nthing')).exit, ExitCode.DataErr)
    assert.equal(classifyError(new DataError('bad\nthing')).message, 'bad thing')
    assert.equal(classifyError(new UsageError('x')).exit, 64)
    assert.equal(classifyError(Object.assign(new Error('Nonexistent flag: --nope\nSee more help with --help'), {oclif: {exit: 2}})).exit, 64)
    const bug = classifyError(new TypeError('x is undefined'))
    assert.equal(bug.exit, 70)
    assert.match(bug.message, /^internal error: x is undefined$/)
  })
})

describe('label selectors', () => {
  it('parses and matches kubectl forms', () => {
    const l = {app: 'web', tier: 'front'}
    const m = (s: string) => matchesSelector(parseSelector(s), l)
    assert.ok(m('app=web'))
    assert.ok(m('app==web,tier'))
    assert.ok(!m('app!=web'))
    assert.ok(m('tier in (front, back)'))
    assert.ok(!m('tier notin (front)'))
    assert.ok(m('!missing'))
    assert.ok(!m('missing'))
    for (const bad of ['a=b c', 'in (x)', 'a=$(x)', 'a=b\nc']) assert.throws(() => parseSelector(bad), (e: unknown) => e instanceof UsageError)
  })
})
