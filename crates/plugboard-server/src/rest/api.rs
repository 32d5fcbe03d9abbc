//! What every route shares: the engine's state and the REST API's one client, with the
//! lookups every route starts with (the device and feature a path names, as the REST API may
//! see them).

use std::sync::Arc;

use plugboard_protocol::model::{DeviceInfo, Feature};

use super::error::RestError;
use crate::local_client::LocalClient;
use crate::shared::Shared;

/// The name the REST API has in the client registry, in the Apps view, and in the device
/// access rules the user gives clients by name.
pub const CLIENT_NAME: &str = "REST API";

/// The state of the running API.
pub(crate) struct Api {
    pub shared: Arc<Shared>,
    /// Every request is a command of this one client (docs/architecture.md, Clients and
    /// ownership): it owns what it sets, its stops stop only that, and STOP ALL stops it.
    pub client: LocalClient,
}

impl Api {
    /// Whether the user lets the REST API see the device at `address`.
    pub fn sees(&self, address: &str) -> bool {
        self.shared.access.allowed_for(CLIENT_NAME).is_none_or(|allowed| allowed.contains(address))
    }

    /// Every device the REST API may see, in index order.
    pub fn devices(&self) -> Vec<DeviceInfo> {
        let visible = self.shared.devices.devices_with_addresses();
        visible.into_iter().filter(|(_, address)| self.sees(address)).map(|(info, _)| (*info).clone()).collect()
    }

    /// The device at `index`, or 404.
    pub fn device(&self, index: u32) -> Result<DeviceInfo, RestError> {
        let visible = |address: &str| self.sees(address);
        let found = self.shared.devices.with_visible_lookup(visible, |devices| devices.device(index).cloned());
        found.ok_or(RestError::unknown_device(index))
    }

    /// Feature `feature` of the device at `index`, or 404.
    pub fn feature(&self, index: u32, feature: u32) -> Result<(DeviceInfo, Feature), RestError> {
        let device = self.device(index)?;
        let found = device.feature(feature).cloned().ok_or(RestError::unknown_feature(index, feature))?;
        Ok((device, found))
    }

    /// The name of a client, for messages about what it runs.
    pub fn client_name(&self, id: plugboard_devices::ClientId) -> String {
        let client = self.shared.clients.get(id);
        client.and_then(|client| client.name).unwrap_or_else(|| format!("client {id}"))
    }
}

/// A path segment that must be an index.
pub fn index(what: &str, text: &str) -> Result<u32, RestError> {
    text.parse().map_err(|_| RestError::bad_index(what, text))
}
