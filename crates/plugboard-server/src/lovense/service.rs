//! Carrying out a [`Command`] for one calling app: which toys it means, what each should do,
//! and the answer. No HTTP here: the server hands every request to [`Service::execute`] with
//! the app's [`Runner`], so every command is tested against real (virtual) devices without
//! a socket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use plugboard_devices::DeviceManager;
use plugboard_protocol::model::{InputType, Reading};
use serde_json::{json, Map, Value};

use super::action::{Action, Function, Level};
use super::answer::{ok, ok_with, ApiError};
use super::program::{PositionScript, Program};
use super::request::{Command, PatternV2, Toys};
use super::runner::Runner;
use super::toy_index::ToyIndex;
use super::toys::Toy;

/// What the API shares between its calling apps: the devices, their toys and the loaded
/// position scripts.
pub struct Service {
    devices: Arc<DeviceManager>,
    index: ToyIndex,
    /// `PatternV2` Setup scripts, per device index, until the next Setup.
    scripts: Mutex<HashMap<u32, PositionScript>>,
}

impl Service {
    pub fn new(devices: Arc<DeviceManager>) -> Service {
        Service { devices, index: ToyIndex::default(), scripts: Mutex::default() }
    }

    /// The toys an app may use: every connected device that `visible` lets it see (by
    /// address, as the engine's access rules decide), with its battery level.
    pub fn toys(&self, visible: &(dyn Fn(&str) -> bool + Sync)) -> Vec<Toy> {
        self.devices
            .snapshot()
            .iter()
            .filter(|device| visible(&device.address))
            .map(|device| Toy::of_device(&device.info, &device.address, device.battery))
            .collect()
    }

