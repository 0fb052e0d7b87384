/**
 * The built binary on hostile objects (test/fixtures/cases/terminal-escapes: the
 * case's two manifests, and offline-hostile.json with the offline-only forms):
 * nothing it writes to stdout or stderr in a human format carries a raw control
 * or invisible character, every warning is one line, and -o json keeps the exact
 * original strings. Stats reads a fake HAProxy admin socket whose replies and
 * index (vipctl-index.json) carry hostile names.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import type net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {vipctl, type CliResult} from '../helpers/cli.js'
import {serveStats, writeOneBackendIndex} from '../helpers/stats-socket.js'

const FX = 'test/fixtures/cases/terminal-escapes'
const CASE = `${FX}/manifest.json`
const PODNAME = `${FX}/manifest-stats-podname.json`
const OFFLINE = `${FX}/offline-hostile.json`

const HOSTILE_PATH = '/x\n\u001b[2K\rerror: forged line\u2028\u001b]8;;http://evil/\u0007'
const HOSTILE_POD = 'web-1\n\u001b[2J\u001b[HALL SYSTEMS NOMINAL\u001b]8;;http://evil.example/\u0007click\u001b]8;;\u0007'
const HOSTILE_REASON = 'R\n\u001b[32mFAKE-OK\u001b[0m'

/** Anything but the line ends of the output itself. */
const FORBIDDEN = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u

function assertClean(text: string, what: string): void {
  const m = FORBIDDEN.exec(text)
  assert.equal(m, null, `${what}: raw U+${m?.[0].codePointAt(0)!.toString(16).padStart(4, '0')} in ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 60), (m?.index ?? 0) + 60))}`)
  // Bytes too: no C1 in its UTF-8 form, no raw ESC, no CR.
  assert.ok(!/\xc2[\x80-\x9f]|[\x1b\r]/.test(Buffer.from(text, 'utf8').toString('latin1')), `${what}: raw control bytes`)
}

function assertRun(r: CliResult, what: string): void {
  assert.ok([0, 1, 65].includes(r.code), `${what}: exit ${r.code}: ${r.stderr}`)
  assertClean(r.stdout, `${what} stdout`)
  assertClean(r.stderr, `${what} stderr`)
  // Warnings and errors on stderr: one line each, none forged.
  for (const l of r.stderr.split('\n').filter((x) => x !== '')) assert.match(l, /^(error|warning|info): |^\.\.\. and \d+ more|^No (problems|resources) found\.$|^Read \d+ objects?[ ;]/, `${what}: a stderr line that is not a diagnostic: ${JSON.stringify(l)}`)
  assert.ok(!/^error: forged line/m.test(r.stderr))
}

