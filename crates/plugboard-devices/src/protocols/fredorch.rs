//! Fredorch (F21S-type strokers, advertised as `YXlinksSPP`): Modbus-style frames that program
//! one move at a time, after a setup in which the machine answers every frame.
//!
//! GATT service `0000ffb0-…`: `tx` `0000ffb1-…` (written without response), `rx` `0000ffb2-…`
//! (notifications). Every frame ends with its CRC-16/MODBUS (reflected polynomial `a001`,
//! initial `ffff`), low byte first.
//!
//! # Initialisation
//!
//! 1. Subscribe to `rx` and give the machine [`ANSWER_TIMEOUT`] to say it is awake (it need
//!    not).
//! 2. Write each frame below and wait up to [`ANSWER_TIMEOUT`] for a notification on `rx`
//!    (whatever it says). A frame left unanswered fails the connection.
//!
//! | frame | meaning |
//! |---|---|
//! | `01 06 00 64 00 01 09 d5` | program mode |
//! | `01 06 00 69 00 00 59 d6` | record the program |
//! | `01 10 00 6b 00 05 0a 00 05 00 05 00 00 00 00 00 01 c0 c3` | move to 0 at speed 5 |
//! | `01 06 00 69 00 01 98 16` | run the program |
//! | `01 06 00 6a 00 01 68 16` | repeat it |
//!
//! # Output
//!
//! Position with duration on feature 0 (position 0..=15): one frame per move,
//! `01 10 00 6b 00 05 0a 00 S 00 S 00 P 00 P 00 01` + CRC, where `P` is the position × 10 and
//! `S` the speed: for the distance `d` from the last position written (0 at connect, at most
//! 15), the first speed of 1..=19 whose time in [`SPEED_TABLE`] is shorter than the duration
//! asked for, else 20; 0 when the machine does not move.
//!
//! | from | to | ms | S | frame |
//! |---|---|---|---|---|
//! | 0 | 15 | 500 | 11 | `01 10 00 6b 00 05 0a 00 0b 00 0b 00 96 00 96 00 01 cb 52` |
//! | 15 | 0 | 1000 | 9 | `01 10 00 6b 00 05 0a 00 09 00 09 00 00 00 00 00 01 59 c3` |
//! | 5 | 10 | 20 | 20 | `01 10 00 6b 00 05 0a 00 14 00 14 00 64 00 64 00 01 31 85` |
//!
//! A stop writes nothing, as in the reference: the output is a position, and the program
//! repeated is a move to one place (lowest and highest position equal), so the machine holds
//! where it is.
//!
//! # Where Plugboard differs from the reference
//!
//! The reference takes any event as the answer to a setup frame (a notification from any
//! endpoint); Plugboard takes notifications from `rx`. The reference's oscillate encoder is
//! not implemented: no model of the database has an oscillate output.

use std::time::Duration;

