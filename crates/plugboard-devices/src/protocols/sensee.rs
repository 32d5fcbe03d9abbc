//! Sensee. Service 0xFFF0, `tx`
//! 0xFFF5 (sensee-v2 also `rx` 0xFFF4); every write is without response.
//!
//! * `sensee` (CTY222S4): no init; each vibrator `55 aa f0 01 01 0b 65 f7 01 01 S`.
//! * `sensee-v2`: init reads the `tx` characteristic; byte 6 of the answer is the device type
//!   (0x65 when the answer is shorter). Then one whole-state frame per flush:
//!   `55 aa f0 02 00 LEN DTYPE f1 PAYLOAD 00 00`, LEN = 4 + len(PAYLOAD), PAYLOAD = number of
//!   non-empty groups, then per non-empty group (in group order: 0 vibrate, 1 oscillate/thrust,
//!   2 constrict/suck) the group id, its motor count and `(motor number, value)` pairs, motor
//!   numbers counted from 1 within the group in feature index order.

use plugboard_protocol::model::{Feature, OutputType};

use super::single_packet::{Outputs, Packets, SinglePacket};
use super::{
    clamp_byte, lookup, motor_slots, value_of, ChangeSet, DeviceHandler, Keepalive, OutputLevel, Protocol,
    ProtocolError,
};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The `sensee` packet before the level byte.
pub const SENSEE_PREFIX: [u8; 10] = [0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01];
/// The `sensee-v2` device type used when the init read has no byte 6.
pub const DEFAULT_DEVICE_TYPE: u8 = 0x65;

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&SENSEE, &SENSEE_V2];

/// `sensee` (the CTY222S4): one packet per changed vibrator.
pub static SENSEE: SinglePacket = SinglePacket {
    name: "sensee",
    outputs: Outputs::of(&[OutputType::Vibrate]),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::PerOutput(sensee_packet),
    keepalive: Keepalive::None,
};

/// [`SENSEE_PREFIX`] and the level.
fn sensee_packet(level: &OutputLevel) -> Vec<u8> {
    let mut packet = SENSEE_PREFIX.to_vec();
    packet.push(clamp_byte(level.value, 255));
    packet
}

/// `sensee-v2`.
#[derive(Debug, Clone, Copy)]
pub struct SenseeV2;

pub static SENSEE_V2: SenseeV2 = SenseeV2;

impl Protocol for SenseeV2 {
    fn name(&self) -> &'static str {
        "sensee-v2"
    }

    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            // Check the definition before talking to the device.
            let groups = SenseeV2Handler::groups(features)?;
            let answer = hw.read(Endpoint::Tx).await?;
            let device_type = answer.get(6).copied().unwrap_or(DEFAULT_DEVICE_TYPE);
            Ok(Box::new(SenseeV2Handler { device_type, groups }) as Box<dyn DeviceHandler>)
        })
    }
}

/// The frame groups, by group id.
const GROUPS: [u8; 3] = [0x00, 0x01, 0x02];

fn group_of(kind: OutputType) -> Option<usize> {
    match kind {
        OutputType::Vibrate => Some(0),
        OutputType::Oscillate => Some(1),
        OutputType::Constrict | OutputType::Inflate => Some(2),
        _ => None,
    }
}

/// The encoder of a `sensee-v2` device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenseeV2Handler {
    /// Byte 6 of the init read (an immutable fact about the device).
    device_type: u8,
    /// The outputs of each group (vibrate, oscillate, constrict), sorted by feature index.
    groups: [Vec<(u32, OutputType)>; 3],
}

impl SenseeV2Handler {
    pub fn new(device_type: u8, features: &[Feature]) -> Result<SenseeV2Handler, ProtocolError> {
        Ok(SenseeV2Handler { device_type, groups: SenseeV2Handler::groups(features)? })
    }

    pub fn device_type(&self) -> u8 {
        self.device_type
    }

    fn groups(features: &[Feature]) -> Result<[Vec<(u32, OutputType)>; 3], ProtocolError> {
        let mut groups: [Vec<(u32, OutputType)>; 3] = Default::default();
        for slot in motor_slots(features) {
            let group = group_of(slot.1).ok_or_else(|| {
                ProtocolError::Definition(format!("sensee-v2 has no command for {:?} outputs", slot.1))
            })?;
            groups[group].push(slot);
        }
        for group in &mut groups {
            group.sort_by_key(|slot| slot.0);
            if group.len() > 255 {
                return Err(ProtocolError::Definition("sensee-v2: too many motors in a group".into()));
            }
        }
        if groups.iter().all(Vec::is_empty) {
            return Err(ProtocolError::Definition("sensee-v2 needs at least one output".into()));
        }
        Ok(groups)
    }

