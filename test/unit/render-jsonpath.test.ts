/** -o jsonpath / custom-columns / --sort-by: kubectl's documented examples, the template grammar, and bad templates. */
import assert from 'node:assert/strict'
import {Chalk} from 'chalk'
import {DataError, UsageError} from '../../src/errors.js'
import {columnText, execTemplate, parseCustomColumns, parseTemplate, relaxedPath} from '../../src/output/jsonpath.js'
import {parseOutput} from '../../src/output/format.js'
import {FORMATS, render, type ListResult} from '../../src/output/render.js'
import {parseSortBy, sortItems} from '../../src/output/sort.js'
import {oneLineError} from '../helpers/errors.js'

// The document of kubectl's JSONPath reference page (kubectl.docs: reference/kubectl/jsonpath).
const DOC = {
  kind: 'List',
  items: [
    {kind: 'None', metadata: {name: '127.0.0.1', labels: {'kubernetes.io/hostname': '127.0.0.1'}}, status: {capacity: {cpu: '4'}, addresses: [{type: 'LegacyHostIP', address: '127.0.0.1'}]}},
    {kind: 'None', metadata: {name: '127.0.0.2'}, status: {capacity: {cpu: '8'}, addresses: [{type: 'LegacyHostIP', address: '127.0.0.2'}, {type: 'another', address: '127.0.0.3'}]}},
  ],
  users: [
    {name: 'myself', user: {}},
    {name: 'e2e', user: {username: 'admin', password: 'secret'}},
  ],
}
const run = (t: string, doc: unknown = DOC) => execTemplate(parseTemplate(t), doc)
const usage = (f: () => unknown, re: RegExp) => assert.throws(f, oneLineError(UsageError, 64, re))

describe('-o jsonpath', () => {
  it("kubectl's documented examples", () => {
    assert.equal(run('{.kind}'), 'List')
    assert.equal(run("{['kind']}"), 'List')
    assert.equal(run('{$.kind}'), 'List')
    assert.equal(run('{..name}'), '127.0.0.1 127.0.0.2 myself e2e')
    assert.equal(run('{.items[*].metadata.name}'), '127.0.0.1 127.0.0.2')
    assert.equal(run('{.users[0].name}'), 'myself')
    assert.equal(JSON.parse(run('{.items[0]}')).metadata.name, '127.0.0.1')
    assert.equal(run('{.users[?(@.name=="e2e")].user.password}'), 'secret')
    assert.equal(run('{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}'), '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] ')
    assert.equal(run('{range .items[*]}{.metadata.name}{"\\t"}{.status.addresses[*].address}{"\\n"}{end}'), '127.0.0.1\t127.0.0.1\n127.0.0.2\t127.0.0.2 127.0.0.3\n')
    assert.equal(run('{.items[0].metadata.labels.kubernetes\\.io/hostname}'), '127.0.0.1')
    assert.equal(run("{.items[0].metadata.labels['kubernetes.io/hostname']}"), '127.0.0.1')
    assert.equal(run('{.items[-1:].metadata.name}'), '127.0.0.2')
    assert.equal(run('{.items[?(@.status.capacity.cpu=="8")].metadata.name}'), '127.0.0.2')
  })

  it('text outside braces is printed as it is; quoted literals take JSON escapes; ranges nest; @ is the current object', () => {
    assert.equal(run('kind={.kind}\\n'), 'kind=List\\n')
    assert.equal(run("{'a\\tb'}"), 'a\tb')
    assert.equal(run('{range .items[*]}{.metadata.name}:{range .status.addresses[*]}<{.type}>{end};{end}'), '127.0.0.1:<LegacyHostIP>;127.0.0.2:<LegacyHostIP><another>;')
    assert.equal(run('{range .users[*]}{@.name} {end}'), 'myself e2e ')
    assert.equal(run('{range .users[*]}{$.kind}{end}'), 'ListList')
    assert.equal(run('{range .items[*].metadata.name}{@},{end}'), '127.0.0.1,127.0.0.2,')
  })

  it('a missing path prints nothing; numbers, booleans and null as JSON', () => {
    assert.equal(run('{.nope}'), '')
    assert.equal(run('[{.items[5].metadata.name}]'), '[]')
    assert.equal(run('{.a} {.b} {.c}', {a: 80, b: true, c: null}), '80 true null')
  })

  it("strings from objects cannot reach the terminal raw (the template's own text can)", () => {
    assert.equal(run('{.name}{"\\n"}', {name: 'evil\u001b[2J\nname'}), 'evil\\x1b[2J\\nname\n')
  })

  it('bad templates are one-line usage errors (exit 64) naming the template', () => {
    usage(() => parseTemplate('{.items[*'), /never closed/)
    usage(() => parseTemplate('{.items[*}'), /never closed|unclosed/)
    usage(() => parseTemplate('{range .items[*]}{.name}'), /\{range\} without \{end\}/)
    usage(() => parseTemplate('{.name}{end}'), /\{end\} without \{range\}/)
    usage(() => parseTemplate('{}'), /empty \{\}/)
    usage(() => parseTemplate(''), /empty template/)
    usage(() => parseTemplate('{"unterminated}'), /never closed|bad literal/)
    usage(() => parseTemplate('{"a" "b"}'), /bad literal/)
    usage(() => parseTemplate('{items}'), /a path starts with/)
    usage(() => parseTemplate('{.items)}'), /unbalanced/)
    usage(() => parseTemplate('{.items.}'), /ends with/)
    // Filters are checked by jsonpath-plus when they run: a bad one is a usage error too.
    usage(() => run('{.items[?(@.kind=~"x")]}'), /jsonpath/)
    // Its safe evaluator only: no process, no functions.
    usage(() => run('{.items[?(process.exit(3))]}'), /process/)
  })
})

