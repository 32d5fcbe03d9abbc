//! Devices that answer, end to end: found by a transport, connected through the pipeline and
//! their protocol (a handshake with what the device advertised), then subscribed and read
//! through the manager and the device task, with readings coming back as [`InputEvent`]s.

use std::sync::Arc;
use std::time::Duration;

use plugboard_protocol::model::{InputType, Reading, StopScope};
use tokio::sync::broadcast;

use crate::config::database::Database;
use crate::config::matching::{BleAdvertisement, Discovered};
use crate::config::user::UserConfig;
use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError};
use crate::manager::{DeviceEvent, DeviceManager, InputEvent};
use crate::testing::{wait_until, Event, FakeConnector, FakeHardware};
use crate::transport::{ConnectPlan, Connector, FoundDevice, TransportEvent};

/// A manager with the built-in database, and `hw` found over BLE under its name; returns the
/// device's index once it is connected.
async fn connect(hw: Arc<FakeHardware>) -> (Arc<DeviceManager>, u32) {
    connect_advertising(hw, Vec::new()).await
}

/// [`connect`] for a device that advertises manufacturer data.
async fn connect_advertising(
    hw: Arc<FakeHardware>,
    manufacturer_data: Vec<(u16, Vec<u8>)>,
) -> (Arc<DeviceManager>, u32) {
    let manager = DeviceManager::new();
    let mut events = manager.subscribe();
    manager.attach_hardware(Database::builtin().unwrap(), UserConfig::default(), None);
    let advertisement = BleAdvertisement { name: hw.name().to_owned(), manufacturer_data, services: Vec::new() };
    manager.connect_found_device(FoundDevice {
        transport: "ble",
        address: hw.address().to_owned(),
        discovered: Discovered::Ble(advertisement),
        connector: Arc::new(FakeConnector(hw)),
    });
    let added = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(DeviceEvent::Added(info)) = events.recv().await {
                return info.index;
            }
        }
    });
    (manager, added.await.expect("the device connects"))
}

fn boost() -> Arc<FakeHardware> {
    Arc::new(FakeHardware::with_endpoints(
        "Boost",
        "AA:00:00:00:00:01",
        &[Endpoint::RxPressure, Endpoint::RxBleBattery],
    ))
}

async fn next_reading(readings: &mut broadcast::Receiver<InputEvent>) -> InputEvent {
    tokio::time::timeout(Duration::from_secs(5), readings.recv()).await.expect("a reading").expect("the channel")
}

fn pressure_subscriptions(hw: &FakeHardware) -> Vec<Event> {
    hw.events()
        .into_iter()
        .filter(|event| {
            matches!(event, Event::Subscribe(Endpoint::RxPressure) | Event::Unsubscribe(Endpoint::RxPressure))
        })
        .collect()
}

#[tokio::test]
async fn pressure_readings_reach_the_clients_subscribed_to_them() {
    let hw = boost();
    let (manager, index) = connect(hw.clone()).await;
    let mut readings = manager.subscribe_readings();
    assert!(!hw.notify(Endpoint::RxPressure, &[0, 0, 0, 1, 0x2c, 3, 0xe8]), "nothing subscribed before a client asks");

    manager.subscribe_input(1, index, 0, InputType::Pressure).await.unwrap();
    assert!(hw.notify(Endpoint::RxPressure, &[0, 0, 0, 1, 0x2c, 3, 0xe8]));
    let event = next_reading(&mut readings).await;
    assert_eq!((event.device_index, event.feature_index, event.reading), (index, 0, Reading::Pressure(300)));
    assert_eq!(&*event.subscribers, &[1], "the raw pressure (feature 1) has no subscriber");

    // The same normalised pressure again is no news; a new one is.
    hw.notify(Endpoint::RxPressure, &[0, 0, 0, 1, 0x2c, 3, 0xe9]);
    hw.notify(Endpoint::RxPressure, &[0, 0, 0, 1, 0x2d, 3, 0xe9]);
    assert_eq!(next_reading(&mut readings).await.reading, Reading::Pressure(301));

    // A second client on the other pressure: one endpoint, subscribed once.
    manager.subscribe_input(2, index, 1, InputType::Pressure).await.unwrap();
    manager.subscribe_input(2, index, 1, InputType::Pressure).await.unwrap();
    hw.notify(Endpoint::RxPressure, &[0, 0, 0, 1, 0x2d, 3, 0xea]);
    let event = next_reading(&mut readings).await;
    assert_eq!((event.feature_index, event.reading, &*event.subscribers), (1, Reading::Pressure(1002), &[2][..]));
    assert_eq!(pressure_subscriptions(&hw), [Event::Subscribe(Endpoint::RxPressure)]);

    // Client 1 leaves: client 2 keeps its readings and the endpoint stays subscribed.
    manager.unsubscribe_input(1, index, 0, InputType::Pressure);
    hw.notify(Endpoint::RxPressure, &[0, 0, 0, 1, 0x2e, 3, 0xeb]);
    let event = next_reading(&mut readings).await;
    assert_eq!((event.feature_index, event.reading), (1, Reading::Pressure(1003)), "not feature 0's 302");

    // Client 2's stop of the device ends its subscriptions, and the device unsubscribes.
    manager.stop(Some(2), StopScope::device(index)).unwrap();
    wait_until(
        "the device to unsubscribe",
        Duration::from_secs(5),
        async || pressure_subscriptions(&hw),
        |events| events.len() == 2,
    )
    .await;
    assert_eq!(
        pressure_subscriptions(&hw),
        [Event::Subscribe(Endpoint::RxPressure), Event::Unsubscribe(Endpoint::RxPressure)]
    );
    assert!(!hw.notify(Endpoint::RxPressure, &[0, 0, 0, 1, 0x2f, 3, 0xec]));
}

