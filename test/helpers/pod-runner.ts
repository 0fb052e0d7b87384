/**
 * Runs the containers of a Kubernetes Pod spec from an OCI image archive with runc, the way a
 * kubelet with containerd would: the image's ENTRYPOINT/CMD overridden by `command`/`args`,
 * its Env plus the container's `env` (fieldRef resolved) plus the variables the kubelet adds
 * (KUBERNETES_SERVICE_HOST/PORT), the user from `securityContext.runAsUser` or the image's USER,
 * containerd's default capabilities minus `drop` plus `add` (bounding, effective and permitted;
 * no inheritable or ambient, as containerd and runc set them), no_new_privs unless
 * `allowPrivilegeEscalation`, the Pod's volumes (emptyDir; `medium: Memory` as tmpfs) and the
 * ServiceAccount token at /var/run/secrets/kubernetes.io/serviceaccount. "Host networking" is the
 * network namespace given (a lab node). Each container gets its own writable layer (overlayfs
 * over the unpacked image). Every wait is bounded; `close()` stops and removes everything.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})

export interface OciImage {
  /** The name the archive is tagged with (org.opencontainers.image.ref.name). */
  ref: string
  rootfs: string
  config: {Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; User?: string; WorkingDir?: string}
}

/** Unpacks an OCI archive (one image) with umoci under `dir`. */
export function unpackImage(archive: string, dir: string): OciImage {
  const layout = path.join(dir, 'oci')
  mkdirSync(layout, {recursive: true})
  sh('tar', ['-xf', archive, '-C', layout])
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8'))
  if (index.manifests?.length !== 1) throw new Error(`${archive}: expected one image, found ${index.manifests?.length}`)
  const ref = index.manifests[0].annotations?.['org.opencontainers.image.ref.name']
  if (!ref) throw new Error(`${archive}: the image has no name`)
  const blob = (digest: string) => JSON.parse(readFileSync(path.join(layout, 'blobs', ...digest.split(':')), 'utf8'))
  const manifest = blob(index.manifests[0].digest)
  const config = blob(manifest.config.digest).config ?? {}
  const bundle = path.join(dir, 'bundle')
  // umoci's own tag is the part after the last colon of the ref (the archive names one image).
  sh('umoci', ['unpack', '--image', `${layout}:${ref}`, bundle])
  return {ref, rootfs: path.join(bundle, 'rootfs'), config}
}

/** containerd's default capabilities for a container (before the securityContext's drop and add). */
const DEFAULT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE']

export interface PodContext {
  namespace: string
  podName: string
  nodeName: string
  /** /var/run/netns/NAME of the node: the Pod's host network. */
  netns: string
  /** The API server as the Pod reaches it (the kubernetes Service). */
  serviceHost: string
  servicePort: number
  /** The ServiceAccount token, the cluster CA and the namespace, as the kubelet mounts them. */
  token: string
  caCrt: string
}

/** What a container runs instead of its spec's command and args, and host directories bound into it (read-only). */
export interface RunOverride {
  command?: string[]
  args?: string[]
  mounts?: Array<{host: string; path: string}>
  capabilities?: string[]
}

export interface Running {
  name: string
  id: string
  /** The container's first process (as the host sees it). */
  pid(): number
  exited(): boolean
  wait(timeoutMs: number): Promise<number>
  logs(): string
}

export class PodRunner {
  private readonly containers: Array<{id: string; child: ChildProcess; rootfs: string}> = []
  private readonly mounts: string[] = []
  private readonly volumes = new Map<string, string>()
  private readonly saDir: string
  private readonly runcRoot: string
  private readonly nofile: number
  private seq = 0

