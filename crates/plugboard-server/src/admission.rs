//! Who waits for the user's yes after the handshake, and what a client the user turned away
//! is told: a client from another machine the user has not approved ([`crate::approval`]),
//! or a web page the Origin gate holds ([`crate::gate`]). Both wait the same way, so one
//! place decides for both.

use std::net::IpAddr;
use std::time::Duration;

use plugboard_devices::ClientId;
use plugboard_protocol::Error;

use crate::approval::{self, Approval, ApprovedPeer};
use crate::gate::{Door, Verdict};
use crate::shared::Shared;

/// Why a websocket client waits for the user's yes after its handshake.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HeldFor {
    /// It connects from another machine the user has not approved (see [`crate::approval`]).
    pub other_machine: bool,
    /// Its Origin names a web page the user has not approved.
    pub web_page: bool,
}

impl HeldFor {
    pub fn any(self) -> bool {
        self.other_machine || self.web_page
    }
}

/// Why a websocket client from `key` (its address and Origin) must wait, if it must.
pub(crate) fn held_for(shared: &Shared, key: &ApprovedPeer) -> HeldFor {
    HeldFor {
        other_machine: shared.approvals.initial(&shared.config.remote_clients, key) == Approval::Pending,
        web_page: shared.gate.verdict(Door::Websocket, key.origin.as_deref()) == Verdict::Ask,
    }
}

/// Lets in every waiting client that nothing holds any more (after an approval was remembered).
pub(crate) fn let_in_approved(shared: &Shared) {
    shared
        .clients
        .answer(Approval::Allowed, |client| client.approval_key().is_some_and(|key| !held_for(shared, &key).any()));
}

/// The Error a waiting client (from `address`) gets when the user refuses it (`timeout`: did
/// not answer within it): about its web page when that is what held it, else about its address.
pub(crate) fn turned_away(shared: &Shared, id: ClientId, address: IpAddr, timeout: Option<Duration>) -> Error {
    let held_page = shared
        .clients
        .get(id)
        .and_then(|client| client.approval_key())
        .filter(|key| held_for(shared, key).web_page)
        .and_then(|key| key.origin);
    match (held_page, timeout) {
        (Some(origin), None) => Error::handshake(format!(
            "The user of this Plugboard did not allow the web page {origin} to use their devices."
        )),
        (Some(origin), Some(timeout)) => Error::handshake(format!(
            "The web page {origin} must be allowed by the user of this Plugboard, who did not answer within {} \
             seconds. Reload the page and ask them to allow it.",
            timeout.as_secs()
        )),
        (None, None) => approval::refused(address),
        (None, Some(timeout)) => approval::timed_out(address, timeout),
    }
}
