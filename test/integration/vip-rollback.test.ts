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

const sh = (...a: string[]) => execFileSync(a[0]!, a.slice(1), {encoding: 'utf8'})

/** A network namespace of this suite's own (lo up, then `setup`), made before the describe's tests and removed after. */
function withNetns(prefix: string, setup: (ns: string) => void = () => undefined): string {
  const ns = `${prefix}${process.pid % 100000}`
  before(() => {
    sh('ip', 'netns', 'add', ns)
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
    setup(ns)
  })
  after(() => sh('ip', 'netns', 'del', ns))
  return ns
}

describe('apply vip rolls back tables and addresses when a later step fails', function () {
  this.timeout(30_000)
  const ns = withNetns('vrb', (n) => sh('ip', 'netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.lo.disable_ipv6=1'))

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

describe('apply vip and delete vip remove only the addresses vipctl added to lo', function () {
  this.timeout(30_000)
  const ns = withNetns('vown')

  it('a tenant VIP on ::1 or on an address the operator put on lo: both stay when the tenant goes, and after delete vip', async () => {
    sh('ip', '-n', ns, 'addr', 'add', '192.0.2.7/32', 'dev', 'lo')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-own-'))
    const tenants = path.join(dir, 'tenants.yaml')
    const other = path.join(dir, 'other.yaml')
    writeFileSync(tenants, `${service}---\n${ingress('loop', '::1')}---\n${ingress('op', '192.0.2.7')}---\n${ingress('mine', '192.0.2.8')}`)
    writeFileSync(other, `${service}---\n${ingress('else', '192.0.2.9')}`)
    const lo = () => sh('ip', '-n', ns, '-br', 'addr', 'show', 'dev', 'lo')
    const first = await vipctl(['apply', 'vip', '-f', tenants, '--mode', 'bind', '--netns', ns, '--yes'])
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, /\+ address 192\.0\.2\.8 on lo/)
    assert.doesNotMatch(first.stdout, /address (::1|192\.0\.2\.7) on lo/)
    // The tenants go; another VIP comes: only 192.0.2.8 (vipctl's) is removed.
    const second = await vipctl(['apply', 'vip', '-f', other, '--mode', 'bind', '--netns', ns, '--yes'])
    assert.equal(second.code, 0, second.stderr)
    assert.match(second.stdout, /- address 192\.0\.2\.8 on lo/)
    assert.doesNotMatch(second.stdout, /- address (::1|192\.0\.2\.7) on lo/)
    assert.match(lo(), /192\.0\.2\.7\/32/)
    assert.match(lo(), /::1\/128/)
    assert.doesNotMatch(lo(), /192\.0\.2\.8/)
    // The operator's address is a VIP again, then delete vip: it stays; vipctl's 192.0.2.9 goes.
    assert.equal((await vipctl(['apply', 'vip', '-f', tenants, '--mode', 'bind', '--netns', ns, '--yes'])).code, 0)
    const del = await vipctl(['delete', 'vip', '--netns', ns, '--yes'])
    assert.equal(del.code, 0, del.stderr)
    assert.match(lo(), /192\.0\.2\.7\/32/)
    assert.match(lo(), /::1\/128/)
    assert.doesNotMatch(lo(), /192\.0\.2\.[89]/)
  })
})

describe('apply vip: an address already on lo with another prefix length is on the node', function () {
  this.timeout(30_000)
  const ns = withNetns('vpfx')

  it('the operator\'s 2001:db8::5/64 and 10.98.0.5/24 as tenant VIPs: not added again (no "address already assigned"), never removed', async () => {
    sh('ip', '-n', ns, 'addr', 'add', '2001:db8::5/64', 'dev', 'lo', 'nodad')
    sh('ip', '-n', ns, 'addr', 'add', '10.98.0.5/24', 'dev', 'lo')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-pfx-'))
    const f = path.join(dir, 'm.yaml')
    writeFileSync(f, `${service}---\n${ingress('six', '2001:DB8::5')}---\n${ingress('four', '10.98.0.5')}`)
    const r = await vipctl(['apply', 'vip', '-f', f, '--mode', 'bind', '--netns', ns, '--yes'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stdout, /\+ address/)
    const del = await vipctl(['delete', 'vip', '--netns', ns, '--yes'])
    assert.equal(del.code, 0, del.stderr)
    const lo = sh('ip', '-n', ns, '-br', 'addr', 'show', 'dev', 'lo')
    assert.match(lo, /2001:db8::5\/64/)
    assert.match(lo, /10\.98\.0\.5\/24/)
  })
})
