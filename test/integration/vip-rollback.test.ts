/**
 * apply vip is all or nothing: when a step after the rule swap fails (here: an
 * IPv6 VIP in a namespace where IPv6 is disabled, so adding the address fails),
 * the previous tables and addresses come back.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {vipctl} from '../helpers/cli.js'

const ingress = (name: string, vip: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ${name}, namespace: t, annotations: {vipctl.io/vip: "${vip}"}}\nspec:\n  ingressClassName: vipctl\n  rules: [{host: ${name}.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]\n`
const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: t}\nspec: {ports: [{port: 80}]}\n'

describe('apply vip rolls back tables and addresses when a later step fails', function () {
  this.timeout(30_000)
  const ns = `vrb${process.pid % 100000}`
  const sh = (...a: string[]) => execFileSync(a[0]!, a.slice(1), {encoding: 'utf8'})

  before(() => {
    sh('ip', 'netns', 'add', ns)
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
    sh('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.lo.disable_ipv6=1')
  })
  after(() => sh('ip', 'netns', 'del', ns))

  it('restores the previous table and removes the addresses this run added', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-rb-'))
    const a = path.join(dir, 'a.yaml')
    const b = path.join(dir, 'b.yaml')
    writeFileSync(a, `${service}---\n${ingress('old', '192.0.2.5')}`)
    writeFileSync(b, `${service}---\n${ingress('new', '192.0.2.6')}---\n${ingress('six', 'fd00::5')}`)
    const first = await vipctl(['apply', 'vip', '-f', a, '--mode', 'bind', '--netns', ns, '--yes'])
    assert.equal(first.code, 0, first.stderr)
    const before = sh('ip', 'netns', 'exec', ns, 'nft', 'list', 'ruleset')
    const r = await vipctl(['apply', 'vip', '-f', b, '--mode', 'bind', '--netns', ns, '--yes'])
    assert.equal(r.code, 69, r.stderr)
    assert.match(r.stderr, /^error: ip addr add fd00::5: .*IPv6 is disabled.*; the previous rules and addresses were restored$/m)
    assert.equal(sh('ip', 'netns', 'exec', ns, 'nft', 'list', 'ruleset'), before)
    const lo = sh('ip', '-n', ns, '-br', 'addr', 'show', 'dev', 'lo')
    assert.match(lo, /192\.0\.2\.5\/32/)
    assert.doesNotMatch(lo, /192\.0\.2\.6/)
  })
})
