//! The engine behind `#[gradient]`, an ordinary library so that every stage is unit-testable:
//!
//! - [`limits`]: the shape of input the expander reads (checked on the raw tokens);
//! - [`options`]: the attribute's arguments;
//! - [`signature`]: which parameters are differentiated, and the result's shape;
//! - [`lower`]: the body (syn) into the structured IR of [`ir`];
//! - [`rules`]: the table of primitives and their derivatives; [`simplify`]: smart constructors;
//! - [`diff`]: reverse accumulation of adjoints;
//! - [`emit`]: the IR back into Rust; [`mod@expand`]: the pipeline and the companion functions;
//! - [`doc`]: derivatives as readable math, for the companions' documentation;
//! - [`eval`]: an interpreter of straight-line IR, the oracle of the engine's own tests.

pub mod diff;
pub mod doc;
pub mod emit;
pub mod eval;
pub mod expand;
pub mod ir;
pub mod limits;
pub mod lower;
pub mod options;
pub mod rules;
pub mod signature;
pub mod simplify;

pub use expand::expand;
