//! Clients inside the process: the desktop window's per-output controls, the REST API (the
//! `rest` module), and later the other front doors (docs/architecture.md, Clients and
//! ownership: every way a command arrives is a client).
//!
//! A local client is registered in the client registry with its kind, so front ends list it
//! next to the Buttplug clients. Its commands take the engine's command path under its own
//! id, as a session's do: it owns the outputs it sets, a game's command to one of them takes
//! it over, a stop of its own stops only what it still owns, and the user's STOP ALL stops its
//! outputs with everything else. The device access the user gave its name and the message
//! rate limit apply to it as to any client. Dropping it stops what it runs and unregisters it.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use plugboard_devices::ClientId;
use plugboard_protocol::model::{FeatureCommand, InputType, OutputCommand, OutputType, Reading, StopScope};
use plugboard_protocol::Error;
use tokio::time::Instant;

use crate::approval::Approval;
use crate::clients::{ClientKind, ClientSnapshot};
use crate::events::EngineEvent;
use crate::limits::{self, RateLimiter};
use crate::shared::Shared;

/// A client of the engine that lives in the same process. Get one with
/// [`crate::Engine::local_client`].
pub struct LocalClient {
    shared: Arc<Shared>,
    id: ClientId,
    name: String,
    rate: Mutex<RateLimiter>,
}

impl LocalClient {
    pub(crate) fn register(shared: Arc<Shared>, kind: ClientKind, name: &str) -> LocalClient {
        let id = shared.next_client_id();
        let snapshot = ClientSnapshot {
            id,
            kind,
            name: Some(name.to_owned()),
            spec_version: None,
            peer: None,
            origin: None,
            connected_since: SystemTime::now(),
            messages_in: 0,
            messages_out: 0,
            last_error: None,
            approval: Approval::NotNeeded,
        };
        // Local clients do not count towards the limit, so registering cannot fail.
        let _ = shared.clients.register(snapshot.clone(), usize::MAX);
        tracing::info!(client = id, ?kind, name, "local client connected");
        shared.emit(EngineEvent::ClientConnected(Box::new(snapshot)));
        let rate = RateLimiter::new(shared.config.limits.max_messages_per_second, Instant::now());
        LocalClient { shared, id, name: name.to_owned(), rate: Mutex::new(rate) }
    }

    /// Its id in the client registry, and as the owner of the outputs it sets.
    pub fn id(&self) -> ClientId {
        self.id
    }

    /// Sets one output of a device to `value`, in the steps of the range the device
    /// advertises (a position with `duration_ms`, the time the move takes).
    pub fn set_output(
        &self,
        device_index: u32,
        feature_index: u32,
        kind: OutputType,
        value: i32,
        duration_ms: Option<u32>,
    ) -> Result<(), Error> {
        let command = FeatureCommand { feature_index, command: OutputCommand { kind, value, duration_ms } };
        self.set_outputs(device_index, &[command])
    }

    /// Sets several outputs of one device together: one command to the device, so a device
    /// whose packet carries every motor gets one write (docs/architecture.md, Safety). Every
    /// entry is checked first; one that does not fit changes nothing.
    pub fn set_outputs(&self, device_index: u32, commands: &[FeatureCommand]) -> Result<(), Error> {
        self.admit()?;
        commands
            .iter()
            .try_for_each(|entry| {
                let OutputCommand { kind, value, duration_ms } = entry.command;
                self.check_output(device_index, entry.feature_index, kind, value, duration_ms)
            })
            .and_then(|()| self.shared.devices.command(self.id, device_index, commands))
            .inspect_err(|error| self.failed(error))
    }

    /// Reads one input of a device (a battery level, a signal strength).
    pub async fn read(&self, device_index: u32, feature_index: u32, kind: InputType) -> Result<Reading, Error> {
        self.admit()?;
        self.check_access(device_index)?;
        let reading = self.shared.devices.read(device_index, feature_index, kind).await;
        reading.inspect_err(|error| self.failed(error))
    }

    /// Stops the outputs this client still owns (those a game took over keep running).
    pub fn stop(&self) {
        let _ = self.shared.devices.stop(Some(self.id), StopScope::EVERYTHING);
    }

    /// Stops the outputs of one device that this client still owns, in one write where the
    /// device's protocol allows it. A stop is counted but never held to the message rate.
    pub fn stop_device(&self, device_index: u32) -> Result<(), Error> {
        self.shared.clients.count_messages(self.id, 1, 0);
        self.check_access(device_index)?;
        self.shared.devices.stop(Some(self.id), StopScope::device(device_index))
    }

