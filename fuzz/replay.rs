//! Replaying a fuzz target's corpus through its checks, for `make test`. Included with
//! `#[path]` by the replay tests of the crates the targets exercise
//! (crates/plugboard-protocol/tests/fuzz_corpus.rs, crates/plugboard-devices/tests/fuzz_corpus.rs),
//! as the checks themselves are.

use std::path::{Path, PathBuf};

/// Runs `check` on every file of the target's corpus and of its crash regressions
/// (`fuzz/regressions/<target>/`, kept apart so that minimising the corpus never drops one);
/// names the files whose check panicked. `crate_dir` is the including crate's
/// `CARGO_MANIFEST_DIR` (crates/<name>).
pub fn replay(crate_dir: &str, target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(crate_dir).join("../../fuzz");
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
