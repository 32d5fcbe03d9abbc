//! `plugboard-engine`: the headless Buttplug server.

fn main() {
    eprintln!(
        "plugboard-engine {}: the websocket server is not built yet; this build only contains \
         the protocol layer. Nothing is listening on port {}.",
        env!("CARGO_PKG_VERSION"),
        plugboard_server::DEFAULT_WEBSOCKET_PORT
    );
    std::process::exit(2);
}
