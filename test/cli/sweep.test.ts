/**
 * A sweep of the built CLI: every command over every input under
 * test/fixtures/ (the shared cases copied into test/fixtures/cases/, the
 * HAProxy fixtures, the migrate inputs, and files that are not manifests at
 * all), with the human output. For each run:
 *  - never exit 70 (an internal error) nor a signal; only documented codes;
 *  - no stack trace (that needs --debug);
 *  - no control character on stdout or stderr other than "\n" and "\t"
 *    (no ESC, CR, BEL, C1 controls, line or paragraph separators, bidi
 *    overrides), whatever the objects hold;
 *  - no private key material of any input (a PEM key line, in any letter
 *    case) on stdout or stderr: key data is never printed.
 * Besides the fixtures, one generated input puts terminal attacks (escape
 * sequences, CR, BEL, C1 controls, separators, bidi overrides) into every
 * string field of a tenant's objects (test/helpers/tenants.ts).
 * Runs two commands at a time.
 */
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {place} from '../helpers/attack-corpus.js'
import {ROOT, vipctl, type CliResult} from '../helpers/cli.js'
import {POISON_BASE, POISON_FIELDS, OPTIONAL_BASE, TLS_FIELDS, goodObjects, poisonObjects} from '../helpers/tenants.js'

const FIXTURES = path.join(ROOT, 'test', 'fixtures')
const DNAT = ['--mode', 'dnat', '--listen-address', '10.0.0.5']

/** Commands run on each manifest input (-f FILE is appended). */
const COMMANDS: string[][] = [
  ['inspect', 'services'],
  ['inspect', 'ingresses'],
  ['inspect', 'endpoints'],
  ['inspect', 'vips'],
  ['check'],
  ['check', '-o', 'wide'],
  ['generate', 'haproxy'],
  ['generate', 'netscaler'],
  ['generate', 'nftables', ...DNAT],
  ['generate', 'iptables', ...DNAT],
]

/** Exit codes the CLI documents (src/cli/base.ts); 70 is an internal bug. */
const DOCUMENTED = new Set([0, 1, 2, 64, 65, 69, 77])
/** Control characters a terminal acts on, and invisible line breaks and direction overrides. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
const STACK = /^\s+at .+:\d+:\d+\)?$/m

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = path.join(dir, name)
      return statSync(p).isDirectory() ? files(p) : [p]
    })
}

interface Run {
  args: string[]
  input?: string
}

/** What a terminal acts on, each placed after a field's valid value. */
const TERMINAL_ATTACKS = [
  '\u001b[2J\u001b[H', '\u001b]8;;http://evil.example/\u0007click\u001b]8;;\u0007', '\u001b[31mRED\u001b[0m', '\r', '\r\nerror: forged', '\u2028',
  '\u202e', '\u0007', '\u0000', '\u007f', '\u009b31m', '\ud800',
]

/** Good tenants plus, per string field and terminal attack, one tenant (its own namespace) with that attack in that field. */
function corpusInput(dir: string): string {
  const items: unknown[] = [...goodObjects()]
  let n = 0
  for (const field of POISON_FIELDS) {
    for (const attack of TERMINAL_ATTACKS) {
      const ns = `t-${n++}`
      const base = field === 'namespace' ? ns : (POISON_BASE[field] ?? OPTIONAL_BASE[field]!)
      items.push(...poisonObjects({...POISON_BASE, namespace: ns, [field]: place(base, attack, 'suffix')}, TLS_FIELDS.has(field)))
    }
  }
  const file = path.join(dir, 'terminal-corpus.json')
  writeFileSync(file, JSON.stringify({apiVersion: 'v1', kind: 'List', items}))
  return file
}

