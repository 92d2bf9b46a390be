//! `dual`: exact derivatives of ordinary `f64` functions, generated at compile time.
//!
//! The user guide is being written; see the README for now.

pub use dual_derive::gradient;
