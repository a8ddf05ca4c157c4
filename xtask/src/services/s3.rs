//! An S3-compatible server for the S3 sink's tests: moto's server (`moto[server]` from PyPI) in
//! a virtualenv under `.test-services/s3/py`, on 127.0.0.1:5000, path-style addressing, any
//! credentials and region (`../shared/reference/test-services.md` §5.4: ready in under a
//! second, 80–120 MB RSS, protocol-correct on multipart uploads and conditional writes).
//!
//! `up` also creates the buckets in [`BUCKETS`] (idempotent: creating an existing bucket is a
//! no-op for moto). State lives in memory: a restart, or `POST /moto-api/reset`, empties it.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::Service;
use crate::say;
use crate::util::{self, Ctx};

const ADDR: &str = "127.0.0.1:5000";
/// The moto release test-services.md verified.
const MOTO: &str = "moto[server]==5.2.5";
/// Buckets every test run can rely on (the seeds' example writes to `data-lake`).
pub const BUCKETS: &[&str] = &["data-lake", "strait-test"];

pub struct S3;

impl S3 {
    fn venv(&self, ctx: &Ctx) -> PathBuf {
        self.dir(ctx).join("py")
    }
}

impl Service for S3 {
    fn name(&self) -> &'static str {
        "s3"
    }
    fn addrs(&self) -> &'static [&'static str] {
        &[ADDR]
    }
    fn env(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("STRAIT_TEST_S3_ENDPOINT", "http://127.0.0.1:5000"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
        ]
    }
    fn process_marker(&self) -> &'static str {
        "moto_server"
    }
    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(30)
    }

    fn install(&self, ctx: &Ctx) -> Result<()> {
        let venv = self.venv(ctx);
        let marker = venv.join(".installed-moto-5.2.5");
        if marker.exists() {
            return Ok(());
        }
        util::require_tool(
            "python3",
            "install Python 3 with venv (Debian: python3-venv)",
        )?;
        say!("s3: installing {MOTO} into {}…", venv.display());
        util::run_checked(Command::new("python3").arg("-m").arg("venv").arg(&venv))
            .context("python3 -m venv (Debian: apt-get install python3-venv)")?;
        util::run_checked(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            MOTO,
        ]))?;
        std::fs::write(&marker, "")?;
        Ok(())
    }

    fn configure(&self, _ctx: &Ctx) -> Result<()> {
        Ok(())
    }

    fn command(&self, ctx: &Ctx) -> Result<Command> {
        let mut cmd = Command::new(self.venv(ctx).join("bin/moto_server"));
        cmd.args(["-H", "127.0.0.1", "-p", "5000"]);
        Ok(cmd)
    }

    fn probe(&self, _ctx: &Ctx) -> Result<bool> {
        if !util::tcp_open(ADDR) {
            bail!("{ADDR} not accepting connections yet");
        }
        let (code, _) = util::http_get(ADDR, "/moto-api/")?;
        if code != 200 {
            bail!("GET /moto-api/ returned {code}");
        }
        // Ready: make the buckets the tests use (path-style `PUT /<bucket>`).
        for bucket in BUCKETS {
            let (code, body) = util::http_request(ADDR, "PUT", &format!("/{bucket}"))?;
            if code != 200 {
                bail!("creating bucket {bucket}: {code} {body}");
            }
        }
        Ok(true)
    }

    fn healthy(&self, _ctx: &Ctx) -> bool {
        matches!(util::http_get(ADDR, "/moto-api/"), Ok((200, _)))
    }

    fn data_dirs(&self, _ctx: &Ctx) -> Vec<PathBuf> {
        // In memory: nothing on disk to reset.
        Vec::new()
    }

    fn stop_grace(&self) -> Duration {
        Duration::from_secs(5)
    }
}
