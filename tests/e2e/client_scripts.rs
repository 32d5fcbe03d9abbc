//! Runs the official JavaScript and Python Buttplug clients (scripts under tests/clients/) as
//! child processes and follows their line protocol (tests/clients/js/common.mjs):
//! `{"event":...}` JSON lines, and `READY <step>` after which the script waits for one line on
//! its stdin. Frames the client library sent and received come as `sent`/`received` events; they
//! are kept in the transcript that every failure message prints.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
use plugboard_e2e::{wait_until, ClientView, EngineUnderTest, WithContext};
use plugboard_protocol::model::OutputType;
use plugboard_protocol::SpecVersion;
use plugboard_server::{Engine, EngineConfig};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long one step of a client script may take (node starts in ~0.1 s, Python in ~0.3 s).
pub const STEP: Duration = Duration::from_secs(20);
/// How long the engine gets to reflect what a client did.
pub const SETTLE: Duration = Duration::from_secs(5);

pub fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// Runs scripts/ensure-client-packages.sh once per test process (it is idempotent and quiet, and
/// `make test` has already run it), so that `cargo test` alone also works.
pub fn ensure_client_packages() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ensure-client-packages.sh");
        let output = std::process::Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}):\n{}{}",
                script.display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    });
    if let Err(message) = result {
        panic!("the client packages are not installed: {message}");
    }
}

/// An engine on a free loopback port with the given virtual devices (indexes 0, 1, ... in order).
pub async fn start_engine(devices: &[VirtualKind]) -> Engine {
    let mut config = EngineConfig::loopback(0);
    config.virtual_devices = devices.iter().map(|kind| VirtualDeviceSpec::new(*kind)).collect();
    Engine::start(config).await.expect("the engine starts")
}

pub fn url(engine: &impl EngineUnderTest) -> String {
    engine.url()
}

/// Waits until an output has `value`; on timeout, fails with `context` (a client transcript).
pub async fn wait_for_level(
    engine: &impl EngineUnderTest,
    device: u32,
    feature: u32,
    kind: OutputType,
    value: i32,
    context: &dyn Fn() -> String,
) {
    let what = format!("device {device} feature {feature} {kind:?} to be at {value}");
    wait_until(
        WithContext(what, context),
        SETTLE,
        async || engine.output_level(device, feature, kind),
        |level| *level == Some(value),
    )
    .await;
}

/// Waits until the registry holds a client named `name` that finished its handshake.
pub async fn wait_for_client(engine: &impl EngineUnderTest, name: &str, context: &dyn Fn() -> String) -> ClientView {
    let what = WithContext(format!("a client named {name:?} in the registry"), context);
    let clients = wait_until(
        what,
        SETTLE,
        async || engine.clients(),
        |clients| clients.iter().any(|c| c.name.as_deref() == Some(name)),
    )
    .await;
    clients.into_iter().find(|c| c.name.as_deref() == Some(name)).expect("just seen")
}

/// Asserts the registry entry of a connected client: its name and negotiated spec version.
pub async fn assert_registered(
    engine: &impl EngineUnderTest,
    name: &str,
    spec: SpecVersion,
    context: &dyn Fn() -> String,
) {
    let client = wait_for_client(engine, name, context).await;
    assert_eq!(client.spec_version, Some(spec), "spec version of {name:?} in the registry: {client:#?}\n{}", context());
    assert!(client.peer.ip().is_loopback(), "peer of {name:?}: {client:#?}");
}

/// Waits until no client named `name` is left in the registry.
pub async fn wait_for_client_gone(engine: &impl EngineUnderTest, name: &str, context: &dyn Fn() -> String) {
    let what = WithContext(format!("client {name:?} to leave the registry after it disconnected"), context);
    wait_until(
        what,
        SETTLE,
        async || engine.clients(),
        |clients| !clients.iter().any(|c| c.name.as_deref() == Some(name)),
    )
    .await;
}

