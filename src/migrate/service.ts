/** `vipctl migrate netscaler`: read ns.conf, ask (on a terminal) or take (flags) what cannot be inferred, convert, print or write. */
import {objectTable} from '../output/object-table.js'
import {createHash} from 'node:crypto'
import {closeSync, constants, fstatSync, openSync, readFileSync} from 'node:fs'
import {stat, writeFile} from 'node:fs/promises'
import {ledgerCounts, type Account, type LedgerLine} from './ledger.js'
import path from 'node:path'
import {stringify} from 'yaml'
import {writeTree} from '../core/files.js'
import {readFileBounded} from '../cluster/offline.js'
import {DataError, UsageError} from '../errors.js'
import type {DocResult} from '../output/render.js'
import {interactive, type PromptIO} from '../cli/prompt.js'
import {migrateNetscaler, type K8s, type MigrateResult} from './netscaler.js'
import {parseNsConf} from './nsconf.js'
import {migrateHaproxy, parseHaproxyCfg} from './haproxy.js'
import {isNginx, migrateNginx} from './nginx.js'
import type {Snapshot} from '../cluster/types.js'
import {severityOf} from '../core/catalog.js'

export interface MigrateFlags {
  namespace?: string
  selector?: string[]
  'cert-dir'?: string
  out?: string
  /** Write the whole report (text) here; stderr then shows a summary. */
  report?: string
  'no-prompt': boolean
}

/** What migrate returns besides the objects: the report (every finding) and the ledger (every line's account). */
export interface MigrateOutcome {
  result: DocResult<{items: K8s[]; secrets: string[]; report: MigrateResult['report']; ledger: LedgerLine[]; counts: Record<Account, number>}>
  report: MigrateResult['report']
  /** What stderr shows: every finding (never cut), or, when the report went to a file (--report), one summary line. */
  stderr: {diagnostics: MigrateResult['report']; options: {maxDiagnostics: number; stderrNote?: string}}
}

