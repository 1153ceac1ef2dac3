import { describe, expect, it } from 'vitest'
import { parseSimArgs, UsageError } from '../../scripts/simulator/args.js'

describe('simulator options', () => {
  it('has the documented defaults, the MQTT broker on the service’s host', () => {
    expect(parseSimArgs(['--url', 'http://10.0.0.5:8000/'])).toMatchObject({
      vehicles: 10,
      rate: 1,
      protocol: 'mqtt',
      url: 'http://10.0.0.5:8000',
      mqttUrl: 'mqtt://10.0.0.5:1883',
      fleet: 'data/fleet_15min.csv',
      readings: undefined,
      durationS: undefined,
      provision: 'create',
      email: 'admin@oem.com',
      owner: 'user@demo.com',
      json: false,
    })
    expect(parseSimArgs(['--vehicles', '1000', '--rate', '0.5', '--duration', '30', '--json'])).toMatchObject(
      {
        vehicles: 1000,
        rate: 0.5,
        durationS: 30,
        json: true,
      },
    )
  })

  it.each([
    [['--protocol', 'coap'], /--protocol must be mqtt or http/],
    [['--vehicles', '0'], /--vehicles must be a positive integer, got "0"/],
    [['--vehicles', '2.5'], /--vehicles must be a positive integer/],
    [['--rate', 'fast'], /--rate must be a number in \(0, 1000\]/],
    [['--readings', '10', '--duration', '5'], /--readings or --duration, not both/],
    [['--clock-skew', '400'], /--clock-skew must be seconds in \[0, 60\]/],
    [['--duplicates', '0.5'], /--duplicates must be a share in \[0, 0.2\]/],
    [['--url', 'ftp://x'], /--url must start with http:\/\/ or https:\/\//],
    [['--mqtt-url', 'not a url'], /--mqtt-url is not a URL/],
    [['--provision', 'steal'], /--provision must be create or rotate/],
    [['--vehicle', '3'], /Unknown option '--vehicle'/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => parseSimArgs(argv)).toThrow(UsageError)
    expect(() => parseSimArgs(argv)).toThrow(message)
  })

  it('answers --help', () => {
    expect(parseSimArgs(['--help'])).toBe('help')
  })
})
