//! The device task's clock: keepalives and time-driven handlers (`protocols::timed`), run
//! through a real [`DeviceTask`] under tokio's paused clock, with the time of every write.
//!
//! Each test connects a model of the built-in database through its protocol's `initialize`
//! into a [`FakeHardware`], runs the task with the Bluetooth LE message gap, sends commands at
//! chosen times (milliseconds after the task started) and then compares every write the fake
//! received with the time it came, to the millisecond: nothing early, nothing late, nothing
//! after a stop.

use std::sync::Arc;
use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::config::Database;
use crate::device_task::{DeviceTask, Slot, SlotChange, TaskCommand};
use crate::hardware::Endpoint;
use crate::protocols::single_packet::{Outputs, Packets, SinglePacket};
use crate::protocols::test_support::Clockwork;
use crate::protocols::{self, fmachine, fredorch_rotary, umove, DeviceHandler, Keepalive, OutputLevel};
use crate::testing::FakeHardware;

/// The message gap of a Bluetooth LE device (the pipeline's default).
const BLE_GAP: Duration = Duration::from_millis(75);

/// A connected model with its task running, and the clock the test's times count from.
struct Toy {
    fake: Arc<FakeHardware>,
    commands: mpsc::UnboundedSender<TaskCommand>,
    slots: Vec<Slot>,
    start: Instant,
}

impl Toy {
    /// `handler` for a device with `features`, its task started now.
    fn start(handler: Box<dyn DeviceHandler>, features: &[Feature]) -> Toy {
        let fake = Arc::new(FakeHardware::new("toy", "00:00:00:00:71:3e"));
        Toy::run(fake, handler, features)
    }

    fn run(fake: Arc<FakeHardware>, handler: Box<dyn DeviceHandler>, features: &[Feature]) -> Toy {
        let slots = slots(features);
        let task = DeviceTask::new(fake.clone(), handler, slots.clone(), vec![], BLE_GAP);
        let (commands, receiver) = mpsc::unbounded_channel();
        let start = Instant::now();
        tokio::spawn(task.run(receiver));
        Toy { fake, commands, slots, start }
    }

    /// `protocol`'s model `model` (`None`: its defaults), initialised (its init writes are
    /// dropped), with its device task started now.
    async fn connect(protocol: &str, model: Option<&str>) -> Toy {
        let database = Database::builtin().expect("the built-in database loads");
        let protocol = protocols::by_name(protocol).expect("registered");
        let definition = database.definition(protocol.name(), model).expect("in the database");
        let endpoints: Vec<Endpoint> = database
            .protocol(protocol.name())
            .into_iter()
            .flat_map(|def| def.endpoints.values().flat_map(|map| map.keys()))
            .filter_map(|name| name.parse().ok())
            .collect();
        let fake = Arc::new(FakeHardware::with_endpoints(model.unwrap_or("toy"), "00:00:00:00:71:3e", &endpoints));
        let handler = protocol.initialize(&*fake, model, &definition.features).await.expect("initialises");
        fake.take_writes();
        Toy::run(fake, handler, &definition.features)
    }

    fn slot(&self, feature_index: u32, kind: OutputType) -> usize {
        self.slots.iter().position(|s| s.feature_index == feature_index && s.kind == kind).expect("such an output")
    }

    /// Sets outputs, as one client command.
    fn set(&self, outputs: &[(u32, OutputType, i32)]) {
        let changes = outputs
            .iter()
            .map(|&(feature, kind, value)| SlotChange { slot: self.slot(feature, kind), value, duration_ms: None })
            .collect();
        self.commands.send(TaskCommand::Set { changes, urgent: false }).expect("task running");
    }

    /// Moves a position-with-duration output, as one client command.
    fn move_to(&self, feature_index: u32, position: i32, duration_ms: u32) {
        let slot = self.slot(feature_index, OutputType::HwPositionWithDuration);
        let changes = vec![SlotChange { slot, value: position, duration_ms: Some(duration_ms) }];
        self.commands.send(TaskCommand::Set { changes, urgent: false }).expect("task running");
    }

