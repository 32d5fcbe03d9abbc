//! A process killed while it saves the user config leaves the previous file or the new one,
//! whole, never a mix or a stub.
//!
//! The test re-runs its own binary as the writer (the ignored test `writer_child` below): the
//! child saves ever newer configs through the real `store::save_user_config` and says so on
//! stdout after each save; the parent SIGKILLs it at a random moment, then checks the file.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use plugboard_devices::config::store::{save_user_config, USER_CONFIG_FILE_NAME};
use plugboard_devices::config::UserConfig;

const PATH_VAR: &str = "PLUGBOARD_KILL_TEST_PATH";
const START_VAR: &str = "PLUGBOARD_KILL_TEST_START";
/// Kills. About one in fifteen lands inside a save's write-and-rename (the rest of a save is
/// encoding the config and checking the old file), so this many catch about ten saves in the act.
const ROUNDS: usize = 150;
/// Devices per config, each with a long name: a file of a few hundred kilobytes, so that one
/// save takes a moment and most of it is spent writing and syncing.
const DEVICES: usize = 64;

/// Config number `generation`: its number in device "GEN", and many devices whose names
/// change with it, so two generations differ throughout the file and in size.
fn config(generation: u64) -> UserConfig {
    let mut config = UserConfig::default();
    config.device_mut("GEN").display_name = Some(generation.to_string());
    let filler = "x".repeat(4000 + (generation % 7) as usize * 10);
    for device in 0..DEVICES {
        config.device_mut(&format!("DEV-{device:05}")).display_name = Some(format!("{generation}-{device}-{filler}"));
    }
    config
}

/// The generation of a complete, valid config file; panics on anything else.
fn generation_of(bytes: &[u8], round: usize) -> u64 {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|_| panic!("round {round}: the file is not UTF-8"));
    let (config, _) = UserConfig::from_json_str(text, "kill test").unwrap_or_else(|error| {
        panic!("round {round}: the file is not a whole config ({} bytes): {error}", bytes.len())
    });
    let generation: u64 = config.device("GEN").and_then(|d| d.display_name.as_deref()).unwrap().parse().unwrap();
    assert_eq!(
        config,
        self::config(generation),
        "round {round}: generation {generation} is not exactly what was written"
    );
    generation
}

/// Not a test of its own: the writer process of the test below, which sets its environment.
#[test]
#[ignore = "the child process of a_killed_writer_leaves_a_whole_file"]
fn writer_child() {
    let not_alone = || {
        format!(
            "not a test of its own: a_killed_writer_leaves_a_whole_file runs it with {PATH_VAR} and {START_VAR} set"
        )
    };
    let path = std::env::var_os(PATH_VAR).unwrap_or_else(|| panic!("{}", not_alone()));
    let mut generation: u64 =
        std::env::var(START_VAR).ok().and_then(|start| start.parse().ok()).unwrap_or_else(|| panic!("{}", not_alone()));
    loop {
        save_user_config(Path::new(&path), &config(generation)).unwrap();
        println!("saved {generation}");
        generation += 1;
    }
}

/// A small xorshift: random kill moments without a dependency.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn a_killed_writer_leaves_a_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(USER_CONFIG_FILE_NAME);
    save_user_config(&path, &config(0)).unwrap();
    let mut last_on_disk = 0u64;
    let mut seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    let mut killed_mid_write = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["writer_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(PATH_VAR, &path)
            .env(START_VAR, (last_on_disk + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, saves) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut saved = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(generation) = line.strip_prefix("saved ").and_then(|n| n.parse::<u64>().ok()) {
                    saved.push(generation);
                    let _ = lines.send(Instant::now());
                }
            }
            saved
        });
        // Once the child is saving (its first save is done), kill it at a random moment within
        // about two saves: between saves, or inside one (most of the time is spent writing,
        // syncing and renaming). Now and then, kill it before its first save finishes.
        if next_random(&mut seed) % 8 != 0 {
            let first = saves.recv_timeout(Duration::from_secs(30)).expect("the writer saves");
            let second = saves.recv_timeout(Duration::from_secs(30)).expect("the writer saves again");
            let period = second - first;
            let delay = period.mul_f64((next_random(&mut seed) % 2000) as f64 / 1000.0);
            std::thread::sleep(delay);
        }
        child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush, nothing.
        child.wait().unwrap();
        let saved = reader.join().unwrap();

        let on_disk = generation_of(&std::fs::read(&path).unwrap(), round);
        // The child says "saved" after each save returns, so the file holds the last one it
        // reported, or the one after it (saved, killed before saying so).
        let last_reported = saved.last().copied().unwrap_or(last_on_disk);
        assert!(
            on_disk == last_reported || on_disk == last_reported + 1,
            "round {round}: the file holds generation {on_disk}; the child reported {saved:?} after {last_on_disk}"
        );
        // A temporary file left behind means the kill came in the middle of a save.
        let temporaries: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".tmp-"))
            .collect();
        if !temporaries.is_empty() {
            killed_mid_write += 1;
        }
        for temporary in temporaries {
            std::fs::remove_file(temporary).unwrap();
        }
        last_on_disk = on_disk;
    }
    assert!(killed_mid_write > 0, "no kill landed inside a save; the test proved nothing");
    println!("{ROUNDS} kills, {killed_mid_write} of them in the middle of a save; the file was whole every time");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(
        names,
        [std::ffi::OsString::from(USER_CONFIG_FILE_NAME)],
        "nothing was moved aside: no file was ever corrupt"
    );
}
