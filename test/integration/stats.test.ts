/**
 * vipctl stats against a real HAProxy: counter deltas equal the requests sent,
 * rates across a reload and a restart, a server taken down, JSON lines against
 * the shipped schema, Prometheus text through Prometheus' own parser, the
 * exporter reader, and the live view in a real terminal (tmux).
 */
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {sendRuntime, parseShowProc} from '../../src/core/haproxy-runtime.js'
import {processStatsIO} from '../../src/stats/io.js'
import {HaproxySocketReader} from '../../src/stats/haproxy.js'
import {tailStats, type StatsOptions} from '../../src/stats/tail.js'
import type {StatsFrame} from '../../src/stats/types.js'
import {ROOT, vipctl} from '../helpers/cli.js'
import {freePort, freePortRange, get, startBackend, startHaproxy, tempDirs, type Backend, type Proxy} from '../helpers/haproxy.js'

function manifests(port: number): string {
  const pod = (n: number) => `---
apiVersion: v1
kind: Pod
metadata: {name: web-${n}, namespace: p, labels: {app: web}}
spec: {nodeName: node-a, containers: [{name: web, ports: [{containerPort: ${port}}], readinessProbe: {tcpSocket: {port: ${port}}, periodSeconds: 1, failureThreshold: 1}}]}
status: {phase: Running, podIP: 127.0.0.4${n}, conditions: [{type: Ready, status: "True"}]}
`
  return `apiVersion: v1
kind: Service
metadata: {name: web, namespace: p}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: ${port}}]}
${pod(1)}${pod(2)}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: p, annotations: {vipctl.io/vip: 192.0.2.1}}
spec:
  ingressClassName: vipctl
  rules: [{host: web.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
`
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function send(port: number, n: number): Promise<number> {
  let ok = 0
  for (let i = 0; i < n; i++) if ((await get(port, 'web.test', `/r${i}`)).status === 200) ok++
  return ok
}

describe('vipctl stats against a real HAProxy', function () {
  this.timeout(120_000)
  let proxy: Proxy
  let backends: Backend[]
  let dirs: ReturnType<typeof tempDirs>
  let flags: string[]
  let listen: number
  let metrics: string

  before(async () => {
    const port = await freePort('127.0.0.41')
    backends = [await startBackend('web-1', '127.0.0.41', port), await startBackend('web-2', '127.0.0.42', port)]
    dirs = tempDirs()
    listen = await freePortRange(8)
    metrics = `127.0.0.1:${await freePort()}`
    const gen = ['--config-dir', dirs.configDir, '--run-dir', dirs.runDir, '--listen-address', '127.0.0.1', '--listen-base-port', String(listen), '--metrics-address', metrics]
    const m = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-stats-')), 'm.yaml')
    writeFileSync(m, manifests(port))
    const g = await vipctl(['generate', 'haproxy', '-f', m, ...gen, '--out', dirs.configDir])
    assert.equal(g.code, 0, g.stderr)
    mkdirSync(dirs.runDir, {recursive: true})
    proxy = await startHaproxy(dirs)
    flags = ['--stats-socket', proxy.admin, '--config-dir', dirs.configDir]
    for (let i = 0; i < 50 && !(await get(listen, 'web.test')).body.startsWith('web'); i++) await sleep(100)
  })

  after(async () => {
    await proxy?.stop()
    for (const b of backends ?? []) await b.close()
  })

  async function snapshot(extra: string[] = []) {
    const r = await vipctl(['stats', ...flags, '-o', 'json', ...extra])
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout).items as Array<StatsFrame['samples'][number]>
  }

  it('counts exactly the requests sent: frontend, backend and the sum over servers', async () => {
    const before = await snapshot()
    const sent = await send(listen, 137)
    assert.equal(sent, 137)
    const after = await snapshot()
    const total = (rows: typeof before, type: string, name?: string) => rows.filter((r) => r.type === type && (!name || r.name === name)).reduce((a, r) => a + r.requests.total, 0)
    const fe = after.find((r) => r.type === 'frontend' && r.kube?.vip === '192.0.2.1')!
    assert.equal(total(after, 'frontend', fe.name) - total(before, 'frontend', fe.name), 137)
    assert.equal(total(after, 'backend', 'p_web_80') - total(before, 'backend', 'p_web_80'), 137)
    assert.equal(total(after, 'server') - total(before, 'server'), 137)
    // Rows map back to Kubernetes through the index.
    assert.deepEqual(fe.kube, {vip: '192.0.2.1', port: 80, hosts: ['web.test'], objects: ['Ingress/p/web']})
    assert.deepEqual(after.find((r) => r.name === 'p_web_80')!.kube, {namespace: 'p', service: 'web', port: 80})
    assert.deepEqual(after.filter((r) => r.type === 'server').map((r) => r.kube?.pod).sort(), ['web-1', 'web-2'])
    assert.ok(after.filter((r) => r.type === 'server').every((r) => r.kube?.node === 'node-a'))
    // Spare slots stay hidden unless asked for.
    assert.equal(after.filter((r) => r.type === 'server').length, 2)
    assert.ok((await snapshot(['--all-slots'])).filter((r) => r.type === 'server').length > 2)
  })

  it('keeps rates right across a reload and a restart, and says so once', async () => {
    const opts: StatsOptions = {intervalMs: 100, count: 5, sort: 'name', allSlots: false}
    const warnings: string[] = []
    let step = 0
    const steps: Array<() => Promise<void>> = [
      async () => void (await send(listen, 40)),
      async () => {
        const before = parseShowProc(await sendRuntime(proxy.master, 'show proc')).workers
        await sendRuntime(proxy.master, 'reload').catch(() => '')
        for (let i = 0; i < 100; i++) {
          // The master re-executes itself on reload: its socket refuses connections for a moment.
          const w = await sendRuntime(proxy.master, 'show proc').then((t) => parseShowProc(t).workers, () => before)
          if (w.length > 0 && w[0] !== before[0]) break
          await sleep(50)
        }
        await send(listen, 30)
      },
      async () => {
        // A restart: the proxy is gone for a read, then back with counters from zero.
        await proxy.stop()
      },
      async () => {
        proxy = await startHaproxy(dirs)
        await send(listen, 25)
      },
    ]
    const io = {...processStatsIO(new HaproxySocketReader(proxy.admin, sendRuntime, () => new Date()), dirs.configDir, (l: string) => void warnings.push(l)), sleep: async () => void (await steps[step++]?.())}
    const frames: StatsFrame[] = []
    for await (const f of tailStats(io, opts)) frames.push(f)
    assert.equal(frames.length, 4, 'one read failed while HAProxy was down')
    const fe = (f: StatsFrame) => f.samples.find((s) => s.type === 'frontend' && s.kube?.vip === '192.0.2.1')!
    const delta = (i: number) => fe(frames[i]!).requests.rate! * ((Date.parse(frames[i]!.time) - Date.parse(frames[i - 1]!.time)) / 1000)
    assert.ok(Math.abs(delta(1) - 40) < 0.6, `40 requests, got ${delta(1)}`)
    assert.equal(frames[2]!.reset, true)
    assert.ok(Math.abs(delta(2) - 30) < 0.6, `30 requests after the reload, got ${delta(2)}`)
    assert.ok(fe(frames[2]!).requests.rate! >= 0)
    assert.equal(frames[3]!.reset, true)
    assert.ok(Math.abs(fe(frames[3]!).requests.total - 25) < 0.6, 'a restarted HAProxy counts from zero')
    assert.equal(warnings.filter((w) => /reloaded/.test(w)).length, 1, warnings.join('\n'))
    assert.equal(warnings.filter((w) => /not answering/.test(w)).length, 1, warnings.join('\n'))
    assert.equal(warnings.filter((w) => /answers again/.test(w)).length, 1, warnings.join('\n'))
  })

  it('shows a server taken down as DOWN with its check status', async () => {
    await backends[1]!.close()
    let row: StatsFrame['samples'][number] | undefined
    for (let i = 0; i < 40; i++) {
      row = (await snapshot()).find((r) => r.type === 'server' && r.kube?.pod === 'web-2')
      if (row?.status.startsWith('DOWN')) break
      await sleep(250)
    }
    assert.match(row!.status, /^DOWN/)
    assert.equal(row!.checkStatus, 'L4CON')
    const t = await vipctl(['stats', ...flags], {env: {COLUMNS: '200'}})
    assert.equal(t.code, 0)
    assert.match(t.stdout, /p_web_80\/SRV_\d+\s+p\/web-2\s+DOWN \(L4CON\)/)
    assert.match(t.stdout, /^TYPE\s+NAME\s+KUBERNETES\s+STATUS\s+REQ\/S/)
    backends[1] = await startBackend('web-2', '127.0.0.42', backends[0]!.port)
  })

  it('streams JSON lines off a terminal that validate against schemas/stats-sample.v1alpha1.json', async () => {
    const r = await vipctl(['stats', ...flags, '--follow', '--interval', '200ms', '--count', '3'])
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    const ajvMod: any = await import('ajv')
    const formatsMod: any = await import('ajv-formats')
    const Ajv = ajvMod.default?.default ?? ajvMod.default
    const ajv = new Ajv({allErrors: true, strict: true})
    ;(formatsMod.default?.default ?? formatsMod.default)(ajv)
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'schemas/stats-sample.v1alpha1.json'), 'utf8')))
    for (const l of lines) assert.ok(validate(JSON.parse(l)), `${l}\n${ajv.errorsText(validate.errors)}`)
    const times = new Set(lines.map((l) => JSON.parse(l).time))
    assert.equal(times.size, 3, 'three reads')
    assert.equal(lines.length % 3, 0, 'the same objects every read')
    assert.ok(lines.some((l) => JSON.parse(l).kube?.pod === 'web-1'))
  })

  it('prints Prometheus text that Prometheus\' own parser accepts', async () => {
    const r = await vipctl(['stats', ...flags, '-o', 'prometheus'])
    assert.equal(r.code, 0, r.stderr)
    const bin = execFileSync('bash', [path.join(ROOT, 'scripts', 'testcluster-build.sh')], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    const parsed = spawnSync(bin, ['-check-prometheus'], {input: r.stdout, encoding: 'utf8'})
    assert.equal(parsed.status, 0, parsed.stderr)
    const fams = JSON.parse(parsed.stdout).families
    assert.equal(fams.vipctl_requests_total.type, 'COUNTER')
    assert.equal(fams.vipctl_up.type, 'GAUGE')
    assert.match(r.stdout, /vipctl_requests_total\{type="backend",proxy="p_web_80",namespace="p",service="web"\} \d+/)
    // And a broken exposition is refused by the same parser (the check can fail).
    assert.notEqual(spawnSync(bin, ['-check-prometheus'], {input: 'vipctl_up{type="x} 1\n', encoding: 'utf8'}).status, 0)
  })

  it('reads the Prometheus exporter too, with the same counters as the socket', async () => {
    await send(listen, 5)
    const sock = await snapshot()
    const r = await vipctl(['stats', '--url', `http://${metrics}/metrics`, '--config-dir', dirs.configDir, '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    const prom = JSON.parse(r.stdout).items as typeof sock
    const be = (rows: typeof sock) => rows.find((x) => x.name === 'p_web_80')!
    assert.equal(be(prom).requests.total, be(sock).requests.total)
    assert.deepEqual(be(prom).kube, {namespace: 'p', service: 'web', port: 80})
    assert.equal(be(prom).requests.rate, null, 'the exporter has no current rate: unknown, not 0')
  })

  it('fails in one line with a documented code: socket missing, URL that is not HAProxy, bad flags', async () => {
    const missing = await vipctl(['stats', '--stats-socket', path.join(dirs.dir, 'nope.sock')])
    assert.equal(missing.code, 69)
    assert.match(missing.stderr, /^error: HAProxy socket .*nope\.sock does not exist/)
    assert.equal(missing.stderr.trim().split('\n').length, 1)
    const notHaproxy = await vipctl(['stats', '--url', `http://127.0.0.41:${backends[0]!.port}/`])
    assert.equal(notHaproxy.code, 69)
    assert.match(notHaproxy.stderr, /is not HAProxy's Prometheus exporter/)
    for (const bad of [['--interval', 'soon'], ['--filter', 'Bad_NS'], ['-o', 'json', '--follow'], ['--count', '2']]) {
      const r = await vipctl(['stats', ...flags, ...bad])
      assert.equal(r.code, 64, `${bad.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    }
  })

  it('draws the live view in a real terminal and quits cleanly on q (tmux)', async () => {
    const session = `vipctl-stats-${process.pid}`
    const tmux = (...a: string[]) => execFileSync('tmux', a, {encoding: 'utf8'})
    const cmd = `${process.execPath} ${path.join(ROOT, 'bin/run.js')} stats --follow --interval 300ms ${flags.join(' ')}; echo EXIT=$?; sleep 60`
    tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '30', '-e', 'NO_COLOR=', '-e', 'TERM=xterm-256color', cmd)
    try {
      const pane = () => tmux('capture-pane', '-p', '-t', session)
      let screen = ''
      const load = setInterval(() => void get(listen, 'web.test'), 20)
      try {
        for (let i = 0; i < 60; i++) {
          await sleep(200)
          screen = pane()
          // Wait for traffic in the sparkline and for both servers to have passed their first checks (rise 2).
          if (/[▂▃▄▅▆▇█]/.test(screen) && /servers up 2\/2/.test(screen)) break
        }
      } finally {
        clearInterval(load)
      }
      assert.match(screen, /^vipctl stats/m, screen)
      assert.match(screen, /TOTAL\s+req\/s [\d.]+\s+sess \d+\s+3xx \d+\s+4xx \d+\s+5xx \d+\s+err \d+\s+servers up 2\/2/, screen)
      assert.doesNotMatch(screen, /errors/, 'every count is named by what it counts')
      assert.match(screen, /^FRONTEND\s+KUBERNETES\s+STATUS\s+REQ\/S\s+SESS\s+3XX\s+4XX\s+5XX\s+ERR\s+RTIME/m, screen)
      assert.match(screen, /192\.0\.2\.1:80 web\.test\s+OPEN/, screen)
      assert.match(screen, /^p_web_80\s+p\/web:80\s+UP/m, screen)
      assert.match(screen, /p\/web-1\s+UP/, screen)
      assert.match(screen, /[▂▃▄▅▆▇█]/, 'a sparkline with traffic in it')
      assert.ok(screen.split('\n').every((l) => l.length <= 150))
      tmux('send-keys', '-t', session, 'q')
      for (let i = 0; i < 25 && !/EXIT=/.test(screen); i++) {
        await sleep(200)
        screen = pane()
      }
      assert.match(screen, /EXIT=0/, screen)
      assert.doesNotMatch(screen, /FRONTEND/, 'the alternate screen is gone: the terminal is restored')
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session])
    }
  })
  it('scrolls, sorts and filters in place at 100 columns, keys shown in the header (tmux send-keys)', async () => {
    const session = `vipctl-stats-keys-${process.pid}`
    const tmux = (...a: string[]) => execFileSync('tmux', a, {encoding: 'utf8'})
    const cmd = `${process.execPath} ${path.join(ROOT, 'bin/run.js')} stats --follow --interval 300ms ${flags.join(' ')}; echo EXIT=$?; sleep 60`
    // 12 rows: 5 header lines and 7 body lines, fewer than the view has, so it must scroll.
    tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '12', '-e', 'TERM=xterm-256color', cmd)
    const pane = () => tmux('capture-pane', '-p', '-t', session)
    const lines = () => pane().replace(/\n$/, '').split('\n')
    /** Polls the pane (bounded: 40 x 150 ms) until it matches. */
    const waitFor = async (re: RegExp, what: string): Promise<string> => {
      let screen = ''
      for (let i = 0; i < 40; i++) {
        screen = pane()
        if (re.test(screen)) return screen
        await sleep(150)
      }
      assert.fail(`${what}: ${re} not on the screen:\n${screen}`)
    }
    const keys = (...k: string[]) => tmux('send-keys', '-t', session, ...k)
    try {
      let screen = await waitFor(/p\/web-2\s+UP|servers up 2\/2/, 'first frame')
      screen = await waitFor(/^sort REQ\/S ↓ {2}filter none {2}rows 1-\d+ of \d+ ↓$/m, 'state line with more rows below')
      const total = Number(/rows 1-\d+ of (\d+)/.exec(screen)![1])
      const [head, keyLine] = lines()
      // The clock is whole at 100 columns, beside the title; the keys are the second line.
      assert.match(head!, /^vipctl stats {2}\d\d:\d\d:\d\dZ {2}every 0\.3s {2}/, screen)
      assert.equal(keyLine!.trimEnd(), 'q quit  ↑↓/jk PgUp/PgDn Home/End scroll  s sort  r reverse  / filter  ? help')
      assert.ok(lines().every((l) => l.length <= 100))
      assert.ok(lines().length <= 12)

      // Scroll: End shows the last server under a SERVER header; Home goes back; j moves a line.
      keys('End')
      screen = await waitFor(new RegExp(`rows \\d+-${total} of ${total} ↑$`, 'm'), 'End')
      assert.match(lines()[5]!, /^(BACKEND|SERVER)\s+KUBERNETES\s+STATUS/, screen)
      assert.match(lines().filter((l) => l.trim() !== '').at(-1)!, /^p_web_80\/SRV_\d+ /, screen)
      // Names and Pods whole at 100 columns.
      assert.match(screen, /^p_web_80\/SRV_\d+\s+p\/web-[12]\s+UP/m, screen)
      keys('Home')
      screen = await waitFor(/rows 1-\d+ of \d+ ↓$/m, 'Home')
      assert.match(lines()[5]!, /^FRONTEND\s+KUBERNETES/, screen)
      keys('NPage')
      screen = await waitFor(/^sort .* rows ([2-9]|\d\d+)-\d+ of \d+( ↓)? ↑$/m, 'PgDn')
      keys('g')
      await waitFor(/rows 1-\d+ of \d+ ↓$/m, 'g')

      // Sort: s moves to the next column, r reverses it.
      keys('s')
      await waitFor(/^sort SESS ↓ /m, 's')
      keys('r')
      await waitFor(/^sort SESS ↑ /m, 'r')
      keys('S', 'S')
      await waitFor(/^sort STATUS ↑ /m, 'S twice')

      // Filter: / then a substring; the view narrows as it is typed; Enter keeps it; Esc clears it.
      keys('/')
      await waitFor(/filter \/_ \(Enter keeps, Esc clears\)/, '/')
      keys('-l', 'web-2')
      screen = await waitFor(/filter \/web-2_ .*rows 1-1 of 1 \(\d+ filtered out\)/, 'typing')
      keys('Enter')
      screen = await waitFor(/filter "web-2" \(Esc clears\) {2}rows 1-1 of 1/, 'Enter')
      assert.match(screen, /^p_web_80\/SRV_\d+\s+p\/web-2\s+UP/m, screen)
      assert.doesNotMatch(screen, /p\/web-1/, screen)
      assert.doesNotMatch(screen, /^FRONTEND/m, 'sections without a match are left out')
      keys('Escape')
      screen = await waitFor(/filter none {2}rows 1-\d+ of \d+/, 'Esc')
      assert.match(screen, /^FRONTEND/m, screen)

      // ? shows what the columns count; Esc closes it.
      keys('?')
      screen = await waitFor(/help \(\? or Esc closes\)/, '?')
      assert.match(screen, /^Keys$/m, screen)
      keys('Escape')
      await waitFor(/filter none {2}rows 1-/, 'Esc closes the help')

      keys('q')
      screen = await waitFor(/EXIT=\d+/, 'quit')
      assert.match(screen, /EXIT=0/, screen)
      assert.doesNotMatch(screen, /KUBERNETES/, 'the alternate screen is gone: the terminal is restored')
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session])
    }
  })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the live view restores the terminal: main screen, cooked mode, echo (tmux)`, async () => {
      const session = `vipctl-stats-${signal}-${process.pid}`
      const tmux = (...a: string[]) => execFileSync('tmux', a, {encoding: 'utf8'})
      const cmd = `${process.execPath} ${path.join(ROOT, 'bin/run.js')} stats --follow --interval 300ms ${flags.join(' ')}; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ' '; echo; sleep 60`
      tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '20', '-e', 'TERM=xterm-256color', cmd)
      const pane = () => tmux('capture-pane', '-p', '-t', session)
      try {
        let screen = ''
        for (let i = 0; i < 40 && !/^sort /m.test(screen); i++) {
          await sleep(150)
          screen = pane()
        }
        assert.match(screen, /^sort REQ\/S/m, screen)
        // The pane's shell runs vipctl as its child: signal that process only.
        const shell = tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim()
        const child = execFileSync('ps', ['-o', 'pid=', '--ppid', shell], {encoding: 'utf8'}).trim().split('\n')[0]!.trim()
        assert.match(child, /^\d+$/)
        process.kill(Number(child), signal)
        for (let i = 0; i < 40 && !/EXIT=/.test(screen); i++) {
          await sleep(150)
          screen = pane()
        }
        assert.match(screen, /EXIT=0/, screen)
        for (let i = 0; i < 20 && !/icanon/.test(screen); i++) {
          await sleep(100)
          screen = pane()
        }
        assert.match(screen, /^icanon echo\s*$/m, `raw mode is off again:\n${screen}`)
        assert.doesNotMatch(screen, /KUBERNETES/, 'the alternate screen is gone')
      } finally {
        spawnSync('tmux', ['kill-session', '-t', session])
      }
    })
  }
})
