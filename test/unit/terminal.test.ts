/**
 * Terminal safety: text from objects, files and replies never reaches a human
 * output with a raw control or invisible character (ESC sequences, CR, line
 * breaks, C1, separators, bidi, zero-width, BOM, lone surrogates), while JSON and
 * YAML keep the exact original values.
 */
import {compile} from '../../src/model/compile.js'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {Chalk} from 'chalk'
import {parse as parseYaml} from 'yaml'
import {parseInto} from '../../src/cluster/offline.js'
import {deriveEndpointSlices} from '../../src/cluster/derive.js'
import {intakeObject, safe, sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Diagnostic, type Snapshot} from '../../src/cluster/types.js'
import {checkResult, runChecks} from '../../src/check/check.js'
import {traceRequest, traceResult} from '../../src/check/trace.js'
import {classifyError} from '../../src/cli/base.js'
import {DataError, UnavailableError, oneLine} from '../../src/errors.js'
import {inspectEndpoints, inspectIngresses, inspectServices, inspectVips} from '../../src/inspect/inspect.js'
import {buildModel} from '../../src/model/build.js'
import {diagnosticLines, formatDiagnostic} from '../../src/output/diagnostics.js'
import {LiveView} from '../../src/stats/live.js'
import {escapeChar, jsonText, printable, printableShort, printableText, terminalText} from '../../src/core/printable.js'
import {render, yamlText, type DocResult, type Format, type Result} from '../../src/output/render.js'
import {annotate} from '../../src/stats/kube.js'
import {readIndex as parseIndex} from '../../src/targets/haproxy/read.js'
import {renderPrometheus} from '../../src/stats/prometheus.js'
import {statsResult} from '../../src/stats/result.js'
import {rowsOf, tailStats} from '../../src/stats/tail.js'
import {emptySample, type StatSample, type StatsFrame} from '../../src/stats/types.js'

const FX = 'test/fixtures/cases/terminal-escapes'

/** Every character class that must never reach a terminal raw. */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u
/** Human text may keep its own line ends (and tabs); nothing else. */
const FORBIDDEN_IN_TEXT = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u
/** With colour on: the only ESC sequences are SGR colours. */
const withoutSgr = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')

function assertClean(text: string, what: string, allow: RegExp = FORBIDDEN_IN_TEXT): void {
  const m = allow.exec(text)
  assert.equal(m, null, `${what}: raw U+${m?.[0].codePointAt(0)!.toString(16).padStart(4, '0')} at ${m?.index}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`)
}

/** The corpus: one hostile string per kind, and the case's payloads. */
const CORPUS: string[] = [
  '\x1b[2K\rerror: forged line',
  '\x1b[31mRED\x1b[0m',
  '\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07',
  '\x1b]8;;http://evil.example/\x1b\\st-terminated\x1b]8;;\x1b\\',
  '\x1b[2J\x1b[Hscreen cleared',
  '\x1bP+q\x1b\\',
  'cr\roverwrite',
  'line\nbreak',
  'crlf\r\nbreak',
  'tab\there',
  'ls\u2028separator',
  'ps\u2029separator',
  'nel\u0085line',
  'c1 csi \u009b31m',
  'bidi \u202eoverride\u202c',
  'isolate \u2066x\u2069 \u2067y\u2069 \u2068z\u2069',
  'marks \u200e\u200f\u061c',
  'zero\u200bwidth\u200c\u200d\u2060',
  '\ufeffbom',
  'del\x7f',
  'nul\x00bel\x07bs\x08',
  'lone \ud800 high',
  'lone \udfff low',
  'tag \u{e0041}\u{e007f}',
  'soft\u00adhyphen',
  '/x\n\u001b[2K\rerror: forged line\u2028\u001b]8;;http://evil/\u0007',
  'web-1\n\u001b[2J\u001b[HALL SYSTEMS NOMINAL\u001b]8;;http://evil.example/\u0007click\u001b]8;;\u0007',
  'R\n\u001b[32mFAKE-OK\u001b[0m',
]

