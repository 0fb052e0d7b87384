/**
 * Completion and "did you mean" on the built CLI: `__complete` (cobra's protocol), the scripts of
 * `completion bash|zsh|fish` run by the shells themselves, kubectl_complete-vip as kubectl calls it, lookups
 * against a local API server double, and one-line errors with a suggestion for mistyped commands and flags.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ROOT, vipctl, type CliResult} from '../helpers/cli.js'
import {completeApi} from '../helpers/complete-api.js'

const BIN = mkdtempSync(path.join(os.tmpdir(), 'vipctl-complete-bin-'))
symlinkSync(path.join(ROOT, 'bin', 'run.js'), path.join(BIN, 'vipctl'))
symlinkSync(path.join(ROOT, 'bin', 'run.js'), path.join(BIN, 'kubectl-vip'))
symlinkSync(path.join(ROOT, 'bin', 'complete.js'), path.join(BIN, 'kubectl_complete-vip'))
after(() => rmSync(BIN, {recursive: true, force: true}))

/** PATH with our programs (and this node) first; never mocha's tsx loader. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', PATH: `${BIN}:${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...extra}
  delete e.NODE_OPTIONS
  return e
}

/** Runs a program with arguments, capturing everything (bounded in time). */
function run(file: string, args: string[], extra: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<CliResult & {ms: number}> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now()
    const child = spawn(file, args, {cwd: ROOT, env: env(extra)})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr, ms: Date.now() - t0})
    })
    child.stdin.end()
  })
}

