//! We-Vibe.
//!
//! All three send one 8-byte packet carrying both motors to `tx`, with response. The first
//! vibrate output (lowest position in the definition) is the *internal* motor, the second the
//! *external* one; a single-motor device drives both with the same value.
//!
//! | variant | packet | both 0 |
//! |---|---|---|
//! | `wevibe` | `0f 03 00 (ext OR int<<4) 00 03 00 00` | `0f 00 00 00 00 00 00 00` |
//! | `wevibe-8bit` | `0f 03 00 (ext+3) (int+3) flags 00 00` | `0f 00 00 00 00 00 00 00` |
//! | `wevibe-chorus` | `0f 03 00 int ext flags 00 00` | (same formula: `0f 03 00 00 00 00 00 00`) |
//!
//! `flags`: bit 0 = internal on, bit 1 = external on. Only `wevibe` has init packets:
//! `0f 03 00 99 00 03 00 00` then `0f 00 00 00 00 00 00 00`.

use plugboard_protocol::model::{Feature, OutputType};

use super::{
    clamp_byte, lookup, motor_slots, value_of, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The packet both-zero `wevibe` and `wevibe-8bit` devices get, also the second init packet.
pub const STOP_PACKET: [u8; 8] = [0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
/// The first `wevibe` init packet.
pub const INIT_PACKET: [u8; 8] = [0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00];

/// Which of the three packet layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `wevibe`: 4-bit levels packed in one byte (range 0..15).
    Nibble,
    /// `wevibe-8bit`: one byte per motor, offset by 3.
    EightBit,
    /// `wevibe-chorus`: one byte per motor, no offset.
    Chorus,
}

/// A We-Vibe protocol family; one per [`Variant`].
#[derive(Debug, Clone, Copy)]
pub struct WeVibe {
    variant: Variant,
}

impl WeVibe {
    pub const fn new(variant: Variant) -> WeVibe {
        WeVibe { variant }
    }
}

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&WEVIBE, &WEVIBE_8BIT, &WEVIBE_CHORUS];

pub static WEVIBE: WeVibe = WeVibe::new(Variant::Nibble);
pub static WEVIBE_8BIT: WeVibe = WeVibe::new(Variant::EightBit);
pub static WEVIBE_CHORUS: WeVibe = WeVibe::new(Variant::Chorus);

impl Protocol for WeVibe {
    fn name(&self) -> &'static str {
        match self.variant {
            Variant::Nibble => "wevibe",
            Variant::EightBit => "wevibe-8bit",
            Variant::Chorus => "wevibe-chorus",
        }
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let handler = WeVibeHandler::new(self.variant, features)?;
            if self.variant == Variant::Nibble {
                hw.write(Write::with_response(Endpoint::Tx, INIT_PACKET.to_vec())).await?;
                hw.write(Write::with_response(Endpoint::Tx, STOP_PACKET.to_vec())).await?;
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// The encoder of one We-Vibe device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeVibeHandler {
    variant: Variant,
    internal: (u32, OutputType),
    external: Option<(u32, OutputType)>,
}

impl WeVibeHandler {
    /// A device with one or two vibrate outputs (nothing else).
    pub fn new(variant: Variant, features: &[Feature]) -> Result<WeVibeHandler, ProtocolError> {
        let motors = motor_slots(features);
        if let Some((_, kind)) = motors.iter().find(|(_, kind)| *kind != OutputType::Vibrate) {
            return Err(ProtocolError::Definition(format!("we-vibe has no command for {kind:?} outputs")));
        }
        match motors.as_slice() {
            [internal] => Ok(WeVibeHandler { variant, internal: *internal, external: None }),
            [internal, external] => Ok(WeVibeHandler { variant, internal: *internal, external: Some(*external) }),
            _ => Err(ProtocolError::Definition(format!("we-vibe needs 1 or 2 vibrators, got {}", motors.len()))),
        }
    }

