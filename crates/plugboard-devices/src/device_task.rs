//! The device task: one per connected hardware device. It owns the device's output state
//! and is the only thing that writes to the hardware.
//!
//! - **User limits** map each output's advertised range onto the part of the hardware range
//!   the user allowed ([`to_hardware`]), so clients never see a changed range and limits can
//!   change while the server runs.
//! - **One request, one encode**: a [`TaskCommand::Set`] carries every output one request
//!   changes on this device (a StopAllDevices, a v3 ScalarCmd with several entries), and
//!   whatever else is already queued for the task joins it (latest value per output wins, a
//!   stop included), so the protocol encodes them together and the device gets the fewest
//!   writes its protocol allows: one, where its packet carries every motor.
//! - **Message gap**: a change is written at once if nothing was written for a gap; otherwise
//!   changes collect (latest value per output wins) and are written together when the gap has
//!   passed. Stops skip the wait.
//! - **Battery reads** run beside the task, so a slow one never holds a stop back.
//! - **Keepalive**: protocols that need it get their last packets rewritten (or their whole
//!   state encoded again) whenever nothing was written for their period, or their running
//!   outputs' packets while anything runs ([`Keepalive::WhileRunning`]).
//! - **Time-driven handlers** (`protocols::timed`): the task keeps the handler's state, lends
//!   it to every flush, tick and notification, runs the tick the handler last asked for, and
//!   tells a stop's flush that it is a stop, so the handler ends its loops in that flush.
//! - **Frame numbers**: every write encoded since connect is counted, and each encode is told
//!   the number of its first write, for protocols whose packets carry a rolling counter
//!   ([`FrameNumber`]; the counter lives here, the encoders stay pure).
//! - **Inputs** ([`crate::device_inputs`]): the task subscribes what clients subscribe to,
//!   decodes notifications into readings for the manager, and answers battery reads of devices
//!   that push their level.
//! - A hardware disconnect ends the task; the manager then removes the device.

use std::sync::Arc;
use std::time::Duration;

use plugboard_protocol::model::{InputType, OutputType, Range};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::device_inputs::{Inputs, ReadingSink};
use crate::hardware::{Endpoint, Hardware, Notification, Write};
use crate::protocols::{
    ChangeSet, DeviceHandler, Flush, FrameNumber, HandlerState, Keepalive, OutputLevel, ProtocolError, Timed,
};

/// How the user narrowed one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimit {
    /// The hardware steps client commands map onto, within `[0, advertised max]`.
    pub range: Range,
    /// A disabled output is held at rest.
    pub disabled: bool,
}

impl OutputLimit {
    /// No narrowing: the whole advertised range.
    pub fn full(advertised: Range) -> OutputLimit {
        OutputLimit { range: Range::new(0, advertised.max.max(0)), disabled: false }
    }
}

/// Maps a value in the advertised range onto the user's limit (docs/architecture.md, Safety).
///
/// Level outputs keep 0 as off and map steps `1..=max` onto `max(lo, 1)..=hi`, so the
/// smallest request still moves the motor and the largest reaches the user's ceiling; the
/// sign (rotation direction) is kept. Positions map `0..=max` onto `lo..=hi`.
pub fn to_hardware(value: i32, kind: OutputType, advertised: Range, limit: OutputLimit) -> i32 {
    let max = advertised.step_count() as i64;
    let (lo, hi) = (limit.range.min.max(0) as i64, limit.range.max.max(0) as i64);
    if limit.disabled {
        return if kind.stops_at_zero() { 0 } else { lo as i32 };
    }
    if max == 0 {
        return 0;
    }
    if !kind.stops_at_zero() {
        let v = (value.max(0) as i64).min(max);
        return (lo + ((v * (hi - lo)) as f64 / max as f64).round() as i64) as i32;
    }
    if value == 0 || hi == 0 {
        return 0;
    }
    let magnitude = (value.unsigned_abs() as i64).min(max);
    let floor = lo.max(1).min(hi);
    let mapped =
        if max == 1 { hi } else { floor + (((magnitude - 1) * (hi - floor)) as f64 / (max - 1) as f64).round() as i64 };
    (mapped as i32) * value.signum()
}

/// One output's new level, part of a [`TaskCommand::Set`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotChange {
    /// An index into the device's output list.
    pub slot: usize,
    /// Advertised steps.
    pub value: i32,
    pub duration_ms: Option<u32>,
}

impl SlotChange {
    /// The output at `slot` to 0: what a stop asks of an output that stops at zero.
    pub fn stop(slot: usize) -> SlotChange {
        SlotChange { slot, value: 0, duration_ms: None }
    }
}

/// What the manager asks of a device task.
#[derive(Debug)]
pub enum TaskCommand {
    /// Sets several outputs together: every change one request makes to this device, encoded
    /// in one go. `urgent` writes at once, skipping the message gap (stops).
    Set {
        changes: Vec<SlotChange>,
        urgent: bool,
    },
    /// New user limits, one per slot; applied to the current levels at once.
    Limits(Vec<OutputLimit>),
    Battery(oneshot::Sender<Result<u8, ProtocolError>>),
    /// Start sending the readings of an input (to the task's [`ReadingSink`]).
    Subscribe {
        feature_index: u32,
        kind: InputType,
        reply: oneshot::Sender<Result<(), ProtocolError>>,
    },
    /// Stop sending the readings of an input.
    Unsubscribe {
        feature_index: u32,
        kind: InputType,
    },
    /// Stop every output, then disconnect the hardware and end.
    Shutdown(oneshot::Sender<()>),
}

