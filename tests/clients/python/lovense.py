"""pip lovensepy 1.0.4, a published client of the Lovense local API, as a game uses it.

Usage: lovense.py http://HOST:PORT drive
  drive: GetToys and GetToyName (READY toys); Vibrate 10 on the Lovense toy and 8 on the We-Vibe
         (READY vibrate); All:20 on both for 1.5 s, the toy ids as a list (READY timed);
         Vibrate 12 on the Lovense toy, 1.2 s on, 1.2 s off, for 20 s (READY loop); Stop on the
         Lovense toy (READY loop-stopped); a pattern 4;16 every 200 ms on the We-Vibe and the
         pulse preset on the Lovense toy (READY pattern); Stop on both (READY stopped); then
         `disconnected` (HTTP has no connection: the app simply stops calling).

Prints `client` (the library and the address it calls), then `toys` (GetToys and GetToyName as
the library parsed them). The Lovense toy is the one named `hush`; the other toy is the one whose
nickName names a Ditto. An answer with a code other than 200 fails the script.
"""
import os
import sys
from importlib.metadata import version
from urllib.parse import urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import emit, parse_args, ready, run  # noqa: E402

from lovensepy import Actions, LANClient, Presets  # noqa: E402

URL, SCENARIO, _, _ = parse_args("lovense.py http://HOST:PORT drive", ("drive",))
APP = "Plugboard e2e lovensepy"


def checked(step, response):
    """The answer as the library parsed it; anything but code 200 fails the script."""
    if response.code != 200:
        raise RuntimeError(f"{step}: the API answered code {response.code}: {response}")
    return response


async def main():
    address = urlparse(URL)
    client = LANClient(APP, address.hostname, port=address.port, timeout=10)
    emit(event="client", library=f"lovensepy {version('lovensepy')}",
         endpoint=client.api_endpoint)

    toys = checked("GetToys", client.get_toys())
    listed = [toy.model_dump() for toy in toys.data.toys]
    names = checked("GetToyName", client.get_toys_name())
    emit(event="toys", toys=listed, names=names.data)
    lovense = next(toy["id"] for toy in listed if toy["name"] == "hush")
    other = next(toy["id"] for toy in listed if "Ditto" in (toy.get("nickName") or ""))
    await ready("toys")

    checked("Vibrate lovense", client.function_request({Actions.VIBRATE: 10}, toy_id=lovense))
    checked("Vibrate other", client.function_request({Actions.VIBRATE: 8}, toy_id=other))
    await ready("vibrate")

    checked("All timed", client.function_request({Actions.ALL: 20}, time=1.5, toy_id=[lovense, other]))
    await ready("timed")

    checked("loop", client.function_request({Actions.VIBRATE: 12}, time=20, loop_on_time=1.2,
                                            loop_off_time=1.2, toy_id=lovense))
    await ready("loop")
    checked("Stop lovense", client.stop(lovense))
    await ready("loop-stopped")

    checked("pattern", client.pattern_request([4, 16], actions=[Actions.VIBRATE], interval=200,
                                              toy_id=other))
    checked("preset", client.preset_request(Presets.PULSE, toy_id=lovense))
    await ready("pattern")

    checked("Stop both", client.stop([lovense, other]))
    await ready("stopped")
    emit(event="disconnected", connected=False)


run(main)
