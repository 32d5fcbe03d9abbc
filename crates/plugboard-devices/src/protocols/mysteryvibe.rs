//! MysteryVibe (devices.md §3 row "mysteryvibe / mysteryvibe-v2"). Service f0006900-…:
//! `txmode` f0006901-…, `txvibrate` f0006903-….
//!
//! | protocol | devices | init (to `txmode`, w/r) |
//! |---|---|---|
//! | `mysteryvibe` | Crescendo, Tenuto, Poco (names padded with spaces, e.g. `MV Poco     `) | `43 02 00` |
//! | `mysteryvibe-v2` | Tenuto Mini, Crescendo 2, Tenuto 2, Legato, Molto (`6907 MV1` ...) | `03 02 40` |
//!
//! Encoding (both): one byte per vibrator, `[m0 m1 ... mN-1]` in feature index order, every
//! vibrator each time, written without response to `txvibrate`. Levels 0..=56. The motors stop
//! by themselves unless the packet is repeated, so the keepalive repeats the last packet every
//! 93 ms ([`Keepalive::RepeatLast`]). The reference database gives 1, 2, 3, 4 or 6 vibrators
//! depending on the model.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    clamp_byte, lookup, motor_slots, value_of, ChangeSet, DeviceHandler, Keepalive, OutputLevel, Protocol,
    ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How often the last packet is repeated.
pub const KEEPALIVE: Duration = Duration::from_millis(93);
/// The highest vibration level.
pub const MAX_LEVEL: u8 = 56;

/// Which MysteryVibe generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `mysteryvibe`
    V1,
    /// `mysteryvibe-v2`
    V2,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::V1 => "mysteryvibe",
            Variant::V2 => "mysteryvibe-v2",
        }
    }

    /// The init packet written with response to `txmode`.
    pub fn init_packet(self) -> [u8; 3] {
        match self {
            Variant::V1 => [0x43, 0x02, 0x00],
            Variant::V2 => [0x03, 0x02, 0x40],
        }
    }
}

/// A MysteryVibe protocol family; one per [`Variant`].
#[derive(Debug, Clone, Copy)]
pub struct MysteryVibe {
    variant: Variant,
}

impl MysteryVibe {
    pub const fn new(variant: Variant) -> MysteryVibe {
        MysteryVibe { variant }
    }
}

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&MYSTERYVIBE, &MYSTERYVIBE_V2];

/// `mysteryvibe`.
pub static MYSTERYVIBE: MysteryVibe = MysteryVibe::new(Variant::V1);
/// `mysteryvibe-v2`.
pub static MYSTERYVIBE_V2: MysteryVibe = MysteryVibe::new(Variant::V2);

