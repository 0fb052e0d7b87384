/**
 * Trust: the kinds of fault in test/fixtures/cases (one object stopping the
 * render for everyone, TLS Secrets the proxy refuses, identities in raw
 * spelling, key material in certificate files), each as a property over the
 * whole kind, plus its case with the right value.
 */
import {compile, secretLookup} from '../../src/model/compile.js'
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {loadOffline} from '../../src/cluster/offline.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {buildModel} from '../../src/model/build.js'
import {FIELD_CHARS, allow, canonicalHost} from '../../src/model/grammar.js'
import {canonicalIp, isLinkLocal4, isUnicast} from '../../src/model/ip.js'
import {parsePem, validateTls} from '../../src/model/tls.js'
import {DEFAULT_HAPROXY_OPTIONS, type HaproxyOptions} from '../../src/targets/haproxy/generate.js'
import {isToken} from '../../src/targets/haproxy/syntax.js'
import {generateNetscaler, renderBatch, renderNitro} from '../../src/targets/netscaler/generate.js'

const noStdin = {readStdin: async () => ''}
const OPTS: HaproxyOptions = {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}
const CASES = 'test/fixtures/cases'
const load = (file: string) => loadOffline({filenames: [path.join(CASES, file)], strict: false}, noStdin)

describe('trust: one grammar per field', () => {
  it('every character any model field allows is a valid HAProxy token character, alone and inside a token', () => {
    let checked = 0
    for (const [field, chars] of Object.entries(FIELD_CHARS)) {
      const one = new RegExp(`^[${chars}]$`)
      for (let cp = 0; cp <= 0x2fff; cp++) {
        const ch = String.fromCodePoint(cp)
        if (!one.test(ch)) continue
        checked++
        assert.ok(isToken(ch) && isToken(`a${ch}b`), `${field} allows ${JSON.stringify(ch)} but the HAProxy serializer refuses it`)
      }
    }
    assert.ok(checked > 60)
  })

  it('case one-object-stops-render: a "~" path renders for HAProxy and NetScaler, with everything else', async () => {
    const snap = await load('one-object-stops-render/manifest.json')
    const {config, diagnostics} = renderHaproxy(compile(snap, {}), OPTS)
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), [])
    const maps = config.files.filter((f) => f.path.endsWith('.map')).map((f) => f.content).join('')
    assert.match(maps, /a\.example\.com\/~alice /)
    assert.match(config.files[0]!.content, /frontend tcp_192-0-2-20_/)
    const ns = renderBatch(generateNetscaler(buildModel(snap, {}), secretLookup(snap), {prefix: 'k8s', certDir: '/nsconfig/ssl'}))
    assert.match(ns, /\/~alice/)
  })

  it('the path and probe-path allowlists refuse ".." segments and characters outside the grammar', () => {
    for (const bad of ['/a/../b', '/..', '/x y', '/x#y', '/x"y', '/x\\y', '/x$y', '/x%y', '/x\ny', 'x']) assert.equal(allow.path(bad), false, bad)
    for (const good of ['/', '/~alice', '/a-b_c.d/e~f']) assert.equal(allow.path(good), true, good)
    assert.equal(allow.probePath('/healthz?x=1&y=2'), true)
    assert.equal(allow.probePath('/../healthz?x=1'), false)
    assert.ok(isToken('/healthz?x=1&y=2'))
  })
})

