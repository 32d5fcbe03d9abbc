//! The `virtual` protocol: what the engine's in-process virtual devices speak.
//!
//! One write per flush, to `tx`, with an entry for every changed output, back to back, so that a
//! stop (or any command that sets several outputs) is one write, like on a toy whose packet
//! carries every motor:
//!
//! ```text
//! [feature index: u8, output type code: u8, value: i32 LE]                                 (6 bytes)
//! [feature index: u8, output type code | 0x80: u8, value: i32 LE, duration ms: u32 LE]     (10 bytes)
//! ```
//!
//! The long form (the type code's top bit set) is used when the level carries a move duration
//! ([`OutputType::HwPositionWithDuration`]). The identifier is the virtual kind's name
//! (`vibrator`, `lovense-max`, ...), which the virtual transport advertises. Battery is the
//! standard `rxblebattery` read, which virtual hardware offers only for kinds with a battery.

use plugboard_protocol::model::{Feature, OutputType};

use super::{Advertisement, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};
use crate::virtual_device::VirtualKind;

/// The `virtual` protocol family.
pub struct VirtualProtocol;

/// The wire code of an output type.
pub fn type_code(kind: OutputType) -> u8 {
    match kind {
        OutputType::Vibrate => 0,
        OutputType::Rotate => 1,
        OutputType::Oscillate => 2,
        // One output under two names (see `OutputType`).
        OutputType::Constrict | OutputType::Inflate => 3,
        OutputType::Temperature => 5,
        OutputType::Led => 6,
        OutputType::Spray => 7,
        OutputType::Position => 8,
        OutputType::HwPositionWithDuration => 9,
    }
}

/// The output type of a wire code (`Constrict` for the constrict/inflate output).
pub fn type_of_code(code: u8) -> Option<OutputType> {
    Some(match code {
        0 => OutputType::Vibrate,
        1 => OutputType::Rotate,
        2 => OutputType::Oscillate,
        3 => OutputType::Constrict,
        5 => OutputType::Temperature,
        6 => OutputType::Led,
        7 => OutputType::Spray,
        8 => OutputType::Position,
        9 => OutputType::HwPositionWithDuration,
        _ => return None,
    })
}

/// The type code's bit that says a duration follows the value.
const WITH_DURATION: u8 = 0x80;

/// One output's entry of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    pub feature_index: u32,
    pub kind: OutputType,
    pub value: i32,
    pub duration_ms: Option<u32>,
}

impl Packet {
    /// This entry alone, as a write's data.
    pub fn encode(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(10);
        self.encode_into(&mut data);
        data
    }

    fn encode_into(&self, data: &mut Vec<u8>) {
        let code = type_code(self.kind) | if self.duration_ms.is_some() { WITH_DURATION } else { 0 };
        data.extend_from_slice(&[self.feature_index as u8, code]);
        data.extend_from_slice(&self.value.to_le_bytes());
        if let Some(duration) = self.duration_ms {
            data.extend_from_slice(&duration.to_le_bytes());
        }
    }

    /// Several entries as one write's data.
    pub fn encode_all(packets: &[Packet]) -> Vec<u8> {
        let mut data = Vec::with_capacity(packets.len() * 10);
        for packet in packets {
            packet.encode_into(&mut data);
        }
        data
    }

    /// The single entry in `data`; `None` if it is not exactly one.
    pub fn decode(data: &[u8]) -> Option<Packet> {
        match Packet::decode_all(data)?.as_slice() {
            [only] => Some(*only),
            _ => None,
        }
    }

    /// Every entry of a write, in order; `None` if `data` is empty or not a whole number of
    /// entries.
    pub fn decode_all(mut data: &[u8]) -> Option<Vec<Packet>> {
        let mut packets = Vec::new();
        while !data.is_empty() {
            let (&[feature_index, code], rest) = data.split_first_chunk::<2>()?;
            let kind = type_of_code(code & !WITH_DURATION)?;
            let (value, rest) = rest.split_first_chunk::<4>()?;
            let (duration_ms, rest) = if code & WITH_DURATION != 0 {
                let (duration, rest) = rest.split_first_chunk::<4>()?;
                (Some(u32::from_le_bytes(*duration)), rest)
            } else {
                (None, rest)
            };
            packets.push(Packet {
                feature_index: feature_index.into(),
                kind,
                value: i32::from_le_bytes(*value),
                duration_ms,
            });
            data = rest;
        }
        (!packets.is_empty()).then_some(packets)
    }
}

impl Protocol for VirtualProtocol {
    fn name(&self) -> &'static str {
        "virtual"
    }

    /// The kind's name, as the virtual transport advertises it.
    fn identify<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            let kind: VirtualKind = advertisement.name.parse().map_err(ProtocolError::BadReply)?;
            Ok(Some(kind.cli_name().to_owned()))
        })
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let kind: VirtualKind = identifier
                .ok_or_else(|| ProtocolError::Definition("a virtual device needs its kind as identifier".into()))?
                .parse()
                .map_err(ProtocolError::Definition)?;
            if let Some(feature) = features.iter().find(|f| f.index > u8::MAX as u32 && !f.outputs.is_empty()) {
                return Err(ProtocolError::Definition(format!(
                    "feature index {} does not fit in a byte",
                    feature.index
                )));
            }
            Ok(Box::new(VirtualHandler { kind }) as Box<dyn DeviceHandler>)
        })
    }
}

