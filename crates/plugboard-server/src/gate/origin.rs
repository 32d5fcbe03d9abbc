//! Origins as the gate compares them, and the websocket upgrade's refusal. Browsers send the
//! Origin of the web page that opens a websocket or sends a request; native apps send none.

use tokio_tungstenite::tungstenite::handshake::server::ErrorResponse;
use tokio_tungstenite::tungstenite::http::StatusCode;

/// The form Origins are compared in: lower case, no trailing slash, no default port
/// (`HTTPS://Example.com:443/` is `https://example.com`).
pub fn normalize(origin: &str) -> String {
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

/// The HTTP 403 a refused browser client gets instead of the websocket upgrade.
pub(crate) fn refusal(origin: &str) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(format!(
        "Plugboard does not accept connections from web pages at {origin}. To let this page connect, add \
         its Origin to --allowed-origins.\n"
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
}
