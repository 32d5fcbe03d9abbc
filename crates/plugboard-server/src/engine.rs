//! The engine handle: what the desktop app and the headless CLI hold.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use plugboard_devices::virtual_device::VirtualDeviceSpec;
use plugboard_devices::{ClientId, DeviceEvent, DeviceManager, DeviceSnapshot};
use plugboard_protocol::model::{OutputType, Range, StopScope};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use crate::access::AccessRules;
use crate::admission;
use crate::approval::{Approval, ApprovedPeer};
use crate::clients::{ClientKind, ClientSnapshot};
use crate::config::EngineConfig;
use crate::device_views::UserDeviceConfig;
use crate::dial_out::DialAddress;
use crate::error::{InvalidSetting, StartError};
use crate::events::{EngineEvent, EngineEvents};
use crate::gate::http::{HttpDecision, Surface};
use crate::gate::{self, Remembered};
use crate::listener;
use crate::local_client::LocalClient;
use crate::shared::Shared;

/// The owner id the front end scans and commands under; clients count from 1.
pub const FRONT_END: ClientId = 0;

/// A running engine. Dropping it without [`Engine::stop`] also stops every output.
pub struct Engine {
    shared: Arc<Shared>,
    addresses: Vec<SocketAddr>,
    device_websocket_address: Option<SocketAddr>,
    /// The Lovense local API, when turned on.
    lovense_api: Option<crate::lovense::LovenseApi>,
    /// The REST API, when turned on.
    rest_api: Option<crate::rest::RestApi>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Engine {
    /// Binds the listeners, creates the configured virtual devices and starts serving.
    pub async fn start(config: EngineConfig) -> Result<Engine, StartError> {
        let dial = config.websocket_client_address.as_deref().map(DialAddress::parse).transpose();
        let dial = dial.map_err(StartError::WebsocketClientAddress)?;
        // In client mode the engine need not listen as well.
        let listeners = match (&dial, config.listen.is_empty()) {
            (Some(_), true) => Vec::new(),
            _ => listener::bind(&config.listen).await?,
        };
        let addresses: Vec<SocketAddr> = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let devices = DeviceManager::new();
        // Hardware first: the user config reserves indexes that virtual devices must not take.
        let device_websocket_address = crate::hardware::start(&devices, &config.devices).await?;
        for spec in &config.virtual_devices {
            devices.add_virtual(spec.clone());
        }
        let shared = Arc::new(Shared::new(config, devices, shutdown_rx));
        let mut tasks = JoinSet::new();
        // Subscribed here, not in the task: what happens before the task first runs reaches
        // front ends too.
        tasks.spawn(forward_device_events(shared.clone(), shared.devices.subscribe()));
        for listener in listeners {
            tasks.spawn(listener::accept_loop(shared.clone(), listener));
        }
        let lovense_api = crate::lovense::start(&shared, &mut tasks).await?;
        let rest_api = crate::rest::start(&shared, &mut tasks).await?;
        if let Some(address) = dial {
            tasks.spawn(crate::dial_out::run(shared.clone(), address));
        }
        for address in &addresses {
            tracing::info!(%address, "listening for Buttplug clients");
        }
        Ok(Engine { shared, addresses, device_websocket_address, lovense_api, rest_api, shutdown, tasks })
    }

    /// The addresses actually bound.
    pub fn local_addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }

    /// The bound port (the same on every address).
    pub fn port(&self) -> u16 {
        self.addresses.first().map(|a| a.port()).unwrap_or(0)
    }

    /// The address to paste into games, such as `ws://127.0.0.1:12345`; empty when the engine
    /// listens nowhere (client mode alone, see `EngineConfig::websocket_client_address`).
    pub fn url(&self) -> String {
        match self.addresses.first() {
            Some(address) if address.ip().is_unspecified() => format!("ws://127.0.0.1:{}", address.port()),
            Some(SocketAddr::V6(address)) => format!("ws://[{}]:{}", address.ip(), address.port()),
            Some(address) => format!("ws://{address}"),
            None => String::new(),
        }
    }

    /// Where the device-websocket server listens, when it runs.
    pub fn device_websocket_address(&self) -> Option<SocketAddr> {
        self.device_websocket_address
    }

    /// The Lovense local API, when it runs: its addresses and its HTTPS certificate.
    pub fn lovense_api(&self) -> Option<&crate::lovense::LovenseApi> {
        self.lovense_api.as_ref()
    }

    /// The address to type into a game made for Lovense, such as `http://127.0.0.1:20010`.
    pub fn lovense_api_url(&self) -> Option<String> {
        let address = self.lovense_api.as_ref()?.http_addresses().first()?;
        Some(format!("http://127.0.0.1:{}", address.port()))
    }

