//! What the API answers. Lovense Remote answers every request with HTTP 200 and puts the
//! outcome in the JSON body's `code` (200 for success), and apps read it from there; Plugboard
//! answers the same way. `result` (true or false) is included as well because some published
//! clients check it.

use serde_json::{json, Map, Value};

/// A refusal, with the Lovense error code apps know and a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    code: u16,
    message: String,
}

impl ApiError {
    /// 400: the request is not a command this API knows.
    pub fn invalid_command(message: impl Into<String>) -> ApiError {
        ApiError { code: 400, message: message.into() }
    }

    /// 401: no toy has this id.
    pub fn toy_not_found(id: &str) -> ApiError {
        ApiError { code: 401, message: format!("No toy has the id `{id}`. GetToys lists the toys that are connected.") }
    }

    /// 402: the toy is known but not connected now.
    pub fn toy_not_connected(id: &str) -> ApiError {
        ApiError {
            code: 402,
            message: format!("The toy `{id}` is not connected. Turn it on and let Plugboard find it."),
        }
    }

    /// 403: the toy has nothing this command drives.
    pub fn not_supported(message: impl Into<String>) -> ApiError {
        ApiError { code: 403, message: message.into() }
    }

    /// 404: a parameter is missing or out of its range.
    pub fn invalid_parameter(message: impl Into<String>) -> ApiError {
        ApiError { code: 404, message: message.into() }
    }

    /// 506: the server could not do it.
    pub fn server_error(message: impl Into<String>) -> ApiError {
        ApiError { code: 506, message: message.into() }
    }

    pub fn code(&self) -> u16 {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON body of the refusal.
    pub fn to_json(&self) -> Value {
        json!({ "code": self.code, "type": "error", "result": false, "message": self.message })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

/// The body of a plain success.
pub fn ok() -> Value {
    json!({ "code": 200, "type": "OK", "result": true })
}

/// The body of a success that carries `data`.
pub fn ok_with(data: Value) -> Value {
    let mut body = Map::new();
    body.insert("code".into(), 200.into());
    body.insert("type".into(), "OK".into());
    body.insert("result".into(), true.into());
    body.insert("data".into(), data);
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_and_refusal_bodies() {
        assert_eq!(ok(), json!({"code": 200, "type": "OK", "result": true}));
        assert_eq!(ok_with(json!([1])), json!({"code": 200, "type": "OK", "result": true, "data": [1]}));
        let refusal = ApiError::toy_not_found("abc").to_json();
        assert_eq!(refusal["code"], 401);
        assert_eq!(refusal["result"], false);
        assert!(refusal["message"].as_str().unwrap().contains("`abc`"));
    }
}
