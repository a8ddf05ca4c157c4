//! Config providers (KIP-297, KIP-421): `${provider:[path:]key}` variables in worker and
//! connector configs, resolved as Kafka's `ConfigTransformer` resolves them.
//!
//! The worker declares providers with `config.providers=<name>,…`,
//! `config.providers.<name>.class` and `config.providers.<name>.param.*`. Java's three built-in
//! providers are here ([`FILE_CONFIG_PROVIDER`], [`DIRECTORY_CONFIG_PROVIDER`],
//! [`ENV_VAR_CONFIG_PROVIDER`]), with their `allowed.paths` and `allowlist.pattern` parameters.
//!
//! Where variables are resolved, as in Java:
//! * **worker configs** ([`resolve_worker_props`], Java's `AbstractConfig` constructor): every
//!   value of the worker file, with the providers the file declares, before the keys are parsed;
//!   the providers are then dropped (closed);
//! * **connector configs** ([`ConfigProviders`], Java's `WorkerConfigTransformer`): when a
//!   connector is validated, started, generates task configs, and when a task starts. The
//!   config store, `GET /connectors/{c}/config` and the offsets file keep the raw `${…}` text,
//!   and task configs are stored in raw form too ([`reverse_transform`], Java's
//!   `AbstractHerder.reverseTransform`), so a secret never lands in the config topic.
//!
//! Unknown providers, and keys a provider does not have, leave the variable as written, as in
//! Java. A path outside a provider's `allowed.paths` is not an error either: Java logs
//! "The path … is not allowed to be accessed" and leaves the variable as written, and so does
//! Strait. What fails is what fails in Java: an `allowed.paths` entry that is not absolute or
//! does not exist (when the worker starts), a file that cannot be read, a path given to the
//! environment-variable provider.
//!
//! Differences from Java, on purpose or by omission:
//! * none of the built-in providers returns a TTL, so Java's reload scheduling
//!   (`config.action.reload`) never fires for them; Strait has no TTLs at all;
//! * providers are Java's three built-in classes; a custom class fails like a class Java cannot
//!   load. Java's worker instantiates the classes of `config.providers.<name>.class` by their
//!   full name when it parses its own config (`AbstractConfig`), before its plugin loader would
//!   accept an alias, so aliases (`FileConfigProvider`, `File`) fail a Java worker's start-up;
//!   they fail Strait's too, with the same message;
//! * Java's "available ConfigProviders are: …" lists plugin descriptors; Strait lists the
//!   three class names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::config::{config_exception, parse_properties, Props};
use crate::error::{Error, Result};
use crate::transforms::java_regex::JavaPattern;

/// `config.providers`.
pub const CONFIG_PROVIDERS_CONFIG: &str = "config.providers";
/// Java's `FileConfigProvider`: `${file:/path/to/file.properties:key}`.
pub const FILE_CONFIG_PROVIDER: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
/// Java's `DirectoryConfigProvider`: `${dir:/path/to/dir:file-name}`.
pub const DIRECTORY_CONFIG_PROVIDER: &str =
    "org.apache.kafka.common.config.provider.DirectoryConfigProvider";
/// Java's `EnvVarConfigProvider`: `${env:VARIABLE}`.
pub const ENV_VAR_CONFIG_PROVIDER: &str =
    "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
/// `allowed.paths` of the file and directory providers.
pub const ALLOWED_PATHS_CONFIG: &str = "allowed.paths";
/// `allowlist.pattern` of the environment-variable provider.
pub const ALLOWLIST_PATTERN_CONFIG: &str = "allowlist.pattern";

const CLASSES: [&str; 3] = [
    FILE_CONFIG_PROVIDER,
    DIRECTORY_CONFIG_PROVIDER,
    ENV_VAR_CONFIG_PROVIDER,
];

/// One config provider: the values of `keys` at `path` (keys it does not have are absent).
trait Provider: Send + Sync + std::fmt::Debug {
    fn get(&self, path: &str, keys: &BTreeSet<String>) -> Result<Props>;
}

