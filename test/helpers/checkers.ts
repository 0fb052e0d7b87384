/**
 * The targets' own checkers, run on every distinct output (deduplicated by
 * hash): `haproxy -c` on a config written under a temp dir (server addresses
 * are only parsed, no traffic), and `nft -c -f` inside a network namespace the
 * checker creates and deletes. At most `concurrency` checks run at once.
 */
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import type {HaproxyConfig} from '../../src/targets/haproxy/generate.js'
import {CFG_DIR, RUN_DIR} from './targets.js'

const run = promisify(execFile)

export interface CheckFailure {
  key: string
  label: string
  message: string
}

/** Runs async jobs with bounded concurrency; drain() waits for all. */
class Pool {
  private running = 0
  private readonly queue: Array<() => Promise<void>> = []
  private idle: Array<() => void> = []
  constructor(private readonly concurrency: number) {}

  push(job: () => Promise<void>): void {
    this.queue.push(async () => {
      try {
        await job()
      } finally {
        this.running--
        this.next()
      }
    })
    this.next()
  }

  private next(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      this.running++
      void this.queue.shift()!()
    }
    if (this.running === 0 && this.queue.length === 0) {
      for (const f of this.idle) f()
      this.idle = []
    }
  }

  drain(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }
}

export function hashFiles(files: Array<{path: string; content: string}>): string {
  const h = createHash('sha256')
  for (const f of files) h.update(f.path).update('\0').update(f.content).update('\0')
  return h.digest('hex')
}

/** `haproxy -c` on each distinct HAProxy config. */
export class HaproxyChecker {
  readonly seen = new Set<string>()
  readonly failures: CheckFailure[] = []
  checked = 0
  private readonly pool: Pool
  private readonly root: string
  private readonly free: string[] = []

  constructor(concurrency = 2, private readonly max = Infinity) {
    this.pool = new Pool(concurrency)
    this.root = mkdtempSync(path.join(os.tmpdir(), 'vipctl-hcheck-'))
    for (let i = 0; i < concurrency; i++) this.free.push(path.join(this.root, `w${i}`))
  }

  /**
   * Queues the config unless an identical one was queued; returns true when it
   * was new. Identical means: the same files HAProxy reads (vipctl-index.json
   * is ours alone, HAProxy never opens it).
   */
  add(config: {files: Array<Pick<HaproxyConfig['files'][number], 'path' | 'content' | 'mode'>>}, label: string): boolean {
    const files = config.files.filter((f) => f.path !== 'vipctl-index.json')
    const key = hashFiles(files)
    if (this.seen.has(key) || this.seen.size >= this.max) return false
    this.seen.add(key)
    this.pool.push(async () => {
      const dir = this.free.pop()!
      try {
        rmSync(dir, {recursive: true, force: true})
        mkdirSync(dir, {recursive: true})
        for (const f of files) {
          mkdirSync(path.dirname(path.join(dir, f.path)), {recursive: true})
          // Our own temp paths stand in for the ones the config was rendered with.
          writeFileSync(path.join(dir, f.path), f.content.split(CFG_DIR).join(dir).split(RUN_DIR).join(dir), {mode: f.mode})
        }
        await run('haproxy', ['-c', '-q', '-f', path.join(dir, 'haproxy.cfg')], {timeout: 30_000, maxBuffer: 16 << 20})
      } catch (error) {
        const e = error as {stderr?: string; stdout?: string; message?: string}
        const again = (await run('haproxy', ['-c', '-f', path.join(dir, 'haproxy.cfg')], {timeout: 30_000}).catch((x: {stderr?: string}) => x)) as {stderr?: string}
        this.failures.push({key, label, message: (again.stderr || e.stderr || e.stdout || e.message || '').split('\n').filter((l) => /ALERT|error/i.test(l)).slice(0, 5).join(' | ')})
      } finally {
        this.checked++
        this.free.push(dir)
      }
    })
    return true
  }

  async done(): Promise<void> {
    await this.pool.drain()
    rmSync(this.root, {recursive: true, force: true})
  }
}

/** `nft -c -f` on each distinct script, inside a network namespace of our own. */
export class NftChecker {
  readonly seen = new Set<string>()
  readonly failures: CheckFailure[] = []
  checked = 0
  private readonly pool = new Pool(2)
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-ncheck-'))
  readonly ns = `vipctl-nftc-${process.pid}-${Math.floor(Math.random() * 1e6)}`
  private started = false

  async start(): Promise<void> {
    await run('ip', ['netns', 'add', this.ns])
    this.started = true
  }

  add(script: string, label: string): boolean {
    const key = createHash('sha256').update(script).digest('hex')
    if (this.seen.has(key)) return false
    this.seen.add(key)
    this.pool.push(async () => {
      const file = path.join(this.dir, `${key}.nft`)
      writeFileSync(file, script)
      try {
        await run('ip', ['netns', 'exec', this.ns, 'nft', '-c', '-f', file], {timeout: 30_000})
      } catch (error) {
        const e = error as {stderr?: string; message?: string}
        this.failures.push({key, label, message: (e.stderr || e.message || '').split('\n').slice(0, 4).join(' | ')})
      } finally {
        this.checked++
        rmSync(file, {force: true})
      }
    })
    return true
  }

  async done(): Promise<void> {
    await this.pool.drain()
    if (this.started) await run('ip', ['netns', 'delete', this.ns]).catch(() => undefined)
    this.started = false
    rmSync(this.dir, {recursive: true, force: true})
  }
}
