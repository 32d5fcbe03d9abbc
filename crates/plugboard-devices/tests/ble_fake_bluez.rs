//! The BLE transport through btleplug's real BlueZ backend, against a fake BlueZ.
//!
//! This machine (and CI) has no Bluetooth in the kernel, but btleplug only talks D-Bus: each
//! test starts a private `dbus-daemon` and `python3 -m dbusmock --system --template
//! tests/fixtures/fake_bluez.py` on it, and points `DBUS_SYSTEM_BUS_ADDRESS` there. No system
//! bus is needed. The Debian packages `dbus python3-dbusmock python3-gi` are (the test fails,
//! naming them, when they are missing; `scripts/ensure-system-packages.sh` installs them).
//!
//! libdbus reads `DBUS_SYSTEM_BUS_ADDRESS` once per process, so every test here uses the same
//! socket path (a fresh daemon each time) and the tests run one at a time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use plugboard_devices::config::matching::Discovered;
use plugboard_devices::fake_bluez::{FakeBluez, ADDRESS};
use plugboard_devices::hardware::{Endpoint, Hardware, HardwareError, Notification, Write};
use plugboard_devices::transport::ble::BleTransport;
use plugboard_devices::transport::{ConnectPlan, FoundDevice, HardwareStatus, Transport, TransportEvent};
use tokio::sync::{broadcast, mpsc};

const NUS: &str = "6e400001-b5a3-f393-e0a9-e50e24dcca9e";
const NUS_TX: &str = "6e400002-b5a3-f393-e0a9-e50e24dcca9e";
const NUS_RX: &str = "6e400003-b5a3-f393-e0a9-e50e24dcca9e";
const NUS_CMD: &str = "6e400004-b5a3-f393-e0a9-e50e24dcca9e";
const WAIT: Duration = Duration::from_secs(10);

/// The bus socket every test in this process uses (see the module docs).
fn bus_socket() -> &'static Path {
    static SOCKET: OnceLock<PathBuf> = OnceLock::new();
    SOCKET.get_or_init(|| {
        let socket = std::env::temp_dir().join(format!("plugboard-ble-test-{}", std::process::id())).join("bus");
        std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", format!("unix:path={}", socket.display()));
        socket
    })
}

/// Runs the tests one at a time (they share the bus socket). An async mutex: the guard is held
/// for the whole test, across awaits, and a failed test does not poison it.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// A private bus in this process's socket directory, optionally with the fake BlueZ.
struct FakeBus;

impl FakeBus {
    fn start() -> FakeBluez {
        FakeBluez::bus_only(bus_socket().parent().expect("socket directory"), WAIT)
    }

    fn with_bluez() -> FakeBluez {
        FakeBluez::start(bus_socket().parent().expect("socket directory"), WAIT)
    }
}

type Events = mpsc::UnboundedReceiver<TransportEvent>;

fn transport() -> (BleTransport, Events) {
    let (sender, receiver) = mpsc::unbounded_channel();
    (BleTransport::new(sender), receiver)
}

async fn next_event(events: &mut Events) -> TransportEvent {
    tokio::time::timeout(WAIT, events.recv()).await.expect("no transport event in time").expect("channel closed")
}

async fn wait_status(events: &mut Events, wanted: impl Fn(&HardwareStatus) -> bool) -> HardwareStatus {
    loop {
        if let TransportEvent::Status { transport, status } = next_event(events).await {
            assert_eq!(transport, "ble");
            if wanted(&status) {
                return status;
            }
        }
    }
}

async fn wait_ready(events: &mut Events) {
    wait_status(events, |status| *status == HardwareStatus::Ready).await;
}

async fn next_found(events: &mut Events) -> FoundDevice {
    loop {
        if let TransportEvent::Found(found) = next_event(events).await {
            return found;
        }
    }
}

/// Powers the adapter off and asserts that nothing was offered before the transport said so:
/// the status comes through the same ordered stream as anything found before it.
async fn assert_nothing_offered_until_powered_off(bus: &FakeBluez, events: &mut Events) {
    bus.set_powered(false);
    loop {
        match next_event(events).await {
            TransportEvent::Status { status: HardwareStatus::Unavailable { .. }, .. } => return,
            event => assert!(!matches!(event, TransportEvent::Found(_)), "offered twice: {event:?}"),
        }
    }
}