describe('vipctl CLI: terminal safety (built)', function () {
  this.timeout(60_000)
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vipctl-term-'))
  after(() => rmSync(tmp, {recursive: true, force: true}))

  const commands: Array<[string, string[]]> = [
    ['generate haproxy --out', ['generate', 'haproxy', '--out', path.join(tmp, 'gen')]],
    ['check', ['check']],
    ['check -o wide', ['check', '-o', 'wide']],
    ['check -o junit', ['check', '-o', 'junit']],
    ['check -o sarif', ['check', '-o', 'sarif']],
    ['check -o yaml', ['check', '-o', 'yaml']],
    ['inspect ingresses -o wide', ['inspect', 'ingresses', '-o', 'wide']],
    ['inspect endpoints -o wide', ['inspect', 'endpoints', '-o', 'wide']],
    ['inspect services -o wide', ['inspect', 'services', '-o', 'wide']],
    ['inspect vips -o wide', ['inspect', 'vips', '-o', 'wide']],
    ['check trace a.example.com/x', ['check', 'trace', 'a.example.com/x', '-o', 'table']],
  ]
  for (const file of [CASE, PODNAME, OFFLINE]) {
    for (const [what, args] of commands) {
      it(`${what} -f ${path.basename(file)}: no raw control character on stdout or stderr`, async () => {
        const r = await vipctl([...args, '-f', file])
        assertRun(r, what)
      })
    }
  }

  it('with colour forced, the only escape sequences are colours', async () => {
    for (const args of [['check', '-o', 'wide'], ['inspect', 'ingresses', '-o', 'wide'], ['check', 'trace', 'a.example.com/x', '-o', 'table']]) {
      const r = await vipctl([...args, '-f', CASE], {env: {NO_COLOR: '', FORCE_COLOR: '1'}})
      assert.match(r.stdout + r.stderr, /\x1b\[3\dm/, 'colour is on')
      const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')
      assertClean(strip(r.stdout), `${args.join(' ')} stdout`)
      assertClean(strip(r.stderr), `${args.join(' ')} stderr`)
    }
  })

  it('the case: warnings show the hostile texts escaped, on one line each', async () => {
    const r = await vipctl(['generate', 'haproxy', '-f', CASE, '--out', path.join(tmp, 'gen2')])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /^warning: .*Ingress\/t1\/ing .*web\.x\\n\\x1b\[31mFORGED\\x1b\[0m is not supported.*\[VIP2013\]$/m)
    const wide = await vipctl(['check', '-o', 'wide', '-f', CASE])
    assert.ok(wide.stdout.includes('path /x\\n\\x1b[2K\\rerror: forged line\\u2028\\x1b]8;;http://evil/\\x07 is matched as a literal Prefix'), wide.stdout)
    assert.ok(wide.stdout.includes('R\\n\\x1b[32mFAKE-OK\\x1b[0m'))
    const json = JSON.parse((await vipctl(['check', '-o', 'json', '-f', CASE])).stdout)
    assert.equal(wide.stdout.trimEnd().split('\n').length, json.items.length + 1, 'one table line per finding')
  })

  it('-o json keeps the exact original strings (and writes them as JSON escapes)', async () => {
    const ing = await vipctl(['inspect', 'ingresses', '-o', 'json', '-f', CASE])
    assertClean(ing.stdout, 'json')
    assert.ok(JSON.parse(ing.stdout).items[0].rules.some((x: {path: string}) => x.path === HOSTILE_PATH))
    const eps = await vipctl(['inspect', 'endpoints', '-o', 'json', '-f', PODNAME])
    assertClean(eps.stdout, 'json')
    assert.ok(JSON.parse(eps.stdout).items.some((i: {endpoints: Array<{pod?: string}>}) => i.endpoints.some((e) => e.pod === HOSTILE_POD)))
    const check = JSON.parse((await vipctl(['check', '-o', 'json', '-f', CASE])).stdout)
    assert.ok(check.items.some((f: {message: string}) => f.message.includes(HOSTILE_REASON)))
    assert.ok(check.items.some((f: {message: string}) => f.message.includes(HOSTILE_PATH)))
    const wide = await vipctl(['inspect', 'endpoints', '-o', 'wide', '-f', PODNAME])
    assert.ok(wide.stdout.includes('web-1\\n\\x1b[2J\\x1b[HALL SYSTEMS NOMINAL\\x1b]8;;http://evil.example/\\x07click\\x1b]8;;\\x07'), wide.stdout)
  })

  it('an error line quoting a value from a file is one printable line', async () => {
    const bad = path.join(tmp, 'bad.json')
    writeFileSync(bad, JSON.stringify({apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: 't1'}, spec: {type: `LoadBalancer${HOSTILE_PATH}`}}))
    const r = await vipctl(['check', '--strict', '-f', bad])
    assert.equal(r.code, 65, r.stderr)
    assertClean(r.stderr, 'error')
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /^error: .*spec\.type: must be one of ClusterIP, NodePort, LoadBalancer, ExternalName \(got "LoadBalancer\/x\\n\\x1b\[2K\\r/)
  })

  describe('stats: hostile names in the index and in the proxy replies', () => {
    const run = path.join(tmp, 'run')
    const cfg = path.join(tmp, 'cfg')
    const sock = path.join(run, 'admin.sock')
    let server: net.Server
    const HOSTILE_STATUS = 'DOWN\u001b[2J\u009b1;1H\u202e'
    before(async () => {
      mkdirSync(run, {recursive: true})
      mkdirSync(cfg, {recursive: true})
      writeOneBackendIndex(cfg, HOSTILE_POD)
      const info = readFileSync('test/fixtures/stats/show-info.txt', 'utf8').replace(/^Version: .*$/m, 'Version: 2.6.12\u001b]8;;http://evil/\u0007')
      const stat = [
        '# pxname,svname,qcur,scur,stot,status,addr,check_status,mode',
        'tcp_16379,FRONTEND,,0,3,OPEN,,,tcp',
        't1_tcp_16379,BACKEND,0,0,3,UP,,,tcp',
        't1_tcp_16379,SRV_1,0,0,3,UP,127.0.0.1:18001,L4OK,tcp',
        `x\u001b[2Jbackend,SRV\u2028_2,0,0,0,${HOSTILE_STATUS},127.0.0.1:18002,L4CON\u001b[5m,tcp`,
        '',
      ].join('\n')
      server = await serveStats(sock, info, stat)
    })
    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })

    for (const fmt of ['table', 'wide']) {
      it(`stats -o ${fmt}: the Pod name, statuses and names from the socket are escaped`, async () => {
        // Wide enough that no cell is cut: the test reads the escapes whole.
        const r = await vipctl(['stats', '--stats-socket', sock, '--config-dir', cfg, '-o', fmt], {env: {COLUMNS: '400'}})
        assert.equal(r.code, 0, r.stderr)
        assertClean(r.stdout, `stats -o ${fmt}`)
        assertClean(r.stderr, `stats -o ${fmt} stderr`)
        assert.ok(r.stdout.includes('t1/web-1\\n\\x1b[2J\\x1b[HALL SYSTEMS NOMINAL'), r.stdout)
        assert.ok(r.stdout.includes('DOWN\\x1b[2J\\x9b1;1H\\u202e'), r.stdout)
        assert.equal(r.stdout.trimEnd().split('\n').length, 5, 'one line per row')
      })
    }

    it('stats -o json and -o prometheus: the JSON keeps the Pod name, nothing raw in either', async () => {
      const j = await vipctl(['stats', '--stats-socket', sock, '--config-dir', cfg, '-o', 'json'])
      assert.equal(j.code, 0, j.stderr)
      assertClean(j.stdout, 'stats json')
      const doc = JSON.parse(j.stdout)
      assert.ok(doc.items.some((i: {kube?: {pod?: string}}) => i.kube?.pod === HOSTILE_POD))
      assert.ok(doc.items.some((i: {status: string}) => i.status === HOSTILE_STATUS))
      const p = await vipctl(['stats', '--stats-socket', sock, '--config-dir', cfg, '-o', 'prometheus'])
      assert.equal(p.code, 0, p.stderr)
      assertClean(p.stdout, 'stats prometheus')
    })
  })
})
