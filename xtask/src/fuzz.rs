//! `cargo xtask fuzz <target> [--seconds N]`, `--list`, `--smoke [--seconds N]`.
//!
//! Wraps `cargo fuzz` (installed on first use with `cargo install cargo-fuzz --locked`). The
//! toolchain is stable, so builds run with `RUSTC_BOOTSTRAP=1` (cargo-fuzz needs `-Z` flags).
//! AddressSanitizer is used when the toolchain ships its runtime (stable's rust-std does:
//! `librustc-stable_rt.asan.a`), else `--sanitizer none`.
//!
//! Corpora: `fuzz/corpus/<target>/` (git-ignored, grows) plus, when present, the committed seeds
//! in `fuzz/seeds/<target>/` (read-only input). Crashes land in `fuzz/artifacts/<target>/`; any
//! crash makes the command fail and prints the artifact paths.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::say;
use crate::util::{self, fmt_dur, Ctx};

pub const DEFAULT_SMOKE_SECONDS: u64 = 20;

#[derive(clap::Args)]
pub struct Args {
    /// Fuzz target (a `[[bin]]` of fuzz/Cargo.toml).
    #[arg(required_unless_present_any = ["list", "smoke"], conflicts_with_all = ["list", "smoke"])]
    target: Option<String>,
    /// List the declared targets.
    #[arg(long)]
    list: bool,
    /// Run every target for `--seconds` each (default 20).
    #[arg(long, conflicts_with = "list")]
    smoke: bool,
    /// Time budget per target in seconds (default: unlimited for one target, 20 for --smoke).
    #[arg(long)]
    seconds: Option<u64>,
    /// Sanitizer: address, leak, memory, thread, none (default: address if available).
    #[arg(long)]
    sanitizer: Option<String>,
    /// Build without optimizations (cargo fuzz `--dev`): the dependency tree compiles in a
    /// fraction of the time (what the CI smoke pass uses), inputs run slower.
    #[arg(long)]
    dev: bool,
    /// Extra libFuzzer arguments (after `--`).
    #[arg(last = true)]
    extra: Vec<String>,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    if args.list {
        for t in targets(ctx)? {
            let note = if target_file(ctx, &t).exists() {
                ""
            } else {
                "  (source file not written yet)"
            };
            println!("{t}{note}");
        }
        return Ok(());
    }
    let opts = Opts {
        sanitizer: match args.sanitizer {
            Some(s) => s,
            None => default_sanitizer(),
        },
        dev: args.dev,
        extra: args.extra,
    };
    if args.smoke {
        return smoke_with(ctx, args.seconds.unwrap_or(DEFAULT_SMOKE_SECONDS), &opts);
    }
    let target = args.target.expect("clap enforces a target");
    let all = targets(ctx)?;
    if !all.contains(&target) {
        bail!(
            "unknown fuzz target {target:?}; declared in fuzz/Cargo.toml: {}",
            all.join(", ")
        );
    }
    check_sources(ctx, &all)?;
    ensure_cargo_fuzz()?;
    seed_lockfile(ctx)?;
    fuzz_one(ctx, &target, args.seconds, &opts)
}

/// The smoke pass used by `cargo xtask test` (CI): every target for `seconds`, built without
/// optimizations. An optimized build of the targets' dependency tree (arrow, tokio, rdkafka, …)
/// took 17 minutes of a 2-core CI machine's run, more than all the workspace's tests; a `--dev`
/// build takes about 4, and a 20 s smoke pass still runs tens of thousands of inputs per target
/// (with overflow checks and debug assertions on, which find more, not less).
pub fn smoke(ctx: &Ctx, seconds: u64) -> Result<()> {
    let opts = Opts {
        sanitizer: default_sanitizer(),
        dev: true,
        extra: Vec::new(),
    };
    smoke_with(ctx, seconds, &opts)
}

struct Opts {
    sanitizer: String,
    dev: bool,
    extra: Vec<String>,
}

