//! The Strait runtime: batch model, plugin traits, task drivers, offsets, herders, REST API.
//!
//! Dependencies point one way: `connectors → formats → engine`. The engine never names a
//! connector; the binary fills the [`registry::Registry`].

pub mod batch;
pub mod config;
pub mod config_provider;
pub mod error;
pub mod java_json;
pub mod java_text;
pub mod memory;
pub mod plugin;
pub mod registry;
pub mod schema;
pub mod transforms;

pub use error::{Error, Fault, Result};
pub mod connector_config;
pub mod herder;
pub mod kafka;
pub mod metrics;
pub mod naming_policy;
pub mod offsets;
pub mod rest;
pub mod runtime;
pub mod worker_config;
/// Process logging with live, REST-adjustable levels (`strait_engine::logging::init()`).
pub use rest::logging;
pub mod standalone;
pub mod topic_creation;
