//! From "a transport found something" to "a device clients can drive" (docs/architecture.md,
//! Devices): match against the database, allow/deny, connect, identify, look up the
//! definition, apply the user's settings, initialise, give it its stable index, start its
//! task. And scanning, counted per client.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use plugboard_protocol::model::{DeviceInfo, Feature};
use tokio::sync::mpsc;

use crate::config::database::Database;
use crate::config::matching::{self, Discovered};
use crate::config::user::{AddressDecision, UserConfig};
use crate::device_task::{DeviceTask, OutputLimit, Slot};
use crate::hardware::{Endpoint, Hardware};
use crate::manager::{outputs_of, Backend, ClientId, DeviceEvent, DeviceManager, Entry};
use crate::protocols::{self, Advertisement};
use crate::transport::{ConnectPlan, EventSender, FoundDevice, HardwareStatus, Transport, TransportEvent};

/// The message gap of BLE devices whose definition sets none: BLE links drop or delay
/// writes that come faster.
const BLE_DEFAULT_GAP: Duration = Duration::from_millis(75);
/// How often a missing known device is looked for.
const RECONNECT_POLL: Duration = Duration::from_secs(2);

impl DeviceManager {
    /// Turns on hardware support: the device database, the user config (saved to
    /// `user_path` when it changes) and a channel for transports to report on. Returns the
    /// sender to build transports with; add them with [`DeviceManager::add_transport`].
    pub fn attach_hardware(
        self: &Arc<Self>,
        database: Database,
        user: UserConfig,
        user_path: Option<PathBuf>,
    ) -> EventSender {
        {
            let mut hardware = self.hardware();
            hardware.database = Some(Arc::new(database));
            hardware.user = user;
            hardware.user_path = user_path;
        }
        let (sender, mut receiver) = mpsc::unbounded_channel();
        let manager = Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some(event) = receiver.recv().await {
                let Some(manager) = manager.upgrade() else { return };
                manager.on_transport_event(event);
            }
        });
        sender
    }

    /// Connects a device that something other than the engine's transports found, through
    /// matching, its protocol and a device task like any found device: a simulated peripheral
    /// in tests (`testing::FakeConnector`).
    #[cfg(any(test, feature = "testing"))]
    pub fn connect_found_device(self: &Arc<Self>, found: FoundDevice) {
        self.clone().on_transport_event(TransportEvent::Found(found));
    }

    pub fn add_transport(&self, transport: Arc<dyn Transport>) {
        let status = transport.status();
        let name = transport.name();
        let mut hardware = self.hardware();
        hardware.statuses.insert(name, status);
        hardware.transports.push(transport);
    }

    /// Every transport's status (for the Hardware view).
    pub fn hardware_statuses(&self) -> BTreeMap<&'static str, HardwareStatus> {
        self.hardware().statuses.clone()
    }

    /// The user config as it stands.
    pub fn user_config(&self) -> UserConfig {
        self.hardware().user.clone()
    }

    /// `client` wants devices found. The first scanner starts every transport; later ones
    /// join the running scan.
    ///
    /// The scan finishes (ScanningFinished) when a transport has finished a pass and none is
    /// still looking. Where nothing can scan (no transports, only the device-websocket server,
    /// which has nothing to look for, or Bluetooth unavailable), the scan stays open until the
    /// client stops it, as the reference server keeps it: a client that calls StopScanning
    /// after StartScanning (buttplug-py does) must find its scan still running.
    pub async fn start_scanning(&self, client: ClientId) {
        let (first, transports) = {
            let mut hardware = self.hardware();
            let first = hardware.scanning.is_empty();
            hardware.scanning.insert(client);
            if first {
                hardware.scans_running = hardware.transports.iter().filter(|t| t.scans()).map(|t| t.name()).collect();
                hardware.scan_pass_finished = false;
            }
            (first, hardware.transports.clone())
        };
        if !first {
            return;
        }
        for transport in transports {
            if let Err(error) = transport.start_scanning().await {
                tracing::warn!(transport = transport.name(), %error, "could not start scanning");
                self.transport_cannot_scan(transport.name());
            }
        }
    }

    /// `client` no longer wants devices found (also on disconnect). The scan stops when the
    /// last scanner stops.
    pub async fn stop_scanning(&self, client: ClientId) {
        let transports = {
            let mut hardware = self.hardware();
            if !hardware.scanning.remove(&client) || !hardware.scanning.is_empty() {
                return;
            }
            hardware.scans_running.clear();
            hardware.transports.clone()
        };
        for transport in transports {
            if let Err(error) = transport.stop_scanning().await {
                tracing::debug!(transport = transport.name(), %error, "stopping a scan failed");
            }
        }
    }

    /// Whether `client` is among the scanners (sessions forward ScanningFinished only then).
    pub fn is_scanning(&self, client: ClientId) -> bool {
        self.hardware().scanning.contains(&client)
    }

    /// A transport finished its pass of the current scan.
    fn transport_scan_finished(&self, name: &'static str) {
        let done = {
            let mut hardware = self.hardware();
            if !hardware.scans_running.remove(name) || hardware.scanning.is_empty() {
                return;
            }
            hardware.scan_pass_finished = true;
            hardware.scans_running.is_empty()
        };
        if done {
            self.finish_scan();
        }
    }

    /// A transport could not start scanning: the scan no longer waits for it, but it does not
    /// finish because of it either (nothing was looked for).
    fn transport_cannot_scan(&self, name: &'static str) {
        let done = {
            let mut hardware = self.hardware();
            hardware.scans_running.remove(name)
                && hardware.scans_running.is_empty()
                && hardware.scan_pass_finished
                && !hardware.scanning.is_empty()
        };
        if done {
            self.finish_scan();
        }
    }

    fn finish_scan(&self) {
        self.emit(DeviceEvent::ScanningFinished);
        // Scanners were told; the next StartScanning starts a new scan.
        self.hardware().scanning.clear();
    }

    fn on_transport_event(self: Arc<Self>, event: TransportEvent) {
        match event {
            TransportEvent::Found(found) => {
                tokio::spawn(async move { self.connect_found(found).await });
            }
            TransportEvent::ScanningFinished { transport } => self.transport_scan_finished(transport),
            TransportEvent::Status { transport, status } => {
                tracing::info!(transport, ?status, "hardware status");
                self.hardware().statuses.insert(transport, status.clone());
                self.emit(DeviceEvent::HardwareStatus { transport, status });
            }
        }
    }

    async fn connect_found(self: Arc<Self>, found: FoundDevice) {
        let address = found.address.clone();
        let already = self.lock().0.values().any(|entry| entry.backend.address == address);
        let (database, candidates) = {
            let mut hardware = self.hardware();
            let Some(database) = hardware.database.clone() else { return };
            if already || !hardware.connecting.insert(address.clone()) {
                return;
            }
            match hardware.user.address_decision(&address) {
                AddressDecision::Allowed => {}
                decision => {
                    hardware.connecting.remove(&address);
                    tracing::info!(%address, ?decision, "not connecting: the user config does not allow this device");
                    return;
                }
            }
            let candidates = matching::candidates(&database, &hardware.user, &found.discovered);
            (database, candidates)
        };
        if candidates.is_empty() {
            tracing::debug!(%address, discovered = ?found.discovered, "no protocol matches");
        }
        for candidate in candidates {
            match self.try_protocol(&database, &found, &candidate.protocol, candidate.serial).await {
                Ok(()) => break,
                Err(error) => tracing::warn!(%address, protocol = %candidate.protocol, %error, "could not connect"),
            }
        }
        self.hardware().connecting.remove(&address);
    }

    async fn try_protocol(
        self: &Arc<Self>,
        database: &Database,
        found: &FoundDevice,
        protocol_name: &str,
        serial: Option<crate::config::database::SerialSettings>,
    ) -> Result<(), String> {
        let protocol = protocols::by_name(protocol_name).ok_or("no implementation of this protocol")?;
        let entry = database.protocol(protocol_name).ok_or("not in the device database")?;
        let ble_endpoints = entry
            .endpoints
            .iter()
            .map(|(service, map)| {
                let map = map
                    .iter()
                    .filter_map(|(name, uuid)| Some((name.parse::<Endpoint>().ok()?, uuid.clone())))
                    .collect();
                (service.clone(), map)
            })
            .collect();
        let hardware =
            found.connector.connect(ConnectPlan { ble_endpoints, serial }).await.map_err(|e| e.to_string())?;
        let advertisement = advertisement_of(&found.discovered);
        let result = self.initialise(database, protocol, hardware.clone(), found, &advertisement).await;
        if result.is_err() {
            let _ = hardware.disconnect().await;
        }
        result
    }

    async fn initialise(
        self: &Arc<Self>,
        database: &Database,
        protocol: &'static dyn protocols::Protocol,
        hardware: Arc<dyn Hardware>,
        found: &FoundDevice,
        advertisement: &Advertisement,
    ) -> Result<(), String> {
        let identifier = protocol.identify(&*hardware, advertisement).await.map_err(|e| e.to_string())?;
        let definition = database
            .definition(protocol.definition_protocol(identifier.as_deref()), identifier.as_deref())
            .ok_or_else(|| match &identifier {
                Some(identifier) => format!(
                    "the device database does not know the model {identifier:?} and {} has no defaults",
                    protocol.name()
                ),
                None => format!("the device database has no definition for {}", protocol.name()),
            })?;
        if definition.features.iter().all(|feature| feature.outputs.is_empty()) {
            let models = database.protocol(&definition.protocol).map(|def| def.models.as_slice()).unwrap_or_default();
            let examples: Vec<&str> =
                models.iter().filter_map(|model| model.identifiers.first()).map(String::as_str).take(4).collect();
            tracing::warn!(
                address = %found.address,
                identifier = identifier.as_deref().unwrap_or(""),
                protocol = protocol.name(),
                "the device is none of the models the device database knows for its protocol, whose defaults have no \
                 outputs: it connects with nothing to drive. A device that announces a model's identifier (such as {}) \
                 is that model",
                examples.join(", ")
            );
        }
        let handler = protocol
            .initialize_advertised(&*hardware, advertisement, identifier.as_deref(), &definition.features)
            .await
            .map_err(|e| e.to_string())?;

        let address = found.address.clone();
        // A new device does not take the index of one already connected (a virtual device), so
        // the index it is saved with is the one clients see.
        let in_use: std::collections::BTreeSet<u32> = self.lock().0.keys().copied().collect();
        let (index, user_device) = {
            let mut hw = self.hardware();
            let index = hw.user.assign_index_avoiding(&address, protocol.name(), identifier.as_deref(), &in_use);
            (index, hw.user.device(&address).cloned().unwrap_or_default())
        };
        self.save_user_config();

        // What clients see: the definition minus the outputs the user disabled.
        let features: Vec<Feature> = definition
            .features
            .iter()
            .map(|feature| {
                let mut visible = feature.clone();
                visible.outputs.retain(|o| !user_device.output(feature.index, o.kind).is_some_and(|s| s.disabled));
                visible
            })
            .collect();
        let transport_gap = if found.transport == "ble" { BLE_DEFAULT_GAP } else { Duration::ZERO };
        let gap = user_device
            .message_gap_ms
            .or(definition.message_gap_ms)
            .map(|ms| Duration::from_millis(ms.into()))
            .unwrap_or(transport_gap);
        // The task sees every output of the definition (disabled ones are held at rest).
        let mut slots = Vec::new();
        let mut limits = Vec::new();
        let mut slot_of = HashMap::new();
        for feature in &definition.features {
            for output in &feature.outputs {
                slot_of.insert((feature.index, output.kind), slots.len());
                slots.push(Slot { feature_index: feature.index, kind: output.kind, advertised: output.range });
                limits.push(match user_device.output(feature.index, output.kind) {
                    Some(setting) => {
                        OutputLimit { range: setting.hardware_range(output.range), disabled: setting.disabled }
                    }
                    None => OutputLimit::full(output.range),
                });
            }
        }
        let (task_sender, task_receiver) = mpsc::unbounded_channel();
        // The task listens for the disconnect from here on; one that came earlier (while the
        // device was identified and set up) it would never hear of, and the device would stay
        // listed with nothing behind it.
        let connected = hardware.clone();
        let task = DeviceTask::new(hardware, handler, slots, limits, gap);
        if !connected.is_connected() {
            return Err("the device disconnected while it was being set up".into());
        }

        let info = {
            let mut devices = self.lock();
            // A virtual device may sit on the index the user config keeps for this one.
            let index = if devices.0.contains_key(&index) {
                (0u32..).find(|i| !devices.0.contains_key(i)).expect("fewer than 2^32 devices")
            } else {
                index
            };
            let info = Arc::new(DeviceInfo {
                index,
                name: definition.name.clone(),
                display_name: user_device.display_name.clone(),
                message_gap_ms: gap.as_millis() as u32,
                features,
            });
            let outputs = outputs_of(&info);
            devices.0.insert(
                index,
                Entry {
                    info: info.clone(),
                    backend: Backend {
                        task: task_sender,
                        slots: slot_of,
                        address: address.clone(),
                        virtual_hardware: None,
                        transport: found.transport,
                        protocol: protocol.name().to_owned(),
                    },
                    outputs,
                    battery: None,
                    subscribers: BTreeMap::new(),
                },
            );
            info
        };
        let task = task.report_readings(self.reading_sink(info.index));
        tracing::info!(index = info.index, name = %info.name, %address, protocol = protocol.name(), "device connected");
        self.emit(DeviceEvent::Added(info.clone()));
        self.watch_battery(&info);

        let manager = Arc::downgrade(self);
        let index = info.index;
        let transport = found.transport;
        let guard = self.task_guard();
        tokio::spawn(async move {
            let gone = task.run(task_receiver).await;
            drop(guard);
            if gone {
                tracing::info!(index, %address, "device disconnected");
                if let Some(manager) = manager.upgrade() {
                    manager.remove_if_hardware(index, &address);
                    manager.watch_for_return(address, transport);
                }
            }
        });
        Ok(())
    }

    /// A known device that went away (out of range, switched off, unplugged) is looked for
    /// until it is back, so it reconnects by itself (with its index) without anyone scanning.
    /// Websocket devices dial in again on their own; BLE scans until the device is seen;
    /// serial ports are looked at again every few seconds.
    fn watch_for_return(self: &Arc<Self>, address: String, transport_name: &'static str) {
        if transport_name == "websocket" {
            return;
        }
        let manager = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut started_ble_scan = false;
            loop {
                let Some(this) = manager.upgrade() else { return };
                let back = this.lock().0.values().any(|entry| entry.backend.address == address);
                let transport = this.hardware().transports.iter().find(|t| t.name() == transport_name).cloned();
                let Some(transport) = transport else { return }; // engine stopping
                if back {
                    // Leave the radio alone unless a client is scanning.
                    if started_ble_scan && this.hardware().scanning.is_empty() {
                        let _ = transport.stop_scanning().await;
                    }
                    return;
                }
                if !this.hardware().user.is_allowed(&address) {
                    return; // the user denied it meanwhile
                }
                if transport_name != "ble" || !started_ble_scan {
                    if let Err(error) = transport.start_scanning().await {
                        tracing::debug!(%address, %error, "looking for a known device failed");
                    }
                    started_ble_scan = transport_name == "ble";
                }
                drop(this);
                tokio::time::sleep(RECONNECT_POLL).await;
            }
        });
    }

    /// Stops every output, disconnects every device and drops the transports (engine stop).
    pub async fn shutdown(&self) {
        let tasks: Vec<_> = {
            let mut devices = self.lock();
            let indexes: Vec<u32> = devices.0.keys().copied().collect();
            indexes.into_iter().filter_map(|index| Some(devices.0.remove(&index)?.backend.task)).collect()
        };
        for task in tasks {
            let (done, finished) = tokio::sync::oneshot::channel();
            if task.send(crate::device_task::TaskCommand::Shutdown(done)).is_ok() {
                let _ = tokio::time::timeout(Duration::from_secs(2), finished).await;
            }
        }
        let transports = std::mem::take(&mut self.hardware().transports);
        for transport in &transports {
            let _ = transport.stop_scanning().await;
        }
    }

    /// Removes a hardware device whose connection ended, unless the index was reused since.
    fn remove_if_hardware(&self, index: u32, address: &str) {
        let is_it = self.lock().0.get(&index).is_some_and(|entry| entry.backend.address == address);
        if is_it {
            self.remove(index);
        }
    }
}

