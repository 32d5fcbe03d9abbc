//! Desktop notifications about devices: one when a device connects or disconnects, and one
//! when its battery falls under [`LOW_BATTERY`] percent (once per fall, not at every reading).
//! Each has its setting (`notifyDeviceConnections`, `notifyLowBattery`), both on by default:
//! the window is usually hidden behind a game, and a toy that dropped out or is about to is
//! what the user would otherwise not notice (docs/architecture.md, the desktop app). The names
//! shown are the ones the user gave, so a discreet name keeps the notification discreet.

use std::collections::HashMap;

use plugboard_server::{DeviceEvent, EngineEvent, EngineEvents};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast;

use crate::models::Settings;
use crate::state::AppState;

/// Under this battery level, in percent, the user is told.
pub const LOW_BATTERY: u8 = 15;

/// The notification plugin. None of its commands is granted to the page: only the shell sends.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_notification::init()
}

/// One notification: its summary line and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub summary: String,
    pub body: String,
}

/// What the user was told about one device.
struct Known {
    name: String,
    battery_low: bool,
}

/// Turns one engine's device events into notices. One per engine run: a new run starts with
/// every device unknown.
#[derive(Default)]
pub struct Announcer {
    devices: HashMap<u32, Known>,
}

impl Announcer {
    /// The notice `event` calls for under `settings`, if any.
    pub fn on_event(&mut self, event: &DeviceEvent, settings: &Settings) -> Option<Notice> {
        match event {
            DeviceEvent::Added(info) => {
                let name = info.display_name.clone().unwrap_or_else(|| info.name.clone());
                self.devices.insert(info.index, Known { name: name.clone(), battery_low: false });
                settings.notify_device_connections.then(|| Notice {
                    summary: format!("{name} connected"),
                    body: "Games and apps connected to Plugboard can use it now.".into(),
                })
            }
            DeviceEvent::Changed(info) => {
                let known = self.devices.get_mut(&info.index)?;
                known.name = info.display_name.clone().unwrap_or_else(|| info.name.clone());
                None
            }
            DeviceEvent::Removed { index } => {
                let known = self.devices.remove(index)?;
                settings.notify_device_connections.then(|| Notice {
                    summary: format!("{} disconnected", known.name),
                    body: "Plugboard can no longer reach it: check that it is on and in range.".into(),
                })
            }
            DeviceEvent::Battery { index, percent } => {
                let known = self.devices.get_mut(index)?;
                let low = *percent < LOW_BATTERY;
                let fell = low && !known.battery_low;
                known.battery_low = low;
                (fell && settings.notify_low_battery).then(|| Notice {
                    summary: format!("{} battery low", known.name),
                    body: format!("{percent} % left: charge it soon."),
                })
            }
            DeviceEvent::OutputChanged { .. } | DeviceEvent::ScanningFinished | DeviceEvent::HardwareStatus { .. } => {
                None
            }
        }
    }
}

/// From now on, every engine the app starts has its device events announced.
pub fn announce_device_events<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    app.state::<AppState>().on_engine_start(move |events| {
        tauri::async_runtime::spawn(announce(handle.clone(), events));
    });
}

/// Shows the notices of one engine run, until it stops.
async fn announce<R: Runtime>(app: AppHandle<R>, mut events: EngineEvents) {
    let mut announcer = Announcer::default();
    loop {
        match events.recv().await {
            Ok(EngineEvent::Device(event)) => {
                let settings = app.state::<AppState>().settings();
                if let Some(notice) = announcer.on_event(&event, &settings) {
                    show(&app, notice);
                }
            }
            Ok(EngineEvent::Stopped) | Err(broadcast::error::RecvError::Closed) => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "device notifications fell behind; some were skipped");
            }
        }
    }
}

fn show<R: Runtime>(app: &AppHandle<R>, notice: Notice) {
    tracing::debug!(summary = %notice.summary, "desktop notification");
    let sent = app.notification().builder().title(&notice.summary).body(&notice.body).show();
    if let Err(error) = sent {
        tracing::warn!("the desktop notification \"{}\" could not be shown: {error}", notice.summary);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plugboard_server::DeviceInfo;

    use super::*;

    fn device_info(index: u32, name: &str) -> DeviceInfo {
        DeviceInfo { index, name: name.into(), display_name: None, message_gap_ms: 0, features: Vec::new() }
    }

    fn notice(summary: &str, body: &str) -> Option<Notice> {
        Some(Notice { summary: summary.into(), body: body.into() })
    }

    #[test]
    fn connections_are_announced_by_the_name_the_user_gave() {
        let settings = Settings::default();
        let mut announcer = Announcer::default();
        let added = DeviceEvent::Added(Arc::new(device_info(3, "Lovense Hush")));
        assert_eq!(
            announcer.on_event(&added, &settings),
            notice("Lovense Hush connected", "Games and apps connected to Plugboard can use it now.")
        );
        let mut renamed = device_info(3, "Lovense Hush");
        renamed.display_name = Some("Blue one".into());
        assert_eq!(announcer.on_event(&DeviceEvent::Changed(Arc::new(renamed)), &settings), None);
        assert_eq!(
            announcer.on_event(&DeviceEvent::Removed { index: 3 }, &settings),
            notice("Blue one disconnected", "Plugboard can no longer reach it: check that it is on and in range.")
        );
        assert_eq!(announcer.on_event(&DeviceEvent::Removed { index: 3 }, &settings), None, "told once");
    }

    #[test]
    fn a_low_battery_is_announced_once_per_fall() {
        let settings = Settings::default();
        let mut announcer = Announcer::default();
        announcer.on_event(&DeviceEvent::Added(Arc::new(device_info(0, "Max"))), &settings);
        let battery = |percent| DeviceEvent::Battery { index: 0, percent };
        let mut told = |percent| announcer.on_event(&battery(percent), &settings);
        assert_eq!(told(73), None);
        assert_eq!(told(15), None, "15 % is not under 15 %");
        assert_eq!(told(14), notice("Max battery low", "14 % left: charge it soon."));
        assert_eq!(told(9), None, "still low: not told again");
        assert_eq!(told(60), None, "charged");
        assert_eq!(told(3), notice("Max battery low", "3 % left: charge it soon."), "a new fall");
    }

    #[test]
    fn each_kind_has_its_setting() {
        let quiet = Settings { notify_device_connections: false, notify_low_battery: false, ..Settings::default() };
        let mut announcer = Announcer::default();
        assert_eq!(announcer.on_event(&DeviceEvent::Added(Arc::new(device_info(0, "Max"))), &quiet), None);
        assert_eq!(announcer.on_event(&DeviceEvent::Battery { index: 0, percent: 5 }, &quiet), None);
        assert_eq!(announcer.on_event(&DeviceEvent::Removed { index: 0 }, &quiet), None);
        // A battery of a device it never heard of (the engine's first events came before).
        let loud = Settings::default();
        assert_eq!(announcer.on_event(&DeviceEvent::Battery { index: 9, percent: 5 }, &loud), None);
    }
}
