//! Safe writes for the files of front ends (the window's settings, exported logs), by the
//! rules the engine keeps for the user device config: a write is atomic (a killed process
//! leaves the old file or the new one, never half of one), and a file that is not valid is
//! moved aside to `<name>.corrupt-<timestamp>` before anything new is written at its path.

pub use plugboard_devices::config::store::{move_aside, replace_file, write_atomic};
