//! What one command runs over time, as pure functions of the time since it started: a steady
//! `Function` (with `timeSec` and the run/pause loop), a `Pattern` of strengths stepping at an
//! interval, a `Preset` (a built-in pattern), and a `PatternV2` script of stroker positions.
//! The runner asks [`Program::at`] what should run now and [`Program::next_change`] when to
//! ask again, so every timing rule is tested here without a clock.

use super::action::{Action, Function, Level};
use super::answer::ApiError;

/// A pattern: the functions it drives (empty: every function of the toy), the step interval,
/// and the strengths (0–20) it steps through, repeating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternSpec {
    pub functions: Vec<Function>,
    pub interval_ms: u64,
    pub strengths: Vec<u32>,
}

/// The shortest step of a pattern, as Lovense documents it.
pub const MIN_PATTERN_INTERVAL_MS: u64 = 100;
/// The most strengths a pattern may hold.
pub const MAX_PATTERN_STRENGTHS: usize = 50;

/// Parses a `Pattern` command's `rule` (`V:1;F:vr;S:1000#`) and `strength` (`20;10;5`).
pub fn parse_pattern(rule: &str, strength: &str) -> Result<PatternSpec, ApiError> {
    let mut functions = Vec::new();
    let mut interval_ms = None;
    for part in rule.trim().trim_end_matches('#').split(';').map(str::trim).filter(|part| !part.is_empty()) {
        let (key, value) = part.split_once(':').unwrap_or((part, ""));
        match key.trim().to_ascii_uppercase().as_str() {
            "V" => {}
            "F" => {
                for letter in value.trim().chars().filter(|c| !c.is_whitespace() && *c != ',') {
                    let function = Function::from_pattern_letter(letter).ok_or_else(|| {
                        ApiError::invalid_parameter(format!(
                            "`{letter}` in the pattern rule's F: is not a function letter (v, r, p, t, f, s, o)."
                        ))
                    })?;
                    if !functions.contains(&function) {
                        functions.push(function);
                    }
                }
            }
            "S" => {
                let ms: u64 = value.trim().parse().map_err(|_| {
                    ApiError::invalid_parameter(format!("`{part}` in the pattern rule has no interval in ms."))
                })?;
                interval_ms = Some(ms.max(MIN_PATTERN_INTERVAL_MS));
            }
            _ => {
                return Err(ApiError::invalid_parameter(format!(
                    "`{part}` is not part of a pattern rule (V:1;F:<functions>;S:<ms>#)."
                )))
            }
        }
    }
    let interval_ms = interval_ms
        .ok_or_else(|| ApiError::invalid_parameter("The pattern rule has no interval (S:<ms>, at least 100)."))?;
    let strengths = strength
        .split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<u32>()
                .map(|level| level.min(20))
                .map_err(|_| ApiError::invalid_parameter(format!("`{part}` in the pattern's strength is not 0 to 20.")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if strengths.is_empty() {
        return Err(ApiError::invalid_parameter("The pattern has no strengths (for example `20;10;5`)."));
    }
    if strengths.len() > MAX_PATTERN_STRENGTHS {
        return Err(ApiError::invalid_parameter(format!(
            "The pattern has {} strengths; at most {MAX_PATTERN_STRENGTHS} are allowed.",
            strengths.len()
        )));
    }
    Ok(PatternSpec { functions, interval_ms, strengths })
}

impl PatternSpec {
    /// What the pattern sets at one strength: each of its functions at the strength scaled to
    /// the function's range (Pump 0–3 follows 0–20), or every function of the toy.
    fn action_at(&self, strength: u32) -> Action {
        if self.functions.is_empty() {
            return Action { levels: Vec::new(), all: Some(strength), stop: false };
        }
        let levels = self
            .functions
            .iter()
            .map(|&function| Level { function, level: scale_from_twenty(strength, function) })
            .collect();
        Action { levels, all: None, stop: false }
    }
}

/// A 0–20 strength on a function's own range, rounded to the nearest level.
pub fn scale_from_twenty(strength: u32, function: Function) -> u32 {
    let max = function.max_level();
    if max == 20 {
        return strength.min(20);
    }
    ((strength.min(20) * max + 10) / 20).min(max)
}

/// The built-in patterns of Lovense Remote. Lovense does not publish their curves; these are
/// Plugboard's own shapes, made to feel like their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Pulse,
    Wave,
    Fireworks,
    Earthquake,
}

impl Preset {
    pub fn from_name(name: &str) -> Option<Preset> {
        match name.trim().to_ascii_lowercase().as_str() {
            "pulse" => Some(Preset::Pulse),
            "wave" => Some(Preset::Wave),
            "fireworks" => Some(Preset::Fireworks),
            "earthquake" => Some(Preset::Earthquake),
            _ => None,
        }
    }

    /// The numbers of the older `GET /Preset?v=` endpoint: 1 pulse, 2 wave, 3 fireworks,
    /// 4 earthquake.
    pub fn from_number(number: u32) -> Option<Preset> {
        [Preset::Pulse, Preset::Wave, Preset::Fireworks, Preset::Earthquake]
            .get(number.checked_sub(1)? as usize)
            .copied()
    }

    pub fn pattern(self) -> PatternSpec {
        let (interval_ms, strengths): (u64, &[u32]) = match self {
            // On and off, evenly.
            Preset::Pulse => (400, &[20, 0]),
            // Up and down, smoothly.
            Preset::Wave => (200, &[4, 8, 12, 16, 20, 16, 12, 8, 4, 0]),
            // A rising fuse, a burst, and a pause.
            Preset::Fireworks => (150, &[2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 20, 20, 0, 0, 0]),
            // Uneven rumbles.
            Preset::Earthquake => (120, &[20, 6, 15, 3, 18, 10, 20, 2, 12, 17, 5, 20, 8, 0]),
        };
        PatternSpec { functions: Vec::new(), interval_ms, strengths: strengths.to_vec() }
    }
}

/// What a program wants at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// These levels should be running.
    Run(Action),
    /// Everything this program drives should be at 0 for now (the pause of a loop).
    Pause,
    /// The program has ended: stop what it drove.
    Done,
}

