//! The Windows phase: `plugboard-engine.exe`, the engine built for `x86_64-pc-windows-gnu`,
//! runs under Wine and the official clients on this machine drive it, through the very checks
//! the Linux build passes (the scenario functions of rust_v3.rs, rust_v4.rs, js.rs and
//! python.rs, pointed at an [`EngineProcess`]). Then what only a process shows: simulated toys on
//! the device websocket, Ctrl+C stopping every output, and the user config written to
//! `%APPDATA%\plugboard` and read back after a restart.
//!
//! Every test here is ignored in a plain `cargo test`: scripts/test-windows.sh builds the
//! engine for Windows, prepares a Wine prefix (with the test-only bcryptprimitives.dll stand-in
//! that Wine 8 needs, tests/windows/bcryptprimitives.c) and runs them. `clients` is the smoke
//! part `make test` runs; `engine` the rest (`make test-windows` runs both).

use std::path::Path;

use plugboard_devices::virtual_device::VirtualKind;
use plugboard_e2e::engine_process::{EngineProcess, Program};

/// Starts `plugboard-engine.exe` under Wine with these virtual devices (indexes 0, 1, ... in
/// order), further flags, and a user config of its own in `dir`, so that tests running side by
/// side share nothing but the Wine prefix.
async fn windows_engine(dir: &Path, kinds: &[VirtualKind], flags: &[&str]) -> EngineProcess {
    let program = Program::windows_from_env();
    let mut args: Vec<String> = flags.iter().map(|flag| flag.to_string()).collect();
    args.push("--user-device-config-file".into());
    args.push(program.path_arg(&dir.join("user-device-config.json")));
    for kind in kinds {
        args.push("--virtual-device".into());
        args.push(kind.cli_name().into());
    }
    EngineProcess::start(&program, &args).await
}

/// The official clients of every spec version against the Windows engine.
mod clients {
    use plugboard_devices::virtual_device::VirtualKind;
    use plugboard_protocol::model::OutputType;
    use plugboard_protocol::SpecVersion;
    use serde_json::json;

    use super::windows_engine;
    use crate::client_scripts::VIBRATE_DEVICES;
    use crate::faults::Client;

