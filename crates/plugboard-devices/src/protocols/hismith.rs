//! Hismith: fucking machines, cups and
//! vibrators on svc 0xFFE5 (`tx` 0xFFE9), with the model number on svc 0xFF90 (`rxblemodel`
//! 0xFF96). Every write is 4 bytes to `tx` without response; no init.
//!
//! # Identify
//!
//! Both protocol names read `rxblemodel` (500 ms timeout) and hex-encode the bytes in lowercase:
//! `10 01` -> `"1001"`. Only six models speak the old (`AA`) dialect, [`LEGACY_IDENTIFIERS`];
//! every other model found under the `hismith` names speaks the `hismith-mini` (`CC`) dialect.
//! The reference engine re-routes such a device to the `hismith-mini` protocol. Plugboard's
//! [`Protocol::identify`] returns only an identifier, so `hismith` instead picks the `CC`
//! encoding itself in [`Protocol::initialize`] for a non-legacy identifier, and
//! [`definition_protocol`] names the protocol whose definitions describe the device (the connect
//! pipeline looks the definition up there, through [`Protocol::definition_protocol`]). The models that can appear under a `hismith`
//! name without being legacy have no features of their own in the reference database, and both
//! protocols' defaults are the same single oscillate output, so the lookup under `hismith`
//! gives the same features either way.
//!
//! # Packets
//!
//! `checksum` = value + command (mod 256). Values are clamped to 0..=100.
//!
//! | protocol | output | packet |
//! |---|---|---|
//! | `hismith` | oscillate (any feature) | `AA 04 S S+04` |
//! | `hismith` | vibrate, feature 0 | `AA 04 S S+04` |
//! | `hismith` | vibrate, other features | `AA 06 S S+06`, but 0 is sent as `f0`: `AA 06 f0 f6` |
//! | `hismith-mini` | oscillate | `CC 03 S S+03` |
//! | `hismith-mini` | vibrate | `CC 05 S S+05` if the device has one vibrating feature or this is feature 1, else `CC 03 S S+03` |
//! | `hismith-mini` | constrict | `CC 05 L L+05` if the constricting feature is the second feature, else `CC 03 L L+03` |
//! | `hismith-mini` | rotate | two writes: `CC 03 abs(S) abs(S)+03`, then the direction `CC 01 c0 c1` (S >= 0) or `CC 01 c1 c2` (S < 0) |
//! | `hismith-mini` | spray | `CC 0b 01 0c` when the level becomes non-zero; nothing for 0 |
//!
//! Spray differs from the reference on purpose: the reference sends the spray trigger for any
//! level, so a stop (which sets spray to 0) would fire the spray. Here only a non-zero level
//! sprays.

use std::time::Duration;

use plugboard_protocol::model::{Feature, OutputType};

use super::{clamp_byte, lookup, Advertisement, ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Endpoint, Hardware, Write};

/// The model identifiers of the devices that speak the legacy (`AA`) dialect.
pub const LEGACY_IDENTIFIERS: [&str; 6] = ["1001", "1002", "1003", "1006", "2001", "3001"];
/// How long identify waits for the model read.
pub const MODEL_READ_TIMEOUT: Duration = Duration::from_millis(500);
/// The highest value a packet carries.
pub const MAX_VALUE: u8 = 100;

/// Which reference protocol name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `hismith`: legacy models, re-routing the others to the mini dialect.
    Hismith,
    /// `hismith-mini`
    Mini,
}

impl Variant {
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Hismith => "hismith",
            Variant::Mini => "hismith-mini",
        }
    }
}

/// The packet dialect of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `AA` packets (the six [`LEGACY_IDENTIFIERS`]).
    Legacy,
    /// `CC` packets (everything else).
    Mini,
}

/// A Hismith protocol family; one per [`Variant`].
#[derive(Debug, Clone, Copy)]
pub struct Hismith {
    variant: Variant,
}

impl Hismith {
    pub const fn new(variant: Variant) -> Hismith {
        Hismith { variant }
    }

    /// The dialect a device identified as `identifier` speaks under this protocol name.
    pub fn dialect(&self, identifier: Option<&str>) -> Dialect {
        match self.variant {
            Variant::Hismith if is_legacy(identifier) => Dialect::Legacy,
            _ => Dialect::Mini,
        }
    }
}

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&HISMITH, &HISMITH_MINI];

