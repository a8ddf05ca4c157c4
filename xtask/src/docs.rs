//! `cargo xtask docs [--check]`: regenerate the reference docs generated from the code.
//!
//! Today that is `docs/configuration.md`, the output of `strait docs config` (every worker,
//! connector framework, connector and converter key, rendered from the `ConfigDef`s). `--check`
//! writes nothing and fails when the committed file differs from what the code generates. A
//! test in the root crate's `tests/standalone.rs` makes the same comparison, so
//! `cargo xtask test` (CI) fails on drift too.

use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::say;
use crate::util::{self, Ctx};

/// The generated file, relative to the repository root.
const CONFIGURATION: &str = "docs/configuration.md";

#[derive(clap::Args)]
pub struct Args {
    /// Write nothing; fail if the committed file differs from the generated one (for CI).
    #[arg(long)]
    check: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    let generated = generate(ctx)?;
    let path = ctx.root.join(CONFIGURATION);
    if args.check {
        let committed = match std::fs::read_to_string(&path) {
            Ok(text) => text.replace("\r\n", "\n"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("{CONFIGURATION} does not exist; run `cargo xtask docs` to generate it, then commit it")
            }
            Err(e) => return Err(e).with_context(|| format!("read {}", path.display())),
        };
        if committed != generated {
            bail!(
                "{CONFIGURATION} is out of date with the config definitions in the code ({}); \
                 run `cargo xtask docs` to regenerate it, then commit it",
                first_difference(&committed, &generated)
            );
        }
        say!("docs: {CONFIGURATION} is up to date");
    } else {
        if std::fs::read_to_string(&path).ok().as_deref() == Some(generated.as_str()) {
            say!("docs: {CONFIGURATION} is up to date");
        } else {
            util::write_if_changed(&path, &generated)?;
            say!("docs: wrote {CONFIGURATION}");
        }
    }
    Ok(())
}

/// `strait docs config`, built and run through cargo; its stdout is the file's content.
fn generate(ctx: &Ctx) -> Result<String> {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&ctx.root)
        .args(["run", "--quiet", "--package", "strait", "--bin", "strait"])
        .args(["--", "docs", "config"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {}", util::describe(&cmd)))?;
    if !out.status.success() {
        bail!("{} failed ({})", util::describe(&cmd), out.status);
    }
    String::from_utf8(out.stdout).context("`strait docs config` printed invalid UTF-8")
}

/// Where two texts first differ, as `line N: committed "…", generated "…"`.
fn first_difference(committed: &str, generated: &str) -> String {
    let mut committed_lines = committed.lines();
    let mut generated_lines = generated.lines();
    for n in 1.. {
        match (committed_lines.next(), generated_lines.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                let show = |l: Option<&str>| match l {
                    Some(l) if l.chars().count() > 80 => {
                        format!("{:?}…", l.chars().take(80).collect::<String>())
                    }
                    Some(l) => format!("{l:?}"),
                    None => "end of file".to_string(),
                };
                return format!(
                    "first difference at line {n}: committed {}, generated {}",
                    show(a),
                    show(b)
                );
            }
        }
    }
    "they differ only in line endings or a final newline".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_names_the_line() {
        assert_eq!(
            first_difference("a\nb\nc\n", "a\nB\nc\n"),
            "first difference at line 2: committed \"b\", generated \"B\""
        );
        assert_eq!(
            first_difference("a\n", "a\nmore\n"),
            "first difference at line 2: committed end of file, generated \"more\""
        );
        assert_eq!(
            first_difference("a\n", "a"),
            "they differ only in line endings or a final newline"
        );
    }
}
