"""Browses for `_intiface_engine._tcp` with python-zeroconf, as an app looking for Intiface
would, and prints each service it resolves as one JSON line:
`{"name": ..., "port": ..., "addresses": [...], "txt": {...}}`. Driven by tests/e2e/mdns.rs,
which reads lines until the engine's announcement shows up (and kills the script then).

Usage: mdns_browse.py
"""
import json
import sys
import time

from zeroconf import ServiceBrowser, ServiceListener, Zeroconf

SERVICE_TYPE = "_intiface_engine._tcp.local."


class Printer(ServiceListener):
    def add_service(self, zc, type_, name):
        info = zc.get_service_info(type_, name, timeout=3000)
        if info is None:
            print(json.dumps({"unresolved": name}), flush=True)
            return
        txt = {
            key.decode(): (value.decode() if value is not None else None)
            for key, value in info.properties.items()
        }
        instance = name[: -len(type_) - 1] if name.endswith("." + type_) else name
        print(
            json.dumps(
                {
                    "name": instance,
                    "port": info.port,
                    "addresses": info.parsed_addresses(),
                    "txt": txt,
                }
            ),
            flush=True,
        )

    def update_service(self, zc, type_, name):
        self.add_service(zc, type_, name)

    def remove_service(self, zc, type_, name):
        print(json.dumps({"removed": name}), flush=True)


def main():
    zc = Zeroconf()
    ServiceBrowser(zc, SERVICE_TYPE, Printer())
    print(json.dumps({"browsing": SERVICE_TYPE}), flush=True)
    try:
        while True:
            time.sleep(1)
    finally:
        zc.close()


if __name__ == "__main__":
    sys.exit(main())
