/** `vipctl diff haproxy` and `vipctl apply haproxy`: the same pipeline; diff stops after the plan. */
import {processExec} from '../../core/exec.js'
import {setTimeout as sleep} from 'node:timers/promises'
import type {Diagnostic} from '../../cluster/types.js'
import type {Compiled} from '../../model/compile.js'
import type {DocResult} from '../../output/render.js'
import type {HaproxyOptions} from '../../targets/haproxy/generate.js'
import {execute, plan, readCurrent, validate, type ApplyOutcome, type HaproxyIO, type HaproxyTarget, type Planned} from './apply.js'
import {describePlan, type HaproxyPlan} from './plan.js'
import {sendRuntime} from '../../core/haproxy-runtime.js'
import {severityOf} from '../../core/catalog.js'

export function processHaproxyIO(): HaproxyIO {
  return {
    send: sendRuntime,
    sleep: (ms) => sleep(ms),
    exec: processExec({timeoutMs: 60_000, hint: 'install HAProxy or pass --haproxy-bin'}),
  }
}

export interface Prepared {
  planned: Planned
  diagnostics: Diagnostic[]
  run: () => Promise<ApplyOutcome>
  /** --dry-run=server: the new config checked by `haproxy -c` (in a staging directory), nothing written or reloaded. */
  validate: () => Promise<void>
}

/** Loads what runs, renders what is desired and plans; `run` carries the plan out. */
export async function prepareHaproxy(
  c: Compiled,
  opts: HaproxyOptions,
  target: HaproxyTarget,
  io: HaproxyIO,
  needRuntime: boolean,
): Promise<Prepared> {
  const {model, secrets} = c
  const current = await readCurrent(opts, target, io, needRuntime)
  const planned = plan(model, secrets, opts, current)
  const diagnostics = [...model.diagnostics, ...planned.desired.diagnostics]
  if (!current.runtime && !needRuntime)
    diagnostics.push({severity: severityOf('VIP3002'), code: 'VIP3002', object: target.statsSocket, message: 'HAProxy is not reachable: compared with the files only'})
  return {planned, diagnostics, run: () => execute(planned, model, secrets, opts, target, io), validate: () => (planned.plan.kind === 'none' ? Promise.resolve() : validate(model, secrets, planned.options, target, io))}
}

export interface PlanView {
  plan: HaproxyPlan
}

export function planResult(p: HaproxyPlan, exitOnChanges: boolean): DocResult<PlanView> {
  return {type: 'doc', kind: 'HaproxyPlan', data: {plan: p}, text: (d) => describePlan(d.plan), ...(exitOnChanges && p.kind !== 'none' ? {exit: 2} : {})}
}

export interface ApplyView {
  plan: HaproxyPlan
  outcome: ApplyOutcome | {applied: 'dry-run' | 'declined'}
}

export function applyResult(p: HaproxyPlan, outcome: ApplyView['outcome']): DocResult<ApplyView> {
  return {
    type: 'doc',
    kind: 'HaproxyApply',
    data: {plan: p, outcome},
    text: (d) => {
      const o = d.outcome
      const tail =
        o.applied === 'dry-run'
          ? 'dry run: nothing was changed.'
          : o.applied === 'declined'
            ? 'not applied.'
            : o.applied === 'none'
              ? ''
              : o.applied === 'runtime'
                ? `applied at runtime: ${o.commands} command(s), no reload.`
                : `reloaded: HAProxy reload ${(o as ApplyOutcome).reloads}, worker(s) ${(o as ApplyOutcome).workers?.join(', ')}.`
      return `${describePlan(d.plan)}${tail ? `${tail}\n` : ''}`
    },
  }
}
