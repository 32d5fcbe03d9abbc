//! A small reader over `serde_json::Value` that remembers where it is, so that every error
//! names the JSON path of the offending value (`$.protocols.lovense.models[3].name`).
//!
//! Nothing here panics on any input: every access is checked and reported.

use plugboard_protocol::model::Range;
use serde_json::{Map, Value};

/// Something wrong at one place in a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// Where, as a JSON path starting at `$`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub(crate) type PResult<T> = Result<T, PathError>;

/// A value and its path.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub value: &'a Value,
    pub path: String,
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn plain_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl<'a> Node<'a> {
    pub fn root(value: &'a Value) -> Node<'a> {
        Node { value, path: "$".to_string() }
    }

    pub fn err(&self, message: impl Into<String>) -> PathError {
        PathError { path: self.path.clone(), message: message.into() }
    }

    fn child_key(&self, key: &str, value: &'a Value) -> Node<'a> {
        let path = if plain_key(key) {
            format!("{}.{}", self.path, key)
        } else {
            format!("{}[{}]", self.path, Value::String(key.to_string()))
        };
        Node { value, path }
    }

    fn child_index(&self, index: usize, value: &'a Value) -> Node<'a> {
        Node { value, path: format!("{}[{}]", self.path, index) }
    }

    /// The path a key of this object would have (for "missing key" errors).
    pub fn path_of(&self, key: &str) -> String {
        self.child_key(key, self.value).path
    }

    pub fn object(&self) -> PResult<&'a Map<String, Value>> {
        self.value.as_object().ok_or_else(|| self.err(format!("expected an object, found {}", kind_of(self.value))))
    }

    /// A member of this object; `null` counts as absent.
    pub fn get(&self, key: &str) -> PResult<Option<Node<'a>>> {
        let object = self.object()?;
        Ok(object.get(key).filter(|value| !value.is_null()).map(|value| self.child_key(key, value)))
    }

    /// The elements of the array under `key`; none when the key is absent (or null).
    pub fn optional_array(&self, key: &str) -> PResult<Vec<Node<'a>>> {
        match self.get(key)? {
            Some(list) => list.array(),
            None => Ok(Vec::new()),
        }
    }

    pub fn require(&self, key: &str) -> PResult<Node<'a>> {
        self.get(key)?.ok_or_else(|| PathError { path: self.path_of(key), message: "missing (required)".to_string() })
    }

    /// Keys of this object that are not in `allowed`, as their paths.
    pub fn unknown_keys(&self, allowed: &[&str]) -> PResult<Vec<String>> {
        let object = self.object()?;
        Ok(object.keys().filter(|key| !allowed.contains(&key.as_str())).map(|key| self.path_of(key)).collect())
    }

    /// Fails on the first key that is not in `allowed` (catches typos in hand-written files).
    pub fn only_keys(&self, allowed: &[&str]) -> PResult<()> {
        match self.unknown_keys(allowed)?.into_iter().next() {
            None => Ok(()),
            Some(path) => {
                Err(PathError { path, message: format!("unknown key (expected one of: {})", allowed.join(", ")) })
            }
        }
    }

    pub fn entries(&self) -> PResult<Vec<(&'a str, Node<'a>)>> {
        let object = self.object()?;
        Ok(object.iter().map(|(key, value)| (key.as_str(), self.child_key(key, value))).collect())
    }

    pub fn array(&self) -> PResult<Vec<Node<'a>>> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.err(format!("expected an array, found {}", kind_of(self.value))))?;
        Ok(items.iter().enumerate().map(|(index, value)| self.child_index(index, value)).collect())
    }

    pub fn str(&self) -> PResult<&'a str> {
        self.value.as_str().ok_or_else(|| self.err(format!("expected a string, found {}", kind_of(self.value))))
    }

    pub fn non_empty_str(&self) -> PResult<&'a str> {
        let text = self.str()?;
        if text.trim().is_empty() {
            return Err(self.err("must not be empty"));
        }
        Ok(text)
    }

    pub fn bool(&self) -> PResult<bool> {
        self.value.as_bool().ok_or_else(|| self.err(format!("expected true or false, found {}", kind_of(self.value))))
    }

    pub fn i64(&self) -> PResult<i64> {
        match self.value {
            Value::Number(number) => number.as_i64().ok_or_else(|| {
                if number.is_u64() {
                    self.err(format!("{number} is too large"))
                } else {
                    self.err(format!("expected a whole number, found {number}"))
                }
            }),
            other => Err(self.err(format!("expected a whole number, found {}", kind_of(other)))),
        }
    }

    /// A whole number in `min..=max`.
    pub fn int_in(&self, min: i64, max: i64) -> PResult<i64> {
        let value = self.i64()?;
        if value < min || value > max {
            return Err(self.err(format!("{value} is out of range ({min}..={max})")));
        }
        Ok(value)
    }

    pub fn u32(&self) -> PResult<u32> {
        Ok(self.int_in(0, u32::MAX as i64)? as u32)
    }

    pub fn i32(&self) -> PResult<i32> {
        Ok(self.int_in(i32::MIN as i64, i32::MAX as i64)? as i32)
    }

    /// `[min, max]` with `min <= max`.
    pub fn range(&self) -> PResult<Range> {
        let items = self.array()?;
        if items.len() != 2 {
            return Err(self.err(format!("expected [min, max], found {} numbers", items.len())));
        }
        let min = items[0].i32()?;
        let max = items[1].i32()?;
        if min > max {
            return Err(self.err(format!("min {min} is greater than max {max}")));
        }
        Ok(Range::new(min, max))
    }

    /// A list of strings, allocated at its length (collecting through `Result` would grow the
    /// vector from a guess, and these lists live as long as the database).
    pub fn strings(&self) -> PResult<Vec<String>> {
        let items = self.array()?;
        let mut strings = Vec::with_capacity(items.len());
        for item in &items {
            strings.push(item.non_empty_str()?.to_string());
        }
        Ok(strings)
    }
}

