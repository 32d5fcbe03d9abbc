//! Bluetooth LE transport over [btleplug](https://docs.rs/btleplug) (BlueZ over D-Bus on Linux).
//!
//! [`BleTransport::new`] starts one background task that owns the adapter:
//!
//! - It opens btleplug's `Manager` and takes the first adapter. When that is impossible (no
//!   D-Bus system bus, BlueZ not running, no adapter, adapter powered off) it reports a
//!   [`HardwareStatus::Unavailable`] with a plain reason and a remedy, and tries again every
//!   second. Nothing here panics or gives up: the other transports keep working.
//! - While an adapter is in use, its power state (`StateUpdate`) keeps [`Transport::status`]
//!   current, and a once-a-second probe notices when the adapter (or BlueZ) goes away.
//! - While scanning, every peripheral with a name or advertised services is reported once per
//!   (name, manufacturer data, services) tuple as a [`TransportEvent::Found`]; it is offered
//!   again when that tuple changes, after it disconnects, after a connect to it failed (at its
//!   next sighting), and on every new `start_scanning`.
//!
//! Asking to scan while Bluetooth is unavailable is not an error: the wish is remembered and
//! scanning starts as soon as a powered adapter appears (the status events say why not yet).
//!
//! [`Connector::connect`] connects, discovers GATT services and maps the plan's endpoints to
//! characteristics; the returned [`Hardware`] writes with the write type each characteristic
//! supports, and turns GATT notifications and the adapter's disconnect events into
//! [`Notification`]s.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use btleplug::api::{
    Central, CentralEvent, CentralState, CharPropFlags, Characteristic, Manager as _, Peripheral as _,
    PeripheralProperties, ScanFilter, Service, WriteType,
};
use btleplug::platform::{Adapter, Manager, Peripheral, PeripheralId};
use futures_util::StreamExt;
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::{ConnectPlan, Connector, EventSender, FoundDevice, HardwareStatus, Transport, TransportEvent};
use crate::config::matching::{BleAdvertisement, Discovered};
use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError, Notification, Write};

/// The transport's name in events and logs.
pub const NAME: &str = "ble";

/// How often adapter discovery is retried, and how often a used adapter is checked.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const DISCOVER_TIMEOUT: Duration = Duration::from_secs(30);
/// A disconnect call on a device BlueZ already lost can hang; never wait longer than this.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const NOTIFICATION_CAPACITY: usize = 256;

/// Locks a std mutex, ignoring poisoning (the data under these locks stays consistent).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The Bluetooth LE transport. Dropping it stops its background task.
pub struct BleTransport {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

struct Shared {
    events: EventSender,
    status: Mutex<HardwareStatus>,
    /// The adapter in use, once one is found.
    adapter: Mutex<Option<Adapter>>,
    /// Whether the manager wants a scan running.
    scan_wanted: AtomicBool,
    /// Whether a scan was started on the current adapter (and not stopped or powered off since).
    scan_active: AtomicBool,
    /// What was last offered per peripheral (shared with the connectors: a failed connect
    /// forgets its offer).
    offered: Arc<Mutex<HashMap<PeripheralId, BleAdvertisement>>>,
    /// Looks for an adapter finished so far, counted after each look reported what it found.
    looks: AtomicU64,
}

impl BleTransport {
    /// Starts the transport's background task (adapter discovery and events). Must be called
    /// inside a tokio runtime. Until the first check completes the status is
    /// `Unavailable` ("looking for a Bluetooth adapter"); every change after that is reported on
    /// `events` as a [`TransportEvent::Status`].
    pub fn new(events: EventSender) -> BleTransport {
        let shared = Arc::new(Shared {
            events,
            status: Mutex::new(HardwareStatus::Unavailable {
                reason: "looking for a Bluetooth adapter".into(),
                remedy: "wait a moment".into(),
            }),
            adapter: Mutex::new(None),
            scan_wanted: AtomicBool::new(false),
            scan_active: AtomicBool::new(false),
            offered: Arc::default(),
            looks: AtomicU64::new(0),
        });
        let task = tokio::spawn(adapter_task(shared.clone()));
        BleTransport { shared, task }
    }

