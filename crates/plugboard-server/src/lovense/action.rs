//! The `action` of a Lovense `Function` command: a comma-separated list of `Name:level`,
//! such as `Vibrate:10,Rotate:5`, `All:20` or `Stop`.

use super::answer::ApiError;

/// A function of a Lovense toy, as named in actions and pattern rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    /// Every vibrator of the toy (`Vibrate`), or one of several (`Vibrate1` .. `Vibrate3`).
    Vibrate,
    Vibrate1,
    Vibrate2,
    Vibrate3,
    Rotate,
    Thrusting,
    Fingering,
    Suction,
    Oscillate,
    /// Air pump (Max): 0–3.
    Pump,
    /// Stroke depth (Solace): 0–3.
    Depth,
    /// Stroke length (Solace Pro): 0–100.
    Stroke,
    /// Stroker position: 0–100.
    Position,
}

impl Function {
    /// Every function, for error messages and tests.
    pub const ALL: [Function; 13] = [
        Function::Vibrate,
        Function::Vibrate1,
        Function::Vibrate2,
        Function::Vibrate3,
        Function::Rotate,
        Function::Thrusting,
        Function::Fingering,
        Function::Suction,
        Function::Oscillate,
        Function::Pump,
        Function::Depth,
        Function::Stroke,
        Function::Position,
    ];

    /// The name apps write, matched without regard to case (apps send `vibrate:5` as well).
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|function| function.name().eq_ignore_ascii_case(name))
    }

    pub fn name(self) -> &'static str {
        match self {
            Function::Vibrate => "Vibrate",
            Function::Vibrate1 => "Vibrate1",
            Function::Vibrate2 => "Vibrate2",
            Function::Vibrate3 => "Vibrate3",
            Function::Rotate => "Rotate",
            Function::Thrusting => "Thrusting",
            Function::Fingering => "Fingering",
            Function::Suction => "Suction",
            Function::Oscillate => "Oscillate",
            Function::Pump => "Pump",
            Function::Depth => "Depth",
            Function::Stroke => "Stroke",
            Function::Position => "Position",
        }
    }

    /// The top of the function's level range (the bottom is 0).
    pub fn max_level(self) -> u32 {
        match self {
            Function::Pump | Function::Depth => 3,
            Function::Stroke | Function::Position => 100,
            _ => 20,
        }
    }

    /// The pattern-rule letter of the function (`F:vrp`), for those patterns can drive.
    pub fn from_pattern_letter(letter: char) -> Option<Function> {
        match letter.to_ascii_lowercase() {
            'v' => Some(Function::Vibrate),
            'r' => Some(Function::Rotate),
            'p' => Some(Function::Pump),
            't' => Some(Function::Thrusting),
            'f' => Some(Function::Fingering),
            's' => Some(Function::Suction),
            'o' => Some(Function::Oscillate),
            _ => None,
        }
    }
}

/// A level for one function, within `0..=function.max_level()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub function: Function,
    pub level: u32,
}

/// A parsed action.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Action {
    /// The functions named, in the order given (a later entry for the same function wins).
    pub levels: Vec<Level>,
    /// `All:N`: every function of the toy that `levels` does not name, at N of 20.
    pub all: Option<u32>,
    /// `Stop`: the toy stops. Anything else in the same action is ignored.
    pub stop: bool,
}

impl Action {
    /// Whether the action sets every function to 0: apps stop toys this way too.
    pub fn is_all_zero(&self) -> bool {
        self.stop || (self.levels.iter().all(|level| level.level == 0) && self.all.unwrap_or(0) == 0)
    }
}

