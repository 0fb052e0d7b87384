/**
 * No injection, ever. 10,000+ adversarial objects built from the attack-string
 * corpus, each string placed alone, as prefix, suffix and infix in every field
 * that can reach the config. For each: every rendered line matches the
 * generator's own grammar, the sections, servers and map entries are exactly
 * those the model asked for, and HAProxy accepts the result (`haproxy -c` on
 * every distinct output).
 */
import {compile, secretLookup} from '../../src/model/compile.js'
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {deriveEndpointSlices} from '../../src/cluster/derive.js'
import {addToSnapshot, intakeObject, sortSnapshot} from '../../src/cluster/intake.js'
import {loadOffline} from '../../src/cluster/offline.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {writeTree} from '../../src/core/files.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {buildModel} from '../../src/model/build.js'
import {DEFAULT_HAPROXY_OPTIONS, generateHaproxy, type HaproxyConfig, type HaproxyOptions} from '../../src/targets/haproxy/generate.js'
import {BACKSLASH_HEX_REGEX, DOT_SEGMENT_REGEX} from '../../src/targets/haproxy/syntax.js'
import type {LbModel} from '../../src/model/types.js'
import {GOLDEN_OPTS, HAPROXY_CASES, L7_CASES, manyRoutes} from '../unit/haproxy.test.js'

const run = promisify(execFile)

const ATTACKS = [
  '\n', '\r', '\r\n', '\v', '\f', '\0', '\t', '\u0085', '\u2028', '\u2029',
  'x\n  server evil 10.0.0.9:80', 'x\nbackend pwn', 'x\n.if 1', '\nadd system user eve pw',
  '#', 'x #y', '"', "'", '\\', '\\"', '\\#', '\\\\', 'tail\\',
  '${HOME}', '"$SECRET"', '%[req.hdr(host)]', '%{+Q}o', ';', '{', '}', '(', ')', '|', '`', '-leading',
  '1.2.3.4 ; shutdown sessions server be/s', '/ { /testpath', '} location /x { alias /var/run/secrets/; }', '_by_lua', 'ssl_engine',
  'lua-load /tmp/x.lua', 'use_backend other if TRUE', '\nCOMMIT', '\n-A INPUT -j ACCEPT',
  '../../etc/passwd', '..%2F', '/var/run/secrets/kubernetes.io/serviceaccount/token', 'ns/../name',
  'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(254), 'a'.repeat(10_000),
  '\u202E', '\u200B', '\uFEFF', '\uFF0F', '\uD800', 'xn--', 'UPPER', 'trailing.', '*', '*.', '[::1]', 'fe80::1%eth0',
  ' ', '', 'on', '0x10', '__proto__', 'constructor', '~', '~x', '?', '&', '=', '!', '^', '$', '[', ']',
]

/** The fields that can reach a config, with the valid value each attack is combined with. */
const FIELDS: Record<string, string> = {
  ingressName: 'main', namespace: 'fz', host: 'h.fz.test', path: '/p', serviceName: 'web', portName: 'http',
  vip: '192.0.2.7', annotationKey: 'vipctl.io/lb-method', secretName: 'tls', tlsHost: 'h.fz.test', endpoint: '10.5.0.1',
  className: 'vipctl', labelValue: 'web', lbMethod: 'leastconn', pathType: 'Prefix', httpPort: '80', probePath: '/healthz',
}

const CERT = (() => {
  const y = readFileSync('examples/shop/50-secret-tls.yaml', 'utf8')
  return {crt: /tls\.crt: (\S+)/.exec(y)![1]!, key: /tls\.key: (\S+)/.exec(y)![1]!}
})()

