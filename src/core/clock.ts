/**
 * The clock port: every wait and timestamp in vipctl goes through one of these,
 * passed in by the caller, so tests drive time and nothing keeps module state.
 */

/** Milliseconds since the epoch (now), waits (sleep) and randomness (jitter), injectable. */
export interface Clock {
  now(): number
  /** Resolves after ms, or at once when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  random(): number
  /** Milliseconds on a monotonic clock (only differences mean anything); optional: now() stands in. */
  monotonic?(): number
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      const onAbort = () => (clearTimeout(t), resolve())
      const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms)
      signal?.addEventListener('abort', onAbort, {once: true})
    }),
  random: () => Math.random(),
  monotonic: () => performance.now(),
}