    /// How many looks for an adapter the background task has finished: whatever a look
    /// reports is on `events` once it counts. Tests of the retry loop wait on it.
    #[cfg(any(test, feature = "testing"))]
    pub fn looks_for_an_adapter(&self) -> u64 {
        self.shared.looks.load(Ordering::SeqCst)
    }
}

impl Drop for BleTransport {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Transport for BleTransport {
    fn name(&self) -> &'static str {
        NAME
    }

    fn start_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            let shared = &self.shared;
            shared.scan_wanted.store(true, Ordering::SeqCst);
            lock(&shared.offered).clear();
            let Some(adapter) = shared.adapter() else {
                tracing::info!("BLE scan requested while Bluetooth is unavailable; it starts when an adapter is ready");
                return Ok(());
            };
            shared.start_scan(&adapter).await
        })
    }

    fn stop_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            let shared = &self.shared;
            shared.scan_wanted.store(false, Ordering::SeqCst);
            if !shared.scan_active.swap(false, Ordering::SeqCst) {
                return Ok(());
            }
            if let Some(adapter) = shared.adapter() {
                if let Err(error) = adapter.stop_scan().await {
                    // Typically the adapter was powered off or removed meanwhile: nothing is
                    // scanning any more either way.
                    tracing::warn!(%error, "stopping the BLE scan failed");
                }
            }
            Ok(())
        })
    }

    fn status(&self) -> HardwareStatus {
        lock(&self.shared.status).clone()
    }
}

impl Shared {
    fn adapter(&self) -> Option<Adapter> {
        lock(&self.adapter).clone()
    }

    /// Records a status and reports it if it changed.
    fn set_status(&self, status: HardwareStatus) {
        let mut current = lock(&self.status);
        if *current == status {
            return;
        }
        match &status {
            HardwareStatus::Ready => tracing::info!("Bluetooth LE ready"),
            HardwareStatus::Unavailable { reason, remedy } => {
                tracing::warn!("Bluetooth LE unavailable: {reason} ({remedy})")
            }
        }
        *current = status.clone();
        let _ = self.events.send(TransportEvent::Status { transport: NAME, status });
    }

    async fn start_scan(&self, adapter: &Adapter) -> Result<(), HardwareError> {
        // The BlueZ backend powers the adapter on first: an explicit scan request turns a
        // soft-off adapter back on (an rfkill-blocked one makes this fail).
        adapter
            .start_scan(ScanFilter::default())
            .await
            .map_err(|error| HardwareError::Io(format!("cannot start a Bluetooth scan: {error}")))?;
        self.scan_active.store(true, Ordering::SeqCst);
        tracing::debug!("BLE scan started");
        // Peripherals BlueZ already knows produce no new discovery event: offer them now.
        match adapter.peripherals().await {
            Ok(peripherals) => {
                for peripheral in peripherals {
                    self.offer(adapter, peripheral).await;
                }
            }
            Err(error) => tracing::debug!(%error, "listing known BLE peripherals failed"),
        }
        Ok(())
    }

    /// Reads a peripheral's advertisement and reports it if it is new or changed.
    async fn offer(&self, adapter: &Adapter, peripheral: Peripheral) {
        if !self.scan_wanted.load(Ordering::SeqCst) {
            return;
        }
        let properties = match peripheral.properties().await {
            Ok(Some(properties)) => properties,
            Ok(None) => return,
            Err(error) => {
                tracing::debug!(%error, "reading BLE peripheral properties failed");
                return;
            }
        };
        let Some(advertisement) = advertisement_from(&properties) else {
            return;
        };
        let address = peripheral.address().to_string();
        let name = advertisement.name.clone();
        {
            let mut offered = lock(&self.offered);
            if offered.get(&peripheral.id()) == Some(&advertisement) {
                return;
            }
            offered.insert(peripheral.id(), advertisement.clone());
        }
        tracing::debug!(%address, %name, services = ?advertisement.services, "BLE peripheral found");
        let connector = BleConnector {
            adapter: adapter.clone(),
            peripheral,
            name,
            address: address.clone(),
            offered: self.offered.clone(),
        };
        let _ = self.events.send(TransportEvent::Found(FoundDevice {
            transport: NAME,
            address,
            discovered: Discovered::Ble(advertisement),
            connector: Arc::new(connector),
        }));
    }
}

