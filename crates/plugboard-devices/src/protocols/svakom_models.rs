//! Svakom protocols written for one model each (the generic layouts `svakom-v1` .. `svakom-v6`
//! and `svakom-pulse` are in `svakom.rs`). Every device has the service `ffe0` with `tx` `ffe1`
//! except the Sam Neo (`ae00`, `tx` `ae01`). Writes go to `tx`, without response except the Sam
//! Neo 2's; there is no init write (the Sam Neo subscribes to `rx`).
//!
//! `on` is `01` while the level is not 0, else `00`; `v` is the level.
//!
//! | protocol | model | output (feature) | packet |
//! |---|---|---|---|
//! | `svakom-alex` | Alex Neo | vibrate (0) | `12 01 03 00 v 00`, a stop sends `ff` for `v` |
//! | `svakom-alex-v2` | Alex Neo 2 | vibrate (0) | `55 03 03 00 v (v+5)` |
//! | `svakom-avaneo` | Ava Neo | any output on feature 0 (the vibrator) | `55 03 00 00 on v` |
//! | | | vibrate / oscillate on another feature | `55 09 00 00 v ff` / `55 08 00 00 v ff` |
//! | `svakom-barnard` | Fantasy Cup Barnard | vibrate | `55 03 00 00 v on` |
//! | | | oscillate | `55 08 00 00 v g`, `g` = `ff` while running, else `00` |
//! | `svakom-barney` | Mutufun Barney | both vibrators, one packet | `55 03 sel 00 run max(v0, v1) 00` |
//! | `svakom-dice` | Zemalia Dice | vibrate (0) | `55 04 00 00 01 v aa` |
//! | `svakom-dt250a` | Coleur Dor DT250A | vibrate on feature 0 / on another | `55 03 00 00 v on` / `55 08 00 00 v on` |
//! | | | constrict | `55 09 00 00 v 00` |
//! | `svakom-fatima` | Fatima Pro | vibrate (vibration) / constrict (suction) | `55 03 00 00 01 v` / `55 09 00 00 01 v`, 0: `55 03|09 00 00 00 00` |
//! | | | oscillate (thrust pattern 1..7) | `55 08 00 00 v ff`, 0: `55 08 00 00 00 00` |
//! | | | temperature (heat, on/off) | on `55 05 01 37 02 00 00`, off `55 05 00 00 02 00 00` |
//! | `svakom-iker` | Iker | two vibrators | see below |
//! | `svakom-jordan` | Jordan | vibrate / oscillate | `55 03 00 00 on v 00` / `55 08 00 00 on v 00` |
//! | `svakom-sam` | Sam Neo | vibrate | second generation `12 01 03 00 m v` (`m` `04` while running, else `00`); first `12 01 03 00 05 v` |
//! | | | constrict (suction, on/off) | `12 06 01 v` |
//! | `svakom-sam2` | Sam Neo 2 (Pro) | vibrate, **with response** | `55 03 00 00 m v 00`, `m` `05` while running, else `00` |
//! | | | constrict, with response | `55 09 00 00 on v 00` |
//! | `svakom-suitcase` | Magic Suitcase, VX236A | vibrate 0..30 (feature 0) | `55 03 00 00 i s` |
//! | | | vibrate on feature 1 | `55 09 00 00 v 00` |
//! | `svakom-tarax` | Tara X | vibrate (feature 0) | `55 03 00 00 v 02`, 0: `55 03 00 00 01 01` |
//! | | | vibrate (feature 1) | `55 09 00 00 v 00` |
//!
//! * **Barney**: `sel` is `00` with one vibrator, when both run or when both are equal, `01`
//!   when only the first runs, `02` when only the second runs; `run` is `03` unless both are
//!   0. Both motors run at the larger level: the packet has one level byte.
//! * **Suitcase**: the 30 steps are intensity 1..3 times speed 1..10: `s` = v mod 10, `i` =
//!   v / 10 + 1, except that a multiple of ten is `(v / 10, 10)`; 0 is `(0, 0)`.
//! * **Sam Neo generation**: a device with the `txmode` characteristic (`ae10`), or without it
//!   but with `firmware` (`ffb4` in service `ffac`; a model said to have one speed only), is the
//!   second generation; any other the first.
//! * **Iker**: whenever either motor changes, from their levels `v0` (feature 0) and `v1`
//!   (feature 1): both 0 is the all-off packet `55 07 00 00 00 00`; otherwise
//!   `55 03 03 00 01 v0` and, while the second runs, `55 07 00 00 v1 00`.
//!
//! The reference's keepalive for these devices ("repeat the last packet where the hardware
//! requires it") acts on iOS only; on Linux nothing is repeated, here neither.
//!
//! # Where Plugboard differs from the reference
//!
//! * **Iker, second motor stopped alone**: the reference never tells the second motor to stop
//!   while the first runs (from levels (5, 3) to (5, 0) it sends only `55 03 03 00 01 05`), so
//!   it keeps running. Plugboard sends `55 07 00 00 00 00` first and then the first motor's
//!   packet: that stops the second motor, and should the device take that packet as "all off"
//!   (as it does when both are 0), the packet after it starts the first motor again.
//! * **Tara X**: the first vibrator's stop is `55 03 00 00 01 01`, as in the reference (whose
//!   authors doubt this layout); it is kept byte for byte since nothing better is known.

