/**
 * npm run conformance [-- --profiles GATEWAY-HTTP,GATEWAY-TLS --core --run-test A,B --skip-tests C,D --report FILE]
 *
 * Runs the upstream Gateway API conformance suite (sigs.k8s.io/gateway-api/conformance at the version
 * test/conformance/go.mod pins), unmodified, against vipctl:
 * 1. the lab: the test control plane with the workload controllers and the netns kubelet, which runs echo-basic
 *    (built from the same module) and CoreDNS (from its module, test/coredns) for the suite's Deployments in
 *    network namespaces;
 * 2. `vipctl install --apply` (the ServiceAccount and RBAC the node agent runs under), the GatewayClass `vipctl`;
 * 3. HAProxy on this host with `vipctl sync` as the node agent under that ServiceAccount's token, binding the
 *    Gateways' addresses from --vip-pool 127.30.0.0/16 (loopback: the suite reaches them from this host);
 * 4. the suite through a Go test of ours (test/conformance), which writes the ConformanceReport YAML;
 * then prints passed/failed/skipped per profile and stops everything it started, also on failure or Ctrl-C.
 *
 * The whole run lets the suite read the features vipctl claims from the GatewayClass status (as a user's run would).
 * --core runs only the profiles' core tests (the suite is told the core features alone: CI's tier); --run-test with
 * one or more test names runs those (the suite is told the features vipctl claims, since it infers none then).
 * Needs root (network namespaces, ports below 1024).
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parse} from 'yaml'
import {api, create, labCluster, type Cluster} from '../test/helpers/cluster.js'
import {startHaproxy, type Proxy} from '../test/helpers/haproxy.js'
import {SUPPORTED_FEATURES} from '../src/sync/status.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const VIP_POOL = '127.30.0.0/16'
const CLASS = 'vipctl'
/** The suite's tests vipctl's lab cannot run, with the reason (each listed in the report as skipped). */
const SKIPPED: Record<string, string> = {}

/** Each profile's core features (sigs.k8s.io/gateway-api/conformance/utils/suite/profiles.go). */
const CORE: Record<string, string[]> = {
  'GATEWAY-HTTP': ['Gateway', 'HTTPRoute', 'ReferenceGrant'],
  'GATEWAY-TLS': ['Gateway', 'TLSRoute', 'ReferenceGrant'],
  'GATEWAY-GRPC': ['Gateway', 'GRPCRoute', 'ReferenceGrant'],
}

interface Args {
  profiles: string
  core: boolean
  runTests: string[]
  skipTests: string[]
  report: string
  timeout: string
}

function args(argv: string[]): Args {
  const out: Args = {profiles: 'GATEWAY-HTTP', core: false, runTests: [], skipTests: [], report: path.join(root, 'conformance-report.yaml'), timeout: '90m'}
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i]!.indexOf('=')
    const [flag, inline] = eq > 0 ? [argv[i]!.slice(0, eq), argv[i]!.slice(eq + 1)] : [argv[i]!, undefined]
    const value = () => {
      if (inline !== undefined) return inline
      const v = argv[++i]
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`)
      return v
    }
    if (flag === '--profiles') out.profiles = value()
    else if (flag === '--run-test') out.runTests.push(...value().split(',').filter(Boolean))
    else if (flag === '--core') out.core = true
    else if (flag === '--skip-tests') out.skipTests.push(...value().split(',').filter(Boolean))
    else if (flag === '--report') out.report = path.resolve(value())
    else if (flag === '--timeout') out.timeout = value()
    else throw new Error(`unknown option ${argv[i]} (use --profiles, --core, --run-test, --skip-tests, --report, --timeout)`)
  }
  for (const p of out.profiles.split(',')) if (!CORE[p]) throw new Error(`unknown profile ${p} (use ${Object.keys(CORE).join(', ')})`)
  if (out.core && out.runTests.length) throw new Error('--core runs every core test of the profiles: give it or --run-test, not both')
  // Test names are checked before anything is built or started.
  if (out.runTests.length) {
    const all = suiteTests()
    const unknown = out.runTests.filter((n) => !all.includes(n))
    if (unknown.length) throw new Error(`no such test in the suite: ${unknown.join(', ')}`)
  }
  return out
}

const build = (what: string) => execFileSync('bash', [path.join(root, 'scripts', 'lab-build.sh'), what], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim()
const vipctl = (argv: string[], env: NodeJS.ProcessEnv = {}) => execFileSync(process.execPath, [path.join(root, 'bin', 'run.js'), ...argv], {encoding: 'utf8', env: {...process.env, NODE_OPTIONS: '', NO_COLOR: '1', ...env}})

/** A kubeconfig for the node agent: the ServiceAccount `install` created, with a token the API server issues. */
async function agentKubeconfig(c: Cluster, dir: string): Promise<string> {
  const list = JSON.parse(vipctl(['install', '-o', 'json'])) as {items: Array<{kind: string; metadata: {name: string; namespace?: string}}>}
  const sa = list.items.find((o) => o.kind === 'ServiceAccount')!
  const res = await api(c, 'POST', `/api/v1/namespaces/${sa.metadata.namespace}/serviceaccounts/${sa.metadata.name}/token`, {apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {expirationSeconds: 86400}})
  if (res.status !== 201) throw new Error(`token for ${sa.metadata.namespace}/${sa.metadata.name}: HTTP ${res.status}`)
  const file = path.join(dir, 'agent.kubeconfig')
  const ca = readFileSync(c.kubeconfig, 'utf8').match(/certificate-authority-data: (\S+)/)?.[1]
  writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{name: lab, cluster: {server: "${c.server}", ${ca ? `certificate-authority-data: ${ca}` : 'insecure-skip-tls-verify: true'}}}]\nusers: [{name: agent, user: {token: "${res.body.status.token}"}}]\ncontexts: [{name: lab, context: {cluster: lab, user: agent}}]\ncurrent-context: lab\n`, {mode: 0o600})
  return file
}