function objects(v: Record<string, string>): unknown[] {
  const ns = v.namespace
  return [
    {apiVersion: 'v1', kind: 'Service', metadata: {name: v.serviceName, namespace: ns, labels: {app: v.labelValue}, annotations: {[v.annotationKey!]: v.lbMethod!}},
      spec: {selector: {app: 'web'}, ports: [{name: v.portName, port: 80, targetPort: 8080}]}},
    {apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: 'web-1', namespace: ns, labels: {'kubernetes.io/service-name': v.serviceName}},
      addressType: 'IPv4', ports: [{name: v.portName, port: 8080}], endpoints: [{addresses: [v.endpoint]}, {addresses: ['10.5.0.2']}]},
    {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web-1', namespace: ns, labels: {app: 'web'}},
      spec: {containers: [{name: 'c', ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: v.probePath, port: 8080}}}]}, status: {phase: 'Running', podIP: '10.5.0.1'}},
    {apiVersion: 'v1', kind: 'Secret', metadata: {name: v.secretName, namespace: ns}, type: 'kubernetes.io/tls', data: {'tls.crt': CERT.crt, 'tls.key': CERT.key}},
    {apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name: v.ingressName, namespace: ns, annotations: {'vipctl.io/vip': v.vip, 'vipctl.io/http-port': v.httpPort}},
      spec: {ingressClassName: v.className, tls: [{hosts: [v.tlsHost], secretName: v.secretName}],
        rules: [{host: v.host, http: {paths: [{path: v.path, pathType: v.pathType, backend: {service: {name: v.serviceName, port: {name: v.portName}}}}]}}]}},
  ]
}

