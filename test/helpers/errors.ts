/** Assertions on vipctl's typed errors, for assert.throws / assert.rejects. */
import assert from 'node:assert/strict'

/**
 * A predicate that holds when the error is an instance of `type` with exit code `exit` and a one-line message
 * matching `message` (assertion failures inside say which of these did not hold).
 */
export function oneLineError(type: abstract new (...args: never[]) => Error & {exit: number}, exit: number, message: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof type, String(e))
    assert.equal(e.exit, exit)
    assert.doesNotMatch(e.message, /\n/)
    assert.match(e.message, message)
    return true
  }
}
