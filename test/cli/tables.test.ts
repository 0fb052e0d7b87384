/**
 * kubectl's habits on the built CLI: tables that fit $COLUMNS, -o wide that
 * does not, name arguments, short names, -o jsonpath / custom-columns,
 * --no-headers, --sort-by, and -l on every inspect view.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {vipctl} from '../helpers/cli.js'

const SHOP = ['-f', 'examples/shop']
const ALL = ['-f', 'examples/shop', '-f', 'examples/gateway']
const VIEWS = ['services', 'endpoints', 'ingresses', 'vips', 'gateways', 'routes'] as const
const widest = (s: string) => Math.max(0, ...s.split('\n').map((l) => [...l].length))
const cols = (env: string) => ({env: {COLUMNS: env}})

/** A usage-style failure: the exit code and exactly one line on stderr matching re. */
function refused(r: {code: number; stderr: string; stdout: string}, code: number, re: RegExp) {
  assert.equal(r.code, code, r.stderr)
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr.trim(), re)
}

describe('tables fit the terminal', () => {
  for (const view of VIEWS)
    it(`inspect ${view}: at COLUMNS=80 no line is wider; -o wide shows every column whole`, async () => {
      const r = await vipctl(['inspect', view, ...ALL], cols('80'))
      assert.equal(r.code, 0, r.stderr)
      assert.ok(r.stdout.length > 0)
      assert.ok(widest(r.stdout) <= 80, r.stdout)
      const w = await vipctl(['inspect', view, ...ALL, '-o', 'wide'], cols('80'))
      assert.doesNotMatch(w.stdout, /…/)
      assert.ok(w.stdout.split('\n')[0]!.length > r.stdout.split('\n')[0]!.length, `${view}: -o wide adds columns`)
    })

  it('check (findings and --list-checks): at COLUMNS=80 no line is wider; the message is whole in -o wide', async () => {
    const r = await vipctl(['check', '-f', 'examples/broken'], cols('80'))
    assert.equal(r.code, 1)
    assert.ok(widest(r.stdout) <= 80, r.stdout)
    assert.match(r.stdout, /^SEVERITY +CODE +OBJECT +MESSAGE$/m)
    assert.match(r.stdout, /Ingress\/broken\/storefront +.*…$/m)
    const wide = await vipctl(['check', '-f', 'examples/broken', '-o', 'wide'], cols('80'))
    assert.match(wide.stdout, /Secret broken\/mixed-tls is unusable: tls\.key is not the key of the certificate in tls\.crt; its hosts are not served over TLS/)
    const list = await vipctl(['check', '--list-checks'], cols('80'))
    assert.ok(widest(list.stdout) <= 80, list.stdout)
  })

  it('the width is $COLUMNS (80 when unset off a terminal); narrower cuts more, identity columns last', async () => {
    const unset = await vipctl(['inspect', 'endpoints', ...SHOP], {env: {COLUMNS: ''}})
    assert.ok(widest(unset.stdout) <= 80, unset.stdout)
    const r70 = await vipctl(['inspect', 'endpoints', ...SHOP], cols('70'))
    assert.ok(widest(r70.stdout) <= 70, r70.stdout)
    assert.match(r70.stdout, /^shop +legacy-billing-1 +legacy-billing +8080 +198\.51\.1… +2\/2$/m)
    const r200 = await vipctl(['inspect', 'endpoints', ...SHOP], cols('200'))
    assert.doesNotMatch(r200.stdout, /…/)
    assert.match(r200.stdout, /10\.244\.1\.12,10\.244\.2\.13,10\.244\.1\.14/)
  })

  it('default views keep the columns an operator scans; the long ones are in -o wide', async () => {
    const head = async (view: string, fmt: string) => (await vipctl(['inspect', view, ...ALL, '-o', fmt], cols('80'))).stdout.split('\n')[0]!.split(/\s+/)
    assert.deepEqual(await head('services', 'table'), ['NAMESPACE', 'NAME', 'VIP', 'PORTS', 'ENDPOINTS', 'INGRESSES'])
    assert.deepEqual(await head('ingresses', 'table'), ['NAMESPACE', 'NAME', 'CLASS', 'HOSTS', 'TLS', 'VIP'])
    assert.deepEqual(await head('routes', 'table'), ['NAMESPACE', 'NAME', 'HOSTNAMES', 'PARENTS', 'RULES'])
    assert.ok((await head('ingresses', 'wide')).includes('PATHS'))
    assert.ok((await head('services', 'wide')).includes('CLUSTER-IP'))
    assert.ok((await head('routes', 'wide')).includes('PROGRAMMED'))
  })
})