    /// The stop a StopDeviceCmd sends: every output that stops at 0, urgent.
    fn stop(&self) {
        self.stop_only(&(0..self.slots.len()).filter(|&s| self.slots[s].kind.stops_at_zero()).collect::<Vec<_>>());
    }

    /// A stop of some outputs only (another client's keep running).
    fn stop_only(&self, slots: &[usize]) {
        let changes = slots.iter().map(|&slot| SlotChange::stop(slot)).collect();
        self.commands.send(TaskCommand::Set { changes, urgent: true }).expect("task running");
    }

    /// Lets the clock run to `ms` after the start (the task does everything due until then).
    async fn at(&self, ms: u64) {
        tokio::time::sleep_until(self.start + Duration::from_millis(ms)).await;
    }

    /// Every write so far: milliseconds after the start, and the bytes.
    fn writes(&self) -> Vec<(u64, Vec<u8>)> {
        self.fake
            .take_timed_writes()
            .into_iter()
            .map(|(at, write)| ((at - self.start).as_millis() as u64, write.data))
            .collect()
    }

    /// The same, each write's endpoint and write type checked.
    fn writes_to(&self, endpoint: Endpoint, with_response: bool) -> Vec<(u64, Vec<u8>)> {
        let writes = self.fake.take_timed_writes();
        for (_, write) in &writes {
            assert_eq!((write.endpoint, write.with_response), (endpoint, with_response), "{write:?}");
        }
        writes.into_iter().map(|(at, write)| ((at - self.start).as_millis() as u64, write.data)).collect()
    }
}

fn slots(features: &[Feature]) -> Vec<Slot> {
    features
        .iter()
        .flat_map(|f| f.outputs.iter().map(move |o| Slot { feature_index: f.index, kind: o.kind, advertised: o.range }))
        .collect()
}

/// `bytes` at each of `times`.
fn every(times: &[u64], bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    times.iter().map(|&at| (at, bytes.to_vec())).collect()
}

use OutputType::*;

fn texts(writes: Vec<(u64, Vec<u8>)>) -> Vec<(u64, String)> {
    writes.into_iter().map(|(at, bytes)| (at, String::from_utf8(bytes).expect("text"))).collect()
}

fn said(lines: &[(u64, &str)]) -> Vec<(u64, String)> {
    lines.iter().map(|&(at, text)| (at, text.to_owned())).collect()
}

