/**
 * The DaemonSet, run for real: `vipctl install --apply` against a control plane of our own, then
 * the Pod spec of the DaemonSet it applied is run from the image `npm run image` built
 * (build/vipctl-image.oci.tar; built here when missing or older than its inputs), container by
 * container, with runc (test/helpers/pod-runner.ts: exact command, args, env, volumes, user and
 * capabilities), "host networking" being the node namespace of a network lab, the API server
 * reached as the kubernetes Service (10.0.0.1:443 in the node namespace) with a token of the
 * ServiceAccount install created. The init container writes the first config, HAProxy 3.0 from
 * the image starts on it as the image's non-root user, sync turns ready, a new Pod at the API
 * server reaches HAProxy, and a client's requests through the VIP reach the lab's Pods.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {api, collectionPath, create, createNode, labCluster, readyStatus, waitForEndpointSlices, type Cluster} from '../helpers/cluster.js'
import {ROOT, vipctl} from '../helpers/cli.js'
import {labUp, type Lab} from '../helpers/netlab.js'
import {PodRunner, unpackImage, type OciImage, type PodContext, type Running} from '../helpers/pod-runner.js'
import {sendRuntime} from '../../src/core/haproxy-runtime.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, detail = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms\n${detail()}`)
    await sleep(200)
  }
}

/** The image archive, built by scripts/image.sh when missing or when its inputs changed (the script decides). */
function imageArchive(): string {
  const out = execFileSync('bash', [path.join(ROOT, 'scripts', 'image.sh')], {cwd: ROOT, encoding: 'utf8', env: {...process.env, VIPCTL_IMAGE_NO_BUILD: '1'}, stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000})
  return out.trim().split('\n').at(-1)!
}

/**
 * The API server as Pods reach it: socat on a unix socket on the host (a path every network namespace
 * shares) towards the API server's loopback port, and socat in the node namespace on the kubernetes
 * Service's address towards that socket. Processes of their own: the test's synchronous probes never stall them.
 */
async function apiBridge(lab: Lab, server: string, dir: string, vip: string): Promise<{close: () => void}> {
  const target = new URL(server)
  const sock = path.join(dir, 'api.sock')
  const host: ChildProcess = spawn('socat', [`UNIX-LISTEN:${sock},fork,mode=600`, `TCP:${target.hostname}:${target.port}`], {stdio: 'ignore'})
  lab.exec(lab.node, ['ip', 'addr', 'add', `${vip}/32`, 'dev', 'lo'])
  const node: ChildProcess = spawn('ip', ['netns', 'exec', lab.node, 'socat', `TCP-LISTEN:443,bind=${vip},fork,reuseaddr`, `UNIX-CONNECT:${sock}`], {stdio: 'ignore'})
  const close = () => {
    node.kill('SIGKILL')
    host.kill('SIGKILL')
  }
  try {
    await until('the API server through the bridge', 10_000, () => {
      try {
        return lab.exec(lab.node, ['curl', '-sk', '--max-time', '1', '-o', '/dev/null', '-w', '%{http_code}', `https://${vip}/readyz`]) !== '000' ? true : undefined
      } catch {
        return undefined
      }
    })
  } catch (error) {
    close()
    throw error
  }
  return {close}
}

