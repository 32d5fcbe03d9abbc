//! A request to the API, read into one [`Command`]: the JSON body of `POST /command`, or
//! the path and query of the older GET endpoints (`/Vibrate?v=10&t=<id>`). Apps are loose
//! with types (`"timeSec": "5"`, `"toy": ["a", "b"]`, `"toy": "a,b"`), so every field is
//! read leniently and refused only when it cannot mean anything.

use serde_json::{Map, Value};

use super::action::{parse_action, Action, Function, Level};
use super::answer::ApiError;
use super::program::{parse_pattern, seconds_to_ms, PatternSpec, PositionScript, Preset, ScriptPoint};

/// Which toys a command is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Toys {
    /// No `toy` given: every toy.
    All,
    Ids(Vec<String>),
}

/// A `PatternV2` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternV2 {
    /// Load a position script.
    Setup(PositionScript),
    /// Play the loaded script from `offset_ms` (at `start_time`, a time in ms the app and the
    /// server agreed on with SyncTime; `None` starts now).
    Play {
        start_time: Option<u64>,
        offset_ms: u64,
    },
    /// Get ready to play (nothing to do here: Plugboard's toys are ready).
    InitPlay,
    Stop,
    /// The server's clock, for `Play`'s start time.
    SyncTime,
}

/// Everything the API does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    GetToys,
    GetToyName,
    Function {
        action: Action,
        total_ms: Option<u64>,
        loop_run_ms: Option<u64>,
        loop_pause_ms: Option<u64>,
        toys: Toys,
        /// `stopPrevious` (default true): stop what earlier commands run on these toys first.
        stop_previous: bool,
    },
    Pattern {
        pattern: PatternSpec,
        total_ms: Option<u64>,
        toys: Toys,
    },
    PatternV2 {
        step: PatternV2,
        toys: Toys,
    },
    Position {
        position: u32,
        toys: Toys,
    },
    Battery {
        toys: Toys,
    },
}

impl Command {
    /// Whether the command can set a toy's outputs (or stop them), rather than only read or
    /// load something.
    pub fn drives_toys(&self) -> bool {
        match self {
            Command::Function { .. } | Command::Pattern { .. } | Command::Position { .. } => true,
            Command::PatternV2 { step, .. } => matches!(step, PatternV2::Play { .. } | PatternV2::Stop),
            Command::GetToys | Command::GetToyName | Command::Battery { .. } => false,
        }
    }

    /// Whether this command only stops (a `Function` with `Stop` or every level 0, a PatternV2
    /// `Stop`): no rate limit refuses it (docs/architecture.md, "Safety").
    pub fn is_stop(&self) -> bool {
        match self {
            Command::Function { action, .. } => action.is_all_zero(),
            Command::PatternV2 { step: PatternV2::Stop, .. } => true,
            _ => false,
        }
    }
}

/// Reads the JSON body of `POST /command`.
pub fn from_json(body: &[u8]) -> Result<Command, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::invalid_command(format!("The request body is not JSON: {error}.")))?;
    let Value::Object(fields) = value else {
        return Err(ApiError::invalid_command("The request body must be a JSON object with a `command`."));
    };
    let fields = Fields(&fields);
    let command =
        fields.string("command")?.ok_or_else(|| ApiError::invalid_command("The request has no `command`."))?;
    let toys = fields.toys()?;
    match command.to_ascii_lowercase().as_str() {
        "gettoys" => Ok(Command::GetToys),
        "gettoyname" => Ok(Command::GetToyName),
        "function" => {
            let action =
                fields.string("action")?.ok_or_else(|| ApiError::invalid_parameter("Function needs an `action`."))?;
            Ok(Command::Function {
                action: parse_action(&action)?,
                total_ms: seconds_to_ms(fields.number("timeSec")?, "timeSec")?,
                loop_run_ms: seconds_to_ms(fields.number("loopRunningSec")?, "loopRunningSec")?,
                loop_pause_ms: seconds_to_ms(fields.number("loopPauseSec")?, "loopPauseSec")?,
                toys,
                stop_previous: fields.number("stopPrevious")?.is_none_or(|value| value != 0.0),
            })
        }
        "pattern" => {
            let rule = fields.string("rule")?.ok_or_else(|| ApiError::invalid_parameter("Pattern needs a `rule`."))?;
            let strength =
                fields.string("strength")?.ok_or_else(|| ApiError::invalid_parameter("Pattern needs a `strength`."))?;
            Ok(Command::Pattern {
                pattern: parse_pattern(&rule, &strength)?,
                total_ms: seconds_to_ms(fields.number("timeSec")?, "timeSec")?,
                toys,
            })
        }
        "preset" => {
            let name = fields.string("name")?.ok_or_else(|| ApiError::invalid_parameter("Preset needs a `name`."))?;
            let preset = Preset::from_name(&name).ok_or_else(|| {
                ApiError::invalid_parameter(format!("`{name}` is not a preset (pulse, wave, fireworks, earthquake)."))
            })?;
            Ok(Command::Pattern {
                pattern: preset.pattern(),
                total_ms: seconds_to_ms(fields.number("timeSec")?, "timeSec")?,
                toys,
            })
        }
        "position" => {
            let value =
                fields.number("value")?.ok_or_else(|| ApiError::invalid_parameter("Position needs a `value`."))?;
            if !(0.0..=100.0).contains(&value) {
                return Err(ApiError::invalid_parameter("`value` of Position must be from 0 to 100."));
            }
            Ok(Command::Position { position: value.round() as u32, toys })
        }
        "patternv2" => Ok(Command::PatternV2 { step: pattern_v2(&fields)?, toys }),
        "battery" => Ok(Command::Battery { toys }),
        _ => Err(ApiError::invalid_command(format!(
            "`{command}` is not a command of this API (GetToys, GetToyName, Function, Pattern, Preset, PatternV2, \
             Position)."
        ))),
    }
}

