#!/usr/bin/env node
// Child of bench/haproxy.mjs: builds a synthetic cluster in memory, then times
// Snapshot -> LbModel -> HAProxy files, and reports its own peak RSS as JSON.
//   node bench/haproxy-render.mjs SERVICES ENDPOINTS_PER_SERVICE INGRESSES
import {performance} from 'node:perf_hooks'

const [services, perService, ingresses] = process.argv.slice(2).map(Number)
const {emptySnapshot} = await import('../dist/src/cluster/types.js')
const {sortSnapshot} = await import('../dist/src/cluster/intake.js')
const {buildModel} = await import('../dist/src/model/build.js')
const {generateHaproxy, DEFAULT_HAPROXY_OPTIONS} = await import('../dist/src/targets/haproxy/generate.js')

const snap = emptySnapshot({kind: 'offline', files: []})
const ns = (i) => `ns-${i % 100}`
for (let i = 0; i < services; i++) {
  snap.services.push({apiVersion: 'v1', kind: 'Service', metadata: {name: `svc-${i}`, namespace: ns(i)}, spec: {ports: [{name: 'http', port: 80}]}})
  snap.endpointSlices.push({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {name: `svc-${i}-1`, namespace: ns(i), labels: {'kubernetes.io/service-name': `svc-${i}`}},
    addressType: 'IPv4', ports: [{name: 'http', port: 8080}],
    endpoints: Array.from({length: perService}, (_, j) => ({addresses: [`10.${(i >> 8) & 255}.${i & 255}.${j + 1}`], conditions: {ready: true}})),
  })
}
for (let k = 0; k < ingresses; k++) {
  // Each Ingress: one host, two paths, to two Services of its namespace; 50 VIPs.
  const a = k % services
  const b = (k + 100) % services
  snap.ingresses.push({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: {name: `ing-${k}`, namespace: ns(a), annotations: {'vipctl.io/vip': `192.0.2.${(k % 50) + 1}`}},
    spec: {ingressClassName: 'vipctl', rules: [{host: `h${k}.example.com`, http: {paths: [
      {path: '/', pathType: 'Prefix', backend: {service: {name: `svc-${a}`, port: {number: 80}}}},
      {path: `/api/v${k % 3}`, pathType: 'Prefix', backend: {service: {name: `svc-${b}`, port: {number: 80}}}},
    ]}}]},
  })
}
sortSnapshot(snap)
const t0 = performance.now()
const model = buildModel(snap)
const t1 = performance.now()
const config = generateHaproxy(model, () => undefined, {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'})
const t2 = performance.now()
const bytes = config.files.reduce((n, f) => n + f.content.length, 0)
process.stdout.write(JSON.stringify({
  services, endpoints: services * perService, ingresses,
  modelMs: t1 - t0, renderMs: t2 - t1, totalMs: t2 - t0,
  maxRssMB: process.resourceUsage().maxRSS / 1024, bytes, routes: model.frontends.reduce((n, f) => n + f.routes.length, 0),
  diagnostics: model.diagnostics.length,
}) + '\n')