describe('-o custom-columns', () => {
  it("parses kubectl's HEADER:PATH list (braces optional, commas inside filters kept)", () => {
    assert.deepEqual(parseCustomColumns('NAME:.metadata.name,CPU:{.status.capacity.cpu},ADDR:.status.addresses[?(@.type=="a,b")].address'), [
      {header: 'NAME', path: '.metadata.name'},
      {header: 'CPU', path: '.status.capacity.cpu'},
      {header: 'ADDR', path: '.status.addresses[?(@.type=="a,b")].address'},
    ])
    assert.equal(relaxedPath('metadata.name', 'x'), '.metadata.name')
  })

  it('cells: several values joined by commas, <none> when missing', () => {
    assert.equal(columnText('.status.addresses[*].address', DOC.items[1]), '127.0.0.2,127.0.0.3')
    assert.equal(columnText('.metadata.labels', DOC.items[1]), '<none>')
  })

  it('renders a table over the items, with --no-headers, never cut', () => {
    const r: ListResult<{name: string; ports: number[]}> = {type: 'list', kind: 'Thing', items: [{name: 'web', ports: [80, 443]}, {name: 'db', ports: []}], name: (x) => x.name, columns: []}
    const f = parseOutput('custom-columns=NAME:.name,PORTS:.ports[*]', FORMATS)
    const plain = {chalk: new Chalk({level: 0}), width: 20}
    assert.equal(render(r, f, plain), 'NAME  PORTS\nweb   80,443\ndb    <none>\n')
    assert.equal(render(r, f, {...plain, noHeaders: true}), 'web  80,443\ndb   <none>\n')
  })

  it('bad specs are one-line usage errors', () => {
    usage(() => parseCustomColumns(''), /HEADER:PATH/)
    usage(() => parseCustomColumns('NAME'), /not HEADER:PATH/)
    usage(() => parseCustomColumns(':.name'), /not HEADER:PATH/)
    usage(() => parseCustomColumns('NAME:.a[0'), /unclosed/)
    usage(() => parseCustomColumns('NAME:'), /empty path/)
  })
})

