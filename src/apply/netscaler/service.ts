/** `vipctl diff|apply netscaler`: credentials, the NITRO session, plan and apply; results for the renderer. */
import {readFileSync} from 'node:fs'
import {Flags} from '@oclif/core'
import type {Diagnostic, Snapshot} from '../../cluster/types.js'
import {UsageError} from '../../errors.js'
import {secretLookup} from '../../generate/haproxy.js'
import {buildModel} from '../../model/build.js'
import type {ModelOptions} from '../../model/types.js'
import type {DocResult} from '../../output/render.js'
import {generateNetscaler, type NetscalerOptions} from '../../targets/netscaler/generate.js'
import {applyNetscaler, describeNetscalerPlan, planNetscaler, readAppliance, type NetscalerOutcome, type NetscalerPlan} from './apply.js'
import {httpTransport, NitroClient, type NitroTransport} from './nitro.js'

export const nitroFlags = {
  'nitro-url': Flags.string({description: 'NetScaler management address, e.g. https://10.0.0.5', required: true, helpGroup: 'NITRO'}),
  'nitro-user': Flags.string({description: 'NITRO user (default: $NITRO_USER)', helpGroup: 'NITRO'}),
  'nitro-password-file': Flags.string({description: 'file holding the NITRO password (default: $NITRO_PASSWORD); never a flag value', helpGroup: 'NITRO'}),
  'insecure-skip-tls-verify': Flags.boolean({description: 'do not verify the appliance\'s TLS certificate (verified by default)', helpGroup: 'NITRO'}),
}

export interface NitroFlagValues {
  'nitro-url': string
  'nitro-user'?: string
  'nitro-password-file'?: string
  'insecure-skip-tls-verify': boolean
}

export function nitroClient(f: NitroFlagValues, env: NodeJS.ProcessEnv, transport?: NitroTransport): NitroClient {
  const username = f['nitro-user'] ?? env.NITRO_USER
  if (!username) throw new UsageError('no NITRO user: pass --nitro-user or set NITRO_USER')
  let password = env.NITRO_PASSWORD
  if (f['nitro-password-file']) {
    try {
      password = readFileSync(f['nitro-password-file'], 'utf8').replace(/\r?\n$/, '')
    } catch (e) {
      throw new UsageError(`--nitro-password-file ${f['nitro-password-file']}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`)
    }
  }
  if (!password) throw new UsageError('no NITRO password: set NITRO_PASSWORD or pass --nitro-password-file')
  let url: URL
  try {
    url = new URL(f['nitro-url'])
  } catch {
    throw new UsageError(`--nitro-url ${JSON.stringify(f['nitro-url'])}: not a URL`)
  }
  return new NitroClient(url.origin, {username, password}, transport ?? httpTransport(f['insecure-skip-tls-verify']))
}

export async function planAgainstAppliance(snap: Snapshot, model: ModelOptions, opts: NetscalerOptions, client: NitroClient) {
  const m = buildModel(snap, model)
  const desired = generateNetscaler(m, secretLookup(snap), opts)
  const observed = await readAppliance(client, opts.prefix)
  return {desired, plan: planNetscaler(desired, observed), diagnostics: [...m.diagnostics, ...desired.diagnostics] as Diagnostic[]}
}

export function netscalerPlanResult(plan: NetscalerPlan, outcome?: NetscalerOutcome | {applied: 'dry-run' | 'declined'}): DocResult<{plan: {changes: Array<{action: string; type: string; key: string; detail?: string}>}; outcome?: unknown}> {
  return {
    type: 'doc',
    kind: outcome ? 'NetscalerApply' : 'NetscalerPlan',
    data: {plan: {changes: plan.changes.map((c) => ({action: c.action, type: c.type, key: c.key, ...(c.detail ? {detail: c.detail} : {})}))}, ...(outcome ? {outcome} : {})},
    text: () =>
      `${describeNetscalerPlan(plan)}${outcome ? ('applied' in outcome ? (outcome.applied === 'dry-run' ? 'dry run: nothing was changed.\n' : 'not applied.\n') : `applied: ${outcome.added} added, ${outcome.updated} updated, ${outcome.removed} removed.\n`) : ''}`,
    ...(!outcome && plan.changes.length > 0 ? {exit: 2} : {}),
  }
}

export {applyNetscaler}