    /// The REST API, when it runs: its addresses.
    pub fn rest_api(&self) -> Option<&crate::rest::RestApi> {
        self.rest_api.as_ref()
    }

    /// The REST API's base URL, such as `http://127.0.0.1:12346/api/v1`.
    pub fn rest_api_url(&self) -> Option<String> {
        let address = *self.rest_api.as_ref()?.addresses().first()?;
        let host = match address {
            address if address.ip().is_unspecified() => "127.0.0.1".to_owned(),
            SocketAddr::V6(address) => format!("[{}]", address.ip()),
            SocketAddr::V4(address) => address.ip().to_string(),
        };
        Some(format!("http://{host}:{}/api/v1", address.port()))
    }

    /// Every transport's status: usable, or why not and what to do.
    pub fn hardware_statuses(
        &self,
    ) -> std::collections::BTreeMap<&'static str, plugboard_devices::transport::HardwareStatus> {
        self.shared.devices.hardware_statuses()
    }

    /// Scans for devices on behalf of the front end (clients scan through the protocol).
    pub async fn start_scanning(&self) {
        self.shared.devices.start_scanning(FRONT_END).await;
    }

    pub async fn stop_scanning(&self) {
        self.shared.devices.stop_scanning(FRONT_END).await;
    }

    /// Whether the front end's scan ([`Engine::start_scanning`]) is running.
    pub fn is_scanning(&self) -> bool {
        self.shared.devices.is_scanning(FRONT_END)
    }

    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    /// Every connected client.
    pub fn clients(&self) -> Vec<ClientSnapshot> {
        self.shared.clients.snapshot()
    }

    /// Every device with its output levels.
    pub fn devices(&self) -> Vec<DeviceSnapshot> {
        self.shared.devices.snapshot()
    }

    /// How many session tasks are running: one per accepted connection, from the websocket
    /// upgrade (before the client counts in [`Engine::clients`]) until its socket is closed.
    pub fn session_tasks(&self) -> usize {
        self.shared.sessions.load(Ordering::SeqCst)
    }

    /// How many device tasks are running (see [`DeviceManager::device_tasks`]).
    pub fn device_tasks(&self) -> usize {
        self.shared.devices.device_tasks()
    }

    /// The current level of one output.
    pub fn output_level(&self, device_index: u32, feature_index: u32, kind: OutputType) -> Option<i32> {
        self.shared.devices.output_level(device_index, feature_index, kind)
    }

    /// The device manager, for tests and tools that look inside the engine. Front ends use
    /// the engine's own methods: this handle is their only door into the engine.
    pub fn device_manager(&self) -> &Arc<DeviceManager> {
        &self.shared.devices
    }

    /// The user device config as it stands (it changes as devices connect and the user
    /// changes their settings); join it with [`Engine::devices`] for the devices to list.
    pub fn user_device_config(&self) -> UserDeviceConfig {
        self.shared.devices.user_config().into()
    }

    /// Allows or denies the device at `address` (saved in the user device config). A device
    /// that may no longer connect is disconnected, its outputs stopped first.
    pub fn allow_or_deny_device(&self, address: &str, allow: bool, deny: bool) {
        self.shared.devices.set_access(address, allow, deny);
    }

    /// Gives the device at `address` the name clients see; `None` goes back to its model name.
    pub fn rename_device(&self, address: &str, display_name: Option<String>) {
        self.shared.devices.rename(address, display_name);
    }

    /// Narrows one output of the device at `address` to `limit` (hardware steps; `None`: its
    /// full range), or hides it from clients. Saved, and applied to the running device at once.
    pub fn set_output_limit(
        &self,
        address: &str,
        feature_index: u32,
        kind: OutputType,
        limit: Option<Range>,
        disabled: bool,
    ) -> Result<(), InvalidSetting> {
        self.shared
            .devices
            .set_output_limit(address, feature_index, kind, limit, disabled)
            .map_err(|error| InvalidSetting(error.text().to_owned()))
    }

    /// Forgets what the user device config says about the device at `address`.
    pub fn forget_device(&self, address: &str) {
        self.shared.devices.forget(address);
    }

    /// Whether the device at `index` is a virtual one (which the front end may remove).
    pub fn is_virtual_device(&self, index: u32) -> bool {
        self.shared.devices.virtual_hardware(index).is_some()
    }

    /// Changes as they happen.
    pub fn events(&self) -> EngineEvents {
        self.shared.follow_events()
    }

    /// Adds a virtual device; every client hears of it. Returns its index.
    pub async fn add_virtual_device(&self, spec: VirtualDeviceSpec) -> u32 {
        self.shared.devices.add_virtual(spec).index
    }

    /// Removes a device; every client hears of it.
    pub async fn remove_device(&self, index: u32) -> bool {
        self.shared.devices.remove(index)
    }

    /// The user's STOP ALL: stops every output of every device, whoever set it, and ends the
    /// Lovense API's programs so that none starts a toy again.
    pub async fn stop_all(&self) {
        if let Some(api) = &self.lovense_api {
            api.stop_programs();
        }
        let _ = self.shared.devices.stop(None, StopScope::EVERYTHING);
    }

    /// Closes one client's connection (its outputs stop). A client inside the process has no
    /// connection to close: its outputs stop, and it stays until its owner drops it. False if
    /// there is no such client.
    pub async fn disconnect_client(&self, id: ClientId) -> bool {
        match self.shared.clients.get(id) {
            Some(client) if client.peer.is_none() => {
                let _ = self.shared.devices.stop(Some(id), StopScope::EVERYTHING);
                true
            }
            Some(_) => self.shared.clients.kick(id),
            None => false,
        }
    }

    /// Registers a client inside the process, such as the window's per-output controls: it
    /// is listed with the other clients under `kind` and `name`, and its commands take the
    /// engine's command path as a session's do (see [`LocalClient`]).
    pub fn local_client(&self, kind: ClientKind, name: &str) -> LocalClient {
        LocalClient::register(self.shared.clone(), kind, name)
    }

    /// Lets a client that waits for the user's approval in. With `remember`, what held it is
    /// approved for good: its address and Origin when it came from another machine, its Origin
    /// when it is a web page the user had not approved; other waiting clients that nothing
    /// holds any more come in too. Returns what was remembered (the front end keeps it), or
    /// `None` if no such client waits.
    pub fn allow_client(&self, id: ClientId, remember: bool) -> Option<Remembered> {
        let key = self.shared.clients.get(id)?.approval_key()?;
        let held = admission::held_for(&self.shared, &key);
        if self.shared.clients.answer(Approval::Allowed, |client| client.id == id) == 0 {
            return None;
        }
        let mut remembered = Remembered::default();
        if remember {
            if let (true, Some(origin)) = (held.web_page, &key.origin) {
                self.shared.gate.remember(origin);
                remembered.origin = Some(gate::normalize(origin));
            }
            if held.other_machine {
                self.shared.approvals.remember(key.clone());
                remembered.peer = Some(key);
            }
            admission::let_in_approved(&self.shared);
            self.shared.emit(EngineEvent::WebPagesChanged);
        }
        Some(remembered)
    }

    /// Refuses a client that waits for the user's approval: it gets an Error and is
    /// disconnected. False if no such client waits.
    pub fn refuse_client(&self, id: ClientId) -> bool {
        self.shared.clients.answer(Approval::Refused, |client| client.id == id) > 0
    }

    /// Replaces the remembered approvals; waiting clients that nothing holds any more are let in.
    pub fn set_approved_peers(&self, peers: Vec<ApprovedPeer>) {
        self.shared.approvals.replace(peers);
        admission::let_in_approved(&self.shared);
    }

    /// The remembered approvals.
    pub fn approved_peers(&self) -> Vec<ApprovedPeer> {
        self.shared.approvals.list()
    }

    /// Replaces the web pages approved for good (the front end forgot one); waiting clients
    /// that nothing holds any more are let in.
    pub fn set_approved_origins(&self, origins: Vec<String>) {
        self.shared.gate.replace_remembered(origins);
        admission::let_in_approved(&self.shared);
        self.shared.emit(EngineEvent::WebPagesChanged);
    }

    /// The web pages approved for good, normalized (see [`gate::normalize`]).
    pub fn approved_origins(&self) -> Vec<String> {
        self.shared.gate.remembered()
    }

    /// The web pages whose HTTP requests were refused while the user is asked about them.
    pub fn web_pages_asking(&self) -> Vec<String> {
        self.shared.gate.asking()
    }

    /// The user's answer about a web page that asked over HTTP. Allowing lets its requests in
    /// until the engine stops, or for good with `remember` (its websocket clients that wait
    /// come in too); refusing stops asking. Returns the Origin remembered, normalized.
    pub fn answer_web_page(&self, origin: &str, allow: bool, remember: bool) -> Option<String> {
        let remembered = match (allow, remember) {
            (false, _) => {
                self.shared.gate.stop_asking(origin);
                None
            }
            (true, false) => {
                self.shared.gate.allow_this_run(origin);
                None
            }
            (true, true) => {
                self.shared.gate.remember(origin);
                admission::let_in_approved(&self.shared);
                Some(gate::normalize(origin))
            }
        };
        self.shared.emit(EngineEvent::WebPagesChanged);
        remembered
    }

    /// The Origin gate for one HTTP request at `surface`: every HTTP surface calls this first
    /// and answers with the response it is given, or goes on and adds the headers (see
    /// [`crate::gate::http`]). An unapproved web page is asked about once
    /// ([`EngineEvent::WebPagesChanged`]) when the front end asks the user.
    pub fn check_http(
        &self,
        surface: &Surface,
        method: &gate::http::Method,
        headers: &gate::http::HeaderMap,
    ) -> HttpDecision {
        let shared = &self.shared;
        gate::http::check(&shared.gate, surface, method, headers, |origin| {
            tracing::warn!(origin, surface = surface.name, "a web page wants to use the devices; asking the user");
            shared.emit(EngineEvent::WebPagesChanged);
        })
    }

    /// Limits clients named `name` to the devices at `devices` (addresses, as in
    /// [`DeviceSnapshot::address`]); `None` lets them use every device. Connected clients of
    /// that name hear of the devices that disappear and appear for them at once.
    pub fn set_device_access(&self, name: &str, devices: Option<std::collections::BTreeSet<String>>) {
        self.shared.access.set(name, devices);
    }

    /// Every limit set by [`Engine::set_device_access`] (or the configuration).
    pub fn device_access(&self) -> AccessRules {
        self.shared.access.rules()
    }

    /// Stops every output, closes every connection and stops listening.
    pub async fn stop(mut self) {
        self.shutdown_now();
        while self.tasks.join_next().await.is_some() {}
        self.shared.devices.shutdown().await;
        self.shared.emit(EngineEvent::Stopped);
        tracing::info!("engine stopped");
    }

    fn shutdown_now(&mut self) {
        if let Some(api) = &self.lovense_api {
            api.stop_programs();
        }
        let _ = self.shared.devices.stop(None, StopScope::EVERYTHING);
        self.shared.clients.kick_all();
        self.shutdown.send_replace(true);
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if !*self.shutdown.borrow() {
            self.shutdown_now();
        }
    }
}

