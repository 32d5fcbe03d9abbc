//! Comparing the two recordings of one protocol, and the result table (text and Markdown).

use std::time::Duration;

use crate::counters::Counter;
use crate::device::{show, Received};
use crate::plan::Entry;
use crate::run::{Driven, Outcome};

pub struct Row {
    pub protocol: String,
    pub device: String,
    /// What the device received: `identical`, `different`, `connect differs` (only the writes
    /// before the first command) or `not drivable`.
    pub bytes: &'static str,
    /// Whether any step got a different number of writes.
    pub counts_differ: bool,
    /// The device-list entry's name and features: `same`, `differs` or empty when a server did
    /// not list the device.
    pub entry: &'static str,
    /// DeviceMessageTimingGap as each server reports it (`intiface-engine / plugboard`).
    pub gap: String,
    pub detail: String,
}

pub const BYTE_RESULTS: [&str; 5] = ["identical", "deliberate", "different", "connect differs", "not drivable"];

/// A difference Plugboard makes on purpose: in which protocol, at which steps, and why.
/// device-config/README.md lists each with its reason; a difference anywhere else is reported.
struct Deliberate {
    protocol: &'static str,
    steps: fn(&str) -> bool,
    reason: &'static str,
}

const DELIBERATE: &[Deliberate] = &[
    Deliberate {
        protocol: "lovense",
        steps: |step| step == "init",
        reason: "Plugboard reads the battery on connect, for front ends",
    },
    Deliberate {
        protocol: "galaku",
        steps: |step| step == "init",
        reason: "Plugboard reads the battery on connect (the battery query), for front ends",
    },
    Deliberate {
        protocol: "kiiroo-v2-vibrator",
        steps: is_stop,
        reason: "the reference stops one motor at a time, a whole-state packet each (the first ones with the other \
                 motors still running, and the same stop packet up to three times); Plugboard writes the stopped \
                 state once",
    },
    Deliberate {
        protocol: "libo-vibes",
        steps: is_stop,
        reason: "the reference's stop keeps only the last of the writes it batches, and all LiBo writes share \
                 one command id: it writes 00 to txmode alone and leaves the motor on tx running; Plugboard \
                 writes 00 to both",
    },
    Deliberate {
        protocol: "vibratissimo",
        steps: is_stop,
        reason: "the reference stops one motor at a time on txvibrate alone (the first packet with the other motor \
                 still running, the same 00 00 twice when one ran) and drops the txmode packet that goes before \
                 every other vibrate packet; Plugboard writes txmode and the stopped state once, as for any \
                 other level",
    },
    Deliberate {
        protocol: "svakom-iker",
        steps: is_stop,
        reason: "the reference stops one motor at a time (the first packet with the second motor still \
                 running, the all-off packet up to twice) and never stops the second motor alone while the \
                 first runs; Plugboard writes the stopped state once",
    },
    Deliberate {
        protocol: "xuanhuan",
        steps: |_| true,
        reason: "the reference repeats the level from a loop every 300 ms whatever else was written (a second \
                 copy soon after a command); Plugboard repeats it 300 ms after the last write",
    },
    Deliberate {
        protocol: "hgod",
        steps: |step| is_stop(step) || step.ends_with(" 0"),
        reason: "the reference's stop (and level 0) writes nothing, the toy stopping when the packets stop; \
                 Plugboard writes the 0 packet once, so the stop takes effect at once",
    },
    Deliberate {
        protocol: "umove",
        steps: |step| step.contains("Position"),
        reason: "the reference glides in steps it computes per 100 ms but takes every 50 ms (a move in half the time \
                 asked), writes an instant position a second time from its glide loop, and its keepalive can replay \
                 a frame with an old position, to which the stroke would jump back; Plugboard glides at the pace \
                 asked, writes an instant position once and keeps alive with the current state, so the steps that \
                 move the stroke are compared by its unit tests instead",
    },
    Deliberate {
        protocol: "ossm",
        steps: is_stop,
        reason: "the reference's stop writes nothing while the machine streams positions; Plugboard leaves \
                 streaming for the menu (go:menu), which halts the machine where it is",
    },
    Deliberate {
        protocol: "fmachine",
        steps: |_| true,
        reason: "the reference counts the speed from 0 while the machine starts at 1 (a start presses speed up \
                 once too often) and keeps pressing speed down after a stop; Plugboard counts from the machine's \
                 speed and presses nothing after the stop's on/off; the presses are 200 ms apart, so a walk \
                 spills into the next steps and every step is compared by its unit tests instead",
    },
    Deliberate {
        protocol: "fredorch-rotary",
        steps: |_| true,
        reason: "the reference writes a speed walk's steps back to back; Plugboard paces them 50 ms apart so a \
                 stop always comes between two, and a walk spills into the next steps, so every step is \
                 compared by its unit tests instead",
    },
];

