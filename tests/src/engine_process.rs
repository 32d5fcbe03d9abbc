//! A `plugboard-engine` program in a process of its own, driven like a user runs it: from its
//! flags, its standard output and its log. The Windows build runs under Wine this way
//! ([`Program::windows_from_env`]).
//!
//! What the engine does is read from its event log (`--log-format json`, one JSON object per
//! line, with `plugboard_server::event_log` at debug level: see that module for the fields): its
//! clients with their names and spec versions, its devices and every output change. So an
//! [`EngineProcess`] answers the same questions as an in-process engine ([`EngineUnderTest`]).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plugboard_protocol::model::OutputType;
use plugboard_protocol::SpecVersion;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::under_test::{ClientView, EngineUnderTest};

/// How long the program may take to start listening. Generous: Wine starts its own services the
/// first time a prefix is used, on a machine busy with other builds.
pub const START_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a stopped engine may take to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The environment variables the Windows phase sets (scripts/test-windows.sh).
pub const WINDOWS_ENGINE_VAR: &str = "PLUGBOARD_WINDOWS_ENGINE";
pub const WINE_PREFIX_VAR: &str = "WINEPREFIX";

/// Which program to run, and how.
#[derive(Debug, Clone)]
pub enum Program {
    /// A program of this system.
    Native(PathBuf),
    /// A Windows program, run by Wine in the given prefix.
    Wine { exe: PathBuf, prefix: PathBuf },
}

impl Program {
    /// The Windows engine of the Windows phase: `plugboard-engine.exe` under Wine, as
    /// scripts/test-windows.sh builds it and prepares the prefix. Panics with what to run when
    /// they are not there.
    pub fn windows_from_env() -> Program {
        let from_env = |name: &str| {
            std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| {
                panic!("{name} is not set: the Windows tests run from scripts/test-windows.sh, which builds the engine for Windows and prepares a Wine prefix")
            })
        };
        let exe = from_env(WINDOWS_ENGINE_VAR);
        let prefix = from_env(WINE_PREFIX_VAR);
        assert!(exe.is_file(), "{} ({}) is not a file", WINDOWS_ENGINE_VAR, exe.display());
        assert!(prefix.join("system.reg").is_file(), "{} ({}) is not a Wine prefix", WINE_PREFIX_VAR, prefix.display());
        Program::Wine { exe, prefix }
    }

    fn command(&self) -> Command {
        match self {
            Program::Native(path) => Command::new(path),
            Program::Wine { exe, prefix } => {
                let mut command = Command::new("wine");
                command
                    .arg(exe)
                    .env("WINEPREFIX", prefix)
                    // Wine's own diagnostics off: the program's output is what the tests read.
                    .env("WINEDEBUG", "-all")
                    // No Mono or Gecko installers in a prefix that was set up without them.
                    .env("WINEDLLOVERRIDES", "mscoree,mshtml=");
                command
            }
        }
    }

    /// How the program names a file of this system: as it is for a native program, on drive
    /// Z: (Wine's view of `/`) for a Windows one.
    pub fn path_arg(&self, path: &Path) -> String {
        match self {
            Program::Native(_) => path.display().to_string(),
            Program::Wine { .. } => format!("Z:{}", path.display().to_string().replace('/', "\\")),
        }
    }

    /// `%APPDATA%` of the prefix, as a path of this system: `drive_c/users/<user>/AppData/Roaming`.
    pub fn wine_appdata(&self) -> Option<PathBuf> {
        let Program::Wine { prefix, .. } = self else { return None };
        let users = std::fs::read_dir(prefix.join("drive_c/users")).ok()?;
        users
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("AppData/Roaming"))
            .find(|roaming| roaming.is_dir() && !roaming.starts_with(prefix.join("drive_c/users/Public")))
    }
}

/// What the event log said so far.
#[derive(Debug, Default)]
struct Observed {
    clients: BTreeMap<u64, ClientView>,
    /// (device, feature, output kind as `Debug` prints it) -> level.
    outputs: HashMap<(u32, u32, String), i32>,
    devices: BTreeMap<u32, String>,
    /// Every line on standard error, for failure messages.
    log: Vec<String>,
}