/// Device changes but output levels (which front ends read from the device manager
/// themselves, see [`EngineEvents`]) become engine events for front ends.
async fn forward_device_events(shared: Arc<Shared>, mut events: broadcast::Receiver<DeviceEvent>) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = crate::raised(&mut shutdown) => return,
        };
        match event {
            Ok(event) => shared.emit(EngineEvent::Device(event)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "front-end event stream fell behind");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use plugboard_devices::virtual_device::VirtualKind;
    use plugboard_protocol::model::{FeatureCommand, OutputCommand};

    use super::*;

    /// An engine on a free loopback port with one virtual vibrator (index 0).
    async fn engine_with_a_vibrator() -> Engine {
        let config = EngineConfig {
            virtual_devices: vec![VirtualDeviceSpec::new(VirtualKind::Vibrator)],
            ..EngineConfig::loopback(0)
        };
        Engine::start(config).await.expect("the engine starts on a free port")
    }

    fn vibrate(level: i32) -> [FeatureCommand; 1] {
        [FeatureCommand {
            feature_index: 0,
            command: OutputCommand { kind: OutputType::Vibrate, value: level, duration_ms: None },
        }]
    }

    #[tokio::test]
    async fn it_reports_the_port_it_bound_and_the_url_to_give_games() {
        let engine = engine_with_a_vibrator().await;
        assert_ne!(engine.port(), 0, "port 0 asks for a free port; the bound one is reported");
        assert!(engine.local_addresses().iter().all(|address| address.port() == engine.port()));
        assert_eq!(engine.url(), format!("ws://127.0.0.1:{}", engine.port()));
        engine.stop().await;
    }

    #[tokio::test]
    async fn stop_all_stops_what_every_client_set_and_front_ends_hear_it() {
        let engine = engine_with_a_vibrator().await;
        let mut events = engine.events();
        let manager = engine.device_manager().clone();
        manager.command(7, 0, &vibrate(10)).unwrap();
        manager.command(FRONT_END, 0, &vibrate(12)).unwrap();
        assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(12));
        engine.stop_all().await;
        assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0));
        let heard_the_stop = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Ok(EngineEvent::Device(DeviceEvent::OutputChanged { value: 0, .. })) = events.recv().await {
                    return;
                }
            }
        })
        .await;
        assert!(heard_the_stop.is_ok(), "front ends see the output go to zero");
        engine.stop().await;
    }

    #[tokio::test]
    async fn dropping_the_engine_stops_every_output() {
        let engine = engine_with_a_vibrator().await;
        let manager = engine.device_manager().clone();
        manager.command(3, 0, &vibrate(15)).unwrap();
        drop(engine);
        assert_eq!(manager.output_level(0, 0, OutputType::Vibrate), Some(0));
    }

    #[tokio::test]
    async fn only_a_waiting_client_can_be_allowed_or_refused() {
        let engine = engine_with_a_vibrator().await;
        assert_eq!(engine.allow_client(42, true), None);
        assert!(!engine.refuse_client(42));
        assert!(engine.approved_peers().is_empty(), "nothing was remembered");
        engine.stop().await;
    }
}