const LABEL = /^([a-z0-9A-Z]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?$/
const VALUE = /^([a-zA-Z0-9]([-a-zA-Z0-9_.]{0,61}[a-zA-Z0-9])?)?$/

/** "k=v,k2=v2" -> labels (Kubernetes label grammar). */
export function parseLabels(text: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of text.split(',')) {
    const [k, v, extra] = part.split('=')
    if (!k || v === undefined || extra !== undefined || !LABEL.test(k) || !VALUE.test(v)) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected k=v[,k=v] with Kubernetes label keys and values`)
    out[k] = v
  }
  return out
}

/** --backend-selector NAME=k=v[,k=v] (NAME: an lb vserver, serviceGroup or the Service name). */
export function parseSelectors(list: string[] = []): Map<string, Record<string, string>> {
  const m = new Map<string, Record<string, string>>()
  for (const s of list) {
    const i = s.indexOf('=')
    if (i <= 0) throw new UsageError(`--backend-selector ${JSON.stringify(s)}: expected NAME=k=v[,k=v], e.g. web_lbv=app=web`)
    m.set(s.slice(0, i), parseLabels(s.slice(i + 1), '--backend-selector'))
  }
  return m
}

export interface MigrateIO {
  prompt: PromptIO & {input(message: string): Promise<string>}
}

export async function migrateNetscalerFile(file: string, f: MigrateFlags, io: MigrateIO): Promise<MigrateOutcome> {
  const {text, blocks} = withoutPem(await readInput(file, f))
  const cmds = parseNsConf(text, file)
  const selectors = parseSelectors(f.selector)
  if (!f['no-prompt'] && interactive(io.prompt)) {
    // Ask for what cannot be inferred: the Pods behind each lb vserver (empty keeps its members as endpoints).
    for (const c of cmds.filter((x) => x.verb === 'add' && x.entity === 'lb vserver')) {
      const name = c.args[0]!
      if (selectors.has(name)) continue
      const answer = (await io.prompt.input(`Pod selector for lb vserver ${name} (k=v,...; empty: keep its members as endpoints)`)).trim()
      if (answer) selectors.set(name, parseLabels(answer, 'selector'))
    }
  }
  const readCert = certReader(f['cert-dir'])
  const r = migrateNetscaler(cmds, {namespace: f.namespace, selectors, readCert, file})
  return finish(reportPem(r, blocks, file), f, file, r.ledger)
}

/** Checks --namespace and reads the file to migrate (one-line errors). */
async function readInput(file: string, f: MigrateFlags): Promise<string> {
  if (f.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(f.namespace)) throw new UsageError(`--namespace ${JSON.stringify(f.namespace)}: not a valid namespace name`)
  if (await stat(file).then((s) => s.isDirectory(), () => false)) throw new DataError(`${file}: a directory, not a file`)
  return readFileBounded(file)
}

function certReader(certDir: string | undefined) {
  return certDir
    ? (p: string) => {
        const base = path.basename(p)
        if (!/^[A-Za-z0-9_.-]+$/.test(base)) return undefined
        // A certificate or key: a regular file of at most 1 MiB (never a device or a FIFO that would not end).
        let fd: number | undefined
        try {
          fd = openSync(path.join(certDir, base), constants.O_RDONLY | constants.O_NONBLOCK)
          const st = fstatSync(fd)
          if (!st.isFile() || st.size > 1024 * 1024) return undefined
          return readFileSync(fd, 'utf8')
        } catch {
          return undefined
        } finally {
          if (fd !== undefined) closeSync(fd)
        }
      }
    : undefined
}

export async function migrateHaproxyFile(file: string, f: MigrateFlags, io: MigrateIO): Promise<MigrateOutcome> {
  const {text, blocks} = withoutPem(await readInput(file, f))
  const sections = parseHaproxyCfg(text, file)
  const selectors = parseSelectors(f.selector)
  if (!f['no-prompt'] && interactive(io.prompt))
    for (const sec of sections.filter((x) => x.kind === 'backend' || x.kind === 'listen')) {
      if (selectors.has(sec.name)) continue
      const answer = (await io.prompt.input(`Pod selector for backend ${sec.name} (k=v,...; empty: keep its servers as endpoints)`)).trim()
      if (answer) selectors.set(sec.name, parseLabels(answer, 'selector'))
    }
  const r = migrateHaproxy(sections, {namespace: f.namespace, selectors, readFile: certReader(f['cert-dir']), file})
  return finish(reportPem(r, blocks, file), f, file, r.ledger)
}

/** The report as text: one line per finding (FILE:LINE CODE OBJECT: MESSAGE), then the ledger's counts. */
export function reportText(report: MigrateResult['report'], ledger: LedgerLine[], file: string): string {
  const lines = report.map((d) => `${d.origin && 'line' in d.origin ? `${d.origin.file}:${d.origin.line}` : file} ${d.code} ${d.object}: ${d.message}`)
  const c = ledgerCounts(ledger)
  return `${[...lines, `${file}: ${ledger.length} lines: ${c.exact} carried over exactly, ${c.approximate} approximately (VIP5002), ${c.manual} need a manual step (VIP5003), ${c.lost} not carried over (VIP5001)`].join('\n')}\n`
}

/** `vipctl migrate ingress-nginx`: the snapshot's Ingresses of class nginx -> Ingresses of class vipctl, report, ledger. */
export async function migrateNginxSnapshot(snap: Snapshot, f: MigrateFlags): Promise<MigrateOutcome> {
  const r = migrateNginx(snap)
  if (r.objects.length === 0 && !snap.ingresses.some((i) => isNginx(i, snap)))
    r.report.push({severity: severityOf('VIP5001'), code: 'VIP5001', object: 'input', message: 'no Ingress of class nginx (or of an IngressClass of controller k8s.io/ingress-nginx) in the input: nothing to migrate'})
  const source = snap.source.kind === 'offline' ? snap.source.files.join(',') || 'input' : snap.source.context
  const out = await finish({objects: r.objects, secrets: [], report: r.report}, f, source, r.ledger)
  // The differences belong in the document too (a script compares them).
  const doc = out.result.document!
  out.result.document = (d) => ({...(doc(d) as Record<string, unknown>), requests: r.requests, differences: r.differences})
  return out
}

async function finish(r: MigrateResult, f: MigrateFlags, file: string, ledger: LedgerLine[]): Promise<MigrateOutcome> {
  if (r.secrets.length && !f.out) {
    for (const s of r.secrets) r.report.push({severity: severityOf('VIP5003'), code: 'VIP5003', object: `Secret/${s.metadata.namespace}/${s.metadata.name}`, message: 'built from --cert-dir but not printed (key material): pass --out DIR to write it (mode 0600)'})
  }
  const yaml = r.objects.map((o) => `---\n${stringify(o, {lineWidth: 0})}`).join('')
  if (f.out) {
    await writeTree(
      f.out,
      [
        {path: 'migrated.yaml', content: yaml, mode: 0o644},
        {path: 'report.txt', content: reportText(r.report, ledger, file), mode: 0o644},
        {path: 'report.json', content: `${JSON.stringify({apiVersion: 'vipctl.io/v1alpha1', kind: 'MigrateReport', file, counts: ledgerCounts(ledger), report: r.report, ledger}, null, 2)}\n`, mode: 0o644},
        // <namespace>_<name> (a namespace holds no "_", so two Secrets never share a file); a hash past file-name length.
        ...r.secrets.map((s) => ({path: `secrets/${secretFileName(`${s.metadata.namespace}/${s.metadata.name}`)}.yaml`, content: stringify(s), mode: 0o600})),
      ],
      ['secrets'],
    )
  }
  if (f.report) {
    try {
      await writeFile(f.report, reportText(r.report, ledger, file), {mode: 0o644})
    } catch (e) {
      throw new DataError(`--report ${f.report}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  }
  const counts = ledgerCounts(ledger)
  const data = {items: r.objects, secrets: r.secrets.map((s) => `${s.metadata.namespace}/${s.metadata.name}`), report: r.report, ledger, counts}
  return {
    report: r.report,
    stderr: f.report
      ? {diagnostics: [], options: {maxDiagnostics: Number.POSITIVE_INFINITY, stderrNote: `${file}: ${ledger.length} lines: ${counts.exact} exact, ${counts.approximate} approximate, ${counts.manual} manual, ${counts.lost} not carried over; the whole report is in ${f.report}`}}
      : {diagnostics: r.report, options: {maxDiagnostics: Number.POSITIVE_INFINITY}},
    result: {
      type: 'doc',
      kind: 'MigrateResult',
      data,
      // -o table: with --out, what was written; without, the objects (-o yaml prints them as documents).
      text: (d) => (f.out ? `wrote ${f.out}/migrated.yaml (${d.items.length} objects)${d.secrets.length ? ` and ${d.secrets.length} Secret(s) under ${f.out}/secrets (mode 0600)` : ''}\n` : objectTable(d.items)),
      own: {yaml: () => yaml},
      // The whole truth in one document: the objects (as a v1 List's items), every finding and every line's account.
      document: (d) => ({apiVersion: 'vipctl.io/v1alpha1', kind: 'MigrateResult', items: d.items, secrets: d.secrets, counts: d.counts, report: d.report, ledger: d.ledger}),
    },
  }
}

