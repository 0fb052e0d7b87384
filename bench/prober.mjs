/**
 * The scaling bench's readiness prober: one long-lived process in the node's network namespace that answers
 * "does this origin answer HTTP yet?" for the bench's kubelet: an httpGet readiness probe (any 2xx or 3xx answer
 * passes, as for a kubelet), tried every 50 ms where a kubelet waits periodSeconds (1 s at least).
 * It replaces a `curl` started through `ip netns exec` for every try (a process start with its TLS libraries each
 * time, on the same two cores as the proxy being measured).
 *   stdin:  one probe a line, "<ip> <port>"
 *   stdout: one answer a line, "<ip> <port> ok" or "<ip> <port> fail"
 * Each probe is bounded: up to 40 tries, each a GET / with a 500 ms timeout, 50 ms apart. Exits when stdin ends.
 *   ip netns exec <node> node bench/prober.mjs
 */
import http from 'node:http'
import {createInterface} from 'node:readline'

const TRIES = 40
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** One GET; true on a 2xx or 3xx answer. */
function once(host, port) {
  return new Promise((resolve) => {
    const req = http.get({host, port, path: '/', agent: false, timeout: 500}, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode >= 200 && res.statusCode < 400))
      res.once('error', () => resolve(false))
    })
    req.once('timeout', () => req.destroy(new Error('timeout')))
    req.once('error', () => resolve(false))
  })
}

async function probe(host, port) {
  for (let n = 0; n < TRIES; n++) {
    if (await once(host, port)) return true
    await sleep(50)
  }
  return false
}

for await (const line of createInterface({input: process.stdin})) {
  const [host, port] = line.trim().split(' ')
  const n = Number(port)
  // Every line is answered, a malformed one with "fail" (the bench matches answers to questions by ip and port).
  if (!host || !/^\d+$/.test(port ?? '') || n < 1 || n > 65535) {
    process.stdout.write(`${host ?? ''} ${port ?? ''} fail\n`)
    continue
  }
  void probe(host, n).then(
    (ok) => process.stdout.write(`${host} ${port} ${ok ? 'ok' : 'fail'}\n`),
    () => process.stdout.write(`${host} ${port} fail\n`),
  )
}
