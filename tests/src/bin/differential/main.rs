//! `differential`: the same simulated device and the same commands, through the reference
//! server (intiface-engine) and through Plugboard, for every protocol Plugboard registers;
//! the bytes the device receives are compared. Run it with `make differential`.
//!
//! For each protocol in `plugboard_devices::protocols::names()`, and each server in turn (one at
//! a time, on free ports): the server's user config binds a websocket identifier to the
//! protocol (`Differential-<protocol>`, or a model's identifier when the protocol's defaults
//! have no features, see [`identifier`]); the server starts with its device-websocket
//! server on; a simulated device dials in and announces that identifier (answering Lovense's
//! `DeviceType;` and `Battery;` queries, recording every frame); a raw-JSON spec v4 client
//! shakes hands, scans, and polls the device list until the device is there. Then, for each
//! output of each feature as the server reports it, the client sends a few OutputCmd values
//! and a StopCmd, `--gap-ms` apart so that no message-gap batching merges them. The device
//! labels each frame with the command that was current when it arrived.
//!
//! The result per protocol is `identical`, `different` (with the first differing write of the
//! connect phase and of the command phase, in order), or `not drivable` with the reason. The
//! device-websocket transport carries no endpoint, so only bytes and order are compared.
//! A Markdown table goes to `--markdown` (default `<target dir>/differential.md`), and each
//! protocol's recordings and server logs to `<that file's dir>/differential/<protocol>/`.

mod client;
mod device;
mod plan;
mod report;
mod run;
mod server;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use server::Kind;

#[derive(Parser)]
#[command(about = "Compare the bytes Plugboard and intiface-engine write to the same simulated device")]
struct Args {
    /// The reference server binary (scripts/build-intiface-engine.sh prints its path).
    #[arg(long, value_name = "FILE")]
    intiface: PathBuf,
    /// Plugboard's plugboard-engine binary.
    #[arg(long, value_name = "FILE")]
    plugboard: PathBuf,
    /// Where to write the Markdown table (default: differential.md in the target dir).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Only these protocols (repeatable); default every protocol Plugboard registers.
    #[arg(long = "protocol", value_name = "NAME")]
    protocols: Vec<String>,
    /// Milliseconds between two commands.
    #[arg(long, value_name = "MS", default_value_t = 250)]
    gap_ms: u64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    for (what, path) in [("--intiface", &args.intiface), ("--plugboard", &args.plugboard)] {
        if !path.is_file() {
            eprintln!("differential: {what} {} is not a file", path.display());
            return std::process::ExitCode::from(2);
        }
    }
    let markdown = args.markdown.clone().unwrap_or_else(|| target_dir().join("differential.md"));
    let out_dir = markdown.parent().unwrap_or(std::path::Path::new(".")).join("differential");
    let _ = std::fs::remove_dir_all(&out_dir);

    let names: Vec<&str> = plugboard_devices::protocols::names()
        .filter(|name| args.protocols.is_empty() || args.protocols.iter().any(|p| p == name))
        .collect();
    for unknown in args.protocols.iter().filter(|p| !names.contains(&p.as_str())) {
        eprintln!("differential: {unknown} is not a protocol Plugboard registers; skipped");
    }
    let gap = Duration::from_millis(args.gap_ms);
    let database = match plugboard_devices::config::Database::builtin() {
        Ok(database) => database,
        Err(error) => {
            eprintln!("differential: Plugboard's built-in device database does not load: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut rows = Vec::new();
    for (n, protocol) in names.iter().enumerate() {
        let dir = out_dir.join(protocol);
        if let Err(error) = std::fs::create_dir_all(&dir) {
            eprintln!("differential: cannot create {}: {error}", dir.display());
            return std::process::ExitCode::from(2);
        }
        let identifier = identifier(&database, protocol);
        eprintln!("[{}/{}] {protocol} (identifier {identifier:?})", n + 1, names.len());
        let reference = run::drive(Kind::Intiface, &args.intiface, &dir, protocol, &identifier, gap).await;
        let plugboard = run::drive(Kind::Plugboard, &args.plugboard, &dir, protocol, &identifier, gap).await;
        let _ = std::fs::write(dir.join("writes.txt"), report::dump(protocol, &reference, &plugboard));
        let row = report::compare(protocol, &reference, &plugboard);
        eprintln!("    {}: {}", row.result, server::shorten(&row.detail, 300));
        rows.push(row);
    }

    println!("\n{}", report::text_table(&rows));
    let summary = ["identical", "commands identical", "different", "not drivable"]
        .map(|result| format!("{} {result}", rows.iter().filter(|r| r.result == result).count()))
        .join(", ");
    println!("{summary}");
    let text = format!(
        "Plugboard against intiface-engine ({}), byte for byte on a simulated device-websocket device \
         (`make differential`): {summary}.\n\n{}",
        reference_version(&args.intiface),
        report::markdown_table(&rows)
    );
    match std::fs::write(&markdown, text) {
        Ok(()) => println!("Markdown table: {}\nRecordings and server logs: {}", markdown.display(), out_dir.display()),
        Err(error) => {
            eprintln!("differential: cannot write {}: {error}", markdown.display());
            return std::process::ExitCode::from(2);
        }
    }
    std::process::ExitCode::SUCCESS
}

/// The identifier the simulated device announces (and, over the device websocket, its name,
/// which many protocols identify the model by): `Differential-<protocol>`, so that the
/// protocol's defaults describe the device, unless the defaults have no features (protocols
/// that only know their models); then the first identifier of the protocol's first model.
fn identifier(database: &plugboard_devices::config::Database, protocol: &str) -> String {
    let fallback = format!("Differential-{protocol}");
    let Some(def) = database.protocol(protocol) else { return fallback };
    if def.defaults.features.as_ref().is_some_and(|features| !features.is_empty()) {
        return fallback;
    }
    def.models.iter().find_map(|model| model.identifiers.first().cloned()).unwrap_or(fallback)
}

/// The target directory this binary was built into (`<target>/<profile>/differential`).
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// `intiface-engine --server-version`, e.g. `5.0.5`.
fn reference_version(binary: &std::path::Path) -> String {
    std::process::Command::new(binary)
        .arg("--server-version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "version unknown".to_owned())
}
