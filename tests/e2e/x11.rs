//! What a desktop's window manager and other applications do, for the window tests' bare X
//! displays (which have none): finding an app's window by its title, asking it to close, as its
//! close button does, and another application's window that has the keyboard focus.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt, CreateWindowAux, EventMask, InputFocus, MapState, PropMode, Window,
    WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;
use x11rb::COPY_DEPTH_FROM_PARENT;

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

/// Another application's window: a plain top-level window, mapped and given the keyboard
/// focus. It stays while the returned connection lives.
pub(crate) fn focused_window(display: &str) -> (RustConnection, Window) {
    let connection = connect(display);
    let screen = &connection.setup().roots[0];
    let (root, visual) = (screen.root, screen.root_visual);
    let window = connection.generate_id().unwrap();
    let attributes = CreateWindowAux::new().background_pixel(screen.black_pixel);
    connection
        .create_window(
            COPY_DEPTH_FROM_PARENT,
            window,
            root,
            0,
            0,
            640,
            480,
            0,
            WindowClass::INPUT_OUTPUT,
            visual,
            &attributes,
        )
        .unwrap();
    connection
        .change_property8(PropMode::REPLACE, window, AtomEnum::WM_NAME, AtomEnum::STRING, b"A fullscreen game")
        .unwrap();
    connection.map_window(window).unwrap();
    connection.sync().unwrap();
    connection.set_input_focus(InputFocus::POINTER_ROOT, window, x11rb::CURRENT_TIME).unwrap();
    connection.sync().unwrap();
    (connection, window)
}

/// The window that has the keyboard focus.
pub(crate) fn input_focus(display: &str) -> Window {
    connect(display).get_input_focus().unwrap().reply().unwrap().focus
}

/// Gives `window` the keyboard focus, as a window manager does for a dialog it shows.
pub(crate) fn give_focus(display: &str, window: Window) {
    let connection = connect(display);
    connection.set_input_focus(InputFocus::POINTER_ROOT, window, x11rb::CURRENT_TIME).unwrap();
    connection.sync().unwrap();
}