use plugboard_protocol::model::{Feature, OutputType};

use super::single_packet::{Encoder, Outputs, Packets, SinglePacket, SinglePacketHandler};
use super::{clamp_byte, lookup, ChangeSet, DeviceHandler, Keepalive, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

use OutputType::{Constrict, Oscillate, Temperature, Vibrate};

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[
    &SVAKOM_ALEX,
    &SVAKOM_ALEX_V2,
    &SVAKOM_AVANEO,
    &SVAKOM_BARNARD,
    &SVAKOM_BARNEY,
    &SVAKOM_DICE,
    &SVAKOM_DT250A,
    &SVAKOM_FATIMA,
    &SVAKOM_IKER,
    &SVAKOM_JORDAN,
    &SVAKOM_SAM,
    &SVAKOM_SAM2,
    &SVAKOM_SUITCASE,
    &SVAKOM_TARAX,
];

/// A protocol writing one packet per changed output to `tx`, without response, with no init.
const fn per_output(name: &'static str, outputs: Outputs, packet: fn(&OutputLevel) -> Vec<u8>) -> SinglePacket {
    SinglePacket {
        name,
        outputs,
        endpoint: Endpoint::Tx,
        with_response: false,
        init: &[],
        packets: Packets::PerOutput(packet),
        keepalive: Keepalive::None,
    }
}

/// The level as a byte (levels beyond a byte are beyond every range of these devices).
fn level(level: &OutputLevel) -> u8 {
    clamp_byte(level.value, u8::MAX)
}

/// `01` while running, else `00`.
fn on(level: &OutputLevel) -> u8 {
    u8::from(level.value != 0)
}

/// `svakom-alex`: the Alex Neo.
pub static SVAKOM_ALEX: SinglePacket = per_output("svakom-alex", Outputs::of(&[Vibrate]).at_most(1), alex);

/// `12 01 03 00 v 00`; level 0 is sent as `ff`.
fn alex(output: &OutputLevel) -> Vec<u8> {
    let v = if output.value == 0 { 0xff } else { level(output) };
    vec![0x12, 0x01, 0x03, 0x00, v, 0x00]
}

/// `svakom-alex-v2`: the Alex Neo 2.
pub static SVAKOM_ALEX_V2: SinglePacket = per_output("svakom-alex-v2", Outputs::of(&[Vibrate]).at_most(1), alex_v2);

/// `55 03 03 00 v (v+5)`.
fn alex_v2(output: &OutputLevel) -> Vec<u8> {
    let v = clamp_byte(output.value, u8::MAX - 5);
    vec![0x55, 0x03, 0x03, 0x00, v, v + 5]
}

/// `svakom-avaneo`: the Ava Neo (a vibrator and an on/off thrust function).
pub static SVAKOM_AVANEO: SinglePacket =
    per_output("svakom-avaneo", Outputs::of(&[Vibrate, Oscillate]).up_to_feature(1).one_per_type(), avaneo);

/// Feature 0: `55 03 00 00 on v`; other features by type.
fn avaneo(output: &OutputLevel) -> Vec<u8> {
    match (output.feature_index, output.kind) {
        (0, _) => vec![0x55, 0x03, 0x00, 0x00, on(output), level(output)],
        (_, Oscillate) => vec![0x55, 0x08, 0x00, 0x00, level(output), 0xff],
        _ => vec![0x55, 0x09, 0x00, 0x00, level(output), 0xff],
    }
}

/// `svakom-barnard`: the Fantasy Cup Barnard.
pub static SVAKOM_BARNARD: SinglePacket =
    per_output("svakom-barnard", Outputs::of(&[Vibrate, Oscillate]).one_per_type(), barnard);

/// Vibrate `55 03 00 00 v on`; oscillate `55 08 00 00 v (ff|00)`.
fn barnard(output: &OutputLevel) -> Vec<u8> {
    match output.kind {
        Oscillate => vec![0x55, 0x08, 0x00, 0x00, level(output), if output.value == 0 { 0x00 } else { 0xff }],
        _ => vec![0x55, 0x03, 0x00, 0x00, level(output), on(output)],
    }
}

/// `svakom-barney`: the Mutufun Barney, two vibrators in one packet.
pub static SVAKOM_BARNEY: SinglePacket = SinglePacket {
    name: "svakom-barney",
    outputs: Outputs::of(&[Vibrate]).at_most(2),
    endpoint: Endpoint::Tx,
    with_response: false,
    init: &[],
    packets: Packets::WholeState(barney),
    keepalive: Keepalive::None,
};

/// `55 03 sel 00 run max 00` for the vibrators in feature order (see the module docs).
fn barney(vibrators: &[OutputLevel]) -> Vec<u8> {
    let levels: Vec<u8> = vibrators.iter().map(level).collect();
    let (first, second) = (levels.first().copied().unwrap_or(0), levels.get(1).copied());
    let select = match second {
        Some(second) if first != second && (first == 0 || second == 0) => {
            if first != 0 {
                0x01
            } else {
                0x02
            }
        }
        _ => 0x00,
    };
    let highest = first.max(second.unwrap_or(0));
    let run = if highest == 0 { 0x00 } else { 0x03 };
    vec![0x55, 0x03, select, 0x00, run, highest, 0x00]
}

/// `svakom-dice`: the Zemalia Dice for Love.
pub static SVAKOM_DICE: SinglePacket = per_output("svakom-dice", Outputs::of(&[Vibrate]).at_most(1), dice);

/// `55 04 00 00 01 v aa`.
fn dice(output: &OutputLevel) -> Vec<u8> {
    vec![0x55, 0x04, 0x00, 0x00, 0x01, level(output), 0xaa]
}

/// `svakom-dt250a`: the Coleur Dor DT250A (two vibrators and a suction).
pub static SVAKOM_DT250A: SinglePacket =
    per_output("svakom-dt250a", Outputs::of(&[Vibrate, Constrict]).at_most(3), dt250a);

/// `55 m 00 00 v f`: `m` `03` for the vibrator on feature 0, `08` for another, `09` for the
/// suction; `f` is `on`, always `00` for the suction.
fn dt250a(output: &OutputLevel) -> Vec<u8> {
    let (function, flag) = match (output.kind, output.feature_index) {
        (Vibrate, 0) => (0x03, on(output)),
        (Vibrate, _) => (0x08, on(output)),
        _ => (0x09, 0x00),
    };
    vec![0x55, function, 0x00, 0x00, level(output), flag]
}

/// `svakom-fatima`: the Fatima Pro (vibration, suction, thrust patterns and a heater).
pub static SVAKOM_FATIMA: SinglePacket =
    per_output("svakom-fatima", Outputs::of(&[Vibrate, Constrict, Oscillate, Temperature]).one_per_type(), fatima);

/// One packet per function; see the module docs.
fn fatima(output: &OutputLevel) -> Vec<u8> {
    let running = output.value != 0;
    match output.kind {
        Temperature if running => vec![0x55, 0x05, 0x01, 0x37, 0x02, 0x00, 0x00],
        Temperature => vec![0x55, 0x05, 0x00, 0x00, 0x02, 0x00, 0x00],
        Oscillate if running => vec![0x55, 0x08, 0x00, 0x00, level(output), 0xff],
        Oscillate => vec![0x55, 0x08, 0x00, 0x00, 0x00, 0x00],
        kind => {
            let function = if kind == Vibrate { 0x03 } else { 0x09 };
            vec![0x55, function, 0x00, 0x00, on(output), level(output)]
        }
    }
}

/// `svakom-jordan`: the Jordan (a vibrator and an oscillator).
pub static SVAKOM_JORDAN: SinglePacket =
    per_output("svakom-jordan", Outputs::of(&[Vibrate, Oscillate]).one_per_type(), jordan);

/// Vibrate `55 03 00 00 on v 00`; oscillate `55 08 00 00 on v 00`.
fn jordan(output: &OutputLevel) -> Vec<u8> {
    let function = if output.kind == Oscillate { 0x08 } else { 0x03 };
    vec![0x55, function, 0x00, 0x00, on(output), level(output), 0x00]
}

/// `svakom-sam2`: the Sam Neo 2 and Sam Neo 2 Pro, written with response.
pub static SVAKOM_SAM2: SinglePacket = SinglePacket {
    name: "svakom-sam2",
    outputs: Outputs::of(&[Vibrate, Constrict]).one_per_type(),
    endpoint: Endpoint::Tx,
    with_response: true,
    init: &[],
    packets: Packets::PerOutput(sam2),
    keepalive: Keepalive::None,
};

/// Vibrate `55 03 00 00 (05|00) v 00`; constrict `55 09 00 00 on v 00`.
fn sam2(output: &OutputLevel) -> Vec<u8> {
    match output.kind {
        Vibrate => vec![0x55, 0x03, 0x00, 0x00, if output.value == 0 { 0x00 } else { 0x05 }, level(output), 0x00],
        _ => vec![0x55, 0x09, 0x00, 0x00, on(output), level(output), 0x00],
    }
}

/// `svakom-suitcase`: the Magic Suitcase (and the Coleur Dor VX236A).
pub static SVAKOM_SUITCASE: SinglePacket =
    per_output("svakom-suitcase", Outputs::of(&[Vibrate]).up_to_feature(1).at_most(2), suitcase);

/// The highest level of the Suitcase's first vibrator: 3 intensities times 10 speeds.
pub const SUITCASE_MAX: u8 = 30;

/// The Suitcase's (intensity, speed) for level `v` of its first vibrator.
pub fn suitcase_intensity_and_speed(v: i32) -> (u8, u8) {
    let v = clamp_byte(v, SUITCASE_MAX);
    match (v / 10, v % 10) {
        (0, 0) => (0, 0),
        (tens, 0) => (tens, 10),
        (tens, speed) => (tens + 1, speed),
    }
}

/// Feature 0: `55 03 00 00 i s`; feature 1: `55 09 00 00 v 00`.
fn suitcase(output: &OutputLevel) -> Vec<u8> {
    if output.feature_index == 0 {
        let (intensity, speed) = suitcase_intensity_and_speed(output.value);
        vec![0x55, 0x03, 0x00, 0x00, intensity, speed]
    } else {
        vec![0x55, 0x09, 0x00, 0x00, level(output), 0x00]
    }
}

/// `svakom-tarax`: the ToyCod Tara X (an internal vibrator and an external pulsator).
pub static SVAKOM_TARAX: SinglePacket =
    per_output("svakom-tarax", Outputs::of(&[Vibrate]).up_to_feature(1).at_most(2), tarax);

/// Feature 0: `55 03 00 00 v 02`, stopped with `55 03 00 00 01 01`; feature 1:
/// `55 09 00 00 v 00`.
fn tarax(output: &OutputLevel) -> Vec<u8> {
    match (output.feature_index, output.value) {
        (0, 0) => vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x01],
        (0, _) => vec![0x55, 0x03, 0x00, 0x00, level(output), 0x02],
        _ => vec![0x55, 0x09, 0x00, 0x00, level(output), 0x00],
    }
}

