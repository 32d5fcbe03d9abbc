//! Ankni (Roselex, advertised as `DSJM`): a vibrator that may ask for a checksum handshake
//! computed from a value read from it.
//!
//! GATT: `generic0` is the PnP ID characteristic `00002a50-…` of the Device Information service
//! `0000180a-…`; `tx` is `0000fe01-…` in service `0000fe00-…` or `0000fe02-…` in `0000fffe-…`
//! (the database names both; where a device has both, the BLE transport keeps the first service
//! in the database's order, `0000fe00-…`).
//!
//! # Initialisation
//!
//! 1. Read `generic0`. A failed read (or none within [`READ_TIMEOUT`]) fails the connection.
//! 2. More than 6 bytes (a standard 7-byte PnP ID): done, no handshake.
//! 3. Otherwise `c` is the high byte of CRC-16/XMODEM (polynomial `1021`, initial 0, no
//!    reflection, no final XOR) over `01` followed by the bytes read; write to `tx`, with
//!    response, 20 × `01`, then `01 02`, 16 × `c`, `00 00`.
//!
//! | read | c | second write |
//! |---|---|---|
//! | `11 22 33 44 55 66` | `20` | `01 02 20 … 20 00 00` |
//! | `00 00 00 00 00 00` | `b8` | `01 02 b8 … b8 00 00` |
//! | `01 02 03` | `17` | `01 02 17 … 17 00 00` |
//!
//! # Output
//!
//! Vibrate on feature 0 (0..=3): `03 12 v` and 17 × `00`, to `tx` with response. A stop is
//! `03 12 00 …`.
//!
//! # Where Plugboard differs from the reference
//!
//! The reference gives the read 100 ms; Plugboard gives it [`READ_TIMEOUT`], since a read
//! through BlueZ can take longer than that on a busy adapter, and a slower answer still
//! connects. The bytes are the same.

use std::time::Duration;

use crc::{Crc, CRC_16_XMODEM};
use plugboard_protocol::model::{Feature, OutputType};

