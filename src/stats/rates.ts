/**
 * Rates from counter deltas, correct across reloads: when the worker changes
 * (pid) or a counter goes backwards, the proxy started counting from zero, so
 * the delta is the new value itself (Prometheus' rate() does the same).
 */
import {sampleKey, type StatsFrame} from './types.js'

export interface RateState {
  time: number
  pid?: number
  totals: Map<string, number>
}

/** Fills requests.rate of each sample from the previous frame; returns the frame (with reset) and the state for the next call. */
export function withRates(frame: Omit<StatsFrame, 'reset'>, prev: RateState | undefined): {frame: StatsFrame; state: RateState} {
  const t = Date.parse(frame.time)
  const pidChanged = prev !== undefined && prev.pid !== undefined && frame.process.pid !== undefined && prev.pid !== frame.process.pid
  let wentBack = false
  const dt = prev ? (t - prev.time) / 1000 : 0
  const totals = new Map<string, number>()
  const samples = frame.samples.map((s) => {
    const k = sampleKey(s)
    totals.set(k, s.requests.total)
    if (!prev || dt <= 0) return s
    const before = prev.totals.get(k)
    if (before === undefined) return {...s, requests: {...s.requests, rate: round(s.requests.total / dt)}}
    const reset = pidChanged || s.requests.total < before
    if (s.requests.total < before) wentBack = true
    const delta = reset ? s.requests.total : s.requests.total - before
    return {...s, requests: {...s.requests, rate: round(delta / dt)}}
  })
  return {frame: {...frame, samples, reset: pidChanged || wentBack}, state: {time: t, pid: frame.process.pid, totals}}
}

const round = (v: number) => Math.round(v * 100) / 100