/// The handler of one virtual device. Holds only its kind.
#[derive(Debug)]
pub struct VirtualHandler {
    pub kind: VirtualKind,
}

impl DeviceHandler for VirtualHandler {
    /// One write with an entry per changed output.
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let packets: Vec<Packet> = changed
            .iter(levels.len())
            .map(|i| {
                let level = &levels[i];
                Packet {
                    feature_index: level.feature_index,
                    kind: level.kind,
                    value: level.value,
                    duration_ms: level.duration_ms,
                }
            })
            .collect();
        if packets.is_empty() {
            return Vec::new();
        }
        vec![Write::without_response(Endpoint::Tx, Packet::encode_all(&packets))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::test_support::{features, Sim};
    use crate::protocols::{by_name, read_ble_battery};
    use crate::testing::FakeHardware;

    #[test]
    fn packets_round_trip() {
        for kind in [OutputType::Vibrate, OutputType::Rotate, OutputType::Constrict, OutputType::Position] {
            let packet = Packet { feature_index: 2, kind, value: -17, duration_ms: None };
            assert_eq!(packet.encode().len(), 6);
            assert_eq!(Packet::decode(&packet.encode()), Some(packet));
        }
        let moving =
            Packet { feature_index: 0, kind: OutputType::HwPositionWithDuration, value: 90, duration_ms: Some(500) };
        assert_eq!(moving.encode(), vec![0, 0x89, 90, 0, 0, 0, 0xF4, 1, 0, 0]);
        assert_eq!(Packet::decode(&moving.encode()), Some(moving));
        let still = Packet { feature_index: 1, kind: OutputType::Vibrate, value: 0, duration_ms: None };
        let both = Packet::encode_all(&[moving, still]);
        assert_eq!(both.len(), 16);
        assert_eq!(Packet::decode_all(&both), Some(vec![moving, still]));
        assert_eq!(Packet::decode(&both), None, "two entries are not one");
        assert_eq!(type_of_code(type_code(OutputType::Inflate)), Some(OutputType::Constrict));
        for bad in [
            &[][..],
            &[0],
            &[0, 0, 1, 2, 3],
            &[0, 0, 1, 2, 3, 4, 5],
            &[0, 4, 0, 0, 0, 0],
            &[0, 200, 0, 0, 0, 0],
            &[0, 0x89, 1, 2, 3, 4],
        ] {
            assert_eq!(Packet::decode_all(bad), None, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn identify_initialize_and_encode_every_change_in_one_write() {
        let protocol = by_name("virtual").unwrap();
        assert_eq!(protocol.name(), "virtual");
        let hw = FakeHardware::new("Virtual Dual Vibrator", "virtual:0");
        let id = protocol.identify(&hw, &Advertisement::named("dual-vibrator")).await.unwrap();
        assert_eq!(id.as_deref(), Some("dual-vibrator"));
        assert!(protocol.identify(&hw, &Advertisement::named("kettle")).await.is_err());
        let features = features(&[(OutputType::Vibrate, 0, 20), (OutputType::Vibrate, 0, 20)]);
        assert!(protocol.initialize(&hw, None, &features).await.is_err());
        let handler = protocol.initialize(&hw, id.as_deref(), &features).await.unwrap();
        assert!(hw.writes().is_empty(), "initialize writes nothing");

        let mut sim = Sim::new(handler, &features);
        let writes = sim.flush(&[(0, OutputType::Vibrate, 5), (1, OutputType::Vibrate, 20)]);
        assert_eq!(writes.len(), 1, "{writes:?}");
        assert!(writes[0].endpoint == Endpoint::Tx && !writes[0].with_response);
        assert_eq!(
            Packet::decode_all(&writes[0].data).unwrap(),
            vec![
                Packet { feature_index: 0, kind: OutputType::Vibrate, value: 5, duration_ms: None },
                Packet { feature_index: 1, kind: OutputType::Vibrate, value: 20, duration_ms: None },
            ]
        );
        assert_eq!(sim.set(0, OutputType::Vibrate, 5), vec![], "no change, no packet");
        let stop = sim.stop();
        assert_eq!(stop.len(), 1, "a stop of both motors is one write");
        assert_eq!(Packet::decode_all(&stop[0].data).unwrap().iter().map(|p| p.value).collect::<Vec<_>>(), vec![0, 0]);
        assert!(sim.handler.encode(&sim.levels, ChangeSet::NONE).is_empty(), "pure: nothing changed, nothing written");
    }

    #[tokio::test]
    async fn battery_is_the_standard_read() {
        let protocol = by_name("virtual").unwrap();
        let hw = FakeHardware::with_endpoints("Max", "virtual:1", &[Endpoint::Tx, Endpoint::RxBleBattery]);
        hw.set_read(Endpoint::RxBleBattery, &[80]);
        let features = features(&[(OutputType::Vibrate, 0, 20)]);
        let handler = protocol.initialize(&hw, Some("lovense-max"), &features).await.unwrap();
        assert_eq!(handler.battery(&hw).await, Ok(80));
        assert_eq!(read_ble_battery(&hw).await, Ok(80));
    }
}