    /// Carries out `command` for the app whose programs `runner` runs; the answer's body.
    pub async fn execute(
        &self,
        runner: &Arc<Runner>,
        visible: &(dyn Fn(&str) -> bool + Sync),
        command: Command,
    ) -> Value {
        match self.try_execute(runner, visible, command).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::debug!(%error, "Lovense API: refused");
                error.to_json()
            }
        }
    }

    async fn try_execute(
        &self,
        runner: &Arc<Runner>,
        visible: &(dyn Fn(&str) -> bool + Sync),
        command: Command,
    ) -> Result<Value, ApiError> {
        // Only GetToys and Battery answer the battery level; the rest take the toys from the
        // index, which does not copy every device's description per request.
        let toys: Vec<Arc<Toy>> = match command {
            Command::GetToys | Command::Battery { .. } => self.toys(visible).into_iter().map(Arc::new).collect(),
            _ => self.index.toys(&self.devices, visible),
        };
        match command {
            Command::GetToys => Ok(get_toys(&toys)),
            Command::GetToyName => {
                Ok(ok_with(Value::Array(toys.iter().map(|toy| Value::String(capitalised(toy.model))).collect())))
            }
            Command::Function { action, total_ms, loop_run_ms, loop_pause_ms, toys: wanted, stop_previous } => {
                let chosen = choose(&toys, &wanted)?;
                if action.is_all_zero() {
                    for toy in chosen {
                        runner.stop_toy(toy.device_index);
                    }
                    return Ok(ok());
                }
                let able = able_to(&chosen, &action)?;
                for toy in able {
                    let program = Program::steady(action.clone(), total_ms, loop_run_ms, loop_pause_ms);
                    runner.start(Arc::clone(toy), program, stop_previous);
                }
                Ok(ok())
            }
            Command::Pattern { pattern, total_ms, toys: wanted } => {
                let chosen = choose(&toys, &wanted)?;
                let action = Action {
                    levels: pattern.functions.iter().map(|&function| Level { function, level: 1 }).collect(),
                    all: pattern.functions.is_empty().then_some(1),
                    stop: false,
                };
                for toy in able_to(&chosen, &action)? {
                    runner.start(Arc::clone(toy), Program::pattern(pattern.clone(), total_ms), true);
                }
                Ok(ok())
            }
            Command::Position { position, toys: wanted } => {
                let chosen = choose(&toys, &wanted)?;
                let action = Action {
                    levels: vec![Level { function: Function::Position, level: position }],
                    all: None,
                    stop: false,
                };
                for toy in able_to(&chosen, &action)? {
                    runner.start(Arc::clone(toy), Program::steady(action.clone(), None, None, None), true);
                }
                Ok(ok())
            }
            Command::PatternV2 { step, toys: wanted } => self.pattern_v2(runner, &toys, &wanted, step),
            Command::Battery { toys: wanted } => self.battery(&choose(&toys, &wanted)?).await,
        }
    }

    fn pattern_v2(
        &self,
        runner: &Arc<Runner>,
        toys: &[Arc<Toy>],
        wanted: &Toys,
        step: PatternV2,
    ) -> Result<Value, ApiError> {
        if let PatternV2::SyncTime = step {
            return Ok(ok_with(json!({ "time": now_ms() })));
        }
        let chosen = choose(toys, wanted)?;
        let strokers: Vec<&Arc<Toy>> = chosen.into_iter().filter(|toy| toy.has(Function::Position)).collect();
        if strokers.is_empty() {
            return Err(ApiError::not_supported("PatternV2 plays positions: none of these toys is a stroker."));
        }
        let mut scripts = self.scripts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match step {
            PatternV2::Setup(script) => {
                for toy in strokers {
                    scripts.insert(toy.device_index, script.clone());
                }
            }
            PatternV2::Play { start_time, offset_ms } => {
                let delay = start_time.map_or(Duration::ZERO, |at| Duration::from_millis(at.saturating_sub(now_ms())));
                for toy in strokers {
                    let script = scripts.get(&toy.device_index).cloned().ok_or_else(|| {
                        ApiError::invalid_parameter("PatternV2 Play needs a Setup first: no script is loaded.")
                    })?;
                    runner.play(Arc::clone(toy), script, offset_ms, delay);
                }
            }
            PatternV2::Stop => {
                for toy in strokers {
                    runner.stop_toy(toy.device_index);
                }
            }
            PatternV2::InitPlay | PatternV2::SyncTime => {}
        }
        Ok(ok())
    }

    async fn battery(&self, chosen: &[&Arc<Toy>]) -> Result<Value, ApiError> {
        let mut levels = Map::new();
        for toy in chosen {
            let level = match toy.battery {
                Some(level) => Some(level),
                None => self.read_battery(toy.device_index).await,
            };
            levels.insert(toy.id.clone(), level.map_or(Value::Null, Value::from));
        }
        let first = levels.values().next().cloned();
        let mut answer = ok_with(Value::Object(levels));
        // The older `GET /Battery` answered one toy's level at the top level; apps still read it.
        if let (Value::Object(body), Some(first)) = (&mut answer, first) {
            body.insert("battery".into(), first);
        }
        Ok(answer)
    }

    async fn read_battery(&self, device_index: u32) -> Option<u8> {
        let device = self.devices.snapshot().into_iter().find(|device| device.info.index == device_index)?;
        let feature = device.info.features.iter().find(|feature| feature.input(InputType::Battery).is_some())?.index;
        match self.devices.read(device_index, feature, InputType::Battery).await {
            Ok(Reading::Battery(level)) => Some(level),
            _ => None,
        }
    }
}

/// The toys a command names. An id no toy has is refused (401); with no toy connected at all,
/// 402.
fn choose<'t>(toys: &'t [Arc<Toy>], wanted: &Toys) -> Result<Vec<&'t Arc<Toy>>, ApiError> {
    match wanted {
        Toys::All if toys.is_empty() => Err(ApiError::toy_not_connected("any")),
        Toys::All => Ok(toys.iter().collect()),
        Toys::Ids(ids) => ids
            .iter()
            .map(|id| {
                toys.iter().find(|toy| toy.id.eq_ignore_ascii_case(id)).ok_or_else(|| ApiError::toy_not_found(id))
            })
            .collect(),
    }
}