/// One output as the task sees it.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub feature_index: u32,
    pub kind: OutputType,
    pub advertised: Range,
}

/// A running device's state and its hardware.
pub struct DeviceTask {
    hardware: Arc<dyn Hardware>,
    /// Shared with battery reads, which run beside the task.
    handler: Arc<dyn DeviceHandler>,
    slots: Vec<Slot>,
    /// The advertised values clients asked for, before limits.
    requested: Vec<(i32, Option<u32>)>,
    limits: Vec<OutputLimit>,
    /// What goes to the encoder: hardware steps.
    levels: Vec<OutputLevel>,
    pending: ChangeSet,
    /// Outputs written at least once since connect. The others are in an unknown state (a
    /// stroker's position, a motor another program left running), so a command for them is
    /// written even when it equals the level Plugboard assumes (0).
    known: ChangeSet,
    gap: Duration,
    last_write: Option<Instant>,
    last_packets: Vec<Write>,
    /// The handler's own state (a speed counter, a glide), lent to each of its calls.
    handler_state: HandlerState,
    /// When the handler asked to be ticked next.
    next_tick: Option<Instant>,
    /// A stop is pending: the handler ends its loops in the next flush, which is made even
    /// when no level changed.
    stopping: bool,
    /// The number of the next write the handler encodes.
    next_frame: FrameNumber,
    /// Taken when the task is made, not when it starts running, so a disconnect in between
    /// is not missed.
    notifications: tokio::sync::broadcast::Receiver<Notification>,
    inputs: Inputs,
}

impl DeviceTask {
    pub fn new(
        hardware: Arc<dyn Hardware>,
        handler: Box<dyn DeviceHandler>,
        slots: Vec<Slot>,
        limits: Vec<OutputLimit>,
        gap: Duration,
    ) -> DeviceTask {
        let levels = slots.iter().map(|s| OutputLevel::new(s.feature_index, s.kind)).collect();
        let limits = if limits.len() == slots.len() {
            limits
        } else {
            slots.iter().map(|s| OutputLimit::full(s.advertised)).collect()
        };
        DeviceTask {
            notifications: hardware.notifications(),
            requested: vec![(0, None); slots.len()],
            hardware,
            handler_state: handler.initial_state(),
            handler: Arc::from(handler),
            next_tick: None,
            stopping: false,
            slots,
            limits,
            levels,
            pending: ChangeSet::NONE,
            known: ChangeSet::NONE,
            gap,
            last_write: None,
            last_packets: Vec::new(),
            next_frame: FrameNumber::FIRST,
            inputs: Inputs::default(),
        }
    }

    /// Sends the readings of subscribed inputs to `sink`, as (feature index, reading).
    pub fn report_readings(mut self, sink: ReadingSink) -> DeviceTask {
        self.inputs.set_sink(sink);
        self
    }

