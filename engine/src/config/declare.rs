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
//! Each field is either a key or `{ flatten }`, which embeds another declared config's keys at
//! that position (Java's `JsonConverterConfig` extends `ConverterConfig` this way). A key's
//! entries come in this order; those marked optional may be left out:
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
    (@def $def:ident, $field_ty:ty; $($body:tt)*) => {
        $def.with_key($crate::declare_config!(@key $field_ty; $($body)*).0)
    };

    (@parse $props:ident, $field_ty:ty; flatten) => {
        <$field_ty>::parse($props)?
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
            },
            |key: &$crate::config::ConfigKey,
             props: &$crate::config::Props|
             -> $crate::Result<$field_ty> {
                let value = $crate::declare_config!(@value $ty, $default, key, props);
                Ok($crate::declare_config!(@or [value] $($crate::config::apply(value, $map))?))
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
