//! From "a transport found something" to "a device clients can drive" (docs/architecture.md,
//! Devices): match against the database, allow/deny, connect, identify, look up the
//! definition, apply the user's settings, initialise, give it its stable index, start its
//! task. And scanning, counted per client.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use plugboard_protocol::model::{DeviceInfo, Feature, OutputType, Range};
use tokio::sync::mpsc;

use crate::config::database::{Database, DeviceDefinition};
use crate::config::matching::{self, Discovered};
use crate::config::user::{AddressDecision, UserConfig, UserDevice};
use crate::device_task::{DeviceTask, OutputLimit, Slot, TaskCommand};
use crate::hardware::{Endpoint, Hardware};
use crate::manager::{ClientId, DeviceEvent, DeviceLink, DeviceManager};
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
        let already = self.index_of(&address).is_some();
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

    /// Identifies and sets up a connected device, lists it under its stable index and starts
    /// its task.
    async fn initialise(
        self: &Arc<Self>,
        database: &Database,
        protocol: &'static dyn protocols::Protocol,
        hardware: Arc<dyn Hardware>,
        found: &FoundDevice,
        advertisement: &Advertisement,
    ) -> Result<(), String> {
        let identifier = protocol.identify(&*hardware, advertisement).await.map_err(|e| e.to_string())?;
        let definition = definition_of(database, protocol, identifier.as_deref())?;
        if definition.features.iter().all(|feature| feature.outputs.is_empty()) {
            warn_nothing_to_drive(database, &definition, protocol, &found.address, identifier.as_deref());
        }
        let handler = protocol
            .initialize_advertised(&*hardware, advertisement, identifier.as_deref(), &definition.features)
            .await
            .map_err(|e| e.to_string())?;

        let address = found.address.clone();
        let (index, user_device) = self.assign_index(&address, protocol.name(), identifier.as_deref());
        let gap = message_gap(&user_device, &definition, found.transport);
        let outputs = TaskOutputs::of(&definition, &user_device);
        let (task_sender, task_receiver) = mpsc::unbounded_channel();
        // The task listens for the disconnect from here on; one that came earlier (while the
        // device was identified and set up) it would never hear of, and the device would stay
        // listed with nothing behind it.
        let connected = hardware.clone();
        let task = DeviceTask::new(hardware, handler, outputs.slots, outputs.limits, gap);
        if !connected.is_connected() {
            return Err("the device disconnected while it was being set up".into());
        }

        let describe = |index| DeviceInfo {
            index,
            name: definition.name.clone(),
            display_name: user_device.display_name.clone(),
            message_gap_ms: gap.as_millis() as u32,
            features: visible_features(&definition, &user_device),
        };
        let link = DeviceLink {
            task: task_sender,
            slots: outputs.slot_of,
            address: address.clone(),
            transport: found.transport,
            protocol: protocol.name().to_owned(),
        };
        // A virtual device may sit on the index the user config keeps for this one.
        let info = self.add_connected(index, describe, link);
        let task = task.report_readings(self.reading_sink(info.index));
        tracing::info!(index = info.index, name = %info.name, %address, protocol = protocol.name(), "device connected");
        self.emit(DeviceEvent::Added(info.clone()));
        self.watch_battery(&info);
        self.run_task(task, task_receiver, info.index, address, found.transport);
        Ok(())
    }

    /// The index a newly set up device is listed and saved under, and the user's settings for
    /// it. A new device does not take the index of one already connected (a virtual device),
    /// so the index it is saved with is the one clients see.
    fn assign_index(&self, address: &str, protocol: &str, identifier: Option<&str>) -> (u32, UserDevice) {
        let in_use = self.indexes_in_use();
        let assigned = {
            let mut hw = self.hardware();
            let index = hw.user.assign_index_avoiding(address, protocol, identifier, &in_use);
            (index, hw.user.device(address).cloned().unwrap_or_default())
        };
        self.save_user_config();
        assigned
    }

    /// Runs a connected device's task until the device goes; then takes it off the list and
    /// watches for it to come back.
    fn run_task(
        self: &Arc<Self>,
        task: DeviceTask,
        commands: mpsc::UnboundedReceiver<TaskCommand>,
        index: u32,
        address: String,
        transport: &'static str,
    ) {
        let manager = Arc::downgrade(self);
        let guard = self.task_guard();
        tokio::spawn(async move {
            let gone = task.run(commands).await;
            drop(guard);
            if gone {
                tracing::info!(index, %address, "device disconnected");
                if let Some(manager) = manager.upgrade() {
                    manager.remove_if_hardware(index, &address);
                    manager.watch_for_return(address, transport);
                }
            }
        });
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
                let back = this.index_of(&address).is_some();
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
        for task in self.take_all() {
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
        let is_it = self.address_of(index).as_deref() == Some(address);
        if is_it {
            self.remove(index);
        }
    }
}