/// What protocols get to identify a device by.
fn advertisement_of(discovered: &Discovered) -> Advertisement {
    match discovered {
        Discovered::Ble(ble) => {
            Advertisement { name: ble.name.clone(), manufacturer_data: ble.manufacturer_data.iter().cloned().collect() }
        }
        Discovered::Serial { port } => Advertisement::named(port),
        Discovered::Websocket { identifier } => Advertisement::named(identifier),
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::broadcast;

    use super::*;
    use crate::hardware::{BoxFuture, HardwareError};

    /// A transport that looks for devices (or, with `scans: false`, has nothing to look for)
    /// and can start scanning, or not (Bluetooth off).
    struct Scanner {
        name: &'static str,
        scans: bool,
        starts: bool,
    }

    impl Transport for Scanner {
        fn name(&self) -> &'static str {
            self.name
        }
        fn start_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
            let result = if self.starts { Ok(()) } else { Err(HardwareError::Io("no adapter".into())) };
            Box::pin(async move { result })
        }
        fn stop_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
            Box::pin(async { Ok(()) })
        }
        fn status(&self) -> HardwareStatus {
            HardwareStatus::Ready
        }
        fn scans(&self) -> bool {
            self.scans
        }
    }

    fn finished(events: &mut broadcast::Receiver<DeviceEvent>) -> bool {
        std::iter::from_fn(|| events.try_recv().ok()).any(|event| event == DeviceEvent::ScanningFinished)
    }

    #[tokio::test]
    async fn a_scan_with_nothing_to_scan_stays_open_until_stopped() {
        let manager = DeviceManager::new();
        let mut events = manager.subscribe();
        // Only virtual devices: no transport at all.
        manager.start_scanning(1).await;
        assert!(manager.is_scanning(1) && !finished(&mut events), "nothing can scan: the scan stays open");
        manager.stop_scanning(1).await;
        assert!(!manager.is_scanning(1) && !finished(&mut events));

        // The device-websocket server (nothing to look for) and Bluetooth that cannot start.
        let _sender = manager.attach_hardware(Database::builtin().unwrap(), UserConfig::default(), None);
        manager.add_transport(Arc::new(Scanner { name: "websocket", scans: false, starts: true }));
        manager.add_transport(Arc::new(Scanner { name: "ble", scans: true, starts: false }));
        manager.start_scanning(2).await;
        assert!(manager.is_scanning(2) && !finished(&mut events), "nothing could scan: the scan stays open");
        manager.stop_scanning(2).await;
        assert!(!manager.is_scanning(2));
    }

    #[tokio::test]
    async fn a_scan_that_finishes_for_real_says_so() {
        let manager = DeviceManager::new();
        let mut events = manager.subscribe();
        let sender = manager.attach_hardware(Database::builtin().unwrap(), UserConfig::default(), None);
        manager.add_transport(Arc::new(Scanner { name: "websocket", scans: false, starts: true }));
        manager.add_transport(Arc::new(Scanner { name: "serial", scans: true, starts: true }));
        manager.start_scanning(3).await;
        assert!(manager.is_scanning(3) && !finished(&mut events), "the serial pass is still running");
        sender.send(TransportEvent::ScanningFinished { transport: "serial" }).unwrap();
        let event = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match events.recv().await {
                    Ok(DeviceEvent::ScanningFinished) => return,
                    Ok(_) => {}
                    Err(error) => panic!("{error}"),
                }
            }
        })
        .await;
        assert!(event.is_ok(), "the serial pass finished, and with it the scan");
        assert!(!manager.is_scanning(3), "the scanners were told; the next StartScanning starts a new scan");
    }
}
