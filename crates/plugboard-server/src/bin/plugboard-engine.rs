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
    DeviceOptions, Engine, EngineConfig, Limits, LovenseApiOptions, DEFAULT_DEVICE_WEBSOCKET_PORT,
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_LOVENSE_API_HTTPS_PORT, DEFAULT_LOVENSE_API_PORT, DEFAULT_MAX_CLIENTS,
    DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_MESSAGES_PER_FRAME, DEFAULT_MAX_MESSAGES_PER_SECOND, DEFAULT_SERVER_NAME,
    DEFAULT_WEBSOCKET_PING_INTERVAL, DEFAULT_WEBSOCKET_PONG_TIMEOUT, DEFAULT_WEBSOCKET_PORT,
};

/// Plugboard's headless engine: a Buttplug server for games and apps, spec v0 to v4, many
/// clients at once. Games connect to ws://127.0.0.1:12345 unless told otherwise.
#[derive(Debug, Parser)]
// No `version` here: clap's own --version would print one bare line; ours prints a banner and
// --server-version the bare number, as intiface-engine's flags do.
#[command(name = "plugboard-engine")]
struct Cli {
    /// Print the program's name, version, the Buttplug spec versions it serves and the
    /// platform, then exit.
    #[arg(long, conflicts_with = "server_version")]
    version: bool,

    /// Print the bare version number (for scripts) and exit.
    #[arg(long)]
    server_version: bool,

    /// Port of the websocket server games connect to [default: 12345]. With
    /// --websocket-client-address the engine listens only when this flag (or another
    /// --websocket-* listening flag) is given.
    #[arg(long, value_name = "PORT")]
    websocket_port: Option<u16>,

    /// Client mode: dial out to the websocket server at this address (ws://HOST:PORT) and serve
    /// the Buttplug protocol over that connection, for apps that host the websocket themselves.
    /// The app is a client like any other; when the connection drops, what it ran stops and the
    /// engine dials again, after a pause that grows from half a second to 30 seconds.
    #[arg(long, value_name = "URL", value_parser = parse_dial_address)]
    websocket_client_address: Option<String>,

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

    /// Announce the websocket server on the local network over mDNS (as _intiface_engine._tcp,
    /// the way intiface-engine does), so apps that look for Intiface find it. Needs a server
    /// that listens beyond this machine (--websocket-use-all-interfaces or
    /// --websocket-listen-address); on loopback only there is nothing to announce.
    #[arg(long)]
    broadcast_server_mdns: bool,

    /// Text appended to the announced mDNS instance name ("Intiface XXXXXX TEXT"), to tell
    /// several servers apart.
    #[arg(long, value_name = "TEXT", requires = "broadcast_server_mdns")]
    mdns_suffix: Option<String>,

    /// Repeater mode: run no engine, but forward each client that connects to --repeater-port
    /// (on this machine) to the Buttplug server at --repeater-remote-address, and back, so a
    /// game here can use a server on another machine.
    #[arg(long, requires = "repeater_remote_address")]
    repeater: bool,

