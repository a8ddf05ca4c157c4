//! The table of transforms and predicates Strait ships, keyed by Java class name (the engine's
//! SMT registry, DESIGN §3), and the construction of a connector's [`Chain`] from its
//! `transforms` / `predicates` keys.
//!
//! Each transform file declares its entries (a `$Key` / `$Value` pair is two entries); this
//! module concatenates them into one table.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

use super::chain::{Chain, ChainStage};
use super::{Predicate, Transform, TransformContext};
use crate::config::{with_prefix, ConfigDef, Props};
use crate::error::{Error, Result};
use crate::plugin::{resolve_by_name, PluginInfo, PluginType};

/// Kafka's version, which Java reports for the transforms and predicates it ships.
pub const KAFKA_VERSION: &str = "4.1.2";

/// How an entry builds its kernel from its own keys (`transforms.<alias>.` stripped, as Java's
/// `configure` receives them).
#[derive(Clone, Copy)]
pub enum Build {
    Transform(fn(&Props, &TransformContext) -> Result<Box<dyn Transform>>),
    Predicate(fn(&Props) -> Result<Box<dyn Predicate>>),
}

/// One transform or predicate class.
#[derive(Clone, Copy)]
pub struct TransformPlugin {
    /// Java class name, with `$Key` / `$Value` for the nested variants.
    pub class: &'static str,
    /// Its `ConfigDef`, as Java's `config()` returns it.
    pub config_def: fn() -> ConfigDef,
    pub build: Build,
}

impl TransformPlugin {
    pub fn kind(&self) -> PluginType {
        match self.build {
            Build::Transform(_) => PluginType::Transformation,
            Build::Predicate(_) => PluginType::Predicate,
        }
    }

    pub fn info(&self) -> PluginInfo {
        PluginInfo {
            class: self.class,
            extra_aliases: &[],
            kind: self.kind(),
            version: KAFKA_VERSION,
        }
    }
}

impl std::fmt::Debug for TransformPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformPlugin")
            .field("class", &self.class)
            .finish_non_exhaustive()
    }
}

static PLUGINS: LazyLock<Vec<TransformPlugin>> = LazyLock::new(|| {
    let tables: &[&[TransformPlugin]] = &[
        // One line per transform file (kept sorted).
        super::cast::PLUGINS,
        super::drop_headers::PLUGINS,
        super::extract_field::PLUGINS,
        super::filter::PLUGINS,
        super::flatten::PLUGINS,
        super::has_header_key::PLUGINS,
        super::header_from::PLUGINS,
        super::hoist_field::PLUGINS,
        super::insert_field::PLUGINS,
        super::insert_header::PLUGINS,
        super::mask_field::PLUGINS,
        super::record_is_tombstone::PLUGINS,
        super::regex_router::PLUGINS,
        super::replace_field::PLUGINS,
        super::set_schema_metadata::PLUGINS,
        super::timestamp_converter::PLUGINS,
        super::timestamp_router::PLUGINS,
        super::topic_name_matches::PLUGINS,
        super::value_to_key::PLUGINS,
    ];
    let mut all: Vec<TransformPlugin> = tables.concat();
    all.sort_by_key(|p| p.class);
    all
});

/// Every transform and predicate, sorted by class name.
pub fn plugins() -> &'static [TransformPlugin] {
    &PLUGINS
}

/// The transform or predicate (of any kind) named `name`: its class name, or an alias Java
/// gives it (simple name, or simple name cut before `Transformation` / `Predicate`) that no
/// other entry shares. A nested class answers to its full name only (`…Cast$Value`; Java has
/// no `Cast$Value` alias and drops the shared `Value`).
pub fn resolve(name: &str) -> Option<&'static TransformPlugin> {
    let all: Vec<&'static TransformPlugin> = plugins().iter().collect();
    resolve_by_name(&all, TransformPlugin::info, name.trim())
}

/// The plugin of `kind` named `name` (see [`resolve`]).
pub fn find(kind: PluginType, name: &str) -> Option<&'static TransformPlugin> {
    resolve(name).filter(|p| p.kind() == kind)
}

/// The prefix of an alias's keys: `transforms.<alias>.` or `predicates.<alias>.`.
pub fn alias_prefix(list_key: &str, alias: &str) -> String {
    format!("{list_key}.{alias}.")
}

