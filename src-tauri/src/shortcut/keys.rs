//! The STOP shortcut as the settings write it ("Ctrl+Alt+Shift+S"): checked, and spelled in the
//! trigger format of the XDG shortcuts specification for the GlobalShortcuts portal
//! ("CTRL+ALT+SHIFT+s": upper-case modifiers, then the key's XKB keysym name).

use std::str::FromStr;

use tauri_plugin_global_shortcut::{Code, Modifiers, Shortcut};

use crate::models::DEFAULT_STOP_SHORTCUT;

/// Checks how a shortcut is written: modifiers and one key joined by '+', such as
/// "Ctrl+Alt+Shift+S". Empty means no shortcut.
pub fn parse(keys: &str) -> Result<Option<Shortcut>, String> {
    let keys = keys.trim();
    if keys.is_empty() {
        return Ok(None);
    }
    let shortcut = Shortcut::from_str(keys).map_err(|error| {
        format!(
            "'{keys}' is not a key combination ({error}). Write modifiers and one key joined by '+', \
             like {DEFAULT_STOP_SHORTCUT}."
        )
    })?;
    if shortcut.mods.is_empty() {
        return Err(format!(
            "'{keys}' has no modifier: a single key would stop your devices whenever it is typed anywhere. Add Ctrl, Alt or Shift."
        ));
    }
    Ok(Some(shortcut))
}

/// The shortcut as a portal's `preferred_trigger`, such as "CTRL+ALT+SHIFT+s"; `None` for a key
/// the format has no name for (the desktop then lets the user choose one). The portal is Linux's
/// only.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn xdg_trigger(shortcut: &Shortcut) -> Option<String> {
    let modifiers = [
        (Modifiers::CONTROL, "CTRL"),
        (Modifiers::ALT, "ALT"),
        (Modifiers::SHIFT, "SHIFT"),
        (Modifiers::SUPER | Modifiers::META, "LOGO"),
    ];
    let mut parts: Vec<String> = modifiers
        .iter()
        .filter(|(flags, _)| shortcut.mods.intersects(*flags))
        .map(|(_, name)| (*name).to_owned())
        .collect();
    parts.push(keysym_name(shortcut.key)?);
    Some(parts.join("+"))
}

/// The XKB keysym name of a key on a US layout (what the shortcuts specification uses).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn keysym_name(key: Code) -> Option<String> {
    let name = key.to_string();
    if let Some(letter) = name.strip_prefix("Key") {
        return Some(letter.to_lowercase());
    }
    if let Some(digit) = name.strip_prefix("Digit") {
        return Some(digit.to_owned());
    }
    if let Some(digit) = name.strip_prefix("Numpad").filter(|rest| rest.len() == 1) {
        return Some(format!("KP_{digit}"));
    }
    if name.len() <= 3 && name.starts_with('F') && name[1..].chars().all(|c| c.is_ascii_digit()) {
        return Some(name);
    }
    let keysym = match key {
        Code::Space => "space",
        Code::Enter => "Return",
        Code::Escape => "Escape",
        Code::Tab => "Tab",
        Code::Backspace => "BackSpace",
        Code::Delete => "Delete",
        Code::Insert => "Insert",
        Code::Home => "Home",
        Code::End => "End",
        Code::PageUp => "Page_Up",
        Code::PageDown => "Page_Down",
        Code::ArrowUp => "Up",
        Code::ArrowDown => "Down",
        Code::ArrowLeft => "Left",
        Code::ArrowRight => "Right",
        Code::Minus => "minus",
        Code::Equal => "equal",
        Code::BracketLeft => "bracketleft",
        Code::BracketRight => "bracketright",
        Code::Backslash => "backslash",
        Code::Semicolon => "semicolon",
        Code::Quote => "apostrophe",
        Code::Backquote => "grave",
        Code::Comma => "comma",
        Code::Period => "period",
        Code::Slash => "slash",
        Code::NumpadAdd => "KP_Add",
        Code::NumpadSubtract => "KP_Subtract",
        Code::NumpadMultiply => "KP_Multiply",
        Code::NumpadDivide => "KP_Divide",
        Code::NumpadDecimal => "KP_Decimal",
        Code::NumpadEnter => "KP_Enter",
        Code::NumpadEqual => "KP_Equal",
        Code::PrintScreen => "Print",
        Code::Pause => "Pause",
        Code::ScrollLock => "Scroll_Lock",
        Code::NumLock => "Num_Lock",
        Code::CapsLock => "Caps_Lock",
        Code::AudioVolumeUp => "XF86AudioRaiseVolume",
        Code::AudioVolumeDown => "XF86AudioLowerVolume",
        Code::AudioVolumeMute => "XF86AudioMute",
        Code::MediaPlayPause | Code::MediaPlay => "XF86AudioPlay",
        Code::MediaPause => "XF86AudioPause",
        Code::MediaStop => "XF86AudioStop",
        Code::MediaTrackNext => "XF86AudioNext",
        Code::MediaTrackPrevious => "XF86AudioPrev",
        _ => return None,
    };
    Some(keysym.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(keys: &str) -> Option<String> {
        xdg_trigger(&parse(keys).unwrap().unwrap())
    }

    #[test]
    fn shortcuts_are_read_as_modifiers_and_a_key() {
        let default = parse(DEFAULT_STOP_SHORTCUT).unwrap().unwrap();
        assert_eq!(default.mods, Modifiers::CONTROL | Modifiers::ALT | Modifiers::SHIFT);
        assert_eq!(default.key, Code::KeyS);
        assert_eq!(parse("  ").unwrap(), None, "empty: no shortcut");
        assert!(parse("Ctrl+Alt+").unwrap_err().contains("is not a key combination"));
        assert!(parse("S").unwrap_err().contains("has no modifier"));
    }

    #[test]
    fn the_portal_is_offered_the_settings_combination_in_the_xdg_format() {
        assert_eq!(trigger(DEFAULT_STOP_SHORTCUT).as_deref(), Some("CTRL+ALT+SHIFT+s"));
        // The format's order of modifiers, whatever the order the user wrote.
        assert_eq!(trigger("shift+ctrl+P").as_deref(), Some("CTRL+SHIFT+p"));
        assert_eq!(trigger("Super+Alt+F12").as_deref(), Some("ALT+LOGO+F12"));
        assert_eq!(trigger("Ctrl+Alt+7").as_deref(), Some("CTRL+ALT+7"));
        assert_eq!(trigger("Ctrl+Alt+Numpad7").as_deref(), Some("CTRL+ALT+KP_7"));
        assert_eq!(trigger("Ctrl+Shift+Space").as_deref(), Some("CTRL+SHIFT+space"));
        assert_eq!(trigger("Ctrl+Alt+Enter").as_deref(), Some("CTRL+ALT+Return"));
        assert_eq!(trigger("Ctrl+Alt+PageDown").as_deref(), Some("CTRL+ALT+Page_Down"));
        assert_eq!(trigger("Ctrl+Alt+Backspace").as_deref(), Some("CTRL+ALT+BackSpace"));
        assert_eq!(trigger("Ctrl+Alt+ArrowUp").as_deref(), Some("CTRL+ALT+Up"));
        assert_eq!(trigger("Ctrl+Alt+-").as_deref(), Some("CTRL+ALT+minus"));
    }
}
