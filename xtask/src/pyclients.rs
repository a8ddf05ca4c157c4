//! `cargo xtask py-clients`: the Python Kafka clients the interop tests drive, in a virtualenv
//! under `.test-services/py-clients/venv` (git-ignored): Confluent's `confluent-kafka` (its wheels
//! bundle librdkafka) with what `confluent_kafka.schema_registry.avro` imports on 2.16.1 —
//! fastavro for the Avro serde, httpx/authlib/attrs/cachetools for the registry client — plus
//! requests.
//!
//! Not a [`Service`](crate::services::Service): there is no process to run, and that trait is
//! built around one (pid files, readiness probes, stop). `cargo xtask test` calls [`install`]
//! whenever the schema registry is up (the only tests using these clients need it) and sets
//! [`ENV`] to the venv's interpreter; `cargo xtask py-clients` does the same install for a test
//! run by hand and prints the `export` line. The install is cached by a marker holding the pinned
//! requirement list, so changing a pin reinstalls.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::say;
use crate::util::{self, Ctx};

/// The variable tests read the interpreter's path from.
pub const ENV: &str = "STRAIT_TEST_PYTHON";

/// Top-level pins, resolved together on PyPI (2026-11): confluent-kafka 2.16.1 bundles
/// librdkafka 2.16.0; `confluent_kafka.schema_registry` imports httpx, authlib, attrs and
/// cachetools, its `avro` module fastavro, its `protobuf` module protobuf and
/// googleapis-common-protos, its `json_schema` module jsonschema (with referencing) and httpx2.
const REQUIREMENTS: &[&str] = &[
    "confluent-kafka==2.16.1",
    "fastavro==1.13.1",
    "protobuf==7.36.2",
    "googleapis-common-protos==1.76.0",
    "jsonschema==4.26.0",
    "referencing==0.37.0",
    "httpx2==2.16.2",
    "certifi==2026.10.19.post1",
    "requests==2.34.2",
    "attrs==26.1.0",
    "cachetools==8.0.2",
    "httpx==0.28.1",
    "authlib==1.9.10",
];

#[derive(clap::Args)]
pub struct Args {}

pub fn run(ctx: &Ctx, _args: Args) -> Result<()> {
    let python = install(ctx)?;
    println!("export {ENV}={}", python.display());
    Ok(())
}

fn venv(ctx: &Ctx) -> PathBuf {
    ctx.services_dir.join("py-clients").join("venv")
}

/// Create the venv and install [`REQUIREMENTS`] unless done already; the interpreter's path.
pub fn install(ctx: &Ctx) -> Result<PathBuf> {
    let venv = venv(ctx);
    let python = venv.join("bin/python");
    let marker = venv.join(".installed");
    let wanted = REQUIREMENTS.join("\n");
    // Two concurrent `cargo xtask test` runs must not pip into the same venv at once.
    let _lock = util::FileLock::acquire(
        &ctx.services_dir.join("py-clients").join("install.lock"),
        Duration::from_secs(600),
    )?;
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted) {
        return Ok(python);
    }
    util::require_tool(
        "python3",
        "install Python 3 with venv (Debian: python3-venv)",
    )?;
    say!(
        "py-clients: installing {} into {}…",
        REQUIREMENTS.join(" "),
        venv.display()
    );
    util::run_checked(Command::new("python3").arg("-m").arg("venv").arg(&venv))
        .context("python3 -m venv (Debian: apt-get install python3-venv)")?;
    util::run_checked(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(REQUIREMENTS),
    )?;
    // What the tests import must import (a wheel missing for this platform fails here, not in
    // the middle of a test).
    util::run_quiet(Command::new(&python).args([
        "-c",
        "import confluent_kafka, confluent_kafka.schema_registry.avro, requests",
    ]))?;
    std::fs::write(&marker, &wanted)?;
    Ok(python)
}
