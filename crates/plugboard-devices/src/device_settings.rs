//! What the user changes about a device while the engine runs: allow/deny, its name, its
//! output limits, forgetting it. Each change is saved to the user device config and applied
//! at once to the connected device, so clients see it without a restart.

use std::sync::Arc;

use plugboard_protocol::model::{OutputType, Range};
use plugboard_protocol::Error;

use crate::config::user::{OutputSetting, UserDevice};
use crate::manager::{DeviceEvent, DeviceManager};
use crate::pipeline::output_limit;

impl DeviceManager {
    /// Allows or denies a device by address. A device that may no longer connect is
    /// disconnected (its outputs stop first) and disappears from every client's list; a
    /// virtual device that is allowed again comes back at its index.
    pub fn set_access(self: &Arc<Self>, address: &str, allow: bool, deny: bool) {
        self.change_user_device(address, |device| {
            device.allow = allow;
            device.deny = deny;
        });
        let allowed = self.hardware().user.is_allowed(address);
        let connected = self.index_of(address);
        match (allowed, connected) {
            (false, Some(index)) => {
                let spec = self.virtual_hardware(index).map(|hardware| hardware.spec().clone());
                if let Some(spec) = spec {
                    self.hardware().parked_virtual.insert(address.to_owned(), (spec, index));
                }
                self.remove(index);
            }
            (true, None) => {
                let parked = self.hardware().parked_virtual.remove(address);
                if let Some((spec, index)) = parked {
                    self.add_virtual_at(spec, Some(index));
                }
            }
            _ => {}
        }
    }

    /// Gives a device the name clients see (`None`: back to the model name).
    pub fn rename(&self, address: &str, display_name: Option<String>) {
        let display_name = display_name.map(|name| name.trim().to_owned()).filter(|name| !name.is_empty());
        self.change_user_device(address, |device| device.display_name = display_name.clone());
        if let Some(info) = self.set_display_name(address, display_name) {
            self.emit(DeviceEvent::Changed(info));
        }
    }

    /// Narrows one output to `limit` (hardware steps within its range; `None`: the full
    /// range) or disables it. Applied to the running device at once.
    pub fn set_output_limit(
        &self,
        address: &str,
        feature_index: u32,
        kind: OutputType,
        limit: Option<Range>,
        disabled: bool,
    ) -> Result<(), Error> {
        if let Some(range) = limit {
            if range.min < 0 || range.min > range.max {
                return Err(Error::device(format!(
                    "A limit goes from a low value to a high one, both 0 or more; {}..{} does not.",
                    range.min, range.max
                )));
            }
        }
        self.change_user_device(address, |device| {
            device.outputs.retain(|o| !(o.feature == feature_index && o.kind == kind));
            if limit.is_some() || disabled {
                device.outputs.push(OutputSetting { feature: feature_index, kind, limit, disabled });
            }
        });
        let user_device = self.hardware().user.device(address).cloned().unwrap_or_default();
        self.send_limits(address, |feature, kind, advertised| output_limit(&user_device, feature, kind, advertised));
        Ok(())
    }

    /// Forgets everything the user config says about a device: its name, limits, access and
    /// its reserved index. A connected device stays connected until it leaves.
    pub fn forget(&self, address: &str) {
        self.hardware().user.devices.remove(address);
        self.save_user_config();
    }

    fn change_user_device(&self, address: &str, change: impl FnOnce(&mut UserDevice)) {
        change(self.hardware().user.device_mut(address));
        self.save_user_config();
    }
}
