//! How the REST API shows devices and readings in JSON. A device has the shape
//! intiface-engine's REST API gives it (`index`, `name`, `display_name`, `features` keyed by
//! feature index), and each feature the shape of a spec v4 DeviceList feature, so scripts
//! written for either read it.

use std::collections::BTreeMap;

use plugboard_protocol::convert::device_v4;
use plugboard_protocol::model::{DeviceInfo, Feature, InputType, OutputType, Range, Reading};
use serde_json::{json, Value};

/// One device.
pub fn device(device: &DeviceInfo) -> Value {
    json!({
        "index": device.index,
        "name": device.name,
        "display_name": device.display_name,
        "features": features(device),
    })
}

/// Devices keyed by index.
pub fn devices(devices: &[DeviceInfo]) -> Value {
    let map: BTreeMap<String, Value> = devices.iter().map(|d| (d.index.to_string(), device(d))).collect();
    json!(map)
}

/// A device's features keyed by feature index.
pub fn features(device: &DeviceInfo) -> Value {
    serde_json::to_value(device_v4(device).device_features).unwrap_or(Value::Null)
}

/// One feature of a device.
pub fn feature(device: &DeviceInfo, feature: &Feature) -> Value {
    let all = features(device);
    all.get(feature.index.to_string()).cloned().unwrap_or_else(|| {
        // A feature with neither outputs nor inputs is left out of v4 lists; show it bare.
        json!({"FeatureIndex": feature.index, "FeatureDescription": feature.description})
    })
}

/// An output's level as a fraction of its range (0.0 to 1.0; -1.0 to 1.0 where the range
/// goes below zero, such as a rotation's direction).
pub fn level(steps: i32, range: Range) -> f64 {
    let top = if steps < 0 { range.min.unsigned_abs() } else { range.max.unsigned_abs() };
    if top == 0 {
        return 0.0;
    }
    f64::from(steps) / f64::from(top)
}

/// One output's state: its type, its steps and its level.
pub fn output(device: u32, feature: u32, kind: OutputType, steps: i32, range: Option<Range>) -> Value {
    json!({
        "device": device,
        "feature": feature,
        "type": kind.v4_name(),
        "steps": steps,
        "level": range.map(|range| level(steps, range)),
    })
}

/// One reading of an input.
pub fn reading(device: u32, feature: u32, kind: InputType, reading: Reading) -> Value {
    let value = match reading {
        Reading::Battery(percent) => json!(percent),
        Reading::Rssi(dbm) => json!(dbm),
        Reading::Button(pressed) => json!(pressed),
        Reading::Pressure(pressure) => json!(pressure),
    };
    let unit = match reading {
        Reading::Battery(_) => Some("percent"),
        Reading::Rssi(_) => Some("dBm"),
        Reading::Button(_) | Reading::Pressure(_) => None,
    };
    json!({"device": device, "feature": feature, "type": input_name(kind), "value": value, "unit": unit})
}

/// The name of an input type in paths and answers.
pub fn input_name(kind: InputType) -> &'static str {
    match kind {
        InputType::Battery => "Battery",
        InputType::Rssi => "RSSI",
        InputType::Button => "Button",
        InputType::Pressure => "Pressure",
        InputType::Depth => "Depth",
        InputType::Position => "Position",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_fractions_of_the_range_on_either_side_of_zero() {
        assert_eq!(level(10, Range::new(0, 20)), 0.5);
        assert_eq!(level(20, Range::new(0, 20)), 1.0);
        assert_eq!(level(-5, Range::new(-20, 20)), -0.25);
        assert_eq!(level(0, Range::new(0, 0)), 0.0);
    }
}
