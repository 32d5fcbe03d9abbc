//! Lovehoney Desire (BLE names `PROSTATE VIBE`, `KNICKER VIBE`, `LOVE EGG`): service `ff00` with
//! `tx` `ff01`, written **with** response; no init.
//!
//! | device | packets |
//! |---|---|
//! | one vibrator (Knicker Vibe, Love Egg) | `f3 00 v` |
//! | two vibrators (Prostate Vibe), equal levels | `f3 00 v`: both motors at once |
//! | two vibrators, different levels | `f3 01 v0`, then `f3 02 v1` |
//!
//! Levels are 0..=127. With two vibrators every change writes both levels (one packet or two),
//! so a stop is the single packet `f3 00 00`, the same as the reference's stop once its batching
//! has dropped the packets the stop made obsolete.

use plugboard_protocol::model::{Feature, OutputType};

use super::single_packet::Outputs;
use super::{clamp_byte, lookup, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LOVEHONEY_DESIRE];

/// The `lovehoney-desire` protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct LovehoneyDesire;

pub static LOVEHONEY_DESIRE: LovehoneyDesire = LovehoneyDesire;

/// The header of every packet.
pub const HEADER: u8 = 0xf3;

impl Protocol for LovehoneyDesire {
    fn name(&self) -> &'static str {
        "lovehoney-desire"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(DesireHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The encoder of one Desire vibrator: its one or two motors, in feature order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesireHandler {
    motors: Vec<(u32, OutputType)>,
}

impl DesireHandler {
    pub fn new(features: &[Feature]) -> Result<DesireHandler, ProtocolError> {
        let motors = Outputs::of(&[OutputType::Vibrate]).at_most(2).check("lovehoney-desire", features)?;
        Ok(DesireHandler { motors })
    }

    /// The packets for the motor levels (one level: a one-motor device).
    pub fn packets(levels: &[u8]) -> Vec<[u8; 3]> {
        match *levels {
            [first, second] if first != second => vec![[HEADER, 0x01, first], [HEADER, 0x02, second]],
            [first, ..] => vec![[HEADER, 0x00, first]],
            [] => Vec::new(),
        }
    }
}

impl DeviceHandler for DesireHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let motors: Vec<(Option<&OutputLevel>, bool)> =
            self.motors.iter().map(|&slot| lookup(levels, changed, slot)).collect();
        if !motors.iter().any(|&(_, changed)| changed) {
            return Vec::new();
        }
        let values: Vec<u8> =
            motors.iter().map(|(level, _)| level.map_or(0, |level| clamp_byte(level.value, u8::MAX))).collect();
        DesireHandler::packets(&values)
            .into_iter()
            .map(|packet| Write::with_response(Endpoint::Tx, packet.to_vec()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(motors: usize) -> Sim {
        let features = features(&vec![(Vibrate, 0, 127); motors]);
        Sim::new(Box::new(DesireHandler::new(&features).unwrap()), &features)
    }

    #[test]
    fn one_motor() {
        let mut egg = sim(1);
        assert_eq!(bytes_with_response(&egg.set(0, Vibrate, 64)), [[0xf3, 0x00, 0x40]]);
        assert_eq!(bytes_with_response(&egg.set(0, Vibrate, 127)), [[0xf3, 0x00, 0x7f]]);
        assert_eq!(bytes_with_response(&egg.stop()), [[0xf3, 0x00, 0x00]]);
    }

    #[test]
    fn two_motors_one_packet_when_equal() {
        let mut vibe = sim(2);
        assert_eq!(bytes_with_response(&vibe.set(0, Vibrate, 10)), [[0xf3, 0x01, 0x0a], [0xf3, 0x02, 0x00]]);
        assert_eq!(bytes_with_response(&vibe.set(1, Vibrate, 10)), [[0xf3, 0x00, 0x0a]]);
        assert_eq!(bytes_with_response(&vibe.set(1, Vibrate, 20)), [[0xf3, 0x01, 0x0a], [0xf3, 0x02, 0x14]]);
        assert_eq!(bytes_with_response(&vibe.stop()), [[0xf3, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&vibe.stop()), Vec::<Vec<u8>>::new());
    }

    #[tokio::test]
    async fn definitions_and_no_init() {
        assert!(DesireHandler::new(&features(&[(Vibrate, 0, 127); 3])).is_err());
        assert!(DesireHandler::new(&features(&[(Rotate, 0, 127)])).is_err());
        let hw = FakeHardware::new("LOVE EGG", "aa");
        let handler = LOVEHONEY_DESIRE.initialize(&hw, None, &features(&[(Vibrate, 0, 127)])).await.unwrap();
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
        Vector::new(&LOVEHONEY_DESIRE, Some("PROSTATE VIBE"), &[
            Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0xf3, 0x01, 0x0a]), tx_with_response(&[0xf3, 0x02, 0x00])]),
            Set(&[(1, Vibrate, 10)], &[tx_with_response(&[0xf3, 0x00, 0x0a])]),
            Set(&[(1, Vibrate, 20)], &[tx_with_response(&[0xf3, 0x01, 0x0a]), tx_with_response(&[0xf3, 0x02, 0x14])]),
            Stop(&[tx_with_response(&[0xf3, 0x00, 0x00])]),
        ]),
        Vector::new(&LOVEHONEY_DESIRE, Some("KNICKER VIBE"), &[
            Set(&[(0, Vibrate, 64)], &[tx_with_response(&[0xf3, 0x00, 0x40])]),
            Stop(&[tx_with_response(&[0xf3, 0x00, 0x00])]),
        ]),
        Vector::new(&LOVEHONEY_DESIRE, Some("LOVE EGG"), &[
            Set(&[(0, Vibrate, 127)], &[tx_with_response(&[0xf3, 0x00, 0x7f])]),
            Stop(&[tx_with_response(&[0xf3, 0x00, 0x00])]),
        ]),
    ];
}