/// Provider failures are `ConfigException`s in Java, which its REST layer answers with 500.
fn provider_error(message: String) -> Error {
    Error::config(message).with_http_status(500)
}

/// Java's `AllowedPaths`: the `allowed.paths` a file or directory provider may read under
/// (`None`: anywhere).
#[derive(Debug, Clone)]
pub struct AllowedPaths(Option<Vec<PathBuf>>);

impl AllowedPaths {
    /// Parse an `allowed.paths` value: comma-separated, each absolute and existing (Java's
    /// messages). Entries are not trimmed, as in Java (`" /tmp"` is not absolute).
    pub fn new(value: Option<&str>) -> Result<Self> {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Ok(AllowedPaths(None));
        };
        let mut paths = Vec::new();
        for entry in java_split(value) {
            let normalised = normalize(Path::new(entry));
            if !normalised.is_absolute() {
                return Err(Error::config(format!(
                    "Path {} is not absolute",
                    normalised.display()
                )));
            }
            if !normalised.exists() {
                return Err(Error::config(format!(
                    "Path {} does not exist",
                    normalised.display()
                )));
            }
            paths.push(normalised);
        }
        Ok(AllowedPaths(Some(paths)))
    }

    /// `parseUntrustedPath`: the path to read, or `None` when it is outside every allowed
    /// path. The comparison is on normalised components (`/a/../b` is `/b`; `/ab` is not under
    /// `/a`), without resolving symbolic links, as Java's `Path.normalize().startsWith`.
    pub fn parse_untrusted_path(&self, path: &str) -> Option<PathBuf> {
        match &self.0 {
            None => Some(PathBuf::from(path)),
            Some(allowed) => {
                let normalised = normalize(Path::new(path));
                allowed
                    .iter()
                    .any(|a| normalised.starts_with(a))
                    .then_some(normalised)
            }
        }
    }
}

