//! One Tauri command per contract command; each calls [`AppState`] and nothing else.

use tauri::{AppHandle, Runtime, State, Window};

use crate::error::{Error, Result};
use crate::models::{DeviceDatabaseUpdate, InputReading, LogExport, LogLine, Settings, Snapshot};
use crate::state::AppState;
use crate::{autostart, shortcut};

#[tauri::command]
pub async fn get_snapshot(state: State<'_, AppState>) -> Result<Snapshot> {
    Ok(state.snapshot().await)
}

#[tauri::command]
pub async fn start_server(state: State<'_, AppState>) -> Result<Snapshot> {
    state.start_server().await
}

#[tauri::command]
pub async fn stop_server(state: State<'_, AppState>) -> Result<Snapshot> {
    Ok(state.stop_server().await)
}

#[tauri::command]
pub async fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Snapshot> {
    // The OS entry first: a setting that says "on" while nothing would start is worse than
    // an error message.
    shortcut::parse(&settings.stop_shortcut).map_err(Error::new)?;
    let previous = state.settings();
    if settings.launch_at_login != previous.launch_at_login {
        autostart::set(&app, settings.launch_at_login)?;
    }
    let snapshot = state.save_settings(settings).await?;
    if snapshot.settings.stop_shortcut != previous.stop_shortcut {
        shortcut::apply(&app, &snapshot.settings.stop_shortcut);
        return Ok(state.snapshot().await);
    }
    Ok(snapshot)
}

/// "Check for device updates" (see [`AppState::check_device_updates`]).
#[tauri::command]
pub async fn check_device_updates(state: State<'_, AppState>) -> Result<DeviceDatabaseUpdate> {
    state.check_device_updates().await
}

#[tauri::command]
pub async fn disconnect_client(state: State<'_, AppState>, id: u64) -> Result<()> {
    state.disconnect_client(id).await
}

#[tauri::command]
pub async fn answer_client(state: State<'_, AppState>, id: u64, allow: bool, remember: bool) -> Result<()> {
    state.answer_client(id, allow, remember).await
}

#[tauri::command]
pub async fn answer_web_page(state: State<'_, AppState>, origin: String, allow: bool, remember: bool) -> Result<()> {
    state.answer_web_page(&origin, allow, remember).await
}

#[tauri::command]
pub async fn forget_approved_client(
    state: State<'_, AppState>,
    address: String,
    origin: Option<String>,
) -> Result<Snapshot> {
    state.forget_approved_client(&address, origin).await
}

#[tauri::command]
pub async fn forget_web_page(state: State<'_, AppState>, origin: String) -> Result<Snapshot> {
    state.forget_web_page(&origin).await
}

#[tauri::command]
pub async fn set_client_device_access(
    state: State<'_, AppState>,
    name: String,
    devices: Option<Vec<String>>,
) -> Result<Snapshot> {
    state.set_client_device_access(&name, devices).await
}

#[tauri::command]
pub async fn stop_all(state: State<'_, AppState>) -> Result<()> {
    state.stop_all().await;
    Ok(())
}

#[tauri::command]
pub async fn set_scanning(state: State<'_, AppState>, on: bool) -> Result<()> {
    state.set_scanning(on).await
}

#[tauri::command]
pub async fn add_virtual_device(state: State<'_, AppState>, kind: String, name: Option<String>) -> Result<u32> {
    state.add_virtual_device(&kind, name).await
}

#[tauri::command]
pub async fn remove_virtual_device(state: State<'_, AppState>, index: u32) -> Result<()> {
    state.remove_virtual_device(index).await
}

#[tauri::command]
pub async fn set_device_access(state: State<'_, AppState>, address: String, allow: bool, deny: bool) -> Result<()> {
    state.set_device_access(&address, allow, deny).await
}

#[tauri::command]
pub async fn rename_device(state: State<'_, AppState>, address: String, display_name: Option<String>) -> Result<()> {
    state.rename_device(&address, display_name).await
}

#[tauri::command]
pub async fn set_output_limit(
    state: State<'_, AppState>,
    address: String,
    feature_index: u32,
    kind: String,
    limit: Option<[i32; 2]>,
    disabled: bool,
) -> Result<()> {
    state.set_output_limit(&address, feature_index, &kind, limit, disabled).await
}

/// The window's own control of one output (the window is a client of the engine).
#[tauri::command]
pub async fn set_output(
    state: State<'_, AppState>,
    index: u32,
    feature_index: u32,
    kind: String,
    value: i32,
    duration_ms: Option<u32>,
) -> Result<()> {
    state.set_output(index, feature_index, &kind, value, duration_ms).await
}

