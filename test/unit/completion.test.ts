/**
 * Shell completion's candidates (src/cli/completion.ts): commands and topics, flags, flag values, arguments and
 * the directive, over a small CLI description and fake lookups; then the kubeconfig and cluster lookups against a
 * local API server double (answers, hostile names, no server, a server that never answers).
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  Directive,
  MAX_LOOKUP_CANDIDATES,
  OBJECT_NAME,
  cleanNames,
  complete,
  formatCompletion,
  kubeLookups,
  scriptName,
  specFromConfig,
  specFromFiles,
  valuesFromHelp,
  type CliSpec,
  type CompletionLookups,
  type FlagSpec,
} from '../../src/cli/completion.js'
import {completionScript} from '../../src/cli/completion-scripts.js'
import {completeApi} from '../helpers/complete-api.js'

const source: Record<string, FlagSpec> = {
  namespace: {name: 'namespace', char: 'n', type: 'option', description: 'namespace\nsecond line'},
  'all-namespaces': {name: 'all-namespaces', char: 'A', type: 'boolean'},
  context: {name: 'context', type: 'option'},
  kubeconfig: {name: 'kubeconfig', type: 'option'},
  filename: {name: 'filename', char: 'f', type: 'option', multiple: true},
  output: {name: 'output', char: 'o', type: 'option', options: ['table', 'json', 'jsonpath=', 'custom-columns=']},
  color: {name: 'color', type: 'boolean', allowNo: true},
  secret: {name: 'secret', type: 'option', hidden: true},
}

const SPEC: CliSpec = {
  topics: {inspect: {description: 'Show things'}},
  commands: [
    {id: 'inspect:services', aliases: ['inspect:svc'], summary: 'Services', flags: source, args: {name: {name: 'name'}}},
    {id: 'inspect:vips', description: 'VIPs\nmore', flags: source},
    {
      id: 'inspect:ingresses',
      strict: false,
      flags: {...source, output: {name: 'output', char: 'o', type: 'option', helpValue: 'table|json|jsonl|jsonpath=TEMPLATE|jsonpath-file=FILE'}},
      args: {name: {name: 'name'}},
    },
    {id: 'check', description: 'Check', flags: {'fail-on': {name: 'fail-on', type: 'option', options: ['error', 'warning']}}},
    {id: 'check:trace', flags: {}, args: {target: {name: 'target'}}},
    {id: 'generate:haproxy', flags: {'config-dir': {name: 'config-dir', type: 'option'}, out: {name: 'out', type: 'option'}, vip: {name: 'vip', type: 'option'}}},
    {id: 'migrate:haproxy', flags: {}, args: {file: {name: 'file'}}},
    {id: 'completion', flags: {}, args: {shell: {name: 'shell', options: ['bash', 'zsh', 'fish']}}},
    {id: '__complete', hidden: true, strict: false, flags: {}},
  ],
}

/** Fake lookups that record what they were asked. */
function fakes(over: Partial<CompletionLookups> = {}) {
  const calls: string[] = []
  const lookups: CompletionLookups = {
    contexts: async (c) => (calls.push(`contexts ${JSON.stringify(c)}`), ['kind-a', 'kind-b', 'bad name']),
    namespaces: async (c) => (calls.push(`namespaces ${JSON.stringify(c)}`), ['default', 'kube-system', 'shop']),
    names: async (c, what, scope) => (calls.push(`names ${what.resource} ${JSON.stringify(c)} ${JSON.stringify(scope)}`), ['cart', 'checkout', 'web']),
    ...over,
  }
  return {calls, lookups}
}

const values = async (words: string[], lookups = fakes().lookups) => {
  const r = await complete(SPEC, words, lookups)
  return {values: r.candidates.map((c) => c.value), directive: r.directive}
}

