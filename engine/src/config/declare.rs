//! One declaration per config: [`declare_config!`](crate::declare_config) turns a struct whose
//! fields name their key, type, default, validator, importance, documentation and (optionally)
//! group, order, width and display name into
//!
//! - the struct itself, with typed fields,
//! - `config_def()`: the [`ConfigDef`] that REST `/connector-plugins/{p}/config`,
//!   `/config/validate` and the generated `docs/configuration.md` read,
//! - `parse(props)`: the typed struct, validated by that same definition (Java's messages, first
//!   error in definition order, as `AbstractConfig` throws it).
//!
//! So a key cannot be documented one way and parsed another, and no code reads a value back by
//! its string name after parsing.
//!
//! ```
//! use std::time::Duration;
//! use strait_engine::config::Validator;
//!
//! strait_engine::declare_config! {
//!     /// Settings of an example connector.
//!     #[derive(Debug)]
//!     pub struct ExampleConfig {
//!         /// Where to read from.
//!         pub topic: String {
//!             key: "topic",
//!             ty: String,
//!             default: required,
//!             validator: Validator::NonEmptyString,
//!             importance: High,
//!             doc: "The topic to read",
//!         },
//!         /// How long to wait between polls.
//!         pub poll_interval: Duration {
//!             key: "poll.interval.ms",
//!             ty: Long,
//!             default: "1000",
//!             validator: Validator::at_least(0.0),
//!             importance: Low,
//!             doc: "Pause between polls, in milliseconds",
//!             group: "Polling",
//!             order: 1,
//!             width: Short,
//!             display: "Poll interval",
//!             map: |ms: i64| Duration::from_millis(ms as u64),
//!         },
//!     }
//! }
//!
//! let props = [("topic".to_string(), "t".to_string())].into();
//! let config = ExampleConfig::parse(&props).unwrap();
//! assert_eq!(config.poll_interval, Duration::from_secs(1));
//! assert_eq!(ExampleConfig::config_def().keys().len(), 2);
//! ```
//!
//! Each field is a key, `{ flatten }`, which embeds another declared config's keys at that
//! position (Java's `JsonConverterConfig` extends `ConverterConfig` this way), or
//! `{ originals }`, a [`Props`] field that keeps every key as given (Java's `originals()`, for
//! prefixed keys passed on to clients), or `{ derived }`, a field no key fills: `parse` sets its
//! `Default` and the config's own constructor derives it from the parsed keys afterwards
//! (e.g. the worker's config providers). A key's entries come in this order; those marked
//! optional may be left out:
//!
//! | entry | meaning |
//! |---|---|
//! | `key` | the config key |
//! | `ty` | Kafka's type: `Boolean`, `String`, `Int`, `Short`, `Long`, `Double`, `List`, `Class`, `Password` |
//! | `default` | `required` (no default), `null` (unset; the parsed value is an `Option`), or the default as Java shows it (a string literal or a constant, written in the key's type) |
//! | `validator` (optional) | a [`Validator`](super::Validator); none when left out |
//! | `importance` | `High`, `Medium` or `Low` |
//! | `doc` | the documentation, word for word as Java's |
//! | `group`, `order` (optional, together) | the group and the key's `order_in_group` (Java's numbers; none and -1 when left out) |
//! | `width` (optional) | `None`, `Short`, `Medium`, `Long`; `None` when left out |
//! | `display` (optional) | the display name; the key when left out |
//! | `map` (optional) | a function from the parsed value to the field's type; without it the field has the parsed value's type |
//! | `try_map` (optional, instead of `map`) | a function from the parsed value to a `Result` of the field's type, for values whose validity Java checks beyond the `ConfigDef` (e.g. a class name that must resolve); its error is `parse`'s |
//!
//! A value's Rust type follows its Kafka type (see [`KeyType`]): `Int` → `i32`, `Long` →
//! `i64`, `List` → `Vec<String>`, …, wrapped in `Option` when the default is `null`.

use super::{parse_key, ConfigKey, ConfigType, Props, Value};
use crate::error::{Error, Result};

