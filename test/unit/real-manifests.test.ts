/**
 * Realistic manifest sets written the way their authors ship them (Deployments
 * and other workloads instead of Pods, kinds vipctl does not read, helm output,
 * another controller's annotations): check's findings and summary are golden
 * files, and the generated health checks and traces come from the templates.
 */
import assert from 'node:assert/strict'
import {loadOffline} from '../../src/cluster/offline.js'
import {checkSummary, runChecks, summaryLine} from '../../src/check/check.js'
import {traceRequest} from '../../src/check/trace.js'
import {compile} from '../../src/model/compile.js'
import {renderHaproxy} from '../../src/generate/haproxy.js'
import {DEFAULT_HAPROXY_OPTIONS} from '../../src/targets/haproxy/generate.js'
import type {ModelOptions} from '../../src/model/types.js'
import {assertGolden} from '../helpers/golden.js'

const SETS: Array<{dir: string; model: ModelOptions}> = [
  {dir: 'shop-deployments', model: {}},
  {dir: 'statefulset-app', model: {}},
  {dir: 'rc-guestbook', model: {}},
  {dir: 'helm-rendered', model: {}},
  {dir: 'nginx-annotations', model: {ingressClass: 'nginx'}},
]
const OPTS = {...DEFAULT_HAPROXY_OPTIONS, configDir: '/etc/haproxy/vipctl', runDir: '/run/vipctl'}
const load = (dir: string) => loadOffline({filenames: [`test/fixtures/real/${dir}`], strict: false}, {readStdin: async () => ''})
const checkOpts = (model: ModelOptions) => ({model, certWarnDays: 21, now: new Date('2026-11-29T00:00:00Z')})

