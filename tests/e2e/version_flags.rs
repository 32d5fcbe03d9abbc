//! `--version` and `--server-version`: what scripts that know intiface-engine ask first.

use std::process::Command;

use plugboard_e2e::engine_process::native_engine;

/// Runs the built engine with `flag` and returns what it printed, after checking it exited
/// cleanly without starting a server.
fn print(flag: &str) -> String {
    let engine = native_engine();
    assert!(
        engine.is_file(),
        "{} is missing: build it first (cargo build -p plugboard-server --bin plugboard-engine)",
        engine.display()
    );
    let output = Command::new(&engine).arg(flag).output().expect("run plugboard-engine");
    assert!(
        output.status.success(),
        "{flag} exited with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn version_prints_a_banner_with_name_version_spec_versions_and_platform() {
    let banner = print("--version");
    let lines: Vec<&str> = banner.lines().collect();
    assert_eq!(lines[0], format!("plugboard-engine {}", plugboard_server_version()), "{banner}");
    assert!(banner.contains("Buttplug spec versions served: v0 to v4"), "{banner}");
    assert!(banner.contains(&format!("Platform: {} {}", std::env::consts::OS, std::env::consts::ARCH)), "{banner}");
}

#[test]
fn server_version_prints_the_bare_version() {
    assert_eq!(print("--server-version"), format!("{}\n", plugboard_server_version()));
}

#[test]
fn help_lists_both_version_flags() {
    let help = print("--help");
    assert!(help.contains("--version"), "{help}");
    assert!(help.contains("--server-version"), "{help}");
}

/// The workspace's version, which the engine is built with too.
fn plugboard_server_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
