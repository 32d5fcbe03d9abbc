//! The Plugboard desktop app: see `plugboard_app::run`.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    plugboard_app::run()
}
