/**
 * ns.conf as commands: one command per line (a trailing backslash continues it),
 * words split on blanks, double-quoted strings with backslash escapes, `#`
 * comments. Each command keeps its line number so that whatever migrate cannot
 * carry over is reported where it is.
 */
import {DataError} from '../errors.js'
import {SENSITIVE_HEADER, checkConfigText, redactText} from './redact.js'

export interface NsCommand {
  line: number
  /** add, bind, set, unset, enable, disable, ... */
  verb: string
  /** The entity words: "lb vserver", "cs policy", "serviceGroup", ... (lower-cased). */
  entity: string
  /** Positional arguments after the entity words. */
  args: string[]
  /** -flag values (flag names lower-cased); a flag without value is "". */
  opts: Record<string, string>
  text: string
  /** Every word of the line as shown in the ledger and in findings (src/migrate/ledger.ts): secrets are "***". */
  tokens: string[]
  /** Where the words are: how many name the verb and entity, each argument's token index, each option's (flag, value). */
  at: {head: number; args: number[]; opts: Record<string, number[]>}
}

/** Entities with two words; everything else is one word (server, service, serviceGroup, ...). */
const TWO_WORD = new Set(['lb vserver', 'lb monitor', 'cs vserver', 'cs action', 'cs policy', 'ssl certkey', 'ssl vserver', 'responder action', 'responder policy', 'rewrite action', 'rewrite policy', 'ns ip', 'ns config', 'ns feature', 'ns mode', 'ns tcpprofile', 'ns httpprofile', 'lb group', 'gslb vserver', 'appfw policy', 'system user'])

/** Splits one logical line into words (quotes removed, escapes resolved). */
export function words(text: string, line: number, file = 'ns.conf'): string[] {
  const out: string[] = []
  let i = 0
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++
    if (i >= text.length) break
    if (text[i] === '"') {
      i++
      let w = ''
      for (;;) {
        if (i >= text.length) throw new DataError(`${file}:${line}: unterminated quoted string`)
        const c = text[i]!
        if (c === '\\' && i + 1 < text.length) {
          w += text[i + 1]
          i += 2
          continue
        }
        if (c === '"') {
          i++
          break
        }
        w += c
        i++
      }
      out.push(w)
    } else {
      let w = ''
      while (i < text.length && text[i] !== ' ' && text[i] !== '\t') w += text[i++]
      out.push(w)
    }
  }
  return out
}

export function parseNsConf(text: string, file = 'ns.conf'): NsCommand[] {
  if (text.length > 32 * 1024 * 1024) throw new DataError(`${file}: larger than 32 MiB`)
  checkConfigText(text, file)
  const out: NsCommand[] = []
  const lines = text.split(/\r?\n/)
  for (let n = 0; n < lines.length; n++) {
    const start = n + 1
    let l = lines[n]!
    while (l.endsWith('\\') && n + 1 < lines.length) l = `${l.slice(0, -1)} ${lines[++n]!}`
    const trimmed = l.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const w = words(trimmed, start, file)
    const verb = w[0]!.toLowerCase()
    let rest = w.slice(1)
    let entity = (rest[0] ?? '').toLowerCase()
    const two = `${entity} ${(rest[1] ?? '').toLowerCase()}`
    let head = rest.length ? 2 : 1
    if (TWO_WORD.has(two)) {
      entity = two
      rest = rest.slice(2)
      head = 3
    } else rest = rest.slice(1)
    const args: string[] = []
    const opts: Record<string, string> = {}
    const at = {head, args: [] as number[], opts: {} as Record<string, number[]>}
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!
      if (/^-[A-Za-z]/.test(a)) {
        const next = rest[i + 1]
        const o = a.slice(1).toLowerCase()
        // A flag given twice: the last one counts (as on NetScaler); the earlier one is left unclaimed for the ledger.
        if (next !== undefined && !/^-[A-Za-z]/.test(next)) {
          opts[o] = next
          at.opts[o] = [head + i, head + i + 1]
          i++
        } else (opts[o] = ''), (at.opts[o] = [head + i])
      } else args.push(a), at.args.push(head + i)
    }
    out.push({line: start, verb, entity, args, opts, text: trimmed, tokens: redactNs(w, at, entity), at})
  }
  return out
}

/** Options whose value is a secret (passwords, shared secrets, key values, tokens). */
const SECRET_OPTION = /^-(password|passcrypt|passwd|passphrase|secret|sharedsecret|radkey|tacacssecret|encryptionkey|keyvalue|authtoken|token|clientsecret|apikey|bindpw|ldapbinddnpassword|oauthclientsecret)$/i

/**
 * The words as they may be shown: the value of a secret option, and every argument after the name of a command
 * marked -encrypted (`add system user NAME HASH -encrypted`), become "***". Never the words migrate reads.
 */
export function redactNs(words: string[], at: {head: number; args: number[]; opts: Record<string, number[]>}, entity = ''): string[] {
  const out = words.map(redactText)
  const arg = (i: number) => at.args[i]
  // A user's password (`add system user NAME PASSWORD`), an SNMP community, a header inserted with a credential.
  if (entity === 'system user' && arg(1) !== undefined) out[arg(1)!] = '***'
  if (entity === 'snmp' && /^community$/i.test(words[arg(0) ?? -1] ?? '') && arg(1) !== undefined) out[arg(1)!] = '***'
  if (entity === 'rewrite action' && /^insert_http_header$/i.test(words[arg(1) ?? -1] ?? '') && SENSITIVE_HEADER.test(words[arg(2) ?? -1] ?? '') && arg(3) !== undefined) out[arg(3)!] = '***'
  for (const [, idx] of Object.entries(at.opts)) if (idx.length === 2 && SECRET_OPTION.test(words[idx[0]!]!)) out[idx[1]!] = '***'
  for (let i = 0; i < words.length - 1; i++) if (SECRET_OPTION.test(words[i]!) && !/^-[A-Za-z]/.test(words[i + 1]!)) out[i + 1] = '***'
  if (words.some((x) => x.toLowerCase() === '-encrypted')) for (const i of at.args.slice(1)) out[i] = '***'
  return out
}
