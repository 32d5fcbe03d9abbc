//! The state every task of a running engine shares: the listeners, each client's session,
//! the device-event forwarder and the [`Engine`](crate::Engine) handle itself.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use plugboard_devices::{ClientId, DeviceManager};
use tokio::sync::{broadcast, watch};

use crate::access::DeviceAccess;
use crate::approval::Approvals;
use crate::clients::ClientRegistry;
use crate::config::EngineConfig;
use crate::events::{EngineEvent, EngineEvents};
use crate::gate::OriginGate;

/// Events a front end may fall behind by before it hears `Lagged` and takes a fresh snapshot
/// (which loses nothing). A broadcast channel allocates and fills all its slots at creation,
/// so this is memory the engine holds from start to stop, front end or not.
const EVENT_CAPACITY: usize = 1024;

/// State shared by the engine's tasks.
pub(crate) struct Shared {
    pub config: EngineConfig,
    pub devices: Arc<DeviceManager>,
    pub clients: ClientRegistry,
    /// Remembered approvals of clients from other machines.
    pub approvals: Approvals,
    /// Which web pages may come in (see [`crate::gate`]).
    pub gate: OriginGate,
    /// Which devices each client (by name) may see and use.
    pub access: DeviceAccess,
    pub events: broadcast::Sender<EngineEvent>,
    /// Flips to true when the engine stops.
    pub shutdown: watch::Receiver<bool>,
    next_client: AtomicU64,
    /// Session tasks running, from the accepted connection to the socket closed.
    pub sessions: AtomicUsize,
}

impl Shared {
    /// The state of an engine that serves `config` with `devices`, stopping when `shutdown`
    /// flips to true.
    pub fn new(config: EngineConfig, devices: Arc<DeviceManager>, shutdown: watch::Receiver<bool>) -> Shared {
        Shared {
            approvals: Approvals::new(&config.remote_clients),
            gate: OriginGate::new(config.allowed_origins.as_deref(), &config.web_pages),
            access: DeviceAccess::new(config.device_access.clone()),
            config,
            devices,
            clients: ClientRegistry::default(),
            events: broadcast::channel(EVENT_CAPACITY).0,
            shutdown,
            next_client: AtomicU64::new(1),
            sessions: AtomicUsize::new(0),
        }
    }

    pub fn next_client_id(&self) -> ClientId {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }

    pub fn emit(&self, event: EngineEvent) {
        let _ = self.events.send(event);
    }

    /// A front end's subscription: the engine's events and the devices' output changes.
    pub fn follow_events(&self) -> EngineEvents {
        EngineEvents::new(self.events.subscribe(), self.devices.subscribe_levels())
    }
}