/// The definition of the device `protocol` identified as `identifier` (its protocol's defaults
/// when the database does not know the model), or why there is none.
fn definition_of(
    database: &Database,
    protocol: &dyn protocols::Protocol,
    identifier: Option<&str>,
) -> Result<DeviceDefinition, String> {
    database.definition(protocol.definition_protocol(identifier), identifier).ok_or_else(|| match identifier {
        Some(identifier) => format!(
            "the device database does not know the model {identifier:?} and {} has no defaults",
            protocol.name()
        ),
        None => format!("the device database has no definition for {}", protocol.name()),
    })
}

/// Says that a device connects with nothing to drive: a model, or a protocol, that the
/// database gives no outputs (libo-karen, an X-Ring) is listed as such; a device that is none
/// of its protocol's known models, whose defaults have no outputs, gets a warning naming the
/// identifiers that would make it one.
fn warn_nothing_to_drive(
    database: &Database,
    definition: &DeviceDefinition,
    protocol: &dyn protocols::Protocol,
    address: &str,
    identifier: Option<&str>,
) {
    let models = database.protocol(&definition.protocol).map(|def| def.models.as_slice()).unwrap_or_default();
    if definition.identifier.is_some() || models.is_empty() {
        tracing::info!(
            address,
            protocol = protocol.name(),
            "the device database gives this device no outputs: it is listed with nothing to drive"
        );
        return;
    }
    let examples: Vec<&str> =
        models.iter().filter_map(|model| model.identifiers.first()).map(String::as_str).take(4).collect();
    tracing::warn!(
        address,
        identifier = identifier.unwrap_or(""),
        protocol = protocol.name(),
        "the device is none of the models the device database knows for its protocol, whose defaults have no \
         outputs: it connects with nothing to drive. A device that announces a model's identifier (such as {}) \
         is that model",
        examples.join(", ")
    );
}

/// What clients see of a device: its definition minus the outputs the user disabled.
fn visible_features(definition: &DeviceDefinition, user_device: &UserDevice) -> Vec<Feature> {
    definition
        .features
        .iter()
        .map(|feature| {
            let mut visible = feature.clone();
            visible.outputs.retain(|o| !user_device.output(feature.index, o.kind).is_some_and(|s| s.disabled));
            visible
        })
        .collect()
}

/// The least time between two writes to a device: the user's setting, else the definition's,
/// else the transport's default.
fn message_gap(user_device: &UserDevice, definition: &DeviceDefinition, transport: &str) -> Duration {
    let transport_gap = if transport == "ble" { BLE_DEFAULT_GAP } else { Duration::ZERO };
    user_device
        .message_gap_ms
        .or(definition.message_gap_ms)
        .map(|ms| Duration::from_millis(ms.into()))
        .unwrap_or(transport_gap)
}

/// The outputs a device task drives: every output of the definition (disabled ones are held
/// at rest), each with the limit the user set.
struct TaskOutputs {
    slots: Vec<Slot>,
    limits: Vec<OutputLimit>,
    /// (feature index, output type) to the task's slot.
    slot_of: HashMap<(u32, OutputType), usize>,
}

impl TaskOutputs {
    fn of(definition: &DeviceDefinition, user_device: &UserDevice) -> TaskOutputs {
        let mut outputs = TaskOutputs { slots: Vec::new(), limits: Vec::new(), slot_of: HashMap::new() };
        for feature in &definition.features {
            for output in &feature.outputs {
                outputs.slot_of.insert((feature.index, output.kind), outputs.slots.len());
                outputs.slots.push(Slot { feature_index: feature.index, kind: output.kind, advertised: output.range });
                outputs.limits.push(output_limit(user_device, feature.index, output.kind, output.range));
            }
        }
        outputs
    }
}

