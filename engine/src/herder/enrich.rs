//! The keys a connector config's transforms and predicates add to its definition, and their
//! validation: Java's `ConnectorConfig.enrich` (with its `EnrichablePlugin`s), as
//! `AbstractHerder.validateConnectorConfig` uses it.
//!
//! For each alias listed in `transforms` (each once, in list order), then each alias in
//! `predicates`, Java defines `<prefix>type` (group `Transforms: <alias>` / `Predicates:
//! <alias>`, order 0) and — when that names a plugin of the right type — embeds under
//! `<prefix>` the plugin's own keys (for a transform, preceded by the implicit `predicate` and
//! `negate`), sorted as `ConfigDef.embed` sorts them and numbered from 2 (order 1 is the KIP-891
//! `<prefix>plugin.version` key, which Strait does not define: one version of each plugin).
//!
//! The type key's validation is Java's: a class that cannot be found (value reported as null),
//! `negate` without `predicate`, a class of another plugin type; its recommended values are the
//! installed classes of its type. An embedded key is validated by its own definition (its
//! validator's messages name it without the prefix, as Java's embedded validators do).
//! Java does not check at validation time that a transform's `predicate` names a listed
//! predicate, nor run the plugins' `configure`: those errors come when the task starts
//! ([`build_chain`](crate::transforms::registry::build_chain)).

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Default, Importance, Props};
use crate::config::{Validator, Width};
use crate::connector_config::{PREDICATES, TRANSFORMS};
use crate::plugin::{PluginInfo, PluginType};
use crate::registry::Registry;
use crate::transforms::registry::{
    self as transforms, alias_list, alias_prefix, negate_without_predicate, NEGATE, PREDICATE,
};

/// One alias of `transforms` or `predicates`.
struct Alias {
    kind: PluginType,
    prefix: String,
    alias: String,
}

impl Alias {
    fn type_key(&self) -> String {
        format!("{}type", self.prefix)
    }

    /// `transformation` / `predicate`, as Java's `aliasKind.toLowerCase()`.
    fn kind_word(&self) -> &'static str {
        match self.kind {
            PluginType::Predicate => "predicate",
            _ => "transformation",
        }
    }

    fn group(&self) -> String {
        let group = match self.kind {
            PluginType::Predicate => PREDICATES,
            _ => TRANSFORMS,
        };
        format!("{group}: {}", self.alias)
    }
}

/// Every alias Java enriches for: `transforms` then `predicates`, duplicates listed once.
fn aliases(props: &Props) -> Vec<Alias> {
    let mut out: Vec<Alias> = Vec::new();
    for (key, kind) in [
        ("transforms", PluginType::Transformation),
        ("predicates", PluginType::Predicate),
    ] {
        for alias in alias_list(props, key) {
            if !out.iter().any(|a| a.kind == kind && a.alias == alias) {
                out.push(Alias {
                    kind,
                    prefix: alias_prefix(key, &alias),
                    alias,
                });
            }
        }
    }
    out
}

/// The keys the transforms and predicates of `props` add (after the framework's).
pub fn enriched_keys(registry: &Registry, props: &Props) -> ConfigDef {
    let mut def = ConfigDef::new();
    for a in aliases(props) {
        def = def.with_key(ConfigKey {
            name: a.type_key(),
            ty: ConfigType::Class,
            default: Default::Required,
            validator: Validator::None,
            importance: Importance::High,
            documentation: format!("Class for the '{}' {}.", a.alias, a.kind_word()),
            group: Some(a.group()),
            order: 0,
            width: Width::Long,
            display_name: format!(
                "{} type for {}",
                match a.kind {
                    PluginType::Predicate => "Predicate",
                    _ => "Transformation",
                },
                a.alias
            ),
            dependents: Vec::new(),
            embedded_prefix: 0,
        });
        // Java loads the plugin for its keys by the value as written, untrimmed (the type key's
        // own validation trims it): ` RegexRouter ` is a valid type that embeds no keys.
        let Some(plugin) = props
            .get(&a.type_key())
            .and_then(|class| registry.resolve(class))
            .filter(|info| info.kind == a.kind)
            .and_then(|info| registry.transform(info.class))
        else {
            // Java embeds nothing when the type is missing, unknown or of another type.
            continue;
        };
        let own = (plugin.config_def)();
        let child = match a.kind {
            PluginType::Transformation => {
                // The implicit keys mask any of the transform's own with the same name.
                let mut child = implicit_transform_keys();
                for k in own.keys() {
                    if k.name != PREDICATE && k.name != NEGATE {
                        child = child.with_key(k.clone());
                    }
                }
                child
            }
            _ => own,
        };
        def = def.embed(&a.prefix, &a.group(), 2, &child);
    }
    def
}

