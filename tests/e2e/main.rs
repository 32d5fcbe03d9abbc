//! End-to-end tests. One test binary for the whole suite keeps link time down.

mod raw;

#[test]
fn engine_defaults_match_the_buttplug_convention() {
    assert_eq!(plugboard_server::DEFAULT_WEBSOCKET_PORT, 12345);
    assert_eq!(plugboard_server::DEFAULT_SERVER_NAME, "Plugboard");
}