/// Whether a step is a stop: a StopCmd of any kind or the client leaving.
fn is_stop(step: &str) -> bool {
    step.contains("StopCmd") || step == "the client disconnects"
}

/// Compares the two recordings. `keepalive`: the protocol's keepalive period, if it has one
/// (a packet repeated after about that long is a keepalive repeat, not a write of its own).
pub fn compare(protocol: &str, reference: &Outcome, plugboard: &Outcome, keepalive: Option<Duration>) -> Row {
    let row = |device: String, bytes, entry, detail| Row {
        protocol: protocol.to_owned(),
        device,
        bytes,
        counts_differ: false,
        entry,
        gap: String::new(),
        detail,
    };
    let (r, p) = match (reference, plugboard) {
        (Outcome::NotDrivable(r), Outcome::NotDrivable(p)) => {
            return row(String::new(), "not drivable", "", format!("intiface-engine: {r}; plugboard: {p}"))
        }
        (Outcome::NotDrivable(r), Outcome::Driven(p)) => {
            return row(p.entry.name.clone(), "not drivable", "", format!("intiface-engine: {r} (plugboard drove it)"))
        }
        (Outcome::Driven(r), Outcome::NotDrivable(p)) => {
            return row(r.entry.name.clone(), "different", "", format!("plugboard could not drive it: {p}"))
        }
        (Outcome::Driven(r), Outcome::Driven(p)) => (r, p),
    };
    let device = if r.entry.name == p.entry.name {
        r.entry.name.clone()
    } else {
        format!("{} / plugboard: {}", r.entry.name, p.entry.name)
    };
    let mut details = Vec::new();

    let entry = entry_differences(&r.entry, &p.entry);
    if !entry.is_empty() {
        details.push(format!("device entry: {}", entry.join("; ")));
    }

    let steps = step_labels(r);
    let counter = Counter::of(protocol);
    let by_step = |received| by_step(received, &steps, keepalive, counter);
    let (r_steps, p_steps) = (by_step(&r.received), by_step(&p.received));
    let step_back = counter.and_then(|c| c.first_step_back(p.received.iter().map(|w| w.bytes.as_slice())));
    if let Some((before, after)) = step_back {
        details.push(format!("plugboard's counter does not move on: {after} after {before}"));
    }
    let differing: Vec<usize> = (0..steps.len()).filter(|&i| r_steps[i] != p_steps[i]).collect();
    let deliberate = DELIBERATE.iter().find(|d| d.protocol == protocol);
    let is_deliberate = |i: &usize| deliberate.is_some_and(|d| (d.steps)(&steps[*i]));
    // Only differences nobody meant count as different, in bytes and in write counts.
    let unmeant: Vec<usize> = differing.iter().copied().filter(|i| !is_deliberate(i)).collect();
    let counts_differ = unmeant.iter().any(|&i| r_steps[i].len() != p_steps[i].len());
    let connect_only = unmeant.iter().all(|&i| steps[i] == "init");
    for &i in differing.iter().take(2) {
        let (a, b) = (&r_steps[i], &p_steps[i]);
        let counts =
            if a.len() != b.len() { format!(" ({} writes against {})", a.len(), b.len()) } else { String::new() };
        details.push(format!("at {}: intiface-engine {}, plugboard {}{counts}", steps[i], list(a), list(b)));
    }
    if differing.len() > 2 {
        details.push(format!("{} steps differ in all", differing.len()));
    }
    let code = |reply: &str| reply.split(':').next().unwrap_or("").to_owned();
    let reply = r.replies.iter().zip(&p.replies).find(|((_, a), (_, b))| code(a) != code(b));
    if let Some(((step, a), (_, b))) = reply {
        details.push(format!("reply to {step}: intiface-engine {a}, plugboard {b}"));
    }
    let bytes = if reply.is_some() || !connect_only || step_back.is_some() {
        "different"
    } else if !unmeant.is_empty() {
        "connect differs"
    } else if !differing.is_empty() {
        "deliberate"
    } else {
        "identical"
    };
    if let (Some(d), true) = (deliberate, !differing.is_empty() && differing.len() > unmeant.len()) {
        details.push(format!("deliberate: {}", d.reason));
    }
    if differing.is_empty() && reply.is_none() {
        let writes: usize = p_steps.iter().map(Vec::len).sum();
        details.push(format!("{writes} writes in {} steps", steps.len()));
    }
    let gap = |entry: &Entry| entry.message_gap.map_or("–".to_owned(), |ms| ms.to_string());
    Row {
        protocol: protocol.to_owned(),
        device,
        bytes,
        counts_differ,
        entry: if entry.is_empty() { "same" } else { "differs" },
        gap: format!("{} / {}", gap(&r.entry), gap(&p.entry)),
        detail: details.join("; "),
    }
}

