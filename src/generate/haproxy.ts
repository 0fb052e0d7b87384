/** `vipctl generate haproxy`: Snapshot -> LbModel -> HAProxy files, printed or written to a directory. */
import type {Diagnostic} from '../cluster/types.js'
import type {Compiled} from '../model/compile.js'
import type {DocResult} from '../output/render.js'
import path from 'node:path'
import {checkTopDir, readTree, writeTree} from '../core/files.js'
import {INDEX_FILE, generateHaproxy, type HaproxyConfig, type HaproxyOptions} from '../targets/haproxy/generate.js'
import {listenPortsFrom} from '../targets/haproxy/read.js'
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

/** The model's findings and the HAProxy target's, with the files. Errors: UsageError when a listener clashes with --metrics-address. */
export function renderHaproxy(c: Compiled, opts: HaproxyOptions): {config: HaproxyConfig; diagnostics: Diagnostic[]} {
  const config = generateHaproxy(c.model, c.secrets, opts)
  checkListeners(config, opts)
  return {config, diagnostics: [...c.model.diagnostics, ...config.diagnostics]}
}

export async function generateHaproxyFiles(
  c: Compiled,
  opts: HaproxyOptions,
  outDir: string | undefined,
): Promise<{result: DocResult<GenerateView>; diagnostics: Diagnostic[]}> {
  // Writing over a config vipctl wrote: its frontends keep their listen ports (dnat layout).
  const previous = outDir && opts.listen.mode === 'address' ? (await readTree(outDir, [INDEX_FILE], [], {flag: '--out'}))[0]?.content : undefined
  const {config, diagnostics} = renderHaproxy(c, previous && opts.listen.mode === 'address' ? {...opts, listenPorts: listenPortsFrom(previous, opts.listen.address)} : opts)
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
