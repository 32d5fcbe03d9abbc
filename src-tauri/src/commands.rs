//! One Tauri command per contract command; each calls [`AppState`] and nothing else.

use tauri::{AppHandle, Runtime, State};

use crate::autostart;
use crate::error::{Error, Result};
use crate::models::{LogLine, Settings, Snapshot};
use crate::state::AppState;

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
    if settings.launch_at_login != state.settings().launch_at_login {
        autostart::set(&app, settings.launch_at_login)?;
    }
    state.save_settings(settings).await
}

#[tauri::command]
pub async fn disconnect_client(state: State<'_, AppState>, id: u64) -> Result<()> {
    state.disconnect_client(id).await
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
    state.with_devices("allow or deny devices", |devices| {
        devices.set_access(&address, allow, deny);
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn rename_device(state: State<'_, AppState>, address: String, display_name: Option<String>) -> Result<()> {
    state.with_devices("rename devices", |devices| {
        devices.rename(&address, display_name);
        Ok(())
    })
    .await
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
    let kind = output_type(&kind)?;
    state
        .with_devices("limit outputs", |devices| {
            let limit = limit.map(|[min, max]| plugboard_protocol::model::Range::new(min, max));
            Ok(devices.set_output_limit(&address, feature_index, kind, limit, disabled)?)
        })
        .await
}

#[tauri::command]
pub async fn forget_device(state: State<'_, AppState>, address: String) -> Result<()> {
    state.with_devices("forget devices", |devices| {
        devices.forget(&address);
        Ok(())
    })
    .await
}

#[tauri::command]
pub fn get_logs(state: State<'_, AppState>) -> Vec<LogLine> {
    state.get_logs()
}

#[tauri::command]
pub fn export_logs(state: State<'_, AppState>, path: String) -> Result<()> {
    state.export_logs(&path)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{json, Value};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::{App, WebviewWindow, WebviewWindowBuilder};

    use crate::events::LogBuffer;
    use crate::state::AppState;

    fn app(config_dir: &std::path::Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
        let app = mock_builder()
            .manage(AppState::new(Some(config_dir.to_owned()), Arc::new(LogBuffer::default())))
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
        let aside = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect::<Vec<_>>();
        assert!(aside.iter().any(|name| name.starts_with("settings.json.corrupt-")), "{aside:?}");

        call(&window, "save_settings", json!({"settings": quiet_settings(4321)})).unwrap();
        let loaded = crate::settings::load(&dir.path().join("settings.json"));
        assert_eq!(loaded.settings.port, 4321);
        assert_eq!(loaded.message, None);
    }

    #[test]
    fn logs_can_be_read_and_exported() {
        let dir = tempfile::tempdir().unwrap();
        let (_app, window) = app(dir.path());
        assert_eq!(call(&window, "get_logs", json!({})).unwrap(), json!([]));
        let path = dir.path().join("out.log");
        call(&window, "export_logs", json!({"path": path.to_str().unwrap()})).unwrap();
        assert!(path.exists());
    }
}

/// An output type as the front end names it ("Vibrate", the v4 spelling).
fn output_type(name: &str) -> Result<plugboard_protocol::model::OutputType> {
    use plugboard_protocol::model::OutputType::*;
    [Vibrate, Rotate, Oscillate, Constrict, Inflate, Temperature, Led, Spray, Position, HwPositionWithDuration]
        .into_iter()
        .find(|kind| kind.v4_name() == name)
        .ok_or_else(|| Error::new(format!("'{name}' is not an output type.")))
}