fn pattern_v2(fields: &Fields) -> Result<PatternV2, ApiError> {
    let kind = fields.string("type")?.ok_or_else(|| ApiError::invalid_parameter("PatternV2 needs a `type`."))?;
    match kind.to_ascii_lowercase().as_str() {
        "setup" => {
            let Some(Value::Array(actions)) = fields.0.get("actions") else {
                return Err(ApiError::invalid_parameter("PatternV2 Setup needs `actions`: a list of {ts, pos}."));
            };
            let points = actions
                .iter()
                .map(|point| {
                    let Value::Object(point) = point else {
                        return Err(ApiError::invalid_parameter("Each PatternV2 action is an object {ts, pos}."));
                    };
                    let point = Fields(point);
                    let ts = point.number("ts")?.filter(|ts| *ts >= 0.0);
                    let pos = point.number("pos")?.filter(|pos| (0.0..=100.0).contains(pos));
                    match (ts, pos) {
                        (Some(ts), Some(pos)) => Ok(ScriptPoint { ts_ms: ts as u64, position: pos.round() as u32 }),
                        _ => Err(ApiError::invalid_parameter(
                            "Each PatternV2 action needs `ts` (ms from 0) and `pos` (0 to 100).",
                        )),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(PatternV2::Setup(PositionScript::new(points)?))
        }
        "play" => Ok(PatternV2::Play {
            start_time: fields.number("startTime")?.filter(|t| *t > 0.0).map(|t| t as u64),
            offset_ms: fields.number("offsetTime")?.unwrap_or(0.0).max(0.0) as u64,
        }),
        "initplay" => Ok(PatternV2::InitPlay),
        "stop" => Ok(PatternV2::Stop),
        "synctime" => Ok(PatternV2::SyncTime),
        _ => Err(ApiError::invalid_parameter(format!(
            "`{kind}` is not a PatternV2 type (Setup, Play, InitPlay, Stop, SyncTime)."
        ))),
    }
}

/// Reads an older GET endpoint: `path` without the leading `/`, `query` as pairs.
pub fn from_get(path: &str, query: &[(String, String)]) -> Result<Command, ApiError> {
    let get = |key: &str| query.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.trim());
    // No ids (no `t`, `t=`, or only commas) means every toy, as in the JSON commands.
    let toys = match get("t").map(split_ids) {
        Some(ids) if !ids.is_empty() => Toys::Ids(ids),
        _ => Toys::All,
    };
    let level = |max: u32| -> Result<u32, ApiError> {
        let text = get("v").ok_or_else(|| ApiError::invalid_parameter("The request needs `v`, the level."))?;
        text.parse::<u32>()
            .map(|v| v.min(max))
            .map_err(|_| ApiError::invalid_parameter(format!("`v={text}` is not a level from 0 to {max}.")))
    };
    let seconds = || -> Result<Option<u64>, ApiError> {
        match get("sec") {
            None => Ok(None),
            Some(text) => seconds_to_ms(
                Some(text.parse().map_err(|_| ApiError::invalid_parameter(format!("`sec={text}` is not seconds.")))?),
                "sec",
            ),
        }
    };
    let function = |function: Function, total_ms: Option<u64>, level: u32| Command::Function {
        action: Action { levels: vec![Level { function, level }], all: None, stop: false },
        total_ms,
        loop_run_ms: None,
        loop_pause_ms: None,
        toys: toys.clone(),
        stop_previous: true,
    };
    match path.trim_matches('/').to_ascii_lowercase().as_str() {
        "gettoys" => Ok(Command::GetToys),
        "gettoyname" => Ok(Command::GetToyName),
        "vibrate" => Ok(function(Function::Vibrate, None, level(20)?)),
        "vibrate1" => Ok(function(Function::Vibrate1, None, level(20)?)),
        "vibrate2" => Ok(function(Function::Vibrate2, None, level(20)?)),
        "rotate" => Ok(function(Function::Rotate, None, level(20)?)),
        "airauto" => Ok(function(Function::Pump, None, level(3)?)),
        "avibrate" => Ok(function(Function::Vibrate, seconds()?, level(20)?)),
        "arotate" => Ok(function(Function::Rotate, seconds()?, level(20)?)),
        "preset" => {
            let number = level(u32::MAX)?;
            let preset = Preset::from_number(number)
                .ok_or_else(|| ApiError::invalid_parameter(format!("`v={number}` is not a preset (1 to 4).")))?;
            Ok(Command::Pattern { pattern: preset.pattern(), total_ms: seconds()?, toys })
        }
        "battery" => Ok(Command::Battery { toys }),
        other => Err(ApiError::invalid_command(format!("`/{other}` is not an endpoint of this API."))),
    }
}

fn split_ids(ids: &str) -> Vec<String> {
    ids.split(',').map(str::trim).filter(|id| !id.is_empty()).map(str::to_string).collect()
}

/// A JSON object's fields, read leniently.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    /// A string field; numbers are taken as their text.
    fn string(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(_) => Err(ApiError::invalid_parameter(format!("`{key}` must be text."))),
        }
    }

    /// A number field; numeric strings count (`"timeSec": "5"`), an empty string is absent.
    fn number(&self, key: &str) -> Result<Option<f64>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => Ok(number.as_f64()),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid_parameter(format!("`{key}` must be a number, not `{text}`."))),
            Some(Value::Bool(flag)) => Ok(Some(if *flag { 1.0 } else { 0.0 })),
            Some(_) => Err(ApiError::invalid_parameter(format!("`{key}` must be a number."))),
        }
    }

    /// `toy`: absent or empty for every toy; an id, ids separated by commas, or a list.
    fn toys(&self) -> Result<Toys, ApiError> {
        let ids = match self.0.get("toy") {
            None | Some(Value::Null) => return Ok(Toys::All),
            Some(Value::String(ids)) => split_ids(ids),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(id) => Ok(id.trim().to_string()),
                    _ => Err(ApiError::invalid_parameter("`toy` must be a toy id or a list of toy ids.")),
                })
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|id| !id.is_empty())
                .collect(),
            Some(_) => return Err(ApiError::invalid_parameter("`toy` must be a toy id or a list of toy ids.")),
        };
        Ok(if ids.is_empty() { Toys::All } else { Toys::Ids(ids) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Command, ApiError> {
        from_json(json.as_bytes())
    }

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn function_with_every_field() {
        let command = parse(
            r#"{"command":"Function","action":"Vibrate:16","timeSec":20,"loopRunningSec":9,"loopPauseSec":4,
                "toy":"ff922f7fd345","stopPrevious":0,"apiVer":1}"#,
        )
        .unwrap();
        let Command::Function { action, total_ms, loop_run_ms, loop_pause_ms, toys, stop_previous } = command else {
            panic!("{command:?}")
        };
        assert_eq!(action.levels, [Level { function: Function::Vibrate, level: 16 }]);
        assert_eq!((total_ms, loop_run_ms, loop_pause_ms), (Some(20_000), Some(9000), Some(4000)));
        assert_eq!(toys, Toys::Ids(vec!["ff922f7fd345".into()]));
        assert!(!stop_previous);
    }

    #[test]
    fn loose_types_are_read() {
        let command =
            parse(r#"{"command":"function","action":"Vibrate:3","timeSec":"1.5","toy":["a"," b ",""]}"#).unwrap();
        let Command::Function { total_ms, toys, stop_previous, .. } = command else { panic!() };
        assert_eq!(total_ms, Some(1500));
        assert_eq!(toys, Toys::Ids(vec!["a".into(), "b".into()]));
        assert!(stop_previous, "stopPrevious defaults to 1");
        let Command::Function { toys, .. } = parse(r#"{"command":"Function","action":"Stop","toy":"a, b"}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(toys, Toys::Ids(vec!["a".into(), "b".into()]));
        let Command::Function { toys, .. } = parse(r#"{"command":"Function","action":"Stop","toy":""}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(toys, Toys::All);
    }

    #[test]
    fn pattern_preset_position_and_lists() {
        assert!(matches!(
            parse(r#"{"command":"Pattern","rule":"V:1;F:v;S:1000#","strength":"20;5","timeSec":10}"#).unwrap(),
            Command::Pattern { total_ms: Some(10_000), .. }
        ));
        assert!(matches!(
            parse(r#"{"command":"Preset","name":"pulse","timeSec":0}"#).unwrap(),
            Command::Pattern { total_ms: None, .. }
        ));
        assert_eq!(
            parse(r#"{"command":"Position","value":"42","toy":"x"}"#).unwrap(),
            Command::Position { position: 42, toys: Toys::Ids(vec!["x".into()]) }
        );
        assert_eq!(parse(r#"{"command":"GetToys"}"#).unwrap(), Command::GetToys);
        assert_eq!(parse(r#"{"command":"GetToyName"}"#).unwrap(), Command::GetToyName);
    }

    #[test]
    fn pattern_v2_steps() {
        let Command::PatternV2 { step: PatternV2::Setup(script), .. } = parse(
            r#"{"command":"PatternV2","type":"Setup","actions":[{"ts":0,"pos":10},{"ts":500,"pos":90}],"apiVer":1}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(script.length_ms(), 500);
        assert_eq!(
            parse(r#"{"command":"PatternV2","type":"Play","startTime":1700000000000,"offsetTime":250}"#).unwrap(),
            Command::PatternV2 {
                step: PatternV2::Play { start_time: Some(1_700_000_000_000), offset_ms: 250 },
                toys: Toys::All
            }
        );
        for (kind, step) in
            [("InitPlay", PatternV2::InitPlay), ("Stop", PatternV2::Stop), ("SyncTime", PatternV2::SyncTime)]
        {
            let json = format!(r#"{{"command":"PatternV2","type":"{kind}"}}"#);
            assert_eq!(parse(&json).unwrap(), Command::PatternV2 { step, toys: Toys::All });
        }
        let bad = parse(r#"{"command":"PatternV2","type":"Setup","actions":[{"ts":0,"pos":150}]}"#).unwrap_err();
        assert_eq!(bad.code(), 404);
    }

    #[test]
    fn bad_requests_get_the_lovense_codes() {
        for (body, code) in [
            ("not json", 400),
            ("[1]", 400),
            (r#"{"action":"Vibrate:1"}"#, 400),
            (r#"{"command":"Dance"}"#, 400),
            (r#"{"command":"Function"}"#, 404),
            (r#"{"command":"Function","action":"Vibrate:1","timeSec":-3}"#, 404),
            (r#"{"command":"Function","action":"Vibrate:1","timeSec":"soon"}"#, 404),
            (r#"{"command":"Function","action":"Vibrate:1","toy":5}"#, 404),
            (r#"{"command":"Preset","name":"tornado"}"#, 404),
            (r#"{"command":"Position","value":101}"#, 404),
            (r#"{"command":"PatternV2","type":"Rewind"}"#, 404),
        ] {
            assert_eq!(parse(body).unwrap_err().code(), code, "{body}");
        }
    }

    #[test]
    fn the_older_get_endpoints() {
        let Command::Function { action, toys, total_ms, .. } =
            from_get("/Vibrate", &query(&[("v", "30"), ("t", "abc")])).unwrap()
        else {
            panic!()
        };
        assert_eq!(action.levels, [Level { function: Function::Vibrate, level: 20 }]);
        assert_eq!(toys, Toys::Ids(vec!["abc".into()]));
        assert_eq!(total_ms, None);
        let Command::Function { action, total_ms, .. } =
            from_get("AVibrate", &query(&[("v", "5"), ("sec", "3")])).unwrap()
        else {
            panic!()
        };
        assert_eq!((action.levels[0].level, total_ms), (5, Some(3000)));
        let Command::Function { action, .. } = from_get("AirAuto", &query(&[("v", "3")])).unwrap() else { panic!() };
        assert_eq!(action.levels, [Level { function: Function::Pump, level: 3 }]);
        assert!(matches!(from_get("Preset", &query(&[("v", "2")])).unwrap(), Command::Pattern { .. }));
        assert_eq!(from_get("GetToys", &[]).unwrap(), Command::GetToys);
        assert_eq!(from_get("Battery", &[]).unwrap(), Command::Battery { toys: Toys::All });
        let only_commas = [("t".to_string(), " , ,".to_string())];
        assert_eq!(from_get("Battery", &only_commas).unwrap(), Command::Battery { toys: Toys::All });
        assert_eq!(from_get("Vibrate", &[]).unwrap_err().code(), 404);
        assert_eq!(from_get("Vibrate", &query(&[("v", "high")])).unwrap_err().code(), 404);
        assert_eq!(from_get("Preset", &query(&[("v", "9")])).unwrap_err().code(), 404);
        assert_eq!(from_get("Explode", &[]).unwrap_err().code(), 400);
    }
}
