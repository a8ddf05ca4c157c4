//! The engine's integration test binary: the Kafka Connect REST API of a standalone worker,
//! driven over HTTP.
//!
//! * [`contract`]: routes, shapes, status codes and messages that need no broker;
//! * [`lifecycle`]: connector and task lifecycle against the real broker
//!   (`STRAIT_TEST_BOOTSTRAP`, set by `cargo xtask test`);
//! * [`openapi`]: `openapi/strait-connect.json` against the running server.

#[path = "rest/contract.rs"]
mod contract;
#[path = "rest/lifecycle.rs"]
mod lifecycle;
#[path = "rest/openapi.rs"]
mod openapi;
#[path = "rest/support.rs"]
mod support;
