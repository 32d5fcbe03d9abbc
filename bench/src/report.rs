//! Figures, their medians and spread over the rounds, the ratios Plugboard / intiface-engine
//! and Plugboard / floor, the goals of issues 7 and 21 next to them, and the Markdown report.

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

/// A goal for Plugboard: of issue 7 (ratios to intiface-engine, absolute figures) or of
/// issue 21 (ratios to the floor, measured in the same run).
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    /// Plugboard / intiface-engine at most this.
    RatioAtMost(f64),
    /// Plugboard / intiface-engine at least this.
    RatioAtLeast(f64),
    /// Plugboard / floor at most this.
    FloorRatioAtMost(f64),
    /// Plugboard / floor at least this.
    FloorRatioAtLeast(f64),
    /// Plugboard's own figure at most this (in the metric's unit).
    AtMost(f64),
    /// Plugboard's own figure at least this (in the metric's unit).
    AtLeast(f64),
    /// Plugboard's own figure under this (in the metric's unit).
    Under(f64),
}

pub struct Metric {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub goals: &'static [Goal],
}

const fn m(id: &'static str, label: &'static str, unit: Unit, goals: &'static [Goal]) -> Metric {
    Metric { id, label, unit, goals }
}

// The goals of issues 7 and 21, shared by the rows they apply to.
const LATENCY_P50: &[Goal] = &[Goal::RatioAtMost(0.9), Goal::FloorRatioAtMost(1.1)];
const LATENCY_P99: &[Goal] = &[Goal::RatioAtMost(0.75), Goal::FloorRatioAtMost(1.1)];
const THROUGHPUT: &[Goal] = &[Goal::RatioAtLeast(2.0), Goal::FloorRatioAtLeast(0.9)];
const CPU_PER_COMMAND: &[Goal] = &[Goal::RatioAtMost(0.5), Goal::FloorRatioAtMost(1.25)];
const NONE: &[Goal] = &[];

