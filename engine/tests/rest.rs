//! The engine's integration test binary: the Kafka Connect REST API of a standalone worker,
//! driven over HTTP.
//!
//! * [`contract`]: routes, shapes, status codes and messages that need no broker;
//! * [`lifecycle`]: connector and task lifecycle against the real broker
//!   (`STRAIT_TEST_BOOTSTRAP`, set by `cargo xtask test`);
//! * [`openapi`]: `openapi/strait-connect.json` against the running server;
//! * [`sink_runtime`]: the sink task driver's retries, redelivery, rebalances, DLQ and task
//!   context against the real broker.

#[path = "rest/contract.rs"]
mod contract;
#[path = "rest/lifecycle.rs"]
mod lifecycle;
#[path = "rest/openapi.rs"]
mod openapi;
#[path = "rest/sink_runtime.rs"]
mod sink_runtime;
#[path = "rest/support.rs"]
mod support;
