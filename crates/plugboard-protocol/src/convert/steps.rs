//! Float-to-step and legacy maths (docs/architecture.md, Spec versions and conversion).
//!
//! Legacy clients send floats in 0.0..=1.0; outputs take integer steps. The formulas follow
//! the reference server so a game sees the same steps on Plugboard as it did on Intiface,
//! with one deliberate difference: `ceil` forgives float noise of 1e-9 steps, so 0.55 on 20
//! steps is 11 (0.55 × 20 is 11.000000000000002 in f64), not 12.

use crate::model::Range;

/// Values below this count as zero (reference: 0.000001).
const ZERO_THRESHOLD: f64 = 0.000_001;
/// How much float noise `ceil` forgives, in steps.
const CEIL_SLACK: f64 = 1e-9;

fn ceil_steps(steps: f64) -> i32 {
    (steps - CEIL_SLACK).ceil().max(0.0) as i32
}

/// A level output (Vibrate, Rotate, Oscillate, Constrict, ...): `ceil(step_count · v)`, and
/// 0 for anything below one millionth. Rounding up means the smallest non-zero request still
/// moves the motor. `value` must already be checked to lie in 0.0..=1.0.
pub fn level_to_steps(value: f64, range: Range) -> i32 {
    if value < ZERO_THRESHOLD {
        return 0;
    }
    ceil_steps(range.step_count() as f64 * value).min(range.max)
}

/// A position output (servo): `ceil(step_count · v)`, no special zero.
pub fn position_to_steps(value: f64, range: Range) -> i32 {
    ceil_steps(range.step_count() as f64 * value).min(range.max)
}

/// A position-with-duration output (LinearCmd): `trunc(step_count · v)`. The reference
/// truncates here, unlike the other outputs; clients calibrated against it expect that.
pub fn linear_to_steps(value: f64, range: Range) -> i32 {
    ((range.step_count() as f64 * value + CEIL_SLACK).floor() as i32).clamp(0, range.max.max(0))
}

/// How long a Fleshlight Launch move takes (docs/architecture.md, Spec versions and conversion), in milliseconds.
///
/// `previous` and `goal` are positions in 0.0..=1.0, `speed` the Launch speed byte 0..=99.
/// The Launch firmware takes a speed, the canonical model a duration: this is the Launch's
/// own speed curve solved for time. Returns 0 when nothing moves.
pub fn launch_move_duration_ms(previous: f64, goal: f64, speed: u32) -> u32 {
    let distance = (goal - previous).abs().min(1.0);
    let speed = (speed as f64 / 99.0).min(1.0);
    if distance <= 0.0 || speed <= 0.0 {
        return 0;
    }
    let duration = (speed / 250.0).powf(-0.95) / (90.0 / (distance * 100.0));
    if duration.is_finite() && duration > 0.0 {
        duration.min(u32::MAX as f64) as u32
    } else {
        0
    }
}

/// The goal of a FleshlightLaunchFW12Cmd `Position` (0..=99) as a fraction (reference: /100).
pub fn launch_position(position: u32) -> f64 {
    (position.min(99) as f64) / 100.0
}

/// A VorzeA10CycloneCmd speed as a level fraction. The check lets 0..=100 through, as the
/// reference server does; 99 and 100 are both full speed.
pub fn vorze_speed(speed: u32) -> f64 {
    (speed as f64 / 99.0).min(1.0)
}