/** Decodes printable's escapes (for strings without backslashes of their own): shows the mapping loses nothing. */
function unescape(s: string): string {
  const short: Record<string, string> = {n: '\n', r: '\r', t: '\t'}
  return s.replace(/\\(?:x([0-9a-f]{2})|u\{([0-9a-f]+)\}|u([0-9a-f]{4})|([nrt]))/g, (_m, x?: string, big?: string, u?: string, c?: string) =>
    x ? String.fromCharCode(parseInt(x, 16)) : big ? String.fromCodePoint(parseInt(big, 16)) : u ? String.fromCharCode(parseInt(u, 16)) : short[c!]!,
  )
}

/** A small deterministic generator (no Math.random: the same strings every run). */
function* randomStrings(n: number, seed = 42): Generator<string> {
  let x = seed
  const next = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x)
  const alphabet = ['a', 'Z', '0', '/', '.', '-', ' ', 'é', '日', '😀', '\x1b', '[', ']', '\x07', '\r', '\n', '\t', '\x00', '\x7f', '\x85', '\x9b', '\u2028', '\u2029', '\u202e', '\u2066', '\u200b', '\u200d', '\ufeff', '\ud800', '\udc00', '\u{e0041}', ';', 'm']
  for (let i = 0; i < n; i++) {
    const len = next() % 40
    let s = ''
    for (let j = 0; j < len; j++) s += alphabet[next() % alphabet.length]
    yield s
  }
}

describe('terminal safety: the printable function', () => {
  it('leaves no character of the forbidden classes, and keeps ordinary text (ASCII, accents, CJK, emoji) as it is', () => {
    for (const s of [...CORPUS, ...randomStrings(2000)]) {
      const p = printable(s)
      assertClean(p, JSON.stringify(s), FORBIDDEN)
      assert.equal(printable(p), p, 'idempotent: escapes are printable ASCII')
      assertClean(printableText(s), JSON.stringify(s))
      assert.equal(printableShort(s, 30).length <= 30, true)
      assertClean(printableShort(s, 30), JSON.stringify(s), FORBIDDEN)
    }
    for (const plain of ['web-1', 'a.example.com/api/v1', 'Prefix', 'é日本😀 ok', '10.0.0.1:8080', 'x\\y']) assert.equal(printable(plain), plain)
  })

  it('is readable: every escape names the character, and the original comes back from it', () => {
    assert.equal(printable('a\x1b[31mb'), 'a\\x1b[31mb')
    assert.equal(printable('l1\nl2\r\t'), 'l1\\nl2\\r\\t')
    assert.equal(printable('\u2028\u2029\u0085\u202e\u2066\u200b\ufeff\x7f\x9b'), '\\u2028\\u2029\\x85\\u202e\\u2066\\u200b\\ufeff\\x7f\\x9b')
    assert.equal(printable('\ud800'), '\\ud800')
    assert.equal(printable('\u{e0041}'), '\\u{e0041}')
    for (const s of [...CORPUS, ...randomStrings(2000, 7)].filter((x) => !x.includes('\\'))) assert.equal(unescape(printable(s)), s, JSON.stringify(s))
    // Distinct characters, distinct escapes.
    const singles = [...new Set([...CORPUS.join(''), '\u0085', '\u009b', '\u200e', '\u200f', '\u061c'])].filter((c) => FORBIDDEN.test(c))
    assert.equal(new Set(singles.map(escapeChar)).size, singles.length)
  })

  it('bounds without cutting an escape in half', () => {
    const s = `${'a'.repeat(70)}\u202e\u202e\u202e`
    const p = printableShort(s, 80)
    assert.ok(p.length <= 80)
    assert.match(p, /^a{70}(\\u202e)?\.\.\.$/)
    assert.equal(safe('ok'), 'ok')
    assert.equal(safe('a\x1b[2Jb'), 'a\\x1b[2Jb')
  })

  it('terminalText keeps SGR colours, line ends and tabs, and escapes everything else', () => {
    const red = new Chalk({level: 1}).red('x')
    assert.equal(terminalText(`${red}\n\tok`), `${red}\n\tok`)
    assert.equal(terminalText('a\x1b[2Jb\x1b]8;;u\x07c\rd\u202ee'), 'a\\x1b[2Jb\\x1b]8;;u\\x07c\\rd\\u202ee')
    // Without colour, not even SGR passes.
    assert.equal(terminalText(`${red}\n`, {colour: false}), '\\x1b[31mx\\x1b[39m\n')
    for (const s of [...CORPUS, ...randomStrings(500, 3)]) assertClean(withoutSgr(terminalText(s)), JSON.stringify(s))
  })

  it('JSON and YAML keep the exact original values and carry no raw control or invisible character', () => {
    const doc = {items: [...CORPUS, ...randomStrings(300, 9)].map((s, i) => ({i, s, [`k${s}`]: s}))}
    const j = jsonText(doc, 2)
    assertClean(j, 'json')
    assert.deepEqual(JSON.parse(j), doc)
    const y = yamlText(doc)
    assertClean(y, 'yaml')
    assert.deepEqual(parseYaml(y), doc)
    // Ordinary documents print as before.
    assert.equal(yamlText({a: 'x: y', b: 'multi\nline', c: 1}), 'a: "x: y"\nb: |-\n  multi\n  line\nc: 1\n')
  })

  it('oneLine (errors) makes one printable line; classifyError and the hint too', () => {
    for (const s of CORPUS) {
      const l = oneLine(`bad ${s} value`)
      assertClean(l, JSON.stringify(s), FORBIDDEN)
      assert.equal(oneLine(l), l)
    }
    const c = classifyError(new UnavailableError(`HAProxy refused: ${CORPUS[0]}`, {hint: `see ${CORPUS[2]}`}))
    assertClean(c.message, 'message', FORBIDDEN)
    assertClean(c.hint!, 'hint', FORBIDDEN)
    assertClean(classifyError(new Error(CORPUS[4])).message, 'internal', FORBIDDEN)
    assertClean(classifyError(new DataError(CORPUS[10]!)).message, 'data', FORBIDDEN)
  })
})

