//! JoyHub. All writes go to `tx` without response; no
//! init; no battery (the trait default, which is unsupported without `rxblebattery`).
//!
//! | output | packet |
//! |---|---|
//! | vibrate / rotate / oscillate at feature index 0..=3 | `a0 03 v0 v1 v2 v3 aa` (whole state) |
//! | constrict at feature index 4 | `a0 07 on 00 L ff` (`on` = 1 if L > 0) |
//! | constrict at any other index | `a0 0d 00 00 L ff` |
//! | temperature | on `a0 04 01 00 01 ff`, off `a0 04 00 00 00 00` |
//! | LED | on `a0 14 01 00 01 ff`, off `a0 14 00 00 00 00` |
//! | spray | on `a0 24 01 00 01 ff`, off `a0 24 00 00 00 00` |
//!
//! `vN` is the absolute value (rotation direction is dropped) of the motor output at feature
//! index N, 0 where the device has none; a feature with several motor outputs contributes its
//! first one. The main packet is written when any of those motors changed.
//!
//! **Spray-off.** The lube pump runs until told to stop, so every spray-on is followed by the
//! off packet one second later (a tick of the device task), as in the reference. A spray set
//! back to 0 writes the off packet at once and cancels the pending one; a stop writes it at
//! once too, never a second later. Each spray command above 0 fires again (the device task
//! writes a repeated spray level), so a game's "spray" is one second of pumping each time.
//! Unlike the reference, which also writes a second off packet a second after a spray of 0,
//! Plugboard writes the off packet once.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};
use tokio::time::Instant;

use super::{lookup, value_of, ChangeSet, DeviceHandler, Flush, HandlerState, OutputLevel, Protocol, ProtocolError, Timed};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How long the pump runs after a spray-on.
pub const SPRAY_OFF_AFTER: Duration = Duration::from_millis(1000);

/// The pump's off packet.
pub const SPRAY_OFF: [u8; 6] = [0xa0, 0x24, 0x00, 0x00, 0x00, 0x00];

/// The feature index whose constrict output uses the `a0 07` packet.
pub const CONSTRICT_FEATURE: u32 = 4;

/// The JoyHub protocol family (`joyhub`).
#[derive(Debug, Clone, Copy, Default)]
pub struct JoyHub;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&JOYHUB];

/// `joyhub`.
pub static JOYHUB: JoyHub = JoyHub;

impl Protocol for JoyHub {
    fn name(&self) -> &'static str {
        "joyhub"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(JoyHubHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

fn is_motor(kind: OutputType) -> bool {
    matches!(kind, OutputType::Vibrate | OutputType::Rotate | OutputType::Oscillate)
}

/// The encoder of one JoyHub device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoyHubHandler {
    /// The motor output carried in each of the main packet's four value bytes.
    main: [Option<(u32, OutputType)>; 4],
}

impl JoyHubHandler {
    /// Motors must sit at feature indices 0..=3; position outputs are not supported.
    pub fn new(features: &[Feature]) -> Result<JoyHubHandler, ProtocolError> {
        let mut main = [None; 4];
        for feature in features {
            for output in &feature.outputs {
                match output.kind {
                    kind if is_motor(kind) => {
                        let slot = main.get_mut(feature.index as usize).ok_or_else(|| {
                            ProtocolError::Definition(format!(
                                "joyhub motors must be at feature index 0..=3, got {kind:?} at {}",
                                feature.index
                            ))
                        })?;
                        slot.get_or_insert((feature.index, kind));
                    }
                    OutputType::Position | OutputType::HwPositionWithDuration => {
                        return Err(ProtocolError::Definition(format!("joyhub has no command for {:?}", output.kind)))
                    }
                    _ => {}
                }
            }
        }
        Ok(JoyHubHandler { main })
    }

    /// The main packet for these four motor values (absolute values, clamped to 0..=255).
    pub fn main_packet(values: [i32; 4]) -> [u8; 7] {
        let [v0, v1, v2, v3] = values.map(|v| v.unsigned_abs().min(255) as u8);
        [0xa0, 0x03, v0, v1, v2, v3, 0xaa]
    }

