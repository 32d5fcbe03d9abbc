//! Pseudo-terminals standing in for serial devices: the master end is the device (the test
//! reads what the engine writes to it), the slave's path is the port the engine opens. Also
//! the engine that finds such a device: a user config binds the port to a protocol.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use plugboard_server::{Engine, EngineConfig};
use serde_json::{json, Value};
use serialport::TTYPort;

use crate::raw::Raw;

/// A pty whose master is close-on-exec from the start (std opens files with `O_CLOEXEC`), so
/// no child process another test spawns can inherit it and keep the pty alive after the test
/// closes it. Returns the master and the slave's path.
pub(crate) fn pty() -> (TTYPort, String) {
    use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
    use std::os::unix::fs::OpenOptionsExt;
    let master = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open("/dev/ptmx")
        .expect("open /dev/ptmx");
    let fd = master.as_raw_fd();
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: `fd` is an open pty master; `name` outlives the call and its length is passed.
    unsafe {
        assert_eq!(libc::grantpt(fd), 0, "grantpt");
        assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
        assert_eq!(libc::ptsname_r(fd, name.as_mut_ptr(), name.len()), 0, "ptsname_r");
    }
    // SAFETY: ptsname_r wrote a NUL-terminated string into `name`.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned();
    // SAFETY: the descriptor is ours alone (taken out of `master`).
    let mut master = unsafe { TTYPort::from_raw_fd(master.into_raw_fd()) };
    serialport::SerialPort::set_timeout(&mut master, Duration::from_millis(50)).expect("master timeout");
    (master, path)
}

/// Reads the master until `want.len()` bytes arrived (or `within` passed); they must be `want`.
pub(crate) fn expect_bytes(master: &mut TTYPort, want: &str, within: Duration) {
    let got = tokio::task::block_in_place(|| {
        let deadline = Instant::now() + within;
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while got.len() < want.len() && Instant::now() < deadline {
            match master.read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => {}
                Err(e) => panic!("reading the pty master: {e}"),
            }
        }
        got
    });
    assert_eq!(String::from_utf8_lossy(&got), want);
}

/// Writes a user device config into `dir` that binds the serial `port` to `protocol`, and
/// returns its path.
pub(crate) fn serial_port_config(dir: &Path, port: &str, protocol: &str) -> PathBuf {
    let path = dir.join("user-device-config.json");
    let text = json!({"format": "plugboard-user-device-config", "version": 1,
                      "serial_ports": [{"port": port, "protocol": protocol}]});
    std::fs::write(&path, text.to_string()).expect("write the user device config");
    path
}

/// An engine that opens serial ports, with the user device config at `user_config`.
pub(crate) async fn serial_engine(user_config: PathBuf) -> Engine {
    let mut config = EngineConfig::loopback(0);
    config.devices.use_serial = true;
    config.devices.own_user_config_path = Some(user_config);
    Engine::start(config).await.expect("engine starts")
}

/// A spec v3 client that scans for the bound port's device. The serial scan is one pass: it
/// finishes, and the bound pty becomes the device, in either order. Returns the client and the
/// DeviceAdded message.
pub(crate) async fn scan_for_the_serial_device(engine: &Engine) -> (Raw, Value) {
    let mut client = Raw::connect(engine).await;
    client.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"game","MessageVersion":3}}]"#).await;
    assert_eq!(client.ask(r#"[{"StartScanning":{"Id":2}}]"#).await, json!({"Ok":{"Id":2}}));
    let seen = [client.recv().await, client.recv().await];
    assert!(seen.iter().any(|m| *m == json!({"ScanningFinished":{"Id":0}})), "{seen:?}");
    let added = seen.into_iter().find(|m| m.get("DeviceAdded").is_some()).expect("DeviceAdded");
    (client, added)
}
