//! F-Machine (`fmachine`): the Gigolo BT-R (`FM-G`), Tremblr BT-R (`FM-T`) and Alpha (`FM-A`)
//! fucking machines, one oscillating output (speed 0..=28). The machine takes no speed: the
//! host presses its remote's buttons. Every packet is 18 bytes to `tx` (`fff1` in service
//! `fff0`), with response; a button press is its press packet followed by its release packet.
//!
//! | packet | bytes |
//! |---|---|
//! | any | `c 64 00 00 00 00 31 32 33 34 00 00 00 00 00 00 00 k` (`31 32 33 34` is the text `1234`) |
//! | on/off press, release | c = `01`, `02` (k = `b6`) |
//! | speed up press, speed down press | c = `05`, `06` (k = `cc`) |
//! | speed release | c = `03` (k = `cc`) |
//!
//! The check byte k counts the set bits n of the first 17 bytes: 222 − n when n mod 3 = 0,
//! n / 2 + 111 when n mod 3 = 1, n / 3 + 177 when n mod 3 = 2.
//!
//! * Identify: by name. `FM-*` also matches Magic Motion's `FM-LILAC-101`, which has neither
//!   `tx` nor `rx` here: initialisation checks both before writing anything, so the Lilac is
//!   left untouched for `magic-motion-1`.
//! * Init: subscribe to `rx` (the machine's notifications are not understood; nothing reads
//!   them), then 55 speed-down presses 60 ms apart: the remembered speed ends at its floor, 1.
//! * Output: the machine remembers a speed (1 after init) and whether it runs. Plugboard walks
//!   it toward the level asked for, one step per tick, ticks 200 ms apart (the machine takes
//!   one press per 200 ms): a step presses on/off if running does not match "level > 0", and,
//!   for a level above 0, speed up or down once toward it.
//! * Stop (and a level of 0): on/off at once if the machine runs, whenever the last press was,
//!   and no ticks after it; the remembered speed is left as it is, and the next start walks
//!   from there.
//!
//! Differences from the reference engine, deliberate: its counter starts at 0 while the machine
//! sits at speed 1 after init, so a start presses speed up once too often (level 3 ends at
//! speed 4), and after a stop it keeps pressing speed down toward 0 while the machine is off
//! (and the next start climbs from there, one too high again). Plugboard counts from the
//! machine's real speed, presses nothing after the stop's on/off, and presses that on/off in
//! the stop's own flush rather than on the loop's next turn (up to 200 ms later). A first step
//! also goes out at once, when the last press is 200 ms old.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::{
    find_level, DeviceHandler, Flush, HandlerState, OutputLevel, Protocol, ProtocolError, Timed,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError, Write};

/// The button packets' first byte.
pub const ON_OFF_PRESS: u8 = 0x01;
pub const ON_OFF_RELEASE: u8 = 0x02;
pub const SPEED_RELEASE: u8 = 0x03;
pub const SPEED_UP_PRESS: u8 = 0x05;
pub const SPEED_DOWN_PRESS: u8 = 0x06;
/// Speed-down presses at connect: enough to bring any remembered speed to the floor.
pub const INIT_PRESSES: usize = 55;
/// The pause after each init press.
pub const INIT_PAUSE: Duration = Duration::from_millis(60);
/// One press per this long: the machine's pace.
pub const PRESS_INTERVAL: Duration = Duration::from_millis(200);
/// The speed the machine remembers after init.
pub const FLOOR_SPEED: i32 = 1;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&FMACHINE];

/// The `fmachine` protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct FMachine;

pub static FMACHINE: FMachine = FMachine;

/// The 18-byte packet with first byte `command`.
pub fn packet(command: u8) -> Vec<u8> {
    let mut data = vec![command, 0x64, 0, 0, 0, 0, 0x31, 0x32, 0x33, 0x34, 0, 0, 0, 0, 0, 0, 0];
    let bits: u32 = data.iter().map(|byte| byte.count_ones()).sum();
    let check = match bits % 3 {
        0 => 222 - bits,
        1 => bits / 2 + 111,
        _ => bits / 3 + 177,
    };
    data.push(check as u8);
    data
}

/// A button press: the press packet, then the release packet.
fn press(press: u8, release: u8) -> [Write; 2] {
    [Write::with_response(Endpoint::Tx, packet(press)), Write::with_response(Endpoint::Tx, packet(release))]
}