describe('the image and the DaemonSet install writes, run from it (runc, lab network namespace)', function () {
  this.timeout(300_000)
  const ns = 'shop'
  const installNs = 'vipctl-system'
  const nodeName = 'node-image'
  const vip = '192.0.2.50'
  const IP = (i: number) => `10.244.90.${i}`
  let c: Cluster
  let stopCluster: (() => Promise<void>) | undefined
  let lab: Lab | undefined
  let bridge: {close: () => void} | undefined
  let runner: PodRunner | undefined
  const runners: PodRunner[] = []
  let podContext: PodContext
  let image: OciImage
  let pod: any
  let work: string
  let haproxy: Running
  let sync: Running
  const procStatus = (r: Running) => readFileSync(`/proc/${r.pid()}/status`, 'utf8')
  const runDir = () => runner!.volumePath('run')
  const configDir = () => runner!.volumePath('config')

  const addPod = (name: string, ip: string) =>
    create(c, {apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: ns, labels: {app: 'web'}}, spec: {nodeName, containers: [{name: 'web', image: 'web'}]}, status: readyStatus(ip)})
  /** Which Pods answer through the VIP (20 requests from the lab's client). */
  const answers = () => {
    const seen = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const r = lab!.curl(`http://${vip}/`, 'web.test')
      seen.add(r.status === 200 ? r.body : `status ${r.status}`)
    }
    return seen
  }

  before(async function () {
    this.timeout(900_000)
    const archive = imageArchive()
    work = mkdtempSync(path.join(os.tmpdir(), 'vipctl-image-'))
    image = unpackImage(archive, path.join(work, 'image'))
    const lc = await labCluster([])
    c = lc.cluster
    stopCluster = lc.stop
    lab = labUp([1, 2, 3].map((i) => ({name: `web-${i}`, ip: IP(i), ports: [8080]})), {prefix: `vi${process.pid % 100000}`})
    // The VIP is the node's (announced by the network, as keepalived or BGP would): HAProxy binds it.
    lab.exec(lab.node, ['ip', 'addr', 'add', `${vip}/32`, 'dev', 'lo'])
    await createNode(c, nodeName)
    await create(c, {apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}})
    await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: ns}, spec: {selector: {app: 'web'}, ports: [{name: 'http', port: 80, targetPort: 8080}]}})
    await addPod('web-1', IP(1))
    await addPod('web-2', IP(2))
    await create(c, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {name: 'web', namespace: ns, annotations: {'vipctl.io/vip': vip}},
      spec: {ingressClassName: 'vipctl', rules: [{host: 'web.test', http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]},
    })
    await waitForEndpointSlices(c, ns, 'web', (s) => s.flatMap((x: any) => x.endpoints ?? []).filter((e: any) => e.conditions?.ready).length === 2)

    // install, as an operator runs it: the default image is the published name, which the archive carries.
    const inst = await vipctl(['install', '--apply', '--kubeconfig', c.kubeconfig, '-n', installNs])
    assert.equal(inst.code, 0, inst.stderr)
    const ds = await api(c, 'GET', `/apis/apps/v1/namespaces/${installNs}/daemonsets/vipctl`)
    assert.equal(ds.status, 200)
    pod = ds.body.spec.template.spec
    const tr = await api(c, 'POST', `/api/v1/namespaces/${installNs}/serviceaccounts/${pod.serviceAccountName}/token`, {apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {expirationSeconds: 3600}})
    assert.equal(tr.status, 201, JSON.stringify(tr.body))
    const caCrt = readFileSync(path.join(c.dir, 'certs', 'serving', 'apiserver.crt'), 'utf8')
    // The kubernetes Service's address (the first of --service-cluster-ip-range), in the API server's certificate.
    bridge = await apiBridge(lab, c.server, work, '10.0.0.1')
    podContext = {namespace: installNs, podName: `vipctl-${nodeName}`, nodeName, netns: `/var/run/netns/${lab.node}`, serviceHost: '10.0.0.1', servicePort: 443, token: tr.body.status.token, caCrt}
    runner = new PodRunner(image, pod, podContext, path.join(work, 'pod'))
    runners.push(runner)
  })

  after(async function () {
    this.timeout(120_000)
    for (const r of runners) await r.close()
    bridge?.close()
    lab?.down()
    await stopCluster?.()
    if (work) rmSync(work, {recursive: true, force: true})
  })

  it('install defaults both containers to the published image, which is what the archive is tagged', () => {
    assert.match(image.ref, /^registry\.vipctl\.io\/vipctl:\d+\.\d+\.\d+/)
    const images = [...pod.initContainers, ...pod.containers].map((x: any) => `${x.name}=${x.image}`)
    assert.deepEqual(images, ['first-config', 'haproxy', 'sync'].map((n) => `${n}=${image.ref}`))
    assert.equal(pod.hostNetwork, true)
    // The image: vipctl as the entry point, a non-root user, and Node and HAProxy from Debian 13.
    assert.deepEqual(image.config.Entrypoint, ['/usr/bin/vipctl'])
    assert.equal(image.config.User, '65532:65532')
    const pkgs = readFileSync(path.join(image.rootfs, 'usr/share/vipctl/packages.txt'), 'utf8')
    assert.match(pkgs, /^nodejs 20\.(19|[2-9]\d)\./m)
    assert.match(pkgs, /^haproxy 3\.0\./m)
  })

  it('the configuration vipctl generates for every example passes haproxy -c, run as sync runs it (its user and capabilities)', async () => {
    const examples = readdirSync(path.join(ROOT, 'examples'), {withFileTypes: true}).filter((d) => d.isDirectory() && d.name !== 'broken').map((d) => d.name)
    assert.ok(examples.length >= 2, examples.join())
    // The files are bound into the container at /check: paths in the config are the ones HAProxy reads there.
    const checkDir = path.join(work, 'check')
    const check = (cfg: string, capabilities?: string[]) => runner!.run('sync', {command: ['haproxy', '-c', '-f', cfg], mounts: [{host: checkDir, path: '/check'}], capabilities})
    for (const ex of examples) {
      const g = await vipctl(['generate', 'haproxy', '-f', path.join(ROOT, 'examples', ex), '--config-dir', `/check/${ex}`, '--run-dir', '/run/vipctl', '--out', path.join(checkDir, ex)])
      assert.equal(g.code, 0, `${ex}: ${g.stderr}`)
    }
    writeFileSync(path.join(checkDir, 'bad.cfg'), 'global\n    no-such-keyword 1\n')
    // The files are the user's, as the init container writes them (vipctl on the host wrote them as root, keys 0600).
    execFileSync('chown', ['-R', '65532:65532', checkDir])
    for (const ex of examples) {
      const r = await check(`/check/${ex}/haproxy.cfg`)
      assert.equal(r.code, 0, `${ex}: ${r.out}`)
    }
    // The check is a real one: a line HAProxy does not know fails it.
    const bad = await check('/check/bad.cfg')
    assert.notEqual(bad.code, 0)
    assert.match(bad.out, /no-such-keyword/)
    // And the container is what the kernel sees: without NET_BIND_SERVICE in the bounding set, the image's haproxy
    // (file capability cap_net_bind_service=+ep) cannot be executed at all.
    const denied = await check(`/check/${examples[0]}/haproxy.cfg`, [])
    assert.notEqual(denied.code, 0)
    assert.match(denied.out, /operation not permitted/i)
  })

  it('the modules vipctl loads by name are in the image: -o yaml, -o jsonpath, -o custom-columns, --sort-by (as uid 65532)', async () => {
    const examples = path.join(ROOT, 'examples')
    const run = (args: string[]) => runner!.run('sync', {args, mounts: [{host: examples, path: '/examples'}]})
    const version = await run(['version', '-o', 'yaml'])
    assert.equal(version.code, 0, version.out)
    assert.match(version.out, /^kind: /m)
    const f = ['-f', '/examples/shop']
    const names = await run(['inspect', 'services', ...f, '-o', 'jsonpath={.items[*].name}'])
    assert.equal(names.code, 0, names.out)
    const local = await vipctl(['inspect', 'services', '-f', path.join(examples, 'shop'), '-o', 'jsonpath={.items[*].name}'])
    assert.equal(local.code, 0, local.stderr)
    assert.ok(local.stdout.trim().length > 0)
    assert.equal(names.out.trim(), local.stdout.trim())
    const cols = await run(['inspect', 'services', ...f, '-o', 'custom-columns=NAME:.name'])
    assert.equal(cols.code, 0, cols.out)
    assert.match(cols.out, /^NAME\n/)
    const bySort = ['--sort-by', '.clusterIP', '-o', 'jsonpath={.items[*].name}']
    const sorted = await run(['inspect', 'services', ...f, ...bySort])
    assert.equal(sorted.code, 0, sorted.out)
    const localSorted = await vipctl(['inspect', 'services', '-f', path.join(examples, 'shop'), ...bySort])
    assert.notEqual(localSorted.stdout.trim(), local.stdout.trim()) // an order of its own
    assert.equal(sorted.out.trim(), localSorted.stdout.trim())
    // And the user it ran as is the image's.
    const id = await runner!.run('sync', {command: ['id', '-u']})
    assert.equal(id.out.trim(), '65532')
  })

  it('the init container writes the first config from the cluster', async () => {
    const init = runner!.start('first-config')
    const code = await init.wait(60_000)
    assert.equal(code, 0, init.logs())
    const cfg = readFileSync(path.join(configDir(), 'haproxy.cfg'), 'utf8')
    assert.match(cfg, new RegExp(`bind ${vip.replaceAll('.', '\\.')}:80\\b`))
    assert.match(cfg, /server SRV_1 10\.244\.90\.1:8080 /)
    const files = readdirSync(configDir(), {recursive: true, encoding: 'utf8'})
    const maps = files.filter((f) => f.endsWith('.map')).map((f) => readFileSync(path.join(configDir(), f), 'utf8')).join('')
    assert.match(maps, /^web\.test\/ /m)
    // Written by the image's user, not root.
    for (const f of files) assert.equal(statSync(path.join(configDir(), f)).uid, 65532, f)
  })

  it('HAProxy 3.0 from the image starts on it, as uid 65532 with NET_BIND_SERVICE only', async () => {
    haproxy = runner!.start('haproxy')
    const info = await until('HAProxy admin socket', 30_000, () => sendRuntime(path.join(runDir(), 'admin.sock'), 'show info').catch(() => undefined), () => haproxy.logs())
    assert.match(info, /^Version: 3\.0\./m)
    const status = procStatus(haproxy)
    assert.match(status, /^Uid:\s+65532\s+65532\s+65532\s+65532$/m)
    assert.match(status, /^CapEff:\s+0000000000000400$/m) // CAP_NET_BIND_SERVICE (bit 10), nothing else
    assert.match(status, /^NoNewPrivs:\s+1$/m)
  })

  /** Waits for the sync container's readiness probe (as the Pod spec states it) to answer 200. */
  const syncReady = async (spec: any, sync: Running) => {
    const probe = spec.containers.find((x: any) => x.name === 'sync').readinessProbe.httpGet
    const url = `http://${probe.host}:${probe.port}${probe.path}`
    await until(
      'sync ready',
      90_000,
      () => {
        if (sync.exited()) throw new Error(`sync exited:\n${sync.logs()}`)
        try {
          return lab!.exec(lab!.node, ['curl', '-s', '--max-time', '2', '-o', '/dev/null', '-w', '%{http_code}', url]) === '200' ? true : undefined
        } catch {
          return undefined
        }
      },
      () => sync.logs(),
    )
  }

  it('sync turns ready on /readyz (the readiness probe of the Pod spec)', async () => {
    sync = runner!.start('sync')
    await syncReady(pod, sync)
    assert.match(procStatus(sync), /^Uid:\s+65532\s+65532\s+65532\s+65532$/m)
    // NET_BIND_SERVICE and nothing else, bounded for the haproxy -c it runs (effective too as runc sets a
    // non-root process's capabilities; runtimes that give a non-root process none leave CapEff empty).
    assert.match(procStatus(sync), /^CapBnd:\s+0000000000000400$/m)
    assert.match(procStatus(sync), /^CapEff:\s+0000000000000(000|400)$/m)
    // JSON log lines, and no token or key material in them.
    const lines = sync.logs().trim().split('\n').filter(Boolean)
    assert.ok(lines.length > 0)
    for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), l)
    assert.doesNotMatch(sync.logs(), /eyJ|BEGIN/)
  })

  it('traffic through the VIP reaches the lab\'s Pods', async () => {
    const seen = await until('both Pods answering through the VIP', 30_000, () => {
      const s = answers()
      return s.has('web-1') && s.has('web-2') ? s : undefined
    })
    assert.deepEqual([...seen].sort(), ['web-1', 'web-2'])
  })

  it('a change at the API server reaches HAProxy: a new Pod takes traffic, a deleted one stops', async () => {
    await addPod('web-3', IP(3))
    const res = await api(c, 'DELETE', `${collectionPath('Pod', ns)}/web-1`)
    assert.equal(res.status, 200)
    const seen = await until(
      'web-3 in and web-1 out through the VIP',
      60_000,
      () => {
        const s = answers()
        return s.has('web-3') && !s.has('web-1') ? s : undefined
      },
      () => sync.logs().split('\n').slice(-20).join('\n'),
    )
    assert.deepEqual([...seen].sort(), ['web-2', 'web-3'])
    assert.equal(haproxy.exited(), false, haproxy.logs())
  })

  /** A second Ingress on a VIP of its own: a new bind, so HAProxy must reload (after sync's `haproxy -c`). */
  const vip2 = '192.0.2.51'
  const addIngress2 = () =>
    create(c, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {name: 'web2', namespace: ns, annotations: {'vipctl.io/vip': vip2}},
      spec: {ingressClassName: 'vipctl', rules: [{host: 'web2.test', http: {paths: [{path: '/', pathType: 'Prefix', backend: {service: {name: 'web', port: {number: 80}}}}]}}]},
    })
  const servedOnVip2 = () => {
    const r = lab!.curl(`http://${vip2}/`, 'web2.test')
    return r.status === 200 ? r.body : undefined
  }
  const reloadTimes = () => sync.logs().split('\n').filter((l) => l.includes('reloaded HAProxy')).length

  it('a change that needs a reload (a new Ingress on a new VIP) passes sync\'s haproxy -c and is served; its removal too', async () => {
    lab!.exec(lab!.node, ['ip', 'addr', 'add', `${vip2}/32`, 'dev', 'lo'])
    const before = reloadTimes()
    await addIngress2()
    const body = await until(`web2.test through ${vip2}`, 60_000, servedOnVip2, () => sync.logs().split('\n').slice(-20).join('\n'))
    assert.match(body, /^web-[23]$/)
    await until('sync logs the reload', 15_000, () => (reloadTimes() > before ? true : undefined), () => sync.logs())
    assert.doesNotMatch(sync.logs(), /haproxy -c exited|permission denied/i)
    // Removed again (another reload): the VIP stops answering, the first one keeps serving.
    assert.equal((await api(c, 'DELETE', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web2`)).status, 200)
    await until(`${vip2} no longer served`, 60_000, () => (servedOnVip2() === undefined ? true : undefined), () => sync.logs().split('\n').slice(-20).join('\n'))
    assert.equal(lab!.curl(`http://${vip}/`, 'web.test').status, 200)
    assert.equal(haproxy.exited(), false, haproxy.logs())
    lab!.exec(lab!.node, ['ip', 'addr', 'del', `${vip2}/32`, 'dev', 'lo'])
  })

  it('with --vip-rules: the vip-rules init container puts the VIP on the node before HAProxy starts, and sync keeps it (root, NET_ADMIN only)', async () => {
    await runner!.close()
    lab!.exec(lab!.node, ['ip', 'addr', 'del', `${vip}/32`, 'dev', 'lo'])
    assert.equal(lab!.curl(`http://${vip}/`, 'web.test').status, 0)
    const inst = await vipctl(['install', '--apply', '--vip-rules', '--kubeconfig', c.kubeconfig, '-n', installNs])
    assert.equal(inst.code, 0, inst.stderr)
    const spec = (await api(c, 'GET', `/apis/apps/v1/namespaces/${installNs}/daemonsets/vipctl`)).body.spec.template.spec
    runner = new PodRunner(image, spec, podContext, path.join(work, 'pod-vip'))
    runners.push(runner)
    for (const name of ['first-config', 'vip-rules']) {
      const init = runner.start(name)
      assert.equal(await init.wait(60_000), 0, init.logs())
    }
    assert.match(lab!.exec(lab!.node, ['ip', '-o', 'addr', 'show', 'dev', 'lo']), new RegExp(`inet ${vip.replaceAll('.', '\\.')}/32`))
    // Listed with the image's own nft: Debian 12's nft 1.0.6 on the host crashes reading a table nft 1.1 wrote.
    assert.match(lab!.exec(lab!.node, ['chroot', image.rootfs, 'nft', 'list', 'table', 'ip', 'vipctl']), new RegExp(`elements = \\{ ${vip.replaceAll('.', '\\.')} \\}`))
    haproxy = runner.start('haproxy')
    await until('HAProxy admin socket', 30_000, () => sendRuntime(path.join(runner!.volumePath('run'), 'admin.sock'), 'show info').catch(() => undefined), () => haproxy.logs())
    sync = runner.start('sync')
    await syncReady(spec, sync)
    assert.match(procStatus(haproxy), /^Uid:\s+0\s+0\s+0\s+0$/m)
    assert.match(procStatus(haproxy), /^CapEff:\s+0000000000000400$/m) // NET_BIND_SERVICE only
    assert.match(procStatus(sync), /^CapEff:\s+0000000000001400$/m) // NET_ADMIN, and NET_BIND_SERVICE for the haproxy -c it runs
    const seen = await until('both Pods answering through the VIP', 30_000, () => {
      const s = answers()
      return s.has('web-2') && s.has('web-3') ? s : undefined
    })
    assert.deepEqual([...seen].sort(), ['web-2', 'web-3'])
  })

  it('with --vip-rules: a new Ingress on a new VIP goes live (sync puts the address on the node before the reload that binds it); its removal takes the address away', async () => {
    assert.doesNotMatch(lab!.exec(lab!.node, ['ip', '-o', 'addr', 'show', 'dev', 'lo']), new RegExp(`inet ${vip2.replaceAll('.', '\\.')}/32`))
    const before = reloadTimes()
    await addIngress2()
    const body = await until(`web2.test through ${vip2}`, 60_000, servedOnVip2, () => sync.logs().split('\n').slice(-20).join('\n'))
    assert.match(body, /^web-[23]$/)
    await until('sync logs the reload', 15_000, () => (reloadTimes() > before ? true : undefined), () => sync.logs())
    assert.doesNotMatch(sync.logs(), /reload failed/)
    assert.match(lab!.exec(lab!.node, ['ip', '-o', 'addr', 'show', 'dev', 'lo']), new RegExp(`inet ${vip2.replaceAll('.', '\\.')}/32`))
    assert.equal((await api(c, 'DELETE', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web2`)).status, 200)
    await until(`${vip2} no longer served`, 60_000, () => (servedOnVip2() === undefined ? true : undefined), () => sync.logs().split('\n').slice(-20).join('\n'))
    await until(`${vip2} off the node`, 30_000, () => (new RegExp(`inet ${vip2.replaceAll('.', '\\.')}/32`).test(lab!.exec(lab!.node, ['ip', '-o', 'addr', 'show', 'dev', 'lo'])) ? undefined : true))
    assert.equal(lab!.curl(`http://${vip}/`, 'web.test').status, 200)
    assert.equal(haproxy.exited(), false, haproxy.logs())
  })
})
