/**
 * TLS Secrets as a proxy will load them. tls.crt and tls.key are parsed into
 * typed PEM blocks; the result is re-encoded canonically from the parsed DER,
 * so what a target writes is exactly what was checked here:
 *  - chain: the CERTIFICATE blocks of tls.crt, leaf first (it must match the key);
 *  - key: the one private key of tls.key, as PKCS#8 PEM (secret).
 * Anything else in tls.crt never reaches a certificate file or any output: a
 * copy of the matching key is dropped with a note; an unrelated key, a block
 * that does not parse, a broken or out-of-order chain, or a key or signature
 * the proxy's TLS library refuses by default makes the Secret unusable (a
 * finding on the objects that use it; everything else renders).
 */
import {X509Certificate, createPrivateKey, createPublicKey, type KeyObject} from 'node:crypto'
import {SecretBytes} from '../cluster/types.js'

export interface PemBlock {
  /** The label between BEGIN and END, e.g. CERTIFICATE, PRIVATE KEY. */
  label: string
  der: Buffer
}

export interface TlsMaterial {
  /** Canonical PEM of the certificate chain, leaf first. Public. */
  chain: string
  /** Canonical PKCS#8 PEM of the private key. Secret. */
  key: SecretBytes
  /** The leaf certificate. */
  leaf: X509Certificate
  /** Things dropped or worth knowing that do not make the Secret unusable. */
  notes: string[]
}

export type TlsResult = {ok: true; material: TlsMaterial} | {ok: false; problem: string}

/** namespace/name -> the Secret's TLS pair as validateTls() read it; undefined when there is none. Every target takes one. */
export type SecretLookup = (nsName: string) => TlsResult | undefined

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n([\s\S]*?)-----END \1-----/g
const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'])
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Parses PEM text into blocks (text between them is skipped). Throws
 * Error(reason) on an unterminated block, on PEM headers
 * (Proc-Type: encrypted legacy keys) and on malformed base64.
 */
export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = []
  let last = 0
  // Text between blocks (openssl pkcs12's "Bag Attributes", comments) is skipped, as OpenSSL's PEM reader does;
  // only the parsed blocks are ever written back.
  for (const m of text.matchAll(BLOCK)) {
    if (text.slice(last, m.index).includes('-----BEGIN')) throw new Error('unterminated PEM block')
    last = m.index! + m[0].length
    const body = m[2]!
    if (body.includes(':')) throw new Error(`${m[1]} block has PEM headers (an encrypted key?)`)
    const b64 = body.replace(/[\r\n\t ]/g, '')
    if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) throw new Error(`${m[1]} block is not valid base64`)
    blocks.push({label: m[1]!, der: Buffer.from(b64, 'base64')})
  }
  if (text.slice(last).includes('-----BEGIN')) throw new Error('unterminated PEM block')
  return blocks
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64')
  const lines: string[] = []
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64))
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/** Signature algorithms OpenSSL's default security level (2) refuses in a chain: MD5 and SHA-1 based. */
const WEAK_SIGNATURES = new Map([
  ['1.2.840.113549.1.1.4', 'md5WithRSAEncryption'],
  ['1.2.840.113549.1.1.5', 'sha1WithRSAEncryption'],
  ['1.2.840.10045.4.1', 'ecdsa-with-SHA1'],
  ['1.2.840.10040.4.3', 'dsa-with-sha1'],
  ['1.3.14.3.2.29', 'sha1WithRSA'],
])

