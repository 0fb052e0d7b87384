/** Stats: parsers (captured HAProxy 2.6 answers), rates across resets, mapping, filters, outputs, the live view (golden). */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {Chalk} from 'chalk'
import {LiveView, sparkline} from '../../src/stats/live.js'
import {render} from '../../src/output/render.js'
import {parseShowInfo, parseStatCsv} from '../../src/stats/haproxy.js'
import {parseInterval as parseStatsInterval} from '../../src/stats/io.js'
import {annotate, applyFilter, parseFilter, sortSamples, totals} from '../../src/stats/kube.js'
import {readIndex as parseIndex} from '../../src/targets/haproxy/read.js'
import {parsePrometheus, renderPrometheus, samplesFromHaproxyPrometheus} from '../../src/stats/prometheus.js'
import {withRates} from '../../src/stats/rates.js'
import {statsResult} from '../../src/stats/result.js'
import {rowsOf} from '../../src/stats/tail.js'
import {emptySample, type StatSample, type StatsFrame} from '../../src/stats/types.js'
import {assertGolden} from '../helpers/golden.js'

const fx = (f: string) => readFileSync(`test/fixtures/stats/${f}`, 'utf8')

function sample(type: StatSample['type'], proxy: string, server: string | undefined, patch: Partial<StatSample> = {}): StatSample {
  return {...emptySample(type, proxy, server), ...patch}
}

const index = parseIndex(
  JSON.stringify({
    apiVersion: 'vipctl.io/v1alpha1',
    kind: 'HaproxyIndex',
    frontends: {
      'http_192-0-2-10_80': {vip: '192.0.2.10', port: 80, protocol: 'http', listen: '192.0.2.10:80', hosts: ['shop.example.com', 'www.shop.example.com', 'api.shop.example.com'], objects: ['Ingress/shop/storefront'], backends: ['shop_api_80', 'shop_web_80']},
      'tcp_192-0-2-20_5432': {vip: '192.0.2.20', port: 5432, protocol: 'tcp', listen: '192.0.2.20:5432', hosts: [], objects: ['Service/shop/db'], backends: ['shop_db_5432']},
    },
    backends: {
      shop_web_80: {namespace: 'shop', service: 'web', port: 80, servers: {SRV_1: {address: '10.244.1.5', port: 8080, pod: 'web-a', node: 'n1'}, SRV_2: {address: '10.244.2.5', port: 8080, pod: 'web-b'}}},
      shop_api_80: {namespace: 'shop', service: 'api', port: 80, servers: {SRV_1: {address: '10.244.1.9', port: 9000, pod: 'api-a'}}},
      shop_db_5432: {namespace: 'shop', service: 'db', port: 5432, servers: {SRV_1: {address: '10.244.3.3', port: 5432, pod: 'db-0'}}},
    },
  }),
)

function shopFrame(rate: (name: string) => number | null): StatsFrame {
  const s = (type: StatSample['type'], proxy: string, server: string | undefined, p: Partial<StatSample>) => {
    const x = sample(type, proxy, server, p)
    x.requests = {total: 1000, rate: rate(x.name)}
    return x
  }
  return {
    time: '2026-11-25T01:02:03.000Z',
    source: '/run/vipctl/admin.sock',
    process: {pid: 4242, uptimeSec: 3725, version: '2.6.12-1+deb12u4'},
    reset: false,
    samples: annotate(
      [
        s('frontend', 'http_192-0-2-10_80', undefined, {status: 'OPEN', sessions: {current: 12, total: 900}, timesMs: {queue: 0, connect: 0, response: 0, total: 0}}),
        s('frontend', 'tcp_192-0-2-20_5432', undefined, {status: 'OPEN', sessions: {current: 3, total: 40}}),
        s('backend', 'shop_web_80', undefined, {status: 'UP', responses: {'1xx': 0, '2xx': 990, '3xx': 0, '4xx': 4, '5xx': 6, other: 0}, timesMs: {queue: 0, connect: 1, response: 12, total: 14}}),
        s('backend', 'shop_api_80', undefined, {status: 'UP', timesMs: {queue: 0, connect: 1, response: 30, total: 31}}),
        s('backend', 'shop_db_5432', undefined, {status: 'UP'}),
        s('server', 'shop_web_80', 'SRV_1', {status: 'UP', checkStatus: 'L7OK', address: '10.244.1.5:8080'}),
        s('server', 'shop_web_80', 'SRV_2', {status: 'DOWN', checkStatus: 'L4CON', address: '10.244.2.5:8080', errors: {request: 0, connect: 3, response: 0}}),
        s('server', 'shop_api_80', 'SRV_1', {status: 'UP', checkStatus: 'L7OK', address: '10.244.1.9:9000'}),
        s('server', 'shop_db_5432', 'SRV_1', {status: 'UP', checkStatus: 'L4OK', address: '10.244.3.3:5432'}),
      ],
      index,
    ),
  }
}

