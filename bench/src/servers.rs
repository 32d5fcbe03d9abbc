//! The servers under test as child processes: start one on free ports with its
//! device-websocket server on (a user config binding the simulated Lovense's identifier to
//! the `lovense` protocol, in that server's own format), time spawn-to-listening, read its
//! RSS and CPU time from /proc, and kill it. A server is killed when its handle is dropped,
//! and, through PR_SET_PDEATHSIG, when the bench itself dies.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::device::IDENTIFIER;

/// How long a server may take to accept connections on its client port.
const STARTUP: Duration = Duration::from_secs(30);
/// How long a killed server may take to exit.
const EXIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Plugboard,
    Intiface,
    Floor,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Plugboard => "plugboard",
            Kind::Intiface => "intiface-engine",
            Kind::Floor => "floor",
        }
    }

    /// The user device config binding the simulated devices' identifiers to their protocols:
    /// the Lovense of most figures, and the toys of the stop figure ([`crate::stops::KINDS`]).
    fn user_config(self) -> Option<serde_json::Value> {
        let bindings = || std::iter::once((IDENTIFIER, "lovense")).chain(crate::stops::bindings());
        match self {
            Kind::Plugboard => Some(json!({
                "format": "plugboard-user-device-config",
                "version": 1,
                "websocket_devices": bindings()
                    .map(|(identifier, protocol)| json!({"identifier": identifier, "protocol": protocol}))
                    .collect::<Vec<_>>()
            })),
            Kind::Intiface => {
                let protocols: serde_json::Map<String, serde_json::Value> = bindings()
                    .map(|(identifier, protocol)| {
                        (protocol.to_owned(), json!({"communication": [{"websocket": {"name": identifier}}]}))
                    })
                    .collect();
                Some(json!({"version": {"major": 5, "minor": 0}, "user_configs": {"protocols": protocols}}))
            }
            // The floor knows its devices are Lovense Hushes.
            Kind::Floor => None,
        }
    }

    /// Flags beyond the ports and the user config. Plugboard refuses more than 1,000 messages
    /// a second from one client by default (a flood guard; issue 8); the throughput runs send
    /// far more than that from one client on purpose, so the guard is turned off for every run
    /// but the one that measures it ([`Limits::Default`]). Nothing else about Plugboard's
    /// behaviour changes.
    fn extra_args(self, limits: Limits) -> &'static [&'static str] {
        match (self, limits) {
            (Kind::Plugboard, Limits::Off) => &["--max-messages-per-second", "0"],
            _ => &[],
        }
    }
}

/// Whether a server's per-client message rate limit is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limits {
    /// Off: the bench's clients send as fast as they like.
    Off,
    /// The server's defaults (Plugboard: 1,000 messages a second per client).
    Default,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub kind: Kind,
    pub binary: PathBuf,
}

pub struct Server {
    pub kind: Kind,
    child: Child,
    pub pid: u32,
    pub port: u16,
    pub device_port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `target` and waits until its client port accepts a TCP connection; returns the
    /// server and the time from spawn to that first successful connect.
    pub async fn start(target: &Target) -> Result<(Server, Duration), String> {
        Server::start_with(target, Limits::Off).await
    }

    /// [`Server::start`] with the rate limit on or off.
    pub async fn start_with(target: &Target, limits: Limits) -> Result<(Server, Duration), String> {
        let dir = tempfile::Builder::new().prefix("plugboard-bench-").tempdir().map_err(|e| e.to_string())?;
        let port = free_port(&[])?;
        let device_port = free_port(&[port])?;
        let mut command = Command::new(&target.binary);
        command
            .args(["--websocket-port", &port.to_string()])
            .arg("--use-device-websocket-server")
            .args(["--device-websocket-server-port", &device_port.to_string()])
            .args(target.kind.extra_args(limits));
        if let Some(config) = target.kind.user_config() {
            let path = dir.path().join("user-device-config.json");
            std::fs::write(&path, config.to_string()).map_err(|e| e.to_string())?;
            command.arg("--user-device-config-file").arg(&path);
        }
        let log = dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        command
            // Neither server may read or write the user's own settings.
            .env("XDG_CONFIG_HOME", dir.path())
            .env("HOME", dir.path())
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let spawned = Instant::now();
        let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", target.binary.display()))?;
        let pid = child.id();
        let mut server = Server { kind: target.kind, child, pid, port, device_port, log, _dir: dir };
        let deadline = spawned + STARTUP;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("{} exited at start ({status}): {}", target.kind.name(), server.log_tail()));
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok((server, spawned.elapsed()));
            }
            if Instant::now() >= deadline {
                return Err(format!("{} did not listen within {STARTUP:?}: {}", target.kind.name(), server.log_tail()));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Resident set size, KiB (VmRSS).
    pub fn rss_kib(&self) -> Result<u64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).map_err(|e| e.to_string())?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| "no VmRSS in /proc/<pid>/status".to_owned())
    }

    /// User plus system CPU time of the whole process (every thread, live or gone).
    pub fn cpu_time(&self) -> Result<Duration, String> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).map_err(|e| e.to_string())?;
        cpu_from_stat(&stat).ok_or_else(|| "unreadable /proc/<pid>/stat".to_owned())
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(3)..].join(" | ");
        if tail.is_empty() {
            "(empty log)".to_owned()
        } else {
            tail.chars().take(400).collect()
        }
    }

    /// Kills the server and waits (bounded) for it to be gone.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let deadline = Instant::now() + EXIT;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted after the command name, which
/// may itself hold spaces and parentheses.
fn cpu_from_stat(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // after_name starts at field 3 (state).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(Duration::from_nanos((utime + stime) * 1_000_000_000 / ticks))
}

/// A loopback port nothing listens on (bound, then released), other than `avoid`.
pub fn free_port(avoid: &[u16]) -> Result<u16, String> {
    for _ in 0..20 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        if !avoid.contains(&port) {
            return Ok(port);
        }
    }
    Err("no free port".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_after_the_command_name() {
        let stat = "1234 (tokio (rt) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 0 0";
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        assert_eq!(cpu_from_stat(stat), Some(Duration::from_nanos(300 * 1_000_000_000 / ticks)));
    }
}
