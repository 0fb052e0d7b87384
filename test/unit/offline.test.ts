import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {inspect} from 'node:util'
import {loadOffline, parseInto} from '../../src/cluster/offline.js'
import {emptySnapshot} from '../../src/cluster/types.js'
import {DataError, UsageError} from '../../src/errors.js'

const noStdin = {readStdin: async () => ''}
const svc = (name: string, ns = 'default', extra = '') => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 80, targetPort: 8080}]${extra}
`

function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-offline-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), {recursive: true})
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

function parse(text: string) {
  const snap = emptySnapshot({kind: 'offline', files: []})
  parseInto(snap, text, 'x.yaml')
  return snap
}

describe('offline source', () => {
  it('reads multi-document YAML, skipping empty documents', () => {
    const s = parse(`---\n${svc('a')}---\n---\n${svc('b')}`)
    assert.deepEqual(s.services.map((x) => x.metadata.name), ['a', 'b'])
    assert.equal(s.diagnostics.length, 0)
  })

  it('expands kind: List and records each item with its document and line', () => {
    const s = parse(`# comment\napiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Service, metadata: {name: a, namespace: x}, spec: {}}\n  - {apiVersion: v1, kind: Service, metadata: {name: b, namespace: x}, spec: {}}\n`)
    assert.equal(s.services.length, 2)
    assert.deepEqual(s.origins.get('Service/x/b'), {source: 'file', file: 'x.yaml', doc: 1, line: 2})
  })

  it('reads JSON files', () => {
    const s = parse(JSON.stringify({apiVersion: 'v1', kind: 'Service', metadata: {name: 'j', namespace: 'n'}, spec: {ports: [{port: 80}]}}))
    assert.equal(s.services[0]?.metadata.name, 'j')
  })

  it('walks directories recursively in name order and reads stdin for "-"', async () => {
    const dir = tmp({'b/2.yaml': svc('two'), 'a.yml': svc('one'), 'c.json': '{"apiVersion":"v1","kind":"Service","metadata":{"name":"three"},"spec":{}}', 'notes.txt': 'not yaml: ['})
    const snap = await loadOffline({filenames: [dir, '-'], strict: false}, {readStdin: async () => svc('four', 'other')})
    assert.deepEqual(snap.services.map((s) => s.metadata.name), ['one', 'three', 'two', 'four'])
  })

  it('fails malformed YAML with exit 65 naming file and line', () => {
    assert.throws(
      () => parse('apiVersion: v1\nkind: Service\nmetadata:\n  name: [a, b\n  namespace: x\n'),
      (e: unknown) => e instanceof DataError && e.exit === 65 && /^x\.yaml:\d+: document 1: malformed YAML/.test(e.message),
    )
  })

  it('rejects duplicate keys', () => {
    assert.throws(() => parse('apiVersion: v1\nkind: Service\nkind: Pod\n'), (e: unknown) => e instanceof DataError && /x\.yaml:3:.*unique/.test(e.message))
  })

  it('rejects custom tags instead of constructing anything', () => {
    assert.throws(() => parse('apiVersion: v1\nkind: !!js/function "f"\n'), /custom tags are not allowed/)
  })

  it('stops alias expansion bombs', () => {
    const lol = ['a: &a [x,x,x,x,x,x,x,x,x]']
    for (let i = 1; i < 9; i++) lol.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`)
    assert.throws(() => parse(lol.join('\n')), (e: unknown) => e instanceof DataError && /resource exhaustion|alias/i.test(e.message))
  })

  it('survives 10,000-deep nesting with a one-line error', () => {
    assert.throws(() => parse(`a: ${'['.repeat(10_000)}${']'.repeat(10_000)}`), (e: unknown) => e instanceof DataError && !e.message.includes('\n'))
  })

  it('reports __proto__ keys as bad objects and pollutes nothing', () => {
    const s = parse(`apiVersion: v1\nkind: Service\nmetadata:\n  name: p\n  namespace: x\n  labels:\n    __proto__: {polluted: "yes"}\nspec: {}\n`)
    assert.equal(s.services.length, 0)
    assert.equal(s.diagnostics[0]?.code, 'VIP1002')
    assert.equal(s.diagnostics[0]?.field, 'metadata.labels.__proto__')
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })

  it('keeps YAML 1.1 booleans as strings (core schema)', () => {
    const s = parse(`apiVersion: v1\nkind: Service\nmetadata:\n  name: y\n  namespace: x\n  annotations: {vipctl.io/ssl-redirect: on}\nspec: {}\n`)
    assert.equal(s.services[0]?.metadata.annotations?.['vipctl.io/ssl-redirect'], 'on')
  })

  it('reports a bad object with its field and loads the rest', () => {
    const s = parse(`${svc('good')}---\n${svc('Bad_Name')}---\n${svc('badport', 'default').replace('port: 80', 'port: 70000')}`)
    assert.deepEqual(s.services.map((x) => x.metadata.name), ['good'])
    assert.equal(s.diagnostics.length, 2)
    assert.equal(s.diagnostics[0]?.field, 'metadata.name')
    assert.equal(s.diagnostics[0]?.object, 'Service/default/Bad_Name')
    assert.deepEqual(s.diagnostics[0]?.origin, {source: 'file', file: 'x.yaml', doc: 2, line: 10})
    assert.equal(s.diagnostics[1]?.field, 'spec.ports[0].port')
  })

  it('skips kinds it does not read (any group, any version) and counts them; never an error', () => {
    const docs = [
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n',
      'apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: RoleBinding\nmetadata: {name: r}\n',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: c}\n',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b}\n',
      // ConfigMaps are read (for a BackendTLSPolicy's ca.crt), whatever else they hold: never an error either.
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {n: 1}\n',
      // A Knative Service is another group's Service: skipped, not a typo of ours.
      'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k}\n',
    ]
    const s = parse(docs.join('---\n'))
    assert.deepEqual(s.diagnostics, [])
    assert.deepEqual([...s.skipped.entries()].sort(), [['example.com/v1/Widget', 1], ['rbac.authorization.k8s.io/v1/ClusterRole', 1], ['rbac.authorization.k8s.io/v1beta1/RoleBinding', 1], ['serving.knative.dev/v1/Service', 1], ['v1/ServiceAccount', 2]])
    assert.equal(s.configMaps.length, 1)
  })

  it('reads workloads: templates, replicas (defaults), owners; CronJob templates under jobTemplate', () => {
    const s = parse(`apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: n}
spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: d-1, namespace: n, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: d, uid: u, controller: true}]}
spec: {replicas: 4, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c}]}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds, namespace: n}
spec: {template: {metadata: {labels: {x: y}}, spec: {containers: [{name: c}]}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj, namespace: n}
spec: {schedule: "* * * * *", jobTemplate: {spec: {parallelism: 2, template: {metadata: {labels: {j: k}}, spec: {containers: [{name: c}]}}}}}
`)
    assert.deepEqual(s.diagnostics, [])
    const by = new Map(s.workloads.map((w) => [w.kind, w]))
    assert.equal(by.get('Deployment')!.replicas, 1)
    assert.equal(by.get('ReplicaSet')!.replicas, 4)
    assert.deepEqual(by.get('ReplicaSet')!.owner, {kind: 'Deployment', name: 'd'})
    assert.equal(by.get('DaemonSet')!.replicas, undefined)
    assert.equal(by.get('CronJob')!.replicas, 2)
    assert.equal(by.get('CronJob')!.containersField, 'spec.jobTemplate.spec.template.spec.containers')
    assert.deepEqual(by.get('Deployment')!.template.containers[0]!.ports, [{name: 'http', containerPort: 8080}])
  })

  it('a kind it reads in a removed apiVersion names the replacement (VIP1006); an unknown version of one is VIP1003', () => {
    const s = parse('apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i, namespace: n}\n---\napiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: v2\nkind: Service\nmetadata: {name: s}\n')
    assert.deepEqual(s.diagnostics.map((d) => [d.code, d.object, d.field]), [
      ['VIP1006', 'Ingress/n/i', 'apiVersion'],
      ['VIP1006', 'Deployment/default/d', 'apiVersion'],
      ['VIP1003', 'Service/default/s', 'apiVersion'],
    ])
    assert.match(s.diagnostics[0]!.message, /removed in Kubernetes 1\.22; use networking\.k8s\.io\/v1/)
    assert.equal(s.skipped.size, 0)
  })

  it('loads helm template output: "# Source:" comments, empty documents, CRDs and custom resources', () => {
    const s = parse('---\n# Source: chart/templates/a.yaml\n---\n# Source: chart/templates/b.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ws.example.com}\n---\n# Source: chart/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n---\n')
    assert.deepEqual(s.diagnostics, [])
    assert.equal(s.services.length, 1)
    assert.deepEqual([...s.skipped.keys()], ['apiextensions.k8s.io/v1/CustomResourceDefinition'])
  })

  it('reports duplicates across files once', () => {
    const s = parse(`${svc('a')}---\n${svc('a')}`)
    assert.equal(s.services.length, 1)
    assert.equal(s.diagnostics[0]?.code, 'VIP1004')
  })

  it('validates hosts, namespaces and IPs with the API server grammars', () => {
    const ing = (host: string) => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: x}\nspec:\n  rules: [{host: "${host}"}]\n`
    for (const bad of ['Shop.example.com', 'a..b', 'x\\ny', '*.*.x', 'a b', '/etc']) assert.equal(parse(ing(bad)).ingresses.length, 0, bad)
    for (const good of ['shop.example.com', '*.example.com', 'a-b.c']) assert.equal(parse(ing(good)).ingresses.length, 1, good)
    assert.equal(parse(svc('a', 'Bad-NS')).services.length, 0)
    assert.equal(parse(svc('a', 'x', '\n  clusterIP: 10.0.0.999')).services.length, 0)
  })

  it('with --strict, any bad object is fatal', async () => {
    const dir = tmp({'a.yaml': `${svc('ok')}---\n${svc('NOT_OK')}`})
    await assert.rejects(loadOffline({filenames: [dir], strict: true}, noStdin), (e: unknown) => e instanceof DataError && /a\.yaml:\d+: Service\/default\/NOT_OK metadata\.name/.test(e.message))
    const snap = await loadOffline({filenames: [dir], strict: false}, noStdin)
    assert.equal(snap.services.length, 1)
  })

  it('rejects a huge file before parsing it', async () => {
    const dir = tmp({})
    const big = path.join(dir, 'big.yaml')
    writeFileSync(big, `# ${'x'.repeat(33 * 1024 * 1024)}\n`)
    await assert.rejects(loadOffline({filenames: [big], strict: false}, noStdin), /larger than 32 MiB/)
  })

  it('fails missing inputs and empty -f with the documented codes', async () => {
    await assert.rejects(loadOffline({filenames: ['/nonexistent/x.yaml'], strict: false}, noStdin), (e: unknown) => e instanceof DataError && e.exit === 65)
    await assert.rejects(loadOffline({filenames: [], strict: false}, noStdin), (e: unknown) => e instanceof UsageError && e.exit === 64)
  })

  it('keeps Secret data out of the snapshot except redacted TLS material', () => {
    const s = parse(`apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: x}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${Buffer.from('CERT-BYTES').toString('base64')}\n  tls.key: ${Buffer.from('TOP-SECRET-KEY').toString('base64')}\nstringData:\n  password: hunter2\n`)
    const secret = s.secrets[0]!
    assert.deepEqual(secret.keys, {'tls.crt': 10, 'tls.key': 14, password: 7})
    assert.equal(secret.tls?.key.reveal().toString(), 'TOP-SECRET-KEY')
    for (const text of [JSON.stringify(s.secrets), inspect(s.secrets, {depth: 10}), String(secret.tls?.key)]) {
      assert.ok(!text.includes('TOP-SECRET-KEY') && !text.includes('hunter2') && !text.includes(Buffer.from('TOP-SECRET-KEY').toString('base64')), text)
    }
  })

  it('derives EndpointSlices from Pods when the input has none, and marks them', async () => {
    const pod = (name: string, ip: string, ready: string | undefined, phase = 'Running') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: {app: web}}
spec: {nodeName: n1, containers: [{name: c, ports: [{name: web, containerPort: 8080}]}]}
status:
  phase: ${phase}
  podIP: ${ip}
${ready === undefined ? '' : `  conditions: [{type: Ready, status: "${ready}"}]`}
`
    const text = [
      svc('web').replace('targetPort: 8080', 'targetPort: web'),
      pod('a', '10.1.0.1', 'True'),
      pod('b', '10.1.0.2', 'False'),
      pod('c', '10.1.0.3', undefined),
      pod('d', '10.1.0.4', 'True', 'Succeeded'),
    ].join('---\n')
    const dir = tmp({'x.yaml': text})
    const snap = await loadOffline({filenames: [dir], strict: false}, noStdin)
    assert.equal(snap.endpointSlices.length, 1)
    const slice = snap.endpointSlices[0]!
    assert.equal(slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'vipctl.io/derived')
    assert.deepEqual(slice.ports, [{name: 'http', port: 8080, protocol: 'TCP'}])
    assert.deepEqual(
      slice.endpoints?.map((e) => [e.addresses[0], e.conditions?.ready]),
      [['10.1.0.1', true], ['10.1.0.2', false], ['10.1.0.3', true]],
    )
  })
})