describe('stats: readers', () => {
  it("parses HAProxy 2.6's show stat CSV by column name", () => {
    const rows = parseStatCsv(fx('show-stat.csv'))
    assert.deepEqual(
      rows.map((r) => [r.type, r.name, r.status]),
      [
        ['frontend', 'fe', 'OPEN'],
        ['frontend', 'm', 'OPEN'],
        ['server', 'be/s1', 'DOWN'],
        ['backend', 'be', 'DOWN'],
      ],
    )
    const s1 = rows.find((r) => r.name === 'be/s1')!
    assert.equal(s1.checkStatus, 'L4CON')
    assert.equal(s1.address, '127.0.0.1:18081')
    assert.equal(s1.mode, 'http')
    const fe = rows.find((r) => r.name === 'fe')!
    assert.ok(fe.requests.total > 0)
    assert.equal(fe.requests.total, fe.responses['5xx'], 'every request to a DOWN backend is a 503')
    // Columns are found by name: a reordered CSV parses the same.
    const lines = fx('show-stat.csv').split('\n').filter(Boolean)
    const swap = (l: string) => {
      const f = l.replace(/^# /, '').split(',')
      ;[f[0], f[1]] = [f[1]!, f[0]!]
      return f.join(',')
    }
    const swapped = [`# ${swap(lines[0]!)}`, ...lines.slice(1).map(swap)].join('\n')
    assert.deepEqual(parseStatCsv(swapped), rows)
  })

  it('refuses an answer that is not show stat', () => {
    assert.throws(() => parseStatCsv('Unknown command\n', 'sock'), /not HAProxy's "show stat" CSV/)
  })

  it('reads the worker pid, uptime and version from show info', () => {
    const info = parseShowInfo(fx('show-info.txt'))
    assert.ok(info.pid! > 0)
    assert.equal(typeof info.uptimeSec, 'number')
    assert.match(info.version!, /^2\.6\./)
  })

  it("parses HAProxy's exporter into the same samples (no rate, unknown until a second read)", () => {
    const metrics = parsePrometheus(fx('metrics.txt'))!
    assert.ok(metrics.length > 200)
    const {samples, pid} = samplesFromHaproxyPrometheus(metrics)
    const csv = parseStatCsv(fx('show-stat.csv'))
    const pick = (rows: StatSample[], name: string) => rows.find((r) => r.name === name)!
    assert.equal(pick(samples, 'be/s1').status, 'DOWN')
    assert.equal(pick(samples, 'be/s1').checkStatus, 'L4CON')
    assert.equal(pick(samples, 'be').status, 'DOWN')
    assert.equal(pick(samples, 'fe').status, 'OPEN')
    assert.equal(pick(samples, 'fe').requests.total, pick(csv, 'fe').requests.total)
    assert.equal(pick(samples, 'fe').requests.rate, null)
    assert.ok(pid! > 0)
  })

  it('parses label escapes and rejects what is not exposition', () => {
    assert.deepEqual(parsePrometheus('a{x="q\\"uo\\\\te\\n",y="2"} 3\n# c\nb 1e3 1700000000\n'), [
      {name: 'a', labels: {x: 'q"uo\\te\n', y: '2'}, value: 3},
      {name: 'b', labels: {}, value: 1000},
    ])
    assert.equal(parsePrometheus('<html>not metrics</html>'), undefined)
    assert.equal(parsePrometheus('a{x="unterminated} 1'), undefined)
  })
})

describe('stats: rates from counter deltas', () => {
  const frame = (time: number, pid: number, total: number): Omit<StatsFrame, 'reset'> => {
    const s = sample('frontend', 'fe', undefined)
    s.requests = {total, rate: 7}
    return {time: new Date(time).toISOString(), source: 's', process: {pid}, samples: [s]}
  }

  it('first frame keeps the proxy-reported rate, later ones use deltas', () => {
    const a = withRates(frame(0, 1, 100), undefined)
    assert.equal(a.frame.samples[0]!.requests.rate, 7)
    const b = withRates(frame(2000, 1, 160), a.state)
    assert.equal(b.frame.samples[0]!.requests.rate, 30)
    assert.equal(b.frame.reset, false)
  })

  it('a new worker (reload) restarts the counters: the delta is the new value, never negative', () => {
    const a = withRates(frame(0, 1, 5000), undefined)
    const b = withRates(frame(1000, 2, 40), a.state)
    assert.equal(b.frame.samples[0]!.requests.rate, 40)
    assert.equal(b.frame.reset, true)
    // A counter that goes backwards without a pid (exporter restarted) is a reset too.
    const c = withRates({...frame(2000, 2, 10), process: {}}, {...b.state, pid: undefined})
    assert.equal(c.frame.samples[0]!.requests.rate, 10)
    assert.equal(c.frame.reset, true)
  })
})

describe('stats: Kubernetes mapping, filter, sort', () => {
  it('maps frontends to VIPs and hosts, backends to Services, servers to Pods', () => {
    const f = shopFrame(() => 1)
    const by = (n: string) => f.samples.find((s) => s.name === n)!
    assert.deepEqual(by('http_192-0-2-10_80').kube?.hosts, ['shop.example.com', 'www.shop.example.com', 'api.shop.example.com'])
    assert.deepEqual(by('shop_web_80').kube, {namespace: 'shop', service: 'web', port: 80})
    assert.deepEqual(by('shop_web_80/SRV_1').kube, {namespace: 'shop', service: 'web', port: 80, pod: 'web-a', node: 'n1'})
    assert.equal(parseIndex('{"kind":"Something"}'), undefined)
    assert.equal(parseIndex('not json'), undefined)
  })

  it('--filter keeps the Service, its servers and the frontends routing to it', () => {
    const f = shopFrame(() => 1)
    const names = (flt: string) => applyFilter(f.samples, parseFilter(flt), index).map((s) => s.name)
    assert.deepEqual(names('shop/web'), ['http_192-0-2-10_80', 'shop_web_80', 'shop_web_80/SRV_1', 'shop_web_80/SRV_2'])
    assert.deepEqual(names('shop/d*'), ['tcp_192-0-2-20_5432', 'shop_db_5432', 'shop_db_5432/SRV_1'])
    assert.equal(names('shop').length, f.samples.length)
    assert.deepEqual(names('other'), [])
    assert.throws(() => parseFilter('Shop/Web'), /expected NAMESPACE\[\/SERVICE\]/)
  })

  it('--sort orders within frontends, backends, servers', () => {
    const f = shopFrame((n) => ({shop_api_80: 50, shop_web_80: 10}[n] ?? 1))
    const order = (k: 'rate' | 'errors' | 'latency' | 'name') => sortSamples(f.samples, k).filter((s) => s.type === 'backend').map((s) => s.name)
    assert.deepEqual(order('rate'), ['shop_api_80', 'shop_web_80', 'shop_db_5432'])
    assert.deepEqual(order('errors'), ['shop_web_80', 'shop_api_80', 'shop_db_5432'])
    assert.deepEqual(order('latency'), ['shop_api_80', 'shop_web_80', 'shop_db_5432'])
    assert.deepEqual(order('name'), ['shop_api_80', 'shop_db_5432', 'shop_web_80'])
    assert.deepEqual(sortSamples(f.samples, 'rate').map((s) => s.type), ['frontend', 'frontend', 'backend', 'backend', 'backend', 'server', 'server', 'server', 'server'])
  })

  it('totals: rate, sessions and responses over frontends, ERR over frontends and backends, servers up', () => {
    assert.deepEqual(totals(shopFrame(() => 2.5).samples), {rate: 5, sessions: 15, responses: {'3xx': 0, '4xx': 0, '5xx': 0}, errors: 0, serversUp: 3, servers: 4})
    // ERR: the frontends' ereq and the backends' econ + eresp; a server's are already in its backend's, 5xx are not errors here.
    const f = shopFrame(() => 1).samples.map((s) =>
      s.type === 'frontend' ? {...s, errors: {request: 2, connect: 0, response: 0}, responses: {...s.responses, '3xx': 7, '4xx': 5, '5xx': 3}} : s.type === 'backend' ? {...s, errors: {request: 0, connect: 4, response: 1}} : {...s, errors: {request: 0, connect: 4, response: 1}},
    )
    const t = totals(f)
    assert.deepEqual(t.responses, {'3xx': 14, '4xx': 10, '5xx': 6})
    assert.equal(t.errors, 2 * 2 + 3 * (4 + 1))
    assert.equal(totals(shopFrame(() => null).samples).rate, null)
  })
})

describe('stats: outputs', () => {
  const c = new Chalk({level: 0})

  it('table and wide (golden)', () => {
    const rows = rowsOf(shopFrame((n) => (n.includes('web') ? 12.5 : 3)))
    assertGolden('stats/table.txt', render(statsResult(rows), 'table', {chalk: c}))
    assertGolden('stats/wide.txt', render(statsResult(rows), 'wide', {chalk: c}))
  })

  it('Prometheus text: HELP/TYPE once per family, escaped labels, unknown rates left out (golden)', () => {
    const f = shopFrame(() => null)
    const text = renderPrometheus(f.samples)
    assert.doesNotMatch(text, /vipctl_request_rate/)
    assert.equal(text.match(/^# TYPE vipctl_requests_total counter$/gm)?.length, 1)
    const odd = sample('backend', 'x', undefined, {kube: {namespace: 'a"b\\c\nd', service: 's'}})
    assert.match(renderPrometheus([odd]), /namespace="a\\"b\\\\c\\nd"/)
    // Our own exposition parses back to the same values.
    const back = parsePrometheus(text)!
    assert.equal(back.find((m) => m.name === 'vipctl_requests_total' && m.labels.proxy === 'shop_web_80')!.value, 1000)
    assertGolden('stats/shop.prom', text)
  })

  it('sparkline scales to the largest value; nulls are gaps; all-zero is flat', () => {
    assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), '▁▂▃▄▅▆▇█')
    assert.equal(sparkline([0, 0, 0]), '▁▁▁')
    assert.equal(sparkline([null, 7]), ' █')
    assert.equal(sparkline(Array.from({length: 40}, (_, i) => i)).length, 20)
  })

  it('live view frames: header, totals, three sections, clipped to the terminal (golden)', () => {
    const view = new LiveView(c)
    for (const r of [1, 4, 9, 16]) view.push(shopFrame((n) => (n.startsWith('shop_web') || n.startsWith('http') ? r : 1)))
    const f = shopFrame((n) => (n.startsWith('shop_web') || n.startsWith('http') ? 25 : 1))
    view.push(f)
    const big = view.frameText(f, {columns: 140, rows: 30}, {intervalMs: 1000, sort: 'rate'})
    assertGolden('stats/live-140x30.txt', `${big}\n`)
    const small = view.frameText(f, {columns: 60, rows: 12}, {intervalMs: 1000, sort: 'rate', notice: 'HAProxy reloaded (worker 1 -> 2): counters restarted, rates continue'})
    assert.ok(small.split('\n').length <= 12)
    assert.ok(small.split('\n').every((l) => l.length <= 60), small)
    assertGolden('stats/live-60x12.txt', `${small}\n`)
  })

  it('--interval accepts durations, refuses the rest', () => {
    assert.equal(parseStatsInterval('2s'), 2000)
    assert.equal(parseStatsInterval('500ms'), 500)
    assert.equal(parseStatsInterval('1m'), 60_000)
    assert.throws(() => parseStatsInterval('soon'), /expected a duration/)
    assert.throws(() => parseStatsInterval('10ms'), /between 100ms and 1h/)
  })
})