/// Java's check on a transform's keys (`ConnectorConfig`'s `validateProps`): `negate` without
/// `predicate` is an error, worded as Java words it.
pub fn negate_without_predicate(props: &Props, prefix: &str) -> Option<String> {
    let negate = format!("{prefix}{NEGATE}");
    let predicate = format!("{prefix}{PREDICATE}");
    (props.contains_key(&negate) && !props.contains_key(&predicate)).then(|| {
        format!(
            "Config '{negate}' was provided but there is no config '{predicate}' defining a predicate to be negated."
        )
    })
}

/// The keys every transform takes besides its own (Java's `TransformationStage` configs).
pub const PREDICATE: &str = "predicate";
pub const NEGATE: &str = "negate";

/// Build the chain of a connector config (`transforms=a,b`, `transforms.a.type=…`,
/// `predicates=p`, `predicates.p.type=…`, `transforms.a.predicate=p`, `transforms.a.negate`),
/// as Java's `ConnectorConfig.transformationStages` builds it when a task starts. The config
/// has passed validation (which reports what Java's validation reports); what is left are the
/// errors Java meets only here, in its words: a transform's own `configure` errors, and a
/// predicate alias that `predicates` does not list (Java looks up `predicates.<p>.type` in the
/// validated config, which then has no such key).
pub fn build_chain(props: &Props, ctx: &TransformContext) -> Result<Chain> {
    let predicate_aliases = aliases(props, "predicates")?;
    // Java's `ConnectorConfig` first parses the enriched definition: every listed transform's
    // and predicate's own keys under their prefix (used or not), so the first error names the
    // key in full (`transforms.a.spec`), as validation does.
    for (list, kind) in [
        ("transforms", PluginType::Transformation),
        ("predicates", PluginType::Predicate),
    ] {
        for alias in aliases(props, list)? {
            let prefix = alias_prefix(list, &alias);
            let plugin = plugin_of(props, &prefix, kind)?;
            if kind == PluginType::Transformation {
                // Checked by the type key's validator, before the embedded keys.
                if let Some(e) = negate_without_predicate(props, &prefix) {
                    return Err(Error::config(e));
                }
            }
            let embedded = ConfigDef::new().embed(&prefix, &alias, 0, &(plugin.config_def)());
            if let Some(first) = embedded.first_error(props) {
                return Err(first);
            }
        }
    }
    let mut stages = Vec::new();
    for alias in aliases(props, "transforms")? {
        let prefix = alias_prefix("transforms", &alias);
        let Build::Transform(build) = plugin_of(props, &prefix, PluginType::Transformation)?.build
        else {
            return Err(Error::bug("transform entry builds a predicate"));
        };
        let mut own = with_prefix(props, &prefix);
        let predicate_alias = own.remove(PREDICATE);
        let negate = own.remove(NEGATE);
        let transform = build(&own, ctx)?;
        let predicate = match predicate_alias {
            None => None,
            Some(name) => {
                if !predicate_aliases.contains(&name) {
                    return Err(Error::config(format!(
                        "Unknown configuration 'predicates.{name}.type'"
                    )));
                }
                let prefix = alias_prefix("predicates", &name);
                let Build::Predicate(build) =
                    plugin_of(props, &prefix, PluginType::Predicate)?.build
                else {
                    return Err(Error::bug("predicate entry builds a transform"));
                };
                let predicate: Arc<dyn Predicate> = Arc::from(build(&with_prefix(props, &prefix))?);
                // Java: `Boolean.parseBoolean` of the original string, untrimmed (validation
                // accepted ` true `, which then means false).
                let negate = negate.is_some_and(|v| v.eq_ignore_ascii_case("true"));
                Some((predicate, negate))
            }
        };
        stages.push(ChainStage {
            alias,
            transform,
            predicate,
        });
    }
    Ok(Chain::new(stages))
}

/// The entry `<prefix>type` names, with the errors Java's validation gives for that key.
fn plugin_of(props: &Props, prefix: &str, kind: PluginType) -> Result<&'static TransformPlugin> {
    let key = format!("{prefix}type");
    let class = match props.get(&key).map(|s| s.trim()) {
        Some(c) => c,
        // Java's `ConnectorConfig` constructor (the task's config) words it so.
        None => {
            let base = match kind {
                PluginType::Predicate => "Predicate",
                _ => "Transformation",
            };
            return Err(Error::config(format!(
                "Invalid value null for configuration {key}: Not a {base}"
            )));
        }
    };
    let plugin = resolve(class).ok_or_else(|| {
        Error::config(format!(
            "Invalid value {class} for configuration {key}: Class {class} could not be found."
        ))
    })?;
    if plugin.kind() != kind {
        return Err(Error::config(wrong_type(plugin.class, kind)));
    }
    Ok(plugin)
}

