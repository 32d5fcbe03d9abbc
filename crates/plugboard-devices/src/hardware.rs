//! The hardware seam: what a protocol may do to a connected device.
//!
//! Every transport (BLE via btleplug, serial ports, the device-websocket server, test fakes)
//! hands the protocol layer an implementation of [`Hardware`]. Protocols name the place a
//! packet goes with an [`Endpoint`]; the transport maps endpoints onto whatever it really has
//! (GATT characteristics from the matched protocol's `services` section, or just "the port":
//! serial and websocket hardware expose only [`Endpoint::Rx`] and [`Endpoint::Tx`] and ignore
//! the endpoint on writes).
//!
//! The trait is dyn-compatible (`&dyn Hardware`, `Arc<dyn Hardware>`): async methods return
//! [`BoxFuture`]s instead of using `async fn`, so no extra crate (async-trait) is needed and the
//! device task can hold any transport behind one pointer.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

use tokio::sync::broadcast;

/// A boxed, `Send` future borrowing from `'a`. The same type as `futures::future::BoxFuture`,
/// spelled out here so this crate needs no `futures` dependency for it.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A named place on a device that packets are written to or read from.
///
/// The string forms are the lowercase names used in the device-config JSON: `tx`, `rx`,
/// `command`, ..., `generic0` .. `generic31`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    Command,
    Firmware,
    Rx,
    RxAccel,
    RxBleBattery,
    RxBleModel,
    RxPressure,
    RxTouch,
    Tx,
    TxMode,
    TxShock,
    TxVibrate,
    TxVendorControl,
    Whitelist,
    /// `generic0` .. `generic31`. Values above [`Endpoint::GENERIC_MAX`] do not parse; if one
    /// is constructed by hand it still prints as `generic<n>`.
    Generic(u8),
}

impl Endpoint {
    /// The highest `genericN` the config format defines.
    pub const GENERIC_MAX: u8 = 31;

    /// Every named (non-generic) endpoint, in the order the device database names them.
    pub const NAMED: [Endpoint; 14] = [
        Endpoint::Command,
        Endpoint::Firmware,
        Endpoint::Rx,
        Endpoint::RxAccel,
        Endpoint::RxBleBattery,
        Endpoint::RxBleModel,
        Endpoint::RxPressure,
        Endpoint::RxTouch,
        Endpoint::Tx,
        Endpoint::TxMode,
        Endpoint::TxShock,
        Endpoint::TxVibrate,
        Endpoint::TxVendorControl,
        Endpoint::Whitelist,
    ];

    /// The config name of a named endpoint; `None` for [`Endpoint::Generic`] (whose name is
    /// built at run time; use `to_string()` for every endpoint).
    pub fn static_name(self) -> Option<&'static str> {
        Some(match self {
            Endpoint::Command => "command",
            Endpoint::Firmware => "firmware",
            Endpoint::Rx => "rx",
            Endpoint::RxAccel => "rxaccel",
            Endpoint::RxBleBattery => "rxblebattery",
            Endpoint::RxBleModel => "rxblemodel",
            Endpoint::RxPressure => "rxpressure",
            Endpoint::RxTouch => "rxtouch",
            Endpoint::Tx => "tx",
            Endpoint::TxMode => "txmode",
            Endpoint::TxShock => "txshock",
            Endpoint::TxVibrate => "txvibrate",
            Endpoint::TxVendorControl => "txvendorcontrol",
            Endpoint::Whitelist => "whitelist",
            Endpoint::Generic(_) => return None,
        })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Generic(n) => write!(f, "generic{n}"),
            named => f.write_str(named.static_name().expect("named endpoint")),
        }
    }
}

/// A string that is not an endpoint name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown endpoint name {0:?}")]
pub struct UnknownEndpoint(pub String);

impl FromStr for Endpoint {
    type Err = UnknownEndpoint;

    /// Parses the lowercase config names. Matching is exact (the config format is lowercase);
    /// `generic` must be followed by a plain decimal 0..=31 (`generic07` is rejected).
    fn from_str(s: &str) -> Result<Endpoint, UnknownEndpoint> {
        if let Some(endpoint) = Endpoint::NAMED.iter().find(|e| e.static_name() == Some(s)) {
            return Ok(*endpoint);
        }
        if let Some(digits) = s.strip_prefix("generic") {
            let canonical = !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && (digits == "0" || !digits.starts_with('0'));
            if canonical {
                if let Ok(n) = digits.parse::<u8>() {
                    if n <= Endpoint::GENERIC_MAX {
                        return Ok(Endpoint::Generic(n));
                    }
                }
            }
        }
        Err(UnknownEndpoint(s.to_owned()))
    }
}

/// One packet for the hardware.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Write {
    pub endpoint: Endpoint,
    pub data: Vec<u8>,
    /// BLE write-with-response. Transports that cannot honour the requested type use the one
    /// the characteristic supports; serial/websocket ignore it.
    pub with_response: bool,
}