/// The chosen toys that can do something of `action`; refused (403) when none can.
fn able_to<'t>(chosen: &[&'t Arc<Toy>], action: &Action) -> Result<Vec<&'t Arc<Toy>>, ApiError> {
    let able: Vec<&Arc<Toy>> = chosen
        .iter()
        .copied()
        .filter(|toy| action.all.is_some() || action.levels.iter().any(|level| toy.has(level.function)))
        .collect();
    if able.is_empty() {
        let named: Vec<&str> = action.levels.iter().map(|level| level.function.name()).collect();
        return Err(ApiError::not_supported(format!(
            "None of these toys can do {}: GetToys says what each one is.",
            named.join(" or ")
        )));
    }
    Ok(able)
}

fn get_toys(toys: &[Arc<Toy>]) -> Value {
    let map: Map<String, Value> = toys.iter().map(|toy| (toy.id.clone(), toy.to_json())).collect();
    // `toys` is a JSON document inside the JSON, as Lovense Remote sends it and apps parse it.
    ok_with(json!({ "toys": Value::Object(map).to_string(), "platform": "pc", "appType": "remote" }))
}

fn capitalised(model: &str) -> String {
    let mut chars = model.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lovense::request::from_json;
    use plugboard_devices::virtual_device::{VirtualDeviceSpec, VirtualKind};
    use plugboard_protocol::model::OutputType;

    struct Setup {
        devices: Arc<DeviceManager>,
        service: Service,
        runner: Arc<Runner>,
    }

    fn setup(kinds: &[VirtualKind]) -> Setup {
        let devices = DeviceManager::new();
        for &kind in kinds {
            devices.add_virtual(VirtualDeviceSpec::new(kind));
        }
        Setup { service: Service::new(Arc::clone(&devices)), runner: Runner::new(Arc::clone(&devices), 77), devices }
    }

    impl Setup {
        async fn call(&self, json: &str) -> Value {
            let command = from_json(json.as_bytes()).unwrap();
            let answer = self.service.execute(&self.runner, &|_| true, command).await;
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            answer
        }

        fn level(&self, device_index: u32, feature_index: u32, kind: OutputType) -> i32 {
            self.devices.output_level(device_index, feature_index, kind).unwrap()
        }

        fn id_of(&self, device_index: u32) -> String {
            self.service.toys(&|_| true).into_iter().find(|toy| toy.device_index == device_index).unwrap().id
        }
    }

    #[tokio::test(start_paused = true)]
    async fn get_toys_answers_the_toys_as_a_json_string() {
        let s = setup(&[VirtualKind::Vibrator, VirtualKind::LovenseMax]);
        let answer = s.call(r#"{"command":"GetToys"}"#).await;
        assert_eq!(answer["code"], 200);
        let toys: Value = serde_json::from_str(answer["data"]["toys"].as_str().expect("a string")).unwrap();
        let toys = toys.as_object().unwrap();
        assert_eq!(toys.len(), 2);
        let mut models: Vec<&str> = toys.values().map(|toy| toy["name"].as_str().unwrap()).collect();
        models.sort();
        assert_eq!(models, ["lush", "max"]);
        for (id, toy) in toys {
            assert_eq!(toy["id"], id.as_str());
        }
        let names = s.call(r#"{"command":"GetToyName"}"#).await;
        assert_eq!(names["data"].as_array().unwrap().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn function_drives_the_named_toy_only_and_stop_stops_it() {
        let s = setup(&[VirtualKind::Vibrator, VirtualKind::Vibrator]);
        let first = s.id_of(0);
        let answer =
            s.call(&format!(r#"{{"command":"Function","action":"Vibrate:15","toy":"{first}","timeSec":0}}"#)).await;
        assert_eq!(answer["code"], 200, "{answer}");
        assert_eq!((s.level(0, 0, OutputType::Vibrate), s.level(1, 0, OutputType::Vibrate)), (15, 0));
        s.call(r#"{"command":"Function","action":"Vibrate:8"}"#).await;
        assert_eq!((s.level(0, 0, OutputType::Vibrate), s.level(1, 0, OutputType::Vibrate)), (8, 8));
        s.call(&format!(r#"{{"command":"Function","action":"Stop","toy":"{first}"}}"#)).await;
        assert_eq!((s.level(0, 0, OutputType::Vibrate), s.level(1, 0, OutputType::Vibrate)), (0, 8));
        s.call(r#"{"command":"Function","action":"Vibrate:0"}"#).await;
        assert_eq!(s.level(1, 0, OutputType::Vibrate), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_carry_the_lovense_codes() {
        let none = setup(&[]);
        assert_eq!(none.call(r#"{"command":"Function","action":"Vibrate:5"}"#).await["code"], 402);
        let s = setup(&[VirtualKind::Vibrator]);
        assert_eq!(s.call(r#"{"command":"Function","action":"Vibrate:5","toy":"000000000000"}"#).await["code"], 401);
        assert_eq!(s.call(r#"{"command":"Function","action":"Rotate:5"}"#).await["code"], 403);
        assert_eq!(s.call(r#"{"command":"Position","value":50}"#).await["code"], 403);
        assert_eq!(s.call(r#"{"command":"PatternV2","type":"Play"}"#).await["code"], 403);
        assert_eq!(s.level(0, 0, OutputType::Vibrate), 0, "nothing ran");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pattern_runs_for_its_time_then_stops() {
        let s = setup(&[VirtualKind::Vibrator]);
        let answer =
            s.call(r#"{"command":"Pattern","rule":"V:1;F:v;S:500#","strength":"20;10","timeSec":2,"apiVer":2}"#).await;
        assert_eq!(answer["code"], 200, "{answer}");
        assert_eq!(s.level(0, 0, OutputType::Vibrate), 20);
        tokio::time::sleep(Duration::from_millis(501)).await;
        tokio::task::yield_now().await;
        assert_eq!(s.level(0, 0, OutputType::Vibrate), 10);
        tokio::time::sleep(Duration::from_millis(1600)).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(s.level(0, 0, OutputType::Vibrate), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn pattern_v2_plays_a_script_on_a_stroker() {
        let s = setup(&[VirtualKind::Stroker]);
        let setup_answer = s
            .call(r#"{"command":"PatternV2","type":"Setup","actions":[{"ts":0,"pos":0},{"ts":400,"pos":70},{"ts":900,"pos":10}]}"#)
            .await;
        assert_eq!(setup_answer["code"], 200, "{setup_answer}");
        s.call(r#"{"command":"PatternV2","type":"Play","offsetTime":0}"#).await;
        assert_eq!(s.level(0, 0, OutputType::HwPositionWithDuration), 70);
        tokio::time::sleep(Duration::from_millis(401)).await;
        tokio::task::yield_now().await;
        assert_eq!(s.level(0, 0, OutputType::HwPositionWithDuration), 10);
        let time = s.call(r#"{"command":"PatternV2","type":"SyncTime"}"#).await;
        assert!(time["data"]["time"].as_u64().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn battery_is_read_from_the_device() {
        let s = setup(&[VirtualKind::LovenseMax]);
        let answer = s.call(r#"{"command":"Battery"}"#).await;
        assert_eq!(answer["code"], 200, "{answer}");
        assert_eq!(answer["battery"], 80);
        assert_eq!(answer["data"][s.id_of(0)], 80);
    }

    #[test]
    fn model_names_are_capitalised_for_get_toy_name() {
        assert_eq!(capitalised("nora"), "Nora");
        assert_eq!(capitalised(""), "");
    }
}
