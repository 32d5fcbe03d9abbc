//! A desktop of its own for each window test: a private X display (Xvfb), a private D-Bus
//! session bus and a private config folder, with the app started in it through tauri-driver
//! and driven over WebDriver. Tests side by side do not see each other's windows, key grabs,
//! notifications or single-instance lock, and a screenshot shows only the one app.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use plugboard_e2e::unused_port;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long the window gets to show what a test waits for.
pub(crate) const UI_WAIT: Duration = Duration::from_secs(20);

/// A private X display, session bus and home folder.
pub(crate) struct Desktop {
    /// Killed on drop (after the processes that use them).
    _xvfb: Child,
    _bus: Child,
    pub display: String,
    pub bus_address: String,
    home: tempfile::TempDir,
    /// More environment for the programs put on it (a desktop's theme, for instance).
    env: Vec<(String, String)>,
}

/// The first line a child process prints, within [`UI_WAIT`].
async fn first_line(child: &mut Child, what: &str) -> String {
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("{what}: no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    match tokio::time::timeout(UI_WAIT, lines.next_line()).await {
        Ok(Ok(Some(line))) => line.trim().to_owned(),
        other => panic!("{what} did not start: {other:?}"),
    }
}

impl Desktop {
    pub async fn start() -> Desktop {
        Desktop::with_screen("1280x800x24").await
    }

    /// `screen` as Xvfb takes it: `WIDTHxHEIGHTxDEPTH`.
    pub async fn with_screen(screen: &str) -> Desktop {
        // Xvfb picks a free display and prints its number (-displayfd 1: on stdout).
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", screen, "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("Xvfb starts (scripts/ensure-system-packages.sh app installs it)");
        let display = format!(":{}", first_line(&mut xvfb, "Xvfb").await);
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("dbus-daemon starts (package dbus)");
        let bus_address = first_line(&mut bus, "the session bus").await;
        let home = tempfile::tempdir().expect("a home folder");
        std::fs::create_dir_all(home.path().join(".config/plugboard")).unwrap();
        Desktop { _xvfb: xvfb, _bus: bus, display, bus_address, home, env: Vec::new() }
    }

    /// The home folder ($HOME); the config folder is `.config` in it.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Sets an environment variable for the programs started on this desktop from now on.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.push((name.to_owned(), value.to_owned()));
    }

    /// Plugboard's config folder on this desktop.
    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join(".config/plugboard")
    }

    /// Writes Plugboard's settings before the app starts (missing fields take defaults).
    pub fn write_settings(&self, settings: Value) {
        std::fs::write(self.config_dir().join("settings.json"), settings.to_string()).unwrap();
    }

    /// Sets the app up to start its server on launch with the device-websocket server on, and
    /// binds the device-websocket identifier `identifier` to the lovense protocol, so that a
    /// simulated Lovense ([`crate::toy::Toy`]) can dial in. Returns the server's port and the
    /// device-websocket port.
    pub fn serve_a_websocket_lovense(&self, identifier: &str) -> (u16, u16) {
        let (port, device_port) = (unused_port(), unused_port());
        self.write_settings(json!({
            "port": port, "startServerOnLaunch": true, "useBluetoothLe": false, "useSerial": false,
            "useDeviceWebsocketServer": true, "deviceWebsocketPort": device_port
        }));
        std::fs::write(
            self.config_dir().join("user-device-config.json"),
            json!({"format": "plugboard-user-device-config", "version": 1,
                   "websocket_devices": [{"identifier": identifier, "protocol": "lovense"}]})
            .to_string(),
        )
        .unwrap();
        (port, device_port)
    }

    /// Puts a program on this desktop: its display, bus and home.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("XDG_DATA_HOME", self.home().join(".local/share"))
            .env("XDG_CACHE_HOME", self.home().join(".cache"))
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("XDG_SESSION_TYPE")
            // Another test of this binary may point the system bus at its fake BlueZ.
            .env_remove("DBUS_SYSTEM_BUS_ADDRESS")
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .kill_on_drop(true);
        command
    }
}

