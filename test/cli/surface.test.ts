/**
 * The CLI surface, locked: every command, flag and example as a golden file
 * (so a change to it is deliberate: UPDATE_GOLDEN=1 and a reviewed diff),
 * every example naming only flags its command has, and `-o json` and `--json`
 * printing the same document for every command that has both.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {assertGolden} from '../helpers/golden.js'
import {vipctl} from '../helpers/cli.js'

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  options?: string[]
  /** What a flag without fixed options takes (-o: its formats and templates). */
  helpValue?: string
  default?: unknown
  required?: boolean
  multiple?: boolean
  allowNo?: boolean
}
interface ManifestCommand {
  flags: Record<string, ManifestFlag>
  args: Record<string, {name: string; required?: boolean}>
  examples?: string[]
  aliases?: string[]
}

const manifest = JSON.parse(readFileSync('oclif.manifest.json', 'utf8')) as {commands: Record<string, ManifestCommand>}

describe('CLI surface', () => {
  it('commands, flags, arguments and examples are as the golden file says', () => {
    const surface = Object.keys(manifest.commands)
      .sort()
      .map((id) => {
        const c = manifest.commands[id]!
        const flags = Object.values(c.flags)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((f) => `  --${f.name}${f.char ? ` -${f.char}` : ''} ${f.type}${f.options ? ` [${f.options.join('|')}]` : f.type === 'option' && f.helpValue ? ` <${f.helpValue}>` : ''}${f.default !== undefined ? ` =${JSON.stringify(f.default)}` : ''}${f.required ? ' required' : ''}${f.multiple ? ' multiple' : ''}${f.allowNo ? ' allow-no' : ''}`)
        const args = Object.values(c.args).map((a) => `  <${a.name}>${a.required ? ' required' : ''}`)
        const examples = (c.examples ?? []).map((e) => `  $ ${e}`)
        const aliases = c.aliases?.length ? [`  aliases: ${c.aliases.map((a) => a.replace(/:/g, ' ')).join(', ')}`] : []
        return [id.replace(/:/g, ' '), ...aliases, ...args, ...flags, ...examples].join('\n')
      })
      .join('\n\n')
    assertGolden('cli/surface.txt', `${surface}\n`)
  })

  it('the manifest lists its commands in id order (the build sorts them: the same source gives the same bytes)', () => {
    const ids = Object.keys(manifest.commands)
    assert.deepEqual(ids, [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
  })

  it('every example names only flags its command has', () => {
    const bad: string[] = []
    for (const [id, c] of Object.entries(manifest.commands)) {
      const names = new Set(Object.values(c.flags).flatMap((f) => [`--${f.name}`, ...(f.allowNo ? [`--no-${f.name}`] : []), ...(f.char ? [`-${f.char}`] : [])]))
      for (const e of c.examples ?? []) {
        const words = e.split('#')[0]!.split(/\s+/)
        for (const w of words) {
          const flag = w.split('=')[0]!
          if (/^--?[a-z]/i.test(flag) && !names.has(flag) && flag !== '--help') bad.push(`${id}: ${flag} in "${e}"`)
        }
      }
    }
    assert.deepEqual(bad, [])
  })

  it('--help, root and per command, lists the exit codes of the one enum', async () => {
    const {EXIT_CODE_TABLE} = await import('../../src/errors.js')
    // -h is --help too (kubectl's habit).
    for (const args of [['--help'], ['check', '--help'], ['generate', 'haproxy', '--help'], ['-h'], ['inspect', 'services', '-h']]) {
      const r = await vipctl(args)
      assert.equal(r.code, 0, args.join(' '))
      assert.match(r.stdout, /EXIT CODES/, args.join(' '))
      for (const [code, name] of EXIT_CODE_TABLE) assert.match(r.stdout, new RegExp(`\\b${code}\\s+${name}:`), `${args.join(' ')}: exit ${code}`)
    }
  })

  it('generate haproxy --out D without --config-dir writes a config that names D (haproxy -c passes in place)', async () => {
    const {mkdtempSync} = await import('node:fs')
    const {execFileSync} = await import('node:child_process')
    const os = await import('node:os')
    const path = await import('node:path')
    const out = mkdtempSync(path.join(os.tmpdir(), 'vipctl-out-'))
    const r = await vipctl(['generate', 'haproxy', '-f', 'examples/shop', '--out', out])
    assert.equal(r.code, 0, r.stderr)
    const cfg = readFileSync(path.join(out, 'haproxy.cfg'), 'utf8')
    assert.match(cfg, new RegExp(`map_str\\(${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/maps/`))
    assert.doesNotMatch(cfg, /\/etc\/haproxy\/vipctl/)
    execFileSync('haproxy', ['-c', '-q', '-f', path.join(out, 'haproxy.cfg')], {stdio: 'pipe'}) // throws when HAProxy refuses it
  })

  it('-o json and --json print the same document', async function () {
    this.timeout(120_000)
    const cases: string[][] = [
      ['inspect', 'services', '-f', 'examples/shop'],
      ['inspect', 'ingresses', '-f', 'examples/shop'],
      ['inspect', 'endpoints', '-f', 'examples/shop'],
      ['inspect', 'vips', '-f', 'examples/shop'],
      ['check', '-f', 'examples/broken'],
      ['check', 'trace', 'shop.example.com/api/cart', '-f', 'examples/shop'],
      ['generate', 'haproxy', '-f', 'examples/shop'],
      ['generate', 'netscaler', '-f', 'examples/shop'],
      ['generate', 'nftables', '-f', 'examples/shop', '--mode', 'bind'],
      ['version'],
      ['install'],
      ['migrate', 'netscaler', 'test/fixtures/migrate/onprem.conf'],
      ['migrate', 'haproxy', 'test/fixtures/migrate/onprem-haproxy.cfg'],
    ]
    for (const args of cases) {
      const [a, b] = await Promise.all([vipctl([...args, '-o', 'json']), vipctl([...args, '--json'])])
      assert.equal(a.code, b.code, args.join(' '))
      assert.ok(a.stdout.trim().startsWith('{'), `${args.join(' ')} -o json: ${a.stdout.slice(0, 80)} ${a.stderr.slice(0, 200)}`)
      assert.deepEqual(JSON.parse(b.stdout), JSON.parse(a.stdout), args.join(' '))
    }
  })
})
