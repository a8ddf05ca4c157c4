pub mod config;
pub mod mapping;
pub mod naming;
pub mod preprocess;
