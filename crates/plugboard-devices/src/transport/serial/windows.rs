//! The Windows side of the serial transport. Windows names serial ports `COM1`, `COM2`, ...
//! (any case; `\\.\COM3` is the same port written as a device path), lists them in the registry
//! (which `serialport::available_ports` reads), and opens each one exclusively: a port that will
//! not open is either missing or held by another program, and the message says which.
//!
//! What calls Windows is built for Windows only; the rest is built for tests everywhere.

/// The device-path prefix that COM10 and above need (`\\.\COM10`); it may be written before
/// any port name.
const DEVICE_PREFIX: &str = r"\\.\";

/// The port name without the device-path prefix, in upper case: `com3` and `\\.\COM3` are
/// both `COM3`.
fn port_name(path: &str) -> String {
    path.strip_prefix(DEVICE_PREFIX).unwrap_or(path).to_ascii_uppercase()
}

/// Whether two port paths name the same port.
#[cfg_attr(not(windows), allow(dead_code))]
pub(super) fn same_port(a: &str, b: &str) -> bool {
    port_name(a) == port_name(b)
}

/// Whether Windows knows a device by this port name (without opening it, so a port another
/// program holds still counts as existing).
#[cfg(windows)]
pub(super) fn port_exists(path: &str) -> bool {
    use windows_sys::Win32::Storage::FileSystem::QueryDosDeviceW;
    let name: Vec<u16> = port_name(path).encode_utf16().chain(std::iter::once(0)).collect();
    let mut target = [0u16; 1024];
    // SAFETY: `name` is NUL-terminated and `target` is writable for the length passed.
    let written = unsafe { QueryDosDeviceW(name.as_ptr(), target.as_mut_ptr(), target.len() as u32) };
    written != 0
}

/// Why a port did not open, as far as Windows tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpenFailure {
    /// No device has this name.
    Missing,
    /// The device exists, but another program (or another Plugboard connection) has it open.
    Busy,
    /// Something else: the system's own description is passed on.
    Other,
}

/// What to tell the user. Pure: [`open_error`] gathers the facts.
fn open_failure_message(path: &str, failure: OpenFailure, description: &str) -> String {
    match failure {
        OpenFailure::Missing => format!(
            "serial port {path} does not exist (is the device plugged in? Windows names serial \
             ports COM1, COM2, ...; Device Manager lists them under Ports (COM & LPT))"
        ),
        OpenFailure::Busy => format!(
            "serial port {path} is busy: another program (or another Plugboard connection) has it \
             open. Close the other program (a serial monitor, Intiface Central, another game \
             tool) and scan again."
        ),
        OpenFailure::Other => format!("cannot open serial port {path}: {description}"),
    }
}

/// Turns a failed open into a message the user can act on. `serialport` reports a missing port
/// and a port held elsewhere alike (`NoDevice`); whether Windows knows the name tells them apart.
#[cfg(windows)]
pub(super) fn open_error(path: &str, error: &serialport::Error) -> crate::hardware::HardwareError {
    use serialport::ErrorKind;
    use std::io;
    let failure = match error.kind() {
        ErrorKind::NoDevice | ErrorKind::Io(io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied) => {
            if port_exists(path) {
                OpenFailure::Busy
            } else {
                OpenFailure::Missing
            }
        }
        _ => OpenFailure::Other,
    };
    crate::hardware::HardwareError::Io(open_failure_message(path, failure, &error.description))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names_compare_without_case_or_device_prefix() {
        assert!(same_port("COM3", "com3"));
        assert!(same_port(r"\\.\COM12", "Com12"));
        assert!(!same_port("COM1", "COM12"));
        assert_eq!(port_name(r"\\.\com7"), "COM7");
    }

    #[test]
    fn messages_say_what_to_do() {
        let missing = open_failure_message("COM9", OpenFailure::Missing, "");
        assert!(missing.contains("COM9 does not exist") && missing.contains("Device Manager"), "{missing}");
        let busy = open_failure_message("COM3", OpenFailure::Busy, "");
        assert!(busy.contains("COM3 is busy") && busy.contains("Close the other program"), "{busy}");
        let other = open_failure_message("COM3", OpenFailure::Other, "The parameter is incorrect.");
        assert!(other.ends_with("The parameter is incorrect."), "{other}");
    }

    #[cfg(windows)]
    #[test]
    fn a_port_that_no_device_has_does_not_exist() {
        assert!(!port_exists("COM250"));
    }
}
