//! The real app window, driven over WebDriver: tauri-driver in front of WebKitWebDriver,
//! under Xvfb and a private session bus (scripts/test.sh runs the suite that way). Every
//! step goes through the window as a user would, and is checked from the outside with real
//! Buttplug clients. A screenshot of each view lands in `artifacts/screenshots/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use buttplug9::client::{
    ButtplugClient as V3Client, ButtplugClientDevice as V3Device, ButtplugClientEvent as V3Event, ScalarValueCommand,
};
use buttplug9::core::connector::new_json_ws_client_connector;
use buttplug_client::connector::ButtplugRemoteClientConnector;
use buttplug_client::{ButtplugClient as V4Client, ButtplugClientEvent as V4Event};
use buttplug_transport_websocket_tungstenite::ButtplugWebsocketClientTransport;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::StreamExt;
use plugboard_e2e::{non_loopback_address, unused_port, wait_until, within};
use serde_json::json;
use tokio::process::{Child, Command};

use crate::desktop::{app_binary, tauri_driver};

const UI_WAIT: Duration = Duration::from_secs(15);

struct Driver {
    process: Child,
}

impl Driver {
    async fn start(port: u16, native_port: u16, config_home: &std::path::Path) -> Driver {
        let process = Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("XDG_CONFIG_HOME", config_home)
            // Launch at login writes to ~/.config/autostart: keep that in the test's folder.
            .env("HOME", config_home)
            // Another test of this binary may point the system bus at its fake BlueZ.
            .env_remove("DBUS_SYSTEM_BUS_ADDRESS")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("tauri-driver starts (scripts/ensure-tools.sh installs it)");
        let listening = async || tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok();
        wait_until(format!("tauri-driver to listen on {port}"), UI_WAIT, listening, |&listens| listens).await;
        Driver { process }
    }

    /// SIGTERM, so tauri-driver also ends WebKitWebDriver (SIGKILL would leave it running).
    async fn stop(mut self) {
        if let Some(pid) = self.process.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.process.wait()).await;
    }
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

async fn screenshot(window: &Client, name: &str) {
    let png = window.screenshot().await.expect("screenshot");
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).expect("save screenshot");
}

/// Waits until `probe` finds what it looks for in the window.
async fn wait_for<T: std::fmt::Debug>(what: &str, probe: impl AsyncFnMut() -> Option<T>) -> T {
    wait_until(format!("the window to show {what}"), UI_WAIT, probe, Option::is_some).await.expect("just found")
}

