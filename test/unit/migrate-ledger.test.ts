/**
 * migrate, whatever the input: every token of every line is accounted for in the ledger (carried over exactly,
 * approximately, as a manual step, or not carried over, each non-exact account with a finding on its line), and
 * every object migrate writes passes vipctl's own schema and model. Over every fixture, vipctl's own output for
 * every target fixture, and seeded random configurations of both formats (keywords and options vipctl knows mixed
 * with ones it does not, odd values, bad ports).
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {loadOffline} from '../../src/cluster/offline.js'
import {secretLookup} from '../../src/model/compile.js'
import {buildModel} from '../../src/model/build.js'
import {migrateHaproxy, parseHaproxyCfg} from '../../src/migrate/haproxy.js'
import {migrateNetscaler} from '../../src/migrate/netscaler.js'
import {parseNsConf} from '../../src/migrate/nsconf.js'
import {generateHaproxy} from '../../src/targets/haproxy/generate.js'
import {generateNetscaler, renderBatch} from '../../src/targets/netscaler/generate.js'
import {DataError} from '../../src/errors.js'
import {prng} from '../helpers/attack-corpus.js'
import {assertAccepted, assertLedgerCovers} from '../helpers/migrate.js'
import {HAPROXY_CASES, L7_CASES} from './haproxy.test.js'

const noStdin = {readStdin: async () => ''}
const DIR = 'test/fixtures/migrate'

export function checkNs(label: string, text: string): void {
  const cmds = parseNsConf(text, label)
  const r = migrateNetscaler(cmds, {selectors: new Map(), file: label})
  assertLedgerCovers(label, new Map(cmds.map((c) => [c.line, c.tokens])), r.ledger, r.report)
  assertAccepted(label, r.objects)
}

export function checkCfg(label: string, text: string): void {
  const sections = parseHaproxyCfg(text, label)
  const words = new Map<number, string[]>()
  for (const s of sections) {
    if (s.words.length) words.set(s.line, s.words)
    for (const l of s.lines) words.set(l.line, l.shown)
  }
  const r = migrateHaproxy(sections, {selectors: new Map(), file: label})
  assertLedgerCovers(label, words, r.ledger, r.report)
  assertAccepted(label, r.objects)
}

describe('migrate: the ledger covers every token of every line of every fixture, and vipctl accepts the output', () => {
  for (const f of readdirSync(DIR).filter((x) => /\.(conf|cfg)$/.test(x)).sort())
    it(f, () => (f.endsWith('.conf') ? checkNs : checkCfg)(`${DIR}/${f}`, readFileSync(`${DIR}/${f}`, 'utf8')))

  for (const input of [...HAPROXY_CASES, ...L7_CASES])
    it(`vipctl's own output for ${input} (ns.conf and haproxy.cfg)`, async () => {
      const snap = await loadOffline({filenames: [input], strict: false}, noStdin)
      const model = buildModel(snap, {})
      checkNs(`${input}.conf`, renderBatch(generateNetscaler(model, secretLookup(snap), {prefix: 'k8s', certDir: '/nsconfig/ssl'})))
      const cfg = generateHaproxy(model, secretLookup(snap), {configDir: '/etc/h', runDir: '/run/h', nbthread: 1, spareSlots: 0, metricsAddress: '127.0.0.1:8405', listen: {mode: 'vip'}})
      checkCfg(`${input}.cfg`, cfg.files.find((x) => x.path === 'haproxy.cfg')!.content)
    })
})

/** Seeded random choice helpers. */
function chooser(seed: number) {
  const r = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const maybe = (p: number) => r() < p
  const some = <T>(xs: readonly T[], max: number): T[] => Array.from({length: Math.floor(r() * (max + 1))}, () => pick(xs))
  return {pick, maybe, some}
}

const IPS = ['10.0.0.1', '10.0.0.2', '192.0.2.10', '192.0.2.11', '2001:db8::1', '0.0.0.0', '300.1.1.1', '*']
const PORTS = ['80', '443', '8080', '0', '65535', '65536', '99999', 'http', '-1']
const NAMES = ['web', 'api', 'Web_Lbv', 'a.b', '9x', 'x'.repeat(70), 'k8s-shop_web_80_lbv_abcdefghijklmnopqrstuvwxyz234567']
const HOSTS = ['shop.example.com', 'API.example.com', '*.example.com', 'bad host', 'xn--bcher-kva.example', 'a..b', '']
const PATHS = ['/', '/api', '/api/', '/a b', '/x/../y', 'noslash', '/%2e%2e']