async function main(): Promise<number> {
  const a = args(process.argv.slice(2))
  if (process.getuid?.() !== 0) throw new Error('npm run conformance needs root: the lab runs Pods in network namespaces and HAProxy binds ports below 1024')
  const stops: Array<() => Promise<void> | void> = []
  // Once, last started first, whoever asks (a signal and the finally block may both).
  let stopping: Promise<void> | undefined
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const s of [...stops].reverse()) await Promise.resolve(s()).catch(() => undefined)
    })())
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      void stopAll().then(() => process.exit(130))
    })
  try {
    console.error('==> build vipctl, the control plane, echo-basic and the suite')
    execFileSync('npm', ['run', '-s', 'build'], {cwd: root, stdio: ['ignore', 'ignore', 'inherit']})
    const echo = build('echo-basic')
    // The base manifests deploy CoreDNS (for the UDPRoute tests): every run needs it, since the suite waits for
    // every Pod of its namespaces to be ready before any test.
    const coredns = build('coredns')
    const suite = build('conformance')
    console.error('==> the lab: control plane, workload controllers, netns kubelet')
    const lab = await labCluster(['-workload-controllers', '-kubelet-node', 'conformance', '-kubelet-pod-cidr', '10.252.0.0/22', '-kubelet-image', `registry.k8s.io/gateway-api/echo-basic=${echo}`, '-kubelet-image', `registry.k8s.io/coredns/coredns=${coredns}`])
    stops.push(lab.stop)
    const c = lab.cluster
    vipctl(['install', '--apply', '--kubeconfig', c.kubeconfig])
    await create(c, {apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: {name: CLASS}, spec: {controllerName: 'vipctl.io/gateway-controller'}})
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-conformance-'))
    const configDir = path.join(dir, 'config')
    const runDir = path.join(dir, 'run')
    mkdirSync(configDir, {recursive: true})
    mkdirSync(runDir, {recursive: true})
    const kc = await agentKubeconfig(c, dir)
    console.error('==> HAProxy and vipctl sync (the node agent, under the ServiceAccount install created)')
    const flags = ['--config-dir', configDir, '--run-dir', runDir, '--vip-pool', VIP_POOL, '--metrics-address', '127.0.0.1:29842']
    vipctl(['generate', 'haproxy', '--kubeconfig', kc, '-A', ...flags, '--out', configDir])
    const proxy: Proxy = await startHaproxy({dir, configDir, runDir})
    stops.push(() => proxy.stop())
    const sync: ChildProcess = spawn(process.execPath, [path.join(root, 'bin', 'run.js'), 'sync', '--kubeconfig', kc, ...flags, '--metrics-addr', '', '--log-format', 'json', '--lease-namespace', 'vipctl-system', '--identity', 'conformance'], {env: {...process.env, NODE_OPTIONS: '', NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
    const syncLog = path.join(dir, 'sync.log')
    let logs = ''
    sync.stdout!.on('data', (d) => (logs += d))
    sync.stderr!.on('data', (d) => (logs += d))
    stops.push(() => {
      writeFileSync(syncLog, logs)
      if (sync.exitCode === null) sync.kill('SIGTERM')
    })
    // The suite reads the features vipctl claims from the GatewayClass status: wait until sync has written it.
    for (let i = 0; ; i++) {
      const gc = (await api(c, 'GET', `/apis/gateway.networking.k8s.io/v1/gatewayclasses/${CLASS}`)).body
      if (gc?.status?.supportedFeatures?.length && gc.status.conditions?.some((x: {type: string; status: string}) => x.type === 'Accepted' && x.status === 'True')) break
      if (i >= 120) throw new Error(`GatewayClass ${CLASS} not accepted by vipctl sync within 60 s (see ${syncLog} after the run)`)
      await new Promise((r) => setTimeout(r, 500))
    }
    console.error(`==> the suite (profiles ${a.profiles}${a.core ? ', core tests' : ''}${a.runTests.length ? `, tests ${a.runTests.join(', ')}` : ''}); logs: ${dir}`)
    const skip = [...Object.keys(SKIPPED), ...a.skipTests]
    // Several tests: every other test of the suite is skipped (the suite's --run-test takes one name).
    if (a.runTests.length > 1) skip.push(...suiteTests().filter((n) => !a.runTests.includes(n)))
    // The suite infers features from the GatewayClass only for a whole run; otherwise it is told them.
    const features = a.core ? [...new Set(a.profiles.split(',').flatMap((p) => CORE[p]!))] : a.runTests.length ? SUPPORTED_FEATURES : []
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string}).version
    const suiteArgs = [
      `--gateway-class=${CLASS}`,
      `--conformance-profiles=${a.profiles}`,
      `--report-output=${a.report}`,
      '--organization=vipctl',
      '--project=vipctl',
      '--url=https://vipctl.io',
      `--version=v${version}`,
      '--contact=vipctl maintainers',
      '--mode=default',
      // GatewayStaticAddresses: an address vipctl serves (loopback, beside the pool) and one it cannot (link-local).
      '--usable-address=127.31.255.254',
      '--unusable-address=169.254.1.1',
      ...(a.runTests.length === 1 ? [`--run-test=${a.runTests[0]}`] : []),
      ...(features.length ? [`--supported-features=${features.join(',')}`] : []),
      ...(skip.length ? [`--skip-tests=${skip.join(',')}`] : []),
    ]
    const code = await new Promise<number>((resolve) => {
      const t = spawn(suite, ['-test.run', '^TestConformance$', '-test.v', '-test.timeout', a.timeout, ...suiteArgs], {env: {...process.env, KUBECONFIG: c.kubeconfig}, stdio: ['ignore', 'pipe', 'pipe'], cwd: dir})
      stops.push(() => {
        if (t.exitCode === null && t.signalCode === null) t.kill('SIGTERM')
      })
      const out: string[] = []
      const keep = (d: Buffer) => {
        out.push(d.toString())
        for (const line of d.toString().split('\n')) if (/^\s*--- (PASS|FAIL|SKIP)/.test(line)) console.error(line)
      }
      t.stdout!.on('data', keep)
      t.stderr!.on('data', keep)
      t.on('exit', (n) => {
        writeFileSync(path.join(dir, 'suite.log'), out.join(''))
        resolve(n ?? 1)
      })
    })
    summary(a.report, dir)
    return code === 0 ? 0 : 1
  } finally {
    await stopAll()
  }
}

