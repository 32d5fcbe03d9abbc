//! The app's state: the engine (when running), the settings, the log buffer. Every command
//! goes through here, and reaches the engine through its handle only. After every change the
//! state raises [`AppState::changed`]; whoever publishes snapshots listens to it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plugboard_server::{
    files, gate::normalize as normalize_origin, ApprovedPeer, ClientKind, DeviceOptions, Engine, EngineConfig,
    EngineEvent, EngineEvents, InputType, LocalClient, LovenseApiOptions, OutputType, Range, Reading, SerialPort,
    UserDeviceConfig, VirtualDeviceSpec, VirtualKind, WebPages,
};
use tokio::sync::{broadcast, Notify};

use crate::error::{Error, Result};
use crate::logs::LogBuffer;
use crate::models::*;
use crate::settings;
use crate::snapshot::{build_snapshot, RunningInfo, SnapshotInput, TrayStatus};
use crate::start_error::describe_start_error;

/// Serial ports are listed at most this often.
const PORTS_TTL: Duration = Duration::from_secs(2);

/// The name the window's controls go by as a client (its kind is "this window").
pub const WINDOW_CLIENT_NAME: &str = "Plugboard window";

pub struct AppState {
    engine: tokio::sync::Mutex<Option<Engine>>,
    /// The running server's mDNS announcement, when the user turned it on (dropping it
    /// withdraws the announcement).
    mdns: Mutex<Option<plugboard_server::mdns::MdnsAdvertisement>>,
    /// The window's per-output controls, a client of the running engine from their first use
    /// until the window is hidden or the server stops (dropping it stops what it runs).
    window_client: Mutex<Option<Arc<LocalClient>>>,
    settings: Mutex<Settings>,
    /// Plugboard's config dir; `None` when the OS has none (settings then live in memory).
    config_dir: Option<PathBuf>,
    settings_message: Mutex<Option<String>>,
    /// What came of registering the global STOP shortcut.
    shortcut: Mutex<ShortcutView>,
    server_error: Mutex<Option<ServerError>>,
    tray: Mutex<TrayStatus>,
    ports_cache: Mutex<Option<(Instant, Vec<SerialPort>)>>,
    shut_down: AtomicBool,
    /// Which client addresses are this machine (loopback; tests replace it).
    is_local: fn(std::net::IpAddr) -> bool,
    /// How long a waiting client waits for the user's answer.
    approval_timeout: Duration,
    /// Handed the events of each engine as it starts (desktop notifications listen here).
    engine_watchers: Mutex<Vec<EngineWatcher>>,
    pub logs: Arc<LogBuffer>,
    /// Raised after every change; the publisher turns it into a coalesced "snapshot" event.
    pub changed: Arc<Notify>,
}