/** `<namespace>_<name>`, or `_<sha256>` when that is too long for a file name: injective, as the two forms never meet. */
export function secretFileName(key: string): string {
  const readable = key.replace('/', '_')
  return readable.length <= 200 ? readable : `_${createHash('sha256').update(key).digest('hex')}`
}

/**
 * PEM blocks (keys, certificates) in a file given to migrate: their lines are
 * blanked before parsing (line numbers kept) so that no report line can quote
 * key material; each block is reported once, by line range, without content.
 */
export function withoutPem(text: string): {text: string; blocks: Array<{first: number; last: number; label: string}>} {
  const lines = text.split('\n')
  const blocks: Array<{first: number; last: number; label: string}> = []
  for (let i = 0; i < lines.length; i++) {
    const m = /-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(lines[i]!)
    if (!m) continue
    let j = i
    while (j < lines.length - 1 && !lines[j]!.includes('-----END')) j++
    blocks.push({first: i + 1, last: j + 1, label: m[1]!})
    for (let k = i; k <= j; k++) lines[k] = ''
    i = j
  }
  return {text: lines.join('\n'), blocks}
}

function reportPem(r: MigrateResult, blocks: Array<{first: number; last: number; label: string}>, file: string): MigrateResult {
  for (const b of blocks)
    r.report.push({severity: severityOf('VIP5001'), code: 'VIP5001', object: `${b.label} block`, message: `lines ${b.first}-${b.last}: PEM material in the file itself is not carried over (never shown); give certificates with --cert-dir`, origin: {source: 'file', file, doc: 0, line: b.first}})
  return r
}
