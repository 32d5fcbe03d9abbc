//! Amorelie Joy (devices.md §3 row "amorelie-joy"): names `4D01` .. `4D09`, svc 0xFFE0,
//! `tx` 0xFFE3. Every write is without response.
//!
//! | step | bytes |
//! |---|---|
//! | init | `03` to `tx` |
//! | vibrate | `01 01 S` to `tx` (`01` header, `01` steady pattern, S 0..=100) |
//!
//! The devices have one vibrator (feature 0).

use plugboard_protocol::model::{Feature, OutputType};

use super::{clamp_byte, lookup, motor_slots, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The init packet.
pub const INIT: [u8; 1] = [0x03];
/// The highest vibrate value.
pub const MAX_VALUE: u8 = 100;

/// The `amorelie-joy` protocol family.
#[derive(Debug, Clone, Copy, Default)]
pub struct AmorelieJoy;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&AMORELIE_JOY];

pub static AMORELIE_JOY: AmorelieJoy = AmorelieJoy;

impl Protocol for AmorelieJoy {
    fn name(&self) -> &'static str {
        "amorelie-joy"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = AmorelieJoyHandler::new(features)?;
            hw.write(Write::without_response(Endpoint::Tx, INIT.to_vec())).await?;
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of one Amorelie Joy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmorelieJoyHandler {
    motor: (u32, OutputType),
}

impl AmorelieJoyHandler {
    /// Exactly one vibrate output.
    pub fn new(features: &[Feature]) -> Result<AmorelieJoyHandler, ProtocolError> {
        match motor_slots(features).as_slice() {
            &[motor @ (_, OutputType::Vibrate)] => Ok(AmorelieJoyHandler { motor }),
            slots => Err(ProtocolError::Definition(format!("amorelie-joy drives one vibrator, not {slots:?}"))),
        }
    }
}

impl DeviceHandler for AmorelieJoyHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        match lookup(levels, changed, self.motor) {
            (Some(level), true) => {
                vec![Write::without_response(Endpoint::Tx, vec![0x01, 0x01, clamp_byte(level.value, MAX_VALUE)])]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::{Event, FakeHardware};

    #[test]
    fn vibrate() {
        let features = features(&[(Vibrate, 0, 100)]);
        let mut joy = Sim::new(Box::new(AmorelieJoyHandler::new(&features).unwrap()), &features);
        assert_eq!(bytes(&joy.set(0, Vibrate, 100)), [[0x01, 0x01, 0x64]]);
        assert_eq!(bytes(&joy.set(0, Vibrate, 35)), [[0x01, 0x01, 0x23]]);
        assert_eq!(bytes(&joy.set(0, Vibrate, 1000)), [[0x01, 0x01, 0x64]], "clamped");
        assert_eq!(bytes(&joy.stop()), [[0x01, 0x01, 0x00]]);
        assert_eq!(bytes(&joy.stop()), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn definitions() {
        assert!(AmorelieJoyHandler::new(&[]).is_err());
        assert!(AmorelieJoyHandler::new(&features(&[(Vibrate, 0, 100); 2])).is_err());
        assert!(AmorelieJoyHandler::new(&features(&[(Rotate, 0, 100)])).is_err());
    }

    #[tokio::test]
    async fn init_writes_03() {
        assert_eq!(AMORELIE_JOY.name(), "amorelie-joy");
        let hw = FakeHardware::with_endpoints("4D02", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        let features = features(&[(Vibrate, 0, 100)]);
        let handler = AMORELIE_JOY.initialize(&hw, Some("4D02"), &features).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Write(Write::without_response(Endpoint::Tx, vec![0x03]))]);
        assert_eq!(handler.keepalive(), Keepalive::None);

        let untouched = FakeHardware::with_endpoints("4D02", "aa", &[Endpoint::Tx]);
        assert!(AMORELIE_JOY.initialize(&untouched, None, &[]).await.is_err());
        assert!(untouched.events().is_empty(), "a bad definition writes nothing");
    }
}