/// What a peripheral advertises, as matching sees it; `None` when it has neither a name nor
/// advertised services (nothing could match it).
fn advertisement_from(properties: &PeripheralProperties) -> Option<BleAdvertisement> {
    // BlueZ's `Alias` (btleplug's `local_name`) falls back to the address ("AA-BB-...") when a
    // device has no name, so prefer the advertised `Name` and ignore an address-like alias.
    let address_like = |name: &str| {
        let address = properties.address.to_string();
        name.eq_ignore_ascii_case(&address) || name.eq_ignore_ascii_case(&address.replace(':', "-"))
    };
    let name = properties
        .advertisement_name
        .clone()
        .filter(|name| !name.is_empty())
        .or_else(|| properties.local_name.clone().filter(|name| !name.is_empty() && !address_like(name)))
        .unwrap_or_default();
    let mut services: Vec<String> = properties.services.iter().map(|uuid| uuid.to_string()).collect();
    services.sort();
    services.dedup();
    if name.is_empty() && services.is_empty() {
        return None;
    }
    let mut manufacturer_data: Vec<(u16, Vec<u8>)> =
        properties.manufacturer_data.iter().map(|(company, data)| (*company, data.clone())).collect();
    manufacturer_data.sort();
    Some(BleAdvertisement { name, manufacturer_data, services })
}

/// Why btleplug could not give us an adapter, in words a user can act on.
fn unavailable_from_error(message: &str) -> HardwareStatus {
    let (reason, remedy) = if message.contains("ServiceUnknown") || message.contains("org.bluez was not provided") {
        ("BlueZ is not running", "start it with `sudo systemctl start bluetooth`")
    } else if message.contains("system_bus_socket")
        || message.contains("Failed to connect to socket")
        || message.contains("FileNotFound")
        || message.contains("NoServer")
    {
        (
            "the D-Bus system bus is not available (BlueZ needs it)",
            "start D-Bus and BlueZ: `sudo systemctl start dbus bluetooth`",
        )
    } else if message.contains("AccessDenied") || message.contains("Permission denied") {
        ("not allowed to use Bluetooth", "add your user to the `bluetooth` group or check the BlueZ D-Bus policy")
    } else {
        return HardwareStatus::Unavailable {
            reason: format!("Bluetooth does not work: {message}"),
            remedy: "check that BlueZ is installed and running (`systemctl status bluetooth`)".into(),
        };
    };
    HardwareStatus::Unavailable { reason: reason.into(), remedy: remedy.into() }
}

fn no_adapter() -> HardwareStatus {
    HardwareStatus::Unavailable {
        reason: "no Bluetooth adapter found".into(),
        remedy: "plug in a Bluetooth 4.0+ adapter".into(),
    }
}

fn powered_off() -> HardwareStatus {
    HardwareStatus::Unavailable {
        reason: "the Bluetooth adapter is powered off".into(),
        remedy: "turn Bluetooth on".into(),
    }
}

/// Whether a D-Bus error means our connection to the bus is gone (then a new one is needed).
fn bus_connection_lost(message: &str) -> bool {
    message.contains("org.freedesktop.DBus.Error.Disconnected")
}

/// Finds an adapter, drives it until it goes away, and starts over; forever.
async fn adapter_task(shared: Arc<Shared>) {
    // One manager (one D-Bus connection) for the whole life of the transport: btleplug's BlueZ
    // backend keeps a task per connection alive, so making a new one per retry would leak.
    let mut manager: Option<Manager> = None;
    let mut last_error = String::new();
    loop {
        if manager.is_none() {
            match Manager::new().await {
                Ok(new) => manager = Some(new),
                Err(error) => {
                    let message = error.to_string();
                    if message != last_error {
                        tracing::debug!(%message, "opening the Bluetooth manager failed; retrying every second");
                        last_error = message.clone();
                    }
                    shared.set_status(unavailable_from_error(&message));
                }
            }
        }
        if let Some(current) = &manager {
            match current.adapters().await {
                Ok(adapters) => match adapters.into_iter().next() {
                    Some(adapter) => {
                        last_error.clear();
                        drive_adapter(&shared, adapter).await;
                    }
                    None => shared.set_status(no_adapter()),
                },
                Err(error) => {
                    let message = error.to_string();
                    if message != last_error {
                        tracing::debug!(%message, "listing Bluetooth adapters failed; retrying every second");
                        last_error = message.clone();
                    }
                    if bus_connection_lost(&message) {
                        manager = None;
                    }
                    shared.set_status(unavailable_from_error(&message));
                }
            }
        }
        shared.looks.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(RETRY_INTERVAL).await;
    }
}

