//! Derivatives as readable math, for the documentation of the generated functions:
//! `∂f/∂x = 2·x·y`, `∂f/∂y = x² + 1`.
//!
//! A node is rendered from the simplified IR with the parameters' names, `·` for products,
//! superscript powers, `/` with parentheses only where precedence needs them, `−`, `√(…)`, `|x|`,
//! `sin(x)`, `max(a, b)`, and well-known constants by name (`π`, `ln(2)`). The rendering collects
//! like terms and equal factors (`x·y + x·y` is `2·x·y`, `x·x` is `x²`), identities of real
//! arithmetic; it never cancels (`x/x` stays as it is), so a formula never claims a value where the
//! code has none.
//!
//! What cannot be written down faithfully is not: a value chosen by a branch, carried by a
//! run-time loop, computed by user code (other than a parameter or a constant), or selected by a
//! run-time index or exponent makes the entry "computed by the generated code", with the reason.
//! Long formulas get `where` definitions for their shared subexpressions (`u = x² + y²`); what is
//! still too long is summarised by its number of operations. The output is deterministic.
//!
//! The layer, in the order the data flows:
//!
//! - `names`: the function's names ([`Names`]), and which of them a formula may show;
//! - `algebra`: the formula type and its simplifying constructors;
//! - `render`: a node of the IR graph as a formula, and `user_values`: a float that user code
//!   writes (a fixed parameter, a constant, a literal) as a formula;
//! - `print`: a formula as text;
//! - `layout`: [`render()`], the entries as text with `where` definitions for their shared parts,
//!   returning [`Formulas`] (an [`Entry`] each, or [`Why`] it is not shown);
//! - `companion_docs`: [`Doc`], the documentation of each generated companion function.

mod algebra;
mod companion_docs;
mod entries;
mod layout;
mod names;
mod print;
mod render;
mod user_values;

#[cfg(test)]
mod tests;

pub use companion_docs::Doc;
pub use entries::{Entry, Formulas, Why};
pub use layout::render;
pub use names::Names;

/// A formula longer than this (in characters) gets `where` definitions for its shared parts.
pub const BUDGET: usize = 80;
/// At most this many lines list the entries of a Jacobian or a Hessian.
pub const MAX_LINES: usize = 12;
