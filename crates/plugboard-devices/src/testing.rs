//! Test doubles for the hardware seam (compiled for this crate's tests and, for other crates,
//! with the `testing` feature).
//!
//! [`FakeHardware`] records every write, subscribe and unsubscribe, answers reads from
//! scripted values, and can answer writes with scripted notifications:
//!
//! ```text
//! let toy = FakeHardware::new("LVS-Z36", "00:11:22:33:44:55");
//! toy.reply(Endpoint::Tx, b"DeviceType;", Endpoint::Rx, b"Z:11:0082059AD3BD;");
//! toy.set_read(Endpoint::RxBleModel, b"SF Pro 2");
//! ```
//!
//! Like real hardware, notifications (scripted or injected with [`FakeHardware::notify`]) reach
//! receivers only for subscribed endpoints, so a protocol that forgets to subscribe fails its
//! test the way it would fail on a real toy.
//!
//! A device whose answers depend on what it is sent (an encrypted challenge, a checksum) is a
//! [`SimulatedDevice`]: pure functions from what is written, read or subscribed to what the
//! device answers, attached with [`FakeHardware::simulate`]. Protocols that talk to their
//! devices keep theirs in a `simulated` module of their own file, so that any other harness
//! (a fake BlueZ peripheral, for one) can answer the same way.
//!
//! [`wait_until`] is the one polling helper of every test suite, in this crate and in `tests/`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError, Notification, Write};
use crate::transport::{ConnectPlan, Connector};

mod wait;
pub use wait::wait_until;

/// Something the fake saw a protocol do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Write(Write),
    Read(Endpoint),
    Subscribe(Endpoint),
    Unsubscribe(Endpoint),
    Disconnect,
}

/// How a device answers, as pure functions of what it is sent: no clock, no hidden state, so
/// a test (or a simulated peripheral on another transport) gets the same answer for the same
/// bytes every time. Notifications are `(endpoint, bytes)`; a fake delivers them only for
/// subscribed endpoints, as real hardware does.
pub trait SimulatedDevice: Send + Sync {
    /// What the device notifies after `data` is written to `endpoint`.
    fn on_write(&self, _endpoint: Endpoint, _data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
        Vec::new()
    }

    /// What a read of `endpoint` returns; `None`: the read fails.
    fn on_read(&self, _endpoint: Endpoint) -> Option<Vec<u8>> {
        None
    }

    /// What the device notifies when `endpoint` is subscribed.
    fn on_subscribe(&self, _endpoint: Endpoint) -> Vec<(Endpoint, Vec<u8>)> {
        Vec::new()
    }
}

struct Reply {
    endpoint: Endpoint,
    data: Vec<u8>,
    notify_endpoint: Endpoint,
    notify_bytes: Vec<u8>,
}

#[derive(Default)]
struct State {
    events: Vec<Event>,
    /// Every write with the time it was made (tokio's clock: paused time in tests).
    written_at: Vec<(Instant, Write)>,
    subscribed: BTreeSet<Endpoint>,
    reads: HashMap<Endpoint, Vec<u8>>,
    replies: Vec<Reply>,
    on_subscribe: Vec<(Endpoint, Vec<u8>)>,
    connected: bool,
    fail_writes: Option<HardwareError>,
    simulated: Option<Arc<dyn SimulatedDevice>>,
    /// Drop the connection once this many writes have been made.
    drop_after_writes: Option<usize>,
    /// Reads never complete.
    stall_reads: bool,
}

/// A scriptable, recording [`Hardware`].
pub struct FakeHardware {
    name: String,
    address: String,
    endpoints: Vec<Endpoint>,
    state: Mutex<State>,
    notifications: broadcast::Sender<Notification>,
}

impl FakeHardware {
    /// A device with endpoints `tx` and `rx`.
    pub fn new(name: &str, address: &str) -> FakeHardware {
        FakeHardware::with_endpoints(name, address, &[Endpoint::Tx, Endpoint::Rx])
    }