/// Uses one adapter until it (or BlueZ) disappears.
async fn drive_adapter(shared: &Arc<Shared>, adapter: Adapter) {
    let mut events = match adapter.events().await {
        Ok(events) => events,
        Err(error) => {
            shared.set_status(unavailable_from_error(&error.to_string()));
            return;
        }
    };
    let info = adapter.adapter_info().await.unwrap_or_else(|_| "unknown adapter".into());
    tracing::info!(adapter = %info, "using Bluetooth adapter");
    *lock(&shared.adapter) = Some(adapter.clone());
    shared.scan_active.store(false, Ordering::SeqCst);
    let powered = matches!(adapter.adapter_state().await, Ok(CentralState::PoweredOn));
    shared.set_status(if powered { HardwareStatus::Ready } else { powered_off() });
    if powered && shared.scan_wanted.load(Ordering::SeqCst) {
        if let Err(error) = shared.start_scan(&adapter).await {
            tracing::warn!(%error, "starting the requested BLE scan failed");
        }
    }

    let mut health = tokio::time::interval(RETRY_INTERVAL);
    health.tick().await;
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(event) => handle_event(shared, &adapter, event).await,
                None => {
                    tracing::warn!("the Bluetooth adapter's event stream ended");
                    break;
                }
            },
            _ = health.tick() => {
                if let Err(error) = adapter.adapter_info().await {
                    tracing::warn!(%error, "lost the Bluetooth adapter");
                    break;
                }
            }
        }
    }
    *lock(&shared.adapter) = None;
    shared.scan_active.store(false, Ordering::SeqCst);
    lock(&shared.offered).clear();
    // The caller looks again at once and reports why nothing is usable.
}

async fn handle_event(shared: &Arc<Shared>, adapter: &Adapter, event: CentralEvent) {
    let scanning = shared.scan_wanted.load(Ordering::SeqCst);
    let id = match event {
        CentralEvent::StateUpdate(CentralState::PoweredOn) => {
            shared.set_status(HardwareStatus::Ready);
            if scanning && !shared.scan_active.load(Ordering::SeqCst) {
                if let Err(error) = shared.start_scan(adapter).await {
                    tracing::warn!(%error, "restarting the BLE scan after power-on failed");
                }
            }
            return;
        }
        CentralEvent::StateUpdate(_) => {
            shared.scan_active.store(false, Ordering::SeqCst);
            shared.set_status(powered_off());
            return;
        }
        CentralEvent::DeviceDisconnected(id) => {
            lock(&shared.offered).remove(&id);
            return;
        }
        CentralEvent::DeviceDiscovered(id)
        | CentralEvent::DeviceUpdated(id)
        | CentralEvent::ManufacturerDataAdvertisement { id, .. }
        | CentralEvent::ServicesAdvertisement { id, .. } => id,
        // Signal-strength updates come with every advertisement: only look at peripherals
        // not offered yet (e.g. one whose name arrived late).
        CentralEvent::RssiUpdate { id, .. } if !lock(&shared.offered).contains_key(&id) => id,
        _ => return,
    };
    if !scanning {
        return;
    }
    match adapter.peripheral(&id).await {
        Ok(peripheral) => shared.offer(adapter, peripheral).await,
        Err(error) => tracing::debug!(%error, "BLE peripheral vanished before it could be read"),
    }
}

/// Connects one found peripheral.
struct BleConnector {
    adapter: Adapter,
    peripheral: Peripheral,
    name: String,
    address: String,
    offered: Arc<Mutex<HashMap<PeripheralId, BleAdvertisement>>>,
}

fn io(context: &str) -> impl Fn(btleplug::Error) -> HardwareError + '_ {
    move |error| HardwareError::Io(format!("{context}: {error}"))
}

impl Connector for BleConnector {
    /// A failed connect forgets the offer, so the peripheral is offered (and tried) again the
    /// next time it is seen: a known device that was out of range when the engine tried to
    /// reconnect it comes back once it advertises again.
    fn connect(&self, plan: ConnectPlan) -> BoxFuture<'_, Result<Arc<dyn Hardware>, HardwareError>> {
        Box::pin(async move {
            let result = self.try_connect(plan).await;
            if result.is_err() {
                lock(&self.offered).remove(&self.peripheral.id());
            }
            result
        })
    }
}

