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
        StartError::LovensePortInUse { port, .. } => side_port_in_use(*port, |by, free| {
            format!(
                "Port {port} for games made for Lovense is already in use{by}, probably by Lovense Remote's Game Mode. Close that program, or change the Lovense port under Server{free} and type that port into the game."
            )
        }),
        StartError::RestPortInUse { port, .. } => side_port_in_use(*port, |by, free| {
            format!(
                "Port {port} for the REST API is already in use{by}. Close that program, or change the REST API port under Server{free}."
            )
        }),
        other => ServerError {
            kind: ServerErrorKind::Other,
            message: other.to_string(),
            port: None,
            held_by: None,
            next_free_port: None,
        },
    }
}

/// A port of one of the optional listeners (the Lovense API, the REST API) held by another
/// program. `sentence` gets " by <holder>" and " (port N is free)", each empty when unknown, and
/// says what the port is for and where to change it. No port is offered as a one-click fix:
/// these ports are typed into games and scripts, so the user chooses the new one.
fn side_port_in_use(port: u16, sentence: impl FnOnce(&str, &str) -> String) -> ServerError {
    let held_by = ports::holder(port);
    let by = held_by.as_ref().map(|h| format!(" by {h}")).unwrap_or_default();
    let free = ports::next_free(port).map(|p| format!(" (port {p} is free)")).unwrap_or_default();
    ServerError {
        kind: ServerErrorKind::Other,
        message: sentence(&by, &free),
        port: Some(port),
        held_by,
        next_free_port: None,
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

    #[test]
    fn the_optional_listeners_say_which_port_and_where_to_change_it() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = held.local_addr().unwrap().port();
        let address = "127.0.0.1".parse().unwrap();
        let lovense = describe_start_error(&StartError::LovensePortInUse {
            address,
            port,
            flag: "--lovense-api-port",
            suggestion: port + 1,
        });
        let rest = describe_start_error(&StartError::RestPortInUse { address, port, suggestion: port + 1 });
        for (described, service) in [(&lovense, "for games made for Lovense"), (&rest, "for the REST API")] {
            assert_eq!(
                (described.kind, described.port, described.next_free_port),
                (ServerErrorKind::Other, Some(port), None)
            );
            assert!(
                described.message.starts_with(&format!("Port {port} {service} is already in use")),
                "{}",
                described.message
            );
            assert!(described.message.contains("is free)"), "a free port is named: {}", described.message);
        }
    }
}
