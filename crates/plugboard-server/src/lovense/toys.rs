//! Plugboard's devices as Lovense toys. Apps decide what to send from a toy's model name
//! (`lush` vibrates, `nora` also rotates, `max` also pumps, `solace` strokes), so each
//! device is presented under the Lovense model whose functions match its outputs, and each
//! Lovense function is mapped onto the outputs that can do it.

use std::collections::BTreeMap;

use plugboard_protocol::convert::steps::level_to_steps;
use plugboard_protocol::model::{DeviceInfo, FeatureCommand, OutputCommand, OutputType, Range};
use serde_json::{json, Value};

use super::action::{Action, Function};

/// One output of a device that the Lovense API can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub feature_index: u32,
    pub kind: OutputType,
    pub range: Range,
    /// Which vibrator this is (0 for the first), for `Vibrate1` .. `Vibrate3`.
    pub vibrator: Option<usize>,
}

impl Slot {
    /// Whether `function` drives this output.
    fn driven_by(&self, function: Function) -> bool {
        match (self.kind, function) {
            (OutputType::Vibrate, Function::Vibrate) => true,
            (OutputType::Vibrate, Function::Vibrate1) => self.vibrator == Some(0),
            (OutputType::Vibrate, Function::Vibrate2) => self.vibrator == Some(1),
            (OutputType::Vibrate, Function::Vibrate3) => self.vibrator == Some(2),
            (OutputType::Rotate, Function::Rotate) => true,
            (OutputType::Oscillate, Function::Oscillate | Function::Thrusting | Function::Fingering) => true,
            (OutputType::Constrict | OutputType::Inflate, Function::Pump | Function::Suction) => true,
            (OutputType::Position | OutputType::HwPositionWithDuration, Function::Position) => true,
            _ => false,
        }
    }

    /// A specific function wins over a general one for the same output (`Vibrate1:5` over
    /// `Vibrate:10`, whatever their order).
    fn specificity(function: Function) -> u8 {
        match function {
            Function::Vibrate1 | Function::Vibrate2 | Function::Vibrate3 => 2,
            _ => 1,
        }
    }

    /// The command that puts this output at `level` of `function`'s range.
    fn command(&self, function: Function, level: u32, move_ms: u32) -> OutputCommand {
        let fraction = f64::from(level.min(function.max_level())) / f64::from(function.max_level());
        let value = level_to_steps(fraction, self.range);
        let duration_ms = (self.kind == OutputType::HwPositionWithDuration).then_some(move_ms);
        OutputCommand { kind: self.kind, value, duration_ms }
    }
}

/// A device as the Lovense API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toy {
    /// Stable across restarts and reconnections: made from the device's address.
    pub id: String,
    pub device_index: u32,
    /// The Lovense model name apps read (`lush`, `edge`, `nora`, ...).
    pub model: &'static str,
    /// What the user calls the device (its display name, or its model name).
    pub nick_name: String,
    pub battery: Option<u8>,
    pub slots: Vec<Slot>,
}

/// How long a stroker takes to reach a `Position`, for strokers that need a duration: Lovense's
/// position command has none, and a quarter second follows a game's updates closely without
/// jerking.
pub const POSITION_MOVE_MS: u32 = 250;

impl Toy {
    /// Presents a device. `address` keeps the id stable; `name` is what the user sees.
    pub fn new(
        device_index: u32,
        address: &str,
        name: &str,
        battery: Option<u8>,
        outputs: impl IntoIterator<Item = (u32, OutputType, Range)>,
    ) -> Toy {
        let mut slots = Vec::new();
        let mut vibrators = 0;
        for (feature_index, kind, range) in outputs {
            let vibrator = (kind == OutputType::Vibrate).then(|| {
                vibrators += 1;
                vibrators - 1
            });
            let slot = Slot { feature_index, kind, range, vibrator };
            if Function::ALL.iter().any(|&function| slot.driven_by(function)) {
                slots.push(slot);
            }
        }
        Toy { id: toy_id(address), device_index, model: model_for(&slots), nick_name: name.to_string(), battery, slots }
    }

    /// Presents a connected device: Lovense toys keep their own model name, every other device
    /// gets the model whose functions match its outputs.
    pub fn of_device(info: &DeviceInfo, address: &str, battery: Option<u8>) -> Toy {
        let outputs = info
            .features
            .iter()
            .flat_map(|feature| feature.outputs.iter().map(move |output| (feature.index, output.kind, output.range)));
        let name = info.display_name.as_deref().unwrap_or(&info.name);
        let mut toy = Toy::new(info.index, address, name, battery, outputs);
        if let Some(model) = lovense_model(&info.name) {
            toy.model = model;
        }
        toy
    }

    /// Whether any output of the toy is driven by `function`.
    pub fn has(&self, function: Function) -> bool {
        self.slots.iter().any(|slot| slot.driven_by(function))
    }

