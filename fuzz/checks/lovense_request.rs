//! The `lovense_request` fuzz target's property, shared with the corpus replay test in
//! plugboard-server (`tests/fuzz_corpus.rs` includes this file).
//!
//! Any bytes as a request to the Lovense API: as the JSON body of `POST /command`, and as the
//! path and query of an older GET endpoint (`/Vibrate?v=10&t=id`). Nothing panics; a refusal
//! carries one of the codes apps know for a bad request (400 or 404) and a sentence; a command
//! that is read stays within the API's ranges; and what it would run over time (`timeSec`,
//! loops, patterns, position scripts) answers at every moment without overflowing, each next
//! change coming after the moment asked about.

use plugboard_server::lovense_request::{from_get, from_json, ApiError, Command, PatternV2, Program, Step, Toys};

/// Moments (ms after a program's start) asked of every program: its start, the edges of
/// seconds, and the far end of the clock.
const MOMENTS: [u64; 9] = [0, 1, 99, 100, 999, 1000, 1_000_000_007, u64::MAX / 2, u64::MAX];

/// Runs every check on one input. Panics when a property does not hold.
pub fn check(data: &[u8]) {
    check_outcome(from_json(data));
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (path, query) = text.split_once('?').unwrap_or((text, ""));
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key.to_owned(), value.to_owned())
        })
        .collect();
    check_outcome(from_get(path, &pairs));
}

fn check_outcome(outcome: Result<Command, ApiError>) {
    match outcome {
        Err(error) => check_refusal(&error),
        Ok(command) => check_command(&command),
    }
}

fn check_refusal(error: &ApiError) {
    assert!(matches!(error.code(), 400 | 404), "a request is refused as invalid, not with {}", error.code());
    assert!(!error.message().trim().is_empty(), "a refusal says why");
    let body = error.to_json();
    assert_eq!(body["code"], error.code());
    assert_eq!(body["result"], false);
}

fn check_command(command: &Command) {
    match command {
        Command::GetToys | Command::GetToyName => {}
        Command::Battery { toys } => check_toys(toys),
        Command::Function { action, total_ms, loop_run_ms, loop_pause_ms, toys, .. } => {
            check_toys(toys);
            for level in &action.levels {
                assert!(level.level <= level.function.max_level(), "{level:?} past its range");
            }
            assert!(action.all.is_none_or(|all| all <= 20), "All:{:?}", action.all);
            assert!(action.stop || !action.levels.is_empty() || action.all.is_some(), "an empty action was read");
            for time in [total_ms, loop_run_ms, loop_pause_ms] {
                assert_ne!(*time, Some(0), "0 s means no limit and is read as none");
            }
            let program = Program::steady(action.clone(), *total_ms, *loop_run_ms, *loop_pause_ms);
            check_program(&program, *total_ms);
        }
        Command::Pattern { pattern, total_ms, toys } => {
            check_toys(toys);
            assert!((1..=50).contains(&pattern.strengths.len()), "{} strengths", pattern.strengths.len());
            assert!(pattern.strengths.iter().all(|strength| *strength <= 20), "{:?}", pattern.strengths);
            assert!(pattern.interval_ms >= 100, "an interval of {} ms", pattern.interval_ms);
            check_program(&Program::pattern(pattern.clone(), *total_ms), *total_ms);
        }
        Command::Position { position, toys } => {
            check_toys(toys);
            assert!(*position <= 100, "position {position}");
        }
        Command::PatternV2 { step, toys } => {
            check_toys(toys);
            match step {
                PatternV2::Setup(script) => {
                    for from in MOMENTS {
                        if let Some(next) = script.move_from(from) {
                            assert!(next.position <= 100, "{next:?}");
                            assert!(next.duration_ms > 0, "{next:?} from {from}");
                            assert_eq!(next.start_ms, from);
                        }
                    }
                }
                PatternV2::Play { .. } | PatternV2::InitPlay | PatternV2::Stop | PatternV2::SyncTime => {}
            }
        }
    }
}

fn check_toys(toys: &Toys) {
    if let Toys::Ids(ids) = toys {
        assert!(!ids.is_empty(), "an empty list of toys is read as every toy");
        assert!(ids.iter().all(|id| !id.is_empty() && id.trim() == id), "{ids:?}");
    }
}

/// A program answers at every moment; it is done from its `timeSec` on; a next change comes
/// after the moment asked about and no later than the end.
fn check_program(program: &Program, total_ms: Option<u64>) {
    let mut moments = MOMENTS.to_vec();
    if let Some(total) = total_ms {
        moments.extend([total.saturating_sub(1), total, total.saturating_add(1)]);
    }
    for elapsed in moments {
        let step = program.at(elapsed);
        let ended = total_ms.is_some_and(|total| elapsed >= total);
        assert_eq!(step == Step::Done, ended, "at {elapsed} ms of {total_ms:?}: {step:?}");
        if let Step::Run(action) = &step {
            assert!(action.levels.iter().all(|level| level.level <= level.function.max_level()), "{action:?}");
        }
        match program.next_change(elapsed) {
            Some(next) => {
                assert!(next > elapsed, "the next change at {next} ms, asked at {elapsed} ms");
                assert!(total_ms.is_none_or(|total| next <= total), "a change at {next} ms after the end {total_ms:?}");
            }
            // Within any real session's time, a pause ends (the clock's far end may be past it).
            None if elapsed <= 1_000_000_007 => {
                assert!(ended || step != Step::Pause, "a pause that never ends, at {elapsed} ms")
            }
            None => {}
        }
    }
}