    /// Counts the command, and refuses it beyond the message rate every client is held to.
    fn admit(&self) -> Result<(), Error> {
        self.shared.clients.count_messages(self.id, 1, 0);
        let mut rate = self.rate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if rate.admit(1, Instant::now()).admitted == 0 {
            return Err(limits::rate_exceeded(self.shared.config.limits.max_messages_per_second));
        }
        Ok(())
    }

    /// A device the user keeps from this client's name looks like one that is not connected,
    /// as it does to a Buttplug client.
    fn check_access(&self, device_index: u32) -> Result<(), Error> {
        let allowed = self.shared.access.allowed_for(&self.name);
        let address = self.shared.devices.address_of(device_index);
        match (allowed, address) {
            (_, None) => Err(Error::device_not_available(device_index)),
            (Some(allowed), Some(address)) if !allowed.contains(&address) => {
                Err(Error::device_not_available(device_index))
            }
            _ => Ok(()),
        }
    }

    /// The command fits the output the device advertises: its range, and a duration where the
    /// output takes one.
    fn check_output(
        &self,
        device_index: u32,
        feature_index: u32,
        kind: OutputType,
        value: i32,
        duration_ms: Option<u32>,
    ) -> Result<(), Error> {
        self.check_access(device_index)?;
        let output = self.shared.devices.with_lookup(|devices| {
            let feature = devices.device(device_index)?.feature(feature_index)?;
            feature.output(kind).cloned()
        });
        let Some(output) = output else {
            return Err(Error::device(format!(
                "Feature {feature_index} of device {device_index} has no {} output.",
                kind.v4_name()
            )));
        };
        if !output.range.contains(value) {
            return Err(Error::device(format!(
                "{value} is outside the range of this {} output ({} to {}).",
                kind.v4_name(),
                output.range.min,
                output.range.max
            )));
        }
        match (output.duration, duration_ms) {
            (Some(range), Some(duration)) if !range.contains(i32::try_from(duration).unwrap_or(i32::MAX)) => {
                Err(Error::device(format!(
                    "A move takes {} to {} ms; {duration} ms is outside that.",
                    range.min, range.max
                )))
            }
            (Some(_), None) => Err(Error::device("This output moves to a position in a given time: give the time.")),
            (None, Some(_)) => Err(Error::device(format!("This {} output takes no duration.", kind.v4_name()))),
            _ => Ok(()),
        }
    }

    /// Shows the error as this client's last one, as a session does.
    fn failed(&self, error: &Error) {
        let text = error.text().to_owned();
        if let Some(snapshot) = self.shared.clients.update(self.id, |client| client.last_error = Some(text)) {
            self.shared.emit(EngineEvent::ClientChanged(Box::new(snapshot)));
        }
    }
}

impl Drop for LocalClient {
    fn drop(&mut self) {
        self.stop();
        self.shared.clients.remove(self.id);
        self.shared.emit(EngineEvent::ClientDisconnected { id: self.id });
        tracing::info!(client = self.id, "local client disconnected");
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};

    use super::*;
    use crate::{Engine, EngineConfig};

    const GAME: ClientId = 9_000;

    async fn engine_with(kinds: &[VirtualKind]) -> Engine {
        let mut config = EngineConfig::loopback(0);
        config.virtual_devices = kinds.iter().map(|&kind| VirtualDeviceSpec::new(kind)).collect();
        Engine::start(config).await.expect("engine starts")
    }

    fn owner(engine: &Engine, device: u32, feature: u32) -> Option<ClientId> {
        let devices = engine.devices();
        let level = devices[device as usize].outputs.iter().find(|level| level.feature_index == feature).copied();
        level.and_then(|level| level.owner)
    }

