//! The front end's models, `ui/src/models.ts`, are generated from [`crate::models`] (with
//! ts-rs) and from the engine's lists (virtual device kinds). The test here fails when the
//! checked-in file differs from what the Rust types say, and says how to regenerate it.

use std::path::PathBuf;

use plugboard_server::VirtualKind;
use ts_rs::{Config, TS};

use crate::models::*;

/// Set to 1 to write the file instead of comparing it.
const UPDATE: &str = "PLUGBOARD_UPDATE_TS_MODELS";

fn models_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/models.ts")
}

/// One declaration, with its doc comment.
fn declaration<T: TS>(config: &Config) -> String {
    format!("{}export {}\n", T::docs().unwrap_or_default(), one_field_a_line(&T::decl(config)))
}

/// ts-rs writes an object type on one line (`type A = { b: B, c: C, };`, a field's doc
/// comment in between); this puts each field, and its doc comment, on lines of its own.
/// Anything that is not one object type (a union of them, for instance) is left as it is.
fn one_field_a_line(declaration: &str) -> String {
    let (Some(open), Some(body)) = (declaration.find("= { "), declaration.strip_suffix(" };")) else {
        return declaration.to_owned();
    };
    if closing_brace(&declaration[open + "= ".len()..]) != Some(declaration.len() - open - "= ".len() - ";".len() - 1) {
        return declaration.to_owned();
    }
    let mut out = format!("{}= {{\n", &declaration[..open]);
    for field in top_level_fields(&body[open + "= { ".len()..]) {
        for line in field.lines().map(str::trim).filter(|line| !line.is_empty()) {
            let indent = if line.starts_with('*') { "   " } else { "  " };
            out.push_str(&format!("{indent}{line}\n"));
        }
    }
    out.push_str("};");
    out
}

/// Where the brace that `text` opens with closes (brackets in doc comments are counted too,
/// which ts-rs's declarations of the window's types do not have).
fn closing_brace(text: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, byte) in text.bytes().enumerate() {
        match byte {
            b'{' => depth += 1,
            b'}' => depth -= 1,
            _ => continue,
        }
        if depth == 0 {
            return Some(i);
        }
    }
    None
}

/// The fields of an object type's body, each with its trailing comma, split at the commas
/// that are not inside brackets or doc comments.
fn top_level_fields(body: &str) -> Vec<&str> {
    let (mut fields, mut depth, mut start, mut in_comment) = (Vec::new(), 0i32, 0, false);
    let bytes = body.as_bytes();
    for (i, &byte) in bytes.iter().enumerate() {
        match byte {
            b'/' if !in_comment && bytes.get(i + 1) == Some(&b'*') => in_comment = true,
            b'/' if in_comment && i > 0 && bytes[i - 1] == b'*' => in_comment = false,
            _ if in_comment => {}
            b'{' | b'[' | b'(' | b'<' => depth += 1,
            b'}' | b']' | b')' | b'>' => depth -= 1,
            b',' if depth == 0 => {
                fields.push(&body[start..=i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields
}

/// A string constant list and the union type of its members.
fn constant_list(doc: &str, constant: &str, type_name: &str, members: &[&str]) -> String {
    let quoted: Vec<String> = members.iter().map(|member| format!("'{member}'")).collect();
    format!(
        "/** {doc} */\nexport const {constant} = [{}] as const;\nexport type {type_name} = (typeof {constant})[number];\n",
        quoted.join(", ")
    )
}

/// The whole of `ui/src/models.ts`.
fn generate() -> String {
    // Every integer the window sees (ids, counts, ports) fits a JavaScript number.
    let config = Config::new().with_large_int("number");
    let declarations = [
        declaration::<Snapshot>(&config),
        declaration::<ServerView>(&config),
        declaration::<ServerErrorKind>(&config),
        declaration::<ServerError>(&config),
        declaration::<ClientView>(&config),
        declaration::<DeviceView>(&config),
        declaration::<OutputView>(&config),
        declaration::<InputView>(&config),
        declaration::<InputReading>(&config),
        declaration::<ShortcutView>(&config),
        declaration::<ShortcutMechanism>(&config),
        declaration::<Theme>(&config),
        declaration::<HardwareView>(&config),
        declaration::<TransportView>(&config),
        declaration::<SerialPortView>(&config),
        declaration::<DeviceWebsocketView>(&config),
        declaration::<Settings>(&config),
        declaration::<ApprovedClient>(&config),
        declaration::<DeviceDatabaseUpdate>(&config),
        declaration::<LogLine>(&config),
        declaration::<LogExport>(&config),
        constant_list(
            "Log levels, most important first.",
            "LOG_LEVELS",
            "LogLevel",
            &LogLevel::ALL.map(LogLevel::name),
        ),
        constant_list(
            "The kinds of virtual device the engine can add.",
            "VIRTUAL_KINDS",
            "VirtualKind",
            &VirtualKind::ALL.map(VirtualKind::cli_name),
        ),
    ];
    format!(
        "// Generated from src-tauri/src/models.rs by `{UPDATE}=1 cargo test -p plugboard typescript`; do not edit.\n\
         // The shell serializes these types as camelCase JSON; every integer arrives as a number.\n\n{}",
        declarations.join("\n")
    )
}

#[test]
fn typescript_models_are_generated_from_the_rust_types() {
    let path = models_file();
    let generated = generate();
    if std::env::var(UPDATE).is_ok_and(|value| value == "1") {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "ui/src/models.ts is stale: it no longer matches src-tauri/src/models.rs. Regenerate it with\n    \
         {UPDATE}=1 cargo test -p plugboard typescript\nand commit the result."
    );
}

#[test]
fn object_types_get_one_field_a_line() {
    let one_line = "type A = { b: { [key in string]: Array<string> }, \n/**\n * Two, or three.\n */\nc: [number, number] | null, };";
    assert_eq!(
        one_field_a_line(one_line),
        "type A = {\n  b: { [key in string]: Array<string> },\n  /**\n   * Two, or three.\n   */\n  c: [number, number] | null,\n};"
    );
    assert_eq!(one_field_a_line(r#"type K = "a" | "b";"#), r#"type K = "a" | "b";"#);
    let union = r#"type U = { "tag": "a", b: string, } | { "tag": "c" };"#;
    assert_eq!(one_field_a_line(union), union);
}

#[test]
fn the_generated_models_say_what_the_window_relies_on() {
    let generated = generate();
    for expected in [
        "export type Snapshot = {\n",
        "  settingsMessage: string | null,\n",
        "  id: number,\n",
        "  limit: [number, number] | null,\n",
        r#"export type ServerErrorKind = "portInUse" | "other";"#,
        "  level: LogLevel,\n",
        "export const LOG_LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'] as const;",
        "export const VIRTUAL_KINDS = ['vibrator', 'dual-vibrator', 'rotator', 'stroker', 'lovense-max', 'sampler'] as const;",
    ] {
        assert!(generated.contains(expected), "{expected} is not in:\n{generated}");
    }
}