function plan(generated: string): {runs: Run[]; inputs: number} {
  const seen = new Set<string>()
  const runs: Run[] = []
  let inputs = 0
  for (const file of files(FIXTURES)) {
    const text = readFileSync(file)
    const hash = createHash('sha256').update(text).digest('hex')
    // The same bytes under two names are one input.
    if (seen.has(hash)) continue
    seen.add(hash)
    inputs++
    const rel = path.relative(ROOT, file)
    if (/\.(json|ya?ml)$/.test(file)) for (const c of COMMANDS) runs.push({args: [...c, '-f', rel]})
    else if (file.endsWith('.conf')) runs.push({args: ['migrate', 'netscaler', rel]}, {args: ['migrate', 'netscaler', rel, '-o', 'table']}, {args: ['check', '-f', rel]})
    else if (file.endsWith('.cfg')) runs.push({args: ['migrate', 'haproxy', rel]}, {args: ['migrate', 'haproxy', rel, '-o', 'table']}, {args: ['check', '-f', rel]})
    // Not a manifest at all (scripts, certificates, stats dumps): read as one, it must be refused cleanly.
    else runs.push({args: ['check', '-f', rel]}, {args: ['migrate', 'netscaler', rel]}, {args: ['migrate', 'haproxy', rel]})
  }
  for (const c of COMMANDS) runs.push({args: [...c, '-f', generated]})
  inputs++
  // The same hostile objects through stdin.
  const hostile = readFileSync(path.join(FIXTURES, 'cases', 'terminal-escapes', 'manifest.json'), 'utf8')
  runs.push({args: ['inspect', 'ingresses', '-f', '-', '-o', 'wide'], input: hostile}, {args: ['check', '-f', '-', '-o', 'wide'], input: hostile})
  return {runs, inputs}
}

/**
 * The body lines of every private key in the fixtures, lower-cased: in PEM
 * files, and inside base64 values (a Secret's tls.key, a tls.crt holding a key).
 */
function keyLines(): Set<string> {
  const out = new Set<string>()
  const scan = (text: string) => {
    for (const m of text.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/g))
      for (const l of m[1]!.split(/\r?\n/)) if (l.trim().length >= 40) out.add(l.trim().toLowerCase())
  }
  for (const file of files(FIXTURES)) {
    const text = readFileSync(file, 'utf8')
    scan(text)
    for (const b of text.match(/[A-Za-z0-9+/]{200,}={0,2}/g) ?? []) scan(Buffer.from(b, 'base64').toString('latin1'))
  }
  return out
}
const KEY_LINES = keyLines()

function problems(r: Run, res: CliResult): string[] {
  const cmd = `vipctl ${r.args.join(' ')}`
  const out: string[] = []
  if (res.code === 70) out.push(`${cmd}: exit 70 (internal error): ${res.stderr.split('\n')[0]!.slice(0, 200)}`)
  else if (!DOCUMENTED.has(res.code)) out.push(`${cmd}: exit ${res.code} (killed or undocumented)`)
  if (STACK.test(res.stderr) || STACK.test(res.stdout)) out.push(`${cmd}: stack trace without --debug`)
  for (const [name, text] of [['stdout', res.stdout], ['stderr', res.stderr]] as const) {
    const lower = text.toLowerCase()
    if (/private key-----/.test(lower) || [...KEY_LINES].some((l) => lower.includes(l))) out.push(`${cmd}: private key material on ${name}`)
    const m = UNSAFE.exec(text)
    if (m) {
      const end = text.indexOf('\n', m.index)
      const line = text.slice(text.lastIndexOf('\n', m.index) + 1, end < 0 ? undefined : end)
      out.push(`${cmd}: U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} on ${name}: ${JSON.stringify(line.slice(0, 160))}`)
    }
  }
  return out
}

describe('sweep: every command over every fixture input (built CLI)', function () {
  this.timeout(240_000)

  it('never exit 70, no stack trace, no control character and no key material in human output', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-sweep-'))
    const {runs, inputs} = plan(corpusInput(dir))
    const t0 = performance.now()
    const found: string[] = []
    const codes = new Map<number, number>()
    let next = 0
    const worker = async () => {
      while (next < runs.length) {
        const r = runs[next++]!
        const res = await vipctl(r.args, {input: r.input, timeoutMs: 60_000})
        codes.set(res.code, (codes.get(res.code) ?? 0) + 1)
        found.push(...problems(r, res))
      }
    }
    await Promise.all([worker(), worker()]).finally(() => rmSync(dir, {recursive: true, force: true}))
    const secs = (performance.now() - t0) / 1000
    console.log(`      ${runs.length} runs over ${inputs} distinct inputs in ${secs.toFixed(1)} s; exit codes ${[...codes].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}: ${n}`).join(', ')}`)
    // The sweep exercises both outcomes: inputs that render and inputs that are refused.
    assert.ok((codes.get(0) ?? 0) > 0 && (codes.get(65) ?? 0) > 0, 'some runs succeed and some inputs are refused')
    assert.ok(KEY_LINES.size > 50, `the fixtures' private keys were found (${KEY_LINES.size} lines)`)
    assert.deepEqual(found, [])
  })
})
