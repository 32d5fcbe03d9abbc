//! Serial-port transport.
//!
//! Plugboard never guesses which port is a toy: a scan offers every port `available_ports()`
//! enumerates plus every port path the user config binds explicitly (ptys and symlinks made by
//! socat or udev rules are never enumerated), and matching keeps only ports the user config
//! binds to a protocol. A connection opens the port with the matched settings (baud, data bits,
//! parity, stop bits - the reference ignores all but the baud rate), no flow control,
//! exclusively, and runs two blocking threads:
//!
//! - the writer takes packets from a channel and writes them to the port, in order;
//! - the reader reads whatever arrives and, once `rx` is subscribed, reports it as
//!   [`Notification::Data`] on [`Endpoint::Rx`]. A hang-up (USB device unplugged, the other end
//!   of a pty closed) becomes [`Notification::Disconnected`].
//!
//! Both threads end on a hang-up, on [`Hardware::disconnect`] and when the hardware is dropped;
//! `disconnect` returns only after they have ended and the port is closed, so the same port can
//! be opened again at once.
//!
//! Opening a port the user may not access produces a message naming the group that owns the
//! device file and the command that fixes it ([`permission_denied_message`]). On Windows, ports
//! are COM names (`COM3`, any case) and a port that will not open is explained as missing or as
//! held by another program (`serial/windows.rs`).

use std::io::{self, Read, Write as _};
#[cfg(unix)]
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[cfg(unix)]
use serialport::TTYPort;
use serialport::{DataBits, FlowControl, SerialPort as _, SerialPortType, StopBits};
use tokio::sync::{broadcast, oneshot};

use super::{ConnectPlan, Connector, EventSender, FoundDevice, HardwareStatus, Transport, TransportEvent};
use crate::config::database::{Parity, SerialSettings};
use crate::config::matching::Discovered;
use crate::hardware::{BoxFuture, Endpoint, Hardware, HardwareError, Notification, Write};

/// The transport's name in events and logs.
pub const TRANSPORT_NAME: &str = "serial";

/// How long one blocking read waits before the reader checks whether it should stop. Also the
/// open timeout. Bounds how long `disconnect` takes.
const READ_TIMEOUT: Duration = Duration::from_millis(100);
/// How long a write may wait for room in the output buffer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the writer waits for a packet before checking whether it should stop.
const WRITER_IDLE: Duration = Duration::from_millis(100);
const READ_BUFFER: usize = 1024;

/// The endpoints every serial device has. Writes to any endpoint go to the port.
const ENDPOINTS: [Endpoint; 2] = [Endpoint::Rx, Endpoint::Tx];

/// An open port of this platform: a tty (a device file) on Unix, a COM port on Windows.
#[cfg(unix)]
type NativePort = TTYPort;
#[cfg(windows)]
type NativePort = serialport::COMPort;

// Built for tests on every platform too, so that its pure parts are tested where the tests run.
#[cfg(any(windows, test))]
mod windows;
#[cfg(windows)]
use windows::{open_error, port_exists, same_port};

/// Whether a port path names an existing port: its device file exists.
#[cfg(unix)]
fn port_exists(path: &str) -> bool {
    Path::new(path).exists()
}

/// Whether two port paths name the same port: Unix paths are compared as written.
#[cfg(unix)]
fn same_port(a: &str, b: &str) -> bool {
    a == b
}

// ---------------------------------------------------------------------------------------------
// Enumeration for front ends

/// How an enumerated port is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortKind {
    Usb { vid: u16, pid: u16, manufacturer: Option<String>, product: Option<String>, serial_number: Option<String> },
    Pci,
    Bluetooth,
    Unknown,
}

/// A serial port the operating system lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// The path to open (`/dev/ttyUSB0`, `COM3`).
    pub path: String,
    pub kind: PortKind,
}

impl PortInfo {
    /// A short human description: `USB 1a86:7523 (USB Serial)`, `PCI`, `Bluetooth`, `unknown`.
    pub fn description(&self) -> String {
        match &self.kind {
            PortKind::Usb { vid, pid, manufacturer, product, .. } => {
                let mut text = format!("USB {vid:04x}:{pid:04x}");
                let label: Vec<&str> = [manufacturer.as_deref(), product.as_deref()].into_iter().flatten().collect();
                if !label.is_empty() {
                    text.push_str(&format!(" ({})", label.join(" ")));
                }
                text
            }
            PortKind::Pci => "PCI".to_string(),
            PortKind::Bluetooth => "Bluetooth".to_string(),
            PortKind::Unknown => "unknown".to_string(),
        }
    }
}

