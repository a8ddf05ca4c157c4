//! HTTP connectors: the HTTP source (Confluent's V1 `HttpSourceConnector` and V2
//! `GenericHttpSourceConnector` keys) and the HTTP sink (Confluent's V1 `HttpSinkConnector` and
//! Aiven's `HttpSinkConnector`), on one shared client ([`client`]) and one template syntax
//! ([`template`]).

pub mod client;
pub mod confluent_keys;
pub mod sink;
pub mod source;
pub mod source_config;
pub mod template;
