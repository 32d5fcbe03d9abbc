//! Runs what API commands ask for over time: one task per running program, issuing output
//! commands to the device manager as one client, so the engine's ownership rules apply to
//! them as to any Buttplug client (docs/architecture.md, Clients and ownership).
//!
//! - A new command for a toy replaces the programs running on it (`stopPrevious`, the
//!   default) or runs beside them (`stopPrevious: 0`; the latest command wins per output).
//! - A program that ends (`timeSec` passed) sets what it drove to 0 in one command, and
//!   leaves the rest of the toy alone.
//! - [`Runner::stop_programs`] ends every program without writing: the engine calls it on the
//!   user's STOP ALL, which has already stopped every output, so that no pattern starts the
//!   toy again on its next step.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plugboard_devices::{ClientId, DeviceManager};
use plugboard_protocol::model::{FeatureCommand, OutputCommand, OutputType, StopScope};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::program::{PositionScript, Program, Step};
use super::toys::Toy;

/// The programs of one API client.
pub struct Runner {
    devices: Arc<DeviceManager>,
    client: ClientId,
    running: Mutex<Running>,
}

#[derive(Default)]
struct Running {
    next_id: u64,
    /// Per device index: the programs running on it.
    by_toy: HashMap<u32, Vec<(u64, JoinHandle<()>)>>,
    /// Per device index: the outputs this client has set and not stopped since, including
    /// those of programs that ended with their outputs running (a `Function` without
    /// `timeSec`).
    held: HashMap<u32, BTreeSet<(u32, OutputType)>>,
}

impl Runner {
    pub fn new(devices: Arc<DeviceManager>, client: ClientId) -> Arc<Runner> {
        Arc::new(Runner { devices, client, running: Mutex::default() })
    }

