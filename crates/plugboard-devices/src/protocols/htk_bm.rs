//! HTK breast massager (BLE name `HTK-BLE-BM001`): two on/off zones. `tx` is the standard Alert
//! Level characteristic (`2a06` in the Immediate Alert service `1802`), written without
//! response; no init.
//!
//! One byte carries both zones and is written whenever either changes:
//!
//! | left (feature 0) | right (feature 1) | byte |
//! |---|---|---|
//! | off | off | `0f` |
//! | on | on | `0b` |
//! | on | off | `0c` |
//! | off | on | `0d` |
//!
//! A zone is on at any level but 0 (the database gives each a range of 0..=1). The database
//! also lists the standard battery characteristic, but no battery input, so nothing reads it.

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&HTK_BM];

/// The `htk_bm` protocol.
pub static HTK_BM: SinglePacket = SinglePacket {
    name: "htk_bm",
    outputs: Outputs::of(&[OutputType::Vibrate]).up_to_feature(1).at_most(2),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(packet),
    keepalive: Keepalive::None,
};

/// The byte for the two zones.
pub fn zones(left: bool, right: bool) -> u8 {
    match (left, right) {
        (false, false) => 0x0f,
        (true, true) => 0x0b,
        (true, false) => 0x0c,
        (false, true) => 0x0d,
    }
}

fn packet(outputs: &[OutputLevel]) -> Vec<u8> {
    let on = |feature: u32| outputs.iter().any(|output| output.feature_index == feature && output.value != 0);
    vec![zones(on(0), on(1))]
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::*;

    #[test]
    fn one_byte_for_both_zones() {
        let both = features(&[(Vibrate, 0, 1), (Vibrate, 0, 1)]);
        let mut massager = Sim::new(Box::new(HTK_BM.handler(&both).unwrap()), &both);
        assert_eq!(bytes(&massager.set(0, Vibrate, 1)), [[0x0c]]);
        assert_eq!(bytes(&massager.set(1, Vibrate, 1)), [[0x0b]]);
        assert_eq!(bytes(&massager.set(0, Vibrate, 0)), [[0x0d]]);
        assert_eq!(bytes(&massager.stop()), [[0x0f]]);
        assert_eq!(bytes(&massager.stop()), Vec::<Vec<u8>>::new());
        assert!(HTK_BM.handler(&features(&[(Vibrate, 0, 1); 3])).is_err());
    }
}

/// Byte-exact vectors of this file's protocols, run (and checked for coverage of every output
/// type and of the stop) by `protocols::test_vectors`.
#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[Vector::new(&HTK_BM, None, &[
        Set(&[(0, Vibrate, 1)], &[tx(&[0x0c])]),
        Set(&[(1, Vibrate, 1)], &[tx(&[0x0b])]),
        Set(&[(0, Vibrate, 0)], &[tx(&[0x0d])]),
        Set(&[(0, Vibrate, 1)], &[tx(&[0x0b])]),
        Stop(&[tx(&[0x0f])]),
    ])];
}
