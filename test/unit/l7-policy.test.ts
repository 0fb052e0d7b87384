/**
 * L7 policy in the model, rendered by both targets. Persistence: Service
 * `sessionAffinity: ClientIP` (case service-session-affinity) is honoured as
 * kube-proxy does, with its timeout; traffic through a real HAProxy is in
 * test/integration/persistence.test.ts.
 */
import assert from 'node:assert/strict'
import {loadOffline, parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {compile} from '../../src/model/compile.js'
import {traceRequest} from '../../src/check/trace.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import {generateNetscaler, renderBatch, renderNitro} from '../../src/targets/netscaler/generate.js'

const OPTS = {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}
const NS = {prefix: 'k8s', certDir: '/nsconfig/ssl'}

describe('persistence: Service sessionAffinity', () => {
  it('case service-session-affinity: ClientIP with 10800 s becomes HAProxy source stickiness and NetScaler SOURCEIP for 180 min', async () => {
    const snap = await loadOffline({filenames: ['test/fixtures/cases/service-session-affinity'], strict: false}, {readStdin: async () => ''})
    const c = compile(snap, {})
    const pool = c.model.pools.find((p) => p.service === 'game')!
    assert.deepEqual(pool.persistence, {kind: 'source', timeoutSeconds: 10800, provenance: {object: 'Service/sticky/game', field: 'spec.sessionAffinity'}})
    const cfg = renderHaproxy(c, OPTS).config.files[0]!.content
    const backend = cfg.split('\n\n').find((s) => s.includes('backend sticky_game_7777\n'))!
    assert.match(backend, /\n {4}stick-table type ipv6 size 1m expire 10800s\n {4}stick on src\n/)
    const ns = generateNetscaler(c.model, c.secrets, NS)
    assert.match(renderBatch(ns), /^add lb vserver k8s-game_7777_lbv_\w+ TCP 0\.0\.0\.0 0 -lbMethod ROUNDROBIN -persistenceType SOURCEIP -timeout 180 /m)
    assert.match(renderNitro(ns), /"persistencetype": "SOURCEIP",\s+"timeout": 180,/)
    assert.deepEqual(ns.diagnostics.filter((d) => d.code === 'VIP3004'), [])
  })

  const svc = (affinity: string) => {
    const s = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(s, `apiVersion: v1\nkind: Service\nmetadata: {name: g, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1}}\nspec: {type: LoadBalancer, ${affinity} ports: [{port: 80}]}\n`, 'm.yaml')
    return sortSnapshot(s)
  }

  it('the default timeout is Kubernetes\' (10800 s); None or absent means no persistence', () => {
    assert.equal(compile(svc('sessionAffinity: ClientIP,'), {}).model.pools[0]!.persistence?.timeoutSeconds, 10800)
    assert.equal(compile(svc('sessionAffinity: None,'), {}).model.pools[0]!.persistence, undefined)
    assert.equal(compile(svc(''), {}).model.pools[0]!.persistence, undefined)
  })

  it('a timeout NetScaler cannot keep in whole minutes is rounded up and said (VIP3004); HAProxy keeps the seconds', () => {
    const c = compile(svc('sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 90}},'), {})
    const ns = generateNetscaler(c.model, c.secrets, NS)
    assert.match(renderBatch(ns), /-persistenceType SOURCEIP -timeout 2 /)
    assert.deepEqual(ns.diagnostics.map((d) => [d.code, d.field]), [['VIP3004', 'spec.sessionAffinityConfig.clientIP.timeoutSeconds']])
    assert.match(renderHaproxy(c, OPTS).config.files[0]!.content, /expire 90s/)
  })

  it('values Kubernetes refuses are refused with the field (an unknown affinity, a timeout past 86400 s)', () => {
    assert.equal(svc('sessionAffinity: Cookie,').diagnostics[0]?.field, 'spec.sessionAffinity')
    assert.equal(svc('sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}},').diagnostics[0]?.field, 'spec.sessionAffinityConfig.clientIP.timeoutSeconds')
  })

  it('trace says a client stays on one member, and for how long', () => {
    const s = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(s, `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: t}\nspec: {sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}, ports: [{port: 80}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: a.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n`, 'm.yaml')
    const snap = sortSnapshot(s)
    const t = traceRequest(snap, compile(snap, {}).model, 'a.test/')
    assert.match(t.hops.find((h) => h.hop === 'persistence')!.detail, /until idle 600 s \(Service\/t\/web spec\.sessionAffinity: ClientIP\)/)
  })
})

describe('timeouts: vipctl.io/timeout-* on the Service', () => {
  const snap = (ann: string) => {
    const s = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(s, `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: t, annotations: {${ann}}}\nspec: {ports: [{port: 80}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: a.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n`, 'm.yaml')
    return sortSnapshot(s)
  }

  it('become the backend\'s timeouts in HAProxy, -svrTimeout in NetScaler, and what NetScaler cannot hold is said', () => {
    const c = compile(snap('vipctl.io/timeout-connect: 500ms, vipctl.io/timeout-server: 90s, vipctl.io/timeout-tunnel: 2h'), {})
    const backend = renderHaproxy(c, OPTS).config.files[0]!.content.split('\n\n').find((x) => x.includes('backend t_web_80\n'))!
    assert.match(backend, /\n {4}timeout connect 500ms\n {4}timeout server 90000ms\n {4}timeout tunnel 7200000ms\n/)
    const ns = generateNetscaler(c.model, c.secrets, NS)
    assert.match(renderBatch(ns), /^add serviceGroup k8s-web_80_sgp_\w+ HTTP -svrTimeout 90 -comment /m)
    assert.deepEqual(ns.diagnostics.map((d) => [d.code, d.field]), [['VIP3001', 'metadata.annotations[vipctl.io/timeout-connect]']])
  })

  it('a bad value is VIP2006 with the field and the default is used; on an Ingress the keys are said to do nothing', () => {
    for (const bad of ['5', '0s', '25h', '1.5s', '-1s', '5 s']) {
      const c = compile(snap(`vipctl.io/timeout-server: "${bad}"`), {})
      assert.deepEqual(c.model.diagnostics.map((d) => [d.code, d.field]), [['VIP2006', 'metadata.annotations[vipctl.io/timeout-server]']], bad)
      assert.equal(c.model.pools[0]!.timeouts, undefined, bad)
    }
    const s = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(s, 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: t}\nspec: {ports: [{port: 80}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1, vipctl.io/timeout-server: 5s}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: a.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n', 'm.yaml')
    assert.ok(compile(sortSnapshot(s), {}).model.diagnostics.some((d) => d.code === 'VIP2012' && /applies to Services/.test(d.message)))
  })

  it('a misspelt vipctl.io key on a backend Service is reported too (not only on LoadBalancers)', () => {
    assert.ok(compile(snap('vipctl.io/timeout-sever: 5s'), {}).model.diagnostics.some((d) => d.code === 'VIP2012' && d.object === 'Service/t/web'))
  })
})

describe('persistence: vipctl.io/session-cookie', () => {
  const snap = (ann: string, lb = false) => {
    const s = emptySnapshot({kind: 'offline', files: ['m.yaml']})
    parseInto(s, `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: t, annotations: {${ann}${lb ? ', vipctl.io/vip: 192.0.2.2' : ''}}}\nspec: {${lb ? 'type: LoadBalancer, ' : ''}ports: [{port: 80}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: t, annotations: {vipctl.io/vip: 192.0.2.1}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: a.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n`, 'm.yaml')
    return sortSnapshot(s)
  }

  it('HAProxy inserts a dynamic cookie on the HTTP backend; NetScaler COOKIEINSERT, with SOURCEIP backup when ClientIP is asked too', () => {
    const c = compile(snap('vipctl.io/session-cookie: SRVID'), {})
    assert.match(renderHaproxy(c, OPTS).config.files[0]!.content, /\n {4}cookie SRVID insert indirect nocache httponly dynamic\n {4}dynamic-cookie-key [0-9a-f]{16}\n/)
    assert.match(renderBatch(generateNetscaler(c.model, c.secrets, NS)), /-persistenceType COOKIEINSERT -timeout 0 -cookieName SRVID -cltTimeout/)
    const s = snap('vipctl.io/session-cookie: SRVID')
    s.services[0]!.spec.sessionAffinity = 'ClientIP'
    assert.match(renderBatch(generateNetscaler(compile(s, {}).model, c.secrets, NS)), /-cookieName SRVID -persistenceBackup SOURCEIP -backupPersistenceTimeout 180 /)
  })

  it('on a TCP LoadBalancer the cookie cannot apply: said (VIP3001); a bad name is VIP2006', () => {
    const c = compile(snap('vipctl.io/session-cookie: SRVID', true), {})
    const h = renderHaproxy(c, OPTS)
    assert.ok(h.diagnostics.some((d) => d.code === 'VIP3001' && d.field === 'metadata.annotations[vipctl.io/session-cookie]'))
    // NetScaler: the Ingress's HTTP routes keep the pool an HTTP lb vserver (the cookie applies there); the TCP
    // listener on the same Service port is said not rendered, never a TCP lb vserver behind HTTP content switching.
    const ns = generateNetscaler(c.model, c.secrets, NS)
    assert.ok(ns.diagnostics.some((d) => d.code === 'VIP3001' && /HTTP routes also use/.test(d.message)))
    assert.match(renderBatch(ns), /add lb vserver \S+ HTTP .*-persistenceType COOKIEINSERT/)
    for (const bad of ['a b', 'x;y', '', 'é']) assert.ok(compile(snap(`vipctl.io/session-cookie: "${bad}"`), {}).model.diagnostics.some((d) => d.code === 'VIP2006'), bad)
  })
})
