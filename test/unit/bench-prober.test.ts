/**
 * bench/prober.mjs, the scaling bench's readiness prober: every question gets one answer line (ok, fail, or fail
 * for a malformed one), a closed port fails within its bound, and it exits when its input ends. On loopback only.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {freePort} from '../helpers/haproxy.js'

const prober = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/prober.mjs')

/** Runs the prober with these input lines; its answer lines, sorted, and how long it took (ms). */
function run(lines: string[]): Promise<{answers: string[]; ms: number; code: number | null}> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [prober], {stdio: ['pipe', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(guard)
      resolve({answers: out.split('\n').filter(Boolean).sort(), ms: performance.now() - t0, code})
    })
    child.stdin.end(lines.map((l) => `${l}\n`).join(''))
  })
}

describe('bench/prober.mjs', function () {
  this.timeout(20_000)

  it('answers ok for an origin that answers 2xx or 3xx, fail for 5xx, once per question', async () => {
    const statuses = new Map<number, number>()
    const servers = await Promise.all(
      [200, 302, 503].map(
        (status) =>
          new Promise<http.Server>((resolve) => {
            const s = http.createServer((_req, res) => res.writeHead(status).end())
            s.listen(0, '127.0.0.1', () => {
              statuses.set((s.address() as AddressInfo).port, status)
              resolve(s)
            })
          }),
      ),
    )
    try {
      const ports = [...statuses.keys()]
      const res = await run([...ports.map((p) => `127.0.0.1 ${p}`), `127.0.0.1 ${ports[0]}`])
      const want = [...ports.map((p) => `127.0.0.1 ${p} ${statuses.get(p)! < 400 ? 'ok' : 'fail'}`), `127.0.0.1 ${ports[0]} ${statuses.get(ports[0]!)! < 400 ? 'ok' : 'fail'}`].sort()
      assert.deepEqual(res.answers, want)
      assert.equal(res.code, 0)
    } finally {
      for (const s of servers) s.close()
    }
  })

  it('fails a closed port within its bound (40 tries, 50 ms apart), and answers a malformed line with fail', async () => {
    const closed = await freePort()
    const res = await run([`127.0.0.1 ${closed}`, 'nonsense', '127.0.0.1 99999'])
    assert.deepEqual(res.answers, [`127.0.0.1 ${closed} fail`, '127.0.0.1 99999 fail', 'nonsense  fail'].sort())
    assert.ok(res.ms > 1500 && res.ms < 12_000, `closed port answered after ${Math.round(res.ms)} ms`)
    assert.equal(res.code, 0)
  })
})
