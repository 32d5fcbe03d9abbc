//! "Check for device updates" from the window, as a user would: the address of the device
//! database in the Devices view points at a local HTTP server; a corrupt file is refused and
//! said so, a newer one adds a model, and the server's next start (Stop, Start) knows the toy.

use std::time::Duration;

use serde_json::json;

use crate::desktop::{AppWindow, Desktop};
use crate::file_server::{database_with_lovense_models, Answer, FileServer};
use crate::toy::{Reply, Script, Toy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gui_check_for_device_updates_adds_a_model_that_the_next_server_start_uses() {
    let newer = database_with_lovense_models(&[("QQ", "Lovense Test Toy")]);
    let files = FileServer::start([
        ("/corrupt.json", Answer::File("{\"version\": {\"major\": 5, \"minor\": 99}, \"protocols\": {".into())),
        ("/v5.json", Answer::File(newer.clone())),
    ])
    .await;
    let desktop = Desktop::start().await;
    let (port, device_port) = desktop.serve_a_websocket_lovense("FakeLVS");
    let mut settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(desktop.config_dir().join("settings.json")).unwrap()).unwrap();
    settings["deviceDatabaseUrl"] = json!(files.url("/corrupt.json"));
    desktop.write_settings(settings);
    let stored = desktop.config_dir().join("device-database.json");

    let window = AppWindow::open(&desktop).await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;
    window.show_view("devices").await;
    let field = window
        .wait_for("the address from the settings", async || {
            let value =
                window.script("return document.querySelector('#setting-device-database-url').value;", vec![]).await;
            value.as_str().filter(|value| !value.is_empty()).map(str::to_owned)
        })
        .await;
    assert_eq!(field, files.url("/corrupt.json"));

    // A corrupt file: refused, said so, nothing stored.
    window.click("#check-device-updates").await;
    let refused = window.wait_for_text("#device-update-status", "was not used").await;
    assert!(refused.contains("not valid JSON") && refused.contains("keeps using the database it has"), "{refused}");
    assert_eq!(window.attribute("#device-update-status", "data-state").await.as_deref(), Some("problem"));
    assert!(!stored.exists(), "nothing stored");

    // The user points it at a good file: one model added, to be used at the next start.
    window.type_into("#setting-device-database-url", &files.url("/v5.json")).await;
    window.click("#check-device-updates").await;
    let added = window.wait_for_text("#device-update-status", "1 model added").await;
    assert!(added.contains("Lovense Test Toy") && added.contains("Stop and start the server to use it"), "{added}");
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), newer);

    // Stop and start the server: a toy only the new database knows is shown by its model.
    window.show_view("server").await;
    window.click("#server-toggle").await;
    window
        .wait_for("the server to stop", async || {
            (window.attribute("#top-status", "data-state").await.as_deref() == Some("stopped")).then_some(())
        })
        .await;
    window.click("#server-toggle").await;
    window.wait_for_text("#server-url", &format!("ws://127.0.0.1:{port}")).await;
    let script = Script { device_type: Reply::Text("QQ:11:0082059AD3BF;"), ..Script::hush() };
    let mut toy = Toy::connect(device_port, "FakeLVS", "NEWMODEL01", script).await;
    assert!(toy.taken_on(Duration::from_secs(10)).await, "the server took the toy on");
    window.show_view("devices").await;
    window.shown("#devices [data-device-name=\"Lovense Test Toy\"]").await;
    window.close().await;
}
