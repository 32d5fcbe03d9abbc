//! What hardware support works with: the device database, the user config, the transports,
//! the clients scanning and the devices being connected. The device manager holds it; the
//! connect pipeline and the user's device settings read and change it through
//! `DeviceManager::hardware`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::database::Database;
use crate::config::user::UserConfig;
use crate::transport::{HardwareStatus, Transport};
use crate::virtual_device::VirtualDeviceSpec;
use crate::ClientId;

/// Hardware support: device database, user config, transports, scanning.
#[derive(Default)]
pub(crate) struct HardwareState {
    pub(crate) database: Option<Arc<Database>>,
    pub(crate) user: UserConfig,
    /// Where changes to the user config are saved (`None`: not saved).
    pub(crate) user_path: Option<PathBuf>,
    pub(crate) transports: Vec<Arc<dyn Transport>>,
    /// Clients that asked for a scan and have not stopped it.
    pub(crate) scanning: BTreeSet<ClientId>,
    /// Transports still scanning for the current scan.
    pub(crate) scans_running: BTreeSet<&'static str>,
    /// Whether a transport finished a pass of the current scan (the scan can then finish).
    pub(crate) scan_pass_finished: bool,
    /// Addresses being connected right now.
    pub(crate) connecting: BTreeSet<String>,
    /// Virtual devices the user denied: kept to come back when allowed again.
    pub(crate) parked_virtual: BTreeMap<String, (VirtualDeviceSpec, u32)>,
    pub(crate) statuses: BTreeMap<&'static str, HardwareStatus>,
}
