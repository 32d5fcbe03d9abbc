// npm buttplug 0.13.2 (spec v1), through its browser WebSocket connector.
// Usage: node v1.mjs ws://127.0.0.1:PORT (vibrate|disconnect) [DEVICE_INDEX...]
//   vibrate:    vibrate the selected devices at 0.5, READY vibrated, stop each, READY stopped, disconnect
//   disconnect: vibrate the selected devices at 0.5, READY vibrated, disconnect (no explicit stop)
import { createRequire } from 'node:module';
import { emit, ready, parseArgs, run, connectOrExplain, TracedWebSocket, receivedServerInfo } from './common.mjs';

// The 0.13 connector does `new WebSocket(url)`: node 20 has no such global, so give it `ws`'s.
globalThis.WebSocket = TracedWebSocket;
const require = createRequire(import.meta.url);
const Buttplug = require('buttplug-v1');
// Its logger prints nothing unless asked; keep it that way (stdout is the test protocol).

const { url, scenario, selects } = parseArgs(['vibrate', 'disconnect']);

await run(async () => {
  const client = new Buttplug.ButtplugClient('plugboard-e2e js v1');
  const connector = new Buttplug.ButtplugBrowserWebsocketClientConnector(url);
  await connectOrExplain(url, () => client.Connect(connector));

  const info = receivedServerInfo();
  emit({ event: 'server', library: 'buttplug@0.13.2', connected: client.Connected,
         server_name: info?.ServerName, message_version: info?.MessageVersion, max_ping_time: info?.MaxPingTime });

  const devices = client.Devices;
  emit({ event: 'devices', devices: devices.map((d) => ({
    index: d.Index, name: d.Name, messages: d.AllowedMessages, attributes: d.AllowedMessagesObject,
  })) });

  const vibrators = devices.filter((d) => selects(d.Index) && d.AllowedMessages.includes('VibrateCmd'));
  if (vibrators.length === 0) throw new Error('no device with VibrateCmd to command');
  for (const d of vibrators) await d.SendVibrateCmd(0.5);
  emit({ event: 'vibrated', devices: vibrators.map((d) => d.Index), speed: 0.5 });
  await ready('vibrated');

  if (scenario === 'vibrate') {
    for (const d of vibrators) await d.SendStopDeviceCmd();
    emit({ event: 'stopped', devices: vibrators.map((d) => d.Index) });
    await ready('stopped');
  }

  // Disconnect() sends StopAllDevices, waits for Ok, then closes the socket.
  await client.Disconnect();
  emit({ event: 'disconnected', connected: client.Connected });
});
