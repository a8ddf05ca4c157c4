//! Confluent's Amazon S3 sink (`io.confluent.connect.s3.S3SinkConnector`), columnar.

pub mod config;
pub mod partitioner;
pub mod store;