impl Observed {
    fn apply(&mut self, line: &str) {
        self.log.push(line.to_owned());
        let Ok(entry) = serde_json::from_str::<Value>(line) else { return };
        if entry["target"] != plugboard_server::event_log::TARGET {
            return;
        }
        let fields = &entry["fields"];
        let number = |name: &str| fields[name].as_u64();
        let text = |name: &str| fields[name].as_str().unwrap_or_default().to_owned();
        match fields["message"].as_str().unwrap_or_default() {
            "client connected" => {
                let (Some(id), Ok(peer)) = (number("client"), text("peer").parse::<SocketAddr>()) else { return };
                self.clients.insert(id, ClientView { id, name: None, spec_version: None, peer });
            }
            "client changed" => {
                let Some(client) = number("client").and_then(|id| self.clients.get_mut(&id)) else { return };
                let name = text("name");
                client.name = (!name.is_empty()).then_some(name);
                client.spec_version = text("spec")
                    .strip_prefix('v')
                    .and_then(|number| number.parse().ok())
                    .and_then(SpecVersion::from_number);
            }
            "client disconnected" => {
                if let Some(id) = number("client") {
                    self.clients.remove(&id);
                }
            }
            "device added" | "device changed" => {
                let Some(device) = number("device").map(|index| index as u32) else { return };
                self.devices.insert(device, text("name"));
                for output in text("outputs").split_whitespace() {
                    if let Some((feature, kind)) = output.split_once(':') {
                        if let Ok(feature) = feature.parse() {
                            self.outputs.entry((device, feature, kind.to_owned())).or_insert(0);
                        }
                    }
                }
            }
            "device removed" => {
                if let Some(device) = number("device").map(|index| index as u32) {
                    self.devices.remove(&device);
                    self.outputs.retain(|(index, _, _), _| *index != device);
                }
            }
            "output changed" => {
                let (Some(device), Some(feature), Some(value)) =
                    (number("device"), number("feature"), fields["value"].as_i64())
                else {
                    return;
                };
                self.outputs.insert((device as u32, feature as u32, text("output")), value as i32);
            }
            _ => {}
        }
    }
}

/// A running `plugboard-engine`.
pub struct EngineProcess {
    child: Child,
    port: u16,
    server_name: String,
    observed: Arc<Mutex<Observed>>,
    /// What it printed on standard output.
    stdout: Arc<Mutex<Vec<String>>>,
}

impl EngineProcess {
    /// Starts `program` on a free loopback port with `args` (flags of plugboard-engine, such
    /// as `--virtual-device vibrator`), and waits until it listens.
    pub async fn start(program: &Program, args: &[String]) -> EngineProcess {
        let port = crate::unused_port();
        let mut command = program.command();
        command
            .args(args)
            .args(["--websocket-port", &port.to_string()])
            .args(["--log-format", "json", "--log", "info,plugboard_server::event_log=debug"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {program:?}: {e}"));
        let observed = Arc::new(Mutex::new(Observed::default()));
        let stdout = Arc::new(Mutex::new(Vec::new()));

        let mut errors = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
        let sink = observed.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                sink.lock().unwrap().apply(&line);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let (ready_tx, ready) = tokio::sync::oneshot::channel();
        let printed = stdout.clone();
        tokio::spawn(async move {
            let mut ready_tx = Some(ready_tx);
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with("Plugboard engine running") {
                    if let Some(ready) = ready_tx.take() {
                        let _ = ready.send(line.clone());
                    }
                }
                printed.lock().unwrap().push(line);
            }
        });

        let server_name = args
            .iter()
            .position(|arg| arg == "--server-name")
            .and_then(|at| args.get(at + 1).cloned())
            .unwrap_or_else(|| plugboard_server::DEFAULT_SERVER_NAME.to_owned());
        let mut engine = EngineProcess { child, port, server_name, observed, stdout };
        match tokio::time::timeout(START_TIMEOUT, ready).await {
            Ok(Ok(line)) => {
                assert!(line.ends_with(&format!("ws://127.0.0.1:{port}")), "{line}\n{}", engine.context());
            }
            _ => {
                let status = engine.child.try_wait();
                panic!(
                    "the engine did not start listening within {START_TIMEOUT:?} (exit: {status:?})\n{}",
                    engine.context()
                );
            }
        }
        engine
    }

    /// Its standard output and log so far, for failure messages.
    pub fn context(&self) -> String {
        format!(
            "--- engine stdout ---\n{}\n--- engine log ---\n{}\n--- end of engine output ---",
            self.stdout.lock().unwrap().join("\n"),
            self.observed.lock().unwrap().log.join("\n")
        )
    }

    /// Every line of its log so far.
    pub fn log(&self) -> Vec<String> {
        self.observed.lock().unwrap().log.clone()
    }

    /// The devices the engine holds: index and name.
    pub fn devices(&self) -> BTreeMap<u32, String> {
        self.observed.lock().unwrap().devices.clone()
    }

    /// Stops it as Ctrl+C does (SIGINT; Wine turns it into a Ctrl+C event), and checks that it
    /// exits cleanly.
    pub async fn stop(mut self) {
        let pid = self.child.id().expect("the engine is running") as libc::pid_t;
        // SAFETY: sends a signal to our own child, which has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGINT) };
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) => assert!(status.success(), "the engine exited with {status}\n{}", self.context()),
            other => panic!("the engine did not stop within {STOP_TIMEOUT:?} of Ctrl+C: {other:?}\n{}", self.context()),
        }
    }

    /// Ends it at once, as a crash or a power cut would (SIGKILL): nothing is cleaned up.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

