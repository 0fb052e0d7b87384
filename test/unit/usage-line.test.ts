/**
 * oclif's parse errors become one plain line (src/cli/usage-line.ts): the errors here are oclif's own, thrown by
 * its parser for flag definitions like vipctl's, so a change in oclif's wording shows up here.
 */
import assert from 'node:assert/strict'
import {Args, Flags, Parser} from '@oclif/core'
import {usageLine} from '../../src/cli/usage-line.js'
import {asInvoked, invokedAs, unknownCommandLine} from '../../src/cli/invocation.js'

async function parseError(argv: string[], input: Parameters<typeof Parser.parse>[1]): Promise<string> {
  try {
    await Parser.parse(argv, input)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('parsed without an error')
}

const FLAGS = {
  selector: Flags.string({char: 'l', multiple: true}),
  filename: Flags.string({char: 'f', multiple: true}),
  url: Flags.string({exclusive: ['socket']}),
  socket: Flags.string(),
  namespace: Flags.string({char: 'n'}),
  'all-namespaces': Flags.boolean({char: 'A', exclusive: ['namespace']}),
  user: Flags.string({dependsOn: ['password']}),
  password: Flags.string(),
}
const ARGS = {file: Args.string({required: true, description: 'ns.conf (or a batch file of ns.conf commands), a long description that oclif wraps onto a second line when it lists it'})}
const BOILERPLATE = /The following|See more help|Note:|allows? multiple values|\n|\u001b/

describe('usageLine: oclif parse errors as one line', () => {
  it('a missing argument: its name, without the multiple-values note when no such flag was given', async () => {
    const m = await parseError([], {flags: FLAGS, args: ARGS})
    assert.match(m, /Note: --selector, --filename allow multiple values/, 'oclif still writes the note')
    assert.equal(usageLine(m, []), 'missing argument FILE')
    assert.equal(usageLine(m, ['-f', 'x']), 'missing argument FILE')
  })

  it('a missing argument after a multiple-value flag that took it: a short note naming that flag', async () => {
    const m = await parseError(['--selector', 'a=b', 'ns.conf'], {flags: FLAGS, args: ARGS})
    assert.equal(usageLine(m, ['--selector', 'a=b', 'ns.conf']), 'missing argument FILE (--selector takes several values: put arguments before it, or after --)')
    assert.equal(usageLine(m, ['--filename=x', '--selector=a']), 'missing argument FILE (--selector, --filename take several values: put arguments before them, or after --)')
  })

  it('two missing arguments', async () => {
    const m = await parseError([], {args: {target: Args.string({required: true, description: 'HOST[/PATH]'}), port: Args.string({required: true})}})
    assert.equal(usageLine(m, []), 'missing arguments TARGET PORT')
  })

  it('exclusive and dependsOn flags: the problems, without "The following error(s) occurred"', async () => {
    const one = await parseError(['--url', 'http://x', '--socket', 'y'], {flags: FLAGS})
    assert.match(one, /^The following error occurred:/)
    assert.equal(usageLine(one), '--socket=y cannot also be provided when using --url')
    const two = await parseError(['-A', '-n', 'x', '--user', 'u'], {flags: FLAGS})
    assert.match(two, /^The following errors occurred:/)
    assert.equal(usageLine(two), '--namespace=x cannot also be provided when using --all-namespaces; All of the following must be provided when using --user: --password')
  })

  it('a missing required flag', async () => {
    const m = await parseError([], {flags: {filename: Flags.string({char: 'f', required: true})}})
    assert.equal(usageLine(m), 'Missing required flag filename')
  })

  it('unknown flags, bad values, unexpected arguments: oclif\'s first line only', async () => {
    for (const [argv, input, want] of [
      [['--bogus'], {flags: FLAGS}, 'unknown flag: --bogus'],
      [['-n'], {flags: FLAGS}, 'Flag --namespace expects a value'],
      [['-o', 'wide'], {flags: {output: Flags.string({char: 'o', options: ['table', 'json']})}}, 'Expected --output=wide to be one of: table, json'],
      [['extra'], {flags: FLAGS}, 'unexpected argument: extra'],
    ] as const) {
      const m = await parseError([...argv], input as Parameters<typeof Parser.parse>[1])
      assert.equal(usageLine(m), want)
      assert.doesNotMatch(usageLine(m), BOILERPLATE)
    }
  })

  it('colour codes oclif puts in the problem lines are dropped', () => {
    assert.equal(usageLine('The following error occurred:\n  \u001b[2m--a=1 cannot also be provided when using --b\u001b[22m\nSee more help with --help'), '--a=1 cannot also be provided when using --b')
  })
})

describe('invocation name', () => {
  it('kubectl vip when the script is named kubectl-vip, else vipctl', () => {
    for (const [argv1, want] of [
      ['/usr/local/bin/kubectl-vip', 'kubectl vip'],
      ['/home/u/.krew/bin/kubectl-vip', 'kubectl vip'],
      ['/x/kubectl-vip.js', 'kubectl vip'],
      ['/usr/local/bin/vipctl', 'vipctl'],
      ['/x/bin/run.js', 'vipctl'],
      ['/x/kubectl-vipx', 'vipctl'],
      ['/x/kubectl-vip-extra', 'vipctl'],
      [undefined, 'vipctl'],
    ] as const)
      assert.equal(invokedAs(argv1), want, String(argv1))
  })

  it('command lines in messages say the invoked name; the product name elsewhere stays', () => {
    assert.equal(asInvoked('see vipctl --help', 'kubectl vip'), 'see kubectl vip --help')
    assert.equal(asInvoked('run vipctl check -f - or vipctl install -o yaml', 'kubectl vip'), 'run kubectl vip check -f - or kubectl vip install -o yaml')
    assert.equal(asInvoked('vipctl serves IPAddress; vipctl.io/timeout-connect; vipctl checks ranges', 'kubectl vip'), 'vipctl serves IPAddress; vipctl.io/timeout-connect; vipctl checks ranges')
    assert.equal(asInvoked('see vipctl --help', 'vipctl'), 'see vipctl --help')
    assert.equal(unknownCommandLine('inspect:bogus\u001b', 'kubectl vip'), 'error: unknown command "inspect bogus?" (see kubectl vip --help)')
  })
})
