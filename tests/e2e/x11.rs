//! What a desktop's window manager does, for the window tests' bare X displays (which have
//! none): finding an app's window by its title, and asking it to close, as its close button
//! does.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ClientMessageEvent, ConnectionExt, EventMask, MapState, Window};
use x11rb::rust_connection::RustConnection;

fn connect(display: &str) -> RustConnection {
    x11rb::connect(Some(display)).expect("connect to the X display").0
}

/// The top-level windows on screen whose title is exactly `title`. Without a window manager,
/// top-level windows are the root window's children.
pub(crate) fn shown_windows(display: &str, title: &str) -> Vec<Window> {
    let connection = connect(display);
    let root = connection.setup().roots[0].root;
    let children = connection.query_tree(root).unwrap().reply().unwrap().children;
    children
        .into_iter()
        .filter(|&window| {
            let viewable = connection.get_window_attributes(window).unwrap().reply().unwrap().map_state;
            let name = connection.get_property(false, window, AtomEnum::WM_NAME, AtomEnum::STRING, 0, 256);
            let name = name.unwrap().reply().map(|reply| reply.value).unwrap_or_default();
            viewable == MapState::VIEWABLE && name == title.as_bytes()
        })
        .collect()
}

/// Sends the window a WM_DELETE_WINDOW request (ICCCM): the app decides what closing means.
pub(crate) fn ask_to_close(display: &str, window: Window) {
    let connection = connect(display);
    let atom = |name: &str| connection.intern_atom(false, name.as_bytes()).unwrap().reply().unwrap().atom;
    let (protocols, delete) = (atom("WM_PROTOCOLS"), atom("WM_DELETE_WINDOW"));
    let event = ClientMessageEvent::new(32, window, protocols, [delete, x11rb::CURRENT_TIME, 0, 0, 0]);
    connection.send_event(false, window, EventMask::NO_EVENT, event).unwrap();
    // A round trip before the connection closes: the server may drop requests of a client
    // that leaves before it read them.
    connection.get_input_focus().unwrap().reply().unwrap();
}