function snapshotOf(...files: string[]): Snapshot {
  const s = emptySnapshot({kind: 'offline', files})
  for (const f of files) parseInto(s, readFileSync(`${FX}/${f}`, 'utf8'), `${FX}/${f}`)
  deriveEndpointSlices(s)
  return sortSnapshot(s)
}

const HUMAN: Format[] = ['table', 'wide', 'name']
const plain = {chalk: new Chalk({level: 0})}
const colour = {chalk: new Chalk({level: 3})}

/** Renders a result in every format it has: human ones clean, JSON/YAML exact. */
function assertRenders(r: Result, what: string): void {
  for (const f of HUMAN) {
    assertClean(render(r, f, plain), `${what} -o ${f}`)
    assertClean(withoutSgr(render(r, f, colour)), `${what} -o ${f} (colour)`)
  }
  const j = render(r, 'json', plain)
  assertClean(j, `${what} -o json`)
  const doc = JSON.parse(j)
  assert.deepEqual(parseYaml(render(r, 'yaml', plain)), doc, `${what}: yaml = json`)
  assertClean(render(r, 'yaml', plain), `${what} -o yaml`)
  assertClean(render(r, 'jsonl', plain), `${what} -o jsonl`)
  if (r.type === 'list') for (const x of Object.keys(r.formats ?? {})) assertClean(render(r, x as Format, plain), `${what} -o ${x}`)
}