/// What differs between the two device-list entries' names and features. The message gap has
/// a column of its own: intiface-engine 5.0.5 reports 100 ms for every device whatever gap it
/// applies, so it would differ everywhere.
fn entry_differences(r: &Entry, p: &Entry) -> Vec<String> {
    let mut out = Vec::new();
    if r.name != p.name {
        out.push(format!("name {:?} against {:?}", r.name, p.name));
    }
    if r.features != p.features {
        out.push(format!("features {} against {}", r.features.join(" / "), p.features.join(" / ")));
    }
    out
}

/// The steps of a run in order: the connect phase, every step the client took, and the time
/// after the last.
fn step_labels(driven: &Driven) -> Vec<String> {
    std::iter::once("init".to_owned())
        .chain(driven.replies.iter().map(|(step, _)| step.clone()))
        .chain(std::iter::once("after the last step".to_owned()))
        .collect()
}

/// The writes of each step as compared (see [`Counter::masked`]), keepalive repeats left out.
///
/// A repeat is a packet equal to the last earlier one of the same length (a keepalive may
/// resend a device's state as several packets of different kinds, a Umove's state and heat
/// frames), that came between 40 % of the keepalive period (intiface-engine's timer can fire
/// that early after a write) and 2.5 periods after the write before it, or right after such a
/// repeat (the rest of its packets); and any such packet while connecting, where nothing but the
/// keepalive repeats a packet (intiface-engine's first repeat after its connect-time stop comes
/// at any time). Any other packet counts, so a stop written twice (the writes of one flush come
/// within a millisecond) is two writes, and so is a level written again after a silent stop
/// (Hgod's reference stops by writing nothing, so its next level may equal its last).
fn by_step(
    received: &[Received],
    steps: &[String],
    keepalive: Option<Duration>,
    counter: Option<&Counter>,
) -> Vec<Vec<String>> {
    let compared = |write: &Received| counter.map_or_else(|| show(&write.bytes), |c| c.masked(&write.bytes));
    let mut out = vec![Vec::new(); steps.len()];
    let mut previous: Option<&Received> = None;
    let mut previous_was_repeat = false;
    for (n, write) in received.iter().enumerate() {
        let repeat = match (previous, keepalive) {
            (Some(before), Some(period)) => {
                let since = write.at.duration_since(before.at);
                let timed = write.step == "init"
                    || (since >= period.mul_f64(0.4) && since <= period.mul_f64(2.5))
                    || (previous_was_repeat && since < period / 10);
                let text = compared(write);
                let same_kind = received[..n].iter().rev().find(|earlier| earlier.bytes.len() == write.bytes.len());
                timed && same_kind.is_some_and(|earlier| compared(earlier) == text)
            }
            _ => false,
        };
        previous = Some(write);
        previous_was_repeat = repeat;
        if repeat {
            continue;
        }
        if let Some(i) = steps.iter().position(|step| *step == write.step) {
            out[i].push(compared(write));
        }
    }
    out
}

