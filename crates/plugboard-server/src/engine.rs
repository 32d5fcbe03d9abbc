//! The engine handle: what the desktop app and the headless CLI hold.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use plugboard_devices::virtual_device::VirtualDeviceSpec;
use plugboard_devices::{ClientId, DeviceManager, DeviceSnapshot};
use plugboard_protocol::model::{OutputType, StopScope};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use crate::clients::{ClientRegistry, ClientSnapshot};
use crate::config::EngineConfig;
use crate::error::StartError;
use crate::events::EngineEvent;
use crate::listener;

/// The owner id the front end scans and commands under; clients count from 1.
pub const FRONT_END: ClientId = 0;

/// State shared by the engine's tasks.
pub(crate) struct Shared {
    pub config: EngineConfig,
    pub devices: Arc<DeviceManager>,
    pub clients: ClientRegistry,
    pub events: broadcast::Sender<EngineEvent>,
    /// Flips to true when the engine stops.
    pub shutdown: watch::Receiver<bool>,
    next_client: AtomicU64,
    /// Session tasks running, from the accepted connection to the socket closed.
    pub sessions: AtomicUsize,
}

impl Shared {
    pub fn next_client_id(&self) -> ClientId {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }

    pub fn emit(&self, event: EngineEvent) {
        let _ = self.events.send(event);
    }
}

/// A running engine. Dropping it without [`Engine::stop`] also stops every output.
pub struct Engine {
    shared: Arc<Shared>,
    addresses: Vec<SocketAddr>,
    device_websocket_address: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Engine {
    /// Binds the listeners, creates the configured virtual devices and starts serving.
    pub async fn start(config: EngineConfig) -> Result<Engine, StartError> {
        let listeners = listener::bind(&config.listen).await?;
        let addresses: Vec<SocketAddr> = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let devices = DeviceManager::new();
        // Hardware first: the user config reserves indexes that virtual devices must not take.
        let device_websocket_address = crate::hardware::start(&devices, &config.devices).await?;
        for spec in &config.virtual_devices {
            devices.add_virtual(spec.clone());
        }
        let shared = Arc::new(Shared {
            config,
            devices,
            clients: ClientRegistry::default(),
            events: broadcast::channel(4096).0,
            shutdown: shutdown_rx,
            next_client: AtomicU64::new(1),
            sessions: AtomicUsize::new(0),
        });
        let mut tasks = JoinSet::new();
        tasks.spawn(forward_device_events(shared.clone()));
        for listener in listeners {
            tasks.spawn(listener::accept_loop(shared.clone(), listener));
        }
        for address in &addresses {
            tracing::info!(%address, "listening for Buttplug clients");
        }
        Ok(Engine { shared, addresses, device_websocket_address, shutdown, tasks })
    }

    /// The addresses actually bound.
    pub fn local_addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }

    /// The bound port (the same on every address).
    pub fn port(&self) -> u16 {
        self.addresses.first().map(|a| a.port()).unwrap_or(0)
    }

    /// The address to paste into games, such as `ws://127.0.0.1:12345`.
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

    /// Every transport's status: usable, or why not and what to do.
    pub fn hardware_statuses(&self) -> std::collections::BTreeMap<&'static str, plugboard_devices::transport::HardwareStatus> {
        self.shared.devices.hardware_statuses()
    }

    /// Scans for devices on behalf of the front end (clients scan through the protocol).
    pub async fn start_scanning(&self) {
        self.shared.devices.start_scanning(FRONT_END).await;
    }

    pub async fn stop_scanning(&self) {
        self.shared.devices.stop_scanning(FRONT_END).await;
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

    /// The device manager, for front ends that drive devices themselves.
    pub fn device_manager(&self) -> &Arc<DeviceManager> {
        &self.shared.devices
    }

    /// Changes as they happen.
    pub fn events(&self) -> broadcast::Receiver<EngineEvent> {
        self.shared.events.subscribe()
    }

    /// Adds a virtual device; every client hears of it. Returns its index.
    pub async fn add_virtual_device(&self, spec: VirtualDeviceSpec) -> u32 {
        self.shared.devices.add_virtual(spec).index
    }

    /// Removes a device; every client hears of it.
    pub async fn remove_device(&self, index: u32) -> bool {
        self.shared.devices.remove(index)
    }

    /// The user's STOP ALL: stops every output of every device, whoever set it.
    pub async fn stop_all(&self) {
        let _ = self.shared.devices.stop(None, StopScope::EVERYTHING);
    }

    /// Closes one client's connection (its outputs stop). False if there is no such client.
    pub async fn disconnect_client(&self, id: ClientId) -> bool {
        self.shared.clients.kick(id)
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

/// Device changes become engine events for front ends.
async fn forward_device_events(shared: Arc<Shared>) {
    let mut events = shared.devices.subscribe();
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => shared.emit(EngineEvent::Device(event)),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "front-end event stream fell behind");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = crate::raised(&mut shutdown) => return,
        }
    }
}
