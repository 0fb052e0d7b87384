/**
 * The command as the user invoked it, and no framework boilerplate (issue 22): the built CLI run as `vipctl`
 * and as `kubectl-vip` (a symlink, as kubectl finds its plugins on PATH). Bad invocations of every kind give
 * one line and exit 64 with nothing of oclif's wording; -h works as --help on the root, topics and commands.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ROOT} from '../helpers/cli.js'

const TMP = mkdtempSync(path.join(os.tmpdir(), 'vipctl-invocation-'))
const KUBECTL_VIP = path.join(TMP, 'kubectl-vip')
symlinkSync(path.join(ROOT, 'bin', 'run.js'), KUBECTL_VIP)
after(() => rmSync(TMP, {recursive: true, force: true}))

function run(bin: string, args: string[]) {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', KUBECONFIG: path.join(TMP, 'no-kubeconfig'), HOME: TMP}
  delete env.NODE_OPTIONS
  return spawnSync(process.execPath, [bin, ...args], {cwd: ROOT, env, encoding: 'utf8', input: '', timeout: 60_000})
}

const BOILERPLATE = /The following errors? occurred|See more help with --help|Note: |allows? multiple values|›|^\s*Error:|\n\s+at |oclif/m

/** One of each kind of bad command line: unknown commands and flags, missing and bad values and arguments, flag relations. */
const BAD: string[][] = [
  ['bogus'],
  ['bogus', '--help'],
  ['help', 'bogus'],
  ['inspect', 'bogus'],
  ['inspect', 'bogus', '-h'],
  ['inspect', 'services', '--bogus'],
  ['inspect', 'services', '-o'],
  ['inspect', 'services', '-o', 'bogus'],
  ['inspect', 'services', '-n'],
  ['inspect', 'services', '-A', '-n', 'x', '-f', 'examples/shop'],
  ['generate', 'haproxy', '-f'],
  ['migrate', 'netscaler'],
  ['migrate', 'haproxy'],
  ['check', 'trace'],
  ['check', '--fail-on', 'bogus', '-f', 'examples/shop'],
  ['stats', '--url', 'http://127.0.0.1:9', '--stats-socket', '/nonexistent'],
  ['version', '-o', 'wide'],
  ['version', 'extra'],
  ['diff', 'vip', '-f'],
  ['help', '-x'],
  ['help', 'inspect', 'vips', '--nope'],
]

describe('bad invocations: one line, exit 64, no framework boilerplate', function () {
  this.timeout(240_000)
  for (const [label, bin] of [
    ['vipctl', path.join(ROOT, 'bin', 'run.js')],
    ['kubectl vip', KUBECTL_VIP],
  ] as const) {
    it(`as ${label}: ${BAD.length} invocations`, () => {
      for (const args of BAD) {
        const r = run(bin, args)
        const what = `${label} ${args.join(' ')}: ${JSON.stringify(r.stderr)}`
        assert.equal(r.status, 64, what)
        assert.equal(r.stdout, '', what)
        assert.match(r.stderr, /^error: [^\n]+\n$/, what)
        assert.doesNotMatch(r.stderr, BOILERPLATE, what)
        // Where a line names a command to run, it is the one the user typed.
        if (label === 'kubectl vip') assert.doesNotMatch(r.stderr, /vipctl (--help|inspect|check|help)/, what)
        if (/unknown command/.test(r.stderr)) assert.match(r.stderr, new RegExp(`\\(see ${label} --help\\)\\n$`), what)
      }
    })
  }

  it('a repeatable flag takes one value per use, as kubectl\'s: the word after its value is an argument, not a second value', () => {
    const r = run(path.join(ROOT, 'bin', 'run.js'), ['migrate', 'netscaler', '--backend-selector', 'app=x'])
    assert.equal(r.status, 64, r.stderr)
    assert.equal(r.stderr, 'error: missing argument FILE (see vipctl migrate netscaler --help)\n')
    const names = run(path.join(ROOT, 'bin', 'run.js'), ['inspect', 'services', '-f', 'examples/shop', 'frontend', '-o', 'name'])
    assert.equal(names.status, 0, names.stderr)
    assert.equal(names.stdout, 'service/frontend\n')
  })
})

describe('-h is --help everywhere', function () {
  this.timeout(240_000)
  for (const args of [[], ['inspect'], ['check'], ['inspect', 'services'], ['check', 'trace'], ['migrate', 'netscaler'], ['version'], ['help'], ['generate', 'haproxy']]) {
    it(`${['vipctl', ...args].join(' ')} -h`, () => {
      const short = run(path.join(ROOT, 'bin', 'run.js'), [...args, '-h'])
      const long = run(path.join(ROOT, 'bin', 'run.js'), [...args, '--help'])
      assert.equal(short.status, 0, short.stderr)
      assert.equal(short.stderr, '')
      assert.match(short.stdout, /USAGE\n {2}\$ vipctl/)
      assert.equal(short.stdout, long.stdout)
      // A help flag anywhere before -- (after flags and their values too).
      if (args.length > 0) assert.equal(run(path.join(ROOT, 'bin', 'run.js'), [...args, '--debug', '-h']).stdout, long.stdout)
    })
  }

  it('as kubectl vip, -h prints the same help with kubectl vip in USAGE and examples', () => {
    const r = run(KUBECTL_VIP, ['generate', 'haproxy', '-h'])
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /USAGE\n {2}\$ kubectl vip generate haproxy/)
    assert.match(r.stdout, /EXAMPLES\n(.*\n)* {2}\$ kubectl vip generate haproxy/)
    assert.doesNotMatch(r.stdout, /\bvipctl (generate|inspect|check|apply|diff)\b|\$ vipctl/)
    const root = run(KUBECTL_VIP, ['-h'])
    assert.match(root.stdout, /USAGE\n {2}\$ kubectl vip \[COMMAND\]/)
  })
})
