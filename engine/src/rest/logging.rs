//! Runtime log levels behind `/admin/loggers` (KIP-495), applied for real: the process logs
//! through a `tracing` subscriber whose `EnvFilter` sits in a reload layer, and every level
//! change rebuilds that filter.
//!
//! Loggers are names, as in Java. A name is either a Java logger name users already script
//! against (`org.apache.kafka.connect.runtime.WorkerSinkTask`), mapped onto the Strait module
//! that does that job ([`JAVA_ALIASES`]), or any `tracing` target (`strait_engine::runtime`).
//! Java's semantics are kept: setting a namespace sets it and every known logger whose name
//! starts with it, a logger already at the level keeps its `last_modified`, unknown loggers are
//! 404 until a level was set on them, and `root` (any case) is the root logger.
//!
//! The binary calls [`init`] once at start-up; the REST layer reaches the levels through
//! [`global`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{reload, EnvFilter};

/// Directives used when neither `STRAIT_LOG` nor `RUST_LOG` is set.
pub const DEFAULT_DIRECTIVES: &str = "info,librdkafka=warn,rdkafka=warn";

/// Java logger names mapped to the `tracing` targets doing the same job in Strait.
pub const JAVA_ALIASES: &[(&str, &[&str])] = &[
    (
        "org.apache.kafka.connect",
        &[
            "strait",
            "strait_engine",
            "strait_connectors",
            "strait_formats",
        ],
    ),
    (
        "org.apache.kafka.connect.runtime",
        &[
            "strait_engine::runtime",
            "strait_engine::herder",
            "strait_engine::standalone",
        ],
    ),
    (
        "org.apache.kafka.connect.runtime.Worker",
        &["strait_engine::runtime"],
    ),
    (
        "org.apache.kafka.connect.runtime.WorkerSinkTask",
        &["strait_engine::runtime::sink"],
    ),
    (
        "org.apache.kafka.connect.runtime.WorkerSourceTask",
        &["strait_engine::runtime::source"],
    ),
    (
        "org.apache.kafka.connect.runtime.rest",
        &["strait_engine::rest"],
    ),
    (
        "org.apache.kafka.connect.runtime.standalone.StandaloneHerder",
        &["strait_engine::herder::standalone"],
    ),
    (
        "org.apache.kafka.connect.storage",
        &["strait_engine::offsets"],
    ),
    (
        "org.apache.kafka.connect.file",
        &["strait_connectors::file"],
    ),
    ("org.apache.kafka.connect.json", &["strait_formats::json"]),
    ("org.apache.kafka.clients", &["rdkafka", "librdkafka"]),
];

/// Strait's own targets, listed by `GET /admin/loggers` like Java lists its live loggers.
pub const STRAIT_TARGETS: &[&str] = &[
    "strait",
    "strait_connectors",
    "strait_connectors::file",
    "strait_engine",
    "strait_engine::herder",
    "strait_engine::herder::standalone",
    "strait_engine::offsets",
    "strait_engine::rest",
    "strait_engine::runtime",
    "strait_engine::runtime::sink",
    "strait_engine::runtime::source",
    "strait_engine::standalone",
    "strait_formats",
];

const ROOT: &str = "root";

/// Java's log4j levels, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Off,
    Fatal,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
    All,
}

impl Level {
    /// Case-insensitive, like `Level.toLevel(s.toUpperCase(), null)`.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_uppercase().as_str() {
            "OFF" => Level::Off,
            "FATAL" => Level::Fatal,
            "ERROR" => Level::Error,
            "WARN" => Level::Warn,
            "INFO" => Level::Info,
            "DEBUG" => Level::Debug,
            "TRACE" => Level::Trace,
            "ALL" => Level::All,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "OFF",
            Level::Fatal => "FATAL",
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
            Level::All => "ALL",
        }
    }

    /// The `tracing` level with the same cut-off (tracing has no FATAL or ALL).
    fn directive(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Fatal | Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace | Level::All => "trace",
        }
    }
}

/// `{"level": "INFO", "last_modified": 1718000000000}`; `last_modified` is null until the level
/// was changed through the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggerLevel {
    pub level: String,
    pub last_modified: Option<i64>,
}

/// One directive of the start-up filter.
#[derive(Debug, Clone)]
enum BaseDirective {
    /// `target=level`.
    Target(String, Level),
    /// Anything we do not model (spans, fields); kept verbatim.
    Raw(String),
}