describe('names, short names and selectors', () => {
  it('inspect services NAME...: only those, in every namespace', async () => {
    const r = await vipctl(['inspect', 'services', 'frontend', 'cart', ...SHOP, '-o', 'name'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'service/cart\nservice/frontend\n')
  })

  it('an unknown name: the others are printed, then services "x" not found, exit 65 (like an unknown namespace)', async () => {
    const r = await vipctl(['inspect', 'services', 'nope', 'frontend', ...SHOP, '-o', 'name'])
    refused(r, 65, /^error: services "nope" not found$/)
    assert.equal(r.stdout, 'service/frontend\n')
    const all = await vipctl(['inspect', 'ingresses', 'a', 'b', ...SHOP])
    refused(all, 65, /^error: ingresses "a" not found; ingresses "b" not found$/)
    assert.equal(all.stdout, '')
    const json = await vipctl(['inspect', 'services', 'nope', ...SHOP, '--json'])
    assert.equal(json.code, 65)
    assert.equal(JSON.parse(json.stdout).kind, 'Status')
  })

  it('names with -l, or something that looks like a flag, are usage errors', async () => {
    refused(await vipctl(['inspect', 'services', 'frontend', '-l', 'tier=web', ...SHOP]), 64, /names cannot be given with a selector/)
    refused(await vipctl(['inspect', 'services', ...SHOP, '--nope']), 64, /--nope/)
  })

  it('vips by address (every port) or address:port; routes by name or kind/name', async () => {
    assert.equal((await vipctl(['inspect', 'vips', '192.0.2.10', ...SHOP, '-o', 'name'])).stdout, 'vip/192.0.2.10:80\nvip/192.0.2.10:443\n')
    assert.equal((await vipctl(['inspect', 'vips', '192.0.2.10:443', ...SHOP, '-o', 'name'])).stdout, 'vip/192.0.2.10:443\n')
    assert.equal((await vipctl(['inspect', 'routes', 'httproute/storefront', ...ALL, '-o', 'name'])).stdout, 'httproute.gateway.networking.k8s.io/storefront\n')
  })

  it("kubectl's short names and singulars: svc, ing, ep, gtw, route, vip", async () => {
    for (const [alias, view] of [['svc', 'services'], ['service', 'services'], ['ing', 'ingresses'], ['ep', 'endpoints'], ['gtw', 'gateways'], ['route', 'routes'], ['vip', 'vips']] as const) {
      const a = await vipctl(['inspect', alias, ...ALL, '-o', 'name'])
      const b = await vipctl(['inspect', view, ...ALL, '-o', 'name'])
      assert.equal(a.code, 0, `${alias}: ${a.stderr}`)
      assert.ok(a.stdout.length > 0)
      assert.equal(a.stdout, b.stdout, alias)
    }
  })

  it('inspect vips -l: a VIP:port stays when an object behind it matches (its owners or the Services it sends to)', async () => {
    // The Services behind the Ingress VIPs are tier=web; redis (a LoadBalancer) is tier=data.
    assert.equal((await vipctl(['inspect', 'vips', ...SHOP, '-l', 'tier=data', '-o', 'name'])).stdout, 'vip/192.0.2.20:6379\n')
    const web = (await vipctl(['inspect', 'vips', ...SHOP, '-l', 'tier=web', '-o', 'name'])).stdout
    assert.match(web, /vip\/192\.0\.2\.11:80/)
    assert.doesNotMatch(web, /6379/)
    const none = await vipctl(['inspect', 'vips', ...SHOP, '-l', 'tier=nothing'])
    assert.equal(none.code, 0)
    assert.equal(none.stdout, '')
    assert.equal(none.stderr.trim(), 'No resources found.')
  })

  it('every inspect view honours -l', async () => {
    for (const view of VIEWS) {
      const r = await vipctl(['inspect', view, ...ALL, '-l', 'no-such-label=x', '-o', 'name'])
      assert.equal(r.code, 0, `${view}: ${r.stderr}`)
      assert.equal(r.stdout, '', view)
    }
  })
})

describe('-o jsonpath, -o custom-columns, --no-headers, --sort-by', () => {
  it("jsonpath on the -o json document: kubectl's range/end and literals", async () => {
    const r = await vipctl(['inspect', 'services', 'cart', 'redis', ...SHOP, '-o', 'jsonpath={range .items[*]}{.name}{"\\t"}{.vips[*]}{"\\n"}{end}'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'cart\t192.0.2.10\nredis\t192.0.2.20\n')
    const f = await vipctl(['inspect', 'services', ...SHOP, '-o', 'jsonpath={.items[?(@.type=="LoadBalancer")].name}'])
    assert.equal(f.stdout, 'redis')
    const kind = await vipctl(['inspect', 'vips', ...SHOP, '-o', 'jsonpath={.kind}'])
    assert.equal(kind.stdout, 'VipList')
  })

  it('jsonpath-file reads the template from a file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-tables-'))
    const file = path.join(dir, 't.jsonpath')
    writeFileSync(file, '{range .items[*]}{.name}{","}{end}')
    assert.equal((await vipctl(['inspect', 'ingresses', ...SHOP, '-o', `jsonpath-file=${file}`])).stdout, 'admin,api,storefront,')
    refused(await vipctl(['inspect', 'ingresses', ...SHOP, '-o', `jsonpath-file=${path.join(dir, 'nope')}`]), 65, /no such file/)
  })

  it('bad templates and unknown formats: one line, exit 64', async () => {
    refused(await vipctl(['inspect', 'services', ...SHOP, '-o', 'jsonpath={.items[*']), 64, /^error: -o jsonpath \{\.items\[\*: "\{" at 1 is never closed/)
    refused(await vipctl(['inspect', 'services', ...SHOP, '-o', 'jsonpath={range .items[*]}']), 64, /\{range\} without \{end\}/)
    refused(await vipctl(['inspect', 'services', ...SHOP, '-o', 'custom-columns=NAME']), 64, /not HEADER:PATH/)
    refused(await vipctl(['inspect', 'services', ...SHOP, '-o', 'xml']), 64, /unknown output format; expected one of table, .*custom-columns=SPEC/)
    refused(await vipctl(['inspect', 'services', ...SHOP, '-o', 'jsonpath={.items[?(@.name=~"x")]}']), 64, /^error: jsonpath /)
  })

  it('custom-columns with --sort-by and --no-headers', async () => {
    const r = await vipctl(['inspect', 'services', ...SHOP, '-o', 'custom-columns=NAME:.name,PORT:.ports[0].port,READY:{.endpoints.ready}', '--sort-by', '{.ports[0].port}', '--no-headers'])
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trimEnd().split('\n')
    assert.equal(lines.length, 11)
    assert.doesNotMatch(r.stdout, /NAME/)
    assert.match(lines.at(-1)!, /^redis +6379 +1$/)
  })

  it('--sort-by orders tables and -o json alike; a field no item has is exit 64', async () => {
    const j = JSON.parse((await vipctl(['inspect', 'endpoints', ...SHOP, '-o', 'json', '--sort-by', '.ports[0].port'])).stdout)
    assert.deepEqual(j.items.map((i: {ports: Array<{port: number}>}) => i.ports[0]!.port), [6379, 8080, 8080, 8080, 8080, 8080, 8080, 8080, 8080, 8080, 9000].sort((a, b) => a - b))
    const t = await vipctl(['check', '-f', 'examples/broken', '--sort-by', '.code', '--no-headers', '-o', 'name'])
    const codes = t.stdout.trim().split('\n').map((l) => l.split('/')[0]!)
    assert.deepEqual(codes, [...codes].sort())
    refused(await vipctl(['inspect', 'services', ...SHOP, '--sort-by', '.metadata.name']), 64, /--sort-by \.metadata\.name: no item has this field/)
  })

  it('--no-headers on table and wide', async () => {
    for (const fmt of ['table', 'wide']) {
      const r = await vipctl(['inspect', 'vips', ...SHOP, '-o', fmt, '--no-headers'])
      assert.match(r.stdout.split('\n')[0]!, /^192\.0\.2\.10:80 /)
    }
  })
})