    /// Runs until the hardware disconnects or the manager shuts the task down. Returns true
    /// when the hardware went away by itself.
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<TaskCommand>) -> bool {
        if let Some(endpoint) = self.handler.pushed_battery_endpoint() {
            // Subscribed by the task, whose receiver hears every report from here on.
            if let Err(error) = self.hardware.subscribe(endpoint).await {
                tracing::warn!(device = self.hardware.address(), %error, "cannot hear the battery reports");
            }
        }
        let keepalive = self.handler.keepalive();
        let keepalive_period = match keepalive {
            Keepalive::RepeatLast(period) => {
                // Seed the packet to repeat with the all-stopped state: the outputs that stop
                // at 0 (a position output is left alone; 0 is a place, not a stop).
                self.pending = self.stoppable();
                self.flush().await;
                Some(period)
            }
            Keepalive::ResendState(period) => {
                // Nothing to seed: the first resend, one period from now, carries the stopped
                // state (every frame is encoded anew, so there is no packet to keep).
                self.last_write = Some(Instant::now());
                Some(period)
            }
            Keepalive::WhileRunning(_) | Keepalive::None => None,
        };
        let while_running = match keepalive {
            Keepalive::WhileRunning(period) => Some(period),
            Keepalive::RepeatLast(_) | Keepalive::ResendState(_) | Keepalive::None => None,
        };
        // The handler's first tick: a time-driven handler's keepalive seed.
        self.tick().await;
        loop {
            let flush_at = (!self.pending.is_empty() || self.stopping).then(|| self.next_write_allowed());
            let keepalive_at = match (keepalive_period, while_running) {
                (Some(period), _) => self.last_write.map(|t| t + period),
                (None, Some(period)) if !self.running().is_empty() => self.last_write.map(|t| t + period),
                _ => None,
            };
            tokio::select! {
                command = commands.recv() => {
                    let Some(command) = command else {
                        // The manager is gone: leave the device at rest.
                        self.stop_all().await;
                        let _ = self.hardware.disconnect().await;
                        return false;
                    };
                    if let Some(done) = self.handle(command, &mut commands).await {
                        let _ = done.send(());
                        return false;
                    }
                }
                _ = sleep_until(flush_at) => self.flush().await,
                // A device that must hear something now gets the latest state when a change
                // waits (a keepalive period shorter than the gap would otherwise hold it back
                // for ever), else its last packets again (or its state in new frames).
                _ = sleep_until(keepalive_at) => if !self.pending.is_empty() {
                    self.flush().await
                } else if while_running.is_some() {
                    self.repeat_running().await
                } else {
                    self.keep_alive(keepalive).await
                },
                _ = sleep_until(self.next_tick) => self.tick().await,
                _ = sleep_until(self.inputs.next_deadline()) => self.inputs.expire(Instant::now()),
                notification = self.notifications.recv() => match notification {
                    Ok(Notification::Disconnected) | Err(tokio::sync::broadcast::error::RecvError::Closed) => return true,
                    Ok(Notification::Data { endpoint, bytes }) => {
                        self.inputs.notified(&*self.handler, endpoint, &bytes);
                        self.notified(endpoint, &bytes).await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::debug!(device = self.hardware.address(), missed, "notifications missed");
                    }
                },
            }
        }
    }

    /// Carries out one command and, for a [`TaskCommand::Set`], every other one already queued
    /// behind it. Returns the reply of a [`TaskCommand::Shutdown`] once the device is stopped
    /// and disconnected: the task ends then.
    async fn handle(
        &mut self,
        command: TaskCommand,
        commands: &mut mpsc::UnboundedReceiver<TaskCommand>,
    ) -> Option<oneshot::Sender<()>> {
        let mut next = Some(command);
        while let Some(command) = next.take() {
            match command {
                TaskCommand::Set { changes, urgent } => {
                    self.stopping |= is_stop(&changes, urgent);
                    self.apply(&changes);
                    // Sets queued behind this one join its flush: latest wins per output, so a
                    // stop is never written behind levels that were queued before it. Anything
                    // else waits for the flush and is carried out after it.
                    let mut urgent = urgent;
                    while let Ok(queued) = commands.try_recv() {
                        match queued {
                            TaskCommand::Set { changes, urgent: also_urgent } => {
                                self.stopping |= is_stop(&changes, also_urgent);
                                self.apply(&changes);
                                urgent |= also_urgent;
                            }
                            other => {
                                next = Some(other);
                                break;
                            }
                        }
                    }
                    if urgent || self.next_write_allowed() <= Instant::now() {
                        self.flush().await;
                    }
                }
                TaskCommand::Limits(limits) => {
                    if limits.len() == self.slots.len() {
                        self.limits = limits;
                        // New limits move what runs; an output never commanded stays untouched.
                        let known = self.known;
                        for slot in (0..self.slots.len()).filter(|&slot| known.contains(slot)) {
                            let (value, duration_ms) = self.requested[slot];
                            self.set_level(SlotChange { slot, value, duration_ms }, false);
                        }
                        // A limit can take an output away: written at once, like a stop.
                        self.flush().await;
                    }
                }
                TaskCommand::Battery(reply) if self.handler.pushed_battery_endpoint().is_some() => {
                    self.inputs.pushed_battery(reply);
                }
                TaskCommand::Subscribe { feature_index, kind, reply } => {
                    let subscribed = self.inputs.subscribe(&*self.hardware, &*self.handler, feature_index, kind).await;
                    let _ = reply.send(subscribed);
                }
                TaskCommand::Unsubscribe { feature_index, kind } => {
                    self.inputs.unsubscribe(&*self.hardware, &*self.handler, feature_index, kind).await;
                }
                TaskCommand::Battery(reply) => {
                    let (handler, hardware) = (self.handler.clone(), self.hardware.clone());
                    tokio::spawn(async move {
                        let _ = reply.send(handler.battery(&*hardware).await);
                    });
                }
                TaskCommand::Shutdown(done) => {
                    self.stop_all().await;
                    let _ = self.hardware.disconnect().await;
                    return Some(done);
                }
            }
        }
        None
    }

    fn next_write_allowed(&self) -> Instant {
        match self.last_write {
            Some(last) => last + self.gap,
            None => Instant::now(),
        }
    }

    fn apply(&mut self, changes: &[SlotChange]) {
        for &change in changes {
            self.set(change);
        }
    }

    /// A command's level for one output.
    fn set(&mut self, change: SlotChange) {
        self.set_level(change, true);
    }

    /// Puts `change` into the pending flush if it changes what the device does. `commanded`:
    /// it comes from a command, not from new limits re-applied to the last one (which must
    /// not fire a spray again).
    fn set_level(&mut self, SlotChange { slot, value, duration_ms }: SlotChange, commanded: bool) {
        let Some(info) = self.slots.get(slot).copied() else { return };
        self.requested[slot] = (value, duration_ms);
        let hardware = to_hardware(value, info.kind, info.advertised, self.limits[slot]);
        let unknown = !self.known.contains(slot);
        // A spray is a trigger, not a level: each one commanded fires the device again.
        let trigger = commanded && info.kind == OutputType::Spray && hardware != 0;
        let level = &mut self.levels[slot];
        if unknown || trigger || level.value != hardware || level.duration_ms != duration_ms {
            level.value = hardware;
            level.duration_ms = duration_ms;
            self.pending.insert(slot);
        }
    }

    /// The outputs that stop at 0.
    fn stoppable(&self) -> ChangeSet {
        self.slots.iter().enumerate().filter(|(_, slot)| slot.kind.stops_at_zero()).map(|(i, _)| i).collect()
    }

    /// The outputs that stop at 0 and are not at 0.
    fn running(&self) -> ChangeSet {
        let running = |slot: &usize| self.slots[*slot].kind.stops_at_zero() && self.levels[*slot].value != 0;
        (0..self.slots.len()).filter(running).collect()
    }

    async fn stop_all(&mut self) {
        self.stopping = true;
        for slot in 0..self.slots.len() {
            if self.slots[slot].kind.stops_at_zero() {
                self.set(SlotChange::stop(slot));
            }
        }
        self.flush().await;
    }

    /// Writes the pending changes, or a stop without any: one call of the handler's
    /// [`DeviceHandler::flush`], whose answer also replaces the pending tick.
    async fn flush(&mut self) {
        // A stop that leaves something running (another client's output, or levels queued
        // after it) is a plain change for the handler.
        let stop = std::mem::take(&mut self.stopping) && self.running().is_empty();
        if self.pending.is_empty() && !stop {
            return;
        }
        let changed = std::mem::replace(&mut self.pending, ChangeSet::NONE);
        let flush = Flush { levels: &self.levels, changed, stop, now: Instant::now(), frame: self.next_frame };
        let Timed { writes, next_tick } = self.handler.flush(&flush, &mut self.handler_state);
        self.next_frame = self.next_frame.plus(writes.len());
        self.next_tick = next_tick;
        self.write_all(&writes).await;
        for slot in changed.iter(self.levels.len()) {
            self.levels[slot].commit();
        }
        self.known = self.known_after(changed);
        if stop {
            // A stop may have halted a move half way: the next move goes out even if it
            // repeats the last one.
            let slots = &self.slots;
            self.known = self.known.iter(slots.len()).filter(|&slot| slots[slot].kind.stops_at_zero()).collect();
        }
        if !writes.is_empty() {
            self.last_packets = writes;
        }
    }

    /// The tick the handler asked for (or its first, when the task starts).
    async fn tick(&mut self) {
        let Timed { writes, next_tick } = self.handler.tick(&self.levels, &mut self.handler_state, Instant::now());
        self.next_tick = next_tick;
        self.write_all(&writes).await;
    }

    /// Bytes the device sent: the handler may answer them.
    async fn notified(&mut self, endpoint: Endpoint, bytes: &[u8]) {
        let writes = self.handler.notified(endpoint, bytes, &self.levels, &mut self.handler_state, Instant::now());
        self.write_all(&writes).await;
    }

    /// [`Keepalive::WhileRunning`]: the running outputs' packets again.
    async fn repeat_running(&mut self) {
        let running = self.running();
        let writes = self.encode(running);
        self.write_all(&writes).await;
    }

    /// The outputs whose state is known once `written` has been written: those, and the known
    /// ones of other features. The outputs of one feature may drive one thing (a stroker's
    /// position, set with or without a move time): once one of them is written, what another
    /// last set is no longer what the device does, so that one's next command goes out even if
    /// it repeats its last (the reference drops a command only when it repeats its feature's).
    fn known_after(&self, written: ChangeSet) -> ChangeSet {
        let count = self.slots.len();
        let features: Vec<u32> = written.iter(count).map(|slot| self.slots[slot].feature_index).collect();
        (0..count)
            .filter(|&slot| {
                written.contains(slot)
                    || (self.known.contains(slot) && !features.contains(&self.slots[slot].feature_index))
            })
            .collect()
    }

    /// The handler's writes for `changed`, numbered on from the last ones.
    fn encode(&mut self, changed: ChangeSet) -> Vec<Write> {
        let writes = self.handler.encode_numbered(&self.levels, changed, self.next_frame);
        self.next_frame = self.next_frame.plus(writes.len());
        writes
    }

    /// What a keepalive writes when nothing was written for its period: the last packets again,
    /// or the whole state encoded anew (new frame numbers).
    async fn keep_alive(&mut self, keepalive: Keepalive) {
        let packets = match keepalive {
            Keepalive::ResendState(_) => self.encode(ChangeSet::ALL),
            Keepalive::RepeatLast(_) | Keepalive::WhileRunning(_) | Keepalive::None => self.last_packets.clone(),
        };
        self.write_all(&packets).await;
    }

    /// Writes in order; a write that fails is logged and the rest still go. Writing nothing
    /// counts as no write (for the gap and the keepalives).
    async fn write_all(&mut self, writes: &[Write]) {
        if writes.is_empty() {
            return;
        }
        for write in writes {
            if let Err(error) = self.hardware.write(write.clone()).await {
                tracing::warn!(device = self.hardware.address(), %error, "write failed");
            }
        }
        self.last_write = Some(Instant::now());
    }
}