    /// The packet for these motor levels (internal, external).
    pub fn packet(&self, internal: i32, external: i32) -> [u8; 8] {
        match self.variant {
            Variant::Nibble => {
                let (int, ext) = (clamp_byte(internal, 15), clamp_byte(external, 15));
                if int == 0 && ext == 0 {
                    STOP_PACKET
                } else {
                    [0x0f, 0x03, 0x00, ext | (int << 4), 0x00, 0x03, 0x00, 0x00]
                }
            }
            Variant::EightBit => {
                let (int, ext) = (clamp_byte(internal, 252), clamp_byte(external, 252));
                if int == 0 && ext == 0 {
                    STOP_PACKET
                } else {
                    [0x0f, 0x03, 0x00, ext + 3, int + 3, flags(int, ext), 0x00, 0x00]
                }
            }
            Variant::Chorus => {
                let (int, ext) = (clamp_byte(internal, 255), clamp_byte(external, 255));
                if int == 0 && ext == 0 {
                    STOP_PACKET
                } else {
                    [0x0f, 0x03, 0x00, int, ext, flags(int, ext), 0x00, 0x00]
                }
            }
        }
    }
}

fn flags(int: u8, ext: u8) -> u8 {
    u8::from(int != 0) | (u8::from(ext != 0) << 1)
}

impl DeviceHandler for WeVibeHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let any_changed = lookup(levels, changed, self.internal).1
            || self.external.is_some_and(|slot| lookup(levels, changed, slot).1);
        if !any_changed {
            return Vec::new();
        }
        let internal = value_of(levels, self.internal);
        let external = self.external.map_or(internal, |slot| value_of(levels, slot));
        vec![Write::with_response(Endpoint::Tx, self.packet(internal, external).to_vec())]
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes_with_response, features, Sim};
    use super::super::{by_name, Keepalive};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn sim(variant: Variant, motors: usize, max: i32) -> Sim {
        let features = features(&vec![(Vibrate, 0, max); motors]);
        Sim::new(Box::new(WeVibeHandler::new(variant, &features).unwrap()), &features)
    }

    #[test]
    fn nibble_packing_dual_motor() {
        let mut sync = sim(Variant::Nibble, 2, 15);
        assert_eq!(bytes_with_response(&sync.set(0, Vibrate, 10)), [[0x0f, 0x03, 0x00, 0xa0, 0x00, 0x03, 0x00, 0x00]]);
        // Worked example: internal 10, external 3.
        assert_eq!(bytes_with_response(&sync.set(1, Vibrate, 3)), [[0x0f, 0x03, 0x00, 0xa3, 0x00, 0x03, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&sync.set(0, Vibrate, 0)), [[0x0f, 0x03, 0x00, 0x03, 0x00, 0x03, 0x00, 0x00]]);
        assert_eq!(
            bytes_with_response(&sync.flush(&[(0, Vibrate, 15), (1, Vibrate, 15)])),
            [[0x0f, 0x03, 0x00, 0xff, 0x00, 0x03, 0x00, 0x00]]
        );
        assert_eq!(bytes_with_response(&sync.stop()), [STOP_PACKET]);
        assert_eq!(STOP_PACKET, [0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!(bytes_with_response(&sync.stop()), [] as [[u8; 8]; 0]);
    }

    #[test]
    fn nibble_single_motor_fills_both_nibbles() {
        let mut ditto = sim(Variant::Nibble, 1, 15);
        assert_eq!(bytes_with_response(&ditto.set(0, Vibrate, 7)), [[0x0f, 0x03, 0x00, 0x77, 0x00, 0x03, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&ditto.set(0, Vibrate, 0)), [STOP_PACKET]);
    }

    #[test]
    fn nibble_clamps_into_the_nibble() {
        let handler = WeVibeHandler::new(Variant::Nibble, &features(&[(Vibrate, 0, 15); 2])).unwrap();
        assert_eq!(handler.packet(16, -1)[3], 0xf0);
    }

    #[test]
    fn eight_bit() {
        let mut melt = sim(Variant::EightBit, 2, 12);
        assert_eq!(bytes_with_response(&melt.set(0, Vibrate, 5)), [[0x0f, 0x03, 0x00, 0x03, 0x08, 0x01, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&melt.set(1, Vibrate, 12)), [[0x0f, 0x03, 0x00, 0x0f, 0x08, 0x03, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&melt.set(0, Vibrate, 0)), [[0x0f, 0x03, 0x00, 0x0f, 0x03, 0x02, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&melt.stop()), [STOP_PACKET]);

        let mut wand = sim(Variant::EightBit, 1, 27);
        assert_eq!(bytes_with_response(&wand.set(0, Vibrate, 27)), [[0x0f, 0x03, 0x00, 0x1e, 0x1e, 0x03, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&wand.stop()), [STOP_PACKET]);
    }

    #[test]
    fn chorus() {
        let mut chorus = sim(Variant::Chorus, 2, 30);
        assert_eq!(bytes_with_response(&chorus.set(0, Vibrate, 30)), [[0x0f, 0x03, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&chorus.set(1, Vibrate, 4)), [[0x0f, 0x03, 0x00, 0x1e, 0x04, 0x03, 0x00, 0x00]]);
        assert_eq!(bytes_with_response(&chorus.set(0, Vibrate, 0)), [[0x0f, 0x03, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00]]);
        // Both at 0: the stop packet, as for the other variants.
        assert_eq!(bytes_with_response(&chorus.stop()), [STOP_PACKET]);

        let mut single = sim(Variant::Chorus, 1, 30);
        assert_eq!(bytes_with_response(&single.set(0, Vibrate, 9)), [[0x0f, 0x03, 0x00, 0x09, 0x09, 0x03, 0x00, 0x00]]);
    }

    #[test]
    fn definitions() {
        assert!(WeVibeHandler::new(Variant::Nibble, &features(&[(Vibrate, 0, 15); 3])).is_err());
        assert!(WeVibeHandler::new(Variant::Nibble, &[]).is_err());
        assert!(WeVibeHandler::new(Variant::Chorus, &features(&[(Vibrate, 0, 30), (Rotate, -20, 20)])).is_err());
    }

    #[tokio::test]
    async fn init_packets() {
        let features = features(&[(Vibrate, 0, 15); 2]);
        let hw = FakeHardware::new("Sync", "aa");
        let wevibe = by_name("wevibe").unwrap();
        let handler = wevibe.initialize(&hw, Some("Sync"), &features).await.unwrap();
        assert_eq!(
            hw.events(),
            vec![
                Event::Write(Write::with_response(Endpoint::Tx, vec![0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00])),
                Event::Write(Write::with_response(Endpoint::Tx, vec![0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])),
            ]
        );
        assert_eq!(handler.keepalive(), Keepalive::None);
        // Identifier is the advertised name (default identify).
        assert_eq!(
            wevibe.identify(&hw, &super::super::Advertisement::named("Cougar")).await.unwrap().as_deref(),
            Some("Cougar")
        );

        for name in ["wevibe-8bit", "wevibe-chorus"] {
            let hw = FakeHardware::new("Melt", "aa");
            by_name(name).unwrap().initialize(&hw, None, &features).await.unwrap();
            assert!(hw.events().is_empty(), "{name} has no init");
        }
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
        // Nibbles: `0f 03 00 (ext | int << 4) 00 03 00 00`; both 0 is the stop packet.
        Vector::new(&WEVIBE, Some("Sync"), &[
            Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0x0f, 0x03, 0x00, 0xa0, 0x00, 0x03, 0x00, 0x00])]),
            Set(&[(1, Vibrate, 3)], &[tx_with_response(&[0x0f, 0x03, 0x00, 0xa3, 0x00, 0x03, 0x00, 0x00])]),
            Stop(&[tx_with_response(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        // One motor drives both nibbles.
        Vector::new(&WEVIBE, Some("Ditto"), &[
            Set(&[(0, Vibrate, 7)], &[tx_with_response(&[0x0f, 0x03, 0x00, 0x77, 0x00, 0x03, 0x00, 0x00])]),
            Stop(&[tx_with_response(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        // 8-bit: `0f 03 00 (ext + 3) (int + 3) flags 00 00`.
        Vector::new(&WEVIBE_8BIT, Some("Vector"), &[
            Set(&[(0, Vibrate, 5)], &[tx_with_response(&[0x0f, 0x03, 0x00, 0x03, 0x08, 0x01, 0x00, 0x00])]),
            Set(&[(1, Vibrate, 12)], &[tx_with_response(&[0x0f, 0x03, 0x00, 0x0f, 0x08, 0x03, 0x00, 0x00])]),
            Stop(&[tx_with_response(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&WEVIBE_8BIT, Some("Bond"), &[
            Set(&[(0, Vibrate, 27)], &[tx_with_response(&[0x0f, 0x03, 0x00, 0x1e, 0x1e, 0x03, 0x00, 0x00])]),
            Stop(&[tx_with_response(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        // Chorus: `0f 03 00 int ext flags 00 00`.
        Vector::new(&WEVIBE_CHORUS, None, &[
            Set(&[(0, Vibrate, 30)], &[tx_with_response(&[0x0f, 0x03, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00])]),
            Set(&[(1, Vibrate, 4)], &[tx_with_response(&[0x0f, 0x03, 0x00, 0x1e, 0x04, 0x03, 0x00, 0x00])]),
            Stop(&[tx_with_response(&[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
    ];
}
