/**
 * The start-up help (src/cli/help-fast.ts, run by bin/run.js before oclif loads) against oclif's own help: for
 * the root, every topic and every command in the manifest (ours and the help plugin's, hidden ones and aliases),
 * with --help and -h, as `vipctl` and as `kubectl vip`, the text, stderr and exit code must be the same, so
 * the two can never drift. Then bin/run.js end to end: which invocations it answers itself.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ROOT} from '../helpers/cli.js'

interface Dumped {
  argv: string[]
  stdout: string
  stderr: string
  exitCode: number
  answered: boolean
  error?: string
}

const TMP = mkdtempSync(path.join(os.tmpdir(), 'vipctl-help-fast-'))
after(() => rmSync(TMP, {recursive: true, force: true}))

function dump(mode: 'fast' | 'oclif', list: string[][], argv1?: string): Dumped[] {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', VIPCTL_TEST_ARGV1: argv1 ?? ''}
  delete env.NODE_OPTIONS
  const r = spawnSync(process.execPath, [path.join(ROOT, 'test', 'fixtures', 'startup', 'help-dump.mjs'), mode, ROOT, JSON.stringify(list)], {cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20})
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout) as Dumped[]
}

/** Every subject of help: the root, every topic (pjson and implied by command ids), every command and alias. */
function subjects(): {all: string[][]; topics: string[][]; commands: Set<string>} {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {aliases?: string[]; hiddenAliases?: string[]}>}
  const pjson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {oclif: {topics?: Record<string, unknown>}}
  const ids = new Set<string>(['help'])
  for (const [id, c] of Object.entries(manifest.commands)) for (const a of [id, ...(c.aliases ?? []), ...(c.hiddenAliases ?? [])]) ids.add(a)
  const topics = new Set<string>(Object.keys(pjson.oclif.topics ?? {}))
  for (const id of ids) {
    const parts = id.split(':')
    for (let i = 1; i < parts.length; i++) topics.add(parts.slice(0, i).join(':'))
  }
  return {all: [[], ...[...topics].map((t) => t.split(':')), ...[...ids].map((id) => id.split(':'))], topics: [...topics].map((t) => t.split(':')), commands: ids}
}

describe('start-up help: the same text as oclif for every command and topic', function () {
  this.timeout(240_000)
  const {all, topics, commands} = subjects()
  const loneTopics = topics.filter((t) => t.length === 1)
  const cases: string[][] = [
    ['--help'],
    ['-h'],
    ...all.filter((s) => s.length > 0).flatMap((s) => [[...s, '--help'], [...s, '-h']]),
    // Help flags after other arguments and flags, as oclif finds them anywhere before --.
    ['inspect', 'services', '-o', 'json', '--help'],
    ['generate', 'haproxy', '-f', 'examples/shop', '-h'],
    // A lone topic shows its help.
    ...loneTopics,
    // The help command.
    ['help'],
    ...all.filter((s) => s.length > 0).map((s) => ['help', ...s]),
    // Unknown subjects: one line, exit 64, as for any unknown command.
    ['bogus', '--help'],
    ['inspect', 'bogus', '-h'],
    ['-h', 'bogus'],
    ['help', 'bogus'],
  ]

  for (const [label, argv1] of [
    ['vipctl', undefined],
    ['kubectl vip', path.join(TMP, 'kubectl-vip')],
  ] as const) {
    it(`as ${label}: ${cases.length} invocations`, () => {
      const fast = dump('fast', cases, argv1)
      const oclif = dump('oclif', cases, argv1)
      assert.ok(all.length >= 30, `${all.length} subjects`)
      let answered = 0
      for (const [i, f] of fast.entries()) {
        const o = oclif[i]!
        if (!f.answered) continue
        answered++
        assert.equal(f.error, undefined, `${f.argv.join(' ')}: ${f.error}`)
        assert.deepEqual([f.exitCode, f.stderr, f.stdout], [o.exitCode, o.stderr, o.stdout], `${label} ${f.argv.join(' ')}`)
      }
      // Only `vipctl <topic>` for a topic that is also a command (check) is left to oclif: it runs the command.
      assert.equal(answered, cases.length - loneTopics.filter((t) => commands.has(t[0]!)).length)
      const root = fast[0]!.stdout
      assert.match(root, new RegExp(`USAGE\\n  \\$ ${label} \\[COMMAND\\]`))
      const bogus = fast.find((f) => f.argv.join(' ') === 'bogus --help')!
      assert.deepEqual([bogus.exitCode, bogus.stdout, bogus.stderr], [64, '', `error: unknown command "bogus" (see ${label} --help)\n`])
      if (label === 'kubectl vip') {
        for (const f of fast.filter((x) => x.answered && x.exitCode === 0)) {
          assert.doesNotMatch(f.stdout, /\$ vipctl|vipctl (inspect|generate|diff|apply|migrate|delete|check|stats|sync|install|version|help)\b/, f.argv.join(' '))
          assert.match(f.stdout, /kubectl vip/, f.argv.join(' '))
        }
      }
    })
  }
})

describe('start-up help: bin/run.js answers help without loading oclif', () => {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.NODE_OPTIONS
  const runAs = (bin: string, args: string[]) => spawnSync(process.execPath, [bin, ...args], {cwd: ROOT, env, encoding: 'utf8'})

  it('as kubectl-vip (a symlink to bin/run.js, as kubectl runs plugins): USAGE, examples and topics say kubectl vip', () => {
    const link = path.join(TMP, 'kubectl-vip')
    symlinkSync(path.join(ROOT, 'bin', 'run.js'), link)
    const root = runAs(link, ['--help'])
    assert.equal(root.status, 0, root.stderr)
    assert.match(root.stdout, /\$ kubectl vip \[COMMAND\]/)
    const cmd = runAs(link, ['inspect', 'services', '-h'])
    assert.equal(cmd.status, 0, cmd.stderr)
    assert.match(cmd.stdout, /USAGE\n {2}\$ kubectl vip inspect services/)
    assert.match(cmd.stdout, /EXAMPLES\n(.*\n)* {2}\$ kubectl vip inspect services/)
    assert.doesNotMatch(cmd.stdout, /vipctl inspect/)
    const unknown = runAs(link, ['bogus'])
    assert.deepEqual([unknown.status, unknown.stderr], [64, 'error: unknown command "bogus" (see kubectl vip --help)\n'])
    // As vipctl nothing changes.
    const plain = runAs(path.join(ROOT, 'bin', 'run.js'), ['inspect', 'services', '-h'])
    assert.match(plain.stdout, /USAGE\n {2}\$ vipctl inspect services/)
  })
})
