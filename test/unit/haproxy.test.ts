import assert from 'node:assert/strict'
import {compile} from '../../src/model/compile.js'
import {certFileName} from '../../src/targets/haproxy/generate.js'
import {Chalk} from 'chalk'
import {loadOffline, parseInto} from '../../src/cluster/offline.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'
import {generateHaproxyFiles, renderHaproxy} from '../../src/generate/haproxy.js'
import {planHaproxy, structuralChanges} from '../../src/apply/haproxy/plan.js'
import {readShape, shapeOf} from '../../src/targets/haproxy/read.js'
import {command, parseServersState, parseShowProc} from '../../src/core/haproxy-runtime.js'
import {slotsFrom} from '../../src/apply/haproxy/apply.js'
import {DEFAULT_HAPROXY_OPTIONS, indexOf, slotsOf, type HaproxyOptions} from '../../src/targets/haproxy/generate.js'
import {line, renderSections, type Section, type Server} from '../../src/targets/haproxy/syntax.js'
import {render} from '../../src/output/render.js'
import {assertGolden} from '../helpers/golden.js'

export const GOLDEN_OPTS: HaproxyOptions = {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}
const noStdin = {readStdin: async () => ''}
const plain = {chalk: new Chalk({level: 0})}

export const HAPROXY_CASES = ['examples/shop', 'test/fixtures/haproxy/wildcard-hosts.yaml', 'test/fixtures/haproxy/exact-prefix.yaml', 'test/fixtures/haproxy/tcp-and-unready.yaml']
/** Route and backend policy (split, header rules, redirects, rewrites, backend protocol, ...): goldens for both targets. */
export const L7_CASES = ['test/fixtures/haproxy/l7-policy.yaml', 'test/fixtures/haproxy/gateway-api.yaml', 'test/fixtures/haproxy/gateway-grpc.yaml']

/** N routes over 10 Services on one VIP: the scale case. */
export function manyRoutes(n: number): Snapshot {
  const docs: string[] = []
  for (let s = 0; s < 10; s++)
    docs.push(
      `apiVersion: v1\nkind: Service\nmetadata: {name: svc-${s}, namespace: big}\nspec: {ports: [{port: 80}]}\n`,
      `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: svc-${s}-1, namespace: big, labels: {kubernetes.io/service-name: svc-${s}}}\naddressType: IPv4\nports: [{port: 8080}]\nendpoints: [{addresses: [10.9.${s}.1]}, {addresses: [10.9.${s}.2]}]\n`,
    )
  const rules = Array.from({length: n}, (_, i) => `    - host: h${i % 100}.big.example.com\n      http: {paths: [{path: /p${i}, pathType: ${i % 3 === 0 ? 'Exact' : 'Prefix'}, backend: {service: {name: svc-${i % 10}, port: {number: 80}}}}]}`)
  docs.push(`apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: big, namespace: big, annotations: {vipctl.io/vip: 192.0.2.99}}\nspec:\n  ingressClassName: vipctl\n  rules:\n${rules.join('\n')}\n`)
  const snap = emptySnapshot({kind: 'offline', files: []})
  parseInto(snap, docs.join('---\n'), 'many.yaml')
  return snap
}

