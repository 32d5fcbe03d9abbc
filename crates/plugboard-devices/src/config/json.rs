//! Reading config files through serde with every problem named by its JSON path
//! (`$.protocols.lovense.models[3].name`), in the words Plugboard's messages use.
//!
//! A file is read in two steps. serde reads the text into the file's own types (the `*File`
//! types of each format), which mirror the JSON exactly: wrong types, missing keys and, in the
//! strict formats, unknown keys fail there, and [`read`] names the path through
//! `serde_path_to_error`. The reader of each format then turns those types into Plugboard's
//! and checks what the JSON shape cannot say (ranges, names, duplicates); it knows where it is
//! through a [`Loc`], which costs nothing until a message needs the path.
//!
//! Nothing here panics on any input.

use std::fmt::{self, Write as _};

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `T` read from a JSON object only. serde's derived structs also take an array of their
/// fields in order, which no config file means (`"version": [1, 0]`); this refuses it as
/// "expected an object".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer.deserialize_map(ObjectVisitor(PhantomData)).map(Object)
    }
}

impl<T: Serialize> Serialize for Object<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// The schema is `T`'s: it says "object" already.
impl<T: JsonSchema> JsonSchema for Object<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

impl<T> std::ops::Deref for Object<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Something wrong at one place in a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// Where, as a JSON path starting at `$`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub(crate) type PResult<T> = Result<T, PathError>;

/// Why a text could not be read into a file type.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Not JSON at all (or cut short).
    Syntax(String),
    /// JSON of the wrong shape, at a path.
    Invalid(PathError),
}

/// Reads `text` into `T`. The first attempt reads without tracking where it is (loading the
/// built-in database is on the engine's start-up path); only a text that fails is read again
/// through `serde_path_to_error` to name the place.
/// The document must be an object.
pub(crate) fn read<T: DeserializeOwned>(text: &str) -> Result<T, ReadError> {
    match serde_json::from_str::<Object<T>>(text) {
        Ok(Object(value)) => Ok(value),
        Err(_) => read_tracked::<Object<T>>(text).map(|Object(value)| value),
    }
}

/// [`read`] (of an object) with the path tracked from the start, calling `ignored` with the path of every key
/// the file types do not know (through `serde_ignored`).
pub(crate) fn read_noting_ignored<T: DeserializeOwned>(
    text: &str,
    mut ignored: impl FnMut(String),
) -> Result<T, ReadError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut note = |path: serde_ignored::Path<'_>| ignored(ignored_path(&path));
    let tracked = serde_ignored::Deserializer::new(&mut deserializer, &mut note);
    let Object(value) = serde_path_to_error::deserialize(tracked).map_err(translate)?;
    deserializer.end().map_err(|error| ReadError::Syntax(error.to_string()))?;
    Ok(value)
}

/// [`read`] of one part of a document kept aside as raw JSON (an entry a lenient reader may
/// skip), whose problems are named by paths below `at`.
pub(crate) fn read_at<T: DeserializeOwned>(text: &str, at: &Loc) -> PResult<T> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    match read_tracked(text) {
        Ok(value) => Ok(value),
        Err(ReadError::Invalid(error)) => {
            let below = error.path.strip_prefix('$').unwrap_or(&error.path);
            Err(PathError { path: format!("{}{below}", at.path()), message: error.message })
        }
        Err(ReadError::Syntax(message)) => Err(at.err(message)),
    }
}

/// [`read_at`] of an object.
pub(crate) fn read_object_at<T: DeserializeOwned>(text: &str, at: &Loc) -> PResult<T> {
    read_at::<Object<T>>(text, at).map(|Object(value)| value)
}

/// [`read_at`] that also calls `ignored` with the path of every key the types do not know.
pub(crate) fn read_at_noting_ignored<T: DeserializeOwned>(
    text: &str,
    at: &Loc,
    mut ignored: impl FnMut(String),
) -> PResult<T> {
    let below = |path: String| format!("{}{}", at.path(), path.strip_prefix('$').unwrap_or(&path));
    match read_noting_ignored(text, |path| ignored(below(path))) {
        Ok(value) => Ok(value),
        Err(ReadError::Invalid(error)) => Err(PathError { path: below(error.path), message: error.message }),
        Err(ReadError::Syntax(message)) => Err(at.err(message)),
    }
}