    /// The commands that carry out `action` on this toy: each output gets the level of the
    /// most specific function that names it, `All` covers the outputs nothing else named, and
    /// `Stop` sets every output that stops to 0. Outputs the action does not touch are left
    /// out, so they keep running.
    pub fn commands(&self, action: &Action) -> Vec<FeatureCommand> {
        if action.stop {
            return self.stop_commands();
        }
        let mut chosen: BTreeMap<(u32, OutputType), (u8, OutputCommand)> = BTreeMap::new();
        for level in &action.levels {
            for slot in self.slots.iter().filter(|slot| slot.driven_by(level.function)) {
                let specificity = Slot::specificity(level.function);
                let command = slot.command(level.function, level.level, POSITION_MOVE_MS);
                let key = (slot.feature_index, slot.kind);
                if chosen.get(&key).is_none_or(|(held, _)| specificity >= *held) {
                    chosen.insert(key, (specificity, command));
                }
            }
        }
        if let Some(all) = action.all {
            for slot in self.slots.iter().filter(|slot| slot.kind.stops_at_zero()) {
                chosen.entry((slot.feature_index, slot.kind)).or_insert_with(|| {
                    let function = Function::ALL.into_iter().find(|&f| slot.driven_by(f)).unwrap_or(Function::Vibrate);
                    let level = super::program::scale_from_twenty(all, function);
                    (0, slot.command(function, level, POSITION_MOVE_MS))
                });
            }
        }
        chosen.into_iter().map(|((feature_index, _), (_, command))| FeatureCommand { feature_index, command }).collect()
    }

    /// The commands that move the toy's position outputs to `position` (0–100) in
    /// `duration_ms` (for outputs that take a duration; the others jump).
    pub fn move_commands(&self, position: u32, duration_ms: u32) -> Vec<FeatureCommand> {
        self.slots
            .iter()
            .filter(|slot| slot.driven_by(Function::Position))
            .map(|slot| FeatureCommand {
                feature_index: slot.feature_index,
                command: slot.command(Function::Position, position, duration_ms),
            })
            .collect()
    }

    /// Every output that stops, at 0.
    pub fn stop_commands(&self) -> Vec<FeatureCommand> {
        self.slots
            .iter()
            .filter(|slot| slot.kind.stops_at_zero())
            .map(|slot| FeatureCommand {
                feature_index: slot.feature_index,
                command: OutputCommand { kind: slot.kind, value: 0, duration_ms: None },
            })
            .collect()
    }

    /// The toy's entry in `GetToys`.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.model,
            "nickName": self.nick_name,
            "status": "1",
            "version": "",
            "battery": self.battery.map_or(-1, i32::from),
        })
    }
}

/// The Lovense model whose functions fit the outputs best.
/// Lovense models apps know by name.
const LOVENSE_MODELS: [&str; 24] = [
    "ambi", "calor", "diamo", "dolce", "domi", "edge", "exomoon", "ferri", "flexer", "gemini", "gravity", "gush",
    "hush", "hyphy", "lapis", "lush", "max", "mission", "nora", "osci", "ridge", "solace", "tenera", "vulse",
];

/// A Lovense toy keeps its own model: "Lovense Hush 2" is `hush`. `None` for other devices
/// (and Lovense models apps would not know), which are presented by their outputs.
pub fn lovense_model(device_name: &str) -> Option<&'static str> {
    let mut words = device_name.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("lovense") {
        return None;
    }
    let model = words.next()?.to_ascii_lowercase();
    LOVENSE_MODELS.iter().copied().find(|known| *known == model)
}

fn model_for(slots: &[Slot]) -> &'static str {
    let count = |kinds: &[OutputType]| slots.iter().filter(|slot| kinds.contains(&slot.kind)).count();
    let vibrators = count(&[OutputType::Vibrate]);
    let rotators = count(&[OutputType::Rotate]);
    let oscillators = count(&[OutputType::Oscillate]);
    let pumps = count(&[OutputType::Constrict, OutputType::Inflate]);
    let positions = count(&[OutputType::Position, OutputType::HwPositionWithDuration]);
    match () {
        _ if positions > 0 && vibrators == 0 => "solace",
        _ if oscillators > 0 && vibrators > 0 => "gravity",
        _ if oscillators > 0 => "osci",
        _ if rotators > 0 => "nora",
        _ if pumps > 0 => "max",
        _ if vibrators >= 2 => "edge",
        _ => "lush",
    }
}

