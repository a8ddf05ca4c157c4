//! An Azure Blob Storage emulator for the S3 sink's `az://` smoke test: Azurite's blob service
//! (the `azurite` package from the npm registry, installed with `npm install --prefix` under
//! `.test-services/azurite/npm`), on 127.0.0.1:10000, in-memory, with the well-known
//! `devstoreaccount1` account and key that object_store's emulator mode
//! (`AZURE_STORAGE_USE_EMULATOR=true`) uses.
//!
//! Needs Node.js and npm on PATH. Pinned to 3.35.0, the last release declaring `node >= 10`
//! (3.37 wants Node 22, and Debian 12's packaged Node is 18). `up` also creates the containers
//! in [`CONTAINERS`]: object_store cannot create one, and Azurite has no anonymous admin API,
//! so a short Node.js script signs `PUT /devstoreaccount1/<container>?restype=container` with
//! the account key (SharedKey); an existing container (409 ContainerAlreadyExists) is fine. State lives in memory: a restart
//! empties it.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::Service;
use crate::say;
use crate::util::{self, Ctx};

const ADDR: &str = "127.0.0.1:10000";
/// Pinned, so every machine runs the emulator the test was verified with.
const VERSION: &str = "3.35.0";
/// Azurite's (and Azure's documented) development account: not a secret.
pub const ACCOUNT: &str = "devstoreaccount1";
pub const ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// Containers every test run can rely on.
pub const CONTAINERS: &[&str] = &["strait-test"];

/// Creates one container with a SharedKey-signed request (Blob service REST API, version
/// 2021-08-06: the string to sign is the verb, eleven empty standard headers, the canonical
/// `x-ms-*` headers and the canonical resource). Exits 0 on 201 Created or 409 (exists).
/// Arguments (after `node -e <script>`): host port account key container.
const CREATE_CONTAINER_JS: &str = r#"
const crypto = require("crypto"), http = require("http");
const [host, port, account, key, container] = process.argv.slice(1);
const date = new Date().toUTCString(), version = "2021-08-06";
const path = `/${account}/${container}`;
const toSign = ["PUT", "", "", "", "", "", "", "", "", "", "", "",
  `x-ms-date:${date}\nx-ms-version:${version}`,
  `/${account}${path}\nrestype:container`].join("\n");
const sig = crypto.createHmac("sha256", Buffer.from(key, "base64"))
  .update(toSign, "utf8").digest("base64");
const req = http.request({host, port, method: "PUT", path: `${path}?restype=container`,
  headers: {"x-ms-date": date, "x-ms-version": version, "Content-Length": "0",
            Authorization: `SharedKey ${account}:${sig}`}}, (res) => {
  let body = "";
  res.on("data", (c) => body += c);
  res.on("end", () => {
    if (res.statusCode === 201 || res.statusCode === 409) process.exit(0);
    console.error(`HTTP ${res.statusCode} ${body}`);
    process.exit(1);
  });
});
req.on("error", (e) => { console.error(e.message); process.exit(1); });
req.end();
"#;

pub struct Azurite;

impl Azurite {
    fn prefix(&self, ctx: &Ctx) -> PathBuf {
        self.dir(ctx).join("npm")
    }
    fn bin(&self, ctx: &Ctx) -> PathBuf {
        self.prefix(ctx).join("node_modules/.bin/azurite-blob")
    }
}

impl Service for Azurite {
    fn name(&self) -> &'static str {
        "azurite"
    }
    fn addrs(&self) -> &'static [&'static str] {
        &[ADDR]
    }
    fn env(&self) -> &'static [(&'static str, &'static str)] {
        &[("STRAIT_TEST_AZURITE_URL", "http://127.0.0.1:10000")]
    }
    fn process_marker(&self) -> &'static str {
        "azurite-blob"
    }
    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(30)
    }

    fn install(&self, ctx: &Ctx) -> Result<()> {
        let prefix = self.prefix(ctx);
        let marker = prefix.join(format!(".installed-azurite-{VERSION}"));
        if marker.exists() && self.bin(ctx).exists() {
            return Ok(());
        }
        util::require_tool(
            "node",
            "install Node.js (Debian: apt-get install nodejs npm)",
        )?;
        util::require_tool("npm", "install npm (Debian: apt-get install npm)")?;
        say!(
            "azurite: installing azurite@{VERSION} into {}…",
            prefix.display()
        );
        std::fs::create_dir_all(&prefix)?;
        util::run_quiet(Command::new("npm").args([
            "install",
            "--prefix",
            &prefix.display().to_string(),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            &format!("azurite@{VERSION}"),
        ]))?;
        std::fs::write(&marker, "")?;
        Ok(())
    }

    fn configure(&self, ctx: &Ctx) -> Result<()> {
        // The working directory (Azurite writes its debug log and nothing else there when in
        // memory).
        let work = self.dir(ctx).join("work");
        std::fs::create_dir_all(&work).with_context(|| format!("mkdir {}", work.display()))
    }

    fn command(&self, ctx: &Ctx) -> Result<Command> {
        let mut cmd = Command::new(self.bin(ctx));
        cmd.current_dir(self.dir(ctx).join("work")).args([
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            "10000",
            // Memory only (--location cannot go with it); capped so a big test stays modest.
            "--inMemoryPersistence",
            "--extentMemoryLimit",
            "512",
            // No outbound telemetry (on by default).
            "--disableTelemetry",
            // object_store's x-ms-version may be newer than this Azurite knows.
            "--skipApiVersionCheck",
            // Ignore headers Azurite does not implement rather than fail the request.
            "--loose",
        ]);
        Ok(cmd)
    }

    fn probe(&self, _ctx: &Ctx) -> Result<bool> {
        if !util::tcp_open(ADDR) {
            bail!("{ADDR} not accepting connections yet");
        }
        // Ready: make the containers the tests use.
        for container in CONTAINERS {
            let out = Command::new("node")
                .args(["-e", CREATE_CONTAINER_JS, "127.0.0.1", "10000"])
                .args([ACCOUNT, ACCOUNT_KEY, container])
                .stdin(std::process::Stdio::null())
                .output()
                .context("cannot run node")?;
            if !out.status.success() {
                bail!(
                    "creating container {container}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
        Ok(true)
    }

    fn healthy(&self, _ctx: &Ctx) -> bool {
        // Any HTTP answer from Azurite (an unsigned request is refused with 403).
        matches!(util::http_get(ADDR, &format!("/{ACCOUNT}?comp=list")), Ok((code, _)) if code == 403 || code == 200)
    }

    fn data_dirs(&self, _ctx: &Ctx) -> Vec<PathBuf> {
        // In memory: nothing on disk to reset.
        Vec::new()
    }

    fn stop_grace(&self) -> Duration {
        Duration::from_secs(5)
    }
}