fn list(writes: &[String]) -> String {
    if writes.is_empty() {
        "nothing".to_owned()
    } else {
        writes.join(", ")
    }
}

/// A dump of both recordings, step by step, for reading a difference in full.
pub fn dump(protocol: &str, reference: &Outcome, plugboard: &Outcome) -> String {
    let mut out = format!("# {protocol}\n");
    for (name, outcome) in [("intiface-engine", reference), ("plugboard", plugboard)] {
        out.push_str(&format!("\n## {name}\n"));
        match outcome {
            Outcome::NotDrivable(reason) => out.push_str(&format!("not drivable: {reason}\n")),
            Outcome::Driven(d) => {
                out.push_str(&format!("device: {} (DeviceMessageTimingGap {:?})\n", d.entry.name, d.entry.message_gap));
                for feature in &d.entry.features {
                    out.push_str(&format!("feature: {feature}\n"));
                }
                for (step, reply) in &d.replies {
                    out.push_str(&format!("reply: {step} -> {reply}\n"));
                }
                let start = d.received.first().map(|r| r.at);
                for r in &d.received {
                    let ms = start.map_or(0.0, |start| r.at.duration_since(start).as_secs_f64() * 1e3);
                    out.push_str(&format!("write: {ms:>9.1} ms  {:<60} {}\n", r.step, show(&r.bytes)));
                }
            }
        }
    }
    out
}

pub fn text_table(rows: &[Row]) -> String {
    let width = rows.iter().map(|r| r.protocol.len()).max().unwrap_or(8).max(8);
    let mut out = format!(
        "{:<width$}  {:<15}  {:<12}  {:<8}  {:<9}  {}\n",
        "protocol", "bytes", "write counts", "entry", "gap (ms)", "device; detail"
    );
    for r in rows {
        let device = if r.device.is_empty() { String::new() } else { format!("{}; ", r.device) };
        out.push_str(&format!(
            "{:<width$}  {:<15}  {:<12}  {:<8}  {:<9}  {device}{}\n",
            r.protocol,
            r.bytes,
            counts(r),
            r.entry,
            r.gap,
            r.detail
        ));
    }
    out
}

pub fn markdown_table(rows: &[Row]) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::from(
        "| protocol | device | bytes | write counts | name, features | DeviceMessageTimingGap (intiface / plugboard) | detail |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            r.protocol,
            cell(&r.device),
            r.bytes,
            counts(r),
            r.entry,
            r.gap,
            cell(&r.detail)
        ));
    }
    out
}

/// The write-count column: empty where nothing was compared.
fn counts(row: &Row) -> &'static str {
    if row.entry.is_empty() {
        ""
    } else if row.counts_differ {
        "different"
    } else {
        "same"
    }
}

/// One line: how many protocols got each result.
pub fn summary(rows: &[Row]) -> String {
    let bytes = BYTE_RESULTS.map(|result| format!("{} {result}", rows.iter().filter(|r| r.bytes == result).count()));
    let compared = rows.iter().filter(|r| !r.entry.is_empty());
    let counts = rows.iter().filter(|r| counts(r) == "different").count();
    let entries = compared.clone().filter(|r| r.entry == "differs").count();
    format!(
        "bytes: {}; write counts: {counts} different; names and features: {entries} different of {} compared",
        bytes.join(", "),
        compared.count()
    )
}