/// A Kafka config type and the Rust type its parsed values have.
pub trait KeyType {
    const TYPE: ConfigType;
    type Rust;
    /// The typed value, or `None` when `value` is of another type.
    fn from_value(value: Value) -> Option<Self::Rust>;
}

/// Marker types naming Kafka's config types in [`declare_config!`](crate::declare_config)
/// (`ty: Int` is `types::Int`).
pub mod types {
    use super::{ConfigType, KeyType, Value};

    macro_rules! key_types {
        ($($name:ident => $rust:ty, $variant:ident;)*) => {$(
            #[derive(Debug)]
            pub struct $name;
            impl KeyType for $name {
                const TYPE: ConfigType = ConfigType::$name;
                type Rust = $rust;
                fn from_value(value: Value) -> Option<$rust> {
                    match value {
                        Value::$variant(v) => Some(v),
                        _ => None,
                    }
                }
            }
        )*};
    }

    key_types! {
        Boolean => bool, Bool;
        String => std::string::String, Str;
        Int => i32, Int;
        Short => i16, Short;
        Long => i64, Long;
        Double => f64, Double;
        List => Vec<std::string::String>, List;
        Class => std::string::String, Class;
        Password => std::string::String, Password;
    }
}

/// The value of a key that always has one (required, or with a default). Used by
/// [`declare_config!`](crate::declare_config).
#[doc(hidden)]
pub fn present<K: KeyType>(key: &ConfigKey, props: &Props) -> Result<K::Rust> {
    let value = parse_key(key, props.get(&key.name))?;
    K::from_value(value).ok_or_else(|| wrong_type(key))
}

/// The value of a key whose default is `null`. Used by [`declare_config!`](crate::declare_config).
#[doc(hidden)]
pub fn nullable<K: KeyType>(key: &ConfigKey, props: &Props) -> Result<Option<K::Rust>> {
    match parse_key(key, props.get(&key.name))? {
        Value::Null => Ok(None),
        value => K::from_value(value)
            .map(Some)
            .ok_or_else(|| wrong_type(key)),
    }
}

fn wrong_type(key: &ConfigKey) -> Error {
    Error::bug(format!(
        "config key {} did not parse to its declared type {:?}",
        key.name, key.ty
    ))
}

/// `map(value)`, with the closure's argument type taken from `value` (a closure called in place
/// would need its argument type written out).
#[doc(hidden)]
pub fn apply<A, B>(value: A, map: impl FnOnce(A) -> B) -> B {
    map(value)
}

