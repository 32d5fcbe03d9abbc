//! `plugboard-engine`: the headless Buttplug server. Flags follow intiface-engine's names
//! where they overlap, so people who know it feel at home.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use plugboard_devices::virtual_device::VirtualDeviceSpec;
use plugboard_protocol::SpecVersion;
use plugboard_server::{
    DeviceOptions, Engine, EngineConfig, Limits, DEFAULT_DEVICE_WEBSOCKET_PORT, DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_MAX_CLIENTS, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_MESSAGES_PER_FRAME, DEFAULT_MAX_MESSAGES_PER_SECOND,
    DEFAULT_SERVER_NAME, DEFAULT_WEBSOCKET_PING_INTERVAL, DEFAULT_WEBSOCKET_PONG_TIMEOUT, DEFAULT_WEBSOCKET_PORT,
};

/// Plugboard's headless engine: a Buttplug server for games and apps, spec v0 to v4, many
/// clients at once. Games connect to ws://127.0.0.1:12345 unless told otherwise.
#[derive(Debug, Parser)]
#[command(name = "plugboard-engine", version)]
struct Cli {
    /// Port of the websocket server games connect to.
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_WEBSOCKET_PORT)]
    websocket_port: u16,

    /// Listen on every network interface instead of this machine only. Anyone on your
    /// network can then control your devices.
    #[arg(long, conflicts_with = "websocket_listen_address")]
    websocket_use_all_interfaces: bool,

    /// Listen on exactly this address (IP or IP:PORT), e.g. 192.168.1.20:12345 or [::1].
    #[arg(long, value_name = "ADDRESS")]
    websocket_listen_address: Option<String>,

    /// Web pages allowed to connect: browser clients (which send an Origin header) from any
    /// other Origin are refused with HTTP 403, e.g. https://game.example,http://localhost:5173.
    /// An empty list ('') refuses every web page. Without this flag any web page may use the
    /// websocket, and none the HTTP surfaces. Native apps (no Origin) are not affected.
    #[arg(long, value_name = "ORIGIN[,ORIGIN...]", value_delimiter = ',')]
    allowed_origins: Option<Vec<String>>,

    /// Name sent to clients in ServerInfo.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_SERVER_NAME)]
    server_name: String,

    /// Milliseconds a client may go without sending Ping before its devices stop and it is
    /// disconnected. 0 turns the check off.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    max_ping_time: u32,

    /// Log level: error, warn, info, debug or trace (or a tracing filter such as
    /// plugboard_server=debug). Without it, RUST_LOG is used, else info.
    #[arg(long, value_name = "LEVEL")]
    log: Option<String>,

    /// How log lines look: text for people, or json (one JSON object per line) for scripts
    /// and log collectors. `--log plugboard_server::event_log=debug` adds a line for every
    /// client, device and output change.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,

    /// Device database to use instead of the built-in one: Plugboard's format (see
    /// device-config/README.md), or the reference v4/v5 format of Intiface's device config, told
    /// apart by content. From the reference's file, the protocols Plugboard implements are used.
    #[arg(long, value_name = "FILE")]
    device_config_file: Option<PathBuf>,

    /// User device config: allow/deny, names, indexes, output limits, serial ports and
    /// websocket devices. Plugboard's own file, or Intiface's (read, never written; changes
    /// then go to Plugboard's file in the OS config dir). Default: Plugboard's file there.
    #[arg(long, value_name = "FILE")]
    user_device_config_file: Option<PathBuf>,

    /// Find and connect Bluetooth LE devices.
    #[arg(long)]
    use_bluetooth_le: bool,

    /// Connect serial-port devices bound to a protocol in the user device config.
    #[arg(long)]
    use_serial: bool,

    /// Run the device-websocket server that simulated and DIY devices dial into (devices
    /// must be bound to a protocol in the user device config).
    #[arg(long)]
    use_device_websocket_server: bool,

    /// Port of the device-websocket server.
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_DEVICE_WEBSOCKET_PORT)]
    device_websocket_server_port: u16,

    /// Let devices on the network dial into the device-websocket server (default: this
    /// machine only).
    #[arg(long)]
    device_websocket_use_all_interfaces: bool,

    /// How many clients may be connected at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLIENTS)]
    max_clients: usize,

    /// The largest frame (websocket message) a client may send, in bytes. A larger one gets
    /// an Error, then the connection closes with code 1009. 0 turns the limit off.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FRAME_BYTES)]
    max_frame_size: usize,

    /// The most messages one frame may hold. A frame with more gets one Error (code 3) and
    /// none of its messages runs. 0 turns the limit off.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_MESSAGES_PER_FRAME)]
    max_messages_per_frame: usize,

    /// Messages per second one client may send, in bursts of up to one second's worth. Beyond
    /// it, each message gets an Error (code 3) and is dropped. 0 turns the limit off.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_MESSAGES_PER_SECOND)]
    max_messages_per_second: u32,

    /// Milliseconds a new connection has to send RequestServerInfo; then it gets an Error
    /// (code 1) and is closed. 0 turns the limit off.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_HANDSHAKE_TIMEOUT.as_millis() as u64)]
    handshake_timeout: u64,

    /// Milliseconds a connection may be silent before the server sends it a websocket Ping, to
    /// find clients that are gone. 0 turns the Pings off.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_WEBSOCKET_PING_INTERVAL.as_millis() as u64)]
    websocket_ping_interval: u64,

    /// Milliseconds the server waits for an answer to its websocket Ping, or for a client to
    /// read what it is sent, before closing the connection. 0 turns the Pings off.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_WEBSOCKET_PONG_TIMEOUT.as_millis() as u64)]
    websocket_pong_timeout: u64,

    /// Add an in-process virtual device, so a game can be tried without a toy. KIND is one of
    /// vibrator, dual-vibrator, rotator, stroker, lovense-max; NAME is optional. Repeatable.
    #[arg(long = "virtual-device", value_name = "KIND[:NAME]")]
    virtual_devices: Vec<VirtualDeviceSpec>,

    /// Newest Buttplug spec version to accept (0 to 4), to check how a game behaves against an
    /// older server. Newer clients are refused with a handshake error.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=4))]
    max_spec_version: u32,

    /// Print the protocol families this build implements (one per line, by the names the
    /// device databases use) and exit.
    #[arg(long, conflicts_with = "list_devices")]
    list_protocols: bool,

    /// Print every device model the device database knows (protocol, name, identifiers;
    /// tab-separated) and exit. Honours --device-config-file.
    #[arg(long)]
    list_devices: bool,
}

