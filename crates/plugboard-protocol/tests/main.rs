//! plugboard-protocol's test suite, one binary.
//!
//! - `golden`: hand-written JSON vectors for every message of every version, both directions.
//! - `device_lists`: the observed device-list shapes of the reference server (docs/architecture.md, Spec versions and conversion).
//! - `conversion`: legacy-to-canonical conversion rules and the float-to-step maths.
//! - `errors`: every kind of bad input gets a typed error with the right code and Id.
//! - `roundtrip`: property tests, encode then decode gives back what went in.
//! - `fuzz_corpus`: the `frame_decode` fuzz corpus replayed through the fuzz target's checks.

mod common;
mod conversion;
mod device_lists;
mod errors;
mod fuzz_corpus;
mod golden;
mod roundtrip;
