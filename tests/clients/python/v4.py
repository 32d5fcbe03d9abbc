"""pip buttplug 1.0.0 (spec v4).

Usage: v4.py ws://127.0.0.1:PORT (vibrate|disconnect) [DEVICE_INDEX...]
  vibrate:    vibrate the selected devices at 0.5, READY vibrated, read each battery, stop each,
              READY stopped, disconnect
  disconnect: vibrate the selected devices at 0.5, READY vibrated, disconnect (no explicit stop)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import decode, emit, parse_args, ready, received_server_info, run  # noqa: E402

import websockets  # noqa: E402

import buttplug  # noqa: E402
from buttplug import ButtplugClient, DeviceOutputCommand, InputType, OutputType  # noqa: E402

URL, SCENARIO, _, SELECTS = parse_args(
    "v4.py ws://HOST:PORT (vibrate|disconnect) [DEVICE_INDEX...]", ("vibrate", "disconnect"))

RECEIVED = []


class TracedConnection:
    """Prints every frame sent and received: the evidence when the engine misbehaves."""

    def __init__(self, inner):
        self._inner = inner

    async def send(self, message, *args, **kwargs):
        emit(event="sent", frame=decode(message))
        return await self._inner.send(message, *args, **kwargs)

    async def recv(self, *args, **kwargs):
        message = await self._inner.recv(*args, **kwargs)
        frame = decode(message)
        RECEIVED.append(frame)
        emit(event="received", frame=frame)
        return message

    def __getattr__(self, name):
        return getattr(self._inner, name)


_real_connect = websockets.connect


async def _traced_connect(*args, **kwargs):
    return TracedConnection(await _real_connect(*args, **kwargs))


websockets.connect = _traced_connect  # buttplug.connector looks it up at call time


async def main():
    client = ButtplugClient("plugboard-e2e py v4")
    await client.connect(URL)

    info = received_server_info(RECEIVED) or {}
    emit(event="server", library=f"buttplug {buttplug.__version__}", connected=client.connected,
         server_name=client.server_name,
         protocol_version_major=info.get("ProtocolVersionMajor"),
         protocol_version_minor=info.get("ProtocolVersionMinor"), max_ping_time=info.get("MaxPingTime"))

    devices = sorted(client.devices.values(), key=lambda d: d.index)
    emit(event="devices", devices=[{
        "index": d.index, "name": d.name, "display_name": d.display_name,
        "timing_gap": d.message_timing_gap,
        "features": [{
            "index": f.index, "description": f.description,
            "outputs": {k: list(v.value) for k, v in (f.outputs or {}).items()},
            "inputs": {k: {"range": [list(r) for r in v.value], "commands": v.command}
                       for k, v in (f.inputs or {}).items()},
        } for f in sorted(d.features.values(), key=lambda f: f.index)],
    } for d in devices])

    targets = [d for d in devices if SELECTS(d.index) and d.has_output(OutputType.VIBRATE)]
    if not targets:
        raise RuntimeError("no device with a Vibrate output to command")
    for d in targets:
        await d.run_output(DeviceOutputCommand(OutputType.VIBRATE, 0.5))
    emit(event="vibrated", devices=[d.index for d in targets], speed=0.5)
    await ready("vibrated")

    if SCENARIO == "vibrate":
        for d in devices:
            if SELECTS(d.index) and d.has_input(InputType.BATTERY):
                emit(event="battery", index=d.index, level=await d.battery())
        for d in targets:
            await d.stop()
        emit(event="stopped", devices=[d.index for d in targets])
        await ready("stopped")

    await client.disconnect()
    emit(event="disconnected", connected=client.connected)


run(main)