/** A random ns.conf of the commands vipctl reads and some it does not, with known and unknown options. */
export function randomNsConf(seed: number): string {
  const {pick, maybe, some} = chooser(seed)
  const out: string[] = ['set ns config -IPAddress 192.0.2.200 -netmask 255.255.255.0', 'enable ns feature LB CS SSL']
  const lbvs = ['web_lbv', 'api_lbv', 'tcp_lbv']
  const sgs = ['web_sg', 'api_sg']
  for (const s of ['s1', 's2']) out.push(`add server ${s} ${pick(IPS)}${maybe(0.3) ? ' -comment "x"' : ''}`)
  for (const g of sgs) {
    out.push(`add serviceGroup ${g} ${pick(['HTTP', 'SSL', 'TCP', 'UDP'])}${some([' -maxClient 50', ' -svrTimeout 120', ' -svrTimeout abc', ' -usip NO', ' -cip ENABLED X-Forwarded-For', ' -comment "ns:shop,svc:web"', ' -useproxyport YES'], 3).join('')}`)
    for (let i = 0; i < 3; i++) out.push(`bind serviceGroup ${g} ${pick([...IPS, 's1', 's2'])} ${pick(PORTS)}${some([' -weight 3', ' -weight 0', ' -weight x', ' -state DISABLED', ' -customServerID 7', ' -hashId 4'], 2).join('')}`)
    if (maybe(0.5)) out.push(`bind serviceGroup ${g} -monitorName ${pick(['mon', 'ping', 'nomon'])}`)
  }
  out.push(`add lb monitor mon HTTP -httpRequest "GET /healthz" -respCode ${pick(['200', '200-299', 'abc'])}${some([' -interval 5', ' -resptimeout 2', ' -retries 3', ' -LRTM DISABLED', ' -destPort 81'], 3).join('')}`)
  for (const v of lbvs)
    out.push(`add lb vserver ${v} ${pick(['HTTP', 'TCP', 'SSL', 'DNS'])} ${pick(['0.0.0.0', ...IPS])} ${pick(PORTS)}${some([' -lbMethod LEASTCONNECTION', ' -lbMethod URLHASH', ' -persistenceType SOURCEIP -timeout 5', ' -persistenceType COOKIEINSERT', ' -cookieName SRV', ' -cltTimeout 30', ' -cltTimeout 0', ' -cltTimeout 99999999', ' -comment "svc:x"', ' -Listenpolicy NONE'], 3).join('')}`)
  for (const v of lbvs) out.push(`bind lb vserver ${v} ${pick([...sgs, 'nosuch'])}`)
  out.push(`add cs vserver cs1 ${pick(['HTTP', 'SSL', 'TCP', 'DNS'])} ${pick(IPS)} ${pick(PORTS)}${some([' -cltTimeout 60', ' -cltTimeout x', ' -comment "ing:shop"', ' -stateupdate ENABLED', ' -caseSensitive OFF', ' -Listenpolicy "CLIENT.IP.SRC.IN_SUBNET(10.0.0.0/8)"', ' -Listenpolicy "!(CLIENT.IP.SRC.IN_SUBNET(300.0.0.0/8))"', ' -Listenpolicy None'], 2).join('')}`)
  out.push(`add cs vserver cs2 HTTP ${pick(IPS)} 80`)
  for (const [i, a] of ['a1', 'a2'].entries()) out.push(`add cs action ${a} -targetLBVserver ${lbvs[i]}${maybe(0.3) ? ' -comment c' : ''}`)
  const rules = [
    `HTTP.REQ.HOSTNAME.EQ(\\"${pick(HOSTS)}\\")`,
    `HTTP.REQ.URL.PATH.STARTSWITH(\\"${pick(PATHS)}\\")`,
    `HTTP.REQ.HOSTNAME.EQ(\\"${pick(HOSTS)}\\") && HTTP.REQ.URL.PATH.EQ(\\"${pick(PATHS)}\\")`,
    'HTTP.REQ.HEADER(\\"X-Env\\").EQ(\\"beta\\")',
    'true',
  ]
  for (const p of ['p1', 'p2', 'p3']) out.push(`add cs policy ${p} -rule "${pick(rules)}" -action ${pick(['a1', 'a2', 'nosuch'])}${maybe(0.2) ? ' -logAction l' : ''}`)
  for (const [i, p] of ['p1', 'p2', 'p3'].entries()) out.push(`bind cs vserver ${pick(['cs1', 'cs2'])} -policyName ${p} -priority ${100 + i * 10}${maybe(0.3) ? ` -gotoPriorityExpression ${pick(['END', 'NEXT'])}` : ''}`)
  if (maybe(0.7)) out.push(`bind cs vserver cs1 -lbvserver ${pick(lbvs)}`)
  out.push('add ssl certKey ck -cert "/nsconfig/ssl/a.crt" -key "/nsconfig/ssl/a.key"' + (maybe(0.3) ? ' -expiryMonitor ENABLED' : ''))
  if (maybe(0.6)) out.push(`bind ssl vserver ${pick(['cs1', 'cs2'])} -certkeyName ${pick(['ck', 'nock'])}${maybe(0.3) ? ' -SNICert' : ''}`)
  if (maybe(0.3)) out.push('set ssl vserver cs1 -sniEnable ENABLED' + (maybe(0.5) ? ' -tls1 DISABLED' : ''))
  out.push(`add responder action r1 redirect "\\"https://\\" + HTTP.REQ.HOSTNAME + HTTP.REQ.URL"${maybe(0.5) ? ` -responseStatusCode ${pick(['301', '302', '308'])}` : ''}`)
  out.push('add responder policy rp1 HTTP.REQ.IS_VALID r1')
  if (maybe(0.6)) out.push(`bind cs vserver cs2 -policyName rp1 -priority 1 -type REQUEST`)
  if (maybe(0.4)) out.push(`add responder policy acl1 "${pick(['!(CLIENT.IP.SRC.IN_SUBNET(10.0.0.0/8))', 'CLIENT.IP.SRC.IN_SUBNET(192.0.2.0/24) || CLIENT.IPV6.SRC.IN_SUBNET(2001:db8::/32)', 'HTTP.REQ.HEADER(\\"X\\").EXISTS'])}" ${pick(['DROP', 'RESET', 'NOOP'])}`, `bind cs vserver ${pick(['cs1', 'cs2'])} -policyName acl1 -priority 2 -type REQUEST`)
  out.push(...some(['add rewrite action rw1 insert_http_header X-A "\\"1\\""', 'add rewrite policy rwp1 true rw1', 'bind cs vserver cs1 -policyName rwp1 -priority 5 -type RESPONSE', 'add ns ip 192.0.2.5 255.255.255.0', 'bind lb vserver web_lbv', 'add lb vserver', 'frobnicate', 'add service svc1 s1 HTTP 8080 -maxClient 5'], 3))
  return `${out.join('\n')}\n`
}