describe('trust: canonical identity', () => {
  it('IPs: RFC 5952 for IPv6, IPv4-mapped as IPv4, zone ids and leading zeros refused', () => {
    const table: Array<[string, string | undefined]> = [
      ['::1', '::1'], ['0:0:0:0:0:0:0:1', '::1'], ['2001:DB8::A', '2001:db8::a'], ['2001:0db8:0000::000a', '2001:db8::a'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['1:0:0:1:0:0:0:1', '1:0:0:1::1'], ['::ffff:192.0.2.1', '192.0.2.1'],
      ['::FFFF:C000:0201', '192.0.2.1'], ['192.0.2.1', '192.0.2.1'], ['fe80::1%eth0', undefined], ['010.0.0.1', undefined], ['x', undefined],
    ]
    for (const [raw, want] of table) assert.equal(canonicalIp(raw), want, raw)
  })

  it('hosts: ASCII lower case, one trailing dot removed; look-alikes stay invalid', () => {
    assert.equal(canonicalHost('App.Example.TEST.'), 'app.example.test')
    assert.equal(allow.host(canonicalHost('\u212Aexample.test')), false) // Kelvin sign: never becomes "k"
    assert.equal(allow.host(canonicalHost('a..')), false)
  })

  it('case vip-spelling-hijack: ::1 and 0:0:0:0:0:0:0:1 are one VIP; the later claim is VIP2007', async () => {
    const snap = await load('vip-spelling-hijack/manifest.json')
    const m = buildModel(snap, {})
    const tcp = m.frontends.filter((f) => f.protocol === 'tcp' && f.port === 16379)
    assert.equal(tcp.length, 1)
    assert.equal(tcp[0]!.address, '::1')
    assert.deepEqual(tcp[0]!.provenance.map((p) => p.object), ['Service/t1/tcp'])
    const clash = m.diagnostics.find((d) => d.code === 'VIP2007')
    assert.equal(clash?.object, 'Service/t2/tcp')
    const {config} = renderHaproxy(compile(snap, {}), OPTS)
    assert.equal(config.files[0]!.content.match(/bind \[::1\]:16379/g)?.length, 1)
    assert.doesNotMatch(config.files[0]!.content, /0:0:0:0:0:0:0:1/)
  })

  it('every spelling of one address gives the same frontend id, and different addresses never share one', () => {
    const spellings = ['2001:db8::a', '2001:DB8::A', '2001:0db8:0:0:0:0:0:a', '2001:db8:0::0:a']
    const ids = new Set(spellings.map((s) => canonicalIp(s)!.replace(/[.:]/g, '-')))
    assert.equal(ids.size, 1)
    const v4 = canonicalIp('1.2.3.4')!.replace(/[.:]/g, '-')
    const v6 = canonicalIp('1:2:3::4')!.replace(/[.:]/g, '-')
    assert.notEqual(v4, v6)
  })
})

describe('trust: TLS Secrets as the proxy loads them', () => {
  let dir: string
  const pem = (name: string) => readFileSync(path.join(dir, name))
  before(function () {
    this.timeout(60_000)
    dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-tls-'))
    const ssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=test root', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign')
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=test intermediate')
    writeFileSync(path.join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n')
    ssl('x509', '-req', '-in', 'int.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'int.crt', '-days', '30', '-extfile', 'ca.ext')
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=app.example.test')
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.crt', '-CAkey', 'int.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '30')
    ssl('req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-keyout', 'weak.key', '-out', 'weak.crt', '-subj', '/CN=weak', '-days', '30')
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'sha1.key', '-out', 'sha1.crt', '-subj', '/CN=sha1', '-days', '30', '-sha1')
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.crt', '-CAkey', 'int.key', '-CAcreateserial', '-out', 'sha1leaf.crt', '-days', '30', '-sha1')
    ssl('ecparam', '-name', 'prime256v1', '-genkey', '-out', 'ec.key')
    ssl('req', '-x509', '-key', 'ec.key', '-out', 'ec.crt', '-subj', '/CN=ec', '-days', '30')
    ssl('genpkey', '-algorithm', 'ed25519', '-out', 'ed.key')
    ssl('req', '-x509', '-key', 'ed.key', '-out', 'ed.crt', '-subj', '/CN=ed', '-days', '30')
    ssl('ecparam', '-name', 'secp256k1', '-genkey', '-out', 'k1.key')
    ssl('req', '-x509', '-key', 'k1.key', '-out', 'k1.crt', '-subj', '/CN=k1', '-days', '30')
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const ok = (crt: Buffer, key: Buffer) => {
    const v = validateTls(crt, key)
    assert.ok(v.ok, v.ok ? '' : v.problem)
    return v.material
  }
  const bad = (crt: Buffer, key: Buffer, re: RegExp) => {
    const v = validateTls(crt, key)
    assert.ok(!v.ok, 'expected the pair to be refused')
    assert.match(v.problem, re)
    assert.doesNotMatch(v.problem, /MII/) // never any key or certificate material in a message
  }
  const cat = (...names: string[]) => Buffer.concat(names.map(pem))

  it('accepts a leaf with its chain in order, and writes back exactly the parsed certificates', () => {
    const m = ok(cat('leaf.crt', 'int.crt'), pem('leaf.key'))
    assert.equal(parsePem(m.chain).length, 2)
    assert.match(m.key.reveal().toString(), /^-----BEGIN PRIVATE KEY-----\n/)
    assert.equal(JSON.stringify({k: m.key}), '{"k":"<redacted>"}')
    ok(cat('ec.crt'), pem('ec.key')) // EC PARAMETERS + EC PRIVATE KEY, as openssl ecparam writes it
  })

  it('only the key types the README lists: Ed25519 and EC off P-256/384/521 are refused, saying which are supported', () => {
    bad(pem('ed.crt'), pem('ed.key'), /an Ed25519 key \(RSA of at least 2,048 bits, or EC on P-256, P-384 or P-521, are supported\)/)
    bad(pem('k1.crt'), pem('k1.key'), /an EC key on curve secp256k1/)
    bad(pem('weak.crt'), pem('weak.key'), /an RSA key of 1024 bits/)
  })

  it('case private-key-in-tls-crt: the same key inside tls.crt is dropped with a note, never written as a certificate', async () => {
    const m = ok(cat('leaf.crt', 'leaf.key', 'int.crt'), pem('leaf.key'))
    assert.doesNotMatch(m.chain, /PRIVATE KEY/)
    assert.deepEqual(m.notes, ['tls.crt also holds the private key; only the certificates are used'])
    const snap = await load('private-key-in-tls-crt/manifest.json')
    const model = buildModel(snap, {})
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP2014' && d.object === 'Ingress/t1/ing'))
    const cfg = generateNetscaler(model, secretLookup(snap), {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    for (const f of cfg.files) {
      if (f.path.endsWith('.crt')) {
        assert.doesNotMatch(f.content, /PRIVATE KEY/)
        assert.equal(f.mode, 0o644)
      } else assert.equal(f.mode, 0o600)
    }
    assert.doesNotMatch(renderBatch(cfg) + renderNitro(cfg), /PRIVATE KEY|MII/)
  })

  it('refuses what the proxy would refuse, naming the reason', () => {
    bad(cat('int.crt', 'leaf.crt'), pem('leaf.key'), /leaf must come first/)
    bad(cat('leaf.crt', 'ca.crt', 'int.crt'), pem('leaf.key'), /did not issue/)
    bad(cat('leaf.crt'), pem('int.key'), /not the key/)
    bad(cat('leaf.crt', 'int.key'), pem('leaf.key'), /private key that is not the key in tls.key/)
    bad(Buffer.concat([pem('leaf.crt'), Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')]), pem('leaf.key'), /certificate 2 does not parse/)
    // Text between blocks (openssl pkcs12 writes "Bag Attributes") is skipped, as OpenSSL does, and never written back.
    const bag = ok(Buffer.concat([Buffer.from('Bag Attributes\n    localKeyID: 01 02\n'), pem('leaf.crt'), Buffer.from('junk\n'), pem('int.crt')]), pem('leaf.key'))
    // Whole lines only: base64 can spell "Bag" by chance.
    assert.doesNotMatch(bag.chain, /Bag Attributes|localKeyID|^junk$/m)
    bad(Buffer.concat([pem('leaf.crt'), Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n')]), pem('leaf.key'), /unterminated/)
    bad(pem('leaf.crt'), Buffer.concat([pem('leaf.key'), pem('int.key')]), /2 private keys/)
    bad(pem('weak.crt'), pem('weak.key'), /RSA key of 1024 bits/)
    ok(pem('sha1.crt'), pem('sha1.key')) // self-signed: OpenSSL (and so HAProxy) does not judge its own signature
    bad(cat('sha1leaf.crt'), pem('leaf.key'), /sha1WithRSAEncryption/)
    bad(Buffer.from(''), pem('leaf.key'), /no certificate/)
    bad(pem('leaf.crt'), Buffer.from('-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END PRIVATE KEY-----\n'), /PEM headers/)
  })

  it('case tls-secret-blocks-everyone: the tenant gets VIP2004 and loses TLS; every other route and frontend still renders', async () => {
    for (const file of ['manifest-bad-chain.json', 'manifest-crt-plus-otherkey.json']) {
      const snap = await load(`tls-secret-blocks-everyone/${file}`)
      const {config, diagnostics} = renderHaproxy(compile(snap, {}), OPTS)
      const errors = diagnostics.filter((d) => d.severity === 'error')
      assert.deepEqual(errors.map((d) => [d.code, d.object, d.field]), [['VIP2004', 'Ingress/t1/ing', 'spec.tls[0].secretName']], file)
      assert.doesNotMatch(config.files[0]!.content, /ssl crt-list/, file)
      assert.match(config.files[0]!.content, /frontend http_192-0-2-10_80/, file)
      assert.match(config.files[0]!.content, /frontend tcp_192-0-2-20_/, file)
      assert.equal(config.files.filter((f) => f.path.endsWith('.pem')).length, 0, file)
    }
  })
})

describe('trust: numbers the model accepts are numbers every target can write', () => {
  const manifest = (probe: Record<string, unknown>) => `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: t1}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: t1, labels: {app: web}}
spec: {containers: [{name: c, ports: [{containerPort: 8080}], readinessProbe: ${JSON.stringify({httpGet: {path: '/healthz', port: 8080}, ...probe})}}]}
status: {phase: Running, podIP: 10.9.0.1, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing, namespace: t1, annotations: {vipctl.io/vip: 192.0.2.10}}
spec: {ingressClassName: vipctl, rules: [{host: a.example.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]}
`
  const snapOf = async (text: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-num-'))
    writeFileSync(path.join(dir, 'm.yaml'), text)
    try {
      return await loadOffline({filenames: [dir], strict: false}, noStdin)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  }

  it('probe timings past what HAProxy and NetScaler accept are clamped and reported (VIP2015), never written', async () => {
    const snap = await snapOf(manifest({periodSeconds: 3_000_000, timeoutSeconds: 3_000_000, failureThreshold: 100_000, successThreshold: 1000}))
    const {config, diagnostics} = renderHaproxy(compile(snap, {}), OPTS)
    assert.deepEqual(diagnostics.filter((d) => d.code === 'VIP2015').map((d) => d.field).sort(), [
      'spec.containers[0].readinessProbe.failureThreshold', 'spec.containers[0].readinessProbe.periodSeconds',
      'spec.containers[0].readinessProbe.successThreshold', 'spec.containers[0].readinessProbe.timeoutSeconds',
    ])
    assert.match(config.files[0]!.content, /check inter 3600000ms fall 127 rise 32/)
    assert.match(config.files[0]!.content, /timeout check 3600000ms/)
  })

  it('NetScaler gets a response timeout below the interval (VIP3004) where Kubernetes allowed timeout >= period', async () => {
    const snap = await snapOf(manifest({periodSeconds: 1, timeoutSeconds: 5}))
    const model = buildModel(snap, {})
    const cfg = generateNetscaler(model, secretLookup(snap), {prefix: 'k8s', certDir: '/nsconfig/ssl'})
    const mon = cfg.entities.find((e) => e.type === 'lbmonitor') as {interval: number; resptimeout: number}
    assert.deepEqual([mon.resptimeout, mon.interval], [5, 6])
    assert.ok(cfg.diagnostics.some((d) => d.code === 'VIP3004' && d.object === 'Pod/t1/web-1'))
  })

  it('a probe path outside the grammar is reported and the pool gets a TCP check', async () => {
    const snap = await snapOf(manifest({httpGet: {path: '/health z', port: 8080}}))
    const model = buildModel(snap, {})
    assert.equal(model.pools[0]!.monitor.kind, 'tcp')
    assert.ok(model.diagnostics.some((d) => d.code === 'VIP2003' && d.field === 'spec.containers[0].readinessProbe.httpGet.path'))
  })

  it('a probe the proxy cannot check as written is said (VIP2018), never silently turned into a TCP check', async () => {
    for (const [probe, field] of [
      [{httpGet: undefined, tcpSocket: {port: 9090}}, 'spec.containers[0].readinessProbe.tcpSocket.port'],
      [{httpGet: {path: '/healthz', port: 'nope'}}, 'spec.containers[0].readinessProbe.httpGet.port'],
    ] as const) {
      const model = buildModel(await snapOf(manifest(probe)), {})
      assert.equal(model.pools[0]!.monitor.kind, 'tcp')
      assert.deepEqual(model.diagnostics.filter((d) => d.code === 'VIP2018').map((d) => d.field), [field])
    }
  })

  it('an HTTPS probe is checked over TLS without verifying the certificate, as the kubelet does (HAProxy check-ssl, NetScaler -secure YES)', async () => {
    const snap = await snapOf(manifest({httpGet: {path: '/healthz', port: 8080, scheme: 'HTTPS'}}))
    const c = compile(snap, {})
    assert.deepEqual(c.model.pools[0]!.monitor, {kind: 'http', path: '/healthz', port: undefined, tls: true, intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, provenance: {object: c.model.pools[0]!.monitor.provenance!.object, field: 'spec.containers[0].readinessProbe'}})
    assert.match(renderHaproxy(c, OPTS).config.files[0]!.content, / check check-ssl verify none inter 2000ms /)
    assert.match(renderBatch(generateNetscaler(c.model, c.secrets, {prefix: 'k8s', certDir: '/nsconfig/ssl'})), / -secure YES -interval /)
  })

  it('link-local and "this network" addresses are never VIPs or members', () => {
    for (const a of ['fe80::1', 'FEBF::1', '0.1.2.3', '0.0.0.0', '::', 'ff02::1', '224.0.0.1', '::ffff:0.0.0.0', '::FFFF:224.0.0.1', '::ffff:255.255.255.255', '0:0:0:0:0:ffff:0.1.2.3']) assert.equal(isUnicast(a), false, a)
    // IPv4-mapped link-local is the IPv4 link-local address (refused as a VIP by isLinkLocal4).
    for (const a of ['169.254.1.1', '::ffff:169.254.1.1', '::FFFF:A9FE:0101']) assert.equal(isLinkLocal4(a), true, a)
    for (const a of ['fe8::1', 'fec0::1', '::1', '10.0.0.1', '::ffff:10.0.0.1']) assert.equal(isUnicast(a), true, a)
  })
})
