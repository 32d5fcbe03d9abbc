//! Which protocols might drive a device that a transport has found.
//!
//! Rules (docs/architecture.md, Devices): a BLE advertisement matches a protocol if a name is equal, or a
//! `*`-terminated name (on either side) is a prefix of the other; or a manufacturer-data
//! rule matches (same company; if either side has no bytes that is enough, equal lengths
//! must be equal, otherwise the shorter must occur as a contiguous run in the longer); or
//! the advertised service sets intersect. GATT services are not used for matching. A serial
//! port matches by port name (user bindings only); a websocket device by its identifier.
//! User specifiers come before database ones.
//!
//! When several database protocols match one advertisement, the most specific match is tried
//! first ([`BleMatch`]): an exact name, then an advertised service or manufacturer data, then a
//! name pattern; protocols that match equally well keep the database's order (by name). Two
//! overlaps in the reference database need this: an Adrien Lastic toy is named `LVS-S001`
//! (Lovense's `LVS-*` pattern) but advertises its own service, and the Magic Motion Lilac's
//! exact name `FM-LILAC-101` also fits fmachine's `FM-*`. The reference tries matching
//! protocols in no fixed order.

use std::collections::BTreeSet;

use super::common::{BleIdentify, ManufacturerData, SerialSettings};
use super::database::Database;
use super::json::normalize_uuid;
use super::user::UserConfig;

/// What a BLE advertisement tells about a device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BleAdvertisement {
    pub name: String,
    /// Company id and bytes, as advertised.
    pub manufacturer_data: Vec<(u16, Vec<u8>)>,
    /// Advertised service UUIDs (any case).
    pub services: Vec<String>,
}

/// A device a transport has found, as far as matching is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovered {
    Ble(BleAdvertisement),
    Serial { port: String },
    Websocket { identifier: String },
}

/// Where a candidate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchSource {
    User,
    Database,
}

/// A protocol that may drive the device; try candidates in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub protocol: String,
    pub source: MatchSource,
    /// For serial ports: how to open the port.
    pub serial: Option<SerialSettings>,
}

/// Whether two BLE names match: equal, or one ends in `*` and the rest of it is a prefix of
/// the other.
pub fn ble_names_match(a: &str, b: &str) -> bool {
    fn prefix_of(pattern: &str, name: &str) -> bool {
        pattern.strip_suffix('*').is_some_and(|prefix| name.starts_with(prefix))
    }
    a == b || prefix_of(a, b) || prefix_of(b, a)
}

/// Whether two manufacturer-data byte strings match (`None`: no bytes given).
pub fn manufacturer_bytes_match(a: Option<&[u8]>, b: Option<&[u8]>) -> bool {
    match (a, b) {
        (None, _) | (_, None) => true,
        (Some(a), Some(b)) if a.len() == b.len() => a == b,
        (Some(a), Some(b)) => {
            let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
            short.is_empty() || long.windows(short.len()).any(|window| window == short)
        }
    }
}

/// Whether a manufacturer-data rule matches advertised data.
pub fn manufacturer_data_matches(rule: &ManufacturerData, company: u16, data: &[u8]) -> bool {
    rule.company == company && manufacturer_bytes_match(rule.data.as_deref(), Some(data))
}

/// How an advertisement matched a protocol's BLE rules, most specific first (the order in
/// which candidates are tried).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BleMatch {
    /// The advertised name equals one of the protocol's names.
    ExactName,
    /// An advertised service or the manufacturer data: what the hardware says it is.
    Advertised,
    /// The name fits one of the protocol's `*` patterns (or the advertised name is a pattern).
    NamePattern,
}

/// Whether an advertisement matches a protocol's BLE rules.
pub fn ble_matches(rule: &BleIdentify, advertisement: &BleAdvertisement) -> bool {
    ble_match(rule, advertisement).is_some()
}

