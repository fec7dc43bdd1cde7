//! Build script: tells the integration tests whether headless Chromium (with chromedriver)
//! and axe-core are installed. Without them the browser tests and the accessibility check
//! are compiled as ignored with the reason (`cfg(cribs_no_browser)`, `cfg(cribs_no_axe)`),
//! so `cargo test` lists them as "ignored, <why>" in its normal output: a passing `ok`
//! would hide that nothing ran. With `CRIBS_REQUIRE_BROWSER` set (CI) they are never
//! ignored, and a missing tool fails them.
//!
//! Likewise the mail tests need a real SMTP server, PyPI's aiosmtpd (`tests/smtp/server.py`):
//! in `.ci/smtp/venv` (what `.ci/run` installs) or importable by `python3`; without it they
//! are ignored with the reason (`cfg(cribs_no_smtp)`), unless `CRIBS_REQUIRE_SMTP` is set.

use std::path::Path;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const AXE: &str = ".ci/axe/node_modules/axe-core/axe.min.js";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(cribs_no_browser)");
    println!("cargo::rustc-check-cfg=cfg(cribs_no_axe)");
    println!("cargo::rustc-check-cfg=cfg(cribs_no_smtp)");
    println!("cargo::rerun-if-env-changed=CRIBS_REQUIRE_SMTP");
    let smtp_required = std::env::var("CRIBS_REQUIRE_SMTP").is_ok_and(|v| !v.is_empty() && v != "0");
    if !smtp_required && !smtp_server_at_hand() {
        println!("cargo::rustc-cfg=cribs_no_smtp");
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CRIBS_REQUIRE_BROWSER");
    // NOTE: folders that exist, not the files, which may be missing: a missing path makes
    // Cargo run this script (and rebuild the crate) on every build.
    for watched in ["/usr/bin", ".ci/axe", ".ci/smtp"] {
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

/// The Python that runs the tests' SMTP server: `.ci/smtp/venv`'s, else `python3`.
pub const SMTP_VENV_PYTHON: &str = ".ci/smtp/venv/bin/python3";

/// Whether aiosmtpd can be run here.
fn smtp_server_at_hand() -> bool {
    if Path::new(SMTP_VENV_PYTHON).exists() {
        return true;
    }
    std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