/// Whether a [`TaskCommand::Set`] is a stop: urgent, and every output to 0.
fn is_stop(changes: &[SlotChange], urgent: bool) -> bool {
    urgent && changes.iter().all(|change| change.value == 0)
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::{by_name, Advertisement};
    use crate::testing::FakeHardware;
    use plugboard_protocol::model::{Feature, Output};

    fn written(fake: &FakeHardware) -> Vec<String> {
        fake.writes().iter().map(|w| String::from_utf8_lossy(&w.data).into_owned()).collect()
    }

    fn limit(lo: i32, hi: i32) -> OutputLimit {
        OutputLimit { range: Range::new(lo, hi), disabled: false }
    }

    #[test]
    fn limits_map_the_advertised_range() {
        let twenty = Range::new(0, 20);
        let v = OutputType::Vibrate;
        for value in 0..=20 {
            assert_eq!(to_hardware(value, v, twenty, OutputLimit::full(twenty)), value, "no limit is the identity");
        }
        assert_eq!(to_hardware(0, v, twenty, limit(5, 10)), 0, "off stays off");
        assert_eq!(to_hardware(1, v, twenty, limit(5, 10)), 5, "the smallest request reaches the floor");
        assert_eq!(to_hardware(20, v, twenty, limit(5, 10)), 10, "the largest reaches the ceiling");
        assert_eq!(to_hardware(20, v, twenty, limit(0, 10)), 10);
        assert_eq!(to_hardware(1, v, twenty, limit(0, 10)), 1, "a zero floor still moves at the first step");
        assert_eq!(to_hardware(20, v, twenty, limit(0, 0)), 0, "a ceiling of 0 keeps it off");
        let rotate = Range::new(-20, 20);
        assert_eq!(to_hardware(-20, OutputType::Rotate, rotate, limit(0, 10)), -10, "direction is kept");
        let position = Range::new(0, 100);
        assert_eq!(to_hardware(0, OutputType::Position, position, limit(20, 80)), 20);
        assert_eq!(to_hardware(100, OutputType::Position, position, limit(20, 80)), 80);
        assert_eq!(to_hardware(50, OutputType::Position, position, limit(20, 80)), 50);
        let disabled = OutputLimit { range: Range::new(0, 20), disabled: true };
        assert_eq!(to_hardware(20, v, twenty, disabled), 0);
    }

    fn hush() -> Vec<Feature> {
        vec![Feature {
            index: 0,
            description: "Vibrator".into(),
            outputs: vec![Output::new(OutputType::Vibrate, Range::new(0, 20))],
            inputs: vec![],
        }]
    }

    async fn lovense_task(
        gap: Duration,
    ) -> (Arc<FakeHardware>, mpsc::UnboundedSender<TaskCommand>, tokio::task::JoinHandle<bool>) {
        let fake = Arc::new(FakeHardware::new("LVS-Z36", "AA:BB"));
        let features = hush();
        let protocol = by_name("lovense").unwrap();
        let _ = Advertisement::named("LVS-Z36");
        let handler = protocol.initialize(&*fake, Some("Z"), &features).await.unwrap();
        let slots = vec![Slot { feature_index: 0, kind: OutputType::Vibrate, advertised: Range::new(0, 20) }];
        let task = DeviceTask::new(fake.clone(), handler, slots, vec![], gap);
        let (tx, rx) = mpsc::unbounded_channel();
        let join = tokio::spawn(task.run(rx));
        (fake, tx, join)
    }

    /// Lets the device task do everything it can do now. The tests run on a paused clock, which
    /// tokio moves on only once every task waits: when this one-millisecond sleep returns, the
    /// task has taken every command sent before and written what it writes at once (the
    /// fake's writes are synchronous). A barrier, not a guess at how long that takes.
    async fn settle() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    fn set(value: i32, urgent: bool) -> TaskCommand {
        TaskCommand::Set { changes: vec![SlotChange { slot: 0, value, duration_ms: None }], urgent }
    }

    #[tokio::test(start_paused = true)]
    async fn changes_within_the_gap_collapse_to_the_latest_and_stops_go_at_once() {
        let (fake, tx, _join) = lovense_task(Duration::from_millis(75)).await;
        tx.send(set(10, false)).unwrap();
        settle().await;
        assert_eq!(written(&fake), vec!["Vibrate:10;"], "the first change goes at once");
        tx.send(set(11, false)).unwrap();
        tx.send(set(12, false)).unwrap();
        tx.send(set(13, false)).unwrap();
        // 10 ms into the 75 ms gap, then past it: the pauses are the gap under test.
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(written(&fake).len(), 1, "later changes wait for the gap");
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(written(&fake), vec!["Vibrate:10;", "Vibrate:13;"], "latest wins");
        tx.send(set(5, false)).unwrap();
        tx.send(set(0, true)).unwrap();
        settle().await;
        assert_eq!(written(&fake).last().unwrap(), "Vibrate:0;", "a stop does not wait");
    }

    /// A task for a Kiiroo v2.1 (initialized) stroker: keepalive protocol, one position output.
    async fn stroker_task() -> (Arc<FakeHardware>, mpsc::UnboundedSender<TaskCommand>) {
        let fake = Arc::new(FakeHardware::new("Keon", "AA:CC"));
        let features = vec![Feature {
            index: 0,
            description: String::new(),
            outputs: vec![Output {
                kind: OutputType::HwPositionWithDuration,
                range: Range::new(0, 99),
                duration: Some(Range::new(0, 10_000)),
            }],
            inputs: vec![],
        }];
        let handler = by_name("kiiroo-v21-initialized").unwrap().initialize(&*fake, None, &features).await.unwrap();
        fake.take_writes();
        let slots =
            vec![Slot { feature_index: 0, kind: OutputType::HwPositionWithDuration, advertised: Range::new(0, 99) }];
        let task = DeviceTask::new(fake.clone(), handler, slots, vec![], Duration::ZERO);
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(task.run(rx));
        (fake, tx)
    }

    #[tokio::test(start_paused = true)]
    async fn a_stroker_is_not_moved_on_connect_and_its_first_move_to_0_is_written() {
        let (fake, tx) = stroker_task().await;
        settle().await;
        assert!(
            fake.writes().is_empty(),
            "the keepalive seed is a stop, and a position is no stop: {:?}",
            fake.writes()
        );
        // Plugboard assumes 0, but the stroker may be anywhere: the first move to 0 is written.
        tx.send(TaskCommand::Set {
            changes: vec![SlotChange { slot: 0, value: 0, duration_ms: Some(500) }],
            urgent: false,
        })
        .unwrap();
        settle().await;
        assert_eq!(fake.take_writes().len(), 1, "the first move to 0 goes out");
        tx.send(TaskCommand::Set {
            changes: vec![SlotChange { slot: 0, value: 0, duration_ms: Some(500) }],
            urgent: false,
        })
        .unwrap();
        settle().await;
        assert!(fake.take_writes().is_empty(), "once known, the same move is not repeated");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_reaches_an_output_never_commanded() {
        let (fake, tx, _join) = lovense_task(Duration::ZERO).await;
        // What STOP ALL sends for an output Plugboard believes at rest.
        tx.send(set(0, true)).unwrap();
        settle().await;
        assert_eq!(written(&fake), vec!["Vibrate:0;"], "the state was not known: the stop is written");
        tx.send(set(0, true)).unwrap();
        settle().await;
        assert_eq!(written(&fake).len(), 1, "a second stop of a known-stopped output is not");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_queued_behind_levels_is_written_alone() {
        let (fake, tx, _join) = lovense_task(Duration::ZERO).await;
        // Both queued before the task runs (a game's last levels, then its disconnect).
        tx.send(set(15, false)).unwrap();
        tx.send(set(0, true)).unwrap();
        settle().await;
        assert_eq!(written(&fake), vec!["Vibrate:0;"], "the queued level never reaches the toy");
    }

    /// A Mystery Vibe Crescendo: six motors in one packet, keepalive every 93 ms.
    async fn crescendo_task(
        gap: Duration,
    ) -> (Arc<FakeHardware>, mpsc::UnboundedSender<TaskCommand>, tokio::task::JoinHandle<bool>) {
        let fake =
            Arc::new(FakeHardware::with_endpoints("MV Crescendo", "AA:DD", &[Endpoint::TxMode, Endpoint::TxVibrate]));
        let features: Vec<Feature> = (0..6)
            .map(|index| Feature {
                index,
                description: String::new(),
                outputs: vec![Output::new(OutputType::Vibrate, Range::new(0, 56))],
                inputs: vec![],
            })
            .collect();
        let handler = by_name("mysteryvibe").unwrap().initialize(&*fake, None, &features).await.unwrap();
        let slots = (0..6)
            .map(|index| Slot { feature_index: index, kind: OutputType::Vibrate, advertised: Range::new(0, 56) })
            .collect();
        let task = DeviceTask::new(fake.clone(), handler, slots, vec![], gap);
        let (tx, rx) = mpsc::unbounded_channel();
        let join = tokio::spawn(task.run(rx));
        settle().await;
        fake.take_writes();
        (fake, tx, join)
    }

    fn every_motor(levels: [i32; 6], urgent: bool) -> TaskCommand {
        let changes =
            levels.iter().enumerate().map(|(slot, &value)| SlotChange { slot, value, duration_ms: None }).collect();
        TaskCommand::Set { changes, urgent }
    }

    fn packets(fake: &FakeHardware) -> Vec<Vec<u8>> {
        fake.take_writes().into_iter().map(|write| write.data).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn six_motors_set_and_stopped_in_one_write_each_and_a_stop_skips_the_gap() {
        let (fake, tx, _join) = crescendo_task(Duration::from_millis(75)).await;
        // The gap since the keepalive seed (written on connect) has passed; no keepalive is due
        // (the pause is the gap under test).
        tokio::time::sleep(Duration::from_millis(76)).await;
        tx.send(every_motor([10, 20, 30, 40, 50, 56], false)).unwrap();
        settle().await;
        assert_eq!(packets(&fake), vec![vec![10, 20, 30, 40, 50, 56]], "one command, one packet");
        // Within the gap of that write: a stop goes out at once, in one packet.
        tx.send(TaskCommand::Set { changes: (0..6).map(SlotChange::stop).collect(), urgent: true }).unwrap();
        settle().await;
        assert_eq!(packets(&fake), vec![vec![0; 6]]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_keepalive_shorter_than_the_gap_writes_the_waiting_change_not_the_old_packet() {
        let (fake, tx, _join) = crescendo_task(Duration::from_millis(200)).await;
        // Within the gap of the keepalive seed: the change waits.
        tx.send(every_motor([1, 1, 1, 1, 1, 1], false)).unwrap();
        // The keepalive (93 ms) comes before the gap (200 ms) has passed, and every 93 ms after.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(packets(&fake), vec![vec![1; 6]], "the waiting change is what the keepalive writes");
    }

    #[tokio::test(start_paused = true)]
    async fn a_battery_read_that_waits_does_not_hold_a_stop_back() {
        let fake = Arc::new(FakeHardware::with_endpoints("GX85", "AA:EE", &[Endpoint::Tx, Endpoint::RxBleBattery]));
        let features = vec![Feature {
            index: 0,
            description: String::new(),
            outputs: vec![Output::new(OutputType::Vibrate, Range::new(0, 100))],
            inputs: vec![],
        }];
        let handler = by_name("galaku").unwrap().initialize(&*fake, None, &features).await.unwrap();
        let slots = vec![Slot { feature_index: 0, kind: OutputType::Vibrate, advertised: Range::new(0, 100) }];
        let task = DeviceTask::new(fake.clone(), handler, slots, vec![], Duration::ZERO);
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(task.run(rx));
        tx.send(TaskCommand::Set {
            changes: vec![SlotChange { slot: 0, value: 50, duration_ms: None }],
            urgent: false,
        })
        .unwrap();
        // The toy never answers the battery query (the read gives up after 2 s).
        let (reply, battery) = oneshot::channel();
        tx.send(TaskCommand::Battery(reply)).unwrap();
        tx.send(TaskCommand::Set { changes: vec![SlotChange::stop(0)], urgent: true }).unwrap();
        settle().await;
        let stop = crate::protocols::galaku::frame([0x5a, 0x00, 0x00, 0x01, 0x31, 0, 0, 0, 0, 0]);
        assert!(
            fake.writes().iter().any(|w| w.data == stop),
            "the stop is out while the read waits: {:?}",
            fake.writes()
        );
        assert!(battery.await.unwrap().is_err(), "and the read still ends");
    }

    /// A stroker whose position is set with and without a move time (one feature, two
    /// outputs): after the other output moved it, a repeat of a command is no repeat for the
    /// device and goes out.
    #[tokio::test(start_paused = true)]
    async fn a_repeat_goes_out_when_another_output_of_its_feature_was_written_since() {
        let fake = Arc::new(FakeHardware::new("Virtual Stroker", "virtual:0"));
        let position = Output::new(OutputType::Position, Range::new(0, 100));
        let timed = Output {
            kind: OutputType::HwPositionWithDuration,
            range: Range::new(0, 100),
            duration: Some(Range::new(0, 60_000)),
        };
        let features =
            vec![Feature { index: 0, description: String::new(), outputs: vec![position, timed], inputs: vec![] }];
        let handler = by_name("virtual").unwrap().initialize(&*fake, Some("stroker"), &features).await.unwrap();
        let slots = [OutputType::Position, OutputType::HwPositionWithDuration]
            .map(|kind| Slot { feature_index: 0, kind, advertised: Range::new(0, 100) })
            .to_vec();
        let task = DeviceTask::new(fake.clone(), handler, slots, vec![], Duration::ZERO);
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(task.run(rx));
        let command = |slot, value, duration_ms| TaskCommand::Set {
            changes: vec![SlotChange { slot, value, duration_ms }],
            urgent: false,
        };
        for (step, (slot, value, duration_ms)) in
            [(1, 33, Some(700)), (0, 66, None), (1, 33, Some(700))].into_iter().enumerate()
        {
            tx.send(command(slot, value, duration_ms)).unwrap();
            settle().await;
            assert_eq!(fake.take_writes().len(), 1, "step {step} is written");
        }
        tx.send(command(1, 33, Some(700))).unwrap();
        tx.send(command(0, 50, None)).unwrap();
        settle().await;
        assert_eq!(fake.take_writes().len(), 1, "a true repeat is dropped; the position that follows it is not");
    }

    #[tokio::test(start_paused = true)]
    async fn limits_apply_before_encoding_and_can_change_live() {
        let (fake, tx, _join) = lovense_task(Duration::ZERO).await;
        tx.send(TaskCommand::Limits(vec![limit(0, 10)])).unwrap();
        tx.send(set(20, false)).unwrap();
        settle().await;
        assert_eq!(written(&fake), vec!["Vibrate:10;"]);
        tx.send(TaskCommand::Limits(vec![limit(0, 4)])).unwrap();
        settle().await;
        assert_eq!(written(&fake), vec!["Vibrate:10;", "Vibrate:4;"], "a new limit applies to the running level");
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_stops_then_disconnects_and_a_disconnect_ends_the_task() {
        let (fake, tx, join) = lovense_task(Duration::ZERO).await;
        tx.send(set(7, false)).unwrap();
        let (done, finished) = oneshot::channel();
        tx.send(TaskCommand::Shutdown(done)).unwrap();
        finished.await.unwrap();
        assert_eq!(written(&fake), vec!["Vibrate:7;", "Vibrate:0;"]);
        assert!(!join.await.unwrap());

        let (fake, _tx, join) = lovense_task(Duration::ZERO).await;
        fake.drop_connection();
        assert!(join.await.unwrap(), "the hardware went away by itself");
    }

    fn set_slot(slot: usize, value: i32, urgent: bool) -> TaskCommand {
        TaskCommand::Set { changes: vec![SlotChange { slot, value, duration_ms: None }], urgent }
    }

    /// A handler whose packets show their frame numbers: `[number, level]` for each changed
    /// output, kept alive as told.
    struct NumberedProbe(Keepalive);

    impl DeviceHandler for NumberedProbe {
        fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
            self.encode_numbered(levels, changed, FrameNumber::FIRST)
        }

        fn encode_numbered(&self, levels: &[OutputLevel], changed: ChangeSet, first: FrameNumber) -> Vec<Write> {
            let packet = |n: usize, slot: usize| vec![first.plus(n).low_byte(), levels[slot].value as u8];
            changed
                .iter(levels.len())
                .enumerate()
                .map(|(n, slot)| Write::without_response(Endpoint::Tx, packet(n, slot)))
                .collect()
        }

        fn keepalive(&self) -> Keepalive {
            self.0
        }
    }

    /// A task for a [`NumberedProbe`] with two vibrators, and the writes it made on connect.
    async fn probe_task(keepalive: Keepalive) -> (Arc<FakeHardware>, mpsc::UnboundedSender<TaskCommand>, Vec<Vec<u8>>) {
        let fake = Arc::new(FakeHardware::new("probe", "AA:FF"));
        let slots = (0..2)
            .map(|index| Slot { feature_index: index, kind: OutputType::Vibrate, advertised: Range::new(0, 100) })
            .collect();
        let task = DeviceTask::new(fake.clone(), Box::new(NumberedProbe(keepalive)), slots, vec![], Duration::ZERO);
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(task.run(rx));
        settle().await;
        let on_connect = packets(&fake);
        (fake, tx, on_connect)
    }

    #[tokio::test(start_paused = true)]
    async fn writes_are_numbered_from_connect_across_flushes_and_stops() {
        let (fake, tx, on_connect) = probe_task(Keepalive::None).await;
        assert!(on_connect.is_empty());
        tx.send(set_slot(0, 50, false)).unwrap();
        settle().await;
        tx.send(set_slot(1, 70, false)).unwrap();
        settle().await;
        assert_eq!(packets(&fake), vec![vec![0, 50], vec![1, 70]], "numbered from 0");
        tx.send(set_slot(0, 0, true)).unwrap();
        tx.send(set_slot(1, 0, true)).unwrap();
        settle().await;
        assert_eq!(packets(&fake), vec![vec![2, 0], vec![3, 0]], "a stop's writes count on");
    }

    #[tokio::test(start_paused = true)]
    async fn a_resend_state_keepalive_encodes_the_state_again_with_new_numbers() {
        let period = Duration::from_millis(500);
        let (fake, tx, on_connect) = probe_task(Keepalive::ResendState(period)).await;
        assert!(on_connect.is_empty(), "no seed: {on_connect:?}");
        tokio::time::sleep(period - Duration::from_millis(2)).await;
        assert_eq!(packets(&fake), Vec::<Vec<u8>>::new(), "nothing before the period is over");
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(packets(&fake), vec![vec![0, 0], vec![1, 0]], "one period after connect: the stopped state");
        tx.send(set_slot(0, 50, false)).unwrap();
        settle().await;
        assert_eq!(packets(&fake), vec![vec![2, 50]]);
        tokio::time::sleep(period - Duration::from_millis(1)).await;
        assert_eq!(packets(&fake), Vec::<Vec<u8>>::new(), "nothing before the period is over");
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(packets(&fake), vec![vec![3, 50], vec![4, 0]], "the whole state, numbered anew");
        tokio::time::sleep(period).await;
        assert_eq!(packets(&fake), vec![vec![5, 50], vec![6, 0]]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeat_last_keepalive_repeats_bytes_and_does_not_count() {
        let period = Duration::from_millis(500);
        let (fake, tx, on_connect) = probe_task(Keepalive::RepeatLast(period)).await;
        assert_eq!(on_connect, vec![vec![0, 0], vec![1, 0]]);
        tx.send(set_slot(1, 9, false)).unwrap();
        settle().await;
        assert_eq!(packets(&fake), vec![vec![2, 9]]);
        tokio::time::sleep(period).await;
        assert_eq!(packets(&fake), vec![vec![2, 9]], "the same bytes again");
        tx.send(set_slot(0, 4, false)).unwrap();
        settle().await;
        assert_eq!(packets(&fake), vec![vec![3, 4]], "numbers count what was encoded, not repeated");
    }
}
