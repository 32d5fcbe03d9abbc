//! The Plugboard engine. The websocket server and sessions arrive with the engine work
//! (issue 3); the crate exists now so the workspace has its final shape.

/// The name the engine announces in ServerInfo unless told otherwise.
pub const DEFAULT_SERVER_NAME: &str = "Plugboard";

/// The conventional Buttplug websocket port that games connect to.
pub const DEFAULT_WEBSOCKET_PORT: u16 = 12345;
