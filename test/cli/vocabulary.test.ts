/**
 * One vocabulary of flags (the built CLI and its manifest): one name per concept, old spellings still working
 * with one `warning:` line, --dry-run=none|client|server with a bare --dry-run as client, VIP commands showing
 * only the flags they use, kubectl's client flags on every command that reads a cluster, and -o values that each
 * print something of their own.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ROOT, vipctl} from '../helpers/cli.js'

const SHOP = ['-f', 'examples/shop']
const HAPROXY_CFG = 'test/fixtures/migrate/onprem-haproxy.cfg'
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'vipctl-vocab-'))
/** Run with no kubeconfig reachable, so that nothing here can talk to a real cluster. */
const run = (args: string[]) => vipctl(args, {env: {KUBECONFIG: '', HOME: tmp(), KUBERNETES_SERVICE_HOST: ''}})

interface ManifestFlag {
  hidden?: boolean
  aliases?: string[]
  deprecateAliases?: boolean
}
const manifest = () => JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {flags: Record<string, ManifestFlag>}>}
const visible = (id: string) =>
  Object.entries(manifest().commands[id]!.flags)
    .filter(([, f]) => !f.hidden)
    .map(([n]) => n)

describe('flag vocabulary (built CLI)', function () {
  this.timeout(120_000)

  describe('old spellings: still working, one warning line naming the new flag', () => {
    it('generate netscaler --cert-dir (the appliance path) is --appliance-cert-dir', async () => {
      for (const spelling of [['--cert-dir', '/nsconfig/old'], ['--cert-dir=/nsconfig/old']]) {
        const r = await run(['generate', 'netscaler', ...SHOP, ...spelling])
        assert.equal(r.code, 0, r.stderr)
        assert.equal(r.stderr.split('\n')[0], 'warning: --cert-dir is deprecated: use --appliance-cert-dir')
        assert.match(r.stdout, /\/nsconfig\/old\//)
      }
      const now = await run(['generate', 'netscaler', ...SHOP, '--appliance-cert-dir', '/nsconfig/new'])
      assert.doesNotMatch(now.stderr, /deprecated/)
      assert.match(now.stdout, /\/nsconfig\/new\//)
    })

    it('migrate --selector (a backend\'s Pod selector, not a label selector) is --backend-selector', async () => {
      const old = await run(['migrate', 'haproxy', HAPROXY_CFG, '--no-prompt', '--selector', 'be_web=app=web'])
      const now = await run(['migrate', 'haproxy', HAPROXY_CFG, '--no-prompt', '--backend-selector', 'be_web=app=web'])
      assert.equal(old.code, 0, old.stderr)
      assert.equal(old.stderr.split('\n')[0], 'warning: --selector is deprecated: use --backend-selector')
      assert.equal(old.stdout, now.stdout)
      assert.match(now.stdout, /selector:\n\s+app: web/)
      const bad = await run(['migrate', 'haproxy', HAPROXY_CFG, '--backend-selector', 'be_web=not a label'])
      assert.equal(bad.code, 64)
      assert.match(bad.stderr, /^error: --backend-selector "not a label": expected k=v/)
    })

    it('install --metrics-port PORT is --sync-metrics-address (a bare port: 127.0.0.1), in sync\'s args and the probes', async () => {
      const r = await run(['install', '--metrics-port', '9911'])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stderr, 'warning: --metrics-port is deprecated: use --sync-metrics-address\n')
      assert.match(r.stdout, /- --sync-metrics-address\n\s+- 127\.0\.0\.1:9911\n/)
      assert.match(r.stdout, /readinessProbe:\n\s+httpGet:\n\s+host: 127\.0\.0\.1\n\s+path: \/readyz\n\s+port: 9911/)
      assert.doesNotMatch(r.stdout, /--metrics-addr\b/)
      const open = await run(['install', '--sync-metrics-address', '0.0.0.0:9842'])
      assert.equal(open.code, 64)
      assert.match(open.stderr, /^error: --sync-metrics-address/)
    })

    it('sync --metrics-addr and stats --insecure-skip-tls-verify warn before anything else happens', async () => {
      const s = await run(['sync', '--once', '--metrics-addr', '127.0.0.1:1'])
      assert.equal(s.stderr.split('\n')[0], 'warning: --metrics-addr is deprecated: use --sync-metrics-address')
      assert.equal(s.code, 69) // no kubeconfig here
      const t = await run(['stats', '--nitro-url', 'https://127.0.0.1:1', '--insecure-skip-tls-verify'])
      assert.equal(t.stderr.split('\n')[0], 'warning: --insecure-skip-tls-verify is deprecated: use --nitro-insecure-skip-tls-verify')
    })

    it('the manifest: every renamed flag keeps its old name as a deprecated alias, and no old name is a flag of its own', () => {
      const m = manifest().commands
      const expect: Array<[string, string, string]> = [
        ['sync', 'sync-metrics-address', 'metrics-addr'],
        ['install', 'sync-metrics-address', 'metrics-port'],
        ['generate:netscaler', 'appliance-cert-dir', 'cert-dir'],
        ['apply:netscaler', 'appliance-cert-dir', 'cert-dir'],
        ['diff:netscaler', 'appliance-cert-dir', 'cert-dir'],
        ['migrate:haproxy', 'backend-selector', 'selector'],
        ['migrate:netscaler', 'backend-selector', 'selector'],
        ['stats', 'nitro-insecure-skip-tls-verify', 'insecure-skip-tls-verify'],
      ]
      for (const [id, flag, alias] of expect) {
        assert.deepEqual(m[id]!.flags[flag]?.aliases, [alias], `${id} --${flag}`)
        assert.equal(m[id]!.flags[flag]?.deprecateAliases, true, `${id} --${flag}`)
        assert.equal(m[id]!.flags[alias], undefined, `${id} still has --${alias} of its own`)
      }
    })
  })

  describe('--dry-run=none|client|server', () => {
    it('apply haproxy: a bare --dry-run, --dry-run=client and --dry-run client are the plan only; a bad value is exit 64', async () => {
      const d = tmp()
      const dirs = ['--config-dir', d, '--run-dir', d, '-o', 'json']
      for (const form of [['--dry-run'], ['--dry-run=client'], ['--dry-run', 'client']]) {
        const r = await run(['apply', 'haproxy', ...SHOP, ...form, ...dirs])
        assert.equal(r.code, 0, `${form.join(' ')}: ${r.stderr}`)
        assert.deepEqual(JSON.parse(r.stdout).outcome, {applied: 'dry-run'})
      }
      const bad = await run(['apply', 'haproxy', ...SHOP, '--dry-run=true', ...dirs])
      assert.equal(bad.code, 64)
      assert.match(bad.stderr, /^error: Expected --dry-run=true to be one of: none, client, server/)
    })

    it('apply haproxy --dry-run=server needs the running HAProxy (it is asked to check the config): none here is exit 69', async () => {
      const d = tmp()
      const r = await run(['apply', 'haproxy', ...SHOP, '--dry-run=server', '--config-dir', d, '--run-dir', d])
      assert.equal(r.code, 69, r.stderr)
    })

    it('apply vip, apply netscaler and delete vip refuse --dry-run=server with one line naming what they support', async () => {
      for (const [args, re] of [
        [['apply', 'vip', ...SHOP], /^error: --dry-run=server: apply vip .*use --dry-run=client/],
        [['apply', 'netscaler', ...SHOP, '--nitro-url', 'https://127.0.0.1:1'], /^error: --dry-run=server: apply netscaler .*use --dry-run=client/],
        [['delete', 'vip'], /^error: --dry-run=server: delete vip .*use --dry-run=client/],
      ] as Array<[string[], RegExp]>) {
        const r = await run([...args, '--dry-run=server'])
        assert.equal(r.code, 64, r.stderr)
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
        assert.match(r.stderr, re)
      }
    })

    it('delete vip without a terminal and without --yes refuses before touching anything (exit 64)', async () => {
      const r = await run(['delete', 'vip', '--netns', 'vipctl-vocab-none'])
      assert.equal(r.code, 64, r.stderr)
      assert.equal(r.stderr, 'error: refusing to delete without confirmation: no terminal (or CI is set) (pass --yes, or --dry-run to see what would be removed)\n')
    })
  })

  describe('only the flags a command uses', () => {
    it('VIP commands show no HAProxy-only flag; the hidden ones still parse, each with a warning', async () => {
      for (const id of ['apply:vip', 'diff:vip', 'generate:nftables', 'generate:iptables']) {
        const flags = visible(id)
        for (const gone of ['run-dir', 'nbthread', 'spare-slots', 'master-socket', 'stats-socket', 'haproxy-bin']) assert.ok(!flags.includes(gone), `${id} shows --${gone}`)
        for (const used of ['config-dir', 'listen-address', 'listen-base-port', 'metrics-address', 'mode']) assert.ok(flags.includes(used), `${id} lacks --${used}`)
      }
      assert.deepEqual(visible('delete:vip').sort(), ['color', 'debug', 'dry-run', 'json', 'netns', 'output', 'yes'])
      const r = await run(['generate', 'nftables', ...SHOP, '--run-dir', '/run/x', '--nbthread', '2'])
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(r.stderr.split('\n').filter((l) => l.includes('does not use')), [
        'warning: --run-dir is an HAProxy flag that generate nftables does not use: ignored (it will be removed)',
        'warning: --nbthread is an HAProxy flag that generate nftables does not use: ignored (it will be removed)',
      ])
    })

    it('every command that reads a cluster takes kubectl\'s client flags', () => {
      const client = ['kubeconfig', 'context', 'server', 'token', 'as', 'as-group', 'insecure-skip-tls-verify', 'request-timeout', 'v']
      const readers = Object.entries(manifest().commands).filter(([, c]) => 'kubeconfig' in c.flags)
      assert.ok(readers.length >= 20, String(readers.length))
      for (const id of ['sync', 'install', 'check', 'check:trace', 'inspect:services', 'migrate:ingress-nginx']) assert.ok(readers.some(([r]) => r === id), id)
      for (const [id, c] of readers) for (const f of client) assert.ok(f in c.flags, `${id} lacks --${f}`)
    })

    it('sync takes -A (the DaemonSet install renders passes it)', async () => {
      const r = await run(['sync', '-A', '--once'])
      assert.equal(r.code, 69, r.stderr)
      assert.match(r.stderr, /^error: no kubeconfig found/)
    })
  })

  describe('-o values that mean something', () => {
    it('install -o table lists the objects (kind, namespace, name), not YAML', async () => {
      const r = await run(['install', '-o', 'table'])
      assert.equal(r.code, 0, r.stderr)
      const lines = r.stdout.trimEnd().split('\n')
      assert.match(lines[0]!, /^KIND +NAMESPACE +NAME$/)
      assert.ok(lines.some((l) => /^DaemonSet +vipctl-system +vipctl$/.test(l)), r.stdout)
      assert.doesNotMatch(r.stdout, /apiVersion|---/)
    })

    it('migrate -o table lists the objects; with --out it says what was written', async () => {
      const r = await run(['migrate', 'haproxy', HAPROXY_CFG, '--no-prompt', '-o', 'table'])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /^KIND +NAMESPACE +NAME\n/)
      assert.match(r.stdout, /^Service +default +\S+$/m)
      assert.doesNotMatch(r.stdout, /apiVersion|---/)
      const out = tmp()
      const w = await run(['migrate', 'haproxy', HAPROXY_CFG, '--no-prompt', '--out', out])
      assert.match(w.stdout, new RegExp(`^wrote ${out}/migrated\\.yaml \\(\\d+ objects\\)`))
    })

    it('commands whose result is one document take table, json and yaml only: -o name/wide/jsonl are exit 64, not a kind name', async () => {
      for (const cmd of [['generate', 'haproxy'], ['generate', 'nftables'], ['diff', 'vip'], ['check', 'trace', 'shop.example.com/']]) {
        for (const fmt of ['name', 'wide', 'jsonl']) {
          const r = await run([...cmd, ...SHOP, '-o', fmt])
          assert.equal(r.code, 64, `${cmd.join(' ')} -o ${fmt}: ${r.stderr}`)
          assert.equal(r.stdout, '')
          assert.match(r.stderr, new RegExp(`^error: Expected --output=${fmt} to be one of: table, json, yaml`))
        }
      }
      const m = manifest().commands as unknown as Record<string, {flags: Record<string, {options?: string[]}>}>
      for (const id of ['generate:haproxy', 'generate:netscaler', 'generate:nftables', 'generate:iptables', 'diff:haproxy', 'diff:netscaler', 'diff:vip', 'apply:haproxy', 'apply:netscaler', 'apply:vip', 'delete:vip', 'sync', 'check:trace', 'version'])
        assert.deepEqual(m[id]!.flags.output?.options, ['table', 'json', 'yaml'], id)
    })

    it('version takes table, json and yaml only (kubectl version has no -o name)', async () => {
      const r = await run(['version', '-o', 'name'])
      assert.equal(r.code, 64)
      assert.match(r.stderr, /^error: Expected --output=name to be one of: table, json, yaml/)
    })
  })

  describe('changes of meaning are never silent', () => {
    it('install --apply with a bare --dry-run (once the server-side diff) is refused, naming both values', async () => {
      const r = await run(['install', '--apply', '--dry-run'])
      assert.equal(r.code, 64)
      assert.match(r.stderr, /^error: install --apply --dry-run: say --dry-run=server .* or --dry-run=client/)
      assert.equal(r.stdout, '')
    })
    it('apply/diff netscaler: --insecure-skip-tls-verify is the API server\'s, and says the appliance is still verified', async () => {
      for (const cmd of ['apply', 'diff']) {
        const r = await run([cmd, 'netscaler', '--insecure-skip-tls-verify', '--nitro-url', 'https://127.0.0.1:1', '--server', 'https://127.0.0.1:1', '--token', 't'])
        assert.match(r.stderr, /^warning: --insecure-skip-tls-verify skips the API server's certificate check .* --nitro-insecure-skip-tls-verify\)\n/, `${cmd}: ${r.stderr}`)
      }
    })
  })

  describe('a mistyped flag never echoes its value (it may be a secret)', () => {
    for (const args of [['inspect', 'services', ...SHOP], ['check', ...SHOP], ['generate', 'haproxy', ...SHOP]]) {
      it(`${args[0]} ${args[1]}: --tokne=SECRET`, async () => {
        for (const json of [false, true]) {
          const r = await run([...args, '--tokne=s3cr3t-value', ...(json ? ['--json'] : [])])
          assert.equal(r.code, 64)
          assert.doesNotMatch(r.stdout + r.stderr, /s3cr3t/)
          assert.match(r.stdout + r.stderr, /unknown flag: --tokne/)
        }
      })
    }
  })

  it('inspect NAME...: -o json and --json print the same document of the objects found, then the names not found fail', async () => {
    const a = await run(['inspect', 'services', 'frontend', 'nosuch', ...SHOP, '-o', 'json'])
    const b = await run(['inspect', 'services', 'frontend', 'nosuch', ...SHOP, '--json'])
    for (const r of [a, b]) {
      assert.equal(r.code, 65)
      assert.equal(r.stderr, 'error: services "nosuch" not found\n')
      assert.deepEqual((JSON.parse(r.stdout) as {items: Array<{name: string}>}).items.map((i) => i.name), ['frontend'])
    }
    assert.equal(a.stdout, b.stdout)
  })
})