/// The most specific way an advertisement matches a protocol's BLE rules, if any does.
pub fn ble_match(rule: &BleIdentify, advertisement: &BleAdvertisement) -> Option<BleMatch> {
    let name = advertisement.name.as_str();
    if !name.is_empty() && rule.names.iter().any(|known| known == name) {
        return Some(BleMatch::ExactName);
    }
    let manufacturer = rule.manufacturer_data.iter().any(|rule| {
        advertisement.manufacturer_data.iter().any(|(company, data)| manufacturer_data_matches(rule, *company, data))
    });
    let service = advertisement.services.iter().any(|service| {
        let service = normalize_uuid(service).unwrap_or_else(|| service.to_ascii_lowercase());
        rule.advertised_services.contains(&service)
    });
    if manufacturer || service {
        return Some(BleMatch::Advertised);
    }
    let pattern = !name.is_empty() && rule.names.iter().any(|pattern| ble_names_match(pattern, name));
    pattern.then_some(BleMatch::NamePattern)
}

/// The protocols that may drive `found`, user specifiers first, each protocol once.
pub fn candidates(database: &Database, user: &UserConfig, found: &Discovered) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push = |out: &mut Vec<Candidate>, protocol: &str, source: MatchSource, serial: Option<SerialSettings>| {
        if database.protocol(protocol).is_some() && seen.insert(protocol.to_string()) {
            out.push(Candidate { protocol: protocol.to_string(), source, serial });
        }
    };
    match found {
        Discovered::Ble(advertisement) => {
            let mut matched: Vec<(BleMatch, &str)> = database
                .protocols()
                .filter_map(|protocol| {
                    let how = ble_match(protocol.identify.ble.as_ref()?, advertisement)?;
                    Some((how, protocol.name.as_str()))
                })
                .collect();
            // Stable: equally specific matches keep the database's order.
            matched.sort_by_key(|&(how, _)| how);
            for (_, protocol) in matched {
                push(&mut out, protocol, MatchSource::Database, None);
            }
        }
        Discovered::Serial { port } => {
            for binding in user.serial_ports.iter().filter(|binding| binding.port == *port) {
                let base = database.protocol(&binding.protocol).and_then(|p| p.identify.serial).unwrap_or_default();
                push(&mut out, &binding.protocol, MatchSource::User, Some(binding.settings.apply_to(base)));
            }
        }
        Discovered::Websocket { identifier } => {
            for binding in user.websocket_devices.iter().filter(|binding| binding.identifier == *identifier) {
                push(&mut out, &binding.protocol, MatchSource::User, None);
            }
            for protocol in database.protocols() {
                if protocol.identify.websocket_names.iter().any(|name| name == identifier) {
                    push(&mut out, &protocol.name, MatchSource::Database, None);
                }
            }
        }
    }
    out
}

