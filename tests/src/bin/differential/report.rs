//! Comparing the two recordings of one protocol, and the result table (text and Markdown).

use crate::device::{show, Received};
use crate::run::{Driven, Outcome};

pub struct Row {
    pub protocol: String,
    pub device: String,
    pub result: &'static str,
    pub detail: String,
}

pub fn compare(protocol: &str, reference: &Outcome, plugboard: &Outcome) -> Row {
    let row = |device: String, result, detail| Row { protocol: protocol.to_owned(), device, result, detail };
    let (r, p) = match (reference, plugboard) {
        (Outcome::NotDrivable(r), Outcome::NotDrivable(p)) => {
            return row(String::new(), "not drivable", format!("intiface-engine: {r}; plugboard: {p}"))
        }
        (Outcome::NotDrivable(r), Outcome::Driven(p)) => {
            return row(p.device_name.clone(), "not drivable", format!("intiface-engine: {r} (plugboard drove it)"))
        }
        (Outcome::Driven(r), Outcome::NotDrivable(p)) => {
            return row(r.device_name.clone(), "different", format!("plugboard could not drive it: {p}"))
        }
        (Outcome::Driven(r), Outcome::Driven(p)) => (r, p),
    };
    let device = if r.device_name == p.device_name {
        r.device_name.clone()
    } else {
        format!("{} / plugboard: {}", r.device_name, p.device_name)
    };
    let mut differences = Vec::new();
    if r.outputs != p.outputs {
        let list = |d: &Driven| d.outputs.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", ");
        differences.push(format!("outputs: intiface-engine {} vs plugboard {}", list(r), list(p)));
    }
    // Runs of one packet count once: keepalive repeats come at times of their own, and one
    // may even land just after the next command's label was set.
    let (r_all, p_all) = (collapse(&r.received), collapse(&p.received));
    let (r_init, r_cmds) = split_init(&r_all);
    let (p_init, p_cmds) = split_init(&p_all);
    let connect = (r_init != p_init).then(|| first_difference(r_init, p_init));
    let commands = (r_cmds != p_cmds).then(|| first_difference(r_cmds, p_cmds));
    if let Some(difference) = &commands {
        differences.push(format!("commands: {difference}"));
    }
    let code = |reply: &str| reply.split(':').next().unwrap_or("").to_owned();
    if let Some(((step, a), (_, b))) = r.replies.iter().zip(&p.replies).find(|((_, a), (_, b))| code(a) != code(b)) {
        differences.push(format!("reply to {step}: intiface-engine {a}, plugboard {b}"));
    }
    if let Some(difference) = &connect {
        differences.push(format!("connect: {difference}"));
    }
    let repeats = r.received != p.received && differences.is_empty();
    let result = if !differences.is_empty() && (connect.is_none() || differences.len() > 1) {
        "different"
    } else if !differences.is_empty() {
        "commands identical"
    } else {
        "identical"
    };
    if differences.is_empty() {
        differences.push(format!("{} writes for {} commands", r.received.len(), r.replies.len()));
    }
    if repeats {
        differences.push("a packet was repeated a different number of times (keepalive timing)".to_owned());
    }
    row(device, result, differences.join("; "))
}

/// The writes before the first command, and the rest.
fn split_init(received: &[Received]) -> (&[Received], &[Received]) {
    let at = received.iter().position(|r| r.step != "init").unwrap_or(received.len());
    received.split_at(at)
}

/// Runs of the same packet, written one after another, count once (keepalive repeats).
fn collapse(received: &[Received]) -> Vec<Received> {
    let mut out: Vec<Received> = Vec::new();
    for r in received {
        if out.last().is_none_or(|last| last.bytes != r.bytes) {
            out.push(r.clone());
        }
    }
    out
}

fn first_difference(a: &[Received], b: &[Received]) -> String {
    let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let step = a.get(at).or(b.get(at)).map(|r| r.step.as_str()).unwrap_or("?");
    let one = |r: Option<&Received>| match r {
        Some(r) if r.step == step => show(&r.bytes),
        Some(r) => format!("{} (at {})", show(&r.bytes), r.step),
        None => "nothing".to_owned(),
    };
    format!("at {step}: intiface-engine {}, plugboard {}", one(a.get(at)), one(b.get(at)))
}

/// A dump of both recordings, step by step, for reading a difference in full.
pub fn dump(protocol: &str, reference: &Outcome, plugboard: &Outcome) -> String {
    let mut out = format!("# {protocol}\n");
    for (name, outcome) in [("intiface-engine", reference), ("plugboard", plugboard)] {
        out.push_str(&format!("\n## {name}\n"));
        match outcome {
            Outcome::NotDrivable(reason) => out.push_str(&format!("not drivable: {reason}\n")),
            Outcome::Driven(d) => {
                out.push_str(&format!("device: {}\n", d.device_name));
                for o in &d.outputs {
                    out.push_str(&format!("output: {o}\n"));
                }
                for (step, reply) in &d.replies {
                    out.push_str(&format!("reply: {step} -> {reply}\n"));
                }
                for r in &d.received {
                    out.push_str(&format!("write: {:<40} {}\n", r.step, show(&r.bytes)));
                }
            }
        }
    }
    out
}

pub fn text_table(rows: &[Row]) -> String {
    let width = rows.iter().map(|r| r.protocol.len()).max().unwrap_or(8).max(8);
    let mut out = format!("{:<width$}  {:<12}  {}\n", "protocol", "result", "device; detail");
    for r in rows {
        let device = if r.device.is_empty() { String::new() } else { format!("{}; ", r.device) };
        out.push_str(&format!("{:<width$}  {:<12}  {device}{}\n", r.protocol, r.result, r.detail));
    }
    out
}

pub fn markdown_table(rows: &[Row]) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::from("| protocol | device | result | detail |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!("| `{}` | {} | {} | {} |\n", r.protocol, cell(&r.device), r.result, cell(&r.detail)));
    }
    out
}
