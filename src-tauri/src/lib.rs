//! The Plugboard desktop app: a thin Tauri shell over `plugboard_server::Engine`, its only
//! door into the engine. No protocol or device logic lives here.
//!
//! Modules, each depending only on those listed before it (a test below keeps it so):
//! [`models`] (the front end's types), [`error`], [`ports`], [`autostart`], [`settings`],
//! [`logs`], [`start_error`], [`snapshot`] (built from the engine's views), [`state`] (every
//! command goes through it), [`window`], [`tray`], [`events`] (engine and state changes become
//! coalesced "snapshot" events, log lines "log" events), and [`commands`].

pub mod autostart;
pub mod commands;
pub mod error;
pub mod events;
pub mod logs;
pub mod models;
pub mod ports;
pub mod settings;
pub mod snapshot;
pub mod start_error;
pub mod state;
pub mod tray;
#[cfg(test)]
mod typescript;
pub mod window;

use std::sync::Arc;

use tauri::{AppHandle, Manager, RunEvent, Runtime};

use crate::logs::LogBuffer;
use crate::state::AppState;

/// Every contract command.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        commands::get_snapshot,
        commands::start_server,
        commands::stop_server,
        commands::save_settings,
        commands::disconnect_client,
        commands::answer_client,
        commands::forget_approved_client,
        commands::forget_web_page,
        commands::set_client_device_access,
        commands::stop_all,
        commands::set_scanning,
        commands::add_virtual_device,
        commands::remove_virtual_device,
        commands::set_device_access,
        commands::rename_device,
        commands::set_output_limit,
        commands::forget_device,
        commands::get_logs,
        commands::export_logs,
    ]
}

/// The single-instance plugin uses the D-Bus session bus on Linux and may panic without one.
fn session_bus_available() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| std::path::Path::new(&format!("/run/user/{}/bus", m.uid())).exists())
        .unwrap_or(false)
}

/// Once the app exists: the event publishers, the tray, the window, and the server when the
/// settings say to start it.
fn setup<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    events::spawn_log_forwarder(app.clone(), &state.logs);
    events::spawn_publisher(app.clone());
    let tray = tray::create(app);
    let tray_available = tray.available;
    state.set_tray(tray);
    if let Some(on) = autostart::current(app) {
        state.reflect_launch_at_login(on);
    }
    let settings = state.settings();
    window::show_at_start(app, settings.start_minimized, tray_available);
    if settings.start_server_on_launch {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(error) = app.state::<AppState>().start_server().await {
                tracing::warn!("the server did not start on launch: {error}");
            }
        });
    }
    window::quit_on_signals(app.clone());
}

pub fn run() {
    let logs = Arc::new(LogBuffer::default());
    logs::init_tracing(logs.clone());
    let state = AppState::new(settings::default_dir(), logs);
    let mut builder = tauri::Builder::default();
    if session_bus_available() {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| window::show_main(app)));
    } else {
        tracing::warn!(
            "no D-Bus session bus: a second launch of Plugboard will not be noticed (run under dbus-run-session)"
        );
    }
    let app = builder
        .plugin(autostart::plugin())
        .manage(state)
        .invoke_handler(handler())
        .on_window_event(window::on_window_event)
        .setup(|app| {
            setup(app.handle());
            Ok(())
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|error| {
            eprintln!("Plugboard could not start its window: {error}");
            std::process::exit(1);
        });
    app.run(|app, event| {
        if let RunEvent::ExitRequested { api, .. } = event {
            if !app.state::<AppState>().is_shut_down() {
                api.prevent_exit();
                window::quit(app);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The modules of this crate (`src/<name>.rs`), each with the modules its code (tests
    /// left out) names after `crate::`.
    fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let sources: BTreeMap<String, String> = std::fs::read_dir(&src)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .map(|path| {
                (path.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(path).unwrap())
            })
            .filter(|(name, _)| name != "lib" && name != "main")
            .collect();
        sources
            .iter()
            .map(|(name, text)| {
                let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
                let used = crate_references(code)
                    .into_iter()
                    .filter(|other| other != name && sources.contains_key(other))
                    .collect();
                (name.clone(), used)
            })
            .collect()
    }

    /// The first path segment after each `crate::` in `code`: `a` of `crate::a::x`, and `b`
    /// and `c` of `crate::{b::{y, z}, c}`.
    fn crate_references(code: &str) -> BTreeSet<String> {
        let identifier = |text: &str| -> String {
            text.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
        };
        let mut found = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let Some(group) = rest.strip_prefix('{') else {
                found.insert(identifier(rest));
                continue;
            };
            let (mut depth, mut item_start) = (0, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.insert(identifier(&group[item_start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(identifier(&group[item_start..i]));
                        item_start = i + 1;
                    }
                    _ => {}
                }
            }
        }
        found
    }

    /// A cycle in `graph`, if it has one, as the modules around it.
    fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
        fn visit<'a>(
            graph: &'a BTreeMap<String, BTreeSet<String>>,
            module: &'a str,
            path: &mut Vec<&'a str>,
            done: &mut BTreeSet<&'a str>,
        ) -> Option<Vec<String>> {
            if let Some(start) = path.iter().position(|m| *m == module) {
                return Some(path[start..].iter().chain([&module]).map(|m| m.to_string()).collect());
            }
            if !done.insert(module) {
                return None;
            }
            path.push(module);
            for next in graph.get(module).into_iter().flatten() {
                if let Some(cycle) = visit(graph, next, path, done) {
                    return Some(cycle);
                }
            }
            path.pop();
            None
        }
        let mut done = BTreeSet::new();
        graph.keys().find_map(|module| visit(graph, module, &mut Vec::new(), &mut done))
    }

    /// Modules depend on each other in one direction only (the order in the crate's doc):
    /// events, state and tray used to need each other, so none could change alone.
    #[test]
    fn no_module_depends_on_itself_through_others() {
        let graph = module_graph();
        assert!(graph["events"].contains("state") && graph["tray"].contains("state"), "the graph is read: {graph:?}");
        assert_eq!(find_cycle(&graph), None, "modules that depend on each other in a cycle; {graph:?}");
    }

    #[test]
    fn crate_references_are_read_in_every_form() {
        let code = "use crate::a::X;\nuse crate::{b::{y, z}, c};\n/// See [`crate::d`].\nlet e = crate::e::f();";
        let names: Vec<String> = crate_references(code).into_iter().collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn a_cycle_is_found_and_named() {
        let graph: BTreeMap<String, BTreeSet<String>> =
            [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec![])]
                .into_iter()
                .map(|(m, uses)| (m.to_owned(), uses.into_iter().map(str::to_owned).collect()))
                .collect();
        assert_eq!(find_cycle(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    }

    /// The window may call Plugboard's own commands (they need no capability entry) and listen
    /// to events; nothing else: no plugin's commands (autostart included), no file system, no
    /// shell. A permission added here must be a deliberate decision.
    #[test]
    fn the_front_end_is_allowed_only_plugboards_commands_and_events() {
        let text = include_str!("../capabilities/default.json");
        let capability: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        assert_eq!(capability["permissions"], serde_json::json!(["core:event:default"]));
        let capabilities = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/capabilities")).unwrap().count();
        assert_eq!(capabilities, 1, "one capability file, the one checked above");
    }
}