#[derive(Debug)]
struct LevelState {
    base: Vec<BaseDirective>,
    root: Level,
    explicit: BTreeMap<String, Level>,
    /// Loggers that exist (a level was requested on them) but inherit their level.
    created: BTreeSet<String>,
    last_modified: HashMap<String, i64>,
}

type Reload = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The worker's logger levels, and the hook that applies them to the live filter.
pub struct LogLevels {
    state: Mutex<LevelState>,
    reload: Option<Reload>,
}

impl std::fmt::Debug for LogLevels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogLevels(attached: {})", self.reload.is_some())
    }
}

fn targets_of(name: &str) -> Vec<String> {
    match JAVA_ALIASES.iter().find(|(java, _)| *java == name) {
        Some((_, targets)) => targets.iter().map(|t| t.to_string()).collect(),
        None => vec![name.to_string()],
    }
}

/// Is `ancestor` a hierarchical parent of `name` (dot- or `::`-separated)?
fn is_ancestor(ancestor: &str, name: &str) -> bool {
    name.len() > ancestor.len()
        && name.starts_with(ancestor)
        && (name[ancestor.len()..].starts_with('.') || name[ancestor.len()..].starts_with("::"))
}

impl LogLevels {
    /// Levels that are only book-kept (no live filter to apply them to), e.g. when another
    /// global subscriber was installed first.
    pub fn detached(directives: &str) -> Self {
        Self::new(directives, None)
    }

