/**
 * Flags checked against what they produce (the built CLI): each refusal is
 * exit 64 with one line naming the flag; and config trees are never written
 * through a symlink nor left half-written (exit 65 naming the path).
 */
import assert from 'node:assert/strict'
import {lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ROOT, vipctl, type CliResult} from '../helpers/cli.js'
import {treeOf} from '../helpers/tree.js'

const M = path.join(ROOT, 'test/fixtures/files/flag-edges.json')
const BASE = path.join(ROOT, 'test/fixtures/files/m-base.json')

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'vipctl-flags-'))
}

/** Exit code `code` and exactly one line on stderr matching `re`. */
function refused(r: CliResult, code: number, re: RegExp): void {
  assert.equal(r.code, code, r.stdout + r.stderr)
  const lines = r.stderr.split('\n').filter(Boolean)
  assert.equal(lines.length, 1, r.stderr)
  assert.match(lines[0]!, re)
  assert.doesNotMatch(r.stderr, /internal error|EEXIST|EISDIR|ENOTDIR|    at /)
}

const tree = (dir: string) => treeOf(dir)

describe('flag edges (built CLI)', function () {
  this.timeout(60_000)
  const listen = ['--listen-address', '127.0.0.1']

  describe('--listen-base-port + frontends - 1 must be a port', () => {
    it('generate haproxy: 65535 with 3 frontends is exit 64 naming the flag; 65533 fits', async () => {
      const d = tmp()
      refused(await vipctl(['generate', 'haproxy', '-f', M, ...listen, '--listen-base-port', '65535', '--out', d, '--config-dir', d]), 64, /^error: --listen-base-port 65535: the 3 frontends need ports 65535-65537.*65533/)
      assert.deepEqual(readdirSync(d), [])
      const ok = await vipctl(['generate', 'haproxy', '-f', M, ...listen, '--listen-base-port', '65533'])
      assert.equal(ok.code, 0, ok.stderr)
      assert.match(ok.stdout, /bind 127\.0\.0\.1:65535\b/)
    })
    for (const cmd of [['generate', 'nftables', '--mode', 'dnat'], ['generate', 'iptables', '--mode', 'dnat'], ['diff', 'haproxy'], ['apply', 'haproxy', '--dry-run']]) {
      it(`${cmd.join(' ')}: the same check`, async () => {
        const d = tmp()
        // --run-dir is HAProxy's admin socket directory: only the HAProxy commands take it (VIP commands warn and ignore it).
        const runDir = cmd[1] === 'haproxy' ? ['--run-dir', d] : []
        refused(await vipctl([...cmd, '-f', M, ...listen, '--listen-base-port', '65534', '--config-dir', d, ...runDir]), 64, /^error: --listen-base-port 65534: the 3 frontends need ports 65534-65536/)
      })
    }
    it('--listen-address that is no destination (unspecified, multicast, broadcast, link-local): exit 64 naming the flag; IPv4-mapped is the IPv4 address', async () => {
      for (const a of ['0.0.0.0', '::', '224.0.0.1', '255.255.255.255', '169.254.10.1', 'fe80::1', '::ffff:0.0.0.0', '::ffff:224.0.0.1', '::FFFF:169.254.1.1'])
        for (const cmd of [['generate', 'nftables', '--mode', 'dnat'], ['generate', 'iptables', '--mode', 'dnat'], ['generate', 'haproxy']])
          refused(await vipctl([...cmd, '-f', M, '--listen-address', a]), 64, new RegExp(`^error: --listen-address "${a.replace(/\./g, '\\.')}": not a unicast address`))
      const mapped = await vipctl(['generate', 'nftables', '--mode', 'dnat', '-f', M, '--listen-address', '::ffff:10.0.0.5'])
      assert.equal(mapped.code, 0, mapped.stderr)
      assert.match(mapped.stdout, /: 10\.0\.0\.5 \. 2008\d/)
      assert.doesNotMatch(mapped.stdout + mapped.stderr, /ffff/)
    })
    it('--vip-allow: CIDRs, else exit 64 naming the flag; objects outside are VIP2003 (check exits 1)', async () => {
      for (const bad of ['bad', '192.0.2.0/24,', '192.0.2.0/33', '10.0.0.1/8/8']) refused(await vipctl(['check', '-f', M, '--vip-allow', bad]), 64, /^error: --vip-allow "[^"]*": expected CIDRs/)
      const outside = await vipctl(['check', '-f', M, '--vip-allow', '10.0.0.0/8', '-o', 'json'])
      assert.equal(outside.code, 1)
      assert.ok((JSON.parse(outside.stdout) as {items: Array<{code: string; message: string}>}).items.some((f) => f.code === 'VIP2003' && /is outside --vip-allow \(10\.0\.0\.0\/8\)/.test(f.message)))
      assert.equal((await vipctl(['check', '-f', M, '--vip-allow', '192.0.2.0/24, 2001:db8::/32'])).code, 0)
    })
    it('dnat rules without --listen-address would point the VIPs at themselves: exit 64', async () => {
      refused(await vipctl(['generate', 'nftables', '--mode', 'dnat', '-f', M]), 64, /^error: --mode dnat needs --listen-address/)
    })
    it('the --metrics-address port is never given to a frontend: listen ports skip it (no usage error for everyone)', async () => {
      const r = await vipctl(['generate', 'haproxy', '-f', M, ...listen, '--listen-base-port', '8404', '--metrics-address', '127.0.0.1:8405'])
      assert.equal(r.code, 0, r.stderr)
      const binds = [...r.stdout.matchAll(/^ {4}bind 127\.0\.0\.1:(\d+)/gm)].map((m) => Number(m[1]))
      assert.equal(binds.filter((p) => p === 8405).length, 1) // the metrics frontend only
      assert.ok(binds.includes(8404) && binds.includes(8406), binds.join(','))
    })
  })

  describe('--config-dir and --run-dir as HAProxy will see them', () => {
    it('a relative --config-dir resolving to a path with a space is exit 64 naming the flag and the resolved path', async () => {
      const cwd = path.join(tmp(), 'case with space')
      mkdirSync(cwd)
      refused(await vipctl(['generate', 'haproxy', '-f', M, '--config-dir', '.'], {cwd}), 64, /^error: --config-dir "\." \(resolved: ".*case with space"\): HAProxy needs a path of/)
      refused(await vipctl(['generate', 'haproxy', '-f', M, '--run-dir', 'run'], {cwd}), 64, /^error: --run-dir "run" \(resolved: ".*case with space\/run"\)/)
    })
    for (const bad of ['/etc/ha#proxy', '/etc/$HOME', "/etc/it's", '/etc/a,b', '/etc/map)x']) {
      it(`--config-dir ${JSON.stringify(bad)}: exit 64`, async () => {
        refused(await vipctl(['generate', 'haproxy', '-f', M, '--config-dir', bad]), 64, /^error: --config-dir .*HAProxy needs a path of letters/)
      })
    }
    it('--config-dir or --run-dir under /proc or /sys, and a --run-dir too long for the admin socket: exit 64', async () => {
      refused(await vipctl(['generate', 'haproxy', '-f', M, '--config-dir', '/proc/self/x']), 64, /^error: --config-dir "\/proc\/self\/x": is under \/proc/)
      refused(await vipctl(['generate', 'haproxy', '-f', M, '--run-dir', '/sys/x']), 64, /^error: --run-dir "\/sys\/x": is under \/sys/)
      refused(await vipctl(['generate', 'haproxy', '-f', M, '--run-dir', `/run/${'r'.repeat(90)}`]), 64, /^error: --run-dir .*admin socket .* 106 bytes long; HAProxy takes at most 97/)
      const fits = await vipctl(['generate', 'haproxy', '-f', M, '--run-dir', `/run/${'r'.repeat(81)}`]) // an admin.sock path of exactly 97 bytes
      assert.equal(fits.code, 0, fits.stderr)
    })
  })

  describe('--out', () => {
    it('--config-dir defaults to --out, and an explicit --config-dir wins (files that will live elsewhere)', async () => {
      const d = mkdtempSync(path.join(os.tmpdir(), 'vipctl-out-'))
      const r = await vipctl(['generate', 'haproxy', '-f', M, '--out', d, '--config-dir', '/etc/hx'])
      assert.equal(r.code, 0, r.stderr)
      const cfg = readFileSync(path.join(d, 'haproxy.cfg'), 'utf8')
      assert.match(cfg, /\/etc\/hx\/maps\//)
      assert.ok(!cfg.includes(d), 'the config names where the files will live, not where they were written')
      const e = mkdtempSync(path.join(os.tmpdir(), 'vipctl-out-'))
      assert.equal((await vipctl(['generate', 'haproxy', '-f', M, '--out', e])).code, 0)
      assert.match(readFileSync(path.join(e, 'haproxy.cfg'), 'utf8'), new RegExp(`${e.replace(/[.]/g, '[.]')}/maps/`))
    })

    it('an existing regular file is "--out FILE is not a directory" (haproxy and netscaler; --config-dir for diff and apply), and it is left alone', async () => {
      const file = path.join(tmp(), 'FILE')
      writeFileSync(file, 'mine\n')
      refused(await vipctl(['generate', 'haproxy', '-f', M, '--out', file]), 64, new RegExp(`^error: --out ${file} is not a directory$`))
      refused(await vipctl(['generate', 'netscaler', '-f', M, '--out', file]), 64, new RegExp(`^error: --out ${file} is not a directory$`))
      refused(await vipctl(['generate', 'netscaler', '-f', M, '--out', `${file}/x`]), 64, new RegExp(`^error: --out ${file}/x: ${file} is not a directory$`))
      refused(await vipctl(['diff', 'haproxy', '-f', M, '--config-dir', file]), 64, new RegExp(`^error: --config-dir ${file} is not a directory$`))
      refused(await vipctl(['apply', 'haproxy', '-f', M, '--config-dir', file, '--yes']), 64, new RegExp(`^error: --config-dir ${file} is not a directory$`))
      assert.equal(readFileSync(file, 'utf8'), 'mine\n')
    })
    it('into /proc (also through a symlink) is refused', async () => {
      refused(await vipctl(['generate', 'haproxy', '-f', M, '--out', '/proc/self/vipctl']), 64, /^error: --out \/proc\/self\/vipctl is under \/proc; refusing to write there$/)
      const link = path.join(tmp(), 'l')
      symlinkSync('/proc/self', link)
      refused(await vipctl(['generate', 'netscaler', '-f', M, '--out', `${link}/x`]), 64, /is under \/proc; refusing to write there$/)
    })
  })

  describe('loopback-only and port flags', () => {
    for (const [value, re] of [
      ['0.0.0.0:8405', /must be a loopback address/],
      ['10.0.0.5:8405', /must be a loopback address/],
      ['[::]:8405', /must be a loopback address/],
      ['127.0.0.1:0', /the port must be 1-65535/],
      ['127.0.0.1:70000', /the port must be 1-65535/],
      ['999.0.0.1:8405', /expected IP:PORT/],
      ['localhost:8405', /expected IP:PORT/],
    ] as const) {
      it(`--metrics-address ${value}: exit 64`, async () => {
        refused(await vipctl(['generate', 'haproxy', '-f', M, '--metrics-address', value]), 64, new RegExp(`^error: --metrics-address .*${re.source}`))
      })
    }
    it('--metrics-address on 127.0.0.0/8 or [::1] is accepted and rendered as given', async () => {
      for (const ok of ['127.0.0.2:8405', '[::1]:8405']) {
        const r = await vipctl(['generate', 'haproxy', '-f', M, '--metrics-address', ok])
        assert.equal(r.code, 0, r.stderr)
        assert.ok(r.stdout.includes(`bind ${ok}`), ok)
      }
    })
    it('--stats-socket / --master-socket: a unix path or a loopback address, never a remote one', async () => {
      const d = tmp()
      refused(await vipctl(['diff', 'haproxy', '-f', M, '--config-dir', d, '--stats-socket', '10.0.0.5:9999']), 64, /^error: --stats-socket 10\.0\.0\.5:9999: must be a loopback address/)
      refused(await vipctl(['apply', 'haproxy', '-f', M, '--config-dir', d, '--master-socket', 'haproxy.example:9999', '--dry-run']), 64, /^error: --master-socket haproxy\.example:9999: expected a unix socket path or 127\.0\.0\.1:PORT/)
    })
    it('--request-timeout beyond a day (a timer overflow) is exit 64', async () => {
      refused(await vipctl(['inspect', 'services', '-f', M, '--request-timeout', '99999999']), 64, /--request-timeout/)
    })
  })

  describe('config trees: no symlinks below the named directory, never half-written', () => {
    for (const [sub, victimFile] of [['maps', 'important.txt'], ['certs', 'authorized_keys']] as const) {
      it(`generate --out C with a symlinked C/${sub}: exit 65 naming it, the victim directory untouched`, async () => {
        const root = tmp()
        const victim = path.join(root, 'victimdir')
        mkdirSync(victim)
        writeFileSync(path.join(victim, victimFile), 'keep\n')
        writeFileSync(path.join(victim, 'db.conf'), 'keep too\n')
        const c = path.join(root, 'C')
        mkdirSync(c)
        symlinkSync(victim, path.join(c, sub))
        const before = tree(root)
        refused(await vipctl(['generate', 'haproxy', '-f', BASE, '--out', c, '--config-dir', c]), 65, new RegExp(`^error: ${c}/${sub} is a symlink; .*nothing was changed$`))
        assert.deepEqual(tree(root), before)
      })
    }
    it('a symlinked file, a file where maps/ goes, a directory where haproxy.cfg goes: exit 65, nothing written, no temp file', async () => {
      const root = tmp()
      const p = path.join(root, 'P')
      mkdirSync(p)
      writeFileSync(path.join(root, 'elsewhere'), 'x\n')
      symlinkSync(path.join(root, 'elsewhere'), path.join(p, 'vipctl-index.json'))
      const i = path.join(root, 'I')
      mkdirSync(i)
      writeFileSync(path.join(i, 'maps'), 'x\n')
      const g = path.join(root, 'G')
      mkdirSync(path.join(g, 'haproxy.cfg'), {recursive: true})
      const before = tree(root)
      refused(await vipctl(['generate', 'haproxy', '-f', BASE, '--out', p, '--config-dir', p]), 65, new RegExp(`^error: ${p}/vipctl-index\\.json is a symlink;.*nothing was changed$`))
      refused(await vipctl(['generate', 'haproxy', '-f', BASE, '--out', i, '--config-dir', i]), 65, new RegExp(`^error: ${i}/maps is a file; expected a directory; nothing was changed$`))
      refused(await vipctl(['generate', 'haproxy', '-f', BASE, '--out', g, '--config-dir', g]), 65, new RegExp(`^error: ${g}/haproxy\\.cfg is a directory; expected a file; nothing was changed$`))
      assert.deepEqual(tree(root), before)
    })
  })
})
