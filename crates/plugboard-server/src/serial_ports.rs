//! The serial ports of this machine, for front ends to offer. The engine opens only the ports
//! the user device config binds to a protocol; listing them here opens none.

/// One serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialPort {
    /// Such as `/dev/ttyUSB0`.
    pub path: String,
    /// What the OS says is behind it, such as `USB 1a86:7523`.
    pub description: String,
}

/// The serial ports the OS lists now; none where it cannot list them (the hardware status of
/// the serial transport says why).
pub fn list_serial_ports() -> Vec<SerialPort> {
    match plugboard_devices::transport::serial::list_ports() {
        Ok(ports) => {
            ports.into_iter().map(|port| SerialPort { description: port.description(), path: port.path }).collect()
        }
        Err(error) => {
            tracing::debug!(%error, "the serial ports could not be listed");
            Vec::new()
        }
    }
}
