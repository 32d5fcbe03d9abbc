//! The device manager: every connected device, its output levels, and who set them.
//!
//! Several clients may drive one device; the latest command wins per output. Every output
//! records its *owner*, the client that last set it, so that a client's stop or disconnect
//! stops only what that client started (the official JS clients send StopAllDevices on every
//! clean disconnect, which must not stop another game's outputs). The front end's STOP ALL
//! passes no owner and stops everything.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use plugboard_protocol::convert::DeviceLookup;
use plugboard_protocol::model::{
    DeviceInfo, FeatureCommand, InputCommand, InputType, OutputType, Range, Reading, StopScope,
};
use plugboard_protocol::Error;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config::store;
use crate::device_inputs::ReadingSink;
use crate::device_task::{DeviceTask, OutputLimit, Slot, SlotChange, TaskCommand};
use crate::hardware::Hardware;
use crate::hardware_state::HardwareState;
use crate::protocols::{self, Advertisement};
use crate::transport::virtual_device::VirtualHardware;
use crate::transport::HardwareStatus;
use crate::virtual_device::VirtualDeviceSpec;
pub use crate::ClientId;

/// How often front ends' battery readings are refreshed.
const BATTERY_POLL: Duration = Duration::from_secs(300);

/// Something that changed about the devices.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEvent {
    Added(Arc<DeviceInfo>),
    Removed {
        index: u32,
    },
    OutputChanged {
        device_index: u32,
        feature_index: u32,
        kind: OutputType,
        value: i32,
        owner: Option<ClientId>,
    },
    /// The scan that clients asked for finished: a transport finished its pass and none is
    /// still looking. A scan where nothing can look stays open until it is stopped.
    ScanningFinished,
    /// A new battery reading (front ends show it; clients ask for their own).
    Battery {
        index: u32,
        percent: u8,
    },
    /// A device's description changed (the user renamed it).
    Changed(Arc<DeviceInfo>),
    /// A transport became usable or unusable (Bluetooth off, BlueZ missing...).
    HardwareStatus {
        transport: &'static str,
        status: HardwareStatus,
    },
}

/// A reading of a subscribed input, for the clients subscribed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEvent {
    pub device_index: u32,
    pub feature_index: u32,
    pub reading: Reading,
    /// The clients subscribed to this input when the reading arrived.
    pub subscribers: Arc<[ClientId]>,
}

/// The current level of one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLevel {
    pub feature_index: u32,
    pub kind: OutputType,
    pub value: i32,
    /// The client that set it last; `None` if nobody has yet, or the front end stopped it.
    pub owner: Option<ClientId>,
}

/// A device and the levels of all its outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSnapshot {
    pub info: DeviceInfo,
    pub outputs: Vec<OutputLevel>,
    /// Where it is: BLE address, serial port, websocket device address, `virtual:<n>`.
    pub address: String,
    /// `ble`, `serial`, `websocket` or `virtual`.
    pub transport: &'static str,
    /// The device-config protocol that drives it.
    pub protocol: String,
    /// The last battery reading in percent, for devices that have a battery.
    pub battery: Option<u8>,
}

#[derive(Debug, Clone, Copy, Default)]
struct OutputState {
    value: i32,
    duration_ms: Option<u32>,
    owner: Option<ClientId>,
}

/// What is behind a device entry: its device task, which drives the hardware (a transport's,
/// or [`VirtualHardware`] for virtual devices: one path serves both).
struct Backend {
    task: mpsc::UnboundedSender<TaskCommand>,
    /// Output key to the task's slot.
    slots: HashMap<(u32, OutputType), usize>,
    /// The transport address (`virtual:<n>` for virtual devices).
    address: String,
    /// The in-process hardware of a virtual device.
    virtual_hardware: Option<Arc<VirtualHardware>>,
    transport: &'static str,
    protocol: String,
}

/// How the manager reaches a device the connect pipeline set up: its task and where it is.
pub(crate) struct DeviceLink {
    /// The device task's commands.
    pub(crate) task: mpsc::UnboundedSender<TaskCommand>,
    /// Output key to the task's slot.
    pub(crate) slots: HashMap<(u32, OutputType), usize>,
    /// The transport address.
    pub(crate) address: String,
    pub(crate) transport: &'static str,
    pub(crate) protocol: String,
}

struct Entry {
    info: Arc<DeviceInfo>,
    backend: Backend,
    outputs: BTreeMap<(u32, OutputType), OutputState>,
    /// The last battery reading, in percent.
    battery: Option<u8>,
    /// The clients subscribed to each input, by (feature index, type). An input is in the
    /// map only while somebody is subscribed, and then its device task delivers its readings.
    subscribers: BTreeMap<(u32, InputType), BTreeSet<ClientId>>,
}

#[derive(Default)]
struct Devices(BTreeMap<u32, Entry>);

