/**
 * Good tenants and one poison tenant, as raw Kubernetes objects, for the
 * isolation property, the fuzz and the poison-among-1,000 tests.
 *
 * The good tenants share VIP 192.0.2.7 (two TLS hosts, one redirected to
 * HTTPS and one served over HTTP too, a plain host, a wildcard and a hostless
 * route, a TCP LoadBalancer Service) and 2001:db8::7 (an Ingress with a
 * default backend, a TCP LoadBalancer Service). They were created in 2025.
 *
 * The poison tenant (namespace "a-pz": it sorts before every good namespace,
 * and it was created later, in 2026) has an Ingress with its Service,
 * EndpointSlice, Pod and TLS Secret, and a LoadBalancer Service, all on the
 * good tenants' VIP, so they land in the same frontends. Each string field of
 * it can be replaced by an attack (see POISON_FIELDS).
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {deriveEndpointSlices} from '../../src/cluster/derive.js'
import {addToSnapshot, intakeObject, sortSnapshot} from '../../src/cluster/intake.js'
import {emptySnapshot, type AnyObject, type Origin, type Snapshot} from '../../src/cluster/types.js'
import {ROOT} from './cli.js'

export const GOOD_VIP = '192.0.2.7'
export const GOOD_VIP6 = '2001:db8::7'
export const GOOD_TIME = '2025-01-01T00:00:00Z'
export const POISON_TIME = '2026-06-01T00:00:00Z'
export const POISON_NS = 'a-pz'

/** A throw-away certificate and key (examples/shop), base64 as in a Secret's data. */
export const CERT = (() => {
  const y = readFileSync(path.join(ROOT, 'examples/shop/50-secret-tls.yaml'), 'utf8')
  return {crt: /tls\.crt: (\S+)/.exec(y)![1]!, key: /tls\.key: (\S+)/.exec(y)![1]!}
})()

type Raw = Record<string, unknown>

const meta = (name: string, namespace: string, extra: Raw = {}) => ({name, namespace, creationTimestamp: GOOD_TIME, ...extra})

export function service(ns: string, name: string, opts: {port?: number; portName?: string; targetPort?: number; lb?: {vip: string}; selector?: string; time?: string} = {}): Raw {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {...meta(name, ns), ...(opts.time ? {creationTimestamp: opts.time} : {}), ...(opts.lb ? {annotations: {'vipctl.io/vip': opts.lb.vip}} : {})},
    spec: {
      ...(opts.lb ? {type: 'LoadBalancer'} : {}),
      selector: {app: opts.selector ?? name},
      ports: [{name: opts.portName ?? 'http', port: opts.port ?? 80, targetPort: opts.targetPort ?? 8080}],
    },
  }
}

export function slice(ns: string, svc: string, addresses: string[], opts: {portName?: string; port?: number} = {}): Raw {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {...meta(`${svc}-1`, ns), labels: {'kubernetes.io/service-name': svc}},
    addressType: addresses.some((a) => a.includes(':')) ? 'IPv6' : 'IPv4',
    ports: [{name: opts.portName ?? 'http', port: opts.port ?? 8080}],
    endpoints: addresses.map((a, i) => ({addresses: [a], conditions: {ready: true}, nodeName: 'node-1', targetRef: {kind: 'Pod', name: `${svc}-${i}`}})),
  }
}

export function tlsSecret(ns: string, name: string, data: {crt: string; key: string} = CERT): Raw {
  return {apiVersion: 'v1', kind: 'Secret', metadata: meta(name, ns), type: 'kubernetes.io/tls', data: {'tls.crt': data.crt, 'tls.key': data.key}}
}

export interface IngressSpec {
  vip: string
  rules: Array<{host?: string; paths: Array<{path: string; pathType?: string; service: string; port?: string}>}>
  tls?: Array<{hosts: string[]; secret: string}>
  defaultBackend?: string
  annotations?: Record<string, string>
  time?: string
}

