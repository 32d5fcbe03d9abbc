//! Vibratissimo. Service 00001523-1212-efde-1523-…:
//! `txmode` …1524, `txvibrate` …1526, `rx` …1527; model string 0x2A24 (`rxblemodel`);
//! standard battery 0x2A19 (`rxblebattery`).
//!
//! * Identify: read `rxblemodel`; the model string (trailing NULs removed) is the identifier
//!   (`Licker`, `SecretKiss`, `Womenizer`, `Rabbit` in the reference database). Not UTF-8 or
//!   empty: the advertised/hardware name. Without a `rxblemodel` endpoint: the default
//!   identifier.
//! * No init.
//! * Encoding: every flush with a change is two writes without response:
//!
//!   | endpoint | data |
//!   |---|---|
//!   | `txmode` | `03 ff` (write mode) |
//!   | `txvibrate` | `m0 m1 ... mN-1`, every vibrator in feature index order; one vibrator: `m0 00` |
//!
//!   Levels 0..=255 (the Rabbit's third vibrator 0..=2), clamped to a byte.
//! * Battery: the standard characteristic (the [`DeviceHandler::battery`] default).

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    clamp_byte, default_identifier, lookup, motor_slots, value_of, Advertisement, ChangeSet, DeviceHandler,
    OutputLevel, Protocol, ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The write-mode packet sent to `txmode` before every motor packet.
pub const WRITE_MODE: [u8; 2] = [0x03, 0xff];

/// The `vibratissimo` protocol family.
#[derive(Debug, Clone, Copy, Default)]
pub struct Vibratissimo;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&VIBRATISSIMO];

/// `vibratissimo`.
pub static VIBRATISSIMO: Vibratissimo = Vibratissimo;