// ---------------------------------------------------------------------------------------------
// Sam Neo: the vibrate packet depends on the hardware generation.

/// `svakom-sam`: the Sam Neo. Which packet drives its vibrator depends on the characteristics
/// the device has, so it builds its handler at connect.
#[derive(Debug, Clone, Copy, Default)]
pub struct SvakomSam;

pub static SVAKOM_SAM: SvakomSam = SvakomSam;

/// Which Sam Neo hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamGeneration {
    /// Vibrate `12 01 03 00 05 v`.
    First,
    /// Vibrate `12 01 03 00 (04|00) v`.
    Second,
}

impl SamGeneration {
    /// The generation of a device with these characteristics (see the module docs).
    pub fn of(hw: &dyn Hardware) -> SamGeneration {
        if hw.has_endpoint(Endpoint::TxMode) {
            SamGeneration::Second
        } else if hw.has_endpoint(Endpoint::Firmware) {
            tracing::warn!(
                address = hw.address(),
                "svakom-sam: a Sam Neo without the mode characteristic; this model may vibrate at one speed only"
            );
            SamGeneration::Second
        } else {
            SamGeneration::First
        }
    }
}

/// The handler of a Sam Neo of `generation`.
pub fn sam_handler(features: &[Feature], generation: SamGeneration) -> Result<SinglePacketHandler, ProtocolError> {
    let packet = move |output: &OutputLevel| match output.kind {
        Vibrate => {
            let mode = match generation {
                SamGeneration::First => 0x05,
                SamGeneration::Second if output.value == 0 => 0x00,
                SamGeneration::Second => 0x04,
            };
            vec![0x12, 0x01, 0x03, 0x00, mode, level(output)]
        }
        _ => vec![0x12, 0x06, 0x01, level(output)],
    };
    let outputs = Outputs::of(&[Vibrate, Constrict]).one_per_type();
    SinglePacketHandler::new("svakom-sam", &outputs, features, Endpoint::Tx, false, Encoder::PerOutput(Box::new(packet)))
}