describe('terminal safety: every result type in table and wide', () => {
  const opts = {model: {}}
  const snaps = {
    case: snapshotOf('manifest.json'),
    stats: snapshotOf('manifest-stats-podname.json'),
    offline: snapshotOf('offline-hostile.json'),
  }

  for (const [name, snap] of Object.entries(snaps)) {
    it(`inspect services, ingresses, endpoints, vips (${name}): no raw control character in any human format`, () => {
      for (const [what, out] of [
        ['services', inspectServices(snap, opts)],
        ['ingresses', inspectIngresses(snap, opts)],
        ['endpoints', inspectEndpoints(snap, opts)],
        ['vips', inspectVips(snap, opts)],
      ] as const) {
        assertRenders(out.result, `inspect ${what}`)
        for (const line of diagnosticLines(out.diagnostics, colour.chalk, {verbose: true})) assertClean(withoutSgr(line), `inspect ${what} warning`, FORBIDDEN)
      }
    })

    it(`check (${name}): findings table, wide, junit, sarif; one printable line per diagnostic`, () => {
      const found = runChecks(compile(snap, {}), {model: {}, certWarnDays: 21, now: new Date('2027-01-01T00:00:00Z')}, [])
      assertRenders(checkResult(found, 'warning'), 'check')
      for (const d of found) assertClean(formatDiagnostic(d), `${d.code} ${d.object}`, FORBIDDEN)
    })
  }

  it('the case: the hostile texts are in the JSON exactly, escaped in the tables', () => {
    const path = '/x\n\u001b[2K\rerror: forged line\u2028\u001b]8;;http://evil/\u0007'
    const ing = inspectIngresses(snaps.case, opts).result
    assert.equal(JSON.parse(render(ing, 'json', plain)).items[0].rules[1].path, path)
    const wide = render(ing, 'wide', plain)
    assert.ok(wide.includes(printable(path)), wide)
    // One table row per rule: the path cannot add rows of its own.
    assert.equal(wide.trimEnd().split('\n').length, 3)
    const found = runChecks(compile(snaps.case, {}), {model: {}, certWarnDays: 21, now: new Date('2027-01-01T00:00:00Z')}, [])
    const vip2009 = found.find((d) => d.code === 'VIP2009')!
    assert.ok(vip2009.message.includes(path), 'the finding keeps the raw value for JSON')
    const line = diagnosticLines([vip2009], plain.chalk, {verbose: true})[0]!
    assert.ok(line.includes('\\x1b[2K\\rerror: forged line\\u2028\\x1b]8;;http://evil/\\x07'), line)
    const table = render(checkResult(found, 'warning'), 'wide', plain)
    assert.equal(table.trimEnd().split('\n').length, found.length + 1, 'one line per finding')
    assert.ok(JSON.parse(render(checkResult(found, 'warning'), 'json', plain)).items.some((f: {message: string}) => f.message.includes(path)))
    const pod = 'web-1\n\u001b[2J\u001b[HALL SYSTEMS NOMINAL\u001b]8;;http://evil.example/\u0007click\u001b]8;;\u0007'
    const eps = inspectEndpoints(snaps.stats, opts).result
    assert.ok(JSON.parse(render(eps, 'json', plain)).items.some((i: {endpoints: Array<{pod?: string}>}) => i.endpoints.some((e) => e.pod === pod)))
    assert.ok(render(eps, 'wide', plain).includes(printable(pod)))
  })

  it('offline-only: enum values, label and annotation keys, bad addresses are printable in messages and bounded', () => {
    const ds = snaps.offline.diagnostics
    const enumErr = ds.filter((d) => /must be one of/.test(d.message))
    assert.deepEqual(enumErr.map((d) => d.field).sort(), ['addressType', 'spec.ports[0].protocol', 'spec.rules[0].http.paths[0].pathType', 'spec.type'])
    for (const d of ds) {
      assertClean(d.message, `${d.object} message`, FORBIDDEN)
      assertClean(d.field ?? '', `${d.object} field`, FORBIDDEN)
      assertClean(d.object, 'object', FORBIDDEN)
    }
    assert.ok(ds.some((d) => d.field?.startsWith('metadata.labels.appx\\n\\x1b[2J')))
    assert.ok(ds.some((d) => d.field?.startsWith('metadata.annotations.vipctl.io/x\\n')))
    // An intake error names the value it got, bounded.
    const r = intakeObject({apiVersion: 'v1', kind: 'Service', metadata: {name: 's'}, spec: {type: `X${'\x1b[2J'.repeat(100)}`}}, {source: 'file', file: 'f', doc: 1, line: 1})
    assert.match(r.diagnostic!.message, /^must be one of ClusterIP, NodePort, LoadBalancer, ExternalName \(got "X(\\x1b\[2J)+\.\.\."\)$/)
    assert.ok(r.diagnostic!.message.length < 140)
    // VIP2011 quotes part of a bad address: printed printable.
    const model = buildModel(snaps.offline, {})
    for (const line of diagnosticLines(model.diagnostics, plain.chalk, {verbose: true})) assertClean(line, 'model diagnostic', FORBIDDEN)
  })

  it('check trace: the tree has one printable line per hop (Pod condition reasons, paths)', () => {
    const snap = snaps.case
    const t = traceRequest(snap, buildModel(snap, {}), 'a.example.com/x', new Date('2027-01-01T00:00:00Z'))
    assert.ok(t.hops.some((h) => h.detail.includes('\u001b[32mFAKE-OK')), 'the data keeps the raw reason')
    const r = traceResult([t, {request: CORPUS[0]!, ok: false, hops: CORPUS.map((s) => ({hop: s, status: 'fail' as const, detail: s, fix: s}))}])
    assertRenders(r, 'trace')
    const text = render(r, 'table', plain)
    // Header + hops (+ fix lines) + blank line between traces: nothing more.
    const expected = 1 + t.hops.length + t.hops.filter((h) => h.fix).length + 1 + 1 + CORPUS.length * 2
    assert.equal(text.trimEnd().split('\n').length, expected)
  })

  it('any document result: its human text gets printable data (line layout kept), then is checked as a whole', () => {
    const r: DocResult<{items: string[]; note: string}> = {
      type: 'doc',
      kind: 'Thing',
      data: {items: CORPUS, note: 'two\nlines'},
      text: (d) => `${d.items.join(' | ')}\n${d.note}\n`,
    }
    assertRenders(r, 'doc')
    assert.ok(render(r, 'table', plain).endsWith('two\nlines\n'))
    // Even text that ignores its data is checked before it is printed.
    const stray: DocResult<object> = {type: 'doc', kind: 'Stray', data: {}, text: () => `${CORPUS.join('\n')}\n`}
    assertClean(render(stray, 'table', plain), 'stray doc')
    // The list name form: one printable line per item.
    const names: Result = {type: 'list', kind: 'X', items: CORPUS, columns: [{header: 'V', get: (s: string) => s}], name: (s: string) => s}
    assert.equal(render(names, 'name', plain).split('\n').length, CORPUS.length + 1)
    assert.equal(render(names, 'table', plain).split('\n').length, CORPUS.length + 2)
  })

  it('diagnostic lines: file, object, field, message and code each made printable', () => {
    const d: Diagnostic = {severity: 'warning', code: 'VIP2013', object: `Ingress/t/${CORPUS[1]}`, field: `metadata.annotations[${CORPUS[5]}]`, message: CORPUS.join(' '), origin: {source: 'file', file: `m${CORPUS[0]}.yaml`, doc: 1, line: 3}}
    const lines = diagnosticLines([d], colour.chalk)
    assert.equal(lines.length, 1)
    assertClean(withoutSgr(lines[0]!), 'diagnostic', FORBIDDEN)
    assert.ok(formatDiagnostic(d).startsWith('m\\x1b[2K\\rerror: forged line.yaml:3: Ingress/t/\\x1b[31mRED\\x1b[0m '))
  })
})

