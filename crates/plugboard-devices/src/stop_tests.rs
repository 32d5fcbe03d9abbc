//! Every kind of stop, for every device model with several outputs of every protocol the
//! registry ([`protocols::names`]) has: the device gets the fewest writes its protocol needs.
//!
//! Each model of the built-in database (and each protocol's defaults) whose outputs include two
//! or more that stop at zero is connected through a [`FakeHardware`] into a [`DeviceManager`],
//! with a real device task. Then, in turn: every output is set running with one command (as a
//! v3 ScalarCmd with several entries arrives), and one kind of stop follows (a client's StopCmd
//! for the device, for one feature, its StopAllDevices, which is also what its disconnect and
//! ping time-out do, the user's STOP ALL, and the user disabling an output). What the fake
//! received for each is compared with what the protocol's encoder gives for the whole change at
//! once, on a [`Sim`] that mirrors the device: one encode per request, never one per output
//! (docs/architecture.md, Safety). A protocol added to the registry is covered without a change here.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use plugboard_protocol::model::{DeviceInfo, Feature, FeatureCommand, Output, OutputCommand, OutputType, StopScope};
use tokio::sync::mpsc;

use crate::config::database::{Database, DeviceDefinition};
use crate::device_task::{DeviceTask, Slot};
use crate::hardware::{Endpoint, Hardware, Write};
use crate::manager::{ClientId, DeviceLink, DeviceManager};
use crate::protocols::test_support::Sim;
use crate::protocols::{self, lelo, Protocol};
use crate::testing::FakeHardware;

/// The client that sets the outputs and sends its stops.
const CLIENT: ClientId = 7;
const INDEX: u32 = 0;
const ADDRESS: &str = "00:00:00:00:5a:0f";

/// How long initialisation may take on the paused clock: protocols that wait for an answer
/// the fake never gives time out well within it.
const INITIALIZE: Duration = Duration::from_secs(60);