use crc::{Crc, CRC_16_MODBUS};
use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::single_packet::Outputs;
use super::{lookup, next_data, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How long the machine may take to answer each setup frame (and to say it is awake).
pub const ANSWER_TIMEOUT: Duration = Duration::from_millis(500);
/// The highest position.
pub const MAX_POSITION: i32 = 15;

const MODBUS: Crc<u16> = Crc::<u16>::new(&CRC_16_MODBUS);

/// The setup frames, CRC included.
pub const SETUP: [&[u8]; 5] = [
    &[0x01, 0x06, 0x00, 0x64, 0x00, 0x01, 0x09, 0xd5],
    &[0x01, 0x06, 0x00, 0x69, 0x00, 0x00, 0x59, 0xd6],
    &[0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x05, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0xc3],
    &[0x01, 0x06, 0x00, 0x69, 0x00, 0x01, 0x98, 0x16],
    &[0x01, 0x06, 0x00, 0x6a, 0x00, 0x01, 0x68, 0x16],
];

/// Milliseconds a move of distance 1..=15 (rows) takes at speed 1..=20 (columns).
#[rustfmt::skip]
pub const SPEED_TABLE: [[u32; 20]; 15] = [
    [1000, 800, 400, 235, 200, 172, 155, 92, 60, 45, 38, 34, 32, 28, 27, 26, 25, 24, 23, 22],
    [1500, 1000, 800, 680, 600, 515, 425, 265, 165, 115, 80, 70, 50, 48, 45, 35, 34, 33, 32, 30],
    [2500, 2310, 1135, 925, 792, 695, 565, 380, 218, 155, 105, 82, 70, 68, 65, 60, 48, 45, 43, 40],
    [3000, 2800, 1500, 1155, 965, 810, 690, 465, 260, 195, 140, 110, 85, 75, 74, 73, 70, 65, 60, 55],
    [3400, 3232, 2305, 1380, 1200, 1165, 972, 565, 328, 235, 162, 132, 98, 78, 75, 74, 73, 72, 71, 70],
    [3500, 3350, 2500, 1640, 1250, 1210, 1010, 645, 385, 275, 175, 160, 115, 95, 91, 90, 85, 80, 77, 75],
    [3600, 3472, 2980, 2060, 1560, 1275, 1132, 738, 430, 310, 230, 170, 128, 122, 110, 108, 105, 103, 101, 100],
    [3800, 3500, 3055, 2105, 1740, 1370, 1290, 830, 490, 355, 235, 195, 150, 140, 135, 132, 130, 125, 120, 119],
    [3900, 3518, 3190, 2315, 2045, 1510, 1442, 1045, 552, 392, 280, 225, 172, 145, 140, 138, 135, 134, 132, 130],
    [6000, 5755, 3240, 2530, 2135, 1605, 1500, 1200, 595, 425, 285, 245, 175, 170, 160, 155, 150, 145, 142, 140],
    [6428, 5872, 3335, 2780, 2270, 1782, 1590, 1310, 648, 470, 315, 255, 182, 180, 175, 172, 170, 162, 160, 155],
    [6730, 5950, 3490, 2995, 2395, 1890, 1650, 1350, 700, 500, 350, 290, 220, 190, 185, 180, 175, 170, 165, 160],
    [6962, 6122, 3880, 3205, 2465, 1900, 1700, 1400, 835, 545, 375, 310, 228, 195, 190, 185, 182, 181, 180, 175],
    [7945, 6365, 4130, 3470, 2505, 1910, 1755, 1510, 855, 580, 400, 330, 235, 210, 205, 200, 195, 190, 185, 180],
    [8048, 7068, 4442, 3708, 2668, 1930, 1800, 1520, 878, 618, 428, 365, 260, 255, 250, 240, 230, 220, 210, 200],
];

pub struct Fredorch;

pub static FREDORCH: Fredorch = Fredorch;

pub static PROTOCOLS: &[&dyn Protocol] = &[&FREDORCH];

/// `frame` with its CRC-16/MODBUS appended, low byte first.
pub fn with_crc(frame: &[u8]) -> Vec<u8> {
    let crc = MODBUS.checksum(frame);
    [frame, &crc.to_le_bytes()].concat()
}

/// The speed of a move of `distance` positions that should take `duration_ms`.
pub fn speed(distance: u32, duration_ms: u32) -> u8 {
    if distance == 0 {
        return 0;
    }
    let row = &SPEED_TABLE[(distance.min(MAX_POSITION as u32) - 1) as usize];
    row[..19].iter().position(|&ms| ms < duration_ms).map_or(20, |i| i as u8 + 1)
}

/// The program frame of one move.
pub fn move_frame(from: i32, to: i32, duration_ms: u32) -> Vec<u8> {
    let to = to.clamp(0, MAX_POSITION);
    let s = speed(from.abs_diff(to), duration_ms);
    let p = (to * 10) as u8;
    with_crc(&[0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, s, 0x00, s, 0x00, p, 0x00, p, 0x00, 0x01])
}

impl Protocol for Fredorch {
    fn name(&self) -> &'static str {
        "fredorch"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            Outputs::of(&[OutputType::HwPositionWithDuration]).at_most(1).up_to_feature(0).check(self.name(), features)?;
            let mut notifications = hw.notifications();
            hw.subscribe(Endpoint::Rx).await?;
            // The machine may say it is awake; it need not.
            let _ = next_data(&mut notifications, Endpoint::Rx, Instant::now() + ANSWER_TIMEOUT).await?;
            for (step, frame) in SETUP.iter().enumerate() {
                hw.write(Write::without_response(Endpoint::Tx, *frame)).await?;
                let answer = next_data(&mut notifications, Endpoint::Rx, Instant::now() + ANSWER_TIMEOUT).await?;
                match answer {
                    Some(bytes) => tracing::debug!(device = hw.address(), step, answer = ?bytes, "Fredorch setup answered"),
                    None => {
                        return Err(ProtocolError::Handshake(format!(
                            "the Fredorch machine did not answer setup step {} of {} within {} ms; switch it off and \
                             on again and scan again",
                            step + 1,
                            SETUP.len(),
                            ANSWER_TIMEOUT.as_millis()
                        )))
                    }
                }
            }
            Ok(Box::new(Moves) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of one connected machine.
struct Moves;

impl DeviceHandler for Moves {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let slot = (0, OutputType::HwPositionWithDuration);
        let (Some(level), true) = lookup(levels, changed, slot) else { return Vec::new() };
        let frame = move_frame(level.last_written, level.value, level.duration_ms.unwrap_or(0));
        vec![Write::without_response(Endpoint::Tx, frame)]
    }
}

/// A Fredorch machine as it answers its setup, for tests and simulated peripherals: every
/// frame written to `tx` is answered on `rx` the Modbus way (a single-register write echoed, a
/// multiple-register write confirmed with its first six bytes and a new CRC).
#[cfg(any(test, feature = "testing"))]
pub mod simulated {
    use super::*;
    use crate::testing::SimulatedDevice;

    pub struct Machine;

    impl Machine {
        /// The answer to a written frame.
        pub fn answer(written: &[u8]) -> Option<Vec<u8>> {
            match written.get(1)? {
                0x06 => Some(written.to_vec()),
                0x10 => Some(with_crc(written.get(..6)?)),
                _ => None,
            }
        }
    }

    impl SimulatedDevice for Machine {
        fn on_write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
            match Machine::answer(data).filter(|_| endpoint == Endpoint::Tx) {
                Some(answer) => vec![(Endpoint::Rx, answer)],
                None => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::{Output, Range};

    use super::simulated::Machine;
    use super::*;
    use crate::hardware::HardwareError;
    use crate::protocols::test_support::{bytes, hex, Sim};
    use crate::testing::{Event, FakeHardware};

    fn stroker() -> Vec<Feature> {
        vec![Feature {
            index: 0,
            description: String::new(),
            outputs: vec![Output {
                kind: OutputType::HwPositionWithDuration,
                range: Range::new(0, 15),
                duration: Some(Range::new(0, 100_000)),
            }],
            inputs: Vec::new(),
        }]
    }

    #[test]
    fn setup_frames_carry_their_crc() {
        for frame in SETUP {
            assert_eq!(with_crc(&frame[..frame.len() - 2]), frame, "{frame:02x?}");
        }
    }

    #[test]
    fn speeds_from_the_table() {
        assert_eq!(speed(15, 500), 11);
        assert_eq!(speed(15, 1000), 9);
        assert_eq!(speed(5, 200), 11);
        assert_eq!(speed(0, 300), 0, "no move");
        assert_eq!(speed(5, 20), 20, "faster than the table: the top speed");
        assert_eq!(speed(9, 5000), 1);
        assert_eq!(speed(40, 500), 11, "a distance beyond 15 reads row 15");
        assert_eq!(speed(1, 22), 20, "column 20 is never compared");
    }

    #[test]
    fn move_frames_of_the_worked_examples() {
        let frame = |from, to, ms| move_frame(from, to, ms);
        assert_eq!(frame(0, 15, 500), hex("01 10 00 6b 00 05 0a 00 0b 00 0b 00 96 00 96 00 01 cb 52"));
        assert_eq!(frame(15, 0, 1000), hex("01 10 00 6b 00 05 0a 00 09 00 09 00 00 00 00 00 01 59 c3"));
        assert_eq!(frame(0, 5, 200), hex("01 10 00 6b 00 05 0a 00 0b 00 0b 00 32 00 32 00 01 fb 68"));
        assert_eq!(frame(5, 5, 300), hex("01 10 00 6b 00 05 0a 00 00 00 00 00 32 00 32 00 01 32 98"));
        assert_eq!(frame(5, 10, 20), hex("01 10 00 6b 00 05 0a 00 14 00 14 00 64 00 64 00 01 31 85"));
        assert_eq!(frame(10, 1, 5000), hex("01 10 00 6b 00 05 0a 00 01 00 01 00 0a 00 0a 00 01 0f c0"));
    }

    #[test]
    fn moves_are_measured_from_the_last_position_written() {
        let features = stroker();
        let mut toy = Sim::new(Box::new(Moves), &features);
        let kind = OutputType::HwPositionWithDuration;
        let mut step = |to, ms| bytes(&toy.flush_with_duration(&[(0, kind, to, Some(ms))]));
        assert_eq!(step(15, 500), [hex("01 10 00 6b 00 05 0a 00 0b 00 0b 00 96 00 96 00 01 cb 52")]);
        assert_eq!(step(0, 1000), [hex("01 10 00 6b 00 05 0a 00 09 00 09 00 00 00 00 00 01 59 c3")]);
        assert!(toy.stop().is_empty(), "a stop leaves the machine where it is");
    }

    fn machine() -> FakeHardware {
        let hw = FakeHardware::new("YXlinksSPP", "aa");
        hw.simulate(Machine);
        hw
    }

    #[tokio::test(start_paused = true)]
    async fn setup_frame_by_frame_each_answered() {
        let hw = machine();
        let started = Instant::now();
        FREDORCH.initialize(&hw, None, &stroker()).await.unwrap();
        assert_eq!(started.elapsed(), ANSWER_TIMEOUT, "only the optional wake-up was waited for");
        let mut expected = vec![Event::Subscribe(Endpoint::Rx)];
        expected.extend(SETUP.iter().map(|frame| Event::Write(Write::without_response(Endpoint::Tx, *frame))));
        assert_eq!(hw.events(), expected);
    }

    #[test]
    fn the_simulated_machine_answers_the_modbus_way() {
        assert_eq!(Machine::answer(SETUP[0]), Some(SETUP[0].to_vec()));
        assert_eq!(Machine::answer(SETUP[2]), Some(hex("01 10 00 6b 00 05 71 d6")));
        assert_eq!(Machine::answer(&[0x01]), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wake_up_notice_is_taken_before_the_setup() {
        let hw = machine();
        hw.notify_on_subscribe(Endpoint::Rx, &[0xaa]);
        let started = Instant::now();
        FREDORCH.initialize(&hw, None, &stroker()).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(hw.writes().len(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_frame_fails_the_connection() {
        let hw = FakeHardware::new("YXlinksSPP", "aa");
        // Answers the first two frames only.
        hw.reply(Endpoint::Tx, SETUP[0], Endpoint::Rx, &[1]);
        hw.reply(Endpoint::Tx, SETUP[1], Endpoint::Rx, &[2]);
        let started = Instant::now();
        let error = FREDORCH.initialize(&hw, None, &stroker()).await.err().unwrap();
        assert_eq!(started.elapsed(), ANSWER_TIMEOUT * 2, "the wake-up wait, then the third frame's");
        assert_eq!(
            error.to_string(),
            "the Fredorch machine did not answer setup step 3 of 5 within 500 ms; switch it off and on again and \
             scan again"
        );
        assert_eq!(hw.writes().len(), 3, "nothing after the unanswered frame");
    }

    #[tokio::test(start_paused = true)]
    async fn a_disconnect_in_the_middle_fails_at_once() {
        let hw = machine();
        hw.drop_after_writes(4);
        let error = FREDORCH.initialize(&hw, None, &stroker()).await.err().unwrap();
        assert_eq!(error, ProtocolError::Hardware(HardwareError::Disconnected));
        assert_eq!(hw.writes().len(), 4);
    }
}

#[cfg(test)]
pub(crate) mod vectors {
    use super::simulated::Machine;
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&FREDORCH, None, &[
        Move(&[(0, 15, 500)], &[tx(&[
            0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x0b, 0x00, 0x0b, 0x00, 0x96, 0x00, 0x96, 0x00, 0x01, 0xcb,
            0x52,
        ])]),
        Move(&[(0, 0, 1000)], &[tx(&[
            0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x09, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x59,
            0xc3,
        ])]),
        Move(&[(0, 5, 200)], &[tx(&[
            0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x0b, 0x00, 0x0b, 0x00, 0x32, 0x00, 0x32, 0x00, 0x01, 0xfb,
            0x68,
        ])]),
        Move(&[(0, 5, 300)], &[tx(&[
            0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x32, 0x00, 0x32, 0x00, 0x01, 0x32,
            0x98,
        ])]),
        Move(&[(0, 10, 20)], &[tx(&[
            0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x14, 0x00, 0x14, 0x00, 0x64, 0x00, 0x64, 0x00, 0x01, 0x31,
            0x85,
        ])]),
        Move(&[(0, 1, 5000)], &[tx(&[
            0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x01, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x01, 0x0f,
            0xc0,
        ])]),
        // A position is no stop: the machine holds where it is.
        Stop(&[]),
    ])
    .answering(|hw| hw.simulate(Machine))];
}
