//! The `frame_decode` fuzz corpus (`fuzz/corpus/frame_decode/`), replayed: every input the
//! fuzzer kept, and every input that once crashed it (`fuzz/regressions/frame_decode/`, if
//! any), goes through the target's own checks.

#[path = "../../../fuzz/checks/frame_decode.rs"]
mod frame_decode;
#[path = "../../../fuzz/replay.rs"]
mod replay;

#[test]
fn frame_decode_corpus() {
    replay::replay(env!("CARGO_MANIFEST_DIR"), "frame_decode", frame_decode::check);
}
