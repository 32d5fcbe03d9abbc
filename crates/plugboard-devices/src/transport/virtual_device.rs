//! The `virtual` transport: the engine's in-process virtual devices as [`Hardware`].
//!
//! A virtual device is connected like any other device (the `virtual` protocol, a device task,
//! encoded writes), only its hardware is this struct. [`VirtualHardware`] decodes what the
//! `virtual` protocol writes and records the level of every output, so tests and front ends
//! can see what a real toy would have been told. It has the endpoint `tx`, plus
//! `rxblebattery` for kinds with a battery (read: the kind's battery level). It never
//! disconnects by itself; removing the device disconnects it.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use plugboard_protocol::model::{InputType, OutputType, Reading};
use tokio::sync::{broadcast, watch};

use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError, Notification, Write};
use crate::protocols::virtual_protocol::Packet;
use crate::virtual_device::VirtualDeviceSpec;

/// The transport name virtual devices are found on.
pub const TRANSPORT: &str = "virtual";

/// One output as last written to a virtual device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenLevel {
    pub feature_index: u32,
    pub kind: OutputType,
    pub value: i32,
    pub duration_ms: Option<u32>,
}

#[derive(Debug, Default)]
struct State {
    connected: bool,
    /// (feature index, output type) -> (value, duration).
    levels: BTreeMap<(u32, OutputType), (i32, Option<u32>)>,
    writes: usize,
}

/// An in-process device behind the [`Hardware`] seam.
pub struct VirtualHardware {
    spec: VirtualDeviceSpec,
    name: String,
    address: String,
    endpoints: Vec<Endpoint>,
    state: Mutex<State>,
    notifications: broadcast::Sender<Notification>,
    /// The write count, for those who wait for writes (see [`VirtualHardware::watch_writes`]).
    written: watch::Sender<usize>,
}