    /// Port of this machine the repeater listens on.
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_WEBSOCKET_PORT)]
    repeater_port: u16,

    /// The Buttplug server the repeater forwards clients to, e.g. ws://192.168.1.20:12345
    /// (plain ws://; wss:// is not supported).
    #[arg(long, value_name = "URL", requires = "repeater", value_parser = parse_websocket_url)]
    repeater_remote_address: Option<String>,

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

    /// Answer the Lovense local API ("Game Mode" of Lovense Remote), so that games made for
    /// Lovense toys drive any device Plugboard knows. It listens where the websocket does
    /// (this machine only, unless --websocket-use-all-interfaces).
    #[arg(long)]
    lovense_api: bool,

    /// HTTP port of the Lovense API: type http://127.0.0.1:PORT into the game.
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_LOVENSE_API_PORT)]
    lovense_api_port: u16,

    /// HTTPS port of the Lovense API, with a self-signed certificate kept in the config
    /// directory (apps that verify certificates refuse it). 0 turns HTTPS off.
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_LOVENSE_API_HTTPS_PORT)]
    lovense_api_https_port: u16,

    /// Serve the REST API (intiface-engine's routes under /api/v1: list devices, set an
    /// output's level, stop, read a battery, follow events) at this port, e.g. 12346. It
    /// listens where the websocket does (this machine only, unless
    /// --websocket-use-all-interfaces) and refuses web pages that --allowed-origins does not
    /// list. Off unless given; 0 picks a free port. See docs/rest-api.md.
    #[arg(long, value_name = "PORT")]
    rest_api_port: Option<u16>,

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
    /// vibrator, dual-vibrator, rotator, stroker, lovense-max, sampler; NAME is optional. Repeatable.
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

    /// Check for device updates: download a newer device database (by default the reference's
    /// published v5 file), check it completely, keep it in the OS config dir (the one it
    /// replaces is kept as device-database.json.previous), say how many models it adds, and
    /// exit. The engine uses it from its next start, unless --device-config-file names another.
    #[arg(
        long,
        value_name = "URL",
        num_args = 0..=1,
        default_missing_value = plugboard_server::database_update::DEFAULT_DEVICE_DATABASE_URL,
        conflicts_with_all = ["list_devices", "list_protocols"]
    )]
    update_device_config: Option<String>,
}

/// The shape of the log lines on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

impl Cli {
    fn config(&self) -> Result<EngineConfig, String> {
        let port = self.websocket_port.unwrap_or(DEFAULT_WEBSOCKET_PORT);
        let mut config = if self.websocket_use_all_interfaces {
            EngineConfig::all_interfaces(port)
        } else {
            EngineConfig::loopback(port)
        };
        if let Some(address) = &self.websocket_listen_address {
            config.listen = vec![parse_listen_address(address, port)?];
        }
        config.websocket_client_address = self.websocket_client_address.clone();
        if self.websocket_client_address.is_some() && !self.asks_to_listen() {
            config.listen.clear();
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
            downloaded_database_path: None,
            user_device_config_file: self.user_device_config_file.clone(),
            own_user_config_path: None,
            use_bluetooth_le: self.use_bluetooth_le,
            use_serial: self.use_serial,
            use_device_websocket_server: self.use_device_websocket_server,
            device_websocket_port: self.device_websocket_server_port,
            device_websocket_all_interfaces: self.device_websocket_use_all_interfaces,
        };
        config.lovense_api = LovenseApiOptions {
            enabled: self.lovense_api,
            port: self.lovense_api_port,
            https_port: (self.lovense_api_https_port != 0).then_some(self.lovense_api_https_port),
            certificate_dir: None,
        };
        config.rest_api_port = self.rest_api_port;
        Ok(config)
    }

    /// Whether a flag says where to listen (in client mode the engine listens only then).
    fn asks_to_listen(&self) -> bool {
        self.websocket_port.is_some() || self.websocket_use_all_interfaces || self.websocket_listen_address.is_some()
    }
}

/// `--websocket-client-address`: checked when the flags are read, with the engine's own rules.
fn parse_dial_address(text: &str) -> Result<String, String> {
    plugboard_server::DialAddress::parse(text).map(|_| text.trim().to_owned())
}