/// Whether `text` is a 128-bit UUID in the usual 8-4-4-4-12 hex form (any case).
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

/// A UUID in its canonical lowercase form, or `None` if it is not one.
pub fn normalize_uuid(text: &str) -> Option<String> {
    is_uuid(text).then(|| text.to_ascii_lowercase())
}

impl Node<'_> {
    pub fn uuid(&self) -> PResult<String> {
        let text = self.str()?;
        normalize_uuid(text)
            .ok_or_else(|| self.err(format!("{text:?} is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_name_keys_and_indexes() {
        let value = json!({"protocols": {"wevibe-8bit": {"models": [{}, {"name": 3}]}, "odd key": {}}});
        let root = Node::root(&value);
        let model = &root
            .require("protocols")
            .unwrap()
            .require("wevibe-8bit")
            .unwrap()
            .require("models")
            .unwrap()
            .array()
            .unwrap()[1];
        let error = model.require("name").unwrap().str().unwrap_err();
        assert_eq!(error.path, "$.protocols.wevibe-8bit.models[1].name");
        assert_eq!(error.to_string(), "$.protocols.wevibe-8bit.models[1].name: expected a string, found a number");
        let odd = root.require("protocols").unwrap().require("odd key").unwrap();
        assert_eq!(odd.path, "$.protocols[\"odd key\"]");
        assert_eq!(model.require("nope").unwrap_err().path, "$.protocols.wevibe-8bit.models[1].nope");
    }

    #[test]
    fn numbers_are_checked() {
        let value =
            json!({"a": 1.5, "b": 99999999999u64, "c": -1, "d": [3, 2], "e": [1], "f": 18446744073709551615u64});
        let root = Node::root(&value);
        assert!(root.require("a").unwrap().u32().is_err());
        assert!(root.require("b").unwrap().u32().is_err());
        assert!(root.require("c").unwrap().u32().is_err());
        assert!(root.require("f").unwrap().i64().is_err());
        assert_eq!(root.require("c").unwrap().i32().unwrap(), -1);
        assert!(root.require("d").unwrap().range().unwrap_err().message.contains("greater"));
        assert!(root.require("e").unwrap().range().is_err());
    }

    #[test]
    fn uuids() {
        assert_eq!(
            normalize_uuid("0000FFF0-0000-1000-8000-00805F9B34FB").as_deref(),
            Some("0000fff0-0000-1000-8000-00805f9b34fb")
        );
        assert!(!is_uuid("0xFFF0"));
        assert!(!is_uuid("0000fff0-0000-1000-8000-00805f9b34fg"));
        assert!(!is_uuid("0000fff0x0000-1000-8000-00805f9b34fb"));
    }
}