/** Deterministic PRNG (mulberry32) so every run fuzzes the same cases. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function cases(min: number): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = []
  const place = (base: string, a: string, pos: number) => [a, a + base, base + a, base.slice(0, 1) + a + base.slice(1)][pos]!
  for (const field of Object.keys(FIELDS)) for (const a of ATTACKS) for (let pos = 0; pos < 4; pos++) out.push({...FIELDS, [field]: place(FIELDS[field]!, a, pos)})
  const rnd = prng(1234)
  const fields = Object.keys(FIELDS)
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!
  while (out.length < min) {
    const v = {...FIELDS}
    for (let k = 0; k < 2; k++) {
      const f = pick(fields)
      v[f] = place(v[f]!, pick(ATTACKS), Math.floor(rnd() * 4))
    }
    out.push(v)
  }
  return out
}

// The generator's whole line grammar. Names are derived ids; anything else fails.
const NAME = '[a-z0-9][a-z0-9_.-]*'
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const IP = '(?:\\d{1,3}(?:\\.\\d{1,3}){3}|\\[[0-9a-f:]+\\])'
const PATHS = '/[A-Za-z0-9_./-]+'
const CFG_LINES = [
  '', 'global', 'defaults', `frontend ${NAME}`, `backend ${NAME}`, `# [A-Za-z0-9/:, ._-]+`,
  '    master-worker', '    nbthread \\d+', `    stats socket ${PATHS} mode 600 level admin expose-fd listeners`, '    stats timeout 30s',
  '    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets', '    tune.ssl.default-dh-param 2048',
  '    mode (http|tcp)', '    option (dontlognull|idle-close-on-response|httpchk)', '    option redispatch 1', '    timeout [a-z-]+ \\d+(s|h|ms)',
  `    bind ${IP}:\\d+`, `    bind ${IP}:\\d+ ssl crt-list ${PATHS} alpn h2,http/1.1`,
  `    http-request set-var\\(txn.host\\) req.hdr\\(host\\),lower,regsub\\(':\\[0-9\\]\\+\\$',\\),regsub\\('\\[\\.\\]\\$',\\)`,
  `    http-request return status 400 content-type text/plain string "invalid Host header" if !\\{ var\\(txn.host\\) -m len 0 \\} !\\{ var\\(txn.host\\) -m reg '\\^\\(\\[a-z0-9_-\\]\\+\\[\\.\\]\\)\\*\\[a-z0-9_-\\]\\+\\$' \\} !\\{ var\\(txn.host\\) -m reg '\\^\\[\\[\\]\\[0-9a-f:\\.\\]\\+\\[\\]\\]\\$' \\} \\{ var\\(txn.host\\) -m found \\}`,
  // The 400 rules, from the expressions the generator writes (escaped for this line grammar).
  `    http-request return status 400 content-type text/plain string "invalid path" if \\{ path -m reg '${esc(DOT_SEGMENT_REGEX)}' \\}`,
  `    http-request return status 400 content-type text/plain string "invalid path" if \\{ path,hex -m reg '${esc(BACKSLASH_HEX_REGEX)}' \\}`,
  '    http-request return status 400 content-type text/plain string "invalid path" if \\{ path,lower -m sub %2e %5c \\}',
  '    http-request set-var-fmt\\(txn.hp\\) "%\\[var\\(txn.host\\)\\]%\\[path\\]"',
  '    http-request set-header (X-Forwarded-For|X-Real-IP) %\\[src\\]', '    http-request set-header X-Forwarded-Proto https?',
  '    http-request del-header (Forwarded|X-Forwarded-Host|X-Forwarded-Port)',
  '    http-request set-var-fmt\\(txn.wp\\) "\\*\\.%\\[var\\(txn.host\\),field\\(2,\\.,0\\)\\]%\\[path\\]" if !\\{ var\\(txn.be\\) -m found \\}',
  `    http-request set-var\\(txn.be\\) (var\\(txn.(hp|wp)\\),|path,)map_(str|beg)\\(${PATHS}\\)( if !\\{ var\\(txn.be\\) -m found \\})?`,
  '    http-request redirect location "https://%\\[var\\(txn.host\\)\\](:\\d+)?%\\[pathq\\]" code 308 if \\{ var\\(txn.be\\) -m str _redirect_https \\}',
  '    http-request return status 404 content-type text/plain string "no route" if !\\{ var\\(txn.be\\) -m found \\}',
  '    use_backend %\\[var\\(txn.be\\)\\] if \\{ var\\(txn.be\\) -m found \\}', `    default_backend ${NAME}`,
  '    balance (roundrobin|leastconn|source)', '    hash-type consistent',
  '    http-check send meth GET uri /[A-Za-z0-9._~/-]*(\\?[A-Za-z0-9._~=&-]*)?', '    http-check expect status 200-399',
  `    server SRV_\\d+ (${IP}:\\d+|0\\.0\\.0\\.0:0) check( check-ssl verify none)? inter \\d+ms fall \\d+ rise \\d+( port \\d+)?( disabled)?`,
  '    stick-table type ipv6 size 1m expire \\d+s', '    stick on src',
  '    cookie [A-Za-z0-9_-]+ insert indirect nocache httponly dynamic', '    dynamic-cookie-key [0-9a-f]+',
  `    bind 127\\.0\\.0\\.1:\\d+`, '    no log', '    http-request use-service prometheus-exporter if \\{ path /metrics \\}',
  '    stats enable', '    stats uri /stats', '    stats refresh 10s',
].map((l) => new RegExp(`^${l}$`))
const MAP_LINE = /^(\*\.)?[a-z0-9.-]*\/[A-Za-z0-9._~/-]* (_redirect_https|[a-z0-9][a-z0-9_.-]*)$/
const CRT_LINE = /^\/[A-Za-z0-9_./-]+\.pem( (\*\.)?[a-z0-9.-]+)*$/

/** Asserts the rendered files are exactly what the model asked for; returns the number of checked lines. */
export function assertExactly(config: HaproxyConfig, model: LbModel, label: string): number {
  const cfg = config.files.find((f) => f.path === 'haproxy.cfg')!.content
  const lines = cfg.split('\n')
  for (const l of lines) assert.ok(CFG_LINES.some((re) => re.test(l)), `${label}: unexpected line ${JSON.stringify(l)}`)
  const served = model.frontends.filter((f) => f.protocol !== 'udp' && config.listeners.has(f.id))
  assert.equal(lines.filter((l) => l.startsWith('frontend ')).length, served.length + 1, `${label}: frontends`)
  assert.equal(lines.filter((l) => l.startsWith('backend ')).length, new Set(config.servers.map((s) => s.backend)).size, `${label}: backends`)
  const slots = model.pools.reduce((n, p) => n + p.members.length + DEFAULT_HAPROXY_OPTIONS.spareSlots, 0)
  assert.ok(lines.filter((l) => l.startsWith('    server ')).length <= slots * 2, `${label}: servers`)
  assert.equal(lines.filter((l) => l.startsWith('    server ')).length, config.servers.length, `${label}: server lines`)
  let entries = 0
  for (const f of config.files) {
    if (f.path.endsWith('.map')) for (const l of f.content.split('\n').filter(Boolean)) {
      assert.match(l, MAP_LINE, `${label}: map line`)
      entries++
    }
    if (f.path.endsWith('.crtlist')) for (const l of f.content.split('\n').filter(Boolean)) assert.match(l, CRT_LINE, `${label}: crt-list line`)
  }
  const expected = served.filter((f) => f.protocol !== 'tcp').reduce((n, f) => {
    const exact = new Set(f.routes.map((r) => `${r.host}${r.path}`))
    const prefix = new Set(f.routes.filter((r) => r.pathType === 'Prefix').map((r) => `${r.host}${r.path === '/' ? '/' : `${r.path}/`}`))
    return n + exact.size + prefix.size
  }, 0)
  assert.equal(entries, expected, `${label}: map entries`)
  return lines.length
}

