/** Confirmation before a change: only on a terminal, never under CI; --yes answers it. */
import {UsageError} from '../errors.js'

export interface PromptIO {
  stdinIsTTY: boolean
  stdoutIsTTY: boolean
  env: NodeJS.ProcessEnv
  confirm(message: string): Promise<boolean>
}

export function interactive(io: Pick<PromptIO, 'stdinIsTTY' | 'stdoutIsTTY' | 'env'>): boolean {
  const ci = io.env.CI
  return io.stdinIsTTY && io.stdoutIsTTY && (ci === undefined || ci === '' || ci === 'false' || ci === '0')
}

/** Resolves when the change may go ahead; false when the user said no. */
export async function confirmChange(message: string, yes: boolean, io: PromptIO): Promise<boolean> {
  if (yes) return true
  if (!interactive(io)) throw new UsageError('refusing to apply without confirmation: no terminal (or CI is set)', 'pass --yes, or --dry-run to see the plan')
  return io.confirm(message)
}

export function processPromptIO(): PromptIO {
  return {
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    confirm: async (message) => {
      const {confirm} = await import('@inquirer/prompts')
      return confirm({message, default: false})
    },
  }
}
