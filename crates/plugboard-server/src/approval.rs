//! Clients from other machines. When the front end asks for it ([`RemoteClients::ask`], the
//! desktop app listening on all interfaces), a client whose address is not local gets its
//! handshake answered and nothing more until the user allows it: its other messages wait (in
//! order, up to a bound) and it hears of no device. The user allows it (optionally remembering
//! its address and Origin, never the name a client picks), refuses it, or lets the timeout
//! pass; a refused or timed-out client gets an Error (code 1) for each waiting message, then
//! the connection closes.
//!
//! The headless engine does not ask: `--websocket-use-all-interfaces` is the user's consent.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use plugboard_protocol::frame::RawMessage;
use plugboard_protocol::{DecodeError, Error};

/// How long a client from another machine waits for the user's answer unless told otherwise.
pub const DEFAULT_APPROVAL_TIMEOUT: Duration = Duration::from_secs(60);
/// At most this many messages wait for the answer; more get an Error each.
const MAX_HELD_MESSAGES: usize = 256;
/// At most this many bytes of messages wait for the answer.
const MAX_HELD_BYTES: usize = 1 << 20;

/// A client the user allowed for good: its IP address and its Origin (`None`: a native app).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApprovedPeer {
    pub address: IpAddr,
    pub origin: Option<String>,
}

impl ApprovedPeer {
    pub fn new(address: IpAddr, origin: Option<String>) -> ApprovedPeer {
        // A v4 address reached over IPv6 (::ffff:a.b.c.d) is the same machine.
        ApprovedPeer { address: address.to_canonical(), origin }
    }
}

/// What the engine does with clients from other machines.
#[derive(Debug, Clone)]
pub struct RemoteClients {
    /// Hold a client from another machine after its handshake until the front end answers
    /// (`Engine::allow_client`, `Engine::refuse_client`). False: let every client in.
    pub ask: bool,
    /// Clients let in without asking.
    pub approved: Vec<ApprovedPeer>,
    /// How long a client waits for the answer before it is refused.
    pub timeout: Duration,
    /// Whether a peer address is this machine (loopback by default; tests replace it).
    pub is_local: fn(IpAddr) -> bool,
}

impl Default for RemoteClients {
    fn default() -> Self {
        RemoteClients { ask: false, approved: Vec::new(), timeout: DEFAULT_APPROVAL_TIMEOUT, is_local: is_loopback }
    }
}

/// The default [`RemoteClients::is_local`].
pub fn is_loopback(address: IpAddr) -> bool {
    address.to_canonical().is_loopback()
}

/// Where a client stands with the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Local, remembered, or the engine does not ask.
    NotNeeded,
    /// Waiting for the user's answer.
    Pending,
    Allowed,
    Refused,
}

/// The remembered approvals, changed by the front end while the engine runs.
pub(crate) struct Approvals {
    remembered: Mutex<BTreeSet<ApprovedPeer>>,
}

