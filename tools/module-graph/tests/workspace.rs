//! No crate of the repository (the main workspace, the benchmark suite, the fuzz targets) has a
//! module cycle (see the library's docs for what counts).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use plugboard_module_graph::Crate;

/// A crate of the workspace: one Cargo target (a library, binary, test, example, bench or build
/// script) of one package.
struct Target {
    package: String,
    name: String,
    kind: String,
    root: PathBuf,
    package_dir: PathBuf,
}

/// The workspaces of the repository: the main one, and the two kept apart so that `make test`
/// never builds them (the benchmark suite and the fuzz targets).
const WORKSPACES: &[&str] = &["", "bench", "fuzz"];

/// Every target of every package of the repository's workspaces, as `cargo metadata` lists
/// them.
fn workspace_targets() -> Vec<Target> {
    // Where this package is now, as cargo tells the test when it runs it: a test binary reused
    // from a shared build cache may have been built in another checkout.
    let package = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let repository = Path::new(&package).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut targets = Vec::new();
    for workspace in WORKSPACES {
        let output = Command::new(&cargo)
            .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
            .current_dir(repository.join(workspace))
            .output()
            .expect("cargo metadata runs");
        assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        for package in metadata["packages"].as_array().expect("a package list") {
            let manifest = PathBuf::from(package["manifest_path"].as_str().expect("a manifest path"));
            for target in package["targets"].as_array().expect("a target list") {
                targets.push(Target {
                    package: package["name"].as_str().expect("a package name").to_owned(),
                    name: target["name"].as_str().expect("a target name").to_owned(),
                    kind: target["kind"][0].as_str().expect("a target kind").to_owned(),
                    root: PathBuf::from(target["src_path"].as_str().expect("a root file")),
                    package_dir: manifest.parent().expect("the package's directory").to_path_buf(),
                });
            }
        }
    }
    targets
}

/// Every target with its crate as read, read once for both tests (one thread per target: the
/// parse is most of the check's time).
fn crates() -> &'static [(Target, Crate)] {
    static CRATES: OnceLock<Vec<(Target, Crate)>> = OnceLock::new();
    CRATES.get_or_init(|| {
        let targets = workspace_targets();
        let crates: Vec<Crate> = std::thread::scope(|scope| {
            let readers: Vec<_> = targets.iter().map(|target| scope.spawn(move || read(target))).collect();
            readers.into_iter().map(|reader| reader.join().expect("a reader thread")).collect()
        });
        targets.into_iter().zip(crates).collect()
    })
}

fn read(target: &Target) -> Crate {
    Crate::read(&target.root)
        .unwrap_or_else(|error| panic!("{} {} ({}) cannot be read: {error}", target.package, target.name, target.kind))
}

#[test]
fn no_crate_of_the_workspace_has_a_module_cycle() {
    let mut found = Vec::new();
    for (target, krate) in crates() {
        for tangle in krate.tangles() {
            found.push(format!("{} ({} {}): {tangle}", target.package, target.kind, target.name));
        }
    }
    assert!(found.is_empty(), "modules that need each other in a cycle:\n{}", found.join("\n"));
}

/// The check above sees the real code: every source file of every package is read as part
/// of some crate (a module declared in a way the reader does not know would be skipped, and
/// its cycles with it), and known uses show up in the graph.
#[test]
fn every_source_file_is_read_and_known_uses_are_seen() {
    let crates = crates();
    for package in ["plugboard-devices", "plugboard-bench", "plugboard-fuzz"] {
        assert!(crates.iter().any(|(target, _)| target.package == package), "{package} is listed");
    }
    let mut read_files = BTreeSet::new();
    let mut package_dirs = BTreeSet::new();
    for (target, krate) in crates {
        read_files.extend(krate.files().iter().map(|file| file.canonicalize().expect("a file that was read exists")));
        package_dirs.insert(target.package_dir.clone());
        match (target.package.as_str(), target.kind.as_str()) {
            ("plugboard-server", "lib") => {
                let graph = krate.graph();
                assert!(graph["crate::session"].contains_key("crate::shared"), "the graph is read: {graph:?}");
            }
            ("plugboard", "lib") => {
                let graph = krate.graph();
                assert!(graph["crate::events"].contains_key("crate::state"), "the shell is read: {graph:?}");
                assert!(graph["crate::tray"].contains_key("crate::state"), "the shell is read: {graph:?}");
            }
            _ => {}
        }
    }
    let mut unread = Vec::new();
    for dir in &package_dirs {
        for file in rust_files(dir) {
            if !read_files.contains(&file.canonicalize().unwrap()) {
                unread.push(file);
            }
        }
    }
    assert!(unread.is_empty(), "source files that no crate's module tree reaches: {unread:?}");
}

/// The `.rs` files under `dir`, leaving out other packages inside it and build output.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let own_package = !path.join("Cargo.toml").exists();
                if own_package && !name.starts_with('.') && name != "target" && name != "node_modules" {
                    pending.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