/// The shape of the log lines on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

impl Cli {
    fn config(&self) -> Result<EngineConfig, String> {
        let mut config = if self.websocket_use_all_interfaces {
            EngineConfig::all_interfaces(self.websocket_port)
        } else {
            EngineConfig::loopback(self.websocket_port)
        };
        if let Some(address) = &self.websocket_listen_address {
            config.listen = vec![parse_listen_address(address, self.websocket_port)?];
        }
        config.allowed_origins = self.allowed_origins.as_ref().map(|origins| {
            origins.iter().map(|origin| origin.trim().to_owned()).filter(|origin| !origin.is_empty()).collect()
        });
        config.server_name = self.server_name.clone();
        config.max_ping_time_ms = self.max_ping_time;
        config.max_clients = self.max_clients;
        config.limits = Limits {
            max_frame_bytes: self.max_frame_size,
            max_messages_per_frame: self.max_messages_per_frame,
            max_messages_per_second: self.max_messages_per_second,
            handshake_timeout: Duration::from_millis(self.handshake_timeout),
            websocket_ping_interval: Duration::from_millis(self.websocket_ping_interval),
            websocket_pong_timeout: Duration::from_millis(self.websocket_pong_timeout),
        };
        config.max_spec_version = SpecVersion::from_number(self.max_spec_version).unwrap_or(SpecVersion::NEWEST);
        config.virtual_devices = self.virtual_devices.clone();
        config.devices = DeviceOptions {
            device_config_file: self.device_config_file.clone(),
            user_device_config_file: self.user_device_config_file.clone(),
            own_user_config_path: None,
            use_bluetooth_le: self.use_bluetooth_le,
            use_serial: self.use_serial,
            use_device_websocket_server: self.use_device_websocket_server,
            device_websocket_port: self.device_websocket_server_port,
            device_websocket_all_interfaces: self.device_websocket_use_all_interfaces,
        };
        Ok(config)
    }
}

fn parse_listen_address(text: &str, default_port: u16) -> Result<SocketAddr, String> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, default_port))
        .map_err(|_| format!("'{text}' is not an IP address or IP:PORT (examples: 127.0.0.1:12345, [::1]:12345)"))
}

