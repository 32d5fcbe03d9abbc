//! The Origin of browser clients. Browsers send the Origin of the web page that opens a
//! websocket, and any page the user visits can try `ws://127.0.0.1:12345`; native apps send no
//! Origin. The engine records the Origin of every client (front ends show it) and, when given
//! a list (`--allowed-origins`), refuses other browser clients at the websocket upgrade with
//! HTTP 403. Clients without an Origin header are never refused here.

use tokio_tungstenite::tungstenite::handshake::server::ErrorResponse;
use tokio_tungstenite::tungstenite::http::StatusCode;

/// The form Origins are compared in: lower case, no trailing slash, no default port
/// (`HTTPS://Example.com:443/` is `https://example.com`).
pub(crate) fn normalize(origin: &str) -> String {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if origin.starts_with(scheme) {
            if let Some(without) = origin.strip_suffix(port) {
                return without.to_owned();
            }
        }
    }
    origin
}

/// Whether a client with this Origin header (`None`: no header) may connect.
pub(crate) fn is_allowed(allowed: Option<&[String]>, origin: Option<&str>) -> bool {
    match (allowed, origin) {
        (None, _) | (_, None) => true,
        (Some(allowed), Some(origin)) => {
            let origin = normalize(origin);
            allowed.iter().any(|entry| normalize(entry) == origin)
        }
    }
}

/// The HTTP 403 a refused browser client gets instead of the websocket upgrade.
pub(crate) fn refusal(origin: &str) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(format!(
        "Plugboard does not accept connections from web pages at {origin}. To let this page connect, add \
         its Origin to the allowed origins (--allowed-origins, or the app's setting).\n"
    )));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_without_case_trailing_slash_or_default_port() {
        assert_eq!(normalize("HTTPS://Example.com:443/"), "https://example.com");
        assert_eq!(normalize("http://example.com:80"), "http://example.com");
        assert_eq!(normalize("http://example.com:8080"), "http://example.com:8080");
        assert_eq!(normalize("https://example.com:80"), "https://example.com:80");
        assert_eq!(normalize("null"), "null");
    }

    #[test]
    fn only_listed_browser_clients_are_allowed_and_native_ones_always() {
        let list = vec!["https://game.example".to_owned(), "http://localhost:5173".to_owned()];
        let allowed = Some(list.as_slice());
        assert!(is_allowed(allowed, Some("https://game.example")));
        assert!(is_allowed(allowed, Some("https://GAME.example:443")));
        assert!(is_allowed(allowed, Some("http://localhost:5173")));
        assert!(!is_allowed(allowed, Some("http://localhost:5174")));
        assert!(!is_allowed(allowed, Some("https://game.example.evil.test")));
        assert!(!is_allowed(allowed, Some("null")));
        assert!(is_allowed(allowed, None), "no Origin header: a native app");
        assert!(is_allowed(None, Some("https://anything.test")), "no list: every Origin");
        assert!(!is_allowed(Some(&[]), Some("https://game.example")), "an empty list: no browser client");
    }
}
