//! What this build can drive: the lists behind `plugboard-engine --list-protocols` and
//! `--list-devices`, for people checking whether their toy is supported.

use plugboard_devices::config::Database;
use plugboard_devices::protocols;

/// The implemented protocol families, by their reference database names, sorted.
pub fn protocol_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = protocols::names().collect();
    names.sort_unstable();
    names
}

/// One line per device model of the database: protocol, model name and the identifiers it is
/// recognised by, tab-separated, sorted by protocol then name. A protocol's defaults appear as
/// `(any other)`: the devices of that protocol no model lists, which connect with the defaults
/// (with nothing to drive where the defaults have no outputs, as for libo-karen's devices).
pub fn device_lines(database: &Database) -> Vec<String> {
    let mut lines = Vec::new();
    for protocol in database.protocols() {
        let mut models: Vec<(String, String)> =
            protocol.models.iter().map(|model| (model.name.clone(), model.identifiers.join(", "))).collect();
        models.sort();
        models.push((protocol.defaults.name.clone(), "(any other)".to_string()));
        lines.extend(models.into_iter().map(|(name, identifiers)| format!("{}\t{name}\t{identifiers}", protocol.name)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_protocol_is_implemented() {
        let names = protocol_names();
        assert!(names.windows(2).all(|pair| pair[0] < pair[1]), "sorted, no duplicates");
        for name in &names {
            assert!(protocols::by_name(name).is_some(), "{name}");
        }
        assert!(!names.contains(&"virtual"), "the engine's own virtual devices are not a protocol of the database");
    }

    #[test]
    fn device_lines_name_protocol_model_and_identifiers() {
        let database = Database::builtin().unwrap();
        let lines = device_lines(&database);
        assert!(lines.contains(&"lovense\tLovense Max\tB".to_string()), "{lines:#?}");
        assert!(lines.contains(&"lovense\tLovense Device\t(any other)".to_string()));
        let models: usize = database.protocols().map(|protocol| protocol.models.len()).sum();
        assert_eq!(lines.len(), models + database.protocols().count(), "every model, and every protocol's defaults");
        // A protocol whose devices have no features is listed too: they connect.
        assert!(lines.contains(&"libo-karen\tLibo Karen\t(any other)".to_string()), "{lines:#?}");
        // Every protocol of the built-in database can be driven.
        for protocol in database.protocols() {
            assert!(protocols::by_name(&protocol.name).is_some(), "{}", protocol.name);
        }
    }
}