fn read_tracked<T: DeserializeOwned>(text: &str) -> Result<T, ReadError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(translate)?;
    deserializer.end().map_err(|error| ReadError::Syntax(error.to_string()))?;
    Ok(value)
}

/// serde_json's message without the position it appends (the path says where, and the
/// position of a value in a file someone edits by hand is less use than its path).
fn message_of(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&position) {
        Some(message) => message.to_string(),
        None => text,
    }
}

fn translate(error: serde_path_to_error::Error<serde_json::Error>) -> ReadError {
    let mut path = String::from("$");
    for segment in error.path().iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => push_index(&mut path, *index),
            serde_path_to_error::Segment::Map { key } => push_key(&mut path, key),
            serde_path_to_error::Segment::Enum { variant } => push_key(&mut path, variant),
            serde_path_to_error::Segment::Unknown => path.push_str(".?"),
        }
    }
    let inner = error.into_inner();
    if !inner.is_data() {
        // Syntax errors keep their line and column: there is no path to a value that is not there.
        return ReadError::Syntax(inner.to_string());
    }
    ReadError::Invalid(plain_words(path, &message_of(&inner)))
}

/// serde's messages (`invalid type: integer `7`, expected a string`, `missing field `name``)
/// in Plugboard's words (`expected a string, found a number`, `$.x.name: missing (required)`).
fn plain_words(mut path: String, message: &str) -> PathError {
    if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
        push_key(&mut path, field);
        return PathError { path, message: "missing (required)".to_string() };
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        // The path already ends in the key.
        let expected = rest.split_once("expected one of ").map(|(_, names)| names.replace('`', ""));
        let message = match expected {
            Some(names) => format!("unknown key (expected one of: {names})"),
            None => "unknown key".to_string(),
        };
        return PathError { path, message };
    }
    if let Some(field) = message.strip_prefix("duplicate field `").and_then(|rest| rest.strip_suffix('`')) {
        push_key(&mut path, field);
        return PathError { path, message: "given twice".to_string() };
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return PathError { path, message: format!("expected {}, found {}", expectation(expected), kind(found)) };
        }
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            if let Some(number) = found.strip_prefix("integer `").and_then(|n| n.strip_suffix('`')) {
                return PathError { path, message: format!("{number} is out of range ({})", integer_range(expected)) };
            }
            return PathError { path, message: format!("expected {}, found {}", expectation(expected), found) };
        }
    }
    PathError { path, message: message.to_string() }
}

/// What serde says it expected, as a person would say it.
fn expectation(expected: &str) -> &str {
    match expected {
        "a sequence" => "an array",
        "a map" => "an object",
        "a boolean" => "true or false",
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" => "a whole number",
        other if other.starts_with("struct ") => "an object",
        other => other,
    }
}

/// The values of an integer type serde names (`u32`), for "out of range" messages.
fn integer_range(expected: &str) -> String {
    match expected {
        "u8" => format!("0..={}", u8::MAX),
        "u16" => format!("0..={}", u16::MAX),
        "u32" => format!("0..={}", u32::MAX),
        "u64" => format!("0..={}", u64::MAX),
        "i32" => format!("{}..={}", i32::MIN, i32::MAX),
        "i64" => format!("{}..={}", i64::MIN, i64::MAX),
        other => format!("expected {other}"),
    }
}

/// What serde says it found (`integer `7``, `string "x"`), as a kind of JSON value.
fn kind(found: &str) -> &'static str {
    let word = found.split([' ', '`']).next().unwrap_or("");
    match word {
        "boolean" => "a boolean",
        "integer" | "floating" => "a number",
        "string" | "char" => "a string",
        "sequence" => "an array",
        "map" => "an object",
        "unit" | "null" => "null",
        _ => "another kind of value",
    }
}

