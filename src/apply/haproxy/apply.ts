/**
 * The HAProxy applier: read what runs, plan, and carry the plan out safely.
 *
 * Reload plans: render into a staging directory, `haproxy -c` it, keep the
 * current files as last-known-good, write the new files atomically, reload
 * through the master socket, confirm that a new worker generation started
 * (a reload can be silently dropped: retry once), verify through `show stat`
 * that every frontend, backend and server exists. On any failure after the
 * write: restore last-known-good, reload back, and say so.
 * Runtime plans: admin-socket commands, then haproxy.cfg rewritten to match.
 */
import path from 'node:path'
import type {Exec} from '../../core/exec.js'
import {DataError, PermissionError, UnavailableError, UsageError, VipError, oneLine} from '../../errors.js'
import {FILES_RESTORED, NOTHING_CHANGED, readTree, treeStateOf, removeOwnedDir, writeTree, type FileSpec, type TreeChange, type TreeFs} from '../../core/files.js'
import {checkListeners} from '../../targets/haproxy/options.js'
import {listenPortsFrom} from '../../targets/haproxy/read.js'
import {INDEX_FILE, generateHaproxy, hostPort, type HaproxyConfig, type HaproxyOptions, type SecretLookup} from '../../targets/haproxy/generate.js'
import type {LbModel} from '../../model/types.js'
import {planHaproxy, type HaproxyPlan, type ServerChange} from './plan.js'
import {parseServersState, parseShowProc, parseShowStat, type ProcInfo, type RuntimeSend, type ServerState} from '../../core/haproxy-runtime.js'


/** The I/O the applier needs; tests and commands pass the real ones. */
export interface HaproxyIO {
  send: RuntimeSend
  exec: Exec
  sleep(ms: number): Promise<void>
  /** File-system calls for the config directory (default: the real ones); tests inject failures. */
  fs?: TreeFs
}

export interface HaproxyTarget {
  masterSocket: string
  statsSocket: string
  haproxyBin: string
}

export const OWNED_DIRS = ['maps', 'certs']
/** Files at the top of the config directory that vipctl owns. */
export const TOP_FILES = ['haproxy.cfg', INDEX_FILE]
const LKG = '.last-known-good'
const STAGING = '.staging'

export interface Current {
  files: FileSpec[]
  runtime?: ServerState[]
}

/** Reads the files and, when `needRuntime`, the running server state (a missing socket is then an error). */
export async function readCurrent(opts: HaproxyOptions, target: HaproxyTarget, io: HaproxyIO, needRuntime: boolean): Promise<Current> {
  const files = await readTree(opts.configDir, TOP_FILES, OWNED_DIRS, {flag: '--config-dir', fs: io.fs})
  try {
    return {files, runtime: parseServersState(await io.send(target.statsSocket, 'show servers state'))}
  } catch (error) {
    if (needRuntime) throw error
    return {files}
  }
}

/** Slot assignment of what runs, so that rendering keeps every member where it is. */
export function slotsFrom(runtime: ServerState[] | undefined): Map<string, Map<string, string>> {
  const slots = new Map<string, Map<string, string>>()
  for (const s of runtime ?? []) {
    if (s.address === '0.0.0.0' && s.port === 0) continue
    const m = slots.get(s.backend) ?? new Map<string, string>()
    m.set(hostPort(s.address, s.port), s.server)
    slots.set(s.backend, m)
  }
  return slots
}

/** Server slots per backend in the running HAProxy (filled or not). */
export function slotCountsFrom(runtime: ServerState[] | undefined): Map<string, number> {
  const counts = new Map<string, number>()
  for (const s of runtime ?? []) if (/^SRV_\d+$/.test(s.server)) counts.set(s.backend, (counts.get(s.backend) ?? 0) + 1)
  return counts
}

export interface Planned {
  plan: HaproxyPlan
  desired: HaproxyConfig
  /** The options `desired` was rendered with (slots, listen ports): validation renders the same config into staging. */
  options: HaproxyOptions
}

export function plan(model: LbModel, secrets: SecretLookup, opts: HaproxyOptions, current: Current): Planned {
  const index = current.files.find((f) => f.path === INDEX_FILE)?.content
  const listenPorts = opts.listen.mode === 'address' ? listenPortsFrom(index, opts.listen.address) : undefined
  const options = {...opts, slots: slotsFrom(current.runtime), slotCounts: slotCountsFrom(current.runtime), listenPorts}
  const desired = generateHaproxy(model, secrets, options)
  checkListeners(desired, opts)
  return {plan: planHaproxy(current.files, desired, current.runtime), desired, options}
}

export interface ApplyOutcome {
  applied: 'none' | 'runtime' | 'reload'
  /** Master's reload counter after the apply. */
  reloads?: number
  workers?: number[]
  commands: number
}

