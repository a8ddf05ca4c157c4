//! Distributed mode: Strait workers form a Kafka Connect cluster on Kafka itself, as Java's
//! `DistributedHerder` does, and can share that cluster with Java workers.
//!
//! * [`protocol`]: the worker group's member metadata and assignments, byte for byte as Java's
//!   `ConnectProtocol` (eager, v0) and `IncrementalCooperativeConnectProtocol` (v1 `compatible`,
//!   v2 `sessioned`) write them.
//! * [`assignor`]: the leader's assignment (eager round robin, incremental cooperative with the
//!   scheduled rebalance delay).
//! * [`membership`]: the group member itself (FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
//!   LeaveGroup) on Kafka's wire protocol; Kafka's group coordinator decides membership and
//!   elects the leader, nothing here does.
//! * [`kafka_log`]: an internal topic read from the beginning without a consumer group, and
//!   written with Kafka's default partitioner (Java's `KafkaBasedLog`).
//! * [`config_store`], [`status_store`], [`offset_store`]: the three internal topics' records in
//!   Java's exact keys and JSON, and the state they replay into.
//! * [`fence`]: Admin `fenceProducers` (KIP-730), which exactly-once source support uses to fence
//!   the transactional producers of a connector's earlier task generation.

pub mod assignor;
pub mod config;
pub mod config_store;
pub mod connector_offsets;
pub mod fence;
pub mod herder;
pub mod kafka_log;
pub mod membership;
pub mod offset_store;
pub mod protocol;
pub mod signing;
pub mod start;
pub mod status_store;
pub mod worker;

pub use start::DistributedWorker;
