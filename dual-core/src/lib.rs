//! The engine behind `#[gradient]`, an ordinary library so that every stage is unit-testable.
//! [`pipeline`] shows the whole compiler; the layers below it point down only:
//!
//! - [`mod@expand`]: the macro's entry (the item, then its companions or every error);
//! - [`pipeline`]: options → limits and item → signature → lower → differentiate → companions;
//! - [`companions`]: the companion functions as one table; [`diag`]: the diagnostics context;
//! - [`front`]: what is read of the user's syntax before the body (options, limits, signature,
//!   types);
//! - [`lower`]: the body (syn) into the structured IR of [`ir`] (arena, primitive table, smart
//!   constructors);
//! - [`ad`]: the reverse sweep, the structural derivative rules, Hessians, run-time loops;
//! - [`emit`]: the IR back into Rust; [`doc`]: derivatives as readable math for the docs;
//! - [`tokens`]: generated names and literals; [`eval`]: an interpreter, the tests' oracle.

pub mod ad;
pub mod companions;
pub mod diag;
pub mod doc;
pub mod emit;
pub mod eval;
pub mod expand;
pub mod front;
pub mod ir;
pub mod lower;
pub mod pipeline;
pub mod tokens;

pub use expand::expand;