    #[tokio::test]
    async fn the_window_is_a_client_that_owns_what_it_sets_until_a_game_takes_it_over() {
        let engine = engine_with(&[VirtualKind::DualVibrator]).await;
        let window = engine.local_client(ClientKind::Window, "this window");
        let listed = engine.clients();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].id, listed[0].kind, listed[0].peer), (window.id(), ClientKind::Window, None));
        assert_eq!(listed[0].kind.label(None), "this window");

        window.set_output(0, 0, OutputType::Vibrate, 12, None).unwrap();
        window.set_output(0, 1, OutputType::Vibrate, 5, None).unwrap();
        assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(12));
        assert_eq!(owner(&engine, 0, 0), Some(window.id()));

        // A game drives the second motor: it is the game's now, and the window's stop leaves it.
        let game = FeatureCommand {
            feature_index: 1,
            command: OutputCommand { kind: OutputType::Vibrate, value: 9, duration_ms: None },
        };
        engine.device_manager().command(GAME, 0, &[game]).unwrap();
        assert_eq!(owner(&engine, 0, 1), Some(GAME));
        window.stop();
        assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0));
        assert_eq!(engine.output_level(0, 1, OutputType::Vibrate), Some(9), "the game's output runs on");

        // Gone: what it ran stops, and it leaves the list.
        window.set_output(0, 0, OutputType::Vibrate, 3, None).unwrap();
        drop(window);
        assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0));
        assert_eq!(engine.output_level(0, 1, OutputType::Vibrate), Some(9));
        assert!(engine.clients().is_empty());
        engine.stop().await;
    }

    #[tokio::test]
    async fn stop_all_and_disconnect_stop_the_windows_outputs() {
        let engine = engine_with(&[VirtualKind::Vibrator]).await;
        let window = engine.local_client(ClientKind::Window, "this window");
        window.set_output(0, 0, OutputType::Vibrate, 20, None).unwrap();
        engine.stop_all().await;
        assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0));
        window.set_output(0, 0, OutputType::Vibrate, 20, None).unwrap();
        assert!(engine.disconnect_client(window.id()).await);
        assert_eq!(engine.output_level(0, 0, OutputType::Vibrate), Some(0));
        assert_eq!(engine.clients().len(), 1, "a client inside the process stays until dropped");
        engine.stop().await;
    }

    #[tokio::test]
    async fn commands_are_checked_against_what_the_device_advertises() {
        let engine = engine_with(&[VirtualKind::Vibrator, VirtualKind::Stroker, VirtualKind::LovenseMax]).await;
        let window = engine.local_client(ClientKind::Window, "this window");
        let error = |result: Result<(), Error>| result.unwrap_err().text().to_owned();
        assert_eq!(
            error(window.set_output(0, 0, OutputType::Vibrate, 21, None)),
            "21 is outside the range of this Vibrate output (0 to 20)."
        );
        assert_eq!(
            error(window.set_output(0, 0, OutputType::Rotate, 1, None)),
            "Feature 0 of device 0 has no Rotate output."
        );
        assert!(error(window.set_output(7, 0, OutputType::Vibrate, 1, None)).starts_with("Device 7 is not connected."));
        assert!(error(window.set_output(1, 0, OutputType::HwPositionWithDuration, 50, None)).contains("give the time"));
        assert!(error(window.set_output(0, 0, OutputType::Vibrate, 5, Some(100))).contains("takes no duration"));
        window.set_output(1, 0, OutputType::HwPositionWithDuration, 80, Some(500)).unwrap();
        assert_eq!(engine.output_level(1, 0, OutputType::HwPositionWithDuration), Some(80));
        let last_error = engine.clients()[0].last_error.clone();
        assert!(last_error.is_some_and(|text| text.contains("takes no duration")), "shown like a session's last error");

        assert_eq!(window.read(2, 2, InputType::Battery).await, Ok(Reading::Battery(80)));
        assert!(window.read(0, 0, InputType::Battery).await.is_err());

        // The user keeps the window's name from the vibrator: it looks disconnected to it.
        engine.set_device_access("this window", Some(BTreeSet::from(["virtual:1".to_owned()])));
        assert!(error(window.set_output(0, 0, OutputType::Vibrate, 1, None)).starts_with("Device 0 is not connected."));
        window.set_output(1, 0, OutputType::HwPositionWithDuration, 10, Some(100)).unwrap();
        engine.stop().await;
    }

    #[tokio::test]
    async fn the_window_is_held_to_the_message_rate() {
        let mut config = EngineConfig::loopback(0);
        config.virtual_devices = vec![VirtualDeviceSpec::new(VirtualKind::Vibrator)];
        config.limits.max_messages_per_second = 10;
        let engine = Engine::start(config).await.unwrap();
        let window = engine.local_client(ClientKind::Window, "this window");
        let results: Vec<bool> =
            (0..12).map(|step| window.set_output(0, 0, OutputType::Vibrate, step % 20, None).is_ok()).collect();
        assert_eq!(results.iter().filter(|ok| **ok).count(), 10, "{results:?}");
        assert_eq!(engine.clients()[0].messages_in, 12);
        engine.stop().await;
    }
}