fn lovense_plan() -> ConnectPlan {
    let mut plan = ConnectPlan::default();
    plan.ble_endpoints.insert(
        NUS.into(),
        BTreeMap::from([
            (Endpoint::Tx, NUS_TX.into()),
            (Endpoint::Rx, NUS_RX.into()),
            (Endpoint::Command, NUS_CMD.into()),
            // Not on the device: logged and left out.
            (Endpoint::TxVibrate, "6e4000ff-b5a3-f393-e0a9-e50e24dcca9e".into()),
        ]),
    );
    // A service the device does not have.
    plan.ble_endpoints.insert(
        "0000fff0-0000-1000-8000-00805f9b34fb".into(),
        BTreeMap::from([(Endpoint::Whitelist, "0000fff1-0000-1000-8000-00805f9b34fb".into())]),
    );
    plan
}

async fn connect(events: &mut Events, ble: &BleTransport) -> Arc<dyn Hardware> {
    wait_ready(events).await;
    ble.start_scanning().await.expect("start scanning");
    let found = next_found(events).await;
    found.connector.connect(lovense_plan()).await.expect("connect")
}

async fn next_notification(notifications: &mut broadcast::Receiver<Notification>) -> Notification {
    tokio::time::timeout(WAIT, notifications.recv()).await.expect("no notification in time").expect("notification")
}

#[tokio::test]
async fn ble_scan_finds_the_fake_lovense_once_per_scan() {
    let _serial = serial().await;
    let bus = FakeBus::with_bluez();
    let (ble, mut events) = transport();
    assert_eq!(ble.name(), "ble");
    wait_ready(&mut events).await;
    assert_eq!(ble.status(), HardwareStatus::Ready);

    ble.start_scanning().await.expect("start scanning");
    let found = next_found(&mut events).await;
    assert_eq!(found.transport, "ble");
    assert_eq!(found.address, ADDRESS);
    let Discovered::Ble(advertisement) = &found.discovered else { panic!("not BLE: {found:?}") };
    assert_eq!(advertisement.name, "LVS-Z36");
    assert_eq!(advertisement.services, vec![NUS.to_string()]);
    assert_eq!(advertisement.manufacturer_data, vec![(0xff01, vec![1, 2])]);
    bus.advertise();
    assert_nothing_offered_until_powered_off(&bus, &mut events).await;
    bus.set_powered(true);
    wait_ready(&mut events).await;

    // A new scan offers it again.
    ble.stop_scanning().await.expect("stop scanning");
    ble.start_scanning().await.expect("start scanning again");
    let again = next_found(&mut events).await;
    assert_eq!(again.address, ADDRESS);
    assert_eq!(again.discovered, found.discovered);
    ble.stop_scanning().await.expect("stop scanning");
}

