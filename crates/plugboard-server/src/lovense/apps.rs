//! The apps calling the Lovense API, each one client of the engine (docs/architecture.md,
//! Clients and ownership). HTTP has no connection to follow, so an app is known by its
//! `X-platform` header and the address it calls from: it is listed with the other clients
//! (kind "Lovense API") while it runs something or has called within the last minute. What it
//! started keeps running after it leaves the list, and it owns it still: the same app calling
//! again gets the same client id, so its `Stop` stops what it started.
//!
//! An app from another machine waits for the user's approval like a Buttplug client; its
//! calls are refused with a message saying so until the user answers. Calls are rate-limited
//! per app with the engine's messages-per-second limit.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::answer::ApiError;
use super::runner::Runner;
use crate::approval::{Approval, ApprovedPeer};
use crate::clients::{ClientKind, ClientSnapshot};
use crate::events::EngineEvent;
use crate::shared::Shared;

/// The name of an app that sends no `X-platform` header.
pub const UNNAMED_APP: &str = "Lovense API";

/// How long an app that runs nothing stays listed after its last call.
pub const LISTED_FOR: Duration = Duration::from_secs(60);

/// Every app that has called since the engine started.
pub struct Apps {
    shared: Arc<Shared>,
    apps: Mutex<HashMap<(String, IpAddr), Arc<App>>>,
}

/// One calling app.
pub struct App {
    pub name: String,
    pub runner: Arc<Runner>,
    peer: SocketAddr,
    state: Mutex<AppState>,
}

struct AppState {
    /// Set while the app is in the client registry.
    listing: Option<Listing>,
    last_call: Instant,
    /// Calls within the current second, for the rate limit.
    second_started: Instant,
    calls_this_second: u32,
}

struct Listing {
    answer: tokio::sync::watch::Receiver<Approval>,
    /// Waits for the front end to disconnect the app.
    kick_watch: JoinHandle<()>,
}