impl Protocol for SvakomSam {
    fn name(&self) -> &'static str {
        "svakom-sam"
    }

    /// Checks the definition, subscribes to `rx` (as the reference does; nothing it sends is
    /// used) and picks the generation.
    fn initialize<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let generation = SamGeneration::of(hw);
            let handler = sam_handler(features, generation)?;
            hw.subscribe(Endpoint::Rx).await?;
            Ok(Box::new(handler) as Box<dyn DeviceHandler>)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Iker: one or two packets for two motors.

/// `svakom-iker`: the Iker, two vibrators whose packets depend on each other.
#[derive(Debug, Clone, Copy, Default)]
pub struct SvakomIker;

pub static SVAKOM_IKER: SvakomIker = SvakomIker;

/// The all-off packet, also "second motor at 0".
pub const IKER_ALL_OFF: [u8; 6] = [0x55, 0x07, 0x00, 0x00, 0x00, 0x00];

impl Protocol for SvakomIker {
    fn name(&self) -> &'static str {
        "svakom-iker"
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(IkerHandler::new(features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The encoder of an Iker: the vibrators on features 0 and (optionally) 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkerHandler {
    slots: Vec<(u32, OutputType)>,
}

impl IkerHandler {
    pub fn new(features: &[Feature]) -> Result<IkerHandler, ProtocolError> {
        let slots = Outputs::of(&[Vibrate]).up_to_feature(1).at_most(2).check("svakom-iker", features)?;
        Ok(IkerHandler { slots })
    }

    /// The level of the vibrator on `feature` and whether it changed.
    fn motor(&self, levels: &[OutputLevel], changed: ChangeSet, feature: u32) -> (u8, bool) {
        match self.slots.iter().find(|slot| slot.0 == feature).map(|&slot| lookup(levels, changed, slot)) {
            Some((Some(output), changed)) => (level(output), changed),
            _ => (0, false),
        }
    }
}

impl DeviceHandler for IkerHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let (first, first_changed) = self.motor(levels, changed, 0);
        let (second, second_changed) = self.motor(levels, changed, 1);
        if !first_changed && !second_changed {
            return Vec::new();
        }
        let packets = match (first, second) {
            (0, 0) => vec![IKER_ALL_OFF.to_vec()],
            // The second motor was just stopped while the first runs: its off packet first.
            (_, 0) if second_changed => vec![IKER_ALL_OFF.to_vec(), vec![0x55, 0x03, 0x03, 0x00, 0x01, first]],
            (_, 0) => vec![vec![0x55, 0x03, 0x03, 0x00, 0x01, first]],
            (_, _) => vec![vec![0x55, 0x03, 0x03, 0x00, 0x01, first], vec![0x55, 0x07, 0x00, 0x00, second, 0x00]],
        };
        packets.into_iter().map(|packet| Write::without_response(Endpoint::Tx, packet)).collect()
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, bytes_with_response, features, hex, Sim};
    use super::*;
    use crate::testing::{Event, FakeHardware};

    fn sim(protocol: &SinglePacket, outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(protocol.handler(&features).unwrap()), &features)
    }