/// One command's course over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    shape: Shape,
    /// `timeSec` in ms; `None` runs until told otherwise.
    total_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    Steady { action: Action, cycle: Option<(u64, u64)> },
    Pattern(PatternSpec),
}

/// `timeSec` (or `loopRunningSec`, `loopPauseSec`) as milliseconds: 0 or absent means no
/// limit; negative or not a number is refused.
pub fn seconds_to_ms(seconds: Option<f64>, field: &str) -> Result<Option<u64>, ApiError> {
    match seconds {
        None => Ok(None),
        Some(seconds) if !seconds.is_finite() || seconds < 0.0 => {
            Err(ApiError::invalid_parameter(format!("`{field}` must be a number of seconds from 0 up.")))
        }
        Some(0.0) => Ok(None),
        Some(seconds) => Ok(Some((seconds * 1000.0).round().min(u64::MAX as f64) as u64)),
    }
}

impl Program {
    /// A `Function` command. The loop applies only when both of its times are given.
    pub fn steady(action: Action, total_ms: Option<u64>, run_ms: Option<u64>, pause_ms: Option<u64>) -> Program {
        let cycle = match (run_ms, pause_ms) {
            (Some(run), Some(pause)) if run > 0 && pause > 0 => Some((run, pause)),
            _ => None,
        };
        Program { shape: Shape::Steady { action, cycle }, total_ms }
    }

    /// A `Pattern` or `Preset` command.
    pub fn pattern(pattern: PatternSpec, total_ms: Option<u64>) -> Program {
        Program { shape: Shape::Pattern(pattern), total_ms }
    }

