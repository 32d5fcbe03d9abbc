//! Starting and stopping one server (Plugboard's engine or the reference intiface-engine) as a
//! child process, with a user config that binds one device-websocket identifier to a protocol.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::process::{Child, Command};

/// How long a killed server may take to exit.
const EXIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Intiface,
    Plugboard,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Intiface => "intiface-engine",
            Kind::Plugboard => "plugboard",
        }
    }

    /// The user config binding `identifier` to `protocol`: for both servers the same file, in
    /// the format intiface-engine reads (the v5 user config, a websocket specifier under the
    /// protocol), which Plugboard reads too.
    fn user_config(self, identifier: &str, protocol: &str) -> serde_json::Value {
        json!({
            "version": {"major": 5, "minor": 0},
            "user_configs": {"protocols": {protocol: {"communication": [{"websocket": {"name": identifier}}]}}}
        })
    }
}

/// A running server. Killed when dropped, in any case; [`Server::stop`] also waits for it.
pub struct Server {
    child: Child,
    pub port: u16,
    pub device_port: u16,
    log: PathBuf,
}

impl Server {
    /// Writes the user config into `dir` and starts the server on free ports with its
    /// device-websocket server on. [`Server::exited`] tells whether it has died since.
    pub fn start(kind: Kind, binary: &Path, dir: &Path, identifier: &str, protocol: &str) -> Result<Server, String> {
        let config = dir.join(format!("{}-user-config.json", kind.name()));
        std::fs::write(&config, kind.user_config(identifier, protocol).to_string()).map_err(|e| e.to_string())?;
        let log = dir.join(format!("{}.log", kind.name()));
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let port = plugboard_e2e::unused_port();
        let device_port = loop {
            let p = plugboard_e2e::unused_port();
            if p != port {
                break p;
            }
        };
        let mut command = Command::new(binary);
        command
            .args(["--websocket-port", &port.to_string()])
            .arg("--use-device-websocket-server")
            .args(["--device-websocket-server-port", &device_port.to_string()])
            .arg("--user-device-config-file")
            .arg(&config)
            .args(["--log", "info"])
            // Plugboard keeps its own settings there; neither server may touch the user's.
            .env("XDG_CONFIG_HOME", dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        Ok(Server { child, port, device_port, log })
    }

    /// `Some(why)` once the server has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("the server exited ({status}): {}", self.log_excerpt(None))),
            _ => None,
        }
    }

    /// Kills the server and waits for it to be gone.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(EXIT, self.child.wait()).await;
    }

    /// The first error message of the server's log (from the first line that mentions
    /// `after` on, if given), else its first warning, else its last line (a server that waits
    /// for an answer the device never gives logs nothing): the best one-line reason there is
    /// when something did not happen.
    pub fn log_excerpt(&self, after: Option<&str>) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(strip_ansi).filter(|l| !l.trim().is_empty()).collect();
        let from = after.and_then(|needle| lines.iter().position(|l| l.contains(needle))).unwrap_or(0);
        let lines = &lines[from..];
        let problem =
            lines.iter().find(|l| l.contains(" ERROR ")).or_else(|| lines.iter().find(|l| l.contains(" WARN ")));
        match (problem, lines.last()) {
            (Some(line), _) => shorten(message(line), 200),
            (None, Some(last)) => {
                format!("nothing went wrong in the log, which ends with: {}", shorten(message(last), 160))
            }
            (None, None) => "(empty log)".to_owned(),
        }
    }
}

/// A tracing line without its timestamp and target: what comes after the first
/// `module::path:` token, if there is one.
fn message(line: &str) -> &str {
    let mut offset = 0;
    for word in line.split_inclusive(' ') {
        offset += word.len();
        let token = word.trim_end();
        if token.contains("::") && token.ends_with(':') {
            return line[offset..].trim();
        }
    }
    line.trim()
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ ... final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}