/// Java's `String.split(",")`: trailing empty strings are dropped.
fn java_split(value: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = value.split(',').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Java's `Path.normalize()`: `.` removed and `..` folded lexically (a `..` above the root of
/// an absolute path disappears; leading ones of a relative path stay).
fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// Java's `FileConfigProvider`: keys of a properties file (read as UTF-8).
#[derive(Debug)]
struct FileProvider {
    allowed: AllowedPaths,
}

impl Provider for FileProvider {
    fn get(&self, path: &str, keys: &BTreeSet<String>) -> Result<Props> {
        if path.is_empty() {
            return Ok(Props::new());
        }
        let Some(file) = self.allowed.parse_untrusted_path(path) else {
            tracing::warn!("The path {path} is not allowed to be accessed");
            return Ok(Props::new());
        };
        let text = std::fs::read_to_string(&file).map_err(|e| {
            tracing::error!("Could not read properties from file {path}: {e}");
            provider_error(format!("Could not read properties from file {path}"))
        })?;
        let mut props = parse_properties(&text).map_err(|e| e.context(path))?;
        props.retain(|k, _| keys.contains(k));
        Ok(props)
    }
}

/// Java's `DirectoryConfigProvider`: each key is the name of a regular file in the directory,
/// its value the file's contents (UTF-8, malformed bytes replaced, as Java's `new String`).
#[derive(Debug)]
struct DirectoryProvider {
    allowed: AllowedPaths,
}

impl Provider for DirectoryProvider {
    fn get(&self, path: &str, keys: &BTreeSet<String>) -> Result<Props> {
        let mut data = Props::new();
        if path.is_empty() {
            return Ok(data);
        }
        let Some(dir) = self.allowed.parse_untrusted_path(path) else {
            tracing::warn!("The path {path} is not allowed to be accessed");
            return Ok(data);
        };
        if !dir.is_dir() {
            tracing::warn!("The path {path} is not a directory");
            return Ok(data);
        }
        let list_error = |e: std::io::Error| {
            tracing::error!("Could not list directory {}: {e}", dir.display());
            provider_error(format!("Could not list directory {}", dir.display()))
        };
        for entry in std::fs::read_dir(&dir).map_err(list_error)? {
            let file = entry.map_err(list_error)?.path();
            let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            // `Files.isRegularFile` follows symbolic links (Kubernetes secret volumes are links).
            if !keys.contains(name) || !file.metadata().is_ok_and(|m| m.is_file()) {
                continue;
            }
            let bytes = std::fs::read(&file).map_err(|e| {
                tracing::error!(
                    "Could not read file {} for property {name}: {e}",
                    file.display()
                );
                provider_error(format!(
                    "Could not read file {} for property {name}",
                    file.display()
                ))
            })?;
            data.insert(
                name.to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            );
        }
        Ok(data)
    }
}

/// Java's `EnvVarConfigProvider`: the process environment as it was when the provider was
/// configured, filtered by `allowlist.pattern` (a Java regex matching whole names; default all).
#[derive(Debug)]
struct EnvVarProvider {
    vars: Props,
}

impl EnvVarProvider {
    fn new(env: impl IntoIterator<Item = (String, String)>, pattern: Option<&str>) -> Result<Self> {
        let pattern = match pattern {
            Some(p) => Some(JavaPattern::compile(p).map_err(|why| {
                config_exception(
                    ALLOWLIST_PATTERN_CONFIG,
                    p,
                    &format!("Invalid regular expression: {why}"),
                )
            })?),
            None => {
                tracing::info!(
                    "No pattern for environment variables provided. Using default pattern '(.*)'."
                );
                None
            }
        };
        let vars = env
            .into_iter()
            .filter(|(k, _)| pattern.as_ref().is_none_or(|p| p.matches(k)))
            .collect();
        Ok(EnvVarProvider { vars })
    }
}

impl Provider for EnvVarProvider {
    fn get(&self, path: &str, keys: &BTreeSet<String>) -> Result<Props> {
        if !path.is_empty() {
            tracing::error!(
                "Path is not supported for EnvVarConfigProvider, invalid value '{path}'"
            );
            return Err(provider_error(format!(
                "Path is not supported for EnvVarConfigProvider, invalid value '{path}'"
            )));
        }
        Ok(self
            .vars
            .iter()
            .filter(|(k, _)| keys.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

/// Instantiate and configure the provider of full class name `class` with its `param.*` keys.
fn new_provider(class: &str, params: &Props) -> Result<Arc<dyn Provider>> {
    let allowed = || AllowedPaths::new(params.get(ALLOWED_PATHS_CONFIG).map(String::as_str));
    Ok(match class {
        FILE_CONFIG_PROVIDER => Arc::new(FileProvider {
            allowed: allowed()?,
        }),
        DIRECTORY_CONFIG_PROVIDER => Arc::new(DirectoryProvider {
            allowed: allowed()?,
        }),
        ENV_VAR_CONFIG_PROVIDER => Arc::new(EnvVarProvider::new(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
            params.get(ALLOWLIST_PATTERN_CONFIG).map(String::as_str),
        )?),
        _ => {
            return Err(Error::bug(format!(
                "{class} is not a built-in config provider"
            )))
        }
    })
}

/// `config.providers.<name>.param.*` with the prefix stripped (Java's
/// `originalsWithPrefix`; the bare prefix itself is not a parameter).
fn params_of(props: &Props, name: &str) -> Props {
    let prefix = format!("{CONFIG_PROVIDERS_CONFIG}.{name}.param.");
    props
        .iter()
        .filter_map(|(k, v)| {
            let p = k.strip_prefix(&prefix).filter(|p| !p.is_empty())?;
            Some((p.to_string(), v.clone()))
        })
        .collect()
}

fn class_key(name: &str) -> String {
    format!("{CONFIG_PROVIDERS_CONFIG}.{name}.class")
}

/// One `${provider:[path:]key}` occurrence in a value: its byte range and parts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Variable<'a> {
    start: usize,
    end: usize,
    provider: &'a str,
    /// Empty when the variable has no path (Java's `EMPTY_PATH`).
    path: &'a str,
    key: &'a str,
}

/// Every variable in `value`, left to right, exactly as Java's `ConfigTransformer.DEFAULT_PATTERN`
/// (`\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`) finds them: a variable ends at the first `}`; the
/// provider is the text up to the first `:`, the path (optional) up to the second `:`, and the
/// key is the rest, colons included. There is no nesting: in `${a:${b:c}}` the variable is
/// `${a:${b:c}` (provider `a`, path `${b`, key `c`).
fn variables(value: &str) -> Vec<Variable<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = value[from..].find("${").map(|i| from + i) {
        let body_start = at + 2;
        let Some(close) = value[body_start..].find('}').map(|i| body_start + i) else {
            break;
        };
        let body = &value[body_start..close];
        match body.split_once(':') {
            Some((provider, rest)) => {
                let (path, key) = rest.split_once(':').unwrap_or(("", rest));
                found.push(Variable {
                    start: at,
                    end: close + 1,
                    provider,
                    path,
                    key,
                });
                from = close + 1;
            }
            // No match starting here; Java's `find` tries the next position.
            None => from = at + 1,
        }
    }
    found
}

/// Whether `value` holds a variable (Java's `keysWithVariableValues` test).
pub fn has_variable(value: &str) -> bool {
    !variables(value).is_empty()
}

/// Java's `ConfigTransformer` over a set of named providers.
#[derive(Debug, Clone, Default)]
struct Transformer {
    providers: BTreeMap<String, Arc<dyn Provider>>,
}

impl Transformer {
    /// `ConfigTransformer.transform`: look every variable's key up once per provider and path,
    /// then replace the variables whose provider is known and whose key was found; the rest
    /// stay as written. `None` values stay `None`.
    fn transform<K: Ord + Clone>(
        &self,
        configs: &BTreeMap<K, Option<String>>,
    ) -> Result<BTreeMap<K, Option<String>>> {
        let mut wanted: BTreeMap<&str, BTreeMap<&str, BTreeSet<String>>> = BTreeMap::new();
        for value in configs.values().flatten() {
            for v in variables(value) {
                wanted
                    .entry(v.provider)
                    .or_default()
                    .entry(v.path)
                    .or_default()
                    .insert(v.key.to_string());
            }
        }
        if wanted.is_empty() {
            return Ok(configs.clone());
        }
        let mut found: BTreeMap<(&str, &str), Props> = BTreeMap::new();
        for (provider_name, paths) in &wanted {
            let Some(provider) = self.providers.get(*provider_name) else {
                continue;
            };
            for (path, keys) in paths {
                found.insert((provider_name, path), provider.get(path, keys)?);
            }
        }
        Ok(configs
            .iter()
            .map(|(k, v)| (k.clone(), v.as_deref().map(|v| replace(&found, v))))
            .collect())
    }
}

fn replace(found: &BTreeMap<(&str, &str), Props>, value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut copied = 0;
    for v in variables(value) {
        let Some(data) = found.get(&(v.provider, v.path)) else {
            continue; // unknown provider: the variable stays as written
        };
        out.push_str(&value[copied..v.start]);
        out.push_str(
            data.get(v.key)
                .map_or(&value[v.start..v.end], String::as_str),
        );
        copied = v.end;
    }
    out.push_str(&value[copied..]);
    out
}

fn to_optional(props: &Props) -> BTreeMap<String, Option<String>> {
    props
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect()
}

fn from_optional(map: BTreeMap<String, Option<String>>) -> Props {
    map.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()
}

/// Resolve the variables of a worker config with the providers it declares (Java's
/// `AbstractConfig.resolveConfigVariables`): `config.providers` split on commas without
/// trimming, providers without a `.class` key skipped, classes by full name only, parameters
/// taken as written. Without `config.providers` the props come back unchanged.
pub fn resolve_worker_props(props: &Props) -> Result<Props> {
    let Some(names) = props.get(CONFIG_PROVIDERS_CONFIG).filter(|v| !v.is_empty()) else {
        return Ok(props.clone());
    };
    let mut transformer = Transformer::default();
    for name in java_split(names) {
        let Some(class) = props.get(&class_key(name)) else {
            continue;
        };
        if !CLASSES.contains(&class.as_str()) {
            return Err(config_exception(
                &class_key(name),
                class,
                "Could not load config provider class or one of its dependencies",
            ));
        }
        let provider = new_provider(class, &params_of(props, name))?;
        transformer.providers.insert(name.to_string(), provider);
    }
    let resolved = transformer.transform(&to_optional(props))?;
    Ok(from_optional(resolved))
}

/// The full class name of a provider class given by full name or by one of the aliases Java's
/// plugin loader computes (the simple name, and the simple name without `ConfigProvider`).
fn provider_class(class_or_alias: &str) -> Option<&'static str> {
    CLASSES.into_iter().find(|class| {
        let simple = class.rsplit('.').next().unwrap_or(class);
        let pruned = simple.strip_suffix("ConfigProvider").unwrap_or(simple);
        class_or_alias == *class || class_or_alias == simple || class_or_alias == pruned
    })
}

/// The worker's config providers for connector configs (Java's `WorkerConfigTransformer`, built
/// by `Worker.initConfigTransformer`). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    transformer: Transformer,
}

impl ConfigProviders {
    /// The providers of a worker config (already resolved by [`resolve_worker_props`]): the
    /// trimmed names of `config.providers`; a name without a `.class` key has no provider, so
    /// its variables stay as written (Java's null provider).
    pub fn from_worker_props(props: &Props) -> Result<Self> {
        let mut transformer = Transformer::default();
        let names = props
            .get(CONFIG_PROVIDERS_CONFIG)
            .map(String::as_str)
            .unwrap_or("");
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let Some(given) = props.get(&class_key(name)) else {
                continue;
            };
            let class = provider_class(given).ok_or_else(|| {
                Error::config(format!(
                    "Failed to find any class that implements ConfigProvider and which name matches {given}, available ConfigProviders are: {}",
                    CLASSES.join(", ")
                ))
            })?;
            let provider = new_provider(class, &params_of(props, name))?;
            transformer.providers.insert(name.to_string(), provider);
        }
        Ok(ConfigProviders { transformer })
    }

    /// Whether no provider is configured (then nothing is ever resolved).
    pub fn is_empty(&self) -> bool {
        self.transformer.providers.is_empty()
    }

    /// A connector or task config with its variables resolved.
    pub fn transform(&self, config: &Props) -> Result<Props> {
        if self.is_empty() {
            return Ok(config.clone());
        }
        Ok(from_optional(
            self.transformer.transform(&to_optional(config))?,
        ))
    }

    /// As [`transform`](Self::transform), for a request's config whose `null` values are kept.
    pub fn transform_raw(
        &self,
        config: &BTreeMap<String, Option<String>>,
    ) -> Result<BTreeMap<String, Option<String>>> {
        if self.is_empty() {
            return Ok(config.clone());
        }
        self.transformer.transform(config)
    }
}

