/**
 * processExec: a program the kernel refuses to start is a typed error naming the cause (exit 77, one line), never
 * an exit status of the program (a `haproxy -c` that could not run is not a configuration that failed its check).
 * EPERM (a file capability outside the bounding set) is run for real in test/integration/exec-permission.test.ts.
 */
import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {processExec, spawnPermissionError} from '../../src/core/exec.js'
import {PermissionError, UnavailableError} from '../../src/errors.js'
import {oneLineError} from '../helpers/errors.js'

describe('processExec: programs that cannot be started', () => {
  let dir: string
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-exec-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))
  const exec = processExec({timeoutMs: 5000, hint: 'install it'})

  it('a file that is not executable (EACCES): PermissionError, exit 77, one line naming the program and the cause', async () => {
    const f = path.join(dir, 'haproxy')
    writeFileSync(f, '#!/bin/sh\nexit 0\n')
    chmodSync(f, 0o644)
    await assert.rejects(exec(f, ['-c']), oneLineError(PermissionError, 77, /^cannot run .*haproxy: permission denied \(EACCES\)/))
  })

  it('EPERM names the file capability and the bounding set', () => {
    assert.ok(oneLineError(PermissionError, 77, /^cannot run haproxy: permission denied \(EPERM\): a file capability .*bounding set/)(spawnPermissionError('haproxy', 'EPERM')))
  })

  it('still: a missing program is UnavailableError (69); a program that runs and fails is a result', async () => {
    await assert.rejects(exec(path.join(dir, 'nope'), []), (e: unknown) => e instanceof UnavailableError && e.exit === 69)
    assert.equal((await exec('sh', ['-c', 'exit 3'])).code, 3)
  })
})