#[tokio::test]
async fn an_input_that_cannot_be_subscribed_is_refused() {
    let hw = boost();
    let (manager, index) = connect(hw.clone()).await;
    let battery = manager.subscribe_input(1, index, 2, InputType::Battery).await.unwrap_err();
    assert_eq!(battery.text(), format!("Device {index} cannot subscribe to Battery on feature 2."));
    assert!(manager.subscribe_input(1, index, 0, InputType::Button).await.is_err());
    assert!(manager.subscribe_input(1, index + 1, 0, InputType::Pressure).await.is_err(), "no such device");
    assert!(pressure_subscriptions(&hw).is_empty());
    // Unsubscribing what was never subscribed is no error (and does nothing).
    manager.unsubscribe_input(1, index, 0, InputType::Pressure);
}

#[tokio::test]
async fn a_failed_subscribe_is_reported_and_forgotten() {
    /// Refuses every subscribe after connecting.
    struct Stubborn(Arc<FakeHardware>);
    impl Hardware for Stubborn {
        fn name(&self) -> &str {
            self.0.name()
        }
        fn address(&self) -> &str {
            self.0.address()
        }
        fn endpoints(&self) -> &[Endpoint] {
            self.0.endpoints()
        }
        fn write(&self, write: crate::hardware::Write) -> BoxFuture<'_, Result<(), HardwareError>> {
            self.0.write(write)
        }
        fn read(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<Vec<u8>, HardwareError>> {
            self.0.read(endpoint)
        }
        fn subscribe(&self, _endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
            Box::pin(async { Err(HardwareError::Io("GATT error".into())) })
        }
        fn unsubscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
            self.0.unsubscribe(endpoint)
        }
        fn notifications(&self) -> broadcast::Receiver<crate::hardware::Notification> {
            self.0.notifications()
        }
        fn disconnect(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
            self.0.disconnect()
        }
    }
    struct StubbornConnector(Arc<FakeHardware>);
    impl Connector for StubbornConnector {
        fn connect(&self, _plan: ConnectPlan) -> BoxFuture<'_, Result<Arc<dyn Hardware>, HardwareError>> {
            let hardware: Arc<dyn Hardware> = Arc::new(Stubborn(self.0.clone()));
            Box::pin(async move { Ok(hardware) })
        }
    }
    let manager = DeviceManager::new();
    let mut events = manager.subscribe();
    let sender = manager.attach_hardware(Database::builtin().unwrap(), UserConfig::default(), None);
    let hw = boost();
    sender
        .send(TransportEvent::Found(FoundDevice {
            transport: "ble",
            address: hw.address().to_owned(),
            discovered: Discovered::Ble(BleAdvertisement {
                name: "Boost".into(),
                manufacturer_data: Vec::new(),
                services: Vec::new(),
            }),
            connector: Arc::new(StubbornConnector(hw)),
        }))
        .unwrap();
    let index = loop {
        if let Ok(DeviceEvent::Added(info)) = events.recv().await {
            break info.index;
        }
    };
    let error = manager.subscribe_input(1, index, 0, InputType::Pressure).await.unwrap_err();
    assert_eq!(
        error.text(),
        format!("Device {index} could not subscribe to Pressure: hardware I/O failed: GATT error.")
    );
    let again = manager.subscribe_input(2, index, 0, InputType::Pressure).await.unwrap_err();
    assert_eq!(again.text(), error.text(), "the next subscriber tries the device again");
}