/** Whether a program is on PATH. */
async function have(program: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${program}`])).code === 0
}

/** The candidates (without descriptions) and the directive of a cobra reply. */
function reply(stdout: string): {values: string[]; directive: number} {
  const lines = stdout.split('\n').filter(Boolean)
  const last = lines.pop() ?? ''
  assert.match(last, /^:\d+$/, `no directive line in ${JSON.stringify(stdout)}`)
  return {values: lines.map((l) => l.split('\t')[0]!), directive: Number(last.slice(1))}
}

async function completeWords(words: string[], extra: NodeJS.ProcessEnv = {}) {
  const r = await vipctl(['__complete', '--', ...words], {env: extra})
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '')
  return reply(r.stdout)
}

describe('completion (built CLI)', function () {
  this.timeout(60_000)

  it('__complete: commands, subcommands, flags, flag values, arguments, with the directive', async () => {
    assert.deepEqual(await completeWords(['insp']), {values: ['inspect'], directive: 4})
    const sub = await completeWords(['inspect', ''])
    assert.ok(['endpoints', 'ingresses', 'services', 'vips'].every((v) => sub.values.includes(v)), sub.values.join(' '))
    assert.ok(!(await completeWords([''])).values.includes('__complete'), 'the hidden command is not offered')
    assert.deepEqual(await completeWords(['inspect', 'services', '--names']), {values: ['--namespace'], directive: 4})
    const js = await completeWords(['inspect', 'services', '-o', 'js'])
    assert.ok(js.values.includes('json') && js.values.includes('jsonl') && js.values.every((v) => v.startsWith('js')), js.values.join(' '))
    assert.equal(js.directive, 4)
    assert.deepEqual(await completeWords(['inspect', 'services', '--output=y']), {values: ['--output=yaml'], directive: 4})
    assert.deepEqual(await completeWords(['completion', '']), {values: ['bash', 'zsh', 'fish'], directive: 4})
    assert.deepEqual(await completeWords(['check', 't']), {values: ['trace'], directive: 4})
    assert.deepEqual(await completeWords(['migrate', 'haproxy', '']), {values: [], directive: 0}, 'a FILE argument: the shell completes file names')
    assert.deepEqual(await completeWords(['generate', 'haproxy', '--config-dir', '']), {values: [], directive: 16})
    // -h being completed is a word like any other, not a request for help (the scripts pass --).
    assert.deepEqual(await completeWords(['inspect', 'services', '-h']), {values: [], directive: 4})
    // Descriptions ride along after a tab.
    const raw = await vipctl(['__complete', 'inspect', 'serv'])
    assert.equal(raw.stdout, 'services\tServices with their VIPs, ports, ready endpoints and the Ingresses routing to them\n:4\n')
    // A text with oclif's template is rendered as help renders it (the manifest keeps it unrendered), naming the
    // program as help does: vipctl, or kubectl vip through kubectl_complete-vip (kubectl's completion).
    const help = await vipctl(['__complete', 'hel'])
    assert.equal(help.stdout, 'help\tDisplay help for vipctl.\n:4\n')
    const plugin = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'complete.js'), 'hel'], {encoding: 'utf8'})
    assert.equal(plugin.stdout, 'help\tDisplay help for kubectl vip.\n:4\n')
  })

  it('namespaces and contexts from a cluster (an API double) and the kubeconfig; nothing, quickly, when it never answers', async () => {
    const api = await completeApi({'/api/v1/namespaces': ['default', 'kube-system', 'shop', 'evil\u001b]0;x\u0007']})
    try {
      const kc = {KUBECONFIG: api.kubeconfig}
      assert.deepEqual(await completeWords(['inspect', 'services', '-n', ''], kc), {values: ['default', 'kube-system', 'shop'], directive: 4})
      assert.deepEqual(await completeWords(['inspect', 'services', '--namespace=k'], kc), {values: ['--namespace=kube-system'], directive: 4})
      assert.deepEqual(await completeWords(['inspect', 'services', '--kubeconfig', api.kubeconfig, '-n', 's']), {values: ['shop'], directive: 4})
      assert.deepEqual(await completeWords(['sync', '--context', ''], kc), {values: ['arn:aws:eks:eu-west-1:1:cluster/prod', 'ctx'], directive: 4})
      assert.ok(api.requests.every((r) => r.auth === 'Bearer COMPLETE_TOKEN'))
    } finally {
      await api.close()
    }
    const hung = await completeApi({}, {hang: true})
    try {
      const t0 = Date.now()
      assert.deepEqual(await completeWords(['inspect', 'services', '-n', ''], {KUBECONFIG: hung.kubeconfig}), {values: [], directive: 4})
      assert.ok(Date.now() - t0 < 8000, `took ${Date.now() - t0} ms (2 s deadline, plus start-up on a busy machine)`)
      assert.equal(hung.requests.length, 1)
    } finally {
      await hung.close()
    }
    // No kubeconfig at all: nothing, no error.
    assert.deepEqual(await completeWords(['inspect', 'services', '-n', ''], {KUBECONFIG: '', HOME: BIN}), {values: [], directive: 4})
  })

  it('completion <shell> prints a script; anything else is a usage error (64, one line)', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await vipctl(['completion', shell])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /__complete -- /)
      assert.match(r.stdout, /vipctl/)
    }
    for (const args of [['completion', 'tcsh'], ['completion']]) {
      const r = await vipctl(args)
      assert.equal(r.code, 64, r.stderr)
      assert.equal(r.stdout, '')
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    }
    // Installed as kubectl-vip, the script completes that name.
    const k = await run(path.join(BIN, 'kubectl-vip'), ['completion', 'bash'])
    assert.match(k.stdout, /^complete -F _kubectl_vip kubectl-vip$/m)
  })

  it('bash: the script parses, and completing a line fills COMPREPLY (= and : word breaks handled)', async () => {
    const script = (await vipctl(['completion', 'bash'])).stdout
    const file = path.join(BIN, 'vipctl.bash')
    writeFileSync(file, script)
    assert.equal((await run('bash', ['-n', file])).code, 0)
    const api = await completeApi({})
    try {
      const complete = async (line: string) => {
        const r = await run('bash', ['-c', 'source "$1"; COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}; _vipctl; printf "%s\\n" "${COMPREPLY[@]}"', '_', file, line], {KUBECONFIG: api.kubeconfig})
        assert.equal(r.code, 0, r.stderr)
        return r.stdout.split('\n').filter(Boolean)
      }
      assert.deepEqual(await complete('vipctl insp'), ['inspect'])
      assert.deepEqual(await complete('vipctl inspect serv'), ['services'])
      const eq = await complete('vipctl inspect services --output=js')
      assert.ok(eq.includes('json') && eq.includes('jsonl') && eq.every((v) => v.startsWith('js')), `bash replaces only what follows =: ${eq.join(' ')}`)
      const formats = await complete('vipctl inspect services -o ')
      assert.ok(['table', 'wide', 'name', 'json', 'yaml', 'jsonl'].every((f) => formats.includes(f)), formats.join(' '))
      assert.deepEqual(await complete('vipctl sync --context arn:aws:eks:eu'), ['eu-west-1:1:cluster/prod'], 'bash replaces only what follows the last :')
      assert.deepEqual(await complete('vipctl sync --context c'), ['ctx'])
      assert.deepEqual(await complete('vipctl completion '), ['bash', 'zsh', 'fish'])
      const dirs = await complete('vipctl generate haproxy --config-dir te')
      assert.ok(dirs.includes('test') && !dirs.includes('tsconfig.json'), dirs.join(' '))
      assert.deepEqual(await complete('vipctl nosuch '), [])
      // Called as in a hand-written check, with COMP_WORDS and COMP_CWORD only.
      const words = await run('bash', ['-c', 'source "$1"; COMP_WORDS=(vipctl inspect se); COMP_CWORD=2; _vipctl; echo "${COMPREPLY[@]}"', '_', file])
      assert.equal(words.stdout, 'services\n')
    } finally {
      await api.close()
    }
  })

  it('zsh: the script parses (zsh -n), and the function offers candidates with descriptions', async function () {
    const script = (await vipctl(['completion', 'zsh'])).stdout
    assert.match(script, /^#compdef vipctl$/m)
    assert.match(script, /compdef _vipctl vipctl/)
    assert.ok(await have('zsh'), 'zsh is not installed (scripts/install-deps.sh installs it)')
    const file = path.join(BIN, 'vipctl.zsh')
    writeFileSync(file, script)
    assert.equal((await run('zsh', ['-n', file])).code, 0)
    // compdef, _describe and _files stand in for zsh's completion system: they print what they were given.
    const stubs = 'compdef() { :; }; _describe() { local arr=$4; print -rl -- "${(@P)arr}" "opts:${@[5,-1]}"; }; _files() { print -r -- "FILES $*"; }'
    const zsh = async (words: string[]) => {
      const r = await run('zsh', ['-fc', `${stubs}; source "$1"; shift; words=("$@"); CURRENT=$#words; _vipctl`, '_', file, ...words])
      assert.equal(r.code, 0, r.stderr)
      return r.stdout.split('\n').filter(Boolean)
    }
    assert.deepEqual(await zsh(['vipctl', 'insp']), ['inspect:Show Services, Ingresses, EndpointSlices and VIPs as the proxy will see them', 'opts:'])
    assert.deepEqual(await zsh(['vipctl', 'inspect', 'services', '--output=ya']), ['--output=yaml', 'opts:'])
    assert.deepEqual(await zsh(['vipctl', 'migrate', 'haproxy', '']), ['FILES '])
    assert.deepEqual(await zsh(['vipctl', 'generate', 'haproxy', '--config-dir', '']), ['FILES -/'])
  })

  it('fish: the script parses (fish -n), and fish itself completes with it (complete -C)', async function () {
    const script = (await vipctl(['completion', 'fish'])).stdout
    assert.match(script, /^complete -c vipctl -f -n '_vipctl_prepare' -a '\$_vipctl_results'$/m)
    assert.ok(await have('fish'), 'fish is not installed (scripts/install-deps.sh installs it)')
    const file = path.join(BIN, 'vipctl.fish')
    writeFileSync(file, script)
    assert.equal((await run('fish', ['-n', file])).code, 0)
    const fish = async (line: string) => {
      const r = await run('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line])
      assert.equal(r.code, 0, r.stderr)
      return r.stdout.split('\n').filter(Boolean)
    }
    assert.deepEqual(await fish('vipctl insp'), ['inspect\tShow Services, Ingresses, EndpointSlices and VIPs as the proxy will see them'])
    const js = await fish('vipctl inspect services -o js')
    assert.ok(js.includes('json') && js.includes('jsonl') && js.every((v) => v.startsWith('js')), js.join(' '))
    assert.deepEqual(await fish('vipctl completion z'), ['zsh'])
    const files = await fish('vipctl migrate haproxy packa')
    assert.ok(files.some((f) => f.startsWith('package.json')), `fish offers file names for FILE: ${files.join(' ')}`)
  })

  it('kubectl_complete-vip answers as `kubectl vip __complete` does, for the words kubectl passes', async () => {
    // kubectl 1.26+ runs kubectl_complete-vip with the words after `vip`, the last one being completed.
    const lines = [[''], ['insp'], ['inspect', ''], ['inspect', 'services', '--na'], ['inspect', 'services', '-o', ''], ['check', 'trace', '--'], ['migrate', 'haproxy', ''], ['nosuch', '']]
    for (const words of lines) {
      const direct = await run(path.join(BIN, 'kubectl_complete-vip'), words)
      const via = await run(path.join(BIN, 'kubectl-vip'), ['__complete', '--', ...words])
      assert.equal(direct.code, 0, direct.stderr)
      assert.equal(direct.stderr, '', 'kubectl shows the plugin\'s stderr on the terminal: nothing may go there')
      assert.equal(direct.stdout, via.stdout, words.join(' '))
    }
  })

  it('kubectl\'s own plugin completion (a stand-in kubectl, and the real one when installed)', async () => {
    // What kubectl does (pkg/cmd/plugin_completion.go): find kubectl_complete-<plugin> on PATH, run it with the
    // words, read the lines, take a last ":<n>" as the directive.
    const fake = path.join(BIN, 'fake-kubectl')
    writeFileSync(fake, '#!/bin/sh\n# usage: fake-kubectl __complete vip <words...>\nshift; plugin=$1; shift\nexec "kubectl_complete-$plugin" "$@"\n')
    chmodSync(fake, 0o755)
    const r = await run(fake, ['__complete', 'vip', 'inspect', 'services', '--output=n'])
    assert.deepEqual(reply(r.stdout), {values: ['--output=name'], directive: 4})
    if (await have('kubectl')) {
      const real = await run('kubectl', ['__complete', 'vip', 'insp'], {KUBECONFIG: '/dev/null'})
      assert.equal(real.code, 0, real.stderr)
      assert.match(real.stdout, /^inspect\t.*\n:4\n$/)
    }
  })
})