/** The signatureAlgorithm OID of a DER certificate (SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }), or undefined. */
export function signatureOid(der: Buffer): string | undefined {
  try {
    let p = 0
    const len = (): number => {
      const first = der[p++]!
      if (first < 0x80) return first
      const n = first & 0x7f
      if (n < 1 || n > 4) throw new Error('length')
      let v = 0
      for (let i = 0; i < n; i++) v = v * 256 + der[p++]!
      return v
    }
    if (der[p++] !== 0x30) return undefined
    len()
    if (der[p++] !== 0x30) return undefined
    const tbs = len()
    p += tbs // skip tbsCertificate
    if (der[p++] !== 0x30) return undefined
    len()
    if (der[p++] !== 0x06) return undefined
    const n = len()
    const bytes = der.subarray(p, p + n)
    const parts: number[] = [Math.floor(bytes[0]! / 40), bytes[0]! % 40]
    let v = 0
    for (const b of bytes.subarray(1)) {
      v = v * 128 + (b & 0x7f)
      if (!(b & 0x80)) {
        parts.push(v)
        v = 0
      }
    }
    return parts.join('.')
  } catch {
    return undefined
  }
}

function keyStrength(k: KeyObject): string | undefined {
  const d = k.asymmetricKeyDetails
  if (k.asymmetricKeyType === 'rsa' || k.asymmetricKeyType === 'rsa-pss') return (d?.modulusLength ?? 0) < 2048 ? `an RSA key of ${d?.modulusLength} bits (at least 2,048 are needed)` : undefined
  if (k.asymmetricKeyType === 'ec') return ['prime256v1', 'secp384r1', 'secp521r1'].includes(d?.namedCurve ?? '') ? undefined : `an EC key on curve ${d?.namedCurve ?? 'unknown'} (P-256, P-384 or P-521 are supported)`
  // Ed25519/Ed448 certificates: web clients and NetScaler do not take them (the README's rule: RSA or EC only).
  const what = k.asymmetricKeyType === 'ed25519' ? 'an Ed25519' : k.asymmetricKeyType === 'ed448' ? 'an Ed448' : `a ${k.asymmetricKeyType ?? 'unknown'}`
  return `${what} key (RSA of at least 2,048 bits, or EC on P-256, P-384 or P-521, are supported)`
}

/**
 * Validates a TLS pair as the proxy will load it. Never throws; the problem
 * texts name no key material.
 */
