import type { Config } from '../config.js'
import { MqttBridge } from './mqtt-bridge.js'
import { EmbeddedMqttIntake, type MqttIntakeBase } from './mqtt-intake.js'

/** Device intake over MQTT: a client of MQTT_URL, else the embedded broker; none when MQTT is off. */
export function createMqttIntake(
  config: Config,
  deps: ConstructorParameters<typeof EmbeddedMqttIntake>[0],
): MqttIntakeBase | undefined {
  if (!config.mqtt) return undefined
  if (config.mqtt.url) return new MqttBridge(deps, config.mqtt.url, config.mqtt.shareGroup)
  return new EmbeddedMqttIntake(deps, { port: config.mqtt.port, host: config.mqtt.host })
}