impl BleConnector {
    async fn try_connect(&self, plan: ConnectPlan) -> Result<Arc<dyn Hardware>, HardwareError> {
        let peripheral = &self.peripheral;
        if !peripheral.is_connected().await.map_err(io("BLE connect"))? {
            tokio::time::timeout(CONNECT_TIMEOUT, peripheral.connect())
                .await
                .map_err(|_| HardwareError::Io("BLE connect timed out".into()))?
                .map_err(io("BLE connect"))?;
        }
        match self.finish_connect(plan).await {
            Ok(hardware) => Ok(hardware),
            Err(error) => {
                // Do not leave a half-set-up device connected.
                if let Ok(Ok(true)) = tokio::time::timeout(DISCONNECT_TIMEOUT, peripheral.is_connected()).await {
                    let _ = tokio::time::timeout(DISCONNECT_TIMEOUT, peripheral.disconnect()).await;
                }
                Err(error)
            }
        }
    }

    async fn finish_connect(&self, plan: ConnectPlan) -> Result<Arc<dyn Hardware>, HardwareError> {
        let peripheral = &self.peripheral;
        tokio::time::timeout(DISCOVER_TIMEOUT, peripheral.discover_services())
            .await
            .map_err(|_| HardwareError::Io("BLE service discovery timed out".into()))?
            .map_err(io("BLE service discovery"))?;
        let services: Vec<Service> = peripheral.services().into_iter().collect();
        let characteristics = map_endpoints(&plan, &services, &self.address);
        if characteristics.is_empty() && !plan.ble_endpoints.is_empty() {
            return Err(HardwareError::Io(format!(
                "{} ({}) has none of the expected GATT services or characteristics",
                self.name, self.address
            )));
        }
        // Take both streams before anyone can subscribe or write, so nothing is missed.
        let notifications = peripheral.notifications().await.map_err(io("BLE notifications"))?;
        let adapter_events = self.adapter.events().await.map_err(io("BLE adapter events"))?;

        let (sender, _) = broadcast::channel(NOTIFICATION_CAPACITY);
        let state =
            Arc::new(LinkState { sender, connected: AtomicBool::new(true), subscribed: Mutex::new(HashSet::new()) });
        let by_uuid: HashMap<(Uuid, Uuid), Endpoint> = characteristics
            .iter()
            .map(|(endpoint, characteristic)| ((characteristic.service_uuid, characteristic.uuid), *endpoint))
            .collect();
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(link_task(state.clone(), peripheral.id(), by_uuid, notifications, adapter_events, stopped));
        // A disconnect between connecting and taking the event stream would go unnoticed.
        if !peripheral.is_connected().await.unwrap_or(false) {
            state.mark_disconnected();
        }
        tracing::info!(name = ?self.name, address = %self.address, endpoints = ?characteristics.keys().collect::<Vec<_>>(), "BLE device connected");
        Ok(Arc::new(BleHardware {
            name: self.name.clone(),
            address: self.address.clone(),
            endpoints: characteristics.keys().copied().collect(),
            characteristics,
            peripheral: peripheral.clone(),
            state,
            warned: Mutex::new(HashSet::new()),
            _stop: stop,
        }))
    }
}

/// Maps the plan's endpoints onto the discovered characteristics: only services the device has,
/// missing characteristics are logged and left out. The first mapping of an endpoint wins.
fn map_endpoints(plan: &ConnectPlan, services: &[Service], address: &str) -> BTreeMap<Endpoint, Characteristic> {
    let mut map = BTreeMap::new();
    for (service_text, endpoints) in &plan.ble_endpoints {
        let Ok(service_uuid) = Uuid::parse_str(service_text) else {
            tracing::warn!(service = %service_text, "not a UUID in the device's service map");
            continue;
        };
        let Some(service) = services.iter().find(|service| service.uuid == service_uuid) else {
            tracing::debug!(%address, service = %service_uuid, "service not present on the device");
            continue;
        };
        for (endpoint, characteristic_text) in endpoints {
            let Ok(characteristic_uuid) = Uuid::parse_str(characteristic_text) else {
                tracing::warn!(%endpoint, characteristic = %characteristic_text, "not a UUID in the device's endpoint map");
                continue;
            };
            match service.characteristics.iter().find(|c| c.uuid == characteristic_uuid) {
                Some(characteristic) => {
                    if map.contains_key(endpoint) {
                        tracing::warn!(%address, %endpoint, "endpoint mapped by two services; keeping the first");
                    } else {
                        map.insert(*endpoint, characteristic.clone());
                    }
                }
                None => tracing::warn!(
                    %address, service = %service_uuid, %endpoint, characteristic = %characteristic_uuid,
                    "characteristic missing on the device; endpoint not available"
                ),
            }
        }
    }
    map
}

