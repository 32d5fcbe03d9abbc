//! Per-client device access. The user can limit a client, by the name it gives in its
//! handshake, to chosen devices (by address, as in the user device config). The other devices
//! are invisible to it: not in its DeviceList, no DeviceAdded or DeviceRemoved, and a command
//! to one gets the Error of a device that is not connected. Rules can change while clients
//! are connected; each session then tells its client what appeared and disappeared.
//!
//! Client names are chosen by the clients, so this keeps well-behaved apps apart; it does not
//! stop a hostile one (approval and the Origin list are for that).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use plugboard_protocol::model::DeviceInfo;
use tokio::sync::watch;

/// Client name → the addresses of the only devices it may see and use.
pub type AccessRules = BTreeMap<String, BTreeSet<String>>;

/// The rules, shared by the engine and its sessions.
pub(crate) struct DeviceAccess {
    rules: Mutex<AccessRules>,
    /// Bumped on every change; sessions watch it.
    changed: watch::Sender<u64>,
}

impl DeviceAccess {
    pub fn new(rules: AccessRules) -> DeviceAccess {
        DeviceAccess { rules: Mutex::new(rules), changed: watch::channel(0).0 }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AccessRules> {
        self.rules.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Limits clients named `name` to `devices`; `None` lifts the limit.
    pub fn set(&self, name: &str, devices: Option<BTreeSet<String>>) {
        {
            let mut rules = self.lock();
            match devices {
                Some(devices) => rules.insert(name.to_owned(), devices),
                None => rules.remove(name),
            };
        }
        self.changed.send_modify(|generation| *generation += 1);
    }

    pub fn rules(&self) -> AccessRules {
        self.lock().clone()
    }

    /// The devices a client of this name may use; `None`: all of them.
    pub fn allowed_for(&self, name: &str) -> Option<BTreeSet<String>> {
        self.lock().get(name).cloned()
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

/// What one client can see: its rule, and which connected devices it does not see.
#[derive(Debug, Default)]
pub(crate) struct Visibility {
    /// `None`: every device.
    allowed: Option<BTreeSet<String>>,
    /// Connected devices this client has not been told of.
    hidden: BTreeSet<u32>,
}

/// What a change of rules means for one client.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Change {
    pub hidden: Vec<u32>,
    pub shown: Vec<Arc<DeviceInfo>>,
}

impl Visibility {
    pub fn may_use(&self, address: &str) -> bool {
        self.allowed.as_ref().is_none_or(|allowed| allowed.contains(address))
    }

    pub fn is_hidden(&self, index: u32) -> bool {
        self.hidden.contains(&index)
    }

    /// Applies a (new) rule to the connected devices and says what the client must hear.
    pub fn apply(&mut self, allowed: Option<BTreeSet<String>>, devices: &[(Arc<DeviceInfo>, String)]) -> Change {
        self.allowed = allowed;
        let mut change = Change::default();
        let mut hidden = BTreeSet::new();
        for (info, address) in devices {
            let was_hidden = self.hidden.contains(&info.index);
            if self.may_use(address) {
                if was_hidden {
                    change.shown.push(info.clone());
                }
            } else {
                hidden.insert(info.index);
                if !was_hidden {
                    change.hidden.push(info.index);
                }
            }
        }
        self.hidden = hidden;
        change
    }

    /// A device appeared: whether this client hears of it.
    pub fn added(&mut self, index: u32, address: Option<&str>) -> bool {
        match address {
            Some(address) if self.may_use(address) => {
                self.hidden.remove(&index);
                true
            }
            // Gone again already, or not for this client.
            _ => {
                self.hidden.insert(index);
                false
            }
        }
    }

    /// A device went away: whether this client hears of it.
    pub fn removed(&mut self, index: u32) -> bool {
        !self.hidden.remove(&index)
    }

    /// The devices of `devices` this client sees.
    pub fn visible<'a>(
        &'a self,
        devices: &'a [(Arc<DeviceInfo>, String)],
    ) -> impl Iterator<Item = &'a DeviceInfo> + 'a {
        devices.iter().filter(|(_, address)| self.may_use(address)).map(|(info, _)| info.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugboard_protocol::model::DeviceInfo;

    fn device(index: u32) -> (Arc<DeviceInfo>, String) {
        let info = DeviceInfo {
            index,
            name: format!("Device {index}"),
            display_name: None,
            message_gap_ms: 0,
            features: Vec::new(),
        };
        (Arc::new(info), format!("virtual:{index}"))
    }

    fn only(addresses: &[&str]) -> Option<BTreeSet<String>> {
        Some(addresses.iter().map(|a| a.to_string()).collect())
    }

    #[test]
    fn rules_hide_and_show_devices_as_they_change() {
        let devices = vec![device(0), device(1), device(2)];
        let mut view = Visibility::default();
        assert_eq!(view.apply(None, &devices), Change::default());
        assert_eq!(view.visible(&devices).count(), 3);

        let change = view.apply(only(&["virtual:1"]), &devices);
        assert_eq!(change.hidden, vec![0, 2]);
        assert!(change.shown.is_empty());
        assert_eq!(view.visible(&devices).map(|d| d.index).collect::<Vec<_>>(), vec![1]);
        assert!(view.is_hidden(0) && !view.is_hidden(1));

        let change = view.apply(only(&["virtual:1", "virtual:2"]), &devices);
        assert!(change.hidden.is_empty());
        assert_eq!(change.shown.iter().map(|d| d.index).collect::<Vec<_>>(), vec![2]);

        // Devices coming and going.
        assert!(!view.added(3, Some("virtual:3")));
        assert!(view.added(4, Some("virtual:2")));
        assert!(!view.added(5, None));
        assert!(!view.removed(3));
        assert!(view.removed(4));
        assert!(!view.removed(5));
        assert!(view.removed(1));
    }

    #[test]
    fn the_shared_rules_notify_sessions() {
        let access = DeviceAccess::new(AccessRules::new());
        let mut watcher = access.subscribe();
        access.set("Game", only(&["virtual:0"]));
        assert!(watcher.has_changed().unwrap());
        watcher.mark_unchanged();
        assert_eq!(access.allowed_for("Game"), only(&["virtual:0"]));
        assert_eq!(access.allowed_for("Other"), None);
        access.set("Game", None);
        assert!(watcher.has_changed().unwrap());
        assert!(access.rules().is_empty());
    }
}
