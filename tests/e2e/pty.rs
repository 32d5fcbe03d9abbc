//! Pseudo-terminals standing in for serial devices: the master end is the device (the test
//! reads what the engine writes to it), the slave's path is the port the engine opens.

use std::io::Read as _;
use std::time::{Duration, Instant};

use serialport::TTYPort;

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