/// Parses an action. A level above a function's range is taken as its top rather than
/// refused: Lovense documents the ranges but no refusal for exceeding them, published clients
/// clamp before sending, and a game whose arithmetic sends `Vibrate:25` means "full" and
/// would not read a refusal (most ignore the answer), leaving the toy at its previous level.
/// The user's output limits still apply after this. A level that means nothing (negative, not
/// a number, infinite) and anything that is not a `Name:number` pair is refused (404) with the
/// part that is wrong.
pub fn parse_action(text: &str) -> Result<Action, ApiError> {
    let mut action = Action::default();
    for part in text.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        if part.eq_ignore_ascii_case("stop") {
            action.stop = true;
            continue;
        }
        let Some((name, level)) = part.split_once(':') else {
            return Err(ApiError::invalid_parameter(format!(
                "`{part}` in the action is not `Name:level` (for example `Vibrate:10`) or `Stop`."
            )));
        };
        let level = parse_level(level.trim(), part)?;
        if name.trim().eq_ignore_ascii_case("all") {
            action.all = Some(level.min(20));
            continue;
        }
        let Some(function) = Function::from_name(name.trim()) else {
            return Err(ApiError::invalid_parameter(format!(
                "`{}` in the action is not a Lovense function (Vibrate, Vibrate1-3, Rotate, Pump, Thrusting, \
                 Fingering, Suction, Oscillate, Depth, Stroke, Position, All or Stop).",
                name.trim()
            )));
        };
        let level = level.min(function.max_level());
        action.levels.retain(|existing| existing.function != function);
        action.levels.push(Level { function, level });
    }
    if !action.stop && action.levels.is_empty() && action.all.is_none() {
        return Err(ApiError::invalid_parameter("The action is empty: name a function and a level, or Stop."));
    }
    Ok(action)
}

/// A level as apps write it: a whole number, sometimes as a decimal (`10.0`).
fn parse_level(text: &str, part: &str) -> Result<u32, ApiError> {
    let bad = || ApiError::invalid_parameter(format!("`{part}` in the action has no level from 0 up."));
    if let Ok(level) = text.parse::<u32>() {
        return Ok(level);
    }
    let level: f64 = text.parse().map_err(|_| bad())?;
    if !level.is_finite() || level < 0.0 {
        return Err(bad());
    }
    Ok(level.round().min(u32::MAX as f64) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(action: &Action) -> Vec<(Function, u32)> {
        action.levels.iter().map(|level| (level.function, level.level)).collect()
    }

    #[test]
    fn several_functions_in_one_action() {
        let action = parse_action("Vibrate:10,Rotate:5,Pump:2").unwrap();
        assert_eq!(levels(&action), [(Function::Vibrate, 10), (Function::Rotate, 5), (Function::Pump, 2)]);
        assert!(!action.stop);
        assert_eq!(action.all, None);
    }

    #[test]
    fn names_are_matched_without_case_and_spaces_are_forgiven() {
        let action = parse_action(" vibrate1 : 3 , THRUSTING:20").unwrap();
        assert_eq!(levels(&action), [(Function::Vibrate1, 3), (Function::Thrusting, 20)]);
    }

    #[test]
    fn levels_above_the_range_are_the_top_of_it() {
        let action = parse_action("Vibrate:25,Pump:7,Position:250,All:99").unwrap();
        assert_eq!(levels(&action), [(Function::Vibrate, 20), (Function::Pump, 3), (Function::Position, 100)]);
        assert_eq!(action.all, Some(20));
    }

    #[test]
    fn decimal_levels_are_rounded() {
        assert_eq!(levels(&parse_action("Vibrate:10.6").unwrap()), [(Function::Vibrate, 11)]);
    }

    #[test]
    fn a_later_entry_for_the_same_function_wins() {
        assert_eq!(levels(&parse_action("Vibrate:3,Vibrate:9").unwrap()), [(Function::Vibrate, 9)]);
    }

    #[test]
    fn all_and_stop() {
        let action = parse_action("All:12,Rotate:0").unwrap();
        assert_eq!(action.all, Some(12));
        assert!(!action.is_all_zero());
        let stop = parse_action("Stop").unwrap();
        assert!(stop.stop && stop.is_all_zero());
        assert!(parse_action("Vibrate:0,All:0").unwrap().is_all_zero());
    }

    #[test]
    fn bad_actions_say_what_is_wrong() {
        for (text, says) in [
            ("", "empty"),
            ("Vibrate", "`Vibrate` in the action is not `Name:level`"),
            ("Vibrate:-1", "no level"),
            ("Vibrate:fast", "no level"),
            ("Wiggle:3", "`Wiggle` in the action is not a Lovense function"),
        ] {
            let error = parse_action(text).unwrap_err();
            assert_eq!(error.code(), 404, "{text}");
            assert!(error.message().contains(says), "{text}: {}", error.message());
        }
    }

    #[test]
    fn every_function_round_trips_its_name_and_pattern_letters_map() {
        for function in Function::ALL {
            assert_eq!(Function::from_name(function.name()), Some(function));
        }
        assert_eq!(Function::from_pattern_letter('v'), Some(Function::Vibrate));
        assert_eq!(Function::from_pattern_letter('P'), Some(Function::Pump));
        assert_eq!(Function::from_pattern_letter('x'), None);
    }
}