    /// What should run `elapsed_ms` after the program started.
    pub fn at(&self, elapsed_ms: u64) -> Step {
        if self.total_ms.is_some_and(|total| elapsed_ms >= total) {
            return Step::Done;
        }
        match &self.shape {
            Shape::Steady { action, cycle: None } => Step::Run(action.clone()),
            Shape::Steady { action, cycle: Some((run, pause)) } => {
                if elapsed_ms % run.saturating_add(*pause) < *run {
                    Step::Run(action.clone())
                } else {
                    Step::Pause
                }
            }
            Shape::Pattern(pattern) => {
                let index = (elapsed_ms / pattern.interval_ms) as usize % pattern.strengths.len();
                Step::Run(pattern.action_at(pattern.strengths[index]))
            }
        }
    }

    /// The next moment after `elapsed_ms` at which [`Program::at`] may answer differently,
    /// or `None` when nothing changes any more. Times come from requests (`timeSec: 1e300`
    /// is read as the most milliseconds there are), so a change past the end of the clock
    /// counts as none rather than overflowing.
    pub fn next_change(&self, elapsed_ms: u64) -> Option<u64> {
        if self.total_ms.is_some_and(|total| elapsed_ms >= total) {
            return None;
        }
        let next = match &self.shape {
            Shape::Steady { cycle: None, .. } => None,
            Shape::Steady { cycle: Some((run, pause)), .. } => {
                let period = run.saturating_add(*pause);
                let start = elapsed_ms - elapsed_ms % period;
                let run_ends = start.checked_add(*run);
                match run_ends {
                    Some(run_ends) if elapsed_ms < run_ends => Some(run_ends),
                    _ => start.checked_add(period),
                }
            }
            Shape::Pattern(pattern) => (elapsed_ms / pattern.interval_ms)
                .checked_add(1)
                .and_then(|steps| steps.checked_mul(pattern.interval_ms)),
        };
        match (next, self.total_ms) {
            (Some(next), Some(total)) => Some(next.min(total)),
            (None, total) => total,
            (next, None) => next,
        }
    }
}

/// One point of a `PatternV2` script: at `ts_ms` the stroker is at `position` (0–100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptPoint {
    pub ts_ms: u64,
    pub position: u32,
}

/// A move of the stroker: starting at `start_ms` of the script, go to `position` in
/// `duration_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub start_ms: u64,
    pub position: u32,
    pub duration_ms: u64,
}

/// A `PatternV2` script: its points in time order. Points out of order are sorted; two points
/// at the same time keep the later one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PositionScript {
    points: Vec<ScriptPoint>,
}

impl PositionScript {
    pub fn new(mut points: Vec<ScriptPoint>) -> Result<PositionScript, ApiError> {
        if points.is_empty() {
            return Err(ApiError::invalid_parameter("The PatternV2 Setup has no points (`actions`: [{ts, pos}])."));
        }
        for point in &mut points {
            point.position = point.position.min(100);
        }
        points.sort_by_key(|point| point.ts_ms);
        let mut unique: Vec<ScriptPoint> = Vec::with_capacity(points.len());
        for point in points {
            match unique.last_mut() {
                Some(last) if last.ts_ms == point.ts_ms => *last = point,
                _ => unique.push(point),
            }
        }
        Ok(PositionScript { points: unique })
    }

    /// When the script ends.
    #[cfg(test)]
    pub fn length_ms(&self) -> u64 {
        self.points.last().map_or(0, |point| point.ts_ms)
    }

