/** migrate and generate netscaler as a user runs them: output, exit codes, one-line errors, no key material printed. */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'
import {vipctl} from '../helpers/cli.js'

describe('vipctl migrate and generate netscaler (CLI)', function () {
  this.timeout(30_000)

  it('migrate netscaler prints Kubernetes documents and the report on stderr with file:line', async () => {
    const r = await vipctl(['migrate', 'netscaler', 'test/fixtures/migrate/onprem.conf', '-n', 'shop', '--no-prompt'])
    assert.equal(r.code, 0, r.stderr)
    const kinds = parseAllDocuments(r.stdout).map((d) => d.toJS()?.kind)
    assert.ok(kinds.includes('Ingress') && kinds.includes('Service') && kinds.includes('EndpointSlice'))
    assert.match(r.stderr, /^warning: test\/fixtures\/migrate\/onprem\.conf:36: cs policy beta-pol: .* \[VIP5001\]$/m)
    assert.match(r.stderr, /create the TLS Secret yourself/)
  })

  it('the whole report, always: every finding on stderr (never cut at 50), --report FILE with a summary line, report.txt and report.json with --out, -o json as a MigrateResult with report and ledger', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-mig-'))
    const cfg = path.join(dir, 'many.cfg')
    const lines = ['frontend web', '    bind 192.0.2.5:80', '    default_backend be', ...Array.from({length: 80}, (_, i) => `    capture request header X-${i} len 10`), 'backend be', '    server s1 10.1.1.1:80']
    writeFileSync(cfg, `${lines.join('\n')}\n`)
    const all = await vipctl(['migrate', 'haproxy', cfg, '--no-prompt'])
    assert.equal(all.code, 0, all.stderr)
    assert.equal(all.stderr.split('\n').filter((l) => l.includes('capture request header')).length, 80)
    assert.doesNotMatch(all.stderr, /and \d+ more/)
    const report = path.join(dir, 'report.txt')
    const summary = await vipctl(['migrate', 'haproxy', cfg, '--no-prompt', '--report', report])
    assert.equal(summary.code, 0, summary.stderr)
    assert.match(summary.stderr.trim(), /^\S*many\.cfg: 85 lines: 5 exact, 0 approximate, 0 manual, 80 not carried over; the whole report is in \S*report\.txt$/)
    const text = readFileSync(report, 'utf8')
    assert.equal(text.split('\n').filter((l) => /many\.cfg:\d+ VIP5001 /.test(l)).length, 80)
    const json = await vipctl(['migrate', 'haproxy', cfg, '--no-prompt', '-o', 'json'])
    const doc = JSON.parse(json.stdout) as {kind: string; items: unknown[]; report: unknown[]; ledger: Array<{line: number; account: string}>; counts: Record<string, number>}
    assert.equal(doc.kind, 'MigrateResult')
    assert.equal(doc.report.length, 80)
    assert.deepEqual(doc.ledger.map((l) => l.line), Array.from({length: 85}, (_, i) => i + 1))
    assert.deepEqual(doc.counts, {exact: 5, approximate: 0, lost: 80, manual: 0})
    const out = path.join(dir, 'out')
    assert.equal((await vipctl(['migrate', 'haproxy', cfg, '--no-prompt', '--out', out])).code, 0)
    assert.equal(readFileSync(path.join(out, 'report.txt'), 'utf8'), text)
    assert.equal((JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as {report: unknown[]}).report.length, 80)
  })

  it('--cert-dir without --out never prints key material; with --out the Secret file is 0600', async () => {
    const r = await vipctl(['migrate', 'netscaler', 'test/fixtures/migrate/onprem.conf', '-n', 'shop', '--no-prompt', '--cert-dir', 'test/fixtures/migrate/ssl'])
    assert.equal(r.code, 0)
    assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY|tls\.key:/)
    assert.match(r.stderr, /not printed \(key material\): pass --out DIR/)
    const out = mkdtempSync(path.join(os.tmpdir(), 'vipctl-mig-'))
    const w = await vipctl(['migrate', 'netscaler', 'test/fixtures/migrate/onprem.conf', '-n', 'shop', '--no-prompt', '--cert-dir', 'test/fixtures/migrate/ssl', '--out', out])
    assert.equal(w.code, 0, w.stderr)
    assert.equal(statSync(path.join(out, 'secrets', 'shop_shop-cert.yaml')).mode & 0o777, 0o600)
    assert.ok(readFileSync(path.join(out, 'migrated.yaml'), 'utf8').includes('kind: Ingress'))
  })

  it('bad input: missing file 65, bad --selector 64, malformed ns.conf 65 with its line, each one line', async () => {
    const missing = await vipctl(['migrate', 'netscaler', 'nope.conf'])
    assert.equal(missing.code, 65)
    assert.match(missing.stderr, /^error: nope\.conf: no such file$/m)
    const sel = await vipctl(['migrate', 'haproxy', 'test/fixtures/migrate/onprem-haproxy.cfg', '--backend-selector', 'be_web=not a label'])
    assert.equal(sel.code, 64)
    const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-mig-')), 'ns.conf')
    writeFileSync(f, 'add server a 10.0.0.1\nadd cs policy p -rule "unterminated\n')
    const bad = await vipctl(['migrate', 'netscaler', f])
    assert.equal(bad.code, 65)
    assert.match(bad.stderr, /^error: \S*ns\.conf:2: unterminated quoted string$/m)
    for (const r of [missing, sel, bad]) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  })

  it('generate netscaler prints ns.conf and NITRO JSON; key files are never printed', async () => {
    const r = await vipctl(['generate', 'netscaler', '-f', 'examples/shop'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^# ==> ns\.conf <==$/m)
    assert.match(r.stdout, /^add cs vserver k8s-192\.0\.2\.10_443_ssl SSL 192\.0\.2\.10 443/m)
    assert.match(r.stdout, /key material, not printed/)
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/)
    const bad = await vipctl(['generate', 'netscaler', '-f', 'examples/shop', '--prefix', 'BAD PREFIX'])
    assert.equal(bad.code, 64)
  })

  it('endless inputs are refused, bounded: migrate from /dev/zero (65), a certificate that is a device (not read), a NITRO password file that never ends (64)', async () => {
    for (const kind of ['haproxy', 'netscaler']) {
      const r = await vipctl(['migrate', kind, '/dev/zero', '--no-prompt'])
      assert.equal(r.code, 65, r.stderr)
      assert.equal(r.stderr.trim(), 'error: /dev/zero: larger than 32 MiB')
    }
    // A certKey whose file in --cert-dir is a device: never read (a certificate is a regular file of at most 1 MiB).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-certdev-'))
    const conf = path.join(dir, 'ns.conf')
    writeFileSync(conf, 'add lb vserver web HTTP 0.0.0.0 0\nadd cs vserver cs SSL 192.0.2.5 443\nbind cs vserver cs -lbvserver web\nadd ssl certKey ck -cert "/nsconfig/ssl/zero" -key "/nsconfig/ssl/zero"\nbind ssl vserver cs -certkeyName ck\n')
    const certs = path.join(dir, 'certs')
    const {symlinkSync, mkdirSync} = await import('node:fs')
    mkdirSync(certs)
    symlinkSync('/dev/zero', path.join(certs, 'zero'))
    const m = await vipctl(['migrate', 'netscaler', conf, '--cert-dir', certs, '--no-prompt'])
    assert.equal(m.code, 0, m.stderr)
    assert.match(m.stderr, /create the TLS Secret yourself/)
    // Not text: binary data, or a line no configuration has (a finding would quote it): one line, exit 65.
    const bin = path.join(dir, 'junk.bin')
    writeFileSync(bin, Buffer.from([0x61, 0x64, 0x64, 0x20, 0xff, 0xfe, 0x00, 0x0a]))
    const long = path.join(dir, 'long.cfg')
    writeFileSync(long, `frontend f\n    acl a hdr(host) -i ${'a'.repeat(70_000)}\n`)
    for (const [kind, file, want] of [['netscaler', bin, `${bin}:1: binary data`], ['haproxy', bin, `${bin}:1: binary data`], ['haproxy', long, `${long}:2: a line longer than 64 KiB`]] as const) {
      const x = await vipctl(['migrate', kind, file, '--no-prompt'])
      assert.equal(x.code, 65, x.stderr)
      assert.ok(x.stderr.startsWith(`error: ${want}`) && x.stderr.trim().split('\n').length === 1, x.stderr)
    }
    const n = await vipctl(['diff', 'netscaler', '-f', 'examples/shop', '--nitro-url', 'http://127.0.0.1:1', '--nitro-user', 'x', '--nitro-password-file', '/dev/zero'])
    assert.equal(n.code, 64, n.stderr)
    assert.equal(n.stderr.trim(), 'error: --nitro-password-file /dev/zero: larger than 64 KiB')
  })
})
