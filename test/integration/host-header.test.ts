/**
 * Requests that try to forge a route, through a real HAProxy running the
 * generated config in a private network namespace (the VIPs and Pod addresses
 * exist only on its loopback; echo servers answer with their own address).
 * Cases host-header-route-bypass and http-host-with-port, on HTTP and HTTPS.
 */
import assert from 'node:assert/strict'
import {loadOffline} from '../../src/cluster/offline.js'
import {serveInNetns, type Netns} from '../helpers/privatens.js'

const noStdin = {readStdin: async () => ''}
const serve = async (fixture: string, ready: string[]) => serveInNetns(await loadOffline({filenames: [fixture], strict: false}, noStdin), ready)

describe('requests that try to forge a route (real HAProxy in a private namespace)', function () {
  this.timeout(60_000)

  describe('case host-header-route-bypass: Host never selects a path', () => {
    let ns: Netns
    before(async () => (ns = await serve('test/fixtures/cases/host-header-route-bypass/manifests.yaml', ['-H', 'Host: api.example.test', 'http://192.0.2.130/admin'])))
    after(() => ns?.stop())

    it('routes by host and path as written', () => {
      assert.match(ns.curl(['-H', 'Host: api.example.test', 'http://192.0.2.130/public/info']).body, /^be=10\.244\.3\.1 path=\/public\/info/)
      assert.match(ns.curl(['-H', 'Host: api.example.test', 'http://192.0.2.130/admin']).body, /^be=10\.244\.3\.2 path=\/admin/)
    })

    it('answers 400 to a Host that is not a host name, whatever path it carries', () => {
      for (const host of ['api.example.test/public', 'API.EXAMPLE.TEST/public:80', 'api.example.test/public/', 'api.example.test%2fpublic', 'api.example.test\\public', 'a b', 'api.example.test..', '.api.example.test']) {
        const r = ns.curl(['-H', `Host: ${host}`, 'http://192.0.2.130/admin'])
        assert.equal(r.status, 400, `Host: ${host} -> ${r.status} ${r.body}`)
        assert.doesNotMatch(r.body, /10\.244\.3\.1/)
      }
    })

    it('normalises case, port and one trailing dot, so those spellings still reach their route', () => {
      for (const host of ['API.Example.Test', 'api.example.test:80', 'api.example.test.', 'api.example.test.:8080']) {
        assert.match(ns.curl(['-H', `Host: ${host}`, 'http://192.0.2.130/public/x']).body, /^be=10\.244\.3\.1 /, host)
        assert.match(ns.curl(['-H', `Host: ${host}`, 'http://192.0.2.130/admin']).body, /^be=10\.244\.3\.2 /, host)
      }
    })

    it('a request without a Host header (HTTP/1.0) sees only the rules without a host: here none, so 404', () => {
      const r = ns.curl(['-0', '-H', 'Host:', 'http://192.0.2.130/public/x'])
      assert.equal(r.status, 404)
    })
  })

  describe('case http-host-with-port: redirects never carry the client port into https', () => {
    let ns: Netns
    before(async () => (ns = await serve('test/fixtures/cases/http-host-with-port/redirect/manifests.yaml', ['--resolve', 'app.example.test:443:192.0.2.30', '-k', 'https://app.example.test/x'])))
    after(() => ns?.stop())

    it('redirects to https://host/path?query for every spelling of the HTTP Host', () => {
      for (const host of ['app.example.test', 'app.example.test:80', 'APP.Example.TEST:80', 'app.example.test:8080', 'app.example.test.']) {
        const r = ns.curl(['-H', `Host: ${host}`, 'http://192.0.2.30/x?q=1'])
        assert.equal(r.status, 308, host)
        assert.equal(r.location, 'https://app.example.test/x?q=1', host)
      }
    })

    it('serves HTTPS by host name whatever port or case the Host carries, and refuses a forged Host there too', () => {
      const tls = ['--resolve', 'app.example.test:443:192.0.2.30', '-k']
      for (const host of ['app.example.test', 'app.example.test:443', 'App.Example.Test:443']) assert.match(ns.curl([...tls, '-H', `Host: ${host}`, 'https://app.example.test/x']).body, /^be=10\.244\.0\.31 /, host)
      assert.equal(ns.curl([...tls, '-H', 'Host: app.example.test/x', 'https://app.example.test/y']).status, 400)
    })
  })
})