/// Something that follows each engine's events from its start (see [`AppState::on_engine_start`]).
type EngineWatcher = Box<dyn Fn(EngineEvents) + Send + Sync>;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    /// Loads the settings from `config_dir` (a corrupt file is moved aside and reported).
    pub fn new(config_dir: Option<PathBuf>, logs: Arc<LogBuffer>) -> AppState {
        let loaded = match &config_dir {
            Some(dir) => settings::load(&dir.join(settings::FILE_NAME)),
            None => settings::Loaded {
                settings: Settings::default(),
                message: Some("The OS has no config directory: settings will not be saved.".into()),
            },
        };
        AppState {
            engine: tokio::sync::Mutex::new(None),
            mdns: Mutex::new(None),
            window_client: Mutex::new(None),
            settings: Mutex::new(loaded.settings),
            config_dir,
            settings_message: Mutex::new(loaded.message),
            shortcut: Mutex::new(ShortcutView::default()),
            server_error: Mutex::new(None),
            tray: Mutex::new(TrayStatus::default()),
            ports_cache: Mutex::new(None),
            shut_down: AtomicBool::new(false),
            is_local: plugboard_server::is_loopback,
            approval_timeout: plugboard_server::DEFAULT_APPROVAL_TIMEOUT,
            engine_watchers: Mutex::new(Vec::new()),
            logs,
            changed: Arc::new(Notify::new()),
        }
    }

    /// For tests: which client addresses count as this machine (the others need approval).
    pub fn with_locality(mut self, is_local: fn(std::net::IpAddr) -> bool) -> AppState {
        self.is_local = is_local;
        self
    }

    /// How long a waiting client waits for the user's answer (60 s unless changed, by tests
    /// or by `PLUGBOARD_APPROVAL_TIMEOUT`).
    pub fn with_approval_timeout(mut self, timeout: Duration) -> AppState {
        self.approval_timeout = timeout;
        self
    }

    /// Hands `watcher` the events of every engine started from now on, as it starts.
    pub fn on_engine_start(&self, watcher: impl Fn(EngineEvents) + Send + Sync + 'static) {
        lock(&self.engine_watchers).push(Box::new(watcher));
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub fn set_tray(&self, status: TrayStatus) {
        *lock(&self.tray) = status;
        self.changed.notify_one();
    }

    pub fn tray(&self) -> TrayStatus {
        lock(&self.tray).clone()
    }

    fn serial_ports(&self) -> Vec<SerialPort> {
        let mut cache = lock(&self.ports_cache);
        if let Some((at, ports)) = cache.as_ref() {
            if at.elapsed() < PORTS_TTL {
                return ports.clone();
            }
        }
        let ports = plugboard_server::list_serial_ports();
        *cache = Some((Instant::now(), ports.clone()));
        ports
    }

    /// Everything the front end shows.
    pub async fn snapshot(&self) -> Snapshot {
        let engine = self.engine.lock().await;
        let running = engine.as_ref().map(|engine| RunningInfo {
            url: engine.url(),
            port: engine.port(),
            clients: engine.clients(),
            devices: engine.devices(),
            statuses: engine.hardware_statuses().into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            scanning: engine.is_scanning(),
            device_websocket_port: engine.device_websocket_address().map(|a| a.port()),
            lovense_api_url: engine.lovense_api_url(),
            rest_api_url: engine.rest_api_url(),
            mdns_name: lock(&self.mdns).as_ref().map(|announced| announced.instance_name().to_owned()),
            web_pages_asking: engine.web_pages_asking(),
        });
        let user_config = match engine.as_ref() {
            Some(engine) => engine.user_device_config(),
            None => UserDeviceConfig::load(&self.device_options(&self.settings())),
        };
        drop(engine);
        build_snapshot(SnapshotInput {
            settings: self.settings(),
            running,
            user_config,
            serial_ports: self.serial_ports(),
            server_error: lock(&self.server_error).clone(),
            tray: self.tray(),
            settings_message: lock(&self.settings_message).clone(),
            shortcut: lock(&self.shortcut).clone(),
        })
    }

    /// (running, number of clients), for the tray.
    pub async fn summary(&self) -> (bool, usize) {
        match self.engine.lock().await.as_ref() {
            Some(engine) => (true, engine.clients().len()),
            None => (false, 0),
        }
    }

    /// Where devices come from, by the settings; the user device config is kept next to the
    /// window's settings.
    fn device_options(&self, s: &Settings) -> DeviceOptions {
        DeviceOptions {
            use_bluetooth_le: s.use_bluetooth_le,
            use_serial: s.use_serial,
            use_device_websocket_server: s.use_device_websocket_server,
            device_websocket_port: s.device_websocket_port,
            own_user_config_path: self.config_dir.as_ref().map(|dir| dir.join("user-device-config.json")),
            downloaded_database_path: self.downloaded_database_path(),
            ..DeviceOptions::default()
        }
    }

    /// Where "Check for device updates" keeps the database it downloads: next to the settings.
    fn downloaded_database_path(&self) -> Option<PathBuf> {
        self.config_dir.as_ref().map(|dir| dir.join(plugboard_server::DOWNLOADED_DATABASE_FILE_NAME))
    }

    /// "Check for device updates": downloads the device database from the address in the
    /// settings, checks it and keeps it (see `plugboard_server::database_update`). The server
    /// uses it from its next start; a server that runs keeps the database it started with,
    /// so that no connected device changes under a game.
    pub async fn check_device_updates(&self) -> Result<DeviceDatabaseUpdate> {
        use plugboard_server::database_update::{update_device_database, Limits, DEFAULT_DEVICE_DATABASE_URL};
        let path = self.downloaded_database_path().ok_or_else(|| {
            Error::new("The OS has no config directory, so a downloaded device database could not be kept.")
        })?;
        let configured = self.settings().device_database_url;
        let url = match configured.trim() {
            "" => DEFAULT_DEVICE_DATABASE_URL,
            url => url,
        };
        let report =
            update_device_database(url, &path, Limits::default()).await.map_err(|e| Error::new(e.to_string()))?;
        let when = if self.engine.lock().await.is_some() {
            "Stop and start the server to use it."
        } else {
            "The server uses it when it starts."
        };
        Ok(DeviceDatabaseUpdate {
            models_added: u32::try_from(report.models_added.len()).unwrap_or(u32::MAX),
            message: format!("{} {when}", report.summary()),
        })
    }

    pub fn engine_config(&self) -> EngineConfig {
        let s = self.settings();
        let mut config =
            if s.all_interfaces { EngineConfig::all_interfaces(s.port) } else { EngineConfig::loopback(s.port) };
        config.server_name = s.server_name.clone();
        config.max_ping_time_ms = s.max_ping_time_ms;
        config.devices = self.device_options(&s);
        // A web page the user has not allowed waits for their answer, as a client from
        // another machine does (see plugboard_server::gate).
        config.web_pages = WebPages {
            ask: true,
            websocket_open_to_all: s.allow_any_web_page,
            approved: s.remembered_web_pages.clone(),
        };
        // Listening on all interfaces is the user's explicit choice; each new client from
        // another machine is still theirs to allow, unless they said "allow all".
        config.remote_clients.ask = s.all_interfaces && !s.allow_all_remote_clients;
        config.remote_clients.approved = approved_peers(&s.approved_clients);
        config.remote_clients.is_local = self.is_local;
        config.lovense_api = LovenseApiOptions {
            enabled: s.lovense_api,
            port: s.lovense_api_port,
            https_port: (s.lovense_api_https_port != 0).then_some(s.lovense_api_https_port),
            certificate_dir: self.config_dir.clone(),
        };
        config.rest_api_port = s.rest_api.then_some(s.rest_api_port);
        config.remote_clients.timeout = self.approval_timeout;
        config.device_access = s
            .client_device_access
            .iter()
            .map(|(name, devices)| (name.clone(), devices.iter().cloned().collect()))
            .collect();
        config
    }

    /// Starts the server with the saved settings (nothing happens if it runs already).
    pub async fn start_server(&self) -> Result<Snapshot> {
        {
            let mut engine = self.engine.lock().await;
            if engine.is_none() {
                let config = self.engine_config();
                match Engine::start(config).await {
                    Ok(started) => {
                        tracing::info!(url = %started.url(), "server started");
                        notify_on_engine_events(&started, self.changed.clone());
                        if self.settings().mdns {
                            *lock(&self.mdns) = announce(&started);
                        }
                        for watcher in lock(&self.engine_watchers).iter() {
                            watcher(started.events());
                        }
                        *engine = Some(started);
                        *lock(&self.server_error) = None;
                    }
                    Err(error) => {
                        let server_error = describe_start_error(&error);
                        tracing::warn!("{}", server_error.message);
                        let message = server_error.message.clone();
                        *lock(&self.server_error) = Some(server_error);
                        drop(engine);
                        self.changed.notify_one();
                        return Err(Error::new(message));
                    }
                }
            }
        }
        self.changed.notify_one();
        Ok(self.snapshot().await)
    }

    /// Stops every output, closes every connection and stops listening.
    pub async fn stop_server(&self) -> Snapshot {
        let engine = self.engine.lock().await.take();
        let announcement = lock(&self.mdns).take();
        drop(announcement);
        self.release_window_client();
        if let Some(engine) = engine {
            engine.stop_all().await;
            engine.stop().await;
            tracing::info!("server stopped");
        }
        *lock(&self.server_error) = None;
        self.changed.notify_one();
        self.snapshot().await
    }

    /// Keeps what came of registering the STOP shortcut, for the window.
    pub fn set_shortcut(&self, view: ShortcutView) {
        *lock(&self.shortcut) = view;
        self.changed.notify_one();
    }

    /// Makes the launch-at-login setting say what the OS entry says (see [`crate::autostart`]),
    /// saving the settings if that changed them.
    pub fn reflect_launch_at_login(&self, on: bool) {
        let mut settings = lock(&self.settings);
        if settings.launch_at_login == on {
            return;
        }
        settings.launch_at_login = on;
        if let Some(dir) = &self.config_dir {
            if let Err(error) = settings::save(&dir.join(settings::FILE_NAME), &settings) {
                tracing::warn!("{error}");
            }
        }
    }

    /// Saves the settings (they apply at the next start of the server). The remembered
    /// approvals, remembered web pages and the device access rules have commands of their own and are kept as they are.
    pub async fn save_settings(&self, new: Settings) -> Result<Snapshot> {
        let mut new = settings::checked(new).map_err(Error::new)?;
        let current = self.settings();
        new.approved_clients = current.approved_clients;
        new.remembered_web_pages = current.remembered_web_pages;
        new.client_device_access = current.client_device_access;
        self.store_settings(new)?;
        Ok(self.snapshot().await)
    }

    /// Writes the settings to disk (when there is a config dir) and keeps them.
    fn store_settings(&self, new: Settings) -> Result<()> {
        if let Some(dir) = &self.config_dir {
            let message = settings::save(&dir.join(settings::FILE_NAME), &new).map_err(Error::new)?;
            *lock(&self.settings_message) = message;
        }
        *lock(&self.settings) = new;
        self.changed.notify_one();
        Ok(())
    }

    /// The user's answer to a client that waits for approval (from another machine, or a web
    /// page not yet allowed). With `remember` (allowing only), what held it is saved: its
    /// address and Origin, or its web page, and later clients like it come in without asking.
    pub async fn answer_client(&self, id: u64, allow: bool, remember: bool) -> Result<()> {
        let engine = self.engine.lock().await;
        let engine = engine.as_ref().ok_or_else(|| Error::not_running("answer a client"))?;
        let gone = || Error::new(format!("Client {id} is not waiting for an answer any more."));
        if !allow {
            return if engine.refuse_client(id) { Ok(()) } else { Err(gone()) };
        }
        let remembered = engine.allow_client(id, remember).ok_or_else(gone)?;
        let mut settings = self.settings();
        let mut changed = false;
        if let Some(peer) = remembered.peer {
            let approved = ApprovedClient { address: peer.address.to_string(), origin: peer.origin };
            if !settings.approved_clients.contains(&approved) {
                settings.approved_clients.push(approved);
                changed = true;
            }
        }
        if let Some(origin) = remembered.origin {
            if !settings.remembered_web_pages.contains(&origin) {
                settings.remembered_web_pages.push(origin);
                changed = true;
            }
        }
        if changed {
            self.store_settings(settings)?;
        }
        self.changed.notify_one();
        Ok(())
    }

    /// The user's answer about a web page that asked over HTTP (see
    /// [`Engine::answer_web_page`]). With `remember` (allowing only) it is saved with the web
    /// pages always allowed, as "Always allow" does for a websocket client's page.
    pub async fn answer_web_page(&self, origin: &str, allow: bool, remember: bool) -> Result<()> {
        let engine = self.engine.lock().await;
        let engine = engine.as_ref().ok_or_else(|| Error::not_running("answer a web page"))?;
        if !engine.web_pages_asking().contains(&normalize_origin(origin)) {
            return Err(Error::new(format!("The web page {origin} is not waiting for an answer any more.")));
        }
        if let Some(origin) = engine.answer_web_page(origin, allow, remember) {
            let mut settings = self.settings();
            if !settings.remembered_web_pages.contains(&origin) {
                settings.remembered_web_pages.push(origin);
                self.store_settings(settings)?;
            }
        }
        self.changed.notify_one();
        Ok(())
    }

    /// Forgets a web page the user always allowed: its next connection waits for an answer.
    pub async fn forget_web_page(&self, origin: &str) -> Result<Snapshot> {
        let mut settings = self.settings();
        let before = settings.remembered_web_pages.len();
        let forgotten = normalize_origin(origin);
        settings.remembered_web_pages.retain(|page| normalize_origin(page) != forgotten);
        if settings.remembered_web_pages.len() == before {
            return Err(Error::new(format!("The web page {origin} is not among the ones you always allow.")));
        }
        let pages = settings.remembered_web_pages.clone();
        self.store_settings(settings)?;
        if let Some(engine) = self.engine.lock().await.as_ref() {
            engine.set_approved_origins(pages);
        }
        Ok(self.snapshot().await)
    }

    /// Forgets a remembered approval: clients from there must be allowed again.
    pub async fn forget_approved_client(&self, address: &str, origin: Option<String>) -> Result<Snapshot> {
        let mut settings = self.settings();
        let before = settings.approved_clients.len();
        settings.approved_clients.retain(|c| !(c.address == address && c.origin == origin));
        if settings.approved_clients.len() == before {
            return Err(Error::new(format!("No approval for {address} is remembered.")));
        }
        let peers = approved_peers(&settings.approved_clients);
        self.store_settings(settings)?;
        if let Some(engine) = self.engine.lock().await.as_ref() {
            engine.set_approved_peers(peers);
        }
        Ok(self.snapshot().await)
    }

    /// Limits clients named `name` to the devices at `devices` (addresses); `None` lifts the
    /// limit. Saved, and applied at once to connected clients.
    pub async fn set_client_device_access(&self, name: &str, devices: Option<Vec<String>>) -> Result<Snapshot> {
        if name.trim().is_empty() {
            return Err(Error::new("Name the client whose devices to choose."));
        }
        let mut settings = self.settings();
        match &devices {
            Some(devices) => settings.client_device_access.insert(name.to_owned(), devices.clone()),
            None => settings.client_device_access.remove(name),
        };
        self.store_settings(settings)?;
        if let Some(engine) = self.engine.lock().await.as_ref() {
            engine.set_device_access(name, devices.map(|devices| devices.into_iter().collect()));
        }
        Ok(self.snapshot().await)
    }

    pub async fn stop_all(&self) {
        if let Some(engine) = self.engine.lock().await.as_ref() {
            engine.stop_all().await;
            tracing::info!("every device stopped (STOP ALL)");
        }
        self.changed.notify_one();
    }

    pub async fn disconnect_client(&self, id: u64) -> Result<()> {
        let engine = self.engine.lock().await;
        let engine = engine.as_ref().ok_or_else(|| Error::not_running("see clients"))?;
        if !engine.disconnect_client(id).await {
            return Err(Error::new(format!("No client {id} is connected.")));
        }
        Ok(())
    }

    pub async fn set_scanning(&self, on: bool) -> Result<()> {
        {
            let engine = self.engine.lock().await;
            let engine = engine.as_ref().ok_or_else(|| Error::not_running("scan for devices"))?;
            if on {
                engine.start_scanning().await;
            } else {
                engine.stop_scanning().await;
            }
        }
        self.changed.notify_one();
        Ok(())
    }

    pub async fn add_virtual_device(&self, kind: &str, name: Option<String>) -> Result<u32> {
        let kind: VirtualKind = kind.parse().map_err(|e: String| Error::new(sentence(&e)))?;
        let spec = match name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) {
            Some(name) => VirtualDeviceSpec::named(kind, name),
            None => VirtualDeviceSpec::new(kind),
        };
        let engine = self.engine.lock().await;
        let engine = engine.as_ref().ok_or_else(|| Error::not_running("add a virtual device"))?;
        Ok(engine.add_virtual_device(spec).await)
    }

    pub async fn remove_virtual_device(&self, index: u32) -> Result<()> {
        let engine = self.engine.lock().await;
        let engine = engine.as_ref().ok_or_else(|| Error::not_running("remove a virtual device"))?;
        if !engine.is_virtual_device(index) {
            return Err(Error::new(format!("Device {index} is not a virtual device.")));
        }
        engine.remove_device(index).await;
        Ok(())
    }

    /// Allows or denies the device at `address`.
    pub async fn set_device_access(&self, address: &str, allow: bool, deny: bool) -> Result<()> {
        self.with_engine("allow or deny devices", |engine| {
            engine.allow_or_deny_device(address, allow, deny);
            Ok(())
        })
        .await
    }

    /// Names the device at `address` (`None` or blank: its model name again).
    pub async fn rename_device(&self, address: &str, display_name: Option<String>) -> Result<()> {
        self.with_engine("rename devices", |engine| {
            engine.rename_device(address, display_name);
            Ok(())
        })
        .await
    }

    /// Limits one output of the device at `address` (`kind` as the window names it, such as
    /// "Vibrate"), or turns it off.
    pub async fn set_output_limit(
        &self,
        address: &str,
        feature_index: u32,
        kind: &str,
        limit: Option<[i32; 2]>,
        disabled: bool,
    ) -> Result<()> {
        let kind = output_type(kind)?;
        let limit = limit.map(|[min, max]| Range::new(min, max));
        self.with_engine("limit outputs", |engine| {
            Ok(engine.set_output_limit(address, feature_index, kind, limit, disabled)?)
        })
        .await
    }

    /// Forgets the user's settings for the device at `address`.
    pub async fn forget_device(&self, address: &str) -> Result<()> {
        self.with_engine("forget devices", |engine| {
            engine.forget_device(address);
            Ok(())
        })
        .await
    }

    /// Runs `change` on the running engine (device settings need one: it holds the user
    /// device config; tests drive it as an HTTP surface would).
    pub(crate) async fn with_engine<T>(&self, action: &str, change: impl FnOnce(&Engine) -> Result<T>) -> Result<T> {
        let engine = self.engine.lock().await;
        let engine = engine.as_ref().ok_or_else(|| Error::not_running(action))?;
        change(engine)
    }

    pub fn get_logs(&self) -> Vec<LogLine> {
        self.logs.lines()
    }

    /// Writes the log buffer to `path`; returns how many lines it wrote.
    pub fn export_logs(&self, path: &std::path::Path) -> Result<usize> {
        let (text, lines) = self.logs.export_text();
        files::write_atomic(path, text.as_bytes()).map_err(|e| {
            Error::new(format!(
                "The logs could not be written to {}: {e}. Choose a folder you can write to and export again.",
                path.display()
            ))
        })?;
        Ok(lines)
    }

    /// Sets one output from the window's controls: `kind` as the window names it, `value` in
    /// the steps the device advertises, `duration_ms` for a position reached in a given time.
    /// The window is a client of the engine (see [`WINDOW_CLIENT_NAME`]): its commands take the
    /// engine's command path, under the same rules as a game's.
    pub async fn set_output(
        &self,
        index: u32,
        feature_index: u32,
        kind: &str,
        value: i32,
        duration_ms: Option<u32>,
    ) -> Result<()> {
        let kind = output_type(kind)?;
        let window = self.window_client("drive devices from the window").await?;
        window.set_output(index, feature_index, kind, value, duration_ms).map_err(|e| Error::new(e.text()))?;
        Ok(())
    }

    /// Reads one input of a device (`kind` as the window names it, such as "Battery").
    pub async fn read_input(&self, index: u32, feature_index: u32, kind: &str) -> Result<InputReading> {
        let kind = input_type(kind)?;
        let window = self.window_client("read devices").await?;
        let reading = window.read(index, feature_index, kind).await.map_err(|e| Error::new(e.text()))?;
        self.changed.notify_one();
        Ok(input_reading(reading))
    }

    /// The window's client of the running engine, registered on first use.
    async fn window_client(&self, action: &str) -> Result<Arc<LocalClient>> {
        let engine = self.engine.lock().await;
        let engine = engine.as_ref().ok_or_else(|| Error::not_running(action))?;
        let mut window = lock(&self.window_client);
        let client =
            window.get_or_insert_with(|| Arc::new(engine.local_client(ClientKind::Window, WINDOW_CLIENT_NAME)));
        Ok(client.clone())
    }

    /// The window was hidden: what its controls run stops, and it leaves the list of clients.
    pub fn release_window_client(&self) {
        let released = lock(&self.window_client).take();
        if released.is_some() {
            tracing::info!("the window was hidden or the server stopped: what the window ran is stopped");
            self.changed.notify_one();
        }
    }

    /// Before quitting: stop every device, then the server. Runs once.
    pub async fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
        self.release_window_client();
        let engine = self.engine.lock().await.take();
        if let Some(engine) = engine {
            engine.stop_all().await;
            engine.stop().await;
        }
        tracing::info!("every device stopped; quitting");
    }

    pub fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::SeqCst)
    }
}