export function ingress(ns: string, name: string, s: IngressSpec): Raw {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {...meta(name, ns), ...(s.time ? {creationTimestamp: s.time} : {}), annotations: {'vipctl.io/vip': s.vip, ...s.annotations}},
    spec: {
      ingressClassName: 'vipctl',
      ...(s.tls ? {tls: s.tls.map((t) => ({hosts: t.hosts, secretName: t.secret}))} : {}),
      ...(s.defaultBackend ? {defaultBackend: {service: {name: s.defaultBackend, port: {name: 'http'}}}} : {}),
      rules: s.rules.map((r) => ({
        ...(r.host !== undefined ? {host: r.host} : {}),
        http: {paths: r.paths.map((p) => ({path: p.path, pathType: p.pathType ?? 'Prefix', backend: {service: {name: p.service, port: {name: p.port ?? 'http'}}}}))},
      })),
    },
  }
}

/** The good tenants: every object another tenant's object must never change. */
export function goodObjects(): Raw[] {
  return [
    // tenant-a: TLS host with the default HTTPS redirect, a Prefix and an Exact route.
    service('tenant-a', 'web'),
    slice('tenant-a', 'web', ['10.1.0.1', '10.1.0.2']),
    tlsSecret('tenant-a', 'tls'),
    ingress('tenant-a', 'main', {vip: GOOD_VIP, tls: [{hosts: ['a.example.test'], secret: 'tls'}], rules: [{host: 'a.example.test', paths: [{path: '/app', service: 'web'}, {path: '/app/exact', pathType: 'Exact', service: 'web'}]}]}),
    // A second TLS host of tenant-a, served over plain HTTP too (one Secret: the model checks each Secret once per build).
    ingress('tenant-a', 'plain', {vip: GOOD_VIP, annotations: {'vipctl.io/ssl-redirect': 'false'}, tls: [{hosts: ['a2.example.test'], secret: 'tls'}], rules: [{host: 'a2.example.test', paths: [{path: '/app', service: 'web'}]}]}),
    // tenant-b: a plain host, a wildcard host and a hostless route.
    service('tenant-b', 'web'),
    slice('tenant-b', 'web', ['10.2.0.1']),
    ingress('tenant-b', 'main', {vip: GOOD_VIP, rules: [{host: 'b.example.test', paths: [{path: '/app', service: 'web'}]}]}),
    ingress('tenant-b', 'wild', {vip: GOOD_VIP, rules: [{host: '*.wild.example.test', paths: [{path: '/app', service: 'web'}]}, {paths: [{path: '/b-any', service: 'web'}]}]}),
    // tenant-c: TCP LoadBalancer Service on the same VIP.
    service('tenant-c', 'db', {port: 5432, portName: 'pg', targetPort: 5432, lb: {vip: GOOD_VIP}}),
    slice('tenant-c', 'db', ['10.3.0.1'], {portName: 'pg', port: 5432}),
    // tenant-d: IPv6 VIP with a default backend; tenant-e: a TCP Service on it.
    service('tenant-d', 'web'),
    slice('tenant-d', 'web', ['fd00::d:1']),
    ingress('tenant-d', 'main', {vip: GOOD_VIP6, defaultBackend: 'web', rules: [{host: 'd.example.test', paths: [{path: '/app', service: 'web'}]}]}),
    service('tenant-e', 'cache', {port: 6379, portName: 'redis', targetPort: 6379, lb: {vip: GOOD_VIP6}}),
    slice('tenant-e', 'cache', ['fd00::e:1'], {portName: 'redis', port: 6379}),
  ]
}

/** The hosts of the good tenants (a poison naming one of them is a collision attempt). */
export const GOOD_HOSTS = ['a.example.test', 'a2.example.test', 'b.example.test', 'd.example.test']

