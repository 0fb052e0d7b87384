/**
 * ipFamily (src/core/address.ts) stands in for node's isIP everywhere so that text which cannot be IPv6 never
 * reaches isIPv6's costly first compile: it must give isIP's answer for every input.
 */
import assert from 'node:assert/strict'
import {isIP} from 'node:net'
import {ipFamily} from '../../src/core/address.js'

describe('ipFamily: node isIP answers without its cold IPv6 cost', () => {
  const corpus = [
    '', ' ', '1.2.3.4', '01.2.3.4', '256.1.1.1', '1.2.3', '1.2.3.4.', '127.0.0.1', '0.0.0.0', '255.255.255.255',
    '::', '::1', '2001:db8::7', '2001:DB8::7', 'fe80::1%eth0', 'fe80::1%', '::ffff:192.0.2.1', '::ffff:c000:0201',
    '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', ':::', '1::2::3', 'shop.example.com', 'localhost', 'a:b', ':', '1.2.3.4:80',
    '[::1]', '::1]', '0x7f.0.0.1', '1.2.3.4%eth0', '١.٢.٣.٤', 'g::1', '2001:db8::192.0.2.1', '2001:db8::256.0.2.1',
  ]
  it('equals isIP on addresses, near-addresses and names', () => {
    for (const text of corpus) assert.equal(ipFamily(text), isIP(text), JSON.stringify(text))
  })
  it('equals isIP on random text over the address alphabet', () => {
    const alphabet = '0123456789abcdefABCDEF:.%[]x '
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    for (let i = 0; i < 20000; i++) {
      const length = next() % 18
      let text = ''
      for (let j = 0; j < length; j++) text += alphabet[next() % alphabet.length]
      assert.equal(ipFamily(text), isIP(text), JSON.stringify(text))
    }
  })
})