async fn text_of(window: &Client, css: &str) -> Option<String> {
    window.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

async fn click(window: &Client, css: &str) {
    window
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn v3_client(url: &str) -> (V3Client, impl futures_util::Stream<Item = V3Event>) {
    let client = V3Client::new("Example Client");
    let events = client.event_stream();
    within("v3 connect", client.connect(new_json_ws_client_connector(url))).await.expect("v3 client connects");
    (client, events)
}

async fn v4_client(url: &str) -> V4Client {
    let client = V4Client::new("Example v4 Client");
    let connector = ButtplugRemoteClientConnector::<ButtplugWebsocketClientTransport>::new(
        ButtplugWebsocketClientTransport::new_insecure_connector(url),
    );
    within("v4 connect", client.connect(connector)).await.expect("v4 client connects");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_runs_the_server_and_shows_the_truth() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "the window test needs a display: scripts/test.sh runs the suite under xvfb-run and dbus-run-session"
    );
    let config_home = tempfile::tempdir().unwrap();
    let (driver_port, native_port, server_port) = (unused_port(), unused_port(), unused_port());
    let driver = Driver::start(driver_port, native_port, config_home.path()).await;
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("wry"));
    capabilities.insert("tauri:options".into(), json!({"application": app_binary()}));
    let window = ClientBuilder::native()
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session on the app");

    // Server: pick a free port and start the server from the window.
    click(&window, "#nav-server").await;
    let port_field = window.find(Locator::Css("#setting-port")).await.expect("#setting-port");
    port_field.clear().await.unwrap();
    port_field.send_keys(&server_port.to_string()).await.unwrap();
    click(&window, "#server-toggle").await;
    let url = format!("ws://127.0.0.1:{server_port}");
    wait_for("the server address", async || text_of(&window, "#server-url").await.filter(|t| t.contains(&url))).await;
    screenshot(&window, "server").await;

    // Launch at login: off by default; the toggle creates and removes the desktop session's
    // autostart entry, which starts this very executable.
    let autostart_dir = config_home.path().join(".config/autostart");
    let autostart_entry = || -> Option<String> {
        let entries = std::fs::read_dir(&autostart_dir).ok()?;
        let path = entries.flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "desktop"))?;
        std::fs::read_to_string(path).ok()
    };
    assert_eq!(autostart_entry(), None, "launch at login is off by default");
    click(&window, "#setting-launch-at-login").await;
    let entry = wait_for("the autostart entry", async || autostart_entry()).await;
    let app_path = app_binary().display().to_string();
    assert!(entry.lines().any(|line| line.starts_with("Exec=") && line.contains(&app_path)), "{entry}");
    // The entry exists before the save finishes; the box is disabled until then.
    wait_for("the launch-at-login box to be ready again", async || {
        let input = window.find(Locator::Css("#setting-launch-at-login")).await.ok()?;
        (input.is_enabled().await.ok()? && input.is_selected().await.ok()?).then_some(())
    })
    .await;
    click(&window, "#setting-launch-at-login").await;
    wait_for("the autostart entry to go", async || autostart_entry().is_none().then_some(())).await;

    // Two clients of different versions: the Clients view lists both with their versions.
    let (v3, mut v3_events) = v3_client(&url).await;
    let v4 = v4_client(&url).await;
    click(&window, "#nav-clients").await;
    for (name, spec) in [("Example Client", "v3"), ("Example v4 Client", "v4")] {
        wait_for(&format!("{name} as {spec}"), async || {
            let rows = window.find_all(Locator::Css("#clients [data-client-id]")).await.ok()?;
            for row in rows {
                let name_cell = row.find(Locator::Css(".name")).await.ok()?.text().await.ok()?;
                let spec_cell = row.find(Locator::Css(".spec")).await.ok()?.text().await.ok()?;
                if name_cell.contains(name) && spec_cell.trim() == spec {
                    return Some(());
                }
            }
            None
        })
        .await;
    }
    screenshot(&window, "clients").await;

    // Add a virtual vibrator from the Hardware view; it shows in Devices and reaches clients.
    click(&window, "#nav-hardware").await;
    let kind = window.find(Locator::Css("#virtual-kind")).await.expect("#virtual-kind");
    kind.select_by_value("vibrator").await.expect("select vibrator");
    click(&window, "#add-virtual").await;
    screenshot(&window, "hardware").await;
    let device: Arc<V3Device> = loop {
        match within("DeviceAdded", v3_events.next()).await {
            Some(V3Event::DeviceAdded(device)) => break device,
            Some(_) => continue,
            None => panic!("v3 client event stream ended"),
        }
    };
    click(&window, "#nav-devices").await;
    let row = "#devices [data-device-address] .output[data-feature=\"0\"][data-kind=\"Vibrate\"]".to_string();
    wait_for("the virtual vibrator", async || text_of(&window, &row).await).await;

    // A client vibrates it: the live level moves in the window.
    device.vibrate(&ScalarValueCommand::ScalarValue(0.5)).await.expect("vibrate");
    wait_for("level 10", async || text_of(&window, &row).await.filter(|t| t.contains("10"))).await;
    screenshot(&window, "devices").await;

    // STOP ALL zeroes it.
    click(&window, "#stop-all").await;
    wait_for("level 0", async || text_of(&window, &row).await.filter(|t| t.trim().starts_with('0'))).await;

    // Deny it: it leaves the clients' device lists.
    click(&window, "#devices [data-device-address] button.deny").await;
    wait_for("the device gone from the v3 client", async || v3.devices().is_empty().then_some(())).await;
    wait_for("the device gone from the v4 client", async || v4.devices().is_empty().then_some(())).await;

    // Disconnect the v4 client from the window.
    click(&window, "#nav-clients").await;
    let mut v4_events = v4.event_stream();
    let rows = window.find_all(Locator::Css("#clients [data-client-id]")).await.unwrap();
    for row in rows {
        if row.find(Locator::Css(".spec")).await.unwrap().text().await.unwrap().trim() == "v4" {
            row.find(Locator::Css("button.disconnect")).await.unwrap().click().await.unwrap();
        }
    }
    loop {
        match within("the v4 client hears it was disconnected", v4_events.next()).await {
            Some(V4Event::ServerDisconnect) | None => break,
            Some(_) => continue,
        }
    }

    // Logs view, then stop the server from the window: the v3 client is disconnected.
    click(&window, "#nav-logs").await;
    screenshot(&window, "logs").await;
    click(&window, "#nav-server").await;
    click(&window, "#server-toggle").await;
    loop {
        match within("the v3 client hears the server stop", v3_events.next()).await {
            Some(V3Event::ServerDisconnect) | None => break,
            Some(_) => continue,
        }
    }
    assert!(!v3.connected());

    web_page_prompt(&window, server_port).await;

    // Listening on all interfaces, a client from another machine waits until the user allows
    // it. Connecting to this machine's own network address makes a real non-loopback peer.
    approval_and_device_access(&window, server_port, non_loopback_address()).await;

    window.close().await.ok();
    driver.stop().await;
}