#[tauri::command]
pub async fn read_input(
    state: State<'_, AppState>,
    index: u32,
    feature_index: u32,
    kind: String,
) -> Result<InputReading> {
    state.read_input(index, feature_index, &kind).await
}

#[tauri::command]
pub async fn forget_device(state: State<'_, AppState>, address: String) -> Result<()> {
    state.forget_device(&address).await
}

#[tauri::command]
pub fn get_logs(state: State<'_, AppState>) -> Vec<LogLine> {
    state.get_logs()
}

/// Opens the system's save dialog and writes the logs where the user chose
/// ([`crate::log_export`]): the page passes no path.
#[tauri::command]
pub async fn export_logs<R: Runtime>(app: AppHandle<R>, window: Window<R>) -> Result<LogExport> {
    crate::log_export::export(&app, &window).await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plugboard_server::testing::wait_until;
    use serde_json::{json, Value};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

    use crate::logs::LogBuffer;
    use crate::state::AppState;

    fn app(config_dir: &std::path::Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
        app_with(AppState::new(Some(config_dir.to_owned()), Arc::new(LogBuffer::default())))
    }

    fn app_with(state: AppState) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
        let app = mock_builder()
            .manage(state)
            .invoke_handler(crate::handler())
            .build(mock_context(noop_assets()))
            .expect("mock app");
        let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("window");
        (app, window)
    }

    fn call(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
        tauri::test::get_ipc_response(
            window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    fn quiet_settings(port: u16) -> Value {
        json!({"port": port, "serverName": "Test board", "allInterfaces": false, "maxPingTimeMs": 0,
               "startServerOnLaunch": false, "closeToTray": true, "startMinimized": false, "launchAtLogin": false,
               "useBluetoothLe": false, "useSerial": false, "useDeviceWebsocketServer": false,
               "deviceWebsocketPort": 54817})
    }

    #[test]
    fn the_stop_shortcut_and_the_theme_are_settings() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        assert_eq!(snapshot["settings"]["stopShortcut"], "Ctrl+Alt+Shift+S", "on by default");
        assert_eq!(snapshot["settings"]["theme"], "system");

        let mut settings = quiet_settings(0);
        settings["stopShortcut"] = json!("S");
        let error = call(&window, "save_settings", json!({"settings": settings.clone()})).unwrap_err();
        assert!(error.as_str().unwrap().contains("has no modifier"), "{error}");
        settings["stopShortcut"] = json!("Ctrl+Alt+Shift+P");
        settings["theme"] = json!("dark");
        let snapshot = call(&window, "save_settings", json!({"settings": settings})).unwrap();
        assert_eq!(
            (snapshot["settings"]["stopShortcut"].clone(), snapshot["settings"]["theme"].clone()),
            (json!("Ctrl+Alt+Shift+P"), json!("dark"))
        );
        // The mock app has no global shortcut plugin: the window is told the shortcut is not active.
        assert_eq!(snapshot["shortcut"]["keys"], "Ctrl+Alt+Shift+P");
        assert_eq!(snapshot["shortcut"]["active"], false);
        assert!(snapshot["shortcut"]["problem"].is_string());
    }

    #[test]
    fn server_lifecycle_devices_and_settings_through_ipc() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());

        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        assert_eq!(snapshot["server"]["running"], false);
        assert_eq!(snapshot["trayAvailable"], false);

        let snapshot = call(&window, "save_settings", json!({"settings": quiet_settings(0)})).unwrap();
        assert_eq!(snapshot["settings"]["serverName"], "Test board");
        let saved: Value = serde_json::from_slice(&std::fs::read(dir.path().join("settings.json")).unwrap()).unwrap();
        assert_eq!(saved["serverName"], "Test board");

        let snapshot = call(&window, "start_server", json!({})).unwrap();
        assert_eq!(snapshot["server"]["running"], true);
        let url = snapshot["server"]["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
        assert_ne!(snapshot["server"]["port"], 0);

        let index = call(&window, "add_virtual_device", json!({"kind": "dual-vibrator", "name": "Test buzz"})).unwrap();
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        let devices = snapshot["devices"].as_array().unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0]["index"], index);
        assert_eq!(devices[0]["name"], "Test buzz");
        assert_eq!(devices[0]["transport"], "virtual");
        assert_eq!(devices[0]["outputs"].as_array().unwrap().len(), 2);

        let error = call(&window, "add_virtual_device", json!({"kind": "teapot", "name": null})).unwrap_err();
        assert!(error.as_str().unwrap().starts_with("Unknown virtual device kind"), "{error}");

        call(&window, "stop_all", json!({})).unwrap();
        let error = call(&window, "disconnect_client", json!({"id": 99})).unwrap_err();
        assert_eq!(error, "No client 99 is connected.");

        call(&window, "remove_virtual_device", json!({"index": index})).unwrap();
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        assert_eq!(snapshot["devices"].as_array().unwrap().len(), 0);

        let snapshot = call(&window, "stop_server", json!({})).unwrap();
        assert_eq!(snapshot["server"]["running"], false);
        assert_eq!(snapshot["server"]["url"], Value::Null);
        let error = call(&window, "set_scanning", json!({"on": true})).unwrap_err();
        assert!(error.as_str().unwrap().starts_with("The server is not running"));

        let error = call(&window, "rename_device", json!({"address": "virtual:0", "displayName": "x"})).unwrap_err();
        assert!(error.as_str().unwrap().starts_with("The server is not running"), "{error}");
    }

    #[test]
    fn device_settings_reach_the_engine_and_show_in_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        // With a transport on, the engine keeps the user device config in a file.
        let mut settings = quiet_settings(0);
        settings["useDeviceWebsocketServer"] = json!(true);
        settings["deviceWebsocketPort"] = json!(0);
        call(&window, "save_settings", json!({"settings": settings})).unwrap();
        call(&window, "start_server", json!({})).unwrap();
        call(&window, "add_virtual_device", json!({"kind": "dual-vibrator", "name": null})).unwrap();
        let address = call(&window, "get_snapshot", json!({})).unwrap()["devices"][0]["address"].clone();

        call(&window, "rename_device", json!({"address": address, "displayName": " Desk "})).unwrap();
        let limit =
            json!({"address": address, "featureIndex": 1, "kind": "Vibrate", "limit": [2, 12], "disabled": false});
        call(&window, "set_output_limit", limit).unwrap();
        call(&window, "set_device_access", json!({"address": address, "allow": true, "deny": false})).unwrap();
        let device = call(&window, "get_snapshot", json!({})).unwrap()["devices"][0].clone();
        assert_eq!(device["displayName"], "Desk");
        assert_eq!(device["outputs"][1]["limit"], json!([2, 12]));
        assert_eq!((device["allowed"].clone(), device["denied"].clone()), (json!(true), json!(false)));
        let saved = std::fs::read_to_string(dir.path().join("user-device-config.json")).unwrap();
        assert!(saved.contains("Desk"), "kept in the user device config next to the settings: {saved}");

        let backwards =
            json!({"address": address, "featureIndex": 1, "kind": "Vibrate", "limit": [9, 3], "disabled": false});
        let error = call(&window, "set_output_limit", backwards).unwrap_err();
        assert!(error.as_str().unwrap().starts_with("A limit goes from a low value to a high one"), "{error}");
        let unknown = json!({"address": address, "featureIndex": 1, "kind": "Wiggle", "limit": null, "disabled": true});
        assert_eq!(call(&window, "set_output_limit", unknown).unwrap_err(), "'Wiggle' is not an output type.");

        call(&window, "stop_server", json!({})).unwrap();
        let remembered = call(&window, "get_snapshot", json!({})).unwrap()["devices"].clone();
        assert_eq!(remembered[0]["displayName"], "Desk", "a stopped server still lists the remembered device");
        assert_eq!(remembered[0]["connected"], false);
        call(&window, "start_server", json!({})).unwrap();
        call(&window, "forget_device", json!({"address": address})).unwrap();
        call(&window, "stop_server", json!({})).unwrap();
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        assert_eq!(snapshot["devices"], json!([]), "forgotten");
    }

    #[test]
    fn port_in_use_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        let holder = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = holder.local_addr().unwrap().port();
        call(&window, "save_settings", json!({"settings": quiet_settings(port)})).unwrap();
        let error = call(&window, "start_server", json!({})).unwrap_err();
        assert!(error.as_str().unwrap().starts_with(&format!("Port {port} is already in use")), "{error}");
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        let server_error = &snapshot["server"]["error"];
        assert_eq!(server_error["kind"], "portInUse");
        assert_eq!(server_error["port"], port);
        assert!(server_error["nextFreePort"].as_u64().unwrap() > port as u64);
        assert_eq!(snapshot["server"]["running"], false);
    }

    #[test]
    fn corrupt_settings_are_moved_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), b"{ broken").unwrap();
        let (_app, window) = app(dir.path());
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        assert!(snapshot["settingsMessage"].as_str().unwrap().contains("was not valid"));
        assert_eq!(snapshot["settings"]["port"], 12345);
        let aside = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect::<Vec<_>>();
        assert!(aside.iter().any(|name| name.starts_with("settings.json.corrupt-")), "{aside:?}");

        call(&window, "save_settings", json!({"settings": quiet_settings(4321)})).unwrap();
        let loaded = crate::settings::load(&dir.path().join("settings.json"));
        assert_eq!(loaded.settings.port, 4321);
        assert_eq!(loaded.message, None);
    }

    /// A Buttplug client over a real websocket, driven from a test thread.
    struct Client {
        runtime: tokio::runtime::Runtime,
        socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    }

    impl Client {
        fn connect(port: u64, origin: Option<&str>) -> Result<Client, u16> {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let mut request = format!("ws://127.0.0.1:{port}").into_client_request().unwrap();
            if let Some(origin) = origin {
                request.headers_mut().insert("Origin", origin.parse().unwrap());
            }
            match runtime.block_on(tokio_tungstenite::connect_async(request)) {
                Ok((socket, _)) => Ok(Client { runtime, socket }),
                Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
                Err(error) => panic!("{error}"),
            }
        }

        fn send(&mut self, text: &str) {
            use futures_util::SinkExt;
            self.runtime.block_on(self.socket.send(text.into())).unwrap();
        }

        /// The next message, or `None` when nothing comes within `wait`.
        fn next(&mut self, wait: std::time::Duration) -> Option<Value> {
            use futures_util::StreamExt;
            let socket = &mut self.socket;
            let message =
                self.runtime.block_on(async { tokio::time::timeout(wait, socket.next()).await }).ok()??.ok()?;
            let frame: Value = serde_json::from_str(message.to_text().ok()?).ok()?;
            Some(frame[0].clone())
        }

        fn recv(&mut self) -> Value {
            self.next(std::time::Duration::from_secs(5)).expect("a message in time")
        }

        /// Asserts that nothing arrives before the answer to a websocket Ping: a session
        /// answers one when it next reads, after sending what it owed.
        fn hears_nothing(&mut self, what: &str) {
            use futures_util::{SinkExt, StreamExt};
            use tokio_tungstenite::tungstenite::Message;
            let socket = &mut self.socket;
            self.runtime.block_on(async {
                socket.send(Message::Ping(Default::default())).await.unwrap();
                loop {
                    let wait = std::time::Duration::from_secs(5);
                    match tokio::time::timeout(wait, socket.next()).await.expect("a Pong in time") {
                        Some(Ok(Message::Pong(_))) => return,
                        Some(Ok(Message::Ping(_))) => continue,
                        other => panic!("{what}: got {other:?}"),
                    }
                }
            });
        }

        fn hello(port: u64, name: &str) -> Client {
            let mut client = Client::connect(port, None).unwrap();
            client.send(&format!(r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","MessageVersion":3}}}}]"#));
            assert!(client.recv().get("ServerInfo").is_some());
            client
        }
    }

    /// Waits until the snapshot satisfies `done`, and returns it.
    fn snapshot_until(window: &WebviewWindow<MockRuntime>, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let snapshot = async || call(window, "get_snapshot", json!({})).unwrap();
        runtime.block_on(wait_until(what, std::time::Duration::from_secs(5), snapshot, done))
    }

    fn waiting_client(window: &WebviewWindow<MockRuntime>, name: &str) -> u64 {
        let snapshot = snapshot_until(window, &format!("{name} to wait for approval"), |s| {
            s["clients"].as_array().unwrap().iter().any(|c| c["name"] == name && c["awaitingApproval"] == true)
        });
        let clients = snapshot["clients"].as_array().unwrap();
        clients.iter().find(|c| c["name"] == name).unwrap()["id"].as_u64().unwrap()
    }

    #[test]
    fn clients_from_other_machines_wait_for_the_user_who_can_remember_them() {
        let dir = tempfile::tempdir().unwrap();
        // Every peer counts as another machine, so a client on loopback stands in for one.
        let state = AppState::new(Some(dir.path().to_owned()), Arc::new(LogBuffer::default())).with_locality(|_| false);
        let (_app, window) = app_with(state);
        let mut settings = quiet_settings(0);
        settings["allInterfaces"] = json!(true);
        call(&window, "save_settings", json!({"settings": settings})).unwrap();
        let snapshot = call(&window, "start_server", json!({})).unwrap();
        let port = snapshot["server"]["port"].as_u64().unwrap();

        let mut first = Client::hello(port, "Phone game");
        first.send(r#"[{"RequestDeviceList":{"Id":2}}]"#);
        let id = waiting_client(&window, "Phone game");
        // Nothing beyond the handshake yet, once the request is read (the registry counts it).
        snapshot_until(&window, "the waiting client's request to be read", |s| {
            s["clients"].as_array().unwrap().iter().any(|c| c["id"] == id && c["messagesIn"].as_u64() >= Some(2))
        });
        first.hears_nothing("nothing beyond the handshake yet");
        call(&window, "answer_client", json!({"id": id, "allow": true, "remember": true})).unwrap();
        assert_eq!(first.recv()["DeviceList"]["Id"], 2);
        let error = call(&window, "answer_client", json!({"id": id, "allow": true, "remember": false})).unwrap_err();
        assert!(error.as_str().unwrap().contains("not waiting"), "{error}");

        // Remembered by address and Origin, saved, and kept when the settings form saves.
        let expected = json!([{"address": "127.0.0.1", "origin": null}]);
        let snapshot = call(&window, "save_settings", json!({"settings": settings})).unwrap();
        assert_eq!(snapshot["settings"]["approvedClients"], expected);
        let saved: Value = serde_json::from_slice(&std::fs::read(dir.path().join("settings.json")).unwrap()).unwrap();
        assert_eq!(saved["approvedClients"], expected);
        let mut second = Client::hello(port, "Another name");
        second.send(r#"[{"Ping":{"Id":2}}]"#);
        assert_eq!(second.recv(), json!({"Ok": {"Id": 2}}), "let in without asking");

        // Forgotten: the next one waits again, and the user refuses it.
        let snapshot =
            call(&window, "forget_approved_client", json!({"address": "127.0.0.1", "origin": null})).unwrap();
        assert_eq!(snapshot["settings"]["approvedClients"], json!([]));
        let mut third = Client::hello(port, "Stranger");
        let id = waiting_client(&window, "Stranger");
        call(&window, "answer_client", json!({"id": id, "allow": false, "remember": false})).unwrap();
        let error = third.recv();
        assert_eq!(error["Error"]["ErrorCode"], 1, "{error}");
        snapshot_until(&window, "the refused client to be gone", |s| {
            s["clients"].as_array().unwrap().iter().all(|c| c["name"] != "Stranger")
        });

        // "Allow all": nobody waits.
        settings["allowAllRemoteClients"] = json!(true);
        call(&window, "save_settings", json!({"settings": settings})).unwrap();
        call(&window, "stop_server", json!({})).unwrap();
        let port = call(&window, "start_server", json!({})).unwrap()["server"]["port"].as_u64().unwrap();
        let mut fourth = Client::hello(port, "Trusted network");
        fourth.send(r#"[{"Ping":{"Id":2}}]"#);
        assert_eq!(fourth.recv(), json!({"Ok": {"Id": 2}}));
        call(&window, "stop_server", json!({})).unwrap();
    }

    #[test]
    fn device_access_reaches_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        call(&window, "save_settings", json!({"settings": quiet_settings(0)})).unwrap();
        call(&window, "set_client_device_access", json!({"name": "Game", "devices": ["virtual:1"]})).unwrap();
        let snapshot = call(&window, "start_server", json!({})).unwrap();
        assert_eq!(snapshot["settings"]["clientDeviceAccess"], json!({"Game": ["virtual:1"]}));
        let port = snapshot["server"]["port"].as_u64().unwrap();
        call(&window, "add_virtual_device", json!({"kind": "vibrator", "name": null})).unwrap();
        call(&window, "add_virtual_device", json!({"kind": "vibrator", "name": null})).unwrap();

        let mut game = Client::hello(port, "Game");
        game.send(r#"[{"RequestDeviceList":{"Id":2}}]"#);
        let list = game.recv();
        let indexes: Vec<_> =
            list["DeviceList"]["Devices"].as_array().unwrap().iter().map(|d| d["DeviceIndex"].clone()).collect();
        assert_eq!(indexes, vec![json!(1)]);
        let snapshot = call(&window, "set_client_device_access", json!({"name": "Game", "devices": null})).unwrap();
        assert_eq!(game.recv()["DeviceAdded"]["DeviceIndex"], 0, "applied to the connected client at once");
        assert_eq!(snapshot["settings"]["clientDeviceAccess"], json!({}));

        call(&window, "stop_server", json!({})).unwrap();
    }

    /// A browser client: a v3 handshake over a websocket that carries this Origin.
    fn page_hello(port: u64, origin: &str, name: &str) -> Client {
        let mut client = Client::connect(port, Some(origin)).expect("the upgrade is not refused");
        client.send(&format!(r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"{name}","MessageVersion":3}}}}]"#));
        assert!(client.recv().get("ServerInfo").is_some(), "the handshake is answered while it waits");
        client
    }

    /// The client's answer to a Ping: `Ok` once let in.
    fn pong(client: &mut Client, id: u64) -> Option<Value> {
        client.send(&format!(r#"[{{"Ping":{{"Id":{id}}}}}]"#));
        client.next(std::time::Duration::from_secs(5))
    }

    /// Sends a Ping and checks it is held: once the engine has read it (the client's message
    /// count says so), nothing has been sent back.
    fn held(window: &WebviewWindow<MockRuntime>, client: &mut Client, name: &str) {
        client.send(r#"[{"Ping":{"Id":2}}]"#);
        snapshot_until(window, &format!("the Ping of {name} read"), |s| {
            s["clients"].as_array().unwrap().iter().any(|c| c["name"] == name && c["messagesIn"].as_u64() >= Some(2))
        });
        assert_eq!(client.next(std::time::Duration::ZERO), None, "{name} is held");
    }

    fn start(window: &WebviewWindow<MockRuntime>) -> u64 {
        call(window, "start_server", json!({})).unwrap()["server"]["port"].as_u64().unwrap()
    }

    /// One request from `origin` through the Origin gate, as an HTTP surface makes it: true
    /// when it is let in.
    fn http_request_passes(app: &App<MockRuntime>, origin: &str) -> bool {
        use plugboard_server::gate::http::{HeaderMap, Method, Surface};
        let surface = Surface { name: "a test surface", all_interfaces: false, lovense_host_names: false };
        let mut headers = HeaderMap::new();
        headers.insert("host", "127.0.0.1:30010".parse().unwrap());
        headers.insert("origin", origin.parse().unwrap());
        let state = app.state::<AppState>();
        let decision = tauri::async_runtime::block_on(
            state.with_engine("check a request", |engine| Ok(engine.check_http(&surface, &Method::POST, &headers))),
        );
        !decision.expect("the server runs").is_refusal()
    }

    fn web_pages_asking(window: &WebviewWindow<MockRuntime>) -> Value {
        call(window, "get_snapshot", json!({})).unwrap()["webPagesAsking"].clone()
    }

    #[test]
    fn web_pages_asking_over_http_are_answered_from_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let (app, window) = app(dir.path());
        call(&window, "save_settings", json!({"settings": quiet_settings(0)})).unwrap();
        start(&window);
        assert_eq!(web_pages_asking(&window), json!([]));

        // Refused while the user is asked; "Allow" lets it in for this run only.
        assert!(!http_request_passes(&app, "https://once.example"));
        assert_eq!(web_pages_asking(&window), json!(["https://once.example"]));
        call(&window, "answer_web_page", json!({"origin": "https://once.example", "allow": true, "remember": false}))
            .unwrap();
        assert_eq!(web_pages_asking(&window), json!([]));
        assert!(http_request_passes(&app, "https://once.example"));
        let error = call(
            &window,
            "answer_web_page",
            json!({"origin": "https://once.example", "allow": true, "remember": true}),
        )
        .unwrap_err();
        assert!(error.as_str().unwrap().contains("not waiting"), "{error}");

        // "Always allow": saved with the web pages a websocket client's "Always allow" saves.
        assert!(!http_request_passes(&app, "https://always.example"));
        call(&window, "answer_web_page", json!({"origin": "https://always.example", "allow": true, "remember": true}))
            .unwrap();
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        assert_eq!(snapshot["webPagesAsking"], json!([]));
        assert_eq!(snapshot["settings"]["rememberedWebPages"], json!(["https://always.example"]));
        assert!(http_request_passes(&app, "https://always.example"));

        // "Refuse": no longer asked about, and still refused; nothing remembered.
        assert!(!http_request_passes(&app, "https://evil.example"));
        call(&window, "answer_web_page", json!({"origin": "https://evil.example", "allow": false, "remember": false}))
            .unwrap();
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        assert_eq!(snapshot["webPagesAsking"], json!([]));
        assert_eq!(snapshot["settings"]["rememberedWebPages"], json!(["https://always.example"]));
        assert!(!http_request_passes(&app, "https://evil.example"));
        call(&window, "stop_server", json!({})).unwrap();

        // Remembered across a restart of the server.
        start(&window);
        assert!(http_request_passes(&app, "https://always.example"));
        assert!(!http_request_passes(&app, "https://once.example"), "allowed once: for that run only");
        call(&window, "stop_server", json!({})).unwrap();
    }

    #[test]
    fn web_pages_wait_for_the_user_who_can_remember_them_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let (first_run, window) = app(dir.path());
        call(&window, "save_settings", json!({"settings": quiet_settings(0)})).unwrap();
        let port = start(&window);
        let mut native = Client::hello(port, "Native game");
        assert_eq!(pong(&mut native, 2), Some(json!({"Ok": {"Id": 2}})), "no Origin: never held");

        // Held after its handshake; "Allow" lets this one client in, and only it.
        let mut page = page_hello(port, "https://game.example", "Web game");
        page.send(r#"[{"RequestDeviceList":{"Id":2}}]"#);
        let id = waiting_client(&window, "Web game");
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        let waiting = snapshot["clients"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
        assert_eq!(waiting["origin"], "https://game.example");
        snapshot_until(&window, "the device list request read", |s| {
            s["clients"].as_array().unwrap().iter().any(|c| c["id"] == id && c["messagesIn"].as_u64() >= Some(2))
        });
        assert_eq!(page.next(std::time::Duration::ZERO), None, "nothing beyond the handshake yet");
        call(&window, "answer_client", json!({"id": id, "allow": true, "remember": false})).unwrap();
        assert_eq!(page.recv()["DeviceList"]["Id"], 2, "what waited is answered once allowed");
        let mut again = page_hello(port, "https://game.example", "Web game, again");
        let id = waiting_client(&window, "Web game, again");
        assert_eq!(call(&window, "get_snapshot", json!({})).unwrap()["settings"]["rememberedWebPages"], json!([]));

        // "Always allow": remembered by Origin (whatever the name), saved, and kept when the
        // settings form saves.
        call(&window, "answer_client", json!({"id": id, "allow": true, "remember": true})).unwrap();
        assert_eq!(pong(&mut again, 2), Some(json!({"Ok": {"Id": 2}})));
        let snapshot = call(&window, "save_settings", json!({"settings": quiet_settings(0)})).unwrap();
        assert_eq!(snapshot["settings"]["rememberedWebPages"], json!(["https://game.example"]));
        assert_eq!(snapshot["settings"]["approvedClients"], json!([]), "a page on this machine is no remote client");
        let mut other_name = page_hello(port, "HTTPS://game.example:443", "Other name");
        assert_eq!(pong(&mut other_name, 2), Some(json!({"Ok": {"Id": 2}})), "let in without asking");
        call(&window, "stop_server", json!({})).unwrap();
        drop(window);
        drop(first_run);

        // The app restarts: the page is still let in; another one waits, and is refused.
        let (_second_run, window) = app(dir.path());
        let port = start(&window);
        let mut remembered = page_hello(port, "https://game.example", "Web game");
        assert_eq!(pong(&mut remembered, 2), Some(json!({"Ok": {"Id": 2}})), "remembered across a restart");
        let mut stranger = page_hello(port, "https://evil.example", "Stranger");
        let id = waiting_client(&window, "Stranger");
        held(&window, &mut stranger, "Stranger");
        call(&window, "answer_client", json!({"id": id, "allow": false, "remember": false})).unwrap();
        let error = stranger.recv();
        assert_eq!(error["Error"]["ErrorCode"], 1, "{error}");
        assert_eq!(error["Error"]["Id"], 2, "the waiting Ping gets the Error");
        let message = error["Error"]["ErrorMessage"].as_str().unwrap();
        assert!(message.contains("https://evil.example") && message.contains("did not allow"), "{message}");
        snapshot_until(&window, "the refused page to be gone", |s| {
            s["clients"].as_array().unwrap().iter().all(|c| c["name"] != "Stranger")
        });

        // Forgotten: it waits again.
        let snapshot = call(&window, "forget_web_page", json!({"origin": "https://game.example"})).unwrap();
        assert_eq!(snapshot["settings"]["rememberedWebPages"], json!([]));
        let error = call(&window, "forget_web_page", json!({"origin": "https://game.example"})).unwrap_err();
        assert!(error.as_str().unwrap().contains("not among"), "{error}");
        let mut forgotten = page_hello(port, "https://game.example", "Forgotten");
        waiting_client(&window, "Forgotten");
        held(&window, &mut forgotten, "Forgotten");
        call(&window, "stop_server", json!({})).unwrap();

        // "Let any web page connect": nobody waits.
        let mut settings = quiet_settings(0);
        settings["allowAnyWebPage"] = json!(true);
        call(&window, "save_settings", json!({"settings": settings})).unwrap();
        let port = start(&window);
        let mut any = page_hello(port, "https://any.example", "Any page");
        assert_eq!(pong(&mut any, 2), Some(json!({"Ok": {"Id": 2}})));
        call(&window, "stop_server", json!({})).unwrap();
    }

    #[test]
    fn a_web_page_nobody_answers_about_is_refused_with_error_1_and_close_1008() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(Some(dir.path().to_owned()), Arc::new(LogBuffer::default()))
            .with_approval_timeout(std::time::Duration::from_millis(500));
        let (_app, window) = app_with(state);
        call(&window, "save_settings", json!({"settings": quiet_settings(0)})).unwrap();
        let port = start(&window);
        let mut page = page_hello(port, "https://slow.example", "Unanswered");
        waiting_client(&window, "Unanswered");
        let error = page.recv();
        assert_eq!(error["Error"]["ErrorCode"], 1, "{error}");
        let message = error["Error"]["ErrorMessage"].as_str().unwrap();
        assert!(message.contains("https://slow.example") && message.contains("did not answer within"), "{message}");
        let close = page.runtime.block_on(async {
            use futures_util::StreamExt;
            tokio::time::timeout(std::time::Duration::from_secs(5), page.socket.next()).await
        });
        match close {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame))))) => {
                assert_eq!(u16::from(frame.code), 1008)
            }
            other => panic!("expected a Close 1008, got {other:?}"),
        }
        call(&window, "stop_server", json!({})).unwrap();
    }

    #[test]
    fn the_windows_controls_drive_devices_as_a_client_of_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let (app_handle, window) = app(dir.path());
        let error = call(&window, "set_output", json!({"index": 0, "featureIndex": 0, "kind": "Vibrate", "value": 5}));
        assert!(error.unwrap_err().as_str().unwrap().starts_with("The server is not running"));
        call(&window, "save_settings", json!({"settings": quiet_settings(0)})).unwrap();
        call(&window, "start_server", json!({})).unwrap();
        let index = call(&window, "add_virtual_device", json!({"kind": "lovense-max", "name": null})).unwrap();

        let set = json!({"index": index, "featureIndex": 0, "kind": "Vibrate", "value": 15, "durationMs": null});
        call(&window, "set_output", set).unwrap();
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        let output = &snapshot["devices"][0]["outputs"][0];
        assert_eq!((output["value"].clone(), output["owner"].clone()), (json!(15), json!("this window")));
        assert_eq!(output["ownedByWindow"], true);
        let client = &snapshot["clients"][0];
        assert_eq!((client["kind"].clone(), client["local"].clone()), (json!("this window"), json!(true)));
        assert_eq!((client["name"].clone(), client["address"].clone()), (json!("Plugboard window"), Value::Null));
        assert_eq!(snapshot["devices"][0]["inputs"], json!([{"featureIndex": 2, "kind": "Battery"}]));

        let reading =
            call(&window, "read_input", json!({"index": index, "featureIndex": 2, "kind": "Battery"})).unwrap();
        assert_eq!(reading, json!({"value": 80, "text": "80 %"}));
        let too_far = json!({"index": index, "featureIndex": 1, "kind": "Constrict", "value": 4});
        assert_eq!(
            call(&window, "set_output", too_far).unwrap_err(),
            "4 is outside the range of this Constrict output (0 to 3)."
        );

        call(&window, "stop_all", json!({})).unwrap();
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        assert_eq!(snapshot["devices"][0]["outputs"][0]["value"], 0, "STOP ALL stops what the window runs");

        // Hiding the window releases its client: what it runs stops, and it leaves the list.
        call(&window, "set_output", json!({"index": index, "featureIndex": 0, "kind": "Vibrate", "value": 3})).unwrap();
        app_handle.state::<AppState>().release_window_client();
        let snapshot = call(&window, "get_snapshot", json!({})).unwrap();
        assert_eq!(snapshot["devices"][0]["outputs"][0]["value"], 0);
        assert_eq!(snapshot["clients"], json!([]));
        call(&window, "stop_server", json!({})).unwrap();
    }

    #[test]
    fn logs_can_be_read_and_exported() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        assert_eq!(call(&window, "get_logs", json!({})).unwrap(), json!([]));
        let state = window.state::<AppState>();
        state.logs.push(crate::models::LogLine {
            time: "2026-12-07T19:30:00Z".into(),
            level: crate::models::LogLevel::Info,
            target: "plugboard_app".into(),
            message: "a line to export".into(),
        });
        let path = dir.path().join("out.log");
        assert_eq!(state.export_logs(&path), Ok(1));
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written, "2026-12-07T19:30:00Z INFO  plugboard_app: a line to export\n");
        // A folder that cannot be made: a file of that name is in the way.
        std::fs::write(dir.path().join("a file"), "").unwrap();
        let unwritable = dir.path().join("a file").join("out.log");
        let error = state.export_logs(&unwritable).unwrap_err();
        assert!(error.to_string().contains("Choose a folder you can write to"), "{error}");
    }
}
