//! Love Distance (devices.md §3 row "lovedistance"): REACH, SPAN, RANGE, ORBIT, ... Service
//! 0xFF00 with `tx` (0xFF01) and `rx` (0xFF02, unused). No battery.
//!
//! | step | packet (to `tx`, without response) |
//! |---|---|
//! | init, first | `f3 00 00` |
//! | init, second | `f4 01` |
//! | vibrate (feature 0, steps 0..=121) | `f3 00 S` |

use plugboard_protocol::model::{Feature, OutputType};

use super::{clamp_byte, lookup, motor_slots, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The highest level the reference database gives these vibrators; higher values are clamped.
pub const MAX_LEVEL: u8 = 121;
/// The init packets, in order.
pub const INIT: [&[u8]; 2] = [&[0xf3, 0x00, 0x00], &[0xf4, 0x01]];

/// The Love Distance protocol family (`lovedistance`).
#[derive(Debug, Clone, Copy, Default)]
pub struct LoveDistance;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LOVEDISTANCE];

pub static LOVEDISTANCE: LoveDistance = LoveDistance;

impl Protocol for LoveDistance {
    fn name(&self) -> &'static str {
        "lovedistance"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = LoveDistanceHandler::new(features)?;
            for packet in INIT {
                hw.write(Write::without_response(Endpoint::Tx, packet)).await?;
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of one Love Distance device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoveDistanceHandler {
    motors: Vec<(u32, OutputType)>,
}

impl LoveDistanceHandler {
    /// Every non-position output gets the same packet (the database has one vibrate).
    pub fn new(features: &[Feature]) -> Result<LoveDistanceHandler, ProtocolError> {
        let motors = motor_slots(features);
        if motors.is_empty() {
            return Err(ProtocolError::Definition("lovedistance device with no outputs".into()));
        }
        Ok(LoveDistanceHandler { motors })
    }
}

impl DeviceHandler for LoveDistanceHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        self.motors
            .iter()
            .filter_map(|&slot| match lookup(levels, changed, slot) {
                (Some(level), true) => {
                    Some(Write::without_response(Endpoint::Tx, vec![0xf3, 0x00, clamp_byte(level.value, MAX_LEVEL)]))
                }
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{features, Sim};
    use super::super::{Advertisement, Keepalive};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn w(data: &[u8]) -> Write {
        Write { endpoint: Endpoint::Tx, data: data.to_vec(), with_response: false }
    }

    #[test]
    fn vibrate() {
        let f = features(&[(Vibrate, 0, 121)]);
        let mut toy = Sim::new(Box::new(LoveDistanceHandler::new(&f).unwrap()), &f);
        assert_eq!(toy.set(0, Vibrate, 121), [w(&[0xf3, 0x00, 0x79])]);
        assert_eq!(toy.set(0, Vibrate, 60), [w(&[0xf3, 0x00, 0x3c])]);
        assert_eq!(toy.stop(), [w(&[0xf3, 0x00, 0x00])]);
        assert_eq!(toy.stop(), []);
        assert_eq!(toy.set(0, Vibrate, 500), [w(&[0xf3, 0x00, 0x79])], "clamped to 121");
        assert_eq!(toy.set(0, Vibrate, -5), [w(&[0xf3, 0x00, 0x00])]);
        assert!(LoveDistanceHandler::new(&[]).is_err());
    }

    #[tokio::test]
    async fn init_packets() {
        assert_eq!(LOVEDISTANCE.name(), "lovedistance");
        let hw = FakeHardware::with_endpoints("REACH", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        let identifier = LOVEDISTANCE.identify(&hw, &Advertisement::named("REACH")).await.unwrap();
        assert_eq!(identifier.as_deref(), Some("REACH"));
        let f = features(&[(Vibrate, 0, 121)]);
        let handler = LOVEDISTANCE.initialize(&hw, identifier.as_deref(), &f).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Write(w(&[0xf3, 0x00, 0x00])), Event::Write(w(&[0xf4, 0x01]))]);
        assert_eq!(handler.keepalive(), Keepalive::None);
        assert!(matches!(handler.battery(&hw).await, Err(ProtocolError::Unsupported(_))));

        // A definition without outputs is refused before anything is written.
        let hw = FakeHardware::with_endpoints("REACH", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        assert!(LOVEDISTANCE.initialize(&hw, None, &[]).await.is_err());
        assert!(hw.events().is_empty());
    }
}
