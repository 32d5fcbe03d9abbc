//! The `device_config` and `user_config` fuzz corpora (`fuzz/corpus/<target>/`), replayed:
//! every input the fuzzer kept, and every input that once crashed it
//! (`fuzz/regressions/<target>/`), goes through the target's own checks.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/checks/device_config.rs"]
mod device_config;
#[path = "../../../fuzz/checks/user_config.rs"]
mod user_config;

/// Runs `check` on every file of the target's corpus and of its crash regressions
/// (`fuzz/regressions/<target>/`, kept apart so that minimising the corpus never drops one);
/// names the files whose check panicked.
fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let corpus = fuzz.join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap_or_else(|error| panic!("{}: {error}", corpus.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    assert!(files.len() >= 10, "{}: only {} inputs", corpus.display(), files.len());
    if let Ok(regressions) = std::fs::read_dir(fuzz.join("regressions").join(target)) {
        files.extend(regressions.map(|entry| entry.expect("regression entry").path()));
    }
    files.sort();
    let failed: Vec<String> = files
        .iter()
        .filter(|file| {
            let data = std::fs::read(file).expect("corpus file");
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{} of {} inputs failed: {failed:#?}", failed.len(), files.len());
}

#[test]
fn device_config_corpus() {
    replay("device_config", device_config::check);
}

#[test]
fn user_config_corpus() {
    replay("user_config", user_config::check);
}
