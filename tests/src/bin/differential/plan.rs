//! What the client sends: for each output of each feature, as the server reports it, a short
//! sequence of OutputCmd values (up, a repeat, down, 0, up again) and a device StopCmd.

use serde_json::{json, Value};

/// One output of a device, from its v4 DeviceList entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub feature: u64,
    /// The v4 name: `Vibrate`, `Rotate`, …, `Position`, `HwPositionWithDuration`.
    pub kind: String,
    pub range: (i64, i64),
    pub duration: Option<(i64, i64)>,
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "f{} {} [{}, {}]", self.feature, self.kind, self.range.0, self.range.1)?;
        if let Some((lo, hi)) = self.duration {
            write!(f, " in [{lo}, {hi}] ms")?;
        }
        Ok(())
    }
}

/// Reads the outputs of the one device in a v4 DeviceList reply, and its name.
pub fn device_from_list(list: &Value) -> Option<(String, Vec<Output>)> {
    let devices = list["DeviceList"]["Devices"].as_object()?;
    let device = devices.values().next()?;
    let name = device["DeviceName"].as_str().unwrap_or("?").to_owned();
    let mut outputs = Vec::new();
    for feature in device["DeviceFeatures"].as_object().into_iter().flat_map(|f| f.values()) {
        let index = feature["FeatureIndex"].as_u64().unwrap_or(u64::MAX);
        for (kind, props) in feature["Output"].as_object().into_iter().flatten() {
            let Some(steps) = range(&props["Value"]) else { continue };
            outputs.push(Output {
                feature: index,
                kind: kind.clone(),
                range: steps,
                duration: range(&props["Duration"]),
            });
        }
    }
    outputs.sort_by(|a, b| (a.feature, &a.kind).cmp(&(b.feature, &b.kind)));
    Some((name, outputs))
}

fn range(value: &Value) -> Option<(i64, i64)> {
    match value {
        Value::Array(pair) if pair.len() == 2 => Some((pair[0].as_i64()?, pair[1].as_i64()?)),
        Value::Object(o) => Some((o.get("start")?.as_i64()?, o.get("end")?.as_i64()?)),
        _ => None,
    }
}

/// One message of the plan: a label for the report, and the message (name, body without Id).
pub struct Command {
    pub label: String,
    pub name: &'static str,
    pub body: Value,
}

/// The commands for one output on device `index`.
pub fn commands(index: u64, output: &Output) -> Vec<Command> {
    let (lo, hi) = output.range;
    let part = |n: i64, d: i64| (hi * n / d).max(1.min(hi));
    let f = output.feature;
    let value_cmd = |value: i64| Command {
        label: format!("f{f} {} {value}", output.kind),
        name: "OutputCmd",
        body: json!({"DeviceIndex": index, "FeatureIndex": f, "Command": {output.kind.as_str(): {"Value": value}}}),
    };
    let mut plan: Vec<Command> = match output.kind.as_str() {
        "HwPositionWithDuration" => {
            let (dlo, dhi) = output.duration.unwrap_or((0, 10_000));
            let ms = |d: i64| d.clamp(dlo, dhi);
            [(hi, ms(500)), (lo, ms(200)), (part(1, 2), ms(1000)), (part(1, 2), ms(1000)), (part(1, 4), ms(300))]
                .into_iter()
                .map(|(value, duration)| Command {
                    label: format!("f{f} {} {value} in {duration} ms", output.kind),
                    name: "OutputCmd",
                    body: json!({"DeviceIndex": index, "FeatureIndex": f,
                                 "Command": {"HwPositionWithDuration": {"Value": value, "Duration": duration}}}),
                })
                .collect()
        }
        "Position" => [lo, part(1, 4), hi, hi, part(1, 2), lo].into_iter().map(value_cmd).collect(),
        // Two-way outputs (a rotator with a direction): both directions too.
        _ if lo < 0 => {
            [part(1, 4), part(1, 2), -part(1, 2), -hi, hi, 0, part(1, 2)].into_iter().map(value_cmd).collect()
        }
        _ => [part(1, 4), part(1, 2), hi, hi, part(1, 3), 0, part(1, 2)].into_iter().map(value_cmd).collect(),
    };
    plan.push(Command {
        label: format!("f{f} {} then StopCmd", output.kind),
        name: "StopCmd",
        body: json!({"DeviceIndex": index}),
    });
    plan
}
