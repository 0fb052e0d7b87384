/**
 * One entry point for "give me a Snapshot": manifests when -f is given, the
 * cluster otherwise. The live source (and @kubernetes/client-node with it) is
 * imported only when a command really talks to a cluster.
 */
import {loadOffline} from './offline.js'
import type {Snapshot} from './types.js'

export interface SourceOptions {
  filenames?: string[]
  strict: boolean
  kubeconfig?: string
  context?: string
  namespace?: string
  allNamespaces: boolean
  requestTimeoutMs: number
}

export interface SourceIO {
  readStdin(): Promise<string>
  env: NodeJS.ProcessEnv
}

export interface Loaded {
  snapshot: Snapshot
  /** Namespace to show, or undefined for all. */
  namespace?: string
}

export async function loadSnapshot(opts: SourceOptions, io: SourceIO): Promise<Loaded> {
  if (opts.filenames && opts.filenames.length > 0) {
    const snapshot = await loadOffline({filenames: opts.filenames, strict: opts.strict}, io)
    return {snapshot, namespace: opts.allNamespaces ? undefined : opts.namespace}
  }
  const {loadLive} = await import('./live.js')
  return loadLive(opts, io)
}

/** Reads all of stdin (for -f -). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}
