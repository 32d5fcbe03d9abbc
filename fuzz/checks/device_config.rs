//! The `device_config` fuzz target's property, shared with the corpus replay test in
//! plugboard-devices (`tests/fuzz_corpus.rs` includes this file).
//!
//! Any text given as a device database (`--device-config-file`), in Plugboard's format or the
//! reference v4/v5 one: loading never panics; a database that loads is written back in
//! Plugboard's format (what the converter does) and reads back the same, protocol by protocol;
//! and every device it defines is announced to clients of every spec version (DeviceList,
//! DeviceAdded) in messages that a client of that version decodes back to the same message.

use plugboard_devices::config::export::to_plugboard_json;
use plugboard_devices::config::{Database, DatabaseFormat, DeviceDefinition};
use plugboard_protocol::convert::outgoing::{device_added, device_list};
use plugboard_protocol::frame::{decode_server_frame, encode_message};
use plugboard_protocol::messages::ServerMessage;
use plugboard_protocol::model::DeviceInfo;
use plugboard_protocol::SpecVersion;

/// Runs every check on one input. Panics when a property does not hold.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        // The loader takes a `&str`; reading the file already refused invalid UTF-8.
        return;
    };
    let database = match Database::from_json_str(text, "fuzz.json") {
        Ok(database) => database,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    for warning in &database.warnings {
        let _ = warning.to_string();
    }
    for protocol in database.protocols() {
        if let Some(definition) = database.definition(&protocol.name, None) {
            announce(&definition);
        }
        for model in &protocol.models {
            for identifier in &model.identifiers {
                let definition = database.definition(&protocol.name, Some(identifier));
                if let Some(definition) = definition {
                    assert_eq!(definition.protocol, protocol.name);
                    // A model without features of its own takes the defaults' features, so it
                    // has none only when the defaults have none (an unknown Kiiroo v2.1 is listed
                    // with nothing to drive, as the reference lists it).
                    if definition.features.is_empty() {
                        let defaults = database.definition(&protocol.name, None);
                        assert!(
                            defaults.is_some_and(|d| d.features.is_empty()),
                            "a model without features was returned although the defaults have some"
                        );
                    }
                    announce(&definition);
                }
            }
        }
    }
    let written = to_plugboard_json(&database, Some("fuzz"));
    let again = Database::from_json_str(&written, "written.json")
        .unwrap_or_else(|error| panic!("the written database does not load: {error}\n{written}"));
    assert_eq!(again.format, DatabaseFormat::Plugboard);
    let names = |db: &Database| db.protocols().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&again), names(&database), "the written database has other protocols");
    for protocol in database.protocols() {
        assert_eq!(again.protocol(&protocol.name), Some(protocol), "protocol {} changed when written", protocol.name);
    }
}

/// The messages that announce a device of this definition decode, for a client of each
/// version, to what was sent.
fn announce(definition: &DeviceDefinition) {
    let info = DeviceInfo {
        index: 3,
        name: definition.name.clone(),
        display_name: None,
        message_gap_ms: definition.message_gap_ms.unwrap_or(100),
        features: definition.features.clone(),
    };
    for version in SpecVersion::ALL {
        let messages = [Some(device_list(version, 1, [&info])), device_added(version, &info)];
        for message in messages.into_iter().flatten() {
            let text = encode_message(&message);
            let again: Vec<Result<ServerMessage, String>> =
                decode_server_frame(&text, version).into_iter().map(|r| r.map_err(|e| e.to_string())).collect();
            assert_eq!(again, vec![Ok(message)], "{version}: {} announced as {text}", definition.name);
        }
    }
}