pub static HISMITH: Hismith = Hismith::new(Variant::Hismith);
pub static HISMITH_MINI: Hismith = Hismith::new(Variant::Mini);

/// Whether the identifier is one of the [`LEGACY_IDENTIFIERS`].
pub fn is_legacy(identifier: Option<&str>) -> bool {
    identifier.is_some_and(|id| LEGACY_IDENTIFIERS.contains(&id))
}

/// The protocol name whose definitions describe a device the `hismith` protocol identified as
/// `identifier`: `"hismith"` for the legacy models, `"hismith-mini"` for everything else (the
/// reference's re-routing).
pub fn definition_protocol(identifier: Option<&str>) -> &'static str {
    if is_legacy(identifier) {
        Variant::Hismith.name()
    } else {
        Variant::Mini.name()
    }
}

/// The identifier in the model characteristic's bytes: lowercase hex, `None` if empty.
pub fn identifier_from_model(bytes: &[u8]) -> Option<String> {
    (!bytes.is_empty()).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Protocol for Hismith {
    fn name(&self) -> &'static str {
        self.variant.name()
    }

    fn definition_protocol(&self, identifier: Option<&str>) -> &'static str {
        match self.variant {
            Variant::Hismith => definition_protocol(identifier),
            Variant::Mini => self.name(),
        }
    }

    fn identify<'a>(
        &'a self,
        hw: &'a dyn Hardware,
        _advertisement: &'a Advertisement,
    ) -> BoxFuture<'a, Result<Option<String>, ProtocolError>> {
        Box::pin(async move {
            let model = tokio::time::timeout(MODEL_READ_TIMEOUT, hw.read(Endpoint::RxBleModel))
                .await
                .map_err(|_| ProtocolError::Timeout("the Hismith model number"))??;
            let identifier = identifier_from_model(&model);
            tracing::debug!(name = hw.name(), ?identifier, protocol = self.name(), "hismith model");
            Ok(identifier)
        })
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move {
            let dialect = self.dialect(identifier);
            Ok(Box::new(HismithHandler::new(dialect, features)?) as Box<dyn DeviceHandler>)
        })
    }
}

/// What one output sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    /// `header command S S+command`.
    Plain(u8),
    /// Legacy vibrate on a feature other than 0: as `Plain(06)` but 0 goes out as `f0`.
    LegacyVibrateOff,
    /// Mini rotate: speed then direction.
    Rotate,
    /// Mini spray trigger.
    Spray,
}

/// The encoder of one Hismith device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HismithHandler {
    dialect: Dialect,
    /// Every output with its command, in definition order.
    slots: Vec<((u32, OutputType), Command)>,
}

impl HismithHandler {
    /// Decides each output's command from the definition (see the module table).
    pub fn new(dialect: Dialect, features: &[Feature]) -> Result<HismithHandler, ProtocolError> {
        let vibrating_features =
            features.iter().filter(|f| f.outputs.iter().any(|o| o.kind == OutputType::Vibrate)).count();
        let constrict_is_second = features
            .iter()
            .position(|f| f.outputs.iter().any(|o| matches!(o.kind, OutputType::Constrict | OutputType::Inflate)))
            == Some(1);
        let mut slots = Vec::new();
        for feature in features {
            for output in &feature.outputs {
                let command = match (dialect, output.kind) {
                    (Dialect::Legacy, OutputType::Oscillate) => Command::Plain(0x04),
                    (Dialect::Legacy, OutputType::Vibrate) if feature.index == 0 => Command::Plain(0x04),
                    (Dialect::Legacy, OutputType::Vibrate) => Command::LegacyVibrateOff,
                    (Dialect::Mini, OutputType::Oscillate) => Command::Plain(0x03),
                    (Dialect::Mini, OutputType::Vibrate) => {
                        Command::Plain(if vibrating_features < 2 || feature.index == 1 { 0x05 } else { 0x03 })
                    }
                    (Dialect::Mini, OutputType::Constrict | OutputType::Inflate) => {
                        Command::Plain(if constrict_is_second { 0x05 } else { 0x03 })
                    }
                    (Dialect::Mini, OutputType::Rotate) => Command::Rotate,
                    (Dialect::Mini, OutputType::Spray) => Command::Spray,
                    (dialect, kind) => {
                        return Err(ProtocolError::Definition(format!(
                            "hismith ({dialect:?} dialect) has no command for {kind:?} outputs"
                        )))
                    }
                };
                slots.push(((feature.index, output.kind), command));
            }
        }
        if slots.is_empty() {
            return Err(ProtocolError::Definition("hismith device with no outputs".into()));
        }
        Ok(HismithHandler { dialect, slots })
    }