/** Values of the poison tenant's fields; each can be replaced by an attack. */
export const POISON_BASE: Readonly<Record<string, string>> = {
  namespace: POISON_NS,
  ingressName: 'web',
  host: 'p.example.test',
  path: '/app',
  pathType: 'Prefix',
  serviceName: 'psvc',
  portName: 'http',
  vip: GOOD_VIP,
  httpPort: '80',
  sslRedirect: 'true',
  noteKey: 'example.com/note',
  noteValue: 'hello',
  policyKey: 'vipctl.io/request-headers',
  policyValue: 'set X-Poison: 1',
  citrixKey: 'psvc',
  citrixMethod: 'ROUNDROBIN',
  className: 'vipctl',
  secretName: 'ptls',
  tlsHost: 'p.example.test',
  lbKey: 'vipctl.io/lb-method',
  lbValue: 'leastconn',
  labelValue: 'pweb',
  endpoint: '10.9.0.1',
  nodeName: 'node-1',
  targetRef: 'pweb-1',
  probePath: '/healthz',
  lbName: 'pdb',
  lbVip: GOOD_VIP,
  lbPortName: 'pg',
  lbProtocol: 'TCP',
  lbEndpoint: '10.9.0.2',
  lbMethod: 'source',
}

/**
 * Fields that change how the poison is built when present (absent from the
 * base): the LoadBalancer VIP from status or spec instead of the annotation,
 * or claimed on the good tenant's port (5432) instead of its own (15432).
 */
export const OPTIONAL_BASE: Readonly<Record<string, string>> = {
  lbStatusIp: GOOD_VIP,
  lbSpecIp: GOOD_VIP,
  lbVipCollide: GOOD_VIP,
}

export const POISON_FIELDS: readonly string[] = [...Object.keys(POISON_BASE), ...Object.keys(OPTIONAL_BASE)]

