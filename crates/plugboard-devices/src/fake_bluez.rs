//! A fake BlueZ for tests: a private `dbus-daemon` with python-dbusmock playing BlueZ
//! (tests/fixtures/fake_bluez.py: adapter hci0 and a Lovense-like `LVS-Z36`), so btleplug's
//! real BlueZ backend can be driven where the kernel has no Bluetooth. Shared by this crate's
//! transport tests and the engine's end-to-end test.
//!
//! libdbus reads `DBUS_SYSTEM_BUS_ADDRESS` once per process: point it at [`FakeBluez::address`]
//! before anything in the process creates a btleplug Manager.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The object path of the fake peripheral.
pub const DEVICE_PATH: &str = "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_01";
/// Its address.
pub const ADDRESS: &str = "AA:BB:CC:DD:EE:01";

/// Fails (never skips) when the tools the fake needs are missing.
pub fn require_packages() {
    let mut missing = Vec::new();
    if !Path::new("/usr/bin/dbus-daemon").exists() || !Path::new("/usr/bin/dbus-send").exists() {
        missing.push("dbus");
    }
    let python = |module: &str| {
        Command::new("/usr/bin/python3")
            .args(["-c", &format!("import {module}")])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !python("dbusmock") {
        missing.push("python3-dbusmock");
    }
    if !python("gi") {
        missing.push("python3-gi");
    }
    assert!(
        missing.is_empty(),
        "the fake BlueZ needs the Debian packages dbus python3-dbusmock python3-gi (missing: {}); \
         install them with `bash scripts/ensure-system-packages.sh`",
        missing.join(" ")
    );
}

/// A private bus in `dir` (socket `dir/bus`), optionally with the fake BlueZ on it. Killed,
/// and `dir` removed, on drop.
pub struct FakeBluez {
    dir: PathBuf,
    address: String,
    daemon: Child,
    bluez: Option<Child>,
    wait: Duration,
}

impl FakeBluez {
    /// Only the bus, no BlueZ yet. `wait` bounds how long each part may take to come up.
    pub fn bus_only(dir: &Path, wait: Duration) -> FakeBluez {
        require_packages();
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("create the test bus directory");
        let socket = dir.join("bus");
        let address = format!("unix:path={}", socket.display());
        let daemon = Command::new("/usr/bin/dbus-daemon")
            .args(["--config-file=/usr/share/dbus-1/session.conf", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let bus = FakeBluez { dir: dir.to_owned(), address, daemon, bluez: None, wait };
        let deadline = Instant::now() + wait;
        while !socket.exists() {
            assert!(Instant::now() < deadline, "dbus-daemon did not create {}", socket.display());
            std::thread::sleep(Duration::from_millis(10));
        }
        bus
    }

    /// The bus with the fake BlueZ on it.
    pub fn start(dir: &Path, wait: Duration) -> FakeBluez {
        let mut bus = FakeBluez::bus_only(dir, wait);
        bus.start_bluez();
        bus
    }

    /// `unix:path=...`, for `DBUS_SYSTEM_BUS_ADDRESS`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Starts the fake BlueZ and waits until its peripheral is exported.
    pub fn start_bluez(&mut self) {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake_bluez.py");
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "dbusmock", "--system", "--template"])
            .arg(&fixture)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.address)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start python3 -m dbusmock");
        self.bluez = Some(child);
        // Ready once the peripheral (added from the main loop) is exported.
        let deadline = Instant::now() + self.wait;
        loop {
            let objects =
                self.try_send(&["--dest=org.bluez", "/", "org.freedesktop.DBus.ObjectManager.GetManagedObjects"]);
            if objects.is_some_and(|out| out.contains(DEVICE_PATH) && out.contains("char0010")) {
                return;
            }
            if let Some(status) = self.bluez.as_mut().and_then(|child| child.try_wait().ok().flatten()) {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.bluez.as_mut().and_then(|child| child.stderr.take()) {
                    use std::io::Read;
                    let _ = pipe.read_to_string(&mut stderr);
                }
                panic!("the fake BlueZ exited ({status}):\n{stderr}");
            }
            assert!(Instant::now() < deadline, "the fake BlueZ did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `dbus-send --print-reply` on this bus; `None` when it fails.
    pub fn try_send(&self, args: &[&str]) -> Option<String> {
        let output = Command::new("/usr/bin/dbus-send")
            .arg(format!("--bus={}", self.address))
            .arg("--print-reply")
            .args(args)
            .output()
            .ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    pub fn send(&self, args: &[&str]) -> String {
        self.try_send(args).unwrap_or_else(|| panic!("dbus-send {args:?} failed"))
    }

    /// The fixture's write log, as "<type>:<text>" ("command" = without response, "request" =
    /// with response).
    pub fn writes(&self) -> Vec<String> {
        self.send(&["--dest=org.bluez", "/", "org.plugboard.FakeBlueZ.Writes"])
            .lines()
            .filter_map(|line| line.trim().strip_prefix("string \"")?.strip_suffix('"').map(str::to_owned))
            .collect()
    }

    /// The writes after the first `seen`, once there are `count` of them (waits up to 5 s).
    pub async fn writes_after(&self, seen: usize, count: usize) -> Vec<String> {
        let what = format!("{count} write(s) after the first {seen}");
        let all = crate::testing::wait_until(
            what,
            Duration::from_secs(5),
            async || self.writes(),
            |all| all.len() >= seen + count,
        )
        .await;
        all[seen..].to_vec()
    }

    /// The peripheral drops the connection, as when it goes out of range.
    pub fn remote_disconnect(&self) {
        self.send(&["--dest=org.bluez", "/", "org.plugboard.FakeBlueZ.RemoteDisconnect"]);
    }

    /// While `on`, every GATT write fails with `org.bluez.Error.Failed`; the link stays up.
    pub fn fail_writes(&self, on: bool) {
        self.send(&["--dest=org.bluez", "/", "org.plugboard.FakeBlueZ.FailWrites", &format!("boolean:{on}")]);
    }

    /// `true`: the peripheral drops the connection and every Connect fails, as for a device
    /// that is out of range; `false`: it is back and advertising.
    pub fn out_of_range(&self, away: bool) {
        self.send(&["--dest=org.bluez", "/", "org.plugboard.FakeBlueZ.OutOfRange", &format!("boolean:{away}")]);
    }

    /// The peripheral advertises once more (its RSSI changes), as it does again and again while
    /// in range and not connected.
    pub fn advertise(&self) {
        self.send(&["--dest=org.bluez", "/", "org.plugboard.FakeBlueZ.Advertise"]);
    }

    /// How many times a Connect was asked of the peripheral.
    pub fn connect_attempts(&self) -> u32 {
        let reply = self.send(&["--dest=org.bluez", "/", "org.plugboard.FakeBlueZ.ConnectAttempts"]);
        reply.lines().find_map(|line| line.trim().strip_prefix("uint32 ")?.parse().ok()).expect("a uint32")
    }

    /// What the toy answers to `query` from now on.
    pub fn set_reply(&self, query: &str, reply: &str) {
        self.send(&[
            "--dest=org.bluez",
            "/",
            "org.plugboard.FakeBlueZ.SetReply",
            &format!("string:{query}"),
            &format!("string:{reply}"),
        ]);
    }

    pub fn set_powered(&self, on: bool) {
        self.send(&[
            "--dest=org.bluez",
            "/org/bluez/hci0",
            "org.freedesktop.DBus.Properties.Set",
            "string:org.bluez.Adapter1",
            "string:Powered",
            &format!("variant:boolean:{on}"),
        ]);
    }
}

impl Drop for FakeBluez {
    fn drop(&mut self) {
        for child in self.bluez.iter_mut().chain(std::iter::once(&mut self.daemon)) {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
