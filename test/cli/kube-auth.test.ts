/**
 * The shipped (bundled) CLI authenticates as kubectl does: the bundle carries
 * client-node's KubeConfig without its generated API client (scripts/bundle.mjs),
 * so every way a kubeconfig can name credentials is run here against an HTTPS
 * API server on 127.0.0.1 that records the Authorization header it was sent:
 * a token, a tokenFile, an exec credential plugin, the oidc and gcp auth
 * providers, and the in-cluster config (ServiceAccount files in a private mount
 * namespace, KUBERNETES_SERVICE_HOST/PORT).
 */
import assert from 'node:assert/strict'
import {execFile, execFileSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {LIST_KINDS} from '../helpers/api-kinds.js'
import {ROOT, vipctl} from '../helpers/cli.js'

const TMP = mkdtempSync(path.join(os.tmpdir(), 'vipctl-kube-auth-'))
const KEY = path.join(TMP, 'server.key')
const CERT = path.join(TMP, 'server.crt')
let server: https.Server
let url = ''
const seen: string[] = []

before(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', KEY, '-out', CERT, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {stdio: 'ignore'})
  server = https.createServer({key: readFileSync(KEY), cert: readFileSync(CERT)}, (req, res) => {
    seen.push(String(req.headers.authorization ?? '(none)'))
    const resource = (req.url ?? '').split('?')[0]?.split('/').at(-1) ?? ''
    if (/^\/api\/v1\/namespaces\/[^/?]+$/.test(req.url ?? '')) return res.writeHead(200, {'Content-Type': 'application/json'}).end('{"kind":"Namespace","metadata":{"name":"shop"}}')
    res.writeHead(200, {'Content-Type': 'application/json'}).end(JSON.stringify({kind: `${LIST_KINDS[resource] ?? 'Unknown'}List`, metadata: {resourceVersion: '1'}, items: []}))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  await new Promise<void>((r) => server.close(() => r()))
  rmSync(TMP, {recursive: true, force: true})
})

function kubeconfig(name: string, user: string): string {
  const file = path.join(TMP, `${name}.kubeconfig`)
  const ca = readFileSync(CERT).toString('base64')
  writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${url}", certificate-authority-data: ${ca}}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]\ncurrent-context: x\n`)
  return file
}

function script(name: string, body: string): string {
  const file = path.join(TMP, name)
  writeFileSync(file, `#!/bin/sh\n${body}\n`)
  chmodSync(file, 0o700)
  return file
}

/** Runs `inspect services` and returns the Authorization headers the server saw. */
async function authorizations(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  seen.length = 0
  const r = await vipctl(['inspect', 'services', '-o', 'name', ...args], {env: {HOME: TMP, KUBECONFIG: '', ...env}})
  assert.equal(r.code, 0, r.stderr)
  assert.ok(seen.length > 0, 'no request reached the API server')
  return [...new Set(seen)]
}

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')

describe('kubeconfig credentials in the shipped bundle', () => {
  it('a token', async () => {
    assert.deepEqual(await authorizations(['--kubeconfig', kubeconfig('token', '{token: plain-token}')]), ['Bearer plain-token'])
  })

  it('a tokenFile', async () => {
    const file = path.join(TMP, 'token-file')
    writeFileSync(file, 'file-token\n')
    assert.deepEqual(await authorizations(['--kubeconfig', kubeconfig('token-file', `{tokenFile: ${file}}`)]), ['Bearer file-token'])
  })

  it('a token with a control character inside is one line, exit 65, the value not shown', async () => {
    const file = path.join(TMP, 'bad-token-file')
    writeFileSync(file, 'SECRET\u0001PART\n')
    const r = await vipctl(['inspect', 'services', '--kubeconfig', kubeconfig('bad-token', `{tokenFile: ${file}}`)], {env: {HOME: TMP}})
    assert.equal(r.code, 65, r.stderr)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /user "u": the credentials give Authorization a value HTTP cannot send \(a control or non-ASCII character/)
    assert.doesNotMatch(r.stderr, /SECRET|PART/)
  })

  it('a whitespace-only tokenFile is exit 65 (an empty token), as kubectl refuses it', async () => {
    const file = path.join(TMP, 'blank-token-file')
    writeFileSync(file, '  \n')
    const r = await vipctl(['inspect', 'services', '--kubeconfig', kubeconfig('blank-token', `{tokenFile: ${file}}`)], {env: {HOME: TMP}})
    assert.equal(r.code, 65, r.stderr)
    assert.match(r.stderr, /an empty token/)
  })

  it('an exec plugin that prints its raw token instead of an ExecCredential: exit 65, the output not shown', async () => {
    const plugin = script('raw-plugin', 'echo "sha256~RawSecretToken123"')
    const r = await vipctl(['inspect', 'services', '--kubeconfig', kubeconfig('raw-exec', `{exec: {apiVersion: client.authentication.k8s.io/v1, command: ${plugin}, interactiveMode: Never}}`)], {env: {HOME: TMP}})
    assert.equal(r.code, 65, r.stderr)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /cannot set up credentials for user "u": the credential plugin's output is not JSON/)
    assert.doesNotMatch(r.stderr, /sha256|RawSecret/)
  })

  it('an exec credential plugin (client.authentication.k8s.io/v1)', async () => {
    const plugin = script('exec-plugin', `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token"}}'`)
    const user = `{exec: {apiVersion: client.authentication.k8s.io/v1, command: ${plugin}, interactiveMode: Never}}`
    assert.deepEqual(await authorizations(['--kubeconfig', kubeconfig('exec', user)]), ['Bearer exec-token'])
  })

  it('the oidc auth provider (an unexpired id-token)', async () => {
    const idToken = `${b64url({alg: 'none', typ: 'JWT'})}.${b64url({iss: 'https://issuer.invalid', exp: Math.floor(Date.now() / 1000) + 3600})}.c2ln`
    const user = `{auth-provider: {name: oidc, config: {client-id: vipctl, idp-issuer-url: "https://issuer.invalid", id-token: "${idToken}"}}}`
    assert.deepEqual(await authorizations(['--kubeconfig', kubeconfig('oidc', user)]), [`Bearer ${idToken}`])
  })

  it('the gcp auth provider (its cmd-path run for a token)', async () => {
    const cmd = script('gcloud', `echo '{"credential":{"access_token":"gcp-token","token_expiry":"2099-01-01T00:00:00Z"}}'`)
    const user = `{auth-provider: {name: gcp, config: {cmd-path: ${cmd}, cmd-args: "config config-helper --format=json", token-key: "{.credential.access_token}", expiry-key: "{.credential.token_expiry}"}}}`
    assert.deepEqual(await authorizations(['--kubeconfig', kubeconfig('gcp', user)]), ['Bearer gcp-token'])
  })

  it('the in-cluster config (ServiceAccount files, KUBERNETES_SERVICE_HOST/PORT) when there is no kubeconfig', async () => {
    assert.equal(process.getuid?.(), 0, 'the in-cluster test needs root for a private mount namespace (CI runs as root)')
    const port = (server.address() as AddressInfo).port
    writeFileSync(path.join(TMP, 'sa-token'), 'in-cluster-token')
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount'
    // A private mount namespace: the ServiceAccount files exist for this one process only.
    const inner = [
      'mount -t tmpfs vipctl-test /var/run',
      `mkdir -p ${dir}`,
      `cp ${path.join(TMP, 'sa-token')} ${dir}/token`,
      `cp ${CERT} ${dir}/ca.crt`,
      `printf shop > ${dir}/namespace`,
      `exec "${process.execPath}" "${path.join(ROOT, 'bin', 'run.js')}" inspect services -o name`,
    ].join(' && ')
    seen.length = 0
    // Not execFileSync: the API server answering it runs in this process.
    const out = await new Promise<string>((resolve, reject) =>
      execFile('unshare', ['-m', '--propagation', 'private', 'sh', '-c', inner], {env: {PATH: process.env.PATH, HOME: TMP, NO_COLOR: '1', KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port)}, timeout: 30_000}, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout),
      ),
    )
    assert.equal(out, '')
    assert.deepEqual([...new Set(seen)], ['Bearer in-cluster-token'])
  })
})
