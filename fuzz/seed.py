#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/corpus/<target>/ (used once, when a
corpus is started; the kept corpus is what the fuzzer grew from these and then minimised).

    fuzz/seed.py [REFERENCE_DATABASE.json ...]

Seeds come from real inputs: the JSON vectors of plugboard-protocol's tests, the JSON of the
config modules' and the Lovense API's unit tests, the Lovense API's older GET endpoints, device-config/*.json cut into one-protocol databases, and
optionally reference-format databases or Intiface user configs given as arguments (for
example the file scripts/import-reference-device-config.sh reads), cut the same way.
Every seed is kept under 4 KiB, the length the fuzz runs allow.
"""
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
MAX_LEN = 4096
RAW_STRING = re.compile(r'r#"(.*?)"#', re.S)


def write(target, text):
    data = text.encode()
    if not data.strip() or len(data) > MAX_LEN:
        return False
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return True


def raw_strings(paths):
    for path in paths:
        for match in RAW_STRING.finditer(path.read_text()):
            text = match.group(1)
            if text.lstrip()[:1] in ("[", "{"):
                yield text


def small(protocol):
    """A protocol entry cut down until it fits: models, then features, then names."""
    protocol = json.loads(json.dumps(protocol))
    for key in ("models", "configurations"):
        if isinstance(protocol.get(key), list):
            protocol[key] = protocol[key][:2]
    return protocol


def one_protocol_databases(database):
    header = {key: value for key, value in database.items() if key != "protocols"}
    for name, protocol in database.get("protocols", {}).items():
        for entry in (protocol, small(protocol)):
            text = json.dumps({**header, "protocols": {name: entry}}, indent=1)
            if write("device_config", text):
                break


# The older GET endpoints of the Lovense API, as the lovense_request target reads them: the
# path and query of the request line.
LOVENSE_GETS = [
    "/GetToys", "/GetToyName", "/Vibrate?v=10&t=ff922f7fd345", "/Vibrate1?v=3", "/Vibrate2?v=20&t=a,b",
    "/Rotate?v=5&t=x", "/AirAuto?v=3", "/AVibrate?v=5&sec=3", "/ARotate?v=7&sec=1.5", "/Preset?v=2&sec=10",
    "/Battery?t=ff922f7fd345", "/Vibrate?v=-3", "/Preset?v=9",
]
# Times and intervals at the end of the clock, which a program over time must survive.
LOVENSE_EDGES = [
    '{"command":"Function","action":"Vibrate:5","timeSec":1e300,"loopRunningSec":1e300,"loopPauseSec":1}',
    '{"command":"Pattern","rule":"V:1;F:;S:18446744073709551615#","strength":"1;2","timeSec":"1e19"}',
    '{"command":"PatternV2","type":"Setup","actions":[{"ts":1e300,"pos":100},{"ts":0,"pos":0}]}',
]


def lovense_requests():
    """The JSON bodies of the Lovense API's unit tests, the older GET endpoints, and edges."""
    sources = sorted((ROOT / "crates/plugboard-server/src/lovense").glob("*.rs"))
    for text in raw_strings(sources):
        write("lovense_request", text)
    for line in LOVENSE_GETS + LOVENSE_EDGES:
        write("lovense_request", line)


def main():
    protocol_tests = sorted((ROOT / "crates/plugboard-protocol/tests").glob("*.rs"))
    for text in raw_strings(protocol_tests):
        write("frame_decode", text)
    config_sources = sorted((ROOT / "crates/plugboard-devices/src/config").glob("*.rs"))
    for text in raw_strings(config_sources):
        write("device_config", text)
        write("user_config", text)
    one_protocol_databases(json.loads((ROOT / "device-config/plugboard-devices.json").read_text()))
    write("user_config", (ROOT / "device-config/example-user-config.json").read_text())
    for argument in sys.argv[1:]:
        value = json.loads(pathlib.Path(argument).read_text())
        if "protocols" in value:
            one_protocol_databases(value)
        else:
            write("user_config", json.dumps(value, indent=1))
    lovense_requests()
    for target in ("frame_decode", "device_config", "user_config", "lovense_request"):
        print(target, len(list((CORPUS / target).iterdir())), "seeds")


main()