    fn header(&self) -> u8 {
        match self.dialect {
            Dialect::Legacy => 0xaa,
            Dialect::Mini => 0xcc,
        }
    }

    fn packet(&self, command: u8, value: u8) -> Write {
        Write::without_response(Endpoint::Tx, vec![self.header(), command, value, value.wrapping_add(command)])
    }

    fn writes_for(&self, command: Command, value: i32, writes: &mut Vec<Write>) {
        match command {
            Command::Plain(command) => writes.push(self.packet(command, clamp_byte(value, MAX_VALUE))),
            Command::LegacyVibrateOff => {
                let s = clamp_byte(value, MAX_VALUE);
                writes.push(self.packet(0x06, if s == 0 { 0xf0 } else { s }));
            }
            Command::Rotate => {
                writes.push(self.packet(0x03, clamp_byte(value.saturating_abs(), MAX_VALUE)));
                let direction = if value >= 0 { [0xc0, 0xc1] } else { [0xc1, 0xc2] };
                writes.push(Write::without_response(Endpoint::Tx, vec![0xcc, 0x01, direction[0], direction[1]]));
            }
            Command::Spray => {
                if value > 0 {
                    writes.push(Write::without_response(Endpoint::Tx, vec![0xcc, 0x0b, 0x01, 0x0c]));
                }
            }
        }
    }
}