    fn new(directives: &str, reload: Option<Reload>) -> Self {
        let mut base = Vec::new();
        let mut root = Level::Error;
        for d in directives
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let level_of =
                |s: &str| Level::parse(s).filter(|l| !matches!(l, Level::Fatal | Level::All));
            match d.split_once('=') {
                Some((t, l)) if !d.contains(['[', '{']) && level_of(l).is_some() => base.push(
                    BaseDirective::Target(t.to_string(), level_of(l).expect("checked")),
                ),
                None if level_of(d).is_some() => root = level_of(d).expect("checked"),
                _ => base.push(BaseDirective::Raw(d.to_string())),
            }
        }
        let state = LevelState {
            base,
            root,
            explicit: BTreeMap::new(),
            created: BTreeSet::new(),
            last_modified: HashMap::new(),
        };
        LogLevels {
            state: Mutex::new(state),
            reload,
        }
    }

    /// Every known logger: root, start-up directive targets, Java aliases, Strait targets and
    /// every logger a level was set on.
    fn known(st: &LevelState) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = st.explicit.keys().cloned().collect();
        out.extend(st.created.iter().cloned());
        out.extend(JAVA_ALIASES.iter().map(|(j, _)| j.to_string()));
        out.extend(STRAIT_TARGETS.iter().map(|t| t.to_string()));
        out.extend(st.base.iter().filter_map(|d| match d {
            BaseDirective::Target(t, _) => Some(t.clone()),
            BaseDirective::Raw(_) => None,
        }));
        out
    }

    /// The level a logger logs at: its own, else its nearest parent's, else the start-up
    /// directive covering its targets, else root.
    fn effective(st: &LevelState, name: &str) -> Level {
        if let Some(l) = st.explicit.get(name) {
            return *l;
        }
        if let Some((_, l)) = st
            .explicit
            .iter()
            .filter(|(k, _)| is_ancestor(k, name))
            .max_by_key(|(k, _)| k.len())
        {
            return *l;
        }
        let targets = targets_of(name);
        let best = st
            .base
            .iter()
            .filter_map(|d| match d {
                BaseDirective::Target(t, l)
                    if targets.iter().any(|x| x == t || is_ancestor(t, x)) =>
                {
                    Some((t.len(), *l))
                }
                _ => None,
            })
            .max_by_key(|(len, _)| *len);
        best.map(|(_, l)| l).unwrap_or(st.root)
    }

    fn level_of(st: &LevelState, name: &str) -> LoggerLevel {
        let level = if name == ROOT {
            st.root
        } else {
            Self::effective(st, name)
        };
        LoggerLevel {
            level: level.as_str().to_string(),
            last_modified: st.last_modified.get(name).copied(),
        }
    }

    /// `GET /admin/loggers`: every known logger plus `root`, sorted by name.
    pub fn all(&self) -> BTreeMap<String, LoggerLevel> {
        let st = self.state.lock().expect("levels lock");
        let mut out: BTreeMap<String, LoggerLevel> = Self::known(&st)
            .into_iter()
            .map(|n| (n.clone(), Self::level_of(&st, &n)))
            .collect();
        out.insert(ROOT.into(), Self::level_of(&st, ROOT));
        out
    }

    /// `GET /admin/loggers/{name}`; `None` for a logger nobody knows.
    pub fn get(&self, name: &str) -> Option<LoggerLevel> {
        let st = self.state.lock().expect("levels lock");
        if name.eq_ignore_ascii_case(ROOT) {
            return Some(Self::level_of(&st, ROOT));
        }
        Self::known(&st)
            .contains(name)
            .then(|| Self::level_of(&st, name))
    }

    /// `PUT /admin/loggers/{namespace}`: set the namespace and every known logger under it.
    /// Returns the names of the loggers whose level changed, sorted.
    pub fn set_level(&self, namespace: &str, level: Level) -> Vec<String> {
        let mut st = self.state.lock().expect("levels lock");
        tracing::info!(
            namespace,
            level = level.as_str(),
            "Setting level of namespace and children"
        );
        let now = chrono::Utc::now().timestamp_millis();
        let is_root = namespace.eq_ignore_ascii_case(ROOT);
        let mut affected: BTreeSet<String> = Self::known(&st)
            .into_iter()
            .filter(|n| is_root || n.starts_with(namespace))
            .collect();
        if is_root {
            affected.insert(ROOT.into());
        } else {
            affected.insert(namespace.to_string());
        }
        // Decide against the levels before this call, as Java walks its loggers one by one
        // but each keeps its own current level.
        let current: Vec<(String, Level)> = affected
            .iter()
            .map(|n| {
                (
                    n.clone(),
                    if n == ROOT {
                        st.root
                    } else {
                        Self::effective(&st, n)
                    },
                )
            })
            .collect();
        let mut changed = Vec::new();
        for (name, was) in current {
            if was == level {
                // Java skips a logger already at the level (it keeps inheriting, keeps its
                // last_modified and is not reported), but the namespace logger exists now.
                st.created.insert(name);
                continue;
            }
            if name == ROOT {
                st.root = level;
            } else {
                st.explicit.insert(name.clone(), level);
            }
            st.last_modified.insert(name.clone(), now);
            changed.push(name);
        }
        st.created.remove(ROOT);
        self.apply(&st);
        // Kafka Connect 4.x answers with the loggers whose level changed, sorted.
        changed
    }

    /// The filter directives for the current levels.
    pub fn directives(&self) -> String {
        Self::render(&self.state.lock().expect("levels lock"))
    }

    fn render(st: &LevelState) -> String {
        let mut by_target: BTreeMap<String, Level> = BTreeMap::new();
        let mut raw = Vec::new();
        for d in &st.base {
            match d {
                BaseDirective::Target(t, l) => {
                    by_target.insert(t.clone(), *l);
                }
                BaseDirective::Raw(r) => raw.push(r.clone()),
            }
        }
        // Shorter (broader) names first, so a more specific logger's targets win on a clash.
        let mut explicit: Vec<(&String, &Level)> = st.explicit.iter().collect();
        explicit.sort_by_key(|(n, _)| n.len());
        for (name, level) in explicit {
            for t in targets_of(name) {
                by_target.insert(t, *level);
            }
        }
        let mut parts = vec![st.root.directive().to_string()];
        parts.extend(raw);
        parts.extend(
            by_target
                .into_iter()
                .map(|(t, l)| format!("{t}={}", l.directive())),
        );
        parts.join(",")
    }

    fn apply(&self, st: &LevelState) {
        if let Some(reload) = &self.reload {
            if let Err(e) = reload(&Self::render(st)) {
                tracing::warn!(error = %e, "could not apply new log levels");
            }
        }
    }
}

static GLOBAL: OnceLock<Arc<LogLevels>> = OnceLock::new();

/// The process's logger levels (detached with the default directives if [`init`] never ran).
pub fn global() -> Arc<LogLevels> {
    GLOBAL
        .get_or_init(|| Arc::new(LogLevels::detached(&env_directives())))
        .clone()
}

/// Install the process-wide subscriber: `STRAIT_LOG` (else `RUST_LOG`, else
/// [`DEFAULT_DIRECTIVES`]) through a reloadable filter, formatted to stderr. Idempotent.
pub fn init() -> Arc<LogLevels> {
    use std::io::IsTerminal;
    install(
        &env_directives(),
        std::io::stderr,
        std::io::stderr().is_terminal(),
    )
}

/// `STRAIT_LOG`, else `RUST_LOG`, else [`DEFAULT_DIRECTIVES`].
fn env_directives() -> String {
    std::env::var("STRAIT_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| DEFAULT_DIRECTIVES.to_string())
}

/// [`init`] with explicit directives and writer (tests capture output this way).
pub fn init_with<W>(directives: &str, writer: W) -> Arc<LogLevels>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    install(directives, writer, false)
}