    const NONE: [Vec<u8>; 0] = [];

    #[test]
    fn alex_stops_with_ff() {
        let mut alex = sim(&SVAKOM_ALEX, &[(Vibrate, 0, 3)]);
        assert_eq!(bytes(&alex.set(0, Vibrate, 1)), [hex("12 01 03 00 01 00")]);
        assert_eq!(bytes(&alex.set(0, Vibrate, 3)), [hex("12 01 03 00 03 00")]);
        assert_eq!(bytes(&alex.stop()), [hex("12 01 03 00 ff 00")]);
        assert_eq!(bytes(&alex.stop()), NONE);
    }

    #[test]
    fn alex_v2_trailer_is_level_plus_5() {
        let mut alex = sim(&SVAKOM_ALEX_V2, &[(Vibrate, 0, 3)]);
        assert_eq!(bytes(&alex.set(0, Vibrate, 1)), [hex("55 03 03 00 01 06")]);
        assert_eq!(bytes(&alex.set(0, Vibrate, 3)), [hex("55 03 03 00 03 08")]);
        assert_eq!(bytes(&alex.stop()), [hex("55 03 03 00 00 05")]);
        assert_eq!(bytes(&alex.set(0, Vibrate, 1000)), [hex("55 03 03 00 fa ff")], "no overflow");
    }

    #[test]
    fn avaneo_by_feature_index() {
        let mut ava = sim(&SVAKOM_AVANEO, &[(Vibrate, 0, 10), (Oscillate, 0, 1)]);
        assert_eq!(bytes(&ava.set(0, Vibrate, 10)), [hex("55 03 00 00 01 0a")]);
        assert_eq!(bytes(&ava.set(1, Oscillate, 1)), [hex("55 08 00 00 01 ff")]);
        assert_eq!(bytes(&ava.stop()), [hex("55 03 00 00 00 00"), hex("55 08 00 00 00 ff")]);
        // The forms the reference keeps for layouts the database does not have.
        let mut swapped = sim(&SVAKOM_AVANEO, &[(Oscillate, 0, 1), (Vibrate, 0, 10)]);
        assert_eq!(bytes(&swapped.set(0, Oscillate, 1)), [hex("55 03 00 00 01 01")]);
        assert_eq!(bytes(&swapped.set(1, Vibrate, 4)), [hex("55 09 00 00 04 ff")]);
        assert!(SVAKOM_AVANEO.handler(&features(&[(Vibrate, 0, 1); 3])).is_err());
    }

    #[test]
    fn barnard() {
        let mut cup = sim(&SVAKOM_BARNARD, &[(Vibrate, 0, 3), (Oscillate, 0, 3)]);
        assert_eq!(bytes(&cup.set(0, Vibrate, 2)), [hex("55 03 00 00 02 01")]);
        assert_eq!(bytes(&cup.set(1, Oscillate, 3)), [hex("55 08 00 00 03 ff")]);
        assert_eq!(bytes(&cup.stop()), [hex("55 03 00 00 00 00"), hex("55 08 00 00 00 00")]);
    }

    #[test]
    fn barney_selects_and_sends_the_larger_level() {
        let mut barney = sim(&SVAKOM_BARNEY, &[(Vibrate, 0, 10), (Vibrate, 0, 10)]);
        assert_eq!(bytes(&barney.set(0, Vibrate, 5)), [hex("55 03 01 00 03 05 00")]);
        assert_eq!(bytes(&barney.set(1, Vibrate, 7)), [hex("55 03 00 00 03 07 00")]);
        assert_eq!(bytes(&barney.set(0, Vibrate, 0)), [hex("55 03 02 00 03 07 00")]);
        assert_eq!(bytes(&barney.flush(&[(0, Vibrate, 4), (1, Vibrate, 4)])), [hex("55 03 00 00 03 04 00")]);
        assert_eq!(bytes(&barney.stop()), [hex("55 03 00 00 00 00 00")]);
        assert_eq!(bytes(&barney.stop()), NONE);
        let mut single = sim(&SVAKOM_BARNEY, &[(Vibrate, 0, 10)]);
        assert_eq!(bytes(&single.set(0, Vibrate, 6)), [hex("55 03 00 00 03 06 00")]);
        assert!(SVAKOM_BARNEY.handler(&features(&[(Vibrate, 0, 10); 3])).is_err());
    }

    #[test]
    fn dice() {
        let mut dice = sim(&SVAKOM_DICE, &[(Vibrate, 0, 255)]);
        assert_eq!(bytes(&dice.set(0, Vibrate, 255)), [hex("55 04 00 00 01 ff aa")]);
        assert_eq!(bytes(&dice.stop()), [hex("55 04 00 00 01 00 aa")]);
    }