describe('completion with a damaged package (built CLI)', function () {
  this.timeout(60_000)

  it('a manifest that is a named pipe, a device, too short or not a manifest: nothing offered at once, nothing on stderr, both entries alike', async () => {
    const pkg = mkdtempSync(path.join(os.tmpdir(), 'vipctl-complete-pkg-'))
    try {
      for (const f of ['bin', 'package.json', 'dist/bundle']) cpSync(path.join(ROOT, f), path.join(pkg, f), {recursive: true})
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'))
      const manifest = path.join(pkg, 'oclif.manifest.json')
      const damage: Array<[string, () => void]> = [
        ['a named pipe', () => assert.equal(spawnSync('mkfifo', [manifest]).status, 0)],
        ['/dev/zero', () => symlinkSync('/dev/zero', manifest)],
        ['[]', () => writeFileSync(manifest, '[]')],
        ['{"commands":null}', () => writeFileSync(manifest, '{"commands":null}')],
        ['cut short', () => writeFileSync(manifest, readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8').slice(0, 1000))],
      ]
      /** Each damage in turn to `file`, then both entries asked: exit 0, nothing on stderr, at once; `stdout` as given. */
      const each = async (file: string, list: Array<[string, () => void]>, stdout: RegExp) => {
        for (const [what, make] of list) {
          rmSync(file, {force: true})
          make()
          for (const [entry, args] of [['run.js', ['__complete', '--', 'inspect', '']], ['complete.js', ['inspect', '']]] as const) {
            const r = await run(path.join(pkg, 'bin', entry), [...args], {}, 10_000)
            assert.deepEqual([r.code, r.stderr], [0, ''], `${path.basename(file)} ${what}, ${entry}`)
            assert.match(r.stdout, stdout, `${path.basename(file)} ${what}, ${entry}`)
            assert.ok(r.ms < 5000, `${path.basename(file)} ${what}, ${entry}: ${r.ms} ms`)
          }
        }
      }
      await each(manifest, damage, /^:4\n$/)
      // package.json damaged the same ways (the manifest whole): nothing, or the commands without their topics'
      // descriptions (package.json only adds those).
      rmSync(manifest, {force: true})
      cpSync(path.join(ROOT, 'oclif.manifest.json'), manifest)
      const pjson = path.join(pkg, 'package.json')
      await each(
        pjson,
        [
          ['a named pipe', () => assert.equal(spawnSync('mkfifo', [pjson]).status, 0)],
          ['/dev/zero', () => symlinkSync('/dev/zero', pjson)],
          ['null', () => writeFileSync(pjson, 'null')],
          ['not JSON', () => writeFileSync(pjson, 'not json')],
        ],
        /(^|\n):4\n$/,
      )
      rmSync(pjson, {force: true})
      cpSync(path.join(ROOT, 'package.json'), pjson)
      // A value that could forge a line of the protocol is not offered.
      rmSync(manifest, {force: true})
      const real = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {args?: Record<string, {options?: string[]}>}>}
      real.commands['completion']!.args!['shell']!.options = ['bash', 'v\nfake\t:0', 'x\u001b]0;t\u0007']
      writeFileSync(manifest, JSON.stringify(real))
      const forged = await run(path.join(pkg, 'bin', 'run.js'), ['__complete', '--', 'completion', ''])
      assert.equal(forged.stdout, 'bash\n:4\n')
    } finally {
      rmSync(pkg, {recursive: true, force: true})
    }
  })
})

describe('did you mean (built CLI)', function () {
  this.timeout(30_000)

  const oneLine = (r: CliResult, expected: string | RegExp) => {
    assert.equal(r.code, 64, r.stderr)
    assert.equal(r.stdout, '')
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr)
    if (typeof expected === 'string') assert.equal(r.stderr, `${expected}\n`)
    else assert.match(r.stderr.trimEnd(), expected)
  }

  it('a mistyped command, at the root or in a topic', async () => {
    oneLine(await vipctl(['inspct', 'services']), 'error: unknown command "inspct" (did you mean "inspect"?)')
    oneLine(await vipctl(['inspect', 'servics', '-f', 'examples/shop']), 'error: unknown command "inspect servics" (did you mean "inspect services"?)')
    oneLine(await vipctl(['check', 'trcae']), 'error: unknown command "check trcae" (did you mean "check trace"?)')
    oneLine(await vipctl(['zzzzzz']), 'error: unknown command "zzzzzz" (see vipctl --help)')
    oneLine(await vipctl(['insp\u001b[31m']), /^error: unknown command "insp\?\[31m" /)
  })

  it('a mistyped flag or flag value', async () => {
    oneLine(await vipctl(['inspect', 'services', '-f', 'examples/shop', '--namspace', 'shop']), /^error: .*--namspace.* \(did you mean --namespace\?\)$/)
    oneLine(await vipctl(['version', '-o', 'jsn']), /\(did you mean json\?\)$/)
    oneLine(await vipctl(['inspect', 'services', '-f', 'examples/shop', '--zzzzzz']), /\(see vipctl inspect services --help\)$/)
    const j = await vipctl(['inspect', 'services', '-f', 'examples/shop', '--namspace', 'shop', '--json'])
    assert.equal(j.code, 64)
    assert.equal(JSON.parse(j.stdout).hint, 'did you mean --namespace?')
  })
})
