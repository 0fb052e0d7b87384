/** `vipctl generate netscaler`: Snapshot -> LbModel -> ns.conf batch and NITRO requests, printed or written with the certificate files. */
import {Flags} from '@oclif/core'
import type {Diagnostic} from '../cluster/types.js'
import {writeTree} from '../core/files.js'
import {UsageError} from '../errors.js'
import type {Compiled} from '../model/compile.js'
import type {DocResult} from '../output/render.js'
import {generateNetscaler, renderBatch, renderNitro, type NetscalerOptions} from '../targets/netscaler/generate.js'
import type {GenerateView} from './haproxy.js'

/** Flags of the NetScaler target, shared by generate, diff and apply. */
export const netscalerFlags = {
  prefix: Flags.string({description: 'entity name prefix, separating clusters that share one ADC', default: 'k8s', helpGroup: 'NETSCALER'}),
  // --cert-dir is migrate's local directory: the appliance's path has a name of its own (the old spelling warns).
  'appliance-cert-dir': Flags.string({description: 'where certificate files are on the appliance', default: '/nsconfig/ssl', aliases: ['cert-dir'], deprecateAliases: true, helpGroup: 'NETSCALER'}),
}

export function netscalerOptions(f: {prefix: string; 'appliance-cert-dir': string}): NetscalerOptions {
  if (!/^[a-z0-9][a-z0-9-]{0,15}$/.test(f.prefix)) throw new UsageError(`--prefix ${JSON.stringify(f.prefix)}: 1-16 lower-case letters, digits and "-" (NetScaler entity names start with it)`)
  const dir = f['appliance-cert-dir']
  if (!/^\/[A-Za-z0-9_.\/-]*$/.test(dir)) throw new UsageError(`--appliance-cert-dir ${JSON.stringify(dir)}: an absolute path of letters, digits, "_", ".", "-" and "/"`)
  return {prefix: f.prefix, certDir: dir.replace(/\/+$/, '') || '/'}
}

export async function generateNetscalerFiles(c: Compiled, opts: NetscalerOptions, outDir: string | undefined): Promise<{result: DocResult<Omit<GenerateView, 'target'> & {target: 'netscaler'}>; diagnostics: Diagnostic[]}> {
  const cfg = generateNetscaler(c.model, c.secrets, opts)
  const files = [
    {path: 'ns.conf', content: renderBatch(cfg), mode: 0o644, secret: false},
    {path: 'nitro.json', content: renderNitro(cfg), mode: 0o644, secret: false},
    ...cfg.files.map((f) => ({...f, path: `ssl/${f.path}`})),
  ]
  if (outDir) await writeTree(outDir, files, ['ssl'], {flag: '--out'})
  const view = files.map((f) => ({path: f.path, mode: `0${f.mode.toString(8)}`, bytes: Buffer.byteLength(f.content), ...(f.secret ? {} : {content: f.content})}))
  return {
    diagnostics: [...c.model.diagnostics, ...cfg.diagnostics],
    result: {
      type: 'doc',
      kind: 'GeneratedConfig',
      data: {target: 'netscaler', ...(outDir ? {outDir} : {}), files: view},
      text: (d) =>
        d.outDir
          ? `${d.files.map((f) => `wrote ${d.outDir}/${f.path} (${f.bytes} bytes, mode ${f.mode})`).join('\n')}\n`
          : d.files.map((f) => (f.content === undefined ? `# ==> ${f.path} (${f.bytes} bytes, mode ${f.mode}: key material, not printed) <==\n` : `# ==> ${f.path} <==\n${f.content}`)).join('\n'),
    },
  }
}
