/** `vipctl version`: what this binary is. Kept free of heavy imports. */
import type {DocResult} from '../output/render.js'

export interface VersionInfo {
  version: string
  node: string
  platform: string
}

export function versionResult(version: string, node: string, platform: string): DocResult<VersionInfo> {
  return {
    type: 'doc',
    kind: 'Version',
    data: {version, node, platform},
    text: (d) => `vipctl ${d.version} (node ${d.node}, ${d.platform})\n`,
  }
}