/** Spellings aimed at a field rather than at a parser: another tenant's host, VIP, port in other forms. */
export const FIELD_EXTRAS: Readonly<Record<string, readonly string[]>> = {
  host: ['A.EXAMPLE.TEST', 'a.example.test.', 'A.Example.Test.', 'a.example.test', '*.example.test', '*.wild.example.test', 'x.wild.example.test', 'xn--a-1ga.example.test', 'a.example.test:80'],
  tlsHost: ['a.example.test', 'A.EXAMPLE.TEST', 'a.example.test.', '*.example.test', 'x.wild.example.test'],
  // 750 characters: within the path grammar (1,024), but a NetScaler rule naming it twice exceeds 1,499.
  path: ['/app', '/APP', '/app/', '//app', '/app/../x', '/app/./x', '/~alice', '/app?x=1', '/app#x', '/%2e%2e/x', `/${'a'.repeat(749)}`, `/${'a'.repeat(1023)}`, `/${'a'.repeat(1024)}`],
  vip: ['::ffff:192.0.2.7', '::FFFF:C000:0207', '0:0:0:0:0:ffff:c000:207', '2001:DB8::7', '2001:0db8:0:0:0:0:0:7', '2001:db8:0::7', '192.0.2.07', '0300.0.2.7', '3221226119', '192.0.2.7/32', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::'],
  lbVip: ['::ffff:192.0.2.7', '2001:DB8::7', '192.0.2.07', '0.0.0.0', '::'],
  lbStatusIp: ['::ffff:192.0.2.7', '2001:DB8::7', '192.0.2.07', '0.0.0.0'],
  lbSpecIp: ['::ffff:192.0.2.7', '2001:DB8::7', '192.0.2.07', '0.0.0.0'],
  lbVipCollide: ['192.0.2.7', '::ffff:192.0.2.7', '::FFFF:C000:207', '0:0:0:0:0:ffff:c000:0207'],
  httpPort: ['443', '5432', '6379', '0', '65535', '65536', '080', '8080'],
  endpoint: ['::ffff:10.9.0.1', '010.9.0.1', '10.9.0.1/32', 'fe80::1%eth0', '0.0.0.0', '255.255.255.255', '224.0.0.1', '::', 'FD00::D:1'],
  lbEndpoint: ['::ffff:10.9.0.2', '0.0.0.0', 'fe80::1%eth0'],
  lbProtocol: ['UDP', 'SCTP', 'tcp'],
  pathType: ['Exact', 'ImplementationSpecific', 'prefix'],
  sslRedirect: ['false', 'False', '1'],
  lbValue: ['roundrobin', 'source', 'LEASTCONN'],
  lbMethod: ['roundrobin', 'leastconn'],
  citrixMethod: ['LEASTCONNECTION', 'SOURCEIPHASH', 'leastconnection'],
  citrixKey: ['web', 'pdb'],
  lbKey: ['vipctl.io/vip', 'vipctl.io/http-port', 'vipctl.io/unknown', 'ingress.citrix.com/unknown', 'vipctl.io/member-weights', 'vipctl.io/backend-protocol', 'vipctl.io/proxy-protocol', 'vipctl.io/max-connections', 'vipctl.io/retry-on'],
  noteKey: ['vipctl.io/vip', 'vipctl.io/snippet', 'ingress.citrix.com/frontend-ip'],
  // Route and listener policy keys: each with the attack values below, and with values aimed at other tenants.
  policyKey: ['vipctl.io/response-headers', 'vipctl.io/redirect', 'vipctl.io/rewrite', 'vipctl.io/traffic-split', 'vipctl.io/hsts', 'vipctl.io/timeout-request', 'vipctl.io/accept-proxy', 'vipctl.io/timeout-client', 'vipctl.io/allow-source-ranges', 'vipctl.io/deny-source-ranges'],
  policyValue: ['set X-Empty:', 'add X-Empty:   ', 'remove Host', 'set X-A: %[env(HOME)]', 'set X-A: a\r\nX-B: b', 'host=a.example.test prefix=/', 'scheme=https host=a.example.test', 'web=50,psvc=50', 'psvc=1,web=1', 'true', '24h', 'max-age=1; preload', '10.0.0.0/8', '0.0.0.0/0,::/0', '192.0.2.1', '2001:db8::/32'],
  className: ['other', ''],
  probePath: ['/healthz?x=1', '/health z', '/../etc', 'healthz', '/a%20b'],
  serviceName: ['web', 'db'],
  secretName: ['tls'],
  namespace: ['default', 'kube-system'],
}

/** Fields whose attacks need the poison's TLS Secret (each Secret costs the model a key and certificate parse). */
export const TLS_FIELDS: ReadonlySet<string> = new Set(['namespace', 'ingressName', 'host', 'secretName', 'tlsHost', 'sslRedirect'])

/** The poison tenant's objects for a set of field values (base values for the rest); with `tls`, its Ingress has a TLS Secret. */
export function poisonObjects(v: Readonly<Record<string, string>>, tls = true): Raw[] {
  const ns = v.namespace!
  const time = {creationTimestamp: POISON_TIME}
  const via = v.lbStatusIp !== undefined ? 'status' : v.lbSpecIp !== undefined ? 'spec' : 'annotation'
  const lbVip = v.lbStatusIp ?? v.lbSpecIp ?? v.lbVipCollide ?? v.lbVip!
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name: v.serviceName, namespace: ns, ...time, labels: {app: v.labelValue}, annotations: {[v.lbKey!]: v.lbValue}},
      spec: {selector: {app: v.labelValue}, ports: [{name: v.portName, port: 80, targetPort: 8080}]},
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {name: 'psvc-1', namespace: ns, ...time, labels: {'kubernetes.io/service-name': v.serviceName}},
      addressType: 'IPv4',
      ports: [{name: v.portName, port: 8080}],
      endpoints: [{addresses: [v.endpoint], conditions: {ready: true}, nodeName: v.nodeName, targetRef: {kind: 'Pod', name: v.targetRef}}, {addresses: ['10.9.0.3']}],
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'pweb-1', namespace: ns, ...time, labels: {app: v.labelValue}},
      spec: {containers: [{name: 'c', ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: v.probePath, port: 8080}}}]},
      status: {phase: 'Running', podIP: '10.9.0.1'},
    },
    ...(tls ? [{apiVersion: 'v1', kind: 'Secret', metadata: {name: v.secretName, namespace: ns, ...time}, type: 'kubernetes.io/tls', data: {'tls.crt': CERT.crt, 'tls.key': CERT.key}}] : []),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: v.ingressName,
        namespace: ns,
        ...time,
        annotations: {
          'vipctl.io/vip': v.vip,
          'vipctl.io/http-port': v.httpPort,
          'vipctl.io/ssl-redirect': v.sslRedirect,
          [v.noteKey!]: v.noteValue,
          [v.policyKey!]: v.policyValue,
          'ingress.citrix.com/lbvserver': JSON.stringify({[v.citrixKey!]: {lbmethod: v.citrixMethod}}),
        },
      },
      spec: {
        ingressClassName: v.className,
        ...(tls ? {tls: [{hosts: [v.tlsHost], secretName: v.secretName}]} : {}),
        rules: [{host: v.host, http: {paths: [{path: v.path, pathType: v.pathType, backend: {service: {name: v.serviceName, port: {name: v.portName}}}}]}}],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name: v.lbName, namespace: ns, ...time, annotations: {...(via === 'annotation' ? {'vipctl.io/vip': lbVip} : {}), 'vipctl.io/lb-method': v.lbMethod}},
      spec: {
        type: 'LoadBalancer',
        ...(via !== 'annotation' ? {loadBalancerClass: 'vipctl.io/lb'} : {}),
        ...(via === 'spec' ? {loadBalancerIP: lbVip} : {}),
        selector: {app: 'pdb'},
        ports: [{name: v.lbPortName, port: v.lbVipCollide !== undefined ? 5432 : 15432, targetPort: 5432, protocol: v.lbProtocol}],
      },
      ...(via === 'status' ? {status: {loadBalancer: {ingress: [{ip: lbVip}]}}} : {}),
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {name: 'pdb-1', namespace: ns, ...time, labels: {'kubernetes.io/service-name': v.lbName}},
      addressType: 'IPv4',
      ports: [{name: v.lbPortName, port: 5432}],
      endpoints: [{addresses: [v.lbEndpoint], conditions: {ready: true}}],
    },
  ]
}

