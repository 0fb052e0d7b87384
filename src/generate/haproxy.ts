/** `vipctl generate haproxy`: Snapshot -> LbModel -> HAProxy files, printed or written to a directory. */
import type {Diagnostic, Snapshot} from '../cluster/types.js'
import {buildModel} from '../model/build.js'
import {validateTls} from '../model/tls.js'
import type {ModelOptions} from '../model/types.js'
import type {DocResult} from '../output/render.js'
import path from 'node:path'
import {checkTopDir, readTree, writeTree} from '../apply/files.js'
import {INDEX_FILE, generateHaproxy, listenPortsFrom, type HaproxyConfig, type HaproxyOptions, type SecretLookup} from '../targets/haproxy/generate.js'
import {checkListeners} from '../targets/haproxy/options.js'

export interface GeneratedFileView {
  path: string
  mode: string
  bytes: number
  /** Absent for key material, which is never printed. */
  content?: string
}

export interface GenerateView {
  target: 'haproxy'
  outDir?: string
  files: GeneratedFileView[]
}

/**
 * The config names its maps and certificates by absolute path: written with --out, it must name where they
 * are, so --config-dir defaults to the --out directory (an explicit --config-dir still wins: files that will
 * live elsewhere). Problems with the directory are then named after --out (exit 64).
 */
export async function configDirFor(out: string | undefined, configDir: string, configDirDefaulted: boolean): Promise<string> {
  if (out === undefined || !configDirDefaulted) return configDir
  await checkTopDir(out, {flag: '--out', write: true})
  return path.resolve(out)
}

export function secretLookup(snap: Snapshot): SecretLookup {
  const byKey = new Map(snap.secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
  return (key) => {
    const tls = byKey.get(key)?.tls
    return tls ? validateTls(tls.cert.reveal(), tls.key.reveal()) : undefined
  }
}

export function renderHaproxy(snap: Snapshot, model: ModelOptions, opts: HaproxyOptions): {config: HaproxyConfig; diagnostics: Diagnostic[]} {
  const m = buildModel(snap, model)
  const config = generateHaproxy(m, secretLookup(snap), opts)
  checkListeners(config, opts)
  return {config, diagnostics: [...m.diagnostics, ...config.diagnostics]}
}

export async function generateHaproxyFiles(
  snap: Snapshot,
  model: ModelOptions,
  opts: HaproxyOptions,
  outDir: string | undefined,
): Promise<{result: DocResult<GenerateView>; diagnostics: Diagnostic[]}> {
  // Writing over a config vipctl wrote: its frontends keep their listen ports (dnat layout).
  const previous = outDir && opts.listen.mode === 'address' ? (await readTree(outDir, [INDEX_FILE], [], {flag: '--out'}))[0]?.content : undefined
  const {config, diagnostics} = renderHaproxy(snap, model, previous && opts.listen.mode === 'address' ? {...opts, listenPorts: listenPortsFrom(previous, opts.listen.address)} : opts)
  if (outDir) await writeTree(outDir, config.files, ['maps', 'certs'], {flag: '--out'})
  const files = config.files.map((f) => ({
    path: f.path,
    mode: `0${f.mode.toString(8)}`,
    bytes: Buffer.byteLength(f.content),
    ...(f.secret ? {} : {content: f.content}),
  }))
  return {
    diagnostics,
    result: {
      type: 'doc',
      kind: 'GeneratedConfig',
      data: {target: 'haproxy', ...(outDir ? {outDir} : {}), files},
      text: (d) =>
        d.outDir
          ? `${d.files.map((f) => `wrote ${d.outDir}/${f.path} (${f.bytes} bytes, mode ${f.mode})`).join('\n')}\n`
          : d.files
              .map((f) => (f.content === undefined ? `# ==> ${f.path} (${f.bytes} bytes, mode ${f.mode}: key material, not printed) <==\n` : `# ==> ${f.path} <==\n${f.content}`))
              .join('\n'),
    },
  }
}
