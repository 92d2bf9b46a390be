//! The front end: what the macro reads of the user's syntax before lowering the body — the
//! attribute's options, the limits on the input's shape, and the signature (which parameters are
//! differentiated, the result's shape). Syntax only: nothing here builds IR.

pub mod item;
pub mod limits;
pub mod options;
pub mod signature;
pub mod types;