fn install<W>(directives: &str, writer: W, ansi: bool) -> Arc<LogLevels>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    if let Some(existing) = GLOBAL.get() {
        return existing.clone();
    }
    let (subscriber, levels) = build(directives, writer, ansi);
    let levels = if tracing::subscriber::set_global_default(subscriber).is_ok() {
        levels
    } else {
        Arc::new(LogLevels::detached(directives))
    };
    GLOBAL.get_or_init(|| levels).clone()
}

/// A subscriber with a reloadable filter, and the levels that drive it (no colours).
pub fn subscriber<W>(
    directives: &str,
    writer: W,
) -> (impl tracing::Subscriber + Send + Sync, Arc<LogLevels>)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    build(directives, writer, false)
}

fn build<W>(
    directives: &str,
    writer: W,
    ansi: bool,
) -> (impl tracing::Subscriber + Send + Sync, Arc<LogLevels>)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let (filter, handle) = reload::Layer::new(EnvFilter::builder().parse_lossy(directives));
    let subscriber = tracing_subscriber::registry().with(filter).with(
        tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_target(false)
            .with_ansi(ansi),
    );
    let reload: Reload = Box::new(move |d: &str| {
        handle
            .reload(EnvFilter::builder().parse_lossy(d))
            .map_err(|e| e.to_string())
    });
    let levels = Arc::new(LogLevels::new(directives, Some(reload)));
    // Make the live filter match our rendering of it from the start.
    levels.apply(&levels.state.lock().expect("levels lock"));
    (subscriber, levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    #[test]
    fn level_changes_change_what_is_logged() {
        let out = Capture::default();
        let (sub, levels) = subscriber("info", out.clone());
        tracing::subscriber::with_default(sub, || {
            tracing::debug!(target: "strait_engine::runtime::sink", "hidden-1");
            assert_eq!(
                levels
                    .set_level(
                        "org.apache.kafka.connect.runtime.WorkerSinkTask",
                        Level::Debug
                    )
                    .len(),
                1
            );
            tracing::debug!(target: "strait_engine::runtime::sink", "shown-2");
            tracing::debug!(target: "strait_engine::runtime::source", "hidden-3");
            levels.set_level("root", Level::Error);
            tracing::info!(target: "strait_engine::herder", "hidden-4");
            tracing::error!(target: "strait_engine::herder", "shown-5");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("hidden"), "{text}");
        assert!(
            text.contains("shown-2") && text.contains("shown-5"),
            "{text}"
        );
    }

    #[test]
    fn java_semantics_of_namespaces_and_last_modified() {
        let levels = LogLevels::detached("info,rdkafka=warn");
        assert_eq!(levels.get("ROOT").unwrap().level, "INFO");
        assert_eq!(
            levels.get("rdkafka").unwrap(),
            LoggerLevel {
                level: "WARN".into(),
                last_modified: None
            }
        );
        assert!(levels.get("x.y").is_none());
        assert_eq!(levels.set_level("x.y", Level::Debug), vec!["x.y"]);
        assert_eq!(levels.get("x.y").unwrap().level, "DEBUG");
        let first = levels.get("x.y").unwrap().last_modified.unwrap();
        // Same level again: not reported, last_modified kept.
        assert_eq!(levels.set_level("x", Level::Debug), vec!["x"]);
        assert!(levels.set_level("x.y", Level::Debug).is_empty());
        assert_eq!(levels.get("x.y").unwrap().last_modified, Some(first));
        // An unknown namespace already at the level still becomes a known logger.
        assert!(levels.set_level("z.z", Level::Info).is_empty());
        assert_eq!(levels.get("z.z").unwrap().last_modified, None);
        let affected = levels.set_level("org.apache.kafka.connect.runtime.Worker", Level::Warn);
        assert_eq!(
            affected,
            vec![
                "org.apache.kafka.connect.runtime.Worker",
                "org.apache.kafka.connect.runtime.WorkerSinkTask",
                "org.apache.kafka.connect.runtime.WorkerSourceTask"
            ]
        );
        assert!(
            levels
                .directives()
                .contains("strait_engine::runtime::sink=warn"),
            "{}",
            levels.directives()
        );
        assert!(levels.all().contains_key("root"));
        assert_eq!(Level::parse("fatal"), Some(Level::Fatal));
        assert_eq!(Level::parse("nope"), None);
    }
}