/// `--repeater-remote-address`: a `ws://` URL, checked when the flags are read rather than at
/// the first dial. The websocket client is built without TLS, so a `wss://` remote is refused
/// here with the reason instead of failing each client that connects later.
fn parse_websocket_url(text: &str) -> Result<String, String> {
    if text.starts_with("ws://") {
        Ok(text.to_owned())
    } else if text.starts_with("wss://") {
        Err(format!(
            "'{text}' asks for a TLS websocket (wss://), which the repeater cannot dial: give the remote \
             server's plain ws:// address, for example ws://192.168.1.20:12345"
        ))
    } else {
        Err(format!("'{text}' is not a websocket URL (example: ws://192.168.1.20:12345)"))
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
        None => plugboard_server::database_update::database_in_use(
            plugboard_server::default_downloaded_database_path().as_deref(),
        ),
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

/// `--update-device-config`: downloads, checks and keeps a newer device database.
fn update_device_config(url: &str) -> ExitCode {
    use plugboard_server::database_update::{update_device_database, Limits};
    let Some(path) = plugboard_server::default_downloaded_database_path() else {
        eprintln!(
            "plugboard-engine: the OS names no config directory, so a downloaded device database cannot be kept."
        );
        return ExitCode::FAILURE;
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("plugboard-engine: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(update_device_database(url, &path, Limits::default())) {
        Ok(report) => {
            let mut lines = vec![
                format!("Device database downloaded from {}: {}", report.url, report.summary()),
                format!("Saved as {}; the engine uses it from its next start.", report.path.display()),
            ];
            if let Some(previous) = &report.previous {
                lines.push(format!("The database it replaces is kept as {}.", previous.display()));
            }
            print_lines(lines)
        }
        Err(error) => {
            eprintln!("plugboard-engine: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `--version`: who this is, what it speaks and where it runs, one fact a line.
fn version_banner() -> String {
    let oldest = SpecVersion::ALL[0];
    format!(
        "plugboard-engine {}\nButtplug spec versions served: {oldest} to {}\nPlatform: {} {}",
        env!("CARGO_PKG_VERSION"),
        SpecVersion::NEWEST,
        std::env::consts::OS,
        std::env::consts::ARCH,
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.version {
        return print_lines([version_banner()]);
    }
    if cli.server_version {
        return print_lines([env!("CARGO_PKG_VERSION")]);
    }
    init_logging(cli.log.as_deref(), cli.log_format);
    if cli.list_protocols {
        return print_lines(plugboard_server::catalog::protocol_names());
    }
    if cli.list_devices {
        return list_devices(cli.device_config_file.as_deref());
    }
    if let Some(url) = &cli.update_device_config {
        return update_device_config(url);
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
    if let (true, Some(remote)) = (cli.repeater, cli.repeater_remote_address.clone()) {
        return runtime.block_on(run_repeater(cli.repeater_port, remote));
    }
    runtime.block_on(async move {
        let engine = match Engine::start(config).await {
            Ok(engine) => engine,
            Err(error) => {
                eprintln!("plugboard-engine: {error}");
                return ExitCode::FAILURE;
            }
        };
        // Held until the engine stops; dropping it withdraws the announcement.
        let _mdns = cli.broadcast_server_mdns.then(|| announce(engine.local_addresses(), cli.mdns_suffix.as_deref()));
        release_startup_memory();
        let event_log = plugboard_server::event_log::spawn(&engine);
        let stop = stop_signal();
        match (&cli.websocket_client_address, engine.local_addresses().is_empty()) {
            (Some(dialled), true) => println!("Plugboard engine running. Serving the Buttplug protocol to {dialled}"),
            (Some(dialled), false) => println!(
                "Plugboard engine running. Serving the Buttplug protocol to {dialled}. Connect games to {}",
                engine.url()
            ),
            (None, _) => println!("Plugboard engine running. Connect games to {}", engine.url()),
        }
        if let Some(url) = engine.lovense_api_url() {
            println!("Games made for Lovense: type {url} into the game (Lovense Remote's address and port).");
        }
        if let Some(url) = engine.rest_api_url() {
            println!("REST API: {url} (see docs/rest-api.md)");
        }
        stop.await;
        tracing::info!("stopping: every output is stopped first");
        engine.stop().await;
        if let Some(event_log) = event_log {
            let _ = event_log.await;
        }
        ExitCode::SUCCESS
    })
}

/// `--repeater`: forwards clients until Ctrl+C or SIGTERM.
async fn run_repeater(port: u16, remote: String) -> ExitCode {
    let listen = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), port);
    let repeater = match plugboard_server::repeater::Repeater::start(listen, remote).await {
        Ok(repeater) => repeater,
        Err(error) => {
            eprintln!("plugboard-engine: {error}");
            return ExitCode::FAILURE;
        }
    };
    let stop = stop_signal();
    println!(
        "Plugboard repeater running. Connect games to {}; they are forwarded to {}",
        repeater.url(),
        repeater.remote()
    );
    stop.await;
    repeater.stop().await;
    ExitCode::SUCCESS
}

/// `--broadcast-server-mdns`: an engine that cannot be announced still runs; the log says why.
fn announce(listening: &[SocketAddr], suffix: Option<&str>) -> Option<plugboard_server::mdns::MdnsAdvertisement> {
    plugboard_server::mdns::advertise(listening, suffix).map_err(|error| tracing::warn!("{error}")).ok()
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

/// Listens for the user or the system asking the engine to stop: Ctrl+C or SIGTERM on Unix;
/// on Windows Ctrl+C, Ctrl+Break, the console window being closed, the user logging off or the
/// system shutting down (Windows gives a closing console's program a few seconds, enough to
/// stop every device). On Unix the handlers are in place when this returns, before the engine
/// says it runs: a SIGINT right after that line must stop the devices, not kill the process.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
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
        }
    }
    #[cfg(windows)]
    {
        wait_for_windows_stop()
    }
}

#[cfg(windows)]
async fn wait_for_windows_stop() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> EngineConfig {
        let cli = Cli::try_parse_from(std::iter::once("plugboard-engine").chain(args.iter().copied())).unwrap();
        cli.config().unwrap()
    }

    #[test]
    fn the_repeater_remote_must_be_a_plain_websocket_url() {
        let parse = |remote: &str| {
            Cli::try_parse_from(["plugboard-engine", "--repeater", "--repeater-remote-address", remote])
                .map(|cli| cli.repeater_remote_address)
                .map_err(|error| error.to_string())
        };
        assert_eq!(parse("ws://192.168.1.20:12345").unwrap().as_deref(), Some("ws://192.168.1.20:12345"));
        let tls = parse("wss://example.test:443").unwrap_err();
        assert!(tls.contains("wss://") && tls.contains("plain ws://"), "{tls}");
        let http = parse("http://192.168.1.20:12345").unwrap_err();
        assert!(http.contains("not a websocket URL"), "{http}");
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
    fn the_lovense_api_is_off_by_default_and_https_port_0_turns_https_off() {
        let default = config(&[]).lovense_api;
        assert!(!default.enabled);
        assert_eq!((default.port, default.https_port), (20010, Some(30010)));
        let on = config(&["--lovense-api", "--lovense-api-port", "20011", "--lovense-api-https-port", "0"]).lovense_api;
        assert!(on.enabled);
        assert_eq!((on.port, on.https_port), (20011, None));
    }

    #[test]
    fn in_client_mode_the_engine_listens_only_when_told_where() {
        let dialling = config(&["--websocket-client-address", "ws://127.0.0.1:4000"]);
        assert_eq!(dialling.websocket_client_address.as_deref(), Some("ws://127.0.0.1:4000"));
        assert!(dialling.listen.is_empty(), "{:?}", dialling.listen);
        let both = config(&["--websocket-client-address", "ws://127.0.0.1:4000", "--websocket-port", "4001"]);
        assert!(!both.listen.is_empty() && both.listen.iter().all(|address| address.port() == 4001));
        assert_eq!(config(&[]).listen[0].port(), DEFAULT_WEBSOCKET_PORT);
        assert_eq!(config(&[]).websocket_client_address, None);
    }

    #[test]
    fn an_address_that_cannot_be_dialled_is_refused_when_the_flags_are_read() {
        let error = Cli::try_parse_from(["plugboard-engine", "--websocket-client-address", "127.0.0.1:4000"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("ws://HOST:PORT"), "{error}");
    }

    #[test]
    fn the_rest_api_is_off_unless_given_a_port() {
        assert_eq!(config(&[]).rest_api_port, None);
        assert_eq!(config(&["--rest-api-port", "12346"]).rest_api_port, Some(12346));
    }

    #[test]
    fn all_interfaces_is_the_consent_nobody_is_asked() {
        let config = config(&["--websocket-use-all-interfaces"]);
        assert!(config.listen.iter().all(|address| address.ip().is_unspecified()));
        assert!(!config.remote_clients.ask);
    }
}