    /// The packet for a non-motor output, `None` for motors and positions.
    pub fn other_packet(level: &OutputLevel) -> Option<[u8; 6]> {
        let on = level.value != 0;
        let switch =
            |command: u8| if on { [0xa0, command, 0x01, 0x00, 0x01, 0xff] } else { [0xa0, command, 0, 0, 0, 0] };
        Some(match level.kind {
            OutputType::Constrict | OutputType::Inflate => {
                let strength = level.value.clamp(0, 255) as u8;
                if level.feature_index == CONSTRICT_FEATURE {
                    [0xa0, 0x07, u8::from(strength > 0), 0x00, strength, 0xff]
                } else {
                    [0xa0, 0x0d, 0x00, 0x00, strength, 0xff]
                }
            }
            OutputType::Temperature => switch(0x04),
            OutputType::Led => switch(0x14),
            OutputType::Spray => switch(0x24),
            _ => return None,
        })
    }
}

impl DeviceHandler for JoyHubHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let mut writes = Vec::new();
        if self.main.iter().flatten().any(|&slot| lookup(levels, changed, slot).1) {
            let values = self.main.map(|slot| slot.map_or(0, |slot| value_of(levels, slot)));
            writes.push(Write::without_response(Endpoint::Tx, JoyHubHandler::main_packet(values).to_vec()));
        }
        for i in changed.iter(levels.len()) {
            if let Some(packet) = JoyHubHandler::other_packet(&levels[i]) {
                writes.push(Write::without_response(Endpoint::Tx, packet.to_vec()));
            }
        }
        writes
    }

    fn initial_state(&self) -> HandlerState {
        HandlerState::new(SprayOff::default())
    }

    fn flush(&self, flush: &Flush<'_>, state: &mut HandlerState) -> Timed {
        let spray_off = state.get::<SprayOff>();
        let mut writes = self.encode(flush.levels, flush.changed);
        let spray = flush.levels.iter().position(|level| level.kind == OutputType::Spray);
        match spray {
            // The packet for it is in `writes`: an on starts the second, an off ends it.
            Some(i) if flush.changed.contains(i) => {
                spray_off.at = (flush.levels[i].value != 0 && !flush.stop).then(|| flush.now + SPRAY_OFF_AFTER);
            }
            _ if flush.stop && spray_off.at.take().is_some() => {
                writes.push(Write::without_response(Endpoint::Tx, SPRAY_OFF.to_vec()));
            }
            _ => {}
        }
        Timed::writes(writes).tick_at(spray_off.at)
    }

    fn tick(&self, _levels: &[OutputLevel], state: &mut HandlerState, now: Instant) -> Timed {
        let spray_off = state.get::<SprayOff>();
        match spray_off.at {
            Some(at) if at <= now => {
                spray_off.at = None;
                Timed::writes(vec![Write::without_response(Endpoint::Tx, SPRAY_OFF.to_vec())])
            }
            pending => Timed::default().tick_at(pending),
        }
    }
}