/// With the clock paused, time only moves on when every task is idle, so this returns once the
/// device task has carried out everything sent to it (and written it to the fake).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// Gives the talkative protocols what they wait for while initialising: their simulated device
/// (a Honey Play Box's handshake reply among them), something to read on every endpoint (a
/// model, a challenge), and a Lelo's "authorised" on its security endpoints, repeated until the
/// returned task is aborted.
fn answer_like_a_device(fake: Arc<FakeHardware>, protocol: &str) -> tokio::task::JoinHandle<()> {
    if let Some(device) = crate::protocols::simulated_devices::for_protocol(protocol) {
        fake.simulate_boxed(device);
    }
    for &endpoint in Hardware::endpoints(&*fake) {
        fake.set_read(endpoint, &[0; 20]);
    }
    tokio::spawn(async move {
        loop {
            for endpoint in [Endpoint::Whitelist, Endpoint::Generic(0)] {
                fake.notify(endpoint, &lelo::AUTHORISED);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
}

/// A level for each output that is not 0 and differs from the others where the range allows.
fn running(features: &[Feature]) -> Vec<FeatureCommand> {
    let outputs: Vec<(u32, &Output)> =
        features.iter().flat_map(|f| f.outputs.iter().map(move |o| (f.index, o))).collect();
    let count = outputs.len() as i32;
    outputs
        .iter()
        .enumerate()
        .map(|(n, &(feature_index, output))| {
            let max = output.range.max;
            let value = (max * (n as i32 + 1) / (count + 1)).max(1.min(max));
            let duration_ms = output.duration.map(|d| 500.clamp(d.min, d.max.max(d.min)) as u32);
            FeatureCommand { feature_index, command: OutputCommand { kind: output.kind, value, duration_ms } }
        })
        .collect()
}

/// One connected device, and a [`Sim`] of it for the writes each change should cost.
struct Rig {
    manager: Arc<DeviceManager>,
    fake: Arc<FakeHardware>,
    sim: Sim,
    features: Vec<Feature>,
    label: String,
}

impl Rig {
    /// Connects `definition` through its protocol; `None` if the protocol cannot initialise
    /// without answers the fake does not give.
    async fn connect(
        protocol: &'static dyn Protocol,
        identifier: Option<&str>,
        definition: &DeviceDefinition,
        endpoints: &[Endpoint],
    ) -> Option<Rig> {
        let features = definition.features.clone();
        let initialize = |fake: Arc<FakeHardware>| {
            let features = features.clone();
            async move {
                let device = answer_like_a_device(fake.clone(), protocol.name());
                let handler =
                    tokio::time::timeout(INITIALIZE, protocol.initialize(&*fake, identifier, &features)).await;
                device.abort();
                fake.take_writes();
                handler.ok()?.ok()
            }
        };
        let name = identifier.unwrap_or("toy");
        let fake = Arc::new(FakeHardware::with_endpoints(name, ADDRESS, endpoints));
        let handler = initialize(fake.clone()).await?;
        let mirror = initialize(Arc::new(FakeHardware::with_endpoints(name, ADDRESS, endpoints))).await?;

        let mut slots = Vec::new();
        let mut slot_of = HashMap::new();
        for feature in &features {
            for output in &feature.outputs {
                slot_of.insert((feature.index, output.kind), slots.len());
                slots.push(Slot { feature_index: feature.index, kind: output.kind, advertised: output.range });
            }
        }
        // No message gap: what is counted here is the writes, not their timing
        // (device_task's own tests hold a stop against the gap).
        let task = DeviceTask::new(fake.clone(), handler, slots, Vec::new(), Duration::ZERO);
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(task.run(receiver));

        let describe = |index| DeviceInfo {
            index,
            name: definition.name.clone(),
            display_name: None,
            message_gap_ms: 0,
            features: features.clone(),
        };
        let link = DeviceLink {
            task: sender,
            slots: slot_of,
            address: ADDRESS.to_owned(),
            transport: "test",
            protocol: protocol.name().to_owned(),
        };
        let manager = DeviceManager::new();
        manager.add_connected(INDEX, describe, link);
        // The keepalive seed of repeat-last protocols is not what this test counts; the mirror
        // numbers its writes on after it, as the task does (protocols with frame counters), and
        // runs the handler's first tick, as the task does (a time-driven handler's own seed).
        settle().await;
        let seed = fake.take_writes();
        let mut sim = Sim::new(mirror, &features);
        sim.next_frame = sim.next_frame.plus(seed.len());
        sim.start();
        let label = format!("{} {:?} ({})", protocol.name(), identifier, definition.name);
        Some(Rig { manager, fake, sim, features, label })
    }

    /// Runs `act` on the device and checks that the fake received exactly `expected`, and no
    /// packet twice.
    async fn check(&mut self, what: &str, expected: Vec<Write>, act: impl FnOnce(&DeviceManager)) {
        act(&self.manager);
        settle().await;
        let written = self.fake.take_writes();
        assert_eq!(
            written,
            expected,
            "{}, {what}: {} writes where one encode of the whole change gives {}",
            self.label,
            written.len(),
            expected.len()
        );
        let twice = written.iter().enumerate().any(|(i, write)| written[..i].contains(write));
        assert!(!twice, "{}, {what}: a packet written twice: {written:?}", self.label);
    }

    /// Every output running, set by one command.
    async fn start(&mut self, before: &str) {
        let commands = running(&self.features);
        let as_sim: Vec<_> = commands
            .iter()
            .map(|c| (c.feature_index, c.command.kind, c.command.value, c.command.duration_ms))
            .collect();
        let expected = self.sim.flush_with_duration(&as_sim);
        self.check(&format!("every output set by one command, before {before}"), expected, |manager| {
            manager.command(CLIENT, INDEX, &commands).expect("the outputs exist");
        })
        .await;
    }

    /// The writes of stopping the stoppable outputs of `feature` (every feature: `None`).
    fn stop_of(&mut self, feature: Option<u32>) -> Vec<Write> {
        let stops: Vec<(u32, OutputType, i32)> = self
            .features
            .iter()
            .filter(|f| feature.is_none_or(|wanted| wanted == f.index))
            .flat_map(|f| f.outputs.iter().map(move |o| (f.index, o.kind)))
            .filter(|(_, kind)| kind.stops_at_zero())
            .map(|(feature, kind)| (feature, kind, 0))
            .collect();
        self.sim.flush(&stops)
    }
}

fn endpoints_of(database: &Database, protocol: &str) -> Vec<Endpoint> {
    let Some(def) = database.protocol(protocol) else { return vec![Endpoint::Tx, Endpoint::Rx] };
    let mut endpoints: Vec<Endpoint> =
        def.endpoints.values().flat_map(|map| map.keys()).filter_map(|name| name.parse().ok()).collect();
    if endpoints.is_empty() {
        endpoints = vec![Endpoint::Tx, Endpoint::Rx];
    }
    endpoints.sort();
    endpoints.dedup();
    endpoints
}

fn stoppable_outputs(features: &[Feature]) -> usize {
    features.iter().flat_map(|f| &f.outputs).filter(|o| o.kind.stops_at_zero()).count()
}

#[tokio::test(start_paused = true)]
async fn every_stop_is_one_encode_for_every_protocol_with_several_outputs() {
    let database = Database::builtin().expect("the built-in database loads");
    let mut covered = BTreeSet::new();
    let mut not_initialised = Vec::new();
    for name in protocols::names() {
        let protocol = protocols::by_name(name).expect("every registered name has a protocol");
        let endpoints = endpoints_of(&database, name);
        let models = database.protocol(name).map(|def| def.models.clone()).unwrap_or_default();
        let identifiers = models.iter().map(|model| Some(model.identifiers[0].as_str())).chain([None]);
        // One device per distinct set of outputs: models that share one behave the same.
        let mut shapes = BTreeSet::new();
        for identifier in identifiers {
            let Some(definition) = database.definition(protocol.definition_protocol(identifier), identifier) else {
                continue;
            };
            if stoppable_outputs(&definition.features) < 2 || !shapes.insert(format!("{:?}", definition.features)) {
                continue;
            }
            let Some(mut rig) = Rig::connect(protocol, identifier, &definition, &endpoints).await else {
                not_initialised.push(format!("{name} {identifier:?}"));
                continue;
            };
            covered.insert(name);

            rig.start("StopCmd for the device").await;
            let expected = rig.stop_of(None);
            rig.check("StopCmd for the device", expected, |manager| {
                manager.stop(Some(CLIENT), StopScope::device(INDEX)).unwrap();
            })
            .await;

            let feature = rig.features.iter().find(|f| f.outputs.iter().any(|o| o.kind.stops_at_zero())).unwrap().index;
            rig.start("StopCmd for one feature").await;
            let expected = rig.stop_of(Some(feature));
            rig.check(&format!("StopCmd for feature {feature}"), expected, |manager| {
                let scope = StopScope { feature_index: Some(feature), ..StopScope::device(INDEX) };
                manager.stop(Some(CLIENT), scope).unwrap();
            })
            .await;

            rig.start("StopAllDevices").await;
            let expected = rig.stop_of(None);
            // Also what a client's disconnect and its ping time-out do (session.rs).
            rig.check("StopAllDevices", expected, |manager| {
                manager.stop(Some(CLIENT), StopScope::EVERYTHING).unwrap();
            })
            .await;

            rig.start("STOP ALL").await;
            let expected = rig.stop_of(None);
            rig.check("STOP ALL of the window or the tray", expected, |manager| {
                manager.stop(None, StopScope::EVERYTHING).unwrap();
            })
            .await;

            rig.start("an output disabled").await;
            let output = rig.features.iter().flat_map(|f| f.outputs.iter().map(move |o| (f.index, o.kind)));
            let (feature, kind) = output.clone().find(|(_, kind)| kind.stops_at_zero()).unwrap();
            let expected = rig.sim.flush(&[(feature, kind, 0)]);
            rig.check("the user disabling an output", expected, |manager| {
                manager.set_output_limit(ADDRESS, feature, kind, None, true).unwrap();
            })
            .await;
        }
    }
    assert!(
        not_initialised.is_empty(),
        "not initialised with the answers of answer_like_a_device: {not_initialised:?}"
    );
    assert!(covered.len() >= 20, "protocols with a multi-output model covered: {covered:?}");
}