async function haproxyCheck(config: HaproxyConfig, dir: string): Promise<void> {
  await writeTree(dir, config.files)
  try {
    await run('haproxy', ['-c', '-q', '-f', path.join(dir, 'haproxy.cfg')])
  } catch (error) {
    const e = error as {stderr?: string; stdout?: string}
    const again = await run('haproxy', ['-c', '-f', path.join(dir, 'haproxy.cfg')]).catch((x: {stderr?: string}) => x)
    throw new Error(`haproxy -c failed: ${(again as {stderr?: string}).stderr ?? e.stderr ?? e.stdout}`)
  }
}

describe('HAProxy output is accepted by HAProxy and cannot be injected', function () {
  this.timeout(600_000)

  it('every golden case and every case fixture (test/fixtures/cases) passes haproxy -c', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-golden-'))
    const opts: HaproxyOptions = {...GOLDEN_OPTS, configDir: dir, runDir: dir}
    const caseInputs = ['externalname-backend/manifests.yaml', 'conflict-oldest-wins/manifests.yaml', 'mixed-protocol-vip/manifests.yaml', 'one-object-stops-render/manifest.json', 'vip-spelling-hijack/manifest.json',
      'tls-secret-blocks-everyone/manifest-bad-chain.json', 'tls-secret-blocks-everyone/manifest-crt-plus-otherkey.json', 'private-key-in-tls-crt/manifest.json', 'host-header-route-bypass/manifests.yaml'].map((f) => `test/fixtures/cases/${f}`)
    for (const input of [...HAPROXY_CASES, ...L7_CASES, ...caseInputs]) {
      const {config} = renderHaproxy(compile(await loadOffline({filenames: [input], strict: false}, {readStdin: async () => ''}), {}), opts)
      await haproxyCheck(config, dir)
    }
    await haproxyCheck(renderHaproxy(compile(manyRoutes(1000), {}), opts).config, dir)
  })

  it('10,000+ adversarial objects: only allowed lines, exactly the model\'s sections, servers and routes; haproxy -c passes', async () => {
    const all = cases(10_000)
    assert.ok(all.length >= 10_000)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-fuzz-'))
    const opts: HaproxyOptions = {...DEFAULT_HAPROXY_OPTIONS, configDir: dir, runDir: dir}
    const distinct = new Map<string, HaproxyConfig>()
    let accepted = 0
    for (const [i, v] of all.entries()) {
      const snap = emptySnapshot({kind: 'offline', files: []})
      for (const raw of objects(v)) {
        const res = intakeObject(raw, {source: 'file', file: 'fuzz', doc: i, line: 1})
        if (res.object) addToSnapshot(snap, res.object, {source: 'file', file: 'fuzz', doc: i, line: 1})
      }
      deriveEndpointSlices(snap)
      sortSnapshot(snap)
      const model = buildModel(snap)
      const config = generateHaproxy(model, secretLookup(snap), opts)
      assertExactly(config, model, `case ${i} ${JSON.stringify(v).slice(0, 200)}`)
      if (model.frontends.length > 0) accepted++
      const key = createHash('sha256').update(config.files.map((f) => `${f.path}\0${f.content}`).join('\0')).digest('hex')
      if (!distinct.has(key)) distinct.set(key, config)
    }
    // Both outcomes occur: the corpus is not trivially rejected, nor trivially accepted.
    assert.ok(accepted > 1000 && accepted < all.length, `accepted ${accepted} of ${all.length}`)
    for (const config of distinct.values()) await haproxyCheck(config, dir)
    console.log(`      ${all.length} cases, ${accepted} rendered a frontend, ${distinct.size} distinct outputs checked by haproxy -c`)
  })
})
