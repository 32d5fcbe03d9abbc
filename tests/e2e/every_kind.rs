//! The engine the official Rust clients' tests command: one virtual device of each kind of
//! output, at fixed indexes, so that a spec v3 and a spec v4 client (and the same tests against
//! the Windows engine) address the same devices.

use plugboard_devices::virtual_device::VirtualKind;
use plugboard_e2e::{wait_for_level, EngineUnderTest};
use plugboard_protocol::model::OutputType;

/// The devices, at indexes 0 to 4 in this order.
pub(crate) const ALL_KINDS: [VirtualKind; 5] = [
    VirtualKind::Vibrator,
    VirtualKind::DualVibrator,
    VirtualKind::Rotator,
    VirtualKind::Stroker,
    VirtualKind::LovenseMax,
];
pub(crate) const VIBRATOR: u32 = 0;
pub(crate) const DUAL: u32 = 1;
pub(crate) const ROTATOR: u32 = 2;
pub(crate) const STROKER: u32 = 3;
pub(crate) const MAX: u32 = 4;

/// Waits until every output a stop-all stops is at rest: the vibrators, the rotator and the
/// Max's air pump. The stroker's position is not an output a stop moves.
pub(crate) async fn wait_for_every_output_stopped(engine: &impl EngineUnderTest) {
    wait_for_level(engine, VIBRATOR, 0, OutputType::Vibrate, 0).await;
    wait_for_level(engine, DUAL, 0, OutputType::Vibrate, 0).await;
    wait_for_level(engine, DUAL, 1, OutputType::Vibrate, 0).await;
    wait_for_level(engine, ROTATOR, 0, OutputType::Rotate, 0).await;
    wait_for_level(engine, MAX, 0, OutputType::Vibrate, 0).await;
    wait_for_level(engine, MAX, 1, OutputType::Constrict, 0).await;
}