/// Waits until the element is shown (not `hidden`).
async fn shown(window: &Client, css: &str) {
    wait_for(css, async || window.find(Locator::Css(css)).await.ok()?.is_displayed().await.ok()?.then_some(())).await;
}

/// A websocket from a web page at `origin` that has done its v3 handshake.
async fn web_page(port: u16, origin: &str) -> crate::raw::Raw {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://127.0.0.1:{port}").into_client_request().unwrap();
    request.headers_mut().insert("Origin", origin.parse().unwrap());
    let (socket, _) =
        within("connect as a web page", tokio_tungstenite::connect_async(request)).await.expect("connect");
    let mut page = crate::raw::Raw::over(socket);
    let info = page.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Web game","MessageVersion":3}}]"#).await;
    assert!(info.get("ServerInfo").is_some(), "{info}");
    page
}

/// Waits until no client waits for an answer (the prompts are gone).
async fn no_prompt(window: &Client) {
    wait_for("no prompt", async || {
        let banner = window.find(Locator::Css("#clients-waiting")).await.ok()?;
        (!banner.is_displayed().await.ok()?).then_some(())
    })
    .await;
}

/// A web page the user has not allowed: the window asks, and Refuse, Allow, Always allow and
/// Forget do what they say.
async fn web_page_prompt(window: &Client, port: u16) {
    const ORIGIN: &str = "https://game.example";
    let prompt = "#approval-prompts li.approval-prompt";
    click(window, "#server-toggle").await;
    wait_for("the server running", async || {
        text_of(window, "#server-state").await.filter(|t| t.contains(&port.to_string()))
    })
    .await;
    click(window, "#nav-clients").await;

    // Refuse.
    let mut page = web_page(port, ORIGIN).await;
    page.send(r#"[{"Ping":{"Id":2}}]"#).await;
    shown(window, prompt).await;
    let question = text_of(window, &format!("{prompt} .question")).await.unwrap_or_default();
    assert_eq!(question, format!("{ORIGIN} wants to use your devices"));
    screenshot(window, "clients-web-page-prompt").await;
    click(window, &format!("{prompt} button.refuse")).await;
    let error = page.recv().await;
    assert_eq!(error["Error"]["ErrorCode"], 1, "{error}");
    assert!(page.closed().await, "a refused page is disconnected");
    no_prompt(window).await;

    // Allow: this connection only, nothing remembered.
    let mut page = web_page(port, ORIGIN).await;
    page.send(r#"[{"Ping":{"Id":2}}]"#).await;
    shown(window, prompt).await;
    click(window, &format!("{prompt} button.allow")).await;
    assert_eq!(page.recv().await, json!({"Ok": {"Id": 2}}), "what waited runs once allowed");
    no_prompt(window).await;
    assert!(!window.find(Locator::Css("#web-pages-section")).await.unwrap().is_displayed().await.unwrap());

    // Always allow: remembered, listed, and the next connection is not asked about.
    let mut again = web_page(port, ORIGIN).await;
    again.send(r#"[{"Ping":{"Id":2}}]"#).await;
    shown(window, prompt).await;
    click(window, &format!("{prompt} button.allow-always")).await;
    assert_eq!(again.recv().await, json!({"Ok": {"Id": 2}}));
    no_prompt(window).await;
    shown(window, "#web-pages-section").await;
    let listed = text_of(window, "#remembered-web-pages").await.unwrap_or_default();
    assert!(listed.contains(ORIGIN), "{listed}");
    screenshot(window, "clients-web-pages").await;
    let mut remembered = web_page(port, ORIGIN).await;
    assert_eq!(remembered.ask(r#"[{"Ping":{"Id":2}}]"#).await, json!({"Ok": {"Id": 2}}), "not asked again");

    // Forget: asked about again.
    click(window, "#remembered-web-pages button.forget-web-page").await;
    wait_for("the web page forgotten", async || {
        let section = window.find(Locator::Css("#web-pages-section")).await.ok()?;
        (!section.is_displayed().await.ok()?).then_some(())
    })
    .await;
    let mut forgotten = web_page(port, ORIGIN).await;
    forgotten.send(r#"[{"Ping":{"Id":2}}]"#).await;
    shown(window, prompt).await;
    click(window, &format!("{prompt} button.refuse")).await;
    assert_eq!(forgotten.recv().await["Error"]["ErrorCode"], 1);

    click(window, "#nav-server").await;
    click(window, "#server-toggle").await;
    assert!(remembered.closed().await, "stopping the server closes the page's connection");
}

/// The approval prompt, remembered approvals and per-app device access, from the window.
async fn approval_and_device_access(window: &Client, port: u16, address: std::net::IpAddr) {
    click(window, "#setting-all-interfaces").await;
    shown(window, "#setting-allow-all-remote").await;
    click(window, "#server-toggle").await;
    wait_for("the server running again", async || {
        text_of(window, "#server-state").await.filter(|t| t.contains(&port.to_string()))
    })
    .await;

    let url = format!("ws://{address}:{port}");
    let (socket, _) =
        within("connect from the network", tokio_tungstenite::connect_async(&url)).await.expect("connect");
    let mut phone = crate::raw::Raw::over(socket);
    let info = phone.ask(r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Phone game","MessageVersion":3}}]"#).await;
    assert!(info.get("ServerInfo").is_some(), "{info}");
    phone.send(r#"[{"RequestDeviceList":{"Id":2}}]"#).await;
    click(window, "#nav-clients").await;
    shown(window, "#clients-waiting").await;
    shown(window, "#clients .waiting button.allow-always").await;
    screenshot(window, "clients-approval").await;
    click(window, "#clients .waiting button.allow-always").await;
    let list = phone.recv().await;
    assert_eq!(list["DeviceList"]["Id"], 2, "what waited runs once allowed: {list}");
    wait_for("the remembered approval", async || {
        text_of(window, "#approved-clients").await.filter(|t| t.contains(&address.to_string()))
    })
    .await;

    // A device from the Hardware view reaches the phone; then the user takes it away from it.
    click(window, "#nav-hardware").await;
    click(window, "#add-virtual").await;
    let added = phone.recv().await;
    let index = added["DeviceAdded"]["DeviceIndex"].as_u64().unwrap_or_else(|| panic!("DeviceAdded: {added}"));
    click(window, "#nav-clients").await;
    let row = "#client-access [data-client-name=\"Phone game\"]";
    let device_box = format!("{row} input.device-access[data-address=\"virtual:{index}\"]");
    shown(window, &device_box).await;
    click(window, &format!("{row} input.all-devices")).await;
    wait_for("the device choices to open", async || {
        window.find(Locator::Css(&device_box)).await.ok()?.is_enabled().await.ok()?.then_some(())
    })
    .await;
    click(window, &device_box).await;
    assert_eq!(phone.recv().await, json!({"DeviceRemoved": {"Id": 0, "DeviceIndex": index}}));
    wait_for("the box unticked", async || {
        (!window.find(Locator::Css(&device_box)).await.ok()?.is_selected().await.ok()?).then_some(())
    })
    .await;
    screenshot(window, "clients-access").await;

    // Forget the approval from the window.
    click(window, "#approved-clients button.forget-approval").await;
    wait_for("the approval forgotten", async || {
        let section = window.find(Locator::Css("#approved-section")).await.ok()?;
        (!section.is_displayed().await.ok()?).then_some(())
    })
    .await;
    click(window, "#nav-server").await;
    click(window, "#server-toggle").await;
    assert!(phone.closed().await, "stopping the server closes the phone's connection");
}

/// Logging out or `kill` must not leave a toy running: SIGTERM quits like the menu does,
/// stopping every device first. Checked with a simulated Lovense on the device-websocket port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_every_device_before_the_app_exits() {
    assert!(std::env::var_os("DISPLAY").is_some(), "needs a display: scripts/test.sh runs the suite under xvfb-run");
    let config_home = tempfile::tempdir().unwrap();
    let dir = config_home.path().join("plugboard");
    std::fs::create_dir_all(&dir).unwrap();
    let (server_port, device_port) = (unused_port(), unused_port());
    std::fs::write(
        dir.join("settings.json"),
        json!({"port": server_port, "startServerOnLaunch": true, "useBluetoothLe": false, "useSerial": false,
               "useDeviceWebsocketServer": true, "deviceWebsocketPort": device_port})
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("user-device-config.json"),
        json!({"format": "plugboard-user-device-config", "version": 1,
               "websocket_devices": [{"identifier": "FakeLVS", "protocol": "lovense"}]})
        .to_string(),
    )
    .unwrap();
    let mut app = Command::new(app_binary())
        .env("XDG_CONFIG_HOME", config_home.path())
        .env_remove("DBUS_SYSTEM_BUS_ADDRESS")
        // No session bus, so no single-instance check: the window test's app may be running.
        .env("DBUS_SESSION_BUS_ADDRESS", "")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the app starts");

    // The toy dials in once the device-websocket server listens.
    let toy_url = format!("ws://127.0.0.1:{device_port}");
    let dial = async || tokio_tungstenite::connect_async(&toy_url).await;
    let (mut toy, _) = wait_until("the app's device-websocket server to come up", UI_WAIT, dial, Result::is_ok)
        .await
        .expect("just connected");
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    toy.send(Message::text(json!({"identifier": "FakeLVS", "address": "SIGTERM01", "version": 0}).to_string()))
        .await
        .unwrap();
    let mut game = crate::raw::Raw::v4_client(server_port, "game").await;
    let mut vibrating = false;
    let deadline = tokio::time::Instant::now() + UI_WAIT;
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(200), toy.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => match bytes.as_ref() {
                b"DeviceType;" => toy.send(Message::text("Z:11:0082059AD3BD;")).await.unwrap(),
                b"Vibrate:20;" => {
                    vibrating = true;
                    break;
                }
                _ => {}
            },
            Ok(Some(Ok(_))) | Err(_) => {}
            Ok(None) | Ok(Some(Err(_))) => panic!("the toy lost its connection"),
        }
        // Until the device is listed, the command fails; keep asking.
        game.send(r#"[{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":20}}}}]"#)
            .await;
    }
    assert!(vibrating, "the toy was told to vibrate");

    let pid = app.id().expect("app pid");
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().await.unwrap();
    let mut stopped = false;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(UI_WAIT, toy.next()).await {
        if let Message::Binary(bytes) = message {
            if bytes.as_ref() == b"Vibrate:0;" {
                stopped = true;
                break;
            }
        }
    }
    assert!(stopped, "SIGTERM stopped the toy before the app went away");
    let status = tokio::time::timeout(UI_WAIT, app.wait()).await.expect("the app exits").unwrap();
    assert!(status.success(), "the app exits cleanly: {status}");
}