export async function execute(planned: Planned, model: LbModel, secrets: SecretLookup, opts: HaproxyOptions, target: HaproxyTarget, io: HaproxyIO): Promise<ApplyOutcome> {
  const {plan: p, desired} = planned
  if (p.kind === 'none') return {applied: 'none', commands: 0}
  if (p.kind === 'runtime') {
    const {sent, error} = await sendServerCommands(p.servers, target.statsSocket, io)
    if (error) {
      // The running state is now partly changed: the full config is the truth, so reload it.
      return {...(await reload(desired, model, secrets, opts, planned.options, target, io, `runtime update failed (${oneLine(error.message)})`)), commands: sent}
    }
    try {
      await writeTree(opts.configDir, desired.files, OWNED_DIRS, {flag: '--config-dir', fs: io.fs})
    } catch (error) {
      // HAProxy now runs the new server state while the files still say the old one (writeTree put them back):
      // reload so that what runs is what the files say, as after any failed apply.
      // A half-restored tree must not be loaded.
      if (treeStateOf(error) === 'partial') throw retell(error, `the runtime update was applied but writing the files failed: ${oneLine((error as Error).message)}; HAProxy was not reloaded`)
      const reason = `the runtime update was applied but writing the files failed: ${detail(error)}`
      const before = await io.send(target.masterSocket, 'show proc').then(parseShowProc, () => undefined)
      const back = before ? await reloadAndConfirm(target, io, before).then(() => undefined, (e: Error) => e) : new Error('the master socket did not answer')
      if (back) throw new UnavailableError(`${reason}; the previous files were kept but reloading them failed (${oneLine(back.message)}): HAProxy runs servers its files do not list`, {cause: error})
      throw retell(error, `${reason}; the previous files were kept and HAProxy reloaded them (the runtime update is undone)`)
    }
    return {applied: 'runtime', commands: sent}
  }
  return reload(desired, model, secrets, opts, planned.options, target, io)
}

/**
 * Sends the runtime commands of server changes in order, each answer checked; stops at the first error (the
 * transport's, or HAProxy refusing a command). `sent`: the commands HAProxy answered. Used by apply and by
 * sync's endpoint-only patch.
 */
export async function sendServerCommands(servers: ServerChange[], socket: string, io: Pick<HaproxyIO, 'send'>): Promise<{sent: number; error?: Error}> {
  let sent = 0
  try {
    for (const s of servers)
      for (const cmd of s.commands) {
        const answer = (await io.send(socket, cmd)).trim()
        sent++
        if (answer !== '' && !/^IP changed from|^no need to change|^port changed/.test(answer)) throw new UnavailableError(`HAProxy refused "${cmd}": ${oneLine(answer)}`)
      }
  } catch (error) {
    return {sent, error: error as Error}
  }
  return {sent}
}

/** A writeTree error without its "nothing was changed" tail, for callers that changed something else. */
function detail(error: unknown): string {
  const m = oneLine((error as Error).message)
  for (const tail of [NOTHING_CHANGED, FILES_RESTORED]) if (m.endsWith(tail)) return m.slice(0, -tail.length)
  return m
}

/** The same kind of error (so the same exit code) with another message. */
function retell(error: unknown, message: string): Error {
  if (error instanceof UsageError) return new UsageError(message, error.hint)
  if (error instanceof PermissionError) return new PermissionError(message, {hint: error.hint, cause: error})
  if (error instanceof DataError) return new DataError(message, {hint: error.hint, cause: error})
  if (error instanceof VipError) return new UnavailableError(message, {hint: error.hint, cause: error})
  return error as Error // a bug stays a bug
}