impl Protocol for Vibratissimo {
    fn name(&self) -> &'static str {
        "vibratissimo"
    }

    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            if !hw.has_endpoint(Endpoint::RxBleModel) {
                return Ok(default_identifier(hw, advertisement));
            }
            let bytes = hw.read(Endpoint::RxBleModel).await?;
            let model = String::from_utf8(bytes).ok();
            let model = model.as_deref().map(|model| model.trim_end_matches('\0')).filter(|model| !model.is_empty());
            Ok(model.map(str::to_owned).or_else(|| default_identifier(hw, advertisement)))
        })
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(VibratissimoHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The encoder of one Vibratissimo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VibratissimoHandler {
    vibrators: Vec<(u32, OutputType)>,
}

impl VibratissimoHandler {
    /// Every output must be a vibrator (battery inputs are fine); sent in feature index order.
    pub fn new(features: &[Feature]) -> Result<VibratissimoHandler, ProtocolError> {
        let mut vibrators = motor_slots(features);
        let outputs: usize = features.iter().map(|f| f.outputs.len()).sum();
        if vibrators.is_empty()
            || outputs != vibrators.len()
            || vibrators.iter().any(|(_, k)| *k != OutputType::Vibrate)
        {
            return Err(ProtocolError::Definition("vibratissimo supports vibrate outputs only".into()));
        }
        vibrators.sort_by_key(|&(index, _)| index);
        Ok(VibratissimoHandler { vibrators })
    }
}

impl DeviceHandler for VibratissimoHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        if !self.vibrators.iter().any(|&slot| lookup(levels, changed, slot).1) {
            return Vec::new();
        }
        let mut data: Vec<u8> = self.vibrators.iter().map(|&slot| clamp_byte(value_of(levels, slot), 255)).collect();
        if data.len() == 1 {
            data.push(0x00);
        }
        vec![
            Write::without_response(Endpoint::TxMode, WRITE_MODE.to_vec()),
            Write::without_response(Endpoint::TxVibrate, data),
        ]
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;
    use plugboard_protocol::model::{Input, InputCommand, InputType, Range};

    use super::super::test_support::{feature, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn writes(motors: &[u8]) -> Vec<Write> {
        vec![
            Write { endpoint: Endpoint::TxMode, data: vec![0x03, 0xff], with_response: false },
            Write { endpoint: Endpoint::TxVibrate, data: motors.to_vec(), with_response: false },
        ]
    }

    fn battery_feature(index: u32) -> Feature {
        let mut f = feature(index, &[]);
        f.inputs.push(Input {
            kind: InputType::Battery,
            ranges: vec![Range::new(0, 100)],
            commands: vec![InputCommand::Read],
        });
        f
    }

    fn sim(features: &[Feature]) -> Sim {
        Sim::new(Box::new(VibratissimoHandler::new(features).unwrap()), features)
    }

    #[test]
    fn single_vibrator_is_padded() {
        // Protocol defaults: one vibrator and a battery.
        let mut defaults = features(&[(Vibrate, 0, 255)]);
        defaults.push(battery_feature(1));
        let mut toy = sim(&defaults);
        assert_eq!(toy.set(0, Vibrate, 255), writes(&[0xff, 0x00]));
        assert_eq!(toy.set(0, Vibrate, 0x42), writes(&[0x42, 0x00]));
        assert_eq!(toy.stop(), writes(&[0x00, 0x00]));
        assert_eq!(toy.stop(), []);
    }

    #[test]
    fn licker_two_vibrators() {
        let mut licker = features(&[(Vibrate, 0, 255), (Vibrate, 0, 255)]);
        licker.push(battery_feature(2));
        let mut toy = sim(&licker);
        assert_eq!(toy.set(1, Vibrate, 0x80), writes(&[0x00, 0x80]));
        assert_eq!(toy.flush(&[(0, Vibrate, 1), (1, Vibrate, 2)]), writes(&[0x01, 0x02]));
        assert_eq!(toy.stop(), writes(&[0x00, 0x00]));
    }

    #[test]
    fn rabbit_three_vibrators() {
        let mut rabbit = features(&[(Vibrate, 0, 255), (Vibrate, 0, 255), (Vibrate, 0, 2)]);
        rabbit.push(battery_feature(3));
        let mut toy = sim(&rabbit);
        assert_eq!(toy.set(2, Vibrate, 2), writes(&[0x00, 0x00, 0x02]));
        assert_eq!(toy.set(0, Vibrate, 300), writes(&[0xff, 0x00, 0x02]), "clamped to a byte");
        assert_eq!(toy.stop(), writes(&[0x00, 0x00, 0x00]));
    }

    #[test]
    fn definitions() {
        assert!(VibratissimoHandler::new(&[]).is_err());
        assert!(VibratissimoHandler::new(&[battery_feature(0)]).is_err());
        assert!(VibratissimoHandler::new(&features(&[(Rotate, -255, 255)])).is_err());
        let shuffled = vec![feature(1, &[(Vibrate, 0, 255)]), feature(0, &[(Vibrate, 0, 255)])];
        let mut toy = sim(&shuffled);
        assert_eq!(toy.set(1, Vibrate, 9), writes(&[0x00, 0x09]), "feature index order");
    }

    #[tokio::test]
    async fn identify_reads_the_model_string() {
        let endpoints =
            [Endpoint::TxMode, Endpoint::TxVibrate, Endpoint::Rx, Endpoint::RxBleModel, Endpoint::RxBleBattery];
        let hw = FakeHardware::with_endpoints("Vibratissimo", "aa", &endpoints);
        let advertised = Advertisement::named("Vibratissimo");
        hw.set_read(Endpoint::RxBleModel, b"Licker");
        assert_eq!(VIBRATISSIMO.identify(&hw, &advertised).await.unwrap().as_deref(), Some("Licker"));
        assert_eq!(hw.events(), vec![Event::Read(Endpoint::RxBleModel)]);
        hw.set_read(Endpoint::RxBleModel, b"Rabbit\0\0\0");
        assert_eq!(VIBRATISSIMO.identify(&hw, &advertised).await.unwrap().as_deref(), Some("Rabbit"));
        // Not UTF-8, or empty: the name.
        hw.set_read(Endpoint::RxBleModel, &[0xff, 0xfe]);
        assert_eq!(VIBRATISSIMO.identify(&hw, &advertised).await.unwrap().as_deref(), Some("Vibratissimo"));
        hw.set_read(Endpoint::RxBleModel, b"\0\0");
        assert_eq!(VIBRATISSIMO.identify(&hw, &advertised).await.unwrap().as_deref(), Some("Vibratissimo"));

        let no_model = FakeHardware::with_endpoints("Vibratissimo", "bb", &[Endpoint::TxMode, Endpoint::TxVibrate]);
        assert_eq!(VIBRATISSIMO.identify(&no_model, &advertised).await.unwrap().as_deref(), Some("Vibratissimo"));
        assert!(no_model.events().is_empty());
    }

    #[tokio::test]
    async fn no_init_and_standard_battery() {
        assert_eq!(VIBRATISSIMO.name(), "vibratissimo");
        let hw = FakeHardware::with_endpoints(
            "Vibratissimo",
            "aa",
            &[Endpoint::TxMode, Endpoint::TxVibrate, Endpoint::RxBleBattery],
        );
        let features = features(&[(Vibrate, 0, 255)]);
        let handler = VIBRATISSIMO.initialize(&hw, Some("Licker"), &features).await.unwrap();
        assert!(hw.events().is_empty());
        assert_eq!(handler.keepalive(), Keepalive::None);
        hw.set_read(Endpoint::RxBleBattery, &[73]);
        assert_eq!(handler.battery(&hw).await, Ok(73));
        assert_eq!(hw.events(), vec![Event::Read(Endpoint::RxBleBattery)]);
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
        // Every flush: the write mode to `txmode`, then every motor to `txvibrate` (one motor
        // padded with 00).
        Vector::new(&VIBRATISSIMO, None, &[
            Set(&[(0, Vibrate, 255)], &[
                write_to(Endpoint::TxMode, false, &[0x03, 0xff]),
                write_to(Endpoint::TxVibrate, false, &[0xff, 0x00]),
            ]),
            Stop(&[write_to(Endpoint::TxMode, false, &[0x03, 0xff]), write_to(Endpoint::TxVibrate, false, &[0x00, 0x00])]),
        ]),
        Vector::new(&VIBRATISSIMO, Some("Rabbit"), &[
            Set(&[(2, Vibrate, 2)], &[
                write_to(Endpoint::TxMode, false, &[0x03, 0xff]),
                write_to(Endpoint::TxVibrate, false, &[0x00, 0x00, 0x02]),
            ]),
            Set(&[(0, Vibrate, 0x80), (1, Vibrate, 1)], &[
                write_to(Endpoint::TxMode, false, &[0x03, 0xff]),
                write_to(Endpoint::TxVibrate, false, &[0x80, 0x01, 0x02]),
            ]),
            Stop(&[
                write_to(Endpoint::TxMode, false, &[0x03, 0xff]),
                write_to(Endpoint::TxVibrate, false, &[0x00, 0x00, 0x00]),
            ]),
        ]),
    ];
}
