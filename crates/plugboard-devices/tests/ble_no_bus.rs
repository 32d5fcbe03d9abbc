//! The BLE transport on a machine without a D-Bus system bus: it reports why Bluetooth is
//! unavailable and keeps running. (Its own test binary: libdbus reads the bus address once per
//! process, and this one points nowhere.)

use std::time::Duration;

use plugboard_devices::testing::wait_until;
use plugboard_devices::transport::ble::BleTransport;
use plugboard_devices::transport::{HardwareStatus, Transport, TransportEvent};
use tokio::sync::mpsc;

#[tokio::test]
async fn ble_without_a_system_bus_is_unavailable_and_does_not_panic() {
    std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent");
    let (sender, mut events) = mpsc::unbounded_channel();
    let ble = BleTransport::new(sender);

    let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.expect("a status in time");
    let Some(TransportEvent::Status { transport: "ble", status }) = event else { panic!("unexpected {event:?}") };
    let HardwareStatus::Unavailable { reason, remedy } = &status else { panic!("not unavailable: {status:?}") };
    assert!(reason.contains("D-Bus system bus"), "{reason}");
    assert!(remedy.contains("systemctl start"), "{remedy}");
    assert_eq!(ble.status(), status);

    // Scanning requests are accepted (and wait for Bluetooth); the retry loop stays quiet and
    // alive: it looks again every second, and does not report the same status again (what a
    // look reports is sent before it counts).
    ble.start_scanning().await.expect("start scanning");
    ble.stop_scanning().await.expect("stop scanning");
    let looks = ble.looks_for_an_adapter();
    let looking = async || ble.looks_for_an_adapter();
    wait_until("two more looks for Bluetooth", Duration::from_secs(10), looking, |&now| now >= looks + 2).await;
    assert!(events.try_recv().is_err(), "unchanged status reported again");
    assert_eq!(ble.status(), status);
    drop(ble);
}