fn vibrators(count: u32) -> Vec<Feature> {
    (0..count)
        .map(|index| Feature {
            index,
            description: String::new(),
            outputs: vec![plugboard_protocol::model::Output::new(
                Vibrate,
                plugboard_protocol::model::Range::new(0, 10),
            )],
            inputs: vec![],
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_handler_is_ticked_when_it_asks_and_a_stop_ends_its_ticks() {
    let toy = Toy::start(Box::new(Clockwork), &vibrators(1));
    toy.set(&[(0, Vibrate, 3)]);
    toy.at(250).await;
    toy.set(&[(0, Vibrate, 5)]);
    toy.at(500).await;
    toy.stop();
    toy.at(2000).await;
    let expected = said(&[
        (0, "start"),
        // The message gap after the first tick's write holds the change back to 75.
        (75, "level 3"),
        (175, "tick 3"),
        (250, "level 5"),
        // The flush at 250 asked for its own tick: the one due at 275 is gone.
        (350, "tick 5"),
        (450, "tick 5"),
        (500, "stop"),
    ]);
    assert_eq!(texts(toy.writes_to(Endpoint::Tx, false)), expected, "nothing after the stop");
}

#[tokio::test(start_paused = true)]
async fn a_stop_reaches_the_handler_even_when_nothing_runs() {
    let toy = Toy::start(Box::new(Clockwork), &vibrators(1));
    toy.stop();
    toy.at(100).await;
    toy.stop();
    toy.at(200).await;
    let expected = said(&[(0, "start"), (0, "stop"), (100, "stop")]);
    assert_eq!(texts(toy.writes()), expected, "a loop could be running with every level at 0");
}

#[tokio::test(start_paused = true)]
async fn a_stop_that_leaves_another_output_running_is_a_plain_change() {
    let toy = Toy::start(Box::new(Clockwork), &vibrators(2));
    toy.set(&[(0, Vibrate, 4), (1, Vibrate, 6)]);
    toy.at(150).await;
    // The second output's client leaves; the first one's plays on.
    toy.stop_only(&[toy.slot(1, Vibrate)]);
    toy.at(260).await;
    let expected = said(&[(0, "start"), (75, "level 4"), (150, "level 4"), (250, "tick 4")]);
    assert_eq!(texts(toy.writes()), expected);
}

#[tokio::test(start_paused = true)]
async fn after_a_stop_a_repeated_position_goes_out_again() {
    let mut features = vibrators(1);
    features.push(Feature {
        index: 1,
        description: String::new(),
        outputs: vec![plugboard_protocol::model::Output::new(Position, plugboard_protocol::model::Range::new(0, 100))],
        inputs: vec![],
    });
    let toy = Toy::start(Box::new(Clockwork), &features);
    toy.set(&[(1, Position, 40)]);
    toy.at(100).await;
    toy.set(&[(1, Position, 40)]);
    toy.at(200).await;
    toy.stop();
    toy.at(300).await;
    // The stop may have halted a move to 40 half way: 40 is no repeat any more.
    toy.set(&[(1, Position, 40)]);
    toy.at(400).await;
    let expected = said(&[(0, "start"), (75, "level 0"), (200, "stop"), (300, "level 0")]);
    assert_eq!(texts(toy.writes()), expected, "the repeat at 100 is dropped, the one after the stop is not");
}

#[tokio::test(start_paused = true)]
async fn notifications_reach_the_handler() {
    let fake = Arc::new(FakeHardware::new("toy", "00:00:00:00:71:3f"));
    crate::hardware::Hardware::subscribe(&*fake, Endpoint::Rx).await.unwrap();
    let toy = Toy::run(fake, Box::new(Clockwork), &vibrators(1));
    toy.at(50).await;
    assert!(toy.fake.notify(Endpoint::Rx, b"hello"));
    toy.at(60).await;
    assert_eq!(texts(toy.writes()), said(&[(0, "start"), (50, "heard hello")]));
}

/// A vibrator that runs for about 100 ms on each packet (one byte, the level).
static REPEATED: SinglePacket = SinglePacket {
    name: "repeated",
    outputs: Outputs::of(&[Vibrate]),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(level_byte),
    keepalive: Keepalive::WhileRunning(Duration::from_millis(100)),
};

fn level_byte(level: &OutputLevel) -> Vec<u8> {
    vec![level.value as u8]
}

#[tokio::test(start_paused = true)]
async fn while_running_repeats_the_running_outputs_only_and_stops_with_them() {
    let features = vibrators(2);
    let toy = Toy::start(Box::new(REPEATED.handler(&features).unwrap()), &features);
    toy.at(300).await;
    assert!(toy.writes().is_empty(), "no seed, nothing while at rest");
    toy.set(&[(0, Vibrate, 5), (1, Vibrate, 2)]);
    toy.at(450).await;
    toy.set(&[(1, Vibrate, 0)]);
    toy.at(650).await;
    toy.stop();
    toy.at(2000).await;
    let expected = vec![
        (300, vec![5]),
        (300, vec![2]),
        (400, vec![5]),
        (400, vec![2]),
        // The 0 waits for the gap after 400; then only the running output is repeated.
        (475, vec![0]),
        (575, vec![5]),
        (650, vec![0]),
    ];
    assert_eq!(toy.writes_to(Endpoint::Tx, false), expected);
}

#[tokio::test(start_paused = true)]
async fn leten_is_seeded_with_a_stop_and_its_last_packet_repeated_every_second() {
    let leten = Toy::connect("leten", None).await;
    leten.at(2500).await;
    leten.set(&[(0, Vibrate, 13)]);
    leten.at(4000).await;
    let mut expected = every(&[0, 1000, 2000], &[0x02, 0x00]);
    expected.extend(every(&[2500, 3500], &[0x02, 0x0d]));
    assert_eq!(leten.writes_to(Endpoint::Tx, true), expected);
}

#[tokio::test(start_paused = true)]
async fn hgod_is_repeated_every_100_ms_while_it_runs_and_a_stop_ends_it_at_once() {
    let hgod = Toy::connect("hgod", None).await;
    hgod.set(&[(0, Vibrate, 5)]);
    hgod.at(250).await;
    hgod.set(&[(0, Vibrate, 7)]);
    hgod.at(420).await;
    hgod.stop();
    hgod.at(2000).await;
    let five = [0x55, 0x04, 0x00, 0x00, 0x00, 0x05];
    let seven = [0x55, 0x04, 0x00, 0x00, 0x00, 0x07];
    // The change at 250 waits for the message gap after the repeat at 200 (75 ms).
    let mut expected = every(&[0, 100, 200], &five);
    expected.extend(every(&[275, 375], &seven));
    expected.push((420, vec![0x55, 0x04, 0x00, 0x00, 0x00, 0x00]));
    assert_eq!(hgod.writes_to(Endpoint::Tx, false), expected, "the stop at once, nothing after it");
}

#[tokio::test(start_paused = true)]
async fn xuanhuan_is_repeated_300_ms_after_the_last_write_and_not_at_rest() {
    let quxin = Toy::connect("xuanhuan", None).await;
    quxin.at(500).await;
    assert!(quxin.writes().is_empty(), "nothing while it rests, not even a seed");
    quxin.set(&[(0, Vibrate, 5)]);
    quxin.at(650).await;
    quxin.set(&[(0, Vibrate, 10)]);
    quxin.at(1000).await;
    quxin.set(&[(0, Vibrate, 0)]);
    quxin.at(3000).await;
    let mut expected = vec![(500, vec![0x03, 0x02, 0x00, 0x05])];
    expected.extend(every(&[650, 950], &[0x03, 0x02, 0x00, 0x0a]));
    // A level of 0 (no stop) waits for the gap after the repeat at 950.
    expected.push((1025, vec![0x03, 0x02, 0x00, 0x00]));
    assert_eq!(quxin.writes_to(Endpoint::Tx, true), expected);
}

fn presses(at: u64, buttons: &[(u8, u8)]) -> Vec<(u64, Vec<u8>)> {
    buttons
        .iter()
        .flat_map(|&(press, release)| [(at, fmachine::packet(press)), (at, fmachine::packet(release))])
        .collect()
}

const ON_OFF: (u8, u8) = (fmachine::ON_OFF_PRESS, fmachine::ON_OFF_RELEASE);

const UP: (u8, u8) = (fmachine::SPEED_UP_PRESS, fmachine::SPEED_RELEASE);

const DOWN: (u8, u8) = (fmachine::SPEED_DOWN_PRESS, fmachine::SPEED_RELEASE);

#[tokio::test(start_paused = true)]
async fn fmachine_walks_one_press_per_200_ms_and_a_stop_turns_it_off_at_once() {
    let gigolo = Toy::connect("fmachine", Some("FM-G")).await;
    gigolo.set(&[(0, Oscillate, 4)]);
    gigolo.at(1000).await;
    gigolo.set(&[(0, Oscillate, 2)]);
    gigolo.at(2000).await;
    // A walk up to 10, stopped on its way.
    gigolo.set(&[(0, Oscillate, 10)]);
    gigolo.at(2450).await;
    gigolo.stop();
    gigolo.at(5000).await;
    let mut expected = presses(0, &[ON_OFF, UP]);
    expected.extend(presses(200, &[UP]));
    expected.extend(presses(400, &[UP]));
    expected.extend(presses(1000, &[DOWN]));
    expected.extend(presses(1200, &[DOWN]));
    expected.extend(presses(2000, &[UP]));
    expected.extend(presses(2200, &[UP]));
    expected.extend(presses(2400, &[UP]));
    expected.extend(presses(2450, &[ON_OFF]));
    assert_eq!(gigolo.writes_to(Endpoint::Tx, true), expected, "the stop's on/off at once, no press after it");
}

#[tokio::test(start_paused = true)]
async fn fmachine_shut_down_mid_walk_is_turned_off_before_it_disconnects() {
    let alpha = Toy::connect("fmachine", Some("FM-A")).await;
    alpha.set(&[(0, Oscillate, 20)]);
    alpha.at(300).await;
    let (done, finished) = oneshot::channel();
    alpha.commands.send(TaskCommand::Shutdown(done)).unwrap();
    finished.await.unwrap();
    alpha.at(2000).await;
    let mut expected = presses(0, &[ON_OFF, UP]);
    expected.extend(presses(200, &[UP]));
    expected.extend(presses(300, &[ON_OFF]));
    assert_eq!(alpha.writes(), expected);
}

#[tokio::test(start_paused = true)]
async fn fredorch_rotary_steps_every_50_ms_and_a_stop_ends_the_steps() {
    let m1 = Toy::connect("fredorch-rotary", None).await;
    let faster = fredorch_rotary::frame(fredorch_rotary::FASTER);
    let slower = fredorch_rotary::frame(fredorch_rotary::SLOWER);
    let stop = fredorch_rotary::frame(fredorch_rotary::STOP);
    m1.set(&[(0, Oscillate, 3)]);
    m1.at(300).await;
    m1.set(&[(0, Oscillate, 1)]);
    m1.at(1000).await;
    m1.set(&[(0, Oscillate, 20)]);
    m1.at(1120).await;
    m1.stop();
    m1.at(3000).await;
    let mut expected = every(&[0, 50, 100], &faster);
    expected.extend(every(&[300, 350], &slower));
    expected.extend(every(&[1000, 1050, 1100], &faster));
    expected.push((1120, stop));
    assert_eq!(m1.writes_to(Endpoint::Tx, false), expected);
}

#[tokio::test(start_paused = true)]
async fn umove_keeps_alive_every_500_ms_glides_every_100_ms_and_a_stop_halts_the_glide() {
    let vero = Toy::connect("umove", Some("Mi")).await;
    let frame = umove::state_frame;
    vero.at(200).await;
    vero.set(&[(0, Vibrate, 5000)]);
    vero.at(1300).await;
    vero.move_to(1, 300, 400);
    vero.at(2150).await;
    vero.stop();
    vero.at(2750).await;
    vero.move_to(1, 0, 1000);
    vero.at(2900).await;
    vero.stop();
    vero.at(3450).await;
    let expected = vec![
        (0, frame(0, 0, 0)),
        (0, umove::heat_frame(0)),
        (200, frame(5000, 1, 0)),
        (700, frame(5000, 2, 0)),
        (1200, frame(5000, 3, 0)),
        (1300, frame(5000, 4, 75)),
        (1400, frame(5000, 5, 150)),
        (1500, frame(5000, 6, 225)),
        (1600, frame(5000, 7, 300)),
        (2100, frame(5000, 8, 300)),
        (2150, frame(0, 9, 300)),
        (2650, frame(0, 10, 300)),
        (2750, frame(0, 11, 270)),
        (2850, frame(0, 12, 240)),
        (2900, frame(0, 13, 240)),
        (3400, frame(0, 14, 240)),
    ];
    assert_eq!(vero.writes_to(Endpoint::Tx, false), expected);
}

#[tokio::test(start_paused = true)]
async fn cueme_motors_take_turns_every_500_ms_until_the_stop() {
    let womans = Toy::connect("cueme", Some("3")).await;
    womans.set(&[(0, Vibrate, 15), (2, Vibrate, 8)]);
    womans.at(1200).await;
    womans.stop();
    womans.at(3000).await;
    let expected = vec![(0, vec![0x1f]), (500, vec![0x38]), (1000, vec![0x1f]), (1200, vec![0x00])];
    assert_eq!(womans.writes_to(Endpoint::Tx, false), expected);
}

#[tokio::test(start_paused = true)]
async fn ossm_state_reports_are_answered_through_the_device_task() {
    let ossm = Toy::connect("ossm", None).await;
    ossm.at(100).await;
    assert!(ossm.fake.notify(Endpoint::Rx, br#"{"state":"streaming.idle"}"#), "subscribed at init");
    ossm.at(200).await;
    ossm.stop();
    ossm.at(300).await;
    let writes: Vec<(u64, Endpoint, String)> = ossm
        .fake
        .take_timed_writes()
        .into_iter()
        .map(|(at, write)| {
            assert!(write.with_response);
            ((at - ossm.start).as_millis() as u64, write.endpoint, String::from_utf8(write.data).unwrap())
        })
        .collect();
    let expected: Vec<(u64, Endpoint, String)> = [
        (100, Endpoint::TxMode, "false"),
        (100, Endpoint::Tx, "set:depth:100"),
        (100, Endpoint::Tx, "set:stroke:100"),
        (100, Endpoint::Tx, "set:speed:100"),
        (200, Endpoint::Tx, "go:menu"),
    ]
    .into_iter()
    .map(|(at, endpoint, text)| (at, endpoint, text.to_owned()))
    .collect();
    assert_eq!(writes, expected, "a stop before any command stops what the machine reported");
}

#[tokio::test(start_paused = true)]
async fn each_spray_command_fires_again_though_its_level_repeats() {
    let piupiu = Toy::connect("hismith-mini", Some("4002")).await;
    let fire = vec![0xcc, 0x0b, 0x01, 0x0c];
    piupiu.set(&[(0, Spray, 1)]);
    piupiu.at(500).await;
    piupiu.set(&[(0, Spray, 1)]);
    piupiu.at(1000).await;
    piupiu.set(&[(0, Spray, 0)]);
    piupiu.at(1500).await;
    piupiu.set(&[(0, Spray, 0)]);
    piupiu.at(2000).await;
    assert_eq!(piupiu.writes_to(Endpoint::Tx, false), every(&[0, 500], &fire), "0 fires nothing, and is deduplicated");
}

#[tokio::test(start_paused = true)]
async fn joyhub_pump_goes_off_a_second_after_each_spray_and_at_once_on_a_stop() {
    let dodge = Toy::connect("joyhub", Some("J-Dodge")).await;
    let on = vec![0xa0, 0x24, 0x01, 0x00, 0x01, 0xff];
    let off = crate::protocols::joyhub::SPRAY_OFF.to_vec();
    dodge.set(&[(7, Spray, 1)]);
    dodge.at(1500).await;
    dodge.set(&[(7, Spray, 1)]);
    dodge.at(2000).await;
    dodge.stop();
    dodge.at(4000).await;
    let motors_off = vec![0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa];
    let expected = vec![(0, on.clone()), (1000, off.clone()), (1500, on), (2000, motors_off), (2000, off)];
    assert_eq!(
        dodge.writes_to(Endpoint::Tx, false),
        expected,
        "a second spray though the level repeats; none after the stop"
    );
}

#[tokio::test(start_paused = true)]
async fn solace_pro_glides_a_step_every_100_ms_and_a_stop_ends_the_move() {
    let solace = Toy::connect("lovense", Some("BA")).await;
    solace.move_to(0, 50, 500);
    solace.at(1000).await;
    solace.move_to(0, 0, 1000);
    solace.at(1150).await;
    solace.stop();
    solace.at(3000).await;
    let texts: Vec<(u64, String)> = texts(solace.writes_to(Endpoint::Tx, false));
    let site = |at: u64, position: i32| (at, format!("FSetSite:{position};"));
    let expected = vec![
        site(0, 10),
        site(100, 20),
        site(200, 30),
        site(300, 40),
        site(400, 50),
        site(1000, 45),
        site(1100, 40),
        (1150, "Mply:0:20;".to_owned()),
    ];
    assert_eq!(texts, expected);
}
