/**
 * What a container without the capability meets, for real: a copy of a program carrying the file capability
 * cap_net_bind_service=+ep (as the image's haproxy does), run by a process whose bounding set lacks it. The
 * kernel refuses the exec (EPERM); processExec reports it as PermissionError (exit 77) naming the cause, not as
 * the program's exit status ("haproxy -c exited 1"). And test/helpers/pod-runner.ts leaves no mount behind when
 * its constructor fails.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ROOT} from '../helpers/cli.js'
import {PodRunner} from '../helpers/pod-runner.js'

describe('a file capability outside the bounding set (EPERM)', () => {
  let dir: string
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-eperm-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('processExec rejects with PermissionError (exit 77), one line naming EPERM and the bounding set', () => {
    const bin = path.join(dir, 'haproxy')
    copyFileSync('/bin/true', bin)
    execFileSync('setcap', ['cap_net_bind_service=+ep', bin])
    const script = `import {processExec} from ${JSON.stringify(path.join(ROOT, 'src/core/exec.ts'))}
processExec({timeoutMs: 5000, hint: ''})(${JSON.stringify(bin)}, ['-c']).then(
  (r) => console.log(JSON.stringify({ran: r.code})),
  (e) => console.log(JSON.stringify({error: e.constructor.name, exit: e.exit, message: e.message})))`
    const run = (bounding: string[]) =>
      JSON.parse(execFileSync('setpriv', [...bounding, '--', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], {cwd: ROOT, encoding: 'utf8'}).trim().split('\n').at(-1)!)
    // With the capability in the bounding set, it runs; without it, the kernel refuses the exec.
    assert.deepEqual(run([]), {ran: 0})
    const r = run(['--bounding-set', '-net_bind_service'])
    assert.equal(r.error, 'PermissionError')
    assert.equal(r.exit, 77)
    assert.match(r.message, /^cannot run .*haproxy: permission denied \(EPERM\): a file capability .*bounding set/)
    assert.doesNotMatch(r.message, /\n/)
  })
})

describe('pod-runner: a constructor that fails unmounts what it mounted', () => {
  it('no tmpfs is left behind, and the directory can be removed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipctl-podrunner-'))
    const pod = {volumes: [{name: 'run', emptyDir: {medium: 'Memory'}}, {name: 'host', hostPath: {path: '/'}}], containers: []}
    const ctx = {namespace: 'n', podName: 'p', nodeName: 'x', netns: '/var/run/netns/none', serviceHost: '10.0.0.1', servicePort: 443, token: 't', caCrt: 'c'}
    assert.throws(() => new PodRunner({ref: 'r', rootfs: '/nonexistent', config: {}}, pod, ctx, dir), /volume host: only emptyDir/)
    assert.doesNotMatch(readFileSync('/proc/self/mounts', 'utf8'), new RegExp(` ${dir.replaceAll('.', '\\.')}/`))
    rmSync(dir, {recursive: true})
    assert.equal(existsSync(dir), false)
  })
})