impl VirtualHardware {
    /// The virtual device `spec`, addressed `virtual:<n>` (`n`: its device index).
    pub fn new(spec: &VirtualDeviceSpec, n: u32) -> VirtualHardware {
        let info = spec.device_info(n);
        let levels = info
            .features
            .iter()
            .flat_map(|f| f.outputs.iter().map(move |o| ((f.index, canonical(o.kind)), (0, None))))
            .collect();
        let mut endpoints = vec![Endpoint::Tx];
        if spec.read(InputType::Battery).is_some() {
            endpoints.push(Endpoint::RxBleBattery);
        }
        VirtualHardware {
            spec: spec.clone(),
            name: info.name,
            address: format!("{TRANSPORT}:{n}"),
            endpoints,
            state: Mutex::new(State { connected: true, levels, writes: 0 }),
            notifications: broadcast::channel(16).0,
            written: watch::channel(0).0,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What this device is.
    pub fn spec(&self) -> &VirtualDeviceSpec {
        &self.spec
    }

    /// The level last written to an output (0 before any write); `None` if there is no such
    /// output. `Inflate` and `Constrict` are the same output.
    pub fn level(&self, feature_index: u32, kind: OutputType) -> Option<i32> {
        self.state().levels.get(&(feature_index, canonical(kind))).map(|&(value, _)| value)
    }

    /// Every output as last written, in (feature index, type) order.
    pub fn levels(&self) -> Vec<WrittenLevel> {
        self.state()
            .levels
            .iter()
            .map(|(&(feature_index, kind), &(value, duration_ms))| WrittenLevel {
                feature_index,
                kind,
                value,
                duration_ms,
            })
            .collect()
    }

    /// How many writes it received (each sets one or more outputs together).
    pub fn write_count(&self) -> usize {
        self.state().writes
    }

    /// The write count as it changes: a receiver wakes up at every write, once its outputs
    /// are set (for waiting on a device without polling it).
    pub fn watch_writes(&self) -> watch::Receiver<usize> {
        self.written.subscribe()
    }

    pub fn is_connected(&self) -> bool {
        self.state().connected
    }

    fn check(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        if !self.state().connected {
            return Err(HardwareError::Disconnected);
        }
        if !self.endpoints.contains(&endpoint) {
            return Err(HardwareError::NoEndpoint(endpoint));
        }
        Ok(())
    }
}

fn canonical(kind: OutputType) -> OutputType {
    if kind == OutputType::Inflate {
        OutputType::Constrict
    } else {
        kind
    }
}

impl Hardware for VirtualHardware {
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
            if write.endpoint != Endpoint::Tx {
                return Err(HardwareError::NoEndpoint(write.endpoint));
            }
            self.check(Endpoint::Tx)?;
            let packets = Packet::decode_all(&write.data)
                .ok_or_else(|| HardwareError::Io(format!("not a virtual-protocol write: {:?}", write.data)))?;
            let mut state = self.state();
            // Every entry is checked before any is applied: a write changes all its outputs
            // together or none of them, like one packet to a toy.
            if let Some(packet) =
                packets.iter().find(|p| !state.levels.contains_key(&(p.feature_index, canonical(p.kind))))
            {
                return Err(HardwareError::Io(format!(
                    "no {:?} output on feature {}",
                    packet.kind, packet.feature_index
                )));
            }
            for packet in packets {
                state.levels.insert((packet.feature_index, canonical(packet.kind)), (packet.value, packet.duration_ms));
            }
            state.writes += 1;
            let writes = state.writes;
            // Told with the state's lock released: a watcher's `wait_for` condition runs under
            // the watch's lock and may read the state (`level`), so telling it under both
            // locks could deadlock with it. `max` keeps the count from going back if two
            // writes tell it out of order.
            drop(state);
            self.written.send_modify(|told| *told = (*told).max(writes));
            Ok(())
        })
    }

    fn read(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<Vec<u8>, HardwareError>> {
        Box::pin(async move {
            self.check(endpoint)?;
            match (endpoint, self.spec.read(InputType::Battery)) {
                (Endpoint::RxBleBattery, Some(Reading::Battery(percent))) => Ok(vec![percent]),
                _ => Err(HardwareError::Unsupported(format!("reading {endpoint}"))),
            }
        })
    }

    fn subscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        // Nothing is ever notified but the disconnect; subscribing is allowed and idle.
        Box::pin(async move { self.check(endpoint) })
    }

    fn unsubscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move { self.check(endpoint) })
    }

    fn notifications(&self) -> broadcast::Receiver<Notification> {
        self.notifications.subscribe()
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            let was_connected = std::mem::replace(&mut self.state().connected, false);
            if was_connected {
                let _ = self.notifications.send(Notification::Disconnected);
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtual_device::VirtualKind;

    fn packet(feature_index: u32, kind: OutputType, value: i32, duration_ms: Option<u32>) -> Write {
        Write::without_response(Endpoint::Tx, Packet { feature_index, kind, value, duration_ms }.encode())
    }

    #[tokio::test]
    async fn records_written_levels_reads_battery_and_disconnects() {
        let hw = VirtualHardware::new(&VirtualDeviceSpec::named(VirtualKind::LovenseMax, "Max"), 3);
        assert_eq!((hw.name(), hw.address()), ("Max", "virtual:3"));
        assert_eq!(hw.endpoints(), &[Endpoint::Tx, Endpoint::RxBleBattery]);
        assert_eq!(hw.level(0, OutputType::Vibrate), Some(0));
        hw.write(packet(0, OutputType::Vibrate, 12, None)).await.unwrap();
        hw.write(packet(1, OutputType::Constrict, 3, None)).await.unwrap();
        assert_eq!(hw.level(0, OutputType::Vibrate), Some(12));
        assert_eq!(hw.level(1, OutputType::Inflate), Some(3));
        assert_eq!(hw.level(2, OutputType::Vibrate), None);
        assert_eq!(hw.write_count(), 2);
        assert_eq!(hw.read(Endpoint::RxBleBattery).await, Ok(vec![80]));
        assert!(hw.write(packet(5, OutputType::Vibrate, 1, None)).await.is_err(), "no such output");
        assert!(hw.write(Write::without_response(Endpoint::Tx, b"Vibrate:1;".to_vec())).await.is_err(), "not a packet");
        assert!(hw.write(packet(0, OutputType::Vibrate, 1, None)).await.is_ok());

        // One write sets several outputs together, or none of them.
        let both = [
            Packet { feature_index: 0, kind: OutputType::Vibrate, value: 0, duration_ms: None },
            Packet { feature_index: 1, kind: OutputType::Constrict, value: 0, duration_ms: None },
        ];
        let count = hw.write_count();
        let mut watch = hw.watch_writes();
        hw.write(Write::without_response(Endpoint::Tx, Packet::encode_all(&both))).await.unwrap();
        assert!(watch.has_changed().unwrap(), "a watcher hears of the write");
        assert_eq!(*watch.borrow_and_update(), count + 1);
        assert_eq!((hw.level(0, OutputType::Vibrate), hw.level(1, OutputType::Constrict)), (Some(0), Some(0)));
        assert_eq!(hw.write_count(), count + 1, "one write, however many outputs it sets");
        let half_bad = [both[0], Packet { feature_index: 7, ..both[1] }];
        let half_bad = Packet::encode_all(&[Packet { value: 9, ..half_bad[0] }, half_bad[1]]);
        assert!(hw.write(Write::without_response(Endpoint::Tx, half_bad)).await.is_err());
        assert_eq!(hw.level(0, OutputType::Vibrate), Some(0), "a write with a bad entry changes nothing");

        let mut notifications = hw.notifications();
        hw.disconnect().await.unwrap();
        assert_eq!(notifications.recv().await, Ok(Notification::Disconnected));
        assert!(!hw.is_connected());
        assert_eq!(hw.write(packet(0, OutputType::Vibrate, 2, None)).await, Err(HardwareError::Disconnected));
        assert!(hw.disconnect().await.is_ok(), "disconnecting twice succeeds");
    }

    #[tokio::test]
    async fn strokers_record_durations_and_plain_kinds_have_no_battery() {
        let hw = VirtualHardware::new(&VirtualDeviceSpec::new(VirtualKind::Stroker), 0);
        assert_eq!(hw.endpoints(), &[Endpoint::Tx]);
        hw.write(packet(0, OutputType::HwPositionWithDuration, 90, Some(400))).await.unwrap();
        assert!(hw.levels().contains(&WrittenLevel {
            feature_index: 0,
            kind: OutputType::HwPositionWithDuration,
            value: 90,
            duration_ms: Some(400)
        }));
        assert_eq!(hw.read(Endpoint::RxBleBattery).await, Err(HardwareError::NoEndpoint(Endpoint::RxBleBattery)));
    }
}
