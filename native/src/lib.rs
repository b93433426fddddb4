//! rftfm's native core.
//!
//! The pure modules (`layout`, `scan`, `detect`, and `error`, the one error type they share) know nothing of Node and are tested with
//! plain `cargo test`; `binding` is the only place that touches N-API, and it only
//! converts arguments and errors.
#![deny(clippy::all)]

pub mod detect;
pub mod error;
pub mod layout;
pub mod scan;

mod binding;
