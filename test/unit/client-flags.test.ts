/**
 * Flag vocabulary, parsed: kubectl's client flags (--request-timeout, --server, --token, --as/--as-group, -v),
 * their effect on the kubeconfig, the -v request log (never a credential or a Secret), --dry-run's bare form,
 * deprecated spellings, the flags VIP commands ignore, and the `warning:`/`error:` label of object problems.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {Chalk} from 'chalk'
import {clientOptions, requestTimeoutOption, sourceOptions} from '../../src/cli/options.js'
import {deprecatedAliasWarnings, normalizeDryRun} from '../../src/cli/base.js'
import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {requestLog} from '../../src/core/kube-rest.js'
import {UnavailableError, UsageError} from '../../src/errors.js'
import {syncMetricsOption} from '../../src/install/command.js'
import {installObjects} from '../../src/install/manifests.js'
import {diagnosticLines} from '../../src/output/diagnostics.js'
import {objectTable} from '../../src/output/object-table.js'
import {ignoredFlagWarnings, listenOptions} from '../../src/targets/haproxy/options.js'
import type {Diagnostic} from '../../src/cluster/types.js'

const TMP = mkdtempSync(path.join(os.tmpdir(), 'vipctl-client-flags-unit-'))
const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message)

describe('--request-timeout (kubectl\'s grammar)', () => {
  for (const [text, ms] of [
    ['5', 5000],
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['5s', 5000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['2h', 7_200_000],
    ['24h', 86_400_000],
  ] as Array<[string, number]>) {
    it(`${JSON.stringify(text)} is ${ms} ms`, () => assert.equal(requestTimeoutOption(text), ms))
  }
  it('the default (no flag) is 30 s; a number (old integer flag values) is seconds', () => {
    assert.equal(requestTimeoutOption(undefined), 30_000)
    assert.equal(requestTimeoutOption(7), 7000)
  })
  for (const bad of ['', 'x', '5x', '-1', '-1s', '1d', '1.5', 's', '5 s', '1e3', '0x10', '25h', '86401', '1h1m', '5s\n', ' 10s ']) {
    it(`${JSON.stringify(bad)} is a usage error naming the flag`, () => assert.throws(() => requestTimeoutOption(bad === '1h1m' ? '24h1m' : bad), usage(/^--request-timeout /)))
  }
})

describe('clientOptions', () => {
  it('maps every client flag; nothing set is nothing sent', () => {
    assert.deepEqual(clientOptions({}), {kubeconfig: undefined, context: undefined, requestTimeoutMs: 30_000})
    assert.deepEqual(clientOptions({server: 'https://10.0.0.1:6443/', token: ' t0k\n', as: 'jane', 'as-group': ['a', 'b'], 'insecure-skip-tls-verify': true, v: 6, 'request-timeout': '1m'}), {
      kubeconfig: undefined,
      context: undefined,
      requestTimeoutMs: 60_000,
      server: 'https://10.0.0.1:6443',
      token: 't0k',
      insecureSkipTlsVerify: true,
      verbosity: 6,
      impersonate: {user: 'jane', groups: ['a', 'b']},
    })
  })
  it('refuses what cannot be sent, naming the flag and never echoing a token', () => {
    assert.throws(() => clientOptions({'as-group': ['devs']}), usage(/^--as-group needs --as/))
    assert.throws(() => clientOptions({as: 'a\u0000b'}), usage(/^--as /))
    assert.throws(() => clientOptions({as: 'x', 'as-group': ['ok', 'new\nline']}), usage(/^--as-group /))
    assert.throws(() => clientOptions({token: ''}), usage(/^--token: empty$/))
    assert.throws(() => clientOptions({token: 'sec ret'}), (e: unknown) => e instanceof UsageError && !e.message.includes('sec'))
    assert.throws(() => clientOptions({token: 'sécret'}), (e: unknown) => e instanceof UsageError && !e.message.includes('cret'))
    for (const s of ['', 'ftp://h', 'h:6443', 'https://', 'unix:/x']) assert.throws(() => clientOptions({server: s}), usage(/^--server /), s)
    assert.throws(() => clientOptions({server: 'https://u:pw@h'}), (e: unknown) => e instanceof UsageError && !e.message.includes('pw'))
  })
  it('with -f, flags that only a cluster uses are usage errors; -v, --request-timeout and -n are not', () => {
    for (const f of [{token: 't'}, {server: 'https://h'}, {as: 'j'}, {'insecure-skip-tls-verify': true}, {kubeconfig: '/k'}, {context: 'c'}])
      assert.throws(() => sourceOptions({filename: ['m.yaml'], ...f}), usage(/is for reading a cluster, and -f reads manifests/), JSON.stringify(f))
    assert.equal(sourceOptions({filename: ['m.yaml'], v: 9, 'request-timeout': '5s', namespace: 'x', 'as-group': []}).requestTimeoutMs, 5000)
  })
})

describe('loadKubeConfig with the client flags', () => {
  const file = path.join(TMP, 'kc')
  writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: false}}, {name: other, cluster: {server: "https://10.9.9.9"}}]\nusers: [{name: u, user: {token: kc-token}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}, {name: y, context: {cluster: other, user: u}}]\ncurrent-context: x\n')

  it('--server and --token replace the current context\'s cluster server and user credentials only', () => {
    const kc = loadKubeConfig({kubeconfig: file, server: 'https://127.0.0.1:9', token: 'flag'}, {})
    assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:9')
    assert.equal(kc.getCurrentUser()?.token, 'flag')
    assert.equal(kc.getCluster('other')?.server, 'https://10.9.9.9')
    assert.equal(kc.getContextObject('x')?.namespace, 'shop')
  })
  it('--context picks the context the flags apply to', () => {
    const kc = loadKubeConfig({kubeconfig: file, context: 'y', server: 'https://127.0.0.1:9'}, {})
    assert.equal(kc.getCurrentContext(), 'y')
    assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:9')
    assert.equal(kc.getCluster('c')?.server, 'https://10.0.0.1:6443')
  })
  it('--insecure-skip-tls-verify drops the CA (as kubectl) and allows a plain http server', () => {
    const ca = path.join(TMP, 'ca-kc')
    writeFileSync(ca, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://h", certificate-authority-data: "bm90IGEgY2VydA=="}}]\nusers: [{name: u}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n')
    const kc = loadKubeConfig({kubeconfig: ca, insecureSkipTlsVerify: true}, {})
    assert.equal(kc.getCurrentCluster()?.skipTLSVerify, true)
    assert.equal(kc.getCurrentCluster()?.caData, undefined)
    assert.doesNotThrow(() => loadKubeConfig({kubeconfig: file, server: 'http://127.0.0.1:8080', insecureSkipTlsVerify: true}, {}))
  })
  it('no kubeconfig anywhere: --server alone makes one; without it, exit 69 naming each place looked', () => {
    const kc = loadKubeConfig({server: 'https://127.0.0.1:6443', token: 't'}, {HOME: TMP})
    assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:6443')
    assert.equal(kc.getCurrentUser()?.token, 't')
    assert.throws(
      () => loadKubeConfig({}, {HOME: TMP}),
      (e: unknown) => e instanceof UnavailableError && e.exit === 69 && e.message === `no kubeconfig found (looked in $KUBECONFIG (not set), ${TMP}/.kube/config (no such file), in-cluster ($KUBERNETES_SERVICE_HOST not set))`,
    )
    assert.throws(() => loadKubeConfig({}, {}), (e: unknown) => e instanceof UnavailableError && e.message.includes('~/.kube/config ($HOME not set)'))
    assert.throws(() => loadKubeConfig({}, {KUBECONFIG: `${TMP}/a${path.delimiter}${TMP}/b`, HOME: TMP}), (e: unknown) => e instanceof UnavailableError && e.message.includes(`$KUBECONFIG (${TMP}/a:${TMP}/b: no such file)`) && !e.message.includes('.kube/config'))
    // A file that is there is still used when another listed one is not.
    assert.equal(loadKubeConfig({}, {KUBECONFIG: `${TMP}/a${path.delimiter}${file}`}).getCurrentContext(), 'x')
  })
})

describe('-v request log', () => {
  const headers = {Authorization: 'Bearer s3cr3t-token', 'Impersonate-User': 'jane', 'Impersonate-Group': ['a', 'b'], Accept: 'application/json'}
  const base = {method: 'GET', url: 'https://h:6443/api/v1/namespaces/shop/services?limit=500', status: 200, ms: 12.4, requestHeaders: headers}
  it('below 6 nothing; 6 one line with method, URL, status and time', () => {
    assert.deepEqual(requestLog(5, base), [])
    assert.deepEqual(requestLog(6, base), ['GET https://h:6443/api/v1/namespaces/shop/services?limit=500 200 OK in 12 milliseconds'])
    assert.deepEqual(requestLog(6, {...base, status: undefined, error: 'ECONNREFUSED'}), ['GET https://h:6443/api/v1/namespaces/shop/services?limit=500 failed (ECONNREFUSED) in 12 milliseconds'])
  })
  it('7 adds the request headers with Authorization masked, one line per repeated header', () => {
    const lines = requestLog(7, base)
    assert.ok(lines.includes('    Authorization: Bearer <masked>'))
    assert.ok(lines.includes('    Impersonate-Group: a') && lines.includes('    Impersonate-Group: b'))
    assert.ok(!lines.join('\n').includes('s3cr3t'))
  })
  it('8 adds bodies (1 KiB), 9 whole bodies; a Secret\'s never, by path or by kind', () => {
    const big = Buffer.from(JSON.stringify({kind: 'ServiceList', items: 'x'.repeat(5000)}))
    assert.match(requestLog(8, {...base, responseBody: big}).at(-1)!, /^Response Body: \{"kind":"ServiceList".*\[truncated \d+ chars\]$/)
    assert.ok(!requestLog(9, {...base, responseBody: big}).at(-1)!.includes('truncated'))
    const secret = Buffer.from(JSON.stringify({kind: 'Secret', data: {'tls.key': 'S0VZ'}}))
    for (const url of ['https://h/api/v1/namespaces/shop/secrets/tls', 'https://h/api/v1/namespaces/shop/secrets/tls?x=1', 'https://h/api/v1/somewhere'])
      assert.deepEqual(requestLog(9, {...base, url, responseBody: secret}).slice(-1), [`Response Body: (${secret.length} bytes of a Secret, not shown)`], url)
    assert.ok(!requestLog(9, {...base, method: 'PATCH', requestBody: Buffer.from('{"kind": "Secret","data":{"k":"S0VZ"}}')}).join('\n').includes('S0VZ'))
  })
  it('control characters from a URL are never written raw', () => {
    assert.ok(!/[\u0000-\u001f]/.test(requestLog(9, {...base, url: 'https://h/api/v1/x\u001b[2J', responseBody: Buffer.from('{"a":"\u001b[31m"}')}).join('')))
  })
})

describe('--dry-run and deprecated spellings', () => {
  it('a bare --dry-run is client; --dry-run VALUE and --dry-run=VALUE are left to the parser; nothing after --', () => {
    assert.deepEqual(normalizeDryRun(['--dry-run']), ['--dry-run=client'])
    assert.deepEqual(normalizeDryRun(['--dry-run', '-o', 'json']), ['--dry-run=client', '-o', 'json'])
    assert.deepEqual(normalizeDryRun(['--dry-run', 'server']), ['--dry-run', 'server'])
    assert.deepEqual(normalizeDryRun(['--dry-run=none']), ['--dry-run=none'])
    assert.deepEqual(normalizeDryRun(['--', '--dry-run']), ['--', '--dry-run'])
  })
  it('one warning per deprecated alias used, in either spelling, naming the flag to use', () => {
    const flags = {'sync-metrics-address': {aliases: ['metrics-addr'], deprecateAliases: true}, other: {aliases: ['o2']}}
    assert.deepEqual(deprecatedAliasWarnings(flags, ['--metrics-addr', 'x']), ['--metrics-addr is deprecated: use --sync-metrics-address'])
    assert.deepEqual(deprecatedAliasWarnings(flags, ['--metrics-addr=x']), ['--metrics-addr is deprecated: use --sync-metrics-address'])
    assert.deepEqual(deprecatedAliasWarnings(flags, ['--sync-metrics-address', 'x', '--o2', '--', '--metrics-addr']), [])
  })
  it('VIP commands warn about the HAProxy flags they ignore, and take the listen flags alone', () => {
    assert.deepEqual(ignoredFlagWarnings({'run-dir': '/r', nbthread: undefined}, 'apply vip'), ['--run-dir is an HAProxy flag that apply vip does not use: ignored (it will be removed)'])
    const o = listenOptions({'config-dir': '/etc/haproxy/vipctl', 'metrics-address': '127.0.0.1:8405', 'listen-address': '10.0.0.5', 'listen-base-port': 20080})
    assert.deepEqual(o.listen, {mode: 'address', address: '10.0.0.5', basePort: 20080})
  })
})

describe('--sync-metrics-address (install)', () => {
  it('HOST:PORT on loopback, or a bare PORT (the old --metrics-port) on 127.0.0.1; it reaches sync\'s args and the probes', () => {
    assert.deepEqual(syncMetricsOption('9900'), {host: '127.0.0.1', port: 9900})
    assert.deepEqual(syncMetricsOption('[::1]:9900'), {host: '::1', port: 9900})
    for (const bad of ['0.0.0.0:9842', '10.0.0.1:1', '70000', 'x']) assert.throws(() => syncMetricsOption(bad), usage(/^--sync-metrics-address /), bad)
    const objs = installObjects({namespace: 'n', image: 'i', haproxyImage: 'h', secretNamespaces: [], vipRules: false, vipMode: 'bind', syncMetrics: {host: '::1', port: 9900}, version: '0'})
    const text = JSON.stringify(objs)
    assert.match(text, /"--sync-metrics-address","\[::1\]:9900"/)
    assert.match(text, /"readinessProbe":\{"httpGet":\{"host":"::1","path":"\/readyz","port":9900\}/)
  })
})

describe('-o table of objects; warning: and error: labels', () => {
  it('objectTable: KIND NAMESPACE NAME, aligned, printable', () => {
    assert.equal(objectTable([{kind: 'Namespace', metadata: {name: 'vipctl-system'}}, {kind: 'ServiceAccount', metadata: {name: 'vipctl', namespace: 'vipctl-system'}}]), 'KIND             NAMESPACE       NAME\nNamespace                        vipctl-system\nServiceAccount   vipctl-system   vipctl\n')
    assert.ok(!/\u001b/.test(objectTable([{kind: 'X\u001b[2J', metadata: {name: 'n'}}])))
  })
  it('object problems are warning: lines whatever their severity (the command goes on); info only when verbose', () => {
    const plain = new Chalk({level: 0})
    const ds: Diagnostic[] = [
      {severity: 'error', code: 'VIP1001', object: 'Service/a/B', message: 'bad name'},
      {severity: 'warning', code: 'VIP2005', object: 'Ingress/a/i', message: 'no VIP'},
      {severity: 'info', code: 'VIP3002', object: 'x', message: 'files only'},
    ]
    assert.deepEqual(diagnosticLines(ds, plain), ['warning: Service/a/B: bad name [VIP1001]', 'warning: Ingress/a/i: no VIP [VIP2005]'])
    assert.deepEqual(diagnosticLines(ds, plain, {verbose: true}), ['warning: Service/a/B: bad name [VIP1001]', 'warning: Ingress/a/i: no VIP [VIP2005]', 'info: x: files only [VIP3002]'])
  })
})