    /// The frame for the whole state in `levels`.
    pub fn frame(&self, levels: &[OutputLevel]) -> Vec<u8> {
        let non_empty = self.groups.iter().filter(|group| !group.is_empty()).count();
        let mut payload = vec![non_empty as u8];
        for (group, slots) in GROUPS.iter().zip(&self.groups) {
            if slots.is_empty() {
                continue;
            }
            payload.push(*group);
            payload.push(slots.len() as u8);
            for (number, &slot) in slots.iter().enumerate() {
                payload.push(number as u8 + 1);
                payload.push(clamp_byte(value_of(levels, slot), 255));
            }
        }
        let mut frame = vec![0x55, 0xaa, 0xf0, 0x02, 0x00, (4 + payload.len()) as u8, self.device_type, 0xf1];
        frame.extend_from_slice(&payload);
        frame.extend_from_slice(&[0x00, 0x00]);
        frame
    }
}

impl DeviceHandler for SenseeV2Handler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let any_changed = self.groups.iter().flatten().any(|&slot| lookup(levels, changed, slot).1);
        if !any_changed {
            return Vec::new();
        }
        vec![Write::without_response(Endpoint::Tx, self.frame(levels))]
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, feature, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::testing::{Event, FakeHardware};

    const NONE: [Vec<u8>; 0] = [];

    #[test]
    fn sensee() {
        let features = features(&[(Vibrate, 0, 100)]);
        let mut toy = Sim::new(Box::new(SENSEE.handler(&features).unwrap()), &features);
        assert_eq!(
            bytes(&toy.set(0, Vibrate, 100)),
            [vec![0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, 0x64]]
        );
        assert_eq!(
            bytes(&toy.set(0, Vibrate, 33)),
            [vec![0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, 0x21]]
        );
        assert_eq!(bytes(&toy.stop()), [vec![0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, 0x00]]);
        assert_eq!(bytes(&toy.stop()), NONE);
        assert!(SENSEE.handler(&[]).is_err());
        assert!(SENSEE.handler(&features_of(&[(Rotate, 0, 100)])).is_err());
    }

    fn features_of(outputs: &[(OutputType, i32, i32)]) -> Vec<Feature> {
        features(outputs)
    }

    #[test]
    fn v2_single_vibrator() {
        let features = features(&[(Vibrate, 0, 100)]);
        let mut toy = Sim::new(Box::new(SenseeV2Handler::new(0x65, &features).unwrap()), &features);
        assert_eq!(
            bytes(&toy.set(0, Vibrate, 50)),
            [vec![0x55, 0xaa, 0xf0, 0x02, 0x00, 0x09, 0x65, 0xf1, 0x01, 0x00, 0x01, 0x01, 0x32, 0x00, 0x00]]
        );
        assert_eq!(
            bytes(&toy.stop()),
            [vec![0x55, 0xaa, 0xf0, 0x02, 0x00, 0x09, 0x65, 0xf1, 0x01, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00]]
        );
        assert_eq!(bytes(&toy.stop()), NONE);
    }

    #[test]
    fn v2_groups_ordered_by_feature_index() {
        // Definition order deliberately not the group order nor the feature index order.
        let features = vec![
            feature(3, &[(Constrict, 0, 100)]),
            feature(2, &[(Vibrate, 0, 100)]),
            feature(1, &[(Oscillate, 0, 100)]),
            feature(0, &[(Vibrate, 0, 100)]),
        ];
        let mut toy = Sim::new(Box::new(SenseeV2Handler::new(0x21, &features).unwrap()), &features);
        // Vibrators: feature 0 is motor 1, feature 2 is motor 2.
        assert_eq!(
            bytes(&toy.set(2, Vibrate, 10)),
            [vec![
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x13, 0x21, 0xf1, // header, LEN = 4 + 15
                0x03, // three groups
                0x00, 0x02, 0x01, 0x00, 0x02, 0x0a, // vibrate: motor 1 = 0, motor 2 = 10
                0x01, 0x01, 0x01, 0x00, // oscillate
                0x02, 0x01, 0x01, 0x00, // constrict
                0x00, 0x00,
            ]]
        );
        assert_eq!(
            bytes(&toy.flush(&[(0, Vibrate, 100), (1, Oscillate, 20), (3, Constrict, 5)])),
            [vec![
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x13, 0x21, 0xf1, 0x03, 0x00, 0x02, 0x01, 0x64, 0x02, 0x0a, 0x01, 0x01,
                0x01, 0x14, 0x02, 0x01, 0x01, 0x05, 0x00, 0x00,
            ]]
        );
        assert_eq!(
            bytes(&toy.stop()),
            [vec![
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x13, 0x21, 0xf1, 0x03, 0x00, 0x02, 0x01, 0x00, 0x02, 0x00, 0x01, 0x01,
                0x01, 0x00, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00,
            ]]
        );
    }

    #[test]
    fn v2_skips_empty_groups() {
        // Vibrate + constrict, no oscillate: two groups, ids 00 and 02.
        let features = features(&[(Vibrate, 0, 100), (Constrict, 0, 100)]);
        let mut toy = Sim::new(Box::new(SenseeV2Handler::new(0x65, &features).unwrap()), &features);
        assert_eq!(
            bytes(&toy.set(1, Constrict, 7)),
            [vec![
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x65, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x00, 0x02, 0x01, 0x01, 0x07,
                0x00, 0x00,
            ]]
        );
        assert!(SenseeV2Handler::new(0x65, &features_of(&[(Rotate, 0, 100)])).is_err());
        assert!(SenseeV2Handler::new(0x65, &[]).is_err());
    }

    #[tokio::test]
    async fn v2_init_reads_device_type() {
        let features = features(&[(Vibrate, 0, 100)]);
        let hw = FakeHardware::with_endpoints("Capsule", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        hw.set_read(Endpoint::Tx, &[0x55, 0xaa, 0xf0, 0x01, 0x00, 0x08, 0x42, 0x01]);
        let handler = SENSEE_V2.initialize(&hw, Some("Capsule"), &features).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Read(Endpoint::Tx)]);
        assert_eq!(handler.keepalive(), Keepalive::None);
        let mut toy = Sim::new(handler, &features);
        assert_eq!(
            bytes(&toy.set(0, Vibrate, 1)),
            [vec![0x55, 0xaa, 0xf0, 0x02, 0x00, 0x09, 0x42, 0xf1, 0x01, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00]]
        );

        // A short answer: device type 0x65.
        let hw = FakeHardware::with_endpoints("No8", "aa", &[Endpoint::Tx, Endpoint::Rx]);
        hw.set_read(Endpoint::Tx, &[0x01, 0x02]);
        let handler = SENSEE_V2.initialize(&hw, None, &features).await.unwrap();
        assert_eq!(hw.events(), vec![Event::Read(Endpoint::Tx)]);
        let mut toy = Sim::new(handler, &features);
        assert_eq!(
            bytes(&toy.set(0, Vibrate, 1)),
            [vec![0x55, 0xaa, 0xf0, 0x02, 0x00, 0x09, 0x65, 0xf1, 0x01, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00]]
        );

        // A bad definition fails before any I/O.
        let hw = FakeHardware::new("Vader", "aa");
        assert!(SENSEE_V2.initialize(&hw, None, &features_of(&[(Rotate, 0, 100)])).await.is_err());
        assert!(hw.events().is_empty());
    }

    #[tokio::test]
    async fn sensee_names_and_no_init() {
        assert_eq!(SENSEE.name(), "sensee");
        assert_eq!(SENSEE_V2.name(), "sensee-v2");
        let hw = FakeHardware::new("CTY222S4", "aa");
        let handler = SENSEE.initialize(&hw, Some("CTY222S4"), &features(&[(Vibrate, 0, 100)])).await.unwrap();
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
        Vector::new(&SENSEE, None, &[
            Set(&[(0, Vibrate, 100)], &[tx(&[0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, 0x64])]),
            Stop(&[tx(&[0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, 0x00])]),
        ]),
        // A short read at init: device type 65. Vibrate and constrict groups (00, 02).
        Vector::new(&SENSEE_V2, Some("CCPA10S2"), &[
            Set(&[(1, Constrict, 7)], &[tx(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x65, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x00, 0x02, 0x01, 0x01, 0x07, 0x00,
                0x00,
            ])]),
            Set(&[(0, Vibrate, 50)], &[tx(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x65, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x32, 0x02, 0x01, 0x01, 0x07, 0x00,
                0x00,
            ])]),
            Stop(&[tx(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x65, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x00, 0x02, 0x01, 0x01, 0x00, 0x00,
                0x00,
            ])]),
        ])
        .answering(|device| device.set_read(Endpoint::Tx, &[0x01, 0x02])),
        // Byte 6 of the init read is the device type (42 here); all three groups.
        Vector::new(&SENSEE_V2, Some("CCPB22S5"), &[
            Set(&[(1, Oscillate, 20)], &[tx(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x11, 0x42, 0xf1, 0x03, 0x00, 0x01, 0x01, 0x00, 0x01, 0x01, 0x01, 0x14, 0x02,
                0x01, 0x01, 0x00, 0x00, 0x00,
            ])]),
            Set(&[(0, Vibrate, 100)], &[tx(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x11, 0x42, 0xf1, 0x03, 0x00, 0x01, 0x01, 0x64, 0x01, 0x01, 0x01, 0x14, 0x02,
                0x01, 0x01, 0x00, 0x00, 0x00,
            ])]),
            Set(&[(2, Constrict, 5)], &[tx(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x11, 0x42, 0xf1, 0x03, 0x00, 0x01, 0x01, 0x64, 0x01, 0x01, 0x01, 0x14, 0x02,
                0x01, 0x01, 0x05, 0x00, 0x00,
            ])]),
            Stop(&[tx(&[
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x11, 0x42, 0xf1, 0x03, 0x00, 0x01, 0x01, 0x00, 0x01, 0x01, 0x01, 0x00, 0x02,
                0x01, 0x01, 0x00, 0x00, 0x00,
            ])]),
        ])
        .answering(|device| device.set_read(Endpoint::Tx, &[0x55, 0xaa, 0xf0, 0x01, 0x00, 0x08, 0x42, 0x01])),
    ];
}