describe('completion: candidates', () => {
  it('commands and topics at the root and in a topic, hidden ones never', async () => {
    assert.deepEqual(await values(['']), {values: ['check', 'completion', 'generate', 'inspect', 'migrate'], directive: Directive.NoFileComp})
    assert.deepEqual(await values([]), await values(['']))
    assert.deepEqual((await values(['in'])).values, ['inspect'])
    assert.deepEqual((await values(['inspect', ''])).values, ['ingresses', 'services', 'vips'])
    assert.deepEqual((await values(['inspect', 'v'])).values, ['vips'])
    assert.deepEqual((await values(['__'])).values, [])
    // An unknown word stops completion (nothing after it can be known).
    assert.deepEqual(await values(['inspct', '']), {values: [], directive: Directive.NoFileComp})
  })

  it('help [COMMAND...]: its words complete as commands and topics, never as files', async () => {
    const help = {id: 'help', strict: false, flags: {'nested-commands': {name: 'nested-commands', char: 'n', type: 'boolean' as const}}, args: {command: {name: 'command'}}}
    const spec: CliSpec = {...SPEC, commands: [...SPEC.commands, help]}
    const words = async (w: string[]) => {
      const r = await complete(spec, w, fakes().lookups)
      return {values: r.candidates.map((c) => c.value), directive: r.directive}
    }
    assert.deepEqual(await words(['help', '']), {values: ['check', 'completion', 'generate', 'help', 'inspect', 'migrate'], directive: Directive.NoFileComp})
    assert.deepEqual((await words(['help', 'in'])).values, ['inspect'])
    assert.deepEqual(await words(['help', 'inspect', '']), {values: ['ingresses', 'services', 'vips'], directive: Directive.NoFileComp})
    assert.deepEqual((await words(['help', '-n', 'inspect', 's'])).values, ['services'])
    assert.deepEqual((await words(['help', 'check', ''])).values, ['trace'])
    // A command with nothing under it, or an unknown word: nothing more, and no file names.
    assert.deepEqual(await words(['help', 'inspect', 'vips', '']), {values: [], directive: Directive.NoFileComp})
    assert.deepEqual(await words(['help', 'nosuch', '']), {values: [], directive: Directive.NoFileComp})
    assert.deepEqual((await words(['help', '--'])).values, ['--nested-commands'])
    // After --, words are the subject's; empty words are skipped, as the help command skips them.
    assert.deepEqual((await words(['help', '--', 'in'])).values, ['inspect'])
    assert.deepEqual((await words(['help', '--', 'inspect', ''])).values, ['ingresses', 'services', 'vips'])
    assert.deepEqual((await words(['help', '', 'in'])).values, ['inspect'])
  })

  it('descriptions: a command\'s summary or first line, a topic\'s from package.json', async () => {
    // A negated flag does not borrow its flag's description, which says what the flag turns on.
    const neg = await complete(SPEC, ['inspect', 'vips', '--no-c'], fakes().lookups)
    assert.deepEqual(neg.candidates, [{value: '--no-color', description: 'the opposite of --color'}])
    const r = await complete(SPEC, [''], fakes().lookups)
    assert.deepEqual(r.candidates.find((c) => c.value === 'inspect'), {value: 'inspect', description: 'Show things'})
    const sub = await complete(SPEC, ['inspect', ''], fakes().lookups)
    assert.deepEqual(sub.candidates, [{value: 'ingresses'}, {value: 'services', description: 'Services'}, {value: 'vips', description: 'VIPs'}])
  })

  it('a command that is also a topic offers its subcommands, then its flags', async () => {
    assert.deepEqual(await values(['check', '']), {values: ['trace'], directive: Directive.NoFileComp})
    assert.deepEqual((await values(['check', '--f'])).values, ['--fail-on'])
    assert.deepEqual((await values(['check', '--fail-on', ''])).values, ['error', 'warning'])
    // check trace takes a target (not a file, not a known list): nothing, and no file names.
    assert.deepEqual(await values(['check', 'trace', '']), {values: [], directive: Directive.NoFileComp})
  })

  it('flag names: long, --no- for negatable booleans, short while one dash; used ones left out unless repeatable', async () => {
    const all = (await values(['inspect', 'services', '-'])).values
    assert.deepEqual(all, ['--all-namespaces', '-A', '--color', '--no-color', '--context', '--filename', '-f', '--kubeconfig', '--namespace', '-n', '--output', '-o'])
    assert.ok(!all.includes('--secret'), 'hidden flags are not offered')
    assert.deepEqual((await values(['inspect', 'services', '--'])).values, all.filter((v) => v.startsWith('--')))
    assert.deepEqual((await values(['inspect', 'services', '--na'])).values, ['--namespace'])
    const after = (await values(['inspect', 'services', '-n', 'shop', '-f', 'x.yaml', '--color', '--'])).values
    assert.ok(!after.includes('--namespace') && !after.includes('--color'), after.join(' '))
    assert.ok(after.includes('--filename'), 'a repeatable flag is offered again')
    assert.equal((await values(['inspect', 'services', '--'])).directive, Directive.NoFileComp)
  })

  it('flag values: options, namespaces, contexts, each way of writing the flag', async () => {
    assert.deepEqual(await values(['inspect', 'services', '-o', 'j']), {values: ['json', 'jsonpath='], directive: Directive.NoFileComp})
    assert.deepEqual((await values(['inspect', 'services', '--output', ''])).values, ['table', 'json', 'jsonpath=', 'custom-columns='])
    assert.deepEqual((await values(['inspect', 'services', '--output=t'])).values, ['--output=table'])
    assert.deepEqual((await values(['inspect', 'services', '-oj'])).values, ['-ojson', '-ojsonpath='])
    assert.deepEqual((await values(['inspect', 'services', '-n', 'k'])).values, ['kube-system'])
    assert.deepEqual((await values(['inspect', 'services', '--namespace=s'])).values, ['--namespace=shop'])
    assert.deepEqual((await values(['inspect', 'services', '-ns'])).values, ['-nshop'])
    // Contexts that are not one printable word are dropped (a space would split the candidate).
    assert.deepEqual((await values(['inspect', 'vips', '--context', ''])).values, ['kind-a', 'kind-b'])
  })

  it('values a flag that parses its own lists in its help value (table|json|jsonpath=TEMPLATE)', async () => {
    assert.deepEqual(valuesFromHelp('table|wide|name|json|yaml|jsonl|jsonpath=TEMPLATE|jsonpath-file=FILE|custom-columns=SPEC'), [
      'table', 'wide', 'name', 'json', 'yaml', 'jsonl', 'jsonpath=', 'jsonpath-file=', 'custom-columns=',
    ])
    assert.equal(valuesFromHelp('NAME'), undefined)
    assert.equal(valuesFromHelp('<value>|x'), undefined)
    assert.equal(valuesFromHelp(['a', 'b']), undefined)
    assert.deepEqual(await values(['inspect', 'ingresses', '-o', 'j']), {values: ['json', 'jsonl', 'jsonpath=', 'jsonpath-file='], directive: Directive.NoFileComp})
    assert.deepEqual(await values(['inspect', 'ingresses', '--output=jsonp']), {values: ['--output=jsonpath=', '--output=jsonpath-file='], directive: Directive.NoFileComp | Directive.NoSpace})
  })

  it('a command taking any number of names (not strict): names again, those already given left out', async () => {
    const f = fakes()
    assert.deepEqual((await values(['inspect', 'ingresses', 'cart', ''], f.lookups)).values, ['checkout', 'web'])
    assert.deepEqual((await values(['inspect', 'ingresses', 'cart', '-n', 'shop', 'web', ''], f.lookups)).values, ['checkout'])
    assert.equal(f.calls.length, 2)
  })

  it('a value still to be continued (jsonpath=) takes no space after it', async () => {
    assert.equal((await values(['inspect', 'services', '-o', 'jsonp'])).directive, Directive.NoFileComp | Directive.NoSpace)
    assert.equal((await values(['inspect', 'services', '-o', 'js'])).directive, Directive.NoFileComp)
  })

  it('file and directory flags hand over to the shell; free-form values offer nothing', async () => {
    assert.deepEqual(await values(['generate', 'haproxy', '--config-dir', '']), {values: [], directive: Directive.FilterDirs})
    assert.deepEqual(await values(['generate', 'haproxy', '--out', '']), {values: [], directive: Directive.Default})
    assert.deepEqual(await values(['inspect', 'vips', '-f', '']), {values: [], directive: Directive.Default})
    assert.deepEqual(await values(['inspect', 'vips', '--kubeconfig=']), {values: [], directive: Directive.Default})
    assert.deepEqual(await values(['generate', 'haproxy', '--vip', '']), {values: [], directive: Directive.NoFileComp})
  })

  it('arguments: options, file names for a FILE argument, nothing past the last argument', async () => {
    assert.deepEqual(await values(['completion', 'z']), {values: ['zsh'], directive: Directive.NoFileComp})
    assert.deepEqual(await values(['completion', 'bash', '']), {values: [], directive: Directive.NoFileComp})
    assert.deepEqual(await values(['migrate', 'haproxy', '']), {values: [], directive: Directive.Default})
    assert.deepEqual(await values(['inspect', 'vips', '']), {values: [], directive: Directive.NoFileComp})
  })

  it('object names: of the command\'s kind (aliases too), in the namespace and context the line names', async () => {
    const f = fakes()
    assert.deepEqual(await values(['inspect', 'services', 'c'], f.lookups), {values: ['cart', 'checkout'], directive: Directive.NoFileComp})
    assert.deepEqual((await values(['inspect', 'svc', '-n', 'shop', '--context=kind-b', '--kubeconfig', '/k', ''], f.lookups)).values, ['cart', 'checkout', 'web'])
    await values(['inspect', 'services', '-A', ''], f.lookups)
    assert.deepEqual(f.calls, [
      'names services {} {"allNamespaces":false}',
      'names services {"kubeconfig":"/k","context":"kind-b"} {"namespace":"shop","allNamespaces":false}',
      'names services {} {"allNamespaces":true}',
    ])
    // The second name: the command takes one.
    assert.deepEqual((await values(['inspect', 'services', 'cart', ''], f.lookups)).values, [])
    // After --, everything is an argument, even what looks like a flag.
    assert.deepEqual((await values(['inspect', 'services', '--', '-'], f.lookups)).values, [])
  })

  it('with -f (manifests, not the cluster) the cluster is not asked', async () => {
    const f = fakes()
    assert.deepEqual(await values(['inspect', 'services', '-f', 'shop.yaml', ''], f.lookups), {values: [], directive: Directive.NoFileComp})
    assert.deepEqual((await values(['inspect', 'services', '-f', 'shop.yaml', '-n', ''], f.lookups)).values, [])
    assert.deepEqual(f.calls, [])
  })

  it('names the cluster sends are kept only when they are Kubernetes names, at most MAX_LOOKUP_CANDIDATES', async () => {
    const hostile = ['ok', 'a\nb', 'esc\u001b[31m', 'tab\tx', 'UPPER', '', 7, null, 'x'.repeat(300), 'ok', 'dotted.name']
    const f = fakes({names: async () => hostile as string[], namespaces: async () => hostile as string[]})
    assert.deepEqual((await values(['inspect', 'services', ''], f.lookups)).values, ['dotted.name', 'ok'])
    assert.deepEqual((await values(['inspect', 'services', '-n', ''], f.lookups)).values, ['dotted.name', 'ok'])
    const many = Array.from({length: MAX_LOOKUP_CANDIDATES + 500}, (_, i) => `svc-${i}`)
    assert.equal(cleanNames(many, OBJECT_NAME).length, MAX_LOOKUP_CANDIDATES)
  })

  it('formats cobra\'s protocol: value<TAB>description lines, then :directive', () => {
    const text = formatCompletion({candidates: [{value: 'inspect', description: 'Show things'}, {value: 'json'}], directive: 4})
    assert.equal(text, 'inspect\tShow things\njson\n:4\n')
    assert.equal(formatCompletion({candidates: [{value: 'a', description: 'd'}], directive: 0}, {descriptions: false}), 'a\n:0\n')
    assert.equal(formatCompletion({candidates: [], directive: Directive.Error}), ':1\n')
  })

  it('a candidate with a blank or a control character is left out; descriptions are one printable line', () => {
    // A value from a tampered manifest could forge a protocol line (v, then "fake<TAB>:0") or reach the terminal.
    const text = formatCompletion({
      candidates: [
        ...['v\nfake\t:0', 'x\u001b]0;pwned\u0007', 'a b', 'csi\u009b2J', '', 'nb\u00a0sp', 'ls\u2028ep', 'zw\u200bsp', 'rl\u202eo'].map((value) => ({value})),
        {value: 'ok', description: 'one\ntwo\u009b2J\u001b[31m\u2028\u202e'},
      ],
      directive: 4,
    })
    assert.equal(text, 'ok\tone two 2J [31m  \n:4\n')
  })

  it('the manifest and package.json: regular files, bounded, of the right shape, or an error (the caller offers nothing)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-spec-'))
    const root = new URL(`file://${dir}/`)
    const pjson = JSON.stringify({oclif: {topics: {inspect: {description: 'Show things'}}}})
    writeFileSync(path.join(dir, 'package.json'), pjson)
    const manifest = (text: string) => writeFileSync(path.join(dir, 'oclif.manifest.json'), text)
    manifest(JSON.stringify({version: '1', commands: {'inspect:vips': {id: 'inspect:vips', flags: {}}, bad: {noId: true}}}))
    assert.deepEqual(specFromFiles(root, 'vipctl'), {commands: [{id: 'inspect:vips', flags: {}}], topics: {inspect: {description: 'Show things'}}})
    for (const text of ['[]', '"x"', 'null', '{"commands":null}', '{"commands":[]}', '{"commands":', '']) {
      manifest(text)
      assert.throws(() => specFromFiles(root, 'vipctl'), Error, text)
    }
    rmSync(path.join(dir, 'oclif.manifest.json'))
    symlinkSync('/dev/zero', path.join(dir, 'oclif.manifest.json'))
    assert.throws(() => specFromFiles(root, 'vipctl'), /oclif\.manifest\.json: not a regular file/)
    rmSync(path.join(dir, 'oclif.manifest.json'))
    assert.equal(spawnSync('mkfifo', [path.join(dir, 'oclif.manifest.json')]).status, 0)
    const t0 = Date.now()
    assert.throws(() => specFromFiles(root, 'vipctl'), /oclif\.manifest\.json: not a regular file/)
    assert.ok(Date.now() - t0 < 2000, 'a named pipe is refused at once')
    rmSync(dir, {recursive: true, force: true})
  })

  it('oclif\'s loaded commands: its own, without the alias copies oclif adds', () => {
    const svc = {id: 'inspect:services', aliases: ['inspect:svc'], pluginName: 'vipctl'}
    const spec = specFromConfig({
      name: 'vipctl',
      commands: [svc, {...svc, id: 'inspect:svc'}, {id: 'help', pluginName: '@oclif/plugin-help'}],
      pjson: {oclif: {topics: {inspect: {description: 'x'}}}},
    })
    assert.deepEqual(
      spec.commands.map((c) => c.id),
      ['inspect:services'],
    )
    assert.deepEqual(spec.topics, {inspect: {description: 'x'}})
  })

  it('the script name: the program\'s own name when plain, else the bin', () => {
    assert.equal(scriptName('/usr/local/bin/kubectl-vip', 'vipctl'), 'kubectl-vip')
    assert.equal(scriptName('/usr/lib/node_modules/vipctl/bin/run.js', 'vipctl'), 'vipctl')
    assert.equal(scriptName(undefined, 'vipctl'), 'vipctl')
    assert.equal(scriptName('/tmp/x;rm -rf', 'vipctl'), 'vipctl')
    assert.match(completionScript('bash', 'kubectl-vip'), /^complete -F _kubectl_vip kubectl-vip$/m)
    assert.throws(() => completionScript('bash', 'a b'), /command name/)
  })
})

