//! TCode v0.3 over a serial port.
//!
//! ASCII lines ending in `\n`, written to `tx` (serial ignores the endpoint and write type).
//! One line per changed output, `idx` being the output's feature index:
//!
//! * position: `L0ppp\nR0ppp\n` - the same 3-digit value on the L0 and R0 axes;
//! * position with duration: `L<idx><ppp>I<ms>\n` (`L<idx><ppp>\n` if no duration is given);
//! * vibrate: `V<idx><ss>\n` (2 digits).
//!
//! Positions are 000..999 and vibration 00..99; values outside are clamped. Nothing is written
//! to identify or initialize the device (identifier = the port name, the default).

use plugboard_protocol::model::OutputType;

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{Keepalive, OutputLevel, Protocol};
use crate::hardware::Endpoint;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&TCODE_V03];

/// The TCode v0.3 protocol (`tcode-v03`): positions, positions with duration and vibrators.
pub static TCODE_V03: SinglePacket = SinglePacket {
    name: "tcode-v03",
    outputs: Outputs::of(&[OutputType::Position, OutputType::HwPositionWithDuration, OutputType::Vibrate]),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(line),
    keepalive: Keepalive::None,
};

/// The line for one output.
fn line(level: &OutputLevel) -> Vec<u8> {
    let line = match level.kind {
        OutputType::Position => {
            let p = level.value.clamp(0, 999);
            format!("L0{p:03}\nR0{p:03}\n")
        }
        OutputType::HwPositionWithDuration => {
            let p = level.value.clamp(0, 999);
            match level.duration_ms {
                Some(ms) => format!("L{}{p:03}I{ms}\n", level.feature_index),
                None => format!("L{}{p:03}\n", level.feature_index),
            }
        }
        _ => format!("V{}{:02}\n", level.feature_index, level.value.clamp(0, 99)),
    };
    line.into_bytes()
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{ascii, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::FakeHardware;

    fn sim(outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(TCODE_V03.handler(&features).unwrap()), &features)
    }

    #[test]
    fn position_on_l0_and_r0() {
        let mut osr = sim(&[(Position, 0, 999)]);
        assert_eq!(ascii(&osr.set(0, Position, 500)), ["L0500\nR0500\n"]);
        assert_eq!(ascii(&osr.set(0, Position, 5)), ["L0005\nR0005\n"]);
        assert_eq!(ascii(&osr.set(0, Position, 999)), ["L0999\nR0999\n"]);
        assert_eq!(ascii(&osr.set(0, Position, 0)), ["L0000\nR0000\n"]);
        assert_eq!(ascii(&osr.stop()), [] as [&str; 0], "stop leaves positions alone");
    }

    #[test]
    fn position_with_duration() {
        let mut osr = sim(&[(HwPositionWithDuration, 0, 999), (HwPositionWithDuration, 0, 999)]);
        assert_eq!(ascii(&osr.flush_with_duration(&[(0, HwPositionWithDuration, 250, Some(500))])), ["L0250I500\n"]);
        assert_eq!(ascii(&osr.flush_with_duration(&[(1, HwPositionWithDuration, 7, Some(1200))])), ["L1007I1200\n"]);
        // Same position, new duration: still a change.
        assert_eq!(ascii(&osr.flush_with_duration(&[(0, HwPositionWithDuration, 250, Some(100))])), ["L0250I100\n"]);
        assert_eq!(ascii(&osr.flush_with_duration(&[(0, HwPositionWithDuration, 999, None)])), ["L0999\n"]);
        assert_eq!(ascii(&osr.flush_with_duration(&[(0, HwPositionWithDuration, 1500, Some(0))])), ["L0999I0\n"]);
    }

    #[test]
    fn vibrate_two_digits() {
        let mut sr6 = sim(&[(HwPositionWithDuration, 0, 999), (Vibrate, 0, 99)]);
        assert_eq!(ascii(&sr6.set(1, Vibrate, 5)), ["V105\n"]);
        assert_eq!(ascii(&sr6.set(1, Vibrate, 99)), ["V199\n"]);
        assert_eq!(ascii(&sr6.stop()), ["V100\n"]);

        let mut vib = sim(&[(Vibrate, 0, 99)]);
        assert_eq!(ascii(&vib.set(0, Vibrate, 42)), ["V042\n"]);
    }

    #[test]
    fn one_line_per_changed_output() {
        let mut sr6 = sim(&[(HwPositionWithDuration, 0, 999), (Vibrate, 0, 99)]);
        let writes = sr6.flush_with_duration(&[(0, HwPositionWithDuration, 100, Some(300)), (1, Vibrate, 10, None)]);
        assert_eq!(ascii(&writes), ["L0100I300\n", "V110\n"]);
        assert_eq!(ascii(&sr6.all()), ["L0100I300\n", "V110\n"]);
    }

    #[test]
    fn definitions() {
        assert!(TCODE_V03.handler(&features(&[(Rotate, -20, 20)])).is_err());
        assert!(TCODE_V03.handler(&[]).is_err());
    }

    #[tokio::test]
    async fn no_init_and_no_keepalive() {
        let hw = FakeHardware::new("/dev/ttyUSB0", "/dev/ttyUSB0");
        let features = features(&[(HwPositionWithDuration, 0, 999)]);
        let handler = TCODE_V03.initialize(&hw, Some("/dev/ttyUSB0"), &features).await.unwrap();
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
        // Feature 0 has a position-with-duration and a position output; a stop moves neither.
        Vector::new(&TCODE_V03, None, &[
            Move(&[(0, 250, 500)], &[tx(b"L0250I500\n")]),
            Set(&[(0, Position, 500)], &[tx(b"L0500\nR0500\n")]),
            Move(&[(0, 7, 1200)], &[tx(b"L0007I1200\n")]),
            Stop(&[]),
        ]),
    ];
}
