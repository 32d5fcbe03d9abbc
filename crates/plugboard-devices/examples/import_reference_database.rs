//! Regenerates Plugboard's device database from the reference engine's.
//!
//! ```text
//! cargo run -p plugboard-devices --example import_reference_database -- \
//!     buttplug-device-config-v5.json device-config/plugboard-devices.json
//! ```
//!
//! `scripts/import-reference-device-config.sh` finds the reference file and runs this. Every
//! protocol Plugboard implements is carried over with all its devices; the others are counted
//! and named. The coverage table it prints goes into `device-config/README.md`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use plugboard_devices::config::export::to_plugboard_json;
use plugboard_devices::config::Database;
use serde_json::Value;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [from, to] = args.as_slice() else {
        eprintln!("usage: import_reference_database <reference-device-config.json> <output.json>");
        return ExitCode::from(2);
    };
    match run(from, to) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(from: &str, to: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(from).map_err(|error| format!("{from}: {error}"))?;
    let raw: Value = serde_json::from_str(&text).map_err(|error| format!("{from}: {error}"))?;
    let database = Database::from_json_str(&text, "reference device config").map_err(|error| error.to_string())?;
    for warning in &database.warnings {
        eprintln!("warning: {warning}");
    }
    let version = format!("v{}.{}", database.version_major, database.version_minor);
    let written = to_plugboard_json(&database, Some(&format!("reference device config {version}")));
    // What is written must read back as the same devices.
    let reread = Database::from_json_str(&written, to)
        .map_err(|error| format!("the written file does not read back: {error}"))?;
    for protocol in database.protocols() {
        if reread.protocol(&protocol.name) != Some(protocol) {
            return Err(format!("{} does not read back the same", protocol.name));
        }
    }
    std::fs::write(to, &written).map_err(|error| format!("{to}: {error}"))?;
    print_coverage(&raw, &database, &version);
    Ok(())
}

/// A device entry is a configuration, or the defaults of a protocol that has none.
fn entries_per_protocol(raw: &Value) -> BTreeMap<String, usize> {
    let protocols = raw.get("protocols").and_then(Value::as_object).into_iter().flatten();
    protocols
        .map(|(name, protocol)| {
            let configurations = protocol.get("configurations").and_then(Value::as_array).map_or(0, Vec::len);
            (name.clone(), configurations.max(1))
        })
        .collect()
}

fn print_coverage(raw: &Value, database: &Database, version: &str) {
    let entries = entries_per_protocol(raw);
    let total: usize = entries.values().sum();
    let covered: usize =
        entries.iter().filter(|(name, _)| database.protocol(name).is_some()).map(|(_, count)| count).sum();
    let implemented = database.protocols().count();
    println!(
        "Coverage of the reference database {version}: {covered} of {total} device entries ({:.1} %) belong to the \
         {implemented} implemented protocols, out of {} protocols.",
        covered as f64 * 100.0 / total as f64,
        entries.len(),
    );
    println!();
    let mut left: Vec<(&String, &usize)> =
        entries.iter().filter(|(name, _)| database.protocol(name).is_none()).collect();
    left.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!("Not implemented ({} entries):", total - covered);
    println!();
    println!("{}", left.iter().map(|(name, count)| format!("`{name}` ({count})")).collect::<Vec<_>>().join(", "));
}