describe('completion: kubeconfig and cluster lookups', function () {
  this.timeout(15_000)
  // The deadline counts loading the kubeconfig and REST modules too: load them once first (tsx compiles them on first use).
  before(async () => {
    await Promise.all([import('../../src/cluster/kubeconfig.js'), import('../../src/core/kube-rest.js'), import('yaml')])
  })

  it('namespaces and names come from the API server, with the kubeconfig\'s credentials and namespace', async () => {
    const api = await completeApi({
      '/api/v1/namespaces': ['default', 'shop', 'bad\u001bname'],
      '/api/v1/namespaces/shop/services': ['cart', 'web'],
      '/api/v1/namespaces/other/services': ['other-svc'],
      '/apis/networking.k8s.io/v1/ingresses': ['shop-ing'],
    })
    try {
      const l = kubeLookups({KUBECONFIG: api.kubeconfig}, 2000)
      assert.deepEqual(await l.namespaces({}), ['default', 'shop', 'bad\u001bname'], 'the lookup returns what came; complete() filters')
      assert.deepEqual(await l.names({}, {api: '/api/v1', resource: 'services'}, {allNamespaces: false}), ['cart', 'web'])
      assert.deepEqual(await l.names({}, {api: '/api/v1', resource: 'services'}, {namespace: 'other', allNamespaces: false}), ['other-svc'])
      assert.deepEqual(await l.names({}, {api: '/apis/networking.k8s.io/v1', resource: 'ingresses'}, {allNamespaces: true}), ['shop-ing'])
      // A namespace that is not a name never reaches a URL.
      assert.deepEqual(await l.names({}, {api: '/api/v1', resource: 'services'}, {namespace: '../../x', allNamespaces: false}), [])
      // 404 (a group the server does not serve): no names.
      assert.deepEqual(await l.names({}, {api: '/apis/gateway.networking.k8s.io/v1', resource: 'gateways'}, {allNamespaces: false}), [])
      assert.ok(api.requests.every((r) => r.auth === 'Bearer COMPLETE_TOKEN'))
      assert.ok(api.requests.every((r) => r.query.includes(`limit=${MAX_LOOKUP_CANDIDATES}`)))
      assert.equal(l.abandoned(), false)
      // Through complete(): hostile names filtered.
      const r = await complete(SPEC, ['inspect', 'services', '-n', ''], l)
      assert.deepEqual(r.candidates.map((c) => c.value), ['default', 'shop'])
    } finally {
      await api.close()
    }
  })

  it('contexts come from the kubeconfig (no cluster asked), also when its current context is broken', async () => {
    const api = await completeApi({})
    try {
      const l = kubeLookups({KUBECONFIG: api.kubeconfig})
      assert.deepEqual(await l.contexts({}), ['ctx', 'arn:aws:eks:eu-west-1:1:cluster/prod'])
      assert.equal(api.requests.length, 0)
      const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-complete-'))
      const broken = path.join(dir, 'broken')
      writeFileSync(broken, 'apiVersion: v1\nkind: Config\ncontexts: [{name: a, context: {cluster: gone}}, {name: b, context: {cluster: gone}}]\ncurrent-context: nowhere\n')
      assert.deepEqual(await kubeLookups({}).contexts({kubeconfig: broken}), ['a', 'b'])
      assert.deepEqual(await kubeLookups({HOME: dir}).contexts({}), [])
    } finally {
      await api.close()
    }
  })

  it('no kubeconfig, no server, a bad kubeconfig: no candidates, no error', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-complete-'))
    assert.deepEqual(await kubeLookups({HOME: dir}).namespaces({}), [])
    const api = await completeApi({})
    const kubeconfig = api.kubeconfig
    await api.close()
    assert.deepEqual(await kubeLookups({KUBECONFIG: kubeconfig}).namespaces({}), [], 'connection refused')
    writeFileSync(path.join(dir, 'bad'), ': not yaml [')
    assert.deepEqual(await kubeLookups({KUBECONFIG: path.join(dir, 'bad')}).namespaces({}), [])
    assert.deepEqual(await kubeLookups({KUBECONFIG: kubeconfig}).names({context: 'no-such'}, {api: '/api/v1', resource: 'services'}, {allNamespaces: false}), [])
  })

  it('a server that never answers: no candidates at the deadline, and the caller is told to exit', async () => {
    const api = await completeApi({}, {hang: true})
    try {
      const l = kubeLookups({KUBECONFIG: api.kubeconfig}, 400)
      const t0 = Date.now()
      assert.deepEqual(await l.namespaces({}), [])
      const took = Date.now() - t0
      assert.ok(took >= 350 && took < 2000, `took ${took} ms`)
      assert.equal(l.abandoned(), true)
    } finally {
      await api.close()
    }
  })
})