    /// A device with exactly these endpoints; operations on others fail with
    /// [`HardwareError::NoEndpoint`].
    pub fn with_endpoints(name: &str, address: &str, endpoints: &[Endpoint]) -> FakeHardware {
        FakeHardware {
            name: name.to_owned(),
            address: address.to_owned(),
            endpoints: endpoints.to_vec(),
            state: Mutex::new(State { connected: true, ..State::default() }),
            notifications: broadcast::channel(256).0,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every time exactly `data` is written to `endpoint`, notify `notify_endpoint` with
    /// `notify_bytes` (if subscribed). Several replies may match one write; all are sent, in
    /// the order they were scripted.
    pub fn reply(&self, endpoint: Endpoint, data: &[u8], notify_endpoint: Endpoint, notify_bytes: &[u8]) {
        self.state().replies.push(Reply {
            endpoint,
            data: data.to_vec(),
            notify_endpoint,
            notify_bytes: notify_bytes.to_vec(),
        });
    }

    /// Every time `endpoint` is subscribed, notify it with `bytes` (a device reporting its state
    /// to a new subscriber, such as a Lelo saying it is authorised).
    pub fn notify_on_subscribe(&self, endpoint: Endpoint, bytes: &[u8]) {
        self.state().on_subscribe.push((endpoint, bytes.to_vec()));
    }

    /// Answers as `device` does, besides (and after) what is scripted with [`FakeHardware::reply`],
    /// [`FakeHardware::notify_on_subscribe`] and [`FakeHardware::set_read`].
    pub fn simulate(&self, device: impl SimulatedDevice + 'static) {
        self.simulate_boxed(Box::new(device));
    }

    /// [`FakeHardware::simulate`] for a device chosen at run time
    /// (`protocols::simulated_devices::for_protocol`).
    pub fn simulate_boxed(&self, device: Box<dyn SimulatedDevice>) {
        self.state().simulated = Some(Arc::from(device));
    }

    /// Drops the connection right after the `count`th write (counted from the start) has been
    /// recorded: a device that goes away in the middle of a handshake.
    pub fn drop_after_writes(&self, count: usize) {
        self.state().drop_after_writes = Some(count);
    }

    /// Makes every later read wait for ever: a device that does not answer a read.
    pub fn stall_reads(&self) {
        self.state().stall_reads = true;
    }

    /// Reads of `endpoint` return `bytes` (every time, until changed).
    pub fn set_read(&self, endpoint: Endpoint, bytes: &[u8]) {
        self.state().reads.insert(endpoint, bytes.to_vec());
    }

    /// Makes every later write fail with `error` (`None`: writes succeed again).
    pub fn fail_writes(&self, error: Option<HardwareError>) {
        self.state().fail_writes = error;
    }

    /// Sends a notification as if the device had; returns whether it was delivered (the
    /// endpoint is subscribed and someone is listening).
    pub fn notify(&self, endpoint: Endpoint, bytes: &[u8]) -> bool {
        let subscribed = self.state().subscribed.contains(&endpoint);
        subscribed && self.notifications.send(Notification::Data { endpoint, bytes: bytes.to_vec() }).is_ok()
    }

    /// Simulates the device going away (out of range, powered off).
    pub fn drop_connection(&self) {
        let was_connected = std::mem::replace(&mut self.state().connected, false);
        if was_connected {
            let _ = self.notifications.send(Notification::Disconnected);
        }
    }

    /// Everything the protocol did, in order.
    pub fn events(&self) -> Vec<Event> {
        self.state().events.clone()
    }

    /// The writes only, in order.
    pub fn writes(&self) -> Vec<Write> {
        self.state()
            .events
            .iter()
            .filter_map(|event| match event {
                Event::Write(write) => Some(write.clone()),
                _ => None,
            })
            .collect()
    }

    /// The writes so far, forgetting them (and all other recorded events).
    pub fn take_writes(&self) -> Vec<Write> {
        let writes = self.writes();
        let mut state = self.state();
        state.events.clear();
        state.written_at.clear();
        writes
    }

    /// The writes so far with the time each was made, forgetting them (and all other recorded
    /// events): for tests of devices written on a clock.
    pub fn take_timed_writes(&self) -> Vec<(Instant, Write)> {
        let mut state = self.state();
        state.events.clear();
        std::mem::take(&mut state.written_at)
    }

    /// The currently subscribed endpoints.
    pub fn subscribed(&self) -> Vec<Endpoint> {
        self.state().subscribed.iter().copied().collect()
    }

    /// Sends each notification whose endpoint is subscribed (at the time it is sent).
    fn send_to_subscribers(&self, notifications: Vec<(Endpoint, Vec<u8>)>) {
        for (endpoint, bytes) in notifications {
            if self.state().subscribed.contains(&endpoint) {
                let _ = self.notifications.send(Notification::Data { endpoint, bytes });
            }
        }
    }

    fn check(&self, state: &State, endpoint: Endpoint) -> Result<(), HardwareError> {
        if !state.connected {
            Err(HardwareError::Disconnected)
        } else if !self.endpoints.contains(&endpoint) {
            Err(HardwareError::NoEndpoint(endpoint))
        } else {
            Ok(())
        }
    }
}

impl Hardware for FakeHardware {
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
        let result = (|| {
            let mut state = self.state();
            self.check(&state, write.endpoint)?;
            if let Some(error) = state.fail_writes.clone() {
                return Err(error);
            }
            let mut answers: Vec<(Endpoint, Vec<u8>)> = state
                .replies
                .iter()
                .filter(|reply| reply.endpoint == write.endpoint && reply.data == write.data)
                .map(|reply| (reply.notify_endpoint, reply.notify_bytes.clone()))
                .collect();
            if let Some(device) = &state.simulated {
                answers.extend(device.on_write(write.endpoint, &write.data));
            }
            state.written_at.push((Instant::now(), write.clone()));
            state.events.push(Event::Write(write));
            let writes = state.events.iter().filter(|event| matches!(event, Event::Write(_))).count();
            let drop_now = state.drop_after_writes.is_some_and(|count| writes >= count);
            drop(state);
            if drop_now {
                self.drop_connection();
                return Ok(());
            }
            self.send_to_subscribers(answers);
            Ok(())
        })();
        Box::pin(async move { result })
    }

    fn read(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<Vec<u8>, HardwareError>> {
        if self.state().stall_reads {
            self.state().events.push(Event::Read(endpoint));
            return Box::pin(std::future::pending());
        }
        let result = (|| {
            let mut state = self.state();
            self.check(&state, endpoint)?;
            state.events.push(Event::Read(endpoint));
            let simulated = || state.simulated.as_ref().and_then(|device| device.on_read(endpoint));
            state
                .reads
                .get(&endpoint)
                .cloned()
                .or_else(simulated)
                .ok_or_else(|| HardwareError::Io(format!("fake: no scripted read for {endpoint}")))
        })();
        Box::pin(async move { result })
    }

    fn subscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        let result = (|| {
            let mut state = self.state();
            self.check(&state, endpoint)?;
            state.events.push(Event::Subscribe(endpoint));
            state.subscribed.insert(endpoint);
            let mut reports: Vec<(Endpoint, Vec<u8>)> = state
                .on_subscribe
                .iter()
                .filter(|(on, _)| *on == endpoint)
                .map(|(_, bytes)| (endpoint, bytes.clone()))
                .collect();
            if let Some(device) = &state.simulated {
                reports.extend(device.on_subscribe(endpoint));
            }
            drop(state);
            self.send_to_subscribers(reports);
            Ok(())
        })();
        Box::pin(async move { result })
    }

    fn unsubscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        let result = (|| {
            let mut state = self.state();
            self.check(&state, endpoint)?;
            state.events.push(Event::Unsubscribe(endpoint));
            state.subscribed.remove(&endpoint);
            Ok(())
        })();
        Box::pin(async move { result })
    }