/** kind/namespace/name of every poison object, as the model names objects. */
export function poisonKeys(v: Readonly<Record<string, string>>): Set<string> {
  const ns = v.namespace!
  return new Set([`Service/${ns}/${v.serviceName}`, `EndpointSlice/${ns}/psvc-1`, `Pod/${ns}/pweb-1`, `Secret/${ns}/${v.secretName}`, `Ingress/${ns}/${v.ingressName}`, `Service/${ns}/${v.lbName}`, `EndpointSlice/${ns}/pdb-1`])
}

interface Intaken {
  object?: AnyObject
  origin: Origin
  diagnostic?: Snapshot['diagnostics'][number]
}

function intake(raws: unknown[], file: string): Intaken[] {
  return raws.map((raw, i) => {
    const origin: Origin = {source: 'file', file, doc: i + 1, line: 1}
    const r = intakeObject(raw, origin)
    return {object: r.object, diagnostic: r.diagnostic, origin}
  })
}

/**
 * Builds snapshots of a fixed set of objects plus a few more per case. The
 * fixed objects are validated once (intake is pure); each snapshot gets fresh
 * lists, so nothing leaks from one case into the next.
 */
export class SnapshotFactory {
  private readonly fixed: Intaken[]

  constructor(raws: unknown[], file = 'good.json') {
    this.fixed = intake(raws, file)
    const bad = this.fixed.find((f) => f.diagnostic)
    if (bad) throw new Error(`fixed objects must be valid: ${JSON.stringify(bad.diagnostic)}`)
  }

  snapshot(extra: unknown[] = [], file = 'poison.json'): Snapshot {
    const snap = emptySnapshot({kind: 'offline', files: []})
    for (const f of [...this.fixed, ...intake(extra, file)]) {
      if (f.diagnostic) snap.diagnostics.push(f.diagnostic)
      if (f.object) {
        const dup = addToSnapshot(snap, f.object, f.origin)
        if (dup) snap.diagnostics.push(dup)
      }
    }
    deriveEndpointSlices(snap)
    return sortSnapshot(snap)
  }
}