async function reload(
  desired: HaproxyConfig,
  model: LbModel,
  secrets: SecretLookup,
  opts: HaproxyOptions,
  rendered: HaproxyOptions,
  target: HaproxyTarget,
  io: HaproxyIO,
  why?: string,
): Promise<ApplyOutcome> {
  await validate(model, secrets, rendered, target, io)
  const before = parseShowProc(await io.send(target.masterSocket, 'show proc'))
  const previous = await readTree(opts.configDir, TOP_FILES, OWNED_DIRS, {flag: '--config-dir', fs: io.fs})
  try {
    await removeOwnedDir(opts.configDir, LKG, {fs: io.fs})
    await writeTree(path.join(opts.configDir, LKG), previous, OWNED_DIRS, {fs: io.fs})
  } catch (error) {
    throw retell(error, `keeping the current files in ${LKG} failed: ${detail(error)}${NOTHING_CHANGED}`)
  }
  let change: TreeChange | undefined
  try {
    change = await writeTree(opts.configDir, desired.files, OWNED_DIRS, {flag: '--config-dir', fs: io.fs})
    const after = await reloadAndConfirm(target, io, before)
    await verify(desired, target, io)
    return {applied: 'reload', reloads: after.reloads, workers: after.workers, commands: 0}
  } catch (error) {
    const reason = oneLine((error as Error).message)
    const after = why ? ` after ${why}` : ''
    // The write itself failed: writeTree changed nothing or put everything back, and HAProxy was not reloaded.
    if (!change) {
      if (treeStateOf(error) === 'partial') throw retell(error, `writing the new configuration failed${after}: ${reason}; HAProxy was not reloaded; the previous files are in ${path.join(opts.configDir, LKG)}`)
      throw retell(error, `writing the new configuration failed${after}: ${detail(error)}; the previous files are in place and HAProxy still runs them (not reloaded)`)
    }
    if (previous.length === 0) throw new UnavailableError(`reload failed${after}: ${reason}; there was no previous configuration to restore`, {cause: error})
    const restored = await change.restore().then(() => undefined, (e: Error) => e)
    if (restored) throw new UnavailableError(`reload failed${after}: ${reason}; ${oneLine(restored.message)}; the previous files are in ${path.join(opts.configDir, LKG)}`, {cause: error})
    const mid = await io.send(target.masterSocket, 'show proc').then(parseShowProc, () => before)
    const back = await reloadAndConfirm(target, io, mid).then(() => undefined, (e: Error) => e)
    if (back) throw new UnavailableError(`reload failed${after}: ${reason}; restored the previous configuration files, but reloading them failed too: ${oneLine(back.message)}`, {cause: error})
    throw new UnavailableError(`reload failed${after}: ${reason}; restored the previous configuration and reloaded it`, {cause: error})
  }
}

/**
 * Renders the same config (the options the plan used: slots, listen ports) into a staging directory, with
 * paths of its own, and asks HAProxy to check it: what is checked is what will be written, bar the directory.
 */
export async function validate(model: LbModel, secrets: SecretLookup, rendered: HaproxyOptions, target: HaproxyTarget, io: HaproxyIO): Promise<void> {
  const stage = path.join(rendered.configDir, STAGING)
  await removeOwnedDir(rendered.configDir, STAGING, {fs: io.fs})
  const staged = generateHaproxy(model, secrets, {...rendered, configDir: stage})
  try {
    await writeTree(stage, staged.files, [], {fs: io.fs})
    const r = await io.exec(target.haproxyBin, ['-c', '-f', path.join(stage, 'haproxy.cfg')])
    if (r.code !== 0) {
      const alert = `${r.stderr}\n${r.stdout}`.split('\n').find((l) => l.includes('[ALERT]')) || `haproxy -c exited ${r.code}`
      throw new DataError(`HAProxy rejected the new configuration: ${oneLine(alert.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, '')).slice(0, 400)}`, {
        hint: 'nothing was changed; the running configuration is untouched',
      })
    }
  } finally {
    await removeOwnedDir(rendered.configDir, STAGING, {fs: io.fs}).catch(() => undefined)
  }
}

/** Sends `reload` and waits for a new worker generation; retries once when a reload is silently dropped. */
export async function reloadAndConfirm(target: HaproxyTarget, io: HaproxyIO, before: ProcInfo): Promise<ProcInfo> {
  for (let attempt = 0; attempt < 2; attempt++) {
    await io.send(target.masterSocket, 'reload')
    for (let waited = 0; waited < 5000; waited += 100) {
      await io.sleep(100)
      const now = await io.send(target.masterSocket, 'show proc').then(parseShowProc, () => undefined)
      if (!now) continue // the master re-executes itself during a reload
      if (now.failed > before.failed) throw new UnavailableError(`HAProxy could not load the new configuration (reload ${now.reloads}, failed ${now.failed})`)
      if (now.reloads > before.reloads && now.workers.some((w) => !before.workers.includes(w))) return now
    }
  }
  throw new UnavailableError('HAProxy did not start a new worker after two reload requests')
}

/** Every frontend, backend and server of the desired config is present in the running one. */
async function verify(desired: HaproxyConfig, target: HaproxyTarget, io: HaproxyIO): Promise<void> {
  const want = new Set<string>([...desired.listeners.keys()].map((f) => `${f}/FRONTEND`))
  for (const s of desired.servers) want.add(`${s.backend}/${s.server}`)
  let missing: string[] = []
  for (let i = 0; i < 20; i++) {
    const rows = await io.send(target.statsSocket, 'show stat').then(parseShowStat, () => [])
    const have = new Set(rows.map((r) => `${r.pxname}/${r.svname}`))
    missing = [...want].filter((w) => !have.has(w))
    if (missing.length === 0) return
    await io.sleep(100)
  }
  throw new UnavailableError(`the running configuration lacks ${missing.length} expected object(s), e.g. ${missing[0]}`)
}