    /// The client the programs run as.
    pub fn client(&self) -> ClientId {
        self.client
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Running> {
        self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts `program` on `toy`. With `stop_previous`, the toy's running programs end first
    /// (their outputs are taken over by this one, or stopped if it does not drive them).
    ///
    /// The first step goes to the device here, in the caller's task, before the app's answer
    /// is written: a command that changes nothing later (a `Function` without `timeSec`, what
    /// games send on every change) needs no task at all, and the rest of a program runs in a
    /// task of its own from its first change on. Handing the first step to a new task cost a
    /// task wake-up and the answer's write before the toy heard of it (docs/performance.md,
    /// issue 18).
    pub fn start(self: &Arc<Self>, toy: impl Into<Arc<Toy>>, program: Program, stop_previous: bool) {
        let toy = toy.into();
        let start = Instant::now();
        let first = match program.at(0) {
            Step::Run(action) => toy.commands(&action),
            Step::Pause | Step::Done => Vec::new(),
        };
        if stop_previous {
            self.replace_programs(&toy, &first);
        }
        if !self.send(toy.device_index, &first) {
            return;
        }
        let Some(next) = program.next_change(0) else { return };
        let driven: BTreeSet<(u32, OutputType)> = first.iter().map(|c| (c.feature_index, c.command.kind)).collect();
        let runner = Arc::clone(self);
        let index = toy.device_index;
        self.spawn(index, move |id| async move { runner.run(id, toy, program, start, next, driven).await });
    }

    /// Plays a position script on a stroker from `offset_ms` of the script, after `delay`.
    pub fn play(self: &Arc<Self>, toy: impl Into<Arc<Toy>>, script: PositionScript, offset_ms: u64, delay: Duration) {
        let toy = toy.into();
        self.replace_programs(&toy, &[]);
        let runner = Arc::clone(self);
        let index = toy.device_index;
        self.spawn(index, move |id| async move {
            tokio::time::sleep(delay).await;
            runner.play_script(id, toy, script, offset_ms).await
        });
    }

    /// Ends the toy's programs and stops every output this client runs on it, in one stop.
    pub fn stop_toy(&self, device_index: u32) {
        self.abort(device_index);
        self.stop_device(device_index);
    }

    /// Ends every program without writing anything (the user's STOP ALL already stopped the
    /// outputs).
    pub fn stop_programs(&self) {
        let programs = {
            let mut running = self.lock();
            running.held.clear();
            std::mem::take(&mut running.by_toy)
        };
        for (_, handle) in programs.into_values().flatten() {
            handle.abort();
        }
    }

    /// Ends every program and stops every output this client runs (the user disconnected the
    /// app).
    pub fn stop_everything(&self) {
        self.stop_programs();
        let scope = StopScope { device_index: None, feature_index: None, inputs: false, outputs: true };
        if let Err(error) = self.devices.stop(Some(self.client), scope) {
            tracing::debug!(%error, "Lovense API: stopping an app's toys");
        }
    }

    /// Whether the app runs something, and so stays listed: a program, or a level it set that
    /// still runs under its name. A `Function` without `timeSec` has nothing left to change,
    /// so its program ends at once and leaves its levels running until a stop or another
    /// client's command; the user must still see who runs the toy.
    pub fn is_running(&self) -> bool {
        if !self.lock().by_toy.is_empty() {
            return true;
        }
        self.devices
            .snapshot()
            .iter()
            .flat_map(|device| &device.outputs)
            .any(|output| output.owner == Some(self.client) && output.value != 0 && output.kind.stops_at_zero())
    }

    /// How many programs run on the toy (for tests and the Apps view).
    #[cfg(test)]
    pub fn programs_on(&self, device_index: u32) -> usize {
        self.lock().by_toy.get(&device_index).map_or(0, Vec::len)
    }

    /// Ends the toy's programs; what they (or earlier commands) left running and `next` does
    /// not set again is set to 0, so that the new command alone decides what runs.
    fn replace_programs(&self, toy: &Toy, next: &[FeatureCommand]) {
        self.abort(toy.device_index);
        let mut leftover = self.lock().held.get(&toy.device_index).cloned().unwrap_or_default();
        for command in next {
            leftover.remove(&(command.feature_index, command.command.kind));
        }
        self.send(toy.device_index, &zeros(&leftover));
    }

    /// Aborts the toy's programs; whether there were any.
    fn abort(&self, device_index: u32) -> bool {
        let programs = self.lock().by_toy.remove(&device_index).unwrap_or_default();
        let any = !programs.is_empty();
        for (_, handle) in programs {
            handle.abort();
        }
        any
    }

    fn stop_device(&self, device_index: u32) {
        self.lock().held.remove(&device_index);
        let scope = StopScope { device_index: Some(device_index), feature_index: None, inputs: false, outputs: true };
        if let Err(error) = self.devices.stop(Some(self.client), scope) {
            tracing::debug!(device_index, %error, "Lovense API: stopping a toy that is gone");
        }
    }

    fn spawn<F, Fut>(&self, device_index: u32, body: F)
    where
        F: FnOnce(u64) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let mut running = self.lock();
        let id = running.next_id;
        running.next_id += 1;
        let handle = tokio::spawn(body(id));
        running.by_toy.entry(device_index).or_default().push((id, handle));
    }

    /// Forgets a program that ended by itself; whether another program still runs on the toy.
    fn ended(&self, device_index: u32, id: u64) -> bool {
        let mut running = self.lock();
        let Some(programs) = running.by_toy.get_mut(&device_index) else { return false };
        programs.retain(|(program, _)| *program != id);
        let others = !programs.is_empty();
        if !others {
            running.by_toy.remove(&device_index);
        }
        others
    }

    fn send(&self, device_index: u32, commands: &[FeatureCommand]) -> bool {
        if commands.is_empty() {
            return true;
        }
        self.send_locked(&mut self.lock(), device_index, commands)
    }

    /// Sends a step of program `id`, unless the program has been ended. The check and the
    /// send happen under one lock, so a program that STOP ALL (or a new command) ends while
    /// it is between steps never writes after the stop that follows.
    fn send_step(&self, id: u64, device_index: u32, commands: &[FeatureCommand]) -> bool {
        let mut running = self.lock();
        let alive = running.by_toy.get(&device_index).is_some_and(|programs| programs.iter().any(|(p, _)| *p == id));
        if !alive {
            return false;
        }
        commands.is_empty() || self.send_locked(&mut running, device_index, commands)
    }

    fn send_locked(&self, running: &mut Running, device_index: u32, commands: &[FeatureCommand]) -> bool {
        match self.devices.command(self.client, device_index, commands) {
            Ok(()) => {
                let held = running.held.entry(device_index).or_default();
                for command in commands {
                    let output = (command.feature_index, command.command.kind);
                    if command.command.value != 0 && command.command.kind.stops_at_zero() {
                        held.insert(output);
                    } else {
                        held.remove(&output);
                    }
                }
                true
            }
            Err(error) => {
                tracing::debug!(device_index, %error, "Lovense API: a program ends because its toy is gone");
                false
            }
        }
    }

    /// Runs `program` from its change at `next` ms after `start` (its first step was sent by
    /// [`Runner::start`]); `driven` holds the outputs it has set so far.
    async fn run(
        self: Arc<Self>,
        id: u64,
        toy: Arc<Toy>,
        program: Program,
        start: Instant,
        mut next: u64,
        mut driven: BTreeSet<(u32, OutputType)>,
    ) {
        loop {
            sleep_until_after(start, next).await;
            let elapsed = (start.elapsed().as_millis() as u64).max(next);
            let sent = match program.at(elapsed) {
                Step::Run(action) => {
                    let commands = toy.commands(&action);
                    driven.extend(commands.iter().map(|c| (c.feature_index, c.command.kind)));
                    self.send_step(id, toy.device_index, &commands)
                }
                Step::Pause => self.send_step(id, toy.device_index, &zeros(&driven)),
                Step::Done => {
                    self.finish(id, toy.device_index, &driven);
                    return;
                }
            };
            match program.next_change(elapsed).filter(|_| sent) {
                Some(later) => next = later,
                None => {
                    // Nothing changes any more: the outputs keep running until a stop.
                    self.ended(toy.device_index, id);
                    return;
                }
            }
        }
    }

    async fn play_script(self: Arc<Self>, id: u64, toy: Arc<Toy>, script: PositionScript, offset_ms: u64) {
        let start = Instant::now();
        let mut at = offset_ms;
        while let Some(step) = script.move_from(at) {
            let duration = u32::try_from(step.duration_ms).unwrap_or(u32::MAX);
            if !self.send_step(id, toy.device_index, &toy.move_commands(step.position, duration)) {
                break;
            }
            at = at.saturating_add(step.duration_ms);
            sleep_until_after(start, at - offset_ms).await;
        }
        self.ended(toy.device_index, id);
    }

    /// A program that ran its time sets what it drove to 0, and nothing else: outputs that
    /// another command of this client left running stay as they are.
    fn finish(&self, id: u64, device_index: u32, driven: &BTreeSet<(u32, OutputType)>) {
        self.ended(device_index, id);
        self.send(device_index, &zeros(driven));
    }
}

/// Sleeps until `ms` after `start`. A moment the clock cannot hold (a request asked for
/// `timeSec: 1e300`) never comes: the task then waits until it is ended.
async fn sleep_until_after(start: Instant, ms: u64) {
    match start.checked_add(Duration::from_millis(ms)) {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Zero for each of `outputs` that a stop sets to zero.
fn zeros(outputs: &BTreeSet<(u32, OutputType)>) -> Vec<FeatureCommand> {
    outputs
        .iter()
        .filter(|(_, kind)| kind.stops_at_zero())
        .map(|&(feature_index, kind)| FeatureCommand {
            feature_index,
            command: OutputCommand { kind, value: 0, duration_ms: None },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lovense::action::parse_action;
    use crate::lovense::program::{parse_pattern, ScriptPoint};
    use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};

    const API: ClientId = 9000;
    const GAME: ClientId = 9001;

    struct Setup {
        devices: Arc<DeviceManager>,
        runner: Arc<Runner>,
        toy: Toy,
    }

    fn setup(kind: VirtualKind) -> Setup {
        let devices = DeviceManager::new();
        let info = devices.add_virtual(VirtualDeviceSpec::new(kind));
        let outputs = info
            .features
            .iter()
            .flat_map(|feature| feature.outputs.iter().map(move |output| (feature.index, output.kind, output.range)));
        let toy = Toy::new(info.index, &format!("virtual:{}", info.index), &info.name, None, outputs);
        let runner = Runner::new(Arc::clone(&devices), API);
        Setup { devices, runner, toy }
    }

    impl Setup {
        fn level(&self, feature_index: u32, kind: OutputType) -> i32 {
            self.devices.output_level(self.toy.device_index, feature_index, kind).unwrap()
        }

        fn steady(&self, action: &str, total_ms: Option<u64>) -> Program {
            Program::steady(parse_action(action).unwrap(), total_ms, None, None)
        }
    }

    /// Lets spawned programs run up to the (paused) clock.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_function_stops_by_itself() {
        let s = setup(VirtualKind::Vibrator);
        s.runner.start(s.toy.clone(), s.steady("Vibrate:10", Some(3000)), true);
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 10);
        tokio::time::sleep(Duration::from_millis(2990)).await;
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 10);
        tokio::time::sleep(Duration::from_millis(20)).await;
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 0);
        assert_eq!(s.runner.programs_on(s.toy.device_index), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_step_reaches_the_toy_before_start_returns() {
        let s = setup(VirtualKind::Vibrator);
        // Untimed: nothing changes later, so no program task is left behind.
        s.runner.start(s.toy.clone(), s.steady("Vibrate:9", None), true);
        assert_eq!(s.level(0, OutputType::Vibrate), 9, "set without any task having run");
        assert_eq!(s.runner.programs_on(s.toy.device_index), 0);
        // Timed: set at once as well, and a task keeps the time.
        s.runner.start(s.toy.clone(), s.steady("Vibrate:4", Some(1000)), true);
        assert_eq!(s.level(0, OutputType::Vibrate), 4);
        assert_eq!(s.runner.programs_on(s.toy.device_index), 1);
        tokio::time::sleep(Duration::from_millis(1001)).await;
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 0);
        assert_eq!(s.runner.programs_on(s.toy.device_index), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pattern_steps_and_stop_programs_ends_it_for_good() {
        let s = setup(VirtualKind::Vibrator);
        let pattern = parse_pattern("V:1;F:v;S:1000#", "20;5").unwrap();
        s.runner.start(s.toy.clone(), Program::pattern(pattern, None), true);
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 20);
        tokio::time::sleep(Duration::from_millis(1001)).await;
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 5);
        // The user's STOP ALL: the engine stops every output, then the programs.
        s.devices.stop(None, StopScope::EVERYTHING).unwrap();
        s.runner.stop_programs();
        tokio::time::sleep(Duration::from_millis(5000)).await;
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 0, "no later step starts the toy again");
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_command_replaces_the_running_one_unless_told_otherwise() {
        let s = setup(VirtualKind::LovenseMax);
        s.runner.start(s.toy.clone(), s.steady("Vibrate:10,Pump:3", None), true);
        settle().await;
        assert_eq!((s.level(0, OutputType::Vibrate), s.level(1, OutputType::Constrict)), (10, 3));
        // Replaces: the pump that the new command does not drive stops.
        s.runner.start(s.toy.clone(), s.steady("Vibrate:4", Some(10_000)), true);
        settle().await;
        assert_eq!((s.level(0, OutputType::Vibrate), s.level(1, OutputType::Constrict)), (4, 0));
        // Beside it: the pump runs, the vibrator keeps its level, and when the pump's program
        // ends only the pump stops.
        s.runner.start(s.toy.clone(), s.steady("Pump:2", Some(1000)), false);
        settle().await;
        assert_eq!((s.level(0, OutputType::Vibrate), s.level(1, OutputType::Constrict)), (4, 2));
        assert_eq!(s.runner.programs_on(s.toy.device_index), 2);
        tokio::time::sleep(Duration::from_millis(1001)).await;
        settle().await;
        assert_eq!((s.level(0, OutputType::Vibrate), s.level(1, OutputType::Constrict)), (4, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn ending_a_program_never_stops_another_clients_output() {
        let s = setup(VirtualKind::DualVibrator);
        s.runner.start(s.toy.clone(), s.steady("Vibrate1:10", Some(1000)), true);
        settle().await;
        // A game takes the second vibrator meanwhile.
        let game = FeatureCommand {
            feature_index: 1,
            command: OutputCommand { kind: OutputType::Vibrate, value: 7, duration_ms: None },
        };
        s.devices.command(GAME, s.toy.device_index, &[game]).unwrap();
        tokio::time::sleep(Duration::from_millis(1001)).await;
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 0);
        assert_eq!(s.level(1, OutputType::Vibrate), 7, "the game's output keeps running");
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_program_beside_an_untimed_one_stops_only_its_own_output() {
        let s = setup(VirtualKind::LovenseMax);
        s.runner.start(s.toy.clone(), s.steady("Vibrate:6", None), true);
        settle().await;
        s.runner.start(s.toy.clone(), s.steady("Pump:1", Some(500)), false);
        settle().await;
        tokio::time::sleep(Duration::from_millis(501)).await;
        settle().await;
        assert_eq!((s.level(0, OutputType::Vibrate), s.level(1, OutputType::Constrict)), (6, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_loop_pauses_and_resumes() {
        let s = setup(VirtualKind::Vibrator);
        let program = Program::steady(parse_action("Vibrate:12").unwrap(), Some(10_000), Some(2000), Some(1000));
        s.runner.start(s.toy.clone(), program, true);
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 12);
        tokio::time::sleep(Duration::from_millis(2001)).await;
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 0);
        tokio::time::sleep(Duration::from_millis(1000)).await;
        settle().await;
        assert_eq!(s.level(0, OutputType::Vibrate), 12);
    }

    #[tokio::test(start_paused = true)]
    async fn stop_toy_ends_programs_and_stops_outputs_at_once() {
        let s = setup(VirtualKind::Vibrator);
        s.runner.start(s.toy.clone(), s.steady("Vibrate:20", None), true);
        settle().await;
        s.runner.stop_toy(s.toy.device_index);
        assert_eq!(s.level(0, OutputType::Vibrate), 0);
        assert_eq!(s.runner.programs_on(s.toy.device_index), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_position_script_moves_the_stroker_point_by_point() {
        let s = setup(VirtualKind::Stroker);
        let script = PositionScript::new(vec![
            ScriptPoint { ts_ms: 0, position: 0 },
            ScriptPoint { ts_ms: 500, position: 80 },
            ScriptPoint { ts_ms: 1200, position: 20 },
        ])
        .unwrap();
        s.runner.play(s.toy.clone(), script, 0, Duration::ZERO);
        settle().await;
        let stroker = s.toy.slots.iter().find(|slot| slot.kind == OutputType::HwPositionWithDuration).unwrap();
        assert_eq!(s.level(stroker.feature_index, OutputType::HwPositionWithDuration), 80);
        tokio::time::sleep(Duration::from_millis(501)).await;
        settle().await;
        assert_eq!(s.level(stroker.feature_index, OutputType::HwPositionWithDuration), 20);
        tokio::time::sleep(Duration::from_millis(800)).await;
        settle().await;
        assert_eq!(s.runner.programs_on(s.toy.device_index), 0);
    }
}
