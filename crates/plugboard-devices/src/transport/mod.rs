//! Transports: how devices are found and connected (BLE, serial, device-websocket), and the
//! `virtual` transport behind the engine's in-process devices ([`virtual_device`]).
//!
//! A [`Transport`] scans when asked and reports what it finds as [`TransportEvent`]s on the
//! channel it was given when built. A found device carries a [`Connector`]; the device
//! manager decides (matching, allow/deny) whether to connect, and then calls
//! [`Connector::connect`] with the matched protocol's endpoint map, getting a
//! [`Hardware`](crate::hardware::Hardware) to drive. Transports never decide which protocol a
//! device speaks, and never panic on what a device or the OS does: failures become
//! [`HardwareStatus`] changes or errors on `connect`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::database::SerialSettings;
use crate::config::matching::Discovered;
use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError};

pub mod ble;
pub mod serial;
pub mod virtual_device;

pub mod websocket;

/// What the matched protocol needs from the connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectPlan {
    /// BLE: service UUID -> endpoint -> characteristic UUID, from the device database.
    pub ble_endpoints: BTreeMap<String, BTreeMap<Endpoint, String>>,
    /// Serial: how to open the port.
    pub serial: Option<SerialSettings>,
}

/// Connects one found device.
pub trait Connector: Send + Sync {
    /// Connects and maps endpoints as `plan` says. Missing characteristics are not fatal
    /// (they are logged); the protocol finds out when it writes.
    fn connect(&self, plan: ConnectPlan) -> BoxFuture<'_, Result<Arc<dyn Hardware>, HardwareError>>;
}

/// A device a transport found.
pub struct FoundDevice {
    /// Which transport found it (`"ble"`, `"serial"`, `"websocket"`).
    pub transport: &'static str,
    /// A stable address: BLE MAC, serial port path, websocket device address.
    pub address: String,
    /// What matching needs.
    pub discovered: Discovered,
    pub connector: Arc<dyn Connector>,
}

impl std::fmt::Debug for FoundDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FoundDevice")
            .field("transport", &self.transport)
            .field("address", &self.address)
            .field("discovered", &self.discovered)
            .finish_non_exhaustive()
    }
}

/// Whether a transport can work right now, and if not, why and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HardwareStatus {
    Ready,
    /// Cannot work now. `reason` says what is wrong, `remedy` what the user can do.
    Unavailable {
        reason: String,
        remedy: String,
    },
}

/// What a transport reports.
#[derive(Debug)]
pub enum TransportEvent {
    Found(FoundDevice),
    /// A scan this transport ran on its own finished (BLE scans run until stopped).
    ScanningFinished {
        transport: &'static str,
    },
    Status {
        transport: &'static str,
        status: HardwareStatus,
    },
}

/// One way of finding devices.
pub trait Transport: Send + Sync {
    fn name(&self) -> &'static str;
    fn start_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>>;
    fn stop_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>>;
    fn status(&self) -> HardwareStatus;
    /// Whether scanning looks for anything. A transport that does reports
    /// [`TransportEvent::ScanningFinished`] when a pass ends (or never, if it looks until
    /// stopped); one that does not (devices come to it by themselves) never holds a scan open
    /// and never finishes one.
    fn scans(&self) -> bool {
        true
    }
}

/// Channel on which transports report.
pub type EventSender = tokio::sync::mpsc::UnboundedSender<TransportEvent>;