impl DeviceLookup for Devices {
    fn device(&self, index: u32) -> Option<&DeviceInfo> {
        self.0.get(&index).map(|entry| entry.info.as_ref())
    }
}

/// The devices whose address passes a filter.
struct VisibleDevices<'a, F> {
    devices: &'a Devices,
    visible: F,
}

impl<F: Fn(&str) -> bool> DeviceLookup for VisibleDevices<'_, F> {
    fn device(&self, index: u32) -> Option<&DeviceInfo> {
        let entry = self.devices.0.get(&index)?;
        (self.visible)(&entry.backend.address).then_some(entry.info.as_ref())
    }
}

/// Holds every device; cheap to share (`Arc<DeviceManager>`).
pub struct DeviceManager {
    devices: Mutex<Devices>,
    /// What the connect pipeline and the user's device settings work with.
    hardware: Mutex<HardwareState>,
    /// Everything but output changes: what client sessions follow.
    events: broadcast::Sender<DeviceEvent>,
    /// Output changes only. They come with every command, so they have a channel of their own:
    /// front ends show them, client sessions never wake up for them.
    levels: broadcast::Sender<DeviceEvent>,
    /// Readings of subscribed inputs: a channel of their own, since inputs can stream.
    readings: broadcast::Sender<InputEvent>,
    /// Device tasks running (see [`DeviceManager::device_tasks`]).
    running_tasks: Arc<AtomicUsize>,
    /// Held while the user config is written (see `save_user_config`).
    saving: Mutex<()>,
}