impl Protocol for MysteryVibe {
    fn name(&self) -> &'static str {
        self.variant.name()
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = MysteryVibeHandler::new(self.variant, features)?;
            hw.write(Write::with_response(Endpoint::TxMode, self.variant.init_packet().to_vec())).await?;
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of one MysteryVibe (both generations encode alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MysteryVibeHandler {
    vibrators: Vec<(u32, OutputType)>,
}

impl MysteryVibeHandler {
    /// Every output must be a vibrator; they are sent in feature index order.
    pub fn new(variant: Variant, features: &[Feature]) -> Result<MysteryVibeHandler, ProtocolError> {
        let mut vibrators = motor_slots(features);
        if let Some((_, kind)) = vibrators.iter().find(|(_, kind)| *kind != OutputType::Vibrate) {
            return Err(ProtocolError::Definition(format!("{} has no command for {kind:?} outputs", variant.name())));
        }
        if vibrators.is_empty() || vibrators.len() != features.iter().map(|f| f.outputs.len()).sum::<usize>() {
            return Err(ProtocolError::Definition(format!("{} needs vibrate outputs only", variant.name())));
        }
        vibrators.sort_by_key(|&(index, _)| index);
        Ok(MysteryVibeHandler { vibrators })
    }
}

impl DeviceHandler for MysteryVibeHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        if !self.vibrators.iter().any(|&slot| lookup(levels, changed, slot).1) {
            return Vec::new();
        }
        let data =
            self.vibrators.iter().map(|&slot| clamp_byte(value_of(levels, slot), MAX_LEVEL)).collect::<Vec<u8>>();
        vec![Write::without_response(Endpoint::TxVibrate, data)]
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::RepeatLast(KEEPALIVE)
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, features, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn sim(count: usize) -> Sim {
        let features = features(&vec![(Vibrate, 0, 56); count]);
        Sim::new(Box::new(MysteryVibeHandler::new(Variant::V1, &features).unwrap()), &features)
    }

    fn w(data: &[u8]) -> Write {
        Write { endpoint: Endpoint::TxVibrate, data: data.to_vec(), with_response: false }
    }

    #[test]
    fn six_vibrators_whole_state() {
        // The Crescendo (protocol defaults): six vibrators.
        let mut crescendo = sim(6);
        assert_eq!(crescendo.all(), [w(&[0; 6])], "keepalive seed");
        assert_eq!(crescendo.set(2, Vibrate, 56), [w(&[0, 0, 56, 0, 0, 0])]);
        assert_eq!(crescendo.flush(&[(0, Vibrate, 1), (5, Vibrate, 30)]), [w(&[1, 0, 56, 0, 0, 30])]);
        assert_eq!(crescendo.set(2, Vibrate, 99), [w(&[1, 0, 56, 0, 0, 30])], "clamped to 56");
        assert_eq!(crescendo.stop(), [w(&[0; 6])]);
        assert_eq!(crescendo.stop(), []);
    }

    #[test]
    fn every_model_size() {
        // Molto 1, Poco 2, v2 defaults (Tenuto Mini) 3, Tenuto 2 / Legato 4.
        let mut molto = sim(1);
        assert_eq!(molto.set(0, Vibrate, 20), [w(&[20])]);
        assert_eq!(molto.stop(), [w(&[0])]);
        let mut poco = sim(2);
        assert_eq!(poco.set(1, Vibrate, 7), [w(&[0, 7])]);
        let mut mini = sim(3);
        assert_eq!(mini.set(0, Vibrate, 9), [w(&[9, 0, 0])]);
        let mut legato = sim(4);
        assert_eq!(legato.set(3, Vibrate, 40), [w(&[0, 0, 0, 40])]);
        assert_eq!(legato.stop(), [w(&[0, 0, 0, 0])]);
    }

    #[test]
    fn feature_index_order() {
        let shuffled = vec![feature(1, &[(Vibrate, 0, 56)]), feature(0, &[(Vibrate, 0, 56)])];
        let mut toy = Sim::new(Box::new(MysteryVibeHandler::new(Variant::V2, &shuffled).unwrap()), &shuffled);
        assert_eq!(toy.set(1, Vibrate, 5), [w(&[0, 5])]);
    }

    #[test]
    fn definitions_and_keepalive() {
        assert!(MysteryVibeHandler::new(Variant::V1, &[]).is_err());
        assert!(MysteryVibeHandler::new(Variant::V1, &features(&[(Rotate, -56, 56)])).is_err());
        let handler = MysteryVibeHandler::new(Variant::V2, &features(&[(Vibrate, 0, 56)])).unwrap();
        assert_eq!(handler.keepalive(), Keepalive::RepeatLast(Duration::from_millis(93)));
    }

    #[tokio::test]
    async fn init_packets() {
        assert_eq!([MYSTERYVIBE.name(), MYSTERYVIBE_V2.name()], ["mysteryvibe", "mysteryvibe-v2"]);
        let features = features(&[(Vibrate, 0, 56); 2]);
        for (protocol, packet) in [(&MYSTERYVIBE, [0x43, 0x02, 0x00]), (&MYSTERYVIBE_V2, [0x03, 0x02, 0x40])] {
            let hw = FakeHardware::with_endpoints("MV Poco     ", "aa", &[Endpoint::TxMode, Endpoint::TxVibrate]);
            let handler = protocol.initialize(&hw, Some("MV Poco     "), &features).await.unwrap();
            assert_eq!(hw.events(), vec![Event::Write(Write::with_response(Endpoint::TxMode, packet.to_vec()))]);
            assert_eq!(handler.keepalive(), Keepalive::RepeatLast(KEEPALIVE));
        }
    }
}
