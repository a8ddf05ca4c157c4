//! Finding a Java runtime of the version a JVM service supports: the default `java` may be newer
//! (a Temurin 25 beside Debian's 17) than a server accepts.

use std::fs;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// The major version a JDK/JRE home's `release` file declares (`JAVA_VERSION="25.0.3"`; old
/// `1.8.0_x` style counts as 8).
pub fn release_major(home: &Path) -> Option<u32> {
    let text = fs::read_to_string(home.join("release")).ok()?;
    let line = text.lines().find(|l| l.starts_with("JAVA_VERSION="))?;
    let v = line.trim_start_matches("JAVA_VERSION=").trim_matches('"');
    let mut parts = v.split(['.', '_', '-', '+']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        parts.next()?.parse().ok()
    } else {
        Some(first)
    }
}

/// Java homes in the order they are considered: `$JAVA_HOME`, those of the `java`s on `PATH`,
/// then `/usr/lib/jvm/*` sorted by name.
fn candidate_homes() -> Vec<PathBuf> {
    let mut homes: Vec<PathBuf> = Vec::new();
    if let Some(h) = std::env::var_os("JAVA_HOME") {
        homes.push(PathBuf::from(h));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            // `<home>/bin/java`, usually behind alternatives symlinks.
            if let Ok(real) = fs::canonicalize(dir.join("java")) {
                if let Some(home) = real.parent().and_then(Path::parent) {
                    homes.push(home.to_path_buf());
                }
            }
        }
    }
    let mut system: Vec<PathBuf> = fs::read_dir("/usr/lib/jvm")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    system.sort();
    homes.extend(system);
    homes
}

/// Of `(major, home)` candidates in search order, the first of version `prefer`, else the first
/// within `accept`.
fn pick(found: &[(u32, PathBuf)], prefer: u32, accept: &RangeInclusive<u32>) -> Option<PathBuf> {
    found
        .iter()
        .find(|(v, _)| *v == prefer)
        .or_else(|| found.iter().find(|(v, _)| accept.contains(v)))
        .map(|(_, home)| home.clone())
}

/// The `java` to run `what` on: the first Java `prefer` among `$JAVA_HOME`, `PATH` and
/// `/usr/lib/jvm/*` (in that order), else the first within `accept`.
pub fn find_java(what: &str, prefer: u32, accept: RangeInclusive<u32>) -> Result<PathBuf> {
    let found: Vec<(u32, PathBuf)> = candidate_homes()
        .into_iter()
        .filter(|h| h.join("bin/java").exists())
        .filter_map(|h| release_major(&h).map(|v| (v, h)))
        .collect();
    match pick(&found, prefer, &accept) {
        Some(home) => Ok(home.join("bin/java")),
        None => {
            let range = if accept.start() == accept.end() {
                format!("Java {prefer}")
            } else {
                format!(
                    "Java {}-{} ({prefer} preferred)",
                    accept.start(),
                    accept.end()
                )
            };
            bail!(
                "{what} needs {range}; none found in $JAVA_HOME, on PATH or under /usr/lib/jvm \
                 (found: {}); Debian: apt-get install openjdk-17-jre-headless",
                found
                    .iter()
                    .map(|(v, h)| format!("{} = {v}", h.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_major_version_of_a_java_home() {
        let dir = std::env::temp_dir().join(format!("strait-xtask-jv-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        assert_eq!(release_major(&dir), None);
        fs::write(
            dir.join("release"),
            "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"25.0.3\"\n",
        )
        .unwrap();
        assert_eq!(release_major(&dir), Some(25));
        fs::write(dir.join("release"), "JAVA_VERSION=\"1.8.0_392\"\n").unwrap();
        assert_eq!(release_major(&dir), Some(8));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn prefers_the_exact_version_then_the_first_accepted() {
        let found = vec![
            (25, PathBuf::from("/a")),
            (21, PathBuf::from("/b")),
            (17, PathBuf::from("/c")),
        ];
        assert_eq!(pick(&found, 17, &(11..=21)), Some(PathBuf::from("/c")));
        assert_eq!(pick(&found, 11, &(11..=21)), Some(PathBuf::from("/b")));
        assert_eq!(pick(&found[..2], 17, &(17..=17)), None);
    }
}
