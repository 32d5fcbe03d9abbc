//! The `user_config` fuzz target's property, shared with the corpus replay test in
//! plugboard-devices (`tests/fuzz_corpus.rs` includes this file).
//!
//! Any text as a user config, read as Plugboard's own format and as Intiface's: nothing panics,
//! a config that loads is written in Plugboard's format and reads back equal with no warning,
//! a new device gets an index no other device has, and no output limit lets a command reach
//! past the hardware's range.

use plugboard_devices::config::intiface::read_intiface_str;
use plugboard_devices::config::{detect_kind, UserConfig};
use plugboard_protocol::model::Range;

/// Output ranges of real devices, and the extremes a device database may give.
const BASE_RANGES: [Range; 6] = [
    Range::new(0, 20),
    Range::new(-100, 100),
    Range::new(0, 0),
    Range::new(0, 1000),
    Range::new(-20, -1),
    Range::new(i32::MIN, i32::MAX),
];

/// Runs every check on one input. Panics when a property does not hold.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = detect_kind(&value);
    }
    if let Ok((config, warnings)) = UserConfig::from_json_str(text, "fuzz.json") {
        for warning in &warnings {
            let _ = warning.to_string();
        }
        round_trip(config);
    }
    if let Ok((config, warnings)) = read_intiface_str(text, "intiface.json") {
        for warning in &warnings {
            let _ = warning.to_string();
        }
        round_trip(config);
    }
}

fn round_trip(mut config: UserConfig) {
    let written = config.to_json_string();
    let (again, warnings) = UserConfig::from_json_str(&written, "written.json")
        .unwrap_or_else(|error| panic!("the written user config does not load: {error}\n{written}"));
    assert!(warnings.is_empty(), "the written user config has warnings: {warnings:?}\n{written}");
    assert_eq!(again, config, "the user config changed when written:\n{written}");
    let addresses: Vec<String> = config.devices.keys().cloned().collect();
    for address in &addresses {
        let _ = config.address_decision(address);
    }
    for output in config.devices.values().flat_map(|device| &device.outputs) {
        for base in BASE_RANGES {
            let range = output.hardware_range(base);
            assert!(
                0 <= range.min && range.min <= range.max && range.max <= base.max.max(0),
                "limit {:?} on {base:?} gives {range:?}",
                output.limit
            );
        }
    }
    let fresh = format!("{}-new", addresses.iter().map(String::as_str).max().unwrap_or("device"));
    let index = config.assign_index(&fresh, "lovense", Some("X"));
    let others = config.devices.iter().filter(|(address, _)| **address != fresh);
    assert!(others.into_iter().all(|(_, device)| device.index != Some(index)), "index {index} given twice");
    assert_eq!(config.assign_index(&fresh, "lovense", None), index, "a second call gave another index");
}
