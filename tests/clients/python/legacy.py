"""pip buttplug-py 0.2.0 (spec v0-v3; the test uses 2 and 3: with 0 or 1 the library itself crashes).

Usage: legacy.py ws://127.0.0.1:PORT (vibrate|disconnect|scan) SPEC [DEVICE_INDEX...]
  vibrate:    vibrate the selected devices at 0.5, READY vibrated, read each battery, stop each,
              READY stopped, disconnect
  disconnect: vibrate the selected devices at 0.5, READY vibrated, disconnect (this library just
              closes the socket, it sends no stop first)
  scan:       start scanning, READY scanning, stop scanning (the library raises
              ScanNotRunningError if the server said ScanningFinished in between), disconnect
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import decode, emit, parse_args, ready, received_server_info, run  # noqa: E402

import buttplug  # noqa: E402
from buttplug import Client, ProtocolSpec, WebsocketConnector  # noqa: E402
from buttplug.client.client import BatteryLevel, GenericSensor, ScalarActuator, VibrateActuator  # noqa: E402

URL, SCENARIO, (SPEC,), SELECTS = parse_args(
    "legacy.py ws://HOST:PORT (vibrate|disconnect|scan) SPEC [DEVICE_INDEX...]", ("vibrate", "disconnect", "scan"),
    extra=1)

RECEIVED = []


class TracedConnector(WebsocketConnector):
    """Prints every frame sent and received: the evidence when the engine misbehaves."""

    async def connect(self):
        inner = self.callback

        async def traced(message):
            frame = decode(message)
            RECEIVED.append(frame)
            emit(event="received", frame=frame)
            await inner(message)

        self.callback = traced
        await super().connect()

    async def send(self, message):
        emit(event="sent", frame=decode(message))
        await super().send(message)


def vibrators(device):
    out = []
    for actuator in device.actuators:
        if isinstance(actuator, VibrateActuator):
            out.append(actuator)
        elif isinstance(actuator, ScalarActuator) and actuator.type == "Vibrate":
            out.append(actuator)
    return out


async def read_battery(sensor):
    if isinstance(sensor, BatteryLevel):
        return await sensor.read  # spec v2: an async *property* in this library
    return await sensor.read()


def batteries(device):
    return [s for s in device.sensors
            if isinstance(s, BatteryLevel) or (isinstance(s, GenericSensor) and s.type == "Battery")]


async def main():
    spec = ProtocolSpec(int(SPEC))
    client = Client("plugboard-e2e py legacy", spec)
    connector = TracedConnector(URL)
    await client.connect(connector)

    info = received_server_info(RECEIVED) or {}
    emit(event="server", library="buttplug-py 0.2.0", spec=int(spec), connected=client.connected,
         server_name=info.get("ServerName"), message_version=info.get("MessageVersion"),
         max_ping_time=info.get("MaxPingTime"))

    devices = sorted(client.devices.values(), key=lambda d: d.index)
    emit(event="devices", devices=[{
        "index": d.index, "name": d.name,
        "actuators": [{"index": a.index, "class": type(a).__name__, "type": getattr(a, "type", None),
                       "step_count": a.step_count} for a in d.actuators],
        "sensors": [{"index": s.index, "class": type(s).__name__, "type": getattr(s, "type", None)}
                    for s in d.sensors],
    } for d in devices])

    if SCENARIO == "scan":
        await client.start_scanning()
        emit(event="scanning")
        await ready("scanning")
        await client.stop_scanning()
        emit(event="scan stopped")
        await client.disconnect()
        emit(event="disconnected", connected=client.connected)
        return

    targets = [(d, vibrators(d)) for d in devices if SELECTS(d.index) and vibrators(d)]
    if not targets:
        raise RuntimeError("no device with a vibrator to command")
    for _, actuators in targets:
        for actuator in actuators:
            await actuator.command(0.5)
    emit(event="vibrated", devices=[d.index for d, _ in targets], speed=0.5)
    await ready("vibrated")

    if SCENARIO == "vibrate":
        for d in devices:
            if SELECTS(d.index):
                for sensor in batteries(d):
                    emit(event="battery", index=d.index, level=await read_battery(sensor))
        for d, _ in targets:
            await d.stop()
        emit(event="stopped", devices=[d.index for d, _ in targets])
        await ready("stopped")

    await client.disconnect()
    emit(event="disconnected", connected=client.connected)


assert buttplug.__file__  # the buttplug-py module, from this script's own virtual environment
run(main)