  constructor(
    private readonly image: OciImage,
    private readonly pod: any,
    private readonly ctx: PodContext,
    private readonly dir: string,
  ) {
    this.runcRoot = path.join(dir, 'runc')
    // A failure half-way (an unsupported volume, a mount refused) leaves no tmpfs behind: close() is never called then.
    try {
      mkdirSync(this.runcRoot, {recursive: true})
      for (const v of pod.volumes ?? []) {
        if (!v.emptyDir) throw new Error(`volume ${v.name}: only emptyDir is supported by this runner`)
        const host = path.join(dir, 'volumes', v.name)
        mkdirSync(host, {recursive: true})
        if (v.emptyDir.medium === 'Memory') {
          sh('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0777', 'tmpfs', host])
          this.mounts.push(host)
        }
        chmodSync(host, 0o777) // the kubelet makes emptyDirs world-writable
        this.volumes.set(v.name, host)
      }
      this.saDir = path.join(dir, 'serviceaccount')
      mkdirSync(this.saDir, {recursive: true})
      for (const [f, text] of [['token', ctx.token], ['ca.crt', ctx.caCrt], ['namespace', ctx.namespace]] as const) writeFileSync(path.join(this.saDir, f), text, {mode: 0o644})
      this.nofile = Number(sh('bash', ['-c', 'ulimit -Hn']).trim()) || 1024
    } catch (error) {
      this.unmountAll()
      throw error
    }
  }

  volumePath(name: string): string {
    const p = this.volumes.get(name)
    if (!p) throw new Error(`no volume ${name}`)
    return p
  }

  /**
   * Starts one container of the Pod spec (init or app) by name. `override` changes what it runs (command, args)
   * and adds read-only bind mounts, keeping everything else of the spec: user, capabilities, env, volumes.
   * `capabilities` replaces the container's `add` list (to show what a container without one would meet).
   */
  start(name: string, override: RunOverride = {}): Running {
    const found = [...(this.pod.initContainers ?? []), ...this.pod.containers].find((c: any) => c.name === name)
    if (!found) throw new Error(`no container ${name} in the Pod spec`)
    const spec = {...found, ...(override.command ? {command: override.command, args: override.args ?? []} : {}), ...(override.args ? {args: override.args} : {})}
    if (override.capabilities) spec.securityContext = {...spec.securityContext, capabilities: {...spec.securityContext?.capabilities, add: override.capabilities}}
    if (override.mounts) spec.extraMounts = override.mounts
    if (spec.image !== this.image.ref) throw new Error(`container ${name}: image ${spec.image} is not the archive's ${this.image.ref}`)
    const id = `vipctl-${process.pid}-${++this.seq}-${name}`
    const base = path.join(this.dir, 'containers', id)
    const rootfs = path.join(base, 'rootfs')
    for (const d of ['upper', 'work', 'rootfs']) mkdirSync(path.join(base, d), {recursive: true})
    sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${this.image.rootfs},upperdir=${base}/upper,workdir=${base}/work`, rootfs])
    this.mounts.push(rootfs)
    writeFileSync(path.join(base, 'config.json'), JSON.stringify(this.runtimeSpec(spec, rootfs), null, 2))
    const child = spawn('runc', ['--root', this.runcRoot, 'run', '--bundle', base, id], {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout!.on('data', (d) => (out = (out + d).slice(-200_000)))
    child.stderr!.on('data', (d) => (out = (out + d).slice(-200_000)))
    this.containers.push({id, child, rootfs})
    const exited = new Promise<number>((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : -1))))
    return {
      name,
      id,
      pid: () => {
        const state = JSON.parse(sh('runc', ['--root', this.runcRoot, 'state', id]))
        return state.pid as number
      },
      exited: () => child.exitCode !== null || child.signalCode !== null,
      wait: (timeoutMs) =>
        Promise.race([exited, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`container ${name} still running after ${timeoutMs} ms:\n${out}`)), timeoutMs).unref())]),
      logs: () => out,
    }
  }

  /** Runs a one-off container from the spec of `name` (see start) to its end: its exit code and output. */
  async run(name: string, override: RunOverride, timeoutMs = 60_000): Promise<{code: number; out: string}> {
    const r = this.start(name, override)
    const code = await r.wait(timeoutMs)
    return {code, out: r.logs()}
  }

  /** The OCI runtime spec for one container, from the Pod spec and the image config. */
  private runtimeSpec(c: any, rootfs: string): unknown {
    const sc = c.securityContext ?? {}
    const psc = this.pod.securityContext ?? {}
    const entry = c.command ?? this.image.config.Entrypoint ?? []
    const args = c.args ?? (c.command ? [] : (this.image.config.Cmd ?? []))
    if (entry.length + args.length === 0) throw new Error(`container ${c.name}: nothing to run`)
    const [imgUser, imgGroup] = (this.image.config.User ?? '0').split(':')
    const numeric = (v: string | undefined, what: string) => {
      if (v === undefined || v === '') return undefined
      if (!/^\d+$/.test(v)) throw new Error(`container ${c.name}: image ${what} ${v} is not numeric (this runner does not look names up)`)
      return Number(v)
    }
    const uid = sc.runAsUser ?? psc.runAsUser ?? numeric(imgUser, 'user') ?? 0
    const gid = sc.runAsGroup ?? psc.runAsGroup ?? numeric(imgGroup, 'group') ?? 0
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) && uid === 0) throw new Error(`container ${c.name}: runAsNonRoot and the image will run as root`)
    const drop: string[] = sc.capabilities?.drop ?? []
    const add: string[] = sc.capabilities?.add ?? []
    let caps = drop.includes('ALL') ? [] : DEFAULT_CAPS.filter((x) => !drop.includes(x))
    caps = [...new Set([...caps, ...add])].map((x) => `CAP_${x}`)
    const env = new Map<string, string>()
    for (const e of this.image.config.Env ?? []) env.set(e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1))
    env.set('HOSTNAME', this.ctx.nodeName)
    for (const e of c.env ?? []) env.set(e.name, e.value ?? this.fieldRef(c.name, e))
    const svc = {KUBERNETES_SERVICE_HOST: this.ctx.serviceHost, KUBERNETES_SERVICE_PORT: String(this.ctx.servicePort), KUBERNETES_PORT: `tcp://${this.ctx.serviceHost}:${this.ctx.servicePort}`}
    for (const [k, v] of Object.entries(svc)) env.set(k, v)
    const mounts: any[] = [
      {destination: '/proc', type: 'proc', source: 'proc'},
      {destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},
      {destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620']},
      {destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']},
      {destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev']},
      {destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro']},
      {destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=65536k']},
    ]
    for (const m of c.extraMounts ?? []) mounts.push({destination: m.path, type: 'bind', source: m.host, options: ['rbind', 'ro']})
    for (const m of c.volumeMounts ?? []) mounts.push({destination: m.mountPath, type: 'bind', source: this.volumePath(m.name), options: ['rbind', m.readOnly ? 'ro' : 'rw']})
    if (this.pod.automountServiceAccountToken !== false)
      mounts.push({destination: '/var/run/secrets/kubernetes.io/serviceaccount', type: 'bind', source: this.saDir, options: ['rbind', 'ro']})
    return {
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: {uid, gid},
        args: [...entry, ...args],
        env: [...env].map(([k, v]) => `${k}=${v}`),
        cwd: c.workingDir ?? this.image.config.WorkingDir ?? '/',
        capabilities: {bounding: caps, effective: caps, permitted: caps},
        rlimits: [{type: 'RLIMIT_NOFILE', hard: this.nofile, soft: this.nofile}],
        noNewPrivileges: sc.allowPrivilegeEscalation === false,
      },
      root: {path: rootfs, readonly: sc.readOnlyRootFilesystem === true},
      hostname: this.ctx.nodeName,
      mounts,
      linux: {
        namespaces: [{type: 'pid'}, {type: 'ipc'}, {type: 'uts'}, {type: 'mount'}, {type: 'network', path: this.ctx.netns}],
        maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
        readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      },
    }
  }

  private fieldRef(container: string, e: any): string {
    const f = e.valueFrom?.fieldRef?.fieldPath
    const known: Record<string, string> = {'metadata.namespace': this.ctx.namespace, 'metadata.name': this.ctx.podName, 'spec.nodeName': this.ctx.nodeName, 'spec.serviceAccountName': this.pod.serviceAccountName ?? 'default'}
    if (f && f in known) return known[f]!
    throw new Error(`container ${container}: env ${e.name} has a source this runner does not provide (${JSON.stringify(e.valueFrom)})`)
  }

  /** Stops every container (SIGTERM, then SIGKILL after `graceMs`), removes them, unmounts everything. */
  async close(graceMs = 10_000): Promise<void> {
    const runc = (args: string[]) => {
      try {
        sh('runc', ['--root', this.runcRoot, ...args])
      } catch {
        // already gone
      }
    }
    await Promise.all(
      this.containers.map(async ({id, child}) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        runc(['kill', id, 'TERM'])
        const done = await Promise.race([new Promise((r) => child.once('exit', () => r(true))), new Promise((r) => setTimeout(() => r(false), graceMs).unref())])
        if (!done) {
          runc(['kill', id, 'KILL'])
          await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000).unref())])
        }
      }),
    )
    for (const {id} of this.containers) runc(['delete', '--force', id])
    this.unmountAll()
    if (existsSync(this.dir)) rmSync(this.dir, {recursive: true, force: true})
  }

  /** Unmounts what this runner mounted, last first. */
  private unmountAll(): void {
    for (const m of this.mounts.splice(0).reverse()) {
      try {
        sh('umount', ['-l', m])
      } catch {
        // not mounted
      }
    }
  }
}
