//! Cueme vibrating underwear (`cueme`, names `FUNCODE_*`): 8 motors (Mens, Bra and the
//! defaults) or 4 (Womans), levels 0..=15, of which the garment runs one at a time. One byte to
//! `tx` (`fff1`) without response:
//!
//! | byte | meaning |
//! |---|---|
//! | `(m + 1) << 4 \| level` | motor m (0-based) at level 1..=15: motor 0 at 15 is `1f`, motor 3 at 5 is `45`, motor 7 at 1 is `81` |
//! | `00` | every motor off |
//!
//! * Identification: real names are `FUNCODE_<address>_<type>`; the type (`1` Mens, `2` Bra,
//!   `3` Womans) is the identifier. A name of another shape gets the defaults (8 motors).
//! * Several motors running take turns: the motor whose level changed (the lowest, if several
//!   did) is written at once, then every 500 ms the next running motor. A stop, and the last
//!   running motor set to 0, write `00` at once and end the turns.
//!
//! The reference engine lists the protocol in its database but has no handler for it (it
//! cannot connect these devices), so nothing here can be compared with it byte for byte. The
//! bytes and the 500 ms turns are those of the legacy C# Buttplug implementation, which
//! started the turns at the motor it last wrote; Plugboard starts them at the motor the user
//! just changed, so a change is felt at once. Whether the hardware can run two motors at once
//! is unknown; one at a time is what the byte can say.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::{find_level, Advertisement, DeviceHandler, Flush, HandlerState, OutputLevel, Protocol, ProtocolError, Timed};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How long each running motor gets before the next one's turn.
pub const TURN: Duration = Duration::from_millis(500);
/// The highest level.
pub const MAX_LEVEL: i32 = 15;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&CUEME];

/// The `cueme` protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cueme;

pub static CUEME: Cueme = Cueme;

/// The byte for motor `motor` (0-based) at `level` (0: every motor off).
pub fn motor_byte(motor: usize, level: i32) -> u8 {
    if level <= 0 {
        0
    } else {
        (((motor as u8) + 1) << 4) | level.min(MAX_LEVEL) as u8
    }
}

/// The garment type in a `FUNCODE_<address>_<type>` name.
pub fn identifier_from_name(name: &str) -> Option<String> {
    match name.split('_').collect::<Vec<_>>().as_slice() {
        [_, _, kind] if !kind.is_empty() => Some((*kind).to_owned()),
        _ => None,
    }
}

impl Protocol for Cueme {
    fn name(&self) -> &'static str {
        "cueme"
    }

    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            let name = advertisement.name_or(hw);
            let identifier = identifier_from_name(name);
            if identifier.is_none() {
                tracing::info!(name, "a Cueme name without its type: taken for an 8-motor garment");
            }
            Ok(identifier)
        })
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(CuemeHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The features of the motors, motor 0 first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CuemeHandler {
    motors: Vec<u32>,
}

/// The motor written last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Turn {
    pub motor: usize,
}

fn write(byte: u8) -> Write {
    Write::without_response(Endpoint::Tx, vec![byte])
}

impl CuemeHandler {
    /// Vibrate outputs only, at most 15 motors (the byte's high nibble).
    pub fn new(features: &[Feature]) -> Result<CuemeHandler, ProtocolError> {
        let mut motors = Vec::new();
        for feature in features {
            for output in &feature.outputs {
                if output.kind != OutputType::Vibrate {
                    return Err(ProtocolError::Definition(format!("cueme has no {:?} output", output.kind)));
                }
                motors.push(feature.index);
            }
        }
        if motors.is_empty() || motors.len() > 15 {
            return Err(ProtocolError::Definition("cueme drives 1 to 15 vibrate outputs".into()));
        }
        Ok(CuemeHandler { motors })
    }

    /// Each motor's level and its place in `levels`.
    fn motor_levels(&self, levels: &[OutputLevel]) -> Vec<(i32, Option<usize>)> {
        self.motors
            .iter()
            .map(|&index| {
                let i = find_level(levels, index, OutputType::Vibrate);
                (i.map_or(0, |i| levels[i].value), i)
            })
            .collect()
    }

    /// Writes motor `motor`'s byte and asks for the next turn when another motor runs too.
    fn turn_to(motor: usize, motors: &[(i32, Option<usize>)], turn: &mut Turn, now: Instant) -> Timed {
        turn.motor = motor;
        let running = motors.iter().filter(|(level, _)| *level > 0).count();
        Timed::writes(vec![write(motor_byte(motor, motors[motor].0))]).tick_at((running > 1).then(|| now + TURN))
    }

    /// The first running motor after `motor`, going round.
    fn next_running(motors: &[(i32, Option<usize>)], motor: usize) -> Option<usize> {
        (1..=motors.len()).map(|k| (motor + k) % motors.len()).find(|&m| motors[m].0 > 0)
    }
}

impl DeviceHandler for CuemeHandler {
    fn initial_state(&self) -> HandlerState {
        HandlerState::new(Turn::default())
    }

    fn flush(&self, flush: &Flush<'_>, state: &mut HandlerState) -> Timed {
        let turn = state.get::<Turn>();
        let motors = self.motor_levels(flush.levels);
        if flush.stop || motors.iter().all(|(level, _)| *level <= 0) {
            *turn = Turn::default();
            return Timed::writes(vec![write(0)]);
        }
        let changed = |&m: &usize| motors[m].1.is_some_and(|i| flush.changed.contains(i));
        let changed_running = (0..motors.len()).filter(changed).find(|&m| motors[m].0 > 0);
        let motor = match changed_running {
            Some(motor) => motor,
            // Only stopped motors changed: the one being written goes on if it runs, else the
            // next one's turn comes now.
            None if motors[turn.motor].0 > 0 => turn.motor,
            None => Self::next_running(&motors, turn.motor).unwrap_or(0),
        };
        Self::turn_to(motor, &motors, turn, flush.now)
    }

