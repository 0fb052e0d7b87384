/**
 * The compile stage's front half: Snapshot -> LbModel, once per command and
 * per reconcile. Every target, `check`, `check trace` and the VIP rules take
 * the Compiled value; none builds the model again.
 */
import type {Snapshot} from '../cluster/types.js'
import {buildModel} from './build.js'
import {validateTls, type SecretLookup, type TlsResult} from './tls.js'
import type {LbModel, ModelOptions} from './types.js'

export interface Compiled {
  /** The snapshot the model was built from (analyzers read the objects themselves). */
  snapshot: Snapshot
  model: LbModel
  /** TLS Secrets by "namespace/name", validated on first use and then remembered (undefined: no such Secret). */
  secrets: SecretLookup
}

/** Builds the model once. Errors: none beyond buildModel's (findings are in model.diagnostics). */
export function compile(snapshot: Snapshot, opts: ModelOptions): Compiled {
  return {snapshot, model: buildModel(snapshot, opts), secrets: secretLookup(snapshot)}
}

/** The TLS Secrets of a snapshot, each parsed and checked by validateTls at most once. */
export function secretLookup(snap: Snapshot): SecretLookup {
  const byKey = new Map(snap.secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
  const seen = new Map<string, TlsResult | undefined>()
  return (key) => {
    if (seen.has(key)) return seen.get(key)
    const tls = byKey.get(key)?.tls
    const v = tls ? validateTls(tls.cert.reveal(), tls.key.reveal()) : undefined
    seen.set(key, v)
    return v
  }
}
