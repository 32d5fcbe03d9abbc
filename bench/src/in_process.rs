//! An engine inside the bench: this checkout's `plugboard-server`, for the figures that need to
//! see into the engine (virtual devices) or to run something the engine binary cannot be
//! configured for from outside. The stop figure and the Lovense API figure both use it.
//!
//! The engine runs on a runtime of its own with two worker threads, as the engine binary has,
//! so that the bench's tasks and the engine's do not queue behind each other. Its device
//! websocket server is on (port chosen by the system), its user device config binds the
//! simulated devices' identifiers to their protocols, and the message rate limit is off: the
//! figures measure latency, and the bench's clients together would come near the limit on a
//! fast machine.

use plugboard_server::{Engine, EngineConfig};
use serde_json::{json, Value};

/// A running engine and what it needs to keep running.
pub struct InProcessEngine {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    /// Holds the user device config until the engine stops.
    _config_dir: tempfile::TempDir,
}

impl InProcessEngine {
    /// Starts an engine whose device websocket server binds each `(identifier, protocol)`;
    /// `adjust` changes the rest of its configuration (virtual devices, the Lovense API).
    pub async fn start<'a>(
        name: &str,
        bindings: impl IntoIterator<Item = (&'a str, &'a str)>,
        adjust: impl FnOnce(&mut EngineConfig),
    ) -> Result<InProcessEngine, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("engine")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let config_dir = tempfile::Builder::new()
            .prefix(&format!("plugboard-bench-{name}-"))
            .tempdir()
            .map_err(|e| e.to_string())?;
        let user_config = config_dir.path().join("user-device-config.json");
        let websocket_devices: Vec<Value> = bindings
            .into_iter()
            .map(|(identifier, protocol)| json!({"identifier": identifier, "protocol": protocol}))
            .collect();
        let text =
            json!({"format": "plugboard-user-device-config", "version": 1, "websocket_devices": websocket_devices});
        std::fs::write(&user_config, text.to_string()).map_err(|e| e.to_string())?;

        let mut config = EngineConfig::loopback(0);
        config.devices.use_device_websocket_server = true;
        config.devices.device_websocket_port = 0;
        config.devices.own_user_config_path = Some(user_config);
        config.limits.max_messages_per_second = 0;
        adjust(&mut config);
        let engine = runtime
            .spawn(Engine::start(config))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("the in-process engine does not start: {e}"))?;
        Ok(InProcessEngine { runtime, engine, _config_dir: config_dir })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The websocket port for Buttplug clients.
    pub fn port(&self) -> u16 {
        self.engine.port()
    }

    /// The device websocket server's port.
    pub fn device_port(&self) -> u16 {
        self.engine.device_websocket_address().map_or(0, |address| address.port())
    }

    /// Stops the engine and its runtime.
    pub async fn stop(self) {
        let InProcessEngine { runtime, engine, _config_dir } = self;
        let _ = runtime.spawn(engine.stop()).await;
        runtime.shutdown_background();
    }
}