/** A random haproxy.cfg: sections, keywords and options vipctl reads and some it does not. */
export function randomCfg(seed: number): string {
  const {pick, maybe, some} = chooser(seed)
  const out: string[] = ['global', '    maxconn 5000', '    log stdout format raw local0', 'defaults']
  out.push(...some(['    mode http', '    mode tcp', '    timeout connect 5s', '    timeout client 30s', '    timeout server 1m extra', '    timeout check 2s', '    balance leastconn', '    retries 3', '    option forwardfor except 127.0.0.1', '    option redispatch', '    default-server inter 3s fall 3 weight 7 foo', '    option httplog'], 6))
  const backends = ['be_web', 'be_api', 'be_tcp']
  for (const fe of ['fe_http', 'fe_https', 'fe_tcp']) {
    out.push(`frontend ${fe}`)
    const ssl = fe === 'fe_https' ? ` ssl crt /etc/haproxy/${pick(['a', 'b'])}.pem${maybe(0.4) ? ' crt /etc/haproxy/c.pem' : ''}${maybe(0.3) ? ' alpn h2,http/1.1' : ''}` : ''
    out.push(`    bind ${pick(IPS)}:${pick(PORTS)}${ssl}${maybe(0.2) ? ' accept-proxy' : ''}${maybe(0.2) ? ' v4v6' : ''}`)
    if (maybe(0.3)) out.push(`    bind ${pick(IPS)}:${pick(PORTS)}`)
    out.push(`    mode ${fe === 'fe_tcp' ? 'tcp' : pick(['http', 'http', 'tcp'])}`)
    out.push(`    acl h hdr(host) -i ${pick(HOSTS) || 'x'}${maybe(0.2) ? ` ${pick(HOSTS) || 'y'}` : ''}`)
    out.push(`    acl p ${pick(['path_beg', 'path', 'path_end', 'path_reg'])} ${pick(PATHS)}`)
    if (maybe(0.2)) out.push('    acl m hdr(host) -m str shop.example.com')
    out.push(...some([`    use_backend ${pick(backends)} if h p`, `    use_backend ${pick(backends)} if h`, `    use_backend ${pick(backends)} if !h`, `    use_backend ${pick(backends)} if { path_beg /x }`, `    use_backend nosuch if p`], 3))
    if (maybe(0.8)) out.push(`    default_backend ${pick([...backends, 'nosuch'])}`)
    out.push(...some(['    redirect scheme https code 301 if !{ ssl_fc }', '    http-request redirect scheme https', '    http-request set-header X-A 1', '    http-response del-header Server', '    http-request deny if { src 10.0.0.0/8 }', '    timeout client 45s', '    option forwardfor', '    option httplog', '    capture request header Host len 32', '    http-request set-header X-B "%[src]"'], 3))
  }
  for (const be of backends) {
    out.push(`backend ${be}`)
    out.push(...some(['    balance roundrobin', '    balance uri', '    balance source', '    hash-type consistent', '    option httpchk GET /health', '    http-check expect status 200', '    http-check send meth GET uri /ready hdr Host x', '    cookie SRV insert indirect nocache', '    cookie SRV prefix', '    stick-table type ip size 1m expire 30m peers p', '    stick on src', '    timeout server 90s', '    timeout tunnel 1h', '    retries 2', '    retry-on conn-failure 503', '    retry-on all-retryable-errors', '    option redispatch', '    http-request set-header X 1', '    default-server maxconn 10'], 4))
    for (let i = 0; i < 3; i++)
      out.push(`    server s${i} ${pick(IPS)}:${pick(PORTS)}${some([' check', ' weight 5', ' weight 0', ' weight 300', ' maxconn 20', ' disabled', ' backup', ' ssl verify none', ' ssl ca-file /ca.pem sni str(api.example.com)', ' proto h2', ' send-proxy-v2', ' cookie c1', ' inter 2s fall 2 rise 1', ' port 9000', ' alpn h2', ' slowstart 10s', ' bogus', ' id 7'], 3).join('')}`)
  }
  if (maybe(0.5)) out.push('listen stats', '    bind 127.0.0.1:8404', '    stats enable', '    stats uri /stats')
  if (maybe(0.3)) out.push('resolvers dns', '    nameserver ns1 10.0.0.53:53')
  return `${out.join('\n')}\n`
}

