/**
 * src/cli/output-guard.ts over a stand-in process (streams and an exit event of its own): which stdout failures are
 * said (once, printable), which exit code results, and that oclif's rethrowing listener can be removed. The built
 * CLI against /dev/full and closed pipes: test/cli/output-failure.test.ts.
 */
import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'
import {PassThrough} from 'node:stream'
import {guardOutput, type GuardedProcess} from '../../src/cli/output-guard.js'

/** A process with streams of its own; `exit()` runs its exit listeners as Node would, with `code` set first. */
function fakeProcess(): GuardedProcess & {said: string[]; exit(code?: number): number | string | undefined} {
  const events = new EventEmitter()
  const said: string[] = []
  const proc = {
    stdout: new PassThrough() as PassThrough & {errored?: Error | null},
    stderr: new PassThrough(),
    exitCode: undefined as number | string | undefined,
    on: (event: 'exit', listener: () => void) => events.on(event, listener),
    said,
    exit(code?: number) {
      if (code !== undefined) proc.exitCode = code
      events.emit('exit')
      return proc.exitCode
    },
  }
  return proc
}
const fail = (code: string, message: string) => Object.assign(new Error(message), {code})

describe('output guard: standard output that cannot be written', () => {
  it('a full disk: one printable line, once, and 74 in place of 0', () => {
    const p = fakeProcess()
    guardOutput(false, p, (l) => p.said.push(l))
    p.stdout.emit('error', fail('ENOSPC', 'ENOSPC: no space left on device, write'))
    p.stdout.emit('error', fail('EIO', 'EIO: i/o error, write'))
    assert.deepEqual(p.said, ['error: cannot write the output: no space left on device (ENOSPC)\n'])
    assert.equal(p.exit(), 74)
    const q = fakeProcess()
    guardOutput(false, q, (l) => q.said.push(l))
    q.stdout.emit('error', fail('E\u001b[2J', 'X: bad\u001b]0;t\u0007, write'))
    assert.deepEqual(q.said, ['error: cannot write the output: bad\\x1b]0;t\\x07 (E\\x1b[2J)\n'])
  })

  it('a code of the command\'s own stays (a verdict, a failure)', () => {
    for (const code of [1, 2, 65, 69]) {
      const p = fakeProcess()
      guardOutput(false, p, (l) => p.said.push(l))
      p.stdout.emit('error', fail('ENOSPC', 'ENOSPC: no space left on device, write'))
      assert.equal(p.exit(code), code)
      assert.equal(p.said.length, 1)
    }
  })

  it('a reader gone (EPIPE) is nothing, and so is success', () => {
    const p = fakeProcess()
    guardOutput(false, p, (l) => p.said.push(l))
    p.stdout.emit('error', fail('EPIPE', 'write EPIPE'))
    assert.deepEqual([p.exit(), p.said], [undefined, []])
    const ok = fakeProcess()
    guardOutput(false, ok, (l) => ok.said.push(l))
    assert.deepEqual([ok.exit(0), ok.said], [0, []])
  })

  it('a failure whose error event has not fired when the process exits is found on the stream', () => {
    const p = fakeProcess()
    guardOutput(false, p, (l) => p.said.push(l))
    Object.defineProperty(p.stdout, 'errored', {value: fail('ENOSPC', 'ENOSPC: no space left on device, write')})
    assert.equal(p.exit(65), 65)
    assert.deepEqual(p.said, ['error: cannot write the output: no space left on device (ENOSPC)\n'])
  })

  it('quiet (the completion callback): nothing said, the exit code left alone', () => {
    const p = fakeProcess()
    guardOutput(true, p, (l) => p.said.push(l))
    p.stdout.emit('error', fail('ENOSPC', 'ENOSPC: no space left on device, write'))
    assert.deepEqual([p.exit(), p.said], [undefined, []])
  })

  it('a stderr that fails too is ignored; the function returned removes every other stdout error listener', () => {
    const p = fakeProcess()
    const drop = guardOutput(false, p, () => {
      throw new Error('stderr is gone')
    })
    p.stderr.emit('error', fail('EIO', 'EIO'))
    const rethrow = (e: Error) => {
      throw e
    }
    p.stdout.on('error', rethrow)
    drop()
    assert.equal(p.stdout.listenerCount('error'), 1)
    p.stdout.emit('error', fail('ENOSPC', 'ENOSPC: no space left on device, write'))
    assert.equal(p.exit(), 74)
  })
})