/// The user config's bindings (serial ports, websocket devices) to a protocol the device
/// database does not have, one sentence each. Such a device can never connect, and a binding
/// is matched only when its device turns up, so without this a misspelt protocol name would
/// fail silently; front ends log these at start.
pub fn bindings_to_unknown_protocols(user: &UserConfig, database: &Database) -> Vec<String> {
    let unknown = |protocol: &str| database.protocol(protocol).is_none();
    let serial = user.serial_ports.iter().filter(|binding| unknown(&binding.protocol)).map(|binding| {
        format!(
            "serial port {:?} is bound to protocol {:?}, which the device database does not have",
            binding.port, binding.protocol
        )
    });
    let websocket = user.websocket_devices.iter().filter(|binding| unknown(&binding.protocol)).map(|binding| {
        format!(
            "websocket device {:?} is bound to protocol {:?}, which the device database does not have",
            binding.identifier, binding.protocol
        )
    });
    serial.chain(websocket).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::database::Parity;
    use crate::config::user::{SerialBinding, SerialOverrides, WebsocketBinding};

    #[test]
    fn bindings_to_a_protocol_the_database_lacks_are_named() {
        let db = Database::builtin().unwrap();
        let mut user = UserConfig::default();
        user.websocket_devices.push(WebsocketBinding { identifier: "FakeHush".into(), protocol: "lovense".into() });
        user.websocket_devices.push(WebsocketBinding { identifier: "Typo".into(), protocol: "lovnese".into() });
        user.serial_ports.push(SerialBinding {
            port: "/dev/ttyUSB0".into(),
            protocol: "tcode-v03".into(),
            settings: SerialOverrides::default(),
        });
        user.serial_ports.push(SerialBinding {
            port: "/dev/ttyACM0".into(),
            protocol: "tcode".into(),
            settings: SerialOverrides::default(),
        });
        assert_eq!(
            bindings_to_unknown_protocols(&user, &db),
            [
                r#"serial port "/dev/ttyACM0" is bound to protocol "tcode", which the device database does not have"#,
                r#"websocket device "Typo" is bound to protocol "lovnese", which the device database does not have"#,
            ]
        );
        user.websocket_devices.pop();
        user.serial_ports.pop();
        assert!(bindings_to_unknown_protocols(&user, &db).is_empty());
    }

    #[test]
    fn name_rules() {
        let table: &[(&str, &str, bool)] = &[
            ("LVS-Z36", "LVS-Z36", true),
            ("LVS-*", "LVS-Z36", true),
            ("LVS-Z36", "LVS-*", true),
            ("LVS-*", "LVS-", true),
            ("LVS-*", "LVS", false),
            ("LVS-*", "lvs-Z36", false),
            ("LVS-Z36", "LVS-Z3", false),
            ("SF *", "SF Curvy 2+", true),
            ("SF *", "SFCurvy", false),
            ("Cougar", "Cougar ", false),
            ("A*", "B*", false),
            ("AB*", "A*", true),
        ];
        for (a, b, expected) in table {
            assert_eq!(ble_names_match(a, b), *expected, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn manufacturer_data_rules() {
        let rule = |data: Option<&[u8]>| ManufacturerData { company: 93, data: data.map(<[u8]>::to_vec) };
        type Row<'a> = (Option<&'a [u8]>, u16, &'a [u8], bool);
        let table: &[Row] = &[
            (None, 93, &[1, 2, 3], true),
            (None, 94, &[1, 2, 3], false),
            (Some(&[0, 0, 39]), 93, &[0, 0, 39, 21], true),
            (Some(&[0, 0, 39]), 93, &[0, 0, 40, 21], false),
            (Some(&[0, 39]), 93, &[0, 0, 39, 21], true),
            (Some(&[39, 21]), 93, &[0, 0, 39, 21], true),
            (Some(&[0, 21]), 93, &[0, 0, 39, 21], false),
            (Some(&[0, 0, 39, 21]), 93, &[0, 0, 39, 21], true),
            (Some(&[0, 0, 39, 22]), 93, &[0, 0, 39, 21], false),
            (Some(&[0, 0, 39, 21, 7]), 93, &[39, 21], true),
            (Some(&[255, 33]), 93, &[], true),
            (Some(&[255, 33]), 94, &[255, 33], false),
        ];
        for (data, company, advertised, expected) in table {
            assert_eq!(
                manufacturer_data_matches(&rule(*data), *company, advertised),
                *expected,
                "{data:?} vs {company} {advertised:?}"
            );
        }
    }

    fn ad(name: &str, mfr: &[(u16, &[u8])], services: &[&str]) -> BleAdvertisement {
        BleAdvertisement {
            name: name.to_string(),
            manufacturer_data: mfr.iter().map(|(c, d)| (*c, d.to_vec())).collect(),
            services: services.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn ble_rules_table() {
        let rule = BleIdentify {
            names: vec!["LVS-*".into(), "Exact".into()],
            manufacturer_data: vec![ManufacturerData { company: 620, data: Some(vec![255, 33]) }],
            advertised_services: vec!["5a300001-0023-4bd4-bbd5-a6920e4c5653".into()],
        };
        let table: &[(BleAdvertisement, bool)] = &[
            (ad("LVS-Z36", &[], &[]), true),
            (ad("Exact", &[], &[]), true),
            (ad("Exactly", &[], &[]), false),
            (ad("", &[(620, &[1, 255, 33, 4])], &[]), true),
            (ad("", &[(620, &[255, 34])], &[]), false),
            (ad("Other", &[], &["5A300001-0023-4BD4-BBD5-A6920E4C5653"]), true),
            (ad("Other", &[], &["0000fff0-0000-1000-8000-00805f9b34fb"]), false),
            (ad("", &[], &[]), false),
        ];
        for (advertisement, expected) in table {
            assert_eq!(ble_matches(&rule, advertisement), *expected, "{advertisement:?}");
        }
        // An empty name never matches a wildcard-less or wildcard rule by itself.
        let star = BleIdentify { names: vec!["A*".into()], ..BleIdentify::default() };
        assert!(!ble_matches(&star, &ad("", &[], &[])));
    }

    #[test]
    fn candidates_from_the_builtin_database() {
        let db = Database::builtin().unwrap();
        let user = UserConfig::default();
        let names =
            |found: Discovered| candidates(&db, &user, &found).into_iter().map(|c| c.protocol).collect::<Vec<_>>();
        assert_eq!(names(Discovered::Ble(ad("LVS-Z36", &[], &[]))), ["lovense"]);
        assert_eq!(names(Discovered::Ble(ad("", &[(620, &[255, 33, 0])], &[]))), ["lovense"]);
        assert_eq!(names(Discovered::Ble(ad("SF Curvy", &[], &[]))), ["satisfyer"]);
        assert_eq!(names(Discovered::Ble(ad("", &[(93, &[0, 0, 40, 1])], &[]))), ["satisfyer"]);
        assert_eq!(names(Discovered::Ble(ad("Cougar", &[], &[]))), ["wevibe"]);
        assert_eq!(names(Discovered::Ble(ad("Chorus", &[], &[]))), ["wevibe-chorus"]);
        assert!(names(Discovered::Ble(ad("Something", &[], &[]))).is_empty());
        // Serial ports and websocket identifiers need a user binding.
        assert!(names(Discovered::Serial { port: "/dev/ttyUSB0".into() }).is_empty());
        assert!(names(Discovered::Websocket { identifier: "LVS-Z36".into() }).is_empty());
    }

    #[test]
    fn the_most_specific_match_is_tried_first() {
        let protocol = |name: &str, ble: &str| {
            format!(
                r#""{name}": {{"identify": {{"ble": {ble}}},
                    "endpoints": {{"0000fff0-0000-1000-8000-00805f9b34fb": {{"tx": "0000fff1-0000-1000-8000-00805f9b34fb"}}}},
                    "defaults": {{"name": "{name}", "features": [{{"outputs": [{{"type": "vibrate", "range": [0, 1]}}]}}]}}}}"#
            )
        };
        let service = "0000abcd-0000-1000-8000-00805f9b34fb";
        let text = format!(
            r#"{{"version": {{"major": 1}}, "protocols": {{{}, {}, {}, {}}}}}"#,
            protocol("a-pattern", r#"{"names": ["FM-*"]}"#),
            protocol("b-service", &format!(r#"{{"names": ["Nothing"], "advertised_services": ["{service}"]}}"#)),
            protocol("c-maker", r#"{"names": ["Nothing"], "manufacturer_data": [{"company": 7}]}"#),
            protocol("d-exact", r#"{"names": ["FM-LILAC-101"]}"#),
        );
        let db = Database::from_json_str(&text, "t").unwrap_or_else(|error| panic!("{error}"));
        let user = UserConfig::default();
        let names = |found: BleAdvertisement| -> Vec<String> {
            candidates(&db, &user, &Discovered::Ble(found)).into_iter().map(|c| c.protocol).collect()
        };
        assert_eq!(
            names(ad("FM-LILAC-101", &[(7, &[1])], &[service])),
            ["d-exact", "b-service", "c-maker", "a-pattern"],
            "exact name, then advertised (equals in database order), then pattern"
        );
        assert_eq!(names(ad("FM-LILAC-101", &[], &[])), ["d-exact", "a-pattern"]);
        assert_eq!(names(ad("FM-2", &[(7, &[])], &[])), ["c-maker", "a-pattern"]);
        let rule = db.protocol("a-pattern").unwrap().identify.ble.as_ref().unwrap();
        assert_eq!(ble_match(rule, &ad("FM-2", &[], &[])), Some(BleMatch::NamePattern));
        assert_eq!(ble_match(rule, &ad("XM-2", &[], &[])), None);
    }

    /// An Adrien Lastic is named like a Lovense (`LVS-S001`) and both protocols list the Nordic
    /// UART service; it advertises a service of its own, which puts `adrienlastic` first, so it
    /// is not asked Lovense's `DeviceType;`.
    #[test]
    fn an_adrien_lastic_is_tried_before_lovense() {
        let db = Database::builtin().unwrap();
        let user = UserConfig::default();
        let names =
            |found: Discovered| candidates(&db, &user, &found).into_iter().map(|c| c.protocol).collect::<Vec<_>>();
        let adrien = "00001320-0000-1000-8000-00805f9b34fb";
        let nordic_uart = "6E400001-B5A3-F393-E0A9-E50E24DCCA9E";
        for model in ["LVS-S001", "LVS-S002"] {
            assert_eq!(names(Discovered::Ble(ad(model, &[], &[adrien]))), ["adrienlastic", "lovense"]);
            assert_eq!(names(Discovered::Ble(ad(model, &[], &[nordic_uart, adrien]))), ["adrienlastic", "lovense"]);
        }
        // A Lovense is never taken for one.
        assert_eq!(names(Discovered::Ble(ad("LVS-S001", &[], &[]))), ["lovense"]);
        assert_eq!(names(Discovered::Ble(ad("LVS-Z36", &[(620, &[255, 33])], &[nordic_uart]))), ["lovense"]);
    }

    #[test]
    fn user_bindings_match_serial_ports_and_websocket_identifiers() {
        let db = Database::builtin().unwrap();
        let mut user = UserConfig::default();
        user.serial_ports.push(SerialBinding {
            port: "/dev/pts/7".into(),
            protocol: "tcode-v03".into(),
            settings: SerialOverrides { baud_rate: Some(9600), parity: Some(Parity::Even), ..Default::default() },
        });
        user.serial_ports.push(SerialBinding {
            port: "/dev/pts/7".into(),
            protocol: "unknown-proto".into(),
            settings: Default::default(),
        });
        user.websocket_devices.push(WebsocketBinding { identifier: "FakeHush".into(), protocol: "lovense".into() });
        user.websocket_devices.push(WebsocketBinding { identifier: "FakeHush".into(), protocol: "lovense".into() });
        let serial = candidates(&db, &user, &Discovered::Serial { port: "/dev/pts/7".into() });
        assert_eq!(serial.len(), 1, "unknown protocols are skipped");
        assert_eq!(serial[0].protocol, "tcode-v03");
        assert_eq!(serial[0].source, MatchSource::User);
        assert_eq!(
            serial[0].serial,
            Some(SerialSettings { baud_rate: 9600, data_bits: 8, stop_bits: 1, parity: Parity::Even })
        );
        assert!(candidates(&db, &user, &Discovered::Serial { port: "/dev/pts/8".into() }).is_empty());
        let ws = candidates(&db, &user, &Discovered::Websocket { identifier: "FakeHush".into() });
        assert_eq!(ws, vec![Candidate { protocol: "lovense".into(), source: MatchSource::User, serial: None }]);
    }

    #[test]
    fn user_specifiers_come_first() {
        let text = r#"{"version": {"major": 1}, "protocols": {
            "a-proto": {"identify": {"websocket": {"names": ["Toy"]}}, "defaults": {"name": "A", "features": [{"outputs": [{"type": "vibrate", "range": [0, 1]}]}]}},
            "b-proto": {"identify": {"websocket": {"names": ["Toy"]}}, "defaults": {"name": "B", "features": [{"outputs": [{"type": "vibrate", "range": [0, 1]}]}]}}}}"#;
        let db = Database::from_json_str(text, "t").unwrap();
        let mut user = UserConfig::default();
        user.websocket_devices.push(WebsocketBinding { identifier: "Toy".into(), protocol: "b-proto".into() });
        let found = candidates(&db, &user, &Discovered::Websocket { identifier: "Toy".into() });
        let order: Vec<_> = found.iter().map(|c| (c.protocol.as_str(), c.source)).collect();
        assert_eq!(order, [("b-proto", MatchSource::User), ("a-proto", MatchSource::Database)]);
    }
}