/// One running client script.
pub struct ScriptClient {
    label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Every stdout line so far.
    transcript: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

impl ScriptClient {
    /// Starts `program args...`; `label` names it in failure messages.
    pub fn spawn(label: impl Into<String>, program: impl AsRef<Path>, args: &[String]) -> ScriptClient {
        ensure_client_packages();
        let label = label.into();
        let program = program.as_ref();
        let mut child = Command::new(program)
            .args(args)
            .current_dir(clients_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{label}: cannot start {} {args:?}: {e}", program.display()));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        ScriptClient { label, child, stdin, stdout, transcript: Arc::default(), stderr }
    }

    /// A JS client script: `node tests/clients/js/<script> URL SCENARIO [DEVICE...]`.
    pub fn node(script: &str, url: &str, scenario: &str, devices: &[u32]) -> ScriptClient {
        let mut args =
            vec![clients_dir().join("js").join(script).display().to_string(), url.to_owned(), scenario.to_owned()];
        args.extend(devices.iter().map(u32::to_string));
        ScriptClient::spawn(format!("node {script} {scenario}"), "node", &args)
    }

    /// A Python client script run by the interpreter of venv `tests/clients/.cache/<venv>`.
    pub fn python(
        venv: &str,
        script: &str,
        url: &str,
        scenario: &str,
        extra: &[&str],
        devices: &[u32],
    ) -> ScriptClient {
        let python = clients_dir().join(".cache").join(venv).join("bin/python");
        let mut args =
            vec![clients_dir().join("python").join(script).display().to_string(), url.to_owned(), scenario.to_owned()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(devices.iter().map(u32::to_string));
        ScriptClient::spawn(format!("{venv} {script} {scenario} {}", extra.join(" ")), python, &args)
    }

    /// What the script printed so far, and its stderr: for failure messages.
    pub fn context(&self) -> impl Fn() -> String + 'static {
        let label = self.label.clone();
        let transcript = self.transcript.clone();
        let stderr = self.stderr.clone();
        move || {
            format!(
                "--- {label}: stdout ---\n{}\n--- {label}: stderr ---\n{}--- end of {label} ---",
                transcript.lock().unwrap().join("\n"),
                stderr.lock().unwrap()
            )
        }
    }

    fn fail(&self, message: String) -> ! {
        panic!("{}: {message}\n{}", self.label, (self.context())())
    }

    /// The next line that is not a frame trace (`sent`, `received`, `closed`, `socket_error`).
    async fn next_line(&mut self) -> String {
        loop {
            let line = match tokio::time::timeout(STEP, self.stdout.next_line()).await {
                Err(_) => self.fail(format!("no output for {STEP:?}")),
                Ok(Err(e)) => self.fail(format!("reading its stdout: {e}")),
                Ok(Ok(None)) => {
                    let status = tokio::time::timeout(STEP, self.child.wait()).await;
                    self.fail(format!("its output ended (exit: {status:?})"))
                }
                Ok(Ok(Some(line))) => line,
            };
            self.transcript.lock().unwrap().push(line.clone());
            if let Ok(value) = serde_json::from_str::<Value>(&line) {
                match value["event"].as_str() {
                    Some("sent" | "received" | "closed" | "socket_error") => continue,
                    Some("error") => self.fail(format!("the client failed: {}", value["message"])),
                    _ => {}
                }
            }
            return line;
        }
    }

    /// The next event; it must be `name`. Returns its JSON object.
    pub async fn expect_event(&mut self, name: &str) -> Value {
        let line = self.next_line().await;
        match serde_json::from_str::<Value>(&line) {
            Ok(value) if value["event"] == name => value,
            _ => self.fail(format!("expected a {name:?} event, got: {line}")),
        }
    }

    /// The script says `READY <step>` (and now waits for [`ScriptClient::proceed`]).
    pub async fn expect_ready(&mut self, step: &str) {
        let line = self.next_line().await;
        if line != format!("READY {step}") {
            self.fail(format!("expected READY {step}, got: {line}"));
        }
    }

    /// Lets the script go on past its READY.
    pub async fn proceed(&mut self) {
        let Some(stdin) = self.stdin.as_mut() else { self.fail("stdin already closed".into()) };
        if let Err(e) = stdin.write_all(b"go\n").await {
            self.fail(format!("writing to its stdin: {e}"));
        }
        let _ = stdin.flush().await;
    }

    /// The script reports `disconnected` and `done` and exits with status 0.
    pub async fn expect_clean_exit(&mut self) {
        let disconnected = self.expect_event("disconnected").await;
        if disconnected["connected"] != false {
            self.fail(format!("still connected after disconnect: {disconnected}"));
        }
        self.expect_event("done").await;
        self.stdin = None;
        // Drain the rest (the close handshake's trace lines) so the pipe never blocks the script.
        while let Ok(Ok(Some(line))) = tokio::time::timeout(STEP, self.stdout.next_line()).await {
            self.transcript.lock().unwrap().push(line);
        }
        match tokio::time::timeout(STEP, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => {}
            other => self.fail(format!("did not exit cleanly: {other:?}")),
        }
    }

    /// Frames the client library sent so far (each a JSON array of messages).
    pub fn sent_frames(&self) -> Vec<Value> {
        self.trace("sent")
    }

    /// Frames the client library received so far.
    pub fn received_frames(&self) -> Vec<Value> {
        self.trace("received")
    }

    fn trace(&self, kind: &str) -> Vec<Value> {
        self.transcript
            .lock()
            .unwrap()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|value| value["event"] == kind)
            .map(|value| value["frame"].clone())
            .collect()
    }

