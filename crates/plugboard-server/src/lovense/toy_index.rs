//! The connected devices as toys, kept from one request to the next. A game sends a
//! `Function` on every change, and each one needs the toy it names; presenting every device
//! anew per request meant a full device snapshot (every description cloned) and every toy
//! rebuilt, before the toy heard anything (docs/performance.md, issue 18).
//!
//! A device's description is immutable behind its `Arc`, and a device that connects again or
//! is described again gets a new one: so a toy is rebuilt only when its device's `Arc` is not
//! the one it was made from. The battery level is not here (it changes without a new
//! description); GetToys and Battery read it from a snapshot.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use plugboard_devices::model::DeviceInfo;
use plugboard_devices::DeviceManager;

use super::toys::Toy;

/// The toys of the devices connected now, by device index.
#[derive(Default)]
pub struct ToyIndex {
    known: Mutex<HashMap<u32, Known>>,
}

struct Known {
    /// The description the toy was made from.
    info: Arc<DeviceInfo>,
    address: String,
    toy: Arc<Toy>,
}

impl ToyIndex {
    /// The toys an app may use (every connected device whose address `visible` accepts),
    /// without their battery level.
    pub fn toys(&self, devices: &DeviceManager, visible: &(dyn Fn(&str) -> bool + Sync)) -> Vec<Arc<Toy>> {
        let connected = devices.devices();
        let mut known = self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        known
            .retain(|index, entry| connected.iter().any(|info| info.index == *index && Arc::ptr_eq(info, &entry.info)));
        connected
            .iter()
            .filter_map(|info| {
                let entry = match known.entry(info.index) {
                    Entry::Occupied(entry) => entry.into_mut(),
                    Entry::Vacant(vacant) => {
                        // Gone since the list was taken: the next request will not list it either.
                        let address = devices.address_of(info.index)?;
                        let toy = Arc::new(Toy::of_device(info, &address, None));
                        vacant.insert(Known { info: Arc::clone(info), address, toy })
                    }
                };
                visible(&entry.address).then(|| Arc::clone(&entry.toy))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};

    #[tokio::test]
    async fn a_toy_is_made_once_per_description_and_forgotten_with_its_device() {
        let devices = DeviceManager::new();
        let first = devices.add_virtual(VirtualDeviceSpec::new(VirtualKind::Vibrator));
        let index = ToyIndex::default();
        let before = index.toys(&devices, &|_| true);
        assert_eq!(before.len(), 1);
        let again = index.toys(&devices, &|_| true);
        assert!(Arc::ptr_eq(&before[0], &again[0]), "the same description gives the same toy");

        let second = devices.add_virtual(VirtualDeviceSpec::new(VirtualKind::LovenseMax));
        let both = index.toys(&devices, &|_| true);
        assert_eq!(both.len(), 2);
        assert_eq!(both.iter().find(|toy| toy.device_index == second.index).unwrap().model, "max");

        assert!(devices.remove(first.index));
        let after = index.toys(&devices, &|_| true);
        assert_eq!(after.iter().map(|toy| toy.device_index).collect::<Vec<_>>(), [second.index]);
    }

    #[tokio::test]
    async fn only_the_toys_the_app_may_see_are_listed() {
        let devices = DeviceManager::new();
        devices.add_virtual(VirtualDeviceSpec::new(VirtualKind::Vibrator));
        let shown = devices.add_virtual(VirtualDeviceSpec::new(VirtualKind::Vibrator));
        let index = ToyIndex::default();
        let seen = devices.address_of(shown.index).unwrap();
        let toys = index.toys(&devices, &|address| address == seen);
        assert_eq!(toys.iter().map(|toy| toy.device_index).collect::<Vec<_>>(), [shown.index]);
        assert_eq!(index.toys(&devices, &|_| true).len(), 2);
    }
}
