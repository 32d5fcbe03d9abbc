//! The JSON Schemas of Plugboard's own config formats, generated from the types their files
//! are read into, so that the schema an editor checks a file against and the reader that loads
//! it cannot drift apart. The checked-in copies in `device-config/` are compared with these by
//! a test, which names the command that rewrites them.

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;

use super::database_file::DatabaseFile;
use super::user::UserConfigFile;

/// A schema file in `device-config/` and what it describes.
pub struct SchemaFile {
    /// The file's name in `device-config/`.
    pub file_name: &'static str,
    /// Its text, as it should be checked in (pretty JSON ending in a newline).
    pub text: String,
}

/// Every schema Plugboard publishes.
pub fn schema_files() -> Vec<SchemaFile> {
    vec![
        SchemaFile { file_name: "plugboard-devices.schema.json", text: schema_text::<DatabaseFile>() },
        SchemaFile { file_name: "plugboard-user-device-config.schema.json", text: schema_text::<UserConfigFile>() },
    ]
}

fn schema_text<T: JsonSchema>() -> String {
    let schema = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Set to rewrite the checked-in schemas from the types instead of comparing them.
    const UPDATE: &str = "PLUGBOARD_UPDATE_SCHEMAS";

    #[test]
    fn checked_in_schemas_are_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../device-config");
        let update = std::env::var_os(UPDATE).is_some();
        for schema in schema_files() {
            let path = dir.join(schema.file_name);
            if update {
                std::fs::write(&path, &schema.text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                continue;
            }
            let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                checked_in == schema.text,
                "device-config/{} is not what the types in crates/plugboard-devices/src/config/ give. \
                 Regenerate it with `{UPDATE}=1 cargo test -p plugboard-devices --lib config::schema` and \
                 commit the result.",
                schema.file_name
            );
        }
    }

    #[test]
    fn schemas_describe_the_shipped_files() {
        let database: serde_json::Value = serde_json::from_str(&schema_files()[0].text).unwrap();
        assert_eq!(database["additionalProperties"], false, "the database format is strict");
        assert_eq!(database["required"], serde_json::json!(["version", "protocols"]));
        let user: serde_json::Value = serde_json::from_str(&schema_files()[1].text).unwrap();
        assert_eq!(user["additionalProperties"], true, "unknown keys in a user config are warnings, not errors");
    }
}