/// The serial ports the operating system lists, sorted by path. Ptys and symlinks are never
/// listed; a front end that lets the user bind a port should also accept a typed path.
pub fn list_ports() -> Result<Vec<PortInfo>, HardwareError> {
    let ports =
        serialport::available_ports().map_err(|e| HardwareError::Io(format!("cannot list serial ports: {e}")))?;
    let mut out: Vec<PortInfo> = ports
        .into_iter()
        .map(|port| PortInfo {
            path: port.port_name,
            kind: match port.port_type {
                SerialPortType::UsbPort(usb) => PortKind::Usb {
                    vid: usb.vid,
                    pid: usb.pid,
                    manufacturer: usb.manufacturer,
                    product: usb.product,
                    serial_number: usb.serial_number,
                },
                SerialPortType::PciPort => PortKind::Pci,
                SerialPortType::BluetoothPort => PortKind::Bluetooth,
                SerialPortType::Unknown => PortKind::Unknown,
            },
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

/// The paths a scan offers: enumerated ports first, then bound paths not already listed,
/// without duplicates, keeping only paths that exist (enumerated ports are trusted to). A port
/// that is both listed and bound is offered as the user config spells it, so that the binding
/// matches it (Windows compares port names without regard to case).
fn scan_candidates(enumerated: Vec<String>, bound: &[String], exists: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for path in enumerated.into_iter().chain(bound.iter().cloned()) {
        let path = bound.iter().find(|spelling| same_port(spelling, &path)).cloned().unwrap_or(path);
        if !path.is_empty() && !out.iter().any(|seen| same_port(seen, &path)) && exists(&path) {
            out.push(path);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The transport

/// Finds serial ports. Built with the port paths the user config binds explicitly.
pub struct SerialTransport {
    bound_ports: Mutex<Vec<String>>,
    events: EventSender,
}

impl SerialTransport {
    pub fn new(bound_ports: Vec<String>, events: EventSender) -> SerialTransport {
        SerialTransport { bound_ports: Mutex::new(bound_ports), events }
    }

    /// Replaces the explicitly bound paths (after the user config changed).
    pub fn set_bound_ports(&self, bound_ports: Vec<String>) {
        *self.bound_ports.lock().unwrap_or_else(|e| e.into_inner()) = bound_ports;
    }

    fn bound_ports(&self) -> Vec<String> {
        self.bound_ports.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// One scan pass (blocking): reports every candidate port, then `ScanningFinished`.
fn scan(bound: &[String], events: &EventSender) {
    let enumerated = match serialport::available_ports() {
        Ok(ports) => ports.into_iter().map(|p| p.port_name).collect(),
        Err(error) => {
            tracing::warn!(%error, "cannot list serial ports; trying the configured ports only");
            Vec::new()
        }
    };
    for path in scan_candidates(enumerated, bound, port_exists) {
        tracing::debug!(port = %path, "serial port found");
        let found = FoundDevice {
            transport: TRANSPORT_NAME,
            address: path.clone(),
            discovered: Discovered::Serial { port: path.clone() },
            connector: Arc::new(SerialConnector { path }),
        };
        if events.send(TransportEvent::Found(found)).is_err() {
            return;
        }
    }
    let _ = events.send(TransportEvent::ScanningFinished { transport: TRANSPORT_NAME });
}

impl Transport for SerialTransport {
    fn name(&self) -> &'static str {
        TRANSPORT_NAME
    }

    /// One pass: reports every port found, then `ScanningFinished`. Listing ports reads sysfs,
    /// so it runs on a blocking thread.
    fn start_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            let bound = self.bound_ports();
            let events = self.events.clone();
            tokio::task::spawn_blocking(move || scan(&bound, &events))
                .await
                .map_err(|e| HardwareError::Io(format!("serial scan failed: {e}")))
        })
    }

    fn stop_scanning(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async { Ok(()) })
    }

    fn status(&self) -> HardwareStatus {
        HardwareStatus::Ready
    }
}

/// Connects one port path.
pub struct SerialConnector {
    path: String,
}

impl SerialConnector {
    pub fn new(path: impl Into<String>) -> SerialConnector {
        SerialConnector { path: path.into() }
    }
}

impl Connector for SerialConnector {
    fn connect(&self, plan: ConnectPlan) -> BoxFuture<'_, Result<Arc<dyn Hardware>, HardwareError>> {
        Box::pin(async move {
            let settings = plan.serial.unwrap_or_default();
            let path = self.path.clone();
            let hardware = tokio::task::spawn_blocking(move || SerialHardware::open(path, settings))
                .await
                .map_err(|e| HardwareError::Io(format!("opening serial port failed: {e}")))??;
            Ok(Arc::new(hardware) as Arc<dyn Hardware>)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Opening a port

fn data_bits(bits: u8) -> Result<DataBits, String> {
    Ok(match bits {
        5 => DataBits::Five,
        6 => DataBits::Six,
        7 => DataBits::Seven,
        8 => DataBits::Eight,
        other => return Err(format!("unsupported data bits {other} (5 to 8)")),
    })
}

fn stop_bits(bits: u8) -> Result<StopBits, String> {
    Ok(match bits {
        1 => StopBits::One,
        2 => StopBits::Two,
        other => return Err(format!("unsupported stop bits {other} (1 or 2)")),
    })
}

fn parity(parity: Parity) -> serialport::Parity {
    match parity {
        Parity::None => serialport::Parity::None,
        Parity::Odd => serialport::Parity::Odd,
        Parity::Even => serialport::Parity::Even,
    }
}

/// Opens `path` as `settings` say: no flow control, exclusive, short timeout. (Windows opens
/// every COM port exclusively; on Unix the tty is locked with TIOCEXCL.)
pub(crate) fn open_port(path: &str, settings: SerialSettings) -> Result<NativePort, HardwareError> {
    let invalid = |why: String| HardwareError::Io(format!("cannot open serial port {path}: {why}"));
    let builder = serialport::new(path, settings.baud_rate)
        .data_bits(data_bits(settings.data_bits).map_err(invalid)?)
        .stop_bits(stop_bits(settings.stop_bits).map_err(invalid)?)
        .parity(parity(settings.parity))
        .flow_control(FlowControl::None)
        .timeout(READ_TIMEOUT);
    #[cfg(unix)]
    let builder = builder.exclusive(true);
    builder.open_native().map_err(|e| open_error(path, &e))
}

/// Turns a failed open into a message the user can act on.
#[cfg(unix)]
fn open_error(path: &str, error: &serialport::Error) -> HardwareError {
    use serialport::ErrorKind;
    let message = match error.kind() {
        ErrorKind::Io(io::ErrorKind::PermissionDenied) => diagnose_permission(path),
        ErrorKind::Io(io::ErrorKind::NotFound) => {
            format!("serial port {path} does not exist (is the device plugged in?)")
        }
        ErrorKind::NoDevice => format!(
            "serial port {path} is busy: another program (or another Plugboard connection) has it open ({error})"
        ),
        _ => format!("cannot open serial port {path}: {error}"),
    };
    HardwareError::Io(message)
}

// ---------------------------------------------------------------------------------------------
// Permission diagnosis (Unix: device files, their group and mode)

/// Who may open a device file, as far as the diagnosis needs.
#[cfg(unix)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFileAccess {
    /// Group id owning the file.
    pub gid: u32,
    /// Its name from /etc/group, if it has one.
    pub group: Option<String>,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
}

/// The name of group `gid` in the text of an /etc/group file (`name:x:gid:members`).
#[cfg(unix)]
pub fn group_name(etc_group: &str, gid: u32) -> Option<String> {
    etc_group.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let id: u32 = fields.next()?.trim().parse().ok()?;
        (id == gid && !name.is_empty() && !name.starts_with('#')).then(|| name.to_string())
    })
}

/// What to tell a user who may not open `path`. `access` is `None` when the file could not be
/// examined. Pure: [`diagnose_permission`] gathers the facts.
#[cfg(unix)]
pub fn permission_denied_message(path: &str, access: Option<&DeviceFileAccess>) -> String {
    let fix = |group: &str| {
        format!(
            "To fix it, run `sudo usermod -aG {group} $USER`, then log out and back in \
             (group membership changes take effect at the next login)."
        )
    };
    let Some(access) = access else {
        return format!(
            "Permission denied opening serial port {path}. Serial ports usually belong to the \
             `dialout` group (`uucp` on some systems). {}",
            fix("dialout")
        );
    };
    let group = access.group.clone().unwrap_or_else(|| access.gid.to_string());
    let group_can_use = access.mode & 0o060 == 0o060;
    if access.gid == 0 || !group_can_use {
        let owner = if access.gid == 0 { "group root".to_string() } else { format!("group `{group}`") };
        return format!(
            "Permission denied opening serial port {path}: it belongs to {owner} with mode {:04o}, \
             so joining a group will not help. Give the device a group that may read and write it \
             (a udev rule with GROUP=\"dialout\", MODE=\"0660\"), or for this session only run \
             `sudo chmod a+rw {path}`.",
            access.mode & 0o7777
        );
    }
    format!(
        "Permission denied opening serial port {path}: it belongs to group `{group}` and this user \
         is not a member. {}",
        fix(&group)
    )
}

/// Examines the device file behind `path` and /etc/group, then explains.
#[cfg(unix)]
fn diagnose_permission(path: &str) -> String {
    use std::os::unix::fs::MetadataExt;
    let access = std::fs::metadata(path).ok().map(|meta| {
        let etc_group = std::fs::read_to_string("/etc/group").unwrap_or_default();
        DeviceFileAccess { gid: meta.gid(), group: group_name(&etc_group, meta.gid()), mode: meta.mode() & 0o7777 }
    });
    permission_denied_message(path, access.as_ref())
}

// ---------------------------------------------------------------------------------------------
// A connected port

struct Shared {
    connected: AtomicBool,
    subscribed: AtomicBool,
    notifications: broadcast::Sender<Notification>,
    /// Bytes the reader has taken from the port, counted once they were reported (or dropped),
    /// so a test that sees the count knows their fate is settled.
    bytes_read: AtomicU64,
}

impl Shared {
    /// Marks the port gone; broadcasts `Disconnected` the first time only.
    fn mark_disconnected(&self) {
        if self.connected.swap(false, Ordering::SeqCst) {
            let _ = self.notifications.send(Notification::Disconnected);
        }
    }

    fn connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }
}

type WriteJob = (Vec<u8>, oneshot::Sender<Result<(), HardwareError>>);

/// An open serial port.
pub struct SerialHardware {
    path: String,
    shared: Arc<Shared>,
    writer: Mutex<Option<mpsc::Sender<WriteJob>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// Whether a read or write error means the device is gone (rather than "try again").
fn is_transient(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}

impl SerialHardware {
    /// Opens the port and starts its threads (blocking).
    fn open(path: String, settings: SerialSettings) -> Result<SerialHardware, HardwareError> {
        let port = open_port(&path, settings)?;
        let clone_error = |e: serialport::Error| HardwareError::Io(format!("serial port {path}: {e}"));
        let mut writer_port = port.try_clone_native().map_err(clone_error)?;
        writer_port.set_timeout(WRITE_TIMEOUT).map_err(clone_error)?;
        let reader_port = port;
        tracing::info!(port = %path, ?settings, "serial port open");

        let (notifications, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            connected: AtomicBool::new(true),
            subscribed: AtomicBool::new(false),
            notifications,
            bytes_read: AtomicU64::new(0),
        });
        let (tx, rx) = mpsc::channel::<WriteJob>();

        let spawn = |name: String, body: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(body)
                .map_err(|e| HardwareError::Io(format!("cannot start serial thread: {e}")))
        };
        let reader = {
            let shared = shared.clone();
            let path = path.clone();
            spawn("serial-reader".into(), Box::new(move || reader_loop(reader_port, shared, path)))?
        };
        let writer = {
            let writer_shared = shared.clone();
            let path = path.clone();
            match spawn("serial-writer".into(), Box::new(move || writer_loop(writer_port, rx, writer_shared, path))) {
                Ok(handle) => handle,
                Err(e) => {
                    shared.connected.store(false, Ordering::SeqCst);
                    let _ = reader.join();
                    return Err(e);
                }
            }
        };
        Ok(SerialHardware { path, shared, writer: Mutex::new(Some(tx)), threads: Mutex::new(vec![reader, writer]) })
    }

    /// Whether both threads have ended (tests).
    #[cfg(test)]
    fn threads_finished(&self) -> bool {
        self.threads.lock().unwrap().iter().all(|t| t.is_finished())
    }

    fn stop(&self) {
        self.shared.mark_disconnected();
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    fn check(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        if !self.shared.connected() {
            Err(HardwareError::Disconnected)
        } else if !ENDPOINTS.contains(&endpoint) {
            Err(HardwareError::NoEndpoint(endpoint))
        } else {
            Ok(())
        }
    }
}

fn reader_loop(mut port: NativePort, shared: Arc<Shared>, path: String) {
    let mut buf = [0u8; READ_BUFFER];
    while shared.connected() {
        match port.read(&mut buf) {
            Ok(0) => {
                tracing::info!(port = %path, "serial port hung up");
                shared.mark_disconnected();
            }
            Ok(n) => {
                if shared.subscribed.load(Ordering::SeqCst) && shared.connected() {
                    let _ = shared
                        .notifications
                        .send(Notification::Data { endpoint: Endpoint::Rx, bytes: buf[..n].to_vec() });
                }
                shared.bytes_read.fetch_add(n as u64, Ordering::SeqCst);
            }
            Err(e) if is_transient(&e) => {}
            Err(error) => {
                if shared.connected() {
                    tracing::info!(port = %path, %error, "serial port gone");
                }
                shared.mark_disconnected();
            }
        }
    }
    tracing::debug!(port = %path, "serial reader ended");
}

fn writer_loop(mut port: NativePort, jobs: mpsc::Receiver<WriteJob>, shared: Arc<Shared>, path: String) {
    while shared.connected() {
        let (data, reply) = match jobs.recv_timeout(WRITER_IDLE) {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if !shared.connected() {
            let _ = reply.send(Err(HardwareError::Disconnected));
            break;
        }
        let result = match port.write_all(&data) {
            Ok(()) => Ok(()),
            Err(error) if is_transient(&error) => {
                Err(HardwareError::Io(format!("writing to serial port {path} timed out: {error}")))
            }
            Err(error) => {
                tracing::info!(port = %path, %error, "serial write failed; port gone");
                shared.mark_disconnected();
                Err(HardwareError::Disconnected)
            }
        };
        let _ = reply.send(result);
    }
    // Anything still queued fails.
    while let Ok((_, reply)) = jobs.try_recv() {
        let _ = reply.send(Err(HardwareError::Disconnected));
    }
    tracing::debug!(port = %path, "serial writer ended");
}

impl Drop for SerialHardware {
    /// Threads notice within their timeouts and close the port.
    fn drop(&mut self) {
        self.stop();
    }
}

impl Hardware for SerialHardware {
    fn name(&self) -> &str {
        &self.path
    }

    fn address(&self) -> &str {
        &self.path
    }

    fn endpoints(&self) -> &[Endpoint] {
        &ENDPOINTS
    }

    /// Any endpoint goes to the port; resolves once the bytes are written to the OS.
    fn write(&self, write: Write) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            if !self.shared.connected() {
                return Err(HardwareError::Disconnected);
            }
            let (reply_tx, reply_rx) = oneshot::channel();
            {
                let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
                let sender = writer.as_ref().ok_or(HardwareError::Disconnected)?;
                sender.send((write.data, reply_tx)).map_err(|_| HardwareError::Disconnected)?;
            }
            reply_rx.await.unwrap_or(Err(HardwareError::Disconnected))
        })
    }

    fn read(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<Vec<u8>, HardwareError>> {
        let result = if self.shared.connected() {
            Err(HardwareError::Unsupported(format!("serial ports cannot read {endpoint} on demand; subscribe to rx")))
        } else {
            Err(HardwareError::Disconnected)
        };
        Box::pin(async move { result })
    }

    fn subscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        let result = self.check(endpoint).and_then(|()| match endpoint {
            Endpoint::Rx => {
                self.shared.subscribed.store(true, Ordering::SeqCst);
                Ok(())
            }
            other => Err(HardwareError::Unsupported(format!("serial ports notify on rx only, not {other}"))),
        });
        Box::pin(async move { result })
    }

    fn unsubscribe(&self, endpoint: Endpoint) -> BoxFuture<'_, Result<(), HardwareError>> {
        let result = self.check(endpoint).map(|()| {
            if endpoint == Endpoint::Rx {
                self.shared.subscribed.store(false, Ordering::SeqCst);
            }
        });
        Box::pin(async move { result })
    }

    fn notifications(&self) -> broadcast::Receiver<Notification> {
        self.shared.notifications.subscribe()
    }

    fn is_connected(&self) -> bool {
        self.shared.connected()
    }

    /// Stops both threads and waits until the port is closed.
    fn disconnect(&self) -> BoxFuture<'_, Result<(), HardwareError>> {
        Box::pin(async move {
            self.stop();
            let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
            if !threads.is_empty() {
                let _ = tokio::task::spawn_blocking(move || {
                    for thread in threads {
                        let _ = thread.join();
                    }
                })
                .await;
            }
            tracing::info!(port = %self.path, "serial port closed");
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::wait_until;
    use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
    use std::time::Instant;
    use tokio::sync::mpsc::unbounded_channel;

    /// How long the tests wait for the port's threads.
    const WAIT: Duration = Duration::from_secs(3);

    /// Held while creating ptys and while spawning child processes, so that no child inherits
    /// a pty master (which would keep the pty alive after a test closes it).
    static SPAWN_LOCK: Mutex<()> = Mutex::new(());

    /// A pty pair: the master (kept by the test, close-on-exec) and the slave's path (what
    /// the transport opens).
    fn pty() -> (TTYPort, String) {
        let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let (master, slave) = TTYPort::pair().expect("pty pair");
        let path = slave.name().expect("slave path");
        drop(slave);
        // pair() does not set close-on-exec on the master; a dup does.
        let original = unsafe { OwnedFd::from_raw_fd(master.into_raw_fd()) };
        let cloexec = original.try_clone().expect("dup pty master");
        drop(original);
        let master = unsafe { TTYPort::from_raw_fd(cloexec.into_raw_fd()) };
        (master, path)
    }

    /// Reads from the master until `want` bytes arrived or 2 s passed.
    fn read_master(master: &mut TTYPort, want: usize) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while got.len() < want && Instant::now() < deadline {
            match master.read(&mut buf) {
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if is_transient(&e) => {}
                Err(e) => panic!("reading pty master: {e}"),
            }
        }
        got
    }

    /// Collects Rx data until `want` bytes arrived (or 2 s passed).
    async fn rx_data(notifications: &mut broadcast::Receiver<Notification>, want: usize) -> Vec<u8> {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while got.len() < want {
            match tokio::time::timeout_at(deadline, notifications.recv()).await {
                Ok(Ok(Notification::Data { endpoint: Endpoint::Rx, bytes })) => got.extend(bytes),
                Ok(other) => panic!("unexpected notification {other:?}"),
                Err(_) => break,
            }
        }
        got
    }

    async fn wait_for_disconnected(notifications: &mut broadcast::Receiver<Notification>) {
        let got = tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                match notifications.recv().await {
                    Ok(Notification::Disconnected) => return,
                    Ok(_) => continue,
                    Err(e) => panic!("notification channel: {e}"),
                }
            }
        })
        .await;
        assert!(got.is_ok(), "no Disconnected notification");
    }

    async fn wait_threads_finished(hw: &SerialHardware) {
        wait_until("the serial threads to end", WAIT, async || hw.threads_finished(), |&finished| finished).await;
    }

    /// Waits until the reader has taken `count` bytes from the port in all: what it made of
    /// them (a notification or none) has happened by then.
    async fn wait_bytes_read(hw: &SerialHardware, count: u64) {
        let read = async || hw.shared.bytes_read.load(Ordering::SeqCst);
        wait_until(format!("the reader to take {count} bytes"), WAIT, read, |&read| read >= count).await;
    }

    fn plan_8n1(baud_rate: u32) -> ConnectPlan {
        ConnectPlan {
            serial: Some(SerialSettings { baud_rate, data_bits: 8, stop_bits: 1, parity: Parity::None }),
            ..ConnectPlan::default()
        }
    }

    async fn open_hw(path: &str, plan: ConnectPlan) -> SerialHardware {
        let path = path.to_string();
        let settings = plan.serial.unwrap_or_default();
        tokio::task::spawn_blocking(move || SerialHardware::open(path, settings)).await.unwrap().expect("open")
    }

    // ---- pure parts ----

    #[test]
    fn group_name_reads_etc_group() {
        let text = "root:x:0:\n# comment:x:7:\ntty:x:5:\ndialout:x:20:alice,bob\nbroken\nuucp:x:14\n";
        assert_eq!(group_name(text, 20).as_deref(), Some("dialout"));
        assert_eq!(group_name(text, 5).as_deref(), Some("tty"));
        assert_eq!(group_name(text, 14).as_deref(), Some("uucp"));
        assert_eq!(group_name(text, 7), None);
        assert_eq!(group_name(text, 99), None);
        assert_eq!(group_name("", 0), None);
    }

    #[test]
    fn permission_message_names_group_and_fix() {
        let dialout = DeviceFileAccess { gid: 20, group: Some("dialout".into()), mode: 0o660 };
        let msg = permission_denied_message("/dev/ttyUSB0", Some(&dialout));
        assert!(msg.contains("/dev/ttyUSB0"), "{msg}");
        assert!(msg.contains("group `dialout`"), "{msg}");
        assert!(msg.contains("`sudo usermod -aG dialout $USER`"), "{msg}");
        assert!(msg.contains("log out and back in"), "{msg}");

        let uucp = DeviceFileAccess { gid: 14, group: Some("uucp".into()), mode: 0o660 };
        assert!(permission_denied_message("/dev/ttyACM0", Some(&uucp)).contains("sudo usermod -aG uucp $USER"));

        // A group without a name: the number works with usermod too.
        let nameless = DeviceFileAccess { gid: 4242, group: None, mode: 0o660 };
        assert!(permission_denied_message("/dev/ttyS9", Some(&nameless)).contains("sudo usermod -aG 4242 $USER"));

        // Root's group, or a mode that gives the group nothing: joining a group does not help.
        for access in [
            DeviceFileAccess { gid: 0, group: Some("root".into()), mode: 0o660 },
            DeviceFileAccess { gid: 20, group: Some("dialout".into()), mode: 0o600 },
        ] {
            let msg = permission_denied_message("/dev/ttyUSB1", Some(&access));
            assert!(!msg.contains("usermod"), "{msg}");
            assert!(msg.contains("sudo chmod a+rw /dev/ttyUSB1"), "{msg}");
            assert!(msg.contains("udev"), "{msg}");
        }

        // Nothing known about the file: the usual group.
        let msg = permission_denied_message("/dev/ttyUSB2", None);
        assert!(msg.contains("sudo usermod -aG dialout $USER") && msg.contains("log out"), "{msg}");
    }

    #[test]
    fn settings_conversions() {
        assert_eq!(data_bits(5), Ok(DataBits::Five));
        assert_eq!(data_bits(6), Ok(DataBits::Six));
        assert_eq!(data_bits(7), Ok(DataBits::Seven));
        assert_eq!(data_bits(8), Ok(DataBits::Eight));
        assert!(data_bits(4).is_err() && data_bits(9).is_err());
        assert_eq!(stop_bits(1), Ok(StopBits::One));
        assert_eq!(stop_bits(2), Ok(StopBits::Two));
        assert!(stop_bits(0).is_err() && stop_bits(3).is_err());
        assert_eq!(parity(Parity::None), serialport::Parity::None);
        assert_eq!(parity(Parity::Odd), serialport::Parity::Odd);
        assert_eq!(parity(Parity::Even), serialport::Parity::Even);
    }

    #[test]
    fn scan_candidates_dedup_and_skip_missing() {
        let enumerated = vec!["/dev/ttyS0".to_string(), "/dev/ttyUSB0".to_string()];
        let bound = vec!["/dev/ttyUSB0".to_string(), "/dev/pts/7".to_string(), "/dev/gone".to_string(), String::new()];
        let got = scan_candidates(enumerated, &bound, |p| p != "/dev/gone");
        assert_eq!(got, ["/dev/ttyS0", "/dev/ttyUSB0", "/dev/pts/7"]);
    }

    #[test]
    fn port_descriptions() {
        let usb = PortInfo {
            path: "/dev/ttyUSB0".into(),
            kind: PortKind::Usb {
                vid: 0x1a86,
                pid: 0x7523,
                manufacturer: None,
                product: Some("USB Serial".into()),
                serial_number: None,
            },
        };
        assert_eq!(usb.description(), "USB 1a86:7523 (USB Serial)");
        assert_eq!(PortInfo { path: "/dev/ttyS0".into(), kind: PortKind::Unknown }.description(), "unknown");
        // Enumeration works without libudev (it may list nothing).
        let ports = list_ports().expect("list ports");
        assert!(ports.windows(2).all(|w| w[0].path < w[1].path));
    }

    // ---- with a pty ----

    #[tokio::test]
    async fn scan_offers_explicit_paths() {
        let (_master, slave) = pty();
        let (tx, mut rx) = unbounded_channel();
        let transport =
            SerialTransport::new(vec![slave.clone(), "/dev/plugboard-no-such-port".into(), slave.clone()], tx);
        assert_eq!(transport.name(), "serial");
        assert_eq!(transport.status(), HardwareStatus::Ready);
        transport.start_scanning().await.unwrap();
        let mut found = Vec::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("scan events").expect("event") {
                TransportEvent::Found(device) => {
                    assert_eq!(device.transport, "serial");
                    assert_eq!(device.discovered, Discovered::Serial { port: device.address.clone() });
                    found.push(device);
                }
                TransportEvent::ScanningFinished { transport } => {
                    assert_eq!(transport, "serial");
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        let addresses: Vec<&str> = found.iter().map(|d| d.address.as_str()).collect();
        assert_eq!(addresses.iter().filter(|a| **a == slave).count(), 1, "{addresses:?}");
        assert!(!addresses.contains(&"/dev/plugboard-no-such-port"));
        transport.stop_scanning().await.unwrap();

        // The connector of the found pty connects.
        let device = found.into_iter().find(|d| d.address == slave).unwrap();
        let hw = device.connector.connect(plan_8n1(115_200)).await.expect("connect");
        assert_eq!(hw.address(), slave);
        assert_eq!(hw.name(), slave);
        hw.disconnect().await.unwrap();
    }

    #[test]
    fn open_honours_settings() {
        let (_master, slave) = pty();
        let port =
            open_port(&slave, SerialSettings { baud_rate: 115_200, data_bits: 8, stop_bits: 1, parity: Parity::None })
                .expect("open 8N1");
        assert_eq!(port.baud_rate().unwrap(), 115_200);
        assert_eq!(port.data_bits().unwrap(), DataBits::Eight);
        assert_eq!(port.parity().unwrap(), serialport::Parity::None);
        assert_eq!(port.stop_bits().unwrap(), StopBits::One);
        assert_eq!(port.flow_control().unwrap(), FlowControl::None);
        drop(port);

        let port =
            open_port(&slave, SerialSettings { baud_rate: 19_200, data_bits: 7, stop_bits: 2, parity: Parity::Even })
                .expect("open 7E2");
        assert_eq!(port.baud_rate().unwrap(), 19_200);
        assert_eq!(port.stop_bits().unwrap(), StopBits::Two);
        // The Linux pty driver forces CS8 and clears PARENB on every termios change
        // (pty_set_termios), so data bits and parity cannot be observed here; the conversions
        // are checked in `settings_conversions`.

        // Exclusive: a second open of the same port fails plainly.
        match open_port(&slave, SerialSettings::default()) {
            Err(HardwareError::Io(msg)) => assert!(msg.contains("busy") && msg.contains(&slave), "{msg}"),
            other => panic!("second open: {:?}", other.map(|_| ())),
        }
        drop(port);

        for (data_bits, stop_bits) in [(9, 1), (8, 3)] {
            match open_port(&slave, SerialSettings { baud_rate: 9600, data_bits, stop_bits, parity: Parity::Odd }) {
                Err(HardwareError::Io(msg)) => assert!(msg.contains("unsupported"), "{msg}"),
                other => panic!("bad settings: {:?}", other.map(|_| ())),
            }
        }
        match open_port("/dev/plugboard-no-such-port", SerialSettings::default()) {
            Err(HardwareError::Io(msg)) => assert!(msg.contains("does not exist"), "{msg}"),
            other => panic!("missing port: {:?}", other.map(|_| ())),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn write_notify_and_peer_hangup() {
        let (mut master, slave) = pty();
        let hw = open_hw(&slave, plan_8n1(115_200)).await;
        assert_eq!(hw.endpoints(), &[Endpoint::Rx, Endpoint::Tx]);
        let mut notifications = hw.notifications();

        // A write (to any endpoint) reaches the other end.
        hw.write(Write::without_response(Endpoint::Tx, b"L0500\n".to_vec())).await.unwrap();
        let got = tokio::task::block_in_place(|| read_master(&mut master, 6));
        assert_eq!(got, b"L0500\n");
        hw.write(Write::with_response(Endpoint::Generic(3), b"V0".to_vec())).await.unwrap();
        assert_eq!(tokio::task::block_in_place(|| read_master(&mut master, 2)), b"V0");

        // Before subscribing, incoming bytes are read but not reported.
        master.write_all(b"xx").unwrap();
        wait_bytes_read(&hw, 2).await;
        assert_eq!(notifications.try_recv(), Err(broadcast::error::TryRecvError::Empty));

        hw.subscribe(Endpoint::Rx).await.unwrap();
        hw.subscribe(Endpoint::Rx).await.unwrap(); // twice is fine
        master.write_all(b"12;").unwrap();
        assert_eq!(rx_data(&mut notifications, 3).await, b"12;");

        // Unsubscribed again: silent.
        hw.unsubscribe(Endpoint::Rx).await.unwrap();
        master.write_all(b"34;").unwrap();
        wait_bytes_read(&hw, 8).await;
        assert_eq!(notifications.try_recv(), Err(broadcast::error::TryRecvError::Empty));

        // The peer goes away.
        drop(master);
        wait_for_disconnected(&mut notifications).await;
        assert_eq!(
            hw.write(Write::without_response(Endpoint::Tx, b"L0000\n".to_vec())).await,
            Err(HardwareError::Disconnected)
        );
        assert_eq!(hw.subscribe(Endpoint::Rx).await, Err(HardwareError::Disconnected));
        assert_eq!(hw.read(Endpoint::Rx).await, Err(HardwareError::Disconnected));
        wait_threads_finished(&hw).await;
        // Disconnected is sent once; disconnecting a gone device succeeds.
        hw.disconnect().await.unwrap();
        assert!(matches!(notifications.try_recv(), Err(broadcast::error::TryRecvError::Empty)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn endpoint_rules_and_disconnect_releases_port() {
        let (mut master, slave) = pty();
        let connector = SerialConnector::new(slave.clone());
        let hw = connector.connect(plan_8n1(9600)).await.expect("connect");
        assert!(matches!(hw.read(Endpoint::Rx).await, Err(HardwareError::Unsupported(_))));
        assert!(matches!(hw.subscribe(Endpoint::Tx).await, Err(HardwareError::Unsupported(_))));
        assert_eq!(hw.subscribe(Endpoint::Command).await, Err(HardwareError::NoEndpoint(Endpoint::Command)));

        let mut notifications = hw.notifications();
        hw.disconnect().await.unwrap();
        assert_eq!(notifications.recv().await.unwrap(), Notification::Disconnected);
        assert_eq!(
            hw.write(Write::without_response(Endpoint::Tx, b"x".to_vec())).await,
            Err(HardwareError::Disconnected)
        );
        hw.disconnect().await.unwrap();
        drop(hw);

        // The port was closed: it opens again at once, and works.
        let hw = open_hw(&slave, plan_8n1(115_200)).await;
        hw.write(Write::without_response(Endpoint::Tx, b"5\r\n".to_vec())).await.unwrap();
        assert_eq!(tokio::task::block_in_place(|| read_master(&mut master, 3)), b"5\r\n");

        // Dropping the hardware without disconnecting also ends its threads.
        let shared = Arc::downgrade(&hw.shared);
        drop(hw);
        let holders = async || shared.strong_count();
        wait_until("the serial threads to let go of their hardware", WAIT, holders, |&holders| holders == 0).await;
    }

    // ---- permission diagnosis against the real kernel ----

    const CHILD_ENV: &str = "PLUGBOARD_SERIAL_PERMISSION_CHILD";
    const CHILD_MARKER: &str = "PLUGBOARD-PERMISSION-MESSAGE: ";
    const NOBODY: u32 = 65534;

    /// A path to this test binary that user `nobody` can execute: the binary itself when
    /// every directory above it is searchable by others, otherwise a copy.
    fn exe_for_nobody() -> (std::path::PathBuf, Option<tempfile::TempDir>) {
        use std::os::unix::fs::PermissionsExt;
        let exe = std::env::current_exe().expect("current exe");
        let others_ok = |path: &Path, bits: u32| {
            std::fs::metadata(path).map(|m| m.permissions().mode() & bits == bits).unwrap_or(false)
        };
        let reachable = exe.ancestors().skip(1).all(|dir| others_ok(dir, 0o001)) && others_ok(&exe, 0o005);
        if reachable {
            return (exe, None);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let copy = dir.path().join("serial-permission-test");
        std::fs::copy(&exe, &copy).expect("copy test binary");
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        (copy, Some(dir))
    }

    /// The other half of [`as_root::permission_denied_names_group_and_fix_for_a_real_user`],
    /// which runs this test binary again as `nobody` for it: connects to the port it is given
    /// and prints what the user would see.
    #[test]
    #[ignore = "the child process of as_root::permission_denied_names_group_and_fix_for_a_real_user"]
    fn permission_child() {
        let path = std::env::var(CHILD_ENV).unwrap_or_else(|_| {
            panic!("not a test of its own: the test that needs root runs it, with {CHILD_ENV} naming the port")
        });
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let result = runtime.block_on(SerialConnector::new(path).connect(plan_8n1(115_200)));
        match result {
            Err(HardwareError::Io(message)) => println!("{CHILD_MARKER}{message}"),
            other => panic!("expected an I/O error, got {:?}", other.map(|_| ())),
        }
    }

    /// Tests that need root; `scripts/test.sh` runs them (`cargo test -- --ignored as_root::`).
    mod as_root {
        use super::*;

        #[test]
        #[ignore = "needs root, to give a pty to a group and run a child process as `nobody`; scripts/test.sh runs it"]
        fn permission_denied_names_group_and_fix_for_a_real_user() {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            use std::os::unix::process::CommandExt;

            let euid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
            assert_eq!(
                euid,
                Some(0),
                "this test needs root, to give a pty to a group and run a child process as `nobody`; \
                 `make test` runs it as root"
            );

            // A group `nobody` is not in: `dialout` if the system has it, else `tty`.
            let etc_group = std::fs::read_to_string("/etc/group").expect("/etc/group");
            let (group, gid) = ["dialout", "tty"]
                .iter()
                .find_map(|name| {
                    etc_group.lines().find_map(|line| {
                        let fields: Vec<&str> = line.split(':').collect();
                        let members = fields.get(3).copied().unwrap_or("");
                        (fields.len() >= 3 && fields[0] == *name && !members.split(',').any(|m| m == "nobody"))
                            .then(|| (name.to_string(), fields[2].parse::<u32>().ok()))
                    })
                })
                .and_then(|(name, gid)| Some((name, gid?)))
                .expect("a dialout or tty group in /etc/group");
            assert_ne!(gid, NOBODY);

            let (_master, slave) = pty();
            std::os::unix::fs::chown(&slave, None, Some(gid)).expect("chown pty slave");
            std::fs::set_permissions(&slave, std::fs::Permissions::from_mode(0o660)).expect("chmod pty slave");

            let (exe, _copy) = exe_for_nobody();
            let child_test = format!(
                "{}::permission_child",
                module_path!().split_once("::").and_then(|(_, rest)| rest.strip_suffix("::as_root")).unwrap()
            );
            let child = {
                let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
                std::process::Command::new(&exe)
                    .args(["--exact", &child_test, "--ignored", "--nocapture", "--test-threads=1"])
                    .env(CHILD_ENV, &slave)
                    .env_remove("RUST_LOG")
                    .current_dir("/")
                    .uid(NOBODY)
                    .gid(NOBODY)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn the test binary as nobody")
            };
            let output = child.wait_with_output().expect("child output");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "child failed: {}\n{stdout}\n{stderr}", output.status);
            assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
            let message = stdout
                .lines()
                .find_map(|line| line.split_once(CHILD_MARKER).map(|(_, m)| m.to_string()))
                .unwrap_or_else(|| panic!("no message from the child:\n{stdout}\n{stderr}"));
            println!("as nobody: {message}");
            assert!(message.contains(&slave), "{message}");
            assert!(message.contains(&format!("group `{group}`")), "{message}");
            assert!(message.contains(&format!("`sudo usermod -aG {group} $USER`")), "{message}");
            assert!(message.contains("log out and back in"), "{message}");
        }
    }
}