/// The app binary next to this test binary (target/<profile>/plugboard).
pub(crate) fn app_binary() -> PathBuf {
    let app = plugboard_e2e::engine_process::built_binary("plugboard");
    assert!(
        app.exists(),
        "{} is missing: build the app first (cargo build -p plugboard; scripts/test.sh does)",
        app.display()
    );
    app
}

/// tauri-driver as `cargo install` put it, or else whichever is on the PATH.
pub(crate) fn tauri_driver() -> PathBuf {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .map(|home| home.join("bin").join("tauri-driver"));
    cargo_bin.filter(|path| path.exists()).unwrap_or_else(|| PathBuf::from("tauri-driver"))
}

/// The app on a [`Desktop`], driven over WebDriver.
pub(crate) struct AppWindow {
    driver: Child,
    pub client: Client,
}

impl AppWindow {
    /// Starts tauri-driver on the desktop, which starts the app, and opens a WebDriver session.
    pub async fn open(desktop: &Desktop) -> AppWindow {
        let (port, native_port) = (unused_port(), unused_port());
        let driver = desktop
            .command(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver starts (scripts/ensure-tools.sh installs it)");
        let deadline = tokio::time::Instant::now() + UI_WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(tokio::time::Instant::now() < deadline, "tauri-driver did not listen on {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("wry"));
        capabilities.insert("tauri:options".into(), json!({"application": app_binary()}));
        let client = ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session on the app");
        let window = AppWindow { driver, client };
        window
            .wait_for("the window's first snapshot", async || window.attribute("#top-status", "data-state").await)
            .await;
        window
    }

    /// Ends the session, then tauri-driver with SIGTERM (which also ends WebKitWebDriver and
    /// the app; SIGKILL would leave them running).
    pub async fn close(mut self) {
        self.client.close().await.ok();
        if let Some(pid) = self.driver.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.driver.wait()).await;
    }

    /// Waits until `probe` finds what it looks for.
    pub async fn wait_for<T>(&self, what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + UI_WAIT;
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            assert!(tokio::time::Instant::now() < deadline, "the window did not show {what} within {UI_WAIT:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the element to be on screen, then clicks it.
    pub async fn click(&self, css: &str) {
        let element = self.shown(css).await;
        element.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Waits until the element is displayed.
    pub async fn shown(&self, css: &str) -> Element {
        self.wait_for(css, async || {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            element.is_displayed().await.ok()?.then_some(element)
        })
        .await
    }

    pub async fn text(&self, css: &str) -> Option<String> {
        self.client.find(Locator::Css(css)).await.ok()?.text().await.ok()
    }

    /// Waits until the element's text contains `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        self.wait_for(&format!("{expected:?} in {css}"), async || {
            self.text(css).await.filter(|text| text.contains(expected))
        })
        .await
    }

    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.client.find(Locator::Css(css)).await.ok()?.attr(name).await.ok()?
    }

    /// Replaces what a field holds and commits it (a change event, as when the user leaves it).
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.shown(css).await;
        field.clear().await.unwrap();
        field.send_keys(&format!("{text}\u{E007}")).await.unwrap();
    }

    pub async fn show_view(&self, view: &str) {
        self.click(&format!("#nav-{view}")).await;
        self.shown(&format!("#view-{view}")).await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Sets a range input to `value` as a user dragging it would: input events while it moves,
    /// a change event when it is let go.
    pub async fn slide(&self, css: &str, value: i32) {
        self.shown(css).await;
        let script = r#"
            const [css, value] = arguments;
            const slider = document.querySelector(css);
            slider.value = String(value);
            slider.dispatchEvent(new Event('input', { bubbles: true }));
            slider.dispatchEvent(new Event('change', { bubbles: true }));
        "#;
        self.script(script, vec![json!(css), json!(value)]).await;
    }

    /// A PNG of the window, saved as `artifacts/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        // What was just shown has been painted once two frames have passed.
        let painted = "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));";
        self.client.execute_async(painted, vec![]).await.expect("a frame painted");
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("save screenshot");
    }

    /// Sets the size of the window's page (the part the window's content is laid out in).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.expect("resize the window");
        self.wait_for(&format!("a page of {width}x{height}"), async || {
            let size = self.script("return [window.innerWidth, window.innerHeight];", vec![]).await;
            (size == json!([width, height])).then_some(())
        })
        .await;
    }
}
