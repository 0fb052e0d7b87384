/** `vipctl diff|apply netscaler`: credentials, the NITRO session, plan and apply; results for the renderer. */
import {Flags} from '@oclif/core'
import type {Diagnostic} from '../../cluster/types.js'
import type {Compiled} from '../../model/compile.js'
import type {DocResult} from '../../output/render.js'
import {generateNetscaler, type NetscalerOptions} from '../../targets/netscaler/generate.js'
import {applyNetscaler, describeNetscalerPlan, planNetscaler, readAppliance, type NetscalerOutcome, type NetscalerPlan} from './apply.js'
import type {NitroClient} from '../../core/nitro.js'

export const nitroFlags = {
  'nitro-url': Flags.string({description: 'NetScaler management address, e.g. https://10.0.0.5', required: true, helpGroup: 'NITRO'}),
  'nitro-user': Flags.string({description: 'NITRO user (default: $NITRO_USER)', helpGroup: 'NITRO'}),
  'nitro-password-file': Flags.string({description: 'file holding the NITRO password (default: $NITRO_PASSWORD); never a flag value', helpGroup: 'NITRO'}),
  // --insecure-skip-tls-verify is kubectl's, about the API server: the appliance's has a name of its own.
  'nitro-insecure-skip-tls-verify': Flags.boolean({description: 'do not verify the appliance\'s TLS certificate (verified by default)', helpGroup: 'NITRO'}),
}

export async function planAgainstAppliance(c: Compiled, opts: NetscalerOptions, client: NitroClient) {
  const m = c.model
  const desired = generateNetscaler(m, c.secrets, opts)
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

/**
 * The warning for `--insecure-skip-tls-verify` on a NITRO command: it once meant the appliance's certificate and now
 * means the API server's (kubectl's flag); said every time, so no script loses the appliance's check unnoticed.
 */
export function nitroTlsFlagWarning(flags: {'insecure-skip-tls-verify'?: boolean; 'nitro-insecure-skip-tls-verify'?: boolean}): string | undefined {
  if (!flags['insecure-skip-tls-verify'] || flags['nitro-insecure-skip-tls-verify']) return undefined
  return "--insecure-skip-tls-verify skips the API server's certificate check (kubectl's meaning); the NetScaler's certificate is still verified (its flag is --nitro-insecure-skip-tls-verify)"
}
