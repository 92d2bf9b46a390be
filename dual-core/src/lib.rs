//! The engine behind `#[gradient]`, an ordinary library so that every stage is unit-testable.
//!
//! - [`front`]: the attribute's options, the limits on the input's shape, the signature;
//! - [`lower`]: the body (syn) into the structured IR of [`ir`];
//! - [`ad`]: the derivative rules and the reverse sweep;
//! - [`emit`]: the IR back into Rust; [`mod@expand`]: the pipeline and the companion functions;
//! - [`doc`]: derivatives as readable math, for the companions' documentation;
//! - [`eval`]: an interpreter of straight-line IR, the oracle of the engine's own tests.

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
