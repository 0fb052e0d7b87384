/** Flags of the HAProxy target, and flags -> HaproxyOptions. */
import {parseListenAddress} from '../../model/ip.js'
import {Flags} from '@oclif/core'
import path from 'node:path'
import {UsageError} from '../../errors.js'
import {hostPortOption} from '../../core/address.js'
import {maxOf} from '../../core/arrays.js'
import {DEFAULT_HAPROXY_OPTIONS, type HaproxyConfig, type HaproxyOptions} from './generate.js'

export const haproxyFlags = {
  'config-dir': Flags.string({description: 'directory HAProxy reads haproxy.cfg, maps/ and certs/ from', default: '/etc/haproxy/vipctl', helpGroup: 'HAPROXY'}),
  'run-dir': Flags.string({description: 'directory of the admin (stats) socket', default: '/run/vipctl', helpGroup: 'HAPROXY'}),
  nbthread: Flags.integer({description: 'HAProxy worker threads', default: DEFAULT_HAPROXY_OPTIONS.nbthread, min: 1, max: 64, helpGroup: 'HAPROXY'}),
  'spare-slots': Flags.integer({description: 'disabled server slots per backend for endpoints added at runtime', default: DEFAULT_HAPROXY_OPTIONS.spareSlots, min: 0, max: 1000, helpGroup: 'HAPROXY'}),
  'metrics-address': Flags.string({description: 'loopback address:port of the Prometheus exporter and stats page', default: DEFAULT_HAPROXY_OPTIONS.metricsAddress, helpGroup: 'HAPROXY'}),
  'listen-address': Flags.string({description: 'listen on this address instead of each VIP (dnat mode); ports from --listen-base-port', helpGroup: 'HAPROXY'}),
  'listen-base-port': Flags.integer({description: 'first port with --listen-address: each VIP:port keeps its port (read from the index in --config-dir); new ones take the lowest free port from here', default: 20080, min: 1, max: 65535, helpGroup: 'HAPROXY'}),
}

/**
 * The HAProxy flags the VIP rules depend on, and only those (VIP commands take no others): where HAProxy listens
 * in dnat mode (--listen-address, --listen-base-port), the port index it keeps in --config-dir, and the metrics
 * port that is never handed to a frontend.
 */
export const listenFlags = {
  'config-dir': haproxyFlags['config-dir'],
  'metrics-address': haproxyFlags['metrics-address'],
  'listen-address': haproxyFlags['listen-address'],
  'listen-base-port': haproxyFlags['listen-base-port'],
}

/**
 * HAProxy flags VIP commands once took but never used: hidden, accepted so that scripts keep working, and each
 * one given is a warning (ignoredFlagWarnings).
 */
export const ignoredHaproxyFlags = {
  'run-dir': Flags.string({hidden: true, description: 'ignored (HAProxy\'s admin socket directory; the VIP rules do not depend on it)'}),
  nbthread: Flags.integer({hidden: true, description: 'ignored (HAProxy worker threads)'}),
  'spare-slots': Flags.integer({hidden: true, description: 'ignored (HAProxy server slots)'}),
}

/** One warning per ignoredHaproxyFlags flag that was given. */
export function ignoredFlagWarnings(f: Partial<Record<keyof typeof ignoredHaproxyFlags, unknown>>, command: string): string[] {
  return Object.keys(ignoredHaproxyFlags)
    .filter((k) => f[k as keyof typeof ignoredHaproxyFlags] !== undefined)
    .map((k) => `--${k} is an HAProxy flag that ${command} does not use: ignored (it will be removed)`)
}

/** listenFlags -> HaproxyOptions, the flags VIP commands do not take at their defaults. */
export function listenOptions(f: Pick<HaproxyFlagValues, 'config-dir' | 'metrics-address' | 'listen-address' | 'listen-base-port'>): HaproxyOptions {
  return haproxyOptions({...f, 'run-dir': '/run/vipctl', nbthread: DEFAULT_HAPROXY_OPTIONS.nbthread, 'spare-slots': DEFAULT_HAPROXY_OPTIONS.spareSlots})
}

/** Where the running HAProxy is: used by diff and apply. */
export const haproxyTargetFlags = {
  'master-socket': Flags.string({description: 'HAProxy master socket (haproxy -W -S PATH); default <run-dir>/master.sock', helpGroup: 'HAPROXY'}),
  'stats-socket': Flags.string({description: 'HAProxy admin socket (unix path or 127.0.0.1:PORT); default <run-dir>/admin.sock', helpGroup: 'HAPROXY'}),
  'haproxy-bin': Flags.string({description: 'haproxy binary used to check configs', default: 'haproxy', helpGroup: 'HAPROXY'}),
}

