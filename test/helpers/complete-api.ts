/**
 * A tiny API server double for completion tests, on 127.0.0.1: answers GETs from a path -> items table (names
 * only), records each request's path and Authorization header, can hang (never answer) to test the deadline,
 * and writes a kubeconfig (two contexts; the current one's namespace is `shop`) that points at it.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import os from 'node:os'
import path from 'node:path'

export interface CompleteApi {
  url: string
  kubeconfig: string
  requests: Array<{path: string; query: string; auth?: string}>
  close(): Promise<void>
}

/** `names` maps a request path (`/api/v1/namespaces`) to the metadata.name values of its list reply; `hang` never answers. */
export async function completeApi(names: Record<string, unknown[]>, opts: {hang?: boolean} = {}): Promise<CompleteApi> {
  const sockets = new Set<Socket>()
  const requests: CompleteApi['requests'] = []
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push({path: url.pathname, query: url.search, auth: req.headers.authorization})
    if (opts.hang) return
    const items = names[url.pathname]
    if (!items) return res.writeHead(404, {'Content-Type': 'application/json'}).end('{"kind":"Status","status":"Failure","code":404}')
    res.writeHead(200, {'Content-Type': 'application/json'}).end(JSON.stringify({kind: 'List', metadata: {resourceVersion: '1'}, items: items.map((name) => ({metadata: {name}}))}))
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const kubeconfig = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-complete-')), 'kubeconfig')
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: u, user: {token: COMPLETE_TOKEN}}]',
      'contexts: [{name: ctx, context: {cluster: c, user: u, namespace: shop}}, {name: "arn:aws:eks:eu-west-1:1:cluster/prod", context: {cluster: c, user: u}}]',
      'current-context: ctx',
      '',
    ].join('\n'),
  )
  return {
    url,
    kubeconfig,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}
