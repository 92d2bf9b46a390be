//! Differentiation: the reverse sweep that accumulates adjoints over the structured IR
//! ([`mod@reverse`]), the partial derivatives of every operation ([`rules`]: the primitives' rows of
//! the table, and the structural operations), the first- and second-order derivatives of a
//! function ([`derivative`]: reverse over reverse for Hessians), and the partials a run-time loop
//! carries ([`loops`]).

pub mod derivative;
pub mod loops;
pub mod reverse;
pub mod rolled;
pub mod rules;

pub use derivative::Derivative;
pub use reverse::{reverse, reverse_into, Adjoints, Reverse};
