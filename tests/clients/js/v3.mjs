// npm buttplug 3.2.2 (spec v3), through its node WebSocket connector.
// Usage: node v3.mjs ws://127.0.0.1:PORT (vibrate|disconnect) [DEVICE_INDEX...]
//   vibrate:    vibrate the selected devices at 0.5, READY vibrated, read each battery, stop each,
//               READY stopped, disconnect
//   disconnect: vibrate the selected devices at 0.5, READY vibrated, disconnect (no explicit stop)
import { createRequire } from 'node:module';
import { emit, ready, parseArgs, run, connectOrExplain, TracedWebSocket, receivedServerInfo } from './common.mjs';

const require = createRequire(import.meta.url);
const Buttplug = require('buttplug-v3');

class TracedConnector extends Buttplug.ButtplugNodeWebsocketClientConnector {
  _websocketConstructor = TracedWebSocket;
}

const { url, scenario, selects } = parseArgs(['vibrate', 'disconnect']);

await run(async () => {
  const client = new Buttplug.ButtplugClient('plugboard-e2e js v3');
  await connectOrExplain(url, () => client.connect(new TracedConnector(url)));

  const info = receivedServerInfo();
  emit({ event: 'server', library: 'buttplug@3.2.2', connected: client.connected,
         server_name: info?.ServerName, message_version: info?.MessageVersion, max_ping_time: info?.MaxPingTime });

  const devices = client.devices;
  emit({ event: 'devices', devices: devices.map((d) => ({
    index: d.index, name: d.name, display_name: d.displayName ?? null,
    timing_gap: d.messageTimingGap ?? null,
    vibrators: d.vibrateAttributes.length, has_battery: d.hasBattery,
    attributes: d.messageAttributes,
  })) });

  const vibrators = devices.filter((d) => selects(d.index) && d.vibrateAttributes.length > 0);
  if (vibrators.length === 0) throw new Error('no device with a vibrator to command');
  for (const d of vibrators) await d.vibrate(0.5);
  emit({ event: 'vibrated', devices: vibrators.map((d) => d.index), speed: 0.5 });
  await ready('vibrated');

  if (scenario === 'vibrate') {
    for (const d of devices.filter((d) => selects(d.index) && d.hasBattery)) {
      emit({ event: 'battery', index: d.index, level: await d.battery() });
    }
    for (const d of vibrators) await d.stop();
    emit({ event: 'stopped', devices: vibrators.map((d) => d.index) });
    await ready('stopped');
  }

  // disconnect() sends StopAllDevices, waits for Ok, then closes the socket.
  await client.disconnect();
  emit({ event: 'disconnected', connected: client.connected });
});