impl Approvals {
    pub fn new(config: &RemoteClients) -> Approvals {
        Approvals {
            remembered: Mutex::new(
                config.approved.iter().cloned().map(|p| ApprovedPeer::new(p.address, p.origin)).collect(),
            ),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<ApprovedPeer>> {
        self.remembered.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What a new client from `peer` starts as.
    pub fn initial(&self, config: &RemoteClients, peer: &ApprovedPeer) -> Approval {
        if !config.ask || (config.is_local)(peer.address) || self.lock().contains(peer) {
            Approval::NotNeeded
        } else {
            Approval::Pending
        }
    }

    pub fn remember(&self, peer: ApprovedPeer) {
        self.lock().insert(peer);
    }

    pub fn replace(&self, peers: impl IntoIterator<Item = ApprovedPeer>) {
        *self.lock() = peers.into_iter().map(|p| ApprovedPeer::new(p.address, p.origin)).collect();
    }

    pub fn list(&self) -> Vec<ApprovedPeer> {
        self.lock().iter().cloned().collect()
    }
}

/// The messages a pending client sent after its handshake, in order.
#[derive(Default)]
pub(crate) struct Held {
    messages: Vec<Result<RawMessage, DecodeError>>,
    bytes: usize,
}

impl Held {
    /// Keeps a message for later; gives it back when the bound is reached.
    pub fn hold(&mut self, message: Result<RawMessage, DecodeError>) -> Result<(), Result<RawMessage, DecodeError>> {
        let size = message.as_ref().map(|raw| raw.body.get().len()).unwrap_or(0);
        if self.messages.len() >= MAX_HELD_MESSAGES || self.bytes + size > MAX_HELD_BYTES {
            return Err(message);
        }
        self.bytes += size;
        self.messages.push(message);
        Ok(())
    }

    pub fn take(&mut self) -> Vec<Result<RawMessage, DecodeError>> {
        self.bytes = 0;
        std::mem::take(&mut self.messages)
    }
}

/// The Error for a message beyond what may wait.
pub(crate) fn too_many_waiting() -> Error {
    Error::message(format!(
        "This client is waiting for the user to allow it, and at most {MAX_HELD_MESSAGES} messages can wait \
         meanwhile; this one was dropped."
    ))
}

/// The Error a refused client gets.
pub(crate) fn refused(address: IpAddr) -> Error {
    Error::handshake(format!(
        "The user of this Plugboard did not allow this client, connecting from {address}, to use the server."
    ))
}

/// The Error a client gets when the user did not answer in time.
pub(crate) fn timed_out(address: IpAddr, timeout: Duration) -> Error {
    Error::handshake(format!(
        "This client, connecting from another machine ({address}), must be allowed by the user of this \
         Plugboard, who did not answer within {} seconds. Try again, and ask them to allow it.",
        timeout.as_secs()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(address: &str, origin: Option<&str>) -> ApprovedPeer {
        ApprovedPeer::new(address.parse().unwrap(), origin.map(str::to_owned))
    }

    #[test]
    fn only_unremembered_remote_peers_wait_and_only_when_asked_to() {
        let mut config =
            RemoteClients { ask: true, approved: vec![peer("192.168.1.5", None)], ..RemoteClients::default() };
        let approvals = Approvals::new(&config);
        assert_eq!(approvals.initial(&config, &peer("127.0.0.1", None)), Approval::NotNeeded);
        assert_eq!(approvals.initial(&config, &peer("::1", None)), Approval::NotNeeded);
        assert_eq!(approvals.initial(&config, &peer("::ffff:127.0.0.1", None)), Approval::NotNeeded);
        assert_eq!(approvals.initial(&config, &peer("192.168.1.5", None)), Approval::NotNeeded);
        assert_eq!(approvals.initial(&config, &peer("::ffff:192.168.1.5", None)), Approval::NotNeeded);
        // Remembered by address and Origin together.
        assert_eq!(approvals.initial(&config, &peer("192.168.1.5", Some("https://x.test"))), Approval::Pending);
        assert_eq!(approvals.initial(&config, &peer("192.168.1.6", None)), Approval::Pending);
        approvals.remember(peer("192.168.1.6", None));
        assert_eq!(approvals.initial(&config, &peer("192.168.1.6", None)), Approval::NotNeeded);
        approvals.replace([]);
        assert_eq!(approvals.initial(&config, &peer("192.168.1.5", None)), Approval::Pending);
        config.ask = false;
        assert_eq!(approvals.initial(&config, &peer("192.168.1.5", None)), Approval::NotNeeded);
    }

    #[test]
    fn held_messages_are_bounded() {
        let mut held = Held::default();
        let raw = || plugboard_protocol::frame::split_frame(r#"[{"Ping":{"Id":1}}]"#).remove(0);
        for _ in 0..MAX_HELD_MESSAGES {
            assert!(held.hold(raw()).is_ok());
        }
        assert!(held.hold(raw()).is_err());
        assert_eq!(held.take().len(), MAX_HELD_MESSAGES);
        assert!(held.hold(raw()).is_ok());
    }
}