impl EngineUnderTest for EngineProcess {
    fn port(&self) -> u16 {
        self.port
    }

    fn server_name(&self) -> String {
        self.server_name.clone()
    }

    fn output_level(&self, device: u32, feature: u32, kind: OutputType) -> Option<i32> {
        self.observed.lock().unwrap().outputs.get(&(device, feature, format!("{kind:?}"))).copied()
    }

    fn clients(&self) -> Vec<ClientView> {
        self.observed.lock().unwrap().clients.values().cloned().collect()
    }
}

/// `plugboard-engine` of this system, as cargo built it next to the test binary.
pub fn native_engine() -> PathBuf {
    built_binary("plugboard-engine")
}

/// The binary `name` of this workspace, where cargo builds it: in the profile's folder
/// (target/<profile>/), the parent of the test binary's deps/.
pub fn built_binary(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().expect("test binary path");
    let profile_dir = test_binary.parent().and_then(Path::parent).expect("target/<profile>/deps/..");
    profile_dir.join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_log_tells_clients_devices_and_outputs() {
        let mut observed = Observed::default();
        let event = |fields: Value| {
            serde_json::json!({"level": "DEBUG", "target": plugboard_server::event_log::TARGET, "fields": fields})
                .to_string()
        };
        observed.apply("not json: kept in the log only");
        observed.apply(&event(serde_json::json!({"message": "device added", "device": 1, "name": "Max", "outputs": "0:Vibrate 1:Constrict"})));
        observed
            .apply(&event(serde_json::json!({"message": "client connected", "client": 7, "peer": "127.0.0.1:5000"})));
        observed.apply(&event(serde_json::json!({"message": "client changed", "client": 7, "name": "game", "spec": "v3", "last_error": ""})));
        observed.apply(&event(serde_json::json!({"message": "output changed", "device": 1, "feature": 0, "output": "Vibrate", "value": 10, "client": 7})));
        assert_eq!(observed.outputs.get(&(1, 0, "Vibrate".into())), Some(&10));
        assert_eq!(observed.outputs.get(&(1, 1, "Constrict".into())), Some(&0));
        assert_eq!(observed.clients[&7].name.as_deref(), Some("game"));
        assert_eq!(observed.clients[&7].spec_version, Some(SpecVersion::V3));
        observed.apply(&event(serde_json::json!({"message": "client disconnected", "client": 7})));
        observed.apply(&event(serde_json::json!({"message": "device removed", "device": 1})));
        assert!(observed.clients.is_empty() && observed.outputs.is_empty() && observed.devices.is_empty());
        assert_eq!(observed.log.len(), 7);
    }
}