    /// The names of the messages in the frames the client sent (`["RequestServerInfo", ...]`).
    pub fn sent_message_names(&self) -> Vec<String> {
        self.sent_frames()
            .iter()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|message| message.as_object().and_then(|o| o.keys().next().cloned()))
            .collect()
    }
}

/// Devices as a script reported them: (index, name), sorted by index.
pub fn index_and_names(devices_event: &Value) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = devices_event["devices"]
        .as_array()
        .expect("a devices array")
        .iter()
        .map(|d| (d["index"].as_u64().expect("an index"), d["name"].as_str().expect("a name").to_owned()))
        .collect();
    out.sort();
    out
}

/// The device of a `devices` event with this index.
pub fn device(devices_event: &Value, index: u64) -> &Value {
    devices_event["devices"]
        .as_array()
        .and_then(|devices| devices.iter().find(|d| d["index"] == index))
        .unwrap_or_else(|| panic!("no device {index} in {devices_event}"))
}

/// A second, hand-written client on a raw websocket (spec v3), to own outputs that a script's
/// disconnect must leave alone.
pub struct RawV3 {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl RawV3 {
    pub const NAME: &'static str = "raw";

    pub async fn connect(engine: &impl EngineUnderTest) -> RawV3 {
        let (socket, _) = tokio_tungstenite::connect_async(url(engine)).await.expect("raw client connects");
        let mut raw = RawV3 { socket };
        let reply = raw.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"raw","MessageVersion":3}}]"#).await;
        assert!(reply[0]["ServerInfo"].is_object(), "raw handshake: {reply}");
        raw
    }

    /// Sends one frame and returns the next reply frame.
    pub async fn ask(&mut self, frame: &str) -> Value {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        self.socket.send(Message::text(frame)).await.expect("raw send");
        loop {
            let message = tokio::time::timeout(SETTLE, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("raw client: no reply to {frame}"))
                .expect("raw socket open")
                .expect("raw socket ok");
            if let Message::Text(text) = message {
                return serde_json::from_str(text.as_str()).expect("a JSON frame");
            }
        }
    }

    pub async fn vibrate(&mut self, device: u32, speed: f64) {
        let reply = self
            .ask(&format!(
                r#"[{{"VibrateCmd":{{"Id":2,"DeviceIndex":{device},"Speeds":[{{"Index":0,"Speed":{speed}}}]}}}}]"#
            ))
            .await;
        assert!(reply[0]["Ok"].is_object(), "raw VibrateCmd: {reply}");
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// What a `vibrate` scenario observed, for the version-specific checks of the caller.
pub struct Observed {
    pub server: Value,
    pub devices: Value,
    pub batteries: Vec<Value>,
    pub client: ScriptClient,
}

/// The devices of the `vibrate` scenarios: 0 = Virtual Vibrator, 1 = Virtual Lovense Max.
pub const VIBRATE_DEVICES: [VirtualKind; 2] = [VirtualKind::Vibrator, VirtualKind::LovenseMax];

/// Drives a script through its `vibrate` scenario against an engine with [`VIBRATE_DEVICES`]:
/// it vibrates both devices at 0.5 (=> level 10 of [0,20]), the registry shows it under `name`
/// with `spec`; it reads `batteries` battery values (Lovense Max), stops both (=> 0) and
/// disconnects cleanly (=> gone from the registry).
pub async fn run_vibrate_scenario(
    engine: &impl EngineUnderTest,
    mut client: ScriptClient,
    name: &str,
    spec: SpecVersion,
    batteries: usize,
) -> Observed {
    let context = client.context();
    let server = client.expect_event("server").await;
    assert_eq!(server["server_name"], engine.server_name(), "server name seen by the client\n{}", context());
    assert_eq!(server["connected"], true, "{}", context());
    let devices = client.expect_event("devices").await;
    assert_eq!(
        index_and_names(&devices),
        vec![(0, "Virtual Vibrator".to_owned()), (1, "Virtual Lovense Max".to_owned())],
        "device list seen by the client\n{}",
        context()
    );
    let vibrated = client.expect_event("vibrated").await;
    assert_eq!(vibrated["devices"], serde_json::json!([0, 1]), "{}", context());
    client.expect_ready("vibrated").await;

    assert_registered(engine, name, spec, &context).await;
    wait_for_level(engine, 0, 0, OutputType::Vibrate, 10, &context).await;
    wait_for_level(engine, 1, 0, OutputType::Vibrate, 10, &context).await;
    assert_eq!(
        engine.output_level(1, 1, OutputType::Constrict),
        Some(0),
        "the Max's constrictor was not commanded\n{}",
        context()
    );
    client.proceed().await;

    let mut readings = Vec::new();
    for _ in 0..batteries {
        let battery = client.expect_event("battery").await;
        assert_eq!(battery["index"], 1, "battery of the Lovense Max\n{}", context());
        readings.push(battery["level"].clone());
    }
    client.expect_event("stopped").await;
    client.expect_ready("stopped").await;
    wait_for_level(engine, 0, 0, OutputType::Vibrate, 0, &context).await;
    wait_for_level(engine, 1, 0, OutputType::Vibrate, 0, &context).await;
    client.proceed().await;

    client.expect_clean_exit().await;
    wait_for_client_gone(engine, name, &context).await;
    Observed { server, devices, batteries: readings, client }
}

/// Two clients, two vibrators: a raw client drives device 1 at full speed (20), the script
/// drives device 0 at 0.5 (10) through its `disconnect` scenario, then disconnects without an
/// explicit stop. Its device must go to 0, the raw client's must stay at 20.
/// Returns the script for checks of what it sent.
pub async fn run_disconnect_scenario(
    engine: &impl EngineUnderTest,
    mut client: ScriptClient,
    name: &str,
    spec: SpecVersion,
) -> ScriptClient {
    let context = client.context();
    let mut raw = RawV3::connect(engine).await;
    raw.vibrate(1, 1.0).await;
    wait_for_level(engine, 1, 0, OutputType::Vibrate, 20, &context).await;

    client.expect_event("server").await;
    client.expect_event("devices").await;
    let vibrated = client.expect_event("vibrated").await;
    assert_eq!(vibrated["devices"], serde_json::json!([0]), "{}", context());
    client.expect_ready("vibrated").await;
    assert_registered(engine, name, spec, &context).await;
    wait_for_level(engine, 0, 0, OutputType::Vibrate, 10, &context).await;
    assert_eq!(engine.output_level(1, 0, OutputType::Vibrate), Some(20), "the raw client's device\n{}", context());
    client.proceed().await;

    client.expect_clean_exit().await;
    wait_for_client_gone(engine, name, &context).await;
    wait_for_level(engine, 0, 0, OutputType::Vibrate, 0, &context).await;
    // The other client's output survives the disconnect. A session stops its client's outputs
    // before it leaves the registry (crates/plugboard-server/src/session.rs), so once it has
    // left, everything its disconnect did to the devices is recorded: nothing comes later.
    assert_eq!(
        engine.output_level(1, 0, OutputType::Vibrate),
        Some(20),
        "{name}'s disconnect changed the raw client's device\n{}",
        context()
    );
    assert!(
        engine.clients().iter().any(|c| c.name.as_deref() == Some(RawV3::NAME)),
        "the raw client is still connected"
    );
    raw.close().await;
    client
}