export function validateTls(certPem: Buffer, keyPem: Buffer): TlsResult {
  const fail = (problem: string): TlsResult => ({ok: false, problem})
  let certBlocks: PemBlock[]
  let keyBlocks: PemBlock[]
  try {
    certBlocks = parsePem(certPem.toString('latin1'))
  } catch (error) {
    return fail(`tls.crt: ${(error as Error).message}`)
  }
  try {
    keyBlocks = parsePem(keyPem.toString('latin1'))
  } catch (error) {
    return fail(`tls.key: ${(error as Error).message}`)
  }
  const keys = keyBlocks.filter((b) => KEY_LABELS.has(b.label))
  const otherInKey = keyBlocks.filter((b) => !KEY_LABELS.has(b.label) && b.label !== 'EC PARAMETERS')
  if (keys.length !== 1) return fail(`tls.key holds ${keys.length} private keys (exactly one is needed)`)
  if (otherInKey.length > 0) return fail(`tls.key holds a ${otherInKey[0]!.label} block besides the key`)
  if (keys[0]!.label === 'ENCRYPTED PRIVATE KEY') return fail('tls.key is encrypted; the proxy needs an unencrypted key')
  let key: KeyObject
  try {
    const k = keys[0]!
    key = k.label === 'PRIVATE KEY' ? createPrivateKey({key: k.der, format: 'der', type: 'pkcs8'}) : createPrivateKey({key: k.der, format: 'der', type: k.label === 'RSA PRIVATE KEY' ? 'pkcs1' : 'sec1'})
  } catch {
    return fail('tls.key is not a valid private key')
  }
  const weakKey = keyStrength(key)
  if (weakKey) return fail(`tls.key is ${weakKey}`)

  const notes: string[] = []
  const certs: X509Certificate[] = []
  const ders: Buffer[] = []
  for (const b of certBlocks) {
    if (b.label === 'CERTIFICATE') {
      try {
        certs.push(new X509Certificate(b.der))
        ders.push(b.der)
      } catch {
        return fail(`tls.crt: certificate ${certs.length + 1} does not parse`)
      }
      continue
    }
    if (KEY_LABELS.has(b.label)) {
      // A "combined PEM": harmless when it is the same key (dropped, never written as a certificate); otherwise the proxy refuses the file.
      try {
        const k = createPrivateKey({key: b.der, format: 'der', type: b.label === 'PRIVATE KEY' ? 'pkcs8' : b.label === 'RSA PRIVATE KEY' ? 'pkcs1' : 'sec1'})
        if (createPublicKey(k).export({format: 'der', type: 'spki'}).equals(createPublicKey(key).export({format: 'der', type: 'spki'}))) {
          notes.push('tls.crt also holds the private key; only the certificates are used')
          continue
        }
      } catch {
        // fall through: not a usable key
      }
      return fail('tls.crt holds a private key that is not the key in tls.key')
    }
    return fail(`tls.crt holds a ${b.label} block; only CERTIFICATE blocks are allowed`)
  }
  if (certs.length === 0) return fail('tls.crt holds no certificate')
  const leaf = certs[0]!
  if (!leaf.checkPrivateKey(key)) return fail(certs.some((c) => c.checkPrivateKey(key)) ? 'tls.crt does not start with the certificate of tls.key (the leaf must come first)' : 'tls.key is not the key of the certificate in tls.crt')
  for (let i = 1; i < certs.length; i++) {
    if (!certs[i - 1]!.checkIssued(certs[i]!) || !certs[i - 1]!.verify(certs[i]!.publicKey))
      return fail(`tls.crt: certificate ${i + 1} did not issue certificate ${i} (the chain must go from the leaf towards the root, in order)`)
  }
  for (let i = 1; i < certs.length; i++) {
    const weak = keyStrength(certs[i]!.publicKey)
    if (weak) return fail(`tls.crt: certificate ${i + 1} has ${weak}`)
  }
  for (const [i, der] of ders.entries()) {
    const weak = WEAK_SIGNATURES.get(signatureOid(der) ?? '')
    // OpenSSL does not judge a self-signed certificate by its own signature; the rest must not use MD5 or SHA-1.
    if (weak && !certs[i]!.checkIssued(certs[i]!)) return fail(`tls.crt: certificate ${i + 1} is signed with ${weak}, which the proxy's TLS library refuses`)
  }
  return {
    ok: true,
    material: {
      chain: ders.map((d) => pem('CERTIFICATE', d)).join(''),
      key: new SecretBytes(Buffer.from(key.export({format: 'pem', type: 'pkcs8'}) as string)),
      leaf,
      notes,
    },
  }
}

/**
 * A CA bundle (a Secret's ca.crt) as a proxy will load it: only CERTIFICATE blocks, each one parsed, re-encoded
 * canonically. Certificates are public: the result may be written with mode 0644. Refuses anything else.
 */
export function validateCa(bytes: Buffer): {ok: true; pem: string; count: number} | {ok: false; problem: string} {
  let blocks: PemBlock[]
  try {
    blocks = parsePem(bytes.toString('utf8'))
  } catch (error) {
    return {ok: false, problem: (error as Error).message}
  }
  if (blocks.length === 0) return {ok: false, problem: 'ca.crt holds no PEM certificate'}
  if (blocks.length > 100) return {ok: false, problem: `ca.crt holds ${blocks.length} blocks; at most 100 certificates`}
  const out: string[] = []
  for (const b of blocks) {
    if (b.label !== 'CERTIFICATE') return {ok: false, problem: `ca.crt holds a ${b.label} block; only certificates belong there`}
    try {
      new X509Certificate(b.der)
    } catch {
      return {ok: false, problem: 'a certificate in ca.crt does not parse'}
    }
    out.push(pem('CERTIFICATE', b.der))
  }
  return {ok: true, pem: out.join(''), count: out.length}
}

/** The DNS names of a certificate's subjectAltName, lower case ([] without any, or without a certificate). */
export function dnsNames(cert: X509Certificate | undefined): string[] {
  return (cert?.subjectAltName ?? '').split(', ').filter((x) => x.startsWith('DNS:')).map((x) => x.slice(4).toLowerCase())
}
