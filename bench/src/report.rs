//! Figures, their medians and spread over the rounds, the ratios Plugboard / intiface-engine
//! and Plugboard / floor, the goals of issue 7 next to them, and the Markdown report.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::loadgen::CrowdStep;
use crate::servers::Kind;
use crate::stats::median;

#[derive(Debug, Clone, Copy)]
pub enum Unit {
    Micros,
    Millis,
    PerSecond,
    MiB,
    KiB,
    Percent,
    Hertz,
    Count,
}

impl Unit {
    fn suffix(self) -> &'static str {
        match self {
            Unit::Micros => "µs",
            Unit::Millis => "ms",
            Unit::PerSecond => "/s",
            Unit::MiB => "MiB",
            Unit::KiB => "KiB",
            Unit::Percent => "%",
            Unit::Hertz => "Hz",
            Unit::Count => "",
        }
    }
}

/// A goal of issue 7 for Plugboard.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    /// Plugboard / intiface-engine at most this.
    RatioAtMost(f64),
    /// Plugboard / intiface-engine at least this.
    RatioAtLeast(f64),
    /// Plugboard's own figure at most this (in the metric's unit).
    AtMost(f64),
    /// Plugboard's own figure under this (in the metric's unit).
    Under(f64),
}

pub struct Metric {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub goal: Option<Goal>,
}

const fn m(id: &'static str, label: &'static str, unit: Unit, goal: Option<Goal>) -> Metric {
    Metric { id, label, unit, goal }
}

/// Every figure, in report order.
pub const METRICS: &[Metric] = &[
    m("lat_v3_p50", "to-device latency, spec v3 client, p50", Unit::Micros, Some(Goal::RatioAtMost(0.9))),
    m("lat_v3_p90", "to-device latency, spec v3 client, p90", Unit::Micros, None),
    m("lat_v3_p99", "to-device latency, spec v3 client, p99", Unit::Micros, Some(Goal::RatioAtMost(0.75))),
    m("lat_v3_max", "to-device latency, spec v3 client, max", Unit::Micros, None),
    m("lat_v3_ok", "call-to-Ok latency, spec v3 client, p50", Unit::Micros, None),
    m("lat_v4_p50", "to-device latency, spec v4 client, p50", Unit::Micros, Some(Goal::RatioAtMost(0.9))),
    m("lat_v4_p90", "to-device latency, spec v4 client, p90", Unit::Micros, None),
    m("lat_v4_p99", "to-device latency, spec v4 client, p99", Unit::Micros, Some(Goal::RatioAtMost(0.75))),
    m("lat_v4_max", "to-device latency, spec v4 client, max", Unit::Micros, None),
    m("lat_v4_ok", "call-to-Ok latency, spec v4 client, p50", Unit::Micros, None),
    m("tput_v3_1", "commands/s, v3 ScalarCmd, 1 in flight", Unit::PerSecond, None),
    m("tput_v3_8", "commands/s, v3 ScalarCmd, 8 in flight", Unit::PerSecond, Some(Goal::RatioAtLeast(2.0))),
    m("tput_v3_16", "commands/s, v3 ScalarCmd, 16 in flight", Unit::PerSecond, Some(Goal::RatioAtLeast(2.0))),
    m("tput_v4_1", "commands/s, v4 OutputCmd, 1 in flight", Unit::PerSecond, None),
    m("tput_v4_8", "commands/s, v4 OutputCmd, 8 in flight", Unit::PerSecond, Some(Goal::RatioAtLeast(2.0))),
    m("tput_v4_16", "commands/s, v4 OutputCmd, 16 in flight", Unit::PerSecond, Some(Goal::RatioAtLeast(2.0))),
    m("cpu_v3", "server CPU per command, v3 (throughput runs)", Unit::Micros, Some(Goal::RatioAtMost(0.5))),
    m("cpu_v4", "server CPU per command, v4 (throughput runs)", Unit::Micros, Some(Goal::RatioAtMost(0.5))),
    m("start", "start to listening", Unit::Millis, Some(Goal::RatioAtMost(0.5))),
    m("idle_rss", "idle RSS (device websocket on, nothing connected)", Unit::MiB, Some(Goal::RatioAtMost(0.4))),
    m("rss_growth", "RSS growth per client session", Unit::KiB, Some(Goal::AtMost(1.0))),
    m("session", "time per client session (connect, handshake, command, close)", Unit::Millis, None),
    m("crowd16_p99", "crowd 16 clients × 4 devices at 60 Hz: p99 to device", Unit::Millis, Some(Goal::Under(2.0))),
    m("crowd16_p50", "crowd 16 clients × 4 devices at 60 Hz: p50 to device", Unit::Millis, None),
    m("crowd16_cpu", "crowd 16 clients × 4 devices at 60 Hz: server CPU", Unit::Percent, None),
    m("crowd16_sat", "crowd 16 × 4: highest rate per device before saturation", Unit::Hertz, None),
    m("crowd1_p99", "crowd 1 client × 64 devices at 60 Hz: p99 to device", Unit::Millis, None),
    m("crowd1_cpu", "crowd 1 client × 64 devices at 60 Hz: server CPU", Unit::Percent, None),
    m("crowd1_sat", "crowd 1 × 64: highest rate per device before saturation", Unit::Hertz, None),
    m("stop_p50", "StopAllDevices to the last stop write, 64 device-websocket devices: p50", Unit::Millis, None),
    m("stop_p99", "StopAllDevices to the last stop write, 64 device-websocket devices: p99", Unit::Millis, Some(Goal::Under(5.0))),
    m("stop_max", "StopAllDevices to the last stop write, 64 device-websocket devices: max", Unit::Millis, None),
    m("stop_writes", "writes one device-websocket device got for one StopAllDevices (most)", Unit::Count, Some(Goal::AtMost(1.0))),
    m("stop_mixed_p99", "StopAllDevices to the last stop, 32 virtual + 32 device-websocket devices, engine in the bench: p99", Unit::Millis, None),
    m("stop_mixed_ws_p99", "the same, device-websocket devices only: p99", Unit::Millis, Some(Goal::Under(5.0))),
    m("stop_mixed_virtual_p99", "the same, virtual devices only: p99", Unit::Millis, None),
    m("stop_virtual_writes", "writes (level updates) one virtual device got for one StopAllDevices (most)", Unit::Count, Some(Goal::AtMost(1.0))),
];

