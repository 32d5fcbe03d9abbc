//! What the segments of a command's path mean: output and input type names, and a level from
//! 0.0 to 1.0 turned into the steps of the output it is for.

use plugboard_protocol::convert::steps;
use plugboard_protocol::model::{InputType, Output, OutputType, Range};

use super::error::RestError;
use super::json::input_name;

/// Every output type, by its spec v4 name.
const OUTPUT_TYPES: [OutputType; 9] = [
    OutputType::Vibrate,
    OutputType::Rotate,
    OutputType::Oscillate,
    OutputType::Constrict,
    OutputType::Temperature,
    OutputType::Led,
    OutputType::Spray,
    OutputType::Position,
    OutputType::HwPositionWithDuration,
];

/// Every input type.
const INPUT_TYPES: [InputType; 6] = [
    InputType::Battery,
    InputType::Rssi,
    InputType::Button,
    InputType::Pressure,
    InputType::Depth,
    InputType::Position,
];

/// An output type named in a path: its spec v4 name in any case (`Vibrate`, `vibrate`), or
/// `Inflate`, the v3 name of `Constrict`.
pub fn output_type(text: &str) -> Result<OutputType, RestError> {
    if text.eq_ignore_ascii_case("Inflate") {
        return Ok(OutputType::Constrict);
    }
    OUTPUT_TYPES.into_iter().find(|kind| kind.v4_name().eq_ignore_ascii_case(text)).ok_or_else(|| {
        let names: Vec<&str> = OUTPUT_TYPES.iter().map(|kind| kind.v4_name()).collect();
        RestError::bad_output_type(format!("\"{text}\" is not an output type. Use one of {}.", names.join(", ")))
    })
}

/// An input type named in a path, in any case (`Battery`, `rssi`).
pub fn input_type(text: &str) -> Result<InputType, RestError> {
    INPUT_TYPES.into_iter().find(|&kind| input_name(kind).eq_ignore_ascii_case(text)).ok_or_else(|| {
        let names: Vec<&str> = INPUT_TYPES.iter().map(|&kind| input_name(kind)).collect();
        RestError::bad_input_type(format!("\"{text}\" is not an input type. Use one of {}.", names.join(", ")))
    })
}

/// Whether `output` is of the type asked for (`Constrict` is also the older `Inflate`).
pub fn is_of_type(output: &Output, kind: OutputType) -> bool {
    output.kind.v4_name() == kind.v4_name()
}

/// A level from a path: a finite number from 0.0 to 1.0, or from -1.0 where `range` goes
/// below zero (the other direction of a rotation).
pub fn level(text: &str, range: Range) -> Result<f64, RestError> {
    let lowest = if range.min < 0 { -1.0 } else { 0.0 };
    match text.trim().parse::<f64>() {
        Ok(level) if level.is_finite() && (lowest..=1.0).contains(&level) => Ok(level),
        _ if lowest < 0.0 => Err(RestError::bad_level(text).with_message(format!(
            "\"{text}\" is not a level for this output: use a number from -1.0 (full, the other way) to 1.0 (full), \
             such as 0.5."
        ))),
        _ => Err(RestError::bad_level(text)),
    }
}

/// The steps of `output` for `level`, as a Buttplug client's float becomes steps (the public
/// spec's conversion, docs/architecture.md, Spec versions and conversion).
pub fn steps(level: f64, output: &Output) -> i32 {
    let range = output.range;
    match output.kind {
        OutputType::Position => steps::position_to_steps(level, range),
        OutputType::HwPositionWithDuration => steps::linear_to_steps(level, range),
        _ if level < 0.0 => {
            let mirrored = Range::new(0, range.min.saturating_neg());
            -steps::level_to_steps(-level, mirrored)
        }
        _ => steps::level_to_steps(level, range),
    }
}

/// The `duration` query parameter of a command: required by `HwPositionWithDuration` (the
/// time the move takes, in milliseconds), refused by every other output.
pub fn duration(kind: OutputType, text: Option<&str>) -> Result<Option<u32>, RestError> {
    match (kind, text) {
        (OutputType::HwPositionWithDuration, None) => Err(RestError::bad_duration(
            "HwPositionWithDuration moves to a position in a given time: add ?duration=MILLISECONDS, such as \
             ?duration=500.",
        )),
        (OutputType::HwPositionWithDuration, Some(text)) => text.trim().parse().map(Some).map_err(|_| {
            RestError::bad_duration(format!("\"{text}\" is not a duration: give whole milliseconds, such as 500."))
        }),
        (_, None) => Ok(None),
        (kind, Some(_)) => {
            Err(RestError::bad_duration(format!("A {} output takes no duration: leave ?duration out.", kind.v4_name())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_read_in_any_case() {
        assert_eq!(output_type("vibrate"), Ok(OutputType::Vibrate));
        assert_eq!(output_type("Inflate"), Ok(OutputType::Constrict));
        assert_eq!(output_type("Wiggle").unwrap_err().code, "bad-output-type");
        assert_eq!(input_type("rssi"), Ok(InputType::Rssi));
        assert_eq!(input_type("Battery"), Ok(InputType::Battery));
        assert_eq!(input_type("Mood").unwrap_err().code, "bad-input-type");
    }

    #[test]
    fn levels_are_fractions_and_become_steps() {
        let vibrate = Output::new(OutputType::Vibrate, Range::new(0, 20));
        assert_eq!(level("0.5", vibrate.range), Ok(0.5));
        for bad in ["1.5", "-0.1", "NaN", "inf", "lots", ""] {
            assert_eq!(level(bad, vibrate.range).unwrap_err().code, "bad-level", "{bad}");
        }
        assert_eq!(steps(0.5, &vibrate), 10);
        assert_eq!(steps(0.01, &vibrate), 1, "the smallest non-zero level still moves the motor");
        let rotate = Output::new(OutputType::Rotate, Range::new(-20, 20));
        assert_eq!(level("-0.5", rotate.range), Ok(-0.5));
        assert_eq!(steps(-0.5, &rotate), -10);
        assert_eq!(steps(1.0, &rotate), 20);
    }

    #[test]
    fn only_a_timed_move_takes_a_duration() {
        assert_eq!(duration(OutputType::HwPositionWithDuration, Some("500")), Ok(Some(500)));
        assert!(duration(OutputType::HwPositionWithDuration, None).is_err());
        assert!(duration(OutputType::Vibrate, Some("500")).is_err());
        assert_eq!(duration(OutputType::Vibrate, None), Ok(None));
    }
}
