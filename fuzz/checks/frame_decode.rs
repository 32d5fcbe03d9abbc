//! The `frame_decode` fuzz target's property, shared with the corpus replay test in
//! plugboard-protocol (`tests/fuzz_corpus.rs` includes this file).
//!
//! Any text, cut into messages and decoded for every spec version, as a client message, as a
//! server message and as a handshake: nothing panics, every error names the Id the message
//! carries, and whatever decodes encodes to a frame that decodes back to the same messages.

use plugboard_protocol::frame::{decode_client_frame, decode_server_frame, encode_frame, encode_message, split_frame};
use plugboard_protocol::messages::ClientMessage;
use plugboard_protocol::{DecodeError, SpecVersion};

/// Runs every check on one input. Panics when a property does not hold.
pub fn check(data: &[u8]) {
    // A websocket text frame is UTF-8 (the transport refuses anything else); lossy decoding
    // still lets every mutation reach the parser.
    let text = String::from_utf8_lossy(data);
    for raw in split_frame(&text) {
        let raw = match raw {
            Ok(raw) => raw,
            Err(error) => {
                assert_eq!(error.id, 0, "a frame-level error has no Id to answer: {error:?}");
                render(&error);
                continue;
            }
        };
        let id = raw.id();
        match raw.decode_handshake() {
            Ok(rsi) => {
                assert_ne!(rsi.id, 0, "a handshake with Id 0 was accepted");
                assert_eq!(rsi.id, id);
                let _ = rsi.requested_version();
                for max in SpecVersion::ALL {
                    if let Ok(version) = rsi.negotiate(max) {
                        assert!(version <= max, "negotiated {version} beyond the server's {max}");
                    }
                }
                let message = ClientMessage::RequestServerInfo(rsi.clone());
                let again = split_frame(&encode_message(&message));
                assert_eq!(again.len(), 1);
                let again = again.into_iter().next().unwrap().expect("an encoded handshake splits");
                assert_eq!(again.decode_handshake().expect("an encoded handshake decodes"), rsi);
            }
            Err(error) => {
                assert_eq!(error.id, id, "handshake error Id");
                render(&error);
            }
        }
        for version in SpecVersion::ALL {
            match raw.decode_client(version) {
                Ok(message) => {
                    assert_eq!(message.id(), id, "{version}: decoded Id differs from the message's Id");
                    assert_ne!(message.id(), 0, "{version}: a message with Id 0 was accepted");
                    assert_eq!(message.name(), raw.name);
                    let text = encode_message(&message);
                    let again: Vec<_> =
                        decode_client_frame(&text, version).into_iter().map(|r| r.map_err(|e| e.to_string())).collect();
                    assert_eq!(again, vec![Ok(message)], "{version}: client message round trip through {text}");
                }
                Err(error) => {
                    assert_eq!(error.id, id, "{version}: client error Id for {}", raw.body);
                    render(&error);
                }
            }
            match raw.decode_server(version) {
                Ok(message) => {
                    assert_eq!(message.name(), raw.name);
                    let text = encode_message(&message);
                    let again: Vec<_> =
                        decode_server_frame(&text, version).into_iter().map(|r| r.map_err(|e| e.to_string())).collect();
                    assert_eq!(again, vec![Ok(message)], "{version}: server message round trip through {text}");
                }
                Err(error) => {
                    assert_eq!(error.id, id, "{version}: server error Id for {}", raw.body);
                    render(&error);
                }
            }
        }
    }
    // A whole frame that decodes cleanly re-encodes as one frame that decodes the same.
    for version in SpecVersion::ALL {
        let decoded: Result<Vec<_>, _> = decode_client_frame(&text, version).into_iter().collect();
        if let Ok(messages) = decoded {
            let again: Result<Vec<_>, _> = decode_client_frame(&encode_frame(&messages), version).into_iter().collect();
            assert_eq!(again.ok(), Some(messages), "{version}: client frame round trip");
        }
        let decoded: Result<Vec<_>, _> = decode_server_frame(&text, version).into_iter().collect();
        if let Ok(messages) = decoded {
            let again: Result<Vec<_>, _> = decode_server_frame(&encode_frame(&messages), version).into_iter().collect();
            assert_eq!(again.ok(), Some(messages), "{version}: server frame round trip");
        }
    }
}

/// What a session does with a decode error: the Error message it sends and its text.
fn render(error: &DecodeError) {
    let _ = error.to_string();
    let _ = encode_message(&error.to_message());
}
