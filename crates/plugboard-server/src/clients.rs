//! The client registry: who is connected, in which spec version, and what they did.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::SystemTime;

use plugboard_devices::ClientId;
use plugboard_protocol::SpecVersion;
use tokio::sync::watch;

use crate::approval::{Approval, ApprovedPeer};

/// How a client reaches the engine. Every way a command arrives is a client
/// (docs/architecture.md, Clients and ownership): each is listed with its kind and is subject
/// to the same ownership rules, device access, rate limit and STOP ALL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKind {
    /// A Buttplug client over the websocket.
    Buttplug,
    /// The desktop window's own per-output controls ([`crate::LocalClient`]).
    Window,
    /// An app calling the Lovense local API (the `lovense` module), named after its
    /// `X-platform` header.
    LovenseApi,
    /// The REST API (the `rest` module): one client for every request it serves.
    RestApi,
}

impl ClientKind {
    /// What front ends call a client of this kind: "Buttplug v3" (with its negotiated spec
    /// version; plain "Buttplug" before the handshake), "this window", "Lovense API",
    /// "REST API".
    pub fn label(self, spec_version: Option<SpecVersion>) -> String {
        match (self, spec_version) {
            (ClientKind::Buttplug, Some(version)) => format!("Buttplug {version}"),
            (ClientKind::Buttplug, None) => "Buttplug".to_owned(),
            (ClientKind::Window, _) => "this window".to_owned(),
            (ClientKind::LovenseApi, _) => "Lovense API".to_owned(),
            (ClientKind::RestApi, _) => "REST API".to_owned(),
        }
    }
}

/// What front ends see of one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSnapshot {
    pub id: ClientId,
    pub kind: ClientKind,
    /// The ClientName of its RequestServerInfo; `None` before the handshake.
    pub name: Option<String>,
    /// The negotiated spec version; `None` before the handshake.
    pub spec_version: Option<SpecVersion>,
    /// Where it connects from; `None` for a client inside the process (the window).
    pub peer: Option<SocketAddr>,
    /// The websocket Origin header, which names the web page for browser clients.
    pub origin: Option<String>,
    pub connected_since: SystemTime,
    pub messages_in: u64,
    pub messages_out: u64,
    pub last_error: Option<String>,
    /// Whether it waits for the user's approval (a client from another machine).
    pub approval: Approval,
}

impl ClientSnapshot {
    /// What an approval of this client remembers: its IP address and its Origin (`None` for
    /// a client inside the process, which needs no approval).
    pub fn approval_key(&self) -> Option<ApprovedPeer> {
        Some(ApprovedPeer::new(self.peer?.ip(), self.origin.clone()))
    }
}

struct Entry {
    snapshot: ClientSnapshot,
    /// Set to true to make the session close.
    kick: watch::Sender<bool>,
    /// The user's answer, for a client that waits for one.
    answer: watch::Sender<Approval>,
}

/// What a session listens to.
pub struct Signals {
    pub kicked: watch::Receiver<bool>,
    pub answer: watch::Receiver<Approval>,
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

    /// Registers a client unless `max` are already connected; returns its signals.
    pub fn register(&self, snapshot: ClientSnapshot, max: usize) -> Option<Signals> {
        let mut clients = self.lock();
        // The limit keeps network clients from crowding each other out; clients inside the
        // process do not count towards it.
        let connected = clients.values().filter(|entry| entry.snapshot.peer.is_some()).count();
        if snapshot.peer.is_some() && connected >= max {
            return None;
        }
        let (kick, kicked) = watch::channel(false);
        let (answer, answered) = watch::channel(snapshot.approval);
        clients.insert(snapshot.id, Entry { snapshot, kick, answer });
        Some(Signals { kicked, answer: answered })
    }

    /// Answers the waiting clients that `which` picks (the first answer counts); returns how
    /// many there were.
    pub fn answer(&self, answer: Approval, which: impl Fn(&ClientSnapshot) -> bool) -> usize {
        let clients = self.lock();
        let mut count = 0;
        let waiting = clients.values().filter(|entry| *entry.answer.borrow() == Approval::Pending);
        for entry in waiting.filter(|entry| which(&entry.snapshot)) {
            entry.answer.send_replace(answer);
            count += 1;
        }
        count
    }

    pub fn get(&self, id: ClientId) -> Option<ClientSnapshot> {
        self.lock().get(&id).map(|entry| entry.snapshot.clone())
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
