//! What the client does, in order:
//!
//! 1. each output alone: a short sequence of OutputCmd values (up, a repeat, down, 0, up again)
//!    and a device StopCmd;
//! 2. every output running at once, each at a level of its own, then a stop; four times, one
//!    kind of stop each time: StopCmd for the device, StopCmd for one feature, StopCmd for every
//!    device (spec v4's StopAllDevices), and last the client disconnecting. Every output is set
//!    running again before each stop.

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

impl Output {
    /// Whether a stop sets this output to 0 (positions stay where they are).
    pub fn stops(&self) -> bool {
        !matches!(self.kind.as_str(), "Position" | "HwPositionWithDuration")
    }

    /// The value `n` parts of `d` up the range (at least 1 step where the range has one).
    fn part(&self, n: i64, d: i64) -> i64 {
        let hi = self.range.1;
        (hi * n / d).max(1.min(hi))
    }
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

/// The fields of the one device's v4 DeviceList entry that the comparison reports apart from
/// the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub message_gap: Option<u64>,
    /// Every feature: its index, outputs with their ranges, and inputs with their commands.
    pub features: Vec<String>,
    pub outputs: Vec<Output>,
}

/// Reads the one device of a v4 DeviceList reply: its index and entry.
pub fn device_from_list(list: &Value) -> Option<(u64, Entry)> {
    let devices = list["DeviceList"]["Devices"].as_object()?;
    let device = devices.values().next()?;
    let index = device["DeviceIndex"].as_u64()?;
    let name = device["DeviceName"].as_str().unwrap_or("?").to_owned();
    let message_gap = device["DeviceMessageTimingGap"].as_u64();
    let mut outputs = Vec::new();
    let mut features = Vec::new();
    for feature in device["DeviceFeatures"].as_object().into_iter().flat_map(|f| f.values()) {
        let feature_index = feature["FeatureIndex"].as_u64().unwrap_or(u64::MAX);
        let mut parts = Vec::new();
        for (kind, props) in feature["Output"].as_object().into_iter().flatten() {
            let Some(steps) = range(&props["Value"]) else { continue };
            let output = Output {
                feature: feature_index,
                kind: kind.clone(),
                range: steps,
                duration: range(&props["Duration"]),
            };
            parts.push(output.to_string());
            outputs.push(output);
        }
        for (kind, props) in feature["Input"].as_object().into_iter().flatten() {
            parts.push(format!("f{feature_index} {kind} input {}", props["Command"]));
        }
        parts.sort();
        features.push(format!("f{feature_index}: {}", parts.join(", ")));
    }
    features.sort();
    outputs.sort_by(|a, b| (a.feature, &a.kind).cmp(&(b.feature, &b.kind)));
    Some((index, Entry { name, message_gap, features, outputs }))
}

fn range(value: &Value) -> Option<(i64, i64)> {
    match value {
        Value::Array(pair) if pair.len() == 2 => Some((pair[0].as_i64()?, pair[1].as_i64()?)),
        Value::Object(o) => Some((o.get("start")?.as_i64()?, o.get("end")?.as_i64()?)),
        _ => None,
    }
}

/// One step of the plan: a label for the report, and what the client does.
pub struct Step {
    pub label: String,
    pub action: Action,
}

pub enum Action {
    /// Send the message (name, body without Id) and wait for its reply.
    Send { name: &'static str, body: Value },
    /// Close the connection (a websocket Close, then the socket).
    Disconnect,
}

impl Step {
    fn send(label: String, name: &'static str, body: Value) -> Step {
        Step { label, action: Action::Send { name, body } }
    }
}

/// The whole plan for device `index` with these outputs.
pub fn steps(index: u64, outputs: &[Output]) -> Vec<Step> {
    let mut plan: Vec<Step> = outputs.iter().flat_map(|output| alone(index, output)).collect();
    // The feature a feature-wide StopCmd stops: the first with an output that stops.
    let feature = outputs.iter().find(|o| o.stops()).or(outputs.first()).map_or(0, |o| o.feature);
    let stops = [
        Step::send("StopCmd for the device".to_owned(), "StopCmd", json!({"DeviceIndex": index})),
        Step::send(
            format!("StopCmd for feature {feature}"),
            "StopCmd",
            json!({"DeviceIndex": index, "FeatureIndex": feature}),
        ),
        // Spec v4's StopAllDevices: a StopCmd without a device.
        Step::send("StopCmd for every device (StopAllDevices)".to_owned(), "StopCmd", json!({})),
        Step { label: "the client disconnects".to_owned(), action: Action::Disconnect },
    ];
    for stop in stops {
        plan.extend(all_running(index, outputs, &stop.label));
        plan.push(stop);
    }
    plan
}

/// The commands for one output alone, ending with a device StopCmd.
fn alone(index: u64, output: &Output) -> Vec<Step> {
    let (lo, hi) = output.range;
    let part = |n: i64, d: i64| output.part(n, d);
    let f = output.feature;
    let mut plan: Vec<Step> = match output.kind.as_str() {
        "HwPositionWithDuration" => {
            let (dlo, dhi) = output.duration.unwrap_or((0, 10_000));
            let ms = |d: i64| d.clamp(dlo, dhi);
            [(hi, ms(500)), (lo, ms(200)), (part(1, 2), ms(1000)), (part(1, 2), ms(1000)), (part(1, 4), ms(300))]
                .into_iter()
                .map(|(value, duration)| move_to(index, output, value, duration, String::new()))
                .collect()
        }
        "Position" => [lo, part(1, 4), hi, hi, part(1, 2), lo]
            .into_iter()
            .map(|value| set(index, output, value, String::new()))
            .collect(),
        // Two-way outputs (a rotator with a direction): both directions too.
        _ if lo < 0 => [part(1, 4), part(1, 2), -part(1, 2), -hi, hi, 0, part(1, 2)]
            .into_iter()
            .map(|value| set(index, output, value, String::new()))
            .collect(),
        _ => [part(1, 4), part(1, 2), hi, hi, part(1, 3), 0, part(1, 2)]
            .into_iter()
            .map(|value| set(index, output, value, String::new()))
            .collect(),
    };
    plan.push(Step::send(format!("f{f} {} then StopCmd", output.kind), "StopCmd", json!({"DeviceIndex": index})));
    plan
}

/// Every output set running, each at a level of its own, one command each.
fn all_running(index: u64, outputs: &[Output], before: &str) -> Vec<Step> {
    let count = outputs.len() as i64;
    outputs
        .iter()
        .enumerate()
        .map(|(n, output)| {
            let value = output.part(n as i64 + 1, count + 1);
            let context = format!("all running before {before}: ");
            match output.kind.as_str() {
                "HwPositionWithDuration" => {
                    let (dlo, dhi) = output.duration.unwrap_or((0, 10_000));
                    move_to(index, output, value, 700.clamp(dlo, dhi), context)
                }
                _ => set(index, output, value, context),
            }
        })
        .collect()
}

fn set(index: u64, output: &Output, value: i64, context: String) -> Step {
    let f = output.feature;
    Step::send(
        format!("{context}f{f} {} {value}", output.kind),
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": f, "Command": {output.kind.as_str(): {"Value": value}}}),
    )
}

fn move_to(index: u64, output: &Output, value: i64, duration: i64, context: String) -> Step {
    let f = output.feature;
    Step::send(
        format!("{context}f{f} {} {value} in {duration} ms", output.kind),
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": f,
               "Command": {"HwPositionWithDuration": {"Value": value, "Duration": duration}}}),
    )
}