fn plain_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn push_key(path: &mut String, key: &str) {
    if plain_key(key) {
        path.push('.');
        path.push_str(key);
    } else {
        // A key with spaces or dots is written as a quoted index: `$.protocols["odd key"]`.
        let quoted = serde_json::Value::String(key.to_string()).to_string();
        let _ = write!(path, "[{quoted}]");
    }
}

fn push_index(path: &mut String, index: usize) {
    let _ = write!(path, "[{index}]");
}

fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    let mut out = String::new();
    write_ignored(&mut out, path);
    out
}

fn write_ignored(out: &mut String, path: &serde_ignored::Path<'_>) {
    use serde_ignored::Path;
    match path {
        Path::Root => out.push('$'),
        Path::Seq { parent, index } => {
            write_ignored(out, parent);
            push_index(out, *index);
        }
        Path::Map { parent, key } => {
            write_ignored(out, parent);
            push_key(out, key);
        }
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => {
            write_ignored(out, parent)
        }
    }
}

/// Where a value sits in the document being converted: a chain of keys and indexes on the
/// stack, written out only when a message needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Loc<'a> {
    Root,
    Key(&'a Loc<'a>, &'a str),
    Index(&'a Loc<'a>, usize),
}

impl<'a> Loc<'a> {
    pub fn key(&'a self, key: &'a str) -> Loc<'a> {
        Loc::Key(self, key)
    }

    pub fn index(&'a self, index: usize) -> Loc<'a> {
        Loc::Index(self, index)
    }

    pub fn path(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Loc::Root => out.push('$'),
            Loc::Key(parent, key) => {
                parent.write(out);
                push_key(out, key);
            }
            Loc::Index(parent, index) => {
                parent.write(out);
                push_index(out, *index);
            }
        }
    }

    pub fn err(&self, message: impl Into<String>) -> PathError {
        PathError { path: self.path(), message: message.into() }
    }
}

/// `[min, max]` read as written; [`pair`] checks it.
pub(crate) type Pair = Vec<i64>;

/// A `[min, max]` pair of 32-bit whole numbers with `min <= max`.
pub(crate) fn pair(loc: &Loc, values: &[i64]) -> PResult<plugboard_protocol::model::Range> {
    let [min, max] = values else {
        return Err(loc.err(format!("expected [min, max], found {} numbers", values.len())));
    };
    let number = |index: usize, value: i64| {
        i32::try_from(value)
            .map_err(|_| loc.index(index).err(format!("{value} is out of range ({}..={})", i32::MIN, i32::MAX)))
    };
    let (min, max) = (number(0, *min)?, number(1, *max)?);
    if min > max {
        return Err(loc.err(format!("min {min} is greater than max {max}")));
    }
    Ok(plugboard_protocol::model::Range::new(min, max))
}

/// A whole number in `min..=max`.
pub(crate) fn whole_in(loc: &Loc, value: i64, min: i64, max: i64) -> PResult<i64> {
    if value < min || value > max {
        return Err(loc.err(format!("{value} is out of range ({min}..={max})")));
    }
    Ok(value)
}

/// A text that is not only white space.
pub(crate) fn non_empty<'t>(loc: &Loc, text: &'t str) -> PResult<&'t str> {
    if text.trim().is_empty() {
        return Err(loc.err("must not be empty"));
    }
    Ok(text)
}

/// A UUID in its canonical lowercase 8-4-4-4-12 form, or `None` if `text` is not one written
/// that way (the uuid crate also reads the braced, URN and undashed forms; config files use
/// only this one).
pub fn normalize_uuid(text: &str) -> Option<String> {
    if text.len() != uuid::fmt::Hyphenated::LENGTH {
        return None;
    }
    let parsed = uuid::Uuid::try_parse(text).ok()?;
    Some(parsed.hyphenated().to_string())
}

