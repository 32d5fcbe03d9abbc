//! The Lovense API's request reader against input it was not written for, in `make test`:
//!
//! - the `lovense_request` fuzz corpus (`fuzz/corpus/lovense_request/`) and its crash
//!   regressions, replayed through the target's own checks (fuzz/README.md);
//! - a property test that builds requests the way sloppy apps write them (every command, every
//!   field, numbers as text, levels and times far out of range, rules and strength lists of any
//!   length, ids as lists) and puts each through the same checks, as a body of `POST /command`
//!   and as an older GET line.

#[path = "../../../fuzz/checks/lovense_request.rs"]
mod checks;
#[path = "../../../fuzz/replay.rs"]
mod replay;

use proptest::prelude::*;
use serde_json::{Map, Value};

#[test]
fn lovense_request_corpus() {
    replay::replay(env!("CARGO_MANIFEST_DIR"), "lovense_request", checks::check);
}

/// A number as apps send one: in range, at the edges, far out, negative, fractional, or text.
fn number() -> impl Strategy<Value = Value> {
    let edges = prop_oneof![
        Just(0.0),
        Just(1.0),
        Just(20.0),
        Just(21.0),
        Just(100.0),
        Just(-1.0),
        Just(0.0001),
        Just(1e300),
        Just(-1e300),
        Just(18_446_744_073_709_551_615.0),
    ];
    prop_oneof![
        edges.prop_map(Value::from),
        (-1000.0..1e6f64).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "-?[0-9]{0,25}(\\.[0-9]{0,4})?".prop_map(Value::from),
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
    ]
}

/// Any other value a field may wrongly hold.
fn anything() -> impl Strategy<Value = Value> {
    prop_oneof![
        number(),
        "\\PC{0,12}".prop_map(Value::from),
        prop::collection::vec("[a-f0-9 ]{0,14}".prop_map(Value::from), 0..4).prop_map(Value::Array),
        Just(Value::Object(Map::new())),
    ]
}

/// `Name:level` lists, mostly of real function names.
fn action() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        Just("Vibrate"),
        Just("vibrate1"),
        Just("Vibrate2"),
        Just("Vibrate3"),
        Just("Rotate"),
        Just("Pump"),
        Just("Thrusting"),
        Just("Fingering"),
        Just("Suction"),
        Just("Oscillate"),
        Just("Depth"),
        Just("Stroke"),
        Just("Position"),
        Just("All"),
        Just("Stop"),
        Just("Wiggle"),
    ];
    let level = "(:-?[0-9]{0,22}(\\.[0-9]{0,3})?|:NaN|:inf|:)?";
    prop::collection::vec((name, level), 0..5)
        .prop_map(|parts| parts.into_iter().map(|(name, level)| format!("{name}{level}")).collect::<Vec<_>>().join(","))
        .prop_map(Value::from)
}

fn toy() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-f0-9]{12}".prop_map(Value::from),
        "[a-f0-9 ,]{0,30}".prop_map(Value::from),
        prop::collection::vec("[a-f0-9 ]{0,13}".prop_map(Value::from), 0..4).prop_map(Value::Array),
        anything(),
    ]
}

fn pattern_v2_points() -> impl Strategy<Value = Value> {
    prop::collection::vec((number(), number()), 0..8).prop_map(|points| {
        Value::Array(points.into_iter().map(|(ts, pos)| serde_json::json!({"ts": ts, "pos": pos})).collect::<Vec<_>>())
    })
}

/// A `POST /command` body: a command, and any of the fields of every command.
fn body() -> impl Strategy<Value = String> {
    let command = prop_oneof![
        Just("Function"),
        Just("Pattern"),
        Just("Preset"),
        Just("Position"),
        Just("PatternV2"),
        Just("GetToys"),
        Just("GetToyName"),
        Just("Battery"),
        Just("function"),
        Just("Dance"),
    ];
    let times = (
        prop::option::of(number()),
        prop::option::of(number()),
        prop::option::of(number()),
        prop::option::of(number()),
    );
    let pattern = (
        prop::option::of("V:1;F:[vrptfsox,]{0,6};S:-?[0-9]{0,22}#?".prop_map(Value::from)),
        prop::option::of("-?[0-9]{1,3}(;-?[0-9]{0,4}){0,60}".prop_map(Value::from)),
        prop::option::of(
            prop_oneof![Just("pulse"), Just("wave"), Just("fireworks"), Just("earthquake"), Just("tornado")]
                .prop_map(Value::from),
        ),
    );
    let pattern_v2 = (
        prop::option::of(
            prop_oneof![Just("Setup"), Just("Play"), Just("InitPlay"), Just("Stop"), Just("SyncTime"), Just("Rewind")]
                .prop_map(Value::from),
        ),
        prop::option::of(pattern_v2_points()),
        prop::option::of(number()),
        prop::option::of(number()),
    );
    (
        command,
        prop::option::of(action()),
        times,
        prop::option::of(toy()),
        pattern,
        pattern_v2,
        prop::option::of(number()),
    )
        .prop_map(|(command, action, times, toy, pattern, pattern_v2, value)| {
            let mut fields = Map::new();
            fields.insert("command".into(), command.into());
            let (time, run, pause, stop_previous) = times;
            let (rule, strength, name) = pattern;
            let (kind, actions, start, offset) = pattern_v2;
            for (key, field) in [
                ("action", action),
                ("timeSec", time),
                ("loopRunningSec", run),
                ("loopPauseSec", pause),
                ("stopPrevious", stop_previous),
                ("toy", toy),
                ("rule", rule),
                ("strength", strength),
                ("name", name),
                ("type", kind),
                ("actions", actions),
                ("startTime", start),
                ("offsetTime", offset),
                ("value", value),
            ] {
                if let Some(field) = field {
                    fields.insert(key.into(), field);
                }
            }
            Value::Object(fields).to_string()
        })
}

/// An older GET endpoint's path and query.
fn get_line() -> impl Strategy<Value = String> {
    let path = prop_oneof![
        Just("/GetToys"),
        Just("/Vibrate"),
        Just("/vibrate1"),
        Just("/Rotate"),
        Just("/AirAuto"),
        Just("/AVibrate"),
        Just("/ARotate"),
        Just("/Preset"),
        Just("/Battery"),
        Just("/Nothing"),
    ];
    let pairs = prop::collection::vec(("[vtsec]{1,3}", "-?[0-9a-f,.]{0,22}"), 0..4);
    (path, pairs).prop_map(|(path, pairs)| {
        let query: Vec<String> = pairs.into_iter().map(|(key, value)| format!("{key}={value}")).collect();
        format!("{path}?{}", query.join("&"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn any_command_body_is_read_or_refused_with_a_lovense_code(body in body()) {
        checks::check(body.as_bytes());
    }

    #[test]
    fn any_older_get_line_is_read_or_refused_with_a_lovense_code(line in get_line()) {
        checks::check(line.as_bytes());
    }
}