describe('migrate: the ledger and vipctl acceptance over seeded random configurations (property)', () => {
  const N = 150
  // A DataError (a file migrate refuses as a whole, with one line) is an answer too; anything else fails with the input.
  const property = (ext: string, generate: (seed: number) => string, check: (label: string, text: string) => void) => () => {
    for (let seed = 1; seed <= N; seed++) {
      const text = generate(seed)
      try {
        check(`random-${seed}.${ext}`, text)
      } catch (e) {
        if (!(e instanceof DataError)) throw new Error(`seed ${seed}:\n${text}\n${(e as Error).message}`)
      }
    }
  }
  it(`${N} random ns.conf files`, property('conf', randomNsConf, checkNs))
  it(`${N} random haproxy.cfg files`, property('cfg', randomCfg, checkCfg))
})

describe('migrate: secrets in the input never reach the report or the ledger', () => {
  it('ns.conf passwords, shared secrets and -encrypted hashes; haproxy.cfg userlist passwords, stats auth and credential headers', () => {
    const ns = 'add system user nsroot 7f3c9a1e0b5d2c4f8e6a -encrypted -hashmethod SHA512\nadd lb monitor ldap-mon LDAP -password S3cr3tPw -baseDN dc=x\nadd authentication radiusAction rad -serverIP 10.0.0.9 -radKey R4dK3y\nset ns rpcNode 192.0.2.2 -password "Rpc Pass" -encrypted\nadd system user ops Pl41nUs3rPw\nadd snmp community Snmp5ecret ALL\nadd lb monitor h HTTP -customHeaders "Authorization: Bearer B34rerTok\\r\\n" -httpRequest "GET /h?token=Qu3ryTok"\nadd rewrite action ins insert_http_header X-Api-Key "\\"Ap1K3yVal\\""\nadd server s1 10.0.0.1 -comment "https://bob:Ur1Pass@example.test/"\nadd lb monitor m2 HTTP -httpRequest "GET /h?token=SECRETB3"\n'
    const cmds = parseNsConf(ns, 'ns.conf')
    const r1 = migrateNetscaler(cmds, {selectors: new Map(), file: 'ns.conf'})
    const cfg = 'global\n    setenv DB_PASS Env5ecret\nuserlist admins\n    user admin password $6$saltsalt$hashhash\n    user ops insecure-password Pl41nPw\nlisten stats\n    bind 192.0.2.40:8404\n    stats enable\n    stats auth admin:St4tsPw\nfrontend fe\n    bind 192.0.2.41:80\n    http-request set-header Authorization "Basic QWxhZGRpbjpvcGVu"\n    http-request set-header X-Auth-Key K3yH3ader\n    http-request replace-header Cookie (.*) Rep1Cookie\n    http-request redirect location https://u:L0cPass@new.example.test/ if { path /old }\n    default_backend be\nbackend be\n    option httpchk GET /health?password=Qu3ryPw\n    http-check send meth GET uri /health hdr Authorization "Bearer Chk70ken"\n    http-request set-header X-Shared-Key XsharedK\n    server s1 10.0.0.1:80\n'
    const r2 = migrateHaproxy(parseHaproxyCfg(cfg, 'haproxy.cfg'), {selectors: new Map(), file: 'haproxy.cfg'})
    const shown = JSON.stringify([r1.report, r1.ledger, r2.report, r2.ledger])
    for (const secret of ['SECRETB3', 'Qu3ryPw', 'XsharedK', '7f3c9a1e0b5d2c4f8e6a', 'S3cr3tPw', 'R4dK3y', 'Rpc Pass', 'Pl41nUs3rPw', 'Snmp5ecret', 'B34rerTok', 'Qu3ryTok', 'Ap1K3yVal', 'Ur1Pass', '$6$saltsalt$hashhash', 'Pl41nPw', 'St4tsPw', 'QWxhZGRpbjpvcGVu', 'Env5ecret', 'K3yH3ader', 'Rep1Cookie', 'L0cPass', 'Chk70ken']) assert.ok(!shown.includes(secret), `${secret} is shown`)
    // Still accounted for: every line is in the ledger.
    assert.equal(r1.ledger.length, 10)
    assert.ok(shown.includes('***'))
    // The statistics page is not a Service; a header rule with a credential is a manual step, never an annotation.
    assert.ok(!r2.objects.some((o) => o.metadata.name === 'stats'))
    assert.equal(r2.objects.find((o) => o.kind === 'Ingress')!.metadata.annotations!['vipctl.io/request-headers'], undefined)
    assert.ok(r2.report.some((d) => d.code === 'VIP5003' && /Authorization carries a credential, not written into an annotation/.test(d.message)))
  })
})

