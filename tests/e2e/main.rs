//! End-to-end tests. One test binary for the whole suite keeps link time down.

mod ble_lovense;
mod client_mode;
mod client_scripts;
mod counted_and_heated;
mod desktop;
mod device_settings;
mod device_updates;
mod device_websocket;
mod every_kind;
mod faults;
mod file_server;
mod gui;
mod gui_controls;
mod gui_device_updates;
mod gui_layout;
mod gui_log_export;
mod gui_lovense;
mod gui_notifications;
mod gui_prompt_timeout;
mod gui_rest;
mod gui_shortcut;
mod gui_shortcut_portal;
mod gui_window;
mod inputs;
mod js;
mod lovense_api;
mod lovense_clients;
mod malformed;
mod mdns;
mod pty;
mod python;
mod raw;
mod raw_limits;
mod repeater;
mod rest_api;
mod rust_v3;
mod rust_v4;
mod security;
mod serial_nextlevelracing;
mod serial_tcode;
mod soak;
mod stops;
mod toy;
mod version_flags;
mod web_pages;
mod websocket_toys;
mod windows;
mod x11;

#[test]
fn engine_defaults_match_the_buttplug_convention() {
    assert_eq!(plugboard_server::DEFAULT_WEBSOCKET_PORT, 12345);
    assert_eq!(plugboard_server::DEFAULT_SERVER_NAME, "Plugboard");
}