/// The limit a device task holds an output to: the part of its `advertised` range the user
/// chose, or all of it, and whether the user disabled it.
pub(crate) fn output_limit(user_device: &UserDevice, feature: u32, kind: OutputType, advertised: Range) -> OutputLimit {
    match user_device.output(feature, kind) {
        Some(setting) => OutputLimit { range: setting.hardware_range(advertised), disabled: setting.disabled },
        None => OutputLimit::full(advertised),
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

    use plugboard_protocol::model::Output;

    use super::*;
    use crate::config::database::DatabaseFormat;
    use crate::config::user::OutputSetting;
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

    /// A two-feature toy: a vibrator (0..=20) and a rotator (-10..=10) on feature 0, a
    /// vibrator on feature 1.
    fn two_feature_toy(message_gap_ms: Option<u32>) -> DeviceDefinition {
        let feature = |index, outputs| Feature { index, description: String::new(), outputs, inputs: Vec::new() };
        DeviceDefinition {
            protocol: "test".into(),
            identifier: None,
            name: "Toy".into(),
            variant: None,
            message_gap_ms,
            features: vec![
                feature(
                    0,
                    vec![
                        Output::new(OutputType::Vibrate, Range::new(0, 20)),
                        Output::new(OutputType::Rotate, Range::new(-10, 10)),
                    ],
                ),
                feature(1, vec![Output::new(OutputType::Vibrate, Range::new(0, 20))]),
            ],
        }
    }

    /// The user disabled feature 0's rotator and held feature 1's vibrator to 5..=10.
    fn narrowed_by_the_user() -> UserDevice {
        let setting = |feature, kind, limit, disabled| OutputSetting { feature, kind, limit, disabled };
        UserDevice {
            outputs: vec![
                setting(0, OutputType::Rotate, None, true),
                setting(1, OutputType::Vibrate, Some(Range::new(5, 10)), false),
            ],
            ..UserDevice::default()
        }
    }

    #[test]
    fn clients_do_not_see_the_outputs_the_user_disabled() {
        let features = visible_features(&two_feature_toy(None), &narrowed_by_the_user());
        let kinds: Vec<Vec<OutputType>> = features.iter().map(|f| f.outputs.iter().map(|o| o.kind).collect()).collect();
        assert_eq!(kinds, [vec![OutputType::Vibrate], vec![OutputType::Vibrate]]);
        let untouched = visible_features(&two_feature_toy(None), &UserDevice::default());
        assert_eq!(untouched, two_feature_toy(None).features);
    }

    #[test]
    fn the_task_drives_every_output_and_holds_disabled_ones_at_rest() {
        let outputs = TaskOutputs::of(&two_feature_toy(None), &narrowed_by_the_user());
        assert_eq!(outputs.slots.len(), 3, "the disabled rotator keeps its slot, to be held at rest");
        let slot = |feature, kind| outputs.slot_of[&(feature, kind)];
        let rotator = slot(0, OutputType::Rotate);
        assert_eq!((outputs.slots[rotator].feature_index, outputs.slots[rotator].kind), (0, OutputType::Rotate));
        assert!(outputs.limits[rotator].disabled);
        assert_eq!(outputs.limits[slot(0, OutputType::Vibrate)], OutputLimit::full(Range::new(0, 20)));
        let narrowed = outputs.limits[slot(1, OutputType::Vibrate)];
        assert_eq!(narrowed, OutputLimit { range: Range::new(5, 10), disabled: false });
    }

    #[test]
    fn the_message_gap_is_the_users_then_the_definitions_then_the_transports() {
        let users = UserDevice { message_gap_ms: Some(30), ..UserDevice::default() };
        assert_eq!(message_gap(&users, &two_feature_toy(Some(50)), "ble"), Duration::from_millis(30));
        let none = UserDevice::default();
        assert_eq!(message_gap(&none, &two_feature_toy(Some(50)), "ble"), Duration::from_millis(50));
        assert_eq!(message_gap(&none, &two_feature_toy(None), "ble"), BLE_DEFAULT_GAP);
        assert_eq!(message_gap(&none, &two_feature_toy(None), "serial"), Duration::ZERO);
    }

    #[test]
    fn a_model_the_database_does_not_know_gets_its_protocols_defaults_or_is_refused() {
        let database = Database::builtin().unwrap();
        let lovense = protocols::by_name("lovense").unwrap();
        assert_eq!(definition_of(&database, lovense, Some("B")).unwrap().identifier.as_deref(), Some("B"));
        let unknown = definition_of(&database, lovense, Some("no-such-model")).unwrap();
        assert_eq!(unknown.identifier, None, "the protocol's defaults");
        let empty = Database::new("test", DatabaseFormat::Plugboard, (1, 0), BTreeMap::new());
        let error = definition_of(&empty, lovense, None).unwrap_err();
        assert_eq!(error, "the device database has no definition for lovense");
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