impl Protocol for FMachine {
    fn name(&self) -> &'static str {
        "fmachine"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = FMachineHandler::new(features)?;
            // Before anything is written: a Magic Motion Lilac matches the name too.
            for endpoint in [Endpoint::Tx, Endpoint::Rx] {
                if !hw.has_endpoint(endpoint) {
                    return Err(HardwareError::NoEndpoint(endpoint).into());
                }
            }
            hw.subscribe(Endpoint::Rx).await?;
            for _ in 0..INIT_PRESSES {
                for write in press(SPEED_DOWN_PRESS, SPEED_RELEASE) {
                    hw.write(write).await?;
                }
                tokio::time::sleep(INIT_PAUSE).await;
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The handler of one machine: which output sets the speed, and the fastest speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FMachineHandler {
    output: (u32, OutputType),
    max_speed: i32,
}

impl FMachineHandler {
    /// One oscillate output, at feature 0.
    pub fn new(features: &[Feature]) -> Result<FMachineHandler, ProtocolError> {
        let outputs: Vec<(u32, &plugboard_protocol::model::Output)> =
            features.iter().flat_map(|feature| feature.outputs.iter().map(move |output| (feature.index, output))).collect();
        match outputs.as_slice() {
            [(index, output)] if output.kind == OutputType::Oscillate => {
                Ok(FMachineHandler { output: (*index, output.kind), max_speed: output.range.max.max(FLOOR_SPEED) })
            }
            _ => Err(ProtocolError::Definition("fmachine drives one oscillate output".into())),
        }
    }

    /// The speed asked for: 0 (off), or 1..=the fastest.
    fn target(&self, levels: &[OutputLevel]) -> i32 {
        let value = find_level(levels, self.output.0, self.output.1).map_or(0, |i| levels[i].value);
        if value <= 0 {
            0
        } else {
            value.min(self.max_speed)
        }
    }

    /// One step toward `target`, pressed now.
    fn step(machine: &mut Machine, target: i32, now: Instant) -> Timed {
        let mut writes = Vec::new();
        if machine.running != (target > 0) {
            writes.extend(press(ON_OFF_PRESS, ON_OFF_RELEASE));
            machine.running = !machine.running;
        }
        if target > 0 && machine.speed != target {
            let button = if target > machine.speed { SPEED_UP_PRESS } else { SPEED_DOWN_PRESS };
            writes.extend(press(button, SPEED_RELEASE));
            machine.speed += (target - machine.speed).signum();
        }
        if !writes.is_empty() {
            machine.last_press = Some(now);
        }
        let more = machine.running != (target > 0) || (target > 0 && machine.speed != target);
        Timed::writes(writes).tick_at(more.then(|| now + PRESS_INTERVAL))
    }
}

/// What the machine is doing, as far as the presses tell (it reports nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Machine {
    pub running: bool,
    /// The speed it remembers, on or off.
    pub speed: i32,
    pub last_press: Option<Instant>,
}

impl Default for Machine {
    fn default() -> Machine {
        Machine { running: false, speed: FLOOR_SPEED, last_press: None }
    }
}

impl DeviceHandler for FMachineHandler {
    fn initial_state(&self) -> HandlerState {
        HandlerState::new(Machine::default())
    }

    fn flush(&self, flush: &Flush<'_>, state: &mut HandlerState) -> Timed {
        let machine = state.get::<Machine>();
        let target = if flush.stop { 0 } else { self.target(flush.levels) };
        if target == 0 {
            // Off now, whenever the last press was; nothing after it.
            return Self::step(machine, 0, flush.now);
        }
        match machine.last_press.map(|at| at + PRESS_INTERVAL) {
            Some(ready) if ready > flush.now => Timed::default().tick_at(Some(ready)),
            _ => Self::step(machine, target, flush.now),
        }
    }

