/** A plain KIND / NAMESPACE / NAME table of Kubernetes objects: -o table for commands whose result is objects (install, migrate). */
import {printableShort} from '../core/printable.js'
import {maxOf} from '../core/arrays.js'

interface Named {
  kind?: unknown
  metadata?: {name?: unknown; namespace?: unknown}
}

/** One row per object, columns padded to the widest cell; a cluster-scoped object's namespace is empty. */
export function objectTable(objects: readonly Named[]): string {
  const rows = [['KIND', 'NAMESPACE', 'NAME'], ...objects.map((o) => [String(o.kind ?? ''), String(o.metadata?.namespace ?? ''), String(o.metadata?.name ?? '')].map((c) => printableShort(c, 253)))]
  const widths = [0, 1].map((i) => maxOf(rows.map((r) => r[i]!.length), 0))
  return rows.map((r) => `${r[0]!.padEnd(widths[0]! + 3)}${r[1]!.padEnd(widths[1]! + 3)}${r[2]}`.trimEnd()).join('\n') + '\n'
}
