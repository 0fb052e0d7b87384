/**
 * The stats service: read the proxy every interval, map rows to Kubernetes,
 * compute rates, filter and sort. A proxy that stops answering mid-tail
 * (restart) is said once and retried; the first read failing is an error.
 */
import type {HaproxyIndex} from '../targets/haproxy/generate.js'
import {oneLine} from '../errors.js'
import {annotate, applyFilter, sortSamples, type Filter, type SortKey} from './kube.js'
import {readIndex} from '../targets/haproxy/read.js'
import {withRates, type RateState} from './rates.js'
import type {StatSample, StatsFrame, StatsReader} from './types.js'

export interface StatsOptions {
  intervalMs: number
  /** Frames to produce, then stop (undefined: until aborted). */
  count?: number
  filter?: Filter
  sort: SortKey
  /** Show unused (spare) server slots too. */
  allSlots: boolean
}

export interface StatsIO {
  reader: StatsReader
  /** The index next to haproxy.cfg, when there is one. */
  readIndex: () => Promise<string | undefined>
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  now: () => number
  /** One line on stderr. */
  warn: (line: string) => void
}

/** A row as printed: the sample with the frame's time and source. */
export type StatRow = StatSample & {time: string; source: string}

export function rowsOf(frame: StatsFrame): StatRow[] {
  return frame.samples.map((s) => ({time: frame.time, source: frame.source, ...s}))
}

/** Spare slots: disabled servers that no endpoint fills (vipctl renders a few per backend). */
function isSpare(s: StatSample, index: HaproxyIndex | undefined): boolean {
  if (s.type !== 'server' || !/MAINT/.test(s.status)) return false
  if (index?.backends[s.proxy]) return !index.backends[s.proxy]!.servers[s.server ?? '']
  return s.address === undefined || s.address.startsWith('0.0.0.0:')
}

function shape(frame: StatsFrame, index: HaproxyIndex | undefined, opts: StatsOptions): StatsFrame {
  let samples = annotate(frame.samples, index)
  if (!opts.allSlots) samples = samples.filter((s) => !isSpare(s, index))
  samples = sortSamples(applyFilter(samples, opts.filter, index), opts.sort)
  return {...frame, samples}
}

/** One frame (one-shot `vipctl stats`). */
export async function statsOnce(io: StatsIO, opts: StatsOptions): Promise<StatsFrame> {
  const [raw, indexText] = await Promise.all([io.reader.read(), io.readIndex()])
  return shape(withRates(raw, undefined).frame, indexText === undefined ? undefined : readIndex(indexText), opts)
}

/** Frames every interval until count or abort. */
export async function* tailStats(io: StatsIO, opts: StatsOptions, signal?: AbortSignal): AsyncGenerator<StatsFrame> {
  let state: RateState | undefined
  let failing = false
  let produced = 0
  let first = true
  // The index changes only on apply: parse (and validate) it again only when its text changed.
  let indexText: string | undefined
  let index: HaproxyIndex | undefined
  // Notices quote the source and the proxy's or the system's words: one printable line each.
  const warn = (line: string) => io.warn(oneLine(line))
  while (!signal?.aborted && (opts.count === undefined || produced < opts.count)) {
    const started = io.now()
    try {
      const [raw, text] = await Promise.all([io.reader.read(), io.readIndex()])
      if (text !== indexText) {
        indexText = text
        index = text === undefined ? undefined : readIndex(text)
      }
      const r = withRates(raw, state)
      if (failing) warn(`${io.reader.source} answers again${r.frame.reset ? ' (new process: counters restarted, rates continue)' : ''}`)
      else if (r.frame.reset) warn(`${io.reader.source}: HAProxy reloaded (worker ${state?.pid ?? '?'} -> ${raw.process.pid ?? '?'}): counters restarted, rates continue`)
      failing = false
      first = false
      state = r.state
      produced++
      yield shape(r.frame, index, opts)
    } catch (e) {
      if (first) throw e
      if (!failing) warn(`${io.reader.source} is not answering (${(e as Error).message}); still trying every ${opts.intervalMs / 1000}s`)
      failing = true
      // A restart loses the counters: the next good frame starts a new baseline.
      if (opts.count !== undefined) produced++
    }
    if (opts.count !== undefined && produced >= opts.count) break
    await io.sleep(Math.max(0, opts.intervalMs - (io.now() - started)), signal)
  }
}
