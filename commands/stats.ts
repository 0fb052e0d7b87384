import {Flags} from '@oclif/core'
import {VipCommand} from '../src/cli/base.js'
import {UsageError} from '../src/errors.js'
import {LiveView, runLive, type ViewMeta} from '../src/stats/live.js'
import {render, FORMATS, type Format} from '../src/output/render.js'
import {processStatsIO, statsOptions, statsReader} from '../src/stats/io.js'
import {statsResult} from '../src/stats/result.js'
import {rowsOf, statsOnce, tailStats} from '../src/stats/tail.js'

export default class Stats extends VipCommand {
  static override description = 'Live proxy statistics per frontend, backend and server, mapped to VIPs, Services and Pods'
  static override examples = [
    '<%= config.bin %> stats --stats-socket /run/vipctl/admin.sock',
    '<%= config.bin %> stats --follow                      # live view: arrows scroll, s sorts, / filters, q quits',
    '<%= config.bin %> stats --follow --interval 5s -o jsonl | your-log-shipper',
    '<%= config.bin %> stats --url http://127.0.0.1:8405/metrics -o prometheus',
    '<%= config.bin %> stats --filter shop/web --sort errors',
    'NITRO_USER=... NITRO_PASSWORD=... <%= config.bin %> stats --nitro-url https://10.0.0.5',
  ]
  static override flags = {
    'stats-socket': Flags.string({description: 'HAProxy admin socket (unix path or 127.0.0.1:PORT); default <run-dir>/admin.sock', exclusive: ['url', 'nitro-url'], helpGroup: 'HAPROXY'}),
    'nitro-url': Flags.string({description: 'read a NetScaler through NITRO instead (credentials: $NITRO_USER, $NITRO_PASSWORD or --nitro-password-file)', exclusive: ['url'], helpGroup: 'NETSCALER'}),
    'nitro-user': Flags.string({description: 'NITRO user (default: $NITRO_USER)', helpGroup: 'NETSCALER'}),
    'nitro-password-file': Flags.string({description: 'file holding the NITRO password', helpGroup: 'NETSCALER'}),
    'nitro-insecure-skip-tls-verify': Flags.boolean({description: 'do not verify the NetScaler\'s TLS certificate', aliases: ['insecure-skip-tls-verify'], deprecateAliases: true, helpGroup: 'NETSCALER'}),
    url: Flags.string({description: "HAProxy's Prometheus exporter instead of the socket, e.g. http://127.0.0.1:8405/metrics", helpGroup: 'HAPROXY'}),
    'run-dir': Flags.string({description: 'directory of the admin socket', default: '/run/vipctl', helpGroup: 'HAPROXY'}),
    'config-dir': Flags.string({description: 'where haproxy.cfg and vipctl-index.json are (maps rows to Kubernetes)', default: '/etc/haproxy/vipctl', helpGroup: 'HAPROXY'}),
    follow: Flags.boolean({char: 'w', description: 'keep reading every --interval: a live view on a terminal, JSON lines otherwise'}),
    interval: Flags.string({description: 'time between reads (100ms..1h)', default: '2s'}),
    count: Flags.integer({description: 'stop after N reads (with --follow)', min: 1}),
    sort: Flags.option({options: ['rate', 'errors', 'latency', 'name'] as const, default: 'rate', description: 'order within frontends, backends and servers, the same in the table and the live view (errors: 5XX + ERR; latency: TTIME, the mean total time); the live view opens on it and sorts by any column with s and r'})(),
    filter: Flags.string({description: 'only this Service: NAMESPACE[/SERVICE], * allowed (its frontends, backend and servers)'}),
    'all-slots': Flags.boolean({description: 'also show unused (spare) server slots'}),
    output: Flags.option({char: 'o', options: [...FORMATS, 'prometheus'] as Array<Format>, description: 'output format (default: table; jsonl with --follow off a terminal)'})(),
  }

  async run(): Promise<Record<string, unknown> | void> {
    const {flags} = await this.parse(Stats)
    const opts = statsOptions(flags)
    const live = flags.follow && Boolean(process.stdout.isTTY && process.stdin.isTTY) && (flags.output === undefined || flags.output === 'table' || flags.output === 'wide') && !this.jsonEnabled()
    const format: Format = flags.output ?? (flags.follow && !live ? 'jsonl' : 'table')
    if (flags.follow && !live && !['jsonl', 'table', 'wide'].includes(format)) throw new UsageError(`-o ${format} cannot stream: use -o jsonl with --follow (or drop --follow for one snapshot)`)
    if (flags.follow && this.jsonEnabled()) throw new UsageError('--json prints one document: use -o jsonl with --follow')
    if (flags.count !== undefined && !flags.follow) throw new UsageError('--count needs --follow')
    const reader = statsReader(flags)
    const meta: ViewMeta = {intervalMs: opts.intervalMs, sort: opts.sort, presorted: true}
    const io = processStatsIO(reader, flags['config-dir'], (l) => (live ? (meta.notice = l) : process.stderr.write(`warning: ${l}\n`)))

    if (!flags.follow) return this.present(statsResult(rowsOf(await statsOnce(io, opts))), format)

    const abort = new AbortController()
    const stop = () => abort.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    // Nobody left to read (the log shipper behind a pipe died: EPIPE) or nowhere to write (a full disk): a
    // follower stops at once rather than read the proxy forever (src/cli/output-guard.ts says why, but for EPIPE).
    process.stdout.once('error', stop)
    try {
      const frames = tailStats(io, opts, abort.signal)
      if (live) {
        await runLive(frames, {input: process.stdin, output: process.stdout}, new LiveView(this.chalk), meta, abort)
        return
      }
      let n = 0
      for await (const f of frames) {
        if ((format === 'table' || format === 'wide') && n++ > 0) process.stdout.write('\n')
        process.stdout.write(render(statsResult(rowsOf(f)), format, {chalk: this.chalk}))
      }
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.stdout.off('error', stop)
    }
  }
}