use super::single_packet::{Encoder, Outputs, SinglePacketHandler};
use super::{clamp_byte, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// How long the read of `generic0` may take.
pub const READ_TIMEOUT: Duration = Duration::from_secs(1);
/// A read longer than this is a standard PnP ID: no handshake.
pub const LONGEST_READ_NEEDING_A_HANDSHAKE: usize = 6;
/// The first handshake write.
pub const HANDSHAKE_START: [u8; 20] = [0x01; 20];

const XMODEM: Crc<u16> = Crc::<u16>::new(&CRC_16_XMODEM);

pub struct Ankni;

pub static ANKNI: Ankni = Ankni;

pub static PROTOCOLS: &[&dyn Protocol] = &[&ANKNI];

/// The checksum byte of the handshake for the bytes read from `generic0`.
pub fn checksum(read: &[u8]) -> u8 {
    let mut digest = XMODEM.digest();
    digest.update(&[0x01]);
    digest.update(read);
    (digest.finalize() >> 8) as u8
}

/// The second handshake write: `01 02`, sixteen checksum bytes, `00 00`.
pub fn handshake_answer(read: &[u8]) -> [u8; 20] {
    let mut packet = [checksum(read); 20];
    packet[..2].copy_from_slice(&[0x01, 0x02]);
    packet[18..].copy_from_slice(&[0x00, 0x00]);
    packet
}

/// `03 12 v` and seventeen zeros.
fn packet(level: &OutputLevel) -> Vec<u8> {
    let mut packet = vec![0u8; 20];
    packet[..3].copy_from_slice(&[0x03, 0x12, clamp_byte(level.value, 3)]);
    packet
}

impl Protocol for Ankni {
    fn name(&self) -> &'static str {
        "ankni"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let outputs = Outputs::of(&[OutputType::Vibrate]).at_most(1);
            let handler =
                SinglePacketHandler::new(self.name(), &outputs, features, Endpoint::Tx, true, Encoder::PerOutput(Box::new(packet)))?;
            let read = tokio::time::timeout(READ_TIMEOUT, hw.read(Endpoint::Generic(0)))
                .await
                .map_err(|_| {
                    ProtocolError::Handshake(format!(
                        "the Ankni toy did not answer the read of its PnP ID within {} s; switch it off and on \
                         again and scan again",
                        READ_TIMEOUT.as_secs()
                    ))
                })??;
            if read.len() <= LONGEST_READ_NEEDING_A_HANDSHAKE {
                hw.write(Write::with_response(Endpoint::Tx, HANDSHAKE_START)).await?;
                hw.write(Write::with_response(Endpoint::Tx, handshake_answer(&read))).await?;
            }
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

/// An Ankni toy as it answers the read of its PnP ID, for tests and simulated peripherals.
#[cfg(any(test, feature = "testing"))]
pub mod simulated {
    use super::*;
    use crate::testing::SimulatedDevice;

    /// Answers reads of `generic0` with `pnp_id` (7 bytes: a toy that skips the handshake; 6
    /// or fewer: one that asks for it).
    pub struct Toy {
        pub pnp_id: &'static [u8],
    }

    impl SimulatedDevice for Toy {
        fn on_read(&self, endpoint: Endpoint) -> Option<Vec<u8>> {
            (endpoint == Endpoint::Generic(0)).then(|| self.pnp_id.to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::Vibrate;

    use super::simulated::Toy;
    use super::*;
    use crate::hardware::HardwareError;
    use crate::protocols::test_support::{bytes_with_response, features, hex, Sim};
    use crate::testing::{Event, FakeHardware};

    fn toy(pnp_id: &'static [u8]) -> FakeHardware {
        let hw = FakeHardware::with_endpoints("DSJM", "aa", &[Endpoint::Tx, Endpoint::Generic(0)]);
        hw.simulate(Toy { pnp_id });
        hw
    }

    #[test]
    fn checksums_of_the_worked_examples() {
        assert_eq!(checksum(&hex("11 22 33 44 55 66")), 0x20);
        assert_eq!(checksum(&hex("00 00 00 00 00 00")), 0xb8);
        assert_eq!(checksum(&hex("01 02 03")), 0x17);
        assert_eq!(
            handshake_answer(&hex("11 22 33 44 55 66")).to_vec(),
            hex("01 02 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 00 00")
        );
    }

    #[tokio::test]
    async fn a_short_read_asks_for_the_handshake() {
        let hw = toy(&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
        ANKNI.initialize(&hw, None, &features(&[(Vibrate, 0, 3)])).await.unwrap();
        assert_eq!(
            hw.events(),
            vec![
                Event::Read(Endpoint::Generic(0)),
                Event::Write(Write::with_response(Endpoint::Tx, vec![0x01; 20])),
                Event::Write(Write::with_response(
                    Endpoint::Tx,
                    hex("01 02 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20 00 00")
                )),
            ]
        );
    }

    #[tokio::test]
    async fn a_standard_pnp_id_skips_it() {
        let hw = toy(&[0x01, 0x5e, 0x04, 0x01, 0x00, 0x01, 0x00]);
        ANKNI.initialize(&hw, None, &features(&[(Vibrate, 0, 3)])).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Read(Endpoint::Generic(0))]);
    }

    #[tokio::test]
    async fn a_failed_read_fails_the_connection() {
        let hw = FakeHardware::with_endpoints("DSJM", "aa", &[Endpoint::Tx, Endpoint::Generic(0)]);
        let error = ANKNI.initialize(&hw, None, &features(&[(Vibrate, 0, 3)])).await.err().unwrap();
        assert!(matches!(error, ProtocolError::Hardware(HardwareError::Io(_))), "{error}");
        assert!(hw.writes().is_empty());
        hw.drop_connection();
        let error = ANKNI.initialize(&hw, None, &features(&[(Vibrate, 0, 3)])).await.err().unwrap();
        assert_eq!(error, ProtocolError::Hardware(HardwareError::Disconnected));
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_read_gives_up_after_the_timeout() {
        let hw = toy(&[1, 2, 3]);
        hw.stall_reads();
        let started = tokio::time::Instant::now();
        let error = ANKNI.initialize(&hw, None, &features(&[(Vibrate, 0, 3)])).await.err().unwrap();
        assert_eq!(started.elapsed(), READ_TIMEOUT);
        assert_eq!(
            error.to_string(),
            "the Ankni toy did not answer the read of its PnP ID within 1 s; switch it off and on again and scan again"
        );
        assert!(hw.writes().is_empty());
    }

    #[tokio::test]
    async fn a_disconnect_between_the_handshake_writes_fails() {
        let hw = toy(&[1, 2, 3]);
        hw.drop_after_writes(1);
        let error = ANKNI.initialize(&hw, None, &features(&[(Vibrate, 0, 3)])).await.err().unwrap();
        assert_eq!(error, ProtocolError::Hardware(HardwareError::Disconnected));
        assert_eq!(hw.writes().len(), 1);
    }

    #[test]
    fn vibrate_packets() {
        let features = features(&[(Vibrate, 0, 3)]);
        let handler = SinglePacketHandler::new(
            "ankni",
            &Outputs::of(&[Vibrate]).at_most(1),
            &features,
            Endpoint::Tx,
            true,
            Encoder::PerOutput(Box::new(packet)),
        )
        .unwrap();
        let mut toy = Sim::new(Box::new(handler), &features);
        let zeros = "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 2)), [hex(&format!("03 12 02 {zeros}"))]);
        assert_eq!(bytes_with_response(&toy.set(0, Vibrate, 3)), [hex(&format!("03 12 03 {zeros}"))]);
        assert_eq!(bytes_with_response(&toy.stop()), [hex(&format!("03 12 00 {zeros}"))]);
    }
}

#[cfg(test)]
pub(crate) mod vectors {
    use plugboard_protocol::model::OutputType::*;

    use super::simulated::Toy;
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] = &[
        Vector::new(&ANKNI, None, &[
            Set(&[(0, Vibrate, 2)], &[tx_with_response(&[
                0x03, 0x12, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ])]),
            Set(&[(0, Vibrate, 3)], &[tx_with_response(&[
                0x03, 0x12, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ])]),
            Stop(&[tx_with_response(&[0x03, 0x12, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
        ])
        .answering(|hw| hw.simulate(Toy { pnp_id: &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66] })),
    ];
}
