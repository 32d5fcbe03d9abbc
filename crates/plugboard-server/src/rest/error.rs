//! What the REST API answers when it cannot do what was asked: an HTTP status that says what
//! kind of failure it is, and a JSON body a script can read and a person can understand,
//!
//! ```json
//! {"error": {"code": "unknown-device", "message": "Device 7 is not connected. ..."}}
//! ```
//!
//! `code` is stable (scripts match on it; docs/rest-api.md lists every one); `message` is a
//! sentence that says what happened and what to do.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use plugboard_protocol::{Error as ClientError, ErrorCode};
use serde_json::json;

/// One failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    pub status: StatusCode,
    /// A stable, kebab-case name of the failure.
    pub code: &'static str,
    pub message: String,
}

impl RestError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> RestError {
        RestError { status, code, message: message.into() }
    }

    /// The same failure, said another way.
    pub fn with_message(self, message: impl Into<String>) -> RestError {
        RestError { message: message.into(), ..self }
    }

    /// 404: no device at this index (or one the user keeps from the REST API).
    pub fn unknown_device(index: u32) -> RestError {
        RestError::new(
            StatusCode::NOT_FOUND,
            "unknown-device",
            format!("Device {index} is not connected. GET /api/v1/devices lists the devices and their indexes."),
        )
    }

    /// 404: the device has no feature at this index.
    pub fn unknown_feature(device: u32, feature: u32) -> RestError {
        RestError::new(
            StatusCode::NOT_FOUND,
            "unknown-feature",
            format!(
                "Device {device} has no feature {feature}. GET /api/v1/devices/{device}/features lists its features."
            ),
        )
    }

    /// 404: a path that is not one of the API's routes.
    pub fn unknown_route(method: &str, path: &str) -> RestError {
        RestError::new(
            StatusCode::NOT_FOUND,
            "unknown-route",
            format!("{method} {path} is not a route of the REST API. docs/rest-api.md lists them all."),
        )
    }

    /// 405: a route called with the wrong method.
    pub fn wrong_method(method: &str, path: &str) -> RestError {
        RestError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "wrong-method",
            format!("{path} does not take {method}. docs/rest-api.md gives each route's method."),
        )
    }

    /// 400: a path segment that should be a number is not.
    pub fn bad_index(what: &str, text: &str) -> RestError {
        RestError::new(
            StatusCode::BAD_REQUEST,
            "bad-index",
            format!("\"{text}\" is not a {what} index: use a whole number such as 0."),
        )
    }

    /// 400: a level that is not a number from 0.0 to 1.0.
    pub fn bad_level(text: &str) -> RestError {
        RestError::new(
            StatusCode::BAD_REQUEST,
            "bad-level",
            format!("\"{text}\" is not a level: use a number from 0.0 (off) to 1.0 (full), such as 0.5."),
        )
    }

    /// 400: an output type name the API does not know, or one the device or feature lacks.
    pub fn bad_output_type(message: impl Into<String>) -> RestError {
        RestError::new(StatusCode::BAD_REQUEST, "bad-output-type", message)
    }

    /// 400: an input type name the API does not know, or one the feature cannot read.
    pub fn bad_input_type(message: impl Into<String>) -> RestError {
        RestError::new(StatusCode::BAD_REQUEST, "bad-input-type", message)
    }

    /// 400: a `duration` that is missing, not a number, or not taken by the output.
    pub fn bad_duration(message: impl Into<String>) -> RestError {
        RestError::new(StatusCode::BAD_REQUEST, "bad-duration", message)
    }

    /// 403: a request the Origin gate refused (a web page the user has not allowed), with the
    /// gate's sentence.
    pub fn refused_web_page(sentence: &str) -> RestError {
        RestError::new(StatusCode::FORBIDDEN, "web-page-refused", sentence.trim())
    }

    /// 403: a request from another machine the user has not approved.
    pub fn machine_not_approved(address: std::net::IpAddr) -> RestError {
        RestError::new(
            StatusCode::FORBIDDEN,
            "machine-not-approved",
            format!(
                "Plugboard's user has not allowed {address} to use the devices. Connect a Buttplug app from that \
                 machine once and choose \"Always allow\" in Plugboard's window, then try again."
            ),
        )
    }

    /// 409: a stop left outputs running that other clients set; only they, or the user's
    /// STOP ALL, stop those.
    pub fn owned_by_others(message: impl Into<String>) -> RestError {
        RestError::new(StatusCode::CONFLICT, "owned-by-another-client", message)
    }

    /// 429: more requests a second than every client is allowed.
    pub fn too_many_requests(message: impl Into<String>) -> RestError {
        RestError::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", message)
    }

    /// 502: the device did not answer a read.
    pub fn device_failed(message: impl Into<String>) -> RestError {
        RestError::new(StatusCode::BAD_GATEWAY, "device-error", message)
    }

    /// 503: the engine is stopping.
    pub fn stopping() -> RestError {
        RestError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server-stopping",
            "Plugboard is stopping and takes no more commands. Start it again, then retry.",
        )
    }

    /// What the engine refused, after the API's own checks: a rate limit, or a device that
    /// went away in between.
    pub fn from_client_error(device: u32, error: &ClientError) -> RestError {
        match error.code() {
            ErrorCode::Message => RestError::too_many_requests(error.text()),
            _ if error.text().starts_with(&format!("Device {device} is not connected")) => {
                RestError::unknown_device(device)
            }
            _ => RestError::new(StatusCode::BAD_REQUEST, "refused", error.text()),
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_json_with_a_code_and_a_sentence() {
        let response = RestError::unknown_device(7).into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()["content-type"], "application/json");
    }

    #[test]
    fn engine_refusals_map_to_statuses() {
        let rate = ClientError::message("Too many messages");
        assert_eq!(RestError::from_client_error(0, &rate).status, StatusCode::TOO_MANY_REQUESTS);
        let gone = ClientError::device_not_available(3);
        assert_eq!(RestError::from_client_error(3, &gone), RestError::unknown_device(3));
        let other = ClientError::device("21 is outside the range");
        assert_eq!(RestError::from_client_error(3, &other).status, StatusCode::BAD_REQUEST);
    }
}
