/**
 * Colour decisions in one place. chalk honours FORCE_COLOR and TTY detection
 * but not NO_COLOR, so we decide the level here and hand out an instance
 * (never mutating chalk's global).
 */
import {Chalk, type ChalkInstance} from 'chalk'

export interface ColorInputs {
  env: NodeJS.ProcessEnv
  isTTY: boolean
  /** --color / --no-color; undefined when not given. */
  flag?: boolean
}

/** 0 = none, 1 = basic, 2 = 256, 3 = truecolor. */
export function colorLevel({env, isTTY, flag}: ColorInputs): 0 | 1 | 2 | 3 {
  if (flag === false) return 0
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '') {
    if (force === 'false' || force === '0') return 0
    const n = Number(force)
    return n >= 1 && n <= 3 ? (n as 1 | 2 | 3) : 1
  }
  if (flag === true) return 1
  if (!isTTY || env.TERM === 'dumb') return 0
  return env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit' ? 3 : 1
}

export function makeChalk(inputs: ColorInputs): ChalkInstance {
  return new Chalk({level: colorLevel(inputs)})
}