#[tokio::test]
async fn ble_connect_maps_endpoints_and_talks_to_the_device() {
    let _serial = serial().await;
    let bus = FakeBus::with_bluez();
    let (ble, mut events) = transport();
    let hardware = connect(&mut events, &ble).await;

    assert_eq!(hardware.name(), "LVS-Z36");
    assert_eq!(hardware.address(), ADDRESS);
    assert_eq!(hardware.endpoints(), &[Endpoint::Command, Endpoint::Rx, Endpoint::Tx]);
    assert!(!hardware.has_endpoint(Endpoint::TxVibrate));
    assert_eq!(
        hardware.write(Write::without_response(Endpoint::TxVibrate, b"x".to_vec())).await,
        Err(HardwareError::NoEndpoint(Endpoint::TxVibrate))
    );

    let mut notifications = hardware.notifications();
    hardware.subscribe(Endpoint::Rx).await.expect("subscribe rx");
    hardware.subscribe(Endpoint::Rx).await.expect("subscribing twice is fine");

    hardware.write(Write::without_response(Endpoint::Tx, b"DeviceType;".to_vec())).await.expect("write");
    assert_eq!(
        next_notification(&mut notifications).await,
        Notification::Data { endpoint: Endpoint::Rx, bytes: b"Z:11:0082059AD3BD;".to_vec() }
    );
    hardware.write(Write::with_response(Endpoint::Tx, b"Battery;".to_vec())).await.expect("write");
    assert_eq!(
        next_notification(&mut notifications).await,
        Notification::Data { endpoint: Endpoint::Rx, bytes: b"87;".to_vec() }
    );
    assert_eq!(hardware.read(Endpoint::Rx).await.expect("read rx"), b"87;".to_vec());

    // The cmd characteristic only supports write-without-response: the request is downgraded.
    hardware.write(Write::with_response(Endpoint::Command, b"Vibrate:1;".to_vec())).await.expect("write");
    // rx cannot be written at all.
    assert!(matches!(
        hardware.write(Write::with_response(Endpoint::Rx, b"x".to_vec())).await,
        Err(HardwareError::Unsupported(_))
    ));
    assert_eq!(bus.writes(), ["command:DeviceType;", "request:Battery;", "command:Vibrate:1;"]);

    // After unsubscribing, replies are no longer delivered: the device was told to stop
    // notifying, so it did not send its reply (rx still holds the last one; the write and the
    // read are answered in order), and nothing came.
    hardware.unsubscribe(Endpoint::Rx).await.expect("unsubscribe");
    hardware.write(Write::without_response(Endpoint::Tx, b"DeviceType;".to_vec())).await.expect("write");
    assert_eq!(hardware.read(Endpoint::Rx).await.expect("read rx"), b"87;".to_vec(), "the device notified");
    assert_eq!(notifications.try_recv(), Err(broadcast::error::TryRecvError::Empty));

    hardware.disconnect().await.expect("disconnect");
    assert_eq!(next_notification(&mut notifications).await, Notification::Disconnected);
    assert_eq!(
        hardware.write(Write::without_response(Endpoint::Tx, b"Battery;".to_vec())).await,
        Err(HardwareError::Disconnected)
    );
    hardware.disconnect().await.expect("disconnecting twice is fine");
    // Dropped, the hardware ends its notification task and the channel closes: only after
    // everything sent on it, so a second Disconnected would come first.
    drop(hardware);
    let end = tokio::time::timeout(WAIT, notifications.recv()).await.expect("the channel closes in time");
    assert_eq!(end, Err(broadcast::error::RecvError::Closed), "Disconnected twice");
}

#[tokio::test]
async fn ble_remote_disconnect_is_reported() {
    let _serial = serial().await;
    let bus = FakeBus::with_bluez();
    let (ble, mut events) = transport();
    let hardware = connect(&mut events, &ble).await;
    let mut notifications = hardware.notifications();
    hardware.subscribe(Endpoint::Rx).await.expect("subscribe rx");

    bus.remote_disconnect();
    assert_eq!(next_notification(&mut notifications).await, Notification::Disconnected);
    assert_eq!(hardware.read(Endpoint::Rx).await, Err(HardwareError::Disconnected));
    hardware.disconnect().await.expect("disconnecting a gone device succeeds");
}

#[tokio::test]
async fn ble_adapter_power_is_reported_as_status() {
    let _serial = serial().await;
    let bus = FakeBus::with_bluez();
    let (ble, mut events) = transport();
    wait_ready(&mut events).await;

    bus.set_powered(false);
    let status = wait_status(&mut events, |status| *status != HardwareStatus::Ready).await;
    let HardwareStatus::Unavailable { reason, remedy } = &status else { unreachable!() };
    assert!(reason.contains("powered off"), "{reason}");
    assert_eq!(remedy, "turn Bluetooth on");
    assert_eq!(ble.status(), status);

    bus.set_powered(true);
    wait_ready(&mut events).await;
    assert_eq!(ble.status(), HardwareStatus::Ready);
}

#[tokio::test]
async fn ble_without_bluez_reports_unavailable_and_recovers() {
    let _serial = serial().await;
    let mut bus = FakeBus::start();
    let (ble, mut events) = transport();
    let status = wait_status(&mut events, |status| matches!(status, HardwareStatus::Unavailable { .. })).await;
    assert_eq!(
        status,
        HardwareStatus::Unavailable {
            reason: "BlueZ is not running".into(),
            remedy: "start it with `sudo systemctl start bluetooth`".into()
        }
    );
    // Asking to scan now is remembered, not an error.
    ble.start_scanning().await.expect("start scanning without BlueZ");

    // The transport keeps looking: once BlueZ appears it is ready and the scan starts.
    bus.start_bluez();
    wait_ready(&mut events).await;
    let found = next_found(&mut events).await;
    assert_eq!(found.address, ADDRESS);
}