/// Declare a config once: the struct, its `ConfigDef` and its typed parser. See the
/// [module documentation](crate::config::declare) for the syntax.
#[macro_export]
macro_rules! declare_config {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field_vis:vis $field:ident : $field_ty:ty { $($body:tt)* }
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$field_meta])* $field_vis $field: $field_ty, )*
        }

        impl $name {
            /// The definition of every key of this config, in declaration order.
            pub fn config_def() -> $crate::config::ConfigDef {
                let def = $crate::config::ConfigDef::new();
                $( let def = $crate::declare_config!(@def def, $field_ty; $($body)*); )*
                def
            }

            /// Parse and validate: the first problem in declaration order is the error, with
            /// Java's message.
            pub fn parse(props: &$crate::config::Props) -> $crate::Result<Self> {
                let _ = props; // a config without keys reads nothing
                $( let $field = $crate::declare_config!(@parse props, $field_ty; $($body)*); )*
                Ok($name { $($field),* })
            }
        }
    };

    (@def $def:ident, $field_ty:ty; flatten) => {
        $def.extend(<$field_ty>::config_def())
    };
    (@def $def:ident, $field_ty:ty; originals) => {
        $def
    };
    (@def $def:ident, $field_ty:ty; derived) => {
        $def
    };
    (@def $def:ident, $field_ty:ty; $($body:tt)*) => {
        $def.with_key($crate::declare_config!(@key $field_ty; $($body)*).0)
    };

    (@parse $props:ident, $field_ty:ty; flatten) => {
        <$field_ty>::parse($props)?
    };
    (@parse $props:ident, $field_ty:ty; originals) => {
        <$crate::config::Props as ::std::clone::Clone>::clone($props)
    };
    (@parse $props:ident, $field_ty:ty; derived) => {
        <$field_ty as ::std::default::Default>::default()
    };
    (@parse $props:ident, $field_ty:ty; $($body:tt)*) => {{
        let (key, parse) = $crate::declare_config!(@key $field_ty; $($body)*);
        parse(&key, $props)?
    }};

    // One key: its definition and the function that parses it into the field's type.
    (@key $field_ty:ty;
        key: $key:expr,
        ty: $ty:ident,
        default: $default:tt,
        $(validator: $validator:expr,)?
        importance: $importance:ident,
        doc: $doc:expr,
        $(group: $group:expr, order: $order:expr,)?
        $(width: $width:ident,)?
        $(display: $display:expr,)?
        $(map: $map:expr,)?
        $(try_map: $try_map:expr,)?
    ) => {
        (
            $crate::config::ConfigKey {
                name: ($key).to_string(),
                ty: <$crate::config::types::$ty as $crate::config::KeyType>::TYPE,
                default: $crate::declare_config!(@default $default),
                validator: $crate::declare_config!(@or [$crate::config::Validator::None] $($validator)?),
                importance: $crate::config::Importance::$importance,
                documentation: ($doc).to_string(),
                group: $crate::declare_config!(@or [None] $(Some(($group).to_string()))?),
                order: $crate::declare_config!(@or [-1] $($order)?),
                width: $crate::declare_config!(@width $($width)?),
                display_name: $crate::declare_config!(@or [($key).to_string()] $(($display).to_string())?),
                dependents: Vec::new(),
                embedded_prefix: 0,
            },
            |key: &$crate::config::ConfigKey,
             props: &$crate::config::Props|
             -> $crate::Result<$field_ty> {
                let value = $crate::declare_config!(@value $ty, $default, key, props);
                $( let value = $crate::config::apply(value, $map); )?
                $( let value = $crate::config::apply(value, $try_map)?; )?
                Ok(value)
            },
        )
    };

    (@width) => { $crate::config::Width::None };
    (@width $width:ident) => { $crate::config::Width::$width };

    (@default required) => { $crate::config::Default::Required };
    (@default null) => { $crate::config::Default::Null };
    (@default $value:tt) => { $crate::config::Default::Value(($value).to_string()) };

    (@value $ty:ident, null, $key:ident, $props:ident) => {
        $crate::config::nullable::<$crate::config::types::$ty>($key, $props)?
    };
    (@value $ty:ident, $default:tt, $key:ident, $props:ident) => {
        $crate::config::present::<$crate::config::types::$ty>($key, $props)?
    };

    // The entry given, or the fallback in brackets.
    (@or [$($fallback:tt)*]) => { $($fallback)* };
    (@or [$($fallback:tt)*] $($given:tt)+) => { $($given)+ };
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{ConfigKey, ConfigType, Default, Importance, Validator, Width};
    use crate::config::Props;

    declare_config! {
        #[derive(Debug, Clone, PartialEq)]
        struct Base {
            kind: String {
                key: "kind",
                ty: String,
                default: required,
                validator: Validator::OneOf(&["a", "b"]),
                importance: Low,
                doc: "Which kind.",
            },
        }
    }

    declare_config! {
        #[derive(Debug, Clone, PartialEq)]
        struct Example {
            base: Base { flatten },
            topic: String {
                key: "topic",
                ty: String,
                default: required,
                validator: Validator::NonEmptyString,
                importance: High,
                doc: "The topic \
                      to write to",
            },
            batch_size: usize {
                key: "batch.size",
                ty: Int,
                default: 2000,
                validator: Validator::at_least(1.0),
                importance: Low,
                doc: "Records per batch",
                group: "Batching", order: 1,
                width: Short,
                display: "Batch size",
                map: |n: i32| n as usize,
            },
            linger: Duration {
                key: "linger.ms",
                ty: Long,
                default: "5",
                validator: Validator::between(0.0, 60000.0),
                importance: Medium,
                doc: "How long to wait",
                group: "Batching", order: 2,
                map: |ms: i64| Duration::from_millis(ms as u64),
            },
            seed: Option<i64> {
                key: "seed",
                ty: Long,
                default: null,
                importance: Low,
                doc: "Seed",
            },
            flag: bool {
                key: "flag",
                ty: Boolean,
                default: "false",
                importance: Low,
                doc: "A flag",
            },
            topics: Vec<String> {
                key: "topics",
                ty: List,
                default: "",
                importance: Low,
                doc: "Topics",
            },
            ratio: f64 {
                key: "ratio",
                ty: Double,
                default: "0.5",
                importance: Low,
                doc: "Ratio",
            },
            replication: i16 {
                key: "replication",
                ty: Short,
                default: "3",
                importance: Low,
                doc: "Replicas",
            },
            class: Option<String> {
                key: "class",
                ty: Class,
                default: null,
                importance: Low,
                doc: "A class",
                width: Long,
            },
            secret: Option<String> {
                key: "secret",
                ty: Password,
                default: null,
                importance: Low,
                doc: "A secret",
            },
        }
    }

    declare_config! {
        #[derive(Debug, PartialEq)]
        struct Empty {}
    }

    declare_config! {
        #[derive(Debug, PartialEq)]
        struct Checked {
            port: u16 {
                key: "port",
                ty: Int,
                default: "8083",
                importance: Low,
                doc: "Port",
                try_map: |port: i32| u16::try_from(port)
                    .map_err(|_| crate::error::Error::config(format!("port {port} is out of range"))),
            },
            originals: Props { originals },
        }
    }

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_declaration_yields_the_config_def() {
        let def = Example::config_def();
        let names: Vec<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "kind",
                "topic",
                "batch.size",
                "linger.ms",
                "seed",
                "flag",
                "topics",
                "ratio",
                "replication",
                "class",
                "secret"
            ]
        );
        let k: &ConfigKey = def.key("batch.size").unwrap();
        assert_eq!(k.ty, ConfigType::Int);
        assert_eq!(k.default, Default::Value("2000".into()));
        assert_eq!(
            k.validator,
            Validator::Range {
                min: Some(1.0),
                max: None
            }
        );
        assert_eq!(k.importance, Importance::Low);
        assert_eq!(k.documentation, "Records per batch");
        assert_eq!(k.group.as_deref(), Some("Batching"));
        assert_eq!(k.order, 1);
        assert_eq!(k.width, Width::Short);
        assert_eq!(k.display_name, "Batch size");
        assert!(k.dependents.is_empty());
        // Left-out entries: no validator, no group (order -1), no width, the key as display name.
        let topic = def.key("topic").unwrap();
        assert_eq!(topic.documentation, "The topic to write to");
        assert_eq!(topic.default, Default::Required);
        let seed = def.key("seed").unwrap();
        assert_eq!(
            (seed.ty, &seed.default, &seed.validator),
            (ConfigType::Long, &Default::Null, &Validator::None)
        );
        assert_eq!((seed.group.as_deref(), seed.order), (None, -1));
        assert_eq!(
            (seed.width, seed.display_name.as_str()),
            (Width::None, "seed")
        );
        assert_eq!(def.key("class").unwrap().width, Width::Long);
        let types: Vec<ConfigType> = def.keys().iter().map(|k| k.ty).collect();
        assert_eq!(
            types[4..],
            [
                ConfigType::Long,
                ConfigType::Boolean,
                ConfigType::List,
                ConfigType::Double,
                ConfigType::Short,
                ConfigType::Class,
                ConfigType::Password
            ]
        );
        assert_eq!(
            def.key("linger.ms").unwrap().validator,
            Validator::Range {
                min: Some(0.0),
                max: Some(60000.0)
            }
        );
        assert!(Empty::config_def().keys().is_empty());
    }

    #[test]
    fn the_declaration_yields_the_typed_struct() {
        let c = Example::parse(&props(&[("kind", "a"), ("topic", " t ")])).unwrap();
        assert_eq!(
            c,
            Example {
                base: Base { kind: "a".into() },
                topic: "t".into(),
                batch_size: 2000,
                linger: Duration::from_millis(5),
                seed: None,
                flag: false,
                topics: vec![],
                ratio: 0.5,
                replication: 3,
                class: None,
                secret: None,
            }
        );
        let c = Example::parse(&props(&[
            ("kind", "b"),
            ("topic", "t"),
            ("batch.size", "7"),
            ("linger.ms", "60000"),
            ("seed", "-42"),
            ("flag", "TRUE"),
            ("topics", "x, y"),
            ("ratio", "2.5"),
            ("replication", "1"),
            ("class", "a.B"),
            ("secret", " s "),
        ]))
        .unwrap();
        assert_eq!(c.batch_size, 7);
        assert_eq!(c.linger, Duration::from_secs(60));
        assert_eq!(c.seed, Some(-42));
        assert!(c.flag);
        assert_eq!(c.topics, ["x", "y"]);
        assert_eq!(c.ratio, 2.5);
        assert_eq!(c.replication, 1);
        assert_eq!(c.class.as_deref(), Some("a.B"));
        // Passwords are not trimmed, as in Java.
        assert_eq!(c.secret.as_deref(), Some(" s "));
        assert_eq!(Empty::parse(&props(&[("any", "thing")])).unwrap(), Empty {});
    }

    #[test]
    fn try_map_errors_and_originals_are_kept() {
        // `{ originals }` defines no key.
        let names: Vec<String> = Checked::config_def()
            .keys()
            .iter()
            .map(|k| k.name.clone())
            .collect();
        assert_eq!(names, ["port"]);
        let given = props(&[("port", "9000"), ("producer.linger.ms", "5")]);
        assert_eq!(
            Checked::parse(&given).unwrap(),
            Checked {
                port: 9000,
                originals: given.clone(),
            }
        );
        assert_eq!(Checked::parse(&Props::new()).unwrap().port, 8083);
        let err = Checked::parse(&props(&[("port", "70000")])).unwrap_err();
        assert_eq!(err.message(), "port 70000 is out of range");
        // The definition's own checks come first.
        let err = Checked::parse(&props(&[("port", "x")])).unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid value x for configuration port: Not a number of type INT"
        );
    }

    #[test]
    fn bad_values_give_javas_messages_first_in_declaration_order() {
        let message =
            |pairs: &[(&str, &str)]| Example::parse(&props(pairs)).unwrap_err().to_string();
        // The flattened config's keys come first.
        assert!(message(&[("kind", "c"), ("batch.size", "0")])
            .contains("Invalid value c for configuration kind: String must be one of: a, b"));
        assert!(message(&[("kind", "a")])
            .contains("Missing required configuration \"topic\" which has no default value."));
        assert!(message(&[("kind", "a"), ("topic", "")])
            .contains("Invalid value  for configuration topic: String must be non-empty"));
        assert!(
            message(&[("kind", "a"), ("topic", "t"), ("batch.size", "0")])
                .contains("Invalid value 0 for configuration batch.size: Value must be at least 1")
        );
        assert!(
            message(&[("kind", "a"), ("topic", "t"), ("batch.size", "x")])
                .contains("Invalid value x for configuration batch.size: Not a number of type INT")
        );
        assert!(
            message(&[("kind", "a"), ("topic", "t"), ("linger.ms", "60001")]).contains(
                "Invalid value 60001 for configuration linger.ms: Value must be no more than 60000"
            )
        );
        assert!(message(&[("kind", "a"), ("topic", "t"), ("flag", "yes")]).contains(
            "Invalid value yes for configuration flag: Expected value to be either true or false"
        ));
        assert!(
            message(&[("kind", "a"), ("topic", "t"), ("replication", "40000")]).contains(
                "Invalid value 40000 for configuration replication: Not a number of type SHORT"
            )
        );
        // The definition reports every problem, with the same messages (and, as Java's
        // `validate`, what the validator says of a missing key's null).
        let errors = Example::config_def().errors(&props(&[("batch.size", "0"), ("seed", "s")]));
        assert_eq!(
            errors,
            [
                "Missing required configuration \"kind\" which has no default value.",
                "Invalid value null for configuration kind: String must be one of: a, b",
                "Missing required configuration \"topic\" which has no default value.",
                "Invalid value 0 for configuration batch.size: Value must be at least 1",
                "Invalid value s for configuration seed: Not a number of type LONG",
            ]
        );
    }
}
