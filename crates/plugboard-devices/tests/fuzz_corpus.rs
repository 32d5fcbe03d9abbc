//! The `device_config` and `user_config` fuzz corpora (`fuzz/corpus/<target>/`), replayed:
//! every input the fuzzer kept, and every input that once crashed it
//! (`fuzz/regressions/<target>/`), goes through the target's own checks.

#[path = "../../../fuzz/checks/device_config.rs"]
mod device_config;
#[path = "../../../fuzz/replay.rs"]
mod replay;
#[path = "../../../fuzz/checks/user_config.rs"]
mod user_config;

#[test]
fn device_config_corpus() {
    replay::replay(env!("CARGO_MANIFEST_DIR"), "device_config", device_config::check);
}

#[test]
fn user_config_corpus() {
    replay::replay(env!("CARGO_MANIFEST_DIR"), "user_config", user_config::check);
}
