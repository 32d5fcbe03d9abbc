//! "Check for device updates" against a local HTTP server: a newer database is kept and used
//! from the engine's next start, the file it replaces is kept, and a corrupt file, a file cut
//! short (in its text, or in the middle of the transfer), an error page and a server that
//! cannot be reached each leave the database in use as it was, with an error that says what
//! happened and what to do. Then the same through `plugboard-engine --update-device-config`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use plugboard_e2e::engine_process::native_engine;
use plugboard_server::database_update::{database_in_use, previous_path, update_device_database, Limits, UpdateError};
use plugboard_server::{Engine, EngineConfig};

use crate::file_server::{closed_port, database_with_lovense_models, Answer, FileServer};
use crate::toy::{Reply, Script, Toy};

/// Short limits: a test server answers at once or never.
fn limits() -> Limits {
    Limits { connect: Duration::from_secs(5), transfer: Duration::from_secs(10), ..Limits::default() }
}

/// The name the database in use at `path` gives a Lovense answering `letters`.
fn lovense_name(path: &Path, letters: &str) -> String {
    let database = database_in_use(Some(path)).expect("a database is always in use");
    database.definition("lovense", Some(letters)).expect("lovense").name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_updates_add_models_keep_the_previous_file_and_survive_bad_downloads() {
    let first = database_with_lovense_models(&[("QQ", "Lovense Test Toy")]);
    let second = database_with_lovense_models(&[("QQ", "Lovense Test Toy"), ("QR", "Lovense Second Test Toy")]);
    let server = FileServer::start([
        ("/first.json", Answer::File(first.clone())),
        ("/second.json", Answer::File(second.clone())),
        ("/corrupt.json", Answer::File("<html><body>Rate limit exceeded</body></html>".into())),
        ("/truncated.json", Answer::File(second[..second.len() / 2].to_owned())),
        ("/cut-off.json", Answer::CutOffInTransfer(second.clone())),
        ("/gone.json", Answer::Status(404)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device-database.json");
    assert_eq!(lovense_name(&path, "QQ"), "Lovense Device", "not known before the update");

    // A newer database: one model added, kept, used.
    let report = update_device_database(&server.url("/first.json"), &path, limits()).await.expect("first update");
    assert_eq!(report.models_added, ["lovense: Lovense Test Toy"]);
    assert!(report.summary().starts_with("1 model added (lovense: Lovense Test Toy)"), "{}", report.summary());
    assert_eq!(report.previous, None, "nothing was replaced");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    assert_eq!(lovense_name(&path, "QQ"), "Lovense Test Toy");

    // Another one: counted against the downloaded one, and the one it replaces is kept.
    let report = update_device_database(&server.url("/second.json"), &path, limits()).await.expect("second update");
    assert_eq!(report.models_added, ["lovense: Lovense Second Test Toy"]);
    assert!(report.summary().starts_with("1 model added"), "{}", report.summary());
    assert_eq!(report.previous.as_deref(), Some(previous_path(&path).as_path()));
    assert_eq!(std::fs::read_to_string(previous_path(&path)).unwrap(), first, "the replaced file is kept");

    // Nothing bad replaces it.
    let unreachable = format!("http://127.0.0.1:{}/db.json", closed_port());
    let cases = [
        (server.url("/corrupt.json"), "not valid JSON"),
        (server.url("/truncated.json"), "not valid JSON"),
        (server.url("/cut-off.json"), "the download broke off"),
        (server.url("/gone.json"), "the server answered 404"),
        (unreachable, "could not be reached"),
    ];
    for (url, what_happened) in cases {
        let error = update_device_database(&url, &path, limits()).await.expect_err(&url);
        let message = error.to_string();
        assert!(message.contains(what_happened), "{url}: {message}");
        assert!(message.contains(&url), "the message names the address: {message}");
        assert!(message.contains("Plugboard keeps using the database it has"), "{message}");
        assert!(message.contains("Check "), "the message says what to do: {message}");
        assert!(matches!(error, UpdateError::Download { .. } | UpdateError::Refused { .. }), "{error:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), second, "{url}: the database in use is untouched");
        assert_eq!(std::fs::read_to_string(previous_path(&path)).unwrap(), first, "{url}: the previous file too");
        assert_eq!(lovense_name(&path, "QR"), "Lovense Second Test Toy", "{url}: still working");
    }

    // The engine's next start uses the downloaded database: a toy only it knows is that model.
    let mut config = EngineConfig::loopback(0);
    config.devices.use_device_websocket_server = true;
    config.devices.device_websocket_port = 0;
    config.devices.downloaded_database_path = Some(path.clone());
    config.devices.own_user_config_path = Some(dir.path().join("user-device-config.json"));
    std::fs::write(
        dir.path().join("user-device-config.json"),
        serde_json::json!({"format": "plugboard-user-device-config", "version": 1,
                           "websocket_devices": [{"identifier": "NewLovense", "protocol": "lovense"}]})
        .to_string(),
    )
    .unwrap();
    let engine = Engine::start(config).await.expect("the engine starts");
    let port = engine.device_websocket_address().expect("device websocket").port();
    let script = Script { device_type: Reply::Text("QR:11:0082059AD3BE;"), ..Script::hush() };
    let _toy = Toy::connect(port, "NewLovense", "NEWTOY01", script).await;
    plugboard_e2e::wait_for_devices(&engine, 1).await;
    assert_eq!(engine.devices()[0].info.name, "Lovense Second Test Toy");
    engine.stop().await;
}

/// `plugboard-engine` with its config directory in `home`.
fn engine_command(home: &Path) -> Command {
    let engine = native_engine();
    assert!(
        engine.is_file(),
        "{} is missing: build it first (cargo build -p plugboard-server --bin plugboard-engine)",
        engine.display()
    );
    let mut command = Command::new(engine);
    command.env("HOME", home).env("XDG_CONFIG_HOME", home.join(".config"));
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_flag_updates_the_database_that_list_devices_and_the_next_start_use() {
    let newer = database_with_lovense_models(&[("QQ", "Lovense Test Toy")]);
    let server = FileServer::start([("/v5.json", Answer::File(newer.clone()))]).await;
    let home = tempfile::tempdir().unwrap();
    let url = server.url("/v5.json");
    let output = tokio::task::spawn_blocking({
        let mut command = engine_command(home.path());
        command.args(["--update-device-config", &url]);
        move || command.output().expect("plugboard-engine runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{}", stdout, String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(&format!("Device database downloaded from {url}: 1 model added")), "{stdout}");
    let stored = home.path().join(".config/plugboard/device-database.json");
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), newer);
    assert!(stdout.contains("the engine uses it from its next start"), "{stdout}");

    let listed = engine_command(home.path()).arg("--list-devices").output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.lines().any(|line| line.starts_with("lovense\tLovense Test Toy\t")), "{listed}");

    let unreachable = format!("http://127.0.0.1:{}/v5.json", closed_port());
    let failed = engine_command(home.path()).args(["--update-device-config", &unreachable]).output().unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(stderr.contains("could not be reached") && stderr.contains("keeps using the database it has"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), newer, "the stored database is untouched");
}
