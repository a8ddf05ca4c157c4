//! Connectors: one module per connector, each registering its Java class name (and, through
//! [`PluginInfo::names`](strait_engine::plugin::PluginInfo::names), its short aliases).
//!
//! | Module | Class | Kind |
//! |---|---|---|
//! | [`file`](mod@file) | `org.apache.kafka.connect.file.FileStreamSourceConnector` | source |
//! | [`file`](mod@file) | `org.apache.kafka.connect.file.FileStreamSinkConnector` | sink |
//! | [`datagen`] | `io.confluent.kafka.connect.datagen.DatagenConnector` | source |
//! | [`blackhole`] | `io.strait.connect.blackhole.BlackholeSinkConnector` (alias `blackhole`) | sink |
//! | [`s3`] | `io.confluent.connect.s3.S3SinkConnector` | sink |
//! | [`elasticsearch`] | `io.confluent.connect.elasticsearch.ElasticsearchSinkConnector` | sink |
//! | [`cassandra`] | `com.datastax.oss.kafka.sink.CassandraSinkConnector` | sink |
//! | [`http::source`] | `io.confluent.connect.http.HttpSourceConnector` | source |
//! | [`http::source`] | `io.confluent.connect.http.source.GenericHttpSourceConnector` | source |
//! | [`http::sink`] | `io.confluent.connect.http.HttpSinkConnector` | sink |
//! | [`http::sink`] | `io.aiven.kafka.connect.http.HttpSinkConnector` | sink |
//!
//! [`connectors`] is the one explicit table the binary hands to the engine's registry.

use std::sync::Arc;

use strait_engine::plugin::{connector_plugin, ConnectorPlugin};

pub mod blackhole;
pub mod cassandra;
pub mod datagen;
pub mod elasticsearch;
pub mod file;
pub mod http;
pub mod s3;

pub use blackhole::{blackhole_stats, reset_blackhole_stats};

/// Every connector of this crate, erased for the registry.
pub fn connectors() -> Vec<Arc<dyn ConnectorPlugin>> {
    vec![
        connector_plugin::<file::FileStreamSourceConnector>(),
        connector_plugin::<file::FileStreamSinkConnector>(),
        connector_plugin::<datagen::DatagenConnector>(),
        connector_plugin::<blackhole::BlackholeSinkConnector>(),
        connector_plugin::<s3::S3SinkConnector>(),
        connector_plugin::<elasticsearch::ElasticsearchSinkConnector>(),
        connector_plugin::<cassandra::CassandraSinkConnector>(),
        connector_plugin::<http::source::HttpSourceConnector>(),
        connector_plugin::<http::source::GenericHttpSourceConnector>(),
        connector_plugin::<http::sink::HttpSinkConnector>(),
        connector_plugin::<http::sink::AivenHttpSinkConnector>(),
    ]
}