    fn tick(&self, levels: &[OutputLevel], state: &mut HandlerState, now: Instant) -> Timed {
        let turn = state.get::<Turn>();
        let motors = self.motor_levels(levels);
        match Self::next_running(&motors, turn.motor) {
            Some(motor) if motors.iter().filter(|(level, _)| *level > 0).count() > 1 => {
                Self::turn_to(motor, &motors, turn, now)
            }
            _ => Timed::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::*;
    use crate::testing::FakeHardware;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn garment(motors: usize) -> Sim {
        let features = features(&vec![(Vibrate, 0, 15); motors]);
        Sim::new(Box::new(CuemeHandler::new(&features).unwrap()), &features)
    }

    #[test]
    fn bytes_per_motor() {
        assert_eq!(motor_byte(0, 15), 0x1f);
        assert_eq!(motor_byte(3, 5), 0x45);
        assert_eq!(motor_byte(7, 1), 0x81);
        assert_eq!(motor_byte(7, 0), 0x00);
        assert_eq!(motor_byte(1, 99), 0x2f, "clamped to 15");
    }

    #[tokio::test]
    async fn identifies_by_the_type_after_the_last_underscore() {
        for (name, expected) in [("FUNCODE_a1b2c3_3", Some("3")), ("FUNCODE_x_1", Some("1")), ("FUNCODE_x", None), ("FUNCODE_a_b_2", None)] {
            let hw = FakeHardware::new(name, "aa");
            let advertisement = Advertisement { name: name.to_owned(), ..Default::default() };
            assert_eq!(CUEME.identify(&hw, &advertisement).await.unwrap().as_deref(), expected, "{name}");
        }
    }

    #[test]
    fn one_motor_is_one_byte() {
        let mut womans = garment(4);
        assert_eq!(bytes(&womans.set(3, Vibrate, 5)), [[0x45]]);
        assert_eq!(womans.next_tick, None, "one motor running: no turns");
        assert_eq!(bytes(&womans.set(3, Vibrate, 0)), [[0x00]]);
    }

    #[test]
    fn running_motors_take_turns_of_500_ms() {
        let mut mens = garment(8);
        assert_eq!(bytes(&mens.set(0, Vibrate, 15)), [[0x1f]]);
        assert_eq!(bytes(&mens.set(2, Vibrate, 8)), [[0x38]], "the motor just changed, at once");
        let ticks = mens.ticks(3);
        assert_eq!(ticks.iter().map(|(at, _)| *at).collect::<Vec<_>>(), [MS(500), MS(1000), MS(1500)]);
        assert_eq!(ticks.iter().map(|(_, w)| bytes(w)).collect::<Vec<_>>(), [[[0x1f]], [[0x38]], [[0x1f]]]);

        assert_eq!(bytes(&mens.set(7, Vibrate, 1)), [[0x81]]);
        assert_eq!(bytes(&mens.tick()), [[0x1f]], "round to motor 0");
        assert_eq!(bytes(&mens.tick()), [[0x38]]);

        // Motor 2 stops while its turn: motor 7's turn comes now.
        assert_eq!(bytes(&mens.set(2, Vibrate, 0)), [[0x81]]);
        assert_eq!(bytes(&mens.tick()), [[0x1f]]);
        // Motor 7 stops while motor 0 is written: motor 0 goes on, without turns.
        assert_eq!(bytes(&mens.set(7, Vibrate, 0)), [[0x1f]]);
        assert_eq!(mens.next_tick, None);
    }

    #[test]
    fn a_stop_is_one_zero_and_ends_the_turns() {
        let mut bra = garment(8);
        bra.flush(&[(1, Vibrate, 3), (4, Vibrate, 9), (6, Vibrate, 15)]);
        assert_eq!(bytes(&bra.tick()), [[0x59]]);
        assert_eq!(bytes(&bra.stop()), [[0x00]]);
        assert_eq!(bra.next_tick, None);
        assert_eq!(bytes(&bra.stop()), [[0x00]], "stopped again");
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`. The turns are in the tests above.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&CUEME, Some("3"), &[
            Set(&[(0, Vibrate, 15)], &[tx(&[0x1f])]),
            Set(&[(3, Vibrate, 5)], &[tx(&[0x45])]),
            Set(&[(1, Vibrate, 1), (2, Vibrate, 2)], &[tx(&[0x21])]),
            Stop(&[tx(&[0x00])]),
        ]),
        Vector::new(&CUEME, Some("1"), &[
            Set(&[(0, Vibrate, 1), (1, Vibrate, 2), (2, Vibrate, 3), (3, Vibrate, 4)], &[tx(&[0x11])]),
            Set(&[(4, Vibrate, 5), (5, Vibrate, 6), (6, Vibrate, 7), (7, Vibrate, 8)], &[tx(&[0x55])]),
            Stop(&[tx(&[0x00])]),
        ]),
        Vector::new(&CUEME, None, &[Set(&[(7, Vibrate, 1)], &[tx(&[0x81])]), Stop(&[tx(&[0x00])])]),
    ];
}