    #[test]
    fn dt250a_function_codes() {
        let mut toy = sim(&SVAKOM_DT250A, &[(Vibrate, 0, 3), (Vibrate, 0, 3), (Constrict, 0, 2)]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 2)), [hex("55 03 00 00 02 01")]);
        assert_eq!(bytes(&toy.set(1, Vibrate, 3)), [hex("55 08 00 00 03 01")]);
        assert_eq!(bytes(&toy.set(2, Constrict, 2)), [hex("55 09 00 00 02 00")]);
        assert_eq!(
            bytes(&toy.stop()),
            [hex("55 03 00 00 00 00"), hex("55 08 00 00 00 00"), hex("55 09 00 00 00 00")]
        );
    }

    #[test]
    fn fatima_four_functions_and_the_heater() {
        let mut fatima =
            sim(&SVAKOM_FATIMA, &[(Vibrate, 0, 10), (Constrict, 0, 10), (Oscillate, 0, 7), (Temperature, 0, 1)]);
        assert_eq!(bytes(&fatima.set(0, Vibrate, 10)), [hex("55 03 00 00 01 0a")]);
        assert_eq!(bytes(&fatima.set(1, Constrict, 5)), [hex("55 09 00 00 01 05")]);
        assert_eq!(bytes(&fatima.set(2, Oscillate, 7)), [hex("55 08 00 00 07 ff")]);
        assert_eq!(bytes(&fatima.set(3, Temperature, 1)), [hex("55 05 01 37 02 00 00")]);
        assert_eq!(bytes(&fatima.set(3, Temperature, 0)), [hex("55 05 00 00 02 00 00")]);
        assert_eq!(bytes(&fatima.set(3, Temperature, 1)), [hex("55 05 01 37 02 00 00")]);
        assert_eq!(
            bytes(&fatima.stop()),
            [
                hex("55 03 00 00 00 00"),
                hex("55 09 00 00 00 00"),
                hex("55 08 00 00 00 00"),
                hex("55 05 00 00 02 00 00"),
            ],
            "the stop turns the heater off too"
        );
    }

    #[test]
    fn jordan() {
        let mut jordan = sim(&SVAKOM_JORDAN, &[(Vibrate, 0, 10), (Oscillate, 0, 5)]);
        assert_eq!(bytes(&jordan.set(0, Vibrate, 10)), [hex("55 03 00 00 01 0a 00")]);
        assert_eq!(bytes(&jordan.set(1, Oscillate, 5)), [hex("55 08 00 00 01 05 00")]);
        assert_eq!(bytes(&jordan.stop()), [hex("55 03 00 00 00 00 00"), hex("55 08 00 00 00 00 00")]);
    }

    #[test]
    fn sam2_with_response() {
        let mut sam = sim(&SVAKOM_SAM2, &[(Vibrate, 0, 10), (Constrict, 0, 5)]);
        assert_eq!(bytes_with_response(&sam.set(0, Vibrate, 10)), [hex("55 03 00 00 05 0a 00")]);
        assert_eq!(bytes_with_response(&sam.set(1, Constrict, 5)), [hex("55 09 00 00 01 05 00")]);
        assert_eq!(
            bytes_with_response(&sam.stop()),
            [hex("55 03 00 00 00 00 00"), hex("55 09 00 00 00 00 00")]
        );
    }

    #[test]
    fn suitcase_splits_thirty_steps() {
        let table = [(0, (0, 0)), (1, (1, 1)), (9, (1, 9)), (10, (1, 10)), (11, (2, 1)), (20, (2, 10))];
        let more = [(25, (3, 5)), (30, (3, 10)), (31, (3, 10)), (-1, (0, 0))];
        for (v, pair) in table.into_iter().chain(more) {
            assert_eq!(suitcase_intensity_and_speed(v), pair, "{v}");
        }
        let mut case = sim(&SVAKOM_SUITCASE, &[(Vibrate, 0, 30), (Vibrate, 0, 1)]);
        assert_eq!(bytes(&case.set(0, Vibrate, 25)), [hex("55 03 00 00 03 05")]);
        assert_eq!(bytes(&case.set(1, Vibrate, 1)), [hex("55 09 00 00 01 00")]);
        assert_eq!(bytes(&case.stop()), [hex("55 03 00 00 00 00"), hex("55 09 00 00 00 00")]);
    }

    #[test]
    fn tarax_first_vibrator_stops_with_01_01() {
        let mut tara = sim(&SVAKOM_TARAX, &[(Vibrate, 0, 3), (Vibrate, 0, 3)]);
        assert_eq!(bytes(&tara.set(0, Vibrate, 3)), [hex("55 03 00 00 03 02")]);
        assert_eq!(bytes(&tara.set(1, Vibrate, 2)), [hex("55 09 00 00 02 00")]);
        assert_eq!(bytes(&tara.stop()), [hex("55 03 00 00 01 01"), hex("55 09 00 00 00 00")]);
    }

    #[test]
    fn iker_packets_follow_both_motors() {
        let two = features(&[(Vibrate, 0, 10), (Vibrate, 0, 5)]);
        let mut iker = Sim::new(Box::new(IkerHandler::new(&two).unwrap()), &two);
        assert_eq!(bytes(&iker.set(0, Vibrate, 5)), [hex("55 03 03 00 01 05")]);
        assert_eq!(bytes(&iker.set(1, Vibrate, 3)), [hex("55 03 03 00 01 05"), hex("55 07 00 00 03 00")]);
        assert_eq!(bytes(&iker.set(0, Vibrate, 0)), [hex("55 03 03 00 01 00"), hex("55 07 00 00 03 00")]);
        assert_eq!(bytes(&iker.set(0, Vibrate, 5)), [hex("55 03 03 00 01 05"), hex("55 07 00 00 03 00")]);
        // Differs from the reference: the second motor is told to stop.
        assert_eq!(bytes(&iker.set(1, Vibrate, 0)), [hex("55 07 00 00 00 00"), hex("55 03 03 00 01 05")]);
        assert_eq!(bytes(&iker.set(0, Vibrate, 7)), [hex("55 03 03 00 01 07")]);
        assert_eq!(bytes(&iker.stop()), [hex("55 07 00 00 00 00")]);
        assert_eq!(bytes(&iker.stop()), NONE);
        iker.set(1, Vibrate, 2);
        assert_eq!(bytes(&iker.stop()), [hex("55 07 00 00 00 00")], "one packet stops both");
        assert!(IkerHandler::new(&features(&[(Vibrate, 0, 10); 3])).is_err());
    }

    #[tokio::test]
    async fn sam_generation_from_the_characteristics() {
        let sam_neo = features(&[(Vibrate, 0, 10), (Constrict, 0, 1)]);
        let layouts: [(&[Endpoint], [&str; 2]); 3] = [
            (&[Endpoint::Tx, Endpoint::Rx, Endpoint::TxMode], ["12 01 03 00 04 07", "12 01 03 00 00 00"]),
            (&[Endpoint::Tx, Endpoint::Rx, Endpoint::Firmware], ["12 01 03 00 04 07", "12 01 03 00 00 00"]),
            (&[Endpoint::Tx, Endpoint::Rx], ["12 01 03 00 05 07", "12 01 03 00 05 00"]),
        ];
        for (endpoints, [running, stopped]) in layouts {
            let hw = FakeHardware::with_endpoints("Sam Neo", "aa", endpoints);
            let handler = SVAKOM_SAM.initialize(&hw, None, &sam_neo).await.unwrap();
            assert_eq!(hw.events(), vec![Event::Subscribe(Endpoint::Rx)], "{endpoints:?}");
            let mut sam = Sim::new(handler, &sam_neo);
            assert_eq!(bytes(&sam.set(0, Vibrate, 7)), [hex(running)], "{endpoints:?}");
            assert_eq!(bytes(&sam.set(1, Constrict, 1)), [hex("12 06 01 01")]);
            assert_eq!(bytes(&sam.stop()), [hex(stopped), hex("12 06 01 00")], "{endpoints:?}");
        }
        let hw = FakeHardware::with_endpoints("Sam Neo", "aa", &[Endpoint::Tx]);
        assert!(SVAKOM_SAM.initialize(&hw, None, &features(&[(Rotate, 0, 1)])).await.is_err());
        assert!(hw.events().is_empty(), "a refused definition touches nothing");
    }

    #[tokio::test]
    async fn no_init_writes() {
        let protocols: [&dyn Protocol; 13] = [
            &SVAKOM_ALEX,
            &SVAKOM_ALEX_V2,
            &SVAKOM_AVANEO,
            &SVAKOM_BARNARD,
            &SVAKOM_BARNEY,
            &SVAKOM_DICE,
            &SVAKOM_DT250A,
            &SVAKOM_FATIMA,
            &SVAKOM_IKER,
            &SVAKOM_JORDAN,
            &SVAKOM_SAM2,
            &SVAKOM_SUITCASE,
            &SVAKOM_TARAX,
        ];
        for protocol in protocols {
            let hw = FakeHardware::new("toy", "aa");
            let handler = protocol.initialize(&hw, None, &features(&[(Vibrate, 0, 3)])).await.unwrap();
            assert!(hw.events().is_empty(), "{}", protocol.name());
            assert_eq!(handler.keepalive(), Keepalive::None, "{}", protocol.name());
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
        // 0 is sent as ff.
        Vector::new(&SVAKOM_ALEX, None, &[
            Set(&[(0, Vibrate, 1)], &[tx(&[0x12, 0x01, 0x03, 0x00, 0x01, 0x00])]),
            Set(&[(0, Vibrate, 3)], &[tx(&[0x12, 0x01, 0x03, 0x00, 0x03, 0x00])]),
            Stop(&[tx(&[0x12, 0x01, 0x03, 0x00, 0xff, 0x00])]),
        ]),
        Vector::new(&SVAKOM_ALEX_V2, None, &[
            Set(&[(0, Vibrate, 1)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x06])]),
            Set(&[(0, Vibrate, 3)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x03, 0x08])]),
            Stop(&[tx(&[0x55, 0x03, 0x03, 0x00, 0x00, 0x05])]),
        ]),
        Vector::new(&SVAKOM_AVANEO, None, &[
            Set(&[(0, Vibrate, 10)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x0a])]),
            Set(&[(1, Oscillate, 1)], &[tx(&[0x55, 0x08, 0x00, 0x00, 0x01, 0xff])]),
            Stop(&[tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]), tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0xff])]),
        ]),
        Vector::new(&SVAKOM_BARNARD, None, &[
            Set(&[(0, Vibrate, 2)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x02, 0x01])]),
            Set(&[(1, Oscillate, 3)], &[tx(&[0x55, 0x08, 0x00, 0x00, 0x03, 0xff])]),
            Stop(&[tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]), tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        // One packet for both motors: which runs, then the larger level.
        Vector::new(&SVAKOM_BARNEY, None, &[
            Set(&[(0, Vibrate, 5)], &[tx(&[0x55, 0x03, 0x01, 0x00, 0x03, 0x05, 0x00])]),
            Set(&[(1, Vibrate, 7)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x03, 0x07, 0x00])]),
            Set(&[(0, Vibrate, 0)], &[tx(&[0x55, 0x03, 0x02, 0x00, 0x03, 0x07, 0x00])]),
            Set(&[(0, Vibrate, 7)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x03, 0x07, 0x00])]),
            Stop(&[tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&SVAKOM_DICE, None, &[
            Set(&[(0, Vibrate, 255)], &[tx(&[0x55, 0x04, 0x00, 0x00, 0x01, 0xff, 0xaa])]),
            Stop(&[tx(&[0x55, 0x04, 0x00, 0x00, 0x01, 0x00, 0xaa])]),
        ]),
        Vector::new(&SVAKOM_DT250A, None, &[
            Set(&[(0, Vibrate, 2)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x02, 0x01])]),
            Set(&[(1, Vibrate, 3)], &[tx(&[0x55, 0x08, 0x00, 0x00, 0x03, 0x01])]),
            Set(&[(2, Constrict, 2)], &[tx(&[0x55, 0x09, 0x00, 0x00, 0x02, 0x00])]),
            Stop(&[
                tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
            ]),
        ]),
        // The heater is a temperature output: any level but 0 is on, and a stop turns it off.
        Vector::new(&SVAKOM_FATIMA, Some("SL278B"), &[
            Set(&[(0, Vibrate, 10)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x0a])]),
            Set(&[(1, Constrict, 5)], &[tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x05])]),
            Set(&[(2, Oscillate, 7)], &[tx(&[0x55, 0x08, 0x00, 0x00, 0x07, 0xff])]),
            Set(&[(3, Temperature, 1)], &[tx(&[0x55, 0x05, 0x01, 0x37, 0x02, 0x00, 0x00])]),
            Stop(&[
                tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0x00]),
                tx(&[0x55, 0x05, 0x00, 0x00, 0x02, 0x00, 0x00]),
            ]),
        ]),
        Vector::new(&SVAKOM_IKER, None, &[
            Set(&[(0, Vibrate, 5)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x05])]),
            Set(&[(1, Vibrate, 3)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x05]), tx(&[0x55, 0x07, 0x00, 0x00, 0x03, 0x00])]),
            Set(&[(0, Vibrate, 0)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x00]), tx(&[0x55, 0x07, 0x00, 0x00, 0x03, 0x00])]),
            Set(&[(0, Vibrate, 10)], &[tx(&[0x55, 0x03, 0x03, 0x00, 0x01, 0x0a]), tx(&[0x55, 0x07, 0x00, 0x00, 0x03, 0x00])]),
            Stop(&[tx(&[0x55, 0x07, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&SVAKOM_JORDAN, None, &[
            Set(&[(0, Vibrate, 10)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x0a, 0x00])]),
            Set(&[(1, Oscillate, 5)], &[tx(&[0x55, 0x08, 0x00, 0x00, 0x01, 0x05, 0x00])]),
            Stop(&[tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]), tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        // The database's device has the mode characteristic: the second generation.
        Vector::new(&SVAKOM_SAM, None, &[
            Set(&[(0, Vibrate, 7)], &[tx(&[0x12, 0x01, 0x03, 0x00, 0x04, 0x07])]),
            Set(&[(1, Constrict, 1)], &[tx(&[0x12, 0x06, 0x01, 0x01])]),
            Stop(&[tx(&[0x12, 0x01, 0x03, 0x00, 0x00, 0x00]), tx(&[0x12, 0x06, 0x01, 0x00])]),
        ]),
        Vector::new(&SVAKOM_SAM, None, &[
            Set(&[(0, Vibrate, 7)], &[tx(&[0x12, 0x01, 0x03, 0x00, 0x05, 0x07])]),
            Stop(&[tx(&[0x12, 0x01, 0x03, 0x00, 0x05, 0x00])]),
        ])
        .endpoints(&[Endpoint::Tx, Endpoint::Rx]),
        Vector::new(&SVAKOM_SAM2, Some("Sam Neo 2 Pro"), &[
            Set(&[(0, Vibrate, 10)], &[tx_with_response(&[0x55, 0x03, 0x00, 0x00, 0x05, 0x0a, 0x00])]),
            Set(&[(1, Constrict, 5)], &[tx_with_response(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x05, 0x00])]),
            Stop(&[
                tx_with_response(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]),
                tx_with_response(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00]),
            ]),
        ]),
        Vector::new(&SVAKOM_SUITCASE, Some("VX236A-BLE-V1.0"), &[
            Set(&[(0, Vibrate, 10)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x0a])]),
            Set(&[(0, Vibrate, 11)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x02, 0x01])]),
            Set(&[(0, Vibrate, 30)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x03, 0x0a])]),
            Set(&[(1, Vibrate, 1)], &[tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x00])]),
            Stop(&[tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]), tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00])]),
        ]),
        Vector::new(&SVAKOM_TARAX, None, &[
            Set(&[(0, Vibrate, 3)], &[tx(&[0x55, 0x03, 0x00, 0x00, 0x03, 0x02])]),
            Set(&[(1, Vibrate, 2)], &[tx(&[0x55, 0x09, 0x00, 0x00, 0x02, 0x00])]),
            Stop(&[tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x01]), tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00])]),
        ]),
    ];
}