/// Java's `AbstractHerder.reverseTransform`: in each task config, every key whose value in the
/// raw connector config holds a variable gets that raw value back, so what is stored (config
/// topic, `GET /connectors/{c}/tasks`) never holds a resolved secret.
pub fn reverse_transform(raw_connector_config: &Props, task_configs: Vec<Props>) -> Vec<Props> {
    let with_variables: Vec<(&String, &String)> = raw_connector_config
        .iter()
        .filter(|(_, v)| has_variable(v))
        .collect();
    if with_variables.is_empty() {
        return task_configs;
    }
    task_configs
        .into_iter()
        .map(|mut config| {
            for (k, raw) in &with_variables {
                if let Some(v) = config.get_mut(*k) {
                    v.clone_from(raw);
                }
            }
            config
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::props_from;

    fn parts(value: &str) -> Vec<(&str, &str, &str)> {
        variables(value)
            .into_iter()
            .map(|v| (v.provider, v.path, v.key))
            .collect()
    }

    #[test]
    fn the_syntax_is_javas_pattern() {
        assert_eq!(parts("${env:HOME}"), [("env", "", "HOME")]);
        assert_eq!(
            parts("${file:/etc/s.properties:topic}"),
            [("file", "/etc/s.properties", "topic")]
        );
        // The key takes every colon after the path.
        assert_eq!(parts("${a:b:c:d}"), [("a", "b", "c:d")]);
        assert_eq!(parts("${file:}"), [("file", "", "")]);
        assert_eq!(parts("${:k}"), [("", "", "k")]);
        // Several, with text around; a `${` without a colon before its `}` is not one.
        assert_eq!(
            parts("x${env:A}-${nope}-${env:B}y"),
            [("env", "", "A"), ("env", "", "B")]
        );
        assert!(parts("${env:A").is_empty());
        assert!(parts("$env:A}").is_empty());
        // No nesting: the first `}` ends the variable.
        assert_eq!(parts("${a:${b:c}}"), [("a", "${b", "c")]);
        // A `${` inside a colon-less body starts the next candidate.
        assert_eq!(parts("${x${env:A}"), [("x${env", "", "A")]);
        assert!(has_variable("pre ${file:/p:k} post") && !has_variable("plain"));
    }

    fn env_transformer(vars: &[(&str, &str)]) -> Transformer {
        let env = EnvVarProvider::new(
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            None,
        )
        .unwrap();
        let mut t = Transformer::default();
        t.providers.insert("env".into(), Arc::new(env));
        t
    }

    #[test]
    fn unknown_providers_and_missing_keys_stay_as_written() {
        let t = env_transformer(&[("A", "1"), ("B", "two")]);
        let config: BTreeMap<String, Option<String>> = [
            ("a", Some("${env:A}")),
            (
                "mixed",
                Some("x-${env:B}-${env:MISSING}-${vault:s:k}-${env:A}"),
            ),
            ("none", None),
            ("plain", Some("${not a variable}")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
        .collect();
        let out = t.transform(&config).unwrap();
        assert_eq!(out["a"].as_deref(), Some("1"));
        assert_eq!(
            out["mixed"].as_deref(),
            Some("x-two-${env:MISSING}-${vault:s:k}-1")
        );
        assert_eq!(out["none"], None);
        assert_eq!(out["plain"].as_deref(), Some("${not a variable}"));
        // A resolved value is not resolved again (one pass, as Java).
        let t = env_transformer(&[("A", "${env:B}"), ("B", "b")]);
        let out = t
            .transform(&[("k".to_string(), Some("${env:A}".to_string()))].into())
            .unwrap();
        assert_eq!(out["k"].as_deref(), Some("${env:B}"));
    }

    #[test]
    fn the_env_provider_filters_by_allowlist_and_refuses_paths() {
        let env = EnvVarProvider::new(
            [("APP_TOPIC", "t"), ("SECRET", "s")].map(|(k, v)| (k.to_string(), v.to_string())),
            Some("APP_.*"),
        )
        .unwrap();
        let keys: BTreeSet<String> = ["APP_TOPIC".into(), "SECRET".into()].into();
        assert_eq!(
            env.get("", &keys).unwrap(),
            props_from(&[("APP_TOPIC", "t")])
        );
        // `matches()`: the whole name.
        let env = EnvVarProvider::new(
            [("XAPP_TOPIC".to_string(), "t".to_string())],
            Some("APP_.*"),
        )
        .unwrap();
        assert!(env
            .get("", &["XAPP_TOPIC".to_string()].into())
            .unwrap()
            .is_empty());
        let err = env.get("/p", &keys).unwrap_err();
        assert_eq!(
            err.message(),
            "Path is not supported for EnvVarConfigProvider, invalid value '/p'"
        );
        assert_eq!(err.http_status(), 500);
        let err = EnvVarProvider::new([], Some("(")).unwrap_err();
        assert!(err.message().contains("allowlist.pattern"), "{err}");
    }

    #[test]
    fn allowed_paths_are_javas() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().display().to_string();
        assert_eq!(
            AllowedPaths::new(Some("relative/./dir"))
                .unwrap_err()
                .message(),
            "Path relative/dir is not absolute"
        );
        assert_eq!(
            AllowedPaths::new(Some(&format!("{root}/missing/../gone")))
                .unwrap_err()
                .message(),
            format!("Path {root}/gone does not exist")
        );
        // Not trimmed, as in Java.
        assert!(AllowedPaths::new(Some(&format!("{root}, {root}")))
            .unwrap_err()
            .message()
            .contains("is not absolute"));
        let allowed = AllowedPaths::new(Some(&format!("{root},"))).unwrap();
        assert_eq!(
            allowed.parse_untrusted_path(&format!("{root}/a/../b")),
            Some(PathBuf::from(format!("{root}/b")))
        );
        assert_eq!(allowed.parse_untrusted_path(&format!("{root}/../x")), None);
        assert_eq!(allowed.parse_untrusted_path(&format!("{root}x/y")), None);
        assert_eq!(allowed.parse_untrusted_path("/etc/passwd"), None);
        let anywhere = AllowedPaths::new(None).unwrap();
        assert_eq!(
            anywhere.parse_untrusted_path("/etc/passwd"),
            Some(PathBuf::from("/etc/passwd"))
        );
        assert_eq!(
            normalize(Path::new("/../a/./b//c/..")),
            PathBuf::from("/a/b")
        );
        assert_eq!(normalize(Path::new("../a")), PathBuf::from("../a"));
    }

    #[test]
    fn file_and_directory_providers_read_inside_allowed_paths_only() {
        let dir = tempfile::tempdir().unwrap();
        let allowed = dir.path().join("allowed");
        std::fs::create_dir_all(allowed.join("secrets")).unwrap();
        std::fs::write(
            allowed.join("s.properties"),
            "topic = orders\npassword=p\\u00e4ss\n",
        )
        .unwrap();
        std::fs::write(allowed.join("secrets/user"), "alice").unwrap();
        std::fs::create_dir(allowed.join("secrets/sub")).unwrap();
        let outside = dir.path().join("outside.properties");
        std::fs::write(&outside, "topic=leak\n").unwrap();
        let params = props_from(&[(ALLOWED_PATHS_CONFIG, &allowed.display().to_string())]);
        let mut t = Transformer::default();
        t.providers.insert(
            "file".into(),
            new_provider(FILE_CONFIG_PROVIDER, &params).unwrap(),
        );
        t.providers.insert(
            "dir".into(),
            new_provider(DIRECTORY_CONFIG_PROVIDER, &params).unwrap(),
        );
        let a = allowed.display();
        let config = to_optional(&props_from(&[
            ("topic", &format!("${{file:{a}/s.properties:topic}}")),
            ("password", &format!("${{file:{a}/s.properties:password}}")),
            ("user", &format!("${{dir:{a}/secrets:user}}")),
            ("sub", &format!("${{dir:{a}/secrets:sub}}")),
            ("leak", &format!("${{file:{}:topic}}", outside.display())),
            (
                "escape",
                &format!("${{file:{a}/../outside.properties:topic}}"),
            ),
            ("not_dir", &format!("${{dir:{a}/s.properties:topic}}")),
        ]));
        let out = from_optional(t.transform(&config).unwrap());
        assert_eq!(out["topic"], "orders");
        assert_eq!(out["password"], "päss");
        assert_eq!(out["user"], "alice");
        // Directories are not values; paths outside allowed.paths stay as written.
        for k in ["sub", "leak", "escape", "not_dir"] {
            assert_eq!(out[k], config[k].clone().unwrap(), "{k}");
        }
        // A file that cannot be read fails the whole transformation, as Java's ConfigException.
        let missing = to_optional(&props_from(&[("k", &format!("${{file:{a}/nope:k}}"))]));
        let err = t.transform(&missing).unwrap_err();
        assert_eq!(
            err.message(),
            format!("Could not read properties from file {a}/nope")
        );
    }

    #[test]
    fn worker_props_resolve_their_own_variables() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("w.properties");
        std::fs::write(&file, "bootstrap=broker:9092\n").unwrap();
        let props = props_from(&[
            ("config.providers", "file,none"),
            ("config.providers.file.class", FILE_CONFIG_PROVIDER),
            (
                "bootstrap.servers",
                &format!("${{file:{}:bootstrap}}", file.display()),
            ),
            ("other", "${none:x}"),
        ]);
        let resolved = resolve_worker_props(&props).unwrap();
        assert_eq!(resolved["bootstrap.servers"], "broker:9092");
        assert_eq!(resolved["other"], "${none:x}");
        assert_eq!(resolved["config.providers"], "file,none");
        // Java's AbstractConfig loads classes by full name: an alias fails start-up.
        let mut alias = props.clone();
        alias.insert(
            "config.providers.file.class".into(),
            "FileConfigProvider".into(),
        );
        assert_eq!(
            resolve_worker_props(&alias).unwrap_err().message(),
            "Invalid value FileConfigProvider for configuration config.providers.file.class: Could not load config provider class or one of its dependencies"
        );
        // Bad allowed.paths fail start-up with Java's message.
        let mut bad = props.clone();
        bad.insert(
            "config.providers.file.param.allowed.paths".into(),
            "rel".into(),
        );
        assert_eq!(
            resolve_worker_props(&bad).unwrap_err().message(),
            "Path rel is not absolute"
        );
        assert_eq!(resolve_worker_props(&Props::new()).unwrap(), Props::new());
    }

    #[test]
    fn connector_providers_take_aliases_and_skip_classless_names() {
        for class in [ENV_VAR_CONFIG_PROVIDER, "EnvVarConfigProvider", "EnvVar"] {
            let p = ConfigProviders::from_worker_props(&props_from(&[
                ("config.providers", " env , other"),
                ("config.providers.env.class", class),
            ]))
            .unwrap();
            assert!(!p.is_empty(), "{class}");
        }
        let err = ConfigProviders::from_worker_props(&props_from(&[
            ("config.providers", "x"),
            ("config.providers.x.class", "com.example.Vault"),
        ]))
        .unwrap_err();
        assert!(err.message().starts_with("Failed to find any class that implements ConfigProvider and which name matches com.example.Vault"), "{err}");
        let none =
            ConfigProviders::from_worker_props(&props_from(&[("config.providers", "x")])).unwrap();
        assert!(none.is_empty());
        let raw = props_from(&[("k", "${x:y}")]);
        assert_eq!(none.transform(&raw).unwrap(), raw);
    }

    #[test]
    fn reverse_transform_puts_variables_back() {
        let raw = props_from(&[
            ("connection.password", "${file:/s:pw}"),
            ("topic", "t"),
            ("topics", "${env:TOPICS}"),
        ]);
        let tasks = vec![
            props_from(&[
                ("connection.password", "secret"),
                ("topic", "t"),
                ("task.class", "C"),
            ]),
            props_from(&[("topics", "a,b"), ("other", "secret")]),
        ];
        let out = reverse_transform(&raw, tasks);
        assert_eq!(out[0]["connection.password"], "${file:/s:pw}");
        assert_eq!(out[0]["topic"], "t");
        assert!(!out[0].contains_key("topics"));
        assert_eq!(out[1]["topics"], "${env:TOPICS}");
        // Only keys of the connector config are restored, as in Java.
        assert_eq!(out[1]["other"], "secret");
    }
}
