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

    /// The app making a call (listed again if it had left the list), or why it may not;
    /// `stop`: the call only stops, and no rate limit refuses it.
    pub fn call(
        self: &Arc<Self>,
        name: &str,
        peer: SocketAddr,
        origin: Option<String>,
        stop: bool,
    ) -> Result<Arc<App>, ApiError> {
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
        self.admit(&app, origin, stop)?;
        Ok(app)
    }

    /// Lets the app's call in, or says why not. `stop`: the call only stops, which counts
    /// against the rate but is never refused for it (docs/architecture.md, "Safety").
    fn admit(self: &Arc<Self>, app: &Arc<App>, origin: Option<String>, stop: bool) -> Result<(), ApiError> {
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
        if limit > 0 && state.calls_this_second > limit && !stop {
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

#[cfg(test)]
mod tests {
    use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
    use plugboard_devices::DeviceManager;
    use plugboard_protocol::model::{FeatureCommand, OutputCommand, OutputType};

    use super::*;
    use crate::config::EngineConfig;
    use crate::lovense::request::from_json;
    use crate::lovense::service::Service;

    /// An engine's shared state with one virtual vibrator, and its apps swept as the server
    /// sweeps them.
    struct Setup {
        shared: Arc<Shared>,
        apps: Arc<Apps>,
        service: Service,
        _shutdown: tokio::sync::watch::Sender<bool>,
    }

    fn setup() -> Setup {
        let (shutdown, stopping) = tokio::sync::watch::channel(false);
        let devices = DeviceManager::new();
        devices.add_virtual(VirtualDeviceSpec::new(VirtualKind::Vibrator));
        let shared = Arc::new(Shared::new(EngineConfig::loopback(0), Arc::clone(&devices), stopping));
        let apps = Apps::new(Arc::clone(&shared));
        tokio::spawn(Arc::clone(&apps).sweep());
        Setup { shared, apps, service: Service::new(devices), _shutdown: shutdown }
    }

    const PEER: &str = "127.0.0.1:40000";

    impl Setup {
        /// One call of `name`, carrying out `command` as the server does.
        async fn call(&self, name: &str, command: &str) -> serde_json::Value {
            let command = from_json(command.as_bytes()).unwrap();
            let app = match self.apps.call(name, PEER.parse().unwrap(), None, command.is_stop()) {
                Ok(app) => app,
                Err(refused) => return refused.to_json(),
            };
            self.service.execute(&app.runner, &|_| true, command).await
        }

        /// The clients listed, by name and id.
        fn listed(&self) -> Vec<(String, u64)> {
            self.shared
                .clients
                .snapshot()
                .into_iter()
                .map(|client| (client.name.unwrap_or_default(), client.id))
                .collect()
        }
    }

    /// Lets the clock run `seconds` (paused clock: no real waiting) and the sweep act on it.
    async fn after(seconds: u64) {
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        tokio::task::yield_now().await;
    }

    // The sweep ticks every 5 s from the start (0, 5, 10, ...); the waits below end between
    // ticks, so which of the two timers fires first at one instant never matters.

    #[tokio::test(start_paused = true)]
    async fn over_the_rate_an_app_is_refused_but_its_stop_is_not() {
        let s = setup();
        let limit = s.shared.config.limits.max_messages_per_second;
        let vibrate = r#"{"command":"Function","action":"Vibrate:10","timeSec":0,"apiVer":1}"#;
        for _ in 0..limit {
            assert_eq!(s.call("Game", vibrate).await["code"], 200);
        }
        let refused = s.call("Game", vibrate).await;
        assert_ne!(refused["code"], 200, "over the rate: {refused}");
        assert!(refused["message"].as_str().unwrap_or_default().contains("times a second"), "{refused}");
        let level = || s.shared.devices.output_level(0, 0, OutputType::Vibrate);
        assert_eq!(level(), Some(10), "the accepted level runs");
        for stop in [
            r#"{"command":"Function","action":"Stop","timeSec":0,"apiVer":1}"#,
            r#"{"command":"Function","action":"Vibrate:0","timeSec":0,"apiVer":1}"#,
        ] {
            assert_eq!(s.call("Game", vibrate).await["code"], refused["code"], "still over the rate");
            assert_eq!(s.call("Game", stop).await["code"], 200, "{stop} is let through");
            assert_eq!(level(), Some(0));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_app_is_listed_until_a_minute_after_its_last_call() {
        let s = setup();
        assert_eq!(s.call("Game", r#"{"command":"GetToys"}"#).await["code"], 200);
        let id = s.listed()[0].1;
        assert_eq!(s.listed(), [("Game".to_owned(), id)]);
        after(41).await;
        // A call at 41 s starts the minute again.
        s.call("Game", r#"{"command":"GetToyName"}"#).await;
        after(58).await; // 99 s: 58 s since the last call
        assert_eq!(s.listed(), [("Game".to_owned(), id)], "listed within the minute");
        after(8).await; // 107 s: the tick at 105 s saw 64 s since the last call
        assert_eq!(s.listed(), [], "off the list a minute after its last call");
        assert_eq!(s.shared.clients.get(id), None);

        // Calling again lists it again as the same client, so that it still owns what it started.
        s.call("Game", r#"{"command":"GetToys"}"#).await;
        assert_eq!(s.listed(), [("Game".to_owned(), id)]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_app_that_runs_something_stays_listed_and_leaves_a_minute_after_it_stops() {
        let s = setup();
        let answer = s.call("Runner", r#"{"command":"Function","action":"Vibrate:10","timeSec":0}"#).await;
        assert_eq!(answer["code"], 200, "{answer}");
        let id = s.listed()[0].1;
        after(301).await;
        assert_eq!(s.listed(), [("Runner".to_owned(), id)], "listed while its program runs, five minutes on");
        assert_eq!(s.shared.devices.output_level(0, 0, OutputType::Vibrate), Some(10));

        s.call("Runner", r#"{"command":"Function","action":"Stop"}"#).await; // at 301 s
        after(58).await; // 359 s
        assert_eq!(s.listed(), [("Runner".to_owned(), id)], "listed for a minute after the Stop call");
        after(8).await; // 367 s: the tick at 365 s saw 64 s since the Stop
        assert_eq!(s.listed(), []);
        assert_eq!(s.shared.devices.output_level(0, 0, OutputType::Vibrate), Some(0));
    }

    #[tokio::test(start_paused = true)]
    async fn an_app_whose_level_another_client_took_over_leaves_a_minute_after_its_last_call() {
        let s = setup();
        s.call("Overtaken", r#"{"command":"Function","action":"Vibrate:10"}"#).await;
        after(41).await;
        let game = FeatureCommand {
            feature_index: 0,
            command: OutputCommand { kind: OutputType::Vibrate, value: 5, duration_ms: None },
        };
        s.shared.devices.command(999, 0, &[game]).unwrap();
        after(18).await; // 59 s
        assert_eq!(s.listed().len(), 1, "listed within the minute after its call");
        after(8).await; // 67 s: the tick at 65 s saw it run nothing and call nothing for 65 s
        assert_eq!(s.listed(), []);
        assert_eq!(s.shared.devices.output_level(0, 0, OutputType::Vibrate), Some(5), "the other client's level");
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_program_keeps_its_app_listed_until_it_ends_and_a_minute_after_the_call() {
        let s = setup();
        // 90 s of vibration, called at 0 s: listed while it runs (past the minute since the
        // call), and off at the first tick after 90 s.
        s.call("Timed", r#"{"command":"Function","action":"Vibrate:4","timeSec":90}"#).await;
        after(86).await;
        assert_eq!(s.listed().len(), 1, "the program still runs at 86 s");
        after(10).await; // 96 s: the program ended at 90 s; the tick at 90 or 95 s took it off
        assert_eq!(s.listed(), []);
        assert_eq!(s.shared.devices.output_level(0, 0, OutputType::Vibrate), Some(0), "timeSec ended it");
    }
}