    /// The move to make when playing from `from_ms`: toward the first point after it, taking
    /// the time until that point. `None` after the last point.
    pub fn move_from(&self, from_ms: u64) -> Option<Move> {
        let next = self.points.iter().find(|point| point.ts_ms > from_ms)?;
        Some(Move { start_ms: from_ms, position: next.position, duration_ms: next.ts_ms - from_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lovense::action::parse_action;

    fn vibrate(level: u32) -> Step {
        Step::Run(Action { levels: vec![Level { function: Function::Vibrate, level }], all: None, stop: false })
    }

    #[test]
    fn a_steady_function_runs_until_its_time_is_up() {
        let program = Program::steady(parse_action("Vibrate:5").unwrap(), Some(2000), None, None);
        assert_eq!(program.at(0), vibrate(5));
        assert_eq!(program.at(1999), vibrate(5));
        assert_eq!(program.at(2000), Step::Done);
        assert_eq!(program.next_change(0), Some(2000));
        assert_eq!(program.next_change(2000), None);
        let forever = Program::steady(parse_action("Vibrate:5").unwrap(), None, None, None);
        assert_eq!(forever.at(u64::MAX / 2), vibrate(5));
        assert_eq!(forever.next_change(0), None);
    }

    #[test]
    fn a_loop_runs_and_pauses_within_its_total_time() {
        let program = Program::steady(parse_action("Vibrate:7").unwrap(), Some(9000), Some(2000), Some(1000));
        assert_eq!(program.at(0), vibrate(7));
        assert_eq!(program.at(2000), Step::Pause);
        assert_eq!(program.at(2999), Step::Pause);
        assert_eq!(program.at(3000), vibrate(7));
        assert_eq!(program.at(9000), Step::Done);
        let changes: Vec<u64> = std::iter::successors(Some(0), |&t| program.next_change(t)).collect();
        assert_eq!(changes, [0, 2000, 3000, 5000, 6000, 8000, 9000]);
    }

    #[test]
    fn times_at_the_end_of_the_clock_do_not_overflow() {
        // `loopRunningSec: 1e300` is read as u64::MAX ms; with any pause the period is past
        // the clock. Found by the lovense_request fuzz checks.
        let huge_loop = Program::steady(parse_action("Vibrate:7").unwrap(), None, Some(u64::MAX), Some(1000));
        assert_eq!(huge_loop.at(u64::MAX - 1), vibrate(7));
        assert_eq!(huge_loop.next_change(5), Some(u64::MAX));
        assert_eq!(huge_loop.next_change(u64::MAX), None, "no change after the end of the clock");
        let pattern = PatternSpec { functions: vec![], interval_ms: u64::MAX / 2 + 1, strengths: vec![1, 2] };
        let pattern = Program::pattern(pattern, None);
        assert_eq!(pattern.next_change(0), Some(u64::MAX / 2 + 1));
        assert_eq!(pattern.next_change(u64::MAX / 2 + 1), None);
        let steps = parse_pattern("V:1;F:v;S:100#", "1;2").unwrap();
        assert_eq!(Program::pattern(steps.clone(), None).next_change(u64::MAX - 5), None);
        let timed = Program::pattern(steps, Some(u64::MAX));
        assert_eq!(timed.next_change(u64::MAX - 5), Some(u64::MAX), "the step past the clock gives way to the end");
    }

    #[test]
    fn a_loop_needs_both_of_its_times() {
        let program = Program::steady(parse_action("Vibrate:7").unwrap(), None, Some(2000), None);
        assert_eq!(program.at(2500), vibrate(7));
    }

    #[test]
    fn seconds_fields() {
        assert_eq!(seconds_to_ms(None, "timeSec").unwrap(), None);
        assert_eq!(seconds_to_ms(Some(0.0), "timeSec").unwrap(), None);
        assert_eq!(seconds_to_ms(Some(1.5), "timeSec").unwrap(), Some(1500));
        assert_eq!(seconds_to_ms(Some(-1.0), "timeSec").unwrap_err().code(), 404);
        assert_eq!(seconds_to_ms(Some(f64::NAN), "timeSec").unwrap_err().code(), 404);
    }

    #[test]
    fn a_pattern_steps_through_its_strengths_and_repeats() {
        let pattern = parse_pattern("V:1;F:v;S:1000#", "20;10;5").unwrap();
        assert_eq!(
            pattern,
            PatternSpec { functions: vec![Function::Vibrate], interval_ms: 1000, strengths: vec![20, 10, 5] }
        );
        let program = Program::pattern(pattern, Some(5000));
        assert_eq!(program.at(0), vibrate(20));
        assert_eq!(program.at(1000), vibrate(10));
        assert_eq!(program.at(2500), vibrate(5));
        assert_eq!(program.at(3000), vibrate(20));
        assert_eq!(program.at(5000), Step::Done);
        assert_eq!(program.next_change(4500), Some(5000));
    }

    #[test]
    fn a_pattern_scales_pump_and_drives_every_function_when_none_is_named() {
        let pattern = parse_pattern("V:1;F:vp;S:100#", "20;10;0").unwrap();
        let Step::Run(action) = Program::pattern(pattern, None).at(100) else { panic!() };
        assert_eq!(
            action.levels,
            [Level { function: Function::Vibrate, level: 10 }, Level { function: Function::Pump, level: 2 }]
        );
        let every = parse_pattern("V:1;F:;S:300#", "15").unwrap();
        let Step::Run(action) = Program::pattern(every, None).at(0) else { panic!() };
        assert_eq!(action.all, Some(15));
        assert!(action.levels.is_empty());
    }

    #[test]
    fn pattern_rules_are_checked() {
        assert_eq!(parse_pattern("V:1;F:v;S:20#", "5").unwrap().interval_ms, MIN_PATTERN_INTERVAL_MS);
        assert_eq!(parse_pattern("V:1;F:v;S:500#", "25").unwrap().strengths, [20]);
        for (rule, strength, says) in [
            ("V:1;F:v#", "5", "no interval"),
            ("V:1;F:x;S:100#", "5", "`x`"),
            ("V:1;F:v;S:soon#", "5", "no interval in ms"),
            ("V:1;F:v;S:100#", "", "no strengths"),
            ("V:1;F:v;S:100#", "5;loud", "`loud`"),
            ("V:1;Q:2;S:100#", "5", "`Q:2`"),
        ] {
            let error = parse_pattern(rule, strength).unwrap_err();
            assert!(error.message().contains(says), "{rule} {strength}: {}", error.message());
        }
        let too_long = vec!["5"; 51].join(";");
        assert!(parse_pattern("V:1;F:v;S:100#", &too_long).unwrap_err().message().contains("at most 50"));
    }

    #[test]
    fn presets_by_name_and_number() {
        assert_eq!(Preset::from_name("Wave"), Some(Preset::Wave));
        assert_eq!(Preset::from_number(1), Some(Preset::Pulse));
        assert_eq!(Preset::from_number(4), Some(Preset::Earthquake));
        assert_eq!(Preset::from_number(0), None);
        assert_eq!(Preset::from_number(5), None);
        for preset in [Preset::Pulse, Preset::Wave, Preset::Fireworks, Preset::Earthquake] {
            let pattern = preset.pattern();
            assert!(pattern.interval_ms >= MIN_PATTERN_INTERVAL_MS);
            assert!(pattern.strengths.iter().all(|&s| s <= 20));
            assert!(pattern.strengths.contains(&20), "{preset:?} reaches full strength");
            assert!(pattern.strengths.contains(&0) || preset == Preset::Earthquake || preset == Preset::Wave);
        }
    }

    #[test]
    fn a_position_script_moves_toward_the_next_point() {
        let script = PositionScript::new(vec![
            ScriptPoint { ts_ms: 1000, position: 90 },
            ScriptPoint { ts_ms: 0, position: 10 },
            ScriptPoint { ts_ms: 1500, position: 120 },
            ScriptPoint { ts_ms: 1500, position: 30 },
        ])
        .unwrap();
        assert_eq!(script.length_ms(), 1500);
        assert_eq!(script.move_from(0), Some(Move { start_ms: 0, position: 90, duration_ms: 1000 }));
        assert_eq!(script.move_from(400), Some(Move { start_ms: 400, position: 90, duration_ms: 600 }));
        assert_eq!(script.move_from(1000), Some(Move { start_ms: 1000, position: 30, duration_ms: 500 }));
        assert_eq!(script.move_from(1500), None);
        assert!(PositionScript::new(Vec::new()).is_err());
    }
}