/// The write type to use for a request, given what the characteristic supports; the flag says
/// whether it differs from what was asked.
fn choose_write_type(properties: CharPropFlags, with_response: bool) -> Option<(WriteType, bool)> {
    let with = properties.contains(CharPropFlags::WRITE);
    let without = properties.contains(CharPropFlags::WRITE_WITHOUT_RESPONSE);
    match (with_response, with, without) {
        (true, true, _) => Some((WriteType::WithResponse, false)),
        (true, false, true) => Some((WriteType::WithoutResponse, true)),
        (false, _, true) => Some((WriteType::WithoutResponse, false)),
        (false, true, false) => Some((WriteType::WithResponse, true)),
        _ => None,
    }
}

/// Connection state shared by a [`BleHardware`] and its notification task.
struct LinkState {
    sender: broadcast::Sender<Notification>,
    connected: AtomicBool,
    subscribed: Mutex<HashSet<Endpoint>>,
}

impl LinkState {
    fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Marks the link gone and broadcasts [`Notification::Disconnected`], once.
    fn mark_disconnected(&self) {
        if self.connected.swap(false, Ordering::SeqCst) {
            let _ = self.sender.send(Notification::Disconnected);
        }
    }
}

/// Forwards GATT notifications of subscribed endpoints and watches for the disconnect; ends
/// when the device disconnects or its [`BleHardware`] is dropped.
async fn link_task(
    state: Arc<LinkState>,
    id: PeripheralId,
    by_uuid: HashMap<(Uuid, Uuid), Endpoint>,
    mut notifications: std::pin::Pin<Box<dyn futures_util::Stream<Item = btleplug::api::ValueNotification> + Send>>,
    mut adapter_events: std::pin::Pin<Box<dyn futures_util::Stream<Item = CentralEvent> + Send>>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            notification = notifications.next() => match notification {
                Some(notification) => {
                    let endpoint = by_uuid
                        .get(&(notification.service_uuid, notification.uuid))
                        .or_else(|| by_uuid.iter().find(|((_, uuid), _)| *uuid == notification.uuid).map(|(_, e)| e));
                    if let Some(endpoint) = endpoint {
                        if lock(&state.subscribed).contains(endpoint) {
                            let _ = state.sender.send(Notification::Data { endpoint: *endpoint, bytes: notification.value });
                        }
                    }
                }
                None => break,
            },
            event = adapter_events.next() => match event {
                Some(CentralEvent::DeviceDisconnected(gone)) if gone == id => break,
                Some(_) => {}
                None => break,
            },
        }
    }
    tracing::info!(device = %id, "BLE device disconnected");
    state.mark_disconnected();
}

/// A connected BLE peripheral.
struct BleHardware {
    name: String,
    address: String,
    endpoints: Vec<Endpoint>,
    characteristics: BTreeMap<Endpoint, Characteristic>,
    peripheral: Peripheral,
    state: Arc<LinkState>,
    /// Endpoints whose write type was already warned about (warn once, not per packet).
    warned: Mutex<HashSet<(Endpoint, bool)>>,
    /// Dropping this ends the notification task.
    _stop: oneshot::Sender<()>,
}

impl BleHardware {
    fn characteristic(&self, endpoint: Endpoint) -> Result<&Characteristic, HardwareError> {
        if !self.state.is_connected() {
            return Err(HardwareError::Disconnected);
        }
        self.characteristic_of(endpoint)
    }

    fn characteristic_of(&self, endpoint: Endpoint) -> Result<&Characteristic, HardwareError> {
        self.characteristics.get(&endpoint).ok_or(HardwareError::NoEndpoint(endpoint))
    }

