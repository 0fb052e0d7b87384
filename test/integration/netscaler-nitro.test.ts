/**
 * diff/apply netscaler against our NITRO protocol double (no NetScaler can run
 * here): the plan from what the appliance reports, apply in dependency order,
 * nothing to do afterwards, a changed model updated and cleaned up, a failure
 * mid-apply undone, wrong credentials, TLS verified by default, not-NITRO URLs,
 * and the password never printed.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {vipctl} from '../helpers/cli.js'
import {startNitroDouble, type NitroDouble} from '../helpers/nitro-double.js'

const PASSWORD = 'n1tro-Secret-do-not-print'

describe('apply netscaler through NITRO (protocol double)', function () {
  this.timeout(60_000)
  let ns: NitroDouble
  let env: NodeJS.ProcessEnv
  let dir: string

  before(async () => {
    ns = await startNitroDouble({username: 'vipctl', password: PASSWORD})
    env = {NITRO_USER: 'vipctl', NITRO_PASSWORD: PASSWORD}
    dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-nitro-'))
  })
  after(() => ns?.close())

  const run = (cmd: 'diff' | 'apply', extra: string[] = [], input = ['-f', 'examples/shop']) => vipctl([cmd, 'netscaler', ...input, '--nitro-url', ns.url, ...(cmd === 'apply' ? ['--yes'] : []), ...extra], {env})

  it('diff against an empty appliance lists every entity to add (exit 2)', async () => {
    const r = await run('diff')
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stdout, /^\+ servicegroup\/k8s-frontend_80_sgp_/m)
    assert.match(r.stdout, /^\+ csvserver\/k8s-192\.0\.2\.10_443_ssl/m)
    assert.match(r.stdout, /^\+ csvserver_cspolicy_binding\/k8s-192\.0\.2\.10_443_ssl\//m)
    assert.match(r.stdout, /^\+ csvserver_responderpolicy_binding\/k8s-192\.0\.2\.10_80_http\//m)
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(PASSWORD))
  })

  it('apply creates everything in dependency order; then diff has nothing to do', async () => {
    const r = await run('apply', ['-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.ok(out.outcome.added > 50)
    assert.equal(ns.entities.get('csvserver')!.size, 4)
    assert.ok(ns.files.has('k8s-shop_shop-tls_ck.key'), 'the certificate files were uploaded')
    // Order: nothing was referenced before it existed (the double refuses that with 404/258).
    const posts = ns.log.filter((l) => l.method === 'POST' || l.method === 'PUT').map((l) => l.path)
    assert.ok(posts.indexOf('/nitro/v1/config/lbvserver') < posts.indexOf('/nitro/v1/config/csaction'))
    assert.ok(posts.indexOf('/nitro/v1/config/systemfile') < posts.indexOf('/nitro/v1/config/sslcertkey'))
    const again = await run('diff')
    assert.equal(again.code, 0, again.stdout)
    assert.match(again.stdout, /up to date/)
    assert.doesNotMatch(JSON.stringify(ns.log) + r.stdout, /PRIVATE KEY/, 'key material travels base64-encoded, is never printed')
  })

  it('a changed model: lb method updated, the admin Ingress removed, others untouched', async () => {
    const m = path.join(dir, 'changed')
    mkdirSync(m)
    for (const f of readdirSync('examples/shop')) {
      let t = readFileSync(path.join('examples/shop', f), 'utf8')
      if (f === '20-services.yaml') t = t.replace('  name: frontend\n  namespace: shop\n', '  name: frontend\n  namespace: shop\n  annotations:\n    vipctl.io/lb-method: leastconn\n')
      if (f === '40-ingresses.yaml') t = t.split(/^---$/m).filter((doc) => !/^  name: admin$/m.test(doc)).join('---')
      writeFileSync(path.join(m, f), t)
    }
    const before = ns.snapshot()
    const d = await run('diff', [], ['-f', m])
    assert.equal(d.code, 2, d.stderr)
    assert.match(d.stdout, /^~ lbvserver\/k8s-frontend_80_lbv_\S+ \(lbmethod: "ROUNDROBIN" -> "LEASTCONNECTION"\)/m)
    assert.match(d.stdout, /^- csvserver\/k8s-192\.0\.2\.11_80_http$/m)
    assert.match(d.stdout, /^- csvserver_cspolicy_binding\/k8s-192\.0\.2\.11_80_http\//m)
    assert.doesNotMatch(d.stdout, /^[+~-] .*catalog/m, 'untouched entities are not in the plan')
    const r = await run('apply', ['-o', 'json'], ['-f', m])
    assert.equal(r.code, 0, r.stderr)
    assert.notEqual(ns.snapshot(), before)
    assert.equal(ns.entities.get('lbvserver')!.get([...ns.entities.get('lbvserver')!.keys()].find((k) => k.startsWith('k8s-frontend_80_lbv_'))!)!.lbmethod, 'LEASTCONNECTION')
    assert.ok(![...ns.entities.get('csvserver')!.keys()].some((k) => k.startsWith('k8s-192.0.2.11_')))
    assert.equal((await run('diff', [], ['-f', m])).code, 0)
    // Back to the example.
    assert.equal((await run('apply')).code, 0)
    assert.equal((await run('diff')).code, 0)
  })

  it('ExternalName backends: a domain-based server bound as the member, SSL with SNI for 443; applied, then nothing to do, then removed cleanly', async () => {
    const input = ['-f', 'test/fixtures/cases/externalname-backend']
    const d = await run('diff', [], input)
    assert.equal(d.code, 2, d.stderr)
    assert.match(d.stdout, /^\+ server\/k8s-legacy_443_srv_\S+$/m)
    assert.match(d.stdout, /^\+ servicegroup_servicegroupmember_binding\/k8s-legacy_443_sgp_\S+\/k8s-legacy_443_srv_\S+\/443$/m)
    assert.match(d.stdout, /^\+ sslservicegroup\/k8s-legacy_443_sgp_\S+$/m)
    assert.match(d.stderr, /VIP3005/)
    const r = await run('apply', ['-o', 'json'], input)
    assert.equal(r.code, 0, r.stderr)
    // The shop's certKey went, and its files with it (a later upload of that name must not meet a stale file).
    assert.deepEqual([...ns.files.keys()].filter((f) => f.startsWith('k8s-shop_shop-tls_ck')), [])
    const servers = [...ns.entities.get('server')!.values()]
    assert.deepEqual(servers.map((x) => x.domain).sort(), ['docs.backend.example.test', 'legacy.backend.example.test'])
    const members = ns.bindings.get('servicegroup_servicegroupmember_binding')!.filter((b) => String(b.servicegroupname).startsWith('k8s-legacy_443_sgp_'))
    assert.deepEqual(members.map((b) => [String(b.servername).replace(/_srv_\w+$/, ''), b.port]), [['k8s-legacy_443', 443]])
    assert.deepEqual([...ns.entities.get('sslservicegroup')!.values()].map((x) => [x.snienable, x.commonname]), [['ENABLED', 'legacy.backend.example.test']])
    assert.equal((await run('diff', [], input)).code, 0)
    // Back to the example: the servers and their bindings go, bindings first (the double refuses nothing, the log shows the order).
    assert.equal((await run('apply')).code, 0)
    assert.equal(ns.entities.get('server')!.size, 0)
    const deletes = ns.log.filter((l) => l.method === 'DELETE').map((l) => l.path)
    const lastMember = Math.max(...deletes.map((p, i) => (p.includes('servicegroupmember_binding/k8s-legacy') ? i : -1)))
    const server = deletes.findIndex((p) => p.startsWith('/nitro/v1/config/server/k8s-legacy'))
    assert.ok(lastMember >= 0 && server > lastMember, deletes.join('\n'))
    assert.ok(deletes.some((p) => /servicegroupmember_binding\/k8s-legacy_443_sgp_\w+\?args=servername:k8s-legacy_443_srv_\w+,port:443/.test(p)), deletes.join('\n'))
    assert.equal((await run('diff')).code, 0)
  })

  it('L7 policy: rewrite and responder policies, profiles, the CA certKey and weighted members are applied, then nothing to do, then removed cleanly', async () => {
    const input = ['-f', 'test/fixtures/haproxy/l7-policy.yaml']
    const r = await run('apply', ['-o', 'json'], input)
    assert.equal(r.code, 0, r.stderr)
    // Route rules are made once per rule set (k8s-rw_<hash>) and bound to the route's own lb vserver.
    assert.ok([...ns.entities.get('rewritepolicy')!.keys()].some((k) => k.startsWith('k8s-rw_')))
    assert.ok(ns.bindings.get('lbvserver_rewritepolicy_binding')!.some((b) => String(b.name).includes('_flb_')))
    assert.deepEqual([...ns.entities.get('netprofile')!.keys()], ['k8s-proxy_v2_netprofile'])
    assert.ok(ns.bindings.get('sslservicegroup_sslcertkey_binding')!.some((b) => b.certkeyname === 'k8s-ca_l7_backend-ca_ck'))
    assert.ok(ns.bindings.get('servicegroup_servicegroupmember_binding')!.some((b) => b.ip === '10.3.0.1' && Number(b.weight) === 3))
    // Source ranges: a 403 responder bound to the route's own lb vserver.
    assert.ok(ns.bindings.get('lbvserver_responderpolicy_binding')!.some((b) => String(b.name).includes('_flb_') && String(b.policyname).startsWith('k8s-acl_')))
    assert.ok(ns.entities.get('responderaction')!.has('k8s-forbidden_403'))
    const again = await run('diff', [], input)
    assert.equal(again.code, 0, again.stdout)
    assert.equal((await run('apply')).code, 0)
    assert.equal(ns.entities.get('netprofile')!.size, 0)
    assert.ok(![...ns.entities.get('rewritepolicy')!.keys()].some((k) => k.startsWith('k8s-rw_')))
    assert.ok(![...ns.entities.get('responderpolicy')!.keys()].some((k) => k.startsWith('k8s-acl_')))
    assert.equal((ns.bindings.get('lbvserver_responderpolicy_binding') ?? []).length, 0)
    assert.equal((await run('diff')).code, 0)
  })

  it('stats --nitro-url reads cs vservers, lb vservers and serviceGroup members into the same rows as HAProxy', async () => {
    const lbv = [...ns.entities.get('lbvserver')!.keys()].find((k) => k.startsWith('k8s-frontend_80_lbv_'))!
    const sgp = lbv.replace('_lbv_', '_sgp_')
    ns.stats.set('csvserver', [{name: 'k8s-192.0.2.10_443_ssl', state: 'UP', curclntconnections: '3', totalrequests: '1200', requestsrate: 12, totalrequestbytes: '5000', totalresponsebytes: '90000'}])
    ns.stats.set('lbvserver', [{name: lbv, state: 'UP', curclntconnections: '2', totalrequests: '800', requestsrate: 8}])
    ns.stats.set('servicegroup', [{servicegroupname: sgp, state: 'ENABLED', servicegroupmember: [
      {primaryipaddress: '10.244.1.10', primaryport: 8080, state: 'UP', totalrequests: '400', requestsrate: 4, avgsvrttfb: '7'},
      {primaryipaddress: '10.244.2.11', primaryport: 8080, state: 'DOWN', totalrequests: '0', requestsrate: 0},
    ]}])
    const r = await vipctl(['stats', '--nitro-url', ns.url, '-o', 'json', '--config-dir', dir], {env})
    assert.equal(r.code, 0, r.stderr)
    const items = JSON.parse(r.stdout).items as Array<any>
    const fe = items.find((x) => x.type === 'frontend')
    assert.deepEqual([fe.name, fe.status, fe.requests, fe.kube], ['k8s-192.0.2.10_443_ssl', 'OPEN', {total: 1200, rate: 12}, {vip: '192.0.2.10', port: 443}])
    const be = items.find((x) => x.type === 'backend')
    assert.deepEqual(be.kube, {namespace: 'shop', service: 'frontend', port: 80})
    const servers = items.filter((x) => x.type === 'server').map((x) => `${x.address} ${x.status} ${x.kube.service}`)
    assert.deepEqual(servers.sort(), ['10.244.1.10:8080 UP frontend', '10.244.2.11:8080 DOWN frontend'])
    const table = await vipctl(['stats', '--nitro-url', ns.url, '--config-dir', dir], {env: {...env, COLUMNS: '200'}})
    assert.match(table.stdout, /server\s+\S+\/10\.244\.2\.11:8080\s+shop\/frontend\s+DOWN/)
    assert.doesNotMatch(table.stdout + table.stderr + r.stdout, new RegExp(PASSWORD))
  })

  it('a failure mid-apply undoes what the run did: the appliance is as it was', async () => {
    const other = await startNitroDouble({username: 'vipctl', password: PASSWORD})
    try {
      let posts = 0
      other.failWhen((method) => method === 'POST' && ++posts === 25, 409, 273, 'Resource already exists')
      const before = other.snapshot()
      const r = await vipctl(['apply', 'netscaler', '-f', 'examples/shop', '--nitro-url', other.url, '--yes'], {env})
      assert.equal(r.code, 69, r.stderr)
      assert.match(r.stderr, /^error: NITRO add \S+ \S+: 409 Resource already exists \(errorcode 273\); undid \d+ change\(s\) of this run, the appliance is as it was/)
      assert.equal(r.stderr.trim().split('\n').length, 1)
      assert.equal(other.snapshot(), before)
    } finally {
      await other.close()
    }
  })

  it('wrong credentials: exit 77, one line, the password never printed', async () => {
    const r = await vipctl(['diff', 'netscaler', '-f', 'examples/shop', '--nitro-url', ns.url], {env: {NITRO_USER: 'vipctl', NITRO_PASSWORD: 'wrong-password-xyz'}})
    assert.equal(r.code, 77)
    assert.match(r.stderr, /NITRO login: 401 Invalid username or password \(errorcode 354\)/)
    assert.doesNotMatch(r.stdout + r.stderr, /wrong-password-xyz/)
    const none = await vipctl(['diff', 'netscaler', '-f', 'examples/shop', '--nitro-url', ns.url], {env: {NITRO_USER: 'vipctl'}})
    assert.equal(none.code, 64)
    assert.match(none.stderr, /no NITRO password/)
  })

  it('TLS is verified by default; a URL that is not NITRO is a clear error', async () => {
    const tls = await startNitroDouble({
      username: 'vipctl',
      password: PASSWORD,
      tls: {cert: readFileSync('test/fixtures/migrate/ssl/shop.crt', 'utf8'), key: readFileSync('test/fixtures/migrate/ssl/shop.key', 'utf8')},
    })
    try {
      const r = await vipctl(['diff', 'netscaler', '-f', 'examples/shop', '--nitro-url', tls.url], {env})
      assert.equal(r.code, 69)
      assert.match(r.stderr, /NITRO https:\/\/127\.0\.0\.1:\d+: (DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_CERT_ALTNAME_INVALID|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/)
      const ok = await vipctl(['diff', 'netscaler', '-f', 'examples/shop', '--nitro-url', tls.url, '--nitro-insecure-skip-tls-verify'], {env})
      assert.equal(ok.code, 2, ok.stderr)
    } finally {
      await tls.close()
    }
    const html = http.createServer((_, res) => res.end('<html>hello</html>'))
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', r))
    try {
      const r = await vipctl(['diff', 'netscaler', '-f', 'examples/shop', '--nitro-url', `http://127.0.0.1:${(html.address() as {port: number}).port}`], {env})
      assert.equal(r.code, 69)
      assert.match(r.stderr, /not JSON: is this a NetScaler management address\?/)
    } finally {
      html.close()
    }
  })
})
