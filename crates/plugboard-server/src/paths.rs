//! Where the engine keeps its files by default. This is the one place that decides it: the
//! engine, the desktop app and its settings all ask here.

use std::path::PathBuf;

use plugboard_devices::config::store::USER_CONFIG_FILE_NAME;

/// The device database "Check for device updates" downloads, in the config directory.
pub const DOWNLOADED_DATABASE_FILE_NAME: &str = "device-database.json";

/// The name of Plugboard's directory inside the OS config directory.
const DIRECTORY_NAME: &str = "plugboard";

/// Plugboard's directory in the OS config directory: `$XDG_CONFIG_HOME/plugboard` (an
/// absolute `XDG_CONFIG_HOME` only) or `~/.config/plugboard` on Linux and other Unixes,
/// `~/Library/Application Support/plugboard` on macOS, `%APPDATA%\plugboard` (the roaming
/// application data folder) on Windows. `None` when the OS names no home directory.
pub fn default_config_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.config_dir().join(DIRECTORY_NAME))
}

/// `<config dir>/user-device-config.json`: Plugboard's own user device config.
pub fn default_user_config_path() -> Option<PathBuf> {
    default_config_dir().map(|dir| dir.join(USER_CONFIG_FILE_NAME))
}

/// `<config dir>/device-database.json`: the device database last downloaded by "Check for
/// device updates" (`crate::database_update`).
pub fn default_downloaded_database_path() -> Option<PathBuf> {
    default_config_dir().map(|dir| dir.join(DOWNLOADED_DATABASE_FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `default_config_dir` as a child process sees it, with `XDG_CONFIG_HOME` and `HOME` set
    /// as given (the child is this test binary, running the ignored test below): the
    /// environment of the process itself is not changed under other tests.
    #[cfg(all(unix, not(target_os = "macos")))]
    fn config_dir_with(xdg_config_home: Option<&str>, home: Option<&str>) -> String {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child.args(["paths::tests::print_config_dir", "--exact", "--ignored", "--nocapture", "--test-threads=1"]);
        child.env_remove("XDG_CONFIG_HOME").env_remove("HOME").env(CHILD_ENV, "1");
        if let Some(dir) = xdg_config_home {
            child.env("XDG_CONFIG_HOME", dir);
        }
        if let Some(dir) = home {
            child.env("HOME", dir);
        }
        let output = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        // The test harness prints the test's name on the same line.
        let line = stdout.lines().find_map(|line| line.split_once("config dir: ").map(|(_, dir)| dir));
        line.unwrap_or_else(|| panic!("the child printed no config dir: {stdout}")).to_string()
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn config_dir_follows_xdg() {
        assert_eq!(config_dir_with(Some("/x/cfg"), Some("/home/u")), "/x/cfg/plugboard");
        assert_eq!(
            config_dir_with(Some("relative"), Some("/home/u")),
            "/home/u/.config/plugboard",
            "relative: ignored"
        );
        assert_eq!(config_dir_with(None, Some("/home/u")), "/home/u/.config/plugboard");
        // Without HOME, the home directory comes from the user database.
        assert!(config_dir_with(None, None).ends_with("/.config/plugboard"));
    }

    /// Set for [`print_config_dir`] by the test that runs it.
    const CHILD_ENV: &str = "PLUGBOARD_PRINT_CONFIG_DIR_CHILD";

    #[test]
    #[ignore = "the child process of config_dir_follows_xdg"]
    fn print_config_dir() {
        assert!(
            std::env::var_os(CHILD_ENV).is_some(),
            "not a test of its own: config_dir_follows_xdg runs it with {CHILD_ENV} set, and the XDG_CONFIG_HOME and HOME it checks"
        );
        let dir = default_config_dir().map_or_else(|| "none".to_string(), |dir| dir.display().to_string());
        println!("config dir: {dir}");
    }

    #[test]
    fn the_user_config_lives_in_the_config_dir() {
        assert_eq!(default_user_config_path(), default_config_dir().map(|dir| dir.join("user-device-config.json")));
    }

    #[test]
    fn the_downloaded_device_database_lives_in_the_config_dir() {
        assert_eq!(
            default_downloaded_database_path(),
            default_config_dir().map(|dir| dir.join("device-database.json"))
        );
    }
}
