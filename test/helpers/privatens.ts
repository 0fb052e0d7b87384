/**
 * A generated HAProxy config run for real in a private network namespace: the
 * VIPs and server addresses exist only on its loopback, an echo server on every
 * server address answers `be=<address> path=<url>`, and curl runs inside the
 * namespace. stop() removes the namespace and every process.
 */
import {compile} from '../../src/model/compile.js'
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {writeTree} from '../../src/core/files.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import type {Snapshot} from '../../src/cluster/types.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'

const sh = (args: string[]) => execFileSync(args[0]!, args.slice(1), {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})

const ECHO = `const h = require('http'); const [addr, port] = process.argv.slice(1);
h.createServer((q, s) => { s.end('be=' + addr + ' path=' + q.url + '\\n') }).listen(Number(port), addr);`

export interface Netns {
  name: string
  curl(args: string[]): {status: number; body: string; location: string}
  stop(): void
}

/** Generates the config for `fixture`, then runs it with echo servers in a new namespace. */
export async function serveInNetns(snap: Snapshot, ready: string[]): Promise<Netns> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-hosthdr-'))
  const opts = {...DEFAULT_HAPROXY_OPTIONS, configDir: path.join(dir, 'cfg'), runDir: path.join(dir, 'run'), metricsAddress: '127.0.0.1:18405'}
  const {config} = renderHaproxy(compile(snap, {}), opts)
  await writeTree(opts.configDir, config.files, ['maps', 'certs'])
  const cfg = config.files[0]!.content
  const binds = [...cfg.matchAll(/^\s+bind (\d[\d.]+):/gm)].map((m) => m[1]!)
  const servers = [...cfg.matchAll(/^\s+server \S+ (\d[\d.]+):(\d+) /gm)].map((m) => [m[1]!, m[2]!] as const).filter(([a]) => a !== '0.0.0.0')
  const name = `vhh${process.pid % 100000}${Math.floor(Math.random() * 1000)}`
  const children: ChildProcess[] = []
  sh(['ip', 'netns', 'add', name])
  const stop = () => {
    for (const c of children) c.kill('SIGKILL')
    try {
      sh(['ip', 'netns', 'del', name])
    } catch {
      // gone
    }
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    const ex = (cmd: string[]) => sh(['ip', 'netns', 'exec', name, ...cmd])
    ex(['ip', 'link', 'set', 'lo', 'up'])
    for (const a of new Set([...binds, ...servers.map(([a]) => a)])) ex(['ip', 'addr', 'add', `${a}/32`, 'dev', 'lo'])
    for (const [a, p] of new Set(servers)) children.push(spawn('ip', ['netns', 'exec', name, process.execPath, '-e', ECHO, a, p], {stdio: 'ignore'}))
    sh(['mkdir', '-p', opts.runDir])
    children.push(spawn('ip', ['netns', 'exec', name, 'haproxy', '-W', '-db', '-f', path.join(opts.configDir, 'haproxy.cfg')], {stdio: 'ignore'}))
    const curl = (args: string[]) => {
      const out = sh(['ip', 'netns', 'exec', name, 'curl', '-s', '--path-as-is', '-m', '3', '-o', '-', '-w', '\n%{http_code} %{redirect_url}', ...args])
      const i = out.lastIndexOf('\n')
      const [status, location = ''] = out.slice(i + 1).split(' ')
      return {status: Number(status), body: out.slice(0, i).trim(), location}
    }
    // Bounded wait until HAProxy serves a known route (servers up by health check): at most 100 tries, 100 ms apart.
    for (let i = 0; i < 100; i++) {
      try {
        if (curl(ready).status === 200) break
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    return {name, curl, stop}
  } catch (error) {
    stop()
    throw error
  }
}

