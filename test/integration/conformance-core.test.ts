/**
 * CI's tier of the upstream Gateway API conformance suite: `npm run conformance -- --core` runs every core test of
 * the GATEWAY-HTTP profile (sigs.k8s.io/gateway-api/conformance at the version test/conformance/go.mod pins,
 * unmodified) against vipctl sync and HAProxy in the lab, and this test reads the ConformanceReport it writes.
 * The whole suite, extended features and the other profiles, stays `npm run conformance`. Root only (the lab runs
 * Pods in network namespaces).
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parse} from 'yaml'
import {ROOT} from '../helpers/cli.js'

/** GATEWAY-HTTP's core tests in the pinned suite (v1.6.3): every test whose features are Gateway, HTTPRoute, ReferenceGrant. */
const CORE_TESTS = 36

interface Stats {Passed: number; Failed: number; Skipped: number}
interface Report {profiles?: Array<{name: string; core?: {result?: string; statistics?: Stats; failedTests?: string[]; skippedTests?: string[]}}>}

describe('the upstream Gateway API conformance suite, GATEWAY-HTTP core (root)', function () {
  this.timeout(30 * 60_000)

  it(`passes all ${CORE_TESTS} core tests of GATEWAY-HTTP`, async function () {
    if (process.getuid?.() !== 0) throw new Error('the conformance lab needs root (network namespaces)')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-conformance-core-'))
    const report = path.join(dir, 'report.yaml')
    const log = path.join(dir, 'conformance.log')
    const out: string[] = []
    const code = await new Promise<number>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'conformance.ts'), '--core', '--report', report, '--timeout', '25m'], {cwd: ROOT, env: {...process.env, NODE_OPTIONS: ''}, stdio: ['ignore', 'pipe', 'pipe']})
      p.stdout!.on('data', (d) => out.push(d.toString()))
      p.stderr!.on('data', (d) => out.push(d.toString()))
      p.on('exit', (n) => resolve(n ?? 1))
    })
    writeFileSync(log, out.join(''))
    const tail = out.join('').split('\n').slice(-25).join('\n')
    assert.ok(existsSync(report), `no report (exit ${code}); log ${log}:\n${tail}`)
    const r = parse(readFileSync(report, 'utf8')) as Report
    const http = r.profiles?.find((p) => p.name === 'GATEWAY-HTTP')
    assert.ok(http?.core?.statistics, `no GATEWAY-HTTP core result in ${report}`)
    const s = http.core.statistics
    assert.deepEqual(
      {passed: s.Passed, failed: s.Failed, skipped: s.Skipped, failedTests: http.core.failedTests ?? [], skippedTests: http.core.skippedTests ?? []},
      {passed: CORE_TESTS, failed: 0, skipped: 0, failedTests: [], skippedTests: []},
      `log ${log}:\n${tail}`,
    )
    assert.equal(code, 0, `npm run conformance exited ${code}; log ${log}:\n${tail}`)
  })
})