impl Apps {
    pub fn new(shared: Arc<Shared>) -> Arc<Apps> {
        Arc::new(Apps { shared, apps: Mutex::default() })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, IpAddr), Arc<App>>> {
        self.apps.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The app making a call (listed again if it had left the list), or why it may not.
    pub fn call(self: &Arc<Self>, name: &str, peer: SocketAddr, origin: Option<String>) -> Result<Arc<App>, ApiError> {
        let app = {
            let mut apps = self.lock();
            let key = (name.to_owned(), peer.ip().to_canonical());
            Arc::clone(apps.entry(key).or_insert_with(|| {
                let id = self.shared.next_client_id();
                Arc::new(App {
                    name: name.to_owned(),
                    runner: Runner::new(Arc::clone(&self.shared.devices), id),
                    peer,
                    state: Mutex::new(AppState {
                        listing: None,
                        last_call: Instant::now(),
                        second_started: Instant::now(),
                        calls_this_second: 0,
                    }),
                })
            }))
        };
        self.admit(&app, origin)?;
        Ok(app)
    }

    fn admit(self: &Arc<Self>, app: &Arc<App>, origin: Option<String>) -> Result<(), ApiError> {
        let id = app.runner.client();
        let mut state = app.lock();
        let now = Instant::now();
        state.last_call = now;
        if state.listing.is_none() {
            state.listing = Some(self.list(app, origin)?);
        }
        self.shared.clients.count_messages(id, 1, 1);
        let approval = state.listing.as_ref().map_or(Approval::NotNeeded, |listing| *listing.answer.borrow());
        match approval {
            Approval::Pending => {
                return Err(ApiError::server_error(format!(
                    "Plugboard asks its user whether {} at {} may use the toys. Try again once the user has \
                     allowed it in Plugboard's window.",
                    app.name,
                    app.peer.ip()
                )))
            }
            Approval::Refused => {
                return Err(ApiError::server_error(format!(
                    "The user of Plugboard did not allow {} at {} to use the toys.",
                    app.name,
                    app.peer.ip()
                )))
            }
            Approval::Allowed => {
                let changed = self.shared.clients.update(id, |client| {
                    if client.approval == Approval::Pending {
                        client.approval = Approval::Allowed;
                    }
                });
                if let Some(snapshot) = changed.filter(|snapshot| snapshot.approval == Approval::Allowed) {
                    self.shared.emit(EngineEvent::ClientChanged(Box::new(snapshot)));
                }
            }
            Approval::NotNeeded => {}
        }
        if now.duration_since(state.second_started) >= Duration::from_secs(1) {
            state.second_started = now;
            state.calls_this_second = 0;
        }
        state.calls_this_second += 1;
        let limit = self.shared.config.limits.max_messages_per_second;
        if limit > 0 && state.calls_this_second > limit {
            return Err(ApiError::server_error(format!(
                "{} calls more than {limit} times a second, the limit for every client; slow down.",
                app.name
            )));
        }
        Ok(())
    }

    /// Puts the app in the client registry.
    fn list(self: &Arc<Self>, app: &Arc<App>, origin: Option<String>) -> Result<Listing, ApiError> {
        let id = app.runner.client();
        let peer_key = ApprovedPeer::new(app.peer.ip(), origin.clone());
        let approval = self.shared.approvals.initial(&self.shared.config.remote_clients, &peer_key);
        let snapshot = ClientSnapshot {
            id,
            kind: ClientKind::LovenseApi,
            name: Some(app.name.clone()),
            spec_version: None,
            peer: Some(app.peer),
            origin,
            connected_since: SystemTime::now(),
            messages_in: 0,
            messages_out: 0,
            last_error: None,
            approval,
        };
        let max = self.shared.config.max_clients;
        let signals = self.shared.clients.register(snapshot.clone(), max).ok_or_else(|| {
            ApiError::server_error(format!(
                "Plugboard already has {max} clients, its limit. Disconnect one in Plugboard's window and try again."
            ))
        })?;
        tracing::info!(client = id, app = %app.name, peer = %app.peer, "a Lovense API app is calling");
        if approval == Approval::Pending {
            tracing::warn!(client = id, peer = %app.peer, "a Lovense API app from another machine waits for the user's approval");
        }
        self.shared.emit(EngineEvent::ClientConnected(Box::new(snapshot)));
        let apps = Arc::clone(self);
        let kicked_app = Arc::clone(app);
        let mut kicked = signals.kicked;
        let kick_watch = tokio::spawn(async move {
            if kicked.wait_for(|kicked| *kicked).await.is_ok() {
                tracing::info!(client = id, "the user disconnected a Lovense API app: its toys stop");
                kicked_app.runner.stop_everything();
                apps.unlist(&kicked_app);
            }
        });
        Ok(Listing { answer: signals.answer, kick_watch })
    }

    /// Takes the app out of the client registry (what it runs keeps running).
    fn unlist(&self, app: &App) {
        let Some(listing) = app.lock().listing.take() else { return };
        listing.kick_watch.abort();
        let id = app.runner.client();
        if self.shared.clients.remove(id).is_some() {
            self.shared.emit(EngineEvent::ClientDisconnected { id });
        }
    }

    /// The user's STOP ALL: every app's programs end, so that none starts a toy again.
    pub fn stop_programs(&self) {
        for app in self.lock().values() {
            app.runner.stop_programs();
        }
    }

    /// Takes apps that run nothing and have not called for [`LISTED_FOR`] off the list, until
    /// the engine stops.
    pub async fn sweep(self: Arc<Self>) {
        let mut shutdown = self.shared.shutdown.clone();
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = crate::raised(&mut shutdown) => break,
            }
            let apps: Vec<Arc<App>> = self.lock().values().cloned().collect();
            for app in apps {
                let idle = {
                    let state = app.lock();
                    state.listing.is_some() && state.last_call.elapsed() >= LISTED_FOR
                };
                if idle && !app.runner.is_running() {
                    tracing::debug!(client = app.runner.client(), "a Lovense API app leaves the list");
                    self.unlist(&app);
                }
            }
        }
        for app in self.lock().values() {
            if let Some(listing) = app.lock().listing.take() {
                listing.kick_watch.abort();
            }
        }
    }
}

impl App {
    fn lock(&self) -> std::sync::MutexGuard<'_, AppState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
