//! `strait demo`: a self-contained pipeline (datagen source → topic → sink) that needs no
//! external service. [`broker`] is the in-process Kafka-protocol broker it runs through;
//! [`progress`] draws the live progress line and the final summary.

pub mod broker;
pub mod progress;

mod pipeline;
pub use pipeline::{run, DemoArgs};