fn smoke_with(ctx: &Ctx, seconds: u64, opts: &Opts) -> Result<()> {
    let all = targets(ctx)?;
    if all.is_empty() {
        say!("fuzz smoke: no targets declared in fuzz/Cargo.toml");
        return Ok(());
    }
    check_sources(ctx, &all)?;
    ensure_cargo_fuzz()?;
    seed_lockfile(ctx)?;

    say!(
        "fuzz smoke: building {} targets (sanitizer {})…",
        all.len(),
        opts.sanitizer
    );
    let t0 = Instant::now();
    let mut build = cargo_fuzz(ctx, "build", opts);
    util::run_checked(&mut build).context("building the fuzz targets")?;
    say!("fuzz smoke: built in {}", fmt_dur(t0.elapsed()));

    let mut failed = Vec::new();
    for t in &all {
        if let Err(e) = fuzz_one(ctx, t, Some(seconds), opts) {
            say!("fuzz {t}: {e:#}");
            failed.push(t.clone());
        }
    }
    if failed.is_empty() {
        say!(
            "fuzz smoke: {} targets x {seconds}s ok ({} total)",
            all.len(),
            fmt_dur(t0.elapsed())
        );
        Ok(())
    } else {
        bail!("fuzz smoke: failing targets: {}", failed.join(", "))
    }
}

fn fuzz_one(ctx: &Ctx, target: &str, seconds: Option<u64>, opts: &Opts) -> Result<()> {
    let artifacts = ctx.root.join("fuzz/artifacts").join(target);
    let before = list_files(&artifacts);

    let mut cmd = cargo_fuzz(ctx, "run", opts);
    cmd.arg(target);
    let corpus = ctx.root.join("fuzz/corpus").join(target);
    let seeds = ctx.root.join("fuzz/seeds").join(target);
    if seeds.is_dir() {
        // Explicit corpora replace the default one, so name both (new inputs go to the first).
        fs::create_dir_all(&corpus)?;
        cmd.arg(&corpus).arg(&seeds);
    }
    cmd.arg("--");
    if let Some(s) = seconds {
        cmd.arg(format!("-max_total_time={s}"));
        // A hang is a finding too; a single input taking this long fails the run.
        cmd.arg("-timeout=10");
    }
    cmd.args(&opts.extra);

    say!(
        "fuzz {target}: running{}",
        seconds.map(|s| format!(" for {s}s")).unwrap_or_default()
    );
    let t0 = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", util::describe(&cmd)))?;
    let new: Vec<PathBuf> = list_files(&artifacts)
        .difference(&before)
        .cloned()
        .collect();
    if !status.success() || !new.is_empty() {
        let mut msg = format!("{target} failed ({status}) after {}", fmt_dur(t0.elapsed()));
        for a in &new {
            msg.push_str(&format!("\n  artifact: {}", a.display()));
            msg.push_str(&format!(
                "\n  reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz --sanitizer {}{} {target} {}",
                opts.sanitizer,
                if opts.dev { " --dev" } else { "" },
                a.display()
            ));
        }
        bail!(msg);
    }
    say!("fuzz {target}: ok in {}", fmt_dur(t0.elapsed()));
    Ok(())
}

/// `cargo fuzz <sub> --fuzz-dir fuzz --sanitizer … ` with RUSTC_BOOTSTRAP=1, from the repo root.
fn cargo_fuzz(ctx: &Ctx, sub: &str, opts: &Opts) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&ctx.root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", sub, "--fuzz-dir"])
        .arg(ctx.root.join("fuzz"))
        .args(["--sanitizer", &opts.sanitizer])
        // cargo-fuzz defaults to one codegen unit; the dependency tree (arrow, tokio, …) builds
        // several times faster with 16, at a small cost in executions per second.
        .args(["--codegen-units", "16"]);
    if opts.dev {
        cmd.arg("--dev");
    }
    if opts.sanitizer == "address" {
        // With -Zsanitizer=address, cc-rs also builds C/C++ deps with -fsanitize=address
        // (CARGO_CFG_SANITIZE). librdkafka's ./configure then fails its libzstd link check
        // (undefined __asan_* symbols in the instrumented libzstd.a). Keep the C code
        // uninstrumented, as before cc 1.2: the Rust code under test is still under ASan.
        for var in ["CFLAGS", "CXXFLAGS"] {
            let mut v = std::env::var(var).unwrap_or_default();
            if !v.contains("-fno-sanitize=address") {
                v.push_str(" -fno-sanitize=address");
            }
            cmd.env(var, v.trim());
        }
    }
    cmd
}