describe('migrate: first-match order against the routing module\'s precedence', () => {
  it('an earlier host-less rule that took requests a later host rule gets in Kubernetes is said (NetScaler priorities, HAProxy use_backend order)', () => {
    const ns = migrateNetscaler(parseNsConf('add serviceGroup sg1 HTTP\nbind serviceGroup sg1 10.0.0.1 80\nadd serviceGroup sg2 HTTP\nbind serviceGroup sg2 10.0.0.2 80\nadd lb vserver lb1 HTTP 0.0.0.0 0\nbind lb vserver lb1 sg1\nadd lb vserver lb2 HTTP 0.0.0.0 0\nbind lb vserver lb2 sg2\nadd cs vserver cs HTTP 192.0.2.5 80\nadd cs action a1 -targetLBVserver lb1\nadd cs action a2 -targetLBVserver lb2\nadd cs policy api -rule "HTTP.REQ.URL.PATH.STARTSWITH(\\"/api/\\")" -action a2\nadd cs policy host -rule "HTTP.REQ.HOSTNAME.EQ(\\"a.example.com\\")" -action a1\nbind cs vserver cs -policyName api -priority 100\nbind cs vserver cs -policyName host -priority 200\n', 'n.conf'), {selectors: new Map(), file: 'n.conf'})
    assert.ok(ns.report.some((d) => (d.origin as {line: number}).line === 13 && d.code === 'VIP5002' && /went to api on NetScaler; in Kubernetes this rule wins/.test(d.message)), JSON.stringify(ns.report.map((d) => d.message)))
    const ha = migrateHaproxy(parseHaproxyCfg('frontend f\n    bind 192.0.2.9:80\n    acl p_api path_beg /api/\n    acl h_a hdr(host) -i a.example.com\n    use_backend b2 if p_api\n    use_backend b1 if h_a\nbackend b1\n    server s1 10.0.0.1:80\nbackend b2\n    server s2 10.0.0.2:80\n', 'h.cfg'), {selectors: new Map(), file: 'h.cfg'})
    assert.ok(ha.report.some((d) => (d.origin as {line: number}).line === 6 && d.code === 'VIP5002' && /earlier use_backend b2 \(line 5\) went there in HAProxy/.test(d.message)), JSON.stringify(ha.report.map((d) => d.message)))
  })
})