fn init_logging(level: Option<&str>, format: LogFormat) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = match level {
        Some(level) => EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info")),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let log = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => log.json().init(),
        // Colours for a terminal only, never in a file or a pipe. Windows' console shows escape
        // codes as text unless a program turns on their processing, so it gets none.
        LogFormat::Text => log.with_ansi(cfg!(not(windows)) && std::io::stderr().is_terminal()).init(),
    }
}

/// Prints a listing; a reader that goes away early (`| head`) is no error.
fn print_lines<T: std::fmt::Display>(lines: impl IntoIterator<Item = T>) -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

/// `--list-devices`: the database's models, or why the database cannot be read.
fn list_devices(device_config_file: Option<&std::path::Path>) -> ExitCode {
    use plugboard_devices::config::Database;
    let database = match device_config_file {
        Some(path) => Database::from_file(path),
        None => Database::builtin(),
    };
    match database {
        Ok(database) => {
            for warning in &database.warnings {
                tracing::warn!(%warning, "device database");
            }
            print_lines(plugboard_server::catalog::device_lines(&database))
        }
        Err(error) => {
            eprintln!("plugboard-engine: the device database could not be loaded: {error}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log.as_deref(), cli.log_format);
    if cli.list_protocols {
        return print_lines(plugboard_server::catalog::protocol_names());
    }
    if cli.list_devices {
        return list_devices(cli.device_config_file.as_deref());
    }
    let config = match cli.config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("plugboard-engine: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("plugboard-engine: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let engine = match Engine::start(config).await {
            Ok(engine) => engine,
            Err(error) => {
                eprintln!("plugboard-engine: {error}");
                return ExitCode::FAILURE;
            }
        };
        release_startup_memory();
        let event_log = plugboard_server::event_log::spawn(&engine);
        // Listen for the stop signals before saying the engine runs: a Ctrl+C that arrives
        // right after the line must stop the engine cleanly, not kill it.
        let stop_signal = wait_for_stop_signal();
        println!("Plugboard engine running. Connect games to {}", engine.url());
        stop_signal.await;
        tracing::info!("stopping: every output is stopped first");
        engine.stop().await;
        if let Some(event_log) = event_log {
            let _ = event_log.await;
        }
        ExitCode::SUCCESS
    })
}

/// Hands the memory freed after start-up (the device database's JSON tree, parsed once) back to
/// the OS. glibc keeps freed heap for reuse; an engine that idles next to a game for hours
/// should not hold on to it.
fn release_startup_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; it is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Waits until the user or the system asks the engine to stop: Ctrl+C or SIGTERM on Unix;
/// on Windows Ctrl+C, Ctrl+Break, the console window being closed, the user logging off or the
/// system shutting down (Windows gives a closing console's program a few seconds, enough to
/// stop every device).
fn wait_for_stop_signal() -> impl std::future::Future<Output = ()> {
    // Unix signal streams are registered when created, here, not when first polled.
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{signal, SignalKind};
        (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    };
    async move {
        #[cfg(unix)]
        match (interrupt, terminate) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(windows)]
        {
            use tokio::signal::windows;
            let (Ok(mut brk), Ok(mut close), Ok(mut logoff), Ok(mut shutdown)) =
                (windows::ctrl_break(), windows::ctrl_close(), windows::ctrl_logoff(), windows::ctrl_shutdown())
            else {
                let _ = tokio::signal::ctrl_c().await;
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = brk.recv() => {}
                _ = close.recv() => {}
                _ = logoff.recv() => {}
                _ = shutdown.recv() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> EngineConfig {
        let cli = Cli::try_parse_from(std::iter::once("plugboard-engine").chain(args.iter().copied())).unwrap();
        cli.config().unwrap()
    }

    #[test]
    fn allowed_origins_are_a_comma_separated_list() {
        assert_eq!(config(&[]).allowed_origins, None);
        assert_eq!(
            config(&["--allowed-origins", "https://game.example, http://localhost:5173"]).allowed_origins,
            Some(vec!["https://game.example".to_owned(), "http://localhost:5173".to_owned()])
        );
        assert_eq!(config(&["--allowed-origins", ""]).allowed_origins, Some(vec![]));
    }

    #[test]
    fn all_interfaces_is_the_consent_nobody_is_asked() {
        let config = config(&["--websocket-use-all-interfaces"]);
        assert!(config.listen.iter().all(|address| address.ip().is_unspecified()));
        assert!(!config.remote_clients.ask);
    }
}
