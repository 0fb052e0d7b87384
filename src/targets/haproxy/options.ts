/** Flags of the HAProxy target, and flags -> HaproxyOptions. */
import {Flags} from '@oclif/core'
import path from 'node:path'
import {isIP} from 'node:net'
import {UsageError} from '../../errors.js'
import {DEFAULT_HAPROXY_OPTIONS, type HaproxyOptions} from './generate.js'

export const haproxyFlags = {
  'config-dir': Flags.string({description: 'directory HAProxy reads haproxy.cfg, maps/ and certs/ from', default: '/etc/haproxy/vipctl', helpGroup: 'HAPROXY'}),
  'run-dir': Flags.string({description: 'directory of the admin (stats) socket', default: '/run/vipctl', helpGroup: 'HAPROXY'}),
  nbthread: Flags.integer({description: 'HAProxy worker threads', default: DEFAULT_HAPROXY_OPTIONS.nbthread, min: 1, max: 64, helpGroup: 'HAPROXY'}),
  'spare-slots': Flags.integer({description: 'disabled server slots per backend for endpoints added at runtime', default: DEFAULT_HAPROXY_OPTIONS.spareSlots, min: 0, max: 1000, helpGroup: 'HAPROXY'}),
  'metrics-address': Flags.string({description: 'loopback address:port of the Prometheus exporter and stats page', default: DEFAULT_HAPROXY_OPTIONS.metricsAddress, helpGroup: 'HAPROXY'}),
  'listen-address': Flags.string({description: 'listen on this address instead of each VIP (dnat mode); ports from --listen-base-port', helpGroup: 'HAPROXY'}),
  'listen-base-port': Flags.integer({description: 'first port with --listen-address, one per frontend in order', default: 20080, min: 1, max: 65535, helpGroup: 'HAPROXY'}),
}

/** Where the running HAProxy is: used by diff and apply. */
export const haproxyTargetFlags = {
  'master-socket': Flags.string({description: 'HAProxy master socket (haproxy -W -S PATH); default <run-dir>/master.sock', helpGroup: 'HAPROXY'}),
  'stats-socket': Flags.string({description: 'HAProxy admin socket (unix path or 127.0.0.1:PORT); default <run-dir>/admin.sock', helpGroup: 'HAPROXY'}),
  'haproxy-bin': Flags.string({description: 'haproxy binary used to check configs', default: 'haproxy', helpGroup: 'HAPROXY'}),
}

export function haproxyTarget(f: {'master-socket'?: string; 'stats-socket'?: string; 'haproxy-bin': string}, opts: {runDir: string}) {
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

export function haproxyOptions(f: HaproxyFlagValues): HaproxyOptions {
  const m = /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(f['metrics-address'])
  if (!m || isIP(m[1]!.replace(/[[\]]/g, '')) === 0 || Number(m[2]) > 65535)
    throw new UsageError(`--metrics-address ${JSON.stringify(f['metrics-address'])}: expected IP:PORT, e.g. 127.0.0.1:8405`)
  if (f['listen-address'] !== undefined && (isIP(f['listen-address']) === 0 || f['listen-address'].includes('%'))) throw new UsageError(`--listen-address ${JSON.stringify(f['listen-address'])}: expected an IP address`)
  for (const [flag, dir] of [['--config-dir', f['config-dir']], ['--run-dir', f['run-dir']]] as const)
    if (!/^[A-Za-z0-9_.\/-]+$/.test(dir)) throw new UsageError(`${flag} ${JSON.stringify(dir)}: only letters, digits, "_", ".", "-" and "/" are allowed`)
  return {
    configDir: path.resolve(f['config-dir']),
    runDir: path.resolve(f['run-dir']),
    nbthread: f.nbthread,
    spareSlots: f['spare-slots'],
    metricsAddress: f['metrics-address'],
    listen: f['listen-address'] ? {mode: 'address', address: f['listen-address'], basePort: f['listen-base-port']} : {mode: 'vip'},
  }
}