pub fn metric(id: &str) -> &'static Metric {
    METRICS.iter().find(|m| m.id == id).unwrap_or_else(|| panic!("unknown metric {id}"))
}

/// The crowd variants: (id prefix, clients, devices per client, title).
pub const CROWDS: &[(&str, usize, usize, &str)] = &[
    ("crowd16", 16, 4, "16 clients, each driving 4 devices of its own"),
    ("crowd1", 1, 64, "1 client driving all 64 devices"),
];

#[derive(Default)]
pub struct Results {
    pub servers: Vec<Kind>,
    values: BTreeMap<(&'static str, Kind), Vec<f64>>,
    /// (crowd id, server) → one curve per round.
    pub curves: BTreeMap<(&'static str, Kind), Vec<Vec<CrowdStep>>>,
    /// (server, round, what failed)
    pub failures: Vec<(Kind, u32, String)>,
    /// (server, round, run, writes per device for one stop, by protocol)
    pub stop_writes: Vec<(Kind, u32, &'static str, String)>,
}

impl Results {
    pub fn new(servers: Vec<Kind>) -> Results {
        Results { servers, ..Results::default() }
    }

    pub fn add(&mut self, id: &'static str, kind: Kind, value: f64) {
        let _ = metric(id);
        self.values.entry((id, kind)).or_default().push(value);
    }

    fn values(&self, id: &str, kind: Kind) -> &[f64] {
        self.values.iter().find(|((i, k), _)| *i == id && *k == kind).map(|(_, v)| v.as_slice()).unwrap_or(&[])
    }

    fn median_of(&self, id: &str, kind: Kind) -> f64 {
        median(self.values(id, kind))
    }
}

fn number(v: f64) -> String {
    if !v.is_finite() {
        "–".to_owned()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn cell(values: &[f64], unit: Unit) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if finite.is_empty() {
        return "n/a".to_owned();
    }
    let med = median(&finite);
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if finite.len() == 1 {
        format!("{} {}", number(med), unit.suffix())
    } else {
        format!("{} {} ({}–{})", number(med), unit.suffix(), number(min), number(max))
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if a.is_finite() && b.is_finite() && b != 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

fn ratio_cell(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.2}×")
    } else {
        "–".to_owned()
    }
}

/// The goal as text and whether Plugboard meets it (None: cannot tell).
fn judge(goal: Goal, plugboard: f64, intiface: f64, unit: Unit) -> (String, Option<bool>) {
    let r = ratio(plugboard, intiface);
    match goal {
        Goal::RatioAtMost(x) => (format!("≤ {x}× intiface"), r.is_finite().then_some(r <= x)),
        Goal::RatioAtLeast(x) => (format!("≥ {x}× intiface"), r.is_finite().then_some(r >= x)),
        Goal::AtMost(x) => (format!("≤ {x} {}", unit.suffix()), plugboard.is_finite().then_some(plugboard <= x)),
        Goal::Under(x) => (format!("< {x} {}", unit.suffix()), plugboard.is_finite().then_some(plugboard < x)),
    }
}

pub struct Context {
    pub title_note: String,
    pub rounds: u32,
    pub quick: bool,
    pub machine: String,
    pub versions: String,
    pub settings: String,
}

impl Results {
    pub fn markdown(&self, context: &Context) -> String {
        let mut out = String::new();
        let names: Vec<&str> = self.servers.iter().map(|k| k.name()).collect();
        let _ = writeln!(out, "# Plugboard benchmark (issue 7)\n");
        let _ = writeln!(
            out,
            "{} round(s) of {}, alternating in that order{}; each figure is the median over the rounds, \
             with the spread (min–max) in brackets.\n",
            context.rounds,
            names.join(", "),
            if context.quick { ", **quick run** (short phases: indicative only)" } else { "" }
        );
        let _ = writeln!(out, "- Machine: {}", context.machine);
        let _ = writeln!(out, "- Versions: {}", context.versions);
        let _ = writeln!(out, "- Settings: {}", context.settings);
        if !context.title_note.is_empty() {
            let _ = writeln!(out, "- Note: {}", context.title_note);
        }
        let has = |k: Kind| self.servers.contains(&k);
        let _ = writeln!(out);
        let mut header = String::from("| measurement |");
        let mut rule = String::from("|---|");
        for k in &self.servers {
            let _ = write!(header, " {} |", k.name());
            rule.push_str("---|");
        }
        if has(Kind::Intiface) {
            header.push_str(" plugboard / intiface |");
            rule.push_str("---|");
        }
        if has(Kind::Floor) {
            header.push_str(" plugboard / floor |");
            rule.push_str("---|");
        }
        header.push_str(" goal | met |");
        rule.push_str("---|---|");
        let _ = writeln!(out, "{header}\n{rule}");
        let mut met_count = (0, 0);
        for metric in METRICS {
            let mut row = format!("| {} |", metric.label);
            for k in &self.servers {
                let _ = write!(row, " {} |", cell(self.values(metric.id, *k), metric.unit));
            }
            let p = self.median_of(metric.id, Kind::Plugboard);
            let i = self.median_of(metric.id, Kind::Intiface);
            let f = self.median_of(metric.id, Kind::Floor);
            if has(Kind::Intiface) {
                let _ = write!(row, " {} |", ratio_cell(ratio(p, i)));
            }
            if has(Kind::Floor) {
                let _ = write!(row, " {} |", ratio_cell(ratio(p, f)));
            }
            match metric.goal {
                Some(goal) => {
                    let (text, met) = judge(goal, p, i, metric.unit);
                    let verdict = match met {
                        Some(true) => {
                            met_count.0 += 1;
                            "met"
                        }
                        Some(false) => "**not met**",
                        None => "cannot tell",
                    };
                    met_count.1 += 1;
                    let _ = write!(row, " {text} | {verdict} |");
                }
                None => row.push_str(" | |"),
            }
            let _ = writeln!(out, "{row}");
        }
        let _ = writeln!(out, "\nGoals met: {} of {}.\n", met_count.0, met_count.1);

        for &(id, clients, per_client, title) in CROWDS {
            let _ = writeln!(out, "## Crowd: {title}\n");
            let _ = writeln!(
                out,
                "{clients} × {per_client} simulated Lovense devices, one command per device per tick. Per rate: \
                 commands delivered to the devices per second, p99 from send to device, server CPU (% of one core); \
                 medians over the rounds. A rate is saturated (†) when under 90 % of the offered commands arrive or the median command waits \
                 over 50 ms (the rounds' median step says so); ‡ marks a rate the load generator itself could \
                 not send (under 95 % sent: the bench, on the same 2 cores, is the limit there too).\n"
            );
            let mut rates: Vec<u32> = Vec::new();
            for k in &self.servers {
                for curve in self.curves.get(&(id, *k)).into_iter().flatten() {
                    for step in curve {
                        if !rates.contains(&step.rate_hz) {
                            rates.push(step.rate_hz);
                        }
                    }
                }
            }
            rates.sort_unstable();
            let mut header = String::from("| Hz per device | offered/s |");
            let mut rule = String::from("|---|---|");
            for k in &self.servers {
                let _ = write!(header, " {} |", k.name());
                rule.push_str("---|");
            }
            let _ = writeln!(out, "{header}\n{rule}");
            for rate in &rates {
                let mut offered = f64::NAN;
                let mut row = String::new();
                for k in &self.servers {
                    let steps: Vec<&CrowdStep> = self
                        .curves
                        .get(&(id, *k))
                        .into_iter()
                        .flatten()
                        .filter_map(|curve| curve.iter().find(|s| s.rate_hz == *rate))
                        .collect();
                    if steps.is_empty() {
                        row.push_str(" – |");
                        continue;
                    }
                    offered = steps[0].offered_per_s;
                    let delivered = median(&steps.iter().map(|s| s.delivered_per_s).collect::<Vec<_>>());
                    let p99 = median(&steps.iter().map(|s| s.p99.as_secs_f64() * 1e3).collect::<Vec<_>>());
                    let cpu = median(&steps.iter().map(|s| s.cpu_percent).collect::<Vec<_>>());
                    let saturated = {
                        let mut flags: Vec<f64> = steps.iter().map(|s| if s.saturated() { 1.0 } else { 0.0 }).collect();
                        flags.sort_by(|a, b| a.partial_cmp(b).unwrap());
                        median(&flags) >= 0.5
                    };
                    let sent = median(&steps.iter().map(|s| s.sent_per_s).collect::<Vec<_>>());
                    let _ = write!(
                        row,
                        " {}{}{} · p99 {} ms · CPU {} % |",
                        number(delivered),
                        if saturated { " †" } else { "" },
                        if sent < 0.95 * offered { " ‡" } else { "" },
                        number(p99),
                        number(cpu)
                    );
                }
                let _ = writeln!(out, "| {rate} | {} |{row}", number(offered));
            }
            let _ = writeln!(out);
        }

        if !self.stop_writes.is_empty() {
            let _ = writeln!(out, "## Stops: writes per device for one StopAllDevices\n");
            let _ = writeln!(out, "By protocol (or virtual kind): the fewest and the most any device got in a round.\n");
            for (kind, round, run, writes) in &self.stop_writes {
                let _ = writeln!(out, "- {} (round {}), {run}: {writes}", kind.name(), round + 1);
            }
            let _ = writeln!(out);
        }

        if !self.failures.is_empty() {
            let _ = writeln!(out, "## What could not be measured\n");
            for (kind, round, what) in &self.failures {
                let _ = writeln!(out, "- {} (round {}): {}", kind.name(), round + 1, what);
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "How each figure is measured: bench/README.md.");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_are_judged_on_ratios_or_absolute_figures() {
        assert_eq!(judge(Goal::RatioAtMost(0.5), 40.0, 100.0, Unit::Millis).1, Some(true));
        assert_eq!(judge(Goal::RatioAtLeast(2.0), 150.0, 100.0, Unit::PerSecond).1, Some(false));
        assert_eq!(judge(Goal::AtMost(1.0), 0.5, f64::NAN, Unit::KiB).1, Some(true));
        assert_eq!(judge(Goal::RatioAtMost(0.5), 40.0, f64::NAN, Unit::Millis).1, None);
    }
}