impl Write {
    /// A write-with-response.
    pub fn with_response(endpoint: Endpoint, data: impl Into<Vec<u8>>) -> Write {
        Write { endpoint, data: data.into(), with_response: true }
    }

    /// A write-without-response.
    pub fn without_response(endpoint: Endpoint, data: impl Into<Vec<u8>>) -> Write {
        Write { endpoint, data: data.into(), with_response: false }
    }
}

/// Something the hardware reports without being asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// Bytes arrived on a subscribed endpoint.
    Data { endpoint: Endpoint, bytes: Vec<u8> },
    /// The device is gone; every later operation fails with [`HardwareError::Disconnected`].
    Disconnected,
}

/// Why a hardware operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HardwareError {
    #[error("device disconnected")]
    Disconnected,
    #[error("device has no endpoint {0}")]
    NoEndpoint(Endpoint),
    #[error("not supported by this transport: {0}")]
    Unsupported(String),
    #[error("hardware I/O failed: {0}")]
    Io(String),
}

/// A connected device as the protocol layer sees it. Implemented by every transport and by
/// test fakes (`testing::FakeHardware`, with the `testing` feature).
///
/// Rules every implementation keeps:
/// - Notifications are delivered only for endpoints that have been subscribed (serial: reads
///   turn into notifications only after a subscribe). Subscribing twice is not an error.
/// - A receiver from [`Hardware::notifications`] sees every notification sent after the call,
///   so a protocol that expects a reply takes the receiver *before* writing its query.
/// - After the device disconnects, [`Notification::Disconnected`] is broadcast once and all
///   operations fail with [`HardwareError::Disconnected`].
pub trait Hardware: Send + Sync {
    /// The advertised name (BLE), the port path (serial) or the announced name (websocket).
    fn name(&self) -> &str;

    /// A transport-unique address (BLE address, port path, websocket peer).
    fn address(&self) -> &str;

    /// The endpoints this device really has after endpoint mapping. Protocols use it for
    /// optional parts (e.g. battery via `rxblebattery` only if present).
    fn endpoints(&self) -> &[Endpoint];

    /// Whether [`Hardware::endpoints`] contains `endpoint`.
    fn has_endpoint(&self, endpoint: Endpoint) -> bool {
        self.endpoints().contains(&endpoint)
    }

    /// Writes one packet; resolves when the transport has accepted it (for BLE w/r: acknowledged).
    fn write(&self, write: Write) -> BoxFuture<'_, Result<(), HardwareError>>;

    /// Reads the current value of an endpoint (a GATT characteristic read).
    fn read(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<Vec<u8>, HardwareError>>;

    /// Starts delivering notifications from `endpoint`.
    fn subscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>>;

    /// Stops delivering notifications from `endpoint`.
    fn unsubscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>>;

    /// A receiver of everything the device reports from now on.
    fn notifications(&self) -> broadcast::Receiver<Notification>;

    /// Whether the device is still connected. Turns false before [`Notification::Disconnected`]
    /// is broadcast, so a receiver taken while this is still true will hear of the disconnect.
    fn is_connected(&self) -> bool {
        true
    }

    /// Drops the connection. Disconnecting an already-gone device succeeds.
    fn disconnect(&self) -> BoxFuture<'_, Result<(), HardwareError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_round_trip() {
        for endpoint in Endpoint::NAMED {
            let name = endpoint.to_string();
            assert_eq!(name, name.to_lowercase());
            assert_eq!(name.parse::<Endpoint>(), Ok(endpoint));
        }
        for n in 0..=Endpoint::GENERIC_MAX {
            let name = format!("generic{n}");
            assert_eq!(Endpoint::Generic(n).to_string(), name);
            assert_eq!(name.parse::<Endpoint>(), Ok(Endpoint::Generic(n)));
        }
    }

    #[test]
    fn endpoint_parse_examples_and_rejects() {
        assert_eq!("rxblebattery".parse(), Ok(Endpoint::RxBleBattery));
        assert_eq!("txvendorcontrol".parse(), Ok(Endpoint::TxVendorControl));
        assert_eq!("whitelist".parse(), Ok(Endpoint::Whitelist));
        for bad in ["", "Tx", "TX", "generic", "generic32", "generic07", "generic-1", "generic+1", "txx"] {
            assert_eq!(bad.parse::<Endpoint>(), Err(UnknownEndpoint(bad.to_owned())), "{bad}");
        }
    }

    #[test]
    fn write_constructors() {
        assert_eq!(
            Write::with_response(Endpoint::Command, [1u8]),
            Write { endpoint: Endpoint::Command, data: vec![1], with_response: true }
        );
        assert!(!Write::without_response(Endpoint::Tx, b"x".to_vec()).with_response);
    }

    // The trait must stay usable as `dyn Hardware`.
    #[allow(dead_code)]
    fn assert_dyn_compatible(_: &dyn Hardware) {}
}