/// Raises `changed` after each event of this engine, until it stops.
fn notify_on_engine_events(engine: &Engine, changed: Arc<Notify>) {
    let mut events = engine.events();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(EngineEvent::Stopped) | Err(broadcast::error::RecvError::Closed) => {
                    changed.notify_one();
                    return;
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => changed.notify_one(),
            }
        }
    });
}

/// Announces the server that just started over mDNS (the "Announce the server on my network"
/// setting). A server on this machine only has nothing to announce, and a responder that
/// cannot start leaves the server running unannounced: the log says why, and the window shows
/// no announced name.
fn announce(engine: &Engine) -> Option<plugboard_server::mdns::MdnsAdvertisement> {
    match plugboard_server::mdns::advertise(engine.local_addresses(), None) {
        Ok(announced) => {
            tracing::info!(name = announced.instance_name(), "server announced on the local network (mDNS)");
            Some(announced)
        }
        Err(error) => {
            tracing::warn!("{error}");
            None
        }
    }
}

/// The remembered approvals the engine understands (entries with an address that is not an
/// IP address, edited by hand, are skipped).
fn approved_peers(approved: &[ApprovedClient]) -> Vec<ApprovedPeer> {
    approved.iter().filter_map(|c| Some(ApprovedPeer::new(c.address.parse().ok()?, c.origin.clone()))).collect()
}