/// Twelve hex digits, as Lovense toy ids look, from the device's address (FNV-1a, which is
/// stable across builds and platforms, unlike the standard library's hasher).
pub fn toy_id(address: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in address.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:012x}", hash & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lovense::action::parse_action;

    const LEVEL: Range = Range::new(0, 20);

    type Outputs<'a> = &'a [(u32, OutputType, Range)];

    fn toy(outputs: &[(u32, OutputType, Range)]) -> Toy {
        Toy::new(3, "ble:AA:BB", "My toy", Some(80), outputs.iter().copied())
    }

    fn sent(toy: &Toy, action: &str) -> Vec<(u32, OutputType, i32)> {
        toy.commands(&parse_action(action).unwrap())
            .into_iter()
            .map(|c| (c.feature_index, c.command.kind, c.command.value))
            .collect()
    }

    #[test]
    fn lovense_toys_keep_their_own_model() {
        assert_eq!(lovense_model("Lovense Hush 2"), Some("hush"));
        assert_eq!(lovense_model("lovense EDGE"), Some("edge"));
        assert_eq!(lovense_model("Lovense Unknownmodel"), None);
        assert_eq!(lovense_model("We-Vibe Sync"), None);
        assert_eq!(lovense_model(""), None);
    }

    #[test]
    fn models_follow_the_outputs() {
        use OutputType::*;
        let cases: [(Outputs<'_>, &str); 8] = [
            (&[(0, Vibrate, LEVEL)], "lush"),
            (&[(0, Vibrate, LEVEL), (1, Vibrate, LEVEL)], "edge"),
            (&[(0, Vibrate, LEVEL), (1, Rotate, Range::new(-20, 20))], "nora"),
            (&[(0, Vibrate, LEVEL), (1, Constrict, Range::new(0, 3))], "max"),
            (&[(0, Oscillate, LEVEL)], "osci"),
            (&[(0, Vibrate, LEVEL), (1, Oscillate, LEVEL)], "gravity"),
            (&[(0, HwPositionWithDuration, Range::new(0, 100))], "solace"),
            (&[(0, Led, LEVEL)], "lush"),
        ];
        for (outputs, model) in cases {
            assert_eq!(toy(outputs).model, model, "{outputs:?}");
        }
    }

    #[test]
    fn ids_are_stable_twelve_hex_digits_and_differ_between_devices() {
        let id = toy_id("ble:AA:BB");
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(id, toy_id("ble:AA:BB"));
        assert_ne!(id, toy_id("ble:AA:BC"));
    }

    #[test]
    fn levels_are_scaled_onto_each_outputs_range() {
        use OutputType::*;
        let nora = toy(&[(0, Vibrate, Range::new(0, 100)), (1, Rotate, Range::new(-20, 20))]);
        assert_eq!(sent(&nora, "Vibrate:10,Rotate:20"), [(0, Vibrate, 50), (1, Rotate, 20)]);
        let max = toy(&[(0, Vibrate, LEVEL), (1, Constrict, Range::new(0, 3))]);
        assert_eq!(sent(&max, "Pump:2"), [(1, Constrict, 2)]);
    }

    #[test]
    fn numbered_vibrators_win_over_vibrate_in_any_order() {
        use OutputType::*;
        let edge = toy(&[(0, Vibrate, LEVEL), (1, Vibrate, LEVEL)]);
        assert_eq!(sent(&edge, "Vibrate:10"), [(0, Vibrate, 10), (1, Vibrate, 10)]);
        assert_eq!(sent(&edge, "Vibrate2:4,Vibrate:10"), [(0, Vibrate, 10), (1, Vibrate, 4)]);
        assert_eq!(sent(&edge, "Vibrate:10,Vibrate2:4"), [(0, Vibrate, 10), (1, Vibrate, 4)]);
        assert_eq!(sent(&edge, "Vibrate1:7"), [(0, Vibrate, 7)]);
        assert_eq!(sent(&edge, "Vibrate3:7"), []);
    }

    #[test]
    fn all_covers_what_nothing_else_named_and_stop_covers_everything() {
        use OutputType::*;
        let max = toy(&[(0, Vibrate, LEVEL), (1, Constrict, Range::new(0, 3)), (2, Position, Range::new(0, 100))]);
        assert_eq!(sent(&max, "All:20,Vibrate:5"), [(0, Vibrate, 5), (1, Constrict, 3)]);
        assert_eq!(sent(&max, "Stop"), [(0, Vibrate, 0), (1, Constrict, 0)]);
        assert_eq!(max.stop_commands().len(), 2);
    }

    #[test]
    fn thrusting_drives_an_oscillator_and_position_a_stroker_with_a_duration() {
        use OutputType::*;
        let solace = toy(&[(0, Oscillate, LEVEL), (1, HwPositionWithDuration, Range::new(0, 100))]);
        assert_eq!(sent(&solace, "Thrusting:15"), [(0, Oscillate, 15)]);
        let commands = solace.commands(&parse_action("Position:40").unwrap());
        assert_eq!(commands.len(), 1);
        assert_eq!(commands[0].command.value, 40);
        assert_eq!(commands[0].command.duration_ms, Some(POSITION_MOVE_MS));
    }

    #[test]
    fn outputs_no_function_drives_are_not_slots() {
        let toy = toy(&[(0, OutputType::Vibrate, LEVEL), (1, OutputType::Led, LEVEL)]);
        assert_eq!(toy.slots.len(), 1);
        assert!(toy.has(Function::Vibrate) && !toy.has(Function::Rotate));
    }

    #[test]
    fn get_toys_entry() {
        let json = toy(&[(0, OutputType::Vibrate, LEVEL)]).to_json();
        assert_eq!(json["name"], "lush");
        assert_eq!(json["nickName"], "My toy");
        assert_eq!(json["status"], "1");
        assert_eq!(json["battery"], 80);
    }
}