describe('terminal safety: stats', () => {
  const HOSTILE_POD = 'web-1\n\u001b[2J\u001b[HALL SYSTEMS NOMINAL\u001b]8;;http://evil.example/\u0007click\u001b]8;;\u0007'
  const index = parseIndex(
    JSON.stringify({
      apiVersion: 'vipctl.io/v1alpha1',
      kind: 'HaproxyIndex',
      frontends: {'tcp_--1_16379': {vip: '::1', port: 16379, protocol: 'tcp', listen: '[::1]:16379', hosts: [`h${CORPUS[4]}`], objects: ['Service/t1/tcp'], backends: ['t1_tcp_16379']}},
      backends: {t1_tcp_16379: {namespace: 't1', service: 'tcp', port: 16379, servers: {SRV_1: {address: '127.0.0.1', port: 18001, pod: HOSTILE_POD, node: `n${CORPUS[8]}`}}}},
    }),
  )
  const s = (type: StatSample['type'], proxy: string, server: string | undefined, p: Partial<StatSample> = {}): StatSample => ({...emptySample(type, proxy, server), ...p})
  const frame = (): StatsFrame => ({
    time: '2026-11-25T01:02:03.000Z',
    source: `/run/vipctl/admin.sock${CORPUS[0]}`,
    process: {pid: 1, uptimeSec: 10, version: `2.6${CORPUS[4]}`},
    reset: false,
    samples: annotate(
      [
        s('frontend', 'tcp_--1_16379', undefined, {status: 'OPEN'}),
        s('backend', 't1_tcp_16379', undefined, {status: `UP${CORPUS[1]}`}),
        s('server', 't1_tcp_16379', 'SRV_1', {status: 'DOWN', checkStatus: `L4CON${CORPUS[2]}`, address: '127.0.0.1:18001'}),
        // A proxy answer with hostile names of its own.
        s('server', `b${CORPUS[3]}`, `s${CORPUS[13]}`, {status: `DOWN${CORPUS[6]}`, checkStatus: CORPUS[14]}),
      ],
      index,
    ),
  })

  it('a hostile Pod name from vipctl-index.json: escaped in the table and wide, exact in JSON lines, printable in Prometheus labels', () => {
    assert.ok(index, 'the index parses (the schema keeps targetRef names as any string)')
    const r = statsResult(rowsOf(frame()))
    assertRenders(r, 'stats')
    const wide = render(r, 'wide', plain)
    assert.ok(wide.includes(printable(`t1/${HOSTILE_POD}`)), wide)
    assert.equal(wide.trimEnd().split('\n').length, 5, 'one line per row')
    const lines = render(r, 'jsonl', plain).trim().split('\n')
    assert.equal(JSON.parse(lines[2]!).kube.pod, HOSTILE_POD)
    const prom = renderPrometheus(frame().samples)
    assertClean(prom, 'prometheus')
    assert.match(prom, /pod="web-1\\nx?\\\\x1b\[2J/)
  })

  it('the live view: every screen line printable, only colour sequences', () => {
    const view = new LiveView(new Chalk({level: 3}))
    const f = frame()
    view.push(f)
    for (const notice of [undefined, `reloaded ${CORPUS[0]}`]) {
      const text = view.frameText(f, {columns: 200, rows: 30}, {intervalMs: 1000, sort: 'rate', notice})
      assertClean(withoutSgr(text), 'live view')
      assert.ok(withoutSgr(text).includes(printable(`t1/${HOSTILE_POD}`).slice(0, 20)), text)
    }
  })

  it('notices from the tail (proxy not answering) are one printable line', async () => {
    const warnings: string[] = []
    let n = 0
    const io = {
      reader: {
        source: `sock${CORPUS[4]}`,
        read: async () => {
          if (n++ === 1) throw new Error(`refused\n${CORPUS[0]}`)
          return {time: '2026-11-25T01:02:03.000Z', source: 'x', process: {pid: 1}, samples: []}
        },
      },
      readIndex: async () => undefined,
      sleep: async () => {},
      now: () => 0,
      warn: (l: string) => warnings.push(l),
    }
    for await (const _ of tailStats(io, {intervalMs: 100, count: 3, sort: 'rate', allSlots: false})) void _
    assert.ok(warnings.length >= 2, JSON.stringify(warnings))
    for (const w of warnings) assertClean(w, 'notice', FORBIDDEN)
  })
})
