//! The simulated device of each protocol whose devices must answer, chosen by the protocol's
//! name: for harnesses that pick a device at run time (the `simulated_device` example, the
//! stop tests).
//!
//! It lives with the protocols rather than in `testing`, which the protocols' own tests build
//! on: `testing` knows the hardware seam and nothing of any protocol.

use super::{ankni, fluffer, fredorch, honeyplaybox, vibcrafter, yiciyuan};
use crate::testing::SimulatedDevice;

/// A typical device of `protocol`, for the protocols whose devices must answer (a handshake, a
/// read while connecting, a pushed battery level): what a harness standing in for hardware
/// answers. `None` for protocols whose devices answer nothing.
///
/// A Fluffer toy also advertises manufacturer data, [`FLUFFER_MANUFACTURER_DATA`] of company
/// `0x684a`, which the harness must put in its advertisement.
pub fn for_protocol(protocol: &str) -> Option<Box<dyn SimulatedDevice>> {
    Some(match protocol {
        "ankni" => Box::new(ankni::simulated::Toy { pnp_id: &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66] }),
        "fluffer" => Box::new(fluffer::simulated::Toy { manufacturer_data: FLUFFER_MANUFACTURER_DATA }),
        "fredorch" => Box::new(fredorch::simulated::Machine),
        "honeyplaybox" => Box::new(honeyplaybox::simulated::Toy { random: HONEYPLAYBOX_RANDOM }),
        "vibcrafter" => {
            Box::new(vibcrafter::simulated::Toy::new(&vibcrafter::VIBCRAFTER).challenging("Zq9x:HelloWorld1;"))
        }
        "vibio" => Box::new(vibcrafter::simulated::Toy::new(&vibcrafter::VIBIO).challenging("1a2B:secret-x;")),
        "yiciyuan" => Box::new(yiciyuan::simulated::Toy { battery: 75 }),
        _ => return None,
    })
}

/// The session random the simulated Honey Play Box hands out.
pub const HONEYPLAYBOX_RANDOM: [u8; 16] = *b"plugboard-random";

/// The manufacturer data (company `0x684a`) of the simulated Fluffer toy.
pub const FLUFFER_MANUFACTURER_DATA: &[u8] = &[0x10, 0x00, 0x78, 0x21, 0x33];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;

    #[test]
    fn simulated_devices_by_protocol_name() {
        for name in ["ankni", "fluffer", "fredorch", "honeyplaybox", "vibcrafter", "vibio", "yiciyuan"] {
            assert!(for_protocol(name).is_some(), "{name}");
            assert!(crate::protocols::by_name(name).is_some(), "{name} is a protocol");
        }
        assert!(for_protocol("lovense").is_none());
        let challenge =
            [0x49, 0xb0, 0x6c, 0x7b, 0x3f, 0x66, 0x30, 0x93, 0xfa, 0x77, 0x2f, 0x54, 0xba, 0x9f, 0xd1, 0x8d];
        let agreed =
            vec![0xfb, 0x14, 0x63, 0x04, 0x20, 0x5c, 0x54, 0x79, 0xbb, 0x6b, 0xa6, 0xc9, 0x69, 0xfd, 0xaa, 0x96];
        let fluffer = for_protocol("fluffer").unwrap();
        assert_eq!(fluffer.on_write(Endpoint::Tx, &challenge), vec![(Endpoint::Rx, agreed)]);
        let ankni = for_protocol("ankni").unwrap();
        assert_eq!(
            ankni.on_read(Endpoint::Generic(0)).map(|id| id.len()),
            Some(6),
            "a toy that asks for the handshake"
        );
    }
}
