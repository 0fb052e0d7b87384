/** "Did you mean" (src/core/suggest.ts): the distance, the cutoff, unknown commands and oclif's own parse errors. */
import assert from 'node:assert/strict'
import {Args, Flags, Parser} from '@oclif/core'
import {classifyError} from '../../src/cli/base.js'
import {closest, commandHint, editDistance, maxEdits, parseErrorHint, unknownCommand, unknownFlagHint, valueHint} from '../../src/core/suggest.js'

const COMMANDS = [
  {id: 'inspect:services', aliases: ['inspect:svc']},
  {id: 'inspect:ingresses', aliases: ['inspect:ing']},
  {id: 'inspect:endpoints'},
  {id: 'install'},
  {id: 'check'},
  {id: 'check:trace'},
  {id: 'stats'},
  {id: 'sync'},
  {id: 'version'},
  {id: '__complete', hidden: true},
]

/** What oclif's parser throws for `argv` against these flags. */
async function parseError(argv: string[]): Promise<unknown> {
  try {
    await Parser.parse(argv, {
      flags: {
        namespace: Flags.string({char: 'n'}),
        'all-namespaces': Flags.boolean({char: 'A'}),
        color: Flags.boolean({allowNo: true}),
        output: Flags.option({char: 'o', options: ['table', 'wide', 'json', 'jsonl', 'yaml'] as const})(),
        secret: Flags.string({hidden: true}),
      },
      args: {name: Args.string()},
      strict: true,
    })
  } catch (error) {
    return error
  }
  throw new Error(`parsed: ${argv.join(' ')}`)
}

describe('did you mean', () => {
  it('distance: insert, delete, substitute, and a swap of neighbours each cost one', () => {
    assert.equal(editDistance('inspct', 'inspect'), 1)
    assert.equal(editDistance('insepct', 'inspect'), 1)
    assert.equal(editDistance('servics', 'services'), 1)
    assert.equal(editDistance('namspace', 'namespace'), 1)
    assert.equal(editDistance('sycn', 'sync'), 1)
    assert.equal(editDistance('abc', 'abc'), 0)
    assert.equal(editDistance('', 'abc'), 3)
    assert.equal(editDistance('kitten', 'sitting'), 3)
    // Bounded work on any input: long strings are cut.
    assert.equal(editDistance('a'.repeat(100_000), 'b'.repeat(100_000)), 64)
  })

  it('cutoff: a third of the typed length, at least 1, at most 3', () => {
    assert.deepEqual([1, 2, 3, 5, 6, 9, 12, 40].map((n) => maxEdits('x'.repeat(n))), [1, 1, 1, 1, 2, 3, 3, 3])
    assert.deepEqual(closest('xyz', ['inspect', 'install']), [])
    assert.deepEqual(closest('sta', ['stats', 'sync']), ['stats'], 'a typed prefix')
    assert.deepEqual(closest('ins', ['inspect', 'install']), ['inspect', 'install'], 'ties are all given')
    assert.deepEqual(closest('INSPCT', ['inspect', 'install']), ['inspect'], 'case-insensitive')
    assert.deepEqual(closest('', ['a']), [])
    assert.deepEqual(closest('x', ['y', 'z', 'w', 'v']), ['y', 'z', 'w'], 'at most three')
  })

  it('unknown command: at the root, in a topic, past a command; hidden commands never', () => {
    const root = unknownCommand('inspct:services', COMMANDS)
    assert.deepEqual(root, {typed: 'inspct', suggestions: ['inspect']})
    assert.equal(commandHint(root), 'did you mean "inspect"?')
    assert.deepEqual(unknownCommand('inspect:servics', COMMANDS), {typed: 'inspect servics', suggestions: ['inspect services']})
    // An alias near the typed word stands for its command, named once.
    assert.deepEqual(unknownCommand('inspect:svcs', COMMANDS), {typed: 'inspect svcs', suggestions: ['inspect services']})
    const withSingular = [...COMMANDS, {id: 'inspect:service', aliases: ['inspect:svc', 'inspect:service'], hidden: false}]
    withSingular[0] = {id: 'inspect:services', aliases: ['inspect:svc', 'inspect:service']}
    assert.deepEqual(unknownCommand('inspect:servics', withSingular).suggestions, ['inspect services'])
    assert.deepEqual(unknownCommand('check:trcae', COMMANDS), {typed: 'check trcae', suggestions: ['check trace']})
    assert.deepEqual(unknownCommand('check:foo', COMMANDS), {typed: 'check foo', suggestions: []})
    assert.equal(commandHint(unknownCommand('check:foo', COMMANDS)), '')
    assert.deepEqual(unknownCommand('__complet', COMMANDS).suggestions, [])
    assert.equal(commandHint(unknownCommand('ins', COMMANDS)), 'did you mean "inspect" or "install"?')
    assert.deepEqual(unknownCommand('sycn', COMMANDS).suggestions, ['sync'])
  })

  it('unknown flag: the nearest of the command\'s flags (and --no- forms), from oclif\'s own error', async () => {
    assert.equal(parseErrorHint(await parseError(['--namspace', 'x'])), 'did you mean --namespace?')
    assert.equal(parseErrorHint(await parseError(['--all-namspaces'])), 'did you mean --all-namespaces?')
    assert.equal(parseErrorHint(await parseError(['--nocolor'])), 'did you mean --no-color?')
    assert.equal(parseErrorHint(await parseError(['--secrte', 'x'])), undefined, 'hidden flags are not suggested')
    assert.equal(parseErrorHint(await parseError(['--zzzzzz'])), undefined)
    assert.equal(parseErrorHint(new Error('anything')), undefined)
    assert.equal(parseErrorHint(null), undefined)
  })

  it('unknown flag reported by a command itself (parsing without strict): from its static flags', () => {
    const flags = {namespace: Flags.string({char: 'n'}), color: Flags.boolean({allowNo: true}), secret: Flags.string({hidden: true})}
    assert.equal(unknownFlagHint('--namspace', flags), 'did you mean --namespace?')
    assert.equal(unknownFlagHint('--namspace=shop', flags), 'did you mean --namespace?')
    assert.equal(unknownFlagHint('--nocolor', flags), 'did you mean --no-color?')
    assert.equal(unknownFlagHint('--secet', flags), undefined)
    assert.equal(unknownFlagHint('-x', flags), undefined)
  })

  it('a value not among a flag\'s options: the nearest option', async () => {
    assert.equal(parseErrorHint(await parseError(['-o', 'jsn'])), 'did you mean json?')
    assert.equal(parseErrorHint(await parseError(['--output=yml'])), 'did you mean yaml?')
    assert.equal(parseErrorHint(await parseError(['-o', 'xml'])), undefined)
    assert.equal(valueHint('jsonpth=', ['json', 'jsonpath=', 'yaml']), 'did you mean jsonpath=?')
    assert.equal(valueHint('zzz', ['json']), undefined)
  })

  it('classifyError: usage exit 64 and the suggestion as the hint; "see --help" when there is none', async () => {
    const c = classifyError(await parseError(['--namspace', 'x']))
    assert.equal(c.exit, 64)
    assert.equal(c.hint, 'did you mean --namespace?')
    assert.match(c.message, /--namspace/)
    assert.equal(classifyError(await parseError(['--zzzzzz'])).hint, 'see --help')
  })
})