impl DeviceHandler for HismithHandler {
    fn encode(&self, levels: &[OutputLevel], changed: ChangeSet) -> Vec<Write> {
        let mut writes = Vec::new();
        for &(slot, command) in &self.slots {
            if let (Some(level), true) = lookup(levels, changed, slot) {
                self.writes_for(command, level.value, &mut writes);
            }
        }
        writes
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{bytes, features, Sim};
    use super::super::Keepalive;
    use super::*;
    use crate::hardware::HardwareError;
    use crate::testing::{Event, FakeHardware};

    fn sim(dialect: Dialect, outputs: &[(OutputType, i32, i32)]) -> Sim {
        let features = features(outputs);
        Sim::new(Box::new(HismithHandler::new(dialect, &features).unwrap()), &features)
    }

    fn empty() -> Vec<Vec<u8>> {
        Vec::new()
    }

    #[test]
    fn legacy_oscillate_machine() {
        // Defaults and 1001/1002/1003: one oscillate output.
        let mut machine = sim(Dialect::Legacy, &[(Oscillate, 0, 100)]);
        assert_eq!(bytes(&machine.set(0, Oscillate, 50)), [[0xaa, 0x04, 0x32, 0x36]]);
        assert_eq!(bytes(&machine.set(0, Oscillate, 100)), [[0xaa, 0x04, 0x64, 0x68]]);
        assert_eq!(bytes(&machine.stop()), [[0xaa, 0x04, 0x00, 0x04]]);
        assert_eq!(bytes(&machine.stop()), empty());
    }

    #[test]
    fn legacy_value_is_clamped() {
        let mut machine = sim(Dialect::Legacy, &[(Oscillate, 0, 100)]);
        assert_eq!(bytes(&machine.set(0, Oscillate, 250)), [[0xaa, 0x04, 0x64, 0x68]]);
        assert_eq!(bytes(&machine.set(0, Oscillate, -3)), [[0xaa, 0x04, 0x00, 0x04]]);
    }

    #[test]
    fn legacy_thrusting_cup_and_g011() {
        // 2001 and 1006: oscillate on feature 0, an on/off vibrator on feature 1.
        let mut cup = sim(Dialect::Legacy, &[(Oscillate, 0, 100), (Vibrate, 0, 1)]);
        assert_eq!(bytes(&cup.set(1, Vibrate, 1)), [[0xaa, 0x06, 0x01, 0x07]]);
        assert_eq!(bytes(&cup.set(0, Oscillate, 20)), [[0xaa, 0x04, 0x14, 0x18]]);
        assert_eq!(bytes(&cup.set(1, Vibrate, 0)), [[0xaa, 0x06, 0xf0, 0xf6]], "0 is sent as f0");
        assert_eq!(
            bytes(&cup.flush(&[(0, Oscillate, 5), (1, Vibrate, 1)])),
            [[0xaa, 0x04, 0x05, 0x09], [0xaa, 0x06, 0x01, 0x07]]
        );
        assert_eq!(bytes(&cup.stop()), [[0xaa, 0x04, 0x00, 0x04], [0xaa, 0x06, 0xf0, 0xf6]]);
    }

    #[test]
    fn legacy_wildolo_vibrator() {
        // 3001: one vibrator on feature 0.
        let mut wildolo = sim(Dialect::Legacy, &[(Vibrate, 0, 100)]);
        assert_eq!(bytes(&wildolo.set(0, Vibrate, 77)), [[0xaa, 0x04, 0x4d, 0x51]]);
        assert_eq!(bytes(&wildolo.stop()), [[0xaa, 0x04, 0x00, 0x04]]);
    }

    #[test]
    fn mini_oscillate_machine() {
        // Mini defaults (and 4001, 1004, 1005, 1101, 1102, 1402, 1501).
        let mut machine = sim(Dialect::Mini, &[(Oscillate, 0, 100)]);
        assert_eq!(bytes(&machine.set(0, Oscillate, 60)), [[0xcc, 0x03, 0x3c, 0x3f]]);
        assert_eq!(bytes(&machine.stop()), [[0xcc, 0x03, 0x00, 0x03]]);
    }

    #[test]
    fn mini_constrict_first_vibrate_second() {
        // 2201 Sinloli doll, 2101 Eropair cup: constrict feature 0, vibrate feature 1.
        let mut doll = sim(Dialect::Mini, &[(Constrict, 0, 100), (Vibrate, 0, 100)]);
        assert_eq!(bytes(&doll.set(0, Constrict, 40)), [[0xcc, 0x03, 0x28, 0x2b]]);
        assert_eq!(bytes(&doll.set(1, Vibrate, 100)), [[0xcc, 0x05, 0x64, 0x69]]);
        assert_eq!(bytes(&doll.stop()), [[0xcc, 0x03, 0x00, 0x03], [0xcc, 0x05, 0x00, 0x05]]);
    }

    #[test]
    fn mini_dual_vibrator() {
        // 3101 Eropair rabbit: two vibrators; feature 0 is 03, feature 1 is 05.
        let mut rabbit = sim(Dialect::Mini, &[(Vibrate, 0, 100), (Vibrate, 0, 100)]);
        assert_eq!(bytes(&rabbit.set(0, Vibrate, 10)), [[0xcc, 0x03, 0x0a, 0x0d]]);
        assert_eq!(bytes(&rabbit.set(1, Vibrate, 11)), [[0xcc, 0x05, 0x0b, 0x10]]);
        assert_eq!(
            bytes(&rabbit.flush(&[(0, Vibrate, 1), (1, Vibrate, 2)])),
            [[0xcc, 0x03, 0x01, 0x04], [0xcc, 0x05, 0x02, 0x07]]
        );
        assert_eq!(bytes(&rabbit.stop()), [[0xcc, 0x03, 0x00, 0x03], [0xcc, 0x05, 0x00, 0x05]]);
    }

    #[test]
    fn mini_oscillate_and_vibrate() {
        // 3102 Eropair dildo, 2202 Sinloli Ethel: oscillate feature 0, vibrate feature 1.
        let mut dildo = sim(Dialect::Mini, &[(Oscillate, 0, 100), (Vibrate, 0, 100)]);
        assert_eq!(bytes(&dildo.set(0, Oscillate, 30)), [[0xcc, 0x03, 0x1e, 0x21]]);
        assert_eq!(bytes(&dildo.set(1, Vibrate, 30)), [[0xcc, 0x05, 0x1e, 0x23]]);
        assert_eq!(bytes(&dildo.stop()), [[0xcc, 0x03, 0x00, 0x03], [0xcc, 0x05, 0x00, 0x05]]);
    }

    #[test]
    fn mini_single_vibrator_uses_05() {
        let mut toy = sim(Dialect::Mini, &[(Vibrate, 0, 100)]);
        assert_eq!(bytes(&toy.set(0, Vibrate, 9)), [[0xcc, 0x05, 0x09, 0x0e]]);
    }

    #[test]
    fn mini_oscillate_and_constrict_second() {
        // 2204 Sinloli Cosima: oscillate feature 0, constrict feature 1.
        let mut cosima = sim(Dialect::Mini, &[(Oscillate, 0, 100), (Constrict, 0, 100)]);
        assert_eq!(bytes(&cosima.set(1, Constrict, 50)), [[0xcc, 0x05, 0x32, 0x37]]);
        assert_eq!(bytes(&cosima.set(0, Oscillate, 50)), [[0xcc, 0x03, 0x32, 0x35]]);
        assert_eq!(bytes(&cosima.stop()), [[0xcc, 0x03, 0x00, 0x03], [0xcc, 0x05, 0x00, 0x05]]);
    }

    #[test]
    fn mini_rotate_speed_then_direction() {
        // 2205 Sinloli Aston: rotate -100..100.
        let mut aston = sim(Dialect::Mini, &[(Rotate, -100, 100)]);
        assert_eq!(bytes(&aston.set(0, Rotate, 50)), [[0xcc, 0x03, 0x32, 0x35], [0xcc, 0x01, 0xc0, 0xc1]]);
        assert_eq!(bytes(&aston.set(0, Rotate, -100)), [[0xcc, 0x03, 0x64, 0x67], [0xcc, 0x01, 0xc1, 0xc2]]);
        assert_eq!(bytes(&aston.set(0, Rotate, -7)), [[0xcc, 0x03, 0x07, 0x0a], [0xcc, 0x01, 0xc1, 0xc2]]);
        assert_eq!(bytes(&aston.stop()), [[0xcc, 0x03, 0x00, 0x03], [0xcc, 0x01, 0xc0, 0xc1]]);
        assert_eq!(bytes(&aston.set(0, Rotate, i32::MIN)), [[0xcc, 0x03, 0x64, 0x67], [0xcc, 0x01, 0xc1, 0xc2]]);
    }

    #[test]
    fn mini_spray_fires_only_on_nonzero() {
        // 4002 Sinloli Piupiu: spray 0..1.
        let mut piupiu = sim(Dialect::Mini, &[(Spray, 0, 1)]);
        assert_eq!(bytes(&piupiu.set(0, Spray, 1)), [[0xcc, 0x0b, 0x01, 0x0c]]);
        assert_eq!(bytes(&piupiu.set(0, Spray, 1)), [[0xcc, 0x0b, 0x01, 0x0c]], "each spray command fires");
        assert_eq!(bytes(&piupiu.stop()), empty(), "a stop does not spray");
        assert_eq!(bytes(&piupiu.set(0, Spray, 1)), [[0xcc, 0x0b, 0x01, 0x0c]]);
        assert_eq!(bytes(&piupiu.all()), [[0xcc, 0x0b, 0x01, 0x0c]]);
    }

    #[test]
    fn definitions() {
        assert!(HismithHandler::new(Dialect::Legacy, &[]).is_err());
        assert!(HismithHandler::new(Dialect::Mini, &[]).is_err());
        for kind in [Rotate, Constrict, Spray, Led] {
            assert!(HismithHandler::new(Dialect::Legacy, &features(&[(kind, 0, 100)])).is_err(), "{kind:?}");
        }
        for kind in [Led, Temperature, Position] {
            assert!(HismithHandler::new(Dialect::Mini, &features(&[(kind, 0, 100)])).is_err(), "{kind:?}");
        }
    }

    #[test]
    fn names_dialects_and_routing() {
        assert_eq!(HISMITH.name(), "hismith");
        assert_eq!(HISMITH_MINI.name(), "hismith-mini");
        for id in LEGACY_IDENTIFIERS {
            assert_eq!(HISMITH.dialect(Some(id)), Dialect::Legacy, "{id}");
            assert_eq!(definition_protocol(Some(id)), "hismith");
            assert_eq!(HISMITH_MINI.dialect(Some(id)), Dialect::Mini);
        }
        for id in [Some("1004"), Some("2201"), Some(""), None] {
            assert_eq!(HISMITH.dialect(id), Dialect::Mini, "{id:?}");
            assert_eq!(definition_protocol(id), "hismith-mini");
            assert_eq!(HISMITH.definition_protocol(id), "hismith-mini");
            assert_eq!(HISMITH_MINI.definition_protocol(id), "hismith-mini");
        }
        assert_eq!(HISMITH.definition_protocol(Some("1001")), "hismith");
        assert_eq!(identifier_from_model(&[0x10, 0x01]).as_deref(), Some("1001"));
        assert_eq!(identifier_from_model(&[0x22, 0x0a, 0xff]).as_deref(), Some("220aff"));
        assert_eq!(identifier_from_model(&[]), None);
    }

    fn hismith_hw() -> FakeHardware {
        FakeHardware::with_endpoints("HISMITH", "aa", &[Endpoint::Tx, Endpoint::RxBleModel])
    }

    #[tokio::test]
    async fn identify_reads_the_model() {
        let hw = hismith_hw();
        hw.set_read(Endpoint::RxBleModel, &[0x20, 0x01]);
        assert_eq!(HISMITH.identify(&hw, &Advertisement::named("HISMITH")).await.unwrap().as_deref(), Some("2001"));
        assert_eq!(hw.events(), vec![Event::Read(Endpoint::RxBleModel)]);

        let mini = FakeHardware::with_endpoints("Sinloli", "bb", &[Endpoint::Tx, Endpoint::RxBleModel]);
        mini.set_read(Endpoint::RxBleModel, &[0x22, 0x05]);
        assert_eq!(
            HISMITH_MINI.identify(&mini, &Advertisement::named("Sinloli")).await.unwrap().as_deref(),
            Some("2205")
        );

        mini.set_read(Endpoint::RxBleModel, &[]);
        assert_eq!(HISMITH_MINI.identify(&mini, &Advertisement::named("Sinloli")).await.unwrap(), None);
    }

    #[tokio::test]
    async fn identify_fails_without_the_model() {
        let bare = FakeHardware::with_endpoints("HISMITH", "aa", &[Endpoint::Tx]);
        assert_eq!(
            HISMITH.identify(&bare, &Advertisement::named("HISMITH")).await,
            Err(ProtocolError::Hardware(HardwareError::NoEndpoint(Endpoint::RxBleModel)))
        );
    }

    /// A device whose reads never answer.
    struct Mute(FakeHardware);

    impl Hardware for Mute {
        fn name(&self) -> &str {
            self.0.name()
        }
        fn address(&self) -> &str {
            self.0.address()
        }
        fn endpoints(&self) -> &[Endpoint] {
            self.0.endpoints()
        }
        fn write(&self, write: Write) -> BoxFuture<'_, Result<(), HardwareError>> {
            self.0.write(write)
        }
        fn read(&self, _endpoint: Endpoint) -> BoxFuture<'_, Result<Vec<u8>, HardwareError>> {
            Box::pin(std::future::pending())
        }
        fn subscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
            self.0.subscribe(endpoint)
        }
        fn unsubscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
            self.0.unsubscribe(endpoint)
        }
        fn notifications(&self) -> tokio::sync::broadcast::Receiver<crate::hardware::Notification> {
            self.0.notifications()
        }
        fn disconnect(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
            self.0.disconnect()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn identify_times_out_after_500_ms() {
        let hw = Mute(hismith_hw());
        let start = tokio::time::Instant::now();
        assert_eq!(
            HISMITH.identify(&hw, &Advertisement::named("HISMITH")).await,
            Err(ProtocolError::Timeout("the Hismith model number"))
        );
        assert_eq!(start.elapsed(), MODEL_READ_TIMEOUT);
    }

    #[tokio::test]
    async fn non_legacy_model_under_hismith_gets_the_mini_dialect() {
        let features = features(&[(Oscillate, 0, 100)]);
        let hw = hismith_hw();
        hw.set_read(Endpoint::RxBleModel, &[0x10, 0x04]);
        let identifier = HISMITH.identify(&hw, &Advertisement::named("HISMITH")).await.unwrap();
        assert_eq!(identifier.as_deref(), Some("1004"));
        let handler = HISMITH.initialize(&hw, identifier.as_deref(), &features).await.unwrap();
        let mut machine = Sim::new(handler, &features);
        assert_eq!(bytes(&machine.set(0, Oscillate, 10)), [[0xcc, 0x03, 0x0a, 0x0d]]);

        let legacy = HISMITH.initialize(&hw, Some("1001"), &features).await.unwrap();
        let mut machine = Sim::new(legacy, &features);
        assert_eq!(bytes(&machine.set(0, Oscillate, 10)), [[0xaa, 0x04, 0x0a, 0x0e]]);
    }

    #[tokio::test]
    async fn no_init_writes() {
        let features = features(&[(Oscillate, 0, 100), (Vibrate, 0, 1)]);
        for (protocol, id) in [(&HISMITH, "2001"), (&HISMITH_MINI, "2202")] {
            let hw = hismith_hw();
            let handler = protocol.initialize(&hw, Some(id), &features).await.unwrap();
            assert!(hw.events().is_empty(), "{} has no init", protocol.name());
            assert_eq!(handler.keepalive(), Keepalive::None);
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
        // Legacy (AA) models: the checksum is value + command.
        Vector::new(&HISMITH, Some("1001"), &[
            Set(&[(0, Oscillate, 50)], &[tx(&[0xaa, 0x04, 0x32, 0x36])]),
            Stop(&[tx(&[0xaa, 0x04, 0x00, 0x04])]),
        ]),
        // An on/off vibrator on feature 1, whose 0 is sent as f0.
        Vector::new(&HISMITH, Some("2001"), &[
            Set(&[(1, Vibrate, 1)], &[tx(&[0xaa, 0x06, 0x01, 0x07])]),
            Set(&[(0, Oscillate, 20)], &[tx(&[0xaa, 0x04, 0x14, 0x18])]),
            Stop(&[tx(&[0xaa, 0x04, 0x00, 0x04]), tx(&[0xaa, 0x06, 0xf0, 0xf6])]),
        ]),
        Vector::new(&HISMITH, Some("3001"), &[
            Set(&[(0, Vibrate, 77)], &[tx(&[0xaa, 0x04, 0x4d, 0x51])]),
            Stop(&[tx(&[0xaa, 0x04, 0x00, 0x04])]),
        ]),
        // Mini (CC) models.
        Vector::new(&HISMITH_MINI, Some("4001"), &[
            Set(&[(0, Oscillate, 60)], &[tx(&[0xcc, 0x03, 0x3c, 0x3f])]),
            Stop(&[tx(&[0xcc, 0x03, 0x00, 0x03])]),
        ]),
        Vector::new(&HISMITH_MINI, Some("2201"), &[
            Set(&[(0, Constrict, 40)], &[tx(&[0xcc, 0x03, 0x28, 0x2b])]),
            Set(&[(1, Vibrate, 100)], &[tx(&[0xcc, 0x05, 0x64, 0x69])]),
            Stop(&[tx(&[0xcc, 0x03, 0x00, 0x03]), tx(&[0xcc, 0x05, 0x00, 0x05])]),
        ]),
        Vector::new(&HISMITH_MINI, Some("3101"), &[
            Set(&[(0, Vibrate, 10)], &[tx(&[0xcc, 0x03, 0x0a, 0x0d])]),
            Set(&[(1, Vibrate, 11)], &[tx(&[0xcc, 0x05, 0x0b, 0x10])]),
            Stop(&[tx(&[0xcc, 0x03, 0x00, 0x03]), tx(&[0xcc, 0x05, 0x00, 0x05])]),
        ]),
        Vector::new(&HISMITH_MINI, Some("2204"), &[
            Set(&[(1, Constrict, 50)], &[tx(&[0xcc, 0x05, 0x32, 0x37])]),
            Set(&[(0, Oscillate, 50)], &[tx(&[0xcc, 0x03, 0x32, 0x35])]),
            Stop(&[tx(&[0xcc, 0x03, 0x00, 0x03]), tx(&[0xcc, 0x05, 0x00, 0x05])]),
        ]),
        // Rotation: the speed, then the direction.
        Vector::new(&HISMITH_MINI, Some("2205"), &[
            Set(&[(0, Rotate, 50)], &[tx(&[0xcc, 0x03, 0x32, 0x35]), tx(&[0xcc, 0x01, 0xc0, 0xc1])]),
            Set(&[(0, Rotate, -100)], &[tx(&[0xcc, 0x03, 0x64, 0x67]), tx(&[0xcc, 0x01, 0xc1, 0xc2])]),
            Stop(&[tx(&[0xcc, 0x03, 0x00, 0x03]), tx(&[0xcc, 0x01, 0xc0, 0xc1])]),
        ]),
        // Spray fires on a non-zero level; a stop must not fire it.
        Vector::new(&HISMITH_MINI, Some("4002"), &[
            Set(&[(0, Spray, 1)], &[tx(&[0xcc, 0x0b, 0x01, 0x0c])]),
            Stop(&[]),
        ]),
    ];
}
