/** The built binary, as a user runs it: formats, exit codes, one-line errors. */
import assert from 'node:assert/strict'
import {parse as parseYaml} from 'yaml'
import {vipctl} from '../helpers/cli.js'
import {assertGolden} from '../helpers/golden.js'

const SHOP = ['-f', 'examples/shop']

describe('vipctl CLI (built)', function () {
  this.timeout(30_000)

  it('--help lists the topics and commands', async () => {
    const r = await vipctl(['--help'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /inspect/)
    assert.match(r.stdout, /version/)
    const sub = await vipctl(['inspect', 'services', '--help'])
    assert.equal(sub.code, 0)
    assert.match(sub.stdout, /-o, --output=table\|wide\|name\|json\|yaml\|jsonl\|jsonpath=TEMPLATE/)
    assert.match(sub.stdout, /-f, --filename=<value>/)
  })

  it('version prints text and a typed JSON document', async () => {
    const r = await vipctl(['version'])
    assert.match(r.stdout, /^vipctl 0\.1\.0 \(node v?\d+/)
    const j = JSON.parse((await vipctl(['version', '-o', 'json'])).stdout)
    assert.equal(j.apiVersion, 'vipctl.io/v1alpha1')
    assert.equal(j.kind, 'Version')
    assert.deepEqual(JSON.parse((await vipctl(['version', '--json'])).stdout), j)
    // A format that means nothing for one document is a usage error, not a "Version" line.
    const name = await vipctl(['version', '-o', 'name'])
    assert.equal(name.code, 64)
    assert.equal(name.stdout, '')
  })

  for (const what of ['services', 'ingresses', 'endpoints', 'vips']) {
    for (const fmt of ['table', 'wide', 'name']) {
      it(`inspect ${what} -o ${fmt} matches the golden file`, async () => {
        const r = await vipctl(['inspect', what, ...SHOP, '-o', fmt])
        assert.equal(r.code, 0, r.stderr)
        assert.equal(r.stderr, '')
        assertGolden(`shop/inspect-${what}.${fmt}.txt`, r.stdout)
      })
    }
    it(`inspect ${what} -o json and -o yaml give the same document`, async () => {
      const j = await vipctl(['inspect', what, ...SHOP, '-o', 'json'])
      const y = await vipctl(['inspect', what, ...SHOP, '-o', 'yaml'])
      assert.equal(j.code, 0)
      const doc = JSON.parse(j.stdout)
      assert.deepEqual(parseYaml(y.stdout), doc)
      assert.equal(doc.apiVersion, 'vipctl.io/v1alpha1')
      assertGolden(`shop/inspect-${what}.json`, j.stdout)
    })
  }

  it('inspect services -o json lists every Service with its endpoints', async () => {
    const doc = JSON.parse((await vipctl(['inspect', 'services', ...SHOP, '-o', 'json'])).stdout)
    assert.equal(doc.kind, 'ServiceList')
    assert.equal(doc.items.length, 11)
    const cart = doc.items.find((s: any) => s.name === 'cart')
    assert.deepEqual(cart.endpoints.addresses.map((a: any) => [a.address, a.ready, a.pod]), [['10.244.1.15', true, 'cart-1'], ['10.244.2.16', false, 'cart-2']])
    assert.deepEqual(doc.items.find((s: any) => s.name === 'legacy-billing').endpoints.addresses.map((a: any) => a.address), ['198.51.100.21', '198.51.100.22'])
  })

  it('filters by namespace and label selector; says so on stderr when nothing matches', async () => {
    const r = await vipctl(['inspect', 'services', ...SHOP, '-l', 'tier=web', '-o', 'name'])
    assert.equal(r.stdout, 'service/admin\nservice/frontend\nservice/images\n')
    const none = await vipctl(['inspect', 'services', ...SHOP, '-n', 'nowhere'])
    assert.equal(none.code, 0)
    assert.equal(none.stdout, '')
    assert.equal(none.stderr.trim(), 'No resources found in nowhere namespace.')
  })

  it('reads stdin with -f -', async () => {
    const r = await vipctl(['inspect', 'services', '-f', '-', '-o', 'name'], {
      input: 'apiVersion: v1\nkind: Service\nmetadata: {name: piped}\nspec: {ports: [{port: 80}]}\n',
    })
    assert.equal(r.stdout, 'service/piped\n')
  })

  it('malformed YAML exits 65 with one line naming file and line', async () => {
    const r = await vipctl(['inspect', 'services', '-f', '-'], {input: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: [oops\n'})
    assert.equal(r.code, 65)
    assert.equal(r.stdout, '')
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /^error: <stdin>:\d+: document 1: malformed YAML/)
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/)
  })

  it('a bad object is a warning on stderr naming object and field; --strict makes it exit 65', async () => {
    const input = 'apiVersion: v1\nkind: Service\nmetadata: {name: ok}\nspec: {}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: Bad}\nspec: {}\n'
    const r = await vipctl(['inspect', 'services', '-f', '-', '-o', 'name'], {input})
    assert.equal(r.code, 0)
    assert.equal(r.stdout, 'service/ok\n')
    // The command succeeds (exit 0): the skipped object is a warning line, never "error:".
    assert.match(r.stderr, /^warning: <stdin>:6: Service\/default\/Bad metadata\.name: must be a DNS-1035 label .*\[VIP1001\]$/m)
    assert.doesNotMatch(r.stderr, /^error:/m)
    const strict = await vipctl(['inspect', 'services', '-f', '-', '--strict'], {input})
    assert.equal(strict.code, 65)
  })

  it('unknown flags and bad option values exit 64 with one line', async () => {
    for (const args of [['inspect', 'services', '--nope'], ['inspect', 'services', '-o', 'xml', ...SHOP], ['inspect', 'services', ...SHOP, '--vip', 'not-an-ip']]) {
      const r = await vipctl(args)
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, /^error: /)
    }
  })

  it('unknown commands exit 64', async () => {
    const r = await vipctl(['frobnicate'])
    assert.equal(r.code, 64)
    assert.match(r.stderr, /unknown command "frobnicate"/)
  })

  it('--json errors are a Status document on stdout with the exit code', async () => {
    const r = await vipctl(['inspect', 'services', '-f', '/nonexistent', '--json'])
    assert.equal(r.code, 65)
    const s = JSON.parse(r.stdout)
    assert.deepEqual([s.kind, s.status, s.code, s.reason], ['Status', 'Failure', 65, 'BadInput'])
  })

  it('--debug adds the stack trace', async () => {
    const r = await vipctl(['inspect', 'services', '-f', '/nonexistent', '--debug'])
    assert.equal(r.code, 65)
    assert.match(r.stderr, /\n\s+at /)
  })

  it('check: exit 0 on examples/shop, 1 with an error, --fail-on decides, JSON lists findings with file and line', async () => {
    const clean = await vipctl(['check', ...SHOP])
    assert.equal(clean.code, 0, clean.stdout + clean.stderr)
    const input = 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: b}\nspec: {selector: {app: nope}, ports: [{port: 80}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: b, annotations: {vipctl.io/vip: 192.0.2.1}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: a.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n'
    const r = await vipctl(['check', '-f', '-', '-o', 'json'], {input})
    assert.equal(r.code, 1)
    const doc = JSON.parse(r.stdout)
    assert.equal(doc.kind, 'FindingList')
    assert.deepEqual(doc.items.map((f: any) => [f.code, f.object, f.field, f.file, f.line]), [['VIP4010', 'Service/b/web', 'spec.selector', '<stdin>', 1]])
    assert.equal((await vipctl(['check', '-f', '-', '--fail-on', 'never'], {input})).code, 0)
    assert.equal((await vipctl(['check', '-f', '-', '--disable', 'VIP4010'], {input})).code, 0)
    assert.equal((await vipctl(['check', '-f', '-', '--disable', 'VIP9999'], {input})).code, 64)
    const list = await vipctl(['check', '--list-checks', '-o', 'name'])
    assert.match(list.stdout, /^VIP4010$/m)
  })

  it('check on examples/broken finds the known faults (golden), with and without --vip-pool', async () => {
    const r = await vipctl(['check', '-f', 'examples/broken', '--vip-pool', '192.0.2.0/28', '-o', 'wide'])
    assert.equal(r.code, 1)
    assertGolden('check/broken.wide.txt', r.stdout)
    const noPool = JSON.parse((await vipctl(['check', '-f', 'examples/broken', '-o', 'json'])).stdout)
    assert.ok(noPool.items.some((f: any) => f.code === 'VIP2005' && f.object === 'Ingress/broken/novip'))
  })

  it('check trace: a tree on a terminal or not (as every other command), JSON with -o json or --json, exit 1 when a hop fails', async () => {
    const ok = await vipctl(['check', 'trace', 'api.shop.example.com/v1/search', ...SHOP, '-o', 'json'])
    assert.equal(ok.code, 0, ok.stderr)
    const doc = JSON.parse(ok.stdout)
    assert.equal(doc.kind, 'Trace')
    assert.equal(doc.traces[0].ok, true)
    assert.equal(JSON.parse((await vipctl(['check', 'trace', 'api.shop.example.com/v1/search', ...SHOP, '--json'])).stdout).kind, 'Trace')
    // Piped (no terminal) and without -o: the tree, not JSON.
    for (const extra of [[], ['-o', 'table']]) {
      const tree = await vipctl(['check', 'trace', 'api.shop.example.com/v1/search', ...SHOP, ...extra])
      assert.match(tree.stdout, /^api\.shop\.example\.com\/v1\/search {2}reachable\n├─ ✓ ingress class/)
    }
    const bad = await vipctl(['check', 'trace', 'ingress/storefront', '-f', 'examples/broken'])
    assert.equal(bad.code, 1)
    assert.equal((await vipctl(['check', 'trace', 'bad host!', ...SHOP])).code, 64)
    // An Ingress that is not there is bad input (65), as a name given to inspect that does not exist.
    const missing = await vipctl(['check', 'trace', 'ingress/nosuch', ...SHOP])
    assert.deepEqual([missing.code, missing.stderr], [65, 'error: Ingress nosuch not found (vipctl inspect ingresses -A lists them)\n'])
    assert.equal((await vipctl(['inspect', 'services', 'nosuch', ...SHOP])).code, 65)
    // kubectl's spellings of the kind, in any case, name the Ingress (never a host).
    for (const t of ['Ingress/nosuch', 'ing/nosuch', 'ingresses/nosuch']) assert.equal((await vipctl(['check', 'trace', t, ...SHOP])).code, 65, t)
    assert.match((await vipctl(['check', 'trace', 'ING/storefront', ...SHOP, '-n', 'shop', '-o', 'json'])).stdout, /"routedBy": "Ingress\/shop\/storefront"/)
  })

  it('never prints Secret data', async () => {
    for (const what of ['services', 'ingresses', 'endpoints', 'vips']) {
      for (const fmt of ['json', 'yaml', 'wide']) {
        const r = await vipctl(['inspect', what, ...SHOP, '-o', fmt])
        assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY|LS0tLS1CRUdJTi/, `${what} -o ${fmt}`)
      }
    }
  })
})