/// `address` if the toolchain ships the ASan runtime, else `none`.
fn default_sanitizer() -> String {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let host_lib = sysroot.map(|s| {
        Path::new(&s)
            .join("lib/rustlib")
            .join(host_triple())
            .join("lib")
    });
    let has_asan = host_lib
        .and_then(|dir| fs::read_dir(dir).ok())
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .any(|e| e.file_name().to_string_lossy().ends_with("_rt.asan.a"))
        })
        .unwrap_or(false);
    if has_asan { "address" } else { "none" }.to_string()
}

fn host_triple() -> String {
    Command::new("rustc")
        .arg("-vV")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        })
        .unwrap_or_else(|| "x86_64-unknown-linux-gnu".to_string())
}

/// The fuzz workspace resolves its own lock file; start it from the root one so both use the
/// same dependency versions (and share downloads). Cargo adds libfuzzer-sys and prunes the rest.
fn seed_lockfile(ctx: &Ctx) -> Result<()> {
    let lock = ctx.root.join("fuzz/Cargo.lock");
    let root_lock = ctx.root.join("Cargo.lock");
    if !lock.exists() && root_lock.exists() {
        fs::copy(&root_lock, &lock).context("seed fuzz/Cargo.lock")?;
    }
    Ok(())
}

/// Install cargo-fuzz into the user's cargo bin if `cargo fuzz` is missing.
fn ensure_cargo_fuzz() -> Result<()> {
    if util::succeeds(Command::new("cargo").args(["fuzz", "--version"])) {
        return Ok(());
    }
    say!("installing cargo-fuzz (cargo install cargo-fuzz --locked)…");
    let t0 = Instant::now();
    util::run_checked(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    say!("cargo-fuzz installed in {}", fmt_dur(t0.elapsed()));
    Ok(())
}

/// `[[bin]]` names declared in fuzz/Cargo.toml (a tiny line parser; no toml dependency).
pub fn targets(ctx: &Ctx) -> Result<Vec<String>> {
    let path = ctx.root.join("fuzz/Cargo.toml");
    let text = fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    Ok(parse_bin_names(&text))
}

fn parse_bin_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_bin = false;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
            continue;
        }
        if !in_bin {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            if k.trim() == "name" {
                out.push(v.trim().trim_matches('"').to_string());
            }
        }
    }
    out
}

fn target_file(ctx: &Ctx, target: &str) -> PathBuf {
    ctx.root
        .join("fuzz/fuzz_targets")
        .join(format!("{target}.rs"))
}

/// Cargo refuses the whole fuzz package if any declared `[[bin]]` file is missing.
fn check_sources(ctx: &Ctx, all: &[String]) -> Result<()> {
    let missing: Vec<String> = all
        .iter()
        .filter(|t| !target_file(ctx, t).exists())
        .map(|t| format!("fuzz/fuzz_targets/{t}.rs"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "fuzz/Cargo.toml declares targets whose source is missing (cargo cannot build the \
             fuzz package until they exist): {}",
            missing.join(", ")
        );
    }
    Ok(())
}

fn list_files(dir: &Path) -> BTreeSet<PathBuf> {
    fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_names_come_from_bin_tables_only() {
        let toml = r#"
[package]
name = "strait-fuzz"

[[bin]]
name = "a" # comment
path = "fuzz_targets/a.rs"

[dependencies]
name = "not-a-bin"

[[bin]]
path = "fuzz_targets/b.rs"
name="b"
"#;
        assert_eq!(parse_bin_names(toml), vec!["a", "b"]);
    }

    #[test]
    fn declared_targets_parse() {
        let ctx = Ctx::new().unwrap();
        let names = targets(&ctx).unwrap();
        assert!(
            names.contains(&"worker_properties".to_string()),
            "{names:?}"
        );
    }
}
