/**
 * Completion against the real control plane (TLS, real lists and RBAC): namespaces through the built CLI,
 * object names of each inspect kind through the lookups, and a user who may not list: no candidates, no error.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {complete, kubeLookups, NAMED_RESOURCES, type CliSpec} from '../../src/cli/completion.js'
import {vipctl} from '../helpers/cli.js'
import {cluster, create, createNamespace, type Cluster} from '../helpers/cluster.js'

const SPEC: CliSpec = {commands: [{id: 'inspect:services', aliases: ['inspect:svc'], args: {name: {name: 'name'}}, flags: {namespace: {name: 'namespace', char: 'n', type: 'option'}}}]}

describe('completion (real API server)', function () {
  this.timeout(120_000)
  let c: Cluster
  let ns: string

  before(async function () {
    this.timeout(300_000) // a cold build of the control plane happens here on a fresh machine
    c = await cluster()
    ns = await createNamespace(c, 'complete')
    for (const name of ['cart', 'checkout', 'web'])
      await create(c, {apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: ns}, spec: {ports: [{port: 80}]}})
    await create(c, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {name: 'shop-ing', namespace: ns},
      spec: {defaultBackend: {service: {name: 'web', port: {number: 80}}}},
    })
  })

  it('namespaces through the built CLI (__complete -n)', async () => {
    const r = await vipctl(['__complete', '--', 'inspect', 'services', '-n', 'complete-'], {env: {KUBECONFIG: c.kubeconfig}})
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    assert.equal(lines.pop(), ':4')
    assert.ok(lines.includes(ns), `${ns} not in ${lines.join(' ')}`)
    assert.ok(lines.every((l) => l.startsWith('complete-')))
  })

  it('object names of the command\'s kind in the namespace named on the line', async () => {
    const l = kubeLookups({KUBECONFIG: c.kubeconfig}, 5000)
    const r = await complete(SPEC, ['inspect', 'svc', '-n', ns, 'c'], l)
    assert.deepEqual(r.candidates.map((x) => x.value), ['cart', 'checkout'])
    assert.deepEqual(await l.names({}, NAMED_RESOURCES['inspect:ingresses']!, {namespace: ns, allNamespaces: false}), ['shop-ing'])
    const all = await l.names({}, NAMED_RESOURCES['inspect:services']!, {allNamespaces: true})
    assert.ok(['cart', 'checkout', 'web'].every((n) => all.includes(n)), all.join(' '))
  })

  it('a user who may not list namespaces: no candidates, no error, exit 0', async () => {
    const server = c.server
    const kc = path.join(mkdtempSync(path.join(os.tmpdir(), 'vipctl-complete-')), 'kubeconfig')
    const noRights = {name: 'nobody', user: {token: 'not-a-valid-token'}}
    writeFileSync(
      kc,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{name: 'c', cluster: {server, 'insecure-skip-tls-verify': true}}],
        users: [noRights],
        contexts: [{name: 'ctx', context: {cluster: 'c', user: 'nobody'}}],
        'current-context': 'ctx',
      }),
    )
    const r = await vipctl(['__complete', '--', 'inspect', 'services', '-n', ''], {env: {KUBECONFIG: kc}})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, ':4\n')
    assert.equal(r.stderr, '')
  })
})
