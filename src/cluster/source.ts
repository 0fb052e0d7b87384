/**
 * One entry point for "give me a Snapshot": manifests when -f is given, the
 * cluster otherwise. Each source is imported only when it is used: the live one
 * (and @kubernetes/client-node with it) when a command really talks to a
 * cluster, the offline one (and the YAML reader with it) for -f, so a live
 * command starts its first request without loading what only -f needs.
 */
import {LIMITS, readStreamBounded} from './bounded.js'
import type {Snapshot} from './types.js'

export interface SourceOptions {
  filenames?: string[]
  strict: boolean
  kubeconfig?: string
  context?: string
  namespace?: string
  allNamespaces: boolean
  requestTimeoutMs: number
  /** kubectl's client flags (see ClientOptions in cluster/live.ts). */
  client?: ClientOverrides
}

/** kubectl's client flags beyond the kubeconfig choice and the timeout. */
export interface ClientOverrides {
  server?: string
  token?: string
  insecureSkipTlsVerify?: boolean
  /** -v */
  verbosity?: number
  /** --as, --as-group */
  impersonate?: {user: string; groups: string[]}
}

export interface SourceIO {
  readStdin(): Promise<string>
  env: NodeJS.ProcessEnv
  /** One line to stderr (client warnings and -v request logs): required, so an insecure connection is never silent. */
  stderr: (line: string) => void
  /**
   * Called once the live source's first requests are on their way (never for -f): a command starts loading here
   * what it needs only when the replies are in (its view, the model), so that loads while the server answers.
   */
  meanwhile?: () => void
}

export interface Loaded {
  snapshot: Snapshot
  /** Namespace to show, or undefined for all. */
  namespace?: string
}

export async function loadSnapshot(opts: SourceOptions, io: SourceIO): Promise<Loaded> {
  if (opts.filenames && opts.filenames.length > 0) {
    const {loadOffline} = await import('./offline.js')
    const snapshot = await loadOffline({filenames: opts.filenames, strict: opts.strict}, io)
    return {snapshot, namespace: opts.allNamespaces ? undefined : opts.namespace}
  }
  const {loadLive} = await import('./live.js')
  return loadLive(opts, io)
}

/** Reads all of stdin (for -f -), bounded like a file: past 32 MiB it stops reading and throws `<stdin>: larger than 32 MiB`. */
export function readAll(stream: NodeJS.ReadableStream, maxBytes: number = LIMITS.fileBytes): Promise<string> {
  return readStreamBounded(stream, maxBytes, '<stdin>')
}
