//! Cassandra sink (`com.datastax.oss.kafka.sink.CassandraSinkConnector`): under construction,
//! not registered with the worker yet.

pub mod config;
pub mod mapping;