    /// Runs `scenario` against a fresh Windows engine with `kinds`, then stops the engine with
    /// Ctrl+C and checks that it exits cleanly.
    macro_rules! against_windows_engine {
        ($kinds:expr, $flags:expr, |$engine:ident| $scenario:expr) => {{
            let dir = tempfile::tempdir().unwrap();
            let $engine = windows_engine(dir.path(), &$kinds, &$flags).await;
            $scenario;
            $engine.stop().await;
        }};
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn rust_v3_client_commands_every_kind_of_device() {
        against_windows_engine!(crate::every_kind::ALL_KINDS, [], |engine| {
            crate::rust_v3::commands_every_kind_of_device(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn rust_v3_client_over_localhost_disconnect_stops_its_outputs() {
        against_windows_engine!([VirtualKind::Vibrator], [], |engine| {
            crate::rust_v3::disconnect_stops_its_outputs(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn rust_v3_client_is_refused_by_a_v2_server_with_a_handshake_error() {
        against_windows_engine!([VirtualKind::Vibrator], ["--max-spec-version", "2"], |engine| {
            crate::rust_v3::refused_by_a_v2_server(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn rust_v3_client_dropped_abruptly_has_its_outputs_stopped() {
        against_windows_engine!([VirtualKind::Vibrator, VirtualKind::DualVibrator], [], |engine| {
            crate::rust_v3::dropped_abruptly_has_its_outputs_stopped(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn rust_v4_client_commands_every_kind_of_device() {
        against_windows_engine!(crate::every_kind::ALL_KINDS, [], |engine| {
            crate::rust_v4::commands_every_kind_of_device(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn rust_v3_and_v4_clients_share_the_engine_and_stop_only_their_own_outputs() {
        against_windows_engine!([VirtualKind::Vibrator, VirtualKind::LovenseMax], [], |engine| {
            crate::rust_v4::v3_and_v4_clients_stop_only_their_own_outputs(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn js_v1_buttplug_0_13_connects_vibrates_stops_and_disconnects() {
        against_windows_engine!(VIBRATE_DEVICES, [], |engine| crate::js::v1_vibrates_stops_and_disconnects(&engine)
            .await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn js_v3_buttplug_3_2_vibrates_reads_the_battery_and_disconnects() {
        against_windows_engine!(VIBRATE_DEVICES, [], |engine| {
            crate::js::v3_vibrates_reads_the_battery_and_disconnects(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn js_v4_buttplug_5_0_vibrates_reads_the_battery_and_disconnects() {
        against_windows_engine!(VIBRATE_DEVICES, [], |engine| {
            crate::js::v4_vibrates_reads_the_battery_and_disconnects(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn js_v3_clean_disconnect_stop_all_devices_spares_other_clients() {
        against_windows_engine!([VirtualKind::Vibrator, VirtualKind::Vibrator], [], |engine| {
            crate::js::clean_disconnect_stops_only_its_own_device(
                &engine,
                "v3.mjs",
                "plugboard-e2e js v3",
                SpecVersion::V3,
                "StopAllDevices",
            )
            .await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn python_buttplug_1_0_spec_v4_vibrates_reads_the_battery_and_disconnects() {
        against_windows_engine!(VIBRATE_DEVICES, [], |engine| {
            crate::python::v4_vibrates_reads_the_battery_and_disconnects(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn python_buttplug_py_0_2_spec_v2_vibrates_reads_the_battery_and_disconnects() {
        against_windows_engine!(VIBRATE_DEVICES, [], |engine| {
            crate::python::legacy_v2_vibrates_reads_the_battery_and_disconnects(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn python_buttplug_py_0_2_spec_v3_vibrates_reads_the_battery_and_disconnects() {
        against_windows_engine!(VIBRATE_DEVICES, [], |engine| {
            crate::python::legacy_v3_vibrates_reads_the_battery_and_disconnects(&engine).await
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn python_buttplug_py_disconnect_without_stop_stops_only_its_own_device() {
        against_windows_engine!([VirtualKind::Vibrator, VirtualKind::Vibrator], [], |engine| {
            crate::python::legacy_disconnect_stops_only_its_own_device(&engine).await
        });
    }

    /// Spec v0 has no official client left; its handshake and its one command, spoken raw.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn spec_v0_client_handshakes_and_vibrates() {
        use plugboard_e2e::{wait_for_client_named, wait_for_level, EngineUnderTest};
        against_windows_engine!([VirtualKind::Vibrator], [], |engine| {
            let mut client = Client::connect(engine.port(), "v0 game", 0).await;
            assert_eq!(wait_for_client_named(&engine, "v0 game").await.spec_version, Some(SpecVersion::V0));
            let reply = client.request("SingleMotorVibrateCmd", json!({"DeviceIndex": 0, "Speed": 0.5})).await;
            assert!(reply.get("Ok").is_some(), "{reply}\n{}", engine.context());
            wait_for_level(&engine, 0, 0, OutputType::Vibrate, 10).await;
            let reply = client.request("StopAllDevices", json!({})).await;
            assert!(reply.get("Ok").is_some(), "{reply}");
            wait_for_level(&engine, 0, 0, OutputType::Vibrate, 0).await;
        });
    }
}

/// What only the engine as a process shows: toys on the device websocket, Ctrl+C, the user
/// config in `%APPDATA%` across a restart.
mod engine {

    use plugboard_e2e::engine_process::{EngineProcess, Program};
    use plugboard_e2e::{EngineUnderTest, WithContext};
    use serde_json::{json, Value};

    use crate::faults::{Client, FAULT_WAIT};
    use crate::toy::{Script, Toy};

    /// The device-websocket flags on a free port; returns them and the port.
    fn device_websocket_flags() -> (Vec<String>, u16) {
        let port = plugboard_e2e::unused_port();
        let flags = vec![
            "--use-device-websocket-server".to_owned(),
            "--device-websocket-server-port".to_owned(),
            port.to_string(),
        ];
        (flags, port)
    }

    /// A user config binding the simulated Lovense's identifier, plus `devices`.
    fn user_config(devices: Value) -> String {
        json!({"format": "plugboard-user-device-config", "version": 1,
               "websocket_devices": [{"identifier": "FakeLVS", "protocol": "lovense"}],
               "devices": devices})
        .to_string()
    }

    fn added_index(event: &Value) -> u64 {
        event["DeviceAdded"]["DeviceIndex"].as_u64().unwrap_or_else(|| panic!("DeviceAdded: {event}"))
    }

    fn v4_output(index: u64, value: u32) -> Value {
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": value}}})
    }

    /// A simulated Lovense Hush dials in; a v4 client drives it byte for byte, reads its battery,
    /// sees it vanish and come back at its index; Ctrl+C stops it before the engine exits.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn a_simulated_toy_on_the_device_websocket_is_driven_and_stopped_by_ctrl_c() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("user-device-config.json"), user_config(json!({}))).unwrap();
        let (flags, toy_port) = device_websocket_flags();
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let engine = super::windows_engine(dir.path(), &[], &flags).await;

        let mut client = Client::connect(engine.port(), "game", 4).await;
        let mut toy = Toy::connect(toy_port, "FakeLVS", "AABBCCDDEE01", Script::hush()).await;
        let list = client.event().await;
        let devices = list["DeviceList"]["Devices"].as_object().unwrap_or_else(|| panic!("DeviceList: {list}"));
        assert_eq!(devices.len(), 1, "{list}\n{}", engine.context());
        let (index, device) = devices.iter().next().unwrap();
        assert_eq!(device["DeviceName"], "Lovense Hush", "{list}");
        let index: u64 = index.parse().unwrap();

        assert!(client.request("OutputCmd", v4_output(index, 5)).await.get("Ok").is_some());
        assert_eq!(toy.next(FAULT_WAIT).await, "Vibrate:5;", "{}", engine.context());
        let features = device["DeviceFeatures"].as_object().unwrap_or_else(|| panic!("features: {device}"));
        let battery_feature: u64 = features
            .iter()
            .find(|(_, feature)| feature["Input"].get("Battery").is_some())
            .and_then(|(index, _)| index.parse().ok())
            .unwrap_or_else(|| panic!("a feature with a battery: {device}"));
        let battery = client
            .request(
                "InputCmd",
                json!({"DeviceIndex": index, "FeatureIndex": battery_feature, "Type": "Battery", "Command": "Read"}),
            )
            .await;
        assert_eq!(battery["InputReading"]["Reading"]["Battery"]["Value"], 73, "{battery}\n{}", engine.context());
        assert!(client.request("StopCmd", json!({"DeviceIndex": index})).await.get("Ok").is_some());
        assert_eq!(toy.next(FAULT_WAIT).await, "Vibrate:0;");

        // The toy drops off without a Close frame, and comes back at the same index.
        toy.vanish();
        let list = client.event().await;
        assert_eq!(list, json!({"DeviceList": {"Id": 0, "Devices": {}}}), "{}", engine.context());
        let mut toy = Toy::connect(toy_port, "FakeLVS", "AABBCCDDEE01", Script::hush()).await;
        let list = client.event().await;
        assert!(list["DeviceList"]["Devices"][index.to_string()].is_object(), "{list}");
        assert!(client.request("OutputCmd", v4_output(index, 20)).await.get("Ok").is_some());
        assert_eq!(toy.next(FAULT_WAIT).await, "Vibrate:20;");

        // Ctrl+C: every output stops before the engine exits (and it exits cleanly).
        engine.stop().await;
        assert_eq!(toy.next(FAULT_WAIT).await, "Vibrate:0;");
    }

    /// The engine finds Plugboard's folder under `%APPDATA%` on its own: the toys' indexes and
    /// the user's own settings are written there, survive a crash (the process killed outright)
    /// and are read back by the next start.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "runs plugboard-engine.exe under Wine: scripts/test-windows.sh"]
    async fn the_user_config_in_appdata_is_written_and_read_back_after_a_restart() {
        let program = Program::windows_from_env();
        let appdata = program.wine_appdata().expect("the Wine prefix has an AppData\\Roaming folder");
        let folder = appdata.join("plugboard");
        let file = folder.join("user-device-config.json");
        // Only this test uses the default location (the others name a file of their own).
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(&file, user_config(json!({"KEEP01": {"display_name": "Bedroom", "index": 7}}))).unwrap();

        let start = || async {
            let (flags, toy_port) = device_websocket_flags();
            (EngineProcess::start(&program, &flags).await, toy_port)
        };
        let (engine, toy_port) = start().await;
        assert!(
            engine.log().iter().any(|line| line.contains("device configuration loaded")
                && line.contains(r"AppData\\Roaming\\plugboard\\user-device-config.json")),
            "the engine reads its user config from %APPDATA%\\plugboard\n{}",
            engine.context()
        );
        let mut client = Client::connect(engine.port(), "game", 3).await;
        let _keep = Toy::connect(toy_port, "FakeLVS", "KEEP01", Script::hush()).await;
        let added = client.event().await;
        assert_eq!(added_index(&added), 7, "{added}\n{}", engine.context());
        assert_eq!(added["DeviceAdded"]["DeviceDisplayName"], "Bedroom", "{added}");
        let _first = Toy::connect(toy_port, "FakeLVS", "NEW001", Script::hush()).await;
        let first = added_index(&client.event().await);
        let _second = Toy::connect(toy_port, "FakeLVS", "NEW002", Script::hush()).await;
        let second = added_index(&client.event().await);
        assert_ne!(first, second);

        // The new toys' indexes reach the file: then the engine is killed outright.
        let saved_index = |address: &str| -> Option<u64> {
            let text = std::fs::read_to_string(&file).ok()?;
            let saved: Value = serde_json::from_str(&text).ok()?;
            saved["devices"][address]["index"].as_u64()
        };
        plugboard_e2e::wait_until(
            WithContext(format!("the new indexes saved to {}", file.display()), || engine.context()),
            FAULT_WAIT,
            async || (saved_index("NEW001"), saved_index("NEW002")),
            |saved| *saved == (Some(first), Some(second)),
        )
        .await;
        engine.kill().await;

        // Up again: the second toy dials in first, and still gets its own index, not the
        // first free one; the user's name and index are still there.
        let (engine, toy_port) = start().await;
        let mut client = Client::connect(engine.port(), "game", 3).await;
        let _second = Toy::connect(toy_port, "FakeLVS", "NEW002", Script::hush()).await;
        assert_eq!(added_index(&client.event().await), second, "{}", engine.context());
        let _keep = Toy::connect(toy_port, "FakeLVS", "KEEP01", Script::hush()).await;
        let added = client.event().await;
        assert_eq!((added_index(&added), &added["DeviceAdded"]["DeviceDisplayName"]), (7, &json!("Bedroom")));
        engine.stop().await;
        let names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains(".corrupt-")), "nothing was moved aside: {names:?}");
    }
}
