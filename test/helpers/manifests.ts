/** Manifests written in a test, as the offline source reads them (sorted as every source sorts). */
import {parseInto} from '../../src/cluster/offline.js'
import {sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type Snapshot} from '../../src/cluster/types.js'

export function snapshotOf(text: string, file = 'm.yaml'): Snapshot {
  const s = emptySnapshot({kind: 'offline', files: [file]})
  parseInto(s, text, file)
  return sortSnapshot(s)
}
