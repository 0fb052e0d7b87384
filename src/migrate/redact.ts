/**
 * What migrate may show of its input (findings, the ledger, --report, -o json): the words, with credentials replaced
 * by "***". Never applied to what migrate reads: only to what it shows.
 */

/** Header names whose values are credentials. */
export const SENSITIVE_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|apikey|x-auth-token|x-auth-key|x-access-token|x-csrf-token|x-amz-security-token)$|token|secret|passw|api-?key|auth-?key|session/i

/** A word with embedded credentials masked: URL user:password@, secret query parameters, "Header: value" of sensitive headers. */
export function redactText(w: string): string {
  return w
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s"]*@/gi, '$1***@')
    .replace(/([?&;](?:[a-z0-9_-]*(?:token|key|secret|passw(?:or)?d|pwd|sig|signature|auth|session|credential)[a-z0-9_-]*)=)[^&\s"#]*/gi, '$1***')
    .replace(/((?:proxy-)?authorization|cookie|x-api-key|api-key|x-auth-token|x-auth-key|x-access-token)(\s*:\s*)[^\r\n"]*/gi, '$1$2***')
}