    fn tick(&self, levels: &[OutputLevel], state: &mut HandlerState, now: Instant) -> Timed {
        let machine = state.get::<Machine>();
        let target = self.target(levels);
        // The first tick (when the task starts) finds nothing to do.
        if machine.running == (target > 0) && (target == 0 || machine.speed == target) {
            return Timed::default();
        }
        Self::step(machine, target, now)
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn on_off() -> Vec<Vec<u8>> {
        vec![packet(ON_OFF_PRESS), packet(ON_OFF_RELEASE)]
    }
    fn up() -> Vec<Vec<u8>> {
        vec![packet(SPEED_UP_PRESS), packet(SPEED_RELEASE)]
    }
    fn down() -> Vec<Vec<u8>> {
        vec![packet(SPEED_DOWN_PRESS), packet(SPEED_RELEASE)]
    }

    #[test]
    fn packets_and_their_check_byte() {
        let tail = "64 00 00 00 00 31 32 33 34 00 00 00 00 00 00 00";
        assert_eq!(packet(ON_OFF_PRESS), hex(&format!("01 {tail} b6")));
        assert_eq!(packet(ON_OFF_RELEASE), hex(&format!("02 {tail} b6")));
        assert_eq!(packet(SPEED_RELEASE), hex(&format!("03 {tail} cc")));
        assert_eq!(packet(SPEED_UP_PRESS), hex(&format!("05 {tail} cc")));
        assert_eq!(packet(SPEED_DOWN_PRESS), hex(&format!("06 {tail} cc")));
        // The fixed bytes have 16 bits set. n mod 3 = 1: n / 2 + 111 (07 makes n = 19).
        assert_eq!(packet(0x07)[17], 19 / 2 + 111);
        // n mod 3 = 0: 222 - n (ff makes n = 24).
        assert_eq!(packet(0xff)[17], 222 - 24);
    }

    fn machine() -> Sim {
        let features = features(&[(Oscillate, 0, 28)]);
        Sim::new(Box::new(FMachineHandler::new(&features).unwrap()), &features)
    }

    #[test]
    fn walks_one_press_per_200_ms_and_stops_at_once() {
        let mut gigolo = machine();
        assert!(gigolo.start().is_empty(), "nothing to do when the task starts");
        // From rest to 3: on, and up from the floor (1) twice.
        assert_eq!(bytes_with_response(&gigolo.set(0, Oscillate, 3)), [on_off(), up()].concat());
        let ticks = gigolo.ticks(10);
        assert_eq!(ticks.len(), 1, "{ticks:?}");
        assert_eq!(ticks[0].0, MS(200));
        assert_eq!(bytes_with_response(&ticks[0].1), up());
        assert_eq!(gigolo.next_tick, None, "at speed 3: the loop rests");
        assert_eq!(gigolo.state.get::<Machine>().speed, 3);

        // Down to 1 while the last press is recent: the first step waits for the 200 ms.
        gigolo.wait(MS(50));
        assert!(gigolo.set(0, Oscillate, 1).is_empty());
        let ticks = gigolo.ticks(10);
        assert_eq!(ticks.iter().map(|(at, _)| *at).collect::<Vec<_>>(), [MS(150), MS(350)]);
        assert_eq!(ticks.iter().map(|(_, w)| bytes_with_response(w)).collect::<Vec<_>>(), [down(), down()]);

        // A new level half way through a walk turns it around.
        gigolo.wait(MS(500));
        assert_eq!(bytes_with_response(&gigolo.set(0, Oscillate, 4)), up());
        gigolo.wait(MS(200));
        assert_eq!(bytes_with_response(&gigolo.tick()), up());
        assert_eq!(bytes_with_response(&gigolo.set(0, Oscillate, 2)), Vec::<Vec<u8>>::new());
        assert_eq!(bytes_with_response(&gigolo.tick()), down(), "speed 3 on the way up, down to 2");
        assert_eq!(gigolo.next_tick, None);

        // The stop: on/off at once although a press was just made, and nothing after it.
        gigolo.set(0, Oscillate, 9);
        assert!(gigolo.next_tick.is_some());
        assert_eq!(bytes_with_response(&gigolo.stop()), on_off());
        assert_eq!(gigolo.next_tick, None, "no tick after a stop");
        assert_eq!(gigolo.state.get::<Machine>(), &Machine { running: false, speed: 2, last_press: Some(gigolo.now) });
        assert!(gigolo.stop().is_empty(), "a second stop finds it off");
    }

    #[test]
    fn a_restart_walks_from_the_remembered_speed() {
        let mut tremblr = machine();
        tremblr.set(0, Oscillate, 2);
        assert_eq!(tremblr.state.get::<Machine>().speed, 2);
        tremblr.stop();
        tremblr.wait(MS(1000));
        assert_eq!(bytes_with_response(&tremblr.set(0, Oscillate, 1)), [on_off(), down()].concat());
        tremblr.wait(MS(1000));
        assert_eq!(bytes_with_response(&tremblr.set(0, Oscillate, 0)), on_off(), "a level of 0 is off");
        tremblr.wait(MS(1000));
        assert_eq!(bytes_with_response(&tremblr.set(0, Oscillate, 1)), on_off(), "already at 1: just on");
        assert_eq!(tremblr.next_tick, None);
        tremblr.wait(MS(1000));
        tremblr.set(0, Oscillate, 100);
        assert_eq!(tremblr.ticks(100).len(), 26, "clamped to the fastest speed, 28");
    }

    #[tokio::test(start_paused = true)]
    async fn init_presses_speed_down_55_times_60_ms_apart() {
        let hw = FakeHardware::with_endpoints("FM-G", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        let start = Instant::now();
        FMACHINE.initialize(&hw, Some("FM-G"), &features(&[(Oscillate, 0, 28)])).await.unwrap();
        assert_eq!(Instant::now() - start, MS(60) * 55);
        let events = hw.events();
        assert_eq!(events[0], Event::Subscribe(Endpoint::Rx));
        let writes = hw.writes();
        assert_eq!(writes.len(), 110);
        assert!(writes.chunks(2).all(|pair| bytes_with_response(pair) == down()));
    }

    #[tokio::test]
    async fn a_magic_motion_lilac_is_left_untouched() {
        let lilac = FakeHardware::with_endpoints("FM-LILAC-101", "aa", &[Endpoint::TxVibrate, Endpoint::RxTouch]);
        let error = FMACHINE.initialize(&lilac, Some("FM-LILAC-101"), &features(&[(Oscillate, 0, 28)])).await;
        assert!(matches!(error, Err(ProtocolError::Hardware(HardwareError::NoEndpoint(_)))));
        assert!(lilac.events().is_empty(), "nothing written, nothing subscribed");
    }

    #[test]
    fn definitions() {
        assert!(FMachineHandler::new(&features(&[(Oscillate, 0, 28)])).is_ok());
        assert!(FMachineHandler::new(&features(&[(Vibrate, 0, 28)])).is_err());
        assert!(FMachineHandler::new(&features(&[(Oscillate, 0, 28); 2])).is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`: the first step of a walk and the stop.
/// The walk itself, tick by tick, is in the tests above and the device task's.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    // The five button packets, written out.
    const ON_OFF_PRESS: [u8; 18] = [0x01, 0x64, 0, 0, 0, 0, 0x31, 0x32, 0x33, 0x34, 0, 0, 0, 0, 0, 0, 0, 0xb6];
    const ON_OFF_RELEASE: [u8; 18] = [0x02, 0x64, 0, 0, 0, 0, 0x31, 0x32, 0x33, 0x34, 0, 0, 0, 0, 0, 0, 0, 0xb6];
    const SPEED_UP_PRESS: [u8; 18] = [0x05, 0x64, 0, 0, 0, 0, 0x31, 0x32, 0x33, 0x34, 0, 0, 0, 0, 0, 0, 0, 0xcc];
    const SPEED_RELEASE: [u8; 18] = [0x03, 0x64, 0, 0, 0, 0, 0x31, 0x32, 0x33, 0x34, 0, 0, 0, 0, 0, 0, 0, 0xcc];
    const ON_OFF: [FixedWrite; 2] = [tx_with_response(&ON_OFF_PRESS), tx_with_response(&ON_OFF_RELEASE)];
    const UP: [FixedWrite; 2] = [tx_with_response(&SPEED_UP_PRESS), tx_with_response(&SPEED_RELEASE)];

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&FMACHINE, Some("FM-G"), &[
            Set(&[(0, Oscillate, 3)], &[ON_OFF[0], ON_OFF[1], UP[0], UP[1]]),
            Stop(&ON_OFF),
        ]),
        Vector::new(&FMACHINE, None, &[
            Set(&[(0, Oscillate, 1)], &ON_OFF),
            Stop(&ON_OFF),
        ]),
    ];
}
