//! Link options for the release `plugboard-engine`.
//!
//! Release builds pack the binary's relative relocations (`-z pack-relative-relocs`, glibc
//! 2.36 and later, which Debian 12 has): the table the loader walks at start shrinks from about
//! 360 KiB to about 3 KiB, and with it the memory the engine holds while it idles and the time
//! it takes to start. mold 1.10 (the repo's fast linker for test builds, .cargo/config.toml)
//! writes packed relocations without the glibc version tag that the loader insists on, so
//! release binaries are linked with the system's GNU ld, which writes the tag. Link arguments
//! from a build script come after the configured ones, so this `-fuse-ld` is the one that counts.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let release = std::env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    if release && linux_gnu {
        println!("cargo:rustc-link-arg-bins=-fuse-ld=bfd");
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