/// Counts one running device task while it lives.
pub(crate) struct TaskGuard(Arc<AtomicUsize>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for DeviceManager {
    fn default() -> Self {
        DeviceManager {
            devices: Mutex::new(Devices::default()),
            hardware: Mutex::new(HardwareState::default()),
            events: broadcast::channel(1024).0,
            levels: broadcast::channel(1024).0,
            readings: broadcast::channel(1024).0,
            running_tasks: Arc::default(),
            saving: Mutex::new(()),
        }
    }
}

impl DeviceManager {
    pub fn new() -> Arc<DeviceManager> {
        Arc::new(DeviceManager::default())
    }

    fn lock(&self) -> MutexGuard<'_, Devices> {
        // A panic while holding this lock cannot leave the map half-updated in a way that
        // matters more than refusing every later command would, so recover the guard.
        self.devices.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn emit(&self, event: DeviceEvent) {
        // No subscribers is fine.
        let _ = match event {
            DeviceEvent::OutputChanged { .. } => self.levels.send(event),
            _ => self.events.send(event),
        };
    }

    /// How many device tasks are running: one per connected device, from its connection until
    /// it has stopped its outputs and let go of the hardware. Equal to the number of devices
    /// once things settle; more means a task outlived its device.
    pub fn device_tasks(&self) -> usize {
        self.running_tasks.load(Ordering::SeqCst)
    }

    /// Counts a device task from now until the guard is dropped.
    pub(crate) fn task_guard(&self) -> TaskGuard {
        self.running_tasks.fetch_add(1, Ordering::SeqCst);
        TaskGuard(self.running_tasks.clone())
    }

    /// Change notifications except output changes: devices added, removed and renamed,
    /// batteries, scans, hardware status. For client sessions and front ends.
    pub fn subscribe(&self) -> broadcast::Receiver<DeviceEvent> {
        self.events.subscribe()
    }

    /// [`DeviceEvent::OutputChanged`] only, for front ends that show levels.
    pub fn subscribe_levels(&self) -> broadcast::Receiver<DeviceEvent> {
        self.levels.subscribe()
    }

    /// Readings of subscribed inputs, each with the clients it is for.
    pub fn subscribe_readings(&self) -> broadcast::Receiver<InputEvent> {
        self.readings.subscribe()
    }

    /// Where device `device_index`'s task sends its readings: to the clients subscribed to
    /// the input at that moment (none: the reading goes nowhere).
    pub(crate) fn reading_sink(self: &Arc<Self>, device_index: u32) -> ReadingSink {
        let manager = Arc::downgrade(self);
        Box::new(move |feature_index, reading| {
            let Some(manager) = manager.upgrade() else { return };
            let subscribers: Arc<[ClientId]> = {
                let devices = manager.lock();
                let Some(entry) = devices.0.get(&device_index) else { return };
                match entry.subscribers.get(&(feature_index, reading.input_type())) {
                    Some(clients) if !clients.is_empty() => clients.iter().copied().collect(),
                    _ => return,
                }
            };
            let _ = manager.readings.send(InputEvent { device_index, feature_index, reading, subscribers });
        })
    }

    /// Adds a virtual device at the lowest free index and announces it.
    ///
    /// The device is a [`VirtualHardware`] of the `virtual` transport, driven like any other
    /// device: the `virtual` protocol identifies and initialises it, and a device task (no
    /// message gap) encodes and writes its levels. The task is spawned on the current tokio
    /// runtime (this must be called inside one); commands sent before it starts wait for it.
    pub fn add_virtual(self: &Arc<Self>, spec: VirtualDeviceSpec) -> Arc<DeviceInfo> {
        self.add_virtual_at(spec, None)
    }

    /// Adds a virtual device at `preferred` if that index is free, else the lowest free one.
    pub(crate) fn add_virtual_at(self: &Arc<Self>, spec: VirtualDeviceSpec, preferred: Option<u32>) -> Arc<DeviceInfo> {
        let (info, hardware, slots, receiver) = {
            let reserved = self.reserved_indexes();
            let mut devices = self.lock();
            let index = preferred.filter(|i| !devices.0.contains_key(i)).unwrap_or_else(|| {
                (0u32..).find(|i| !devices.0.contains_key(i) && !reserved.contains(i)).expect("fewer than 2^32 devices")
            });
            let info = Arc::new(spec.device_info(index));
            let hardware = Arc::new(VirtualHardware::new(&spec, index));
            let mut slots = Vec::new();
            let mut slot_of = HashMap::new();
            for feature in &info.features {
                for output in &feature.outputs {
                    slot_of.insert((feature.index, output.kind), slots.len());
                    slots.push(Slot { feature_index: feature.index, kind: output.kind, advertised: output.range });
                }
            }
            let (task, receiver) = mpsc::unbounded_channel();
            let backend = Backend {
                task,
                slots: slot_of,
                address: hardware.address().to_owned(),
                virtual_hardware: Some(hardware.clone()),
                transport: "virtual",
                protocol: "virtual".to_owned(),
            };
            let outputs = outputs_of(&info);
            devices.0.insert(
                index,
                Entry { info: info.clone(), backend, outputs, battery: None, subscribers: BTreeMap::new() },
            );
            (info, hardware, slots, receiver)
        };
        let (guard, task_info) = (self.task_guard(), info.clone());
        tokio::spawn(async move {
            run_virtual(hardware, task_info, slots, receiver).await;
            drop(guard);
        });
        tracing::info!(index = info.index, name = %info.name, "device added");
        self.emit(DeviceEvent::Added(info.clone()));
        self.watch_battery(&info);
        info
    }

    /// Reads the battery of a device that has one now and then, for front ends (clients
    /// read it themselves). Ends when the device is gone (at once, not at the next reading:
    /// devices that come and go would leave a sleeping task behind each time).
    pub(crate) fn watch_battery(self: &Arc<Self>, info: &DeviceInfo) {
        let Some(feature) = info.features.iter().find(|f| {
            f.input(InputType::Battery).is_some_and(|i| i.can(plugboard_protocol::model::InputCommand::Read))
        }) else {
            return;
        };
        let (index, feature_index, manager) = (info.index, feature.index, Arc::downgrade(self));
        let Some(address) = self.address_of(index) else { return };
        let mut events = self.subscribe();
        tokio::spawn(async move {
            loop {
                let Some(this) = manager.upgrade() else { return };
                // Stop once the device is gone (or another one took its index).
                if this.address_of(index).as_deref() != Some(address.as_str()) {
                    return;
                }
                if let Ok(Reading::Battery(percent)) = this.read(index, feature_index, InputType::Battery).await {
                    let changed =
                        this.lock().0.get_mut(&index).is_some_and(|e| e.battery.replace(percent) != Some(percent));
                    if changed {
                        this.emit(DeviceEvent::Battery { index, percent });
                    }
                }
                drop(this);
                let removed = async {
                    loop {
                        match events.recv().await {
                            Ok(DeviceEvent::Removed { index: removed }) if removed == index => return,
                            Ok(_) => {}
                            Err(broadcast::error::RecvError::Lagged(_)) => {
                                let there = manager.upgrade().and_then(|this| this.address_of(index));
                                if there.as_deref() != Some(address.as_str()) {
                                    return;
                                }
                            }
                            Err(broadcast::error::RecvError::Closed) => return,
                        }
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(BATTERY_POLL) => {}
                    _ = removed => {}
                }
            }
        });
    }

    /// Removes a device (its outputs stop with it) and announces it.
    pub fn remove(&self, index: u32) -> bool {
        let removed = self.lock().0.remove(&index);
        if let Some(Entry { backend, .. }) = &removed {
            // The task stops the outputs and disconnects; its reply is not needed here.
            let (done, _) = oneshot::channel();
            let _ = backend.task.send(TaskCommand::Shutdown(done));
        }
        let removed = removed.is_some();
        if removed {
            tracing::info!(index, "device removed");
            self.emit(DeviceEvent::Removed { index });
        }
        removed
    }

    /// Every device, in index order.
    pub fn devices(&self) -> Vec<Arc<DeviceInfo>> {
        self.lock().0.values().map(|entry| entry.info.clone()).collect()
    }

    /// Every device with its output levels.
    pub fn snapshot(&self) -> Vec<DeviceSnapshot> {
        self.lock()
            .0
            .values()
            .map(|entry| DeviceSnapshot {
                info: (*entry.info).clone(),
                outputs: entry
                    .outputs
                    .iter()
                    .map(|(&(feature_index, kind), state)| OutputLevel {
                        feature_index,
                        kind,
                        value: state.value,
                        owner: state.owner,
                    })
                    .collect(),
                address: entry.backend.address.clone(),
                transport: entry.backend.transport,
                protocol: entry.backend.protocol.clone(),
                battery: entry.battery,
            })
            .collect()
    }

    /// The current level of one output.
    pub fn output_level(&self, device_index: u32, feature_index: u32, kind: OutputType) -> Option<i32> {
        self.lock().0.get(&device_index)?.outputs.get(&(feature_index, kind)).map(|state| state.value)
    }

    /// Runs `f` with a view of the devices for converting client messages.
    pub fn with_lookup<R>(&self, f: impl FnOnce(&dyn DeviceLookup) -> R) -> R {
        f(&*self.lock())
    }

    /// Like [`DeviceManager::with_lookup`], but `f` sees only the devices whose address
    /// `visible` accepts; the others look like devices that are not connected.
    pub fn with_visible_lookup<R>(&self, visible: impl Fn(&str) -> bool, f: impl FnOnce(&dyn DeviceLookup) -> R) -> R {
        let devices = self.lock();
        f(&VisibleDevices { devices: &devices, visible })
    }

    /// Every device with its address (see [`DeviceSnapshot::address`]), in index order.
    pub fn devices_with_addresses(&self) -> Vec<(Arc<DeviceInfo>, String)> {
        self.lock().0.values().map(|entry| (entry.info.clone(), entry.backend.address.clone())).collect()
    }

    /// Applies a batch of output commands from `client` to one device, as one change: the
    /// device task encodes them together. The client becomes the owner of every output it set,
    /// even when the value did not change.
    pub fn command(&self, client: ClientId, device_index: u32, commands: &[FeatureCommand]) -> Result<(), Error> {
        let mut changed = Vec::new();
        {
            let mut devices = self.lock();
            let entry = devices.0.get_mut(&device_index).ok_or_else(|| Error::device_not_available(device_index))?;
            // Checked first, so that a batch with one bad entry changes nothing.
            for command in commands {
                if !entry.outputs.contains_key(&(command.feature_index, command.command.kind)) {
                    return Err(Error::device(format!(
                        "Feature {} of device {} has no {} output.",
                        command.feature_index,
                        device_index,
                        command.command.kind.v4_name()
                    )));
                }
            }
            let mut changes = Vec::with_capacity(commands.len());
            for command in commands {
                let key = (command.feature_index, command.command.kind);
                let Some(state) = entry.outputs.get_mut(&key) else { continue };
                state.owner = Some(client);
                // Every command goes to the device task, which knows what was really written
                // (an output never written since connect is in an unknown state, so even a
                // value equal to the assumed 0 must go out); front ends hear only of changes.
                changes.extend(entry.backend.change(key, command.command.value, command.command.duration_ms));
                if state.value != command.command.value || state.duration_ms != command.command.duration_ms {
                    state.value = command.command.value;
                    state.duration_ms = command.command.duration_ms;
                    changed.push(DeviceEvent::OutputChanged {
                        device_index,
                        feature_index: command.feature_index,
                        kind: command.command.kind,
                        value: command.command.value,
                        owner: Some(client),
                    });
                }
            }
            entry.backend.send(changes, false);
        }
        for event in changed {
            self.emit(event);
        }
        Ok(())
    }

    /// Stops the outputs in `scope`. With `owner`, the outputs that client set last and those
    /// nobody set (never another client's); with `None` (the user's STOP ALL), every output.
    /// Positions are left where they are.
    ///
    /// Every device gets one urgent change with all its stopped outputs (docs/architecture.md,
    /// Safety): its task encodes them together and writes at once, ahead of the message gap.
    pub fn stop(&self, owner: Option<ClientId>, scope: StopScope) -> Result<(), Error> {
        if scope.inputs {
            self.end_subscriptions(owner, scope)?;
        }
        if !scope.outputs {
            return Ok(());
        }
        let mut changed = Vec::new();
        {
            let mut devices = self.lock();
            if let Some(index) = scope.device_index {
                if !devices.0.contains_key(&index) {
                    return Err(Error::device_not_available(index));
                }
            }
            for (&device_index, entry) in devices.0.iter_mut() {
                if scope.device_index.is_some_and(|wanted| wanted != device_index) {
                    continue;
                }
                let mut stops = Vec::new();
                for (&(feature_index, kind), state) in entry.outputs.iter_mut() {
                    let in_scope = scope.feature_index.is_none_or(|wanted| wanted == feature_index);
                    let owned = owner.is_none() || state.owner == owner || state.owner.is_none();
                    if !(in_scope && owned && kind.stops_at_zero()) {
                        continue;
                    }
                    let was_running = state.value != 0;
                    // Also to outputs Plugboard believes at rest: the device task writes the
                    // stop where the output's state is not known, and drops it elsewhere.
                    state.value = 0;
                    state.duration_ms = None;
                    stops.extend(entry.backend.change((feature_index, kind), 0, None));
                    if was_running {
                        changed.push(DeviceEvent::OutputChanged {
                            device_index,
                            feature_index,
                            kind,
                            value: 0,
                            owner: state.owner,
                        });
                    }
                }
                entry.backend.send(stops, true);
            }
        }
        if !changed.is_empty() {
            tracing::debug!(?owner, stopped = changed.len(), "outputs stopped");
        }
        for event in changed {
            self.emit(event);
        }
        Ok(())
    }

    /// Reads an input.
    pub async fn read(&self, device_index: u32, feature_index: u32, kind: InputType) -> Result<Reading, Error> {
        let cannot =
            || Error::device(format!("Device {device_index} cannot read {kind:?} on feature {feature_index}."));
        let task = {
            let devices = self.lock();
            let entry = devices.0.get(&device_index).ok_or_else(|| Error::device_not_available(device_index))?;
            entry.info.feature(feature_index).and_then(|feature| feature.input(kind)).ok_or_else(cannot)?;
            if kind != InputType::Battery {
                return Err(cannot());
            }
            entry.backend.task.clone()
        };
        let (reply, answer) = oneshot::channel();
        task.send(TaskCommand::Battery(reply)).map_err(|_| Error::device_not_available(device_index))?;
        match tokio::time::timeout(Duration::from_secs(3), answer).await {
            Ok(Ok(Ok(percent))) => Ok(Reading::Battery(percent.min(100))),
            Ok(Ok(Err(error))) => {
                Err(Error::device(format!("Device {device_index} did not report its battery: {error}.")))
            }
            Ok(Err(_)) => Err(Error::device_not_available(device_index)),
            Err(_) => {
                Err(Error::device(format!("Device {device_index} did not answer the battery read within 3 seconds.")))
            }
        }
    }

    /// Subscribes `client` to an input: its readings come as [`InputEvent`]s from now on. The
    /// first subscriber of an input has the device start delivering it; subscribing again is
    /// no error.
    pub async fn subscribe_input(
        &self,
        client: ClientId,
        device_index: u32,
        feature_index: u32,
        kind: InputType,
    ) -> Result<(), Error> {
        let task = {
            let mut devices = self.lock();
            let entry = devices.0.get_mut(&device_index).ok_or_else(|| Error::device_not_available(device_index))?;
            let allowed = entry
                .info
                .feature(feature_index)
                .and_then(|f| f.input(kind))
                .is_some_and(|input| input.can(InputCommand::Subscribe));
            if !allowed {
                return Err(Error::device(format!(
                    "Device {device_index} cannot subscribe to {kind:?} on feature {feature_index}."
                )));
            }
            let clients = entry.subscribers.entry((feature_index, kind)).or_default();
            let first = clients.is_empty();
            clients.insert(client);
            if !first {
                return Ok(());
            }
            entry.backend.task.clone()
        };
        let (reply, answer) = oneshot::channel();
        let error = if task.send(TaskCommand::Subscribe { feature_index, kind, reply }).is_err() {
            Error::device_not_available(device_index)
        } else {
            match tokio::time::timeout(Duration::from_secs(3), answer).await {
                Ok(Ok(Ok(()))) => return Ok(()),
                Ok(Ok(Err(error))) => {
                    Error::device(format!("Device {device_index} could not subscribe to {kind:?}: {error}."))
                }
                Ok(Err(_)) => Error::device_not_available(device_index),
                Err(_) => Error::device(format!(
                    "Device {device_index} did not start sending {kind:?} readings within 3 seconds."
                )),
            }
        };
        // The device cannot deliver the input: forgotten, so that a later subscriber tries again.
        if let Some(entry) = self.lock().0.get_mut(&device_index) {
            entry.subscribers.remove(&(feature_index, kind));
        }
        Err(error)
    }

    /// Ends `client`'s subscription to an input (none: nothing to do). The device stops
    /// delivering it when its last subscriber leaves.
    pub fn unsubscribe_input(&self, client: ClientId, device_index: u32, feature_index: u32, kind: InputType) {
        let mut devices = self.lock();
        let Some(entry) = devices.0.get_mut(&device_index) else { return };
        let Some(clients) = entry.subscribers.get_mut(&(feature_index, kind)) else { return };
        clients.remove(&client);
        if clients.is_empty() {
            entry.subscribers.remove(&(feature_index, kind));
            let _ = entry.backend.task.send(TaskCommand::Unsubscribe { feature_index, kind });
        }
    }

    /// Ends the subscriptions in `scope`: `owner`'s, or everybody's for `None`.
    fn end_subscriptions(&self, owner: Option<ClientId>, scope: StopScope) -> Result<(), Error> {
        let ended: Vec<(u32, u32, InputType, Vec<ClientId>)> = {
            let devices = self.lock();
            if let Some(index) = scope.device_index {
                if !devices.0.contains_key(&index) {
                    return Err(Error::device_not_available(index));
                }
            }
            devices
                .0
                .iter()
                .filter(|(&index, _)| scope.device_index.is_none_or(|wanted| wanted == index))
                .flat_map(|(&index, entry)| {
                    entry
                        .subscribers
                        .iter()
                        .filter(|((feature, _), _)| scope.feature_index.is_none_or(|wanted| wanted == *feature))
                        .map(move |(&(feature, kind), clients)| {
                            let clients = clients.iter().copied().filter(|c| owner.is_none_or(|o| o == *c));
                            (index, feature, kind, clients.collect())
                        })
                })
                .collect()
        };
        for (device_index, feature_index, kind, clients) in ended {
            for client in clients {
                self.unsubscribe_input(client, device_index, feature_index, kind);
            }
        }
        Ok(())
    }

    /// The in-process hardware of virtual device `index`: what was really written to it.
    pub fn virtual_hardware(&self, index: u32) -> Option<Arc<VirtualHardware>> {
        self.lock().0.get(&index)?.backend.virtual_hardware.clone()
    }

    /// Indexes the user config keeps for known devices, so other devices do not take them.
    fn reserved_indexes(&self) -> BTreeSet<u32> {
        self.hardware().user.devices.values().filter_map(|device| device.index).collect()
    }

    /// The state of hardware support (database, user config, transports, scans), locked.
    pub(crate) fn hardware(&self) -> MutexGuard<'_, HardwareState> {
        self.hardware.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The index of the connected device at `address`.
    pub fn index_of(&self, address: &str) -> Option<u32> {
        self.lock().0.iter().find(|(_, entry)| entry.backend.address == address).map(|(&index, _)| index)
    }

    /// The address of the connected device at `index`.
    pub fn address_of(&self, index: u32) -> Option<String> {
        self.lock().0.get(&index).map(|entry| entry.backend.address.clone())
    }

    /// The indexes of the devices listed now.
    pub(crate) fn indexes_in_use(&self) -> BTreeSet<u32> {
        self.lock().0.keys().copied().collect()
    }

    /// Lists a device the connect pipeline set up, driven through `link`: at `index` if that
    /// is free, else at the lowest free index (a virtual device may sit on the index the user
    /// config keeps for it). `describe` gives its description at the index it gets. Not
    /// announced: the caller does that.
    pub(crate) fn add_connected(
        &self,
        index: u32,
        describe: impl FnOnce(u32) -> DeviceInfo,
        link: DeviceLink,
    ) -> Arc<DeviceInfo> {
        let mut devices = self.lock();
        let index = if devices.0.contains_key(&index) {
            (0u32..).find(|i| !devices.0.contains_key(i)).expect("fewer than 2^32 devices")
        } else {
            index
        };
        let info = Arc::new(describe(index));
        let backend = Backend {
            task: link.task,
            slots: link.slots,
            address: link.address,
            virtual_hardware: None,
            transport: link.transport,
            protocol: link.protocol,
        };
        let outputs = outputs_of(&info);
        let entry = Entry { info: info.clone(), backend, outputs, battery: None, subscribers: BTreeMap::new() };
        devices.0.insert(index, entry);
        info
    }

    /// Takes every device off the list, unannounced, and gives their tasks (engine stop: the
    /// caller shuts each one down).
    pub(crate) fn take_all(&self) -> Vec<mpsc::UnboundedSender<TaskCommand>> {
        let mut devices = self.lock();
        let indexes: Vec<u32> = devices.0.keys().copied().collect();
        indexes.into_iter().filter_map(|index| Some(devices.0.remove(&index)?.backend.task)).collect()
    }

    /// Gives the connected device at `address` the display name clients see; its new
    /// description, if it is connected.
    pub(crate) fn set_display_name(&self, address: &str, display_name: Option<String>) -> Option<Arc<DeviceInfo>> {
        let mut devices = self.lock();
        devices.0.values_mut().find(|entry| entry.backend.address == address).map(|entry| {
            let mut info = (*entry.info).clone();
            info.display_name = display_name;
            entry.info = Arc::new(info);
            entry.info.clone()
        })
    }

    /// Sends the connected device at `address` new output limits, one for each output of its
    /// task: `limit_of(feature index, output type, advertised range)`.
    pub(crate) fn send_limits(&self, address: &str, limit_of: impl Fn(u32, OutputType, Range) -> OutputLimit) {
        let devices = self.lock();
        if let Some(entry) = devices.0.values().find(|entry| entry.backend.address == address) {
            let mut limits = vec![OutputLimit::full(Range::new(0, 0)); entry.backend.slots.len()];
            for (&(feature, kind), &slot) in &entry.backend.slots {
                let advertised = entry
                    .info
                    .feature(feature)
                    .and_then(|f| f.output(kind))
                    .map(|o| o.range)
                    .unwrap_or(Range::new(0, 0));
                limits[slot] = limit_of(feature, kind, advertised);
            }
            let _ = entry.backend.task.send(TaskCommand::Limits(limits));
        }
    }

    /// Writes the user config as it stands now. Saves take turns, and each takes its copy of
    /// the config once it has its turn: two devices connecting at once both end up in the
    /// file, never an older copy written over a newer one.
    pub(crate) fn save_user_config(&self) {
        let _turn = self.saving.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let config = {
            let hardware = self.hardware();
            hardware.user_path.clone().map(|path| (path, hardware.user.clone()))
        };
        if let Some((path, config)) = config {
            match store::save_user_config(&path, &config) {
                Ok(Some(warning)) => tracing::warn!(%warning, "user device config"),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "could not save the user device config"),
            }
        }
    }
}

fn outputs_of(info: &DeviceInfo) -> BTreeMap<(u32, OutputType), OutputState> {
    info.features
        .iter()
        .flat_map(|f| f.outputs.iter().map(move |o| ((f.index, o.kind), OutputState::default())))
        .collect()
}

impl Backend {
    /// The task's change for a new level of the output `key`; `None` if the task has no such
    /// output.
    fn change(&self, key: (u32, OutputType), value: i32, duration_ms: Option<u32>) -> Option<SlotChange> {
        self.slots.get(&key).map(|&slot| SlotChange { slot, value, duration_ms })
    }

    /// Passes the changes of one request to the device task, as one command.
    fn send(&self, changes: Vec<SlotChange>, urgent: bool) {
        if !changes.is_empty() {
            let _ = self.task.send(TaskCommand::Set { changes, urgent });
        }
    }
}

/// Connects a virtual device the way the pipeline connects hardware (identify, initialise,
/// device task) and runs its task until the device is removed.
async fn run_virtual(
    hardware: Arc<VirtualHardware>,
    info: Arc<DeviceInfo>,
    slots: Vec<Slot>,
    commands: mpsc::UnboundedReceiver<TaskCommand>,
) {
    let protocol = protocols::by_name("virtual").expect("the virtual protocol is registered");
    let advertisement = Advertisement::named(hardware.spec().kind.cli_name());
    let handler = async {
        let identifier = protocol.identify(&*hardware, &advertisement).await?;
        protocol.initialize(&*hardware, identifier.as_deref(), &info.features).await
    };
    let handler = match handler.await {
        Ok(handler) => handler,
        Err(error) => {
            tracing::warn!(index = info.index, %error, "could not initialise a virtual device");
            return;
        }
    };
    let task = DeviceTask::new(hardware, handler, slots, Vec::new(), Duration::ZERO);
    task.run(commands).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::user::UserDevice;
    use crate::testing::wait_until;
    use crate::virtual_device::VirtualKind;
    use plugboard_protocol::model::OutputCommand;

    /// How long the device tasks get to catch up.
    const WAIT: Duration = Duration::from_secs(5);

    fn cmd(feature_index: u32, kind: OutputType, value: i32, duration_ms: Option<u32>) -> FeatureCommand {
        FeatureCommand { feature_index, command: OutputCommand { kind, value, duration_ms } }
    }

    fn scope(device_index: Option<u32>) -> StopScope {
        StopScope { device_index, feature_index: None, inputs: true, outputs: true }
    }

    /// Every output level of every device, as the manager records it and as the virtual
    /// hardware was written, once the device tasks have caught up.
    async fn agree(manager: &DeviceManager) -> Vec<(u32, u32, OutputType, i32)> {
        let recorded = || -> Vec<(u32, u32, OutputType, i32)> {
            manager
                .snapshot()
                .iter()
                .flat_map(|d| d.outputs.iter().map(move |o| (d.info.index, o.feature_index, o.kind, o.value)))
                .collect()
        };
        let written = || -> Vec<(u32, u32, OutputType, i32)> {
            manager
                .devices()
                .iter()
                .flat_map(|d| {
                    let hw = manager.virtual_hardware(d.index).expect("virtual");
                    hw.levels().into_iter().map(move |l| (d.index, l.feature_index, l.kind, l.value))
                })
                .collect()
        };
        let both = async || (recorded(), written());
        let what = "the virtual hardware to be written what the manager recorded (recorded, written)";
        wait_until(what, WAIT, both, |(recorded, written)| recorded == written).await.0
    }

    #[tokio::test]
    async fn virtual_devices_are_driven_through_their_hardware() {
        let manager = DeviceManager::new();
        manager.hardware().user.devices.insert("aa:bb".into(), UserDevice { index: Some(1), ..UserDevice::default() });
        let mut events = manager.subscribe();
        let vibrator = manager.add_virtual(VirtualDeviceSpec::new(VirtualKind::DualVibrator));
        let max = manager.add_virtual(VirtualDeviceSpec::named(VirtualKind::LovenseMax, "Max"));
        let spinner = manager.add_virtual(VirtualDeviceSpec::new(VirtualKind::Rotator));
        let stroker = manager.add_virtual(VirtualDeviceSpec::new(VirtualKind::Stroker));
        assert_eq!([vibrator.index, max.index, spinner.index, stroker.index], [0, 2, 3, 4], "index 1 is reserved");
        assert!(matches!(events.try_recv(), Ok(DeviceEvent::Added(info)) if info.index == 0));
        let hw = manager.virtual_hardware(max.index).unwrap();
        assert_eq!((hw.name(), hw.address()), ("Max", "virtual:2"));

        // Commands, including the ends of every range and a move with a duration.
        manager.command(7, 0, &[cmd(0, OutputType::Vibrate, 20, None), cmd(1, OutputType::Vibrate, 1, None)]).unwrap();
        manager
            .command(7, 2, &[cmd(0, OutputType::Vibrate, 13, None), cmd(1, OutputType::Constrict, 3, None)])
            .unwrap();
        manager.command(8, 3, &[cmd(0, OutputType::Rotate, -20, None)]).unwrap();
        manager.command(8, 4, &[cmd(0, OutputType::HwPositionWithDuration, 100, Some(60_000))]).unwrap();
        manager.command(8, 4, &[cmd(0, OutputType::Position, 0, None)]).unwrap();
        let levels = agree(&manager).await;
        assert!(levels.contains(&(2, 1, OutputType::Constrict, 3)));
        assert!(levels.contains(&(3, 0, OutputType::Rotate, -20)));
        assert!(levels.contains(&(4, 0, OutputType::HwPositionWithDuration, 100)));
        assert_eq!(hw.level(0, OutputType::Vibrate), Some(13));
        assert_eq!(manager.output_level(2, 0, OutputType::Vibrate), Some(13));

        // Client 7's stop leaves client 8's outputs running; a front-end stop stops the rest
        // but leaves positions where they are.
        manager.stop(Some(7), scope(None)).unwrap();
        let levels = agree(&manager).await;
        assert!(levels.contains(&(2, 0, OutputType::Vibrate, 0)) && levels.contains(&(3, 0, OutputType::Rotate, -20)));
        manager.command(8, 3, &[cmd(0, OutputType::Rotate, 5, None)]).unwrap();
        agree(&manager).await;
        manager.stop(None, scope(Some(3))).unwrap();
        assert_eq!(agree(&manager).await.iter().find(|l| l.0 == 3).unwrap().3, 0);
        manager.stop(None, scope(None)).unwrap();
        let levels = agree(&manager).await;
        assert!(levels.contains(&(4, 0, OutputType::HwPositionWithDuration, 100)), "positions stay");
        assert!(levels.iter().filter(|l| l.2.stops_at_zero()).all(|l| l.3 == 0));

        // Battery through the protocol's read, from the task.
        assert_eq!(manager.read(2, 2, InputType::Battery).await, Ok(Reading::Battery(80)));
        assert!(manager.read(0, 0, InputType::Battery).await.is_err(), "a vibrator has no battery");

        // Removing stops the outputs and disconnects the hardware.
        manager.command(1, 2, &[cmd(0, OutputType::Vibrate, 9, None)]).unwrap();
        agree(&manager).await;
        assert!(manager.remove(2));
        wait_until("the removed device's hardware to disconnect", WAIT, async || hw.is_connected(), |&up| !up).await;
        assert_eq!(hw.level(0, OutputType::Vibrate), Some(0));
        assert!(manager.virtual_hardware(2).is_none());
        assert_eq!(
            manager.add_virtual(VirtualDeviceSpec::new(VirtualKind::Vibrator)).index,
            2,
            "the index is free again"
        );
    }
}