/** A runtime socket flag: a unix socket path, or a loopback IPv4 address:port (admin commands travel in clear text). */
/** A unix socket path or a loopback IPv4:port; anything else is a usage error naming the flag. */
export function socketOption(flag: string, text: string | undefined): void {
  if (text === undefined) return
  if (text === '') throw new UsageError(`${flag} "": expected a unix socket path or 127.0.0.1:PORT`)
  if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text)) hostPortOption(flag, text, {loopback: true, example: '127.0.0.1:9999'})
  else if (/^\[.*\]:\d+$/.test(text) || /^[A-Za-z0-9.-]+:\d+$/.test(text)) throw new UsageError(`${flag} ${text}: expected a unix socket path or 127.0.0.1:PORT (no host names or IPv6)`)
}

export function haproxyTarget(f: {'master-socket'?: string; 'stats-socket'?: string; 'haproxy-bin': string}, opts: {runDir: string}) {
  socketOption('--master-socket', f['master-socket'])
  socketOption('--stats-socket', f['stats-socket'])
  return {
    masterSocket: f['master-socket'] ?? path.join(opts.runDir, 'master.sock'),
    statsSocket: f['stats-socket'] ?? path.join(opts.runDir, 'admin.sock'),
    haproxyBin: f['haproxy-bin'],
  }
}

export interface HaproxyFlagValues {
  'config-dir': string
  'run-dir': string
  nbthread: number
  'spare-slots': number
  'metrics-address': string
  'listen-address'?: string
  'listen-base-port': number
}

/** Characters HAProxy takes in a bare path token inside converters and crt-list (no quoting needed, no "," or ")"). */
const SAFE_PATH = /^[A-Za-z0-9_.\/-]+$/
/** Longest admin socket path HAProxy 2.6 accepts ("socket path ... too long (max 97)"). */
const MAX_SOCKET_PATH = 97

/** A directory flag as the absolute path HAProxy will be given, checked as HAProxy and the kernel will see it. */
function dirOption(flag: string, dir: string): string {
  if (dir === '') throw new UsageError(`${flag} "": expected a directory`)
  const abs = path.resolve(dir)
  const shown = abs === dir ? JSON.stringify(dir) : `${JSON.stringify(dir)} (resolved: ${JSON.stringify(abs)})`
  if (!SAFE_PATH.test(abs)) throw new UsageError(`${flag} ${shown}: HAProxy needs a path of letters, digits, "_", ".", "-" and "/" only`)
  const under = ['/proc', '/sys'].find((p) => abs === p || abs.startsWith(`${p}/`))
  if (under) throw new UsageError(`${flag} ${shown}: is under ${under}, where no configuration or socket belongs`)
  return abs
}

export function haproxyOptions(f: HaproxyFlagValues): HaproxyOptions {
  hostPortOption('--metrics-address', f['metrics-address'], {loopback: true})
  const listenAddress = f['listen-address'] !== undefined ? parseListenAddress(f['listen-address']) : undefined
  const configDir = dirOption('--config-dir', f['config-dir'])
  const runDir = dirOption('--run-dir', f['run-dir'])
  const admin = path.join(runDir, 'admin.sock')
  if (Buffer.byteLength(admin) > MAX_SOCKET_PATH)
    throw new UsageError(`--run-dir ${JSON.stringify(f['run-dir'])}: the admin socket ${admin} would be ${Buffer.byteLength(admin)} bytes long; HAProxy takes at most ${MAX_SOCKET_PATH}`)
  return {
    configDir,
    runDir,
    nbthread: f.nbthread,
    spareSlots: f['spare-slots'],
    metricsAddress: f['metrics-address'],
    listen: listenAddress !== undefined ? {mode: 'address', address: listenAddress, basePort: f['listen-base-port']} : {mode: 'vip'},
  }
}

/**
 * Flags checked against what they produced: with --listen-address, every
 * frontend's port must exist (the metrics port is never handed out: see the
 * HAProxy target's listen ports).
 */
export function checkListeners(config: Pick<HaproxyConfig, 'listeners'>, opts: HaproxyOptions): void {
  if (opts.listen.mode !== 'address') return
  const ports = [...config.listeners.values()].map((l) => l.port)
  if (ports.length === 0) return
  const base = opts.listen.basePort
  const last = maxOf(ports)
  if (last > 65535)
    throw new UsageError(`--listen-base-port ${base}: the ${ports.length} frontends need ports ${base}-${last}, but the last port is 65535 (use --listen-base-port ${Math.max(1, 65535 - (last - base))} or lower)`)
}