/// When the pump is to be switched off, if a spray is running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SprayOff {
    pub at: Option<Instant>,
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, feature, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(features: &[Feature]) -> Sim {
        Sim::new(Box::new(JoyHubHandler::new(features).unwrap()), features)
    }

    #[test]
    fn main_packet_carries_features_0_to_3() {
        let features = features(&[(Vibrate, 0, 255), (Rotate, -255, 255), (Oscillate, 0, 255), (Vibrate, 0, 255)]);
        let mut hub = sim(&features);
        assert_eq!(bytes(&hub.set(0, Vibrate, 0x80)), [[0xa0, 0x03, 0x80, 0x00, 0x00, 0x00, 0xaa]]);
        // Rotate lands as |value|.
        assert_eq!(bytes(&hub.set(1, Rotate, -0x10)), [[0xa0, 0x03, 0x80, 0x10, 0x00, 0x00, 0xaa]]);
        assert_eq!(
            bytes(&hub.flush(&[(2, Oscillate, 0xff), (3, Vibrate, 1)])),
            [[0xa0, 0x03, 0x80, 0x10, 0xff, 0x01, 0xaa]],
            "one packet for several motors"
        );
        assert_eq!(bytes(&hub.set(1, Rotate, 0x20)), [[0xa0, 0x03, 0x80, 0x20, 0xff, 0x01, 0xaa]]);
        assert_eq!(bytes(&hub.stop()), [[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa]]);
        assert!(hub.stop().is_empty());
    }

    #[test]
    fn missing_indices_are_zero() {
        let features = vec![feature(1, &[(Vibrate, 0, 255)]), feature(3, &[(Rotate, 0, 255)])];
        let mut hub = sim(&features);
        assert_eq!(bytes(&hub.set(3, Rotate, 7)), [[0xa0, 0x03, 0x00, 0x00, 0x00, 0x07, 0xaa]]);
        assert_eq!(bytes(&hub.set(1, Vibrate, 9)), [[0xa0, 0x03, 0x00, 0x09, 0x00, 0x07, 0xaa]]);
    }

    #[test]
    fn constrict() {
        let features =
            vec![feature(0, &[(Vibrate, 0, 255)]), feature(1, &[(Constrict, 0, 5)]), feature(4, &[(Constrict, 0, 5)])];
        let mut hub = sim(&features);
        assert_eq!(bytes(&hub.set(4, Constrict, 3)), [[0xa0, 0x07, 0x01, 0x00, 0x03, 0xff]]);
        assert_eq!(bytes(&hub.set(4, Constrict, 0)), [[0xa0, 0x07, 0x00, 0x00, 0x00, 0xff]]);
        assert_eq!(bytes(&hub.set(1, Constrict, 5)), [[0xa0, 0x0d, 0x00, 0x00, 0x05, 0xff]]);
        assert_eq!(bytes(&hub.set(1, Inflate, 0)), [[0xa0, 0x0d, 0x00, 0x00, 0x00, 0xff]]);
        // Motor and constrict in one flush: main packet first.
        assert_eq!(
            bytes(&hub.flush(&[(4, Constrict, 2), (0, Vibrate, 10)])),
            [vec![0xa0, 0x03, 0x0a, 0x00, 0x00, 0x00, 0xaa], vec![0xa0, 0x07, 0x01, 0x00, 0x02, 0xff]]
        );
        assert_eq!(
            bytes(&hub.stop()),
            [vec![0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa], vec![0xa0, 0x07, 0x00, 0x00, 0x00, 0xff]]
        );
    }

    #[test]
    fn temperature_led_spray() {
        let features = vec![
            feature(0, &[(Vibrate, 0, 255)]),
            feature(5, &[(Temperature, 0, 1)]),
            feature(6, &[(Led, 0, 1)]),
            feature(7, &[(Spray, 0, 1)]),
        ];
        let mut hub = sim(&features);
        assert_eq!(bytes(&hub.set(5, Temperature, 1)), [[0xa0, 0x04, 0x01, 0x00, 0x01, 0xff]]);
        assert_eq!(bytes(&hub.set(5, Temperature, 0)), [[0xa0, 0x04, 0x00, 0x00, 0x00, 0x00]]);
        assert_eq!(bytes(&hub.set(6, Led, 1)), [[0xa0, 0x14, 0x01, 0x00, 0x01, 0xff]]);
        assert_eq!(bytes(&hub.set(6, Led, 0)), [[0xa0, 0x14, 0x00, 0x00, 0x00, 0x00]]);
        assert_eq!(bytes(&hub.set(7, Spray, 1)), [[0xa0, 0x24, 0x01, 0x00, 0x01, 0xff]]);
        assert_eq!(bytes(&hub.set(7, Spray, 0)), [[0xa0, 0x24, 0x00, 0x00, 0x00, 0x00]]);
        assert_eq!(hub.next_tick, None, "switched off: nothing pending");
        hub.flush(&[(5, Temperature, 1), (6, Led, 1)]);
        assert_eq!(bytes(&hub.stop()), [[0xa0, 0x04, 0x00, 0x00, 0x00, 0x00], [0xa0, 0x14, 0x00, 0x00, 0x00, 0x00]]);
    }

    #[test]
    fn the_pump_is_switched_off_a_second_after_each_spray() {
        let features = vec![feature(0, &[(Vibrate, 0, 255)]), feature(7, &[(Spray, 0, 1)])];
        let mut hub = sim(&features);
        let start = hub.now;
        assert!(hub.start().is_empty(), "nothing pending at connect");
        assert_eq!(bytes(&hub.set(7, Spray, 1)), [[0xa0, 0x24, 0x01, 0x00, 0x01, 0xff]]);
        assert_eq!(hub.next_tick, Some(start + SPRAY_OFF_AFTER));
        hub.wait(Duration::from_millis(300));
        hub.set(0, Vibrate, 4);
        assert_eq!(hub.next_tick, Some(start + SPRAY_OFF_AFTER), "another output leaves the off pending");
        assert_eq!(bytes(&hub.tick()), [SPRAY_OFF]);
        assert_eq!((hub.now, hub.next_tick), (start + SPRAY_OFF_AFTER, None));

        // A stop while the pump runs: off at once, nothing a second later.
        assert_eq!(bytes(&hub.set(7, Spray, 0)), [SPRAY_OFF], "the level the client set back to 0");
        assert_eq!(bytes(&hub.set(7, Spray, 1)), [[0xa0, 0x24, 0x01, 0x00, 0x01, 0xff]]);
        assert_eq!(bytes(&hub.stop()), [vec![0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa], SPRAY_OFF.to_vec()]);
        assert_eq!(hub.next_tick, None);
        // A stop after the pump's own off still writes the spray's 0 (its level was 1).
        assert_eq!(bytes(&hub.set(7, Spray, 1)), [[0xa0, 0x24, 0x01, 0x00, 0x01, 0xff]]);
        hub.tick();
        assert_eq!(bytes(&hub.stop()), [SPRAY_OFF]);
    }

    #[test]
    fn definitions() {
        assert!(JoyHubHandler::new(&[feature(4, &[(Vibrate, 0, 255)])]).is_err());
        assert!(JoyHubHandler::new(&[feature(0, &[(Position, 0, 100)])]).is_err());
        assert!(JoyHubHandler::new(&[]).is_ok());
    }

    #[tokio::test]
    async fn no_init() {
        let hw = FakeHardware::new("J-Moon", "aa");
        assert_eq!(JOYHUB.name(), "joyhub");
        let handler = JOYHUB.initialize(&hw, None, &features(&[(Vibrate, 0, 255)])).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        // Motors on features 0..=3 share one packet; constrict on feature 4 has its own command.
        Vector::new(&JOYHUB, Some("J-VortexTongue"), &[
            Set(&[(0, Vibrate, 0x80)], &[tx(&[0xa0, 0x03, 0x80, 0x00, 0x00, 0x00, 0xaa])]),
            Set(&[(1, Rotate, 0x10)], &[tx(&[0xa0, 0x03, 0x80, 0x10, 0x00, 0x00, 0xaa])]),
            Set(&[(4, Constrict, 3)], &[tx(&[0xa0, 0x07, 0x01, 0x00, 0x03, 0xff])]),
            Stop(&[tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa]), tx(&[0xa0, 0x07, 0x00, 0x00, 0x00, 0xff])]),
        ]),
        // Constrict on any other feature; in one flush with motors, the motor packet comes first.
        Vector::new(&JOYHUB, Some("J-VortexTongue2"), &[
            Set(
                &[(0, Vibrate, 1), (1, Rotate, 2), (5, Constrict, 3)],
                &[tx(&[0xa0, 0x03, 0x01, 0x02, 0x00, 0x00, 0xaa]), tx(&[0xa0, 0x0d, 0x00, 0x00, 0x03, 0xff])],
            ),
            Stop(&[tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa]), tx(&[0xa0, 0x0d, 0x00, 0x00, 0x00, 0xff])]),
        ]),
        Vector::new(&JOYHUB, Some("J-VibSiren"), &[
            Set(&[(0, Vibrate, 1), (1, Vibrate, 2)], &[tx(&[0xa0, 0x03, 0x01, 0x02, 0x00, 0x00, 0xaa])]),
            Set(&[(2, Oscillate, 3)], &[tx(&[0xa0, 0x03, 0x01, 0x02, 0x03, 0x00, 0xaa])]),
            Set(&[(6, Temperature, 1)], &[tx(&[0xa0, 0x04, 0x01, 0x00, 0x01, 0xff])]),
            Stop(&[tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa]), tx(&[0xa0, 0x04, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&JOYHUB, Some("J-Rainbow"), &[
            Set(&[(6, Led, 1)], &[tx(&[0xa0, 0x14, 0x01, 0x00, 0x01, 0xff])]),
            Set(&[(0, Vibrate, 5)], &[tx(&[0xa0, 0x03, 0x05, 0x00, 0x00, 0x00, 0xaa])]),
            Stop(&[tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa]), tx(&[0xa0, 0x14, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&JOYHUB, Some("J-Dodge"), &[
            Set(&[(7, Spray, 1)], &[tx(&[0xa0, 0x24, 0x01, 0x00, 0x01, 0xff])]),
            Set(&[(0, Oscillate, 7), (1, Vibrate, 9)], &[tx(&[0xa0, 0x03, 0x07, 0x09, 0x00, 0x00, 0xaa])]),
            Stop(&[tx(&[0xa0, 0x03, 0x00, 0x00, 0x00, 0x00, 0xaa]), tx(&[0xa0, 0x24, 0x00, 0x00, 0x00, 0x00])]),
        ]),
    ];
}