/// Every figure, in report order. Latency and throughput are measured twice per round: with
/// one device connected (what most users have), then with all 64.
pub const METRICS: &[Metric] = &[
    m("one_lat_v3_p50", "1 device connected: to-device latency, spec v3 client, p50", Unit::Micros, LATENCY_P50),
    m("one_lat_v3_p90", "1 device connected: to-device latency, spec v3 client, p90", Unit::Micros, NONE),
    m("one_lat_v3_p99", "1 device connected: to-device latency, spec v3 client, p99", Unit::Micros, LATENCY_P99),
    m("one_lat_v3_max", "1 device connected: to-device latency, spec v3 client, max", Unit::Micros, NONE),
    m("one_lat_v3_ok", "1 device connected: call-to-Ok latency, spec v3 client, p50", Unit::Micros, NONE),
    m("one_lat_v4_p50", "1 device connected: to-device latency, spec v4 client, p50", Unit::Micros, LATENCY_P50),
    m("one_lat_v4_p90", "1 device connected: to-device latency, spec v4 client, p90", Unit::Micros, NONE),
    m("one_lat_v4_p99", "1 device connected: to-device latency, spec v4 client, p99", Unit::Micros, LATENCY_P99),
    m("one_lat_v4_max", "1 device connected: to-device latency, spec v4 client, max", Unit::Micros, NONE),
    m("one_lat_v4_ok", "1 device connected: call-to-Ok latency, spec v4 client, p50", Unit::Micros, NONE),
    m("one_tput_v3_1", "1 device connected: commands/s, v3 ScalarCmd, 1 in flight", Unit::PerSecond, NONE),
    m("one_tput_v3_8", "1 device connected: commands/s, v3 ScalarCmd, 8 in flight", Unit::PerSecond, THROUGHPUT),
    m("one_tput_v3_16", "1 device connected: commands/s, v3 ScalarCmd, 16 in flight", Unit::PerSecond, THROUGHPUT),
    m("one_tput_v4_1", "1 device connected: commands/s, v4 OutputCmd, 1 in flight", Unit::PerSecond, NONE),
    m("one_tput_v4_8", "1 device connected: commands/s, v4 OutputCmd, 8 in flight", Unit::PerSecond, THROUGHPUT),
    m("one_tput_v4_16", "1 device connected: commands/s, v4 OutputCmd, 16 in flight", Unit::PerSecond, THROUGHPUT),
    m("one_cpu_v3", "1 device connected: server CPU per command, v3 (throughput runs)", Unit::Micros, CPU_PER_COMMAND),
    m("one_cpu_v4", "1 device connected: server CPU per command, v4 (throughput runs)", Unit::Micros, CPU_PER_COMMAND),
    m("lat_v3_p50", "64 devices connected: to-device latency, spec v3 client, p50", Unit::Micros, LATENCY_P50),
    m("lat_v3_p90", "64 devices connected: to-device latency, spec v3 client, p90", Unit::Micros, NONE),
    m("lat_v3_p99", "64 devices connected: to-device latency, spec v3 client, p99", Unit::Micros, LATENCY_P99),
    m("lat_v3_max", "64 devices connected: to-device latency, spec v3 client, max", Unit::Micros, NONE),
    m("lat_v3_ok", "64 devices connected: call-to-Ok latency, spec v3 client, p50", Unit::Micros, NONE),
    m("lat_v4_p50", "64 devices connected: to-device latency, spec v4 client, p50", Unit::Micros, LATENCY_P50),
    m("lat_v4_p90", "64 devices connected: to-device latency, spec v4 client, p90", Unit::Micros, NONE),
    m("lat_v4_p99", "64 devices connected: to-device latency, spec v4 client, p99", Unit::Micros, LATENCY_P99),
    m("lat_v4_max", "64 devices connected: to-device latency, spec v4 client, max", Unit::Micros, NONE),
    m("lat_v4_ok", "64 devices connected: call-to-Ok latency, spec v4 client, p50", Unit::Micros, NONE),
    m("tput_v3_1", "64 devices connected: commands/s, v3 ScalarCmd, 1 in flight", Unit::PerSecond, NONE),
    m("tput_v3_8", "64 devices connected: commands/s, v3 ScalarCmd, 8 in flight", Unit::PerSecond, THROUGHPUT),
    m("tput_v3_16", "64 devices connected: commands/s, v3 ScalarCmd, 16 in flight", Unit::PerSecond, THROUGHPUT),
    m("tput_v4_1", "64 devices connected: commands/s, v4 OutputCmd, 1 in flight", Unit::PerSecond, NONE),
    m("tput_v4_8", "64 devices connected: commands/s, v4 OutputCmd, 8 in flight", Unit::PerSecond, THROUGHPUT),
    m("tput_v4_16", "64 devices connected: commands/s, v4 OutputCmd, 16 in flight", Unit::PerSecond, THROUGHPUT),
    m("cpu_v3", "64 devices connected: server CPU per command, v3 (throughput runs)", Unit::Micros, CPU_PER_COMMAND),
    m("cpu_v4", "64 devices connected: server CPU per command, v4 (throughput runs)", Unit::Micros, CPU_PER_COMMAND),
    m("start", "start to listening", Unit::Millis, &[Goal::RatioAtMost(0.5)]),
    m("idle_rss", "idle RSS (device websocket on, nothing connected)", Unit::MiB, &[Goal::RatioAtMost(0.4)]),
    m("rss_growth", "RSS growth per client session", Unit::KiB, &[Goal::AtMost(1.0)]),
    m("session", "time per client session (connect, handshake, command, close)", Unit::Millis, NONE),
    m(
        "crowd16_p99",
        "crowd 16 clients × 4 devices at 60 Hz: p99 to device",
        Unit::Millis,
        &[Goal::Under(2.0), Goal::FloorRatioAtMost(1.25)],
    ),
    m("crowd16_p50", "crowd 16 clients × 4 devices at 60 Hz: p50 to device", Unit::Millis, NONE),
    m(
        "crowd16_cpu",
        "crowd 16 clients × 4 devices at 60 Hz: server CPU",
        Unit::Percent,
        &[Goal::FloorRatioAtMost(1.5)],
    ),
    m("crowd16_sat", "crowd 16 × 4: highest rate per device before saturation", Unit::Hertz, NONE),
    m("crowd1_p99", "crowd 1 client × 64 devices at 60 Hz: p99 to device", Unit::Millis, NONE),
    m("crowd1_cpu", "crowd 1 client × 64 devices at 60 Hz: server CPU", Unit::Percent, NONE),
    m("crowd1_sat", "crowd 1 × 64: highest rate per device before saturation", Unit::Hertz, NONE),
    m(
        "limit_accepted",
        "default rate limit (1,000/s): flat-out client, commands accepted per second",
        Unit::PerSecond,
        &[Goal::AtLeast(950.0)],
    ),
    m("limit_errors", "default rate limit: flat-out client, Errors per second", Unit::PerSecond, NONE),
    m(
        "limit_official_accepted",
        "default rate limit: official v4 client flat out (8 calls in flight), accepted per second",
        Unit::PerSecond,
        &[Goal::AtLeast(950.0)],
    ),
    m("limit_error_p99", "default rate limit: flat-out client, send to Error, p99", Unit::Millis, NONE),
    m("limit_alone_p99", "default rate limit: 60 Hz client alone, p99 to device", Unit::Millis, NONE),
    m(
        "limit_beside_p99",
        "default rate limit: 60 Hz client beside the flat-out one, p99 to device",
        Unit::Millis,
        NONE,
    ),
    m(
        "limit_beside_ratio",
        "default rate limit: 60 Hz client's p99 beside / alone (same round)",
        Unit::Count,
        &[Goal::AtMost(1.1)],
    ),
    m("stop_p50", "StopAllDevices to the last stop write, 64 device-websocket devices: p50", Unit::Millis, NONE),
    m(
        "stop_p99",
        "StopAllDevices to the last stop write, 64 device-websocket devices: p99",
        Unit::Millis,
        &[Goal::Under(5.0)],
    ),
    m("stop_max", "StopAllDevices to the last stop write, 64 device-websocket devices: max", Unit::Millis, NONE),
    m(
        "stop_writes",
        "writes one device-websocket device got for one StopAllDevices (most)",
        Unit::Count,
        &[Goal::AtMost(1.0)],
    ),
    m(
        "stop_mixed_p99",
        "StopAllDevices to the last stop, 32 virtual + 32 device-websocket devices, engine in the bench: p99",
        Unit::Millis,
        NONE,
    ),
    m("stop_mixed_ws_p99", "the same, device-websocket devices only: p99", Unit::Millis, &[Goal::Under(5.0)]),
    m("stop_mixed_virtual_p99", "the same, virtual devices only: p99", Unit::Millis, NONE),
    m(
        "stop_virtual_writes",
        "writes (level updates) one virtual device got for one StopAllDevices (most)",
        Unit::Count,
        &[Goal::AtMost(1.0)],
    ),
    m(
        "lovense_fn_p50",
        "Lovense API Function to device, keep-alive HTTP, engine in the bench, back to back: p50",
        Unit::Micros,
        NONE,
    ),
    m("lovense_fn_p99", "the same: p99", Unit::Micros, NONE),
    m("lovense_fresh_p50", "the same, a new connection per request (as lovensepy makes them): p50", Unit::Micros, NONE),
    m("lovense_fresh_p99", "the same, a new connection per request: p99", Unit::Micros, NONE),
    m(
        "lovense_v4_p50",
        "spec v4 OutputCmd to the same toy, taking turns with the Function calls, back to back: p50",
        Unit::Micros,
        NONE,
    ),
    m("lovense_v4_p99", "the same: p99", Unit::Micros, NONE),
    m(
        "lovense_ratio_p50",
        "Lovense Function (keep-alive) / v4 OutputCmd, back to back, p50 (same round)",
        Unit::Count,
        &[Goal::AtMost(1.2)],
    ),
    m(
        "lovense_ratio_p99",
        "Lovense Function (keep-alive) / v4 OutputCmd, back to back, p99 (same round)",
        Unit::Count,
        &[Goal::AtMost(1.2)],
    ),
    m("lovense_gap2_fn_p50", "Lovense API Function, keep-alive, 2 ms between commands: p50", Unit::Micros, NONE),
    m("lovense_gap2_fn_p99", "the same: p99", Unit::Micros, NONE),
    m("lovense_gap2_fresh_p50", "the same, a new connection per request: p50", Unit::Micros, NONE),
    m("lovense_gap2_fresh_p99", "the same, a new connection per request: p99", Unit::Micros, NONE),
    m("lovense_gap2_v4_p50", "spec v4 OutputCmd, 2 ms between commands: p50", Unit::Micros, NONE),
    m("lovense_gap2_v4_p99", "the same: p99", Unit::Micros, NONE),
    m(
        "lovense_gap2_ratio_p50",
        "Lovense Function (keep-alive) / v4 OutputCmd, 2 ms between commands, p50 (same round)",
        Unit::Count,
        &[Goal::AtMost(1.2)],
    ),
    m(
        "lovense_gap2_ratio_p99",
        "Lovense Function (keep-alive) / v4 OutputCmd, 2 ms between commands, p99 (same round)",
        Unit::Count,
        &[Goal::AtMost(1.2)],
    ),
    m("lovense_gap16_fn_p50", "Lovense API Function, keep-alive, 16 ms between commands: p50", Unit::Micros, NONE),
    m("lovense_gap16_fn_p99", "the same: p99", Unit::Micros, NONE),
    m("lovense_gap16_fresh_p50", "the same, a new connection per request: p50", Unit::Micros, NONE),
    m("lovense_gap16_fresh_p99", "the same, a new connection per request: p99", Unit::Micros, NONE),
    m("lovense_gap16_v4_p50", "spec v4 OutputCmd, 16 ms between commands: p50", Unit::Micros, NONE),
    m("lovense_gap16_v4_p99", "the same: p99", Unit::Micros, NONE),
    m(
        "lovense_gap16_ratio_p50",
        "Lovense Function (keep-alive) / v4 OutputCmd, 16 ms between commands, p50 (same round)",
        Unit::Count,
        &[Goal::AtMost(1.2)],
    ),
    m(
        "lovense_gap16_ratio_p99",
        "Lovense Function (keep-alive) / v4 OutputCmd, 16 ms between commands, p99 (same round)",
        Unit::Count,
        &[Goal::AtMost(1.2)],
    ),
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

/// The goal as text and whether Plugboard meets it (None: cannot tell), from the medians of
/// Plugboard, intiface-engine and the floor.
fn judge(goal: Goal, plugboard: f64, intiface: f64, floor: f64, unit: Unit) -> (String, Option<bool>) {
    let to_intiface = ratio(plugboard, intiface);
    let to_floor = ratio(plugboard, floor);
    let own = plugboard.is_finite();
    match goal {
        Goal::RatioAtMost(x) => (format!("≤ {x}× intiface"), to_intiface.is_finite().then_some(to_intiface <= x)),
        Goal::RatioAtLeast(x) => (format!("≥ {x}× intiface"), to_intiface.is_finite().then_some(to_intiface >= x)),
        Goal::FloorRatioAtMost(x) => (format!("≤ {x}× floor"), to_floor.is_finite().then_some(to_floor <= x)),
        Goal::FloorRatioAtLeast(x) => (format!("≥ {x}× floor"), to_floor.is_finite().then_some(to_floor >= x)),
        Goal::AtMost(x) => (format!("≤ {x} {}", unit.suffix()), own.then_some(plugboard <= x)),
        Goal::AtLeast(x) => (format!("≥ {x} {}", unit.suffix()), own.then_some(plugboard >= x)),
        Goal::Under(x) => (format!("< {x} {}", unit.suffix()), own.then_some(plugboard < x)),
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
        let _ = writeln!(out, "# Plugboard benchmark (issues 7 and 21)\n");
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
            let mut goals = Vec::new();
            let mut verdicts = Vec::new();
            for &goal in metric.goals {
                let (text, met) = judge(goal, p, i, f, metric.unit);
                met_count.1 += 1;
                verdicts.push(match met {
                    Some(true) => {
                        met_count.0 += 1;
                        "met"
                    }
                    Some(false) => "**not met**",
                    None => "cannot tell",
                });
                goals.push(text);
            }
            let _ = write!(row, " {} | {} |", goals.join("; "), verdicts.join("; "));
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
            let _ =
                writeln!(out, "By protocol (or virtual kind): the fewest and the most any device got in a round.\n");
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
        assert_eq!(judge(Goal::RatioAtMost(0.5), 40.0, 100.0, f64::NAN, Unit::Millis).1, Some(true));
        assert_eq!(judge(Goal::RatioAtLeast(2.0), 150.0, 100.0, f64::NAN, Unit::PerSecond).1, Some(false));
        assert_eq!(judge(Goal::AtMost(1.0), 0.5, f64::NAN, f64::NAN, Unit::KiB).1, Some(true));
        assert_eq!(judge(Goal::AtLeast(950.0), 940.0, f64::NAN, f64::NAN, Unit::PerSecond).1, Some(false));
        assert_eq!(judge(Goal::RatioAtMost(0.5), 40.0, f64::NAN, 30.0, Unit::Millis).1, None);
        assert_eq!(judge(Goal::FloorRatioAtMost(1.1), 105.0, f64::NAN, 100.0, Unit::Micros).1, Some(true));
        assert_eq!(judge(Goal::FloorRatioAtLeast(0.9), 85.0, 300.0, 100.0, Unit::PerSecond).1, Some(false));
    }
}