describe('real manifests', () => {
  for (const {dir, model} of SETS)
    it(`${dir}: check's findings (code, object, field, message) and summary are as in the golden file`, async () => {
      const c = compile(await load(dir), model)
      const found = runChecks(c, checkOpts(model), [])
      const lines = found.map((d) => `${d.severity} ${d.code} ${d.object} ${d.field ?? '-'}: ${d.message}`)
      assertGolden(`real/${dir}.txt`, `${[...lines, summaryLine(checkSummary(c, checkOpts(model)))].join('\n')}\n`)
    })

  it('no false errors: every error on these sets is a real fault in the input', async () => {
    const errors: string[] = []
    for (const {dir, model} of SETS) for (const d of runChecks(compile(await load(dir), model), checkOpts(model), [])) if (d.severity === 'error') errors.push(`${d.code} ${d.object} ${d.field ?? ''}`)
    // ads names a targetPort its template does not declare; guestbook-old is extensions/v1beta1; the nginx set asks for auth, an allow list and a snippet.
    assert.deepEqual(errors.sort(), [
      'VIP1006 Ingress/guestbook/guestbook-old apiVersion',
      'VIP2021 Ingress/web/admin metadata.annotations[nginx.ingress.kubernetes.io/auth-signin]',
      'VIP2021 Ingress/web/admin metadata.annotations[nginx.ingress.kubernetes.io/auth-url]',
      'VIP2021 Ingress/web/internal metadata.annotations[nginx.ingress.kubernetes.io/whitelist-source-range]',
      'VIP2021 Ingress/web/partners metadata.annotations[haproxy.com/auth-type]',
      'VIP2021 Ingress/web/partners metadata.annotations[ingress.kubernetes.io/whitelist-source-range]',
      'VIP2021 Ingress/web/partners metadata.annotations[traefik.ingress.kubernetes.io/router.middlewares]',
      'VIP2022 Ingress/web/legacy metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]',
      'VIP4013 Service/boutique/ads spec.ports[0].targetPort',
    ])
  })

  it('health checks come from the workload templates: HTTP probe (named port), TCP probe period, another probe port', async () => {
    const shop = renderHaproxy(compile(await load('shop-deployments'), {}), OPTS).config.files[0]!.content
    const section = (cfg: string, name: string) => cfg.split('\n\n').find((s) => s.includes(`backend ${name}\n`)) ?? ''
    assert.match(section(shop, 'boutique_frontend_80'), /http-check send meth GET uri \/_healthz\n[^]*server SRV_1 0\.0\.0\.0:0 check inter 5000ms fall 2 rise 2 disabled/)
    assert.match(section(shop, 'boutique_cart_7070'), /server SRV_1 0\.0\.0\.0:0 check inter 10000ms fall 3 rise 2 disabled/)
    assert.doesNotMatch(section(shop, 'boutique_cart_7070'), /httpchk/)
    // Slots for the Pods the Deployment asks for, plus the spare ones: their arrival needs no reload.
    assert.equal((section(shop, 'boutique_frontend_80').match(/server SRV_/g) ?? []).length, 3 + OPTS.spareSlots)
    const kv = renderHaproxy(compile(await load('statefulset-app'), {}), OPTS).config.files[0]!.content
    assert.match(section(kv, 'data_kv_2379'), /http-check send meth GET uri \/health\n[^]*check inter 3000ms fall 3 rise 2 port 2381/)
    // timeoutSeconds 2 and no periodSeconds: checks every 3 s, never as often as one may take (NetScaler needs that too).
    assert.match(section(kv, "data_kv_2379"), /timeout check 2000ms/)
  })

  it('trace names the workload whose Pods will serve, and is not a failure offline', async () => {
    const snap = await load('shop-deployments')
    const c = compile(snap, {})
    const t = traceRequest(snap, c.model, 'shop.example.test/')
    assert.equal(t.ok, true)
    assert.match(t.hops.find((h) => h.hop === 'pods')!.detail, /the Pods of Deployment\/boutique\/frontend \(3 replicas, container port 8080\) will serve/)
    const scaled = traceRequest(snap, c.model, 'shop.example.test/checkout')
    assert.equal(scaled.ok, false)
    assert.match(scaled.hops.find((h) => h.hop === 'pods')!.detail, /Deployment\/boutique\/checkout \(0 replicas, container port 5050\) is scaled to 0/)
  })

  it('a helm test Pod is not a serving Pod; YAML nulls are absent fields; a canary is left out and the main Ingress keeps the host', async () => {
    const helm = await load('helm-rendered')
    assert.deepEqual(helm.pods, [])
    assert.equal(helm.skipped.get('v1/Pod (helm hook)'), 1)
    assert.ok(helm.services.some((s) => s.metadata.name === 'release-webapp'), 'creationTimestamp: null and an empty annotations: block read as absent')
    const c = compile(await load('nginx-annotations'), {ingressClass: 'nginx'})
    const www = c.model.frontends.flatMap((f) => f.routes).filter((r) => r.host === 'www.example.test')
    assert.deepEqual([...new Set(www.map((r) => r.provenance.object))], ['Ingress/web/public'])
  })

  it('a probe of a container that declares no ports still becomes the check; exec probes are said', async () => {
    const c = compile(await load('shop-deployments'), {})
    const currency = c.model.pools.find((p) => p.service === 'currency')!
    assert.equal(currency.monitor.kind, 'http')
    assert.equal((currency.monitor as {path: string}).path, '/ready')
    assert.equal(c.model.pools.find((p) => p.service === 'redis')!.monitor.kind, 'tcp')
  })

  it('--ingress-class serves the class-less Ingresses when that class is the input\'s default', async () => {
    const c = compile(await load('nginx-annotations'), {ingressClass: 'nginx'})
    // internal has no class; nginx is the default class: it is ours, and refused for its allow list (not ignored).
    assert.ok(c.model.diagnostics.some((d) => d.code === 'VIP2021' && d.object === 'Ingress/web/internal'))
    assert.ok(c.model.frontends.some((f) => f.provenance.some((p) => p.object === 'Ingress/web/public')))
    assert.ok(!c.model.frontends.some((f) => f.provenance.some((p) => ['Ingress/web/admin', 'Ingress/web/internal', 'Ingress/web/legacy'].includes(p.object))))
    const redirect = c.model.frontends.flatMap((f) => f.routes).filter((r) => r.redirectHttps)
    assert.deepEqual(redirect, [])
  })
})
