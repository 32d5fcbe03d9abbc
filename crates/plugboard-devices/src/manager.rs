//! The device manager: every connected device, its output levels, and who set them.
//!
//! Several clients may drive one device; the latest command wins per output. Every output
//! records its *owner*, the client that last set it, so that a client's stop or disconnect
//! stops only what that client started (the official JS clients send StopAllDevices on every
//! clean disconnect, which must not stop another game's outputs). The front end's STOP ALL
//! passes no owner and stops everything.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use plugboard_protocol::convert::DeviceLookup;
use plugboard_protocol::model::{DeviceInfo, FeatureCommand, InputType, OutputType, Reading, StopScope};
use plugboard_protocol::Error;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config::database::Database;
use crate::config::user::UserConfig;
use crate::device_task::TaskCommand;
use crate::transport::{HardwareStatus, Transport};
use crate::virtual_device::VirtualDeviceSpec;

/// Identifies a connected client (or a front end) as the owner of outputs.
pub type ClientId = u64;

/// Something that changed about the devices.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEvent {
    Added(Arc<DeviceInfo>),
    Removed { index: u32 },
    OutputChanged { device_index: u32, feature_index: u32, kind: OutputType, value: i32, owner: Option<ClientId> },
    /// Every transport finished the scan that clients asked for.
    ScanningFinished,
    /// A transport became usable or unusable (Bluetooth off, BlueZ missing...).
    HardwareStatus { transport: &'static str, status: HardwareStatus },
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
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OutputState {
    value: i32,
    duration_ms: Option<u32>,
    owner: Option<ClientId>,
}

/// What is behind a device entry.
pub(crate) enum Backend {
    Virtual(VirtualDeviceSpec),
    /// Real hardware, driven by its device task.
    Hardware {
        task: mpsc::UnboundedSender<TaskCommand>,
        /// Output key to the task's slot.
        slots: HashMap<(u32, OutputType), usize>,
        address: String,
    },
}

pub(crate) struct Entry {
    pub(crate) info: Arc<DeviceInfo>,
    pub(crate) backend: Backend,
    pub(crate) outputs: BTreeMap<(u32, OutputType), OutputState>,
}

/// Hardware support: device database, user config, transports, scanning.
#[derive(Default)]
pub(crate) struct HardwareState {
    pub(crate) database: Option<Arc<Database>>,
    pub(crate) user: UserConfig,
    /// Where changes to the user config are saved (`None`: not saved).
    pub(crate) user_path: Option<PathBuf>,
    pub(crate) transports: Vec<Arc<dyn Transport>>,
    /// Clients that asked for a scan and have not stopped it.
    pub(crate) scanning: BTreeSet<ClientId>,
    /// Transports still scanning for the current scan.
    pub(crate) scans_running: BTreeSet<&'static str>,
    /// Addresses being connected right now.
    pub(crate) connecting: BTreeSet<String>,
    pub(crate) statuses: BTreeMap<&'static str, HardwareStatus>,
}

#[derive(Default)]
pub(crate) struct Devices(pub(crate) BTreeMap<u32, Entry>);

impl DeviceLookup for Devices {
    fn device(&self, index: u32) -> Option<&DeviceInfo> {
        self.0.get(&index).map(|entry| entry.info.as_ref())
    }
}

/// Holds every device; cheap to share (`Arc<DeviceManager>`).
pub struct DeviceManager {
    devices: Mutex<Devices>,
    pub(crate) hardware: Mutex<HardwareState>,
    events: broadcast::Sender<DeviceEvent>,
}

impl Default for DeviceManager {
    fn default() -> Self {
        DeviceManager {
            devices: Mutex::new(Devices::default()),
            hardware: Mutex::new(HardwareState::default()),
            events: broadcast::channel(1024).0,
        }
    }
}

impl DeviceManager {
    pub fn new() -> Arc<DeviceManager> {
        Arc::new(DeviceManager::default())
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Devices> {
        // A panic while holding this lock cannot leave the map half-updated in a way that
        // matters more than refusing every later command would, so recover the guard.
        self.devices.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn emit(&self, event: DeviceEvent) {
        // No subscribers is fine.
        let _ = self.events.send(event);
    }

    /// Change notifications, for sessions and front ends.
    pub fn subscribe(&self) -> broadcast::Receiver<DeviceEvent> {
        self.events.subscribe()
    }

    /// Adds a virtual device at the lowest free index and announces it.
    pub fn add_virtual(&self, spec: VirtualDeviceSpec) -> Arc<DeviceInfo> {
        let info = {
            let reserved = self.reserved_indexes();
            let mut devices = self.lock();
            let index = (0u32..).find(|i| !devices.0.contains_key(i) && !reserved.contains(i)).expect("fewer than 2^32 devices");
            let info = Arc::new(spec.device_info(index));
            let outputs = outputs_of(&info);
            devices.0.insert(index, Entry { info: info.clone(), backend: Backend::Virtual(spec), outputs });
            info
        };
        tracing::info!(index = info.index, name = %info.name, "device added");
        self.emit(DeviceEvent::Added(info.clone()));
        info
    }

    /// Removes a device (its outputs stop with it) and announces it.
    pub fn remove(&self, index: u32) -> bool {
        let removed = self.lock().0.remove(&index);
        if let Some(Entry { backend: Backend::Hardware { task, .. }, .. }) = &removed {
            // The task stops the outputs and disconnects; its reply is not needed here.
            let (done, _) = oneshot::channel();
            let _ = task.send(TaskCommand::Shutdown(done));
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
                    .map(|(&(feature_index, kind), state)| OutputLevel { feature_index, kind, value: state.value, owner: state.owner })
                    .collect(),
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

    /// Applies a batch of output commands from `client` to one device. The client becomes the
    /// owner of every output it set, even when the value did not change.
    pub fn command(&self, client: ClientId, device_index: u32, commands: &[FeatureCommand]) -> Result<(), Error> {
        let mut changed = Vec::new();
        {
            let mut devices = self.lock();
            let entry = devices.0.get_mut(&device_index).ok_or_else(|| Error::device_not_available(device_index))?;
            for command in commands {
                let key = (command.feature_index, command.command.kind);
                let state = entry.outputs.get_mut(&key).ok_or_else(|| {
                    Error::device(format!(
                        "Feature {} of device {} has no {} output.",
                        command.feature_index,
                        device_index,
                        command.command.kind.v4_name()
                    ))
                })?;
                state.owner = Some(client);
                if state.value != command.command.value || state.duration_ms != command.command.duration_ms {
                    state.value = command.command.value;
                    state.duration_ms = command.command.duration_ms;
                    entry.backend.set(key, command.command.value, command.command.duration_ms, false);
                    changed.push(DeviceEvent::OutputChanged {
                        device_index,
                        feature_index: command.feature_index,
                        kind: command.command.kind,
                        value: command.command.value,
                        owner: Some(client),
                    });
                }
            }
        }
        for event in changed {
            self.emit(event);
        }
        Ok(())
    }

    /// Stops the outputs in `scope`. With `owner`, only the outputs that client set last;
    /// with `None` (the user's STOP ALL), every output. Positions are left where they are.
    pub fn stop(&self, owner: Option<ClientId>, scope: StopScope) -> Result<(), Error> {
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
                for (&(feature_index, kind), state) in entry.outputs.iter_mut() {
                    let in_scope = scope.feature_index.is_none_or(|wanted| wanted == feature_index);
                    let owned = owner.is_none() || state.owner == owner;
                    if in_scope && owned && kind.stops_at_zero() && state.value != 0 {
                        state.value = 0;
                        state.duration_ms = None;
                        entry.backend.set((feature_index, kind), 0, None, true);
                        changed.push(DeviceEvent::OutputChanged { device_index, feature_index, kind, value: 0, owner: state.owner });
                    }
                }
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
        let cannot = || Error::device(format!("Device {device_index} cannot read {kind:?} on feature {feature_index}."));
        let task = {
            let devices = self.lock();
            let entry = devices.0.get(&device_index).ok_or_else(|| Error::device_not_available(device_index))?;
            entry.info.feature(feature_index).and_then(|feature| feature.input(kind)).ok_or_else(cannot)?;
            match &entry.backend {
                Backend::Virtual(spec) => return spec.read(kind).ok_or_else(cannot),
                Backend::Hardware { task, .. } if kind == InputType::Battery => task.clone(),
                Backend::Hardware { .. } => return Err(cannot()),
            }
        };
        let (reply, answer) = oneshot::channel();
        task.send(TaskCommand::Battery(reply)).map_err(|_| Error::device_not_available(device_index))?;
        match tokio::time::timeout(Duration::from_secs(3), answer).await {
            Ok(Ok(Ok(percent))) => Ok(Reading::Battery(percent.min(100))),
            Ok(Ok(Err(error))) => Err(Error::device(format!("Device {device_index} did not report its battery: {error}."))),
            Ok(Err(_)) => Err(Error::device_not_available(device_index)),
            Err(_) => Err(Error::device(format!("Device {device_index} did not answer the battery read within 3 seconds."))),
        }
    }

    /// Indexes the user config keeps for known devices, so other devices do not take them.
    fn reserved_indexes(&self) -> BTreeSet<u32> {
        self.hardware().user.devices.values().filter_map(|device| device.index).collect()
    }

    pub(crate) fn hardware(&self) -> MutexGuard<'_, HardwareState> {
        self.hardware.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(crate) fn outputs_of(info: &DeviceInfo) -> BTreeMap<(u32, OutputType), OutputState> {
    info.features.iter().flat_map(|f| f.outputs.iter().map(move |o| ((f.index, o.kind), OutputState::default()))).collect()
}

impl Backend {
    /// Passes a new level to the hardware, if there is any behind this entry.
    fn set(&self, key: (u32, OutputType), value: i32, duration_ms: Option<u32>, urgent: bool) {
        if let Backend::Hardware { task, slots, .. } = self {
            if let Some(&slot) = slots.get(&key) {
                let _ = task.send(TaskCommand::Set { slot, value, duration_ms, urgent });
            }
        }
    }
}