fn yiciyuan(battery: Option<u8>) -> Arc<FakeHardware> {
    let hw = Arc::new(FakeHardware::with_endpoints(
        "YCY-FJB-01",
        "AA:00:00:00:00:02",
        &[Endpoint::Tx, Endpoint::RxBleBattery],
    ));
    if let Some(battery) = battery {
        hw.simulate(crate::protocols::yiciyuan::simulated::Toy { battery });
    }
    hw
}

#[tokio::test]
async fn a_pushed_battery_level_answers_battery_reads() {
    let hw = yiciyuan(Some(75));
    let (manager, index) = connect(hw.clone()).await;
    assert_eq!(manager.read(index, 3, InputType::Battery).await, Ok(Reading::Battery(75)));
    assert!(hw.notify(Endpoint::RxBleBattery, &[0x35, 0x13, 0x00, 0x40]));
    // The last level pushed: the notification reaches the manager asynchronously.
    let reading = wait_until(
        "the pushed battery level",
        Duration::from_secs(5),
        async || manager.read(index, 3, InputType::Battery).await,
        |reading| *reading == Ok(Reading::Battery(64)),
    )
    .await;
    assert_eq!(reading, Ok(Reading::Battery(64)), "the last level pushed");
    assert!(
        !hw.events().iter().any(|event| matches!(event, Event::Read(_))),
        "never read: the characteristic only notifies"
    );
}

#[tokio::test(start_paused = true)]
async fn a_battery_read_waits_a_bounded_time_for_the_first_push() {
    let hw = yiciyuan(None);
    let (manager, index) = connect(hw.clone()).await;
    let started = tokio::time::Instant::now();
    let error = manager.read(index, 3, InputType::Battery).await.unwrap_err();
    assert_eq!(started.elapsed(), crate::device_inputs::PUSHED_BATTERY_WAIT);
    assert_eq!(
        error.text(),
        format!(
            "Device {index} did not report its battery: timed out waiting for the device to report its battery level."
        )
    );

    // A push while a read waits answers it at once.
    let manager_for_read = manager.clone();
    let read = tokio::spawn(async move { manager_for_read.read(index, 3, InputType::Battery).await });
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(hw.notify(Endpoint::RxBleBattery, &[0x35, 0x13, 0x00, 0x32]));
    assert_eq!(read.await.unwrap(), Ok(Reading::Battery(50)));
    assert!(started.elapsed() < crate::device_inputs::PUSHED_BATTERY_WAIT * 2);
}

#[tokio::test]
async fn a_device_that_goes_away_takes_its_subscriptions_with_it() {
    let hw = boost();
    let (manager, index) = connect(hw.clone()).await;
    let mut events = manager.subscribe();
    manager.subscribe_input(1, index, 0, InputType::Pressure).await.unwrap();
    hw.drop_connection();
    let removed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(DeviceEvent::Removed { index: removed }) = events.recv().await {
                return removed;
            }
        }
    });
    assert_eq!(removed.await.unwrap(), index);
    let error = manager.subscribe_input(1, index, 0, InputType::Pressure).await.unwrap_err();
    assert_eq!(error, plugboard_protocol::Error::device_not_available(index));
}

#[tokio::test]
async fn a_fluffer_authenticates_with_what_it_advertised() {
    use crate::protocols::fluffer;
    let hw = Arc::new(FakeHardware::new("MBO", "AA:00:00:00:00:03"));
    hw.simulate(fluffer::simulated::Toy {
        manufacturer_data: crate::protocols::simulated_devices::FLUFFER_MANUFACTURER_DATA,
    });
    let data = crate::protocols::simulated_devices::FLUFFER_MANUFACTURER_DATA.to_vec();
    let (manager, index) = connect_advertising(hw.clone(), vec![(fluffer::COMPANY, data)]).await;
    let writes = hw.writes();
    assert_eq!(writes.len(), 2, "the challenge, then the write after the toy agreed: {writes:02x?}");
    assert_eq!(fluffer::CIPHER.decrypt(&writes[1].data), Ok(fluffer::AFTER_AUTHENTICATION.to_vec()));
    assert_eq!(manager.devices()[0].index, index);
    assert_eq!(manager.devices()[0].name, "MotorBunny Classic (Fluffer version)");
}
