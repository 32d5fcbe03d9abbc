//! The Origin gate: the one check every door a browser can reach goes through (see
//! docs/architecture.md, "Front doors"). Any web page the user opens may try
//! `ws://127.0.0.1:12345`, or send a "simple" cross-origin POST to an HTTP surface without a
//! preflight, so each door asks this gate before a web page gets to drive a device.
//!
//! A request that names no web page (no Origin header: a native app) is never held here. A
//! web page is let in when its Origin is approved: listed with `--allowed-origins`, approved
//! for good by the user ([`WebPages::approved`]), or allowed by the user while the engine
//! runs. Otherwise:
//!
//! - with [`WebPages::ask`] (the desktop app), a websocket client is held after its handshake
//!   exactly like a client from another machine (see [`crate::approval`]) and an HTTP request
//!   is answered 403 while the front end asks the user ([`EngineEvent::WebPageAsking`]);
//! - without it (the headless engine), a websocket client is let in when no
//!   `--allowed-origins` list was given (compatibility: any web page, as the reference engine
//!   does) and refused with 403 when one was; an HTTP request is always refused.
//!
//! The HTTP side (fetch metadata, the Host header, CORS and preflights) is in [`http`].
//!
//! [`EngineEvent::WebPageAsking`]: crate::EngineEvent::WebPageAsking

pub mod http;
pub(crate) mod origin;

use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::approval::ApprovedPeer;
use crate::config::WebPages;

pub use origin::normalize;

/// What the gate says about one web page (or native app).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// In: a native app, or an approved web page.
    Pass,
    /// The user must say yes first: a websocket client waits after its handshake, an HTTP
    /// request gets 403 while the window asks.
    Ask,
    /// Out: 403, with a sentence saying how to let the page in.
    Refuse,
}

/// Which kind of door is asking: the websocket keeps the headless engine's old default (any
/// web page), every HTTP surface refuses unapproved pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Websocket,
    Http,
}

/// The gate as the engine runs it: the configuration and the approvals made since.
pub(crate) struct OriginGate {
    /// `--allowed-origins`, normalized; `None`: no list given.
    listed: Option<BTreeSet<String>>,
    ask: bool,
    websocket_open_to_all: bool,
    state: Mutex<Approved>,
}

#[derive(Default)]
struct Approved {
    /// Approved for good; the front end saves them.
    remembered: BTreeSet<String>,
    /// Allowed by the user until the engine stops (an HTTP "Allow").
    this_run: BTreeSet<String>,
    /// Web pages whose HTTP requests were refused while the user is asked about them.
    asking: BTreeSet<String>,
}