/// `predicate` and `negate`, which every transform takes (Java's `TransformationStage`
/// configs, defined by `ConnectorConfig.enrich`).
fn implicit_transform_keys() -> ConfigDef {
    let key = |name: &str, ty, default, doc: &str| ConfigKey {
        name: name.to_string(),
        ty,
        default,
        validator: Validator::None,
        importance: Importance::Medium,
        documentation: doc.to_string(),
        group: None,
        order: -1,
        width: Width::None,
        display_name: name.to_string(),
        dependents: Vec::new(),
        embedded_prefix: 0,
    };
    ConfigDef::new()
        .with_key(key(
            PREDICATE,
            ConfigType::String,
            Default::Null,
            "The alias of a predicate used to determine whether to apply this transformation.",
        ))
        .with_key(key(
            NEGATE,
            ConfigType::Boolean,
            Default::Value("false".into()),
            "Whether the configured predicate should be negated.",
        ))
}

/// The type keys' validation (Java's class parsing, its `typeValidator` and `ClassRecommender`),
/// on the values `ConfigDef::validate` produced for [`enriched_keys`].
pub fn type_rules(registry: &Registry, props: &Props, values: &mut [ConfigValue]) {
    let infos = registry.plugin_infos();
    let classes = |kind: PluginType| -> Vec<String> {
        let mut c: Vec<String> = infos
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| i.class.to_string())
            .collect();
        c.sort();
        c.dedup();
        c
    };
    for a in aliases(props) {
        let key = a.type_key();
        let Some(value) = values.iter_mut().find(|v| v.name == key) else {
            continue;
        };
        let resolved: Option<PluginInfo> = match props.get(&key) {
            None => None,
            Some(raw) => {
                let class = raw.trim();
                let found = registry.resolve(class);
                if found.is_none() {
                    value.errors.push(format!(
                        "Invalid value {class} for configuration {key}: Class {class} could not be found."
                    ));
                }
                found
            }
        };
        // Java reports the loaded class by name (an alias shows as the class it names).
        value.value = resolved.as_ref().map(|i| i.class.to_string());
        let negate = match a.kind {
            PluginType::Transformation => negate_without_predicate(props, &a.prefix),
            _ => None,
        };
        if let Some(e) = negate {
            value.errors.push(e);
        } else if let Some(info) = resolved.filter(|i| i.kind != a.kind) {
            value
                .errors
                .push(transforms::wrong_type(info.class, a.kind));
        }
        value.recommended_values = classes(a.kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::registry::{Build, TransformPlugin};

    use crate::config::props_from as props;

    fn names(def: &ConfigDef) -> Vec<&str> {
        def.keys().iter().map(|k| k.name.as_str()).collect()
    }

    #[test]
    fn each_alias_gets_a_type_key_in_its_own_group() {
        let p = props(&[
            ("transforms", "b, a,b"),
            ("predicates", "p"),
            ("transforms.a.type", "com.example.Nope"),
        ]);
        let def = enriched_keys(&Registry::new(), &p);
        assert_eq!(
            names(&def),
            vec![
                "transforms.b.type",
                "transforms.a.type",
                "predicates.p.type"
            ]
        );
        assert_eq!(
            def.groups(),
            vec!["Transforms: b", "Transforms: a", "Predicates: p"]
        );
        let a = def.key("transforms.a.type").unwrap();
        assert_eq!(a.documentation, "Class for the 'a' transformation.");
        assert_eq!(a.display_name, "Transformation type for a");
        assert_eq!(
            (a.order, a.width, a.ty),
            (0, Width::Long, ConfigType::Class)
        );
        assert_eq!(a.default, Default::Required);
        let p = def.key("predicates.p.type").unwrap();
        assert_eq!(p.documentation, "Class for the 'p' predicate.");
        assert_eq!(p.display_name, "Predicate type for p");
    }

    #[test]
    fn type_errors_are_javas() {
        let registry = Registry::new();
        let p = props(&[
            ("transforms", "a,b,c"),
            ("transforms.a.type", " com.example.Nope "),
            ("transforms.c.type", "com.example.Nope"),
            ("transforms.c.negate", "true"),
            ("predicates", "p"),
        ]);
        let def = enriched_keys(&registry, &p);
        let mut values = def.validate(&p);
        type_rules(&registry, &p, &mut values);
        let errors = |name: &str| {
            values
                .iter()
                .find(|v| v.name == name)
                .unwrap()
                .errors
                .clone()
        };
        assert_eq!(
            errors("transforms.a.type"),
            vec!["Invalid value com.example.Nope for configuration transforms.a.type: Class com.example.Nope could not be found."]
        );
        assert_eq!(
            errors("transforms.b.type"),
            vec![
                "Missing required configuration \"transforms.b.type\" which has no default value."
            ]
        );
        assert_eq!(
            errors("transforms.c.type"),
            vec![
                "Invalid value com.example.Nope for configuration transforms.c.type: Class com.example.Nope could not be found.",
                "Config 'transforms.c.negate' was provided but there is no config 'transforms.c.predicate' defining a predicate to be negated."
            ]
        );
        assert_eq!(
            errors("predicates.p.type"),
            vec![
                "Missing required configuration \"predicates.p.type\" which has no default value."
            ]
        );
        assert!(values.iter().all(|v| v.value.is_none()));
    }

    // A transform and a predicate of this test only, to exercise embedding without the
    // shipped kernels (the registry's table is filled by the transform files). Only their
    // definition is used, never parsed.
    #[allow(dead_code)]
    mod test_keys {
        use crate::config::Validator;

        crate::declare_config! {
            #[derive(Debug)]
            pub struct TestKeys {
                field: String {
                    key: "field",
                    ty: String,
                    default: required,
                    importance: Medium,
                    doc: "The field.",
                },
                count: i32 {
                    key: "count",
                    ty: Int,
                    default: "1",
                    validator: Validator::at_least(0.0),
                    importance: High,
                    doc: "How many.",
                },
                negate: bool {
                    key: "negate",
                    ty: Boolean,
                    default: "true",
                    importance: High,
                    doc: "Masked by the implicit key.",
                },
            }
        }
    }
    use test_keys::TestKeys;

    fn test_plugins() -> [TransformPlugin; 3] {
        [
            // Two `$Value` classes, as Kafka has many: `Value` names neither.
            TransformPlugin {
                class: "com.example.Other$Value",
                config_def: ConfigDef::new,
                build: Build::Transform(|_, _| Err(crate::Error::config("unused"))),
            },
            TransformPlugin {
                class: "com.example.Test$Value",
                config_def: TestKeys::config_def,
                build: Build::Transform(|_, _| Err(crate::Error::config("unused"))),
            },
            TransformPlugin {
                class: "com.example.IsTestPredicate",
                config_def: ConfigDef::new,
                build: Build::Predicate(|_| Err(crate::Error::config("unused"))),
            },
        ]
    }

    fn validated(registry: &Registry, p: &Props) -> (ConfigDef, Vec<ConfigValue>) {
        let def = enriched_keys(registry, p);
        let mut values = def.validate(p);
        type_rules(registry, p, &mut values);
        (def, values)
    }

    #[test]
    fn embedded_keys_are_sorted_prefixed_and_validated_as_java_does() {
        let registry = Registry::new().with_transforms(test_plugins());
        let p = props(&[
            ("transforms", "t"),
            ("transforms.t.type", "com.example.Test$Value"),
            ("transforms.t.count", "-1"),
            ("transforms.t.negate", "maybe"),
            ("transforms.t.predicate", "p"),
        ]);
        let (def, values) = validated(&registry, &p);
        // The type, then: required first, then importance (high first), then name; the
        // transform's own `negate` is masked by the implicit one.
        assert_eq!(
            names(&def),
            vec![
                "transforms.t.type",
                "transforms.t.field",
                "transforms.t.count",
                "transforms.t.negate",
                "transforms.t.predicate"
            ]
        );
        let orders: Vec<i32> = def.keys().iter().map(|k| k.order).collect();
        assert_eq!(orders, vec![0, 2, 3, 4, 5]);
        assert_eq!(def.groups(), vec!["Transforms: t"]);
        let negate = def.key("transforms.t.negate").unwrap();
        assert_eq!(negate.default, Default::Value("false".into()));
        assert_eq!(
            negate.documentation,
            "Whether the configured predicate should be negated."
        );
        let value = |name: &str| values.iter().find(|v| v.name == name).unwrap().clone();
        assert_eq!(
            value("transforms.t.field").errors,
            vec![
                "Missing required configuration \"transforms.t.field\" which has no default value."
            ]
        );
        // A validator names the key as the plugin defines it; a parse error names it in full.
        assert_eq!(
            value("transforms.t.count").errors,
            vec!["Invalid value -1 for configuration count: Value must be at least 0"]
        );
        assert_eq!(
            value("transforms.t.negate").errors,
            vec!["Invalid value maybe for configuration transforms.t.negate: Expected value to be either true or false"]
        );
        let ty = value("transforms.t.type");
        assert!(ty.errors.is_empty(), "{ty:?}");
        assert_eq!(ty.value.as_deref(), Some("com.example.Test$Value"));
        assert_eq!(
            ty.recommended_values,
            vec!["com.example.Other$Value", "com.example.Test$Value"]
        );
    }

    #[test]
    fn a_class_of_another_type_is_javas_error_and_embeds_nothing() {
        let registry = Registry::new().with_transforms(test_plugins());
        let p = props(&[
            ("transforms", "t"),
            // Java's alias: the simple name, pruned of `Predicate`.
            ("transforms.t.type", "IsTest"),
            ("predicates", "p"),
            ("predicates.p.type", "com.example.Test$Value"),
        ]);
        let (def, values) = validated(&registry, &p);
        assert_eq!(names(&def), vec!["transforms.t.type", "predicates.p.type"]);
        let t = &values[0];
        assert_eq!(t.value.as_deref(), Some("com.example.IsTestPredicate"));
        assert_eq!(
            t.errors,
            vec!["Class class com.example.IsTestPredicate does not implement the Transformation interface"]
        );
        let p = &values[1];
        assert_eq!(
            p.errors,
            vec!["Class class com.example.Test$Value does not implement the Predicate interface"]
        );
        assert_eq!(p.recommended_values, vec!["com.example.IsTestPredicate"]);
    }

    #[test]
    fn a_type_with_spaces_is_valid_but_embeds_nothing_as_in_java() {
        let registry = Registry::new().with_transforms(test_plugins());
        let p = props(&[
            ("transforms", "t"),
            ("transforms.t.type", " com.example.Test$Value "),
        ]);
        let (def, values) = validated(&registry, &p);
        assert_eq!(names(&def), vec!["transforms.t.type"]);
        assert!(values[0].errors.is_empty(), "{:?}", values[0]);
        assert_eq!(values[0].value.as_deref(), Some("com.example.Test$Value"));
    }

    #[test]
    fn nested_classes_answer_to_their_full_name_only() {
        let registry = Registry::new().with_transforms(test_plugins());
        for name in ["Test$Value", "Value"] {
            let p = props(&[("transforms", "t"), ("transforms.t.type", name)]);
            let (def, values) = validated(&registry, &p);
            assert_eq!(names(&def), vec!["transforms.t.type"], "{name}");
            assert_eq!(
                values[0].errors,
                vec![format!(
                    "Invalid value {name} for configuration transforms.t.type: Class {name} could not be found."
                )]
            );
        }
    }
}
