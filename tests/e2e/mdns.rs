//! `--broadcast-server-mdns` and `--mdns-suffix`: a real mDNS browser (python-zeroconf, as an
//! app looking for Intiface would use) finds the engine's announcement with the right port and
//! TXT record, and sees it withdrawn when the engine stops. On loopback only the engine
//! announces nothing and says why.
//!
//! The browsing test needs a network interface besides loopback that carries multicast: the
//! private network namespace of scripts/with-test-network.sh (as `make test` runs it).

use std::process::Stdio;
use std::time::Duration;

use plugboard_e2e::engine_process::{native_engine, EngineProcess, Program};
use plugboard_e2e::{non_loopback_address, wait_until, EngineUnderTest, WAIT};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::client_scripts::{clients_dir, ensure_client_packages};

/// How long an announcement may take to be found: mDNS probing alone takes ~750 ms, and the
/// browser's first query goes out at once, then again after one second.
const FIND: Duration = Duration::from_secs(15);

/// tests/clients/python/mdns_browse.py, printing one JSON line per service it resolves.
struct Browser {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<String>,
}

impl Browser {
    async fn start() -> Browser {
        ensure_client_packages();
        let python = clients_dir().join(".cache/python-mdns/bin/python");
        let mut child = Command::new(&python)
            .arg(clients_dir().join("python/mdns_browse.py"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let mut browser = Browser { child, lines, seen: Vec::new() };
        browser.next_matching("the browser to start", |line| line.get("browsing").is_some()).await;
        browser
    }

    /// Reads lines until one matches, failing after [`FIND`] with everything the browser saw.
    async fn next_matching(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + FIND;
        loop {
            let line = match tokio::time::timeout_at(deadline, self.lines.next_line()).await {
                Ok(Ok(Some(line))) => line,
                Ok(other) => {
                    panic!("the mDNS browser ended ({other:?}) before {what}; it saw:\n{}", self.seen.join("\n"))
                }
                Err(_) => panic!("no {what} within {FIND:?}; the mDNS browser saw:\n{}", self.seen.join("\n")),
            };
            self.seen.push(line.clone());
            let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("browser line {line:?}: {e}"));
            if matches(&value) {
                return value;
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mdns_browser_finds_the_engine_with_its_port_and_path_until_it_stops() {
    let address = non_loopback_address();
    let mut browser = Browser::start().await;
    let engine = EngineProcess::start(
        &Program::Native(native_engine()),
        &["--websocket-use-all-interfaces", "--broadcast-server-mdns", "--mdns-suffix", "e2e test"].map(String::from),
    )
    .await;

    let found = browser
        .next_matching("announcement of an Intiface server with the suffix", |service| {
            service["name"].as_str().is_some_and(|name| name.starts_with("Intiface ") && name.ends_with(" e2e test"))
        })
        .await;
    let name = found["name"].as_str().unwrap().to_owned();
    let random = name.trim_start_matches("Intiface ").trim_end_matches(" e2e test");
    assert!(random.len() == 6 && random.chars().all(|c| c.is_ascii_alphanumeric()), "{found}");
    assert_eq!(found["port"], engine.port(), "{found}\n{}", engine.context());
    assert_eq!(found["txt"]["path"], "/", "{found}");
    let addresses: Vec<&str> = found["addresses"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(addresses.contains(&address.to_string().as_str()), "{address} not announced: {found}");
    assert!(!addresses.iter().any(|a| a.starts_with("127.")), "loopback announced: {found}");
    assert!(engine.log().iter().any(|line| line.contains(&name)), "the log names the instance\n{}", engine.context());

    engine.stop().await;
    browser
        .next_matching("withdrawal of the announcement after the engine stopped", |event| {
            event["removed"].as_str().is_some_and(|removed| removed.starts_with(&name))
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_loopback_only_the_engine_says_there_is_nothing_to_announce_and_what_to_do() {
    let engine = EngineProcess::start(&Program::Native(native_engine()), &["--broadcast-server-mdns".to_owned()]).await;
    let log = wait_until(
        "the warning that nothing is announced",
        WAIT,
        async || engine.log(),
        |log| log.iter().any(|line| line.contains("nothing is announced")),
    )
    .await;
    let warning = log.iter().find(|line| line.contains("nothing is announced")).unwrap();
    assert!(warning.contains("\"WARN\""), "{warning}");
    assert!(warning.contains("--websocket-use-all-interfaces"), "{warning}");
    assert!(warning.contains(&format!("127.0.0.1:{}", engine.port())), "{warning}");
    engine.stop().await;
}
