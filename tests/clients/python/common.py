"""Shared plumbing for the Python client scripts driven by tests/e2e/python.rs.

Same line protocol as tests/clients/js/common.mjs: one JSON object per stdout line
(`{"event": ...}`), or a bare `READY <step>` after which the script waits for one line on stdin.
Standard library only: the scripts run in two different virtual environments.
"""
import asyncio
import json
import sys
import traceback


def emit(**fields):
    sys.stdout.write(json.dumps(fields, default=repr) + "\n")
    sys.stdout.flush()


async def ready(step):
    sys.stdout.write(f"READY {step}\n")
    sys.stdout.flush()
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if line == "":
        raise RuntimeError(f"stdin closed while waiting for the test at step {step!r}")
    return line.strip()


def parse_args(usage, scenarios, extra=0):
    """`SCRIPT URL SCENARIO [EXTRA...] [DEVICE_INDEX...]` -> (url, scenario, extras, selects)."""
    args = sys.argv[1:]
    if len(args) < 2 + extra or args[1] not in scenarios:
        sys.stderr.write(f"usage: {usage}\n")
        sys.exit(2)
    url, scenario = args[0], args[1]
    extras = args[2:2 + extra]
    only = [int(x) for x in args[2 + extra:]]
    return url, scenario, extras, (lambda index: not only or index in only)


def decode(frame):
    if isinstance(frame, bytes):
        frame = frame.decode("utf-8", "replace")
    try:
        return json.loads(frame)
    except ValueError:
        return frame


def received_server_info(frames):
    for frame in frames:
        if isinstance(frame, list):
            for message in frame:
                if isinstance(message, dict) and "ServerInfo" in message:
                    return message["ServerInfo"]
    return None


def run(main):
    """Runs the scenario (with a 60 s watchdog); any failure becomes an `error` line and exit 1."""
    async def guarded():
        await asyncio.wait_for(main(), timeout=60)

    try:
        asyncio.run(guarded())
    except Exception as e:  # noqa: BLE001 - every failure is reported the same way
        message = f"{type(e).__name__}: {e}"
        cause = e.__cause__
        if cause is not None:
            message += f" (caused by {type(cause).__name__}: {cause})"
        traceback.print_exc()
        emit(event="error", message=message)
        sys.exit(1)
    emit(event="done")