/// An output type as the front end names it ("Vibrate", the v4 spelling).
fn output_type(name: &str) -> Result<OutputType> {
    use OutputType::*;
    [Vibrate, Rotate, Oscillate, Constrict, Inflate, Temperature, Led, Spray, Position, HwPositionWithDuration]
        .into_iter()
        .find(|kind| kind.v4_name() == name)
        .ok_or_else(|| Error::new(format!("'{name}' is not an output type.")))
}

/// An input type as the front end names it ("Battery", the v4 spelling).
fn input_type(name: &str) -> Result<InputType> {
    use InputType::*;
    [Battery, Rssi, Button, Pressure, Depth, Position]
        .into_iter()
        .find(|&kind| crate::snapshot::input_type_name(kind) == name)
        .ok_or_else(|| Error::new(format!("'{name}' is not an input type.")))
}

/// A reading with its unit.
fn input_reading(reading: Reading) -> InputReading {
    let value = reading.as_data();
    let text = match reading {
        Reading::Battery(percent) => format!("{percent} %"),
        Reading::Rssi(dbm) => format!("{dbm} dBm"),
        Reading::Button(1) => "pressed".to_owned(),
        Reading::Button(_) => "released".to_owned(),
        Reading::Pressure(value) => value.to_string(),
    };
    InputReading { value, text }
}

fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_capitalised_and_end_with_a_period() {
        assert_eq!(sentence("unknown kind 'x'"), "Unknown kind 'x'.");
    }

    #[test]
    fn input_types_and_readings_are_named_for_the_window() {
        assert_eq!(input_type("Battery"), Ok(InputType::Battery));
        assert_eq!(input_type("Rssi"), Ok(InputType::Rssi));
        assert_eq!(input_type("rssi"), Err(Error::new("'rssi' is not an input type.")));
        assert_eq!(input_reading(Reading::Battery(64)), InputReading { value: 64, text: "64 %".into() });
        assert_eq!(input_reading(Reading::Rssi(-52)), InputReading { value: -52, text: "-52 dBm".into() });
    }

    #[tokio::test]
    async fn the_rest_api_runs_only_when_the_setting_is_on() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(Some(dir.path().to_owned()), Arc::new(LogBuffer::default()));
        assert_eq!(state.engine_config().rest_api_port, None, "off by default");
        let on = Settings { rest_api: true, rest_api_port: 4321, ..state.settings() };
        state.save_settings(on).await.unwrap();
        assert_eq!(state.engine_config().rest_api_port, Some(4321));
    }

    #[test]
    fn output_types_are_read_by_their_v4_names() {
        assert_eq!(output_type("Vibrate"), Ok(OutputType::Vibrate));
        assert_eq!(output_type("HwPositionWithDuration"), Ok(OutputType::HwPositionWithDuration));
        assert_eq!(output_type("vibrate"), Err(Error::new("'vibrate' is not an output type.")));
    }
}
