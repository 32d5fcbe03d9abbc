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
//! shakes hands, scans, and polls the device list until the device is there. Then the client
//! plays [`plan::steps`], `--gap-ms` apart so that no message-gap batching merges them: each
//! output alone, then every output running at once before each kind of stop (StopCmd for the
//! device, StopCmd for one feature, StopAllDevices, the client disconnecting). The device
//! labels each frame with the step that was current when it arrived.
//!
//! The comparison is per step: the same packets in the same order, and as many of them (a stop
//! written twice is a difference; a keepalive repeat, the same packet again after about the
//! protocol's keepalive period, is not counted). A rolling counter in the packets (a frame
//! counter, a packet id) is compared apart, see [`counters`]. The result per protocol, for the bytes, is
//! `identical`, `different` (with the first differing steps), `connect differs` (only the
//! writes before the first command), or `not drivable` with the reason; write counts and the
//! device-list entry (name, features, DeviceMessageTimingGap) are reported apart. The
//! device-websocket transport carries no endpoint, so only bytes and order are compared.
//!
//! Devices that must answer (a read while identifying, a handshake) cannot be simulated over the
//! device websocket, whose hardware cannot be read. The protocols [`ble::peripheral`] knows are
//! driven over Bluetooth LE instead: each server gets a fresh private D-Bus with a fake BlueZ
//! and the same scripted peripheral, which answers reads and writes the same way for both, and
//! reaches it through btleplug (`--use-bluetooth-le`, `DBUS_SYSTEM_BUS_ADDRESS` pointing at that
//! bus). There each write is compared with its endpoint and whether it asked for a response.
//! A Markdown table goes to `--markdown` (default `<target dir>/differential.md`), and each
//! protocol's recordings and server logs to `<that file's dir>/differential/<protocol>/`.

mod ble;
mod client;
mod counters;
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
    /// The identifier the simulated device announces, instead of the one picked per protocol
    /// (see `identifier`); for trying one protocol with another name.
    #[arg(long, value_name = "NAME")]
    identifier: Option<String>,
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
        let identifier = args.identifier.clone().unwrap_or_else(|| match ble::peripheral(protocol) {
            Some(peripheral) => peripheral.name.to_owned(),
            None => identifier(&database, protocol),
        });
        eprintln!("[{}/{}] {protocol} (identifier {identifier:?})", n + 1, names.len());
        let reference = run::drive(Kind::Intiface, &args.intiface, &dir, protocol, &identifier, gap).await;
        let plugboard = run::drive(Kind::Plugboard, &args.plugboard, &dir, protocol, &identifier, gap).await;
        let _ = std::fs::write(dir.join("writes.txt"), report::dump(protocol, &reference, &plugboard));
        let keepalive = keepalive(&database, protocol, &identifier).await;
        let row = report::compare(protocol, &reference, &plugboard, keepalive);
        eprintln!("    {} (entry {}): {}", row.bytes, row.entry, server::shorten(&row.detail, 300));
        rows.push(row);
    }

    println!("\n{}", report::text_table(&rows));
    let summary = report::summary(&rows);
    println!("{summary}");
    let text = format!(
        "Plugboard against intiface-engine ({}), byte for byte on a simulated device (over the device \
         websocket, or over Bluetooth LE on a fake BlueZ for devices that answer) (`make differential`): \
         {summary}.\n\n{}",
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

/// The keepalive period of the protocol's handler for this device, if it repeats packets:
/// Plugboard's handler, initialised on a fake that answers as the protocol's simulated device
/// does, or nothing (a protocol that waits for other answers while initialising has none here,
/// which only makes the comparison stricter). A time-driven handler that keeps the device
/// alive from its own ticks says so in [`KEEPALIVE_TICKS`].
async fn keepalive(database: &plugboard_devices::config::Database, name: &str, identifier: &str) -> Option<Duration> {
    use plugboard_devices::hardware::Endpoint;
    use plugboard_devices::protocols::{by_name, simulated_devices, Keepalive};
    if let Some(&(_, period)) = KEEPALIVE_TICKS.iter().find(|(protocol, _)| *protocol == name) {
        return Some(period);
    }
    const ENDPOINT_NAMES: &[&str] = &[
        "command",
        "firmware",
        "rx",
        "rxaccel",
        "rxblebattery",
        "rxblemodel",
        "rxpressure",
        "rxtouch",
        "tx",
        "txmode",
        "txshock",
        "txvibrate",
        "txvendorcontrol",
        "whitelist",
        "generic0",
    ];
    let protocol = by_name(name)?;
    let definition = database.definition(protocol.definition_protocol(Some(identifier)), Some(identifier))?;
    // Every endpoint: init packets to `txmode` and the like must not fail here.
    let endpoints: Vec<Endpoint> = ENDPOINT_NAMES.iter().filter_map(|name| name.parse().ok()).collect();
    let fake = plugboard_devices::testing::FakeHardware::with_endpoints(identifier, "differential", &endpoints);
    if let Some(device) = simulated_devices::for_protocol(name) {
        fake.simulate_boxed(device);
    }
    let initialize = protocol.initialize(&fake, Some(identifier), &definition.features);
    let handler = tokio::time::timeout(Duration::from_secs(5), initialize).await.ok()?.ok()?;
    // Every kind of keepalive writes on a period; a packet equal to an earlier one, its counter
    // aside (see `counters.rs`), is told apart as a repeat by its timing (`report::by_step`).
    match handler.keepalive() {
        Keepalive::RepeatLast(period) | Keepalive::ResendState(period) | Keepalive::WhileRunning(period) => {
            Some(period)
        }
        Keepalive::None => None,
    }
}

/// Time-driven handlers whose ticks keep the device alive, with the period: their `keepalive()`
/// is `Keepalive::None`, the timing being the handler's own.
const KEEPALIVE_TICKS: &[(&str, Duration)] = &[("umove", plugboard_devices::protocols::umove::KEEPALIVE)];

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
