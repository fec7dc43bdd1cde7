//! Build script: tells the integration tests whether headless Chromium (with chromedriver)
//! and axe-core are installed. Without them the browser tests and the accessibility check
//! are compiled as ignored with the reason (`cfg(cribs_no_browser)`, `cfg(cribs_no_axe)`),
//! so `cargo test` lists them as "ignored, <why>" in its normal output: a passing `ok`
//! would hide that nothing ran. With `CRIBS_REQUIRE_BROWSER` set (CI) they are never
//! ignored, and a missing tool fails them.

use std::path::Path;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const AXE: &str = ".ci/axe/node_modules/axe-core/axe.min.js";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(cribs_no_browser)");
    println!("cargo::rustc-check-cfg=cfg(cribs_no_axe)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CRIBS_REQUIRE_BROWSER");
    // NOTE: folders that exist, not the files, which may be missing: a missing path makes
    // Cargo run this script (and rebuild the crate) on every build.
    for watched in ["/usr/bin", ".ci/axe"] {
        if Path::new(watched).exists() {
            println!("cargo::rerun-if-changed={watched}");
        }
    }
    let required = std::env::var("CRIBS_REQUIRE_BROWSER").is_ok_and(|v| !v.is_empty() && v != "0");
    if required {
        return;
    }
    if !(Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists()) {
        println!("cargo::rustc-cfg=cribs_no_browser");
    }
    if !Path::new(AXE).exists() {
        println!("cargo::rustc-cfg=cribs_no_axe");
    }
}