describe('-o values', () => {
  it('named formats, templates, and a list of the valid ones for anything else', () => {
    assert.equal(parseOutput('wide', FORMATS), 'wide')
    assert.deepEqual(parseOutput('jsonpath={.kind}', FORMATS), {type: 'jsonpath', template: [{t: 'path', path: '.kind'}]})
    assert.equal((parseOutput('custom-columns=N:.name', FORMATS) as {type: string}).type, 'custom-columns')
    usage(() => parseOutput('xml', FORMATS), /unknown output format; expected one of table, wide, name, json, yaml, jsonl, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=SPEC/)
    usage(() => parseOutput('junit', FORMATS), /unknown output format/)
    assert.equal(parseOutput('junit', [...FORMATS, 'junit']), 'junit')
    usage(() => parseOutput('jsonpath', FORMATS), /expected jsonpath=TEMPLATE/)
    usage(() => parseOutput('custom-columns', FORMATS), /expected custom-columns=SPEC/)
  })

  it('jsonpath-file reads the template from a file; an unreadable one is exit 65', () => {
    const f = parseOutput('jsonpath-file=t.txt', FORMATS, (file) => (file === 't.txt' ? '{.kind}\n' : ''))
    assert.equal(render({type: 'doc', kind: 'Version', data: {}, text: () => ''}, f, {chalk: new Chalk({level: 0})}), 'Version\n')
    assert.throws(
      () => parseOutput('jsonpath-file=/nonexistent', FORMATS),
      (e: unknown) => e instanceof DataError && e.exit === 65 && /-o jsonpath-file \/nonexistent: no such file/.test(e.message),
    )
  })

  it('jsonpath runs on the document -o json prints (the List with its items)', () => {
    const r: ListResult<{name: string}> = {type: 'list', kind: 'Thing', items: [{name: 'a'}, {name: 'b'}], name: (x) => x.name, columns: []}
    assert.equal(render(r, parseOutput('jsonpath={.kind} {.apiVersion} {.items[*].name}', FORMATS), {chalk: new Chalk({level: 0})}), 'ThingList vipctl.io/v1alpha1 a b')
  })
})

describe('--sort-by', () => {
  const r: ListResult<{name: string; port?: number}> = {
    type: 'list',
    kind: 'Thing',
    items: [{name: 'c', port: 9000}, {name: 'a', port: 80}, {name: 'b'}, {name: 'B', port: 443}, {name: 'd', port: 80}],
    name: (x) => x.name,
    columns: [],
  }
  it('numbers numerically, strings by code point, items without a value last, stable', () => {
    assert.deepEqual(sortItems(r, parseSortBy('{.port}')).items.map((x) => x.name), ['a', 'd', 'B', 'c', 'b'])
    assert.deepEqual(sortItems(r, parseSortBy('.name')).items.map((x) => x.name), ['B', 'a', 'b', 'c', 'd'])
    assert.deepEqual(sortItems(r, parseSortBy('name')).items.map((x) => x.name), ['B', 'a', 'b', 'c', 'd'])
  })
  it('a path no item has is a usage error; an empty list is fine', () => {
    usage(() => sortItems(r, parseSortBy('.nope')), /--sort-by \.nope: no item has this field/)
    // A brace left open or an extra one is a typo, said as typed (not ".{.name").
    for (const typo of ['{.name', '.name}', '{.a}{.b}']) usage(() => parseSortBy(typo), new RegExp(`--sort-by ${typo.replace(/[{}.]/g, '\\$&')}: unbalanced or extra braces`))
    usage(() => parseCustomColumns('NAME:{.name'), /unbalanced or extra braces/)
    assert.deepEqual(sortItems({...r, items: []}, parseSortBy('.nope')).items, [])
    usage(() => parseSortBy('{.a[}'), /unclosed/)
  })
  it('an object or a list is no sort key (kubectl sorts by scalars only)', () => {
    const nested: ListResult<{name: string; ports: number[]; endpoints: {ready: number}}> = {
      type: 'list',
      kind: 'Thing',
      items: [{name: 'a', ports: [2], endpoints: {ready: 2}}, {name: 'b', ports: [1], endpoints: {ready: 1}}],
      name: (x) => x.name,
      columns: [],
    }
    usage(() => sortItems(nested, parseSortBy('.ports')), /--sort-by \.ports: not a scalar field/)
    usage(() => sortItems(nested, parseSortBy('.endpoints')), /not a scalar field/)
    assert.deepEqual(sortItems(nested, parseSortBy('.ports[0]')).items.map((x) => x.name), ['b', 'a'])
    assert.deepEqual(sortItems(nested, parseSortBy('.endpoints.ready')).items.map((x) => x.name), ['b', 'a'])
  })
})
