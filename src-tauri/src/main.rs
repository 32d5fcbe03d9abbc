//! The Plugboard desktop app. The Tauri window and tray arrive with the desktop work
//! (issue 5); until then this binary explains that and points at the headless engine.

fn main() {
    eprintln!(
        "Plugboard's desktop window is not built yet. Run `plugboard-engine` for the headless \
         server (default ws://127.0.0.1:{}).",
        plugboard_server::DEFAULT_WEBSOCKET_PORT
    );
    std::process::exit(2);
}