/// [`normalize_uuid`], or an error at `loc`.
pub(crate) fn uuid_at(loc: &Loc, text: &str) -> PResult<String> {
    normalize_uuid(text)
        .ok_or_else(|| loc.err(format!("{text:?} is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Model {
        name: String,
        count: Option<u32>,
        on: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        protocols: std::collections::BTreeMap<String, Vec<Model>>,
    }

    fn invalid(text: &str) -> PathError {
        match read::<Doc>(text) {
            Err(ReadError::Invalid(error)) => error,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paths_name_keys_and_indexes() {
        let error = invalid(r#"{"protocols": {"wevibe-8bit": [{"name": "a"}, {"name": 3}]}}"#);
        assert_eq!(error.to_string(), "$.protocols.wevibe-8bit[1].name: expected a string, found a number");
        let error = invalid(r#"{"protocols": {"odd key": [{"name": "a", "nope": 1}]}}"#);
        assert_eq!(error.path, "$.protocols[\"odd key\"][0].nope");
        assert!(error.message.starts_with("unknown key (expected one of: name, count, on)"), "{error}");
        assert_eq!(invalid(r#"{"protocols": {"x": [{}]}}"#).to_string(), "$.protocols.x[0].name: missing (required)");
        assert_eq!(
            invalid(r#"{"protocols": {"x": {}}}"#).to_string(),
            "$.protocols.x: expected an array, found an object"
        );
        assert_eq!(
            invalid(r#"{"protocols": {"x": [{"name": "a", "on": "yes"}]}}"#).to_string(),
            "$.protocols.x[0].on: expected true or false, found a string"
        );
        assert!(matches!(read::<Doc>("{"), Err(ReadError::Syntax(_))));
        assert!(matches!(read::<Doc>(r#"{"protocols": {}} {}"#), Err(ReadError::Syntax(_))));
        assert_eq!(invalid("[]").to_string(), "$: expected an object, found an array");
        let loc = Loc::Root;
        let protocols = loc.key("protocols");
        let odd = protocols.key("odd key");
        assert_eq!(odd.index(2).path(), "$.protocols[\"odd key\"][2]");
    }

    #[test]
    fn numbers_are_checked() {
        assert!(invalid(r#"{"protocols": {"x": [{"name": "a", "count": 1.5}]}}"#).message.contains("whole number"));
        assert!(invalid(r#"{"protocols": {"x": [{"name": "a", "count": -1}]}}"#).message.contains("out of range"));
        assert!(invalid(r#"{"protocols": {"x": [{"name": "a", "count": 99999999999}]}}"#)
            .message
            .contains("out of range"));
        let loc = Loc::Root;
        assert!(pair(&loc, &[3, 2]).unwrap_err().message.contains("greater"));
        assert!(pair(&loc, &[1]).is_err());
        assert!(pair(&loc, &[0, 1 << 40]).unwrap_err().path.ends_with("[1]"));
        assert_eq!(pair(&loc, &[-1, 2]).unwrap(), plugboard_protocol::model::Range::new(-1, 2));
        assert!(whole_in(&loc, 9, 0, 8).is_err());
    }

    #[test]
    fn ignored_keys_are_reported_with_their_path() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Lenient {
            devices: std::collections::BTreeMap<String, Option<Lenient2>>,
        }
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Lenient2 {
            name: Option<String>,
        }
        let mut ignored = Vec::new();
        let _: Lenient =
            read_noting_ignored(r#"{"devices": {"A B": {"name": "x", "colour": 1}}, "extra": []}"#, |path| {
                ignored.push(path)
            })
            .unwrap();
        assert_eq!(ignored, ["$.devices[\"A B\"].colour", "$.extra"]);
    }

    #[test]
    fn uuids() {
        assert_eq!(
            normalize_uuid("0000FFF0-0000-1000-8000-00805F9B34FB").as_deref(),
            Some("0000fff0-0000-1000-8000-00805f9b34fb")
        );
        assert_eq!(normalize_uuid("0xFFF0"), None);
        assert_eq!(normalize_uuid("0000fff0-0000-1000-8000-00805f9b34fg"), None);
        assert_eq!(normalize_uuid("0000fff0x0000-1000-8000-00805f9b34fb"), None);
        assert_eq!(normalize_uuid("0000fff000001000800000805f9b34fb"), None, "undashed");
        assert_eq!(normalize_uuid("{0000fff0-0000-1000-8000-00805f9b34fb}"), None, "braced");
    }
}
