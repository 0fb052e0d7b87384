/**
 * The layers, as a test: every relative import in src/ is checked against what
 * its folder may depend on. A stage only imports the stages below it; targets
 * never import each other; the model never imports check, output or targets;
 * cluster never imports output. README "Architecture" says what each owns.
 */
import assert from 'node:assert/strict'
import {readFileSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'

const SRC = 'src'

/** Folder (or file) -> what it may import besides itself. `errors.ts` and `core/` sit below everything. */
const ALLOWED: Record<string, string[]> = {
  'errors.ts': ['core'],
  core: ['errors.ts'],
  cluster: ['errors.ts', 'core'],
  model: ['errors.ts', 'core', 'cluster'],
  'targets/haproxy': ['errors.ts', 'core', 'cluster', 'model'],
  'targets/netscaler': ['errors.ts', 'core', 'cluster', 'model'],
  'targets/nftables': ['errors.ts', 'core', 'cluster', 'model'],
  output: ['errors.ts', 'core', 'cluster'],
  version: ['output'],
  // Services: each reaches only the targets it drives; the shared ports (files, runtime socket, NITRO, REST,
  // clock, exec) are in core/, so no service imports another service for them.
  'apply/haproxy': ['errors.ts', 'core', 'cluster', 'model', 'output', 'targets/haproxy'],
  'apply/netscaler': ['errors.ts', 'core', 'cluster', 'model', 'output', 'targets/netscaler'],
  'apply/vip': ['errors.ts', 'core', 'cluster', 'model', 'output', 'targets/haproxy', 'targets/nftables'],
  generate: ['errors.ts', 'core', 'cluster', 'model', 'output', 'targets/haproxy', 'targets/netscaler'],
  inspect: ['errors.ts', 'core', 'cluster', 'model', 'output'],
  install: ['errors.ts', 'core', 'cluster', 'model', 'output'],
  stats: ['errors.ts', 'core', 'output', 'targets/haproxy'],
  migrate: ['errors.ts', 'core', 'cluster', 'model', 'output', 'targets/haproxy', 'targets/netscaler', 'cli'],
  // check compares with what runs: the plans of apply (HAProxy, VIP rules), never their side effects.
  check: ['errors.ts', 'core', 'cluster', 'model', 'output', 'targets/haproxy', 'targets/netscaler', 'targets/nftables', 'apply/haproxy', 'apply/vip'],
  sync: ['errors.ts', 'core', 'cluster', 'model', 'output', 'targets/haproxy', 'apply/haproxy', 'apply/vip'],
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** The layer a file belongs to: the longest ALLOWED key its path starts with (or its top folder). */
function layerOf(file: string): string {
  const rel = path.relative(SRC, file)
  const keys = Object.keys(ALLOWED).filter((k) => rel === k || rel.startsWith(`${k}/`)).sort((a, b) => b.length - a.length)
  return keys[0] ?? rel.split('/')[0]!
}

describe('layers', () => {
  const imports = files(SRC).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from\s+'(\.{1,2}\/[^']+)'|import\('(\.{1,2}\/[^']+)'\)/gm)].map((m) => ({file, to: path.normalize(path.join(path.dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, '.ts')))})),
  )

  it('reads the imports (the test would pass vacuously otherwise)', () => {
    assert.ok(imports.length > 200, `${imports.length} imports`)
    assert.ok(imports.some((i) => layerOf(i.file) === 'model' && layerOf(i.to) === 'cluster'))
  })

  it('every folder of src/ has a rule (cli/ is the edge and may import any stage)', () => {
    const layers = new Set(files(SRC).map(layerOf))
    assert.deepEqual([...layers].filter((l) => !(l in ALLOWED) && l !== 'cli' && !/^(apply|targets)$/.test(l)).sort(), [])
  })

  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`${layer} imports only ${allowed.join(', ')} (and itself)`, () => {
      const bad = imports.filter((i) => layerOf(i.file) === layer && layerOf(i.to) !== layer && !allowed.includes(layerOf(i.to)))
      assert.deepEqual(bad.map((i) => `${i.file} -> ${i.to}`), [])
    })
  }

  it('no stage imports cli/ or commands/ (flags stay at the edge), except the interactive prompt migrate asks through', () => {
    const bad = imports.filter((i) => !['cli', 'commands'].includes(layerOf(i.file)) && layerOf(i.to) === 'cli' && !i.to.endsWith(path.join('cli', 'prompt.ts')))
    assert.deepEqual(bad.map((i) => `${i.file} -> ${i.to}`), [])
  })
})
