//! Starting the device side: database, user config, transports.

use std::net::SocketAddr;
use std::sync::Arc;

use plugboard_devices::config::database::Database;
use plugboard_devices::config::store;
use plugboard_devices::transport::ble::BleTransport;
use plugboard_devices::transport::serial::SerialTransport;
use plugboard_devices::transport::websocket::{WebsocketConfig, WebsocketTransport};
use plugboard_devices::DeviceManager;

use crate::config::DeviceOptions;
use crate::error::StartError;

/// The user device config the options name: Plugboard's own file (at
/// `own_user_config_path`, else in the default config directory), with an imported one laid
/// under it.
pub(crate) fn load_user_config(options: &DeviceOptions) -> Result<store::LoadedUserConfig, store::StoreError> {
    let own = options.own_user_config_path.clone().or_else(crate::paths::default_user_config_path);
    store::load_user_config(options.user_device_config_file.as_deref(), own.as_deref())
}

/// Loads the database and user config and starts the transports the options ask for.
/// Returns the device-websocket server's address when it runs.
pub(crate) async fn start(
    devices: &Arc<DeviceManager>,
    options: &DeviceOptions,
) -> Result<Option<SocketAddr>, StartError> {
    if !options.any_transport() {
        return Ok(None);
    }
    let database = match &options.device_config_file {
        Some(path) => Database::from_file(path),
        None => crate::database_update::database_in_use(options.downloaded_database_location().as_deref()),
    }
    .map_err(|error| StartError::DeviceConfig(format!("The device database could not be loaded: {error}")))?;
    for warning in &database.warnings {
        tracing::debug!(%warning, "device database");
    }
    if !database.skipped_protocols.is_empty() {
        tracing::info!(
            skipped = database.skipped_protocols.len(),
            "device database: protocols Plugboard does not implement were left out: {}",
            database.skipped_protocols.join(", ")
        );
    }
    let loaded = load_user_config(options)
        .map_err(|error| StartError::DeviceConfig(format!("The user device config could not be loaded: {error}")))?;
    for warning in &loaded.warnings {
        tracing::warn!(%warning, "user device config");
    }
    for binding in plugboard_devices::config::matching::bindings_to_unknown_protocols(&loaded.config, &database) {
        tracing::warn!(
            "user device config: {binding}, so that device cannot connect. Use a protocol name of the device \
             database (`plugboard-engine --list-protocols` prints them)"
        );
    }
    tracing::info!(database = %database.source, user_config = %loaded.write_path.display(), "device configuration loaded");
    let bound_ports: Vec<String> = loaded.config.serial_ports.iter().map(|binding| binding.port.clone()).collect();
    let events = devices.attach_hardware(database, loaded.config, Some(loaded.write_path));

    let mut websocket_address = None;
    if options.use_device_websocket_server {
        let config = if options.device_websocket_all_interfaces {
            WebsocketConfig::all_interfaces(options.device_websocket_port)
        } else {
            WebsocketConfig::localhost(options.device_websocket_port)
        };
        let transport = WebsocketTransport::start(config, events.clone())
            .await
            .map_err(|error| StartError::Transport { transport: "device-websocket", message: error.to_string() })?;
        websocket_address = Some(transport.local_addr());
        tracing::info!(address = %transport.local_addr(), "device-websocket server listening");
        devices.add_transport(Arc::new(transport));
    }
    if options.use_serial {
        devices.add_transport(Arc::new(SerialTransport::new(bound_ports, events.clone())));
    }
    if options.use_bluetooth_le {
        devices.add_transport(Arc::new(BleTransport::new(events)));
    }
    Ok(websocket_address)
}
