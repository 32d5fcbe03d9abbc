//! The app's state: the engine (when running), the settings, the log buffer. Every command
//! goes through here; snapshot building is pure ([`build_snapshot`]) and unit-tested.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plugboard_devices::config::store;
use plugboard_devices::config::user::UserConfig;
use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_server::{
    Approval, ApprovedPeer, ClientSnapshot, DeviceSnapshot, Engine, EngineConfig, HardwareStatus, StartError,
};
use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::events::LogBuffer;
use crate::models::*;
use crate::{ports, settings};

/// The client id the engine scans under for front ends (`plugboard_server`'s FRONT_END).
const FRONT_END: plugboard_server::ClientId = 0;
/// Serial ports are listed at most this often.
const PORTS_TTL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrayStatus {
    pub available: bool,
    pub message: Option<String>,
}

/// The serial ports listed last, and when: (path, description) pairs.
type PortsSeen = (Instant, Vec<(String, String)>);

pub struct AppState {
    engine: tokio::sync::Mutex<Option<Engine>>,
    settings: Mutex<Settings>,
    /// Plugboard's config dir; `None` when the OS has none (settings then live in memory).
    config_dir: Option<PathBuf>,
    settings_message: Mutex<Option<String>>,
    server_error: Mutex<Option<ServerError>>,
    tray: Mutex<TrayStatus>,
    ports_cache: Mutex<Option<PortsSeen>>,
    shut_down: AtomicBool,
    /// Which client addresses are this machine (loopback; tests replace it).
    is_local: fn(std::net::IpAddr) -> bool,
    pub logs: Arc<LogBuffer>,
    /// Raised after every change; the publisher turns it into a coalesced "snapshot" event.
    pub changed: Arc<Notify>,
}

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
            settings: Mutex::new(loaded.settings),
            config_dir,
            settings_message: Mutex::new(loaded.message),
            server_error: Mutex::new(None),
            tray: Mutex::new(TrayStatus::default()),
            ports_cache: Mutex::new(None),
            shut_down: AtomicBool::new(false),
            is_local: plugboard_server::is_loopback,
            logs,
            changed: Arc::new(Notify::new()),
        }
    }

    /// For tests: which client addresses count as this machine (the others need approval).
    pub fn with_locality(mut self, is_local: fn(std::net::IpAddr) -> bool) -> AppState {
        self.is_local = is_local;
        self
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

    fn user_config_path(&self) -> Option<PathBuf> {
        self.config_dir.as_ref().map(|dir| dir.join("user-device-config.json"))
    }

    fn serial_ports(&self) -> Vec<(String, String)> {
        let mut cache = lock(&self.ports_cache);
        if let Some((at, ports)) = cache.as_ref() {
            if at.elapsed() < PORTS_TTL {
                return ports.clone();
            }
        }
        let ports: Vec<(String, String)> = plugboard_devices::transport::serial::list_ports()
            .map(|ports| ports.into_iter().map(|p| (p.description(), p.path)).map(|(d, p)| (p, d)).collect())
            .unwrap_or_default();
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
            scanning: engine.device_manager().is_scanning(FRONT_END),
            device_websocket_port: engine.device_websocket_address().map(|a| a.port()),
        });
        let user_config = match engine.as_ref() {
            Some(engine) => engine.device_manager().user_config(),
            None => match self.user_config_path() {
                Some(path) => store::load_user_config_from(None, &path).map(|l| l.config).unwrap_or_default(),
                None => store::load_user_config(None, plugboard_server::default_user_config_path().as_deref())
                    .map(|l| l.config)
                    .unwrap_or_default(),
            },
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
        })
    }

    /// (running, number of clients), for the tray.
    pub async fn summary(&self) -> (bool, usize) {
        match self.engine.lock().await.as_ref() {
            Some(engine) => (true, engine.clients().len()),
            None => (false, 0),
        }
    }

    pub fn engine_config(&self) -> EngineConfig {
        let s = self.settings();
        let mut config =
            if s.all_interfaces { EngineConfig::all_interfaces(s.port) } else { EngineConfig::loopback(s.port) };
        config.server_name = s.server_name.clone();
        config.max_ping_time_ms = s.max_ping_time_ms;
        config.devices.use_bluetooth_le = s.use_bluetooth_le;
        config.devices.use_serial = s.use_serial;
        config.devices.use_device_websocket_server = s.use_device_websocket_server;
        config.devices.device_websocket_port = s.device_websocket_port;
        config.devices.own_user_config_path = self.user_config_path();
        config.allowed_origins = s.restrict_origins.then(|| s.allowed_origins.clone());
        // Listening on all interfaces is the user's explicit choice; each new client from
        // another machine is still theirs to allow, unless they said "allow all".
        config.remote_clients.ask = s.all_interfaces && !s.allow_all_remote_clients;
        config.remote_clients.approved = approved_peers(&s.approved_clients);
        config.remote_clients.is_local = self.is_local;
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
                        crate::events::forward_engine_events(&started, self.changed.clone());
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
        if let Some(engine) = engine {
            engine.stop_all().await;
            engine.stop().await;
            tracing::info!("server stopped");
        }
        *lock(&self.server_error) = None;
        self.changed.notify_one();
        self.snapshot().await
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
    /// approvals and the device access rules have commands of their own and are kept as they are.
    pub async fn save_settings(&self, mut new: Settings) -> Result<Snapshot> {
        if new.server_name.trim().is_empty() {
            return Err(Error::new("The server name cannot be empty."));
        }
        new.allowed_origins =
            new.allowed_origins.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
        if let Some(bad) = new.allowed_origins.iter().find(|o| !looks_like_origin(o)) {
            return Err(Error::new(format!(
                "'{bad}' is not an Origin: write it as the web page's scheme and host, like https://game.example or http://localhost:5173."
            )));
        }
        let current = self.settings();
        new.approved_clients = current.approved_clients;
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

    /// The user's answer to a client from another machine that waits for approval. With
    /// `remember` (allowing only), its address and Origin are saved, and later clients from
    /// there are let in without asking.
    pub async fn answer_client(&self, id: u64, allow: bool, remember: bool) -> Result<()> {
        let engine = self.engine.lock().await;
        let engine = engine.as_ref().ok_or_else(|| Error::not_running("answer a client"))?;
        let gone = || Error::new(format!("Client {id} is not waiting for an answer any more."));
        if !allow {
            return if engine.refuse_client(id) { Ok(()) } else { Err(gone()) };
        }
        let peer = engine.allow_client(id, remember).ok_or_else(gone)?;
        if remember {
            let mut settings = self.settings();
            let approved = ApprovedClient { address: peer.address.to_string(), origin: peer.origin };
            if !settings.approved_clients.contains(&approved) {
                settings.approved_clients.push(approved);
                self.store_settings(settings)?;
            }
        }
        self.changed.notify_one();
        Ok(())
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
        if engine.device_manager().virtual_hardware(index).is_none() {
            return Err(Error::new(format!("Device {index} is not a virtual device.")));
        }
        engine.remove_device(index).await;
        Ok(())
    }

    /// Runs `change` on the running engine's devices (device settings need a running engine,
    /// which holds the user device config).
    pub async fn with_devices<T>(
        &self,
        action: &str,
        change: impl FnOnce(&std::sync::Arc<plugboard_devices::DeviceManager>) -> Result<T>,
    ) -> Result<T> {
        let engine = self.engine.lock().await;
        let engine = engine.as_ref().ok_or_else(|| Error::not_running(action))?;
        change(engine.device_manager())
    }

    pub fn get_logs(&self) -> Vec<LogLine> {
        self.logs.lines()
    }

    pub fn export_logs(&self, path: &str) -> Result<()> {
        if path.trim().is_empty() {
            return Err(Error::new("Choose a file to export the logs to."));
        }
        store::write_atomic(std::path::Path::new(path), self.logs.export_text().as_bytes())
            .map_err(|e| Error::new(format!("The logs could not be written to {path}: {e}.")))
    }

    /// Before quitting: stop every device, then the server. Runs once.
    pub async fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
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

/// The remembered approvals the engine understands (entries with an address that is not an
/// IP address, edited by hand, are skipped).
fn approved_peers(approved: &[ApprovedClient]) -> Vec<ApprovedPeer> {
    approved.iter().filter_map(|c| Some(ApprovedPeer::new(c.address.parse().ok()?, c.origin.clone()))).collect()
}

/// `scheme://host[:port]`, or `null` (what sandboxed pages and files send).
fn looks_like_origin(text: &str) -> bool {
    if text == "null" {
        return true;
    }
    match text.split_once("://") {
        Some((scheme, host)) => {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !host.trim_end_matches('/').is_empty()
                && !host.trim_end_matches('/').contains(['/', ' ', '?', '#'])
        }
        None => false,
    }
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

/// A start error for the user: for a port in use, who holds it and which port is free.
pub fn describe_start_error(error: &StartError) -> ServerError {
    match error {
        StartError::PortInUse { port, suggestion, .. } => {
            let held_by = ports::holder(*port);
            let next_free_port = ports::next_free(*port).or(Some(*suggestion));
            let by = held_by.as_ref().map(|h| format!(" by {h}")).unwrap_or_default();
            let hint = next_free_port.map(|p| format!(", or use port {p}")).unwrap_or_default();
            ServerError {
                kind: ServerErrorKind::PortInUse,
                message: format!(
                    "Port {port} is already in use{by}, probably by another Buttplug server such as Intiface or a second Plugboard. Stop that program{hint}."
                ),
                port: Some(*port),
                held_by,
                next_free_port,
            }
        }
        other => ServerError {
            kind: ServerErrorKind::Other,
            message: other.to_string(),
            port: None,
            held_by: None,
            next_free_port: None,
        },
    }
}

/// What the running engine reports.
#[derive(Debug, Clone, Default)]
pub struct RunningInfo {
    pub url: String,
    pub port: u16,
    pub clients: Vec<ClientSnapshot>,
    pub devices: Vec<DeviceSnapshot>,
    pub statuses: BTreeMap<String, HardwareStatus>,
    pub scanning: bool,
    pub device_websocket_port: Option<u16>,
}

pub struct SnapshotInput {
    pub settings: Settings,
    pub running: Option<RunningInfo>,
    pub user_config: UserConfig,
    /// (path, description)
    pub serial_ports: Vec<(String, String)>,
    pub server_error: Option<ServerError>,
    pub tray: TrayStatus,
    pub settings_message: Option<String>,
}

fn client_view(client: &ClientSnapshot) -> ClientView {
    ClientView {
        id: client.id,
        name: client.name.clone(),
        spec_version: client.spec_version.map(|v| v.to_string()),
        address: client.peer.to_string(),
        origin: client.origin.clone(),
        connected_since: rfc3339(client.connected_since),
        messages_in: client.messages_in,
        messages_out: client.messages_out,
        last_error: client.last_error.clone(),
        awaiting_approval: client.approval == Approval::Pending,
    }
}

/// Pure: the snapshot from what the engine, the settings and the user config say.
pub fn build_snapshot(input: SnapshotInput) -> Snapshot {
    let SnapshotInput { settings, running, user_config, serial_ports, server_error, tray, settings_message } = input;
    let run = running.as_ref();

    let mut devices = Vec::new();
    let mut shown_addresses = BTreeSet::new();
    for device in run.map(|r| r.devices.as_slice()).unwrap_or_default() {
        let index = device.info.index;
        let address = device.address.clone();
        let user = user_config.devices.get(&address);
        let mut outputs = Vec::new();
        for feature in &device.info.features {
            for output in &feature.outputs {
                let value = device
                    .outputs
                    .iter()
                    .find(|o| o.feature_index == feature.index && o.kind == output.kind)
                    .map(|o| o.value)
                    .unwrap_or(0);
                let setting = user.and_then(|u| u.output(feature.index, output.kind));
                outputs.push(OutputView {
                    feature_index: feature.index,
                    kind: output.kind.v4_name().to_owned(),
                    value,
                    min: output.range.min,
                    max: output.range.max,
                    limit: setting.and_then(|s| s.limit).map(|r| [r.min, r.max]),
                    disabled: setting.is_some_and(|s| s.disabled),
                });
            }
        }
        shown_addresses.insert(address.clone());
        devices.push(DeviceView {
            index: Some(index),
            name: device.info.name.clone(),
            display_name: device.info.display_name.clone().or_else(|| user.and_then(|u| u.display_name.clone())),
            protocol: device.protocol.clone(),
            transport: device.transport.to_owned(),
            address,
            connected: true,
            battery: device.battery,
            allowed: user.is_some_and(|u| u.allow),
            denied: user.is_some_and(|u| u.deny),
            outputs,
        });
    }
    for (address, user) in &user_config.devices {
        if shown_addresses.contains(address) {
            continue;
        }
        devices.push(DeviceView {
            index: None,
            name: user.identifier.clone().unwrap_or_else(|| address.clone()),
            display_name: user.display_name.clone(),
            protocol: user.protocol.clone().unwrap_or_default(),
            // Not connected: the user config does not say how it was reached.
            transport: String::new(),
            address: address.clone(),
            connected: false,
            battery: None,
            allowed: user.allow,
            denied: user.deny,
            outputs: Vec::new(),
        });
    }

    let transports = [
        ("ble", settings.use_bluetooth_le),
        ("serial", settings.use_serial),
        ("websocket", settings.use_device_websocket_server),
    ]
    .into_iter()
    .map(|(name, enabled)| {
        let status = run.and_then(|r| r.statuses.get(name));
        let (ready, reason, remedy) = match (enabled, run, status) {
            (false, _, _) => (false, Some("Turned off in the settings.".to_owned()), None),
            (true, None, _) => (false, Some("The server is stopped.".to_owned()), Some("Start the server.".to_owned())),
            (true, Some(_), Some(HardwareStatus::Unavailable { reason, remedy })) => {
                (false, Some(reason.clone()), Some(remedy.clone()))
            }
            (true, Some(_), _) => (true, None, None),
        };
        TransportView { name: name.to_owned(), enabled, ready, reason, remedy }
    })
    .collect();

    let serial_ports = serial_ports
        .into_iter()
        .map(|(path, description)| SerialPortView {
            bound_protocol: user_config.serial_ports.iter().find(|b| b.port == path).map(|b| b.protocol.clone()),
            path,
            description,
        })
        .collect();

    Snapshot {
        server: ServerView {
            running: run.is_some(),
            url: run.map(|r| r.url.clone()),
            port: run.map(|r| r.port).unwrap_or(settings.port),
            server_name: settings.server_name.clone(),
            all_interfaces: settings.all_interfaces,
            max_ping_time_ms: settings.max_ping_time_ms,
            start_on_launch: settings.start_server_on_launch,
            error: server_error,
        },
        clients: run.map(|r| r.clients.iter().map(client_view).collect()).unwrap_or_default(),
        devices,
        hardware: HardwareView {
            transports,
            serial_ports,
            device_websocket: DeviceWebsocketView {
                enabled: settings.use_device_websocket_server,
                port: run.and_then(|r| r.device_websocket_port).unwrap_or(settings.device_websocket_port),
            },
            scanning: run.is_some_and(|r| r.scanning),
        },
        settings,
        tray_available: tray.available,
        tray_message: tray.message,
        settings_message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugboard_devices::config::user::UserDevice;
    use plugboard_server::OutputLevel;

    fn input() -> SnapshotInput {
        SnapshotInput {
            settings: Settings::default(),
            running: None,
            user_config: UserConfig::default(),
            serial_ports: vec![],
            server_error: None,
            tray: TrayStatus::default(),
            settings_message: None,
        }
    }

    #[test]
    fn stopped_server_shows_settings_and_known_devices() {
        let mut input = input();
        input.user_config.devices.insert(
            "AA:BB:CC:DD:EE:FF".into(),
            UserDevice {
                protocol: Some("lovense".into()),
                display_name: Some("Mine".into()),
                index: Some(3),
                allow: true,
                ..Default::default()
            },
        );
        input.serial_ports = vec![("/dev/ttyUSB0".into(), "USB 1a86:7523".into())];
        let snapshot = build_snapshot(input);
        assert!(!snapshot.server.running);
        assert_eq!(snapshot.server.url, None);
        assert_eq!(snapshot.server.port, 12345);
        assert_eq!(snapshot.devices.len(), 1);
        let device = &snapshot.devices[0];
        assert_eq!((device.index, device.connected, device.transport.as_str()), (None, false, ""));
        assert_eq!(device.display_name.as_deref(), Some("Mine"));
        assert!(device.allowed && !device.denied);
        assert_eq!(snapshot.hardware.serial_ports[0].bound_protocol, None);
        assert_eq!(snapshot.hardware.transports[0].reason.as_deref(), Some("The server is stopped."));
        assert!(!snapshot.hardware.transports[2].enabled);
    }

    #[test]
    fn running_server_shows_virtual_devices_with_levels() {
        let spec = VirtualDeviceSpec::new(VirtualKind::DualVibrator);
        let device = DeviceSnapshot {
            info: spec.device_info(0),
            outputs: vec![OutputLevel {
                feature_index: 1,
                kind: plugboard_protocol::model::OutputType::Vibrate,
                value: 7,
                owner: Some(1),
            }],
            address: "virtual:0".into(),
            transport: "virtual",
            protocol: "virtual".into(),
            battery: Some(80),
        };
        let mut input = input();
        input.running = Some(RunningInfo {
            url: "ws://127.0.0.1:4000".into(),
            port: 4000,
            devices: vec![device],
            statuses: [(
                "ble".to_owned(),
                HardwareStatus::Unavailable { reason: "No adapter.".into(), remedy: "Plug one in.".into() },
            )]
            .into(),
            ..Default::default()
        });
        let snapshot = build_snapshot(input);
        assert!(snapshot.server.running);
        assert_eq!(snapshot.server.url.as_deref(), Some("ws://127.0.0.1:4000"));
        let device = &snapshot.devices[0];
        assert_eq!(
            (device.index, device.address.as_str(), device.transport.as_str()),
            (Some(0), "virtual:0", "virtual")
        );
        let levels: Vec<_> =
            device.outputs.iter().map(|o| (o.feature_index, o.kind.as_str(), o.value, o.max)).collect();
        assert_eq!(levels, vec![(0, "Vibrate", 0, 20), (1, "Vibrate", 7, 20)]);
        assert_eq!(device.battery, Some(80));
        let ble = &snapshot.hardware.transports[0];
        assert_eq!(
            (ble.ready, ble.reason.as_deref(), ble.remedy.as_deref()),
            (false, Some("No adapter."), Some("Plug one in."))
        );
        assert!(snapshot.hardware.transports[1].ready, "serial enabled and running");
    }

    #[test]
    fn port_in_use_names_a_free_port() {
        let error = StartError::PortInUse { address: "127.0.0.1".parse().unwrap(), port: 1, suggestion: 2 };
        let described = describe_start_error(&error);
        assert_eq!(described.kind, ServerErrorKind::PortInUse);
        assert_eq!(described.port, Some(1));
        assert!(described.next_free_port.is_some());
        assert!(described.message.starts_with("Port 1 is already in use"));
    }

    #[test]
    fn origins_are_scheme_and_host() {
        for good in ["https://game.example", "http://localhost:5173", "https://game.example/", "null", "app://x"] {
            assert!(looks_like_origin(good), "{good}");
        }
        for bad in ["game.example", "https://", "https://game.example/play", "https://a b", "://x"] {
            assert!(!looks_like_origin(bad), "{bad}");
        }
    }

    #[test]
    fn sentences_are_capitalised_and_end_with_a_period() {
        assert_eq!(sentence("unknown kind 'x'"), "Unknown kind 'x'.");
    }
}