/// Java's `Utils.ensureConcreteSubclass` message for a class of another plugin type.
pub fn wrong_type(class: &str, expected: PluginType) -> String {
    let interface = match expected {
        PluginType::Predicate => "Predicate",
        _ => "Transformation",
    };
    format!("Class class {class} does not implement the {interface} interface")
}

/// The aliases listed under `key`, as Java's LIST type splits them (trimmed, empty items
/// kept), duplicates included.
pub fn alias_list(props: &Props, key: &str) -> Vec<String> {
    match props.get(key).map(|v| v.trim()) {
        None | Some("") => Vec::new(),
        Some(v) => v.split(',').map(|s| s.trim().to_string()).collect(),
    }
}

/// [`alias_list`], where a duplicate is Java's error on that key.
fn aliases(props: &Props, key: &str) -> Result<Vec<String>> {
    let list = alias_list(props, key);
    if let Some(e) = duplicate_alias(key, &list) {
        return Err(Error::config(e));
    }
    Ok(list)
}

/// Java's `aliasValidator` error when `list` repeats an alias.
pub fn duplicate_alias(key: &str, list: &[String]) -> Option<String> {
    let mut seen = BTreeSet::new();
    list.iter().any(|a| !seen.insert(a.as_str())).then(|| {
        format!(
            "Invalid value [{}] for configuration {key}: Duplicate alias provided.",
            list.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Converter, Decoded};
    use arrow::array::{ArrayRef, BinaryArray};
    use arrow::datatypes::Field;

    /// A header converter for the context; building these chains never calls it.
    struct NoConverter;

    impl Converter for NoConverter {
        fn from_connect(&self, _: &Field, _: &ArrayRef) -> Result<BinaryArray> {
            Err(Error::bug("not used by chain construction"))
        }
        fn to_connect(&self, _: &BinaryArray) -> Result<Decoded> {
            Err(Error::bug("not used by chain construction"))
        }
    }

    fn chain_error(pairs: &[(&str, &str)]) -> String {
        let props = crate::config::props_from(pairs);
        let ctx = TransformContext {
            header_converter: Arc::new(NoConverter),
        };
        match build_chain(&props, &ctx) {
            Ok(_) => panic!("{pairs:?} built a chain"),
            Err(e) => e.message().to_string(),
        }
    }

    #[test]
    fn an_empty_config_builds_an_empty_chain() {
        let ctx = TransformContext {
            header_converter: Arc::new(NoConverter),
        };
        let props: Props = [("transforms".to_string(), " ".to_string())].into();
        assert!(build_chain(&props, &ctx).is_ok());
    }

    #[test]
    fn construction_errors_are_javas() {
        assert_eq!(
            chain_error(&[("transforms", "a, b ,a")]),
            "Invalid value [a, b, a] for configuration transforms: Duplicate alias provided."
        );
        assert_eq!(
            chain_error(&[("predicates", "p,p")]),
            "Invalid value [p, p] for configuration predicates: Duplicate alias provided."
        );
        assert_eq!(
            chain_error(&[("transforms", "a")]),
            "Invalid value null for configuration transforms.a.type: Not a Transformation"
        );
        // Java keeps empty items: `a,` lists an alias "".
        assert_eq!(
            chain_error(&[("transforms", "a,"), ("transforms.a.type", "x.Nope")]),
            "Invalid value x.Nope for configuration transforms.a.type: Class x.Nope could not be found."
        );
        assert_eq!(
            chain_error(&[
                ("transforms", "a"),
                ("transforms.a.type", "org.apache.kafka.connect.transforms.Filter"),
                ("transforms.a.negate", "true"),
            ]),
            "Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a predicate to be negated."
        );
    }

    #[test]
    fn alias_lists_split_as_java_lists() {
        let props: Props = [
            ("transforms".to_string(), " a , b,".to_string()),
            ("predicates".to_string(), "".to_string()),
        ]
        .into();
        assert_eq!(alias_list(&props, "transforms"), ["a", "b", ""]);
        assert!(alias_list(&props, "predicates").is_empty());
        assert!(alias_list(&props, "absent").is_empty());
    }

    #[test]
    fn unknown_names_resolve_to_nothing() {
        for name in ["", "Value", "org.example.Nope"] {
            assert!(resolve(name).is_none(), "{name}");
            assert!(find(PluginType::Transformation, name).is_none(), "{name}");
        }
    }
}
