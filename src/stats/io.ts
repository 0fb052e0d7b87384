/** The stats service's I/O for a real process: socket or HTTP reader, the index file, timers. */
import {readTree} from '../core/files.js'
import {socketOption} from '../targets/haproxy/options.js'
import path from 'node:path'
import {sendRuntime} from '../core/haproxy-runtime.js'
import {UsageError} from '../errors.js'
import {INDEX_FILE} from '../targets/haproxy/generate.js'
import {HaproxySocketReader} from './haproxy.js'
import {HaproxyPrometheusReader, httpGet} from './prometheus.js'
import type {StatsIO, StatsOptions} from './tail.js'
import type {StatsReader} from './types.js'
import {parseFilter, type SortKey} from './kube.js'
import {nitroClient} from '../core/nitro.js'
import {NitroStatsReader} from './nitro.js'
import {systemClock} from '../core/clock.js'
import {parseDuration} from '../core/duration.js'

export interface StatsFlagValues {
  'stats-socket'?: string
  url?: string
  'run-dir': string
  'config-dir': string
  interval: string
  count?: number
  sort: SortKey
  filter?: string
  'all-slots': boolean
  'nitro-url'?: string
  'nitro-user'?: string
  'nitro-password-file'?: string
  'nitro-insecure-skip-tls-verify'?: boolean
}

/** "2s", "500ms", "1m", "1.5s", "1m30s", or a bare number of seconds ("2", "1.5") -> milliseconds (100 ms .. 1 h). */
export function parseInterval(text: string): number {
  const parsed = parseDuration(text, {units: ['ms', 's', 'm', 'h'], fractions: true, bare: 'seconds'})
  if (parsed === undefined) throw new UsageError(`--interval ${JSON.stringify(text)}: expected a duration such as 1s, 500ms or 1m`)
  const ms = Math.round(parsed)
  if (ms < 100 || ms > 3_600_000) throw new UsageError(`--interval ${text}: must be between 100ms and 1h`)
  return ms
}

export function statsOptions(f: StatsFlagValues): StatsOptions {
  return {intervalMs: parseInterval(f.interval), count: f.count, sort: f.sort, filter: f.filter === undefined ? undefined : parseFilter(f.filter), allSlots: f['all-slots']}
}

export function statsReader(f: StatsFlagValues, now: () => Date = () => new Date(), env: NodeJS.ProcessEnv = process.env): StatsReader {
  if (f['nitro-url'] !== undefined) {
    const client = nitroClient({'nitro-url': f['nitro-url'], 'nitro-user': f['nitro-user'], 'nitro-password-file': f['nitro-password-file'], 'nitro-insecure-skip-tls-verify': Boolean(f['nitro-insecure-skip-tls-verify'])}, env)
    return new NitroStatsReader(client, undefined, now)
  }
  if (f.url !== undefined) {
    let u: URL
    try {
      u = new URL(f.url)
    } catch {
      throw new UsageError(`--url ${JSON.stringify(f.url)}: not a URL (e.g. http://127.0.0.1:8405/metrics)`)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url ${f.url}: only http and https are supported`)
    return new HaproxyPrometheusReader(u.toString(), httpGet, now)
  }
  // A unix path or a loopback address: the admin socket is never reached over the network.
  socketOption('--stats-socket', f['stats-socket'])
  const socket = f['stats-socket'] ?? path.join(f['run-dir'], 'admin.sock')
  return new HaproxySocketReader(socket, sendRuntime, now)
}

export function processStatsIO(reader: StatsReader, configDir: string, warn: (line: string) => void): StatsIO {
  return {
    reader,
    // Never through a symlink (an error naming it, exit 65); absent is fine (no Kubernetes names).
    readIndex: async () => (await readTree(configDir, [INDEX_FILE], []))[0]?.content,
    sleep: systemClock.sleep,
    now: () => Date.now(),
    warn,
  }
}