/** Every test's ShortName in the suite's module (the version test/conformance/go.mod pins). */
function suiteTests(): string[] {
  const dir = execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', 'sigs.k8s.io/gateway-api/conformance'], {cwd: path.join(root, 'test', 'conformance'), encoding: 'utf8', env: {...process.env, GOFLAGS: '-mod=readonly', GOTOOLCHAIN: 'local'}}).trim()
  const names = new Set<string>()
  for (const f of readdirSync(path.join(dir, 'tests')).filter((x) => x.endsWith('.go')))
    for (const m of readFileSync(path.join(dir, 'tests', f), 'utf8').matchAll(/ShortName:\s*"([^"]+)"/g)) names.add(m[1]!)
  return [...names]
}

/** passed/failed/skipped per profile, from the ConformanceReport the suite wrote. */
function summary(report: string, dir: string): void {
  if (!existsSync(report)) {
    console.log(`no report was written (see ${path.join(dir, 'suite.log')})`)
    return
  }
  const r = parse(readFileSync(report, 'utf8')) as {profiles?: Array<{name: string; core?: {result?: string; statistics?: {Passed: number; Failed: number; Skipped: number}}; extended?: {result?: string; statistics?: {Passed: number; Failed: number; Skipped: number}; supportedFeatures?: string[]; unsupportedFeatures?: string[]}}>}
  console.log(`report: ${report}`)
  for (const p of r.profiles ?? []) {
    const s = (x?: {Passed: number; Failed: number; Skipped: number}) => (x ? `${x.Passed} passed, ${x.Failed} failed, ${x.Skipped} skipped` : 'not run')
    console.log(`${p.name}: core ${p.core?.result ?? '-'} (${s(p.core?.statistics)}); extended ${p.extended?.result ?? '-'} (${s(p.extended?.statistics)})`)
  }
  for (const [name, why] of Object.entries(SKIPPED)) console.log(`skipped by vipctl: ${name}: ${why}`)
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`conformance: ${error.message}`)
    process.exit(1)
  },
)
