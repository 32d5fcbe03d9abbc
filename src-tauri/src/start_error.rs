//! Why the server did not start, told to the user: for a port in use, who holds it and which
//! port is free instead.

use plugboard_server::StartError;

use crate::models::{ServerError, ServerErrorKind};
use crate::ports;

/// A start error for the user: for a port in use, who holds it and which port is free.
pub fn describe_start_error(error: &StartError) -> ServerError {
    match error {
        StartError::PortInUse { port, suggestion, .. } => {
            let held_by = ports::holder(*port);
            let next_free_port = ports::next_free(*port).or(Some(*suggestion));
            let by = held_by.as_ref().map(|h| format!(" by {h}")).unwrap_or_default();
            let hint = next_free_port.map(|p| format!(", or use port {p}")).unwrap_or_default();
            ServerError {
                kind: ServerErrorKind::PortInUse,
                message: format!(
                    "Port {port} is already in use{by}, probably by another Buttplug server such as Intiface or a second Plugboard. Stop that program{hint}."
                ),
                port: Some(*port),
                held_by,
                next_free_port,
            }
        }
        StartError::LovensePortInUse { port, .. } => {
            let held_by = ports::holder(*port);
            let by = held_by.as_ref().map(|h| format!(" by {h}")).unwrap_or_default();
            let free = ports::next_free(*port).map(|p| format!(" (port {p} is free)")).unwrap_or_default();
            ServerError {
                kind: ServerErrorKind::Other,
                message: format!(
                    "Port {port} for games made for Lovense is already in use{by}, probably by Lovense Remote's Game Mode. Close that program, or change the Lovense port under Server{free} and type that port into the game."
                ),
                port: Some(*port),
                held_by,
                next_free_port: None,
            }
        }
        StartError::RestPortInUse { port, .. } => {
            let held_by = ports::holder(*port);
            let by = held_by.as_ref().map(|h| format!(" by {h}")).unwrap_or_default();
            let free = ports::next_free(*port).map(|p| format!(" (port {p} is free)")).unwrap_or_default();
            ServerError {
                kind: ServerErrorKind::Other,
                message: format!(
                    "Port {port} for the REST API is already in use{by}. Close that program, or change the REST API port under Server{free}."
                ),
                port: Some(*port),
                held_by,
                next_free_port: None,
            }
        }
        other => ServerError {
            kind: ServerErrorKind::Other,
            message: other.to_string(),
            port: None,
            held_by: None,
            next_free_port: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_in_use_names_a_free_port() {
        let error = StartError::PortInUse { address: "127.0.0.1".parse().unwrap(), port: 1, suggestion: 2 };
        let described = describe_start_error(&error);
        assert_eq!(described.kind, ServerErrorKind::PortInUse);
        assert_eq!(described.port, Some(1));
        assert!(described.next_free_port.is_some());
        assert!(described.message.starts_with("Port 1 is already in use"));
    }

    #[test]
    fn other_errors_keep_the_engines_sentence() {
        let described = describe_start_error(&StartError::NoAddress);
        assert_eq!(
            (described.kind, described.message.as_str()),
            (ServerErrorKind::Other, "No address to listen on was given.")
        );
        assert_eq!((described.port, described.next_free_port), (None, None));
    }
}