impl OriginGate {
    pub fn new(listed: Option<&[String]>, web_pages: &WebPages) -> OriginGate {
        let state = Approved {
            remembered: web_pages.approved.iter().map(|origin| normalize(origin)).collect(),
            ..Approved::default()
        };
        OriginGate {
            listed: listed.map(|list| list.iter().map(|origin| normalize(origin)).collect()),
            ask: web_pages.ask,
            websocket_open_to_all: web_pages.websocket_open_to_all,
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Approved> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether this Origin is approved, by the list, for good, or for this run.
    pub fn is_approved(&self, origin: &str) -> bool {
        let origin = normalize(origin);
        if self.listed.as_ref().is_some_and(|listed| listed.contains(&origin)) {
            return true;
        }
        let state = self.lock();
        state.remembered.contains(&origin) || state.this_run.contains(&origin)
    }

    /// The verdict for a request from `origin` (`None`: no Origin header) at `door`.
    pub fn verdict(&self, door: Door, origin: Option<&str>) -> Verdict {
        let Some(origin) = origin else { return Verdict::Pass };
        if self.is_approved(origin) || (door == Door::Websocket && self.websocket_open_to_all) {
            Verdict::Pass
        } else if self.ask {
            Verdict::Ask
        } else if door == Door::Websocket && self.listed.is_none() {
            Verdict::Pass
        } else {
            Verdict::Refuse
        }
    }

    /// Approves a web page for good.
    pub fn remember(&self, origin: &str) {
        let origin = normalize(origin);
        let mut state = self.lock();
        state.asking.remove(&origin);
        state.remembered.insert(origin);
    }

    /// Lets a web page's HTTP requests in until the engine stops.
    pub fn allow_this_run(&self, origin: &str) {
        let origin = normalize(origin);
        let mut state = self.lock();
        state.asking.remove(&origin);
        state.this_run.insert(origin);
    }

    /// Stops asking about a web page (the user refused it); its requests stay refused.
    pub fn stop_asking(&self, origin: &str) -> bool {
        self.lock().asking.remove(&normalize(origin))
    }

    /// Records that the user is being asked about `origin`; true the first time.
    pub fn start_asking(&self, origin: &str) -> bool {
        self.lock().asking.insert(normalize(origin))
    }

    /// Replaces the web pages approved for good (the front end forgot one, say).
    pub fn replace_remembered(&self, origins: impl IntoIterator<Item = String>) {
        self.lock().remembered = origins.into_iter().map(|origin| normalize(&origin)).collect();
    }

    pub fn remembered(&self) -> Vec<String> {
        self.lock().remembered.iter().cloned().collect()
    }

    /// The web pages whose HTTP requests wait for the user's answer.
    pub fn asking(&self) -> Vec<String> {
        self.lock().asking.iter().cloned().collect()
    }
}

/// What allowing a client for good made the engine remember; the front end saves it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remembered {
    /// Its address and Origin, when it was held as a client from another machine.
    pub peer: Option<ApprovedPeer>,
    /// Its Origin (normalized), when it was held as a web page the user had not approved.
    pub origin: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(listed: Option<&[&str]>, ask: bool, approved: &[&str]) -> OriginGate {
        let listed: Option<Vec<String>> = listed.map(|l| l.iter().map(|s| s.to_string()).collect());
        let approved = approved.iter().map(|s| s.to_string()).collect();
        let web_pages = WebPages { ask, approved, ..WebPages::default() };
        OriginGate::new(listed.as_deref(), &web_pages)
    }

    #[test]
    fn native_apps_always_pass() {
        for gate in [gate(None, false, &[]), gate(Some(&[]), false, &[]), gate(None, true, &[])] {
            assert_eq!(gate.verdict(Door::Websocket, None), Verdict::Pass);
            assert_eq!(gate.verdict(Door::Http, None), Verdict::Pass);
        }
    }

    #[test]
    fn headless_without_a_list_lets_any_page_use_the_websocket_but_not_http() {
        let gate = gate(None, false, &[]);
        assert_eq!(gate.verdict(Door::Websocket, Some("https://any.example")), Verdict::Pass);
        assert_eq!(gate.verdict(Door::Http, Some("https://any.example")), Verdict::Refuse);
    }

    #[test]
    fn headless_with_a_list_lets_only_listed_pages_in_at_every_door() {
        let gate = gate(Some(&["https://game.example"]), false, &[]);
        for door in [Door::Websocket, Door::Http] {
            assert_eq!(gate.verdict(door, Some("HTTPS://game.example:443/")), Verdict::Pass);
            assert_eq!(gate.verdict(door, Some("https://evil.example")), Verdict::Refuse);
            assert_eq!(gate.verdict(door, Some("null")), Verdict::Refuse);
        }
    }

    #[test]
    fn the_app_asks_about_every_page_it_has_not_approved() {
        let gate = gate(None, true, &["https://game.example"]);
        assert_eq!(gate.verdict(Door::Websocket, Some("https://game.example")), Verdict::Pass);
        assert_eq!(gate.verdict(Door::Websocket, Some("https://other.example")), Verdict::Ask);
        assert_eq!(gate.verdict(Door::Http, Some("https://other.example")), Verdict::Ask);

        assert!(gate.start_asking("https://other.example"));
        assert!(!gate.start_asking("https://other.example/"), "asked once per page");
        assert_eq!(gate.asking(), vec!["https://other.example"]);
        gate.allow_this_run("https://other.example");
        assert!(gate.asking().is_empty());
        assert_eq!(gate.verdict(Door::Http, Some("https://other.example")), Verdict::Pass);
        assert!(gate.remembered().iter().all(|o| o != "https://other.example"), "not remembered");

        gate.remember("https://third.example:443");
        assert_eq!(gate.remembered(), vec!["https://game.example", "https://third.example"]);
        assert_eq!(gate.verdict(Door::Websocket, Some("https://third.example")), Verdict::Pass);
        gate.replace_remembered(Vec::new());
        assert_eq!(gate.verdict(Door::Websocket, Some("https://third.example")), Verdict::Ask);
        assert_eq!(gate.verdict(Door::Websocket, Some("https://game.example")), Verdict::Ask);
    }

    #[test]
    fn letting_any_page_use_the_websocket_still_asks_over_http() {
        let web_pages = WebPages { ask: true, websocket_open_to_all: true, approved: Vec::new() };
        let gate = OriginGate::new(None, &web_pages);
        assert_eq!(gate.verdict(Door::Websocket, Some("https://any.example")), Verdict::Pass);
        assert_eq!(gate.verdict(Door::Http, Some("https://any.example")), Verdict::Ask);
    }
}
