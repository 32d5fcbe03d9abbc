# Plugboard: two commands on a fresh Debian 12 machine.
#   make run   - install what is missing, build, start the desktop app (or the headless engine)
#   make test  - install what is missing, run every test (with the Windows engine's smoke part under Wine)
#   make test-windows - the Windows build of the engine, all its tests under Wine
#   make package - the Debian package of the desktop app (target/release/bundle/deb/)
#   make package-windows - the Windows installer of the desktop app, built and checked under Wine
#   make bench - the benchmark suite: Plugboard against intiface-engine and a floor (on demand)
#   make differential - Plugboard against intiface-engine, byte for byte, per protocol (on demand)
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test test-windows setup engine package package-windows bench differential

# The `app` group: the engine's packages plus the GTK/WebKit/appindicator ones the desktop
# app (src-tauri, a default workspace member) links against.
setup:
	@scripts/ensure-system-packages.sh app

run: setup
	@scripts/run.sh

engine:
	@scripts/ensure-system-packages.sh build
	$(CARGO) run -p plugboard-server --bin plugboard-engine -- $(ARGS)

test: setup
	@scripts/test.sh

# plugboard-engine.exe cross-built, and every Windows test against it under Wine
# (scripts/test-windows.sh installs the cross compiler, Wine and the Rust target it needs).
test-windows: setup
	@scripts/test-windows.sh

package: setup
	@scripts/package.sh

# The release app and engine cross-built for Windows, packed by NSIS into
# target/x86_64-pc-windows-gnu/release/bundle/nsis/Plugboard_<version>_x64-setup.exe, then the
# installer checked: its contents, and an install and uninstall under Wine
# (scripts/test-package-windows.sh; it installs mingw-w64, Wine, NSIS and 7-Zip if missing).
package-windows:
	@scripts/test-package-windows.sh

# Not part of `make test`: builds intiface-engine from source the first time, and takes about
# half an hour (bench/README.md). ARGS go to plugboard-bench, e.g. ARGS="--pairs 1 --quick".
bench:
	@scripts/bench.sh $(ARGS)

# Builds intiface-engine from its published source (scripts/build-intiface-engine.sh) and
# compares what both servers write to the same simulated device. ARGS go to the comparison.
differential:
	@scripts/differential.sh $(ARGS)