function caseName(input: string): string {
  return input.replace(/^.*\//, '').replace(/\.yaml$/, '')
}

describe('HAProxy target', () => {
  for (const input of [...HAPROXY_CASES, ...L7_CASES]) {
    it(`renders ${input} as in the golden file`, async () => {
      const snap = await loadOffline({filenames: [input], strict: false}, noStdin)
      const {result, diagnostics} = await generateHaproxyFiles(compile(snap, {}), GOLDEN_OPTS, undefined)
      const text = render(result, 'table', plain)
      const diag = diagnostics.map((d) => `# ${d.severity} ${d.code} ${d.object} ${d.field ?? ''}: ${d.message}`).join('\n')
      assertGolden(`haproxy/${caseName(input)}.txt`, `${diag ? `${diag}\n\n` : ''}${text}`)
      assert.doesNotMatch(text, /PRIVATE KEY/)
    })
  }

  it('renders 1,000 routes through two map files per frontend, not one rule each', () => {
    const {config} = renderHaproxy(compile(manyRoutes(1000), {}), GOLDEN_OPTS)
    const cfg = config.files.find((f) => f.path === 'haproxy.cfg')!.content
    assert.equal((cfg.match(/map_(str|beg)\(/g) ?? []).length, 6)
    const exact = config.files.find((f) => f.path.endsWith('.exact.map'))!.content.trim().split('\n')
    const prefix = config.files.find((f) => f.path.endsWith('.prefix.map'))!.content.trim().split('\n')
    assert.equal(exact.length, 1000) // every route has an exact entry
    assert.equal(prefix.length, 666) // Prefix routes also match below themselves
    assertGolden('haproxy/1000-routes.cfg', cfg)
  })

  it('is deterministic: the same model gives the same bytes', async () => {
    const a = renderHaproxy(compile(await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin), {}), GOLDEN_OPTS)
    const b = renderHaproxy(compile(await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin), {}), GOLDEN_OPTS)
    assert.deepEqual(a.config.files, b.config.files)
  })

  it('writes certificates with mode 0600 under a name derived injectively from namespace/name', async () => {
    const {config} = renderHaproxy(compile(await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin), {}), GOLDEN_OPTS)
    const pem = config.files.filter((f) => f.path.endsWith('.pem'))
    assert.equal(pem.length, 1)
    assert.equal(pem[0]!.path, 'certs/shop_shop-tls.pem')
    // Names too long for a file name become a hash in a form no readable name can take (namespaces hold no "_").
    assert.match(certFileName(`a/${'b'.repeat(250)}`), /^certs\/_[0-9a-f]{64}\.pem$/)
    assert.notEqual(certFileName('a-b/c'), certFileName('a/b-c'))
    assert.equal(pem[0]!.mode, 0o600)
    assert.ok(pem[0]!.secret)
  })

  it('keeps members in the slots they run in, fills the lowest free slots, keeps spares', async () => {
    const snap = await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin)
    const running = parseServersState(
      '1\n# be_id be_name srv_id srv_name srv_addr ...\n' +
        '5 shop_catalog_80 1 SRV_1 10.244.2.13 2 0 1 1 0 6 3 4 6 0 0 0 - 8080 - 0 0 - - 0\n' +
        '5 shop_catalog_80 3 SRV_3 10.244.1.12 2 0 1 1 0 6 3 4 6 0 0 0 - 8080 - 0 0 - - 0\n',
    )
    const {config} = renderHaproxy(compile(snap, {}), {...GOLDEN_OPTS, slots: slotsFrom(running)})
    const servers = config.servers.filter((s) => s.backend === 'shop_catalog_80').map((s) => `${s.server}=${s.address}`)
    assert.deepEqual(servers, ['SRV_1=10.244.2.13', 'SRV_2=10.244.1.14', 'SRV_3=10.244.1.12', 'SRV_4=0.0.0.0', 'SRV_5=0.0.0.0', 'SRV_6=0.0.0.0', 'SRV_7=0.0.0.0'])
  })

  it('the serializer refuses tokens outside the grammar (a bug, never output)', () => {
    for (const bad of ['a b', 'x\nbackend pwn', '"q"', '${HOME}', 'a#b', 'a;b', "it's"])
      assert.throws(() => renderSections([{kind: 'backend', name: 'b', lines: [line('server', bad)]}]), /internal: unsafe/)
    assert.throws(() => renderSections([{kind: 'backend', name: 'b', lines: [line('http-request', {quoted: 'x"y'})]}]), /internal: unsafe/)
    assert.throws(() => command('set', 'server', 'b/s', 'addr', '1.2.3.4;shutdown'), /internal: unsafe/)
  })
})