    fn notifications(&self) -> broadcast::Receiver<Notification> {
        self.notifications.subscribe()
    }

    fn is_connected(&self) -> bool {
        self.state().connected
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        self.state().events.push(Event::Disconnect);
        self.drop_connection();
        Box::pin(async { Ok(()) })
    }
}

/// Connects a [`FakeHardware`] as a transport's connector would (see
/// `DeviceManager::connect_found_device`).
pub struct FakeConnector(pub Arc<FakeHardware>);

impl Connector for FakeConnector {
    fn connect(&self, _plan: ConnectPlan) -> BoxFuture<'_, Result<Arc<dyn Hardware>, HardwareError>> {
        let hardware: Arc<dyn Hardware> = self.0.clone();
        Box::pin(async move { Ok(hardware) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn scripted_reply_reaches_subscribers_only() {
        let hw = FakeHardware::new("LVS-Z36", "addr");
        hw.reply(Endpoint::Tx, b"DeviceType;", Endpoint::Rx, b"Z:11:0082059AD3BD;");
        let mut rx = hw.notifications();

        // Not subscribed yet: the reply is dropped, the write is recorded.
        hw.write(Write::without_response(Endpoint::Tx, b"DeviceType;".to_vec())).await.unwrap();
        assert!(rx.try_recv().is_err());

        hw.subscribe(Endpoint::Rx).await.unwrap();
        hw.write(Write::without_response(Endpoint::Tx, b"DeviceType;".to_vec())).await.unwrap();
        assert_eq!(
            rx.try_recv().unwrap(),
            Notification::Data { endpoint: Endpoint::Rx, bytes: b"Z:11:0082059AD3BD;".to_vec() }
        );
        // Other writes do not trigger it.
        hw.write(Write::without_response(Endpoint::Tx, b"Battery;".to_vec())).await.unwrap();
        assert!(rx.try_recv().is_err());

        assert_eq!(hw.writes().len(), 3);
        assert_eq!(hw.subscribed(), vec![Endpoint::Rx]);
        assert_eq!(hw.take_writes().len(), 3);
        assert!(hw.writes().is_empty());
    }

    #[tokio::test]
    async fn subscribing_can_bring_a_report() {
        let hw = FakeHardware::new("F1s", "addr");
        hw.notify_on_subscribe(Endpoint::Rx, &[1, 0]);
        let mut rx = hw.notifications();
        hw.subscribe(Endpoint::Tx).await.unwrap();
        assert!(rx.try_recv().is_err(), "only the scripted endpoint reports");
        hw.subscribe(Endpoint::Rx).await.unwrap();
        assert_eq!(rx.try_recv().unwrap(), Notification::Data { endpoint: Endpoint::Rx, bytes: vec![1, 0] });
        hw.unsubscribe(Endpoint::Rx).await.unwrap();
        hw.subscribe(Endpoint::Rx).await.unwrap();
        assert_eq!(rx.try_recv().unwrap(), Notification::Data { endpoint: Endpoint::Rx, bytes: vec![1, 0] });
    }

    #[tokio::test]
    async fn reads_endpoints_and_disconnect() {
        let hw = FakeHardware::with_endpoints("SF Pro", "addr", &[Endpoint::Tx, Endpoint::RxBleModel]);
        hw.set_read(Endpoint::RxBleModel, b"abc");
        assert_eq!(hw.read(Endpoint::RxBleModel).await.unwrap(), b"abc");
        assert_eq!(hw.read(Endpoint::Rx).await, Err(HardwareError::NoEndpoint(Endpoint::Rx)));
        assert!(hw.read(Endpoint::Tx).await.is_err());

        let mut rx = hw.notifications();
        hw.drop_connection();
        assert_eq!(rx.try_recv().unwrap(), Notification::Disconnected);
        assert_eq!(hw.write(Write::with_response(Endpoint::Tx, vec![0])).await, Err(HardwareError::Disconnected));
    }

    #[tokio::test]
    async fn failing_writes() {
        let hw = FakeHardware::new("x", "y");
        hw.fail_writes(Some(HardwareError::Io("boom".into())));
        assert!(hw.write(Write::with_response(Endpoint::Tx, vec![1])).await.is_err());
        assert!(hw.writes().is_empty());
        hw.fail_writes(None);
        hw.write(Write::with_response(Endpoint::Tx, vec![1])).await.unwrap();
        assert_eq!(hw.writes().len(), 1);
    }

    /// Echoes writes to `tx` back on `rx` reversed; reads of `rx` give its name.
    struct Mirror;

    impl SimulatedDevice for Mirror {
        fn on_write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
            match endpoint {
                Endpoint::Tx => vec![(Endpoint::Rx, data.iter().rev().copied().collect())],
                _ => Vec::new(),
            }
        }

        fn on_read(&self, endpoint: Endpoint) -> Option<Vec<u8>> {
            (endpoint == Endpoint::Rx).then(|| b"mirror".to_vec())
        }

        fn on_subscribe(&self, endpoint: Endpoint) -> Vec<(Endpoint, Vec<u8>)> {
            vec![(endpoint, vec![0xaa])]
        }
    }

    #[tokio::test]
    async fn a_simulated_device_answers_writes_reads_and_subscriptions() {
        let hw = FakeHardware::new("x", "y");
        hw.simulate(Mirror);
        let mut rx = hw.notifications();
        hw.write(Write::without_response(Endpoint::Tx, vec![1, 2])).await.unwrap();
        assert!(rx.try_recv().is_err(), "nothing before rx is subscribed");
        hw.subscribe(Endpoint::Rx).await.unwrap();
        assert_eq!(rx.try_recv().unwrap(), Notification::Data { endpoint: Endpoint::Rx, bytes: vec![0xaa] });
        hw.write(Write::without_response(Endpoint::Tx, vec![1, 2])).await.unwrap();
        assert_eq!(rx.try_recv().unwrap(), Notification::Data { endpoint: Endpoint::Rx, bytes: vec![2, 1] });
        assert_eq!(hw.read(Endpoint::Rx).await.unwrap(), b"mirror");
        hw.set_read(Endpoint::Rx, b"scripted");
        assert_eq!(hw.read(Endpoint::Rx).await.unwrap(), b"scripted", "a scripted read comes first");
        assert!(hw.read(Endpoint::Tx).await.is_err());
    }

    #[tokio::test]
    async fn a_device_can_drop_after_so_many_writes() {
        let hw = FakeHardware::new("x", "y");
        hw.simulate(Mirror);
        hw.subscribe(Endpoint::Rx).await.unwrap();
        hw.drop_after_writes(2);
        let mut rx = hw.notifications();
        hw.write(Write::without_response(Endpoint::Tx, vec![1])).await.unwrap();
        assert_eq!(rx.try_recv().unwrap(), Notification::Data { endpoint: Endpoint::Rx, bytes: vec![1] });
        hw.write(Write::without_response(Endpoint::Tx, vec![2])).await.unwrap();
        assert_eq!(rx.try_recv().unwrap(), Notification::Disconnected, "gone instead of answering");
        assert!(!hw.is_connected());
        assert_eq!(hw.writes().len(), 2);
    }
}