    /// Turns a btleplug failure into a [`HardwareError`].
    fn failure(&self, what: &str, endpoint: Endpoint, error: btleplug::Error) -> HardwareError {
        let message = error.to_string();
        if !self.state.is_connected()
            || matches!(error, btleplug::Error::NotConnected)
            || message.contains("NotConnected")
        {
            HardwareError::Disconnected
        } else {
            HardwareError::Io(format!("BLE {what} on {endpoint} of {}: {message}", self.address))
        }
    }
}

impl Hardware for BleHardware {
    fn name(&self) -> &str {
        &self.name
    }

    fn address(&self) -> &str {
        &self.address
    }

    fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    fn write(&self, write: Write) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            let characteristic = self.characteristic(write.endpoint)?;
            let Some((kind, changed)) = choose_write_type(characteristic.properties, write.with_response) else {
                return Err(HardwareError::Unsupported(format!(
                    "endpoint {} ({}) cannot be written",
                    write.endpoint, characteristic.uuid
                )));
            };
            if changed && lock(&self.warned).insert((write.endpoint, write.with_response)) {
                tracing::warn!(
                    address = %self.address,
                    endpoint = %write.endpoint,
                    asked = if write.with_response { "with response" } else { "without response" },
                    "the characteristic does not support the requested write type; using the other one"
                );
            }
            self.peripheral
                .write(characteristic, &write.data, kind)
                .await
                .map_err(|error| self.failure("write", write.endpoint, error))
        })
    }

    fn read(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<Vec<u8>, HardwareError>> {
        Box::pin(async move {
            let characteristic = self.characteristic(endpoint)?;
            self.peripheral.read(characteristic).await.map_err(|error| self.failure("read", endpoint, error))
        })
    }

    fn subscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            let characteristic = self.characteristic(endpoint)?;
            // Mark first: a notification may arrive before the subscribe call returns.
            if !lock(&self.state.subscribed).insert(endpoint) {
                return Ok(());
            }
            match self.peripheral.subscribe(characteristic).await {
                Ok(()) => Ok(()),
                Err(error) => {
                    lock(&self.state.subscribed).remove(&endpoint);
                    Err(self.failure("subscribe", endpoint, error))
                }
            }
        })
    }

    fn unsubscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            let characteristic = self.characteristic(endpoint)?;
            if !lock(&self.state.subscribed).remove(&endpoint) {
                return Ok(());
            }
            self.peripheral
                .unsubscribe(characteristic)
                .await
                .map_err(|error| self.failure("unsubscribe", endpoint, error))
        })
    }

    fn notifications(&self) -> broadcast::Receiver<Notification> {
        self.state.sender.subscribe()
    }

    fn is_connected(&self) -> bool {
        self.state.is_connected()
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            if !self.state.is_connected() {
                return Ok(());
            }
            let peripheral = &self.peripheral;
            // Only disconnect a device BlueZ still has connected: a disconnect call on one that
            // is already gone can hang.
            let result = tokio::time::timeout(DISCONNECT_TIMEOUT, async {
                if peripheral.is_connected().await? {
                    peripheral.disconnect().await?;
                }
                Ok::<(), btleplug::Error>(())
            })
            .await;
            self.state.mark_disconnected();
            match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(HardwareError::Io(format!("BLE disconnect of {}: {error}", self.address))),
                Err(_) => {
                    tracing::warn!(address = %self.address, "BLE disconnect timed out; treating the device as gone");
                    Err(HardwareError::Io(format!("BLE disconnect of {} timed out", self.address)))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use btleplug::api::BDAddr;

    #[test]
    fn ble_errors_become_plain_reasons_and_remedies() {
        let cases = [
            (
                "org.freedesktop.DBus.Error.ServiceUnknown: The name org.bluez was not provided by any .service files",
                "BlueZ is not running",
                "sudo systemctl start bluetooth",
            ),
            (
                "Failed to connect to socket /run/dbus/system_bus_socket: No such file or directory",
                "D-Bus system bus",
                "systemctl start dbus",
            ),
            ("org.freedesktop.DBus.Error.AccessDenied: nope", "not allowed", "bluetooth` group"),
            ("something odd", "Bluetooth does not work: something odd", "systemctl status bluetooth"),
        ];
        for (message, reason_part, remedy_part) in cases {
            let HardwareStatus::Unavailable { reason, remedy } = unavailable_from_error(message) else {
                panic!("{message} should be unavailable");
            };
            assert!(reason.contains(reason_part), "{message}: {reason}");
            assert!(remedy.contains(remedy_part), "{message}: {remedy}");
        }
        assert!(matches!(no_adapter(), HardwareStatus::Unavailable { remedy, .. } if remedy.contains("4.0+")));
        assert!(matches!(powered_off(), HardwareStatus::Unavailable { remedy, .. } if remedy == "turn Bluetooth on"));
    }

    #[test]
    fn ble_write_type_follows_the_characteristic() {
        let both = CharPropFlags::WRITE | CharPropFlags::WRITE_WITHOUT_RESPONSE;
        assert_eq!(choose_write_type(both, true), Some((WriteType::WithResponse, false)));
        assert_eq!(choose_write_type(both, false), Some((WriteType::WithoutResponse, false)));
        assert_eq!(choose_write_type(CharPropFlags::WRITE, false), Some((WriteType::WithResponse, true)));
        assert_eq!(
            choose_write_type(CharPropFlags::WRITE_WITHOUT_RESPONSE, true),
            Some((WriteType::WithoutResponse, true))
        );
        assert_eq!(choose_write_type(CharPropFlags::NOTIFY | CharPropFlags::READ, true), None);
    }

    #[test]
    fn ble_advertisement_needs_a_name_or_services() {
        let address = BDAddr::from([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01]);
        let mut properties = PeripheralProperties { address, ..Default::default() };
        assert_eq!(advertisement_from(&properties), None);
        // BlueZ's alias of a nameless device is its address: not a name.
        properties.local_name = Some("AA-BB-CC-DD-EE-01".into());
        assert_eq!(advertisement_from(&properties), None);

        let service = Uuid::parse_str("6E400001-B5A3-F393-E0A9-E50E24DCCA9E").unwrap();
        properties.services = vec![service, service];
        properties.manufacturer_data = HashMap::from([(0x0f00, vec![2]), (0x0001, vec![1])]);
        let advertisement = advertisement_from(&properties).unwrap();
        assert_eq!(advertisement.name, "");
        assert_eq!(advertisement.services, vec!["6e400001-b5a3-f393-e0a9-e50e24dcca9e".to_string()]);
        assert_eq!(advertisement.manufacturer_data, vec![(0x0001, vec![1]), (0x0f00, vec![2])]);

        properties.local_name = Some("Alias".into());
        properties.advertisement_name = Some("LVS-Z36".into());
        assert_eq!(advertisement_from(&properties).unwrap().name, "LVS-Z36");
        properties.advertisement_name = None;
        assert_eq!(advertisement_from(&properties).unwrap().name, "Alias");
    }

    #[test]
    fn ble_endpoint_mapping_uses_only_present_services_and_characteristics() {
        let nus = Uuid::parse_str("6e400001-b5a3-f393-e0a9-e50e24dcca9e").unwrap();
        let tx = Uuid::parse_str("6e400002-b5a3-f393-e0a9-e50e24dcca9e").unwrap();
        let rx = Uuid::parse_str("6e400003-b5a3-f393-e0a9-e50e24dcca9e").unwrap();
        let characteristic = |uuid| Characteristic {
            uuid,
            service_uuid: nus,
            properties: CharPropFlags::WRITE,
            descriptors: Default::default(),
        };
        let services = vec![Service {
            uuid: nus,
            primary: true,
            characteristics: [characteristic(tx), characteristic(rx)].into_iter().collect(),
        }];
        let mut plan = ConnectPlan::default();
        plan.ble_endpoints.insert(
            "6E400001-B5A3-F393-E0A9-E50E24DCCA9E".into(),
            BTreeMap::from([
                (Endpoint::Tx, tx.to_string()),
                (Endpoint::Rx, rx.to_string()),
                (Endpoint::TxVibrate, "6e4000ff-b5a3-f393-e0a9-e50e24dcca9e".into()),
            ]),
        );
        plan.ble_endpoints.insert(
            "0000fff0-0000-1000-8000-00805f9b34fb".into(),
            BTreeMap::from([(Endpoint::Command, "0000fff1-0000-1000-8000-00805f9b34fb".into())]),
        );
        let map = map_endpoints(&plan, &services, "test");
        assert_eq!(map.keys().copied().collect::<Vec<_>>(), vec![Endpoint::Rx, Endpoint::Tx]);
        assert_eq!(map[&Endpoint::Tx].uuid, tx);
    }
}