describe('HAProxy plans (typed structure)', () => {
  const CHECK = ['check', 'inter', '2000ms', 'fall', '3', 'rise', '2']
  const backend = (servers: Server[], opts: {options?: string[]; balance?: string} = {}): Section[] => [
    {kind: 'backend', name: 'b', lines: [line('mode', 'http'), line('balance', opts.balance ?? 'roundrobin')], servers: {list: servers, options: opts.options ?? CHECK, resolved: false}},
  ]
  const spare = (name: string): Server => ({name, address: '0.0.0.0', port: 0, disabled: true})
  const srv = (name: string, address: string, port = 80): Server => ({name, address, port, disabled: false})
  const A = backend([srv('SRV_1', '10.0.0.1'), spare('SRV_2')])
  const B = backend([srv('SRV_1', '10.0.0.1'), srv('SRV_2', '10.0.0.2')])
  const state = (rows: Array<[string, string, number, number]>) =>
    parseServersState(rows.map(([srv, addr, port, admin]) => `1 b 1 ${srv} ${addr} 2 ${admin} 1 1 0 6 3 4 6 0 0 0 - ${port} - 0 0 - - 0`).join('\n'))
  const file = (sections: Section[]) => ({path: 'haproxy.cfg', content: renderSections(sections), mode: 0o644})
  const desired = (sections: Section[], extra: Array<{path: string; content: string}> = []) => ({
    sections,
    files: [{...file(sections), secret: false}, ...extra.map((e) => ({...e, mode: 0o644, secret: false}))],
    servers: slotsOf(sections),
  })

  it('only server slots differ: runtime, with the commands to move and enable a slot', () => {
    assert.deepEqual(structuralChanges(readShape(renderSections(A)), shapeOf(B)), [])
    const p = planHaproxy([file(A)], desired(B), state([['SRV_1', '10.0.0.1', 80, 0], ['SRV_2', '0.0.0.0', 0, 5]]))
    assert.equal(p.kind, 'runtime')
    assert.deepEqual(p.servers.map((s) => s.commands), [['set server b/SRV_2 addr 10.0.0.2 port 80', 'set server b/SRV_2 state ready']])
  })

  it('an enabled slot is taken out of rotation before it moves', () => {
    const moved = backend([srv('SRV_1', '10.0.0.9', 81), srv('SRV_2', '10.0.0.2')])
    const p = planHaproxy([file(B)], desired(moved), state([['SRV_1', '10.0.0.1', 80, 0], ['SRV_2', '10.0.0.2', 80, 0]]))
    assert.deepEqual(p.servers[0]!.commands, ['set server b/SRV_1 state maint', 'set server b/SRV_1 addr 10.0.0.9 port 81', 'set server b/SRV_1 state ready'])
  })

  it('anything structural is a reload, and the plan names what changed', () => {
    const run = state([['SRV_1', '10.0.0.1', 80, 0], ['SRV_2', '10.0.0.2', 80, 0]])
    const more = planHaproxy([file(B)], desired(backend([...B[0]!.servers!.list, spare('SRV_3')])), run)
    assert.equal(more.kind, 'reload')
    assert.deepEqual(more.reasons, ['backend b: server slots 2 -> 3', 'the running config lacks 1 server slot(s), e.g. b/SRV_3'])
    const checks = planHaproxy([file(B)], desired(backend(B[0]!.servers!.list, {options: CHECK.map((o) => (o === '2000ms' ? '1000ms' : o))})), run)
    assert.deepEqual(checks.reasons, ['backend b: server options "check inter 2000ms fall 3 rise 2" -> "check inter 1000ms fall 3 rise 2"'])
    const balance = planHaproxy([file(B)], desired(backend(B[0]!.servers!.list, {balance: 'leastconn'})), run)
    assert.deepEqual(balance.reasons, ['backend b: "balance roundrobin" -> "balance leastconn"'])
    const added = planHaproxy([file(B)], desired([...B, {kind: 'frontend', name: 'f', lines: [line('bind', '127.0.0.1:8080')]}]), run)
    assert.deepEqual(added.reasons, ['frontend f added'])
    const map = planHaproxy([file(B)], desired(B, [{path: 'maps/f.exact.map', content: 'a.test/ b\n'}]), run)
    assert.deepEqual([map.kind, map.reasons], ['reload', ['maps/f.exact.map added']])
    assert.equal(planHaproxy([file(B)], desired(B), run).kind, 'none')
  })

  it('a hand-edited or foreign haproxy.cfg is read without error, and differs', () => {
    for (const junk of ['listen x\n    bind :1\n', '    orphan directive\n', 'backend b\n    server\n', 'backend b\n    server SRV_1 [zz]:80\n', '\u0000\u001b[31m\n', 'backend b\n    mode http\n    balance roundrobin\n    server SRV_1 10.0.0.1:80 check\n    server SRV_2 10.0.0.2:80 other\n']) {
      const changes = structuralChanges(readShape(junk), shapeOf(B))
      assert.ok(changes.length > 0, JSON.stringify(junk))
    }
  })

  it('a changed external name is a reload, never a runtime address change', () => {
    const ext = (host: string): Section[] => [{kind: 'backend', name: 'e', lines: [line('mode', 'http')], servers: {list: [srv('SRV_1', host, 443)], options: ['resolvers', 'vipctl', ...CHECK], resolved: true}}]
    assert.deepEqual(structuralChanges(readShape(renderSections(ext('a.example.test'))), shapeOf(ext('b.example.test'))), ['backend e: server SRV_1 now b.example.test:443'])
    assert.deepEqual(structuralChanges(readShape(renderSections(ext('a.example.test'))), shapeOf(ext('a.example.test'))), [])
    assert.equal(slotsOf(ext('a.example.test')).length, 0)
  })

  it('reads back exactly the shape of what it wrote (examples, 1000 routes, ExternalName, TLS)', async () => {
    const inputs = [await loadOffline({filenames: ['examples/shop'], strict: false}, noStdin), manyRoutes(1000)]
    for (const dir of ['externalname-backend', 'conflict-oldest-wins', 'mixed-protocol-vip']) inputs.push(await loadOffline({filenames: [`test/fixtures/cases/${dir}`], strict: false}, noStdin))
    for (const snap of inputs) {
      const {config} = renderHaproxy(compile(snap, {}), GOLDEN_OPTS)
      assert.deepEqual(readShape(config.files[0]!.content), shapeOf(config.sections))
      assert.deepEqual(config.index, indexOf(config.sections))
    }
  })
})

describe('HAProxy runtime replies', () => {
  it('parses the master socket\'s show proc', () => {
    const p = parseShowProc('#<PID>          <type>          <reloads>       <uptime>        <version>\n100   master   3 [failed: 1]   0d00h01m   2.6.12\n# workers\n201   worker   0   0d00h00m   2.6.12\n# old workers\n150   worker   2   0d00h01m   2.6.12\n')
    assert.deepEqual(p, {masterPid: 100, reloads: 3, failed: 1, workers: [201]})
  })
})
