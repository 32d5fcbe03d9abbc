// npm buttplug 5.0.2 (spec v4), through its node WebSocket connector.
// Usage: node v4.mjs ws://127.0.0.1:PORT (vibrate|disconnect) [DEVICE_INDEX...]
//   vibrate:    vibrate the selected devices at 50 %, READY vibrated, read each battery, stop each,
//               READY stopped, disconnect
//   disconnect: vibrate the selected devices at 50 %, READY vibrated, disconnect (no explicit stop)
// Device.hasOutput()/hasInput() use iterator helpers (node 22+): this script asks the features instead.
import { createRequire } from 'node:module';
import { emit, ready, parseArgs, run, connectOrExplain, TracedWebSocket } from './common.mjs';

const require = createRequire(import.meta.url);
const Buttplug = require('buttplug-v4');
const { OutputType, InputType, DeviceOutput } = Buttplug;

class TracedConnector extends Buttplug.ButtplugNodeWebsocketClientConnector {
  _websocketConstructor = TracedWebSocket;
}

const { url, scenario, selects } = parseArgs(['vibrate', 'disconnect']);

const features = (d) => [...d.features.values()];
const canVibrate = (d) => features(d).some((f) => f.hasOutput(OutputType.Vibrate));
const hasBattery = (d) => features(d).some((f) => f.hasInput(InputType.Battery));

await run(async () => {
  const client = new Buttplug.ButtplugClient('plugboard-e2e js v4');
  await connectOrExplain(url, () => client.connect(new TracedConnector(url)));

  const info = client.serverInfo;
  emit({ event: 'server', library: 'buttplug@5.0.2', connected: client.connected,
         server_name: info?.serverName, protocol_version_major: info?.protocolVersionMajor,
         protocol_version_minor: info?.protocolVersionMinor, max_ping_time: info?.maxPingTime });

  const devices = [...client.devices.values()];
  emit({ event: 'devices', devices: devices.map((d) => ({
    index: d.index, name: d.name, display_name: d.displayName ?? null,
    timing_gap: d.messageTimingGap ?? null,
    features: features(d).map((f) => ({
      index: f.index, description: f.featureDescriptor,
      outputs: Object.fromEntries([...f.outputs.entries()].map(([k, v]) => [k, v.valueRange])),
      inputs: Object.fromEntries([...f.inputs.entries()].map(([k, v]) => [k, { range: v.valueRange, commands: v.commands }])),
    })),
  })) });

  const vibrators = devices.filter((d) => selects(d.index) && canVibrate(d));
  if (vibrators.length === 0) throw new Error('no device with a Vibrate output to command');
  for (const d of vibrators) await d.runOutput(DeviceOutput.Vibrate.percent(0.5));
  emit({ event: 'vibrated', devices: vibrators.map((d) => d.index), speed: 0.5 });
  await ready('vibrated');

  if (scenario === 'vibrate') {
    for (const d of devices.filter((d) => selects(d.index) && hasBattery(d))) {
      emit({ event: 'battery', index: d.index, level: await d.battery() });
    }
    for (const d of vibrators) await d.stop();
    emit({ event: 'stopped', devices: vibrators.map((d) => d.index) });
    await ready('stopped');
  }

  // disconnect() sends StopCmd (no device index: everything), waits for Ok, then closes the socket.
  await client.disconnect();
  emit({ event: 'disconnected', connected: client.connected });
});
