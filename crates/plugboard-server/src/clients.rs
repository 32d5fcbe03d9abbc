//! The client registry: who is connected, in which spec version, and what they did.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::SystemTime;

use plugboard_devices::ClientId;
use plugboard_protocol::SpecVersion;
use tokio::sync::watch;

/// What front ends see of one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSnapshot {
    pub id: ClientId,
    /// The ClientName of its RequestServerInfo; `None` before the handshake.
    pub name: Option<String>,
    /// The negotiated spec version; `None` before the handshake.
    pub spec_version: Option<SpecVersion>,
    pub peer: SocketAddr,
    /// The websocket Origin header, which names the web page for browser clients.
    pub origin: Option<String>,
    pub connected_since: SystemTime,
    pub messages_in: u64,
    pub messages_out: u64,
    pub last_error: Option<String>,
}

struct Entry {
    snapshot: ClientSnapshot,
    /// Set to true to make the session close.
    kick: watch::Sender<bool>,
}

/// Every connected client. Sessions update their own entry; front ends read and kick.
#[derive(Default)]
pub struct ClientRegistry {
    clients: Mutex<BTreeMap<ClientId, Entry>>,
}

impl ClientRegistry {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<ClientId, Entry>> {
        self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a client unless `max` are already connected; returns its kick signal.
    pub fn register(&self, snapshot: ClientSnapshot, max: usize) -> Option<watch::Receiver<bool>> {
        let mut clients = self.lock();
        if clients.len() >= max {
            return None;
        }
        let (kick, kicked) = watch::channel(false);
        clients.insert(snapshot.id, Entry { snapshot, kick });
        Some(kicked)
    }

    pub fn remove(&self, id: ClientId) -> Option<ClientSnapshot> {
        self.lock().remove(&id).map(|entry| entry.snapshot)
    }

    /// Changes one client's entry and returns the new snapshot.
    pub fn update(&self, id: ClientId, change: impl FnOnce(&mut ClientSnapshot)) -> Option<ClientSnapshot> {
        let mut clients = self.lock();
        let entry = clients.get_mut(&id)?;
        change(&mut entry.snapshot);
        Some(entry.snapshot.clone())
    }

    /// Counts messages in and out; cheaper than [`ClientRegistry::update`] (no snapshot copy),
    /// for the per-frame bookkeeping.
    pub fn count_messages(&self, id: ClientId, incoming: u64, outgoing: u64) {
        if let Some(entry) = self.lock().get_mut(&id) {
            entry.snapshot.messages_in += incoming;
            entry.snapshot.messages_out += outgoing;
        }
    }

    pub fn snapshot(&self) -> Vec<ClientSnapshot> {
        self.lock().values().map(|entry| entry.snapshot.clone()).collect()
    }

    /// Asks a client's session to close; false if there is no such client.
    pub fn kick(&self, id: ClientId) -> bool {
        self.lock().get(&id).map(|entry| entry.kick.send_replace(true)).is_some()
    }

    pub fn kick_all(&self) {
        for entry in self.lock().values() {
            entry.kick.send_replace(true);
        }
    }
}
